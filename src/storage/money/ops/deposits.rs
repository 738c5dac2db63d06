//! Cash deposits (交纳保证金).

use std::marker::PhantomData;

use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};

use crate::domain::{AccountId, ApplicationId, DepositKind, DepositStatus, LotId};
use crate::ledger::{DepositContext, DepositRefusal, LedgerTransaction, deposit};
use crate::money::Money;
use crate::storage::dialect::{Column, Dialect};
use crate::storage::money::{
    ApplicationOwner, Deposit, IdempotencyKey, Recorded, RenderDeposit, deposit_terms, lot_state,
};
use crate::storage::{StoreError, StoreResult};

use super::idempotency::Idempotency;

/// Cash deposits on database `DB`.
pub(in crate::storage) struct Deposits<DB>(PhantomData<DB>);

type ContextRow<M> = (
    i64,
    i64,
    String,
    bool,
    String,
    String,
    M,
    M,
    i64,
    String,
    Option<String>,
);

impl<DB> Deposits<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    String: Column<DB>,
    bool: Column<DB>,
    usize: ColumnIndex<DB::Row>,
{
    pub(in crate::storage) async fn application_owner(
        reader: &Pool<DB>,
        application: ApplicationId,
    ) -> StoreResult<Option<ApplicationOwner>> {
        let row: Option<(i64, i64)> =
            sqlx::query_as("SELECT lot_id, account_id FROM applications WHERE id = $1")
                .bind(application)
                .fetch_optional(reader)
                .await?;
        Ok(row.map(|(lot_id, account_id)| ApplicationOwner {
            application_id: application,
            lot_id,
            account_id,
        }))
    }

    pub(in crate::storage) async fn lodge(
        writer: &Pool<DB>,
        application: ApplicationId,
        requested: Option<Money>,
        key: &IdempotencyKey,
        render: RenderDeposit<'_>,
        now_ms: i64,
    ) -> StoreResult<Result<Recorded, DepositRefusal>> {
        let mut transaction = writer.begin().await?;
        if let Some(answer) = Idempotency::claim(&mut transaction, key, now_ms).await? {
            return Ok(Ok(Recorded {
                answer,
                replayed: true,
            }));
        }
        let deposit = match Self::freeze(&mut transaction, application, requested, now_ms).await? {
            Ok(deposit) => deposit,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let answer = render(&deposit);
        Idempotency::store_answer(&mut transaction, key, &answer).await?;
        transaction.commit().await?;
        Ok(Ok(Recorded {
            answer,
            replayed: false,
        }))
    }

    /// What the deposit rules look at, read inside the deciding transaction.
    ///
    /// The application's row is locked first (on PostgreSQL), in a statement of its own,
    /// and stays locked until commit: two deposits or guarantees for one application are
    /// decided one after the other, and the context read next sees what the other one
    /// committed (see [`Dialect::lock_row`]).
    pub(in crate::storage) async fn context(
        connection: &mut DB::Connection,
        application: ApplicationId,
    ) -> StoreResult<(LotId, i64, DepositContext)> {
        let select = "SELECT id FROM applications WHERE id = $1";
        if !DB::lock_row(&mut *connection, select, application).await? {
            return Err(StoreError::NotFound);
        }
        let row: Option<ContextRow<DB::Money>> = sqlx::query_as(
            "SELECT a.lot_id, a.account_id, a.status,
                    EXISTS (SELECT 1 FROM deposits d WHERE d.application_id = a.id),
                    l.state, l.deposit_kind, l.deposit_min, l.deposit_max, l.deposit_deadline_ms,
                    l.currency, w.currency
             FROM applications a
             JOIN lots l ON l.id = a.lot_id
             LEFT JOIN wallets w ON w.account_id = a.account_id
             WHERE a.id = $1",
        )
        .bind(application)
        .fetch_optional(&mut *connection)
        .await?;
        let (
            lot_id,
            account_id,
            status,
            deposit_lodged,
            state,
            kind,
            min,
            max,
            deposit_deadline_ms,
            lot_currency,
            wallet_currency,
        ) = row.ok_or(StoreError::NotFound)?;
        let wallet_currency =
            wallet_currency.ok_or_else(|| anyhow::anyhow!("account {account_id} has no wallet"))?;
        let context = DepositContext {
            application_rejected: status == "rejected",
            deposit_lodged,
            lot_state: lot_state(&state)?,
            deposit_deadline_ms,
            terms: deposit_terms(&kind, DB::stored_money(min)?, DB::stored_money(max)?)?,
            lot_currency,
            wallet_currency,
        };
        Ok((lot_id, account_id, context))
    }

    /// Freezes a cash deposit for the application by the deposit rules, inside the caller's
    /// transaction: the `deposit_freeze` ledger transaction and the held deposit; or the
    /// rule it breaks.
    pub(in crate::storage) async fn freeze(
        connection: &mut DB::Connection,
        application: ApplicationId,
        requested: Option<Money>,
        now_ms: i64,
    ) -> StoreResult<Result<Deposit, DepositRefusal>> {
        let (lot_id, account_id, context) = Self::context(&mut *connection, application).await?;
        let amount = match deposit::amount_to_lodge(&context, requested, now_ms) {
            Ok(amount) => amount,
            Err(refusal) => return Ok(Err(refusal)),
        };
        let freeze = LedgerTransaction::deposit_freeze(account_id, lot_id, amount);
        DB::apply_ledger(&mut *connection, &freeze, now_ms).await?;
        let held = NewHold {
            application,
            lot: lot_id,
            account: account_id,
            kind: DepositKind::Cash,
            amount,
        };
        let id = Self::hold(&mut *connection, &held, now_ms).await?;
        Ok(Ok(Deposit {
            id,
            application_id: application,
            lot_id,
            account_id,
            kind: DepositKind::Cash,
            amount,
            status: DepositStatus::Held,
            created_at_ms: now_ms,
        }))
    }

    /// Records a held deposit (cash already frozen by the caller, or an accepted
    /// guarantee) and marks its application's deposit lodged, inside the caller's
    /// transaction; the deposit's id.
    pub(in crate::storage) async fn hold(
        connection: &mut DB::Connection,
        deposit: &NewHold,
        now_ms: i64,
    ) -> StoreResult<i64> {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO deposits (application_id, lot_id, account_id, kind, amount, status,
                 created_at_ms)
             VALUES ($1, $2, $3, $4, $5, 'held', $6) RETURNING id",
        )
        .bind(deposit.application)
        .bind(deposit.lot)
        .bind(deposit.account)
        .bind(deposit.kind.as_str())
        .bind(DB::money(deposit.amount))
        .bind(now_ms)
        .fetch_one(&mut *connection)
        .await?;
        sqlx::query("UPDATE applications SET deposit_status = 'lodged' WHERE id = $1")
            .bind(deposit.application)
            .execute(&mut *connection)
            .await?;
        Ok(id)
    }
}

/// A deposit about to be held for an application.
pub(in crate::storage) struct NewHold {
    pub application: ApplicationId,
    pub lot: LotId,
    pub account: AccountId,
    pub kind: DepositKind,
    pub amount: Money,
}
