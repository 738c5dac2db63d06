//! One WebSocket connection: authenticate, then serve joins, bids and pings while
//! forwarding the events of the rooms it has joined.
//!
//! Generic over `Sink`/`Stream` so that tests can drive it over channels. Its loop
//! `select!`s on what ends it from outside (shutdown, sign-out, the session's expiry),
//! answers from rooms, client frames and room events. Writes are coalesced: whatever is
//! ready is fed, then flushed once; a write the client does not take in time closes it.

use std::collections::HashMap;
use std::future::poll_fn;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message};
use futures_util::{FutureExt, Sink, SinkExt, Stream, StreamExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;
use tokio_stream::StreamMap;
use tokio_stream::wrappers::BroadcastStream;
use tokio_stream::wrappers::errors::BroadcastStreamRecvError;
use tracing::Instrument;

use crate::app::AppState;
use crate::domain::{AccountId, LotId, Role};
use crate::limits::{AUTH_TIMEOUT, CLOSE_FRAME_TIMEOUT, MAX_FRAMES_PER_FLUSH};
use crate::rooms::{
    CatchUp, ConnectionId, ControlAction, EndedJoin, Joined, Member, Replier, RoomCommand,
    RoomInbox,
};
use crate::security::hash_token;
use crate::storage::Account;

use super::close;
use super::connections::{SessionWatch, Slot};
use super::protocol::{Answer, ClientMessage, Control, Encoding, Envelope, Req, RoomFrame, View};
use super::rate::RateLimit;
use super::woken::Woken;

type SocketError = axum::Error;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

const NO_LIVE_ROOM: &str = "the lot has no live room: it is not published, or it has ended";

/// Runs a connection until the client leaves, breaks the protocol, or the server stops.
/// Every line it logs carries its `connection_id` (the id rooms know it by).
pub async fn run<S>(socket: S, state: AppState, encoding: Encoding)
where
    S: Sink<Message, Error = SocketError> + Stream<Item = Result<Message, SocketError>> + Unpin,
{
    let connection = NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed);
    let span = tracing::info_span!("websocket", connection_id = connection);
    run_connection(socket, state, encoding, connection)
        .instrument(span)
        .await
}

async fn run_connection<S>(socket: S, state: AppState, encoding: Encoding, connection: ConnectionId)
where
    S: Sink<Message, Error = SocketError> + Stream<Item = Result<Message, SocketError>> + Unpin,
{
    metrics::gauge!("bidroom_connections").increment(1.0);
    let mut socket = socket;
    if let Some(signed_in) = authenticate(&mut socket, &state, encoding).await {
        let SignedIn {
            account,
            expires_at_ms,
            signed_out,
            account_slot,
        } = signed_in;
        let ends = ended_from_outside(
            state.shutdown.clone(),
            signed_out,
            state.clock.instant_at(expires_at_ms),
        );
        let (outbox, answers) = mpsc::unbounded_channel();
        let session = Session {
            connection,
            account,
            replier: Replier { outbox, encoding },
            bid_rate_limit: RateLimit::new(state.config.bid_rate_limit),
            join_rate_limit: RateLimit::new(state.config.join_rate_limit),
            write_timeout: Duration::from_secs(state.config.ws_write_timeout_secs.max(1)),
            joined: HashMap::new(),
            events: Woken::new(StreamMap::new()),
            room_moved: false,
            state,
        };
        session.serve(socket, answers, ends).await;
        drop(account_slot);
    }
    metrics::gauge!("bidroom_connections").decrement(1.0);
}

/// An authenticated connection's account, its session's end, and its place under the
/// account's connection cap.
struct SignedIn {
    account: Account,
    expires_at_ms: i64,
    signed_out: SessionWatch,
    account_slot: Slot<AccountId>,
}

/// The first message must be `auth` with a valid token within 10 s, else 4401; an account
/// over its connection cap is closed with 4429.
async fn authenticate<S>(socket: &mut S, state: &AppState, encoding: Encoding) -> Option<SignedIn>
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
    let token_hash = hash_token(&token);
    // Watched before the session is read: a sign-out that deletes it after the read still
    // reaches this socket, and one before the read leaves nothing to read.
    let signed_out = state.connections.watch_session(&token_hash);
    let session = match state.session(&token_hash).await {
        Ok(Some(session)) => session,
        _ => return close_with(socket, close::NOT_AUTHENTICATED, "invalid or expired token").await,
    };
    let Some(account_slot) = state.connections.admit_account(session.account.id) else {
        metrics::counter!("bidroom_connections_refused_total", "limit" => "account").increment(1);
        return close_with(
            socket,
            close::TOO_MANY_CONNECTIONS,
            "this account holds the most connections it may",
        )
        .await;
    };
    let account = session.account;
    tracing::debug!(account = account.id, "authenticated");
    let welcome = Answer::Welcome {
        account_id: account.id,
        role: account.role,
        server_time_ms: state.clock.now_ms(),
        req: req.as_ref(),
    };
    socket.send(encoding.encode(&welcome)).await.ok()?;
    Some(SignedIn {
        account,
        expires_at_ms: session.expires_at_ms,
        signed_out,
        account_slot,
    })
}

/// What ends a session from outside it: the server stopping, the session signed out, or
/// its expiry.
async fn ended_from_outside(
    mut shutdown: watch::Receiver<bool>,
    mut signed_out: SessionWatch,
    expires_at: Instant,
) -> Ending {
    let ending = tokio::select! {
        _ = shutdown.wait_for(|stopping| *stopping) => {
            return Ending::Close(close::GOING_AWAY, "the server is shutting down");
        }
        () = signed_out.signed_out() => ("signed_out", "the session was signed out"),
        () = tokio::time::sleep_until(expires_at) => ("session_expired", "the session expired"),
    };
    let (reason, message) = ending;
    metrics::counter!("bidroom_connections_closed_total", "reason" => reason).increment(1);
    Ending::Close(close::NOT_AUTHENTICATED, message)
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

/// Sends a close frame, giving up after a second: a client that stopped reading never
/// takes it, and its connection is dropped all the same.
async fn close_with<S, T>(socket: &mut S, code: u16, reason: &str) -> Option<T>
where
    S: Sink<Message, Error = SocketError> + Unpin,
{
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(
        CLOSE_FRAME_TIMEOUT,
        socket.send(Message::Close(Some(frame))),
    )
    .await;
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
    /// How long one write may wait for the client (`--ws-write-timeout-secs`).
    write_timeout: Duration,
    /// The rooms this connection has joined, with the view it has in each.
    joined: HashMap<LotId, JoinedRoom>,
    /// Polled only when one of them has woken (see [`Woken`]).
    events: Woken<StreamMap<LotId, RoomEvents>>,
    /// A joined room moved to another node: the client must reconnect.
    room_moved: bool,
}

/// A room this connection has joined.
struct JoinedRoom {
    room: RoomInbox,
    view: View,
    /// Events up to this seq came with the catch-up (see [`Joined::skip_through`]).
    skip_through: Option<u64>,
}

/// A joined room's events, then `None` once the room's task has ended.
type RoomEvents = futures_util::stream::Chain<
    futures_util::stream::Map<BroadcastStream<Arc<RoomFrame>>, fn(RoomItem) -> Option<RoomItem>>,
    futures_util::stream::Iter<std::array::IntoIter<Option<RoomItem>, 1>>,
>;

type RoomItem = Result<Arc<RoomFrame>, BroadcastStreamRecvError>;

fn room_events(events: tokio::sync::broadcast::Receiver<Arc<RoomFrame>>) -> RoomEvents {
    BroadcastStream::new(events)
        .map(Some as fn(RoomItem) -> Option<RoomItem>)
        .chain(futures_util::stream::iter([None]))
}

/// What ends a session.
enum Ending {
    ClientLeft,
    Close(u16, &'static str),
}

impl Session {
    async fn serve<S>(
        mut self,
        socket: S,
        answers: mpsc::UnboundedReceiver<Message>,
        ends: impl Future<Output = Ending>,
    ) where
        S: Sink<Message, Error = SocketError> + Stream<Item = Result<Message, SocketError>> + Unpin,
    {
        // Each source is polled only once it has woken: a wake-up for a room event does
        // not read the socket, look at the answers or at what would end the session.
        let mut socket = Woken::new(socket);
        let mut answers = Woken::new(answers);
        let ends = pin!(ends);
        let mut ends = Woken::new(ends);
        let ending = loop {
            // In this order: the end of the session; answers (a join's catch-up among them)
            // before any room event, so that a newer event never overtakes the catch-up it
            // follows; the client's frames before room events, so that a busy room cannot
            // starve its bids.
            tokio::select! {
                biased;
                ending = &mut ends => break ending,
                Some(answer) = poll_fn(|cx| answers.poll_with(cx, mpsc::UnboundedReceiver::poll_recv)) => {
                    if let Err(ending) = self.deliver(&mut socket, answer, &mut answers, Pin::new(&mut ends)).await {
                        break ending;
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
                Some((lot, event)) = self.events.next(), if !self.events.get_ref().is_empty() => {
                    let Some(message) = self.event_message(lot, event).await else {
                        if self.room_moved {
                            break Ending::Close(
                                close::ROOM_MOVED,
                                "a room moved to another node: reconnect and join again",
                            );
                        }
                        continue;
                    };
                    if let Err(ending) = self.deliver(&mut socket, message, &mut answers, Pin::new(&mut ends)).await {
                        break ending;
                    }
                }
            }
        };
        if let Ending::Close(code, reason) = ending {
            let _: Option<()> = close_with(&mut socket, code, reason).await;
        }
        for JoinedRoom { room, .. } in self.joined.values() {
            room.send(RoomCommand::Leave {
                connection: self.connection,
            })
            .await;
        }
    }

    /// Writes (see [`Session::write`]) unless the session ends meanwhile. A client that
    /// does not take the write within the write timeout cannot keep up: 4408. While a
    /// write waits, room events pile up in the room's shared ring, not here; a member that
    /// falls behind it is resynchronised with a snapshot.
    ///
    /// Nearly every write is taken by the socket at once: it is tried first with no timer
    /// and no race with the session's end (a timer set and cancelled for every write cost
    /// two timer-wheel locks per delivery). Only a write that has to wait is timed, from
    /// when it first waited.
    async fn deliver<S>(
        &mut self,
        socket: &mut S,
        first: Message,
        answers: &mut Woken<mpsc::UnboundedReceiver<Message>>,
        ends: Pin<&mut impl Future<Output = Ending>>,
    ) -> Result<(), Ending>
    where
        S: Sink<Message, Error = SocketError> + Unpin,
    {
        let write_timeout = self.write_timeout;
        let connection = self.connection;
        let mut write = pin!(self.write(socket, first, answers));
        if let Some(written) = write.as_mut().now_or_never() {
            return written.map_err(|_| Ending::ClientLeft);
        }
        tokio::select! {
            biased;
            ending = ends => Err(ending),
            written = tokio::time::timeout(write_timeout, write) => {
                match written {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(_)) => Err(Ending::ClientLeft),
                    Err(_) => {
                        metrics::counter!("bidroom_connections_closed_total", "reason" => "too_slow")
                            .increment(1);
                        tracing::debug!(connection, "member too slow; closing");
                        Err(Ending::Close(
                            close::TOO_SLOW,
                            "the connection could not keep up with its rooms",
                        ))
                    }
                }
            }
        }
    }

    /// Writes one message and whatever else is ready (up to a limit), then flushes once.
    async fn write<S>(
        &mut self,
        socket: &mut S,
        first: Message,
        answers: &mut Woken<mpsc::UnboundedReceiver<Message>>,
    ) -> Result<(), SocketError>
    where
        S: Sink<Message, Error = SocketError> + Unpin,
    {
        socket.feed(first).await?;
        let mut written = 1;
        while written < MAX_FRAMES_PER_FLUSH {
            if let Ok(answer) = answers.get_mut().try_recv() {
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
    async fn event_message(&mut self, lot: LotId, event: Option<RoomItem>) -> Option<Message> {
        let (view, skip_through) = self
            .joined
            .get(&lot)
            .map(|joined| (joined.view, joined.skip_through))?;
        let Some(event) = event else {
            // The room's task ended: its lot ended long enough ago (its members have had
            // every event), or the room moved to another node.
            self.room_moved |= self.state.rooms.moved_away(lot);
            return None;
        };
        match event {
            Ok(frame) if frame.monitors_only && view != View::Monitor => None,
            Ok(frame) if frame.seq.is_some_and(|seq| Some(seq) <= skip_through) => None,
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
        if let Some(refusal) = self.standing_refuses(&message) {
            return self.refuse(message, refusal);
        }
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
                if let Some(JoinedRoom { room, .. }) = self.joined.remove(&lot) {
                    self.events.changed().remove(&lot);
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

    /// What the account's standing forbids on every room at once, as REST's guard does
    /// (`crate::http::guard`): an account that must change its password may only ping and
    /// leave; a supervisor joins and watches (with the monitor view) but never bids nor
    /// controls a room. The standing is the one read at `auth`: after a password change,
    /// a client authenticates again.
    fn standing_refuses(&self, message: &ClientMessage) -> Option<(&'static str, &'static str)> {
        let harmless = matches!(
            message,
            ClientMessage::Ping { .. } | ClientMessage::Leave { .. } | ClientMessage::Auth { .. }
        );
        if self.account.must_change_password && !harmless {
            return Some((
                "password_change_required",
                "change your password first (POST /api/v1/me/password), then authenticate again",
            ));
        }
        let writes = !harmless && !matches!(message, ClientMessage::Join { .. });
        if self.account.role == Role::Supervisor && writes {
            return Some(("forbidden", "a supervisor may only watch"));
        }
        None
    }

    /// Answers a refused message: a bid with `rejected`, anything else with `error`.
    fn refuse(&self, message: ClientMessage, (code, text): (&'static str, &'static str)) {
        match message {
            ClientMessage::Bid { lot, req, .. } => self.reject(lot, &req, code, text),
            ClientMessage::Join { req, .. } | ClientMessage::Announce { req, .. } => {
                self.error(code, text, req.as_ref())
            }
            ClientMessage::Pause(control)
            | ClientMessage::Resume(control)
            | ClientMessage::Cancel(control) => self.error(code, text, control.req.as_ref()),
            ClientMessage::Auth { req, .. }
            | ClientMessage::Leave { req, .. }
            | ClientMessage::Ping { req, .. } => self.error(code, text, req.as_ref()),
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
        let Some(room) = self.reach(lot, true).await else {
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
                encoding: self.replier.encoding,
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
            skip_through,
        }) = joined.await
        else {
            // The room ended meanwhile, or (owned by another node) could not be reached.
            let (code, message) = self.why_no_room(lot).await;
            return self.error(code, message, req.as_ref());
        };
        // The catch-up goes out before anything the new subscription carries: every event
        // up to the snapshot's seq is in it or before it, every later one follows it.
        match catch_up {
            CatchUp::Snapshot(snapshot) => self.answer(&Answer::Snapshot(&snapshot)),
            CatchUp::Encoded(message) => {
                let _ = self.replier.outbox.send(message);
            }
            CatchUp::Replay(frames) => {
                for frame in frames {
                    let _ = self
                        .replier
                        .outbox
                        .send(frame.message(view, self.replier.encoding));
                }
            }
        }
        self.events.changed().insert(lot, room_events(events));
        self.joined.insert(
            lot,
            JoinedRoom {
                room,
                view,
                skip_through,
            },
        );
    }

    /// A lot whose room is no longer in memory: its final snapshot (see
    /// [`crate::rooms::Rooms::ended_snapshot`]).
    async fn join_ended(&mut self, lot: LotId, req: Option<Req>) {
        let rooms = &self.state.rooms;
        match rooms.ended_snapshot(lot, &self.account, req.clone()).await {
            Ok(EndedJoin::Snapshot(snapshot)) => self.answer(&Answer::Snapshot(&snapshot)),
            Ok(EndedJoin::NoRoom) => {
                let (code, message) = self.why_no_room(lot).await;
                self.error(code, message, req.as_ref());
            }
            Ok(EndedJoin::NotFound) => self.error("not_found", "no such lot", req.as_ref()),
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
            metrics::counter!("bidroom_bids_rejected_total", "code" => "rate_limited", "limit" => "connection")
                .increment(1);
            return self.reject(
                lot,
                &req,
                "rate_limited",
                "too many bids from this connection; slow down",
            );
        }
        if !self.state.connections.try_take_account_bid(self.account.id) {
            metrics::counter!("bidroom_bids_rejected_total", "code" => "rate_limited", "limit" => "account")
                .increment(1);
            return self.reject(
                lot,
                &req,
                "rate_limited",
                "too many bids from this account across its connections; slow down",
            );
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
            received_at: tokio::time::Instant::now(),
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
        if matches!(action, ControlAction::Cancel)
            && self.account.role != Role::Bidder
            && !self.termination_announced(lot, req.as_ref()).await
        {
            return;
        }
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

    /// On an exchange that reviews announcements (`--require-announcement-review`), a lot
    /// is cancelled only once its termination announcement is approved; whether the
    /// `cancel` may go on (else it has been answered with an `error`).
    async fn termination_announced(&self, lot: LotId, req: Option<&Req>) -> bool {
        if !self.state.config.require_announcement_review {
            return true;
        }
        let kind = crate::storage::announcements::AnnouncementKind::Termination;
        match self.state.store.has_approved_announcement(lot, kind).await {
            Ok(true) => true,
            Ok(false) => {
                self.error(
                    "announcement_required",
                    "this exchange cancels a lot only with an approved termination announcement",
                    req,
                );
                false
            }
            Err(error) => {
                tracing::error!(lot, error = ?error, "failed to read the lot's announcements");
                self.error("internal", "the lot's announcements could not be read", req);
                false
            }
        }
    }

    /// Where commands for the lot's live room go: the room, when it runs here; its
    /// stand-in, when it runs on another node of the cluster (`joining`: see
    /// [`crate::cluster::Cluster::room_elsewhere`]).
    async fn reach(&self, lot: LotId, joining: bool) -> Option<RoomInbox> {
        if let Some(room) = self.state.rooms.room(lot) {
            return Some(room.inbox());
        }
        match &self.state.cluster {
            Some(cluster) => cluster.room_elsewhere(lot, joining).await,
            None => None,
        }
    }

    /// The lot's live room, or an `error` answer saying why there is none.
    async fn room(&self, lot: LotId, req: Option<&Req>) -> Option<RoomInbox> {
        match self.reach(lot, false).await {
            Some(room) => Some(room),
            None => {
                let (code, message) = self.why_no_room(lot).await;
                self.error(code, message, req);
                None
            }
        }
    }

    async fn room_for_bid(&self, lot: LotId, req: &Req) -> Option<RoomInbox> {
        if let Some(room) = self.reach(lot, false).await {
            return Some(room);
        }
        // A bid sent again once its room has gone is answered as the first time.
        match self
            .state
            .rooms
            .accepted_bid(lot, self.account.id, req)
            .await
        {
            Ok(Some(row)) => self.answer(&Answer::Accepted {
                req,
                lot,
                seq: row.seq,
                amount: row.amount.unwrap_or_default(),
                bidder: row.bidder_number.as_deref().unwrap_or_default(),
                at_ms: row.at_ms,
                deadline_ms: row.deadline_ms,
            }),
            Ok(None) => {
                let (code, message) = self.why_no_room(lot).await;
                self.reject(lot, req, code, message);
            }
            Err(error) => {
                tracing::error!(lot, error = ?error, "failed to read an earlier bid");
                self.error(
                    "internal",
                    "the earlier answer could not be read",
                    Some(req),
                );
            }
        }
        None
    }

    async fn why_no_room(&self, lot: LotId) -> (&'static str, &'static str) {
        match self.state.store.get_lot(lot).await {
            // Live, and its room not here: another server holds it, or it is being taken
            // over from one that died.
            Ok(Some(lot)) if lot.state.is_live() => (
                "unavailable",
                "the lot's room is not on this server now: it runs on another one, or is being taken over (try again in a moment)",
            ),
            Ok(Some(_)) => ("not_open", NO_LIVE_ROOM),
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
