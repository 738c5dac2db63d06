//! After the close: releasing deposits, applying the winner's, and the settlement.

use std::collections::BTreeSet;
use std::marker::PhantomData;

use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};

use crate::auction::{ClosedEvent, LotState};
use crate::domain::{AccountId, DepositKind, LotId};
use crate::ledger::{LedgerAccount, LedgerTransaction, SettlementTerms};
use crate::money::Money;
use crate::storage::dialect::{Column, Dialect};
use crate::storage::money::{
    HeldDeposit, Settlement, check_defaultable, check_payable, deposit_kind, lot_state,
    settlement_status, sold_to,
};
use crate::storage::{StoreError, StoreResult};

/// Every balance a lot's end may move: each cash depositor's wallet (a release, or the
/// winner's deposit applied) and, with a winner, the lot's proceeds and the fees. Taken
/// first, in order ([`Dialect::lock_ledger_accounts`]), when many lots end at once.
fn settlement_accounts(
    lot: LotId,
    winner: Option<(AccountId, Money)>,
    held: &[HeldDeposit],
) -> BTreeSet<LedgerAccount> {
    let mut accounts: BTreeSet<LedgerAccount> = held
        .iter()
        .filter(|deposit| deposit.kind == DepositKind::Cash)
        .flat_map(|deposit| {
            [
                LedgerAccount::WalletAvailable(deposit.account_id),
                LedgerAccount::WalletFrozen(deposit.account_id),
            ]
        })
        .collect();
    if winner.is_some() {
        accounts.extend([LedgerAccount::LotProceeds(lot), LedgerAccount::Fees]);
    }
    accounts
}

/// Settlements on database `DB`.
pub(in crate::storage) struct Settlements<DB>(PhantomData<DB>);

type SettlementRow<M> = (
    i64,
    i64,
    i64,
    i64,
    M,
    M,
    M,
    M,
    M,
    String,
    Option<i64>,
    i64,
    Option<i64>,
);

impl<DB> Settlements<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    Option<i64>: Column<DB>,
    String: Column<DB>,
    bool: Column<DB>,
    usize: ColumnIndex<DB::Row>,
{
    pub(in crate::storage) async fn settle_closed_lot(
        writer: &Pool<DB>,
        lot: LotId,
        closed: &ClosedEvent,
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut transaction = writer.begin().await?;
        let held = Self::held_deposits(&mut transaction, lot).await?;
        let winner = sold_to(lot, closed)?;
        DB::lock_ledger_accounts(&mut transaction, &settlement_accounts(lot, winner, &held))
            .await?;
        if let Some((winner, price)) = winner {
            Self::open_settlement(&mut transaction, lot, winner, price, &held, now_ms).await?;
        }
        let winner_account = winner.map(|(account, _)| account);
        for deposit in held
            .iter()
            .filter(|deposit| Some(deposit.account_id) != winner_account)
        {
            Self::release(&mut transaction, lot, deposit, now_ms).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    pub(in crate::storage) async fn release_lot_deposits(
        writer: &Pool<DB>,
        lot: LotId,
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut transaction = writer.begin().await?;
        let held = Self::held_deposits(&mut transaction, lot).await?;
        DB::lock_ledger_accounts(&mut transaction, &settlement_accounts(lot, None, &held)).await?;
        for deposit in held {
            Self::release(&mut transaction, lot, &deposit, now_ms).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// The lot's held deposits, locked until commit (on PostgreSQL) by the statement that
    /// reads them.
    async fn held_deposits(
        connection: &mut DB::Connection,
        lot: LotId,
    ) -> StoreResult<Vec<HeldDeposit>> {
        let rows: Vec<(i64, i64, i64, String, DB::Money)> = sqlx::query_as(&format!(
            "SELECT id, application_id, account_id, kind, amount FROM deposits
             WHERE lot_id = $1 AND status = 'held' ORDER BY id{}",
            DB::LOCK_ROWS
        ))
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
                    amount: DB::stored_money(amount)?,
                })
            })
            .collect()
    }

    /// 退还: a cash deposit goes back to available; a guarantee is released to its issuer.
    async fn release(
        connection: &mut DB::Connection,
        lot: LotId,
        deposit: &HeldDeposit,
        now_ms: i64,
    ) -> StoreResult<()> {
        match deposit.kind {
            DepositKind::Cash => {
                let release =
                    LedgerTransaction::deposit_release(deposit.account_id, lot, deposit.amount);
                DB::apply_ledger(connection, &release, now_ms).await?;
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
        Self::resolve_deposit(connection, deposit.id, "released", now_ms).await
    }

    async fn resolve_deposit(
        connection: &mut DB::Connection,
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
        connection: &mut DB::Connection,
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
        let (fee_rate, due_at_ms): (DB::Money, Option<i64>) =
            sqlx::query_as("SELECT fee_rate, settlement_due_at_ms FROM lots WHERE id = $1")
                .bind(lot)
                .fetch_optional(&mut *connection)
                .await?
                .ok_or(StoreError::NotFound)?;
        let fee_rate = DB::stored_decimal(fee_rate)
            .map_err(|error| anyhow::anyhow!("stored fee rate {error}"))?;
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
                DB::apply_ledger(connection, &apply, now_ms).await?;
            }
            Self::resolve_deposit(connection, deposit.id, "applied", now_ms).await?;
        }
        let settled_by_deposit = terms.amount_due().is_zero();
        sqlx::query(
            "INSERT INTO settlements (lot_id, account_id, application_id, price, fee,
                 deposit_applied, amount_due, amount_paid, status, due_at_ms, created_at_ms,
                 resolved_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $12, $8, $9, $10, $11)
             ON CONFLICT (lot_id) DO NOTHING",
        )
        .bind(lot)
        .bind(winner)
        .bind(application_id)
        .bind(DB::money(terms.price()))
        .bind(DB::money(terms.fee()))
        .bind(DB::money(terms.deposit_applied()))
        .bind(DB::money(terms.amount_due()))
        .bind(if settled_by_deposit { "paid" } else { "open" })
        .bind(due_at_ms)
        .bind(now_ms)
        .bind(settled_by_deposit.then_some(now_ms))
        .bind(DB::money(Money::ZERO))
        .execute(&mut *connection)
        .await?;
        Ok(())
    }

    /// Ended lots whose money the end has not yet moved: a closed or cancelled lot that
    /// still holds someone's deposit, or a sold one without its settlement. (A sold lot's
    /// winner who lodged a guarantee keeps it held until it pays or defaults: that one is
    /// where it should be.)
    pub(in crate::storage) async fn unsettled_lots(
        reader: &Pool<DB>,
    ) -> StoreResult<Vec<(LotId, LotState)>> {
        let lots: Vec<(LotId, String)> = sqlx::query_as(
            "SELECT l.id, l.state FROM lots l
             WHERE l.state IN ('closed', 'cancelled')
               AND (EXISTS (SELECT 1 FROM deposits d
                            WHERE d.lot_id = l.id AND d.status = 'held'
                              AND NOT EXISTS (SELECT 1 FROM settlements s
                                              WHERE s.lot_id = l.id
                                                AND s.account_id = d.account_id))
                    OR (l.result = 'sold'
                        AND NOT EXISTS (SELECT 1 FROM settlements s WHERE s.lot_id = l.id)))
             ORDER BY l.id",
        )
        .fetch_all(reader)
        .await?;
        lots.into_iter()
            .map(|(lot, state)| Ok((lot, lot_state(&state)?)))
            .collect()
    }

    pub(in crate::storage) async fn get(
        reader: &Pool<DB>,
        lot: LotId,
    ) -> StoreResult<Option<Settlement>> {
        let mut connection = reader.acquire().await?;
        Self::read(&mut connection, lot).await
    }

    async fn read(connection: &mut DB::Connection, lot: LotId) -> StoreResult<Option<Settlement>> {
        let row: Option<SettlementRow<DB::Money>> = sqlx::query_as(
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
            price: DB::stored_money(price)?,
            fee: DB::stored_money(fee)?,
            deposit_applied: DB::stored_money(deposit_applied)?,
            amount_due: DB::stored_money(amount_due)?,
            amount_paid: DB::stored_money(amount_paid)?,
            status: settlement_status(&status)?,
            due_at_ms,
            created_at_ms,
            resolved_at_ms,
        }))
    }

    /// Locks the lot's settlement until commit (on PostgreSQL), then reads it in a statement
    /// of its own (so that it sees what a transaction that held the lock before committed).
    async fn lock(connection: &mut DB::Connection, lot: LotId) -> StoreResult<Option<Settlement>> {
        let select = "SELECT lot_id FROM settlements WHERE lot_id = $1";
        if DB::lock_row(&mut *connection, select, lot).await? {
            Self::read(connection, lot).await
        } else {
            Ok(None)
        }
    }

    pub(in crate::storage) async fn pay(
        writer: &Pool<DB>,
        lot: LotId,
        account: AccountId,
        now_ms: i64,
    ) -> StoreResult<Settlement> {
        let mut transaction = writer.begin().await?;
        let settlement = Self::lock(&mut transaction, lot)
            .await?
            .filter(|settlement| settlement.account_id == account)
            .ok_or(StoreError::NotFound)?;
        check_payable(&settlement)?;
        let terms = SettlementTerms::from_stored(
            settlement.price,
            settlement.fee,
            settlement.deposit_applied,
        );
        debug_assert_eq!(terms.amount_due(), settlement.balance());
        if let Some(payment) = LedgerTransaction::settlement_payment(account, lot, &terms) {
            DB::apply_ledger(&mut transaction, &payment, now_ms).await?;
        }
        sqlx::query(
            "UPDATE settlements SET amount_paid = amount_due, status = 'paid', resolved_at_ms = $2
             WHERE lot_id = $1",
        )
        .bind(lot)
        .bind(now_ms)
        .execute(&mut *transaction)
        .await?;
        Self::release_winner_guarantee(&mut transaction, settlement.application_id, now_ms).await?;
        let paid = Self::read(&mut transaction, lot)
            .await?
            .ok_or(StoreError::NotFound)?;
        transaction.commit().await?;
        Ok(paid)
    }

    /// A guarantee that backed a paid settlement is no longer needed.
    async fn release_winner_guarantee(
        connection: &mut DB::Connection,
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

    pub(in crate::storage) async fn default(
        writer: &Pool<DB>,
        lot: LotId,
        now_ms: i64,
    ) -> StoreResult<Settlement> {
        let mut transaction = writer.begin().await?;
        let settlement = Self::lock(&mut transaction, lot)
            .await?
            .ok_or(StoreError::NotFound)?;
        check_defaultable(&settlement, now_ms)?;
        let terms = SettlementTerms::from_stored(
            settlement.price,
            settlement.fee,
            settlement.deposit_applied,
        );
        if let Some(forfeit) =
            LedgerTransaction::deposit_forfeit(settlement.account_id, lot, &terms)
        {
            DB::apply_ledger(&mut transaction, &forfeit, now_ms).await?;
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
        let defaulted = Self::read(&mut transaction, lot)
            .await?
            .ok_or(StoreError::NotFound)?;
        transaction.commit().await?;
        Ok(defaulted)
    }
}
