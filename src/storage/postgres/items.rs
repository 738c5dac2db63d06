use async_trait::async_trait;

use crate::domain::LotId;
use crate::lot_items::LotItem;
use crate::storage::StoreResult;
use crate::storage::items::LotItemStore;
use crate::storage::items::ops::Items;
use crate::storage::stats::ops::Stats;
use crate::storage::stats::{StatsRecords, StatsScope, StatsStore};

use super::PgStore;

#[async_trait]
impl LotItemStore for PgStore {
    async fn lot_items(&self, lot: LotId) -> StoreResult<Vec<LotItem>> {
        Items::lot_items(&self.pool, lot).await
    }

    async fn replace_lot_items(
        &self,
        lot: LotId,
        items: &[LotItem],
        now_ms: i64,
    ) -> StoreResult<()> {
        Items::replace_lot_items(&self.pool, lot, items, now_ms).await
    }
}

#[async_trait]
impl StatsStore for PgStore {
    async fn stats_records(
        &self,
        scope: StatsScope,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<StatsRecords> {
        Stats::stats_records(&self.pool, scope, from_ms, to_ms).await
    }
}
