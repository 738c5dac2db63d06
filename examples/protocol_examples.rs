//! Prints every WebSocket message of `docs/protocol.md` in JSON and as a MessagePack hex
//! dump, from the server's own wire types, so the document's examples are true:
//! `cargo run --example protocol_examples`.

use std::sync::Arc;

use axum::extract::ws::Message;
use bidroom::domain::Role;
use bidroom::money::Money;
use bidroom::realtime::protocol::{
    Answer, BidDetails, ClientMessage, Encoding, EventBody, Req, RoomFrame, Snapshot, View, You,
};
use serde_json::{Value, json};

const LOT: i64 = 7;
const NOW_MS: i64 = 1_795_420_800_000;

fn money(text: &str) -> Money {
    Money::parse(text).expect("an example amount")
}

fn hex_dump(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .map(|line| {
            line.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn print(title: &str, json: &str, msgpack: &[u8]) {
    println!(
        "#### {title}\n\n```json\n{json}\n```\n\n```text\n{}\n```\n",
        hex_dump(msgpack)
    );
}

/// A client message: checked to decode as the server's `ClientMessage` in both encodings.
fn client(title: &str, message: Value) {
    let json = message.to_string();
    let msgpack = rmp_serde::to_vec_named(&message).expect("msgpack");
    Encoding::Json
        .decode::<ClientMessage>(json.as_bytes())
        .unwrap_or_else(|error| panic!("{title}: {error}"));
    Encoding::MessagePack
        .decode::<ClientMessage>(&msgpack)
        .unwrap_or_else(|error| panic!("{title}: {error}"));
    print(title, &json, &msgpack);
}

fn frames(title: &str, json: Message, msgpack: Message) {
    let (Message::Text(json), Message::Binary(msgpack)) = (json, msgpack) else {
        panic!("{title}: JSON is text, MessagePack binary");
    };
    print(title, json.as_str(), &msgpack);
}

fn answer(title: &str, message: &Answer<'_>) {
    frames(
        title,
        Encoding::Json.encode(message),
        Encoding::MessagePack.encode(message),
    );
}

fn event(title: &str, body: EventBody, view: View) {
    let frame = RoomFrame::new(body);
    frames(
        title,
        frame.message(view, Encoding::Json),
        frame.message(view, Encoding::MessagePack),
    );
}

fn bid_details(seq: u64, amount: &str, bidder: &str) -> BidDetails {
    BidDetails {
        lot: LOT,
        seq,
        amount: money(amount),
        bidder: Arc::from(bidder),
        at_ms: NOW_MS + 1_500,
        deadline_ms: NOW_MS + 300_000,
        price: money(amount),
        phase: "free",
        account_id: 42,
        display_name: Arc::from("Alice Wang"),
    }
}

fn main() {
    let req = |text: &str| Req(Arc::from(text));

    println!("### Client messages\n");
    client(
        "auth",
        json!({"type": "auth", "token": "R4nd0mT0kenFromPostSessions", "req": "a1"}),
    );
    client("join", json!({"type": "join", "lot": LOT, "req": "j1"}));
    client(
        "join with since_seq",
        json!({"type": "join", "lot": LOT, "since_seq": 41, "req": "j2"}),
    );
    client("leave", json!({"type": "leave", "lot": LOT, "req": "l1"}));
    client(
        "bid",
        json!({"type": "bid", "lot": LOT, "amount": "1250.00", "req": "b-0001"}),
    );
    client(
        "ping",
        json!({"type": "ping", "t": 1795420800123_i64, "req": "p1"}),
    );
    client(
        "pause",
        json!({"type": "pause", "lot": LOT, "reason": "technical check", "req": "c1"}),
    );
    client("resume", json!({"type": "resume", "lot": LOT, "req": "c2"}));
    client(
        "cancel",
        json!({"type": "cancel", "lot": LOT, "reason": "the lot was withdrawn", "req": "c3"}),
    );
    client(
        "announce",
        json!({"type": "announce", "lot": LOT, "text": "Five minutes left.", "req": "n1"}),
    );

    println!("### Answers to one client\n");
    let a1 = req("a1");
    answer(
        "welcome",
        &Answer::Welcome {
            account_id: 42,
            role: Role::Bidder,
            server_time_ms: NOW_MS,
            req: Some(&a1),
        },
    );
    let bidder_snapshot = Snapshot {
        lot: LOT,
        state: "open",
        phase: "free",
        currency: Arc::from("CNY"),
        price: Some(money("1200.00")),
        min_next: money("1250.00"),
        increment: money("50.00"),
        has_reserve: true,
        leader: Some(Arc::from("A017")),
        deadline_ms: NOW_MS + 300_000,
        remaining_ms: None,
        extensions: 0,
        server_time_ms: NOW_MS,
        seq: 3,
        result: None,
        recent_bids: vec![bid_details(3, "1200.00", "A017").view(false)],
        you: You::Bidder {
            bidder_number: Some(Arc::from("A023")),
            eligible: true,
            reason: None,
            priority_rank: None,
        },
        req: Some(req("j1")),
    };
    answer("snapshot (a bidder)", &Answer::Snapshot(&bidder_snapshot));
    let not_eligible = Snapshot {
        you: You::Bidder {
            bidder_number: None,
            eligible: false,
            reason: Some("not_registered"),
            priority_rank: None,
        },
        recent_bids: Vec::new(),
        ..bidder_snapshot.clone()
    };
    answer(
        "snapshot (a signed-in watcher who is not registered)",
        &Answer::Snapshot(&not_eligible),
    );
    let monitor = Snapshot {
        you: You::Monitor {
            monitor: true,
            role: Role::Auctioneer,
            members: 12,
            bidders: 5,
        },
        recent_bids: vec![bid_details(3, "1200.00", "A017").view(true)],
        ..bidder_snapshot.clone()
    };
    answer(
        "snapshot (the monitor view: the lot's auctioneer or an admin)",
        &Answer::Snapshot(&monitor),
    );
    answer(
        "left",
        &Answer::Left {
            lot: LOT,
            req: Some(&req("l1")),
        },
    );
    let b1 = req("b-0001");
    answer(
        "accepted",
        &Answer::Accepted {
            req: &b1,
            lot: LOT,
            seq: 4,
            amount: money("1250.00"),
            bidder: "A023",
            at_ms: NOW_MS + 1_500,
            deadline_ms: NOW_MS + 300_000,
        },
    );
    answer(
        "rejected (too_low)",
        &Answer::Rejected {
            req: &b1,
            lot: LOT,
            code: "too_low",
            message: "the amount is below the lowest acceptable bid",
            min_next: Some(money("1300.00")),
            reason: None,
        },
    );
    answer(
        "rejected (not_eligible)",
        &Answer::Rejected {
            req: &b1,
            lot: LOT,
            code: "not_eligible",
            message: "you are not eligible to bid in this lot",
            min_next: None,
            reason: Some("deposit_not_lodged"),
        },
    );
    let t = json!(1795420800123_i64);
    answer(
        "pong",
        &Answer::Pong {
            t: Some(&t),
            server_time_ms: NOW_MS + 20,
            req: Some(&req("p1")),
        },
    );
    answer(
        "error",
        &Answer::Error {
            code: "invalid_message",
            message: "unknown variant `dance`, expected one of `auth`, `join`, ...",
            req: Some(&req("x1")),
        },
    );

    println!("### Room events\n");
    event(
        "bid (public view)",
        EventBody::Bid(bid_details(4, "1250.00", "A023")),
        View::Public,
    );
    event(
        "bid (monitor view)",
        EventBody::Bid(bid_details(4, "1250.00", "A023")),
        View::Monitor,
    );
    event(
        "state (paused, as the auctioneer's answer)",
        EventBody::State {
            lot: LOT,
            seq: 5,
            state: "paused",
            deadline_ms: NOW_MS + 300_000,
            remaining_ms: Some(298_500),
            reason: Some(Arc::from("technical check")),
            req: Some(req("c1")),
        },
        View::Public,
    );
    event(
        "state (resumed)",
        EventBody::State {
            lot: LOT,
            seq: 6,
            state: "open",
            deadline_ms: NOW_MS + 360_000,
            remaining_ms: None,
            reason: None,
            req: None,
        },
        View::Public,
    );
    event(
        "announcement",
        EventBody::Announcement {
            lot: LOT,
            seq: 7,
            text: Arc::from("Five minutes left."),
            req: None,
        },
        View::Public,
    );
    event(
        "closed",
        EventBody::Closed {
            lot: LOT,
            seq: 8,
            result: "sold",
            price: Some(money("1250.00")),
            winner_bidder: Some(Arc::from("A023")),
        },
        View::Public,
    );
    event(
        "presence (monitors only, no seq)",
        EventBody::Presence {
            lot: LOT,
            members: 12,
            bidders: 5,
        },
        View::Monitor,
    );
}
