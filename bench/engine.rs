//! The room engine's bid evaluation: `Room::place_bid` in a loop, accepted and refused.
//!
//! `cargo bench --bench engine`. Throughput is in bid evaluations (elements) per second on
//! one core; the goal of issue 4 is 5 million per second.

use std::hint::black_box;
use std::sync::Arc;

use bidroom::auction::{Bidder, Eligibility, ExtensionMode, LotRules, Room};
use bidroom::money::Money;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

/// Bids evaluated per measured iteration.
const BIDS: u64 = 10_000;
const NOW_MS: i64 = 1_800_000_000_000;

fn money(text: &str) -> Money {
    Money::parse(text).expect("a valid amount")
}

/// An open room with `bidders` eligible bidders and a deadline far away (no extensions).
fn open_room(bidders: i64) -> Room {
    let mut room = Room::new(LotRules {
        start_price: money("1000.00"),
        increment: money("10.00"),
        reserve_price: None,
        extension_window_ms: 60_000,
        max_extensions: None,
        extension_mode: ExtensionMode::Reset,
        starts_at_ms: NOW_MS,
        ends_at_ms: NOW_MS + 86_400_000,
    });
    for account in 1..=bidders {
        room.upsert_bidder(Bidder {
            account,
            bidder_number: Arc::from(format!("{account:04}")),
            priority_rank: None,
            eligibility: Eligibility::Eligible,
            suspended_until_ms: None,
        });
    }
    room.open(NOW_MS).expect("the room opens");
    room
}

fn bid_evaluation(criterion: &mut Criterion) {
    let mut group = criterion.benchmark_group("engine");
    group.throughput(Throughput::Elements(BIDS));

    // Every bid accepted: bidders take turns, each bidding the room's min_next.
    group.bench_function("place_bid accepted", |bencher| {
        bencher.iter_batched_ref(
            || open_room(8),
            |room| {
                for index in 0..BIDS {
                    let account = (index % 8 + 1) as i64;
                    let amount = room.min_next();
                    let event = room.place_bid(account, true, Ok(amount), NOW_MS + index as i64);
                    black_box(event.expect("accepted"));
                }
            },
            BatchSize::LargeInput,
        )
    });

    // Every bid refused as too low: the engine's cheapest path after its checks.
    group.bench_function("place_bid too_low", |bencher| {
        let mut room = open_room(2);
        let price = room.min_next();
        room.place_bid(1, true, Ok(price), NOW_MS)
            .expect("the first bid is accepted");
        bencher.iter(|| {
            for index in 0..BIDS {
                let refused = room.place_bid(2, true, Ok(price), NOW_MS + index as i64);
                black_box(refused.expect_err("too low"));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bid_evaluation);
criterion_main!(benches);
