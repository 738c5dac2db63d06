//! A chaos run's report: a table at the end, and the same figures as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::checks::Check;
use crate::cli::Strategy;

use super::bidder::BidderRecord;
use super::verdict::{Figures, Restart, Verdict};

/// What the run hands the report.
pub struct RunFacts<'a> {
    pub seed: u64,
    pub database: &'static str,
    pub kills: u32,
    /// The servers: 1, or the nodes of one exchange (whose `--lease-ttl-ms` it is).
    pub nodes: usize,
    pub lease_ttl_ms: Option<u64>,
    pub rooms: usize,
    pub bidders: usize,
    pub rate: f64,
    pub strategy: Strategy,
    pub run_secs: f64,
    /// The rooms did not all close (or bids stayed unanswered) within the limit.
    pub gave_up: bool,
    pub records: &'a [(usize, BidderRecord)],
    pub restarts: Vec<Restart>,
    pub verdict: Verdict,
}

#[derive(Clone, Debug, Serialize)]
pub struct Spread {
    pub count: usize,
    pub p50_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

impl Spread {
    fn of(mut values: Vec<f64>) -> Spread {
        values.sort_by(f64::total_cmp);
        let p50 = (!values.is_empty()).then(|| values[(values.len() - 1) / 2]);
        Spread {
            count: values.len(),
            p50_ms: p50,
            max_ms: values.last().copied(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ChaosReport {
    pub scenario: &'static str,
    pub seed: u64,
    pub database: &'static str,
    pub kills: u32,
    pub nodes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lease_ttl_ms: Option<u64>,
    pub rooms: usize,
    pub bidders: usize,
    pub rate: f64,
    pub strategy: Strategy,
    pub run_secs: f64,
    #[serde(flatten)]
    pub figures: Figures,
    pub reconnects: u64,
    /// On a cluster: answers that said nothing of their bid, by code (`unavailable`: its
    /// room moving; `rate_limited` to a resend), each followed by the bid sent again.
    pub retried_by_code: BTreeMap<String, u64>,
    /// From each restart's spawn to its first `accepted`. On a cluster: from each kill to
    /// the first `accepted`, for a bid sent after it, in a room the killed node held.
    pub restart_to_first_ack: Spread,
    /// From each restart's spawn to its ready line.
    pub restart_to_ready: Spread,
    /// On a cluster: from each kill until other nodes held every room the killed one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kill_to_takeover: Option<Spread>,
    pub early_kills: usize,
    pub gave_up: bool,
    pub errors: Vec<String>,
    pub checks: Vec<Check>,
    pub restarts: Vec<Restart>,
}

impl ChaosReport {
    pub fn new(facts: RunFacts<'_>) -> ChaosReport {
        let records = facts.records.iter().map(|(_, record)| record);
        let errors: Vec<String> = records
            .clone()
            .flat_map(|record| record.errors.iter().cloned())
            .take(20)
            .collect();
        let mut checks = facts.verdict.checks;
        checks.push(Check::new(
            "no errors",
            errors.is_empty() && !facts.gave_up,
            if facts.gave_up {
                "gave up waiting for the rooms to close".to_owned()
            } else {
                format!("{} errors", errors.len())
            },
        ));
        ChaosReport {
            scenario: "chaos",
            seed: facts.seed,
            database: facts.database,
            kills: facts.kills,
            nodes: facts.nodes,
            lease_ttl_ms: facts.lease_ttl_ms,
            rooms: facts.rooms,
            bidders: facts.bidders,
            rate: facts.rate,
            strategy: facts.strategy,
            run_secs: facts.run_secs,
            figures: facts.verdict.figures,
            reconnects: records.clone().map(|record| record.reconnects).sum(),
            retried_by_code: records.fold(BTreeMap::new(), |mut total, record| {
                for (code, count) in &record.retried {
                    *total.entry(code.clone()).or_default() += count;
                }
                total
            }),
            restart_to_first_ack: Spread::of(
                facts
                    .restarts
                    .iter()
                    .filter_map(|restart| restart.first_ack_ms)
                    .collect(),
            ),
            restart_to_ready: Spread::of(
                facts
                    .restarts
                    .iter()
                    .filter_map(|restart| restart.ready_ms)
                    .collect(),
            ),
            kill_to_takeover: (facts.nodes > 1).then(|| {
                Spread::of(
                    facts
                        .restarts
                        .iter()
                        .filter_map(|restart| restart.failover.as_ref()?.taken_over_ms)
                        .collect(),
                )
            }),
            early_kills: facts
                .restarts
                .iter()
                .filter(|restart| restart.early)
                .count(),
            gave_up: facts.gave_up,
            errors,
            checks,
            restarts: facts.restarts,
        }
    }

    pub fn passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        let figures = &self.figures;
        let ms = |value: Option<f64>| value.map_or_else(|| "-".to_owned(), |ms| format!("{ms:.0}"));
        let _ = writeln!(out);
        let nodes = match self.lease_ttl_ms {
            Some(ttl) => format!(", {} nodes, lease {ttl} ms", self.nodes),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "chaos  ({}{nodes}, seed {})  kills {} ({} early)  rooms {}  bidders {}  {} bids/s offered, {:?}  {:.1} s",
            self.database,
            self.seed,
            self.kills,
            self.early_kills,
            self.rooms,
            self.bidders,
            self.rate,
            self.strategy,
            self.run_secs
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "bids  sent {}  acknowledged {}  refused {}  unanswered {}",
            figures.bids_sent, figures.acknowledged, figures.refused, figures.unanswered
        );
        let refusals: Vec<String> = figures
            .refused_by_code
            .iter()
            .map(|(code, count)| format!("{code} {count}"))
            .collect();
        if !refusals.is_empty() {
            let _ = writeln!(out, "      refused as: {}", refusals.join(", "));
        }
        let _ = writeln!(
            out,
            "      resent after a kill {} (acknowledged {})  reconnects {}",
            figures.resent, figures.resent_acknowledged, self.reconnects
        );
        let _ = writeln!(
            out,
            "      missing {}  duplicated {}  refused present {}  seq gaps {}",
            figures.missing,
            figures.duplicated,
            figures.refused_present,
            figures.seq_gaps + figures.seq_backwards
        );
        if self.nodes > 1 {
            let retried: Vec<String> = self
                .retried_by_code
                .iter()
                .map(|(code, count)| format!("{code} {count}"))
                .collect();
            let _ = writeln!(
                out,
                "      answers that said nothing of the bid, sent again: {}  live gaps healed by a rejoin {}",
                if retried.is_empty() {
                    "none".to_owned()
                } else {
                    retried.join(", ")
                },
                figures.gaps_healed
            );
        }
        if let Some(takeover) = &self.kill_to_takeover {
            let _ = writeln!(
                out,
                "kill → rooms taken over        p50 {} ms  max {} ms  ({} kills measured)",
                ms(takeover.p50_ms),
                ms(takeover.max_ms),
                takeover.count
            );
            let _ = writeln!(
                out,
                "kill → first ack in its rooms  p50 {} ms  max {} ms",
                ms(self.restart_to_first_ack.p50_ms),
                ms(self.restart_to_first_ack.max_ms),
            );
        } else {
            let _ = writeln!(
                out,
                "restart → first ack  p50 {} ms  max {} ms  ({} restarts measured)",
                ms(self.restart_to_first_ack.p50_ms),
                ms(self.restart_to_first_ack.max_ms),
                self.restart_to_first_ack.count
            );
        }
        let _ = writeln!(
            out,
            "restart → ready      p50 {} ms  max {} ms",
            ms(self.restart_to_ready.p50_ms),
            ms(self.restart_to_ready.max_ms)
        );
        for error in self.errors.iter().take(5) {
            let _ = writeln!(out, "  error: {error}");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_and_the_maximum() {
        let spread = Spread::of(vec![30.0, 10.0, 20.0, 40.0]);
        assert_eq!((spread.p50_ms, spread.max_ms), (Some(20.0), Some(40.0)));
        assert_eq!(Spread::of(Vec::new()).p50_ms, None);
    }
}
