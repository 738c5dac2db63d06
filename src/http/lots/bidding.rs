//! A lot's bids and result, anonymised as in the room (SPEC §2 "Anonymity"): bidders are
//! bidder numbers; account ids and names only for the lot's auctioneer and admins.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::auction::{LotResult, LotState};
use crate::money::Money;
use crate::rooms::LotView;
use crate::storage::{JournalRow, Lot};
use crate::time_format::{self, Rfc3339};

use super::super::openapi::{ErrorBody, LOTS};
use super::{ApiError, Caller, Json, MaybeCaller, runs_lot, visible_lot};
use crate::http::paging;

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(bids))
        .routes(routes!(result))
}

/// A page of bids: 100 unless asked, never more than 1000.
const DEFAULT_BIDS_LIMIT: u32 = 100;
const MAX_BIDS_LIMIT: u32 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct BidsQuery {
    /// Only bids with a greater `seq` (0 unless given): pass the last `seq` seen.
    #[param(value_type = Option<u64>, minimum = 0)]
    after_seq: Option<String>,
    /// At most this many bids (100 unless given).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    limit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Bid)]
struct BidJson {
    /// The room event's number (as `seq` on the WebSocket).
    seq: u64,
    amount: Option<Money>,
    /// The bidder number.
    bidder: Option<String>,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    at: i64,
    /// Only for the lot's auctioneer and admins.
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<i64>,
    /// Only for the lot's auctioneer and admins.
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
}

/// `GET /lots/{id}/bids?after_seq=&limit=`: accepted bids in seq order, to anyone signed
/// in who may see the lot (as anyone signed in may watch its room).
#[utoipa::path(
    get,
    path = "/lots/{id}/bids",
    operation_id = "list_lot_bids",
    tag = LOTS,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The lot's id"), BidsQuery),
    responses(
        (status = 200, description = "Accepted bids in `seq` order", body = Vec<BidJson>),
        (status = 400, description = "`invalid_input`: a bad `after_seq` or `limit`", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 404, description = "`not_found`: no such lot", body = ErrorBody),
    )
)]
async fn bids(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    Query(query): Query<BidsQuery>,
) -> Result<Json<Vec<BidJson>>, ApiError> {
    let lot = visible_lot(&state, Some(&caller), &id).await?;
    let after_seq = match query.after_seq.as_deref() {
        None => 0,
        Some(text) => text
            .parse::<u64>()
            .map_err(|_| ApiError::invalid("after_seq is a whole number"))?,
    };
    let limit = paging::limit(query.limit.as_deref(), DEFAULT_BIDS_LIMIT, MAX_BIDS_LIMIT)?;
    let rows = state.store.lot_bids(lot.id, after_seq, limit).await?;
    let names = if runs_lot(Some(&caller), &lot) {
        Some(display_names(&state, &lot).await?)
    } else {
        None
    };
    let bids = rows
        .into_iter()
        .map(|row| bid_json(row, names.as_ref()))
        .collect();
    Ok(Json(bids))
}

/// Account id → display name of the lot's applicants.
async fn display_names(state: &AppState, lot: &Lot) -> Result<HashMap<i64, String>, ApiError> {
    let roster = state.store.lot_roster(lot.id).await?;
    Ok(roster
        .into_iter()
        .map(|entry| (entry.bidder.account, entry.display_name))
        .collect())
}

/// A bid row; with `names`, the monitor view's identities.
fn bid_json(row: JournalRow, names: Option<&HashMap<i64, String>>) -> BidJson {
    let (account_id, display_name) = match (names, row.account_id) {
        (Some(names), Some(account)) => (Some(account), names.get(&account).cloned()),
        _ => (None, None),
    };
    BidJson {
        seq: row.seq,
        amount: row.amount,
        bidder: row.bidder_number.map(|number| number.to_string()),
        at: row.at_ms,
        account_id,
        display_name,
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LotResult)]
struct ResultJson {
    /// `sold` or `unsold` once closed; the lot's state before (`open`, `cancelled`, ...).
    #[schema(value_type = String, example = "sold")]
    status: &'static str,
    /// The highest accepted bid, or `null` before the first.
    price: Option<Money>,
    /// The winner's bidder number, once sold.
    winner_bidder: Option<String>,
    /// The winner's account, for the lot's auctioneer, admins and the winner.
    #[serde(skip_serializing_if = "Option::is_none")]
    winner_account_id: Option<i64>,
}

/// `GET /lots/{id}/result`, to anyone who may see the lot.
#[utoipa::path(
    get,
    path = "/lots/{id}/result",
    operation_id = "get_lot_result",
    tag = LOTS,
    security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "The lot's id")),
    responses(
        (status = 200, description = "The lot's result, or its state while it has none", body = ResultJson),
        (status = 401, description = "`not_authenticated`: a bearer token that is not valid", body = ErrorBody),
        (status = 404, description = "`not_found`: no such lot", body = ErrorBody),
    )
)]
async fn result(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
) -> Result<Json<ResultJson>, ApiError> {
    let lot = visible_lot(&state, caller.as_ref(), &id).await?;
    let view = state.rooms.lot_view(&lot).await?;
    let outcome = outcome(&lot, &view);
    let (winner_bidder, winner_account) = match outcome {
        Some(LotResult::Sold) => (
            view.leader.as_ref().map(|leader| leader.to_string()),
            view.leader_account,
        ),
        _ => (None, None),
    };
    let sees_winner = runs_lot(caller.as_ref(), &lot)
        || caller
            .as_ref()
            .is_some_and(|caller| Some(caller.id) == winner_account);
    Ok(Json(ResultJson {
        status: outcome.map_or(view.state.as_str(), LotResult::as_str),
        price: view.price,
        winner_bidder,
        winner_account_id: winner_account.filter(|_| sees_winner),
    }))
}

/// A closed lot's result, as the room reports it (or as stored on the lot).
fn outcome(lot: &Lot, view: &LotView) -> Option<LotResult> {
    if view.state == LotState::Closed {
        view.result.or(lot.result)
    } else {
        None
    }
}
