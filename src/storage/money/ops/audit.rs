//! What a reconciliation reads besides balances: every deposit (hold) with the ledger
//! transactions that moved money for it.

use std::marker::PhantomData;

use anyhow::anyhow;
use sqlx::{ColumnIndex, Executor, IntoArguments};

use crate::domain::{DepositKind, DepositStatus};
use crate::ledger::HoldRecord;
use crate::storage::StoreResult;
use crate::storage::dialect::{Column, Dialect};

/// Holds on database `DB`.
pub(in crate::storage) struct Audit<DB>(PhantomData<DB>);

impl<DB> Audit<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    i64: Column<DB>,
    String: Column<DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// Every deposit, oldest first, with its freezes, resolutions and forfeits counted
    /// from the ledger, read in the caller's (reconciliation's) transaction so that they
    /// agree with the balances it reads.
    pub(in crate::storage) async fn holds(
        connection: &mut DB::Connection,
    ) -> StoreResult<Vec<HoldRecord>> {
        type HoldRow<M> = (i64, i64, i64, String, String, M, i64, i64, i64);
        let rows: Vec<HoldRow<DB::Money>> = sqlx::query_as(
            "SELECT d.id, d.account_id, d.lot_id, d.kind, d.status, d.amount,
                    COALESCE(SUM(CASE WHEN t.kind = 'deposit_freeze' THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN t.kind IN ('deposit_release', 'deposit_apply')
                                      THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN t.kind = 'deposit_forfeit' THEN 1 ELSE 0 END), 0)
             FROM deposits d
             LEFT JOIN ledger_transactions t
                    ON t.account_id = d.account_id AND t.lot_id = d.lot_id
             GROUP BY d.id, d.account_id, d.lot_id, d.kind, d.status, d.amount
             ORDER BY d.id",
        )
        .fetch_all(&mut *connection)
        .await?;
        rows.into_iter()
            .map(
                |(
                    deposit_id,
                    account_id,
                    lot_id,
                    kind,
                    status,
                    amount,
                    freezes,
                    resolutions,
                    forfeits,
                )| {
                    Ok(HoldRecord {
                        deposit_id,
                        account_id,
                        lot_id,
                        kind: DepositKind::parse(&kind)
                            .ok_or_else(|| anyhow!("deposit {deposit_id} has kind {kind:?}"))?,
                        status: DepositStatus::parse(&status)
                            .ok_or_else(|| anyhow!("deposit {deposit_id} has status {status:?}"))?,
                        amount: DB::stored_money(amount)?,
                        freezes,
                        resolutions,
                        forfeits,
                    })
                },
            )
            .collect()
    }
}
