//! Durability across crashes: a SIGKILLed server, restarted, has every acknowledged bid and
//! gives the room the recovery extension; SIGTERM flushes and exits 0.

mod common;

use serde_json::json;

use common::process::ServerProcess;
use common::ws::Wire;
use common::{Db, TestApp, TestDatabase};

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn a_killed_server_comes_back_with_every_acknowledged_bid(db: Db) {
    let database = TestDatabase::create(db).await;
    let url = database.url().to_owned();
    let first = ServerProcess::start(&url);
    let app = TestApp::external(&first.address, database);
    let overrides = json!({"extension_window_secs": 3});
    let lot = app
        .live_lot("crash", overrides, &[None, None], Some(5_000))
        .await;
    app.wait_until_open(&lot).await;

    let mut clients = [
        app.bidder_client(&lot.bidders[0], Wire::Json).await,
        app.bidder_client(&lot.bidders[1], Wire::Json).await,
    ];
    let mut acknowledged = Vec::new();
    for step in 0..12u32 {
        let amount = format!("{}.00", 1000 + step * 100);
        let answer = clients[(step % 2) as usize]
            .bid(lot.id, &amount, &format!("c{step}"))
            .await;
        assert_eq!(answer["type"], "accepted", "{answer}");
        acknowledged.push(answer);
    }
    // More bids in flight when the process dies: they may or may not have committed.
    for step in 12..20u32 {
        let amount = format!("{}.00", 1000 + step * 100);
        clients[(step % 2) as usize]
            .send(
                json!({"type": "bid", "lot": lot.id, "amount": amount, "req": format!("c{step}")}),
            )
            .await;
    }
    first.kill();
    let last_deadline = acknowledged.last().unwrap()["deadline_ms"]
        .as_i64()
        .unwrap();
    // Stay down until the room's deadline has passed.
    let down_for = (last_deadline - now_ms()).max(0) as u64 + 500;
    tokio::time::sleep(std::time::Duration::from_millis(down_for)).await;

    let database = app.into_database();
    let restarted_at = now_ms();
    let second = ServerProcess::start(&url);
    let app = TestApp::external(&second.address, database);
    // The first snapshot after the ready line already shows the recovery extension.
    let mut first_look = app.bidder_client(&lot.bidders[1], Wire::Json).await;
    let snapshot = first_look.join(lot.id).await;
    assert!(
        snapshot["deadline_ms"].as_i64().unwrap() >= restarted_at + 3_000,
        "the recovered deadline, not the one that passed: {snapshot}"
    );
    let stored = app.stored_bids(&lot).await;
    for answer in &acknowledged {
        let wanted = (
            answer["seq"].as_u64().unwrap(),
            answer["amount"].as_str().unwrap().to_owned(),
        );
        assert!(
            stored.contains(&wanted),
            "acknowledged bid {wanted:?} is missing after the crash: {stored:?}"
        );
    }

    let mut watcher = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    let last_seen = acknowledged.last().unwrap()["seq"].as_u64().unwrap();
    watcher
        .send(json!({"type": "join", "lot": lot.id, "since_seq": last_seen}))
        .await;
    let recovery = watcher
        .next_matching(|message| message["type"] == "state")
        .await;
    assert_eq!(
        (recovery["state"].as_str(), recovery["reason"].as_str()),
        (Some("open"), Some("recovery")),
        "{recovery}"
    );
    let deadline_ms = recovery["deadline_ms"].as_i64().unwrap();
    assert!(
        deadline_ms >= restarted_at + 3_000,
        "deadline = restart time + W: {recovery}"
    );
    assert!(deadline_ms <= now_ms() + 3_000, "{recovery}");

    let closed = watcher
        .next_matching(|message| message["type"] == "closed")
        .await;
    let (_, highest) = stored.iter().max_by_key(|(seq, _)| *seq).unwrap();
    assert_eq!(
        (closed["result"].as_str(), closed["price"].as_str()),
        (Some("sold"), Some(highest.as_str())),
        "{closed}"
    );
    second.kill();

    // After another restart the ended room is read back from the database.
    let third = ServerProcess::start(&url);
    let app = TestApp::external(&third.address, app.into_database());
    let mut late = app.bidder_client(&lot.bidders[1], Wire::Json).await;
    let snapshot = late.join(lot.id).await;
    assert_eq!(
        (snapshot["state"].as_str(), snapshot["result"].as_str()),
        (Some("closed"), Some("sold")),
        "{snapshot}"
    );
    assert_eq!(snapshot["price"], closed["price"]);
    assert_eq!(snapshot["seq"], closed["seq"]);
    assert_eq!(
        snapshot["you"]["bidder_number"],
        lot.bidders[1].bidder_number.as_str()
    );
    assert!(!snapshot["recent_bids"].as_array().unwrap().is_empty());
    third.kill();
}
on_both_databases!(
    a_killed_server_comes_back_with_every_acknowledged_bid,
    super::a_killed_server_comes_back_with_every_acknowledged_bid
);

async fn sigterm_flushes_and_exits_zero(db: Db) {
    let database = TestDatabase::create(db).await;
    let server = ServerProcess::start(database.url());
    let app = TestApp::external(&server.address, database);
    let lot = app.live_lot("term", json!({}), &[None], None).await;
    app.wait_until_open(&lot).await;
    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    assert_eq!(
        bidder.bid(lot.id, "1000.00", "t1").await["type"],
        "accepted"
    );
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
    let closed = bidder.closed().await;
    assert!(closed.is_none() || closed.map(|frame| u16::from(frame.code)) == Some(1001));
    let _ = app.into_database();
}
on_both_databases!(
    sigterm_flushes_and_exits_zero,
    super::sigterm_flushes_and_exits_zero
);

/// A bid whose answer was lost, sent again once its lot has closed and its room has gone
/// (here across a restart, which recovers no room for a closed lot), gets its first answer
/// from the journal rather than `not_open`: it may well be the winning bid.
async fn a_bid_sent_again_after_its_room_has_gone_gets_its_first_answer(db: Db) {
    let app = TestApp::spawn(db).await;
    let overrides = json!({"extension_window_secs": 1});
    let lot = app.live_lot("gone", overrides, &[None], Some(2_000)).await;
    app.wait_until_open(&lot).await;
    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    bidder.join(lot.id).await;
    let first = bidder.bid(lot.id, "1000.00", "g1").await;
    assert_eq!(first["type"], "accepted", "{first}");
    let closed = bidder.next_of_type("closed").await;
    assert_eq!(closed["result"], "sold", "{closed}");

    let app = TestApp::spawn_on(app.stop_keeping_database().await, |config| config).await;
    let mut again = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    let answer = again.bid(lot.id, "1000.00", "g1").await;
    assert_eq!(answer["type"], "accepted", "{answer}");
    for field in ["seq", "amount", "bidder", "at_ms", "deadline_ms"] {
        assert_eq!(answer[field], first[field], "{field}: {answer} vs {first}");
    }
    // A bid the journal does not hold is still refused as before.
    let unknown = again.bid(lot.id, "2000.00", "g2").await;
    assert_eq!(unknown["type"], "rejected", "{unknown}");
    assert_eq!(unknown["code"], "not_open", "{unknown}");
    app.stop().await;
}
on_both_databases!(
    a_bid_sent_again_after_its_room_has_gone_gets_its_first_answer,
    super::a_bid_sent_again_after_its_room_has_gone_gets_its_first_answer
);
