//! Electronic guarantees (电子保函): `POST /applications/{id}/guarantee` (the bidder),
//! `POST /guarantees/{id}/accept` and `/reject` (admin), `GET /guarantees/{id}` (the
//! bidder, admins) and `GET /guarantees?status=&lot_id=&before=&limit=` (admins: the queue
//! of guarantees to decide, newest first).

use crate::text::{TextKind, forbidden_character_message, has_forbidden_character};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::storage::Role;
use crate::storage::money::{
    Guarantee, GuaranteeDecision, GuaranteeFilter, GuaranteeStatus, NewGuarantee,
};
use crate::time_format;

use super::super::{ApiError, AppState, Caller, Json};
use super::wallet::{page_limit, positive};
use super::{deposits::refused, not_found_as, path_id};

/// The longest issuer name (a bank's or insurer's full name) and guarantee number.
const MAX_ISSUER_CHARS: usize = 200;
const MAX_NUMBER_CHARS: usize = 100;
const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct GuaranteeRequest {
    issuer: String,
    number: String,
    amount: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct RejectRequest {
    reason: String,
}

#[derive(Debug, Serialize)]
pub(super) struct GuaranteeJson {
    id: i64,
    application_id: i64,
    lot_id: i64,
    issuer: String,
    number: String,
    amount: Money,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(with = "time_format::rfc3339")]
    created_at: i64,
    #[serde(
        with = "time_format::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
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
fn text(name: &str, value: &str, kind: TextKind, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(ApiError::invalid(format!(
            "{name} is 1 to {max} characters"
        )));
    }
    if has_forbidden_character(value, kind) {
        return Err(ApiError::invalid(forbidden_character_message(name, kind)));
    }
    Ok(value.to_owned())
}

pub(super) async fn submit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    Json(request): Json<GuaranteeRequest>,
) -> Result<(StatusCode, Json<GuaranteeJson>), ApiError> {
    let application = path_id(&id, "application")?;
    let guarantee = NewGuarantee {
        issuer: text("issuer", &request.issuer, TextKind::Line, MAX_ISSUER_CHARS)?,
        number: text("number", &request.number, TextKind::Line, MAX_NUMBER_CHARS)?,
        amount: Money::parse_positive(&request.amount)
            .map_err(|error| ApiError::invalid(format!("amount: {error}")))?,
    };
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

pub(super) async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<GuaranteeJson>, ApiError> {
    caller.require_admin()?;
    let accepted = decide(&state, &id, GuaranteeDecision::Accept).await?;
    state
        .rooms
        .roster_changed(accepted.lot_id, accepted.account_id)
        .await?;
    Ok(Json(GuaranteeJson::new(accepted)))
}

pub(super) async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<RejectRequest>,
) -> Result<Json<GuaranteeJson>, ApiError> {
    caller.require_admin()?;
    let reason = text("reason", &request.reason, TextKind::Long, MAX_REASON_CHARS)?;
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
    if caller.role != Role::Admin && caller.id != guarantee.account_id {
        return Err(ApiError::forbidden(
            "only the bidder and admins see a guarantee",
        ));
    }
    Ok(Json(GuaranteeJson::new(guarantee)))
}

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    status: Option<String>,
    lot_id: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<GuaranteeJson>>, ApiError> {
    caller.require_admin()?;
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
