//! SPEC §2's bid rules 1 to 5 and the order in which they are checked.

use super::*;
use crate::auction::{IneligibleReason, Phase};
use crate::money::AmountError;

const EARLY_MS: i64 = START_MS + 1_000;

#[test]
fn the_first_bid_may_be_the_start_price() {
    let mut room = open_room();
    let accepted = bid(&mut room, ALICE, "1000.00", EARLY_MS).unwrap();
    assert_eq!(
        accepted,
        Sequenced {
            seq: 2,
            at_ms: EARLY_MS,
            event: RoomEvent::Bid {
                bidder: ALICE,
                bidder_number: bidder_number(ALICE),
                amount: money("1000.00"),
                deadline_ms: ENDS_MS,
                phase: Phase::Free,
                extended: false,
                extensions: 0,
            },
        }
    );
    assert_eq!(room.price(), Some(money("1000.00")));
    assert_eq!(room.leader(), Some(ALICE));
}

#[test]
fn the_first_bid_may_be_whole_increments_above_the_start_price() {
    let mut room = open_room();
    assert!(bid(&mut room, ALICE, "1030", EARLY_MS).is_ok());
    assert_eq!(room.price(), Some(money("1030.00")));
}

#[test]
fn a_first_bid_below_the_start_price_is_too_low() {
    let mut room = open_room();
    assert_eq!(
        bid(&mut room, ALICE, "990.00", EARLY_MS),
        too_low("1000.00")
    );
    assert_eq!(
        bid(&mut room, ALICE, "999.99", EARLY_MS),
        too_low("1000.00")
    );
}

#[test]
fn a_first_bid_off_the_increments_is_a_bad_increment_naming_the_start_price() {
    let mut room = open_room();
    assert_eq!(
        bid(&mut room, ALICE, "1005.00", EARLY_MS),
        bad_increment("1000.00")
    );
}

#[test]
fn min_next_is_the_start_price_then_the_price_plus_an_increment() {
    let mut room = open_room();
    assert_eq!(room.min_next(), money("1000.00"));
    bid(&mut room, ALICE, "1020.00", EARLY_MS).unwrap();
    assert_eq!(room.min_next(), money("1030.00"));
}

#[test]
fn a_later_bid_may_raise_by_several_increments() {
    let mut room = open_room();
    bid(&mut room, ALICE, "1000.00", EARLY_MS).unwrap();
    bid(&mut room, BOB, "1050.00", EARLY_MS).unwrap();
    assert_eq!(room.price(), Some(money("1050.00")));
    assert_eq!(room.leader(), Some(BOB));
}

#[test]
fn a_later_bid_below_the_next_rung_is_too_low() {
    let mut room = open_room();
    bid(&mut room, ALICE, "1000.00", EARLY_MS).unwrap();
    assert_eq!(bid(&mut room, BOB, "1009.99", EARLY_MS), too_low("1010.00"));
    assert_eq!(bid(&mut room, BOB, "990.00", EARLY_MS), too_low("1010.00"));
}

#[test]
fn an_ordinary_bid_equal_to_the_price_is_too_low() {
    let mut room = open_room();
    bid(&mut room, ALICE, "1000.00", EARLY_MS).unwrap();
    assert_eq!(bid(&mut room, BOB, "1000.00", EARLY_MS), too_low("1010.00"));
}

#[test]
fn an_off_step_raise_above_the_next_rung_is_a_bad_increment_naming_the_next_rung() {
    let mut room = open_room();
    bid(&mut room, ALICE, "1000.00", EARLY_MS).unwrap();
    assert_eq!(
        bid(&mut room, BOB, "1015.00", EARLY_MS),
        bad_increment("1010.00")
    );
    assert_eq!(
        bid(&mut room, BOB, "1010.01", EARLY_MS),
        bad_increment("1010.00")
    );
}

#[test]
fn the_ladder_climbs_from_the_price_not_the_start_price() {
    let rules = LotRules {
        increment: money("3.00"),
        ..rules()
    };
    let mut room = open_room_with(rules);
    bid(&mut room, ALICE, "1003.00", EARLY_MS).unwrap();
    assert!(bid(&mut room, BOB, "1009.00", EARLY_MS).is_ok());
}

#[test]
fn the_leader_cannot_raise_its_own_bid() {
    let mut room = open_room();
    bid(&mut room, ALICE, "1000.00", EARLY_MS).unwrap();
    assert_eq!(
        bid(&mut room, ALICE, "1010.00", EARLY_MS),
        Err(Rejection::AlreadyLeading)
    );
}

#[test]
fn a_leader_bidding_too_low_gets_too_low_before_already_leading() {
    let mut room = open_room();
    bid(&mut room, ALICE, "1000.00", EARLY_MS).unwrap();
    assert_eq!(
        bid(&mut room, ALICE, "1000.00", EARLY_MS),
        too_low("1010.00")
    );
}

#[test]
fn a_leader_bidding_off_step_gets_bad_increment_before_already_leading() {
    let mut room = open_room();
    bid(&mut room, ALICE, "1000.00", EARLY_MS).unwrap();
    assert_eq!(
        bid(&mut room, ALICE, "1015.00", EARLY_MS),
        bad_increment("1010.00")
    );
}

#[test]
fn an_invalid_amount_is_refused() {
    let mut room = open_room();
    for error in [
        AmountError::NotADecimal,
        AmountError::TooManyDecimals,
        AmountError::NotPositive,
        AmountError::TooLarge,
    ] {
        assert_eq!(
            room.place_bid(ALICE, true, Err(error), EARLY_MS),
            Err(Rejection::InvalidAmount)
        );
    }
}

#[test]
fn an_unregistered_unverified_account_is_not_verified() {
    let mut room = open_room();
    assert_eq!(
        room.place_bid(99, false, Ok(money("1000.00")), EARLY_MS),
        Err(Rejection::NotEligible(IneligibleReason::NotVerified))
    );
}

#[test]
fn an_unregistered_verified_account_is_not_registered() {
    let mut room = open_room();
    assert_eq!(
        room.place_bid(99, true, Ok(money("1000.00")), EARLY_MS),
        Err(Rejection::NotEligible(IneligibleReason::NotRegistered))
    );
}

#[test]
fn an_ineligible_bidder_is_refused_with_its_reason() {
    for reason in [
        IneligibleReason::NotVerified,
        IneligibleReason::NotRegistered,
        IneligibleReason::NotApproved,
        IneligibleReason::DepositNotLodged,
        IneligibleReason::Disqualified,
    ] {
        let mut room = open_room();
        room.upsert_bidder(Bidder {
            eligibility: Eligibility::Ineligible(reason),
            ..bidder(ALICE, None)
        });
        assert_eq!(
            bid(&mut room, ALICE, "1000.00", EARLY_MS),
            Err(Rejection::NotEligible(reason))
        );
    }
}

#[test]
fn a_registered_bidder_is_judged_by_its_entry_not_by_verified() {
    let mut room = open_room();
    assert!(
        room.place_bid(ALICE, false, Ok(money("1000.00")), EARLY_MS)
            .is_ok()
    );
}

#[test]
fn a_bidder_who_becomes_eligible_may_bid() {
    let mut room = open_room();
    room.upsert_bidder(Bidder {
        eligibility: Eligibility::Ineligible(IneligibleReason::DepositNotLodged),
        ..bidder(ALICE, None)
    });
    assert!(bid(&mut room, ALICE, "1000.00", EARLY_MS).is_err());
    room.upsert_bidder(bidder(ALICE, None));
    assert!(bid(&mut room, ALICE, "1000.00", EARLY_MS).is_ok());
}

#[test]
fn an_ineligible_bidder_with_a_bad_amount_gets_not_eligible() {
    let mut room = open_room();
    room.upsert_bidder(Bidder {
        eligibility: Eligibility::Ineligible(IneligibleReason::Disqualified),
        ..bidder(ALICE, None)
    });
    assert_eq!(
        room.place_bid(ALICE, true, Err(AmountError::NotADecimal), EARLY_MS),
        Err(Rejection::NotEligible(IneligibleReason::Disqualified))
    );
    assert_eq!(
        bid(&mut room, ALICE, "1.00", EARLY_MS),
        Err(Rejection::NotEligible(IneligibleReason::Disqualified))
    );
}

#[test]
fn an_ineligible_bidder_in_a_paused_room_gets_not_open() {
    let mut room = open_room();
    room.pause(None, EARLY_MS).unwrap();
    assert_eq!(
        room.place_bid(99, false, Err(AmountError::NotADecimal), EARLY_MS),
        Err(Rejection::NotOpen)
    );
}

#[test]
fn an_invalid_amount_is_checked_before_the_ladder_and_the_lead() {
    let mut room = open_room();
    bid(&mut room, ALICE, "1000.00", EARLY_MS).unwrap();
    assert_eq!(
        room.place_bid(ALICE, true, Err(AmountError::TooManyDecimals), EARLY_MS),
        Err(Rejection::InvalidAmount)
    );
}

#[test]
fn a_bid_before_the_room_opens_is_not_open() {
    let mut room = Room::new(rules());
    room.upsert_bidder(bidder(ALICE, None));
    assert_eq!(
        bid(&mut room, ALICE, "1000.00", START_MS),
        Err(Rejection::NotOpen)
    );
}

#[test]
fn a_bid_while_paused_is_not_open() {
    let mut room = open_room();
    room.pause(None, EARLY_MS).unwrap();
    assert_eq!(
        bid(&mut room, ALICE, "1000.00", EARLY_MS),
        Err(Rejection::NotOpen)
    );
}

#[test]
fn a_bid_at_the_deadline_is_not_open() {
    let mut room = open_room();
    // The timer has not closed the room yet; the bid is late all the same.
    assert_eq!(room.state(), LotState::Open);
    assert_eq!(
        bid(&mut room, ALICE, "1000.00", ENDS_MS),
        Err(Rejection::NotOpen)
    );
    assert!(bid(&mut room, ALICE, "1000.00", ENDS_MS - 1).is_ok());
}

#[test]
fn a_bid_after_the_close_is_not_open() {
    let mut room = open_room();
    room.close_if_due(ENDS_MS).unwrap();
    assert_eq!(
        bid(&mut room, ALICE, "1000.00", ENDS_MS + 1),
        Err(Rejection::NotOpen)
    );
}

#[test]
fn a_bid_after_a_cancel_is_not_open() {
    let mut room = open_room();
    room.cancel(None, EARLY_MS).unwrap();
    assert_eq!(
        bid(&mut room, ALICE, "1000.00", EARLY_MS),
        Err(Rejection::NotOpen)
    );
}

#[test]
fn rejected_bids_change_nothing() {
    let mut room = open_room();
    bid(&mut room, ALICE, "1000.00", ENDS_MS - 1_000).unwrap();
    let before = observe(&room);
    let refusals = [
        bid(&mut room, BOB, "1000.00", ENDS_MS + 30_000),
        bid(&mut room, 99, "1100.00", ENDS_MS + 30_000),
        bid(&mut room, BOB, "1005.00", ENDS_MS + 30_000),
        bid(&mut room, BOB, "1015.00", ENDS_MS + 30_000),
        bid(&mut room, ALICE, "1100.00", ENDS_MS + 30_000),
        room.place_bid(BOB, true, Err(AmountError::NotPositive), ENDS_MS + 30_000),
    ];
    for refusal in refusals {
        assert!(refusal.is_err(), "{refusal:?}");
    }
    assert_eq!(observe(&room), before);
}

#[test]
fn a_suspended_bidder_is_refused_until_the_suspension_ends() {
    let mut room = open_room();
    room.upsert_bidder(Bidder {
        suspended_until_ms: Some(EARLY_MS + 1_000),
        ..bidder(ALICE, None)
    });
    assert_eq!(
        bid(&mut room, ALICE, "1000.00", EARLY_MS),
        Err(Rejection::NotEligible(IneligibleReason::Suspended))
    );
    assert!(bid(&mut room, ALICE, "1000.00", EARLY_MS + 1_000).is_ok());
}
