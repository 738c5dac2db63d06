//! Accounts, sessions and identity verification.

use async_trait::async_trait;
use rand::Rng;

use crate::domain::{AccountId, AccountKind, Role};

use super::{Conflict, Store, StoreError, StoreResult};

pub(super) mod ops;

/// A signed-up account, without its secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// A person or a company.
    pub kind: AccountKind,
    /// Whether real-name verification (实名认证) has been done.
    pub verified: bool,
    pub created_at_ms: i64,
}

/// A valid session: its account, and when it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionAccount {
    pub account: Account,
    pub expires_at_ms: i64,
}

/// An account about to be created; the password is already hashed.
#[derive(Clone, Debug)]
pub struct NewAccount {
    pub username: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub kind: AccountKind,
}

/// What real-name verification recorded. The id number itself is never stored: only its
/// mask (for people) and its keyed hash (to find the same person twice).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// A person's real name, or an organisation's registered name.
    pub real_name: String,
    /// `resident_id`, `passport`, `unified_social_credit_code`, ...
    pub id_type: String,
    pub id_number_masked: String,
}

/// An identity to record, with the id number's hash (`crate::security::hash_id_number`).
#[derive(Clone, Debug)]
pub struct NewIdentity {
    pub identity: Identity,
    pub id_number_hash: String,
}

/// An account with its verified identity, if any (what the account itself and admins see).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountDetails {
    pub account: Account,
    pub identity: Option<Identity>,
}

/// The currency every wallet is kept in.
pub const WALLET_CURRENCY: &str = "CNY";

#[async_trait]
pub trait AccountStore {
    /// The account behind a session token's hash, and when its session expires, if the
    /// session exists and has not expired at `now_ms`.
    async fn session_account(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<SessionAccount>>;

    /// Creates the account and, in the same transaction, its wallet with a new unique
    /// virtual account number. A taken username is `Conflict::UsernameTaken`.
    async fn create_account(&self, account: &NewAccount, now_ms: i64) -> StoreResult<Account>;

    /// The account with this username and its password hash, for signing in.
    async fn account_credentials(&self, username: &str) -> StoreResult<Option<(Account, String)>>;

    async fn account_details(&self, id: AccountId) -> StoreResult<Option<AccountDetails>>;

    /// Records a session valid until `expires_at_ms`.
    async fn create_session(
        &self,
        token_hash: &str,
        account: AccountId,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<()>;

    /// Marks the account verified with this identity (again, if an admin corrects it).
    /// An unknown account is `NotFound`.
    async fn verify_account(
        &self,
        id: AccountId,
        identity: &NewIdentity,
        now_ms: i64,
    ) -> StoreResult<AccountDetails>;

    /// Signs a session out: deletes it if it exists and has not expired at `now_ms`.
    /// False if there was no such session.
    async fn delete_session(&self, token_hash: &str, now_ms: i64) -> StoreResult<bool>;

    /// Deletes every session expired at `now_ms`; answers how many.
    async fn delete_expired_sessions(&self, now_ms: i64) -> StoreResult<u64>;
}

/// Creates an admin (the first one, from `--bootstrap-admin`) unless an account already has
/// that username (so a restart, or a changed password on the command line, changes
/// nothing).
pub async fn ensure_bootstrap_admin(
    store: &dyn Store,
    username: &str,
    password: &str,
    now_ms: i64,
) -> anyhow::Result<()> {
    if store.account_credentials(username).await?.is_some() {
        return Ok(());
    }
    let password_hash = crate::security::hash_password_in_pool(password.to_owned()).await?;
    let admin = NewAccount {
        username: username.to_owned(),
        password_hash,
        display_name: username.to_owned(),
        role: Role::Admin,
        kind: AccountKind::Individual,
    };
    match store.create_account(&admin, now_ms).await {
        Ok(_) | Err(StoreError::Conflict(Conflict::UsernameTaken)) => Ok(()),
        Err(error) => {
            Err(anyhow::Error::new(error).context("failed to create the bootstrap admin"))
        }
    }
}

// ---------------------------------------------------------------------------------------
// Shared by the SQLite and PostgreSQL implementations.
// ---------------------------------------------------------------------------------------

/// How many times to draw a virtual account number before giving up. 10^12 numbers: a
/// collision is a one-in-millions event even with millions of wallets.
pub(super) const ACCOUNT_NUMBER_ATTEMPTS: usize = 8;

/// A random 12-digit virtual account number (虚拟子账号); never starts with 0, so that no
/// system that reads it as a number loses a digit.
pub(super) fn random_account_number() -> String {
    rand::rng()
        .random_range(100_000_000_000u64..1_000_000_000_000)
        .to_string()
}

/// The columns of an [`AccountRow`], for `concat!`.
macro_rules! account_columns {
    ($table:literal) => {
        concat!(
            $table,
            "id, ",
            $table,
            "username, ",
            $table,
            "display_name, ",
            $table,
            "role, ",
            $table,
            "kind, ",
            $table,
            "verified_at_ms, ",
            $table,
            "created_at_ms, ",
            $table,
            "real_name, ",
            $table,
            "id_type, ",
            $table,
            "id_number_masked"
        )
    };
}

pub(super) const INSERT_ACCOUNT: &str = concat!(
    "INSERT INTO accounts (username, password_hash, display_name, role, kind, created_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
    account_columns!("")
);

/// Inserts the wallet unless the number is taken (then no row: draw another).
pub(super) const INSERT_WALLET: &str = "INSERT INTO wallets (account_id, account_number, currency) \
     VALUES ($1, $2, $3) ON CONFLICT (account_number) DO NOTHING";

pub(super) const SELECT_SESSION_ACCOUNT: &str = concat!(
    "SELECT ",
    account_columns!("a."),
    ", s.expires_at_ms FROM sessions s JOIN accounts a ON a.id = s.account_id \
     WHERE s.token_hash = $1 AND s.expires_at_ms > $2"
);

pub(super) const SELECT_CREDENTIALS: &str = concat!(
    "SELECT ",
    account_columns!(""),
    ", password_hash FROM accounts WHERE username = $1"
);

pub(super) const SELECT_ACCOUNT: &str = concat!(
    "SELECT ",
    account_columns!(""),
    " FROM accounts WHERE id = $1"
);

pub(super) const INSERT_SESSION: &str = "INSERT INTO sessions \
     (token_hash, account_id, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4)";

pub(super) const DELETE_SESSION: &str =
    "DELETE FROM sessions WHERE token_hash = $1 AND expires_at_ms > $2";

pub(super) const DELETE_EXPIRED_SESSIONS: &str = "DELETE FROM sessions WHERE expires_at_ms <= $1";

pub(super) const UPDATE_IDENTITY: &str = concat!(
    "UPDATE accounts SET verified_at_ms = $2, real_name = $3, id_type = $4, \
     id_number_masked = $5, id_number_hash = $6 WHERE id = $1 RETURNING ",
    account_columns!("")
);

/// An `accounts` row as both databases return it.
#[derive(sqlx::FromRow)]
pub(super) struct AccountRow {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    kind: String,
    verified_at_ms: Option<i64>,
    created_at_ms: i64,
    real_name: Option<String>,
    id_type: Option<String>,
    id_number_masked: Option<String>,
}

/// An account row with its session's expiry.
#[derive(sqlx::FromRow)]
pub(super) struct SessionRow {
    #[sqlx(flatten)]
    account: AccountRow,
    expires_at_ms: i64,
}

impl SessionRow {
    pub(super) fn into_session(self) -> StoreResult<SessionAccount> {
        Ok(SessionAccount {
            account: self.account.into_account()?,
            expires_at_ms: self.expires_at_ms,
        })
    }
}

/// An account row with its password hash.
#[derive(sqlx::FromRow)]
pub(super) struct CredentialsRow {
    #[sqlx(flatten)]
    account: AccountRow,
    password_hash: String,
}

impl AccountRow {
    pub(super) fn into_details(self) -> StoreResult<AccountDetails> {
        let role = Role::parse(&self.role).ok_or_else(|| {
            StoreError::Internal(anyhow::anyhow!("stored role {:?} is unknown", self.role))
        })?;
        let kind = AccountKind::parse(&self.kind).ok_or_else(|| {
            StoreError::Internal(anyhow::anyhow!(
                "stored account kind {:?} is unknown",
                self.kind
            ))
        })?;
        let identity = match (self.real_name, self.id_type, self.id_number_masked) {
            (Some(real_name), Some(id_type), Some(id_number_masked))
                if self.verified_at_ms.is_some() =>
            {
                Some(Identity {
                    real_name,
                    id_type,
                    id_number_masked,
                })
            }
            _ => None,
        };
        let account = Account {
            id: self.id,
            username: self.username,
            display_name: self.display_name,
            role,
            kind,
            verified: self.verified_at_ms.is_some(),
            created_at_ms: self.created_at_ms,
        };
        Ok(AccountDetails { account, identity })
    }

    pub(super) fn into_account(self) -> StoreResult<Account> {
        Ok(self.into_details()?.account)
    }
}

impl CredentialsRow {
    pub(super) fn into_credentials(self) -> StoreResult<(Account, String)> {
        Ok((self.account.into_account()?, self.password_hash))
    }
}

/// A unique-constraint violation (a duplicate), in either database.
pub(super) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(error) if error.is_unique_violation())
}

/// Maps a duplicate username to its conflict.
pub(super) fn username_taken(error: sqlx::Error) -> StoreError {
    if is_unique_violation(&error) {
        Conflict::UsernameTaken.into()
    } else {
        StoreError::Database(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_account_numbers_have_twelve_digits() {
        for _ in 0..1000 {
            let number = random_account_number();
            assert_eq!(number.len(), 12);
            assert!(number.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
