//! The money routes over HTTP on both databases: bank notifications, the wallet,
//! deposits, and the settlement after a close. Every test ends with a consistent ledger.

mod common;

use common::money::{bank_signature, notification};
use common::{Db, RegisteredBidder, TestApp, User, in_secs, rfc3339_after_ms};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn a_signed_notification_credits_the_wallet_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_bidder("alice").await;
    let account_number = app.account_number(&bidder).await;
    assert_eq!(account_number.len(), 12);
    let body = notification("t-1", &account_number, "1000");

    let (status, first) = app.bank_notify(&body).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["status"], "credited");
    assert_eq!(first["transfer_id"], "t-1");
    assert_eq!(first["amount"], "1000.00");
    assert_eq!(first["account_number"], account_number.as_str());

    let (status, replay) = app.bank_notify(&body).await;
    assert_eq!(status, 201);
    assert_eq!(replay, first);

    let wallet = app.wallet(&bidder.token).await;
    assert_eq!(wallet["available"], "1000.00");
    assert_eq!(wallet["frozen"], "0.00");
    let entries = wallet["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["kind"], "top_up");
    assert_eq!(entries[0]["bucket"], "available");
    assert_eq!(entries[0]["amount"], "1000.00");
    assert_eq!(entries[0]["balance_after"], "1000.00");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_signed_notification_credits_the_wallet_once,
    super::a_signed_notification_credits_the_wallet_once
);

async fn the_same_transfer_with_other_contents_is_a_conflict(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_bidder("alice").await;
    let account_number = app.account_number(&bidder).await;
    let (status, _) = app
        .bank_notify(&notification("t-1", &account_number, "1000"))
        .await;
    assert_eq!(status, 201);

    let (status, body) = app
        .bank_notify(&notification("t-1", &account_number, "1000.01"))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "transfer_conflict");

    // The same amount written differently is the same notification.
    let (status, _) = app
        .bank_notify(&notification("t-1", &account_number, "1000.00"))
        .await;
    assert_eq!(status, 201);
    assert_eq!(app.balances(&bidder).await.0, "1000.00");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    the_same_transfer_with_other_contents_is_a_conflict,
    super::the_same_transfer_with_other_contents_is_a_conflict
);

async fn a_notification_needs_a_valid_signature_or_an_admin(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_bidder("alice").await;
    let account_number = app.account_number(&bidder).await;
    let bytes = serde_json::to_vec(&notification("t-1", &account_number, "50")).unwrap();

    let (status, body) = app
        .post_raw("/bank/notifications", None, &[], bytes.clone())
        .await;
    assert_eq!(status, 401, "{body}");

    let wrong = bank_signature(b"other bytes");
    let (status, body) = app
        .post_raw(
            "/bank/notifications",
            None,
            &[("x-signature", &wrong)],
            bytes.clone(),
        )
        .await;
    assert_eq!(status, 401, "{body}");

    // The signature covers the raw bytes: re-serialized JSON is not what was signed.
    let signature = bank_signature(&bytes);
    let mut spaced = b" ".to_vec();
    spaced.extend_from_slice(&bytes);
    let (status, _) = app
        .post_raw(
            "/bank/notifications",
            None,
            &[("x-signature", &signature)],
            spaced,
        )
        .await;
    assert_eq!(status, 401);

    let (status, body) = app
        .post_raw(
            "/bank/notifications",
            Some(&bidder.token),
            &[],
            bytes.clone(),
        )
        .await;
    assert_eq!(status, 403, "{body}");

    let admin = app.admin_token().await;
    let (status, body) = app
        .post_raw("/bank/notifications", Some(&admin), &[], bytes)
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "credited");
    assert_eq!(app.balances(&bidder).await.0, "50.00");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_notification_needs_a_valid_signature_or_an_admin,
    super::a_notification_needs_a_valid_signature_or_an_admin
);

async fn a_notification_for_an_unknown_account_is_kept_unmatched(db: Db) {
    let app = TestApp::spawn(db).await;
    let body = notification("t-9", "999999999999", "70.00");
    let (status, first) = app.bank_notify(&body).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["status"], "unmatched");
    let (status, replay) = app.bank_notify(&body).await;
    assert_eq!(status, 202);
    assert_eq!(replay, first);
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_notification_for_an_unknown_account_is_kept_unmatched,
    super::a_notification_for_an_unknown_account_is_kept_unmatched
);

async fn malformed_notifications_are_refused(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_bidder("alice").await;
    let account_number = app.account_number(&bidder).await;
    let mut cases: Vec<Value> = Vec::new();
    for (field, value) in [
        ("amount", json!("-5")),
        ("amount", json!("0")),
        ("amount", json!(5.5)),
        ("amount", json!("1.005")),
        ("currency", json!("cny")),
        ("received_at", json!("yesterday")),
        ("transfer_id", json!("")),
    ] {
        let mut body = notification("t-1", &account_number, "10");
        body[field] = value;
        cases.push(body);
    }
    for body in cases {
        let (status, answer) = app.bank_notify(&body).await;
        assert_eq!(status, 400, "{body} → {answer}");
    }
    let mut dollars = notification("t-2", &account_number, "10");
    dollars["currency"] = json!("USD");
    let (status, answer) = app.bank_notify(&dollars).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["code"], "currency_mismatch");
    assert_eq!(app.balances(&bidder).await.0, "0.00");
    app.stop().await;
}
on_both_databases!(
    malformed_notifications_are_refused,
    super::malformed_notifications_are_refused
);

async fn concurrent_copies_of_a_notification_credit_exactly_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_bidder("alice").await;
    let account_number = app.account_number(&bidder).await;
    let body = notification("t-race", &account_number, "300");
    let app = std::sync::Arc::new(app);
    let copies: Vec<_> = (0..20)
        .map(|_| {
            let app = app.clone();
            let body = body.clone();
            tokio::spawn(async move { app.bank_notify(&body).await })
        })
        .collect();
    let mut answers = Vec::new();
    for copy in copies {
        answers.push(copy.await.unwrap());
    }
    for (status, answer) in &answers {
        assert_eq!(*status, 201, "{answer}");
        assert_eq!(answer, &answers[0].1);
    }
    let wallet = app.wallet(&bidder.token).await;
    assert_eq!(wallet["available"], "300.00");
    assert_eq!(wallet["entries"].as_array().unwrap().len(), 1);
    app.assert_ledger_balanced().await;
    let app = std::sync::Arc::into_inner(app).expect("every copy has finished");
    app.stop().await;
}
on_both_databases!(
    concurrent_copies_of_a_notification_credit_exactly_once,
    super::concurrent_copies_of_a_notification_credit_exactly_once
);

async fn the_wallet_pages_its_entries_newest_first(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_bidder("alice").await;
    for amount in ["1", "2", "3", "4", "5"] {
        app.top_up(&bidder, amount).await;
    }
    let (status, page) = app.get("/wallet?limit=2", Some(&bidder.token)).await;
    assert_eq!(status, 200, "{page}");
    let amounts = |page: &Value| -> Vec<String> {
        page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["amount"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(amounts(&page), ["5.00", "4.00"]);
    let cursor = page["next_cursor"].as_i64().expect("a next page");
    let (_, page) = app
        .get(
            &format!("/wallet?limit=2&before={cursor}"),
            Some(&bidder.token),
        )
        .await;
    assert_eq!(amounts(&page), ["3.00", "2.00"]);
    let cursor = page["next_cursor"].as_i64().expect("a last page");
    let (_, page) = app
        .get(
            &format!("/wallet?limit=2&before={cursor}"),
            Some(&bidder.token),
        )
        .await;
    assert_eq!(amounts(&page), ["1.00"]);
    assert!(page.get("next_cursor").is_none(), "{page}");

    for bad in ["/wallet?limit=0", "/wallet?limit=201", "/wallet?before=x"] {
        let (status, _) = app.get(bad, Some(&bidder.token)).await;
        assert_eq!(status, 400, "{bad}");
    }
    let other = app.signup_bidder("bob").await;
    let (status, _) = app
        .get(
            &format!("/wallet?account_id={}", other.id),
            Some(&bidder.token),
        )
        .await;
    assert_eq!(status, 403);
    let admin = app.admin_token().await;
    let (status, wallet) = app
        .get(&format!("/wallet?account_id={}", bidder.id), Some(&admin))
        .await;
    assert_eq!(status, 200);
    assert_eq!(wallet["available"], "15.00");
    let (status, _) = app.get("/wallet", None).await;
    assert_eq!(status, 401);
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    the_wallet_pages_its_entries_newest_first,
    super::the_wallet_pages_its_entries_newest_first
);

// ---------------------------------------------------------------------------------------
// Deposits
// ---------------------------------------------------------------------------------------

/// A published lot that opens in an hour (deposits stay open till then), fixed deposit
/// 200.00 unless `overrides` say otherwise.
async fn lot_in_an_hour(app: &TestApp, auctioneer: &User, overrides: Value) -> i64 {
    let mut body = json!({ "starts_at": in_secs(3600) });
    for (key, value) in overrides.as_object().unwrap() {
        body[key] = value.clone();
    }
    app.published_lot(&auctioneer.token, body).await
}

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

// ---------------------------------------------------------------------------------------
// After the close: release, apply, settle
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// Guarantees
// ---------------------------------------------------------------------------------------

fn guarantee(amount: &str) -> Value {
    json!({ "issuer": "Bank of Example, Shanghai branch", "number": "G-2026-0001", "amount": amount })
}

/// The application's `deposit_status`, as its lot's auctioneer sees it.
async fn deposit_status(app: &TestApp, auctioneer: &User, lot: i64, application: i64) -> String {
    let (status, body) = app
        .get(
            &format!("/lots/{lot}/applications"),
            Some(&auctioneer.token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let list = body
        .as_array()
        .or_else(|| body["applications"].as_array())
        .expect("a list of applications");
    list.iter()
        .find(|entry| entry["id"] == application)
        .map(|entry| entry["deposit_status"].as_str().unwrap().to_owned())
        .expect("the application is listed")
}

async fn an_accepted_guarantee_lodges_the_deposit(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let lot = lot_in_an_hour(&app, &auctioneer, json!({})).await;
    let bidder = app.registered_bidder(&auctioneer.token, lot, "alice").await;
    let other = app.signup_verified_bidder("bob").await;
    let admin = app.admin_token().await;
    let path = format!("/applications/{}/guarantee", bidder.application_id);

    let (status, _) = app.post(&path, Some(&other.token), guarantee("200")).await;
    assert_eq!(status, 403);
    let (status, body) = app
        .post(&path, Some(&bidder.user.token), guarantee("199.99"))
        .await;
    assert_eq!(status, 400, "{body}");
    let (status, first) = app
        .post(&path, Some(&bidder.user.token), guarantee("200"))
        .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["status"], "pending");
    assert_eq!(first["amount"], "200.00");
    assert_eq!(first["lot_id"], lot);
    let (status, body) = app
        .post(&path, Some(&bidder.user.token), guarantee("300"))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "guarantee_pending");

    let first_id = first["id"].as_i64().unwrap();
    let (status, _) = app
        .post(
            &format!("/guarantees/{first_id}/reject"),
            Some(&bidder.user.token),
            json!({ "reason": "no" }),
        )
        .await;
    assert_eq!(status, 403);
    let (status, rejected) = app
        .post(
            &format!("/guarantees/{first_id}/reject"),
            Some(&admin),
            json!({ "reason": "the issuer could not confirm it" }),
        )
        .await;
    assert_eq!(status, 200, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(rejected["reason"], "the issuer could not confirm it");
    let (status, body) = app
        .post(
            &format!("/guarantees/{first_id}/accept"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "guarantee_not_pending");
    assert_eq!(
        deposit_status(&app, &auctioneer, lot, bidder.application_id).await,
        "none"
    );

    let (status, second) = app
        .post(&path, Some(&bidder.user.token), guarantee("250"))
        .await;
    assert_eq!(status, 201, "{second}");
    let second_id = second["id"].as_i64().unwrap();
    let (status, accepted) = app
        .post(
            &format!("/guarantees/{second_id}/accept"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(
        deposit_status(&app, &auctioneer, lot, bidder.application_id).await,
        "lodged"
    );
    // No money moved, and the deposit is lodged: cash is refused now.
    app.top_up(&bidder.user, "1000").await;
    let (status, body) = app
        .deposit(&bidder.user, bidder.application_id, "k", json!({}))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "deposit_already_lodged");
    assert_eq!(
        app.balances(&bidder.user).await,
        ("1000.00".to_owned(), "0.00".to_owned())
    );
    let (status, _) = app
        .post("/guarantees/999999/accept", Some(&admin), json!({}))
        .await;
    assert_eq!(status, 404);
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    an_accepted_guarantee_lodges_the_deposit,
    super::an_accepted_guarantee_lodges_the_deposit
);

async fn a_winner_with_a_guarantee_pays_everything_and_then_it_is_released(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let lot = lot_in_an_hour(&app, &auctioneer, json!({})).await;
    let admin = app.admin_token().await;
    let mut bidders = Vec::new();
    for name in ["alice", "bob"] {
        let bidder = app.registered_bidder(&auctioneer.token, lot, name).await;
        let (status, submitted) = app
            .post(
                &format!("/applications/{}/guarantee", bidder.application_id),
                Some(&bidder.user.token),
                guarantee("200"),
            )
            .await;
        assert_eq!(status, 201, "{submitted}");
        let id = submitted["id"].as_i64().unwrap();
        let (status, _) = app
            .post(&format!("/guarantees/{id}/accept"), Some(&admin), json!({}))
            .await;
        assert_eq!(status, 200);
        bidders.push(bidder);
    }
    let winner = &bidders[0].user;
    app.settle_closed_lot(lot, Some((winner, "1000"))).await;
    let (_, settlement) = app
        .get(&format!("/lots/{lot}/settlement"), Some(&winner.token))
        .await;
    assert_eq!(settlement["deposit_applied"], "0.00");
    assert_eq!(settlement["amount_due"], "1010.00");
    app.top_up(winner, "1010").await;
    let (status, paid) = app
        .post(
            &format!("/lots/{lot}/settlement/pay"),
            Some(&winner.token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(
        app.ledger_balance(&format!("lot:{lot}:proceeds")).await,
        "1000.00"
    );
    assert_eq!(app.ledger_balance("fees").await, "10.00");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_winner_with_a_guarantee_pays_everything_and_then_it_is_released,
    super::a_winner_with_a_guarantee_pays_everything_and_then_it_is_released
);

// ---------------------------------------------------------------------------------------
// Withdrawals
// ---------------------------------------------------------------------------------------

async fn withdraw(app: &TestApp, user: &User, key: &str, body: Value) -> (StatusCode, Value) {
    app.post_raw(
        "/wallet/withdrawals",
        Some(&user.token),
        &[("idempotency-key", key)],
        serde_json::to_vec(&body).unwrap(),
    )
    .await
}

async fn a_withdrawal_takes_money_from_available_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_bidder("alice").await;
    app.top_up(&bidder, "500").await;
    let account_number = app.account_number(&bidder).await;

    let (status, first) = withdraw(&app, &bidder, "w-1", json!({ "amount": "120.5" })).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["amount"], "120.50");
    assert_eq!(first["currency"], "CNY");
    assert_eq!(first["status"], "requested");
    assert_eq!(first["account_number"], account_number.as_str());
    let (status, replay) = withdraw(&app, &bidder, "w-1", json!({ "amount": "120.50" })).await;
    assert_eq!(status, 201);
    assert_eq!(replay, first);
    let (status, body) = withdraw(&app, &bidder, "w-1", json!({ "amount": "1" })).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "idempotency_conflict");
    assert_eq!(app.balances(&bidder).await.0, "379.50");
    let wallet = app.wallet(&bidder.token).await;
    assert_eq!(wallet["entries"][0]["kind"], "withdrawal");
    assert_eq!(wallet["entries"][0]["amount"], "-120.50");

    let (status, body) = withdraw(&app, &bidder, "w-2", json!({ "amount": "379.51" })).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "insufficient_funds");
    for body in [json!({}), json!({ "amount": "0" }), json!({ "amount": 5 })] {
        let (status, answer) = withdraw(&app, &bidder, "w-3", body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
    }
    let (status, _) = app
        .post_raw(
            "/wallet/withdrawals",
            Some(&bidder.token),
            &[],
            br#"{"amount":"1"}"#.to_vec(),
        )
        .await;
    assert_eq!(status, 400, "no Idempotency-Key");
    let (status, body) = withdraw(&app, &bidder, "w-2", json!({ "amount": "379.50" })).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(app.balances(&bidder).await.0, "0.00");
    assert_eq!(app.ledger_balance("bank_clearing").await, "0.00");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_withdrawal_takes_money_from_available_once,
    super::a_withdrawal_takes_money_from_available_once
);
