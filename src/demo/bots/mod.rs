//! Demo bidders that bid by themselves: each is a real WebSocket client of the server's
//! own listener, signed in with its own token, joining the demo lots and sending `bid`
//! messages with a `req` like any client, so its bids are rate-limited, judged by the room,
//! journaled and broadcast exactly as a person's are.
//!
//! How a bidder decides (when, how much, when to stop) is [`strategy`], with no I/O; this
//! module is the connection: sign in, connect, `auth`, `join`, and the loop that `select!`s
//! on frames from the server, the next bid's timer, new demo lots and shutdown.

mod strategy;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::api::Api;
use super::lots::DemoLot;
use super::timing::DemoTimings;
use super::{DEMO_PASSWORD, stopping};
use crate::clock::Clock;
use crate::domain::LotId;
use crate::money::Money;
use strategy::{Heard, LotPlan, Outcome};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What every demo bidder shares.
#[derive(Clone)]
pub struct BotContext {
    pub api: Api,
    pub address: SocketAddr,
    pub clock: Clock,
    pub timings: DemoTimings,
    pub lots: watch::Receiver<Vec<DemoLot>>,
    pub shutdown: watch::Receiver<bool>,
}

/// Runs one demo bidder until the server shuts down, reconnecting when its connection
/// drops.
pub async fn run(username: String, context: BotContext) {
    let mut bot = Bot {
        username,
        context,
        rng: StdRng::from_os_rng(),
        ended: HashSet::new(),
        next_req: 1,
    };
    loop {
        match bot.connected().await {
            Ok(Ending::Shutdown) => break,
            Ok(Ending::Dropped) => {
                tracing::debug!(bot = %bot.username, "demo bidder's connection dropped")
            }
            Err(error) => {
                tracing::warn!(bot = %bot.username, error = ?error, "demo bidder's connection failed")
            }
        }
        let reconnect_after = bot.context.timings.reconnect_after;
        let mut shutdown = bot.context.shutdown.clone();
        tokio::select! {
            () = stopping(&mut shutdown) => break,
            () = tokio::time::sleep(reconnect_after) => {}
        }
    }
    tracing::debug!(bot = %bot.username, "demo bidder stopped");
}

enum Ending {
    Shutdown,
    Dropped,
}

struct Bot {
    username: String,
    context: BotContext,
    rng: StdRng,
    /// Lots that closed or that this bidder may not bid in: never joined again.
    ended: HashSet<LotId>,
    next_req: u64,
}

impl Bot {
    /// One connection: sign in, `auth`, join the demo lots, then bid until it ends.
    async fn connected(&mut self) -> anyhow::Result<Ending> {
        let token = self
            .context
            .api
            .sign_in(&self.username, DEMO_PASSWORD)
            .await?;
        let url = format!("ws://{}/ws", self.context.address);
        let (mut socket, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .with_context(|| format!("failed to connect to {url}"))?;
        send(&mut socket, json!({"type": "auth", "token": token})).await?;
        match tokio::time::timeout(crate::limits::AUTH_TIMEOUT, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) if text.contains("\"welcome\"") => {}
            other => bail!("no welcome after auth: {other:?}"),
        }
        let mut lots: HashMap<LotId, LotPlan> = HashMap::new();
        let mut shutdown = self.context.shutdown.clone();
        let mut demo_lots = self.context.lots.clone();
        demo_lots.mark_changed();
        loop {
            let next_bid_at = lots.values().filter_map(LotPlan::next_bid_at).min();
            tokio::select! {
                () = stopping(&mut shutdown) => {
                    let _ = socket.close(None).await;
                    return Ok(Ending::Shutdown);
                }
                changed = demo_lots.changed() => {
                    if changed.is_err() {
                        let _ = socket.close(None).await;
                        return Ok(Ending::Shutdown);
                    }
                    let current = demo_lots.borrow_and_update().clone();
                    self.join_new(&mut socket, &mut lots, current).await?;
                }
                () = sleep_until(next_bid_at) => self.bid_when_due(&mut socket, &mut lots).await?,
                frame = socket.next() => match frame {
                    Some(Ok(Message::Text(text))) => self.heard(&mut socket, &mut lots, &text).await?,
                    Some(Ok(Message::Close(_))) | None => return Ok(Ending::Dropped),
                    Some(Ok(_)) => {}
                    Some(Err(error)) => {
                        tracing::debug!(bot = %self.username, %error, "demo bidder's socket failed");
                        return Ok(Ending::Dropped);
                    }
                },
            }
        }
    }

    async fn join_new(
        &mut self,
        socket: &mut Socket,
        lots: &mut HashMap<LotId, LotPlan>,
        current: Vec<DemoLot>,
    ) -> anyhow::Result<()> {
        for lot in current {
            if lots.contains_key(&lot.id) || self.ended.contains(&lot.id) {
                continue;
            }
            send(socket, json!({"type": "join", "lot": lot.id})).await?;
            let plan = LotPlan::new(&lot, &self.context.timings, &mut self.rng);
            lots.insert(lot.id, plan);
        }
        Ok(())
    }

    async fn heard(
        &mut self,
        socket: &mut Socket,
        lots: &mut HashMap<LotId, LotPlan>,
        text: &str,
    ) -> anyhow::Result<()> {
        let Ok(message) = serde_json::from_str::<Heard>(text) else {
            return Ok(());
        };
        let Some(lot) = message.lot() else {
            return Ok(());
        };
        let Some(plan) = lots.get_mut(&lot) else {
            return Ok(());
        };
        let now = Instant::now();
        let now_ms = self.context.clock.now_ms();
        if plan.hear(message, now, now_ms, &mut self.rng) == Outcome::Done {
            lots.remove(&lot);
            self.ended.insert(lot);
            send(socket, json!({"type": "leave", "lot": lot})).await?;
        }
        Ok(())
    }

    /// Sends every bid whose time has come.
    async fn bid_when_due(
        &mut self,
        socket: &mut Socket,
        lots: &mut HashMap<LotId, LotPlan>,
    ) -> anyhow::Result<()> {
        let now = Instant::now();
        let now_ms = self.context.clock.now_ms();
        for (lot, plan) in lots.iter_mut() {
            let Some(amount) = plan.bid_due(now, now_ms, &mut self.rng) else {
                continue;
            };
            let req = format!("demo-{}", self.next_req);
            self.next_req += 1;
            plan.sent(req.clone());
            send(socket, bid_message(*lot, amount, &req)).await?;
        }
        Ok(())
    }
}

fn bid_message(lot: LotId, amount: Money, req: &str) -> serde_json::Value {
    json!({"type": "bid", "lot": lot, "amount": amount.to_string(), "req": req})
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn send(socket: &mut Socket, message: serde_json::Value) -> anyhow::Result<()> {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .context("failed to send to the server")
}
