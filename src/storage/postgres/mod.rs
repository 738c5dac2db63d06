//! The production database: PostgreSQL.
//!
//! Money is NUMERIC(24, 2), bound and read as rust_decimal. sqlx 0.8 sets TCP_NODELAY on
//! its PostgreSQL sockets (0.9.0 dropped it, which stalls each small round trip ~40 ms
//! behind Nagle's algorithm and delayed ACKs), which is why bidroom stays on sqlx 0.8.

mod accounts;
mod journal;
mod lots;
mod money;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

pub struct PgStore {
    pool: PgPool,
}

/// Connections: the journal holds one, REST and rooms share the rest.
const CONNECTIONS: u32 = 8;

impl PgStore {
    pub async fn connect(url: &str) -> anyhow::Result<PgStore> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        Ok(PgStore { pool })
    }
}
