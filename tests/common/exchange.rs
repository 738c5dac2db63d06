//! A live lot with eligible bidders, ready to bid in: the fixture the room tests share.

use std::time::Duration;

use serde_json::{Value, json};

use super::ws::{Wire, WsClient};
use super::{RegisteredBidder, TestApp, User};

/// A published lot, its auctioneer and its eligible bidders.
pub struct LiveLot {
    pub id: i64,
    pub auctioneer: User,
    pub bidders: Vec<RegisteredBidder>,
}

impl TestApp {
    /// A registered bidder with money on its wallet and the lot's deposit lodged.
    pub async fn eligible_bidder(
        &self,
        auctioneer: &User,
        lot_id: i64,
        username: &str,
        priority_rank: Option<u32>,
    ) -> RegisteredBidder {
        let user = self.signup_verified_bidder(username).await;
        let application_id = self.apply(&user.token, lot_id).await;
        let bidder_number = self
            .approve(&auctioneer.token, application_id, priority_rank)
            .await;
        self.top_up(&user, "100000.00").await;
        let (status, body) = self
            .deposit(
                &user,
                application_id,
                &format!("deposit-{application_id}"),
                json!({}),
            )
            .await;
        assert_eq!(status, 201, "lodge the deposit: {body}");
        RegisteredBidder {
            user,
            application_id,
            bidder_number,
        }
    }

    /// A lot from `lot_body(overrides)` starting in `start_in_ms`, with one eligible bidder
    /// per entry of `priority_ranks` (named `{prefix}-b{i}`).
    pub async fn live_lot(
        &self,
        prefix: &str,
        overrides: Value,
        priority_ranks: &[Option<u32>],
        start_in_ms: i64,
    ) -> LiveLot {
        let auctioneer = self
            .create_auctioneer(&format!("{prefix}-auctioneer"))
            .await;
        let mut overrides = overrides;
        let fields = overrides.as_object_mut().expect("overrides are an object");
        fields
            .entry("starts_at")
            .or_insert_with(|| json!(super::rfc3339_after_ms(start_in_ms)));
        let id = self.published_lot(&auctioneer.token, overrides).await;
        let mut bidders = Vec::new();
        for (index, rank) in priority_ranks.iter().enumerate() {
            bidders.push(
                self.eligible_bidder(&auctioneer, id, &format!("{prefix}-b{index}"), *rank)
                    .await,
            );
        }
        LiveLot {
            id,
            auctioneer,
            bidders,
        }
    }

    /// Waits (as the lot's auctioneer) until the lot's room is open.
    pub async fn wait_until_open(&self, lot: &LiveLot) {
        let mut monitor =
            WsClient::signed_in(&self.ws_url, &lot.auctioneer.token, Wire::Json).await;
        let snapshot = monitor.join(lot.id).await;
        if snapshot["state"] != "open" {
            let opened = monitor
                .next_matching(|message| message["type"] == "state" && message["state"] == "open")
                .await;
            assert_eq!(opened["lot"], lot.id);
        }
    }

    /// A signed-in WebSocket client for a bidder of the lot.
    pub async fn bidder_client(&self, bidder: &RegisteredBidder, wire: Wire) -> WsClient {
        WsClient::signed_in(&self.ws_url, &bidder.user.token, wire).await
    }
}

/// Sleeps past a point in the room's timeline (timers are real in these tests).
pub async fn sleep_ms(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}
