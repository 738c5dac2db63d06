//! `GET /wallet` and the ledger's reconciliation.

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::AppState;
use crate::domain::AccountId;
use crate::ledger::Reconciliation;
use crate::money::Money;
use crate::storage::money::{WalletEntry, WalletPage, WalletSummary};
use crate::time_format::{self, Rfc3339};

use super::super::openapi::{ErrorBody, MONEY};
use super::super::{Admin, ApiError, Caller, Json, paging};
use super::not_found_as;

/// Entries (or guarantees) per page unless `?limit=` says otherwise.
const DEFAULT_ENTRIES: u32 = 50;
/// The most one page holds: 200 × ~250 B of JSON = ~50 KiB.
const MAX_ENTRIES: u32 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct WalletQuery {
    /// Another account's wallet (admins only).
    #[param(value_type = Option<i64>, minimum = 1)]
    account_id: Option<String>,
    /// Only entries older than this entry id: the previous page's `next_cursor`.
    #[param(value_type = Option<i64>, minimum = 1)]
    before: Option<String>,
    /// At most this many entries (50 unless given).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    limit: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Wallet)]
pub(super) struct WalletJson {
    /// The 12-digit virtual account number (虚拟子账号) bank transfers are made to.
    #[schema(example = "621000000017")]
    account_number: String,
    #[schema(example = "CNY")]
    currency: String,
    available: Money,
    frozen: Money,
    /// Newest first.
    entries: Vec<EntryJson>,
    /// Present while older entries remain: pass it as `?before=`.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = WalletEntry)]
struct EntryJson {
    id: i64,
    transaction_id: i64,
    /// The ledger transaction's kind: `top_up`, `deposit_freeze`, `deposit_release`,
    /// `withdrawal`, `settlement_payment`, ...
    #[schema(example = "top_up")]
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    lot_id: Option<i64>,
    /// Which half of the wallet moved: `available` or `frozen`.
    #[schema(value_type = String, example = "available")]
    bucket: &'static str,
    /// Signed: negative when money left this half.
    amount: Money,
    balance_after: Money,
    #[serde(with = "time_format::rfc3339")]
    #[schema(value_type = Rfc3339)]
    at: i64,
}

impl WalletJson {
    fn new(summary: WalletSummary, page: WalletPage) -> WalletJson {
        WalletJson {
            account_number: summary.account_number,
            currency: summary.currency,
            available: summary.available,
            frozen: summary.frozen,
            entries: page.entries.into_iter().map(EntryJson::new).collect(),
            next_cursor: page.next_before,
        }
    }
}

impl EntryJson {
    fn new(entry: WalletEntry) -> EntryJson {
        EntryJson {
            id: entry.id,
            transaction_id: entry.transaction_id,
            kind: entry.kind,
            lot_id: entry.lot_id,
            bucket: entry.bucket.as_str(),
            amount: entry.amount,
            balance_after: entry.balance_after,
            at: entry.at_ms,
        }
    }
}

/// The caller's wallet, or with `?account_id=` any account's for an admin.
#[utoipa::path(
    get,
    path = "/wallet",
    operation_id = "get_wallet",
    tag = MONEY,
    security(("bearer" = [])),
    params(WalletQuery),
    responses(
        (status = 200, description = "The wallet and a page of its entries", body = WalletJson),
        (status = 400, description = "`invalid_input`: a bad `account_id`, `before` or `limit`", body = ErrorBody),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: another's wallet without being an admin", body = ErrorBody),
        (status = 404, description = "`not_found`: no such wallet", body = ErrorBody),
    )
)]
pub(super) async fn show(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<WalletQuery>, QueryRejection>,
) -> Result<Json<WalletJson>, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::invalid(rejection.body_text()))?;
    let account = match query.account_id.as_deref() {
        None => caller.id,
        Some(text) => {
            let account = paging::positive("account_id", text)?;
            if account != caller.id && !caller.role.oversees_everything() {
                return Err(ApiError::forbidden(
                    "only an admin may see another's wallet",
                ));
            }
            account
        }
    };
    let before = query
        .before
        .as_deref()
        .map(|text| paging::positive("before", text))
        .transpose()?;
    let limit = page_limit(query.limit.as_deref())?;
    let summary = state
        .store
        .wallet_summary(account)
        .await
        .map_err(not_found_as("wallet"))?;
    let page = state.store.wallet_entries(account, before, limit).await?;
    Ok(Json(WalletJson::new(summary, page)))
}

/// `?limit=`: 1 to 200, 50 when absent.
pub(super) fn page_limit(text: Option<&str>) -> Result<u32, ApiError> {
    paging::limit(text, DEFAULT_ENTRIES, MAX_ENTRIES)
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Reconciliation)]
pub(super) struct ReconciliationJson {
    consistent: bool,
    /// The sum of every ledger balance: zero.
    total: Money,
    accounts: Vec<AccountJson>,
    mismatched_accounts: Vec<String>,
    unbalanced_transactions: Vec<i64>,
    wrong_sign_balances: Vec<String>,
    frozen_mismatches: Vec<FrozenMismatchJson>,
    misresolved_holds: Vec<i64>,
    /// Deposits by status (`held`, `released`, `applied`, `forfeited`): how many, and
    /// their total.
    #[schema(value_type = BTreeMap<String, HoldTotalsJson>)]
    holds: BTreeMap<&'static str, HoldTotalsJson>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = FrozenMismatch)]
struct FrozenMismatchJson {
    #[schema(value_type = i64)]
    account_id: AccountId,
    frozen: Money,
    held: Money,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = HoldTotals)]
struct HoldTotalsJson {
    count: u64,
    amount: Money,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = LedgerAccountBalance)]
struct AccountJson {
    name: String,
    balance: Money,
    entries_sum: Money,
}

impl ReconciliationJson {
    fn new(report: Reconciliation) -> ReconciliationJson {
        ReconciliationJson {
            consistent: report.is_consistent(),
            total: report.total,
            accounts: report
                .accounts
                .into_iter()
                .map(|account| AccountJson {
                    name: account.name,
                    balance: account.balance,
                    entries_sum: account.entries_sum,
                })
                .collect(),
            mismatched_accounts: report.mismatched_accounts,
            unbalanced_transactions: report.unbalanced_transactions,
            wrong_sign_balances: report.wrong_sign_balances,
            frozen_mismatches: report
                .frozen_mismatches
                .into_iter()
                .map(|mismatch| FrozenMismatchJson {
                    account_id: mismatch.account_id,
                    frozen: mismatch.frozen,
                    held: mismatch.held,
                })
                .collect(),
            misresolved_holds: report.misresolved_holds,
            holds: report
                .holds
                .into_iter()
                .map(|(status, totals)| {
                    let totals = HoldTotalsJson {
                        count: totals.count,
                        amount: totals.amount,
                    };
                    (status, totals)
                })
                .collect(),
        }
    }
}

/// `GET /ledger/reconciliation` (admin): every ledger account's kept balance beside the
/// sum of its entries, whether the whole ledger sums to zero, and every invariant that
/// does not hold (see [`Reconciliation`]); `consistent` is true when all hold.
#[utoipa::path(
    get,
    path = "/ledger/reconciliation",
    operation_id = "get_ledger_reconciliation",
    tag = MONEY,
    security(("bearer" = ["admin"])),
    responses(
        (status = 200, description = "The reconciliation report", body = ReconciliationJson),
        (status = 401, description = "`not_authenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
    )
)]
pub(super) async fn reconciliation(
    State(state): State<AppState>,
    _admin: Admin,
) -> Result<Json<ReconciliationJson>, ApiError> {
    let report = state.store.reconcile_ledger().await?;
    Ok(Json(ReconciliationJson::new(report)))
}
