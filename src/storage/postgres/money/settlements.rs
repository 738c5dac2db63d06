//! After the close: releasing deposits, applying the winner's, and the settlement.

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use crate::auction::{AccountId, ClosedEvent};
use crate::ledger::{LedgerTransaction, SettlementTerms};
use crate::money::Money;
use crate::storage::money::{
    DepositKind, HeldDeposit, Settlement, check_defaultable, check_payable, deposit_kind,
    settlement_status, sold_to,
};
use crate::storage::{LotId, StoreError, StoreResult};

use super::ledger;

pub(super) async fn settle_closed_lot(
    pool: &PgPool,
    lot: LotId,
    closed: &ClosedEvent,
    now_ms: i64,
) -> StoreResult<()> {
    let mut transaction = pool.begin().await?;
    let held = held_deposits(&mut transaction, lot).await?;
    let winner = sold_to(lot, closed)?;
    if let Some((winner, price)) = winner {
        open_settlement(&mut transaction, lot, winner, price, &held, now_ms).await?;
    }
    let winner_account = winner.map(|(account, _)| account);
    for deposit in held
        .iter()
        .filter(|deposit| Some(deposit.account_id) != winner_account)
    {
        release(&mut transaction, lot, deposit, now_ms).await?;
    }
    transaction.commit().await?;
    Ok(())
}

pub(super) async fn release_lot_deposits(
    pool: &PgPool,
    lot: LotId,
    now_ms: i64,
) -> StoreResult<()> {
    let mut transaction = pool.begin().await?;
    for deposit in held_deposits(&mut transaction, lot).await? {
        release(&mut transaction, lot, &deposit, now_ms).await?;
    }
    transaction.commit().await?;
    Ok(())
}

async fn held_deposits(connection: &mut PgConnection, lot: LotId) -> StoreResult<Vec<HeldDeposit>> {
    let rows: Vec<(i64, i64, i64, String, Decimal)> = sqlx::query_as(
        "SELECT id, application_id, account_id, kind, amount FROM deposits
         WHERE lot_id = $1 AND status = 'held' ORDER BY id
         FOR NO KEY UPDATE",
    )
    .bind(lot)
    .fetch_all(&mut *connection)
    .await?;
    rows.into_iter()
        .map(|(id, application_id, account_id, kind, amount)| {
            Ok(HeldDeposit {
                id,
                application_id,
                account_id,
                kind: deposit_kind(&kind)?,
                amount: Money::from_decimal(amount),
            })
        })
        .collect()
}

/// 退还: a cash deposit goes back to available; a guarantee is released to its issuer.
async fn release(
    connection: &mut PgConnection,
    lot: LotId,
    deposit: &HeldDeposit,
    now_ms: i64,
) -> StoreResult<()> {
    match deposit.kind {
        DepositKind::Cash => {
            let release =
                LedgerTransaction::deposit_release(deposit.account_id, lot, deposit.amount);
            ledger::apply(connection, &release, now_ms).await?;
        }
        DepositKind::Guarantee => {
            sqlx::query(
                "UPDATE guarantees SET status = 'released' WHERE application_id = $1
                 AND status = 'accepted'",
            )
            .bind(deposit.application_id)
            .execute(&mut *connection)
            .await?;
        }
    }
    resolve_deposit(connection, deposit.id, "released", now_ms).await
}

async fn resolve_deposit(
    connection: &mut PgConnection,
    deposit: i64,
    status: &str,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE deposits SET status = $2, resolved_at_ms = $3 WHERE id = $1")
        .bind(deposit)
        .bind(status)
        .bind(now_ms)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// 结转 and the settlement, once per lot. A winner who lodged a guarantee instead of cash
/// has nothing applied; its guarantee stays held until it pays or defaults.
async fn open_settlement(
    connection: &mut PgConnection,
    lot: LotId,
    winner: AccountId,
    price: Money,
    held: &[HeldDeposit],
    now_ms: i64,
) -> StoreResult<()> {
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM settlements WHERE lot_id = $1)")
            .bind(lot)
            .fetch_one(&mut *connection)
            .await?;
    if exists {
        return Ok(());
    }
    let (fee_rate, due_at_ms): (Decimal, Option<i64>) =
        sqlx::query_as("SELECT fee_rate, settlement_due_at_ms FROM lots WHERE id = $1")
            .bind(lot)
            .fetch_optional(&mut *connection)
            .await?
            .ok_or(StoreError::NotFound)?;
    let application_id: i64 =
        sqlx::query_scalar("SELECT id FROM applications WHERE lot_id = $1 AND account_id = $2")
            .bind(lot)
            .bind(winner)
            .fetch_optional(&mut *connection)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the winner of lot {lot} has no application"))?;
    let cash_deposit = held
        .iter()
        .find(|deposit| deposit.account_id == winner && deposit.kind == DepositKind::Cash);
    let terms = SettlementTerms::at_close(
        price,
        fee_rate,
        cash_deposit.map_or(Money::ZERO, |deposit| deposit.amount),
    );
    if let Some(deposit) = cash_deposit {
        if let Some(apply) = LedgerTransaction::deposit_apply(winner, lot, &terms) {
            ledger::apply(connection, &apply, now_ms).await?;
        }
        resolve_deposit(connection, deposit.id, "applied", now_ms).await?;
    }
    let settled_by_deposit = terms.amount_due().is_zero();
    sqlx::query(
        "INSERT INTO settlements (lot_id, account_id, application_id, price, fee,
             deposit_applied, amount_due, amount_paid, status, due_at_ms, created_at_ms,
             resolved_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, $10, $11)
         ON CONFLICT (lot_id) DO NOTHING",
    )
    .bind(lot)
    .bind(winner)
    .bind(application_id)
    .bind(terms.price().decimal())
    .bind(terms.fee().decimal())
    .bind(terms.deposit_applied().decimal())
    .bind(terms.amount_due().decimal())
    .bind(if settled_by_deposit { "paid" } else { "open" })
    .bind(due_at_ms)
    .bind(now_ms)
    .bind(settled_by_deposit.then_some(now_ms))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

type SettlementRow = (
    i64,
    i64,
    i64,
    i64,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    String,
    Option<i64>,
    i64,
    Option<i64>,
);

pub(super) async fn read(
    connection: &mut PgConnection,
    lot: LotId,
) -> StoreResult<Option<Settlement>> {
    let row: Option<SettlementRow> = sqlx::query_as(
        "SELECT s.lot_id, s.account_id, s.application_id, l.auctioneer_id, s.price, s.fee,
                s.deposit_applied, s.amount_due, s.amount_paid, s.status, s.due_at_ms,
                s.created_at_ms, s.resolved_at_ms
         FROM settlements s JOIN lots l ON l.id = s.lot_id WHERE s.lot_id = $1",
    )
    .bind(lot)
    .fetch_optional(&mut *connection)
    .await?;
    let Some((
        lot_id,
        account_id,
        application_id,
        auctioneer_id,
        price,
        fee,
        deposit_applied,
        amount_due,
        amount_paid,
        status,
        due_at_ms,
        created_at_ms,
        resolved_at_ms,
    )) = row
    else {
        return Ok(None);
    };
    Ok(Some(Settlement {
        lot_id,
        account_id,
        application_id,
        auctioneer_id,
        price: Money::from_decimal(price),
        fee: Money::from_decimal(fee),
        deposit_applied: Money::from_decimal(deposit_applied),
        amount_due: Money::from_decimal(amount_due),
        amount_paid: Money::from_decimal(amount_paid),
        status: settlement_status(&status)?,
        due_at_ms,
        created_at_ms,
        resolved_at_ms,
    }))
}

/// Locks the lot's settlement until commit, then reads it in a statement of its own (so
/// that it sees what a transaction that held the lock before committed).
async fn lock(connection: &mut PgConnection, lot: LotId) -> StoreResult<Option<Settlement>> {
    let locked: Option<i64> =
        sqlx::query_scalar("SELECT lot_id FROM settlements WHERE lot_id = $1 FOR NO KEY UPDATE")
            .bind(lot)
            .fetch_optional(&mut *connection)
            .await?;
    match locked {
        Some(_) => read(connection, lot).await,
        None => Ok(None),
    }
}

pub(super) async fn pay(
    pool: &PgPool,
    lot: LotId,
    account: AccountId,
    now_ms: i64,
) -> StoreResult<Settlement> {
    let mut transaction = pool.begin().await?;
    let settlement = lock(&mut transaction, lot)
        .await?
        .filter(|settlement| settlement.account_id == account)
        .ok_or(StoreError::NotFound)?;
    check_payable(&settlement)?;
    let terms =
        SettlementTerms::from_stored(settlement.price, settlement.fee, settlement.deposit_applied);
    debug_assert_eq!(terms.amount_due(), settlement.balance());
    if let Some(payment) = LedgerTransaction::settlement_payment(account, lot, &terms) {
        ledger::apply(&mut transaction, &payment, now_ms).await?;
    }
    sqlx::query(
        "UPDATE settlements SET amount_paid = amount_due, status = 'paid', resolved_at_ms = $2
         WHERE lot_id = $1",
    )
    .bind(lot)
    .bind(now_ms)
    .execute(&mut *transaction)
    .await?;
    release_winner_guarantee(&mut transaction, settlement.application_id, now_ms).await?;
    let paid = read(&mut transaction, lot)
        .await?
        .ok_or(StoreError::NotFound)?;
    transaction.commit().await?;
    Ok(paid)
}

/// A guarantee that backed a paid settlement is no longer needed.
async fn release_winner_guarantee(
    connection: &mut PgConnection,
    application: i64,
    now_ms: i64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE deposits SET status = 'released', resolved_at_ms = $2
         WHERE application_id = $1 AND kind = 'guarantee' AND status = 'held'",
    )
    .bind(application)
    .bind(now_ms)
    .execute(&mut *connection)
    .await?;
    sqlx::query(
        "UPDATE guarantees SET status = 'released' WHERE application_id = $1
         AND status = 'accepted'",
    )
    .bind(application)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

pub(super) async fn default(pool: &PgPool, lot: LotId, now_ms: i64) -> StoreResult<Settlement> {
    let mut transaction = pool.begin().await?;
    let settlement = lock(&mut transaction, lot)
        .await?
        .ok_or(StoreError::NotFound)?;
    check_defaultable(&settlement, now_ms)?;
    let terms =
        SettlementTerms::from_stored(settlement.price, settlement.fee, settlement.deposit_applied);
    if let Some(forfeit) = LedgerTransaction::deposit_forfeit(settlement.account_id, lot, &terms) {
        ledger::apply(&mut transaction, &forfeit, now_ms).await?;
    }
    sqlx::query(
        "UPDATE deposits SET status = 'forfeited', resolved_at_ms = $2
         WHERE application_id = $1 AND status IN ('applied', 'held')",
    )
    .bind(settlement.application_id)
    .bind(now_ms)
    .execute(&mut *transaction)
    .await?;
    sqlx::query(
        "UPDATE guarantees SET status = 'called' WHERE application_id = $1
         AND status = 'accepted'",
    )
    .bind(settlement.application_id)
    .execute(&mut *transaction)
    .await?;
    sqlx::query(
        "UPDATE settlements SET status = 'defaulted', resolved_at_ms = $2 WHERE lot_id = $1",
    )
    .bind(lot)
    .bind(now_ms)
    .execute(&mut *transaction)
    .await?;
    let defaulted = read(&mut transaction, lot)
        .await?
        .ok_or(StoreError::NotFound)?;
    transaction.commit().await?;
    Ok(defaulted)
}
