//! Demo money: every demo bidder is funded by a bank notification, as a real top-up is,
//! and topped up the same way when a long day of deposits has run it low.

use anyhow::Context;
use axum::http::StatusCode;
use serde_json::json;

use super::api::{Api, DemoAccount};
use crate::money::Money;
use crate::time_format::to_rfc3339;

/// What each demo bidder starts with, and each top-up adds.
pub const TOP_UP_AMOUNT: &str = "500000.00";

/// A demo bidder whose available balance falls below this is topped up: four live lots'
/// deposits (at most 20,000.00 each) stay well inside it.
const TOP_UP_BELOW: &str = "100000.00";

/// The first top-up: a fixed transfer id and time, so that a second demo run on the same
/// database repeats the same notification, which changes nothing.
pub async fn fund(api: &Api, admin: &str, bidder: &DemoAccount) -> anyhow::Result<()> {
    notify(
        api,
        admin,
        bidder,
        &format!("demo-top-up-{}", bidder.username),
        "2026-01-01T00:00:00Z",
    )
    .await
}

/// Tops the bidder up with a fresh transfer id when its available balance is low; says
/// whether it did.
pub async fn top_up_if_low(
    api: &Api,
    admin: &str,
    bidder: &DemoAccount,
    now_ms: i64,
) -> anyhow::Result<bool> {
    let wallet = api.get("/wallet?limit=1", &bidder.token).await?;
    let available: Money = serde_json::from_value(wallet["available"].clone())
        .context("a wallet's available balance")?;
    if available >= TOP_UP_BELOW.parse::<Money>().expect("a valid amount") {
        return Ok(false);
    }
    let transfer_id = format!("demo-top-up-{}-{now_ms}", bidder.username);
    notify(api, admin, bidder, &transfer_id, &to_rfc3339(now_ms)).await?;
    Ok(true)
}

async fn notify(
    api: &Api,
    admin: &str,
    bidder: &DemoAccount,
    transfer_id: &str,
    received_at: &str,
) -> anyhow::Result<()> {
    let me = api.get("/me", &bidder.token).await?;
    let account_number = me["wallet"]["account_number"]
        .as_str()
        .context("a wallet number")?;
    let notification = json!({
        "transfer_id": transfer_id,
        "account_number": account_number,
        "amount": TOP_UP_AMOUNT,
        "currency": "CNY",
        "received_at": received_at,
    });
    api.expect(
        "POST",
        "/bank/notifications",
        Some(admin),
        &[],
        notification,
        StatusCode::CREATED,
    )
    .await?;
    Ok(())
}
