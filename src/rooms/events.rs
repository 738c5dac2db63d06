//! A room's events in their three forms: as the engine made them, as journal rows, and
//! as wire bodies (also rebuilt from rows after a restart).

use std::collections::HashMap;
use std::sync::Arc;

use crate::auction::{ClosedEvent, LotResult, Phase, Room, RoomEvent, Sequenced};
use crate::domain::{AccountId, LotId};
use crate::realtime::protocol::{BidDetails, EventBody};
use crate::storage::{JournalRow, RoomEventKind};

/// What turning events into wire bodies needs to know about the room.
pub(super) struct EventContext<'a> {
    pub lot: LotId,
    pub extension_window_ms: i64,
    /// Bidders' display names, for the monitor view.
    pub names: &'a HashMap<AccountId, Arc<str>>,
}

impl EventContext<'_> {
    fn display_name(&self, account: AccountId) -> Arc<str> {
        self.names
            .get(&account)
            .cloned()
            .unwrap_or_else(|| Arc::from(""))
    }
}

/// The journal row of an event the engine has just applied, with the room's state after it.
pub fn journal_row(lot: LotId, engine: &Room, event: &Sequenced) -> JournalRow {
    let mut row = JournalRow {
        lot_id: lot,
        seq: event.seq,
        kind: RoomEventKind::Bid,
        at_ms: event.at_ms,
        account_id: None,
        bidder_number: None,
        amount: None,
        req: None,
        state: engine.state(),
        text: None,
        deadline_ms: engine.deadline_ms(),
        remaining_ms: engine.paused_remaining_ms(),
        extensions: engine.extensions(),
    };
    match &event.event {
        RoomEvent::Bid {
            bidder,
            bidder_number,
            amount,
            ..
        } => {
            row.account_id = Some(*bidder);
            row.bidder_number = Some(bidder_number.clone());
            row.amount = Some(*amount);
        }
        RoomEvent::State { reason, .. } => {
            row.kind = RoomEventKind::State;
            row.text = reason.as_ref().map(|reason| Arc::from(reason.text()));
        }
        RoomEvent::Closed(closed) => {
            row.kind = RoomEventKind::Closed;
            row.account_id = closed.leader;
            row.bidder_number = closed.leader_bidder_number.clone();
            row.amount = closed.price;
            row.text = Some(Arc::from(closed.result.as_str()));
        }
        RoomEvent::Announcement { text } => {
            row.kind = RoomEventKind::Announcement;
            row.text = Some(text.clone());
        }
    }
    row
}

/// An event as it goes on the wire.
pub(super) fn event_body(context: &EventContext<'_>, event: &Sequenced) -> EventBody {
    let lot = context.lot;
    let seq = event.seq;
    match &event.event {
        RoomEvent::Bid {
            bidder,
            bidder_number,
            amount,
            deadline_ms,
            phase,
            ..
        } => EventBody::Bid(BidDetails {
            lot,
            seq,
            amount: *amount,
            bidder: bidder_number.clone(),
            at_ms: event.at_ms,
            deadline_ms: *deadline_ms,
            price: *amount,
            phase: phase.as_str(),
            account_id: *bidder,
            display_name: context.display_name(*bidder),
        }),
        RoomEvent::State {
            state,
            deadline_ms,
            remaining_ms,
            reason,
        } => EventBody::State {
            lot,
            seq,
            state: state.as_str(),
            deadline_ms: *deadline_ms,
            remaining_ms: *remaining_ms,
            reason: reason.as_ref().map(|reason| Arc::from(reason.text())),
            req: None,
        },
        RoomEvent::Closed(ClosedEvent {
            result,
            price,
            leader_bidder_number,
            ..
        }) => EventBody::Closed {
            lot,
            seq,
            result: result.as_str(),
            price: *price,
            winner_bidder: if *result == LotResult::Sold {
                leader_bidder_number.clone()
            } else {
                None
            },
        },
        RoomEvent::Announcement { text } => EventBody::Announcement {
            lot,
            seq,
            text: text.clone(),
            req: None,
        },
    }
}

/// Rebuilds an event's wire body from its journal row (after a restart).
pub(super) fn body_from_row(context: &EventContext<'_>, row: &JournalRow) -> EventBody {
    let lot = context.lot;
    match row.kind {
        RoomEventKind::Bid => {
            let amount = row.amount.unwrap_or_default();
            let phase = if row.deadline_ms - row.at_ms > context.extension_window_ms {
                Phase::Free
            } else {
                Phase::Timed
            };
            let account = row.account_id.unwrap_or_default();
            EventBody::Bid(BidDetails {
                lot,
                seq: row.seq,
                amount,
                bidder: row.bidder_number.clone().unwrap_or_else(|| Arc::from("")),
                at_ms: row.at_ms,
                deadline_ms: row.deadline_ms,
                price: amount,
                phase: phase.as_str(),
                account_id: account,
                display_name: context.display_name(account),
            })
        }
        RoomEventKind::State => EventBody::State {
            lot,
            seq: row.seq,
            state: row.state.as_str(),
            deadline_ms: row.deadline_ms,
            remaining_ms: row.remaining_ms,
            reason: row.text.clone(),
            req: None,
        },
        RoomEventKind::Closed => EventBody::Closed {
            lot,
            seq: row.seq,
            result: row.result().map_or("unsold", LotResult::as_str),
            price: row.amount,
            winner_bidder: if row.result() == Some(LotResult::Sold) {
                row.bidder_number.clone()
            } else {
                None
            },
        },
        RoomEventKind::Announcement => EventBody::Announcement {
            lot,
            seq: row.seq,
            text: row.text.clone().unwrap_or_else(|| Arc::from("")),
            req: None,
        },
    }
}
