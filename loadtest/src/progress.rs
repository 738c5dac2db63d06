//! A progress line on stderr once a second, and the time series the report and the chart
//! are drawn from.

use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::metrics::{self, Counts, Latency};
use crate::scenarios::read_rss_kib;

/// One second of the run.
#[derive(Clone, Debug, Serialize)]
pub struct Second {
    /// Seconds since the load tester started.
    pub t: u64,
    #[serde(flatten)]
    pub counts: Counts,
    pub accepted_p50_ms: Option<f64>,
    pub accepted_p99_ms: Option<f64>,
    pub broadcast_p99_ms: Option<f64>,
    pub server_rss_kib: Option<u64>,
    /// CPU the load tester used in this second, in percent of one core.
    pub loadtest_cpu_percent: Option<f64>,
    /// CPU the server used in this second (with `--server-pid`), in percent of one core.
    pub server_cpu_percent: Option<f64>,
}

pub struct Progress {
    stop: watch::Sender<bool>,
    sampler: JoinHandle<Vec<Second>>,
}

impl Progress {
    pub fn start(quiet: bool, server_pid: Option<u32>) -> Progress {
        let (stop, stopped) = watch::channel(false);
        let sampler = tokio::spawn(sample(quiet, server_pid, stopped));
        Progress { stop, sampler }
    }

    /// Stops sampling; returns the series with each second's latency percentiles.
    pub async fn finish(self) -> Vec<Second> {
        let _ = self.stop.send(true);
        let mut series = self.sampler.await.unwrap_or_default();
        let metrics = metrics::global();
        for second in &mut series {
            let index = second.t as usize - 1;
            let accepted = metrics.second(Latency::Accepted, index);
            let broadcast = metrics.second(Latency::Broadcast, index);
            second.accepted_p50_ms = quantile_ms(&accepted, 0.5);
            second.accepted_p99_ms = quantile_ms(&accepted, 0.99);
            second.broadcast_p99_ms = quantile_ms(&broadcast, 0.99);
        }
        series
    }
}

fn quantile_ms(histogram: &hdrhistogram::Histogram<u64>, quantile: f64) -> Option<f64> {
    (!histogram.is_empty()).then(|| histogram.value_at_quantile(quantile) as f64 / 1000.0)
}

async fn sample(
    quiet: bool,
    server_pid: Option<u32>,
    mut stopped: watch::Receiver<bool>,
) -> Vec<Second> {
    let metrics = metrics::global();
    let mut series = Vec::new();
    let mut previous = metrics.counts();
    let mut own_ticks = cpu_ticks("self");
    let server = server_pid.map(|pid| pid.to_string());
    let mut server_ticks = server.as_deref().and_then(cpu_ticks);
    // Samples fall on whole seconds of the run clock, as the histograms' seconds do.
    let mut t = metrics::now_ns() / 1_000_000_000 + 1;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(metrics::instant_at(t * 1_000_000_000)) => {}
            _ = stopped.changed() => break,
        }
        let now = metrics.counts();
        let delta = now.minus(previous);
        previous = now;
        let server_rss_kib = server_pid.and_then(read_rss_kib);
        let (loadtest_cpu_percent, now_ticks) = cpu_percent(own_ticks, cpu_ticks("self"));
        own_ticks = now_ticks;
        let (server_cpu_percent, now_ticks) =
            cpu_percent(server_ticks, server.as_deref().and_then(cpu_ticks));
        server_ticks = now_ticks;
        if !quiet {
            let accepted = metrics.second(Latency::Accepted, t as usize - 1);
            let p99 = quantile_ms(&accepted, 0.99)
                .map_or_else(|| "-".to_owned(), |ms| format!("{ms:.1} ms"));
            let cpu = |percent: Option<f64>| {
                percent.map_or_else(|| "-".to_owned(), |p| format!("{p:.0}%"))
            };
            let rss = server_rss_kib.map_or_else(String::new, |kib| {
                format!(
                    "  server {} MiB cpu {}",
                    kib / 1024,
                    cpu(server_cpu_percent)
                )
            });
            eprintln!(
                "[{t:>4}s] conns {:>6}  sent {:>7}/s  accepted {:>7}/s  rejected {:>6}/s  deliveries {:>9}/s  ack p99 {p99}  errors {}{rss}",
                now.connections,
                delta.sent,
                delta.accepted,
                delta.rejected,
                delta.deliveries,
                now.errors
            );
        }
        series.push(Second {
            t,
            counts: delta,
            accepted_p50_ms: None,
            accepted_p99_ms: None,
            broadcast_p99_ms: None,
            server_rss_kib,
            loadtest_cpu_percent,
            server_cpu_percent,
        });
        t += 1;
    }
    series
}

/// A process's CPU time so far (user + system), in clock ticks (`/proc/PID/stat`).
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: the fields after it start at the state (field 3).
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// Percent of one core used between two readings a second apart (Linux's 100 ticks/s).
fn cpu_percent(before: Option<u64>, now: Option<u64>) -> (Option<f64>, Option<u64>) {
    const TICKS_PER_SEC: f64 = 100.0;
    let percent = match (before, now) {
        (Some(before), Some(now)) => {
            Some((now.saturating_sub(before)) as f64 / TICKS_PER_SEC * 100.0)
        }
        _ => None,
    };
    (percent, now)
}
