//! The report: a table at the end of the run, and the same figures as JSON for machines.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::checks::Check;
use crate::metrics::{self, LATENCIES};
use crate::progress::Second;
use crate::wire::Encoding;

/// What a scenario tells the report about itself.
#[derive(Clone, Debug, Serialize)]
pub struct RunFacts {
    pub scenario: &'static str,
    pub encoding: Encoding,
    pub rooms: usize,
    pub bidders: usize,
    pub watchers: usize,
    /// Bids per second offered (open loop), or `None` for a closed loop.
    pub rate: Option<f64>,
    pub strategy: Option<crate::cli::Strategy>,
    pub setup_secs: f64,
    pub connect_secs: f64,
    /// From the rooms' opening to the last bid sent.
    pub bidding_secs: f64,
    pub server_rss_kib: Option<u64>,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Bids {
    pub sent: u64,
    pub skipped_leading: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub rejected_by_code: BTreeMap<String, u64>,
    pub sent_per_sec: f64,
    pub accepted_per_sec: f64,
    pub rejected_per_sec: f64,
}

#[derive(Clone, Debug, Serialize, serde::Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConnectionFigures {
    pub requested: usize,
    pub opened: usize,
    pub failed: usize,
    pub alive: usize,
    pub connects_per_sec: f64,
    pub server_rss_before_kib: Option<u64>,
    pub server_rss_after_kib: Option<u64>,
    pub server_kib_per_connection: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    #[serde(flatten)]
    pub facts: RunFacts,
    pub bids: Bids,
    pub latency: BTreeMap<&'static str, Percentiles>,
    pub deliveries: u64,
    pub deliveries_per_sec: f64,
    pub broadcasts_unmeasured: u64,
    pub errors: u64,
    pub peak_server_rss_kib: Option<u64>,
    /// Mean CPU (percent of one core) over the seconds in which bids were sent or events
    /// delivered: client and server share the machine.
    pub loadtest_cpu_percent: Option<f64>,
    pub server_cpu_percent: Option<f64>,
    pub connections: Option<ConnectionFigures>,
    pub checks: Vec<Check>,
    pub series: Vec<Second>,
}

/// The mean of a per-second figure over the seconds in which bids or deliveries happened.
fn busy_mean(series: &[Second], figure: impl Fn(&Second) -> Option<f64>) -> Option<f64> {
    let busy: Vec<f64> = series
        .iter()
        .filter(|second| second.counts.sent + second.counts.deliveries > 0)
        .filter_map(figure)
        .collect();
    (!busy.is_empty()).then(|| busy.iter().sum::<f64>() / busy.len() as f64)
}

pub fn percentiles(histogram: &Histogram<u64>) -> Percentiles {
    let ms = |micros: u64| micros as f64 / 1000.0;
    Percentiles {
        count: histogram.len(),
        p50_ms: ms(histogram.value_at_quantile(0.5)),
        p90_ms: ms(histogram.value_at_quantile(0.9)),
        p99_ms: ms(histogram.value_at_quantile(0.99)),
        p999_ms: ms(histogram.value_at_quantile(0.999)),
        max_ms: ms(histogram.max()),
        mean_ms: histogram.mean() / 1000.0,
    }
}

impl Report {
    pub fn new(facts: RunFacts, series: Vec<Second>, checks: Vec<Check>) -> Report {
        let metrics = metrics::global();
        let counts = metrics.counts();
        let per_sec = |count: u64| {
            if facts.bidding_secs > 0.0 {
                count as f64 / facts.bidding_secs
            } else {
                0.0
            }
        };
        let bids = Bids {
            sent: counts.sent,
            skipped_leading: metrics
                .bids_skipped_leading
                .load(std::sync::atomic::Ordering::Relaxed),
            accepted: counts.accepted,
            rejected: counts.rejected,
            rejected_by_code: metrics
                .rejections_by_code()
                .into_iter()
                .map(|(code, count)| (code.to_owned(), count))
                .collect(),
            sent_per_sec: per_sec(counts.sent),
            accepted_per_sec: per_sec(counts.accepted),
            rejected_per_sec: per_sec(counts.rejected),
        };
        let latency = LATENCIES
            .iter()
            .map(|&latency| (latency.key(), metrics.total(latency)))
            .filter(|(_, histogram)| !histogram.is_empty())
            .map(|(key, histogram)| (key, percentiles(&histogram)))
            .collect();
        // Deliveries are counted over the busiest stretch: the seconds in which any were.
        let delivering_secs = series
            .iter()
            .filter(|second| second.counts.deliveries > 0)
            .count();
        let deliveries_per_sec = if delivering_secs > 0 {
            counts.deliveries as f64 / delivering_secs as f64
        } else {
            0.0
        };
        Report {
            bids,
            latency,
            deliveries: counts.deliveries,
            deliveries_per_sec,
            broadcasts_unmeasured: metrics
                .broadcasts_unmeasured
                .load(std::sync::atomic::Ordering::Relaxed),
            errors: counts.errors,
            peak_server_rss_kib: series
                .iter()
                .filter_map(|second| second.server_rss_kib)
                .chain(facts.server_rss_kib)
                .max(),
            loadtest_cpu_percent: busy_mean(&series, |second| second.loadtest_cpu_percent),
            server_cpu_percent: busy_mean(&series, |second| second.server_cpu_percent),
            connections: None,
            checks,
            series,
            facts,
        }
    }

    pub fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }

    /// The table printed at the end of a run.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let facts = &self.facts;
        let mut pace = match facts.rate {
            Some(rate) => format!("open loop, {rate} bids/s offered"),
            None => "closed loop".to_owned(),
        };
        if let Some(strategy) = facts.strategy {
            let _ = write!(pace, ", {strategy:?}");
        }
        let _ = writeln!(out);
        if facts.bidders == 0 {
            pace = "no bids".to_owned();
        }
        let _ = writeln!(
            out,
            "{}  ({:?}, {pace})  rooms {}  bidders {}  watchers {}",
            facts.scenario, facts.encoding, facts.rooms, facts.bidders, facts.watchers
        );
        let _ = writeln!(
            out,
            "setup {:.1} s   connecting {:.1} s   bidding window {:.1} s",
            facts.setup_secs, facts.connect_secs, facts.bidding_secs
        );
        if facts.bidders > 0 {
            let bids = &self.bids;
            let _ = writeln!(out);
            let _ = writeln!(out, "bids         total        per s");
            let _ = writeln!(
                out,
                "  sent     {:>9}  {:>11.0}",
                bids.sent, bids.sent_per_sec
            );
            let _ = writeln!(
                out,
                "  accepted {:>9}  {:>11.0}",
                bids.accepted, bids.accepted_per_sec
            );
            let _ = writeln!(
                out,
                "  rejected {:>9}  {:>11.0}",
                bids.rejected, bids.rejected_per_sec
            );
            for (code, count) in &bids.rejected_by_code {
                let _ = writeln!(out, "    {code:<16} {count:>9}");
            }
            if bids.skipped_leading > 0 {
                let _ = writeln!(out, "  not sent while leading {}", bids.skipped_leading);
            }
        }
        if !self.latency.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(
                out,
                "latency (ms)        count      p50      p90      p99    p99.9      max"
            );
            for latency in LATENCIES {
                if let Some(p) = self.latency.get(latency.key()) {
                    let _ = writeln!(
                        out,
                        "  {:<14} {:>9} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
                        latency.name(),
                        p.count,
                        p.p50_ms,
                        p.p90_ms,
                        p.p99_ms,
                        p.p999_ms,
                        p.max_ms
                    );
                }
            }
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "deliveries {} ({:.0}/s while delivering)   untimed broadcasts {}   errors {}",
            self.deliveries, self.deliveries_per_sec, self.broadcasts_unmeasured, self.errors
        );
        if let Some(percent) = self.loadtest_cpu_percent {
            let server = self
                .server_cpu_percent
                .map_or_else(String::new, |percent| format!(", server {percent:.0}%"));
            let _ = writeln!(
                out,
                "cpu while busy (percent of one core): load tester {percent:.0}%{server}"
            );
        }
        if let Some(kib) = self.peak_server_rss_kib {
            let _ = writeln!(
                out,
                "server memory (peak VmRSS) {:.1} MiB",
                kib as f64 / 1024.0
            );
        }
        if let Some(connections) = &self.connections {
            let _ = writeln!(
                out,
                "connections {} of {} opened ({:.0}/s), {} alive at the end",
                connections.opened,
                connections.requested,
                connections.connects_per_sec,
                connections.alive
            );
            if let Some(per_connection) = connections.server_kib_per_connection {
                let _ = writeln!(
                    out,
                    "server memory per connection {per_connection:.1} KiB ({:?} → {:?} KiB)",
                    connections.server_rss_before_kib, connections.server_rss_after_kib
                );
            }
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "checks");
        for check in &self.checks {
            let verdict = if check.passed { "pass" } else { "FAIL" };
            let _ = writeln!(out, "  {verdict}  {}: {}", check.name, check.detail);
        }
        out
    }
}
