//! Withdrawals (余额退还).

use sqlx::SqlitePool;

use crate::auction::AccountId;
use crate::ledger::LedgerTransaction;
use crate::money::Money;
use crate::storage::money::{IdempotencyKey, Recorded, RenderWithdrawal, Withdrawal};
use crate::storage::{StoreError, StoreResult};

use super::{idempotency, ledger};

pub(super) async fn withdraw(
    pool: &SqlitePool,
    account: AccountId,
    amount: Money,
    key: &IdempotencyKey,
    render: RenderWithdrawal<'_>,
    now_ms: i64,
) -> StoreResult<Recorded> {
    let mut transaction = pool.begin().await?;
    if let Some(answer) = idempotency::claim(&mut transaction, key, now_ms).await? {
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
    let transaction_id = ledger::apply(&mut transaction, &withdrawal, now_ms).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO withdrawals (account_id, amount, currency, status, transaction_id,
             created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(account)
    .bind(amount.to_string())
    .bind(&currency)
    .bind(Withdrawal::STATUS)
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
        created_at_ms: now_ms,
    });
    idempotency::store_answer(&mut transaction, key, &answer).await?;
    transaction.commit().await?;
    Ok(Recorded {
        answer,
        replayed: false,
    })
}
