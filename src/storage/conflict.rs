//! What a storage call is refused with when the stored state does not allow it, named after
//! the rule it breaks. Storage knows no wire: `crate::http` gives each its status and code.

use crate::domain::LotId;
use crate::ledger::{DepositRefusal, Overdraft, WalletBucket};
use crate::money::Money;

use super::announcements::AnnouncementStatus;
use super::money::{GuaranteeStatus, NotificationStatus, SettlementStatus};

/// A request that conflicts with the stored state: a duplicate, a changed repeat of an
/// idempotent request, a state that does not allow it, a balance that does not cover it.
/// The message (`Display`) is written for the client.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    #[error("that username is taken")]
    UsernameTaken,
    /// Only a suspension in force can be lifted.
    #[error("the account is not suspended")]
    NotSuspended,
    #[error("only a draft lot can be published")]
    LotNotDraft,
    /// A lot's items change only while it is a draft, or published and not yet started.
    #[error("the lot's items can change only while it is a draft or published before it starts")]
    LotItemsLocked,
    #[error("this account has already applied for the lot")]
    AlreadyApplied,
    #[error("the application has already been decided")]
    ApplicationNotPending,
    /// A ledger transaction would take a wallet below zero.
    #[error("the {} balance is short by {}", bucket_name(.0), short_by(.0))]
    InsufficientFunds(Overdraft),
    /// An `Idempotency-Key` used again with another request.
    #[error("this Idempotency-Key was used before with another request")]
    IdempotencyKeyReused,
    /// A `transfer_id` notified again with other contents.
    #[error("transfer {transfer_id} was notified before with other contents")]
    TransferChanged { transfer_id: String },
    /// Only an unmatched notification can be resolved.
    #[error("transfer {transfer_id} is {}", .status.as_str())]
    NotificationNotUnmatched {
        transfer_id: String,
        status: NotificationStatus,
    },
    #[error("the settlement is already paid")]
    SettlementPaid,
    #[error("the settlement was defaulted: the deposit is forfeited")]
    SettlementDefaulted,
    /// Only an open settlement can be marked defaulted.
    #[error("the settlement is {}", .0.as_str())]
    SettlementNotOpen(SettlementStatus),
    #[error("the settlement is not yet overdue")]
    SettlementNotDue,
    /// Only a pending guarantee can be decided.
    #[error("the guarantee is already {}", .0.as_str())]
    GuaranteeNotPending(GuaranteeStatus),
    /// Only a draft or a returned announcement can be changed or submitted.
    #[error("the announcement is {}: only a draft or a returned one can be changed or submitted", .0.as_str())]
    AnnouncementNotEditable(AnnouncementStatus),
    /// Only a submitted announcement can be approved or returned.
    #[error("the announcement is {}: only a submitted one can be approved or returned", .0.as_str())]
    AnnouncementNotSubmitted(AnnouncementStatus),
    /// A deposit lodged on the lot's behalf (by the seed) that the deposit rules refuse.
    #[error("lot {lot}: {refusal}")]
    DepositRefused { lot: LotId, refusal: DepositRefusal },
}

/// The wallet balance an overdraft would take below zero (`ledger` for any other account).
fn bucket_name(overdraft: &Overdraft) -> &'static str {
    overdraft
        .account
        .bucket()
        .map(WalletBucket::as_str)
        .unwrap_or("ledger")
}

fn short_by(overdraft: &Overdraft) -> Money {
    -overdraft.balance_after
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::LedgerAccount;

    #[test]
    fn an_overdraft_names_the_balance_and_what_it_lacks() {
        let overdraft = Overdraft {
            account: LedgerAccount::WalletAvailable(7),
            balance_after: Money::parse("-12.50").unwrap(),
        };
        assert_eq!(
            Conflict::InsufficientFunds(overdraft).to_string(),
            "the available balance is short by 12.50"
        );
    }

    #[test]
    fn a_refused_deposit_names_its_lot() {
        let refused = Conflict::DepositRefused {
            lot: 3,
            refusal: DepositRefusal::DeadlinePassed,
        };
        assert_eq!(
            refused.to_string(),
            "lot 3: the deposit deadline has passed"
        );
    }
}
