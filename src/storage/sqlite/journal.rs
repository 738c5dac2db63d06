//! The journal on SQLite: one transaction per batch, its rows inserted by multi-row INSERTs
//! (sqlx hands every statement to a worker thread, so one statement per row would cap the
//! journal near 18k rows/s).

use std::collections::HashMap;
use std::sync::OnceLock;

use async_trait::async_trait;
use sqlx::Sqlite;
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;

use crate::domain::{AccountId, LotId};
use crate::storage::StoreResult;
use crate::storage::journal::ops::Journal;
use crate::storage::journal::{
    BidSummary, JournalError, JournalRow, JournalStore, in_key_order, sql,
};
use crate::storage::leases::ops::Leases;

use super::SqliteStore;

/// The INSERT statements come in power-of-two sizes up to 2^`LARGEST_INSERT_POWER` rows, so
/// that a batch of any size is written by at most a handful of statements that sqlx has
/// already prepared: a statement per batch size would parse and compile a new program of
/// up to 32,500 parameters for nearly every batch (and keep up to 100 of them cached).
const LARGEST_INSERT_POWER: usize = 10;
const LARGEST_INSERT_ROWS: usize = 1 << LARGEST_INSERT_POWER;
/// SQLite allows 32,766 bound values a statement.
const _: () = assert!(LARGEST_INSERT_ROWS * sql::COLUMN_COUNT <= 32_766);

#[async_trait]
impl JournalStore for SqliteStore {
    async fn append_fenced(
        &self,
        rows: &[JournalRow],
        leases: &[(LotId, i64)],
    ) -> Result<(), JournalError> {
        let rows_in_key_order = in_key_order(rows);
        let mut transaction = self.writer.begin().await?;
        let mut rest = rows_in_key_order.as_slice();
        while !rest.is_empty() {
            let power = statement_power(rest.len());
            let (chunk, after) = rest.split_at(1 << power);
            let inserted = insert(power, chunk)
                .execute(&mut *transaction)
                .await
                .map_err(refusal)?
                .rows_affected();
            if inserted < chunk.len() as u64 {
                // Some keys were stored already: only our own retried rows may be skipped.
                Journal::<Sqlite>::check_stored_as_given(&mut transaction, chunk).await?;
            }
            rest = after;
        }
        // After the inserts, which took the database's write lock: no other writer can move
        // a lease on until this transaction ends.
        Leases::<Sqlite>::check_fence(&mut transaction, leases, "").await?;
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

    async fn bid_summaries(&self, lots: &[LotId]) -> StoreResult<HashMap<LotId, BidSummary>> {
        Journal::bid_summaries(&self.reader, lots).await
    }

    async fn accepted_bid_requests(&self, lot: LotId) -> StoreResult<Vec<JournalRow>> {
        Journal::accepted_bid_requests(&self.reader, lot).await
    }

    async fn accepted_bid(
        &self,
        lot: LotId,
        account: AccountId,
        req: &str,
    ) -> StoreResult<Option<JournalRow>> {
        Journal::accepted_bid(&self.reader, lot, account, req).await
    }
}

/// A failed insert: refused for what a row holds (a constraint, a value SQLite cannot
/// take), or a failure of the database itself that a retry may get past.
fn refusal(error: sqlx::Error) -> JournalError {
    // SQLite's primary result codes (the low byte of an extended code).
    const TOOBIG: i32 = 18;
    const CONSTRAINT: i32 = 19;
    const MISMATCH: i32 = 20;
    const RANGE: i32 = 25;
    if let sqlx::Error::Database(database) = &error {
        let code = database.code().and_then(|code| code.parse::<i32>().ok());
        if code.is_some_and(|code| matches!(code & 0xff, TOOBIG | CONSTRAINT | MISMATCH | RANGE)) {
            return JournalError::Refused(database.message().to_owned());
        }
    }
    error.into()
}

/// The largest power of two no greater than `rows` (and than `LARGEST_INSERT_ROWS`).
fn statement_power(rows: usize) -> usize {
    debug_assert!(rows > 0);
    (rows.ilog2() as usize).min(LARGEST_INSERT_POWER)
}

/// `INSERT` of 2^`power` rows, bound to `chunk`.
fn insert<'q>(power: usize, chunk: &[&'q JournalRow]) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    debug_assert_eq!(chunk.len(), 1 << power);
    let mut query = sqlx::query_with(insert_sql(power), SqliteArguments::default());
    for row in chunk {
        query = query
            .bind(row.lot_id)
            .bind(row.seq as i64)
            .bind(row.kind.as_str())
            .bind(row.at_ms)
            .bind(row.account_id)
            .bind(row.bidder_number.as_deref())
            .bind(row.amount.map(|amount| amount.to_string()))
            .bind(row.req.as_deref())
            .bind(row.state.as_str())
            .bind(row.text.as_deref())
            .bind(row.deadline_ms)
            .bind(row.remaining_ms)
            .bind(i64::from(row.extensions));
    }
    query
}

/// The text of the INSERT of 2^`power` rows, built once.
fn insert_sql(power: usize) -> &'static str {
    static STATEMENTS: [OnceLock<String>; LARGEST_INSERT_POWER + 1] =
        [const { OnceLock::new() }; LARGEST_INSERT_POWER + 1];
    STATEMENTS[power].get_or_init(|| {
        let row = format!("({})", vec!["?"; sql::COLUMN_COUNT].join(", "));
        // A retried batch whose first commit did land must not fail on its own rows.
        // `OR FAIL` (rather than the default `OR ABORT`) for every other constraint: a
        // failed statement fails the whole transaction anyway, and without a constraint
        // that could abort it halfway, SQLite needs no statement journal.
        format!(
            "INSERT OR FAIL INTO room_events ({}) VALUES {} ON CONFLICT (lot_id, seq) DO NOTHING",
            sql::COLUMNS,
            vec![row; 1 << power].join(", ")
        )
    })
}
