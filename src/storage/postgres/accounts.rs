use async_trait::async_trait;

use crate::domain::AccountId;
use crate::storage::StoreResult;
use crate::storage::accounts::ops::Accounts;
use crate::storage::accounts::{
    Account, AccountDetails, AccountStore, NewAccount, NewIdentity, SessionAccount,
    SuspendedAccount, SuspensionChange, SuspensionRecord,
};

use super::PgStore;

#[async_trait]
impl AccountStore for PgStore {
    async fn session_account(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<SessionAccount>> {
        Accounts::session_account(&self.pool, token_hash, now_ms).await
    }

    async fn create_account(&self, account: &NewAccount, now_ms: i64) -> StoreResult<Account> {
        Accounts::create_account(&self.pool, account, now_ms).await
    }

    async fn account_credentials(&self, username: &str) -> StoreResult<Option<(Account, String)>> {
        Accounts::account_credentials(&self.pool, username).await
    }

    async fn account_details(&self, id: AccountId) -> StoreResult<Option<AccountDetails>> {
        Accounts::account_details(&self.pool, id).await
    }

    async fn create_session(
        &self,
        token_hash: &str,
        account: AccountId,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<()> {
        Accounts::create_session(&self.pool, token_hash, account, now_ms, expires_at_ms).await
    }

    async fn verify_account(
        &self,
        id: AccountId,
        identity: &NewIdentity,
        now_ms: i64,
    ) -> StoreResult<AccountDetails> {
        Accounts::verify_account(&self.pool, id, identity, now_ms).await
    }

    async fn delete_session(&self, token_hash: &str, now_ms: i64) -> StoreResult<bool> {
        Accounts::delete_session(&self.pool, token_hash, now_ms).await
    }

    async fn delete_expired_sessions(&self, now_ms: i64) -> StoreResult<u64> {
        Accounts::delete_expired_sessions(&self.pool, now_ms).await
    }

    async fn change_password(
        &self,
        id: AccountId,
        password_hash: &str,
        kept_token_hash: &str,
    ) -> StoreResult<Vec<String>> {
        Accounts::change_password(&self.pool, id, password_hash, kept_token_hash).await
    }

    async fn password_hash(&self, id: AccountId) -> StoreResult<Option<String>> {
        Accounts::password_hash(&self.pool, id).await
    }

    async fn change_suspension(
        &self,
        id: AccountId,
        change: &SuspensionChange,
        reason: &str,
        by: AccountId,
        now_ms: i64,
    ) -> StoreResult<SuspensionRecord> {
        Accounts::change_suspension(&self.pool, id, change, reason, by, now_ms).await
    }

    async fn suspension_history(&self, id: AccountId) -> StoreResult<Vec<SuspensionRecord>> {
        Accounts::suspension_history(&self.pool, id).await
    }

    async fn suspended_accounts(&self, now_ms: i64) -> StoreResult<Vec<SuspendedAccount>> {
        Accounts::suspended_accounts(&self.pool, now_ms).await
    }
}
