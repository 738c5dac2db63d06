//! The money routes over HTTP on both databases: bank notifications and the wallet,
//! deposits, guarantees, the settlement after a close, withdrawals. Every test ends with a
//! consistent ledger (all balances sum to zero, each kept balance equals its entries).

#[path = "../common/mod.rs"]
mod common;

mod bank;
mod deposits;
mod guarantees;
mod payer_names;
mod settlement;
mod withdrawals;

use serde_json::{Value, json};

use common::{TestApp, User, in_secs};

/// A published lot that opens in an hour (deposits stay open till then), fixed deposit
/// 200.00 unless `overrides` say otherwise.
pub(crate) async fn lot_in_an_hour(app: &TestApp, auctioneer: &User, overrides: Value) -> i64 {
    let mut body = json!({ "starts_at": in_secs(3600) });
    for (key, value) in overrides.as_object().unwrap() {
        body[key] = value.clone();
    }
    app.published_lot(&auctioneer.token, body).await
}
