//! Cash deposits (交纳保证金).

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use crate::ledger::{DepositContext, DepositRefusal, LedgerTransaction, deposit};
use crate::money::Money;
use crate::storage::money::{
    ApplicationOwner, Deposit, DepositKind, DepositStatus, IdempotencyKey, Recorded, RenderDeposit,
    deposit_terms, lot_state,
};
use crate::storage::{ApplicationId, LotId, StoreError, StoreResult};

use super::{idempotency, ledger};

pub(super) async fn application_owner(
    pool: &PgPool,
    application: ApplicationId,
) -> StoreResult<Option<ApplicationOwner>> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT lot_id, account_id FROM applications WHERE id = $1")
            .bind(application)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(lot_id, account_id)| ApplicationOwner {
        application_id: application,
        lot_id,
        account_id,
    }))
}

pub(super) async fn lodge(
    pool: &PgPool,
    application: ApplicationId,
    requested: Option<Money>,
    key: &IdempotencyKey,
    render: RenderDeposit<'_>,
    now_ms: i64,
) -> StoreResult<Result<Recorded, DepositRefusal>> {
    let mut transaction = pool.begin().await?;
    if let Some(answer) = idempotency::claim(&mut transaction, key, now_ms).await? {
        return Ok(Ok(Recorded {
            answer,
            replayed: true,
        }));
    }
    let (lot_id, account_id, context) = context(&mut transaction, application).await?;
    let amount = match deposit::amount_to_lodge(&context, requested, now_ms) {
        Ok(amount) => amount,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let freeze = LedgerTransaction::deposit_freeze(account_id, lot_id, amount);
    ledger::apply(&mut transaction, &freeze, now_ms).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO deposits (application_id, lot_id, account_id, kind, amount, status,
             created_at_ms)
         VALUES ($1, $2, $3, 'cash', $4, 'held', $5) RETURNING id",
    )
    .bind(application)
    .bind(lot_id)
    .bind(account_id)
    .bind(amount.decimal())
    .bind(now_ms)
    .fetch_one(&mut *transaction)
    .await?;
    sqlx::query("UPDATE applications SET deposit_status = 'lodged' WHERE id = $1")
        .bind(application)
        .execute(&mut *transaction)
        .await?;
    let answer = render(&Deposit {
        id,
        application_id: application,
        lot_id,
        account_id,
        kind: DepositKind::Cash,
        amount,
        status: DepositStatus::Held,
        created_at_ms: now_ms,
    });
    idempotency::store_answer(&mut transaction, key, &answer).await?;
    transaction.commit().await?;
    Ok(Ok(Recorded {
        answer,
        replayed: false,
    }))
}

type ContextRow = (
    i64,
    i64,
    String,
    bool,
    String,
    String,
    Decimal,
    Decimal,
    i64,
    String,
    Option<String>,
);

/// What the deposit rules look at, read inside the lodging transaction.
///
/// The application's row is locked first, in a statement of its own, and stays locked
/// until commit: two deposits for one application (with different keys) are decided one
/// after the other. The context is read by the next statement, whose snapshot (READ
/// COMMITTED) is taken after the lock was granted and so sees the deposit the other one
/// committed; a subquery in the locking statement itself would not.
pub(super) async fn context(
    connection: &mut PgConnection,
    application: ApplicationId,
) -> StoreResult<(LotId, i64, DepositContext)> {
    let locked: Option<i64> =
        sqlx::query_scalar("SELECT id FROM applications WHERE id = $1 FOR NO KEY UPDATE")
            .bind(application)
            .fetch_optional(&mut *connection)
            .await?;
    if locked.is_none() {
        return Err(StoreError::NotFound);
    }
    let row: Option<ContextRow> = sqlx::query_as(
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
        terms: deposit_terms(&kind, Money::from_decimal(min), Money::from_decimal(max))?,
        lot_currency,
        wallet_currency,
    };
    Ok((lot_id, account_id, context))
}
