//! The journal on PostgreSQL: each batch is one `COPY ... FROM STDIN` in one transaction.
//! COPY inserts rows page by page (one WAL record per heap page rather than per row) and
//! parses plain text rather than 13 arrays; it cannot skip rows already stored, so a retry
//! of a batch whose commit did land falls back to an `INSERT ... SELECT FROM UNNEST(arrays)
//! ON CONFLICT DO NOTHING`.

use std::collections::HashMap;
use std::fmt::Write as _;

use async_trait::async_trait;
use sqlx::{PgConnection, Postgres};

use crate::domain::{AccountId, LotId};
use crate::money::Money;
use crate::storage::StoreResult;
use crate::storage::journal::ops::Journal;
use crate::storage::journal::{
    BidSummary, JournalError, JournalRow, JournalStore, in_key_order, sql,
};
use crate::storage::leases::ops::Leases;

use super::PgStore;

/// The fence check's lock on the lease rows: `FOR SHARE` conflicts with the UPDATE that
/// takes a lease over, so a takeover waits until this batch has committed and then reads
/// it from the journal (the weaker `FOR KEY SHARE` would let it through).
const FENCE_LOCK: &str = " FOR SHARE";

#[async_trait]
impl JournalStore for PgStore {
    async fn append_fenced(
        &self,
        rows: &[JournalRow],
        leases: &[(LotId, i64)],
    ) -> Result<(), JournalError> {
        let rows_in_key_order = in_key_order(rows);
        let mut transaction = self.pool.begin().await?;
        match copy_rows(&mut transaction, &rows_in_key_order).await {
            Ok(()) => {}
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                // Rows of the batch are stored already: a retry of a batch whose commit
                // did land, or another writer's rows. The INSERT skips the stored keys and
                // then proves they hold our own rows.
                transaction.rollback().await?;
                return self
                    .insert_skipping_stored(rows, &rows_in_key_order, leases)
                    .await;
            }
            Err(error) => return Err(refusal(error)),
        }
        Leases::<Postgres>::check_fence(&mut transaction, leases, FENCE_LOCK).await?;
        Journal::<Postgres>::update_lot_states(&mut transaction, rows).await?;
        transaction.commit().await?;
        Ok(())
    }

    async fn recent_room_events(&self, lot: LotId, limit: u32) -> StoreResult<Vec<JournalRow>> {
        Journal::recent_room_events(&self.pool, lot, limit).await
    }

    async fn lot_bids(
        &self,
        lot: LotId,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<JournalRow>> {
        Journal::lot_bids(&self.pool, lot, after_seq, limit).await
    }

    async fn bid_summaries(&self, lots: &[LotId]) -> StoreResult<HashMap<LotId, BidSummary>> {
        Journal::bid_summaries(&self.pool, lots).await
    }

    async fn accepted_bid_requests(&self, lot: LotId) -> StoreResult<Vec<JournalRow>> {
        Journal::accepted_bid_requests(&self.pool, lot).await
    }

    async fn accepted_bid(
        &self,
        lot: LotId,
        account: AccountId,
        req: &str,
    ) -> StoreResult<Option<JournalRow>> {
        Journal::accepted_bid(&self.pool, lot, account, req).await
    }
}

impl PgStore {
    /// Writes the batch like `append_room_events`, skipping the rows already stored.
    async fn insert_skipping_stored(
        &self,
        batch: &[JournalRow],
        rows_in_key_order: &[&JournalRow],
        leases: &[(LotId, i64)],
    ) -> Result<(), JournalError> {
        let insert = format!(
            "INSERT INTO room_events ({}) SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[], \
             $5::BIGINT[], $6::TEXT[], $7::NUMERIC[], $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::BIGINT[], $12::BIGINT[], $13::BIGINT[]) \
             ON CONFLICT (lot_id, seq) DO NOTHING",
            sql::COLUMNS
        );
        let rows = rows_in_key_order;
        let mut transaction = self.pool.begin().await?;
        let inserted = sqlx::query(&insert)
            .bind(column(rows, |row| row.lot_id))
            .bind(column(rows, |row| row.seq as i64))
            .bind(column(rows, |row| row.kind.as_str()))
            .bind(column(rows, |row| row.at_ms))
            .bind(column(rows, |row| row.account_id))
            .bind(column(rows, |row| row.bidder_number.as_deref()))
            .bind(column(rows, |row| row.amount.map(Money::decimal)))
            .bind(column(rows, |row| row.req.as_deref()))
            .bind(column(rows, |row| row.state.as_str()))
            .bind(column(rows, |row| row.text.as_deref()))
            .bind(column(rows, |row| row.deadline_ms))
            .bind(column(rows, |row| row.remaining_ms))
            .bind(column(rows, |row| i64::from(row.extensions)))
            .execute(&mut *transaction)
            .await
            .map_err(refusal)?
            .rows_affected();
        if inserted < rows.len() as u64 {
            Journal::<Postgres>::check_stored_as_given(&mut transaction, rows).await?;
        }
        Leases::<Postgres>::check_fence(&mut transaction, leases, FENCE_LOCK).await?;
        Journal::<Postgres>::update_lot_states(&mut transaction, batch).await?;
        transaction.commit().await?;
        Ok(())
    }
}

/// A failed write: refused for what a row holds (SQLSTATE classes 22, data exceptions such
/// as a NUL character in text; 23, integrity constraints; 54, program limits), or a failure
/// of the database or the connection that a retry may get past.
fn refusal(error: sqlx::Error) -> JournalError {
    if let sqlx::Error::Database(database) = &error
        && database.code().is_some_and(|code| {
            ["22", "23", "54"]
                .iter()
                .any(|class| code.starts_with(class))
        })
    {
        return JournalError::Refused(database.message().to_owned());
    }
    error.into()
}

/// One column of the rows, as the array UNNEST takes.
fn column<'r, T>(rows: &[&'r JournalRow], value: impl Fn(&'r JournalRow) -> T) -> Vec<T> {
    rows.iter().map(|row| value(row)).collect()
}

/// Sends the rows through `COPY ... FROM STDIN` in text format.
async fn copy_rows(connection: &mut PgConnection, rows: &[&JournalRow]) -> Result<(), sqlx::Error> {
    let mut copy = connection
        .copy_in_raw(&format!("COPY room_events ({}) FROM STDIN", sql::COLUMNS))
        .await?;
    copy.send(copy_text(rows).into_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

/// The rows in COPY's text format: one line a row, columns separated by tabs, `\N` for
/// NULL.
fn copy_text(rows: &[&JournalRow]) -> String {
    // ~100 bytes a bid row; a longer text only grows the buffer.
    let mut text = String::with_capacity(rows.len() * 128);
    for row in rows {
        // Writing to a String cannot fail.
        let _ = write!(
            text,
            "{}\t{}\t{}\t{}\t",
            row.lot_id,
            row.seq,
            row.kind.as_str(),
            row.at_ms
        );
        push_optional(&mut text, row.account_id);
        text.push('\t');
        push_optional_text(&mut text, row.bidder_number.as_deref());
        text.push('\t');
        push_optional(&mut text, row.amount);
        text.push('\t');
        push_optional_text(&mut text, row.req.as_deref());
        let _ = write!(text, "\t{}\t", row.state.as_str());
        push_optional_text(&mut text, row.text.as_deref());
        let _ = write!(text, "\t{}\t", row.deadline_ms);
        push_optional(&mut text, row.remaining_ms);
        let _ = writeln!(text, "\t{}", row.extensions);
    }
    text
}

/// A value whose text needs no escaping (a number, an amount).
fn push_optional(text: &mut String, value: Option<impl std::fmt::Display>) {
    match value {
        Some(value) => {
            let _ = write!(text, "{value}");
        }
        None => text.push_str("\\N"),
    }
}

/// Free text, with COPY's backslash escapes for the characters that would end the field
/// or the row.
fn push_optional_text(text: &mut String, value: Option<&str>) {
    let Some(value) = value else {
        text.push_str("\\N");
        return;
    };
    for character in value.chars() {
        match character {
            '\\' => text.push_str("\\\\"),
            '\t' => text.push_str("\\t"),
            '\n' => text.push_str("\\n"),
            '\r' => text.push_str("\\r"),
            other => text.push(other),
        }
    }
}
