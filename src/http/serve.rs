//! Accepting connections: hyper's HTTP/1.1 server, run by hand rather than through
//! `axum::serve`, for what `axum::serve` does not let one set (SPEC §8):
//!
//! - a **header read timeout** (hyper's, which needs a timer): a client that dribbles its
//!   request line and headers (slowloris), or holds an idle keep-alive connection open,
//!   is disconnected once `--request-timeout-secs` pass without a whole request head;
//! - the peer's address for every request, as axum's [`ConnectInfo`] (the sign-in
//!   throttle counts failures per address);
//! - `TCP_NODELAY` on every accepted socket: Nagle's algorithm would hold an `accepted`
//!   answer back behind the bidder's own `bid` event for a delayed ACK (~40 ms).
//!
//! The rest of the request's time is bounded by the request timeout layer. On shutdown
//! the listener closes, every connection finishes its request in flight and closes, and
//! `serve` returns once they all have. An upgraded WebSocket leaves hyper's hands at the
//! upgrade: it is bound by neither timeout, and closes through its session's own shutdown.

use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

/// Serves `app` on `listener` until `stop` turns true, then lets open connections finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    stop: watch::Receiver<bool>,
) {
    // Every connection task holds a clone; `closed()` resolves once they have all ended.
    let (open_connections, _) = watch::channel(());
    let stopping = stopped(stop.clone());
    tokio::pin!(stopping);
    loop {
        let (socket, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors, or a connection reset before it was accepted:
                    // wait a moment rather than spin, and keep serving.
                    tracing::warn!(%error, "failed to accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stopping => break,
        };
        let _ = socket.set_nodelay(true);
        let service = app
            .clone()
            .map_request(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection = serve_connection(socket, service, header_read_timeout, stop.clone());
        let open = open_connections.subscribe();
        tokio::spawn(async move {
            connection.await;
            drop(open);
        });
    }
    drop(listener);
    open_connections.closed().await;
}

async fn serve_connection<S>(
    socket: tokio::net::TcpStream,
    service: S,
    header_read_timeout: Duration,
    stop: watch::Receiver<bool>,
) where
    S: tower::Service<
            hyper::Request<Incoming>,
            Response = axum::response::Response,
            Error = std::convert::Infallible,
        > + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let connection = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(socket), TowerToHyperService::new(service))
        .with_upgrades();
    tokio::pin!(connection);
    tokio::select! {
        result = connection.as_mut() => log_end(result),
        () = stopped(stop) => {
            connection.as_mut().graceful_shutdown();
            log_end(connection.await);
        }
    }
}

/// Resolves once `stop` turns true (or its sender is gone), holding no guard of it.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await.map(|_| ());
}

/// A connection that ends in an error (a timed-out head, a reset) is the client's affair.
fn log_end(result: Result<(), hyper::Error>) {
    if let Err(error) = result {
        tracing::debug!(%error, "connection ended");
    }
}
