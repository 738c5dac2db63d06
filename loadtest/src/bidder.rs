//! A bidder: one connection joined to its room, bidding the room's current `min_next`
//! (as the latest `bid` event, its own answers, or a rejection's `min_next` told it),
//! never raising its own leading bid.
//!
//! Open loop: bids go out on a fixed schedule whatever the answers, and each latency is
//! measured from the intended send time, so a server that stalls is charged for every bid
//! that would have been sent meanwhile (no coordinated omission). Closed loop: the next
//! bid goes out when the last is answered (after an optional think time).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{Sleep, sleep_until};

use crate::cli::Strategy;
use crate::client::{Connection, Snapshot};
use crate::metrics::{self, Latency, Metrics};
use crate::room::{AcceptedBid, RoomRecord, Sight};
use crate::setup::INCREMENT_CENTS;
use crate::wire::{Incoming, Outgoing, format_cents, parse_cents};

/// When a bidder sends.
#[derive(Clone, Copy, Debug)]
pub enum Pace {
    /// One bid every `interval_ns`, the first `phase_ns` after the room opens.
    Open { interval_ns: u64, phase_ns: u64 },
    /// The next bid once the last is answered and `think` has passed.
    Closed { think: Duration },
}

/// A bidder's part in the run.
pub struct BidderPlan {
    pub room: Arc<RoomRecord>,
    pub bidder_number: Arc<str>,
    pub pace: Pace,
    pub strategy: Strategy,
    /// Unix ms after which no bid is sent.
    pub stop_at_ms: i64,
    /// Unix ms after which it stops waiting for answers and for the close.
    pub give_up_at_ms: i64,
}

/// What a bidder reports at the end.
#[derive(Debug)]
pub struct BidderOutcome {
    pub sight: Sight,
    /// Bids that were never answered.
    pub unanswered: u64,
}

struct Outstanding {
    sent_ns: u64,
    amount_cents: i64,
}

struct Bidder {
    plan: BidderPlan,
    lot: i64,
    sight: Sight,
    open: bool,
    /// The seq of the latest bid known, and what it says.
    known_seq: u64,
    min_next_cents: i64,
    leading: bool,
    next_req: u64,
    outstanding: HashMap<u64, Outstanding>,
    /// Open loop: the next intended send time (ns of the run clock).
    next_send_ns: Option<u64>,
    /// Closed loop: not before this time.
    ready_at_ns: u64,
}

pub async fn run(
    mut connection: Connection,
    snapshot: Snapshot,
    plan: BidderPlan,
) -> BidderOutcome {
    let metrics = metrics::global();
    let lot = plan.room.lot;
    if !snapshot.eligible || snapshot.bidder_number.as_deref() != Some(&*plan.bidder_number) {
        Metrics::count(&metrics.errors);
        eprintln!(
            "bidder {} in lot {lot}: the room sees {:?}, eligible {}",
            plan.bidder_number, snapshot.bidder_number, snapshot.eligible
        );
    }
    let mut bidder = Bidder {
        lot,
        sight: Sight::new(lot, snapshot.seq),
        open: false,
        known_seq: snapshot.seq,
        min_next_cents: snapshot.min_next_cents,
        leading: snapshot.leader.as_deref() == Some(&*plan.bidder_number),
        next_req: 1,
        outstanding: HashMap::new(),
        next_send_ns: None,
        ready_at_ns: 0,
        plan,
    };
    if snapshot.state == "open" {
        bidder.opened();
    }
    let stop_ns = metrics::ns_at_unix_ms(bidder.plan.stop_at_ms);
    // Both timers are made once and the wake timer is moved only when its time changes: a
    // timer made, polled and dropped for every frame would cost the load tester a timer
    // wheel insertion and removal per frame. A send that is due goes out without a timer
    // at all (the wheel's 1 ms ticks would delay it).
    let give_up = sleep_until(metrics::instant_at(metrics::ns_at_unix_ms(
        bidder.plan.give_up_at_ms,
    )));
    let wake_timer = sleep_until(metrics::instant_at(stop_ns));
    tokio::pin!(give_up, wake_timer);
    let mut wake_timer_ns = None;
    loop {
        let now_ns = metrics::now_ns();
        let sending = bidder.open && now_ns < stop_ns;
        if !sending && bidder.outstanding.is_empty() && bidder.sight.closed.is_some() {
            break;
        }
        let wake = if sending { bidder.next_wake_ns() } else { None };
        let due = wake.is_some_and(|wake_ns| wake_ns <= now_ns);
        if let Some(wake_ns) = wake.filter(|_| !due)
            && wake_timer_ns != Some(wake_ns)
        {
            wake_timer.as_mut().reset(metrics::instant_at(wake_ns));
            wake_timer_ns = Some(wake_ns);
        }
        tokio::select! {
            biased;
            frame = connection.next_frame() => match frame {
                Ok(Some(frame)) => match connection.encoding().decode(&frame) {
                    Ok(message) => bidder.handle(&message, metrics),
                    Err(error) => {
                        Metrics::count(&metrics.errors);
                        eprintln!("bidder in lot {lot}: {error:#}");
                    }
                },
                Ok(None) | Err(_) => {
                    Metrics::count(&metrics.errors);
                    eprintln!("bidder in lot {lot}: the connection ended early");
                    break;
                }
            },
            () = wait_unless(due, wake_timer.as_mut()), if wake.is_some() => {
                if let Err(error) = bidder.send_due(&mut connection, stop_ns, metrics).await {
                    Metrics::count(&metrics.errors);
                    eprintln!("bidder in lot {lot}: {error:#}");
                    break;
                }
            }
            () = &mut give_up => break,
        }
    }
    connection.close().await;
    BidderOutcome {
        unanswered: bidder.outstanding.len() as u64,
        sight: bidder.sight,
    }
}

/// Waits for `timer`, unless the time has come already.
async fn wait_unless(due: bool, timer: Pin<&mut Sleep>) {
    if !due {
        timer.await;
    }
}

impl Bidder {
    fn opened(&mut self) {
        if self.open {
            return;
        }
        self.open = true;
        let now_ns = metrics::now_ns();
        match self.plan.pace {
            Pace::Open { phase_ns, .. } => self.next_send_ns = Some(now_ns + phase_ns),
            Pace::Closed { .. } => self.ready_at_ns = now_ns,
        }
    }

    /// When to send next, if there is anything to send.
    fn next_wake_ns(&self) -> Option<u64> {
        match self.plan.pace {
            Pace::Open { .. } => self.next_send_ns,
            Pace::Closed { .. } => {
                (self.outstanding.is_empty() && !self.leading).then_some(self.ready_at_ns)
            }
        }
    }

    async fn send_due(
        &mut self,
        connection: &mut Connection,
        stop_ns: u64,
        metrics: &Metrics,
    ) -> anyhow::Result<()> {
        match self.plan.pace {
            Pace::Open { interval_ns, .. } => {
                // Every intended time that has come, late ones included, each measured
                // from its own intended time.
                let now_ns = metrics::now_ns();
                while let Some(intended_ns) =
                    self.next_send_ns.filter(|&ns| ns <= now_ns && ns < stop_ns)
                {
                    self.next_send_ns = Some(intended_ns + interval_ns);
                    if self.leading {
                        Metrics::count(&metrics.bids_skipped_leading);
                    } else {
                        self.send_bid(connection, intended_ns, metrics).await?;
                    }
                }
            }
            Pace::Closed { .. } => {
                let now_ns = metrics::now_ns();
                self.send_bid(connection, now_ns, metrics).await?;
            }
        }
        Ok(())
    }

    async fn send_bid(
        &mut self,
        connection: &mut Connection,
        sent_ns: u64,
        metrics: &Metrics,
    ) -> anyhow::Result<()> {
        let req = self.next_req;
        self.next_req += 1;
        let amount_cents = match self.plan.strategy {
            Strategy::MinNext => self.min_next_cents,
            Strategy::Ladder => self
                .plan
                .room
                .claim_rung(self.min_next_cents, INCREMENT_CENTS),
        };
        self.outstanding.insert(
            req,
            Outstanding {
                sent_ns,
                amount_cents,
            },
        );
        let amount = format_cents(amount_cents);
        let req_text = req.to_string();
        connection
            .send(&Outgoing::Bid {
                lot: self.lot,
                amount: &amount,
                req: &req_text,
            })
            .await?;
        Metrics::count(&metrics.bids_sent);
        Ok(())
    }

    fn handle(&mut self, message: &Incoming<'_>, metrics: &Metrics) {
        match &*message.kind {
            "accepted" => self.on_accepted(message, metrics),
            "rejected" => self.on_rejected(message, metrics),
            "error" => {
                Metrics::count(&metrics.errors);
                eprintln!(
                    "bidder in lot {}: error {}: {}",
                    self.lot,
                    message.code.as_deref().unwrap_or_default(),
                    message.message.as_deref().unwrap_or_default()
                );
            }
            _ => {
                if self.sight.observe(message) {
                    Metrics::count(&metrics.deliveries);
                    self.on_event(message);
                }
            }
        }
    }

    fn on_event(&mut self, message: &Incoming<'_>) {
        match &*message.kind {
            "bid" => {
                let seq = message.seq.unwrap_or_default();
                if seq > self.known_seq {
                    self.known_seq = seq;
                    if let Some(amount) = message.amount.as_deref().and_then(parse_cents) {
                        self.min_next_cents = amount + INCREMENT_CENTS;
                    }
                    self.leading = message.bidder.as_deref() == Some(&*self.plan.bidder_number);
                }
            }
            "state" if message.state.as_deref() == Some("open") => self.opened(),
            _ => {}
        }
    }

    fn answered(&mut self, message: &Incoming<'_>) -> Option<Outstanding> {
        let req = message.req.as_deref()?.parse::<u64>().ok()?;
        let outstanding = self.outstanding.remove(&req);
        if let Pace::Closed { think } = self.plan.pace {
            self.ready_at_ns = metrics::now_ns() + think.as_nanos() as u64;
        }
        outstanding
    }

    fn on_accepted(&mut self, message: &Incoming<'_>, metrics: &Metrics) {
        let Some(bid) = self.answered(message) else {
            Metrics::count(&metrics.errors);
            return;
        };
        metrics.record_since(Latency::Accepted, bid.sent_ns);
        Metrics::count(&metrics.bids_accepted);
        let seq = message.seq.unwrap_or_default();
        let amount = message.amount.as_deref().unwrap_or_default();
        if parse_cents(amount) != Some(bid.amount_cents) {
            Metrics::count(&metrics.errors);
            eprintln!(
                "bidder in lot {}: bid {} accepted as {amount}",
                self.lot,
                format_cents(bid.amount_cents)
            );
        }
        self.plan.room.accepted(
            AcceptedBid {
                seq,
                amount: amount.to_owned(),
                bidder: message.bidder.as_deref().unwrap_or_default().to_owned(),
                at_ms: message.at_ms.unwrap_or_default(),
            },
            bid.sent_ns,
        );
        if seq > self.known_seq {
            self.known_seq = seq;
            self.min_next_cents = bid.amount_cents + INCREMENT_CENTS;
            self.leading = true;
        }
    }

    fn on_rejected(&mut self, message: &Incoming<'_>, metrics: &Metrics) {
        let Some(bid) = self.answered(message) else {
            Metrics::count(&metrics.errors);
            return;
        };
        metrics.record_since(Latency::Rejected, bid.sent_ns);
        let code = message.code.as_deref().unwrap_or("other");
        metrics.reject(code);
        if let Some(min_next) = message.min_next.as_deref().and_then(parse_cents) {
            self.min_next_cents = self.min_next_cents.max(min_next);
        }
        if code == "already_leading" {
            self.leading = true;
        }
    }
}
