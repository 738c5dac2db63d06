use async_trait::async_trait;

use crate::storage::StoreResult;
use crate::storage::seed::ops::Seed;
use crate::storage::seed::{SeedBatch, SeedStore, SeededBidder};

use super::SqliteStore;

#[async_trait]
impl SeedStore for SqliteStore {
    async fn seed_bidders(&self, batch: &SeedBatch, now_ms: i64) -> StoreResult<Vec<SeededBidder>> {
        Seed::seed_bidders(&self.writer, batch, now_ms).await
    }
}
