//! The room's recent published frames: what a rejoining member missed, and the last bids
//! a snapshot lists.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::limits::{RECENT_BIDS, REPLAY_WINDOW_EVENTS};
use crate::realtime::protocol::{BidDetails, EventBody, RoomFrame};

/// The last `REPLAY_WINDOW_EVENTS` frames the room published, and the last `RECENT_BIDS`
/// bids among everything it published.
///
/// A member that rejoins with the seq it last saw (`since_seq`) is sent only the frames it
/// missed, as long as the window still holds all of them; otherwise it gets a snapshot. A
/// bid sent again is answered from its frame here while the window holds it. Only
/// published events enter (at start, the journal's history), so nothing here can still be
/// lost. The recent bids are kept apart from the window: a run of other events may push a
/// bid out of the window, but a snapshot still lists it.
pub(super) struct ReplayWindow {
    /// Oldest first.
    frames: VecDeque<Arc<RoomFrame>>,
    /// Oldest first.
    recent_bids: VecDeque<BidDetails>,
}

impl ReplayWindow {
    pub fn new() -> ReplayWindow {
        ReplayWindow {
            frames: VecDeque::new(),
            recent_bids: VecDeque::new(),
        }
    }

    /// A frame just published (or read back from the journal at start), after every frame
    /// remembered before it.
    pub fn remember(&mut self, frame: Arc<RoomFrame>) {
        if let EventBody::Bid(bid) = frame.body() {
            self.recent_bids.push_back(bid.clone());
            if self.recent_bids.len() > RECENT_BIDS {
                self.recent_bids.pop_front();
            }
        }
        self.frames.push_back(frame);
        if self.frames.len() > REPLAY_WINDOW_EVENTS {
            self.frames.pop_front();
        }
    }

    /// The published events after `since`, if the window still holds them all; the room
    /// has published up to `published_seq`.
    pub fn missed_since(&self, since: u64, published_seq: u64) -> Option<Vec<Arc<RoomFrame>>> {
        if since > published_seq {
            return None;
        }
        if since == published_seq {
            return Some(Vec::new());
        }
        let oldest = self.frames.front()?.seq?;
        if since + 1 < oldest {
            return None;
        }
        Some(
            self.frames
                .iter()
                .filter(|frame| frame.seq.is_some_and(|seq| seq > since))
                .cloned()
                .collect(),
        )
    }

    /// The published bid of this seq, while the window holds it.
    pub fn bid(&self, seq: u64) -> Option<&BidDetails> {
        match self
            .frames
            .iter()
            .find(|frame| frame.seq == Some(seq))?
            .body()
        {
            EventBody::Bid(bid) => Some(bid),
            _ => None,
        }
    }

    /// The last bids published, oldest first.
    pub fn recent_bids(&self) -> impl Iterator<Item = &BidDetails> {
        self.recent_bids.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;

    const LOT: i64 = 7;

    fn bid_frame(seq: u64) -> Arc<RoomFrame> {
        let amount = Money::parse("1000.00").unwrap();
        RoomFrame::new(EventBody::Bid(BidDetails {
            lot: LOT,
            seq,
            amount,
            bidder: Arc::from("0401"),
            at_ms: 1_000 + seq as i64,
            deadline_ms: 60_000,
            price: amount,
            phase: "free",
            account_id: 1,
            display_name: Arc::from("Alice"),
        }))
    }

    fn announcement_frame(seq: u64) -> Arc<RoomFrame> {
        RoomFrame::new(EventBody::Announcement {
            lot: LOT,
            seq,
            text: Arc::from("viewing at noon"),
            req: None,
        })
    }

    /// A window that has remembered the announcements `1..=last`.
    fn window_through(last: u64) -> ReplayWindow {
        let mut window = ReplayWindow::new();
        for seq in 1..=last {
            window.remember(announcement_frame(seq));
        }
        window
    }

    fn seqs(frames: &[Arc<RoomFrame>]) -> Vec<u64> {
        frames.iter().filter_map(|frame| frame.seq).collect()
    }

    #[test]
    fn a_since_seq_inside_the_window_answers_exactly_the_missed_frames() {
        let window = window_through(10);
        let missed = window.missed_since(7, 10).expect("inside the window");
        assert_eq!(seqs(&missed), vec![8, 9, 10]);
        let missed = window
            .missed_since(0, 10)
            .expect("the window holds seq 1 on");
        assert_eq!(seqs(&missed), (1..=10).collect::<Vec<_>>());
    }

    #[test]
    fn a_member_that_saw_the_last_event_missed_nothing() {
        assert_eq!(
            window_through(10).missed_since(10, 10).map(|m| m.len()),
            Some(0)
        );
        // Even with nothing remembered (a room that has published nothing yet).
        assert_eq!(
            ReplayWindow::new().missed_since(0, 0).map(|m| m.len()),
            Some(0)
        );
    }

    #[test]
    fn a_since_seq_older_than_the_window_answers_none() {
        let last = REPLAY_WINDOW_EVENTS as u64 + 5;
        let window = window_through(last);
        // The window holds seq 6 on: a member that saw seq 5 missed only what it holds.
        let missed = window
            .missed_since(5, last)
            .expect("seq 6 on is in the window");
        assert_eq!(missed.len(), REPLAY_WINDOW_EVENTS);
        assert_eq!(missed.first().and_then(|frame| frame.seq), Some(6));
        assert!(window.missed_since(4, last).is_none(), "seq 5 has left it");
        assert!(window.missed_since(0, last).is_none());
    }

    #[test]
    fn a_since_seq_past_what_was_published_answers_none() {
        assert!(window_through(10).missed_since(11, 10).is_none());
        // Published past an empty window (no history kept): nothing to replay from.
        assert!(ReplayWindow::new().missed_since(3, 5).is_none());
    }

    #[test]
    fn a_bid_is_found_by_its_seq_while_the_window_holds_it() {
        let mut window = ReplayWindow::new();
        window.remember(bid_frame(1));
        window.remember(announcement_frame(2));
        assert_eq!(window.bid(1).map(|bid| bid.seq), Some(1));
        assert!(window.bid(2).is_none(), "seq 2 is not a bid");
        assert!(window.bid(3).is_none());
        for seq in 3..=REPLAY_WINDOW_EVENTS as u64 + 1 {
            window.remember(announcement_frame(seq));
        }
        assert!(window.bid(1).is_none(), "pushed out of the window");
    }

    #[test]
    fn recent_bids_keep_the_last_bids_after_they_leave_the_window() {
        let mut window = ReplayWindow::new();
        let bids = RECENT_BIDS as u64 + 5;
        for seq in 1..=bids {
            window.remember(bid_frame(seq));
        }
        for seq in bids + 1..=bids + REPLAY_WINDOW_EVENTS as u64 {
            window.remember(announcement_frame(seq));
        }
        let recent: Vec<u64> = window.recent_bids().map(|bid| bid.seq).collect();
        assert_eq!(
            recent,
            (6..=bids).collect::<Vec<_>>(),
            "the last ones, oldest first"
        );
        assert!(window.bid(bids).is_none(), "no longer in the window itself");
    }
}
