//! The room task: receive → apply → journal → publish, and nothing else.
//!
//! A command is applied to the pure engine at once, so the next bid is judged against the
//! new price; its event then waits in `pending` until the journal reports it durable, and
//! only then is it answered, broadcast and shown in snapshots. Snapshots are built from
//! the published state, so a member never sees an event that could still be lost.
//!
//! The task keeps the loop and the commands; what it remembers between them is in parts
//! of their own: the events awaiting the journal ([`durability`]), the recent frames for
//! replays ([`replay`]), the answers to bids sent again ([`answers`]), and who is in the
//! room ([`members`]).

use std::sync::Arc;

use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until};

use crate::auction::{ClosedEvent, LotState, Rejection, Room, RoomEvent, Sequenced};
use crate::clock::Clock;
use crate::domain::{AccountId, LotId, Role};
use crate::limits::{ENDED_ROOM_LINGER_MS, PRESENCE_INTERVAL, REMOTE_MEMBERS_TTL_MS};
use crate::money::{AmountError, Money};
use crate::realtime::protocol::{Answer, BidDetails, EventBody, Req, RoomFrame, Snapshot, View};
use crate::storage::{JournalRow, Lot, RosterEntry, Store};

use super::LotView;
use super::command::{CatchUp, ControlAction, Joined, Member, Replier, RoomCommand};
use super::events::{self, EventContext};
use super::journal::{Durability, Journal};
use super::lease::RoomLease;
use super::settle::{self, LotEnd};
use super::snapshot::{Published, SnapshotParts, bidder_standing, snapshot};

mod answers;
mod durability;
#[cfg(test)]
mod fixtures;
mod members;
mod replay;
#[cfg(test)]
mod tests;

use answers::{BidAnswer, RememberedAnswers};
use durability::{PendingEvent, PendingEvents, Waiter};
use members::Members;
use replay::ReplayWindow;

/// One lot's room: its engine, what it has published, and one of each part.
pub struct RoomTask {
    lot: LotId,
    currency: Arc<str>,
    engine: Room,
    clock: Clock,
    store: Arc<dyn Store>,
    journal: Journal,
    /// The room's lease: its epoch fences the journal, its validity bounds how long the
    /// room may act without a renewal.
    lease: Arc<RoomLease>,
    /// Applied, not yet durable.
    pending: PendingEvents,
    published: Published,
    bid_count: u64,
    replay: ReplayWindow,
    events: broadcast::Sender<Arc<RoomFrame>>,
    view: watch::Sender<LotView>,
    members: Members,
    answers: RememberedAnswers,
    stopping: bool,
    /// Becomes true when the server stops.
    shutdown: Option<watch::Receiver<bool>>,
    /// When the room closed or was cancelled: it ends `ENDED_ROOM_LINGER_MS` later.
    ended_at_ms: Option<i64>,
    metrics: BidMetrics,
}

/// The metrics every bid touches, registered once a room so that a bid costs no registry
/// lookup: `bidroom_bid_ack_seconds{outcome}` times a bid's first answer from when its
/// session read it (an accepted bid's includes its commit), `bidroom_bid_commit_seconds`
/// from the room judging it to its commit.
struct BidMetrics {
    accepted: metrics::Counter,
    commit_seconds: metrics::Histogram,
    ack_accepted_seconds: metrics::Histogram,
    ack_rejected_seconds: metrics::Histogram,
}

impl BidMetrics {
    fn register() -> BidMetrics {
        BidMetrics {
            accepted: metrics::counter!("bidroom_bids_accepted_total"),
            commit_seconds: metrics::histogram!("bidroom_bid_commit_seconds"),
            ack_accepted_seconds: metrics::histogram!("bidroom_bid_ack_seconds", "outcome" => "accepted"),
            ack_rejected_seconds: metrics::histogram!("bidroom_bid_ack_seconds", "outcome" => "rejected"),
        }
    }
}

/// Why a room's task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomExit {
    /// Its lot closed or was cancelled, and late joiners have had their while.
    Ended,
    /// The server is stopping; everything the room applied is durable.
    Stopped,
    /// Its lease was taken by another node, or ran out unrenewed.
    Lost,
    /// The journal writer stopped under it.
    JournalStopped,
}

/// What a room starts from: a fresh published lot or one rebuilt from the journal.
pub struct RoomStart {
    pub lot: Lot,
    pub engine: Room,
    pub roster: Vec<RosterEntry>,
    /// The journal's recent events (oldest first), for replays and `recent_bids`.
    pub history: Vec<JournalRow>,
    pub bid_count: u64,
    /// Accepted bids' (account, req, seq), for idempotent replays across a restart.
    pub accepted_requests: Vec<(AccountId, Req, u64)>,
}

impl RoomTask {
    pub fn new(
        start: RoomStart,
        clock: Clock,
        store: Arc<dyn Store>,
        journal: Journal,
        lease: Arc<RoomLease>,
    ) -> (
        RoomTask,
        mpsc::UnboundedReceiver<Durability>,
        watch::Receiver<LotView>,
    ) {
        let (pending, committed_rx) = PendingEvents::new(lease.epoch);
        let (events, _) = broadcast::channel(crate::limits::ROOM_BROADCAST_CAPACITY);
        let RoomStart {
            lot,
            mut engine,
            roster,
            history,
            bid_count,
            accepted_requests,
        } = start;
        let mut members = Members::new(lot.auctioneer_id);
        for entry in roster {
            members.set_name(entry.bidder.account, &entry.display_name);
            engine.upsert_bidder(entry.bidder);
        }
        let published = Published::of(&engine);
        let (view, view_rx) = watch::channel(published.view(bid_count));
        let mut task = RoomTask {
            lot: lot.id,
            currency: Arc::from(lot.currency.as_str()),
            engine,
            clock,
            store,
            journal,
            lease,
            pending,
            published,
            bid_count,
            replay: ReplayWindow::new(),
            events,
            view,
            members,
            answers: RememberedAnswers::new(),
            stopping: false,
            shutdown: None,
            ended_at_ms: None,
            metrics: BidMetrics::register(),
        };
        for row in history {
            let frame = RoomFrame::new(events::body_from_row(&task.event_context(), &row));
            task.replay.remember(frame);
        }
        for (account, req, seq) in accepted_requests {
            task.answers
                .remember(account, req, BidAnswer::Accepted { seq });
        }
        (task, committed_rx, view_rx)
    }

    /// The room stops taking commands once `shutdown` turns true (the server stops), and
    /// ends when what it applied is durable.
    pub fn stop_on(&mut self, shutdown: watch::Receiver<bool>) {
        self.shutdown = Some(shutdown);
    }

    /// Runs the room until it ends. The task lives on after it (its members' subscriptions
    /// with it) until the caller drops it: what ended it is recorded first.
    pub async fn run(
        &mut self,
        mut inbox: mpsc::Receiver<RoomCommand>,
        mut committed: mpsc::UnboundedReceiver<Durability>,
    ) -> RoomExit {
        let mut presence = tokio::time::interval(PRESENCE_INTERVAL);
        presence.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut lease_news = self.lease.watch();
        let mut shutdown = self.shutdown.take();
        loop {
            if shutdown.as_ref().is_some_and(|shutdown| *shutdown.borrow()) {
                self.stopping = true;
            }
            if self.stopping && self.pending.is_empty() {
                return match self.ended_at_ms {
                    Some(_) => RoomExit::Ended,
                    None => RoomExit::Stopped,
                };
            }
            // A room acts only while its lease is valid: past its validity another node may
            // hold it, so commands and timers wait for the next renewal (a database outage
            // is waited out) or for the news that the lease is lost.
            let standing = self.lease.standing();
            if standing.lost {
                return self.lost("another node holds its lease");
            }
            let acting = standing.valid_at(self.clock.now_ms());
            // One timer: the room's next due time, or the lease's validity if that runs out
            // first (waking for it only re-checks the lease; `on_timer` acts on what is due).
            let validity = self.clock.instant_at(standing.valid_until_ms);
            let wake_at = acting.then(|| {
                self.next_wake()
                    .map_or(validity, |wake_at| wake_at.min(validity))
            });
            tokio::select! {
                biased;
                Some(notice) = committed.recv() => match notice {
                    Durability::Committed(seq) => self.publish_through(seq),
                    Durability::Refused { rewinds, from_seq } => self.rewind(rewinds, from_seq),
                    Durability::Fenced => return self.lost("another node has taken its lease"),
                },
                _ = lease_news.changed(), if !acting => {}
                _ = changed(&mut shutdown), if !self.stopping => {}
                command = inbox.recv(), if !self.stopping && acting => match command {
                    Some(command) => {
                        self.handle(command);
                        // Take whatever else is waiting, so one journal batch carries it all.
                        while self.pending.unjournaled_rows() < crate::limits::JOURNAL_MAX_BATCH_ROWS {
                            match inbox.try_recv() {
                                Ok(command) => self.handle(command),
                                Err(_) => break,
                            }
                        }
                    }
                    None => self.stopping = true,
                },
                () = sleep_until(wake_at.unwrap_or_else(far_future)), if wake_at.is_some() && !self.stopping => {
                    if self.lease.standing().valid_at(self.clock.now_ms()) {
                        self.on_timer();
                    }
                }
                _ = presence.tick(), if self.members.has_monitors() => self.send_presence(),
            }
            if let Some(batch) = self.pending.take_batch()
                && self.journal.append(batch).await.is_err()
            {
                tracing::error!(lot = self.lot, "the journal has stopped; the room stops");
                return RoomExit::JournalStopped;
            }
        }
    }

    /// The room no longer holds its lease: nothing it has not published will be, and
    /// nobody waiting hears from it (a client sends its bid again to the room's new owner).
    fn lost(&mut self, why: &'static str) -> RoomExit {
        tracing::warn!(lot = self.lot, why, "the room has lost its lease and stops");
        metrics::counter!("bidroom_rooms_lost_total").increment(1);
        self.pending.abandon();
        RoomExit::Lost
    }

    /// The room starts on this node: after an outage, with SPEC §2's recovery rule
    /// ([`RoomTask::recover`]); handed over by a node that stopped on purpose, it goes on
    /// with its deadline, unless that passed in the moment between (bids sent then may be
    /// waiting to be resent, and the rule keeps the room from closing on them).
    pub fn take_over(&mut self, handed_over: bool) -> Option<oneshot::Receiver<()>> {
        let deadline_passed = self.engine.state() == LotState::Open
            && self.engine.deadline_ms() <= self.clock.now_ms();
        if handed_over && !deadline_passed {
            return None;
        }
        self.recover()
    }

    /// After a restart: SPEC §2's recovery extension, if the deadline passed during the
    /// outage or is less than W away. The receiver hears once the extension is durable (so
    /// that no snapshot shows the passed deadline), or is dropped if the journal refuses it.
    fn recover(&mut self) -> Option<oneshot::Receiver<()>> {
        let event = self.engine.recover(self.clock.now_ms())?;
        let (durable, heard) = oneshot::channel();
        self.applied(event, None, vec![Waiter::Durable(durable)]);
        Some(heard)
    }

    fn next_wake(&self) -> Option<Instant> {
        let wake_ms = match (self.ended_at_ms, self.engine.state()) {
            (Some(ended_at_ms), _) => ended_at_ms + ENDED_ROOM_LINGER_MS,
            (None, LotState::Published) => self.engine.rules().starts_at_ms,
            (None, LotState::Open) => self.engine.deadline_ms(),
            _ => return None,
        };
        Some(
            self.clock
                .instant_at(wake_ms.max(self.pending.timers_paused_until_ms())),
        )
    }

    fn on_timer(&mut self) {
        let now_ms = self.clock.now_ms();
        // Woken before a rewound room's timers resume (for the lease's validity, say).
        if now_ms < self.pending.timers_paused_until_ms() {
            return;
        }
        if self
            .ended_at_ms
            .is_some_and(|ended_at_ms| now_ms >= ended_at_ms + ENDED_ROOM_LINGER_MS)
        {
            // Late joiners now get their snapshot from the database.
            self.stopping = true;
            return;
        }
        match self.engine.state() {
            LotState::Published if now_ms >= self.engine.rules().starts_at_ms => {
                if let Ok(event) = self.engine.open(now_ms) {
                    self.applied(event, None, Vec::new());
                }
            }
            LotState::Open => {
                if let Some(event) = self.engine.close_if_due(now_ms) {
                    self.applied(event, None, Vec::new());
                }
            }
            _ => {}
        }
    }

    fn handle(&mut self, command: RoomCommand) {
        match command {
            RoomCommand::Join {
                member,
                since_seq,
                req,
                reply,
                ..
            } => {
                let joined = self.join(member, since_seq, req);
                let _ = reply.send(joined);
            }
            RoomCommand::Leave { connection } => self.members.leave(connection),
            RoomCommand::Bid {
                account,
                verified,
                amount,
                req,
                reply,
                received_at,
            } => self.bid(account, verified, amount, req, reply, received_at),
            RoomCommand::Control {
                action,
                account,
                role,
                text,
                req,
                reply,
            } => self.control(action, account, role, text, req, reply),
            RoomCommand::Roster(entry) => {
                self.members
                    .set_name(entry.bidder.account, &entry.display_name);
                self.engine.upsert_bidder(entry.bidder);
            }
            RoomCommand::RemoteMembers { node, members } => {
                self.members.set_remote(node, members, self.clock.now_ms());
            }
        }
    }

    fn bid(
        &mut self,
        account: AccountId,
        verified: bool,
        amount: Result<Money, AmountError>,
        req: Req,
        reply: Replier,
        received_at: Instant,
    ) {
        match self.answers.get(account, &req) {
            Some(BidAnswer::Rejected(rejection)) => {
                return self.answer_rejected(&reply, &req, rejection);
            }
            Some(BidAnswer::Accepted { seq }) => {
                return self.answer_accepted_again(seq, req, reply, received_at);
            }
            None => {}
        }
        let now_ms = self.clock.now_ms();
        match self.engine.place_bid(account, verified, amount, now_ms) {
            Ok(event) => {
                self.answers
                    .remember(account, req.clone(), BidAnswer::Accepted { seq: event.seq });
                let waiter = Waiter::Bid {
                    req: req.clone(),
                    reply,
                    received_at,
                };
                self.applied(event, Some(req.0), vec![waiter]);
            }
            Err(rejection) => {
                metrics::counter!("bidroom_bids_rejected_total", "code" => rejection.code())
                    .increment(1);
                self.answers
                    .remember(account, req.clone(), BidAnswer::Rejected(rejection));
                self.answer_rejected(&reply, &req, rejection);
                self.metrics
                    .ack_rejected_seconds
                    .record(received_at.elapsed().as_secs_f64());
            }
        }
    }

    /// A repeated bid: answered as the first time, once its event is durable.
    fn answer_accepted_again(&mut self, seq: u64, req: Req, reply: Replier, received_at: Instant) {
        if seq > self.published.seq {
            let waiter = Waiter::Bid {
                req,
                reply,
                received_at,
            };
            self.pending.add_waiter(seq, waiter);
            return;
        }
        match self.replay.bid(seq) {
            Some(bid) => self.answer_accepted(&reply, &req, bid),
            None => {
                // Older than the replay window: look the bid up in the journal.
                let store = self.store.clone();
                let lot = self.lot;
                tokio::spawn(async move {
                    let rows = store.lot_bids(lot, seq.saturating_sub(1), 1).await;
                    match rows.ok().and_then(|rows| rows.into_iter().next()) {
                        Some(row) if row.seq == seq => reply.send(&Answer::Accepted {
                            req: &req,
                            lot,
                            seq,
                            amount: row.amount.unwrap_or_default(),
                            bidder: row.bidder_number.as_deref().unwrap_or_default(),
                            at_ms: row.at_ms,
                            deadline_ms: row.deadline_ms,
                        }),
                        _ => reply.send(&Answer::Error {
                            code: "internal",
                            message: "the earlier answer could not be read",
                            req: Some(&req),
                        }),
                    }
                });
            }
        }
    }

    fn answer_rejected(&self, reply: &Replier, req: &Req, rejection: Rejection) {
        reply.send(&Answer::Rejected {
            req,
            lot: self.lot,
            code: rejection.code(),
            message: rejection.message(),
            min_next: rejection.min_next(),
            reason: rejection.reason().map(|reason| reason.as_str()),
        });
    }

    fn answer_accepted(&self, reply: &Replier, req: &Req, bid: &BidDetails) {
        reply.send(&Answer::Accepted {
            req,
            lot: self.lot,
            seq: bid.seq,
            amount: bid.amount,
            bidder: &bid.bidder,
            at_ms: bid.at_ms,
            deadline_ms: bid.deadline_ms,
        });
    }

    fn control(
        &mut self,
        action: ControlAction,
        account: AccountId,
        role: Role,
        text: Option<Arc<str>>,
        req: Option<Req>,
        reply: Replier,
    ) {
        if !self.members.may_control(account, role) {
            reply.send(&Answer::Error {
                code: "forbidden",
                message: "only the lot's auctioneer or an admin may do this",
                req: req.as_ref(),
            });
            return;
        }
        let now_ms = self.clock.now_ms();
        let outcome = match action {
            ControlAction::Pause => self.engine.pause(text, now_ms),
            ControlAction::Resume => self.engine.resume(text, now_ms),
            ControlAction::Cancel => self.engine.cancel(text, now_ms),
            ControlAction::Announce => self
                .engine
                .announce(text.unwrap_or_else(|| Arc::from("")), now_ms),
        };
        match outcome {
            Ok(event) => self.applied(event, None, vec![Waiter::Control { req, reply }]),
            Err(rejection) => {
                let message = match (action, rejection) {
                    (ControlAction::Resume, Rejection::NotOpen) => "the lot is not paused",
                    _ => rejection.message(),
                };
                reply.send(&Answer::Error {
                    code: rejection.code(),
                    message,
                    req: req.as_ref(),
                })
            }
        }
    }

    /// An event the engine applied: journal it, and hold it until it is durable.
    /// `bid_req` is the `req` an accepted bid came with, journaled for replays after a restart.
    fn applied(&mut self, event: Sequenced, bid_req: Option<Arc<str>>, waiting: Vec<Waiter>) {
        let mut row = events::journal_row(self.lot, &self.engine, &event);
        row.req = bid_req;
        let after = Published::of(&self.engine);
        self.pending.applied(row, event, after, waiting);
    }

    /// The journal refused this room's events from `from_seq` on (of its batches after
    /// `rewinds` rewinds): none of them, nor any later event applied on top of them, will
    /// ever be stored. Whoever waits on one hears that it was not placed, and the engine
    /// goes back to the last durable state, which is all that members have seen.
    fn rewind(&mut self, rewinds: u64, from_seq: u64) {
        if !self.pending.refused(rewinds, from_seq, self.clock.now_ms()) {
            // Rows applied before the room last rewound: already answered.
            return;
        }
        // A refused bid sent again is judged anew.
        self.answers.forget_accepted_from(from_seq);
        self.engine.rewind(self.published.restore_point());
    }

    /// The journal made every event up to `seq` durable: publish them in order.
    fn publish_through(&mut self, seq: u64) {
        while let Some(pending) = self.pending.pop_durable(seq) {
            self.publish(pending);
        }
    }

    fn publish(&mut self, pending: PendingEvent) {
        let PendingEvent {
            event,
            mut after,
            waiting,
            applied_at,
        } = pending;
        let body = events::event_body(&self.event_context(), &event);
        if let RoomEvent::Closed(closed) = &event.event {
            after.result = Some(closed.result);
        }
        self.published = after;
        if let RoomEvent::Bid { .. } = &event.event {
            self.bid_count += 1;
        }
        // REST shows the event no later than any member hears of it.
        self.publish_view();
        let frame = RoomFrame::new(body.clone());
        self.replay.remember(frame.clone());
        // No receivers is not an error: nobody is watching.
        let _ = self.events.send(frame);
        for waiter in waiting {
            match (waiter, &body) {
                (
                    Waiter::Bid {
                        req,
                        reply,
                        received_at,
                    },
                    EventBody::Bid(bid),
                ) => {
                    self.answer_accepted(&reply, &req, bid);
                    self.metrics
                        .ack_accepted_seconds
                        .record(received_at.elapsed().as_secs_f64());
                }
                (Waiter::Control { req, reply }, body) => reply.send_event(body, req),
                (Waiter::Durable(durable), _) => {
                    let _ = durable.send(());
                }
                (Waiter::Bid { .. }, _) => debug_assert!(false, "a bid waiter on a non-bid event"),
            }
        }
        match &event.event {
            RoomEvent::Bid { .. } => {
                self.metrics.accepted.increment(1);
                self.metrics
                    .commit_seconds
                    .record(applied_at.elapsed().as_secs_f64());
            }
            RoomEvent::Closed(closed) => {
                self.ended_at_ms = Some(event.at_ms);
                self.settle(closed.clone());
            }
            RoomEvent::State {
                state: LotState::Cancelled,
                ..
            } => {
                self.ended_at_ms = Some(event.at_ms);
                self.release_deposits();
            }
            _ => {}
        }
    }

    fn join(&mut self, member: Member, since_seq: Option<u64>, req: Option<Req>) -> Joined {
        let view = if self.members.is_monitor(member.account, member.role) {
            View::Monitor
        } else {
            View::Public
        };
        let events = self.events.subscribe();
        let (account, role) = (member.account, member.role);
        self.members.join(member);
        let catch_up =
            match since_seq.and_then(|since| self.replay.missed_since(since, self.published.seq)) {
                Some(missed) => CatchUp::Replay(missed),
                None => CatchUp::Snapshot(Box::new(self.snapshot(account, role, view, req))),
            };
        Joined {
            catch_up,
            events,
            view,
            skip_through: None,
        }
    }

    fn event_context(&self) -> EventContext<'_> {
        EventContext {
            lot: self.lot,
            extension_window_ms: self.engine.rules().extension_window_ms,
            names: self.members.names(),
        }
    }

    fn snapshot(&self, account: AccountId, role: Role, view: View, req: Option<Req>) -> Snapshot {
        let you = match view {
            View::Monitor => {
                let now_ms = self.clock.now_ms();
                self.members
                    .monitor_standing(account, role, &self.engine, now_ms)
            }
            View::Public => bidder_standing(self.engine.bidder(account), self.clock.now_ms()),
        };
        snapshot(SnapshotParts {
            lot: self.lot,
            currency: self.currency.clone(),
            rules: self.engine.rules(),
            published: &self.published,
            recent_bids: self
                .replay
                .recent_bids()
                .map(|bid| bid.view(view == View::Monitor))
                .collect(),
            you,
            now_ms: self.clock.now_ms(),
            req,
        })
    }

    fn send_presence(&mut self) {
        let now_ms = self.clock.now_ms();
        // A node that stopped reporting (gone, or cut off) no longer counts.
        self.members
            .forget_remote_before(now_ms - REMOTE_MEMBERS_TTL_MS);
        let frame = RoomFrame::new(self.members.presence(self.lot, &self.engine, now_ms));
        let _ = self.events.send(frame);
    }

    fn publish_view(&self) {
        self.view.send_replace(self.published.view(self.bid_count));
    }

    fn settle(&self, closed: ClosedEvent) {
        settle::spawn(
            self.store.clone(),
            self.clock,
            self.lot,
            LotEnd::Closed(closed),
        );
    }

    fn release_deposits(&self) {
        settle::spawn(self.store.clone(), self.clock, self.lot, LotEnd::Cancelled);
    }
}

/// Resolves when the watched value changes (never, without a watch).
async fn changed(watch: &mut Option<watch::Receiver<bool>>) {
    if let Some(watch) = watch
        && watch.changed().await.is_ok()
    {
        return;
    }
    std::future::pending().await
}

fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(86_400 * 365)
}
