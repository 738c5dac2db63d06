//! The load tester against an `https://` server: bidroom serves plain HTTP, and in a
//! deployment a proxy terminates TLS in front of it; here the proxy is this test's own
//! (tokio-rustls, with a certificate from a CA made in the test) in front of a real bidroom
//! server started in the test process (port 0, a SQLite file, bulk seeding on).
//!
//! A short `many-rooms` run through the proxy, with `--ca-file`, passes every check, and
//! every one of its WebSocket connections and its REST client went through TLS (the proxy
//! counts its handshakes); without `--ca-file` the run stops at once with a certificate
//! error.

#[path = "../../tests/common/tls.rs"]
mod test_ca;

use std::net::SocketAddr;
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bidroom::config::{Credentials, ServeConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};

use test_ca::TestCa;

const ADMIN_USERNAME: &str = "admin";
const ADMIN_PASSWORD: &str = "tls-admin-password";
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

async fn server(directory: &tempfile::TempDir) -> bidroom::server::RunningServer {
    let database = directory.path().join("tls.db");
    let mut config = ServeConfig::for_tests(format!("sqlite://{}", database.display()));
    config.bootstrap_admin = Some(Credentials {
        username: ADMIN_USERNAME.to_owned(),
        password: ADMIN_PASSWORD.to_owned(),
    });
    config.bid_rate_limit = 100_000;
    config.account_bid_rate_limit = 100_000;
    config.max_connections_per_account = 0;
    config.max_connections_per_address = 0;
    config.allow_bulk_seed = true;
    bidroom::server::start(config)
        .await
        .expect("the server starts")
}

/// A TLS-terminating proxy on 127.0.0.1: each connection's TLS is taken off and its bytes
/// are carried to `upstream` and back, as nginx or a cloud load balancer would.
struct Proxy {
    address: SocketAddr,
    handshakes: Arc<AtomicUsize>,
    refused: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(ca: &TestCa, upstream: SocketAddr) -> Proxy {
        let issued = ca.issue_server("proxy");
        let chain = vec![
            CertificateDer::from_pem_slice(issued.certificate_pem.as_bytes())
                .expect("the proxy's certificate"),
        ];
        let key = PrivateKeyDer::from_pem_slice(issued.key_pem.as_bytes()).expect("its key");
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("a TLS server configuration");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let handshakes = Arc::new(AtomicUsize::new(0));
        let refused = Arc::new(AtomicUsize::new(0));
        let (counted, refusals) = (handshakes.clone(), refused.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                let (counted, refusals) = (counted.clone(), refusals.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(client).await else {
                        refusals.fetch_add(1, Ordering::Relaxed);
                        return;
                    };
                    counted.fetch_add(1, Ordering::Relaxed);
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = server.set_nodelay(true);
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut server).await;
                });
            }
        });
        Proxy {
            address,
            handshakes,
            refused,
            task,
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn load_test(args: &[&str]) -> (Output, Option<Value>) {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let report_path = directory.path().join("report.json");
    let admin = format!("{ADMIN_USERNAME}:{ADMIN_PASSWORD}");
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_bidroom-loadtest"));
    command
        .args(["--quiet", "--admin", &admin, "--json"])
        .arg(&report_path)
        .args(args)
        .kill_on_drop(true);
    let output = tokio::time::timeout(RUN_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("bidroom-loadtest {args:?} ran over {RUN_TIMEOUT:?}"))
        .expect("bidroom-loadtest runs");
    let report = std::fs::read_to_string(&report_path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    (output, report)
}

fn said(output: &Output) -> String {
    format!(
        "exited {}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn count(report: &Value, pointer: &str) -> u64 {
    report
        .pointer(pointer)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{pointer} in {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_many_rooms_run_goes_through_a_tls_proxy_with_the_proxys_ca() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let running = server(&directory).await;
    let ca = TestCa::new("bidroom test proxy CA");
    let proxy = Proxy::start(&ca, running.local_addr).await;
    // `localhost`, a name the proxy's certificate carries, as a deployment's host name.
    let url = format!("https://localhost:{}", proxy.address.port());
    let root = ca.root_file.to_str().unwrap().to_owned();

    let (rooms, bidders, watchers) = (2, 2, 2);
    let (output, report) = load_test(&[
        "--server",
        &url,
        "--ca-file",
        &root,
        "many-rooms",
        "--rooms",
        &rooms.to_string(),
        "--bidders",
        &bidders.to_string(),
        "--watchers",
        &watchers.to_string(),
        "--duration-secs",
        "2",
        "--rate",
        "100",
    ])
    .await;
    assert!(output.status.success(), "{}", said(&output));
    let report = report.unwrap_or_else(|| panic!("a report: {}", said(&output)));
    for check in report["checks"].as_array().expect("checks") {
        assert_eq!(check["passed"], true, "check failed: {check}");
    }
    assert!(count(&report, "/bids/accepted") > 0, "{report}");
    assert!(count(&report, "/deliveries") > 0, "{report}");

    let websockets = rooms * (bidders + watchers);
    let handshakes = proxy.handshakes.load(Ordering::Relaxed);
    assert!(
        handshakes > websockets,
        "every WebSocket ({websockets}) and the REST client came through TLS: {handshakes} handshakes"
    );
    assert_eq!(proxy.refused.load(Ordering::Relaxed), 0);
    running.stop().await.expect("the server stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_ca_file_the_proxys_certificate_is_refused() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let running = server(&directory).await;
    let ca = TestCa::new("bidroom test proxy CA");
    let proxy = Proxy::start(&ca, running.local_addr).await;
    let url = format!("https://localhost:{}", proxy.address.port());

    let (output, _) = load_test(&["--server", &url, "many-rooms", "--rooms", "1"]).await;
    let said = said(&output);
    assert_eq!(output.status.code(), Some(2), "{said}");
    assert!(said.contains("UnknownIssuer"), "{said}");
    assert_eq!(proxy.handshakes.load(Ordering::Relaxed), 0, "{said}");
    assert!(proxy.refused.load(Ordering::Relaxed) > 0, "{said}");
    running.stop().await.expect("the server stops");
}
