//! The listings, written once for both databases; each reads on the pool it is handed.

use std::collections::HashMap;
use std::marker::PhantomData;

use sqlx::{ColumnIndex, Executor, FromRow, IntoArguments, Pool};

use crate::domain::{AccountId, DepositKind, DepositStatus, LotId};
use crate::storage::accounts::{AccountDetails, AccountRow};
use crate::storage::dialect::{Column, Dialect};
use crate::storage::lots::sql::{ApplicationRow, LotRow};
use crate::storage::money::{
    Settlement, Withdrawal, WithdrawalStatus, guarantee_status, settlement_status,
};
use crate::storage::{StoreError, StoreResult};

use super::{
    AccountFilter, BidderApplication, DepositRecord, GuaranteeRecord, SettlementFilter,
    SettlementListing, Verification,
};

/// The listings on database `DB`.
pub(in crate::storage) struct Listings<DB>(PhantomData<DB>);

/// The ids of a page of an account's applications ($1 the account, $2 below this id, $3
/// the limit), for the queries that read what belongs to them.
const PAGE_OF_APPLICATIONS: &str = "SELECT id FROM applications
     WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3";

type DepositRow<M> = (i64, String, M, String);
type GuaranteeRow<M> = (i64, i64, String, String, M, String, Option<String>);
type WithdrawalRow<M> = (i64, i64, M, String, String, i64, String, i64);

#[derive(sqlx::FromRow)]
pub(in crate::storage) struct SettlementListingRow<M> {
    lot_id: i64,
    account_id: i64,
    application_id: i64,
    auctioneer_id: i64,
    price: M,
    fee: M,
    deposit_applied: M,
    amount_due: M,
    amount_paid: M,
    status: String,
    due_at_ms: Option<i64>,
    created_at_ms: i64,
    resolved_at_ms: Option<i64>,
    lot_title: String,
    currency: String,
    winner_username: String,
    winner_display_name: String,
}

impl<DB> Listings<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    Option<i64>: Column<DB>,
    String: Column<DB>,
    Option<String>: Column<DB>,
    Option<DB::Money>: Column<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'r> LotRow<DB::Money>: FromRow<'r, DB::Row>,
    for<'r> ApplicationRow: FromRow<'r, DB::Row>,
    for<'r> AccountRow: FromRow<'r, DB::Row>,
    for<'r> SettlementListingRow<DB::Money>: FromRow<'r, DB::Row>,
{
    pub(in crate::storage) async fn account_applications(
        reader: &Pool<DB>,
        account: AccountId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<BidderApplication>> {
        let before = before.unwrap_or(i64::MAX);
        let limit = i64::from(limit);
        let mut connection = reader.acquire().await?;
        let applications: Vec<ApplicationRow> = sqlx::query_as(
            "SELECT id, lot_id, account_id, status, priority_rank, bidder_number, reject_reason,
                    deposit_status, disqualified, created_at_ms, decided_at_ms
             FROM applications WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
        )
        .bind(account)
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *connection)
        .await?;
        let lots: Vec<LotRow<DB::Money>> = sqlx::query_as(&format!(
            "SELECT id, auctioneer_id, title, description, currency, start_price, increment,
                    reserve_price, deposit_kind, deposit_min, deposit_max, fee_rate,
                    applications_close_at_ms, deposit_deadline_ms, starts_at_ms, ends_at_ms,
                    extension_window_secs, max_extensions, extension_mode, settlement_due_at_ms,
                    state, result, created_at_ms
             FROM lots WHERE id IN (SELECT lot_id FROM applications WHERE id IN
                 ({PAGE_OF_APPLICATIONS}))"
        ))
        .bind(account)
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *connection)
        .await?;
        let mut lots = lots
            .into_iter()
            .map(|row| row.into_lot().map(|lot| (lot.id, lot)))
            .collect::<StoreResult<HashMap<_, _>>>()?;
        let deposits: Vec<DepositRow<DB::Money>> = sqlx::query_as(&format!(
            "SELECT application_id, kind, amount, status FROM deposits
             WHERE application_id IN ({PAGE_OF_APPLICATIONS})"
        ))
        .bind(account)
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *connection)
        .await?;
        let mut deposits = deposits
            .into_iter()
            .map(Self::deposit_from_row)
            .collect::<StoreResult<HashMap<_, _>>>()?;
        // Oldest first, so that the latest guarantee of each application is kept.
        let guarantees: Vec<GuaranteeRow<DB::Money>> = sqlx::query_as(&format!(
            "SELECT application_id, id, issuer, number, amount, status, reason FROM guarantees
             WHERE application_id IN ({PAGE_OF_APPLICATIONS}) ORDER BY id"
        ))
        .bind(account)
        .bind(before)
        .bind(limit)
        .fetch_all(&mut *connection)
        .await?;
        let mut guarantees = guarantees
            .into_iter()
            .map(Self::guarantee_from_row)
            .collect::<StoreResult<HashMap<_, _>>>()?;
        applications
            .into_iter()
            .map(|row| {
                let application = row.into_application()?;
                let lot = lots.remove(&application.lot_id).ok_or_else(|| {
                    StoreError::Internal(anyhow::anyhow!(
                        "application {} has no lot",
                        application.id
                    ))
                })?;
                Ok(BidderApplication {
                    deposit: deposits.remove(&application.id),
                    guarantee: guarantees.remove(&application.id),
                    application,
                    lot,
                })
            })
            .collect()
    }

    fn deposit_from_row(row: DepositRow<DB::Money>) -> StoreResult<(i64, DepositRecord)> {
        let (application_id, kind, amount, status) = row;
        let record = DepositRecord {
            kind: DepositKind::parse(&kind)
                .ok_or_else(|| anyhow::anyhow!("stored deposit kind {kind:?}"))?,
            amount: DB::stored_money(amount)?,
            status: DepositStatus::parse(&status)
                .ok_or_else(|| anyhow::anyhow!("stored deposit status {status:?}"))?,
        };
        Ok((application_id, record))
    }

    fn guarantee_from_row(row: GuaranteeRow<DB::Money>) -> StoreResult<(i64, GuaranteeRecord)> {
        let (application_id, id, issuer, number, amount, status, reason) = row;
        let record = GuaranteeRecord {
            id,
            issuer,
            number,
            amount: DB::stored_money(amount)?,
            status: guarantee_status(&status)?,
            reason,
        };
        Ok((application_id, record))
    }

    pub(in crate::storage) async fn account_withdrawals(
        reader: &Pool<DB>,
        account: AccountId,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<Withdrawal>> {
        let rows: Vec<WithdrawalRow<DB::Money>> = sqlx::query_as(
            "SELECT d.id, d.account_id, d.amount, d.currency, w.account_number,
                    d.transaction_id, d.status, d.created_at_ms
             FROM withdrawals d JOIN wallets w ON w.account_id = d.account_id
             WHERE d.account_id = $1 AND d.id < $2 ORDER BY d.id DESC LIMIT $3",
        )
        .bind(account)
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(reader)
        .await?;
        rows.into_iter()
            .map(|row| {
                let (id, account_id, amount, currency, account_number, transaction_id, status, at) =
                    row;
                Ok(Withdrawal {
                    id,
                    account_id,
                    amount: DB::stored_money(amount)?,
                    currency,
                    account_number,
                    transaction_id,
                    status: WithdrawalStatus::parse(&status)
                        .ok_or_else(|| anyhow::anyhow!("stored withdrawal status {status:?}"))?,
                    created_at_ms: at,
                })
            })
            .collect()
    }

    pub(in crate::storage) async fn settlements(
        reader: &Pool<DB>,
        filter: &SettlementFilter,
        before: Option<LotId>,
        limit: u32,
    ) -> StoreResult<Vec<SettlementListing>> {
        let (text, bigint) = (DB::TEXT_PARAMETER, DB::BIGINT_PARAMETER);
        let rows: Vec<SettlementListingRow<DB::Money>> = sqlx::query_as(&format!(
            "SELECT s.lot_id, s.account_id, s.application_id, l.auctioneer_id, s.price, s.fee,
                    s.deposit_applied, s.amount_due, s.amount_paid, s.status, s.due_at_ms,
                    s.created_at_ms, s.resolved_at_ms, l.title AS lot_title, l.currency,
                    a.username AS winner_username, a.display_name AS winner_display_name
             FROM settlements s JOIN lots l ON l.id = s.lot_id
                  JOIN accounts a ON a.id = s.account_id
             WHERE ($1{text} IS NULL OR s.status = $1) AND ($2{bigint} IS NULL OR s.account_id = $2)
               AND s.lot_id < $3
             ORDER BY s.lot_id DESC LIMIT $4"
        ))
        .bind(filter.status.map(|status| status.as_str()))
        .bind(filter.account)
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .fetch_all(reader)
        .await?;
        rows.into_iter()
            .map(|row| {
                Ok(SettlementListing {
                    settlement: Settlement {
                        lot_id: row.lot_id,
                        account_id: row.account_id,
                        application_id: row.application_id,
                        auctioneer_id: row.auctioneer_id,
                        price: DB::stored_money(row.price)?,
                        fee: DB::stored_money(row.fee)?,
                        deposit_applied: DB::stored_money(row.deposit_applied)?,
                        amount_due: DB::stored_money(row.amount_due)?,
                        amount_paid: DB::stored_money(row.amount_paid)?,
                        status: settlement_status(&row.status)?,
                        due_at_ms: row.due_at_ms,
                        created_at_ms: row.created_at_ms,
                        resolved_at_ms: row.resolved_at_ms,
                    },
                    lot_title: row.lot_title,
                    currency: row.currency,
                    winner_username: row.winner_username,
                    winner_display_name: row.winner_display_name,
                })
            })
            .collect()
    }

    pub(in crate::storage) async fn accounts(
        reader: &Pool<DB>,
        filter: &AccountFilter,
        before: Option<AccountId>,
        limit: u32,
    ) -> StoreResult<Vec<AccountDetails>> {
        let text = DB::TEXT_PARAMETER;
        let verification = match filter.verification {
            None => "",
            Some(Verification::Pending) => "AND verified_at_ms IS NULL",
            Some(Verification::Verified) => "AND verified_at_ms IS NOT NULL",
        };
        let rows: Vec<AccountRow> = sqlx::query_as(&format!(
            "SELECT id, username, display_name, role, kind, verified_at_ms, created_at_ms,
                    real_name, id_type, id_number_masked, must_change_password,
                    suspended_until_ms
             FROM accounts
             WHERE ($1{text} IS NULL OR role = $1) AND ($4{text} IS NULL OR kind = $4)
                 {verification} AND id < $2
             ORDER BY id DESC LIMIT $3"
        ))
        .bind(filter.role.map(|role| role.as_str()))
        .bind(before.unwrap_or(i64::MAX))
        .bind(i64::from(limit))
        .bind(filter.kind.map(|kind| kind.as_str()))
        .fetch_all(reader)
        .await?;
        rows.into_iter().map(AccountRow::into_details).collect()
    }
}
