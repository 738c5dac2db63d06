//! `--demo`: a live demo exchange a newcomer can click through at any time.
//!
//! - [`seed`]: the accounts (admin, auctioneer, the bidders alice, bob and carol for
//!   people, and dave, erin and frank who bid by themselves) and the first lots.
//! - [`bots`]: the demo bidders, real WebSocket clients of the server's own listener.
//! - [`schedule`]: a new lot every couple of minutes, and top-ups for low wallets.
//! - [`lots`]: the catalogue and how a lot is opened; [`wallets`]: demo money;
//!   [`timing`]: every pace in one place; [`api`]: the REST API called in process.
//!
//! Everything goes through the public paths (the router, the WebSocket endpoint), so the
//! demo exercises what clients use: validation, the ledger, the journal, the rate limit.
//! The bidders and the scheduler stop with the server's shutdown signal.

mod api;
mod bots;
mod lots;
mod schedule;
mod seed;
pub mod timing;
mod wallets;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::app::AppState;
use crate::time_format::to_rfc3339;
pub use timing::DemoTimings;

/// Every demo account's password.
pub const DEMO_PASSWORD: &str = "bidroom-demo";

/// The admin `--demo` creates when no `--bootstrap-admin` is given.
pub const DEMO_ADMIN: &str = "admin";

/// The bidders people sign in as; no demo bidder bids as them.
pub const PEOPLE: [&str; 3] = [seed::PEOPLE[0].0, seed::PEOPLE[1].0, seed::PEOPLE[2].0];

/// The organisation people sign in as (verified by its credit code); no demo bidder bids
/// as it.
pub const ORGANISATION: &str = seed::ORGANISATION.0;

/// The demo bidders that bid by themselves.
pub const BOTS: [&str; 3] = [seed::BOTS[0].0, seed::BOTS[1].0, seed::BOTS[2].0];

/// A running demo: its bidders and its scheduler.
pub struct Demo {
    guide: String,
    tasks: JoinSet<()>,
}

impl Demo {
    /// What to tell a person: where to click and whom to sign in as.
    pub fn guide(&self) -> &str {
        &self.guide
    }

    /// Waits until the bidders and the scheduler have stopped (they stop with the
    /// server's shutdown signal).
    pub async fn finished(mut self) {
        while let Some(ended) = self.tasks.join_next().await {
            if let Err(error) = ended {
                tracing::error!(%error, "a demo task failed");
            }
        }
    }
}

/// Seeds the demo, then starts its bidders and its scheduler; `address` is where the
/// server listens (the bidders connect there).
pub async fn start(state: &AppState, address: SocketAddr) -> anyhow::Result<Demo> {
    let timings = state.config.demo_timings.clone();
    let api = api::Api::new(state);
    let (cast, seeded) = seed::seed(state, &api, &timings).await?;
    let guide = guide(address, &cast, &seeded, &timings);
    let (lots, demo_lots) = watch::channel(seeded);
    let mut tasks = JoinSet::new();
    for bot in &cast.bots {
        let context = bots::BotContext {
            api: api.clone(),
            address,
            clock: state.clock,
            timings: timings.clone(),
            lots: demo_lots.clone(),
            shutdown: state.shutdown.clone(),
        };
        tasks.spawn(bots::run(bot.username.clone(), context));
    }
    let scheduler = schedule::Scheduler {
        api,
        cast,
        clock: state.clock,
        timings,
        session_ttl: Duration::from_secs(state.config.session_ttl_secs),
        lots,
        shutdown: state.shutdown.clone(),
    };
    tasks.spawn(scheduler.run());
    Ok(Demo { guide, tasks })
}

/// Resolves when the server starts shutting down (or is gone).
async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

fn guide(
    address: SocketAddr,
    cast: &seed::Cast,
    lots: &[lots::DemoLot],
    timings: &DemoTimings,
) -> String {
    let admin_password = if cast.admin_username == DEMO_ADMIN {
        format!("password \"{DEMO_PASSWORD}\"")
    } else {
        "the --bootstrap-admin password".to_owned()
    };
    let lot_lines: Vec<String> = lots
        .iter()
        .map(|lot| {
            format!(
                "  http://{address}/lots/{}  {} (opens {})",
                lot.id,
                lot.title,
                to_rfc3339(lot.starts_at_ms)
            )
        })
        .collect();
    let window = spoken(timings.extension_window);
    let interval = spoken(timings.lot_interval);
    format!(
        "\n\
         bidroom demo exchange: open http://{address}/ in a browser\n\
         \n\
         What is happening: the demo bidders {bots} bid by themselves in every demo lot, \
         every few seconds,\n\
         faster in the last {window} (timed bidding, where each bid moves the deadline \
         {window} on), and each\n\
         stops at a ceiling of its own, so lots end at varied prices. A new lot is published \
         about every\n\
         {interval} and opens shortly after; the lots list at http://{address}/ shows \
         which are live.\n\
         \n\
         Join in: click a live lot (its room is http://{address}/lots/ID), sign in as alice, \
         bob or carol\n\
         (password \"{DEMO_PASSWORD}\"; verified, funded, registered and deposited in every \
         demo lot) and bid;\n\
         or as \"{organisation}\", an organisation verified by its unified social credit code.\n\
         Also: the auctioneer \"{AUCTIONEER}\" (password \"{DEMO_PASSWORD}\") watches and \
         controls the rooms at\n\
         http://{address}/console; the admin \"{admin}\" ({admin_password}) at \
         http://{address}/admin,\n\
         where a transfer to {organisation} from someone else waits, held unmatched, to be \
         resolved; the supervisor \"{SUPERVISOR}\" (password \"{DEMO_PASSWORD}\") sees \
         /admin and every room read-only.\n\
         \n\
         The lots now:\n{lot_lines}\n\
         \n\
         Without a browser: POST /api/v1/sessions {{\"username\":U,\"password\":P}}, then \
         ws://{address}/ws:\n  \
         {{\"type\":\"auth\",\"token\":TOKEN}}, {{\"type\":\"join\",\"lot\":ID}}, \
         {{\"type\":\"bid\",\"lot\":ID,\"amount\":\"...\",\"req\":\"1\"}}\n",
        bots = BOTS.join(", "),
        organisation = ORGANISATION,
        AUCTIONEER = seed::AUCTIONEER,
        SUPERVISOR = seed::SUPERVISOR,
        admin = cast.admin_username,
        lot_lines = lot_lines.join("\n"),
    )
}

/// "2 min", "30 s", "1500 ms".
fn spoken(duration: Duration) -> String {
    match duration.as_millis() {
        millis if millis % 60_000 == 0 => format!("{} min", millis / 60_000),
        millis if millis % 1000 == 0 => format!("{} s", millis / 1000),
        millis => format!("{millis} ms"),
    }
}
