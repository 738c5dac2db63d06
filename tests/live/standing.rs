//! An account's standing in live rooms (SPEC §11): a suspension refuses the next bid at
//! once and its lift lets the bidder bid again; a supervisor watches with the monitor view
//! and may not control the room.

use serde_json::json;

use crate::common::ws::{Wire, WsClient};
use crate::common::{Db, TestApp};
use crate::on_both_databases;

async fn a_suspension_refuses_the_next_bid_at_once_and_a_lift_allows_it_again(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let lot = app
        .live_lot("standing", json!({}), &[None, None], None)
        .await;
    app.wait_until_open(&lot).await;
    let mut alice = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    let mut bob = app.bidder_client(&lot.bidders[1], Wire::Json).await;
    let first = alice.bid(lot.id, "1000.00", "a1").await;
    assert_eq!(first["type"], "accepted", "{first}");

    let (status, body) = app
        .post(
            &format!("/accounts/{}/suspension", lot.bidders[1].user.id),
            Some(&admin),
            json!({ "days": 7, "reason": "forged documents" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let refused = bob.bid(lot.id, "1100.00", "b1").await;
    assert_eq!(refused["type"], "rejected", "{refused}");
    assert_eq!(refused["code"], "not_eligible", "{refused}");
    assert_eq!(refused["reason"], "suspended", "{refused}");
    let snapshot = bob.join(lot.id).await;
    assert_eq!(snapshot["you"]["eligible"], false, "{snapshot}");
    assert_eq!(snapshot["you"]["reason"], "suspended", "{snapshot}");

    let (status, body) = app
        .post(
            &format!("/accounts/{}/suspension/lift", lot.bidders[1].user.id),
            Some(&admin),
            json!({ "reason": "documents checked again" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let accepted = bob.bid(lot.id, "1100.00", "b2").await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");
    app.stop().await;
}
on_both_databases!(
    a_suspension_refuses_the_next_bid_at_once_and_a_lift_allows_it_again,
    super::a_suspension_refuses_the_next_bid_at_once_and_a_lift_allows_it_again
);

async fn a_supervisor_watches_with_the_monitor_view_and_controls_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let supervisor = app.create_user(Some(&admin), "watcher", "supervisor").await;
    let lot = app.live_lot("watched", json!({}), &[None], None).await;
    app.wait_until_open(&lot).await;
    let mut watcher = WsClient::signed_in(&app.ws_url, &supervisor.token, Wire::Json).await;
    let snapshot = watcher.join(lot.id).await;
    assert_eq!(snapshot["you"]["monitor"], true, "{snapshot}");
    assert_eq!(snapshot["you"]["role"], "supervisor", "{snapshot}");

    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    let accepted = bidder.bid(lot.id, "1000.00", "a1").await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");
    let bid = watcher.next_of_type("bid").await;
    assert_eq!(
        bid["account_id"], lot.bidders[0].user.id,
        "the monitor view names the bidder: {bid}"
    );

    watcher
        .send(json!({ "type": "pause", "lot": lot.id, "req": "p" }))
        .await;
    let answer = watcher.answer("p").await;
    assert_eq!(
        (answer["type"].as_str(), answer["code"].as_str()),
        (Some("error"), Some("forbidden")),
        "{answer}"
    );
    let answer = watcher.bid(lot.id, "1100.00", "s1").await;
    assert_eq!(
        (answer["type"].as_str(), answer["code"].as_str()),
        (Some("rejected"), Some("forbidden")),
        "{answer}"
    );
    app.stop().await;
}
on_both_databases!(
    a_supervisor_watches_with_the_monitor_view_and_controls_nothing,
    super::a_supervisor_watches_with_the_monitor_view_and_controls_nothing
);
