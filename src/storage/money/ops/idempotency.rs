//! `Idempotency-Key` requests: the first answer is stored with the request's own writes.

use std::marker::PhantomData;

use sqlx::{ColumnIndex, Executor, IntoArguments};

use crate::storage::Conflict;
use crate::storage::StoreResult;
use crate::storage::dialect::{Column, Dialect};
use crate::storage::money::{IdempotencyKey, StoredAnswer};

/// Idempotency keys on database `DB`.
pub(in crate::storage) struct Idempotency<DB>(PhantomData<DB>);

impl<DB> Idempotency<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    String: Column<DB>,
    usize: ColumnIndex<DB::Row>,
{
    /// Claims `key` inside the caller's transaction: `None` if this is the first request
    /// with it (the caller goes on and then calls [`Self::store_answer`]), or the stored
    /// answer of the same request made before. The same key with another request is a
    /// conflict.
    pub(in crate::storage) async fn claim(
        connection: &mut DB::Connection,
        key: &IdempotencyKey,
        now_ms: i64,
    ) -> StoreResult<Option<StoredAnswer>> {
        let claimed = sqlx::query(
            "INSERT INTO idempotency_keys (account_id, scope, key, request_sha256, response_status,
                 response_body, created_at_ms)
             VALUES ($1, $2, $3, $4, 0, '', $5)
             ON CONFLICT (account_id, scope, key) DO NOTHING",
        )
        .bind(key.account_id)
        .bind(key.scope)
        .bind(&key.key)
        .bind(&key.request_sha256)
        .bind(now_ms)
        .execute(&mut *connection)
        .await?;
        if DB::rows_affected(&claimed) == 1 {
            return Ok(None);
        }
        let (request_sha256, status, body): (String, i64, String) = sqlx::query_as(
            "SELECT request_sha256, response_status, response_body FROM idempotency_keys
             WHERE account_id = $1 AND scope = $2 AND key = $3",
        )
        .bind(key.account_id)
        .bind(key.scope)
        .bind(&key.key)
        .fetch_one(&mut *connection)
        .await?;
        if request_sha256 != key.request_sha256 {
            return Err(Conflict::IdempotencyKeyReused.into());
        }
        let status = u16::try_from(status)
            .map_err(|_| anyhow::anyhow!("stored response status {status}"))?;
        Ok(Some(StoredAnswer { status, body }))
    }

    pub(in crate::storage) async fn store_answer(
        connection: &mut DB::Connection,
        key: &IdempotencyKey,
        answer: &StoredAnswer,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE idempotency_keys SET response_status = $4, response_body = $5
             WHERE account_id = $1 AND scope = $2 AND key = $3",
        )
        .bind(key.account_id)
        .bind(key.scope)
        .bind(&key.key)
        .bind(i64::from(answer.status))
        .bind(&answer.body)
        .execute(&mut *connection)
        .await?;
        Ok(())
    }
}
