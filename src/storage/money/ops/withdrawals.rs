//! Withdrawals (余额退还).

use std::marker::PhantomData;

use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};

use crate::domain::AccountId;
use crate::ledger::LedgerTransaction;
use crate::money::Money;
use crate::storage::dialect::{Column, Dialect};
use crate::storage::money::{
    IdempotencyKey, Recorded, RenderWithdrawal, Withdrawal, WithdrawalStatus,
};
use crate::storage::{StoreError, StoreResult};

use super::idempotency::Idempotency;

/// Withdrawals on database `DB`.
pub(in crate::storage) struct Withdrawals<DB>(PhantomData<DB>);

impl<DB> Withdrawals<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    String: Column<DB>,
    usize: ColumnIndex<DB::Row>,
{
    pub(in crate::storage) async fn withdraw(
        writer: &Pool<DB>,
        account: AccountId,
        amount: Money,
        key: &IdempotencyKey,
        render: RenderWithdrawal<'_>,
        now_ms: i64,
    ) -> StoreResult<Recorded> {
        let mut transaction = writer.begin().await?;
        if let Some(answer) = Idempotency::claim(&mut transaction, key, now_ms).await? {
            return Ok(Recorded {
                answer,
                replayed: true,
            });
        }
        let (account_number, currency): (String, String) =
            sqlx::query_as("SELECT account_number, currency FROM wallets WHERE account_id = $1")
                .bind(account)
                .fetch_optional(&mut *transaction)
                .await?
                .ok_or(StoreError::NotFound)?;
        let withdrawal = LedgerTransaction::withdrawal(account, amount);
        let transaction_id = DB::apply_ledger(&mut transaction, &withdrawal, now_ms).await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO withdrawals (account_id, amount, currency, status, transaction_id,
                 created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(account)
        .bind(DB::money(amount))
        .bind(&currency)
        .bind(WithdrawalStatus::Requested.as_str())
        .bind(transaction_id)
        .bind(now_ms)
        .fetch_one(&mut *transaction)
        .await?;
        let answer = render(&Withdrawal {
            id,
            account_id: account,
            amount,
            currency,
            account_number,
            transaction_id,
            status: WithdrawalStatus::Requested,
            created_at_ms: now_ms,
        });
        Idempotency::store_answer(&mut transaction, key, &answer).await?;
        transaction.commit().await?;
        Ok(Recorded {
            answer,
            replayed: false,
        })
    }

    /// `requested` → `paid`; a withdrawal already paid is answered as it is, so the bank
    /// may report a payout again.
    pub(in crate::storage) async fn mark_paid(
        writer: &Pool<DB>,
        withdrawal: i64,
    ) -> StoreResult<Withdrawal> {
        let mut transaction = writer.begin().await?;
        sqlx::query("UPDATE withdrawals SET status = $2 WHERE id = $1 AND status = $3")
            .bind(withdrawal)
            .bind(WithdrawalStatus::Paid.as_str())
            .bind(WithdrawalStatus::Requested.as_str())
            .execute(&mut *transaction)
            .await?;
        type WithdrawalRow<M> = (i64, M, String, String, i64, String, i64);
        let row: Option<WithdrawalRow<DB::Money>> = sqlx::query_as(
            "SELECT d.account_id, d.amount, d.currency, w.account_number, d.transaction_id,
                    d.status, d.created_at_ms
             FROM withdrawals d JOIN wallets w ON w.account_id = d.account_id
             WHERE d.id = $1",
        )
        .bind(withdrawal)
        .fetch_optional(&mut *transaction)
        .await?;
        transaction.commit().await?;
        let (account_id, amount, currency, account_number, transaction_id, status, created_at_ms) =
            row.ok_or(StoreError::NotFound)?;
        Ok(Withdrawal {
            id: withdrawal,
            account_id,
            amount: DB::stored_money(amount)?,
            currency,
            account_number,
            transaction_id,
            status: WithdrawalStatus::parse(&status)
                .ok_or_else(|| anyhow::anyhow!("stored withdrawal status {status:?}"))?,
            created_at_ms,
        })
    }
}
