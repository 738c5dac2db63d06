//! A short run of every scenario, and of the ceiling, as part of the test command.
//!
//! Each test starts a real bidroom server in this process (port 0, a SQLite file in a
//! temporary directory, bulk seeding on) and runs the `bidroom-loadtest` binary at it with
//! small knobs, as the README runs it. The binary exits non-zero when one of its checks
//! fails (contiguous `seq` on every connection, every accepted bid seen by every member
//! of its room, every bid answered, final prices equal to the server's results, ...); the
//! test asserts that it exited 0, that its JSON report lists every check as passed, and
//! that the run did something. Speed is not asserted. A run in its own process keeps the
//! load tester's process-wide counters its own while the tests run side by side. The
//! shaped ceiling starts its own servers (the bare relay, and the `bidroom` binary).

mod common;

use std::path::PathBuf;
use std::process::Output;
use std::time::Duration;

use bidroom::config::{Credentials, ServeConfig};
use bidroom::server::RunningServer;
use serde_json::Value;

const ADMIN_USERNAME: &str = "admin";
const ADMIN_PASSWORD: &str = "smoke-admin-password";

/// Every run stops by itself well within this; past it the test fails (and the run is
/// killed).
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

struct Server {
    running: RunningServer,
    url: String,
    _directory: tempfile::TempDir,
}

async fn server() -> Server {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let database = directory.path().join("smoke.db");
    let mut config = ServeConfig::for_tests(format!("sqlite://{}", database.display()));
    config.bootstrap_admin = Some(Credentials {
        username: ADMIN_USERNAME.to_owned(),
        password: ADMIN_PASSWORD.to_owned(),
    });
    config.bid_rate_limit = 100_000;
    // The load tester's watchers share one account, and every socket comes from 127.0.0.1.
    config.account_bid_rate_limit = 100_000;
    config.max_connections_per_account = 0;
    config.max_connections_per_address = 0;
    config.allow_bulk_seed = true;
    let running = bidroom::server::start(config)
        .await
        .expect("the server starts");
    Server {
        url: format!("http://{}", running.local_addr),
        running,
        _directory: directory,
    }
}

/// Runs `bidroom-loadtest ARGS` (at `server`, if given) and returns its JSON report,
/// after asserting that it exited 0.
async fn load_test(server: Option<&Server>, args: &[&str]) -> Value {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let report_path: PathBuf = directory.path().join("report.json");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_bidroom-loadtest"));
    command
        .arg("--quiet")
        .arg("--json")
        .arg(&report_path)
        .kill_on_drop(true);
    if let Some(server) = server {
        let admin = format!("{ADMIN_USERNAME}:{ADMIN_PASSWORD}");
        let pid = std::process::id().to_string();
        command.args([
            "--server",
            &server.url,
            "--admin",
            &admin,
            "--server-pid",
            &pid,
        ]);
    }
    command.args(args);
    let output: Output = tokio::time::timeout(RUN_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("bidroom-loadtest {args:?} ran over {RUN_TIMEOUT:?}"))
        .expect("bidroom-loadtest runs");
    let said = format!(
        "bidroom-loadtest {args:?} exited {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{said}");
    let report = std::fs::read_to_string(&report_path).unwrap_or_else(|_| panic!("{said}"));
    serde_json::from_str(&report).unwrap_or_else(|error| panic!("{error}: {said}"))
}

/// Every check the report lists passed, and it lists some.
fn assert_checks_passed(report: &Value) {
    let checks = report["checks"].as_array().expect("the report's checks");
    assert!(!checks.is_empty(), "{report}");
    for check in checks {
        assert_eq!(check["passed"], true, "check failed: {check}");
    }
}

fn count(report: &Value, pointer: &str) -> u64 {
    report
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{pointer} in {report}"))
}

fn has_check(report: &Value, name: &str) -> bool {
    report["checks"]
        .as_array()
        .is_some_and(|checks| checks.iter().any(|check| check["name"] == name))
}

/// The checks every bidding run makes, and the evidence that it bid and broadcast.
fn assert_bidding_run(report: &Value, rooms: u64) {
    assert_checks_passed(report);
    for name in [
        "seq contiguous on every connection",
        "every accepted bid seen by every member of its room",
        "every bid answered",
        "final prices equal the server's results",
    ] {
        assert!(has_check(report, name), "{name} is checked: {report}");
    }
    assert_eq!(count(report, "/rooms"), rooms);
    assert!(count(report, "/bids/sent") > 0, "{report}");
    assert!(count(report, "/bids/accepted") > 0, "{report}");
    assert!(count(report, "/deliveries") > 0, "{report}");
    assert!(count(report, "/latency/accepted/count") > 0, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_rooms() {
    let server = server().await;
    let report = load_test(
        Some(&server),
        &[
            "many-rooms",
            "--rooms",
            "4",
            "--bidders",
            "3",
            "--watchers",
            "3",
            "--duration-secs",
            "2",
            "--rate",
            "200",
        ],
    )
    .await;
    assert_bidding_run(&report, 4);
    server.running.stop().await.expect("the server stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_room() {
    let server = server().await;
    let report = load_test(
        Some(&server),
        &[
            "--encoding",
            "msgpack",
            "hot-room",
            "--bidders",
            "20",
            "--watchers",
            "40",
            "--duration-secs",
            "2",
            "--rate",
            "200",
            "--strategy",
            "ladder",
        ],
    )
    .await;
    assert_bidding_run(&report, 1);
    assert_eq!(count(&report, "/watchers"), 40);
    server.running.stop().await.expect("the server stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_room_set_up_through_the_public_api() {
    let server = server().await;
    let report = load_test(
        Some(&server),
        &[
            "--setup",
            "public-api",
            "hot-room",
            "--bidders",
            "3",
            "--watchers",
            "3",
            "--duration-secs",
            "2",
        ],
    )
    .await;
    assert_bidding_run(&report, 1);
    server.running.stop().await.expect("the server stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections() {
    let server = server().await;
    let report = load_test(
        Some(&server),
        &[
            "connections",
            "--connections",
            "100",
            "--hold-secs",
            "1",
            "--join",
        ],
    )
    .await;
    assert_checks_passed(&report);
    assert_eq!(count(&report, "/connections/opened"), 100);
    assert_eq!(count(&report, "/connections/alive"), 100);
    server.running.stop().await.expect("the server stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_storm() {
    let server = server().await;
    let report = load_test(
        Some(&server),
        &[
            "closing-storm",
            "--rooms",
            "4",
            "--bidders",
            "3",
            "--watchers",
            "2",
            "--duration-secs",
            "2",
            "--late-secs",
            "1",
            "--rate",
            "200",
        ],
    )
    .await;
    assert_bidding_run(&report, 4);
    assert!(has_check(
        &report,
        "no bid accepted at or after the deadline"
    ));
    server.running.stop().await.expect("the server stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ceiling() {
    let report = load_test(
        None,
        &[
            "ceiling",
            "--connections",
            "4",
            "--receivers",
            "20",
            "--broadcast-rate",
            "200",
            "--duration-secs",
            "1",
        ],
    )
    .await;
    assert!(count(&report, "/ping_pong/round_trips") > 0, "{report}");
    assert_eq!(count(&report, "/ping_pong/errors"), 0);
    let sent = count(&report, "/broadcast/messages_sent");
    assert_eq!(sent, 200);
    assert_eq!(count(&report, "/broadcast/deliveries"), 20 * sent);
    assert_eq!(count(&report, "/broadcast/missed"), 0);
    assert!(count(&report, "/broadcast/latency/count") > 0);
}

/// Every leg of a shaped ceiling passed its checks and bid, and the ratio was taken.
fn assert_shaped_run(report: &Value, legs: &[&str]) {
    for pointer in legs {
        let leg = report
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{pointer} in {report}"));
        assert_eq!(
            leg["failed_checks"],
            serde_json::json!([]),
            "{pointer}: {leg}"
        );
        assert!(count(leg, "/bids/accepted") > 0, "{pointer}: {leg}");
        assert!(
            leg["deliveries_per_sec"].as_f64() > Some(0.0),
            "{pointer}: {leg}"
        );
        assert!(count(leg, "/ack/count") > 0, "{pointer}: {leg}");
        assert!(count(leg, "/delivery/count") > 0, "{pointer}: {leg}");
    }
    assert!(report["accepted_ratio"].as_f64() > Some(0.0), "{report}");
    assert!(report["deliveries_ratio"].as_f64() > Some(0.0), "{report}");
}

/// `bidroom-loadtest GLOBAL ceiling --server-bin BIDROOM CEILING SCENARIO`: the shaped
/// ceiling, with the bidroom binary of this build.
async fn shaped_ceiling(global: &[&str], ceiling: &[&str], scenario: &[&str]) -> Value {
    let bin = common::server_bin();
    let bin = bin.to_str().expect("a UTF-8 path");
    let mut args = global.to_vec();
    args.extend(["ceiling", "--server-bin", bin]);
    args.extend(ceiling);
    args.extend(scenario);
    load_test(None, &args).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ceiling_shaped_like_many_rooms() {
    let scenario = [
        "many-rooms",
        "--rooms",
        "3",
        "--bidders",
        "2",
        "--watchers",
        "2",
        "--duration-secs",
        "2",
        "--strategy",
        "ladder",
    ];
    let report = shaped_ceiling(&[], &["--half-rate"], &scenario).await;
    assert_shaped_run(&report, &["/relay/0", "/bidroom/0", "/half_rate"]);
    assert!(report["half_rate"]["rate"].as_f64() > Some(0.0), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ceiling_shaped_like_a_hot_room_in_messagepack() {
    let scenario = [
        "hot-room",
        "--bidders",
        "10",
        "--watchers",
        "20",
        "--duration-secs",
        "2",
        "--strategy",
        "ladder",
    ];
    let report = shaped_ceiling(&["--encoding", "msgpack"], &["--rounds", "2"], &scenario).await;
    assert_shaped_run(
        &report,
        &["/relay/0", "/bidroom/0", "/relay/1", "/bidroom/1"],
    );
}
