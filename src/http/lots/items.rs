//! A lot's item list (SPEC §11): `GET /lots/{id}/items` shows it to whoever may see the
//! lot; `PUT /lots/{id}/items` replaces it with the items of a CSV or XLSX file.
//!
//! Choices where SPEC is silent:
//! - the list is its own resource, not a field of `GET /lots/{id}`: a package may list
//!   2,000 items, and the lot is read far more often than its list (every listing, every
//!   live room);
//! - the body of the `PUT` is the file itself (no multipart form), at most 1 MiB
//!   ([`MAX_LOT_ITEMS_FILE_BYTES`]); its format is told from its bytes (an XLSX workbook is
//!   a ZIP archive, anything else is read as UTF-8 CSV), whatever `Content-Type` says,
//!   since browsers label CSV files in several ways;
//! - the lot's auctioneer (or an admin) replaces the list while the lot is a draft, or
//!   published before `starts_at` (bidders apply on the strength of the list; once bidding
//!   starts it is part of what they bid for): later, 409 `items_locked`;
//! - the import is all or nothing: a file with any bad cell is a 400 `invalid_input`
//!   whose `errors` names every bad cell (row, column letter, field, message; at most
//!   100), and the stored list is unchanged.

use axum::extract::{DefaultBodyLimit, Path, State};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::domain::LotId;
use crate::limits::MAX_LOT_ITEMS_FILE_BYTES;
use crate::lot_items::{self, ItemFileFormat, LotItem};

use super::super::openapi::{ErrorBody, LOTS};
use super::{ApiError, Auctioneer, Body, Json, MaybeCaller, run_lot, visible_lot};

pub(super) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(show_items, replace_items))
        .layer(DefaultBodyLimit::max(MAX_LOT_ITEMS_FILE_BYTES))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LotItems)]
struct LotItemsJson {
    #[schema(value_type = i64)]
    lot_id: LotId,
    /// In the order of the imported file; empty when the lot has no list.
    items: Vec<LotItemJson>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LotItem)]
struct LotItemJson {
    #[schema(example = "Excavator")]
    name: String,
    /// A positive decimal string (never a number).
    #[schema(example = "2.5")]
    quantity: String,
    /// Empty when the file gave none.
    #[schema(example = "台")]
    unit: String,
    notes: String,
}

impl LotItemsJson {
    fn new(lot_id: LotId, items: Vec<LotItem>) -> LotItemsJson {
        LotItemsJson {
            lot_id,
            items: items
                .into_iter()
                .map(|item| LotItemJson {
                    name: item.name,
                    quantity: item.quantity.normalize().to_string(),
                    unit: item.unit,
                    notes: item.notes,
                })
                .collect(),
        }
    }
}

/// A lot's item list (asset package contents), for whoever may see the lot.
#[utoipa::path(
    get,
    path = "/lots/{id}/items",
    operation_id = "get_lot_items",
    tag = LOTS,
    security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "The lot's id")),
    responses(
        (status = 200, description = "The lot's items, in the file's order", body = LotItemsJson),
        (status = 401, description = "`not_authenticated`: a bearer token that is not valid", body = ErrorBody),
        (status = 404, description = "`not_found`: no such lot, or a draft the caller may not see", body = ErrorBody),
    )
)]
async fn show_items(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    Path(id): Path<String>,
) -> Result<Json<LotItemsJson>, ApiError> {
    let lot = visible_lot(&state, caller.as_ref(), &id).await?;
    let items = state.store.lot_items(lot.id).await?;
    Ok(Json(LotItemsJson::new(lot.id, items)))
}

/// Replaces the lot's item list with the items of the CSV or XLSX file sent as the body.
///
/// The file's first row names its columns: `name` and `quantity` (required), `unit` and
/// `notes` (or 名称, 数量, 单位, 备注). All or nothing: any bad cell refuses the whole file.
#[utoipa::path(
    put,
    path = "/lots/{id}/items",
    operation_id = "replace_lot_items",
    tag = LOTS,
    security(("bearer" = ["auctioneer", "admin"])),
    params(("id" = i64, Path, description = "The lot's id")),
    request_body(
        description = "The file itself, at most 1 MiB: UTF-8 CSV, or an XLSX workbook (its first sheet). The format is told from the bytes.",
        content(
            (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )
    ),
    responses(
        (status = 200, description = "The lot's new item list", body = LotItemsJson),
        (status = 400, description = "`invalid_input`: every bad cell in `errors`; nothing was stored", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: a bidder, or not the lot's auctioneer", body = ErrorBody),
        (status = 404, description = "`not_found`: no such lot", body = ErrorBody),
        (status = 409, description = "`items_locked`: the lot has started, closed or been cancelled", body = ErrorBody),
        (status = 413, description = "`payload_too_large`: a file over 1 MiB", body = ErrorBody),
    )
)]
async fn replace_items(
    State(state): State<AppState>,
    Auctioneer(caller): Auctioneer,
    Path(id): Path<String>,
    Body(file): Body,
) -> Result<Json<LotItemsJson>, ApiError> {
    let lot = run_lot(&state, &caller, &id).await?;
    let items = lot_items::parse(&file, ItemFileFormat::of(&file)).map_err(|refused| {
        ApiError::invalid(refused.summary()).with_detail("errors", json!(refused.errors))
    })?;
    state
        .store
        .replace_lot_items(lot.id, &items, state.clock.now_ms())
        .await?;
    Ok(Json(LotItemsJson::new(lot.id, items)))
}
