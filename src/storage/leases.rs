//! Room ownership (SPEC §10): a lease per live room, and the nodes that hold them.
//!
//! A lease names its holder (a node id), an epoch and an expiry. Taking a lease always
//! gives it the next epoch, so that every holder of a room's lease has its own epoch;
//! the journal writes a room's events only under the epoch the database still holds
//! ([`crate::storage::JournalStore::append_room_events`]), which fences off a holder that
//! stalled past its expiry and came back. The expiry only says when another node may take
//! the lease; it is the epoch that keeps two holders from both writing.

use async_trait::async_trait;

use super::StoreResult;
use crate::domain::LotId;

/// A room's lease as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Lease {
    pub lot_id: LotId,
    pub node_id: String,
    pub epoch: i64,
    pub expires_at_ms: i64,
}

/// A node as it last reported itself.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct NodeRecord {
    pub node_id: String,
    /// Where it serves HTTP and WebSockets.
    pub address: String,
    /// Whether it runs with `--cluster` (forwarding to and from other nodes).
    pub clustered: bool,
    pub started_at_ms: i64,
    pub last_seen_ms: i64,
}

/// A lease just taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TakenLease {
    pub epoch: i64,
    /// Another node released it on purpose within the last lease term (it stopped, and
    /// handed its rooms over), rather than letting it run out.
    pub handed_over: bool,
}

/// Why a holder gives its lease up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// The room has ended for good: the lease goes entirely.
    Ended,
    /// The node stops at `at_ms` and hands the room over: anyone may take it at once.
    HandedOver { at_ms: i64 },
}

#[async_trait]
pub trait LeaseStore {
    /// Takes the lot's lease for `node` until `expires_at_ms`, with the next epoch, if no
    /// other node holds it beyond `now_ms` (a lease this node id already holds is taken
    /// again at once: the same node restarted). Answers the new epoch, and whether another
    /// node handed the room over within one lease term (`expires_at_ms - now_ms`) of
    /// `now_ms`; or `None` while another node's lease runs.
    async fn acquire_lease(
        &self,
        lot: LotId,
        node: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<Option<TakenLease>>;

    /// Extends each of `leases` (lot, epoch) that `node` still holds under that epoch to
    /// `expires_at_ms`; answers the lots it extended (a lot left out has been taken).
    async fn renew_leases(
        &self,
        node: &str,
        leases: &[(LotId, i64)],
        expires_at_ms: i64,
    ) -> StoreResult<Vec<LotId>>;

    /// Gives the lease up, if `node` still holds it under `epoch`: another node may take
    /// it at once.
    async fn release_lease(
        &self,
        lot: LotId,
        node: &str,
        epoch: i64,
        release: Release,
    ) -> StoreResult<()>;

    /// Every lease, by lot.
    async fn leases(&self) -> StoreResult<Vec<Lease>>;

    /// The live lots (published, open or paused) whose room nobody holds at `now_ms`.
    async fn unheld_live_lots(&self, now_ms: i64) -> StoreResult<Vec<LotId>>;

    /// Records that `node` runs (at `address`), seen at `now_ms`.
    async fn node_seen(&self, node: &NodeRecord) -> StoreResult<()>;

    /// A node that stopped by itself leaves the list.
    async fn node_stopped(&self, node: &str) -> StoreResult<()>;

    /// Every node that has reported itself, by id.
    async fn nodes(&self) -> StoreResult<Vec<NodeRecord>>;
}

/// SQL both databases accept.
pub(super) mod sql {
    /// $1 lot, $2 node, $3 now, $4 expiry, $5 the earliest release that counts as a
    /// handover. `SET` reads the row as it was, so `handed_over` is the old holder's release.
    pub const ACQUIRE: &str = "INSERT INTO room_leases (lot_id, node_id, epoch, expires_at_ms) VALUES ($1, $2, 1, $4) \
        ON CONFLICT (lot_id) DO UPDATE SET node_id = excluded.node_id, epoch = room_leases.epoch + 1, expires_at_ms = excluded.expires_at_ms, \
        handed_over = (room_leases.released_at_ms IS NOT NULL AND room_leases.released_at_ms >= $5 AND room_leases.node_id <> excluded.node_id), \
        released_at_ms = NULL \
        WHERE room_leases.expires_at_ms <= $3 OR room_leases.node_id = excluded.node_id \
        RETURNING epoch, handed_over";

    /// $1 expiry, $2 node, $3 lot, $4 epoch.
    pub const RENEW: &str = "UPDATE room_leases SET expires_at_ms = $1 WHERE node_id = $2 AND lot_id = $3 AND epoch = $4";

    /// $1 lot, $2 node, $3 epoch, $4 now.
    pub const RELEASE: &str = "UPDATE room_leases SET expires_at_ms = 0, released_at_ms = $4 WHERE lot_id = $1 AND node_id = $2 AND epoch = $3";

    /// $1 lot, $2 node, $3 epoch.
    pub const DELETE: &str =
        "DELETE FROM room_leases WHERE lot_id = $1 AND node_id = $2 AND epoch = $3";

    pub const LEASES: &str =
        "SELECT lot_id, node_id, epoch, expires_at_ms FROM room_leases ORDER BY lot_id";

    /// $1 now.
    pub const UNHELD_LIVE_LOTS: &str = "SELECT lots.id FROM lots LEFT JOIN room_leases ON room_leases.lot_id = lots.id \
        WHERE lots.state IN ('published', 'open', 'paused') \
        AND (room_leases.lot_id IS NULL OR room_leases.expires_at_ms <= $1) ORDER BY lots.id";

    pub const NODE_SEEN: &str = "INSERT INTO cluster_nodes (node_id, address, clustered, started_at_ms, last_seen_ms) \
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (node_id) DO UPDATE SET address = excluded.address, \
        clustered = excluded.clustered, started_at_ms = excluded.started_at_ms, last_seen_ms = excluded.last_seen_ms";

    pub const NODE_STOPPED: &str = "DELETE FROM cluster_nodes WHERE node_id = $1";

    pub const NODES: &str = "SELECT node_id, address, clustered, started_at_ms, last_seen_ms FROM cluster_nodes ORDER BY node_id";

    /// The epochs the database holds for the listed lots (`lots` placeholders from $1),
    /// read inside the journal's transaction.
    pub fn fence(lots: usize, lock: &str) -> String {
        let placeholders = (1..=lots)
            .map(|index| format!("${index}"))
            .collect::<Vec<_>>()
            .join(", ");
        // In lot order, so that concurrent checks lock the rows in one order.
        format!(
            "SELECT lot_id, epoch FROM room_leases WHERE lot_id IN ({placeholders}) ORDER BY lot_id{lock}"
        )
    }
}

pub(super) mod ops;

#[cfg(test)]
mod tests;
