//! The money routes (SPEC §3, §5): the wallet, bank notifications, deposits and
//! settlements.
//!
//! Choices where SPEC is silent:
//! - `GET /wallet` pages its entries newest first: `?limit=` (default 50, at most 200) and
//!   `?before=ID` (an entry id; pass the answer's `next_cursor`, present while older
//!   entries remain). Every entry says which half of the wallet it moved (`bucket`:
//!   `available` or `frozen`), so a deposit shows as two entries of one transaction. An
//!   admin may read any wallet with `?account_id=`.
//! - A bank notification answers `201` with `status: "credited"` the first time, `202`
//!   with `status: "unmatched"` when no wallet has that virtual account number (it is kept
//!   for the exchange's staff, not dropped), and exactly the first answer on every replay.
//!   `X-Signature` is the hex HMAC-SHA256 of the raw body (a `sha256=` prefix is allowed);
//!   a request with a signature is judged by it alone. `received_at` is RFC 3339. A
//!   transfer in another currency than the wallet's is refused (400 `currency_mismatch`)
//!   and not stored, so the bank may send it again once corrected.
//! - Unmatched notifications wait for an admin: `GET /bank/notifications?status=unmatched`
//!   lists them (also `credited`, `returned`; newest first, `?limit=`), and `POST
//!   /bank/notifications/{transfer_id}/resolve` with `{action: "credit", account_number,
//!   note}` credits the wallet the transfer was meant for (a `top_up`), or with
//!   `{action: "return", note}` records that the money went back to the payer. Each is
//!   resolved once, and records who resolved it, when and why; the bank's own repeat of
//!   the notification still answers as the first time (`202`, `unmatched`).
//! - Deposits: see [`crate::ledger::deposit::amount_to_lodge`] for which applications and
//!   lots take one. `Idempotency-Key` is 1–128 visible ASCII characters. A success is
//!   stored and replayed; a refusal is not, so the same key may be tried again (after a
//!   top-up, say).
//! - Guarantees: submitted on a deposit's terms (in time, once the application has no
//!   deposit, one pending at a time) and only if they cover the deposit (the fixed amount or
//!   a range's minimum); an admin may accept one after the deposit deadline (see
//!   [`crate::ledger::deposit::guarantee_may_be_accepted`]). An accepted guarantee is the
//!   application's deposit (kind `guarantee`): released when the lot ends for a non-winner,
//!   kept for the winner until it pays (then released) or defaults (then `called`).
//! - Withdrawals (余额退还) take the amount out of `available` at once (`withdrawal`:
//!   available −A, bank_clearing +A) and answer `201` with `status: "requested"`: the payout
//!   to the bank account the bidder paid from (原路退回) is the bank integration's. They are
//!   idempotent by `Idempotency-Key` as deposits are; frozen money cannot be withdrawn.
//!   The bank integration (signed, as notifications are) or an admin reports the payout
//!   with `POST /withdrawals/{id}/paid` (`requested` → `paid`; again: the same answer).
//! - Settlement: the winner pays the whole balance at once (partial payments are refused:
//!   a part-paid settlement would leave the exchange holding money for a sale that may
//!   still default). See [`crate::ledger::SettlementTerms`] for how the deposit, the fee
//!   and the price are booked. A settlement the deposit already covers opens as `paid`.
//! - `GET /lots/{id}/settlement/confirmation` is the transaction confirmation (成交确认书)
//!   as one printable HTML page (A4, self-contained, no JavaScript), for whoever may see
//!   the settlement; a defaulted settlement still renders, marked void (违约).

pub(super) mod bank;
mod confirmation;
pub(super) mod deposits;
pub(super) mod guarantees;
mod settlements;
mod wallet;
pub(super) mod withdrawals;

pub(super) use confirmation::style_source as confirmation_style_source;
pub(super) use settlements::SettlementJson;

use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::storage::StoreError;

use super::ApiError;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(wallet::show))
        .routes(routes!(withdrawals::withdraw))
        .routes(routes!(withdrawals::paid))
        .routes(routes!(bank::notify, bank::list))
        .routes(routes!(bank::resolve))
        .routes(routes!(deposits::lodge))
        .routes(routes!(guarantees::submit))
        .routes(routes!(guarantees::list))
        .routes(routes!(guarantees::show))
        .routes(routes!(guarantees::accept))
        .routes(routes!(guarantees::reject))
        .routes(routes!(settlements::show))
        .routes(routes!(confirmation::download))
        .routes(routes!(settlements::pay))
        .routes(routes!(settlements::default))
        .routes(routes!(wallet::reconciliation))
}

/// An id in a path; anything that is not one names nothing (404).
fn path_id(text: &str, what: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::not_found(what))
}

/// A store's `NotFound` as a 404 that names what was missing.
fn not_found_as(what: &'static str) -> impl Fn(StoreError) -> ApiError {
    move |error| match error {
        StoreError::NotFound => ApiError::not_found(what),
        other => other.into(),
    }
}

/// A stored JSON answer, sent back byte for byte.
fn stored_json(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
