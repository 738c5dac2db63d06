//! One lot's bidding state and rules.

use std::collections::HashMap;

use crate::money::{AmountError, Money};

use super::{AccountId, Bidder, LotRules, LotState, Phase, Rejection, Sequenced};

/// A room's state as the journal last recorded it, to rebuild a room after a restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoomRestore {
    pub state: LotState,
    pub price: Option<Money>,
    pub leader: Option<AccountId>,
    pub extensions: u32,
    pub deadline_ms: i64,
    /// For a paused room: the time left at the pause.
    pub paused_remaining_ms: Option<i64>,
    /// The last event's seq.
    pub seq: u64,
}

/// The bidding state of one lot.
#[derive(Debug)]
pub struct Room {
    rules: LotRules,
    state: LotState,
    price: Option<Money>,
    leader: Option<AccountId>,
    deadline_ms: i64,
    paused_remaining_ms: Option<i64>,
    extensions: u32,
    seq: u64,
    bidders: HashMap<AccountId, Bidder>,
}

impl Room {
    /// A published lot waiting for `starts_at`.
    pub fn new(rules: LotRules) -> Room {
        unimplemented!("{rules:?}")
    }

    /// Rebuilds a room from the journal (state `Open` or `Paused`).
    pub fn restore(rules: LotRules, restore: RoomRestore) -> Room {
        unimplemented!("{rules:?} {restore:?}")
    }

    pub fn rules(&self) -> &LotRules {
        &self.rules
    }
    pub fn state(&self) -> LotState {
        self.state
    }
    pub fn price(&self) -> Option<Money> {
        self.price
    }
    pub fn leader(&self) -> Option<AccountId> {
        self.leader
    }
    pub fn deadline_ms(&self) -> i64 {
        self.deadline_ms
    }
    pub fn paused_remaining_ms(&self) -> Option<i64> {
        self.paused_remaining_ms
    }
    pub fn extensions(&self) -> u32 {
        self.extensions
    }
    pub fn seq(&self) -> u64 {
        self.seq
    }
    pub fn bidder(&self, account: AccountId) -> Option<&Bidder> {
        self.bidders.get(&account)
    }

    /// The lowest amount an ordinary bidder may bid now.
    pub fn min_next(&self) -> Money {
        unimplemented!()
    }

    /// `free` while more than W remains, `timed` after.
    pub fn phase(&self, now_ms: i64) -> Phase {
        unimplemented!("{now_ms}")
    }

    /// Adds or updates a registered bidder (approval, deposit, guarantee, disqualification).
    pub fn upsert_bidder(&mut self, bidder: Bidder) {
        self.bidders.insert(bidder.account, bidder);
    }

    /// Published → open at `starts_at`.
    pub fn open(&mut self, now_ms: i64) -> Result<Sequenced, Rejection> {
        unimplemented!("{now_ms}")
    }

    /// Checks a bid against SPEC §2's rules in order and, if it is accepted, applies it.
    /// `verified` is whether the account has passed real-name verification; it matters only
    /// for accounts that are not registered bidders of the lot.
    pub fn place_bid(
        &mut self,
        account: AccountId,
        verified: bool,
        amount: Result<Money, AmountError>,
        now_ms: i64,
    ) -> Result<Sequenced, Rejection> {
        unimplemented!("{account} {verified} {amount:?} {now_ms}")
    }

    pub fn pause(
        &mut self,
        reason: Option<std::sync::Arc<str>>,
        now_ms: i64,
    ) -> Result<Sequenced, Rejection> {
        unimplemented!("{reason:?} {now_ms}")
    }

    pub fn resume(
        &mut self,
        reason: Option<std::sync::Arc<str>>,
        now_ms: i64,
    ) -> Result<Sequenced, Rejection> {
        unimplemented!("{reason:?} {now_ms}")
    }

    pub fn cancel(
        &mut self,
        reason: Option<std::sync::Arc<str>>,
        now_ms: i64,
    ) -> Result<Sequenced, Rejection> {
        unimplemented!("{reason:?} {now_ms}")
    }

    pub fn announce(
        &mut self,
        text: std::sync::Arc<str>,
        now_ms: i64,
    ) -> Result<Sequenced, Rejection> {
        unimplemented!("{text:?} {now_ms}")
    }

    /// Closes an open room whose deadline has passed (`now_ms >= deadline_ms`).
    pub fn close_if_due(&mut self, now_ms: i64) -> Option<Sequenced> {
        unimplemented!("{now_ms}")
    }

    /// After a restart: an open room whose deadline has passed or is less than W away gets
    /// deadline = now + W, announced as a `state` event with reason `Recovery`.
    pub fn recover(&mut self, now_ms: i64) -> Option<Sequenced> {
        unimplemented!("{now_ms}")
    }
}
