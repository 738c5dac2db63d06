//! The room journal: every room event with its seq, written in group commits.

use std::sync::Arc;

use async_trait::async_trait;

use crate::auction::{AccountId, LotResult, LotState};
use crate::money::Money;

use super::{LotId, StoreResult};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoomEventKind {
    Bid,
    State,
    Closed,
    Announcement,
}

impl RoomEventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomEventKind::Bid => "bid",
            RoomEventKind::State => "state",
            RoomEventKind::Closed => "closed",
            RoomEventKind::Announcement => "announcement",
        }
    }

    pub fn parse(text: &str) -> Option<RoomEventKind> {
        Some(match text {
            "bid" => RoomEventKind::Bid,
            "state" => RoomEventKind::State,
            "closed" => RoomEventKind::Closed,
            "announcement" => RoomEventKind::Announcement,
            _ => return None,
        })
    }
}

/// One journaled room event and the room's state after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalRow {
    pub lot_id: LotId,
    pub seq: u64,
    pub kind: RoomEventKind,
    pub at_ms: i64,
    /// The bidder of a bid; the leader at a close.
    pub account_id: Option<AccountId>,
    pub bidder_number: Option<Arc<str>>,
    /// The bid's amount; the final price at a close.
    pub amount: Option<Money>,
    /// The client's `req` of a bid, for idempotent replays after a restart.
    pub req: Option<Arc<str>>,
    /// The room's state after the event.
    pub state: LotState,
    /// A state event's reason, an announcement's text, a close's result.
    pub text: Option<Arc<str>>,
    pub deadline_ms: i64,
    pub remaining_ms: Option<i64>,
    pub extensions: u32,
}

impl JournalRow {
    /// A close's result, read back from `text`.
    pub fn result(&self) -> Option<LotResult> {
        match (self.kind, self.text.as_deref()) {
            (RoomEventKind::Closed, Some("sold")) => Some(LotResult::Sold),
            (RoomEventKind::Closed, Some("unsold")) => Some(LotResult::Unsold),
            _ => None,
        }
    }
}

#[async_trait]
pub trait JournalStore {
    /// Writes a batch of room events, from any number of rooms, in one transaction with
    /// one multi-row insert per statement-size chunk, and records each room's new state
    /// on its lot.
    async fn append_room_events(&self, rows: &[JournalRow]) -> StoreResult<()>;

    /// The lot's last `limit` events, oldest first.
    async fn recent_room_events(&self, lot: LotId, limit: u32) -> StoreResult<Vec<JournalRow>>;

    /// The lot's accepted bids with seq above `after_seq`, oldest first, at most `limit`.
    async fn lot_bids(
        &self,
        lot: LotId,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<JournalRow>>;

    /// Every (account, req) of the lot's accepted bids with their seq and amount, so that
    /// a restarted room still answers a repeated bid as the first time.
    async fn accepted_bid_requests(&self, lot: LotId) -> StoreResult<Vec<JournalRow>>;
}
