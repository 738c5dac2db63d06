//! `--demo` seeds an exchange a newcomer can click through, and can run again.

mod common;

use common::{Db, TestApp, TestDatabase};

async fn the_demo_seeds_bidders_with_money_deposits_and_lots_about_to_open(db: Db) {
    let database = TestDatabase::create(db).await;
    let demo = |mut config: bidroom::config::ServeConfig| {
        config.demo = true;
        config.bootstrap_admin = None;
        config
    };
    let app = TestApp::spawn_on(database, demo).await;
    let alice = app.sign_in("alice", bidroom::demo::DEMO_PASSWORD).await;
    let (_, wallet) = app.get("/wallet", Some(&alice)).await;
    assert_eq!(
        wallet["frozen"], "51500.00",
        "a deposit lodged on each demo lot: {wallet}"
    );
    assert_eq!(wallet["available"], "448500.00", "{wallet}");
    let (_, lots) = app.get("/lots?state=published", Some(&alice)).await;
    assert_eq!(lots.as_array().map(Vec::len), Some(3), "{lots}");
    app.sign_in(bidroom::demo::DEMO_ADMIN, bidroom::demo::DEMO_PASSWORD)
        .await;
    app.sign_in("auctioneer", bidroom::demo::DEMO_PASSWORD)
        .await;

    // A second start on the same database seeds three more lots and moves no money twice.
    let database = {
        let mut app = app;
        app.server.take().unwrap().stop().await.unwrap();
        app.into_database()
    };
    let app = TestApp::spawn_on(database, demo).await;
    let alice = app.sign_in("alice", bidroom::demo::DEMO_PASSWORD).await;
    let (_, wallet) = app.get("/wallet", Some(&alice)).await;
    assert_eq!(wallet["frozen"], "103000.00", "{wallet}");
    assert_eq!(
        wallet["available"], "397000.00",
        "the top-up was not repeated: {wallet}"
    );
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    the_demo_seeds_bidders_with_money_deposits_and_lots_about_to_open,
    super::the_demo_seeds_bidders_with_money_deposits_and_lots_about_to_open
);
