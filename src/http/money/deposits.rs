//! `POST /applications/{id}/deposit`: freezing a deposit (交纳保证金).

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::ledger::DepositRefusal;
use crate::money::Money;
use crate::security::sha256_hex;
use crate::storage::money::{Deposit, IdempotencyKey, StoredAnswer};

use super::super::openapi::{ErrorBody, MONEY};
use super::super::{ApiError, Bidder, Body};
use super::{path_id, stored_json};

const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// The longest `Idempotency-Key`: a UUID is 36, a client's own scheme rarely more.
const MAX_IDEMPOTENCY_KEY_CHARS: usize = 128;

#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = DepositRequest)]
struct DepositJson {
    /// For a range deposit, the amount chosen inside it; for a fixed one, absent or the
    /// fixed amount.
    #[schema(value_type = Option<Money>)]
    amount: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LodgedDeposit)]
struct LodgedJson {
    application_id: i64,
    lot_id: i64,
    amount: Money,
    /// `held` once lodged; later `released`, `applied` or `forfeited`.
    #[schema(value_type = String, example = "held")]
    status: &'static str,
    /// `cash` (frozen from the wallet) or `guarantee`.
    #[schema(value_type = String, example = "cash")]
    kind: &'static str,
}

fn render(deposit: &Deposit) -> StoredAnswer {
    let json = LodgedJson {
        application_id: deposit.application_id,
        lot_id: deposit.lot_id,
        amount: deposit.amount,
        status: deposit.status.as_str(),
        kind: deposit.kind.as_str(),
    };
    StoredAnswer {
        status: StatusCode::CREATED.as_u16(),
        body: serde_json::to_string(&json).expect("a deposit serializes"),
    }
}

/// Lodges the application's deposit (交纳保证金): freezes it from `available`.
/// Idempotent by `Idempotency-Key`: the same key and request answer as the first time.
#[utoipa::path(
    post,
    path = "/applications/{id}/deposit",
    operation_id = "lodge_deposit",
    tag = MONEY,
    security(("bearer" = ["bidder"])),
    params(
        ("id" = i64, Path, description = "The application's id"),
        ("Idempotency-Key" = String, Header, description = "1 to 128 visible ASCII characters; a success is replayed for the same key"),
    ),
    request_body(content = Option<DepositJson>, description = "Optional for a fixed deposit: no body asks for the fixed amount"),
    responses(
        (status = 201, description = "The deposit, frozen (again for a replayed key)", body = LodgedJson),
        (status = 400, description = "`invalid_input`: no or a bad Idempotency-Key, a bad amount; `invalid_amount`: not the lot's deposit (missing for a range, outside it, other than the fixed amount)", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the applicant", body = ErrorBody),
        (status = 404, description = "`not_found`: no such application", body = ErrorBody),
        (status = 409, description = "`application_rejected`, `lot_ended`, `deposit_already_lodged`, `deposit_deadline_passed`, `currency_mismatch`, `guarantee_pending`, `insufficient_funds`, `idempotency_conflict` (the key was used with another request)", body = ErrorBody),
    )
)]
pub(super) async fn lodge(
    State(state): State<AppState>,
    Bidder(caller): Bidder,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let application = path_id(&id, "application")?;
    let key = idempotency_key(&headers)?;
    let requested = requested_amount(&body)?;
    let owner = state
        .store
        .application_owner(application)
        .await?
        .ok_or_else(|| ApiError::not_found("application"))?;
    if owner.account_id != caller.id {
        return Err(ApiError::forbidden(
            "only the applicant may lodge its deposit",
        ));
    }
    let key = IdempotencyKey {
        account_id: caller.id,
        scope: "deposit",
        key,
        request_sha256: request_sha256(application, requested),
    };
    let recorded = state
        .store
        .lodge_deposit(application, requested, &key, &render, state.clock.now_ms())
        .await?
        .map_err(refused)?;
    if !recorded.replayed {
        state
            .rooms
            .roster_changed(owner.lot_id, owner.account_id)
            .await?;
    }
    Ok(stored_json(recorded.answer.status, recorded.answer.body))
}

pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers
        .get(IDEMPOTENCY_KEY_HEADER)
        .ok_or_else(|| ApiError::invalid("send an Idempotency-Key header"))?;
    let key = value.to_str().unwrap_or_default();
    let valid = (1..=MAX_IDEMPOTENCY_KEY_CHARS).contains(&key.len())
        && key.bytes().all(|c| c.is_ascii_graphic());
    if valid {
        Ok(key.to_owned())
    } else {
        Err(ApiError::invalid(format!(
            "Idempotency-Key is 1 to {MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters"
        )))
    }
}

/// `{amount?}`; an empty body asks for the lot's fixed deposit.
pub(in crate::http) fn requested_amount(body: &[u8]) -> Result<Option<Money>, ApiError> {
    let json: DepositJson = if body.trim_ascii().is_empty() {
        DepositJson::default()
    } else {
        serde_json::from_slice(body)
            .map_err(|error| ApiError::invalid(format!("not a deposit request: {error}")))?
    };
    json.amount
        .map(|amount| {
            Money::parse_positive(&amount)
                .map_err(|error| ApiError::invalid(format!("amount: {error}")))
        })
        .transpose()
}

/// What makes two deposit requests the same one: the application and the amount asked
/// for ("5000" and "5000.00" are the same; no amount is not the same as the amount).
fn request_sha256(application: i64, requested: Option<Money>) -> String {
    let amount = requested.map_or_else(|| "-".to_owned(), |amount| amount.to_string());
    sha256_hex(format!("deposit\n{application}\n{amount}").as_bytes())
}

pub(super) fn refused(refusal: DepositRefusal) -> ApiError {
    let status = if refusal.is_invalid_input() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::CONFLICT
    };
    ApiError::new(status, refusal.code(), refusal.to_string())
}
