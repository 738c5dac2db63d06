//! The weekly statistics (SPEC §11): this week and last week side by side, counted from
//! the records `crate::storage::stats` reads. Pure: handed the time and the time zone.
//!
//! A week runs from Monday 00:00 to the next Monday 00:00 in the exchange's time zone
//! (`--time-zone`, `Asia/Shanghai` unless given). What each figure counts, per currency
//! (amounts in different currencies are never added together):
//! - `lots_opened`: lots whose room first opened in the week (a resume after a pause is
//!   not an opening);
//! - `lots_sold`: lots sold in the week: closed with a winner, their settlement opened at
//!   the close;
//! - `turnover`: the hammer prices of those lots;
//! - `fees`: the service fees of those lots (price × the lot's `fee_rate`, as their
//!   settlements record them and the `fees` ledger account books them at the close);
//! - `deposits_held`: cash deposits held at the week's end (for this week: now), released,
//!   applied or forfeited ones not; accepted guarantees hold no money and are not counted;
//! - `lots_settled` and `settled`: settlements paid in the week, and what the winners paid
//!   (the balance of price and fee after the deposit applied).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, TimeZone};
use chrono_tz::Tz;

use crate::money::Money;
use crate::storage::money::SettlementStatus;
use crate::storage::stats::StatsRecords;

/// The currency every table shows, even with nothing in it.
pub const DEFAULT_CURRENCY: &str = "CNY";

/// A week: `starts_at_ms..ends_at_ms`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Week {
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
}

impl Week {
    fn contains(self, at_ms: i64) -> bool {
        (self.starts_at_ms..self.ends_at_ms).contains(&at_ms)
    }
}

/// The week holding `now_ms` in `zone`, and the week before it.
pub fn this_and_last_week(now_ms: i64, zone: Tz) -> (Week, Week) {
    let now = DateTime::from_timestamp_millis(now_ms)
        .expect("the clock reads a representable time")
        .with_timezone(&zone);
    let monday = now.date_naive() - Days::new(u64::from(now.weekday().num_days_from_monday()));
    let this_week_starts = local_midnight(monday, zone);
    let next_monday = local_midnight(monday + Days::new(7), zone);
    let last_monday = local_midnight(monday - Days::new(7), zone);
    (
        Week {
            starts_at_ms: this_week_starts,
            ends_at_ms: next_monday,
        },
        Week {
            starts_at_ms: last_monday,
            ends_at_ms: this_week_starts,
        },
    )
}

/// The first instant of `date` in `zone`: midnight, or where a daylight-saving change
/// skips midnight, the first hour after the gap.
fn local_midnight(date: NaiveDate, zone: Tz) -> i64 {
    let mut time = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    loop {
        match zone.from_local_datetime(&time) {
            LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => {
                return at.timestamp_millis();
            }
            LocalResult::None => time += chrono::Duration::minutes(30),
        }
    }
}

/// One currency's figures for one week.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeekFigures {
    pub currency: String,
    pub lots_opened: u64,
    pub lots_sold: u64,
    pub turnover: Money,
    pub fees: Money,
    pub deposits_held: Money,
    pub lots_settled: u64,
    pub settled: Money,
}

impl WeekFigures {
    fn empty(currency: &str) -> WeekFigures {
        WeekFigures {
            currency: currency.to_owned(),
            lots_opened: 0,
            lots_sold: 0,
            turnover: Money::ZERO,
            fees: Money::ZERO,
            deposits_held: Money::ZERO,
            lots_settled: 0,
            settled: Money::ZERO,
        }
    }
}

/// The week's figures, one row per currency in code order, [`DEFAULT_CURRENCY`] always
/// among them. `records` may hold more than the week: what is outside it is not counted.
pub fn week_figures(records: &StatsRecords, week: Week, now_ms: i64) -> Vec<WeekFigures> {
    let mut rows: BTreeMap<String, WeekFigures> = BTreeMap::new();
    row(&mut rows, DEFAULT_CURRENCY);
    for opening in records
        .openings
        .iter()
        .filter(|opening| week.contains(opening.at_ms))
    {
        row(&mut rows, &opening.currency).lots_opened += 1;
    }
    for sale in &records.sales {
        if week.contains(sale.sold_at_ms) {
            let figures = row(&mut rows, &sale.currency);
            figures.lots_sold += 1;
            figures.turnover = figures.turnover + sale.price;
            figures.fees = figures.fees + sale.fee;
        }
        let paid_in_week = sale.status == SettlementStatus::Paid
            && sale
                .resolved_at_ms
                .is_some_and(|at_ms| week.contains(at_ms));
        if paid_in_week {
            let figures = row(&mut rows, &sale.currency);
            figures.lots_settled += 1;
            figures.settled = figures.settled + sale.amount_paid;
        }
    }
    let held_at_ms = week.ends_at_ms.min(now_ms);
    for deposit in &records.deposits {
        let held = deposit.created_at_ms < held_at_ms
            && deposit
                .resolved_at_ms
                .is_none_or(|resolved_at_ms| resolved_at_ms >= held_at_ms);
        if held {
            let figures = row(&mut rows, &deposit.currency);
            figures.deposits_held = figures.deposits_held + deposit.amount;
        }
    }
    rows.into_values().collect()
}

/// The currency's row, made empty when it has none yet.
fn row<'a>(rows: &'a mut BTreeMap<String, WeekFigures>, currency: &str) -> &'a mut WeekFigures {
    rows.entry(currency.to_owned())
        .or_insert_with(|| WeekFigures::empty(currency))
}

#[cfg(test)]
mod tests;
