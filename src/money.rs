//! Money: exact decimals (rust_decimal), parsed at the edge, never through `f64`.
//!
//! On the wire an amount is always a string (`"1250.00"`) in JSON and MessagePack alike.
//! Amounts carry at most two decimal places; `Money` prints them with exactly two.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The number of decimal places an amount may carry (fen / cents).
pub const MONEY_SCALE: u32 = 2;

/// An exact amount of money in a lot's or wallet's currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

/// Why a text is not an amount of money.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
pub enum AmountError {
    #[error("an amount is a decimal string such as \"1250.00\"")]
    NotADecimal,
    #[error("an amount has at most two decimal places")]
    TooManyDecimals,
    #[error("an amount must be greater than zero")]
    NotPositive,
    #[error("an amount is too large")]
    TooLarge,
}

/// The largest amount bidroom accepts: far above any real lot, far below `Decimal`'s range,
/// so that sums of many amounts never overflow.
const MAX_AMOUNT_UNITS: i64 = 1_000_000_000_000_000; // 10^15 in major units

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Wraps a decimal that is already known to be a valid amount (from the database or
    /// from arithmetic on valid amounts). Rounds to two places if arithmetic left more.
    /// Zero has no sign: a decimal keeps one (`-0`), which would print as "-0.00".
    pub fn from_decimal(value: Decimal) -> Money {
        let mut value = value.round_dp(MONEY_SCALE);
        value.rescale(MONEY_SCALE);
        if value.is_zero() {
            value.set_sign_positive(true);
        }
        Money(value)
    }

    /// Parses a positive amount with at most two decimal places, as clients send it.
    pub fn parse_positive(text: &str) -> Result<Money, AmountError> {
        let money = Money::parse(text)?;
        if money.0 <= Decimal::ZERO {
            return Err(AmountError::NotPositive);
        }
        Ok(money)
    }

    /// Parses a signed amount with at most two decimal places.
    pub fn parse(text: &str) -> Result<Money, AmountError> {
        let text = text.trim();
        let valid_chars = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
        if !valid_chars {
            return Err(AmountError::NotADecimal);
        }
        let value = Decimal::from_str(text).map_err(|_| AmountError::NotADecimal)?;
        if value.scale() > MONEY_SCALE && value.normalize().scale() > MONEY_SCALE {
            return Err(AmountError::TooManyDecimals);
        }
        if value.abs() >= Decimal::from(MAX_AMOUNT_UNITS) {
            return Err(AmountError::TooLarge);
        }
        Ok(Money::from_decimal(value))
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money::from_decimal)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money::from_decimal)
    }

    /// `self + n × step`, for bid ladders.
    pub fn plus_steps(self, step: Money, steps: u64) -> Option<Money> {
        step.0
            .checked_mul(Decimal::from(steps))
            .and_then(|raise| self.0.checked_add(raise))
            .map(Money::from_decimal)
    }

    /// The fee on this amount at `rate`, rounded half-up to the cent (the usual rule for
    /// service fees; a rate is a plain decimal such as 0.01).
    pub fn fee_at(self, rate: Decimal) -> Money {
        let fee = (self.0 * rate).round_dp_with_strategy(
            MONEY_SCALE,
            rust_decimal::RoundingStrategy::MidpointAwayFromZero,
        );
        Money::from_decimal(fee)
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, other: Money) -> Money {
        Money::from_decimal(self.0 + other.0)
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money::from_decimal(self.0 - other.0)
    }
}

impl std::ops::Neg for Money {
    type Output = Money;
    fn neg(self) -> Money {
        Money::from_decimal(-self.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |total, amount| total + amount)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

impl FromStr for Money {
    type Err = AmountError;
    fn from_str(text: &str) -> Result<Money, AmountError> {
        Money::parse(text)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Money::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// In the OpenAPI document an amount is a decimal string, never a number.
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(MONEY_PATTERN))
            .description(Some(
                "An exact amount as a decimal string with at most two decimal places \
                 (answers always carry exactly two); never a JSON number.",
            ))
            .examples(["1250.00"])
            .into()
    }
}

impl utoipa::ToSchema for Money {}

/// What the OpenAPI document says an amount looks like.
pub const MONEY_PATTERN: &str = r"^-?[0-9]+(\.[0-9]{1,2})?$";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_print_with_two_decimals() {
        assert_eq!(Money::parse("1250").unwrap().to_string(), "1250.00");
        assert_eq!(Money::parse("0.5").unwrap().to_string(), "0.50");
        assert_eq!(Money::parse("12.30").unwrap().to_string(), "12.30");
    }

    #[test]
    fn more_than_two_decimals_is_refused_unless_they_are_zeros() {
        assert_eq!(Money::parse("1.005"), Err(AmountError::TooManyDecimals));
        assert_eq!(Money::parse("1.500").unwrap().to_string(), "1.50");
    }

    #[test]
    fn non_numbers_and_exponents_are_refused() {
        for text in ["", "abc", "1e3", "NaN", "1,000", "+5", " "] {
            assert_eq!(
                Money::parse(text),
                Err(AmountError::NotADecimal),
                "{text:?}"
            );
        }
    }

    #[test]
    fn positive_amounts_refuse_zero_and_negatives() {
        assert_eq!(Money::parse_positive("0"), Err(AmountError::NotPositive));
        assert_eq!(Money::parse_positive("-1"), Err(AmountError::NotPositive));
    }

    /// Found by the `money` fuzz target: the negation of zero printed as "-0.00".
    #[test]
    fn zero_prints_without_a_sign() {
        assert_eq!((-Money::ZERO).to_string(), "0.00");
        assert_eq!(Money::parse("-0").unwrap().to_string(), "0.00");
        assert_eq!(Money::parse("-0.00").unwrap().to_string(), "0.00");
        let ten = Money::parse("-10").unwrap();
        assert_eq!((ten - ten).to_string(), "0.00");
        assert!(!(-Money::ZERO).is_negative());
    }

    #[test]
    fn fees_round_half_away_from_zero() {
        let price = Money::parse("1234.50").unwrap();
        assert_eq!(price.fee_at(Decimal::new(1, 2)).to_string(), "12.35");
    }

    #[test]
    fn money_is_a_string_in_json() {
        let json = serde_json::to_string(&Money::parse("7").unwrap()).unwrap();
        assert_eq!(json, "\"7.00\"");
        let back: Money = serde_json::from_str("\"7.10\"").unwrap();
        assert_eq!(back.to_string(), "7.10");
    }
}
