//! Every pace of the demo in one place: when lots open and how long they run, how often
//! new ones come, and how quickly the demo bidders answer one another.
//!
//! The default is a human pace: a newcomer who opens the page at any moment finds a room
//! that is live or opens within a minute, and sees a bid every few seconds. Tests take
//! [`DemoTimings::quick`], the same shape in seconds instead of minutes.

use std::ops::Range;
use std::time::Duration;

use rand::Rng;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoTimings {
    /// When the first seeded lot opens after the start (its room is published at once, so
    /// the page lists it): long enough for a newcomer to sign in before the first bid.
    pub first_lot_opens_after: Duration,
    /// The seeded lots open one after the other, this far apart.
    pub seeded_lots_apart: Duration,
    /// How often the scheduler looks at the live lots and opens a new one when there are
    /// fewer than [`DemoTimings::max_live_lots`]. With lots of 2 to 4 minutes plus their
    /// extensions and one every 2 minutes, one or two rooms are live at any time.
    pub lot_interval: Duration,
    /// How long before its opening a scheduled lot is published (applications, approvals
    /// and deposits happen in this time, through the API).
    pub lot_published_before_opening: Duration,
    /// A lot's first deadline after its opening, drawn from this range: free bidding, then
    /// the last extension window of timed bidding. The seeded lots take its start, middle
    /// and end, so that they do not all close together.
    pub lot_runs_for: Range<Duration>,
    /// The extension window W (whole seconds): a bid with less than W left moves the
    /// deadline to W after it.
    pub extension_window: Duration,
    /// No new lot while this many demo lots are published or live: keeps the demo's CPU
    /// and the page's list modest however long the server runs.
    pub max_live_lots: usize,
    /// How long a demo bidder waits, drawn from this range, before the first bid of a
    /// lot that has just opened: the room comes alive at once.
    pub opening_bid_reply: Range<Duration>,
    /// How long a demo bidder waits, drawn from this range, before answering a bid in free
    /// bidding. Slower than timed bidding (with two bidders answering, about one bid every
    /// 4 + 11/3 ≈ 8 s), so that with the ceilings below most lots reach timed bidding and
    /// are extended.
    pub free_bidding_reply: Range<Duration>,
    /// The same in timed bidding, where the room is livelier; never later than
    /// [`DemoTimings::timed_bidding_margin`] before the deadline, so that its bids extend
    /// the lot rather than arrive too late.
    pub timed_bidding_reply: Range<Duration>,
    /// How close to the deadline a demo bidder still dares to bid.
    pub timed_bidding_margin: Duration,
    /// How far above the start price each demo bidder goes in a lot, in increments, drawn
    /// anew for every bidder and lot: the second-highest ceiling decides where the lot
    /// ends, so lots end at varied prices and the room keeps going for a while. At the
    /// human pace: 1.5 to 3.5 min of free bidding at ~8 s a bid takes some 11 to 26
    /// increments; the second-highest of three ceilings from 15..60 is ~37 on average, so
    /// the rest is bid in timed bidding at ~5 s a bid, each bid extending the lot.
    pub ceiling_increments: Range<u64>,
    /// A demo bidder whose connection dropped (not at shutdown) reconnects after this.
    pub reconnect_after: Duration,
}

impl Default for DemoTimings {
    fn default() -> DemoTimings {
        DemoTimings {
            first_lot_opens_after: Duration::from_secs(30),
            seeded_lots_apart: Duration::from_secs(15),
            lot_interval: Duration::from_secs(120),
            lot_published_before_opening: Duration::from_secs(45),
            lot_runs_for: Duration::from_secs(120)..Duration::from_secs(240),
            extension_window: Duration::from_secs(30),
            max_live_lots: 4,
            opening_bid_reply: Duration::from_secs(2)..Duration::from_secs(8),
            free_bidding_reply: Duration::from_secs(4)..Duration::from_secs(15),
            timed_bidding_reply: Duration::from_secs(2)..Duration::from_secs(12),
            timed_bidding_margin: Duration::from_secs(2),
            ceiling_increments: 15..60,
            reconnect_after: Duration::from_secs(2),
        }
    }
}

impl DemoTimings {
    /// The demo in seconds, for tests: a lot opens a second after the start and runs a few
    /// seconds; bidders answer within a fraction of a second.
    pub fn quick() -> DemoTimings {
        DemoTimings {
            first_lot_opens_after: Duration::from_millis(1_500),
            seeded_lots_apart: Duration::from_millis(500),
            lot_interval: Duration::from_secs(2),
            lot_published_before_opening: Duration::from_millis(1_500),
            lot_runs_for: Duration::from_secs(4)..Duration::from_secs(6),
            extension_window: Duration::from_secs(2),
            max_live_lots: 4,
            opening_bid_reply: Duration::from_millis(100)..Duration::from_millis(300),
            free_bidding_reply: Duration::from_millis(150)..Duration::from_millis(500),
            timed_bidding_reply: Duration::from_millis(100)..Duration::from_millis(400),
            timed_bidding_margin: Duration::from_millis(300),
            ceiling_increments: 3..10,
            reconnect_after: Duration::from_millis(200),
        }
    }

    pub fn extension_window_secs(&self) -> u32 {
        u32::try_from(self.extension_window.as_secs().max(1)).unwrap_or(u32::MAX)
    }
}

/// A duration drawn uniformly from the range (to the millisecond); its start if empty.
pub fn draw(rng: &mut impl Rng, range: &Range<Duration>) -> Duration {
    if range.is_empty() {
        return range.start;
    }
    let millis = rng.random_range(range.start.as_millis()..range.end.as_millis());
    Duration::from_millis(millis as u64)
}
