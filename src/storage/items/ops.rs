//! The item list operations, written once for both databases.

use std::marker::PhantomData;

use sqlx::{ColumnIndex, Executor, IntoArguments, Pool};

use crate::auction::LotState;
use crate::domain::LotId;
use crate::lot_items::LotItem;
use crate::storage::dialect::{Column, Dialect};
use crate::storage::{Conflict, StoreError, StoreResult};

/// Item lists on database `DB`.
pub(in crate::storage) struct Items<DB>(PhantomData<DB>);

const LOCK_LOT: &str = "SELECT id FROM lots WHERE id = $1";
const SELECT_LOT_FOR_ITEMS: &str = "SELECT state, starts_at_ms FROM lots WHERE id = $1";

impl<DB> Items<DB>
where
    DB: Dialect,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: Column<DB>,
    String: Column<DB>,
    usize: ColumnIndex<DB::Row>,
{
    pub(in crate::storage) async fn lot_items(
        reader: &Pool<DB>,
        lot: LotId,
    ) -> StoreResult<Vec<LotItem>> {
        let rows: Vec<(String, DB::Money, String, String)> = sqlx::query_as(
            "SELECT name, quantity, unit, notes FROM lot_items WHERE lot_id = $1 ORDER BY position",
        )
        .bind(lot)
        .fetch_all(reader)
        .await?;
        rows.into_iter()
            .map(|(name, quantity, unit, notes)| {
                let quantity = DB::stored_decimal(quantity)
                    .map_err(|stored| anyhow::anyhow!("lot {lot}: bad item quantity {stored}"))?
                    .normalize();
                Ok(LotItem {
                    name,
                    quantity,
                    unit,
                    notes,
                })
            })
            .collect()
    }

    pub(in crate::storage) async fn replace_lot_items(
        writer: &Pool<DB>,
        lot: LotId,
        items: &[LotItem],
        now_ms: i64,
    ) -> StoreResult<()> {
        let mut transaction = writer.begin().await?;
        if !DB::lock_row(&mut transaction, LOCK_LOT, lot).await? {
            return Err(StoreError::NotFound);
        }
        let row: Option<(String, i64)> = sqlx::query_as(SELECT_LOT_FOR_ITEMS)
            .bind(lot)
            .fetch_optional(&mut *transaction)
            .await?;
        let (state, starts_at_ms) = row.ok_or(StoreError::NotFound)?;
        let changeable = match LotState::parse(&state) {
            Some(LotState::Draft) => true,
            Some(LotState::Published) => now_ms < starts_at_ms,
            _ => false,
        };
        if !changeable {
            return Err(Conflict::LotItemsLocked.into());
        }
        sqlx::query("DELETE FROM lot_items WHERE lot_id = $1")
            .bind(lot)
            .execute(&mut *transaction)
            .await?;
        for (position, item) in items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO lot_items (lot_id, position, name, quantity, unit, notes)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(lot)
            .bind(position as i64)
            .bind(item.name.as_str())
            .bind(DB::decimal(item.quantity))
            .bind(item.unit.as_str())
            .bind(item.notes.as_str())
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }
}
