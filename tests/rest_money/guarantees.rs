//! Electronic guarantees: submitted, rejected, accepted as the deposit.

use serde_json::{Value, json};

use crate::common::{Db, TestApp, User};
use crate::lot_in_an_hour;
use crate::on_both_databases;

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
    let mut guarantees = Vec::new();
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
        guarantees.push(id);
    }
    let winner = &bidders[0].user;
    app.settle_closed_lot(lot, Some((winner, "1000"))).await;
    let guarantee_status = |index: usize| {
        let app = &app;
        let (id, token) = (guarantees[index], bidders[index].user.token.clone());
        async move {
            let (status, body) = app.get(&format!("/guarantees/{id}"), Some(&token)).await;
            assert_eq!(status, 200, "{body}");
            body["status"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(guarantee_status(0).await, "accepted");
    assert_eq!(guarantee_status(1).await, "released");
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
    assert_eq!(guarantee_status(0).await, "released");
    let (status, _) = app
        .get(
            &format!("/guarantees/{}", guarantees[0]),
            Some(&bidders[1].user.token),
        )
        .await;
    assert_eq!(status, 403);
    app.assert_ledger_balanced().await;
    app.stop().await;
}
on_both_databases!(
    a_winner_with_a_guarantee_pays_everything_and_then_it_is_released,
    super::a_winner_with_a_guarantee_pays_everything_and_then_it_is_released
);

async fn admins_list_the_guarantees_waiting_for_a_decision(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("auctioneer").await;
    let lot = lot_in_an_hour(&app, &auctioneer, json!({})).await;
    let admin = app.admin_token().await;
    let mut ids = Vec::new();
    for name in ["alice", "bob", "carol"] {
        let bidder = app.registered_bidder(&auctioneer.token, lot, name).await;
        let (status, body) = app
            .post(
                &format!("/applications/{}/guarantee", bidder.application_id),
                Some(&bidder.user.token),
                guarantee("200"),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_i64().unwrap());
    }
    let (status, _) = app
        .post(
            &format!("/guarantees/{}/accept", ids[1]),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);

    let listed = |path: String| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let (status, body) = app.get(&path, Some(&admin)).await;
            assert_eq!(status, 200, "{body}");
            body.as_array()
                .unwrap()
                .iter()
                .map(|guarantee| guarantee["id"].as_i64().unwrap())
                .collect::<Vec<i64>>()
        }
    };
    assert_eq!(
        listed("/guarantees?status=pending".to_owned()).await,
        [ids[2], ids[0]]
    );
    assert_eq!(
        listed(format!("/guarantees?lot_id={lot}&limit=2")).await,
        [ids[2], ids[1]]
    );
    assert_eq!(
        listed(format!("/guarantees?before={}", ids[1])).await,
        [ids[0]]
    );
    let (status, _) = app.get("/guarantees?status=maybe", Some(&admin)).await;
    assert_eq!(status, 400);
    let (status, _) = app.get("/guarantees", Some(&auctioneer.token)).await;
    assert_eq!(status, 403);
    app.stop().await;
}
on_both_databases!(
    admins_list_the_guarantees_waiting_for_a_decision,
    super::admins_list_the_guarantees_waiting_for_a_decision
);
