//! A short chaos run on each database: `bidroom-loadtest chaos` starts the real `bidroom`
//! binary, SIGKILLs and restarts it three times under bidders that resend, and must find
//! every check held (no acknowledged bid missing or duplicated, no refused bid stored, no
//! seq gap, each room recovered at its highest acknowledged bid, the ledger reconciled,
//! every deposit released or applied once). Speed is not asserted.
//!
//! Then the same on three nodes of one exchange (`--nodes 3`, SPEC §10) on PostgreSQL and
//! the machine's NATS (`BIDROOM_TEST_NATS_URL`, default `nats://127.0.0.1:4222`): each kill
//! is of the node holding the most rooms, whose rooms the other two must take over.
//!
//! The server is `target/<profile>/bidroom`. `cargo test --workspace` builds it with the
//! tests; run alone, this test builds it first when a source file is newer than it.

mod common;

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use serde_json::Value;

/// A run stops by itself well within this; past it the test fails (and the run is killed).
const RUN_TIMEOUT: Duration = Duration::from_secs(150);

/// Runs a short chaos on `database` (extra arguments) and returns its JSON report, after
/// asserting that it exited 0.
async fn chaos(database: &[&str]) -> Value {
    let bin = common::server_bin();
    let directory = tempfile::tempdir().expect("a temporary directory");
    let report_path = directory.path().join("report.json");
    // With --nodes, each node's log is beside it (server-n1.log, ...).
    let log = directory.path().join("server.log");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_bidroom-loadtest"));
    command
        .arg("--quiet")
        .arg("--json")
        .arg(&report_path)
        // Room for the seeding on a machine busy with other tests.
        .args(["--open-delay-secs", "5"])
        .args(["--admin", "admin:chaos-admin-password", "chaos"])
        .arg("--server-bin")
        .arg(&bin)
        .arg("--server-log")
        .arg(&log)
        .args([
            "--kills",
            "3",
            "--seed",
            "9",
            "--rooms",
            "2",
            "--bidders",
            "3",
        ])
        .args(["--rate", "60", "--lot-secs", "1", "--extension-secs", "3"])
        .args(["--min-uptime-ms", "200", "--max-uptime-ms", "800"])
        .args([
            "--early-kill-percent",
            "50",
            "--early-kill-window-ms",
            "300",
        ])
        .args(database)
        .kill_on_drop(true);
    let output: Output = tokio::time::timeout(RUN_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("the chaos run ran over {RUN_TIMEOUT:?}"))
        .expect("bidroom-loadtest runs");
    let said = format!(
        "bidroom-loadtest chaos exited {}\n--- stdout\n{}\n--- stderr\n{}\n--- server log (tail)\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
        logs_tail(directory.path(), 40)
    );
    assert!(output.status.success(), "{said}");
    let report = std::fs::read_to_string(&report_path).unwrap_or_else(|_| panic!("{said}"));
    serde_json::from_str(&report).unwrap_or_else(|error| panic!("{error}: {said}"))
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The last lines of every server log in `directory` (one, or one a node).
fn logs_tail(directory: &Path, lines: usize) -> String {
    let mut logs: Vec<_> = std::fs::read_dir(directory)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|extension| extension == "log"))
                .collect()
        })
        .unwrap_or_default();
    logs.sort();
    logs.iter()
        .map(|log| format!("--- {}\n{}", log.display(), tail(log, lines)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn postgres_url() -> String {
    std::env::var("BIDROOM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn count(report: &Value, field: &str) -> u64 {
    report[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {report}"))
}

fn assert_every_check_held(report: &Value) {
    let checks = report["checks"].as_array().expect("the report's checks");
    for name in [
        "acknowledged bids missing = 0",
        "acknowledged bids duplicated = 0",
        "refused bids present = 0",
        "every bid answered",
        "seq gaps = 0",
        "recovered price and leader = highest acknowledged bid",
        "every room closed",
        "ledger reconciled",
        "every deposit accounted for once",
        "every restart recovered",
    ] {
        assert!(
            checks.iter().any(|check| check["name"] == name),
            "{name} is checked: {report}"
        );
    }
    for check in checks {
        assert_eq!(check["passed"], true, "check failed: {check}");
    }
    assert_eq!(count(report, "kills"), 3);
    assert_eq!(report["restarts"].as_array().map(Vec::len), Some(3));
    assert!(count(report, "acknowledged") > 0, "{report}");
    assert_eq!(count(report, "missing"), 0);
    assert_eq!(count(report, "duplicated"), 0);
    assert!(
        report["restart_to_first_ack"]["count"].as_u64() > Some(0),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let report = chaos(&[]).await;
    assert_eq!(report["database"], "sqlite");
    assert_every_check_held(&report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let admin_url = postgres_url();
    let report = chaos(&["--database-url", &admin_url, "--fresh-database"]).await;
    assert_eq!(report["database"], "postgres");
    assert_every_check_held(&report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_across_three_nodes_on_postgres() {
    let admin_url = postgres_url();
    let nats_url = std::env::var("BIDROOM_TEST_NATS_URL")
        .unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
    let report = chaos(&[
        "--database-url",
        &admin_url,
        "--fresh-database",
        "--nodes",
        "3",
        "--nats-url",
        &nats_url,
        "--lease-ttl-ms",
        "1500",
    ])
    .await;
    assert_eq!(report["database"], "postgres");
    assert_eq!(count(&report, "nodes"), 3);
    assert_every_check_held(&report);
    // Every kill was of a node, started again; and owners died holding rooms, which the
    // other nodes took.
    let restarts = report["restarts"].as_array().expect("the restarts");
    let mut taken_over = 0;
    for restart in restarts {
        let failover = &restart["failover"];
        let node = failover["node"].as_str().unwrap_or_default();
        assert!(["n1", "n2", "n3"].contains(&node), "{restart}");
        assert!(restart["ready_ms"].is_number(), "{restart}");
        let held = failover["held"].as_array().map_or(0, Vec::len);
        if held > 0 {
            assert!(failover["taken_over_ms"].is_number(), "{restart}");
            let taken_by = failover["taken_by"].as_array().expect("who took them");
            assert!(!taken_by.is_empty(), "{restart}");
            assert!(!taken_by.iter().any(|by| by == node), "{restart}");
            taken_over += 1;
        }
    }
    assert!(
        taken_over > 0,
        "no owner was killed holding a room: {report}"
    );
}
