use async_trait::async_trait;

use crate::storage::StoreResult;
use crate::storage::seed::ops::Seed;
use crate::storage::seed::{SeedBatch, SeedStore, SeededBidder};

use super::PgStore;

#[async_trait]
impl SeedStore for PgStore {
    async fn seed_bidders(&self, batch: &SeedBatch, now_ms: i64) -> StoreResult<Vec<SeededBidder>> {
        Seed::seed_bidders(&self.pool, batch, now_ms).await
    }
}
