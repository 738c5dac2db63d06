//! Wallets, the double-entry ledger, deposits, bank notifications and settlements.

use async_trait::async_trait;

use crate::auction::{AccountId, ClosedEvent};
use crate::money::Money;

use super::{LotId, StoreResult};

/// A wallet's balances (`GET /me`, `GET /wallet`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WalletSummary {
    /// The 12-digit virtual account number (虚拟子账号) bank transfers are made to.
    pub account_number: String,
    pub currency: String,
    pub available: Money,
    pub frozen: Money,
}

#[async_trait]
pub trait MoneyStore {
    /// The account's wallet balances.
    async fn wallet_summary(&self, account: AccountId) -> StoreResult<WalletSummary>;

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
