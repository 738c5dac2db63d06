//! Applying a ledger transaction, and reconciling the ledger.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};

use crate::ledger::{AccountTotals, LedgerAccount, LedgerTransaction, Reconciliation, book};
use crate::money::Money;
use crate::storage::StoreResult;
use crate::storage::money::insufficient_funds;
use crate::storage::money::ops::audit::Audit;

/// Applies `transaction` inside the caller's database transaction: the transaction row,
/// one entry per leg with the balance after it, and the kept balances (created at zero
/// when first used).
///
/// Each leg is one statement that adds to the kept balance and records the entry with
/// the balance it returns; the upsert locks the balance's row until commit, so a
/// concurrent transaction on the same account waits and then adds to the new balance.
/// The legs are applied in account order (see [`LedgerTransaction`]), so two
/// transactions never wait on each other. A wallet that ends below zero refuses the
/// whole transaction with `Conflict::InsufficientFunds`, and the caller's transaction
/// rolls back.
pub(in crate::storage) async fn apply(
    connection: &mut PgConnection,
    transaction: &LedgerTransaction,
    now_ms: i64,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO ledger_transactions (kind, account_id, lot_id, reference, created_at_ms)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(transaction.kind().as_str())
    .bind(transaction.account_id())
    .bind(transaction.lot_id())
    .bind(transaction.reference())
    .bind(now_ms)
    .fetch_one(&mut *connection)
    .await?;
    for entry in transaction.entries() {
        let balance_after: Decimal = sqlx::query_scalar(
            "WITH posted AS (
                 INSERT INTO ledger_accounts (name, account_id, balance) VALUES ($2, $3, $4)
                 ON CONFLICT (name) DO UPDATE SET balance = ledger_accounts.balance + $4
                 RETURNING balance
             )
             INSERT INTO ledger_entries (transaction_id, ledger_account, amount, balance_after)
             SELECT $1, $2, $4, balance FROM posted
             RETURNING balance_after",
        )
        .bind(id)
        .bind(entry.account.name())
        .bind(entry.account.owner())
        .bind(entry.amount.decimal())
        .fetch_one(&mut *connection)
        .await?;
        book::check_balance(entry.account, Money::from_decimal(balance_after))
            .map_err(insufficient_funds)?;
    }
    Ok(id)
}

/// Locks the kept balances of `accounts` in their order, creating them at zero when first
/// used (see [`crate::storage::dialect::Dialect::lock_ledger_accounts`]): the upsert's
/// no-op update takes the row's lock as a leg's update would.
pub(in crate::storage) async fn lock_accounts(
    connection: &mut PgConnection,
    accounts: &BTreeSet<LedgerAccount>,
) -> StoreResult<()> {
    for account in accounts {
        sqlx::query(
            "INSERT INTO ledger_accounts (name, account_id, balance) VALUES ($1, $2, 0)
             ON CONFLICT (name) DO UPDATE SET balance = ledger_accounts.balance",
        )
        .bind(account.name())
        .bind(account.owner())
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

pub(super) async fn reconcile(pool: &PgPool) -> StoreResult<Reconciliation> {
    let mut connection = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *connection)
        .await?;
    let accounts: Vec<(String, Decimal, Decimal)> = sqlx::query_as(
        "SELECT a.name, a.balance, COALESCE(SUM(e.amount), 0)
         FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.ledger_account = a.name
         GROUP BY a.name, a.balance ORDER BY a.name",
    )
    .fetch_all(&mut *connection)
    .await?;
    let unbalanced: Vec<i64> = sqlx::query_scalar(
        "SELECT transaction_id FROM ledger_entries GROUP BY transaction_id
         HAVING SUM(amount) <> 0 ORDER BY transaction_id",
    )
    .fetch_all(&mut *connection)
    .await?;
    let accounts = accounts
        .into_iter()
        .map(|(name, balance, entries_sum)| AccountTotals {
            name,
            balance: Money::from_decimal(balance),
            entries_sum: Money::from_decimal(entries_sum),
        })
        .collect();
    let holds = Audit::<sqlx::Postgres>::holds(&mut connection).await?;
    Ok(Reconciliation::new(accounts, unbalanced, &holds))
}
