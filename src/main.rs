use clap::Parser;

use bidroom::config::{Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(config) => {
            bidroom::logging::init(config.log_format);
            serve(config).await
        }
    }
}

async fn serve(config: bidroom::config::ServeConfig) -> anyhow::Result<()> {
    raise_open_file_limit();
    let metrics = bidroom::server::install_metrics_recorder()?;
    // Installed before the ready line: a SIGTERM right after it must not kill the process.
    let terminate = termination()?;
    let server = bidroom::server::start_with_metrics(config, Some(metrics)).await?;
    let shutdown = server.shutdown_trigger();
    tokio::spawn(async move {
        terminate.await;
        tracing::info!("shutting down: no more bids, flushing the journal");
        let _ = shutdown.send(true);
    });
    server.wait().await
}

/// Every WebSocket connection holds a descriptor: raise the soft limit to the hard one
/// (often 1,024 soft against a far higher hard limit), and say how many there are.
fn raise_open_file_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::info!(open_files = limit, "open-file limit"),
        Err(error) => tracing::warn!(%error, "could not raise the open-file limit"),
    }
}

/// SIGTERM or Ctrl-C, with the SIGTERM handler installed now.
fn termination() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = terminate.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    })
}
