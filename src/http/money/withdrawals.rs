//! `POST /wallet/withdrawals`: 余额退还, from `available` to the bidder's bank account; and
//! `POST /withdrawals/{id}/paid`: the bank integration (signed) or an admin reports the
//! payout made.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app::AppState;
use crate::money::Money;
use crate::security::sha256_hex;
use crate::storage::money::{IdempotencyKey, StoredAnswer, Withdrawal};
use crate::time_format::{self, Rfc3339};

use super::super::openapi::{ErrorBody, MONEY};
use super::super::{ApiError, BankOrAdmin, Body, Caller};
use super::deposits::idempotency_key;
use super::{not_found_as, path_id, stored_json};

#[derive(Debug, Deserialize, ToSchema)]
struct WithdrawalRequest {
    /// Greater than zero, at most `available`.
    #[schema(value_type = Money)]
    amount: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Withdrawal)]
struct WithdrawalJson<'a> {
    id: i64,
    amount: Money,
    #[schema(example = "CNY")]
    currency: &'a str,
    /// The wallet's virtual account number.
    account_number: &'a str,
    /// `requested`, then `paid` once the bank reports the payout.
    #[schema(value_type = String, example = "requested")]
    status: &'static str,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    created_at: i64,
}

fn render(withdrawal: &Withdrawal) -> StoredAnswer {
    let json = WithdrawalJson {
        id: withdrawal.id,
        amount: withdrawal.amount,
        currency: &withdrawal.currency,
        account_number: &withdrawal.account_number,
        status: withdrawal.status.as_str(),
        created_at: withdrawal.created_at_ms,
    };
    StoredAnswer {
        status: StatusCode::CREATED.as_u16(),
        body: serde_json::to_string(&json).expect("a withdrawal serializes"),
    }
}

/// Withdraws (余额退还) from `available` to the bank account the bidder paid from.
/// Idempotent by `Idempotency-Key`.
#[utoipa::path(
    post,
    path = "/wallet/withdrawals",
    operation_id = "request_withdrawal",
    tag = MONEY,
    security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header, description = "1 to 128 visible ASCII characters; a success is replayed for the same key")),
    request_body = WithdrawalRequest,
    responses(
        (status = 201, description = "The withdrawal, `requested` (again for a replayed key)", body = WithdrawalJson),
        (status = 400, description = "`invalid_input`: no or a bad Idempotency-Key, a bad amount", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 404, description = "`not_found`: the caller has no wallet", body = ErrorBody),
        (status = 409, description = "`insufficient_funds`, `idempotency_conflict`", body = ErrorBody),
    )
)]
pub(super) async fn withdraw(
    State(state): State<AppState>,
    Caller(caller): Caller,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let amount = requested_amount(&body)?;
    let key = IdempotencyKey {
        account_id: caller.id,
        scope: "withdrawal",
        key,
        request_sha256: sha256_hex(format!("withdrawal\n{amount}").as_bytes()),
    };
    let recorded = state
        .store
        .withdraw(caller.id, amount, &key, &render, state.clock.now_ms())
        .await
        .map_err(not_found_as("wallet"))?;
    Ok(stored_json(recorded.answer.status, recorded.answer.body))
}

/// `{amount}`: greater than zero.
pub(in crate::http) fn requested_amount(body: &[u8]) -> Result<Money, ApiError> {
    let request: WithdrawalRequest = serde_json::from_slice(body)
        .map_err(|error| ApiError::invalid(format!("not a withdrawal request: {error}")))?;
    Money::parse_positive(&request.amount)
        .map_err(|error| ApiError::invalid(format!("amount: {error}")))
}

/// `POST /withdrawals/{id}/paid`: `requested` → `paid`, from the bank (signed over the raw
/// body, which may be empty) or an admin. Reporting it again answers the same.
#[utoipa::path(
    post,
    path = "/withdrawals/{id}/paid",
    operation_id = "mark_withdrawal_paid",
    tag = MONEY,
    security(("bank_signature" = []), ("bearer" = ["admin"])),
    params(
        ("id" = i64, Path, description = "The withdrawal's id"),
        ("X-Signature" = Option<String>, Header, description = "The bank integration's hex HMAC-SHA256 of the raw body (which may be empty); without it, an admin's bearer token"),
    ),
    request_body(content = Option<String>, content_type = "application/octet-stream",
        description = "Read only as what `X-Signature` signs; may be empty"),
    responses(
        (status = 200, description = "The withdrawal, `paid`", body = WithdrawalJson),
        (status = 401, description = "`bad_signature`; `not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: neither the bank nor an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such withdrawal", body = ErrorBody),
    )
)]
pub(super) async fn paid(
    State(state): State<AppState>,
    authority: BankOrAdmin,
    Path(id): Path<String>,
    Body(body): Body,
) -> Result<Response, ApiError> {
    authority.check_signature(&state, &body)?;
    let id = path_id(&id, "withdrawal")?;
    let withdrawal = state
        .store
        .mark_withdrawal_paid(id)
        .await
        .map_err(not_found_as("withdrawal"))?;
    let answer = render(&withdrawal);
    Ok(stored_json(StatusCode::OK.as_u16(), answer.body))
}
