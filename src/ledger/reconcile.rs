//! Reconciliation: the stored balances against the entries behind them.

use crate::money::Money;

/// One ledger account as stored: its kept balance and the sum of its entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountTotals {
    pub name: String,
    pub balance: Money,
    pub entries_sum: Money,
}

/// What a reconciliation found. A consistent ledger sums to zero, every kept balance
/// equals the sum of its entries, and every transaction sums to zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconciliation {
    pub accounts: Vec<AccountTotals>,
    /// The sum of every kept balance.
    pub total: Money,
    /// Accounts whose kept balance differs from the sum of their entries.
    pub mismatched_accounts: Vec<String>,
    /// Transactions whose entries do not sum to zero.
    pub unbalanced_transactions: Vec<i64>,
}

impl Reconciliation {
    pub fn new(accounts: Vec<AccountTotals>, unbalanced_transactions: Vec<i64>) -> Reconciliation {
        let total = accounts.iter().map(|account| account.balance).sum();
        let mismatched_accounts = accounts
            .iter()
            .filter(|account| account.balance != account.entries_sum)
            .map(|account| account.name.clone())
            .collect();
        Reconciliation {
            accounts,
            total,
            mismatched_accounts,
            unbalanced_transactions,
        }
    }

    pub fn is_consistent(&self) -> bool {
        self.total.is_zero()
            && self.mismatched_accounts.is_empty()
            && self.unbalanced_transactions.is_empty()
    }

    /// The kept balance of one ledger account (zero if it has none yet).
    pub fn balance(&self, name: &str) -> Money {
        self.accounts
            .iter()
            .find(|account| account.name == name)
            .map(|account| account.balance)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(name: &str, balance: &str, entries_sum: &str) -> AccountTotals {
        AccountTotals {
            name: name.to_owned(),
            balance: Money::parse(balance).unwrap(),
            entries_sum: Money::parse(entries_sum).unwrap(),
        }
    }

    #[test]
    fn a_kept_balance_that_drifted_from_its_entries_is_reported() {
        let report = Reconciliation::new(
            vec![
                totals("bank_clearing", "-10", "-10"),
                totals("wallet:1:available", "10", "9"),
            ],
            Vec::new(),
        );
        assert!(report.total.is_zero());
        assert_eq!(report.mismatched_accounts, vec!["wallet:1:available"]);
        assert!(!report.is_consistent());
    }
}
