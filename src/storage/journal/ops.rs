//! The journal's reads and its lot-state updates, written once for both databases. How a
//! batch of rows is inserted stays with each database (a chunked multi-row INSERT on
//! SQLite, one `UNNEST` INSERT on PostgreSQL), and calls [`Journal::update_lot_states`] in
//! the same transaction.

use std::collections::HashMap;
use std::marker::PhantomData;

use sqlx::{ColumnIndex, Executor, IntoArguments, Pool, Row};

use crate::domain::{AccountId, LotId};
use crate::storage::StoreResult;
use crate::storage::dialect::{Column, Dialect};

use super::{BidSummary, JournalError, JournalRow, MAX_SUMMARY_LOTS, RoomEventKind, sql};

/// The journal on database `DB`.
pub(in crate::storage) struct Journal<DB>(PhantomData<DB>);

impl<DB> Journal<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Decode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    String: Column<DB>,
    for<'a> &'a str: ColumnIndex<DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    /// Records the lot's state (and result) that the rows change, inside the caller's
    /// transaction that inserts them.
    pub(in crate::storage) async fn update_lot_states(
        connection: &mut DB::Connection,
        rows: &[JournalRow],
    ) -> StoreResult<()> {
        for row in rows {
            if let Some((state, result)) = row.lot_update() {
                sqlx::query(sql::UPDATE_LOT_STATE)
                    .bind(state)
                    .bind(result)
                    .bind(row.lot_id)
                    .execute(&mut *connection)
                    .await?;
            }
        }
        Ok(())
    }

    /// Proves that every row of `rows` is stored as it is, inside the caller's transaction
    /// that inserted them skipping the keys already stored: a skipped row must be the same
    /// event (our own retried batch), never another writer's row with the same key.
    pub(in crate::storage) async fn check_stored_as_given(
        connection: &mut DB::Connection,
        rows: &[&JournalRow],
    ) -> Result<(), JournalError> {
        for row in rows {
            let stored = sqlx::query(&sql::stored_event())
                .bind(row.lot_id)
                .bind(row.seq as i64)
                .fetch_optional(&mut *connection)
                .await?;
            let stored = stored.as_ref().map(Self::decode).transpose()?;
            if stored.as_ref() != Some(*row) {
                return Err(JournalError::Refused(format!(
                    "lot {} already has another event with seq {}",
                    row.lot_id, row.seq
                )));
            }
        }
        Ok(())
    }

    pub(in crate::storage) async fn recent_room_events(
        reader: &Pool<DB>,
        lot: LotId,
        limit: u32,
    ) -> StoreResult<Vec<JournalRow>> {
        let rows = sqlx::query(&sql::recent_events())
            .bind(lot)
            .bind(i64::from(limit))
            .fetch_all(reader)
            .await?;
        rows.iter().map(Self::decode).collect()
    }

    pub(in crate::storage) async fn lot_bids(
        reader: &Pool<DB>,
        lot: LotId,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<JournalRow>> {
        let rows = sqlx::query(&sql::bids_after())
            .bind(lot)
            .bind(after_seq as i64)
            .bind(i64::from(limit))
            .fetch_all(reader)
            .await?;
        rows.iter().map(Self::decode).collect()
    }

    pub(in crate::storage) async fn bid_summaries(
        reader: &Pool<DB>,
        lots: &[LotId],
    ) -> StoreResult<HashMap<LotId, BidSummary>> {
        assert!(
            lots.len() <= MAX_SUMMARY_LOTS,
            "at most {MAX_SUMMARY_LOTS} lots a summary read"
        );
        let mut summaries = HashMap::new();
        if lots.is_empty() {
            return Ok(summaries);
        }
        let query = sql::bid_summaries(lots.len());
        let mut statement = sqlx::query(&query);
        for lot in lots {
            statement = statement.bind(*lot);
        }
        for row in statement.fetch_all(reader).await? {
            let bid_count: i64 = row.try_get("bid_count")?;
            let event = Self::decode(&row)?;
            let summary: &mut BidSummary = summaries.entry(event.lot_id).or_default();
            summary.bid_count = bid_count as u64;
            // The last event is the row of highest seq; the last bid the bid of highest seq
            // (the same row when the last event is a bid).
            if event.kind == RoomEventKind::Bid
                && summary
                    .last_bid
                    .as_ref()
                    .is_none_or(|bid| bid.seq < event.seq)
            {
                summary.last_bid = Some(event.clone());
            }
            if summary
                .last_event
                .as_ref()
                .is_none_or(|last| last.seq < event.seq)
            {
                summary.last_event = Some(event);
            }
        }
        Ok(summaries)
    }

    pub(in crate::storage) async fn accepted_bid_requests(
        reader: &Pool<DB>,
        lot: LotId,
    ) -> StoreResult<Vec<JournalRow>> {
        let rows = sqlx::query(&sql::accepted_requests())
            .bind(lot)
            .fetch_all(reader)
            .await?;
        rows.iter().map(Self::decode).collect()
    }

    pub(in crate::storage) async fn accepted_bid(
        reader: &Pool<DB>,
        lot: LotId,
        account: AccountId,
        req: &str,
    ) -> StoreResult<Option<JournalRow>> {
        let row = sqlx::query(&sql::accepted_bid())
            .bind(lot)
            .bind(account)
            .bind(req)
            .fetch_optional(reader)
            .await?;
        row.as_ref().map(Self::decode).transpose()
    }

    fn decode(row: &DB::Row) -> StoreResult<JournalRow> {
        let amount: Option<DB::Money> = row.try_get("amount")?;
        let amount = amount.map(DB::stored_money).transpose()?;
        Ok(JournalRow::from_columns(
            row.try_get("lot_id")?,
            row.try_get("seq")?,
            row.try_get("kind")?,
            row.try_get("at_ms")?,
            row.try_get("account_id")?,
            row.try_get("bidder_number")?,
            amount,
            row.try_get("req")?,
            row.try_get("state")?,
            row.try_get("text")?,
            row.try_get("deadline_ms")?,
            row.try_get("remaining_ms")?,
            row.try_get("extensions")?,
        )?)
    }
}
