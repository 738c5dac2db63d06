//! What a room has applied and the journal has not yet made durable.

use std::collections::VecDeque;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::auction::Sequenced;
use crate::limits::REWOUND_TIMER_PAUSE_MS;
use crate::realtime::protocol::{Answer, Req};
use crate::storage::JournalRow;

use super::super::command::Replier;
use super::super::journal::{Durability, JournalBatch};
use super::super::snapshot::Published;

/// An applied event waiting for the journal.
pub(super) struct PendingEvent {
    pub event: Sequenced,
    /// The room as members may see it once this event is published.
    pub after: Published,
    /// Answered in this order once the event is durable.
    pub waiting: Vec<Waiter>,
    /// When the engine applied it: its commit latency is measured from here.
    pub applied_at: Instant,
}

pub(super) enum Waiter {
    Bid {
        req: Req,
        reply: Replier,
        /// When the session read the bid.
        received_at: Instant,
    },
    Control {
        req: Option<Req>,
        reply: Replier,
    },
    /// The server's start, waiting until a recovery event is durable.
    Durable(oneshot::Sender<()>),
}

/// The events a room has applied but not yet published: the rows still to hand the
/// journal, and the events waiting for its word that they are durable, each with whoever
/// waits on it.
///
/// The engine applies a command at once, so that the next bid is judged against the new
/// price, but nobody hears of the event until it is durable (SPEC §6): a crash then loses
/// nothing anyone has seen. The journal reports on a room's rows in the order it was handed
/// them, so events leave from the front, in seq order. When it refuses rows, none of them
/// will ever be stored, nor any later event, which was applied on top of them: every
/// event still here is dropped, its waiters told, and the room rewinds. Batches carry the
/// count of rewinds, so that the refusal of rows handed over before a rewind (already
/// answered) is told apart from one of the rows applied since.
pub(super) struct PendingEvents {
    /// Rows applied since the last batch was handed over, in seq order.
    unjournaled: Vec<JournalRow>,
    /// Oldest first: those handed over, then those still among `unjournaled`.
    events: VecDeque<PendingEvent>,
    /// How many times the journal refused this room's events and it rewound.
    rewinds: u64,
    /// After a rewind, the room's timers wait until then.
    timers_paused_until_ms: i64,
    /// The epoch of the room's lease: the journal writes its rows only under it.
    lease_epoch: i64,
    /// Where the journal reports on the room's rows.
    notices: mpsc::UnboundedSender<Durability>,
}

impl PendingEvents {
    /// Nothing pending, for a room holding its lease at `lease_epoch`; the receiver hears
    /// the journal's notices about the room's rows.
    pub fn new(lease_epoch: i64) -> (PendingEvents, mpsc::UnboundedReceiver<Durability>) {
        let (notices, heard) = mpsc::unbounded_channel();
        let pending = PendingEvents {
            unjournaled: Vec::new(),
            events: VecDeque::new(),
            rewinds: 0,
            timers_paused_until_ms: 0,
            lease_epoch,
            notices,
        };
        (pending, heard)
    }

    /// Whether everything the room applied is durable (and published).
    pub fn is_empty(&self) -> bool {
        self.events.is_empty() && self.unjournaled.is_empty()
    }

    /// How many rows the next batch carries so far.
    pub fn unjournaled_rows(&self) -> usize {
        self.unjournaled.len()
    }

    /// An event the engine has just applied, with its journal row and the room as it
    /// stands after it, held until it is durable.
    pub fn applied(
        &mut self,
        row: JournalRow,
        event: Sequenced,
        after: Published,
        waiting: Vec<Waiter>,
    ) {
        self.unjournaled.push(row);
        self.events.push_back(PendingEvent {
            event,
            after,
            waiting,
            applied_at: Instant::now(),
        });
    }

    /// Someone else waits on the pending event `seq`, after those already waiting (a bid
    /// sent again). If no such event is pending, the waiter is dropped unanswered.
    pub fn add_waiter(&mut self, seq: u64, waiter: Waiter) {
        if let Some(pending) = self
            .events
            .iter_mut()
            .find(|pending| pending.event.seq == seq)
        {
            pending.waiting.push(waiter);
        }
    }

    /// The rows applied since the last batch, for the journal; `None` if there are none.
    pub fn take_batch(&mut self) -> Option<JournalBatch> {
        if self.unjournaled.is_empty() {
            return None;
        }
        Some(JournalBatch {
            rows: std::mem::take(&mut self.unjournaled),
            rewinds: self.rewinds,
            lease_epoch: self.lease_epoch,
            notices: self.notices.clone(),
        })
    }

    /// The journal made every event up to `seq` durable: the oldest of them, if any is
    /// still here, to publish. Called until it answers `None`, it gives them in order.
    pub fn pop_durable(&mut self, seq: u64) -> Option<PendingEvent> {
        if self.events.front()?.event.seq > seq {
            return None;
        }
        self.events.pop_front()
    }

    /// The journal refused the room's rows from `from_seq` on, of the batches handed over
    /// after `rewinds` rewinds. If those are the rows applied since the last rewind, every
    /// event still pending is dropped and whoever waits on one hears that it did not take
    /// effect; the room's timers hold back for `REWOUND_TIMER_PAUSE_MS` from `now_ms`, and
    /// the answer is true: the room must rewind to what it has published. Rows handed over
    /// before the last rewind were dropped then: false, and nothing changes.
    pub fn refused(&mut self, rewinds: u64, from_seq: u64, now_ms: i64) -> bool {
        if rewinds != self.rewinds {
            return false;
        }
        self.rewinds += 1;
        self.unjournaled.clear();
        for pending in std::mem::take(&mut self.events) {
            debug_assert!(pending.event.seq >= from_seq, "earlier events committed");
            for waiter in pending.waiting {
                match waiter {
                    Waiter::Bid { req, reply, .. } => reply.send(&Answer::Error {
                        code: "internal",
                        message: "the bid could not be recorded and was not placed",
                        req: Some(&req),
                    }),
                    Waiter::Control { req, reply } => reply.send(&Answer::Error {
                        code: "internal",
                        message: "the command could not be recorded and did not take effect",
                        req: req.as_ref(),
                    }),
                    // Dropped: the start hears that the recovery was not recorded.
                    Waiter::Durable(_) => {}
                }
            }
        }
        self.timers_paused_until_ms = now_ms + REWOUND_TIMER_PAUSE_MS;
        true
    }

    /// Until when the room's timers wait after its last rewind (0 before any).
    pub fn timers_paused_until_ms(&self) -> i64 {
        self.timers_paused_until_ms
    }

    /// The room has lost its lease: nothing pending will be published, and nobody waiting
    /// hears from this room.
    pub fn abandon(&mut self) {
        self.events.clear();
        self.unjournaled.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use axum::extract::ws::Message;
    use tokio::sync::mpsc::error::TryRecvError;
    use tokio::time::advance;

    use super::super::super::events;
    use super::super::fixtures::{
        ALICE, BOB, LOT, STARTS_AT_MS, answers_sent, open_engine, replier, rules,
    };
    use super::*;
    use crate::auction::Room;
    use crate::clock::Clock;

    const EPOCH: i64 = 5;

    /// The lot's open engine and nothing pending.
    fn room() -> (Room, PendingEvents, mpsc::UnboundedReceiver<Durability>) {
        let (pending, notices) = PendingEvents::new(EPOCH);
        (open_engine(), pending, notices)
    }

    /// A bid at the next rung, by whichever of ALICE and BOB does not lead, applied and
    /// waited on by its bidder: its seq and the bidder's end of the connection.
    fn bid(
        engine: &mut Room,
        pending: &mut PendingEvents,
        req: &str,
    ) -> (u64, mpsc::UnboundedReceiver<Message>) {
        let amount = match engine.price() {
            Some(price) => price + rules().increment,
            None => rules().start_price,
        };
        let bidder = if engine.leader() == Some(ALICE) {
            BOB
        } else {
            ALICE
        };
        let event = engine
            .place_bid(bidder, true, Ok(amount), STARTS_AT_MS + 1_000)
            .expect("the bid is accepted");
        let (reply, answers) = replier();
        let waiter = Waiter::Bid {
            req: Req(Arc::from(req)),
            reply,
            received_at: Instant::now(),
        };
        let seq = event.seq;
        let row = events::journal_row(LOT, engine, &event);
        pending.applied(row, event, Published::of(engine), vec![waiter]);
        (seq, answers)
    }

    fn seqs(batch: &JournalBatch) -> Vec<u64> {
        batch.rows.iter().map(|row| row.seq).collect()
    }

    /// The codes and reqs of the answers a connection has been sent.
    fn errors_sent(answers: &mut mpsc::UnboundedReceiver<Message>) -> Vec<(String, String)> {
        answers_sent(answers)
            .iter()
            .map(|answer| {
                assert_eq!(answer["type"], "error");
                let text = |field: &str| answer[field].as_str().unwrap_or_default().to_owned();
                (text("code"), text("req"))
            })
            .collect()
    }

    #[test]
    fn events_leave_only_once_committed_and_in_seq_order() {
        let (mut engine, mut pending, _notices) = room();
        let (first, mut first_answers) = bid(&mut engine, &mut pending, "a");
        let (second, _) = bid(&mut engine, &mut pending, "b");
        let (third, _) = bid(&mut engine, &mut pending, "c");
        assert!(pending.take_batch().is_some());
        assert!(
            pending.pop_durable(first - 1).is_none(),
            "nothing of ours committed"
        );
        assert_eq!(
            pending.pop_durable(second).map(|p| p.event.seq),
            Some(first)
        );
        assert_eq!(
            pending.pop_durable(second).map(|p| p.event.seq),
            Some(second)
        );
        assert!(
            pending.pop_durable(second).is_none(),
            "the third is not durable yet"
        );
        assert!(!pending.is_empty());
        assert_eq!(pending.pop_durable(third).map(|p| p.event.seq), Some(third));
        assert!(pending.is_empty());
        // Answering is the room's, once it publishes what comes out.
        assert!(answers_sent(&mut first_answers).is_empty());
    }

    #[test]
    fn a_batch_carries_every_row_since_the_last_with_the_rewinds_and_lease_epoch() {
        let (mut engine, mut pending, mut notices) = room();
        assert!(pending.take_batch().is_none());
        let (first, _) = bid(&mut engine, &mut pending, "a");
        let (second, _) = bid(&mut engine, &mut pending, "b");
        assert_eq!(pending.unjournaled_rows(), 2);
        let batch = pending.take_batch().expect("two rows");
        assert_eq!(seqs(&batch), vec![first, second]);
        assert_eq!((batch.rewinds, batch.lease_epoch), (0, EPOCH));
        assert_eq!(pending.unjournaled_rows(), 0);
        assert!(pending.take_batch().is_none());
        assert!(!pending.is_empty(), "handed over, not yet durable");
        let (third, _) = bid(&mut engine, &mut pending, "c");
        assert_eq!(seqs(&pending.take_batch().expect("one row")), vec![third]);
        // The journal's notices about the batch reach the room.
        let _ = batch.notices.send(Durability::Committed(second));
        assert_eq!(notices.try_recv(), Ok(Durability::Committed(second)));
    }

    #[test]
    fn a_refusal_tells_every_waiter_from_its_seq_on_and_counts_a_rewind() {
        let (mut engine, mut pending, _notices) = room();
        let (first, mut first_answers) = bid(&mut engine, &mut pending, "a");
        let (second, mut second_answers) = bid(&mut engine, &mut pending, "b");
        assert!(pending.take_batch().is_some());
        // Applied after the refused batch was handed over: refused with it.
        let (_, mut third_answers) = bid(&mut engine, &mut pending, "c");
        let (durable, mut heard) = oneshot::channel();
        pending.add_waiter(second, Waiter::Durable(durable));
        assert!(pending.pop_durable(first).is_some());

        assert!(pending.refused(0, second, STARTS_AT_MS));
        assert!(pending.is_empty());
        assert!(
            pending.take_batch().is_none(),
            "the third row is never handed over"
        );
        let internal = |req: &str| vec![("internal".to_owned(), req.to_owned())];
        assert_eq!(errors_sent(&mut second_answers), internal("b"));
        assert_eq!(errors_sent(&mut third_answers), internal("c"));
        assert!(
            answers_sent(&mut first_answers).is_empty(),
            "the first committed"
        );
        assert!(
            heard.try_recv().is_err(),
            "a start waiting hears that nothing came"
        );

        bid(&mut engine, &mut pending, "d");
        assert_eq!(pending.take_batch().map(|batch| batch.rewinds), Some(1));
    }

    #[test]
    fn a_refusal_of_rows_from_before_the_last_rewind_changes_nothing() {
        let (mut engine, mut pending, _notices) = room();
        let published = Published::of(&engine);
        let (refused, _) = bid(&mut engine, &mut pending, "a");
        assert!(pending.take_batch().is_some());
        // The journal refuses the first batch, and a second one handed over before the
        // room heard: one refusal for each.
        bid(&mut engine, &mut pending, "b");
        assert!(pending.take_batch().is_some());
        assert!(pending.refused(0, refused, STARTS_AT_MS));
        engine.rewind(published.restore_point());

        let (again, mut answers) = bid(&mut engine, &mut pending, "a");
        assert_eq!(again, refused, "the rewound engine gives out the seq again");
        assert!(!pending.refused(0, refused + 1, STARTS_AT_MS + 500));
        assert!(!pending.is_empty());
        assert!(answers_sent(&mut answers).is_empty());
        assert_eq!(
            pending.timers_paused_until_ms(),
            STARTS_AT_MS + REWOUND_TIMER_PAUSE_MS
        );
        assert_eq!(pending.take_batch().map(|batch| batch.rewinds), Some(1));
        // A refusal of the rows applied since the rewind is one.
        assert!(pending.refused(1, again, STARTS_AT_MS + 500));
        assert_eq!(errors_sent(&mut answers).len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn timers_hold_back_for_a_while_after_a_rewind() {
        let clock = Clock::starting_at(STARTS_AT_MS);
        let (mut engine, mut pending, _notices) = room();
        assert_eq!(
            pending.timers_paused_until_ms(),
            0,
            "no pause before a rewind"
        );
        let (seq, _) = bid(&mut engine, &mut pending, "a");
        assert!(pending.refused(0, seq, clock.now_ms()));
        let pause = Duration::from_millis(REWOUND_TIMER_PAUSE_MS as u64);
        advance(pause - Duration::from_millis(1)).await;
        assert!(clock.now_ms() < pending.timers_paused_until_ms());
        advance(Duration::from_millis(1)).await;
        assert!(clock.now_ms() >= pending.timers_paused_until_ms());
    }

    #[tokio::test(start_paused = true)]
    async fn a_bid_sent_again_is_answered_after_the_first_and_only_while_pending() {
        let (mut engine, mut pending, _notices) = room();
        let first_read_at = Instant::now();
        let (seq, _) = bid(&mut engine, &mut pending, "a");
        let (later, _) = bid(&mut engine, &mut pending, "b");
        advance(Duration::from_millis(5)).await;
        let (reply, _again) = replier();
        let again_read_at = Instant::now();
        pending.add_waiter(
            seq,
            Waiter::Bid {
                req: Req(Arc::from("a")),
                reply,
                received_at: again_read_at,
            },
        );
        let (reply, mut unknown) = replier();
        let waiter = Waiter::Bid {
            req: Req(Arc::from("z")),
            reply,
            received_at: Instant::now(),
        };
        pending.add_waiter(later + 1, waiter);
        assert_eq!(
            unknown.try_recv(),
            Err(TryRecvError::Disconnected),
            "dropped"
        );

        let popped = pending.pop_durable(later).expect("the first bid");
        let read_at: Vec<Instant> = popped
            .waiting
            .iter()
            .map(|waiter| match waiter {
                Waiter::Bid { received_at, .. } => *received_at,
                _ => panic!("bidders wait on a bid"),
            })
            .collect();
        assert_eq!(read_at, vec![first_read_at, again_read_at]);
        let next = pending.pop_durable(later).expect("the second bid");
        assert_eq!(next.waiting.len(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn commit_latency_runs_from_when_the_event_was_applied() {
        let (mut engine, mut pending, _notices) = room();
        advance(Duration::from_millis(3)).await;
        let applied_at = Instant::now();
        let (seq, _) = bid(&mut engine, &mut pending, "a");
        assert!(pending.take_batch().is_some());
        advance(Duration::from_millis(20)).await;
        let popped = pending.pop_durable(seq).expect("committed");
        assert_eq!(popped.applied_at, applied_at);
        assert_eq!(popped.applied_at.elapsed(), Duration::from_millis(20));
    }

    #[test]
    fn a_room_that_lost_its_lease_abandons_everything_unanswered() {
        let (mut engine, mut pending, _notices) = room();
        let (_, mut handed_over) = bid(&mut engine, &mut pending, "a");
        assert!(pending.take_batch().is_some());
        let (_, mut unjournaled) = bid(&mut engine, &mut pending, "b");
        pending.abandon();
        assert!(pending.is_empty());
        assert!(pending.take_batch().is_none());
        for answers in [&mut handed_over, &mut unjournaled] {
            assert_eq!(answers.try_recv(), Err(TryRecvError::Disconnected));
        }
    }
}
