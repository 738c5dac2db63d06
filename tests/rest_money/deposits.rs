//! Cash deposits: fixed and range amounts, idempotency, the rules that refuse one.

use serde_json::json;

use crate::common::{Db, TestApp, rfc3339_after_ms};
use crate::lot_in_an_hour;
use crate::on_both_databases;

async fn a_fixed_deposit_freezes_the_lot_amount_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let lot = lot_in_an_hour(&app, &auctioneer, json!({})).await;
    let bidder = app.registered_bidder(&auctioneer.token, lot, "alice").await;
    app.top_up(&bidder.user, "1000").await;

    let (status, first) = app
        .deposit(&bidder.user, bidder.application_id, "key-1", json!({}))
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(
        first,
        json!({
            "application_id": bidder.application_id,
            "lot_id": lot,
            "amount": "200.00",
            "status": "held",
            "kind": "cash",
        })
    );
    assert_eq!(
        app.balances(&bidder.user).await,
        ("800.00".to_owned(), "200.00".to_owned())
    );
    let wallet = app.wallet(&bidder.user.token).await;
    let entries = wallet["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{wallet}");
    assert_eq!(entries[0]["transaction_id"], entries[1]["transaction_id"]);
    let mut freeze: Vec<(String, String)> = entries[..2]
        .iter()
        .map(|entry| {
            assert_eq!(entry["kind"], "deposit_freeze");
            assert_eq!(entry["lot_id"], lot);
            (
                entry["bucket"].as_str().unwrap().to_owned(),
                entry["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    freeze.sort();
    assert_eq!(
        freeze,
        [
            ("available".to_owned(), "-200.00".to_owned()),
            ("frozen".to_owned(), "200.00".to_owned())
        ]
    );

    // The same request again answers as the first time and moves nothing.
    let (status, replay) = app
        .deposit(&bidder.user, bidder.application_id, "key-1", json!({}))
        .await;
    assert_eq!(status, 201);
    assert_eq!(replay, first);
    // The same key for another request is a conflict.
    let (status, body) = app
        .deposit(
            &bidder.user,
            bidder.application_id,
            "key-1",
            json!({ "amount": "200.00" }),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "idempotency_conflict");
    // A second deposit for the application, with a new key, is refused.
    let (status, body) = app
        .deposit(&bidder.user, bidder.application_id, "key-2", json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "deposit_already_lodged");
    assert_eq!(
        app.balances(&bidder.user).await,
        ("800.00".to_owned(), "200.00".to_owned())
    );
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_fixed_deposit_freezes_the_lot_amount_once,
    super::a_fixed_deposit_freezes_the_lot_amount_once
);

async fn a_fixed_deposit_refuses_another_amount(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let lot = lot_in_an_hour(&app, &auctioneer, json!({})).await;
    let bidder = app.registered_bidder(&auctioneer.token, lot, "alice").await;
    app.top_up(&bidder.user, "1000").await;
    let (status, body) = app
        .deposit(
            &bidder.user,
            bidder.application_id,
            "k",
            json!({ "amount": "150" }),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app
        .deposit(
            &bidder.user,
            bidder.application_id,
            "k",
            json!({ "amount": "200" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["amount"], "200.00");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_fixed_deposit_refuses_another_amount,
    super::a_fixed_deposit_refuses_another_amount
);

async fn a_range_deposit_takes_an_amount_inside_the_range(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let range = json!({ "deposit": { "kind": "range", "min": "100.00", "max": "500.00" } });
    let lot = lot_in_an_hour(&app, &auctioneer, range).await;
    let bidder = app.registered_bidder(&auctioneer.token, lot, "alice").await;
    app.top_up(&bidder.user, "1000").await;
    for body in [
        json!({}),
        json!({ "amount": "99.99" }),
        json!({ "amount": "500.01" }),
        json!({ "amount": "abc" }),
        json!({ "amount": 300 }),
    ] {
        let (status, answer) = app
            .deposit(&bidder.user, bidder.application_id, "k", body.clone())
            .await;
        assert_eq!(status, 400, "{body} → {answer}");
    }
    let (status, body) = app
        .deposit(
            &bidder.user,
            bidder.application_id,
            "k",
            json!({ "amount": "300" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["amount"], "300.00");
    assert_eq!(
        app.balances(&bidder.user).await,
        ("700.00".to_owned(), "300.00".to_owned())
    );
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_range_deposit_takes_an_amount_inside_the_range,
    super::a_range_deposit_takes_an_amount_inside_the_range
);

async fn a_deposit_needs_the_money_in_available(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let lot = lot_in_an_hour(&app, &auctioneer, json!({})).await;
    let bidder = app.registered_bidder(&auctioneer.token, lot, "alice").await;
    app.top_up(&bidder.user, "199.99").await;
    let (status, body) = app
        .deposit(&bidder.user, bidder.application_id, "k", json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "insufficient_funds");
    assert_eq!(
        app.balances(&bidder.user).await,
        ("199.99".to_owned(), "0.00".to_owned())
    );
    // A refusal is not stored: after a top-up the same key goes through.
    app.top_up(&bidder.user, "0.01").await;
    let (status, body) = app
        .deposit(&bidder.user, bidder.application_id, "k", json!({}))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        app.balances(&bidder.user).await,
        ("0.00".to_owned(), "200.00".to_owned())
    );
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_deposit_needs_the_money_in_available,
    super::a_deposit_needs_the_money_in_available
);

async fn a_deposit_after_the_deadline_is_refused(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let lot = lot_in_an_hour(
        &app,
        &auctioneer,
        json!({ "deposit_deadline": rfc3339_after_ms(1500) }),
    )
    .await;
    let bidder = app.registered_bidder(&auctioneer.token, lot, "alice").await;
    app.top_up(&bidder.user, "1000").await;
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let (status, body) = app
        .deposit(&bidder.user, bidder.application_id, "k", json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "deposit_deadline_passed");
    assert_eq!(app.balances(&bidder.user).await.0, "1000.00");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_deposit_after_the_deadline_is_refused,
    super::a_deposit_after_the_deadline_is_refused
);

async fn only_the_applicant_lodges_with_a_key(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let lot = lot_in_an_hour(&app, &auctioneer, json!({})).await;
    let bidder = app.registered_bidder(&auctioneer.token, lot, "alice").await;
    let other = app.signup_verified_bidder("bob").await;
    app.top_up(&bidder.user, "1000").await;
    let path = format!("/applications/{}/deposit", bidder.application_id);

    let (status, body) = app
        .post_raw(&path, Some(&bidder.user.token), &[], b"{}".to_vec())
        .await;
    assert_eq!(status, 400, "no key: {body}");
    let long_key = "k".repeat(129);
    let (status, _) = app
        .deposit(&bidder.user, bidder.application_id, &long_key, json!({}))
        .await;
    assert_eq!(status, 400, "a key over 128 characters");
    let (status, _) = app
        .deposit(&other, bidder.application_id, "k", json!({}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app.deposit(&bidder.user, 999_999, "k", json!({})).await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post_raw(&path, None, &[("idempotency-key", "k")], Vec::new())
        .await;
    assert_eq!(status, 401);
    // An empty body asks for the fixed deposit.
    let (status, body) = app
        .post_raw(
            &path,
            Some(&bidder.user.token),
            &[("idempotency-key", "k")],
            Vec::new(),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    only_the_applicant_lodges_with_a_key,
    super::only_the_applicant_lodges_with_a_key
);

async fn a_pending_application_may_lodge_and_a_rejected_one_may_not(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let lot = lot_in_an_hour(&app, &auctioneer, json!({})).await;
    let pending = app.signup_verified_bidder("alice").await;
    let pending_application = app.apply(&pending.token, lot).await;
    let rejected = app.signup_verified_bidder("bob").await;
    let rejected_application = app.apply(&rejected.token, lot).await;
    let (status, body) = app
        .post(
            &format!("/applications/{rejected_application}/reject"),
            Some(&auctioneer.token),
            json!({ "reason": "documents incomplete" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.top_up(&pending, "500").await;
    app.top_up(&rejected, "500").await;

    let (status, body) = app
        .deposit(&pending, pending_application, "k", json!({}))
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = app
        .deposit(&rejected, rejected_application, "k", json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "application_rejected");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_pending_application_may_lodge_and_a_rejected_one_may_not,
    super::a_pending_application_may_lodge_and_a_rejected_one_may_not
);

async fn concurrent_deposits_never_overdraw_the_wallet(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let bidder = app.signup_verified_bidder("alice").await;
    let mut applications = Vec::new();
    for _ in 0..6 {
        let lot = lot_in_an_hour(&app, &auctioneer, json!({})).await;
        applications.push(app.apply(&bidder.token, lot).await);
    }
    // Enough for three of the six deposits of 200.00.
    app.top_up(&bidder, "600").await;
    let app = std::sync::Arc::new(app);
    let mut tries = Vec::new();
    for application in applications.iter().copied() {
        for copy in 0..3 {
            let app = app.clone();
            let bidder = bidder.clone();
            tries.push(tokio::spawn(async move {
                let key = format!("k-{application}-{copy}");
                app.deposit(&bidder, application, &key, json!({})).await
            }));
        }
    }
    let mut lodged = 0;
    for attempt in tries {
        let (status, body) = attempt.await.unwrap();
        match status.as_u16() {
            201 => lodged += 1,
            409 => assert!(
                ["insufficient_funds", "deposit_already_lodged"]
                    .contains(&body["error"]["code"].as_str().unwrap()),
                "{body}"
            ),
            _ => panic!("{status}: {body}"),
        }
    }
    assert_eq!(lodged, 3);
    assert_eq!(
        app.balances(&bidder).await,
        ("0.00".to_owned(), "600.00".to_owned())
    );
    app.assert_ledger_balanced().await;
    let app = std::sync::Arc::into_inner(app).expect("every try has finished");
    app.stop().await;
}
on_both_databases!(
    concurrent_deposits_never_overdraw_the_wallet,
    super::concurrent_deposits_never_overdraw_the_wallet
);
