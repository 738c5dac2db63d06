//! The load tester's side of the ceiling: bare tokio-tungstenite clients.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt, stream};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::cli::Ceiling;
use crate::metrics;

use super::bare_server::{BareServer, frame, read_frame};
use super::{Broadcast, PingPong, SAMPLES_PER_LOCK, SharedHistogram, percentiles};

/// Connections being opened at once.
const CONNECTING_AT_ONCE: usize = 64;
/// How long receivers wait for the last frames after the sender's last one.
const DRAIN_GRACE: Duration = Duration::from_secs(10);

type Socket = WebSocketStream<TcpStream>;

async fn open(address: SocketAddr) -> anyhow::Result<Socket> {
    let stream = TcpStream::connect(address)
        .await
        .with_context(|| format!("connecting to {address}"))?;
    stream.set_nodelay(true)?;
    let config = WebSocketConfig::default()
        .read_buffer_size(8 * 1024)
        .write_buffer_size(0);
    let (socket, _) = tokio_tungstenite::client_async_with_config(
        format!("ws://{address}/"),
        stream,
        Some(config),
    )
    .await
    .context("the WebSocket handshake")?;
    Ok(socket)
}

async fn open_all(address: SocketAddr, count: usize) -> (Vec<Socket>, u64) {
    let opened: Vec<anyhow::Result<Socket>> = stream::iter(0..count)
        .map(|_| open(address))
        .buffer_unordered(CONNECTING_AT_ONCE)
        .collect()
        .await;
    let mut errors = 0;
    let mut sockets = Vec::with_capacity(count);
    for socket in opened {
        match socket {
            Ok(socket) => sockets.push(socket),
            Err(error) => {
                errors += 1;
                if errors <= 5 {
                    eprintln!("ceiling: a connection failed: {error:#}");
                }
            }
        }
    }
    (sockets, errors)
}

/// One message in flight per connection, for `duration`.
pub async fn ping_pong(
    address: SocketAddr,
    connections: usize,
    bytes: usize,
    duration: Duration,
) -> anyhow::Result<PingPong> {
    let (sockets, mut errors) = open_all(address, connections).await;
    let histogram = Arc::new(SharedHistogram::new());
    let started = Instant::now();
    let stop_ns = metrics::now_ns() + duration.as_nanos() as u64;
    let tasks: Vec<_> = sockets
        .into_iter()
        .map(|socket| tokio::spawn(ping(socket, bytes, stop_ns, histogram.clone())))
        .collect();
    let mut round_trips = 0;
    for task in tasks {
        match task.await.context("a ping-pong task panicked")? {
            Ok(count) => round_trips += count,
            Err(_) => errors += 1,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let histogram = Arc::into_inner(histogram)
        .context("every ping-pong task has ended")?
        .take();
    Ok(PingPong {
        connections,
        secs,
        round_trips,
        round_trips_per_sec: round_trips as f64 / secs.max(0.001),
        errors,
        latency: percentiles(&histogram),
    })
}

/// Round trips on one connection until `stop_ns`; returns how many.
async fn ping(
    mut socket: Socket,
    bytes: usize,
    stop_ns: u64,
    histogram: Arc<SharedHistogram>,
) -> anyhow::Result<u64> {
    let mut samples = Vec::with_capacity(SAMPLES_PER_LOCK);
    let mut count = 0;
    let mut seq = 0;
    loop {
        let sent_ns = metrics::now_ns();
        if sent_ns >= stop_ns {
            break;
        }
        socket
            .send(Message::Binary(frame(seq, sent_ns, bytes)))
            .await?;
        loop {
            match socket.next().await {
                Some(Ok(Message::Binary(echo))) => {
                    if read_frame(&echo) != Some((seq, sent_ns)) {
                        anyhow::bail!("the echo is not the frame sent");
                    }
                    break;
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error.into()),
                None => anyhow::bail!("the server closed the connection"),
            }
        }
        samples.push((metrics::now_ns() - sent_ns) / 1_000);
        if samples.len() == SAMPLES_PER_LOCK {
            histogram.record(&mut samples);
        }
        count += 1;
        seq += 1;
    }
    histogram.record(&mut samples);
    let _ = socket.close(None).await;
    Ok(count)
}

/// One sender (in the server) to every receiver, at `broadcast_rate` for `duration`.
pub async fn broadcast(
    server: &BareServer,
    args: &Ceiling,
    duration: Duration,
) -> anyhow::Result<Broadcast> {
    let (sockets, mut errors) = open_all(server.broadcast_address, args.receivers).await;
    let connected = sockets.len();
    // The sender starts once the server has subscribed every connection it accepted.
    let waiting = Instant::now();
    while server.receivers() < connected {
        if waiting.elapsed() > Duration::from_secs(30) {
            anyhow::bail!(
                "the bare server subscribed {} of {connected} receivers",
                server.receivers()
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let total = (args.broadcast_rate * duration.as_secs_f64())
        .ceil()
        .max(1.0) as u64;
    let histogram = Arc::new(SharedHistogram::new());
    let last_delivery_ns = Arc::new(AtomicU64::new(0));
    let start_ns = metrics::now_ns();
    let give_up_ns = start_ns + (duration + DRAIN_GRACE).as_nanos() as u64;
    let receiving: Vec<_> = sockets
        .into_iter()
        .map(|socket| {
            let receiver = Receiver {
                total,
                give_up_ns,
                histogram: histogram.clone(),
                last_delivery_ns: last_delivery_ns.clone(),
            };
            tokio::spawn(receiver.run(socket))
        })
        .collect();
    server
        .send(args.broadcast_rate, total, args.message_bytes)
        .await;
    let mut deliveries = 0;
    let mut missed = 0;
    for task in receiving {
        match task.await.context("a receiver task panicked")? {
            Ok(count) => {
                deliveries += count;
                missed += total - count;
            }
            Err(_) => {
                errors += 1;
                missed += total;
            }
        }
    }
    let secs = (last_delivery_ns
        .load(Ordering::Relaxed)
        .saturating_sub(start_ns)) as f64
        / 1e9;
    let secs = secs.max(duration.as_secs_f64());
    let histogram = Arc::into_inner(histogram)
        .context("every receiver task has ended")?
        .take();
    Ok(Broadcast {
        receivers: args.receivers,
        messages_per_sec_offered: args.broadcast_rate,
        messages_sent: total,
        secs,
        deliveries,
        deliveries_per_sec: deliveries as f64 / secs,
        missed,
        skipped_by_server: server.lagged.load(Ordering::Relaxed),
        errors,
        latency: percentiles(&histogram),
    })
}

struct Receiver {
    total: u64,
    give_up_ns: u64,
    histogram: Arc<SharedHistogram>,
    last_delivery_ns: Arc<AtomicU64>,
}

impl Receiver {
    /// Reads frames until the last one, or until it gives up; returns the frames received
    /// in order (a frame after a gap counts, the missing ones do not).
    async fn run(self, mut socket: Socket) -> anyhow::Result<u64> {
        let mut samples = Vec::with_capacity(SAMPLES_PER_LOCK);
        let mut received = 0;
        let mut last_seq = None;
        let give_up = metrics::instant_at(self.give_up_ns);
        while last_seq != Some(self.total - 1) {
            let next = tokio::time::timeout_at(give_up, socket.next()).await;
            let frame = match next {
                Err(_) => break,
                Ok(Some(Ok(Message::Binary(frame)))) => frame,
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(error))) => return Err(error.into()),
                Ok(None) => anyhow::bail!("the server closed the connection"),
            };
            let now_ns = metrics::now_ns();
            let (seq, intended_ns) = read_frame(&frame).context("a broadcast frame")?;
            if last_seq.is_some_and(|last| seq <= last) {
                anyhow::bail!("frame {seq} arrived out of order");
            }
            last_seq = Some(seq);
            received += 1;
            samples.push(now_ns.saturating_sub(intended_ns) / 1_000);
            if samples.len() == SAMPLES_PER_LOCK {
                self.histogram.record(&mut samples);
            }
        }
        self.histogram.record(&mut samples);
        self.last_delivery_ns
            .fetch_max(metrics::now_ns(), Ordering::Relaxed);
        drop(socket);
        Ok(received)
    }
}
