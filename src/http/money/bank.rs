//! `POST /bank/notifications`: top-ups (充值) from the bank, signed, or entered by an admin.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::money::Money;
use crate::storage::Role;
use crate::storage::money::{
    BankNotification, BankReceipt, NotificationRefusal, NotificationStatus,
};
use crate::time_format;

use super::super::{ApiError, AppState, MaybeCaller};
use super::stored_json;

const SIGNATURE_HEADER: &str = "x-signature";
/// Transfer ids and account numbers longer than this are not a bank's.
const MAX_REFERENCE_CHARS: usize = 128;

#[derive(Debug, Deserialize)]
struct NotificationJson {
    transfer_id: String,
    account_number: String,
    amount: String,
    currency: String,
    received_at: String,
}

/// The answer to a notification, stored the first time and replayed byte for byte.
#[derive(Debug, Serialize)]
struct ReceiptJson<'a> {
    transfer_id: &'a str,
    status: &'static str,
    account_number: &'a str,
    amount: Money,
    currency: &'a str,
    #[serde(with = "time_format::rfc3339")]
    received_at: i64,
}

fn render(receipt: &BankReceipt) -> String {
    let notification = &receipt.notification;
    let json = ReceiptJson {
        transfer_id: &notification.transfer_id,
        status: receipt.status.as_str(),
        account_number: &notification.account_number,
        amount: notification.amount,
        currency: &notification.currency,
        received_at: notification.received_at_ms,
    };
    serde_json::to_string(&json).expect("a receipt serializes")
}

pub(super) async fn notify(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    match headers.get(SIGNATURE_HEADER) {
        Some(signature) => {
            let secret = state.config.bank_secret.as_deref();
            if !signature_is_valid(secret, signature.as_bytes(), &body) {
                return Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "bad_signature",
                    "X-Signature is not the HMAC-SHA256 of this body",
                ));
            }
        }
        None => match caller {
            None => return Err(ApiError::unauthenticated()),
            Some(account) if account.role != Role::Admin => {
                return Err(ApiError::forbidden(
                    "only the bank (signed) or an admin may notify transfers",
                ));
            }
            Some(_) => {}
        },
    }
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
        NotificationStatus::Unmatched => StatusCode::ACCEPTED,
    };
    Ok(stored_json(status.as_u16(), recorded.body))
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

fn parse(body: &[u8]) -> Result<BankNotification, ApiError> {
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
    Ok(BankNotification {
        transfer_id,
        account_number,
        amount,
        currency,
        received_at_ms,
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
