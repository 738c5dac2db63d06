//! Money on SQLite. Every write runs on the single writer connection, so transactions
//! are serialized: a balance read inside one cannot change before it commits.

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

use super::SqliteStore;

#[async_trait]
impl MoneyStore for SqliteStore {
    async fn wallet_summary(&self, account: AccountId) -> StoreResult<WalletSummary> {
        Wallets::summary(&self.reader, account).await
    }

    async fn wallet_entries(
        &self,
        account: AccountId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<WalletPage> {
        Wallets::entries(&self.reader, account, before, limit).await
    }

    async fn record_bank_notification(
        &self,
        notification: &BankNotification,
        render: RenderReceipt<'_>,
        now_ms: i64,
    ) -> StoreResult<Result<RecordedNotification, NotificationRefusal>> {
        Bank::record(&self.writer, notification, render, now_ms).await
    }

    async fn bank_notifications(
        &self,
        status: Option<NotificationStatus>,
        limit: u32,
    ) -> StoreResult<Vec<StoredNotification>> {
        Bank::list(&self.reader, status, limit).await
    }

    async fn resolve_bank_notification(
        &self,
        transfer_id: &str,
        action: &NotificationAction,
        resolution: &Resolution,
    ) -> StoreResult<Result<StoredNotification, ResolutionRefusal>> {
        Bank::resolve(&self.writer, transfer_id, action, resolution).await
    }

    async fn application_owner(
        &self,
        application: ApplicationId,
    ) -> StoreResult<Option<ApplicationOwner>> {
        Deposits::application_owner(&self.reader, application).await
    }

    async fn lodge_deposit(
        &self,
        application: ApplicationId,
        requested: Option<Money>,
        key: &IdempotencyKey,
        render: RenderDeposit<'_>,
        now_ms: i64,
    ) -> StoreResult<Result<Recorded, DepositRefusal>> {
        Deposits::lodge(&self.writer, application, requested, key, render, now_ms).await
    }

    async fn withdraw(
        &self,
        account: AccountId,
        amount: Money,
        key: &IdempotencyKey,
        render: RenderWithdrawal<'_>,
        now_ms: i64,
    ) -> StoreResult<Recorded> {
        Withdrawals::withdraw(&self.writer, account, amount, key, render, now_ms).await
    }

    async fn mark_withdrawal_paid(&self, withdrawal: i64) -> StoreResult<Withdrawal> {
        Withdrawals::mark_paid(&self.writer, withdrawal).await
    }

    async fn submit_guarantee(
        &self,
        application: ApplicationId,
        guarantee: &NewGuarantee,
        now_ms: i64,
    ) -> StoreResult<Result<Guarantee, DepositRefusal>> {
        Guarantees::submit(&self.writer, application, guarantee, now_ms).await
    }

    async fn guarantee(&self, guarantee: i64) -> StoreResult<Option<Guarantee>> {
        Guarantees::get(&self.reader, guarantee).await
    }

    async fn guarantees(
        &self,
        filter: &GuaranteeFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Guarantee>> {
        Guarantees::list(&self.reader, filter, before, limit).await
    }

    async fn decide_guarantee(
        &self,
        guarantee: i64,
        decision: &GuaranteeDecision,
        now_ms: i64,
    ) -> StoreResult<Result<Guarantee, DepositRefusal>> {
        Guarantees::decide(&self.writer, guarantee, decision, now_ms).await
    }

    async fn settle_closed_lot(
        &self,
        lot: LotId,
        closed: &ClosedEvent,
        now_ms: i64,
    ) -> StoreResult<()> {
        Settlements::settle_closed_lot(&self.writer, lot, closed, now_ms).await
    }

    async fn release_lot_deposits(&self, lot: LotId, now_ms: i64) -> StoreResult<()> {
        Settlements::release_lot_deposits(&self.writer, lot, now_ms).await
    }

    async fn unsettled_lots(&self) -> StoreResult<Vec<(LotId, LotState)>> {
        Settlements::unsettled_lots(&self.reader).await
    }

    async fn settlement(&self, lot: LotId) -> StoreResult<Option<Settlement>> {
        Settlements::get(&self.reader, lot).await
    }

    async fn pay_settlement(
        &self,
        lot: LotId,
        account: AccountId,
        now_ms: i64,
    ) -> StoreResult<Settlement> {
        Settlements::pay(&self.writer, lot, account, now_ms).await
    }

    async fn default_settlement(&self, lot: LotId, now_ms: i64) -> StoreResult<Settlement> {
        Settlements::default(&self.writer, lot, now_ms).await
    }

    async fn reconcile_ledger(&self) -> StoreResult<Reconciliation> {
        ledger::reconcile(&self.reader).await
    }
}
