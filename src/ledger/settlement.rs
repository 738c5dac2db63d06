//! What a winner owes after the close, and how each payment is split.

use rust_decimal::Decimal;

use crate::money::Money;

/// The money of one sold lot's settlement.
///
/// The winner owes price + fee. Its cash deposit goes towards that first (结转); a
/// deposit larger than price + fee is applied only up to price + fee, and the excess is
/// released back to `available` at once, so `amount_due` is never negative. Of whatever
/// the winner hands over (the applied deposit, then the payment), the exchange takes its
/// fee first and the rest goes to the lot's proceeds: after payment `fees` has received
/// exactly `fee` and `lot:{id}:proceeds` exactly `price`, and neither ever goes negative
/// on the way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettlementTerms {
    price: Money,
    fee: Money,
    deposit_held: Money,
}

impl SettlementTerms {
    /// The terms at the close: the fee at the lot's rate, and the winner's cash deposit
    /// held at that moment (zero if it lodged none in cash).
    pub fn at_close(price: Money, fee_rate: Decimal, deposit_held: Money) -> SettlementTerms {
        SettlementTerms {
            price,
            fee: price.fee_at(fee_rate),
            deposit_held,
        }
    }

    /// The terms read back from a stored settlement (its excess, if any, already released).
    pub fn from_stored(price: Money, fee: Money, deposit_applied: Money) -> SettlementTerms {
        let terms = SettlementTerms {
            price,
            fee,
            deposit_held: deposit_applied,
        };
        debug_assert!(terms.deposit_excess().is_zero());
        terms
    }

    pub fn price(&self) -> Money {
        self.price
    }

    pub fn fee(&self) -> Money {
        self.fee
    }

    pub fn deposit_held(&self) -> Money {
        self.deposit_held
    }

    /// price + fee: what the winner owes in all.
    pub fn total(&self) -> Money {
        self.price + self.fee
    }

    /// The part of the deposit that goes towards price + fee.
    pub fn deposit_applied(&self) -> Money {
        self.deposit_held.min(self.total())
    }

    /// The part of the deposit above price + fee, released to `available`.
    pub fn deposit_excess(&self) -> Money {
        self.deposit_held - self.deposit_applied()
    }

    /// price + fee − the applied deposit: what the winner still pays.
    pub fn amount_due(&self) -> Money {
        self.total() - self.deposit_applied()
    }

    pub fn fee_from_deposit(&self) -> Money {
        self.fee.min(self.deposit_applied())
    }

    pub fn price_from_deposit(&self) -> Money {
        self.deposit_applied() - self.fee_from_deposit()
    }

    pub fn fee_from_payment(&self) -> Money {
        self.fee - self.fee_from_deposit()
    }

    pub fn price_from_payment(&self) -> Money {
        self.amount_due() - self.fee_from_payment()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn one_percent() -> Decimal {
        Decimal::new(1, 2)
    }

    #[test]
    fn the_deposit_goes_towards_price_and_fee() {
        let terms = SettlementTerms::at_close(money("100000"), one_percent(), money("20000"));
        assert_eq!(terms.fee(), money("1000"));
        assert_eq!(terms.deposit_applied(), money("20000"));
        assert_eq!(terms.amount_due(), money("81000"));
        assert_eq!(terms.fee_from_deposit(), money("1000"));
        assert_eq!(terms.price_from_deposit(), money("19000"));
        assert_eq!(terms.fee_from_payment(), Money::ZERO);
        assert_eq!(terms.price_from_payment(), money("81000"));
        assert!(terms.deposit_excess().is_zero());
    }

    #[test]
    fn a_deposit_above_price_and_fee_is_applied_only_up_to_them() {
        let terms = SettlementTerms::at_close(money("1000"), one_percent(), money("5000"));
        assert_eq!(terms.deposit_applied(), money("1010"));
        assert_eq!(terms.deposit_excess(), money("3990"));
        assert!(terms.amount_due().is_zero());
    }

    #[test]
    fn a_winner_without_a_cash_deposit_owes_everything() {
        let terms = SettlementTerms::at_close(money("1000"), one_percent(), Money::ZERO);
        assert_eq!(terms.amount_due(), money("1010"));
        assert_eq!(terms.fee_from_payment(), money("10"));
        assert_eq!(terms.price_from_payment(), money("1000"));
    }

    #[test]
    fn stored_terms_split_the_payment_as_the_close_did() {
        let at_close = SettlementTerms::at_close(money("999.99"), one_percent(), money("5"));
        let stored = SettlementTerms::from_stored(
            at_close.price(),
            at_close.fee(),
            at_close.deposit_applied(),
        );
        assert_eq!(stored.amount_due(), at_close.amount_due());
        assert_eq!(stored.fee_from_payment(), at_close.fee_from_payment());
    }
}
