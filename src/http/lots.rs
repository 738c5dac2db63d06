//! Lots (SPEC §2, §5): create, list, show, publish; their applications and their bids.
//!
//! Choices where SPEC is silent:
//! - a draft is visible only to its auctioneer and admins; to anyone else it does not exist
//!   (404, and absent from listings);
//! - `reserve_price` is shown (possibly `null`) only to the lot's auctioneer and admins;
//!   everyone sees `has_reserve`;
//! - a lot whose `ends_at` has passed cannot be published (409 `lot_ended`);
//! - unknown fields in a new lot are refused (400), so that a misspelt term is not lost;
//! - `fee_rate` has at most 6 decimal places (what PostgreSQL keeps);
//! - `settlement_due_at`, when given, is after `ends_at`;
//! - `GET /lots` is newest first, at most `limit` (default 100, at most 1000) lots.

pub(super) mod applications;

pub(super) use applications::ApplicationJson;
mod bidding;
mod items;
pub(super) mod terms;

use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::auction::LotState;
use crate::domain::{DepositTerms, LotId, Role};
use crate::limits::MAX_LOT_BODY_BYTES;
use crate::money::Money;
use crate::rooms::LotView;
use crate::storage::announcements::AnnouncementKind;
use crate::storage::lots::{DraftVisibility, LotFilter};
use crate::storage::{Account, Lot};
use crate::time_format::{self, Rfc3339};

use super::accounts::parse_id;
use super::openapi::{ErrorBody, LOTS};
use super::{ApiError, Auctioneer, Bidder, Body, Caller, Json, MaybeCaller, paging};

pub fn routes() -> OpenApiRouter<AppState> {
    // A lot's terms may hold a long description: this path has a body limit of its own.
    let terms = OpenApiRouter::new()
        .routes(routes!(create, list))
        .layer(DefaultBodyLimit::max(MAX_LOT_BODY_BYTES));
    OpenApiRouter::new()
        .merge(terms)
        .routes(routes!(show))
        .routes(routes!(publish))
        .merge(applications::routes())
        .merge(bidding::routes())
        .merge(items::routes())
}

// ---------------------------------------------------------------------------------------
// Who sees what
// ---------------------------------------------------------------------------------------

/// The lot's own auctioneer, an admin or a supervisor: sees drafts, the reserve, real identities.
fn runs_lot(caller: Option<&Account>, lot: &Lot) -> bool {
    caller.is_some_and(|caller| caller.role.oversees_everything() || caller.id == lot.auctioneer_id)
}

/// The lot, if it exists and the caller may see it (a draft only by whoever runs it).
async fn visible_lot(
    state: &AppState,
    caller: Option<&Account>,
    id: &str,
) -> Result<Lot, ApiError> {
    let id: LotId = parse_id(id, "lot")?;
    match state.store.get_lot(id).await? {
        Some(lot) if lot.state != LotState::Draft || runs_lot(caller, &lot) => Ok(lot),
        _ => Err(ApiError::not_found("lot")),
    }
}

/// The lot, which the caller must run (403 otherwise; 404 if the caller cannot see it).
async fn run_lot(state: &AppState, caller: &Account, id: &str) -> Result<Lot, ApiError> {
    let lot = visible_lot(state, Some(caller), id).await?;
    if runs_lot(Some(caller), &lot) {
        Ok(lot)
    } else {
        Err(ApiError::forbidden(
            "only the lot's auctioneer or an admin may do this",
        ))
    }
}

// ---------------------------------------------------------------------------------------
// The lot as the API shows it
// ---------------------------------------------------------------------------------------

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Lot)]
struct LotJson {
    #[schema(value_type = i64)]
    id: LotId,
    auctioneer_id: i64,
    title: String,
    description: String,
    #[schema(example = "CNY")]
    currency: String,
    start_price: Money,
    increment: Money,
    /// Absent for bidders and the public; `null` or the amount for whoever runs the lot.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Money>)]
    reserve_price: Option<Option<Money>>,
    has_reserve: bool,
    deposit: DepositJson,
    /// The buyer's fee as a fraction of the price, a decimal string from "0" below "1".
    #[schema(example = "0.01")]
    fee_rate: String,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    applications_close_at: i64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    deposit_deadline: i64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    starts_at: i64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    ends_at: i64,
    extension_window_secs: u32,
    max_extensions: Option<u32>,
    /// `reset` or `add`.
    #[schema(value_type = String, example = "reset")]
    extension_mode: &'static str,
    #[serde(with = "time_format::rfc3339::option")]
    #[schema(value_type = Option<Rfc3339>)]
    settlement_due_at: Option<i64>,
    /// The live state (from the room, when it runs): `draft`, `published`, `open`,
    /// `paused`, `closed` or `cancelled`.
    #[schema(value_type = String, example = "open")]
    state: &'static str,
    /// `sold` or `unsold` once closed.
    #[schema(value_type = Option<String>, example = "sold")]
    result: Option<&'static str>,
    /// The highest accepted bid, `null` before the first.
    price: Option<Money>,
    /// The leader's bidder number.
    leader: Option<String>,
    /// When bidding ends now (extensions included).
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    deadline: i64,
    bid_count: u64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    created_at: i64,
}

/// A fixed deposit, or a range the bidder chooses from.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[schema(as = DepositTerms)]
pub(super) enum DepositJson {
    Fixed { amount: Money },
    Range { min: Money, max: Money },
}

impl From<DepositTerms> for DepositJson {
    fn from(terms: DepositTerms) -> DepositJson {
        match terms {
            DepositTerms::Fixed(amount) => DepositJson::Fixed { amount },
            DepositTerms::Range { min, max } => DepositJson::Range { min, max },
        }
    }
}

impl LotJson {
    fn new(lot: Lot, view: LotView, caller: Option<&Account>) -> LotJson {
        let reserve_price = runs_lot(caller, &lot).then_some(lot.reserve_price);
        let deposit = DepositJson::from(lot.deposit);
        LotJson {
            id: lot.id,
            auctioneer_id: lot.auctioneer_id,
            title: lot.title,
            description: lot.description,
            currency: lot.currency,
            start_price: lot.start_price,
            increment: lot.increment,
            reserve_price,
            has_reserve: lot.reserve_price.is_some(),
            deposit,
            fee_rate: lot.fee_rate.normalize().to_string(),
            applications_close_at: lot.applications_close_at_ms,
            deposit_deadline: lot.deposit_deadline_ms,
            starts_at: lot.starts_at_ms,
            ends_at: lot.ends_at_ms,
            extension_window_secs: lot.extension_window_secs,
            max_extensions: lot.max_extensions,
            extension_mode: lot.extension_mode.as_str(),
            settlement_due_at: lot.settlement_due_at_ms,
            state: view.state.as_str(),
            result: view.result.or(lot.result).map(|result| result.as_str()),
            price: view.price,
            leader: view.leader.map(|leader| leader.to_string()),
            deadline: view.deadline_ms,
            bid_count: view.bid_count,
            created_at: lot.created_at_ms,
        }
    }
}

async fn lot_json(
    state: &AppState,
    lot: Lot,
    caller: Option<&Account>,
) -> Result<LotJson, ApiError> {
    let view = state.rooms.lot_view(&lot).await?;
    Ok(LotJson::new(lot, view, caller))
}

// ---------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------

/// Creates a lot, as a draft, on the terms in the body.
#[utoipa::path(
    post,
    path = "/lots",
    operation_id = "create_lot",
    tag = LOTS,
    security(("bearer" = ["auctioneer", "admin"])),
    request_body(content = terms::CreateLot, description = "At most 256 KiB (this route's own body limit: a long description)"),
    responses(
        (status = 201, description = "The new draft lot", body = LotJson),
        (status = 400, description = "`invalid_input`: a term breaks its rule, an unknown field, or an amount sent as a number", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: a bidder", body = ErrorBody),
    )
)]
async fn create(
    State(state): State<AppState>,
    Auctioneer(caller): Auctioneer,
    Json(request): Json<terms::CreateLot>,
) -> Result<(StatusCode, Json<LotJson>), ApiError> {
    let new_lot = request.validate(caller.id)?;
    let lot = state
        .store
        .create_lot(&new_lot, state.clock.now_ms())
        .await?;
    let json = lot_json(&state, lot, Some(&caller)).await?;
    Ok((StatusCode::CREATED, Json(json)))
}

/// Lists are capped: 100 lots unless asked, never more than 1000.
const DEFAULT_LIST_LIMIT: u32 = 100;
const MAX_LIST_LIMIT: u32 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only lots in this state: `draft`, `published`, `open`, `paused`, `closed`,
    /// `cancelled`.
    #[param(value_type = Option<String>, example = "open")]
    state: Option<String>,
    /// At most this many lots (100 unless given).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
}

/// Lots, newest first; drafts only to their auctioneer and admins.
#[utoipa::path(
    get,
    path = "/lots",
    operation_id = "list_lots",
    tag = LOTS,
    security((), ("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "The lots", body = Vec<LotJson>),
        (status = 400, description = "`invalid_input`: an unknown state or a bad limit", body = ErrorBody),
        (status = 401, description = "`not_authenticated`: a bearer token that is not valid", body = ErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<LotJson>>, ApiError> {
    let lot_state = query
        .state
        .map(|text| {
            LotState::parse(&text).ok_or_else(|| {
                ApiError::invalid(
                    "state is one of draft, published, open, paused, closed, cancelled",
                )
            })
        })
        .transpose()?;
    let drafts = match &caller {
        Some(account) if account.role.oversees_everything() => DraftVisibility::AllDrafts,
        Some(account) if account.role == Role::Auctioneer => DraftVisibility::OwnedBy(account.id),
        _ => DraftVisibility::NoDrafts,
    };
    let filter = LotFilter {
        state: lot_state,
        drafts,
        limit: paging::limit(query.limit.as_deref(), DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT)?,
    };
    let lots = state.store.list_lots(&filter).await?;
    let views = state.rooms.lot_views(&lots).await?;
    Ok(Json(
        lots.into_iter()
            .zip(views)
            .map(|(lot, view)| LotJson::new(lot, view, caller.as_ref()))
            .collect(),
    ))
}

/// A lot, with its live state, price, leader, deadline and bid count.
#[utoipa::path(
    get,
    path = "/lots/{id}",
    operation_id = "get_lot",
    tag = LOTS,
    security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "The lot's id")),
    responses(
        (status = 200, description = "The lot", body = LotJson),
        (status = 401, description = "`not_authenticated`: a bearer token that is not valid", body = ErrorBody),
        (status = 404, description = "`not_found`: no such lot, or a draft the caller may not see", body = ErrorBody),
    )
)]
async fn show(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
) -> Result<Json<LotJson>, ApiError> {
    let lot = visible_lot(&state, caller.as_ref(), &id).await?;
    Ok(Json(lot_json(&state, lot, caller.as_ref()).await?))
}

/// Publishes a draft (no body): its room will open at `starts_at`.
#[utoipa::path(
    post,
    path = "/lots/{id}/publish",
    operation_id = "publish_lot",
    tag = LOTS,
    security(("bearer" = ["auctioneer", "admin"])),
    params(("id" = i64, Path, description = "The lot's id")),
    responses(
        (status = 200, description = "The published lot", body = LotJson),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the lot's auctioneer nor an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such lot", body = ErrorBody),
        (status = 409, description = "`not_draft`: already published; `lot_ended`: its end time has passed; `announcement_required`: the exchange reviews announcements (`--require-announcement-review`) and the lot has no approved `auction` announcement", body = ErrorBody),
    )
)]
async fn publish(
    State(state): State<AppState>,
    Auctioneer(caller): Auctioneer,
    Path(id): Path<String>,
) -> Result<Json<LotJson>, ApiError> {
    let lot = run_lot(&state, &caller, &id).await?;
    if lot.state == LotState::Draft && state.clock.now_ms() >= lot.ends_at_ms {
        return Err(ApiError::conflict(
            "lot_ended",
            "the lot's end time has passed: it can no longer be published",
        ));
    }
    if lot.state == LotState::Draft
        && state.config.require_announcement_review
        && !state
            .store
            .has_approved_announcement(lot.id, AnnouncementKind::Auction)
            .await?
    {
        return Err(ApiError::conflict(
            "announcement_required",
            "this exchange publishes a lot only with an approved auction announcement",
        ));
    }
    let lot = state.store.publish_lot(lot.id).await?;
    state.rooms.lot_published(&lot).await?;
    Ok(Json(lot_json(&state, lot, Some(&caller)).await?))
}
