//! Why a command was refused: one variant per rule, each with one stable wire code.

use crate::money::Money;

/// Why an account may not bid (SPEC §4, the `reason` of `not_eligible`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IneligibleReason {
    NotVerified,
    NotRegistered,
    NotApproved,
    DepositNotLodged,
    Disqualified,
    /// The account is suspended (停用) by an admin.
    Suspended,
}

impl IneligibleReason {
    pub fn as_str(self) -> &'static str {
        match self {
            IneligibleReason::NotVerified => "not_verified",
            IneligibleReason::NotRegistered => "not_registered",
            IneligibleReason::NotApproved => "not_approved",
            IneligibleReason::DepositNotLodged => "deposit_not_lodged",
            IneligibleReason::Disqualified => "disqualified",
            IneligibleReason::Suspended => "suspended",
        }
    }
}

/// A refused command, named after the rule it broke. Bid rules are checked in SPEC §2's
/// order, so a bid that breaks several gets the first one's rejection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The lot is not open for this command: not started, paused, closed, cancelled, or the
    /// deadline has passed; for `resume`, the lot is not paused.
    NotOpen,
    NotEligible(IneligibleReason),
    /// Not a positive amount with at most two decimal places.
    InvalidAmount,
    TooLow {
        min_next: Money,
    },
    BadIncrement {
        min_next: Money,
    },
    AlreadyLeading,
}

impl Rejection {
    /// The wire code (SPEC §4).
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::NotOpen => "not_open",
            Rejection::NotEligible(_) => "not_eligible",
            Rejection::InvalidAmount => "invalid_amount",
            Rejection::TooLow { .. } => "too_low",
            Rejection::BadIncrement { .. } => "bad_increment",
            Rejection::AlreadyLeading => "already_leading",
        }
    }

    /// A sentence for people.
    pub fn message(&self) -> &'static str {
        match self {
            Rejection::NotOpen => "the lot is not open for bidding",
            Rejection::NotEligible(_) => "you are not eligible to bid in this lot",
            Rejection::InvalidAmount => {
                "the amount must be a positive decimal with at most two decimal places"
            }
            Rejection::TooLow { .. } => "the amount is below the lowest acceptable bid",
            Rejection::BadIncrement { .. } => "the amount must raise the price by whole increments",
            Rejection::AlreadyLeading => "you are already the leading bidder",
        }
    }

    pub fn min_next(&self) -> Option<Money> {
        match self {
            Rejection::TooLow { min_next } | Rejection::BadIncrement { min_next } => {
                Some(*min_next)
            }
            _ => None,
        }
    }

    pub fn reason(&self) -> Option<IneligibleReason> {
        match self {
            Rejection::NotEligible(reason) => Some(*reason),
            _ => None,
        }
    }
}
