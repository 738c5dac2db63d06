//! Starting and stopping the server.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::ServeConfig;
use crate::http::{AppState, router};
use crate::realtime::connections::{ConnectionLimits, Connections};
use crate::rooms::Rooms;
use crate::storage;

/// A server running in this process.
pub struct RunningServer {
    pub local_addr: SocketAddr,
    pub state: AppState,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl RunningServer {
    /// Stops taking requests and bids, flushes the journal and waits for the end.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.shutdown.send(true);
        self.task.await.context("the server task panicked")?
    }

    /// Waits until the server ends by itself (SIGTERM in `main`, or `stop`).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("the server task panicked")?
    }

    pub fn shutdown_trigger(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

/// Opens the database, rebuilds the live rooms, binds the listener and starts serving.
pub async fn start(config: ServeConfig) -> anyhow::Result<RunningServer> {
    start_with_metrics(config, None).await
}

pub async fn start_with_metrics(
    config: ServeConfig,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
) -> anyhow::Result<RunningServer> {
    let mut config = config;
    if config.demo && config.bootstrap_admin.is_none() {
        config.bootstrap_admin = Some(crate::config::Credentials {
            username: crate::demo::DEMO_ADMIN.to_owned(),
            password: crate::demo::DEMO_PASSWORD.to_owned(),
        });
    }
    let id_number_key = config.resolve_id_number_key()?;
    let clock = Clock::start();
    let store = storage::connect(&config.database_url).await?;
    let rooms = Rooms::start(store.clone(), clock).await?;
    let (shutdown, mut shutdown_requested) = watch::channel(false);
    let connections = Connections::new(ConnectionLimits::of(&config));
    let state = AppState {
        store,
        rooms,
        config: Arc::new(config),
        clock,
        metrics,
        shutdown: shutdown_requested.clone(),
        id_number_key,
        connections,
    };
    storage::accounts::ensure_bootstrap_admin(&*state.store, &state.config, clock.now_ms()).await?;

    let listener = TcpListener::bind(state.config.listen)
        .await
        .with_context(|| format!("failed to listen on {}", state.config.listen))?;
    let local_addr = listener.local_addr()?;
    let demo = if state.config.demo {
        let demo = crate::demo::start(&state, local_addr)
            .await
            .context("failed to seed the demo exchange")?;
        println!("{}", demo.guide());
        Some(demo)
    } else {
        None
    };
    let app = router(state.clone());
    tokio::spawn(crate::http::sweep_sessions(state.clone()));
    let rooms = state.rooms.clone();
    let task = tokio::spawn(async move {
        // Nagle's algorithm would hold an `accepted` answer back behind the bidder's own
        // `bid` event for a delayed ACK (~40 ms): every accepted socket gets TCP_NODELAY.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            let _ = tcp.set_nodelay(true);
        });
        // The peer's address is the WebSocket upgrade's to count (--max-connections-per-address).
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = shutdown_requested.wait_for(|stop| *stop).await;
            })
            .await
            .context("the HTTP server failed")?;
        // The demo's bidders and scheduler end with the same signal.
        if let Some(demo) = demo {
            demo.finished().await;
        }
        // Connections are closed: stop the rooms and let the journal commit what they took.
        rooms.shutdown().await;
        tracing::info!("bidroom stopped");
        Ok(())
    });
    tracing::info!(%local_addr, "bidroom is ready: listening on http://{local_addr}");
    Ok(RunningServer {
        local_addr,
        state,
        shutdown,
        task,
    })
}
