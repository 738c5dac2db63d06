//! The journal on PostgreSQL: one `INSERT ... SELECT FROM UNNEST(arrays)` per batch, which
//! sends the whole batch as 13 array parameters in one round trip.

use async_trait::async_trait;
use rust_decimal::Decimal;
use sqlx::Postgres;

use crate::money::Money;
use crate::storage::journal::ops::Journal;
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

    async fn bid_summary(&self, lot: LotId) -> StoreResult<BidSummary> {
        Journal::bid_summary(&self.pool, lot).await
    }

    async fn accepted_bid_requests(&self, lot: LotId) -> StoreResult<Vec<JournalRow>> {
        Journal::accepted_bid_requests(&self.pool, lot).await
    }
}
