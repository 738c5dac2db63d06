//! What differs between the two databases where the shared storage code needs it: the
//! shared operations are generic over a [`Dialect`], implemented for [`sqlx::Sqlite`] (in
//! `sqlite/`) and [`sqlx::Postgres`] (in `postgres/`).

use std::future::Future;

use crate::ledger::LedgerTransaction;
use crate::money::Money;
use crate::storage::{ApplicationId, StoreResult};

/// A value type the database binds and reads back.
pub(in crate::storage) trait Column<DB: sqlx::Database>:
    for<'q> sqlx::Encode<'q, DB> + for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB> + Send + Sync + Unpin
{
}

impl<DB, T> Column<DB> for T
where
    DB: sqlx::Database,
    T: for<'q> sqlx::Encode<'q, DB> + for<'r> sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    T: Send + Sync + Unpin,
{
}

/// A database the shared storage code runs on.
pub(in crate::storage) trait Dialect: sqlx::Database {
    /// How a money column is kept: canonical decimal TEXT in SQLite, NUMERIC in PostgreSQL.
    type Money: Column<Self> + 'static;

    /// An amount as its money column binds it.
    fn money(amount: Money) -> Self::Money;

    /// An amount read back from its money column.
    fn stored_money(value: Self::Money) -> StoreResult<Money>;

    /// How many rows a statement inserted, updated or deleted.
    fn rows_affected(result: &Self::QueryResult) -> u64;

    /// Applies a ledger transaction inside the caller's database transaction and returns
    /// its id (each database keeps balances its own way: see its `money/ledger.rs`).
    fn apply_ledger<'a>(
        connection: &'a mut Self::Connection,
        transaction: &'a LedgerTransaction,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<i64>> + Send + 'a;

    /// Takes whatever lock makes the deposit decisions on `application` one at a time,
    /// before they read what they decide on; NotFound if there is no such application.
    fn lock_application(
        connection: &mut Self::Connection,
        application: ApplicationId,
    ) -> impl Future<Output = StoreResult<()>> + Send + '_;
}
