//! Balanced transactions: lists of (ledger account, signed amount) that sum to zero.

use std::fmt;

use crate::domain::{AccountId, LotId};
use crate::money::Money;

use super::LedgerAccount;
use super::settlement::SettlementTerms;

/// Why money moved (`ledger_transactions.kind`, `GET /wallet`'s entry `kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransactionKind {
    /// 充值: a bank transfer credited to a wallet.
    TopUp,
    /// 交纳保证金: available → frozen.
    DepositFreeze,
    /// 退还保证金: frozen → available (a non-winner after the close, a cancel, or the
    /// part of a winner's deposit above what it owes).
    DepositRelease,
    /// 结转: the winner's deposit goes towards the fee and the price.
    DepositApply,
    /// The winner pays the rest of price + fee from available.
    SettlementPayment,
    /// A defaulting winner's applied deposit is forfeited.
    DepositForfeit,
    /// 余额退还: available → the bidder's bank account.
    Withdrawal,
}

impl TransactionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionKind::TopUp => "top_up",
            TransactionKind::DepositFreeze => "deposit_freeze",
            TransactionKind::DepositRelease => "deposit_release",
            TransactionKind::DepositApply => "deposit_apply",
            TransactionKind::SettlementPayment => "settlement_payment",
            TransactionKind::DepositForfeit => "deposit_forfeit",
            TransactionKind::Withdrawal => "withdrawal",
        }
    }
}

/// One leg of a transaction: `amount` is added to the account's balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub account: LedgerAccount,
    pub amount: Money,
}

impl Entry {
    pub fn new(account: LedgerAccount, amount: Money) -> Entry {
        Entry { account, amount }
    }
}

/// Why a list of entries is not a transaction.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTransaction {
    #[error("a transaction moves some money")]
    Empty,
    #[error("the entries sum to {sum}, not zero")]
    Unbalanced { sum: Money },
    #[error("{0} appears twice in one transaction")]
    AccountTwice(LedgerAccount),
}

/// A balanced set of entries, with what it is about.
///
/// The entries are kept sorted by account: storage updates balances in this order, so
/// that two PostgreSQL transactions touching the same accounts lock them in the same
/// order and never deadlock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerTransaction {
    kind: TransactionKind,
    account_id: Option<AccountId>,
    lot_id: Option<LotId>,
    reference: Option<String>,
    entries: Vec<Entry>,
}

impl LedgerTransaction {
    /// A transaction from its entries. Zero entries are dropped (a fee of 0.00 moves
    /// nothing); what remains must be non-empty, name each account once and sum to zero.
    pub fn new(
        kind: TransactionKind,
        entries: impl IntoIterator<Item = Entry>,
    ) -> Result<LedgerTransaction, InvalidTransaction> {
        let mut entries: Vec<Entry> = entries
            .into_iter()
            .filter(|entry| !entry.amount.is_zero())
            .collect();
        if entries.is_empty() {
            return Err(InvalidTransaction::Empty);
        }
        entries.sort_by_key(|entry| entry.account);
        if let Some(pair) = entries
            .windows(2)
            .find(|pair| pair[0].account == pair[1].account)
        {
            return Err(InvalidTransaction::AccountTwice(pair[0].account));
        }
        let sum: Money = entries.iter().map(|entry| entry.amount).sum();
        if !sum.is_zero() {
            return Err(InvalidTransaction::Unbalanced { sum });
        }
        Ok(LedgerTransaction {
            kind,
            account_id: None,
            lot_id: None,
            reference: None,
            entries,
        })
    }

    /// The bidder the transaction is about.
    pub fn for_account(mut self, account: AccountId) -> LedgerTransaction {
        self.account_id = Some(account);
        self
    }

    /// The lot the transaction is about.
    pub fn for_lot(mut self, lot: LotId) -> LedgerTransaction {
        self.lot_id = Some(lot);
        self
    }

    /// An outside reference, such as the bank's transfer id.
    pub fn with_reference(mut self, reference: impl Into<String>) -> LedgerTransaction {
        self.reference = Some(reference.into());
        self
    }

    pub fn kind(&self) -> TransactionKind {
        self.kind
    }

    pub fn account_id(&self) -> Option<AccountId> {
        self.account_id
    }

    pub fn lot_id(&self) -> Option<LotId> {
        self.lot_id
    }

    pub fn reference(&self) -> Option<&str> {
        self.reference.as_deref()
    }

    /// The entries, sorted by account.
    pub fn entries(&self) -> &[Entry] {
        debug_assert!(
            self.entries
                .iter()
                .map(|entry| entry.amount)
                .sum::<Money>()
                .is_zero(),
            "a ledger transaction sums to zero"
        );
        &self.entries
    }

    /// 充值: the bank received `amount` for `account`.
    pub fn top_up(account: AccountId, amount: Money, transfer_id: &str) -> LedgerTransaction {
        balanced(
            TransactionKind::TopUp,
            [
                Entry::new(LedgerAccount::BankClearing, -amount),
                Entry::new(LedgerAccount::WalletAvailable(account), amount),
            ],
        )
        .for_account(account)
        .with_reference(transfer_id)
    }

    /// 余额退还: `amount` leaves the wallet for the bidder's bank account.
    pub fn withdrawal(account: AccountId, amount: Money) -> LedgerTransaction {
        balanced(
            TransactionKind::Withdrawal,
            [
                Entry::new(LedgerAccount::WalletAvailable(account), -amount),
                Entry::new(LedgerAccount::BankClearing, amount),
            ],
        )
        .for_account(account)
    }

    /// 交纳保证金: `amount` is frozen for a lot.
    pub fn deposit_freeze(account: AccountId, lot: LotId, amount: Money) -> LedgerTransaction {
        balanced(
            TransactionKind::DepositFreeze,
            [
                Entry::new(LedgerAccount::WalletAvailable(account), -amount),
                Entry::new(LedgerAccount::WalletFrozen(account), amount),
            ],
        )
        .for_account(account)
        .for_lot(lot)
    }

    /// 退还保证金: a frozen deposit goes back to available.
    pub fn deposit_release(account: AccountId, lot: LotId, amount: Money) -> LedgerTransaction {
        balanced(
            TransactionKind::DepositRelease,
            [
                Entry::new(LedgerAccount::WalletFrozen(account), -amount),
                Entry::new(LedgerAccount::WalletAvailable(account), amount),
            ],
        )
        .for_account(account)
        .for_lot(lot)
    }

    /// 结转: the winner's whole frozen deposit leaves `frozen`; the fee is taken from it
    /// first, then the price; any part above price + fee goes back to available.
    pub fn deposit_apply(
        account: AccountId,
        lot: LotId,
        terms: &SettlementTerms,
    ) -> Option<LedgerTransaction> {
        build(
            TransactionKind::DepositApply,
            [
                Entry::new(LedgerAccount::WalletFrozen(account), -terms.deposit_held()),
                Entry::new(LedgerAccount::Fees, terms.fee_from_deposit()),
                Entry::new(LedgerAccount::LotProceeds(lot), terms.price_from_deposit()),
                Entry::new(
                    LedgerAccount::WalletAvailable(account),
                    terms.deposit_excess(),
                ),
            ],
        )
        .map(|transaction| transaction.for_account(account).for_lot(lot))
    }

    /// The winner pays the balance: the rest of the fee, then the rest of the price.
    pub fn settlement_payment(
        account: AccountId,
        lot: LotId,
        terms: &SettlementTerms,
    ) -> Option<LedgerTransaction> {
        build(
            TransactionKind::SettlementPayment,
            [
                Entry::new(LedgerAccount::WalletAvailable(account), -terms.amount_due()),
                Entry::new(LedgerAccount::Fees, terms.fee_from_payment()),
                Entry::new(LedgerAccount::LotProceeds(lot), terms.price_from_payment()),
            ],
        )
        .map(|transaction| transaction.for_account(account).for_lot(lot))
    }

    /// A defaulting winner's applied deposit leaves fees and proceeds (the sale fell
    /// through: no fee was earned, no price is owed) for `forfeits`.
    pub fn deposit_forfeit(
        account: AccountId,
        lot: LotId,
        terms: &SettlementTerms,
    ) -> Option<LedgerTransaction> {
        build(
            TransactionKind::DepositForfeit,
            [
                Entry::new(LedgerAccount::Fees, -terms.fee_from_deposit()),
                Entry::new(LedgerAccount::LotProceeds(lot), -terms.price_from_deposit()),
                Entry::new(LedgerAccount::Forfeits, terms.deposit_applied()),
            ],
        )
        .map(|transaction| transaction.for_account(account).for_lot(lot))
    }
}

/// A transaction the caller built balanced; `None` if it moves nothing.
fn build(
    kind: TransactionKind,
    entries: impl IntoIterator<Item = Entry>,
) -> Option<LedgerTransaction> {
    match LedgerTransaction::new(kind, entries) {
        Ok(transaction) => Some(transaction),
        Err(InvalidTransaction::Empty) => None,
        Err(error) => panic!("a {} transaction was built invalid: {error}", kind.as_str()),
    }
}

/// A transaction of positive amounts the caller built balanced.
fn balanced(kind: TransactionKind, entries: [Entry; 2]) -> LedgerTransaction {
    debug_assert!(
        entries.iter().all(|entry| !entry.amount.is_zero()),
        "a {} moves a positive amount",
        kind.as_str()
    );
    build(kind, entries).unwrap_or_else(|| panic!("a {} moves a positive amount", kind.as_str()))
}

impl fmt::Display for LedgerTransaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind.as_str())?;
        for entry in &self.entries {
            write!(f, " {}:{}", entry.account, entry.amount)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn a_balanced_list_of_entries_is_a_transaction() {
        let transaction = LedgerTransaction::new(
            TransactionKind::TopUp,
            [
                Entry::new(LedgerAccount::WalletAvailable(1), money("100")),
                Entry::new(LedgerAccount::BankClearing, money("-100")),
            ],
        )
        .unwrap();
        assert_eq!(transaction.entries().len(), 2);
        let sum: Money = transaction.entries().iter().map(|entry| entry.amount).sum();
        assert!(sum.is_zero());
    }

    #[test]
    fn an_unbalanced_list_of_entries_is_refused() {
        let refused = LedgerTransaction::new(
            TransactionKind::TopUp,
            [
                Entry::new(LedgerAccount::WalletAvailable(1), money("100")),
                Entry::new(LedgerAccount::BankClearing, money("-99.99")),
            ],
        );
        assert_eq!(
            refused,
            Err(InvalidTransaction::Unbalanced { sum: money("0.01") })
        );
    }

    #[test]
    fn a_transaction_that_moves_nothing_is_refused() {
        let refused = LedgerTransaction::new(
            TransactionKind::TopUp,
            [Entry::new(LedgerAccount::Fees, Money::ZERO)],
        );
        assert_eq!(refused, Err(InvalidTransaction::Empty));
    }

    #[test]
    fn an_account_named_twice_is_refused() {
        let refused = LedgerTransaction::new(
            TransactionKind::TopUp,
            [
                Entry::new(LedgerAccount::Fees, money("1")),
                Entry::new(LedgerAccount::Fees, money("-1")),
            ],
        );
        assert_eq!(
            refused,
            Err(InvalidTransaction::AccountTwice(LedgerAccount::Fees))
        );
    }

    #[test]
    fn entries_are_sorted_by_account_so_locks_are_taken_in_one_order() {
        let one = LedgerTransaction::deposit_freeze(1, 9, money("10"));
        let two = LedgerTransaction::deposit_release(1, 9, money("10"));
        let accounts = |transaction: &LedgerTransaction| -> Vec<LedgerAccount> {
            transaction
                .entries()
                .iter()
                .map(|entry| entry.account)
                .collect()
        };
        assert_eq!(accounts(&one), accounts(&two));
    }
}
