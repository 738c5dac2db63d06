//! Encoding a `bid` event for the wire, in JSON and in MessagePack, as the room does it:
//! once per (view, encoding) per event, then shared with every member as bytes.
//!
//! `cargo bench --bench encoding`.

use std::hint::black_box;
use std::sync::Arc;

use bidroom::money::Money;
use bidroom::realtime::protocol::{
    BidDetails, ClientMessage, Encoding, EventBody, RoomFrame, View,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bid_event(seq: u64) -> BidDetails {
    let amount = Money::parse("1250.00").expect("a valid amount");
    BidDetails {
        lot: 42,
        seq,
        amount,
        bidder: Arc::from("0427"),
        at_ms: 1_800_000_000_000,
        deadline_ms: 1_800_000_060_000,
        price: amount,
        phase: "free",
        account_id: 7,
        display_name: Arc::from("Zhang San"),
    }
}

fn encoding(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("encoding");
    group.throughput(Throughput::Elements(1));
    for (name, encoding) in [("json", Encoding::Json), ("msgpack", Encoding::MessagePack)] {
        // A fresh frame each time: the first member's cost (the encode itself).
        group.bench_function(format!("bid event {name}"), |bencher| {
            let mut seq = 0;
            bencher.iter(|| {
                seq += 1;
                let frame = RoomFrame::new(EventBody::Bid(bid_event(seq)));
                black_box(frame.message(View::Public, encoding))
            })
        });
        // Every later member's cost: a clone of the encoded bytes.
        group.bench_function(format!("bid event {name}, encoded already"), |bencher| {
            let frame = RoomFrame::new(EventBody::Bid(bid_event(1)));
            frame.message(View::Public, encoding);
            bencher.iter(|| black_box(frame.message(View::Public, encoding)))
        });
    }

    // A client's bid as the server reads it.
    let json = br#"{"type":"bid","lot":42,"amount":"1250.00","req":"b-1234"}"#.to_vec();
    let value: serde_json::Value = serde_json::from_slice(&json).expect("valid JSON");
    let msgpack = rmp_serde::to_vec_named(&value).expect("MessagePack");
    for (name, encoding, bytes) in [
        ("json", Encoding::Json, json),
        ("msgpack", Encoding::MessagePack, msgpack),
    ] {
        group.bench_function(format!("decode a client bid {name}"), |bencher| {
            bencher.iter(|| {
                let message: ClientMessage = encoding.decode(black_box(&bytes)).expect("a bid");
                black_box(message)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, encoding);
criterion_main!(benches);
