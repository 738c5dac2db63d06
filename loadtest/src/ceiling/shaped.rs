//! `ceiling many-rooms ...` and `ceiling hot-room ...`: one bidding scenario against the
//! bare relay and against bidroom, in the same run, so that bidroom's figures are a ratio
//! of what this machine does for exactly that work.
//!
//! Each leg starts its server in a process of its own (the relay: this executable's
//! `relay`; bidroom: its binary, on a database of the run's own) pinned with `taskset -c
//! --server-cpus`, and runs the scenario with this executable as a load tester of its own
//! (the same bidders and watchers, the same checks, its own process-wide counters), pinned
//! with `taskset -c --client-cpus`, writing its JSON report. `--rounds` alternates the two
//! (relay first); `--half-rate` then runs bidroom once more, open loop at half the
//! accepted-bid rate it reached, for its latency below saturation.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tokio::process::Command;

use crate::checks::Check;
use crate::cli::{Ceiling, Cli, Shaped, flag, value_name};
use crate::report::{Bids, Percentiles};
use crate::server::{self, Database, Process, Running, ServerSpec};

use super::relay;

/// How long a server may take to listen.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// The id-number key of the bidroom servers the ceiling starts.
const ID_NUMBER_KEY: &str = "bidroom-ceiling-id-number-key-for-load-tests-only";

/// bidroom's limits a load test lifts: every bid of a bidder is its own, every watcher
/// shares one account, and every connection comes from 127.0.0.x.
const BIDROOM_LOAD_FLAGS: [&str; 6] = [
    "--account-bid-rate-limit",
    "100000",
    "--max-connections-per-account",
    "0",
    "--max-connections-per-address",
    "0",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Server {
    Relay,
    Bidroom,
}

/// One run of the scenario against one server.
#[derive(Clone, Debug, Serialize)]
pub struct Leg {
    pub server: Server,
    /// The load tester's command line.
    pub command: String,
    pub rate: Option<f64>,
    pub bids: Bids,
    pub deliveries_per_sec: f64,
    /// bid → `accepted`, and bid → a watcher's `bid` event.
    pub ack: Option<Percentiles>,
    pub delivery: Option<Percentiles>,
    pub server_cpu_percent: Option<f64>,
    pub loadtest_cpu_percent: Option<f64>,
    /// Over the seconds with bids or deliveries: accepted bids and deliveries per second
    /// of the server's CPU time, a figure of its cost that holds when it is not
    /// saturated, or shares its core with another process.
    pub accepted_per_server_cpu_sec: Option<f64>,
    pub deliveries_per_server_cpu_sec: Option<f64>,
    pub failed_checks: Vec<String>,
}

/// What the load tester's JSON report holds that a leg reads.
#[derive(Deserialize)]
struct LoadReport {
    bids: Bids,
    latency: std::collections::BTreeMap<String, Percentiles>,
    deliveries_per_sec: f64,
    server_cpu_percent: Option<f64>,
    loadtest_cpu_percent: Option<f64>,
    checks: Vec<Check>,
    series: Vec<LoadSecond>,
}

/// One second of the load tester's time series.
#[derive(Deserialize)]
struct LoadSecond {
    sent: u64,
    accepted: u64,
    deliveries: u64,
    server_cpu_percent: Option<f64>,
}

/// Accepted bids and deliveries per second of the server's CPU time, over the seconds
/// in which bids were sent or events delivered.
fn per_server_cpu_sec(series: &[LoadSecond]) -> (Option<f64>, Option<f64>) {
    let busy = series
        .iter()
        .filter(|second| second.sent + second.deliveries > 0);
    let (mut accepted, mut deliveries, mut cpu_secs) = (0, 0, 0.0);
    for second in busy {
        accepted += second.accepted;
        deliveries += second.deliveries;
        cpu_secs += second.server_cpu_percent.unwrap_or_default() / 100.0;
    }
    if cpu_secs > 0.0 {
        (
            Some(accepted as f64 / cpu_secs),
            Some(deliveries as f64 / cpu_secs),
        )
    } else {
        (None, None)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ShapedReport {
    pub scenario: String,
    pub server_cpus: Option<String>,
    pub client_cpus: Option<String>,
    /// bidroom's database: `sqlite` or `postgres`.
    pub database: &'static str,
    pub relay: Vec<Leg>,
    pub bidroom: Vec<Leg>,
    pub half_rate: Option<Leg>,
    /// bidroom's median over the relay's median.
    pub accepted_ratio: f64,
    pub deliveries_ratio: f64,
    /// The same, of the figures per second of the server's CPU time.
    pub accepted_per_cpu_ratio: f64,
    pub deliveries_per_cpu_ratio: f64,
}

impl ShapedReport {
    pub fn passed(&self) -> bool {
        self.legs().all(|leg| leg.failed_checks.is_empty())
    }

    fn legs(&self) -> impl Iterator<Item = &Leg> {
        self.relay
            .iter()
            .chain(&self.bidroom)
            .chain(self.half_rate.as_ref())
    }

    pub fn table(&self) -> String {
        let pinned = match (&self.server_cpus, &self.client_cpus) {
            (None, None) => "not pinned".to_owned(),
            (server, client) => format!(
                "server on cpus {}, load tester on cpus {}",
                server.as_deref().unwrap_or("any"),
                client.as_deref().unwrap_or("any")
            ),
        };
        let mut out = format!(
            "\nceiling {}\n  bidroom on {}; {pinned}\n\n\
             {:<22} {:>10} {:>10} {:>9} {:>13} {:>8} {:>8} {:>9} {:>9} {:>6} {:>13} {:>6}\n",
            self.scenario,
            self.database,
            "",
            "accepted/s",
            "sent/s",
            "rejected",
            "deliveries/s",
            "ack p50",
            "ack p99",
            "dlvr p50",
            "dlvr p99",
            "server",
            "accepted/cpu-s",
            "checks",
        );
        let ms = |latency: &Option<Percentiles>, pick: fn(&Percentiles) -> f64| {
            latency
                .as_ref()
                .map_or_else(|| "-".to_owned(), |p| format!("{:.1}", pick(p)))
        };
        for leg in self.legs() {
            let name = match (leg.server, leg.rate) {
                (Server::Relay, _) => "relay".to_owned(),
                (Server::Bidroom, None) => "bidroom".to_owned(),
                (Server::Bidroom, Some(rate)) => format!("bidroom at {rate:.0}/s"),
            };
            out.push_str(&format!(
                "{name:<22} {:>10.0} {:>10.0} {:>9} {:>13.0} {:>8} {:>8} {:>9} {:>9} {:>5.0}% {:>13.0} {:>6}\n",
                leg.bids.accepted_per_sec,
                leg.bids.sent_per_sec,
                leg.bids.rejected,
                leg.deliveries_per_sec,
                ms(&leg.ack, |p| p.p50_ms),
                ms(&leg.ack, |p| p.p99_ms),
                ms(&leg.delivery, |p| p.p50_ms),
                ms(&leg.delivery, |p| p.p99_ms),
                leg.server_cpu_percent.unwrap_or_default(),
                leg.accepted_per_server_cpu_sec.unwrap_or_default(),
                if leg.failed_checks.is_empty() {
                    "pass"
                } else {
                    "FAIL"
                },
            ));
        }
        out.push_str(&format!(
            "\nbidroom / relay: accepted bids {:.2}×, deliveries {:.2}×; \
             per second of server CPU: accepted bids {:.2}×, deliveries {:.2}×\n",
            self.accepted_ratio,
            self.deliveries_ratio,
            self.accepted_per_cpu_ratio,
            self.deliveries_per_cpu_ratio
        ));
        for leg in self.legs().filter(|leg| !leg.failed_checks.is_empty()) {
            out.push_str(&format!(
                "{:?} failed: {}\n",
                leg.server,
                leg.failed_checks.join("; ")
            ));
        }
        out
    }
}

pub async fn run(cli: &Cli, args: &Ceiling, shaped: &Shaped) -> anyhow::Result<ShapedReport> {
    let me = std::env::current_exe().context("the load tester's own path")?;
    let bidroom_bin = ServerSpec::bin(&args.server)?;
    let temporary = tempfile::tempdir().context("a temporary directory")?;
    let work = args
        .work_dir
        .clone()
        .unwrap_or_else(|| temporary.path().to_owned());
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let database = Database::prepare(&args.server, "ceiling").await?;
    let legs = Legs {
        cli,
        args,
        me: &me,
        bidroom: ServerSpec {
            bin: bidroom_bin,
            database_url: database.url.clone(),
            admin: cli.admin.clone(),
            id_number_key: ID_NUMBER_KEY.to_owned(),
            cpus: args.server.server_cpus.clone(),
            log: work.join("bidroom.log"),
            extra_args: BIDROOM_LOAD_FLAGS.map(str::to_owned).into(),
        },
        work: &work,
    };
    let outcome = legs.run_all(shaped).await;
    let database_kind = database.kind();
    if let Err(error) = database.remove().await {
        eprintln!("ceiling: the database was not removed: {error:#}");
    }
    let (relay, bidroom, half_rate) = outcome?;
    let median_ratio = |figure: fn(&Leg) -> f64| {
        let relay = median(relay.iter().map(figure).collect());
        let bidroom = median(bidroom.iter().map(figure).collect());
        if relay > 0.0 { bidroom / relay } else { 0.0 }
    };
    Ok(ShapedReport {
        scenario: shaped.args().join(" "),
        server_cpus: args.server.server_cpus.clone(),
        client_cpus: args.client_cpus.clone(),
        database: database_kind,
        accepted_ratio: median_ratio(|leg| leg.bids.accepted_per_sec),
        deliveries_ratio: median_ratio(|leg| leg.deliveries_per_sec),
        accepted_per_cpu_ratio: median_ratio(|leg| {
            leg.accepted_per_server_cpu_sec.unwrap_or_default()
        }),
        deliveries_per_cpu_ratio: median_ratio(|leg| {
            leg.deliveries_per_server_cpu_sec.unwrap_or_default()
        }),
        relay,
        bidroom,
        half_rate,
    })
}

fn median(mut figures: Vec<f64>) -> f64 {
    figures.sort_by(f64::total_cmp);
    match figures.len() {
        0 => 0.0,
        n if n % 2 == 1 => figures[n / 2],
        n => (figures[n / 2 - 1] + figures[n / 2]) / 2.0,
    }
}

struct Legs<'a> {
    cli: &'a Cli,
    args: &'a Ceiling,
    me: &'a Path,
    bidroom: ServerSpec,
    work: &'a Path,
}

impl Legs<'_> {
    async fn run_all(&self, shaped: &Shaped) -> anyhow::Result<(Vec<Leg>, Vec<Leg>, Option<Leg>)> {
        let mut relay = Vec::new();
        let mut bidroom = Vec::new();
        for round in 0..self.args.rounds.max(1) {
            relay.push(self.leg(Server::Relay, shaped, round).await?);
            bidroom.push(self.leg(Server::Bidroom, shaped, round).await?);
        }
        let half_rate = if self.args.half_rate {
            let saturated = median(
                bidroom
                    .iter()
                    .map(|leg| leg.bids.accepted_per_sec)
                    .collect(),
            );
            if saturated < 2.0 {
                bail!("bidroom accepted {saturated:.0} bids/s: there is no half of it to offer");
            }
            let rate = (saturated / 2.0).round();
            Some(
                self.leg(Server::Bidroom, &shaped.at_rate(rate), self.args.rounds)
                    .await?,
            )
        } else {
            None
        };
        Ok((relay, bidroom, half_rate))
    }

    /// Starts the server, runs the scenario's load tester at it, and stops the server.
    async fn leg(&self, server: Server, shaped: &Shaped, round: usize) -> anyhow::Result<Leg> {
        let (mut running, log) = match server {
            Server::Relay => {
                let log = self.work.join("relay.log");
                let args = [
                    "relay".to_owned(),
                    "--listen".to_owned(),
                    "127.0.0.1:0".to_owned(),
                ];
                let process = Process {
                    bin: self.me,
                    args: &args,
                    cpus: self.args.server.server_cpus.as_deref(),
                    log: &log,
                    ready_line: relay::READY_LINE,
                };
                (process.spawn(&format!("relay, round {round}"))?, log)
            }
            Server::Bidroom => {
                let listen = server::free_local_address()?;
                let round = u64::try_from(round).unwrap_or(u64::MAX);
                (self.bidroom.spawn(listen, round)?, self.bidroom.log.clone())
            }
        };
        let address = running.ready(READY_TIMEOUT).await.map_err(|why| {
            anyhow::anyhow!(
                "the {server:?} server did not start ({why:?}); its last lines:\n{}",
                server::log_tail(&log, 20)
            )
        })?;
        let json = self.work.join(format!(
            "{}-{round}{}.json",
            match server {
                Server::Relay => "relay",
                Server::Bidroom => "bidroom",
            },
            if shaped.bidding().rate.is_some() {
                "-rate"
            } else {
                ""
            }
        ));
        let outcome = self
            .load(
                server,
                &running,
                &format!("http://{address}"),
                shaped,
                &json,
            )
            .await;
        running.kill().await?;
        outcome
    }

    /// Runs the load tester at `url` and reads its report.
    async fn load(
        &self,
        server: Server,
        running: &Running,
        url: &str,
        shaped: &Shaped,
        json: &PathBuf,
    ) -> anyhow::Result<Leg> {
        let cli = self.cli;
        let mut args: Vec<String> = [
            flag("--server", url),
            flag("--admin", &cli.admin),
            flag("--encoding", value_name(cli.encoding)),
            flag("--threads", cli.threads),
            flag("--setup-concurrency", cli.setup_concurrency),
            flag("--connect-concurrency", cli.connect_concurrency),
            flag("--setup", value_name(cli.setup)),
            flag("--json", json.display()),
        ]
        .concat();
        if let Some(pid) = running.pid() {
            args.extend(flag("--server-pid", pid));
        }
        if let Some(delay) = cli.open_delay_secs {
            args.extend(flag("--open-delay-secs", delay));
        }
        if cli.quiet {
            args.push("--quiet".to_owned());
        }
        if server == Server::Relay {
            args.push("--bare-relay".to_owned());
        }
        args.extend(shaped.args());
        let mut command = match &self.args.client_cpus {
            Some(cpus) => {
                let mut command = Command::new("taskset");
                command.arg("-c").arg(cpus).arg(self.me);
                command
            }
            None => Command::new(self.me),
        };
        command.args(&args).kill_on_drop(true);
        let line = format!("{} {}", self.me.display(), args.join(" "));
        eprintln!("ceiling: {server:?}: {line}");
        let status = command.status().await.context("running the load tester")?;
        // 1: the run ended and a check failed (its report says which); else it did not run.
        if !matches!(status.code(), Some(0 | 1)) {
            bail!("the load tester against the {server:?} server exited {status}");
        }
        let text = std::fs::read_to_string(json)
            .with_context(|| format!("reading the load tester's report {}", json.display()))?;
        let report: LoadReport = serde_json::from_str(&text)
            .with_context(|| format!("the load tester's report {}", json.display()))?;
        let (accepted_per_server_cpu_sec, deliveries_per_server_cpu_sec) =
            per_server_cpu_sec(&report.series);
        Ok(Leg {
            server,
            command: line,
            rate: shaped.bidding().rate,
            bids: report.bids,
            deliveries_per_sec: report.deliveries_per_sec,
            ack: report.latency.get("accepted").cloned(),
            delivery: report.latency.get("broadcast").cloned(),
            server_cpu_percent: report.server_cpu_percent,
            loadtest_cpu_percent: report.loadtest_cpu_percent,
            accepted_per_server_cpu_sec,
            deliveries_per_server_cpu_sec,
            failed_checks: report
                .checks
                .into_iter()
                .filter(|check| !check.passed)
                .map(|check| format!("{}: {}", check.name, check.detail))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_counted_over_the_busy_seconds() {
        let second = |sent, accepted, deliveries, cpu| LoadSecond {
            sent,
            accepted,
            deliveries,
            server_cpu_percent: Some(cpu),
        };
        let series = [
            second(0, 0, 0, 30.0),
            second(100, 90, 900, 50.0),
            second(100, 110, 1100, 50.0),
            second(0, 0, 0, 10.0),
        ];
        assert_eq!(per_server_cpu_sec(&series), (Some(200.0), Some(2000.0)));
        assert_eq!(per_server_cpu_sec(&[]), (None, None));
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![]), 0.0);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(vec![4.0, 1.0, 3.0, 2.0]), 2.5);
    }
}
