//! Restoring a room from the journal and recovering its deadline after a restart.

use super::*;
use crate::auction::{RoomRestore, StateReason};

fn restored(state: LotState, deadline_ms: i64, paused_remaining_ms: Option<i64>) -> Room {
    let mut room = Room::restore(
        rules(),
        RoomRestore {
            state,
            price: Some(money("1040.00")),
            leader: Some(ALICE),
            extensions: 3,
            deadline_ms,
            paused_remaining_ms,
            seq: 41,
        },
    );
    for account in [ALICE, BOB] {
        room.upsert_bidder(bidder(account, None));
    }
    room
}

fn recovered_event(deadline_ms: i64) -> RoomEvent {
    RoomEvent::State {
        state: LotState::Open,
        deadline_ms,
        remaining_ms: None,
        reason: Some(StateReason::Recovery),
    }
}

#[test]
fn a_restored_room_carries_on_where_the_journal_left_it() {
    let mut room = restored(LotState::Open, ENDS_MS, None);
    assert_eq!(
        (room.price(), room.leader(), room.extensions(), room.seq()),
        (Some(money("1040.00")), Some(ALICE), 3, 41)
    );
    assert_eq!(room.min_next(), money("1050.00"));
    assert_eq!(
        bid(&mut room, ALICE, "1050.00", START_MS),
        Err(Rejection::AlreadyLeading)
    );
    assert_eq!(bid(&mut room, BOB, "1050.00", START_MS).unwrap().seq, 42);
}

#[test]
fn recovery_gives_a_room_past_its_deadline_w_from_now() {
    let mut room = restored(LotState::Open, ENDS_MS, None);
    let now_ms = ENDS_MS + 3_600_000;
    let recovered = room.recover(now_ms).unwrap();
    assert_eq!(
        recovered,
        Sequenced {
            seq: 42,
            at_ms: now_ms,
            event: recovered_event(now_ms + WINDOW_MS),
        }
    );
    assert_eq!(room.deadline_ms(), now_ms + WINDOW_MS);
    assert_eq!(room.close_if_due(now_ms), None);
}

#[test]
fn recovery_gives_a_room_closer_than_w_w_from_now() {
    let mut room = restored(LotState::Open, ENDS_MS, None);
    let now_ms = ENDS_MS - 1_000;
    assert_eq!(
        room.recover(now_ms).unwrap().event,
        recovered_event(now_ms + WINDOW_MS)
    );
}

#[test]
fn recovery_leaves_a_room_with_at_least_w_left_alone() {
    let mut room = restored(LotState::Open, ENDS_MS, None);
    assert_eq!(room.recover(ENDS_MS - WINDOW_MS), None);
    assert_eq!(room.deadline_ms(), ENDS_MS);
    assert_eq!(room.seq(), 41);
}

#[test]
fn recovery_does_not_count_as_an_extension() {
    let mut room = restored(LotState::Open, ENDS_MS, None);
    room.recover(ENDS_MS + 1).unwrap();
    assert_eq!(room.extensions(), 3);
}

#[test]
fn recovery_leaves_a_paused_room_alone_and_resume_gives_back_its_time() {
    let mut room = restored(LotState::Paused, ENDS_MS, Some(5_000));
    let now_ms = ENDS_MS + 3_600_000;
    assert_eq!(room.recover(now_ms), None);
    let resumed = room.resume(None, now_ms).unwrap();
    assert_eq!(resumed.seq, 42);
    assert_eq!(room.deadline_ms(), now_ms + 5_000);
}

#[test]
fn recovery_leaves_a_published_room_to_open() {
    let mut room = Room::new(rules());
    assert_eq!(room.recover(ENDS_MS + 1), None);
    assert_eq!(room.state(), LotState::Published);
}
