//! Withdrawals from available.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::money::bank_signature;
use crate::common::{Db, TestApp, User};
use crate::on_both_databases;

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

/// Sends every body at once, each with its own key, and answers in the order given.
async fn withdraw_at_once(
    app: &std::sync::Arc<TestApp>,
    user: &User,
    requests: Vec<(String, Value)>,
) -> Vec<(StatusCode, Value)> {
    let racing: Vec<_> = requests
        .into_iter()
        .map(|(key, body)| {
            let (app, user) = (app.clone(), user.clone());
            tokio::spawn(async move { withdraw(&app, &user, &key, body).await })
        })
        .collect();
    let mut answers = Vec::new();
    for request in racing {
        answers.push(request.await.unwrap());
    }
    answers
}

async fn racing_withdrawals_never_overdraw(db: Db) {
    let app = std::sync::Arc::new(TestApp::spawn(db).await);
    let bidder = app.signup_bidder("alice").await;
    app.top_up(&bidder, "100").await;
    let requests = (0..12)
        .map(|index| (format!("race-{index}"), json!({ "amount": "30" })))
        .collect();
    let answers = withdraw_at_once(&app, &bidder, requests).await;
    let paid = answers.iter().filter(|(status, _)| *status == 201).count();
    assert_eq!(paid, 3, "{answers:?}");
    for (status, answer) in answers.iter().filter(|(status, _)| *status != 201) {
        assert_eq!(*status, 409, "{answer}");
        assert_eq!(answer["error"]["code"], "insufficient_funds");
    }
    assert_eq!(app.balances(&bidder).await, ("10.00".into(), "0.00".into()));
    assert_eq!(app.ledger_balance("bank_clearing").await, "-10.00");
    app.assert_ledger_balanced().await;
    let app = std::sync::Arc::into_inner(app).expect("every request has finished");
    app.stop().await;
}
on_both_databases!(
    racing_withdrawals_never_overdraw,
    super::racing_withdrawals_never_overdraw
);

async fn one_withdrawal_key_sent_many_times_at_once_moves_money_once(db: Db) {
    let app = std::sync::Arc::new(TestApp::spawn(db).await);
    let bidder = app.signup_bidder("alice").await;
    app.top_up(&bidder, "100").await;
    let requests = (0..12)
        .map(|_| ("same-key".to_owned(), json!({ "amount": "60" })))
        .collect();
    let answers = withdraw_at_once(&app, &bidder, requests).await;
    for (status, answer) in &answers {
        assert_eq!(*status, 201, "{answer}");
        assert_eq!(answer, &answers[0].1, "every copy answers as the first");
    }
    assert_eq!(app.balances(&bidder).await.0, "40.00");
    let wallet = app.wallet(&bidder.token).await;
    let withdrawals = wallet["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["kind"] == "withdrawal")
        .count();
    assert_eq!(withdrawals, 1);
    app.assert_ledger_balanced().await;
    let app = std::sync::Arc::into_inner(app).expect("every request has finished");
    app.stop().await;
}
on_both_databases!(
    one_withdrawal_key_sent_many_times_at_once_moves_money_once,
    super::one_withdrawal_key_sent_many_times_at_once_moves_money_once
);

async fn the_bank_or_an_admin_reports_a_withdrawal_paid(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_bidder("alice").await;
    app.top_up(&bidder, "100").await;
    let (status, requested) = withdraw(&app, &bidder, "w-1", json!({ "amount": "40" })).await;
    assert_eq!(status, 201, "{requested}");
    assert_eq!(requested["status"], "requested");
    let id = requested["id"].as_i64().unwrap();
    let path = format!("/withdrawals/{id}/paid");

    let (status, _) = app.post(&path, Some(&bidder.token), json!({})).await;
    assert_eq!(status, 403, "a bidder cannot report its own payout");
    let (status, _) = app.post(&path, None, json!({})).await;
    assert_eq!(status, 401);
    let forged = [("x-signature", "00".repeat(32))];
    let headers: Vec<(&str, &str)> = forged.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _) = app.post_raw(&path, None, &headers, b"{}".to_vec()).await;
    assert_eq!(status, 401, "a bad signature");

    let signature = bank_signature(b"{}");
    let (status, paid) = app
        .post_raw(&path, None, &[("x-signature", &signature)], b"{}".to_vec())
        .await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["amount"], "40.00");
    assert_eq!(paid["id"], id);
    let admin = app.admin_token().await;
    let (status, again) = app.post(&path, Some(&admin), json!({})).await;
    assert_eq!(status, 200, "reporting it again answers the same");
    assert_eq!(again, paid);
    let (status, _) = app
        .post("/withdrawals/999999/paid", Some(&admin), json!({}))
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        app.balances(&bidder).await.0,
        "60.00",
        "paid moves no money"
    );
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    the_bank_or_an_admin_reports_a_withdrawal_paid,
    super::the_bank_or_an_admin_reports_a_withdrawal_paid
);
