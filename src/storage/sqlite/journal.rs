//! The journal on SQLite: one multi-row INSERT per chunk, one transaction per batch
//! (sqlx hands every statement to a worker thread, so one statement per row would cap the
//! journal near 18k rows/s).

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::storage::journal::{BidSummary, JournalRow, JournalStore, sql};
use crate::storage::{LotId, StoreResult};

use super::{SqliteStore, money_from_text};

/// 32,766 bound values a statement ÷ 13 columns, rounded down.
const ROWS_PER_INSERT: usize = 2_500;
const _: () = assert!(ROWS_PER_INSERT * sql::COLUMN_COUNT <= 32_766);

#[async_trait]
impl JournalStore for SqliteStore {
    async fn append_room_events(&self, rows: &[JournalRow]) -> StoreResult<()> {
        let mut transaction = self.writer.begin().await?;
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut insert =
                QueryBuilder::<Sqlite>::new(format!("INSERT INTO room_events ({}) ", sql::COLUMNS));
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
            insert.push(" ON CONFLICT (lot_id, seq) DO NOTHING");
            insert.build().execute(&mut *transaction).await?;
        }
        for row in rows {
            if let Some((state, result)) = row.lot_update() {
                sqlx::query(sql::UPDATE_LOT_STATE)
                    .bind(state)
                    .bind(result)
                    .bind(row.lot_id)
                    .execute(&mut *transaction)
                    .await?;
            }
        }
        transaction.commit().await?;
        Ok(())
    }

    async fn recent_room_events(&self, lot: LotId, limit: u32) -> StoreResult<Vec<JournalRow>> {
        let rows = sqlx::query(&sql::recent_events())
            .bind(lot)
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(decode).collect()
    }

    async fn lot_bids(
        &self,
        lot: LotId,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<JournalRow>> {
        let rows = sqlx::query(&sql::bids_after())
            .bind(lot)
            .bind(after_seq as i64)
            .bind(i64::from(limit))
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(decode).collect()
    }

    async fn bid_summary(&self, lot: LotId) -> StoreResult<BidSummary> {
        let bid_count: i64 = sqlx::query_scalar(sql::BID_COUNT)
            .bind(lot)
            .fetch_one(&self.reader)
            .await?;
        let last_bid = sqlx::query(&sql::last_bid())
            .bind(lot)
            .fetch_optional(&self.reader)
            .await?;
        let last_event = sqlx::query(&sql::last_event())
            .bind(lot)
            .fetch_optional(&self.reader)
            .await?;
        Ok(BidSummary {
            bid_count: bid_count as u64,
            last_bid: last_bid.as_ref().map(decode).transpose()?,
            last_event: last_event.as_ref().map(decode).transpose()?,
        })
    }

    async fn accepted_bid_requests(&self, lot: LotId) -> StoreResult<Vec<JournalRow>> {
        let rows = sqlx::query(&sql::accepted_requests())
            .bind(lot)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(decode).collect()
    }
}

fn decode(row: &SqliteRow) -> StoreResult<JournalRow> {
    let amount: Option<String> = row.try_get("amount")?;
    let amount = amount.as_deref().map(money_from_text).transpose()?;
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
