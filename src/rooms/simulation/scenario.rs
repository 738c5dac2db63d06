//! What one seed simulates, drawn up front: the lots and their bidders, how each bidder
//! behaves, and the server's lives (how long each runs, the journal's faults in it, and
//! whether it ends in a crash or a graceful stop).

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

use crate::auction::{Bidder, Eligibility, ExtensionMode, IneligibleReason, LotState};
use crate::domain::{AccountId, AccountKind, DepositTerms, LotId, Role};
use crate::money::Money;
use crate::storage::{Account, Lot, RosterEntry};

/// Simulated time starts here (2027-01-15), whatever the machine's clock says.
pub const EPOCH_MS: i64 = 1_800_000_000_000;
const AUCTIONEER: AccountId = 1;

pub struct Scenario {
    pub lots: Vec<(Lot, Vec<RosterEntry>)>,
    pub bidders: Vec<BidderPlan>,
    /// The lives before the last one; the last one settles (see [`super::run_seed`]).
    pub lives: Vec<LifePlan>,
}

/// One simulated bidder: an account with a session token, bidding in one lot.
#[derive(Clone, Debug)]
pub struct BidderPlan {
    pub account: Account,
    pub token: String,
    pub lot: LotId,
    pub start_price: Money,
    pub increment: Money,
    pub bidder_number: Arc<str>,
    /// Bids only the next rung, and only while another bidder leads (a storm's bidders,
    /// so that nearly every bid is an event).
    pub outbids_only: bool,
    /// The lot's auctioneer: it pauses, resumes, announces (and, rarely, cancels) instead
    /// of bidding, and sees the room in the monitor view.
    pub auctioneer: bool,
    /// The mean pause between two of its actions.
    pub pace: Duration,
    /// The chance in a thousand that a new bid's `req` is one the journal refuses.
    pub refused_per_mille: u32,
    /// The chances in a thousand, at each action, that it drops its connection and that
    /// it turns slow (stops reading).
    pub drop_per_mille: u32,
    pub slow_per_mille: u32,
    /// How long it stops reading when it turns slow.
    pub slow_for: (Duration, Duration),
    /// The seed of its own choices.
    pub seed: u64,
}

#[derive(Clone, Debug)]
pub struct LifePlan {
    pub runs_for: Duration,
    pub end: LifeEnd,
    /// Simulated time that passes before the next start (the outage).
    pub down_for: Duration,
    /// When, from the life's start, the database goes down and for how long.
    pub outages: Vec<(Duration, Duration)>,
    /// The chance in a hundred that a commit lands but answers `Unavailable`.
    pub lost_answer_percent: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LifeEnd {
    /// Every task dies where it stands (kill -9).
    Crash,
    /// SIGTERM: sessions close with 1001, rooms stop, the journal commits what they took.
    Graceful,
}

impl Scenario {
    pub fn draw(seed: u64) -> Scenario {
        let mut rng = StdRng::seed_from_u64(seed);
        // One seed in eight is a storm: one lot, two bidders outbidding each other as fast
        // as they may and a third that stops reading long enough for the room's broadcast
        // ring (1,024 events) to run past it.
        let storm = rng.random_ratio(1, 8);
        let refusing = rng.random_ratio(1, 3);
        let lot_count = if storm { 1 } else { rng.random_range(1..=3) };
        let mut lots = Vec::new();
        let mut bidders = Vec::new();
        for lot_index in 0..lot_count {
            let id = lot_index as LotId + 1;
            let lot = draw_lot(&mut rng, id, storm);
            let bidder_count = if storm { 3 } else { rng.random_range(2..=6) };
            let mut roster = Vec::new();
            for _ in 0..bidder_count {
                let account_id = 100 + bidders.len() as AccountId;
                let bidder_number: Arc<str> = Arc::from(format!("B{account_id}").as_str());
                let eligible = storm || !rng.random_ratio(1, 8);
                let priority_rank =
                    (!storm && rng.random_ratio(1, 5)).then(|| rng.random_range(1..=2));
                roster.push(RosterEntry {
                    bidder: Bidder {
                        account: account_id,
                        bidder_number: bidder_number.clone(),
                        priority_rank,
                        eligibility: if eligible {
                            Eligibility::Eligible
                        } else {
                            Eligibility::Ineligible(IneligibleReason::DepositNotLodged)
                        },
                        suspended_until_ms: None,
                    },
                    username: format!("bidder{account_id}"),
                    display_name: format!("Bidder {account_id}"),
                });
                // In a storm, two bidders outbid each other as fast as they may, and a
                // third falls silent long enough for a thousand events to pass it.
                let laggard = storm && roster.len() == 1;
                let pace = match (storm, laggard) {
                    (false, _) => Duration::from_millis(rng.random_range(150..=2_500)),
                    (true, false) => Duration::from_millis(rng.random_range(30..=50)),
                    (true, true) => Duration::from_millis(300),
                };
                let (drop_per_mille, slow_per_mille) = match (storm, laggard) {
                    (false, _) => (70, 40),
                    (true, false) => (1, 0),
                    (true, true) => (10, 600),
                };
                let slow_for = if storm {
                    (Duration::from_secs(45), Duration::from_secs(60))
                } else {
                    (Duration::from_millis(200), Duration::from_secs(8))
                };
                bidders.push(BidderPlan {
                    account: Account {
                        id: account_id,
                        username: format!("bidder{account_id}"),
                        display_name: format!("Bidder {account_id}"),
                        role: Role::Bidder,
                        kind: AccountKind::Individual,
                        verified: true,
                        created_at_ms: EPOCH_MS,
                        must_change_password: false,
                        suspended_until_ms: None,
                    },
                    token: format!("token-{account_id}"),
                    lot: id,
                    start_price: lot.start_price,
                    increment: lot.increment,
                    bidder_number,
                    outbids_only: storm && !laggard,
                    auctioneer: false,
                    pace,
                    refused_per_mille: if refusing {
                        rng.random_range(5..=40)
                    } else {
                        0
                    },
                    drop_per_mille,
                    slow_per_mille,
                    slow_for,
                    seed: rng.random(),
                });
            }
            lots.push((lot, roster));
        }
        let life_count = if storm {
            rng.random_range(1..=2)
        } else {
            rng.random_range(1..=4)
        };
        let lives = (0..life_count)
            .map(|_| draw_life(&mut rng, storm))
            .collect();
        if !storm && rng.random_bool(0.5) {
            let (lot, _) = &lots[0];
            bidders.push(BidderPlan {
                account: Account {
                    id: AUCTIONEER,
                    username: "auctioneer".to_owned(),
                    display_name: "Auctioneer".to_owned(),
                    role: Role::Auctioneer,
                    kind: AccountKind::Individual,
                    verified: true,
                    created_at_ms: EPOCH_MS,
                    must_change_password: false,
                    suspended_until_ms: None,
                },
                token: format!("token-{AUCTIONEER}"),
                lot: lot.id,
                start_price: lot.start_price,
                increment: lot.increment,
                bidder_number: Arc::from(""),
                outbids_only: false,
                auctioneer: true,
                pace: Duration::from_millis(rng.random_range(500..=3_000)),
                refused_per_mille: if refusing { 100 } else { 0 },
                drop_per_mille: 50,
                slow_per_mille: 30,
                slow_for: (Duration::from_millis(200), Duration::from_secs(5)),
                seed: rng.random(),
            });
        }
        Scenario {
            lots,
            bidders,
            lives,
        }
    }
}

fn draw_lot(rng: &mut StdRng, id: LotId, storm: bool) -> Lot {
    let money = |text: &str| Money::parse(text).expect("an amount");
    let increment = *[money("1.00"), money("10.00"), money("0.50")]
        .get(rng.random_range(0..3))
        .expect("an increment");
    let starts_at_ms = EPOCH_MS + rng.random_range(0..5_000);
    let length_ms = if storm {
        rng.random_range(100_000..=200_000)
    } else {
        rng.random_range(10_000..=90_000)
    };
    let reserve_price = rng
        .random_ratio(1, 3)
        .then(|| money("100.00").plus_steps(increment, rng.random_range(0..40)))
        .flatten();
    Lot {
        id,
        auctioneer_id: AUCTIONEER,
        title: format!("Lot {id}"),
        description: String::new(),
        currency: "CNY".to_owned(),
        start_price: money("100.00"),
        increment,
        reserve_price,
        deposit: DepositTerms::Fixed(money("10.00")),
        fee_rate: Decimal::ZERO,
        applications_close_at_ms: EPOCH_MS - 60_000,
        deposit_deadline_ms: EPOCH_MS - 60_000,
        starts_at_ms,
        ends_at_ms: starts_at_ms + length_ms,
        extension_window_secs: rng.random_range(2..=15),
        max_extensions: rng.random_ratio(1, 3).then(|| rng.random_range(0..=20)),
        extension_mode: if rng.random_bool(0.5) {
            ExtensionMode::Reset
        } else {
            ExtensionMode::Add
        },
        settlement_due_at_ms: None,
        state: LotState::Published,
        result: None,
        created_at_ms: EPOCH_MS - 120_000,
    }
}

fn draw_life(rng: &mut StdRng, storm: bool) -> LifePlan {
    let runs_for = Duration::from_millis(if storm {
        rng.random_range(50_000..=65_000)
    } else {
        rng.random_range(2_000..=40_000)
    });
    let outage_count = if rng.random_ratio(1, 3) {
        0
    } else {
        rng.random_range(1..=3)
    };
    let mut outages: Vec<(Duration, Duration)> = (0..outage_count)
        .map(|_| {
            let starts = rng.random_range(0..=runs_for.as_millis() as u64);
            let lasts = rng.random_range(50..=8_000);
            (Duration::from_millis(starts), Duration::from_millis(lasts))
        })
        .collect();
    // The server starts while the database is still away.
    if rng.random_ratio(1, 4) {
        let lasts = rng.random_range(100..=5_000);
        outages.push((Duration::ZERO, Duration::from_millis(lasts)));
    }
    LifePlan {
        runs_for,
        end: if rng.random_ratio(2, 3) {
            LifeEnd::Crash
        } else {
            LifeEnd::Graceful
        },
        down_for: Duration::from_millis(rng.random_range(0..=20_000)),
        outages,
        lost_answer_percent: if rng.random_bool(0.5) {
            0
        } else {
            rng.random_range(5..=40)
        },
    }
}
