//! What a run counts and times, shared by every task of the process.
//!
//! Counters are atomics. Latencies go into HdrHistograms kept per worker thread (a
//! thread-local shard behind an uncontended lock), so ten thousand watcher tasks share a
//! handful of histograms instead of holding one each; the report merges the shards. Each
//! shard keeps a whole-run histogram and one per second of the run, for the time series.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;

/// The latencies a run measures, in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Latency {
    /// From a bid's (intended) send time to its `accepted` answer.
    Accepted,
    /// From a bid's (intended) send time to its `rejected` answer.
    Rejected,
    /// From a bid's (intended) send time to a watcher's receiving its `bid` event.
    Broadcast,
}

pub const LATENCIES: [Latency; 3] = [Latency::Accepted, Latency::Rejected, Latency::Broadcast];

impl Latency {
    fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Latency::Accepted => "bid→accepted",
            Latency::Rejected => "bid→rejected",
            Latency::Broadcast => "bid→broadcast",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Latency::Accepted => "accepted",
            Latency::Rejected => "rejected",
            Latency::Broadcast => "broadcast",
        }
    }
}

/// Every reject code of SPEC §4, and a slot for anything else.
pub const REJECT_CODES: [&str; 12] = [
    "not_authenticated",
    "not_open",
    "not_eligible",
    "invalid_amount",
    "too_low",
    "bad_increment",
    "already_leading",
    "rate_limited",
    "forbidden",
    "not_found",
    "invalid_message",
    "other",
];

fn reject_index(code: &str) -> usize {
    REJECT_CODES
        .iter()
        .position(|known| *known == code)
        .unwrap_or(REJECT_CODES.len() - 1)
}

/// Latencies up to a minute, in microseconds; a larger one is recorded as a minute.
const HIGHEST_MICROS: u64 = 60_000_000;

fn histogram(significant_figures: u8) -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_MICROS, significant_figures)
        .expect("valid histogram bounds")
}

/// The whole run's histograms (3 significant figures) and one set per second (2).
struct Shard {
    total: Vec<Histogram<u64>>,
    seconds: Vec<Vec<Histogram<u64>>>,
}

impl Shard {
    fn new() -> Shard {
        Shard {
            total: LATENCIES.iter().map(|_| histogram(3)).collect(),
            seconds: Vec::new(),
        }
    }

    fn record(&mut self, latency: Latency, micros: u64, second: usize) {
        let micros = micros.clamp(1, HIGHEST_MICROS);
        self.total[latency.index()].saturating_record(micros);
        while self.seconds.len() <= second {
            self.seconds
                .push(LATENCIES.iter().map(|_| histogram(2)).collect());
        }
        self.seconds[second][latency.index()].saturating_record(micros);
    }
}

/// The process-wide counters and histograms.
pub struct Metrics {
    started: Instant,
    started_unix_ms: i64,
    shards: Mutex<Vec<Arc<Mutex<Shard>>>>,
    pub bids_sent: AtomicU64,
    pub bids_skipped_leading: AtomicU64,
    pub bids_accepted: AtomicU64,
    pub bids_rejected: AtomicU64,
    rejected_by_code: [AtomicU64; REJECT_CODES.len()],
    pub deliveries: AtomicU64,
    pub errors: AtomicU64,
    pub connections: AtomicU64,
    /// Bid events whose send time was never learned (their bidder's answer was lost).
    pub broadcasts_unmeasured: AtomicU64,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

thread_local! {
    static SHARD: RefCell<Option<Arc<Mutex<Shard>>>> = const { RefCell::new(None) };
}

/// The metrics of this run (one run per process).
pub fn global() -> &'static Metrics {
    METRICS.get_or_init(|| Metrics {
        started: Instant::now(),
        started_unix_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_millis() as i64,
        shards: Mutex::new(Vec::new()),
        bids_sent: AtomicU64::new(0),
        bids_skipped_leading: AtomicU64::new(0),
        bids_accepted: AtomicU64::new(0),
        bids_rejected: AtomicU64::new(0),
        rejected_by_code: Default::default(),
        deliveries: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        connections: AtomicU64::new(0),
        broadcasts_unmeasured: AtomicU64::new(0),
    })
}

/// Nanoseconds since the run started: the time base of every measurement. Never 0.
pub fn now_ns() -> u64 {
    global().started.elapsed().as_nanos() as u64 + 1
}

/// The instant `ns` nanoseconds after the run started.
pub fn instant_at(ns: u64) -> tokio::time::Instant {
    tokio::time::Instant::from_std(global().started + Duration::from_nanos(ns))
}

/// Milliseconds since the Unix epoch, as the server's clock (on this machine) tells time.
pub fn unix_ms() -> i64 {
    let metrics = global();
    metrics.started_unix_ms + metrics.started.elapsed().as_millis() as i64
}

/// Nanoseconds since the run started at a Unix time in milliseconds (0 if before).
pub fn ns_at_unix_ms(unix_ms: i64) -> u64 {
    let offset_ms = unix_ms - global().started_unix_ms;
    (offset_ms.max(0) as u64) * 1_000_000 + 1
}

impl Metrics {
    pub fn count(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn reject(&self, code: &str) {
        self.bids_rejected.fetch_add(1, Ordering::Relaxed);
        self.rejected_by_code[reject_index(code)].fetch_add(1, Ordering::Relaxed);
    }

    pub fn rejections_by_code(&self) -> Vec<(&'static str, u64)> {
        REJECT_CODES
            .iter()
            .zip(&self.rejected_by_code)
            .map(|(code, count)| (*code, count.load(Ordering::Relaxed)))
            .filter(|(_, count)| *count > 0)
            .collect()
    }

    /// Records a latency from `sent_ns` to now.
    pub fn record_since(&self, latency: Latency, sent_ns: u64) {
        let now = now_ns();
        self.record(latency, now.saturating_sub(sent_ns) / 1_000, now);
    }

    /// Records a latency from `from_ns` to `to_ns`.
    pub fn record_between(&self, latency: Latency, from_ns: u64, to_ns: u64) {
        self.record(latency, to_ns.saturating_sub(from_ns) / 1_000, to_ns);
    }

    fn record(&self, latency: Latency, micros: u64, at_ns: u64) {
        let second = (at_ns / 1_000_000_000) as usize;
        SHARD.with(|slot| {
            let mut slot = slot.borrow_mut();
            let shard = slot.get_or_insert_with(|| {
                let shard = Arc::new(Mutex::new(Shard::new()));
                self.shards
                    .lock()
                    .expect("shard registry")
                    .push(shard.clone());
                shard
            });
            shard
                .lock()
                .expect("latency shard")
                .record(latency, micros, second);
        });
    }

    /// The whole run's histogram of one latency, merged over every shard.
    pub fn total(&self, latency: Latency) -> Histogram<u64> {
        let mut merged = histogram(3);
        for shard in self.shards.lock().expect("shard registry").iter() {
            let shard = shard.lock().expect("latency shard");
            merged
                .add(&shard.total[latency.index()])
                .expect("histograms of the same bounds add");
        }
        merged
    }

    /// One second's histogram of one latency (second 0 is the run's first).
    pub fn second(&self, latency: Latency, second: usize) -> Histogram<u64> {
        let mut merged = histogram(2);
        for shard in self.shards.lock().expect("shard registry").iter() {
            let shard = shard.lock().expect("latency shard");
            if let Some(histograms) = shard.seconds.get(second) {
                merged
                    .add(&histograms[latency.index()])
                    .expect("histograms of the same bounds add");
            }
        }
        merged
    }

    /// The counters now, for progress and the time series.
    pub fn counts(&self) -> Counts {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        Counts {
            sent: load(&self.bids_sent),
            accepted: load(&self.bids_accepted),
            rejected: load(&self.bids_rejected),
            deliveries: load(&self.deliveries),
            errors: load(&self.errors),
            connections: load(&self.connections),
        }
    }
}

/// A reading of the counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub sent: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub deliveries: u64,
    pub errors: u64,
    pub connections: u64,
}

impl Counts {
    pub fn minus(self, earlier: Counts) -> Counts {
        Counts {
            sent: self.sent - earlier.sent,
            accepted: self.accepted - earlier.accepted,
            rejected: self.rejected - earlier.rejected,
            deliveries: self.deliveries - earlier.deliveries,
            errors: self.errors - earlier.errors,
            connections: self.connections,
        }
    }
}
