//! What the simulated members sent and heard, kept across the server's lives, and the
//! invariants checked against the journal at the end of a run.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use crate::domain::{AccountId, LotId};
use crate::money::Money;
use crate::storage::{JournalRow, RoomEventKind};

/// A bid's answer as its bidder heard it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Accepted {
        seq: u64,
        amount: Money,
        bidder: String,
    },
    Rejected(String),
    /// `error {code: "internal"}`: the journal refused it and it was not placed.
    NotPlaced,
}

#[derive(Clone, Debug)]
pub struct BidRecord {
    pub lot: LotId,
    pub amount: String,
    /// The first answer heard, and in which life.
    pub answer: Option<(Outcome, usize)>,
}

/// One thing a member saw of its room, in the order it saw them.
#[derive(Clone, Debug)]
pub enum Seen {
    Snapshot {
        seq: u64,
        price: Option<Money>,
        leader: Option<String>,
    },
    Event {
        seq: u64,
        kind: String,
        amount: Option<Money>,
        bidder: Option<String>,
    },
}

/// How often each thing the run means to exercise happened.
#[derive(Clone, Debug, Default)]
pub struct Coverage {
    pub counts: BTreeMap<&'static str, u64>,
}

impl Coverage {
    pub fn add(&mut self, what: &'static str) {
        *self.counts.entry(what).or_default() += 1;
    }

    pub fn merge(&mut self, other: &Coverage) {
        for (what, count) in &other.counts {
            *self.counts.entry(what).or_default() += count;
        }
    }

    pub fn get(&self, what: &str) -> u64 {
        self.counts.get(what).copied().unwrap_or(0)
    }
}

/// What one bidder knows between its connections.
#[derive(Debug, Default)]
pub struct MemberState {
    pub last_seq: Option<u64>,
    pub price: Option<Money>,
    /// The leader's bidder number.
    pub leader: Option<String>,
    pub ended: bool,
    pub next_req: u64,
    pub seen: Vec<Seen>,
    /// Its answered bids' reqs, in the order they were answered.
    pub answered: Vec<String>,
    /// Unanswered bids to send again soon, same `req`: a rate limit, or an earlier answer
    /// the server could not read.
    pub send_again: BTreeSet<String>,
}

#[derive(Default)]
pub struct Book {
    /// The life the server is in (0 is the first).
    pub life: usize,
    pub bids: BTreeMap<(AccountId, String), BidRecord>,
    pub members: BTreeMap<AccountId, MemberState>,
    pub violations: Vec<String>,
    pub coverage: Coverage,
    /// A digest of everything every member heard, and when: equal digests for equal seeds
    /// show that the run is reproducible.
    digest: DefaultHasher,
}

impl Book {
    pub fn violation(&mut self, what: String) {
        if self.violations.len() < 20 {
            self.violations.push(what);
        }
    }

    pub fn heard(&mut self, account: AccountId, at_ms: i64, text: &str) {
        (account, at_ms, text).hash(&mut self.digest);
    }

    pub fn digest(&self) -> u64 {
        self.digest.finish()
    }

    pub fn member(&mut self, account: AccountId) -> &mut MemberState {
        self.members.entry(account).or_default()
    }

    /// A bid's answer: the first one is kept, and every later one must agree with it.
    pub fn answer(&mut self, account: AccountId, req: &str, outcome: Outcome) {
        let life = self.life;
        let Some(record) = self.bids.get_mut(&(account, req.to_owned())) else {
            return self.violation(format!(
                "account {account} was answered for a bid it never sent (req {req})"
            ));
        };
        let Some((first, first_life)) = record.answer.clone() else {
            record.answer = Some((outcome, life));
            let member = self.member(account);
            member.send_again.remove(req);
            member.answered.push(req.to_owned());
            return;
        };
        let agrees = match (&first, &outcome) {
            // Rejections are remembered for the room's life, not across restarts; a bid
            // that was not placed is judged anew.
            (Outcome::Rejected(_), _) if first_life != life => {
                record.answer = Some((outcome.clone(), life));
                true
            }
            (Outcome::NotPlaced, _) => {
                record.answer = Some((outcome.clone(), life));
                self.coverage
                    .add("a bid not placed, sent again, judged anew");
                return;
            }
            (first, again) => first == again,
        };
        if agrees {
            self.coverage
                .add("a repeated bid answered as the first time");
        } else {
            self.violation(format!(
                "account {account}'s bid {req} was answered {first:?} (life {first_life}) and, \
                 sent again, {outcome:?} (life {life})"
            ));
        }
    }

    /// The bids still unanswered, to send again with the same `req`.
    pub fn unanswered(&self, account: AccountId) -> Vec<(String, String)> {
        self.bids
            .range((account, String::new())..)
            .take_while(|((bidder, _), _)| *bidder == account)
            .filter(|(_, record)| record.answer.is_none())
            .map(|((_, req), record)| (req.clone(), record.amount.clone()))
            .collect()
    }

    pub fn unanswered_count(&self) -> usize {
        self.bids
            .values()
            .filter(|record| record.answer.is_none())
            .count()
    }

    /// The last accepted bid of each lot, as its bidder heard it: (seq, amount, account).
    pub fn highest_accepted(&self) -> BTreeMap<LotId, (u64, Money, AccountId)> {
        let mut highest: BTreeMap<LotId, (u64, Money, AccountId)> = BTreeMap::new();
        for ((account, _), record) in &self.bids {
            if let Some((Outcome::Accepted { seq, amount, .. }, _)) = &record.answer {
                let entry = highest
                    .entry(record.lot)
                    .or_insert((*seq, *amount, *account));
                if *seq > entry.0 {
                    *entry = (*seq, *amount, *account);
                }
            }
        }
        highest
    }

    /// The invariants of a finished run, against everything the journal holds.
    pub fn check_against(
        &mut self,
        journal: &BTreeMap<(LotId, u64), JournalRow>,
        lots: &BTreeMap<AccountId, LotId>,
    ) {
        let mut problems = Vec::new();
        let mut last_seq: BTreeMap<LotId, u64> = BTreeMap::new();
        for &(lot, seq) in journal.keys() {
            let expected = last_seq.get(&lot).map_or(1, |last| last + 1);
            if seq != expected {
                problems.push(format!(
                    "lot {lot}'s journal has seq {seq} after {}",
                    expected - 1
                ));
            }
            last_seq.insert(lot, seq);
        }
        // Every journaled bid by (account, lot, req), with its seq.
        let mut journaled: BTreeMap<(AccountId, LotId, Arc<str>), Vec<u64>> = BTreeMap::new();
        for row in journal
            .values()
            .filter(|row| row.kind == RoomEventKind::Bid)
        {
            match (row.account_id, &row.req) {
                (Some(account), Some(req)) => journaled
                    .entry((account, row.lot_id, req.clone()))
                    .or_default()
                    .push(row.seq),
                _ => problems.push(format!(
                    "lot {}'s bid at seq {} has no account or req",
                    row.lot_id, row.seq
                )),
            }
        }
        let mut known = BTreeSet::new();
        for ((account, req), record) in &self.bids {
            let key = (*account, record.lot, Arc::<str>::from(req.as_str()));
            let seqs = journaled.get(&key).cloned().unwrap_or_default();
            known.insert(key);
            match &record.answer {
                Some((
                    Outcome::Accepted {
                        seq,
                        amount,
                        bidder,
                    },
                    _,
                )) => {
                    if seqs.len() != 1 {
                        problems.push(format!(
                            "account {account}'s accepted bid {req} is in the journal {} times",
                            seqs.len()
                        ));
                    }
                    let row = journal.get(&(record.lot, *seq));
                    let matches = row.is_some_and(|row| {
                        row.kind == RoomEventKind::Bid
                            && row.account_id == Some(*account)
                            && row.req.as_deref() == Some(req.as_str())
                            && row.amount == Some(*amount)
                            && row.bidder_number.as_deref() == Some(bidder.as_str())
                    });
                    if !matches {
                        problems.push(format!(
                            "account {account}'s bid {req} was accepted at seq {seq} for {amount}, \
                             but the journal has {row:?} there"
                        ));
                    }
                }
                Some((outcome, _)) => {
                    if !seqs.is_empty() {
                        problems.push(format!(
                            "account {account}'s bid {req}, answered {outcome:?}, is in the \
                             journal at seq {seqs:?}"
                        ));
                    }
                }
                None => problems.push(format!(
                    "account {account}'s bid {req} was never answered (journaled at {seqs:?})"
                )),
            }
        }
        for (key, seqs) in &journaled {
            if !known.contains(key) {
                problems.push(format!(
                    "the journal has a bid nobody sent: {key:?} at {seqs:?}"
                ));
            }
        }
        for (account, member) in &self.members {
            if let Err(problem) = check_seen(&member.seen, journal, lots.get(account).copied()) {
                problems.push(format!("account {account}: {problem}"));
            }
        }
        for problem in problems {
            self.violation(problem);
        }
    }
}

/// What a member saw matches the journal: each event is the journaled one, and each
/// snapshot shows the price and leader of the journal at its seq.
fn check_seen(
    seen: &[Seen],
    journal: &BTreeMap<(LotId, u64), JournalRow>,
    lot: Option<LotId>,
) -> Result<(), String> {
    let Some(lot) = lot else {
        return Ok(());
    };
    for item in seen {
        match item {
            Seen::Event {
                seq,
                kind,
                amount,
                bidder,
            } => {
                let row = journal
                    .get(&(lot, *seq))
                    .ok_or_else(|| format!("saw a {kind} event at seq {seq} the journal lacks"))?;
                let same = row.kind.as_str() == kind
                    && (row.kind != RoomEventKind::Bid
                        || (row.amount == *amount
                            && row.bidder_number.as_deref() == bidder.as_deref()));
                if !same {
                    return Err(format!(
                        "saw {kind} {amount:?} by {bidder:?} at seq {seq}, the journal has {row:?}"
                    ));
                }
            }
            Seen::Snapshot { seq, price, leader } => {
                if *seq > 0 && !journal.contains_key(&(lot, *seq)) {
                    return Err(format!("saw a snapshot at seq {seq} the journal lacks"));
                }
                let last_bid = journal
                    .range((lot, 0)..=(lot, *seq))
                    .map(|(_, row)| row)
                    .rfind(|row| row.kind == RoomEventKind::Bid);
                let expected = (
                    last_bid.and_then(|row| row.amount),
                    last_bid.and_then(|row| row.bidder_number.as_deref().map(str::to_owned)),
                );
                if (*price, leader.clone()) != expected {
                    return Err(format!(
                        "a snapshot at seq {seq} showed {price:?} led by {leader:?}; the \
                         journal's last bid by then is {expected:?}"
                    ));
                }
            }
        }
    }
    Ok(())
}
