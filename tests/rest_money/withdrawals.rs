//! Withdrawals from available.

use reqwest::StatusCode;
use serde_json::{Value, json};

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
