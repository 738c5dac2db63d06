//! How connections end: 4401 without authentication, 1009 for oversized frames, and the
//! browser `Origin` check.

use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::common::ws::{Wire, WsClient};
use crate::common::{Db, TestApp};
use crate::on_both_databases;

async fn a_connection_without_valid_auth_is_closed_with_4401(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut bad_token = WsClient::connect(&app.ws_url, Wire::Json).await;
    bad_token
        .send(json!({"type": "auth", "token": "not-a-token"}))
        .await;
    assert_eq!(
        bad_token.closed().await.map(|frame| u16::from(frame.code)),
        Some(4401)
    );

    let mut wrong_first = WsClient::connect(&app.ws_url, Wire::Json).await;
    wrong_first.send(json!({"type": "ping"})).await;
    assert_eq!(
        wrong_first
            .closed()
            .await
            .map(|frame| u16::from(frame.code)),
        Some(4401)
    );

    let mut silent = WsClient::connect(&app.ws_url, Wire::Json).await;
    let started = std::time::Instant::now();
    assert_eq!(
        silent.closed().await.map(|frame| u16::from(frame.code)),
        Some(4401)
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(9),
        "closed after the 10 s allowance"
    );
    app.stop().await;
}
on_both_databases!(
    a_connection_without_valid_auth_is_closed_with_4401,
    super::a_connection_without_valid_auth_is_closed_with_4401
);

async fn a_frame_over_16_kib_is_closed_with_1009(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.signup_bidder("oversized").await;
    let mut client = WsClient::signed_in(&app.ws_url, &user.token, Wire::Json).await;
    let text = "x".repeat(17 * 1024);
    client
        .send_raw(Message::Text(
            json!({"type": "announce", "lot": 1, "text": text})
                .to_string()
                .into(),
        ))
        .await;
    assert_eq!(
        client.closed().await.map(|frame| u16::from(frame.code)),
        Some(1009)
    );
    app.stop().await;
}
on_both_databases!(
    a_frame_over_16_kib_is_closed_with_1009,
    super::a_frame_over_16_kib_is_closed_with_1009
);

async fn browsers_from_foreign_origins_are_refused(db: Db) {
    let database = crate::common::TestDatabase::create(db).await;
    let app = TestApp::spawn_on(database, |mut config| {
        config.allowed_origins = vec!["https://exchange.example".to_owned()];
        config
    })
    .await;
    let connect = |origin: &'static str| {
        let mut request = app.ws_url.as_str().into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Origin", origin.parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    assert!(
        connect("https://evil.example").await.is_err(),
        "a foreign origin is refused"
    );
    assert!(
        connect("https://exchange.example").await.is_ok(),
        "an allowed origin connects"
    );
    app.stop().await;
}
on_both_databases!(
    browsers_from_foreign_origins_are_refused,
    super::browsers_from_foreign_origins_are_refused
);
