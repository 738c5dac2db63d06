//! Lots and their applications (报名).

use async_trait::async_trait;
use rust_decimal::Decimal;

use crate::auction::{AccountId, Bidder, ExtensionMode, LotResult, LotRules, LotState};
use crate::money::Money;

use super::{LotId, StoreResult};

/// A lot as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lot {
    pub id: LotId,
    pub auctioneer_id: AccountId,
    pub title: String,
    pub description: String,
    pub currency: String,
    pub start_price: Money,
    pub increment: Money,
    pub reserve_price: Option<Money>,
    pub deposit: DepositTerms,
    pub fee_rate: Decimal,
    pub applications_close_at_ms: i64,
    pub deposit_deadline_ms: i64,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub extension_window_secs: u32,
    pub max_extensions: Option<u32>,
    pub extension_mode: ExtensionMode,
    pub settlement_due_at_ms: Option<i64>,
    /// The state as last stored; a live room knows better (see `crate::rooms`).
    pub state: LotState,
    pub result: Option<LotResult>,
    pub created_at_ms: i64,
}

impl Lot {
    /// The bidding terms a room runs on.
    pub fn rules(&self) -> LotRules {
        LotRules {
            start_price: self.start_price,
            increment: self.increment,
            reserve_price: self.reserve_price,
            extension_window_ms: i64::from(self.extension_window_secs) * 1000,
            max_extensions: self.max_extensions,
            extension_mode: self.extension_mode,
            starts_at_ms: self.starts_at_ms,
            ends_at_ms: self.ends_at_ms,
        }
    }
}

/// 保证金: a fixed amount, or for asset packages a range the bidder chooses in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositTerms {
    Fixed(Money),
    Range { min: Money, max: Money },
}

/// A registered bidder of a lot with what the auctioneer's monitor view shows of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterEntry {
    pub bidder: Bidder,
    pub username: String,
    pub display_name: String,
}

#[async_trait]
pub trait LotStore {
    async fn get_lot(&self, id: LotId) -> StoreResult<Option<Lot>>;

    /// Lots that need a room: `published`, `open` or `paused`.
    async fn live_lots(&self) -> StoreResult<Vec<Lot>>;

    /// Every application of the lot that has a bidder number or could get one, with the
    /// eligibility the room enforces (verified, approved, deposit lodged, not disqualified).
    async fn lot_roster(&self, lot: LotId) -> StoreResult<Vec<RosterEntry>>;

    /// One account's entry in a lot's roster (after an approval, deposit or guarantee).
    async fn roster_entry(
        &self,
        lot: LotId,
        account: AccountId,
    ) -> StoreResult<Option<RosterEntry>>;
}
