//! Accounts, sessions and identity verification.

use async_trait::async_trait;
use rand::Rng;

use crate::domain::{AccountId, AccountKind, Role};

use super::{Conflict, Store, StoreError, StoreResult};

#[cfg(test)]
mod database_tests;
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
    /// Created by an admin with a password to change: until it is changed, the account
    /// may do nothing else (SPEC §11).
    pub must_change_password: bool,
    /// Suspended (停用) until then, if a suspension was recorded and not lifted; it ends by
    /// itself at that time.
    pub suspended_until_ms: Option<i64>,
}

impl Account {
    /// Whether the account is suspended at `now_ms`.
    pub fn is_suspended(&self, now_ms: i64) -> bool {
        self.suspended_until_ms
            .is_some_and(|until_ms| now_ms < until_ms)
    }
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
    /// The account must change its password before anything else.
    pub must_change_password: bool,
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

/// A change to an account's suspension (停用), by an admin, with its reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SuspensionChange {
    /// Suspended for `days` days, until `until_ms`.
    Suspend { days: u32, until_ms: i64 },
    /// A suspension in force is lifted.
    Lift,
}

/// One entry of an account's suspension history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuspensionRecord {
    pub id: i64,
    pub account_id: AccountId,
    pub change: SuspensionChange,
    pub reason: String,
    /// The admin who made the change.
    pub by_account_id: AccountId,
    pub at_ms: i64,
}

/// An account suspended now, with the reason its suspension was given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuspendedAccount {
    pub account: Account,
    pub reason: String,
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

    /// Sets a new password hash, clears `must_change_password`, and signs out every other
    /// session of the account (all but `kept_token_hash`); answers the token hashes it
    /// signed out. An unknown account is `NotFound`.
    async fn change_password(
        &self,
        id: AccountId,
        password_hash: &str,
        kept_token_hash: &str,
    ) -> StoreResult<Vec<String>>;

    /// The account's password hash, to check a password against.
    async fn password_hash(&self, id: AccountId) -> StoreResult<Option<String>>;

    /// Records a suspension or a lift and sets the account's `suspended_until_ms` with it,
    /// in one transaction. Lifting an account that is not suspended at `now_ms` is
    /// `Conflict::NotSuspended`; an unknown account is `NotFound`.
    async fn change_suspension(
        &self,
        id: AccountId,
        change: &SuspensionChange,
        reason: &str,
        by: AccountId,
        now_ms: i64,
    ) -> StoreResult<SuspensionRecord>;

    /// The account's suspensions and lifts, oldest first.
    async fn suspension_history(&self, id: AccountId) -> StoreResult<Vec<SuspensionRecord>>;

    /// The accounts suspended at `now_ms`, the soonest to end first.
    async fn suspended_accounts(&self, now_ms: i64) -> StoreResult<Vec<SuspendedAccount>>;
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
        must_change_password: false,
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
            "id_number_masked, ",
            $table,
            "must_change_password, ",
            $table,
            "suspended_until_ms"
        )
    };
}

pub(super) const INSERT_ACCOUNT: &str = concat!(
    "INSERT INTO accounts (username, password_hash, display_name, role, kind, created_at_ms, \
     must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
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

pub(super) const SELECT_PASSWORD_HASH: &str = "SELECT password_hash FROM accounts WHERE id = $1";

pub(super) const UPDATE_PASSWORD: &str =
    "UPDATE accounts SET password_hash = $2, must_change_password = $3 WHERE id = $1";

pub(super) const DELETE_OTHER_SESSIONS: &str =
    "DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2 RETURNING token_hash";

pub(super) const SELECT_SUSPENDED_UNTIL: &str =
    "SELECT suspended_until_ms FROM accounts WHERE id = $1";

/// Sets (or, with NULL, clears) the suspension's end.
pub(super) const UPDATE_SUSPENDED_UNTIL: &str =
    "UPDATE accounts SET suspended_until_ms = $2 WHERE id = $1";

pub(super) const INSERT_SUSPENSION: &str = "INSERT INTO account_suspensions \
     (account_id, action, days, until_ms, reason, by_account_id, at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7) \
     RETURNING id, account_id, action, days, until_ms, reason, by_account_id, at_ms";

pub(super) const SELECT_SUSPENSIONS: &str = "SELECT id, account_id, action, days, until_ms, \
     reason, by_account_id, at_ms FROM account_suspensions WHERE account_id = $1 ORDER BY id";

pub(super) const SELECT_SUSPENDED_ACCOUNTS: &str = concat!(
    "SELECT ",
    account_columns!("a."),
    ", COALESCE((SELECT s.reason FROM account_suspensions s WHERE s.account_id = a.id \
     AND s.action = 'suspend' ORDER BY s.id DESC LIMIT 1), '') AS reason \
     FROM accounts a WHERE a.suspended_until_ms > $1 ORDER BY a.suspended_until_ms, a.id"
);

/// An `account_suspensions` row as both databases return it.
#[derive(sqlx::FromRow)]
pub(super) struct SuspensionRow {
    id: i64,
    account_id: i64,
    action: String,
    days: Option<i64>,
    until_ms: Option<i64>,
    reason: String,
    by_account_id: i64,
    at_ms: i64,
}

impl SuspensionRow {
    pub(super) fn into_record(self) -> StoreResult<SuspensionRecord> {
        let change = match (self.action.as_str(), self.days, self.until_ms) {
            ("suspend", Some(days), Some(until_ms)) => SuspensionChange::Suspend {
                days: u32::try_from(days).map_err(|_| {
                    StoreError::Internal(anyhow::anyhow!("stored suspension days {days}"))
                })?,
                until_ms,
            },
            ("lift", _, _) => SuspensionChange::Lift,
            _ => {
                return Err(StoreError::Internal(anyhow::anyhow!(
                    "stored suspension {} is incomplete",
                    self.id
                )));
            }
        };
        Ok(SuspensionRecord {
            id: self.id,
            account_id: self.account_id,
            change,
            reason: self.reason,
            by_account_id: self.by_account_id,
            at_ms: self.at_ms,
        })
    }
}

/// A suspended account's row with the reason of its suspension.
#[derive(sqlx::FromRow)]
pub(super) struct SuspendedRow {
    #[sqlx(flatten)]
    account: AccountRow,
    reason: String,
}

impl SuspendedRow {
    pub(super) fn into_suspended(self) -> StoreResult<SuspendedAccount> {
        Ok(SuspendedAccount {
            account: self.account.into_account()?,
            reason: self.reason,
        })
    }
}

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
    must_change_password: bool,
    suspended_until_ms: Option<i64>,
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
            must_change_password: self.must_change_password,
            suspended_until_ms: self.suspended_until_ms,
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
