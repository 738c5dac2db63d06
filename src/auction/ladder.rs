//! The bid ladder: rule 4 of SPEC §2, which amounts a bid may name.
//!
//! The first bid climbs from `start_price`, later ones from the current price, always by
//! whole increments. The one exception is a priority right holder's match (跟价): the price
//! itself, taken over by a holder who outranks the leader.

use rust_decimal::Decimal;

use crate::money::Money;

use super::Rejection;

/// Where the ladder stands before a bid.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ladder {
    pub start_price: Money,
    pub increment: Money,
    /// The current price, or `None` before the first bid.
    pub price: Option<Money>,
}

impl Ladder {
    /// The lowest amount an ordinary bidder may bid now.
    pub fn min_next(&self) -> Money {
        match self.price {
            None => self.start_price,
            Some(price) => price + self.increment,
        }
    }

    /// Checks `amount` against rule 4. `may_match_price` says whether this bidder's priority
    /// right lets it bid the current price itself; it has no effect before the first bid,
    /// when there is no price to match.
    pub fn check(&self, amount: Money, may_match_price: bool) -> Result<(), Rejection> {
        debug_assert!(
            self.increment > Money::ZERO,
            "a lot's increment is always positive"
        );
        let min_next = self.min_next();
        if may_match_price && self.price == Some(amount) {
            return Ok(());
        }
        // Below the next rung is `too_low` even when also off-step: the bidder learns the
        // amount to aim for, which matters more than how it missed.
        if amount < min_next {
            return Err(Rejection::TooLow { min_next });
        }
        // Every rung sits a whole number of increments above the ladder's base: the start
        // price before the first bid, the price after it.
        let base = self.price.unwrap_or(self.start_price);
        if !is_whole_multiple(amount.decimal() - base.decimal(), self.increment.decimal()) {
            return Err(Rejection::BadIncrement { min_next });
        }
        Ok(())
    }
}

/// Whether `raise` is `n × increment` for a whole `n`, in exact decimal arithmetic.
fn is_whole_multiple(raise: Decimal, increment: Decimal) -> bool {
    // A zero increment has no multiples but zero; `checked_rem` refuses to divide by it, and
    // then only a zero raise is whole.
    match raise.checked_rem(increment) {
        Some(remainder) => remainder.is_zero(),
        None => raise.is_zero(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn money(text: &str) -> Money {
        Money::parse(text).unwrap()
    }

    fn ladder(price: Option<&str>) -> Ladder {
        Ladder {
            start_price: money("1000.00"),
            increment: money("2.50"),
            price: price.map(money),
        }
    }

    #[test]
    fn the_first_rung_is_the_start_price() {
        assert_eq!(ladder(None).min_next(), money("1000.00"));
        assert_eq!(ladder(None).check(money("1000.00"), false), Ok(()));
    }

    #[test]
    fn later_rungs_are_whole_increments_above_the_price() {
        let ladder = ladder(Some("1005.00"));
        assert_eq!(ladder.min_next(), money("1007.50"));
        assert_eq!(ladder.check(money("1007.50"), false), Ok(()));
        assert_eq!(ladder.check(money("1030.00"), false), Ok(()));
    }

    #[test]
    fn an_amount_below_the_next_rung_is_too_low_even_when_off_step() {
        let ladder = ladder(Some("1005.00"));
        let too_low = Err(Rejection::TooLow {
            min_next: money("1007.50"),
        });
        assert_eq!(ladder.check(money("1006.00"), false), too_low);
        assert_eq!(ladder.check(money("1005.00"), false), too_low);
        assert_eq!(ladder.check(money("1.00"), false), too_low);
    }

    #[test]
    fn an_off_step_amount_above_the_next_rung_names_the_next_rung() {
        let bad_increment = Err(Rejection::BadIncrement {
            min_next: money("1007.50"),
        });
        assert_eq!(
            ladder(Some("1005.00")).check(money("1008.00"), false),
            bad_increment
        );
    }

    #[test]
    fn a_match_is_the_price_itself_and_nothing_in_between() {
        let ladder = ladder(Some("1005.00"));
        assert_eq!(ladder.check(money("1005.00"), true), Ok(()));
        assert_eq!(
            ladder.check(money("1006.00"), true),
            Err(Rejection::TooLow {
                min_next: money("1007.50")
            })
        );
    }

    #[test]
    fn there_is_no_match_before_the_first_bid() {
        assert_eq!(
            ladder(None).check(money("997.50"), true),
            Err(Rejection::TooLow {
                min_next: money("1000.00")
            })
        );
    }

    #[test]
    fn a_zero_increment_makes_only_the_base_whole() {
        assert!(is_whole_multiple(Decimal::ZERO, Decimal::ZERO));
        assert!(!is_whole_multiple(Decimal::ONE, Decimal::ZERO));
    }
}
