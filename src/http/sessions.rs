//! Signing out, and the sweep that deletes expired sessions (SPEC §8). Signing in is
//! `POST /sessions` in [`super::accounts`].

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::limits::SESSION_SWEEP_INTERVAL;

use super::ApiError;
use super::auth::SessionTokenHash;
use super::openapi::{ACCOUNTS, ErrorBody};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(sign_out))
}

/// Signs out: the caller's session ends, and within a second every WebSocket
/// authenticated with its token is closed with 4401.
#[utoipa::path(
    delete,
    path = "/sessions/current",
    operation_id = "sign_out",
    tag = ACCOUNTS,
    responses(
        (status = 204, description = "Signed out: the token is no longer valid anywhere"),
        (status = 401, description = "`not_authenticated`: no valid session to sign out", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn sign_out(
    State(state): State<AppState>,
    SessionTokenHash(token_hash): SessionTokenHash,
) -> Result<StatusCode, ApiError> {
    let deleted = state
        .store
        .delete_session(&token_hash, state.clock.now_ms())
        .await?;
    if !deleted {
        return Err(ApiError::unauthenticated());
    }
    state.connections.sign_out(&token_hash);
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes expired sessions from the database every [`SESSION_SWEEP_INTERVAL`] (their
/// sockets closed at the expiry itself), and forgets per-account bid buckets that have
/// refilled; ends when the server shuts down.
pub async fn sweep_sessions(state: AppState) {
    let mut shutdown = state.shutdown.clone();
    let mut ticks = tokio::time::interval(SESSION_SWEEP_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|stopping| *stopping) => return,
            _ = ticks.tick() => {}
        }
        state.connections.prune();
        match state
            .store
            .delete_expired_sessions(state.clock.now_ms())
            .await
        {
            Ok(deleted) => {
                metrics::counter!("bidroom_sessions_expired_deleted_total").increment(deleted);
            }
            Err(error) => tracing::warn!(error = ?error, "failed to delete expired sessions"),
        }
    }
}
