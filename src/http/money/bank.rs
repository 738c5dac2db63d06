//! `POST /bank/notifications`: top-ups (充值) from the bank, signed, or entered by an admin;
//! and, for admins, the notifications kept (`GET /bank/notifications?status=unmatched`) and
//! the resolution of an unmatched one (`POST /bank/notifications/{transfer_id}/resolve`).
//!
//! A notification may name its payer (`payer_name`, 付款人户名). When it does, it credits
//! the wallet only if the payer is the holder's verified name (a person's real name, an
//! organisation's registered name), compared as [`crate::domain::is_same_payer`] says
//! (NFKC, spaces trimmed and collapsed, Latin letters without case); otherwise, or when
//! the holder is not verified, it is held `unmatched` with reason `payer_name_mismatch`
//! and resolved by an admin like one to no wallet. Without `payer_name` it credits as it
//! always did.

use crate::app::AppState;
use crate::text::{TextKind, forbidden_character_message, has_forbidden_character};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::{IntoParams, ToSchema};

use crate::domain::AccountId;
use crate::money::Money;
use crate::storage::money::{
    BankNotification, BankReceipt, NotificationAction, NotificationRefusal, NotificationStatus,
    Resolution, ResolutionRefusal, StoredNotification, UnmatchedReason,
};
use crate::time_format::{self, Rfc3339};

use super::super::accounts::validated_name;
use super::super::openapi::{ErrorBody, MONEY};
use super::super::{Admin, ApiError, BankOrAdmin, Body, Json};
use super::wallet::page_limit;
use super::{not_found_as, stored_json};

/// Transfer ids and account numbers longer than this are not a bank's.
const MAX_REFERENCE_CHARS: usize = 128;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = BankNotification)]
struct NotificationJson {
    /// The bank's id of the transfer, 1 to 128 visible ASCII characters: the same id again
    /// changes nothing.
    #[schema(example = "TX-20261123-0001")]
    transfer_id: String,
    /// The virtual account number the transfer was made to.
    #[schema(example = "621000000017")]
    account_number: String,
    /// Greater than zero.
    #[schema(value_type = Money)]
    amount: String,
    #[schema(example = "CNY", pattern = "^[A-Z]{3}$")]
    currency: String,
    #[schema(value_type = Rfc3339)]
    received_at: String,
    /// The payer's name (付款人户名), 1 to 100 characters after trimming. When given, the
    /// wallet is credited only if it is the holder's verified name; otherwise the transfer
    /// is held `unmatched` (`payer_name_mismatch`) for an admin.
    #[schema(example = "长沙星城置业有限公司")]
    payer_name: Option<String>,
}

/// The answer to a notification, stored the first time and replayed byte for byte.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = BankReceipt)]
struct ReceiptJson<'a> {
    transfer_id: &'a str,
    /// `credited`, or `unmatched` when no wallet has the account number or the payer is
    /// not its holder.
    #[schema(value_type = String, example = "credited")]
    status: &'static str,
    /// With `unmatched`: `unknown_account` (no wallet has the number) or
    /// `payer_name_mismatch` (the payer is not the holder's verified name).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "payer_name_mismatch")]
    reason: Option<&'static str>,
    account_number: &'a str,
    amount: Money,
    currency: &'a str,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    received_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    payer_name: Option<&'a str>,
}

fn render(receipt: &BankReceipt) -> String {
    let notification = &receipt.notification;
    let json = ReceiptJson {
        transfer_id: &notification.transfer_id,
        status: receipt.status.as_str(),
        reason: receipt.unmatched_reason.map(UnmatchedReason::as_str),
        account_number: &notification.account_number,
        amount: notification.amount,
        currency: &notification.currency,
        received_at: notification.received_at_ms,
        payer_name: notification.payer_name.as_deref(),
    };
    serde_json::to_string(&json).expect("a receipt serializes")
}

/// A bank transfer notification: a top-up (充值), idempotent by `transfer_id`. From the
/// bank integration (signed with `X-Signature`) or an admin (bearer token). With
/// `payer_name`, only the holder's own money is credited: another payer's is held
/// `unmatched` (`payer_name_mismatch`) for an admin.
#[utoipa::path(
    post,
    path = "/bank/notifications",
    operation_id = "notify_bank_transfer",
    tag = MONEY,
    security(("bank_signature" = []), ("bearer" = ["admin"])),
    params(("X-Signature" = Option<String>, Header, description = "Hex HMAC-SHA256 of the raw body under the bank secret (a `sha256=` prefix is allowed); a request with it is judged by it alone")),
    request_body = NotificationJson,
    responses(
        (status = 201, description = "`credited`: the wallet was topped up (also on a replay)", body = ReceiptJson),
        (status = 202, description = "`unmatched`: no wallet has that account number (`unknown_account`), or `payer_name` is not the holder's verified name (`payer_name_mismatch`); kept for an admin (also on a replay)", body = ReceiptJson),
        (status = 400, description = "`invalid_input`: a bad field; `currency_mismatch`: not the wallet's currency (not stored)", body = ErrorBody),
        (status = 401, description = "`bad_signature`; `not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: neither the bank nor an admin", body = ErrorBody),
        (status = 409, description = "`transfer_conflict`: the same `transfer_id` with other contents", body = ErrorBody),
    )
)]
pub(super) async fn notify(
    State(state): State<AppState>,
    authority: BankOrAdmin,
    Body(body): Body,
) -> Result<Response, ApiError> {
    authority.check_signature(&state, &body)?;
    let notification = parse(&body)?;
    let recorded = state
        .store
        .record_bank_notification(&notification, &render, state.clock.now_ms())
        .await?
        .map_err(|refusal| match refusal {
            NotificationRefusal::CurrencyMismatch { .. } => ApiError::new(
                StatusCode::BAD_REQUEST,
                "currency_mismatch",
                refusal.to_string(),
            ),
        })?;
    let status = match recorded.status {
        NotificationStatus::Credited => StatusCode::CREATED,
        NotificationStatus::Unmatched | NotificationStatus::Returned => StatusCode::ACCEPTED,
    };
    Ok(stored_json(status.as_u16(), recorded.body))
}

/// A stored notification as admins see it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = StoredNotification)]
pub(super) struct StoredNotificationJson {
    transfer_id: String,
    /// `credited`, `unmatched` or `returned`.
    #[schema(value_type = String, example = "unmatched")]
    status: &'static str,
    /// Why it was held unmatched, if it ever was: `unknown_account` or
    /// `payer_name_mismatch`.
    #[schema(value_type = Option<String>, example = "payer_name_mismatch")]
    unmatched_reason: Option<&'static str>,
    account_number: String,
    /// The payer's name, when the bank gave one.
    payer_name: Option<String>,
    /// The verified name of the holder of the wallet with `account_number`, if there is
    /// one: what the payer name was compared with.
    holder_name: Option<String>,
    amount: Money,
    currency: String,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    received_at: i64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    recorded_at: i64,
    /// The credited wallet's account.
    #[schema(value_type = Option<i64>)]
    account_id: Option<AccountId>,
    transaction_id: Option<i64>,
    resolution: Option<ResolutionJson>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = NotificationResolution)]
struct ResolutionJson {
    /// The admin's account id.
    #[schema(value_type = i64)]
    resolved_by: AccountId,
    note: String,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    resolved_at: i64,
}

impl StoredNotificationJson {
    fn new(stored: StoredNotification) -> StoredNotificationJson {
        let notification = stored.notification;
        StoredNotificationJson {
            transfer_id: notification.transfer_id,
            status: stored.status.as_str(),
            unmatched_reason: stored.unmatched_reason.map(UnmatchedReason::as_str),
            account_number: notification.account_number,
            payer_name: notification.payer_name,
            holder_name: stored.holder_name,
            amount: notification.amount,
            currency: notification.currency,
            received_at: notification.received_at_ms,
            recorded_at: stored.created_at_ms,
            account_id: stored.account_id,
            transaction_id: stored.transaction_id,
            resolution: stored.resolution.map(|resolution| ResolutionJson {
                resolved_by: resolution.resolved_by,
                note: resolution.note,
                resolved_at: resolution.resolved_at_ms,
            }),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// Only notifications in this status: `credited`, `unmatched`, `returned`.
    #[param(value_type = Option<String>, example = "unmatched")]
    status: Option<String>,
    /// At most this many (50 unless given).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
}

/// `GET /bank/notifications?status=&limit=` (admins): the notifications kept, newest first.
#[utoipa::path(
    get,
    path = "/bank/notifications",
    operation_id = "list_bank_notifications",
    tag = MONEY,
    security(("bearer" = ["admin"])),
    params(ListQuery),
    responses(
        (status = 200, description = "The notifications", body = Vec<StoredNotificationJson>),
        (status = 400, description = "`invalid_input`: a bad status or limit", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
    )
)]
pub(super) async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Vec<StoredNotificationJson>>, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::invalid(rejection.body_text()))?;
    let status = query
        .status
        .as_deref()
        .map(|text| {
            NotificationStatus::parse(text)
                .ok_or_else(|| ApiError::invalid("status is credited, unmatched or returned"))
        })
        .transpose()?;
    let limit = page_limit(query.limit.as_deref())?;
    let notifications = state.store.bank_notifications(status, limit).await?;
    Ok(Json(
        notifications
            .into_iter()
            .map(StoredNotificationJson::new)
            .collect(),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = ResolveNotification)]
pub(in crate::http) struct ResolveJson {
    /// `credit` (to `account_number`'s wallet, as a top-up) or `return` (sent back to the
    /// payer).
    #[schema(example = "credit")]
    action: String,
    /// Required to credit; absent to return.
    #[schema(example = "621000000017")]
    account_number: Option<String>,
    /// Why, 1 to 500 characters.
    #[schema(
        example = "the payer wrote the account number in the remark",
        max_length = 500
    )]
    note: String,
}

/// The longest note an admin may leave on a resolution.
const MAX_NOTE_CHARS: usize = 500;

impl ResolveJson {
    /// The note as it is kept (trimmed, 1 to 500 characters) and what to do.
    pub(in crate::http) fn checked(self) -> Result<(String, NotificationAction), ApiError> {
        let note = self.note.trim().to_owned();
        if note.is_empty() || note.chars().count() > MAX_NOTE_CHARS {
            return Err(ApiError::invalid(format!(
                "note is 1 to {MAX_NOTE_CHARS} characters: why the transfer is resolved so"
            )));
        }
        if has_forbidden_character(&note, TextKind::Long) {
            return Err(ApiError::invalid(forbidden_character_message(
                "note",
                TextKind::Long,
            )));
        }
        let action = match (self.action.as_str(), self.account_number) {
            ("credit", Some(account_number)) => NotificationAction::Credit {
                account_number: reference("account_number", account_number)?,
            },
            ("credit", None) => {
                return Err(ApiError::invalid(
                    "account_number is required to credit a transfer",
                ));
            }
            ("return", None) => NotificationAction::Return,
            ("return", Some(_)) => {
                return Err(ApiError::invalid(
                    "a returned transfer credits no account_number",
                ));
            }
            _ => return Err(ApiError::invalid("action is credit or return")),
        };
        Ok((note, action))
    }
}

/// `POST /bank/notifications/{transfer_id}/resolve` (admins): `{action: "credit",
/// account_number, note}` credits an unmatched transfer to that wallet as a top-up;
/// `{action: "return", note}` records that it was sent back to the payer. Once per
/// notification (409 `notification_not_unmatched` after).
#[utoipa::path(
    post,
    path = "/bank/notifications/{transfer_id}/resolve",
    operation_id = "resolve_bank_notification",
    tag = MONEY,
    security(("bearer" = ["admin"])),
    params(("transfer_id" = String, Path, description = "The unmatched notification's transfer id")),
    request_body = ResolveJson,
    responses(
        (status = 200, description = "The notification, `credited` or `returned`", body = StoredNotificationJson),
        (status = 400, description = "`invalid_input`: a bad action, note or account number; `unknown_account`: no wallet has it; `currency_mismatch`", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such notification", body = ErrorBody),
        (status = 409, description = "`notification_not_unmatched`: already resolved or credited", body = ErrorBody),
    )
)]
pub(super) async fn resolve(
    State(state): State<AppState>,
    Admin(admin): Admin,
    Path(transfer_id): Path<String>,
    Json(body): Json<ResolveJson>,
) -> Result<Json<StoredNotificationJson>, ApiError> {
    let (note, action) = body.checked()?;
    let resolution = Resolution {
        resolved_by: admin.id,
        note,
        resolved_at_ms: state.clock.now_ms(),
    };
    let resolved = state
        .store
        .resolve_bank_notification(&transfer_id, &action, &resolution)
        .await
        .map_err(not_found_as("notification"))?
        .map_err(|refusal| match refusal {
            ResolutionRefusal::UnknownAccount(_) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "unknown_account",
                refusal.to_string(),
            ),
            ResolutionRefusal::CurrencyMismatch { .. } => ApiError::new(
                StatusCode::BAD_REQUEST,
                "currency_mismatch",
                refusal.to_string(),
            ),
        })?;
    Ok(Json(StoredNotificationJson::new(resolved)))
}

impl BankOrAdmin {
    /// For the bank: whether its signature is the HMAC-SHA256 of the raw `body` under the
    /// bank secret (401 `bad_signature` otherwise). An admin needs none.
    pub(in crate::http) fn check_signature(
        &self,
        state: &AppState,
        body: &[u8],
    ) -> Result<(), ApiError> {
        match self {
            BankOrAdmin::Admin(_) => Ok(()),
            BankOrAdmin::Bank { signature } => {
                let secret = state.config.bank_secret.as_deref();
                if signature_is_valid(secret, signature.as_bytes(), body) {
                    Ok(())
                } else {
                    Err(ApiError::new(
                        StatusCode::UNAUTHORIZED,
                        "bad_signature",
                        "X-Signature is not the HMAC-SHA256 of this body",
                    ))
                }
            }
        }
    }
}

/// Whether `signature` (hex, optionally `sha256=`-prefixed) is the HMAC-SHA256 of `body`
/// under `secret`, compared in constant time. Without a configured secret nothing is.
fn signature_is_valid(secret: Option<&str>, signature: &[u8], body: &[u8]) -> bool {
    let Some(secret) = secret else {
        return false;
    };
    let signature = signature.trim_ascii();
    let signature = signature.strip_prefix(b"sha256=").unwrap_or(signature);
    let Ok(signature) = hex::decode(signature) else {
        return false;
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&signature).is_ok()
}

pub(in crate::http) fn parse(body: &[u8]) -> Result<BankNotification, ApiError> {
    let json: NotificationJson = serde_json::from_slice(body)
        .map_err(|error| ApiError::invalid(format!("not a transfer notification: {error}")))?;
    let transfer_id = reference("transfer_id", json.transfer_id)?;
    let account_number = reference("account_number", json.account_number)?;
    let amount = Money::parse_positive(&json.amount)
        .map_err(|error| ApiError::invalid(format!("amount: {error}")))?;
    let currency = json.currency;
    if currency.len() != 3 || !currency.bytes().all(|c| c.is_ascii_uppercase()) {
        return Err(ApiError::invalid(
            "currency is an ISO 4217 code such as \"CNY\"",
        ));
    }
    let received_at_ms = time_format::parse_rfc3339(&json.received_at).ok_or_else(|| {
        ApiError::invalid("received_at is an RFC 3339 time such as \"2026-11-23T08:00:00Z\"")
    })?;
    let payer_name = json
        .payer_name
        .map(|name| validated_name("payer_name", &name))
        .transpose()?;
    Ok(BankNotification {
        transfer_id,
        account_number,
        amount,
        currency,
        received_at_ms,
        payer_name,
    })
}

/// A transfer id or account number: 1 to 128 visible ASCII characters.
fn reference(name: &str, text: String) -> Result<String, ApiError> {
    let valid = (1..=MAX_REFERENCE_CHARS).contains(&text.len())
        && text.bytes().all(|c| c.is_ascii_graphic());
    if valid {
        Ok(text)
    } else {
        Err(ApiError::invalid(format!(
            "{name} is 1 to {MAX_REFERENCE_CHARS} visible ASCII characters"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    #[test]
    fn a_signature_over_the_exact_body_is_valid() {
        let body = br#"{"transfer_id":"t-1"}"#;
        let signature = sign("secret", body);
        assert!(signature_is_valid(
            Some("secret"),
            signature.as_bytes(),
            body
        ));
        let prefixed = format!("sha256={signature}");
        assert!(signature_is_valid(
            Some("secret"),
            prefixed.as_bytes(),
            body
        ));
    }

    #[test]
    fn a_signature_over_other_bytes_or_under_another_secret_is_not() {
        let body = br#"{"transfer_id":"t-1"}"#;
        let signature = sign("secret", body);
        assert!(!signature_is_valid(
            Some("secret"),
            signature.as_bytes(),
            b"{ }"
        ));
        assert!(!signature_is_valid(
            Some("other"),
            signature.as_bytes(),
            body
        ));
        assert!(!signature_is_valid(None, signature.as_bytes(), body));
        assert!(!signature_is_valid(Some("secret"), b"not hex", body));
    }
}
