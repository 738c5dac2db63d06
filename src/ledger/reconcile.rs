//! Reconciliation: the stored balances against the entries behind them, and the holds
//! (deposits) against the frozen balances and the transactions that moved them.

use std::collections::BTreeMap;

use crate::domain::{AccountId, DepositKind, DepositStatus, LotId};
use crate::money::Money;

use super::LedgerAccount;

/// One ledger account as stored: its kept balance and the sum of its entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountTotals {
    pub name: String,
    pub balance: Money,
    pub entries_sum: Money,
}

/// One deposit (a hold) as stored, with how many ledger transactions of each kind moved
/// money for its (account, lot): a bidder has at most one application, so one deposit,
/// per lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldRecord {
    pub deposit_id: i64,
    pub account_id: AccountId,
    pub lot_id: LotId,
    pub kind: DepositKind,
    pub status: DepositStatus,
    pub amount: Money,
    /// `deposit_freeze` transactions.
    pub freezes: i64,
    /// `deposit_release` and `deposit_apply` transactions: what took it out of `frozen`.
    pub resolutions: i64,
    /// `deposit_forfeit` transactions.
    pub forfeits: i64,
}

impl HoldRecord {
    /// Whether the transactions fit the status: a cash hold is frozen once, leaves
    /// `frozen` exactly once when it is resolved (never while held), and is forfeited
    /// only when its status says so; a guarantee moves no money at all.
    pub fn movements_fit_status(&self) -> bool {
        let expected = match self.kind {
            DepositKind::Guarantee => (0, 0, 0),
            DepositKind::Cash => (
                1,
                i64::from(self.status != DepositStatus::Held),
                i64::from(self.status == DepositStatus::Forfeited),
            ),
        };
        (self.freezes, self.resolutions, self.forfeits) == expected
    }
}

/// A wallet whose frozen balance is not the sum of its open (held) cash deposits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrozenMismatch {
    pub account_id: AccountId,
    pub frozen: Money,
    pub held: Money,
}

/// How many holds have a status, and their total.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HoldTotals {
    pub count: u64,
    pub amount: Money,
}

/// What a reconciliation found. A consistent ledger sums to zero, every kept balance
/// equals the sum of its entries, every transaction sums to zero, no balance has the
/// wrong sign (a wallet below zero), every wallet's frozen balance is the sum of its held cash deposits, and every
/// hold was frozen once and resolved at most once, as its status says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconciliation {
    pub accounts: Vec<AccountTotals>,
    /// The sum of every kept balance.
    pub total: Money,
    /// Accounts whose kept balance differs from the sum of their entries.
    pub mismatched_accounts: Vec<String>,
    /// Transactions whose entries do not sum to zero.
    pub unbalanced_transactions: Vec<i64>,
    /// Accounts whose balance has a sign no rule-following history gives: a wallet, a
    /// lot's proceeds, fees or forfeits below zero, or `bank_clearing` above it (and any
    /// account whose name is not one of the ledger's).
    pub wrong_sign_balances: Vec<String>,
    pub frozen_mismatches: Vec<FrozenMismatch>,
    /// Deposits whose ledger transactions do not fit their status.
    pub misresolved_holds: Vec<i64>,
    /// Holds by status (`held`, `released`, `applied`, `forfeited`), cash and guarantees.
    pub holds: BTreeMap<&'static str, HoldTotals>,
}

impl Reconciliation {
    pub fn new(
        accounts: Vec<AccountTotals>,
        unbalanced_transactions: Vec<i64>,
        holds: &[HoldRecord],
    ) -> Reconciliation {
        let total = accounts.iter().map(|account| account.balance).sum();
        let mismatched_accounts = accounts
            .iter()
            .filter(|account| account.balance != account.entries_sum)
            .map(|account| account.name.clone())
            .collect();
        let wrong_sign_balances = accounts
            .iter()
            .filter(|account| {
                LedgerAccount::parse(&account.name)
                    .is_none_or(|ledger_account| !ledger_account.has_expected_sign(account.balance))
            })
            .map(|account| account.name.clone())
            .collect();
        let misresolved_holds = holds
            .iter()
            .filter(|hold| !hold.movements_fit_status())
            .map(|hold| hold.deposit_id)
            .collect();
        let mut by_status: BTreeMap<&'static str, HoldTotals> = BTreeMap::new();
        for hold in holds {
            let totals = by_status.entry(hold.status.as_str()).or_default();
            totals.count += 1;
            totals.amount = totals.amount + hold.amount;
        }
        Reconciliation {
            frozen_mismatches: frozen_mismatches(&accounts, holds),
            accounts,
            total,
            mismatched_accounts,
            unbalanced_transactions,
            wrong_sign_balances,
            misresolved_holds,
            holds: by_status,
        }
    }

    pub fn is_consistent(&self) -> bool {
        self.total.is_zero()
            && self.mismatched_accounts.is_empty()
            && self.unbalanced_transactions.is_empty()
            && self.wrong_sign_balances.is_empty()
            && self.frozen_mismatches.is_empty()
            && self.misresolved_holds.is_empty()
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

/// Every wallet's frozen balance beside the sum of its held cash deposits.
fn frozen_mismatches(accounts: &[AccountTotals], holds: &[HoldRecord]) -> Vec<FrozenMismatch> {
    let mut frozen_and_held: BTreeMap<AccountId, (Money, Money)> = BTreeMap::new();
    for account in accounts {
        if let Some(LedgerAccount::WalletFrozen(owner)) = LedgerAccount::parse(&account.name) {
            frozen_and_held.entry(owner).or_default().0 = account.balance;
        }
    }
    for hold in holds {
        if hold.kind == DepositKind::Cash && hold.status == DepositStatus::Held {
            let held = &mut frozen_and_held.entry(hold.account_id).or_default().1;
            *held = *held + hold.amount;
        }
    }
    frozen_and_held
        .into_iter()
        .filter(|(_, (frozen, held))| frozen != held)
        .map(|(account_id, (frozen, held))| FrozenMismatch {
            account_id,
            frozen,
            held,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn totals(name: &str, balance: &str, entries_sum: &str) -> AccountTotals {
        AccountTotals {
            name: name.to_owned(),
            balance: money(balance),
            entries_sum: money(entries_sum),
        }
    }

    fn cash_hold(status: DepositStatus, amount: &str, movements: (i64, i64, i64)) -> HoldRecord {
        HoldRecord {
            deposit_id: 9,
            account_id: 1,
            lot_id: 5,
            kind: DepositKind::Cash,
            status,
            amount: money(amount),
            freezes: movements.0,
            resolutions: movements.1,
            forfeits: movements.2,
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
            &[],
        );
        assert!(report.total.is_zero());
        assert_eq!(report.mismatched_accounts, vec!["wallet:1:available"]);
        assert!(!report.is_consistent());
    }

    #[test]
    fn a_wallet_below_zero_or_a_bank_clearing_above_it_is_reported() {
        let report = Reconciliation::new(
            vec![
                totals("bank_clearing", "10", "10"),
                totals("wallet:1:available", "-10", "-10"),
            ],
            Vec::new(),
            &[],
        );
        assert_eq!(
            report.wrong_sign_balances,
            vec!["bank_clearing", "wallet:1:available"]
        );
        assert!(!report.is_consistent());
    }

    #[test]
    fn a_frozen_balance_must_equal_the_held_cash_deposits() {
        let accounts = vec![
            totals("wallet:1:available", "-100", "-100"),
            totals("wallet:1:frozen", "100", "100"),
        ];
        let held = cash_hold(DepositStatus::Held, "100", (1, 0, 0));
        let consistent =
            Reconciliation::new(accounts.clone(), Vec::new(), std::slice::from_ref(&held));
        assert!(consistent.frozen_mismatches.is_empty());
        let released = cash_hold(DepositStatus::Released, "100", (1, 1, 0));
        let report = Reconciliation::new(accounts, Vec::new(), &[released]);
        assert_eq!(
            report.frozen_mismatches,
            vec![FrozenMismatch {
                account_id: 1,
                frozen: money("100"),
                held: Money::ZERO,
            }]
        );
    }

    #[test]
    fn a_hold_resolved_twice_or_never_frozen_is_reported() {
        let twice = cash_hold(DepositStatus::Released, "100", (1, 2, 0));
        let never_frozen = HoldRecord {
            deposit_id: 10,
            ..cash_hold(DepositStatus::Held, "100", (0, 0, 0))
        };
        let forfeited = cash_hold(DepositStatus::Forfeited, "100", (1, 1, 1));
        let guarantee = HoldRecord {
            kind: DepositKind::Guarantee,
            deposit_id: 11,
            ..cash_hold(DepositStatus::Applied, "100", (0, 0, 0))
        };
        assert!(forfeited.movements_fit_status());
        assert!(guarantee.movements_fit_status());
        let report = Reconciliation::new(Vec::new(), Vec::new(), &[twice, never_frozen]);
        assert_eq!(report.misresolved_holds, vec![9, 10]);
        assert_eq!(report.holds["held"].count, 1);
        assert_eq!(report.holds["released"].amount, money("100"));
    }
}
