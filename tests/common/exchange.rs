//! A live lot with eligible bidders, ready to bid in: the fixture the room tests share.

use std::time::Duration;

use serde_json::{Value, json};

use bidroom::time_format::to_rfc3339;

use super::ws::{Wire, WsClient};
use super::{RegisteredBidder, TestApp, User};

/// A published lot, its auctioneer and its eligible bidders.
pub struct LiveLot {
    pub id: i64,
    pub auctioneer: User,
    pub bidders: Vec<RegisteredBidder>,
    pub starts_at_ms: i64,
}

/// How long after its bidders are ready a fixture lot opens: time to apply, approve and
/// lodge deposits (fast calls) on a loaded machine.
pub const OPENS_IN_MS: i64 = 2_500;

pub fn now_ms() -> i64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

impl TestApp {
    /// Registers a verified bidder with money for the lot and lodges its deposit.
    pub async fn eligible_bidder(
        &self,
        auctioneer: &User,
        lot_id: i64,
        user: User,
        priority_rank: Option<u32>,
    ) -> RegisteredBidder {
        let application_id = self.apply(&user.token, lot_id).await;
        let bidder_number = self
            .approve(&auctioneer.token, application_id, priority_rank)
            .await;
        let key = format!("deposit-{application_id}");
        let (status, body) = self.deposit(&user, application_id, &key, json!({})).await;
        assert_eq!(status, 201, "lodge the deposit: {body}");
        RegisteredBidder {
            user,
            application_id,
            bidder_number,
        }
    }

    /// A lot from `lot_body(overrides)` opening [`OPENS_IN_MS`] after its bidders are
    /// ready (and ending `runs_for_ms` after it opens, or `lot_body`'s default), with one
    /// eligible bidder per entry of `priority_ranks` (named `{prefix}-b{i}`).
    ///
    /// Accounts are made first (password hashing is the slow part), so that applications
    /// and deposits land before the lot opens even on a loaded machine.
    pub async fn live_lot(
        &self,
        prefix: &str,
        overrides: Value,
        priority_ranks: &[Option<u32>],
        runs_for_ms: Option<i64>,
    ) -> LiveLot {
        let auctioneer = self
            .create_auctioneer(&format!("{prefix}-auctioneer"))
            .await;
        let mut users = Vec::new();
        for index in 0..priority_ranks.len() {
            let user = self
                .signup_verified_bidder(&format!("{prefix}-b{index}"))
                .await;
            self.top_up(&user, "100000.00").await;
            users.push(user);
        }
        let starts_at_ms = now_ms() + OPENS_IN_MS;
        let mut overrides = overrides;
        let fields = overrides.as_object_mut().expect("overrides are an object");
        fields.insert("starts_at".to_owned(), json!(to_rfc3339(starts_at_ms)));
        if let Some(runs_for_ms) = runs_for_ms {
            fields.insert(
                "ends_at".to_owned(),
                json!(to_rfc3339(starts_at_ms + runs_for_ms)),
            );
        }
        let id = self.published_lot(&auctioneer.token, overrides).await;
        let mut bidders = Vec::new();
        for (user, rank) in users.into_iter().zip(priority_ranks) {
            bidders.push(self.eligible_bidder(&auctioneer, id, user, *rank).await);
        }
        LiveLot {
            id,
            auctioneer,
            bidders,
            starts_at_ms,
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

    /// The lot's stored bids as (seq, amount), in order, as its auctioneer reads them.
    pub async fn stored_bids(&self, lot: &LiveLot) -> Vec<(u64, String)> {
        let (status, bids) = self
            .get(
                &format!("/lots/{}/bids?limit=1000", lot.id),
                Some(&lot.auctioneer.token),
            )
            .await;
        assert_eq!(status, 200, "{bids}");
        bids.as_array()
            .expect("a list of bids")
            .iter()
            .map(|bid| {
                (
                    bid["seq"].as_u64().unwrap(),
                    bid["amount"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }
}

/// Sleeps past a point in the room's timeline (timers are real in these tests).
pub async fn sleep_ms(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}
