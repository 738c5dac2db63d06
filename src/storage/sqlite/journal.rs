use async_trait::async_trait;

use crate::storage::journal::{JournalRow, JournalStore};
use crate::storage::{LotId, StoreResult};

use super::SqliteStore;

#[async_trait]
impl JournalStore for SqliteStore {
    async fn append_room_events(&self, rows: &[JournalRow]) -> StoreResult<()> {
        Err(anyhow::anyhow!("append_room_events({}) is not built yet", rows.len()).into())
    }

    async fn recent_room_events(&self, lot: LotId, limit: u32) -> StoreResult<Vec<JournalRow>> {
        Err(anyhow::anyhow!("recent_room_events({lot}, {limit}) is not built yet").into())
    }

    async fn lot_bids(
        &self,
        lot: LotId,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<JournalRow>> {
        Err(anyhow::anyhow!("lot_bids({lot}, {after_seq}, {limit}) is not built yet").into())
    }

    async fn accepted_bid_requests(&self, lot: LotId) -> StoreResult<Vec<JournalRow>> {
        Err(anyhow::anyhow!("accepted_bid_requests({lot}) is not built yet").into())
    }
}
