//! The browser pages are served by the server itself: every page route answers its HTML
//! shell with a Content-Security-Policy that allows only the server's own scripts and
//! styles, and `/assets/*` answers the embedded files with their types and ETags.

mod common;

use common::{Db, TestApp};
use reqwest::StatusCode;

fn origin(app: &TestApp) -> String {
    app.base_url.trim_end_matches("/api/v1").to_owned()
}

const PAGES: [&str; 6] = [
    "/",
    "/lots/1",
    "/me",
    "/console",
    "/console/lots/1",
    "/admin",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_answers_html_with_a_policy_that_allows_only_its_own_scripts() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let origin = origin(&app);
    let host = origin.trim_start_matches("http://").to_owned();
    for path in PAGES {
        let response = app
            .http
            .get(format!("{origin}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert_eq!(
            headers["content-type"], "text/html; charset=utf-8",
            "{path}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        let policy = headers["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'self'",
            "script-src 'self';",
            "frame-ancestors 'none'",
            &format!("connect-src 'self' ws://{host} wss://{host};"),
        ] {
            assert!(
                policy.contains(directive),
                "{path}: {directive} in {policy}"
            );
        }
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        // Styles: this server's own, and the confirmation document's one inline style by
        // its hash (the document opens from a blob URL under the page's policy).
        let style_sources: Vec<&str> = policy
            .split(';')
            .find_map(|directive| directive.trim().strip_prefix("style-src "))
            .expect("a style-src")
            .split_whitespace()
            .collect();
        assert_eq!(style_sources.len(), 2, "{path}: {policy}");
        assert_eq!(style_sources[0], "'self'", "{path}: {policy}");
        assert!(style_sources[1].starts_with("'sha256-"), "{path}: {policy}");
        let body = response.text().await.unwrap();
        assert!(body.starts_with("<!doctype html>"), "{path}");
        assert!(body.contains("/assets/css/app.css"), "{path}");
        assert!(!body.contains("<style"), "{path}: no inline style");
        assert!(
            !body.contains("<script>") && !body.contains("style=\""),
            "{path}: no inline script or style attribute"
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_room_and_the_monitor_are_the_same_page() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let origin = origin(&app);
    let room = app
        .http
        .get(format!("{origin}/lots/7"))
        .send()
        .await
        .unwrap();
    let monitor = app
        .http
        .get(format!("{origin}/console/lots/7"))
        .send()
        .await
        .unwrap();
    let room = room.text().await.unwrap();
    assert!(room.contains("/assets/js/pages/room.js"));
    assert_eq!(room, monitor.text().await.unwrap());
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn assets_answer_with_their_type_and_an_etag_that_turns_into_304() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let origin = origin(&app);
    for (path, content_type) in [
        ("/assets/js/api.js", "text/javascript; charset=utf-8"),
        ("/assets/css/app.css", "text/css; charset=utf-8"),
        ("/assets/i18n/zh-CN/common.json", "application/json"),
        ("/assets/i18n/en/common.json", "application/json"),
    ] {
        let response = app
            .http
            .get(format!("{origin}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], content_type, "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["cache-control"], "no-cache", "{path}");
        let etag = headers["etag"].to_str().unwrap().to_owned();
        assert!(etag.starts_with('"') && etag.len() == 66, "{path}: {etag}");
        assert!(!response.bytes().await.unwrap().is_empty(), "{path}");

        let again = app
            .http
            .get(format!("{origin}{path}"))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert!(again.bytes().await.unwrap().is_empty(), "{path}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_asset_is_404_and_a_page_shell_is_not_an_asset() {
    let app = TestApp::spawn(Db::Sqlite).await;
    let origin = origin(&app);
    for path in [
        "/assets/js/nothing.js",
        "/assets/index.html",
        "/assets/client-js/nothing.js",
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/Cargo.toml",
    ] {
        let response = app
            .http
            .get(format!("{origin}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let unknown_page = app
        .http
        .get(format!("{origin}/nowhere"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_page.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}
