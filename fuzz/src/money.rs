//! Amounts as clients send them, through `Money::parse` and `Money::parse_positive` (what
//! every REST body and every bid goes through), and the arithmetic on what they accept.
//!
//! The input is one amount, or two on two lines for the arithmetic. Rules checked: parsing
//! never panics; an accepted amount is the text's exact value, below 10^15, and prints with
//! exactly two decimals in a form that parses back to the same amount; positive parsing
//! accepts exactly the accepted amounts above zero; JSON strings read as the text does; sums
//! and differences of two amounts are exact.

use std::str::FromStr;

use bidroom::money::{AmountError, Money};
use rust_decimal::Decimal;

pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check_one(text);
    if let Some((first, second)) = text.split_once('\n') {
        check_one(first);
        check_one(second);
        if let (Ok(first), Ok(second)) = (Money::parse(first), Money::parse(second)) {
            check_arithmetic(first, second);
        }
    }
}

fn check_one(text: &str) {
    let parsed = Money::parse(text);
    if let Ok(amount) = parsed {
        let printed = amount.to_string();
        assert!(
            is_canonical(&printed),
            "{text:?} prints as {printed:?}, not as -?digits.dd"
        );
        assert_eq!(
            Money::parse(&printed),
            Ok(amount),
            "{printed:?} does not parse back"
        );
        assert_eq!(amount.decimal().scale(), 2, "{text:?} keeps another scale");
        let exact = Decimal::from_str(text.trim()).expect("an accepted amount is a decimal");
        assert_eq!(amount.decimal(), exact, "{text:?} was rounded");
        assert!(
            amount.decimal().abs() < Decimal::from(1_000_000_000_000_000_i64),
            "{text:?} is over the limit"
        );
    }
    match Money::parse_positive(text) {
        Ok(amount) => {
            assert_eq!(parsed, Ok(amount));
            assert!(amount > Money::ZERO, "{text:?} is positive");
        }
        Err(AmountError::NotPositive) => {
            assert!(parsed.is_ok_and(|amount| amount <= Money::ZERO))
        }
        Err(error) => assert_eq!(parsed, Err(error)),
    }
    // As a JSON string (how REST bodies carry amounts): the same answer.
    let json = serde_json::to_string(text).expect("a string is JSON");
    let from_json = serde_json::from_str::<Money>(&json);
    assert_eq!(from_json.ok(), parsed.ok(), "{json} reads otherwise");
}

fn check_arithmetic(first: Money, second: Money) {
    let sum = first + second;
    assert_eq!(sum, second + first);
    assert_eq!(
        sum.decimal(),
        first.decimal() + second.decimal(),
        "a sum is exact"
    );
    assert_eq!(sum - second, first, "a difference undoes the sum");
    assert_eq!(first.checked_add(second), Some(sum));
    assert_eq!(sum.checked_sub(second), Some(first));
    assert!(is_canonical(&sum.to_string()), "{sum} prints oddly");
    assert!(is_canonical(&(first - second).to_string()));
    assert!(is_canonical(&(-first).to_string()), "-{first} prints oddly");
    if second > Money::ZERO {
        let raised = first.plus_steps(second, 3).expect("three steps fit");
        assert_eq!(raised, first + second + second + second);
    }
}

/// How an amount prints: an optional minus (never on zero), digits, a point, two digits.
fn is_canonical(printed: &str) -> bool {
    let unsigned = printed.strip_prefix('-').unwrap_or(printed);
    let Some((whole, cents)) = unsigned.split_once('.') else {
        return false;
    };
    let negative_zero =
        printed.starts_with('-') && unsigned.bytes().all(|b| b == b'0' || b == b'.');
    !whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && (whole == "0" || !whole.starts_with('0'))
        && cents.len() == 2
        && cents.bytes().all(|b| b.is_ascii_digit())
        && !negative_zero
}
