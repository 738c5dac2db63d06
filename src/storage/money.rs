//! Wallets, the double-entry ledger, deposits, bank notifications and settlements.

use async_trait::async_trait;

use crate::auction::ClosedEvent;

use super::{LotId, StoreResult};

#[async_trait]
pub trait MoneyStore {
    /// After a close: releases every non-winner's deposit (自动退还); for a sold lot, applies
    /// the winner's deposit to the price (结转) and opens the settlement for
    /// price + fee − deposit. Doing it again changes nothing (a restart may repeat it).
    async fn settle_closed_lot(
        &self,
        lot: LotId,
        closed: &ClosedEvent,
        now_ms: i64,
    ) -> StoreResult<()>;

    /// After a cancel: releases every deposit of the lot. Doing it again changes nothing.
    async fn release_lot_deposits(&self, lot: LotId, now_ms: i64) -> StoreResult<()>;
}
