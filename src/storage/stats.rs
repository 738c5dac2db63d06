//! What the weekly statistics (SPEC §11, `crate::stats`) are counted from: the records of
//! a window of time, read as they are; the counting is `crate::stats`'s.

use async_trait::async_trait;

use crate::domain::AccountId;
use crate::money::Money;
use crate::storage::money::SettlementStatus;

use super::StoreResult;

pub(super) mod ops;

/// Whose lots to count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsScope {
    Exchange,
    Auctioneer(AccountId),
}

/// A lot's room opening for the first time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opening {
    pub currency: String,
    pub at_ms: i64,
}

/// A sale: the settlement opened at a sold lot's close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sale {
    pub currency: String,
    /// When the settlement opened (the close).
    pub sold_at_ms: i64,
    pub price: Money,
    pub fee: Money,
    pub amount_paid: Money,
    pub status: SettlementStatus,
    /// When it was paid or defaulted.
    pub resolved_at_ms: Option<i64>,
}

/// A cash deposit and when it stopped being held (released, applied or forfeited).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldSpan {
    pub currency: String,
    pub amount: Money,
    pub created_at_ms: i64,
    pub resolved_at_ms: Option<i64>,
}

/// Everything in the scope that happened in, or was held during, a window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsRecords {
    /// First openings inside the window.
    pub openings: Vec<Opening>,
    /// Sales sold or resolved inside the window.
    pub sales: Vec<Sale>,
    /// Cash deposits held at some time inside the window.
    pub deposits: Vec<HeldSpan>,
}

#[async_trait]
pub trait StatsStore {
    /// The records of the scope's lots in `from_ms..to_ms`.
    async fn stats_records(
        &self,
        scope: StatsScope,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<StatsRecords>;
}
