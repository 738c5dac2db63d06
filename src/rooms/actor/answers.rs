//! The answers a room gave to bids, by (account, req), for a bid that is sent again.

use std::collections::{HashMap, VecDeque};

use crate::auction::Rejection;
use crate::domain::AccountId;
use crate::limits::REMEMBERED_BID_REQUESTS;
use crate::realtime::protocol::Req;

/// A bid answer remembered for idempotent replays by (account, req).
#[derive(Clone, Debug)]
pub(super) enum BidAnswer {
    /// Accepted with this seq (answered once the event is published).
    Accepted {
        seq: u64,
    },
    Rejected(Rejection),
}

/// The answers to the last `REMEMBERED_BID_REQUESTS` bids, by (account, req).
///
/// A client that did not hear the answer to a bid (its connection dropped, or the room
/// moved to another node) sends the same bid with the same `req` again. It must hear the
/// first answer rather than have the bid judged anew, which would reject an accepted bid as
/// `already_leading`, or accept a bid that was rejected when the price was lower. An
/// accepted answer keeps only its seq: the answer is rebuilt from the event. The room
/// remembers a bounded number, forgetting first the ones it answered first; the accepted
/// ones come back from the journal after a restart.
pub(super) struct RememberedAnswers {
    answers: HashMap<(AccountId, Req), BidAnswer>,
    /// The keys of `answers`, in the order they were first answered.
    order: VecDeque<(AccountId, Req)>,
}

impl RememberedAnswers {
    pub fn new() -> RememberedAnswers {
        RememberedAnswers {
            answers: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// The answer given to this account's bid with this `req`, if it is remembered.
    pub fn get(&self, account: AccountId, req: &Req) -> Option<BidAnswer> {
        self.answers.get(&(account, req.clone())).cloned()
    }

    /// Remembers an answer, forgetting the oldest past `REMEMBERED_BID_REQUESTS`. An answer
    /// remembered again for the same key replaces it and keeps its place in the order.
    pub fn remember(&mut self, account: AccountId, req: Req, answer: BidAnswer) {
        if self
            .answers
            .insert((account, req.clone()), answer)
            .is_none()
        {
            self.order.push_back((account, req));
            if self.order.len() > REMEMBERED_BID_REQUESTS
                && let Some(oldest) = self.order.pop_front()
            {
                self.answers.remove(&oldest);
            }
        }
    }

    /// The journal refused the events from `from_seq` on, so the bids accepted as those
    /// were never placed: sent again, they are judged anew.
    pub fn forget_accepted_from(&mut self, from_seq: u64) {
        self.answers
            .retain(|_, answer| !matches!(answer, BidAnswer::Accepted { seq } if *seq >= from_seq));
        let answers = &self.answers;
        self.order.retain(|key| answers.contains_key(key));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    const ALICE: AccountId = 1;
    const BOB: AccountId = 2;

    fn req(text: &str) -> Req {
        Req(Arc::from(text))
    }

    fn accepted_seq(answer: Option<BidAnswer>) -> Option<u64> {
        match answer {
            Some(BidAnswer::Accepted { seq }) => Some(seq),
            _ => None,
        }
    }

    fn is_rejected(answer: Option<BidAnswer>) -> bool {
        matches!(answer, Some(BidAnswer::Rejected(_)))
    }

    /// Remembers rejections of ALICE's bids `filler-{first}` to `filler-{last}`.
    fn fill(answers: &mut RememberedAnswers, first: usize, last: usize) {
        for n in first..=last {
            answers.remember(
                ALICE,
                req(&format!("filler-{n}")),
                BidAnswer::Rejected(Rejection::NotOpen),
            );
        }
    }

    #[test]
    fn a_bid_sent_again_finds_the_answer_to_the_same_account_and_req() {
        let mut answers = RememberedAnswers::new();
        answers.remember(ALICE, req("a"), BidAnswer::Accepted { seq: 4 });
        answers.remember(
            ALICE,
            req("b"),
            BidAnswer::Rejected(Rejection::AlreadyLeading),
        );
        assert_eq!(accepted_seq(answers.get(ALICE, &req("a"))), Some(4));
        assert!(is_rejected(answers.get(ALICE, &req("b"))));
        assert!(
            answers.get(BOB, &req("a")).is_none(),
            "another account's req"
        );
        assert!(answers.get(ALICE, &req("c")).is_none());
    }

    #[test]
    fn past_the_limit_the_first_answered_is_forgotten_first() {
        let mut answers = RememberedAnswers::new();
        answers.remember(ALICE, req("first"), BidAnswer::Accepted { seq: 1 });
        answers.remember(BOB, req("second"), BidAnswer::Accepted { seq: 2 });
        fill(&mut answers, 3, REMEMBERED_BID_REQUESTS);
        assert_eq!(
            accepted_seq(answers.get(ALICE, &req("first"))),
            Some(1),
            "at the limit"
        );
        fill(
            &mut answers,
            REMEMBERED_BID_REQUESTS + 1,
            REMEMBERED_BID_REQUESTS + 1,
        );
        assert!(answers.get(ALICE, &req("first")).is_none());
        assert_eq!(accepted_seq(answers.get(BOB, &req("second"))), Some(2));
        assert!(is_rejected(answers.get(ALICE, &req("filler-3"))));
        fill(
            &mut answers,
            REMEMBERED_BID_REQUESTS + 2,
            REMEMBERED_BID_REQUESTS + 2,
        );
        assert!(answers.get(BOB, &req("second")).is_none());
        assert!(is_rejected(answers.get(ALICE, &req("filler-3"))));
    }

    #[test]
    fn an_answer_remembered_again_replaces_the_first_and_keeps_its_place() {
        let mut answers = RememberedAnswers::new();
        answers.remember(ALICE, req("a"), BidAnswer::Rejected(Rejection::NotOpen));
        answers.remember(ALICE, req("b"), BidAnswer::Accepted { seq: 2 });
        answers.remember(ALICE, req("a"), BidAnswer::Accepted { seq: 3 });
        assert_eq!(accepted_seq(answers.get(ALICE, &req("a"))), Some(3));
        // Two keys are remembered, not three: a is still the oldest.
        fill(&mut answers, 3, REMEMBERED_BID_REQUESTS);
        assert_eq!(accepted_seq(answers.get(ALICE, &req("a"))), Some(3));
        fill(
            &mut answers,
            REMEMBERED_BID_REQUESTS + 1,
            REMEMBERED_BID_REQUESTS + 1,
        );
        assert!(answers.get(ALICE, &req("a")).is_none());
        assert_eq!(accepted_seq(answers.get(ALICE, &req("b"))), Some(2));
    }

    #[test]
    fn a_rewind_forgets_the_bids_accepted_from_its_seq_and_nothing_else() {
        let mut answers = RememberedAnswers::new();
        answers.remember(ALICE, req("one"), BidAnswer::Accepted { seq: 1 });
        answers.remember(BOB, req("two"), BidAnswer::Accepted { seq: 2 });
        answers.remember(ALICE, req("late"), BidAnswer::Rejected(Rejection::NotOpen));
        answers.remember(ALICE, req("three"), BidAnswer::Accepted { seq: 3 });
        answers.forget_accepted_from(2);
        assert_eq!(accepted_seq(answers.get(ALICE, &req("one"))), Some(1));
        assert!(answers.get(BOB, &req("two")).is_none());
        assert!(answers.get(ALICE, &req("three")).is_none());
        assert!(
            is_rejected(answers.get(ALICE, &req("late"))),
            "rejections stand"
        );
        // The forgotten keys no longer count towards the limit: two are remembered.
        fill(&mut answers, 3, REMEMBERED_BID_REQUESTS);
        assert_eq!(accepted_seq(answers.get(ALICE, &req("one"))), Some(1));
        fill(
            &mut answers,
            REMEMBERED_BID_REQUESTS + 1,
            REMEMBERED_BID_REQUESTS + 1,
        );
        assert!(answers.get(ALICE, &req("one")).is_none());
        assert!(is_rejected(answers.get(ALICE, &req("late"))));
    }
}
