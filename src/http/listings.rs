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
//! - `GET /accounts?verification=pending|verified&role=&kind=&before=&limit=` (admins): the
//!   accounts with their identities, newest first; `pending` are those not yet verified.
//! - `GET /settlements?status=open|paid|defaulted&before=&limit=` (admins): settlements
//!   with their lot and winner; `overdue` is true for an open one an admin may default now
//!   (past `due_at`, or at any time when the lot set none).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::AppState;
use crate::auction::LotState;
use crate::domain::{AccountKind, Role};
use crate::money::Money;
use crate::storage::listings::{
    AccountFilter, BidderApplication, DepositRecord, GuaranteeRecord, SettlementFilter,
    SettlementListing, Verification,
};
use crate::storage::money::{SettlementStatus, Withdrawal};
use crate::time_format;

use super::accounts::AccountJson;
use super::lots::ApplicationJson;
use super::lots::DepositJson as DepositTermsJson;
use super::money::SettlementJson;
use super::openapi::{ACCOUNTS, APPLICATIONS, ErrorBody, MONEY};
use super::{Admin, ApiError, Caller, Json, paging};
use crate::time_format::Rfc3339;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_applications))
        .routes(routes!(my_settlements))
        .routes(routes!(my_withdrawals))
        .routes(routes!(accounts))
        .routes(routes!(settlements))
}

/// One page unless `?limit=` says otherwise.
const DEFAULT_PAGE: u32 = 50;
/// The most one page holds: 200 applications × ~700 B of JSON = ~140 KiB.
const MAX_PAGE: u32 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// The last id of the page before (the next page holds older ones).
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
    /// At most this many (50 unless given).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
}

/// `?before=` and `?limit=`.
fn page(before: Option<&str>, limit: Option<&str>) -> Result<(Option<i64>, u32), ApiError> {
    let before = before
        .map(|text| paging::positive("before", text))
        .transpose()?;
    Ok((before, paging::limit(limit, DEFAULT_PAGE, MAX_PAGE)?))
}

fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    query
        .map(|Query(query)| query)
        .map_err(|rejection| ApiError::invalid(rejection.body_text()))
}

// ---------------------------------------------------------------------------------------
// GET /me/applications
// ---------------------------------------------------------------------------------------

/// One of the caller's applications, with its lot, deposit and latest guarantee.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MyApplication)]
struct MyApplicationJson {
    #[serde(flatten)]
    application: ApplicationJson,
    lot: LotSummaryJson,
    deposit: Option<DepositJson>,
    guarantee: Option<GuaranteeJson>,
}

/// The lot an application is for.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApplicationLot)]
struct LotSummaryJson {
    id: i64,
    title: String,
    #[schema(example = "CNY")]
    currency: String,
    /// The live state (from the room, when it runs).
    #[schema(value_type = String, example = "open")]
    state: &'static str,
    /// `sold` or `unsold` once closed.
    #[schema(value_type = Option<String>, example = "sold")]
    result: Option<&'static str>,
    deposit: DepositTermsJson,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    applications_close_at: i64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    deposit_deadline: i64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    starts_at: i64,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    ends_at: i64,
}

/// A cash deposit held for the application.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApplicationDeposit)]
struct DepositJson {
    /// `cash` or `guarantee`.
    #[schema(value_type = String, example = "cash")]
    kind: &'static str,
    amount: Money,
    /// `held`, `released`, `applied` or `forfeited`.
    #[schema(value_type = String, example = "held")]
    status: &'static str,
}

/// The application's latest electronic guarantee (电子保函).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ApplicationGuarantee)]
struct GuaranteeJson {
    id: i64,
    issuer: String,
    number: String,
    amount: Money,
    /// `pending`, `accepted`, `rejected`, `released` or `called`.
    #[schema(value_type = String, example = "accepted")]
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
        let terms = DepositTermsJson::from(lot.deposit);
        MyApplicationJson {
            application: application.into(),
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

/// The caller's own applications, newest first.
#[utoipa::path(
    get,
    path = "/me/applications",
    operation_id = "list_my_applications",
    tag = APPLICATIONS,
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "The caller's applications", body = Vec<MyApplicationJson>),
        (status = 400, description = "`invalid_input`: a bad `before` or `limit`", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
    )
)]
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

/// A settlement with its lot and winner.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = SettlementListing)]
struct SettlementListingJson {
    #[serde(flatten)]
    settlement: SettlementJson,
    lot_title: String,
    #[schema(example = "CNY")]
    currency: String,
    account_id: i64,
    winner_username: String,
    winner_display_name: String,
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
            settlement: SettlementJson::new(&settlement),
            lot_title: listed.lot_title,
            currency: listed.currency,
            account_id: settlement.account_id,
            winner_username: listed.winner_username,
            winner_display_name: listed.winner_display_name,
            overdue,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SettlementQuery {
    /// Only settlements in this status: `open`, `paid` or `defaulted`.
    #[param(value_type = Option<String>, example = "open")]
    status: Option<String>,
    /// The last `lot_id` of the page before.
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
    /// At most this many (50 unless given).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
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

/// The settlements of the lots the caller won, newest first.
#[utoipa::path(
    get,
    path = "/me/settlements",
    operation_id = "list_my_settlements",
    tag = MONEY,
    security(("bearer" = [])),
    params(SettlementQuery),
    responses(
        (status = 200, description = "The caller's settlements", body = Vec<SettlementListingJson>),
        (status = 400, description = "`invalid_input`: a bad status, `before` or `limit`", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
    )
)]
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

/// Every settlement, newest first (admins): those `overdue` may be defaulted.
#[utoipa::path(
    get,
    path = "/settlements",
    operation_id = "list_settlements",
    tag = MONEY,
    security(("bearer" = ["admin"])),
    params(SettlementQuery),
    responses(
        (status = 200, description = "The settlements", body = Vec<SettlementListingJson>),
        (status = 400, description = "`invalid_input`: a bad status, `before` or `limit`", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
    )
)]
async fn settlements(
    State(state): State<AppState>,
    _admin: Admin,
    settlement_query: Result<Query<SettlementQuery>, QueryRejection>,
) -> Result<Json<Vec<SettlementListingJson>>, ApiError> {
    let settlement_query = query(settlement_query)?;
    listed_settlements(&state, SettlementFilter::default(), settlement_query).await
}

// ---------------------------------------------------------------------------------------
// GET /me/withdrawals
// ---------------------------------------------------------------------------------------

/// A withdrawal (余额退还) the caller requested.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MyWithdrawal)]
struct WithdrawalJson {
    id: i64,
    amount: Money,
    #[schema(example = "CNY")]
    currency: String,
    account_number: String,
    /// `requested` or `paid`.
    #[schema(value_type = String, example = "requested")]
    status: &'static str,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
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

/// The caller's own withdrawals, newest first.
#[utoipa::path(
    get,
    path = "/me/withdrawals",
    operation_id = "list_my_withdrawals",
    tag = MONEY,
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "The caller's withdrawals", body = Vec<WithdrawalJson>),
        (status = 400, description = "`invalid_input`: a bad `before` or `limit`", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
    )
)]
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

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AccountQuery {
    /// `pending` (not yet real-name verified) or `verified`.
    #[param(value_type = Option<String>, example = "pending")]
    verification: Option<String>,
    /// Only accounts of this role: `bidder`, `auctioneer`, `admin` or `supervisor`.
    #[param(value_type = Option<String>, example = "bidder")]
    role: Option<String>,
    /// Only accounts of this kind: `individual` or `organisation`.
    #[param(value_type = Option<String>, example = "organisation")]
    kind: Option<String>,
    /// The last id of the page before.
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
    /// At most this many (50 unless given).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
}

/// Accounts with their identities, newest first (admins).
#[utoipa::path(
    get,
    path = "/accounts",
    operation_id = "list_accounts",
    tag = ACCOUNTS,
    security(("bearer" = ["admin"])),
    params(AccountQuery),
    responses(
        (status = 200, description = "The accounts", body = Vec<AccountJson>),
        (status = 400, description = "`invalid_input`: a bad verification, role, kind, `before` or `limit`", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
    )
)]
async fn accounts(
    State(state): State<AppState>,
    _admin: Admin,
    account_query: Result<Query<AccountQuery>, QueryRejection>,
) -> Result<Json<Vec<AccountJson>>, ApiError> {
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
                .ok_or_else(|| ApiError::invalid("role is bidder, auctioneer, admin or supervisor"))
        })
        .transpose()?;
    let kind = account_query
        .kind
        .as_deref()
        .map(|text| {
            AccountKind::parse(text)
                .ok_or_else(|| ApiError::invalid("kind is individual or organisation"))
        })
        .transpose()?;
    let (before, limit) = page(
        account_query.before.as_deref(),
        account_query.limit.as_deref(),
    )?;
    let filter = AccountFilter {
        verification,
        role,
        kind,
    };
    let accounts = state.store.accounts(&filter, before, limit).await?;
    Ok(Json(
        accounts
            .into_iter()
            .map(AccountJson::with_identity)
            .collect(),
    ))
}
