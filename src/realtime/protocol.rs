//! The wire types of SPEC §4: the only place that knows the WebSocket field names.
//!
//! Two encodings carry the same messages: JSON in text frames (`bidroom.v1.json`) and
//! MessagePack maps with named fields in binary frames (`bidroom.v1.msgpack`).

use std::sync::{Arc, OnceLock};

use axum::extract::ws::{Message, Utf8Bytes};
use bytes::Bytes;
use serde::de::{self, Deserializer, IgnoredAny};
use serde::{Deserialize, Serialize};

use crate::domain::{AccountId, LotId, Role};
use crate::limits::{MAX_ANNOUNCEMENT_CHARS, MAX_MESSAGE_NESTING, MAX_REASON_CHARS};
use crate::money::{AmountError, Money};
use crate::text::{TextKind, forbidden_character_message, has_forbidden_character};

pub const JSON_SUBPROTOCOL: &str = "bidroom.v1.json";
pub const MSGPACK_SUBPROTOCOL: &str = "bidroom.v1.msgpack";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Json,
    MessagePack,
}

impl Encoding {
    /// Serializes one message. Our own types always serialize.
    pub fn encode<T: Serialize>(self, message: &T) -> Message {
        match self {
            Encoding::Json => {
                let text = serde_json::to_string(message).expect("wire messages serialize to JSON");
                Message::Text(Utf8Bytes::from(text))
            }
            Encoding::MessagePack => {
                let bytes = rmp_serde::to_vec_named(message)
                    .expect("wire messages serialize to MessagePack");
                Message::Binary(Bytes::from(bytes))
            }
        }
    }

    pub fn decode<'a, T: Deserialize<'a>>(self, bytes: &'a [u8]) -> Result<T, String> {
        match self {
            Encoding::Json => serde_json::from_slice(bytes).map_err(|error| error.to_string()),
            // One message per frame, as in JSON: rmp-serde's `from_slice` would ignore bytes
            // after the first value.
            Encoding::MessagePack => {
                let mut rest = bytes;
                let mut deserializer = rmp_serde::Deserializer::new(&mut rest);
                deserializer.set_max_depth(MAX_MESSAGE_NESTING);
                let value = T::deserialize(&mut deserializer).map_err(|error| error.to_string())?;
                if rest.is_empty() {
                    Ok(value)
                } else {
                    Err(format!("{} bytes after the message", rest.len()))
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Client → server

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    Auth {
        token: String,
        #[serde(default)]
        req: Option<Req>,
    },
    Join {
        #[serde(deserialize_with = "lot_id")]
        lot: LotId,
        #[serde(default)]
        since_seq: Option<u64>,
        #[serde(default)]
        req: Option<Req>,
    },
    Leave {
        #[serde(deserialize_with = "lot_id")]
        lot: LotId,
        #[serde(default)]
        req: Option<Req>,
    },
    Bid {
        #[serde(deserialize_with = "lot_id")]
        lot: LotId,
        amount: AmountInput,
        req: Req,
    },
    Ping {
        #[serde(default)]
        t: Option<serde_json::Value>,
        #[serde(default)]
        req: Option<Req>,
    },
    Pause(Control),
    Resume(Control),
    Cancel(Control),
    Announce {
        #[serde(deserialize_with = "lot_id")]
        lot: LotId,
        text: String,
        #[serde(default)]
        req: Option<Req>,
    },
}

impl ClientMessage {
    /// Reads a client message. `type` is the message's name in both encodings: rmp-serde
    /// would also take a variant's number for it (`"type": 3` a bid), which JSON never
    /// does, and an array for a map, so a MessagePack message that is not a map, or whose
    /// `type` is not a string, is refused first.
    pub fn decode(encoding: Encoding, bytes: &[u8]) -> Result<ClientMessage, String> {
        #[derive(Deserialize)]
        struct Tag {
            #[serde(rename = "type")]
            kind: IgnoredOr<String>,
        }
        if encoding == Encoding::MessagePack {
            // A fixmap, map 16 or map 32: serde would also read a struct from an array.
            if !matches!(bytes.first(), Some(0x80..=0x8f | 0xde | 0xdf)) {
                return Err("a message is a map with named fields".to_owned());
            }
            if let Ok(Tag {
                kind: IgnoredOr(None),
            }) = encoding.decode::<Tag>(bytes)
            {
                return Err("type is the message's name, a string".to_owned());
            }
        }
        encoding.decode(bytes)
    }

    /// The `req` the message carries, to echo in the answer to it.
    pub fn req(&self) -> Option<&Req> {
        match self {
            ClientMessage::Auth { req, .. }
            | ClientMessage::Join { req, .. }
            | ClientMessage::Leave { req, .. }
            | ClientMessage::Ping { req, .. }
            | ClientMessage::Announce { req, .. } => req.as_ref(),
            ClientMessage::Pause(control)
            | ClientMessage::Resume(control)
            | ClientMessage::Cancel(control) => control.req.as_ref(),
            ClientMessage::Bid { req, .. } => Some(req),
        }
    }

    /// SPEC §8 for the free texts a message carries (a `req` is checked as it is read): an
    /// announcement is 1 to 2000 characters and not blank, a reason at most 500, and
    /// neither holds a control character other than newline and tab.
    pub fn check_text(&self) -> Result<(), String> {
        match self {
            ClientMessage::Announce { text, .. } => {
                if text.trim().is_empty() || text.chars().count() > MAX_ANNOUNCEMENT_CHARS {
                    return Err("an announcement is 1 to 2000 characters".to_owned());
                }
                if has_forbidden_character(text, TextKind::Long) {
                    return Err(forbidden_character_message("text", TextKind::Long));
                }
                Ok(())
            }
            ClientMessage::Pause(control)
            | ClientMessage::Resume(control)
            | ClientMessage::Cancel(control) => match &control.reason {
                Some(reason) => check_reason(reason),
                None => Ok(()),
            },
            ClientMessage::Auth { .. }
            | ClientMessage::Join { .. }
            | ClientMessage::Leave { .. }
            | ClientMessage::Bid { .. }
            | ClientMessage::Ping { .. } => Ok(()),
        }
    }
}

fn check_reason(reason: &str) -> Result<(), String> {
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(format!("a reason is at most {MAX_REASON_CHARS} characters"));
    }
    if has_forbidden_character(reason, TextKind::Long) {
        return Err(forbidden_character_message("reason", TextKind::Long));
    }
    Ok(())
}

/// `pause`, `resume` and `cancel`.
#[derive(Debug, Deserialize)]
pub struct Control {
    #[serde(deserialize_with = "lot_id")]
    pub lot: LotId,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub req: Option<Req>,
}

/// What can still be read of a message that is not a valid `ClientMessage`, to echo `req`:
/// only a `req` a client may send (a refused one is not sent back, NUL and all).
#[derive(Debug, Default, Deserialize)]
pub struct Envelope {
    #[serde(default)]
    pub req: Option<IgnoredOr<Req>>,
}

/// A field that may be of the wrong type: kept if it has the right one.
#[derive(Debug)]
pub struct IgnoredOr<T>(pub Option<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for IgnoredOr<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either<T> {
            Right(T),
            Wrong(IgnoredAny),
        }
        Ok(match Either::<T>::deserialize(deserializer)? {
            Either::Right(value) => IgnoredOr(Some(value)),
            Either::Wrong(_) => IgnoredOr(None),
        })
    }
}

/// A client's request id: a string of at most 64 chars (SPEC §4), shared cheaply.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Req(pub Arc<str>);

impl<'de> Deserialize<'de> for Req {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Req, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.chars().count() > crate::limits::MAX_REQ_CHARS {
            return Err(de::Error::custom("req is at most 64 characters"));
        }
        if has_forbidden_character(&text, TextKind::Line) {
            return Err(de::Error::custom(forbidden_character_message(
                "req",
                TextKind::Line,
            )));
        }
        Ok(Req(Arc::from(text)))
    }
}

/// A bid's amount as sent: a decimal string, or anything else (which the room refuses with
/// `invalid_amount` once the earlier rules have passed, as SPEC §2 orders them).
#[derive(Debug)]
pub struct AmountInput(pub Result<Money, AmountError>);

impl<'de> Deserialize<'de> for AmountInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AmountInput, D::Error> {
        let text = IgnoredOr::<String>::deserialize(deserializer)?;
        Ok(AmountInput(match text.0 {
            Some(text) => Money::parse_positive(&text),
            None => Err(AmountError::NotADecimal),
        }))
    }
}

/// Lot ids are opaque: accept them as a number or as a string of digits.
fn lot_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<LotId, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(i64),
        Text(String),
    }
    match Id::deserialize(deserializer)? {
        Id::Number(id) => Ok(id),
        Id::Text(text) => text
            .parse()
            .map_err(|_| de::Error::custom("lot is a lot id")),
    }
}

// ---------------------------------------------------------------------------------------
// Server → client: answers to one client

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Answer<'a> {
    Welcome {
        account_id: AccountId,
        role: Role,
        server_time_ms: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        req: Option<&'a Req>,
    },
    Snapshot(&'a Snapshot),
    Left {
        lot: LotId,
        #[serde(skip_serializing_if = "Option::is_none")]
        req: Option<&'a Req>,
    },
    Accepted {
        req: &'a Req,
        lot: LotId,
        seq: u64,
        amount: Money,
        bidder: &'a str,
        at_ms: i64,
        deadline_ms: i64,
    },
    Rejected {
        req: &'a Req,
        lot: LotId,
        code: &'a str,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        min_next: Option<Money>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
    },
    Pong {
        #[serde(skip_serializing_if = "Option::is_none")]
        t: Option<&'a serde_json::Value>,
        server_time_ms: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        req: Option<&'a Req>,
    },
    Error {
        code: &'a str,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        req: Option<&'a Req>,
    },
}

/// A room as one member sees it on `join`.
#[derive(Clone, Debug, Serialize)]
pub struct Snapshot {
    pub lot: LotId,
    pub state: &'static str,
    pub phase: &'static str,
    pub currency: Arc<str>,
    pub price: Option<Money>,
    pub min_next: Money,
    pub increment: Money,
    pub has_reserve: bool,
    pub leader: Option<Arc<str>>,
    pub deadline_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_ms: Option<i64>,
    pub extensions: u32,
    pub server_time_ms: i64,
    pub seq: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<&'static str>,
    pub recent_bids: Vec<BidView>,
    pub you: You,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub req: Option<Req>,
}

/// `you` in a snapshot: a bidder's standing, or the monitor view.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum You {
    Bidder {
        bidder_number: Option<Arc<str>>,
        eligible: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'static str>,
        priority_rank: Option<u32>,
    },
    Monitor {
        monitor: bool,
        role: Role,
        members: usize,
        bidders: usize,
    },
}

// ---------------------------------------------------------------------------------------
// Server → client: room events, shared by every member

/// A `bid` event as a member sees it: with the bidder's identity for monitors only.
#[derive(Clone, Debug, Serialize)]
pub struct BidView {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub lot: LotId,
    pub seq: u64,
    pub amount: Money,
    pub bidder: Arc<str>,
    pub at_ms: i64,
    pub deadline_ms: i64,
    pub price: Money,
    pub phase: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<AccountId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Arc<str>>,
}

/// A room event, before it is encoded.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    Bid(BidDetails),
    State {
        lot: LotId,
        seq: u64,
        state: &'static str,
        deadline_ms: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        remaining_ms: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<Arc<str>>,
        /// Set only on the direct answer to the auctioneer's command.
        #[serde(skip_serializing_if = "Option::is_none")]
        req: Option<Req>,
    },
    Closed {
        lot: LotId,
        seq: u64,
        result: &'static str,
        price: Option<Money>,
        winner_bidder: Option<Arc<str>>,
    },
    Announcement {
        lot: LotId,
        seq: u64,
        text: Arc<str>,
        /// Set only on the direct answer to the auctioneer's command.
        #[serde(skip_serializing_if = "Option::is_none")]
        req: Option<Req>,
    },
    /// Monitors only, about once a second; carries no seq.
    Presence {
        lot: LotId,
        members: usize,
        bidders: usize,
    },
}

/// A bid event with everything both views need.
#[derive(Clone, Debug, Serialize)]
pub struct BidDetails {
    pub lot: LotId,
    pub seq: u64,
    pub amount: Money,
    pub bidder: Arc<str>,
    pub at_ms: i64,
    pub deadline_ms: i64,
    pub price: Money,
    pub phase: &'static str,
    #[serde(skip)]
    pub account_id: AccountId,
    #[serde(skip)]
    pub display_name: Arc<str>,
}

impl BidDetails {
    pub fn view(&self, monitor: bool) -> BidView {
        BidView {
            kind: "bid",
            lot: self.lot,
            seq: self.seq,
            amount: self.amount,
            bidder: self.bidder.clone(),
            at_ms: self.at_ms,
            deadline_ms: self.deadline_ms,
            price: self.price,
            phase: self.phase,
            account_id: monitor.then_some(self.account_id),
            display_name: monitor.then(|| self.display_name.clone()),
        }
    }
}

/// Who may see an event, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// Bidders and watchers: bidder numbers only.
    Public,
    /// The lot's auctioneer and admins: with identities.
    Monitor,
}

/// A room event encoded at most once per (view, encoding), by whichever member needs that
/// form first, and shared as bytes with every other member.
#[derive(Debug)]
pub struct RoomFrame {
    pub seq: Option<u64>,
    pub monitors_only: bool,
    body: EventBody,
    encoded: [OnceLock<Message>; 4],
}

impl RoomFrame {
    pub fn new(body: EventBody) -> Arc<RoomFrame> {
        let (seq, monitors_only) = match &body {
            EventBody::Bid(bid) => (Some(bid.seq), false),
            EventBody::State { seq, .. }
            | EventBody::Closed { seq, .. }
            | EventBody::Announcement { seq, .. } => (Some(*seq), false),
            EventBody::Presence { .. } => (None, true),
        };
        Arc::new(RoomFrame {
            seq,
            monitors_only,
            body,
            encoded: Default::default(),
        })
    }

    pub fn body(&self) -> &EventBody {
        &self.body
    }

    /// The frame for a member: cheap after the first member of its kind (a `Bytes` clone).
    pub fn message(&self, view: View, encoding: Encoding) -> Message {
        let view = match &self.body {
            EventBody::Bid(_) => view,
            // Only bids differ between the views.
            _ => View::Public,
        };
        let slot = match (view, encoding) {
            (View::Public, Encoding::Json) => 0,
            (View::Public, Encoding::MessagePack) => 1,
            (View::Monitor, Encoding::Json) => 2,
            (View::Monitor, Encoding::MessagePack) => 3,
        };
        self.encoded[slot]
            .get_or_init(|| match &self.body {
                EventBody::Bid(bid) => encoding.encode(&bid.view(view == View::Monitor)),
                body => encoding.encode(body),
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bid_parses_with_a_string_or_numeric_lot() {
        let message: ClientMessage = Encoding::Json
            .decode(br#"{"type":"bid","lot":"7","amount":"100.50","req":"a1"}"#)
            .unwrap();
        let ClientMessage::Bid { lot, amount, req } = message else {
            panic!("not a bid")
        };
        assert_eq!(lot, 7);
        assert_eq!(amount.0.unwrap().to_string(), "100.50");
        assert_eq!(&*req.0, "a1");
    }

    #[test]
    fn a_numeric_amount_is_an_invalid_amount_not_an_invalid_message() {
        let message: ClientMessage = Encoding::Json
            .decode(br#"{"type":"bid","lot":7,"amount":100.5,"req":"a1"}"#)
            .unwrap();
        let ClientMessage::Bid { amount, .. } = message else {
            panic!("not a bid")
        };
        assert_eq!(amount.0, Err(AmountError::NotADecimal));
    }

    #[test]
    fn req_can_be_read_from_an_unknown_message() {
        let envelope: Envelope = Encoding::Json
            .decode(br#"{"type":"dance","req":"r9"}"#)
            .unwrap();
        let req = envelope.req.and_then(|req| req.0);
        assert_eq!(req.map(|req| req.0), Some(Arc::from("r9")));
    }

    /// Found by the `ws_json` and `ws_msgpack` fuzz targets: the error for a message whose
    /// `req` itself was refused echoed that `req`, NUL and all.
    #[test]
    fn a_req_no_client_may_send_is_not_echoed_with_the_error() {
        let overlong = format!(r#"{{"type":"ping","req":"{}"}}"#, "r".repeat(65));
        for frame in [
            r#"{"type":"bid","lot":7,"amount":"1000.00","req":"nul\u0000req"}"#,
            r#"{"type":"ping","req":"bell\u0007"}"#,
            &overlong,
        ] {
            let message = Message::Text(frame.into());
            let (_, req) = crate::realtime::session::decode(&message).expect_err("refused");
            assert_eq!(req, None, "{frame}");
        }
        let (_, req) = crate::realtime::session::decode(&Message::Text(
            r#"{"type":"dance","req":"r9"}"#.into(),
        ))
        .expect_err("refused");
        assert_eq!(req.map(|req| req.0), Some(Arc::from("r9")));
    }

    /// Found by the `ws_msgpack` fuzz target: over MessagePack `"type": 4` read as a ping
    /// (the variant's number) and bytes after the message were ignored; JSON refuses both.
    #[test]
    fn a_messagepack_type_is_a_name_and_a_frame_holds_one_message() {
        #[derive(Serialize)]
        struct Numbered {
            r#type: u8,
            req: &'static str,
        }
        let numbered = rmp_serde::to_vec_named(&Numbered {
            r#type: 4,
            req: "p",
        })
        .unwrap();
        assert!(ClientMessage::decode(Encoding::MessagePack, &numbered).is_err());
        assert!(ClientMessage::decode(Encoding::Json, br#"{"type":4,"req":"p"}"#).is_err());
        let mut ping = rmp_serde::to_vec_named(&serde_json::json!({"type": "ping"})).unwrap();
        assert!(ClientMessage::decode(Encoding::MessagePack, &ping).is_ok());
        let array = rmp_serde::to_vec(&(4, "t")).unwrap();
        assert!(ClientMessage::decode(Encoding::MessagePack, &array).is_err());
        ping.extend_from_slice(b"cancel");
        assert!(ClientMessage::decode(Encoding::MessagePack, &ping).is_err());
        assert!(ClientMessage::decode(Encoding::Json, br#"{"type":"ping"}x"#).is_err());
    }

    /// Found by the `ws_json` fuzz target: an announcement went on to be checked as a
    /// reason too, so one of 501 to 2000 characters was refused as "a reason is at most
    /// 500 characters".
    #[test]
    fn an_announcement_may_be_2000_characters_and_no_more() {
        let announce = |text: String| {
            let frame = serde_json::json!({"type": "announce", "lot": 7, "text": text});
            let message = ClientMessage::decode(Encoding::Json, frame.to_string().as_bytes());
            message.unwrap().check_text()
        };
        assert_eq!(announce("a".repeat(501)), Ok(()));
        assert_eq!(announce("拍".repeat(2000)), Ok(()));
        assert!(announce("a".repeat(2001)).is_err());
    }

    /// Found by the `ws_msgpack` fuzz target: a value nested 200 deep in an unknown field
    /// was read over MessagePack and refused over JSON (its recursion limit is 128).
    #[test]
    fn both_encodings_refuse_the_same_nesting() {
        for depth in [100, 126, 127, 128, 129, 200] {
            let mut value = serde_json::json!(1);
            for _ in 0..depth {
                value = serde_json::json!([value]);
            }
            let frame = serde_json::json!({"type": "ping", "extra": value});
            let json = ClientMessage::decode(Encoding::Json, frame.to_string().as_bytes());
            let msgpack = rmp_serde::to_vec_named(&frame).unwrap();
            let msgpack = ClientMessage::decode(Encoding::MessagePack, &msgpack);
            assert_eq!(json.is_ok(), msgpack.is_ok(), "nested {depth} deep");
        }
    }

    /// Found by the `ws_msgpack` fuzz target: serde_json's default float parsing may miss
    /// the last bit, so a `ping`'s `t` sent as this number was not echoed as sent.
    #[test]
    fn a_float_t_reads_back_exactly() {
        let t = f64::from_bits(0xcfd0_01a2_076b_2c7b);
        let frame = serde_json::json!({"type": "ping", "t": t}).to_string();
        let ClientMessage::Ping { t: Some(read), .. } =
            ClientMessage::decode(Encoding::Json, frame.as_bytes()).unwrap()
        else {
            panic!("not a ping with t")
        };
        assert_eq!(
            read.as_f64().map(f64::to_bits),
            Some(t.to_bits()),
            "{frame}"
        );
    }

    #[test]
    fn messagepack_messages_are_maps_with_named_fields() {
        #[derive(Serialize)]
        struct Bid<'a> {
            r#type: &'a str,
            lot: i64,
            amount: &'a str,
            req: &'a str,
        }
        let bytes = rmp_serde::to_vec_named(&Bid {
            r#type: "bid",
            lot: 3,
            amount: "10.00",
            req: "x",
        })
        .unwrap();
        let message: ClientMessage = Encoding::MessagePack.decode(&bytes).unwrap();
        assert!(matches!(message, ClientMessage::Bid { lot: 3, .. }));

        let frame = RoomFrame::new(EventBody::Announcement {
            lot: 3,
            seq: 4,
            text: Arc::from("hello"),
            req: None,
        });
        let Message::Binary(bytes) = frame.message(View::Public, Encoding::MessagePack) else {
            panic!()
        };
        let value: serde_json::Value = rmp_serde::from_slice(&bytes).unwrap();
        assert_eq!(value["type"], "announcement");
        assert_eq!(value["seq"], 4);
    }

    #[test]
    fn only_monitors_see_who_bid() {
        let bid = BidDetails {
            lot: 1,
            seq: 2,
            amount: Money::parse("10").unwrap(),
            bidder: Arc::from("0427"),
            at_ms: 5,
            deadline_ms: 6,
            price: Money::parse("10").unwrap(),
            phase: "free",
            account_id: 99,
            display_name: Arc::from("Zhang San"),
        };
        let frame = RoomFrame::new(EventBody::Bid(bid));
        let Message::Text(public) = frame.message(View::Public, Encoding::Json) else {
            panic!()
        };
        assert!(!public.as_str().contains("Zhang") && !public.as_str().contains("99"));
        let Message::Text(monitor) = frame.message(View::Monitor, Encoding::Json) else {
            panic!()
        };
        assert!(
            monitor.as_str().contains("Zhang San")
                && monitor.as_str().contains("\"account_id\":99")
        );
    }
}
