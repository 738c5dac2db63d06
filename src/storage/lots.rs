//! Lots and their applications (报名).

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use rand::Rng;
use rust_decimal::Decimal;

use crate::auction::{
    AccountId, Bidder, Eligibility, ExtensionMode, IneligibleReason, LotResult, LotRules, LotState,
};
use crate::money::Money;

use super::{ApplicationId, LotId, StoreError, StoreResult};

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

/// 保证金: a fixed amount, or for asset packages a range the bidder chooses in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepositTerms {
    Fixed(Money),
    Range { min: Money, max: Money },
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

    /// `draft` → `published`; any other state is `Conflict("not_draft")`.
    async fn publish_lot(&self, id: LotId) -> StoreResult<Lot>;

    /// A `pending` application; a second one by the same account is
    /// `Conflict("already_applied")`.
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
    /// other status is `Conflict("not_pending")`.
    async fn approve_application(
        &self,
        id: ApplicationId,
        priority_rank: Option<u32>,
        now_ms: i64,
    ) -> StoreResult<Application>;

    /// `pending` → `rejected`; any other status is `Conflict("not_pending")`.
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

// ---------------------------------------------------------------------------------------
// Shared by the SQLite and PostgreSQL implementations.
// ---------------------------------------------------------------------------------------

/// How many times to retry an approval whose bidder number another approval took at the
/// same moment.
pub(super) const BIDDER_NUMBER_ATTEMPTS: usize = 8;

/// The columns of a [`LotRow`].
macro_rules! lot_columns {
    () => {
        "id, auctioneer_id, title, description, currency, start_price, increment, \
         reserve_price, deposit_kind, deposit_min, deposit_max, fee_rate, \
         applications_close_at_ms, deposit_deadline_ms, starts_at_ms, ends_at_ms, \
         extension_window_secs, max_extensions, extension_mode, settlement_due_at_ms, \
         state, result, created_at_ms"
    };
}

/// The columns of an [`ApplicationRow`].
macro_rules! application_columns {
    ($table:literal) => {
        concat!(
            $table,
            "id, ",
            $table,
            "lot_id, ",
            $table,
            "account_id, ",
            $table,
            "status, ",
            $table,
            "priority_rank, ",
            $table,
            "bidder_number, ",
            $table,
            "reject_reason, ",
            $table,
            "deposit_status, ",
            $table,
            "disqualified, ",
            $table,
            "created_at_ms, ",
            $table,
            "decided_at_ms"
        )
    };
}

pub(super) const INSERT_LOT: &str = concat!(
    "INSERT INTO lots (auctioneer_id, title, description, currency, start_price, increment, \
     reserve_price, deposit_kind, deposit_min, deposit_max, fee_rate, \
     applications_close_at_ms, deposit_deadline_ms, starts_at_ms, ends_at_ms, \
     extension_window_secs, max_extensions, extension_mode, settlement_due_at_ms, \
     state, created_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
     $18, $19, 'draft', $20) RETURNING ",
    lot_columns!()
);

pub(super) const SELECT_LOT: &str = concat!("SELECT ", lot_columns!(), " FROM lots WHERE id = $1");

pub(super) const SELECT_LIVE_LOTS: &str = concat!(
    "SELECT ",
    lot_columns!(),
    " FROM lots WHERE state IN ('published', 'open', 'paused') ORDER BY id"
);

/// $1: the state or NULL; $2: the account whose drafts show (0: nobody's); $3: 1 if all
/// drafts show; $4: the limit.
pub(super) const SELECT_LOTS: &str = concat!(
    "SELECT ",
    lot_columns!(),
    " FROM lots WHERE ($1 IS NULL OR state = $1) \
     AND (state <> 'draft' OR auctioneer_id = $2 OR $3 = 1) \
     ORDER BY created_at_ms DESC, id DESC LIMIT $4"
);

pub(super) const PUBLISH_LOT: &str = concat!(
    "UPDATE lots SET state = 'published' WHERE id = $1 AND state = 'draft' RETURNING ",
    lot_columns!()
);

pub(super) const INSERT_APPLICATION: &str = concat!(
    "INSERT INTO applications (lot_id, account_id, status, deposit_status, disqualified, \
     created_at_ms) VALUES ($1, $2, 'pending', 'none', 0, $3) RETURNING ",
    application_columns!("")
);

pub(super) const SELECT_APPLICATION: &str = concat!(
    "SELECT ",
    application_columns!(""),
    " FROM applications WHERE id = $1"
);

pub(super) const SELECT_LOT_APPLICATIONS: &str = concat!(
    "SELECT ",
    application_columns!("ap."),
    ", a.username, a.display_name, a.verified_at_ms \
     FROM applications ap JOIN accounts a ON a.id = ap.account_id \
     WHERE ap.lot_id = $1 ORDER BY ap.id"
);

/// The bidder numbers taken in the lot of application $1.
pub(super) const SELECT_TAKEN_BIDDER_NUMBERS: &str = "SELECT bidder_number FROM applications \
     WHERE lot_id = (SELECT lot_id FROM applications WHERE id = $1) \
     AND bidder_number IS NOT NULL";

pub(super) const APPROVE_APPLICATION: &str = concat!(
    "UPDATE applications SET status = 'approved', bidder_number = $2, priority_rank = $3, \
     decided_at_ms = $4 WHERE id = $1 AND status = 'pending' RETURNING ",
    application_columns!("")
);

pub(super) const REJECT_APPLICATION: &str = concat!(
    "UPDATE applications SET status = 'rejected', reject_reason = $2, decided_at_ms = $3 \
     WHERE id = $1 AND status = 'pending' RETURNING ",
    application_columns!("")
);

/// The roster's columns and join, for `concat!`.
macro_rules! roster_select {
    () => {
        "SELECT ap.account_id, ap.bidder_number, ap.priority_rank, ap.status, \
         ap.deposit_status, ap.disqualified, a.verified_at_ms, a.username, a.display_name \
         FROM applications ap JOIN accounts a ON a.id = ap.account_id"
    };
}

pub(super) const SELECT_ROSTER: &str =
    concat!(roster_select!(), " WHERE ap.lot_id = $1 ORDER BY ap.id");

pub(super) const SELECT_ROSTER_ENTRY: &str = concat!(
    roster_select!(),
    " WHERE ap.lot_id = $1 AND ap.account_id = $2"
);

/// A decimal column: TEXT in SQLite, NUMERIC in PostgreSQL.
pub(super) trait StoredDecimal {
    fn into_decimal(self) -> StoreResult<Decimal>;
}

impl StoredDecimal for String {
    fn into_decimal(self) -> StoreResult<Decimal> {
        Decimal::from_str(&self).map_err(|error| {
            StoreError::Internal(anyhow::anyhow!(
                "stored decimal {self:?} is not one: {error}"
            ))
        })
    }
}

impl StoredDecimal for Decimal {
    fn into_decimal(self) -> StoreResult<Decimal> {
        Ok(self)
    }
}

fn stored_money(value: impl StoredDecimal) -> StoreResult<Money> {
    value.into_decimal().map(Money::from_decimal)
}

fn corrupt(what: &str, value: impl std::fmt::Debug) -> StoreError {
    StoreError::Internal(anyhow::anyhow!("stored {what} {value:?} is not valid"))
}

/// A `lots` row; `M` is how the database keeps decimals. `reserve_price` is TEXT in both.
#[derive(sqlx::FromRow)]
pub(super) struct LotRow<M> {
    id: i64,
    auctioneer_id: i64,
    title: String,
    description: String,
    currency: String,
    start_price: M,
    increment: M,
    reserve_price: Option<String>,
    deposit_kind: String,
    deposit_min: M,
    deposit_max: M,
    fee_rate: M,
    applications_close_at_ms: i64,
    deposit_deadline_ms: i64,
    starts_at_ms: i64,
    ends_at_ms: i64,
    extension_window_secs: i64,
    max_extensions: Option<i64>,
    extension_mode: String,
    settlement_due_at_ms: Option<i64>,
    state: String,
    result: Option<String>,
    created_at_ms: i64,
}

impl<M: StoredDecimal> LotRow<M> {
    pub(super) fn into_lot(self) -> StoreResult<Lot> {
        let deposit = match self.deposit_kind.as_str() {
            "fixed" => DepositTerms::Fixed(stored_money(self.deposit_min)?),
            "range" => DepositTerms::Range {
                min: stored_money(self.deposit_min)?,
                max: stored_money(self.deposit_max)?,
            },
            other => return Err(corrupt("deposit kind", other)),
        };
        let result = match self.result.as_deref() {
            None => None,
            Some("sold") => Some(LotResult::Sold),
            Some("unsold") => Some(LotResult::Unsold),
            Some(other) => return Err(corrupt("lot result", other)),
        };
        Ok(Lot {
            id: self.id,
            auctioneer_id: self.auctioneer_id,
            title: self.title,
            description: self.description,
            currency: self.currency,
            start_price: stored_money(self.start_price)?,
            increment: stored_money(self.increment)?,
            reserve_price: self.reserve_price.map(stored_money).transpose()?,
            deposit,
            fee_rate: self.fee_rate.into_decimal()?,
            applications_close_at_ms: self.applications_close_at_ms,
            deposit_deadline_ms: self.deposit_deadline_ms,
            starts_at_ms: self.starts_at_ms,
            ends_at_ms: self.ends_at_ms,
            extension_window_secs: u32::try_from(self.extension_window_secs)
                .map_err(|_| corrupt("extension window", self.extension_window_secs))?,
            max_extensions: self
                .max_extensions
                .map(|max| u32::try_from(max).map_err(|_| corrupt("max extensions", max)))
                .transpose()?,
            extension_mode: ExtensionMode::parse(&self.extension_mode)
                .ok_or_else(|| corrupt("extension mode", &self.extension_mode))?,
            settlement_due_at_ms: self.settlement_due_at_ms,
            state: LotState::parse(&self.state).ok_or_else(|| corrupt("lot state", &self.state))?,
            result,
            created_at_ms: self.created_at_ms,
        })
    }
}

impl NewLot {
    /// (kind, min, max) as stored: a fixed deposit keeps its amount in both columns.
    pub(super) fn deposit_columns(&self) -> (&'static str, Money, Money) {
        match self.deposit {
            DepositTerms::Fixed(amount) => ("fixed", amount, amount),
            DepositTerms::Range { min, max } => ("range", min, max),
        }
    }
}

/// Binds a [`NewLot`] to [`INSERT_LOT`]; `decimal` turns amounts and the fee rate into the
/// database's decimal column type.
pub(super) fn bind_new_lot<'q, DB, M>(
    query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    lot: &'q NewLot,
    now_ms: i64,
    decimal: impl Fn(Decimal) -> M,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    M: sqlx::Encode<'q, DB> + sqlx::Type<DB> + Send + 'q,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    let (deposit_kind, deposit_min, deposit_max) = lot.deposit_columns();
    query
        .bind(lot.auctioneer_id)
        .bind(lot.title.as_str())
        .bind(lot.description.as_str())
        .bind(lot.currency.as_str())
        .bind(decimal(lot.start_price.decimal()))
        .bind(decimal(lot.increment.decimal()))
        .bind(lot.reserve_price.map(|reserve| reserve.to_string()))
        .bind(deposit_kind)
        .bind(decimal(deposit_min.decimal()))
        .bind(decimal(deposit_max.decimal()))
        .bind(decimal(lot.fee_rate))
        .bind(lot.applications_close_at_ms)
        .bind(lot.deposit_deadline_ms)
        .bind(lot.starts_at_ms)
        .bind(lot.ends_at_ms)
        .bind(i64::from(lot.extension_window_secs))
        .bind(lot.max_extensions.map(i64::from))
        .bind(lot.extension_mode.as_str())
        .bind(lot.settlement_due_at_ms)
        .bind(now_ms)
}

impl LotFilter {
    /// The parameters $1 to $4 of [`SELECT_LOTS`].
    pub(super) fn parameters(&self) -> (Option<&'static str>, i64, i64, i64) {
        let (owner, all) = match self.drafts {
            DraftVisibility::NoDrafts => (0, 0),
            DraftVisibility::OwnedBy(account) => (account, 0),
            DraftVisibility::AllDrafts => (0, 1),
        };
        (
            self.state.map(LotState::as_str),
            owner,
            all,
            i64::from(self.limit),
        )
    }
}

/// An `applications` row.
#[derive(sqlx::FromRow)]
pub(super) struct ApplicationRow {
    id: i64,
    lot_id: i64,
    account_id: i64,
    status: String,
    priority_rank: Option<i64>,
    bidder_number: Option<String>,
    reject_reason: Option<String>,
    deposit_status: String,
    disqualified: i64,
    created_at_ms: i64,
    decided_at_ms: Option<i64>,
}

impl ApplicationRow {
    pub(super) fn into_application(self) -> StoreResult<Application> {
        Ok(Application {
            id: self.id,
            lot_id: self.lot_id,
            account_id: self.account_id,
            status: ApplicationStatus::parse(&self.status)
                .ok_or_else(|| corrupt("application status", &self.status))?,
            priority_rank: stored_rank(self.priority_rank)?,
            bidder_number: self.bidder_number,
            reject_reason: self.reject_reason,
            deposit_status: DepositStatus::parse(&self.deposit_status)
                .ok_or_else(|| corrupt("deposit status", &self.deposit_status))?,
            disqualified: self.disqualified != 0,
            created_at_ms: self.created_at_ms,
            decided_at_ms: self.decided_at_ms,
        })
    }
}

fn stored_rank(rank: Option<i64>) -> StoreResult<Option<u32>> {
    rank.map(|rank| u32::try_from(rank).map_err(|_| corrupt("priority rank", rank)))
        .transpose()
}

/// An application with its applicant.
#[derive(sqlx::FromRow)]
pub(super) struct ApplicationListingRow {
    #[sqlx(flatten)]
    application: ApplicationRow,
    username: String,
    display_name: String,
    verified_at_ms: Option<i64>,
}

impl ApplicationListingRow {
    pub(super) fn into_listing(self) -> StoreResult<ApplicationListing> {
        Ok(ApplicationListing {
            application: self.application.into_application()?,
            username: self.username,
            display_name: self.display_name,
            verified: self.verified_at_ms.is_some(),
        })
    }
}

/// A roster row: an application and what the room needs of its applicant.
#[derive(sqlx::FromRow)]
pub(super) struct RosterRow {
    account_id: i64,
    bidder_number: Option<String>,
    priority_rank: Option<i64>,
    status: String,
    deposit_status: String,
    disqualified: i64,
    verified_at_ms: Option<i64>,
    username: String,
    display_name: String,
}

impl RosterRow {
    pub(super) fn into_entry(self) -> StoreResult<RosterEntry> {
        let status = ApplicationStatus::parse(&self.status)
            .ok_or_else(|| corrupt("application status", &self.status))?;
        let deposit_status = DepositStatus::parse(&self.deposit_status)
            .ok_or_else(|| corrupt("deposit status", &self.deposit_status))?;
        let eligibility = eligibility(
            self.verified_at_ms.is_some(),
            status,
            deposit_status,
            self.disqualified != 0,
        );
        Ok(RosterEntry {
            bidder: Bidder {
                account: self.account_id,
                bidder_number: Arc::from(self.bidder_number.unwrap_or_default()),
                priority_rank: stored_rank(self.priority_rank)?,
                eligibility,
            },
            username: self.username,
            display_name: self.display_name,
        })
    }
}

/// Why an update that matched no row did not: the row is missing, or in another state.
pub(super) fn missing_or_conflict<T>(
    exists: bool,
    code: &'static str,
    message: &str,
) -> StoreResult<T> {
    if exists {
        Err(StoreError::conflict(code, message))
    } else {
        Err(StoreError::NotFound)
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
