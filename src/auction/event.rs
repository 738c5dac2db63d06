//! What happened in a room. The room numbers its events with a contiguous `seq` from 1.

use std::sync::Arc;

use crate::domain::AccountId;
use crate::money::Money;

use super::{LotState, Phase};

/// An event with its place in the room's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sequenced {
    pub seq: u64,
    pub at_ms: i64,
    pub event: RoomEvent,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoomEvent {
    /// An accepted bid; `amount` is the new price.
    Bid {
        bidder: AccountId,
        bidder_number: Arc<str>,
        amount: Money,
        /// The deadline after this bid (moved if it extended the room).
        deadline_ms: i64,
        /// The phase at the moment of the bid, after any extension.
        phase: Phase,
        /// Whether this bid moved the deadline (it counts against `max_extensions`).
        extended: bool,
        /// The extension count after this bid.
        extensions: u32,
    },
    /// The room opened, paused, resumed (state `open`), was cancelled, or was extended on
    /// recovery (state `open`, reason `Recovery`).
    State {
        state: LotState,
        deadline_ms: i64,
        /// While paused: the time that was left at the pause, restored on resume.
        remaining_ms: Option<i64>,
        reason: Option<StateReason>,
    },
    Closed(ClosedEvent),
    Announcement {
        text: Arc<str>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StateReason {
    /// The auctioneer's words.
    Auctioneer(Arc<str>),
    /// The deadline was moved on restart so that an outage did not close the room.
    Recovery,
}

impl StateReason {
    pub fn text(&self) -> &str {
        match self {
            StateReason::Auctioneer(text) => text,
            StateReason::Recovery => "recovery",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosedEvent {
    pub result: LotResult,
    /// The final price (the highest accepted bid), or `None` if nobody bid.
    pub price: Option<Money>,
    /// The leader at the close: the winner when `result` is `Sold`.
    pub leader: Option<AccountId>,
    pub leader_bidder_number: Option<Arc<str>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LotResult {
    Sold,
    /// 流拍: no bid, or the reserve was not met.
    Unsold,
}

impl LotResult {
    pub fn as_str(self) -> &'static str {
        match self {
            LotResult::Sold => "sold",
            LotResult::Unsold => "unsold",
        }
    }
}
