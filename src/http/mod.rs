//! The REST API (SPEC §5) under `/api/v1`, and the router that also mounts `/ws`.
//!
//! Every REST route is mounted through an [`OpenApiRouter`] with
//! `.routes(routes!(handler))`, which puts the handler's `#[utoipa::path]` into the
//! OpenAPI document served at `GET /api/v1/openapi.json` (see [`openapi`]). Routes outside
//! `/api/v1` (the WebSocket, pages) are plain axum routes in [`routes`]; `/ws` is served by
//! the handler the caller hands in (`crate::app` gives `realtime`'s upgrade), so that this
//! module knows nothing of the WebSocket protocol.

mod accounts;
mod announcements;
mod auth;
mod cluster;
mod error;
pub(crate) mod fuzzing;
pub mod guard;
mod layers;
mod listings;
mod lots;
mod money;
mod openapi;
mod pages;
mod paging;
mod readiness;
mod seed;
pub mod serve;
mod sessions;
mod stats;
mod suspensions;
pub mod throttle;

use axum::extract::State;
use axum::routing::{MethodRouter, get};
use axum::{Extension, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use auth::{Admin, Auctioneer, BankOrAdmin, Bidder, Caller, MaybeCaller, account_for_token};
pub use error::{ApiError, Body, Json, conflict_code};
pub use layers::{HTTP_DURATION_BUCKETS_SECS, HTTP_DURATION_METRIC, REQUEST_ID_HEADER, RequestId};
pub use sessions::sweep_sessions;

use crate::app::AppState;
use crate::text::{TextKind, forbidden_character_message, has_forbidden_character};

/// The routes with the layers around every request; `websocket` serves `GET /ws`.
pub fn router(state: AppState, websocket: MethodRouter<AppState>) -> Router {
    let (api, document) = api_and_document();
    let document = document.to_json().expect("the OpenAPI document serializes");
    let api = api.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        guard::guard,
    ));
    let api = match layers::cors(&state.config) {
        Some(cors) => api.layer(cors),
        None => api,
    };
    let router = api
        .merge(outside_the_api(websocket))
        .layer(Extension(openapi::Document(document.into())))
        .with_state(state.clone());
    layers::around_every_request(router, &state.config)
}

/// Every route the server mounts, and the OpenAPI document of those under `/api/v1`.
pub fn routes(websocket: MethodRouter<AppState>) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (api, document) = api_and_document();
    (api.merge(outside_the_api(websocket)), document)
}

fn api_and_document() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (api, mut document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest("/api/v1", api_routes())
        .split_for_parts();
    openapi::add_limit_answers(&mut document);
    (api, document)
}

/// The probes at the root, the WebSocket, and the pages.
fn outside_the_api(websocket: MethodRouter<AppState>) -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readiness::readyz))
        .route("/ws", websocket)
        .merge(pages::routes())
}

/// The REST API, relative to `/api/v1`.
fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(accounts::routes())
        .merge(sessions::routes())
        .merge(suspensions::routes())
        .merge(lots::routes())
        .merge(listings::routes())
        .merge(money::routes())
        .merge(announcements::routes())
        .merge(seed::routes())
        .merge(stats::routes())
        .merge(cluster::routes())
        .routes(routes!(healthz))
        .routes(routes!(readiness::readyz))
        .routes(routes!(metrics))
        .routes(routes!(openapi::document))
}

#[derive(Serialize, ToSchema)]
struct Health {
    /// Always `ok`: the process answers.
    #[schema(example = "ok")]
    status: &'static str,
}

/// `GET /api/v1/healthz` (also `GET /healthz`): the liveness probe.
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = openapi::OPERATIONS,
    responses((status = 200, description = "The process is alive", body = Health))
)]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// `GET /api/v1/metrics`: Prometheus text.
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = openapi::OPERATIONS,
    responses((status = 200, description = "The metrics in Prometheus' text format",
        content_type = "text/plain", body = String))
)]
async fn metrics(State(state): State<AppState>) -> String {
    state.rooms.record_room_states();
    state
        .metrics
        .as_ref()
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}

/// A field's text, trimmed: 1 to `max` characters, none that `kind` forbids; else a 400
/// that names the field.
pub(in crate::http) fn required_text(
    name: &str,
    value: &str,
    kind: TextKind,
    max: usize,
) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(ApiError::invalid(format!(
            "{name} is 1 to {max} characters"
        )));
    }
    if has_forbidden_character(value, kind) {
        return Err(ApiError::invalid(forbidden_character_message(name, kind)));
    }
    Ok(value.to_owned())
}
