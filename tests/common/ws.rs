//! A WebSocket test client speaking SPEC §4 in JSON or MessagePack.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a message before failing.
pub const RECEIVE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    Json,
    MessagePack,
}

pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    wire: Wire,
    /// Messages read while waiting for another one, in order.
    pub backlog: Vec<Value>,
}

impl WsClient {
    /// Connects without authenticating.
    pub async fn connect(url: &str, wire: Wire) -> WsClient {
        let mut request = url.into_client_request().unwrap();
        let protocol = match wire {
            Wire::Json => "bidroom.v1.json",
            Wire::MessagePack => "bidroom.v1.msgpack",
        };
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(protocol));
        let (stream, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the WebSocket connects");
        assert_eq!(
            response.headers().get("Sec-WebSocket-Protocol").unwrap(),
            protocol
        );
        WsClient {
            stream,
            wire,
            backlog: Vec::new(),
        }
    }

    /// Connects and authenticates; returns the client after `welcome`.
    pub async fn signed_in(url: &str, token: &str, wire: Wire) -> WsClient {
        let mut client = WsClient::connect(url, wire).await;
        client.send(json!({"type": "auth", "token": token})).await;
        let welcome = client.next().await;
        assert_eq!(welcome["type"], "welcome", "{welcome}");
        client
    }

    pub async fn send(&mut self, message: Value) {
        let frame = match self.wire {
            Wire::Json => Message::Text(message.to_string().into()),
            Wire::MessagePack => Message::Binary(rmp_serde::to_vec_named(&message).unwrap().into()),
        };
        self.stream.send(frame).await.expect("the frame is sent");
    }

    pub async fn send_raw(&mut self, frame: Message) {
        self.stream.send(frame).await.expect("the frame is sent");
    }

    /// The next message (from the backlog first).
    pub async fn next(&mut self) -> Value {
        if !self.backlog.is_empty() {
            return self.backlog.remove(0);
        }
        self.read()
            .await
            .unwrap_or_else(|frame| panic!("expected a message, got {frame:?}"))
    }

    /// The next message, or the frame that ended the stream (`None` for an end without
    /// a close frame).
    pub async fn next_or_end(&mut self) -> Result<Value, Option<Message>> {
        if !self.backlog.is_empty() {
            return Ok(self.backlog.remove(0));
        }
        self.read().await
    }

    /// Reads one data frame off the socket, or returns the frame that ended the stream.
    async fn read(&mut self) -> Result<Value, Option<Message>> {
        self.read_within(RECEIVE_TIMEOUT).await
    }

    async fn read_within(&mut self, timeout: Duration) -> Result<Value, Option<Message>> {
        loop {
            let frame = tokio::time::timeout(timeout, self.stream.next())
                .await
                .expect("a message within the timeout");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    assert_eq!(self.wire, Wire::Json, "JSON arrives in text frames");
                    return Ok(serde_json::from_str(&text).unwrap());
                }
                Some(Ok(Message::Binary(bytes))) => {
                    assert_eq!(
                        self.wire,
                        Wire::MessagePack,
                        "MessagePack arrives in binary frames"
                    );
                    return Ok(rmp_serde::from_slice(&bytes).unwrap());
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(other)) => return Err(Some(other)),
                Some(Err(_)) | None => return Err(None),
            }
        }
    }

    /// Waits for the first message that matches, keeping the others in the backlog.
    pub async fn next_matching(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        if let Some(index) = self.backlog.iter().position(&matches) {
            return self.backlog.remove(index);
        }
        loop {
            let message = self
                .read()
                .await
                .unwrap_or_else(|frame| panic!("expected a message, got {frame:?}"));
            if matches(&message) {
                return message;
            }
            self.backlog.push(message);
        }
    }

    /// Waits for the answer carrying `req`.
    pub async fn answer(&mut self, req: &str) -> Value {
        self.next_matching(|message| message["req"] == req).await
    }

    /// Waits for the next message of a type.
    pub async fn next_of_type(&mut self, kind: &str) -> Value {
        self.next_matching(|message| message["type"] == kind).await
    }

    /// Sends a bid and returns its answer.
    pub async fn bid(&mut self, lot: i64, amount: &str, req: &str) -> Value {
        self.send(json!({"type": "bid", "lot": lot, "amount": amount, "req": req}))
            .await;
        self.answer(req).await
    }

    /// Joins a room and returns the snapshot.
    pub async fn join(&mut self, lot: i64) -> Value {
        let req = format!("join-{lot}");
        self.send(json!({"type": "join", "lot": lot, "req": req}))
            .await;
        let snapshot = self.answer(&req).await;
        assert_eq!(snapshot["type"], "snapshot", "{snapshot}");
        snapshot
    }

    /// Waits until the server closes the connection, and returns its close frame.
    pub async fn closed(&mut self) -> Option<CloseFrame> {
        loop {
            // Longer than the server's 10 s allowance for `auth`.
            match self.read_within(Duration::from_secs(15)).await {
                Ok(_) => continue,
                Err(Some(Message::Close(frame))) => return frame,
                Err(_) => return None,
            }
        }
    }
}
