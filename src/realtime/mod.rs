//! The WebSocket protocol (SPEC §4): `GET /ws`.

use axum::response::IntoResponse;

pub async fn upgrade() -> impl IntoResponse {
    axum::http::StatusCode::NOT_IMPLEMENTED
}
