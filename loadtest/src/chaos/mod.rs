//! `bidroom-loadtest chaos`: crash safety under load.
//!
//! The run starts its own server (`server`), sets up an exchange by bulk seeding, and sets
//! bidders (`bidder`) bidding at a steady rate. It then SIGKILLs the server at seeded
//! random moments and starts it again on the same database, port and id-number key; the
//! bidders reconnect, resume their rooms with `since_seq` and resend every unanswered bid
//! with its `req`. After each restart it reads each room's snapshot. Rooms stop being bid
//! in one by one over the second half of the kills, the last after the last restart, and
//! close (and settle) W after their last bid, whether or not the server was killed in
//! between. At the end it reads what the server holds (`collect`) and judges it against
//! what the bidders were told (`verdict`).
//!
//! With `--nodes N` it runs the nodes of one exchange instead (`nodes`): each kill takes
//! the node that holds the most rooms, and the others must take them over.

mod bidder;
mod collect;
mod nodes;
mod report;
mod shared;
mod verdict;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::future::join_all;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until, timeout};

use crate::api::Api;
use crate::cli::{Chaos, Cli, SetupPath};
use crate::client::Connector;
use crate::setup::{self, ExchangeSpec};

use crate::server::{self, Database, NotReady, Running, ServerSpec};
use bidder::{BidderPlan, BidderRecord, Common};
use shared::{Endpoint, Generations, RoomState, Target};
use verdict::{Recovery, Restart, RoomTold};

pub use report::ChaosReport;

/// How long a generation lives before its kill.
#[derive(Clone, Copy, Debug)]
enum Life {
    /// Killed this long after its spawn, ready or not.
    Early(Duration),
    /// Killed this long after its first acknowledged bid.
    Uptime(Duration),
}

/// The seeded schedule: the life of generation g is `lives[g]`; the last generation
/// (after the last kill) runs `lives[kills]` after its first acknowledgement, then the
/// rooms stop.
fn schedule(seed: u64, args: &Chaos) -> Vec<Life> {
    let mut rng = StdRng::seed_from_u64(seed);
    let uptime = |rng: &mut StdRng| {
        let max = args.max_uptime_ms.max(args.min_uptime_ms);
        Duration::from_millis(rng.random_range(args.min_uptime_ms..=max))
    };
    (0..=args.kills)
        .map(|generation| {
            let early = rng.random_range(0..100) < args.early_kill_percent;
            // The first generation sets the exchange up; the last is not killed.
            if early && generation > 0 && generation < args.kills {
                Life::Early(Duration::from_millis(
                    rng.random_range(0..=args.early_kill_window_ms),
                ))
            } else {
                Life::Uptime(uptime(&mut rng))
            }
        })
        .collect()
}

/// After `kills` kills, how many rooms stop being bid in: over the second half of the
/// kills, all but the last room, in order (the last stops after the last restart).
fn rooms_stopped_after(kills: u32, total_kills: u32, rooms: usize) -> usize {
    let half = total_kills / 2;
    (0..rooms.saturating_sub(1))
        .filter(|&room| {
            let rest = u64::from(total_kills - half);
            let stop = u64::from(half) + (rest * (room as u64 + 1)).div_ceil(rooms as u64);
            u64::from(kills) >= stop
        })
        .count()
}

pub async fn run(cli: &Cli, args: &Chaos) -> anyhow::Result<ChaosReport> {
    let seed = args.seed.unwrap_or_else(rand::random);
    eprintln!(
        "chaos: seed {seed} ({} kills; the same schedule again: --seed {seed})",
        args.kills
    );
    let bin = ServerSpec::bin(&args.server)?;
    if args.nodes > 1 {
        nodes::check_database(args)?;
    }
    let database = Database::prepare(&args.server, "chaos").await?;
    let log_directory = tempfile::tempdir().context("a temporary directory")?;
    let log = args
        .server_log
        .clone()
        .unwrap_or_else(|| log_directory.path().join("server.log"));
    let spec = ServerSpec {
        bin,
        database_url: database.url.clone(),
        admin: cli.admin.clone(),
        id_number_key: args.id_number_key.clone(),
        cpus: args.server.server_cpus.clone(),
        log: log.clone(),
        extra_args: Vec::new(),
    };
    eprintln!(
        "chaos: server {} on {}",
        spec.bin.display(),
        redacted(&database.url)
    );
    let (outcome, logs) = if args.nodes > 1 {
        let cluster = nodes::Cluster::new(args, &spec);
        let logs = cluster.logs();
        (
            Run::new(cli, args, spec, seed).drive_nodes(cluster).await,
            logs,
        )
    } else {
        (Run::new(cli, args, spec, seed).drive().await, vec![log])
    };
    if let Err(error) = database.remove().await {
        eprintln!("chaos: the database was not removed: {error:#}");
    }
    outcome.map_err(|error| {
        let tails: Vec<String> = logs
            .iter()
            .map(|log| {
                format!(
                    "the server's last lines ({}):\n{}",
                    log.display(),
                    server::log_tail(log, 20)
                )
            })
            .collect();
        error.context(tails.join("\n"))
    })
}

/// A database URL without its password.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if url[scheme + 3..at].contains(':') => {
            let user_end = url[scheme + 3..at].find(':').map_or(at, |i| scheme + 3 + i);
            format!("{}:***{}", &url[..user_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

struct Run<'a> {
    cli: &'a Cli,
    args: &'a Chaos,
    spec: ServerSpec,
    seed: u64,
    lives: Vec<Life>,
    stuck: Duration,
    generations: Arc<Generations>,
    restarts: Vec<Restart>,
    recoveries: Vec<JoinHandle<Vec<(usize, Recovery)>>>,
}

/// The exchange and the bidders once they run.
struct Floor {
    admin_token: String,
    target: Arc<Target>,
    rooms: Vec<Arc<RoomState>>,
    registrations: Vec<(i64, i64)>,
    holds_before: BTreeMap<String, u64>,
    bidders: Vec<(usize, JoinHandle<BidderRecord>)>,
    rooms_stopped: watch::Sender<usize>,
    give_up: watch::Sender<bool>,
}

impl<'a> Run<'a> {
    fn new(cli: &'a Cli, args: &'a Chaos, spec: ServerSpec, seed: u64) -> Run<'a> {
        Run {
            cli,
            args,
            spec,
            seed,
            lives: schedule(seed, args),
            stuck: Duration::from_secs(args.stuck_secs.max(1)),
            generations: Arc::new(Generations::new()),
            restarts: Vec::new(),
            recoveries: Vec::new(),
        }
    }

    async fn drive(mut self) -> anyhow::Result<ChaosReport> {
        let started = Instant::now();
        let listen = server::free_local_address()?;
        let mut server = self.spec.spawn(listen, 0)?;
        let address = server
            .ready(self.stuck)
            .await
            .map_err(|why| anyhow::anyhow!("the server did not start: {why:?}"))?;
        let floor = self.set_up(&[address]).await?;
        let first_ack = timeout(self.stuck, self.generations.wait_first_ack(0)).await;
        if first_ack.is_err() {
            bail!(
                "no bid was acknowledged within {:?} of the lots' opening",
                self.stuck
            );
        }
        eprintln!(
            "chaos: bidding; killing the server {} times",
            self.args.kills
        );

        let mut listen = address;
        for generation in 0..=u64::from(self.args.kills) {
            if generation > 0 {
                server = self.restart(generation, &mut listen, &floor).await?;
            }
            self.live(generation, &mut server, &floor).await;
            if generation == u64::from(self.args.kills) {
                break;
            }
            // Connections opened from now on are the next generation's.
            self.generations.advance(generation + 1);
            server.kill().await?;
            let kills = generation as u32 + 1;
            let stopped = self.stop_rooms(&floor, kills);
            if !self.cli.quiet {
                eprintln!(
                    "chaos: kill {kills} of {} ({} rooms still bid in)",
                    self.args.kills,
                    floor.rooms.len() - stopped
                );
            }
        }
        let _ = floor.rooms_stopped.send(floor.rooms.len());
        let report = self.finish(floor, started).await;
        let _ = server.kill().await;
        report
    }

    /// After `kills` kills, stops the rooms the schedule says; answers how many are stopped.
    fn stop_rooms(&self, floor: &Floor, kills: u32) -> usize {
        let stopped = rooms_stopped_after(kills, self.args.kills, floor.rooms.len());
        floor.rooms_stopped.send_if_modified(|known| {
            let changed = *known != stopped;
            *known = stopped;
            changed
        });
        stopped
    }

    /// Sets up the exchange on the first server (node) and starts the bidders.
    async fn set_up(&self, addresses: &[SocketAddr]) -> anyhow::Result<Floor> {
        let args = self.args;
        let mut endpoints = Vec::with_capacity(addresses.len());
        for address in addresses {
            endpoints.push(self.endpoint(*address).await?);
        }
        let api = endpoints[0].api.clone();
        let admin = setup::admin_session(&api, self.cli.admin_credentials()?).await?;
        let (_, _, holds_before) = collect::reconciliation(&api, &admin.token).await?;
        let spec = ExchangeSpec {
            rooms: args.rooms,
            bidders_per_room: args.bidders,
            bidder_accounts: args.bidders,
            connections: args.rooms * args.bidders,
            bidding_secs: args.lot_secs.max(1),
            extension_secs: args.extension_secs.max(1),
            max_extensions: None,
            open_delay_secs: self.cli.open_delay_secs,
            concurrency: self.cli.setup_concurrency,
            account_prefix: setup::random_prefix(),
            reuse_accounts: false,
            setup: SetupPath::BulkSeed,
        };
        let exchange = setup::set_up(&api, &admin, &spec).await?;
        let target = Arc::new(Target::new(endpoints));
        let rooms: Vec<Arc<RoomState>> = exchange
            .rooms
            .iter()
            .map(|room| Arc::new(RoomState::new(room.lot)))
            .collect();
        let registrations = exchange
            .rooms
            .iter()
            .flat_map(|room| room.seats.iter().map(|seat| (room.lot, seat.account_id)))
            .collect();
        let (rooms_stopped, rooms_stopped_rx) = watch::channel(0);
        let (give_up, give_up_rx) = watch::channel(false);
        let common = Arc::new(Common {
            target: target.clone(),
            generations: self.generations.clone(),
            rooms_stopped: rooms_stopped_rx,
            give_up: give_up_rx,
            strategy: args.strategy,
            cluster: addresses.len() > 1,
        });
        let total = (args.rooms * args.bidders).max(1);
        let interval = Duration::from_secs_f64(total as f64 / args.rate.max(0.001));
        let mut bidders = Vec::with_capacity(total);
        for (room_index, room) in exchange.rooms.iter().enumerate() {
            for seat in &room.seats {
                let index = bidders.len();
                let plan = BidderPlan {
                    index,
                    room_index,
                    room: rooms[room_index].clone(),
                    seat: seat.clone(),
                    interval,
                    phase: interval.mul_f64(index as f64 / total as f64),
                };
                let task = tokio::spawn(bidder::run(plan, common.clone()));
                bidders.push((room_index, task));
            }
        }
        eprintln!(
            "chaos: {} rooms, {} bidders, {} bids/s offered; the lots open in {:.1} s",
            args.rooms,
            total,
            args.rate,
            (exchange.rooms[0].starts_at_ms - crate::metrics::unix_ms()) as f64 / 1000.0
        );
        Ok(Floor {
            admin_token: admin.token,
            target,
            rooms,
            registrations,
            holds_before,
            bidders,
            rooms_stopped,
            give_up,
        })
    }

    /// Starts generation `generation` on the same port (or, if it cannot listen there, on
    /// a new one the bidders are moved to).
    async fn restart(
        &mut self,
        generation: u64,
        listen: &mut SocketAddr,
        floor: &Floor,
    ) -> anyhow::Result<Running> {
        let server = self.spec.spawn(*listen, generation)?;
        let mut restart = Restart {
            generation,
            early: matches!(self.lives[generation as usize], Life::Early(_)),
            ready_ms: None,
            first_ack_ms: None,
            stuck: None,
            failover: None,
        };
        let mut server = server;
        if let Life::Early(after) = self.lives[generation as usize] {
            // Killed early: ready or not when the moment comes.
            let kill_at = server.spawned_at + after;
            tokio::select! {
                ready = server.ready(self.stuck) => {
                    self.readied(&mut restart, &server, ready, floor)?;
                }
                () = sleep_until(kill_at) => {}
            }
        } else {
            let ready = server.ready(self.stuck).await;
            if let Err(NotReady::Exited(status)) = &ready {
                // Perhaps the port was taken meanwhile: once more, on a port of its own.
                eprintln!(
                    "chaos: restart {generation} exited ({status}); starting it on a new port"
                );
                server = self
                    .spec
                    .spawn(SocketAddr::from(([127, 0, 0, 1], 0)), generation)?;
                let ready = server.ready(self.stuck).await;
                if let Ok(address) = ready {
                    *listen = address;
                    floor.target.move_to(0, self.endpoint(address).await?);
                }
                self.readied(&mut restart, &server, ready, floor)?;
            } else {
                self.readied(&mut restart, &server, ready, floor)?;
            }
        }
        self.restarts.push(restart);
        Ok(server)
    }

    /// How the run reaches the server at `address`.
    async fn endpoint(&self, address: SocketAddr) -> anyhow::Result<Endpoint> {
        Endpoint::new(
            &format!("http://{address}"),
            self.cli.encoding,
            self.cli.setup_concurrency,
        )
        .await
    }

    /// Records a restart's readiness; a restart that never became ready ends the run.
    fn readied(
        &mut self,
        restart: &mut Restart,
        server: &Running,
        ready: Result<SocketAddr, NotReady>,
        floor: &Floor,
    ) -> anyhow::Result<()> {
        match ready {
            Ok(_) => {
                restart.ready_ms = Some(ms(server.spawned_at.elapsed()));
                self.recoveries.push(tokio::spawn(observe_recovery(
                    restart.generation,
                    floor.target.connector(),
                    floor.admin_token.clone(),
                    floor.rooms.clone(),
                )));
                Ok(())
            }
            Err(why) => {
                restart.stuck = Some(format!("not ready: {why:?}"));
                bail!(
                    "restart {}: the server did not become ready: {why:?}",
                    restart.generation
                )
            }
        }
    }

    /// Generation `generation`'s life until its kill is due (or, for the last, until the
    /// rooms stop).
    async fn live(&mut self, generation: u64, server: &mut Running, floor: &Floor) {
        match self.lives[generation as usize] {
            Life::Early(after) => sleep_until(server.spawned_at + after).await,
            Life::Uptime(uptime) => {
                let acked = timeout(self.stuck, self.generations.wait_first_ack(generation)).await;
                let bidding = floor.rooms.iter().enumerate().any(|(index, room)| {
                    index >= *floor.rooms_stopped.borrow() && !room.is_closed()
                });
                if acked.is_err()
                    && bidding
                    && let Some(restart) = self.restarts.last_mut()
                    && restart.generation == generation
                {
                    restart.stuck = Some(format!(
                        "no bid acknowledged within {:?} of the restart",
                        self.stuck
                    ));
                }
                sleep(uptime).await;
            }
        }
        if let Some(restart) = self.restarts.last_mut()
            && restart.generation == generation
        {
            restart.first_ack_ms = self
                .generations
                .first_ack(generation)
                .map(|at| ms(at.saturating_duration_since(server.spawned_at)));
        }
    }

    /// Lets the rooms close and settle, then reads the server's results and judges them.
    async fn finish(self, floor: Floor, started: Instant) -> anyhow::Result<ChaosReport> {
        let args = self.args;
        let closing = Duration::from_secs(u64::from(args.extension_secs)) + self.stuck;
        let deadline = Instant::now() + closing;
        let mut records: Vec<(usize, BidderRecord)> = Vec::new();
        let mut handles = floor.bidders;
        let give_up = floor.give_up.clone();
        let giving_up = tokio::spawn(async move {
            sleep_until(deadline).await;
            let _ = give_up.send(true);
        });
        for (room, handle) in handles.drain(..) {
            records.push((room, handle.await.context("a bidder task panicked")?));
        }
        giving_up.abort();
        let gave_up = *floor.give_up.borrow();
        // Any server (node) that is up answers for all.
        let api = floor.target.live().api;
        let connectors = floor.target.connectors();
        let lots: Vec<i64> = floor.rooms.iter().map(|room| room.lot).collect();
        settled(
            &api,
            &floor.admin_token,
            &lots,
            &floor.holds_before,
            self.stuck,
        )
        .await;

        let mut stored = Vec::new();
        for &lot in &lots {
            stored.push(collect::room(&api, &connectors, &floor.admin_token, lot).await?);
        }
        let money = collect::money(
            &api,
            &floor.admin_token,
            floor.holds_before.clone(),
            &floor.registrations,
        )
        .await?;
        let mut recoveries: Vec<Vec<Recovery>> = vec![Vec::new(); floor.rooms.len()];
        for observed in join_all(self.recoveries).await {
            for (room, recovery) in observed.unwrap_or_default() {
                recoveries[room].push(recovery);
            }
        }
        let told = told(&floor.rooms, &records, recoveries);
        let verdict = verdict::judge(&told, &stored, &money, &self.restarts);
        Ok(ChaosReport::new(report::RunFacts {
            seed: self.seed,
            database: server::database_kind(&self.spec.database_url),
            kills: args.kills,
            nodes: floor.target.len(),
            lease_ttl_ms: (floor.target.len() > 1).then_some(args.lease_ttl_ms),
            rooms: args.rooms,
            bidders: args.rooms * args.bidders,
            rate: args.rate,
            strategy: args.strategy,
            run_secs: started.elapsed().as_secs_f64(),
            gave_up,
            records: &records,
            restarts: self.restarts,
            verdict,
        }))
    }
}

/// Waits until every lot has a result and no deposit of the run is held (or `limit`).
async fn settled(
    api: &Api,
    admin: &str,
    lots: &[i64],
    holds_before: &BTreeMap<String, u64>,
    limit: Duration,
) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let mut done = true;
        for &lot in lots {
            let status = api.outcome(lot).await.map(|outcome| outcome.status);
            done &= matches!(status.as_deref(), Ok("sold" | "unsold"));
        }
        if done && let Ok((_, _, holds)) = collect::reconciliation(api, admin).await {
            let held = |holds: &BTreeMap<String, u64>| holds.get("held").copied().unwrap_or(0);
            if held(&holds) <= held(holds_before) {
                return;
            }
        }
        sleep(Duration::from_millis(200)).await;
    }
}

/// What each room's bidders were told.
fn told(
    rooms: &[Arc<RoomState>],
    records: &[(usize, BidderRecord)],
    recoveries: Vec<Vec<Recovery>>,
) -> Vec<RoomTold> {
    rooms
        .iter()
        .zip(recoveries)
        .enumerate()
        .map(|(index, (room, recoveries))| {
            let (seen, seen_conflicts) = room.seen();
            let members = records.iter().filter(|(room, _)| *room == index);
            RoomTold {
                lot: room.lot,
                sent: members
                    .clone()
                    .flat_map(|(_, record)| record.sent.iter().cloned())
                    .collect(),
                seen,
                seen_conflicts,
                members: members.map(|(_, record)| record.track.clone()).collect(),
                recoveries,
            }
        })
        .collect()
}

/// After a restart is ready: each room's snapshot, beside the highest bid acknowledged
/// before it was taken (so the snapshot must stand at least there). A room that cannot be
/// read (the server was killed again meanwhile) is skipped.
async fn observe_recovery(
    generation: u64,
    connector: Arc<Connector>,
    admin: String,
    rooms: Vec<Arc<RoomState>>,
) -> Vec<(usize, Recovery)> {
    let reads = rooms.iter().enumerate().map(|(index, room)| {
        let connector = connector.clone();
        let admin = admin.clone();
        async move {
            let acked_before = room.highest();
            let snapshot = timeout(
                Duration::from_secs(5),
                collect::snapshot(&connector, &admin, room.lot),
            )
            .await
            .ok()?
            .ok()?;
            Some((
                index,
                Recovery {
                    generation,
                    acked_before,
                    seq: snapshot.seq,
                    price_cents: snapshot.price_cents,
                    leader: snapshot.leader,
                },
            ))
        }
    });
    join_all(reads).await.into_iter().flatten().collect()
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_stop_over_the_second_half_and_the_last_after_the_last_kill() {
        let stopped: Vec<usize> = (0..=10)
            .map(|kills| rooms_stopped_after(kills, 10, 4))
            .collect();
        assert_eq!(stopped, [0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 3]);
        assert_eq!(rooms_stopped_after(1, 1, 3), 2);
        assert_eq!(rooms_stopped_after(0, 1, 3), 0);
        assert_eq!(rooms_stopped_after(5, 5, 1), 0);
    }

    #[test]
    fn a_password_is_not_printed() {
        assert_eq!(
            redacted("postgres://bidroom:secret@db.internal/bidroom"),
            "postgres://bidroom:***@db.internal/bidroom"
        );
        assert_eq!(
            redacted("postgres://postgres@127.0.0.1:5432/x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
    }
}
