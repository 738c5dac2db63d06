use chrono::TimeZone;

use super::*;
use crate::storage::stats::{HeldSpan, Opening, Sale};

fn shanghai_ms(year: i32, month: u32, day: u32, hour: u32) -> i64 {
    chrono_tz::Asia::Shanghai
        .with_ymd_and_hms(year, month, day, hour, 0, 0)
        .unwrap()
        .timestamp_millis()
}

fn money(text: &str) -> Money {
    Money::parse(text).unwrap()
}

#[test]
fn a_week_runs_from_monday_midnight_in_the_exchanges_zone() {
    // Wednesday 2 December 2026, 10:00 in Shanghai; Monday was 30 November.
    let now_ms = shanghai_ms(2026, 12, 2, 10);
    let (this_week, last_week) = this_and_last_week(now_ms, chrono_tz::Asia::Shanghai);
    assert_eq!(this_week.starts_at_ms, shanghai_ms(2026, 11, 30, 0));
    assert_eq!(this_week.ends_at_ms, shanghai_ms(2026, 12, 7, 0));
    assert_eq!(last_week.starts_at_ms, shanghai_ms(2026, 11, 23, 0));
    assert_eq!(last_week.ends_at_ms, this_week.starts_at_ms);
    // Monday 00:30 in Shanghai is Sunday 16:30 UTC: already the new week there.
    let (this_week, _) = this_and_last_week(
        shanghai_ms(2026, 11, 30, 0) + 1_800_000,
        chrono_tz::Asia::Shanghai,
    );
    assert_eq!(this_week.starts_at_ms, shanghai_ms(2026, 11, 30, 0));
    let (this_week, _) =
        this_and_last_week(shanghai_ms(2026, 11, 30, 0) - 1, chrono_tz::Asia::Shanghai);
    assert_eq!(this_week.starts_at_ms, shanghai_ms(2026, 11, 23, 0));
}

#[test]
fn a_week_across_a_daylight_saving_change_is_not_seven_times_24_hours() {
    let zone = chrono_tz::Europe::Berlin;
    // Clocks went forward on Sunday 29 March 2026: that week has 167 hours.
    let now_ms = zone
        .with_ymd_and_hms(2026, 3, 25, 12, 0, 0)
        .unwrap()
        .timestamp_millis();
    let (this_week, _) = this_and_last_week(now_ms, zone);
    assert_eq!(
        this_week.ends_at_ms - this_week.starts_at_ms,
        167 * 3_600_000
    );
}

#[test]
fn each_figure_counts_only_what_falls_in_its_week_per_currency() {
    let now_ms = shanghai_ms(2026, 12, 2, 10);
    let (this_week, last_week) = this_and_last_week(now_ms, chrono_tz::Asia::Shanghai);
    let monday = this_week.starts_at_ms;
    let sale =
        |currency: &str, sold_at_ms, price: &str, fee: &str, paid: Option<(i64, &str)>| Sale {
            currency: currency.to_owned(),
            sold_at_ms,
            price: money(price),
            fee: money(fee),
            amount_paid: money(paid.map_or("0", |(_, amount)| amount)),
            status: if paid.is_some() {
                SettlementStatus::Paid
            } else {
                SettlementStatus::Open
            },
            resolved_at_ms: paid.map(|(at_ms, _)| at_ms),
        };
    let held = |amount: &str, created_at_ms, resolved_at_ms| HeldSpan {
        currency: "CNY".to_owned(),
        amount: money(amount),
        created_at_ms,
        resolved_at_ms,
    };
    let records = StatsRecords {
        openings: vec![
            Opening {
                currency: "CNY".to_owned(),
                at_ms: monday - 1,
            },
            Opening {
                currency: "CNY".to_owned(),
                at_ms: monday,
            },
            Opening {
                currency: "USD".to_owned(),
                at_ms: monday + 5,
            },
        ],
        sales: vec![
            // Sold last week, paid this week.
            sale(
                "CNY",
                monday - 3_600_000,
                "5000.00",
                "50.00",
                Some((monday + 1, "4850.00")),
            ),
            sale("CNY", monday + 10, "1200.50", "12.01", None),
            sale("USD", monday + 20, "300.00", "3.00", None),
        ],
        deposits: vec![
            // Held over last week's end, released this week.
            held("200.00", monday - 7_200_000, Some(monday + 100)),
            // Still held.
            held("300.00", monday - 7_200_000, None),
            // Lodged and released within last week.
            held(
                "999.00",
                last_week.starts_at_ms + 1,
                Some(last_week.starts_at_ms + 2),
            ),
        ],
    };
    let last = week_figures(&records, last_week, now_ms);
    assert_eq!(
        last,
        vec![WeekFigures {
            currency: "CNY".to_owned(),
            lots_opened: 1,
            lots_sold: 1,
            turnover: money("5000.00"),
            fees: money("50.00"),
            deposits_held: money("500.00"),
            lots_settled: 0,
            settled: Money::ZERO,
        }]
    );
    let this = week_figures(&records, this_week, now_ms);
    assert_eq!(
        this,
        vec![
            WeekFigures {
                currency: "CNY".to_owned(),
                lots_opened: 1,
                lots_sold: 1,
                turnover: money("1200.50"),
                fees: money("12.01"),
                deposits_held: money("300.00"),
                lots_settled: 1,
                settled: money("4850.00"),
            },
            WeekFigures {
                currency: "USD".to_owned(),
                lots_opened: 1,
                lots_sold: 1,
                turnover: money("300.00"),
                fees: money("3.00"),
                deposits_held: Money::ZERO,
                lots_settled: 0,
                settled: Money::ZERO,
            },
        ]
    );
}

#[test]
fn an_empty_week_still_shows_the_default_currency() {
    let (this_week, _) = this_and_last_week(0, chrono_tz::Asia::Shanghai);
    assert_eq!(
        week_figures(&StatsRecords::default(), this_week, 0),
        vec![WeekFigures::empty(DEFAULT_CURRENCY)]
    );
}
