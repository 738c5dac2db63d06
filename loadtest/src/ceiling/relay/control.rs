//! The relay's control connection (`/relay`), both ends: a run asks it for rooms on the
//! lots' terms, and at the end for each room's outcome, as it would ask bidroom's REST API
//! to publish lots and for their results. JSON in text frames, one answer per request.

use std::sync::Arc;

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::api::LotOutcome;

use super::Relay;
use super::room::RoomTerms;

/// The control connection's path.
pub const PATH: &str = "/relay";

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Request {
    Rooms(RoomTerms),
    Outcomes { lots: Vec<i64> },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply {
    Rooms { lots: Vec<i64> },
    Outcomes { outcomes: Vec<LotOutcome> },
    Error { message: String },
}

/// Serves one control connection until it closes.
pub async fn serve(mut socket: WebSocketStream<TcpStream>, relay: Arc<Relay>) {
    while let Some(Ok(frame)) = socket.next().await {
        let Message::Text(text) = frame else {
            continue;
        };
        let reply = match serde_json::from_str::<Request>(text.as_str()) {
            Ok(Request::Rooms(terms)) => Reply::Rooms {
                lots: relay.open_rooms(&terms),
            },
            Ok(Request::Outcomes { lots }) => match relay.outcomes(&lots) {
                Ok(outcomes) => Reply::Outcomes { outcomes },
                Err(lot) => Reply::Error {
                    message: format!("the relay has no lot {lot}"),
                },
            },
            Err(error) => Reply::Error {
                message: format!("not a control request: {error}"),
            },
        };
        let text = serde_json::to_string(&reply).expect("control replies serialize");
        if socket.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
}

/// A run's control connection to a relay.
pub struct RelayControl {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl RelayControl {
    /// `server` is the relay's root URL (`http://host:port`).
    pub async fn connect(server: &str) -> anyhow::Result<RelayControl> {
        let authority = server
            .trim_end_matches('/')
            .strip_prefix("http://")
            .context("--server is an http:// URL")?;
        let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{authority}{PATH}"))
            .await
            .with_context(|| {
                format!("connecting to the relay's control at {authority} (is it `bidroom-loadtest relay`?)")
            })?;
        Ok(RelayControl { socket })
    }

    async fn ask(&mut self, request: &Request) -> anyhow::Result<Reply> {
        let text = serde_json::to_string(request).expect("control requests serialize");
        self.socket.send(Message::Text(text.into())).await?;
        loop {
            match self.socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    return match serde_json::from_str(text.as_str())
                        .context("the relay's control reply")?
                    {
                        Reply::Error { message } => bail!("the relay says: {message}"),
                        reply => Ok(reply),
                    };
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err(error).context("the relay's control connection"),
                None => bail!("the relay closed its control connection"),
            }
        }
    }

    /// New rooms on these terms; their lot ids.
    pub async fn rooms(&mut self, terms: &RoomTerms) -> anyhow::Result<Vec<i64>> {
        match self.ask(&Request::Rooms(terms.clone())).await? {
            Reply::Rooms { lots } if lots.len() == terms.rooms => Ok(lots),
            other => bail!("the relay answered {other:?} to a request for rooms"),
        }
    }

    /// Each lot's outcome, in the order asked.
    pub async fn outcomes(&mut self, lots: &[i64]) -> anyhow::Result<Vec<LotOutcome>> {
        let request = Request::Outcomes {
            lots: lots.to_vec(),
        };
        match self.ask(&request).await? {
            Reply::Outcomes { outcomes } if outcomes.len() == lots.len() => Ok(outcomes),
            other => bail!("the relay answered {other:?} to a request for outcomes"),
        }
    }
}
