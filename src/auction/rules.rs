//! What a room is configured with and who may bid in it.

use std::sync::Arc;

use crate::domain::AccountId;
use crate::money::Money;

use super::IneligibleReason;

/// The bidding terms of a lot, fixed when it is published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotRules {
    pub start_price: Money,
    /// The step (加价幅度): every raise is a whole multiple of it.
    pub increment: Money,
    /// Never shown to bidders; below it a closed lot is `unsold`.
    pub reserve_price: Option<Money>,
    /// W, the anti-sniping window, in milliseconds (the lot states it in seconds).
    pub extension_window_ms: i64,
    pub max_extensions: Option<u32>,
    pub extension_mode: ExtensionMode,
    pub starts_at_ms: i64,
    /// The initial deadline.
    pub ends_at_ms: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExtensionMode {
    /// deadline = t + W
    #[default]
    Reset,
    /// deadline = deadline + W
    Add,
}

impl ExtensionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ExtensionMode::Reset => "reset",
            ExtensionMode::Add => "add",
        }
    }

    pub fn parse(text: &str) -> Option<ExtensionMode> {
        match text {
            "reset" => Some(ExtensionMode::Reset),
            "add" => Some(ExtensionMode::Add),
            _ => None,
        }
    }
}

/// A lot's lifecycle (SPEC §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LotState {
    Draft,
    Published,
    Open,
    Paused,
    Closed,
    Cancelled,
}

impl LotState {
    pub fn as_str(self) -> &'static str {
        match self {
            LotState::Draft => "draft",
            LotState::Published => "published",
            LotState::Open => "open",
            LotState::Paused => "paused",
            LotState::Closed => "closed",
            LotState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<LotState> {
        Some(match text {
            "draft" => LotState::Draft,
            "published" => LotState::Published,
            "open" => LotState::Open,
            "paused" => LotState::Paused,
            "closed" => LotState::Closed,
            "cancelled" => LotState::Cancelled,
            _ => return None,
        })
    }

    /// Whether the lot has reached an end (no room needs to run for it).
    pub fn is_final(self) -> bool {
        matches!(self, LotState::Closed | LotState::Cancelled)
    }

    /// Whether the lot needs a live room: published (to open at its start), open or paused.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            LotState::Published | LotState::Open | LotState::Paused
        )
    }
}

/// `free` while more than W remains before the deadline, `timed` after (自由竞价 / 限时竞价).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Free,
    Timed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Free => "free",
            Phase::Timed => "timed",
        }
    }
}

/// Whether an account may bid in this lot, as the storage layer last reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eligibility {
    Eligible,
    Ineligible(IneligibleReason),
}

/// A registered bidder of the lot (an application), as the room knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bidder {
    pub account: AccountId,
    /// 竞买号: the only name other bidders ever see.
    pub bidder_number: Arc<str>,
    /// 优先购买权 rank: 1 is the highest right; `None` for ordinary bidders.
    pub priority_rank: Option<u32>,
    pub eligibility: Eligibility,
    /// The account is suspended (停用) until then: its bids are refused until that time
    /// whatever its standing in the lot, and accepted again after it without a word from
    /// storage.
    pub suspended_until_ms: Option<i64>,
}

impl Bidder {
    /// Whether the bidder may bid at `now_ms`: a suspension in force comes before the
    /// lot's own steps, since no step the bidder takes in the lot would lift it.
    pub fn eligibility_at(&self, now_ms: i64) -> Eligibility {
        match self.suspended_until_ms {
            Some(until_ms) if now_ms < until_ms => {
                Eligibility::Ineligible(IneligibleReason::Suspended)
            }
            _ => self.eligibility,
        }
    }
}
