//! `ceiling`: what this machine does with WebSockets at all, with no bidroom code, so that
//! bidroom's figures can be given as a ratio of it.
//!
//! A bare tokio-tungstenite server runs in this process on 127.0.0.1:0, on a runtime of its
//! own (as a server process would have its own threads), and two measurements run against
//! it from the load tester's runtime:
//! - **ping-pong**: N connections, one message in flight on each, echoed by the server:
//!   round trips per second and the round trip's latency;
//! - **broadcast**: one sender in the server to N receivers at a fixed rate (open loop, each
//!   latency measured from the intended send time), every frame one shared `Bytes`, each
//!   connection feeding what is ready and flushing once (at most 256 frames a flush), as
//!   bidroom's sessions do: deliveries per second, delivery latency, and frames missed.
//!
//! With a scenario (`ceiling many-rooms ...`, `ceiling hot-room ...`), [`shaped`] runs it
//! against the bare [`relay`] and against bidroom instead, for bidroom's figures as a
//! ratio of the relay's.

mod bare_server;
mod clients;
pub mod relay;
pub mod shaped;

use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::cli::Ceiling;
pub(crate) use crate::report::{Percentiles, percentiles};

/// Latencies up to a minute, in microseconds, to 3 significant figures.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

/// A histogram many tasks record into: each task collects a few hundred samples, then
/// takes the lock once for all of them (10,000 receivers cannot each own a histogram).
pub struct SharedHistogram {
    histogram: Mutex<Histogram<u64>>,
}

/// Samples a task collects before it takes the shared histogram's lock.
const SAMPLES_PER_LOCK: usize = 256;

impl SharedHistogram {
    fn new() -> SharedHistogram {
        SharedHistogram {
            histogram: Mutex::new(histogram()),
        }
    }

    /// Records and empties `samples` (microseconds).
    fn record(&self, samples: &mut Vec<u64>) {
        let mut histogram = self.histogram.lock().expect("latency histogram");
        for &micros in samples.iter() {
            histogram.saturating_record(micros.clamp(1, 60_000_000));
        }
        samples.clear();
    }

    fn take(self) -> Histogram<u64> {
        self.histogram.into_inner().expect("latency histogram")
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct PingPong {
    pub connections: usize,
    pub secs: f64,
    pub round_trips: u64,
    pub round_trips_per_sec: f64,
    pub errors: u64,
    pub latency: Percentiles,
}

#[derive(Clone, Debug, Serialize)]
pub struct Broadcast {
    pub receivers: usize,
    pub messages_per_sec_offered: f64,
    pub messages_sent: u64,
    pub secs: f64,
    pub deliveries: u64,
    pub deliveries_per_sec: f64,
    /// Frames a receiver never got (the bare server dropped them for a lagging receiver,
    /// or the receiver gave up).
    pub missed: u64,
    /// Of those, frames the bare server skipped for receivers that fell more than 1,024
    /// behind (a `Lagged` from the broadcast channel).
    pub skipped_by_server: u64,
    pub errors: u64,
    pub latency: Percentiles,
}

#[derive(Clone, Debug, Serialize)]
pub struct CeilingReport {
    pub message_bytes: usize,
    pub server_threads: usize,
    pub ping_pong: PingPong,
    pub broadcast: Broadcast,
}

impl CeilingReport {
    /// Whether every connection worked and every receiver got every frame.
    pub fn passed(&self) -> bool {
        self.ping_pong.errors == 0
            && self.ping_pong.round_trips > 0
            && self.broadcast.errors == 0
            && self.broadcast.missed == 0
            && self.broadcast.deliveries > 0
    }

    pub fn table(&self) -> String {
        let ping = &self.ping_pong;
        let broadcast = &self.broadcast;
        let row = |name: &str, latency: &Percentiles| {
            format!(
                "  {name:<14} {:>9} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3}\n",
                latency.count,
                latency.p50_ms,
                latency.p90_ms,
                latency.p99_ms,
                latency.p999_ms,
                latency.max_ms
            )
        };
        format!(
            "\nceiling: bare tokio-tungstenite on 127.0.0.1, no bidroom code \
             ({}-byte binary frames, server runtime {} threads)\n\n\
             ping-pong  {} connections, {:.1} s: {:.0} round trips/s   errors {}\n\
             broadcast  {} receivers, {:.0} msgs/s offered, {} sent in {:.1} s: \
             {:.0} deliveries/s   missed {} (skipped by the server {})   errors {}\n\n\
             latency (ms)        count      p50      p90      p99    p99.9      max\n{}{}",
            self.message_bytes,
            self.server_threads,
            ping.connections,
            ping.secs,
            ping.round_trips_per_sec,
            ping.errors,
            broadcast.receivers,
            broadcast.messages_per_sec_offered,
            broadcast.messages_sent,
            broadcast.secs,
            broadcast.deliveries_per_sec,
            broadcast.missed,
            broadcast.skipped_by_server,
            broadcast.errors,
            row("round trip", &ping.latency),
            row("delivery", &broadcast.latency),
        )
    }
}

/// Descriptors the process needs besides the connections' (listeners, runtimes, stdio).
const SPARE_DESCRIPTORS: u64 = 256;

/// Runs both measurements, one after the other, against one bare server.
pub async fn run(args: &Ceiling) -> anyhow::Result<CeilingReport> {
    // Both ends of every connection live in this process: two descriptors each.
    let needed = 2 * args.connections.max(args.receivers) as u64 + SPARE_DESCRIPTORS;
    let (limit, _) = rlimit::getrlimit(rlimit::Resource::NOFILE)?;
    if needed > limit {
        anyhow::bail!(
            "the ceiling holds both ends of each connection in this process: {} connections need about {needed} open files, and the limit is {limit} (raise it with ulimit -n)",
            args.connections.max(args.receivers)
        );
    }
    let duration = Duration::from_secs_f64(args.duration_secs);
    let server = bare_server::BareServer::start(args.server_threads.max(1))?;
    eprintln!(
        "ceiling: ping-pong over {} connections for {:.1} s",
        args.connections, args.duration_secs
    );
    let ping_pong = clients::ping_pong(
        server.echo_address,
        args.connections,
        args.message_bytes,
        duration,
    )
    .await;
    eprintln!(
        "ceiling: broadcast to {} receivers at {} msgs/s for {:.1} s",
        args.receivers, args.broadcast_rate, args.duration_secs
    );
    let broadcast = clients::broadcast(&server, args, duration).await;
    server.stop();
    Ok(CeilingReport {
        message_bytes: args.message_bytes,
        server_threads: args.server_threads.max(1),
        ping_pong: ping_pong?,
        broadcast: broadcast?,
    })
}
