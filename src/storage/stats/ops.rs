//! The statistics' records, read once for both databases. Amounts are summed by
//! `crate::stats` in exact decimals: SQLite's SUM over decimal TEXT would go through
//! floating point.

use std::marker::PhantomData;

use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};

use crate::storage::StoreResult;
use crate::storage::dialect::{Column, Dialect};
use crate::storage::money::settlement_status;

use super::{HeldSpan, Opening, Sale, StatsRecords, StatsScope};

/// The statistics' reads on database `DB`.
pub(in crate::storage) struct Stats<DB>(PhantomData<DB>);

type SaleRow<M> = (String, i64, M, M, M, String, Option<i64>);
type DepositRow<M> = (String, M, i64, Option<i64>);

impl<DB> Stats<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    i64: Column<DB>,
    Option<i64>: Column<DB>,
    String: Column<DB>,
    usize: ColumnIndex<DB::Row>,
{
    pub(in crate::storage) async fn stats_records(
        reader: &Pool<DB>,
        scope: StatsScope,
        from_ms: i64,
        to_ms: i64,
    ) -> StoreResult<StatsRecords> {
        let auctioneer = match scope {
            StatsScope::Exchange => None,
            StatsScope::Auctioneer(account) => Some(account),
        };
        let in_scope = format!(
            "($1{} IS NULL OR l.auctioneer_id = $1)",
            DB::BIGINT_PARAMETER
        );
        let mut connection = reader.acquire().await?;
        let openings: Vec<(String, i64)> = sqlx::query_as(&format!(
            "SELECT l.currency, MIN(e.at_ms) FROM room_events e JOIN lots l ON l.id = e.lot_id
             WHERE e.kind = 'state' AND e.state = 'open' AND {in_scope}
             GROUP BY l.id, l.currency
             HAVING MIN(e.at_ms) >= $2 AND MIN(e.at_ms) < $3"
        ))
        .bind(auctioneer)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&mut *connection)
        .await?;
        let sales: Vec<SaleRow<DB::Money>> = sqlx::query_as(&format!(
            "SELECT l.currency, s.created_at_ms, s.price, s.fee, s.amount_paid, s.status,
                    s.resolved_at_ms
             FROM settlements s JOIN lots l ON l.id = s.lot_id
             WHERE {in_scope} AND ((s.created_at_ms >= $2 AND s.created_at_ms < $3)
                 OR (s.resolved_at_ms >= $2 AND s.resolved_at_ms < $3))"
        ))
        .bind(auctioneer)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&mut *connection)
        .await?;
        let deposits: Vec<DepositRow<DB::Money>> = sqlx::query_as(&format!(
            "SELECT l.currency, d.amount, d.created_at_ms, d.resolved_at_ms
             FROM deposits d JOIN lots l ON l.id = d.lot_id
             WHERE d.kind = 'cash' AND {in_scope} AND d.created_at_ms < $3
                 AND (d.resolved_at_ms IS NULL OR d.resolved_at_ms >= $2)"
        ))
        .bind(auctioneer)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&mut *connection)
        .await?;
        Ok(StatsRecords {
            openings: openings
                .into_iter()
                .map(|(currency, at_ms)| Opening { currency, at_ms })
                .collect(),
            sales: sales
                .into_iter()
                .map(
                    |(currency, sold_at_ms, price, fee, amount_paid, status, resolved_at_ms)| {
                        Ok(Sale {
                            currency,
                            sold_at_ms,
                            price: DB::stored_money(price)?,
                            fee: DB::stored_money(fee)?,
                            amount_paid: DB::stored_money(amount_paid)?,
                            status: settlement_status(&status)?,
                            resolved_at_ms,
                        })
                    },
                )
                .collect::<StoreResult<_>>()?,
            deposits: deposits
                .into_iter()
                .map(|(currency, amount, created_at_ms, resolved_at_ms)| {
                    Ok(HeldSpan {
                        currency,
                        amount: DB::stored_money(amount)?,
                        created_at_ms,
                        resolved_at_ms,
                    })
                })
                .collect::<StoreResult<_>>()?,
        })
    }
}
