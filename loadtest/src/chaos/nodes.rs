//! `chaos --nodes N`: the run on the nodes of one exchange (SPEC §10) instead of one
//! server. N `bidroom serve --cluster` processes share the run's PostgreSQL database and a
//! NATS server (an exchange name of the run's own on it), each on a port and a log of its
//! own; bidder i connects to node i % N.
//!
//! Each kill asks a live node which node holds the most of the run's rooms (`GET
//! /api/v1/cluster`) and SIGKILLs that one under load. The others must take its rooms
//! (its leases run out, another node takes each and rebuilds it from the journal); its
//! bidders reconnect to other nodes, and bids that other nodes were forwarding to it are
//! answered by the new owners. Once every room it held is held by another node, the run
//! reads each room's snapshot and starts the node again, same node id and port, while the
//! others keep serving. What is judged at the end is the same as for one server.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until, timeout, timeout_at};

use crate::cli::Chaos;
use crate::server::{self, Running, ServerSpec};
use crate::wire::Encoding;

use super::shared::{Endpoint, Target};
use super::verdict::{Failover, Restart};
use super::{ChaosReport, Floor, Life, Run, ms, observe_recovery};

/// How often the run asks a node for the room owners while it waits for a takeover.
const TAKEOVER_POLL: Duration = Duration::from_millis(50);

/// With more than one node the database must be PostgreSQL: the nodes share it.
pub fn check_database(args: &Chaos) -> anyhow::Result<()> {
    match args.server.database_url.as_deref() {
        Some(url) if server::database_kind(url) == "postgres" => Ok(()),
        _ => bail!(
            "--nodes {} runs the nodes of one exchange, which share a PostgreSQL database: \
             give --database-url postgres://... (with --fresh-database, a new database on \
             that server)",
            args.nodes
        ),
    }
}

/// The nodes of the run's exchange.
pub struct Cluster {
    nodes: Vec<Node>,
}

struct Node {
    id: String,
    spec: ServerSpec,
    /// Where it listens (the same port at every restart unless it had to move).
    listen: SocketAddr,
    process: Option<Running>,
    spawns: u64,
}

/// A restart's readiness, awaited apart from the run (an early kill does not wait for
/// it): once the node listens it is marked up, and moved if it listens elsewhere. Answers
/// where it listens and how long after its spawn.
type Readiness = JoinHandle<Result<(SocketAddr, Duration), String>>;

/// One kill's moments, for the life that follows it.
struct Killed {
    at: Instant,
    /// When the killed node was started again.
    respawned_at: Instant,
    /// The rooms it held that were still bid in: the first acknowledgement in one of them
    /// is the room's recovery (empty: any room's).
    watched: HashSet<i64>,
}

impl Cluster {
    /// `template` is how one server is started; each node adds its cluster flags and
    /// writes a log of its own beside the template's.
    pub fn new(args: &Chaos, template: &ServerSpec) -> Cluster {
        let name = format!("chaos_{}_{:08x}", std::process::id(), rand::random::<u32>());
        let nodes = (1..=args.nodes)
            .map(|number| {
                let id = format!("n{number}");
                let mut spec = template.clone();
                spec.log = node_log(&template.log, &id);
                spec.extra_args.extend(
                    [
                        "--cluster",
                        "--node-id",
                        &id,
                        "--cluster-name",
                        &name,
                        "--nats-url",
                        &args.nats_url,
                        "--lease-ttl-ms",
                        &args.lease_ttl_ms.to_string(),
                    ]
                    .map(str::to_owned),
                );
                Node {
                    id,
                    spec,
                    listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                    process: None,
                    spawns: 0,
                }
            })
            .collect();
        Cluster { nodes }
    }

    /// Each node's log.
    pub fn logs(&self) -> Vec<PathBuf> {
        self.nodes
            .iter()
            .map(|node| node.spec.log.clone())
            .collect()
    }

    fn ids(&self) -> Vec<String> {
        self.nodes.iter().map(|node| node.id.clone()).collect()
    }

    /// Starts every node, each on a free port, and waits until all are ready.
    async fn start(&mut self, limit: Duration) -> anyhow::Result<Vec<SocketAddr>> {
        for node in &mut self.nodes {
            node.listen = server::free_local_address()?;
            node.spawn()?;
        }
        let mut addresses = Vec::with_capacity(self.nodes.len());
        for node in &mut self.nodes {
            let process = node.process.as_mut().context("a node just started")?;
            let address = process
                .ready(limit)
                .await
                .map_err(|why| anyhow::anyhow!("node {} did not start: {why:?}", node.id))?;
            node.listen = address;
            addresses.push(address);
        }
        Ok(addresses)
    }

    async fn kill_all(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut process) = node.process.take() {
                let _ = process.kill().await;
            }
        }
    }
}

impl Node {
    fn spawn(&mut self) -> anyhow::Result<&mut Running> {
        let process = self.spec.spawn(self.listen, self.spawns)?;
        self.spawns += 1;
        Ok(self.process.insert(process))
    }

    async fn kill(&mut self) -> anyhow::Result<()> {
        match self.process.as_mut() {
            Some(process) => process.kill().await,
            None => Ok(()),
        }
    }
}

/// `server.log` → `server-n1.log`, beside it.
fn node_log(log: &Path, node: &str) -> PathBuf {
    let stem = log
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("server");
    let name = match log.extension().and_then(|extension| extension.to_str()) {
        Some(extension) => format!("{stem}-{node}.{extension}"),
        None => format!("{stem}-{node}"),
    };
    log.with_file_name(name)
}

impl Run<'_> {
    /// The run on the nodes of `cluster`: as [`Run::drive`], with each kill an owner's.
    pub(super) async fn drive_nodes(mut self, mut cluster: Cluster) -> anyhow::Result<ChaosReport> {
        let started = Instant::now();
        let addresses = cluster.start(self.stuck).await?;
        let floor = self.set_up(&addresses).await?;
        if timeout(self.stuck, self.generations.wait_first_ack(0))
            .await
            .is_err()
        {
            bail!(
                "no bid was acknowledged within {:?} of the lots' opening",
                self.stuck
            );
        }
        eprintln!(
            "chaos: bidding on {} nodes; killing the node holding the most rooms {} times",
            addresses.len(),
            self.args.kills
        );
        let mut killed: Vec<Killed> = Vec::new();
        let mut readiness: Vec<Option<Readiness>> = Vec::new();
        for kill in 1..=self.args.kills {
            self.live_node(
                u64::from(kill) - 1,
                &floor,
                &mut cluster,
                &killed,
                &mut readiness,
            )
            .await;
            let (kill_moments, ready) = self.kill_owner(kill, &floor, &mut cluster).await?;
            killed.push(kill_moments);
            readiness.push(Some(ready));
        }
        let last = u64::from(self.args.kills);
        self.live_node(last, &floor, &mut cluster, &killed, &mut readiness)
            .await;
        let _ = floor.rooms_stopped.send(floor.rooms.len());
        // A restart an early kill did not wait for: it is up by now, or stuck.
        for generation in 1..=last {
            self.await_restart(generation, &mut cluster, &mut readiness, &floor.target)
                .await;
        }
        let report = self.finish(floor, started).await;
        cluster.kill_all().await;
        report
    }

    /// Generation `generation`'s life: until the next kill is due, or for the last until
    /// the rooms stop. Generation g ≥ 1 begins with kill g.
    async fn live_node(
        &mut self,
        generation: u64,
        floor: &Floor,
        cluster: &mut Cluster,
        killed: &[Killed],
        readiness: &mut [Option<Readiness>],
    ) {
        let kill = generation
            .checked_sub(1)
            .and_then(|index| killed.get(index as usize));
        match (self.lives[generation as usize], kill) {
            (Life::Early(after), Some(kill)) => sleep_until(kill.respawned_at + after).await,
            (Life::Early(after), None) | (Life::Uptime(after), None) => sleep(after).await,
            (Life::Uptime(uptime), Some(kill)) => {
                self.await_restart(generation, cluster, readiness, &floor.target)
                    .await;
                let acked = timeout_at(
                    kill.at + self.stuck,
                    self.generations.wait_first_ack(generation),
                )
                .await;
                let stopped = *floor.rooms_stopped.borrow();
                let bidding = floor.rooms.iter().enumerate().any(|(index, room)| {
                    index >= stopped
                        && !room.is_closed()
                        && (kill.watched.is_empty() || kill.watched.contains(&room.lot))
                });
                let why = format!(
                    "no bid acknowledged in its rooms within {:?} of the kill",
                    self.stuck
                );
                if acked.is_err()
                    && bidding
                    && let Some(restart) = self.restart_mut(generation)
                {
                    restart.stuck.get_or_insert(why);
                }
                sleep(uptime).await;
            }
        }
        if let Some(kill) = kill {
            let first_ack = self.generations.first_ack(generation);
            if let Some(restart) = self.restart_mut(generation) {
                restart.first_ack_ms =
                    first_ack.map(|at| ms(at.saturating_duration_since(kill.at)));
            }
        }
    }

    fn restart_mut(&mut self, generation: u64) -> Option<&mut Restart> {
        self.restarts
            .iter_mut()
            .find(|restart| restart.generation == generation)
    }

    /// Kill `kill`: SIGKILLs the node holding the most rooms, waits until the others hold
    /// them, reads every room, and starts the node again.
    async fn kill_owner(
        &mut self,
        kill: u32,
        floor: &Floor,
        cluster: &mut Cluster,
    ) -> anyhow::Result<(Killed, Readiness)> {
        // The rooms still open: an ended room lingers a while, its lease held, for late
        // joiners, and nobody takes it over.
        let lots: HashSet<i64> = floor
            .rooms
            .iter()
            .filter(|room| !room.is_closed())
            .map(|room| room.lot)
            .collect();
        let leases = self
            .leases_within(floor, self.stuck)
            .await
            .context("asking a node who holds the rooms")?;
        let holdings = holdings(&leases, &lots);
        let ids = cluster.ids();
        let up: Vec<bool> = (0..ids.len())
            .map(|node| floor.target.is_up(node))
            .collect();
        let victim = victim(&ids, &up, &holdings, kill).context("no node is up to kill")?;
        let id = ids[victim].clone();
        let mut held = holdings.get(&id).cloned().unwrap_or_default();
        held.sort_unstable();

        floor.target.set_up(victim, false);
        cluster.nodes[victim].kill().await?;
        let killed_at = Instant::now();
        let stopped = self.stop_rooms(floor, kill);
        let watched: HashSet<i64> = floor
            .rooms
            .iter()
            .enumerate()
            .filter(|(index, room)| {
                *index >= stopped && !room.is_closed() && held.contains(&room.lot)
            })
            .map(|(_, room)| room.lot)
            .collect();
        // Bids sent from now on are the next generation's.
        self.generations
            .advance_watching(u64::from(kill), watched.clone());
        if !self.cli.quiet {
            eprintln!(
                "chaos: kill {kill} of {}: node {id}, holding {} rooms ({} rooms still bid in)",
                self.args.kills,
                held.len(),
                floor.rooms.len() - stopped
            );
        }

        let mut failover = Failover {
            node: id.clone(),
            held: held.clone(),
            taken_over_ms: None,
            taken_by: Vec::new(),
        };
        let mut stuck = None;
        if !held.is_empty() {
            match self.takeover(floor, &id, &held, killed_at).await {
                Some((after, by)) => {
                    if !self.cli.quiet {
                        eprintln!(
                            "chaos: node {id}'s rooms taken over by {} after {:.0} ms",
                            by.join(", "),
                            ms(after)
                        );
                    }
                    failover.taken_over_ms = Some(ms(after));
                    failover.taken_by = by;
                }
                None => {
                    stuck = Some(format!(
                        "node {id}'s rooms {held:?} not all held by another node within {:?} of the kill",
                        self.stuck
                    ));
                }
            }
        }
        self.recoveries.push(tokio::spawn(observe_recovery(
            u64::from(kill),
            floor.target.connector(),
            floor.admin_token.clone(),
            floor.rooms.clone(),
        )));

        // The node again, same id and port.
        let node = &mut cluster.nodes[victim];
        let listen = node.listen;
        let process = node.spawn()?;
        let respawned_at = process.spawned_at;
        let ready = self.watch_ready(victim, listen, process, floor.target.clone());
        self.restarts.push(Restart {
            generation: u64::from(kill),
            early: matches!(self.lives[kill as usize], Life::Early(_)),
            ready_ms: None,
            first_ack_ms: None,
            stuck,
            failover: Some(failover),
        });
        let kill_moments = Killed {
            at: killed_at,
            respawned_at,
            watched,
        };
        Ok((kill_moments, ready))
    }

    /// Waits for the restart of kill `generation` to be ready (if not awaited yet) and
    /// records it; one that exited before it listened is started once more on a port of
    /// its own (perhaps its port was taken meanwhile).
    async fn await_restart(
        &mut self,
        generation: u64,
        cluster: &mut Cluster,
        readiness: &mut [Option<Readiness>],
        target: &Arc<Target>,
    ) {
        let Some(slot) = readiness.get_mut(generation as usize - 1) else {
            return;
        };
        let Some(ready) = slot.take() else {
            return;
        };
        let Some(node) = self
            .restart_mut(generation)
            .and_then(|restart| restart.failover.as_ref())
            .and_then(|failover| cluster.ids().iter().position(|id| *id == failover.node))
        else {
            return;
        };
        let mut outcome = ready
            .await
            .unwrap_or_else(|error| Err(format!("its readiness task failed: {error}")));
        if let Err(why) = &outcome
            && why.starts_with("exited")
        {
            eprintln!("chaos: restart {generation} {why}; starting it on a new port");
            let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
            cluster.nodes[node].listen = any_port;
            outcome = match cluster.nodes[node].spawn() {
                Ok(process) => {
                    let ready = self.watch_ready(node, any_port, process, target.clone());
                    ready
                        .await
                        .unwrap_or_else(|error| Err(format!("its readiness task failed: {error}")))
                }
                Err(error) => Err(format!("not started again: {error:#}")),
            };
        }
        match outcome {
            Ok((address, after)) => {
                cluster.nodes[node].listen = address;
                if let Some(restart) = self.restart_mut(generation) {
                    restart.ready_ms = Some(ms(after));
                }
            }
            Err(why) => {
                if let Some(restart) = self.restart_mut(generation) {
                    restart.stuck.get_or_insert(format!("not ready: {why}"));
                }
            }
        }
    }

    /// Waits, apart from the run, for the process's ready line; then marks node `node` up.
    fn watch_ready(
        &self,
        node: usize,
        listen: SocketAddr,
        process: &mut Running,
        target: Arc<Target>,
    ) -> Readiness {
        let ready = process.take_ready();
        let spawned_at = process.spawned_at;
        let limit = self.stuck;
        let (encoding, pool_size): (Encoding, usize) =
            (self.cli.encoding, self.cli.setup_concurrency);
        tokio::spawn(async move {
            let ready = ready.ok_or("its ready line was already awaited")?;
            let address = match timeout(limit, ready).await {
                Ok(Ok(address)) => address,
                Ok(Err(_)) => return Err("exited before it listened".to_owned()),
                Err(_) => return Err(format!("not ready within {limit:?}")),
            };
            let after = spawned_at.elapsed();
            if address != listen {
                let endpoint = Endpoint::new(&format!("http://{address}"), encoding, pool_size)
                    .await
                    .map_err(|error| format!("{error:#}"))?;
                target.move_to(node, endpoint);
            }
            target.set_up(node, true);
            Ok((address, after))
        })
    }

    /// Waits until other nodes than `victim` hold every lot of `held` that is still live
    /// (one that has closed meanwhile is nobody's to take); answers how long after the
    /// kill, and who holds them. `None` after the stuck limit.
    async fn takeover(
        &self,
        floor: &Floor,
        victim: &str,
        held: &[i64],
        killed_at: Instant,
    ) -> Option<(Duration, Vec<String>)> {
        let deadline = killed_at + self.stuck;
        loop {
            if let Ok(leases) = self.leases(floor).await
                && self.all_ended(floor, &untaken(&leases, victim, held)).await
            {
                return Some((killed_at.elapsed(), holders(&leases, victim, held)));
            }
            if Instant::now() >= deadline {
                return None;
            }
            sleep(TAKEOVER_POLL).await;
        }
    }

    /// Whether every lot of `lots` has ended (`GET /lots/{id}`: not published, open or
    /// paused); one that cannot be read has not.
    async fn all_ended(&self, floor: &Floor, lots: &[i64]) -> bool {
        let api = floor.target.live().api;
        for lot in lots {
            let state = match api.get(None, &format!("/lots/{lot}")).await {
                Ok(shown) => shown["state"].as_str().unwrap_or_default().to_owned(),
                Err(_) => return false,
            };
            if matches!(state.as_str(), "published" | "open" | "paused" | "") {
                return false;
            }
        }
        true
    }

    /// The room leases, as a node that is up says (waiting up to `limit` for one).
    async fn leases_within(&self, floor: &Floor, limit: Duration) -> anyhow::Result<Vec<Lease>> {
        let deadline = Instant::now() + limit;
        loop {
            match self.leases(floor).await {
                Ok(leases) => return Ok(leases),
                Err(error) if Instant::now() >= deadline => return Err(error),
                Err(_) => sleep(TAKEOVER_POLL).await,
            }
        }
    }

    async fn leases(&self, floor: &Floor) -> anyhow::Result<Vec<Lease>> {
        if !floor.target.any_up() {
            bail!("no node is up");
        }
        let cluster = floor
            .target
            .live()
            .api
            .get(Some(&floor.admin_token), "/cluster")
            .await?;
        leases(&cluster)
    }
}

/// A room's lease, as `GET /api/v1/cluster` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Lease {
    lot: i64,
    node: String,
    /// Not run out (or given up): nobody else may take the room.
    held: bool,
}

fn leases(cluster: &Value) -> anyhow::Result<Vec<Lease>> {
    cluster["rooms"]
        .as_array()
        .with_context(|| format!("the rooms of {cluster}"))?
        .iter()
        .map(|room| {
            Ok(Lease {
                lot: room["lot_id"].as_i64().context("a lease's lot_id")?,
                node: room["node_id"]
                    .as_str()
                    .context("a lease's node_id")?
                    .to_owned(),
                held: room["held"].as_bool().context("a lease's held")?,
            })
        })
        .collect()
}

/// The run's rooms (`lots`) each node holds.
fn holdings(leases: &[Lease], lots: &HashSet<i64>) -> HashMap<String, Vec<i64>> {
    let mut holdings: HashMap<String, Vec<i64>> = HashMap::new();
    for lease in leases {
        if lease.held && lots.contains(&lease.lot) {
            holdings
                .entry(lease.node.clone())
                .or_default()
                .push(lease.lot);
        }
    }
    holdings
}

/// The node to kill: of those up, the one holding the most rooms; a tie goes to the first
/// at or after `kill % nodes`, so that kills move round while several hold as many.
fn victim(
    ids: &[String],
    up: &[bool],
    holdings: &HashMap<String, Vec<i64>>,
    kill: u32,
) -> Option<usize> {
    let count = ids.len();
    let first = kill as usize % count.max(1);
    let held = |node: usize| holdings.get(&ids[node]).map_or(0, Vec::len);
    (0..count)
        .map(|step| (first + step) % count)
        .filter(|&node| up[node])
        .fold(None, |best: Option<usize>, node| match best {
            Some(best) if held(best) >= held(node) => Some(best),
            _ => Some(node),
        })
}

/// The lots of `held` that no node but `victim` holds (a lot whose lease is gone has
/// ended, and needs none).
fn untaken(leases: &[Lease], victim: &str, held: &[i64]) -> Vec<i64> {
    held.iter()
        .copied()
        .filter(|lot| {
            leases
                .iter()
                .find(|lease| lease.lot == *lot)
                .is_some_and(|lease| !lease.held || lease.node == victim)
        })
        .collect()
}

/// The nodes other than `victim` that hold lots of `held`.
fn holders(leases: &[Lease], victim: &str, held: &[i64]) -> Vec<String> {
    let mut by: Vec<String> = leases
        .iter()
        .filter(|lease| lease.held && lease.node != victim && held.contains(&lease.lot))
        .map(|lease| lease.node.clone())
        .collect();
    by.sort();
    by.dedup();
    by
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(lot: i64, node: &str, held: bool) -> Lease {
        Lease {
            lot,
            node: node.to_owned(),
            held,
        }
    }

    fn ids() -> Vec<String> {
        ["n1", "n2", "n3"].map(str::to_owned).to_vec()
    }

    #[test]
    fn the_node_holding_the_most_rooms_is_killed() {
        let leases = [
            lease(1, "n1", true),
            lease(2, "n2", true),
            lease(3, "n2", true),
            lease(4, "n3", false),
            lease(99, "n3", true),
        ];
        let holdings = holdings(&leases, &HashSet::from([1, 2, 3, 4]));
        assert_eq!(
            holdings.get("n3"),
            None,
            "an expired lease and another run's lot"
        );
        assert_eq!(victim(&ids(), &[true; 3], &holdings, 1), Some(1));
        // A node that is down is not killed again.
        assert_eq!(victim(&ids(), &[true, false, true], &holdings, 1), Some(0));
        assert_eq!(victim(&ids(), &[false; 3], &holdings, 1), None);
    }

    #[test]
    fn kills_move_round_the_nodes_holding_as_many() {
        let holdings = HashMap::new();
        let killed: Vec<Option<usize>> = (1..=4)
            .map(|kill| victim(&ids(), &[true; 3], &holdings, kill))
            .collect();
        assert_eq!(killed, [Some(1), Some(2), Some(0), Some(1)]);
    }

    #[test]
    fn rooms_are_taken_over_once_other_nodes_hold_every_one() {
        let held = [1, 2, 3];
        // Its leases still run, then run out.
        let running = [
            lease(1, "n1", true),
            lease(2, "n1", true),
            lease(3, "n1", true),
        ];
        assert_eq!(untaken(&running, "n1", &held), [1, 2, 3]);
        let run_out = [
            lease(1, "n2", true),
            lease(2, "n1", false),
            lease(3, "n3", true),
        ];
        assert_eq!(untaken(&run_out, "n1", &held), [2]);
        // Taken by two nodes; lot 3 ended meanwhile (its lease is gone).
        let taken = [
            lease(1, "n3", true),
            lease(2, "n2", true),
            lease(9, "n2", true),
        ];
        assert!(untaken(&taken, "n1", &held).is_empty());
        assert_eq!(holders(&taken, "n1", &held), ["n2", "n3"]);
    }

    #[test]
    fn each_node_logs_beside_the_run_s_log() {
        assert_eq!(
            node_log(Path::new("/tmp/x/server.log"), "n2"),
            Path::new("/tmp/x/server-n2.log")
        );
        assert_eq!(
            node_log(Path::new("/tmp/x/chaos"), "n1"),
            Path::new("/tmp/x/chaos-n1")
        );
    }

    #[test]
    fn a_lease_list_is_read_from_the_cluster_route() {
        let cluster = serde_json::json!({
            "node_id": "n1",
            "rooms": [{"lot_id": 7, "node_id": "n2", "epoch": 3, "expires_at": "x", "held": true}],
        });
        assert_eq!(leases(&cluster).unwrap(), [lease(7, "n2", true)]);
        assert!(leases(&serde_json::json!({"error": "forbidden"})).is_err());
    }
}
