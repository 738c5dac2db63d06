//! The integration-test harness: the real server on port 0 against a fresh database
//! (a SQLite file in a temporary directory, or a new PostgreSQL database dropped after).
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use bidroom::config::{Credentials, ServeConfig};
use bidroom::server::{RunningServer, start};
use reqwest::StatusCode;
use serde_json::Value;

pub const ADMIN_USERNAME: &str = "admin";
pub const ADMIN_PASSWORD: &str = "admin-password-1";
pub const BANK_SECRET: &str = "test-bank-secret";

/// Which database a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs a test body once against SQLite and once against PostgreSQL:
/// `on_both_databases!(a_test_name, body_fn);` with `async fn body_fn(db: Db)`.
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $body:path) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                $body($crate::common::Db::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                $body($crate::common::Db::Postgres).await
            }
        }
    };
}

/// A database made for one test and removed after it.
pub enum TestDatabase {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

/// The PostgreSQL server tests use; CI fails, not skips, when it cannot be reached.
pub fn postgres_admin_url() -> String {
    std::env::var("BIDROOM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestDatabase {
    pub async fn create(db: Db) -> TestDatabase {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}", dir.path().join("bidroom.db").display());
                TestDatabase::Sqlite { _dir: dir, url }
            }
            Db::Postgres => {
                static COUNTER: AtomicU32 = AtomicU32::new(0);
                let name = format!(
                    "bidroom_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    rand_suffix()
                );
                let admin_url = postgres_admin_url();
                let mut connection = connect_postgres(&admin_url).await;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut connection)
                    .await
                    .expect("create the test database");
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base.to_owned())
                    .unwrap_or(admin_url.clone());
                let url = format!("{base}/{name}");
                TestDatabase::Postgres {
                    admin_url,
                    name,
                    url,
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. } | TestDatabase::Postgres { url, .. } => url,
        }
    }
}

fn rand_suffix() -> u32 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos()
}

async fn connect_postgres(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|error| panic!("PostgreSQL must be running for the tests ({url}): {error}"))
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres {
            admin_url, name, ..
        } = self
        {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            let database = name.clone();
            // Drop runs inside the test's runtime, which cannot block on itself: drop the
            // database from a thread with a runtime of its own.
            let dropped = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    let mut connection = connect_postgres(&admin_url).await;
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                        .execute(&mut connection)
                        .await
                })
            })
            .join();
            if !matches!(dropped, Ok(Ok(_))) {
                eprintln!("could not drop the test database {name}");
            }
        }
    }
}

/// The config tests start the server with: port 0, a bootstrap admin, a bank secret, and a
/// bid rate limit high enough for scripted bursts.
pub fn test_config(database_url: &str) -> ServeConfig {
    let mut config = ServeConfig::for_tests(database_url);
    config.bootstrap_admin = Some(Credentials {
        username: ADMIN_USERNAME.to_owned(),
        password: ADMIN_PASSWORD.to_owned(),
    });
    config.bank_secret = Some(BANK_SECRET.to_owned());
    config.bid_rate_limit = 1000;
    config
}

/// The real server in this process, on port 0, against a fresh database.
pub struct TestApp {
    pub server: Option<RunningServer>,
    pub base_url: String,
    pub ws_url: String,
    pub http: reqwest::Client,
    // Declared last: dropped after the server has stopped.
    pub database: TestDatabase,
}

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        let database = TestDatabase::create(db).await;
        TestApp::spawn_on(database, |config| config).await
    }

    /// Starts the server on an existing test database with a changed config.
    pub async fn spawn_on(
        database: TestDatabase,
        change: impl FnOnce(ServeConfig) -> ServeConfig,
    ) -> TestApp {
        let config = change(test_config(database.url()));
        let server = start(config).await.expect("the server starts");
        let address = server.local_addr;
        TestApp {
            server: Some(server),
            base_url: format!("http://{address}/api/v1"),
            ws_url: format!("ws://{address}/ws"),
            http: reqwest::Client::new(),
            database,
        }
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("the server stops cleanly");
        }
    }

    /// Sends a request and returns the status and the JSON body (`Value::Null` if empty).
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{}", self.base_url, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .expect("the request reaches the server");
        let status = response.status();
        let text = response.text().await.expect("a response body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, body)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.request(reqwest::Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        self.request(reqwest::Method::POST, path, token, Some(body))
            .await
    }
}
