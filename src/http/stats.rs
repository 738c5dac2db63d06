//! `GET /stats/weekly` (SPEC §11): this week and last week side by side, for an admin
//! (every lot) or an auctioneer (its own lots); everyone else 403.
//!
//! Choices where SPEC is silent (what each figure counts is in `crate::stats`):
//! - weeks are the exchange's (`--time-zone`, `Asia/Shanghai` unless given), Monday 00:00
//!   to Monday 00:00; `monday` is that Monday's local date, `starts_at`/`ends_at` the
//!   instants in UTC;
//! - figures come per currency, never summed across currencies; `CNY` is always listed;
//! - CSV with `?format=csv`, or `Accept: text/csv` without a `format`: one line per week
//!   and currency, this week first, money as decimal strings, as an attachment named
//!   `weekly-stats-MONDAY.csv`.

use axum::extract::{Query, State};
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::domain::Role;
use crate::money::Money;
use crate::stats::{Week, WeekFigures, this_and_last_week, week_figures};
use crate::storage::stats::StatsScope;
use crate::time_format::{self, Rfc3339};

use super::openapi::{ErrorBody, STATISTICS};
use super::{ApiError, Auctioneer, Json};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(weekly))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WeeklyQuery {
    /// `json` (the default) or `csv`; without it, `Accept: text/csv` asks for CSV.
    #[param(value_type = Option<String>, example = "csv")]
    format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WeeklyStats)]
struct WeeklyJson {
    /// The exchange's time zone, whose weeks these are.
    #[schema(example = "Asia/Shanghai")]
    time_zone: String,
    /// `exchange` (an admin: every lot) or `auctioneer` (the caller's own lots).
    #[schema(example = "exchange")]
    scope: &'static str,
    this_week: WeekJson,
    last_week: WeekJson,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = StatsWeek)]
struct WeekJson {
    /// The week's Monday, as a local date.
    #[schema(example = "2026-11-30")]
    monday: String,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    starts_at: i64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    ends_at: i64,
    /// One entry per currency, in code order; `CNY` always.
    currencies: Vec<FiguresJson>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = StatsFigures)]
struct FiguresJson {
    #[schema(example = "CNY")]
    currency: String,
    /// Lots whose room first opened in the week.
    lots_opened: u64,
    /// Lots closed with a winner in the week.
    lots_sold: u64,
    /// The hammer prices of the lots sold.
    turnover: Money,
    /// The service fees of the lots sold (price × `fee_rate`).
    fees: Money,
    /// Cash deposits held at the week's end (this week: now).
    deposits_held: Money,
    /// Settlements paid in the week.
    lots_settled: u64,
    /// What the winners paid to settle in the week.
    settled: Money,
}

impl From<WeekFigures> for FiguresJson {
    fn from(figures: WeekFigures) -> FiguresJson {
        FiguresJson {
            currency: figures.currency,
            lots_opened: figures.lots_opened,
            lots_sold: figures.lots_sold,
            turnover: figures.turnover,
            fees: figures.fees,
            deposits_held: figures.deposits_held,
            lots_settled: figures.lots_settled,
            settled: figures.settled,
        }
    }
}

/// The weekly statistics, as JSON or CSV.
#[utoipa::path(
    get,
    path = "/stats/weekly",
    operation_id = "weekly_stats",
    tag = STATISTICS,
    security(("bearer" = ["admin", "auctioneer"])),
    params(WeeklyQuery),
    responses(
        (status = 200, description = "This week and last week; CSV (`text/csv`) with `?format=csv` or `Accept: text/csv`",
            content(
                (WeeklyJson = "application/json"),
                (String = "text/csv", example = "week,monday,starts_at,ends_at,currency,lots_opened,lots_sold,turnover,fees,deposits_held,lots_settled,settled\nthis,2026-11-30,2026-11-29T16:00:00Z,2026-12-06T16:00:00Z,CNY,3,1,5000.00,50.00,400.00,1,4850.00\n"),
            )),
        (status = 400, description = "`invalid_input`: a `format` other than json or csv", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: neither an admin nor an auctioneer", body = ErrorBody),
    )
)]
async fn weekly(
    State(state): State<AppState>,
    Auctioneer(caller): Auctioneer,
    Query(query): Query<WeeklyQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let as_csv = match query.format.as_deref() {
        Some("csv") => true,
        Some("json") => false,
        Some(_) => return Err(ApiError::invalid("format is json or csv")),
        None => accepts_csv(&headers),
    };
    let (scope, scope_name) = match caller.role {
        Role::Admin => (StatsScope::Exchange, "exchange"),
        _ => (StatsScope::Auctioneer(caller.id), "auctioneer"),
    };
    let zone = state.config.time_zone;
    let now_ms = state.clock.now_ms();
    let (this_week, last_week) = this_and_last_week(now_ms, zone);
    let records = state
        .store
        .stats_records(scope, last_week.starts_at_ms, this_week.ends_at_ms)
        .await?;
    let week = |week: Week| WeekJson {
        monday: local_date(week.starts_at_ms, zone),
        starts_at: week.starts_at_ms,
        ends_at: week.ends_at_ms,
        currencies: week_figures(&records, week, now_ms)
            .into_iter()
            .map(FiguresJson::from)
            .collect(),
    };
    let stats = WeeklyJson {
        time_zone: zone.name().to_owned(),
        scope: scope_name,
        this_week: week(this_week),
        last_week: week(last_week),
    };
    if as_csv {
        csv_response(&stats)
    } else {
        Ok(Json(stats).into_response())
    }
}

/// Whether `Accept` names `text/csv` (and not JSON before it).
fn accepts_csv(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(ACCEPT).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let csv = accept.find("text/csv");
    let json = accept.find("application/json");
    match (csv, json) {
        (Some(csv), Some(json)) => csv < json,
        (Some(_), None) => true,
        _ => false,
    }
}

fn local_date(at_ms: i64, zone: chrono_tz::Tz) -> String {
    DateTime::from_timestamp_millis(at_ms)
        .expect("a week starts at a representable time")
        .with_timezone(&zone)
        .format("%Y-%m-%d")
        .to_string()
}

const CSV_HEADER: [&str; 12] = [
    "week",
    "monday",
    "starts_at",
    "ends_at",
    "currency",
    "lots_opened",
    "lots_sold",
    "turnover",
    "fees",
    "deposits_held",
    "lots_settled",
    "settled",
];

fn csv_response(stats: &WeeklyJson) -> Result<Response, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(CSV_HEADER)
        .map_err(ApiError::internal)?;
    for (name, week) in [("this", &stats.this_week), ("last", &stats.last_week)] {
        for figures in &week.currencies {
            writer
                .write_record([
                    name.to_owned(),
                    week.monday.clone(),
                    time_format::to_rfc3339(week.starts_at),
                    time_format::to_rfc3339(week.ends_at),
                    figures.currency.clone(),
                    figures.lots_opened.to_string(),
                    figures.lots_sold.to_string(),
                    figures.turnover.to_string(),
                    figures.fees.to_string(),
                    figures.deposits_held.to_string(),
                    figures.lots_settled.to_string(),
                    figures.settled.to_string(),
                ])
                .map_err(ApiError::internal)?;
        }
    }
    let body = writer
        .into_inner()
        .map_err(|error| ApiError::internal(anyhow::anyhow!("{error}")))?;
    let disposition = format!(
        "attachment; filename=\"weekly-stats-{}.csv\"",
        stats.this_week.monday
    );
    let disposition = HeaderValue::from_str(&disposition).map_err(ApiError::internal)?;
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}
