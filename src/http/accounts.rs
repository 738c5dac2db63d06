//! Accounts, sessions and real-name verification (SPEC §5).
//!
//! Choices where SPEC is silent:
//! - usernames are 3–64 characters of `[A-Za-z0-9_.-]`, kept and compared as typed;
//!   passwords 8–256 characters; display names 1–100 characters after trimming;
//! - an anonymous or non-admin request for an `auctioneer` or `admin` account is a 403;
//! - a wrong password and an unknown username get the same 401, after the same argon2 work;
//! - verifying an already verified account replaces its identity (an admin's correction);
//! - the identity (`real_name`, `id_type`, `id_number_masked`) is shown to the account
//!   itself and to admins; the id number is never stored or shown in clear;
//! - an account's `kind` (`individual`, the default, or `organisation`) is chosen at
//!   sign-up and never changes; an organisation is verified with its registered name as
//!   `real_name` and its unified social credit code (`unified_social_credit_code`, the
//!   only id type it takes, its check character validated), an individual with any
//!   personal id type but that one.
//! - a password change (`POST /me/password`) keeps the session that made it and signs out
//!   every other session of the account (their sockets on this node close with 4401);
//! - an account created with `must_change_password` may, until it changes its password,
//!   only read itself (`GET /me`), change the password and sign out: everything else is
//!   403 `password_change_required` (the guard in `super::guard`).

use crate::app::AppState;
use crate::text::{TextKind, forbidden_character_message, has_forbidden_character};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::{AccountKind, Role};
use crate::money::Money;
use crate::security;
use crate::security::IdNumberKey;
use crate::storage::accounts::{AccountDetails, Identity, NewAccount, NewIdentity};
use crate::storage::{Account, WalletSummary};
use crate::time_format::{self, Rfc3339};

use super::auth::SessionTokenHash;
use super::openapi::{ACCOUNTS, ErrorBody};
use super::throttle::Throttled;
use super::{Admin, ApiError, Caller, Json, MaybeCaller};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sign_up))
        .routes(routes!(sign_in))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(verify))
}

/// An account as the API shows it; the identity only to the account itself and admins.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Account)]
pub(super) struct AccountJson {
    id: i64,
    username: String,
    display_name: String,
    role: Role,
    /// A person (`individual`) or a company (`organisation`).
    kind: AccountKind,
    /// Real-name verified (实名认证) by an admin.
    verified: bool,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    created_at: i64,
    /// The verified identity: only to the account itself and admins, once verified. A
    /// person's real name, or an organisation's registered name.
    #[serde(skip_serializing_if = "Option::is_none")]
    real_name: Option<String>,
    /// `resident_id` (an 18-character PRC resident id), `unified_social_credit_code` (an
    /// organisation's) or another lowercase name; with `real_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "resident_id")]
    id_type: Option<String>,
    /// The id number with all but its first three and last four characters hidden; with
    /// `real_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "110***********002X")]
    id_number_masked: Option<String>,
    /// The account must change its password (`POST /me/password`) before anything else.
    must_change_password: bool,
    /// Suspended (停用) until then, if a suspension is recorded and not lifted; in the past
    /// once it has ended by itself.
    #[serde(
        with = "time_format::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[schema(value_type = Option<Rfc3339>)]
    suspended_until: Option<i64>,
}

impl AccountJson {
    pub(super) fn public(account: Account) -> AccountJson {
        AccountJson {
            id: account.id,
            username: account.username,
            display_name: account.display_name,
            role: account.role,
            kind: account.kind,
            verified: account.verified,
            created_at: account.created_at_ms,
            real_name: None,
            id_type: None,
            id_number_masked: None,
            must_change_password: account.must_change_password,
            suspended_until: account.suspended_until_ms,
        }
    }

    pub(super) fn with_identity(details: AccountDetails) -> AccountJson {
        let public = AccountJson::public(details.account);
        match details.identity {
            Some(identity) => AccountJson {
                real_name: Some(identity.real_name),
                id_type: Some(identity.id_type),
                id_number_masked: Some(identity.id_number_masked),
                ..public
            },
            None => public,
        }
    }
}

// ---------------------------------------------------------------------------------------
// POST /accounts
// ---------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct SignUp {
    /// 3 to 64 characters of letters, digits, `_`, `.` and `-`.
    #[schema(
        example = "alice",
        min_length = 3,
        max_length = 64,
        pattern = r"^[A-Za-z0-9_.-]{3,64}$"
    )]
    username: String,
    /// 8 to 256 characters.
    #[schema(min_length = 8, max_length = 256)]
    password: String,
    /// 1 to 100 characters after trimming.
    #[schema(example = "Alice Wang", min_length = 1, max_length = 100)]
    display_name: String,
    /// `bidder` (the default); `auctioneer`, `admin` and `supervisor` only by an admin.
    #[schema(value_type = Option<Role>)]
    role: Option<String>,
    /// `individual` (the default) or `organisation` (a company bidding in its own name).
    #[schema(value_type = Option<AccountKind>)]
    kind: Option<String>,
    /// Only by an admin: the account must change its password before anything else.
    #[serde(default)]
    must_change_password: bool,
}

/// Signs up a bidder; an admin also creates auctioneers, admins and supervisors, and may
/// require the new account to change its password first.
#[utoipa::path(
    post,
    path = "/accounts",
    operation_id = "sign_up",
    tag = ACCOUNTS,
    security((), ("bearer" = [])),
    request_body = SignUp,
    responses(
        (status = 201, description = "The new account", body = AccountJson),
        (status = 400, description = "`invalid_input`: a field breaks its rule", body = ErrorBody),
        (status = 401, description = "`not_authenticated`: a bearer token that is not valid", body = ErrorBody),
        (status = 403, description = "`forbidden`: a role other than `bidder`, or `must_change_password`, without being an admin; `password_change_required`; a supervisor's write", body = ErrorBody),
        (status = 409, description = "`username_taken`", body = ErrorBody),
    )
)]
async fn sign_up(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Json(request): Json<SignUp>,
) -> Result<(StatusCode, Json<AccountJson>), ApiError> {
    let role = request.requested_role()?;
    let kind = request.requested_kind()?;
    let caller_is_admin = caller.is_some_and(|caller| caller.role == Role::Admin);
    if role != Role::Bidder && !caller_is_admin {
        return Err(ApiError::forbidden(format!(
            "only an admin may create an {} account",
            role.as_str()
        )));
    }
    if request.must_change_password && !caller_is_admin {
        return Err(ApiError::forbidden(
            "only an admin may require a password change",
        ));
    }
    let display_name = request.checked_fields()?;
    let new_account = NewAccount {
        username: request.username,
        password_hash: hash_password(request.password).await?,
        display_name,
        role,
        kind,
        must_change_password: request.must_change_password,
    };
    let account = state
        .store
        .create_account(&new_account, state.clock.now_ms())
        .await?;
    Ok((StatusCode::CREATED, Json(AccountJson::public(account))))
}

impl SignUp {
    /// The role asked for (`bidder` unless given).
    pub(super) fn requested_role(&self) -> Result<Role, ApiError> {
        match self.role.as_deref() {
            None => Ok(Role::Bidder),
            Some(text) => Role::parse(text).ok_or_else(|| {
                ApiError::invalid(
                    "role must be \"bidder\", \"auctioneer\", \"admin\" or \"supervisor\"",
                )
            }),
        }
    }

    /// The kind asked for (`individual` unless given).
    pub(super) fn requested_kind(&self) -> Result<AccountKind, ApiError> {
        match self.kind.as_deref() {
            None => Ok(AccountKind::Individual),
            Some(text) => AccountKind::parse(text).ok_or_else(|| {
                ApiError::invalid("kind must be \"individual\" or \"organisation\"")
            }),
        }
    }

    /// The username and password checked, and the display name as it is kept.
    pub(super) fn checked_fields(&self) -> Result<String, ApiError> {
        validate_username(&self.username)?;
        validate_password(&self.password)?;
        validated_name("display_name", &self.display_name)
    }
}

const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=64;
const PASSWORD_CHARS: std::ops::RangeInclusive<usize> = 8..=256;
const NAME_CHARS: usize = 100;

pub(super) fn validate_username(username: &str) -> Result<(), ApiError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    if USERNAME_CHARS.contains(&username.len()) && username.chars().all(allowed) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            "username must be 3 to 64 characters of letters, digits, '_', '.' and '-'",
        ))
    }
}

pub(super) fn validate_password(password: &str) -> Result<(), ApiError> {
    if PASSWORD_CHARS.contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(ApiError::invalid("password must be 8 to 256 characters"))
    }
}

/// A person's or company's name: trimmed, 1 to 100 characters.
pub(super) fn validated_name(field: &str, name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > NAME_CHARS {
        return Err(ApiError::invalid(format!(
            "{field} must be 1 to {NAME_CHARS} characters"
        )));
    }
    if has_forbidden_character(name, TextKind::Line) {
        return Err(ApiError::invalid(forbidden_character_message(
            field,
            TextKind::Line,
        )));
    }
    Ok(name.to_owned())
}

/// argon2id off the runtime's workers, a bounded number at a time.
async fn hash_password(password: String) -> Result<String, ApiError> {
    security::hash_password_in_pool(password)
        .await
        .map_err(ApiError::internal)
}

// ---------------------------------------------------------------------------------------
// POST /sessions
// ---------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct SignIn {
    #[schema(example = "alice")]
    username: String,
    password: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Session)]
struct SessionJson {
    /// The bearer token for REST (`Authorization: Bearer TOKEN`) and the WebSocket `auth`.
    token: String,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    expires_at: i64,
    account: AccountJson,
}

/// Signs in: a session token valid for the server's `--session-ttl-secs`. Failed sign-ins
/// are counted per username and per client address; over either limit, sign-ins are
/// refused with 429 until the window that began at the first failure ends.
#[utoipa::path(
    post,
    path = "/sessions",
    operation_id = "sign_in",
    tag = ACCOUNTS,
    request_body = SignIn,
    responses(
        (status = 200, description = "A new session", body = SessionJson),
        (status = 400, description = "`invalid_input`: not a sign-in body", body = ErrorBody),
        (status = 401, description = "`invalid_credentials`: wrong username or password", body = ErrorBody),
        (status = 429, description = "`rate_limited`: too many failed sign-ins to this username, or from this address, within `--sign-in-window-secs`; `Retry-After` says when to try again",
            headers(("Retry-After" = u64, description = "Seconds until a sign-in is taken again")),
            body = ErrorBody),
    )
)]
async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(request): Json<SignIn>,
) -> Result<Json<SessionJson>, ApiError> {
    let address = peer.ip();
    let throttle = &state.sign_in_throttle;
    throttle
        .check(&request.username, address, Instant::now())
        .map_err(|throttled| {
            metrics::counter!("bidroom_sign_in_refusals_total", "by" => throttled.by())
                .increment(1);
            ApiError::rate_limited(
                format!(
                    "too many failed sign-ins {}: try again later",
                    match throttled {
                        Throttled::Username { .. } => "to this username",
                        Throttled::Address { .. } => "from this address",
                    }
                ),
                throttled.retry_after().as_secs_f64().ceil() as u64,
            )
        })?;
    let credentials = state.store.account_credentials(&request.username).await?;
    let (account, stored_hash) = credentials.unzip();
    let password = request.password;
    // An unknown username is checked against a decoy hash: it takes as long to refuse.
    let matches = security::verify_password_in_pool(password, stored_hash)
        .await
        .map_err(ApiError::internal)?;
    let Some(account) = account.filter(|_| matches) else {
        throttle.record_failure(&request.username, address, Instant::now());
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong username or password",
        ));
    };
    throttle.record_success(&request.username);
    Ok(Json(new_session(&state, account).await?))
}

/// Opens a session for the account, valid for `session_ttl_secs`.
async fn new_session(state: &AppState, account: Account) -> Result<SessionJson, ApiError> {
    let (token, token_hash) = security::new_session_token();
    let now_ms = state.clock.now_ms();
    let expires_at_ms = session_expires_at_ms(state, now_ms);
    state
        .store
        .create_session(&token_hash, account.id, now_ms, expires_at_ms)
        .await?;
    Ok(SessionJson {
        token,
        expires_at: expires_at_ms,
        account: AccountJson::public(account),
    })
}

/// When a session opened at `now_ms` expires: `session_ttl_secs` later.
pub(super) fn session_expires_at_ms(state: &AppState, now_ms: i64) -> i64 {
    let ttl_ms =
        i64::try_from(state.config.session_ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX / 2);
    now_ms.saturating_add(ttl_ms)
}

// ---------------------------------------------------------------------------------------
// GET /me
// ---------------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Me)]
struct MeJson {
    #[serde(flatten)]
    account: AccountJson,
    wallet: WalletJson,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WalletSummary)]
struct WalletJson {
    /// The 12-digit virtual account number (虚拟子账号) bank transfers are made to.
    #[schema(example = "621000000017")]
    account_number: String,
    #[schema(example = "CNY")]
    currency: String,
    available: Money,
    frozen: Money,
}

impl From<WalletSummary> for WalletJson {
    fn from(wallet: WalletSummary) -> WalletJson {
        WalletJson {
            account_number: wallet.account_number,
            currency: wallet.currency,
            available: wallet.available,
            frozen: wallet.frozen,
        }
    }
}

/// The signed-in account, with its identity and its wallet's balances.
#[utoipa::path(
    get,
    path = "/me",
    operation_id = "get_me",
    tag = ACCOUNTS,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account", body = MeJson),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
    )
)]
async fn me(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Json<MeJson>, ApiError> {
    let details = state
        .store
        .account_details(caller.id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let wallet = state.store.wallet_summary(caller.id).await?;
    Ok(Json(MeJson {
        account: AccountJson::with_identity(details),
        wallet: wallet.into(),
    }))
}

// ---------------------------------------------------------------------------------------
// POST /me/password
// ---------------------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
pub(super) struct PasswordChange {
    /// The password now.
    current: String,
    /// 8 to 256 characters, as at sign-up.
    #[schema(min_length = 8, max_length = 256)]
    new: String,
}

/// Changes the caller's password (and ends a required change). The session that makes the
/// change stays signed in; every other session of the account is signed out.
#[utoipa::path(
    post,
    path = "/me/password",
    operation_id = "change_password",
    tag = ACCOUNTS,
    security(("bearer" = [])),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed: other sessions are signed out"),
        (status = 400, description = "`invalid_input`: the new password breaks sign-up's rule (8 to 256 characters)", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`wrong_password`: `current` is not the password", body = ErrorBody),
    )
)]
async fn change_password(
    State(state): State<AppState>,
    Caller(caller): Caller,
    SessionTokenHash(token_hash): SessionTokenHash,
    Json(request): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    validate_password(&request.new)?;
    let stored_hash = state.store.password_hash(caller.id).await?;
    if stored_hash.is_none() {
        return Err(ApiError::unauthenticated());
    }
    let matches = security::verify_password_in_pool(request.current, stored_hash)
        .await
        .map_err(ApiError::internal)?;
    if !matches {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_password",
            "the current password is wrong",
        ));
    }
    let new_hash = hash_password(request.new).await?;
    let signed_out = state
        .store
        .change_password(caller.id, &new_hash, &token_hash)
        .await
        .map_err(|error| not_found_as(error, "account"))?;
    for other in &signed_out {
        state.connections.sign_out(other);
    }
    Ok(StatusCode::NO_CONTENT)
}

// ---------------------------------------------------------------------------------------
// POST /accounts/{id}/verification
// ---------------------------------------------------------------------------------------

#[derive(Clone, Debug, Deserialize, ToSchema)]
pub(super) struct Verification {
    /// A person's real name, or an organisation's registered name (as on its business
    /// licence); 1 to 100 characters after trimming.
    #[schema(example = "张三")]
    real_name: String,
    /// For `resident_id`, 18 characters whose check digit is right; for
    /// `unified_social_credit_code`, 18 characters whose check character is right (GB
    /// 32100-2015); kept only masked and hashed.
    #[schema(example = "11010519491231002X")]
    id_number: String,
    /// For an individual, `resident_id` (the default) or another lowercase name such as
    /// `passport`; for an organisation, `unified_social_credit_code` (the default and the
    /// only one).
    #[schema(example = "resident_id")]
    id_type: Option<String>,
}

const RESIDENT_ID: &str = "resident_id";
const CREDIT_CODE: &str = "unified_social_credit_code";

/// Real-name verification (实名认证) of an account, by an admin; again replaces it. An
/// organisation is verified with its registered name and unified social credit code.
#[utoipa::path(
    post,
    path = "/accounts/{id}/verification",
    operation_id = "verify_account",
    tag = ACCOUNTS,
    security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The account's id")),
    request_body = Verification,
    responses(
        (status = 200, description = "The verified account, with its identity", body = AccountJson),
        (status = 400, description = "`invalid_input`: a bad name, id type or id number (a resident id's check digit, a credit code's check character); an id type that is not the account kind's", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such account", body = ErrorBody),
    )
)]
async fn verify(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
    Json(request): Json<Verification>,
) -> Result<Json<AccountJson>, ApiError> {
    let id = parse_id(&id, "account")?;
    let account = state
        .store
        .account_details(id)
        .await?
        .ok_or_else(|| ApiError::not_found("account"))?;
    let identity = new_identity(request, account.account.kind, &state.id_number_key)?;
    let details = state
        .store
        .verify_account(id, &identity, state.clock.now_ms())
        .await
        .map_err(|error| not_found_as(error, "account"))?;
    Ok(Json(AccountJson::with_identity(details)))
}

/// Checks the id number (a resident id's check digit, a credit code's check character)
/// against the account's kind and keeps only its mask and hash.
pub(super) fn new_identity(
    request: Verification,
    kind: AccountKind,
    key: &IdNumberKey,
) -> Result<NewIdentity, ApiError> {
    let real_name = validated_name("real_name", &request.real_name)?;
    let id_type = request.id_type.unwrap_or_else(|| {
        match kind {
            AccountKind::Individual => RESIDENT_ID,
            AccountKind::Organisation => CREDIT_CODE,
        }
        .to_owned()
    });
    let valid_type = (1..=32).contains(&id_type.len())
        && id_type.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    if !valid_type {
        return Err(ApiError::invalid(
            "id_type is a lowercase name such as \"resident_id\" or \"passport\"",
        ));
    }
    match (kind, id_type == CREDIT_CODE) {
        (AccountKind::Organisation, false) => {
            return Err(ApiError::invalid(
                "an organisation is verified with its unified_social_credit_code",
            ));
        }
        (AccountKind::Individual, true) => {
            return Err(ApiError::invalid(
                "a unified_social_credit_code verifies an organisation, not an individual",
            ));
        }
        _ => {}
    }
    let id_number = match id_type.as_str() {
        RESIDENT_ID => security::normalize_resident_id(&request.id_number),
        CREDIT_CODE => security::normalize_unified_social_credit_code(&request.id_number),
        _ => security::normalize_other_id(&request.id_number),
    }
    .map_err(|error| ApiError::invalid(error.to_string()))?;
    Ok(NewIdentity {
        id_number_hash: key.hash(&id_type, &id_number),
        identity: Identity {
            real_name,
            id_number_masked: security::mask_id_number(&id_number),
            id_type,
        },
    })
}

// ---------------------------------------------------------------------------------------
// Shared by the REST modules
// ---------------------------------------------------------------------------------------

/// An id from the path; anything but a positive integer names nothing (404).
pub(super) fn parse_id(text: &str, what: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::not_found(what))
}

/// A storage `NotFound` named after what was looked for.
pub(super) fn not_found_as(error: crate::storage::StoreError, what: &str) -> ApiError {
    match error {
        crate::storage::StoreError::NotFound => ApiError::not_found(what),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_short_plain_names() {
        for good in ["bob", "alice.w", "user_01-x"] {
            assert!(validate_username(good).is_ok(), "{good}");
        }
        for bad in ["", "ab", "has space", "名字名字", &"x".repeat(65)] {
            assert!(validate_username(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_verification_keeps_only_the_mask_and_the_hash() {
        let identity = new_identity(
            Verification {
                real_name: " 张三 ".to_owned(),
                id_number: "11010519491231002x".to_owned(),
                id_type: None,
            },
            AccountKind::Individual,
            &IdNumberKey::ephemeral(),
        )
        .unwrap();
        assert_eq!(identity.identity.real_name, "张三");
        assert_eq!(identity.identity.id_type, "resident_id");
        assert_eq!(identity.identity.id_number_masked, "110***********002X");
        assert!(!identity.id_number_hash.contains("11010519491231002X"));
    }

    fn verification(id_number: &str, id_type: Option<&str>) -> Verification {
        Verification {
            real_name: "长沙星城置业有限公司".to_owned(),
            id_number: id_number.to_owned(),
            id_type: id_type.map(str::to_owned),
        }
    }

    #[test]
    fn an_organisation_is_verified_with_its_credit_code_by_default() {
        let identity = new_identity(
            verification("9144030071526726xg", None),
            AccountKind::Organisation,
            &IdNumberKey::ephemeral(),
        )
        .unwrap();
        assert_eq!(identity.identity.id_type, "unified_social_credit_code");
        assert_eq!(identity.identity.id_number_masked, "914***********26XG");
    }

    #[test]
    fn an_id_type_that_is_not_the_kinds_is_refused() {
        let key = IdNumberKey::ephemeral();
        let organisation_by_resident_id = new_identity(
            verification("11010519491231002X", Some("resident_id")),
            AccountKind::Organisation,
            &key,
        );
        assert!(organisation_by_resident_id.is_err());
        let individual_by_credit_code = new_identity(
            verification("9144030071526726XG", Some("unified_social_credit_code")),
            AccountKind::Individual,
            &key,
        );
        assert!(individual_by_credit_code.is_err());
        let wrong_check_character = new_identity(
            verification("9144030071526726XH", None),
            AccountKind::Organisation,
            &key,
        );
        assert!(wrong_check_character.is_err());
    }
}
