//! SPEC §2's bid rules, each rejection code over the wire, priority matches, extensions.

use serde_json::json;

use crate::common::exchange::sleep_ms;
use crate::common::ws::{Wire, WsClient};
use crate::common::{Db, TestApp};
use crate::on_both_databases;

async fn every_rejection_code_reaches_the_bidder(db: Db) {
    let app = TestApp::spawn(db).await;
    let unverified = app.signup_bidder("codes-unverified").await;
    let unregistered = app.signup_verified_bidder("codes-unregistered").await;
    let pending = app.signup_verified_bidder("codes-pending").await;
    let no_deposit = app.signup_verified_bidder("codes-nodeposit").await;
    let lot = app.live_lot("codes", json!({}), &[None, None], None).await;
    app.apply(&pending.token, lot.id).await;
    let application = app.apply(&no_deposit.token, lot.id).await;
    app.approve(&lot.auctioneer.token, application, None).await;

    let mut leader = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    let early = leader.bid(lot.id, "1000.00", "early").await;
    assert_eq!(
        (early["type"].as_str(), early["code"].as_str()),
        (Some("rejected"), Some("not_open")),
        "{early}"
    );
    app.wait_until_open(&lot).await;

    for (token, reason) in [
        (&unverified.token, "not_verified"),
        (&unregistered.token, "not_registered"),
        (&pending.token, "not_approved"),
        (&no_deposit.token, "deposit_not_lodged"),
    ] {
        let mut client = WsClient::signed_in(&app.ws_url, token, Wire::Json).await;
        let answer = client.bid(lot.id, "1000.00", "r").await;
        assert_eq!(answer["code"], "not_eligible", "{answer}");
        assert_eq!(answer["reason"], reason, "{answer}");
    }

    for (amount, req) in [
        (json!("abc"), "a1"),
        (json!("1000.005"), "a2"),
        (json!(1000), "a3"),
        (json!("-100"), "a4"),
    ] {
        leader
            .send(json!({"type": "bid", "lot": lot.id, "amount": amount, "req": req}))
            .await;
        let answer = leader.answer(req).await;
        assert_eq!(answer["code"], "invalid_amount", "{answer}");
    }
    let too_low = leader.bid(lot.id, "900.00", "low").await;
    assert_eq!(
        (too_low["code"].as_str(), too_low["min_next"].as_str()),
        (Some("too_low"), Some("1000.00")),
        "{too_low}"
    );
    let off_step = leader.bid(lot.id, "1050.00", "step").await;
    assert_eq!(
        (off_step["code"].as_str(), off_step["min_next"].as_str()),
        (Some("bad_increment"), Some("1000.00"))
    );

    let accepted = leader.bid(lot.id, "1200.00", "first").await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");
    assert_eq!(accepted["amount"], "1200.00");
    assert_eq!(accepted["bidder"], lot.bidders[0].bidder_number.as_str());
    let again = leader.bid(lot.id, "1300.00", "again").await;
    assert_eq!(again["code"], "already_leading", "{again}");

    let unknown = leader.bid(987_654, "1000.00", "unknown").await;
    assert_eq!(unknown["code"], "not_found", "{unknown}");
    leader
        .send(json!({"type": "pause", "lot": lot.id, "req": "p"}))
        .await;
    let forbidden = leader.answer("p").await;
    assert_eq!(
        (forbidden["type"].as_str(), forbidden["code"].as_str()),
        (Some("error"), Some("forbidden"))
    );

    app.stop().await;
}
on_both_databases!(
    every_rejection_code_reaches_the_bidder,
    super::every_rejection_code_reaches_the_bidder
);

async fn a_flood_of_bids_is_rate_limited(db: Db) {
    let database = crate::common::TestDatabase::create(db).await;
    let app = TestApp::spawn_on(database, |mut config| {
        config.bid_rate_limit = 3;
        config
    })
    .await;
    let lot = app.live_lot("flood", json!({}), &[None], None).await;
    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    for index in 0..10 {
        bidder
            .send(
                json!({"type": "bid", "lot": lot.id, "amount": "1.00", "req": format!("f{index}")}),
            )
            .await;
    }
    let mut codes = Vec::new();
    for index in 0..10 {
        codes.push(
            bidder.answer(&format!("f{index}")).await["code"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(
        codes.iter().filter(|code| *code == "rate_limited").count(),
        7,
        "{codes:?}"
    );
    assert!(
        codes[..3].iter().all(|code| code == "not_open"),
        "the burst reaches the room: {codes:?}"
    );
    app.stop().await;
}
on_both_databases!(
    a_flood_of_bids_is_rate_limited,
    super::a_flood_of_bids_is_rate_limited
);

async fn priority_holders_match_the_price_in_rank_order(db: Db) {
    let app = TestApp::spawn(db).await;
    let lot = app
        .live_lot("priority", json!({}), &[None, Some(2), Some(1)], None)
        .await;
    app.wait_until_open(&lot).await;
    let mut ordinary = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    let mut second_right = app.bidder_client(&lot.bidders[1], Wire::Json).await;
    let mut first_right = app.bidder_client(&lot.bidders[2], Wire::Json).await;

    assert_eq!(
        ordinary.bid(lot.id, "1000.00", "o1").await["type"],
        "accepted"
    );
    let matched = second_right.bid(lot.id, "1000.00", "s1").await;
    assert_eq!(
        matched["type"], "accepted",
        "a holder matches an ordinary leader: {matched}"
    );
    let outranked = first_right.bid(lot.id, "1000.00", "f1").await;
    assert_eq!(
        outranked["type"], "accepted",
        "a higher right takes the lead: {outranked}"
    );
    let refused = second_right.bid(lot.id, "1000.00", "s2").await;
    assert_eq!(
        refused["code"], "too_low",
        "a lower right cannot match a higher one: {refused}"
    );
    let ordinary_match = ordinary.bid(lot.id, "1000.00", "o2").await;
    assert_eq!(ordinary_match["code"], "too_low", "{ordinary_match}");
    let mut watcher =
        WsClient::signed_in(&app.ws_url, &lot.bidders[0].user.token, Wire::Json).await;
    let snapshot = watcher.join(lot.id).await;
    assert_eq!(snapshot["price"], "1000.00");
    assert_eq!(snapshot["leader"], lot.bidders[2].bidder_number.as_str());
    assert_eq!(snapshot["min_next"], "1100.00");
    app.stop().await;
}
on_both_databases!(
    priority_holders_match_the_price_in_rank_order,
    super::priority_holders_match_the_price_in_rank_order
);

/// A lot ending 4 s after it opens, with a 3 s window: a bid 1.5 s in lands in the window.
async fn extension_case(db: Db, mode: &str) {
    let app = TestApp::spawn(db).await;
    let overrides =
        json!({"extension_window_secs": 3, "extension_mode": mode, "max_extensions": 1});
    let lot = app
        .live_lot(
            &format!("ext-{mode}"),
            overrides,
            &[None, None],
            Some(4_000),
        )
        .await;
    let starts_at_ms = lot.starts_at_ms;
    app.wait_until_open(&lot).await;
    let mut first = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    let mut second = app.bidder_client(&lot.bidders[1], Wire::Json).await;
    first.join(lot.id).await;

    let early = first.bid(lot.id, "1000.00", "e1").await;
    assert_eq!(
        early["deadline_ms"],
        starts_at_ms + 4_000,
        "no extension while more than W remains: {early}"
    );
    sleep_ms(1_500).await;
    let late = second.bid(lot.id, "1100.00", "e2").await;
    let at_ms = late["at_ms"].as_i64().unwrap();
    let expected = match mode {
        "reset" => at_ms + 3_000,
        _ => starts_at_ms + 4_000 + 3_000,
    };
    assert_eq!(
        late["deadline_ms"].as_i64().unwrap(),
        expected,
        "{mode}: {late}"
    );
    let capped = first.bid(lot.id, "1200.00", "e3").await;
    assert_eq!(
        capped["deadline_ms"], late["deadline_ms"],
        "max_extensions reached: {capped}"
    );

    let closed = first
        .next_matching(|message| message["type"] == "closed")
        .await;
    assert_eq!(closed["result"], "sold", "{closed}");
    assert_eq!(closed["price"], "1200.00");
    assert_eq!(
        closed["winner_bidder"],
        lot.bidders[0].bidder_number.as_str()
    );
    app.stop().await;
}

async fn a_late_bid_resets_the_deadline(db: Db) {
    extension_case(db, "reset").await
}
on_both_databases!(
    a_late_bid_resets_the_deadline,
    super::a_late_bid_resets_the_deadline
);

async fn a_late_bid_adds_the_window_in_add_mode(db: Db) {
    extension_case(db, "add").await
}
on_both_databases!(
    a_late_bid_adds_the_window_in_add_mode,
    super::a_late_bid_adds_the_window_in_add_mode
);
