//! The lot and application operations, written once for both databases. Each takes the
//! pools its store uses: for SQLite, `reader` to read and the one-connection `writer` to
//! write; for PostgreSQL, its one pool as both.

use std::collections::HashSet;
use std::marker::PhantomData;

use sqlx::{Executor, FromRow, IntoArguments, Pool};

use crate::domain::{AccountId, ApplicationId, LotId};
use crate::storage::accounts::is_unique_violation;
use crate::storage::dialect::{Column, Dialect};
use crate::storage::{Conflict, StoreError, StoreResult};

use super::sql::{
    APPROVE_APPLICATION, ApplicationListingRow, ApplicationRow, BIDDER_NUMBER_ATTEMPTS,
    INSERT_APPLICATION, INSERT_LOT, LotRow, PUBLISH_LOT, REJECT_APPLICATION, RosterRow,
    SELECT_APPLICATION, SELECT_LIVE_LOTS, SELECT_LOT, SELECT_LOT_APPLICATIONS, SELECT_LOTS,
    SELECT_ROSTER, SELECT_ROSTER_ENTRY, SELECT_TAKEN_BIDDER_NUMBERS, bind_new_lot,
    missing_or_conflict,
};
use super::{
    Application, ApplicationListing, Lot, LotFilter, NewLot, RosterEntry, new_bidder_number,
};

/// Lots and applications on database `DB`.
pub(in crate::storage) struct Lots<DB>(PhantomData<DB>);

impl<DB> Lots<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    Option<i64>: Column<DB>,
    String: Column<DB>,
    Option<String>: Column<DB>,
    Option<DB::Money>: Column<DB>,
    (String,): for<'r> FromRow<'r, DB::Row>,
    for<'r> LotRow<DB::Money>: FromRow<'r, DB::Row>,
    for<'r> RosterRow: FromRow<'r, DB::Row>,
    for<'r> ApplicationRow: FromRow<'r, DB::Row>,
    for<'r> ApplicationListingRow: FromRow<'r, DB::Row>,
{
    pub(in crate::storage) async fn get_lot(
        reader: &Pool<DB>,
        id: LotId,
    ) -> StoreResult<Option<Lot>> {
        let row: Option<LotRow<DB::Money>> = sqlx::query_as(SELECT_LOT)
            .bind(id)
            .fetch_optional(reader)
            .await?;
        row.map(LotRow::into_lot).transpose()
    }

    pub(in crate::storage) async fn live_lots(reader: &Pool<DB>) -> StoreResult<Vec<Lot>> {
        let rows: Vec<LotRow<DB::Money>> =
            sqlx::query_as(SELECT_LIVE_LOTS).fetch_all(reader).await?;
        rows.into_iter().map(LotRow::into_lot).collect()
    }

    pub(in crate::storage) async fn lot_roster(
        reader: &Pool<DB>,
        lot: LotId,
    ) -> StoreResult<Vec<RosterEntry>> {
        let rows: Vec<RosterRow> = sqlx::query_as(SELECT_ROSTER)
            .bind(lot)
            .fetch_all(reader)
            .await?;
        rows.into_iter().map(RosterRow::into_entry).collect()
    }

    pub(in crate::storage) async fn roster_entry(
        reader: &Pool<DB>,
        lot: LotId,
        account: AccountId,
    ) -> StoreResult<Option<RosterEntry>> {
        let row: Option<RosterRow> = sqlx::query_as(SELECT_ROSTER_ENTRY)
            .bind(lot)
            .bind(account)
            .fetch_optional(reader)
            .await?;
        row.map(RosterRow::into_entry).transpose()
    }

    pub(in crate::storage) async fn create_lot(
        writer: &Pool<DB>,
        lot: &NewLot,
        now_ms: i64,
    ) -> StoreResult<Lot> {
        let query = bind_new_lot(sqlx::query(INSERT_LOT), lot, now_ms, DB::decimal);
        let row = query.fetch_one(writer).await?;
        LotRow::<DB::Money>::from_row(&row)?.into_lot()
    }

    pub(in crate::storage) async fn list_lots(
        reader: &Pool<DB>,
        filter: &LotFilter,
    ) -> StoreResult<Vec<Lot>> {
        let (state, owner, all, limit) = filter.parameters();
        let rows: Vec<LotRow<DB::Money>> = sqlx::query_as(SELECT_LOTS)
            .bind(state)
            .bind(owner)
            .bind(all)
            .bind(limit)
            .fetch_all(reader)
            .await?;
        rows.into_iter().map(LotRow::into_lot).collect()
    }

    /// Publishes with `writer`; reads with `reader` why nothing was published.
    pub(in crate::storage) async fn publish_lot(
        reader: &Pool<DB>,
        writer: &Pool<DB>,
        id: LotId,
    ) -> StoreResult<Lot> {
        let row: Option<LotRow<DB::Money>> = sqlx::query_as(PUBLISH_LOT)
            .bind(id)
            .fetch_optional(writer)
            .await?;
        match row {
            Some(row) => row.into_lot(),
            None => missing_or_conflict(
                Self::get_lot(reader, id).await?.is_some(),
                Conflict::LotNotDraft,
            ),
        }
    }

    pub(in crate::storage) async fn create_application(
        writer: &Pool<DB>,
        lot: LotId,
        account: AccountId,
        now_ms: i64,
    ) -> StoreResult<Application> {
        let mut connection = writer.acquire().await?;
        Self::insert_application(&mut connection, lot, account, now_ms).await
    }

    /// A `pending` application, inside the caller's database transaction (or on its
    /// connection).
    pub(in crate::storage) async fn insert_application(
        connection: &mut DB::Connection,
        lot: LotId,
        account: AccountId,
        now_ms: i64,
    ) -> StoreResult<Application> {
        let row: ApplicationRow = sqlx::query_as(INSERT_APPLICATION)
            .bind(lot)
            .bind(account)
            .bind(now_ms)
            .fetch_one(&mut *connection)
            .await
            .map_err(already_applied)?;
        row.into_application()
    }

    pub(in crate::storage) async fn get_application(
        reader: &Pool<DB>,
        id: ApplicationId,
    ) -> StoreResult<Option<Application>> {
        let row: Option<ApplicationRow> = sqlx::query_as(SELECT_APPLICATION)
            .bind(id)
            .fetch_optional(reader)
            .await?;
        row.map(ApplicationRow::into_application).transpose()
    }

    pub(in crate::storage) async fn lot_applications(
        reader: &Pool<DB>,
        lot: LotId,
    ) -> StoreResult<Vec<ApplicationListing>> {
        let rows: Vec<ApplicationListingRow> = sqlx::query_as(SELECT_LOT_APPLICATIONS)
            .bind(lot)
            .fetch_all(reader)
            .await?;
        rows.into_iter()
            .map(ApplicationListingRow::into_listing)
            .collect()
    }

    /// Approves with `writer`; reads with `reader` why nothing was approved.
    pub(in crate::storage) async fn approve_application(
        reader: &Pool<DB>,
        writer: &Pool<DB>,
        id: ApplicationId,
        priority_rank: Option<u32>,
        now_ms: i64,
    ) -> StoreResult<Application> {
        for _ in 0..BIDDER_NUMBER_ATTEMPTS {
            let mut connection = writer.acquire().await?;
            let taken = Self::taken_bidder_numbers(&mut connection, id).await?;
            let number = new_bidder_number(&taken);
            let approved =
                Self::approve_as(&mut connection, id, &number, priority_rank, now_ms).await;
            drop(connection);
            match approved {
                Ok(Some(application)) => return Ok(application),
                Ok(None) => return Self::not_pending(reader, id).await,
                Err(StoreError::Database(error)) if is_unique_violation(&error) => continue,
                Err(error) => return Err(error),
            }
        }
        Err(anyhow::anyhow!("no free bidder number after {BIDDER_NUMBER_ATTEMPTS} draws").into())
    }

    /// The bidder numbers taken in the lot of application `id`.
    pub(in crate::storage) async fn taken_bidder_numbers(
        connection: &mut DB::Connection,
        id: ApplicationId,
    ) -> StoreResult<HashSet<String>> {
        let taken: Vec<String> = sqlx::query_scalar(SELECT_TAKEN_BIDDER_NUMBERS)
            .bind(id)
            .fetch_all(&mut *connection)
            .await?;
        Ok(taken.into_iter().collect())
    }

    /// `pending` → `approved` as bidder `number`, inside the caller's database transaction
    /// (or on its connection). `None` if the application is not pending; a number another
    /// approval took is a unique violation, which rolls a PostgreSQL transaction back.
    pub(in crate::storage) async fn approve_as(
        connection: &mut DB::Connection,
        id: ApplicationId,
        number: &str,
        priority_rank: Option<u32>,
        now_ms: i64,
    ) -> StoreResult<Option<Application>> {
        let approved: Option<ApplicationRow> = sqlx::query_as(APPROVE_APPLICATION)
            .bind(id)
            .bind(number)
            .bind(priority_rank.map(i64::from))
            .bind(now_ms)
            .fetch_optional(&mut *connection)
            .await?;
        approved.map(ApplicationRow::into_application).transpose()
    }

    /// Rejects with `writer`; reads with `reader` why nothing was rejected.
    pub(in crate::storage) async fn reject_application(
        reader: &Pool<DB>,
        writer: &Pool<DB>,
        id: ApplicationId,
        reason: &str,
        now_ms: i64,
    ) -> StoreResult<Application> {
        let row: Option<ApplicationRow> = sqlx::query_as(REJECT_APPLICATION)
            .bind(id)
            .bind(reason)
            .bind(now_ms)
            .fetch_optional(writer)
            .await?;
        match row {
            Some(row) => row.into_application(),
            None => Self::not_pending(reader, id).await,
        }
    }

    /// Why a decision on an application matched no row.
    async fn not_pending<T>(reader: &Pool<DB>, id: ApplicationId) -> StoreResult<T> {
        missing_or_conflict(
            Self::get_application(reader, id).await?.is_some(),
            Conflict::ApplicationNotPending,
        )
    }
}

fn already_applied(error: sqlx::Error) -> StoreError {
    if is_unique_violation(&error) {
        Conflict::AlreadyApplied.into()
    } else {
        StoreError::Database(error)
    }
}
