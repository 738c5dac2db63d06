//! What differs between the two databases where the shared storage code needs it: the
//! shared operations are generic over a [`Dialect`], implemented for [`sqlx::Sqlite`] (in
//! `sqlite/`) and [`sqlx::Postgres`] (in `postgres/`).

use std::future::Future;

use rust_decimal::Decimal;

use crate::ledger::{LedgerAccount, LedgerTransaction};
use crate::money::Money;
use crate::storage::StoreResult;
use crate::storage::lots::sql::StoredDecimal;

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
    type Money: Column<Self> + StoredDecimal + 'static;

    /// An amount as its money column binds it.
    fn money(amount: Money) -> Self::Money;

    /// A decimal (a rate, or an amount's decimal) as a column of type [`Self::Money`]
    /// binds it.
    fn decimal(value: Decimal) -> Self::Money;

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

    /// Appended to a SELECT whose rows the transaction then changes: PostgreSQL locks
    /// them until commit (` FOR NO KEY UPDATE`); SQLite needs nothing, its one writer
    /// connection already runs the writing transactions one at a time.
    const LOCK_ROWS: &'static str;

    /// Locks, until commit, the kept balances of `accounts` (creating them at zero when
    /// first used), in their order: a database transaction that applies several ledger
    /// transactions (a lot's settlement) takes every balance it may touch first, in the
    /// one order all ledger transactions use (`LedgerAccount`'s), so that two such
    /// transactions never hold one balance each while waiting for the other's.
    /// SQLite takes no lock (see [`Self::LOCK_ROWS`]) and runs nothing.
    fn lock_ledger_accounts<'a>(
        connection: &'a mut Self::Connection,
        accounts: &'a std::collections::BTreeSet<LedgerAccount>,
    ) -> impl Future<Output = StoreResult<()>> + Send + 'a;

    /// Locks, until commit, the row that `select` (a SELECT of one row by the id $1,
    /// without a locking clause) reads, in a statement of its own, and answers whether
    /// the row exists. The caller then reads the row in its next statement, whose
    /// snapshot (READ COMMITTED) is taken after the lock was granted and so sees what a
    /// transaction that held the lock before committed; a subquery in the locking
    /// statement itself would not. SQLite takes no lock (see [`Self::LOCK_ROWS`]),
    /// runs nothing and answers true.
    fn lock_row<'a>(
        connection: &'a mut Self::Connection,
        select: &'static str,
        id: i64,
    ) -> impl Future<Output = StoreResult<bool>> + Send + 'a;

    /// A decimal (not money: a rate) read back from a column of type [`Self::Money`]; the
    /// error describes the stored value.
    fn stored_decimal(value: Self::Money) -> Result<Decimal, String>;

    /// The casts of a parameter whose type the database cannot tell (in `$1 IS NULL`):
    /// none in SQLite, `::TEXT` and `::BIGINT` in PostgreSQL.
    const TEXT_PARAMETER: &'static str;
    const BIGINT_PARAMETER: &'static str;
}
