//! One relay connection: `auth`, then `join`, `bid`, `ping` and `leave`, while forwarding
//! the events of the room it joined. Writes are coalesced as bidroom's sessions coalesce
//! them: the frame at hand and whatever else is ready (at most 256 frames), then one flush.

use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::wire::{Encoding, parse_cents};

use super::Relay;
use super::protocol::{Answer, Cents, ClientMessage, Frame, Identity, WATCHER_ACCOUNT_ID};
use super::room::{Room, now_ms};

/// bidroom's most frames fed to a connection before one flush.
const MAX_FRAMES_PER_FLUSH: usize = 256;
/// bidroom's close code for a connection that did not authenticate.
const NOT_AUTHENTICATED: u16 = 4401;

type Socket = WebSocketStream<TcpStream>;

/// The room a connection has joined, and its subscription to the room's events.
struct Joined {
    room: Arc<Room>,
    events: broadcast::Receiver<Arc<Frame>>,
}

struct Session {
    relay: Arc<Relay>,
    encoding: Encoding,
    identity: Identity,
    joined: Option<Joined>,
}

pub async fn run(mut socket: Socket, encoding: Encoding, relay: Arc<Relay>) {
    let Some(identity) = authenticate(&mut socket, encoding).await else {
        return;
    };
    let mut session = Session {
        relay,
        encoding,
        identity,
        joined: None,
    };
    loop {
        let first = tokio::select! {
            biased;
            frame = socket.next() => match frame {
                Some(Ok(frame @ (Message::Text(_) | Message::Binary(_)))) => {
                    match session.handle(&frame) {
                        Some(answer) => answer,
                        None => continue,
                    }
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                Some(Ok(_)) => continue,
            },
            event = next_event(&mut session.joined) => match event {
                Ok(frame) => frame.message(encoding),
                Err(RecvError::Lagged(_)) => session.resync(),
                Err(RecvError::Closed) => {
                    session.joined = None;
                    continue;
                }
            },
        };
        if session.write(&mut socket, first).await.is_err() {
            break;
        }
    }
}

/// The first message must be `auth` with a relay token, as bidroom's must be a session's.
async fn authenticate(socket: &mut Socket, encoding: Encoding) -> Option<Identity> {
    let (token, req) = loop {
        match socket.next().await? {
            Ok(frame @ (Message::Text(_) | Message::Binary(_))) => {
                match ClientMessage::decode(&frame) {
                    Ok(ClientMessage::Auth { token, req }) => break (token, req),
                    _ => return close(socket, "the first message must be auth").await,
                }
            }
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => continue,
        }
    };
    let Some(identity) = Identity::of_token(&token) else {
        return close(socket, "not a relay token").await;
    };
    let account_id = match &identity {
        Identity::Bidder { account_id, .. } => *account_id,
        Identity::Watcher => WATCHER_ACCOUNT_ID,
    };
    let welcome = Answer::Welcome {
        account_id,
        role: "bidder",
        server_time_ms: now_ms(),
        req: req.as_deref(),
    };
    socket.send(encoding.frame(&welcome)).await.ok()?;
    Some(identity)
}

async fn close(socket: &mut Socket, reason: &str) -> Option<Identity> {
    let frame = CloseFrame {
        code: CloseCode::from(NOT_AUTHENTICATED),
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
    None
}

/// The joined room's next event; never, while no room is joined.
async fn next_event(joined: &mut Option<Joined>) -> Result<Arc<Frame>, RecvError> {
    match joined {
        Some(joined) => joined.events.recv().await,
        None => std::future::pending().await,
    }
}

impl Session {
    /// The answer to a client's message, if it has one.
    fn handle(&mut self, frame: &Message) -> Option<Message> {
        let message = match ClientMessage::decode(frame) {
            Ok(message) => message,
            Err(error) => return Some(self.error("invalid_message", &error, None)),
        };
        match message {
            ClientMessage::Auth { req, .. } => {
                Some(self.error("invalid_message", "already authenticated", req.as_deref()))
            }
            ClientMessage::Join { lot, req, .. } => Some(self.join(lot, req.as_deref())),
            ClientMessage::Leave { lot, req } => {
                if self
                    .joined
                    .as_ref()
                    .is_some_and(|joined| joined.room.lot == lot)
                {
                    self.joined = None;
                }
                Some(self.encoding.frame(&Answer::Left {
                    lot,
                    req: req.as_deref(),
                }))
            }
            ClientMessage::Bid { lot, amount, req } => Some(self.bid(lot, &amount, &req)),
            ClientMessage::Ping { t, req } => Some(self.encoding.frame(&Answer::Pong {
                t: t.as_ref(),
                server_time_ms: now_ms(),
                req: req.as_deref(),
            })),
        }
    }

    /// Joins a room: its snapshot, and its events from then on. A connection holds one
    /// room (as every connection of the scenarios does).
    fn join(&mut self, lot: i64, req: Option<&str>) -> Message {
        if let Some(joined) = &self.joined
            && joined.room.lot != lot
        {
            return self.error("invalid_message", "a relay connection joins one room", req);
        }
        let Some(room) = self.relay.room(lot) else {
            return self.error("not_found", "no such lot", req);
        };
        let (snapshot, events) = room.join(&self.identity, req, self.encoding);
        self.joined = Some(Joined { room, events });
        snapshot
    }

    /// A member that fell more than the channel's capacity behind gets a fresh snapshot,
    /// as bidroom's do.
    fn resync(&mut self) -> Message {
        let joined = self.joined.take().expect("only a joined member lags");
        let (snapshot, events) = joined.room.join(&self.identity, None, self.encoding);
        self.joined = Some(Joined {
            room: joined.room,
            events,
        });
        snapshot
    }

    fn bid(&self, lot: i64, amount: &str, req: &str) -> Message {
        let room = match &self.joined {
            Some(joined) if joined.room.lot == lot => joined.room.clone(),
            _ => match self.relay.room(lot) {
                Some(room) => room,
                None => return self.rejected(lot, req, "not_found", "no such lot"),
            },
        };
        let Some(cents) = parse_cents(amount).filter(|&cents| cents > 0) else {
            return self.rejected(
                lot,
                req,
                "invalid_amount",
                "the amount is not a positive decimal with at most two places",
            );
        };
        match room.bid(&self.identity, Cents(cents)) {
            Ok(accepted) => {
                let Identity::Bidder { number, .. } = &self.identity else {
                    unreachable!("only bidders' bids are accepted")
                };
                self.encoding.frame(&Answer::Accepted {
                    req,
                    lot,
                    seq: accepted.seq,
                    amount: Cents(cents),
                    bidder: number,
                    at_ms: accepted.at_ms,
                    deadline_ms: accepted.deadline_ms,
                })
            }
            Err(refused) => self.encoding.frame(&Answer::Rejected {
                req,
                lot,
                code: refused.code,
                message: refused.message,
                min_next: refused.min_next,
            }),
        }
    }

    fn rejected(&self, lot: i64, req: &str, code: &str, message: &str) -> Message {
        self.encoding.frame(&Answer::Rejected {
            req,
            lot,
            code,
            message,
            min_next: None,
        })
    }

    fn error(&self, code: &str, message: &str, req: Option<&str>) -> Message {
        self.encoding.frame(&Answer::Error { code, message, req })
    }

    /// Feeds `first` and the room events that are ready (up to the flush limit), then
    /// flushes once.
    async fn write(
        &mut self,
        socket: &mut Socket,
        first: Message,
    ) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        socket.feed(first).await?;
        let mut written = 1;
        while written < MAX_FRAMES_PER_FLUSH {
            let Some(joined) = &mut self.joined else {
                break;
            };
            let message = match joined.events.try_recv() {
                Ok(frame) => frame.message(self.encoding),
                Err(TryRecvError::Lagged(_)) => self.resync(),
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            };
            socket.feed(message).await?;
            written += 1;
        }
        socket.flush().await
    }
}
