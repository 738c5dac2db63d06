//! Room ownership between servers on one database (SPEC §10): a second plain server never
//! runs a room the first holds, takes it over when the first dies, and a holder that was
//! frozen past its lease and comes back is fenced off.

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::process::ServerProcess;
use common::ws::{Wire, WsClient};
use common::{Db, TestApp, TestDatabase};

/// Short leases, so that a takeover is quick.
const LEASE_FLAGS: [&str; 2] = ["--lease-ttl-ms", "1500"];

async fn cluster(address: &str, admin_token: &str) -> Value {
    let response = reqwest::Client::new()
        .get(format!("http://{address}/api/v1/cluster"))
        .bearer_auth(admin_token)
        .send()
        .await
        .expect("GET /cluster");
    assert_eq!(response.status(), 200);
    response.json().await.expect("a JSON body")
}

fn room_owner(cluster: &Value, lot: i64) -> (String, i64, bool) {
    let room = cluster["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|room| room["lot_id"] == lot)
        .unwrap_or_else(|| panic!("lot {lot} has no lease: {cluster}"));
    (
        room["node_id"].as_str().unwrap().to_owned(),
        room["epoch"].as_i64().unwrap(),
        room["held"].as_bool().unwrap(),
    )
}

/// Joins on `address` until the room answers with a snapshot (its new owner has it), for
/// at most `within`; answers the snapshot and how long it took.
async fn join_until_running(
    address: &str,
    token: &str,
    lot: i64,
    within: Duration,
) -> (Value, Duration) {
    let started = Instant::now();
    let mut client = WsClient::signed_in(&format!("ws://{address}/ws"), token, Wire::Json).await;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let req = format!("try-{attempt}");
        client
            .send(json!({"type": "join", "lot": lot, "req": req}))
            .await;
        let answer = client.answer(&req).await;
        if answer["type"] == "snapshot" {
            return (answer, started.elapsed());
        }
        assert_eq!(answer["code"], "unavailable", "{answer}");
        assert!(
            started.elapsed() < within,
            "the room did not come back within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Two plain servers on one database: the one that took the room's lease runs it and the
/// other refuses to; once the first is SIGKILLed, the second takes the room over, rebuilt
/// from the journal, under the next epoch.
async fn two_plain_servers_never_both_run_a_room(db: Db) {
    let database = TestDatabase::create(db).await;
    let url = database.url().to_owned();
    let first = ServerProcess::start_with(&url, &LEASE_FLAGS);
    let app = TestApp::external(&first.address, database);
    let lot = app
        .live_lot("pair", json!({}), &[None, None], Some(60_000))
        .await;
    // Started after the lot was published, as in a rolling deploy.
    let second = ServerProcess::start_with(&url, &LEASE_FLAGS);
    let admin = app.admin_token().await;

    let seen_by_first = cluster(&first.address, &admin).await;
    let seen_by_second = cluster(&second.address, &admin).await;
    let first_node = seen_by_first["node_id"].as_str().unwrap().to_owned();
    let second_node = seen_by_second["node_id"].as_str().unwrap().to_owned();
    assert_ne!(first_node, second_node);
    assert_eq!(
        room_owner(&seen_by_second, lot.id),
        (first_node.clone(), 1, true)
    );
    let mut on_second = WsClient::signed_in(
        &format!("ws://{}/ws", second.address),
        &lot.bidders[1].user.token,
        Wire::Json,
    )
    .await;
    on_second
        .send(json!({"type": "join", "lot": lot.id, "req": "j"}))
        .await;
    let refused = on_second.answer("j").await;
    assert_eq!(refused["code"], "unavailable", "{refused}");
    let refused = on_second.bid(lot.id, "1000.00", "b-second").await;
    assert_eq!(refused["code"], "unavailable", "{refused}");

    app.wait_until_open(&lot).await;
    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    let accepted = bidder.bid(lot.id, "1000.00", "b1").await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");

    first.kill();
    let (snapshot, took) = join_until_running(
        &second.address,
        &lot.bidders[1].user.token,
        lot.id,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(
        snapshot["price"], "1000.00",
        "rebuilt from the journal: {snapshot}"
    );
    assert_eq!(snapshot["seq"], accepted["seq"]);
    assert!(took < Duration::from_secs(5), "taken over in {took:?}");
    let seen = cluster(&second.address, &admin).await;
    assert_eq!(room_owner(&seen, lot.id), (second_node, 2, true));
    let mut bidder = WsClient::signed_in(
        &format!("ws://{}/ws", second.address),
        &lot.bidders[1].user.token,
        Wire::Json,
    )
    .await;
    let accepted = bidder.bid(lot.id, "1100.00", "b2").await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");
}

on_both_databases!(
    two_plain_servers_never_both_run_a_room_on,
    super::two_plain_servers_never_both_run_a_room
);

fn signal(server: &ServerProcess, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// The room's holder is frozen (SIGSTOP) past its lease; the other server takes the room
/// and takes bids; thawed, the old holder acts no more: its member's bid is never accepted
/// there, its members are told to reconnect (1012), and the journal holds each bid once.
async fn a_revived_old_owner_is_fenced_off(db: Db) {
    let database = TestDatabase::create(db).await;
    let url = database.url().to_owned();
    let first = ServerProcess::start_with(&url, &LEASE_FLAGS);
    let second = ServerProcess::start_with(&url, &LEASE_FLAGS);
    let app = TestApp::external(&first.address, database);
    let lot = app
        .live_lot("frozen", json!({}), &[None, None], Some(60_000))
        .await;
    app.wait_until_open(&lot).await;
    let mut on_first = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    on_first.join(lot.id).await;
    let accepted = on_first.bid(lot.id, "1000.00", "f1").await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");

    signal(&first, "-STOP");
    let (snapshot, _) = join_until_running(
        &second.address,
        &lot.bidders[1].user.token,
        lot.id,
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(snapshot["price"], "1000.00");
    let mut on_second = WsClient::signed_in(
        &format!("ws://{}/ws", second.address),
        &lot.bidders[1].user.token,
        Wire::Json,
    )
    .await;
    let accepted = on_second.bid(lot.id, "1100.00", "s1").await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");

    // Thawed, the old holder's member bids on a price it never saw.
    on_first
        .send(json!({"type": "bid", "lot": lot.id, "amount": "1100.00", "req": "f2"}))
        .await;
    signal(&first, "-CONT");
    let closed = on_first.closed().await;
    let frame = closed.expect("a close frame");
    assert_eq!(u16::from(frame.code), 1012, "{frame:?}");
    for answer in &on_first.backlog {
        assert_ne!(answer["req"], "f2", "the old holder answered: {answer}");
    }

    let (status, bids) = TestApp::external(&second.address, app.into_database())
        .get(
            &format!("/lots/{}/bids?limit=100", lot.id),
            Some(&lot.auctioneer.token),
        )
        .await;
    assert_eq!(status, 200, "{bids}");
    let amounts: Vec<&str> = bids
        .as_array()
        .unwrap()
        .iter()
        .map(|bid| bid["amount"].as_str().unwrap())
        .collect();
    assert_eq!(amounts, ["1000.00", "1100.00"], "each bid once: {bids}");
    drop(first);
}

on_both_databases!(
    a_revived_old_owner_is_fenced_off_on,
    super::a_revived_old_owner_is_fenced_off
);
