//! Wallet balances and entries.

use std::marker::PhantomData;

use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};

use crate::domain::AccountId;
use crate::ledger::LedgerAccount;
use crate::money::Money;
use crate::storage::dialect::{Column, Dialect};
use crate::storage::money::{WalletEntry, WalletPage, WalletSummary, wallet_bucket, wallet_page};
use crate::storage::{StoreError, StoreResult};

/// Wallets on database `DB`.
pub(in crate::storage) struct Wallets<DB>(PhantomData<DB>);

impl<DB> Wallets<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    i64: Column<DB>,
    String: Column<DB>,
    usize: ColumnIndex<DB::Row>,
{
    pub(in crate::storage) async fn summary(
        reader: &Pool<DB>,
        account: AccountId,
    ) -> StoreResult<WalletSummary> {
        type SummaryRow<M> = (String, String, Option<M>, Option<M>);
        let row: Option<SummaryRow<DB::Money>> = sqlx::query_as(
            "SELECT w.account_number, w.currency,
                    (SELECT balance FROM ledger_accounts WHERE name = $2),
                    (SELECT balance FROM ledger_accounts WHERE name = $3)
             FROM wallets w WHERE w.account_id = $1",
        )
        .bind(account)
        .bind(LedgerAccount::WalletAvailable(account).name())
        .bind(LedgerAccount::WalletFrozen(account).name())
        .fetch_optional(reader)
        .await?;
        let (account_number, currency, available, frozen) = row.ok_or(StoreError::NotFound)?;
        Ok(WalletSummary {
            account_number,
            currency,
            available: available.map_or(Ok(Money::ZERO), DB::stored_money)?,
            frozen: frozen.map_or(Ok(Money::ZERO), DB::stored_money)?,
        })
    }

    pub(in crate::storage) async fn entries(
        reader: &Pool<DB>,
        account: AccountId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<WalletPage> {
        type EntryRow<M> = (i64, i64, String, Option<i64>, String, M, M, i64);
        let rows: Vec<EntryRow<DB::Money>> = sqlx::query_as(
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
        .fetch_all(reader)
        .await?;
        let entries = rows
            .into_iter()
            .map(
                |(
                    id,
                    transaction_id,
                    kind,
                    lot_id,
                    ledger_account,
                    amount,
                    balance_after,
                    at_ms,
                )| {
                    Ok(WalletEntry {
                        id,
                        transaction_id,
                        kind,
                        lot_id,
                        bucket: wallet_bucket(&ledger_account)?,
                        amount: DB::stored_money(amount)?,
                        balance_after: DB::stored_money(balance_after)?,
                        at_ms,
                    })
                },
            )
            .collect::<StoreResult<Vec<WalletEntry>>>()?;
        Ok(wallet_page(entries, limit))
    }
}
