//! One lot's bidding state and rules.
//!
//! Every command either is refused with the rule it broke, changing nothing, or is accepted
//! and answered with exactly one event numbered `seq + 1`. That is what lets the room actor
//! journal and publish events without gaps.

use std::collections::HashMap;
use std::sync::Arc;

use crate::domain::AccountId;
use crate::money::{AmountError, Money};

use super::ladder::Ladder;
use super::{
    Bidder, ClosedEvent, Eligibility, ExtensionMode, IneligibleReason, LotResult, LotRules,
    LotState, Phase, Rejection, RoomEvent, Sequenced, StateReason,
};

#[cfg(test)]
mod tests;

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
        let room = Room {
            state: LotState::Published,
            price: None,
            leader: None,
            deadline_ms: rules.ends_at_ms,
            paused_remaining_ms: None,
            extensions: 0,
            seq: 0,
            bidders: HashMap::new(),
            rules,
        };
        room.debug_check_invariants();
        room
    }

    /// Rebuilds a room from the journal (state `Open` or `Paused`, or `Published` with the
    /// announcements made before it opened). Its bidders are added
    /// afterwards with [`Room::upsert_bidder`]; the leader's priority rank is looked up among
    /// them whenever a match needs it, so the order of the two does not matter.
    pub fn restore(rules: LotRules, restore: RoomRestore) -> Room {
        debug_assert!(
            matches!(
                restore.state,
                LotState::Published | LotState::Open | LotState::Paused
            ),
            "only a live room is restored, not one in {:?}",
            restore.state
        );
        let room = Room {
            rules,
            state: restore.state,
            price: restore.price,
            leader: restore.leader,
            deadline_ms: restore.deadline_ms,
            paused_remaining_ms: restore.paused_remaining_ms,
            extensions: restore.extensions,
            seq: restore.seq,
            bidders: HashMap::new(),
        };
        room.debug_check_invariants();
        room
    }

    /// Goes back to an earlier state of this room (what the journal holds, after it refused
    /// the events applied since), keeping its rules and bidders.
    pub fn rewind(&mut self, to: RoomRestore) {
        debug_assert!(
            to.seq <= self.seq,
            "a room rewinds only to an earlier event"
        );
        self.state = to.state;
        self.price = to.price;
        self.leader = to.leader;
        self.deadline_ms = to.deadline_ms;
        self.paused_remaining_ms = to.paused_remaining_ms;
        self.extensions = to.extensions;
        self.seq = to.seq;
        self.debug_check_invariants();
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
        self.ladder().min_next()
    }

    /// `free` while more than W remains, `timed` after. A paused room's clock is stopped,
    /// so its phase is that of the time left at the pause.
    pub fn phase(&self, now_ms: i64) -> Phase {
        if self.time_left_ms(now_ms) > self.rules.extension_window_ms {
            Phase::Free
        } else {
            Phase::Timed
        }
    }

    /// Adds or updates a registered bidder (approval, deposit, guarantee, disqualification).
    pub fn upsert_bidder(&mut self, bidder: Bidder) {
        self.bidders.insert(bidder.account, bidder);
    }

    /// Published → open. The caller calls it at `starts_at`. If the lot's whole window
    /// passed before the room could open (the server was down), the room gets W from now,
    /// with reason `Recovery`, rather than closing on bidders who never had a chance.
    pub fn open(&mut self, now_ms: i64) -> Result<Sequenced, Rejection> {
        if self.state != LotState::Published {
            return Err(Rejection::NotOpen);
        }
        let (deadline_ms, reason) = if self.rules.ends_at_ms <= now_ms {
            (
                now_ms + self.rules.extension_window_ms,
                Some(StateReason::Recovery),
            )
        } else {
            (self.rules.ends_at_ms, None)
        };
        self.state = LotState::Open;
        self.deadline_ms = deadline_ms;
        Ok(self.record(now_ms, self.state_event(None, reason)))
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
        self.check_open_for_bids(now_ms)?;
        let bidder = self.eligible_bidder(account, verified, now_ms)?;
        let bidder_number = bidder.bidder_number.clone();
        let may_match_price = self.outranks_leader(bidder.priority_rank);
        let amount = amount.map_err(|_| Rejection::InvalidAmount)?;
        self.ladder().check(amount, may_match_price)?;
        if self.leader == Some(account) {
            return Err(Rejection::AlreadyLeading);
        }
        Ok(self.accept_bid(account, bidder_number, amount, now_ms))
    }

    /// Stops the clock: bids are refused until `resume`, which gives back the time left now.
    pub fn pause(&mut self, reason: Option<Arc<str>>, now_ms: i64) -> Result<Sequenced, Rejection> {
        if !self.is_live(now_ms) {
            return Err(Rejection::NotOpen);
        }
        let remaining_ms = self.deadline_ms - now_ms;
        self.state = LotState::Paused;
        self.paused_remaining_ms = Some(remaining_ms);
        let event = self.state_event(Some(remaining_ms), reason.map(StateReason::Auctioneer));
        Ok(self.record(now_ms, event))
    }

    pub fn resume(
        &mut self,
        reason: Option<Arc<str>>,
        now_ms: i64,
    ) -> Result<Sequenced, Rejection> {
        let Some(remaining_ms) = self.paused_remaining_ms else {
            return Err(Rejection::NotOpen);
        };
        debug_assert_eq!(self.state, LotState::Paused);
        self.state = LotState::Open;
        self.paused_remaining_ms = None;
        self.deadline_ms = now_ms + remaining_ms;
        let event = self.state_event(None, reason.map(StateReason::Auctioneer));
        Ok(self.record(now_ms, event))
    }

    /// Ends the lot with no result. An open room whose deadline has passed is refused like
    /// a late bid: it has already ended with a result, even if the timer has not yet called
    /// `close_if_due`, and the outcome must not depend on which of the two ran first.
    pub fn cancel(
        &mut self,
        reason: Option<Arc<str>>,
        now_ms: i64,
    ) -> Result<Sequenced, Rejection> {
        let cancellable = match self.state {
            LotState::Published | LotState::Paused => true,
            LotState::Open => self.is_live(now_ms),
            LotState::Draft | LotState::Closed | LotState::Cancelled => false,
        };
        if !cancellable {
            return Err(Rejection::NotOpen);
        }
        self.state = LotState::Cancelled;
        self.paused_remaining_ms = None;
        let event = self.state_event(None, reason.map(StateReason::Auctioneer));
        Ok(self.record(now_ms, event))
    }

    /// An auctioneer's message to the room, from publication until the lot ends.
    pub fn announce(&mut self, text: Arc<str>, now_ms: i64) -> Result<Sequenced, Rejection> {
        if !matches!(
            self.state,
            LotState::Published | LotState::Open | LotState::Paused
        ) {
            return Err(Rejection::NotOpen);
        }
        Ok(self.record(now_ms, RoomEvent::Announcement { text }))
    }

    /// Closes an open room whose deadline has passed (`now_ms >= deadline_ms`).
    pub fn close_if_due(&mut self, now_ms: i64) -> Option<Sequenced> {
        if self.state != LotState::Open || now_ms < self.deadline_ms {
            return None;
        }
        self.state = LotState::Closed;
        let closed = ClosedEvent {
            result: self.result(),
            price: self.price,
            leader: self.leader,
            leader_bidder_number: self
                .leader_entry()
                .map(|bidder| bidder.bidder_number.clone()),
        };
        Some(self.record(now_ms, RoomEvent::Closed(closed)))
    }

    /// After a restart: an open room whose deadline has passed or is less than W away gets
    /// deadline = now + W, announced as a `state` event with reason `Recovery`. A paused
    /// room keeps its remaining time for `resume`. Recovery is not an extension: it does not
    /// count against `max_extensions`.
    pub fn recover(&mut self, now_ms: i64) -> Option<Sequenced> {
        let window_ms = self.rules.extension_window_ms;
        if self.state != LotState::Open || self.deadline_ms - now_ms >= window_ms {
            return None;
        }
        self.deadline_ms = now_ms + window_ms;
        Some(self.record(now_ms, self.state_event(None, Some(StateReason::Recovery))))
    }

    fn ladder(&self) -> Ladder {
        Ladder {
            start_price: self.rules.start_price,
            increment: self.rules.increment,
            price: self.price,
        }
    }

    /// Open, and the deadline not yet reached: the room may still change hands.
    fn is_live(&self, now_ms: i64) -> bool {
        self.state == LotState::Open && now_ms < self.deadline_ms
    }

    /// Rule 1. A bid at or after the deadline is late even if the timer has not yet closed
    /// the room: SPEC §2 refuses it whatever the order in which the server reads the two.
    fn check_open_for_bids(&self, now_ms: i64) -> Result<(), Rejection> {
        if self.is_live(now_ms) {
            Ok(())
        } else {
            Err(Rejection::NotOpen)
        }
    }

    /// Rule 2. An account the lot does not know is unregistered, unless it could not even
    /// have applied because it is not verified yet: that is the step it is missing first.
    fn eligible_bidder(
        &self,
        account: AccountId,
        verified: bool,
        now_ms: i64,
    ) -> Result<&Bidder, Rejection> {
        let Some(bidder) = self.bidders.get(&account) else {
            let reason = if verified {
                IneligibleReason::NotRegistered
            } else {
                IneligibleReason::NotVerified
            };
            return Err(Rejection::NotEligible(reason));
        };
        match bidder.eligibility_at(now_ms) {
            Eligibility::Eligible => Ok(bidder),
            Eligibility::Ineligible(reason) => Err(Rejection::NotEligible(reason)),
        }
    }

    /// Whether a bidder with `rank` may match the price (跟价): it holds a priority right
    /// and the leader holds none or a lower one (a larger number). Between equal ranks the
    /// earlier bid keeps the lead. The leader's rank is read now, not when it bid, so that a
    /// restored room learns it when its bidders are upserted.
    fn outranks_leader(&self, rank: Option<u32>) -> bool {
        let Some(rank) = rank else {
            return false;
        };
        match self.leader_entry().and_then(|leader| leader.priority_rank) {
            None => true,
            Some(leader_rank) => rank < leader_rank,
        }
    }

    fn leader_entry(&self) -> Option<&Bidder> {
        self.leader.and_then(|leader| self.bidders.get(&leader))
    }

    fn accept_bid(
        &mut self,
        account: AccountId,
        bidder_number: Arc<str>,
        amount: Money,
        now_ms: i64,
    ) -> Sequenced {
        debug_assert!(
            self.price.is_none_or(|price| amount >= price),
            "the price never goes down"
        );
        self.price = Some(amount);
        self.leader = Some(account);
        let extended = self.extend_if_closing(now_ms);
        let event = RoomEvent::Bid {
            bidder: account,
            bidder_number,
            amount,
            deadline_ms: self.deadline_ms,
            phase: self.phase(now_ms),
            extended,
            extensions: self.extensions,
        };
        self.record(now_ms, event)
    }

    /// Anti-sniping: a bid accepted less than W before the deadline moves it, until
    /// `max_extensions` is reached. Returns whether it moved.
    fn extend_if_closing(&mut self, now_ms: i64) -> bool {
        let window_ms = self.rules.extension_window_ms;
        if self.deadline_ms - now_ms >= window_ms {
            return false;
        }
        if let Some(max_extensions) = self.rules.max_extensions
            && self.extensions >= max_extensions
        {
            return false;
        }
        self.deadline_ms = match self.rules.extension_mode {
            ExtensionMode::Reset => now_ms + window_ms,
            ExtensionMode::Add => self.deadline_ms + window_ms,
        };
        self.extensions += 1;
        true
    }

    fn result(&self) -> LotResult {
        match (self.price, self.rules.reserve_price) {
            (None, _) => LotResult::Unsold,
            (Some(price), Some(reserve)) if price < reserve => LotResult::Unsold,
            (Some(_), _) => LotResult::Sold,
        }
    }

    /// The time left before the deadline; for a paused room, the time left at the pause.
    fn time_left_ms(&self, now_ms: i64) -> i64 {
        self.paused_remaining_ms
            .unwrap_or(self.deadline_ms - now_ms)
    }

    fn state_event(&self, remaining_ms: Option<i64>, reason: Option<StateReason>) -> RoomEvent {
        RoomEvent::State {
            state: self.state,
            deadline_ms: self.deadline_ms,
            remaining_ms,
            reason,
        }
    }

    /// Numbers an accepted command's event: the only place `seq` moves.
    fn record(&mut self, now_ms: i64, event: RoomEvent) -> Sequenced {
        self.seq += 1;
        self.debug_check_invariants();
        Sequenced {
            seq: self.seq,
            at_ms: now_ms,
            event,
        }
    }

    fn debug_check_invariants(&self) {
        debug_assert!(
            self.rules.increment > Money::ZERO,
            "a lot's increment is always positive"
        );
        debug_assert!(
            self.rules.extension_window_ms >= 1,
            "the extension window is at least a second"
        );
        debug_assert_ne!(self.state, LotState::Draft, "a draft lot has no room");
        debug_assert_eq!(
            self.leader.is_some(),
            self.price.is_some(),
            "a price is always some bidder's bid"
        );
        debug_assert!(
            self.price
                .is_none_or(|price| price >= self.rules.start_price),
            "no bid is accepted below the start price"
        );
        debug_assert_eq!(
            self.paused_remaining_ms.is_some(),
            self.state == LotState::Paused,
            "only a paused room holds its remaining time"
        );
        debug_assert!(
            self.paused_remaining_ms
                .is_none_or(|remaining| remaining > 0),
            "a room is paused only before its deadline"
        );
        debug_assert!(
            self.extensions == 0 || self.price.is_some(),
            "only bids extend a room"
        );
        debug_assert!(
            self.rules
                .max_extensions
                .is_none_or(|max_extensions| self.extensions <= max_extensions),
            "extensions stop at max_extensions"
        );
    }
}
