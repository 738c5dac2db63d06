//! The production database: PostgreSQL.
//!
//! Money is NUMERIC(24, 2), bound and read as rust_decimal. sqlx 0.8 sets TCP_NODELAY on
//! its PostgreSQL sockets (0.9.0 dropped it, which stalls each small round trip ~40 ms
//! behind Nagle's algorithm and delayed ACKs), which is why bidroom stays on sqlx 0.8.

mod accounts;
mod announcements;
mod items;
mod journal;
mod leases;
mod listings;
mod lots;
mod money;
mod options;
mod seed;

use std::future::Future;
use std::time::Duration;

use anyhow::Context;

use rust_decimal::Decimal;
use sqlx::postgres::{PgPool, PgPoolOptions, PgQueryResult};
use sqlx::{PgConnection, Postgres};

use crate::ledger::LedgerTransaction;
use crate::money::Money;

use super::StoreResult;
use super::dialect::Dialect;

pub use options::{connect_options, describe};

pub struct PgStore {
    pool: PgPool,
}

/// Connections: the journal holds one, REST and rooms share the rest.
const CONNECTIONS: u32 = 8;

impl PgStore {
    /// Connects as the URL says, TLS included (see [`connect_options`]).
    pub async fn connect(url: &str) -> anyhow::Result<PgStore> {
        let options = connect_options(url)?;
        let target = describe(&options);
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .with_context(|| format!("could not connect to {target}"))?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }
}

#[async_trait::async_trait]
impl super::ProbeStore for PgStore {
    async fn probe(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

impl Dialect for Postgres {
    type Money = Decimal;

    fn money(amount: Money) -> Decimal {
        amount.decimal()
    }

    fn decimal(value: Decimal) -> Decimal {
        value
    }

    fn stored_money(value: Decimal) -> StoreResult<Money> {
        Ok(Money::from_decimal(value))
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }

    fn apply_ledger<'a>(
        connection: &'a mut PgConnection,
        transaction: &'a LedgerTransaction,
        now_ms: i64,
    ) -> impl Future<Output = StoreResult<i64>> + Send + 'a {
        money::ledger::apply(connection, transaction, now_ms)
    }

    const LOCK_ROWS: &'static str = " FOR NO KEY UPDATE";

    fn lock_ledger_accounts<'a>(
        connection: &'a mut PgConnection,
        accounts: &'a std::collections::BTreeSet<crate::ledger::LedgerAccount>,
    ) -> impl Future<Output = StoreResult<()>> + Send + 'a {
        money::ledger::lock_accounts(connection, accounts)
    }

    async fn lock_row(
        connection: &mut PgConnection,
        select: &'static str,
        id: i64,
    ) -> StoreResult<bool> {
        let locked: Option<i64> = sqlx::query_scalar(&format!("{select}{}", Self::LOCK_ROWS))
            .bind(id)
            .fetch_optional(&mut *connection)
            .await?;
        Ok(locked.is_some())
    }

    fn stored_decimal(value: Decimal) -> Result<Decimal, String> {
        Ok(value)
    }

    const TEXT_PARAMETER: &'static str = "::TEXT";
    const BIGINT_PARAMETER: &'static str = "::BIGINT";
}
