//! A deliberately naive model of a room, written from SPEC §2 rather than from the engine.
//!
//! It keeps every accepted bid and derives the price and the leader from that list, finds
//! out whether an amount is on the ladder by walking the rungs one at a time, counts
//! extensions by counting the bids that extended, and remembers when a pause began instead
//! of the time it left. Slow and obvious on purpose: where it and the engine disagree, one
//! of them misreads the rules.

use std::sync::Arc;

use crate::auction::{
    Bidder, ClosedEvent, Eligibility, ExtensionMode, IneligibleReason, LotResult, LotRules,
    LotState, Phase, Rejection, RoomEvent, RoomRestore, Sequenced, StateReason,
};
use crate::domain::AccountId;
use crate::money::{AmountError, Money};

/// The most rungs the ladder walk climbs; the script never bids further up than this.
const LADDER_WALK_LIMIT: u64 = 100_000;

pub(super) struct ReferenceRoom {
    rules: LotRules,
    stage: Stage,
    /// Every accepted bid, oldest first; a restored room starts with the journal's price.
    bids: Vec<RecordedBid>,
    /// Extensions counted by the journal before a restart; later ones are in `bids`.
    extensions_before_restore: u32,
    bidders: Vec<Bidder>,
    events: u64,
}

struct RecordedBid {
    account: AccountId,
    amount: Money,
    extended: bool,
}

enum Stage {
    Published,
    Open { deadline_ms: i64 },
    Paused { deadline_ms: i64, paused_at_ms: i64 },
    Closed { deadline_ms: i64 },
    Cancelled { deadline_ms: i64 },
}

impl ReferenceRoom {
    pub fn new(rules: LotRules) -> ReferenceRoom {
        ReferenceRoom {
            rules,
            stage: Stage::Published,
            bids: Vec::new(),
            extensions_before_restore: 0,
            bidders: Vec::new(),
            events: 0,
        }
    }

    pub fn restore(rules: LotRules, restore: &RoomRestore) -> ReferenceRoom {
        let stage = match restore.paused_remaining_ms {
            // Any pause start that leaves the same time to run will do.
            Some(remaining_ms) => Stage::Paused {
                deadline_ms: restore.deadline_ms,
                paused_at_ms: restore.deadline_ms - remaining_ms,
            },
            None => Stage::Open {
                deadline_ms: restore.deadline_ms,
            },
        };
        let bids = match (restore.leader, restore.price) {
            (Some(account), Some(amount)) => vec![RecordedBid {
                account,
                amount,
                extended: false,
            }],
            _ => Vec::new(),
        };
        ReferenceRoom {
            rules,
            stage,
            bids,
            extensions_before_restore: restore.extensions,
            bidders: Vec::new(),
            events: restore.seq,
        }
    }

    pub fn rules(&self) -> &LotRules {
        &self.rules
    }

    pub fn state(&self) -> LotState {
        match self.stage {
            Stage::Published => LotState::Published,
            Stage::Open { .. } => LotState::Open,
            Stage::Paused { .. } => LotState::Paused,
            Stage::Closed { .. } => LotState::Closed,
            Stage::Cancelled { .. } => LotState::Cancelled,
        }
    }

    pub fn price(&self) -> Option<Money> {
        self.bids.last().map(|bid| bid.amount)
    }

    pub fn leader(&self) -> Option<AccountId> {
        self.bids.last().map(|bid| bid.account)
    }

    pub fn deadline_ms(&self) -> i64 {
        match self.stage {
            Stage::Published => self.rules.ends_at_ms,
            Stage::Open { deadline_ms }
            | Stage::Paused { deadline_ms, .. }
            | Stage::Closed { deadline_ms }
            | Stage::Cancelled { deadline_ms } => deadline_ms,
        }
    }

    pub fn paused_remaining_ms(&self) -> Option<i64> {
        match self.stage {
            Stage::Paused {
                deadline_ms,
                paused_at_ms,
            } => Some(deadline_ms - paused_at_ms),
            _ => None,
        }
    }

    pub fn extensions(&self) -> u32 {
        let extending_bids = self.bids.iter().filter(|bid| bid.extended).count();
        self.extensions_before_restore + u32::try_from(extending_bids).unwrap()
    }

    pub fn seq(&self) -> u64 {
        self.events
    }

    /// The first rung of the ladder an ordinary bidder may stand on.
    pub fn min_next(&self) -> Money {
        let (base, first_step) = self.ladder_base();
        base.plus_steps(self.rules.increment, first_step).unwrap()
    }

    pub fn phase(&self, now_ms: i64) -> Phase {
        let time_left_ms = self
            .paused_remaining_ms()
            .unwrap_or(self.deadline_ms() - now_ms);
        if time_left_ms <= self.rules.extension_window_ms {
            Phase::Timed
        } else {
            Phase::Free
        }
    }

    pub fn upsert_bidder(&mut self, bidder: Bidder) {
        self.bidders.retain(|known| known.account != bidder.account);
        self.bidders.push(bidder);
    }

    pub fn open(&mut self, now_ms: i64) -> Result<Sequenced, Rejection> {
        let Stage::Published = self.stage else {
            return Err(Rejection::NotOpen);
        };
        let missed_the_whole_window = now_ms >= self.rules.ends_at_ms;
        let (deadline_ms, reason) = if missed_the_whole_window {
            (
                now_ms + self.rules.extension_window_ms,
                Some(StateReason::Recovery),
            )
        } else {
            (self.rules.ends_at_ms, None)
        };
        self.stage = Stage::Open { deadline_ms };
        Ok(self.emit(now_ms, LotState::Open, None, reason))
    }

    pub fn place_bid(
        &mut self,
        account: AccountId,
        verified: bool,
        amount: Result<Money, AmountError>,
        now_ms: i64,
    ) -> Result<Sequenced, Rejection> {
        let deadline_ms = match self.stage {
            Stage::Open { deadline_ms } if now_ms < deadline_ms => deadline_ms,
            _ => return Err(Rejection::NotOpen),
        };
        let bidder = self.find_eligible(account, verified, now_ms)?;
        let Ok(amount) = amount else {
            return Err(Rejection::InvalidAmount);
        };
        let allowed = self.is_on_ladder(amount) || self.is_priority_match(&bidder, amount);
        if !allowed {
            let min_next = self.min_next();
            return Err(if amount < min_next {
                Rejection::TooLow { min_next }
            } else {
                Rejection::BadIncrement { min_next }
            });
        }
        if self.leader() == Some(account) {
            return Err(Rejection::AlreadyLeading);
        }

        let window_ms = self.rules.extension_window_ms;
        let extensions_left = match self.rules.max_extensions {
            None => true,
            Some(max_extensions) => self.extensions() < max_extensions,
        };
        let extended = deadline_ms - now_ms < window_ms && extensions_left;
        let deadline_ms = match (extended, self.rules.extension_mode) {
            (false, _) => deadline_ms,
            (true, ExtensionMode::Reset) => now_ms + window_ms,
            (true, ExtensionMode::Add) => deadline_ms + window_ms,
        };
        self.stage = Stage::Open { deadline_ms };
        self.bids.push(RecordedBid {
            account,
            amount,
            extended,
        });
        let event = RoomEvent::Bid {
            bidder: account,
            bidder_number: bidder.bidder_number.clone(),
            amount,
            deadline_ms,
            phase: self.phase(now_ms),
            extended,
            extensions: self.extensions(),
        };
        Ok(self.number(now_ms, event))
    }

    pub fn pause(&mut self, reason: Option<Arc<str>>, now_ms: i64) -> Result<Sequenced, Rejection> {
        let deadline_ms = match self.stage {
            Stage::Open { deadline_ms } if now_ms < deadline_ms => deadline_ms,
            _ => return Err(Rejection::NotOpen),
        };
        self.stage = Stage::Paused {
            deadline_ms,
            paused_at_ms: now_ms,
        };
        let remaining_ms = Some(deadline_ms - now_ms);
        Ok(self.emit(
            now_ms,
            LotState::Paused,
            remaining_ms,
            reason.map(StateReason::Auctioneer),
        ))
    }

    pub fn resume(
        &mut self,
        reason: Option<Arc<str>>,
        now_ms: i64,
    ) -> Result<Sequenced, Rejection> {
        let Stage::Paused {
            deadline_ms,
            paused_at_ms,
        } = self.stage
        else {
            return Err(Rejection::NotOpen);
        };
        let time_the_pause_took_ms = now_ms - paused_at_ms;
        self.stage = Stage::Open {
            deadline_ms: deadline_ms + time_the_pause_took_ms,
        };
        Ok(self.emit(
            now_ms,
            LotState::Open,
            None,
            reason.map(StateReason::Auctioneer),
        ))
    }

    pub fn cancel(
        &mut self,
        reason: Option<Arc<str>>,
        now_ms: i64,
    ) -> Result<Sequenced, Rejection> {
        let cancellable = match self.stage {
            Stage::Published | Stage::Paused { .. } => true,
            Stage::Open { deadline_ms } => now_ms < deadline_ms,
            Stage::Closed { .. } | Stage::Cancelled { .. } => false,
        };
        if !cancellable {
            return Err(Rejection::NotOpen);
        }
        self.stage = Stage::Cancelled {
            deadline_ms: self.deadline_ms(),
        };
        Ok(self.emit(
            now_ms,
            LotState::Cancelled,
            None,
            reason.map(StateReason::Auctioneer),
        ))
    }

    pub fn announce(&mut self, text: Arc<str>, now_ms: i64) -> Result<Sequenced, Rejection> {
        match self.stage {
            Stage::Closed { .. } | Stage::Cancelled { .. } => Err(Rejection::NotOpen),
            _ => Ok(self.number(now_ms, RoomEvent::Announcement { text })),
        }
    }

    pub fn close_if_due(&mut self, now_ms: i64) -> Option<Sequenced> {
        let Stage::Open { deadline_ms } = self.stage else {
            return None;
        };
        if now_ms < deadline_ms {
            return None;
        }
        self.stage = Stage::Closed { deadline_ms };
        let reserve_met = match (self.price(), self.rules.reserve_price) {
            (Some(price), Some(reserve_price)) => price >= reserve_price,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let closed = ClosedEvent {
            result: if reserve_met {
                LotResult::Sold
            } else {
                LotResult::Unsold
            },
            price: self.price(),
            leader: self.leader(),
            leader_bidder_number: self
                .leader()
                .and_then(|leader| self.registered(leader))
                .map(|bidder| bidder.bidder_number.clone()),
        };
        Some(self.number(now_ms, RoomEvent::Closed(closed)))
    }

    pub fn recover(&mut self, now_ms: i64) -> Option<Sequenced> {
        let Stage::Open { deadline_ms } = self.stage else {
            return None;
        };
        let window_ms = self.rules.extension_window_ms;
        if deadline_ms >= now_ms + window_ms {
            return None;
        }
        self.stage = Stage::Open {
            deadline_ms: now_ms + window_ms,
        };
        Some(self.emit(now_ms, LotState::Open, None, Some(StateReason::Recovery)))
    }

    fn registered(&self, account: AccountId) -> Option<&Bidder> {
        self.bidders.iter().find(|bidder| bidder.account == account)
    }

    fn find_eligible(
        &self,
        account: AccountId,
        verified: bool,
        now_ms: i64,
    ) -> Result<Bidder, Rejection> {
        match self.registered(account) {
            None if !verified => Err(Rejection::NotEligible(IneligibleReason::NotVerified)),
            None => Err(Rejection::NotEligible(IneligibleReason::NotRegistered)),
            Some(bidder) => match bidder.eligibility_at(now_ms) {
                Eligibility::Ineligible(reason) => Err(Rejection::NotEligible(reason)),
                Eligibility::Eligible => Ok(bidder.clone()),
            },
        }
    }

    /// The ladder's base and the first step above it an ordinary bidder may take.
    fn ladder_base(&self) -> (Money, u64) {
        match self.price() {
            None => (self.rules.start_price, 0),
            Some(price) => (price, 1),
        }
    }

    fn is_on_ladder(&self, amount: Money) -> bool {
        let (base, first_step) = self.ladder_base();
        for steps in first_step..LADDER_WALK_LIMIT {
            let rung = base.plus_steps(self.rules.increment, steps).unwrap();
            if rung == amount {
                return true;
            }
            if rung > amount {
                return false;
            }
        }
        panic!("the script bid {amount}, too far up the ladder from {base} to walk");
    }

    fn is_priority_match(&self, bidder: &Bidder, amount: Money) -> bool {
        let Some(last_bid) = self.bids.last() else {
            return false;
        };
        let Some(rank) = bidder.priority_rank else {
            return false;
        };
        let leader_rank = self
            .registered(last_bid.account)
            .and_then(|leader| leader.priority_rank);
        let outranks_leader = leader_rank.is_none_or(|leader_rank| rank < leader_rank);
        amount == last_bid.amount && outranks_leader
    }

    fn emit(
        &mut self,
        now_ms: i64,
        state: LotState,
        remaining_ms: Option<i64>,
        reason: Option<StateReason>,
    ) -> Sequenced {
        let event = RoomEvent::State {
            state,
            deadline_ms: self.deadline_ms(),
            remaining_ms,
            reason,
        };
        self.number(now_ms, event)
    }

    fn number(&mut self, now_ms: i64, event: RoomEvent) -> Sequenced {
        self.events += 1;
        Sequenced {
            seq: self.events,
            at_ms: now_ms,
            event,
        }
    }
}
