//! Bank transfer notifications (充值).

use std::marker::PhantomData;

use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};

use crate::domain::is_same_payer;
use crate::ledger::LedgerTransaction;
use crate::storage::dialect::{Column, Dialect};
use crate::storage::money::{
    BankNotification, BankReceipt, NotificationAction, NotificationRefusal, NotificationStatus,
    RecordedNotification, RenderReceipt, Resolution, ResolutionRefusal, StoredNotification,
    UnmatchedReason,
};
use crate::storage::{Conflict, StoreError, StoreResult};

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
    Option<String>: Column<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// The notification's row is inserted first: a second one with the same `transfer_id`
    /// finds it and answers as it did, in whatever order they arrive. On SQLite the
    /// writes are serialized by its one writer connection; on PostgreSQL a concurrent
    /// second one waits on the first's uncommitted row (`ON CONFLICT` waits for it), then
    /// finds it committed and answers as it did; so a notification credits exactly once,
    /// or is held exactly once.
    ///
    /// A notification that names its payer credits the wallet only when the payer is the
    /// wallet holder's verified name ([`is_same_payer`]); otherwise it is held
    /// `unmatched` (`payer_name_mismatch`) for an admin, as one to no wallet is.
    pub(in crate::storage) async fn record(
        writer: &Pool<DB>,
        notification: &BankNotification,
        render: RenderReceipt<'_>,
        now_ms: i64,
    ) -> StoreResult<Result<RecordedNotification, NotificationRefusal>> {
        let mut transaction = writer.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO bank_notifications (transfer_id, account_number, amount, currency,
                 received_at_ms, content_sha256, status, response, created_at_ms, payer_name)
             VALUES ($1, $2, $3, $4, $5, $6, 'unmatched', '', $7, $8)
             ON CONFLICT (transfer_id) DO NOTHING",
        )
        .bind(&notification.transfer_id)
        .bind(&notification.account_number)
        .bind(DB::money(notification.amount))
        .bind(&notification.currency)
        .bind(notification.received_at_ms)
        .bind(notification.content_sha256())
        .bind(now_ms)
        .bind(notification.payer_name.as_deref())
        .execute(&mut *transaction)
        .await?;
        if DB::rows_affected(&inserted) != 1 {
            return Self::replay(&mut transaction, notification).await.map(Ok);
        }

        let wallet: Option<(i64, String, Option<String>, Option<i64>)> = sqlx::query_as(
            "SELECT w.account_id, w.currency, a.real_name, a.verified_at_ms
             FROM wallets w JOIN accounts a ON a.id = w.account_id
             WHERE w.account_number = $1",
        )
        .bind(&notification.account_number)
        .fetch_optional(&mut *transaction)
        .await?;
        let unmatched = |reason| (NotificationStatus::Unmatched, Some(reason), None, None);
        let (status, unmatched_reason, account_id, transaction_id) = match wallet {
            None => unmatched(UnmatchedReason::UnknownAccount),
            Some((_, wallet_currency, _, _)) if wallet_currency != notification.currency => {
                return Ok(Err(NotificationRefusal::CurrencyMismatch {
                    account_number: notification.account_number.clone(),
                    wallet_currency,
                    currency: notification.currency.clone(),
                }));
            }
            Some((account_id, _, real_name, verified_at_ms)) => {
                let holder_name = real_name.filter(|_| verified_at_ms.is_some());
                let payer_is_holder = match (&notification.payer_name, &holder_name) {
                    (None, _) => true,
                    (Some(payer), Some(holder)) => is_same_payer(payer, holder),
                    (Some(_), None) => false,
                };
                if payer_is_holder {
                    let top_up = LedgerTransaction::top_up(
                        account_id,
                        notification.amount,
                        &notification.transfer_id,
                    );
                    let id = DB::apply_ledger(&mut transaction, &top_up, now_ms).await?;
                    (
                        NotificationStatus::Credited,
                        None,
                        Some(account_id),
                        Some(id),
                    )
                } else {
                    unmatched(UnmatchedReason::PayerNameMismatch)
                }
            }
        };
        let body = render(&BankReceipt {
            notification: notification.clone(),
            status,
            unmatched_reason,
            account_id,
            transaction_id,
        });
        sqlx::query(
            "UPDATE bank_notifications SET status = $2, transaction_id = $3, response = $4,
                 account_id = $5, unmatched_reason = $6
             WHERE transfer_id = $1",
        )
        .bind(&notification.transfer_id)
        .bind(status.as_str())
        .bind(transaction_id)
        .bind(&body)
        .bind(account_id)
        .bind(unmatched_reason.map(UnmatchedReason::as_str))
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
        let (content_sha256, status, body, resolved_at_ms): (String, String, String, Option<i64>) =
            sqlx::query_as(
                "SELECT content_sha256, status, response, resolved_at_ms FROM bank_notifications
                 WHERE transfer_id = $1",
            )
            .bind(&notification.transfer_id)
            .fetch_one(&mut *connection)
            .await?;
        if content_sha256 != notification.content_sha256() {
            return Err(Conflict::TransferChanged {
                transfer_id: notification.transfer_id.clone(),
            }
            .into());
        }
        // A resolved notification was unmatched when it first came, and answers so.
        let status = match resolved_at_ms {
            Some(_) => NotificationStatus::Unmatched,
            None => NotificationStatus::parse(&status)
                .ok_or_else(|| anyhow::anyhow!("stored notification status {status:?}"))?,
        };
        Ok(RecordedNotification {
            status,
            body,
            replayed: true,
        })
    }

    /// Notifications with `status` (all, if `None`), newest first, at most `limit`.
    pub(in crate::storage) async fn list(
        reader: &Pool<DB>,
        status: Option<NotificationStatus>,
        limit: u32,
    ) -> StoreResult<Vec<StoredNotification>> {
        let rows: Vec<NotificationRow<DB::Money>> = sqlx::query_as(&format!(
            "{NOTIFICATION_COLUMNS} WHERE ($1{} IS NULL OR status = $1)
             ORDER BY created_at_ms DESC, transfer_id DESC LIMIT $2",
            DB::TEXT_PARAMETER
        ))
        .bind(status.map(NotificationStatus::as_str))
        .bind(i64::from(limit))
        .fetch_all(reader)
        .await?;
        rows.into_iter().map(Self::from_row).collect()
    }

    /// Resolves an unmatched notification: credits it to the wallet with the given
    /// virtual account number (a `top_up` referencing the transfer), or marks it returned
    /// to the payer. Conflicts: `NotificationNotUnmatched` (already credited, or
    /// resolved before: a notification is resolved once).
    pub(in crate::storage) async fn resolve(
        writer: &Pool<DB>,
        transfer_id: &str,
        action: &NotificationAction,
        resolution: &Resolution,
    ) -> StoreResult<Result<StoredNotification, ResolutionRefusal>> {
        let mut transaction = writer.begin().await?;
        // Locked in a statement of its own, then read: a resolution made meanwhile is seen
        // (see `Dialect::lock_row`).
        sqlx::query(&format!(
            "SELECT transfer_id FROM bank_notifications WHERE transfer_id = $1{}",
            DB::LOCK_ROWS
        ))
        .bind(transfer_id)
        .execute(&mut *transaction)
        .await?;
        let current = Self::find(&mut transaction, transfer_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.status != NotificationStatus::Unmatched {
            return Err(Conflict::NotificationNotUnmatched {
                transfer_id: transfer_id.to_owned(),
                status: current.status,
            }
            .into());
        }
        let (status, account_id, transaction_id) = match action {
            NotificationAction::Return => (NotificationStatus::Returned, None, None),
            NotificationAction::Credit { account_number } => {
                let wallet: Option<(i64, String)> = sqlx::query_as(
                    "SELECT account_id, currency FROM wallets WHERE account_number = $1",
                )
                .bind(account_number.as_str())
                .fetch_optional(&mut *transaction)
                .await?;
                let Some((account_id, wallet_currency)) = wallet else {
                    return Ok(Err(ResolutionRefusal::UnknownAccount(
                        account_number.clone(),
                    )));
                };
                let notification = &current.notification;
                if wallet_currency != notification.currency {
                    return Ok(Err(ResolutionRefusal::CurrencyMismatch {
                        account_number: account_number.clone(),
                        wallet_currency,
                        currency: notification.currency.clone(),
                    }));
                }
                let top_up = LedgerTransaction::top_up(
                    account_id,
                    notification.amount,
                    &notification.transfer_id,
                );
                let id =
                    DB::apply_ledger(&mut transaction, &top_up, resolution.resolved_at_ms).await?;
                (NotificationStatus::Credited, Some(account_id), Some(id))
            }
        };
        sqlx::query(
            "UPDATE bank_notifications SET status = $2, account_id = $3, transaction_id = $4,
                 resolved_by = $5, resolution_note = $6, resolved_at_ms = $7
             WHERE transfer_id = $1",
        )
        .bind(transfer_id)
        .bind(status.as_str())
        .bind(account_id)
        .bind(transaction_id)
        .bind(resolution.resolved_by)
        .bind(resolution.note.as_str())
        .bind(resolution.resolved_at_ms)
        .execute(&mut *transaction)
        .await?;
        let resolved = Self::find(&mut transaction, transfer_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        transaction.commit().await?;
        Ok(Ok(resolved))
    }

    async fn find(
        connection: &mut DB::Connection,
        transfer_id: &str,
    ) -> StoreResult<Option<StoredNotification>> {
        let row: Option<NotificationRow<DB::Money>> =
            sqlx::query_as(&format!("{NOTIFICATION_COLUMNS} WHERE transfer_id = $1"))
                .bind(transfer_id)
                .fetch_optional(&mut *connection)
                .await?;
        row.map(Self::from_row).transpose()
    }

    fn from_row(row: NotificationRow<DB::Money>) -> StoreResult<StoredNotification> {
        let (
            transfer_id,
            account_number,
            amount,
            currency,
            received_at_ms,
            status,
            account_id,
            transaction_id,
            created_at_ms,
            resolved_by,
            note,
            resolved_at_ms,
            payer_name,
            unmatched_reason,
            holder_name,
        ) = row;
        let status = NotificationStatus::parse(&status)
            .ok_or_else(|| anyhow::anyhow!("stored notification status {status:?}"))?;
        let unmatched_reason = unmatched_reason
            .map(|text| {
                UnmatchedReason::parse(&text)
                    .ok_or_else(|| anyhow::anyhow!("stored unmatched reason {text:?}"))
            })
            .transpose()?;
        let resolution = match (resolved_by, resolved_at_ms) {
            (Some(resolved_by), Some(resolved_at_ms)) => Some(Resolution {
                resolved_by,
                note: note.unwrap_or_default(),
                resolved_at_ms,
            }),
            _ => None,
        };
        Ok(StoredNotification {
            notification: BankNotification {
                transfer_id,
                account_number,
                amount: DB::stored_money(amount)?,
                currency,
                received_at_ms,
                payer_name,
            },
            status,
            unmatched_reason,
            holder_name,
            account_id,
            transaction_id,
            created_at_ms,
            resolution,
        })
    }
}

type NotificationRow<M> = (
    String,
    String,
    M,
    String,
    i64,
    String,
    Option<i64>,
    Option<i64>,
    i64,
    Option<i64>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The notification's columns, and the verified name of the holder of the wallet it
/// names (`holder_name`).
const NOTIFICATION_COLUMNS: &str = "SELECT transfer_id, account_number, amount, currency,
        received_at_ms, status, account_id, transaction_id, created_at_ms, resolved_by,
        resolution_note, resolved_at_ms, payer_name, unmatched_reason,
        (SELECT a.real_name FROM wallets w JOIN accounts a ON a.id = w.account_id
         WHERE w.account_number = bank_notifications.account_number
           AND a.verified_at_ms IS NOT NULL) AS holder_name
     FROM bank_notifications";
