//! A room's lease as the room and the renewer share it (SPEC §10; stored by
//! [`crate::storage::leases`]).
//!
//! The room runs only while the lease is valid by this node's clock: until the expiry of
//! the last renewal that landed, counted from when that renewal was sent, less a margin.
//! Another node may take the lease only after the stored expiry, which is later, so that a
//! node stalled past it (a long pause, a partition from the database) stops acting before
//! anyone else starts. Should it act all the same, the journal refuses its writes: the
//! epoch, not the clock, is what keeps two owners from both writing.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use tokio::sync::watch;

use crate::storage::NodeRecord;

use super::{Inner, Rooms};

/// Who this node is and how long its leases last.
#[derive(Clone, Debug)]
pub struct LeaseTerms {
    pub node_id: Arc<str>,
    pub ttl_ms: i64,
    /// Where this node serves (for the list of nodes).
    pub address: String,
    /// Whether the node runs with `--cluster`.
    pub clustered: bool,
}

impl LeaseTerms {
    /// A server of its own under this node id, with the default lease term (tools,
    /// benchmarks and tests that start rooms without a server around them).
    pub fn local(node_id: &str) -> LeaseTerms {
        LeaseTerms {
            node_id: Arc::from(node_id),
            ttl_ms: 3000,
            address: String::new(),
            clustered: false,
        }
    }

    /// How often leases are renewed and unheld rooms looked for: a third of the lease, so
    /// that two renewals may fail before a lease runs out.
    pub fn renew_every(&self) -> std::time::Duration {
        std::time::Duration::from_millis((self.ttl_ms / 3).max(1) as u64)
    }

    /// How long before the stored expiry this node stops trusting a lease.
    fn margin_ms(&self) -> i64 {
        self.ttl_ms / 10
    }

    /// The validity of a lease renewed (or taken) by a request sent at `sent_at_ms`.
    pub fn valid_until(&self, sent_at_ms: i64) -> i64 {
        sent_at_ms + self.ttl_ms - self.margin_ms()
    }
}

/// One room's lease: its epoch, and until when the room may act on it.
#[derive(Debug)]
pub struct RoomLease {
    pub epoch: i64,
    standing: watch::Sender<Standing>,
}

/// Where a lease stands, as the room watches it.
#[derive(Clone, Copy, Debug)]
pub struct Standing {
    pub valid_until_ms: i64,
    /// Another node holds the lease now.
    pub lost: bool,
}

impl RoomLease {
    pub fn new(epoch: i64, valid_until_ms: i64) -> Arc<RoomLease> {
        let (standing, _) = watch::channel(Standing {
            valid_until_ms,
            lost: false,
        });
        Arc::new(RoomLease { epoch, standing })
    }

    pub fn standing(&self) -> Standing {
        *self.standing.borrow()
    }

    /// Hears every renewal and the loss.
    pub fn watch(&self) -> watch::Receiver<Standing> {
        self.standing.subscribe()
    }

    /// A renewal landed: the lease is good until `valid_until_ms` (never shortened by a
    /// renewal that was sent earlier but answered later).
    pub fn renewed(&self, valid_until_ms: i64) {
        self.standing.send_modify(|standing| {
            standing.valid_until_ms = standing.valid_until_ms.max(valid_until_ms)
        });
    }

    /// The renewal found another node holding the lease.
    pub fn lose(&self) {
        self.standing.send_modify(|standing| standing.lost = true);
    }
}

impl Standing {
    pub fn valid_at(&self, now_ms: i64) -> bool {
        !self.lost && now_ms < self.valid_until_ms
    }
}

/// How many renewals apart a node looks for ended lots left unsettled (every ~3⅓ lease
/// terms: the look reads every ended lot, so it is not made at every renewal).
const SETTLE_SWEEP_TICKS: u64 = 10;

/// Every third of a lease term, while the server runs: renews this node's leases (a room
/// whose lease was taken stops), records that the node is alive, and takes the rooms of
/// live lots that nobody holds (a node died, or handed its rooms over); every
/// [`SETTLE_SWEEP_TICKS`], settles the ended lots whose owner died before it settled them.
pub(super) async fn keep_leases(rooms: Weak<Inner>) {
    let Some(every) = rooms.upgrade().map(|inner| inner.terms.renew_every()) else {
        return;
    };
    let started_at_ms = rooms.upgrade().map_or(0, |inner| inner.clock.now_ms());
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    for tick in 1u64.. {
        ticks.tick().await;
        let Some(inner) = rooms.upgrade() else {
            return;
        };
        if inner.stopping.load(Ordering::SeqCst) {
            return;
        }
        let rooms = Rooms { inner };
        if let Err(error) = rooms.renew_leases().await {
            tracing::warn!(error = ?error, "failed to renew the rooms' leases");
        }
        let node = NodeRecord {
            node_id: rooms.inner.terms.node_id.to_string(),
            address: rooms.inner.terms.address.clone(),
            clustered: rooms.inner.terms.clustered,
            started_at_ms,
            last_seen_ms: rooms.inner.clock.now_ms(),
        };
        if let Err(error) = rooms.inner.store.node_seen(&node).await {
            tracing::warn!(error = ?error, "failed to record that this node runs");
        }
        if let Err(error) = rooms.take_unheld_rooms().await {
            tracing::warn!(error = ?error, "failed to look for rooms nobody holds");
        }
        if tick % SETTLE_SWEEP_TICKS == 0 {
            let inner = &rooms.inner;
            // A lot that ended within two lease terms is still its owner's to settle.
            let ended_before_ms = inner.clock.now_ms() - 2 * inner.terms.ttl_ms;
            let swept = super::settle::settle_unsettled(
                inner.store.clone(),
                inner.clock,
                Some(ended_before_ms),
            )
            .await;
            if let Err(error) = swept {
                tracing::warn!(error = ?error, "failed to look for ended lots left unsettled");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lease_is_trusted_until_a_margin_before_its_stored_expiry() {
        let terms = LeaseTerms {
            node_id: Arc::from("a"),
            ttl_ms: 3000,
            address: String::new(),
            clustered: false,
        };
        let lease = RoomLease::new(4, terms.valid_until(10_000));
        assert!(lease.standing().valid_at(12_699));
        assert!(
            !lease.standing().valid_at(12_700),
            "3 s less 10%, from the request"
        );
        lease.renewed(terms.valid_until(11_000));
        assert!(lease.standing().valid_at(13_000));
        // A renewal answered late, after a later one, does not shorten the lease.
        lease.renewed(terms.valid_until(10_500));
        assert!(lease.standing().valid_at(13_600));
        lease.lose();
        assert!(!lease.standing().valid_at(13_000));
    }
}
