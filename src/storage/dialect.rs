//! What differs between the two databases where the shared storage code needs it: the
//! shared operations are generic over a [`Dialect`], implemented for [`sqlx::Sqlite`] and
//! [`sqlx::Postgres`].

use sqlx::{Postgres, Sqlite};

/// A database the shared storage code runs on.
pub(in crate::storage) trait Dialect: sqlx::Database {
    /// How many rows a statement inserted, updated or deleted.
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

impl Dialect for Sqlite {
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

impl Dialect for Postgres {
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}
