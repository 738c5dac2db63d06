//! `--demo` seeds an exchange a newcomer can click through, and can run again; its demo
//! bidders bid by themselves over the WebSocket and new lots keep opening.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use bidroom::config::ServeConfig;
use bidroom::demo::{DEMO_ADMIN, DEMO_PASSWORD, DemoTimings};
use common::{Db, TestApp, TestDatabase};
use serde_json::Value;

fn demo(mut config: ServeConfig) -> ServeConfig {
    config.demo = true;
    config.bootstrap_admin = None;
    config
}

/// The demo at the pace of a test, with the rate limit a person's connection has.
fn quick_demo(config: ServeConfig) -> ServeConfig {
    let mut config = demo(config);
    config.demo_timings = DemoTimings::quick();
    config.bid_rate_limit = 20;
    config
}

async fn the_demo_seeds_bidders_with_money_deposits_and_lots_about_to_open(db: Db) {
    let database = TestDatabase::create(db).await;
    let app = TestApp::spawn_on(database, demo).await;
    let alice = app.sign_in("alice", DEMO_PASSWORD).await;
    let (_, wallet) = app.get("/wallet", Some(&alice)).await;
    assert_eq!(
        wallet["frozen"], "21500.00",
        "a deposit lodged on each demo lot: {wallet}"
    );
    assert_eq!(wallet["available"], "478500.00", "{wallet}");
    let (_, lots) = app.get("/lots?state=published", Some(&alice)).await;
    assert_eq!(lots.as_array().map(Vec::len), Some(3), "{lots}");
    // Each is announced: its auction announcement, approved, is public.
    let (_, announced) = app.get("/announcements?kind=auction", None).await;
    let mut announced: Vec<i64> = announced
        .as_array()
        .unwrap()
        .iter()
        .map(|announcement| announcement["lot_id"].as_i64().unwrap())
        .collect();
    let mut published: Vec<i64> = lots
        .as_array()
        .unwrap()
        .iter()
        .map(|lot| lot["id"].as_i64().unwrap())
        .collect();
    announced.sort_unstable();
    published.sort_unstable();
    assert_eq!(announced, published);
    // The asset package carries its item list.
    let package = lots
        .as_array()
        .unwrap()
        .iter()
        .find(|lot| lot["title"] == "Office equipment package, 120 items")
        .expect("the office equipment package is seeded");
    let (_, items) = app
        .get(&format!("/lots/{}/items", package["id"]), None)
        .await;
    let quantities: Vec<&str> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["quantity"].as_str().unwrap())
        .collect();
    assert_eq!(quantities, ["40", "60", "12", "6", "2"], "{items}");
    app.sign_in(DEMO_ADMIN, DEMO_PASSWORD).await;
    app.sign_in("auctioneer", DEMO_PASSWORD).await;
    for bot in bidroom::demo::BOTS {
        app.sign_in(bot, DEMO_PASSWORD).await;
    }
    let organisation = app
        .sign_in(bidroom::demo::ORGANISATION, DEMO_PASSWORD)
        .await;
    let (_, me) = app.get("/me", Some(&organisation)).await;
    assert_eq!(me["kind"], "organisation", "{me}");
    assert_eq!(me["verified"], true, "{me}");
    assert_eq!(me["id_type"], "unified_social_credit_code", "{me}");
    let admin = app.sign_in(DEMO_ADMIN, DEMO_PASSWORD).await;
    let (_, held) = app
        .get("/bank/notifications?status=unmatched", Some(&admin))
        .await;
    let held = held.as_array().unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["unmatched_reason"], "payer_name_mismatch");
    assert_eq!(held[0]["account_number"], me["wallet"]["account_number"]);

    // A second start on the same database seeds three more lots and moves no money twice.
    let database = {
        let mut app = app;
        app.server.take().unwrap().stop().await.unwrap();
        app.into_database()
    };
    let app = TestApp::spawn_on(database, demo).await;
    let alice = app.sign_in("alice", DEMO_PASSWORD).await;
    let (_, wallet) = app.get("/wallet", Some(&alice)).await;
    assert_eq!(wallet["frozen"], "43000.00", "{wallet}");
    assert_eq!(
        wallet["available"], "457000.00",
        "the top-up was not repeated: {wallet}"
    );
    let admin = app.sign_in(DEMO_ADMIN, DEMO_PASSWORD).await;
    let (_, held) = app
        .get("/bank/notifications?status=unmatched", Some(&admin))
        .await;
    assert_eq!(held.as_array().map(Vec::len), Some(1), "held once: {held}");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    the_demo_seeds_bidders_with_money_deposits_and_lots_about_to_open,
    super::the_demo_seeds_bidders_with_money_deposits_and_lots_about_to_open
);

/// Polls `check` every 100 ms until it gives a value, failing after `limit`.
async fn within<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not within {limit:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn lot_ids(app: &TestApp, admin: &str) -> Vec<i64> {
    let (_, lots) = app.get("/lots", Some(admin)).await;
    let mut ids: Vec<i64> = lots
        .as_array()
        .expect("a list of lots")
        .iter()
        .map(|lot| lot["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    ids
}

async fn the_demo_bidders_bid_by_themselves_and_new_lots_keep_opening(db: Db) {
    let database = TestDatabase::create(db).await;
    let app = TestApp::spawn_on(database, quick_demo).await;
    let admin = app.sign_in(DEMO_ADMIN, DEMO_PASSWORD).await;
    let seeded = lot_ids(&app, &admin).await;
    assert!(seeded.len() >= 3, "{seeded:?}");
    let first = seeded[0];

    // The first lot opens 1.5 s after the start; the demo bidders answer within 0.5 s.
    let bids: Vec<Value> = within(
        Duration::from_secs(8),
        "two bids in the first lot",
        || async {
            let (_, bids) = app.get(&format!("/lots/{first}/bids"), Some(&admin)).await;
            let bids = bids.as_array().cloned().unwrap_or_default();
            (bids.len() >= 2).then_some(bids)
        },
    )
    .await;
    let bots: HashSet<&str> = ["Dave Chen", "Erin Zhao", "Frank Liu"].into();
    let names: HashSet<&str> = bids
        .iter()
        .map(|bid| bid["display_name"].as_str().unwrap_or("?"))
        .collect();
    assert!(
        names.is_subset(&bots) && names.len() >= 2,
        "demo bidders contend (and no bid is placed as alice, bob or carol): {bids:?}"
    );
    let amounts: Vec<bidroom::money::Money> = bids
        .iter()
        .map(|bid| bid["amount"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(
        amounts.windows(2).all(|pair| pair[0] < pair[1]),
        "{amounts:?}"
    );

    // The scheduler opens a lot every 2 s (while fewer than four are live).
    let newer = within(Duration::from_secs(6), "a scheduled lot", || async {
        let ids = lot_ids(&app, &admin).await;
        ids.into_iter().find(|id| id > seeded.last().unwrap())
    })
    .await;

    // The bidders stop at their ceilings and the first lot closes, sold at its last bid.
    let closed = within(Duration::from_secs(20), "the first lot closes", || async {
        let (_, lot) = app.get(&format!("/lots/{first}"), Some(&admin)).await;
        (lot["state"] == "closed").then_some(lot)
    })
    .await;
    let (_, bids) = app.get(&format!("/lots/{first}/bids"), Some(&admin)).await;
    let last = bids.as_array().unwrap().last().unwrap().clone();
    assert_eq!(closed["result"], "sold", "{closed}");
    assert_eq!(closed["price"], last["amount"], "{closed} {last}");

    // The scheduled lot is registered for every demo bidder, the three people and the
    // organisation; its bids come.
    let alice = app.sign_in("alice", DEMO_PASSWORD).await;
    let (status, lot) = app.get(&format!("/lots/{newer}"), Some(&alice)).await;
    assert_eq!(status, 200, "{lot}");
    let (_, applications) = app
        .get(&format!("/lots/{newer}/applications"), Some(&admin))
        .await;
    assert_eq!(
        applications.as_array().map(Vec::len),
        Some(7),
        "{applications}"
    );

    let (status, report) = app.get("/ledger/reconciliation", Some(&admin)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["consistent"], true, "{report}");

    // Shutdown ends the bidders and the scheduler: `stop` waits for them.
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("the demo's bidders and scheduler stop with the server");
}
on_both_databases!(
    the_demo_bidders_bid_by_themselves_and_new_lots_keep_opening,
    super::the_demo_bidders_bid_by_themselves_and_new_lots_keep_opening
);
