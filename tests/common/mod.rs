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
/// The id-number key of test servers (a PostgreSQL database needs one configured).
pub const ID_NUMBER_KEY: &str = "test-id-number-key-of-at-least-32-characters";

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

/// The config tests start the server with: port 0, a bootstrap admin, a bank secret, and
/// bid rate limits (per connection and per account) high enough for scripted bursts.
pub fn test_config(database_url: &str) -> ServeConfig {
    let mut config = ServeConfig::for_tests(database_url);
    config.bootstrap_admin = Some(Credentials {
        username: ADMIN_USERNAME.to_owned(),
        password: ADMIN_PASSWORD.to_owned(),
    });
    config.bank_secret = Some(BANK_SECRET.to_owned());
    config.id_number_key = Some(ID_NUMBER_KEY.to_owned());
    config.bid_rate_limit = 1000;
    config.account_bid_rate_limit = 1000;
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

    /// Stops the server and hands back its database, for a restart on it.
    pub async fn stop_keeping_database(mut self) -> TestDatabase {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("the server stops cleanly");
        }
        self.database
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

// ---------------------------------------------------------------------------------------
// Fixtures: accounts, lots and applications in one call each. Every helper asserts the
// status it expects and panics with the server's answer otherwise.
// ---------------------------------------------------------------------------------------

/// The password every fixture account signs up with.
pub const PASSWORD: &str = "password-123";

/// A valid PRC resident id (its check digit is right), for verifications.
pub const RESIDENT_ID: &str = "11010519491231002X";

/// A valid unified social credit code (its check character is right), for organisations.
pub const CREDIT_CODE: &str = "9144030071526726XG";

/// The name [`TestApp::verify`] gives a person.
pub const VERIFIED_NAME: &str = "张三";

/// The name [`TestApp::verify_organisation`] gives an organisation.
pub const ORGANISATION_NAME: &str = "长沙星城置业有限公司（分公司）";

/// A signed-in account made by a fixture.
#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub token: String,
}

/// A bidder registered for a lot: verified, applied, approved.
#[derive(Clone, Debug)]
pub struct RegisteredBidder {
    pub user: User,
    pub application_id: i64,
    pub bidder_number: String,
}

/// RFC 3339 for `secs` seconds from now (negative: in the past).
pub fn in_secs(secs: i64) -> String {
    rfc3339_after_ms(secs * 1000)
}

/// RFC 3339 for `ms` milliseconds from now.
pub fn rfc3339_after_ms(ms: i64) -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    bidroom::time_format::to_rfc3339(now_ms + ms)
}

/// The body of a valid lot: starting in 3 s (applications and deposits close then), ending
/// 60 s after the start, start price 1000.00, increment 100.00, fixed deposit 200.00, fee
/// 1%, no reserve, extension window 10 s. `overrides` (a JSON object) replaces fields; a
/// `null` removes one. When `starts_at` is overridden, the application and deposit
/// deadlines default to it and `ends_at` to 60 s after it.
pub fn lot_body(overrides: Value) -> Value {
    let starts_at = overrides
        .get("starts_at")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| in_secs(3));
    let starts_at_ms = bidroom::time_format::parse_rfc3339(&starts_at).expect("an RFC 3339 time");
    let mut body = serde_json::json!({
        "title": "Land-use right, plot 7",
        "description": "A test lot",
        "currency": "CNY",
        "start_price": "1000.00",
        "increment": "100.00",
        "deposit": { "kind": "fixed", "amount": "200.00" },
        "fee_rate": "0.01",
        "applications_close_at": starts_at,
        "deposit_deadline": starts_at,
        "starts_at": starts_at,
        "ends_at": bidroom::time_format::to_rfc3339(starts_at_ms + 60_000),
        "extension_window_secs": 10,
        "extension_mode": "reset",
    });
    let fields = body.as_object_mut().unwrap();
    for (key, value) in overrides.as_object().expect("overrides are a JSON object") {
        if value.is_null() {
            fields.remove(key);
        } else {
            fields.insert(key.clone(), value.clone());
        }
    }
    body
}

fn expect(status: StatusCode, body: &Value, wanted: u16, what: &str) {
    assert_eq!(status.as_u16(), wanted, "{what}: {body}");
}

impl TestApp {
    /// Signs in and returns the session token.
    pub async fn sign_in(&self, username: &str, password: &str) -> String {
        let (status, body) = self
            .post(
                "/sessions",
                None,
                serde_json::json!({ "username": username, "password": password }),
            )
            .await;
        expect(status, &body, 200, "sign in");
        body["token"].as_str().unwrap().to_owned()
    }

    /// The bootstrap admin's token.
    pub async fn admin_token(&self) -> String {
        self.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD).await
    }

    /// Creates an account (as `creator`, or anonymously for a bidder) and signs it in.
    pub async fn create_user(&self, creator: Option<&str>, username: &str, role: &str) -> User {
        let (status, body) = self
            .post(
                "/accounts",
                creator,
                serde_json::json!({
                    "username": username,
                    "password": PASSWORD,
                    "display_name": format!("{username} (display)"),
                    "role": role,
                }),
            )
            .await;
        expect(status, &body, 201, "create an account");
        User {
            id: body["id"].as_i64().unwrap(),
            username: username.to_owned(),
            token: self.sign_in(username, PASSWORD).await,
        }
    }

    /// A new bidder that signed itself up (not verified).
    pub async fn signup_bidder(&self, username: &str) -> User {
        self.create_user(None, username, "bidder").await
    }

    /// Real-name verifies the account (as the admin) with [`RESIDENT_ID`].
    pub async fn verify(&self, account_id: i64) {
        let admin = self.admin_token().await;
        let (status, body) = self
            .post(
                &format!("/accounts/{account_id}/verification"),
                Some(&admin),
                serde_json::json!({ "real_name": VERIFIED_NAME, "id_number": RESIDENT_ID }),
            )
            .await;
        expect(status, &body, 200, "verify an account");
    }

    /// A new organisation bidder that signed itself up (not verified).
    pub async fn signup_organisation(&self, username: &str) -> User {
        let (status, body) = self
            .post(
                "/accounts",
                None,
                serde_json::json!({
                    "username": username,
                    "password": PASSWORD,
                    "display_name": format!("{username} (display)"),
                    "kind": "organisation",
                }),
            )
            .await;
        expect(status, &body, 201, "sign up an organisation");
        assert_eq!(body["kind"], "organisation");
        User {
            id: body["id"].as_i64().unwrap(),
            username: username.to_owned(),
            token: self.sign_in(username, PASSWORD).await,
        }
    }

    /// Verifies the organisation (as the admin) as [`ORGANISATION_NAME`] with
    /// [`CREDIT_CODE`].
    pub async fn verify_organisation(&self, account_id: i64) {
        let admin = self.admin_token().await;
        let (status, body) = self
            .post(
                &format!("/accounts/{account_id}/verification"),
                Some(&admin),
                serde_json::json!({ "real_name": ORGANISATION_NAME, "id_number": CREDIT_CODE }),
            )
            .await;
        expect(status, &body, 200, "verify an organisation");
    }

    /// A new bidder, verified.
    pub async fn signup_verified_bidder(&self, username: &str) -> User {
        let user = self.signup_bidder(username).await;
        self.verify(user.id).await;
        user
    }

    /// A new auctioneer, created by the admin.
    pub async fn create_auctioneer(&self, username: &str) -> User {
        let admin = self.admin_token().await;
        self.create_user(Some(&admin), username, "auctioneer").await
    }

    /// Creates a draft lot from [`lot_body`]`(overrides)` and returns its JSON.
    pub async fn create_lot(&self, token: &str, overrides: Value) -> Value {
        let (status, body) = self.post("/lots", Some(token), lot_body(overrides)).await;
        expect(status, &body, 201, "create a lot");
        body
    }

    /// Publishes a draft lot.
    pub async fn publish(&self, token: &str, lot_id: i64) {
        let (status, body) = self
            .post(&format!("/lots/{lot_id}/publish"), Some(token), Value::Null)
            .await;
        expect(status, &body, 200, "publish a lot");
    }

    /// Creates and publishes a lot; returns its id.
    pub async fn published_lot(&self, auctioneer_token: &str, overrides: Value) -> i64 {
        let lot = self.create_lot(auctioneer_token, overrides).await;
        let lot_id = lot["id"].as_i64().unwrap();
        self.publish(auctioneer_token, lot_id).await;
        lot_id
    }

    /// Applies for a lot; returns the application id.
    pub async fn apply(&self, token: &str, lot_id: i64) -> i64 {
        let (status, body) = self
            .post(
                &format!("/lots/{lot_id}/applications"),
                Some(token),
                Value::Null,
            )
            .await;
        expect(status, &body, 201, "apply for a lot");
        body["id"].as_i64().unwrap()
    }

    /// Approves an application; returns the bidder number.
    pub async fn approve(
        &self,
        token: &str,
        application_id: i64,
        priority_rank: Option<u32>,
    ) -> String {
        let (status, body) = self
            .post(
                &format!("/applications/{application_id}/approve"),
                Some(token),
                serde_json::json!({ "priority_rank": priority_rank }),
            )
            .await;
        expect(status, &body, 200, "approve an application");
        body["bidder_number"].as_str().unwrap().to_owned()
    }

    /// A new verified bidder, applied for the lot and approved by `auctioneer_token`
    /// (the deposit is still to lodge).
    pub async fn registered_bidder(
        &self,
        auctioneer_token: &str,
        lot_id: i64,
        username: &str,
    ) -> RegisteredBidder {
        let user = self.signup_verified_bidder(username).await;
        let application_id = self.apply(&user.token, lot_id).await;
        let bidder_number = self.approve(auctioneer_token, application_id, None).await;
        RegisteredBidder {
            user,
            application_id,
            bidder_number,
        }
    }
}
pub mod exchange;
pub mod money;
pub mod process;
pub mod tls;
pub mod ws;
