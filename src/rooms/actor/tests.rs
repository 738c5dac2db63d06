//! The room task's loop, driven through its inbox under a paused clock, on the room
//! simulation's in-memory store (whose time does not move while a query runs).

use std::time::Duration;

use rust_decimal::Decimal;
use tokio::task::JoinHandle;
use tokio::time::timeout;

use super::super::simulation::store::SimStore;
use super::fixtures::{ADMIN, ALICE, AUCTIONEER, LOT, STARTS_AT_MS, bidders, member, money, rules};
use super::*;
use crate::domain::DepositTerms;
use crate::realtime::protocol::Encoding;

/// The lot of the fixtures, published and opening in an hour: the room applies nothing
/// (and so journals nothing) while these tests run.
fn published_lot() -> Lot {
    let rules = rules();
    Lot {
        id: LOT,
        auctioneer_id: AUCTIONEER,
        title: "Lot 7".to_owned(),
        description: String::new(),
        currency: "CNY".to_owned(),
        start_price: rules.start_price,
        increment: rules.increment,
        reserve_price: rules.reserve_price,
        deposit: DepositTerms::Fixed(money("10.00")),
        fee_rate: Decimal::ZERO,
        applications_close_at_ms: STARTS_AT_MS - 7_200_000,
        deposit_deadline_ms: STARTS_AT_MS - 7_200_000,
        starts_at_ms: rules.starts_at_ms,
        ends_at_ms: rules.ends_at_ms,
        extension_window_secs: (rules.extension_window_ms / 1000) as u32,
        max_extensions: rules.max_extensions,
        extension_mode: rules.extension_mode,
        settlement_due_at_ms: None,
        state: LotState::Published,
        result: None,
        created_at_ms: STARTS_AT_MS - 86_400_000,
    }
}

/// Runs the lot's room an hour before it opens, under a lease good for a day.
fn start_room() -> (mpsc::Sender<RoomCommand>, JoinHandle<RoomExit>) {
    let lot = published_lot();
    let start = RoomStart {
        engine: Room::new(lot.rules()),
        lot,
        roster: bidders()
            .into_iter()
            .map(|bidder| RosterEntry {
                username: format!("bidder{}", bidder.account),
                display_name: format!("Bidder {}", bidder.account),
                bidder,
            })
            .collect(),
        history: Vec::new(),
        bid_count: 0,
        accepted_requests: Vec::new(),
    };
    let store = Arc::new(SimStore::new(1));
    let (journal, _writer) = Journal::start(store.clone());
    let lease = RoomLease::new(1, STARTS_AT_MS + 86_400_000);
    let clock = Clock::starting_at(STARTS_AT_MS - 3_600_000);
    let (mut task, committed, _view) = RoomTask::new(start, clock, store, journal, lease);
    let (inbox, commands) = mpsc::channel(16);
    let running = tokio::spawn(async move { task.run(commands, committed).await });
    (inbox, running)
}

async fn join(inbox: &mpsc::Sender<RoomCommand>, member: Member) -> Joined {
    let (reply, joined) = oneshot::channel();
    let join = RoomCommand::Join {
        member,
        since_seq: None,
        req: None,
        encoding: Encoding::Json,
        reply,
    };
    inbox.send(join).await.expect("the room runs");
    joined.await.expect("the room answers a join")
}

/// The next frame on a member's subscription, if it comes within `within`.
async fn next_frame(joined: &mut Joined, within: Duration) -> Option<Arc<RoomFrame>> {
    timeout(within, joined.events.recv())
        .await
        .ok()
        .map(|frame| frame.expect("the room's events"))
}

/// (members, bidders) of a presence frame.
fn presence(frame: Option<Arc<RoomFrame>>) -> Option<(usize, usize)> {
    match frame?.body() {
        EventBody::Presence {
            members, bidders, ..
        } => Some((*members, *bidders)),
        _ => None,
    }
}

#[tokio::test(start_paused = true)]
async fn a_monitor_hears_presence_every_interval_while_one_is_connected() {
    let (inbox, running) = start_room();
    let _alice = join(&inbox, member(1, ALICE, Role::Bidder)).await;
    let mut auctioneer = join(&inbox, member(2, AUCTIONEER, Role::Auctioneer)).await;
    assert_eq!(auctioneer.view, View::Monitor);
    let at_once = Duration::from_millis(1);
    let just_short = PRESENCE_INTERVAL - at_once;
    assert_eq!(
        presence(next_frame(&mut auctioneer, at_once).await),
        Some((2, 1)),
        "due at once"
    );
    assert!(next_frame(&mut auctioneer, just_short).await.is_none());
    // Waiting out a whole interval more, not just the last millisecond: a timeout due at
    // the very instant of the tick may be polled before the room.
    assert_eq!(
        presence(next_frame(&mut auctioneer, PRESENCE_INTERVAL).await),
        Some((2, 1)),
        "one interval on"
    );

    inbox
        .send(RoomCommand::Leave { connection: 2 })
        .await
        .expect("the room runs");
    // Once this join is answered, the leave has been handled.
    let mut alice_again = join(&inbox, member(3, ALICE, Role::Bidder)).await;
    assert!(
        next_frame(&mut auctioneer, 10 * PRESENCE_INTERVAL)
            .await
            .is_none(),
        "no monitor, no presence"
    );

    let _admin = join(&inbox, member(4, ADMIN, Role::Admin)).await;
    assert_eq!(
        presence(next_frame(&mut alice_again, at_once).await),
        Some((3, 1)),
        "a monitor that joins hears presence at once"
    );

    drop(inbox);
    assert_eq!(running.await.expect("the room's task"), RoomExit::Stopped);
}
