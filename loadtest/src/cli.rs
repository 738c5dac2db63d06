//! The command line: where the server is, how to reach it, and which scenario to run.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::wire::Encoding;

#[derive(Debug, Parser)]
#[command(
    name = "bidroom-loadtest",
    version,
    about = "Drives real WebSocket bidders and watchers against a running bidroom server"
)]
pub struct Cli {
    /// The server's root URL: `http://`, or `https://` for a server behind a TLS proxy (its
    /// WebSocket is then `wss://`). Several, comma separated: the nodes of one exchange
    /// (`--cluster`); the setup goes to the first, and connections are spread over all.
    #[arg(
        long,
        env = "BIDROOM_LOADTEST_SERVER",
        default_value = "http://127.0.0.1:8080"
    )]
    pub server: String,

    /// The root certificates (PEM) an `https://` server's certificate must chain to (a
    /// private CA); without it, the system's.
    #[arg(long, env = "BIDROOM_LOADTEST_CA_FILE")]
    pub ca_file: Option<PathBuf>,

    /// An admin's `USER:PASSWORD` (the server's `--bootstrap-admin`).
    #[arg(
        long,
        env = "BIDROOM_LOADTEST_ADMIN",
        default_value = "admin:admin-password"
    )]
    pub admin: String,

    /// The WebSocket encoding every connection uses.
    #[arg(long, value_enum, default_value = "json")]
    pub encoding: Encoding,

    /// Writes the report as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,

    /// Writes a chart of throughput and latency over time (SVG) to this file.
    #[arg(long)]
    pub chart: Option<PathBuf>,

    /// The server's process id, to report its memory (VmRSS from /proc/PID/status).
    #[arg(long)]
    pub server_pid: Option<u32>,

    /// Worker threads of the load generator (it shares the machine with the server).
    #[arg(long, default_value_t = 2)]
    pub threads: usize,

    /// REST requests in flight at once while setting up the exchange.
    #[arg(long, default_value_t = 16)]
    pub setup_concurrency: usize,

    /// WebSocket connections being opened at once.
    #[arg(long, default_value_t = 64)]
    pub connect_concurrency: usize,

    /// The prefix of the accounts the run creates; a later run with the same prefix
    /// reuses them (only signing in again). Default: a fresh random prefix.
    #[arg(long)]
    pub account_prefix: Option<String>,

    /// How the run's bidders are made: `auto` seeds them in bulk when the server takes it
    /// (`bidroom serve --allow-bulk-seed`) and the accounts are new, else goes through the
    /// public API; `bulk-seed` insists on seeding; `public-api` never seeds.
    #[arg(long, value_enum, default_value = "auto")]
    pub setup: SetupPath,

    /// Seconds from publishing the lots to their opening. Default: estimated from how fast
    /// the server set up the accounts, so that every registration and connection is ready.
    #[arg(long)]
    pub open_delay_secs: Option<u64>,

    /// No progress line on stderr.
    #[arg(long)]
    pub quiet: bool,

    /// The server is the ceiling's bare relay (`bidroom-loadtest relay`), not bidroom: the
    /// rooms are asked of it and its bidders made up, instead of set up through the REST
    /// API (`--admin` and `--setup` are not used). `ceiling many-rooms` and `ceiling
    /// hot-room` run the scenarios this way.
    #[arg(long)]
    pub bare_relay: bool,

    #[command(subcommand)]
    pub scenario: Scenario,
}

/// How a run's bidders are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SetupPath {
    Auto,
    BulkSeed,
    PublicApi,
}

#[derive(Debug, Subcommand)]
pub enum Scenario {
    /// Many rooms at once, a few competing bidders and ~10 watchers in each.
    ManyRooms(ManyRooms),
    /// One room with many bidders and many watchers.
    HotRoom(HotRoom),
    /// Many idle authenticated connections; server memory per connection.
    Connections(Connections),
    /// Many rooms whose deadlines fall in the same second, late bids racing the close.
    ClosingStorm(ClosingStorm),
    /// No bidroom at all: a bare tokio-tungstenite server in this process on 127.0.0.1:0,
    /// ping-pong and broadcast against it, the ceiling bidroom's figures are a ratio of.
    /// With a scenario (`ceiling many-rooms ...`, `ceiling hot-room ...`): that scenario
    /// against the bare relay and against bidroom, each in a server process of its own,
    /// and bidroom's figures as a ratio of the relay's.
    Ceiling(Ceiling),
    /// The bare relay: bidroom's WebSocket protocol for the bidding scenarios with no
    /// journal, no database and no rules but "too low", listening until it is stopped
    /// (what `ceiling many-rooms` and `ceiling hot-room` start).
    Relay(Relay),
    /// Crash safety: starts its own server (or, `--nodes`, the nodes of one exchange),
    /// SIGKILLs and restarts it (the node holding the most rooms) at seeded random moments
    /// while bidders bid and resend, then checks the server's own results (`--server` is
    /// not used; `--admin` becomes the server's `--bootstrap-admin`).
    Chaos(Chaos),
}

/// How bidders bid, shared by the bidding scenarios.
#[derive(Clone, Debug, Args)]
pub struct Bidding {
    /// Bids per second offered by all bidders together (open loop: sent on schedule,
    /// latency measured from the intended send time). Without it, closed loop: each
    /// bidder sends its next bid when the last one is answered.
    #[arg(long)]
    pub rate: Option<f64>,

    /// What each bidder bids.
    #[arg(long, value_enum, default_value = "min-next")]
    pub strategy: Strategy,

    /// Closed loop: a bidder's pause after each answer.
    #[arg(long, default_value_t = 0)]
    pub think_ms: u64,

    /// Seconds of bidding (the lots' initial deadline is this long after their opening).
    #[arg(long, default_value_t = 10)]
    pub duration_secs: u64,

    /// The lots' anti-sniping window W; a room closes W after the last bid.
    #[arg(long, default_value_t = 1)]
    pub extension_secs: u32,

    /// Distinct bidder accounts; each room's bidders are drawn from them, so an account
    /// bids in many rooms (as on a real exchange). Default: the bidders of one room.
    #[arg(long)]
    pub bidder_accounts: Option<usize>,
}

/// How a bidder picks its amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// The room's `min_next` as this bidder last heard it: bidders compete as people do,
    /// and in a busy room most bids lose the race to an equal one (`too_low`).
    MinNext,
    /// The room's bidders climb one shared ladder: each bid claims the next rung above
    /// every bid any of them sent, so nearly every bid is accepted (the server's capacity
    /// for accepted bids, not for refusals).
    Ladder,
}

#[derive(Clone, Debug, Args)]
pub struct ManyRooms {
    #[arg(long, default_value_t = 100)]
    pub rooms: usize,
    /// Bidders in each room.
    #[arg(long, default_value_t = 5)]
    pub bidders: usize,
    /// Watchers in each room.
    #[arg(long, default_value_t = 10)]
    pub watchers: usize,
    #[command(flatten)]
    pub bidding: Bidding,
}

#[derive(Clone, Debug, Args)]
pub struct HotRoom {
    #[arg(long, default_value_t = 1000)]
    pub bidders: usize,
    #[arg(long, default_value_t = 1000)]
    pub watchers: usize,
    #[command(flatten)]
    pub bidding: Bidding,
}

#[derive(Clone, Debug, Args)]
pub struct Connections {
    #[arg(long, default_value_t = 5000)]
    pub connections: usize,
    /// Seconds to hold every connection open once all are up.
    #[arg(long, default_value_t = 10)]
    pub hold_secs: u64,
    /// Also join each connection to a room (an idle watcher rather than a bare session).
    #[arg(long)]
    pub join: bool,
}

#[derive(Clone, Debug, Args)]
pub struct ClosingStorm {
    #[arg(long, default_value_t = 100)]
    pub rooms: usize,
    /// Bidders in each room.
    #[arg(long, default_value_t = 5)]
    pub bidders: usize,
    /// Watchers in each room.
    #[arg(long, default_value_t = 2)]
    pub watchers: usize,
    /// Seconds bidders keep bidding after the common deadline (every such bid must be
    /// refused with `not_open`).
    #[arg(long, default_value_t = 1)]
    pub late_secs: u64,
    #[command(flatten)]
    pub bidding: Bidding,
}

impl Cli {
    pub fn admin_credentials(&self) -> anyhow::Result<(&str, &str)> {
        self.admin
            .split_once(':')
            .filter(|(user, password)| !user.is_empty() && !password.is_empty())
            .ok_or_else(|| anyhow::anyhow!("--admin is USER:PASSWORD"))
    }
}

#[derive(Clone, Debug, Args)]
pub struct Ceiling {
    /// Ping-pong connections, one message in flight on each.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Broadcast receivers.
    #[arg(long, default_value_t = 1000)]
    pub receivers: usize,
    /// Messages per second the broadcast sender offers; each goes to every receiver.
    #[arg(long, default_value_t = 2000.0)]
    pub broadcast_rate: f64,
    /// Seconds of each measurement.
    #[arg(long, default_value_t = 5.0)]
    pub duration_secs: f64,
    /// Bytes of each message (a bid event is about 200).
    #[arg(long, default_value_t = 200)]
    pub message_bytes: usize,
    /// Worker threads of the bare server's runtime (bidroom uses one per core).
    #[arg(long, default_value_t = 2)]
    pub server_threads: usize,

    /// A scenario to measure against the bare relay and against bidroom (the flags above
    /// are then not used; the ones below are).
    #[command(subcommand)]
    pub shape: Option<Shaped>,

    /// Shaped runs: bidroom's binary and database, and the cores of either server (the
    /// relay runs on `--server-cpus` too).
    #[command(flatten)]
    pub server: OwnServer,

    /// Shaped runs: the cores the load generator runs on, `taskset -c CPUS`.
    #[arg(long)]
    pub client_cpus: Option<String>,

    /// Shaped runs: then bidroom once more, open loop at half the accepted-bid rate it
    /// reached, for its latency below saturation.
    #[arg(long)]
    pub half_rate: bool,

    /// Shaped runs: relay and bidroom this many times each, alternately (relay first);
    /// the ratio is of the medians.
    #[arg(long, default_value_t = 1)]
    pub rounds: usize,

    /// Shaped runs: where the servers' logs and the runs' JSON reports go. Default: a
    /// temporary directory, removed after.
    #[arg(long)]
    pub work_dir: Option<PathBuf>,
}

/// A scenario the ceiling measures against the bare relay and bidroom alike.
#[derive(Clone, Debug, Subcommand)]
pub enum Shaped {
    /// Many rooms at once, a few competing bidders and ~10 watchers in each.
    ManyRooms(ManyRooms),
    /// One room with many bidders and many watchers.
    HotRoom(HotRoom),
}

#[derive(Clone, Debug, Args)]
pub struct Relay {
    /// Where the relay listens (port 0: any free port; it prints the one it took).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
}

/// A bidroom server a run starts itself, and its database.
#[derive(Clone, Debug, Args)]
pub struct OwnServer {
    /// The bidroom binary to start. Default: `bidroom` beside this executable
    /// (`target/<profile>/`).
    #[arg(long)]
    pub server_bin: Option<PathBuf>,

    /// The database the server runs on: `sqlite://PATH` or `postgres://...`, used as it
    /// is. Default: a SQLite file in a temporary directory.
    #[arg(long)]
    pub database_url: Option<String>,

    /// PostgreSQL: create a fresh database on the server `--database-url` points to (the
    /// URL's own database is only connected to for that), run on it, and drop it after.
    #[arg(long, requires = "database_url")]
    pub fresh_database: bool,

    /// Run the server under `taskset -c CPUS` (e.g. `0`), to keep it off the load tester's
    /// cores.
    #[arg(long)]
    pub server_cpus: Option<String>,
}

#[derive(Clone, Debug, Args)]
pub struct Chaos {
    /// The server's binary, database (counts are taken relative to what it holds at the
    /// start) and cores.
    #[command(flatten)]
    pub server: OwnServer,

    /// The server's `--id-number-key` (the same at every restart).
    #[arg(
        long,
        default_value = "bidroom-chaos-id-number-key-for-load-tests-only"
    )]
    pub id_number_key: String,

    /// Appends everything the server prints to this file (default: a file in a temporary
    /// directory, whose last lines are printed if the server fails to start). With
    /// `--nodes`, each node's goes to a file of its own beside it: `server.log` gives
    /// `server-n1.log`, `server-n2.log`, ...
    #[arg(long)]
    pub server_log: Option<PathBuf>,

    /// How many times the server is SIGKILLed and restarted.
    #[arg(long, default_value_t = 10)]
    pub kills: u32,

    /// The seed of the kill schedule (printed at the start; default: a random one). The
    /// same seed gives the same schedule; the machine's timing still varies.
    #[arg(long)]
    pub seed: Option<u64>,

    /// How long a restarted server runs, after its first acknowledged bid, before the next
    /// kill: a seeded random time between these (milliseconds).
    #[arg(long, default_value_t = 200)]
    pub min_uptime_ms: u64,
    #[arg(long, default_value_t = 2000)]
    pub max_uptime_ms: u64,

    /// Percent of the kills that land early, a seeded random time within
    /// `--early-kill-window-ms` of the restart (before it is ready, or during its
    /// recovery), without waiting for an acknowledged bid.
    #[arg(long, default_value_t = 20)]
    pub early_kill_percent: u32,
    #[arg(long, default_value_t = 500)]
    pub early_kill_window_ms: u64,

    #[arg(long, default_value_t = 4)]
    pub rooms: usize,

    /// Bidders in each room.
    #[arg(long, default_value_t = 4)]
    pub bidders: usize,

    /// Bids per second offered by all bidders together while connected.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,

    /// What each bidder bids.
    #[arg(long, value_enum, default_value = "ladder")]
    pub strategy: Strategy,

    /// Seconds from the lots' opening to their first deadline. Bids keep moving the
    /// deadline W ahead (`reset` extensions), so a room stays open while it is bid in.
    #[arg(long, default_value_t = 3)]
    pub lot_secs: u64,

    /// The lots' anti-sniping window W. Rooms stop being bid in one by one over the second
    /// half of the kills (the last after the last restart) and close W after their last bid.
    #[arg(long, default_value_t = 3)]
    pub extension_secs: u32,

    /// Seconds to wait for a restarted server to be ready, for its first acknowledged bid,
    /// and for the rooms to close and settle at the end, before that counts as stuck (on a
    /// cluster also: for a killed node's rooms to be taken over by another).
    #[arg(long, default_value_t = 30)]
    pub stuck_secs: u64,

    /// Runs the nodes of one exchange (SPEC §10), `bidroom serve --cluster` each, on one
    /// PostgreSQL `--database-url`, each on its own port with its own log: bidder i
    /// connects to node i % N (to another while that one is down), and each kill SIGKILLs
    /// the node holding the most rooms and starts it again, same node id and port, once
    /// the others have taken its rooms. 1: one server, no cluster.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub nodes: u32,

    /// With `--nodes` above 1: the NATS server the nodes talk through (each run names an
    /// exchange of its own on it).
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,

    /// With `--nodes` above 1: the nodes' `--lease-ttl-ms`, about how long a dead node's
    /// rooms wait for another.
    #[arg(long, default_value_t = 1500, value_parser = clap::value_parser!(u64).range(300..))]
    pub lease_ttl_ms: u64,
}

impl Bidding {
    /// The flags that give these values, for a load tester the ceiling starts.
    pub fn args(&self) -> Vec<String> {
        let mut args = [
            flag("--strategy", value_name(self.strategy)),
            flag("--think-ms", self.think_ms),
            flag("--duration-secs", self.duration_secs),
            flag("--extension-secs", self.extension_secs),
        ]
        .concat();
        if let Some(rate) = self.rate {
            args.extend(flag("--rate", rate));
        }
        if let Some(accounts) = self.bidder_accounts {
            args.extend(flag("--bidder-accounts", accounts));
        }
        args
    }
}

/// A flag and its value, as a command line holds them.
pub fn flag(name: &str, value: impl std::fmt::Display) -> [String; 2] {
    [name.to_owned(), value.to_string()]
}

/// The name a value of a `ValueEnum` flag is given by.
pub fn value_name(value: impl clap::ValueEnum) -> String {
    value
        .to_possible_value()
        .expect("no value is skipped")
        .get_name()
        .to_owned()
}

impl Shaped {
    pub fn name(&self) -> &'static str {
        match self {
            Shaped::ManyRooms(_) => "many-rooms",
            Shaped::HotRoom(_) => "hot-room",
        }
    }

    pub fn bidding(&self) -> &Bidding {
        match self {
            Shaped::ManyRooms(args) => &args.bidding,
            Shaped::HotRoom(args) => &args.bidding,
        }
    }

    /// The scenario and its flags, as a load tester's command line ends.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![self.name().to_owned()];
        match self {
            Shaped::ManyRooms(many) => args.extend(
                [
                    flag("--rooms", many.rooms),
                    flag("--bidders", many.bidders),
                    flag("--watchers", many.watchers),
                ]
                .concat(),
            ),
            Shaped::HotRoom(hot) => args.extend(
                [
                    flag("--bidders", hot.bidders),
                    flag("--watchers", hot.watchers),
                ]
                .concat(),
            ),
        }
        args.extend(self.bidding().args());
        args
    }

    /// The same scenario, open loop at `rate` bids a second.
    pub fn at_rate(&self, rate: f64) -> Shaped {
        let mut shaped = self.clone();
        match &mut shaped {
            Shaped::ManyRooms(args) => args.bidding.rate = Some(rate),
            Shaped::HotRoom(args) => args.bidding.rate = Some(rate),
        }
        shaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shaped(command: &[&str]) -> Shaped {
        let cli = Cli::try_parse_from(command).expect("the command parses");
        let Scenario::Ceiling(ceiling) = cli.scenario else {
            panic!("not the ceiling")
        };
        ceiling.shape.expect("a shaped ceiling")
    }

    /// A shaped ceiling hands its scenario to the load testers it starts as flags: they
    /// must give back the very same scenario.
    #[test]
    fn a_shaped_scenario_survives_its_own_flags() {
        for command in [
            &[
                "bidroom-loadtest",
                "ceiling",
                "--server-cpus",
                "0",
                "many-rooms",
                "--rooms",
                "7",
                "--bidders",
                "2",
                "--watchers",
                "3",
                "--strategy",
                "ladder",
                "--rate",
                "1500.5",
                "--think-ms",
                "4",
                "--bidder-accounts",
                "9",
            ][..],
            &[
                "bidroom-loadtest",
                "ceiling",
                "hot-room",
                "--bidders",
                "11",
                "--watchers",
                "13",
                "--duration-secs",
                "3",
                "--extension-secs",
                "2",
            ][..],
        ] {
            let original = shaped(command);
            let mut again = vec!["bidroom-loadtest".to_owned(), "ceiling".to_owned()];
            again.extend(original.args());
            let again: Vec<&str> = again.iter().map(String::as_str).collect();
            assert_eq!(
                format!("{:?}", shaped(&again)),
                format!("{original:?}"),
                "{again:?}"
            );
        }
    }

    #[test]
    fn at_rate_makes_an_open_loop() {
        let closed = shaped(&["bidroom-loadtest", "ceiling", "many-rooms"]);
        assert_eq!(closed.bidding().rate, None);
        assert_eq!(closed.at_rate(250.0).bidding().rate, Some(250.0));
    }
}
