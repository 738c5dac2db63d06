//! Wallet balances and entries.

use sqlx::SqlitePool;

use crate::auction::AccountId;
use crate::ledger::LedgerAccount;
use crate::money::Money;
use crate::storage::money::{WalletEntry, WalletPage, WalletSummary, wallet_bucket, wallet_page};
use crate::storage::{StoreError, StoreResult};

use super::super::money_from_text;

pub(super) async fn summary(pool: &SqlitePool, account: AccountId) -> StoreResult<WalletSummary> {
    let row: Option<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT w.account_number, w.currency,
                (SELECT balance FROM ledger_accounts WHERE name = $2),
                (SELECT balance FROM ledger_accounts WHERE name = $3)
         FROM wallets w WHERE w.account_id = $1",
    )
    .bind(account)
    .bind(LedgerAccount::WalletAvailable(account).name())
    .bind(LedgerAccount::WalletFrozen(account).name())
    .fetch_optional(pool)
    .await?;
    let (account_number, currency, available, frozen) = row.ok_or(StoreError::NotFound)?;
    Ok(WalletSummary {
        account_number,
        currency,
        available: balance(available)?,
        frozen: balance(frozen)?,
    })
}

fn balance(text: Option<String>) -> StoreResult<Money> {
    text.map_or(Ok(Money::ZERO), |text| money_from_text(&text))
}

type EntryRow = (i64, i64, String, Option<i64>, String, String, String, i64);

pub(super) async fn entries(
    pool: &SqlitePool,
    account: AccountId,
    before: Option<i64>,
    limit: u32,
) -> StoreResult<WalletPage> {
    let rows: Vec<EntryRow> = sqlx::query_as(
        "SELECT e.id, e.transaction_id, t.kind, t.lot_id, e.ledger_account, e.amount,
                e.balance_after, t.created_at_ms
         FROM ledger_entries e JOIN ledger_transactions t ON t.id = e.transaction_id
         WHERE e.ledger_account IN ($1, $2) AND e.id < $3
         ORDER BY e.id DESC LIMIT $4",
    )
    .bind(LedgerAccount::WalletAvailable(account).name())
    .bind(LedgerAccount::WalletFrozen(account).name())
    .bind(before.unwrap_or(i64::MAX))
    .bind(i64::from(limit) + 1)
    .fetch_all(pool)
    .await?;
    let entries = rows
        .into_iter()
        .map(
            |(id, transaction_id, kind, lot_id, ledger_account, amount, balance_after, at_ms)| {
                Ok(WalletEntry {
                    id,
                    transaction_id,
                    kind,
                    lot_id,
                    bucket: wallet_bucket(&ledger_account)?,
                    amount: money_from_text(&amount)?,
                    balance_after: money_from_text(&balance_after)?,
                    at_ms,
                })
            },
        )
        .collect::<StoreResult<Vec<WalletEntry>>>()?;
    Ok(wallet_page(entries, limit))
}
