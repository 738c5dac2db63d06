//! What nodes send each other over NATS, in MessagePack: commands for a room and their
//! replies (request/reply on the room's command subject), and the room's events (published
//! once on the room's event subject).

use std::sync::Arc;

use axum::extract::ws::Message;
use serde::{Deserialize, Serialize};

use crate::domain::{AccountId, LotId, Role};
use crate::money::{AmountError, Money};
use crate::realtime::protocol::{BidDetails, Encoding, EventBody, Req};
use crate::rooms::ControlAction;

/// The subject a room's owner takes commands on (`name`: the exchange's, `--cluster-name`).
pub fn command_subject(name: &str, lot: LotId) -> String {
    format!("{name}.room.{lot}.cmd")
}

/// The subject a room's owner publishes its events on.
pub fn event_subject(name: &str, lot: LotId) -> String {
    format!("{name}.room.{lot}.events")
}

/// The encoding a forwarded answer is to be written in (the member's).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum PeerEncoding {
    Json,
    MessagePack,
}

impl From<Encoding> for PeerEncoding {
    fn from(encoding: Encoding) -> PeerEncoding {
        match encoding {
            Encoding::Json => PeerEncoding::Json,
            Encoding::MessagePack => PeerEncoding::MessagePack,
        }
    }
}

impl From<PeerEncoding> for Encoding {
    fn from(encoding: PeerEncoding) -> Encoding {
        match encoding {
            PeerEncoding::Json => Encoding::Json,
            PeerEncoding::MessagePack => Encoding::MessagePack,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub enum PeerAction {
    Pause,
    Resume,
    Cancel,
    Announce,
}

impl From<ControlAction> for PeerAction {
    fn from(action: ControlAction) -> PeerAction {
        match action {
            ControlAction::Pause => PeerAction::Pause,
            ControlAction::Resume => PeerAction::Resume,
            ControlAction::Cancel => PeerAction::Cancel,
            ControlAction::Announce => PeerAction::Announce,
        }
    }
}

impl From<PeerAction> for ControlAction {
    fn from(action: PeerAction) -> ControlAction {
        match action {
            PeerAction::Pause => ControlAction::Pause,
            PeerAction::Resume => ControlAction::Resume,
            PeerAction::Cancel => ControlAction::Cancel,
            PeerAction::Announce => ControlAction::Announce,
        }
    }
}

/// A member's command for a room owned by another node.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum PeerCommand {
    Join {
        account: AccountId,
        role: Role,
        since_seq: Option<u64>,
        req: Option<String>,
        encoding: PeerEncoding,
    },
    Bid {
        account: AccountId,
        verified: bool,
        amount: Result<Money, AmountError>,
        req: String,
        encoding: PeerEncoding,
    },
    Control {
        action: PeerAction,
        account: AccountId,
        role: Role,
        text: Option<String>,
        req: Option<String>,
        encoding: PeerEncoding,
    },
    /// An account's standing in the lot changed (REST on another node): the owner reads it.
    Roster { account: AccountId },
    /// Many standings changed at once (a bulk seed).
    RosterReloaded,
    /// The members a node has in the room now (each connection's account and role), sent
    /// about once a second while it has any, and once more when it has none left.
    Members {
        node: String,
        members: Vec<(AccountId, Role)>,
    },
}

/// A frame ready for the member's socket.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PeerFrame {
    pub binary: bool,
    #[serde(with = "serde_bytes_compat")]
    pub bytes: Vec<u8>,
}

impl PeerFrame {
    pub fn of(message: &Message) -> Option<PeerFrame> {
        match message {
            Message::Text(text) => Some(PeerFrame {
                binary: false,
                bytes: text.as_bytes().to_vec(),
            }),
            Message::Binary(bytes) => Some(PeerFrame {
                binary: true,
                bytes: bytes.to_vec(),
            }),
            _ => None,
        }
    }

    pub fn message(self) -> Option<Message> {
        if self.binary {
            Some(Message::Binary(self.bytes.into()))
        } else {
            String::from_utf8(self.bytes)
                .ok()
                .map(|text| Message::Text(text.into()))
        }
    }
}

/// Bytes as MessagePack binary rather than an array of numbers.
mod serde_bytes_compat {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Vec<u8>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str("bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
                Ok(bytes.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(bytes)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Vec<u8>, A::Error> {
                let mut bytes = Vec::new();
                while let Some(byte) = seq.next_element()? {
                    bytes.push(byte);
                }
                Ok(bytes)
            }
        }
        deserializer.deserialize_bytes(Visitor)
    }
}

/// The owner's reply to a [`PeerCommand`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum PeerReply {
    /// The answer the room gave, encoded for the member.
    Answer(PeerFrame),
    Joined {
        monitor: bool,
        /// Every event up to this seq is in the catch-up; the member skips those it also
        /// receives from the event subject.
        through_seq: u64,
        catch_up: PeerCatchUp,
    },
    /// The room is not here (it ended, or moved): ask again.
    NotHere,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum PeerCatchUp {
    /// The snapshot, encoded for the member.
    Snapshot(PeerFrame),
    Replay(Vec<PeerEvent>),
}

/// A room event with everything both views need (the monitor view's identities too).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum PeerEvent {
    Bid {
        lot: LotId,
        seq: u64,
        amount: Money,
        bidder: String,
        at_ms: i64,
        deadline_ms: i64,
        price: Money,
        phase: String,
        account_id: AccountId,
        display_name: String,
    },
    State {
        lot: LotId,
        seq: u64,
        state: String,
        deadline_ms: i64,
        remaining_ms: Option<i64>,
        reason: Option<String>,
    },
    Closed {
        lot: LotId,
        seq: u64,
        result: String,
        price: Option<Money>,
        winner_bidder: Option<String>,
    },
    Announcement {
        lot: LotId,
        seq: u64,
        text: String,
    },
    Presence {
        lot: LotId,
        members: usize,
        bidders: usize,
    },
}

const STATES: [&str; 6] = [
    "draft",
    "published",
    "open",
    "paused",
    "closed",
    "cancelled",
];
const PHASES: [&str; 2] = ["free", "timed"];
const RESULTS: [&str; 2] = ["sold", "unsold"];

/// One of a known set of names, as the `&'static str` the wire types hold.
fn known(text: &str, names: &[&'static str]) -> Option<&'static str> {
    names.iter().copied().find(|name| *name == text)
}

impl PeerEvent {
    pub fn of(body: &EventBody) -> PeerEvent {
        match body {
            EventBody::Bid(bid) => PeerEvent::Bid {
                lot: bid.lot,
                seq: bid.seq,
                amount: bid.amount,
                bidder: bid.bidder.to_string(),
                at_ms: bid.at_ms,
                deadline_ms: bid.deadline_ms,
                price: bid.price,
                phase: bid.phase.to_owned(),
                account_id: bid.account_id,
                display_name: bid.display_name.to_string(),
            },
            EventBody::State {
                lot,
                seq,
                state,
                deadline_ms,
                remaining_ms,
                reason,
                ..
            } => PeerEvent::State {
                lot: *lot,
                seq: *seq,
                state: (*state).to_owned(),
                deadline_ms: *deadline_ms,
                remaining_ms: *remaining_ms,
                reason: reason.as_deref().map(str::to_owned),
            },
            EventBody::Closed {
                lot,
                seq,
                result,
                price,
                winner_bidder,
            } => PeerEvent::Closed {
                lot: *lot,
                seq: *seq,
                result: (*result).to_owned(),
                price: *price,
                winner_bidder: winner_bidder.as_deref().map(str::to_owned),
            },
            EventBody::Announcement { lot, seq, text, .. } => PeerEvent::Announcement {
                lot: *lot,
                seq: *seq,
                text: text.to_string(),
            },
            EventBody::Presence {
                lot,
                members,
                bidders,
            } => PeerEvent::Presence {
                lot: *lot,
                members: *members,
                bidders: *bidders,
            },
        }
    }

    /// The event as the room made it; `None` for a name no room makes.
    pub fn body(self) -> Option<EventBody> {
        Some(match self {
            PeerEvent::Bid {
                lot,
                seq,
                amount,
                bidder,
                at_ms,
                deadline_ms,
                price,
                phase,
                account_id,
                display_name,
            } => EventBody::Bid(BidDetails {
                lot,
                seq,
                amount,
                bidder: Arc::from(bidder),
                at_ms,
                deadline_ms,
                price,
                phase: known(&phase, &PHASES)?,
                account_id,
                display_name: Arc::from(display_name),
            }),
            PeerEvent::State {
                lot,
                seq,
                state,
                deadline_ms,
                remaining_ms,
                reason,
            } => EventBody::State {
                lot,
                seq,
                state: known(&state, &STATES)?,
                deadline_ms,
                remaining_ms,
                reason: reason.map(Arc::from),
                req: None,
            },
            PeerEvent::Closed {
                lot,
                seq,
                result,
                price,
                winner_bidder,
            } => EventBody::Closed {
                lot,
                seq,
                result: known(&result, &RESULTS)?,
                price,
                winner_bidder: winner_bidder.map(Arc::from),
            },
            PeerEvent::Announcement { lot, seq, text } => EventBody::Announcement {
                lot,
                seq,
                text: Arc::from(text),
                req: None,
            },
            PeerEvent::Presence {
                lot,
                members,
                bidders,
            } => EventBody::Presence {
                lot,
                members,
                bidders,
            },
        })
    }
}

pub fn encode<T: Serialize>(message: &T) -> Vec<u8> {
    rmp_serde::to_vec_named(message).expect("peer messages always encode")
}

pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Option<T> {
    rmp_serde::from_slice(bytes).ok()
}

/// A `req` as the server reads it from a member (already checked by the node that read it).
pub fn req(text: String) -> Req {
    Req(Arc::from(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_crosses_to_another_node_unchanged() {
        let body = EventBody::Bid(BidDetails {
            lot: 7,
            seq: 12,
            amount: Money::parse("1300.00").unwrap(),
            bidder: Arc::from("0427"),
            at_ms: 1_800_000_000_000,
            deadline_ms: 1_800_000_060_000,
            price: Money::parse("1300.00").unwrap(),
            phase: "timed",
            account_id: 42,
            display_name: Arc::from("王五"),
        });
        let event = PeerEvent::of(&body);
        let across: PeerEvent = decode(&encode(&event)).expect("decodes");
        assert_eq!(across, event);
        let EventBody::Bid(bid) = across.body().expect("a known phase") else {
            panic!("not a bid")
        };
        assert_eq!(
            (bid.seq, bid.phase, &*bid.display_name),
            (12, "timed", "王五")
        );
        let unknown = PeerEvent::State {
            lot: 7,
            seq: 13,
            state: "dancing".to_owned(),
            deadline_ms: 0,
            remaining_ms: None,
            reason: None,
        };
        assert!(unknown.body().is_none());
    }

    #[test]
    fn a_frame_keeps_its_encoding() {
        let text = PeerFrame::of(&Message::Text("{}".into())).unwrap();
        let binary = PeerFrame::of(&Message::Binary(vec![0x80].into())).unwrap();
        let text: PeerFrame = decode(&encode(&text)).unwrap();
        let binary: PeerFrame = decode(&encode(&binary)).unwrap();
        assert!(matches!(text.message(), Some(Message::Text(text)) if text.as_str() == "{}"));
        assert!(matches!(binary.message(), Some(Message::Binary(bytes)) if bytes[..] == [0x80]));
    }
}
