//! Who is calling: the `Authorization: Bearer TOKEN` of a REST request.
//!
//! Authorization comes before validation (SPEC §8): a route that needs a role takes it as
//! an extractor ([`Admin`], [`Auctioneer`], [`Bidder`], [`BankOrAdmin`]) placed before its
//! path, query and body, so that a caller without the role gets 401 or 403 whatever the
//! rest of its request holds. What depends on the record (the lot's own auctioneer, the
//! application's bidder) is judged in the handler, once the record is found. Each route's
//! roles are also in its OpenAPI `security` (`("bearer" = ["admin"])`), which
//! `tests/hostile_rest.rs` walks.
//!
//! Before any of this, the guard (`super::guard`) refuses what an account's standing
//! forbids on every route at once: a supervisor's writes, and everything but a few routes
//! while a password change is required. [`Admin`] on a read also admits a supervisor.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method};

use crate::app::AppState;
use crate::domain::Role;
use crate::security::hash_token;
use crate::storage::Account;

use super::ApiError;

/// The signed-in account making the request; 401 without a valid session.
#[derive(Clone, Debug)]
pub struct Caller(pub Account);

/// The signed-in account, if any (for routes open to anyone).
#[derive(Clone, Debug)]
pub struct MaybeCaller(pub Option<Account>);

/// An admin; 401 without a session, 403 for any other account.
#[derive(Clone, Debug)]
pub struct Admin(pub Account);

/// An auctioneer or an admin (who may do whatever an auctioneer may).
#[derive(Clone, Debug)]
pub struct Auctioneer(pub Account);

/// A bidder account: the only kind that applies, lodges deposits and wins.
#[derive(Clone, Debug)]
pub struct Bidder(pub Account);

/// The bank integration, which signs the raw body with `X-Signature` (checked once the
/// body is read, in `money::bank`), or else an admin's bearer token.
#[derive(Clone, Debug)]
pub enum BankOrAdmin {
    Bank { signature: HeaderValue },
    Admin(Account),
}

/// The hash of the request's bearer token (401 without one).
pub(super) struct SessionTokenHash(pub String);

impl FromRequestParts<AppState> for SessionTokenHash {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<SessionTokenHash, ApiError> {
        let token = bearer_token(parts)?.ok_or_else(ApiError::unauthenticated)?;
        Ok(SessionTokenHash(hash_token(token)))
    }
}

/// The account the guard (`super::guard`) found behind the request's token, kept in the
/// request's extensions so that the extractors read the session once.
#[derive(Clone, Debug)]
pub(super) struct Authenticated(pub Account);

/// The header the bank integration signs its requests with.
pub const SIGNATURE_HEADER: &str = "x-signature";

/// The account behind a session token, if the session is valid now.
pub async fn account_for_token(state: &AppState, token: &str) -> Result<Option<Account>, ApiError> {
    let session = state.session(&hash_token(token)).await?;
    Ok(session.map(|session| session.account))
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
        if let Some(Authenticated(account)) = parts.extensions.get::<Authenticated>() {
            return Ok(Caller(account.clone()));
        }
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
        if let Some(Authenticated(account)) = parts.extensions.get::<Authenticated>() {
            return Ok(MaybeCaller(Some(account.clone())));
        }
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

/// Whether a request only reads: what a supervisor may send.
pub(super) fn is_read(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The signed-in caller, if it has one of `roles`: 401 without a session, 403 otherwise.
async fn caller_with_role(
    parts: &mut Parts,
    state: &AppState,
    roles: &[Role],
    refusal: &str,
) -> Result<Account, ApiError> {
    let Caller(account) = Caller::from_request_parts(parts, state).await?;
    if roles.contains(&account.role) {
        Ok(account)
    } else {
        Err(ApiError::forbidden(refusal))
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Admin, ApiError> {
        // A supervisor reads whatever an admin reads; its writes never get this far (the
        // guard refuses them).
        let roles: &[Role] = if is_read(&parts.method) {
            &[Role::Admin, Role::Supervisor]
        } else {
            &[Role::Admin]
        };
        caller_with_role(parts, state, roles, "only an admin may do this")
            .await
            .map(Admin)
    }
}

impl FromRequestParts<AppState> for Auctioneer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Auctioneer, ApiError> {
        let roles: &[Role] = if is_read(&parts.method) {
            &[Role::Auctioneer, Role::Admin, Role::Supervisor]
        } else {
            &[Role::Auctioneer, Role::Admin]
        };
        caller_with_role(
            parts,
            state,
            roles,
            "only an auctioneer or an admin may do this",
        )
        .await
        .map(Auctioneer)
    }
}

impl FromRequestParts<AppState> for Bidder {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Bidder, ApiError> {
        caller_with_role(
            parts,
            state,
            &[Role::Bidder],
            "only a bidder account may do this",
        )
        .await
        .map(Bidder)
    }
}

impl FromRequestParts<AppState> for BankOrAdmin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<BankOrAdmin, ApiError> {
        // A request with a signature is judged by it alone.
        if let Some(signature) = parts.headers.get(SIGNATURE_HEADER) {
            return Ok(BankOrAdmin::Bank {
                signature: signature.clone(),
            });
        }
        caller_with_role(
            parts,
            state,
            &[Role::Admin],
            "only the bank (signed) or an admin may do this",
        )
        .await
        .map(BankOrAdmin::Admin)
    }
}
