//! Opening, pausing, resuming, cancelling, announcing, closing, and the numbering of events.

use super::*;
use crate::auction::{ClosedEvent, LotResult, Phase, StateReason};

const EARLY_MS: i64 = START_MS + 1_000;

fn reason(text: &str) -> Option<Arc<str>> {
    Some(text.into())
}

fn auctioneer(text: &str) -> Option<StateReason> {
    Some(StateReason::Auctioneer(text.into()))
}

#[test]
fn a_new_room_is_published_with_the_initial_deadline() {
    let room = Room::new(rules());
    assert_eq!(room.state(), LotState::Published);
    assert_eq!(room.deadline_ms(), ENDS_MS);
    assert_eq!((room.seq(), room.price(), room.leader()), (0, None, None));
    assert_eq!(room.min_next(), money("1000.00"));
}

#[test]
fn opening_starts_the_room_with_the_initial_deadline() {
    let mut room = Room::new(rules());
    assert_eq!(
        room.open(START_MS),
        Ok(Sequenced {
            seq: 1,
            at_ms: START_MS,
            event: RoomEvent::State {
                state: LotState::Open,
                deadline_ms: ENDS_MS,
                remaining_ms: None,
                reason: None,
            },
        })
    );
    assert_eq!(room.state(), LotState::Open);
}

#[test]
fn opening_after_the_whole_window_passed_gives_w_from_now_with_reason_recovery() {
    let mut room = Room::new(rules());
    let now_ms = ENDS_MS + 5_000;
    let opened = room.open(now_ms).unwrap();
    assert_eq!(
        opened.event,
        RoomEvent::State {
            state: LotState::Open,
            deadline_ms: now_ms + WINDOW_MS,
            remaining_ms: None,
            reason: Some(StateReason::Recovery),
        }
    );
    assert_eq!(room.extensions(), 0);
}

#[test]
fn opening_an_open_room_again_is_not_open() {
    let mut room = open_room();
    assert_eq!(room.open(EARLY_MS), Err(Rejection::NotOpen));
}

#[test]
fn pause_and_resume_preserve_the_remaining_time() {
    let mut room = open_room();
    let remaining_ms = ENDS_MS - EARLY_MS;
    let paused = room.pause(reason("a question from the floor"), EARLY_MS);
    assert_eq!(
        paused.unwrap().event,
        RoomEvent::State {
            state: LotState::Paused,
            deadline_ms: ENDS_MS,
            remaining_ms: Some(remaining_ms),
            reason: auctioneer("a question from the floor"),
        }
    );
    assert_eq!(room.paused_remaining_ms(), Some(remaining_ms));

    let resumed_at_ms = EARLY_MS + 3_600_000;
    let resumed = room.resume(reason("answered"), resumed_at_ms).unwrap();
    assert_eq!(
        resumed.event,
        RoomEvent::State {
            state: LotState::Open,
            deadline_ms: resumed_at_ms + remaining_ms,
            remaining_ms: None,
            reason: auctioneer("answered"),
        }
    );
    assert_eq!(room.deadline_ms(), resumed_at_ms + remaining_ms);
    assert_eq!(room.paused_remaining_ms(), None);
}

#[test]
fn a_paused_room_reports_the_phase_of_its_remaining_time() {
    let mut room = open_room();
    room.pause(None, ENDS_MS - 1_000).unwrap();
    assert_eq!(room.phase(ENDS_MS + 10 * WINDOW_MS), Phase::Timed);

    let mut room = open_room();
    room.pause(None, EARLY_MS).unwrap();
    assert_eq!(room.phase(ENDS_MS + 10 * WINDOW_MS), Phase::Free);
}

#[test]
fn a_paused_room_does_not_close() {
    let mut room = open_room();
    room.pause(None, EARLY_MS).unwrap();
    assert_eq!(room.close_if_due(ENDS_MS + 1), None);
    assert_eq!(room.state(), LotState::Paused);
}

#[test]
fn pausing_at_the_deadline_is_not_open() {
    let mut room = open_room();
    assert_eq!(room.pause(None, ENDS_MS), Err(Rejection::NotOpen));
    assert_eq!(room.state(), LotState::Open);
}

#[test]
fn pausing_is_only_for_an_open_room() {
    let mut room = Room::new(rules());
    assert_eq!(room.pause(None, START_MS), Err(Rejection::NotOpen));
    let mut room = open_room();
    room.pause(None, EARLY_MS).unwrap();
    assert_eq!(room.pause(None, EARLY_MS), Err(Rejection::NotOpen));
}

#[test]
fn resuming_is_only_for_a_paused_room() {
    let mut room = open_room();
    assert_eq!(room.resume(None, EARLY_MS), Err(Rejection::NotOpen));
    room.cancel(None, EARLY_MS).unwrap();
    assert_eq!(room.resume(None, EARLY_MS), Err(Rejection::NotOpen));
}

#[test]
fn a_published_open_or_paused_room_may_be_cancelled() {
    let mut published = Room::new(rules());
    let mut open = open_room();
    let mut paused = open_room();
    paused.pause(None, EARLY_MS).unwrap();
    for room in [&mut published, &mut open, &mut paused] {
        let cancelled = room.cancel(reason("withdrawn by the owner"), EARLY_MS);
        assert_eq!(
            cancelled.unwrap().event,
            RoomEvent::State {
                state: LotState::Cancelled,
                deadline_ms: ENDS_MS,
                remaining_ms: None,
                reason: auctioneer("withdrawn by the owner"),
            }
        );
        assert_eq!(room.state(), LotState::Cancelled);
        assert_eq!(room.paused_remaining_ms(), None);
    }
}

#[test]
fn a_closed_or_cancelled_room_cannot_be_cancelled() {
    let mut room = open_room();
    room.close_if_due(ENDS_MS).unwrap();
    assert_eq!(room.cancel(None, ENDS_MS), Err(Rejection::NotOpen));
    let mut room = open_room();
    room.cancel(None, EARLY_MS).unwrap();
    assert_eq!(room.cancel(None, EARLY_MS), Err(Rejection::NotOpen));
}

#[test]
fn an_open_room_past_its_deadline_cannot_be_cancelled_before_the_timer_closes_it() {
    let mut room = open_room();
    bid(&mut room, ALICE, "1000.00", EARLY_MS).unwrap();
    assert_eq!(room.cancel(None, ENDS_MS), Err(Rejection::NotOpen));
    let closed = room.close_if_due(ENDS_MS).unwrap();
    assert!(matches!(
        closed.event,
        RoomEvent::Closed(ClosedEvent {
            result: LotResult::Sold,
            ..
        })
    ));
}

#[test]
fn announcements_are_allowed_until_the_lot_ends() {
    let mut room = Room::new(rules());
    let text: Arc<str> = "viewing at 10:00".into();
    let announced = room.announce(text.clone(), START_MS - 1).unwrap();
    assert_eq!(
        announced.event,
        RoomEvent::Announcement { text: text.clone() }
    );
    room.open(START_MS).unwrap();
    assert!(room.announce(text.clone(), EARLY_MS).is_ok());
    room.pause(None, EARLY_MS).unwrap();
    assert!(room.announce(text.clone(), EARLY_MS).is_ok());
    room.cancel(None, EARLY_MS).unwrap();
    assert_eq!(
        room.announce(text.clone(), EARLY_MS),
        Err(Rejection::NotOpen)
    );

    let mut room = open_room();
    room.close_if_due(ENDS_MS).unwrap();
    assert_eq!(room.announce(text, ENDS_MS), Err(Rejection::NotOpen));
}

#[test]
fn the_room_closes_when_its_deadline_arrives_and_only_once() {
    let mut room = open_room();
    assert_eq!(room.close_if_due(ENDS_MS - 1), None);
    assert!(room.close_if_due(ENDS_MS).is_some());
    assert_eq!(room.state(), LotState::Closed);
    assert_eq!(room.close_if_due(ENDS_MS + 1), None);
}

#[test]
fn a_published_room_does_not_close() {
    let mut room = Room::new(rules());
    assert_eq!(room.close_if_due(ENDS_MS + 1), None);
}

#[test]
fn a_room_without_bids_closes_unsold() {
    let mut room = open_room();
    let closed = room.close_if_due(ENDS_MS).unwrap();
    assert_eq!(
        closed.event,
        RoomEvent::Closed(ClosedEvent {
            result: LotResult::Unsold,
            price: None,
            leader: None,
            leader_bidder_number: None,
        })
    );
}

#[test]
fn the_leader_wins_a_room_without_a_reserve() {
    let mut room = open_room();
    bid(&mut room, ALICE, "1000.00", EARLY_MS).unwrap();
    bid(&mut room, BOB, "1010.00", EARLY_MS).unwrap();
    let closed = room.close_if_due(ENDS_MS + 1).unwrap();
    assert_eq!(
        closed,
        Sequenced {
            seq: 4,
            at_ms: ENDS_MS + 1,
            event: RoomEvent::Closed(ClosedEvent {
                result: LotResult::Sold,
                price: Some(money("1010.00")),
                leader: Some(BOB),
                leader_bidder_number: Some(bidder_number(BOB)),
            }),
        }
    );
}

#[test]
fn reserve_not_met_closes_unsold() {
    let mut room = open_room_with(LotRules {
        reserve_price: Some(money("1020.00")),
        ..rules()
    });
    bid(&mut room, ALICE, "1010.00", EARLY_MS).unwrap();
    let closed = room.close_if_due(ENDS_MS).unwrap();
    // The leader is still reported: the auctioneer's records name who stopped short.
    assert_eq!(
        closed.event,
        RoomEvent::Closed(ClosedEvent {
            result: LotResult::Unsold,
            price: Some(money("1010.00")),
            leader: Some(ALICE),
            leader_bidder_number: Some(bidder_number(ALICE)),
        })
    );
}

#[test]
fn a_price_equal_to_the_reserve_sells() {
    let mut room = open_room_with(LotRules {
        reserve_price: Some(money("1020.00")),
        ..rules()
    });
    bid(&mut room, ALICE, "1020.00", EARLY_MS).unwrap();
    let closed = room.close_if_due(ENDS_MS).unwrap();
    assert!(matches!(
        closed.event,
        RoomEvent::Closed(ClosedEvent {
            result: LotResult::Sold,
            ..
        })
    ));
}

#[test]
fn seq_is_contiguous_across_every_kind_of_event() {
    let mut room = Room::new(rules());
    room.upsert_bidder(bidder(ALICE, None));
    let events = [
        room.announce("welcome".into(), START_MS - 1).unwrap(),
        room.open(START_MS).unwrap(),
        bid(&mut room, ALICE, "1000.00", EARLY_MS).unwrap(),
        room.pause(None, EARLY_MS).unwrap(),
        room.resume(None, EARLY_MS + 10).unwrap(),
        room.close_if_due(ENDS_MS + 10).unwrap(),
    ];
    let seqs: Vec<u64> = events.iter().map(|event| event.seq).collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
    assert_eq!(room.seq(), 6);
}

#[test]
fn events_carry_the_time_of_the_command() {
    let mut room = open_room();
    assert_eq!(
        room.announce("hello".into(), EARLY_MS + 7).unwrap().at_ms,
        EARLY_MS + 7
    );
}

#[test]
fn rejected_commands_leave_seq_untouched() {
    let mut room = Room::new(rules());
    let before = observe(&room);
    assert!(room.pause(None, START_MS).is_err());
    assert!(room.resume(None, START_MS).is_err());
    assert!(bid(&mut room, ALICE, "1000.00", START_MS).is_err());
    assert_eq!(room.close_if_due(ENDS_MS), None);
    assert_eq!(room.recover(ENDS_MS), None);
    assert_eq!(observe(&room), before);

    room.cancel(None, START_MS).unwrap();
    let before = observe(&room);
    assert!(room.open(START_MS).is_err());
    assert!(room.cancel(None, START_MS).is_err());
    assert!(room.announce("late".into(), START_MS).is_err());
    assert_eq!(observe(&room), before);
}
