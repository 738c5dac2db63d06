//! Three nodes of one exchange (SPEC §10) on PostgreSQL and NATS: clients on any node, bids
//! through nodes that do not own the room, the owner SIGKILLed under bids, and nothing
//! acknowledged lost or placed twice.
//!
//! NATS is the machine's (`BIDROOM_TEST_NATS_URL`, default `nats://127.0.0.1:4222`; the
//! test command starts it if it is not running); each test names its own exchange on it.

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::exchange::LiveLot;
use common::process::ServerProcess;
use common::ws::{Wire, WsClient};
use common::{Db, TestApp, TestDatabase};

fn nats_url() -> String {
    std::env::var("BIDROOM_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

/// The nodes' lease term: short by default, so that the test is quick;
/// `BIDROOM_TEST_LEASE_TTL_MS=3000` measures the failover with the server's default.
fn lease_ttl_ms() -> String {
    std::env::var("BIDROOM_TEST_LEASE_TTL_MS").unwrap_or_else(|_| "1500".to_owned())
}

fn start_node(url: &str, exchange: &str, node: &str) -> ServerProcess {
    let lease_ttl_ms = lease_ttl_ms();
    ServerProcess::start_with(
        url,
        &[
            "--cluster",
            "--node-id",
            node,
            "--cluster-name",
            exchange,
            "--nats-url",
            &nats_url(),
            "--lease-ttl-ms",
            &lease_ttl_ms,
        ],
    )
}

async fn owner_of(address: &str, admin: &str, lot: i64) -> String {
    let cluster: Value = reqwest::Client::new()
        .get(format!("http://{address}/api/v1/cluster"))
        .bearer_auth(admin)
        .send()
        .await
        .expect("GET /cluster")
        .json()
        .await
        .expect("JSON");
    cluster["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|room| room["lot_id"] == lot && room["held"] == true)
        .map(|room| room["node_id"].as_str().unwrap().to_owned())
        .unwrap_or_else(|| panic!("nobody holds lot {lot}: {cluster}"))
}

fn ws(address: &str) -> String {
    format!("ws://{address}/ws")
}

/// A bid sent until it gets an answer that is not `unavailable` (the room moving), as a
/// client resends an unanswered bid with the same `req`; answers the answer.
async fn bid_until_answered(client: &mut WsClient, lot: i64, amount: &str, req: &str) -> Value {
    let started = Instant::now();
    loop {
        let answer = client.bid(lot, amount, req).await;
        if answer["code"] != "unavailable" {
            return answer;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no node placed {req}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The lot's stored bids, (seq, amount), are exactly the acknowledged ones, in order.
async fn assert_journal_holds(app: &TestApp, lot: &LiveLot, acknowledged: &[(u64, String)]) {
    assert_eq!(
        app.stored_bids(lot).await,
        acknowledged,
        "every acknowledged bid, once, in order"
    );
}

const NODE_IDS: [&str; 3] = ["n1", "n2", "n3"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_share_rooms_and_survive_the_owners_death() {
    let database = TestDatabase::create(Db::Postgres).await;
    let url = database.url().to_owned();
    let exchange = format!("test{}x{}", std::process::id(), common::exchange::now_ms());
    let mut nodes: Vec<ServerProcess> = NODE_IDS
        .iter()
        .map(|node| start_node(&url, &exchange, node))
        .collect();
    let app = TestApp::external(&nodes[0].address, database);
    let lot = app
        .live_lot(
            "trio",
            json!({"extension_window_secs": 5}),
            &[None, None],
            Some(120_000),
        )
        .await;
    app.wait_until_open(&lot).await;
    let admin = app.admin_token().await;
    let owner = owner_of(&nodes[0].address, &admin, lot.id).await;
    let owner_index = NODE_IDS
        .iter()
        .position(|node| *node == owner)
        .expect("one of the three owns the room");
    let others: Vec<usize> = (0..3).filter(|index| *index != owner_index).collect();

    // A watcher on every node, and the two bidders on the nodes that do not own the room.
    let mut watchers = Vec::new();
    for node in &nodes {
        let mut watcher =
            WsClient::signed_in(&ws(&node.address), &lot.auctioneer.token, Wire::Json).await;
        watcher.join(lot.id).await;
        watchers.push(watcher);
    }
    let mut bidders = Vec::new();
    for (bidder, index) in lot.bidders.iter().zip(&others) {
        let mut client = WsClient::signed_in(
            &ws(&nodes[*index].address),
            &bidder.user.token,
            Wire::MessagePack,
        )
        .await;
        let snapshot = client.join(lot.id).await;
        assert_eq!(snapshot["state"], "open", "{snapshot}");
        bidders.push(client);
    }
    let mut acknowledged: Vec<(u64, String)> = Vec::new();
    let mut amount = 1000;
    for step in 0..10 {
        let req = format!("before-{step}");
        let answer = bidders[step % 2]
            .bid(lot.id, &format!("{amount}.00"), &req)
            .await;
        assert_eq!(
            answer["type"], "accepted",
            "through a node that does not own the room: {answer}"
        );
        acknowledged.push((answer["seq"].as_u64().unwrap(), format!("{amount}.00")));
        amount += 100;
    }
    // Every node's members hear every bid, in order, once.
    for watcher in &mut watchers {
        let mut seen = Vec::new();
        while seen.len() < 10 {
            let event = watcher.next_of_type("bid").await;
            seen.push(event["seq"].as_u64().unwrap());
        }
        let expected: Vec<u64> = acknowledged.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(seen, expected);
    }

    // Every monitor, on any node, counts the members of every node: the three monitors
    // and the two bidders, who may both bid.
    for watcher in &mut watchers {
        let counted_everyone =
            |message: &Value| message["type"] == "presence" && message["members"] == 5;
        let presence = tokio::time::timeout(
            Duration::from_secs(10),
            watcher.next_matching(counted_everyone),
        )
        .await
        .expect("a presence that counts the members of every node");
        assert_eq!(presence["bidders"], 2, "{presence}");
    }

    // The owner dies with bids in flight; the bidders' nodes forward them to the next owner.
    let owner_process = nodes.remove(owner_index);
    let in_flight = format!("{amount}.00");
    bidders[0]
        .send(json!({"type": "bid", "lot": lot.id, "amount": in_flight, "req": "in-flight"}))
        .await;
    owner_process.kill();
    let killed_at = Instant::now();
    let answer = bid_until_answered(&mut bidders[0], lot.id, &in_flight, "in-flight").await;
    let first_after = killed_at.elapsed();
    match answer["type"].as_str() {
        Some("accepted") => {
            acknowledged.push((answer["seq"].as_u64().unwrap(), in_flight.clone()));
            amount += 100;
        }
        _ => panic!("the in-flight bid was answered {answer}"),
    }
    assert!(
        first_after < Duration::from_secs(5),
        "bids were taken again {first_after:?} after the kill"
    );
    for step in 0..6 {
        let req = format!("after-{step}");
        let client = &mut bidders[(step + 1) % 2];
        let answer = bid_until_answered(client, lot.id, &format!("{amount}.00"), &req).await;
        assert_eq!(answer["type"], "accepted", "{answer}");
        acknowledged.push((answer["seq"].as_u64().unwrap(), format!("{amount}.00")));
        amount += 100;
    }

    // The journal holds every acknowledged bid once, and nothing else.
    let survivor = TestApp::external(&nodes[0].address, app.into_database());
    assert_journal_holds(&survivor, &lot, &acknowledged).await;
    let new_owner = owner_of(&nodes[0].address, &admin, lot.id).await;
    assert_ne!(new_owner, owner);
    eprintln!("the room took bids again {first_after:?} after its owner was killed");
}

/// A node stopped with SIGTERM hands its rooms over (SPEC §10): bids sent through the
/// other node while it stops are all placed, the next owner goes on with the room's
/// deadline (no recovery extension, though the deadline is less than W away), and the
/// stopped node exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_node_hands_its_rooms_over_without_the_recovery_extension() {
    let database = TestDatabase::create(Db::Postgres).await;
    let url = database.url().to_owned();
    let exchange = format!(
        "handover{}x{}",
        std::process::id(),
        common::exchange::now_ms()
    );
    let node_ids = ["h1", "h2"];
    let mut nodes: Vec<ServerProcess> = node_ids
        .iter()
        .map(|node| start_node(&url, &exchange, node))
        .collect();
    let app = TestApp::external(&nodes[0].address, database);
    // Every bid is in the last W and sets the deadline to its time + W: a recovery would
    // move it again, and say so in an event of its own.
    let lot = app
        .live_lot(
            "handover",
            json!({"extension_window_secs": 600, "extension_mode": "reset"}),
            &[None, None],
            Some(120_000),
        )
        .await;
    app.wait_until_open(&lot).await;
    let admin = app.admin_token().await;
    let owner = owner_of(&nodes[0].address, &admin, lot.id).await;
    let owner_index = node_ids
        .iter()
        .position(|node| *node == owner)
        .expect("one of the two owns the room");
    let other = nodes[1 - owner_index].address.clone();
    let mut bidders = Vec::new();
    for bidder in &lot.bidders {
        let mut client = WsClient::signed_in(&ws(&other), &bidder.user.token, Wire::Json).await;
        client.join(lot.id).await;
        bidders.push(client);
    }

    let mut acknowledged: Vec<(u64, String)> = Vec::new();
    let mut last_deadline_ms = 0;
    let mut amount = 1000;
    let mut stopping = None;
    for step in 0..16 {
        if step == 4 {
            // The owner stops while the bidders go on bidding through the other node.
            let owner_process = nodes.remove(owner_index);
            stopping = Some(tokio::task::spawn_blocking(move || {
                owner_process.terminate()
            }));
        }
        let req = format!("bid-{step}");
        let price = format!("{amount}.00");
        let answer = bid_until_answered(&mut bidders[step % 2], lot.id, &price, &req).await;
        assert_eq!(answer["type"], "accepted", "{req}: {answer}");
        acknowledged.push((answer["seq"].as_u64().unwrap(), price));
        last_deadline_ms = answer["deadline_ms"].as_i64().unwrap();
        amount += 100;
    }
    let status = stopping
        .expect("the owner was stopped")
        .await
        .expect("the stopping thread");
    assert!(status.success(), "the stopped node exits 0: {status}");

    let survivor = nodes.pop().expect("the other node");
    assert_eq!(
        owner_of(&survivor.address, &admin, lot.id).await,
        node_ids[1 - owner_index]
    );
    // Nothing but the bids: a recovery would have put its `state` event between two of them.
    let seqs: Vec<u64> = acknowledged.iter().map(|(seq, _)| *seq).collect();
    let first = seqs[0];
    assert_eq!(
        seqs,
        (first..first + seqs.len() as u64).collect::<Vec<_>>(),
        "no event between the bids"
    );
    let mut watcher =
        WsClient::signed_in(&ws(&survivor.address), &lot.auctioneer.token, Wire::Json).await;
    let snapshot = watcher.join(lot.id).await;
    assert_eq!(snapshot["state"], "open", "{snapshot}");
    assert_eq!(
        snapshot["seq"].as_u64(),
        acknowledged.last().map(|(seq, _)| *seq),
        "no event after the last bid: {snapshot}"
    );
    assert_eq!(
        snapshot["deadline_ms"].as_i64(),
        Some(last_deadline_ms),
        "{snapshot}"
    );
    assert_eq!(
        snapshot["extensions"].as_u64(),
        Some(seqs.len() as u64),
        "{snapshot}"
    );

    let survivor_app = TestApp::external(&survivor.address, app.into_database());
    assert_journal_holds(&survivor_app, &lot, &acknowledged).await;
}

/// A suspension made through a node that does not own the room reaches the owner through
/// the cluster: the bidder's next bid is refused at once, wherever it connects.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspension_through_another_node_refuses_the_next_bid_at_the_owner() {
    let database = TestDatabase::create(Db::Postgres).await;
    let url = database.url().to_owned();
    let exchange = format!(
        "standing{}x{}",
        std::process::id(),
        common::exchange::now_ms()
    );
    let node_ids = ["s1", "s2"];
    let nodes: Vec<ServerProcess> = node_ids
        .iter()
        .map(|node| start_node(&url, &exchange, node))
        .collect();
    let app = TestApp::external(&nodes[0].address, database);
    let lot = app
        .live_lot("standing", json!({}), &[None, None], Some(120_000))
        .await;
    app.wait_until_open(&lot).await;
    let admin = app.admin_token().await;
    let owner = owner_of(&nodes[0].address, &admin, lot.id).await;
    let owner_index = node_ids
        .iter()
        .position(|node| *node == owner)
        .expect("one of the two owns the room");
    let other = nodes[1 - owner_index].address.clone();
    let mut client = WsClient::signed_in(&ws(&other), &lot.bidders[0].user.token, Wire::Json).await;
    client.join(lot.id).await;
    let first = bid_until_answered(&mut client, lot.id, "1000.00", "first").await;
    assert_eq!(first["type"], "accepted", "{first}");

    let suspended: Value = reqwest::Client::new()
        .post(format!(
            "http://{other}/api/v1/accounts/{}/suspension",
            lot.bidders[1].user.id
        ))
        .bearer_auth(&admin)
        .json(&json!({ "days": 3, "reason": "under investigation" }))
        .send()
        .await
        .expect("POST /suspension")
        .json()
        .await
        .expect("JSON");
    assert_eq!(suspended["action"], "suspend", "{suspended}");
    let mut suspended_bidder =
        WsClient::signed_in(&ws(&other), &lot.bidders[1].user.token, Wire::Json).await;
    let refused = bid_until_answered(&mut suspended_bidder, lot.id, "1100.00", "after").await;
    assert_eq!(refused["code"], "not_eligible", "{refused}");
    assert_eq!(refused["reason"], "suspended", "{refused}");
    drop(nodes);
}
