//! Hostile and careless WebSocket clients (SPEC §8), against the real server on both
//! databases: sign-out and expiry close a session's sockets, connections are capped per
//! account and per address, and an account's bids are limited across its connections.
//! Every refusal is counted in /metrics.

mod common;

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite;

use bidroom::config::ServeConfig;
use common::ws::{Wire, WsClient};
use common::{Db, TestApp, TestDatabase, test_config};

/// The process's metrics recorder: one for every test of this file, so counters are read
/// as a rise over the test (tests running beside it only raise them further).
fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .install_recorder()
                .expect("the only recorder of this test binary")
        })
        .clone()
}

/// The server in this process, with /metrics, on a fresh database and a changed config.
async fn spawn(db: Db, change: impl FnOnce(ServeConfig) -> ServeConfig) -> TestApp {
    let database = TestDatabase::create(db).await;
    let config = change(test_config(database.url()));
    let server = bidroom::server::start_with_metrics(config, Some(metrics_handle()))
        .await
        .expect("the server starts");
    let address = server.local_addr;
    TestApp {
        server: Some(server),
        base_url: format!("http://{address}/api/v1"),
        ws_url: format!("ws://{address}/ws"),
        http: reqwest::Client::new(),
        database,
    }
}

/// A counter's value in the server's /metrics (0 while it has never been raised).
async fn counter(app: &TestApp, name: &str, labels: &[(&str, &str)]) -> f64 {
    let response = app
        .http
        .get(format!("{}/metrics", app.base_url))
        .send()
        .await
        .expect("/metrics answers");
    let text = response.text().await.expect("a metrics body");
    text.lines()
        .filter(|line| line.starts_with(name) && !line.starts_with('#'))
        .filter(|line| {
            labels
                .iter()
                .all(|(label, value)| line.contains(&format!("{label}=\"{value}\"")))
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn close_code(frame: Option<tungstenite::protocol::CloseFrame>) -> Option<u16> {
    frame.map(|frame| u16::from(frame.code))
}

/// Waits for the server to close the socket, within `limit`; its close code.
async fn closed_within(client: &mut WsClient, limit: Duration) -> Option<u16> {
    let frame = tokio::time::timeout(limit, client.closed())
        .await
        .unwrap_or_else(|_| panic!("the server closed the socket within {limit:?}"));
    close_code(frame)
}

async fn pong(client: &mut WsClient, req: &str) -> Value {
    client
        .send(json!({"type": "ping", "t": 1, "req": req}))
        .await;
    client.answer(req).await
}

async fn delete_session(app: &TestApp, token: Option<&str>) -> (u16, Value) {
    let (status, body) = app
        .request(reqwest::Method::DELETE, "/sessions/current", token, None)
        .await;
    (status.as_u16(), body)
}

/// SPEC §8: `DELETE /sessions/current` signs the caller out (204), and within a second
/// every socket authenticated with that token is closed with 4401; other sessions of the
/// same account go on.
async fn signing_out_closes_every_socket_of_that_session(db: Db) {
    let app = spawn(db, |config| config).await;
    let user = app.signup_bidder("leaving").await;
    let other_session = app.sign_in("leaving", common::PASSWORD).await;
    let mut first = WsClient::signed_in(&app.ws_url, &user.token, Wire::Json).await;
    let mut second = WsClient::signed_in(&app.ws_url, &user.token, Wire::MessagePack).await;
    let mut other = WsClient::signed_in(&app.ws_url, &other_session, Wire::Json).await;

    assert_eq!(delete_session(&app, Some(&user.token)).await.0, 204);
    for socket in [&mut first, &mut second] {
        assert_eq!(
            closed_within(socket, Duration::from_secs(1)).await,
            Some(4401)
        );
    }
    assert_eq!(pong(&mut other, "still-here").await["type"], "pong");

    let (status, body) = app.get("/me", Some(&user.token)).await;
    assert_eq!(status, 401, "the token is no longer valid: {body}");
    let (status, body) = delete_session(&app, Some(&user.token)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("not_authenticated")),
        "signed out already: {body}"
    );
    assert_eq!(delete_session(&app, None).await.0, 401);
    assert_eq!(delete_session(&app, Some("not-a-token")).await.0, 401);
    let mut again = WsClient::connect(&app.ws_url, Wire::Json).await;
    again
        .send(json!({"type": "auth", "token": user.token}))
        .await;
    assert_eq!(close_code(again.closed().await), Some(4401));
    let (status, _) = app.get("/me", Some(&other_session)).await;
    assert_eq!(
        status, 200,
        "the account's other session is still signed in"
    );
    app.stop().await;
}
on_both_databases!(
    signing_out_closes_every_socket_of_that_session,
    super::signing_out_closes_every_socket_of_that_session
);

/// SPEC §8: a socket whose session expires is closed with 4401 at the expiry, and the
/// expired session is deleted from the database.
async fn an_expiring_session_closes_its_sockets_and_is_deleted(db: Db) {
    let app = spawn(db, |mut config| {
        config.session_ttl_secs = 2;
        config
    })
    .await;
    let user = app.signup_bidder("expiring").await;
    let mut socket = WsClient::signed_in(&app.ws_url, &user.token, Wire::Json).await;
    assert_eq!(pong(&mut socket, "alive").await["type"], "pong");
    // The session was made at sign-up, at most a moment before: it expires within 2 s.
    assert_eq!(
        closed_within(&mut socket, Duration::from_secs(3)).await,
        Some(4401)
    );
    let (status, _) = app.get("/me", Some(&user.token)).await;
    assert_eq!(status, 401);

    let state = &app.server.as_ref().expect("in process").state;
    let now_ms = state.clock.now_ms();
    let deleted = state
        .store
        .delete_expired_sessions(now_ms)
        .await
        .expect("the sweep's delete");
    assert!(deleted >= 1, "the expired session was still stored");
    assert_eq!(
        state.store.delete_expired_sessions(now_ms).await.unwrap(),
        0,
        "and is gone"
    );
    let fresh = app.sign_in("expiring", common::PASSWORD).await;
    assert_eq!(
        state.store.delete_expired_sessions(now_ms).await.unwrap(),
        0,
        "a valid session is kept"
    );
    assert_eq!(app.get("/me", Some(&fresh)).await.0, 200);
    app.stop().await;
}
on_both_databases!(
    an_expiring_session_closes_its_sockets_and_is_deleted,
    super::an_expiring_session_closes_its_sockets_and_is_deleted
);

/// SPEC §8: one connection over `--max-connections-per-account` is closed with 4429 after
/// its `auth`; a place comes back when a connection ends.
async fn connections_over_the_account_cap_are_closed_with_4429(db: Db) {
    let app = spawn(db, |mut config| {
        config.max_connections_per_account = 2;
        config
    })
    .await;
    let user = app.signup_bidder("many-tabs").await;
    let refused_before = counter(
        &app,
        "bidroom_connections_refused_total",
        &[("limit", "account")],
    )
    .await;
    let first = WsClient::signed_in(&app.ws_url, &user.token, Wire::Json).await;
    let mut second = WsClient::signed_in(&app.ws_url, &user.token, Wire::Json).await;
    let mut third = WsClient::connect(&app.ws_url, Wire::Json).await;
    third
        .send(json!({"type": "auth", "token": user.token}))
        .await;
    assert_eq!(close_code(third.closed().await), Some(4429));
    let other = app.signup_bidder("other-account").await;
    let _other = WsClient::signed_in(&app.ws_url, &other.token, Wire::Json).await;
    assert_eq!(pong(&mut second, "p").await["type"], "pong");

    drop(first);
    let mut admitted = false;
    for _ in 0..50 {
        let mut retry = WsClient::connect(&app.ws_url, Wire::Json).await;
        retry
            .send(json!({"type": "auth", "token": user.token}))
            .await;
        if retry.next_or_end().await.is_ok() {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(admitted, "a place came back when a connection ended");
    let refused_after = counter(
        &app,
        "bidroom_connections_refused_total",
        &[("limit", "account")],
    )
    .await;
    assert!(refused_after > refused_before, "the refusal is counted");
    app.stop().await;
}
on_both_databases!(
    connections_over_the_account_cap_are_closed_with_4429,
    super::connections_over_the_account_cap_are_closed_with_4429
);

/// SPEC §8: one upgrade over `--max-connections-per-address` is refused with HTTP 429 and
/// the `rate_limited` error body.
async fn upgrades_over_the_address_cap_are_refused_with_429(db: Db) {
    let app = spawn(db, |mut config| {
        config.max_connections_per_address = 2;
        config
    })
    .await;
    let refused_before = counter(
        &app,
        "bidroom_connections_refused_total",
        &[("limit", "address")],
    )
    .await;
    // Not even signed in: an address is counted from its upgrade.
    let first = WsClient::connect(&app.ws_url, Wire::Json).await;
    let _second = WsClient::connect(&app.ws_url, Wire::Json).await;
    let refused = tokio_tungstenite::connect_async(app.ws_url.as_str()).await;
    let Err(tungstenite::Error::Http(response)) = refused else {
        panic!("the third upgrade is refused: {refused:?}");
    };
    assert_eq!(response.status().as_u16(), 429);
    let body: Value = serde_json::from_slice(response.body().as_deref().unwrap_or_default())
        .expect("a JSON error body");
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    assert_eq!(app.get("/healthz", None).await.0, 200, "REST is not capped");

    drop(first);
    let mut admitted = false;
    for _ in 0..50 {
        if tokio_tungstenite::connect_async(app.ws_url.as_str())
            .await
            .is_ok()
        {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(admitted, "a place came back when a connection ended");
    let refused_after = counter(
        &app,
        "bidroom_connections_refused_total",
        &[("limit", "address")],
    )
    .await;
    assert!(refused_after > refused_before, "the refusal is counted");
    app.stop().await;
}
on_both_databases!(
    upgrades_over_the_address_cap_are_refused_with_429,
    super::upgrades_over_the_address_cap_are_refused_with_429
);

/// SPEC §8: bids per second per account are limited across its connections
/// (`--account-bid-rate-limit`), besides each connection's own limit.
async fn an_accounts_bids_are_limited_across_its_connections(db: Db) {
    let app = spawn(db, |mut config| {
        config.bid_rate_limit = 1000;
        config.account_bid_rate_limit = 4;
        config
    })
    .await;
    let auctioneer = app.create_auctioneer("limits-auctioneer").await;
    let lot = app
        .published_lot(
            &auctioneer.token,
            json!({"starts_at": common::in_secs(3600)}),
        )
        .await;
    let user = app.signup_verified_bidder("spreads-bids").await;
    let refused_before = counter(
        &app,
        "bidroom_bids_rejected_total",
        &[("code", "rate_limited"), ("limit", "account")],
    )
    .await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(WsClient::signed_in(&app.ws_url, &user.token, Wire::Json).await);
    }
    for (index, socket) in sockets.iter_mut().enumerate() {
        for bid in 0..4 {
            let req = format!("s{index}-{bid}");
            socket
                .send(json!({"type": "bid", "lot": lot, "amount": "1000.00", "req": req}))
                .await;
        }
    }
    let mut limited = 0;
    for (index, socket) in sockets.iter_mut().enumerate() {
        for bid in 0..4 {
            let answer = socket.answer(&format!("s{index}-{bid}")).await;
            assert_eq!(answer["type"], "rejected", "{answer}");
            if answer["code"] == "rate_limited" {
                limited += 1;
            } else {
                assert_eq!(
                    answer["code"], "not_open",
                    "the lot has not opened: {answer}"
                );
            }
        }
    }
    // 12 bids at 4 a second for the account (each connection is far under its own 1000):
    // at most 4, and what refills while they are sent, go through.
    assert!(limited >= 6, "{limited} of 12 bids refused");
    let refused_after = counter(
        &app,
        "bidroom_bids_rejected_total",
        &[("code", "rate_limited"), ("limit", "account")],
    )
    .await;
    assert!(
        refused_after - refused_before >= f64::from(limited),
        "every refusal is counted"
    );
    app.stop().await;
}
on_both_databases!(
    an_accounts_bids_are_limited_across_its_connections,
    super::an_accounts_bids_are_limited_across_its_connections
);
