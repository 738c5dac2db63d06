//! The judgement of a chaos run: what the bidders were told beside what the server holds
//! at the end. Pure, so that a fabricated run shows each check catching its fault.
//!
//! A bid's identity is its room event: (seq, amount, bidder number). In a room accepted
//! amounts only rise, so one bidder's amount names one bid, and a bid stored twice shows as
//! two rows with the same bidder and amount.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::checks::Check;

/// A bid event: an `accepted` answer, a `bid` a member saw, or a stored row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bid {
    pub seq: u64,
    pub amount_cents: i64,
    pub bidder: String,
}

/// A bid's last answer, after every resend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    Accepted(Bid),
    /// `rejected` with this code, or an `error` (`error:CODE`): nothing was placed.
    Refused(String),
    Unanswered,
}

#[derive(Clone, Debug)]
pub struct SentBid {
    pub bidder: String,
    pub req: u64,
    pub amount_cents: i64,
    /// How many times it was sent again after a connection died unanswered.
    pub resends: u32,
    pub answer: Answer,
}

/// One member's `seq` across all its connections (each rejoin resumes with `since_seq`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct SeqTrack {
    /// An event whose seq was not the one after the last.
    pub gaps: u64,
    /// An event or snapshot whose seq was at or below one already seen: the server
    /// forgot events it had published.
    pub backwards: u64,
    /// A snapshot on a rejoin that skipped ahead (allowed, outside the replay window).
    pub resyncs: u64,
    /// On a cluster: a gap in the live events of a room (what its dying owner had not
    /// relayed yet), not taken, and healed by joining again with `since_seq`, as SPEC §4
    /// asks of a client (allowed; a gap in what the rejoin then gives is not).
    pub healed: u64,
}

/// A room's snapshot right after a restart, beside the highest bid acknowledged before it.
#[derive(Clone, Debug, Serialize)]
pub struct Recovery {
    pub generation: u64,
    pub acked_before: Option<Bid>,
    pub seq: u64,
    pub price_cents: Option<i64>,
    pub leader: Option<String>,
}

/// What a room's bidders were told.
#[derive(Clone, Debug)]
pub struct RoomTold {
    pub lot: i64,
    pub sent: Vec<SentBid>,
    pub seen: Vec<Bid>,
    /// Two members saw different bids under one seq.
    pub seen_conflicts: u64,
    pub members: Vec<SeqTrack>,
    pub recoveries: Vec<Recovery>,
}

/// What the server holds of a room at the end.
#[derive(Clone, Debug)]
pub struct RoomStored {
    pub lot: i64,
    /// `GET /lots/{id}/bids`, every page, in seq order.
    pub rows: Vec<Bid>,
    /// `GET /lots/{id}/result` and the bid count of `GET /lots/{id}`.
    pub status: String,
    pub price_cents: Option<i64>,
    pub winner: Option<String>,
    pub bid_count: u64,
    /// The room's snapshot over the WebSocket.
    pub snapshot: FinalSnapshot,
}

#[derive(Clone, Debug)]
pub struct FinalSnapshot {
    pub state: String,
    pub seq: u64,
    pub price_cents: Option<i64>,
    pub leader: Option<String>,
}

/// The money at the end: `GET /ledger/reconciliation` and the bidders' wallets.
#[derive(Clone, Debug, Default)]
pub struct MoneyStored {
    pub consistent: bool,
    /// The reconciliation's findings (mismatched accounts, unbalanced transactions, ...).
    pub findings: Vec<String>,
    /// Deposits by status, and as they were before the run.
    pub holds: BTreeMap<String, u64>,
    pub holds_before: BTreeMap<String, u64>,
    /// Each registration's deposit: ledger transactions that froze it and that released or
    /// applied it, from the bidder's wallet.
    pub deposits: Vec<DepositStored>,
    /// Bidders' wallets still holding frozen money: (account, cents).
    pub frozen_wallets: Vec<(i64, i64)>,
}

#[derive(Clone, Debug)]
pub struct DepositStored {
    pub lot: i64,
    pub account_id: i64,
    pub freezes: u64,
    pub resolutions: u64,
}

/// One restart (generation ≥ 1) of the server. On a cluster: one kill of a node, the
/// takeover of its rooms by the others, and its restart.
#[derive(Clone, Debug, Serialize)]
pub struct Restart {
    pub generation: u64,
    /// Killed early: before its first acknowledgement was awaited (on a cluster: the kill
    /// after this one came early, before the restarted node was awaited).
    pub early: bool,
    /// From the spawn to the ready line (on a cluster: of the killed node's restart).
    pub ready_ms: Option<f64>,
    /// From the spawn to the first `accepted` on a connection opened after it. On a
    /// cluster: from the kill to the first `accepted` for a bid sent after it in a room
    /// the killed node held (in any room if it held none still bid in).
    pub first_ack_ms: Option<f64>,
    /// Why it counts as stuck: not ready, or no acknowledgement, within the limit (on a
    /// cluster also: the killed node's rooms not taken over by another node).
    pub stuck: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failover: Option<Failover>,
}

/// A cluster's kill: which node died holding which rooms, and who took them.
#[derive(Clone, Debug, Serialize)]
pub struct Failover {
    pub node: String,
    /// The run's rooms whose lease it held when it was killed.
    pub held: Vec<i64>,
    /// From the kill until another node held every one of them (or it had closed).
    pub taken_over_ms: Option<f64>,
    /// The nodes that hold them then.
    pub taken_by: Vec<String>,
}

/// The run's figures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Figures {
    pub bids_sent: u64,
    pub acknowledged: u64,
    pub refused: u64,
    pub refused_by_code: BTreeMap<String, u64>,
    /// Bids sent again after a kill, and how many of those were acknowledged.
    pub resent: u64,
    pub resent_acknowledged: u64,
    pub unanswered: u64,
    pub missing: u64,
    pub duplicated: u64,
    pub refused_present: u64,
    pub unacknowledged_rows: u64,
    pub seq_gaps: u64,
    pub seq_backwards: u64,
    pub resyncs: u64,
    pub gaps_healed: u64,
}

pub struct Verdict {
    pub figures: Figures,
    pub checks: Vec<Check>,
}

/// Judges the run.
pub fn judge(
    told: &[RoomTold],
    stored: &[RoomStored],
    money: &MoneyStored,
    restarts: &[Restart],
) -> Verdict {
    let mut figures = Figures::default();
    let mut problems = Problems::default();
    let stored_by_lot: HashMap<i64, &RoomStored> =
        stored.iter().map(|room| (room.lot, room)).collect();
    for room in told {
        let Some(stored) = stored_by_lot.get(&room.lot) else {
            problems
                .closed
                .push(format!("lot {}: nothing read back", room.lot));
            continue;
        };
        judge_room(room, stored, &mut figures, &mut problems);
    }
    let checks = vec![
        Check::new(
            "acknowledged bids missing = 0",
            figures.missing == 0,
            problems.detail(
                &problems.missing,
                format!(
                    "{} acknowledged, {} missing",
                    figures.acknowledged, figures.missing
                ),
            ),
        ),
        Check::new(
            "acknowledged bids duplicated = 0",
            figures.duplicated == 0,
            problems.detail(
                &problems.duplicated,
                format!("{} duplicated", figures.duplicated),
            ),
        ),
        Check::new(
            "refused bids present = 0",
            figures.unacknowledged_rows == 0,
            problems.detail(
                &problems.present,
                format!(
                    "{} refused bids stored; {} stored bids no answer acknowledged",
                    figures.refused_present, figures.unacknowledged_rows
                ),
            ),
        ),
        Check::new(
            "every bid answered",
            figures.unanswered == 0,
            format!(
                "{} sent, {} acknowledged, {} refused, {} never answered",
                figures.bids_sent, figures.acknowledged, figures.refused, figures.unanswered
            ),
        ),
        Check::new(
            "seq gaps = 0",
            figures.seq_gaps + figures.seq_backwards == 0 && problems.sequence.is_empty(),
            problems.detail(
                &problems.sequence,
                format!(
                    "{} gaps, {} backwards; {} snapshots on a rejoin{}",
                    figures.seq_gaps,
                    figures.seq_backwards,
                    figures.resyncs,
                    if figures.gaps_healed > 0 {
                        format!(
                            "; {} live gaps healed by joining again",
                            figures.gaps_healed
                        )
                    } else {
                        String::new()
                    }
                ),
            ),
        ),
        Check::new(
            "recovered price and leader = highest acknowledged bid",
            problems.recovered.is_empty(),
            problems.detail(
                &problems.recovered,
                format!(
                    "{} recoveries and {} results agree",
                    told.iter().map(|room| room.recoveries.len()).sum::<usize>(),
                    stored.len()
                ),
            ),
        ),
        Check::new(
            "every room closed",
            problems.closed.is_empty(),
            problems.detail(&problems.closed, format!("{} rooms closed", stored.len())),
        ),
        ledger(money),
        deposits(money, stored),
        restarts_check(restarts),
    ];
    Verdict { figures, checks }
}

#[derive(Default)]
struct Problems {
    missing: Vec<String>,
    duplicated: Vec<String>,
    present: Vec<String>,
    sequence: Vec<String>,
    recovered: Vec<String>,
    closed: Vec<String>,
}

impl Problems {
    /// The summary, and the first few problems.
    fn detail(&self, list: &[String], summary: String) -> String {
        if list.is_empty() {
            return summary;
        }
        let shown: Vec<&str> = list.iter().take(5).map(String::as_str).collect();
        format!("{summary}: {}", shown.join("; "))
    }
}

fn judge_room(
    room: &RoomTold,
    stored: &RoomStored,
    figures: &mut Figures,
    problems: &mut Problems,
) {
    let lot = room.lot;
    let rows: HashMap<u64, &Bid> = stored.rows.iter().map(|row| (row.seq, row)).collect();
    let mut acked: BTreeMap<u64, &Bid> = BTreeMap::new();
    // Each refused or unanswered bid's answer ("too_low", "error:internal", "unanswered")
    // and how many times it was sent again.
    let mut refused: HashMap<(&str, i64), (&str, u32)> = HashMap::new();
    for bid in &room.sent {
        figures.bids_sent += 1;
        if bid.resends > 0 {
            figures.resent += 1;
            if matches!(bid.answer, Answer::Accepted(_)) {
                figures.resent_acknowledged += 1;
            }
        }
        match &bid.answer {
            Answer::Accepted(answer) => {
                figures.acknowledged += 1;
                let first = acked.insert(answer.seq, answer).is_none();
                if !first || rows.get(&answer.seq) != Some(&answer) {
                    figures.missing += 1;
                    problems.missing.push(format!(
                        "lot {lot}: req {} of bidder {} acknowledged as seq {} at {} cents; stored {:?}",
                        bid.req,
                        bid.bidder,
                        answer.seq,
                        answer.amount_cents,
                        rows.get(&answer.seq)
                    ));
                }
            }
            Answer::Refused(code) => {
                figures.refused += 1;
                *figures.refused_by_code.entry(code.clone()).or_default() += 1;
                refused.insert(
                    (bid.bidder.as_str(), bid.amount_cents),
                    (code.as_str(), bid.resends),
                );
            }
            Answer::Unanswered => {
                figures.unanswered += 1;
                refused.insert(
                    (bid.bidder.as_str(), bid.amount_cents),
                    ("unanswered", bid.resends),
                );
            }
        }
    }
    // A bid event a member was sent is acknowledged to the room.
    for seen in &room.seen {
        if rows.get(&seen.seq) != Some(&seen) {
            figures.missing += 1;
            problems.missing.push(format!(
                "lot {lot}: a member saw seq {} at {} cents by {}; stored {:?}",
                seen.seq,
                seen.amount_cents,
                seen.bidder,
                rows.get(&seen.seq)
            ));
        }
    }
    if room.seen_conflicts > 0 {
        figures.missing += room.seen_conflicts;
        problems.missing.push(format!(
            "lot {lot}: members saw {} different bids under one seq",
            room.seen_conflicts
        ));
    }

    let mut by_bid: HashMap<(&str, i64), u64> = HashMap::new();
    for row in &stored.rows {
        *by_bid
            .entry((row.bidder.as_str(), row.amount_cents))
            .or_default() += 1;
        if !acked.contains_key(&row.seq) {
            figures.unacknowledged_rows += 1;
            let answer = refused.get(&(row.bidder.as_str(), row.amount_cents));
            if answer.is_some() {
                figures.refused_present += 1;
            }
            problems.present.push(format!(
                "lot {lot}: seq {} at {} cents by {} is stored{}",
                row.seq,
                row.amount_cents,
                row.bidder,
                match answer {
                    Some((answer, resends)) => format!(
                        " though its bid was answered {answer} (sent again {resends} times)"
                    ),
                    None => " and was acknowledged to nobody".to_owned(),
                }
            ));
        }
    }
    for ((bidder, amount_cents), count) in by_bid {
        if count > 1 {
            figures.duplicated += count - 1;
            problems.duplicated.push(format!(
                "lot {lot}: bidder {bidder}'s bid at {amount_cents} cents stored {count} times"
            ));
        }
    }

    for member in &room.members {
        figures.seq_gaps += member.gaps;
        figures.seq_backwards += member.backwards;
        figures.resyncs += member.resyncs;
        figures.gaps_healed += member.healed;
    }
    for pair in stored.rows.windows(2) {
        if pair[1].seq <= pair[0].seq || pair[1].amount_cents <= pair[0].amount_cents {
            problems.sequence.push(format!(
                "lot {lot}: stored seq {} at {} cents follows seq {} at {} cents",
                pair[1].seq, pair[1].amount_cents, pair[0].seq, pair[0].amount_cents
            ));
        }
    }

    recovered(room, stored, &acked, problems);
}

/// After each restart and at the end, the room stands at its highest acknowledged bid.
fn recovered(
    room: &RoomTold,
    stored: &RoomStored,
    acked: &BTreeMap<u64, &Bid>,
    problems: &mut Problems,
) {
    let lot = room.lot;
    let highest_through = |seq: u64| acked.range(..=seq).next_back().map(|(_, bid)| *bid);
    for recovery in &room.recoveries {
        let expected = highest_through(recovery.seq);
        let stands = (recovery.price_cents, recovery.leader.as_deref());
        let behind = recovery
            .acked_before
            .as_ref()
            .is_some_and(|before| recovery.seq < before.seq);
        if behind || stands != standing(expected) {
            problems.recovered.push(format!(
                "lot {lot}: after restart {} the room stood at seq {} price {:?} leader {:?}; acknowledged before the kill {:?}, expected {:?}",
                recovery.generation,
                recovery.seq,
                recovery.price_cents,
                recovery.leader,
                recovery.acked_before,
                expected
            ));
        }
    }
    let last = acked.values().next_back().copied();
    let expected_status = if last.is_some() { "sold" } else { "unsold" };
    if stored.status != expected_status
        || (stored.price_cents, stored.winner.as_deref()) != standing(last)
        || stored.bid_count != acked.len() as u64
    {
        problems.recovered.push(format!(
            "lot {lot}: the result is {} at {:?} to {:?} with {} bids; acknowledged: {} bids, the highest {last:?}",
            stored.status,
            stored.price_cents,
            stored.winner,
            stored.bid_count,
            acked.len()
        ));
    }
    let snapshot = &stored.snapshot;
    if (snapshot.price_cents, snapshot.leader.as_deref()) != standing(last)
        || last.is_some_and(|bid| snapshot.seq < bid.seq)
    {
        problems.recovered.push(format!(
            "lot {lot}: the final snapshot stands at seq {} price {:?} leader {:?}; the highest acknowledged {last:?}",
            snapshot.seq, snapshot.price_cents, snapshot.leader
        ));
    }
    if !matches!(stored.status.as_str(), "sold" | "unsold") || snapshot.state != "closed" {
        problems.closed.push(format!(
            "lot {lot}: {} (its snapshot says {})",
            stored.status, snapshot.state
        ));
    }
}

fn standing(bid: Option<&Bid>) -> (Option<i64>, Option<&str>) {
    (
        bid.map(|bid| bid.amount_cents),
        bid.map(|bid| bid.bidder.as_str()),
    )
}

fn ledger(money: &MoneyStored) -> Check {
    let passed = money.consistent && money.findings.is_empty();
    Check::new(
        "ledger reconciled",
        passed,
        if money.findings.is_empty() {
            format!("consistent: {}", money.consistent)
        } else {
            format!(
                "consistent: {}; {}",
                money.consistent,
                money.findings.join("; ")
            )
        },
    )
}

/// Every deposit of the run frozen once and, its lot closed, released or applied once.
fn deposits(money: &MoneyStored, stored: &[RoomStored]) -> Check {
    let delta = |status: &str| {
        money.holds.get(status).copied().unwrap_or(0) as i64
            - money.holds_before.get(status).copied().unwrap_or(0) as i64
    };
    let registrations = money.deposits.len() as i64;
    let sold = stored.iter().filter(|room| room.status == "sold").count() as i64;
    let mut problems = Vec::new();
    if delta("held") != 0 {
        problems.push(format!("{} more deposits held", delta("held")));
    }
    if delta("released") + delta("applied") != registrations {
        problems.push(format!(
            "{} released and {} applied of {registrations} deposits",
            delta("released"),
            delta("applied")
        ));
    }
    if delta("applied") != sold {
        problems.push(format!(
            "{} deposits applied for {sold} lots sold",
            delta("applied")
        ));
    }
    if delta("forfeited") != 0 {
        problems.push(format!("{} deposits forfeited", delta("forfeited")));
    }
    for deposit in &money.deposits {
        if deposit.freezes != 1 || deposit.resolutions != 1 {
            problems.push(format!(
                "lot {} account {}: frozen {} times, released or applied {} times",
                deposit.lot, deposit.account_id, deposit.freezes, deposit.resolutions
            ));
        }
    }
    for (account, cents) in &money.frozen_wallets {
        problems.push(format!("account {account} still has {cents} cents frozen"));
    }
    let shown: Vec<&str> = problems.iter().take(5).map(String::as_str).collect();
    Check::new(
        "every deposit accounted for once",
        problems.is_empty(),
        if problems.is_empty() {
            format!(
                "{registrations} deposits: {} released, {} applied",
                delta("released"),
                delta("applied")
            )
        } else {
            shown.join("; ")
        },
    )
}

fn restarts_check(restarts: &[Restart]) -> Check {
    let stuck: Vec<String> = restarts
        .iter()
        .filter_map(|restart| {
            restart
                .stuck
                .as_ref()
                .map(|why| format!("restart {}: {why}", restart.generation))
        })
        .collect();
    let shown: Vec<&str> = stuck.iter().take(5).map(String::as_str).collect();
    let failovers: Vec<&Failover> = restarts
        .iter()
        .filter_map(|restart| restart.failover.as_ref())
        .collect();
    Check::new(
        "every restart recovered",
        stuck.is_empty(),
        if stuck.is_empty() && !failovers.is_empty() {
            format!(
                "{} kills: each killed node's rooms taken over by another node (within {:.0} ms), and the node back",
                restarts.len(),
                failovers
                    .iter()
                    .filter_map(|failover| failover.taken_over_ms)
                    .fold(0.0, f64::max)
            )
        } else if stuck.is_empty() {
            format!("{} restarts", restarts.len())
        } else {
            format!("{} stuck: {}", stuck.len(), shown.join("; "))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOT: i64 = 7;

    fn bid(seq: u64, amount_cents: i64, bidder: &str) -> Bid {
        Bid {
            seq,
            amount_cents,
            bidder: bidder.to_owned(),
        }
    }

    fn sent(req: u64, answer: Answer, amount_cents: i64, bidder: &str) -> SentBid {
        SentBid {
            bidder: bidder.to_owned(),
            req,
            amount_cents,
            resends: 0,
            answer,
        }
    }

    /// Bidder "11" bid 1000.00 (seq 2) and "22" 1010.00 (seq 3); "11"'s 1010.00 was refused
    /// as too low; the server was killed after seq 2 and came back standing at it; the lot
    /// closed (seq 4) sold to "22".
    fn told() -> RoomTold {
        RoomTold {
            lot: LOT,
            sent: vec![
                sent(1, Answer::Accepted(bid(2, 100_000, "11")), 100_000, "11"),
                sent(1, Answer::Accepted(bid(3, 101_000, "22")), 101_000, "22"),
                sent(2, Answer::Refused("too_low".to_owned()), 101_000, "11"),
            ],
            seen: vec![bid(2, 100_000, "11"), bid(3, 101_000, "22")],
            seen_conflicts: 0,
            members: vec![SeqTrack::default(), SeqTrack::default()],
            recoveries: vec![Recovery {
                generation: 1,
                acked_before: Some(bid(2, 100_000, "11")),
                seq: 2,
                price_cents: Some(100_000),
                leader: Some("11".to_owned()),
            }],
        }
    }

    fn stored() -> RoomStored {
        RoomStored {
            lot: LOT,
            rows: vec![bid(2, 100_000, "11"), bid(3, 101_000, "22")],
            status: "sold".to_owned(),
            price_cents: Some(101_000),
            winner: Some("22".to_owned()),
            bid_count: 2,
            snapshot: FinalSnapshot {
                state: "closed".to_owned(),
                seq: 4,
                price_cents: Some(101_000),
                leader: Some("22".to_owned()),
            },
        }
    }

    fn money() -> MoneyStored {
        MoneyStored {
            consistent: true,
            findings: Vec::new(),
            holds: BTreeMap::from([("released".to_owned(), 1), ("applied".to_owned(), 1)]),
            holds_before: BTreeMap::new(),
            deposits: ["11", "22"]
                .iter()
                .enumerate()
                .map(|(account, _)| DepositStored {
                    lot: LOT,
                    account_id: account as i64 + 1,
                    freezes: 1,
                    resolutions: 1,
                })
                .collect(),
            frozen_wallets: Vec::new(),
        }
    }

    fn restarts() -> Vec<Restart> {
        vec![Restart {
            generation: 1,
            early: false,
            ready_ms: Some(80.0),
            first_ack_ms: Some(120.0),
            stuck: None,
            failover: None,
        }]
    }

    fn failed(told: RoomTold, stored: RoomStored, money: MoneyStored) -> Vec<String> {
        judge(&[told], &[stored], &money, &restarts())
            .checks
            .into_iter()
            .filter(|check| !check.passed)
            .map(|check| check.name)
            .collect()
    }

    #[test]
    fn a_faithful_run_passes_every_check() {
        let verdict = judge(&[told()], &[stored()], &money(), &restarts());
        let failed: Vec<&Check> = verdict
            .checks
            .iter()
            .filter(|check| !check.passed)
            .collect();
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!(verdict.figures.acknowledged, 2);
        assert_eq!(verdict.figures.missing, 0);
    }

    #[test]
    fn a_missing_acknowledged_bid_fails_the_run() {
        let mut stored = stored();
        stored.rows.remove(0);
        let failed = failed(told(), stored, money());
        assert!(
            failed.contains(&"acknowledged bids missing = 0".to_owned()),
            "{failed:?}"
        );
    }

    #[test]
    fn one_row_answering_two_bids_is_a_missing_bid() {
        // The journal's "already stored, skip it" taking another bid's row for its own:
        // two bids acknowledged under one seq, one row.
        let mut told = told();
        told.sent.push(sent(
            3,
            Answer::Accepted(bid(3, 101_000, "22")),
            101_000,
            "22",
        ));
        let verdict = judge(&[told], &[stored()], &money(), &restarts());
        assert_eq!(verdict.figures.missing, 1);
    }

    #[test]
    fn a_bid_stored_twice_fails_the_run() {
        let mut stored = stored();
        stored.rows.push(bid(5, 101_000, "22"));
        let failed = failed(told(), stored, money());
        assert!(
            failed.contains(&"acknowledged bids duplicated = 0".to_owned()),
            "{failed:?}"
        );
    }

    #[test]
    fn a_refused_bid_in_the_journal_fails_the_run() {
        let mut stored = stored();
        stored.rows.push(bid(4, 102_000, "11"));
        let mut told = told();
        told.sent.push(sent(
            3,
            Answer::Refused("error:internal".to_owned()),
            102_000,
            "11",
        ));
        let verdict = judge(&[told], &[stored], &money(), &restarts());
        assert_eq!(verdict.figures.refused_present, 1);
        let check = verdict
            .checks
            .iter()
            .find(|check| check.name == "refused bids present = 0")
            .unwrap();
        assert!(!check.passed);
    }

    #[test]
    fn an_unanswered_bid_fails_the_run() {
        let mut told = told();
        told.sent.push(sent(3, Answer::Unanswered, 102_000, "11"));
        assert_eq!(
            failed(told, stored(), money()),
            ["every bid answered".to_owned()]
        );
    }

    #[test]
    fn a_seq_gap_fails_the_run() {
        let mut told = told();
        told.members[1].gaps = 1;
        assert_eq!(failed(told, stored(), money()), ["seq gaps = 0".to_owned()]);
    }

    #[test]
    fn a_live_gap_healed_by_joining_again_passes_and_is_counted() {
        let mut told = told();
        told.members[0].healed = 2;
        let verdict = judge(&[told], &[stored()], &money(), &restarts());
        assert!(verdict.checks.iter().all(|check| check.passed));
        assert_eq!(verdict.figures.gaps_healed, 2);
        assert_eq!(verdict.figures.seq_gaps, 0);
    }

    #[test]
    fn a_room_recovered_below_its_acknowledged_bid_fails_the_run() {
        let mut told = told();
        told.recoveries[0] = Recovery {
            generation: 1,
            acked_before: Some(bid(2, 100_000, "11")),
            seq: 1,
            price_cents: None,
            leader: None,
        };
        assert_eq!(
            failed(told, stored(), money()),
            ["recovered price and leader = highest acknowledged bid".to_owned()]
        );
    }

    #[test]
    fn a_deposit_released_twice_fails_the_run() {
        let mut money = money();
        money.deposits[0].resolutions = 2;
        assert_eq!(
            failed(told(), stored(), money),
            ["every deposit accounted for once".to_owned()]
        );
    }

    #[test]
    fn a_deposit_still_held_fails_the_run() {
        let mut money = money();
        money.holds = BTreeMap::from([("held".to_owned(), 1), ("applied".to_owned(), 1)]);
        assert_eq!(
            failed(told(), stored(), money),
            ["every deposit accounted for once".to_owned()]
        );
    }

    #[test]
    fn an_unreconciled_ledger_fails_the_run() {
        let mut money = money();
        money.consistent = false;
        money
            .findings
            .push("unbalanced transactions [9]".to_owned());
        assert_eq!(
            failed(told(), stored(), money),
            ["ledger reconciled".to_owned()]
        );
    }

    #[test]
    fn a_stuck_restart_fails_the_run() {
        let mut restarts = restarts();
        restarts[0].stuck = Some("not ready within 30 s".to_owned());
        let verdict = judge(&[told()], &[stored()], &money(), &restarts);
        let failed: Vec<&str> = verdict
            .checks
            .iter()
            .filter(|check| !check.passed)
            .map(|check| check.name.as_str())
            .collect();
        assert_eq!(failed, ["every restart recovered"]);
    }
}
