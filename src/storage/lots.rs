//! Lots and their applications (报名).

use std::collections::HashSet;

use async_trait::async_trait;
use rand::Rng;
use rust_decimal::Decimal;

use crate::auction::{
    Bidder, Eligibility, ExtensionMode, IneligibleReason, LotResult, LotRules, LotState,
};
use crate::domain::{AccountId, ApplicationId, DepositTerms, LotId};
use crate::money::Money;

use super::StoreResult;

pub(super) mod ops;
pub(super) mod sql;

/// A lot as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lot {
    pub id: LotId,
    pub auctioneer_id: AccountId,
    pub title: String,
    pub description: String,
    pub currency: String,
    pub start_price: Money,
    pub increment: Money,
    pub reserve_price: Option<Money>,
    pub deposit: DepositTerms,
    pub fee_rate: Decimal,
    pub applications_close_at_ms: i64,
    pub deposit_deadline_ms: i64,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub extension_window_secs: u32,
    pub max_extensions: Option<u32>,
    pub extension_mode: ExtensionMode,
    pub settlement_due_at_ms: Option<i64>,
    /// The state as last stored; a live room knows better (see `crate::rooms`).
    pub state: LotState,
    pub result: Option<LotResult>,
    pub created_at_ms: i64,
}

impl Lot {
    /// The bidding terms a room runs on.
    pub fn rules(&self) -> LotRules {
        LotRules {
            start_price: self.start_price,
            increment: self.increment,
            reserve_price: self.reserve_price,
            extension_window_ms: i64::from(self.extension_window_secs) * 1000,
            max_extensions: self.max_extensions,
            extension_mode: self.extension_mode,
            starts_at_ms: self.starts_at_ms,
            ends_at_ms: self.ends_at_ms,
        }
    }
}

/// A registered bidder of a lot with what the auctioneer's monitor view shows of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterEntry {
    pub bidder: Bidder,
    pub username: String,
    pub display_name: String,
}

#[async_trait]
pub trait LotStore {
    async fn get_lot(&self, id: LotId) -> StoreResult<Option<Lot>>;

    /// Lots that need a room: `published`, `open` or `paused`.
    async fn live_lots(&self) -> StoreResult<Vec<Lot>>;

    /// Every application of the lot that has a bidder number or could get one, with the
    /// eligibility the room enforces (verified, approved, deposit lodged, not disqualified).
    async fn lot_roster(&self, lot: LotId) -> StoreResult<Vec<RosterEntry>>;

    /// One account's entry in a lot's roster (after an approval, deposit or guarantee).
    async fn roster_entry(
        &self,
        lot: LotId,
        account: AccountId,
    ) -> StoreResult<Option<RosterEntry>>;

    /// Stores a new lot as a `draft`.
    async fn create_lot(&self, lot: &NewLot, now_ms: i64) -> StoreResult<Lot>;

    /// Lots newest first, as the filter allows.
    async fn list_lots(&self, filter: &LotFilter) -> StoreResult<Vec<Lot>>;

    /// `draft` → `published`; any other state is `Conflict::LotNotDraft`.
    async fn publish_lot(&self, id: LotId) -> StoreResult<Lot>;

    /// A `pending` application; a second one by the same account is
    /// `Conflict::AlreadyApplied`.
    async fn create_application(
        &self,
        lot: LotId,
        account: AccountId,
        now_ms: i64,
    ) -> StoreResult<Application>;

    async fn get_application(&self, id: ApplicationId) -> StoreResult<Option<Application>>;

    /// Every application of the lot with its applicant, oldest first.
    async fn lot_applications(&self, lot: LotId) -> StoreResult<Vec<ApplicationListing>>;

    /// `pending` → `approved` with a new random bidder number unique within the lot; any
    /// other status is `Conflict::ApplicationNotPending`.
    async fn approve_application(
        &self,
        id: ApplicationId,
        priority_rank: Option<u32>,
        now_ms: i64,
    ) -> StoreResult<Application>;

    /// `pending` → `rejected`; any other status is `Conflict::ApplicationNotPending`.
    async fn reject_application(
        &self,
        id: ApplicationId,
        reason: &str,
        now_ms: i64,
    ) -> StoreResult<Application>;
}

/// A lot about to be created (as a `draft`), its terms already validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLot {
    pub auctioneer_id: AccountId,
    pub title: String,
    pub description: String,
    pub currency: String,
    pub start_price: Money,
    pub increment: Money,
    pub reserve_price: Option<Money>,
    pub deposit: DepositTerms,
    pub fee_rate: Decimal,
    pub applications_close_at_ms: i64,
    pub deposit_deadline_ms: i64,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub extension_window_secs: u32,
    pub max_extensions: Option<u32>,
    pub extension_mode: ExtensionMode,
    pub settlement_due_at_ms: Option<i64>,
}

/// Which lots a listing shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LotFilter {
    pub state: Option<LotState>,
    pub drafts: DraftVisibility,
    pub limit: u32,
}

/// Drafts are private to their auctioneer (and admins).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DraftVisibility {
    NoDrafts,
    OwnedBy(AccountId),
    AllDrafts,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApplicationStatus {
    Pending,
    Approved,
    Rejected,
}

impl ApplicationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Pending => "pending",
            ApplicationStatus::Approved => "approved",
            ApplicationStatus::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<ApplicationStatus> {
        Some(match text {
            "pending" => ApplicationStatus::Pending,
            "approved" => ApplicationStatus::Approved,
            "rejected" => ApplicationStatus::Rejected,
            _ => return None,
        })
    }
}

/// Whether the application's deposit is lodged (cash frozen in full, or a guarantee of at
/// least the deposit accepted). Set by the money code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositStatus {
    None,
    Lodged,
}

impl DepositStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DepositStatus::None => "none",
            DepositStatus::Lodged => "lodged",
        }
    }

    pub fn parse(text: &str) -> Option<DepositStatus> {
        Some(match text {
            "none" => DepositStatus::None,
            "lodged" => DepositStatus::Lodged,
            _ => return None,
        })
    }
}

/// An application (报名) of an account for a lot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub id: ApplicationId,
    pub lot_id: LotId,
    pub account_id: AccountId,
    pub status: ApplicationStatus,
    pub priority_rank: Option<u32>,
    /// 竞买号, assigned at approval.
    pub bidder_number: Option<String>,
    pub reject_reason: Option<String>,
    pub deposit_status: DepositStatus,
    pub disqualified: bool,
    pub created_at_ms: i64,
    pub decided_at_ms: Option<i64>,
}

/// An application with who made it (for the lot's auctioneer and admins).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplicationListing {
    pub application: Application,
    pub username: String,
    pub display_name: String,
    pub verified: bool,
}

/// What the room enforces, in SPEC §2's order: verified, approved, deposit lodged, not
/// disqualified.
pub fn eligibility(
    verified: bool,
    status: ApplicationStatus,
    deposit_status: DepositStatus,
    disqualified: bool,
) -> Eligibility {
    let reason = if !verified {
        IneligibleReason::NotVerified
    } else if status != ApplicationStatus::Approved {
        IneligibleReason::NotApproved
    } else if deposit_status != DepositStatus::Lodged {
        IneligibleReason::DepositNotLodged
    } else if disqualified {
        IneligibleReason::Disqualified
    } else {
        return Eligibility::Eligible;
    };
    Eligibility::Ineligible(reason)
}

/// The fewest digits a bidder number has (`"0427"`).
const BIDDER_NUMBER_MIN_DIGITS: u32 = 4;

/// How many digits a lot's next bidder number gets: 4, or more once half of the numbers of
/// that width are taken, so that a random draw hits a free number at least half the time
/// and numbers stay hard to guess.
pub fn bidder_number_digits(taken: usize) -> u32 {
    let mut digits = BIDDER_NUMBER_MIN_DIGITS;
    while (taken as u128) * 2 >= 10u128.pow(digits) {
        digits += 1;
    }
    digits
}

/// A random bidder number (竞买号) not among `taken`: a string of digits, zero-padded.
pub fn new_bidder_number(taken: &HashSet<String>) -> String {
    let digits = bidder_number_digits(taken.len());
    let mut rng = rand::rng();
    loop {
        let number = rng.random_range(0..10u64.pow(digits));
        let text = format!("{number:0width$}", width = digits as usize);
        if !taken.contains(&text) {
            return text;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eligibility_is_checked_in_the_spec_order() {
        use ApplicationStatus::*;
        let check = |verified, status, deposit, disqualified| {
            eligibility(verified, status, deposit, disqualified)
        };
        let ineligible = Eligibility::Ineligible;
        assert_eq!(
            check(false, Pending, DepositStatus::None, true),
            ineligible(IneligibleReason::NotVerified)
        );
        assert_eq!(
            check(true, Rejected, DepositStatus::Lodged, true),
            ineligible(IneligibleReason::NotApproved)
        );
        assert_eq!(
            check(true, Approved, DepositStatus::None, true),
            ineligible(IneligibleReason::DepositNotLodged)
        );
        assert_eq!(
            check(true, Approved, DepositStatus::Lodged, true),
            ineligible(IneligibleReason::Disqualified)
        );
        assert_eq!(
            check(true, Approved, DepositStatus::Lodged, false),
            Eligibility::Eligible
        );
    }

    #[test]
    fn bidder_numbers_have_four_digits_until_half_are_taken() {
        assert_eq!(bidder_number_digits(0), 4);
        assert_eq!(bidder_number_digits(4_999), 4);
        assert_eq!(bidder_number_digits(5_000), 5);
        assert_eq!(bidder_number_digits(50_000), 6);
    }

    #[test]
    fn a_new_bidder_number_is_zero_padded_digits_and_free() {
        let mut taken = HashSet::new();
        for _ in 0..3_000 {
            let number = new_bidder_number(&taken);
            assert_eq!(number.len(), 4);
            assert!(number.bytes().all(|b| b.is_ascii_digit()));
            assert!(taken.insert(number));
        }
    }
}
