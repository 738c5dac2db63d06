//! The SQL and row types both databases share: the text is written once, and a row type
//! is generic over how the database keeps decimals (TEXT in SQLite, NUMERIC in
//! PostgreSQL).

use std::str::FromStr;
use std::sync::Arc;

use rust_decimal::Decimal;

use crate::auction::{Bidder, ExtensionMode, LotResult, LotState};
use crate::domain::DepositTerms;
use crate::money::Money;
use crate::storage::{Conflict, StoreError, StoreResult};

use super::{
    Application, ApplicationListing, ApplicationStatus, DepositStatus, DraftVisibility, Lot,
    LotFilter, NewLot, RosterEntry, eligibility,
};

/// How many times to retry an approval whose bidder number another approval took at the
/// same moment.
pub(in crate::storage) const BIDDER_NUMBER_ATTEMPTS: usize = 8;

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

pub(in crate::storage) const INSERT_LOT: &str = concat!(
    "INSERT INTO lots (auctioneer_id, title, description, currency, start_price, increment, \
     reserve_price, deposit_kind, deposit_min, deposit_max, fee_rate, \
     applications_close_at_ms, deposit_deadline_ms, starts_at_ms, ends_at_ms, \
     extension_window_secs, max_extensions, extension_mode, settlement_due_at_ms, \
     state, created_at_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
     $18, $19, 'draft', $20) RETURNING ",
    lot_columns!()
);

pub(in crate::storage) const SELECT_LOT: &str =
    concat!("SELECT ", lot_columns!(), " FROM lots WHERE id = $1");

pub(in crate::storage) const SELECT_LIVE_LOTS: &str = concat!(
    "SELECT ",
    lot_columns!(),
    " FROM lots WHERE state IN ('published', 'open', 'paused') ORDER BY id"
);

/// $1: the state or NULL; $2: the account whose drafts show (0: nobody's); $3: 1 if all
/// drafts show; $4: the limit.
pub(in crate::storage) const SELECT_LOTS: &str = concat!(
    "SELECT ",
    lot_columns!(),
    " FROM lots WHERE ($1 IS NULL OR state = $1) \
     AND (state <> 'draft' OR auctioneer_id = $2 OR $3 = 1) \
     ORDER BY created_at_ms DESC, id DESC LIMIT $4"
);

pub(in crate::storage) const PUBLISH_LOT: &str = concat!(
    "UPDATE lots SET state = 'published' WHERE id = $1 AND state = 'draft' RETURNING ",
    lot_columns!()
);

pub(in crate::storage) const INSERT_APPLICATION: &str = concat!(
    "INSERT INTO applications (lot_id, account_id, status, deposit_status, disqualified, \
     created_at_ms) VALUES ($1, $2, 'pending', 'none', 0, $3) RETURNING ",
    application_columns!("")
);

pub(in crate::storage) const SELECT_APPLICATION: &str = concat!(
    "SELECT ",
    application_columns!(""),
    " FROM applications WHERE id = $1"
);

pub(in crate::storage) const SELECT_LOT_APPLICATIONS: &str = concat!(
    "SELECT ",
    application_columns!("ap."),
    ", a.username, a.display_name, a.verified_at_ms \
     FROM applications ap JOIN accounts a ON a.id = ap.account_id \
     WHERE ap.lot_id = $1 ORDER BY ap.id"
);

/// The bidder numbers taken in the lot of application $1.
pub(in crate::storage) const SELECT_TAKEN_BIDDER_NUMBERS: &str = "SELECT bidder_number FROM applications \
     WHERE lot_id = (SELECT lot_id FROM applications WHERE id = $1) \
     AND bidder_number IS NOT NULL";

pub(in crate::storage) const APPROVE_APPLICATION: &str = concat!(
    "UPDATE applications SET status = 'approved', bidder_number = $2, priority_rank = $3, \
     decided_at_ms = $4 WHERE id = $1 AND status = 'pending' RETURNING ",
    application_columns!("")
);

pub(in crate::storage) const REJECT_APPLICATION: &str = concat!(
    "UPDATE applications SET status = 'rejected', reject_reason = $2, decided_at_ms = $3 \
     WHERE id = $1 AND status = 'pending' RETURNING ",
    application_columns!("")
);

/// The roster's columns and join, for `concat!`.
macro_rules! roster_select {
    () => {
        "SELECT ap.account_id, ap.bidder_number, ap.priority_rank, ap.status, \
         ap.deposit_status, ap.disqualified, a.verified_at_ms, a.username, a.display_name, \
         a.suspended_until_ms FROM applications ap JOIN accounts a ON a.id = ap.account_id"
    };
}

pub(in crate::storage) const SELECT_ROSTER: &str =
    concat!(roster_select!(), " WHERE ap.lot_id = $1 ORDER BY ap.id");

pub(in crate::storage) const SELECT_ROSTER_ENTRY: &str = concat!(
    roster_select!(),
    " WHERE ap.lot_id = $1 AND ap.account_id = $2"
);

/// A decimal column: TEXT in SQLite, NUMERIC in PostgreSQL.
pub(in crate::storage) trait StoredDecimal {
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

/// A `lots` row; `M` is how the database keeps decimals.
#[derive(sqlx::FromRow)]
pub(in crate::storage) struct LotRow<M> {
    id: i64,
    auctioneer_id: i64,
    title: String,
    description: String,
    currency: String,
    start_price: M,
    increment: M,
    reserve_price: Option<M>,
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
    pub(in crate::storage) fn into_lot(self) -> StoreResult<Lot> {
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
    pub(in crate::storage) fn deposit_columns(&self) -> (&'static str, Money, Money) {
        match self.deposit {
            DepositTerms::Fixed(amount) => ("fixed", amount, amount),
            DepositTerms::Range { min, max } => ("range", min, max),
        }
    }
}

/// Binds a [`NewLot`] to [`INSERT_LOT`]; `decimal` turns amounts and the fee rate into the
/// database's decimal column type.
pub(in crate::storage) fn bind_new_lot<'q, DB, M>(
    query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>,
    lot: &'q NewLot,
    now_ms: i64,
    decimal: impl Fn(Decimal) -> M,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments<'q>>
where
    DB: sqlx::Database,
    M: sqlx::Encode<'q, DB> + sqlx::Type<DB> + Send + 'q,
    Option<M>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
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
        .bind(lot.reserve_price.map(|reserve| decimal(reserve.decimal())))
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
    pub(in crate::storage) fn parameters(&self) -> (Option<&'static str>, i64, i64, i64) {
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
pub(in crate::storage) struct ApplicationRow {
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
    pub(in crate::storage) fn into_application(self) -> StoreResult<Application> {
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
pub(in crate::storage) struct ApplicationListingRow {
    #[sqlx(flatten)]
    application: ApplicationRow,
    username: String,
    display_name: String,
    verified_at_ms: Option<i64>,
}

impl ApplicationListingRow {
    pub(in crate::storage) fn into_listing(self) -> StoreResult<ApplicationListing> {
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
pub(in crate::storage) struct RosterRow {
    account_id: i64,
    bidder_number: Option<String>,
    priority_rank: Option<i64>,
    status: String,
    deposit_status: String,
    disqualified: i64,
    verified_at_ms: Option<i64>,
    username: String,
    display_name: String,
    suspended_until_ms: Option<i64>,
}

impl RosterRow {
    pub(in crate::storage) fn into_entry(self) -> StoreResult<RosterEntry> {
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
                suspended_until_ms: self.suspended_until_ms,
            },
            username: self.username,
            display_name: self.display_name,
        })
    }
}

/// Why an update that matched no row did not: the row is missing, or in another state.
pub(in crate::storage) fn missing_or_conflict<T>(
    exists: bool,
    conflict: Conflict,
) -> StoreResult<T> {
    if exists {
        Err(conflict.into())
    } else {
        Err(StoreError::NotFound)
    }
}
