//! The ledger's accounts and the sign convention every balance follows.

use std::fmt;

use crate::domain::{AccountId, LotId};
use crate::money::Money;

/// One account of the exchange's double-entry ledger.
///
/// Sign convention: a balance is positive when the exchange owes it to someone and
/// negative when it is money the exchange holds. A wallet (`available`, `frozen`) is what
/// the exchange owes a bidder, so it is never negative; `bank_clearing` is the cash the
/// exchange holds at its bank for all the wallets, so a top-up takes it below zero and a
/// withdrawal brings it back; `lot:{id}:proceeds` is what the exchange owes the lot's
/// seller; `fees` is the exchange's own service-fee income; `forfeits` holds forfeited
/// deposits. Every transaction sums to zero, so all balances together sum to zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LedgerAccount {
    /// `wallet:{account}:available`: the bidder's spendable balance.
    WalletAvailable(AccountId),
    /// `wallet:{account}:frozen`: the bidder's money held as deposits.
    WalletFrozen(AccountId),
    /// `bank_clearing`: the exchange's bank account, the other side of top-ups and
    /// withdrawals.
    BankClearing,
    /// `lot:{id}:proceeds`: what the winner has paid towards the price of the lot.
    LotProceeds(LotId),
    /// `fees`: service fees (佣金) earned on sold lots.
    Fees,
    /// `forfeits`: deposits forfeited by defaulting winners.
    Forfeits,
}

/// Which half of a wallet an entry belongs to (`GET /wallet`'s `bucket`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WalletBucket {
    Available,
    Frozen,
}

impl WalletBucket {
    pub fn as_str(self) -> &'static str {
        match self {
            WalletBucket::Available => "available",
            WalletBucket::Frozen => "frozen",
        }
    }
}

impl LedgerAccount {
    /// The stored name, e.g. `wallet:17:available`.
    pub fn name(self) -> String {
        self.to_string()
    }

    /// Reads a stored name back.
    pub fn parse(name: &str) -> Option<LedgerAccount> {
        match name {
            "bank_clearing" => return Some(LedgerAccount::BankClearing),
            "fees" => return Some(LedgerAccount::Fees),
            "forfeits" => return Some(LedgerAccount::Forfeits),
            _ => {}
        }
        let parts: Vec<&str> = name.split(':').collect();
        match parts.as_slice() {
            ["wallet", id, "available"] => id.parse().ok().map(LedgerAccount::WalletAvailable),
            ["wallet", id, "frozen"] => id.parse().ok().map(LedgerAccount::WalletFrozen),
            ["lot", id, "proceeds"] => id.parse().ok().map(LedgerAccount::LotProceeds),
            _ => None,
        }
    }

    /// The bidder whose wallet this is, if it is a wallet.
    pub fn owner(self) -> Option<AccountId> {
        match self {
            LedgerAccount::WalletAvailable(id) | LedgerAccount::WalletFrozen(id) => Some(id),
            _ => None,
        }
    }

    pub fn bucket(self) -> Option<WalletBucket> {
        match self {
            LedgerAccount::WalletAvailable(_) => Some(WalletBucket::Available),
            LedgerAccount::WalletFrozen(_) => Some(WalletBucket::Frozen),
            _ => None,
        }
    }

    /// Whether `balance` is allowed here: wallets never go below zero (SPEC §3); the
    /// exchange's own accounts may (bank_clearing is negative by convention).
    pub fn allows(self, balance: Money) -> bool {
        self.owner().is_none() || !balance.is_negative()
    }

    /// Whether `balance` has the sign this account can only have when every transaction
    /// followed the rules: `bank_clearing` (the money the exchange holds) is never above
    /// zero, and every other account (what the exchange owes) is never below it. Storage
    /// refuses only wallet overdrafts ([`Self::allows`]); a reconciliation checks this.
    pub fn has_expected_sign(self, balance: Money) -> bool {
        match self {
            LedgerAccount::BankClearing => !(-balance).is_negative(),
            _ => !balance.is_negative(),
        }
    }
}

impl fmt::Display for LedgerAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LedgerAccount::WalletAvailable(id) => write!(f, "wallet:{id}:available"),
            LedgerAccount::WalletFrozen(id) => write!(f, "wallet:{id}:frozen"),
            LedgerAccount::BankClearing => f.write_str("bank_clearing"),
            LedgerAccount::LotProceeds(id) => write!(f, "lot:{id}:proceeds"),
            LedgerAccount::Fees => f.write_str("fees"),
            LedgerAccount::Forfeits => f.write_str("forfeits"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_as_the_same_account() {
        for account in [
            LedgerAccount::WalletAvailable(7),
            LedgerAccount::WalletFrozen(7),
            LedgerAccount::BankClearing,
            LedgerAccount::LotProceeds(12),
            LedgerAccount::Fees,
            LedgerAccount::Forfeits,
        ] {
            assert_eq!(LedgerAccount::parse(&account.name()), Some(account));
        }
        assert_eq!(LedgerAccount::parse("wallet:x:available"), None);
        assert_eq!(LedgerAccount::parse("cash"), None);
    }

    #[test]
    fn only_wallets_refuse_a_negative_balance() {
        let minus_one = Money::parse("-1").unwrap();
        assert!(!LedgerAccount::WalletAvailable(1).allows(minus_one));
        assert!(!LedgerAccount::WalletFrozen(1).allows(minus_one));
        assert!(LedgerAccount::BankClearing.allows(minus_one));
        assert!(LedgerAccount::WalletAvailable(1).allows(Money::ZERO));
    }
}
