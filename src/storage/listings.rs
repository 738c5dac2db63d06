//! The lists the browser pages read: a bidder's own applications (with their lots,
//! deposits and guarantees), settlements and withdrawals; for admins, the accounts by
//! verification and the settlements by status. Reads only: every write is elsewhere.

use async_trait::async_trait;

use crate::domain::{AccountId, AccountKind, DepositKind, DepositStatus, LotId, Role};
use crate::money::Money;

use super::StoreResult;
use super::accounts::AccountDetails;
use super::lots::{Application, Lot};
use super::money::{GuaranteeStatus, Settlement, SettlementStatus, Withdrawal};

pub(super) mod ops;

/// One of a bidder's applications with what its page shows beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BidderApplication {
    pub application: Application,
    pub lot: Lot,
    /// The deposit held for it (cash or an accepted guarantee), whatever became of it.
    pub deposit: Option<DepositRecord>,
    /// The latest guarantee submitted for it.
    pub guarantee: Option<GuaranteeRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DepositRecord {
    pub kind: DepositKind,
    pub amount: Money,
    pub status: DepositStatus,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuaranteeRecord {
    pub id: i64,
    pub issuer: String,
    pub number: String,
    pub amount: Money,
    pub status: GuaranteeStatus,
    pub reason: Option<String>,
}

/// A settlement with its lot's title and currency and who won.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettlementListing {
    pub settlement: Settlement,
    pub lot_title: String,
    pub currency: String,
    pub winner_username: String,
    pub winner_display_name: String,
}

/// Which settlements to list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SettlementFilter {
    pub status: Option<SettlementStatus>,
    /// Only this winner's.
    pub account: Option<AccountId>,
}

/// Whether an account has been real-name verified (实名认证).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    Pending,
    Verified,
}

/// Which accounts to list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountFilter {
    pub verification: Option<Verification>,
    pub role: Option<Role>,
    pub kind: Option<AccountKind>,
}

#[async_trait]
pub trait ListingStore {
    /// The account's applications, newest first: ids below `before` (all, if `None`), at
    /// most `limit`.
    async fn account_applications(
        &self,
        account: AccountId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<BidderApplication>>;

    /// The account's withdrawals, newest first, as [`Self::account_applications`] pages.
    async fn account_withdrawals(
        &self,
        account: AccountId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Withdrawal>>;

    /// Settlements, newest lot first: lot ids below `before`, at most `limit`.
    async fn settlements(
        &self,
        filter: &SettlementFilter,
        before: Option<LotId>,
        limit: u32,
    ) -> StoreResult<Vec<SettlementListing>>;

    /// Accounts with their identities, newest first: ids below `before`, at most `limit`.
    async fn accounts(
        &self,
        filter: &AccountFilter,
        before: Option<AccountId>,
        limit: u32,
    ) -> StoreResult<Vec<AccountDetails>>;
}
