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
        if !quiet {
            let accepted = metrics.second(Latency::Accepted, t as usize - 1);
            let p99 = quantile_ms(&accepted, 0.99)
                .map_or_else(|| "-".to_owned(), |ms| format!("{ms:.1} ms"));
            let rss = server_rss_kib
                .map_or_else(String::new, |kib| format!("  server {} MiB", kib / 1024));
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
        });
        t += 1;
    }
    series
}
