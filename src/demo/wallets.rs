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

/// The first top-up, paid by the bidder's verified name: a fixed transfer id and time, so
/// that a second demo run on the same database repeats the same notification, which
/// changes nothing.
pub async fn fund(
    api: &Api,
    admin: &str,
    bidder: &DemoAccount,
    payer_name: &str,
) -> anyhow::Result<()> {
    let transfer = Transfer {
        id: &format!("demo-top-up-{}", bidder.username),
        received_at: "2026-01-01T00:00:00Z",
        payer_name: Some(payer_name),
    };
    notify(api, admin, bidder, &transfer, StatusCode::CREATED).await
}

/// A transfer to the bidder's wallet paid by `payer_name`, someone other than the bidder:
/// held unmatched (202) for the admin. A fixed transfer id, so a second run holds nothing
/// more.
pub async fn hold_a_stranger_s_transfer(
    api: &Api,
    admin: &str,
    bidder: &DemoAccount,
    payer_name: &str,
) -> anyhow::Result<()> {
    let transfer = Transfer {
        id: &format!("demo-held-{}", bidder.username),
        received_at: "2026-01-02T09:30:00Z",
        payer_name: Some(payer_name),
    };
    notify(api, admin, bidder, &transfer, StatusCode::ACCEPTED).await
}

/// A demo bank notification's own fields.
struct Transfer<'a> {
    id: &'a str,
    received_at: &'a str,
    payer_name: Option<&'a str>,
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
    let transfer = Transfer {
        id: &format!("demo-top-up-{}-{now_ms}", bidder.username),
        received_at: &to_rfc3339(now_ms),
        payer_name: None,
    };
    notify(api, admin, bidder, &transfer, StatusCode::CREATED).await?;
    Ok(true)
}

async fn notify(
    api: &Api,
    admin: &str,
    bidder: &DemoAccount,
    transfer: &Transfer<'_>,
    expected: StatusCode,
) -> anyhow::Result<()> {
    let me = api.get("/me", &bidder.token).await?;
    let account_number = me["wallet"]["account_number"]
        .as_str()
        .context("a wallet number")?;
    let mut notification = json!({
        "transfer_id": transfer.id,
        "account_number": account_number,
        "amount": TOP_UP_AMOUNT,
        "currency": "CNY",
        "received_at": transfer.received_at,
    });
    if let Some(payer_name) = transfer.payer_name {
        notification["payer_name"] = json!(payer_name);
    }
    api.expect(
        "POST",
        "/bank/notifications",
        Some(admin),
        &[],
        notification,
        expected,
    )
    .await?;
    Ok(())
}
