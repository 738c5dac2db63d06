//! Suspensions (停用, SPEC §11): an admin suspends an account for a number of days with a
//! reason, and lifts a suspension with a reason; both are recorded, and the history is read
//! by admins and supervisors.
//!
//! While suspended, the account's bids are refused `not_eligible` with reason `suspended`,
//! in live rooms at once (each live room the account applied for takes its new roster
//! entry, on this node or through the cluster to the room's owner), and it may not apply
//! for lots (403 `suspended`). The suspension ends by itself when its days are over: a
//! room compares the end with its own clock, and nothing needs to run at that time.
//! Suspending an account that is suspended already replaces the end with the new one.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::domain::AccountId;
use crate::storage::accounts::{SuspendedAccount, SuspensionChange, SuspensionRecord};
use crate::text::TextKind;
use crate::time_format::{self, Rfc3339};

use super::accounts::{AccountJson, not_found_as, parse_id};
use super::openapi::{ACCOUNTS, ErrorBody};
use super::{Admin, ApiError, Json, required_text};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(suspend))
        .routes(routes!(lift))
        .routes(routes!(history))
        .routes(routes!(suspended))
}

/// The longest suspension, in days (ten years).
const MAX_DAYS: u32 = 3_650;
const REASON_CHARS: usize = 500;
const DAY_MS: i64 = 24 * 60 * 60 * 1000;

#[derive(Debug, Deserialize, ToSchema)]
struct Suspension {
    /// 1 to 3650 days.
    #[schema(minimum = 1, maximum = 3650, example = 30)]
    days: u32,
    /// 1 to 500 characters after trimming.
    #[schema(min_length = 1, max_length = 500, example = "deposit defaulted twice")]
    reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
struct Lift {
    /// 1 to 500 characters after trimming.
    #[schema(min_length = 1, max_length = 500, example = "suspended by mistake")]
    reason: String,
}

/// One suspension or lift, as the history shows it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SuspensionRecord)]
struct SuspensionJson {
    id: i64,
    account_id: i64,
    /// `suspend` or `lift`.
    #[schema(value_type = String, example = "suspend")]
    action: &'static str,
    /// A suspension's days.
    #[serde(skip_serializing_if = "Option::is_none")]
    days: Option<u32>,
    /// When a suspension ends by itself.
    #[serde(
        with = "time_format::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Rfc3339>)]
    until: Option<i64>,
    reason: String,
    /// The admin who made the change.
    by_account_id: i64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    at: i64,
}

impl From<SuspensionRecord> for SuspensionJson {
    fn from(record: SuspensionRecord) -> SuspensionJson {
        let (action, days, until) = match record.change {
            SuspensionChange::Suspend { days, until_ms } => ("suspend", Some(days), Some(until_ms)),
            SuspensionChange::Lift => ("lift", None, None),
        };
        SuspensionJson {
            id: record.id,
            account_id: record.account_id,
            action,
            days,
            until,
            reason: record.reason,
            by_account_id: record.by_account_id,
            at: record.at_ms,
        }
    }
}

/// A suspended account with its suspension's reason.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SuspendedAccount)]
struct SuspendedJson {
    #[serde(flatten)]
    account: AccountJson,
    reason: String,
}

impl From<SuspendedAccount> for SuspendedJson {
    fn from(suspended: SuspendedAccount) -> SuspendedJson {
        SuspendedJson {
            account: AccountJson::public(suspended.account),
            reason: suspended.reason,
        }
    }
}

/// The reason as it is kept: trimmed, 1 to 500 characters, no control character but newline
/// and tab.
fn checked_reason(reason: &str) -> Result<String, ApiError> {
    required_text("reason", reason, TextKind::Long, REASON_CHARS)
}

/// Suspends (停用) an account for `days` days from now, with a reason.
#[utoipa::path(
    post,
    path = "/accounts/{id}/suspension",
    operation_id = "suspend_account",
    tag = ACCOUNTS,
    security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The account's id")),
    request_body = Suspension,
    responses(
        (status = 201, description = "The suspension, recorded", body = SuspensionJson),
        (status = 400, description = "`invalid_input`: days not 1 to 3650, or a bad reason", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such account", body = ErrorBody),
    )
)]
async fn suspend(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
    Json(request): Json<Suspension>,
) -> Result<(StatusCode, Json<SuspensionJson>), ApiError> {
    let id = parse_id(&id, "account")?;
    if !(1..=MAX_DAYS).contains(&request.days) {
        return Err(ApiError::invalid(format!("days must be 1 to {MAX_DAYS}")));
    }
    let reason = checked_reason(&request.reason)?;
    let now_ms = state.clock.now_ms();
    let change = SuspensionChange::Suspend {
        days: request.days,
        until_ms: now_ms + i64::from(request.days) * DAY_MS,
    };
    let record = state
        .store
        .change_suspension(id, &change, &reason, admin.id, now_ms)
        .await
        .map_err(|error| not_found_as(error, "account"))?;
    standing_changed(&state, id).await?;
    Ok((StatusCode::CREATED, Json(record.into())))
}

/// Lifts an account's suspension in force, with a reason.
#[utoipa::path(
    post,
    path = "/accounts/{id}/suspension/lift",
    operation_id = "lift_suspension",
    tag = ACCOUNTS,
    security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The account's id")),
    request_body = Lift,
    responses(
        (status = 200, description = "The lift, recorded", body = SuspensionJson),
        (status = 400, description = "`invalid_input`: a bad reason", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such account", body = ErrorBody),
        (status = 409, description = "`not_suspended`: no suspension in force", body = ErrorBody),
    )
)]
async fn lift(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(id): Path<String>,
    Json(request): Json<Lift>,
) -> Result<Json<SuspensionJson>, ApiError> {
    let id = parse_id(&id, "account")?;
    let reason = checked_reason(&request.reason)?;
    let record = state
        .store
        .change_suspension(
            id,
            &SuspensionChange::Lift,
            &reason,
            admin.id,
            state.clock.now_ms(),
        )
        .await
        .map_err(|error| not_found_as(error, "account"))?;
    standing_changed(&state, id).await?;
    Ok(Json(record.into()))
}

/// Every live room the account applied for takes its new standing before its next command
/// (here, or through the cluster at the room's owner).
async fn standing_changed(state: &AppState, account: AccountId) -> Result<(), ApiError> {
    for lot in state.store.live_lots().await? {
        state.rooms.roster_changed(lot.id, account).await?;
    }
    Ok(())
}

/// An account's suspensions and lifts, oldest first (admins and supervisors).
#[utoipa::path(
    get,
    path = "/accounts/{id}/suspensions",
    operation_id = "list_account_suspensions",
    tag = ACCOUNTS,
    security(("bearer" = ["admin", "supervisor"])),
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The history", body = Vec<SuspensionJson>),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin or a supervisor", body = ErrorBody),
        (status = 404, description = "`not_found`: no such account", body = ErrorBody),
    )
)]
async fn history(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<Vec<SuspensionJson>>, ApiError> {
    let id = parse_id(&id, "account")?;
    if state.store.account_details(id).await?.is_none() {
        return Err(ApiError::not_found("account"));
    }
    let records = state.store.suspension_history(id).await?;
    Ok(Json(
        records.into_iter().map(SuspensionJson::from).collect(),
    ))
}

/// The accounts suspended now, the soonest to end first (admins and supervisors).
#[utoipa::path(
    get,
    path = "/accounts/suspended",
    operation_id = "list_suspended_accounts",
    tag = ACCOUNTS,
    security(("bearer" = ["admin", "supervisor"])),
    responses(
        (status = 200, description = "The suspended accounts", body = Vec<SuspendedJson>),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin or a supervisor", body = ErrorBody),
    )
)]
async fn suspended(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<Vec<SuspendedJson>>, ApiError> {
    let accounts = state.store.suspended_accounts(state.clock.now_ms()).await?;
    Ok(Json(
        accounts.into_iter().map(SuspendedJson::from).collect(),
    ))
}
