//! Bulk seeding of ready bidders, for load tests only (`bidroom serve --allow-bulk-seed`).
//!
//! A batch creates its bidder accounts, marks them verified, opens a session for each,
//! credits each wallet with a `top_up` ledger transaction, and registers bidders in lots:
//! an application, its approval with a bidder number drawn as an ordinary approval draws
//! it, and the lot's deposit frozen by a `deposit_freeze` ledger transaction with its
//! `deposits` row. All of it is one database transaction: a batch happens whole or not at
//! all, and the ledger balances after it as after any other request.
//!
//! What it skips is what makes it unfit for production: no identity is checked (the
//! accounts are verified with an identity that says so), and no bank transfer stands
//! behind the top-ups (their ledger reference says so instead of a transfer id).

use async_trait::async_trait;

use crate::domain::LotId;
use crate::money::Money;

use super::StoreResult;
use super::accounts::{Account, NewAccount, NewIdentity};
use super::lots::Application;

pub(super) mod ops;

/// One bidder to create.
#[derive(Clone, Debug)]
pub struct SeedBidder {
    pub account: NewAccount,
    pub identity: NewIdentity,
    /// The hash of the session token the bidder is handed (`security::new_session_token`).
    pub token_hash: String,
}

/// A bidder of the batch (by its index in [`SeedBatch::bidders`]) to register in a lot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeedRegistration {
    pub bidder: usize,
    pub lot: LotId,
}

/// What one database transaction seeds.
#[derive(Clone, Debug)]
pub struct SeedBatch {
    pub bidders: Vec<SeedBidder>,
    /// Credited to every new wallet before its deposits are frozen.
    pub top_up: Option<Money>,
    /// Applications to make, approve and lodge the (fixed) deposit of, in this order.
    pub registrations: Vec<SeedRegistration>,
    pub session_expires_at_ms: i64,
}

/// A bidder as seeded: verified, its applications approved with their deposits lodged.
#[derive(Clone, Debug)]
pub struct SeededBidder {
    pub account: Account,
    pub applications: Vec<Application>,
}

/// The prefix of a seeded top-up's ledger reference; the account id follows.
pub const TOP_UP_REFERENCE_PREFIX: &str = "bulk-seed:";

#[async_trait]
pub trait SeedStore {
    /// Seeds the batch in one database transaction. A taken username is
    /// `Conflict::UsernameTaken`, a registration twice for one lot
    /// `Conflict::AlreadyApplied`, a deposit the lot refuses `Conflict::DepositRefused`
    /// with the refusal, a top-up that does not cover the deposits
    /// `Conflict::InsufficientFunds`; nothing of the batch is then stored.
    async fn seed_bidders(&self, batch: &SeedBatch, now_ms: i64) -> StoreResult<Vec<SeededBidder>>;
}
