//! What a member sees on `join`: the room as of its last durable event.

use std::sync::Arc;

use crate::auction::{
    Bidder, Eligibility, LotResult, LotRules, LotState, Phase, Room, RoomRestore,
};
use crate::domain::{AccountId, LotId};
use crate::money::Money;
use crate::realtime::protocol::{BidView, Req, Snapshot, You};

use super::LotView;

/// The room as members may see it: as of the last durable event.
#[derive(Clone, Debug)]
pub(super) struct Published {
    pub seq: u64,
    pub state: LotState,
    pub price: Option<Money>,
    pub leader: Option<AccountId>,
    pub leader_number: Option<Arc<str>>,
    pub deadline_ms: i64,
    pub remaining_ms: Option<i64>,
    pub extensions: u32,
    pub result: Option<LotResult>,
}

impl Published {
    /// The engine's state right now (after the event it has just applied).
    pub fn of(engine: &Room) -> Published {
        let leader = engine.leader();
        Published {
            seq: engine.seq(),
            state: engine.state(),
            price: engine.price(),
            leader,
            leader_number: leader
                .and_then(|leader| engine.bidder(leader))
                .map(|bidder| bidder.bidder_number.clone()),
            deadline_ms: engine.deadline_ms(),
            remaining_ms: engine.paused_remaining_ms(),
            extensions: engine.extensions(),
            result: None,
        }
    }
}

impl Published {
    /// The engine's state at this point, to rewind it here.
    pub fn restore_point(&self) -> RoomRestore {
        RoomRestore {
            state: self.state,
            price: self.price,
            leader: self.leader,
            extensions: self.extensions,
            deadline_ms: self.deadline_ms,
            paused_remaining_ms: self.remaining_ms,
            seq: self.seq,
        }
    }

    /// What REST shows of the room.
    pub fn view(&self, bid_count: u64) -> LotView {
        LotView {
            state: self.state,
            price: self.price,
            leader: self.leader_number.clone(),
            leader_account: self.leader,
            deadline_ms: self.deadline_ms,
            bid_count,
            result: self.result,
        }
    }
}

/// Everything a snapshot is made of.
pub(super) struct SnapshotParts<'a> {
    pub lot: LotId,
    pub currency: Arc<str>,
    pub rules: &'a LotRules,
    pub published: &'a Published,
    pub recent_bids: Vec<BidView>,
    pub you: You,
    pub now_ms: i64,
    pub req: Option<Req>,
}

pub(super) fn snapshot(parts: SnapshotParts<'_>) -> Snapshot {
    let SnapshotParts {
        lot,
        currency,
        rules,
        published,
        recent_bids,
        you,
        now_ms,
        req,
    } = parts;
    let remaining_ms = match published.state {
        LotState::Paused => published.remaining_ms.unwrap_or_default(),
        _ => published.deadline_ms - now_ms,
    };
    let phase = if remaining_ms > rules.extension_window_ms {
        Phase::Free
    } else {
        Phase::Timed
    };
    let min_next = match published.price {
        Some(price) => price + rules.increment,
        None => rules.start_price,
    };
    Snapshot {
        lot,
        state: published.state.as_str(),
        phase: phase.as_str(),
        currency,
        price: published.price,
        min_next,
        increment: rules.increment,
        has_reserve: rules.reserve_price.is_some(),
        leader: published.leader_number.clone(),
        deadline_ms: published.deadline_ms,
        remaining_ms: published.remaining_ms,
        extensions: published.extensions,
        server_time_ms: now_ms,
        seq: published.seq,
        result: published.result.map(LotResult::as_str),
        recent_bids,
        you,
        req,
    }
}

/// `you` for an account that is not a monitor of the lot: its standing as a bidder.
pub(super) fn bidder_standing(bidder: Option<&Bidder>, now_ms: i64) -> You {
    match bidder {
        Some(bidder) => You::Bidder {
            bidder_number: (!bidder.bidder_number.is_empty()).then(|| bidder.bidder_number.clone()),
            eligible: bidder.eligibility_at(now_ms) == Eligibility::Eligible,
            reason: match bidder.eligibility_at(now_ms) {
                Eligibility::Eligible => None,
                Eligibility::Ineligible(reason) => Some(reason.as_str()),
            },
            priority_rank: bidder.priority_rank,
        },
        None => You::Bidder {
            bidder_number: None,
            eligible: false,
            reason: Some("not_registered"),
            priority_rank: None,
        },
    }
}
