//! What the tests of the room task and its parts share: one lot, its bidders, and a way to
//! read what the room answered a connection.

use std::sync::Arc;

use axum::extract::ws::Message;
use tokio::sync::mpsc;

use crate::auction::{Bidder, Eligibility, ExtensionMode, IneligibleReason, LotRules, Room};
use crate::domain::{AccountId, LotId, Role};
use crate::money::Money;
use crate::realtime::protocol::Encoding;

use super::super::command::{ConnectionId, Member, Replier};

pub const LOT: LotId = 7;
pub const AUCTIONEER: AccountId = 9;
/// ALICE and BOB may bid; CAROL is registered but has not lodged her deposit.
pub const ALICE: AccountId = 1;
pub const BOB: AccountId = 2;
pub const CAROL: AccountId = 3;
/// An admin, who monitors every lot.
pub const ADMIN: AccountId = 10;
pub const STARTS_AT_MS: i64 = 1_800_000_000_000;

pub fn money(text: &str) -> Money {
    Money::parse(text).expect("an amount")
}

/// Start price 1000.00, increment 10.00, W = 60 s, open for ten minutes from STARTS_AT_MS.
pub fn rules() -> LotRules {
    LotRules {
        start_price: money("1000.00"),
        increment: money("10.00"),
        reserve_price: None,
        extension_window_ms: 60_000,
        max_extensions: None,
        extension_mode: ExtensionMode::Reset,
        starts_at_ms: STARTS_AT_MS,
        ends_at_ms: STARTS_AT_MS + 600_000,
    }
}

pub fn bidders() -> Vec<Bidder> {
    [
        (ALICE, Eligibility::Eligible),
        (BOB, Eligibility::Eligible),
        (
            CAROL,
            Eligibility::Ineligible(IneligibleReason::DepositNotLodged),
        ),
    ]
    .into_iter()
    .map(|(account, eligibility)| Bidder {
        account,
        bidder_number: Arc::from(format!("{:04}", 400 + account)),
        priority_rank: None,
        eligibility,
        suspended_until_ms: None,
    })
    .collect()
}

/// The lot's engine, open since STARTS_AT_MS, with its bidders.
pub fn open_engine() -> Room {
    let mut engine = Room::new(rules());
    for bidder in bidders() {
        engine.upsert_bidder(bidder);
    }
    engine.open(STARTS_AT_MS).expect("the lot opens");
    engine
}

pub fn member(connection: ConnectionId, account: AccountId, role: Role) -> Member {
    Member {
        connection,
        account,
        role,
    }
}

/// Where a room answers a connection, and the connection's end.
pub fn replier() -> (Replier, mpsc::UnboundedReceiver<Message>) {
    let (outbox, answers) = mpsc::unbounded_channel();
    let replier = Replier {
        outbox,
        encoding: Encoding::Json,
    };
    (replier, answers)
}

/// The answers a connection has been sent so far, as JSON.
pub fn answers_sent(answers: &mut mpsc::UnboundedReceiver<Message>) -> Vec<serde_json::Value> {
    let mut sent = Vec::new();
    while let Ok(message) = answers.try_recv() {
        let text = message.to_text().expect("a JSON answer");
        sent.push(serde_json::from_str(text).expect("JSON"));
    }
    sent
}
