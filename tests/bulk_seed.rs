//! `POST /admin/seed/bidders` (`--allow-bulk-seed`): seeded bidders are as ready as
//! bidders who went through every public step, the ledger stays consistent, a refused
//! batch leaves nothing behind, and the route does not exist unless the server allows it.

mod common;

use serde_json::{Value, json};

use bidroom::time_format::to_rfc3339;
use common::exchange::{now_ms, sleep_ms};
use common::ws::{Wire, WsClient};
use common::{Db, TestApp, TestDatabase};

/// A server started with `--allow-bulk-seed`.
async fn seeding_app(db: Db) -> TestApp {
    let database = TestDatabase::create(db).await;
    TestApp::spawn_on(database, |mut config| {
        config.allow_bulk_seed = true;
        config
    })
    .await
}

/// A published lot of a new auctioneer's (`lot_body`'s terms: start 1000.00, increment
/// 100.00, fixed deposit 200.00) opening at `starts_at_ms`; returns its id.
async fn published_lot(app: &TestApp, auctioneer: &str, starts_at_ms: i64) -> i64 {
    let auctioneer = app.create_auctioneer(auctioneer).await;
    app.published_lot(
        &auctioneer.token,
        json!({ "starts_at": to_rfc3339(starts_at_ms) }),
    )
    .await
}

async fn seed(app: &TestApp, token: Option<&str>, body: Value) -> (u16, Value) {
    let (status, body) = app.post("/admin/seed/bidders", token, body).await;
    (status.as_u16(), body)
}

async fn reconciliation_is_consistent(app: &TestApp) {
    let admin = app.admin_token().await;
    let (status, report) = app.get("/ledger/reconciliation", Some(&admin)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["consistent"], true, "{report}");
}

async fn seeded_bidders_are_ready_to_bid_and_the_ledger_stays_consistent(db: Db) {
    let app = seeding_app(db).await;
    let admin = app.admin_token().await;
    let starts_at_ms = now_ms() + 4_000;
    let hot = published_lot(&app, "house-a", starts_at_ms).await;
    let other = published_lot(&app, "house-b", starts_at_ms).await;
    let bidders: Vec<usize> = (0..20).collect();
    let (status, seeded) = seed(
        &app,
        Some(&admin),
        json!({
            "username_prefix": "seeded-b",
            "first_index": 100,
            "count": 20,
            "password": "seeded-password",
            "top_up": "1000.00",
            "registrations": [
                { "lot": hot, "bidders": bidders },
                { "lot": other, "bidders": [0, 1] },
            ],
        }),
    )
    .await;
    assert_eq!(status, 201, "{seeded}");
    let seeded = seeded["bidders"].as_array().expect("bidders").clone();
    assert_eq!(seeded.len(), 20);
    assert_eq!(seeded[0]["username"], "seeded-b100");
    assert_eq!(seeded[0]["registrations"].as_array().unwrap().len(), 2);
    assert_eq!(seeded[2]["registrations"].as_array().unwrap().len(), 1);
    let mut numbers: Vec<&str> = seeded
        .iter()
        .map(|bidder| {
            bidder["registrations"][0]["bidder_number"]
                .as_str()
                .unwrap()
        })
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(
        numbers.len(),
        20,
        "bidder numbers are unique within the lot"
    );

    // The token is a session; the account is verified and its money is where it belongs.
    let first = &seeded[0];
    let token = first["token"].as_str().unwrap();
    let (status, me) = app.get("/me", Some(token)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["verified"], true);
    assert_eq!(me["id_type"], "bulk_seed");
    assert_eq!(me["wallet"]["available"], "600.00");
    assert_eq!(me["wallet"]["frozen"], "400.00");
    // The shared password signs in too.
    app.sign_in("seeded-b119", "seeded-password").await;
    let (status, applications) = app
        .get(&format!("/lots/{hot}/applications"), Some(&admin))
        .await;
    assert_eq!(status, 200, "{applications}");
    let applications = applications.as_array().unwrap();
    assert_eq!(applications.len(), 20);
    assert!(
        applications
            .iter()
            .all(|application| application["status"] == "approved"
                && application["deposit_status"] == "lodged"),
        "{applications:?}"
    );
    reconciliation_is_consistent(&app).await;

    // The lot's room was running before the seed: it took the new roster.
    let mut bidder = WsClient::signed_in(&app.ws_url, token, Wire::Json).await;
    let snapshot = bidder.join(hot).await;
    assert_eq!(snapshot["you"]["eligible"], true, "{snapshot}");
    assert_eq!(
        snapshot["you"]["bidder_number"],
        first["registrations"][0]["bidder_number"]
    );
    let wait_ms = starts_at_ms + 200 - now_ms();
    if wait_ms > 0 {
        sleep_ms(wait_ms as u64).await;
    }
    let answer = bidder.bid(hot, "1000.00", "first").await;
    assert_eq!(answer["type"], "accepted", "{answer}");
    assert_eq!(answer["bidder"], first["registrations"][0]["bidder_number"]);
    reconciliation_is_consistent(&app).await;
    app.stop().await;
}
on_both_databases!(
    seeded_bidders_are_ready_to_bid,
    super::seeded_bidders_are_ready_to_bid_and_the_ledger_stays_consistent
);

async fn a_refused_batch_leaves_nothing_behind(db: Db) {
    let app = seeding_app(db).await;
    let admin = app.admin_token().await;
    let lot = published_lot(&app, "house", now_ms() + 60_000).await;
    // 100.00 does not cover the 200.00 deposit: the whole batch is refused.
    let (status, body) = seed(
        &app,
        Some(&admin),
        json!({
            "username_prefix": "poor-b",
            "count": 3,
            "password": "seeded-password",
            "top_up": "100.00",
            "registrations": [{ "lot": lot, "bidders": [0, 1, 2] }],
        }),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "insufficient_funds", "{body}");
    let (status, _) = app
        .post(
            "/sessions",
            None,
            json!({ "username": "poor-b0", "password": "seeded-password" }),
        )
        .await;
    assert_eq!(status, 401, "no account was left behind");
    let (_, applications) = app
        .get(&format!("/lots/{lot}/applications"), Some(&admin))
        .await;
    assert_eq!(applications, json!([]));
    reconciliation_is_consistent(&app).await;

    // A second batch with a taken name is refused whole as well.
    let body = json!({ "username_prefix": "rich-b", "count": 2, "password": "seeded-password" });
    let (status, _) = seed(&app, Some(&admin), body.clone()).await;
    assert_eq!(status, 201);
    let (status, refused) = seed(&app, Some(&admin), body).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "username_taken");
    app.stop().await;
}
on_both_databases!(
    a_refused_batch_is_not_stored,
    super::a_refused_batch_leaves_nothing_behind
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_route_is_absent_unless_the_server_allows_bulk_seeding() {
    let body = json!({ "username_prefix": "x-b", "count": 1, "password": "seeded-password" });
    let app = TestApp::spawn(Db::Sqlite).await;
    let admin = app.admin_token().await;
    let (status, refused) = seed(&app, Some(&admin), body.clone()).await;
    assert_eq!(status, 404, "{refused}");
    app.stop().await;

    let app = seeding_app(Db::Sqlite).await;
    let (status, _) = seed(&app, None, body.clone()).await;
    assert_eq!(status, 401);
    let bidder = app.signup_bidder("plain-bidder").await;
    let (status, _) = seed(&app, Some(&bidder.token), body.clone()).await;
    assert_eq!(status, 403);
    let auctioneer = app.create_auctioneer("house").await;
    let (status, _) = seed(&app, Some(&auctioneer.token), body).await;
    assert_eq!(status, 403);
    app.stop().await;
}
