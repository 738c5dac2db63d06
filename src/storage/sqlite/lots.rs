use async_trait::async_trait;

use crate::auction::AccountId;
use crate::storage::lots::{Lot, LotStore, RosterEntry};
use crate::storage::{LotId, StoreResult};

use super::SqliteStore;

#[async_trait]
impl LotStore for SqliteStore {
    async fn get_lot(&self, id: LotId) -> StoreResult<Option<Lot>> {
        Err(anyhow::anyhow!("get_lot({id}) is not built yet").into())
    }

    async fn live_lots(&self) -> StoreResult<Vec<Lot>> {
        Ok(Vec::new())
    }

    async fn lot_roster(&self, lot: LotId) -> StoreResult<Vec<RosterEntry>> {
        Err(anyhow::anyhow!("lot_roster({lot}) is not built yet").into())
    }

    async fn roster_entry(
        &self,
        lot: LotId,
        account: AccountId,
    ) -> StoreResult<Option<RosterEntry>> {
        Err(anyhow::anyhow!("roster_entry({lot}, {account}) is not built yet").into())
    }
}
