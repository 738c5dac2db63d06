//! The bare server: an echo listener and a broadcast listener, plain tokio-tungstenite,
//! on a runtime of its own.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Bytes, Message};

use crate::metrics;

/// Frames a broadcast receiver may fall behind before it misses some (bidroom's replay
/// window is the same 1,024 events).
const BROADCAST_CAPACITY: usize = 1024;
/// Frames fed to one connection before it is flushed.
const FRAMES_PER_FLUSH: usize = 256;

pub struct BareServer {
    runtime: Runtime,
    pub echo_address: SocketAddr,
    pub broadcast_address: SocketAddr,
    sender: broadcast::Sender<Bytes>,
    /// Frames the server dropped for lagging receivers.
    pub lagged: Arc<AtomicU64>,
}

/// A 4 KiB read buffer, as bidroom's connections have. Writes keep tungstenite's default
/// write buffer: `feed` only queues a frame and `flush` writes the lot in one go (with a
/// write buffer of 0 every `feed` would be a write of its own, and a broadcast would
/// cost one syscall per frame per receiver).
fn config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4 * 1024)
}

fn listener() -> anyhow::Result<StdListener> {
    let listener = StdListener::bind(("127.0.0.1", 0))?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

impl BareServer {
    pub fn start(threads: usize) -> anyhow::Result<BareServer> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("bare-server")
            .enable_all()
            .build()?;
        let echo = listener()?;
        let feed = listener()?;
        let echo_address = echo.local_addr()?;
        let broadcast_address = feed.local_addr()?;
        let (sender, _) = broadcast::channel(BROADCAST_CAPACITY);
        let lagged = Arc::new(AtomicU64::new(0));
        runtime.spawn(accept(
            echo,
            |stream| async move { echo_frames(stream).await },
        ));
        let feeds = sender.clone();
        let feed_lagged = lagged.clone();
        runtime.spawn(accept(feed, move |stream| {
            let frames = feeds.subscribe();
            let lagged = feed_lagged.clone();
            async move { feed_frames(stream, frames, lagged).await }
        }));
        Ok(BareServer {
            runtime,
            echo_address,
            broadcast_address,
            sender,
            lagged,
        })
    }

    /// Broadcast receivers the server has accepted.
    pub fn receivers(&self) -> usize {
        self.sender.receiver_count()
    }

    /// Sends `total` frames of `bytes` bytes to every receiver, at `rate` a second from
    /// now; each carries its seq and its intended send time (ns on the load tester's clock).
    /// Returns when the last one is sent.
    pub async fn send(&self, rate: f64, total: u64, bytes: usize) {
        let sender = self.sender.clone();
        let sending = self.runtime.spawn(async move {
            let interval_ns = 1e9 / rate.max(0.001);
            let start_ns = metrics::now_ns();
            let mut sent = 0u64;
            while sent < total {
                let elapsed_ns = metrics::now_ns().saturating_sub(start_ns);
                let due = ((elapsed_ns as f64 / interval_ns) as u64 + 1).min(total);
                while sent < due {
                    let intended_ns = start_ns + (sent as f64 * interval_ns) as u64;
                    // No receiver is not an error for a sender: the count shows it.
                    let _ = sender.send(frame(sent, intended_ns, bytes));
                    sent += 1;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
        let _ = sending.await;
    }

    pub fn stop(self) {
        self.runtime.shutdown_background();
    }
}

/// A frame of `bytes` bytes (at least 16): seq and intended send time, then padding.
pub fn frame(seq: u64, intended_ns: u64, bytes: usize) -> Bytes {
    let mut frame = vec![0u8; bytes.max(16)];
    frame[..8].copy_from_slice(&seq.to_le_bytes());
    frame[8..16].copy_from_slice(&intended_ns.to_le_bytes());
    Bytes::from(frame)
}

/// The seq and intended send time a frame carries.
pub fn read_frame(frame: &[u8]) -> Option<(u64, u64)> {
    let seq = u64::from_le_bytes(frame.get(..8)?.try_into().ok()?);
    let intended_ns = u64::from_le_bytes(frame.get(8..16)?.try_into().ok()?);
    Some((seq, intended_ns))
}

async fn accept<F, Fut>(listener: StdListener, serve: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Ok(listener) = TcpListener::from_std(listener) else {
        return;
    };
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve(stream));
    }
}

/// Sends every data frame back.
async fn echo_frames(stream: TcpStream) {
    let Ok(mut socket) = tokio_tungstenite::accept_async_with_config(stream, Some(config())).await
    else {
        return;
    };
    while let Some(Ok(message)) = socket.next().await {
        let echoed = match message {
            Message::Binary(_) | Message::Text(_) => socket.send(message).await,
            Message::Close(_) => return,
            _ => continue,
        };
        if echoed.is_err() {
            return;
        }
    }
}

/// Feeds the connection every broadcast frame: what is ready (up to
/// [`FRAMES_PER_FLUSH`]), then one flush.
async fn feed_frames(
    stream: TcpStream,
    mut frames: broadcast::Receiver<Bytes>,
    lagged: Arc<AtomicU64>,
) {
    let Ok(mut socket) = tokio_tungstenite::accept_async_with_config(stream, Some(config())).await
    else {
        return;
    };
    loop {
        let first = match frames.recv().await {
            Ok(frame) => frame,
            Err(RecvError::Lagged(missed)) => {
                lagged.fetch_add(missed, Ordering::Relaxed);
                continue;
            }
            Err(RecvError::Closed) => return,
        };
        if socket.feed(Message::Binary(first)).await.is_err() {
            return;
        }
        for _ in 1..FRAMES_PER_FLUSH {
            match frames.try_recv() {
                Ok(frame) => {
                    if socket.feed(Message::Binary(frame)).await.is_err() {
                        return;
                    }
                }
                Err(TryRecvError::Lagged(missed)) => {
                    lagged.fetch_add(missed, Ordering::Relaxed);
                }
                Err(_) => break,
            }
        }
        if socket.flush().await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_carries_its_seq_and_send_time() {
        let frame = frame(7, 123_456, 200);
        assert_eq!(frame.len(), 200);
        assert_eq!(read_frame(&frame), Some((7, 123_456)));
        assert_eq!(read_frame(&[1, 2, 3]), None);
    }
}
