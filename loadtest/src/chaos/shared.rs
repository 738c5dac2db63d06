//! What the bidders, the kill schedule and the checks share while a chaos run goes on:
//! where the server (or each node) is and whether it is up, which generation of the run
//! is going on and when each first acknowledged a bid, and what each room's members were
//! told.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tokio::sync::watch;
use tokio::time::Instant;

use crate::api::Api;
use crate::client::Connector;
use crate::wire::Encoding;

use super::verdict::Bid;

/// One server (or node) as the run reaches it: REST and WebSocket.
#[derive(Clone)]
pub struct Endpoint {
    pub api: Api,
    pub connector: Arc<Connector>,
}

impl Endpoint {
    /// The endpoint of the server at `url` (`http://host:port`).
    pub async fn new(url: &str, encoding: Encoding, pool_size: usize) -> anyhow::Result<Endpoint> {
        Ok(Endpoint {
            api: Api::new(url, pool_size, None)?,
            connector: Arc::new(Connector::new(url, encoding, None).await?),
        })
    }
}

/// Where the servers listen now (each at the same port at every restart unless it had to
/// move), and which of them are up. One server, or the nodes of one exchange.
pub struct Target {
    nodes: Vec<NodeTarget>,
}

struct NodeTarget {
    endpoint: RwLock<Endpoint>,
    /// Cleared just before the node is killed, set once it is ready again: connections
    /// are opened only to nodes that are up (while one is).
    up: AtomicBool,
}

impl Target {
    /// Every node is up.
    pub fn new(endpoints: Vec<Endpoint>) -> Target {
        assert!(!endpoints.is_empty(), "a run has a server");
        Target {
            nodes: endpoints
                .into_iter()
                .map(|endpoint| NodeTarget {
                    endpoint: RwLock::new(endpoint),
                    up: AtomicBool::new(true),
                })
                .collect(),
        }
    }

    /// How many servers (nodes) there are.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Where bidder `index` connects: node `index % nodes`, or while it is down the next
    /// node after it that is up (its own while none is).
    pub fn connector_for(&self, index: usize) -> Arc<Connector> {
        self.endpoint(self.node_for(index)).connector
    }

    /// The node bidder `index` connects to now.
    fn node_for(&self, index: usize) -> usize {
        let count = self.nodes.len();
        let own = index % count;
        (0..count)
            .map(|step| (own + step) % count)
            .find(|&node| self.is_up(node))
            .unwrap_or(own)
    }

    /// A node that is up (the first one), for reads: the first node while none is.
    pub fn live(&self) -> Endpoint {
        self.endpoint(self.node_for(0))
    }

    pub fn connector(&self) -> Arc<Connector> {
        self.live().connector
    }

    /// Every node's connector by its index, the ones that are up first (one server: its
    /// own).
    pub fn connectors(&self) -> Vec<(usize, Arc<Connector>)> {
        let (up, down): (Vec<usize>, Vec<usize>) =
            (0..self.nodes.len()).partition(|&node| self.is_up(node));
        up.into_iter()
            .chain(down)
            .map(|node| (node, self.endpoint(node).connector))
            .collect()
    }

    pub fn endpoint(&self, node: usize) -> Endpoint {
        self.nodes[node]
            .endpoint
            .read()
            .expect("the target")
            .clone()
    }

    pub fn move_to(&self, node: usize, endpoint: Endpoint) {
        *self.nodes[node].endpoint.write().expect("the target") = endpoint;
    }

    pub fn set_up(&self, node: usize, up: bool) {
        self.nodes[node].up.store(up, Ordering::Release);
    }

    pub fn is_up(&self, node: usize) -> bool {
        self.nodes[node].up.load(Ordering::Acquire)
    }

    /// Whether some node is up.
    pub fn any_up(&self) -> bool {
        (0..self.nodes.len()).any(|node| self.is_up(node))
    }
}

/// The server's generations: 0 is the first process, and each restart is the next one.
/// On a cluster: 0 until the first kill, and each kill starts the next one.
pub struct Generations {
    current: AtomicU64,
    /// When a connection opened in each generation first heard `accepted` (on a cluster:
    /// when a bid sent in it was first accepted).
    first_acks: watch::Sender<HashMap<u64, Instant>>,
    /// On a cluster, the rooms whose acknowledgements count for a generation: those the
    /// node killed at its start held. A generation without an entry counts every room.
    watched: RwLock<HashMap<u64, HashSet<i64>>>,
}

impl Generations {
    pub fn new() -> Generations {
        Generations {
            current: AtomicU64::new(0),
            first_acks: watch::channel(HashMap::new()).0,
            watched: RwLock::new(HashMap::new()),
        }
    }

    pub fn current(&self) -> u64 {
        self.current.load(Ordering::Acquire)
    }

    /// A new process was spawned: connections opened from now on talk to it.
    pub fn advance(&self, generation: u64) {
        self.current.store(generation, Ordering::Release);
    }

    /// A kill started `generation`: from now on bids are sent in it, and only an
    /// acknowledgement in one of `lots` (the rooms the killed node held; every room if
    /// empty) counts as its first.
    pub fn advance_watching(&self, generation: u64, lots: HashSet<i64>) {
        if !lots.is_empty() {
            self.watched
                .write()
                .expect("the watched rooms")
                .insert(generation, lots);
        }
        self.advance(generation);
    }

    /// A connection opened in `generation` heard `accepted` for a bid in `lot` (on a
    /// cluster: a bid sent in `generation`). A connection opened before the restart may
    /// still read answers the killed process sent; they do not count.
    pub fn acked(&self, generation: u64, lot: i64) {
        let watched = self.watched.read().expect("the watched rooms");
        if watched
            .get(&generation)
            .is_some_and(|lots| !lots.contains(&lot))
        {
            return;
        }
        drop(watched);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_bidder_whose_node_is_down_connects_to_the_next_one_up() {
        let mut endpoints = Vec::new();
        for port in [18001, 18002, 18003] {
            let url = format!("http://127.0.0.1:{port}");
            endpoints.push(Endpoint::new(&url, Encoding::Json, 1).await.unwrap());
        }
        let target = Target::new(endpoints);
        let nodes = |target: &Target| {
            (0..4)
                .map(|index| target.node_for(index))
                .collect::<Vec<_>>()
        };
        assert_eq!(nodes(&target), [0, 1, 2, 0]);
        target.set_up(1, false);
        assert_eq!(nodes(&target), [0, 2, 2, 0]);
        target.set_up(0, false);
        assert_eq!(nodes(&target), [2, 2, 2, 2]);
        assert_eq!(target.connectors()[0].0, 2, "a node that is up first");
        // None up: each its own, until one is back.
        target.set_up(2, false);
        assert_eq!(nodes(&target), [0, 1, 2, 0]);
    }
}
