//! Bank transfer notifications (充值).

use std::marker::PhantomData;

use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};

use crate::ledger::LedgerTransaction;
use crate::storage::StoreResult;
use crate::storage::dialect::{Column, Dialect};
use crate::storage::money::{
    BankNotification, BankReceipt, NotificationRefusal, NotificationStatus, RecordedNotification,
    RenderReceipt, transfer_conflict,
};

/// Bank notifications on database `DB`.
pub(in crate::storage) struct Bank<DB>(PhantomData<DB>);

impl<DB> Bank<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    String: Column<DB>,
    Option<i64>: Column<DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// The notification's row is inserted first: a second one with the same `transfer_id`
    /// finds it and answers as it did, in whatever order they arrive. On SQLite the
    /// writes are serialized by its one writer connection; on PostgreSQL a concurrent
    /// second one waits on the first's uncommitted row (`ON CONFLICT` waits for it), then
    /// finds it committed and answers as it did; so a notification credits exactly once.
    pub(in crate::storage) async fn record(
        writer: &Pool<DB>,
        notification: &BankNotification,
        render: RenderReceipt<'_>,
        now_ms: i64,
    ) -> StoreResult<Result<RecordedNotification, NotificationRefusal>> {
        let mut transaction = writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO bank_notifications (transfer_id, account_number, amount, currency,
                 received_at_ms, content_sha256, status, response, created_at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, 'unmatched', '', $7)
             ON CONFLICT (transfer_id) DO NOTHING",
        )
        .bind(&notification.transfer_id)
        .bind(&notification.account_number)
        .bind(DB::money(notification.amount))
        .bind(&notification.currency)
        .bind(notification.received_at_ms)
        .bind(notification.content_sha256())
        .bind(now_ms)
        .execute(&mut *transaction)
        .await?;
        if DB::rows_affected(&inserted) != 1 {
            return Self::replay(&mut transaction, notification).await.map(Ok);
        }

        let wallet: Option<(i64, String)> =
            sqlx::query_as("SELECT account_id, currency FROM wallets WHERE account_number = $1")
                .bind(&notification.account_number)
                .fetch_optional(&mut *transaction)
                .await?;
        let (status, account_id, transaction_id) = match wallet {
            None => (NotificationStatus::Unmatched, None, None),
            Some((_, wallet_currency)) if wallet_currency != notification.currency => {
                return Ok(Err(NotificationRefusal::CurrencyMismatch {
                    account_number: notification.account_number.clone(),
                    wallet_currency,
                    currency: notification.currency.clone(),
                }));
            }
            Some((account_id, _)) => {
                let top_up = LedgerTransaction::top_up(
                    account_id,
                    notification.amount,
                    &notification.transfer_id,
                );
                let id = DB::apply_ledger(&mut transaction, &top_up, now_ms).await?;
                (NotificationStatus::Credited, Some(account_id), Some(id))
            }
        };
        let body = render(&BankReceipt {
            notification: notification.clone(),
            status,
            account_id,
            transaction_id,
        });
        sqlx::query(
            "UPDATE bank_notifications SET status = $2, transaction_id = $3, response = $4
             WHERE transfer_id = $1",
        )
        .bind(&notification.transfer_id)
        .bind(status.as_str())
        .bind(transaction_id)
        .bind(&body)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(Ok(RecordedNotification {
            status,
            body,
            replayed: false,
        }))
    }

    async fn replay(
        connection: &mut DB::Connection,
        notification: &BankNotification,
    ) -> StoreResult<RecordedNotification> {
        let (content_sha256, status, body): (String, String, String) = sqlx::query_as(
            "SELECT content_sha256, status, response FROM bank_notifications WHERE transfer_id = $1",
        )
        .bind(&notification.transfer_id)
        .fetch_one(&mut *connection)
        .await?;
        if content_sha256 != notification.content_sha256() {
            return Err(transfer_conflict(&notification.transfer_id));
        }
        let status = NotificationStatus::parse(&status)
            .ok_or_else(|| anyhow::anyhow!("stored notification status {status:?}"))?;
        Ok(RecordedNotification {
            status,
            body,
            replayed: true,
        })
    }
}
