//! Applying a ledger transaction, and reconciling the ledger.

use std::collections::BTreeMap;

use sqlx::{SqliteConnection, SqlitePool};

use crate::ledger::{AccountTotals, LedgerTransaction, Reconciliation, book};
use crate::money::Money;
use crate::storage::StoreResult;
use crate::storage::money::insufficient_funds;
use crate::storage::money::ops::audit::Audit;

use super::super::money_from_text;

/// Applies `transaction` inside the caller's database transaction: the transaction row,
/// one entry per leg with the balance after it, and the kept balances (created at zero
/// when first used). A wallet that would go below zero refuses the whole transaction with
/// `Conflict::InsufficientFunds`; the caller's database transaction then rolls back.
pub(in crate::storage) async fn apply(
    connection: &mut SqliteConnection,
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
        let name = entry.account.name();
        let balance: Option<String> =
            sqlx::query_scalar("SELECT balance FROM ledger_accounts WHERE name = $1")
                .bind(&name)
                .fetch_optional(&mut *connection)
                .await?;
        let balance = match balance {
            Some(text) => money_from_text(&text)?,
            None => Money::ZERO,
        };
        let balance_after =
            book::post(entry.account, balance, entry.amount).map_err(insufficient_funds)?;
        sqlx::query(
            "INSERT INTO ledger_accounts (name, account_id, balance) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET balance = excluded.balance",
        )
        .bind(&name)
        .bind(entry.account.owner())
        .bind(balance_after.to_string())
        .execute(&mut *connection)
        .await?;
        sqlx::query(
            "INSERT INTO ledger_entries (transaction_id, ledger_account, amount, balance_after)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(&name)
        .bind(entry.amount.to_string())
        .bind(balance_after.to_string())
        .execute(&mut *connection)
        .await?;
    }
    Ok(id)
}

/// Sums in Rust: SQLite would sum TEXT amounts as floats.
pub(super) async fn reconcile(pool: &SqlitePool) -> StoreResult<Reconciliation> {
    let mut connection = pool.begin().await?;
    let balances: Vec<(String, String)> =
        sqlx::query_as("SELECT name, balance FROM ledger_accounts ORDER BY name")
            .fetch_all(&mut *connection)
            .await?;
    let entries: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT transaction_id, ledger_account, amount FROM ledger_entries")
            .fetch_all(&mut *connection)
            .await?;
    let mut account_sums: BTreeMap<String, Money> = BTreeMap::new();
    let mut transaction_sums: BTreeMap<i64, Money> = BTreeMap::new();
    for (transaction_id, account, amount) in entries {
        let amount = money_from_text(&amount)?;
        let account_sum = account_sums.entry(account).or_default();
        *account_sum = *account_sum + amount;
        let transaction_sum = transaction_sums.entry(transaction_id).or_default();
        *transaction_sum = *transaction_sum + amount;
    }
    let accounts = balances
        .into_iter()
        .map(|(name, balance)| {
            Ok(AccountTotals {
                entries_sum: account_sums.get(&name).copied().unwrap_or_default(),
                balance: money_from_text(&balance)?,
                name,
            })
        })
        .collect::<StoreResult<Vec<AccountTotals>>>()?;
    let unbalanced = transaction_sums
        .into_iter()
        .filter(|(_, sum)| !sum.is_zero())
        .map(|(id, _)| id)
        .collect();
    let holds = Audit::<sqlx::Sqlite>::holds(&mut connection).await?;
    Ok(Reconciliation::new(accounts, unbalanced, &holds))
}
