//! `GET /lots/{id}/settlement`, `POST .../pay` (the winner), `POST .../default` (admin).

use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::money::Money;
use crate::storage::Account;
use crate::storage::money::Settlement;
use crate::time_format::{self, Rfc3339};

use super::super::openapi::{ErrorBody, MONEY};
use super::super::{Admin, ApiError, Bidder, Caller, Json};
use super::{not_found_as, path_id};

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Settlement)]
pub(in crate::http) struct SettlementJson {
    lot_id: i64,
    price: Money,
    fee: Money,
    deposit_applied: Money,
    amount_due: Money,
    amount_paid: Money,
    /// amount_due − amount_paid.
    balance: Money,
    #[serde(with = "time_format::rfc3339::option")]
    #[schema(value_type = Option<Rfc3339>)]
    due_at: Option<i64>,
    /// `open`, `paid` or `defaulted`.
    #[schema(value_type = String, example = "open")]
    status: &'static str,
}

impl SettlementJson {
    pub(in crate::http) fn new(settlement: &Settlement) -> SettlementJson {
        SettlementJson {
            lot_id: settlement.lot_id,
            price: settlement.price,
            fee: settlement.fee,
            deposit_applied: settlement.deposit_applied,
            amount_due: settlement.amount_due,
            amount_paid: settlement.amount_paid,
            balance: settlement.balance(),
            due_at: settlement.due_at_ms,
            status: settlement.status.as_str(),
        }
    }
}

const SETTLEMENT: &str = "settlement";

async fn existing(state: &AppState, id: &str) -> Result<Settlement, ApiError> {
    let lot = path_id(id, SETTLEMENT)?;
    state
        .store
        .settlement(lot)
        .await?
        .ok_or_else(|| ApiError::not_found(SETTLEMENT))
}

/// The settlement of the lot `id` if the caller may see it: the winner, the lot's
/// auctioneer and admins (404 before 403: an unsold lot has no settlement to hide).
pub(super) async fn visible_settlement(
    state: &AppState,
    caller: &Account,
    id: &str,
) -> Result<Settlement, ApiError> {
    let settlement = existing(state, id).await?;
    let may_see = caller.role.oversees_everything()
        || caller.id == settlement.account_id
        || caller.id == settlement.auctioneer_id;
    if !may_see {
        return Err(ApiError::forbidden(
            "only the winner, the lot's auctioneer and admins see the settlement",
        ));
    }
    Ok(settlement)
}

/// The settlement of a sold lot, to the winner, the lot's auctioneer and admins.
#[utoipa::path(
    get,
    path = "/lots/{id}/settlement",
    operation_id = "get_settlement",
    tag = MONEY,
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The lot's id")),
    responses(
        (status = 200, description = "The settlement", body = SettlementJson),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the winner, the lot's auctioneer nor an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such lot, or no settlement (not sold)", body = ErrorBody),
    )
)]
pub(super) async fn show(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<SettlementJson>, ApiError> {
    let settlement = visible_settlement(&state, &caller, &id).await?;
    Ok(Json(SettlementJson::new(&settlement)))
}

/// The winner pays the whole balance from `available` (no body).
#[utoipa::path(
    post,
    path = "/lots/{id}/settlement/pay",
    operation_id = "pay_settlement",
    tag = MONEY,
    security(("bearer" = ["bidder"])),
    params(("id" = i64, Path, description = "The lot's id")),
    responses(
        (status = 200, description = "The paid settlement", body = SettlementJson),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not the winner", body = ErrorBody),
        (status = 404, description = "`not_found`: no settlement", body = ErrorBody),
        (status = 409, description = "`already_paid`, `settlement_defaulted`, `insufficient_funds`", body = ErrorBody),
    )
)]
pub(super) async fn pay(
    State(state): State<AppState>,
    Bidder(caller): Bidder,
    Path(id): Path<String>,
) -> Result<Json<SettlementJson>, ApiError> {
    let settlement = existing(&state, &id).await?;
    if caller.id != settlement.account_id {
        return Err(ApiError::forbidden("only the winner pays the settlement"));
    }
    let paid = state
        .store
        .pay_settlement(settlement.lot_id, caller.id, state.clock.now_ms())
        .await
        .map_err(not_found_as(SETTLEMENT))?;
    Ok(Json(SettlementJson::new(&paid)))
}

/// An admin marks an unpaid settlement defaulted once overdue: the deposit is forfeited.
#[utoipa::path(
    post,
    path = "/lots/{id}/settlement/default",
    operation_id = "default_settlement",
    tag = MONEY,
    security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The lot's id")),
    responses(
        (status = 200, description = "The defaulted settlement", body = SettlementJson),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no settlement", body = ErrorBody),
        (status = 409, description = "`settlement_not_open` (paid or defaulted), `settlement_not_due`", body = ErrorBody),
    )
)]
pub(super) async fn default(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Json<SettlementJson>, ApiError> {
    let lot = path_id(&id, SETTLEMENT)?;
    let defaulted = state
        .store
        .default_settlement(lot, state.clock.now_ms())
        .await
        .map_err(not_found_as(SETTLEMENT))?;
    Ok(Json(SettlementJson::new(&defaulted)))
}
