//! Priority right holders (优先购买权人) matching the price (跟价).

use super::*;

const EARLY_MS: i64 = START_MS + 1_000;

/// Accounts holding priority rights; rank 1 is the highest.
const FIRST_RIGHT: AccountId = 11;
const SECOND_RIGHT: AccountId = 12;
const ANOTHER_SECOND_RIGHT: AccountId = 13;

fn room_with_rights() -> Room {
    let mut room = open_room();
    room.upsert_bidder(bidder(FIRST_RIGHT, Some(1)));
    room.upsert_bidder(bidder(SECOND_RIGHT, Some(2)));
    room.upsert_bidder(bidder(ANOTHER_SECOND_RIGHT, Some(2)));
    room
}

#[test]
fn a_priority_holder_may_match_the_price() {
    let mut room = room_with_rights();
    bid(&mut room, ALICE, "1050.00", EARLY_MS).unwrap();
    let accepted = bid(&mut room, SECOND_RIGHT, "1050.00", EARLY_MS).unwrap();
    assert!(matches!(
        accepted.event,
        RoomEvent::Bid { bidder: SECOND_RIGHT, amount, .. } if amount == money("1050.00")
    ));
    assert_eq!(room.price(), Some(money("1050.00")));
    assert_eq!(room.leader(), Some(SECOND_RIGHT));
    assert_eq!(room.min_next(), money("1060.00"));
}

#[test]
fn the_ordinary_bidder_outmatched_must_raise_by_an_increment() {
    let mut room = room_with_rights();
    bid(&mut room, ALICE, "1050.00", EARLY_MS).unwrap();
    bid(&mut room, SECOND_RIGHT, "1050.00", EARLY_MS).unwrap();
    assert_eq!(
        bid(&mut room, ALICE, "1050.00", EARLY_MS),
        too_low("1060.00")
    );
    assert!(bid(&mut room, ALICE, "1060.00", EARLY_MS).is_ok());
}

#[test]
fn a_higher_right_takes_the_lead_from_a_lower_right() {
    let mut room = room_with_rights();
    bid(&mut room, ALICE, "1050.00", EARLY_MS).unwrap();
    bid(&mut room, SECOND_RIGHT, "1050.00", EARLY_MS).unwrap();
    assert!(bid(&mut room, FIRST_RIGHT, "1050.00", EARLY_MS).is_ok());
    assert_eq!(room.leader(), Some(FIRST_RIGHT));
}

#[test]
fn a_lower_right_cannot_match_a_higher_right() {
    let mut room = room_with_rights();
    bid(&mut room, FIRST_RIGHT, "1050.00", EARLY_MS).unwrap();
    assert_eq!(
        bid(&mut room, SECOND_RIGHT, "1050.00", EARLY_MS),
        too_low("1060.00")
    );
}

#[test]
fn equal_rank_holders_cannot_take_the_lead_by_matching() {
    let mut room = room_with_rights();
    bid(&mut room, SECOND_RIGHT, "1050.00", EARLY_MS).unwrap();
    assert_eq!(
        bid(&mut room, ANOTHER_SECOND_RIGHT, "1050.00", EARLY_MS),
        too_low("1060.00")
    );
    assert_eq!(room.leader(), Some(SECOND_RIGHT));
}

#[test]
fn a_priority_holder_who_leads_cannot_match_its_own_bid() {
    let mut room = room_with_rights();
    bid(&mut room, FIRST_RIGHT, "1050.00", EARLY_MS).unwrap();
    assert_eq!(
        bid(&mut room, FIRST_RIGHT, "1050.00", EARLY_MS),
        too_low("1060.00")
    );
}

#[test]
fn a_priority_holder_cannot_match_before_the_first_bid() {
    let mut room = room_with_rights();
    assert_eq!(
        bid(&mut room, FIRST_RIGHT, "990.00", EARLY_MS),
        too_low("1000.00")
    );
}

#[test]
fn a_priority_holder_may_also_raise_like_anyone() {
    let mut room = room_with_rights();
    bid(&mut room, FIRST_RIGHT, "1050.00", EARLY_MS).unwrap();
    assert!(bid(&mut room, SECOND_RIGHT, "1060.00", EARLY_MS).is_ok());
    assert_eq!(
        bid(&mut room, SECOND_RIGHT, "1070.00", EARLY_MS),
        Err(Rejection::AlreadyLeading)
    );
}

#[test]
fn a_match_must_be_the_price_exactly() {
    let mut room = room_with_rights();
    bid(&mut room, ALICE, "1050.00", EARLY_MS).unwrap();
    assert_eq!(
        bid(&mut room, FIRST_RIGHT, "1055.00", EARLY_MS),
        too_low("1060.00")
    );
    assert_eq!(
        bid(&mut room, FIRST_RIGHT, "1040.00", EARLY_MS),
        too_low("1060.00")
    );
}

#[test]
fn a_match_in_the_last_window_extends_the_room() {
    let mut room = room_with_rights();
    bid(&mut room, ALICE, "1050.00", ENDS_MS - 2 * WINDOW_MS).unwrap();
    let now_ms = ENDS_MS - 1_000;
    let accepted = bid(&mut room, FIRST_RIGHT, "1050.00", now_ms).unwrap();
    assert_eq!(bid_deadline_ms(&accepted), now_ms + WINDOW_MS);
    assert_eq!(room.extensions(), 1);
}

#[test]
fn a_changed_rank_counts_from_the_moment_it_is_upserted() {
    let mut room = room_with_rights();
    bid(&mut room, SECOND_RIGHT, "1050.00", EARLY_MS).unwrap();
    // The leader's right is withdrawn: any right holder may now match it.
    room.upsert_bidder(bidder(SECOND_RIGHT, None));
    assert!(bid(&mut room, ANOTHER_SECOND_RIGHT, "1050.00", EARLY_MS).is_ok());
}

#[test]
fn the_leader_of_a_restored_room_is_ranked_once_its_entry_is_upserted() {
    let mut room = Room::restore(
        rules(),
        crate::auction::RoomRestore {
            state: LotState::Open,
            price: Some(money("1050.00")),
            leader: Some(FIRST_RIGHT),
            extensions: 0,
            deadline_ms: ENDS_MS,
            paused_remaining_ms: None,
            seq: 7,
        },
    );
    room.upsert_bidder(bidder(SECOND_RIGHT, Some(2)));
    room.upsert_bidder(bidder(FIRST_RIGHT, Some(1)));
    assert_eq!(
        bid(&mut room, SECOND_RIGHT, "1050.00", EARLY_MS),
        too_low("1060.00")
    );
}
