//! Persistence: the only module that speaks SQL.
//!
//! One storage trait ([`Store`], the sum of one trait per concern) with one implementation
//! per database: [`sqlite`] (the embedded default) and [`postgres`] (production). SQL text
//! that both dialects accept is written once and shared; the implementations differ where
//! the databases do (SQLite keeps money as canonical decimal TEXT, PostgreSQL as NUMERIC).
//!
//! The operations themselves are written once too, generic over the database (the `ops`
//! modules beside each concern's trait); each database's implementation is a thin impl
//! that calls them with the pool it reads or writes with, and implements the `Dialect`
//! trait for what differs: how money is bound and read, how a ledger transaction posts,
//! and PostgreSQL's row locks. The journal's bulk insert stays per database.

pub mod accounts;
pub mod announcements;
mod conflict;
mod dialect;
pub mod items;
pub mod journal;
pub mod leases;
pub mod listings;
pub mod lots;
pub mod money;
pub mod postgres;
pub mod seed;
pub mod sqlite;
pub mod stats;
#[cfg(test)]
pub mod testing;

use std::sync::Arc;

use anyhow::Context;

pub use accounts::{Account, AccountStore, SessionAccount};
pub use announcements::AnnouncementStore;
pub use conflict::Conflict;
pub use items::LotItemStore;
pub use journal::{BidSummary, JournalError, JournalRow, JournalStore, RoomEventKind};
pub use leases::{Lease, LeaseStore, NodeRecord, Release, TakenLease};
pub use listings::ListingStore;
pub use lots::{Lot, LotStore, RosterEntry};
pub use money::{MoneyStore, WalletSummary};
pub use seed::SeedStore;
pub use stats::StatsStore;

/// What a storage call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// The request conflicts with the stored state: see [`Conflict`].
    #[error(transparent)]
    Conflict(#[from] Conflict),
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Whether the database answers (`/readyz`).
#[async_trait::async_trait]
pub trait ProbeStore {
    /// A cheap query that reads the database itself.
    async fn probe(&self) -> StoreResult<()>;
}

/// Everything bidroom stores.
pub trait Store:
    ProbeStore
    + AccountStore
    + LotStore
    + MoneyStore
    + JournalStore
    + LeaseStore
    + SeedStore
    + ListingStore
    + AnnouncementStore
    + LotItemStore
    + StatsStore
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: ProbeStore
        + AccountStore
        + LotStore
        + MoneyStore
        + JournalStore
        + LeaseStore
        + SeedStore
        + ListingStore
        + AnnouncementStore
        + LotItemStore
        + StatsStore
        + Send
        + Sync
        + 'static
{
}

/// Opens the database named by `url` (`sqlite://PATH` or `postgres://...`) and applies the
/// migrations.
pub async fn connect(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        let store = sqlite::SqliteStore::connect(url)
            .await
            .with_context(|| format!("failed to open the SQLite database {url}"))?;
        Ok(Arc::new(store))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let store = postgres::PgStore::connect(url)
            .await
            .context("failed to connect to PostgreSQL")?;
        Ok(Arc::new(store))
    } else {
        anyhow::bail!("unsupported database URL {url:?}: expected sqlite://PATH or postgres://...")
    }
}
