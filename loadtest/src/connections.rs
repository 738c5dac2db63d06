//! The `connections` scenario: as many idle authenticated connections as asked, held open,
//! then each asked for a `pong` to show it is still served; with `--server-pid`, the
//! server's memory per connection.

use std::time::{Duration, Instant};

use futures_util::{StreamExt, stream};
use tokio::sync::watch;

use crate::api::{Api, Session};
use crate::checks::Check;
use crate::cli::{Cli, Connections};
use crate::client::Connector;
use crate::metrics::{self, Metrics};
use crate::progress::Progress;
use crate::report::{ConnectionFigures, Report, RunFacts};
use crate::scenarios::read_rss_kib;
use crate::setup::{self, ExchangeSpec};
use crate::wire::Outgoing;

/// How long a held connection may take to answer the final ping.
const PONG_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(
    cli: &Cli,
    args: &Connections,
    api: &Api,
    admin: &Session,
    connector: &Connector,
    prefix: &str,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    // One room to join, if asked; its lot opens long after the run.
    let spec = ExchangeSpec {
        rooms: usize::from(args.join),
        bidders_per_room: 0,
        bidder_accounts: 0,
        connections: 0,
        bidding_secs: 3600,
        extension_secs: 1,
        max_extensions: None,
        open_delay_secs: Some(3600),
        concurrency: cli.setup_concurrency,
        account_prefix: prefix.to_owned(),
        reuse_accounts: cli.account_prefix.is_some(),
        setup: cli.setup,
    };
    let exchange = setup::set_up(api, admin, &spec).await?;
    let lot = exchange.rooms.first().map(|room| room.lot);
    let token = exchange.watcher_token.clone();
    let setup_secs = started.elapsed().as_secs_f64();

    let rss_before_kib = cli.server_pid.and_then(read_rss_kib);
    let progress = Progress::start(cli.quiet, cli.server_pid);
    let (stop, stopped) = watch::channel(false);
    eprintln!("opening {} connections", args.connections);
    let connecting = Instant::now();
    let holders: Vec<anyhow::Result<tokio::task::JoinHandle<bool>>> =
        stream::iter(0..args.connections)
            .map(|index| {
                let token = token.clone();
                let stopped = stopped.clone();
                async move {
                    let mut connection = connector.open(index).await?;
                    connection.authenticate(&token).await?;
                    if let Some(lot) = lot {
                        connection.join(lot).await?;
                    }
                    Metrics::count(&metrics::global().connections);
                    Ok(tokio::spawn(hold(connection, stopped)))
                }
            })
            .buffer_unordered(cli.connect_concurrency)
            .collect()
            .await;
    let connect_secs = connecting.elapsed().as_secs_f64();
    let mut handles = Vec::new();
    let mut failed = 0;
    for holder in holders {
        match holder {
            Ok(handle) => handles.push(handle),
            Err(error) => {
                failed += 1;
                Metrics::count(&metrics::global().errors);
                if failed <= 10 {
                    eprintln!("a connection failed: {error:#}");
                }
            }
        }
    }
    let opened = handles.len();
    eprintln!(
        "{opened} connections open in {connect_secs:.1} s ({failed} failed); holding {} s",
        args.hold_secs
    );
    // Let the server settle before reading its memory.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_after_kib = cli.server_pid.and_then(read_rss_kib);
    tokio::time::sleep(Duration::from_secs(args.hold_secs.saturating_sub(1))).await;
    let _ = stop.send(true);
    let mut alive = 0;
    for handle in handles {
        if handle.await.unwrap_or(false) {
            alive += 1;
        }
    }
    let series = progress.finish().await;

    let figures = ConnectionFigures {
        requested: args.connections,
        opened,
        failed,
        alive,
        connects_per_sec: opened as f64 / connect_secs.max(0.001),
        server_rss_before_kib: rss_before_kib,
        server_rss_after_kib: rss_after_kib,
        server_kib_per_connection: match (rss_before_kib, rss_after_kib) {
            (Some(before), Some(after)) if opened > 0 => {
                Some(after.saturating_sub(before) as f64 / opened as f64)
            }
            _ => None,
        },
    };
    let checks = vec![
        Check::new(
            "every connection opened",
            failed == 0,
            format!("{opened} of {} opened", args.connections),
        ),
        Check::new(
            "every connection still served at the end (ping → pong)",
            alive == opened,
            format!("{alive} of {opened} answered"),
        ),
    ];
    let facts = RunFacts {
        scenario: "connections",
        encoding: cli.encoding,
        rooms: usize::from(args.join),
        bidders: 0,
        watchers: opened,
        rate: None,
        strategy: None,
        setup_secs,
        connect_secs,
        bidding_secs: 0.0,
        server_rss_kib: rss_after_kib,
    };
    let mut report = Report::new(facts, series, checks);
    report.connections = Some(figures);
    Ok(report)
}

/// Holds a connection until told to stop, then checks that the server still answers it.
async fn hold(
    mut connection: crate::client::Connection,
    mut stopped: watch::Receiver<bool>,
) -> bool {
    loop {
        tokio::select! {
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() {
                    break;
                }
            }
            frame = connection.next_frame() => match frame {
                // Room events (a joined room's state changes) are fine; an end is not.
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => return false,
            },
        }
    }
    let ping = Outgoing::Ping {
        t: metrics::now_ns(),
        req: "alive",
    };
    if connection.send(&ping).await.is_err() {
        return false;
    }
    let answered = tokio::time::timeout(PONG_TIMEOUT, async {
        loop {
            match connection.next_frame().await {
                Ok(Some(frame)) => {
                    let Ok(message) = connection.encoding().decode(&frame) else {
                        continue;
                    };
                    if message.is("pong") {
                        return true;
                    }
                }
                Ok(None) | Err(_) => return false,
            }
        }
    })
    .await
    .unwrap_or(false);
    connection.close().await;
    answered
}
