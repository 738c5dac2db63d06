//! REST request bodies through the readers and checks their routes run before touching the
//! database (`bidroom::fuzzing::check_rest_body`).
//!
//! The input's first line names the body (`create_lot`, `sign_up`, … as
//! `bidroom::fuzzing::Body::name` spells them); the rest is the body. Rules checked: no
//! body panics; a refused body is a 400; an accepted one keeps only text SPEC §8 allows
//! (trimmed, no control character, but newline and tab in long texts), only amounts above
//! zero with two decimals below 10^15, and a lot's terms in their order (applications and
//! deposits close at or before the start, the start before the end, the settlement after
//! it, a window of 1 s to a day, a fee rate in [0, 1)).

use bidroom::domain::DepositTerms;
use bidroom::fuzzing::{Body, check_rest_body};
use bidroom::money::Money;
use bidroom::storage::lots::NewLot;
use bidroom::text::TextKind;
use bidroom::time_format;
use rust_decimal::Decimal;

pub fn run(data: &[u8]) {
    let Some(newline) = data.iter().position(|&byte| byte == b'\n') else {
        return;
    };
    let Some(body) = std::str::from_utf8(&data[..newline])
        .ok()
        .and_then(Body::from_name)
    else {
        return;
    };
    let bytes = &data[newline + 1..];
    let accepted = match check_rest_body(body, bytes) {
        Ok(accepted) => accepted,
        Err(error) => {
            assert_eq!(
                error.status().as_u16(),
                400,
                "{body:?}: a body alone is refused with {} {}",
                error.status(),
                error.code()
            );
            return;
        }
    };
    for (field, text, kind) in &accepted.texts {
        assert_eq!(text.trim(), text, "{body:?}: {field} is kept untrimmed");
        let forbidden = text.chars().find(|&character| {
            character.is_control() && !(*kind == TextKind::Long && matches!(character, '\n' | '\t'))
        });
        assert_eq!(forbidden, None, "{body:?}: {field} keeps {forbidden:?}");
    }
    for amount in &accepted.amounts {
        check_amount(body, *amount);
    }
    if let Some(lot) = &accepted.lot {
        check_lot(lot);
    }
}

fn check_amount(body: Body, amount: Money) {
    assert!(
        amount > Money::ZERO,
        "{body:?}: an amount of {amount} is kept"
    );
    assert_eq!(
        amount.decimal().scale(),
        2,
        "{body:?}: {amount} keeps another scale"
    );
    assert!(
        amount.decimal() < Decimal::from(1_000_000_000_000_000_i64),
        "{body:?}: {amount} is over the limit"
    );
}

fn check_lot(lot: &NewLot) {
    let title_chars = lot.title.chars().count();
    assert!(
        (1..=200).contains(&title_chars),
        "a title of {title_chars} characters"
    );
    assert!(lot.description.chars().count() <= 20_000);
    assert!(lot.currency.len() == 3 && lot.currency.bytes().all(|b| b.is_ascii_uppercase()));
    assert!(lot.applications_close_at_ms <= lot.starts_at_ms);
    assert!(lot.deposit_deadline_ms <= lot.starts_at_ms);
    assert!(lot.starts_at_ms < lot.ends_at_ms);
    assert!(
        lot.settlement_due_at_ms
            .is_none_or(|due| due > lot.ends_at_ms)
    );
    assert!((1..=86_400).contains(&lot.extension_window_secs));
    assert!(lot.fee_rate >= Decimal::ZERO && lot.fee_rate < Decimal::ONE);
    assert!(lot.fee_rate.scale() <= 6, "a fee rate of {}", lot.fee_rate);
    match lot.deposit {
        DepositTerms::Fixed(amount) => check_amount(Body::CreateLot, amount),
        DepositTerms::Range { min, max } => {
            check_amount(Body::CreateLot, min);
            check_amount(Body::CreateLot, max);
            assert!(min <= max, "a deposit range from {min} to {max}");
        }
    }
    // Every time the lot keeps is one the API can write back and read again.
    let times = [
        lot.applications_close_at_ms,
        lot.deposit_deadline_ms,
        lot.starts_at_ms,
        lot.ends_at_ms,
    ];
    for ms in times.into_iter().chain(lot.settlement_due_at_ms) {
        let written = time_format::to_rfc3339(ms);
        assert_eq!(
            time_format::parse_rfc3339(&written),
            Some(ms),
            "{ms} ms is written as {written:?}"
        );
    }
}
