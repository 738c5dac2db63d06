//! Electronic guarantees (电子保函): `POST /applications/{id}/guarantee` (the bidder),
//! `POST /guarantees/{id}/accept` and `/reject` (admin), `GET /guarantees/{id}` (the
//! bidder, admins) and `GET /guarantees?status=&lot_id=&before=&limit=` (admins: the queue
//! of guarantees to decide, newest first).

use crate::text::TextKind;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::money::Money;
use crate::storage::money::{
    Guarantee, GuaranteeDecision, GuaranteeFilter, GuaranteeStatus, NewGuarantee,
};
use crate::time_format::{self, Rfc3339};

use super::super::openapi::{ErrorBody, MONEY};
use super::super::{Admin, ApiError, Bidder, Caller, Json, required_text};
use super::wallet::page_limit;
use super::{deposits::refused, not_found_as, path_id};
use crate::http::paging::positive;

/// The longest issuer name (a bank's or insurer's full name) and guarantee number.
const MAX_ISSUER_CHARS: usize = 200;
const MAX_NUMBER_CHARS: usize = 100;
const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(in crate::http) struct GuaranteeRequest {
    /// The issuing bank's or insurer's name, 1 to 200 characters.
    #[schema(example = "Bank of Example, Haidian branch", max_length = 200)]
    issuer: String,
    /// The guarantee's number, 1 to 100 characters.
    #[schema(example = "BG-2026-000123", max_length = 100)]
    number: String,
    /// At least the deposit (the fixed amount, or a range's minimum).
    #[schema(value_type = Money)]
    amount: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = GuaranteeRejection)]
pub(in crate::http) struct RejectRequest {
    /// 1 to 500 characters.
    #[schema(
        example = "the issuer could not confirm the guarantee",
        max_length = 500
    )]
    reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Guarantee)]
pub(super) struct GuaranteeJson {
    id: i64,
    application_id: i64,
    lot_id: i64,
    issuer: String,
    number: String,
    amount: Money,
    /// `pending`, `accepted`, `rejected`, `released` or `called`.
    #[schema(value_type = String, example = "pending")]
    status: &'static str,
    /// A rejection's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    created_at: i64,
    #[serde(
        with = "time_format::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Rfc3339>)]
    decided_at: Option<i64>,
}

impl GuaranteeJson {
    fn new(guarantee: Guarantee) -> GuaranteeJson {
        GuaranteeJson {
            id: guarantee.id,
            application_id: guarantee.application_id,
            lot_id: guarantee.lot_id,
            issuer: guarantee.issuer,
            number: guarantee.number,
            amount: guarantee.amount,
            status: guarantee.status.as_str(),
            reason: guarantee.reason,
            created_at: guarantee.created_at_ms,
            decided_at: guarantee.decided_at_ms,
        }
    }
}

/// A trimmed text of 1 to `max` characters.
impl GuaranteeRequest {
    pub(in crate::http) fn checked(&self) -> Result<NewGuarantee, ApiError> {
        Ok(NewGuarantee {
            issuer: required_text("issuer", &self.issuer, TextKind::Line, MAX_ISSUER_CHARS)?,
            number: required_text("number", &self.number, TextKind::Line, MAX_NUMBER_CHARS)?,
            amount: Money::parse_positive(&self.amount)
                .map_err(|error| ApiError::invalid(format!("amount: {error}")))?,
        })
    }
}

impl RejectRequest {
    pub(in crate::http) fn checked_reason(&self) -> Result<String, ApiError> {
        required_text("reason", &self.reason, TextKind::Long, MAX_REASON_CHARS)
    }
}

/// Submits an electronic guarantee (电子保函) instead of a cash deposit.
#[utoipa::path(
    post,
    path = "/applications/{id}/guarantee",
    operation_id = "submit_guarantee",
    tag = MONEY,
    security(("bearer" = ["bidder"])),
    params(("id" = i64, Path, description = "The application's id")),
    request_body = GuaranteeRequest,
    responses(
        (status = 201, description = "The guarantee, `pending` an admin's decision", body = GuaranteeJson),
        (status = 400, description = "`invalid_input`: a bad field or an unknown one; `invalid_amount`: it does not cover the deposit", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the applicant", body = ErrorBody),
        (status = 404, description = "`not_found`: no such application", body = ErrorBody),
        (status = 409, description = "`application_rejected`, `lot_ended`, `deposit_already_lodged`, `deposit_deadline_passed`, `guarantee_pending`", body = ErrorBody),
    )
)]
pub(super) async fn submit(
    State(state): State<AppState>,
    Bidder(caller): Bidder,
    Path(id): Path<String>,
    Json(request): Json<GuaranteeRequest>,
) -> Result<(StatusCode, Json<GuaranteeJson>), ApiError> {
    let application = path_id(&id, "application")?;
    let guarantee = request.checked()?;
    let owner = state
        .store
        .application_owner(application)
        .await?
        .ok_or_else(|| ApiError::not_found("application"))?;
    if owner.account_id != caller.id {
        return Err(ApiError::forbidden(
            "only the applicant may submit its guarantee",
        ));
    }
    let submitted = state
        .store
        .submit_guarantee(application, &guarantee, state.clock.now_ms())
        .await?
        .map_err(refused)?;
    Ok((StatusCode::CREATED, Json(GuaranteeJson::new(submitted))))
}

/// An admin accepts a pending guarantee: it becomes the application's deposit.
#[utoipa::path(
    post,
    path = "/guarantees/{id}/accept",
    operation_id = "accept_guarantee",
    tag = MONEY,
    security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The guarantee's id")),
    responses(
        (status = 200, description = "The accepted guarantee", body = GuaranteeJson),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such guarantee", body = ErrorBody),
        (status = 409, description = "`guarantee_not_pending`; `application_rejected`, `lot_ended`, `deposit_already_lodged`", body = ErrorBody),
    )
)]
pub(super) async fn accept(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<GuaranteeJson>, ApiError> {
    let accepted = decide(&state, &id, GuaranteeDecision::Accept).await?;
    state
        .rooms
        .roster_changed(accepted.lot_id, accepted.account_id)
        .await?;
    Ok(Json(GuaranteeJson::new(accepted)))
}

/// An admin rejects a pending guarantee, with a reason.
#[utoipa::path(
    post,
    path = "/guarantees/{id}/reject",
    operation_id = "reject_guarantee",
    tag = MONEY,
    security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The guarantee's id")),
    request_body = RejectRequest,
    responses(
        (status = 200, description = "The rejected guarantee", body = GuaranteeJson),
        (status = 400, description = "`invalid_input`: no reason, or one too long", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such guarantee", body = ErrorBody),
        (status = 409, description = "`guarantee_not_pending`", body = ErrorBody),
    )
)]
pub(super) async fn reject(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
    Json(request): Json<RejectRequest>,
) -> Result<Json<GuaranteeJson>, ApiError> {
    let reason = request.checked_reason()?;
    let rejected = decide(&state, &id, GuaranteeDecision::Reject { reason }).await?;
    Ok(Json(GuaranteeJson::new(rejected)))
}

async fn decide(
    state: &AppState,
    id: &str,
    decision: GuaranteeDecision,
) -> Result<Guarantee, ApiError> {
    let guarantee = path_id(id, "guarantee")?;
    state
        .store
        .decide_guarantee(guarantee, &decision, state.clock.now_ms())
        .await
        .map_err(not_found_as("guarantee"))?
        .map_err(refused)
}

/// A guarantee, to its bidder and admins.
#[utoipa::path(
    get,
    path = "/guarantees/{id}",
    operation_id = "get_guarantee",
    tag = MONEY,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The guarantee's id")),
    responses(
        (status = 200, description = "The guarantee", body = GuaranteeJson),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: neither its bidder nor an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such guarantee", body = ErrorBody),
    )
)]
pub(super) async fn show(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<GuaranteeJson>, ApiError> {
    let id = path_id(&id, "guarantee")?;
    let guarantee = state
        .store
        .guarantee(id)
        .await?
        .ok_or_else(|| ApiError::not_found("guarantee"))?;
    if !caller.role.oversees_everything() && caller.id != guarantee.account_id {
        return Err(ApiError::forbidden(
            "only the bidder and admins see a guarantee",
        ));
    }
    Ok(Json(GuaranteeJson::new(guarantee)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// Only guarantees in this status: `pending`, `accepted`, `rejected`, `released`,
    /// `called`.
    #[param(value_type = Option<String>, example = "pending")]
    status: Option<String>,
    /// Only this lot's.
    #[param(value_type = Option<i64>, minimum = 1)]
    lot_id: Option<String>,
    /// Only guarantees older than this id (the last id of the previous page).
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
    /// At most this many (50 unless given).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
}

/// Guarantees, newest first (admins: the queue to decide).
#[utoipa::path(
    get,
    path = "/guarantees",
    operation_id = "list_guarantees",
    tag = MONEY,
    security(("bearer" = ["admin"])),
    params(ListQuery),
    responses(
        (status = 200, description = "The guarantees", body = Vec<GuaranteeJson>),
        (status = 400, description = "`invalid_input`: a bad filter or limit", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<GuaranteeJson>>, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::invalid(rejection.body_text()))?;
    let status = query
        .status
        .as_deref()
        .map(|text| {
            GuaranteeStatus::parse(text).ok_or_else(|| {
                ApiError::invalid("status is pending, accepted, rejected, released or called")
            })
        })
        .transpose()?;
    let filter = GuaranteeFilter {
        status,
        lot_id: query
            .lot_id
            .as_deref()
            .map(|text| positive("lot_id", text))
            .transpose()?,
    };
    let before = query
        .before
        .as_deref()
        .map(|text| positive("before", text))
        .transpose()?;
    let limit = page_limit(query.limit.as_deref())?;
    let guarantees = state.store.guarantees(&filter, before, limit).await?;
    Ok(Json(
        guarantees.into_iter().map(GuaranteeJson::new).collect(),
    ))
}
