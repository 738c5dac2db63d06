//! What the money store reads and writes: wallets, notifications, deposits, guarantees,
//! settlements, withdrawals.

use crate::domain::{AccountId, ApplicationId, DepositKind, DepositStatus, LotId};
use crate::ledger::WalletBucket;
use crate::money::Money;
use crate::security::sha256_hex;

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
    /// The payer's name (付款人户名) as the bank gave it (trimmed), when it gave one.
    pub payer_name: Option<String>,
}

impl BankNotification {
    /// A fingerprint of the fields that make the notification: two notifications with one
    /// `transfer_id` are the same one exactly when these match ("1000" and "1000.00" are
    /// the same amount; JSON key order and spacing do not matter). A notification without
    /// a payer name has the fingerprint it had before payer names were kept.
    pub fn content_sha256(&self) -> String {
        let mut canonical = format!(
            "{}\n{}\n{}\n{}\n{}",
            self.transfer_id, self.account_number, self.amount, self.currency, self.received_at_ms
        );
        if let Some(payer_name) = &self.payer_name {
            canonical.push_str("\npayer:");
            canonical.push_str(payer_name);
        }
        sha256_hex(canonical.as_bytes())
    }
}

/// Why a notification was held `unmatched` for the exchange's staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnmatchedReason {
    /// No wallet has that virtual account number.
    UnknownAccount,
    /// The payer's name is not the wallet holder's verified name (a person's real name, an
    /// organisation's registered name), or the holder is not verified: money from someone
    /// else is not credited until an admin has looked at it.
    PayerNameMismatch,
}

impl UnmatchedReason {
    pub fn as_str(self) -> &'static str {
        match self {
            UnmatchedReason::UnknownAccount => "unknown_account",
            UnmatchedReason::PayerNameMismatch => "payer_name_mismatch",
        }
    }

    pub fn parse(text: &str) -> Option<UnmatchedReason> {
        match text {
            "unknown_account" => Some(UnmatchedReason::UnknownAccount),
            "payer_name_mismatch" => Some(UnmatchedReason::PayerNameMismatch),
            _ => None,
        }
    }
}

/// What became of a bank notification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotificationStatus {
    /// The wallet was credited (`top_up`).
    Credited,
    /// No wallet has that virtual account number, or the payer is not the wallet's holder
    /// (see [`UnmatchedReason`]): kept for the exchange's staff, not dropped, and nothing
    /// credited.
    Unmatched,
    /// Unmatched, then sent back to the payer by the exchange's staff: it never entered a
    /// wallet, so the ledger has nothing of it.
    Returned,
}

impl NotificationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Credited => "credited",
            NotificationStatus::Unmatched => "unmatched",
            NotificationStatus::Returned => "returned",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationStatus> {
        match text {
            "credited" => Some(NotificationStatus::Credited),
            "unmatched" => Some(NotificationStatus::Unmatched),
            "returned" => Some(NotificationStatus::Returned),
            _ => None,
        }
    }
}

/// A notification as it was recorded the first time, handed to the caller's renderer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankReceipt {
    pub notification: BankNotification,
    pub status: NotificationStatus,
    /// Why it is unmatched, when it is.
    pub unmatched_reason: Option<UnmatchedReason>,
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

/// A bank notification as stored, with how it was resolved if an admin resolved it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredNotification {
    pub notification: BankNotification,
    pub status: NotificationStatus,
    /// Why it was held unmatched, if it ever was.
    pub unmatched_reason: Option<UnmatchedReason>,
    /// The verified name of the holder of the wallet the transfer names, if a wallet has
    /// that number and its holder is verified: what an admin compares the payer name with.
    pub holder_name: Option<String>,
    /// The credited wallet's account.
    pub account_id: Option<AccountId>,
    pub transaction_id: Option<i64>,
    pub created_at_ms: i64,
    pub resolution: Option<Resolution>,
}

/// Who resolved an unmatched notification, when, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    pub resolved_by: AccountId,
    pub note: String,
    pub resolved_at_ms: i64,
}

/// What an admin does with an unmatched notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotificationAction {
    /// Credit the wallet with this virtual account number (the payer's reference was
    /// mistyped, say), as a top-up.
    Credit { account_number: String },
    /// The money was sent back to the payer (原路退回); nothing is credited.
    Return,
}

/// Why an unmatched notification cannot be credited as asked.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolutionRefusal {
    #[error("no wallet has the virtual account number {0}")]
    UnknownAccount(String),
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

/// Which guarantees to list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GuaranteeFilter {
    pub status: Option<GuaranteeStatus>,
    pub lot_id: Option<LotId>,
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
    pub status: WithdrawalStatus,
    pub created_at_ms: i64,
}

/// Where a withdrawal's payout stands: `requested` when made (the money has left the
/// wallet), `paid` once the bank integration (or an admin) reports the payout made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WithdrawalStatus {
    Requested,
    Paid,
}

impl WithdrawalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            WithdrawalStatus::Requested => "requested",
            WithdrawalStatus::Paid => "paid",
        }
    }

    pub fn parse(text: &str) -> Option<WithdrawalStatus> {
        match text {
            "requested" => Some(WithdrawalStatus::Requested),
            "paid" => Some(WithdrawalStatus::Paid),
            _ => None,
        }
    }
}
