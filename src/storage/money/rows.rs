//! What both databases' implementations share: reading stored values back, and the
//! conflicts a money operation is refused with.

use crate::auction::ClosedEvent;
use crate::domain::{AccountId, ApplicationId, DepositKind, DepositTerms, LotId};
use crate::ledger::WalletBucket;
use crate::money::Money;
use crate::storage::{Conflict, StoreError, StoreResult};

use super::records::{GuaranteeStatus, Settlement, SettlementStatus, WalletEntry, WalletPage};

/// The conflict a transaction that would overdraw a wallet is refused with.
pub(crate) fn insufficient_funds(overdraft: crate::ledger::Overdraft) -> StoreError {
    Conflict::InsufficientFunds(overdraft).into()
}

/// The bucket of a wallet's ledger account, read back from its stored name.
pub(crate) fn wallet_bucket(name: &str) -> StoreResult<WalletBucket> {
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

/// A lot's deposit terms from its stored columns (a fixed deposit keeps its amount in
/// `deposit_min`, and `deposit_max` equal to it).
pub(crate) fn deposit_terms(kind: &str, min: Money, max: Money) -> StoreResult<DepositTerms> {
    match kind {
        "fixed" => Ok(DepositTerms::Fixed(min)),
        "range" => Ok(DepositTerms::Range { min, max }),
        _ => Err(anyhow::anyhow!("stored deposit kind {kind:?}").into()),
    }
}

pub(crate) fn lot_state(text: &str) -> StoreResult<crate::auction::LotState> {
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

pub(crate) fn deposit_kind(text: &str) -> StoreResult<DepositKind> {
    match text {
        "cash" => Ok(DepositKind::Cash),
        "guarantee" => Ok(DepositKind::Guarantee),
        _ => Err(anyhow::anyhow!("stored deposit kind {text:?}").into()),
    }
}

pub(crate) fn settlement_status(text: &str) -> StoreResult<SettlementStatus> {
    SettlementStatus::parse(text)
        .ok_or_else(|| anyhow::anyhow!("stored settlement status {text:?}").into())
}

/// Why an existing settlement cannot be paid.
pub(crate) fn check_payable(settlement: &Settlement) -> StoreResult<()> {
    match settlement.status {
        SettlementStatus::Open => Ok(()),
        SettlementStatus::Paid => Err(Conflict::SettlementPaid.into()),
        SettlementStatus::Defaulted => Err(Conflict::SettlementDefaulted.into()),
    }
}

/// Why an existing settlement cannot be marked defaulted at `now_ms`: only an open one,
/// and only after its due time (at any time after the close when the lot set none).
pub(crate) fn check_defaultable(settlement: &Settlement, now_ms: i64) -> StoreResult<()> {
    if settlement.status != SettlementStatus::Open {
        return Err(Conflict::SettlementNotOpen(settlement.status).into());
    }
    match settlement.due_at_ms {
        Some(due_at_ms) if now_ms <= due_at_ms => Err(Conflict::SettlementNotDue.into()),
        _ => Ok(()),
    }
}

/// What a close needs of its event: the winner and the price of a sold lot.
pub(crate) fn sold_to(lot: LotId, closed: &ClosedEvent) -> StoreResult<Option<(AccountId, Money)>> {
    match closed.result {
        crate::auction::LotResult::Unsold => Ok(None),
        crate::auction::LotResult::Sold => match (closed.leader, closed.price) {
            (Some(winner), Some(price)) => Ok(Some((winner, price))),
            _ => Err(anyhow::anyhow!("lot {lot} closed sold without a winner and a price").into()),
        },
    }
}

pub(crate) fn guarantee_status(text: &str) -> StoreResult<GuaranteeStatus> {
    GuaranteeStatus::parse(text)
        .ok_or_else(|| anyhow::anyhow!("stored guarantee status {text:?}").into())
}

/// Only a pending guarantee can be decided.
pub(crate) fn check_pending(status: GuaranteeStatus) -> StoreResult<()> {
    if status == GuaranteeStatus::Pending {
        Ok(())
    } else {
        Err(Conflict::GuaranteeNotPending(status).into())
    }
}
