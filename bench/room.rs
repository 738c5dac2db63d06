//! One room task in process: accepted bids through the room actor (judged, journaled by
//! the group commit, answered after the commit), and the fan-out of one event to N
//! members (the broadcast each session receives, and the bytes it would send, encoded once
//! per view and encoding and shared).
//!
//! `cargo bench --bench room`. The store is SQLite in a temporary directory on `/dev/shm`
//! when the machine has it (so that the figures are the actor's and the journal's CPU,
//! not the disk's fsync), else in the system's temporary directory. Throughput: accepted
//! bids per second for the actor, deliveries per second for the fan-out.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::extract::ws::Message;
use bidroom::clock::Clock;
use bidroom::domain::{AccountId, AccountKind, DepositTerms, Role};
use bidroom::money::Money;
use bidroom::realtime::protocol::{Encoding, Req, View};
use bidroom::rooms::{LeaseTerms, Member, Replier, RoomCommand, RoomHandle, Rooms};
use bidroom::storage::Store;
use bidroom::storage::accounts::{Identity, NewAccount, NewIdentity};
use bidroom::storage::lots::NewLot;
use bidroom::storage::money::{BankNotification, IdempotencyKey, StoredAnswer};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use tokio::runtime::Runtime;
use tokio::sync::{mpsc, oneshot};

/// Bids sent to the room before their answers are awaited: the pipelining of many
/// connections bidding at once.
const BIDS_IN_FLIGHT: u64 = 256;
const MEMBERS: [usize; 4] = [10, 100, 1_000, 10_000];
const START_PRICE: i64 = 1_000;

/// A live room with two eligible bidders taking turns.
struct Bench {
    _dir: tempfile::TempDir,
    room: RoomHandle,
    bidders: [AccountId; 2],
    /// The next bid's amount, in whole yuan (the increment is 1).
    next_amount: AtomicU64,
    next_req: AtomicU64,
}

fn money(text: &str) -> Money {
    Money::parse(text).expect("a valid amount")
}

async fn setup() -> Bench {
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("room.db").display());
    let store = bidroom::storage::connect(&url).await.expect("open SQLite");
    let clock = Clock::start();
    let now_ms = clock.now_ms();
    let account = |name: &str, role: Role| NewAccount {
        username: name.to_owned(),
        password_hash: "not a real hash".to_owned(),
        display_name: name.to_owned(),
        role,
        kind: AccountKind::Individual,
        must_change_password: false,
    };
    let auctioneer = store
        .create_account(&account("auctioneer", Role::Auctioneer), now_ms)
        .await
        .expect("an auctioneer");
    let starts_at_ms = now_ms + 300;
    let lot = store
        .create_lot(
            &NewLot {
                auctioneer_id: auctioneer.id,
                title: "Bench lot".to_owned(),
                description: String::new(),
                currency: "CNY".to_owned(),
                start_price: Money::from_decimal(START_PRICE.into()),
                increment: money("1.00"),
                reserve_price: None,
                deposit: DepositTerms::Fixed(money("100.00")),
                fee_rate: "0.01".parse().expect("a decimal"),
                applications_close_at_ms: starts_at_ms,
                deposit_deadline_ms: starts_at_ms,
                starts_at_ms,
                ends_at_ms: starts_at_ms + 86_400_000,
                extension_window_secs: 10,
                max_extensions: None,
                extension_mode: Default::default(),
                settlement_due_at_ms: None,
            },
            now_ms,
        )
        .await
        .expect("a lot");
    store.publish_lot(lot.id).await.expect("published");
    let mut bidders = [0; 2];
    for (index, bidder) in bidders.iter_mut().enumerate() {
        let name = format!("bidder{index}");
        let created = store
            .create_account(&account(&name, Role::Bidder), now_ms)
            .await
            .expect("a bidder");
        *bidder = created.id;
        lodge_deposit(store.as_ref(), lot.id, created.id, index, now_ms).await;
    }
    let rooms = Rooms::start(store, clock, LeaseTerms::local("bench"), None)
        .await
        .expect("the rooms");
    let room = rooms.room(lot.id).expect("the lot's room");
    while clock.now_ms() < starts_at_ms + 50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Bench {
        _dir: dir,
        room,
        bidders,
        next_amount: AtomicU64::new(START_PRICE as u64),
        next_req: AtomicU64::new(0),
    }
}

/// Verifies, applies, approves, tops up and lodges the deposit, as the REST routes do.
async fn lodge_deposit(store: &dyn Store, lot: i64, account: AccountId, index: usize, now_ms: i64) {
    let identity = NewIdentity {
        identity: Identity {
            real_name: format!("Bidder {index}"),
            id_type: "passport".to_owned(),
            id_number_masked: "E****".to_owned(),
        },
        id_number_hash: format!("bench-{index}"),
    };
    store
        .verify_account(account, &identity, now_ms)
        .await
        .expect("verified");
    let application = store
        .create_application(lot, account, now_ms)
        .await
        .expect("applied");
    store
        .approve_application(application.id, None, now_ms)
        .await
        .expect("approved");
    let wallet = store.wallet_summary(account).await.expect("a wallet");
    let notification = BankNotification {
        transfer_id: format!("bench-{index}"),
        account_number: wallet.account_number,
        amount: money("1000.00"),
        currency: "CNY".to_owned(),
        received_at_ms: now_ms,
        payer_name: None,
    };
    store
        .record_bank_notification(&notification, &|_| String::new(), now_ms)
        .await
        .expect("recorded")
        .expect("credited");
    let key = IdempotencyKey {
        account_id: account,
        scope: "deposit",
        key: "bench".to_owned(),
        request_sha256: String::new(),
    };
    let answer = |_: &_| StoredAnswer {
        status: 201,
        body: String::new(),
    };
    store
        .lodge_deposit(application.id, None, &key, &answer, now_ms)
        .await
        .expect("stored")
        .expect("lodged");
}

impl Bench {
    /// Sends `count` bids, each one above the last, from the two bidders in turn, then
    /// waits for every answer; panics on a rejection.
    async fn bid(&self, count: u64, outbox: &mpsc::UnboundedSender<Message>) {
        for _ in 0..count {
            let amount = self.next_amount.fetch_add(1, Ordering::Relaxed);
            let req = self.next_req.fetch_add(1, Ordering::Relaxed);
            let bidder = self.bidders[(amount % 2) as usize];
            let command = RoomCommand::Bid {
                account: bidder,
                verified: true,
                amount: Ok(Money::from_decimal(amount.into())),
                req: Req(Arc::from(format!("b{req}"))),
                reply: Replier {
                    outbox: outbox.clone(),
                    encoding: Encoding::Json,
                },
                received_at: tokio::time::Instant::now(),
            };
            assert!(self.room.send(command).await, "the room is live");
        }
    }

    async fn join(&self, connection: u64) -> bidroom::rooms::Joined {
        let (reply, joined) = oneshot::channel();
        let command = RoomCommand::Join {
            member: Member {
                connection,
                account: 1_000_000 + connection as i64,
                role: Role::Bidder,
            },
            since_seq: None,
            req: None,
            encoding: Encoding::Json,
            reply,
        };
        assert!(self.room.send(command).await, "the room is live");
        joined.await.expect("joined")
    }
}

async fn answers(count: u64, inbox: &mut mpsc::UnboundedReceiver<Message>) {
    for _ in 0..count {
        let answer = inbox.recv().await.expect("an answer");
        let Message::Text(text) = answer else {
            panic!("a text answer");
        };
        assert!(text.starts_with(r#"{"type":"accepted""#), "{text}");
    }
}

fn actor(c: &mut Criterion) {
    let runtime = Runtime::new().expect("a runtime");
    let bench = runtime.block_on(setup());
    let mut group = c.benchmark_group("room actor");
    group.throughput(Throughput::Elements(BIDS_IN_FLIGHT));
    group.bench_function(format!("{BIDS_IN_FLIGHT} accepted bids in flight"), |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let (outbox, mut inbox) = mpsc::unbounded_channel();
                let started = Instant::now();
                for _ in 0..iterations {
                    bench.bid(BIDS_IN_FLIGHT, &outbox).await;
                    answers(BIDS_IN_FLIGHT, &mut inbox).await;
                }
                started.elapsed()
            })
        })
    });
    group.finish();
}

fn fan_out(c: &mut Criterion) {
    let runtime = Runtime::new().expect("a runtime");
    let bench = runtime.block_on(setup());
    let mut group = c.benchmark_group("fan-out");
    group.sample_size(20);
    for members in MEMBERS {
        let mut subscriptions = runtime.block_on(async {
            let mut subscriptions = Vec::with_capacity(members);
            for connection in 0..members {
                subscriptions.push(bench.join(connection as u64).await.events);
            }
            subscriptions
        });
        group.throughput(Throughput::Elements(members as u64));
        group.bench_function(BenchmarkId::new("one bid to members", members), |b| {
            b.iter_custom(|iterations| {
                runtime.block_on(async {
                    let (outbox, mut inbox) = mpsc::unbounded_channel();
                    let mut delivering = Duration::ZERO;
                    for _ in 0..iterations {
                        bench.bid(1, &outbox).await;
                        answers(1, &mut inbox).await;
                        // Timed from the answer: the event is in every member's channel.
                        let started = Instant::now();
                        for events in subscriptions.iter_mut() {
                            let frame = events.recv().await.expect("the bid event");
                            let bytes = frame.message(View::Public, Encoding::Json);
                            std::hint::black_box(bytes);
                        }
                        delivering += started.elapsed();
                    }
                    delivering
                })
            })
        });
        drop(subscriptions);
    }
    group.finish();
}

criterion_group!(benches, actor, fan_out);
criterion_main!(benches);
