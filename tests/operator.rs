//! What an operator watches: the real binary's `/metrics` after a room has taken bids.

mod common;

use serde_json::json;

use common::process::ServerProcess;
use common::ws::Wire;
use common::{Db, TestApp, TestDatabase};

async fn metrics_text(app: &TestApp) -> String {
    let response = reqwest::get(format!("{}/metrics", app.base_url))
        .await
        .expect("GET /metrics");
    assert_eq!(response.status(), 200);
    response.text().await.expect("Prometheus text")
}

/// The value of the first sample whose line starts with `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

async fn bids_the_journal_and_rooms_show_in_metrics(db: Db) {
    let database = TestDatabase::create(db).await;
    let server = ServerProcess::start(database.url());
    let app = TestApp::external(&server.address, database);
    let lot = app.live_lot("ops", json!({}), &[None], None).await;
    app.wait_until_open(&lot).await;
    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    bidder.join(lot.id).await;
    let accepted = bidder.bid(lot.id, "1000.00", "ops-1").await;
    assert_eq!(accepted["type"], "accepted", "{accepted}");
    let rejected = bidder.bid(lot.id, "1000.00", "ops-2").await;
    assert_eq!(rejected["type"], "rejected", "{rejected}");

    let text = metrics_text(&app).await;
    assert_eq!(
        sample(&text, "bidroom_bids_accepted_total"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "bidroom_bids_rejected_total{code=\"too_low\"}"),
        Some(1.0),
        "{text}"
    );
    for family in [
        "bidroom_bid_commit_seconds_count",
        "bidroom_bid_ack_seconds_count{outcome=\"accepted\"}",
        "bidroom_bid_ack_seconds_count{outcome=\"rejected\"}",
    ] {
        assert_eq!(sample(&text, family), Some(1.0), "{family} in {text}");
    }
    for family in [
        "bidroom_journal_batch_rows_count",
        "bidroom_journal_commit_seconds_count",
        "bidroom_journal_rows_total",
    ] {
        assert!(
            sample(&text, family).is_some_and(|value| value >= 1.0),
            "{family} in {text}"
        );
    }
    assert!(
        sample(&text, "bidroom_journal_queue_batches").is_some(),
        "{text}"
    );
    assert_eq!(
        sample(&text, "bidroom_rooms{state=\"open\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "bidroom_rooms{state=\"paused\"}"),
        Some(0.0),
        "{text}"
    );
    assert!(
        sample(&text, "bidroom_connections").is_some_and(|value| value >= 1.0),
        "{text}"
    );
}
on_both_databases!(
    bids_the_journal_and_rooms_show_in_metrics,
    super::bids_the_journal_and_rooms_show_in_metrics
);
