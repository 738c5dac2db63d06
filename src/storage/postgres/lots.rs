use std::collections::HashSet;

use async_trait::async_trait;
use rust_decimal::Decimal;
use sqlx::FromRow;

use crate::auction::AccountId;
use crate::storage::accounts::is_unique_violation;
use crate::storage::lots::sql::{
    APPROVE_APPLICATION, ApplicationListingRow, ApplicationRow, BIDDER_NUMBER_ATTEMPTS,
    INSERT_APPLICATION, INSERT_LOT, LotRow, PUBLISH_LOT, REJECT_APPLICATION, RosterRow,
    SELECT_APPLICATION, SELECT_LIVE_LOTS, SELECT_LOT, SELECT_LOT_APPLICATIONS, SELECT_LOTS,
    SELECT_ROSTER, SELECT_ROSTER_ENTRY, SELECT_TAKEN_BIDDER_NUMBERS, bind_new_lot,
    missing_or_conflict,
};
use crate::storage::lots::{
    Application, ApplicationListing, Lot, LotFilter, LotStore, NewLot, RosterEntry,
    new_bidder_number,
};
use crate::storage::{ApplicationId, LotId, StoreError, StoreResult};

use super::PgStore;

/// PostgreSQL keeps decimals as NUMERIC.
type Row = LotRow<Decimal>;

#[async_trait]
impl LotStore for PgStore {
    async fn get_lot(&self, id: LotId) -> StoreResult<Option<Lot>> {
        let row: Option<Row> = sqlx::query_as(SELECT_LOT)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(Row::into_lot).transpose()
    }

    async fn live_lots(&self) -> StoreResult<Vec<Lot>> {
        let rows: Vec<Row> = sqlx::query_as(SELECT_LIVE_LOTS)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Row::into_lot).collect()
    }

    async fn lot_roster(&self, lot: LotId) -> StoreResult<Vec<RosterEntry>> {
        let rows: Vec<RosterRow> = sqlx::query_as(SELECT_ROSTER)
            .bind(lot)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(RosterRow::into_entry).collect()
    }

    async fn roster_entry(
        &self,
        lot: LotId,
        account: AccountId,
    ) -> StoreResult<Option<RosterEntry>> {
        let row: Option<RosterRow> = sqlx::query_as(SELECT_ROSTER_ENTRY)
            .bind(lot)
            .bind(account)
            .fetch_optional(&self.pool)
            .await?;
        row.map(RosterRow::into_entry).transpose()
    }

    async fn create_lot(&self, lot: &NewLot, now_ms: i64) -> StoreResult<Lot> {
        let query = bind_new_lot(sqlx::query(INSERT_LOT), lot, now_ms, |d| d);
        let row = query.fetch_one(&self.pool).await?;
        Row::from_row(&row)?.into_lot()
    }

    async fn list_lots(&self, filter: &LotFilter) -> StoreResult<Vec<Lot>> {
        let (state, owner, all, limit) = filter.parameters();
        let rows: Vec<Row> = sqlx::query_as(SELECT_LOTS)
            .bind(state)
            .bind(owner)
            .bind(all)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(Row::into_lot).collect()
    }

    async fn publish_lot(&self, id: LotId) -> StoreResult<Lot> {
        let row: Option<Row> = sqlx::query_as(PUBLISH_LOT)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => row.into_lot(),
            None => missing_or_conflict(
                self.get_lot(id).await?.is_some(),
                "not_draft",
                "only a draft lot can be published",
            ),
        }
    }

    async fn create_application(
        &self,
        lot: LotId,
        account: AccountId,
        now_ms: i64,
    ) -> StoreResult<Application> {
        let row: ApplicationRow = sqlx::query_as(INSERT_APPLICATION)
            .bind(lot)
            .bind(account)
            .bind(now_ms)
            .fetch_one(&self.pool)
            .await
            .map_err(already_applied)?;
        row.into_application()
    }

    async fn get_application(&self, id: ApplicationId) -> StoreResult<Option<Application>> {
        let row: Option<ApplicationRow> = sqlx::query_as(SELECT_APPLICATION)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(ApplicationRow::into_application).transpose()
    }

    async fn lot_applications(&self, lot: LotId) -> StoreResult<Vec<ApplicationListing>> {
        let rows: Vec<ApplicationListingRow> = sqlx::query_as(SELECT_LOT_APPLICATIONS)
            .bind(lot)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter()
            .map(ApplicationListingRow::into_listing)
            .collect()
    }

    async fn approve_application(
        &self,
        id: ApplicationId,
        priority_rank: Option<u32>,
        now_ms: i64,
    ) -> StoreResult<Application> {
        for _ in 0..BIDDER_NUMBER_ATTEMPTS {
            let taken: HashSet<String> = sqlx::query_scalar(SELECT_TAKEN_BIDDER_NUMBERS)
                .bind(id)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .collect();
            let approved: Result<Option<ApplicationRow>, sqlx::Error> =
                sqlx::query_as(APPROVE_APPLICATION)
                    .bind(id)
                    .bind(new_bidder_number(&taken))
                    .bind(priority_rank.map(i64::from))
                    .bind(now_ms)
                    .fetch_optional(&self.pool)
                    .await;
            match approved {
                Ok(Some(row)) => return row.into_application(),
                Ok(None) => return self.not_pending(id).await,
                Err(error) if is_unique_violation(&error) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(anyhow::anyhow!("no free bidder number after {BIDDER_NUMBER_ATTEMPTS} draws").into())
    }

    async fn reject_application(
        &self,
        id: ApplicationId,
        reason: &str,
        now_ms: i64,
    ) -> StoreResult<Application> {
        let row: Option<ApplicationRow> = sqlx::query_as(REJECT_APPLICATION)
            .bind(id)
            .bind(reason)
            .bind(now_ms)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => row.into_application(),
            None => self.not_pending(id).await,
        }
    }
}

impl PgStore {
    /// Why a decision on an application matched no row.
    async fn not_pending<T>(&self, id: ApplicationId) -> StoreResult<T> {
        missing_or_conflict(
            self.get_application(id).await?.is_some(),
            "not_pending",
            "the application has already been decided",
        )
    }
}

fn already_applied(error: sqlx::Error) -> StoreError {
    if is_unique_violation(&error) {
        StoreError::conflict(
            "already_applied",
            "this account has already applied for the lot",
        )
    } else {
        StoreError::Database(error)
    }
}
