//! Sets up an exchange: an auctioneer, verified bidders with money, lots published to open
//! a few seconds later, applications approved and deposits lodged. Every step runs with
//! bounded concurrency.
//!
//! The bidders come from the server's bulk seeding when it takes it (`bidroom serve
//! --allow-bulk-seed`, see `seed`), or through the public REST API. There accounts are
//! the slow part (the server hashes each password with argon2id on sign-up and sign-in),
//! so a run creates only as many bidder accounts as one room has bidders and registers
//! each of them in many rooms. Watchers share one unverified account.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde_json::{Value, json};

use crate::api::{Api, Session};
use crate::ceiling::relay::control::RelayControl;
use crate::ceiling::relay::protocol::Identity;
use crate::ceiling::relay::room::RoomTerms;
use crate::cli::SetupPath;
use crate::{metrics, seed};

/// Every account the run creates signs in with this password.
const PASSWORD: &str = "loadtest-password";

/// The lots' terms, in cents where they are money.
pub const START_PRICE_CENTS: i64 = 100_000;
pub const INCREMENT_CENTS: i64 = 1_000;
const DEPOSIT_CENTS: i64 = 10_000;

/// What to set up.
#[derive(Clone, Debug)]
pub struct ExchangeSpec {
    pub rooms: usize,
    pub bidders_per_room: usize,
    pub bidder_accounts: usize,
    /// WebSocket connections the run will open before the lots open (for the estimate of
    /// how long to wait before opening).
    pub connections: usize,
    pub bidding_secs: u64,
    pub extension_secs: u32,
    pub max_extensions: Option<u32>,
    pub open_delay_secs: Option<u64>,
    pub concurrency: usize,
    pub account_prefix: String,
    /// Whether the prefix came from the command line (its accounts may exist already).
    pub reuse_accounts: bool,
    pub setup: SetupPath,
}

/// One room's lot and its registered bidders.
#[derive(Clone, Debug)]
pub struct RoomPlan {
    pub lot: i64,
    pub starts_at_ms: i64,
    pub ends_at_ms: i64,
    pub seats: Vec<Seat>,
}

/// A bidder registered, approved and with its deposit lodged in one lot.
#[derive(Clone, Debug)]
pub struct Seat {
    pub account_id: i64,
    pub token: Arc<str>,
    pub bidder_number: Arc<str>,
}

/// The exchange a run drives.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub rooms: Vec<RoomPlan>,
    /// A signed-in account that watches (it bids nowhere).
    pub watcher_token: Arc<str>,
    pub setup_secs: f64,
}

pub async fn admin_session(api: &Api, admin: (&str, &str)) -> anyhow::Result<Session> {
    api.sign_in(admin.0, admin.1)
        .await
        .context("signing in as the admin (see --admin)")
}

/// A fresh account prefix: a run's accounts do not collide with an earlier run's.
pub fn random_prefix() -> String {
    format!("lt{:08x}", rand::random::<u32>())
}

/// An account that exists after this call, signed in. With `reuse` (an account prefix
/// given on the command line) it first tries to sign in: the server hashes the password on
/// a sign-up even when the name is taken, so trying to create a known account costs a hash.
async fn account(
    api: &Api,
    creator: Option<&str>,
    username: &str,
    role: &str,
    reuse: bool,
) -> anyhow::Result<Session> {
    if reuse && let Ok(session) = api.sign_in(username, PASSWORD).await {
        return Ok(session);
    }
    api.create_account(creator, username, PASSWORD, role)
        .await?;
    api.sign_in(username, PASSWORD).await.with_context(|| {
        format!("signing in as {username} (created by another run with another password?)")
    })
}

pub async fn set_up(api: &Api, admin: &Session, spec: &ExchangeSpec) -> anyhow::Result<Exchange> {
    let started = Instant::now();
    let prefix = &spec.account_prefix;
    let auctioneer = account(
        api,
        Some(&admin.token),
        &format!("{prefix}-auctioneer"),
        "auctioneer",
        spec.reuse_accounts,
    )
    .await?;
    let watcher = account(
        api,
        None,
        &format!("{prefix}-watcher"),
        "bidder",
        spec.reuse_accounts,
    )
    .await?;

    let registered = if bulk_seeding(api, admin, spec).await? {
        register_by_seeding(api, admin, &auctioneer, spec).await?
    } else {
        register_through_api(api, admin, &auctioneer, spec).await?
    };
    if metrics::unix_ms() >= registered.starts_at_ms {
        bail!(
            "setup took longer than the {} s before the lots open: pass a larger --open-delay-secs",
            registered.open_delay_secs
        );
    }

    let mut rooms: Vec<RoomPlan> = registered
        .lots
        .iter()
        .map(|&lot| RoomPlan {
            lot,
            starts_at_ms: registered.starts_at_ms,
            ends_at_ms: registered.ends_at_ms,
            seats: Vec::with_capacity(spec.bidders_per_room),
        })
        .collect();
    for (room, seat) in registered.seats {
        rooms[room].seats.push(seat);
    }
    Ok(Exchange {
        rooms,
        watcher_token: Arc::from(watcher.token.as_str()),
        setup_secs: started.elapsed().as_secs_f64(),
    })
}

/// The lots, and every registration's room and seat.
struct Registered {
    lots: Vec<i64>,
    seats: Vec<(usize, Seat)>,
    open_delay_secs: u64,
    starts_at_ms: i64,
    ends_at_ms: i64,
}

/// Whether this run seeds its bidders in bulk: asked for, or (`auto`) when the server
/// takes it and the run makes new accounts (reused ones come from the public path).
async fn bulk_seeding(api: &Api, admin: &Session, spec: &ExchangeSpec) -> anyhow::Result<bool> {
    match spec.setup {
        SetupPath::PublicApi => Ok(false),
        SetupPath::BulkSeed => {
            if !api.bulk_seed_available(&admin.token).await? {
                bail!(
                    "the server does not take bulk seeding: start it with --allow-bulk-seed, or pass --setup public-api"
                );
            }
            Ok(true)
        }
        SetupPath::Auto => {
            if spec.reuse_accounts {
                return Ok(false);
            }
            let available = api.bulk_seed_available(&admin.token).await?;
            if !available && spec.bidder_accounts > 0 {
                eprintln!(
                    "setup: the server does not take bulk seeding (--allow-bulk-seed): bidders go through the public API"
                );
            }
            Ok(available)
        }
    }
}

/// The wallet top-up that covers an account's deposits: the lots it registers in, one
/// more, and a margin.
fn top_up_cents(spec: &ExchangeSpec) -> i64 {
    let registrations = spec.rooms * spec.bidders_per_room;
    let lots_per_account = registrations.div_ceil(spec.bidder_accounts.max(1)) as i64;
    (lots_per_account + 1) * DEPOSIT_CENTS + 100_000
}

/// Lots opening `open_delay_secs` from now (on a whole second, so that rooms sharing a
/// deadline share its second), created and published.
async fn publish_lots(
    api: &Api,
    auctioneer: &Session,
    spec: &ExchangeSpec,
    open_delay_secs: u64,
) -> anyhow::Result<(Vec<i64>, i64, i64)> {
    let starts_at_ms = (metrics::unix_ms() / 1000 + open_delay_secs as i64 + 1) * 1000;
    let ends_at_ms = starts_at_ms + spec.bidding_secs as i64 * 1000;
    let terms = lot_terms(spec, starts_at_ms, ends_at_ms);
    let lots = stream::iter(0..spec.rooms)
        .map(|_| api.published_lot(&auctioneer.token, &terms))
        .buffered(spec.concurrency)
        .try_collect()
        .await?;
    Ok((lots, starts_at_ms, ends_at_ms))
}

/// Every bidder made, funded and registered by the server in a few admin requests.
async fn register_by_seeding(
    api: &Api,
    admin: &Session,
    auctioneer: &Session,
    spec: &ExchangeSpec,
) -> anyhow::Result<Registered> {
    let registrations = spec.rooms * spec.bidders_per_room;
    let open_delay_secs = spec
        .open_delay_secs
        .unwrap_or_else(|| estimated_seeding_delay_secs(spec));
    eprintln!(
        "setup: {} lots opening in {open_delay_secs} s; seeding {} bidder accounts and {registrations} registrations",
        spec.rooms, spec.bidder_accounts
    );
    let (lots, starts_at_ms, ends_at_ms) =
        publish_lots(api, auctioneer, spec, open_delay_secs).await?;
    let seeding = Instant::now();
    let top_up = crate::wire::format_cents(top_up_cents(spec));
    let roster = seed::Roster {
        prefix: &spec.account_prefix,
        password: PASSWORD,
        accounts: spec.bidder_accounts,
        per_room: spec.bidders_per_room,
        lots: &lots,
        top_up: &top_up,
    };
    let seats = seed::seats(api, &admin.token, &roster).await?;
    eprintln!(
        "setup: seeded {} bidders and {registrations} registrations in {:.1} s",
        spec.bidder_accounts,
        seeding.elapsed().as_secs_f64()
    );
    Ok(Registered {
        lots,
        seats,
        open_delay_secs,
        starts_at_ms,
        ends_at_ms,
    })
}

/// Every bidder signed up, verified, funded, registered, approved and its deposit lodged
/// through the public REST API, as people would.
async fn register_through_api(
    api: &Api,
    admin: &Session,
    auctioneer: &Session,
    spec: &ExchangeSpec,
) -> anyhow::Result<Registered> {
    let prefix = &spec.account_prefix;
    eprintln!(
        "setup: {} bidder accounts (sign-up and sign-in hash a password each)",
        spec.bidder_accounts
    );
    let bidders: Vec<Session> = stream::iter(0..spec.bidder_accounts)
        .map(|index| async move {
            account(
                api,
                None,
                &format!("{prefix}-b{index}"),
                "bidder",
                spec.reuse_accounts,
            )
            .await
        })
        .buffered(spec.concurrency)
        .try_collect()
        .await?;

    let registrations = spec.rooms * spec.bidders_per_room;
    let top_up = crate::wire::format_cents(top_up_cents(spec));
    let funded_at = Instant::now();
    stream::iter(&bidders)
        .map(|bidder| fund(api, &admin.token, bidder, &top_up))
        .buffer_unordered(spec.concurrency)
        .try_collect::<Vec<()>>()
        .await?;
    // Three requests per account: the REST rate without password hashing.
    let requests_per_sec =
        (3 * bidders.len()) as f64 / funded_at.elapsed().as_secs_f64().max(0.001);

    let open_delay_secs = spec
        .open_delay_secs
        .unwrap_or_else(|| estimated_open_delay_secs(spec, requests_per_sec));
    eprintln!(
        "setup: {} lots opening in {open_delay_secs} s, {registrations} registrations ({requests_per_sec:.0} requests/s)",
        spec.rooms
    );
    let (lots, starts_at_ms, ends_at_ms) =
        publish_lots(api, auctioneer, spec, open_delay_secs).await?;

    let seats: Vec<(usize, Seat)> = stream::iter(0..registrations)
        .map(|index| {
            let room = index / spec.bidders_per_room.max(1);
            // Consecutive accounts, so the accounts of one room are distinct.
            let bidder = &bidders[index % bidders.len()];
            let lot = lots[room];
            let auctioneer = &auctioneer.token;
            async move {
                let seat = register(api, auctioneer, bidder, lot).await?;
                anyhow::Ok((room, seat))
            }
        })
        .buffered(spec.concurrency)
        .try_collect()
        .await?;
    Ok(Registered {
        lots,
        seats,
        open_delay_secs,
        starts_at_ms,
        ends_at_ms,
    })
}

/// Verifies the bidder and credits its wallet through an admin-entered bank transfer.
async fn fund(api: &Api, admin: &str, bidder: &Session, amount: &str) -> anyhow::Result<()> {
    api.verify(admin, bidder.account_id).await?;
    let account_number = api.account_number(&bidder.token).await?;
    let transfer = format!(
        "loadtest-{}-{:016x}",
        bidder.account_id,
        rand::random::<u64>()
    );
    api.top_up(admin, &transfer, &account_number, amount).await
}

/// Applies, approves and lodges the deposit: the bidder may then bid in the lot.
async fn register(api: &Api, auctioneer: &str, bidder: &Session, lot: i64) -> anyhow::Result<Seat> {
    let application = api.apply(&bidder.token, lot).await?;
    let bidder_number = api.approve(auctioneer, application).await?;
    api.lodge_deposit(&bidder.token, application).await?;
    Ok(Seat {
        account_id: bidder.account_id,
        token: Arc::from(bidder.token.as_str()),
        bidder_number: Arc::from(bidder_number.as_str()),
    })
}

/// Enough time to publish the lots, seed the bidders and open the connections, at rates
/// a little below what one of these 2-core machines does on PostgreSQL (the slower of the
/// two databases here) while it also runs the load tester, with half again as margin, and
/// 2 s more. Measured: 10,000 accounts with 10,000 registrations seeded in 5.8 s on
/// SQLite and 14.7 s on PostgreSQL; 10,100 connections opened in 2.3 to 4.0 s.
fn estimated_seeding_delay_secs(spec: &ExchangeSpec) -> u64 {
    /// REST requests per second without password hashing (two per lot).
    const REQUESTS_PER_SEC: f64 = 500.0;
    /// Seeded accounts, and seeded registrations, per second.
    const ACCOUNTS_PER_SEC: f64 = 1_500.0;
    const REGISTRATIONS_PER_SEC: f64 = 1_500.0;
    let secs = (2 * spec.rooms) as f64 / REQUESTS_PER_SEC
        + (spec.rooms * spec.bidders_per_room) as f64 / REGISTRATIONS_PER_SEC
        + spec.bidder_accounts as f64 / ACCOUNTS_PER_SEC
        + spec.connections as f64 / CONNECTIONS_PER_SEC;
    (secs * 1.5).ceil() as u64 + 2
}

/// Connections opened and authenticated per second (bidroom reads each token's session
/// from its database; the relay is faster).
const CONNECTIONS_PER_SEC: f64 = 2_000.0;

/// The exchange of a run against the bare relay (`ceiling::relay`): its rooms asked of it
/// on the lots' terms, opening once the connections are up, and made-up bidders whose
/// tokens the relay reads. As in bidroom's seeding, the accounts bid in many rooms, with a
/// bidder number per room (4 digits, as bidroom's).
pub async fn set_up_relay(
    relay: &mut RelayControl,
    spec: &ExchangeSpec,
) -> anyhow::Result<Exchange> {
    let started = Instant::now();
    let open_delay_secs = spec
        .open_delay_secs
        .unwrap_or_else(|| (spec.connections as f64 / CONNECTIONS_PER_SEC * 1.5).ceil() as u64 + 2);
    let starts_at_ms = (metrics::unix_ms() / 1000 + open_delay_secs as i64 + 1) * 1000;
    let ends_at_ms = starts_at_ms + spec.bidding_secs as i64 * 1000;
    eprintln!(
        "setup: {} relay rooms opening in {open_delay_secs} s",
        spec.rooms
    );
    let lots = relay
        .rooms(&RoomTerms {
            rooms: spec.rooms,
            starts_at_ms,
            ends_at_ms,
            extension_secs: spec.extension_secs,
            max_extensions: spec.max_extensions,
            start_price_cents: START_PRICE_CENTS,
            increment_cents: INCREMENT_CENTS,
        })
        .await?;
    let accounts = spec.bidder_accounts.max(spec.bidders_per_room).max(1);
    let rooms = lots
        .iter()
        .enumerate()
        .map(|(room, &lot)| RoomPlan {
            lot,
            starts_at_ms,
            ends_at_ms,
            seats: (0..spec.bidders_per_room)
                .map(|seat| {
                    // Consecutive accounts, so the accounts of one room are distinct.
                    let account_id = ((room * spec.bidders_per_room + seat) % accounts) as i64 + 1;
                    let number: Arc<str> = Arc::from(format!("{:04}", seat + 1));
                    let identity = Identity::Bidder {
                        account_id,
                        number: number.clone(),
                    };
                    Seat {
                        account_id,
                        token: Arc::from(identity.token()),
                        bidder_number: number,
                    }
                })
                .collect(),
        })
        .collect();
    Ok(Exchange {
        rooms,
        watcher_token: Arc::from(Identity::Watcher.token()),
        setup_secs: started.elapsed().as_secs_f64(),
    })
}

/// Enough time for the lots, the registrations (3 requests each) and the connections at
/// the rates just seen, with half again as margin, and 2 s more.
fn estimated_open_delay_secs(spec: &ExchangeSpec, requests_per_sec: f64) -> u64 {
    /// Connections opened and authenticated per second, conservatively.
    const SLOW_CONNECTIONS_PER_SEC: f64 = 1_000.0;
    let requests = (2 * spec.rooms + 3 * spec.rooms * spec.bidders_per_room) as f64;
    let secs =
        requests / requests_per_sec.max(1.0) + spec.connections as f64 / SLOW_CONNECTIONS_PER_SEC;
    (secs * 1.5).ceil() as u64 + 2
}

fn lot_terms(spec: &ExchangeSpec, starts_at_ms: i64, ends_at_ms: i64) -> Value {
    let starts_at = rfc3339(starts_at_ms);
    json!({
        "title": "Load test lot",
        "description": "Created by bidroom-loadtest",
        "currency": "CNY",
        "start_price": crate::wire::format_cents(START_PRICE_CENTS),
        "increment": crate::wire::format_cents(INCREMENT_CENTS),
        "deposit": { "kind": "fixed", "amount": crate::wire::format_cents(DEPOSIT_CENTS) },
        "fee_rate": "0.01",
        "applications_close_at": starts_at,
        "deposit_deadline": starts_at,
        "starts_at": starts_at,
        "ends_at": rfc3339(ends_at_ms),
        "extension_window_secs": spec.extension_secs,
        "max_extensions": spec.max_extensions,
        "extension_mode": "reset",
    })
}

/// RFC 3339 in UTC with milliseconds, from milliseconds since the Unix epoch.
fn rfc3339(unix_ms: i64) -> String {
    let secs = unix_ms.div_euclid(1000);
    let millis = unix_ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let seconds_of_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        seconds_of_day / 3600,
        seconds_of_day % 3600 / 60,
        seconds_of_day % 60
    )
}

/// Howard Hinnant's days-to-civil: the proleptic Gregorian date of a day count.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_420_800_123), "2026-11-23T08:00:00.123Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }
}
