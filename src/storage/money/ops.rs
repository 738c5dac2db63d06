//! The money operations both databases run alike, written once and generic over the
//! [`Dialect`](crate::storage::dialect::Dialect). Each takes the pool its store uses for it:
//! for SQLite, `reader` to read and the one-connection `writer` for every transaction that
//! writes; for PostgreSQL, its one pool. Where the databases differ (how a ledger
//! transaction updates balances, which rows a decision locks), the dialect supplies it.

pub(in crate::storage) mod audit;
pub(in crate::storage) mod bank;
pub(in crate::storage) mod deposits;
pub(in crate::storage) mod guarantees;
pub(in crate::storage) mod idempotency;
pub(in crate::storage) mod settlements;
pub(in crate::storage) mod wallet;
pub(in crate::storage) mod withdrawals;
