//! The relay's side of bidroom's wire (`docs/protocol.md`), as much of it as the bidding
//! scenarios use: the same message names, fields, field order and value formats, so that
//! every frame the relay sends is the size bidroom's is (the tests compare them byte for
//! byte with bidroom's own encoder).

use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize, Serializer};
use tokio_tungstenite::tungstenite::Message;

use crate::wire::{Encoding, format_cents};

/// Money as bidroom writes it: a decimal string with two places (`"1250.00"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cents(pub i64);

impl Serialize for Cents {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_cents(self.0))
    }
}

/// What a client sends: the messages of SPEC §4 a bidder or a watcher sends. (A `join`'s
/// `since_seq` is not read: the relay keeps no replay window, so a resume is answered with
/// a snapshot, as bidroom answers one whose gap is older than its window.)
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    Auth {
        token: String,
        #[serde(default)]
        req: Option<String>,
    },
    Join {
        lot: i64,
        #[serde(default)]
        req: Option<String>,
    },
    Leave {
        lot: i64,
        #[serde(default)]
        req: Option<String>,
    },
    Bid {
        lot: i64,
        amount: String,
        req: String,
    },
    Ping {
        #[serde(default)]
        t: Option<serde_json::Value>,
        #[serde(default)]
        req: Option<String>,
    },
}

impl ClientMessage {
    /// A client's frame in its own encoding: JSON in a text frame, MessagePack in a
    /// binary one (as bidroom reads them).
    pub fn decode(frame: &Message) -> Result<ClientMessage, String> {
        match frame {
            Message::Text(text) => {
                serde_json::from_str(text.as_str()).map_err(|error| error.to_string())
            }
            Message::Binary(bytes) => {
                rmp_serde::from_slice(bytes).map_err(|error| error.to_string())
            }
            _ => Err("expected a text or binary frame".to_owned()),
        }
    }
}

/// An answer to one client.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Answer<'a> {
    Welcome {
        account_id: i64,
        role: &'a str,
        server_time_ms: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        req: Option<&'a str>,
    },
    Snapshot(Snapshot<'a>),
    Left {
        lot: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        req: Option<&'a str>,
    },
    Accepted {
        req: &'a str,
        lot: i64,
        seq: u64,
        amount: Cents,
        bidder: &'a str,
        at_ms: i64,
        deadline_ms: i64,
    },
    Rejected {
        req: &'a str,
        lot: i64,
        code: &'a str,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        min_next: Option<Cents>,
    },
    Pong {
        #[serde(skip_serializing_if = "Option::is_none")]
        t: Option<&'a serde_json::Value>,
        server_time_ms: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        req: Option<&'a str>,
    },
    Error {
        code: &'a str,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        req: Option<&'a str>,
    },
}

/// A room as a member sees it on `join`.
#[derive(Debug, Serialize)]
pub struct Snapshot<'a> {
    pub lot: i64,
    pub state: &'static str,
    pub phase: &'static str,
    pub currency: &'static str,
    pub price: Option<Cents>,
    pub min_next: Cents,
    pub increment: Cents,
    pub has_reserve: bool,
    pub leader: Option<&'a str>,
    pub deadline_ms: i64,
    pub extensions: u32,
    pub server_time_ms: i64,
    pub seq: u64,
    /// The relay keeps no history of bids: the scenarios join before their rooms open,
    /// when bidroom's list is empty too.
    pub recent_bids: [(); 0],
    pub you: You<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub req: Option<&'a str>,
}

/// `you` in a snapshot: a bidder's standing (the relay has no monitors).
#[derive(Debug, Serialize)]
pub struct You<'a> {
    pub bidder_number: Option<&'a str>,
    pub eligible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    pub priority_rank: Option<u32>,
}

/// A room event, as every member (none of them a monitor) sees it.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Bid {
        lot: i64,
        seq: u64,
        amount: Cents,
        bidder: Arc<str>,
        at_ms: i64,
        deadline_ms: i64,
        price: Cents,
        phase: &'static str,
    },
    State {
        lot: i64,
        seq: u64,
        state: &'static str,
        deadline_ms: i64,
    },
    Closed {
        lot: i64,
        seq: u64,
        result: &'static str,
        price: Option<Cents>,
        winner_bidder: Option<Arc<str>>,
    },
}

/// A room event encoded at most once per encoding, by whichever member needs that form
/// first, and shared as bytes with every other member (as bidroom's `RoomFrame`).
#[derive(Debug)]
pub struct Frame {
    event: Event,
    encoded: [OnceLock<Message>; 2],
}

impl Frame {
    pub fn new(event: Event) -> Arc<Frame> {
        Arc::new(Frame {
            event,
            encoded: Default::default(),
        })
    }

    /// The frame for a member: a `Bytes` clone after the first member of its encoding.
    pub fn message(&self, encoding: Encoding) -> Message {
        let slot = match encoding {
            Encoding::Json => 0,
            Encoding::Msgpack => 1,
        };
        self.encoded[slot]
            .get_or_init(|| encoding.frame(&self.event))
            .clone()
    }
}

/// The tokens the relay takes: a bidder's names its account and its bidder number (the
/// same number in every room it bids in), a watcher's is the one watcher token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Identity {
    Bidder { account_id: i64, number: Arc<str> },
    Watcher,
}

const BIDDER_TOKEN: &str = "relay-bidder-";
const WATCHER_TOKEN: &str = "relay-watcher";
/// The watchers' account id (bidders' ids are small).
pub const WATCHER_ACCOUNT_ID: i64 = 1_000_000_000;

impl Identity {
    pub fn token(&self) -> String {
        match self {
            Identity::Bidder { account_id, number } => {
                format!("{BIDDER_TOKEN}{account_id}-{number}")
            }
            Identity::Watcher => WATCHER_TOKEN.to_owned(),
        }
    }

    pub fn of_token(token: &str) -> Option<Identity> {
        if token == WATCHER_TOKEN {
            return Some(Identity::Watcher);
        }
        let (account, number) = token.strip_prefix(BIDDER_TOKEN)?.split_once('-')?;
        Some(Identity::Bidder {
            account_id: account.parse().ok()?,
            number: Arc::from(number),
        })
        .filter(|_| !number.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::extract::ws::Message as BidroomMessage;
    use bidroom::money::Money;
    use bidroom::realtime::protocol as bidroom_wire;

    fn money(cents: i64) -> Money {
        Money::parse(&format_cents(cents)).unwrap()
    }

    fn bytes(message: &Message) -> Vec<u8> {
        match message {
            Message::Text(text) => text.as_bytes().to_vec(),
            Message::Binary(bytes) => bytes.to_vec(),
            other => panic!("not a data frame: {other:?}"),
        }
    }

    fn bidroom_bytes(message: &BidroomMessage) -> Vec<u8> {
        match message {
            BidroomMessage::Text(text) => text.as_bytes().to_vec(),
            BidroomMessage::Binary(bytes) => bytes.to_vec(),
            other => panic!("not a data frame: {other:?}"),
        }
    }

    const ENCODINGS: [(Encoding, bidroom_wire::Encoding); 2] = [
        (Encoding::Json, bidroom_wire::Encoding::Json),
        (Encoding::Msgpack, bidroom_wire::Encoding::MessagePack),
    ];

    #[test]
    fn a_bid_event_is_the_frame_bidroom_sends() {
        for (ours, theirs) in ENCODINGS {
            let frame = Frame::new(Event::Bid {
                lot: 17,
                seq: 4_321,
                amount: Cents(125_000),
                bidder: Arc::from("0427"),
                at_ms: 1_795_420_801_500,
                deadline_ms: 1_795_421_100_000,
                price: Cents(125_000),
                phase: "timed",
            });
            let bidroom_frame = bidroom_wire::RoomFrame::new(bidroom_wire::EventBody::Bid(
                bidroom_wire::BidDetails {
                    lot: 17,
                    seq: 4_321,
                    amount: money(125_000),
                    bidder: Arc::from("0427"),
                    at_ms: 1_795_420_801_500,
                    deadline_ms: 1_795_421_100_000,
                    price: money(125_000),
                    phase: "timed",
                    account_id: 42,
                    display_name: Arc::from("Alice Wang"),
                },
            ));
            assert_eq!(
                bytes(&frame.message(ours)),
                bidroom_bytes(&bidroom_frame.message(bidroom_wire::View::Public, theirs)),
                "{ours:?}"
            );
        }
    }

    #[test]
    fn an_accepted_answer_is_the_frame_bidroom_sends() {
        for (ours, theirs) in ENCODINGS {
            let relay = ours.frame(&Answer::Accepted {
                req: "b-0001",
                lot: 7,
                seq: 4,
                amount: Cents(125_000),
                bidder: "A023",
                at_ms: 1_795_420_801_500,
                deadline_ms: 1_795_421_100_000,
            });
            let req = bidroom_wire::Req(Arc::from("b-0001"));
            let bidroom = theirs.encode(&bidroom_wire::Answer::Accepted {
                req: &req,
                lot: 7,
                seq: 4,
                amount: money(125_000),
                bidder: "A023",
                at_ms: 1_795_420_801_500,
                deadline_ms: 1_795_421_100_000,
            });
            assert_eq!(bytes(&relay), bidroom_bytes(&bidroom), "{ours:?}");
        }
    }

    #[test]
    fn a_too_low_answer_is_the_frame_bidroom_sends() {
        for (ours, theirs) in ENCODINGS {
            let relay = ours.frame(&Answer::Rejected {
                req: "b-0001",
                lot: 7,
                code: "too_low",
                message: "the amount is below the lowest acceptable bid",
                min_next: Some(Cents(130_000)),
            });
            let req = bidroom_wire::Req(Arc::from("b-0001"));
            let bidroom = theirs.encode(&bidroom_wire::Answer::Rejected {
                req: &req,
                lot: 7,
                code: "too_low",
                message: "the amount is below the lowest acceptable bid",
                min_next: Some(money(130_000)),
                reason: None,
            });
            assert_eq!(bytes(&relay), bidroom_bytes(&bidroom), "{ours:?}");
        }
    }

    #[test]
    fn state_and_closed_events_are_the_frames_bidroom_sends() {
        for (ours, theirs) in ENCODINGS {
            let state = Frame::new(Event::State {
                lot: 7,
                seq: 1,
                state: "open",
                deadline_ms: 1_795_421_100_000,
            });
            let bidroom_state = bidroom_wire::RoomFrame::new(bidroom_wire::EventBody::State {
                lot: 7,
                seq: 1,
                state: "open",
                deadline_ms: 1_795_421_100_000,
                remaining_ms: None,
                reason: None,
                req: None,
            });
            assert_eq!(
                bytes(&state.message(ours)),
                bidroom_bytes(&bidroom_state.message(bidroom_wire::View::Public, theirs))
            );
            let closed = Frame::new(Event::Closed {
                lot: 7,
                seq: 9,
                result: "sold",
                price: Some(Cents(125_000)),
                winner_bidder: Some(Arc::from("A023")),
            });
            let bidroom_closed = bidroom_wire::RoomFrame::new(bidroom_wire::EventBody::Closed {
                lot: 7,
                seq: 9,
                result: "sold",
                price: Some(money(125_000)),
                winner_bidder: Some(Arc::from("A023")),
            });
            assert_eq!(
                bytes(&closed.message(ours)),
                bidroom_bytes(&bidroom_closed.message(bidroom_wire::View::Public, theirs))
            );
        }
    }

    #[test]
    fn a_bid_from_the_load_tester_decodes_in_both_encodings() {
        use crate::wire::Outgoing;
        for encoding in [Encoding::Json, Encoding::Msgpack] {
            let frame = encoding.encode(&Outgoing::Bid {
                lot: 3,
                amount: "1010.00",
                req: "12",
            });
            let ClientMessage::Bid { lot, amount, req } = ClientMessage::decode(&frame).unwrap()
            else {
                panic!("not a bid")
            };
            assert_eq!((lot, amount.as_str(), req.as_str()), (3, "1010.00", "12"));
        }
    }

    #[test]
    fn a_token_names_its_identity() {
        let bidder = Identity::Bidder {
            account_id: 12,
            number: Arc::from("0003"),
        };
        assert_eq!(Identity::of_token(&bidder.token()), Some(bidder));
        assert_eq!(
            Identity::of_token(&Identity::Watcher.token()),
            Some(Identity::Watcher)
        );
        for token in [
            "",
            "relay-bidder-",
            "relay-bidder-12",
            "relay-bidder-x-1",
            "relay-bidder-3-",
        ] {
            assert_eq!(Identity::of_token(token), None, "{token}");
        }
    }
}
