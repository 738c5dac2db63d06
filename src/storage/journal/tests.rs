//! The group commit's contract on both databases: rows come back as written (free text
//! included), and a batch retried after its commit did land neither fails nor duplicates.

use crate::auction::LotState;
use crate::domain::LotId;
use crate::money::Money;
use crate::storage::Store;
use crate::storage::testing::TestStore;
use std::sync::Arc;

use super::{JournalError, JournalRow, RoomEventKind};

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

/// A stored row is skipped only when it is the same event: another writer's row with the
/// same key refuses the batch, and none of the batch is stored.
async fn check_another_writers_row_is_not_taken_for_ours(store: &dyn Store) {
    let ours = bid(1, 1);
    let theirs = JournalRow {
        account_id: Some(8),
        req: Some(Arc::from("their-req")),
        ..bid(1, 1)
    };
    store
        .append_room_events(std::slice::from_ref(&theirs))
        .await
        .expect("their row commits");
    let refused = store.append_room_events(&[bid(2, 1), ours]).await;
    assert!(
        matches!(refused, Err(JournalError::Refused(_))),
        "another event under our key refuses the batch: {refused:?}"
    );
    assert_eq!(store.recent_room_events(1, 10).await.unwrap(), vec![theirs]);
    assert_eq!(
        store.recent_room_events(2, 10).await.unwrap(),
        vec![],
        "nothing of the batch"
    );
}

/// A list's summaries in one read equal what each lot's own rows say.
async fn check_summaries_of_many_lots(store: &dyn Store) {
    let mut rows = vec![bid(1, 1), bid(1, 2), announcement(1, 3)];
    rows.extend([bid(2, 1), announcement(2, 2), bid(2, 3)]);
    rows.push(announcement(4, 1));
    store
        .append_room_events(&rows)
        .await
        .expect("a batch commits");

    let summaries = store.bid_summaries(&[1, 2, 3, 4]).await.unwrap();
    let lot_1 = &summaries[&1];
    assert_eq!(lot_1.bid_count, 2);
    assert_eq!(
        lot_1.last_bid,
        Some(bid(1, 2)),
        "the last bid, not the last event"
    );
    assert_eq!(lot_1.last_event, Some(announcement(1, 3)));
    let lot_2 = &summaries[&2];
    assert_eq!(lot_2.bid_count, 2);
    assert_eq!(lot_2.last_bid, Some(bid(2, 3)));
    assert_eq!(lot_2.last_event, Some(bid(2, 3)), "one row is both");
    assert!(
        !summaries.contains_key(&3),
        "a lot without events has no summary"
    );
    let lot_4 = &summaries[&4];
    assert_eq!((lot_4.bid_count, lot_4.last_bid.clone()), (0, None));
    assert_eq!(lot_4.last_event, Some(announcement(4, 1)));
    assert_eq!(store.bid_summary(3).await.unwrap(), Default::default());
    assert_eq!(&store.bid_summary(1).await.unwrap(), lot_1);
    assert!(store.bid_summaries(&[]).await.unwrap().is_empty());
}

async fn check_each_database(check: impl AsyncFn(&dyn Store)) {
    for test_store in [TestStore::sqlite().await, TestStore::postgres().await] {
        check(test_store.store.as_ref()).await;
        test_store.finish().await;
    }
}

#[tokio::test]
async fn a_retried_batch_is_stored_once() {
    check_each_database(check_retries_and_round_trips).await;
}

#[tokio::test]
async fn another_writers_row_is_never_taken_for_ours() {
    check_each_database(check_another_writers_row_is_not_taken_for_ours).await;
}

#[tokio::test]
async fn many_lots_are_summarised_in_one_read() {
    check_each_database(check_summaries_of_many_lots).await;
}

#[tokio::test]
async fn postgres_refuses_a_nul_character_as_a_row_fault_not_an_outage() {
    let test_store = TestStore::postgres().await;
    let row = JournalRow {
        req: Some(Arc::from("nul\0here")),
        ..bid(1, 1)
    };
    let refused = test_store.store.append_room_events(&[row]).await;
    assert!(
        matches!(refused, Err(JournalError::Refused(_))),
        "a NUL in text is the row's fault: {refused:?}"
    );
    test_store.finish().await;
}
