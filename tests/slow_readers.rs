//! Slow readers (SPEC §8): members whose sockets never read, in a busy room, are closed
//! with 4408 (or resynchronised) without the server's memory growing with their backlog.
//!
//! The server runs as a separate process so that its memory (VmRSS) is its own. 200
//! sockets with small receive buffers join a room and then read nothing while the
//! auctioneer's announcements (2,000 characters each) and bids flow. Run it with
//! `cargo test --test slow_readers -- --nocapture` to see the figures.

mod common;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use common::process::ServerProcess;
use common::ws::{Wire, WsClient};
use common::{Db, TestApp, TestDatabase};

const STALLED_SOCKETS: usize = 200;
/// A small receive buffer, so that the kernel holds little of a stalled socket's backlog
/// and the server meets it soon.
const CLIENT_RECEIVE_BUFFER_BYTES: u32 = 4096;
const ANNOUNCEMENT_CHARS: usize = 2000;
/// Announcements the room gets at least: each of the 200 stalled members misses them all.
const MIN_ANNOUNCEMENTS: usize = 500;
const MAX_ANNOUNCEMENTS: usize = 4000;

type RawSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn vm_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .expect("a VmRSS line")
}

/// A socket that authenticates and joins the lot, and then is never read again.
async fn stalled_member(address: &str, token: &str, lot: i64) -> RawSocket {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .set_recv_buffer_size(CLIENT_RECEIVE_BUFFER_BYTES)
        .unwrap();
    let stream = socket.connect(address.parse().unwrap()).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(
        format!("ws://{address}/ws"),
        MaybeTlsStream::Plain(stream),
    )
    .await
    .expect("the WebSocket connects");
    let send = |message: Value| Message::Text(message.to_string().into());
    ws.send(send(json!({"type": "auth", "token": token})))
        .await
        .unwrap();
    ws.send(send(json!({"type": "join", "lot": lot, "req": "join"})))
        .await
        .unwrap();
    // Read up to the snapshot; from here on nothing is read.
    loop {
        let frame = ws.next().await.expect("a frame").expect("a message");
        if let Message::Text(text) = frame {
            let message: Value = serde_json::from_str(&text).unwrap();
            if message["type"] == "snapshot" {
                return ws;
            }
        }
    }
}

/// How a stalled socket ended when it was finally read.
#[derive(Debug, Default)]
struct Endings {
    closed_4408: usize,
    cut_without_close_frame: usize,
    resynced: usize,
    still_open: usize,
}

async fn read_to_the_end(mut ws: RawSocket, endings: &mut Endings) {
    let mut resynced = false;
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await {
            Err(_) => {
                if resynced {
                    endings.resynced += 1;
                } else {
                    endings.still_open += 1;
                }
                return;
            }
            Ok(Some(Ok(Message::Text(text)))) => {
                let message: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                resynced |= message["type"] == "snapshot";
            }
            Ok(Some(Ok(Message::Close(frame)))) => {
                match frame.map(|frame| u16::from(frame.code)) {
                    Some(4408) => endings.closed_4408 += 1,
                    code => panic!("closed with {code:?}"),
                }
                return;
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => {
                endings.cut_without_close_frame += 1;
                return;
            }
        }
    }
}

/// Announcements and bids in a room, each answered (the journal committed it).
struct Flow {
    lot: i64,
    auctioneer: WsClient,
    bidders: [WsClient; 2],
    text: String,
    rounds: usize,
    events: usize,
    bid_amount: u64,
}

impl Flow {
    /// Announcements (sent together, then their answers read) and one bid.
    async fn round(&mut self) {
        let round = self.rounds;
        for index in 0..ANNOUNCEMENTS_PER_ROUND {
            let req = format!("a{round}-{index}");
            self.auctioneer
                .send(json!({"type": "announce", "lot": self.lot, "text": self.text, "req": req}))
                .await;
        }
        for index in 0..ANNOUNCEMENTS_PER_ROUND {
            let answer = self.auctioneer.answer(&format!("a{round}-{index}")).await;
            assert_eq!(answer["type"], "announcement", "{answer}");
        }
        let amount = format!("{}.00", self.bid_amount);
        let answer = self.bidders[round % 2]
            .bid(self.lot, &amount, &format!("b{round}"))
            .await;
        assert_eq!(answer["type"], "accepted", "{answer}");
        self.bid_amount += 100;
        self.rounds += 1;
        self.events += ANNOUNCEMENTS_PER_ROUND + 1;
    }
}

const ANNOUNCEMENTS_PER_ROUND: usize = 20;
const TOO_SLOW: &str = "bidroom_connections_closed_total{reason=\"too_slow\"}";

async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = app
        .http
        .get(format!("{}/metrics", app.base_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|line| line.starts_with(name))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn stalled_members_are_closed_without_memory_growing_with_their_backlog(db: Db) {
    let database = TestDatabase::create(db).await;
    let url = database.url().to_owned();
    let server = ServerProcess::start_with(
        &url,
        &[
            "--ws-write-timeout-secs",
            "2",
            "--max-connections-per-account",
            "0",
        ],
    );
    let pid = server.child.id();
    let app = TestApp::external(&server.address, database);
    let lot = app
        .live_lot("slow", json!({}), &[None, None], Some(600_000))
        .await;
    app.wait_until_open(&lot).await;
    let watcher = app.signup_bidder("stalled-watcher").await;
    let mut stalled = Vec::new();
    for _ in 0..STALLED_SOCKETS {
        stalled.push(stalled_member(&server.address, &watcher.token, lot.id).await);
    }
    let mut flow = Flow {
        lot: lot.id,
        auctioneer: WsClient::signed_in(&app.ws_url, &lot.auctioneer.token, Wire::Json).await,
        bidders: [
            app.bidder_client(&lot.bidders[0], Wire::Json).await,
            app.bidder_client(&lot.bidders[1], Wire::Json).await,
        ],
        text: "慢".repeat(ANNOUNCEMENT_CHARS),
        rounds: 0,
        events: 0,
        bid_amount: 1000,
    };
    let announcement_bytes = flow.text.len() + 64;
    // Warm up (the allocator's pools, the journal), then measure.
    flow.round().await;
    let rss_before_kib = vm_rss_kib(pid);
    let flow_from = flow.events;
    let started = Instant::now();
    let mut rss_max_kib = rss_before_kib;
    loop {
        flow.round().await;
        rss_max_kib = rss_max_kib.max(vm_rss_kib(pid));
        let announcements = (flow.rounds - 1) * ANNOUNCEMENTS_PER_ROUND;
        if announcements >= MAX_ANNOUNCEMENTS {
            break;
        }
        if announcements >= MIN_ANNOUNCEMENTS
            && metric(&app, TOO_SLOW).await >= STALLED_SOCKETS as f64
        {
            break;
        }
    }
    let flowed = flow.events - flow_from;
    let announced = (flow.rounds - 1) * ANNOUNCEMENTS_PER_ROUND;
    let too_slow = metric(&app, TOO_SLOW).await;
    // Each is dropped a second after its close frame was offered (never taken).
    let mut open = metric(&app, "bidroom_connections ").await;
    for _ in 0..50 {
        if open < STALLED_SOCKETS as f64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        open = metric(&app, "bidroom_connections ").await;
    }
    let rss_after_kib = vm_rss_kib(pid);
    // What the stalled members would have had to hold: every announcement since they
    // stopped reading (bids left out).
    let backlog_kib = (announced * announcement_bytes * STALLED_SOCKETS / 1024) as u64;
    let growth_kib = rss_max_kib.saturating_sub(rss_before_kib);
    eprintln!(
        "slow readers ({db:?}): {STALLED_SOCKETS} stalled sockets, {flowed} events ({announced} announcements of {} KiB) in {:.1} s; \
         sum of the backlogs {backlog_kib} KiB; server VmRSS {rss_before_kib} KiB before, {rss_max_kib} KiB at most, \
         {rss_after_kib} KiB after (growth {growth_kib} KiB); closed as too slow: {too_slow}; connections open: {open}",
        announcement_bytes / 1024,
        started.elapsed().as_secs_f64(),
    );
    assert!(
        too_slow >= STALLED_SOCKETS as f64,
        "every stalled socket is closed by the server while it still reads nothing ({too_slow} of {STALLED_SOCKETS})"
    );
    assert!(
        open < STALLED_SOCKETS as f64,
        "the stalled sockets no longer count as open ({open})"
    );
    assert!(
        growth_kib < backlog_kib / 8 && growth_kib < 64 * 1024,
        "the server's memory grew {growth_kib} KiB with {backlog_kib} KiB of backlog"
    );

    // Read at last: each got what the kernel held, then the close (4408) or the cut.
    let mut endings = Endings::default();
    for ws in stalled {
        read_to_the_end(ws, &mut endings).await;
    }
    eprintln!("slow readers ({db:?}): {endings:?}");
    assert_eq!(endings.still_open, 0, "{endings:?}");
    assert_eq!(
        endings.closed_4408 + endings.cut_without_close_frame + endings.resynced,
        STALLED_SOCKETS
    );
    // The room and the other members went on throughout.
    flow.round().await;
    server.kill();
    let _ = app.into_database();
}
on_both_databases!(
    stalled_members_are_closed_without_memory_growing_with_their_backlog,
    super::stalled_members_are_closed_without_memory_growing_with_their_backlog
);
