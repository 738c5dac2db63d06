//! The room journal: every room event with its seq, written in group commits.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::auction::{LotResult, LotState};
use crate::domain::{AccountId, LotId};
use crate::money::Money;

use super::{StoreError, StoreResult};

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

/// The most lots one [`JournalStore::bid_summaries`] reads (a list's longest page): both
/// databases bind this many values in one statement with room to spare.
pub const MAX_SUMMARY_LOTS: usize = 1000;

/// How many bids a lot has, its last bid, and its last event of any kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BidSummary {
    pub bid_count: u64,
    pub last_bid: Option<JournalRow>,
    pub last_event: Option<JournalRow>,
}

/// Why a batch of room events was not written.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// A row of the batch can never be written: the database refuses what it holds (a
    /// character it cannot store, a constraint), or a row with its key is stored already
    /// that is not the same event (another writer's). Retrying the same batch cannot help;
    /// the batch's other rows may still be written without it.
    #[error("the database refuses a row of the batch: {0}")]
    Refused(String),
    /// The database could not be reached or failed: the same batch may commit later.
    #[error(transparent)]
    Unavailable(#[from] StoreError),
    /// The database holds a newer lease for these lots than the batch was written under:
    /// another node has taken their rooms, and nothing was written. The batch's other lots
    /// may still be written without them.
    #[error("the rooms of lots {0:?} have been taken by another node")]
    Fenced(Vec<LotId>),
}

impl From<sqlx::Error> for JournalError {
    fn from(error: sqlx::Error) -> JournalError {
        JournalError::Unavailable(error.into())
    }
}

#[async_trait]
pub trait JournalStore {
    /// Writes a batch of room events, from any number of rooms, in one transaction with
    /// one multi-row insert per statement-size chunk, and records each room's new state
    /// on its lot. A row whose key is stored already is skipped only when the stored row
    /// is the same event (a retry of a batch whose commit did land), so a retry is safe and
    /// another writer's row is never taken for ours: that is [`JournalError::Refused`].
    ///
    /// `leases` fences the write: each (lot, epoch) must be the lease the database holds
    /// for that lot when the transaction commits, else nothing is written and the answer
    /// is [`JournalError::Fenced`] with the lots whose lease has moved on (see
    /// [`crate::storage::leases`]). Rooms write every lot's rows under its lease.
    async fn append_fenced(
        &self,
        rows: &[JournalRow],
        leases: &[(LotId, i64)],
    ) -> Result<(), JournalError>;

    /// Writes rows under no lease: for tools and tests that build a journal no room runs.
    async fn append_room_events(&self, rows: &[JournalRow]) -> Result<(), JournalError> {
        self.append_fenced(rows, &[]).await
    }

    /// The lot's last `limit` events, oldest first.
    async fn recent_room_events(&self, lot: LotId, limit: u32) -> StoreResult<Vec<JournalRow>>;

    /// The lot's accepted bids with seq above `after_seq`, oldest first, at most `limit`.
    async fn lot_bids(
        &self,
        lot: LotId,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<JournalRow>>;

    /// The bid summary of each of `lots` that has any event, in one query (a list of lots
    /// costs one read, not one per lot). At most [`MAX_SUMMARY_LOTS`] lots.
    async fn bid_summaries(&self, lots: &[LotId]) -> StoreResult<HashMap<LotId, BidSummary>>;

    /// One lot's bid summary (empty when it has no event).
    async fn bid_summary(&self, lot: LotId) -> StoreResult<BidSummary> {
        let mut summaries = self.bid_summaries(&[lot]).await?;
        Ok(summaries.remove(&lot).unwrap_or_default())
    }

    /// Every (account, req) of the lot's accepted bids with their seq and amount, so that
    /// a restarted room still answers a repeated bid as the first time.
    async fn accepted_bid_requests(&self, lot: LotId) -> StoreResult<Vec<JournalRow>>;

    /// The lot's accepted bid by `account` with this `req`, if there is one: a bid sent
    /// again once its room has gone is answered as the first time.
    async fn accepted_bid(
        &self,
        lot: LotId,
        account: AccountId,
        req: &str,
    ) -> StoreResult<Option<JournalRow>>;
}

/// The rows sorted by (lot, seq), the order of `room_events`' primary key: each lot's new
/// rows then go into its index leaf one after another rather than the writer visiting
/// every room's leaf once per row. A room's own rows keep their order (the sort is stable
/// and a room hands them over in seq order).
pub(super) fn in_key_order(rows: &[JournalRow]) -> Vec<&JournalRow> {
    let mut ordered: Vec<&JournalRow> = rows.iter().collect();
    ordered.sort_by_key(|row| (row.lot_id, row.seq));
    ordered
}

/// SQL both databases accept, shared by the two implementations.
pub(super) mod ops;

#[cfg(test)]
mod tests;

pub(super) mod sql {
    pub const COLUMNS: &str = "lot_id, seq, kind, at_ms, account_id, bidder_number, amount, req, state, text, deadline_ms, remaining_ms, extensions";

    /// Every stored row has all 13 columns; SQLite allows 32,766 bound values a statement.
    pub const COLUMN_COUNT: usize = 13;

    pub const UPDATE_LOT_STATE: &str = "UPDATE lots SET state = $1, result = $2 WHERE id = $3";

    pub fn recent_events() -> String {
        format!(
            "SELECT {COLUMNS} FROM (SELECT {COLUMNS} FROM room_events WHERE lot_id = $1 ORDER BY seq DESC LIMIT $2) AS recent ORDER BY seq"
        )
    }

    pub fn bids_after() -> String {
        format!(
            "SELECT {COLUMNS} FROM room_events WHERE lot_id = $1 AND kind = 'bid' AND seq > $2 ORDER BY seq LIMIT $3"
        )
    }

    pub fn stored_event() -> String {
        format!("SELECT {COLUMNS} FROM room_events WHERE lot_id = $1 AND seq = $2")
    }

    /// Each listed lot's last event and last bid (one row when they are the same), with
    /// its bid count beside them: `lots` placeholders `$1..$lots`.
    pub fn bid_summaries(lots: usize) -> String {
        let placeholders = (1..=lots)
            .map(|index| format!("${index}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "SELECT {COLUMNS}, bid_count FROM room_events JOIN (\
                SELECT lot_id AS summary_lot, MAX(seq) AS last_seq, \
                    MAX(CASE WHEN kind = 'bid' THEN seq END) AS last_bid_seq, \
                    COUNT(CASE WHEN kind = 'bid' THEN 1 END) AS bid_count \
                FROM room_events WHERE lot_id IN ({placeholders}) GROUP BY lot_id\
            ) AS summary ON lot_id = summary_lot AND (seq = last_seq OR seq = last_bid_seq)"
        )
    }

    pub fn accepted_bid() -> String {
        format!(
            "SELECT {COLUMNS} FROM room_events WHERE lot_id = $1 AND kind = 'bid' AND account_id = $2 AND req = $3"
        )
    }

    pub fn accepted_requests() -> String {
        format!(
            "SELECT {COLUMNS} FROM room_events WHERE lot_id = $1 AND kind = 'bid' AND req IS NOT NULL ORDER BY seq"
        )
    }
}

impl JournalRow {
    /// Builds a row from its stored columns; `amount` is already decoded by the database's
    /// own implementation.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn from_columns(
        lot_id: i64,
        seq: i64,
        kind: &str,
        at_ms: i64,
        account_id: Option<i64>,
        bidder_number: Option<String>,
        amount: Option<Money>,
        req: Option<String>,
        state: &str,
        text: Option<String>,
        deadline_ms: i64,
        remaining_ms: Option<i64>,
        extensions: i64,
    ) -> Result<JournalRow, anyhow::Error> {
        Ok(JournalRow {
            lot_id,
            seq: seq as u64,
            kind: RoomEventKind::parse(kind)
                .ok_or_else(|| anyhow::anyhow!("unknown room event kind {kind:?}"))?,
            at_ms,
            account_id,
            bidder_number: bidder_number.map(Arc::from),
            amount,
            req: req.map(Arc::from),
            state: LotState::parse(state)
                .ok_or_else(|| anyhow::anyhow!("unknown lot state {state:?}"))?,
            text: text.map(Arc::from),
            deadline_ms,
            remaining_ms,
            extensions: extensions as u32,
        })
    }

    /// The lot's state and result to record when this row changes them.
    pub(super) fn lot_update(&self) -> Option<(&'static str, Option<&'static str>)> {
        match self.kind {
            RoomEventKind::Bid | RoomEventKind::Announcement => None,
            RoomEventKind::State => Some((self.state.as_str(), None)),
            RoomEventKind::Closed => {
                Some((self.state.as_str(), self.result().map(LotResult::as_str)))
            }
        }
    }
}
