//! Wallets, the double-entry ledger, deposits, bank notifications and settlements.
//!
//! Every money movement is one [`LedgerTransaction`] applied in the same database
//! transaction as the rows it belongs to (a bank notification, a deposit, a settlement),
//! so that a crash leaves either all of it or none. Requests that must answer a replay
//! as they answered the first time (bank notifications, `Idempotency-Key` requests) store
//! the first answer in that same transaction; the caller renders it, because the wire
//! shape is the REST layer's business.

use async_trait::async_trait;

use crate::auction::{AccountId, ClosedEvent};
use crate::ledger::{DepositRefusal, Reconciliation, WalletBucket};
use crate::money::Money;
use crate::security::sha256_hex;

use super::{ApplicationId, LotId, StoreResult};

/// A wallet's balances (`GET /me`, `GET /wallet`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletSummary {
    /// The 12-digit virtual account number (虚拟子账号) bank transfers are made to.
    pub account_number: String,
    pub currency: String,
    pub available: Money,
    pub frozen: Money,
}

/// One ledger entry of a wallet, `available` or `frozen`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletEntry {
    pub id: i64,
    pub transaction_id: i64,
    /// The transaction's kind (`top_up`, `deposit_freeze`, ...).
    pub kind: String,
    pub lot_id: Option<LotId>,
    pub bucket: WalletBucket,
    pub amount: Money,
    pub balance_after: Money,
    pub at_ms: i64,
}

/// One page of a wallet's entries, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletPage {
    pub entries: Vec<WalletEntry>,
    /// Pass as `before` for the next page; `None` on the last page.
    pub next_before: Option<i64>,
}

/// A bank's transfer notification, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankNotification {
    pub transfer_id: String,
    pub account_number: String,
    pub amount: Money,
    pub currency: String,
    pub received_at_ms: i64,
}

impl BankNotification {
    /// A fingerprint of the fields that make the notification: two notifications with one
    /// `transfer_id` are the same one exactly when these match ("1000" and "1000.00" are
    /// the same amount; JSON key order and spacing do not matter).
    pub fn content_sha256(&self) -> String {
        let canonical = format!(
            "{}\n{}\n{}\n{}\n{}",
            self.transfer_id, self.account_number, self.amount, self.currency, self.received_at_ms
        );
        sha256_hex(canonical.as_bytes())
    }
}

/// What became of a bank notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationStatus {
    /// The wallet was credited (`top_up`).
    Credited,
    /// No wallet has that virtual account number: kept for the exchange's staff, not
    /// dropped, and nothing credited.
    Unmatched,
}

impl NotificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Credited => "credited",
            NotificationStatus::Unmatched => "unmatched",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationStatus> {
        match text {
            "credited" => Some(NotificationStatus::Credited),
            "unmatched" => Some(NotificationStatus::Unmatched),
            _ => None,
        }
    }
}

/// A notification as it was recorded the first time, handed to the caller's renderer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankReceipt {
    pub notification: BankNotification,
    pub status: NotificationStatus,
    /// The credited account, when matched.
    pub account_id: Option<AccountId>,
    pub transaction_id: Option<i64>,
}

/// The answer to a bank notification: the first one's, on a replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedNotification {
    pub status: NotificationStatus,
    /// The body rendered the first time.
    pub body: String,
    pub replayed: bool,
}

/// Why a bank notification is refused (and not stored: the bank may send it again).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotificationRefusal {
    #[error("the wallet {account_number} is in {wallet_currency}, the transfer in {currency}")]
    CurrencyMismatch {
        account_number: String,
        wallet_currency: String,
        currency: String,
    },
}

/// A REST answer to store for replays of an `Idempotency-Key` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAnswer {
    pub status: u16,
    pub body: String,
}

/// An `Idempotency-Key` request: the key is the account's own, within a scope (one per
/// kind of request), and `request_sha256` fingerprints what was asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub account_id: AccountId,
    pub scope: &'static str,
    pub key: String,
    pub request_sha256: String,
}

/// What a deposit request needs to know before it is tried: whose application it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApplicationOwner {
    pub application_id: ApplicationId,
    pub lot_id: LotId,
    pub account_id: AccountId,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositKind {
    Cash,
    Guarantee,
}

impl DepositKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DepositKind::Cash => "cash",
            DepositKind::Guarantee => "guarantee",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositStatus {
    Held,
    Released,
    Applied,
    Forfeited,
}

impl DepositStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DepositStatus::Held => "held",
            DepositStatus::Released => "released",
            DepositStatus::Applied => "applied",
            DepositStatus::Forfeited => "forfeited",
        }
    }
}

/// A lodged deposit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Deposit {
    pub id: i64,
    pub application_id: ApplicationId,
    pub lot_id: LotId,
    pub account_id: AccountId,
    pub kind: DepositKind,
    pub amount: Money,
    pub status: DepositStatus,
    pub created_at_ms: i64,
}

/// The answer to an `Idempotency-Key` request: the first one's, on a replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub answer: StoredAnswer,
    pub replayed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettlementStatus {
    /// Waiting for the winner's payment.
    Open,
    Paid,
    /// Unpaid after the due time: the deposit was forfeited.
    Defaulted,
}

impl SettlementStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SettlementStatus::Open => "open",
            SettlementStatus::Paid => "paid",
            SettlementStatus::Defaulted => "defaulted",
        }
    }

    pub fn parse(text: &str) -> Option<SettlementStatus> {
        match text {
            "open" => Some(SettlementStatus::Open),
            "paid" => Some(SettlementStatus::Paid),
            "defaulted" => Some(SettlementStatus::Defaulted),
            _ => None,
        }
    }
}

/// What the winner of a sold lot owes (成交结算).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settlement {
    pub lot_id: LotId,
    /// The winner.
    pub account_id: AccountId,
    pub application_id: ApplicationId,
    /// The lot's auctioneer, who may see the settlement.
    pub auctioneer_id: AccountId,
    pub price: Money,
    pub fee: Money,
    pub deposit_applied: Money,
    /// price + fee − deposit_applied.
    pub amount_due: Money,
    pub amount_paid: Money,
    pub status: SettlementStatus,
    pub due_at_ms: Option<i64>,
    pub created_at_ms: i64,
    pub resolved_at_ms: Option<i64>,
}

impl Settlement {
    /// What is still to pay.
    pub fn balance(&self) -> Money {
        self.amount_due - self.amount_paid
    }
}

/// An electronic guarantee (电子保函) as the bidder submits it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewGuarantee {
    pub issuer: String,
    pub number: String,
    pub amount: Money,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuaranteeStatus {
    /// Waiting for an admin's decision.
    Pending,
    /// Accepted: it stands as the application's deposit.
    Accepted,
    Rejected,
    /// No longer needed: the lot ended without calling on it.
    Released,
    /// Called on: its winner defaulted.
    Called,
}

impl GuaranteeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GuaranteeStatus::Pending => "pending",
            GuaranteeStatus::Accepted => "accepted",
            GuaranteeStatus::Rejected => "rejected",
            GuaranteeStatus::Released => "released",
            GuaranteeStatus::Called => "called",
        }
    }

    pub fn parse(text: &str) -> Option<GuaranteeStatus> {
        Some(match text {
            "pending" => GuaranteeStatus::Pending,
            "accepted" => GuaranteeStatus::Accepted,
            "rejected" => GuaranteeStatus::Rejected,
            "released" => GuaranteeStatus::Released,
            "called" => GuaranteeStatus::Called,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Guarantee {
    pub id: i64,
    pub application_id: ApplicationId,
    pub lot_id: LotId,
    pub account_id: AccountId,
    pub issuer: String,
    pub number: String,
    pub amount: Money,
    pub status: GuaranteeStatus,
    /// Why it was rejected.
    pub reason: Option<String>,
    pub created_at_ms: i64,
    pub decided_at_ms: Option<i64>,
}

/// An admin's decision on a pending guarantee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuaranteeDecision {
    /// The guarantee stands as the deposit: the application's deposit becomes lodged.
    Accept,
    Reject {
        reason: String,
    },
}

/// A withdrawal (余额退还) from a wallet's `available` to the bidder's bank account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    pub id: i64,
    pub account_id: AccountId,
    pub amount: Money,
    pub currency: String,
    /// The wallet's virtual account number, for the bidder's own records.
    pub account_number: String,
    pub transaction_id: i64,
    pub created_at_ms: i64,
}

impl Withdrawal {
    /// Every withdrawal is `requested` when made: the payout is the bank integration's.
    pub const STATUS: &'static str = "requested";
}

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
    /// contents is a conflict `transfer_conflict`.
    async fn record_bank_notification(
        &self,
        notification: &BankNotification,
        render: RenderReceipt<'_>,
        now_ms: i64,
    ) -> StoreResult<Result<RecordedNotification, NotificationRefusal>>;

    /// Whose application this is, and for which lot (`None` if there is no such
    /// application).
    async fn application_owner(
        &self,
        application: ApplicationId,
    ) -> StoreResult<Option<ApplicationOwner>>;

    /// Freezes a cash deposit for an application (once per application), idempotent by
    /// `key`: a replay with the same request answers as the first did; the same key with
    /// another request is a conflict `idempotency_conflict`. Only a success is stored: a
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
    /// as deposits are. Conflicts: `insufficient_funds`, `idempotency_conflict`.
    async fn withdraw(
        &self,
        account: AccountId,
        amount: Money,
        key: &IdempotencyKey,
        render: RenderWithdrawal<'_>,
        now_ms: i64,
    ) -> StoreResult<Recorded>;

    /// Submits a guarantee for an application (pending until an admin decides).
    async fn submit_guarantee(
        &self,
        application: ApplicationId,
        guarantee: &NewGuarantee,
        now_ms: i64,
    ) -> StoreResult<Result<Guarantee, DepositRefusal>>;

    /// Accepts or rejects a pending guarantee; an accepted one is recorded as the
    /// application's deposit (kind `guarantee`, no money moves) and makes it lodged.
    /// Conflicts: `guarantee_not_pending`.
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

    /// The lot's settlement, if it was sold.
    async fn settlement(&self, lot: LotId) -> StoreResult<Option<Settlement>>;

    /// The winner pays the whole balance from `available` (`settlement_payment`).
    /// Conflicts: `already_paid`, `settlement_defaulted`, `insufficient_funds`.
    async fn pay_settlement(
        &self,
        lot: LotId,
        account: AccountId,
        now_ms: i64,
    ) -> StoreResult<Settlement>;

    /// Marks an open settlement `defaulted` once it is overdue (or at any time when the
    /// lot set no due time) and forfeits the applied deposit (`deposit_forfeit`).
    /// Conflicts: `settlement_not_open`, `settlement_not_due`.
    async fn default_settlement(&self, lot: LotId, now_ms: i64) -> StoreResult<Settlement>;

    /// Checks the ledger: every kept balance against its entries, every transaction
    /// against zero, and the sum of all balances against zero.
    async fn reconcile_ledger(&self) -> StoreResult<Reconciliation>;
}

/// The conflict a transaction that would overdraw a wallet is refused with.
pub(crate) fn insufficient_funds(overdraft: crate::ledger::Overdraft) -> super::StoreError {
    let bucket = overdraft
        .account
        .bucket()
        .map(WalletBucket::as_str)
        .unwrap_or("ledger");
    super::StoreError::conflict(
        "insufficient_funds",
        format!(
            "the {bucket} balance is short by {}",
            -overdraft.balance_after
        ),
    )
}

/// The bucket of a wallet's ledger account, read back from its stored name.
pub(crate) fn wallet_bucket(name: &str) -> super::StoreResult<WalletBucket> {
    crate::ledger::LedgerAccount::parse(name)
        .and_then(crate::ledger::LedgerAccount::bucket)
        .ok_or_else(|| anyhow::anyhow!("{name:?} is not a wallet's ledger account").into())
}

/// A page of at most `limit` entries from `limit + 1` fetched (the extra one tells whether
/// another page follows).
pub(crate) fn wallet_page(mut entries: Vec<WalletEntry>, limit: u32) -> WalletPage {
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let next_before = if more {
        entries.last().map(|entry| entry.id)
    } else {
        None
    };
    WalletPage {
        entries,
        next_before,
    }
}

/// The conflict of an `Idempotency-Key` used again with another request.
pub(crate) fn idempotency_conflict() -> super::StoreError {
    super::StoreError::conflict(
        "idempotency_conflict",
        "this Idempotency-Key was used before with another request",
    )
}

/// The conflict of a `transfer_id` notified again with other contents.
pub(crate) fn transfer_conflict(transfer_id: &str) -> super::StoreError {
    super::StoreError::conflict(
        "transfer_conflict",
        format!("transfer {transfer_id} was notified before with other contents"),
    )
}

/// A lot's deposit terms from its stored columns (a fixed deposit keeps its amount in
/// `deposit_min`, and `deposit_max` equal to it).
pub(crate) fn deposit_terms(
    kind: &str,
    min: Money,
    max: Money,
) -> super::StoreResult<super::DepositTerms> {
    match kind {
        "fixed" => Ok(super::DepositTerms::Fixed(min)),
        "range" => Ok(super::DepositTerms::Range { min, max }),
        _ => Err(anyhow::anyhow!("stored deposit kind {kind:?}").into()),
    }
}

pub(crate) fn lot_state(text: &str) -> super::StoreResult<crate::auction::LotState> {
    crate::auction::LotState::parse(text)
        .ok_or_else(|| anyhow::anyhow!("stored lot state {text:?}").into())
}

/// A deposit still held, as the close and the cancel see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeldDeposit {
    pub id: i64,
    pub application_id: ApplicationId,
    pub account_id: AccountId,
    pub kind: DepositKind,
    pub amount: Money,
}

pub(crate) fn deposit_kind(text: &str) -> super::StoreResult<DepositKind> {
    match text {
        "cash" => Ok(DepositKind::Cash),
        "guarantee" => Ok(DepositKind::Guarantee),
        _ => Err(anyhow::anyhow!("stored deposit kind {text:?}").into()),
    }
}

pub(crate) fn settlement_status(text: &str) -> super::StoreResult<SettlementStatus> {
    SettlementStatus::parse(text)
        .ok_or_else(|| anyhow::anyhow!("stored settlement status {text:?}").into())
}

/// Why an existing settlement cannot be paid.
pub(crate) fn check_payable(settlement: &Settlement) -> super::StoreResult<()> {
    match settlement.status {
        SettlementStatus::Open => Ok(()),
        SettlementStatus::Paid => Err(super::StoreError::conflict(
            "already_paid",
            "the settlement is already paid",
        )),
        SettlementStatus::Defaulted => Err(super::StoreError::conflict(
            "settlement_defaulted",
            "the settlement was defaulted: the deposit is forfeited",
        )),
    }
}

/// Why an existing settlement cannot be marked defaulted at `now_ms`: only an open one,
/// and only after its due time (at any time after the close when the lot set none).
pub(crate) fn check_defaultable(settlement: &Settlement, now_ms: i64) -> super::StoreResult<()> {
    if settlement.status != SettlementStatus::Open {
        return Err(super::StoreError::conflict(
            "settlement_not_open",
            format!("the settlement is {}", settlement.status.as_str()),
        ));
    }
    match settlement.due_at_ms {
        Some(due_at_ms) if now_ms <= due_at_ms => Err(super::StoreError::conflict(
            "settlement_not_due",
            "the settlement is not yet overdue",
        )),
        _ => Ok(()),
    }
}

/// What a close needs of its event: the winner and the price of a sold lot.
pub(crate) fn sold_to(
    lot: LotId,
    closed: &ClosedEvent,
) -> super::StoreResult<Option<(AccountId, Money)>> {
    match closed.result {
        crate::auction::LotResult::Unsold => Ok(None),
        crate::auction::LotResult::Sold => match (closed.leader, closed.price) {
            (Some(winner), Some(price)) => Ok(Some((winner, price))),
            _ => Err(anyhow::anyhow!("lot {lot} closed sold without a winner and a price").into()),
        },
    }
}

pub(crate) fn guarantee_status(text: &str) -> super::StoreResult<GuaranteeStatus> {
    GuaranteeStatus::parse(text)
        .ok_or_else(|| anyhow::anyhow!("stored guarantee status {text:?}").into())
}

/// Only a pending guarantee can be decided.
pub(crate) fn check_pending(status: GuaranteeStatus) -> super::StoreResult<()> {
    if status == GuaranteeStatus::Pending {
        Ok(())
    } else {
        Err(super::StoreError::conflict(
            "guarantee_not_pending",
            format!("the guarantee is already {}", status.as_str()),
        ))
    }
}
