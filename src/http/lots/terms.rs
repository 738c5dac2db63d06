//! A new lot's terms as a client sends them, and their validation (SPEC §2).

use crate::text::{TextKind, forbidden_character_message, has_forbidden_character};
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auction::ExtensionMode;
use crate::domain::{AccountId, DepositTerms};
use crate::money::Money;
use crate::storage::lots::NewLot;
use crate::time_format::{self, Rfc3339};

use super::ApiError;

/// The body of `POST /lots`. Amounts are strings: a JSON number is refused (400).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewLot)]
pub(in crate::http) struct CreateLot {
    /// 1 to 200 characters after trimming.
    #[schema(
        example = "Land-use right, parcel 2026-17",
        min_length = 1,
        max_length = 200
    )]
    title: String,
    /// Up to 20,000 characters.
    #[serde(default)]
    #[schema(max_length = 20000)]
    description: String,
    /// An ISO 4217 code; `CNY` unless given.
    #[schema(example = "CNY", pattern = "^[A-Z]{3}$")]
    currency: Option<String>,
    /// Greater than zero.
    start_price: Money,
    /// Greater than zero: every bid is the start price plus a whole number of increments.
    increment: Money,
    /// Greater than zero; without it the lot sells to its highest bid.
    reserve_price: Option<Money>,
    deposit: DepositBody,
    /// A decimal string from "0" (the default) below "1", at most 6 decimal places.
    #[schema(example = "0.01")]
    fee_rate: Option<String>,
    /// At or before `starts_at`.
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    applications_close_at: i64,
    /// At or before `starts_at`.
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    deposit_deadline: i64,
    /// Before `ends_at`.
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    starts_at: i64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    ends_at: i64,
    /// A bid this close to the deadline moves it (1 to 86,400 seconds).
    #[schema(minimum = 1, maximum = 86400, example = 300)]
    extension_window_secs: u32,
    /// How many times the deadline may move; no limit when absent.
    max_extensions: Option<u32>,
    /// `reset` (the default: the deadline becomes the bid's time plus the window) or `add`
    /// (the window is added to the deadline).
    #[schema(example = "reset")]
    extension_mode: Option<String>,
    /// After `ends_at`; without it the admin may default an unpaid settlement at any time
    /// after the close.
    #[serde(default, with = "time_format::rfc3339::option")]
    #[schema(value_type = Option<Rfc3339>)]
    settlement_due_at: Option<i64>,
}

/// A fixed deposit (greater than zero), or a range (`min` greater than zero, `max` at
/// least `min`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[schema(as = NewDepositTerms)]
enum DepositBody {
    Fixed { amount: Money },
    Range { min: Money, max: Money },
}

const DEFAULT_CURRENCY: &str = "CNY";
const TITLE_CHARS: usize = 200;
const DESCRIPTION_CHARS: usize = 20_000;
/// A day: longer windows would make "timed bidding" meaningless.
const MAX_EXTENSION_WINDOW_SECS: u32 = 24 * 60 * 60;
/// PostgreSQL keeps the fee rate as NUMERIC(9, 6).
const FEE_RATE_DECIMALS: u32 = 6;

impl CreateLot {
    /// The lot's terms, checked; owned by `auctioneer`.
    pub(in crate::http) fn validate(self, auctioneer: AccountId) -> Result<NewLot, ApiError> {
        self.check_times()?;
        Ok(NewLot {
            auctioneer_id: auctioneer,
            title: text("title", &self.title, TextKind::Line, 1, TITLE_CHARS)?,
            description: text(
                "description",
                &self.description,
                TextKind::Long,
                0,
                DESCRIPTION_CHARS,
            )?,
            currency: currency(self.currency.as_deref())?,
            start_price: positive("start_price", self.start_price)?,
            increment: positive("increment", self.increment)?,
            reserve_price: self
                .reserve_price
                .map(|reserve| positive("reserve_price", reserve))
                .transpose()?,
            deposit: deposit(&self.deposit)?,
            fee_rate: fee_rate(self.fee_rate.as_deref())?,
            applications_close_at_ms: self.applications_close_at,
            deposit_deadline_ms: self.deposit_deadline,
            starts_at_ms: self.starts_at,
            ends_at_ms: self.ends_at,
            extension_window_secs: extension_window(self.extension_window_secs)?,
            max_extensions: self.max_extensions,
            extension_mode: extension_mode(self.extension_mode.as_deref())?,
            settlement_due_at_ms: self.settlement_due_at,
        })
    }

    /// Applications and deposits close at or before the start, which is before the end;
    /// the settlement falls due after the end.
    fn check_times(&self) -> Result<(), ApiError> {
        if self.applications_close_at > self.starts_at {
            return Err(ApiError::invalid(
                "applications_close_at must be at or before starts_at",
            ));
        }
        if self.deposit_deadline > self.starts_at {
            return Err(ApiError::invalid(
                "deposit_deadline must be at or before starts_at",
            ));
        }
        if self.starts_at >= self.ends_at {
            return Err(ApiError::invalid("starts_at must be before ends_at"));
        }
        if self
            .settlement_due_at
            .is_some_and(|due| due <= self.ends_at)
        {
            return Err(ApiError::invalid("settlement_due_at must be after ends_at"));
        }
        Ok(())
    }
}

fn text(
    field: &str,
    value: &str,
    kind: TextKind,
    min_chars: usize,
    max_chars: usize,
) -> Result<String, ApiError> {
    let value = value.trim();
    let chars = value.chars().count();
    if chars < min_chars || chars > max_chars {
        return Err(ApiError::invalid(format!(
            "{field} must be {min_chars} to {max_chars} characters"
        )));
    }
    if has_forbidden_character(value, kind) {
        return Err(ApiError::invalid(forbidden_character_message(field, kind)));
    }
    Ok(value.to_owned())
}

/// An ISO 4217 code: three uppercase letters.
fn currency(code: Option<&str>) -> Result<String, ApiError> {
    let code = code.unwrap_or(DEFAULT_CURRENCY);
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code.to_owned())
    } else {
        Err(ApiError::invalid(
            "currency is an ISO 4217 code of three uppercase letters, such as \"CNY\"",
        ))
    }
}

fn positive(field: &str, amount: Money) -> Result<Money, ApiError> {
    if amount > Money::ZERO {
        Ok(amount)
    } else {
        Err(ApiError::invalid(format!(
            "{field} must be greater than zero"
        )))
    }
}

fn deposit(body: &DepositBody) -> Result<DepositTerms, ApiError> {
    match *body {
        DepositBody::Fixed { amount } => {
            Ok(DepositTerms::Fixed(positive("deposit.amount", amount)?))
        }
        DepositBody::Range { min, max } => {
            let min = positive("deposit.min", min)?;
            if max < min {
                return Err(ApiError::invalid(
                    "deposit.max must be at least deposit.min",
                ));
            }
            Ok(DepositTerms::Range { min, max })
        }
    }
}

/// A decimal string from 0 (inclusive) to 1 (exclusive), default 0.
fn fee_rate(text: Option<&str>) -> Result<Decimal, ApiError> {
    let Some(text) = text else {
        return Ok(Decimal::ZERO);
    };
    let invalid = || {
        ApiError::invalid(format!(
            "fee_rate is a decimal string from \"0\" up to (not including) \"1\", with at most \
             {FEE_RATE_DECIMALS} decimal places, such as \"0.01\""
        ))
    };
    let plain = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    let rate = plain
        .then(|| Decimal::from_str(text).ok())
        .flatten()
        .ok_or_else(invalid)?;
    if rate >= Decimal::ONE || rate.normalize().scale() > FEE_RATE_DECIMALS {
        return Err(invalid());
    }
    Ok(rate.normalize())
}

fn extension_window(secs: u32) -> Result<u32, ApiError> {
    if (1..=MAX_EXTENSION_WINDOW_SECS).contains(&secs) {
        Ok(secs)
    } else {
        Err(ApiError::invalid(format!(
            "extension_window_secs must be from 1 to {MAX_EXTENSION_WINDOW_SECS}"
        )))
    }
}

fn extension_mode(text: Option<&str>) -> Result<ExtensionMode, ApiError> {
    match text {
        None => Ok(ExtensionMode::Reset),
        Some(text) => ExtensionMode::parse(text)
            .ok_or_else(|| ApiError::invalid("extension_mode is \"reset\" or \"add\"")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_rates_are_plain_decimals_below_one() {
        assert_eq!(fee_rate(None).unwrap(), Decimal::ZERO);
        assert_eq!(fee_rate(Some("0.01")).unwrap().to_string(), "0.01");
        assert_eq!(fee_rate(Some("0.015000")).unwrap().to_string(), "0.015");
        for bad in ["1", "1.5", "-0.1", "abc", "", "0.0000001", "1e-2"] {
            assert!(fee_rate(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_range_deposit_needs_min_at_most_max() {
        let money = |text| Money::parse(text).unwrap();
        assert!(
            deposit(&DepositBody::Range {
                min: money("10"),
                max: money("10")
            })
            .is_ok()
        );
        assert!(
            deposit(&DepositBody::Range {
                min: money("10"),
                max: money("9")
            })
            .is_err()
        );
        assert!(deposit(&DepositBody::Fixed { amount: money("0") }).is_err());
    }

    #[test]
    fn currencies_are_three_uppercase_letters() {
        assert_eq!(currency(None).unwrap(), "CNY");
        assert_eq!(currency(Some("USD")).unwrap(), "USD");
        for bad in ["usd", "CN", "CNYY", "C1Y"] {
            assert!(currency(Some(bad)).is_err(), "{bad}");
        }
    }
}
