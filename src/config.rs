//! The command line (SPEC §7). Every flag also reads from the environment; every default
//! lives here.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand};

use crate::security::IdNumberKey;

#[derive(Debug, Parser)]
#[command(name = "bidroom", version, about = "A real-time auction server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Runs the server.
    Serve(ServeConfig),
}

#[derive(Clone, Debug, Args)]
pub struct ServeConfig {
    /// The address to listen on; port 0 picks a free port (the ready line says which).
    #[arg(long, env = "BIDROOM_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// `sqlite://PATH` (created if missing) or `postgres://...`, over TLS as its `sslmode`
    /// says (`require`, `verify-full` with `sslrootcert=PATH`, ...: libpq's parameters).
    #[arg(
        long,
        env = "BIDROOM_DATABASE_URL",
        default_value = "sqlite://bidroom.db",
        hide_env_values = true
    )]
    pub database_url: String,

    /// The first admin, created on start if no account has that name: `USER:PASSWORD`.
    #[arg(long, env = "BIDROOM_BOOTSTRAP_ADMIN")]
    pub bootstrap_admin: Option<Credentials>,

    /// The secret the bank signs its notifications with (HMAC-SHA256). Without it, only
    /// admins may enter bank notifications.
    #[arg(long, env = "BIDROOM_BANK_SECRET")]
    pub bank_secret: Option<String>,

    /// Browser origins, besides the server's own, that may open `/ws`.
    #[arg(
        long = "allowed-origin",
        env = "BIDROOM_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// Runs a live demo exchange: seeds an auctioneer, bidders with money and lots about to
    /// open, starts demo bidders that bid by themselves over the WebSocket, opens a new lot
    /// every couple of minutes, and prints where to click and whom to sign in as.
    #[arg(long, env = "BIDROOM_DEMO")]
    pub demo: bool,

    /// The demo's pace (not a flag: a human pace from the command line; tests set
    /// [`crate::demo::DemoTimings::quick`]).
    #[arg(skip)]
    pub demo_timings: crate::demo::DemoTimings,

    /// The bids per second one connection may send (with a short burst allowance).
    #[arg(long, env = "BIDROOM_BID_RATE_LIMIT", default_value_t = 20)]
    pub bid_rate_limit: u32,

    /// The joins per second one connection may send (with a burst of as many): each join
    /// costs a snapshot, and a join of an ended lot reads the database.
    #[arg(long, env = "BIDROOM_JOIN_RATE_LIMIT", default_value_t = 10)]
    pub join_rate_limit: u32,

    /// The bids per second one account may send across all its connections (with a short
    /// burst allowance): as many connections bid no faster than one.
    #[arg(long, env = "BIDROOM_ACCOUNT_BID_RATE_LIMIT", default_value_t = 20)]
    pub account_bid_rate_limit: u32,

    /// The WebSocket connections one account may hold at once; one more is closed with
    /// 4429 after its `auth`. 0: no cap.
    #[arg(
        long,
        env = "BIDROOM_MAX_CONNECTIONS_PER_ACCOUNT",
        default_value_t = 20
    )]
    pub max_connections_per_account: u32,

    /// The WebSocket connections one client address may hold at once; one more upgrade is
    /// refused with HTTP 429. Behind a proxy every client has the proxy's address: raise
    /// it there, or 0 for no cap.
    #[arg(
        long,
        env = "BIDROOM_MAX_CONNECTIONS_PER_ADDRESS",
        default_value_t = 1000
    )]
    pub max_connections_per_address: u32,

    /// How long a write to a WebSocket (a batch of frames and its flush) may wait for the
    /// client to take it; a member whose socket stays full longer is closed with 4408.
    #[arg(long, env = "BIDROOM_WS_WRITE_TIMEOUT_SECS", default_value_t = 10)]
    pub ws_write_timeout_secs: u64,

    /// How long a session token stays valid. A socket authenticated with it is closed
    /// (4401) when it expires.
    #[arg(long, env = "BIDROOM_SESSION_TTL_SECS", default_value_t = 24 * 60 * 60)]
    pub session_ttl_secs: u64,

    /// The key id numbers are hashed under (at least 32 characters; the same on every
    /// node and across restarts). Without it, the embedded SQLite database keeps one in a
    /// file beside it (`PATH.id-number-key`, made at the first start); PostgreSQL needs it.
    #[arg(long, env = "BIDROOM_ID_NUMBER_KEY", hide_env_values = true)]
    pub id_number_key: Option<String>,

    /// Load tests only, never in production: opens `POST /api/v1/admin/seed/bidders`, with
    /// which an admin creates bidders that are verified without any identity check, have
    /// money no bank transfer stands behind, and are approved for lots with their deposits
    /// lodged, thousands a second. Off, the route answers 404.
    #[arg(long, env = "BIDROOM_ALLOW_BULK_SEED")]
    pub allow_bulk_seed: bool,

    /// Announcements are reviewed before lots move (SPEC §11): a lot is published only
    /// with an approved `auction` announcement, and cancelled only with an approved
    /// `termination` announcement. Off (the default), announcements are optional.
    #[arg(long, env = "BIDROOM_REQUIRE_ANNOUNCEMENT_REVIEW")]
    pub require_announcement_review: bool,

    /// The exchange's time zone (an IANA name): its weeks, Monday 00:00 to Monday 00:00
    /// local time, are the weeks `GET /api/v1/stats/weekly` counts.
    #[arg(
        long,
        env = "BIDROOM_TIME_ZONE",
        value_parser = parse_time_zone,
        default_value = "Asia/Shanghai")]
    pub time_zone: chrono_tz::Tz,

    /// The longest a REST request may take, from its first byte to its answer: a client
    /// that dribbles its headers is disconnected, and one that stalls in its body or waits
    /// on a slow answer gets 408 `request_timeout`. An upgraded WebSocket is not bound by it.
    #[arg(
        long,
        env = "BIDROOM_REQUEST_TIMEOUT_SECS",
        value_parser = clap::value_parser!(u64).range(1..),
        default_value_t = 30)]
    pub request_timeout_secs: u64,

    /// Failed sign-ins one username may have within `--sign-in-window-secs` before further
    /// sign-ins to it are refused with 429 until the window ends.
    #[arg(
        long,
        env = "BIDROOM_SIGN_IN_FAILURES_PER_USERNAME",
        value_parser = clap::value_parser!(u32).range(1..),
        default_value_t = 5)]
    pub sign_in_failures_per_username: u32,

    /// Failed sign-ins one client address may have within `--sign-in-window-secs`, whatever
    /// the usernames, before its sign-ins are refused with 429 until the window ends.
    #[arg(
        long,
        env = "BIDROOM_SIGN_IN_FAILURES_PER_ADDRESS",
        value_parser = clap::value_parser!(u32).range(1..),
        default_value_t = 20)]
    pub sign_in_failures_per_address: u32,

    /// The window sign-in failures are counted in, from the first failure.
    #[arg(
        long,
        env = "BIDROOM_SIGN_IN_WINDOW_SECS",
        value_parser = clap::value_parser!(u64).range(1..),
        default_value_t = 5 * 60)]
    pub sign_in_window_secs: u64,

    /// Runs this server as one node of an exchange (SPEC §10): nodes share the PostgreSQL
    /// database and a NATS server, any node takes any client, and each open room runs on
    /// the node that holds its lease. Needs a `postgres://` database and `--node-id`.
    #[arg(long, env = "BIDROOM_CLUSTER", requires = "node_id")]
    pub cluster: bool,

    /// This node's name in the cluster: unique among the nodes, kept across restarts
    /// (`GET /api/v1/cluster` lists nodes by it). Without `--cluster` a server names itself.
    #[arg(long, env = "BIDROOM_NODE_ID", value_parser = parse_node_id)]
    pub node_id: Option<String>,

    /// The NATS server the nodes send each other bids and room events through: `nats://`
    /// (TLS if the server asks for it) or `tls://` (TLS or no connection), several separated
    /// by commas for a NATS cluster; `USER:PASSWORD@` or `TOKEN@` before the host
    /// authenticates.
    #[arg(
        long,
        env = "BIDROOM_NATS_URL",
        default_value = "nats://127.0.0.1:4222",
        hide_env_values = true
    )]
    pub nats_url: String,

    /// The root certificates (PEM) the NATS server's certificate must chain to, instead of
    /// the system's. Given, the connection to NATS is TLS or none, whatever the URL says.
    #[arg(long, env = "BIDROOM_NATS_CA_FILE")]
    pub nats_ca_file: Option<PathBuf>,

    /// This node's certificate (PEM) for a NATS server that asks clients for one (mutual
    /// TLS); with `--nats-client-key`. Given, the connection to NATS is TLS or none.
    #[arg(long, env = "BIDROOM_NATS_CLIENT_CERT", requires = "nats_client_key")]
    pub nats_client_cert: Option<PathBuf>,

    /// The private key (PEM) of `--nats-client-cert`.
    #[arg(long, env = "BIDROOM_NATS_CLIENT_KEY", requires = "nats_client_cert")]
    pub nats_client_key: Option<PathBuf>,

    /// How long a node starting keeps trying to reach NATS (which may be starting too)
    /// before it gives up with the last error. A refused certificate or password is not
    /// retried. Once connected, a lost connection is retried for as long as it takes.
    #[arg(
        long,
        env = "BIDROOM_NATS_CONNECT_TIMEOUT_SECS",
        value_parser = clap::value_parser!(u64).range(1..),
        default_value_t = 30)]
    pub nats_connect_timeout_secs: u64,

    /// The exchange's name on NATS: every subject its nodes use starts with it, so that
    /// exchanges (or test runs) sharing one NATS server never hear each other.
    #[arg(long, env = "BIDROOM_CLUSTER_NAME", default_value = "bidroom", value_parser = parse_node_id)]
    pub cluster_name: String,

    /// How long a room's lease lasts unless its owner renews it (every third of it): a node
    /// that dies has its rooms taken by another within about this long.
    #[arg(
        long,
        env = "BIDROOM_LEASE_TTL_MS",
        value_parser = clap::value_parser!(u64).range(300..),
        default_value_t = 3000)]
    pub lease_ttl_ms: u64,

    /// How log lines are written: `text` for people, `json` (one object a line, with the
    /// request or connection id of each) for a log pipeline.
    #[arg(long, env = "BIDROOM_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How log lines are written (`--log-format`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl ServeConfig {
    pub fn request_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.request_timeout_secs)
    }

    pub fn nats_connect_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.nats_connect_timeout_secs)
    }

    /// The key id numbers are hashed under: configured, or kept beside the SQLite database.
    pub fn resolve_id_number_key(&self) -> anyhow::Result<IdNumberKey> {
        if let Some(key) = &self.id_number_key {
            return IdNumberKey::configured(key);
        }
        let Some(location) = self.database_url.strip_prefix("sqlite:") else {
            anyhow::bail!(
                "a PostgreSQL database needs --id-number-key (BIDROOM_ID_NUMBER_KEY): the key id numbers are hashed under, kept apart from the database"
            );
        };
        let path = location.trim_start_matches("//");
        let path = path.split_once('?').map_or(path, |(path, _)| path);
        if path.is_empty() || path.starts_with(':') {
            // `sqlite::memory:`: the database, and so its hashes, end with the process.
            return Ok(IdNumberKey::ephemeral());
        }
        IdNumberKey::kept_in(std::path::Path::new(&format!("{path}.id-number-key")))
    }

    /// The configuration tests and tools start from: port 0, the given database.
    pub fn for_tests(database_url: impl Into<String>) -> ServeConfig {
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.into(),
            bootstrap_admin: None,
            bank_secret: None,
            allowed_origins: Vec::new(),
            demo: false,
            demo_timings: crate::demo::DemoTimings::default(),
            bid_rate_limit: 20,
            join_rate_limit: 10,
            account_bid_rate_limit: 20,
            max_connections_per_account: 20,
            max_connections_per_address: 1000,
            ws_write_timeout_secs: 10,
            session_ttl_secs: 24 * 60 * 60,
            id_number_key: None,
            allow_bulk_seed: false,
            require_announcement_review: false,
            time_zone: chrono_tz::Asia::Shanghai,
            request_timeout_secs: 30,
            sign_in_failures_per_username: 5,
            sign_in_failures_per_address: 20,
            sign_in_window_secs: 5 * 60,
            log_format: LogFormat::Text,
            cluster: false,
            cluster_name: "bidroom".to_owned(),
            node_id: None,
            nats_url: "nats://127.0.0.1:4222".to_owned(),
            nats_ca_file: None,
            nats_client_cert: None,
            nats_client_key: None,
            nats_connect_timeout_secs: 30,
            lease_ttl_ms: 3000,
        }
    }
}

/// A node id: 1 to 64 letters, digits, `-`, `_` or `.` (it names NATS subjects and log lines).
fn parse_node_id(text: &str) -> Result<String, String> {
    let valid = (1..=64).contains(&text.len())
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.'));
    if valid {
        Ok(text.to_owned())
    } else {
        Err("expected 1 to 64 letters, digits, '-', '_' or '.'".to_owned())
    }
}

/// An IANA time zone name, such as `Asia/Shanghai` or `Europe/Berlin`.
fn parse_time_zone(text: &str) -> Result<chrono_tz::Tz, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not an IANA time zone name such as Asia/Shanghai"))
}

/// `USER:PASSWORD`.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl FromStr for Credentials {
    type Err = String;

    fn from_str(text: &str) -> Result<Credentials, String> {
        match text.split_once(':') {
            Some((username, password)) if !username.is_empty() && !password.is_empty() => {
                Ok(Credentials {
                    username: username.to_owned(),
                    password: password.to_owned(),
                })
            }
            _ => Err("expected USER:PASSWORD".to_owned()),
        }
    }
}
