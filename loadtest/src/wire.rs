//! The wire protocol of SPEC §4 as the load tester speaks it: the few client messages it
//! sends, the fields it reads from the server's, and money as whole cents.
//!
//! Server messages are decoded into one flat struct that borrows its strings from the
//! frame, so a watcher reading millions of events allocates nothing per event.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use anyhow::{Context, bail};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::Message;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// `bidroom.v1.json`: JSON in text frames.
    Json,
    /// `bidroom.v1.msgpack`: MessagePack maps with named fields in binary frames.
    Msgpack,
}

impl Encoding {
    pub fn subprotocol(self) -> &'static str {
        match self {
            Encoding::Json => "bidroom.v1.json",
            Encoding::Msgpack => "bidroom.v1.msgpack",
        }
    }

    pub fn encode(self, message: &Outgoing<'_>) -> Message {
        self.frame(message)
    }

    /// Any message of ours in this encoding's frame (a text frame of JSON, a binary frame
    /// of a MessagePack map with named fields).
    pub fn frame<T: Serialize>(self, message: &T) -> Message {
        match self {
            Encoding::Json => Message::Text(
                serde_json::to_string(message)
                    .expect("our messages serialize to JSON")
                    .into(),
            ),
            Encoding::Msgpack => Message::Binary(
                rmp_serde::to_vec_named(message)
                    .expect("our messages serialize to MessagePack")
                    .into(),
            ),
        }
    }

    /// Decodes a data frame; a frame of the other encoding's kind is a protocol error.
    pub fn decode(self, frame: &Message) -> anyhow::Result<Incoming<'_>> {
        match (self, frame) {
            (Encoding::Json, Message::Text(text)) => {
                serde_json::from_str(text.as_str()).context("a JSON message from the server")
            }
            (Encoding::Msgpack, Message::Binary(bytes)) => {
                rmp_serde::from_slice(bytes).context("a MessagePack message from the server")
            }
            (encoding, other) => bail!("unexpected frame for {encoding:?}: {other:?}"),
        }
    }
}

/// What the load tester sends.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outgoing<'a> {
    Auth {
        token: &'a str,
    },
    Join {
        lot: i64,
        req: &'a str,
        /// Resuming: the last seq seen; the server answers with the events after it.
        #[serde(skip_serializing_if = "Option::is_none")]
        since_seq: Option<u64>,
    },
    Bid {
        lot: i64,
        amount: &'a str,
        req: &'a str,
    },
    Ping {
        t: u64,
        req: &'a str,
    },
}

/// Any server message, with the fields the load tester reads (the others are skipped).
#[derive(Debug, Deserialize)]
pub struct Incoming<'a> {
    #[serde(rename = "type", borrow)]
    pub kind: Text<'a>,
    #[serde(default)]
    pub seq: Option<u64>,
    #[serde(default, borrow)]
    pub req: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub amount: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub bidder: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub price: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub min_next: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub leader: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub code: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub message: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub state: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub result: Option<Text<'a>>,
    #[serde(default, borrow)]
    pub winner_bidder: Option<Text<'a>>,
    #[serde(default)]
    pub at_ms: Option<i64>,
    #[serde(default, borrow)]
    pub you: Option<You<'a>>,
}

/// `you` in a snapshot; only a bidder's view has a bidder number.
#[derive(Debug, Deserialize)]
pub struct You<'a> {
    #[serde(default, borrow)]
    pub bidder_number: Option<Text<'a>>,
    #[serde(default)]
    pub eligible: Option<bool>,
}

impl Incoming<'_> {
    pub fn is(&self, kind: &str) -> bool {
        &*self.kind == kind
    }
}

/// A string field, borrowed from the frame unless it had to be unescaped.
///
/// (serde borrows a bare `Cow<str>` field but not one inside an `Option`, which it
/// always copies; this type borrows in both places.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text<'a>(pub Cow<'a, str>);

impl Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text<'a>, D::Error> {
        deserializer.deserialize_str(TextVisitor(PhantomData))
    }
}

struct TextVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for TextVisitor<'a> {
    type Value = Text<'a>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_borrowed_str<E: de::Error>(self, text: &'de str) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Borrowed(text)))
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Text<'a>, E> {
        Ok(Text(Cow::Owned(text)))
    }

    fn visit_borrowed_bytes<E: de::Error>(self, bytes: &'de [u8]) -> Result<Text<'a>, E> {
        std::str::from_utf8(bytes)
            .map(|text| Text(Cow::Borrowed(text)))
            .map_err(E::custom)
    }
}

/// A money string (`"1250.00"`, at most two decimals) as whole cents.
pub fn parse_cents(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 2 || whole.is_empty() {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let mut cents: i64 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    if fraction.len() == 1 {
        cents *= 10;
    }
    whole.checked_mul(100)?.checked_add(cents)
}

/// Whole cents as a money string with two decimals.
pub fn format_cents(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_round_trips_through_cents() {
        assert_eq!(parse_cents("1250.00"), Some(125_000));
        assert_eq!(parse_cents("1250.5"), Some(125_050));
        assert_eq!(parse_cents("7"), Some(700));
        assert_eq!(parse_cents("1.234"), None);
        assert_eq!(format_cents(125_050), "1250.50");
        assert_eq!(format_cents(5), "0.05");
    }

    #[test]
    fn a_bid_event_decodes_in_both_encodings() {
        let json = r#"{"type":"bid","lot":3,"seq":9,"amount":"1100.00","bidder":"0427","at_ms":5,"deadline_ms":6,"price":"1100.00","phase":"free"}"#;
        let frame = Message::Text(json.into());
        let event = Encoding::Json.decode(&frame).unwrap();
        assert!(event.is("bid"));
        assert_eq!(event.seq, Some(9));
        assert_eq!(event.amount.as_deref(), Some("1100.00"));

        let value: serde_json::Value = serde_json::from_str(json).unwrap();
        let frame = Message::Binary(rmp_serde::to_vec_named(&value).unwrap().into());
        let event = Encoding::Msgpack.decode(&frame).unwrap();
        assert_eq!(event.bidder.as_deref(), Some("0427"));
        assert!(matches!(event.bidder, Some(Text(Cow::Borrowed(_)))));
        let frame = Message::Text(json.into());
        let event = Encoding::Json.decode(&frame).unwrap();
        assert!(matches!(event.amount, Some(Text(Cow::Borrowed(_)))));
    }

    #[test]
    fn a_snapshot_skips_what_it_does_not_need() {
        let json = r#"{"type":"snapshot","lot":1,"state":"open","price":null,"min_next":"1000.00","leader":null,"seq":1,"recent_bids":[{"type":"bid","seq":1}],"you":{"bidder_number":"12","eligible":true,"priority_rank":null},"req":"j"}"#;
        let frame = Message::Text(json.into());
        let snapshot = Encoding::Json.decode(&frame).unwrap();
        assert_eq!(snapshot.min_next.as_deref(), Some("1000.00"));
        assert_eq!(snapshot.price, None);
        let you = snapshot.you.unwrap();
        assert_eq!(you.bidder_number.as_deref(), Some("12"));
    }
}
