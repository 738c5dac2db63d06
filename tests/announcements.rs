//! Announcements (SPEC §11) over HTTP on both databases: drafting, review, the public list
//! and its search; an exchange that requires review publishes and cancels lots only with
//! approved announcements; a close drafts the result announcement.

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::ws::{Wire, WsClient};
use common::{Db, TestApp, TestDatabase, User, in_secs};

async fn draft(app: &TestApp, token: &str, lot: i64, kind: &str, title: &str) -> Value {
    let body =
        json!({"kind": kind, "lot_id": lot, "title": title, "body": "第一条 ...\n第二条 ..."});
    let (status, answer) = app.post("/announcements", Some(token), body).await;
    assert_eq!(status, 201, "{answer}");
    answer
}

async fn step(app: &TestApp, token: &str, id: i64, step: &str, body: Value) -> (u16, Value) {
    let (status, answer) = app
        .post(&format!("/announcements/{id}/{step}"), Some(token), body)
        .await;
    (status.as_u16(), answer)
}

/// Drafts, submits and approves an announcement of `kind` for the lot; its id.
async fn approved(app: &TestApp, auctioneer: &User, lot: i64, kind: &str) -> i64 {
    let id = draft(app, &auctioneer.token, lot, kind, "公告").await["id"]
        .as_i64()
        .unwrap();
    let admin = app.admin_token().await;
    assert_eq!(
        step(app, &auctioneer.token, id, "submit", Value::Null)
            .await
            .0,
        200
    );
    assert_eq!(step(app, &admin, id, "approve", Value::Null).await.0, 200);
    id
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|entry| entry["id"].as_i64().unwrap())
        .collect()
}

async fn an_announcement_is_public_only_once_an_admin_approves_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let auctioneer = app.create_auctioneer("house").await;
    let other = app.create_auctioneer("other-house").await;
    let bidder = app.signup_verified_bidder("alice").await;
    let lot = app
        .create_lot(&auctioneer.token, json!({"starts_at": in_secs(3600)}))
        .await["id"]
        .as_i64()
        .unwrap();

    // Only the lot's auctioneer (or an admin) drafts about it; bad input changes nothing.
    let body = json!({"kind": "auction", "lot_id": lot, "title": "x", "body": "y"});
    let (status, _) = app
        .post("/announcements", Some(&other.token), body.clone())
        .await;
    assert_eq!(status, 403);
    let (status, _) = app.post("/announcements", Some(&bidder.token), body).await;
    assert_eq!(status, 403);
    for bad in [
        json!({"kind": "notice", "lot_id": lot, "title": "x", "body": "y"}),
        json!({"kind": "auction", "lot_id": lot, "title": " ", "body": "y"}),
        json!({"kind": "auction", "lot_id": lot, "title": "x".repeat(201), "body": "y"}),
        json!({"kind": "auction", "lot_id": lot, "title": "x", "body": "y", "extra": 1}),
    ] {
        let (status, answer) = app
            .post("/announcements", Some(&auctioneer.token), bad)
            .await;
        assert_eq!(status, 400, "{answer}");
    }
    let (status, _) = app
        .post(
            "/announcements",
            Some(&auctioneer.token),
            json!({"kind": "auction", "lot_id": 999_999, "title": "x", "body": "y"}),
        )
        .await;
    assert_eq!(status, 404);

    let created = draft(
        &app,
        &auctioneer.token,
        lot,
        "auction",
        "国有土地使用权 Land Auction",
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["status"], "draft");
    assert_eq!(created["generated"], false);
    // Not public yet: nobody else sees it, not even by id.
    assert!(ids(&app.get("/announcements", None).await.1).is_empty());
    assert_eq!(app.get(&format!("/announcements/{id}"), None).await.0, 404);
    assert_eq!(
        app.get(&format!("/announcements/{id}"), Some(&other.token))
            .await
            .0,
        404
    );
    // An admin cannot approve a draft its author has not submitted.
    let (status, answer) = step(&app, &admin, id, "approve", Value::Null).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (409, Some("announcement_not_submitted"))
    );

    // Submitted, returned with a reason, changed, submitted again, approved.
    assert_eq!(
        step(&app, &auctioneer.token, id, "submit", Value::Null)
            .await
            .0,
        200
    );
    let (status, answer) = app
        .request(
            reqwest::Method::PUT,
            &format!("/announcements/{id}"),
            Some(&auctioneer.token),
            Some(json!({"title": "changed", "body": "changed"})),
        )
        .await;
    assert_eq!(
        (status.as_u16(), answer["error"]["code"].as_str()),
        (409, Some("announcement_not_editable"))
    );
    let (status, _) = step(
        &app,
        &auctioneer.token,
        id,
        "return",
        json!({"reason": "no"}),
    )
    .await;
    assert_eq!(status, 403, "only an admin returns one");
    let (status, _) = step(&app, &admin, id, "return", json!({"reason": ""})).await;
    assert_eq!(status, 400);
    let (status, returned) = step(
        &app,
        &admin,
        id,
        "return",
        json!({"reason": "保证金金额与标的不符"}),
    )
    .await;
    assert_eq!(status, 200, "{returned}");
    assert_eq!(returned["status"], "returned");
    assert_eq!(returned["reason"], "保证金金额与标的不符");
    let review = app
        .get(
            "/announcements/review?status=returned",
            Some(&auctioneer.token),
        )
        .await
        .1;
    assert_eq!(ids(&review), [id], "the author sees what came back");
    let (status, edited) = app
        .request(
            reqwest::Method::PUT,
            &format!("/announcements/{id}"),
            Some(&auctioneer.token),
            Some(
                json!({"title": "国有土地使用权拍卖公告 Land Auction", "body": "保证金 200.00 元"}),
            ),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["status"], "draft");
    assert_eq!(
        step(&app, &auctioneer.token, id, "submit", Value::Null)
            .await
            .0,
        200
    );
    let queue = app
        .get("/announcements/review?status=submitted", Some(&admin))
        .await
        .1;
    assert_eq!(ids(&queue), [id]);
    let (status, approved) = step(&app, &admin, id, "approve", Value::Null).await;
    assert_eq!(status, 200, "{approved}");
    assert!(approved["published_at"].is_string());

    // Public now, without the review's details; found by kind, lot, words and dates.
    let (status, public) = app.get(&format!("/announcements/{id}"), None).await;
    assert_eq!(status, 200);
    assert!(
        public.get("author_id").is_none() && public.get("reason").is_none(),
        "{public}"
    );
    let second = approved_lot_announcement(&app, &auctioneer, lot).await;
    for (query, expected) in [
        (String::new(), vec![second, id]),
        ("?kind=auction".to_owned(), vec![id]),
        ("?kind=termination".to_owned(), vec![second]),
        (format!("?lot_id={lot}"), vec![second, id]),
        ("?q=land%20AUCTION".to_owned(), vec![id]),
        ("?q=%E5%9C%9F%E5%9C%B0".to_owned(), vec![id]), // 土地
        ("?q=100%25".to_owned(), vec![]),
        (format!("?from={}", in_secs(-3600)), vec![second, id]),
        (format!("?to={}", in_secs(-3600)), vec![]),
        ("?limit=1".to_owned(), vec![second]),
        (format!("?before={second}"), vec![id]),
    ] {
        let (status, list) = app.get(&format!("/announcements{query}"), None).await;
        assert_eq!(status, 200, "{query}: {list}");
        assert_eq!(ids(&list), expected, "{query}");
    }
    for bad in [
        "?kind=x",
        "?from=yesterday",
        "?status=draft",
        "?limit=0",
        "?lot_id=-1",
    ] {
        assert_eq!(
            app.get(&format!("/announcements{bad}"), None).await.0,
            400,
            "{bad}"
        );
    }
    // An auctioneer's review list holds its own lots' announcements only; bidders have none.
    let mine = app.get("/announcements/review", Some(&other.token)).await.1;
    assert!(ids(&mine).is_empty());
    assert_eq!(
        app.get("/announcements/review", Some(&bidder.token))
            .await
            .0,
        403
    );
    app.stop().await;
}
on_both_databases!(
    an_announcement_is_public_only_once_an_admin_approves_it,
    super::an_announcement_is_public_only_once_an_admin_approves_it
);

async fn approved_lot_announcement(app: &TestApp, auctioneer: &User, lot: i64) -> i64 {
    approved(app, auctioneer, lot, "termination").await
}

/// With `--require-announcement-review`, a lot is published only with its approved auction
/// announcement, and cancelled only with an approved termination announcement.
async fn a_reviewing_exchange_moves_lots_only_with_approved_announcements(db: Db) {
    let database = TestDatabase::create(db).await;
    let app = TestApp::spawn_on(database, |mut config| {
        config.require_announcement_review = true;
        config
    })
    .await;
    let auctioneer = app.create_auctioneer("house").await;
    let lot = app
        .create_lot(&auctioneer.token, json!({"starts_at": in_secs(3600)}))
        .await["id"]
        .as_i64()
        .unwrap();
    let publish = format!("/lots/{lot}/publish");
    let (status, answer) = app
        .post(&publish, Some(&auctioneer.token), Value::Null)
        .await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"]["code"], "announcement_required");
    // A draft, or a submitted one, is not enough.
    let pending = draft(&app, &auctioneer.token, lot, "auction", "公告").await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        step(&app, &auctioneer.token, pending, "submit", Value::Null)
            .await
            .0,
        200
    );
    assert_eq!(
        app.post(&publish, Some(&auctioneer.token), Value::Null)
            .await
            .0,
        409
    );
    let admin = app.admin_token().await;
    assert_eq!(
        step(&app, &admin, pending, "approve", Value::Null).await.0,
        200
    );
    let (status, published) = app
        .post(&publish, Some(&auctioneer.token), Value::Null)
        .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["state"], "published");

    // Cancelling in the room needs the termination announcement.
    let mut room = WsClient::signed_in(&app.ws_url, &auctioneer.token, Wire::Json).await;
    room.join(lot).await;
    room.send(json!({"type": "cancel", "lot": lot, "reason": "withdrawn", "req": "c1"}))
        .await;
    let refused = room.answer("c1").await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "announcement_required");
    approved(&app, &auctioneer, lot, "termination").await;
    room.send(json!({"type": "cancel", "lot": lot, "reason": "withdrawn", "req": "c2"}))
        .await;
    let cancelled = room.answer("c2").await;
    assert_eq!(cancelled["type"], "state", "{cancelled}");
    assert_eq!(cancelled["state"], "cancelled");
    app.stop().await;
}
on_both_databases!(
    a_reviewing_exchange_moves_lots_only_with_approved_announcements,
    super::a_reviewing_exchange_moves_lots_only_with_approved_announcements
);

/// A close drafts the lot's result announcement for review, with the bidder number and the
/// price and never who won; once, however often the settlement runs.
async fn a_close_drafts_the_result_announcement(db: Db) {
    let app = TestApp::spawn(db).await;
    let lot = app
        .live_lot("result", json!({}), &[None, None], Some(4_000))
        .await;
    app.wait_until_open(&lot).await;
    let winner = &lot.bidders[1];
    let mut client = app.bidder_client(winner, Wire::Json).await;
    client.join(lot.id).await;
    let answer = client.bid(lot.id, "1500.00", "b1").await;
    assert_eq!(answer["type"], "accepted", "{answer}");

    let admin = app.admin_token().await;
    let started = Instant::now();
    let drafted = loop {
        let path = format!("/announcements/review?kind=result&lot_id={}", lot.id);
        let list = app.get(&path, Some(&admin)).await.1;
        if let Some(first) = list.as_array().and_then(|list| list.first()) {
            break first.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no result was drafted"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(drafted["status"], "draft");
    assert_eq!(drafted["generated"], true);
    assert_eq!(
        drafted["author_id"], lot.auctioneer.id,
        "in the auctioneer's name"
    );
    let body = drafted["body"].as_str().unwrap();
    assert!(
        body.contains(&winner.bidder_number) && body.contains("1500.00"),
        "{body}"
    );
    assert!(!body.contains(&winner.user.username), "no identity: {body}");
    // The lot's auctioneer sees it among its own and sends it to review.
    let id = drafted["id"].as_i64().unwrap();
    let (status, _) = step(&app, &lot.auctioneer.token, id, "submit", Value::Null).await;
    assert_eq!(status, 200);
    app.stop().await;
}
on_both_databases!(
    a_close_drafts_the_result_announcement,
    super::a_close_drafts_the_result_announcement
);
