//! Applying transactions to balances: the rule storage enforces, and an in-memory book
//! that tests and simulations use as the reference.

use std::collections::BTreeMap;

use crate::money::Money;

use super::{LedgerAccount, LedgerTransaction};

/// A transaction would take a wallet below zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{account} would go to {balance_after}")]
pub struct Overdraft {
    pub account: LedgerAccount,
    pub balance_after: Money,
}

/// One entry posted to a balance: the balance after it, or the overdraft it would cause.
pub fn post(account: LedgerAccount, balance: Money, amount: Money) -> Result<Money, Overdraft> {
    check_balance(account, balance + amount)
}

/// `balance_after` if the account allows it (wallets never go below zero).
pub fn check_balance(account: LedgerAccount, balance_after: Money) -> Result<Money, Overdraft> {
    if account.allows(balance_after) {
        Ok(balance_after)
    } else {
        Err(Overdraft {
            account,
            balance_after,
        })
    }
}

/// Balances held in memory; every account starts at zero.
#[derive(Clone, Debug, Default)]
pub struct Book {
    balances: BTreeMap<LedgerAccount, Money>,
}

impl Book {
    pub fn new() -> Book {
        Book::default()
    }

    pub fn balance(&self, account: LedgerAccount) -> Money {
        self.balances.get(&account).copied().unwrap_or_default()
    }

    /// The sum of every balance: zero after every transaction.
    pub fn total(&self) -> Money {
        self.balances.values().copied().sum()
    }

    /// Applies the whole transaction, or nothing of it: the balances after each entry.
    pub fn apply(&mut self, transaction: &LedgerTransaction) -> Result<Vec<Money>, Overdraft> {
        let balances_after = transaction
            .entries()
            .iter()
            .map(|entry| post(entry.account, self.balance(entry.account), entry.amount))
            .collect::<Result<Vec<Money>, Overdraft>>()?;
        for (entry, balance_after) in transaction.entries().iter().zip(&balances_after) {
            self.balances.insert(entry.account, *balance_after);
        }
        debug_assert!(self.total().is_zero(), "the ledger sums to zero");
        Ok(balances_after)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;
    use crate::ledger::SettlementTerms;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    #[test]
    fn a_wallet_never_goes_negative() {
        let mut book = Book::new();
        book.apply(&LedgerTransaction::top_up(1, money("100"), "t-1"))
            .unwrap();
        let refused = book.apply(&LedgerTransaction::deposit_freeze(1, 5, money("100.01")));
        assert_eq!(
            refused,
            Err(Overdraft {
                account: LedgerAccount::WalletAvailable(1),
                balance_after: money("-0.01"),
            })
        );
        assert_eq!(
            book.balance(LedgerAccount::WalletAvailable(1)),
            money("100")
        );
        assert!(book.balance(LedgerAccount::WalletFrozen(1)).is_zero());
    }

    #[test]
    fn a_top_up_takes_bank_clearing_below_zero_and_keeps_the_total_at_zero() {
        let mut book = Book::new();
        book.apply(&LedgerTransaction::top_up(1, money("250.50"), "t-1"))
            .unwrap();
        assert_eq!(book.balance(LedgerAccount::BankClearing), money("-250.50"));
        assert!(book.total().is_zero());
    }

    #[test]
    fn a_settled_lot_ends_with_the_price_in_proceeds_and_the_fee_in_fees() {
        let mut book = Book::new();
        book.apply(&LedgerTransaction::top_up(1, money("200000"), "t-1"))
            .unwrap();
        book.apply(&LedgerTransaction::deposit_freeze(1, 5, money("20000")))
            .unwrap();
        let terms = SettlementTerms::at_close(money("100000"), Decimal::new(15, 3), money("20000"));
        book.apply(&LedgerTransaction::deposit_apply(1, 5, &terms).unwrap())
            .unwrap();
        book.apply(&LedgerTransaction::settlement_payment(1, 5, &terms).unwrap())
            .unwrap();
        assert_eq!(book.balance(LedgerAccount::LotProceeds(5)), money("100000"));
        assert_eq!(book.balance(LedgerAccount::Fees), money("1500"));
        assert_eq!(
            book.balance(LedgerAccount::WalletAvailable(1)),
            money("98500")
        );
        assert!(book.balance(LedgerAccount::WalletFrozen(1)).is_zero());
    }

    #[test]
    fn a_forfeit_moves_the_applied_deposit_to_forfeits() {
        let mut book = Book::new();
        book.apply(&LedgerTransaction::top_up(1, money("300"), "t-1"))
            .unwrap();
        book.apply(&LedgerTransaction::deposit_freeze(1, 5, money("300")))
            .unwrap();
        let terms = SettlementTerms::at_close(money("1000"), Decimal::new(1, 2), money("300"));
        book.apply(&LedgerTransaction::deposit_apply(1, 5, &terms).unwrap())
            .unwrap();
        book.apply(&LedgerTransaction::deposit_forfeit(1, 5, &terms).unwrap())
            .unwrap();
        assert_eq!(book.balance(LedgerAccount::Forfeits), money("300"));
        assert!(book.balance(LedgerAccount::Fees).is_zero());
        assert!(book.balance(LedgerAccount::LotProceeds(5)).is_zero());
    }

    fn cents(max: i64) -> impl Strategy<Value = Money> {
        (0..=max).prop_map(|cents| Money::from_decimal(Decimal::new(cents, 2)))
    }

    proptest! {
        /// Whatever the price, rate and deposit: the close and the payment leave the
        /// winner's frozen balance at zero, proceeds at the price, fees at the fee, no
        /// account of the exchange's below zero, and the book at zero.
        #[test]
        fn settling_any_lot_books_exactly_price_and_fee(
            price in cents(1_000_000_000),
            deposit in cents(1_000_000_000),
            rate_thousandths in 0i64..=100,
        ) {
            prop_assume!(!price.is_zero());
            let mut book = Book::new();
            let wallet = LedgerAccount::WalletAvailable(1);
            let rate = Decimal::new(rate_thousandths, 3);
            let terms = SettlementTerms::at_close(price, rate, deposit);
            book.apply(&LedgerTransaction::top_up(1, deposit + terms.total(), "t")).unwrap();
            if !deposit.is_zero() {
                book.apply(&LedgerTransaction::deposit_freeze(1, 5, deposit)).unwrap();
            }
            if let Some(apply) = LedgerTransaction::deposit_apply(1, 5, &terms) {
                book.apply(&apply).unwrap();
            }
            prop_assert!(!book.balance(LedgerAccount::Fees).is_negative());
            prop_assert!(!book.balance(LedgerAccount::LotProceeds(5)).is_negative());
            if let Some(payment) = LedgerTransaction::settlement_payment(1, 5, &terms) {
                book.apply(&payment).unwrap();
            }
            prop_assert_eq!(book.balance(LedgerAccount::LotProceeds(5)), price);
            prop_assert_eq!(book.balance(LedgerAccount::Fees), terms.fee());
            prop_assert!(book.balance(LedgerAccount::WalletFrozen(1)).is_zero());
            prop_assert_eq!(book.balance(wallet), deposit);
            prop_assert!(book.total().is_zero());
        }
    }
}
