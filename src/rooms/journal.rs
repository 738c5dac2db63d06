//! The journal writer: one task that group-commits room events from every room.
//!
//! Rooms hand it batches; it takes whatever has queued up while the previous commit was in
//! flight (up to `JOURNAL_MAX_BATCH_ROWS`), writes it in one database transaction, and then
//! tells each room how far its events are durable. A room acknowledges and broadcasts an
//! event only after that notice (SPEC §6).
//!
//! A database that cannot be reached is waited out: the writer retries until it commits.
//! A row the database will never take (text it refuses, or a key another writer holds)
//! must not stall every other room behind it: the writer then looks for the rows at
//! fault, commits the rest, and tells each room at fault from which seq its events were
//! refused. Those events, and every later one of the same room that was applied on top of
//! them, are never acknowledged; the room rewinds to what is durable (see the actor).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::domain::LotId;
use crate::limits::{JOURNAL_MAX_BATCH_ROWS, JOURNAL_QUEUE_CAPACITY};
use crate::storage::{JournalError, JournalRow, Store};

/// Rows from one room, and where to report how far they are durable.
pub struct JournalBatch {
    pub rows: Vec<JournalRow>,
    /// The room's count of rewinds when it applied these rows: after a refusal, the rows
    /// the room handed over before it rewound are refused too.
    pub rewinds: u64,
    /// The epoch of the room's lease: the rows are written only while the database still
    /// holds it (see [`crate::storage::leases`]).
    pub lease_epoch: i64,
    pub notices: mpsc::UnboundedSender<Durability>,
}

/// What the writer tells a room about its rows, in the order it handed them over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Every row up to this seq has committed.
    Committed(u64),
    /// The rows from this seq on (of the batches of `rewinds`) will never be stored.
    Refused { rewinds: u64, from_seq: u64 },
    /// The room's lease has moved on to another holder: none of these rows, nor any later
    /// one under the same lease, will be stored.
    Fenced,
}

/// The sending side of the journal. Cheap to clone; the writer ends once every clone has
/// been dropped and the queue is empty.
#[derive(Clone)]
pub struct Journal {
    queue: mpsc::Sender<JournalBatch>,
    health: JournalHealth,
}

/// Whether the journal's commits are failing now (`/readyz`): set when a commit fails
/// because the database is unavailable, cleared by the next commit that lands. A row the
/// database refuses does not count: the writer commits the rest without it.
#[derive(Clone, Debug, Default)]
pub struct JournalHealth(Arc<AtomicBool>);

impl JournalHealth {
    pub fn commits_failing(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    fn set_failing(&self, failing: bool) {
        if self.0.swap(failing, Ordering::Relaxed) != failing {
            metrics::gauge!("bidroom_journal_commits_failing").set(f64::from(u8::from(failing)));
        }
    }
}

/// The journal writer stopped: nothing more can be made durable.
#[derive(Debug, thiserror::Error)]
#[error("the journal writer has stopped")]
pub struct JournalStopped;

impl Journal {
    pub fn start(store: Arc<dyn Store>) -> (Journal, JoinHandle<()>) {
        let (queue, batches) = mpsc::channel(JOURNAL_QUEUE_CAPACITY);
        let health = JournalHealth::default();
        let writer = tokio::spawn(write_batches(store, batches, health.clone()));
        (Journal { queue, health }, writer)
    }

    pub fn health(&self) -> JournalHealth {
        self.health.clone()
    }

    /// Queues rows for the next group commit; waits while the queue is full.
    pub async fn append(&self, batch: JournalBatch) -> Result<(), JournalStopped> {
        self.queue.send(batch).await.map_err(|_| JournalStopped)
    }
}

async fn write_batches(
    store: Arc<dyn Store>,
    mut batches: mpsc::Receiver<JournalBatch>,
    health: JournalHealth,
) {
    let mut taken = Vec::new();
    // The rewinds at which each room's rows were last refused.
    let mut refused_rewinds: HashMap<LotId, u64> = HashMap::new();
    // The lease epoch under which each room's rows were last fenced off.
    let mut fenced_leases: HashMap<LotId, i64> = HashMap::new();
    while let Some(first) = batches.recv().await {
        taken.push(first);
        let mut row_count = taken[0].rows.len();
        while row_count < JOURNAL_MAX_BATCH_ROWS {
            match batches.try_recv() {
                Ok(batch) => {
                    row_count += batch.rows.len();
                    taken.push(batch);
                }
                Err(_) => break,
            }
        }
        // A room's rows applied before it rewound from a refusal are refused unwritten, and
        // so are rows under a lease already fenced off.
        let mut live = Vec::with_capacity(taken.len());
        for batch in taken.drain(..) {
            let Some(lot) = batch.rows.first().map(|row| row.lot_id) else {
                continue;
            };
            if fenced_leases
                .get(&lot)
                .is_some_and(|&epoch| batch.lease_epoch <= epoch)
            {
                let _ = batch.notices.send(Durability::Fenced);
            } else if refused_rewinds
                .get(&lot)
                .is_some_and(|&rewinds| batch.rewinds <= rewinds)
            {
                notify(&batch, batch.rows.first().map(|row| row.seq));
            } else {
                live.push(batch);
            }
        }
        let rows: Vec<JournalRow> = live.iter().flat_map(|batch| batch.rows.clone()).collect();
        let leases: HashMap<LotId, i64> = live
            .iter()
            .map(|batch| (batch.rows[0].lot_id, batch.lease_epoch))
            .collect();
        metrics::counter!("bidroom_journal_rows_total").increment(rows.len() as u64);
        metrics::histogram!("bidroom_journal_batch_rows").record(rows.len() as f64);
        // What queued up behind this batch while the last commit was in flight.
        metrics::gauge!("bidroom_journal_queue_batches").set(batches.len() as f64);
        let started = tokio::time::Instant::now();
        let outcome = commit(store.as_ref(), &health, rows, &leases).await;
        metrics::histogram!("bidroom_journal_commit_seconds")
            .record(started.elapsed().as_secs_f64());
        for batch in &live {
            let lot = batch.rows[0].lot_id;
            if outcome.fenced.contains(&lot) {
                fenced_leases.insert(lot, batch.lease_epoch);
                let _ = batch.notices.send(Durability::Fenced);
                continue;
            }
            if outcome.refused.contains_key(&lot) {
                refused_rewinds.insert(lot, batch.rewinds);
            }
            notify(batch, outcome.refused.get(&lot).copied());
        }
    }
}

/// Tells a room how far its batch is durable, given the first seq of its lot the writer
/// refused (if any).
fn notify(batch: &JournalBatch, refused_from: Option<u64>) {
    let (Some(first), Some(last)) = (batch.rows.first(), batch.rows.last()) else {
        return;
    };
    // A room that has gone away no longer needs the notice.
    match refused_from {
        Some(from_seq) if from_seq <= last.seq => {
            if from_seq > first.seq {
                let _ = batch.notices.send(Durability::Committed(from_seq - 1));
            }
            let _ = batch.notices.send(Durability::Refused {
                rewinds: batch.rewinds,
                from_seq: from_seq.max(first.seq),
            });
        }
        _ => {
            let _ = batch.notices.send(Durability::Committed(last.seq));
        }
    }
}

/// What became of the rows of a group commit.
#[derive(Default)]
struct Outcome {
    /// For each lot with a row the database refuses, the first refused seq (none of that
    /// lot's rows from it on are stored).
    refused: HashMap<LotId, u64>,
    /// The lots whose lease has moved on: none of their rows are stored.
    fenced: HashSet<LotId>,
}

/// Commits the rows, each lot's under its lease epoch in `leases`; every row of a lot that
/// is neither refused nor fenced off is stored.
async fn commit(
    store: &dyn Store,
    health: &JournalHealth,
    rows: Vec<JournalRow>,
    leases: &HashMap<LotId, i64>,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut writer = FencedWriter {
        store,
        health,
        leases,
        fenced: &mut outcome.fenced,
    };
    if rows.is_empty() || writer.commit_whole(&rows).await.is_ok() {
        return outcome;
    }
    metrics::counter!("bidroom_journal_refused_batches_total").increment(1);
    // Rare: look for the rows at fault, lot by lot, halving the lots that fail together.
    let mut by_lot: BTreeMap<LotId, Vec<JournalRow>> = BTreeMap::new();
    for row in rows {
        by_lot.entry(row.lot_id).or_default().push(row);
    }
    let mut failing: Vec<Vec<Vec<JournalRow>>> = vec![by_lot.into_values().collect()];
    while let Some(mut lots) = failing.pop() {
        if lots.len() == 1 {
            let rows = lots.pop().expect("one lot");
            let Some(seq) = writer.first_refused_seq(&rows).await else {
                continue;
            };
            tracing::error!(
                lot = rows[0].lot_id,
                seq,
                "the journal refused a room's events"
            );
            metrics::counter!("bidroom_journal_refused_rooms_total").increment(1);
            outcome.refused.insert(rows[0].lot_id, seq);
            continue;
        }
        let second = lots.split_off(lots.len() / 2);
        for half in [lots, second] {
            let rows: Vec<JournalRow> = half.iter().flatten().cloned().collect();
            if writer.commit_whole(&rows).await.is_err() {
                failing.push(half);
            }
        }
    }
    outcome
}

/// Writes rows under their lots' leases, leaving out (and remembering) the lots the
/// database has fenced off.
struct FencedWriter<'a> {
    store: &'a dyn Store,
    health: &'a JournalHealth,
    leases: &'a HashMap<LotId, i64>,
    fenced: &'a mut HashSet<LotId>,
}

impl FencedWriter<'_> {
    /// One lot's rows, in seq order, that the database refuses when written together:
    /// commits the longest prefix it takes and answers the seq of the first row it refuses
    /// (`None` if the lot was fenced off meanwhile). (What the database refuses is a row for
    /// what it holds, so of two halves that fail together, the first that fails alone holds
    /// it, or else the second does.)
    async fn first_refused_seq(&mut self, rows: &[JournalRow]) -> Option<u64> {
        // rows[..committed] are stored; rows[committed..failing] fail when written together.
        let mut committed = 0;
        let mut failing = rows.len();
        while failing - committed > 1 {
            let middle = committed + (failing - committed) / 2;
            match self.commit_whole(&rows[committed..middle]).await {
                Ok(()) => committed = middle,
                Err(Refused) => failing = middle,
            }
        }
        (!self.fenced.contains(&rows[committed].lot_id)).then_some(rows[committed].seq)
    }

    /// Commits the rows as one transaction, retrying until the database takes them or
    /// refuses a row: an event that was applied in a room must become durable before
    /// anyone hears of it, so the writer waits out a database outage (rooms meanwhile queue
    /// up behind it) rather than drop anything. Rows of a lot fenced off are left out.
    async fn commit_whole(&mut self, rows: &[JournalRow]) -> Result<(), Refused> {
        let mut backoff = Duration::from_millis(10);
        let mut rows = std::borrow::Cow::Borrowed(rows);
        loop {
            if self
                .fenced
                .iter()
                .any(|lot| rows.iter().any(|row| row.lot_id == *lot))
            {
                let fenced = &*self.fenced;
                rows.to_mut().retain(|row| !fenced.contains(&row.lot_id));
            }
            if rows.is_empty() {
                return Ok(());
            }
            let lots: BTreeSet<LotId> = rows.iter().map(|row| row.lot_id).collect();
            // In lot order: two writers' fence checks lock lease rows in one order.
            let leases: Vec<(LotId, i64)> = lots
                .into_iter()
                .filter_map(|lot| Some((lot, *self.leases.get(&lot)?)))
                .collect();
            match self.store.append_fenced(&rows, &leases).await {
                Ok(()) => {
                    self.health.set_failing(false);
                    return Ok(());
                }
                Err(JournalError::Fenced(lots)) => {
                    self.health.set_failing(false);
                    tracing::warn!(
                        ?lots,
                        "another node has taken these rooms; their rows are not written"
                    );
                    metrics::counter!("bidroom_journal_fenced_rooms_total")
                        .increment(lots.len() as u64);
                    self.fenced.extend(lots);
                }
                Err(JournalError::Refused(reason)) => {
                    // The database answered: it is the row that is at fault.
                    self.health.set_failing(false);
                    tracing::warn!(%reason, rows = rows.len(), "the database refuses a journal row");
                    return Err(Refused);
                }
                Err(JournalError::Unavailable(error)) => {
                    tracing::error!(error = ?error, rows = rows.len(), "failed to journal room events; retrying");
                    metrics::counter!("bidroom_journal_failures_total").increment(1);
                    self.health.set_failing(true);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
    }
}

/// The database refuses a row of the rows written.
struct Refused;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auction::LotState;
    use crate::money::Money;
    use crate::storage::testing::TestStore;
    use crate::storage::{Release, RoomEventKind};

    fn bid(lot_id: LotId, seq: u64, account: i64) -> JournalRow {
        JournalRow {
            lot_id,
            seq,
            kind: RoomEventKind::Bid,
            at_ms: 1_800_000_000_000 + seq as i64,
            account_id: Some(account),
            bidder_number: Some(Arc::from("0427")),
            amount: Some(Money::parse(&format!("{}.00", seq * 100)).expect("an amount")),
            req: Some(Arc::from(format!("req-{seq}").as_str())),
            state: LotState::Open,
            text: None,
            deadline_ms: 1_800_000_060_000,
            remaining_ms: None,
            extensions: 0,
        }
    }

    fn batch(
        rows: Vec<JournalRow>,
        rewinds: u64,
    ) -> (JournalBatch, mpsc::UnboundedReceiver<Durability>) {
        let (notices, received) = mpsc::unbounded_channel();
        (
            JournalBatch {
                rows,
                rewinds,
                lease_epoch: 1,
                notices,
            },
            received,
        )
    }

    /// Node "test" takes the lots' leases (each its first: epoch 1, the batches' epoch).
    async fn lease(store: &dyn Store, lots: &[LotId]) {
        for lot in lots {
            let taken = store
                .acquire_lease(*lot, "test", 0, i64::MAX)
                .await
                .expect("the lease");
            assert_eq!(taken.map(|taken| taken.epoch), Some(1));
        }
    }

    async fn notices(
        received: &mut mpsc::UnboundedReceiver<Durability>,
        count: usize,
    ) -> Vec<Durability> {
        let mut notices = Vec::new();
        for _ in 0..count {
            notices.push(received.recv().await.expect("a notice"));
        }
        notices
    }

    /// Lot 1's seq 2 is held by another writer: lot 1 commits through seq 1 and is refused
    /// from seq 2 (and so is its batch handed over before it rewound), and lot 2 commits
    /// whole.
    async fn check_a_refused_row_stalls_no_other_room(store: Arc<dyn Store>) {
        lease(&*store, &[1, 2]).await;
        store
            .append_room_events(&[bid(1, 2, 99)])
            .await
            .expect("the other writer's row");
        let (journal, writer) = Journal::start(store.clone());
        let (first, mut lot_1) = batch(vec![bid(1, 1, 7), bid(1, 2, 7), bid(1, 3, 7)], 0);
        let (other_room, mut lot_2) = batch(vec![bid(2, 1, 7), bid(2, 2, 8)], 0);
        let (stale, mut lot_1_stale) = batch(vec![bid(1, 4, 8)], 0);
        for batch in [first, other_room, stale] {
            journal.append(batch).await.expect("the writer runs");
        }
        assert_eq!(
            notices(&mut lot_1, 2).await,
            [
                Durability::Committed(1),
                Durability::Refused {
                    rewinds: 0,
                    from_seq: 2
                }
            ]
        );
        assert_eq!(notices(&mut lot_2, 1).await, [Durability::Committed(2)]);
        assert_eq!(
            notices(&mut lot_1_stale, 1).await,
            [Durability::Refused {
                rewinds: 0,
                from_seq: 4
            }]
        );
        // The room rewound to seq 1: its next event is seq 2 again, still the other
        // writer's, so it is refused again rather than ever acknowledged.
        let (rewound, mut lot_1_rewound) = batch(vec![bid(1, 2, 7)], 1);
        journal.append(rewound).await.expect("the writer runs");
        assert_eq!(
            notices(&mut lot_1_rewound, 1).await,
            [Durability::Refused {
                rewinds: 1,
                from_seq: 2
            }]
        );
        drop(journal);
        writer.await.expect("the writer ends");

        let stored = |lot| {
            let store = store.clone();
            async move {
                store
                    .recent_room_events(lot, 10)
                    .await
                    .expect("the journal reads")
                    .into_iter()
                    .map(|row| (row.seq, row.account_id))
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(stored(1).await, [(1, Some(7)), (2, Some(99))]);
        assert_eq!(stored(2).await, [(1, Some(7)), (2, Some(8))]);
    }

    #[tokio::test]
    async fn a_refused_row_stalls_no_other_room_on_sqlite() {
        let test_store = TestStore::sqlite().await;
        check_a_refused_row_stalls_no_other_room(test_store.store.clone()).await;
        test_store.finish().await;
    }

    #[tokio::test]
    async fn a_refused_row_stalls_no_other_room_on_postgres() {
        let test_store = TestStore::postgres().await;
        check_a_refused_row_stalls_no_other_room(test_store.store.clone()).await;
        test_store.finish().await;
    }

    /// A bid whose text PostgreSQL cannot store (a NUL) is refused alone; the rows of every
    /// other room in the same group commit are stored.
    #[tokio::test]
    async fn text_postgres_cannot_store_is_refused_and_the_rest_commits() {
        let test_store = TestStore::postgres().await;
        let store = test_store.store.clone();
        lease(&*store, &[1, 2]).await;
        let (journal, writer) = Journal::start(store.clone());
        let poisoned = JournalRow {
            req: Some(Arc::from("a\0b")),
            ..bid(1, 2, 7)
        };
        let (first, mut lot_1) = batch(vec![bid(1, 1, 7), poisoned], 0);
        let (other_room, mut lot_2) = batch(vec![bid(2, 1, 8)], 0);
        journal.append(first).await.expect("the writer runs");
        journal.append(other_room).await.expect("the writer runs");
        assert_eq!(
            notices(&mut lot_1, 2).await,
            [
                Durability::Committed(1),
                Durability::Refused {
                    rewinds: 0,
                    from_seq: 2
                }
            ]
        );
        assert_eq!(notices(&mut lot_2, 1).await, [Durability::Committed(1)]);
        drop(journal);
        writer.await.expect("the writer ends");
        assert_eq!(store.recent_room_events(1, 10).await.unwrap().len(), 1);
        assert_eq!(store.recent_room_events(2, 10).await.unwrap().len(), 1);
        drop(store);
        test_store.finish().await;
    }

    /// A room whose lease another node took hears that its rows are fenced off, and so is
    /// every later batch under that lease; the other rooms of the same commits are stored.
    async fn check_a_fenced_room_stalls_no_other_room(store: Arc<dyn Store>) {
        lease(&*store, &[1, 2]).await;
        // Node "other" takes lot 1 over (the lease is released, as a handover does).
        store
            .release_lease(1, "test", 1, Release::HandedOver { at_ms: 1 })
            .await
            .unwrap();
        let taken = store.acquire_lease(1, "other", 1, i64::MAX).await.unwrap();
        assert_eq!(taken.map(|taken| taken.epoch), Some(2));
        let (journal, writer) = Journal::start(store.clone());
        let (fenced, mut lot_1) = batch(vec![bid(1, 1, 7), bid(1, 2, 7)], 0);
        let (other_room, mut lot_2) = batch(vec![bid(2, 1, 7)], 0);
        let (later, mut lot_1_later) = batch(vec![bid(1, 3, 7)], 0);
        for batch in [fenced, other_room, later] {
            journal.append(batch).await.expect("the writer runs");
        }
        assert_eq!(notices(&mut lot_1, 1).await, [Durability::Fenced]);
        assert_eq!(notices(&mut lot_2, 1).await, [Durability::Committed(1)]);
        assert_eq!(notices(&mut lot_1_later, 1).await, [Durability::Fenced]);
        drop(journal);
        writer.await.expect("the writer ends");
        assert!(store.recent_room_events(1, 10).await.unwrap().is_empty());
        assert_eq!(store.recent_room_events(2, 10).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_fenced_room_stalls_no_other_room_on_sqlite() {
        let test_store = TestStore::sqlite().await;
        check_a_fenced_room_stalls_no_other_room(test_store.store.clone()).await;
        test_store.finish().await;
    }

    #[tokio::test]
    async fn a_fenced_room_stalls_no_other_room_on_postgres() {
        let test_store = TestStore::postgres().await;
        check_a_fenced_room_stalls_no_other_room(test_store.store.clone()).await;
        test_store.finish().await;
    }
}
