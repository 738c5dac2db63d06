//! The journal writer: one task that group-commits room events from every room.
//!
//! Rooms hand it batches; it takes whatever has queued up while the previous commit was in
//! flight (up to `JOURNAL_MAX_BATCH_ROWS`), writes it in one database transaction, and then
//! tells each room how far its events are durable. A room acknowledges and broadcasts an
//! event only after that notice (SPEC §6).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::limits::{JOURNAL_MAX_BATCH_ROWS, JOURNAL_QUEUE_CAPACITY};
use crate::storage::{JournalRow, Store};

/// Rows from one room, and where to report that they are durable.
pub struct JournalBatch {
    pub rows: Vec<JournalRow>,
    /// Receives the seq of the batch's last row once it has committed.
    pub committed: mpsc::UnboundedSender<u64>,
}

/// The sending side of the journal. Cheap to clone; the writer ends once every clone has
/// been dropped and the queue is empty.
#[derive(Clone)]
pub struct Journal {
    queue: mpsc::Sender<JournalBatch>,
}

/// The journal writer stopped: nothing more can be made durable.
#[derive(Debug, thiserror::Error)]
#[error("the journal writer has stopped")]
pub struct JournalStopped;

impl Journal {
    pub fn start(store: Arc<dyn Store>) -> (Journal, JoinHandle<()>) {
        let (queue, batches) = mpsc::channel(JOURNAL_QUEUE_CAPACITY);
        let writer = tokio::spawn(write_batches(store, batches));
        (Journal { queue }, writer)
    }

    /// Queues rows for the next group commit; waits while the queue is full.
    pub async fn append(&self, batch: JournalBatch) -> Result<(), JournalStopped> {
        self.queue.send(batch).await.map_err(|_| JournalStopped)
    }
}

async fn write_batches(store: Arc<dyn Store>, mut batches: mpsc::Receiver<JournalBatch>) {
    let mut rows = Vec::with_capacity(JOURNAL_MAX_BATCH_ROWS);
    let mut notices = Vec::new();
    while let Some(first) = batches.recv().await {
        take(first, &mut rows, &mut notices);
        while rows.len() < JOURNAL_MAX_BATCH_ROWS {
            match batches.try_recv() {
                Ok(batch) => take(batch, &mut rows, &mut notices),
                Err(_) => break,
            }
        }
        commit(store.as_ref(), &rows).await;
        metrics::counter!("bidroom_journal_rows_total").increment(rows.len() as u64);
        metrics::histogram!("bidroom_journal_batch_rows").record(rows.len() as f64);
        for (committed, seq) in notices.drain(..) {
            // A room that has gone away no longer needs the notice.
            let _ = committed.send(seq);
        }
        rows.clear();
    }
}

fn take(
    batch: JournalBatch,
    rows: &mut Vec<JournalRow>,
    notices: &mut Vec<(mpsc::UnboundedSender<u64>, u64)>,
) {
    if let Some(last) = batch.rows.last() {
        notices.push((batch.committed, last.seq));
        rows.extend(batch.rows);
    }
}

/// Commits the rows, retrying until the database takes them: an event that was applied in
/// a room must become durable before anyone hears of it, so the writer waits out a
/// database outage (rooms meanwhile queue up behind it) rather than drop anything.
async fn commit(store: &dyn Store, rows: &[JournalRow]) {
    let mut backoff = Duration::from_millis(10);
    loop {
        match store.append_room_events(rows).await {
            Ok(()) => return,
            Err(error) => {
                tracing::error!(error = ?error, rows = rows.len(), "failed to journal room events; retrying");
                metrics::counter!("bidroom_journal_failures_total").increment(1);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
        }
    }
}
