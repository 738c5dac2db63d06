//! Wallets, the double-entry ledger, deposits, bank notifications and settlements.
//!
//! Every money movement is one [`LedgerTransaction`](crate::ledger::LedgerTransaction) applied in the same database
//! transaction as the rows it belongs to (a bank notification, a deposit, a settlement),
//! so that a crash leaves either all of it or none. Requests that must answer a replay
//! as they answered the first time (bank notifications, `Idempotency-Key` requests) store
//! the first answer in that same transaction; the caller renders it, because the wire
//! shape is the REST layer's business.

pub(super) mod ops;
mod records;
mod rows;

use async_trait::async_trait;

use crate::auction::{ClosedEvent, LotState};
use crate::domain::{AccountId, ApplicationId, LotId};
use crate::ledger::{DepositRefusal, Reconciliation};
use crate::money::Money;

use super::StoreResult;

pub use records::*;
pub(crate) use rows::*;

/// Renders the first answer to a bank notification, to be stored and replayed.
pub type RenderReceipt<'a> = &'a (dyn Fn(&BankReceipt) -> String + Send + Sync);

/// Renders the first answer to a deposit, to be stored and replayed.
pub type RenderDeposit<'a> = &'a (dyn Fn(&Deposit) -> StoredAnswer + Send + Sync);

/// Renders the first answer to a withdrawal, to be stored and replayed.
pub type RenderWithdrawal<'a> = &'a (dyn Fn(&Withdrawal) -> StoredAnswer + Send + Sync);

#[async_trait]
pub trait MoneyStore {
    /// The account's wallet balances.
    async fn wallet_summary(&self, account: AccountId) -> StoreResult<WalletSummary>;

    /// The account's wallet entries (available and frozen), newest first: those with an id
    /// below `before` (all, if `None`), at most `limit`.
    async fn wallet_entries(
        &self,
        account: AccountId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<WalletPage>;

    /// Records a bank notification once per `transfer_id` and, when it names a wallet,
    /// credits it (`top_up`). The same notification again changes nothing and answers
    /// as the first did, even when sent concurrently; the same `transfer_id` with other
    /// contents is `Conflict::TransferChanged`.
    async fn record_bank_notification(
        &self,
        notification: &BankNotification,
        render: RenderReceipt<'_>,
        now_ms: i64,
    ) -> StoreResult<Result<RecordedNotification, NotificationRefusal>>;

    /// Bank notifications with `status` (all, if `None`), newest first, at most `limit`.
    async fn bank_notifications(
        &self,
        status: Option<NotificationStatus>,
        limit: u32,
    ) -> StoreResult<Vec<StoredNotification>>;

    /// An admin resolves an unmatched notification (see [`NotificationAction`]), once.
    /// Conflicts: `Conflict::NotificationNotUnmatched`.
    async fn resolve_bank_notification(
        &self,
        transfer_id: &str,
        action: &NotificationAction,
        resolution: &Resolution,
    ) -> StoreResult<Result<StoredNotification, ResolutionRefusal>>;

    /// Whose application this is, and for which lot (`None` if there is no such
    /// application).
    async fn application_owner(
        &self,
        application: ApplicationId,
    ) -> StoreResult<Option<ApplicationOwner>>;

    /// Freezes a cash deposit for an application (once per application), idempotent by
    /// `key`: a replay with the same request answers as the first did; the same key with
    /// another request is `Conflict::IdempotencyKeyReused`. Only a success is stored: a
    /// refused request leaves nothing behind, so its key may be used again.
    async fn lodge_deposit(
        &self,
        application: ApplicationId,
        requested: Option<Money>,
        key: &IdempotencyKey,
        render: RenderDeposit<'_>,
        now_ms: i64,
    ) -> StoreResult<Result<Recorded, DepositRefusal>>;

    /// Takes `amount` out of the account's `available` (`withdrawal`), idempotent by `key`
    /// as deposits are. Conflicts: `Conflict::InsufficientFunds`,
    /// `Conflict::IdempotencyKeyReused`.
    async fn withdraw(
        &self,
        account: AccountId,
        amount: Money,
        key: &IdempotencyKey,
        render: RenderWithdrawal<'_>,
        now_ms: i64,
    ) -> StoreResult<Recorded>;

    /// The bank integration (or an admin) reports a withdrawal paid out: `requested` →
    /// `paid` (already `paid`: answered as it is). An unknown withdrawal is `NotFound`.
    async fn mark_withdrawal_paid(&self, withdrawal: i64) -> StoreResult<Withdrawal>;

    /// Submits a guarantee for an application (pending until an admin decides).
    async fn submit_guarantee(
        &self,
        application: ApplicationId,
        guarantee: &NewGuarantee,
        now_ms: i64,
    ) -> StoreResult<Result<Guarantee, DepositRefusal>>;

    /// One guarantee.
    async fn guarantee(&self, guarantee: i64) -> StoreResult<Option<Guarantee>>;

    /// Guarantees matching `filter`, newest first: those with an id below `before` (all,
    /// if `None`), at most `limit`.
    async fn guarantees(
        &self,
        filter: &GuaranteeFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Guarantee>>;

    /// Accepts or rejects a pending guarantee; an accepted one is recorded as the
    /// application's deposit (kind `guarantee`, no money moves) and makes it lodged.
    /// Conflicts: `Conflict::GuaranteeNotPending`.
    async fn decide_guarantee(
        &self,
        guarantee: i64,
        decision: &GuaranteeDecision,
        now_ms: i64,
    ) -> StoreResult<Result<Guarantee, DepositRefusal>>;

    /// After a close: releases every non-winner's deposit (自动退还); for a sold lot, applies
    /// the winner's deposit to the price (结转) and opens the settlement for
    /// price + fee − deposit. Doing it again changes nothing (a restart may repeat it).
    async fn settle_closed_lot(
        &self,
        lot: LotId,
        closed: &ClosedEvent,
        now_ms: i64,
    ) -> StoreResult<()>;

    /// After a cancel: releases every deposit of the lot. Doing it again changes nothing.
    async fn release_lot_deposits(&self, lot: LotId, now_ms: i64) -> StoreResult<()>;

    /// Closed or cancelled lots whose end has not moved all their money yet (a deposit
    /// still held, or a sold lot without its settlement), with their state: what a restart
    /// settles again.
    async fn unsettled_lots(&self) -> StoreResult<Vec<(LotId, LotState)>>;

    /// The lot's settlement, if it was sold.
    async fn settlement(&self, lot: LotId) -> StoreResult<Option<Settlement>>;

    /// The winner pays the whole balance from `available` (`settlement_payment`).
    /// Conflicts: `Conflict::SettlementPaid`, `Conflict::SettlementDefaulted`,
    /// `Conflict::InsufficientFunds`.
    async fn pay_settlement(
        &self,
        lot: LotId,
        account: AccountId,
        now_ms: i64,
    ) -> StoreResult<Settlement>;

    /// Marks an open settlement `defaulted` once it is overdue (or at any time when the
    /// lot set no due time) and forfeits the applied deposit (`deposit_forfeit`).
    /// Conflicts: `Conflict::SettlementNotOpen`, `Conflict::SettlementNotDue`.
    async fn default_settlement(&self, lot: LotId, now_ms: i64) -> StoreResult<Settlement>;

    /// Checks the ledger: every kept balance against its entries, every transaction
    /// against zero, and the sum of all balances against zero.
    async fn reconcile_ledger(&self) -> StoreResult<Reconciliation>;
}
