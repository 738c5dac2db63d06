mod common;

use common::{Db, PASSWORD, RESIDENT_ID, TestApp};
use serde_json::json;

async fn a_bidder_signs_up_signs_in_and_sees_itself(db: Db) {
    let app = TestApp::spawn(db).await;
    let (status, account) = app
        .post(
            "/accounts",
            None,
            json!({ "username": "alice", "password": PASSWORD, "display_name": "Alice" }),
        )
        .await;
    assert_eq!(status, 201, "{account}");
    assert_eq!(account["username"], "alice");
    assert_eq!(account["display_name"], "Alice");
    assert_eq!(account["role"], "bidder");
    assert_eq!(account["verified"], false);
    assert!(account["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(account.get("password").is_none() && account.get("password_hash").is_none());

    let (status, session) = app
        .post(
            "/sessions",
            None,
            json!({ "username": "alice", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    assert!(session["expires_at"].is_string());
    assert_eq!(session["account"]["id"], account["id"]);
    let token = session["token"].as_str().unwrap();

    let (status, me) = app.get("/me", Some(token)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["id"], account["id"]);
    assert_eq!(me["username"], "alice");
    let wallet = &me["wallet"];
    let number = wallet["account_number"].as_str().unwrap();
    assert_eq!(number.len(), 12);
    assert!(number.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(wallet["currency"], "CNY");
    assert_eq!(wallet["available"], "0.00");
    assert_eq!(wallet["frozen"], "0.00");
    app.stop().await;
}
on_both_databases!(
    a_bidder_signs_up_signs_in_and_sees_itself,
    super::a_bidder_signs_up_signs_in_and_sees_itself
);

async fn every_wallet_gets_its_own_account_number(db: Db) {
    let app = TestApp::spawn(db).await;
    let mut numbers = std::collections::HashSet::new();
    for name in ["bob", "carol", "dave"] {
        let user = app.signup_bidder(name).await;
        let (_, me) = app.get("/me", Some(&user.token)).await;
        assert!(numbers.insert(me["wallet"]["account_number"].to_string()));
    }
    app.stop().await;
}
on_both_databases!(
    every_wallet_gets_its_own_account_number,
    super::every_wallet_gets_its_own_account_number
);

async fn a_taken_username_is_a_conflict(db: Db) {
    let app = TestApp::spawn(db).await;
    app.signup_bidder("bob").await;
    let (status, body) = app
        .post(
            "/accounts",
            None,
            json!({ "username": "bob", "password": PASSWORD, "display_name": "Other Bob" }),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "username_taken");
    app.stop().await;
}
on_both_databases!(
    a_taken_username_is_a_conflict,
    super::a_taken_username_is_a_conflict
);

async fn invalid_sign_ups_are_refused(db: Db) {
    let app = TestApp::spawn(db).await;
    let cases = [
        json!({ "username": "ab", "password": PASSWORD, "display_name": "A" }),
        json!({ "username": "has space", "password": PASSWORD, "display_name": "A" }),
        json!({ "username": "short_pw", "password": "1234567", "display_name": "A" }),
        json!({ "username": "no_name", "password": PASSWORD, "display_name": "  " }),
        json!({ "username": "bad_role", "password": PASSWORD, "display_name": "A", "role": "king" }),
        json!({ "username": "missing" }),
    ];
    for case in cases {
        let (status, body) = app.post("/accounts", None, case.clone()).await;
        assert_eq!(status, 400, "{case} -> {body}");
        assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string());
    }
    app.stop().await;
}
on_both_databases!(
    invalid_sign_ups_are_refused,
    super::invalid_sign_ups_are_refused
);

async fn only_an_admin_creates_auctioneers_and_admins(db: Db) {
    let app = TestApp::spawn(db).await;
    let bidder = app.signup_bidder("bob").await;
    for (token, role) in [
        (None, "auctioneer"),
        (None, "admin"),
        (Some(bidder.token.as_str()), "auctioneer"),
        (Some(bidder.token.as_str()), "admin"),
    ] {
        let (status, body) = app
            .post(
                "/accounts",
                token,
                json!({ "username": "staff", "password": PASSWORD, "display_name": "S", "role": role }),
            )
            .await;
        assert_eq!(status, 403, "{role} by {token:?}: {body}");
    }
    let auctioneer = app.create_auctioneer("house").await;
    let (_, me) = app.get("/me", Some(&auctioneer.token)).await;
    assert_eq!(me["role"], "auctioneer");

    let admin = app.admin_token().await;
    let second_admin = app.create_user(Some(&admin), "staff2", "admin").await;
    let (_, me) = app.get("/me", Some(&second_admin.token)).await;
    assert_eq!(me["role"], "admin");

    let (status, _) = app
        .post(
            "/accounts",
            Some(&auctioneer.token),
            json!({ "username": "house2", "password": PASSWORD, "display_name": "H", "role": "auctioneer" }),
        )
        .await;
    assert_eq!(status, 403);
    app.stop().await;
}
on_both_databases!(
    only_an_admin_creates_auctioneers_and_admins,
    super::only_an_admin_creates_auctioneers_and_admins
);

async fn wrong_credentials_are_refused_alike(db: Db) {
    let app = TestApp::spawn(db).await;
    app.signup_bidder("bob").await;
    let (wrong_password, wrong_password_body) = app
        .post(
            "/sessions",
            None,
            json!({ "username": "bob", "password": "not-the-password" }),
        )
        .await;
    let (unknown_user, unknown_user_body) = app
        .post(
            "/sessions",
            None,
            json!({ "username": "nobody", "password": PASSWORD }),
        )
        .await;
    assert_eq!(wrong_password, 401);
    assert_eq!(unknown_user, 401);
    assert_eq!(wrong_password_body, unknown_user_body);
    app.stop().await;
}
on_both_databases!(
    wrong_credentials_are_refused_alike,
    super::wrong_credentials_are_refused_alike
);

async fn me_needs_a_valid_session(db: Db) {
    let app = TestApp::spawn(db).await;
    let (status, body) = app.get("/me", None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "not_authenticated");
    let (status, _) = app.get("/me", Some("not-a-token")).await;
    assert_eq!(status, 401);
    app.stop().await;
}
on_both_databases!(me_needs_a_valid_session, super::me_needs_a_valid_session);

async fn the_bootstrap_admin_exists_once_across_restarts(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let (_, me) = app.get("/me", Some(&admin)).await;
    assert_eq!(me["role"], "admin");
    let admin_id = me["id"].clone();

    let mut app = app;
    app.server.take().unwrap().stop().await.unwrap();
    let app = TestApp::spawn_on(app.database, |config| config).await;
    let admin = app.admin_token().await;
    let (_, me) = app.get("/me", Some(&admin)).await;
    assert_eq!(me["id"], admin_id);
    app.stop().await;
}
on_both_databases!(
    the_bootstrap_admin_exists_once_across_restarts,
    super::the_bootstrap_admin_exists_once_across_restarts
);

async fn an_admin_verifies_an_identity_without_storing_it_in_clear(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let bob = app.signup_bidder("bob").await;
    let (status, account) = app
        .post(
            &format!("/accounts/{}/verification", bob.id),
            Some(&admin),
            json!({ "real_name": "张三", "id_number": RESIDENT_ID }),
        )
        .await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["verified"], true);
    assert_eq!(account["real_name"], "张三");
    assert_eq!(account["id_type"], "resident_id");
    assert_eq!(account["id_number_masked"], "110***********002X");
    assert!(account.get("id_number_hash").is_none());

    let (_, me) = app.get("/me", Some(&bob.token)).await;
    assert_eq!(me["verified"], true);
    assert_eq!(me["id_number_masked"], "110***********002X");
    let (_, session) = app
        .post(
            "/sessions",
            None,
            json!({ "username": "bob", "password": PASSWORD }),
        )
        .await;
    for body in [&account, &me, &session] {
        let text = body.to_string();
        assert!(!text.contains(RESIDENT_ID), "{text}");
        assert!(!text.contains("19491231"), "{text}");
    }
    assert_no_clear_id_in_the_database(&app).await;
    app.stop().await;
}
on_both_databases!(
    an_admin_verifies_an_identity_without_storing_it_in_clear,
    super::an_admin_verifies_an_identity_without_storing_it_in_clear
);

/// Reads the accounts table directly: nothing in it holds the id number.
async fn assert_no_clear_id_in_the_database(app: &TestApp) {
    let url = app.database.url().to_owned();
    let rows: Vec<String> = if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query_scalar(
            "SELECT COALESCE(id_number_masked, '') || COALESCE(id_number_hash, '') FROM accounts",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    } else {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let rows = sqlx::query_scalar(
            "SELECT COALESCE(id_number_masked, '') || COALESCE(id_number_hash, '') FROM accounts",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        rows
    };
    assert!(rows.iter().all(|row| !row.contains(RESIDENT_ID)));
    assert!(rows.iter().any(|row| row.starts_with("110***")));
}

async fn a_wrong_check_digit_is_refused(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let bob = app.signup_bidder("bob").await;
    for id_number in ["110105194912310021", "1101051949123100", "abc"] {
        let (status, body) = app
            .post(
                &format!("/accounts/{}/verification", bob.id),
                Some(&admin),
                json!({ "real_name": "张三", "id_number": id_number }),
            )
            .await;
        assert_eq!(status, 400, "{id_number}: {body}");
        assert!(!body.to_string().contains(id_number));
    }
    let (_, me) = app.get("/me", Some(&bob.token)).await;
    assert_eq!(me["verified"], false);
    app.stop().await;
}
on_both_databases!(
    a_wrong_check_digit_is_refused,
    super::a_wrong_check_digit_is_refused
);

async fn other_id_types_take_any_non_empty_number(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let bob = app.signup_bidder("bob").await;
    let (status, body) = app
        .post(
            &format!("/accounts/{}/verification", bob.id),
            Some(&admin),
            json!({ "real_name": "Bob Smith", "id_type": "passport", "id_number": "E12345678" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id_type"], "passport");
    assert_eq!(body["id_number_masked"], "E*******8");
    let (status, _) = app
        .post(
            &format!("/accounts/{}/verification", bob.id),
            Some(&admin),
            json!({ "real_name": "Bob Smith", "id_type": "passport", "id_number": " " }),
        )
        .await;
    assert_eq!(status, 400);
    app.stop().await;
}
on_both_databases!(
    other_id_types_take_any_non_empty_number,
    super::other_id_types_take_any_non_empty_number
);

async fn only_an_admin_verifies_and_only_known_accounts(db: Db) {
    let app = TestApp::spawn(db).await;
    let bob = app.signup_bidder("bob").await;
    let auctioneer = app.create_auctioneer("house").await;
    let body = json!({ "real_name": "张三", "id_number": RESIDENT_ID });
    let path = format!("/accounts/{}/verification", bob.id);
    let (status, _) = app.post(&path, None, body.clone()).await;
    assert_eq!(status, 401);
    for token in [&bob.token, &auctioneer.token] {
        let (status, _) = app.post(&path, Some(token), body.clone()).await;
        assert_eq!(status, 403);
    }
    let admin = app.admin_token().await;
    for path in [
        "/accounts/999999/verification",
        "/accounts/abc/verification",
    ] {
        let (status, reply) = app.post(path, Some(&admin), body.clone()).await;
        assert_eq!(status, 404, "{path}: {reply}");
    }
    app.stop().await;
}
on_both_databases!(
    only_an_admin_verifies_and_only_known_accounts,
    super::only_an_admin_verifies_and_only_known_accounts
);
