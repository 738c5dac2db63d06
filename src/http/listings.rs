//! The lists the browser pages read (SPEC §9): a bidder's own applications, settlements
//! and withdrawals, and for admins the accounts awaiting real-name verification and the
//! settlements by status.
//!
//! Choices where SPEC is silent:
//! - `GET /me/applications`, `GET /me/settlements` and `GET /me/withdrawals` show the
//!   caller's own, newest first, `?limit=` (default 50, at most 200) and `?before=ID` (the
//!   last id of the page before: an application's or withdrawal's `id`, a settlement's
//!   `lot_id`). An application carries its lot (title, currency, live state, deposit terms
//!   and deadlines), its deposit (`kind`, `amount`, `status`: `held`, `released`,
//!   `applied`, `forfeited`) and its latest guarantee, `null` when there is none.
//! - `GET /accounts?verification=pending|verified&role=&before=&limit=` (admins): the
//!   accounts with their identities, newest first; `pending` are those not yet verified.
//! - `GET /settlements?status=open|paid|defaulted&before=&limit=` (admins): settlements
//!   with their lot and winner; `overdue` is true for an open one an admin may default now
//!   (past `due_at`, or at any time when the lot set none).

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::auction::LotState;
use crate::money::Money;
use crate::storage::listings::{
    AccountFilter, BidderApplication, DepositRecord, GuaranteeRecord, SettlementFilter,
    SettlementListing, Verification,
};
use crate::storage::money::{SettlementStatus, Withdrawal};
use crate::storage::{DepositTerms, Role};
use crate::time_format;

use super::accounts::AccountJson;
use super::{ApiError, AppState, Caller, Json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/me/applications", get(my_applications))
        .route("/me/settlements", get(my_settlements))
        .route("/me/withdrawals", get(my_withdrawals))
        .route("/accounts", get(accounts))
        .route("/settlements", get(settlements))
}

/// One page unless `?limit=` says otherwise.
const DEFAULT_PAGE: u32 = 50;
/// The most one page holds: 200 applications × ~700 B of JSON = ~140 KiB.
const MAX_PAGE: u32 = 200;

#[derive(Debug, Deserialize)]
struct PageQuery {
    before: Option<String>,
    limit: Option<String>,
}

/// `?before=` and `?limit=`.
fn page(before: Option<&str>, limit: Option<&str>) -> Result<(Option<i64>, u32), ApiError> {
    let before = before
        .map(|text| {
            text.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| ApiError::invalid("before is a positive whole number"))
        })
        .transpose()?;
    let limit = match limit {
        None => DEFAULT_PAGE,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|limit| (1..=MAX_PAGE).contains(limit))
            .ok_or_else(|| {
                ApiError::invalid(format!("limit is a whole number from 1 to {MAX_PAGE}"))
            })?,
    };
    Ok((before, limit))
}

fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(query)| query)
        .map_err(|rejection| ApiError::invalid(rejection.body_text()))
}

// ---------------------------------------------------------------------------------------
// GET /me/applications
// ---------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct MyApplicationJson {
    id: i64,
    lot_id: i64,
    status: &'static str,
    deposit_status: &'static str,
    priority_rank: Option<u32>,
    bidder_number: Option<String>,
    reject_reason: Option<String>,
    #[serde(with = "time_format::rfc3339")]
    created_at: i64,
    #[serde(with = "time_format::rfc3339::option")]
    decided_at: Option<i64>,
    lot: LotSummaryJson,
    deposit: Option<DepositJson>,
    guarantee: Option<GuaranteeJson>,
}

#[derive(Debug, Serialize)]
struct LotSummaryJson {
    id: i64,
    title: String,
    currency: String,
    /// The live state (from the room, when it runs).
    state: &'static str,
    result: Option<&'static str>,
    deposit: DepositTermsJson,
    #[serde(with = "time_format::rfc3339")]
    applications_close_at: i64,
    #[serde(with = "time_format::rfc3339")]
    deposit_deadline: i64,
    #[serde(with = "time_format::rfc3339")]
    starts_at: i64,
    #[serde(with = "time_format::rfc3339")]
    ends_at: i64,
}

#[derive(Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum DepositTermsJson {
    Fixed { amount: Money },
    Range { min: Money, max: Money },
}

#[derive(Debug, Serialize)]
struct DepositJson {
    kind: &'static str,
    amount: Money,
    status: &'static str,
}

#[derive(Debug, Serialize)]
struct GuaranteeJson {
    id: i64,
    issuer: String,
    number: String,
    amount: Money,
    status: &'static str,
    reason: Option<String>,
}

impl MyApplicationJson {
    fn new(listed: BidderApplication, live_state: LotState) -> MyApplicationJson {
        let BidderApplication {
            application,
            lot,
            deposit,
            guarantee,
        } = listed;
        let terms = match lot.deposit {
            DepositTerms::Fixed(amount) => DepositTermsJson::Fixed { amount },
            DepositTerms::Range { min, max } => DepositTermsJson::Range { min, max },
        };
        MyApplicationJson {
            id: application.id,
            lot_id: application.lot_id,
            status: application.status.as_str(),
            deposit_status: application.deposit_status.as_str(),
            priority_rank: application.priority_rank,
            bidder_number: application.bidder_number,
            reject_reason: application.reject_reason,
            created_at: application.created_at_ms,
            decided_at: application.decided_at_ms,
            lot: LotSummaryJson {
                id: lot.id,
                title: lot.title,
                currency: lot.currency,
                state: live_state.as_str(),
                result: lot.result.map(|result| result.as_str()),
                deposit: terms,
                applications_close_at: lot.applications_close_at_ms,
                deposit_deadline: lot.deposit_deadline_ms,
                starts_at: lot.starts_at_ms,
                ends_at: lot.ends_at_ms,
            },
            deposit: deposit.map(
                |DepositRecord {
                     kind,
                     amount,
                     status,
                 }| DepositJson {
                    kind: kind.as_str(),
                    amount,
                    status: status.as_str(),
                },
            ),
            guarantee: guarantee.map(|guarantee: GuaranteeRecord| GuaranteeJson {
                id: guarantee.id,
                issuer: guarantee.issuer,
                number: guarantee.number,
                amount: guarantee.amount,
                status: guarantee.status.as_str(),
                reason: guarantee.reason,
            }),
        }
    }
}

async fn my_applications(
    State(state): State<AppState>,
    Caller(caller): Caller,
    page_query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<Vec<MyApplicationJson>>, ApiError> {
    let page_query = query(page_query)?;
    let (before, limit) = page(page_query.before.as_deref(), page_query.limit.as_deref())?;
    let listed = state
        .store
        .account_applications(caller.id, before, limit)
        .await?;
    let json = listed
        .into_iter()
        .map(|listed| {
            // A running room knows the state better than the stored row.
            let live_state = state
                .rooms
                .room(listed.lot.id)
                .map_or(listed.lot.state, |room| room.view().state);
            MyApplicationJson::new(listed, live_state)
        })
        .collect();
    Ok(Json(json))
}

// ---------------------------------------------------------------------------------------
// GET /me/settlements, GET /settlements
// ---------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct SettlementListingJson {
    lot_id: i64,
    lot_title: String,
    currency: String,
    account_id: i64,
    winner_username: String,
    winner_display_name: String,
    price: Money,
    fee: Money,
    deposit_applied: Money,
    amount_due: Money,
    amount_paid: Money,
    /// amount_due − amount_paid.
    balance: Money,
    #[serde(with = "time_format::rfc3339::option")]
    due_at: Option<i64>,
    status: &'static str,
    /// Open and past its due time: an admin may mark it defaulted now.
    overdue: bool,
}

impl SettlementListingJson {
    fn new(listed: SettlementListing, now_ms: i64) -> SettlementListingJson {
        let settlement = listed.settlement;
        let overdue = settlement.status == SettlementStatus::Open
            && settlement
                .due_at_ms
                .is_none_or(|due_at_ms| now_ms > due_at_ms);
        SettlementListingJson {
            lot_id: settlement.lot_id,
            lot_title: listed.lot_title,
            currency: listed.currency,
            account_id: settlement.account_id,
            winner_username: listed.winner_username,
            winner_display_name: listed.winner_display_name,
            price: settlement.price,
            fee: settlement.fee,
            deposit_applied: settlement.deposit_applied,
            amount_due: settlement.amount_due,
            amount_paid: settlement.amount_paid,
            balance: settlement.balance(),
            due_at: settlement.due_at_ms,
            status: settlement.status.as_str(),
            overdue,
        }
    }
}

#[derive(Debug, Deserialize)]
struct SettlementQuery {
    status: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

async fn listed_settlements(
    state: &AppState,
    filter: SettlementFilter,
    settlement_query: SettlementQuery,
) -> Result<Json<Vec<SettlementListingJson>>, ApiError> {
    let (before, limit) = page(
        settlement_query.before.as_deref(),
        settlement_query.limit.as_deref(),
    )?;
    let status = settlement_query
        .status
        .as_deref()
        .map(|text| {
            SettlementStatus::parse(text)
                .ok_or_else(|| ApiError::invalid("status is open, paid or defaulted"))
        })
        .transpose()?;
    let filter = SettlementFilter { status, ..filter };
    let listed = state.store.settlements(&filter, before, limit).await?;
    let now_ms = state.clock.now_ms();
    Ok(Json(
        listed
            .into_iter()
            .map(|listed| SettlementListingJson::new(listed, now_ms))
            .collect(),
    ))
}

async fn my_settlements(
    State(state): State<AppState>,
    Caller(caller): Caller,
    settlement_query: Result<Query<SettlementQuery>, QueryRejection>,
) -> Result<Json<Vec<SettlementListingJson>>, ApiError> {
    let settlement_query = query(settlement_query)?;
    let filter = SettlementFilter {
        account: Some(caller.id),
        ..SettlementFilter::default()
    };
    listed_settlements(&state, filter, settlement_query).await
}

async fn settlements(
    State(state): State<AppState>,
    caller: Caller,
    settlement_query: Result<Query<SettlementQuery>, QueryRejection>,
) -> Result<Json<Vec<SettlementListingJson>>, ApiError> {
    caller.require_admin()?;
    let settlement_query = query(settlement_query)?;
    listed_settlements(&state, SettlementFilter::default(), settlement_query).await
}

// ---------------------------------------------------------------------------------------
// GET /me/withdrawals
// ---------------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct WithdrawalJson {
    id: i64,
    amount: Money,
    currency: String,
    account_number: String,
    status: &'static str,
    #[serde(with = "time_format::rfc3339")]
    created_at: i64,
}

impl WithdrawalJson {
    fn new(withdrawal: Withdrawal) -> WithdrawalJson {
        WithdrawalJson {
            id: withdrawal.id,
            amount: withdrawal.amount,
            currency: withdrawal.currency,
            account_number: withdrawal.account_number,
            status: withdrawal.status.as_str(),
            created_at: withdrawal.created_at_ms,
        }
    }
}

async fn my_withdrawals(
    State(state): State<AppState>,
    Caller(caller): Caller,
    page_query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Json<Vec<WithdrawalJson>>, ApiError> {
    let page_query = query(page_query)?;
    let (before, limit) = page(page_query.before.as_deref(), page_query.limit.as_deref())?;
    let withdrawals = state
        .store
        .account_withdrawals(caller.id, before, limit)
        .await?;
    Ok(Json(
        withdrawals.into_iter().map(WithdrawalJson::new).collect(),
    ))
}

// ---------------------------------------------------------------------------------------
// GET /accounts
// ---------------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct AccountQuery {
    verification: Option<String>,
    role: Option<String>,
    before: Option<String>,
    limit: Option<String>,
}

async fn accounts(
    State(state): State<AppState>,
    caller: Caller,
    account_query: Result<Query<AccountQuery>, QueryRejection>,
) -> Result<Json<Vec<AccountJson>>, ApiError> {
    caller.require_admin()?;
    let account_query = query(account_query)?;
    let verification = match account_query.verification.as_deref() {
        None => None,
        Some("pending") => Some(Verification::Pending),
        Some("verified") => Some(Verification::Verified),
        Some(_) => return Err(ApiError::invalid("verification is pending or verified")),
    };
    let role = account_query
        .role
        .as_deref()
        .map(|text| {
            Role::parse(text)
                .ok_or_else(|| ApiError::invalid("role is bidder, auctioneer or admin"))
        })
        .transpose()?;
    let (before, limit) = page(
        account_query.before.as_deref(),
        account_query.limit.as_deref(),
    )?;
    let filter = AccountFilter { verification, role };
    let accounts = state.store.accounts(&filter, before, limit).await?;
    Ok(Json(
        accounts
            .into_iter()
            .map(AccountJson::with_identity)
            .collect(),
    ))
}
