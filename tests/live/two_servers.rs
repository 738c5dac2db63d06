//! Two servers pointed at one PostgreSQL database (the second started after the lot was
//! published, as in a rolling deploy): only the one holding the room's lease runs it (the
//! other answers `unavailable`, see `tests/leases.rs`), so every bid either server
//! acknowledged is in the journal as acknowledged, and no seq is acknowledged twice.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::common::ws::{Wire, WsClient};
use crate::common::{Db, TestApp, test_config};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_never_acknowledge_a_bid_the_journal_lacks() {
    let app = TestApp::spawn(Db::Postgres).await;
    let lot = app.live_lot("twin", json!({}), &[None, None], None).await;
    let second = bidroom::server::start(test_config(app.database.url()))
        .await
        .expect("the second server starts");
    let second_ws_url = format!("ws://{}/ws", second.local_addr);
    // Bid through the server whose room opened the lot; the other has none.
    let urls = [app.ws_url.clone(), second_ws_url];
    let give_up = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let opened = loop {
        assert!(
            std::time::Instant::now() < give_up,
            "neither server opened the lot"
        );
        let mut open = None;
        for (index, url) in urls.iter().enumerate() {
            let mut watcher =
                WsClient::signed_in(url, &lot.bidders[0].user.token, Wire::Json).await;
            watcher
                .send(json!({"type": "join", "lot": lot.id, "req": "j"}))
                .await;
            let answer = watcher.answer("j").await;
            if answer["type"] == "snapshot" && answer["state"] == "open" {
                open = Some(index);
                break;
            }
        }
        if let Some(index) = open {
            break index;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let mut on_first =
        WsClient::signed_in(&urls[opened], &lot.bidders[0].user.token, Wire::Json).await;
    let mut on_second =
        WsClient::signed_in(&urls[1 - opened], &lot.bidders[1].user.token, Wire::Json).await;
    let mut acknowledged: Vec<Value> = Vec::new();
    for round in 0..6 {
        for (index, client) in [&mut on_first, &mut on_second].into_iter().enumerate() {
            let amount = format!("{}.00", 1000 + 100 * (2 * round + index));
            let answer = client
                .bid(lot.id, &amount, &format!("twin-{round}-{index}"))
                .await;
            if answer["type"] == "accepted" {
                acknowledged.push(answer);
            }
        }
    }
    assert!(!acknowledged.is_empty(), "the room that opened takes bids");

    let (status, bids) = app
        .get(
            &format!("/lots/{}/bids", lot.id),
            Some(&lot.auctioneer.token),
        )
        .await;
    assert_eq!(status, 200, "{bids}");
    let journaled: HashMap<u64, (Value, Value)> = bids
        .as_array()
        .expect("a list of bids")
        .iter()
        .map(|bid| {
            (
                bid["seq"].as_u64().expect("a seq"),
                (bid["amount"].clone(), bid["bidder"].clone()),
            )
        })
        .collect();
    let mut seqs = Vec::new();
    for answer in &acknowledged {
        let seq = answer["seq"].as_u64().expect("a seq");
        seqs.push(seq);
        assert_eq!(
            journaled.get(&seq),
            Some(&(answer["amount"].clone(), answer["bidder"].clone())),
            "an acknowledged bid is in the journal as acknowledged: {answer}, journal {bids}"
        );
    }
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), acknowledged.len(), "no seq acknowledged twice");

    second.stop().await.expect("the second server stops");
    app.stop().await;
}
