//! One WebSocket connection to the server (`ws://`, or `wss://` through TLS): open it,
//! authenticate, join a room, and read data frames.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::wire::{Encoding, Incoming, Outgoing, parse_cents};

/// Local ports one source address may use towards one server port: the kernel's default
/// ephemeral range holds about 28,000; stay clear of its end.
const CONNECTIONS_PER_SOURCE_ADDRESS: usize = 25_000;

/// Opens connections to one server, or spread over the nodes of a cluster.
#[derive(Clone, Debug)]
pub struct Connector {
    /// Each node's address and WebSocket URL; connection `index` goes to node
    /// `index % nodes.len()`.
    nodes: Vec<(SocketAddr, String)>,
    encoding: Encoding,
    /// For `wss://`: the TLS client configuration.
    tls: Option<Arc<rustls::ClientConfig>>,
}

impl Connector {
    /// `server` is the root URL (`http://host:port`, or `https://host:port` with `tls`), or
    /// several, comma separated: the nodes of one exchange, which connections are spread
    /// over in turn.
    pub async fn new(
        server: &str,
        encoding: Encoding,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> anyhow::Result<Connector> {
        let mut nodes = Vec::new();
        for server in server
            .split(',')
            .map(str::trim)
            .filter(|server| !server.is_empty())
        {
            nodes.push(node(server, tls.is_some()).await?);
        }
        if nodes.is_empty() {
            bail!("--server names no server");
        }
        Ok(Connector {
            nodes,
            encoding,
            tls,
        })
    }

    /// How many nodes connections are spread over.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Opens connection number `index`. Towards a loopback server, connections are spread
    /// over source addresses 127.0.0.1, 127.0.0.2, ... so that more of them fit than one
    /// address has local ports.
    pub async fn open(&self, index: usize) -> anyhow::Result<Connection> {
        let (address, url) = &self.nodes[index % self.nodes.len()];
        let address = *address;
        let socket = match address {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        let spread = index / CONNECTIONS_PER_SOURCE_ADDRESS;
        if spread > 0 && address.ip().is_loopback() && address.is_ipv4() {
            // A bound socket takes its port before it knows where it connects, from the
            // address's whole ephemeral range: let ports in TIME_WAIT be taken again.
            socket.set_reuseaddr(true)?;
            let source = Ipv4Addr::new(127, 0, 0, 1 + spread as u8);
            socket.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
        }
        let stream = socket
            .connect(address)
            .await
            .with_context(|| format!("connecting to {address}"))?;
        stream.set_nodelay(true)?;
        let mut request = url.as_str().into_client_request()?;
        let protocol = self.encoding.subprotocol();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(protocol));
        // Small buffers: thousands of connections live in this process too.
        let config = WebSocketConfig::default()
            .read_buffer_size(8 * 1024)
            .write_buffer_size(0);
        // The TLS handshake (for `wss://`, named after the URL's host), then the WebSocket's.
        let tls = self.tls.clone().map(tokio_tungstenite::Connector::Rustls);
        let (stream, response) =
            tokio_tungstenite::client_async_tls_with_config(request, stream, Some(config), tls)
                .await
                .context("the WebSocket handshake")?;
        let chosen = response.headers().get("Sec-WebSocket-Protocol");
        if chosen.and_then(|value| value.to_str().ok()) != Some(protocol) {
            bail!("the server did not choose the subprotocol {protocol}: {chosen:?}");
        }
        Ok(Connection {
            stream,
            encoding: self.encoding,
        })
    }
}

/// One server's address and WebSocket URL.
async fn node(server: &str, tls: bool) -> anyhow::Result<(SocketAddr, String)> {
    let server = server.trim_end_matches('/');
    let (scheme, authority, default_port) = if let Some(authority) = server.strip_prefix("http://")
    {
        ("ws", authority, 80)
    } else if let Some(authority) = server.strip_prefix("https://") {
        ("wss", authority, 443)
    } else {
        bail!("--server is an http:// or https:// URL, not {server}");
    };
    if (scheme == "wss") != tls {
        bail!("{server}: TLS is for https:// servers, and https:// needs it");
    }
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, port)| port.parse::<u16>().is_ok());
    let target = if has_port {
        authority.to_owned()
    } else {
        format!("{authority}:{default_port}")
    };
    let resolved = tokio::net::lookup_host(&target).await;
    let address = resolved
        .with_context(|| format!("resolving {authority}"))?
        .next()
        .with_context(|| format!("{authority} has no address"))?;
    Ok((address, format!("{scheme}://{authority}/ws")))
}

/// A room as a `join` showed it.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub seq: u64,
    pub state: String,
    pub min_next_cents: i64,
    /// The highest accepted bid, in cents; `None` before the first.
    pub price_cents: Option<i64>,
    pub leader: Option<String>,
    pub bidder_number: Option<String>,
    /// Whether the server counts this account as an eligible bidder of the room.
    pub eligible: bool,
}

impl Snapshot {
    /// The fields of a `snapshot` message.
    pub fn of(snapshot: &Incoming<'_>) -> anyhow::Result<Snapshot> {
        Ok(Snapshot {
            seq: snapshot.seq.unwrap_or_default(),
            state: snapshot.state.as_deref().unwrap_or_default().to_owned(),
            min_next_cents: snapshot
                .min_next
                .as_deref()
                .and_then(parse_cents)
                .context("a snapshot's min_next")?,
            price_cents: match snapshot.price.as_deref() {
                None => None,
                Some(price) => Some(parse_cents(price).context("a snapshot's price")?),
            },
            leader: snapshot
                .leader
                .as_ref()
                .map(|leader| leader.0.clone().into_owned()),
            eligible: snapshot
                .you
                .as_ref()
                .and_then(|you| you.eligible)
                .unwrap_or(false),
            bidder_number: snapshot
                .you
                .as_ref()
                .and_then(|you| you.bidder_number.as_ref())
                .map(|number| number.0.clone().into_owned()),
        })
    }
}

pub struct Connection {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    encoding: Encoding,
}

impl Connection {
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    pub async fn send(&mut self, message: &Outgoing<'_>) -> anyhow::Result<()> {
        self.stream
            .send(self.encoding.encode(message))
            .await
            .context("sending a frame")
    }

    /// The next data frame; `None` when the server closed the connection.
    pub async fn next_frame(&mut self) -> anyhow::Result<Option<Message>> {
        loop {
            match self.stream.next().await {
                Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                    return Ok(Some(message));
                }
                Some(Ok(Message::Close(_))) | None => return Ok(None),
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error).context("reading a frame"),
            }
        }
    }

    /// Reads frames until one satisfies `wanted`, failing on an `error` or a close.
    async fn next_matching(
        &mut self,
        what: &str,
        mut wanted: impl FnMut(&Incoming<'_>) -> bool,
    ) -> anyhow::Result<Message> {
        loop {
            let Some(frame) = self.next_frame().await? else {
                bail!("the server closed the connection while we waited for {what}");
            };
            let message = self.encoding.decode(&frame)?;
            if message.is("error") {
                bail!(
                    "waiting for {what}: error {}: {}",
                    message.code.as_deref().unwrap_or_default(),
                    message.message.as_deref().unwrap_or_default()
                );
            }
            if wanted(&message) {
                return Ok(frame);
            }
        }
    }

    pub async fn authenticate(&mut self, token: &str) -> anyhow::Result<()> {
        self.send(&Outgoing::Auth { token }).await?;
        self.next_matching("welcome", |message| message.is("welcome"))
            .await?;
        Ok(())
    }

    /// Joins a room; returns its snapshot (nothing of the room precedes it on a first join).
    pub async fn join(&mut self, lot: i64) -> anyhow::Result<Snapshot> {
        let req = format!("join-{lot}");
        self.send(&Outgoing::Join {
            lot,
            req: &req,
            since_seq: None,
        })
        .await?;
        let frame = self
            .next_matching("the snapshot", |message| {
                message.is("snapshot") && message.req.as_deref() == Some(req.as_str())
            })
            .await?;
        Snapshot::of(&self.encoding.decode(&frame)?)
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}
