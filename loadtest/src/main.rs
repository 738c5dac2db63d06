//! `bidroom-loadtest`: drives real WebSocket bidders and watchers against a running bidroom
//! server, then reports throughput and latency and checks what it saw.
//!
//! Map: `cli` (flags) → `scenarios` (the named runs; `connections` has its own module),
//! which use `setup` (the exchange, through `api`, the REST client, and `seed`, the
//! server's bulk seeding when it is on), `client` (one
//! WebSocket connection, speaking `wire`), and the member tasks `bidder` and `watcher`,
//! which record into `metrics` and `room`. At the end `checks` judges, `report` prints
//! and writes JSON, and `chart` draws the time series that `progress` sampled. `chaos`
//! starts, kills and restarts its own server under bidders that resend, and judges the
//! server's results. `tls` holds the client configuration for an `https://` server.
//! `ceiling` measures the machine with no bidroom code: bare tokio-tungstenite, and the
//! bare `relay` bidroom's bidding scenarios are run against for a ratio (both servers
//! started by `server`).

mod api;
mod bidder;
mod ceiling;
mod chaos;
mod chart;
mod checks;
mod cli;
mod client;
mod connections;
mod metrics;
mod progress;
mod report;
mod room;
mod scenarios;
mod seed;
mod server;
mod setup;
mod tls;
mod watcher;
mod wire;

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // Thousands of connections need thousands of descriptors.
    if let Err(error) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("warning: could not raise the open-file limit: {error}");
    }
    metrics::global();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    // The relay runs on as many workers as bidroom (`#[tokio::main]`: one per core it may
    // use); the load tester on `--threads`.
    if !matches!(cli.scenario, cli::Scenario::Relay(_)) {
        runtime.worker_threads(cli.threads.max(1));
    }
    let runtime = runtime.enable_all().build().expect("a tokio runtime");
    match runtime.block_on(run(&cli)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("bidroom-loadtest: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs the scenario and reports; true if every check passed.
async fn run(cli: &cli::Cli) -> anyhow::Result<bool> {
    match &cli.scenario {
        cli::Scenario::Relay(args) => {
            ceiling::relay::serve(args.listen).await?;
            Ok(true)
        }
        cli::Scenario::Ceiling(args) => match &args.shape {
            Some(shaped) => {
                let report = ceiling::shaped::run(cli, args, shaped).await?;
                finish(cli, &report.table(), &report, report.passed())
            }
            None => {
                let report = ceiling::run(args).await?;
                finish(cli, &report.table(), &report, report.passed())
            }
        },
        cli::Scenario::Chaos(args) => {
            let report = chaos::run(cli, args).await?;
            finish(cli, &report.table(), &report, report.passed())
        }
        _ => {
            let report = scenarios::run(cli).await?;
            if let Some(path) = &cli.chart {
                std::fs::write(path, chart::svg(&report))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            finish(cli, &report.table(), &report, report.passed())
        }
    }
}

/// Prints the report's table, writes it as JSON when asked (`--json`); `passed` through.
fn finish(
    cli: &cli::Cli,
    table: &str,
    report: &impl serde::Serialize,
    passed: bool,
) -> anyhow::Result<bool> {
    println!("{table}");
    if let Some(path) = &cli.json {
        let json = serde_json::to_string_pretty(report).expect("the report serializes");
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(passed)
}
