//! `POST /admin/seed/bidders`: bidders ready to bid, in bulk, for load tests only.
//!
//! Off unless the server was started with `--allow-bulk-seed` (then 404, as if the route
//! did not exist); never turn it on in production: it creates accounts that are verified
//! without any identity check and have money no bank transfer stands behind. With it on,
//! an admin sends
//!
//! ```json
//! {"username_prefix": "lt-b", "first_index": 0, "count": 1000, "password": "...",
//!  "top_up": "20000.00", "registrations": [{"lot": 7, "bidders": [0, 1, 2]}]}
//! ```
//!
//! and gets back `201 {"expires_at", "bidders": [{"index", "id", "username", "token",
//! "registrations": [{"lot_id", "application_id", "bidder_number"}]}]}`: `count` bidders
//! named `{username_prefix}{first_index + i}`, all with `password` (hashed once per
//! request), each verified, signed in (the `token`), credited `top_up` by a `top_up`
//! ledger transaction, and registered in the lots that list it (by its index `i` in this
//! request): applied, approved with a bidder number as an ordinary approval draws it, and
//! the lot's fixed deposit lodged by a `deposit_freeze` ledger transaction. The request is
//! one database transaction: all of it happens, or (on any refusal) none of it. The
//! lots' rooms take the new roster before their next command.
//!
//! Refusals: 404 when off; 401/403 for anyone but an admin; 413 over a 1 MiB body
//! ([`MAX_SEED_BODY_BYTES`], this route's own limit); 400 for a malformed request
//! (over [`SEED_BIDDERS_PER_REQUEST`] bidders or [`SEED_REGISTRATIONS_PER_REQUEST`]
//! registrations, an index outside `0..count`, a username or password the sign-up rules
//! refuse); 404 for an unknown or draft lot; 409 `applications_closed`, `username_taken`,
//! `already_applied`, `insufficient_funds` (the top-up does not cover the deposits), or a
//! deposit refusal's code (a range deposit, a passed deposit deadline).

use std::collections::BTreeSet;

use axum::extract::{DefaultBodyLimit, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::auction::LotState;
use crate::domain::{AccountKind, LotId, Role};
use crate::limits::{
    MAX_SEED_BODY_BYTES, SEED_BIDDERS_PER_REQUEST, SEED_REGISTRATIONS_PER_REQUEST,
};
use crate::money::Money;
use crate::security;
use crate::security::IdNumberKey;
use crate::storage::accounts::{Identity, NewAccount, NewIdentity};
use crate::storage::seed::{SeedBatch, SeedBidder, SeedRegistration, SeededBidder};
use crate::time_format::{self, Rfc3339};

use super::accounts::{session_expires_at_ms, validate_password, validate_username};
use super::openapi::{ErrorBody, OPERATIONS};
use super::{Admin, ApiError, Body, Json};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(seed_bidders))
        .layer(DefaultBodyLimit::max(MAX_SEED_BODY_BYTES))
}

/// The server runs with `--allow-bulk-seed`; without it the route answers 404 to anyone,
/// as if it did not exist.
struct BulkSeedAllowed;

impl FromRequestParts<AppState> for BulkSeedAllowed {
    type Rejection = ApiError;

    async fn from_request_parts(
        _parts: &mut Parts,
        state: &AppState,
    ) -> Result<BulkSeedAllowed, ApiError> {
        if state.config.allow_bulk_seed {
            Ok(BulkSeedAllowed)
        } else {
            Err(ApiError::not_found("route"))
        }
    }
}

/// The identity type seeded accounts are verified with: anyone reading the account sees
/// that no identity was checked.
const SEEDED_ID_TYPE: &str = "bulk_seed";
const SEEDED_REAL_NAME: &str = "Bulk-seeded bidder (no identity checked)";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SeedRequest {
    /// Bidders are named `{username_prefix}{first_index + i}`.
    #[schema(example = "lt-b")]
    username_prefix: String,
    #[serde(default)]
    first_index: u64,
    /// 1 to the server's per-request limit.
    #[schema(minimum = 1, example = 1000)]
    count: usize,
    password: String,
    /// Credited to every bidder by a `top_up` ledger transaction.
    #[schema(value_type = Option<Money>)]
    top_up: Option<String>,
    #[serde(default)]
    registrations: Vec<LotRegistrations>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SeedLotRegistrations)]
struct LotRegistrations {
    #[schema(value_type = i64)]
    lot: LotId,
    /// Indexes into this request's bidders.
    bidders: Vec<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Seeded)]
struct SeededJson {
    /// When every seeded session expires.
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    expires_at: i64,
    bidders: Vec<SeededBidderJson>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SeededBidder)]
struct SeededBidderJson {
    index: usize,
    id: i64,
    username: String,
    token: String,
    registrations: Vec<RegistrationJson>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SeededRegistration)]
struct RegistrationJson {
    #[schema(value_type = i64)]
    lot_id: LotId,
    application_id: i64,
    bidder_number: Option<String>,
}

/// One seed at a time: each draws bidder numbers from what it read of its lots, which a
/// second seed into the same lots at the same moment would not see.
static SEEDING: Mutex<()> = Mutex::const_new(());

/// Load tests only: bidders ready to bid, in bulk (see the module's documentation). Off
/// unless the server runs with `--allow-bulk-seed`.
#[utoipa::path(
    post,
    path = "/admin/seed/bidders",
    operation_id = "seed_bidders",
    tag = OPERATIONS,
    security(("bearer" = ["admin"])),
    request_body(content = SeedRequest, description = "At most 1 MiB (this route's own body limit)"),
    responses(
        (status = 201, description = "The seeded bidders with their session tokens and registrations", body = SeededJson),
        (status = 400, description = "`invalid_input`: a malformed request, too many bidders or registrations, a bad username or password", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: the server runs without `--allow-bulk-seed`; or no such lot", body = ErrorBody),
        (status = 409, description = "`applications_closed`, `username_taken`, `already_applied`, `insufficient_funds`, or a deposit refusal's code", body = ErrorBody),
    )
)]
async fn seed_bidders(
    State(state): State<AppState>,
    _on: BulkSeedAllowed,
    _admin: Admin,
    Body(body): Body,
) -> Result<(StatusCode, Json<SeededJson>), ApiError> {
    let request: SeedRequest = serde_json::from_slice(&body)
        .map_err(|error| ApiError::invalid(format!("not a seed request: {error}")))?;
    let registrations = registrations(&request)?;
    let usernames = usernames(&request)?;
    validate_password(&request.password)?;
    let top_up = request
        .top_up
        .as_deref()
        .map(|amount| {
            Money::parse_positive(amount)
                .map_err(|error| ApiError::invalid(format!("top_up: {error}")))
        })
        .transpose()?;
    let lots: BTreeSet<LotId> = registrations
        .iter()
        .map(|registration| registration.lot)
        .collect();
    for &lot in &lots {
        taking_applications(&state, lot).await?;
    }

    let password_hash = security::hash_password_in_pool(request.password)
        .await
        .map_err(ApiError::internal)?;
    let (tokens, bidders): (Vec<String>, Vec<SeedBidder>) = usernames
        .into_iter()
        .map(|username| {
            let (token, token_hash) = security::new_session_token();
            (
                token,
                seed_bidder(
                    &state.id_number_key,
                    username,
                    password_hash.clone(),
                    token_hash,
                ),
            )
        })
        .unzip();
    let now_ms = state.clock.now_ms();
    let batch = SeedBatch {
        bidders,
        top_up,
        registrations,
        session_expires_at_ms: session_expires_at_ms(&state, now_ms),
    };
    let seeded = {
        let _one_at_a_time = SEEDING.lock().await;
        state.store.seed_bidders(&batch, now_ms).await?
    };
    for &lot in &lots {
        state.rooms.roster_reloaded(lot).await?;
    }
    tracing::info!(
        bidders = seeded.len(),
        registrations = batch.registrations.len(),
        "bulk-seeded bidders"
    );
    let bidders = seeded
        .into_iter()
        .zip(tokens)
        .enumerate()
        .map(|(index, (bidder, token))| render(index, bidder, token))
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(SeededJson {
            expires_at: batch.session_expires_at_ms,
            bidders,
        }),
    ))
}

/// The registrations, bidder by bidder within each lot, checked against the limits.
fn registrations(request: &SeedRequest) -> Result<Vec<SeedRegistration>, ApiError> {
    if !(1..=SEED_BIDDERS_PER_REQUEST).contains(&request.count) {
        return Err(ApiError::invalid(format!(
            "count is 1 to {SEED_BIDDERS_PER_REQUEST} bidders a request"
        )));
    }
    let total: usize = request
        .registrations
        .iter()
        .map(|lot| lot.bidders.len())
        .sum();
    if total > SEED_REGISTRATIONS_PER_REQUEST {
        return Err(ApiError::invalid(format!(
            "at most {SEED_REGISTRATIONS_PER_REQUEST} registrations a request"
        )));
    }
    let mut registrations = Vec::with_capacity(total);
    for lot in &request.registrations {
        for &bidder in &lot.bidders {
            if bidder >= request.count {
                return Err(ApiError::invalid(format!(
                    "lot {}: bidder {bidder} is not in 0..{}",
                    lot.lot, request.count
                )));
            }
            registrations.push(SeedRegistration {
                bidder,
                lot: lot.lot,
            });
        }
    }
    Ok(registrations)
}

/// `{username_prefix}{first_index + i}` for each bidder, valid as a sign-up's would be.
/// The names differ only in their trailing digits and grow with the index: if the first
/// and the last are valid, every one is.
fn usernames(request: &SeedRequest) -> Result<Vec<String>, ApiError> {
    let usernames: Vec<String> = (0..request.count as u64)
        .map(|offset| {
            let index = request.first_index.saturating_add(offset);
            format!("{}{index}", request.username_prefix)
        })
        .collect();
    for username in [usernames.first(), usernames.last()].into_iter().flatten() {
        validate_username(username)?;
    }
    Ok(usernames)
}

/// The lot exists, is not a draft, and takes applications now (as `POST
/// /lots/{id}/applications` requires).
async fn taking_applications(state: &AppState, id: LotId) -> Result<(), ApiError> {
    let lot = state
        .store
        .get_lot(id)
        .await?
        .filter(|lot| lot.state != LotState::Draft)
        .ok_or_else(|| ApiError::not_found("lot"))?;
    let live_state = state.rooms.lot_view(&lot).await?.state;
    let accepting = matches!(live_state, LotState::Published | LotState::Open)
        && state.clock.now_ms() < lot.applications_close_at_ms;
    if accepting {
        Ok(())
    } else {
        Err(ApiError::conflict(
            "applications_closed",
            format!("lot {id} is not taking applications"),
        ))
    }
}

fn seed_bidder(
    key: &IdNumberKey,
    username: String,
    password_hash: String,
    token_hash: String,
) -> SeedBidder {
    SeedBidder {
        identity: NewIdentity {
            id_number_hash: key.hash(SEEDED_ID_TYPE, &username),
            identity: Identity {
                real_name: SEEDED_REAL_NAME.to_owned(),
                id_type: SEEDED_ID_TYPE.to_owned(),
                id_number_masked: String::new(),
            },
        },
        account: NewAccount {
            display_name: username.clone(),
            username,
            password_hash,
            role: Role::Bidder,
            kind: AccountKind::Individual,
            must_change_password: false,
        },
        token_hash,
    }
}

fn render(index: usize, bidder: SeededBidder, token: String) -> SeededBidderJson {
    SeededBidderJson {
        index,
        id: bidder.account.id,
        username: bidder.account.username,
        token,
        registrations: bidder
            .applications
            .into_iter()
            .map(|application| RegistrationJson {
                lot_id: application.lot_id,
                application_id: application.id,
                bidder_number: application.bidder_number,
            })
            .collect(),
    }
}
