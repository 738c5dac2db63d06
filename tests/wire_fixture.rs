//! Keeps client-js's wire types in step with the server's: one of every server message,
//! built with the real types of `realtime::protocol` and encoded as the server encodes
//! it, must equal `client-js/test/fixtures/server-messages.json`, which client-js's own
//! tests decode and check against its `index.d.ts`.
//!
//! After a deliberate change to the wire, regenerate the fixture with
//! `UPDATE_FIXTURES=1 cargo test --test wire_fixture` and update client-js to match.

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::ws::Message;
use serde_json::{Value, json};

use bidroom::domain::Role;
use bidroom::money::Money;
use bidroom::realtime::close;
use bidroom::realtime::protocol::{
    Answer, BidDetails, BidView, Encoding, EventBody, Req, RoomFrame, Snapshot, View, You,
};

const LOT: i64 = 7;
const AT_MS: i64 = 1_795_000_000_000;

fn money(text: &str) -> Money {
    Money::parse(text).expect("a fixture amount")
}

fn to_json<T: serde::Serialize>(message: &T) -> Value {
    message_json(Encoding::Json.encode(message))
}

fn message_json(message: Message) -> Value {
    let Message::Text(text) = message else {
        panic!("JSON messages are text frames")
    };
    serde_json::from_str(text.as_str()).expect("the server's JSON parses")
}

fn bid(seq: u64, amount: &str, bidder: &str, phase: &'static str) -> BidDetails {
    BidDetails {
        lot: LOT,
        seq,
        amount: money(amount),
        bidder: Arc::from(bidder),
        at_ms: AT_MS + seq as i64 * 1000,
        deadline_ms: AT_MS + 60_000,
        price: money(amount),
        phase,
        account_id: 40 + seq as i64,
        display_name: Arc::from("张三"),
    }
}

fn recent_bids(monitor: bool) -> Vec<BidView> {
    vec![
        bid(2, "1000.00", "0427", "free").view(monitor),
        bid(3, "1100.00", "3318", "free").view(monitor),
    ]
}

fn snapshot(you: You, monitor: bool, closed: bool, req: Option<Req>) -> Snapshot {
    Snapshot {
        lot: LOT,
        state: if closed { "closed" } else { "open" },
        phase: "free",
        currency: Arc::from("CNY"),
        price: Some(money("1100.00")),
        min_next: money("1200.00"),
        increment: money("100.00"),
        has_reserve: true,
        leader: Some(Arc::from("3318")),
        deadline_ms: AT_MS + 60_000,
        remaining_ms: None,
        extensions: 0,
        server_time_ms: AT_MS + 3_500,
        seq: 3,
        result: closed.then_some("sold"),
        recent_bids: recent_bids(monitor),
        you,
        req,
    }
}

/// The wire name of every answer: exhaustive, so a new variant does not compile until it
/// is named here (and, the test below insists, put in the fixture).
fn answer_type(answer: &Answer<'_>) -> &'static str {
    match answer {
        Answer::Welcome { .. } => "welcome",
        Answer::Snapshot(_) => "snapshot",
        Answer::Left { .. } => "left",
        Answer::Accepted { .. } => "accepted",
        Answer::Rejected { .. } => "rejected",
        Answer::Pong { .. } => "pong",
        Answer::Error { .. } => "error",
    }
}

/// The wire name of every room event, exhaustive as [`answer_type`].
fn event_type(body: &EventBody) -> &'static str {
    match body {
        EventBody::Bid(_) => "bid",
        EventBody::State { .. } => "state",
        EventBody::Closed { .. } => "closed",
        EventBody::Announcement { .. } => "announcement",
        EventBody::Presence { .. } => "presence",
    }
}

/// One of every server message (and every optional field both present and absent), each
/// with the name its Rust variant maps to.
fn server_messages() -> Vec<(&'static str, Value)> {
    let req = Req(Arc::from("c0ffee-1"));
    let bidder = You::Bidder {
        bidder_number: Some(Arc::from("0427")),
        eligible: true,
        reason: None,
        priority_rank: Some(1),
    };
    let watcher = You::Bidder {
        bidder_number: None,
        eligible: false,
        reason: Some("not_registered"),
        priority_rank: None,
    };
    let monitor = You::Monitor {
        monitor: true,
        role: Role::Auctioneer,
        members: 3,
        bidders: 2,
    };
    let open_snapshot = snapshot(bidder, false, false, None);
    let mut paused = snapshot(watcher, false, false, None);
    paused.state = "paused";
    paused.remaining_ms = Some(42_000);
    paused.extensions = 2;
    paused.price = None;
    paused.leader = None;
    paused.min_next = money("1000.00");
    paused.recent_bids = Vec::new();
    let closed_snapshot = snapshot(monitor, true, true, Some(req.clone()));
    let t = json!(1_795_000_000_123_i64);
    let answers = [
        Answer::Welcome {
            account_id: 41,
            role: Role::Bidder,
            server_time_ms: AT_MS,
            req: None,
        },
        Answer::Welcome {
            account_id: 2,
            role: Role::Auctioneer,
            server_time_ms: AT_MS,
            req: Some(&req),
        },
        Answer::Snapshot(&open_snapshot),
        Answer::Snapshot(&paused),
        Answer::Snapshot(&closed_snapshot),
        Answer::Left {
            lot: LOT,
            req: None,
        },
        Answer::Left {
            lot: LOT,
            req: Some(&req),
        },
        Answer::Accepted {
            req: &req,
            lot: LOT,
            seq: 4,
            amount: money("1200.00"),
            bidder: "0427",
            at_ms: AT_MS + 4_000,
            deadline_ms: AT_MS + 60_000,
        },
        Answer::Rejected {
            req: &req,
            lot: LOT,
            code: "too_low",
            message: "the amount is below the lowest acceptable bid",
            min_next: Some(money("1300.00")),
            reason: None,
        },
        Answer::Rejected {
            req: &req,
            lot: LOT,
            code: "not_eligible",
            message: "you are not eligible to bid in this lot",
            min_next: None,
            reason: Some("deposit_not_lodged"),
        },
        Answer::Pong {
            t: Some(&t),
            server_time_ms: AT_MS + 5_000,
            req: Some(&req),
        },
        Answer::Pong {
            t: None,
            server_time_ms: AT_MS + 5_000,
            req: None,
        },
        Answer::Error {
            code: "invalid_message",
            message: "unknown variant `dance`",
            req: None,
        },
        Answer::Error {
            code: "forbidden",
            message: "only the lot's auctioneer or an admin may do this",
            req: Some(&req),
        },
    ];
    let mut messages: Vec<(&'static str, Value)> = answers
        .iter()
        .map(|answer| (answer_type(answer), to_json(answer)))
        .collect();
    let events = [
        EventBody::Bid(bid(4, "1200.00", "0427", "timed")),
        EventBody::State {
            lot: LOT,
            seq: 5,
            state: "paused",
            deadline_ms: AT_MS + 60_000,
            remaining_ms: Some(30_000),
            reason: Some(Arc::from("a question from the floor")),
            req: None,
        },
        EventBody::State {
            lot: LOT,
            seq: 6,
            state: "open",
            deadline_ms: AT_MS + 90_000,
            remaining_ms: None,
            reason: None,
            req: Some(req.clone()),
        },
        EventBody::Announcement {
            lot: LOT,
            seq: 7,
            text: Arc::from("The lot includes the outbuilding."),
            req: None,
        },
        EventBody::Announcement {
            lot: LOT,
            seq: 8,
            text: Arc::from("公告"),
            req: Some(req.clone()),
        },
        EventBody::Presence {
            lot: LOT,
            members: 5,
            bidders: 2,
        },
        EventBody::Closed {
            lot: LOT,
            seq: 9,
            result: "sold",
            price: Some(money("1200.00")),
            winner_bidder: Some(Arc::from("0427")),
        },
        EventBody::Closed {
            lot: LOT,
            seq: 9,
            result: "unsold",
            price: None,
            winner_bidder: None,
        },
    ];
    for body in events {
        let name = event_type(&body);
        let frame = RoomFrame::new(body);
        messages.push((
            name,
            message_json(frame.message(View::Public, Encoding::Json)),
        ));
        if name == "bid" {
            // Only bids differ between the views: monitors see who bid.
            messages.push((
                name,
                message_json(frame.message(View::Monitor, Encoding::Json)),
            ));
        }
    }
    messages
}

fn fixture() -> Value {
    json!({
        "close_codes": {
            "GOING_AWAY": close::GOING_AWAY,
            "MESSAGE_TOO_BIG": close::MESSAGE_TOO_BIG,
            "NOT_AUTHENTICATED": close::NOT_AUTHENTICATED,
            "ROOM_MOVED": close::ROOM_MOVED,
        },
        "messages": server_messages()
            .into_iter()
            .map(|(_, message)| message)
            .collect::<Vec<_>>(),
    })
}

fn fixture_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("client-js/test/fixtures/server-messages.json")
}

#[test]
fn client_js_fixture_matches_every_server_message() {
    let expected = fixture();
    let path = fixture_path();
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        let text = serde_json::to_string_pretty(&expected).unwrap() + "\n";
        std::fs::write(&path, text).expect("write the fixture");
        return;
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!(
            "read {}: {error} (create it with UPDATE_FIXTURES=1)",
            path.display()
        )
    });
    let committed: Value = serde_json::from_str(&text).expect("the fixture is JSON");
    assert!(
        committed == expected,
        "{} is out of date with src/realtime/protocol.rs: regenerate it with \
         UPDATE_FIXTURES=1 cargo test --test wire_fixture, then update client-js \
         (src/index.d.ts, src/schema.js) to match.\nexpected:\n{}",
        path.display(),
        serde_json::to_string_pretty(&expected).unwrap()
    );
}

#[test]
fn every_message_is_encoded_under_the_name_its_variant_maps_to() {
    let messages = server_messages();
    for (name, message) in &messages {
        assert_eq!(message["type"], *name, "{message}");
    }
    let names: std::collections::BTreeSet<&str> = messages.iter().map(|(name, _)| *name).collect();
    // Twelve names: seven answers and five room events, each built above at least once.
    assert_eq!(names.len(), 12, "{names:?}");
}
