//! The WebSocket protocol (SPEC §4): `GET /ws`.
//!
//! The upgrade checks the browser's `Origin`, counts the connection against its client
//! address's cap, picks the encoding from the subprotocol, and sets small per-connection
//! buffers; [`session`] then runs the connection. A refused upgrade is an
//! [`UpgradeRefusal`], which `crate::app` answers over HTTP. [`connections`] is the
//! registry of live connections by session, account and address.

pub mod close;
pub mod connections;
pub mod protocol;
mod rate;
pub mod session;
mod woken;

use std::net::SocketAddr;

use axum::extract::ws::WebSocketUpgrade;
use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};
use axum::response::Response;
use tracing::Instrument;

use crate::app::AppState;
use crate::limits::{
    MAX_CLIENT_FRAME_BYTES, MAX_WRITE_BUFFER_BYTES, READ_BUFFER_BYTES, WRITE_BUFFER_BYTES,
};

use protocol::{Encoding, JSON_SUBPROTOCOL, MSGPACK_SUBPROTOCOL};

pub use connections::Connections;

/// Why `GET /ws` from `peer` is not upgraded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UpgradeRefusal {
    #[error("this origin may not open bidroom's WebSocket")]
    OriginNotAllowed,
    #[error("this address holds {cap} connections already, the most it may")]
    AddressFull { cap: u32 },
}

/// Upgrades `GET /ws` from `peer` and runs its session on a task of its own; or the rule
/// that refuses it.
pub fn upgrade(
    state: AppState,
    peer: SocketAddr,
    headers: &HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Result<Response, UpgradeRefusal> {
    if !origin_allowed(headers, &state.config.allowed_origins) {
        return Err(UpgradeRefusal::OriginNotAllowed);
    }
    // Counted from the upgrade until the connection ends.
    let Some(address_slot) = state.connections.admit_address(peer.ip()) else {
        metrics::counter!("bidroom_connections_refused_total", "limit" => "address").increment(1);
        let cap = state.connections.limits().per_address;
        return Err(UpgradeRefusal::AddressFull { cap });
    };
    let upgrade = upgrade
        .protocols([JSON_SUBPROTOCOL, MSGPACK_SUBPROTOCOL])
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_write_buffer_size(MAX_WRITE_BUFFER_BYTES)
        .max_message_size(MAX_CLIENT_FRAME_BYTES)
        .max_frame_size(MAX_CLIENT_FRAME_BYTES);
    let encoding = match upgrade.selected_protocol() {
        Some(protocol) if protocol == MSGPACK_SUBPROTOCOL => Encoding::MessagePack,
        _ => Encoding::Json,
    };
    // The session runs on a task of its own: it carries the upgrade's span (its request id)
    // as the parent of its own. The address's slot is held until the session ends.
    let request_span = tracing::Span::current();
    Ok(upgrade.on_upgrade(move |socket| {
        async move {
            session::run(socket, state, encoding).await;
            drop(address_slot);
        }
        .instrument(request_span)
    }))
}

/// Browsers may open `/ws` only from the server's own origin or an `--allowed-origin`;
/// clients that send no `Origin` (non-browser) are not refused for it (SPEC §7).
fn origin_allowed(headers: &HeaderMap, allowed_origins: &[String]) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.trim_end_matches('/');
    let own_origin = headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .is_some_and(|host| {
            origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                == Some(host)
        });
    own_origin
        || allowed_origins
            .iter()
            .any(|allowed| allowed.trim_end_matches('/').eq_ignore_ascii_case(origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "127.0.0.1:8080".parse().unwrap());
        if let Some(origin) = origin {
            headers.insert(ORIGIN, origin.parse().unwrap());
        }
        headers
    }

    #[test]
    fn clients_without_an_origin_are_not_refused() {
        assert!(origin_allowed(&headers(None), &[]));
    }

    #[test]
    fn the_servers_own_origin_and_allowed_origins_may_connect() {
        assert!(origin_allowed(&headers(Some("http://127.0.0.1:8080")), &[]));
        let allowed = vec!["https://exchange.example".to_owned()];
        assert!(origin_allowed(
            &headers(Some("https://exchange.example")),
            &allowed
        ));
        assert!(!origin_allowed(
            &headers(Some("https://evil.example")),
            &allowed
        ));
    }
}
