//! Joining an ended lot whose room has gone (SPEC §8: cheap, and rate-limited like any
//! join): the first join reads the journal, later ones only the joiner's standing. The
//! statements are counted from sqlx's own log of every statement it runs.

mod common;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::{Layer, Registry};

use common::ws::Wire;
use common::{Db, TestApp, TestDatabase};

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);

/// Counts the statements sqlx runs (its `sqlx::query` events), in the whole process.
struct StatementCounter;

impl<S: tracing::Subscriber> Layer<S> for StatementCounter {
    fn on_event(&self, _event: &tracing::Event<'_>, _context: Context<'_, S>) {
        STATEMENTS.fetch_add(1, Ordering::SeqCst);
    }
}

fn count_statements() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let only_statements = Targets::new().with_target("sqlx::query", tracing::Level::DEBUG);
        let subscriber = Registry::default().with(StatementCounter.with_filter(only_statements));
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    });
}

/// The statements are counted process-wide: one test at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A join's snapshot without what changes from one join to the next.
fn settled(mut snapshot: Value) -> Value {
    let fields = snapshot.as_object_mut().unwrap();
    fields.remove("server_time_ms");
    fields.remove("req");
    snapshot
}

async fn a_join_of_an_ended_lot_reads_the_journal_once(db: Db) {
    count_statements();
    let _alone = ONE_AT_A_TIME.lock().await;
    let database = TestDatabase::create(db).await;
    let app = TestApp::spawn_on(database, |config| config).await;
    let lot = app
        .live_lot(
            "ended",
            json!({"extension_window_secs": 1}),
            &[None, None],
            Some(2_000),
        )
        .await;
    app.wait_until_open(&lot).await;
    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::Json).await;
    assert_eq!(
        bidder.bid(lot.id, "1000.00", "b1").await["type"],
        "accepted"
    );
    bidder.join(lot.id).await;
    bidder.next_of_type("closed").await;
    // A restart: the ended room is not in memory any more.
    let database = app.stop_keeping_database().await;
    let app = TestApp::spawn_on(database, |config| config).await;

    let mut late = app.bidder_client(&lot.bidders[1], Wire::Json).await;
    let mut monitor =
        common::ws::WsClient::signed_in(&app.ws_url, &lot.auctioneer.token, Wire::Json).await;
    let before = STATEMENTS.load(Ordering::SeqCst);
    let first = late.join(lot.id).await;
    let first_statements = STATEMENTS.load(Ordering::SeqCst) - before;
    assert_eq!(first["state"], "closed", "{first}");
    assert_eq!(first["price"], "1000.00", "{first}");
    assert_eq!(first["recent_bids"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        first["you"]["bidder_number"],
        lot.bidders[1].bidder_number.as_str()
    );

    let before = STATEMENTS.load(Ordering::SeqCst);
    let again = late.join(lot.id).await;
    let join_statements = STATEMENTS.load(Ordering::SeqCst) - before;
    let before = STATEMENTS.load(Ordering::SeqCst);
    let watched = monitor.join(lot.id).await;
    let monitor_statements = STATEMENTS.load(Ordering::SeqCst) - before;
    eprintln!(
        "{db:?}: an ended lot's join ran {first_statements} statements the first time, \
         {join_statements} for a bidder after, {monitor_statements} for its auctioneer"
    );
    assert_eq!(settled(again), settled(first.clone()), "the same snapshot");
    assert!(
        join_statements <= 1,
        "{join_statements} statements for a join"
    );
    assert!(monitor_statements <= 1, "{monitor_statements} statements");
    assert_eq!(watched["you"]["monitor"], true, "{watched}");
    assert!(
        watched["recent_bids"][0]["display_name"].is_string(),
        "the monitor view names the bidder: {watched}"
    );
    assert!(first["recent_bids"][0].get("display_name").is_none());

    // Joins of an ended lot are rate-limited like any other (10 a second).
    for index in 0..25 {
        late.send(json!({"type": "join", "lot": lot.id, "req": format!("j{index}")}))
            .await;
    }
    let mut refused = 0;
    for index in 0..25 {
        let answer = late.answer(&format!("j{index}")).await;
        if answer["type"] == "error" && answer["code"] == "rate_limited" {
            refused += 1;
        } else {
            assert_eq!(answer["type"], "snapshot", "{answer}");
        }
    }
    assert!(refused >= 10, "{refused} of 25 refused");
    app.stop().await;
}
on_both_databases!(
    a_join_of_an_ended_lot_reads_the_journal_once,
    super::a_join_of_an_ended_lot_reads_the_journal_once
);
