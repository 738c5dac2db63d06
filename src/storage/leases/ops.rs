//! The lease operations, written once for both databases (see `accounts/ops.rs` for the
//! pattern): each takes the pool the database's store writes or reads with.

use std::collections::HashMap;
use std::marker::PhantomData;

use sqlx::{Executor, FromRow, IntoArguments, Pool, Row};

use crate::domain::LotId;
use crate::storage::StoreResult;
use crate::storage::dialect::{Column, Dialect};
use crate::storage::journal::JournalError;

use super::{Lease, NodeRecord, Release, TakenLease, sql};

/// Lots a fence check reads at once (well inside either database's limit on parameters).
const FENCE_CHUNK: usize = 500;

pub(in crate::storage) struct Leases<DB>(PhantomData<DB>);

impl<DB> Leases<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    bool: Column<DB>,
    for<'a> &'a str: sqlx::ColumnIndex<DB::Row>,
    usize: sqlx::ColumnIndex<DB::Row>,
    for<'r> Lease: FromRow<'r, DB::Row>,
    for<'r> NodeRecord: FromRow<'r, DB::Row>,
{
    pub(in crate::storage) async fn acquire(
        writer: &Pool<DB>,
        lot: LotId,
        node: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<Option<TakenLease>> {
        // A release counts as a handover for one lease term: a node that takes the room
        // later has not been standing by, and the room was as good as down.
        let handover_since_ms = now_ms - (expires_at_ms - now_ms);
        let row = sqlx::query(sql::ACQUIRE)
            .bind(lot)
            .bind(node)
            .bind(now_ms)
            .bind(expires_at_ms)
            .bind(handover_since_ms)
            .fetch_optional(writer)
            .await?;
        let taken = row.map(|row| -> Result<TakenLease, sqlx::Error> {
            Ok(TakenLease {
                epoch: row.try_get(0)?,
                handed_over: row.try_get(1)?,
            })
        });
        Ok(taken.transpose()?)
    }

    /// One statement a lease, each its own transaction: a renewal then holds one lease row
    /// at a time, so it can wait behind the journal's fence check but never deadlock with it.
    pub(in crate::storage) async fn renew(
        writer: &Pool<DB>,
        node: &str,
        leases: &[(LotId, i64)],
        expires_at_ms: i64,
    ) -> StoreResult<Vec<LotId>> {
        let mut renewed = Vec::with_capacity(leases.len());
        for &(lot, epoch) in leases {
            let result = sqlx::query(sql::RENEW)
                .bind(expires_at_ms)
                .bind(node)
                .bind(lot)
                .bind(epoch)
                .execute(writer)
                .await?;
            if DB::rows_affected(&result) == 1 {
                renewed.push(lot);
            }
        }
        Ok(renewed)
    }

    pub(in crate::storage) async fn release(
        writer: &Pool<DB>,
        lot: LotId,
        node: &str,
        epoch: i64,
        release: Release,
    ) -> StoreResult<()> {
        let statement = match release {
            Release::Ended => sqlx::query(sql::DELETE).bind(lot).bind(node).bind(epoch),
            Release::HandedOver { at_ms } => sqlx::query(sql::RELEASE)
                .bind(lot)
                .bind(node)
                .bind(epoch)
                .bind(at_ms),
        };
        statement.execute(writer).await?;
        Ok(())
    }

    pub(in crate::storage) async fn leases(reader: &Pool<DB>) -> StoreResult<Vec<Lease>> {
        Ok(sqlx::query_as(sql::LEASES).fetch_all(reader).await?)
    }

    pub(in crate::storage) async fn unheld_live_lots(
        reader: &Pool<DB>,
        now_ms: i64,
    ) -> StoreResult<Vec<LotId>> {
        let rows = sqlx::query(sql::UNHELD_LIVE_LOTS)
            .bind(now_ms)
            .fetch_all(reader)
            .await?;
        Ok(rows
            .iter()
            .map(|row| row.try_get::<i64, _>(0))
            .collect::<Result<_, _>>()?)
    }

    pub(in crate::storage) async fn node_seen(
        writer: &Pool<DB>,
        node: &NodeRecord,
    ) -> StoreResult<()> {
        sqlx::query(sql::NODE_SEEN)
            .bind(node.node_id.as_str())
            .bind(node.address.as_str())
            .bind(node.clustered)
            .bind(node.started_at_ms)
            .bind(node.last_seen_ms)
            .execute(writer)
            .await?;
        Ok(())
    }

    pub(in crate::storage) async fn node_stopped(writer: &Pool<DB>, node: &str) -> StoreResult<()> {
        sqlx::query(sql::NODE_STOPPED)
            .bind(node)
            .execute(writer)
            .await?;
        Ok(())
    }

    pub(in crate::storage) async fn nodes(reader: &Pool<DB>) -> StoreResult<Vec<NodeRecord>> {
        Ok(sqlx::query_as(sql::NODES).fetch_all(reader).await?)
    }

    /// Inside the journal's transaction, after its rows are written: every (lot, epoch) of
    /// `leases` must be the epoch the database holds for the lot, else the transaction must
    /// not commit ([`JournalError::Fenced`] names the lots fenced off). PostgreSQL locks
    /// the lease rows until commit (`FOR SHARE`), so that a takeover waits for this batch
    /// and then reads it; SQLite's write lock, taken by the inserts, already excludes one.
    pub(in crate::storage) async fn check_fence(
        connection: &mut DB::Connection,
        leases: &[(LotId, i64)],
        lock: &str,
    ) -> Result<(), JournalError> {
        let mut fenced = Vec::new();
        for chunk in leases.chunks(FENCE_CHUNK) {
            let query = sql::fence(chunk.len(), lock);
            let mut statement = sqlx::query(&query);
            for (lot, _) in chunk {
                statement = statement.bind(*lot);
            }
            let held: HashMap<LotId, i64> = statement
                .fetch_all(&mut *connection)
                .await?
                .iter()
                .map(|row| Ok((row.try_get("lot_id")?, row.try_get("epoch")?)))
                .collect::<Result<_, sqlx::Error>>()?;
            fenced.extend(
                chunk
                    .iter()
                    .filter(|(lot, epoch)| held.get(lot) != Some(epoch))
                    .map(|(lot, _)| *lot),
            );
        }
        if fenced.is_empty() {
            Ok(())
        } else {
            Err(JournalError::Fenced(fenced))
        }
    }
}
