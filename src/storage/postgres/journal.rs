//! The journal on PostgreSQL: one `INSERT ... SELECT FROM UNNEST(arrays)` per batch, which
//! sends the whole batch as 13 array parameters in one round trip.

use async_trait::async_trait;
use rust_decimal::Decimal;
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::money::Money;
use crate::storage::journal::{BidSummary, JournalRow, JournalStore, sql};
use crate::storage::{LotId, StoreResult};

use super::PgStore;

#[async_trait]
impl JournalStore for PgStore {
    async fn append_room_events(&self, rows: &[JournalRow]) -> StoreResult<()> {
        let insert = format!(
            "INSERT INTO room_events ({}) SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[], \
             $5::BIGINT[], $6::TEXT[], $7::NUMERIC[], $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::BIGINT[], $12::BIGINT[], $13::BIGINT[]) \
             ON CONFLICT (lot_id, seq) DO NOTHING",
            sql::COLUMNS
        );
        let mut transaction = self.pool.begin().await?;
        sqlx::query(&insert)
            .bind(rows.iter().map(|row| row.lot_id).collect::<Vec<i64>>())
            .bind(rows.iter().map(|row| row.seq as i64).collect::<Vec<i64>>())
            .bind(
                rows.iter()
                    .map(|row| row.kind.as_str())
                    .collect::<Vec<&str>>(),
            )
            .bind(rows.iter().map(|row| row.at_ms).collect::<Vec<i64>>())
            .bind(
                rows.iter()
                    .map(|row| row.account_id)
                    .collect::<Vec<Option<i64>>>(),
            )
            .bind(
                rows.iter()
                    .map(|row| row.bidder_number.as_deref())
                    .collect::<Vec<Option<&str>>>(),
            )
            .bind(
                rows.iter()
                    .map(|row| row.amount.map(Money::decimal))
                    .collect::<Vec<Option<Decimal>>>(),
            )
            .bind(
                rows.iter()
                    .map(|row| row.req.as_deref())
                    .collect::<Vec<Option<&str>>>(),
            )
            .bind(
                rows.iter()
                    .map(|row| row.state.as_str())
                    .collect::<Vec<&str>>(),
            )
            .bind(
                rows.iter()
                    .map(|row| row.text.as_deref())
                    .collect::<Vec<Option<&str>>>(),
            )
            .bind(rows.iter().map(|row| row.deadline_ms).collect::<Vec<i64>>())
            .bind(
                rows.iter()
                    .map(|row| row.remaining_ms)
                    .collect::<Vec<Option<i64>>>(),
            )
            .bind(
                rows.iter()
                    .map(|row| i64::from(row.extensions))
                    .collect::<Vec<i64>>(),
            )
            .execute(&mut *transaction)
            .await?;
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
            .fetch_all(&self.pool)
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
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decode).collect()
    }

    async fn bid_summary(&self, lot: LotId) -> StoreResult<BidSummary> {
        let bid_count: i64 = sqlx::query_scalar(sql::BID_COUNT)
            .bind(lot)
            .fetch_one(&self.pool)
            .await?;
        let last_bid = sqlx::query(&sql::last_bid())
            .bind(lot)
            .fetch_optional(&self.pool)
            .await?;
        let last_event = sqlx::query(&sql::last_event())
            .bind(lot)
            .fetch_optional(&self.pool)
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
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decode).collect()
    }
}

fn decode(row: &PgRow) -> StoreResult<JournalRow> {
    let amount: Option<Decimal> = row.try_get("amount")?;
    Ok(JournalRow::from_columns(
        row.try_get("lot_id")?,
        row.try_get("seq")?,
        row.try_get("kind")?,
        row.try_get("at_ms")?,
        row.try_get("account_id")?,
        row.try_get("bidder_number")?,
        amount.map(Money::from_decimal),
        row.try_get("req")?,
        row.try_get("state")?,
        row.try_get("text")?,
        row.try_get("deadline_ms")?,
        row.try_get("remaining_ms")?,
        row.try_get("extensions")?,
    )?)
}
