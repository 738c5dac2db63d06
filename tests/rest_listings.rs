//! The lists the browser pages read, over HTTP on both databases: a bidder's own
//! applications, settlements and withdrawals; the accounts awaiting verification and the
//! settlements by status for admins.

mod common;

use common::{Db, TestApp, in_secs};
use serde_json::{Value, json};

/// `GET path` as `token`, expecting 200; the answer as a list.
async fn list(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let (status, body) = app.get(path, Some(token)).await;
    assert_eq!(status, 200, "{path}: {body}");
    body.as_array().expect("a list").clone()
}

async fn a_bidder_sees_its_own_applications_with_their_lots_and_deposits(db: Db) {
    let app = TestApp::spawn(db).await;
    let auctioneer = app.create_auctioneer("house").await;
    let in_an_hour = json!({ "starts_at": in_secs(3600) });
    let fixed = app
        .published_lot(&auctioneer.token, in_an_hour.clone())
        .await;
    let mut ranged_terms = in_an_hour.clone();
    ranged_terms["title"] = json!("Equipment package");
    ranged_terms["deposit"] = json!({ "kind": "range", "min": "100.00", "max": "500.00" });
    let ranged = app.published_lot(&auctioneer.token, ranged_terms).await;

    let bidder = app.signup_verified_bidder("alice").await;
    let other = app.signup_verified_bidder("bob").await;
    let first = app.apply(&bidder.token, fixed).await;
    let second = app.apply(&bidder.token, ranged).await;
    app.apply(&other.token, fixed).await;
    let bidder_number = app.approve(&auctioneer.token, first, None).await;
    app.approve(&auctioneer.token, second, Some(1)).await;
    app.top_up(&bidder, "1000").await;
    let (status, body) = app.deposit(&bidder, first, "k-1", json!({})).await;
    assert_eq!(status, 201, "{body}");
    let guarantee = json!({ "issuer": "Bank of Changsha", "number": "G-7", "amount": "300" });
    let (status, body) = app
        .post(
            &format!("/applications/{second}/guarantee"),
            Some(&bidder.token),
            guarantee,
        )
        .await;
    assert_eq!(status, 201, "{body}");

    let mine = list(&app, "/me/applications", &bidder.token).await;
    assert_eq!(mine.len(), 2, "{mine:?}");
    let (newest, oldest) = (&mine[0], &mine[1]);
    assert_eq!(newest["id"], second);
    assert_eq!(newest["status"], "approved");
    assert_eq!(newest["priority_rank"], 1);
    assert_eq!(newest["deposit_status"], "none");
    assert_eq!(newest["deposit"], Value::Null);
    assert_eq!(newest["lot"]["title"], "Equipment package");
    assert_eq!(
        newest["lot"]["deposit"],
        json!({ "kind": "range", "min": "100.00", "max": "500.00" })
    );
    assert_eq!(newest["guarantee"]["issuer"], "Bank of Changsha");
    assert_eq!(newest["guarantee"]["amount"], "300.00");
    assert_eq!(newest["guarantee"]["status"], "pending");
    assert_eq!(oldest["id"], first);
    assert_eq!(oldest["bidder_number"], json!(bidder_number));
    assert_eq!(oldest["deposit_status"], "lodged");
    assert_eq!(
        oldest["deposit"],
        json!({ "kind": "cash", "amount": "200.00", "status": "held" })
    );
    assert_eq!(oldest["guarantee"], Value::Null);
    assert_eq!(oldest["lot"]["id"], fixed);
    assert_eq!(oldest["lot"]["state"], "published");
    assert_eq!(oldest["lot"]["currency"], "CNY");
    assert!(oldest["lot"].get("reserve_price").is_none());

    let page = list(&app, "/me/applications?limit=1", &bidder.token).await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0]["id"], second);
    let next = list(
        &app,
        &format!("/me/applications?limit=1&before={second}"),
        &bidder.token,
    )
    .await;
    assert_eq!(next.len(), 1);
    assert_eq!(next[0]["id"], first);

    let theirs = list(&app, "/me/applications", &other.token).await;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0]["status"], "pending");
    let (status, _) = app
        .get("/me/applications?limit=0", Some(&bidder.token))
        .await;
    assert_eq!(status, 400);
    let (status, _) = app.get("/me/applications", None).await;
    assert_eq!(status, 401);
    app.stop().await;
}
on_both_databases!(
    a_bidder_sees_its_own_applications_with_their_lots_and_deposits,
    super::a_bidder_sees_its_own_applications_with_their_lots_and_deposits
);

async fn a_bidder_sees_its_own_withdrawals_newest_first(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_bidder("alice").await;
    let other = app.signup_bidder("bob").await;
    app.top_up(&bidder, "1000").await;
    app.top_up(&other, "1000").await;
    for (user, key, amount) in [
        (&bidder, "w-1", "100"),
        (&bidder, "w-2", "250.5"),
        (&other, "w-3", "1"),
    ] {
        let (status, body) = app
            .post_raw(
                "/wallet/withdrawals",
                Some(&user.token),
                &[("idempotency-key", key)],
                serde_json::to_vec(&json!({ "amount": amount })).unwrap(),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let mine = list(&app, "/me/withdrawals", &bidder.token).await;
    let amounts: Vec<&Value> = mine
        .iter()
        .map(|withdrawal| &withdrawal["amount"])
        .collect();
    assert_eq!(amounts, [&json!("250.50"), &json!("100.00")]);
    assert_eq!(mine[0]["status"], "requested");
    assert_eq!(mine[0]["currency"], "CNY");
    assert_eq!(
        mine[0]["account_number"],
        json!(app.account_number(&bidder).await)
    );
    let older = list(
        &app,
        &format!("/me/withdrawals?before={}", mine[0]["id"]),
        &bidder.token,
    )
    .await;
    assert_eq!(older.len(), 1);
    assert_eq!(older[0]["amount"], "100.00");
    assert_eq!(list(&app, "/me/withdrawals", &other.token).await.len(), 1);
    app.stop().await;
}
on_both_databases!(
    a_bidder_sees_its_own_withdrawals_newest_first,
    super::a_bidder_sees_its_own_withdrawals_newest_first
);

async fn admins_list_the_accounts_awaiting_verification(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let waiting = app.signup_bidder("alice").await;
    let verified = app.signup_verified_bidder("bob").await;
    app.create_auctioneer("house").await;

    let pending = list(&app, "/accounts?verification=pending&role=bidder", &admin).await;
    let names: Vec<&Value> = pending.iter().map(|account| &account["username"]).collect();
    assert_eq!(names, [&json!("alice")]);
    assert_eq!(pending[0]["id"], waiting.id);
    assert_eq!(pending[0]["verified"], false);
    assert!(pending[0].get("real_name").is_none());

    let done = list(&app, "/accounts?verification=verified&role=bidder", &admin).await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0]["id"], verified.id);
    assert_eq!(done[0]["real_name"], "张三");
    assert_eq!(done[0]["id_type"], "resident_id");
    assert!(done[0]["id_number_masked"].as_str().unwrap().contains('*'));

    let everyone = list(&app, "/accounts", &admin).await;
    assert_eq!(everyone.len(), 4, "{everyone:?}");
    let staff = list(&app, "/accounts?role=auctioneer", &admin).await;
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0]["username"], "house");

    let (status, _) = app.get("/accounts", Some(&waiting.token)).await;
    assert_eq!(status, 403);
    let (status, body) = app.get("/accounts?verification=maybe", Some(&admin)).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = app.get("/accounts?role=owner", Some(&admin)).await;
    assert_eq!(status, 400);
    app.stop().await;
}
on_both_databases!(
    admins_list_the_accounts_awaiting_verification,
    super::admins_list_the_accounts_awaiting_verification
);

async fn settlements_are_listed_to_their_winner_and_to_admins_by_status(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let auctioneer = app.create_auctioneer("house").await;
    let lot = app
        .published_lot(&auctioneer.token, json!({ "starts_at": in_secs(3600) }))
        .await;
    let winner = app.registered_bidder(&auctioneer.token, lot, "alice").await;
    let loser = app.registered_bidder(&auctioneer.token, lot, "bob").await;
    for bidder in [&winner, &loser] {
        app.top_up(&bidder.user, "10000").await;
        let (status, body) = app
            .deposit(&bidder.user, bidder.application_id, "k", json!({}))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    app.settle_closed_lot(lot, Some((&winner.user, "5000")))
        .await;

    let open = list(&app, "/settlements?status=open", &admin).await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["lot_id"], lot);
    assert_eq!(open[0]["lot_title"], "Land-use right, plot 7");
    assert_eq!(open[0]["currency"], "CNY");
    assert_eq!(open[0]["winner_username"], "alice");
    assert_eq!(open[0]["account_id"], winner.user.id);
    assert_eq!(open[0]["amount_due"], "4850.00");
    assert_eq!(open[0]["balance"], "4850.00");
    assert_eq!(open[0]["due_at"], Value::Null);
    // No due time set: an admin may default it at any time after the close.
    assert_eq!(open[0]["overdue"], true);

    let mine = list(&app, "/me/settlements", &winner.user.token).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["status"], "open");
    assert!(
        list(&app, "/me/settlements", &loser.user.token)
            .await
            .is_empty()
    );

    let (status, body) = app
        .post(
            &format!("/lots/{lot}/settlement/pay"),
            Some(&winner.user.token),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        list(&app, "/settlements?status=open", &admin)
            .await
            .is_empty()
    );
    let paid = list(&app, "/settlements?status=paid", &admin).await;
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0]["overdue"], false);
    assert_eq!(paid[0]["balance"], "0.00");
    assert_eq!(list(&app, "/settlements", &admin).await.len(), 1);

    let (status, _) = app.get("/settlements", Some(&winner.user.token)).await;
    assert_eq!(status, 403);
    let (status, _) = app.get("/settlements?status=late", Some(&admin)).await;
    assert_eq!(status, 400);
    app.stop().await;
}
on_both_databases!(
    settlements_are_listed_to_their_winner_and_to_admins_by_status,
    super::settlements_are_listed_to_their_winner_and_to_admins_by_status
);
