//! Who is calling: the `Authorization: Bearer TOKEN` of a REST request.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::security::hash_token;
use crate::storage::{Account, Role, SessionAccount};

use super::{ApiError, AppState};

/// The signed-in account making the request; 401 without a valid session.
#[derive(Clone, Debug)]
pub struct Caller(pub Account);

/// The signed-in account, if any (for routes open to anyone).
#[derive(Clone, Debug)]
pub struct MaybeCaller(pub Option<Account>);

impl Caller {
    pub fn require_role(&self, role: Role) -> Result<(), ApiError> {
        if self.0.role == role || self.0.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "only a {} may do this",
                role.as_str()
            )))
        }
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.0.role == Role::Admin {
            Ok(())
        } else {
            Err(ApiError::forbidden("only an admin may do this"))
        }
    }
}

/// The account behind a session token, if the session is valid now.
pub async fn account_for_token(state: &AppState, token: &str) -> Result<Option<Account>, ApiError> {
    let session = session_for_token(state, &hash_token(token)).await?;
    Ok(session.map(|session| session.account))
}

/// The session behind a token's hash, if it is valid now.
pub async fn session_for_token(
    state: &AppState,
    token_hash: &str,
) -> Result<Option<SessionAccount>, ApiError> {
    let session = state
        .store
        .session_account(token_hash, state.clock.now_ms())
        .await?;
    Ok(session)
}

/// The request's bearer token: `None` without an `Authorization` header, 401 for one that
/// is not `Bearer TOKEN`.
pub(super) fn bearer_token(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(header) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = header.to_str().map_err(|_| ApiError::unauthenticated())?;
    match value.strip_prefix("Bearer ") {
        Some(token) if !token.trim().is_empty() => Ok(Some(token.trim())),
        _ => Err(ApiError::unauthenticated()),
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let token = bearer_token(parts)?.ok_or_else(ApiError::unauthenticated)?;
        let account = account_for_token(state, token)
            .await?
            .ok_or_else(ApiError::unauthenticated)?;
        Ok(Caller(account))
    }
}

impl FromRequestParts<AppState> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<MaybeCaller, ApiError> {
        match bearer_token(parts)? {
            Some(token) => Ok(MaybeCaller(Some(
                account_for_token(state, token)
                    .await?
                    .ok_or_else(ApiError::unauthenticated)?,
            ))),
            None => Ok(MaybeCaller(None)),
        }
    }
}
