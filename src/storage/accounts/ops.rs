//! The account operations, written once for both databases. Each takes the pool the
//! database's store uses for it: for SQLite, `reader` to read and the one-connection
//! `writer` to write; for PostgreSQL, its one pool.

use std::marker::PhantomData;

use sqlx::{Executor, FromRow, IntoArguments, Pool};

use crate::domain::AccountId;
use crate::storage::dialect::Dialect;
use crate::storage::{StoreError, StoreResult};

use super::{
    ACCOUNT_NUMBER_ATTEMPTS, Account, AccountDetails, AccountRow, CredentialsRow,
    DELETE_EXPIRED_SESSIONS, DELETE_OTHER_SESSIONS, DELETE_SESSION, INSERT_ACCOUNT, INSERT_SESSION,
    INSERT_SUSPENSION, INSERT_WALLET, NewAccount, NewIdentity, SELECT_ACCOUNT, SELECT_CREDENTIALS,
    SELECT_PASSWORD_HASH, SELECT_SESSION_ACCOUNT, SELECT_SUSPENDED_ACCOUNTS,
    SELECT_SUSPENDED_UNTIL, SELECT_SUSPENSIONS, SessionAccount, SessionRow, SuspendedAccount,
    SuspendedRow, SuspensionChange, SuspensionRecord, SuspensionRow, UPDATE_IDENTITY,
    UPDATE_PASSWORD, UPDATE_SUSPENDED_UNTIL, WALLET_CURRENCY, random_account_number,
    username_taken,
};
use crate::storage::Conflict;

/// The account operations on database `DB`.
pub(in crate::storage) struct Accounts<DB>(PhantomData<DB>);

impl<DB> Accounts<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> AccountRow: FromRow<'r, DB::Row>,
    for<'r> CredentialsRow: FromRow<'r, DB::Row>,
{
    pub(in crate::storage) async fn session_account(
        reader: &Pool<DB>,
        token_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<SessionAccount>>
    where
        for<'r> SessionRow: FromRow<'r, DB::Row>,
    {
        let row: Option<SessionRow> = sqlx::query_as(SELECT_SESSION_ACCOUNT)
            .bind(token_hash)
            .bind(now_ms)
            .fetch_optional(reader)
            .await?;
        row.map(SessionRow::into_session).transpose()
    }

    pub(in crate::storage) async fn delete_session(
        writer: &Pool<DB>,
        token_hash: &str,
        now_ms: i64,
    ) -> StoreResult<bool> {
        let deleted = sqlx::query(DELETE_SESSION)
            .bind(token_hash)
            .bind(now_ms)
            .execute(writer)
            .await?;
        Ok(DB::rows_affected(&deleted) == 1)
    }

    pub(in crate::storage) async fn delete_expired_sessions(
        writer: &Pool<DB>,
        now_ms: i64,
    ) -> StoreResult<u64> {
        let deleted = sqlx::query(DELETE_EXPIRED_SESSIONS)
            .bind(now_ms)
            .execute(writer)
            .await?;
        Ok(DB::rows_affected(&deleted))
    }

    pub(in crate::storage) async fn create_account(
        writer: &Pool<DB>,
        account: &NewAccount,
        now_ms: i64,
    ) -> StoreResult<Account> {
        let mut transaction = writer.begin().await?;
        let account = Self::insert_account(&mut transaction, account, now_ms).await?;
        transaction.commit().await?;
        Ok(account)
    }

    /// Creates the account and its wallet inside the caller's database transaction.
    pub(in crate::storage) async fn insert_account(
        connection: &mut DB::Connection,
        account: &NewAccount,
        now_ms: i64,
    ) -> StoreResult<Account> {
        let row: AccountRow = sqlx::query_as(INSERT_ACCOUNT)
            .bind(account.username.as_str())
            .bind(account.password_hash.as_str())
            .bind(account.display_name.as_str())
            .bind(account.role.as_str())
            .bind(account.kind.as_str())
            .bind(now_ms)
            .bind(account.must_change_password)
            .fetch_one(&mut *connection)
            .await
            .map_err(username_taken)?;
        let account = row.into_account()?;
        Self::insert_wallet(connection, account.id).await?;
        Ok(account)
    }

    pub(in crate::storage) async fn account_credentials(
        reader: &Pool<DB>,
        username: &str,
    ) -> StoreResult<Option<(Account, String)>> {
        let row: Option<CredentialsRow> = sqlx::query_as(SELECT_CREDENTIALS)
            .bind(username)
            .fetch_optional(reader)
            .await?;
        row.map(CredentialsRow::into_credentials).transpose()
    }

    pub(in crate::storage) async fn account_details(
        reader: &Pool<DB>,
        id: AccountId,
    ) -> StoreResult<Option<AccountDetails>> {
        let row: Option<AccountRow> = sqlx::query_as(SELECT_ACCOUNT)
            .bind(id)
            .fetch_optional(reader)
            .await?;
        row.map(AccountRow::into_details).transpose()
    }

    pub(in crate::storage) async fn create_session(
        writer: &Pool<DB>,
        token_hash: &str,
        account: AccountId,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        let mut connection = writer.acquire().await?;
        Self::insert_session(&mut connection, token_hash, account, now_ms, expires_at_ms).await
    }

    /// Records a session inside the caller's database transaction (or on its connection).
    pub(in crate::storage) async fn insert_session(
        connection: &mut DB::Connection,
        token_hash: &str,
        account: AccountId,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        sqlx::query(INSERT_SESSION)
            .bind(token_hash)
            .bind(account)
            .bind(now_ms)
            .bind(expires_at_ms)
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    pub(in crate::storage) async fn verify_account(
        writer: &Pool<DB>,
        id: AccountId,
        identity: &NewIdentity,
        now_ms: i64,
    ) -> StoreResult<AccountDetails> {
        let mut connection = writer.acquire().await?;
        Self::record_identity(&mut connection, id, identity, now_ms).await
    }

    /// Marks the account verified with this identity inside the caller's database
    /// transaction (or on its connection).
    pub(in crate::storage) async fn record_identity(
        connection: &mut DB::Connection,
        id: AccountId,
        identity: &NewIdentity,
        now_ms: i64,
    ) -> StoreResult<AccountDetails> {
        let row: Option<AccountRow> = sqlx::query_as(UPDATE_IDENTITY)
            .bind(id)
            .bind(now_ms)
            .bind(identity.identity.real_name.as_str())
            .bind(identity.identity.id_type.as_str())
            .bind(identity.identity.id_number_masked.as_str())
            .bind(identity.id_number_hash.as_str())
            .fetch_optional(&mut *connection)
            .await?;
        row.ok_or(StoreError::NotFound)?.into_details()
    }

    /// Gives the new account its wallet, drawing account numbers until one is free.
    async fn insert_wallet(connection: &mut DB::Connection, account: AccountId) -> StoreResult<()> {
        for _ in 0..ACCOUNT_NUMBER_ATTEMPTS {
            let inserted = sqlx::query(INSERT_WALLET)
                .bind(account)
                .bind(random_account_number())
                .bind(WALLET_CURRENCY)
                .execute(&mut *connection)
                .await?;
            if DB::rows_affected(&inserted) == 1 {
                return Ok(());
            }
        }
        Err(
            anyhow::anyhow!("no free virtual account number after {ACCOUNT_NUMBER_ATTEMPTS} draws")
                .into(),
        )
    }
}

/// Passwords and suspensions.
impl<DB> Accounts<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'r> SuspensionRow: FromRow<'r, DB::Row>,
    for<'r> SuspendedRow: FromRow<'r, DB::Row>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> (Option<i64>,): FromRow<'r, DB::Row>,
{
    pub(in crate::storage) async fn password_hash(
        reader: &Pool<DB>,
        id: AccountId,
    ) -> StoreResult<Option<String>> {
        let row: Option<(String,)> = sqlx::query_as(SELECT_PASSWORD_HASH)
            .bind(id)
            .fetch_optional(reader)
            .await?;
        Ok(row.map(|(hash,)| hash))
    }

    pub(in crate::storage) async fn change_password(
        writer: &Pool<DB>,
        id: AccountId,
        password_hash: &str,
        kept_token_hash: &str,
    ) -> StoreResult<Vec<String>> {
        let mut transaction = writer.begin().await?;
        let updated = sqlx::query(UPDATE_PASSWORD)
            .bind(id)
            .bind(password_hash)
            .bind(false)
            .execute(&mut *transaction)
            .await?;
        if DB::rows_affected(&updated) != 1 {
            return Err(StoreError::NotFound);
        }
        let signed_out: Vec<(String,)> = sqlx::query_as(DELETE_OTHER_SESSIONS)
            .bind(id)
            .bind(kept_token_hash)
            .fetch_all(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(signed_out.into_iter().map(|(hash,)| hash).collect())
    }

    pub(in crate::storage) async fn change_suspension(
        writer: &Pool<DB>,
        id: AccountId,
        change: &SuspensionChange,
        reason: &str,
        by: AccountId,
        now_ms: i64,
    ) -> StoreResult<SuspensionRecord> {
        let mut transaction = writer.begin().await?;
        let current: Option<(Option<i64>,)> = sqlx::query_as(SELECT_SUSPENDED_UNTIL)
            .bind(id)
            .fetch_optional(&mut *transaction)
            .await?;
        let Some((suspended_until_ms,)) = current else {
            return Err(StoreError::NotFound);
        };
        let (action, days, until_ms) = match change {
            SuspensionChange::Suspend { days, until_ms } => {
                ("suspend", Some(i64::from(*days)), Some(*until_ms))
            }
            SuspensionChange::Lift => {
                if suspended_until_ms.is_none_or(|until_ms| now_ms >= until_ms) {
                    return Err(Conflict::NotSuspended.into());
                }
                ("lift", None, None)
            }
        };
        sqlx::query(UPDATE_SUSPENDED_UNTIL)
            .bind(id)
            .bind(until_ms)
            .execute(&mut *transaction)
            .await?;
        let row: SuspensionRow = sqlx::query_as(INSERT_SUSPENSION)
            .bind(id)
            .bind(action)
            .bind(days)
            .bind(until_ms)
            .bind(reason)
            .bind(by)
            .bind(now_ms)
            .fetch_one(&mut *transaction)
            .await?;
        transaction.commit().await?;
        row.into_record()
    }

    pub(in crate::storage) async fn suspension_history(
        reader: &Pool<DB>,
        id: AccountId,
    ) -> StoreResult<Vec<SuspensionRecord>> {
        let rows: Vec<SuspensionRow> = sqlx::query_as(SELECT_SUSPENSIONS)
            .bind(id)
            .fetch_all(reader)
            .await?;
        rows.into_iter().map(SuspensionRow::into_record).collect()
    }

    pub(in crate::storage) async fn suspended_accounts(
        reader: &Pool<DB>,
        now_ms: i64,
    ) -> StoreResult<Vec<SuspendedAccount>> {
        let rows: Vec<SuspendedRow> = sqlx::query_as(SELECT_SUSPENDED_ACCOUNTS)
            .bind(now_ms)
            .fetch_all(reader)
            .await?;
        rows.into_iter().map(SuspendedRow::into_suspended).collect()
    }
}
