//! A room's life: reserve met and not met, pause and resume, cancel, settlement of deposits.

use serde_json::json;

use crate::common::exchange::sleep_ms;
use crate::common::ws::{Wire, WsClient};
use crate::common::{Db, TestApp};
use crate::on_both_databases;

fn merge(mut base: serde_json::Value, extra: serde_json::Value) -> serde_json::Value {
    for (key, value) in extra.as_object().unwrap() {
        base[key] = value.clone();
    }
    base
}

async fn wait_for_frozen(app: &TestApp, user: &crate::common::User, frozen: &str) {
    for _ in 0..50 {
        if app.balances(user).await.1 == frozen {
            return;
        }
        sleep_ms(100).await;
    }
    panic!(
        "{}'s frozen balance never became {frozen}: {:?}",
        user.username,
        app.balances(user).await
    );
}

async fn a_lot_below_its_reserve_closes_unsold_and_releases_every_deposit(db: Db) {
    let app = TestApp::spawn(db).await;
    let overrides = json!({"extension_window_secs": 1});
    let overrides = merge(overrides, json!({"reserve_price": "1500.00"}));
    let lot = app
        .live_lot("unsold", overrides, &[None, None], Some(3_000))
        .await;
    app.wait_until_open(&lot).await;
    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    let snapshot = bidder.join(lot.id).await;
    assert_eq!(snapshot["has_reserve"], true);
    assert!(
        snapshot.get("reserve_price").is_none(),
        "bidders never see the reserve: {snapshot}"
    );
    assert_eq!(
        bidder.bid(lot.id, "1400.00", "b1").await["type"],
        "accepted"
    );
    let closed = bidder.next_of_type("closed").await;
    assert_eq!(closed["result"], "unsold", "{closed}");
    assert_eq!(closed["price"], "1400.00");
    assert!(closed["winner_bidder"].is_null());
    let (_, result) = app
        .get(
            &format!("/lots/{}/result", lot.id),
            Some(&lot.bidders[1].user.token),
        )
        .await;
    assert_eq!(result["status"], "unsold", "{result}");
    for bidder in &lot.bidders {
        wait_for_frozen(&app, &bidder.user, "0.00").await;
    }
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_lot_below_its_reserve_closes_unsold_and_releases_every_deposit,
    super::a_lot_below_its_reserve_closes_unsold_and_releases_every_deposit
);

async fn a_lot_that_meets_its_reserve_is_sold_and_settles(db: Db) {
    let app = TestApp::spawn(db).await;
    let overrides = json!({"extension_window_secs": 1});
    let overrides = merge(overrides, json!({"reserve_price": "1500.00"}));
    let lot = app
        .live_lot("sold", overrides, &[None, None], Some(3_000))
        .await;
    app.wait_until_open(&lot).await;
    let mut winner = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    let mut loser = app.bidder_client(&lot.bidders[1], Wire::Json).await;
    winner.join(lot.id).await;
    assert_eq!(loser.bid(lot.id, "1400.00", "l1").await["type"], "accepted");
    assert_eq!(
        winner.bid(lot.id, "1500.00", "w1").await["type"],
        "accepted"
    );
    let closed = winner.next_of_type("closed").await;
    assert_eq!(closed["result"], "sold", "{closed}");
    assert_eq!(
        closed["winner_bidder"],
        lot.bidders[0].bidder_number.as_str()
    );
    let (_, result) = app
        .get(
            &format!("/lots/{}/result", lot.id),
            Some(&lot.bidders[0].user.token),
        )
        .await;
    assert_eq!(
        (result["status"].as_str(), result["price"].as_str()),
        (Some("sold"), Some("1500.00")),
        "{result}"
    );
    wait_for_frozen(&app, &lot.bidders[1].user, "0.00").await;
    // The winner's deposit is applied to the price: frozen is empty, the settlement is open.
    wait_for_frozen(&app, &lot.bidders[0].user, "0.00").await;
    let (status, settlement) = app
        .get(
            &format!("/lots/{}/settlement", lot.id),
            Some(&lot.bidders[0].user.token),
        )
        .await;
    assert_eq!(status, 200, "{settlement}");
    assert_eq!(settlement["price"], "1500.00");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_lot_that_meets_its_reserve_is_sold_and_settles,
    super::a_lot_that_meets_its_reserve_is_sold_and_settles
);

async fn pause_and_resume_keep_the_remaining_time(db: Db) {
    let app = TestApp::spawn(db).await;
    let overrides = json!({"extension_window_secs": 1});
    let overrides = merge(overrides, json!({}));
    let lot = app
        .live_lot("pause", overrides, &[None], Some(30_000))
        .await;
    app.wait_until_open(&lot).await;
    let mut auctioneer = WsClient::signed_in(&app.ws_url, &lot.auctioneer.token, Wire::Json).await;
    auctioneer.join(lot.id).await;
    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::Json).await;

    auctioneer
        .send(json!({"type": "pause", "lot": lot.id, "reason": "network check", "req": "p"}))
        .await;
    let paused = auctioneer.answer("p").await;
    assert_eq!(
        (paused["type"].as_str(), paused["state"].as_str()),
        (Some("state"), Some("paused")),
        "{paused}"
    );
    assert_eq!(paused["reason"], "network check");
    let remaining_ms = paused["remaining_ms"]
        .as_i64()
        .expect("remaining time at the pause");
    assert_eq!(
        bidder.bid(lot.id, "1000.00", "b1").await["code"],
        "not_open"
    );

    sleep_ms(1_500).await;
    auctioneer
        .send(json!({"type": "resume", "lot": lot.id, "req": "r"}))
        .await;
    let resumed = auctioneer.answer("r").await;
    assert_eq!(resumed["state"], "open", "{resumed}");
    let resumed_at = crate::common::exchange::now_ms();
    let deadline_ms = resumed["deadline_ms"].as_i64().unwrap();
    assert!(
        (deadline_ms - resumed_at - remaining_ms).abs() < 500,
        "the remaining time survives the pause: {resumed}"
    );
    assert_eq!(
        bidder.bid(lot.id, "1000.00", "b2").await["type"],
        "accepted"
    );
    auctioneer
        .send(json!({"type": "resume", "lot": lot.id, "req": "r2"}))
        .await;
    assert_eq!(auctioneer.answer("r2").await["code"], "not_open");
    app.stop().await;
}
on_both_databases!(
    pause_and_resume_keep_the_remaining_time,
    super::pause_and_resume_keep_the_remaining_time
);

async fn cancelling_a_lot_releases_every_deposit(db: Db) {
    let app = TestApp::spawn(db).await;
    let overrides = json!({"extension_window_secs": 1});
    let overrides = merge(overrides, json!({}));
    let lot = app
        .live_lot("cancel", overrides, &[None, None], Some(30_000))
        .await;
    app.wait_until_open(&lot).await;
    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    bidder.join(lot.id).await;
    assert_eq!(
        bidder.bid(lot.id, "1000.00", "b1").await["type"],
        "accepted"
    );
    assert_eq!(app.balances(&lot.bidders[0].user).await.1, "200.00");

    let mut auctioneer = WsClient::signed_in(&app.ws_url, &lot.auctioneer.token, Wire::Json).await;
    auctioneer.send(json!({"type": "cancel", "lot": lot.id, "reason": "withdrawn by the owner", "req": "c"})).await;
    assert_eq!(auctioneer.answer("c").await["state"], "cancelled");
    let event = bidder.next_of_type("state").await;
    assert_eq!(
        (event["state"].as_str(), event["reason"].as_str()),
        (Some("cancelled"), Some("withdrawn by the owner"))
    );
    assert_eq!(
        bidder.bid(lot.id, "1100.00", "b2").await["code"],
        "not_open"
    );
    for bidder in &lot.bidders {
        wait_for_frozen(&app, &bidder.user, "0.00").await;
        assert_eq!(app.balances(&bidder.user).await.0, "100000.00");
    }
    let (_, result) = app.get(&format!("/lots/{}/result", lot.id), None).await;
    assert_eq!(result["status"], "cancelled", "{result}");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    cancelling_a_lot_releases_every_deposit,
    super::cancelling_a_lot_releases_every_deposit
);
