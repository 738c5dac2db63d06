//! The REST side of SPEC §8 against the real server: authorization before validation on
//! every route of the OpenAPI document, body and time limits, CORS, request ids on answers
//! and log lines, sign-in throttling, HTTP metrics by route, and `/readyz`.

mod common;

use std::collections::BTreeSet;
use std::sync::OnceLock;
use std::time::Duration;

use bidroom::config::ServeConfig;
use bidroom::logging::CapturedLines;
use common::exchange::sleep_ms;
use common::ws::{Wire, WsClient};
use common::{Db, TestApp, TestDatabase, test_config};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// ---------------------------------------------------------------------------------------
// The harness: one metrics recorder and one log capture for the whole test binary.
// ---------------------------------------------------------------------------------------

fn metrics() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(bidroom::http::HTTP_DURATION_METRIC.to_owned()),
                    bidroom::http::HTTP_DURATION_BUCKETS_SECS,
                )
                .unwrap()
                .install_recorder()
                .expect("the test binary's one recorder")
        })
        .clone()
}

/// Every line logged in this test binary, as the server writes them with `--log-format json`.
fn logs() -> &'static CapturedLines {
    static LINES: OnceLock<CapturedLines> = OnceLock::new();
    LINES.get_or_init(|| {
        let lines = CapturedLines::default();
        let subscriber =
            bidroom::logging::subscriber(bidroom::config::LogFormat::Json, lines.clone());
        tracing::subscriber::set_global_default(subscriber).expect("the one global subscriber");
        lines
    })
}

async fn spawn(db: Db, change: impl FnOnce(ServeConfig) -> ServeConfig) -> TestApp {
    logs();
    let database = TestDatabase::create(db).await;
    let config = change(test_config(database.url()));
    let server = bidroom::server::start_with_metrics(config, Some(metrics()))
        .await
        .expect("the server starts");
    let address = server.local_addr;
    TestApp {
        server: Some(server),
        base_url: format!("http://{address}/api/v1"),
        ws_url: format!("ws://{address}/ws"),
        http: reqwest::Client::new(),
        database,
    }
}

fn root_url(app: &TestApp) -> String {
    app.base_url.trim_end_matches("/api/v1").to_owned()
}

// ---------------------------------------------------------------------------------------
// Authorization before validation, on every route
// ---------------------------------------------------------------------------------------

/// The operations anyone may call without a token: each judges its body or nothing.
const OPEN_TO_ANYONE: &[&str] = &[
    // The published announcements (one still in review answers 404 to outsiders).
    "GET /api/v1/announcements",
    "GET /api/v1/announcements/{id}",
    "GET /api/v1/healthz",
    "GET /api/v1/lots",
    "GET /api/v1/lots/{id}",
    "GET /api/v1/lots/{id}/items",
    "GET /api/v1/lots/{id}/result",
    "GET /api/v1/metrics",
    "GET /api/v1/openapi.json",
    "GET /api/v1/readyz",
    "POST /api/v1/accounts",
    "POST /api/v1/sessions",
];

/// The operations any signed-in account may call: what each shows depends on the record
/// (the caller's own, or one it takes part in), judged once the record is found.
const ANY_SIGNED_IN: &[&str] = &[
    "DELETE /api/v1/sessions/current",
    "GET /api/v1/applications/{id}",
    "GET /api/v1/guarantees/{id}",
    "GET /api/v1/lots/{id}/bids",
    "GET /api/v1/lots/{id}/settlement",
    "GET /api/v1/lots/{id}/settlement/confirmation",
    "GET /api/v1/me",
    "POST /api/v1/me/password",
    "GET /api/v1/me/applications",
    "GET /api/v1/me/settlements",
    "GET /api/v1/me/withdrawals",
    "GET /api/v1/wallet",
    "POST /api/v1/wallet/withdrawals",
];

const ROLES: [&str; 3] = ["bidder", "auctioneer", "admin"];

/// Who may call an operation, as its OpenAPI `security` says.
#[derive(Debug)]
enum Who {
    Anyone,
    AnySignedIn,
    /// The roles any one of which will do (a bank signature may stand in for some).
    Roles(BTreeSet<String>),
}

fn who_may_call(operation: &Value) -> Who {
    let Some(requirements) = operation["security"].as_array() else {
        return Who::Anyone;
    };
    let mut roles = BTreeSet::new();
    let mut any_signed_in = false;
    for requirement in requirements {
        let requirement = requirement.as_object().unwrap();
        if requirement.is_empty() {
            return Who::Anyone;
        }
        if let Some(listed) = requirement.get("bearer") {
            let listed = listed.as_array().unwrap();
            if listed.is_empty() {
                any_signed_in = true;
            }
            roles.extend(listed.iter().map(|role| role.as_str().unwrap().to_owned()));
        }
    }
    if any_signed_in {
        Who::AnySignedIn
    } else {
        assert!(!roles.is_empty(), "a requirement names no one: {operation}");
        Who::Roles(roles)
    }
}

/// Sends the operation with a garbage body, garbage path ids and garbage query values.
async fn garbage_request(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> (u16, Value) {
    let concrete: String = path
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "not-an-id"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    let url = format!(
        "{}{concrete}?limit=garbage&before=garbage&status=garbage&state=garbage&account_id=garbage",
        root_url(app)
    );
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut request = app
        .http
        .request(method, url)
        .header("content-type", "application/json")
        .header("idempotency-key", "garbage key with spaces")
        .body("{\"not json: [1, 2");
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

/// What is wrong with the answer to a garbage request, if it is not `wanted` in the error
/// shape.
async fn expect(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    wanted: u16,
    as_who: &str,
) -> Option<String> {
    let (status, body) = garbage_request(app, method, path, token).await;
    let coded = body["error"]["code"].is_string();
    (status != wanted || !coded).then(|| {
        format!(
            "{} {path} as {as_who}: {status} {body}, not {wanted}",
            method.to_uppercase()
        )
    })
}

async fn every_route_refuses_a_caller_without_its_role_whatever_the_request_holds(db: Db) {
    let app = spawn(db, |mut config| {
        // The seed route must reach its authorization to be tested.
        config.allow_bulk_seed = true;
        config
    })
    .await;
    let admin = app.admin_token().await;
    let auctioneer = app.create_auctioneer("authz-auctioneer").await;
    let bidder = app.signup_bidder("authz-bidder").await;
    let token_of = |role: &str| match role {
        "admin" => admin.clone(),
        "auctioneer" => auctioneer.token.clone(),
        "bidder" => bidder.token.clone(),
        other => panic!("no account of role {other}"),
    };

    let (status, document) = app.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    let mut open_to_anyone = BTreeSet::new();
    let mut any_signed_in = BTreeSet::new();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            let who = who_may_call(operation);
            if let Who::Anyone = who {
                open_to_anyone.insert(name);
                continue;
            }
            wrong.extend(expect(&app, method, path, None, 401, "no one").await);
            wrong.extend(expect(&app, method, path, Some("not-a-token"), 401, "a bad token").await);
            match who {
                Who::Anyone => unreachable!(),
                Who::AnySignedIn => {
                    any_signed_in.insert(name.clone());
                }
                Who::Roles(roles) => {
                    for role in ROLES.iter().filter(|role| !roles.contains(**role)) {
                        wrong.extend(
                            expect(&app, method, path, Some(&token_of(role)), 403, role).await,
                        );
                    }
                }
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
    let listed = |list: &[&str]| list.iter().map(|name| name.to_string()).collect();
    assert_eq!(
        open_to_anyone,
        listed(OPEN_TO_ANYONE),
        "the operations open to anyone changed: a route must name its roles in its security"
    );
    assert_eq!(
        any_signed_in,
        listed(ANY_SIGNED_IN),
        "the operations open to any signed-in account changed"
    );
    assert!(checked >= 30, "only {checked} operations checked");
    app.stop().await;
}
on_both_databases!(
    every_route_refuses_a_caller_without_its_role_whatever_the_request_holds,
    super::every_route_refuses_a_caller_without_its_role_whatever_the_request_holds
);

// ---------------------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------------------

async fn post_raw(app: &TestApp, path: &str, token: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut request = app
        .http
        .post(format!("{}{path}", app.base_url))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn padded_json(bytes: usize) -> Vec<u8> {
    let mut body = b"{\"username\": \"padded\", \"password\": \"x\"".to_vec();
    body.resize(bytes - 1, b' ');
    body.push(b'}');
    body
}

// Limits do not depend on the database: SQLite only, as the OpenAPI tests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_its_routes_limit_is_refused_with_413() {
    let app = spawn(Db::Sqlite, |mut config| {
        config.allow_bulk_seed = true;
        config
    })
    .await;
    let admin = app.admin_token().await;
    let limit = bidroom::limits::MAX_REQUEST_BODY_BYTES;

    let (status, body) = post_raw(&app, "/sessions", None, padded_json(limit)).await;
    assert_eq!(status, 401, "a body at the limit is read: {body}");
    let (status, body) = post_raw(&app, "/sessions", None, padded_json(limit + 1)).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");
    // A route that reads its raw body (the bank's signature is over it) too.
    let (status, body) = post_raw(
        &app,
        "/bank/notifications",
        Some(&admin),
        padded_json(limit + 1),
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(body["error"]["code"], "payload_too_large");

    // A lot's terms may be longer: 20,000 four-byte characters are 80,000 B.
    let auctioneer = app.create_auctioneer("limits-auctioneer").await;
    let terms = common::lot_body(json!({ "description": "😀".repeat(20_000) }));
    let terms = serde_json::to_vec(&terms).unwrap();
    assert!(terms.len() > limit);
    let (status, body) = post_raw(&app, "/lots", Some(&auctioneer.token), terms).await;
    assert_eq!(status, 201, "{body}");
    let too_long = vec![b' '; bidroom::limits::MAX_LOT_BODY_BYTES + 1];
    let (status, _) = post_raw(&app, "/lots", Some(&auctioneer.token), too_long).await;
    assert_eq!(status, 413);

    // The bulk seed's own limit is 1 MiB.
    let seed = padded_json(200 * 1024);
    let (status, body) = post_raw(&app, "/admin/seed/bidders", Some(&admin), seed).await;
    assert_eq!(status, 400, "read, and refused for what it holds: {body}");
    let seed = padded_json(bidroom::limits::MAX_SEED_BODY_BYTES + 1);
    let (status, _) = post_raw(&app, "/admin/seed/bidders", Some(&admin), seed).await;
    assert_eq!(status, 413);

    let rendered = metrics().render();
    assert!(
        rendered.contains(r#"route="/api/v1/sessions",status="413""#),
        "{rendered}"
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// Request time
// ---------------------------------------------------------------------------------------

/// Reads what the server sends until it closes the connection (or `within` passes).
async fn read_until_closed(socket: &mut TcpStream, within: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(within, socket.read_to_end(&mut received)).await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&received).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_client_is_cut_off_but_an_upgraded_websocket_is_not() {
    let app = spawn(Db::Sqlite, |mut config| {
        config.request_timeout_secs = 1;
        config
    })
    .await;
    let address = app.server.as_ref().unwrap().local_addr;
    let bidder = app.signup_bidder("slow-bidder").await;
    let mut socket_user = WsClient::signed_in(&app.ws_url, &bidder.token, Wire::Json).await;

    // Headers, then a body that stops halfway: 408, and the connection closes.
    let mut stalled = TcpStream::connect(address).await.unwrap();
    stalled
        .write_all(
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: bidroom\r\nContent-Type: application/json\r\n\
              Content-Length: 100\r\n\r\n{\"username\": ",
        )
        .await
        .unwrap();
    let answer = read_until_closed(&mut stalled, Duration::from_secs(15))
        .await
        .expect("the server answers and closes a stalled body");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");

    // A request head dribbled a byte at a time (slowloris) is disconnected.
    let mut dribbling = TcpStream::connect(address).await.unwrap();
    dribbling
        .write_all(b"GET /api/v1/healthz HTTP/1.1\r\nHost: bidroom\r\n")
        .await
        .unwrap();
    let mut cut_off = false;
    for byte in b"X-Slow: ".iter().cycle().take(60) {
        sleep_ms(250).await;
        if dribbling.write_all(&[*byte]).await.is_err() {
            cut_off = true;
            break;
        }
        let mut buffer = [0u8; 64];
        match tokio::time::timeout(Duration::from_millis(1), dribbling.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                cut_off = true;
                break;
            }
            _ => {}
        }
    }
    assert!(
        cut_off,
        "15 s of a dribbled head, and the connection is still open"
    );

    // The WebSocket, upgraded well over a timeout ago, still answers.
    socket_user
        .send(json!({"type": "ping", "req": "still-there"}))
        .await;
    let pong = socket_user.answer("still-there").await;
    assert_eq!(pong["type"], "pong", "{pong}");

    // And the server still stops cleanly, with the socket open.
    let server = app.server.as_ref().unwrap().shutdown_trigger();
    let _ = server.send(true);
    let closed = socket_user.closed().await;
    assert_eq!(closed.map(|frame| u16::from(frame.code)), Some(1001));
    tokio::time::timeout(Duration::from_secs(15), app.stop())
        .await
        .expect("the server stops within 15 s");
}

// ---------------------------------------------------------------------------------------
// CORS
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_answers_the_allowed_origins_and_no_other() {
    let app = spawn(Db::Sqlite, |mut config| {
        config.allowed_origins = vec!["https://exchange.example".to_owned()];
        config
    })
    .await;
    let preflight = |origin: &'static str| {
        app.http
            .request(Method::OPTIONS, format!("{}/lots", app.base_url))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight("https://exchange.example").await.unwrap();
    assert!(allowed.status().is_success(), "{}", allowed.status());
    let headers = allowed.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://exchange.example"
    );
    let methods = headers["access-control-allow-methods"].to_str().unwrap();
    assert!(methods.contains("POST"), "{methods}");
    let allowed_headers = headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(
        allowed_headers.contains("authorization"),
        "{allowed_headers}"
    );

    let actual = app
        .http
        .get(format!("{}/lots", app.base_url))
        .header("origin", "https://exchange.example")
        .send()
        .await
        .unwrap();
    assert_eq!(actual.status(), 200);
    assert_eq!(
        actual.headers()["access-control-allow-origin"],
        "https://exchange.example"
    );
    let exposed = actual.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(exposed.contains("x-request-id"), "{exposed}");

    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none(),
        "{:?}",
        refused.headers()
    );
    let other = app
        .http
        .get(format!("{}/lots", app.base_url))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// Request ids, on answers and on log lines; connection ids on a WebSocket's lines
// ---------------------------------------------------------------------------------------

/// The JSON log lines whose spans carry `field` = `value`.
fn lines_with(field: &str, value: &Value) -> Vec<Value> {
    logs()
        .lines()
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|line| {
            line["spans"]
                .as_array()
                .is_some_and(|spans| spans.iter().any(|span| &span[field] == value))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_carries_a_request_id_that_is_on_every_line_of_its_request() {
    let app = spawn(Db::Sqlite, |config| config).await;
    let request_id_of = |response: &reqwest::Response| {
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let generated = app
        .http
        .get(format!("{}/healthz", app.base_url))
        .send()
        .await
        .unwrap();
    let id = request_id_of(&generated);
    assert_eq!(id.len(), 32, "{id}");
    assert!(id.bytes().all(|c| c.is_ascii_hexdigit()), "{id}");

    let kept = app
        .http
        .get(format!("{}/lots/999999", app.base_url))
        .header("x-request-id", "client-trace-0001")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), 404);
    assert_eq!(request_id_of(&kept), "client-trace-0001");

    let replaced = app
        .http
        .get(format!("{}/no/such/route", root_url(&app)))
        .header("x-request-id", "not sane\"quote")
        .send()
        .await
        .unwrap();
    let replacement = request_id_of(&replaced);
    assert_eq!(replacement.len(), 32, "{replacement}");

    let lines = lines_with("request_id", &json!("client-trace-0001"));
    let messages: Vec<&str> = lines
        .iter()
        .filter_map(|line| line["fields"]["message"].as_str())
        .collect();
    assert!(
        messages.contains(&"started processing request")
            && messages.contains(&"finished processing request"),
        "{lines:#?}"
    );

    // A WebSocket's lines carry its connection id, and the upgrade's request id.
    let bidder = app.signup_bidder("logged-bidder").await;
    let mut upgrade =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            app.ws_url.as_str(),
        )
        .unwrap();
    upgrade
        .headers_mut()
        .insert("x-request-id", "ws-upgrade-0001".parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(upgrade).await.unwrap();
    use futures_util::{SinkExt, StreamExt};
    socket
        .send(tokio_tungstenite::tungstenite::Message::text(
            json!({"type": "auth", "token": bidder.token}).to_string(),
        ))
        .await
        .unwrap();
    let welcome = socket.next().await.unwrap().unwrap();
    assert!(welcome.to_text().unwrap().contains("welcome"), "{welcome}");
    let session_lines: Vec<Value> = lines_with("request_id", &json!("ws-upgrade-0001"))
        .into_iter()
        .filter(|line| line["fields"]["message"] == "authenticated")
        .collect();
    assert_eq!(session_lines.len(), 1, "{session_lines:#?}");
    let websocket = &session_lines[0]["span"];
    assert_eq!(websocket["name"], "websocket", "{websocket}");
    assert!(websocket["connection_id"].is_u64(), "{websocket}");
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// Sign-in throttling
// ---------------------------------------------------------------------------------------

async fn sign_in(app: &TestApp, username: &str, password: &str) -> (u16, Value, Option<u64>) {
    let response = app
        .http
        .post(format!("{}/sessions", app.base_url))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|value| value.to_str().unwrap().parse().unwrap());
    (status, response.json().await.unwrap(), retry_after)
}

fn counter(rendered: &str, line_start: &str) -> u64 {
    rendered
        .lines()
        .find(|line| line.starts_with(line_start))
        .and_then(|line| line.rsplit(' ').next())
        .map_or(0, |value| value.parse().unwrap())
}

async fn failed_sign_ins_are_throttled_by_username_and_by_address(db: Db) {
    let app = spawn(db, |mut config| {
        config.sign_in_failures_per_username = 3;
        config.sign_in_failures_per_address = 6;
        // Long enough for the failures below to land in one window on a loaded machine.
        config.sign_in_window_secs = 4;
        config
    })
    .await;
    let alice = app.signup_bidder("throttle-alice").await;
    let bob = app.signup_bidder("throttle-bob").await;
    let refusals = |by: &str| {
        counter(
            &metrics().render(),
            &format!("bidroom_sign_in_refusals_total{{by=\"{by}\"}}"),
        )
    };
    let by_username = refusals("username");

    for _ in 0..3 {
        let (status, body, _) = sign_in(&app, &alice.username, "wrong-password").await;
        assert_eq!(status, 401, "{body}");
    }
    let (status, body, retry_after) = sign_in(&app, &alice.username, common::PASSWORD).await;
    assert_eq!(
        status, 429,
        "the right password, after three wrong ones: {body}"
    );
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(matches!(retry_after, Some(1..=4)), "{retry_after:?}");
    assert!(refusals("username") > by_username);

    // Three more failures from this address, on names that do not exist: six in all.
    let by_address = refusals("address");
    for name in ["ghost-1", "ghost-2", "ghost-3"] {
        let (status, _, _) = sign_in(&app, name, "wrong-password").await;
        assert_eq!(status, 401);
    }
    let (status, body, retry_after) = sign_in(&app, &bob.username, common::PASSWORD).await;
    assert_eq!(status, 429, "{body}");
    assert!(retry_after.is_some());
    assert!(refusals("address") > by_address);

    // After the window both sign in again.
    sleep_ms(4_500).await;
    let (status, body, _) = sign_in(&app, &alice.username, common::PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    // Successes never count: bob, from the same address, signs in again and again.
    for _ in 0..10 {
        let (status, body, _) = sign_in(&app, &bob.username, common::PASSWORD).await;
        assert_eq!(status, 200, "{body}");
    }
    app.stop().await;
}
on_both_databases!(
    failed_sign_ins_are_throttled_by_username_and_by_address,
    super::failed_sign_ins_are_throttled_by_username_and_by_address
);

// ---------------------------------------------------------------------------------------
// HTTP metrics
// ---------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_requests_are_counted_by_route_template_and_status() {
    let app = spawn(Db::Sqlite, |config| config).await;
    for id in ["424242", "434343"] {
        let (status, _) = app.get(&format!("/lots/{id}"), None).await;
        assert_eq!(status, 404);
    }
    let (status, _) = app.get("/healthz", None).await;
    assert_eq!(status, 200);
    let rendered = metrics().render();
    let lots = counter(
        &rendered,
        r#"bidroom_http_requests_total{method="GET",route="/api/v1/lots/{id}",status="404"}"#,
    );
    assert!(lots >= 2, "{rendered}");
    assert!(
        !rendered.contains("/api/v1/lots/424242"),
        "raw paths are no labels"
    );
    assert!(
        rendered.contains(
            r#"bidroom_http_request_duration_seconds_bucket{method="GET",route="/api/v1/healthz",le="0.005"}"#
        ),
        "{rendered}"
    );
    app.stop().await;
}

// ---------------------------------------------------------------------------------------
// Readiness
// ---------------------------------------------------------------------------------------

async fn readiness(app: &TestApp) -> (u16, Value) {
    let response = app
        .http
        .get(format!("{}/readyz", root_url(app)))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// Polls `/readyz` until `wanted(status, body)`, for at most `within`.
async fn readiness_until(
    app: &TestApp,
    within: Duration,
    wanted: impl Fn(u16, &Value) -> bool,
) -> (u16, Value) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (status, body) = readiness(app).await;
        if wanted(status, &body) || tokio::time::Instant::now() > deadline {
            return (status, body);
        }
        sleep_ms(200).await;
    }
}

/// Makes the test's database unreachable (PostgreSQL: refuse new connections and end the
/// open ones) or unwritable (SQLite: another connection holds its write lock), and back.
enum Outage {
    Postgres { name: String },
    Sqlite { holder: sqlx::SqliteConnection },
}

impl Outage {
    async fn begin(database: &TestDatabase) -> Outage {
        use sqlx::Connection;
        match database {
            TestDatabase::Postgres {
                admin_url, name, ..
            } => {
                let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
                for statement in [
                    format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
                    format!(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE datname = '{name}' AND pid <> pg_backend_pid()"
                    ),
                ] {
                    sqlx::query(&statement).execute(&mut admin).await.unwrap();
                }
                Outage::Postgres { name: name.clone() }
            }
            TestDatabase::Sqlite { url, .. } => {
                let mut holder = sqlx::SqliteConnection::connect(url).await.unwrap();
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(&mut holder)
                    .await
                    .unwrap();
                Outage::Sqlite { holder }
            }
        }
    }

    async fn end(self) {
        use sqlx::Connection;
        match self {
            Outage::Postgres { name } => {
                let mut admin = sqlx::PgConnection::connect(&common::postgres_admin_url())
                    .await
                    .unwrap();
                sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
                    .execute(&mut admin)
                    .await
                    .unwrap();
            }
            Outage::Sqlite { mut holder } => {
                sqlx::query("ROLLBACK").execute(&mut holder).await.unwrap();
                holder.close().await.unwrap();
            }
        }
    }
}

async fn readiness_follows_the_database_and_the_journal(db: Db) {
    let app = spawn(db, |config| config).await;
    let (status, body) = readiness(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready");
    let (status, _) = app.get("/readyz", None).await;
    assert_eq!(status, 200, "also under /api/v1");

    let lot = app.live_lot("ready", json!({}), &[None], None).await;
    app.wait_until_open(&lot).await;
    let mut bidder = app.bidder_client(&lot.bidders[0], Wire::Json).await;

    let outage = Outage::begin(&app.database).await;
    // A bid the journal cannot commit while the database is out.
    bidder
        .send(json!({"type": "bid", "lot": lot.id, "amount": "1000.00", "req": "during-outage"}))
        .await;
    // SQLite's writer waits out its 10 s busy timeout before its commit fails.
    let (status, body) = readiness_until(&app, Duration::from_secs(30), |status, body| {
        status == 503 && body["checks"]["journal"] == "failing"
    })
    .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "not_ready", "{body}");
    assert_eq!(body["checks"]["journal"], "failing", "{body}");
    if db == Db::Postgres {
        assert_eq!(body["checks"]["database"], "unavailable", "{body}");
    }

    outage.end().await;
    let (status, body) =
        readiness_until(&app, Duration::from_secs(30), |status, _| status == 200).await;
    assert_eq!(status, 200, "{body}");
    let accepted = bidder.answer("during-outage").await;
    assert_eq!(
        accepted["type"], "accepted",
        "the bid commits once the database is back: {accepted}"
    );
    app.stop().await;
}
on_both_databases!(
    readiness_follows_the_database_and_the_journal,
    super::readiness_follows_the_database_and_the_journal
);
