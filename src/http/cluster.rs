//! `GET /api/v1/cluster` (SPEC §10): the nodes of the exchange and which holds each room.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::LotId;
use crate::time_format::{self, Rfc3339};

use super::auth::Admin;
use super::openapi::{ErrorBody, OPERATIONS};
use super::{ApiError, AppState};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(cluster))
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Cluster)]
struct ClusterJson {
    /// The node that answered.
    #[schema(example = "node-a")]
    node_id: String,
    /// How long a room's lease lasts unless its holder renews it.
    lease_ttl_ms: i64,
    nodes: Vec<NodeJson>,
    /// Every room that has a lease, by lot.
    rooms: Vec<RoomOwnerJson>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ClusterNode)]
struct NodeJson {
    node_id: String,
    /// Where the node serves HTTP and WebSockets.
    #[schema(example = "10.0.0.5:8080")]
    address: String,
    /// Whether it runs with `--cluster`, taking bids for rooms held elsewhere.
    clustered: bool,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    started_at: i64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    last_seen_at: i64,
    /// Seen within one lease term: a node that stops renewing is dead to the others.
    alive: bool,
    /// How many rooms it holds now.
    rooms: usize,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RoomOwner)]
struct RoomOwnerJson {
    #[schema(value_type = i64)]
    lot_id: LotId,
    node_id: String,
    /// Grows with every new holder; the journal refuses writes under an older one.
    epoch: i64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    expires_at: i64,
    /// False once the lease has run out or was given up: another node may take the room.
    held: bool,
}

/// The nodes and the room owners, as the database records them.
#[utoipa::path(
    get,
    path = "/cluster",
    operation_id = "cluster",
    tag = OPERATIONS,
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "The nodes, and the node holding each room's lease", body = ClusterJson),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
    )
)]
async fn cluster(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<ClusterJson>, ApiError> {
    let now_ms = state.clock.now_ms();
    let ttl_ms = state.config.lease_ttl_ms as i64;
    let leases = state.store.leases().await?;
    let held = |expires_at_ms: i64| expires_at_ms > now_ms;
    let nodes = state
        .store
        .nodes()
        .await?
        .into_iter()
        .map(|node| NodeJson {
            rooms: leases
                .iter()
                .filter(|lease| lease.node_id == node.node_id && held(lease.expires_at_ms))
                .count(),
            alive: node.last_seen_ms + ttl_ms > now_ms,
            node_id: node.node_id,
            address: node.address,
            clustered: node.clustered,
            started_at: node.started_at_ms,
            last_seen_at: node.last_seen_ms,
        })
        .collect();
    let rooms = leases
        .into_iter()
        .map(|lease| RoomOwnerJson {
            held: held(lease.expires_at_ms),
            lot_id: lease.lot_id,
            node_id: lease.node_id,
            epoch: lease.epoch,
            expires_at: lease.expires_at_ms,
        })
        .collect();
    Ok(Json(ClusterJson {
        node_id: state.rooms.node_id().to_owned(),
        lease_ttl_ms: ttl_ms,
        nodes,
        rooms,
    }))
}
