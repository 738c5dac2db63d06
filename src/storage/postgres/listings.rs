use async_trait::async_trait;

use crate::domain::{AccountId, LotId};
use crate::storage::StoreResult;
use crate::storage::accounts::AccountDetails;
use crate::storage::listings::ops::Listings;
use crate::storage::listings::{
    AccountFilter, BidderApplication, ListingStore, SettlementFilter, SettlementListing,
};
use crate::storage::money::Withdrawal;

use super::PgStore;

#[async_trait]
impl ListingStore for PgStore {
    async fn account_applications(
        &self,
        account: AccountId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<BidderApplication>> {
        Listings::account_applications(&self.pool, account, before, limit).await
    }

    async fn account_withdrawals(
        &self,
        account: AccountId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Withdrawal>> {
        Listings::account_withdrawals(&self.pool, account, before, limit).await
    }

    async fn settlements(
        &self,
        filter: &SettlementFilter,
        before: Option<LotId>,
        limit: u32,
    ) -> StoreResult<Vec<SettlementListing>> {
        Listings::settlements(&self.pool, filter, before, limit).await
    }

    async fn accounts(
        &self,
        filter: &AccountFilter,
        before: Option<AccountId>,
        limit: u32,
    ) -> StoreResult<Vec<AccountDetails>> {
        Listings::accounts(&self.pool, filter, before, limit).await
    }
}
