//! The lot scheduler: every [`DemoTimings::lot_interval`] it drops the demo lots that have
//! ended, opens the next lot of the catalogue when fewer than
//! [`DemoTimings::max_live_lots`] are live, tells the demo bidders, and tops up any demo
//! bidder whose wallet runs low. Everything goes through the API, as a person's would.

use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use super::api::{Api, DemoAccount};
use super::lots::{CATALOGUE, DemoLot, Schedule, open_lot};
use super::seed::{Cast, SEEDED_LOTS};
use super::timing::{DemoTimings, draw};
use super::{stopping, wallets};
use crate::clock::Clock;

pub struct Scheduler {
    pub api: Api,
    pub cast: Cast,
    pub clock: Clock,
    pub timings: DemoTimings,
    /// Sessions are signed in again after half their lifetime.
    pub session_ttl: Duration,
    /// The live demo lots, as the demo bidders see them.
    pub lots: watch::Sender<Vec<DemoLot>>,
    pub shutdown: watch::Receiver<bool>,
}

impl Scheduler {
    /// Runs until the server shuts down; a failed round is logged and the next one tries
    /// again.
    pub async fn run(mut self) {
        let mut rng = StdRng::from_os_rng();
        let mut next_offer = SEEDED_LOTS;
        let mut signed_in_at = Instant::now();
        let mut rounds = tokio::time::interval_at(
            Instant::now() + self.timings.lot_interval,
            self.timings.lot_interval,
        );
        rounds.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut shutdown = self.shutdown.clone();
        loop {
            tokio::select! {
                () = stopping(&mut shutdown) => break,
                _ = rounds.tick() => {}
            }
            if signed_in_at.elapsed() > self.session_ttl / 2 {
                tokio::select! {
                    () = stopping(&mut shutdown) => break,
                    signed_in = self.cast.sign_in_again(&self.api) => match signed_in {
                        Ok(()) => signed_in_at = Instant::now(),
                        Err(error) => tracing::warn!(error = ?error, "the demo could not sign in again"),
                    },
                }
            }
            tokio::select! {
                () = stopping(&mut shutdown) => break,
                round = self.round(&mut rng, next_offer) => match round {
                    Ok(Some(lot)) => {
                        tracing::info!(lot = lot.id, title = %lot.title, "demo lot scheduled");
                        next_offer = (next_offer + 1) % CATALOGUE.len();
                    }
                    Ok(None) => {}
                    Err(error) => tracing::warn!(error = ?error, "a demo scheduling round failed"),
                },
            }
        }
        tracing::debug!("demo lot scheduler stopped");
    }

    /// One round; returns the lot it opened, if any.
    async fn round(&self, rng: &mut StdRng, next_offer: usize) -> anyhow::Result<Option<DemoLot>> {
        let live = self.live_lots().await?;
        let opened = if live.len() < self.timings.max_live_lots {
            let lot = self.open_next(rng, next_offer).await?;
            Some(lot)
        } else {
            None
        };
        self.lots.send_modify(|lots| {
            lots.retain(|lot| live.contains(&lot.id));
            lots.extend(opened.clone());
        });
        let now_ms = self.clock.now_ms();
        for bidder in self.cast.bidders() {
            if wallets::top_up_if_low(&self.api, &self.cast.admin.token, bidder, now_ms).await? {
                tracing::info!(bidder = %bidder.username, "demo bidder topped up");
            }
        }
        Ok(opened)
    }

    /// The ids of the demo lots still published, open or paused.
    async fn live_lots(&self) -> anyhow::Result<Vec<i64>> {
        let known = self.lots.borrow().clone();
        let mut live = Vec::new();
        for lot in known {
            let shown = self
                .api
                .get(&format!("/lots/{}", lot.id), &self.cast.admin.token)
                .await?;
            if matches!(
                shown["state"].as_str(),
                Some("published" | "open" | "paused")
            ) {
                live.push(lot.id);
            }
        }
        Ok(live)
    }

    async fn open_next(&self, rng: &mut StdRng, next_offer: usize) -> anyhow::Result<DemoLot> {
        let runs_for = draw(rng, &self.timings.lot_runs_for);
        let schedule = Schedule {
            starts_at_ms: self.clock.now_ms()
                + self.timings.lot_published_before_opening.as_millis() as i64,
            runs_for_ms: runs_for.as_millis() as i64,
            extension_window_secs: self.timings.extension_window_secs(),
        };
        let bidders: Vec<DemoAccount> = self.cast.bidders().cloned().collect();
        open_lot(
            &self.api,
            &self.cast.auctioneer,
            &self.cast.admin,
            &bidders,
            &CATALOGUE[next_offer],
            &schedule,
        )
        .await
    }
}
