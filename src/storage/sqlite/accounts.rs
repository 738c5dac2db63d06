use async_trait::async_trait;

use crate::storage::StoreResult;
use crate::storage::accounts::{Account, AccountStore};

use super::SqliteStore;

#[async_trait]
impl AccountStore for SqliteStore {
    async fn session_account(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<Account>> {
        Err(anyhow::anyhow!("session_account({token_hash}, {now_ms}) is not built yet").into())
    }
}
