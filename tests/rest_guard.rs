//! SPEC §11's guards over REST: password changes (and a required one), the read-only
//! supervisor, and suspensions (停用).

mod common;

use common::ws::{Wire, WsClient};
use common::{Db, PASSWORD, TestApp, User};
use reqwest::Method;
use serde_json::{Value, json};

const NEW_PASSWORD: &str = "a-new-password-456";

async fn change_password(app: &TestApp, token: &str, current: &str, new: &str) -> (u16, Value) {
    let (status, body) = app
        .post(
            "/me/password",
            Some(token),
            json!({ "current": current, "new": new }),
        )
        .await;
    (status.as_u16(), body)
}

async fn a_password_change_keeps_this_session_and_signs_out_the_others(db: Db) {
    let app = TestApp::spawn(db).await;
    let alice = app.signup_bidder("alice").await;
    let other_session = app.sign_in("alice", PASSWORD).await;

    let (status, body) =
        change_password(&app, &alice.token, "not-the-password", NEW_PASSWORD).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("wrong_password")),
        "{body}"
    );
    let (status, body) = change_password(&app, &alice.token, PASSWORD, "short").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_input")),
        "{body}"
    );
    let too_long = "x".repeat(257);
    let (status, _) = change_password(&app, &alice.token, PASSWORD, &too_long).await;
    assert_eq!(status, 400);
    // Refused changes changed nothing.
    app.sign_in("alice", PASSWORD).await;

    let (status, body) = change_password(&app, &alice.token, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, 204, "{body}");
    let (status, _) = app.get("/me", Some(&alice.token)).await;
    assert_eq!(status, 200, "the session that changed it stays");
    let (status, _) = app.get("/me", Some(&other_session)).await;
    assert_eq!(status, 401, "every other session is signed out");
    let (status, _) = app
        .post(
            "/sessions",
            None,
            json!({ "username": "alice", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 401, "the old password no longer signs in");
    app.sign_in("alice", NEW_PASSWORD).await;
    app.stop().await;
}
on_both_databases!(
    a_password_change_keeps_this_session_and_signs_out_the_others,
    super::a_password_change_keeps_this_session_and_signs_out_the_others
);

async fn an_account_that_must_change_its_password_does_nothing_else_first(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let bidder = app.signup_bidder("bob").await;
    let (status, body) = app
        .post(
            "/accounts",
            Some(&bidder.token),
            json!({ "username": "x-user", "password": PASSWORD, "display_name": "X",
                    "must_change_password": true }),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );

    let (status, created) = app
        .post(
            "/accounts",
            Some(&admin),
            json!({ "username": "clerk", "password": PASSWORD, "display_name": "Clerk",
                    "role": "auctioneer", "must_change_password": true }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["must_change_password"], true);
    let token = app.sign_in("clerk", PASSWORD).await;

    let (status, me) = app.get("/me", Some(&token)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["must_change_password"], true);
    let refused = [
        (Method::GET, "/lots"),
        (Method::GET, "/me/applications"),
        (Method::POST, "/lots"),
        (Method::GET, "/wallet"),
    ];
    for (method, path) in refused.clone() {
        let body = (method == Method::POST).then(|| json!({}));
        let (status, body) = app.request(method, path, Some(&token), body).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["error"]["code"], "password_change_required", "{path}");
    }
    let mut socket = WsClient::signed_in(&app.ws_url, &token, Wire::Json).await;
    socket
        .send(json!({ "type": "join", "lot": 1, "req": "j" }))
        .await;
    let answer = socket.answer("j").await;
    assert_eq!(
        (answer["type"].as_str(), answer["code"].as_str()),
        (Some("error"), Some("password_change_required")),
        "{answer}"
    );
    let answer = socket.bid(1, "100.00", "b").await;
    assert_eq!(
        (answer["type"].as_str(), answer["code"].as_str()),
        (Some("rejected"), Some("password_change_required")),
        "{answer}"
    );

    let (status, body) = change_password(&app, &token, PASSWORD, NEW_PASSWORD).await;
    assert_eq!(status, 204, "{body}");
    let (_, me) = app.get("/me", Some(&token)).await;
    assert_eq!(me["must_change_password"], false);
    for (method, path) in refused
        .into_iter()
        .filter(|(method, _)| method == Method::GET)
    {
        let (status, body) = app.request(method, path, Some(&token), None).await;
        assert_ne!(status, 403, "{path}: {body}");
    }
    let (status, _) = app
        .request(Method::DELETE, "/sessions/current", Some(&token), None)
        .await;
    assert_eq!(status, 204);
    app.stop().await;
}
on_both_databases!(
    an_account_that_must_change_its_password_does_nothing_else_first,
    super::an_account_that_must_change_its_password_does_nothing_else_first
);

/// The writes a supervisor may make: its own password and session.
const SUPERVISOR_WRITES: [&str; 3] = [
    "POST /api/v1/me/password",
    "POST /api/v1/sessions",
    "DELETE /api/v1/sessions/current",
];

async fn a_supervisor_reads_everything_and_every_write_is_refused(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let bidder = app.signup_bidder("carol").await;
    let (status, body) = app
        .post(
            "/accounts",
            Some(&bidder.token),
            json!({ "username": "sneak", "password": PASSWORD, "display_name": "S", "role": "supervisor" }),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    let supervisor = app.create_user(Some(&admin), "watcher", "supervisor").await;
    let auctioneer = app.create_auctioneer("house").await;
    // A draft: only whoever runs the lot, admins and supervisors see it.
    let lot = app.create_lot(&auctioneer.token, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let (_, me) = app.get("/me", Some(&supervisor.token)).await;
    assert_eq!(me["role"], "supervisor");

    for path in [
        "/accounts",
        "/settlements",
        "/ledger/reconciliation",
        "/accounts/suspended",
        "/lots",
        &format!("/accounts/{}/suspensions", bidder.id),
        &format!("/lots/{lot}"),
        &format!("/lots/{lot}/applications"),
    ] {
        let (status, body) = app.get(path, Some(&supervisor.token)).await;
        assert_eq!(status, 200, "{path}: {body}");
    }

    let (_, document) = app.get("/openapi.json", None).await;
    let mut refused = 0;
    let mut allowed = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if method == "get" || method == "head" {
                continue;
            }
            let name = format!("{} {path}", method.to_uppercase());
            if SUPERVISOR_WRITES.contains(&name.as_str()) {
                allowed.push(name);
                continue;
            }
            let concrete = path.trim_start_matches("/api/v1").replace("{id}", "1");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (status, body) = app
                .request(method, &concrete, Some(&supervisor.token), Some(json!({})))
                .await;
            assert_eq!(status, 403, "{name}: {body}");
            assert_eq!(body["error"]["code"], "forbidden", "{name}");
            refused += 1;
        }
    }
    allowed.sort();
    let mut expected: Vec<String> = SUPERVISOR_WRITES
        .iter()
        .map(|name| name.to_string())
        .collect();
    expected.sort();
    assert_eq!(allowed, expected);
    assert!(refused >= 20, "only {refused} writes walked");
    app.stop().await;
}
on_both_databases!(
    a_supervisor_reads_everything_and_every_write_is_refused,
    super::a_supervisor_reads_everything_and_every_write_is_refused
);

async fn suspend(
    app: &TestApp,
    admin: &str,
    user: &User,
    days: Value,
    reason: &str,
) -> (u16, Value) {
    let (status, body) = app
        .post(
            &format!("/accounts/{}/suspension", user.id),
            Some(admin),
            json!({ "days": days, "reason": reason }),
        )
        .await;
    (status.as_u16(), body)
}

async fn a_suspension_is_recorded_refuses_applications_and_is_lifted(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let dave = app.signup_verified_bidder("dave").await;
    let lot = app.published_lot(&auctioneer.token, json!({})).await;

    for (days, reason) in [
        (json!(0), "r"),
        (json!(3651), "r"),
        (json!(5), " "),
        (json!("x"), "r"),
    ] {
        let (status, body) = suspend(&app, &admin, &dave, days, reason).await;
        assert!(status == 400 || status == 422, "{body}");
    }
    let (status, body) = suspend(&app, &auctioneer.token, &dave, json!(5), "no").await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = app.get("/accounts/suspended", Some(&admin)).await;
    assert_eq!(status, 200);

    let (status, record) = suspend(&app, &admin, &dave, json!(30), "deposit defaulted twice").await;
    assert_eq!(status, 201, "{record}");
    assert_eq!(record["action"], "suspend");
    assert_eq!(record["days"], 30);
    assert!(record["until"].is_string());
    let (_, me) = app.get("/me", Some(&dave.token)).await;
    assert_eq!(me["suspended_until"], record["until"]);

    let (status, body) = app
        .post(
            &format!("/lots/{lot}/applications"),
            Some(&dave.token),
            json!({}),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (403, Some("suspended")),
        "{body}"
    );
    let (_, suspended) = app.get("/accounts/suspended", Some(&admin)).await;
    assert_eq!(suspended.as_array().unwrap().len(), 1, "{suspended}");
    assert_eq!(suspended[0]["username"], "dave");
    assert_eq!(suspended[0]["reason"], "deposit defaulted twice");

    let lift_path = format!("/accounts/{}/suspension/lift", dave.id);
    let (status, _) = app
        .post(&lift_path, Some(&admin), json!({ "reason": "" }))
        .await;
    assert_eq!(status, 400);
    let (status, lifted) = app
        .post(
            &lift_path,
            Some(&admin),
            json!({ "reason": "paid in full" }),
        )
        .await;
    assert_eq!(status, 200, "{lifted}");
    assert_eq!(lifted["action"], "lift");
    let (status, body) = app
        .post(&lift_path, Some(&admin), json!({ "reason": "again" }))
        .await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (409, Some("not_suspended"))
    );

    let (_, history) = app
        .get(&format!("/accounts/{}/suspensions", dave.id), Some(&admin))
        .await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|record| record["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["suspend", "lift"], "{history}");
    assert_eq!(history[1]["reason"], "paid in full");
    let (_, suspended) = app.get("/accounts/suspended", Some(&admin)).await;
    assert_eq!(suspended, json!([]));
    let (status, body) = app
        .post(
            &format!("/lots/{lot}/applications"),
            Some(&dave.token),
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = app.get("/accounts/999999/suspensions", Some(&admin)).await;
    assert_eq!(status, 404);
    app.stop().await;
}
on_both_databases!(
    a_suspension_is_recorded_refuses_applications_and_is_lifted,
    super::a_suspension_is_recorded_refuses_applications_and_is_lifted
);
