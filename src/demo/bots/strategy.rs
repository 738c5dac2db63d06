//! How a demo bidder behaves in one lot, with no I/O: it is handed what the server said
//! and the time, and answers when to bid next and how much.
//!
//! It bids the lowest valid amount (now and then a jump of one or two increments) a few
//! seconds after being outbid, more quickly in timed bidding but never too late to count,
//! and stops at a ceiling of its own drawn for the lot, so the second-highest ceiling
//! decides where the lot ends.

use std::ops::Range;
use std::time::Duration;

use rand::Rng;
use serde::Deserialize;
use tokio::time::Instant;

use crate::demo::lots::DemoLot;
use crate::demo::timing::{DemoTimings, draw};
use crate::domain::LotId;
use crate::money::Money;

/// How often a bid jumps above `min_next`, and by how many increments at most.
const JUMP_CHANCE: f64 = 0.15;
const MAX_JUMP_INCREMENTS: u64 = 2;

/// The server's messages a demo bidder reads (SPEC §4); any other fails to parse and is
/// ignored.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Heard {
    Snapshot {
        lot: LotId,
        state: String,
        min_next: Money,
        increment: Money,
        leader: Option<String>,
        deadline_ms: i64,
        you: HeardYou,
    },
    Bid {
        lot: LotId,
        bidder: String,
        price: Money,
        deadline_ms: i64,
    },
    State {
        lot: LotId,
        state: String,
        deadline_ms: i64,
    },
    Closed {
        lot: LotId,
    },
    Accepted {
        lot: LotId,
        req: String,
    },
    Rejected {
        lot: LotId,
        req: String,
        code: String,
        min_next: Option<Money>,
    },
}

#[derive(Debug, Deserialize)]
pub struct HeardYou {
    #[serde(default)]
    pub bidder_number: Option<String>,
    #[serde(default)]
    pub eligible: bool,
}

impl Heard {
    pub fn lot(&self) -> Option<LotId> {
        match self {
            Heard::Snapshot { lot, .. }
            | Heard::Bid { lot, .. }
            | Heard::State { lot, .. }
            | Heard::Closed { lot }
            | Heard::Accepted { lot, .. }
            | Heard::Rejected { lot, .. } => Some(*lot),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Room {
    /// Not known yet, or published and waiting for its opening.
    Waiting,
    Open,
    Paused,
}

/// Whether the bidder stays in the lot after a message.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Stays,
    /// The lot closed or was cancelled, or this bidder may not bid in it: leave.
    Done,
}

/// One demo bidder's view of one lot and its plan in it.
#[derive(Debug)]
pub struct LotPlan {
    extension_window_ms: i64,
    ceiling_increments: u64,
    /// Drawn at the first snapshot: that snapshot's `min_next` plus the ceiling increments.
    ceiling: Option<Money>,
    increment: Money,
    room: Room,
    min_next: Option<Money>,
    leader: Option<String>,
    me: Option<String>,
    deadline_ms: i64,
    next_bid_at: Option<Instant>,
    in_flight: Option<String>,
    opening_reply: Range<Duration>,
    free_reply: Range<Duration>,
    timed_reply: Range<Duration>,
    timed_margin_ms: i64,
}

impl LotPlan {
    pub fn new(lot: &DemoLot, timings: &DemoTimings, rng: &mut impl Rng) -> LotPlan {
        LotPlan {
            extension_window_ms: lot.extension_window_ms,
            ceiling_increments: rng.random_range(timings.ceiling_increments.clone()),
            ceiling: None,
            increment: Money::default(),
            room: Room::Waiting,
            min_next: None,
            leader: None,
            me: None,
            deadline_ms: lot.starts_at_ms,
            next_bid_at: None,
            in_flight: None,
            opening_reply: timings.opening_bid_reply.clone(),
            free_reply: timings.free_bidding_reply.clone(),
            timed_reply: timings.timed_bidding_reply.clone(),
            timed_margin_ms: timings.timed_bidding_margin.as_millis() as i64,
        }
    }

    pub fn next_bid_at(&self) -> Option<Instant> {
        self.next_bid_at
    }

    /// Takes in one message about this lot and plans the next bid.
    pub fn hear(
        &mut self,
        message: Heard,
        now: Instant,
        now_ms: i64,
        rng: &mut impl Rng,
    ) -> Outcome {
        match message {
            Heard::Snapshot {
                state,
                min_next,
                increment,
                leader,
                deadline_ms,
                you,
                ..
            } => {
                if !you.eligible || you.bidder_number.is_none() {
                    return Outcome::Done;
                }
                let Some(room) = room_state(&state) else {
                    return Outcome::Done;
                };
                self.room = room;
                self.increment = increment;
                self.min_next = Some(min_next);
                self.leader = leader;
                self.me = you.bidder_number;
                self.deadline_ms = deadline_ms;
                if self.ceiling.is_none() {
                    self.ceiling = min_next.plus_steps(increment, self.ceiling_increments);
                }
            }
            Heard::Bid {
                bidder,
                price,
                deadline_ms,
                ..
            } => {
                self.min_next = price.checked_add(self.increment);
                self.leader = Some(bidder);
                self.deadline_ms = deadline_ms;
            }
            Heard::State {
                state, deadline_ms, ..
            } => {
                let Some(room) = room_state(&state) else {
                    return Outcome::Done;
                };
                self.room = room;
                self.deadline_ms = deadline_ms;
            }
            Heard::Closed { .. } => return Outcome::Done,
            Heard::Accepted { req, .. } => {
                if self.in_flight.as_deref() == Some(req.as_str()) {
                    self.in_flight = None;
                    self.leader = self.me.clone();
                }
            }
            Heard::Rejected {
                req,
                code,
                min_next,
                ..
            } => {
                if self.in_flight.as_deref() != Some(req.as_str()) {
                    return Outcome::Stays;
                }
                self.in_flight = None;
                match code.as_str() {
                    "too_low" | "bad_increment" => self.min_next = min_next.or(self.min_next),
                    "already_leading" => self.leader = self.me.clone(),
                    // A state or closed event follows; so does the bucket's refill.
                    "not_open" | "rate_limited" => {}
                    _ => return Outcome::Done,
                }
            }
        }
        self.plan(now, now_ms, rng);
        Outcome::Stays
    }

    /// The amount to bid if the planned time has come (and the bid still makes sense).
    pub fn bid_due(&mut self, now: Instant, now_ms: i64, rng: &mut impl Rng) -> Option<Money> {
        if self.next_bid_at.is_none_or(|at| at > now) {
            return None;
        }
        self.next_bid_at = None;
        if !self.wants_to_bid() || now_ms >= self.deadline_ms {
            return None;
        }
        let (min_next, ceiling) = (self.min_next?, self.ceiling?);
        if rng.random_bool(JUMP_CHANCE) {
            let jump = rng.random_range(1..=MAX_JUMP_INCREMENTS);
            if let Some(amount) = min_next.plus_steps(self.increment, jump)
                && amount <= ceiling
            {
                return Some(amount);
            }
        }
        Some(min_next)
    }

    /// The bid with this `req` is on its way: no other until it is answered.
    pub fn sent(&mut self, req: String) {
        self.in_flight = Some(req);
    }

    fn wants_to_bid(&self) -> bool {
        let below_ceiling = match (self.min_next, self.ceiling) {
            (Some(min_next), Some(ceiling)) => min_next <= ceiling,
            _ => false,
        };
        self.room == Room::Open
            && self.in_flight.is_none()
            && self.me.is_some()
            && self.leader != self.me
            && below_ceiling
    }

    /// Draws when to bid next: soon after the opening; a few seconds in free bidding; in
    /// timed bidding sooner, and always at least the margin before the deadline.
    fn plan(&mut self, now: Instant, now_ms: i64, rng: &mut impl Rng) {
        self.next_bid_at = None;
        if !self.wants_to_bid() {
            return;
        }
        let remaining_ms = self.deadline_ms - now_ms;
        let latest_ms = remaining_ms - self.timed_margin_ms;
        if latest_ms <= 0 {
            return;
        }
        let reply = if self.leader.is_none() {
            &self.opening_reply
        } else if remaining_ms > self.extension_window_ms {
            &self.free_reply
        } else {
            &self.timed_reply
        };
        let latest = Duration::from_millis(latest_ms as u64);
        let delay = match draw(rng, reply) {
            delay if delay < latest => delay,
            _ => draw(rng, &(Duration::ZERO..latest)),
        };
        self.next_bid_at = Some(now + delay);
    }
}

fn room_state(state: &str) -> Option<Room> {
    match state {
        "draft" | "published" => Some(Room::Waiting),
        "open" => Some(Room::Open),
        "paused" => Some(Room::Paused),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    const LOT: LotId = 7;
    const WINDOW_MS: i64 = 30_000;

    fn money(text: &str) -> Money {
        text.parse().unwrap()
    }

    fn plan(rng: &mut StdRng, now_ms: i64) -> LotPlan {
        let lot = DemoLot {
            id: LOT,
            title: "a lot".to_owned(),
            starts_at_ms: now_ms,
            extension_window_ms: WINDOW_MS,
        };
        LotPlan::new(&lot, &DemoTimings::default(), rng)
    }

    fn snapshot(state: &str, leader: Option<&str>, deadline_ms: i64) -> Heard {
        Heard::Snapshot {
            lot: LOT,
            state: state.to_owned(),
            min_next: money("1000.00"),
            increment: money("100.00"),
            leader: leader.map(str::to_owned),
            deadline_ms,
            you: HeardYou {
                bidder_number: Some("0427".to_owned()),
                eligible: true,
            },
        }
    }

    fn bid(bidder: &str, price: &str, deadline_ms: i64) -> Heard {
        Heard::Bid {
            lot: LOT,
            bidder: bidder.to_owned(),
            price: money(price),
            deadline_ms,
        }
    }

    /// Moves time on to the planned bid and takes it.
    fn take_due_bid(plan: &mut LotPlan, now: Instant, rng: &mut StdRng) -> (Duration, Money) {
        let at = plan.next_bid_at().expect("a planned bid");
        let amount = plan.bid_due(at, 0, rng).expect("a bid when due");
        (at - now, amount)
    }

    #[test]
    fn a_bidder_waits_for_the_opening_then_bids_soon_after_it() {
        let mut rng = StdRng::seed_from_u64(1);
        let now = Instant::now();
        let mut plan = plan(&mut rng, 0);
        plan.hear(snapshot("published", None, 200_000), now, 0, &mut rng);
        assert_eq!(plan.next_bid_at(), None, "no bid before the opening");
        plan.hear(
            Heard::State {
                lot: LOT,
                state: "open".to_owned(),
                deadline_ms: 200_000,
            },
            now,
            0,
            &mut rng,
        );
        let (delay, amount) = take_due_bid(&mut plan, now, &mut rng);
        assert!(DemoTimings::default().opening_bid_reply.contains(&delay));
        assert!(amount >= money("1000.00") && amount <= money("1200.00"));
        plan.sent("demo-1".to_owned());
        let accepted = Heard::Accepted {
            lot: LOT,
            req: "demo-1".to_owned(),
        };
        plan.hear(accepted, now, 0, &mut rng);
        plan.hear(bid("0427", "1000.00", 200_000), now, 0, &mut rng);
        plan.hear(bid("0815", "1100.00", 200_000), now, 0, &mut rng);
        let (delay, _) = take_due_bid(&mut plan, now, &mut rng);
        assert!(DemoTimings::default().free_bidding_reply.contains(&delay));
    }

    #[test]
    fn the_leader_waits_and_an_outbid_bidder_answers_with_the_next_valid_amount() {
        let mut rng = StdRng::seed_from_u64(2);
        let now = Instant::now();
        let mut plan = plan(&mut rng, 0);
        plan.hear(snapshot("open", Some("0427"), 200_000), now, 0, &mut rng);
        assert_eq!(plan.next_bid_at(), None, "no one raises their own bid");
        plan.hear(bid("0815", "1500.00", 200_000), now, 0, &mut rng);
        let (_, amount) = take_due_bid(&mut plan, now, &mut rng);
        let valid = ["1600.00", "1700.00", "1800.00"].map(money);
        assert!(valid.contains(&amount), "{amount}");
        plan.sent("demo-1".to_owned());
        assert!(
            plan.bid_due(now + Duration::from_secs(60), 0, &mut rng)
                .is_none()
        );
    }

    #[test]
    fn a_too_low_answer_is_retried_at_the_rooms_min_next() {
        let mut rng = StdRng::seed_from_u64(3);
        let now = Instant::now();
        let mut plan = plan(&mut rng, 0);
        plan.hear(snapshot("open", Some("0815"), 200_000), now, 0, &mut rng);
        plan.bid_due(plan.next_bid_at().unwrap(), 0, &mut rng);
        plan.sent("demo-1".to_owned());
        let rejected = Heard::Rejected {
            lot: LOT,
            req: "demo-1".to_owned(),
            code: "too_low".to_owned(),
            min_next: Some(money("1400.00")),
        };
        assert_eq!(plan.hear(rejected, now, 0, &mut rng), Outcome::Stays);
        let (_, amount) = take_due_bid(&mut plan, now, &mut rng);
        assert!(amount >= money("1400.00"), "{amount}");
    }

    #[test]
    fn a_bidder_stops_at_its_ceiling() {
        let mut rng = StdRng::seed_from_u64(4);
        let now = Instant::now();
        let mut plan = plan(&mut rng, 0);
        plan.hear(snapshot("open", None, 200_000), now, 0, &mut rng);
        let ceiling = plan.ceiling.unwrap();
        let mut price = money("1000.00");
        let mut bids = 0;
        while plan.next_bid_at().is_some() {
            let (_, amount) = take_due_bid(&mut plan, now, &mut rng);
            assert!(amount <= ceiling, "{amount} over the ceiling {ceiling}");
            plan.sent(format!("demo-{bids}"));
            plan.hear(
                Heard::Accepted {
                    lot: LOT,
                    req: format!("demo-{bids}"),
                },
                now,
                0,
                &mut rng,
            );
            // Someone else outbids it at once.
            price = amount + money("100.00");
            plan.hear(bid("0815", &price.to_string(), 200_000), now, 0, &mut rng);
            bids += 1;
            assert!(bids < 100, "the bidder never stopped");
        }
        assert!(price + money("100.00") > ceiling);
    }

    #[test]
    fn in_timed_bidding_a_bid_is_planned_before_the_deadline() {
        let mut rng = StdRng::seed_from_u64(5);
        let margin = DemoTimings::default().timed_bidding_margin;
        for remaining_ms in [29_000, 10_000, 3_000, 2_500] {
            let now = Instant::now();
            let mut plan = plan(&mut rng, 0);
            plan.hear(
                snapshot("open", Some("0815"), remaining_ms),
                now,
                0,
                &mut rng,
            );
            let at = plan.next_bid_at().expect("a planned bid");
            assert!(
                at - now + margin <= Duration::from_millis(remaining_ms as u64),
                "planned {:?} with {remaining_ms} ms left",
                at - now
            );
        }
        let now = Instant::now();
        let mut plan = plan(&mut rng, 0);
        plan.hear(snapshot("open", Some("0815"), 1_000), now, 0, &mut rng);
        assert_eq!(plan.next_bid_at(), None, "too late to count");
    }

    #[test]
    fn a_closed_or_cancelled_lot_and_an_ineligible_bidder_leave() {
        let mut rng = StdRng::seed_from_u64(6);
        let now = Instant::now();
        let mut lot_plan = plan(&mut rng, 0);
        assert_eq!(
            lot_plan.hear(Heard::Closed { lot: LOT }, now, 0, &mut rng),
            Outcome::Done
        );
        let cancelled = Heard::State {
            lot: LOT,
            state: "cancelled".to_owned(),
            deadline_ms: 0,
        };
        assert_eq!(lot_plan.hear(cancelled, now, 0, &mut rng), Outcome::Done);
        let mut ineligible = snapshot("open", None, 200_000);
        if let Heard::Snapshot { you, .. } = &mut ineligible {
            you.eligible = false;
        }
        let mut lot_plan = plan(&mut rng, 0);
        assert_eq!(lot_plan.hear(ineligible, now, 0, &mut rng), Outcome::Done);
    }
}
