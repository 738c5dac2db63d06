use async_trait::async_trait;

use crate::auction::{AccountId, ClosedEvent};
use crate::storage::money::{MoneyStore, WalletSummary};
use crate::storage::{LotId, StoreResult};

use super::SqliteStore;

#[async_trait]
impl MoneyStore for SqliteStore {
    async fn wallet_summary(&self, account: AccountId) -> StoreResult<WalletSummary> {
        Err(anyhow::anyhow!("wallet_summary({account}) is not built yet").into())
    }

    async fn settle_closed_lot(
        &self,
        lot: LotId,
        closed: &ClosedEvent,
        now_ms: i64,
    ) -> StoreResult<()> {
        Err(
            anyhow::anyhow!("settle_closed_lot({lot}, {closed:?}, {now_ms}) is not built yet")
                .into(),
        )
    }

    async fn release_lot_deposits(&self, lot: LotId, now_ms: i64) -> StoreResult<()> {
        Err(anyhow::anyhow!("release_lot_deposits({lot}, {now_ms}) is not built yet").into())
    }
}
