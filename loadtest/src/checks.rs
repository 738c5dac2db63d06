//! What the run checks of what it saw: every connection's `seq` contiguous, every accepted
//! bid seen by every member of its room, every bid answered, and the final prices equal to
//! the server's results.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::api::LotOutcome;
use crate::bidder::BidderOutcome;
use crate::metrics;
use crate::room::{AcceptedBid, RoomRecord, Sight};
use crate::wire::parse_cents;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

impl Check {
    pub fn new(name: &str, passed: bool, detail: String) -> Check {
        Check {
            name: name.to_owned(),
            passed,
            detail,
        }
    }
}

/// The checks of a bidding scenario. `deadline_ms` is the common deadline of a closing
/// storm, which no accepted bid may be at or after.
pub fn bidding(
    rooms: &[Arc<RoomRecord>],
    outcomes: &[LotOutcome],
    bidders: &[BidderOutcome],
    watchers: &[Sight],
    deadline_ms: Option<i64>,
    failed_connections: usize,
) -> Vec<Check> {
    let truths: HashMap<i64, Vec<AcceptedBid>> = rooms
        .iter()
        .map(|room| {
            let mut bids = room.accepted.lock().expect("accepted bids").clone();
            bids.sort_by_key(|bid| bid.seq);
            (room.lot, bids)
        })
        .collect();
    let sights: Vec<&Sight> = bidders
        .iter()
        .map(|bidder| &bidder.sight)
        .chain(watchers)
        .collect();
    let mut checks = vec![
        Check::new(
            "every connection opened",
            failed_connections == 0,
            format!("{failed_connections} failed"),
        ),
        sequences(&sights),
        closes_seen(&sights),
        bids_seen(&sights, &truths),
        answers(bidders),
        final_prices(rooms, outcomes, &truths, &sights),
    ];
    if let Some(deadline_ms) = deadline_ms {
        checks.push(nothing_after_deadline(&truths, deadline_ms));
    }
    let errors = metrics::global().counts().errors;
    checks.push(Check::new(
        "no errors",
        errors == 0,
        format!("{errors} errors"),
    ));
    checks
}

fn sequences(sights: &[&Sight]) -> Check {
    let broken: Vec<&&Sight> = sights
        .iter()
        .filter(|sight| sight.gaps + sight.out_of_order + sight.resyncs > 0)
        .collect();
    let total = |field: fn(&Sight) -> u64| broken.iter().map(|sight| field(sight)).sum::<u64>();
    Check::new(
        "seq contiguous on every connection",
        broken.is_empty(),
        format!(
            "{} of {} connections broke: {} gaps, {} out of order, {} resyncs",
            broken.len(),
            sights.len(),
            total(|sight| sight.gaps),
            total(|sight| sight.out_of_order),
            total(|sight| sight.resyncs)
        ),
    )
}

fn closes_seen(sights: &[&Sight]) -> Check {
    let missing = sights.iter().filter(|sight| sight.closed.is_none()).count();
    Check::new(
        "every connection saw its room close",
        missing == 0,
        format!("{missing} of {} did not", sights.len()),
    )
}

/// Each member saw, between its join and the close, exactly the accepted bids in that
/// range: the same count and the same digest of (seq, amount, bidder).
fn bids_seen(sights: &[&Sight], truths: &HashMap<i64, Vec<AcceptedBid>>) -> Check {
    let mut wrong = 0;
    let mut missed = 0u64;
    for sight in sights {
        let Some(closed) = &sight.closed else {
            continue;
        };
        let empty = Vec::new();
        let truth = truths.get(&sight.lot).unwrap_or(&empty);
        let (count, digest) = truth
            .iter()
            .filter(|bid| bid.seq > sight.joined_seq && bid.seq < closed.seq)
            .fold((0u64, 0u64), |(count, digest), bid| {
                (count + 1, digest.wrapping_add(bid.fingerprint()))
            });
        if count != sight.bids_seen || digest != sight.bid_digest {
            wrong += 1;
            missed += count.saturating_sub(sight.bids_seen);
        }
    }
    let seen: u64 = sights.iter().map(|sight| sight.bids_seen).sum();
    Check::new(
        "every accepted bid seen by every member of its room",
        wrong == 0,
        format!(
            "{seen} bid events seen; {wrong} connections differ from the accepted bids ({missed} missed)"
        ),
    )
}

fn answers(bidders: &[BidderOutcome]) -> Check {
    let unanswered: u64 = bidders.iter().map(|bidder| bidder.unanswered).sum();
    Check::new(
        "every bid answered",
        unanswered == 0,
        format!("{unanswered} bids without an answer"),
    )
}

/// Per room: the last accepted bid, the `closed` event every member saw, and the server's
/// `GET /lots/{id}/result` (and the bid count of `GET /lots/{id}`) all agree.
fn final_prices(
    rooms: &[Arc<RoomRecord>],
    outcomes: &[LotOutcome],
    truths: &HashMap<i64, Vec<AcceptedBid>>,
    sights: &[&Sight],
) -> Check {
    let mut problems = Vec::new();
    for (room, outcome) in rooms.iter().zip(outcomes) {
        let truth = &truths[&room.lot];
        let last = truth.last();
        let expected_price = last.and_then(|bid| parse_cents(&bid.amount));
        let expected_status = if last.is_some() { "sold" } else { "unsold" };
        let mut seqs: Vec<u64> = truth.iter().map(|bid| bid.seq).collect();
        seqs.dedup();
        if seqs.len() != truth.len() {
            problems.push(format!(
                "lot {}: two accepted answers share a seq",
                room.lot
            ));
        }
        if outcome.status != expected_status
            || outcome.price.as_deref().and_then(parse_cents) != expected_price
            || outcome.winner_bidder.as_deref() != last.map(|bid| bid.bidder.as_str())
        {
            problems.push(format!(
                "lot {}: the server says {} at {:?} to {:?}; the bidders were told {expected_status} at {:?}",
                room.lot,
                outcome.status,
                outcome.price,
                outcome.winner_bidder,
                last.map(|bid| &bid.amount)
            ));
        }
        if outcome.bid_count != truth.len() as u64 {
            problems.push(format!(
                "lot {}: the server counts {} bids; {} were answered accepted",
                room.lot,
                outcome.bid_count,
                truth.len()
            ));
        }
        let closes_differ = sights
            .iter()
            .filter(|sight| sight.lot == room.lot)
            .filter_map(|sight| sight.closed.as_ref())
            .any(|closed| closed.price.as_deref().and_then(parse_cents) != expected_price);
        if closes_differ {
            problems.push(format!(
                "lot {}: a closed event shows another price",
                room.lot
            ));
        }
    }
    let detail = if problems.is_empty() {
        format!("{} rooms agree", rooms.len())
    } else {
        let shown: Vec<&str> = problems.iter().take(5).map(String::as_str).collect();
        format!("{} problems: {}", problems.len(), shown.join("; "))
    };
    Check::new(
        "final prices equal the server's results",
        problems.is_empty(),
        detail,
    )
}

fn nothing_after_deadline(truths: &HashMap<i64, Vec<AcceptedBid>>, deadline_ms: i64) -> Check {
    let late = truths
        .values()
        .flatten()
        .filter(|bid| bid.at_ms >= deadline_ms)
        .count();
    let rejected_late = metrics::global()
        .rejections_by_code()
        .into_iter()
        .find(|(code, _)| *code == "not_open")
        .map_or(0, |(_, count)| count);
    Check::new(
        "no bid accepted at or after the deadline",
        late == 0,
        format!("{late} accepted late; {rejected_late} refused as not_open"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::room::{Closed, bid_fingerprint};

    const LOT: i64 = 7;

    /// A room whose bidders were told of two accepted bids (seq 1 and 2), then closed at
    /// seq 3 sold at 1010.00 to bidder "0427".
    fn room() -> Arc<RoomRecord> {
        let room = Arc::new(RoomRecord::new(LOT));
        for (seq, amount) in [(1, "1000.00"), (2, "1010.00")] {
            let bid = AcceptedBid {
                seq,
                amount: amount.to_owned(),
                bidder: "0427".to_owned(),
                at_ms: 1_000 + seq as i64,
            };
            room.accepted(bid, seq);
        }
        room
    }

    fn outcome() -> LotOutcome {
        LotOutcome {
            status: "sold".to_owned(),
            price: Some("1010.00".to_owned()),
            winner_bidder: Some("0427".to_owned()),
            bid_count: 2,
        }
    }

    /// A watcher that joined at seq 0 and saw both bids and the close, in order.
    fn faithful_watcher() -> Sight {
        let mut sight = Sight::new(LOT, 0);
        for (seq, amount) in [(1, "1000.00"), (2, "1010.00")] {
            sight.bids_seen += 1;
            sight.bid_digest = sight
                .bid_digest
                .wrapping_add(bid_fingerprint(seq, amount, "0427"));
            sight.last_seq = seq;
        }
        sight.last_seq = 3;
        sight.closed = Some(Closed {
            seq: 3,
            result: "sold".to_owned(),
            price: Some("1010.00".to_owned()),
            winner_bidder: Some("0427".to_owned()),
        });
        sight
    }

    fn failed(checks: &[Check]) -> Vec<&str> {
        checks
            .iter()
            .filter(|check| !check.passed)
            .map(|check| check.name.as_str())
            .collect()
    }

    fn judge(watchers: &[Sight], outcome: LotOutcome) -> Vec<Check> {
        bidding(&[room()], &[outcome], &[], watchers, None, 0)
    }

    #[test]
    fn a_faithful_run_passes_every_check() {
        let checks = judge(&[faithful_watcher()], outcome());
        assert_eq!(failed(&checks), Vec::<&str>::new());
    }

    #[test]
    fn a_gap_in_seq_fails_the_run() {
        let mut watcher = faithful_watcher();
        watcher.gaps = 1;
        let checks = judge(&[watcher], outcome());
        assert_eq!(failed(&checks), ["seq contiguous on every connection"]);
    }

    #[test]
    fn a_missed_bid_fails_the_run() {
        let mut watcher = faithful_watcher();
        watcher.bids_seen -= 1;
        watcher.bid_digest = bid_fingerprint(2, "1010.00", "0427");
        let checks = judge(&[watcher], outcome());
        assert_eq!(
            failed(&checks),
            ["every accepted bid seen by every member of its room"]
        );
    }

    #[test]
    fn a_result_other_than_the_accepted_bids_fails_the_run() {
        let mut wrong = outcome();
        wrong.price = Some("1000.00".to_owned());
        let checks = judge(&[faithful_watcher()], wrong);
        assert_eq!(failed(&checks), ["final prices equal the server's results"]);
    }

    #[test]
    fn a_room_that_never_closed_for_a_watcher_fails_the_run() {
        let mut watcher = faithful_watcher();
        watcher.closed = None;
        let checks = judge(&[watcher], outcome());
        assert_eq!(failed(&checks), ["every connection saw its room close"]);
    }

    #[test]
    fn a_bid_accepted_at_the_deadline_fails_a_closing_storm() {
        let checks = bidding(
            &[room()],
            &[outcome()],
            &[],
            &[faithful_watcher()],
            Some(1_002),
            0,
        );
        assert_eq!(
            failed(&checks),
            ["no bid accepted at or after the deadline"]
        );
    }
}
