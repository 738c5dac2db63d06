//! Leases and the journal's fence on both databases.

use std::sync::Arc;

use crate::auction::LotState;
use crate::domain::LotId;
use crate::money::Money;
use crate::storage::testing::TestStore;
use crate::storage::{JournalError, JournalRow, Release, RoomEventKind, Store, TakenLease};

const NOW_MS: i64 = 1_800_000_000_000;
const TTL_MS: i64 = 3_000;

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
        extensions: 0,
    }
}

async fn take(store: &dyn Store, lot: LotId, node: &str, now_ms: i64) -> Option<TakenLease> {
    store
        .acquire_lease(lot, node, now_ms, now_ms + TTL_MS)
        .await
        .expect("the lease query")
}

async fn acquire(store: &dyn Store, lot: LotId, node: &str, now_ms: i64) -> Option<i64> {
    take(store, lot, node, now_ms)
        .await
        .map(|taken| taken.epoch)
}

fn handed_over(at_ms: i64) -> Release {
    Release::HandedOver { at_ms }
}

/// A lease is taken by one node at a time, each holder with the next epoch; a running
/// lease is renewed only by its holder under its epoch; a released one is free at once.
async fn check_a_lease_has_one_holder_at_a_time(store: Arc<dyn Store>) {
    assert_eq!(acquire(&*store, 1, "a", NOW_MS).await, Some(1));
    assert_eq!(
        acquire(&*store, 1, "b", NOW_MS + 1_000).await,
        None,
        "a holds it"
    );
    assert_eq!(
        store
            .renew_leases("a", &[(1, 1)], NOW_MS + 5_000)
            .await
            .unwrap(),
        [1]
    );
    assert_eq!(
        acquire(&*store, 1, "b", NOW_MS + 4_000).await,
        None,
        "renewed"
    );
    assert_eq!(
        acquire(&*store, 1, "b", NOW_MS + 5_000).await,
        Some(2),
        "run out"
    );
    let leases = store.leases().await.unwrap();
    assert_eq!(
        (
            leases[0].node_id.as_str(),
            leases[0].epoch,
            leases[0].expires_at_ms
        ),
        ("b", 2, NOW_MS + 5_000 + TTL_MS)
    );
    // The old holder renews no more: the lease has moved on.
    assert!(
        store
            .renew_leases("a", &[(1, 1)], NOW_MS + 9_000)
            .await
            .unwrap()
            .is_empty()
    );
    // A holder that restarted takes its own lease again at once, with the next epoch.
    assert_eq!(acquire(&*store, 1, "b", NOW_MS + 5_001).await, Some(3));
    // Released (a planned handover), it is anyone's at once; the epoch goes on.
    store
        .release_lease(1, "b", 3, handed_over(NOW_MS + 5_002))
        .await
        .unwrap();
    assert_eq!(acquire(&*store, 1, "a", NOW_MS + 5_002).await, Some(4));
    // A release under an old epoch does nothing.
    store
        .release_lease(1, "b", 3, Release::Ended)
        .await
        .unwrap();
    assert_eq!(acquire(&*store, 1, "b", NOW_MS + 5_003).await, None);
    // Ended, the room's lease goes entirely.
    store
        .release_lease(1, "a", 4, Release::Ended)
        .await
        .unwrap();
    assert!(store.leases().await.unwrap().is_empty());
}

/// A lease another node released on purpose within the last lease term is taken as handed
/// over; one that ran out, one released long ago, or one its own holder takes back is not.
async fn check_a_handover_is_told_from_an_outage(store: Arc<dyn Store>) {
    let first = take(&*store, 1, "a", NOW_MS).await.expect("free");
    assert!(!first.handed_over, "a first lease is nobody's handover");
    store
        .release_lease(1, "a", 1, handed_over(NOW_MS + 1_000))
        .await
        .unwrap();
    let taken = take(&*store, 1, "b", NOW_MS + 1_200)
        .await
        .expect("released");
    assert_eq!((taken.epoch, taken.handed_over), (2, true));
    // b dies: its lease runs out, and a takes the room after an outage.
    let taken = take(&*store, 1, "a", NOW_MS + 1_200 + TTL_MS)
        .await
        .expect("run out");
    assert_eq!((taken.epoch, taken.handed_over), (3, false));
    // Released, then taken only after more than a lease term: the room was down.
    let released_at_ms = NOW_MS + 10_000;
    store
        .release_lease(1, "a", 3, handed_over(released_at_ms))
        .await
        .unwrap();
    let taken = take(&*store, 1, "b", released_at_ms + TTL_MS + 1)
        .await
        .expect("released");
    assert_eq!((taken.epoch, taken.handed_over), (4, false));
    // A node that takes back the lease it released has restarted: no handover either.
    let released_at_ms = NOW_MS + 20_000;
    store
        .release_lease(1, "b", 4, handed_over(released_at_ms))
        .await
        .unwrap();
    let taken = take(&*store, 1, "b", released_at_ms + 10)
        .await
        .expect("its own");
    assert_eq!((taken.epoch, taken.handed_over), (5, false));
}

/// The journal writes a lot's rows only under the epoch the database holds: the rows of an
/// old holder are refused whole, and named, while a batch's other lots are written.
async fn check_the_journal_is_fenced_by_the_epoch(store: Arc<dyn Store>) {
    assert_eq!(acquire(&*store, 1, "a", NOW_MS).await, Some(1));
    assert_eq!(acquire(&*store, 2, "a", NOW_MS).await, Some(1));
    store
        .append_fenced(&[bid(1, 1), bid(2, 1)], &[(1, 1), (2, 1)])
        .await
        .expect("written under the leases");
    // Node b takes lot 1's room once a's lease has run out.
    assert_eq!(acquire(&*store, 1, "b", NOW_MS + TTL_MS).await, Some(2));
    let refused = store
        .append_fenced(&[bid(1, 2), bid(2, 2)], &[(1, 1), (2, 1)])
        .await;
    match refused {
        Err(JournalError::Fenced(lots)) => assert_eq!(lots, [1]),
        other => panic!("expected lot 1 fenced off, got {other:?}"),
    }
    assert_eq!(store.recent_room_events(1, 10).await.unwrap().len(), 1);
    assert_eq!(
        store.recent_room_events(2, 10).await.unwrap().len(),
        1,
        "nothing of a fenced batch is written"
    );
    store
        .append_fenced(&[bid(1, 2)], &[(1, 2)])
        .await
        .expect("the new holder writes");
    // A lot with no lease at all is fenced off too.
    assert!(matches!(
        store.append_fenced(&[bid(3, 1)], &[(3, 1)]).await,
        Err(JournalError::Fenced(lots)) if lots == [3]
    ));
}

async fn check_nodes_are_listed(store: Arc<dyn Store>) {
    let node = crate::storage::NodeRecord {
        node_id: "a".to_owned(),
        address: "127.0.0.1:8080".to_owned(),
        clustered: true,
        started_at_ms: NOW_MS,
        last_seen_ms: NOW_MS,
    };
    store.node_seen(&node).await.unwrap();
    let seen_again = crate::storage::NodeRecord {
        last_seen_ms: NOW_MS + 1_000,
        ..node.clone()
    };
    store.node_seen(&seen_again).await.unwrap();
    assert_eq!(store.nodes().await.unwrap(), [seen_again]);
    store.node_stopped("a").await.unwrap();
    assert!(store.nodes().await.unwrap().is_empty());
}

macro_rules! on_both_databases {
    ($($check:ident => $sqlite:ident, $postgres:ident;)*) => {$(
        #[tokio::test]
        async fn $sqlite() {
            let test_store = TestStore::sqlite().await;
            $check(test_store.store.clone()).await;
            test_store.finish().await;
        }

        #[tokio::test]
        async fn $postgres() {
            let test_store = TestStore::postgres().await;
            $check(test_store.store.clone()).await;
            test_store.finish().await;
        }
    )*};
}

on_both_databases! {
    check_a_lease_has_one_holder_at_a_time => a_lease_has_one_holder_at_a_time_on_sqlite, a_lease_has_one_holder_at_a_time_on_postgres;
    check_the_journal_is_fenced_by_the_epoch => the_journal_is_fenced_by_the_epoch_on_sqlite, the_journal_is_fenced_by_the_epoch_on_postgres;
    check_a_handover_is_told_from_an_outage => a_handover_is_told_from_an_outage_on_sqlite, a_handover_is_told_from_an_outage_on_postgres;
    check_nodes_are_listed => nodes_are_listed_on_sqlite, nodes_are_listed_on_postgres;
}
