//! The demo's lots: what is on offer, and how one is opened through the API (created,
//! given its item list when it is an asset package, published, applied for by every demo
//! bidder, approved and deposited).

use anyhow::Context;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::api::{Api, DemoAccount};
use crate::domain::LotId;
use crate::time_format::{parse_rfc3339, to_rfc3339};

/// One thing the demo auctions.
pub struct Offer {
    pub title: &'static str,
    pub start_price: &'static str,
    pub increment: &'static str,
    /// Small beside the price (a few increments): a demo bidder lodges one on every lot and
    /// the winner's is applied to the price, so wallets last a long day (the scheduler
    /// also tops them up).
    pub deposit: &'static str,
    /// A reserve some lots do not reach (流拍), for variety.
    pub reserve_price: Option<&'static str>,
    /// The item list of an asset package, as the CSV file its auctioneer imports.
    pub items: Option<&'static str>,
}

/// The office equipment package's 120 items.
const OFFICE_EQUIPMENT_ITEMS: &str = "name,quantity,unit,notes
Office desk 1.4 m,40,张,Oak veneer; some scratches
Office chair,60,把,Mesh back
Filing cabinet,12,个,Steel; keys for 10
Laser printer,6,台,Working; toner not included
Projector,2,台,Lamp hours 1200 and 3400
";

/// The catalogue, taken in turn: the first three are seeded at start, the scheduler goes
/// on from the fourth and starts again at the first.
pub const CATALOGUE: [Offer; 8] = [
    Offer {
        title: "Land-use right, plot A-17 (residential, 12,000 m²)",
        start_price: "2000000.00",
        increment: "50000.00",
        deposit: "20000.00",
        reserve_price: None,
        items: None,
    },
    Offer {
        title: "Office equipment package, 120 items",
        start_price: "18000.00",
        increment: "500.00",
        deposit: "500.00",
        reserve_price: None,
        items: Some(OFFICE_EQUIPMENT_ITEMS),
    },
    Offer {
        title: "Vehicle: 2019 sedan, judicial sale",
        start_price: "60000.00",
        increment: "1000.00",
        deposit: "1000.00",
        reserve_price: None,
        items: None,
    },
    Offer {
        title: "Shop lease, 5 years, 48 m² on Jiefang Road",
        start_price: "150000.00",
        increment: "5000.00",
        deposit: "5000.00",
        reserve_price: Some("200000.00"),
        items: None,
    },
    Offer {
        title: "Forklift, 3 t, municipal depot surplus",
        start_price: "24000.00",
        increment: "500.00",
        deposit: "1000.00",
        reserve_price: None,
        items: None,
    },
    Offer {
        title: "Parking space, 10-year right of use, bay B-112",
        start_price: "80000.00",
        increment: "2000.00",
        deposit: "2000.00",
        reserve_price: None,
        items: None,
    },
    Offer {
        title: "Timber from a forestry thinning, 200 m³",
        start_price: "90000.00",
        increment: "2000.00",
        deposit: "3000.00",
        reserve_price: None,
        items: None,
    },
    Offer {
        title: "Equity: 15% of a county water utility",
        start_price: "3000000.00",
        increment: "100000.00",
        deposit: "20000.00",
        reserve_price: Some("3500000.00"),
        items: None,
    },
];

/// A demo lot the bidders take part in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoLot {
    pub id: LotId,
    pub title: String,
    pub starts_at_ms: i64,
    pub extension_window_ms: i64,
}

/// When and for how long a lot runs.
pub struct Schedule {
    pub starts_at_ms: i64,
    pub runs_for_ms: i64,
    pub extension_window_secs: u32,
}

/// Creates the lot, announces it (the auctioneer drafts and submits its auction
/// announcement, the admin approves it) and publishes it, then applies for it as every
/// bidder, approves them and lodges their deposits: everyone in `bidders` may bid when it
/// opens.
pub async fn open_lot(
    api: &Api,
    auctioneer: &DemoAccount,
    admin: &DemoAccount,
    bidders: &[DemoAccount],
    offer: &'static Offer,
    schedule: &Schedule,
) -> anyhow::Result<DemoLot> {
    let Schedule {
        starts_at_ms,
        runs_for_ms,
        extension_window_secs,
    } = *schedule;
    let mut terms = json!({
        "title": offer.title,
        "description": "A demo lot: demo bidders bid in it by themselves; sign in as alice, bob or carol and join them.",
        "start_price": offer.start_price,
        "increment": offer.increment,
        "deposit": {"kind": "fixed", "amount": offer.deposit},
        "fee_rate": "0.01",
        "applications_close_at": to_rfc3339(starts_at_ms),
        "deposit_deadline": to_rfc3339(starts_at_ms),
        "starts_at": to_rfc3339(starts_at_ms),
        "ends_at": to_rfc3339(starts_at_ms + runs_for_ms),
        "extension_window_secs": extension_window_secs,
        "extension_mode": "reset",
    });
    if let Some(reserve) = offer.reserve_price {
        terms["reserve_price"] = json!(reserve);
    }
    let token = Some(auctioneer.token.as_str());
    let lot = api
        .expect("POST", "/lots", token, &[], terms, StatusCode::CREATED)
        .await?;
    let lot_id = lot["id"].as_i64().context("a lot id")?;
    if let Some(items) = offer.items {
        api.put_file(&format!("/lots/{lot_id}/items"), &auctioneer.token, items)
            .await?;
    }
    announce(api, auctioneer, admin, lot_id, offer, starts_at_ms).await?;
    api.expect(
        "POST",
        &format!("/lots/{lot_id}/publish"),
        token,
        &[],
        Value::Null,
        StatusCode::OK,
    )
    .await?;
    for bidder in bidders {
        register(api, auctioneer, bidder, lot_id).await?;
    }
    Ok(DemoLot {
        id: lot_id,
        title: offer.title.to_owned(),
        starts_at_ms,
        extension_window_ms: i64::from(extension_window_secs) * 1000,
    })
}

/// The lot's auction announcement (拍卖公告), drafted and submitted by its auctioneer and
/// approved by the admin: public on the home page (and what an exchange started with
/// `--require-announcement-review` needs before it publishes the lot).
async fn announce(
    api: &Api,
    auctioneer: &DemoAccount,
    admin: &DemoAccount,
    lot_id: i64,
    offer: &Offer,
    starts_at_ms: i64,
) -> anyhow::Result<()> {
    let body = format!(
        "标的：{title}\n起拍价：{start} 元，加价幅度：{increment} 元\n保证金：{deposit} 元\n\
         竞价开始：{starts}\n\nLot: {title}\nStart price: {start} CNY, increment {increment} CNY\n\
         Deposit: {deposit} CNY\nBidding opens: {starts}",
        title = offer.title,
        start = offer.start_price,
        increment = offer.increment,
        deposit = offer.deposit,
        starts = to_rfc3339(starts_at_ms),
    );
    let draft = json!({
        "kind": "auction",
        "lot_id": lot_id,
        "title": format!("{} 拍卖公告", offer.title),
        "body": body,
    });
    let token = Some(auctioneer.token.as_str());
    let created = api
        .expect(
            "POST",
            "/announcements",
            token,
            &[],
            draft,
            StatusCode::CREATED,
        )
        .await?;
    let id = created["id"].as_i64().context("an announcement id")?;
    api.expect(
        "POST",
        &format!("/announcements/{id}/submit"),
        token,
        &[],
        Value::Null,
        StatusCode::OK,
    )
    .await?;
    api.expect(
        "POST",
        &format!("/announcements/{id}/approve"),
        Some(admin.token.as_str()),
        &[],
        Value::Null,
        StatusCode::OK,
    )
    .await?;
    Ok(())
}

/// Applies as the bidder, approves as the auctioneer, lodges the deposit as the bidder.
async fn register(
    api: &Api,
    auctioneer: &DemoAccount,
    bidder: &DemoAccount,
    lot_id: LotId,
) -> anyhow::Result<()> {
    let application = api
        .expect(
            "POST",
            &format!("/lots/{lot_id}/applications"),
            Some(&bidder.token),
            &[],
            Value::Null,
            StatusCode::CREATED,
        )
        .await?;
    let application_id = application["id"].as_i64().context("an application id")?;
    api.expect(
        "POST",
        &format!("/applications/{application_id}/approve"),
        Some(&auctioneer.token),
        &[],
        json!({}),
        StatusCode::OK,
    )
    .await?;
    let key = format!("demo-deposit-{application_id}");
    api.expect(
        "POST",
        &format!("/applications/{application_id}/deposit"),
        Some(&bidder.token),
        &[("idempotency-key", key.as_str())],
        json!({}),
        StatusCode::CREATED,
    )
    .await?;
    Ok(())
}

/// The demo lots an earlier run left published, open or paused (the bidders take part in
/// them again after a restart).
pub async fn unfinished_lots(api: &Api, auctioneer: &DemoAccount) -> anyhow::Result<Vec<DemoLot>> {
    let mut lots = Vec::new();
    for state in ["published", "open", "paused"] {
        let listed = api
            .get(&format!("/lots?state={state}"), &auctioneer.token)
            .await?;
        for lot in listed.as_array().context("a list of lots")? {
            if lot["auctioneer_id"].as_i64() != Some(auctioneer.id) {
                continue;
            }
            lots.push(DemoLot {
                id: lot["id"].as_i64().context("a lot id")?,
                title: lot["title"].as_str().unwrap_or_default().to_owned(),
                starts_at_ms: lot["starts_at"]
                    .as_str()
                    .and_then(parse_rfc3339)
                    .context("a lot's start")?,
                extension_window_ms: lot["extension_window_secs"].as_i64().unwrap_or(1) * 1000,
            });
        }
    }
    Ok(lots)
}
