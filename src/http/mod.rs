//! The REST API (SPEC §5) under `/api/v1`, and the router that also mounts `/ws`.

mod accounts;
mod auth;
mod error;
mod listings;
mod lots;
mod money;
mod pages;
mod seed;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

pub use auth::{Caller, MaybeCaller, account_for_token};
pub use error::{ApiError, Json};

use crate::clock::Clock;
use crate::config::ServeConfig;
use crate::rooms::Rooms;
use crate::storage::Store;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub rooms: Rooms,
    pub config: Arc<ServeConfig>,
    pub clock: Clock,
    pub metrics: Option<PrometheusHandle>,
    /// Turns true when the server starts shutting down: sessions close, rooms stop.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// What id numbers are hashed under (see [`crate::security::IdNumberKey`]).
    pub id_number_key: crate::security::IdNumberKey,
}

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(accounts::routes())
        .merge(lots::routes())
        .merge(listings::routes())
        .merge(money::routes())
        .merge(seed::routes())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics));
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .route("/ws", get(crate::realtime::upgrade))
        .merge(pages::routes())
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

async fn metrics(State(state): State<AppState>) -> String {
    state
        .metrics
        .as_ref()
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}
