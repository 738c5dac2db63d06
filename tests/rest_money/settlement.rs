//! After the close: releases, the winner's deposit applied, payment and default.

use bidroom::auction::LotState;
use bidroom::config::ServeConfig;
use bidroom::money::Money;
use bidroom::storage::{JournalRow, RoomEventKind};
use serde_json::{Value, json};

use crate::common::{Db, RegisteredBidder, TestApp, TestDatabase, User, in_secs};
use crate::lot_in_an_hour;
use crate::on_both_databases;

/// A lot in an hour with `count` registered bidders, each topped up with 10,000.00 and
/// with its deposit lodged.
async fn lot_with_deposits(
    app: &TestApp,
    overrides: Value,
    count: usize,
) -> (User, i64, Vec<RegisteredBidder>) {
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let lot = lot_in_an_hour(app, &auctioneer, overrides).await;
    let mut bidders = Vec::new();
    for index in 0..count {
        let bidder = app
            .registered_bidder(&auctioneer.token, lot, &format!("bidder{index}"))
            .await;
        app.top_up(&bidder.user, "10000").await;
        let (status, body) = app
            .deposit(&bidder.user, bidder.application_id, "k", json!({}))
            .await;
        assert_eq!(status, 201, "{body}");
        bidders.push(bidder);
    }
    (auctioneer, lot, bidders)
}

async fn a_close_releases_the_losers_and_applies_the_winners_deposit(db: Db) {
    let app = TestApp::spawn(db).await;
    let (auctioneer, lot, bidders) = lot_with_deposits(&app, json!({}), 3).await;
    let winner = &bidders[0].user;
    app.settle_closed_lot(lot, Some((winner, "5000"))).await;

    for loser in &bidders[1..] {
        assert_eq!(
            app.balances(&loser.user).await,
            ("10000.00".to_owned(), "0.00".to_owned())
        );
        let wallet = app.wallet(&loser.user.token).await;
        assert_eq!(wallet["entries"][0]["kind"], "deposit_release");
    }
    assert_eq!(
        app.balances(winner).await,
        ("9800.00".to_owned(), "0.00".to_owned())
    );
    let expected = json!({
        "lot_id": lot,
        "price": "5000.00",
        "fee": "50.00",
        "deposit_applied": "200.00",
        "amount_due": "4850.00",
        "amount_paid": "0.00",
        "balance": "4850.00",
        "due_at": null,
        "status": "open",
    });
    let path = format!("/lots/{lot}/settlement");
    let (status, settlement) = app.get(&path, Some(&winner.token)).await;
    assert_eq!(status, 200, "{settlement}");
    assert_eq!(settlement, expected);
    let (status, _) = app.get(&path, Some(&auctioneer.token)).await;
    assert_eq!(status, 200);
    let admin = app.admin_token().await;
    let (status, _) = app.get(&path, Some(&admin)).await;
    assert_eq!(status, 200);
    let (status, _) = app.get(&path, Some(&bidders[1].user.token)).await;
    assert_eq!(status, 403);

    // Closing again (a restart repeats it) changes nothing.
    app.settle_closed_lot(lot, Some((winner, "5000"))).await;
    let (_, again) = app.get(&path, Some(&winner.token)).await;
    assert_eq!(again, expected);
    assert_eq!(app.balances(winner).await.0, "9800.00");
    assert_eq!(app.balances(&bidders[1].user).await.0, "10000.00");
    assert_eq!(app.ledger_balance("fees").await, "50.00");
    assert_eq!(
        app.ledger_balance(&format!("lot:{lot}:proceeds")).await,
        "150.00"
    );
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_close_releases_the_losers_and_applies_the_winners_deposit,
    super::a_close_releases_the_losers_and_applies_the_winners_deposit
);

async fn the_winner_pays_the_whole_balance_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let (_, lot, bidders) = lot_with_deposits(&app, json!({}), 2).await;
    let winner = &bidders[0].user;
    app.settle_closed_lot(lot, Some((winner, "15000"))).await;
    let pay = format!("/lots/{lot}/settlement/pay");

    let (status, body) = app
        .post(&pay, Some(&bidders[1].user.token), json!({}))
        .await;
    assert_eq!(status, 403, "{body}");
    // 15,000 + 150 fee − 200 deposit = 14,950 due; the winner has 9,800.
    let (status, body) = app.post(&pay, Some(&winner.token), json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "insufficient_funds");
    app.top_up(winner, "5150").await;
    let (status, paid) = app.post(&pay, Some(&winner.token), json!({})).await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["amount_paid"], "14950.00");
    assert_eq!(paid["balance"], "0.00");
    assert_eq!(
        app.balances(winner).await,
        ("0.00".to_owned(), "0.00".to_owned())
    );
    let (status, body) = app.post(&pay, Some(&winner.token), json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "already_paid");
    assert_eq!(
        app.ledger_balance(&format!("lot:{lot}:proceeds")).await,
        "15000.00"
    );
    assert_eq!(app.ledger_balance("fees").await, "150.00");
    let admin = app.admin_token().await;
    let (status, body) = app
        .post(
            &format!("/lots/{lot}/settlement/default"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "settlement_not_open");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    the_winner_pays_the_whole_balance_once,
    super::the_winner_pays_the_whole_balance_once
);

async fn an_unpaid_settlement_defaults_and_forfeits_the_deposit(db: Db) {
    let app = TestApp::spawn(db).await;
    let (_, lot, bidders) = lot_with_deposits(&app, json!({}), 2).await;
    let winner = &bidders[0].user;
    app.settle_closed_lot(lot, Some((winner, "20000"))).await;
    let default = format!("/lots/{lot}/settlement/default");

    let (status, _) = app.post(&default, Some(&winner.token), json!({})).await;
    assert_eq!(status, 403);
    // The lot set no settlement_due_at: the admin may default at any time after the close.
    let admin = app.admin_token().await;
    let (status, defaulted) = app.post(&default, Some(&admin), json!({})).await;
    assert_eq!(status, 200, "{defaulted}");
    assert_eq!(defaulted["status"], "defaulted");
    assert_eq!(app.ledger_balance("forfeits").await, "200.00");
    assert_eq!(app.ledger_balance("fees").await, "0.00");
    assert_eq!(
        app.ledger_balance(&format!("lot:{lot}:proceeds")).await,
        "0.00"
    );
    assert_eq!(
        app.balances(winner).await,
        ("9800.00".to_owned(), "0.00".to_owned())
    );
    let (status, body) = app.post(&default, Some(&admin), json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "settlement_not_open");
    let (status, body) = app
        .post(
            &format!("/lots/{lot}/settlement/pay"),
            Some(&winner.token),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "settlement_defaulted");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    an_unpaid_settlement_defaults_and_forfeits_the_deposit,
    super::an_unpaid_settlement_defaults_and_forfeits_the_deposit
);

async fn a_settlement_cannot_default_before_it_is_due(db: Db) {
    let app = TestApp::spawn(db).await;
    let due = in_secs(3 * 3600);
    let (_, lot, bidders) =
        lot_with_deposits(&app, json!({ "settlement_due_at": due.clone() }), 1).await;
    let winner = &bidders[0].user;
    app.settle_closed_lot(lot, Some((winner, "1000"))).await;
    let (_, settlement) = app
        .get(&format!("/lots/{lot}/settlement"), Some(&winner.token))
        .await;
    assert_eq!(settlement["due_at"], due.as_str());
    let admin = app.admin_token().await;
    let (status, body) = app
        .post(
            &format!("/lots/{lot}/settlement/default"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "settlement_not_due");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_settlement_cannot_default_before_it_is_due,
    super::a_settlement_cannot_default_before_it_is_due
);

async fn a_deposit_above_price_and_fee_settles_the_lot_and_returns_the_rest(db: Db) {
    let app = TestApp::spawn(db).await;
    let range = json!({ "deposit": { "kind": "range", "min": "100.00", "max": "5000.00" } });
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let lot = lot_in_an_hour(&app, &auctioneer, range).await;
    let bidder = app.registered_bidder(&auctioneer.token, lot, "alice").await;
    app.top_up(&bidder.user, "5000").await;
    let (status, body) = app
        .deposit(
            &bidder.user,
            bidder.application_id,
            "k",
            json!({ "amount": "5000" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    app.settle_closed_lot(lot, Some((&bidder.user, "1000")))
        .await;
    let (_, settlement) = app
        .get(&format!("/lots/{lot}/settlement"), Some(&bidder.user.token))
        .await;
    assert_eq!(settlement["deposit_applied"], "1010.00");
    assert_eq!(settlement["amount_due"], "0.00");
    assert_eq!(settlement["status"], "paid");
    assert_eq!(
        app.balances(&bidder.user).await,
        ("3990.00".to_owned(), "0.00".to_owned())
    );
    assert_eq!(
        app.ledger_balance(&format!("lot:{lot}:proceeds")).await,
        "1000.00"
    );
    assert_eq!(app.ledger_balance("fees").await, "10.00");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_deposit_above_price_and_fee_settles_the_lot_and_returns_the_rest,
    super::a_deposit_above_price_and_fee_settles_the_lot_and_returns_the_rest
);

async fn an_unsold_lot_releases_every_deposit(db: Db) {
    let app = TestApp::spawn(db).await;
    let (_, lot, bidders) = lot_with_deposits(&app, json!({}), 2).await;
    app.settle_closed_lot(lot, None).await;
    app.settle_closed_lot(lot, None).await;
    for bidder in &bidders {
        assert_eq!(
            app.balances(&bidder.user).await,
            ("10000.00".to_owned(), "0.00".to_owned())
        );
    }
    let (status, _) = app
        .get(
            &format!("/lots/{lot}/settlement"),
            Some(&bidders[0].user.token),
        )
        .await;
    assert_eq!(status, 404);
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    an_unsold_lot_releases_every_deposit,
    super::an_unsold_lot_releases_every_deposit
);

async fn a_cancel_releases_every_deposit_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let (_, lot, bidders) = lot_with_deposits(&app, json!({}), 3).await;
    app.release_lot_deposits(lot).await;
    app.release_lot_deposits(lot).await;
    for bidder in &bidders {
        assert_eq!(
            app.balances(&bidder.user).await,
            ("10000.00".to_owned(), "0.00".to_owned())
        );
        let wallet = app.wallet(&bidder.user.token).await;
        let releases = wallet["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|entry| entry["kind"] == "deposit_release")
            .count();
        assert_eq!(releases, 2, "one transaction, two entries: {wallet}");
    }
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_cancel_releases_every_deposit_once,
    super::a_cancel_releases_every_deposit_once
);

async fn concurrent_closes_and_payments_move_money_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let (_, lot, bidders) = lot_with_deposits(&app, json!({}), 3).await;
    let winner = bidders[0].user.clone();
    let app = std::sync::Arc::new(app);
    let closes: Vec<_> = (0..5)
        .map(|_| {
            let app = app.clone();
            let winner = winner.clone();
            tokio::spawn(async move { app.settle_closed_lot(lot, Some((&winner, "3000"))).await })
        })
        .collect();
    for close in closes {
        close.await.unwrap();
    }
    let payments: Vec<_> = (0..5)
        .map(|_| {
            let app = app.clone();
            let token = winner.token.clone();
            tokio::spawn(async move {
                app.post(
                    &format!("/lots/{lot}/settlement/pay"),
                    Some(&token),
                    json!({}),
                )
                .await
            })
        })
        .collect();
    let mut paid = 0;
    for payment in payments {
        let (status, body) = payment.await.unwrap();
        match status.as_u16() {
            200 => paid += 1,
            409 => assert_eq!(body["error"]["code"], "already_paid"),
            _ => panic!("{status}: {body}"),
        }
    }
    assert_eq!(paid, 1);
    // 10,000 − 200 deposit − (3,000 + 30 − 200) paid.
    assert_eq!(
        app.balances(&winner).await,
        ("6970.00".to_owned(), "0.00".to_owned())
    );
    for loser in &bidders[1..] {
        assert_eq!(app.balances(&loser.user).await.0, "10000.00");
    }
    assert_eq!(
        app.ledger_balance(&format!("lot:{lot}:proceeds")).await,
        "3000.00"
    );
    assert_eq!(app.ledger_balance("fees").await, "30.00");
    app.assert_ledger_balanced().await;
    let app = std::sync::Arc::into_inner(app).expect("every task has finished");
    app.stop().await;
}
on_both_databases!(
    concurrent_closes_and_payments_move_money_once,
    super::concurrent_closes_and_payments_move_money_once
);

/// `GET /lots/{lot}/settlement/confirmation`: the status, the two headers that make it a
/// document, and the HTML.
async fn confirmation(app: &TestApp, lot: i64, token: &str) -> (u16, String, String, String) {
    let response = app
        .http
        .get(format!(
            "{}/lots/{lot}/settlement/confirmation",
            app.base_url
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("the request reaches the server");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let status = response.status().as_u16();
    let body = response.text().await.expect("a response body");
    (status, content_type, disposition, body)
}

async fn the_winner_downloads_a_confirmation_others_may_not(db: Db) {
    let app = TestApp::spawn(db).await;
    let title = json!({ "title": "Plot <7> & \"sons\"" });
    let (auctioneer, lot, bidders) = lot_with_deposits(&app, title, 2).await;
    let winner = &bidders[0];
    app.settle_closed_lot(lot, Some((&winner.user, "5000")))
        .await;

    let (status, content_type, disposition, html) =
        confirmation(&app, lot, &winner.user.token).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(content_type, "text/html; charset=utf-8");
    assert_eq!(
        disposition,
        format!("inline; filename=\"confirmation-lot-{lot}.html\"")
    );
    for expected in [
        "成交确认书",
        &format!("BR-{lot:08}"),
        "Plot &lt;7&gt; &amp; &quot;sons&quot;",
        "CNY 5000.00",
        "CNY 50.00",
        "200.00",
        "CNY 4850.00",
        "待付款 Open",
        &winner.bidder_number,
        "张三",
    ] {
        assert!(html.contains(expected), "{expected} is missing: {html}");
    }
    assert!(
        !html.contains("Plot <7>"),
        "the title is not escaped: {html}"
    );
    assert!(!html.contains("<script"), "{html}");

    let (status, ..) = confirmation(&app, lot, &auctioneer.token).await;
    assert_eq!(status, 200);
    let admin = app.admin_token().await;
    let (status, ..) = confirmation(&app, lot, &admin).await;
    assert_eq!(status, 200);
    let (status, _, _, body) = confirmation(&app, lot, &bidders[1].user.token).await;
    assert_eq!(status, 403, "{body}");
    let (status, ..) = confirmation(&app, lot, "not-a-token").await;
    assert_eq!(status, 401);
    app.stop().await;
}
on_both_databases!(
    the_winner_downloads_a_confirmation_others_may_not,
    super::the_winner_downloads_a_confirmation_others_may_not
);

async fn a_defaulted_settlement_has_a_confirmation_marked_void(db: Db) {
    let app = TestApp::spawn(db).await;
    let (_, lot, bidders) = lot_with_deposits(&app, json!({}), 1).await;
    let winner = &bidders[0].user;
    app.settle_closed_lot(lot, Some((winner, "3000"))).await;
    let (_, _, _, html) = confirmation(&app, lot, &winner.token).await;
    assert!(!html.contains("VOID"), "{html}");
    let admin = app.admin_token().await;
    let (status, body) = app
        .post(
            &format!("/lots/{lot}/settlement/default"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let (status, _, _, html) = confirmation(&app, lot, &winner.token).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("违约 Defaulted"), "{html}");
    assert!(html.contains("VOID"), "{html}");
    assert!(html.contains("CNY 3000.00"), "{html}");
    app.stop().await;
}
on_both_databases!(
    a_defaulted_settlement_has_a_confirmation_marked_void,
    super::a_defaulted_settlement_has_a_confirmation_marked_void
);

async fn an_unsold_or_unknown_lot_has_no_confirmation(db: Db) {
    let app = TestApp::spawn(db).await;
    let (_, lot, bidders) = lot_with_deposits(&app, json!({}), 1).await;
    app.settle_closed_lot(lot, None).await;
    let token = &bidders[0].user.token;
    let (status, _, _, body) = confirmation(&app, lot, token).await;
    assert_eq!(status, 404, "{body}");
    let (status, ..) = confirmation(&app, lot + 1000, token).await;
    assert_eq!(status, 404);
    app.stop().await;
}
on_both_databases!(
    an_unsold_or_unknown_lot_has_no_confirmation,
    super::an_unsold_or_unknown_lot_has_no_confirmation
);

/// The close or cancel of a lot as its room journals it, without the money that follows.
fn ended(lot_id: i64, seq: u64, winner: Option<(i64, &str)>, cancelled: bool) -> JournalRow {
    let now = crate::common::exchange::now_ms();
    JournalRow {
        lot_id,
        seq,
        kind: if cancelled {
            RoomEventKind::State
        } else {
            RoomEventKind::Closed
        },
        at_ms: now,
        account_id: winner.map(|(account, _)| account),
        bidder_number: None,
        amount: winner.map(|(_, price)| Money::parse(price).unwrap()),
        req: None,
        state: if cancelled {
            LotState::Cancelled
        } else {
            LotState::Closed
        },
        text: match (cancelled, winner) {
            (true, _) => None,
            (false, Some(_)) => Some("sold".into()),
            (false, None) => Some("unsold".into()),
        },
        deadline_ms: now,
        remaining_ms: None,
        extensions: 0,
    }
}

async fn a_start_settles_the_lots_an_interruption_left_unsettled(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auct").await;
    let overrides = json!({ "starts_at": in_secs(3600) });
    let sold = app
        .published_lot(&auctioneer.token, overrides.clone())
        .await;
    let cancelled = app.published_lot(&auctioneer.token, overrides).await;
    let mut bidders = Vec::new();
    for name in ["alice", "bob"] {
        let user = app.signup_verified_bidder(name).await;
        app.top_up(&user, "1000.00").await;
        for lot in [sold, cancelled] {
            app.eligible_bidder(&auctioneer, lot, user.clone(), None)
                .await;
        }
        bidders.push(user);
    }
    let (alice, bob) = (&bidders[0], &bidders[1]);
    assert_eq!(
        app.balances(alice).await,
        ("600.00".into(), "400.00".into())
    );

    // Both rooms' ends reach the journal, and the server stops before any money moves.
    let database = app.stop_keeping_database().await;
    {
        let store = bidroom::storage::connect(database.url()).await.unwrap();
        store
            .append_room_events(&[
                ended(sold, 1, Some((alice.id, "1500.00")), false),
                ended(cancelled, 1, None, true),
            ])
            .await
            .unwrap();
        assert_eq!(store.unsettled_lots().await.unwrap().len(), 2);
    }

    let app = TestApp::spawn_on(database, |config| config).await;
    let (status, settlement) = app
        .get(&format!("/lots/{sold}/settlement"), Some(&alice.token))
        .await;
    assert_eq!(status, 200, "{settlement}");
    assert_eq!(settlement["price"], "1500.00");
    assert_eq!(settlement["deposit_applied"], "200.00");
    assert_eq!(settlement["amount_due"], "1315.00");
    // alice: her deposit for the cancelled lot back, the sold lot's applied.
    assert_eq!(app.balances(alice).await, ("800.00".into(), "0.00".into()));
    // bob: both deposits back.
    assert_eq!(app.balances(bob).await, ("1000.00".into(), "0.00".into()));
    app.assert_ledger_balanced().await;
    let store = &app.server.as_ref().unwrap().state.store;
    assert!(store.unsettled_lots().await.unwrap().is_empty());
    app.stop().await;
}
on_both_databases!(
    a_start_settles_the_lots_an_interruption_left_unsettled,
    super::a_start_settles_the_lots_an_interruption_left_unsettled
);

/// A lot whose room's node died between the close and its settlement (another node of the
/// cluster journaled the end long ago) is settled by a running node's next look, without
/// waiting for any node to start.
async fn a_running_node_settles_the_lots_a_dead_owner_left_unsettled(db: Db) {
    let database = TestDatabase::create(db).await;
    let app = TestApp::spawn_on(database, |config| ServeConfig {
        lease_ttl_ms: 300,
        ..config
    })
    .await;
    let auctioneer = app.create_auctioneer("auct").await;
    let overrides = json!({ "starts_at": in_secs(3600) });
    let sold = app
        .published_lot(&auctioneer.token, overrides.clone())
        .await;
    let cancelled = app.published_lot(&auctioneer.token, overrides).await;
    let alice = app.signup_verified_bidder("alice").await;
    app.top_up(&alice, "1000.00").await;
    for lot in [sold, cancelled] {
        app.eligible_bidder(&auctioneer, lot, alice.clone(), None)
            .await;
    }
    let store = app.server.as_ref().unwrap().state.store.clone();
    let long_ago = |mut row: JournalRow| {
        row.at_ms -= 60_000;
        row
    };
    store
        .append_room_events(&[
            long_ago(ended(sold, 1, Some((alice.id, "1500.00")), false)),
            long_ago(ended(cancelled, 1, None, true)),
        ])
        .await
        .unwrap();
    let started = std::time::Instant::now();
    while !store.unsettled_lots().await.unwrap().is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the running node never settled them"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let (status, settlement) = app
        .get(&format!("/lots/{sold}/settlement"), Some(&alice.token))
        .await;
    assert_eq!(status, 200, "{settlement}");
    assert_eq!(settlement["price"], "1500.00");
    assert_eq!(app.balances(&alice).await, ("800.00".into(), "0.00".into()));
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_running_node_settles_the_lots_a_dead_owner_left_unsettled,
    super::a_running_node_settles_the_lots_a_dead_owner_left_unsettled
);

/// A lot whose settlement fails at start (here its journaled winner has no deposit to
/// apply) does not stop the server from starting, and the other lots are still settled.
async fn a_settlement_that_fails_at_start_does_not_stop_the_start(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auct").await;
    let overrides = json!({ "starts_at": in_secs(3600) });
    let broken = app
        .published_lot(&auctioneer.token, overrides.clone())
        .await;
    let cancelled = app.published_lot(&auctioneer.token, overrides).await;
    let alice = app.signup_verified_bidder("alice").await;
    app.top_up(&alice, "1000.00").await;
    app.eligible_bidder(&auctioneer, cancelled, alice.clone(), None)
        .await;
    let stranger = app.signup_verified_bidder("stranger").await;

    let database = app.stop_keeping_database().await;
    {
        let store = bidroom::storage::connect(database.url()).await.unwrap();
        store
            .append_room_events(&[
                ended(broken, 1, Some((stranger.id, "1500.00")), false),
                ended(cancelled, 1, None, true),
            ])
            .await
            .unwrap();
    }

    let app = TestApp::spawn_on(database, |config| config).await;
    assert_eq!(
        app.balances(&alice).await,
        ("1000.00".into(), "0.00".into())
    );
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_settlement_that_fails_at_start_does_not_stop_the_start,
    super::a_settlement_that_fails_at_start_does_not_stop_the_start
);

/// Many lots that share their bidders end in the same moment (a busy day's rooms closing
/// together): every lot's settlement commits, none is refused as a deadlock, and the
/// money adds up. Each settlement touches every bidder's wallet, in a different order of
/// lots, so on PostgreSQL they would wait on each other without one order of locks.
async fn lots_that_share_bidders_settle_together(db: Db) {
    const LOTS: usize = 8;
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let mut bidders: Vec<User> = Vec::new();
    for index in 0..3 {
        let bidder = app.signup_verified_bidder(&format!("bidder{index}")).await;
        app.top_up(&bidder, "10000").await;
        bidders.push(bidder);
    }
    let mut lots = Vec::new();
    for _ in 0..LOTS {
        let lot = lot_in_an_hour(&app, &auctioneer, json!({})).await;
        for bidder in &bidders {
            let application = app.apply(&bidder.token, lot).await;
            app.approve(&auctioneer.token, application, None).await;
            let (status, body) = app
                .deposit(bidder, application, &format!("k{application}"), json!({}))
                .await;
            assert_eq!(status, 201, "{body}");
        }
        lots.push(lot);
    }
    let state = &app.server.as_ref().expect("a running server").state;
    let settlements = lots.iter().enumerate().map(|(index, lot)| {
        let closed = bidroom::auction::ClosedEvent {
            result: bidroom::auction::LotResult::Sold,
            price: Some(Money::parse("1000").unwrap()),
            leader: Some(bidders[index % bidders.len()].id),
            leader_bidder_number: None,
        };
        let store = state.store.clone();
        let now_ms = state.clock.now_ms();
        let lot = *lot;
        tokio::spawn(async move { store.settle_closed_lot(lot, &closed, now_ms).await })
    });
    for settled in futures_util::future::join_all(settlements).await {
        settled
            .expect("the settlement task")
            .expect("every lot settles");
    }
    for lot in &lots {
        let (status, body) = app
            .get(&format!("/lots/{lot}/settlement"), Some(&auctioneer.token))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    // Each bidder won some lots (200.00 applied each) and had the rest released.
    for (index, bidder) in bidders.iter().enumerate() {
        let won = (0..LOTS).filter(|lot| lot % bidders.len() == index).count();
        let available = format!("{}.00", 10_000 - 200 * won);
        assert_eq!(app.balances(bidder).await, (available, "0.00".to_owned()));
    }
    app.assert_ledger_balanced().await;
}

on_both_databases!(
    lots_that_share_bidders_settle_together,
    super::lots_that_share_bidders_settle_together
);
