//! Unit tests of the room, one rule at a time. The shared lot: start price 1000.00,
//! increment 10.00, no reserve, W = 60 s, reset mode, open at `START_MS` until `ENDS_MS`.

mod bids;
mod extension;
mod lifecycle;
mod priority;
mod recovery;

use std::sync::Arc;

use crate::auction::{
    Bidder, Eligibility, ExtensionMode, LotRules, LotState, Rejection, Room, RoomEvent, Sequenced,
};
use crate::domain::AccountId;
use crate::money::Money;

const START_MS: i64 = 1_700_000_000_000;
const WINDOW_MS: i64 = 60_000;
/// Ten windows of bidding: bids early on are far from the last window.
const ENDS_MS: i64 = START_MS + 10 * WINDOW_MS;

/// Accounts 1 to 3 are approved ordinary bidders in every room `open_room` builds.
const ALICE: AccountId = 1;
const BOB: AccountId = 2;
const CAROL: AccountId = 3;

fn money(text: &str) -> Money {
    Money::parse(text).unwrap()
}

fn rules() -> LotRules {
    LotRules {
        start_price: money("1000.00"),
        increment: money("10.00"),
        reserve_price: None,
        extension_window_ms: WINDOW_MS,
        max_extensions: None,
        extension_mode: ExtensionMode::Reset,
        starts_at_ms: START_MS,
        ends_at_ms: ENDS_MS,
    }
}

fn bidder_number(account: AccountId) -> Arc<str> {
    format!("{:04}", 400 + account).into()
}

fn bidder(account: AccountId, priority_rank: Option<u32>) -> Bidder {
    Bidder {
        account,
        bidder_number: bidder_number(account),
        priority_rank,
        eligibility: Eligibility::Eligible,
        suspended_until_ms: None,
    }
}

/// An open room under `rules`, with ALICE, BOB and CAROL approved.
fn open_room_with(rules: LotRules) -> Room {
    let mut room = Room::new(rules);
    for account in [ALICE, BOB, CAROL] {
        room.upsert_bidder(bidder(account, None));
    }
    room.open(START_MS).unwrap();
    room
}

fn open_room() -> Room {
    open_room_with(rules())
}

/// A verified account bidding `amount` as the client typed it.
fn bid(
    room: &mut Room,
    account: AccountId,
    amount: &str,
    now_ms: i64,
) -> Result<Sequenced, Rejection> {
    room.place_bid(account, true, Money::parse_positive(amount), now_ms)
}

fn too_low(min_next: &str) -> Result<Sequenced, Rejection> {
    Err(Rejection::TooLow {
        min_next: money(min_next),
    })
}

fn bad_increment(min_next: &str) -> Result<Sequenced, Rejection> {
    Err(Rejection::BadIncrement {
        min_next: money(min_next),
    })
}

/// Everything a client can observe of a room, to show that a refusal changed nothing.
#[derive(Debug, PartialEq)]
struct Observed {
    state: LotState,
    price: Option<Money>,
    leader: Option<AccountId>,
    deadline_ms: i64,
    paused_remaining_ms: Option<i64>,
    extensions: u32,
    seq: u64,
    min_next: Money,
}

fn observe(room: &Room) -> Observed {
    Observed {
        state: room.state(),
        price: room.price(),
        leader: room.leader(),
        deadline_ms: room.deadline_ms(),
        paused_remaining_ms: room.paused_remaining_ms(),
        extensions: room.extensions(),
        seq: room.seq(),
        min_next: room.min_next(),
    }
}

/// The deadline an accepted bid event reports.
fn bid_deadline_ms(sequenced: &Sequenced) -> i64 {
    match sequenced.event {
        RoomEvent::Bid { deadline_ms, .. } => deadline_ms,
        ref other => panic!("expected a bid event, got {other:?}"),
    }
}
