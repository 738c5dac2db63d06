//! Organisations (机构, SPEC §11) over HTTP on both databases: an account is an
//! `individual` or an `organisation`, chosen at sign-up; an admin verifies an organisation
//! with its registered name and unified social credit code (check character validated).

mod common;

use common::{CREDIT_CODE, Db, PASSWORD, RESIDENT_ID, TestApp};
use serde_json::json;

async fn an_account_is_an_individual_unless_it_signs_up_as_an_organisation(db: Db) {
    let app = TestApp::spawn(db).await;
    let sign_up = |username: &str, kind: Option<&str>| {
        let mut body = json!({
            "username": username,
            "password": PASSWORD,
            "display_name": "星城置业",
        });
        if let Some(kind) = kind {
            body["kind"] = json!(kind);
        }
        body
    };
    let (status, person) = app.post("/accounts", None, sign_up("alice", None)).await;
    assert_eq!(status, 201, "{person}");
    assert_eq!(person["kind"], "individual");
    let (status, company) = app
        .post(
            "/accounts",
            None,
            sign_up("xingcheng", Some("organisation")),
        )
        .await;
    assert_eq!(status, 201, "{company}");
    assert_eq!(company["kind"], "organisation");
    assert_eq!(company["role"], "bidder");
    for bad in ["company", "Organisation", ""] {
        let (status, body) = app
            .post("/accounts", None, sign_up("other", Some(bad)))
            .await;
        assert_eq!(status, 400, "{bad:?}: {body}");
        assert_eq!(body["error"]["code"], "invalid_input");
    }
    let (status, _) = app
        .post(
            "/sessions",
            None,
            json!({ "username": "other", "password": PASSWORD }),
        )
        .await;
    assert_eq!(status, 401, "a refused sign-up created nothing");

    let token = app.sign_in("xingcheng", PASSWORD).await;
    let (_, me) = app.get("/me", Some(&token)).await;
    assert_eq!(me["kind"], "organisation");
    let admin = app.admin_token().await;
    let (status, organisations) = app.get("/accounts?kind=organisation", Some(&admin)).await;
    assert_eq!(status, 200, "{organisations}");
    let usernames: Vec<&str> = organisations
        .as_array()
        .unwrap()
        .iter()
        .map(|account| account["username"].as_str().unwrap())
        .collect();
    assert_eq!(usernames, ["xingcheng"]);
    let (_, individuals) = app.get("/accounts?kind=individual", Some(&admin)).await;
    assert!(
        individuals
            .as_array()
            .unwrap()
            .iter()
            .all(|account| account["kind"] == "individual")
    );
    let (status, _) = app.get("/accounts?kind=company", Some(&admin)).await;
    assert_eq!(status, 400);
    app.stop().await;
}
on_both_databases!(
    an_account_is_an_individual_unless_it_signs_up_as_an_organisation,
    super::an_account_is_an_individual_unless_it_signs_up_as_an_organisation
);

async fn an_admin_verifies_an_organisation_by_its_credit_code(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let company = app.signup_organisation("xingcheng").await;
    let path = format!("/accounts/{}/verification", company.id);
    let (status, account) = app
        .post(
            &path,
            Some(&admin),
            json!({ "real_name": " 长沙星城置业有限公司 ", "id_number": "9144030071526726xg" }),
        )
        .await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["verified"], true);
    assert_eq!(account["kind"], "organisation");
    assert_eq!(account["real_name"], "长沙星城置业有限公司");
    assert_eq!(account["id_type"], "unified_social_credit_code");
    assert_eq!(account["id_number_masked"], "914***********26XG");
    assert!(!account.to_string().contains(CREDIT_CODE));

    let (_, verified) = app
        .get(
            "/accounts?verification=verified&kind=organisation",
            Some(&admin),
        )
        .await;
    assert_eq!(verified[0]["real_name"], "长沙星城置业有限公司");
    let (_, me) = app.get("/me", Some(&company.token)).await;
    assert_eq!(me["id_type"], "unified_social_credit_code");
    app.stop().await;
}
on_both_databases!(
    an_admin_verifies_an_organisation_by_its_credit_code,
    super::an_admin_verifies_an_organisation_by_its_credit_code
);

async fn a_wrong_credit_code_or_an_id_type_of_the_other_kind_is_refused(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app.admin_token().await;
    let company = app.signup_organisation("xingcheng").await;
    let person = app.signup_bidder("alice").await;
    let company_path = format!("/accounts/{}/verification", company.id);
    let person_path = format!("/accounts/{}/verification", person.id);
    let cases = [
        // One character changed: the check character no longer fits.
        (
            &company_path,
            json!({ "real_name": "星城", "id_number": "9144030071526727XG" }),
        ),
        (
            &company_path,
            json!({ "real_name": "星城", "id_number": "9144030071526726XH" }),
        ),
        // I, O, S, V and Z are not in a credit code.
        (
            &company_path,
            json!({ "real_name": "星城", "id_number": "9144030071526726IG" }),
        ),
        (
            &company_path,
            json!({ "real_name": "星城", "id_number": "9144030071526726X" }),
        ),
        (
            &company_path,
            json!({ "real_name": "星城", "id_number": RESIDENT_ID, "id_type": "resident_id" }),
        ),
        (
            &company_path,
            json!({ "real_name": "星城", "id_number": "E1234567", "id_type": "passport" }),
        ),
        (
            &person_path,
            json!({
                "real_name": "张三",
                "id_number": CREDIT_CODE,
                "id_type": "unified_social_credit_code",
            }),
        ),
        (
            &person_path,
            json!({ "real_name": "张三", "id_number": CREDIT_CODE }),
        ),
    ];
    for (path, body) in cases {
        let (status, answer) = app.post(path, Some(&admin), body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(answer["error"]["code"], "invalid_input");
    }
    for user in [&company, &person] {
        let (_, me) = app.get("/me", Some(&user.token)).await;
        assert_eq!(
            me["verified"], false,
            "a refused verification changed nothing"
        );
    }
    app.stop().await;
}
on_both_databases!(
    a_wrong_credit_code_or_an_id_type_of_the_other_kind_is_refused,
    super::a_wrong_credit_code_or_an_id_type_of_the_other_kind_is_refused
);
