//! Accounts, sessions and identity verification.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::auction::AccountId;

use super::StoreResult;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Bidder,
    Auctioneer,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Bidder => "bidder",
            Role::Auctioneer => "auctioneer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "bidder" => Some(Role::Bidder),
            "auctioneer" => Some(Role::Auctioneer),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A signed-up account, without its secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Whether real-name verification (实名认证) has been done.
    pub verified: bool,
    pub created_at_ms: i64,
}

#[async_trait]
pub trait AccountStore {
    /// The account behind a session token's hash, if the session exists and has not expired
    /// at `now_ms`.
    async fn session_account(&self, token_hash: &str, now_ms: i64) -> StoreResult<Option<Account>>;
}
