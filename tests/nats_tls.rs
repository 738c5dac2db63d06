//! TLS to NATS: `bidroom::nats::connect` against a `nats-server` of the test's own, started
//! on free ports with a certificate from a CA made in the test.
//!
//! With `--nats-ca-file` the node connects over TLS (the server's monitoring says which TLS
//! version, and under what name), and a publish/subscribe round trip goes through; without
//! it, or with a wrong password, it is refused at once with a clear error; mutual TLS takes
//! `--nats-client-cert`/`--nats-client-key`; a NATS that is not up yet is waited for, up to
//! `--nats-connect-timeout-secs`.
//!
//! `nats-server` is `BIDROOM_TEST_NATS_SERVER`, or `/usr/sbin/nats-server` (Debian's
//! package), or the one on the PATH; these tests fail, not skip, without it.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use bidroom::config::ServeConfig;
use futures_util::StreamExt;
use serde_json::Value;

use common::tls::TestCa;

const USER: &str = "bidroom";
/// Written into URLs percent-encoded, as `%40` and `%3A`.
const PASSWORD: &str = "p@ss:word";
const PASSWORD_IN_URL: &str = "p%40ss%3Aword";

fn nats_server_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("BIDROOM_TEST_NATS_SERVER") {
        return PathBuf::from(path);
    }
    let debian = Path::new("/usr/sbin/nats-server");
    if debian.exists() {
        return debian.to_path_buf();
    }
    PathBuf::from("nats-server")
}

/// A `nats-server` of this test, on free ports; killed when dropped.
struct NatsServer {
    child: tokio::process::Child,
    port: u16,
    monitoring_port: u16,
    _directory: tempfile::TempDir,
}

impl NatsServer {
    /// Starts `nats-server ARGS` on 127.0.0.1 with random client and monitoring ports.
    async fn start(args: &[&str]) -> NatsServer {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let binary = nats_server_binary();
        let child = tokio::process::Command::new(&binary)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                "-1",
                "-m",
                "-1",
                "--ports_file_dir",
            ])
            .arg(directory.path())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| {
                panic!(
                    "{} must be installed for these tests (Debian's nats-server): {error}",
                    binary.display()
                )
            });
        let ports_file = directory
            .path()
            .join(format!("nats-server_{}.ports", child.id().expect("a pid")));
        let started = Instant::now();
        let ports: Value = loop {
            if let Ok(text) = std::fs::read_to_string(&ports_file)
                && let Ok(ports) = serde_json::from_str(&text)
            {
                break ports;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "nats-server wrote no ports file"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let port_of = |kind: &str| -> u16 {
            let url = ports[kind][0].as_str().expect("a URL in the ports file");
            url.rsplit(':').next().unwrap().parse().expect("a port")
        };
        NatsServer {
            port: port_of("nats"),
            monitoring_port: port_of("monitoring"),
            child,
            _directory: directory,
        }
    }

    /// What the server's monitoring says about its client connections (`/connz`).
    async fn connections(&self) -> Vec<Value> {
        let url = format!("http://127.0.0.1:{}/connz?auth=true", self.monitoring_port);
        let connz: Value = reqwest::get(&url)
            .await
            .expect("nats-server's monitoring answers")
            .json()
            .await
            .expect("connz is JSON");
        connz["connections"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

/// A TLS server that also wants a user and password.
async fn tls_server(ca: &TestCa) -> NatsServer {
    let certificate = ca.issue_server("nats");
    NatsServer::start(&[
        "--tls",
        "--tlscert",
        certificate.certificate_file.to_str().unwrap(),
        "--tlskey",
        certificate.key_file.to_str().unwrap(),
        "--user",
        USER,
        "--pass",
        PASSWORD,
    ])
    .await
}

fn config(url: String) -> ServeConfig {
    let mut config = ServeConfig::for_tests("sqlite::memory:");
    config.node_id = Some("node-a".to_owned());
    config.nats_url = url;
    config.nats_connect_timeout_secs = 20;
    config
}

async fn round_trip(client: &async_nats::Client) {
    let mut subscriber = client
        .subscribe("bidroom.test.tls")
        .await
        .expect("subscribe");
    client
        .publish("bidroom.test.tls", "over TLS".into())
        .await
        .expect("publish");
    client.flush().await.expect("flush");
    let message = tokio::time::timeout(Duration::from_secs(5), subscriber.next())
        .await
        .expect("the message comes back within 5 s")
        .expect("the subscription is open");
    assert_eq!(&message.payload[..], b"over TLS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_ca_file_the_node_connects_over_tls_and_a_message_makes_the_round_trip() {
    let ca = TestCa::new("bidroom test NATS CA");
    let server = tls_server(&ca).await;
    let mut config = config(format!(
        "tls://{USER}:{PASSWORD_IN_URL}@127.0.0.1:{}",
        server.port
    ));
    config.nats_ca_file = Some(ca.root_file.clone());

    let client = bidroom::nats::connect(&config)
        .await
        .expect("connect with --nats-ca-file");
    round_trip(&client).await;

    let connections = server.connections().await;
    assert_eq!(connections.len(), 1, "{connections:?}");
    let connection = &connections[0];
    assert_eq!(connection["name"], "bidroom node-a", "{connection}");
    assert_eq!(connection["authorized_user"], USER, "{connection}");
    let tls_version = connection["tls_version"].as_str().unwrap_or_default();
    assert!(tls_version.starts_with("1."), "TLS in use: {connection}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_url_without_tls_still_gets_it_when_a_ca_file_is_given() {
    let ca = TestCa::new("bidroom test NATS CA");
    let server = tls_server(&ca).await;
    let mut config = config(format!(
        "nats://{USER}:{PASSWORD_IN_URL}@localhost:{}",
        server.port
    ));
    config.nats_ca_file = Some(ca.root_file.clone());
    let client = bidroom::nats::connect(&config)
        .await
        .expect("connect with --nats-ca-file");
    round_trip(&client).await;
    let connections = server.connections().await;
    assert!(
        connections[0]["tls_version"]
            .as_str()
            .is_some_and(|version| version.starts_with("1.")),
        "{connections:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_ca_file_the_servers_certificate_is_refused_at_once() {
    let ca = TestCa::new("bidroom test NATS CA");
    let server = tls_server(&ca).await;
    let config = config(format!(
        "tls://{USER}:{PASSWORD_IN_URL}@127.0.0.1:{}",
        server.port
    ));
    let started = Instant::now();
    let error = bidroom::nats::connect(&config)
        .await
        .expect_err("a certificate from an unknown CA is refused");
    let error = format!("{error:#}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a refused certificate is not retried until the timeout: {error}"
    );
    assert!(
        error.contains("TLS with NATS at tls://127.0.0.1:"),
        "{error}"
    );
    assert!(error.contains("--nats-ca-file"), "{error}");
    assert!(error.contains("UnknownIssuer"), "{error}");
    assert!(!error.contains(PASSWORD_IN_URL), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_refused_at_once() {
    let ca = TestCa::new("bidroom test NATS CA");
    let server = tls_server(&ca).await;
    let mut config = config(format!("tls://{USER}:wrong@127.0.0.1:{}", server.port));
    config.nats_ca_file = Some(ca.root_file.clone());
    let started = Instant::now();
    let error = bidroom::nats::connect(&config)
        .await
        .expect_err("a wrong password is refused");
    let error = format!("{error:#}");
    assert!(started.elapsed() < Duration::from_secs(10), "{error}");
    assert!(error.contains("refused this node's credentials"), "{error}");
    assert!(!error.contains("wrong"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_takes_the_client_certificate() {
    let ca = TestCa::new("bidroom test NATS CA");
    let certificate = ca.issue_server("nats");
    let server = NatsServer::start(&[
        "--tlsverify",
        "--tlscert",
        certificate.certificate_file.to_str().unwrap(),
        "--tlskey",
        certificate.key_file.to_str().unwrap(),
        "--tlscacert",
        ca.root_file.to_str().unwrap(),
    ])
    .await;
    let mut config = config(format!("tls://127.0.0.1:{}", server.port));
    config.nats_ca_file = Some(ca.root_file.clone());

    let started = Instant::now();
    let refused = bidroom::nats::connect(&config)
        .await
        .expect_err("no client certificate, no connection");
    let refused = format!("{refused:#}");
    assert!(started.elapsed() < Duration::from_secs(10), "{refused}");
    assert!(refused.contains("--nats-client-cert"), "{refused}");

    let client_certificate = ca.issue_client("node-a");
    config.nats_client_cert = Some(client_certificate.certificate_file.clone());
    config.nats_client_key = Some(client_certificate.key_file.clone());
    let client = bidroom::nats::connect(&config)
        .await
        .expect("connect with a client certificate");
    round_trip(&client).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_that_starts_late_is_waited_for() {
    let mut config = config(String::new());
    // Hold a free port, then let it go so that the server can take it.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    config.nats_url = format!("nats://127.0.0.1:{port}");
    let connecting = tokio::spawn(async move { bidroom::nats::connect(&config).await });
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert!(!connecting.is_finished(), "still trying");
    let port_text = port.to_string();
    let binary = nats_server_binary();
    let mut server = tokio::process::Command::new(&binary)
        .args(["-a", "127.0.0.1", "-p", &port_text])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("nats-server starts");
    let client = tokio::time::timeout(Duration::from_secs(15), connecting)
        .await
        .expect("connected within 15 s of the server's start")
        .unwrap()
        .expect("connects once NATS is up");
    round_trip(&client).await;
    server.start_kill().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_that_never_comes_is_given_up_on_after_the_timeout() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut config = config(format!("nats://127.0.0.1:{port}"));
    config.nats_connect_timeout_secs = 1;
    let started = Instant::now();
    let error = bidroom::nats::connect(&config)
        .await
        .expect_err("nothing listens there");
    let waited = started.elapsed();
    let error = format!("{error:#}");
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "waited {waited:?}: {error}"
    );
    assert!(
        error.contains(&format!(
            "could not reach NATS at nats://127.0.0.1:{port} within 1 s"
        )),
        "{error}"
    );
}
