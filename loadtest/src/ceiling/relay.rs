//! `bidroom-loadtest relay`: a bare relay shaped like bidroom's bidding scenarios, the
//! ceiling `ceiling many-rooms` and `ceiling hot-room` measure bidroom against.
//!
//! It speaks as much of bidroom's WebSocket protocol as the scenarios' bidders and watchers
//! use (`auth`, `join`, `bid`, `ping`, `leave`), with the same frames: for every bid an
//! `accepted` answer to its bidder and the `bid` event to every member of the room, each
//! encoded once per encoding and shared, and coalesced writes. What it leaves out is all
//! bidroom adds: no rules but the one that decides a bid's frames (one below the room's
//! next acceptable amount is refused `too_low`, see [`room`]), no journal, no sessions in
//! a database, no rate limits, no room task (a bid is applied under its room's lock by the
//! connection that read it). The run's rooms are asked of it
//! over its control connection ([`control`]); tokens are made up by the run
//! ([`protocol::Identity`]).
//!
//! It runs on a tokio runtime as bidroom's (one worker per core it may use), in a process
//! of its own, so that `taskset` pins it as it pins bidroom.

pub mod control;
pub mod protocol;
pub mod room;
mod session;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::wire::Encoding;

use room::{Room, RoomTerms};

/// What the relay prints once it listens, followed by its address.
pub const READY_LINE: &str = "relay is ready: listening on http://";

/// bidroom's per-connection buffers (`src/limits.rs`): a 4 KiB read buffer, writes
/// gathered up to 16 KiB before they go to the socket, at most 1 MiB held for a client.
fn config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(16 * 1024)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(Some(16 * 1024))
        .max_frame_size(Some(16 * 1024))
}

/// The relay's rooms.
pub struct Relay {
    rooms: Mutex<HashMap<i64, Arc<Room>>>,
    next_lot: Mutex<i64>,
}

impl Relay {
    fn new() -> Relay {
        Relay {
            rooms: Mutex::new(HashMap::new()),
            next_lot: Mutex::new(1),
        }
    }

    pub fn room(&self, lot: i64) -> Option<Arc<Room>> {
        self.rooms
            .lock()
            .expect("the relay's rooms")
            .get(&lot)
            .cloned()
    }

    /// Makes `terms.rooms` rooms on these terms, each with its clock running.
    fn open_rooms(&self, terms: &RoomTerms) -> Vec<i64> {
        let first = {
            let mut next = self.next_lot.lock().expect("the relay's lot ids");
            let first = *next;
            *next += terms.rooms as i64;
            first
        };
        let lots: Vec<i64> = (first..first + terms.rooms as i64).collect();
        let mut rooms = self.rooms.lock().expect("the relay's rooms");
        for &lot in &lots {
            let room = Room::new(lot, terms.clone());
            tokio::spawn(room.clone().run_clock());
            rooms.insert(lot, room);
        }
        lots
    }

    /// Each lot's outcome; `Err(lot)` for a lot the relay never had.
    fn outcomes(&self, lots: &[i64]) -> Result<Vec<crate::api::LotOutcome>, i64> {
        lots.iter()
            .map(|&lot| self.room(lot).map(|room| room.outcome()).ok_or(lot))
            .collect()
    }
}

/// Listens on `listen` and serves until the process is stopped.
pub async fn serve(listen: SocketAddr) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    println!("{READY_LINE}{}", listener.local_addr()?);
    let relay = Arc::new(Relay::new());
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of descriptors, say: wait a moment rather than spin.
                eprintln!("relay: accepting a connection failed: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        // As bidroom's accepted sockets: no Nagle delay behind an answer.
        let _ = stream.set_nodelay(true);
        tokio::spawn(connection(stream, relay.clone()));
    }
}

/// Where a connection's upgrade asked to go.
enum Route {
    Members(Encoding),
    Control,
}

// The handshake callback's error is tungstenite's own HTTP response, large or not.
#[allow(clippy::result_large_err)]
async fn connection(stream: TcpStream, relay: Arc<Relay>) {
    let mut route = None;
    let choose = |request: &Request, response: Response| {
        let (chosen, response) = choose_route(request, response)?;
        route = Some(chosen);
        Ok(response)
    };
    let Ok(socket) =
        tokio_tungstenite::accept_hdr_async_with_config(stream, choose, Some(config())).await
    else {
        return;
    };
    match route {
        Some(Route::Members(encoding)) => session::run(socket, encoding, relay).await,
        Some(Route::Control) => control::serve(socket, relay).await,
        None => {}
    }
}

/// `/ws` with bidroom's subprotocols (JSON when none is asked for), or the control path.
#[allow(clippy::result_large_err)]
fn choose_route(
    request: &Request,
    mut response: Response,
) -> Result<(Route, Response), ErrorResponse> {
    match request.uri().path() {
        "/ws" => {}
        control::PATH => return Ok((Route::Control, response)),
        _ => {
            let mut refusal = ErrorResponse::new(Some("the relay serves /ws".to_owned()));
            *refusal.status_mut() = StatusCode::NOT_FOUND;
            return Err(refusal);
        }
    }
    let offered: Vec<&str> = request
        .headers()
        .get_all("Sec-WebSocket-Protocol")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let chosen = [Encoding::Json, Encoding::Msgpack]
        .into_iter()
        .find(|encoding| offered.contains(&encoding.subprotocol()));
    if let Some(encoding) = chosen {
        response.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(encoding.subprotocol()),
        );
    }
    Ok((Route::Members(chosen.unwrap_or(Encoding::Json)), response))
}
