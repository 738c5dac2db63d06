//! A bidder that outlives the server: it bids at a steady pace while connected, and when
//! its connection dies it reconnects (as soon as the server listens again), rejoins with
//! `since_seq` (the server replays what it missed), and sends every bid still unanswered
//! again with the same `req` and amount, until each has its answer.
//!
//! On a cluster it connects to its own node, or while that one is down to another, and
//! does what SPEC §4 and §10 ask of a client there besides: a bid answered `unavailable`
//! (its room is moving to another node), or `rate_limited` to a resend, is sent again with
//! its `req` after a pause, and a gap in a room's live events (the events a dying owner
//! had not yet relayed) is healed by joining again with `since_seq`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::watch;
use tokio::time::{Instant, sleep, sleep_until};

use crate::cli::Strategy;
use crate::client::{Connection, Snapshot};
use crate::setup::{INCREMENT_CENTS, Seat};
use crate::wire::{Incoming, Outgoing, format_cents, parse_cents};

use super::shared::{Generations, RoomState, Target};
use super::verdict::{Answer, Bid, SentBid, SeqTrack};

/// The first wait before connecting again; it doubles up to [`MAX_RECONNECT_WAIT`].
const FIRST_RECONNECT_WAIT: Duration = Duration::from_millis(10);
const MAX_RECONNECT_WAIT: Duration = Duration::from_millis(200);
/// How long one connection attempt (connect, auth, join) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// On a cluster, the pause before a bid answered `unavailable` is sent again (its room is
/// being taken over, which takes about a lease term), or one answered `rate_limited` to a
/// resend (the account's limit refills at its rate a second).
const RETRY_WAIT: Duration = Duration::from_millis(200);

/// What every bidder of a run shares.
pub struct Common {
    pub target: Arc<Target>,
    pub generations: Arc<Generations>,
    /// How many rooms have stopped being bid in (rooms stop in order).
    pub rooms_stopped: watch::Receiver<usize>,
    /// Set when the run gives up waiting: every bidder ends where it is.
    pub give_up: watch::Receiver<bool>,
    pub strategy: Strategy,
    /// The nodes of one exchange, not one server.
    pub cluster: bool,
}

pub struct BidderPlan {
    /// The bidder's index in the run (for the connection's source address).
    pub index: usize,
    /// Its room's index (it stops bidding once `rooms_stopped` passes it).
    pub room_index: usize,
    pub room: Arc<RoomState>,
    pub seat: Seat,
    pub interval: Duration,
    /// Its first bid is this long after the room opens (spreading the bidders' schedules).
    pub phase: Duration,
}

/// What a bidder reports at the end.
pub struct BidderRecord {
    pub sent: Vec<SentBid>,
    pub track: SeqTrack,
    pub reconnects: u64,
    /// On a cluster: answers that said nothing of their bid, by code (`unavailable`, or
    /// `rate_limited` to a resend), each followed by the bid sent again.
    pub retried: BTreeMap<String, u64>,
    pub errors: Vec<String>,
}

/// A bid without its answer yet.
struct Outstanding {
    /// Its place in `sent`.
    index: usize,
    /// The generation it was last sent in.
    generation: u64,
}

struct Bidder {
    plan: BidderPlan,
    common: Arc<Common>,
    sent: Vec<SentBid>,
    /// Unanswered bids, by req.
    outstanding: BTreeMap<u64, Outstanding>,
    /// On a cluster: bids whose answer said nothing of them, to send again on this
    /// connection at `retry_at`.
    retry: BTreeSet<u64>,
    retry_at: Option<Instant>,
    next_req: u64,
    /// The last seq seen (resumed from on a rejoin), or `None` before the first join.
    last_seq: Option<u64>,
    track: SeqTrack,
    open: bool,
    closed: bool,
    min_next_cents: i64,
    leading: bool,
    next_send: Option<Instant>,
    reconnects: u64,
    retried: BTreeMap<String, u64>,
    errors: Vec<String>,
}

/// Whether a room's events came in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Events {
    InOrder,
    /// On a cluster, a live event after a gap: join again with `since_seq`.
    Gap,
}

/// How a connection's life ended.
enum Ending {
    /// Nothing left to do (or the run gave up).
    Done,
    /// The connection died (the server was killed): connect again.
    Lost,
}

pub async fn run(plan: BidderPlan, common: Arc<Common>) -> BidderRecord {
    let mut bidder = Bidder {
        plan,
        common,
        sent: Vec::new(),
        outstanding: BTreeMap::new(),
        retry: BTreeSet::new(),
        retry_at: None,
        next_req: 1,
        last_seq: None,
        track: SeqTrack::default(),
        open: false,
        closed: false,
        min_next_cents: 0,
        leading: false,
        next_send: None,
        reconnects: 0,
        retried: BTreeMap::new(),
        errors: Vec::new(),
    };
    loop {
        let Some((mut connection, generation)) = bidder.connect().await else {
            break;
        };
        let ending = match bidder.resend(&mut connection).await {
            Ok(()) => bidder.serve(&mut connection, generation).await,
            Err(_) => Ending::Lost,
        };
        match ending {
            Ending::Done => {
                connection.close().await;
                break;
            }
            Ending::Lost => bidder.reconnects += 1,
        }
    }
    BidderRecord {
        sent: bidder.sent,
        track: bidder.track,
        reconnects: bidder.reconnects,
        retried: bidder.retried,
        errors: bidder.errors,
    }
}

impl Bidder {
    fn stopped(&self) -> bool {
        *self.common.rooms_stopped.borrow() > self.plan.room_index
    }

    fn given_up(&self) -> bool {
        *self.common.give_up.borrow()
    }

    fn finished(&self) -> bool {
        self.given_up() || (self.outstanding.is_empty() && self.closed)
    }

    fn error(&mut self, error: String) {
        if self.errors.len() < 20 {
            self.errors.push(error);
        }
    }

    /// Connects, authenticates and joins (resuming from the last seq seen), retrying until
    /// the server answers; `None` once the run has given up. Returns the server generation
    /// the connection was opened in.
    async fn connect(&mut self) -> Option<(Connection, u64)> {
        let mut wait = FIRST_RECONNECT_WAIT;
        loop {
            if self.given_up() {
                return None;
            }
            let generation = self.common.generations.current();
            let connector = self.common.target.connector_for(self.plan.index);
            let attempt = tokio::time::timeout(CONNECT_TIMEOUT, async {
                let mut connection = connector.open(self.plan.index).await?;
                connection.authenticate(&self.plan.seat.token).await?;
                self.join(&mut connection).await?;
                anyhow::Ok(connection)
            })
            .await;
            match attempt {
                Ok(Ok(connection)) => return Some((connection, generation)),
                Ok(Err(_)) | Err(_) => {
                    sleep(wait).await;
                    wait = (wait * 2).min(MAX_RECONNECT_WAIT);
                }
            }
        }
    }

    /// The first join takes the snapshot; a rejoin asks for the events after the last seq
    /// seen, and a `ping` behind it marks where the catch-up ends.
    async fn join(&mut self, connection: &mut Connection) -> anyhow::Result<()> {
        let lot = self.plan.room.lot;
        let Some(since_seq) = self.last_seq else {
            let snapshot = connection.join(lot).await?;
            if !snapshot.eligible
                || snapshot.bidder_number.as_deref() != Some(&*self.plan.seat.bidder_number)
            {
                bail!(
                    "the room sees bidder {:?} (eligible {}), not {}",
                    snapshot.bidder_number,
                    snapshot.eligible,
                    self.plan.seat.bidder_number
                );
            }
            self.last_seq = Some(snapshot.seq);
            self.take_snapshot(&snapshot);
            return Ok(());
        };
        let req = format!("rejoin-{lot}");
        connection
            .send(&Outgoing::Join {
                lot,
                req: &req,
                since_seq: Some(since_seq),
            })
            .await?;
        let marker = format!("caught-up-{since_seq}");
        connection
            .send(&Outgoing::Ping { t: 0, req: &marker })
            .await?;
        loop {
            let frame = connection
                .next_frame()
                .await?
                .context("the server closed the connection during the rejoin")?;
            let message = connection.encoding().decode(&frame)?;
            if message.is("pong") && message.req.as_deref() == Some(marker.as_str()) {
                return Ok(());
            }
            if message.is("error") && message.req.as_deref() == Some(req.as_str()) {
                bail!(
                    "the rejoin: {}",
                    message.message.as_deref().unwrap_or_default()
                );
            }
            self.handle(&message, None);
        }
    }

    /// Sends every unanswered bid again, with its own req and amount.
    async fn resend(&mut self, connection: &mut Connection) -> anyhow::Result<()> {
        self.retry.clear();
        self.retry_at = None;
        let reqs: Vec<u64> = self.outstanding.keys().copied().collect();
        self.send_again(connection, &reqs).await
    }

    /// Sends the bids `reqs` (unanswered) again, each with its own req and amount.
    async fn send_again(
        &mut self,
        connection: &mut Connection,
        reqs: &[u64],
    ) -> anyhow::Result<()> {
        let lot = self.plan.room.lot;
        let generation = self.common.generations.current();
        for req in reqs {
            let Some(outstanding) = self.outstanding.get_mut(req) else {
                continue;
            };
            outstanding.generation = generation;
            let bid = &mut self.sent[outstanding.index];
            bid.resends += 1;
            let amount = format_cents(bid.amount_cents);
            let req = bid.req.to_string();
            connection
                .send(&Outgoing::Bid {
                    lot,
                    amount: &amount,
                    req: &req,
                })
                .await?;
        }
        Ok(())
    }

    /// Sends the bids to retry again.
    async fn retry(&mut self, connection: &mut Connection) -> anyhow::Result<()> {
        self.retry_at = None;
        let reqs: Vec<u64> = std::mem::take(&mut self.retry).into_iter().collect();
        self.send_again(connection, &reqs).await
    }

    async fn serve(&mut self, connection: &mut Connection, generation: u64) -> Ending {
        let mut rooms_stopped = self.common.rooms_stopped.clone();
        let mut give_up = self.common.give_up.clone();
        loop {
            if self.finished() {
                return Ending::Done;
            }
            let wake = self.next_wake();
            let retry_at = self.retry_at;
            tokio::select! {
                biased;
                frame = connection.next_frame() => match frame {
                    Ok(Some(frame)) => match connection.encoding().decode(&frame) {
                        Ok(message) => {
                            if self.handle(&message, Some(generation)) == Events::Gap {
                                // Joined again with since_seq from the last seq in order.
                                self.track.healed += 1;
                                return Ending::Lost;
                            }
                        }
                        Err(error) => self.error(format!("{error:#}")),
                    },
                    Ok(None) | Err(_) => return Ending::Lost,
                },
                _ = rooms_stopped.changed() => {}
                _ = give_up.changed() => {}
                () = sleep_until(retry_at.unwrap_or_else(Instant::now)), if retry_at.is_some() => {
                    if self.retry(connection).await.is_err() {
                        return Ending::Lost;
                    }
                }
                () = sleep_until(wake.unwrap_or_else(Instant::now)), if wake.is_some() => {
                    if self.send_due(connection).await.is_err() {
                        return Ending::Lost;
                    }
                }
            }
        }
    }

    /// When the next bid is due, while the room is open and bid in.
    fn next_wake(&self) -> Option<Instant> {
        if !self.open || self.closed || self.stopped() {
            return None;
        }
        self.next_send
    }

    async fn send_due(&mut self, connection: &mut Connection) -> anyhow::Result<()> {
        let Some(due) = self.next_send else {
            return Ok(());
        };
        let now = Instant::now();
        // A steady pace while connected: slots missed while the server was down are not
        // sent in a burst afterwards.
        let next = due + self.plan.interval;
        self.next_send = Some(if next < now {
            now + self.plan.interval
        } else {
            next
        });
        if self.leading {
            return Ok(());
        }
        let amount_cents = match self.common.strategy {
            Strategy::MinNext => self.min_next_cents,
            Strategy::Ladder => self
                .plan
                .room
                .claim_rung(self.min_next_cents, INCREMENT_CENTS),
        };
        let req = self.next_req;
        self.next_req += 1;
        let outstanding = Outstanding {
            index: self.sent.len(),
            generation: self.common.generations.current(),
        };
        self.outstanding.insert(req, outstanding);
        self.sent.push(SentBid {
            bidder: self.plan.seat.bidder_number.to_string(),
            req,
            amount_cents,
            resends: 0,
            answer: Answer::Unanswered,
        });
        let amount = format_cents(amount_cents);
        let req = req.to_string();
        connection
            .send(&Outgoing::Bid {
                lot: self.plan.room.lot,
                amount: &amount,
                req: &req,
            })
            .await
    }

    /// `generation`: the server generation the connection was opened in (`None` during a
    /// rejoin's catch-up, which carries no answers). On a cluster, a gap in the live events
    /// is not taken: it is answered [`Events::Gap`], to join again.
    fn handle(&mut self, message: &Incoming<'_>, generation: Option<u64>) -> Events {
        match &*message.kind {
            "accepted" => self.on_accepted(message, generation),
            "rejected" => self.on_refused(message, "rejected"),
            "error" if message.req.is_some() => self.on_refused(message, "error"),
            "error" => self.error(format!(
                "error {}: {}",
                message.code.as_deref().unwrap_or_default(),
                message.message.as_deref().unwrap_or_default()
            )),
            "snapshot" => match Snapshot::of(message) {
                Ok(snapshot) => self.resynced(&snapshot),
                Err(error) => self.error(format!("{error:#}")),
            },
            "pong" | "welcome" | "presence" => {}
            _ => return self.on_event(message, generation.is_some()),
        }
        Events::InOrder
    }

    fn take_snapshot(&mut self, snapshot: &Snapshot) {
        self.min_next_cents = self.min_next_cents.max(snapshot.min_next_cents);
        self.leading = snapshot.leader.as_deref() == Some(&*self.plan.seat.bidder_number);
        match snapshot.state.as_str() {
            "open" => self.opened(),
            "closed" | "cancelled" => self.room_ended(),
            _ => self.open = false,
        }
    }

    /// A snapshot on a rejoin: the server could not replay what this bidder missed.
    fn resynced(&mut self, snapshot: &Snapshot) {
        let last = self.last_seq.unwrap_or(0);
        if snapshot.seq < last {
            self.track.backwards += 1;
        } else if snapshot.seq > last {
            self.track.resyncs += 1;
        }
        self.last_seq = Some(snapshot.seq);
        self.take_snapshot(snapshot);
    }

    /// `live`: not a rejoin's catch-up (which must be in order by itself).
    fn on_event(&mut self, message: &Incoming<'_>, live: bool) -> Events {
        let Some(seq) = message.seq else {
            return Events::InOrder;
        };
        let last = self.last_seq.unwrap_or(0);
        if seq <= last {
            self.track.backwards += 1;
            return Events::InOrder;
        }
        if seq != last + 1 {
            if live && self.common.cluster {
                return Events::Gap;
            }
            self.track.gaps += 1;
        }
        self.last_seq = Some(seq);
        match &*message.kind {
            "bid" => {
                let bidder = message.bidder.as_deref().unwrap_or_default();
                let Some(amount_cents) = message.amount.as_deref().and_then(parse_cents) else {
                    self.error(format!("a bid event without an amount at seq {seq}"));
                    return Events::InOrder;
                };
                self.plan.room.saw(Bid {
                    seq,
                    amount_cents,
                    bidder: bidder.to_owned(),
                });
                self.min_next_cents = self.min_next_cents.max(amount_cents + INCREMENT_CENTS);
                self.leading = bidder == &*self.plan.seat.bidder_number;
            }
            "state" => match message.state.as_deref() {
                Some("open") => self.opened(),
                Some("cancelled") => self.room_ended(),
                _ => self.open = false,
            },
            "closed" => self.room_ended(),
            _ => {}
        }
        Events::InOrder
    }

    fn opened(&mut self) {
        if !self.open {
            self.open = true;
            self.next_send = Some(Instant::now() + self.plan.phase);
        }
    }

    fn room_ended(&mut self) {
        self.open = false;
        self.closed = true;
        self.plan.room.close();
    }

    /// The bid this answer is for, if it is still unanswered.
    fn answered(&mut self, message: &Incoming<'_>) -> Option<Outstanding> {
        let req = message.req.as_deref()?.parse::<u64>().ok();
        match req.and_then(|req| self.outstanding.remove(&req)) {
            Some(outstanding) => Some(outstanding),
            None => {
                self.error(format!(
                    "an answer to no unanswered bid: {} req {:?}",
                    &*message.kind,
                    message.req.as_deref()
                ));
                None
            }
        }
    }

    fn on_accepted(&mut self, message: &Incoming<'_>, generation: Option<u64>) {
        let Some(Outstanding {
            index,
            generation: sent_in,
        }) = self.answered(message)
        else {
            return;
        };
        let seq = message.seq.unwrap_or_default();
        let amount_cents = message
            .amount
            .as_deref()
            .and_then(parse_cents)
            .unwrap_or_default();
        let bidder = message.bidder.as_deref().unwrap_or_default().to_owned();
        let bid = Bid {
            seq,
            amount_cents,
            bidder,
        };
        if amount_cents != self.sent[index].amount_cents {
            let sent = self.sent[index].amount_cents;
            self.error(format!("a bid of {sent} cents accepted as {amount_cents}"));
        }
        self.plan.room.acked(&bid);
        self.sent[index].answer = Answer::Accepted(bid);
        // On a cluster a connection outlives kills: the bid's own generation counts (one
        // sent after a kill cannot have been answered by the killed node).
        let generation = match generation {
            Some(_) if self.common.cluster => Some(sent_in),
            opened_in => opened_in,
        };
        if let Some(generation) = generation {
            self.common
                .generations
                .acked(generation, self.plan.room.lot);
        }
        if self.last_seq.is_none_or(|last| seq > last) {
            self.leading = true;
        }
        self.min_next_cents = self.min_next_cents.max(amount_cents + INCREMENT_CENTS);
    }

    /// On a cluster, whether a refusal says nothing of the bid, which is then sent again:
    /// `unavailable` (its room is moving to another node), or `rate_limited` for a bid sent
    /// before (the node's account limit answered before the room could say the bid was
    /// placed: a resend after a kill lands on the bidders' other nodes at once).
    fn sent_again_after(&self, code: &str, outstanding: &Outstanding) -> bool {
        match code {
            "unavailable" => true,
            "rate_limited" => self.sent[outstanding.index].resends > 0,
            _ => false,
        }
    }

    fn on_refused(&mut self, message: &Incoming<'_>, kind: &str) {
        let Some(outstanding) = self.answered(message) else {
            return;
        };
        let code = message.code.as_deref().unwrap_or("other");
        if self.common.cluster && self.sent_again_after(code, &outstanding) {
            *self.retried.entry(code.to_owned()).or_default() += 1;
            let req = self.sent[outstanding.index].req;
            self.outstanding.insert(req, outstanding);
            self.retry.insert(req);
            self.retry_at
                .get_or_insert_with(|| Instant::now() + RETRY_WAIT);
            return;
        }
        let index = outstanding.index;
        self.sent[index].answer = Answer::Refused(if kind == "error" {
            format!("error:{code}")
        } else {
            code.to_owned()
        });
        if let Some(min_next) = message.min_next.as_deref().and_then(parse_cents) {
            self.min_next_cents = self.min_next_cents.max(min_next);
        }
        match code {
            "already_leading" => self.leading = true,
            "not_open" => self.open = false,
            _ => {}
        }
    }
}
