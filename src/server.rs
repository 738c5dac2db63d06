//! Starting and stopping the server.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{AppState, router};
use crate::config::ServeConfig;

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

/// Latencies in seconds, from a fraction of a millisecond (an answer from memory) to many
/// seconds (a database outage waited out).
const LATENCY_BUCKETS: &[f64] = &[
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    10.0,
];

/// Journal batch sizes, from one row to the largest batch (`JOURNAL_MAX_BATCH_ROWS`).
const BATCH_ROW_BUCKETS: &[f64] = &[1.0, 4.0, 16.0, 64.0, 256.0, 1024.0, 4096.0];

/// Installs the process's Prometheus recorder (once a process): histograms get buckets,
/// so that quantiles can be computed over many servers and over time.
pub fn install_metrics_recorder() -> anyhow::Result<metrics_exporter_prometheus::PrometheusHandle> {
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    let mut builder = PrometheusBuilder::new();
    // One matcher a histogram: which of two that match would win is not defined.
    for latency in [
        "bidroom_bid_ack_seconds",
        "bidroom_bid_commit_seconds",
        "bidroom_journal_commit_seconds",
    ] {
        builder =
            builder.set_buckets_for_metric(Matcher::Full(latency.to_owned()), LATENCY_BUCKETS)?;
    }
    let handle = builder
        .set_buckets_for_metric(
            Matcher::Full(crate::http::HTTP_DURATION_METRIC.to_owned()),
            crate::http::HTTP_DURATION_BUCKETS_SECS,
        )?
        .set_buckets_for_metric(
            Matcher::Full("bidroom_journal_batch_rows".to_owned()),
            BATCH_ROW_BUCKETS,
        )?
        .install_recorder()?;
    Ok(handle)
}

/// Opens the database, rebuilds the live rooms, binds the listener and starts serving.
pub async fn start(config: ServeConfig) -> anyhow::Result<RunningServer> {
    start_with_metrics(config, None).await
}

pub async fn start_with_metrics(
    config: ServeConfig,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
) -> anyhow::Result<RunningServer> {
    // Bound before the rooms start, so that the node's address is known to its leases;
    // connections wait in the backlog until the server is ready.
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("failed to listen on {}", config.listen))?;
    let local_addr = listener.local_addr()?;
    let (shutdown, shutdown_requested) = watch::channel(false);
    let state = AppState::build(config, metrics, shutdown_requested.clone(), local_addr).await?;

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
    let header_read_timeout = state.config.request_timeout();
    let task = tokio::spawn(async move {
        crate::http::serve::serve(listener, app, header_read_timeout, shutdown_requested).await;
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
