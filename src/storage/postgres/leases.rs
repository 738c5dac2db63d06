//! Room leases on PostgreSQL (see [`crate::storage::leases`]).

use async_trait::async_trait;
use sqlx::Postgres;

use crate::domain::LotId;
use crate::storage::leases::ops::Leases;
use crate::storage::{Lease, LeaseStore, NodeRecord, Release, StoreResult, TakenLease};

use super::PgStore;

#[async_trait]
impl LeaseStore for PgStore {
    async fn acquire_lease(
        &self,
        lot: LotId,
        node: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<Option<TakenLease>> {
        Leases::<Postgres>::acquire(&self.pool, lot, node, now_ms, expires_at_ms).await
    }

    async fn renew_leases(
        &self,
        node: &str,
        leases: &[(LotId, i64)],
        expires_at_ms: i64,
    ) -> StoreResult<Vec<LotId>> {
        Leases::<Postgres>::renew(&self.pool, node, leases, expires_at_ms).await
    }

    async fn release_lease(
        &self,
        lot: LotId,
        node: &str,
        epoch: i64,
        release: Release,
    ) -> StoreResult<()> {
        Leases::<Postgres>::release(&self.pool, lot, node, epoch, release).await
    }

    async fn leases(&self) -> StoreResult<Vec<Lease>> {
        Leases::<Postgres>::leases(&self.pool).await
    }

    async fn unheld_live_lots(&self, now_ms: i64) -> StoreResult<Vec<LotId>> {
        Leases::<Postgres>::unheld_live_lots(&self.pool, now_ms).await
    }

    async fn node_seen(&self, node: &NodeRecord) -> StoreResult<()> {
        Leases::<Postgres>::node_seen(&self.pool, node).await
    }

    async fn node_stopped(&self, node: &str) -> StoreResult<()> {
        Leases::<Postgres>::node_stopped(&self.pool, node).await
    }

    async fn nodes(&self) -> StoreResult<Vec<NodeRecord>> {
        Leases::<Postgres>::nodes(&self.pool).await
    }
}
