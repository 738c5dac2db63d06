//! The application: the state that the REST routes and the WebSocket sessions share
//! ([`AppState`]), built once at start and handed down, and the router that mounts both.
//!
//! Neither `http` nor `realtime` owns the state, so neither imports the other: `http`
//! serves `/ws` with the handler given to it here, and this module turns a refused upgrade
//! into its HTTP answer.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::cluster::Cluster;
use crate::config::{Credentials, ServeConfig};
use crate::http::ApiError;
use crate::http::throttle::SignInThrottle;
use crate::realtime::connections::{ConnectionLimits, Connections};
use crate::realtime::{self, UpgradeRefusal};
use crate::rooms::{LeaseTerms, RoomPeering, Rooms};
use crate::security::IdNumberKey;
use crate::storage::{self, SessionAccount, Store, StoreResult};

/// What every handler and every WebSocket session can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub rooms: Rooms,
    pub config: Arc<ServeConfig>,
    pub clock: Clock,
    pub metrics: Option<PrometheusHandle>,
    /// Turns true when the server starts shutting down: sessions close, rooms stop.
    pub shutdown: watch::Receiver<bool>,
    /// What id numbers are hashed under (see [`crate::security::IdNumberKey`]).
    pub id_number_key: IdNumberKey,
    /// Failed sign-ins by username and address (SPEC §8).
    pub sign_in_throttle: Arc<SignInThrottle>,
    /// The live WebSocket connections: sign-out, caps, per-account bid limits.
    pub connections: Connections,
    /// With `--cluster`: the rooms other nodes own, reached over NATS.
    pub cluster: Option<Arc<Cluster>>,
}

impl AppState {
    /// The state a server runs on: opens the database (applying the migrations), rebuilds
    /// the live rooms, and creates the bootstrap admin (the demo's when `--demo` names
    /// none). `shutdown` turns true when the server starts shutting down.
    /// `address`: where the server listens (its node's address in the list of nodes).
    pub async fn build(
        mut config: ServeConfig,
        metrics: Option<PrometheusHandle>,
        shutdown: watch::Receiver<bool>,
        address: SocketAddr,
    ) -> anyhow::Result<AppState> {
        if config.demo && config.bootstrap_admin.is_none() {
            config.bootstrap_admin = Some(Credentials {
                username: crate::demo::DEMO_ADMIN.to_owned(),
                password: crate::demo::DEMO_PASSWORD.to_owned(),
            });
        }
        let id_number_key = config.resolve_id_number_key()?;
        let clock = Clock::start();
        if config.cluster
            && !(config.database_url.starts_with("postgres:")
                || config.database_url.starts_with("postgresql:"))
        {
            anyhow::bail!(
                "--cluster needs a postgres:// database that every node shares (--database-url)"
            );
        }
        let store = storage::connect(&config.database_url).await?;
        let node_id: Arc<str> = Arc::from(config.node_id.clone().unwrap_or_else(own_node_id));
        let cluster = if config.cluster {
            let nats = crate::nats::connect(&config).await?;
            Some(Cluster::new(
                &config.cluster_name,
                &node_id,
                nats,
                store.clone(),
            ))
        } else {
            None
        };
        let peering = cluster
            .clone()
            .map(|cluster| Arc::new(cluster) as Arc<dyn RoomPeering>);
        let terms = LeaseTerms {
            node_id,
            ttl_ms: config.lease_ttl_ms as i64,
            address: address.to_string(),
            clustered: config.cluster,
        };
        let rooms = Rooms::start(store.clone(), clock, terms, peering).await?;
        let sign_in_throttle = Arc::new(SignInThrottle::new(
            config.sign_in_failures_per_username,
            config.sign_in_failures_per_address,
            std::time::Duration::from_secs(config.sign_in_window_secs),
        ));
        let connections = Connections::new(ConnectionLimits::of(&config));
        if let Some(admin) = &config.bootstrap_admin {
            let (username, password) = (&admin.username, &admin.password);
            storage::accounts::ensure_bootstrap_admin(&*store, username, password, clock.now_ms())
                .await?;
        }
        Ok(AppState {
            store,
            rooms,
            config: Arc::new(config),
            clock,
            metrics,
            shutdown,
            id_number_key,
            sign_in_throttle,
            connections,
            cluster,
        })
    }

    /// The session behind a token's hash, if it is valid now.
    pub async fn session(&self, token_hash: &str) -> StoreResult<Option<SessionAccount>> {
        self.store
            .session_account(token_hash, self.clock.now_ms())
            .await
    }
}

/// Every route the server serves, with the layers around every request.
pub fn router(state: AppState) -> Router {
    crate::http::router(state, websocket())
}

/// Every route the server mounts, and the OpenAPI document of those under `/api/v1`.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    crate::http::routes(websocket())
}

/// `GET /ws`.
fn websocket() -> MethodRouter<AppState> {
    get(upgrade)
}

async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    realtime::upgrade(state, peer, &headers, upgrade).unwrap_or_else(refused)
}

/// The HTTP answer to a refused upgrade: a browser from a foreign origin is forbidden, an
/// address over its cap is told to come back later.
fn refused(refusal: UpgradeRefusal) -> Response {
    match refusal {
        UpgradeRefusal::OriginNotAllowed => {
            (StatusCode::FORBIDDEN, refusal.to_string()).into_response()
        }
        UpgradeRefusal::AddressFull { .. } => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            refusal.to_string(),
        )
        .into_response(),
    }
}

/// The node id of a server started without `--node-id`: its host, its process and a random
/// part, so that two servers never share one (a restart is a new node; its rooms' leases
/// are taken over once the previous run's run out, see [`Rooms::start`]).
fn own_node_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|host| host.trim().to_owned())
        .filter(|host| !host.is_empty())
        .unwrap_or_else(|| "bidroom".to_owned());
    let host: String = host
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(40)
        .collect();
    format!(
        "{host}-{}-{:06x}",
        std::process::id(),
        rand::random::<u32>() & 0xff_ffff
    )
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use axum::http::header::CONTENT_TYPE;

    use super::*;

    /// The status, content type and body of the answer to `refusal`.
    async fn answer(refusal: UpgradeRefusal) -> (StatusCode, String, String) {
        let response = refused(refusal);
        let status = response.status();
        let content_type = response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let body = to_bytes(response.into_body(), 64 * 1024).await.unwrap();
        (
            status,
            content_type,
            String::from_utf8(body.to_vec()).unwrap(),
        )
    }

    #[tokio::test]
    async fn a_foreign_origin_is_forbidden_in_plain_text() {
        let (status, content_type, body) = answer(UpgradeRefusal::OriginNotAllowed).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        assert_eq!(body, "this origin may not open bidroom's WebSocket");
    }

    #[tokio::test]
    async fn an_address_over_its_cap_is_rate_limited_in_the_error_shape() {
        let (status, content_type, body) = answer(UpgradeRefusal::AddressFull { cap: 3 }).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(content_type, "application/json");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": {
                "code": "rate_limited",
                "message": "this address holds 3 connections already, the most it may",
            }})
        );
    }
}
