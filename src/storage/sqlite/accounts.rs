use async_trait::async_trait;
use sqlx::SqliteConnection;

use crate::auction::AccountId;
use crate::storage::accounts::{
    ACCOUNT_NUMBER_ATTEMPTS, Account, AccountDetails, AccountRow, AccountStore, CredentialsRow,
    INSERT_ACCOUNT, INSERT_SESSION, INSERT_WALLET, NewAccount, NewIdentity, SELECT_ACCOUNT,
    SELECT_CREDENTIALS, SELECT_SESSION_ACCOUNT, UPDATE_IDENTITY, WALLET_CURRENCY,
    random_account_number, username_taken,
};
use crate::storage::{StoreError, StoreResult};

use super::SqliteStore;

#[async_trait]
impl AccountStore for SqliteStore {
    async fn session_account(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<Account>> {
        let row: Option<AccountRow> = sqlx::query_as(SELECT_SESSION_ACCOUNT)
            .bind(token_hash)
            .bind(now_ms)
            .fetch_optional(&self.reader)
            .await?;
        row.map(AccountRow::into_account).transpose()
    }

    async fn create_account(&self, account: &NewAccount, now_ms: i64) -> StoreResult<Account> {
        let mut transaction = self.writer.begin().await?;
        let row: AccountRow = sqlx::query_as(INSERT_ACCOUNT)
            .bind(&account.username)
            .bind(&account.password_hash)
            .bind(&account.display_name)
            .bind(account.role.as_str())
            .bind(now_ms)
            .fetch_one(&mut *transaction)
            .await
            .map_err(username_taken)?;
        let account = row.into_account()?;
        insert_wallet(&mut transaction, account.id).await?;
        transaction.commit().await?;
        Ok(account)
    }

    async fn account_credentials(&self, username: &str) -> StoreResult<Option<(Account, String)>> {
        let row: Option<CredentialsRow> = sqlx::query_as(SELECT_CREDENTIALS)
            .bind(username)
            .fetch_optional(&self.reader)
            .await?;
        row.map(CredentialsRow::into_credentials).transpose()
    }

    async fn account_details(&self, id: AccountId) -> StoreResult<Option<AccountDetails>> {
        let row: Option<AccountRow> = sqlx::query_as(SELECT_ACCOUNT)
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.map(AccountRow::into_details).transpose()
    }

    async fn create_session(
        &self,
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
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn verify_account(
        &self,
        id: AccountId,
        identity: &NewIdentity,
        now_ms: i64,
    ) -> StoreResult<AccountDetails> {
        let row: Option<AccountRow> = sqlx::query_as(UPDATE_IDENTITY)
            .bind(id)
            .bind(now_ms)
            .bind(&identity.identity.real_name)
            .bind(&identity.identity.id_type)
            .bind(&identity.identity.id_number_masked)
            .bind(&identity.id_number_hash)
            .fetch_optional(&self.writer)
            .await?;
        row.ok_or(StoreError::NotFound)?.into_details()
    }
}

/// Gives the new account its wallet, drawing account numbers until one is free.
async fn insert_wallet(connection: &mut SqliteConnection, account: AccountId) -> StoreResult<()> {
    for _ in 0..ACCOUNT_NUMBER_ATTEMPTS {
        let inserted = sqlx::query(INSERT_WALLET)
            .bind(account)
            .bind(random_account_number())
            .bind(WALLET_CURRENCY)
            .execute(&mut *connection)
            .await?;
        if inserted.rows_affected() == 1 {
            return Ok(());
        }
    }
    Err(
        anyhow::anyhow!("no free virtual account number after {ACCOUNT_NUMBER_ATTEMPTS} draws")
            .into(),
    )
}
