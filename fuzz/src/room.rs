//! The room engine (`bidroom::auction::Room`) under any sequence of commands: the lot's
//! terms and bidders from the first bytes, then one command per byte or few (open, bid,
//! pause, resume, cancel, announce, close when due, recover, a bidder's change, time
//! passing, a rewind to an earlier state as the journal orders it after a refused batch).
//!
//! Rules checked after every step, besides the engine's own `debug_assert!`s (fuzz builds
//! keep them): a refused command changes nothing; an accepted one numbers its event
//! `seq + 1` at the time it ran; the price never goes down and moves only with a bid, to
//! that bid's amount, which is on the ladder (or is the price itself, matched by a priority
//! right that outranks the leader) by a bidder the room knows as eligible; the leader is
//! the last accepted bidder; bids are taken only while the room is open and before its
//! deadline; a bid less than W before the deadline moves it (to t + W or by W) until
//! `max_extensions`, and nothing else moves it except resume and recovery; a pause keeps
//! the time left and a resume gives it back; a room closes only when due, sold exactly when
//! its price meets the reserve; a closed or cancelled room takes no command again.

use std::collections::HashMap;
use std::sync::Arc;

use bidroom::auction::{
    Bidder, Eligibility, ExtensionMode, IneligibleReason, LotResult, LotRules, LotState, Rejection,
    Room, RoomEvent, RoomRestore, Sequenced, StateReason,
};
use bidroom::domain::AccountId;
use bidroom::money::{AmountError, Money};
use rust_decimal::Decimal;

const EPOCH_MS: i64 = 1_700_000_000_000;
/// Accounts 1 to 4 may be registered; 5 never is.
const ACCOUNTS: i64 = 5;

pub fn run(data: &[u8]) {
    let mut input = Input(data);
    let rules = rules(&mut input);
    let mut harness = Harness::new(rules);
    for account in 1..ACCOUNTS {
        let bidder = bidder(&mut input, account);
        harness.upsert(bidder);
    }
    while !input.is_empty() {
        harness.step(&mut input);
    }
}

/// The fuzzer's bytes, read from the front; once they run out every read is zero.
struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        let Some((&first, rest)) = self.0.split_first() else {
            return 0;
        };
        self.0 = rest;
        first
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    fn choose<T: Copy>(&mut self, choices: &[T]) -> T {
        choices[usize::from(self.byte()) % choices.len()]
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn money(text: &str) -> Money {
    Money::parse(text).expect("a harness amount")
}

fn rules(input: &mut Input) -> LotRules {
    let start_price = money(input.choose(&["1000.00", "0.01", "50", "999999999.99"]));
    let increment = money(input.choose(&["50.00", "0.01", "2.50", "1000", "0.03"]));
    let reserve_price = input
        .choose(&[None, Some("1100.00"), Some("0.01"), Some("5000")])
        .map(money);
    let extension_window_ms = (1 + i64::from(input.byte() % 60)) * 1000;
    let max_extensions = input.choose(&[None, Some(0), Some(1), Some(3)]);
    let extension_mode = input.choose(&[ExtensionMode::Reset, ExtensionMode::Add]);
    let starts_at_ms = EPOCH_MS;
    let ends_at_ms = starts_at_ms + 1 + i64::from(input.u16()) * 10;
    LotRules {
        start_price,
        increment,
        reserve_price,
        extension_window_ms,
        max_extensions,
        extension_mode,
        starts_at_ms,
        ends_at_ms,
    }
}

fn bidder(input: &mut Input, account: AccountId) -> Bidder {
    let eligibility = input.choose(&[
        Eligibility::Eligible,
        Eligibility::Eligible,
        Eligibility::Ineligible(IneligibleReason::DepositNotLodged),
        Eligibility::Ineligible(IneligibleReason::Disqualified),
    ]);
    Bidder {
        account,
        bidder_number: Arc::from(format!("A{account:03}")),
        priority_rank: input.choose(&[None, None, Some(1), Some(2)]),
        eligibility,
        suspended_until_ms: None,
    }
}

/// What can be observed of a room, compared before and after each step.
#[derive(Clone, Debug, PartialEq, Eq)]
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

impl Observed {
    fn of(room: &Room) -> Observed {
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

    fn restore_point(&self) -> RoomRestore {
        RoomRestore {
            state: self.state,
            price: self.price,
            leader: self.leader,
            extensions: self.extensions,
            deadline_ms: self.deadline_ms,
            paused_remaining_ms: self.paused_remaining_ms,
            seq: self.seq,
        }
    }
}

#[derive(Clone, Debug)]
enum Command {
    Open,
    Bid {
        account: AccountId,
        verified: bool,
        amount: Result<Money, AmountError>,
    },
    Pause(Option<Arc<str>>),
    Resume(Option<Arc<str>>),
    Cancel(Option<Arc<str>>),
    Announce(Arc<str>),
    CloseIfDue,
    Recover,
}

struct Harness {
    room: Room,
    rules: LotRules,
    bidders: HashMap<AccountId, Bidder>,
    now_ms: i64,
    /// The room after each accepted event, to rewind to.
    history: Vec<Observed>,
}

impl Harness {
    fn new(rules: LotRules) -> Harness {
        let room = Room::new(rules.clone());
        let history = vec![Observed::of(&room)];
        Harness {
            room,
            rules,
            bidders: HashMap::new(),
            now_ms: EPOCH_MS - 1000,
            history,
        }
    }

    fn upsert(&mut self, bidder: Bidder) {
        self.bidders.insert(bidder.account, bidder.clone());
        self.room.upsert_bidder(bidder);
    }

    fn step(&mut self, input: &mut Input) {
        let command = match input.byte() % 12 {
            0 => Command::Open,
            1..=3 => self.bid(input),
            4 => Command::Pause(reason(input)),
            5 => Command::Resume(reason(input)),
            6 => Command::Cancel(reason(input)),
            7 => Command::Announce(Arc::from("five minutes left")),
            8 => Command::CloseIfDue,
            9 => Command::Recover,
            10 => return self.pass_time(input),
            _ => return self.other(input),
        };
        self.apply(command);
    }

    fn bid(&self, input: &mut Input) -> Command {
        let account = 1 + i64::from(input.byte()) % ACCOUNTS;
        let verified = !input.byte().is_multiple_of(4);
        let increment = self.rules.increment;
        let min_next = self.room.min_next();
        let amount = match input.byte() % 8 {
            0 | 1 => Ok(min_next),
            2 => Ok(min_next
                .plus_steps(increment, u64::from(input.byte() % 5))
                .unwrap()),
            3 => Ok(self.room.price().unwrap_or(min_next)),
            4 => Ok(min_next + money("0.01")),
            5 => min_next.checked_sub(increment).ok_or(AmountError::TooLarge),
            6 => Ok(money(input.choose(&["0.01", "1", "1000.00", "1000000"]))),
            _ => Err(input.choose(&[AmountError::NotADecimal, AmountError::TooManyDecimals])),
        };
        Command::Bid {
            account,
            verified,
            amount,
        }
    }

    /// Time goes on: by a few milliseconds, or by seconds, across deadlines.
    fn pass_time(&mut self, input: &mut Input) {
        let byte = input.byte();
        self.now_ms += if byte < 128 {
            i64::from(byte)
        } else {
            i64::from(byte - 128) * 997
        };
        self.check_unchanged(&Observed::of(&self.room), "time passing");
    }

    /// A bidder's standing changes, or the journal refuses the last events and the room
    /// goes back to what it holds.
    fn other(&mut self, input: &mut Input) {
        if input.byte().is_multiple_of(2) {
            let account = 1 + i64::from(input.byte()) % (ACCOUNTS - 1);
            let bidder = bidder(input, account);
            let before = Observed::of(&self.room);
            self.upsert(bidder);
            self.check_unchanged(&before, "a bidder's change");
        } else {
            let back = usize::from(input.byte() % 4).min(self.history.len() - 1);
            let keep = self.history.len() - back;
            self.history.truncate(keep);
            let to = self.history[keep - 1].clone();
            self.room.rewind(to.restore_point());
            assert_eq!(Observed::of(&self.room), to, "a rewind restores the room");
        }
    }

    fn apply(&mut self, command: Command) {
        let before = Observed::of(&self.room);
        let now_ms = self.now_ms;
        let outcome: Result<Option<Sequenced>, Rejection> = match command.clone() {
            Command::Open => self.room.open(now_ms).map(Some),
            Command::Bid {
                account,
                verified,
                amount,
            } => self
                .room
                .place_bid(account, verified, amount, now_ms)
                .map(Some),
            Command::Pause(reason) => self.room.pause(reason, now_ms).map(Some),
            Command::Resume(reason) => self.room.resume(reason, now_ms).map(Some),
            Command::Cancel(reason) => self.room.cancel(reason, now_ms).map(Some),
            Command::Announce(text) => self.room.announce(text, now_ms).map(Some),
            Command::CloseIfDue => Ok(self.room.close_if_due(now_ms)),
            Command::Recover => Ok(self.room.recover(now_ms)),
        };
        let after = Observed::of(&self.room);
        let event = match outcome {
            Ok(Some(event)) => event,
            Ok(None) | Err(_) => return self.check_unchanged(&before, &format!("{command:?}")),
        };
        assert!(
            !before.state.is_final(),
            "{command:?} was accepted in a {:?} room",
            before.state
        );
        assert_eq!(after.seq, before.seq + 1, "{command:?}: seq moves by one");
        assert_eq!(
            event.seq, after.seq,
            "{command:?}: the event has the new seq"
        );
        assert_eq!(event.at_ms, now_ms, "{command:?}: the event is dated now");
        if !matches!(event.event, RoomEvent::Bid { .. }) {
            assert_eq!(
                (after.price, after.leader),
                (before.price, before.leader),
                "{command:?}: only a bid moves the price"
            );
        }
        match &command {
            Command::Open => self.check_open(&before, &after, &event),
            Command::Bid {
                account, amount, ..
            } => self.check_bid(&before, &after, &event, *account, *amount),
            Command::Pause(_) => {
                assert_eq!(
                    (before.state, after.state),
                    (LotState::Open, LotState::Paused)
                );
                assert!(now_ms < before.deadline_ms, "a pause after the deadline");
                assert_eq!(after.paused_remaining_ms, Some(before.deadline_ms - now_ms));
            }
            Command::Resume(_) => {
                assert_eq!(
                    (before.state, after.state),
                    (LotState::Paused, LotState::Open)
                );
                let remaining = before
                    .paused_remaining_ms
                    .expect("a paused room's time left");
                assert_eq!(
                    after.deadline_ms,
                    now_ms + remaining,
                    "a resume gives back the time"
                );
            }
            Command::Cancel(_) => {
                assert_eq!(after.state, LotState::Cancelled);
                assert!(
                    before.state != LotState::Open || now_ms < before.deadline_ms,
                    "a room past its deadline was cancelled"
                );
            }
            Command::Announce(_) => {
                assert_eq!(
                    (after.state, after.deadline_ms),
                    (before.state, before.deadline_ms)
                );
            }
            Command::CloseIfDue => self.check_close(&before, &after, &event),
            Command::Recover => {
                assert_eq!(before.state, LotState::Open);
                assert!(before.deadline_ms - now_ms < self.rules.extension_window_ms);
                assert_eq!(after.deadline_ms, now_ms + self.rules.extension_window_ms);
                assert_eq!(
                    after.extensions, before.extensions,
                    "recovery is no extension"
                );
            }
        }
        if !matches!(
            command,
            Command::Open | Command::Bid { .. } | Command::Resume(_) | Command::Recover
        ) {
            assert_eq!(
                after.deadline_ms, before.deadline_ms,
                "{command:?} moved the deadline"
            );
        }
        self.history.push(after);
    }

    fn check_open(&self, before: &Observed, after: &Observed, event: &Sequenced) {
        assert_eq!(
            (before.state, after.state),
            (LotState::Published, LotState::Open)
        );
        let expected = if self.rules.ends_at_ms <= self.now_ms {
            self.now_ms + self.rules.extension_window_ms
        } else {
            self.rules.ends_at_ms
        };
        assert_eq!(after.deadline_ms, expected, "an opening's deadline");
        let RoomEvent::State { state, reason, .. } = &event.event else {
            panic!("an opening is a state event: {event:?}")
        };
        assert_eq!(*state, LotState::Open);
        assert_eq!(
            matches!(reason, Some(StateReason::Recovery)),
            self.rules.ends_at_ms <= self.now_ms
        );
    }

    fn check_bid(
        &self,
        before: &Observed,
        after: &Observed,
        event: &Sequenced,
        account: AccountId,
        amount: Result<Money, AmountError>,
    ) {
        let now_ms = self.now_ms;
        let amount = amount.expect("an accepted bid has an amount");
        assert_eq!(
            before.state,
            LotState::Open,
            "a bid in a {:?} room",
            before.state
        );
        assert!(
            now_ms < before.deadline_ms,
            "a bid at or after the deadline"
        );
        let bidder = self
            .bidders
            .get(&account)
            .expect("a bid by an unregistered account");
        assert_eq!(bidder.eligibility, Eligibility::Eligible);
        assert_ne!(before.leader, Some(account), "the leader outbid itself");
        assert_eq!((after.price, after.leader), (Some(amount), Some(account)));
        let leader_rank = before
            .leader
            .and_then(|leader| self.bidders.get(&leader))
            .and_then(|leader| leader.priority_rank);
        let is_match = before.price == Some(amount);
        if is_match {
            let rank = bidder
                .priority_rank
                .expect("a match by a bidder without a right");
            assert!(
                leader_rank.is_none_or(|leader_rank| rank < leader_rank),
                "rank {rank} matched a leader of rank {leader_rank:?}"
            );
        } else {
            assert!(
                amount >= before.min_next,
                "{amount} is under {}",
                before.min_next
            );
            let base = before.price.unwrap_or(self.rules.start_price);
            let raise = amount.decimal() - base.decimal();
            assert_eq!(
                raise % self.rules.increment.decimal(),
                Decimal::ZERO,
                "{amount} is off the ladder from {base}"
            );
        }
        assert!(
            before.price.is_none_or(|price| amount >= price),
            "the price went down"
        );
        let window_ms = self.rules.extension_window_ms;
        let may_extend = self
            .rules
            .max_extensions
            .is_none_or(|max| before.extensions < max);
        let extends = before.deadline_ms - now_ms < window_ms && may_extend;
        let deadline_ms = match (extends, self.rules.extension_mode) {
            (false, _) => before.deadline_ms,
            (true, ExtensionMode::Reset) => now_ms + window_ms,
            (true, ExtensionMode::Add) => before.deadline_ms + window_ms,
        };
        assert_eq!(after.deadline_ms, deadline_ms, "the deadline after a bid");
        assert_eq!(after.extensions, before.extensions + u32::from(extends));
        let RoomEvent::Bid {
            bidder: event_bidder,
            amount: event_amount,
            deadline_ms: event_deadline_ms,
            extended,
            extensions,
            ..
        } = &event.event
        else {
            panic!("an accepted bid is a bid event: {event:?}")
        };
        assert_eq!(
            (
                *event_bidder,
                *event_amount,
                *event_deadline_ms,
                *extended,
                *extensions
            ),
            (
                account,
                amount,
                after.deadline_ms,
                extends,
                after.extensions
            )
        );
    }

    fn check_close(&self, before: &Observed, after: &Observed, event: &Sequenced) {
        assert_eq!(
            (before.state, after.state),
            (LotState::Open, LotState::Closed)
        );
        assert!(
            self.now_ms >= before.deadline_ms,
            "closed before the deadline"
        );
        let RoomEvent::Closed(closed) = &event.event else {
            panic!("a close is a closed event: {event:?}")
        };
        let sold = before.price.is_some_and(|price| {
            self.rules
                .reserve_price
                .is_none_or(|reserve| price >= reserve)
        });
        let result = if sold {
            LotResult::Sold
        } else {
            LotResult::Unsold
        };
        assert_eq!(closed.result, result);
        assert_eq!((closed.price, closed.leader), (before.price, before.leader));
    }

    fn check_unchanged(&self, before: &Observed, what: &str) {
        assert_eq!(&Observed::of(&self.room), before, "{what} changed the room");
    }
}

fn reason(input: &mut Input) -> Option<Arc<str>> {
    input
        .byte()
        .is_multiple_of(2)
        .then(|| Arc::from("technical check"))
}
