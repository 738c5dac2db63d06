//! Errors in SPEC's shape: `{"error":{"code","message"}}`.
//!
//! Split by who is at fault: a client's mistake is a 4xx with a useful message; our own
//! fault is a 500 that reveals nothing and is logged with its cause chain.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::storage::{Conflict, StoreError};

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Our own fault: logged, never shown.
    cause: Option<anyhow::Error>,
    /// Sent as `Retry-After` (a refusal by a limit that lifts by itself).
    retry_after_secs: Option<u64>,
    /// What else the client needs to mend its request, sent beside `code` and `message`
    /// (an item list's bad cells: `errors`).
    details: Option<(&'static str, serde_json::Value)>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            cause: None,
            retry_after_secs: None,
            details: None,
        }
    }

    /// The same error with `field` beside its code and message.
    pub fn with_detail(mut self, field: &'static str, value: serde_json::Value) -> ApiError {
        self.details = Some((field, value));
        self
    }

    /// 400: the request itself is wrong.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_input", message)
    }

    /// 401: no valid session.
    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "not_authenticated",
            "sign in first: send Authorization: Bearer TOKEN",
        )
    }

    /// 403: signed in, but not allowed.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404.
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        )
    }

    /// 409: conflicts with the current state or with an earlier request.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    /// 500: our fault. The cause is logged, the client learns nothing of it.
    pub fn internal(cause: impl Into<anyhow::Error>) -> ApiError {
        ApiError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error".to_owned(),
            cause: Some(cause.into()),
            retry_after_secs: None,
            details: None,
        }
    }

    /// 413: the body is over the route's limit (SPEC §8).
    pub fn payload_too_large() -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the request body is over this route's limit (64 KiB unless the route documents more)",
        )
    }

    /// 408: the request took longer than the server's request timeout (SPEC §8).
    pub fn request_timeout(timeout_secs: u64) -> ApiError {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!("the request was not done within {timeout_secs} s"),
        )
    }

    /// 429 with `Retry-After`: a limit refuses the request for now (SPEC §8).
    pub fn rate_limited(message: impl Into<String>, retry_after_secs: u64) -> ApiError {
        ApiError {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn code(&self) -> &'static str {
        self.code
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::NotFound => ApiError::not_found("record"),
            StoreError::Conflict(conflict) => {
                ApiError::conflict(conflict_code(&conflict), conflict.to_string())
            }
            StoreError::Database(error) => {
                ApiError::internal(anyhow::Error::new(error).context("database call failed"))
            }
            StoreError::Internal(error) => ApiError::internal(error),
        }
    }
}

/// The stable wire code of a conflict with the stored state (a 409).
pub fn conflict_code(conflict: &Conflict) -> &'static str {
    match conflict {
        Conflict::UsernameTaken => "username_taken",
        Conflict::NotSuspended => "not_suspended",
        Conflict::LotNotDraft => "not_draft",
        Conflict::LotItemsLocked => "items_locked",
        Conflict::AlreadyApplied => "already_applied",
        Conflict::ApplicationNotPending => "not_pending",
        Conflict::InsufficientFunds(_) => "insufficient_funds",
        Conflict::IdempotencyKeyReused => "idempotency_conflict",
        Conflict::TransferChanged { .. } => "transfer_conflict",
        Conflict::NotificationNotUnmatched { .. } => "notification_not_unmatched",
        Conflict::SettlementPaid => "already_paid",
        Conflict::SettlementDefaulted => "settlement_defaulted",
        Conflict::SettlementNotOpen(_) => "settlement_not_open",
        Conflict::SettlementNotDue => "settlement_not_due",
        Conflict::GuaranteeNotPending(_) => "guarantee_not_pending",
        Conflict::AnnouncementNotEditable(_) => "announcement_not_editable",
        Conflict::AnnouncementNotSubmitted(_) => "announcement_not_submitted",
        Conflict::DepositRefused { refusal, .. } => refusal.code(),
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> ApiError {
        match rejection {
            JsonRejection::BytesRejection(rejection) => rejection.into(),
            rejection => ApiError::invalid(rejection.body_text()),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> ApiError {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(),
            _ => ApiError::invalid(rejection.body_text()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            tracing::error!(error = ?cause, "request failed");
        }
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some((field, value)) = self.details {
            error[field] = value;
        }
        let body = json!({ "error": error });
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response.headers_mut().insert(RETRY_AFTER, secs.into());
        }
        response
    }
}

/// The raw body, within the route's limit (413 `payload_too_large` over it), for routes
/// that read it themselves (a signature over its bytes, an optional body).
#[derive(Debug, Clone, Default)]
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Body, ApiError> {
        Ok(Body(Bytes::from_request(request, state).await?))
    }
}

/// `axum::Json` whose rejections are answered in SPEC's error shape.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::DepositRefusal;
    use crate::storage::money::SettlementStatus;

    #[test]
    fn a_stored_conflict_is_a_409_with_its_code_and_message() {
        let error = ApiError::from(StoreError::from(Conflict::SettlementNotOpen(
            SettlementStatus::Paid,
        )));
        assert_eq!(error.status(), StatusCode::CONFLICT);
        assert_eq!(error.code(), "settlement_not_open");
        assert_eq!(error.message, "the settlement is paid");
    }

    #[test]
    fn a_refused_deposit_keeps_the_refusals_code() {
        let error = ApiError::from(StoreError::from(Conflict::DepositRefused {
            lot: 4,
            refusal: DepositRefusal::AlreadyLodged,
        }));
        assert_eq!(error.status(), StatusCode::CONFLICT);
        assert_eq!(error.code(), "deposit_already_lodged");
        assert_eq!(
            error.message,
            "lot 4: a deposit is already lodged for this application"
        );
    }

    #[test]
    fn a_missing_record_is_a_404() {
        let error = ApiError::from(StoreError::NotFound);
        assert_eq!(error.status(), StatusCode::NOT_FOUND);
        assert_eq!(error.code(), "not_found");
    }
}
