//! Electronic guarantees (电子保函): submitted by the bidder, decided by an admin.

use std::marker::PhantomData;

use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};

use crate::domain::{ApplicationId, DepositKind};
use crate::ledger::{DepositRefusal, deposit};
use crate::storage::dialect::{Column, Dialect};
use crate::storage::money::{
    Guarantee, GuaranteeDecision, GuaranteeFilter, GuaranteeStatus, NewGuarantee, check_pending,
    guarantee_status,
};
use crate::storage::{StoreError, StoreResult};

use super::deposits::{Deposits, NewHold};

/// Guarantees on database `DB`.
pub(in crate::storage) struct Guarantees<DB>(PhantomData<DB>);

type GuaranteeRow<M> = (
    i64,
    i64,
    i64,
    i64,
    String,
    String,
    M,
    String,
    Option<String>,
    i64,
    Option<i64>,
);

const COLUMNS: &str = "SELECT g.id, g.application_id, a.lot_id, g.account_id, g.issuer, g.number,
            g.amount, g.status, g.reason, g.created_at_ms, g.decided_at_ms
     FROM guarantees g JOIN applications a ON a.id = g.application_id";

impl<DB> Guarantees<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    Option<i64>: Column<DB>,
    String: Column<DB>,
    bool: Column<DB>,
    usize: ColumnIndex<DB::Row>,
{
    pub(in crate::storage) async fn submit(
        writer: &Pool<DB>,
        application: ApplicationId,
        guarantee: &NewGuarantee,
        now_ms: i64,
    ) -> StoreResult<Result<Guarantee, DepositRefusal>> {
        let mut transaction = writer.begin().await?;
        // Locks the application: two submissions for it are decided one after the other.
        let (_, account_id, context) = Deposits::context(&mut transaction, application).await?;
        let pending: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM guarantees WHERE application_id = $1
                 AND status = 'pending')",
        )
        .bind(application)
        .fetch_one(&mut *transaction)
        .await?;
        if let Err(refusal) =
            deposit::guarantee_may_be_submitted(&context, guarantee.amount, pending, now_ms)
        {
            return Ok(Err(refusal));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO guarantees (application_id, account_id, issuer, number, amount, status,
                 created_at_ms)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING id",
        )
        .bind(application)
        .bind(account_id)
        .bind(&guarantee.issuer)
        .bind(&guarantee.number)
        .bind(DB::money(guarantee.amount))
        .bind(now_ms)
        .fetch_one(&mut *transaction)
        .await?;
        let submitted = Self::read(&mut transaction, id).await?;
        transaction.commit().await?;
        Ok(Ok(submitted))
    }

    pub(in crate::storage) async fn decide(
        writer: &Pool<DB>,
        guarantee: i64,
        decision: &GuaranteeDecision,
        now_ms: i64,
    ) -> StoreResult<Result<Guarantee, DepositRefusal>> {
        let mut transaction = writer.begin().await?;
        // Locked in a statement of its own, then read: a decision made meanwhile is seen.
        let select = "SELECT id FROM guarantees WHERE id = $1";
        DB::lock_row(&mut transaction, select, guarantee).await?;
        let current = Self::read(&mut transaction, guarantee).await?;
        check_pending(current.status)?;
        match decision {
            GuaranteeDecision::Reject { reason } => {
                sqlx::query(
                    "UPDATE guarantees SET status = 'rejected', reason = $2, decided_at_ms = $3
                     WHERE id = $1",
                )
                .bind(guarantee)
                .bind(reason)
                .bind(now_ms)
                .execute(&mut *transaction)
                .await?;
            }
            GuaranteeDecision::Accept => {
                let (lot_id, account_id, context) =
                    Deposits::context(&mut transaction, current.application_id).await?;
                if let Err(refusal) = deposit::guarantee_may_be_accepted(&context) {
                    return Ok(Err(refusal));
                }
                sqlx::query(
                    "UPDATE guarantees SET status = 'accepted', decided_at_ms = $2 WHERE id = $1",
                )
                .bind(guarantee)
                .bind(now_ms)
                .execute(&mut *transaction)
                .await?;
                let held = NewHold {
                    application: current.application_id,
                    lot: lot_id,
                    account: account_id,
                    kind: DepositKind::Guarantee,
                    amount: current.amount,
                };
                Deposits::hold(&mut transaction, &held, now_ms).await?;
            }
        }
        let decided = Self::read(&mut transaction, guarantee).await?;
        transaction.commit().await?;
        Ok(Ok(decided))
    }

    async fn read(connection: &mut DB::Connection, guarantee: i64) -> StoreResult<Guarantee> {
        Self::find(connection, guarantee)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub(in crate::storage) async fn get(
        reader: &Pool<DB>,
        guarantee: i64,
    ) -> StoreResult<Option<Guarantee>> {
        let mut connection = reader.acquire().await?;
        Self::find(&mut connection, guarantee).await
    }

    async fn find(
        connection: &mut DB::Connection,
        guarantee: i64,
    ) -> StoreResult<Option<Guarantee>> {
        let row: Option<GuaranteeRow<DB::Money>> =
            sqlx::query_as(&format!("{COLUMNS} WHERE g.id = $1"))
                .bind(guarantee)
                .fetch_optional(&mut *connection)
                .await?;
        row.map(Self::guarantee_from_row).transpose()
    }

    pub(in crate::storage) async fn list(
        reader: &Pool<DB>,
        filter: &GuaranteeFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Guarantee>> {
        let (text, bigint) = (DB::TEXT_PARAMETER, DB::BIGINT_PARAMETER);
        let rows: Vec<GuaranteeRow<DB::Money>> = sqlx::query_as(&format!(
            "{COLUMNS}
             WHERE ($1{text} IS NULL OR g.status = $1) AND ($2{bigint} IS NULL OR a.lot_id = $2) AND g.id < $3
             ORDER BY g.id DESC LIMIT $4"
        ))
        .bind(filter.status.map(GuaranteeStatus::as_str))
        .bind(filter.lot_id)
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(reader)
        .await?;
        rows.into_iter().map(Self::guarantee_from_row).collect()
    }

    fn guarantee_from_row(row: GuaranteeRow<DB::Money>) -> StoreResult<Guarantee> {
        let (
            id,
            application_id,
            lot_id,
            account_id,
            issuer,
            number,
            amount,
            status,
            reason,
            created_at_ms,
            decided_at_ms,
        ) = row;
        Ok(Guarantee {
            id,
            application_id,
            lot_id,
            account_id,
            issuer,
            number,
            amount: DB::stored_money(amount)?,
            status: guarantee_status(&status)?,
            reason,
            created_at_ms,
            decided_at_ms,
        })
    }
}
