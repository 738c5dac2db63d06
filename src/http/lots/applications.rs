//! Applications (报名): a verified bidder applies; the lot's auctioneer approves, giving a
//! bidder number (竞买号) and perhaps a priority right, or rejects.
//!
//! Choices where SPEC is silent:
//! - only `bidder` accounts apply (403 for staff), and only while the lot is `published`
//!   or `open` and before `applications_close_at` (409 `applications_closed`);
//! - only a `pending` application can be approved or rejected (409 `not_pending`), and not
//!   once the lot has closed or been cancelled (409 `lot_ended`);
//! - the body of an approval may be empty; a rejection needs a `reason`;
//! - `GET /applications/{id}` shows an application to its bidder, the lot's auctioneer and
//!   admins.

use crate::app::AppState;
use crate::text::{TextKind, forbidden_character_message, has_forbidden_character};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auction::LotState;
use crate::storage::lots::{Application, ApplicationListing};
use crate::storage::{Account, Lot};
use crate::time_format::{self, Rfc3339};

use super::super::accounts::{not_found_as, parse_id};
use super::super::openapi::{APPLICATIONS, ErrorBody};
use super::{ApiError, Auctioneer, Bidder, Body, Caller, Json, run_lot, runs_lot, visible_lot};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(apply, list))
        .routes(routes!(show))
        .routes(routes!(approve))
        .routes(routes!(reject))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Application)]
pub(in crate::http) struct ApplicationJson {
    id: i64,
    lot_id: i64,
    account_id: i64,
    /// `pending`, `approved` or `rejected`.
    #[schema(value_type = String, example = "approved")]
    status: &'static str,
    /// `none` or `lodged`.
    #[schema(value_type = String, example = "lodged")]
    deposit_status: &'static str,
    /// A priority right (优先购买权) holder's rank, 1 first.
    priority_rank: Option<u32>,
    /// The bidder number (竞买号), once approved.
    #[schema(example = "A017")]
    bidder_number: Option<String>,
    reject_reason: Option<String>,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    created_at: i64,
    #[serde(with = "time_format::rfc3339::option")]
    #[schema(value_type = Option<Rfc3339>)]
    decided_at: Option<i64>,
}

impl From<Application> for ApplicationJson {
    fn from(application: Application) -> ApplicationJson {
        ApplicationJson {
            id: application.id,
            lot_id: application.lot_id,
            account_id: application.account_id,
            status: application.status.as_str(),
            deposit_status: application.deposit_status.as_str(),
            priority_rank: application.priority_rank,
            bidder_number: application.bidder_number,
            reject_reason: application.reject_reason,
            created_at: application.created_at_ms,
            decided_at: application.decided_at_ms,
        }
    }
}

/// An application with who made it, for whoever runs the lot.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApplicationListing)]
struct ApplicationListingJson {
    #[serde(flatten)]
    application: ApplicationJson,
    username: String,
    display_name: String,
    verified: bool,
}

impl From<ApplicationListing> for ApplicationListingJson {
    fn from(listing: ApplicationListing) -> ApplicationListingJson {
        ApplicationListingJson {
            application: listing.application.into(),
            username: listing.username,
            display_name: listing.display_name,
            verified: listing.verified,
        }
    }
}

/// Applies (报名) for a lot, as a verified bidder, before `applications_close_at`.
#[utoipa::path(
    post,
    path = "/lots/{id}/applications",
    operation_id = "apply_for_lot",
    tag = APPLICATIONS,
    security(("bearer" = ["bidder"])),
    params(("id" = i64, Path, description = "The lot's id")),
    responses(
        (status = 201, description = "The application, `pending`", body = ApplicationJson),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a bidder account; `suspended`: the account is suspended (停用); `not_verified`: no real-name verification yet", body = ErrorBody),
        (status = 404, description = "`not_found`: no such lot", body = ErrorBody),
        (status = 409, description = "`applications_closed`; `already_applied`", body = ErrorBody),
    )
)]
async fn apply(
    State(state): State<AppState>,
    Bidder(caller): Bidder,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ApplicationJson>), ApiError> {
    let lot = visible_lot(&state, Some(&caller), &id).await?;
    may_apply(&caller, state.clock.now_ms())?;
    let live_state = state.rooms.lot_view(&lot).await?.state;
    let now_ms = state.clock.now_ms();
    let accepting = matches!(live_state, LotState::Published | LotState::Open)
        && now_ms < lot.applications_close_at_ms;
    if !accepting {
        return Err(ApiError::conflict(
            "applications_closed",
            "the lot is not taking applications",
        ));
    }
    let application = state
        .store
        .create_application(lot.id, caller.id, now_ms)
        .await?;
    // The room answers this bidder's bids with `not_approved` from now on.
    state.rooms.roster_changed(lot.id, caller.id).await?;
    Ok((StatusCode::CREATED, Json(application.into())))
}

/// A bidder applies once real-name verified (实名认证).
fn may_apply(caller: &Account, now_ms: i64) -> Result<(), ApiError> {
    if caller.is_suspended(now_ms) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "suspended",
            "this account is suspended (停用): it may not apply for lots until the suspension \
             ends",
        ));
    }
    if !caller.verified {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "not_verified",
            "real-name verification (实名认证) is required before applying: ask the exchange \
             to verify your identity",
        ));
    }
    Ok(())
}

/// The lot's applications with who made them, for its auctioneer and admins.
#[utoipa::path(
    get,
    path = "/lots/{id}/applications",
    operation_id = "list_lot_applications",
    tag = APPLICATIONS,
    security(("bearer" = ["auctioneer", "admin"])),
    params(("id" = i64, Path, description = "The lot's id")),
    responses(
        (status = 200, description = "The applications", body = Vec<ApplicationListingJson>),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the lot's auctioneer nor an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such lot", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    Auctioneer(caller): Auctioneer,
    Path(id): Path<String>,
) -> Result<Json<Vec<ApplicationListingJson>>, ApiError> {
    let lot = run_lot(&state, &caller, &id).await?;
    let listings = state.store.lot_applications(lot.id).await?;
    Ok(Json(listings.into_iter().map(Into::into).collect()))
}

/// The application and its lot.
async fn application_and_lot(state: &AppState, id: &str) -> Result<(Application, Lot), ApiError> {
    let id = parse_id(id, "application")?;
    let application = state
        .store
        .get_application(id)
        .await?
        .ok_or_else(|| ApiError::not_found("application"))?;
    let lot = state
        .store
        .get_lot(application.lot_id)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application {id} has no lot")))?;
    Ok((application, lot))
}

/// An application, to its bidder, the lot's auctioneer and admins.
#[utoipa::path(
    get,
    path = "/applications/{id}",
    operation_id = "get_application",
    tag = APPLICATIONS,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The application's id")),
    responses(
        (status = 200, description = "The application", body = ApplicationJson),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such application", body = ErrorBody),
    )
)]
async fn show(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<ApplicationJson>, ApiError> {
    let (application, lot) = application_and_lot(&state, &id).await?;
    if application.account_id != caller.id && !runs_lot(Some(&caller), &lot) {
        return Err(ApiError::forbidden(
            "only the applicant, the lot's auctioneer or an admin may see an application",
        ));
    }
    Ok(Json(application.into()))
}

/// The application, which the caller must decide on as whoever runs its lot, while the lot
/// has not ended.
async fn decidable(
    state: &AppState,
    caller: &Account,
    id: &str,
) -> Result<(Application, Lot), ApiError> {
    let (application, lot) = application_and_lot(state, id).await?;
    if !runs_lot(Some(caller), &lot) {
        return Err(ApiError::forbidden(
            "only the lot's auctioneer or an admin may decide on applications",
        ));
    }
    if state.rooms.lot_view(&lot).await?.state.is_final() {
        return Err(ApiError::conflict("lot_ended", "the lot has ended"));
    }
    Ok((application, lot))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct Approval {
    /// A priority right's rank, from 1.
    #[schema(minimum = 1, example = 1)]
    priority_rank: Option<i64>,
}

/// Approves a pending application, drawing its bidder number; the body may be left out.
#[utoipa::path(
    post,
    path = "/applications/{id}/approve",
    operation_id = "approve_application",
    tag = APPLICATIONS,
    security(("bearer" = ["auctioneer", "admin"])),
    params(("id" = i64, Path, description = "The application's id")),
    request_body(content = Option<Approval>, description = "Optional: `{}`, `null` or no body approve without a priority right"),
    responses(
        (status = 200, description = "The approved application, with its bidder number", body = ApplicationJson),
        (status = 400, description = "`invalid_input`: a bad priority rank or an unknown field", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the lot's auctioneer nor an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such application", body = ErrorBody),
        (status = 409, description = "`not_pending`: already decided; `lot_ended`", body = ErrorBody),
    )
)]
async fn approve(
    State(state): State<AppState>,
    Auctioneer(caller): Auctioneer,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Json<ApplicationJson>, ApiError> {
    let approval: Approval = optional_json(&body)?;
    let priority_rank = approval
        .priority_rank
        .map(|rank| {
            u32::try_from(rank)
                .ok()
                .filter(|rank| *rank >= 1)
                .ok_or_else(|| ApiError::invalid("priority_rank is a whole number from 1 up"))
        })
        .transpose()?;
    let (application, _) = decidable(&state, &caller, &id).await?;
    let approved = state
        .store
        .approve_application(application.id, priority_rank, state.clock.now_ms())
        .await
        .map_err(|error| not_found_as(error, "application"))?;
    state
        .rooms
        .roster_changed(approved.lot_id, approved.account_id)
        .await?;
    Ok(Json(approved.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ApplicationRejection)]
pub(in crate::http) struct Rejection {
    /// 1 to 500 characters after trimming.
    #[schema(
        min_length = 1,
        max_length = 500,
        example = "the identity documents do not match"
    )]
    reason: String,
}

const REASON_CHARS: usize = 500;

impl Rejection {
    /// The reason as it is kept: trimmed, 1 to 500 characters, no control character but
    /// newline and tab.
    pub(in crate::http) fn checked_reason(&self) -> Result<&str, ApiError> {
        let reason = self.reason.trim();
        if reason.is_empty() || reason.chars().count() > REASON_CHARS {
            return Err(ApiError::invalid(format!(
                "reason must be 1 to {REASON_CHARS} characters"
            )));
        }
        if has_forbidden_character(reason, TextKind::Long) {
            return Err(ApiError::invalid(forbidden_character_message(
                "reason",
                TextKind::Long,
            )));
        }
        Ok(reason)
    }
}

/// Rejects a pending application, with a reason.
#[utoipa::path(
    post,
    path = "/applications/{id}/reject",
    operation_id = "reject_application",
    tag = APPLICATIONS,
    security(("bearer" = ["auctioneer", "admin"])),
    params(("id" = i64, Path, description = "The application's id")),
    request_body = Rejection,
    responses(
        (status = 200, description = "The rejected application", body = ApplicationJson),
        (status = 400, description = "`invalid_input`: no reason, or one too long", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the lot's auctioneer nor an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such application", body = ErrorBody),
        (status = 409, description = "`not_pending`: already decided; `lot_ended`", body = ErrorBody),
    )
)]
async fn reject(
    State(state): State<AppState>,
    Auctioneer(caller): Auctioneer,
    Path(id): Path<String>,
    Json(request): Json<Rejection>,
) -> Result<Json<ApplicationJson>, ApiError> {
    let reason = request.checked_reason()?;
    let (application, _) = decidable(&state, &caller, &id).await?;
    let rejected = state
        .store
        .reject_application(application.id, reason, state.clock.now_ms())
        .await
        .map_err(|error| not_found_as(error, "application"))?;
    state
        .rooms
        .roster_changed(rejected.lot_id, rejected.account_id)
        .await?;
    Ok(Json(rejected.into()))
}

/// A JSON body that may be left out (empty, or `null`): then the defaults.
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let value: Option<T> = serde_json::from_slice(body)
        .map_err(|error| ApiError::invalid(format!("invalid JSON body: {error}")))?;
    Ok(value.unwrap_or_default())
}
