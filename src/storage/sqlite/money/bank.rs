//! Bank transfer notifications (充值).

use sqlx::{SqliteConnection, SqlitePool};

use crate::ledger::LedgerTransaction;
use crate::storage::StoreResult;
use crate::storage::money::{
    BankNotification, BankReceipt, NotificationRefusal, NotificationStatus, RecordedNotification,
    RenderReceipt, transfer_conflict,
};

use super::ledger;

/// The notification's row is inserted first: a second one with the same `transfer_id`
/// finds it and answers as it did, in whatever order they arrive.
pub(super) async fn record(
    pool: &SqlitePool,
    notification: &BankNotification,
    render: RenderReceipt<'_>,
    now_ms: i64,
) -> StoreResult<Result<RecordedNotification, NotificationRefusal>> {
    let mut transaction = pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO bank_notifications (transfer_id, account_number, amount, currency,
             received_at_ms, content_sha256, status, response, created_at_ms)
         VALUES ($1, $2, $3, $4, $5, $6, 'unmatched', '', $7)
         ON CONFLICT (transfer_id) DO NOTHING",
    )
    .bind(&notification.transfer_id)
    .bind(&notification.account_number)
    .bind(notification.amount.to_string())
    .bind(&notification.currency)
    .bind(notification.received_at_ms)
    .bind(notification.content_sha256())
    .bind(now_ms)
    .execute(&mut *transaction)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        return replay(&mut transaction, notification).await.map(Ok);
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
            let id = ledger::apply(&mut transaction, &top_up, now_ms).await?;
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
    connection: &mut SqliteConnection,
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
