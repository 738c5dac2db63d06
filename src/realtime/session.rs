//! One WebSocket connection: authenticate, then serve joins, bids and pings while
//! forwarding the events of the rooms it has joined.
//!
//! Generic over `Sink`/`Stream` so that tests can drive it over channels. Its loop
//! `select!`s on client frames, answers from rooms, room events and shutdown. Writes are
//! coalesced: whatever is ready is fed, then flushed once.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::ws::{CloseFrame, Message};
use futures_util::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tokio_stream::StreamMap;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;

use crate::http::{AppState, account_for_token};
use crate::limits::{AUTH_TIMEOUT, MAX_FRAMES_PER_FLUSH};
use crate::rooms::{
    CatchUp, ConnectionId, ControlAction, Joined, Member, Replier, RoomCommand, RoomHandle,
};
use crate::storage::{Account, LotId};

use super::close;
use super::protocol::{Answer, ClientMessage, Control, Encoding, Envelope, Req, RoomFrame, View};
use super::rate::RateLimit;

type SocketError = axum::Error;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// Runs a connection until the client leaves, breaks the protocol, or the server stops.
pub async fn run<S>(socket: S, state: AppState, encoding: Encoding)
where
    S: Sink<Message, Error = SocketError> + Stream<Item = Result<Message, SocketError>> + Unpin,
{
    metrics::gauge!("bidroom_connections").increment(1.0);
    let mut socket = socket;
    if let Some(account) = authenticate(&mut socket, &state, encoding).await {
        let (outbox, answers) = mpsc::unbounded_channel();
        let session = Session {
            connection: NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed),
            account,
            replier: Replier { outbox, encoding },
            bid_rate_limit: RateLimit::new(state.config.bid_rate_limit),
            join_rate_limit: RateLimit::new(state.config.join_rate_limit),
            joined: HashMap::new(),
            events: StreamMap::new(),
            state,
        };
        session.serve(socket, answers).await;
    }
    metrics::gauge!("bidroom_connections").decrement(1.0);
}

/// The first message must be `auth` with a valid token within 10 s, else 4401.
async fn authenticate<S>(socket: &mut S, state: &AppState, encoding: Encoding) -> Option<Account>
where
    S: Sink<Message, Error = SocketError> + Stream<Item = Result<Message, SocketError>> + Unpin,
{
    let first = tokio::time::timeout(AUTH_TIMEOUT, next_data_frame(socket)).await;
    let (token, req) = match first {
        Ok(Some(Ok(frame))) => match decode(&frame) {
            Ok(ClientMessage::Auth { token, req }) => (token, req),
            _ => {
                return close_with(
                    socket,
                    close::NOT_AUTHENTICATED,
                    "the first message must be auth",
                )
                .await;
            }
        },
        Ok(Some(Err(_))) | Ok(None) => return None,
        Err(_) => {
            return close_with(
                socket,
                close::NOT_AUTHENTICATED,
                "no auth within 10 seconds",
            )
            .await;
        }
    };
    let account = match account_for_token(state, &token).await {
        Ok(Some(account)) => account,
        _ => return close_with(socket, close::NOT_AUTHENTICATED, "invalid or expired token").await,
    };
    let welcome = Answer::Welcome {
        account_id: account.id,
        role: account.role,
        server_time_ms: state.clock.now_ms(),
        req: req.as_ref(),
    };
    socket.send(encoding.encode(&welcome)).await.ok()?;
    Some(account)
}

/// The next text or binary frame (control frames are answered by the WebSocket layer).
async fn next_data_frame<S>(socket: &mut S) -> Option<Result<Message, SocketError>>
where
    S: Stream<Item = Result<Message, SocketError>> + Unpin,
{
    loop {
        match socket.next().await? {
            Ok(Message::Ping(_) | Message::Pong(_)) => continue,
            Ok(Message::Close(_)) => return None,
            other => return Some(other),
        }
    }
}

async fn close_with<S, T>(socket: &mut S, code: u16, reason: &str) -> Option<T>
where
    S: Sink<Message, Error = SocketError> + Unpin,
{
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
    None
}

/// Reads a client's frame as the session does: the message in the frame's encoding, its
/// texts checked (SPEC §8). A frame that is not a valid message answers with why, and the
/// `req` it carries when that can still be read.
pub fn decode(frame: &Message) -> Result<ClientMessage, (String, Option<Req>)> {
    let (encoding, bytes): (Encoding, &[u8]) = match frame {
        Message::Text(text) => (Encoding::Json, text.as_bytes()),
        Message::Binary(bytes) => (Encoding::MessagePack, bytes),
        _ => return Err(("expected a text or binary frame".to_owned(), None)),
    };
    let message = ClientMessage::decode(encoding, bytes).map_err(|error| {
        let req = encoding
            .decode::<Envelope>(bytes)
            .ok()
            .and_then(|envelope| envelope.req)
            .and_then(|req| req.0);
        (error, req)
    })?;
    match message.check_text() {
        Ok(()) => Ok(message),
        Err(error) => Err((error, message.req().cloned())),
    }
}

struct Session {
    state: AppState,
    connection: ConnectionId,
    account: Account,
    replier: Replier,
    bid_rate_limit: RateLimit,
    /// A join costs the room (or, for an ended lot, the database) a snapshot.
    join_rate_limit: RateLimit,
    /// The rooms this connection has joined, with the view it has in each.
    joined: HashMap<LotId, (RoomHandle, View)>,
    events: StreamMap<LotId, BroadcastStream<Arc<RoomFrame>>>,
}

/// What ends a session.
enum Ending {
    ClientLeft,
    Close(u16, &'static str),
}

impl Session {
    async fn serve<S>(mut self, mut socket: S, mut answers: mpsc::UnboundedReceiver<Message>)
    where
        S: Sink<Message, Error = SocketError> + Stream<Item = Result<Message, SocketError>> + Unpin,
    {
        let mut shutdown = self.state.shutdown.clone();
        let ending = loop {
            // In this order: answers (a join's catch-up among them) before any room event,
            // so that a newer event never overtakes the catch-up it follows; the client's
            // frames before room events, so that a busy room cannot starve its bids.
            tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    let stopping = changed.is_err() || *shutdown.borrow_and_update();
                    if stopping {
                        break Ending::Close(close::GOING_AWAY, "the server is shutting down");
                    }
                }
                Some(answer) = answers.recv() => {
                    if self.write(&mut socket, answer, &mut answers).await.is_err() {
                        break Ending::ClientLeft;
                    }
                }
                frame = socket.next() => match frame {
                    Some(Ok(Message::Text(_) | Message::Binary(_))) => {
                        let frame = frame.and_then(Result::ok).expect("matched a data frame");
                        self.handle_frame(&frame).await;
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | None => break Ending::ClientLeft,
                    Some(Err(error)) => break if is_too_big(&error) {
                        Ending::Close(close::MESSAGE_TOO_BIG, "frames are at most 16 KiB")
                    } else {
                        Ending::ClientLeft
                    },
                },
                Some((lot, event)) = self.events.next(), if !self.events.is_empty() => {
                    match self.event_message(lot, event).await {
                        Some(message) => if self.write(&mut socket, message, &mut answers).await.is_err() {
                            break Ending::ClientLeft;
                        },
                        None => continue,
                    }
                }
            }
        };
        if let Ending::Close(code, reason) = ending {
            let _: Option<()> = close_with(&mut socket, code, reason).await;
        }
        for (room, _) in self.joined.values() {
            room.send(RoomCommand::Leave {
                connection: self.connection,
            })
            .await;
        }
    }

    /// Writes one message and whatever else is ready (up to a limit), then flushes once.
    async fn write<S>(
        &mut self,
        socket: &mut S,
        first: Message,
        answers: &mut mpsc::UnboundedReceiver<Message>,
    ) -> Result<(), SocketError>
    where
        S: Sink<Message, Error = SocketError> + Unpin,
    {
        socket.feed(first).await?;
        let mut written = 1;
        while written < MAX_FRAMES_PER_FLUSH {
            if let Ok(answer) = answers.try_recv() {
                socket.feed(answer).await?;
                written += 1;
                continue;
            }
            let Some(Some((lot, event))) = self.events.next().now_or_never() else {
                break;
            };
            if let Some(message) = self.event_message(lot, event).await {
                socket.feed(message).await?;
                written += 1;
            }
        }
        socket.flush().await
    }

    /// A room event as this member sees it; a member that fell behind is resynchronised
    /// with a fresh snapshot instead.
    async fn event_message(
        &mut self,
        lot: LotId,
        event: Result<Arc<RoomFrame>, BroadcastStreamRecvError>,
    ) -> Option<Message> {
        let view = self.joined.get(&lot).map(|(_, view)| *view)?;
        match event {
            Ok(frame) if frame.monitors_only && view != View::Monitor => None,
            Ok(frame) => Some(frame.message(view, self.replier.encoding)),
            Err(BroadcastStreamRecvError::Lagged(missed)) => {
                metrics::counter!("bidroom_member_resyncs_total").increment(1);
                tracing::debug!(
                    lot,
                    missed,
                    connection = self.connection,
                    "member lagged; sending a fresh snapshot"
                );
                self.join(lot, None, None).await;
                None
            }
        }
    }

    async fn handle_frame(&mut self, frame: &Message) {
        match decode(frame) {
            Ok(message) => self.handle(message).await,
            Err((error, req)) => self.error("invalid_message", &error, req.as_ref()),
        }
    }

    async fn handle(&mut self, message: ClientMessage) {
        match message {
            ClientMessage::Auth { req, .. } => {
                self.error("invalid_message", "already authenticated", req.as_ref())
            }
            ClientMessage::Join {
                lot,
                since_seq,
                req,
            } => self.join(lot, since_seq, req).await,
            ClientMessage::Leave { lot, req } => {
                if let Some((room, _)) = self.joined.remove(&lot) {
                    self.events.remove(&lot);
                    room.send(RoomCommand::Leave {
                        connection: self.connection,
                    })
                    .await;
                }
                self.answer(&Answer::Left {
                    lot,
                    req: req.as_ref(),
                });
            }
            ClientMessage::Bid { lot, amount, req } => self.bid(lot, amount.0, req).await,
            ClientMessage::Ping { t, req } => self.answer(&Answer::Pong {
                t: t.as_ref(),
                server_time_ms: self.state.clock.now_ms(),
                req: req.as_ref(),
            }),
            ClientMessage::Pause(control) => self.control(ControlAction::Pause, control).await,
            ClientMessage::Resume(control) => self.control(ControlAction::Resume, control).await,
            ClientMessage::Cancel(control) => self.control(ControlAction::Cancel, control).await,
            ClientMessage::Announce { lot, text, req } => {
                self.control(
                    ControlAction::Announce,
                    Control {
                        lot,
                        reason: Some(text),
                        req,
                    },
                )
                .await
            }
        }
    }

    async fn join(&mut self, lot: LotId, since_seq: Option<u64>, req: Option<Req>) {
        if !self.join_rate_limit.try_take() {
            metrics::counter!("bidroom_joins_rejected_total", "code" => "rate_limited")
                .increment(1);
            return self.error(
                "rate_limited",
                "too many joins from this connection; slow down",
                req.as_ref(),
            );
        }
        let Some(room) = self.state.rooms.room(lot) else {
            return self.join_ended(lot, req).await;
        };
        let member = Member {
            connection: self.connection,
            account: self.account.id,
            role: self.account.role,
        };
        let (reply, joined) = oneshot::channel();
        if !room
            .send(RoomCommand::Join {
                member,
                since_seq,
                req: req.clone(),
                reply,
            })
            .await
        {
            return self.error("not_open", "the room has ended", req.as_ref());
        }
        let Ok(Joined {
            catch_up,
            events,
            view,
        }) = joined.await
        else {
            return self.error("not_open", "the room has ended", req.as_ref());
        };
        // The catch-up goes out before anything the new subscription carries: every event
        // up to the snapshot's seq is in it or before it, every later one follows it.
        match catch_up {
            CatchUp::Snapshot(snapshot) => self.answer(&Answer::Snapshot(&snapshot)),
            CatchUp::Replay(frames) => {
                for frame in frames {
                    let _ = self
                        .replier
                        .outbox
                        .send(frame.message(view, self.replier.encoding));
                }
            }
        }
        self.events.insert(lot, BroadcastStream::new(events));
        self.joined.insert(lot, (room, view));
    }

    /// A lot whose room is no longer in memory: its final snapshot from the database.
    async fn join_ended(&mut self, lot: LotId, req: Option<Req>) {
        let snapshot = match self.state.store.get_lot(lot).await {
            Ok(Some(stored)) => {
                self.state
                    .rooms
                    .stored_snapshot(&stored, &self.account, req.clone())
                    .await
            }
            _ => Ok(None),
        };
        match snapshot {
            Ok(Some(snapshot)) => self.answer(&Answer::Snapshot(&snapshot)),
            Ok(None) => {
                let (code, message) = self.why_no_room(lot).await;
                self.error(code, message, req.as_ref());
            }
            Err(error) => {
                tracing::error!(lot, error = ?error, "failed to read an ended room");
                self.error("internal", "the room could not be read", req.as_ref());
            }
        }
    }

    async fn bid(
        &mut self,
        lot: LotId,
        amount: Result<crate::money::Money, crate::money::AmountError>,
        req: Req,
    ) {
        if !self.bid_rate_limit.try_take() {
            metrics::counter!("bidroom_bids_rejected_total", "code" => "rate_limited").increment(1);
            return self.answer(&Answer::Rejected {
                req: &req,
                lot,
                code: "rate_limited",
                message: "too many bids from this connection; slow down",
                min_next: None,
                reason: None,
            });
        }
        let Some(room) = self.room_for_bid(lot, &req).await else {
            return;
        };
        let command = RoomCommand::Bid {
            account: self.account.id,
            verified: self.account.verified,
            amount,
            req: req.clone(),
            reply: self.replier.clone(),
        };
        if !room.send(command).await {
            self.reject(lot, &req, "not_open", "the lot is not open for bidding");
        }
    }

    async fn control(&mut self, action: ControlAction, control: Control) {
        let Control { lot, reason, req } = control;
        let Some(room) = self.room(lot, req.as_ref()).await else {
            return;
        };
        let command = RoomCommand::Control {
            action,
            account: self.account.id,
            role: self.account.role,
            text: reason.map(Arc::from),
            req: req.clone(),
            reply: self.replier.clone(),
        };
        if !room.send(command).await {
            self.error("not_open", "the room has ended", req.as_ref());
        }
    }

    /// The lot's live room, or an `error` answer saying why there is none.
    async fn room(&self, lot: LotId, req: Option<&Req>) -> Option<RoomHandle> {
        match self.state.rooms.room(lot) {
            Some(room) => Some(room),
            None => {
                let (code, message) = self.why_no_room(lot).await;
                self.error(code, message, req);
                None
            }
        }
    }

    async fn room_for_bid(&self, lot: LotId, req: &Req) -> Option<RoomHandle> {
        match self.state.rooms.room(lot) {
            Some(room) => Some(room),
            None => {
                let (code, message) = self.why_no_room(lot).await;
                self.reject(lot, req, code, message);
                None
            }
        }
    }

    async fn why_no_room(&self, lot: LotId) -> (&'static str, &'static str) {
        match self.state.store.get_lot(lot).await {
            Ok(Some(_)) => (
                "not_open",
                "the lot has no live room: it is not published, or it has ended",
            ),
            _ => ("not_found", "no such lot"),
        }
    }

    fn reject(&self, lot: LotId, req: &Req, code: &str, message: &str) {
        self.answer(&Answer::Rejected {
            req,
            lot,
            code,
            message,
            min_next: None,
            reason: None,
        });
    }

    fn error(&self, code: &str, message: &str, req: Option<&Req>) {
        self.answer(&Answer::Error { code, message, req });
    }

    fn answer(&self, answer: &Answer<'_>) {
        let _ = self
            .replier
            .outbox
            .send(self.replier.encoding.encode(answer));
    }
}

/// Whether reading failed because the client sent a frame or message over the limit.
fn is_too_big(error: &SocketError) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = source {
        if let Some(tungstenite) = error.downcast_ref::<tokio_tungstenite::tungstenite::Error>() {
            return matches!(
                tungstenite,
                tokio_tungstenite::tungstenite::Error::Capacity(_)
            );
        }
        source = error.source();
    }
    false
}
