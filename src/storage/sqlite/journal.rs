//! The journal on SQLite: one multi-row INSERT per chunk, one transaction per batch
//! (sqlx hands every statement to a worker thread, so one statement per row would cap the
//! journal near 18k rows/s).

use async_trait::async_trait;
use sqlx::{QueryBuilder, Sqlite};

use crate::storage::journal::ops::Journal;
use crate::storage::journal::{BidSummary, JournalRow, JournalStore, sql};
use crate::storage::{LotId, StoreResult};

use super::SqliteStore;

/// 32,766 bound values a statement ÷ 13 columns, rounded down.
const ROWS_PER_INSERT: usize = 2_500;
const _: () = assert!(ROWS_PER_INSERT * sql::COLUMN_COUNT <= 32_766);

#[async_trait]
impl JournalStore for SqliteStore {
    async fn append_room_events(&self, rows: &[JournalRow]) -> StoreResult<()> {
        let mut transaction = self.writer.begin().await?;
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut insert = QueryBuilder::<Sqlite>::new(format!(
                "INSERT OR FAIL INTO room_events ({}) ",
                sql::COLUMNS
            ));
            insert.push_values(chunk, |mut values, row| {
                values
                    .push_bind(row.lot_id)
                    .push_bind(row.seq as i64)
                    .push_bind(row.kind.as_str())
                    .push_bind(row.at_ms)
                    .push_bind(row.account_id)
                    .push_bind(row.bidder_number.as_deref().map(str::to_owned))
                    .push_bind(row.amount.map(|amount| amount.to_string()))
                    .push_bind(row.req.as_deref().map(str::to_owned))
                    .push_bind(row.state.as_str())
                    .push_bind(row.text.as_deref().map(str::to_owned))
                    .push_bind(row.deadline_ms)
                    .push_bind(row.remaining_ms)
                    .push_bind(i64::from(row.extensions));
            });
            // A retried batch whose first commit did land must not fail on its own rows.
            // `OR FAIL` (rather than the default `OR ABORT`) for every other constraint:
            // a failed statement fails the whole transaction anyway, and without a
            // constraint that could abort it halfway, SQLite needs no statement journal.
            insert.push(" ON CONFLICT (lot_id, seq) DO NOTHING");
            insert.build().execute(&mut *transaction).await?;
        }
        Journal::<Sqlite>::update_lot_states(&mut transaction, rows).await?;
        transaction.commit().await?;
        Ok(())
    }

    async fn recent_room_events(&self, lot: LotId, limit: u32) -> StoreResult<Vec<JournalRow>> {
        Journal::recent_room_events(&self.reader, lot, limit).await
    }

    async fn lot_bids(
        &self,
        lot: LotId,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<JournalRow>> {
        Journal::lot_bids(&self.reader, lot, after_seq, limit).await
    }

    async fn bid_summary(&self, lot: LotId) -> StoreResult<BidSummary> {
        Journal::bid_summary(&self.reader, lot).await
    }

    async fn accepted_bid_requests(&self, lot: LotId) -> StoreResult<Vec<JournalRow>> {
        Journal::accepted_bid_requests(&self.reader, lot).await
    }
}
