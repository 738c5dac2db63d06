//! What the load tester knows of one room: the accepted bids its bidders were told about
//! (the truth every watcher is checked against), when each was sent (for bid→broadcast
//! latency), and what each connection in the room saw.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use crate::wire::Incoming;

/// An accepted bid as its bidder's `accepted` answer told it.
#[derive(Clone, Debug)]
pub struct AcceptedBid {
    pub seq: u64,
    pub amount: String,
    pub bidder: String,
    pub at_ms: i64,
}

impl AcceptedBid {
    pub fn fingerprint(&self) -> u64 {
        bid_fingerprint(self.seq, &self.amount, &self.bidder)
    }
}

/// A room shared by its bidder and watcher tasks.
pub struct RoomRecord {
    pub lot: i64,
    pub accepted: Mutex<Vec<AcceptedBid>>,
    send_times: SendTimes,
    /// The ladder strategy's next free rung, in cents.
    ladder_cents: AtomicI64,
}

impl RoomRecord {
    pub fn new(lot: i64) -> RoomRecord {
        RoomRecord {
            lot,
            accepted: Mutex::new(Vec::new()),
            send_times: SendTimes::new(),
            ladder_cents: AtomicI64::new(0),
        }
    }

    /// Claims the ladder's next rung at or above `min_next_cents`; returns its amount.
    pub fn claim_rung(&self, min_next_cents: i64, increment_cents: i64) -> i64 {
        let previous = self
            .ladder_cents
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |rung| {
                Some(rung.max(min_next_cents) + increment_cents)
            })
            .expect("the update always succeeds");
        previous.max(min_next_cents)
    }

    /// A bidder was told its bid is accepted; `sent_ns` is when it was (meant to be) sent.
    pub fn accepted(&self, bid: AcceptedBid, sent_ns: u64) {
        self.send_times.set(bid.seq, sent_ns);
        self.accepted.lock().expect("accepted bids").push(bid);
    }

    /// When the bid with this seq was sent, once its bidder has heard it was accepted.
    pub fn sent_ns(&self, seq: u64) -> Option<u64> {
        self.send_times.get(seq)
    }
}

/// Send times by seq, readable without a lock: chunks of atomics allocated on first use.
struct SendTimes {
    chunks: Box<[OnceLock<Box<[AtomicU64]>>]>,
}

const CHUNK: usize = 4096;
/// 4,096 chunks × 4,096 = 16.7 million bids a room can time; later ones go untimed.
const CHUNKS: usize = 4096;

impl SendTimes {
    fn new() -> SendTimes {
        SendTimes {
            chunks: (0..CHUNKS).map(|_| OnceLock::new()).collect(),
        }
    }

    fn set(&self, seq: u64, ns: u64) {
        let (chunk, offset) = (seq as usize / CHUNK, seq as usize % CHUNK);
        if let Some(slot) = self.chunks.get(chunk) {
            let times = slot.get_or_init(|| (0..CHUNK).map(|_| AtomicU64::new(0)).collect());
            times[offset].store(ns, Ordering::Release);
        }
    }

    fn get(&self, seq: u64) -> Option<u64> {
        let (chunk, offset) = (seq as usize / CHUNK, seq as usize % CHUNK);
        let ns = self.chunks.get(chunk)?.get()?[offset].load(Ordering::Acquire);
        (ns != 0).then_some(ns)
    }
}

/// An order-independent digest of bids: the wrapping sum of each bid's fingerprint, so
/// that a watcher's digest over a seq range can be compared with the accepted bids in it.
pub fn bid_fingerprint(seq: u64, amount: &str, bidder: &str) -> u64 {
    // FNV-1a over the fields, then a final mix so that sums do not cancel by accident.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash ^= 0xff;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    };
    eat(&seq.to_le_bytes());
    eat(amount.as_bytes());
    eat(bidder.as_bytes());
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^ (hash >> 33)
}

/// What one connection saw of its room, checked at the end.
#[derive(Clone, Debug, Default)]
pub struct Sight {
    pub lot: i64,
    /// The snapshot's seq when it joined: it saw every event after it, or not.
    pub joined_seq: u64,
    pub last_seq: u64,
    /// Events whose seq was not the one after the last (missed events).
    pub gaps: u64,
    /// Events whose seq was not above the last (repeats, reordering).
    pub out_of_order: u64,
    /// Snapshots received after the first (the server resynchronised a lagging member).
    pub resyncs: u64,
    pub bids_seen: u64,
    pub bid_digest: u64,
    pub closed: Option<Closed>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Closed {
    pub seq: u64,
    pub result: String,
    pub price: Option<String>,
    pub winner_bidder: Option<String>,
}

impl Sight {
    pub fn new(lot: i64, joined_seq: u64) -> Sight {
        Sight {
            lot,
            joined_seq,
            last_seq: joined_seq,
            ..Sight::default()
        }
    }

    /// Follows one message of the room; returns true for a room event (one with a seq).
    pub fn observe(&mut self, message: &Incoming<'_>) -> bool {
        if message.is("snapshot") {
            self.resyncs += 1;
            self.last_seq = message.seq.unwrap_or(self.last_seq);
            return false;
        }
        if message.req.is_some() {
            // An answer to this connection (accepted, rejected, ...), not a room event.
            return false;
        }
        let Some(seq) = message.seq else {
            return false;
        };
        if seq <= self.last_seq {
            self.out_of_order += 1;
            return true;
        }
        if seq != self.last_seq + 1 {
            self.gaps += 1;
        }
        self.last_seq = seq;
        if message.is("bid") {
            self.bids_seen += 1;
            self.bid_digest = self.bid_digest.wrapping_add(bid_fingerprint(
                seq,
                message.amount.as_deref().unwrap_or_default(),
                message.bidder.as_deref().unwrap_or_default(),
            ));
        } else if message.is("closed") {
            self.closed = Some(Closed {
                seq,
                result: message.result.as_deref().unwrap_or_default().to_owned(),
                price: message.price.as_deref().map(str::to_owned),
                winner_bidder: message.winner_bidder.as_deref().map(str::to_owned),
            });
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_times_are_kept_by_seq() {
        let times = SendTimes::new();
        assert_eq!(times.get(5), None);
        times.set(5, 42);
        times.set(9_000, 7);
        assert_eq!(times.get(5), Some(42));
        assert_eq!(times.get(9_000), Some(7));
        assert_eq!(times.get(6), None);
        assert_eq!(times.get(u64::MAX), None);
    }

    #[test]
    fn a_gap_and_a_repeat_are_counted() {
        let event = |seq: u64| -> String {
            format!(r#"{{"type":"bid","seq":{seq},"amount":"10.00","bidder":"1"}}"#)
        };
        let mut sight = Sight::new(1, 3);
        for seq in [4, 5, 7, 7] {
            let text = event(seq);
            let message: Incoming<'_> = serde_json::from_str(&text).unwrap();
            assert!(sight.observe(&message));
        }
        assert_eq!((sight.gaps, sight.out_of_order, sight.bids_seen), (1, 1, 3));
        assert_eq!(sight.last_seq, 7);
    }
}
