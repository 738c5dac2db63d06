//! The embedded default: SQLite in WAL mode with `synchronous=FULL`.
//!
//! All writes go through one connection (`writer`): SQLite allows one writer at a time, and
//! a single writer connection means a transaction never meets `SQLITE_BUSY` halfway. Reads
//! use a small pool of read-only connections, which WAL lets run beside the writer.
//! Money is stored as canonical decimal TEXT ("1250.00").

mod accounts;
mod announcements;
mod items;
mod journal;
mod leases;
mod listings;
mod lots;
mod money;
mod seed;

use std::future::Future;
use std::str::FromStr;
use std::time::Duration;

use rust_decimal::Decimal;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};
use sqlx::{Sqlite, SqliteConnection};

use crate::ledger::LedgerTransaction;
use crate::money::Money;

use super::dialect::Dialect;
use super::{StoreError, StoreResult};

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

/// Read connections: enough for REST reads beside the journal on a small machine.
const READ_CONNECTIONS: u32 = 4;

impl SqliteStore {
    pub async fn connect(url: &str) -> anyhow::Result<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("migrations/sqlite").run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .connect_with(options.read_only(true))
            .await?;
        Ok(SqliteStore { writer, reader })
    }
}

#[async_trait::async_trait]
impl super::ProbeStore for SqliteStore {
    /// Reads the schema from the file (a bare `SELECT 1` would not touch it), on a read
    /// connection: a probe never waits behind the writer's transactions, whose failures
    /// the journal reports itself.
    async fn probe(&self) -> StoreResult<()> {
        sqlx::query("SELECT count(*) FROM sqlite_master")
            .execute(&self.reader)
            .await?;
        Ok(())
    }
}

/// Reads a money column (canonical decimal TEXT).
fn money_from_text(text: &str) -> StoreResult<Money> {
    Money::parse(text).map_err(|error| {
        StoreError::Internal(anyhow::anyhow!(
            "stored amount {text:?} is not money: {error}"
        ))
    })
}

impl Dialect for Sqlite {
    type Money = String;

    fn money(amount: Money) -> String {
        amount.to_string()
    }

    fn decimal(value: Decimal) -> String {
        value.to_string()
    }

    fn stored_money(value: String) -> StoreResult<Money> {
        money_from_text(&value)
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }

    fn apply_ledger<'a>(
        connection: &'a mut SqliteConnection,
        transaction: &'a LedgerTransaction,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<i64>> + Send + 'a {
        money::ledger::apply(connection, transaction, now_ms)
    }

    const LOCK_ROWS: &'static str = "";

    async fn lock_ledger_accounts(
        _connection: &mut SqliteConnection,
        _accounts: &std::collections::BTreeSet<crate::ledger::LedgerAccount>,
    ) -> StoreResult<()> {
        Ok(())
    }

    /// Nothing to lock: every write runs on the one writer connection, so the writing
    /// transactions already run one at a time.
    async fn lock_row(
        _connection: &mut SqliteConnection,
        _select: &'static str,
        _id: i64,
    ) -> StoreResult<bool> {
        Ok(true)
    }

    fn stored_decimal(value: String) -> Result<Decimal, String> {
        Decimal::from_str(&value).map_err(|error| format!("{value:?}: {error}"))
    }

    const TEXT_PARAMETER: &'static str = "";
    const BIGINT_PARAMETER: &'static str = "";
}
