//! Anti-sniping extensions (延时) and the free/timed phase.

use super::*;
use crate::auction::Phase;

fn bid_event_fields(sequenced: &Sequenced) -> (i64, Phase, bool, u32) {
    match sequenced.event {
        RoomEvent::Bid {
            deadline_ms,
            phase,
            extended,
            extensions,
            ..
        } => (deadline_ms, phase, extended, extensions),
        ref other => panic!("expected a bid event, got {other:?}"),
    }
}

#[test]
fn a_bid_before_the_last_window_does_not_move_the_deadline() {
    let mut room = open_room();
    let accepted = bid(&mut room, ALICE, "1000.00", ENDS_MS - 2 * WINDOW_MS).unwrap();
    assert_eq!(
        bid_event_fields(&accepted),
        (ENDS_MS, Phase::Free, false, 0)
    );
    assert_eq!(room.deadline_ms(), ENDS_MS);
}

#[test]
fn a_bid_exactly_w_before_the_deadline_does_not_move_it() {
    let mut room = open_room();
    let accepted = bid(&mut room, ALICE, "1000.00", ENDS_MS - WINDOW_MS).unwrap();
    assert_eq!(
        bid_event_fields(&accepted),
        (ENDS_MS, Phase::Timed, false, 0)
    );
}

#[test]
fn a_bid_in_the_last_window_moves_the_deadline_in_reset_mode() {
    let mut room = open_room();
    let now_ms = ENDS_MS - 5_000;
    let accepted = bid(&mut room, ALICE, "1000.00", now_ms).unwrap();
    assert_eq!(
        bid_event_fields(&accepted),
        (now_ms + WINDOW_MS, Phase::Timed, true, 1)
    );
    assert_eq!(room.deadline_ms(), now_ms + WINDOW_MS);
    assert_eq!(room.extensions(), 1);
}

#[test]
fn add_mode_adds_the_window_to_the_deadline() {
    let mut room = open_room_with(LotRules {
        extension_mode: ExtensionMode::Add,
        ..rules()
    });
    let accepted = bid(&mut room, ALICE, "1000.00", ENDS_MS - 5_000).unwrap();
    // 55 s + 60 s are left: more than W, so the room is back in free bidding.
    assert_eq!(
        bid_event_fields(&accepted),
        (ENDS_MS + WINDOW_MS, Phase::Free, true, 1)
    );
}

#[test]
fn every_bid_in_the_last_window_extends_again() {
    let mut room = open_room();
    bid(&mut room, ALICE, "1000.00", ENDS_MS - 5_000).unwrap();
    let now_ms = ENDS_MS + 30_000;
    let accepted = bid(&mut room, BOB, "1010.00", now_ms).unwrap();
    assert_eq!(
        bid_event_fields(&accepted),
        (now_ms + WINDOW_MS, Phase::Timed, true, 2)
    );
}

#[test]
fn extensions_stop_at_max_extensions() {
    let mut room = open_room_with(LotRules {
        max_extensions: Some(2),
        ..rules()
    });
    let first = bid(&mut room, ALICE, "1000.00", ENDS_MS - 1_000).unwrap();
    let second = bid(&mut room, BOB, "1010.00", bid_deadline_ms(&first) - 1_000).unwrap();
    let late_ms = bid_deadline_ms(&second) - 1_000;
    let third = bid(&mut room, ALICE, "1020.00", late_ms).unwrap();
    assert_eq!(
        bid_event_fields(&third),
        (bid_deadline_ms(&second), Phase::Timed, false, 2)
    );
    assert_eq!(room.extensions(), 2);
}

#[test]
fn zero_max_extensions_never_extends() {
    let mut room = open_room_with(LotRules {
        max_extensions: Some(0),
        ..rules()
    });
    let accepted = bid(&mut room, ALICE, "1000.00", ENDS_MS - 1).unwrap();
    assert_eq!(
        bid_event_fields(&accepted),
        (ENDS_MS, Phase::Timed, false, 0)
    );
    assert!(room.close_if_due(ENDS_MS).is_some());
}

#[test]
fn a_refused_bid_in_the_last_window_does_not_extend() {
    let mut room = open_room();
    assert!(bid(&mut room, ALICE, "999.00", ENDS_MS - 1_000).is_err());
    assert_eq!(room.deadline_ms(), ENDS_MS);
    assert_eq!(room.extensions(), 0);
}

#[test]
fn the_phase_is_free_while_more_than_w_remains_and_timed_after() {
    let room = open_room();
    assert_eq!(room.phase(START_MS), Phase::Free);
    assert_eq!(room.phase(ENDS_MS - WINDOW_MS - 1), Phase::Free);
    assert_eq!(room.phase(ENDS_MS - WINDOW_MS), Phase::Timed);
    assert_eq!(room.phase(ENDS_MS), Phase::Timed);
}
