//! The demo's accounts and its first lots, made through the API at start. Running it again
//! on the same database reuses the accounts (moving no money twice) and adds new lots.

use std::time::Duration;

use anyhow::Context;
use axum::http::StatusCode;
use serde_json::json;

use super::api::{Api, DemoAccount};
use super::lots::{CATALOGUE, DemoLot, Schedule, open_lot, unfinished_lots};
use super::timing::DemoTimings;
use super::wallets;
use crate::app::AppState;

pub const AUCTIONEER: &str = "auctioneer";
/// A supervisor (监督): sees the back office and every room read-only.
pub const SUPERVISOR: &str = "supervisor";

/// Bidders for people to sign in as: no demo bidder bids as them, so a person who joins a
/// room as alice is never outbid by alice.
pub const PEOPLE: [(&str, &str, &str); 3] = [
    ("alice", "Alice Wang", "11010519491231002X"),
    ("bob", "Bob Li", "110101199003070134"),
    ("carol", "Carol Zhang", "440106198505120027"),
];

/// An organisation (机构) to sign in as, verified by its unified social credit code and
/// funded from its own company account; like the people, no demo bidder bids as it.
pub const ORGANISATION: (&str, &str, &str) =
    ("xingcheng", "长沙星城置业有限公司", "91430100MA4L3XC8DW");

/// A transfer to the organisation's wallet paid by someone else: held unmatched for the
/// admin to resolve at /admin.
pub const HELD_TRANSFER_PAYER: &str = "王五";

/// The demo bidders that bid by themselves.
pub const BOTS: [(&str, &str, &str); 3] = [
    ("dave", "Dave Chen", "11010519880214003X"),
    ("erin", "Erin Zhao", "310104199208170522"),
    ("frank", "Frank Liu", "440106197905030616"),
];

/// How many lots each start seeds, from the head of the catalogue.
pub const SEEDED_LOTS: usize = 3;

/// Everyone the demo acts as, signed in.
pub struct Cast {
    pub admin_username: String,
    admin_password: String,
    pub admin: DemoAccount,
    pub auctioneer: DemoAccount,
    pub people: Vec<DemoAccount>,
    pub bots: Vec<DemoAccount>,
}

impl Cast {
    /// Everyone a demo lot registers: the people and the demo bidders.
    pub fn bidders(&self) -> impl Iterator<Item = &DemoAccount> {
        self.people.iter().chain(&self.bots)
    }

    /// Signs everyone in again (before their sessions expire).
    pub async fn sign_in_again(&mut self, api: &Api) -> anyhow::Result<()> {
        self.admin.token = api
            .sign_in(&self.admin_username, &self.admin_password)
            .await?;
        self.auctioneer = api.demo_account(AUCTIONEER).await?;
        for bidder in self.people.iter_mut().chain(self.bots.iter_mut()) {
            *bidder = api.demo_account(&bidder.username).await?;
        }
        Ok(())
    }
}

/// Makes (or finds) the demo's accounts, funds its bidders and opens its first lots.
pub async fn seed(
    state: &AppState,
    api: &Api,
    timings: &DemoTimings,
) -> anyhow::Result<(Cast, Vec<DemoLot>)> {
    let credentials = state
        .config
        .bootstrap_admin
        .as_ref()
        .context("the demo needs a bootstrap admin")?;
    let admin_token = api
        .sign_in(&credentials.username, &credentials.password)
        .await
        .context("the demo needs its admin")?;
    let admin_me = api.get("/me", &admin_token).await?;
    let admin = DemoAccount {
        id: admin_me["id"].as_i64().context("an account id")?,
        username: credentials.username.clone(),
        token: admin_token,
    };
    let auctioneer = api
        .ensure_account(
            Some(&admin.token),
            AUCTIONEER,
            "Demo Auction House",
            "auctioneer",
        )
        .await?;
    api.ensure_account(
        Some(&admin.token),
        SUPERVISOR,
        "Demo Supervisor",
        "supervisor",
    )
    .await?;
    let mut people = Vec::new();
    for person in PEOPLE {
        people.push(verified_bidder(api, &admin, person, "individual").await?);
    }
    let organisation = verified_bidder(api, &admin, ORGANISATION, "organisation").await?;
    wallets::hold_a_stranger_s_transfer(api, &admin.token, &organisation, HELD_TRANSFER_PAYER)
        .await?;
    people.push(organisation);
    let mut bots = Vec::new();
    for bot in BOTS {
        bots.push(verified_bidder(api, &admin, bot, "individual").await?);
    }
    let cast = Cast {
        admin_username: credentials.username.clone(),
        admin_password: credentials.password.clone(),
        admin,
        auctioneer,
        people,
        bots,
    };

    let bidders: Vec<DemoAccount> = cast.bidders().cloned().collect();
    let now_ms = state.clock.now_ms();
    let mut lots = unfinished_lots(api, &cast.auctioneer).await?;
    for (index, offer) in CATALOGUE.iter().take(SEEDED_LOTS).enumerate() {
        let opens_after = timings.first_lot_opens_after + timings.seeded_lots_apart * index as u32;
        let schedule = Schedule {
            starts_at_ms: now_ms + opens_after.as_millis() as i64,
            runs_for_ms: seeded_run_ms(&timings.lot_runs_for, index),
            extension_window_secs: timings.extension_window_secs(),
        };
        lots.push(
            open_lot(
                api,
                &cast.auctioneer,
                &cast.admin,
                &bidders,
                offer,
                &schedule,
            )
            .await?,
        );
    }
    Ok((cast, lots))
}

/// The seeded lots run for the start, the middle and the end of the range.
fn seeded_run_ms(range: &std::ops::Range<Duration>, index: usize) -> i64 {
    let (start, end) = (range.start.as_millis() as i64, range.end.as_millis() as i64);
    let last = SEEDED_LOTS.saturating_sub(1).max(1) as i64;
    start + (end - start) * index as i64 / last
}

/// Creates the bidder (an `individual` verified by its resident id, or an `organisation` by
/// its credit code, with its display name as the verified name) unless it exists,
/// verifies it and funds it from an account in that name.
async fn verified_bidder(
    api: &Api,
    admin: &DemoAccount,
    (username, display_name, id_number): (&str, &str, &str),
    kind: &str,
) -> anyhow::Result<DemoAccount> {
    let bidder = api
        .ensure_account_of_kind(None, username, display_name, "bidder", kind)
        .await?;
    api.expect(
        "POST",
        &format!("/accounts/{}/verification", bidder.id),
        Some(&admin.token),
        &[],
        json!({"real_name": display_name, "id_number": id_number}),
        StatusCode::OK,
    )
    .await?;
    wallets::fund(api, &admin.token, &bidder, display_name).await?;
    Ok(bidder)
}
