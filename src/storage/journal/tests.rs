//! The group commit's contract on both databases: rows come back as written (free text
//! included), and a batch retried after its commit did land neither fails nor duplicates.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::Connection;

use crate::auction::LotState;
use crate::money::Money;
use crate::storage::{self, LotId, Store};

use super::{JournalRow, RoomEventKind};

const NOW_MS: i64 = 1_800_000_000_000;

fn bid(lot_id: LotId, seq: u64) -> JournalRow {
    JournalRow {
        lot_id,
        seq,
        kind: RoomEventKind::Bid,
        at_ms: NOW_MS + seq as i64,
        account_id: Some(7),
        bidder_number: Some(Arc::from("0427")),
        amount: Some(Money::parse("1250.50").expect("an amount")),
        req: Some(Arc::from(format!("req-{seq}").as_str())),
        state: LotState::Open,
        text: None,
        deadline_ms: NOW_MS + 60_000,
        remaining_ms: None,
        extensions: 3,
    }
}

/// An announcement whose text holds every character COPY's text format escapes.
fn announcement(lot_id: LotId, seq: u64) -> JournalRow {
    JournalRow {
        kind: RoomEventKind::Announcement,
        account_id: None,
        bidder_number: None,
        amount: None,
        req: None,
        text: Some(Arc::from(
            "tab\there, new\nline, \\N, back\\slash, \r, 拍卖 \\.",
        )),
        remaining_ms: Some(12_345),
        ..bid(lot_id, seq)
    }
}

/// Two rooms' rows interleaved, as the writer gathers them, from seq `first_seq` on.
fn interleaved_rows(first_seq: u64, count: u64) -> Vec<JournalRow> {
    let mut rows = Vec::new();
    for seq in first_seq..first_seq + count {
        rows.push(bid(2, seq));
        if seq % 3 == 0 {
            rows.push(announcement(1, seq));
        } else {
            rows.push(bid(1, seq));
        }
    }
    rows
}

async fn check_retries_and_round_trips(store: &dyn Store) {
    let first = interleaved_rows(1, 40);
    store
        .append_room_events(&first)
        .await
        .expect("a batch commits");
    store
        .append_room_events(&first)
        .await
        .expect("a retry of a committed batch succeeds");
    let second = interleaved_rows(41, 40);
    let partly_stored: Vec<JournalRow> = first[60..].iter().chain(&second).cloned().collect();
    store
        .append_room_events(&partly_stored)
        .await
        .expect("a batch with rows already stored commits the others");
    for lot in [1, 2] {
        let expected: Vec<JournalRow> = first
            .iter()
            .chain(&second)
            .filter(|row| row.lot_id == lot)
            .cloned()
            .collect();
        let stored = store
            .recent_room_events(lot, 1_000)
            .await
            .expect("the rows read back");
        assert_eq!(stored, expected, "lot {lot}");
    }
}

#[tokio::test]
async fn a_retried_batch_is_stored_once_on_sqlite() {
    let directory = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", directory.path().join("journal.db").display());
    let store = storage::connect(&url)
        .await
        .expect("the SQLite store opens");
    check_retries_and_round_trips(store.as_ref()).await;
}

#[tokio::test]
async fn a_retried_batch_is_stored_once_on_postgres() {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let admin_url = std::env::var("BIDROOM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!(
        "bidroom_journal_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("PostgreSQL is reachable");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("a test database");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url.as_str(), |(base, _)| base);
    let store = storage::connect(&format!("{base}/{name}"))
        .await
        .expect("the PostgreSQL store opens");
    check_retries_and_round_trips(store.as_ref()).await;
    drop(store);
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("the test database drops");
}
