//! The named scenarios: each sets up its exchange, opens its connections, runs, and hands
//! what it saw to the checks and the report.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{StreamExt, stream};
use tokio::task::JoinHandle;

use crate::api::{Api, LotOutcome};
use crate::bidder::{self, BidderOutcome, BidderPlan, Pace};
use crate::ceiling::relay::control::RelayControl;
use crate::checks;
use crate::cli::{Bidding, Cli, Scenario};
use crate::client::{Connection, Connector, Snapshot};
use crate::connections;
use crate::metrics::{self, Metrics};
use crate::progress::Progress;
use crate::report::{Report, RunFacts};
use crate::room::{RoomRecord, Sight};
use crate::setup::{self, Exchange, ExchangeSpec};
use crate::watcher::{self, WatcherPlan};

/// How long after the last bid could have closed its room the run waits for the close.
const CLOSE_GRACE_MS: i64 = 15_000;

pub async fn run(cli: &Cli) -> anyhow::Result<Report> {
    // REST (the exchange's setup) goes to the first node; connections go to them all.
    let first = cli.server.split(',').next().unwrap_or_default().trim();
    let tls = crate::tls::for_server(first, cli.ca_file.as_deref())?;
    let connector = Connector::new(&cli.server, cli.encoding, tls.clone()).await?;
    if connector.node_count() > 1 {
        eprintln!(
            "spreading connections over {} nodes",
            connector.node_count()
        );
    }
    let prefix = cli
        .account_prefix
        .clone()
        .unwrap_or_else(setup::random_prefix);
    let shape = match &cli.scenario {
        Scenario::ManyRooms(args) => Shape {
            name: "many-rooms",
            rooms: args.rooms,
            bidders_per_room: args.bidders,
            watchers_per_room: args.watchers,
            bidding: args.bidding.clone(),
            late_secs: None,
        },
        Scenario::HotRoom(args) => Shape {
            name: "hot-room",
            rooms: 1,
            bidders_per_room: args.bidders,
            watchers_per_room: args.watchers,
            bidding: args.bidding.clone(),
            late_secs: None,
        },
        Scenario::ClosingStorm(args) => Shape {
            name: "closing-storm",
            rooms: args.rooms,
            bidders_per_room: args.bidders,
            watchers_per_room: args.watchers,
            bidding: args.bidding.clone(),
            late_secs: Some(args.late_secs),
        },
        Scenario::Connections(args) => {
            if cli.bare_relay {
                anyhow::bail!("the connections scenario runs against bidroom, not the relay");
            }
            let api = Api::new(first, cli.setup_concurrency, tls.clone())?;
            let admin = setup::admin_session(&api, cli.admin_credentials()?).await?;
            return connections::run(cli, args, &api, &admin, &connector, &prefix).await;
        }
        Scenario::Ceiling(_) | Scenario::Relay(_) => {
            anyhow::bail!("the ceiling and the relay are not scenarios against a server")
        }
        Scenario::Chaos(_) => anyhow::bail!("the chaos run starts its own server"),
    };
    let spec = exchange_spec(cli, &shape, prefix);
    let exchanger = if cli.bare_relay {
        Exchanger::Relay(Box::new(tokio::sync::Mutex::new(
            RelayControl::connect(&cli.server).await?,
        )))
    } else {
        let api = Api::new(first, cli.setup_concurrency, tls)?;
        let admin = setup::admin_session(&api, cli.admin_credentials()?).await?;
        Exchanger::Bidroom { api, admin }
    };
    let exchange = exchanger.set_up(&spec).await?;
    run_bidding(cli, &connector, &exchanger, &shape, &exchange).await
}

/// Where a run's rooms come from and where their results are read: bidroom's REST API,
/// or the bare relay's control connection.
enum Exchanger {
    Bidroom {
        api: Api,
        admin: crate::api::Session,
    },
    Relay(Box<tokio::sync::Mutex<RelayControl>>),
}

impl Exchanger {
    async fn set_up(&self, spec: &ExchangeSpec) -> anyhow::Result<Exchange> {
        match self {
            Exchanger::Bidroom { api, admin } => setup::set_up(api, admin, spec).await,
            Exchanger::Relay(relay) => setup::set_up_relay(&mut *relay.lock().await, spec).await,
        }
    }

    /// Each room's outcome, as the server tells it.
    async fn outcomes(
        &self,
        exchange: &Exchange,
        concurrency: usize,
    ) -> anyhow::Result<Vec<LotOutcome>> {
        match self {
            Exchanger::Bidroom { api, .. } => {
                let outcomes: Vec<anyhow::Result<LotOutcome>> = stream::iter(exchange.rooms.iter())
                    .map(|room| api.outcome(room.lot))
                    .buffered(concurrency)
                    .collect()
                    .await;
                outcomes.into_iter().collect()
            }
            Exchanger::Relay(relay) => {
                let lots: Vec<i64> = exchange.rooms.iter().map(|room| room.lot).collect();
                relay.lock().await.outcomes(&lots).await
            }
        }
    }
}

/// A bidding scenario's shape.
struct Shape {
    name: &'static str,
    rooms: usize,
    bidders_per_room: usize,
    watchers_per_room: usize,
    bidding: Bidding,
    /// Closing storm: every deadline in one second, no extensions, and bidding this long
    /// past it.
    late_secs: Option<u64>,
}

/// A connection to open: a bidder's seat or a watcher, in a room.
enum Member {
    Bidder { room: usize, seat: usize },
    Watcher { room: usize },
}

enum Outcome {
    Bidder(BidderOutcome),
    Watcher(Sight),
}

fn exchange_spec(cli: &Cli, shape: &Shape, prefix: String) -> ExchangeSpec {
    let bidding = &shape.bidding;
    ExchangeSpec {
        rooms: shape.rooms,
        bidders_per_room: shape.bidders_per_room,
        bidder_accounts: bidding
            .bidder_accounts
            .unwrap_or(shape.bidders_per_room)
            .max(shape.bidders_per_room),
        connections: shape.rooms * (shape.bidders_per_room + shape.watchers_per_room),
        bidding_secs: bidding.duration_secs,
        extension_secs: bidding.extension_secs,
        max_extensions: shape.late_secs.map(|_| 0),
        open_delay_secs: cli.open_delay_secs,
        concurrency: cli.setup_concurrency,
        account_prefix: prefix,
        reuse_accounts: cli.account_prefix.is_some(),
        setup: cli.setup,
    }
}

async fn run_bidding(
    cli: &Cli,
    connector: &Connector,
    exchanger: &Exchanger,
    shape: &Shape,
    exchange: &Exchange,
) -> anyhow::Result<Report> {
    let bidding = &shape.bidding;
    let bidders = shape.rooms * shape.bidders_per_room;
    let watchers = shape.rooms * shape.watchers_per_room;
    let records: Vec<Arc<RoomRecord>> = exchange
        .rooms
        .iter()
        .map(|room| Arc::new(RoomRecord::new(room.lot)))
        .collect();
    let starts_at_ms = exchange.rooms[0].starts_at_ms;
    let ends_at_ms = exchange.rooms[0].ends_at_ms;
    let stop_at_ms = ends_at_ms + shape.late_secs.unwrap_or(0) as i64 * 1000;
    let give_up_at_ms = stop_at_ms + i64::from(bidding.extension_secs) * 1000 + CLOSE_GRACE_MS;

    let pace = |index: usize| match bidding.rate {
        Some(rate) => {
            let interval_ns = (bidders as f64 / rate.max(0.001) * 1e9) as u64;
            // Spread the bidders' schedules evenly over one interval, and each room's bidders
            // evenly among them (see the call below).
            let phase_ns = interval_ns * index as u64 / bidders.max(1) as u64;
            Pace::Open {
                interval_ns: interval_ns.max(1),
                phase_ns,
            }
        }
        None => Pace::Closed {
            think: Duration::from_millis(bidding.think_ms),
        },
    };

    let mut members = Vec::with_capacity(bidders + watchers);
    for room in 0..shape.rooms {
        for seat in 0..shape.bidders_per_room {
            members.push(Member::Bidder { room, seat });
        }
        for _ in 0..shape.watchers_per_room {
            members.push(Member::Watcher { room });
        }
    }
    eprintln!(
        "connecting {bidders} bidders and {watchers} watchers to {} rooms",
        shape.rooms
    );
    let progress = Progress::start(cli.quiet, cli.server_pid);
    let connected_at = Instant::now();
    let records = &records;
    let tasks: Vec<anyhow::Result<JoinHandle<Outcome>>> =
        stream::iter(members.into_iter().enumerate())
            .map(|(index, member)| async move {
                match member {
                    Member::Bidder { room, seat } => {
                        let plan = &exchange.rooms[room];
                        let seat_plan = &plan.seats[seat];
                        let (connection, snapshot) =
                            connect(connector, index, &seat_plan.token, plan.lot).await?;
                        let bidder_plan = BidderPlan {
                            room: records[room].clone(),
                            bidder_number: seat_plan.bidder_number.clone(),
                            // Seat by seat across the rooms, so that a room's bidders
                            // take turns a fraction of the interval apart: side by side
                            // they would bid in the same instant, and all but the first
                            // would still think themselves leading at their next turn and
                            // skip it (half the offered rate with two bidders a room).
                            pace: pace(seat * shape.rooms + room),
                            strategy: bidding.strategy,
                            stop_at_ms,
                            give_up_at_ms,
                        };
                        Ok(tokio::spawn(async move {
                            Outcome::Bidder(bidder::run(connection, snapshot, bidder_plan).await)
                        }))
                    }
                    Member::Watcher { room } => {
                        let plan = &exchange.rooms[room];
                        let (connection, snapshot) =
                            connect(connector, index, &exchange.watcher_token, plan.lot).await?;
                        let watcher_plan = WatcherPlan {
                            room: records[room].clone(),
                            give_up_at_ms,
                        };
                        Ok(tokio::spawn(async move {
                            Outcome::Watcher(watcher::run(connection, snapshot, watcher_plan).await)
                        }))
                    }
                }
            })
            .buffer_unordered(cli.connect_concurrency)
            .collect()
            .await;
    let connect_secs = connected_at.elapsed().as_secs_f64();
    let metrics = metrics::global();
    let mut failed_connections = 0;
    let mut handles = Vec::new();
    for task in tasks {
        match task {
            Ok(handle) => handles.push(handle),
            Err(error) => {
                failed_connections += 1;
                Metrics::count(&metrics.errors);
                eprintln!("a connection failed: {error:#}");
            }
        }
    }
    if metrics::unix_ms() > starts_at_ms {
        eprintln!(
            "warning: the lots opened before every connection was ready; pass a larger --open-delay-secs"
        );
    }
    let server_rss_kib = cli.server_pid.and_then(read_rss_kib);
    let mut bidder_outcomes = Vec::new();
    let mut watcher_sights = Vec::new();
    for handle in handles {
        match handle.await.context("a member task panicked")? {
            Outcome::Bidder(outcome) => bidder_outcomes.push(outcome),
            Outcome::Watcher(sight) => watcher_sights.push(sight),
        }
    }
    let series = progress.finish().await;

    let outcomes = exchanger.outcomes(exchange, cli.setup_concurrency).await?;
    let checks = checks::bidding(
        records,
        &outcomes,
        &bidder_outcomes,
        &watcher_sights,
        shape.late_secs.map(|_| ends_at_ms),
        failed_connections,
    );
    let facts = RunFacts {
        scenario: shape.name,
        encoding: cli.encoding,
        rooms: shape.rooms,
        bidders,
        watchers,
        rate: bidding.rate,
        strategy: Some(bidding.strategy),
        setup_secs: exchange.setup_secs,
        connect_secs,
        bidding_secs: (stop_at_ms - starts_at_ms) as f64 / 1000.0,
        server_rss_kib,
    };
    Ok(Report::new(facts, series, checks))
}

/// Opens a connection, authenticates and joins the room.
pub async fn connect(
    connector: &Connector,
    index: usize,
    token: &str,
    lot: i64,
) -> anyhow::Result<(Connection, Snapshot)> {
    let mut connection = connector.open(index).await?;
    connection.authenticate(token).await?;
    let snapshot = connection.join(lot).await?;
    Metrics::count(&metrics::global().connections);
    Ok((connection, snapshot))
}

/// A process's resident memory (VmRSS), in KiB.
pub fn read_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}
