//! A lot's item list (SPEC §11), kept in `lot_items` in the order of its file.

use async_trait::async_trait;

use crate::domain::LotId;
use crate::lot_items::LotItem;

use super::StoreResult;

pub(super) mod ops;

#[async_trait]
pub trait LotItemStore {
    /// The lot's items in the order they were imported (none if it has no list).
    async fn lot_items(&self, lot: LotId) -> StoreResult<Vec<LotItem>>;

    /// Replaces the lot's whole item list with `items`, in one database transaction,
    /// while the lot is a `draft`, or `published` with `starts_at` after `now_ms`; else
    /// `Conflict::LotItemsLocked` and nothing changes. `StoreError::NotFound` for no lot.
    async fn replace_lot_items(
        &self,
        lot: LotId,
        items: &[LotItem],
        now_ms: i64,
    ) -> StoreResult<()>;
}
