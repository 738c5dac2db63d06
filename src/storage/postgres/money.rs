//! Money on PostgreSQL. Transactions run concurrently: every balance is changed by an
//! `UPDATE ... RETURNING` that locks its row until commit, and the rows a decision rests
//! on (an application, a lot's deposits, a settlement) are read `FOR UPDATE`.

pub(super) mod ledger;

use async_trait::async_trait;

use crate::auction::{ClosedEvent, LotState};
use crate::domain::{AccountId, ApplicationId, LotId};
use crate::ledger::{DepositRefusal, Reconciliation};
use crate::money::Money;
use crate::storage::StoreResult;
use crate::storage::money::ops::bank::Bank;
use crate::storage::money::ops::deposits::Deposits;
use crate::storage::money::ops::guarantees::Guarantees;
use crate::storage::money::ops::settlements::Settlements;
use crate::storage::money::ops::wallet::Wallets;
use crate::storage::money::ops::withdrawals::Withdrawals;
use crate::storage::money::{
    ApplicationOwner, BankNotification, Guarantee, GuaranteeDecision, GuaranteeFilter,
    IdempotencyKey, MoneyStore, NewGuarantee, NotificationAction, NotificationRefusal,
    NotificationStatus, Recorded, RecordedNotification, RenderDeposit, RenderReceipt,
    RenderWithdrawal, Resolution, ResolutionRefusal, Settlement, StoredNotification, WalletPage,
    WalletSummary, Withdrawal,
};

use super::PgStore;

#[async_trait]
impl MoneyStore for PgStore {
    async fn wallet_summary(&self, account: AccountId) -> StoreResult<WalletSummary> {
        Wallets::summary(&self.pool, account).await
    }

    async fn wallet_entries(
        &self,
        account: AccountId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<WalletPage> {
        Wallets::entries(&self.pool, account, before, limit).await
    }

    async fn record_bank_notification(
        &self,
        notification: &BankNotification,
        render: RenderReceipt<'_>,
        now_ms: i64,
    ) -> StoreResult<Result<RecordedNotification, NotificationRefusal>> {
        Bank::record(&self.pool, notification, render, now_ms).await
    }

    async fn bank_notifications(
        &self,
        status: Option<NotificationStatus>,
        limit: u32,
    ) -> StoreResult<Vec<StoredNotification>> {
        Bank::list(&self.pool, status, limit).await
    }

    async fn resolve_bank_notification(
        &self,
        transfer_id: &str,
        action: &NotificationAction,
        resolution: &Resolution,
    ) -> StoreResult<Result<StoredNotification, ResolutionRefusal>> {
        Bank::resolve(&self.pool, transfer_id, action, resolution).await
    }

    async fn application_owner(
        &self,
        application: ApplicationId,
    ) -> StoreResult<Option<ApplicationOwner>> {
        Deposits::application_owner(&self.pool, application).await
    }

    async fn lodge_deposit(
        &self,
        application: ApplicationId,
        requested: Option<Money>,
        key: &IdempotencyKey,
        render: RenderDeposit<'_>,
        now_ms: i64,
    ) -> StoreResult<Result<Recorded, DepositRefusal>> {
        Deposits::lodge(&self.pool, application, requested, key, render, now_ms).await
    }

    async fn withdraw(
        &self,
        account: AccountId,
        amount: Money,
        key: &IdempotencyKey,
        render: RenderWithdrawal<'_>,
        now_ms: i64,
    ) -> StoreResult<Recorded> {
        Withdrawals::withdraw(&self.pool, account, amount, key, render, now_ms).await
    }

    async fn mark_withdrawal_paid(&self, withdrawal: i64) -> StoreResult<Withdrawal> {
        Withdrawals::mark_paid(&self.pool, withdrawal).await
    }

    async fn submit_guarantee(
        &self,
        application: ApplicationId,
        guarantee: &NewGuarantee,
        now_ms: i64,
    ) -> StoreResult<Result<Guarantee, DepositRefusal>> {
        Guarantees::submit(&self.pool, application, guarantee, now_ms).await
    }

    async fn guarantee(&self, guarantee: i64) -> StoreResult<Option<Guarantee>> {
        Guarantees::get(&self.pool, guarantee).await
    }

    async fn guarantees(
        &self,
        filter: &GuaranteeFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Guarantee>> {
        Guarantees::list(&self.pool, filter, before, limit).await
    }

    async fn decide_guarantee(
        &self,
        guarantee: i64,
        decision: &GuaranteeDecision,
        now_ms: i64,
    ) -> StoreResult<Result<Guarantee, DepositRefusal>> {
        Guarantees::decide(&self.pool, guarantee, decision, now_ms).await
    }

    async fn settle_closed_lot(
        &self,
        lot: LotId,
        closed: &ClosedEvent,
        now_ms: i64,
    ) -> StoreResult<()> {
        Settlements::settle_closed_lot(&self.pool, lot, closed, now_ms).await
    }

    async fn release_lot_deposits(&self, lot: LotId, now_ms: i64) -> StoreResult<()> {
        Settlements::release_lot_deposits(&self.pool, lot, now_ms).await
    }

    async fn unsettled_lots(&self) -> StoreResult<Vec<(LotId, LotState)>> {
        Settlements::unsettled_lots(&self.pool).await
    }

    async fn settlement(&self, lot: LotId) -> StoreResult<Option<Settlement>> {
        Settlements::get(&self.pool, lot).await
    }

    async fn pay_settlement(
        &self,
        lot: LotId,
        account: AccountId,
        now_ms: i64,
    ) -> StoreResult<Settlement> {
        Settlements::pay(&self.pool, lot, account, now_ms).await
    }

    async fn default_settlement(&self, lot: LotId, now_ms: i64) -> StoreResult<Settlement> {
        Settlements::default(&self.pool, lot, now_ms).await
    }

    async fn reconcile_ledger(&self) -> StoreResult<Reconciliation> {
        ledger::reconcile(&self.pool).await
    }
}
