//! What the bidders, the kill schedule and the checks share while a chaos run goes on:
//! where the server is, which generation of it is running and when each first
//! acknowledged a bid, and what each room's members were told.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::watch;
use tokio::time::Instant;

use crate::client::Connector;

use super::verdict::Bid;

/// Where the server listens now (the same port at every restart unless it had to move).
pub struct Target {
    connector: RwLock<Arc<Connector>>,
}

impl Target {
    pub fn new(connector: Connector) -> Target {
        Target {
            connector: RwLock::new(Arc::new(connector)),
        }
    }

    pub fn connector(&self) -> Arc<Connector> {
        self.connector.read().expect("the target").clone()
    }

    pub fn move_to(&self, connector: Connector) {
        *self.connector.write().expect("the target") = Arc::new(connector);
    }
}

/// The server's generations: 0 is the first process, and each restart is the next one.
pub struct Generations {
    current: AtomicU64,
    /// When a connection opened in each generation first heard `accepted`.
    first_acks: watch::Sender<HashMap<u64, Instant>>,
}

impl Generations {
    pub fn new() -> Generations {
        Generations {
            current: AtomicU64::new(0),
            first_acks: watch::channel(HashMap::new()).0,
        }
    }

    pub fn current(&self) -> u64 {
        self.current.load(Ordering::Acquire)
    }

    /// A new process was spawned: connections opened from now on talk to it.
    pub fn advance(&self, generation: u64) {
        self.current.store(generation, Ordering::Release);
    }

    /// A connection opened in `generation` heard `accepted`. (A connection opened before
    /// the restart may still read answers the killed process sent; they do not count.)
    pub fn acked(&self, generation: u64) {
        self.first_acks.send_if_modified(|acks| {
            if acks.contains_key(&generation) {
                return false;
            }
            acks.insert(generation, Instant::now());
            true
        });
    }

    pub fn first_ack(&self, generation: u64) -> Option<Instant> {
        self.first_acks.borrow().get(&generation).copied()
    }

    /// Waits until `generation` has acknowledged a bid.
    pub async fn wait_first_ack(&self, generation: u64) -> Instant {
        let mut acks = self.first_acks.subscribe();
        let acks = acks
            .wait_for(|acks| acks.contains_key(&generation))
            .await
            .expect("the sender lives as long as self");
        acks[&generation]
    }
}

/// One room as its bidders and the kill schedule see it.
pub struct RoomState {
    pub lot: i64,
    /// The ladder strategy's next free rung, in cents.
    ladder_cents: AtomicI64,
    /// The highest bid any of its bidders heard accepted.
    highest: Mutex<Option<Bid>>,
    /// Every bid event its members saw, by seq; two different events under one seq are
    /// counted in `conflicts`.
    seen: Mutex<BTreeMap<u64, Bid>>,
    conflicts: AtomicU64,
    closed: AtomicBool,
}

impl RoomState {
    pub fn new(lot: i64) -> RoomState {
        RoomState {
            lot,
            ladder_cents: AtomicI64::new(0),
            highest: Mutex::new(None),
            seen: Mutex::new(BTreeMap::new()),
            conflicts: AtomicU64::new(0),
            closed: AtomicBool::new(false),
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

    pub fn acked(&self, bid: &Bid) {
        let mut highest = self.highest.lock().expect("the highest bid");
        if highest.as_ref().is_none_or(|known| bid.seq > known.seq) {
            *highest = Some(bid.clone());
        }
    }

    pub fn highest(&self) -> Option<Bid> {
        self.highest.lock().expect("the highest bid").clone()
    }

    pub fn saw(&self, bid: Bid) {
        let mut seen = self.seen.lock().expect("the bids seen");
        match seen.get(&bid.seq) {
            Some(known) if *known != bid => {
                self.conflicts.fetch_add(1, Ordering::Relaxed);
            }
            Some(_) => {}
            None => {
                seen.insert(bid.seq, bid);
            }
        }
    }

    /// The bid events seen, and how many times two members saw different ones under one seq.
    pub fn seen(&self) -> (Vec<Bid>, u64) {
        let seen = self.seen.lock().expect("the bids seen");
        (
            seen.values().cloned().collect(),
            self.conflicts.load(Ordering::Relaxed),
        )
    }

    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}
