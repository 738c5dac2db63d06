//! Signed bank notifications (top-ups) and the wallet's entries.

use serde_json::{Value, json};

use crate::common::money::{bank_signature, notification};
use crate::common::{Db, TestApp};
use crate::on_both_databases;

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

async fn admins_credit_or_return_unmatched_notifications(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_bidder("alice").await;
    let account_number = app.account_number(&bidder).await;
    let admin = app.admin_token().await;
    let mistyped = notification("t-typo", "999999999999", "70.00");
    let (status, first) = app.bank_notify(&mistyped).await;
    assert_eq!(status, 202, "{first}");
    app.bank_notify(&notification("t-stranger", "888888888888", "5.00"))
        .await;
    app.bank_notify(&notification("t-ok", &account_number, "1.00"))
        .await;

    let (status, unmatched) = app
        .get("/bank/notifications?status=unmatched", Some(&admin))
        .await;
    assert_eq!(status, 200, "{unmatched}");
    let mut transfers: Vec<&str> = unmatched
        .as_array()
        .unwrap()
        .iter()
        .map(|notification| notification["transfer_id"].as_str().unwrap())
        .collect();
    transfers.sort_unstable();
    assert_eq!(transfers, ["t-stranger", "t-typo"]);
    let typo = unmatched
        .as_array()
        .unwrap()
        .iter()
        .find(|notification| notification["transfer_id"] == "t-typo")
        .unwrap();
    assert_eq!(typo["amount"], "70.00");
    assert_eq!(typo["resolution"], Value::Null);
    let (status, _) = app
        .get("/bank/notifications?status=unmatched", Some(&bidder.token))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .get("/bank/notifications?status=lost", Some(&admin))
        .await;
    assert_eq!(status, 400);

    let resolve = |transfer: &str| format!("/bank/notifications/{transfer}/resolve");
    let cases = [
        (json!({ "action": "credit", "note": "no account" }), 400),
        (
            json!({ "action": "credit", "account_number": account_number, "note": " " }),
            400,
        ),
        (json!({ "action": "keep", "note": "?" }), 400),
        (
            json!({ "action": "credit", "account_number": "777777777777", "note": "?" }),
            400,
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = app
            .post(&resolve("t-typo"), Some(&admin), body.clone())
            .await;
        assert_eq!(status, expected, "{body} → {answer}");
    }
    let credit = json!({
        "action": "credit",
        "account_number": account_number,
        "note": "payer typed 999… for alice's account; confirmed by phone",
    });
    let (status, _) = app
        .post(&resolve("t-typo"), Some(&bidder.token), credit.clone())
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .post(&resolve("t-none"), Some(&admin), credit.clone())
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post(&resolve("t-ok"), Some(&admin), credit.clone())
        .await;
    assert_eq!(status, 409, "a matched transfer is not resolved again");
    let (status, credited) = app
        .post(&resolve("t-typo"), Some(&admin), credit.clone())
        .await;
    assert_eq!(status, 200, "{credited}");
    assert_eq!(credited["status"], "credited");
    assert_eq!(credited["account_id"], bidder.id);
    assert!(
        credited["resolution"]["note"]
            .as_str()
            .unwrap()
            .contains("phone")
    );
    assert_eq!(app.balances(&bidder).await.0, "71.00");
    let (status, again) = app.post(&resolve("t-typo"), Some(&admin), credit).await;
    assert_eq!(status, 409, "{again}");
    assert_eq!(again["error"]["code"], "notification_not_unmatched");
    assert_eq!(app.balances(&bidder).await.0, "71.00", "credited once");
    let (status, replay) = app.bank_notify(&mistyped).await;
    assert_eq!(status, 202, "the bank's repeat answers as the first time");
    assert_eq!(replay, first);

    let back = json!({ "action": "return", "note": "sent back to the payer" });
    let (status, returned) = app.post(&resolve("t-stranger"), Some(&admin), back).await;
    assert_eq!(status, 200, "{returned}");
    assert_eq!(returned["status"], "returned");
    assert_eq!(returned["account_id"], Value::Null);
    let (_, left) = app
        .get("/bank/notifications?status=unmatched", Some(&admin))
        .await;
    assert_eq!(left, json!([]));
    let (_, all) = app.get("/bank/notifications", Some(&admin)).await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(app.ledger_balance("bank_clearing").await, "-71.00");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    admins_credit_or_return_unmatched_notifications,
    super::admins_credit_or_return_unmatched_notifications
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

async fn admins_reconcile_the_ledger(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_bidder("alice").await;
    app.top_up(&bidder, "42").await;
    let admin = app.admin_token().await;
    let (status, report) = app.get("/ledger/reconciliation", Some(&admin)).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["consistent"], true);
    assert_eq!(report["total"], "0.00");
    for invariant in [
        "mismatched_accounts",
        "unbalanced_transactions",
        "wrong_sign_balances",
        "frozen_mismatches",
        "misresolved_holds",
    ] {
        assert_eq!(report[invariant], serde_json::json!([]), "{invariant}");
    }
    assert_eq!(report["holds"], serde_json::json!({}));
    let balances: Vec<(String, String)> = report["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|account| {
            assert_eq!(account["balance"], account["entries_sum"]);
            (
                account["name"].as_str().unwrap().to_owned(),
                account["balance"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        balances,
        [
            ("bank_clearing".to_owned(), "-42.00".to_owned()),
            (
                format!("wallet:{}:available", bidder.id),
                "42.00".to_owned()
            ),
        ]
    );
    let (status, _) = app.get("/ledger/reconciliation", Some(&bidder.token)).await;
    assert_eq!(status, 403);
    app.stop().await;
}
on_both_databases!(
    admins_reconcile_the_ledger,
    super::admins_reconcile_the_ledger
);
