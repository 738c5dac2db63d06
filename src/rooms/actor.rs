//! The room task: receive → apply → journal → publish, and nothing else.
//!
//! A command is applied to the pure engine at once, so the next bid is judged against the
//! new price; its event then waits in `pending` until the journal reports it durable, and
//! only then is it answered, broadcast and shown in snapshots. Snapshots are built from
//! the published state, so a member never sees an event that could still be lost.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use axum::extract::ws::Message;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until};

use crate::auction::{
    AccountId, ClosedEvent, Eligibility, LotResult, LotState, Phase, Rejection, Room, RoomEvent,
    Sequenced,
};
use crate::clock::Clock;
use crate::limits::{
    PRESENCE_INTERVAL, RECENT_BIDS, REMEMBERED_BID_REQUESTS, REPLAY_WINDOW_EVENTS,
};
use crate::money::{AmountError, Money};
use crate::realtime::protocol::{
    Answer, BidDetails, Encoding, EventBody, Req, RoomFrame, Snapshot, View, You,
};
use crate::storage::{JournalRow, Lot, LotId, Role, RoomEventKind, RosterEntry, Store};

use super::LotView;
use super::journal::{Journal, JournalBatch};

/// One connection's identity inside the process.
pub type ConnectionId = u64;

/// Where a room sends a connection its answers (already encoded for it).
#[derive(Clone, Debug)]
pub struct Replier {
    pub outbox: mpsc::UnboundedSender<Message>,
    pub encoding: Encoding,
}

impl Replier {
    fn send(&self, answer: &Answer<'_>) {
        // A connection that has gone away needs no answer.
        let _ = self.outbox.send(self.encoding.encode(answer));
    }
}

/// A connection in the room.
#[derive(Clone, Debug)]
pub struct Member {
    pub connection: ConnectionId,
    pub account: AccountId,
    pub role: Role,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlAction {
    Pause,
    Resume,
    Cancel,
    Announce,
}

pub enum RoomCommand {
    Join {
        member: Member,
        since_seq: Option<u64>,
        req: Option<Req>,
        reply: oneshot::Sender<Joined>,
    },
    Leave {
        connection: ConnectionId,
    },
    Bid {
        account: AccountId,
        verified: bool,
        amount: Result<Money, AmountError>,
        req: Req,
        reply: Replier,
    },
    Control {
        action: ControlAction,
        account: AccountId,
        role: Role,
        text: Option<Arc<str>>,
        req: Option<Req>,
        reply: Replier,
    },
    Roster(RosterEntry),
    Stop,
}

/// The answer to a join: either what was missed since `since_seq` or a fresh snapshot, and
/// the subscription that carries every later event.
pub struct Joined {
    pub catch_up: CatchUp,
    pub events: broadcast::Receiver<Arc<RoomFrame>>,
    pub view: View,
}

pub enum CatchUp {
    Snapshot(Box<Snapshot>),
    Replay(Vec<Arc<RoomFrame>>),
}

/// A bid answer remembered for idempotent replays by (account, req).
#[derive(Clone, Debug)]
enum BidAnswer {
    /// Accepted with this seq (answered once the event is published).
    Accepted {
        seq: u64,
    },
    Rejected(Rejection),
}

/// An applied event waiting for the journal.
struct PendingEvent {
    event: Sequenced,
    after: Published,
    waiting: Vec<Waiter>,
}

enum Waiter {
    Bid { req: Req, reply: Replier },
    Control { req: Option<Req>, reply: Replier },
}

/// The room as members may see it: as of the last durable event.
#[derive(Clone, Debug)]
struct Published {
    seq: u64,
    state: LotState,
    price: Option<Money>,
    leader: Option<AccountId>,
    leader_number: Option<Arc<str>>,
    deadline_ms: i64,
    remaining_ms: Option<i64>,
    extensions: u32,
    result: Option<LotResult>,
}

pub struct RoomTask {
    lot: LotId,
    auctioneer: AccountId,
    currency: Arc<str>,
    engine: Room,
    clock: Clock,
    store: Arc<dyn Store>,
    journal: Journal,
    committed_tx: mpsc::UnboundedSender<u64>,
    unjournaled: Vec<JournalRow>,
    pending: VecDeque<PendingEvent>,
    published: Published,
    bid_count: u64,
    replay: VecDeque<Arc<RoomFrame>>,
    recent_bids: VecDeque<BidDetails>,
    events: broadcast::Sender<Arc<RoomFrame>>,
    view: watch::Sender<LotView>,
    names: HashMap<AccountId, Arc<str>>,
    members: HashMap<ConnectionId, Member>,
    answers: HashMap<(AccountId, Req), BidAnswer>,
    answer_order: VecDeque<(AccountId, Req)>,
    stopping: bool,
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

pub struct RoomChannels {
    pub view: watch::Sender<LotView>,
}

impl RoomTask {
    pub fn new(
        start: RoomStart,
        channels: &RoomChannels,
        clock: Clock,
        store: Arc<dyn Store>,
        journal: Journal,
    ) -> (RoomTask, mpsc::UnboundedReceiver<u64>) {
        let (committed_tx, committed_rx) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(crate::limits::ROOM_BROADCAST_CAPACITY);
        let RoomStart {
            lot,
            mut engine,
            roster,
            history,
            bid_count,
            accepted_requests,
        } = start;
        let mut names = HashMap::new();
        for entry in roster {
            names.insert(
                entry.bidder.account,
                Arc::<str>::from(entry.display_name.as_str()),
            );
            engine.upsert_bidder(entry.bidder);
        }
        let published = Published {
            seq: engine.seq(),
            state: engine.state(),
            price: engine.price(),
            leader: engine.leader(),
            leader_number: engine
                .leader()
                .and_then(|leader| engine.bidder(leader))
                .map(|bidder| bidder.bidder_number.clone()),
            deadline_ms: engine.deadline_ms(),
            remaining_ms: engine.paused_remaining_ms(),
            extensions: engine.extensions(),
            result: None,
        };
        let mut task = RoomTask {
            lot: lot.id,
            auctioneer: lot.auctioneer_id,
            currency: Arc::from(lot.currency.as_str()),
            engine,
            clock,
            store,
            journal,
            committed_tx,
            unjournaled: Vec::new(),
            pending: VecDeque::new(),
            published,
            bid_count,
            replay: VecDeque::new(),
            recent_bids: VecDeque::new(),
            events,
            view: channels.view.clone(),
            names,
            members: HashMap::new(),
            answers: HashMap::new(),
            answer_order: VecDeque::new(),
            stopping: false,
        };
        for row in history {
            let frame = task.frame_from_row(&row);
            task.remember_frame(frame);
        }
        for (account, req, seq) in accepted_requests {
            task.remember_answer(account, req, BidAnswer::Accepted { seq });
        }
        task.publish_view();
        (task, committed_rx)
    }

    pub async fn run(
        mut self,
        mut inbox: mpsc::Receiver<RoomCommand>,
        mut committed: mpsc::UnboundedReceiver<u64>,
    ) {
        let mut presence = tokio::time::interval(PRESENCE_INTERVAL);
        presence.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            if self.stopping && self.pending.is_empty() && self.unjournaled.is_empty() {
                break;
            }
            let wake_at = self.next_wake();
            tokio::select! {
                biased;
                Some(seq) = committed.recv() => self.publish_through(seq),
                command = inbox.recv(), if !self.stopping => match command {
                    Some(command) => {
                        self.handle(command);
                        // Take whatever else is waiting, so one journal batch carries it all.
                        while self.unjournaled.len() < crate::limits::JOURNAL_MAX_BATCH_ROWS {
                            match inbox.try_recv() {
                                Ok(command) => self.handle(command),
                                Err(_) => break,
                            }
                        }
                    }
                    None => self.stopping = true,
                },
                () = sleep_until(wake_at.unwrap_or_else(far_future)), if wake_at.is_some() && !self.stopping => self.on_timer(),
                _ = presence.tick(), if self.has_monitors() => self.send_presence(),
            }
            if !self.unjournaled.is_empty() {
                let rows = std::mem::take(&mut self.unjournaled);
                let batch = JournalBatch {
                    rows,
                    committed: self.committed_tx.clone(),
                };
                if self.journal.append(batch).await.is_err() {
                    tracing::error!(lot = self.lot, "the journal has stopped; the room stops");
                    break;
                }
            }
        }
    }

    /// After a restart: SPEC §2's recovery extension, if the deadline passed during the
    /// outage or is less than W away.
    pub fn recover(&mut self) {
        if let Some(event) = self.engine.recover(self.clock.now_ms()) {
            self.applied(event, None, Vec::new());
        }
    }

    fn next_wake(&self) -> Option<Instant> {
        match self.engine.state() {
            LotState::Published => Some(self.clock.instant_at(self.engine.rules().starts_at_ms)),
            LotState::Open => Some(self.clock.instant_at(self.engine.deadline_ms())),
            _ => None,
        }
    }

    fn on_timer(&mut self) {
        let now_ms = self.clock.now_ms();
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
            } => {
                let joined = self.join(member, since_seq, req);
                let _ = reply.send(joined);
            }
            RoomCommand::Leave { connection } => {
                self.members.remove(&connection);
            }
            RoomCommand::Bid {
                account,
                verified,
                amount,
                req,
                reply,
            } => self.bid(account, verified, amount, req, reply),
            RoomCommand::Control {
                action,
                account,
                role,
                text,
                req,
                reply,
            } => self.control(action, account, role, text, req, reply),
            RoomCommand::Roster(entry) => {
                self.names
                    .insert(entry.bidder.account, Arc::from(entry.display_name.as_str()));
                self.engine.upsert_bidder(entry.bidder);
            }
            RoomCommand::Stop => self.stopping = true,
        }
    }

    fn bid(
        &mut self,
        account: AccountId,
        verified: bool,
        amount: Result<Money, AmountError>,
        req: Req,
        reply: Replier,
    ) {
        let key = (account, req.clone());
        match self.answers.get(&key).cloned() {
            Some(BidAnswer::Rejected(rejection)) => {
                return self.answer_rejected(&reply, &req, rejection);
            }
            Some(BidAnswer::Accepted { seq }) => {
                return self.answer_accepted_again(seq, req, reply);
            }
            None => {}
        }
        let now_ms = self.clock.now_ms();
        match self.engine.place_bid(account, verified, amount, now_ms) {
            Ok(event) => {
                self.remember_answer(account, req.clone(), BidAnswer::Accepted { seq: event.seq });
                self.applied(event, Some(req.0.clone()), vec![Waiter::Bid { req, reply }]);
            }
            Err(rejection) => {
                metrics::counter!("bidroom_bids_rejected_total", "code" => rejection.code())
                    .increment(1);
                self.remember_answer(account, req.clone(), BidAnswer::Rejected(rejection));
                self.answer_rejected(&reply, &req, rejection);
            }
        }
    }

    /// A repeated bid: answered as the first time, once its event is durable.
    fn answer_accepted_again(&mut self, seq: u64, req: Req, reply: Replier) {
        if seq > self.published.seq {
            if let Some(pending) = self
                .pending
                .iter_mut()
                .find(|pending| pending.event.seq == seq)
            {
                pending.waiting.push(Waiter::Bid { req, reply });
            }
            return;
        }
        match self
            .replay
            .iter()
            .find(|frame| frame.seq == Some(seq))
            .map(|frame| frame.body().clone())
        {
            Some(EventBody::Bid(bid)) => self.answer_accepted(&reply, &req, &bid),
            _ => {
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

    fn remember_answer(&mut self, account: AccountId, req: Req, answer: BidAnswer) {
        if self
            .answers
            .insert((account, req.clone()), answer)
            .is_none()
        {
            self.answer_order.push_back((account, req));
            if self.answer_order.len() > REMEMBERED_BID_REQUESTS
                && let Some(oldest) = self.answer_order.pop_front()
            {
                self.answers.remove(&oldest);
            }
        }
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
        if !self.is_monitor(account, role) {
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

    fn is_monitor(&self, account: AccountId, role: Role) -> bool {
        role == Role::Admin || (role == Role::Auctioneer && account == self.auctioneer)
    }

    /// An event the engine applied: journal it, and hold it until it is durable.
    /// `bid_req` is the `req` an accepted bid came with, journaled for replays after a restart.
    fn applied(&mut self, event: Sequenced, bid_req: Option<Arc<str>>, waiting: Vec<Waiter>) {
        let mut row = self.journal_row(&event);
        row.req = bid_req;
        self.unjournaled.push(row);
        let after = self.current_state();
        self.pending.push_back(PendingEvent {
            event,
            after,
            waiting,
        });
    }

    fn current_state(&self) -> Published {
        let leader = self.engine.leader();
        Published {
            seq: self.engine.seq(),
            state: self.engine.state(),
            price: self.engine.price(),
            leader,
            leader_number: leader
                .and_then(|leader| self.engine.bidder(leader))
                .map(|bidder| bidder.bidder_number.clone()),
            deadline_ms: self.engine.deadline_ms(),
            remaining_ms: self.engine.paused_remaining_ms(),
            extensions: self.engine.extensions(),
            result: None,
        }
    }

    fn journal_row(&self, event: &Sequenced) -> JournalRow {
        let mut row = JournalRow {
            lot_id: self.lot,
            seq: event.seq,
            kind: RoomEventKind::Bid,
            at_ms: event.at_ms,
            account_id: None,
            bidder_number: None,
            amount: None,
            req: None,
            state: self.engine.state(),
            text: None,
            deadline_ms: self.engine.deadline_ms(),
            remaining_ms: self.engine.paused_remaining_ms(),
            extensions: self.engine.extensions(),
        };
        match &event.event {
            RoomEvent::Bid {
                bidder,
                bidder_number,
                amount,
                ..
            } => {
                row.account_id = Some(*bidder);
                row.bidder_number = Some(bidder_number.clone());
                row.amount = Some(*amount);
            }
            RoomEvent::State { reason, .. } => {
                row.kind = RoomEventKind::State;
                row.text = reason.as_ref().map(|reason| Arc::from(reason.text()));
            }
            RoomEvent::Closed(closed) => {
                row.kind = RoomEventKind::Closed;
                row.account_id = closed.leader;
                row.bidder_number = closed.leader_bidder_number.clone();
                row.amount = closed.price;
                row.text = Some(Arc::from(closed.result.as_str()));
            }
            RoomEvent::Announcement { text } => {
                row.kind = RoomEventKind::Announcement;
                row.text = Some(text.clone());
            }
        }
        row
    }

    /// The journal made every event up to `seq` durable: publish them in order.
    fn publish_through(&mut self, seq: u64) {
        while self
            .pending
            .front()
            .is_some_and(|pending| pending.event.seq <= seq)
        {
            let Some(pending) = self.pending.pop_front() else {
                break;
            };
            self.publish(pending);
        }
        self.publish_view();
    }

    fn publish(&mut self, pending: PendingEvent) {
        let PendingEvent {
            event,
            mut after,
            waiting,
        } = pending;
        let body = self.event_body(&event);
        if let RoomEvent::Closed(closed) = &event.event {
            after.result = Some(closed.result);
        }
        self.published = after;
        let frame = RoomFrame::new(body.clone());
        self.remember_frame(frame.clone());
        // No receivers is not an error: nobody is watching.
        let _ = self.events.send(frame);
        for waiter in waiting {
            match (waiter, &body) {
                (Waiter::Bid { req, reply }, EventBody::Bid(bid)) => {
                    self.answer_accepted(&reply, &req, bid)
                }
                (Waiter::Control { req, reply }, body) => reply.send_event(body, req),
                (Waiter::Bid { .. }, _) => debug_assert!(false, "a bid waiter on a non-bid event"),
            }
        }
        match &event.event {
            RoomEvent::Bid { .. } => {
                self.bid_count += 1;
                metrics::counter!("bidroom_bids_accepted_total").increment(1);
            }
            RoomEvent::Closed(closed) => self.settle(closed.clone()),
            RoomEvent::State {
                state: LotState::Cancelled,
                ..
            } => self.release_deposits(),
            _ => {}
        }
    }

    fn remember_frame(&mut self, frame: Arc<RoomFrame>) {
        if let EventBody::Bid(bid) = frame.body() {
            self.recent_bids.push_back(bid.clone());
            if self.recent_bids.len() > RECENT_BIDS {
                self.recent_bids.pop_front();
            }
        }
        self.replay.push_back(frame);
        if self.replay.len() > REPLAY_WINDOW_EVENTS {
            self.replay.pop_front();
        }
    }

    fn event_body(&self, event: &Sequenced) -> EventBody {
        let lot = self.lot;
        let seq = event.seq;
        match &event.event {
            RoomEvent::Bid {
                bidder,
                bidder_number,
                amount,
                deadline_ms,
                phase,
                ..
            } => EventBody::Bid(BidDetails {
                lot,
                seq,
                amount: *amount,
                bidder: bidder_number.clone(),
                at_ms: event.at_ms,
                deadline_ms: *deadline_ms,
                price: *amount,
                phase: phase.as_str(),
                account_id: *bidder,
                display_name: self
                    .names
                    .get(bidder)
                    .cloned()
                    .unwrap_or_else(|| Arc::from("")),
            }),
            RoomEvent::State {
                state,
                deadline_ms,
                remaining_ms,
                reason,
            } => EventBody::State {
                lot,
                seq,
                state: state.as_str(),
                deadline_ms: *deadline_ms,
                remaining_ms: *remaining_ms,
                reason: reason.as_ref().map(|reason| Arc::from(reason.text())),
                req: None,
            },
            RoomEvent::Closed(ClosedEvent {
                result,
                price,
                leader_bidder_number,
                ..
            }) => EventBody::Closed {
                lot,
                seq,
                result: result.as_str(),
                price: *price,
                winner_bidder: if *result == LotResult::Sold {
                    leader_bidder_number.clone()
                } else {
                    None
                },
            },
            RoomEvent::Announcement { text } => EventBody::Announcement {
                lot,
                seq,
                text: text.clone(),
                req: None,
            },
        }
    }

    /// Rebuilds an event frame from its journal row (after a restart).
    fn frame_from_row(&self, row: &JournalRow) -> Arc<RoomFrame> {
        let lot = self.lot;
        let body = match row.kind {
            RoomEventKind::Bid => {
                let amount = row.amount.unwrap_or_default();
                let phase = if row.deadline_ms - row.at_ms > self.engine.rules().extension_window_ms
                {
                    Phase::Free
                } else {
                    Phase::Timed
                };
                let account = row.account_id.unwrap_or_default();
                EventBody::Bid(BidDetails {
                    lot,
                    seq: row.seq,
                    amount,
                    bidder: row.bidder_number.clone().unwrap_or_else(|| Arc::from("")),
                    at_ms: row.at_ms,
                    deadline_ms: row.deadline_ms,
                    price: amount,
                    phase: phase.as_str(),
                    account_id: account,
                    display_name: self
                        .names
                        .get(&account)
                        .cloned()
                        .unwrap_or_else(|| Arc::from("")),
                })
            }
            RoomEventKind::State => EventBody::State {
                lot,
                seq: row.seq,
                state: row.state.as_str(),
                deadline_ms: row.deadline_ms,
                remaining_ms: row.remaining_ms,
                reason: row.text.clone(),
                req: None,
            },
            RoomEventKind::Closed => EventBody::Closed {
                lot,
                seq: row.seq,
                result: row.result().map_or("unsold", LotResult::as_str),
                price: row.amount,
                winner_bidder: if row.result() == Some(LotResult::Sold) {
                    row.bidder_number.clone()
                } else {
                    None
                },
            },
            RoomEventKind::Announcement => EventBody::Announcement {
                lot,
                seq: row.seq,
                text: row.text.clone().unwrap_or_else(|| Arc::from("")),
                req: None,
            },
        };
        RoomFrame::new(body)
    }

    fn join(&mut self, member: Member, since_seq: Option<u64>, req: Option<Req>) -> Joined {
        let view = if self.is_monitor(member.account, member.role) {
            View::Monitor
        } else {
            View::Public
        };
        let events = self.events.subscribe();
        let account = member.account;
        self.members.insert(member.connection, member);
        let catch_up = match since_seq.and_then(|since| self.missed_since(since)) {
            Some(missed) => CatchUp::Replay(missed),
            None => CatchUp::Snapshot(Box::new(self.snapshot(account, view, req))),
        };
        Joined {
            catch_up,
            events,
            view,
        }
    }

    /// The published events after `since`, if the replay window still holds them all.
    fn missed_since(&self, since: u64) -> Option<Vec<Arc<RoomFrame>>> {
        if since > self.published.seq {
            return None;
        }
        if since == self.published.seq {
            return Some(Vec::new());
        }
        let oldest = self.replay.front()?.seq?;
        if since + 1 < oldest {
            return None;
        }
        Some(
            self.replay
                .iter()
                .filter(|frame| frame.seq.is_some_and(|seq| seq > since))
                .cloned()
                .collect(),
        )
    }

    fn snapshot(&self, account: AccountId, view: View, req: Option<Req>) -> Snapshot {
        let now_ms = self.clock.now_ms();
        let published = &self.published;
        let rules = self.engine.rules();
        let remaining = match published.state {
            LotState::Paused => published.remaining_ms.unwrap_or_default(),
            _ => published.deadline_ms - now_ms,
        };
        let phase = if remaining > rules.extension_window_ms {
            Phase::Free
        } else {
            Phase::Timed
        };
        let min_next = match published.price {
            Some(price) => price + rules.increment,
            None => rules.start_price,
        };
        let you = match view {
            View::Monitor => You::Monitor {
                monitor: true,
                role: if account == self.auctioneer {
                    Role::Auctioneer
                } else {
                    Role::Admin
                },
                members: self.members.len(),
                bidders: self.bidders_present(),
            },
            View::Public => match self.engine.bidder(account) {
                Some(bidder) => You::Bidder {
                    bidder_number: (!bidder.bidder_number.is_empty())
                        .then(|| bidder.bidder_number.clone()),
                    eligible: bidder.eligibility == Eligibility::Eligible,
                    reason: match bidder.eligibility {
                        Eligibility::Eligible => None,
                        Eligibility::Ineligible(reason) => Some(reason.as_str()),
                    },
                    priority_rank: bidder.priority_rank,
                },
                None => You::Bidder {
                    bidder_number: None,
                    eligible: false,
                    reason: Some("not_registered"),
                    priority_rank: None,
                },
            },
        };
        Snapshot {
            lot: self.lot,
            state: published.state.as_str(),
            phase: phase.as_str(),
            currency: self.currency.clone(),
            price: published.price,
            min_next,
            increment: rules.increment,
            has_reserve: rules.reserve_price.is_some(),
            leader: published.leader_number.clone(),
            deadline_ms: published.deadline_ms,
            remaining_ms: published.remaining_ms,
            extensions: published.extensions,
            server_time_ms: now_ms,
            seq: published.seq,
            result: published.result.map(LotResult::as_str),
            recent_bids: self
                .recent_bids
                .iter()
                .map(|bid| bid.view(view == View::Monitor))
                .collect(),
            you,
            req,
        }
    }

    fn has_monitors(&self) -> bool {
        self.members
            .values()
            .any(|member| self.is_monitor(member.account, member.role))
    }

    fn bidders_present(&self) -> usize {
        let mut accounts: Vec<AccountId> = self
            .members
            .values()
            .filter(|member| {
                self.engine
                    .bidder(member.account)
                    .is_some_and(|bidder| bidder.eligibility == Eligibility::Eligible)
            })
            .map(|member| member.account)
            .collect();
        accounts.sort_unstable();
        accounts.dedup();
        accounts.len()
    }

    fn send_presence(&self) {
        let frame = RoomFrame::new(EventBody::Presence {
            lot: self.lot,
            members: self.members.len(),
            bidders: self.bidders_present(),
        });
        let _ = self.events.send(frame);
    }

    fn publish_view(&self) {
        let published = &self.published;
        self.view.send_replace(LotView {
            state: published.state,
            price: published.price,
            leader: published.leader_number.clone(),
            leader_account: published.leader,
            deadline_ms: published.deadline_ms,
            bid_count: self.bid_count,
            result: published.result,
        });
    }

    fn settle(&self, closed: ClosedEvent) {
        let (store, lot, clock) = (self.store.clone(), self.lot, self.clock);
        tokio::spawn(async move {
            if let Err(error) = store.settle_closed_lot(lot, &closed, clock.now_ms()).await {
                tracing::error!(lot, error = ?error, "failed to settle a closed lot");
            }
        });
    }

    fn release_deposits(&self) {
        let (store, lot, clock) = (self.store.clone(), self.lot, self.clock);
        tokio::spawn(async move {
            if let Err(error) = store.release_lot_deposits(lot, clock.now_ms()).await {
                tracing::error!(lot, error = ?error, "failed to release the deposits of a cancelled lot");
            }
        });
    }
}

impl Replier {
    /// A control command's answer: the event it caused, with the command's `req`.
    fn send_event(&self, body: &EventBody, req: Option<Req>) {
        let mut body = body.clone();
        match &mut body {
            EventBody::State { req: slot, .. } | EventBody::Announcement { req: slot, .. } => {
                *slot = req
            }
            _ => {}
        }
        let _ = self
            .outbox
            .send(RoomFrame::new(body).message(View::Public, self.encoding));
    }
}

fn far_future() -> Instant {
    Instant::now() + std::time::Duration::from_secs(86_400 * 365)
}
