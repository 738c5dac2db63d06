//! Random lots, clocks and commands for the simulation, all drawn from one seeded generator
//! so that a seed replays the same sequence exactly.
//!
//! The draws lean towards the edges where rules meet: amounts a rung below, on, between and
//! at the price; clocks one millisecond either side of the deadline and of the last window.

use std::sync::Arc;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::auction::{
    Bidder, Eligibility, ExtensionMode, IneligibleReason, LotRules, LotState, RoomRestore,
};
use crate::domain::AccountId;
use crate::money::{AmountError, Money};

use super::{Command, Observed};

/// Accounts 1 to `ACCOUNTS` take part. The first `REGISTERED_ACCOUNTS` are registered when a
/// lot starts; the others may register later, and account `ACCOUNTS + 1` never does.
const ACCOUNTS: AccountId = 8;
const REGISTERED_ACCOUNTS: AccountId = 6;

/// Priority ranks are drawn from 1 to this, so that equal ranks are common.
const LOWEST_RANK: u32 = 3;

const INELIGIBLE_REASONS: [IneligibleReason; 5] = [
    IneligibleReason::NotVerified,
    IneligibleReason::NotRegistered,
    IneligibleReason::NotApproved,
    IneligibleReason::DepositNotLodged,
    IneligibleReason::Disqualified,
];

const AMOUNT_ERRORS: [AmountError; 4] = [
    AmountError::NotADecimal,
    AmountError::TooManyDecimals,
    AmountError::NotPositive,
    AmountError::TooLarge,
];

/// A lot to run: its rules, the bidders registered at the start, and, for a lot that comes
/// back from the journal, what the journal recorded.
pub(super) struct Lot {
    pub rules: LotRules,
    pub bidders: Vec<Bidder>,
    pub restore: Option<RoomRestore>,
}

pub(super) struct Script {
    rng: StdRng,
    lots_started: u32,
}

impl Script {
    pub fn new(seed: u64) -> Script {
        Script {
            rng: StdRng::seed_from_u64(seed),
            lots_started: 0,
        }
    }

    pub fn lot(&mut self, now_ms: i64) -> Lot {
        self.lots_started += 1;
        let rules = self.rules(now_ms);
        let bidders = (1..=REGISTERED_ACCOUNTS)
            .map(|account| self.bidder(account))
            .collect();
        let restore = if self.rng.random_bool(0.2) {
            Some(self.restore(&rules, now_ms))
        } else {
            None
        };
        Lot {
            rules,
            bidders,
            restore,
        }
    }

    /// The clock for the next step: often unchanged, often near the deadline or the start
    /// of the last window, now and then a long outage. It never runs backwards.
    pub fn advance(&mut self, room: &Observed, window_ms: i64, now_ms: i64) -> i64 {
        let deadline_ms = room.deadline_ms;
        let next_ms = match self.rng.random_range(0..100) {
            0..45 => now_ms,
            45..72 => now_ms + self.rng.random_range(1..=1_000),
            72..82 => {
                let offsets = [-window_ms - 1, -window_ms, -window_ms + 1, -1, 0, 1];
                deadline_ms + offsets.choose(&mut self.rng).unwrap()
            }
            82..98 => now_ms + self.rng.random_range(0..=2 * window_ms),
            _ => now_ms + 10 * window_ms + self.rng.random_range(0..window_ms),
        };
        next_ms.max(now_ms)
    }

    /// Half the time, what the room actor would do next in the room's state (open it when
    /// due, close it when due, resume it), so that lots spend most steps open for bids; the
    /// other half, and otherwise, any command at all, to probe every refusal.
    pub fn command(&mut self, room: &Observed, rules: &LotRules, now_ms: i64) -> Command {
        let due = match room.state {
            LotState::Published => Some(Command::Open),
            LotState::Open if now_ms >= room.deadline_ms => Some(Command::CloseIfDue),
            LotState::Paused if self.rng.random_bool(0.3) => Some(Command::Resume(None)),
            _ => None,
        };
        match due {
            Some(command) if self.rng.random_bool(0.5) => command,
            _ => self.any_command(room, rules),
        }
    }

    fn any_command(&mut self, room: &Observed, rules: &LotRules) -> Command {
        match self.rng.random_range(0..100) {
            0..55 => Command::Bid {
                account: self.bidding_account(),
                verified: self.rng.random_bool(0.8),
                amount: self.amount(room, rules.increment),
            },
            55..65 => Command::CloseIfDue,
            65..70 => Command::Pause(self.reason()),
            70..76 => Command::Resume(self.reason()),
            76..77 => Command::Cancel(self.reason()),
            77..80 => Command::Announce(self.text()),
            80..84 => Command::Recover,
            84..90 => {
                let account = self.rng.random_range(1..=ACCOUNTS);
                Command::UpsertBidder(self.bidder(account))
            }
            _ => Command::Open,
        }
    }

    /// Mostly an account registered at the start, sometimes one that may not be.
    fn bidding_account(&mut self) -> AccountId {
        if self.rng.random_bool(0.8) {
            self.rng.random_range(1..=REGISTERED_ACCOUNTS)
        } else {
            self.rng
                .random_range(REGISTERED_ACCOUNTS + 1..=ACCOUNTS + 1)
        }
    }

    fn rules(&mut self, now_ms: i64) -> LotRules {
        let increment = cents(
            *[1, 5, 30, 100, 250, 1_000, 100_000]
                .choose(&mut self.rng)
                .unwrap(),
        );
        let start_price = cents(
            *[1, 100, 9_999, 100_000, 1_234_567]
                .choose(&mut self.rng)
                .unwrap(),
        );
        let window_ms = *[1_000, 5_000, 60_000, 300_000]
            .choose(&mut self.rng)
            .unwrap();
        let reserve_price = if self.rng.random_bool(0.5) {
            let steps = self.rng.random_range(0..10);
            let off_step = cents(self.rng.random_range(0..3));
            Some(start_price.plus_steps(increment, steps).unwrap() + off_step)
        } else {
            None
        };
        let max_extensions = if self.rng.random_bool(0.5) {
            Some(self.rng.random_range(0..5))
        } else {
            None
        };
        let extension_mode = if self.rng.random_bool(0.5) {
            ExtensionMode::Reset
        } else {
            ExtensionMode::Add
        };
        let starts_at_ms = now_ms + self.rng.random_range(0..window_ms);
        LotRules {
            start_price,
            increment,
            reserve_price,
            extension_window_ms: window_ms,
            max_extensions,
            extension_mode,
            starts_at_ms,
            ends_at_ms: starts_at_ms + self.rng.random_range(1..=10 * window_ms),
        }
    }

    fn restore(&mut self, rules: &LotRules, now_ms: i64) -> RoomRestore {
        let window_ms = rules.extension_window_ms;
        let price = if self.rng.random_bool(0.7) {
            let steps = self.rng.random_range(0..20);
            Some(
                rules
                    .start_price
                    .plus_steps(rules.increment, steps)
                    .unwrap(),
            )
        } else {
            None
        };
        // The leader may be an account whose entry has not been upserted yet.
        let leader = price.map(|_| self.rng.random_range(1..=ACCOUNTS));
        let extensions = match price {
            Some(_) => self.rng.random_range(0..=rules.max_extensions.unwrap_or(6)),
            None => 0,
        };
        let paused_remaining_ms = if self.rng.random_bool(0.3) {
            Some(self.rng.random_range(1..=3 * window_ms))
        } else {
            None
        };
        let (state, deadline_ms) = match paused_remaining_ms {
            // The deadline a paused room recorded was its deadline when the pause began.
            Some(remaining_ms) => {
                let paused_at_ms = now_ms - self.rng.random_range(0..=3 * window_ms);
                (LotState::Paused, paused_at_ms + remaining_ms)
            }
            None => {
                let offset_ms = self.rng.random_range(-3 * window_ms..=3 * window_ms);
                (LotState::Open, now_ms + offset_ms)
            }
        };
        RoomRestore {
            state,
            price,
            leader,
            extensions,
            deadline_ms,
            paused_remaining_ms,
            seq: self.rng.random_range(1..1_000),
        }
    }

    fn bidder(&mut self, account: AccountId) -> Bidder {
        let priority_rank = if self.rng.random_bool(0.4) {
            Some(self.rng.random_range(1..=LOWEST_RANK))
        } else {
            None
        };
        let eligibility = if self.rng.random_bool(0.8) {
            Eligibility::Eligible
        } else {
            Eligibility::Ineligible(*INELIGIBLE_REASONS.choose(&mut self.rng).unwrap())
        };
        Bidder {
            account,
            // Stable for the account within a lot, as an approval's number is.
            bidder_number: format!("{:03}{account}", self.lots_started % 1_000).into(),
            priority_rank,
            eligibility,
            suspended_until_ms: None,
        }
    }

    /// An amount near the next rung: on it or above it, at the price, below it, between
    /// rungs, not an amount at all, or anywhere in a band around it.
    fn amount(&mut self, room: &Observed, increment: Money) -> Result<Money, AmountError> {
        let step = cents_in(increment);
        let price_offset = room
            .price
            .map(|price| cents_in(price) - cents_in(room.min_next));
        let offset = match self.rng.random_range(0..100) {
            0..35 => self.rng.random_range(0..=3) * step,
            35..45 => price_offset.unwrap_or(-step),
            45..55 => -self.rng.random_range(1..=2) * step,
            55..70 => self.rng.random_range(0..=3) * step + self.between_rungs(step),
            70..78 => -self.between_rungs(step),
            78..83 => return Err(*AMOUNT_ERRORS.choose(&mut self.rng).unwrap()),
            _ => self.rng.random_range(-5 * step..=30 * step),
        };
        let amount = room.min_next + cents(offset);
        if amount <= Money::ZERO {
            // What the session's parse_positive makes of such an amount.
            return Err(AmountError::NotPositive);
        }
        Ok(amount)
    }

    /// Some cents strictly between two rungs, or none when the step is a single cent.
    fn between_rungs(&mut self, step: i64) -> i64 {
        if step > 1 {
            self.rng.random_range(1..step)
        } else {
            0
        }
    }

    fn reason(&mut self) -> Option<Arc<str>> {
        if self.rng.random_bool(0.5) {
            Some(self.text())
        } else {
            None
        }
    }

    fn text(&mut self) -> Arc<str> {
        format!("note {}", self.rng.random_range(0..100)).into()
    }
}

fn cents(count: i64) -> Money {
    Money::from_decimal(Decimal::new(count, 2))
}

fn cents_in(amount: Money) -> i64 {
    (amount.decimal() * Decimal::ONE_HUNDRED)
        .to_i64()
        .expect("simulated amounts fit in i64 cents")
}
