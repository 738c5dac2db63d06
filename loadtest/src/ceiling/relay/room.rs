//! A relay room: a lot's schedule, its seq, its latest bid, and the broadcast channel of
//! its events. Nothing is journaled, and of bidroom's rules only the one that decides what
//! a bid costs is kept: a bid below the room's next acceptable amount (its price and one
//! increment) is refused `too_low` with that amount, as bidroom refuses it, since a refusal
//! is one frame and an accepted bid an event to every member, and the scenarios' bidders
//! race for the same amounts. Every other bid a bidder sends while the room is open is
//! accepted (no eligibility but the token's, no increments, no deposits, no leader rule).
//! The deadline moves as bidroom's `reset` extensions move it, so that a room closes when
//! bidroom's would and its events carry the same fields.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::Message;

use crate::api::LotOutcome;
use crate::wire::Encoding;

use super::protocol::{Answer, Cents, Event, Frame, Identity, Snapshot, You};

/// Events a member may fall behind before it is resynchronised with a snapshot: bidroom's
/// room broadcast capacity.
const BROADCAST_CAPACITY: usize = 1024;

/// The terms of the rooms a run asks the relay for (the lots' terms in bidroom).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomTerms {
    pub rooms: usize,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub extension_secs: u32,
    pub max_extensions: Option<u32>,
    pub start_price_cents: i64,
    pub increment_cents: i64,
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_millis() as i64
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Published,
    Open,
    Closed,
}

pub struct Room {
    pub lot: i64,
    terms: RoomTerms,
    state: Mutex<RoomState>,
}

struct RoomState {
    phase: Phase,
    seq: u64,
    deadline_ms: i64,
    extensions: u32,
    price: Option<Cents>,
    leader: Option<Arc<str>>,
    accepted: u64,
    events: broadcast::Sender<Arc<Frame>>,
}

/// An accepted bid, as its answer tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Accepted {
    pub seq: u64,
    pub at_ms: i64,
    pub deadline_ms: i64,
}

/// Why a bid was not taken: bidroom's code and message (and, for one too low, the lowest
/// amount the room takes now).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused {
    pub code: &'static str,
    pub message: &'static str,
    pub min_next: Option<Cents>,
}

const NOT_OPEN: Refused = Refused {
    code: "not_open",
    message: "the lot is not open for bidding",
    min_next: None,
};
const NOT_ELIGIBLE: Refused = Refused {
    code: "not_eligible",
    message: "you are not eligible to bid in this lot",
    min_next: None,
};

fn too_low(min_next: Cents) -> Refused {
    Refused {
        code: "too_low",
        message: "the amount is below the lowest acceptable bid",
        min_next: Some(min_next),
    }
}

impl Room {
    pub fn new(lot: i64, terms: RoomTerms) -> Arc<Room> {
        let (events, _) = broadcast::channel(BROADCAST_CAPACITY);
        Arc::new(Room {
            lot,
            state: Mutex::new(RoomState {
                phase: Phase::Published,
                seq: 0,
                deadline_ms: terms.ends_at_ms,
                extensions: 0,
                price: None,
                leader: None,
                accepted: 0,
                events,
            }),
            terms,
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, RoomState> {
        self.state.lock().expect("a relay room")
    }

    /// Subscribes a member and gives it the snapshot at the same seq (under one lock: every
    /// later event reaches the subscription, none before it).
    pub fn join(
        &self,
        identity: &Identity,
        req: Option<&str>,
        encoding: Encoding,
    ) -> (Message, broadcast::Receiver<Arc<Frame>>) {
        let state = self.state();
        let receiver = state.events.subscribe();
        let (bidder_number, reason) = match identity {
            Identity::Bidder { number, .. } => (Some(&**number), None),
            Identity::Watcher => (None, Some("not_registered")),
        };
        let snapshot = Snapshot {
            lot: self.lot,
            state: match state.phase {
                Phase::Published => "published",
                Phase::Open => "open",
                Phase::Closed => "closed",
            },
            phase: self.phase_at(&state, now_ms()),
            currency: "CNY",
            price: state.price,
            min_next: self.min_next(&state),
            increment: Cents(self.terms.increment_cents),
            has_reserve: false,
            leader: state.leader.as_deref(),
            deadline_ms: state.deadline_ms,
            extensions: state.extensions,
            server_time_ms: now_ms(),
            seq: state.seq,
            recent_bids: [],
            you: You {
                bidder_number,
                eligible: bidder_number.is_some(),
                reason,
                priority_rank: None,
            },
            req,
        };
        let message = encoding.frame(&Answer::Snapshot(snapshot));
        (message, receiver)
    }

    fn min_next(&self, state: &RoomState) -> Cents {
        match state.price {
            Some(Cents(price)) => Cents(price + self.terms.increment_cents),
            None => Cents(self.terms.start_price_cents),
        }
    }

    /// `timed` in the last extension window before the deadline, as in bidroom.
    fn phase_at(&self, state: &RoomState, now_ms: i64) -> &'static str {
        if now_ms >= state.deadline_ms - i64::from(self.terms.extension_secs) * 1000 {
            "timed"
        } else {
            "free"
        }
    }

    /// Takes a bid: an amount from a bidder at or above the next acceptable one, while the
    /// room is open, becomes the price, is broadcast to every member, and is answered.
    pub fn bid(&self, identity: &Identity, amount: Cents) -> Result<Accepted, Refused> {
        let Identity::Bidder { number, .. } = identity else {
            return Err(NOT_ELIGIBLE);
        };
        let at_ms = now_ms();
        let mut state = self.state();
        if state.phase != Phase::Open || at_ms >= state.deadline_ms {
            return Err(NOT_OPEN);
        }
        let min_next = self.min_next(&state);
        if amount.0 < min_next.0 {
            return Err(too_low(min_next));
        }
        let phase = self.phase_at(&state, at_ms);
        let window_ms = i64::from(self.terms.extension_secs) * 1000;
        let may_extend = self
            .terms
            .max_extensions
            .is_none_or(|most| state.extensions < most);
        if phase == "timed" && may_extend && window_ms > 0 {
            state.deadline_ms = at_ms + window_ms;
            state.extensions += 1;
        }
        state.seq += 1;
        state.price = Some(amount);
        state.leader = Some(number.clone());
        state.accepted += 1;
        let accepted = Accepted {
            seq: state.seq,
            at_ms,
            deadline_ms: state.deadline_ms,
        };
        let frame = Frame::new(Event::Bid {
            lot: self.lot,
            seq: accepted.seq,
            amount,
            bidder: number.clone(),
            at_ms,
            deadline_ms: accepted.deadline_ms,
            price: amount,
            phase,
        });
        // Sent under the lock, so that the channel holds the events in seq order. A room
        // nobody has joined has no receiver, which is no error.
        let _ = state.events.send(frame);
        Ok(accepted)
    }

    /// Opens the room at its start and closes it at its deadline (as extended meanwhile).
    pub async fn run_clock(self: Arc<Room>) {
        sleep_until_ms(self.terms.starts_at_ms).await;
        self.open();
        loop {
            let deadline_ms = self.state().deadline_ms;
            sleep_until_ms(deadline_ms).await;
            if self.close_if_due(now_ms()) {
                return;
            }
        }
    }

    fn open(&self) {
        let mut state = self.state();
        state.phase = Phase::Open;
        state.seq += 1;
        let frame = Frame::new(Event::State {
            lot: self.lot,
            seq: state.seq,
            state: "open",
            deadline_ms: state.deadline_ms,
        });
        let _ = state.events.send(frame);
    }

    /// Closes the room if its deadline has come; true once closed.
    fn close_if_due(&self, now_ms: i64) -> bool {
        let mut state = self.state();
        if now_ms < state.deadline_ms {
            return false;
        }
        state.phase = Phase::Closed;
        state.seq += 1;
        let frame = Frame::new(Event::Closed {
            lot: self.lot,
            seq: state.seq,
            result: if state.price.is_some() {
                "sold"
            } else {
                "unsold"
            },
            price: state.price,
            winner_bidder: state.leader.clone(),
        });
        let _ = state.events.send(frame);
        true
    }

    /// What bidroom's `/lots/{id}/result` would say of the room.
    pub fn outcome(&self) -> LotOutcome {
        let state = self.state();
        LotOutcome {
            status: match (state.phase, state.price) {
                (Phase::Closed, Some(_)) => "sold",
                (Phase::Closed, None) => "unsold",
                (Phase::Open, _) => "open",
                (Phase::Published, _) => "published",
            }
            .to_owned(),
            price: state
                .price
                .map(|Cents(cents)| crate::wire::format_cents(cents)),
            winner_bidder: state.leader.as_deref().map(str::to_owned),
            bid_count: state.accepted,
        }
    }
}

async fn sleep_until_ms(unix_ms: i64) {
    let wait_ms = unix_ms - now_ms();
    if wait_ms > 0 {
        tokio::time::sleep(Duration::from_millis(wait_ms as u64)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(starts_at_ms: i64, ends_at_ms: i64) -> RoomTerms {
        RoomTerms {
            rooms: 1,
            starts_at_ms,
            ends_at_ms,
            extension_secs: 1,
            max_extensions: None,
            start_price_cents: 100_000,
            increment_cents: 1_000,
        }
    }

    fn bidder(number: &str) -> Identity {
        Identity::Bidder {
            account_id: 1,
            number: Arc::from(number),
        }
    }

    fn event(receiver: &mut broadcast::Receiver<Arc<Frame>>) -> serde_json::Value {
        let frame = receiver.try_recv().expect("an event");
        let Message::Text(text) = frame.message(Encoding::Json) else {
            panic!("JSON is text")
        };
        serde_json::from_str(text.as_str()).unwrap()
    }

    #[test]
    fn bids_are_taken_only_while_open_from_bidders_and_not_below_the_next_amount() {
        let now = now_ms();
        let room = Room::new(5, terms(now, now + 60_000));
        let (_, mut events) = room.join(&Identity::Watcher, None, Encoding::Json);
        assert_eq!(room.bid(&bidder("0001"), Cents(100_000)), Err(NOT_OPEN));
        room.open();
        assert_eq!(event(&mut events)["state"], "open");
        assert_eq!(
            room.bid(&Identity::Watcher, Cents(100_000)),
            Err(NOT_ELIGIBLE)
        );
        assert_eq!(
            room.bid(&bidder("0001"), Cents(99_000)),
            Err(too_low(Cents(100_000)))
        );
        let accepted = room.bid(&bidder("0001"), Cents(100_000)).unwrap();
        assert_eq!(accepted.seq, 2);
        assert_eq!(
            room.bid(&bidder("0002"), Cents(100_500)),
            Err(too_low(Cents(101_000)))
        );
        // No increments, no leader rule: any amount from the next acceptable one up.
        let higher = room.bid(&bidder("0001"), Cents(150_050)).unwrap();
        assert_eq!(higher.seq, 3);
        let first = event(&mut events);
        assert_eq!(
            (first["seq"].as_u64(), first["amount"].as_str()),
            (Some(2), Some("1000.00"))
        );
        assert_eq!(event(&mut events)["amount"], "1500.50");
        assert!(!room.close_if_due(now));
        assert!(room.close_if_due(now + 60_000));
        let closed = event(&mut events);
        assert_eq!(
            (closed["seq"].as_u64(), closed["price"].as_str()),
            (Some(4), Some("1500.50"))
        );
        assert_eq!(closed["winner_bidder"], "0001");
        assert_eq!(room.bid(&bidder("0001"), Cents(200_000)), Err(NOT_OPEN));
        let outcome = room.outcome();
        assert_eq!(
            (
                outcome.status.as_str(),
                outcome.price.as_deref(),
                outcome.bid_count
            ),
            ("sold", Some("1500.50"), 2)
        );
    }

    #[test]
    fn a_bid_in_the_last_window_moves_the_deadline() {
        let now = now_ms();
        let room = Room::new(1, terms(now, now + 500));
        room.open();
        let accepted = room.bid(&bidder("0001"), Cents(100_000)).unwrap();
        assert!(accepted.deadline_ms >= accepted.at_ms + 1_000);
        assert!(!room.close_if_due(now + 500));
    }

    #[test]
    fn a_snapshot_shows_the_member_its_standing() {
        let now = now_ms();
        let room = Room::new(9, terms(now + 1_000, now + 60_000));
        let (snapshot, _) = room.join(&bidder("0042"), Some("join-9"), Encoding::Json);
        let Message::Text(text) = snapshot else {
            panic!("JSON is text")
        };
        let snapshot: serde_json::Value = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!(snapshot["type"], "snapshot");
        assert_eq!(snapshot["state"], "published");
        assert_eq!(snapshot["min_next"], "1000.00");
        assert_eq!(snapshot["you"]["bidder_number"], "0042");
        assert_eq!(snapshot["you"]["eligible"], true);
        assert_eq!(snapshot["req"], "join-9");
    }
}
