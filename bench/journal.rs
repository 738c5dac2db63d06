//! The journal's group commit: `append_room_events` with batches of journal rows, each
//! batch one transaction, on SQLite (a file in a temporary directory) and on PostgreSQL (a
//! fresh database, dropped afterwards).
//!
//! `cargo bench --bench journal`. PostgreSQL comes from `BIDROOM_BENCH_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`); when it cannot be reached its
//! benchmarks are skipped with a note. Throughput is in durable rows per second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use bidroom::auction::{ExtensionMode, LotState};
use bidroom::domain::{AccountKind, DepositTerms, LotId, Role};
use bidroom::money::Money;
use bidroom::storage::accounts::NewAccount;
use bidroom::storage::lots::NewLot;
use bidroom::storage::{JournalRow, RoomEventKind, Store};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sqlx::Connection;
use tokio::runtime::Runtime;

const BATCH_SIZES: [usize; 3] = [100, 1_000, 4_096];
/// Rows of the two batches of one iteration of the uneven case.
const UNEVEN_PAIR_ROWS: usize = 2_000;
/// Rooms whose rows share one batch, as the journal writer groups them from many rooms.
const ROOMS: usize = 100;
const NOW_MS: i64 = 1_800_000_000_000;

/// Lots for the rows' foreign key, made through the store as the server makes them.
async fn lots(store: &dyn Store, count: usize) -> Vec<LotId> {
    let auctioneer = store
        .create_account(
            &NewAccount {
                username: format!("bench-{}", std::process::id()),
                password_hash: "not a real hash".to_owned(),
                display_name: "Bench".to_owned(),
                role: Role::Auctioneer,
                kind: AccountKind::Individual,
                must_change_password: false,
            },
            NOW_MS,
        )
        .await
        .expect("an auctioneer");
    let amount = |text: &str| Money::parse(text).expect("a valid amount");
    let mut ids = Vec::with_capacity(count);
    for _ in 0..count {
        let lot = store
            .create_lot(
                &NewLot {
                    auctioneer_id: auctioneer.id,
                    title: "Bench lot".to_owned(),
                    description: String::new(),
                    currency: "CNY".to_owned(),
                    start_price: amount("1000.00"),
                    increment: amount("10.00"),
                    reserve_price: None,
                    deposit: DepositTerms::Fixed(amount("100.00")),
                    fee_rate: "0.01".parse().expect("a decimal"),
                    applications_close_at_ms: NOW_MS,
                    deposit_deadline_ms: NOW_MS,
                    starts_at_ms: NOW_MS,
                    ends_at_ms: NOW_MS + 60_000,
                    extension_window_secs: 10,
                    max_extensions: None,
                    extension_mode: ExtensionMode::Reset,
                    settlement_due_at_ms: None,
                },
                NOW_MS,
            )
            .await
            .expect("a lot");
        ids.push(lot.id);
    }
    ids
}

/// A bid row as a room journals it.
fn bid_row(lot_id: LotId, seq: u64) -> JournalRow {
    let amount = Money::parse("1000.00")
        .expect("a valid amount")
        .plus_steps(Money::parse("10.00").expect("a valid amount"), seq)
        .expect("a representable amount");
    JournalRow {
        lot_id,
        seq,
        kind: RoomEventKind::Bid,
        at_ms: NOW_MS + seq as i64,
        account_id: Some(1),
        bidder_number: Some(Arc::from("0427")),
        amount: Some(amount),
        req: Some(Arc::from(format!("req-{seq}").as_str())),
        state: LotState::Open,
        text: None,
        deadline_ms: NOW_MS + 60_000,
        remaining_ms: None,
        extensions: 0,
    }
}

/// The next `batch` rows, spread round-robin over `lots` (each lot's seqs continue from
/// `next_seqs`).
fn next_rows(lots: &[LotId], next_seqs: &mut [u64], batch: usize) -> Vec<JournalRow> {
    (0..batch)
        .map(|index| {
            let room = index % lots.len();
            next_seqs[room] += 1;
            bid_row(lots[room], next_seqs[room])
        })
        .collect()
}

async fn timed_commit(store: &dyn Store, rows: &[JournalRow]) -> Duration {
    let started = Instant::now();
    store
        .append_room_events(rows)
        .await
        .expect("the batch commits");
    started.elapsed()
}

/// Measures `iterations` commits of `batch` rows each.
async fn commit_batches(
    store: &dyn Store,
    lots: &[LotId],
    next_seqs: &mut [u64],
    batch: usize,
    iterations: u64,
) -> Duration {
    let mut elapsed = Duration::ZERO;
    for _ in 0..iterations {
        let rows = next_rows(lots, next_seqs, batch);
        elapsed += timed_commit(store, &rows).await;
    }
    elapsed
}

/// Measures `iterations` pairs of commits of `pair_rows` rows together, split unevenly
/// (1 to `pair_rows - 1` rows, a different split each time), as the writer's batches vary
/// in size with the load.
async fn commit_uneven_batches(
    store: &dyn Store,
    lots: &[LotId],
    next_seqs: &mut [u64],
    pair_rows: usize,
    iterations: u64,
) -> Duration {
    let mut elapsed = Duration::ZERO;
    let mut split: usize = 1;
    for _ in 0..iterations {
        // A step coprime with `pair_rows - 1` visits every split before repeating one.
        split = (split + 997) % (pair_rows - 1) + 1;
        for batch in [split, pair_rows - split] {
            let rows = next_rows(lots, next_seqs, batch);
            elapsed += timed_commit(store, &rows).await;
        }
    }
    elapsed
}

fn bench_store(criterion: &mut Criterion, runtime: &Runtime, name: &str, store: Arc<dyn Store>) {
    let lots = runtime.block_on(lots(store.as_ref(), ROOMS));
    let mut next_seqs = vec![0; ROOMS];
    let mut group = criterion.benchmark_group(format!("journal {name}"));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    for (label, rooms) in [("one room", 1), ("100 rooms", ROOMS)] {
        for batch in BATCH_SIZES {
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_with_input(
                BenchmarkId::new(format!("append_room_events, {label}"), batch),
                &batch,
                |bencher, &batch| {
                    bencher.iter_custom(|iterations| {
                        runtime.block_on(commit_batches(
                            store.as_ref(),
                            &lots[..rooms],
                            &mut next_seqs[..rooms],
                            batch,
                            iterations,
                        ))
                    })
                },
            );
        }
    }
    group.throughput(Throughput::Elements(UNEVEN_PAIR_ROWS as u64));
    group.bench_with_input(
        BenchmarkId::new(
            "append_room_events, 100 rooms, uneven batches",
            UNEVEN_PAIR_ROWS,
        ),
        &UNEVEN_PAIR_ROWS,
        |bencher, &pair_rows| {
            bencher.iter_custom(|iterations| {
                runtime.block_on(commit_uneven_batches(
                    store.as_ref(),
                    &lots,
                    &mut next_seqs,
                    pair_rows,
                    iterations,
                ))
            })
        },
    );
    group.throughput(Throughput::Elements(2 * 1_000));
    group.bench_function(
        "append_room_events, 100 rooms, two commits in flight/2x1000",
        |bencher| {
            bencher.iter_custom(|iterations| {
                runtime.block_on(commit_pairs_in_flight(
                    store.as_ref(),
                    &lots,
                    &mut next_seqs,
                    1_000,
                    iterations,
                ))
            })
        },
    );
    group.finish();
}

/// Measures `iterations` pairs of `batch`-row commits made at the same time, as a writer
/// that keeps two transactions in flight would (on SQLite's one writer connection they
/// still take turns).
async fn commit_pairs_in_flight(
    store: &dyn Store,
    lots: &[LotId],
    next_seqs: &mut [u64],
    batch: usize,
    iterations: u64,
) -> Duration {
    let mut elapsed = Duration::ZERO;
    for _ in 0..iterations {
        let first = next_rows(lots, next_seqs, batch);
        let second = next_rows(lots, next_seqs, batch);
        let started = Instant::now();
        let (first, second) = tokio::join!(
            store.append_room_events(&first),
            store.append_room_events(&second)
        );
        first.expect("the first batch commits");
        second.expect("the second batch commits");
        elapsed += started.elapsed();
    }
    elapsed
}

fn sqlite(criterion: &mut Criterion) {
    let runtime = Runtime::new().expect("a tokio runtime");
    let directory = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", directory.path().join("journal.db").display());
    let store = runtime
        .block_on(bidroom::storage::connect(&url))
        .expect("the SQLite store opens");
    bench_store(criterion, &runtime, "sqlite", store);
}

/// A fresh PostgreSQL database, dropped when the benchmark ends.
struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl PostgresDatabase {
    async fn create() -> Result<(PostgresDatabase, String), sqlx::Error> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let admin_url = std::env::var("BIDROOM_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
        let name = format!(
            "bidroom_bench_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut connection = sqlx::PgConnection::connect(&admin_url).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut connection)
            .await?;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        Ok((PostgresDatabase { admin_url, name }, url))
    }

    async fn drop_database(&self) -> Result<(), sqlx::Error> {
        let mut connection = sqlx::PgConnection::connect(&self.admin_url).await?;
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut connection)
        .await?;
        Ok(())
    }
}

fn postgres(criterion: &mut Criterion) {
    let runtime = Runtime::new().expect("a tokio runtime");
    let (database, url) = match runtime.block_on(PostgresDatabase::create()) {
        Ok(created) => created,
        Err(error) => {
            eprintln!("skipping the PostgreSQL journal benchmarks: {error}");
            return;
        }
    };
    let store = runtime
        .block_on(bidroom::storage::connect(&url))
        .expect("the PostgreSQL store opens");
    bench_store(criterion, &runtime, "postgres", store.clone());
    drop(store);
    if let Err(error) = runtime.block_on(database.drop_database()) {
        eprintln!(
            "could not drop the benchmark database {}: {error}",
            database.name
        );
    }
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);
