//! The wire: idempotent bids, `since_seq` replays, anonymity, the monitor view, MessagePack,
//! malformed messages.

use serde_json::json;

use crate::common::ws::{Wire, WsClient};
use crate::common::{Db, TestApp};
use crate::on_both_databases;

async fn a_repeated_bid_on_a_new_connection_gets_the_first_answer(db: Db) {
    let app = TestApp::spawn(db).await;
    let lot = app.live_lot("idem", json!({}), &[None], None).await;
    app.wait_until_open(&lot).await;
    let mut first = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    let accepted = first.bid(lot.id, "1000.00", "same-req").await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");
    let refused = first.bid(lot.id, "1000.555", "refused-req").await;
    assert_eq!(refused["code"], "invalid_amount");

    let mut second = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    let replayed = second.bid(lot.id, "1000.00", "same-req").await;
    assert_eq!(replayed, accepted, "the same answer, nothing placed anew");
    let replayed = second.bid(lot.id, "1000.555", "refused-req").await;
    assert_eq!(replayed, refused);
    let snapshot = second.join(lot.id).await;
    assert_eq!(snapshot["seq"], accepted["seq"], "no new event: {snapshot}");
    let (_, bids) = app
        .get(
            &format!("/lots/{}/bids", lot.id),
            Some(&lot.auctioneer.token),
        )
        .await;
    assert_eq!(bids.as_array().map(Vec::len), Some(1), "{bids}");
    app.stop().await;
}
on_both_databases!(
    a_repeated_bid_on_a_new_connection_gets_the_first_answer,
    super::a_repeated_bid_on_a_new_connection_gets_the_first_answer
);

async fn a_rejoin_with_since_seq_replays_what_was_missed(db: Db) {
    let app = TestApp::spawn(db).await;
    let lot = app.live_lot("replay", json!({}), &[None, None], None).await;
    app.wait_until_open(&lot).await;
    let mut watcher = app.bidder_client(&lot.bidders[1], Wire::Json).await;
    let seen = watcher.join(lot.id).await["seq"].as_u64().unwrap();
    watcher
        .send(json!({"type": "leave", "lot": lot.id, "req": "bye"}))
        .await;
    assert_eq!(watcher.answer("bye").await["type"], "left");

    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    let first = bidder.bid(lot.id, "1000.00", "m1").await;
    let mut announcer = WsClient::signed_in(&app.ws_url, &lot.auctioneer.token, Wire::Json).await;
    announcer
        .send(json!({"type": "announce", "lot": lot.id, "text": "five minutes left", "req": "a"}))
        .await;
    assert_eq!(announcer.answer("a").await["type"], "announcement");

    watcher
        .send(json!({"type": "join", "lot": lot.id, "since_seq": seen}))
        .await;
    let missed_bid = watcher.next().await;
    assert_eq!(
        (missed_bid["type"].as_str(), missed_bid["seq"].as_u64()),
        (Some("bid"), Some(seen + 1)),
        "{missed_bid}"
    );
    assert_eq!(missed_bid["seq"], first["seq"]);
    let missed_announcement = watcher.next().await;
    assert_eq!(missed_announcement["type"], "announcement");
    assert_eq!(missed_announcement["seq"].as_u64(), Some(seen + 2));

    // Later events follow on the same subscription, in order.
    let mut other = app.bidder_client(&lot.bidders[1], Wire::Json).await;
    other.bid(lot.id, "1100.00", "m2").await;
    let next = watcher.next_of_type("bid").await;
    assert_eq!(next["seq"].as_u64(), Some(seen + 3));
    app.stop().await;
}
on_both_databases!(
    a_rejoin_with_since_seq_replays_what_was_missed,
    super::a_rejoin_with_since_seq_replays_what_was_missed
);

async fn bidders_see_numbers_and_monitors_see_identities(db: Db) {
    let app = TestApp::spawn(db).await;
    let lot = app.live_lot("anon", json!({}), &[None, None], None).await;
    app.wait_until_open(&lot).await;
    let mut watcher = app.bidder_client(&lot.bidders[1], Wire::Json).await;
    let snapshot = watcher.join(lot.id).await;
    assert_eq!(
        snapshot["you"]["bidder_number"],
        lot.bidders[1].bidder_number.as_str()
    );
    assert_eq!(snapshot["you"]["eligible"], true);
    let mut monitor = WsClient::signed_in(&app.ws_url, &lot.auctioneer.token, Wire::Json).await;
    let monitor_snapshot = monitor.join(lot.id).await;
    assert_eq!(
        monitor_snapshot["you"]["monitor"], true,
        "{monitor_snapshot}"
    );
    let admin = app.admin_token().await;
    let mut admin_monitor = WsClient::signed_in(&app.ws_url, &admin, Wire::Json).await;
    assert_eq!(admin_monitor.join(lot.id).await["you"]["monitor"], true);

    let bidder = &lot.bidders[0];
    let mut client = app.bidder_client(bidder, Wire::Json).await;
    client.bid(lot.id, "1000.00", "x").await;

    let public = watcher.next_of_type("bid").await;
    assert_eq!(public["bidder"], bidder.bidder_number.as_str());
    let text = public.to_string();
    assert!(
        public.get("account_id").is_none() && public.get("display_name").is_none(),
        "{public}"
    );
    assert!(
        !text.contains(&bidder.user.username),
        "no user name reaches a bidder: {text}"
    );
    let (_, bids) = app
        .get(
            &format!("/lots/{}/bids", lot.id),
            Some(&lot.bidders[1].user.token),
        )
        .await;
    assert!(
        !bids.to_string().contains(&bidder.user.username) && bids[0].get("account_id").is_none(),
        "{bids}"
    );

    let seen_by_monitor = monitor.next_of_type("bid").await;
    assert_eq!(
        seen_by_monitor["account_id"], bidder.user.id,
        "{seen_by_monitor}"
    );
    assert!(
        seen_by_monitor["display_name"]
            .as_str()
            .unwrap()
            .contains(&bidder.user.username)
    );
    // Presence from before everyone had joined may still be queued: wait for a full room.
    let presence = monitor
        .next_matching(|message| {
            message["type"] == "presence" && message["members"].as_u64() >= Some(3)
        })
        .await;
    assert!(presence["members"].as_u64().unwrap() >= 3, "{presence}");
    assert!(presence["bidders"].as_u64().unwrap() >= 1, "{presence}");
    let (_, monitor_bids) = app
        .get(
            &format!("/lots/{}/bids", lot.id),
            Some(&lot.auctioneer.token),
        )
        .await;
    assert_eq!(
        monitor_bids[0]["account_id"], bidder.user.id,
        "{monitor_bids}"
    );

    // Presence is for monitors only; the bidder sees only room events and answers.
    watcher
        .send(json!({"type": "ping", "t": 42, "req": "ping"}))
        .await;
    let pong = watcher.answer("ping").await;
    assert_eq!(
        (pong["type"].as_str(), pong["t"].as_i64()),
        (Some("pong"), Some(42))
    );
    assert!(pong["server_time_ms"].as_i64().unwrap() > 0);
    assert!(
        watcher
            .backlog
            .iter()
            .all(|message| message["type"] != "presence"),
        "{:?}",
        watcher.backlog
    );
    app.stop().await;
}
on_both_databases!(
    bidders_see_numbers_and_monitors_see_identities,
    super::bidders_see_numbers_and_monitors_see_identities
);

async fn messagepack_clients_bid_and_watch(db: Db) {
    let app = TestApp::spawn(db).await;
    let lot = app
        .live_lot("msgpack", json!({}), &[None, None], None)
        .await;
    app.wait_until_open(&lot).await;
    let mut watcher = app.bidder_client(&lot.bidders[1], Wire::MessagePack).await;
    let snapshot = watcher.join(lot.id).await;
    assert_eq!(
        snapshot["min_next"], "1000.00",
        "money is a string in MessagePack too"
    );
    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::MessagePack).await;
    let accepted = bidder.bid(lot.id, "1000.00", "mp").await;
    assert_eq!(
        (accepted["type"].as_str(), accepted["amount"].as_str()),
        (Some("accepted"), Some("1000.00"))
    );
    let event = watcher.next_of_type("bid").await;
    assert_eq!(event["seq"], accepted["seq"]);
    assert_eq!(event["price"], "1000.00");
    app.stop().await;
}
on_both_databases!(
    messagepack_clients_bid_and_watch,
    super::messagepack_clients_bid_and_watch
);

async fn malformed_messages_get_an_error_and_the_connection_stays(db: Db) {
    let app = TestApp::spawn(db).await;
    let user = app.signup_bidder("malformed").await;
    let mut client = WsClient::signed_in(&app.ws_url, &user.token, Wire::Json).await;
    client.send(json!({"type": "dance", "req": "d1"})).await;
    let error = client.answer("d1").await;
    assert_eq!(
        (error["type"].as_str(), error["code"].as_str()),
        (Some("error"), Some("invalid_message")),
        "{error}"
    );
    client
        .send_raw(tokio_tungstenite::tungstenite::Message::Text(
            "{not json".into(),
        ))
        .await;
    let error = client.next().await;
    assert_eq!(error["code"], "invalid_message");
    client
        .send(json!({"type": "bid", "lot": 1, "amount": "1.00", "req": "x".repeat(65)}))
        .await;
    assert_eq!(client.next().await["code"], "invalid_message");
    client
        .send(json!({"type": "ping", "req": "still-here"}))
        .await;
    assert_eq!(client.answer("still-here").await["type"], "pong");
    app.stop().await;
}
on_both_databases!(
    malformed_messages_get_an_error_and_the_connection_stays,
    super::malformed_messages_get_an_error_and_the_connection_stays
);

/// SPEC §8: text with a NUL or another control character never reaches a room or the
/// database (PostgreSQL cannot store a NUL; a bid carrying one once stalled the journal).
async fn control_characters_in_client_text_are_refused_at_the_edge(db: Db) {
    let app = TestApp::spawn(db).await;
    let lot = app.live_lot("ctrl", json!({}), &[None], None).await;
    app.wait_until_open(&lot).await;
    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    bidder
        .send(json!({"type": "bid", "lot": lot.id, "amount": "1000.00", "req": "nul\u{0}req"}))
        .await;
    let refused = bidder.next().await;
    assert_eq!(
        (refused["type"].as_str(), refused["code"].as_str()),
        (Some("error"), Some("invalid_message")),
        "{refused}"
    );
    let mut auctioneer = WsClient::signed_in(&app.ws_url, &lot.auctioneer.token, Wire::Json).await;
    for message in [
        json!({"type": "announce", "lot": lot.id, "text": "bell\u{7}", "req": "a1"}),
        json!({"type": "pause", "lot": lot.id, "reason": "nul\u{0}", "req": "p1"}),
    ] {
        auctioneer.send(message).await;
        let refused = auctioneer.next().await;
        assert_eq!(refused["code"], "invalid_message", "{refused}");
    }
    auctioneer
        .send(json!({"type": "announce", "lot": lot.id, "text": "two\nlines\tand a tab", "req": "a2"}))
        .await;
    assert_eq!(auctioneer.answer("a2").await["type"], "announcement");

    let accepted = bidder.bid(lot.id, "1000.00", "clean-req").await;
    assert_eq!(
        accepted["type"], "accepted",
        "the room and journal go on: {accepted}"
    );
    let (status, body) = app
        .post(
            "/lots",
            Some(&lot.auctioneer.token),
            crate::common::lot_body(json!({"title": "plot\u{0}7"})),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    app.stop().await;
}
on_both_databases!(
    control_characters_in_client_text_are_refused_at_the_edge,
    super::control_characters_in_client_text_are_refused_at_the_edge
);

/// SPEC §8: joins per second per connection are limited (each costs a snapshot, and an
/// ended lot's a few reads of the database); the connection stays open.
async fn a_flood_of_joins_is_rate_limited(db: Db) {
    let app = TestApp::spawn(db).await;
    let lot = app.live_lot("joins", json!({}), &[None], None).await;
    let mut watcher = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    for index in 0..25 {
        watcher
            .send(json!({"type": "join", "lot": lot.id, "req": format!("j{index}")}))
            .await;
    }
    let mut refused = 0;
    for index in 0..25 {
        let answer = watcher.answer(&format!("j{index}")).await;
        match answer["type"].as_str() {
            Some("snapshot") => {}
            Some("error") if answer["code"] == "rate_limited" => refused += 1,
            _ => panic!("a snapshot or rate_limited: {answer}"),
        }
    }
    assert!(
        refused >= 10,
        "{refused} of 25 joins refused at 10 a second"
    );
    crate::common::exchange::sleep_ms(1_100).await;
    assert_eq!(watcher.join(lot.id).await["type"], "snapshot");
    app.stop().await;
}
on_both_databases!(
    a_flood_of_joins_is_rate_limited,
    super::a_flood_of_joins_is_rate_limited
);
