use async_trait::async_trait;

use crate::domain::{AccountId, ApplicationId, LotId};
use crate::storage::StoreResult;
use crate::storage::lots::ops::Lots;
use crate::storage::lots::{
    Application, ApplicationListing, Lot, LotFilter, LotStore, NewLot, RosterEntry,
};

use super::PgStore;

#[async_trait]
impl LotStore for PgStore {
    async fn get_lot(&self, id: LotId) -> StoreResult<Option<Lot>> {
        Lots::get_lot(&self.pool, id).await
    }

    async fn live_lots(&self) -> StoreResult<Vec<Lot>> {
        Lots::live_lots(&self.pool).await
    }

    async fn lot_roster(&self, lot: LotId) -> StoreResult<Vec<RosterEntry>> {
        Lots::lot_roster(&self.pool, lot).await
    }

    async fn roster_entry(
        &self,
        lot: LotId,
        account: AccountId,
    ) -> StoreResult<Option<RosterEntry>> {
        Lots::roster_entry(&self.pool, lot, account).await
    }

    async fn create_lot(&self, lot: &NewLot, now_ms: i64) -> StoreResult<Lot> {
        Lots::create_lot(&self.pool, lot, now_ms).await
    }

    async fn list_lots(&self, filter: &LotFilter) -> StoreResult<Vec<Lot>> {
        Lots::list_lots(&self.pool, filter).await
    }

    async fn publish_lot(&self, id: LotId) -> StoreResult<Lot> {
        Lots::publish_lot(&self.pool, &self.pool, id).await
    }

    async fn create_application(
        &self,
        lot: LotId,
        account: AccountId,
        now_ms: i64,
    ) -> StoreResult<Application> {
        Lots::create_application(&self.pool, lot, account, now_ms).await
    }

    async fn get_application(&self, id: ApplicationId) -> StoreResult<Option<Application>> {
        Lots::get_application(&self.pool, id).await
    }

    async fn lot_applications(&self, lot: LotId) -> StoreResult<Vec<ApplicationListing>> {
        Lots::lot_applications(&self.pool, lot).await
    }

    async fn approve_application(
        &self,
        id: ApplicationId,
        priority_rank: Option<u32>,
        now_ms: i64,
    ) -> StoreResult<Application> {
        Lots::approve_application(&self.pool, &self.pool, id, priority_rank, now_ms).await
    }

    async fn reject_application(
        &self,
        id: ApplicationId,
        reason: &str,
        now_ms: i64,
    ) -> StoreResult<Application> {
        Lots::reject_application(&self.pool, &self.pool, id, reason, now_ms).await
    }
}
