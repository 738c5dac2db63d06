//! The guard every `/api/v1` request passes before its route: what an account's standing
//! forbids is refused here, once, for every route (SPEC §11).
//!
//! - An account that must change its password (created so by an admin) may only read
//!   itself (`GET /me`), change its password (`POST /me/password`) and sign out
//!   (`DELETE /sessions/current`); anything else is 403 `password_change_required`.
//! - A supervisor (监督) reads what an admin reads and writes nothing: every request
//!   other than `GET`/`HEAD`/`OPTIONS` is 403 `forbidden`, except changing its own
//!   password and signing out (its own session, not the exchange's records).
//!
//! A request without a token, or with one that is not valid, passes: its route answers
//! 401 or serves an anonymous caller as before. The account found is kept in the request
//! for the route's extractors (`Authenticated`), so the session is read once.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::domain::Role;
use crate::storage::Account;

use super::ApiError;
use super::auth::{Authenticated, account_for_token, bearer_token, is_read};

/// The routes an account may use while its password change is required.
pub const ALLOWED_BEFORE_PASSWORD_CHANGE: [(Method, &str); 3] = [
    (Method::GET, "/api/v1/me"),
    (Method::POST, "/api/v1/me/password"),
    (Method::DELETE, "/api/v1/sessions/current"),
];

/// The writes a supervisor may make: its own password and its own session.
pub const SUPERVISOR_WRITES: [(Method, &str); 3] = [
    (Method::POST, "/api/v1/me/password"),
    (Method::POST, "/api/v1/sessions"),
    (Method::DELETE, "/api/v1/sessions/current"),
];

pub(super) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let account = match bearer_token(&parts) {
        Ok(Some(token)) => match account_for_token(&state, token).await {
            Ok(account) => account,
            Err(error) => return error.into_response(),
        },
        _ => None,
    };
    if let Some(account) = account {
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map(|path| path.as_str().to_owned());
        if let Err(refusal) = standing_allows(&account, &parts.method, route.as_deref()) {
            return refusal.into_response();
        }
        parts.extensions.insert(Authenticated(account));
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Whether the account's standing lets it make this request (`route`: the matched path).
fn standing_allows(
    account: &Account,
    method: &Method,
    route: Option<&str>,
) -> Result<(), ApiError> {
    let listed = |routes: &[(Method, &str)]| {
        routes
            .iter()
            .any(|(allowed, path)| allowed == method && Some(*path) == route)
    };
    if account.must_change_password && !listed(&ALLOWED_BEFORE_PASSWORD_CHANGE) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "password_change_required",
            "change your password first (POST /api/v1/me/password)",
        ));
    }
    if account.role == Role::Supervisor && !is_read(method) && !listed(&SUPERVISOR_WRITES) {
        return Err(ApiError::forbidden("a supervisor may only read"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(role: Role, must_change_password: bool) -> Account {
        Account {
            id: 1,
            username: "someone".to_owned(),
            display_name: "Someone".to_owned(),
            role,
            kind: crate::domain::AccountKind::Individual,
            verified: false,
            created_at_ms: 0,
            must_change_password,
            suspended_until_ms: None,
        }
    }

    #[test]
    fn a_required_password_change_allows_only_reading_oneself_changing_and_signing_out() {
        let account = account(Role::Bidder, true);
        for (method, route) in ALLOWED_BEFORE_PASSWORD_CHANGE {
            assert!(
                standing_allows(&account, &method, Some(route)).is_ok(),
                "{route}"
            );
        }
        let refused = standing_allows(&account, &Method::GET, Some("/api/v1/lots")).unwrap_err();
        assert_eq!(refused.code(), "password_change_required");
        assert!(standing_allows(&account, &Method::GET, None).is_err());
    }

    #[test]
    fn a_supervisor_reads_but_writes_nothing() {
        let supervisor = account(Role::Supervisor, false);
        assert!(standing_allows(&supervisor, &Method::GET, Some("/api/v1/lots")).is_ok());
        let refused =
            standing_allows(&supervisor, &Method::POST, Some("/api/v1/lots")).unwrap_err();
        assert_eq!(refused.code(), "forbidden");
        assert!(standing_allows(&supervisor, &Method::POST, Some("/api/v1/me/password")).is_ok());
        let admin = account(Role::Admin, false);
        assert!(standing_allows(&admin, &Method::POST, Some("/api/v1/lots")).is_ok());
    }
}
