//! Bank notifications that name their payer (SPEC §11): the holder's own money credits,
//! anyone else's is held `unmatched` for an admin, and the notification stays idempotent
//! by `transfer_id` whether it credited or was held.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::common::money::notification;
use crate::common::{Db, ORGANISATION_NAME, TestApp, VERIFIED_NAME};
use crate::on_both_databases;

fn paid_by(transfer_id: &str, account_number: &str, amount: &str, payer: &str) -> Value {
    let mut body = notification(transfer_id, account_number, amount);
    body["payer_name"] = json!(payer);
    body
}

async fn the_holders_own_name_credits_and_another_payer_is_held(db: Db) {
    let app = TestApp::spawn(db).await;
    let person = app.signup_verified_bidder("alice").await;
    let person_account = app.account_number(&person).await;
    let company = app.signup_organisation("xingcheng").await;
    app.verify_organisation(company.id).await;
    let company_account = app.account_number(&company).await;

    let credited = [
        paid_by(
            "t-own",
            &person_account,
            "100",
            &format!(" {VERIFIED_NAME}\u{3000}"),
        ),
        // The registered name with half-width brackets is the same company.
        paid_by(
            "t-company",
            &company_account,
            "500",
            "长沙星城置业有限公司(分公司)",
        ),
        // No payer name: as before payer names were kept.
        notification("t-plain", &person_account, "1"),
    ];
    for body in &credited {
        let (status, answer) = app.bank_notify(body).await;
        assert_eq!(status, 201, "{body} → {answer}");
        assert_eq!(answer["status"], "credited");
        assert!(answer.get("reason").is_none(), "{answer}");
    }
    let held = paid_by("t-stranger", &person_account, "70", "李四");
    let (status, first) = app.bank_notify(&held).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(first["status"], "unmatched");
    assert_eq!(first["reason"], "payer_name_mismatch");
    assert_eq!(first["payer_name"], "李四");
    // A person paying into the company's account is not the company.
    let (status, personal_card) = app
        .bank_notify(&paid_by("t-card", &company_account, "30", VERIFIED_NAME))
        .await;
    assert_eq!(status, 202, "{personal_card}");
    assert_eq!(app.balances(&person).await.0, "101.00");
    assert_eq!(app.balances(&company).await.0, "500.00");

    let (status, replay) = app.bank_notify(&held).await;
    assert_eq!(status, 202);
    assert_eq!(replay, first, "a held notification answers as it did");
    let (status, changed) = app
        .bank_notify(&paid_by("t-stranger", &person_account, "70", "张三"))
        .await;
    assert_eq!(status, 409, "another payer is other contents: {changed}");
    assert_eq!(changed["error"]["code"], "transfer_conflict");

    let admin = app.admin_token().await;
    let (status, unmatched) = app
        .get("/bank/notifications?status=unmatched", Some(&admin))
        .await;
    assert_eq!(status, 200, "{unmatched}");
    let stranger = unmatched
        .as_array()
        .unwrap()
        .iter()
        .find(|notification| notification["transfer_id"] == "t-stranger")
        .expect("the held notification is listed");
    assert_eq!(stranger["unmatched_reason"], "payer_name_mismatch");
    assert_eq!(stranger["payer_name"], "李四");
    assert_eq!(stranger["holder_name"], VERIFIED_NAME);
    assert_eq!(stranger["account_id"], Value::Null);
    let card = unmatched
        .as_array()
        .unwrap()
        .iter()
        .find(|notification| notification["transfer_id"] == "t-card")
        .unwrap();
    assert_eq!(card["holder_name"], ORGANISATION_NAME);

    let resolve = |transfer: &str| format!("/bank/notifications/{transfer}/resolve");
    let credit = json!({
        "action": "credit",
        "account_number": person_account,
        "note": "李四 is alice's spouse; paid on her behalf, confirmed by phone",
    });
    let (status, resolved) = app
        .post(&resolve("t-stranger"), Some(&admin), credit.clone())
        .await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["status"], "credited");
    assert_eq!(resolved["account_id"], person.id);
    assert_eq!(resolved["unmatched_reason"], "payer_name_mismatch");
    assert_eq!(app.balances(&person).await.0, "171.00");
    let (status, _) = app.post(&resolve("t-stranger"), Some(&admin), credit).await;
    assert_eq!(status, 409, "resolved once");
    let back = json!({ "action": "return", "note": "not the company's own account" });
    let (status, returned) = app.post(&resolve("t-card"), Some(&admin), back).await;
    assert_eq!(status, 200, "{returned}");
    assert_eq!(returned["status"], "returned");
    assert_eq!(app.balances(&company).await.0, "500.00");
    let (status, replay) = app.bank_notify(&held).await;
    assert_eq!(status, 202, "the bank's repeat answers as the first time");
    assert_eq!(replay, first);
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    the_holders_own_name_credits_and_another_payer_is_held,
    super::the_holders_own_name_credits_and_another_payer_is_held
);

async fn a_named_payer_to_an_unverified_holder_is_held(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_bidder("alice").await;
    let account_number = app.account_number(&bidder).await;
    let (status, answer) = app
        .bank_notify(&paid_by("t-1", &account_number, "10", "alice (display)"))
        .await;
    assert_eq!(status, 202, "no verified name to match: {answer}");
    assert_eq!(answer["reason"], "payer_name_mismatch");
    let (status, unknown) = app
        .bank_notify(&paid_by("t-2", "999999999999", "10", "张三"))
        .await;
    assert_eq!(status, 202, "{unknown}");
    assert_eq!(unknown["reason"], "unknown_account");
    let mut blank = paid_by("t-3", &account_number, "10", " ");
    let (status, _) = app.bank_notify(&blank).await;
    assert_eq!(status, 400, "an empty payer name is not a name");
    blank["payer_name"] = json!("张\u{0}三");
    let (status, _) = app.bank_notify(&blank).await;
    assert_eq!(status, 400);
    assert_eq!(app.balances(&bidder).await.0, "0.00");
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_named_payer_to_an_unverified_holder_is_held,
    super::a_named_payer_to_an_unverified_holder_is_held
);

/// Sends `copies` copies of `body` at once; every answer must be the first's.
async fn send_at_once(app: &Arc<TestApp>, body: &Value, copies: usize) -> (u16, Value) {
    let tasks: Vec<_> = (0..copies)
        .map(|_| {
            let app = app.clone();
            let body = body.clone();
            tokio::spawn(async move { app.bank_notify(&body).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        answers.push((status.as_u16(), answer));
    }
    for answer in &answers {
        assert_eq!(answer, &answers[0]);
    }
    answers.swap_remove(0)
}

async fn concurrent_copies_of_a_named_notification_credit_once_or_hold_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let person = app.signup_verified_bidder("alice").await;
    let account_number = app.account_number(&person).await;
    let app = Arc::new(app);

    let own = paid_by("t-own", &account_number, "300", VERIFIED_NAME);
    let (status, answer) = send_at_once(&app, &own, 20).await;
    assert_eq!(status, 201, "{answer}");
    let stranger = paid_by("t-stranger", &account_number, "50", "李四");
    let (status, answer) = send_at_once(&app, &stranger, 20).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["reason"], "payer_name_mismatch");

    let wallet = app.wallet(&person.token).await;
    assert_eq!(wallet["available"], "300.00");
    assert_eq!(
        wallet["entries"].as_array().unwrap().len(),
        1,
        "credited once"
    );
    let admin = app.admin_token().await;
    let (_, unmatched) = app
        .get("/bank/notifications?status=unmatched", Some(&admin))
        .await;
    assert_eq!(unmatched.as_array().unwrap().len(), 1, "held once");
    app.assert_ledger_balanced().await;
    let app = Arc::into_inner(app).expect("every copy has finished");
    app.stop().await;
}
on_both_databases!(
    concurrent_copies_of_a_named_notification_credit_once_or_hold_once,
    super::concurrent_copies_of_a_named_notification_credit_once_or_hold_once
);
