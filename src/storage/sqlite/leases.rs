//! Room leases on Sqlite (see [`crate::storage::leases`]).

use async_trait::async_trait;
use sqlx::Sqlite;

use crate::domain::LotId;
use crate::storage::leases::ops::Leases;
use crate::storage::{Lease, LeaseStore, NodeRecord, Release, StoreResult, TakenLease};

use super::SqliteStore;

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn acquire_lease(
        &self,
        lot: LotId,
        node: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<Option<TakenLease>> {
        Leases::<Sqlite>::acquire(&self.writer, lot, node, now_ms, expires_at_ms).await
    }

    async fn renew_leases(
        &self,
        node: &str,
        leases: &[(LotId, i64)],
        expires_at_ms: i64,
    ) -> StoreResult<Vec<LotId>> {
        Leases::<Sqlite>::renew(&self.writer, node, leases, expires_at_ms).await
    }

    async fn release_lease(
        &self,
        lot: LotId,
        node: &str,
        epoch: i64,
        release: Release,
    ) -> StoreResult<()> {
        Leases::<Sqlite>::release(&self.writer, lot, node, epoch, release).await
    }

    async fn leases(&self) -> StoreResult<Vec<Lease>> {
        Leases::<Sqlite>::leases(&self.reader).await
    }

    async fn unheld_live_lots(&self, now_ms: i64) -> StoreResult<Vec<LotId>> {
        Leases::<Sqlite>::unheld_live_lots(&self.reader, now_ms).await
    }

    async fn node_seen(&self, node: &NodeRecord) -> StoreResult<()> {
        Leases::<Sqlite>::node_seen(&self.writer, node).await
    }

    async fn node_stopped(&self, node: &str) -> StoreResult<()> {
        Leases::<Sqlite>::node_stopped(&self.writer, node).await
    }

    async fn nodes(&self) -> StoreResult<Vec<NodeRecord>> {
        Leases::<Sqlite>::nodes(&self.reader).await
    }
}
