mod common;

use common::{Db, TestApp, User, in_secs, lot_body};
use serde_json::{Value, json};

/// An auctioneer, and a lot of theirs as a draft.
async fn auctioneer_with_draft(app: &TestApp, overrides: Value) -> (User, i64) {
    let auctioneer = app.create_auctioneer("house").await;
    let lot = app.create_lot(&auctioneer.token, overrides).await;
    (auctioneer, lot["id"].as_i64().unwrap())
}

async fn an_auctioneer_creates_a_draft_lot(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let (status, lot) = app
        .post(
            "/lots",
            Some(&auctioneer.token),
            lot_body(json!({
                "reserve_price": "1500.00",
                "deposit": { "kind": "range", "min": "100", "max": "500.5" },
                "max_extensions": 5,
                "extension_mode": "add",
                "settlement_due_at": in_secs(86_400),
            })),
        )
        .await;
    assert_eq!(status, 201, "{lot}");
    assert_eq!(lot["state"], "draft");
    assert_eq!(lot["auctioneer_id"], auctioneer.id);
    assert_eq!(lot["currency"], "CNY");
    assert_eq!(lot["start_price"], "1000.00");
    assert_eq!(lot["increment"], "100.00");
    assert_eq!(lot["reserve_price"], "1500.00");
    assert_eq!(lot["has_reserve"], true);
    assert_eq!(
        lot["deposit"],
        json!({ "kind": "range", "min": "100.00", "max": "500.50" })
    );
    assert_eq!(lot["fee_rate"], "0.01");
    assert_eq!(lot["extension_window_secs"], 10);
    assert_eq!(lot["max_extensions"], 5);
    assert_eq!(lot["extension_mode"], "add");
    assert!(lot["settlement_due_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(lot["price"], Value::Null);
    assert_eq!(lot["leader"], Value::Null);
    assert_eq!(lot["bid_count"], 0);
    assert_eq!(lot["deadline"], lot["ends_at"]);
    app.stop().await;
}
on_both_databases!(
    an_auctioneer_creates_a_draft_lot,
    super::an_auctioneer_creates_a_draft_lot
);

async fn defaults_fill_the_optional_terms(db: Db) {
    let app = TestApp::spawn(db).await;
    let (_, lot) = auctioneer_with_draft(
        &app,
        json!({ "currency": null, "fee_rate": null, "extension_mode": null }),
    )
    .await;
    let admin = app.admin_token().await;
    let (_, lot) = app.get(&format!("/lots/{lot}"), Some(&admin)).await;
    assert_eq!(lot["currency"], "CNY");
    assert_eq!(lot["fee_rate"], "0");
    assert_eq!(lot["extension_mode"], "reset");
    assert_eq!(lot["reserve_price"], Value::Null);
    assert_eq!(lot["has_reserve"], false);
    assert_eq!(lot["max_extensions"], Value::Null);
    app.stop().await;
}
on_both_databases!(
    defaults_fill_the_optional_terms,
    super::defaults_fill_the_optional_terms
);

async fn invalid_lot_terms_are_refused(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let cases = [
        json!({ "applications_close_at": in_secs(3600), "starts_at": in_secs(60) }),
        json!({ "deposit_deadline": in_secs(3600), "starts_at": in_secs(60), "applications_close_at": in_secs(30) }),
        json!({ "starts_at": in_secs(60), "ends_at": in_secs(60) }),
        json!({ "starts_at": in_secs(60), "ends_at": in_secs(30) }),
        json!({ "start_price": 1000.5 }),
        json!({ "increment": 100 }),
        json!({ "increment": "0" }),
        json!({ "increment": "-100" }),
        json!({ "start_price": "10.001" }),
        json!({ "deposit": { "kind": "fixed", "amount": 200.0 } }),
        json!({ "deposit": { "kind": "range", "min": "500", "max": "100" } }),
        json!({ "deposit": { "kind": "percent", "amount": "5" } }),
        json!({ "fee_rate": "1" }),
        json!({ "fee_rate": 0.01 }),
        json!({ "currency": "cny" }),
        json!({ "extension_window_secs": 0 }),
        json!({ "extension_mode": "double" }),
        json!({ "title": " " }),
        json!({ "reserve": "1500.00" }),
        json!({ "settlement_due_at": in_secs(10) }),
    ];
    for case in cases {
        let (status, body) = app
            .post("/lots", Some(&auctioneer.token), lot_body(case.clone()))
            .await;
        assert_eq!(status, 400, "{case} -> {body}");
        assert_eq!(body["error"]["code"], "invalid_input", "{case}");
    }
    let mut body = lot_body(json!({}));
    body["starts_at"] = json!("tomorrow");
    let (status, _) = app.post("/lots", Some(&auctioneer.token), body).await;
    assert_eq!(status, 400);
    app.stop().await;
}
on_both_databases!(
    invalid_lot_terms_are_refused,
    super::invalid_lot_terms_are_refused
);

async fn only_auctioneers_and_admins_create_lots(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_verified_bidder("bob").await;
    let (status, _) = app.post("/lots", None, lot_body(json!({}))).await;
    assert_eq!(status, 401);
    let (status, body) = app
        .post("/lots", Some(&bidder.token), lot_body(json!({})))
        .await;
    assert_eq!(status, 403, "{body}");
    let admin = app.admin_token().await;
    let (status, _) = app.post("/lots", Some(&admin), lot_body(json!({}))).await;
    assert_eq!(status, 201);
    app.stop().await;
}
on_both_databases!(
    only_auctioneers_and_admins_create_lots,
    super::only_auctioneers_and_admins_create_lots
);

async fn drafts_are_private_until_published(db: Db) {
    let app = TestApp::spawn(db).await;
    let (auctioneer, lot) = auctioneer_with_draft(&app, json!({})).await;
    let rival = app.create_auctioneer("rival").await;
    let bidder = app.signup_bidder("bob").await;
    let admin = app.admin_token().await;
    let path = format!("/lots/{lot}");

    for token in [
        None,
        Some(bidder.token.as_str()),
        Some(rival.token.as_str()),
    ] {
        let (status, _) = app.get(&path, token).await;
        assert_eq!(status, 404);
        let (_, list) = app.get("/lots", token).await;
        assert_eq!(list.as_array().unwrap().len(), 0);
    }
    for token in [&auctioneer.token, &admin] {
        let (status, _) = app.get(&path, Some(token)).await;
        assert_eq!(status, 200);
        let (_, list) = app.get("/lots", Some(token)).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
    }

    let publish_path = format!("/lots/{lot}/publish");
    let (status, _) = app
        .post(&publish_path, Some(&rival.token), Value::Null)
        .await;
    assert_eq!(status, 404, "a rival cannot even see the draft");
    let (status, _) = app
        .post(&publish_path, Some(&bidder.token), Value::Null)
        .await;
    assert_eq!(
        status, 403,
        "a bidder may publish no lot: refused before the lot is looked up (SPEC §8)"
    );
    let (status, _) = app.post(&publish_path, None, Value::Null).await;
    assert_eq!(status, 401);

    let (status, published) = app
        .post(&publish_path, Some(&auctioneer.token), Value::Null)
        .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["state"], "published");
    let (status, body) = app
        .post(&publish_path, Some(&auctioneer.token), Value::Null)
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = app
        .post(&publish_path, Some(&rival.token), Value::Null)
        .await;
    assert_eq!(status, 403);

    let (status, shown) = app.get(&path, None).await;
    assert_eq!(status, 200);
    assert_eq!(shown["state"], "published");
    let (_, list) = app.get("/lots?state=published", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    let (_, list) = app.get("/lots?state=draft", Some(&admin)).await;
    assert_eq!(list.as_array().unwrap().len(), 0);
    let (status, _) = app.get("/lots?state=sold", None).await;
    assert_eq!(status, 400);
    let (status, _) = app.get("/lots/999999", None).await;
    assert_eq!(status, 404);
    app.stop().await;
}
on_both_databases!(
    drafts_are_private_until_published,
    super::drafts_are_private_until_published
);

async fn lots_are_listed_newest_first(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let mut ids = Vec::new();
    for title in ["first", "second", "third"] {
        ids.push(
            app.published_lot(&auctioneer.token, json!({ "title": title }))
                .await,
        );
    }
    let (_, list) = app.get("/lots", None).await;
    let listed: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|lot| lot["id"].as_i64().unwrap())
        .collect();
    ids.reverse();
    assert_eq!(listed, ids);
    let (_, list) = app.get("/lots?limit=2", None).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (status, _) = app.get("/lots?limit=0", None).await;
    assert_eq!(status, 400);
    app.stop().await;
}
on_both_databases!(
    lots_are_listed_newest_first,
    super::lots_are_listed_newest_first
);

async fn the_reserve_is_shown_only_to_whoever_runs_the_lot(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let lot = app
        .published_lot(&auctioneer.token, json!({ "reserve_price": "1500.00" }))
        .await;
    let bidder = app.signup_verified_bidder("bob").await;
    let admin = app.admin_token().await;
    let path = format!("/lots/{lot}");
    for token in [None, Some(bidder.token.as_str())] {
        let (_, shown) = app.get(&path, token).await;
        assert_eq!(shown["has_reserve"], true);
        assert!(shown.get("reserve_price").is_none(), "{shown}");
        assert!(!shown.to_string().contains("1500"), "{shown}");
        let (_, list) = app.get("/lots", token).await;
        assert!(!list.to_string().contains("1500"), "{list}");
    }
    for token in [&auctioneer.token, &admin] {
        let (_, shown) = app.get(&path, Some(token)).await;
        assert_eq!(shown["reserve_price"], "1500.00");
    }
    app.stop().await;
}
on_both_databases!(
    the_reserve_is_shown_only_to_whoever_runs_the_lot,
    super::the_reserve_is_shown_only_to_whoever_runs_the_lot
);

async fn a_verified_bidder_applies_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let lot = app
        .published_lot(&auctioneer.token, json!({ "starts_at": in_secs(60) }))
        .await;
    let path = format!("/lots/{lot}/applications");

    let unverified = app.signup_bidder("newcomer").await;
    let (status, body) = app.post(&path, Some(&unverified.token), Value::Null).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("verif"));

    let (status, _) = app.post(&path, Some(&auctioneer.token), Value::Null).await;
    assert_eq!(status, 403);
    let (status, _) = app.post(&path, None, Value::Null).await;
    assert_eq!(status, 401);

    let bidder = app.signup_verified_bidder("bob").await;
    let (status, application) = app.post(&path, Some(&bidder.token), Value::Null).await;
    assert_eq!(status, 201, "{application}");
    assert_eq!(application["status"], "pending");
    assert_eq!(application["deposit_status"], "none");
    assert_eq!(application["lot_id"], lot);
    assert_eq!(application["bidder_number"], Value::Null);

    let (status, body) = app.post(&path, Some(&bidder.token), Value::Null).await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "already_applied");

    let application_path = format!("/applications/{}", application["id"]);
    let (status, shown) = app.get(&application_path, Some(&bidder.token)).await;
    assert_eq!(status, 200);
    assert_eq!(shown["id"], application["id"]);
    let other = app.signup_verified_bidder("carol").await;
    let (status, _) = app.get(&application_path, Some(&other.token)).await;
    assert_eq!(status, 403);
    app.stop().await;
}
on_both_databases!(
    a_verified_bidder_applies_once,
    super::a_verified_bidder_applies_once
);

async fn applications_close_at_their_time(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let bidder = app.signup_verified_bidder("bob").await;
    let draft = app.create_lot(&auctioneer.token, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let (status, _) = app
        .post(
            &format!("/lots/{draft}/applications"),
            Some(&bidder.token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 404, "a draft is not there for bidders");

    let lot = app
        .published_lot(
            &auctioneer.token,
            json!({
                "starts_at": in_secs(30),
                "applications_close_at": in_secs(1),
                "deposit_deadline": in_secs(1),
            }),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let (status, body) = app
        .post(
            &format!("/lots/{lot}/applications"),
            Some(&bidder.token),
            Value::Null,
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "applications_closed");
    app.stop().await;
}
on_both_databases!(
    applications_close_at_their_time,
    super::applications_close_at_their_time
);

async fn the_auctioneer_approves_with_a_bidder_number_and_a_priority_rank(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let lot = app
        .published_lot(&auctioneer.token, json!({ "starts_at": in_secs(60) }))
        .await;
    let bob = app.signup_verified_bidder("bob").await;
    let carol = app.signup_verified_bidder("carol").await;
    let bob_application = app.apply(&bob.token, lot).await;
    let carol_application = app.apply(&carol.token, lot).await;

    let (status, approved) = app
        .post(
            &format!("/applications/{bob_application}/approve"),
            Some(&auctioneer.token),
            json!({ "priority_rank": 1 }),
        )
        .await;
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["priority_rank"], 1);
    let bob_number = approved["bidder_number"].as_str().unwrap().to_owned();
    assert_eq!(bob_number.len(), 4);
    assert!(bob_number.bytes().all(|b| b.is_ascii_digit()));

    let carol_number = app
        .approve(&auctioneer.token, carol_application, None)
        .await;
    assert_ne!(carol_number, bob_number);

    let (status, body) = app
        .post(
            &format!("/applications/{bob_application}/approve"),
            Some(&auctioneer.token),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "not_pending");

    let (status, list) = app
        .get(
            &format!("/lots/{lot}/applications"),
            Some(&auctioneer.token),
        )
        .await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["username"], "bob");
    assert_eq!(list[0]["display_name"], "bob (display)");
    assert_eq!(list[0]["bidder_number"], bob_number.as_str());
    assert_eq!(list[1]["priority_rank"], Value::Null);
    app.stop().await;
}
on_both_databases!(
    the_auctioneer_approves_with_a_bidder_number_and_a_priority_rank,
    super::the_auctioneer_approves_with_a_bidder_number_and_a_priority_rank
);

async fn an_approval_takes_an_empty_body(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let lot = app
        .published_lot(&auctioneer.token, json!({ "starts_at": in_secs(60) }))
        .await;
    let bob = app.signup_verified_bidder("bob").await;
    let application = app.apply(&bob.token, lot).await;
    let response = app
        .http
        .post(format!(
            "{}/applications/{application}/approve",
            app.base_url
        ))
        .bearer_auth(&auctioneer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    app.stop().await;
}
on_both_databases!(
    an_approval_takes_an_empty_body,
    super::an_approval_takes_an_empty_body
);

async fn the_auctioneer_rejects_with_a_reason(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let lot = app
        .published_lot(&auctioneer.token, json!({ "starts_at": in_secs(60) }))
        .await;
    let bob = app.signup_verified_bidder("bob").await;
    let application = app.apply(&bob.token, lot).await;
    let path = format!("/applications/{application}/reject");
    let (status, _) = app.post(&path, Some(&auctioneer.token), json!({})).await;
    assert_eq!(status, 400);
    let (status, rejected) = app
        .post(
            &path,
            Some(&auctioneer.token),
            json!({ "reason": "documents incomplete" }),
        )
        .await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["reject_reason"], "documents incomplete");
    assert_eq!(rejected["bidder_number"], Value::Null);

    let (status, _) = app
        .post(
            &format!("/applications/{application}/approve"),
            Some(&auctioneer.token),
            json!({}),
        )
        .await;
    assert_eq!(status, 409);
    let (_, shown) = app
        .get(&format!("/applications/{application}"), Some(&bob.token))
        .await;
    assert_eq!(shown["status"], "rejected");
    app.stop().await;
}
on_both_databases!(
    the_auctioneer_rejects_with_a_reason,
    super::the_auctioneer_rejects_with_a_reason
);

async fn only_the_lots_own_auctioneer_decides(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let rival = app.create_auctioneer("rival").await;
    let lot = app
        .published_lot(&auctioneer.token, json!({ "starts_at": in_secs(60) }))
        .await;
    let bob = app.signup_verified_bidder("bob").await;
    let application = app.apply(&bob.token, lot).await;
    let approve = format!("/applications/{application}/approve");
    let reject = format!("/applications/{application}/reject");
    for token in [&rival.token, &bob.token] {
        let (status, _) = app.post(&approve, Some(token), json!({})).await;
        assert_eq!(status, 403);
        let (status, _) = app
            .post(&reject, Some(token), json!({ "reason": "no" }))
            .await;
        assert_eq!(status, 403);
        let (status, _) = app
            .get(&format!("/lots/{lot}/applications"), Some(token))
            .await;
        assert_eq!(status, 403);
    }
    let (status, _) = app.post(&approve, None, json!({})).await;
    assert_eq!(status, 401);
    let (status, _) = app
        .post(
            "/applications/999999/approve",
            Some(&auctioneer.token),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post(
            &approve,
            Some(&auctioneer.token),
            json!({ "priority_rank": 0 }),
        )
        .await;
    assert_eq!(status, 400);
    let admin = app.admin_token().await;
    let number = app.approve(&admin, application, Some(2)).await;
    assert_eq!(number.len(), 4);
    app.stop().await;
}
on_both_databases!(
    only_the_lots_own_auctioneer_decides,
    super::only_the_lots_own_auctioneer_decides
);

async fn bids_and_result_before_any_bid(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let lot = app
        .published_lot(&auctioneer.token, json!({ "starts_at": in_secs(60) }))
        .await;
    let bob = app.signup_bidder("bob").await;
    let (status, _) = app.get(&format!("/lots/{lot}/bids"), None).await;
    assert_eq!(status, 401);
    let (status, bids) = app
        .get(&format!("/lots/{lot}/bids"), Some(&bob.token))
        .await;
    assert_eq!(status, 200, "{bids}");
    assert_eq!(bids, json!([]));
    let (status, _) = app
        .get(&format!("/lots/{lot}/bids?limit=5000"), Some(&bob.token))
        .await;
    assert_eq!(status, 400);

    let (status, result) = app.get(&format!("/lots/{lot}/result"), None).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(
        result,
        json!({ "status": "published", "price": null, "winner_bidder": null })
    );
    app.stop().await;
}
on_both_databases!(
    bids_and_result_before_any_bid,
    super::bids_and_result_before_any_bid
);

async fn bids_are_anonymised_and_the_result_names_the_winner_to_few(db: Db) {
    use common::ws::{Wire, WsClient};

    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let lot = app
        .published_lot(
            &auctioneer.token,
            json!({
                "starts_at": in_secs(2),
                "ends_at": in_secs(4),
                "extension_window_secs": 1,
            }),
        )
        .await;
    let bob = app.registered_bidder(&auctioneer.token, lot, "bob").await;
    let carol = app.registered_bidder(&auctioneer.token, lot, "carol").await;
    for bidder in [&bob, &carol] {
        app.top_up(&bidder.user, "1000.00").await;
        let (status, body) = app
            .deposit(&bidder.user, bidder.application_id, "deposit", json!({}))
            .await;
        assert_eq!(status, 201, "{body}");
    }

    let mut bob_socket = WsClient::signed_in(&app.ws_url, &bob.user.token, Wire::Json).await;
    let mut carol_socket = WsClient::signed_in(&app.ws_url, &carol.user.token, Wire::Json).await;
    bob_socket.join(lot).await;
    carol_socket.join(lot).await;
    bob_socket
        .next_matching(|message| message["type"] == "state" && message["state"] == "open")
        .await;
    let accepted = bob_socket.bid(lot, "1000.00", "b1").await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");
    carol_socket
        .next_matching(|message| message["type"] == "bid")
        .await;
    let accepted = carol_socket.bid(lot, "1100.00", "c1").await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");

    let (status, bids) = app
        .get(&format!("/lots/{lot}/bids"), Some(&bob.user.token))
        .await;
    assert_eq!(status, 200, "{bids}");
    let bids = bids.as_array().unwrap().clone();
    assert_eq!(bids.len(), 2);
    assert_eq!(bids[0]["amount"], "1000.00");
    assert_eq!(bids[0]["bidder"], bob.bidder_number.as_str());
    assert_eq!(bids[1]["bidder"], carol.bidder_number.as_str());
    assert!(bids[0]["at"].as_str().unwrap().ends_with('Z'));
    assert!(bids[0].get("account_id").is_none() && bids[0].get("display_name").is_none());
    assert!(!serde_json::to_string(&bids).unwrap().contains("carol"));

    let (_, monitor) = app
        .get(&format!("/lots/{lot}/bids"), Some(&auctioneer.token))
        .await;
    assert_eq!(monitor[1]["account_id"], carol.user.id);
    assert_eq!(monitor[1]["display_name"], "carol (display)");
    let (_, page) = app
        .get(
            &format!("/lots/{lot}/bids?after_seq={}&limit=1", bids[0]["seq"]),
            Some(&bob.user.token),
        )
        .await;
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["seq"], bids[1]["seq"]);

    let (_, shown) = app.get(&format!("/lots/{lot}"), None).await;
    assert_eq!(shown["state"], "open");
    assert_eq!(shown["price"], "1100.00");
    assert_eq!(shown["leader"], carol.bidder_number.as_str());
    assert_eq!(shown["bid_count"], 2);

    bob_socket.next_of_type("closed").await;
    let path = format!("/lots/{lot}/result");
    let (status, result) = app.get(&path, None).await;
    assert_eq!(status, 200);
    assert_eq!(
        result,
        json!({ "status": "sold", "price": "1100.00", "winner_bidder": carol.bidder_number })
    );
    let (_, seen_by_loser) = app.get(&path, Some(&bob.user.token)).await;
    assert!(seen_by_loser.get("winner_account_id").is_none());
    for token in [&carol.user.token, &auctioneer.token] {
        let (_, seen) = app.get(&path, Some(token)).await;
        assert_eq!(seen["winner_account_id"], carol.user.id);
    }
    app.stop().await;
}
on_both_databases!(
    bids_are_anonymised_and_the_result_names_the_winner_to_few,
    super::bids_are_anonymised_and_the_result_names_the_winner_to_few
);
