//! The money lifecycle as a state machine, checked against a reference model.
//!
//! Thousands of random sequences of top-ups (new, repeated, changed, for unknown virtual
//! accounts, in the wrong currency, from a payer who is not the holder, resolved by an
//! admin), cash deposits and guarantees (with reused and
//! conflicting idempotency keys), bids, opens, closes, cancels, repeated settlements (as a
//! restart repeats them), payments, defaults, withdrawals and the passing of time run
//! against the real store, the same calls the REST routes and the rooms make, while a
//! model a few lines per rule predicts every answer and every balance. After every step:
//! the answer is the model's, every wallet and the exchange's accounts hold what the model
//! says, each settlement, guarantee and hold has the model's status, and the store's own
//! reconciliation finds every invariant holding (balances sum to zero, kept balances equal
//! their entries, no wallet below zero, frozen = held cash deposits, each hold resolved
//! once).
//!
//! Rooms are driven the way the room task drives them: the pure engine judges, its events
//! go to the journal, a close settles and a cancel releases. SQLite gets a fresh database
//! per sequence (on /dev/shm when it exists); PostgreSQL runs fewer sequences in one
//! database, each on accounts and lots of its own. `PROPTEST_CASES` changes how many.

mod common;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use bidroom::auction::{ClosedEvent, LotState, Room, RoomEvent, Sequenced};
use bidroom::domain::{AccountKind, DepositStatus, DepositTerms, Role};
use bidroom::http::conflict_code;
use bidroom::ledger::{LedgerAccount, Reconciliation};
use bidroom::money::{AmountError, Money};
use bidroom::rooms::journal_row;
use bidroom::storage::accounts::{Identity, NewAccount, NewIdentity};
use bidroom::storage::lots::NewLot;
use bidroom::storage::money::{
    BankNotification, GuaranteeDecision, GuaranteeStatus, IdempotencyKey, NewGuarantee,
    NotificationAction, NotificationRefusal, Resolution, ResolutionRefusal, SettlementStatus,
    StoredAnswer,
};
use bidroom::storage::{Store, StoreError};
use common::{Db, TestDatabase};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest};
use rust_decimal::Decimal;

const BIDDERS: usize = 3;
const LOTS: usize = 2;
/// Every case's clock starts here; model times are offsets from it.
const T0: i64 = 1_800_000_000_000;
/// Lot 0 takes deposits for 2 s, lot 1 practically forever.
const DEPOSIT_DEADLINES: [i64; LOTS] = [2_000, 1_000_000_000];
/// Lot 0 sets no settlement due time (an admin may default at once); lot 1 is due at 3 s.
const SETTLEMENT_DUE: [Option<i64>; LOTS] = [None, Some(3_000)];
/// Far beyond any case: bids never extend, and a close is the engine's at this deadline.
const ENDS_AT: i64 = 100_000_000;
const KEYS: u8 = 3;

/// The name bidder `index` is verified with.
fn verified_name(index: usize) -> String {
    format!("Bidder Number {index}")
}

fn money(text: &str) -> Money {
    Money::parse(text).unwrap()
}

fn cents(value: i64) -> Money {
    Money::from_decimal(Decimal::new(value, 2))
}

// ---------------------------------------------------------------------------------------
// The reference model.

/// What one step should answer.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// Done, moving whatever it moves.
    Done,
    /// Answered as the first time; nothing moves.
    Replayed,
    /// Refused with this code; nothing moves.
    Refused(&'static str),
    /// Nothing to do (a close of a room that is not open, a tick).
    Skipped,
}

#[derive(Clone, Debug)]
struct LotTerms {
    deposit: DepositTerms,
    fee_rate: Decimal,
    start_price: Money,
    increment: Money,
    reserve_price: Option<Money>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Hold {
    cash: bool,
    amount: Money,
    status: DepositStatus,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct SettlementModel {
    winner: usize,
    price: Money,
    fee: Money,
    applied: Money,
    due: Money,
    status: SettlementStatus,
}

impl SettlementModel {
    fn fee_from_deposit(&self) -> Money {
        self.fee.min(self.applied)
    }

    fn price_from_deposit(&self) -> Money {
        self.applied - self.fee_from_deposit()
    }
}

#[derive(Clone, Debug)]
struct LotModel {
    terms: LotTerms,
    state: LotState,
    price: Option<Money>,
    leader: Option<usize>,
    holds: [Option<Hold>; BIDDERS],
    settlement: Option<SettlementModel>,
    proceeds: Money,
}

impl LotModel {
    fn min_deposit(&self) -> Money {
        match self.terms.deposit {
            DepositTerms::Fixed(amount) => amount,
            DepositTerms::Range { min, .. } => min,
        }
    }

    fn min_next(&self) -> Money {
        self.price
            .map_or(self.terms.start_price, |price| price + self.terms.increment)
    }

    /// A deposit (cash or guarantee) of `bidder` is refused by an ended lot, or because
    /// one is already lodged.
    fn refuses_a_deposit(&self, bidder: usize) -> Option<Outcome> {
        if self.is_final() {
            Some(Outcome::Refused("lot_ended"))
        } else if self.holds[bidder].is_some() {
            Some(Outcome::Refused("deposit_already_lodged"))
        } else {
            None
        }
    }

    fn is_final(&self) -> bool {
        matches!(self.state, LotState::Closed | LotState::Cancelled)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Wallet {
    available: Money,
    frozen: Money,
}

/// Who a top-up says paid it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Payer {
    /// No `payer_name`: credited as before payer names were kept.
    Unnamed,
    /// The holder's verified name as a bank may write it (other case, padded spaces).
    Holder,
    /// Someone else: held unmatched for an admin.
    Stranger,
}

/// A bank notification as sent the first time.
#[derive(Clone, Debug)]
struct Sent {
    /// The bidder whose virtual account it names; `None`: an account no wallet has.
    bidder: Option<usize>,
    payer: Payer,
    amount: Money,
    currency: &'static str,
    /// Recorded (credited or unmatched); a refused one is not, and may come again.
    stored: bool,
    /// An unmatched one an admin has credited or returned.
    resolved: bool,
}

impl Sent {
    /// Kept unmatched when it came: to no wallet, or from someone not the holder.
    fn held(&self) -> bool {
        self.bidder.is_none() || self.payer == Payer::Stranger
    }
}

#[derive(Clone, Debug)]
struct GuaranteeModel {
    lot: usize,
    bidder: usize,
    amount: Money,
    status: GuaranteeStatus,
}

#[derive(Clone, Debug)]
struct Model {
    now_ms: i64,
    wallets: [Wallet; BIDDERS],
    lots: [LotModel; LOTS],
    /// Changes since the case began (other cases may share the database).
    bank_clearing: Money,
    fees: Money,
    forfeits: Money,
    sent: Vec<Sent>,
    /// Successful deposits by (bidder, key): the (lot, requested amount) asked.
    deposit_keys: BTreeMap<(usize, u8), (usize, Option<Money>)>,
    /// Successful withdrawals by (bidder, key): the amount asked.
    withdrawal_keys: BTreeMap<(usize, u8), Money>,
    guarantees: Vec<GuaranteeModel>,
    /// What the last transition should have answered.
    expected: Outcome,
}

#[derive(Clone, Debug)]
enum DepositAsk {
    /// The fixed amount, or the range's minimum, said explicitly.
    Minimum,
    /// No amount: right for a fixed deposit, refused for a range.
    Unsaid,
    /// Inside a range (refused for a fixed deposit).
    Middle,
    /// One cent above the maximum (or the fixed amount).
    TooMuch,
}

#[derive(Clone, Debug)]
enum Step {
    TopUp {
        bidder: Option<usize>,
        payer: Payer,
        amount: Money,
        currency: &'static str,
    },
    Resend {
        which: usize,
        changed: bool,
    },
    /// An admin resolves a notification: credits it to a bidder, or returns it (`None`).
    Resolve {
        which: usize,
        credit_to: Option<usize>,
    },
    Deposit {
        bidder: usize,
        lot: usize,
        ask: DepositAsk,
        key: u8,
    },
    SubmitGuarantee {
        bidder: usize,
        lot: usize,
        covers: bool,
    },
    DecideGuarantee {
        which: usize,
        accept: bool,
    },
    Open {
        lot: usize,
    },
    Bid {
        bidder: usize,
        lot: usize,
    },
    Close {
        lot: usize,
    },
    Cancel {
        lot: usize,
    },
    /// The close's or cancel's money settled again, as after a restart.
    Resettle {
        lot: usize,
    },
    Pay {
        lot: usize,
        bidder: usize,
    },
    Default {
        lot: usize,
    },
    Withdraw {
        bidder: usize,
        amount: Money,
        key: u8,
    },
    Tick {
        ms: i64,
    },
}

impl Model {
    fn deposit_amount(&self, lot: usize, ask: &DepositAsk) -> Option<Money> {
        let terms = self.lots[lot].terms.deposit;
        match (ask, terms) {
            (DepositAsk::Unsaid, _) => None,
            (DepositAsk::Minimum, _) => Some(self.lots[lot].min_deposit()),
            (DepositAsk::Middle, DepositTerms::Fixed(amount)) => Some(amount + cents(1)),
            (DepositAsk::Middle, DepositTerms::Range { min, max }) => Some(Money::from_decimal(
                ((min.decimal() + max.decimal()) / Decimal::TWO).round_dp(2),
            )),
            (DepositAsk::TooMuch, DepositTerms::Fixed(amount)) => Some(amount + cents(1)),
            (DepositAsk::TooMuch, DepositTerms::Range { max, .. }) => Some(max + cents(1)),
        }
    }

    fn top_up(
        &mut self,
        bidder: Option<usize>,
        payer: Payer,
        amount: Money,
        currency: &'static str,
    ) -> Outcome {
        let stored = !(bidder.is_some() && currency != "CNY");
        self.sent.push(Sent {
            bidder,
            payer,
            amount,
            currency,
            stored,
            resolved: false,
        });
        match bidder {
            None => Outcome::Done,
            Some(_) if !stored => Outcome::Refused("currency_mismatch"),
            Some(_) if payer == Payer::Stranger => Outcome::Done,
            Some(bidder) => {
                self.wallets[bidder].available = self.wallets[bidder].available + amount;
                self.bank_clearing = self.bank_clearing - amount;
                Outcome::Done
            }
        }
    }

    fn resend(&mut self, which: usize, changed: bool) -> Outcome {
        let sent = &self.sent[which];
        match (sent.stored, changed) {
            (true, true) => Outcome::Refused("transfer_conflict"),
            (true, false) => Outcome::Replayed,
            // Never recorded: judged as new, and refused again (the currency is the same).
            (false, _) => Outcome::Refused("currency_mismatch"),
        }
    }

    fn resolve(&mut self, which: usize, credit_to: Option<usize>) -> Outcome {
        let sent = &mut self.sent[which];
        if !sent.stored {
            return Outcome::Refused("not_found");
        }
        if !sent.held() || sent.resolved {
            return Outcome::Refused("notification_not_unmatched");
        }
        match credit_to {
            None => {}
            Some(_) if sent.currency != "CNY" => return Outcome::Refused("currency_mismatch"),
            Some(bidder) => {
                self.wallets[bidder].available = self.wallets[bidder].available + sent.amount;
                self.bank_clearing = self.bank_clearing - sent.amount;
            }
        }
        sent.resolved = true;
        Outcome::Done
    }

    fn deposit(&mut self, bidder: usize, lot: usize, ask: &DepositAsk, key: u8) -> Outcome {
        let requested = self.deposit_amount(lot, ask);
        if let Some(first) = self.deposit_keys.get(&(bidder, key)) {
            return if *first == (lot, requested) {
                Outcome::Replayed
            } else {
                Outcome::Refused("idempotency_conflict")
            };
        }
        if let Some(refused) = self.lots[lot].refuses_a_deposit(bidder) {
            return refused;
        }
        let model = &self.lots[lot];
        if self.now_ms >= DEPOSIT_DEADLINES[lot] {
            return Outcome::Refused("deposit_deadline_passed");
        }
        let amount = match (model.terms.deposit, requested) {
            (DepositTerms::Fixed(fixed), None) => fixed,
            (DepositTerms::Fixed(fixed), Some(amount)) if amount == fixed => fixed,
            (DepositTerms::Range { min, max }, Some(amount)) if min <= amount && amount <= max => {
                amount
            }
            _ => return Outcome::Refused("invalid_amount"),
        };
        let wallet = &mut self.wallets[bidder];
        if wallet.available < amount {
            return Outcome::Refused("insufficient_funds");
        }
        wallet.available = wallet.available - amount;
        wallet.frozen = wallet.frozen + amount;
        self.lots[lot].holds[bidder] = Some(Hold {
            cash: true,
            amount,
            status: DepositStatus::Held,
        });
        self.deposit_keys.insert((bidder, key), (lot, requested));
        Outcome::Done
    }

    fn guarantee_amount(&self, lot: usize, covers: bool) -> Money {
        let minimum = self.lots[lot].min_deposit();
        if covers { minimum } else { minimum - cents(1) }
    }

    fn submit_guarantee(&mut self, bidder: usize, lot: usize, covers: bool) -> Outcome {
        let amount = self.guarantee_amount(lot, covers);
        if let Some(refused) = self.lots[lot].refuses_a_deposit(bidder) {
            return refused;
        }
        if self.now_ms >= DEPOSIT_DEADLINES[lot] {
            return Outcome::Refused("deposit_deadline_passed");
        }
        let pending = self.guarantees.iter().any(|guarantee| {
            guarantee.lot == lot
                && guarantee.bidder == bidder
                && guarantee.status == GuaranteeStatus::Pending
        });
        if pending {
            return Outcome::Refused("guarantee_pending");
        }
        if !covers {
            return Outcome::Refused("invalid_amount");
        }
        self.guarantees.push(GuaranteeModel {
            lot,
            bidder,
            amount,
            status: GuaranteeStatus::Pending,
        });
        Outcome::Done
    }

    fn decide_guarantee(&mut self, which: usize, accept: bool) -> Outcome {
        let GuaranteeModel {
            lot,
            bidder,
            amount,
            status,
        } = self.guarantees[which].clone();
        if status != GuaranteeStatus::Pending {
            return Outcome::Refused("guarantee_not_pending");
        }
        if !accept {
            self.guarantees[which].status = GuaranteeStatus::Rejected;
            return Outcome::Done;
        }
        if let Some(refused) = self.lots[lot].refuses_a_deposit(bidder) {
            return refused;
        }
        let model = &mut self.lots[lot];
        model.holds[bidder] = Some(Hold {
            cash: false,
            amount,
            status: DepositStatus::Held,
        });
        self.guarantees[which].status = GuaranteeStatus::Accepted;
        Outcome::Done
    }

    fn bid(&mut self, bidder: usize, lot: usize) -> Outcome {
        let model = &mut self.lots[lot];
        if model.state != LotState::Open {
            return Outcome::Refused("not_open");
        }
        if model.holds[bidder].is_none() {
            return Outcome::Refused("not_eligible");
        }
        if model.leader == Some(bidder) {
            return Outcome::Refused("already_leading");
        }
        model.price = Some(model.min_next());
        model.leader = Some(bidder);
        Outcome::Done
    }

    /// Releases every hold still held, except the winner's.
    fn release_holds(&mut self, lot: usize, except: Option<usize>) {
        for bidder in 0..BIDDERS {
            if Some(bidder) == except {
                continue;
            }
            let Some(hold) = self.lots[lot].holds[bidder].as_mut() else {
                continue;
            };
            if hold.status != DepositStatus::Held {
                continue;
            }
            hold.status = DepositStatus::Released;
            if hold.cash {
                let wallet = &mut self.wallets[bidder];
                wallet.frozen = wallet.frozen - hold.amount;
                wallet.available = wallet.available + hold.amount;
            } else {
                self.set_guarantee_status(
                    lot,
                    bidder,
                    GuaranteeStatus::Accepted,
                    GuaranteeStatus::Released,
                );
            }
        }
    }

    fn set_guarantee_status(
        &mut self,
        lot: usize,
        bidder: usize,
        from: GuaranteeStatus,
        to: GuaranteeStatus,
    ) {
        for guarantee in &mut self.guarantees {
            if guarantee.lot == lot && guarantee.bidder == bidder && guarantee.status == from {
                guarantee.status = to;
            }
        }
    }

    fn close(&mut self, lot: usize) -> Outcome {
        let model = &mut self.lots[lot];
        if model.state != LotState::Open {
            return Outcome::Skipped;
        }
        model.state = LotState::Closed;
        let sold = match (model.price, model.terms.reserve_price) {
            (Some(price), Some(reserve)) => price >= reserve,
            (price, _) => price.is_some(),
        };
        let winner = if sold { model.leader } else { None };
        if let Some(winner) = winner {
            let price = model.price.expect("a sold lot has a price");
            let fee = price.fee_at(model.terms.fee_rate);
            let total = price + fee;
            let hold = model.holds[winner].as_mut().expect("the winner lodged");
            let applied = if hold.cash {
                let applied = hold.amount.min(total);
                let wallet = &mut self.wallets[winner];
                wallet.frozen = wallet.frozen - hold.amount;
                wallet.available = wallet.available + (hold.amount - applied);
                hold.status = DepositStatus::Applied;
                applied
            } else {
                Money::ZERO
            };
            let settlement = SettlementModel {
                winner,
                price,
                fee,
                applied,
                due: total - applied,
                status: if total == applied {
                    SettlementStatus::Paid
                } else {
                    SettlementStatus::Open
                },
            };
            self.fees = self.fees + settlement.fee_from_deposit();
            model.proceeds = model.proceeds + settlement.price_from_deposit();
            model.settlement = Some(settlement);
        }
        self.release_holds(lot, winner);
        Outcome::Done
    }

    fn cancel(&mut self, lot: usize) -> Outcome {
        let model = &mut self.lots[lot];
        if !matches!(model.state, LotState::Published | LotState::Open) {
            return Outcome::Refused("not_open");
        }
        model.state = LotState::Cancelled;
        self.release_holds(lot, None);
        Outcome::Done
    }

    fn pay(&mut self, lot: usize, bidder: usize) -> Outcome {
        let Some(settlement) = self.lots[lot].settlement.clone() else {
            return Outcome::Refused("not_found");
        };
        if settlement.winner != bidder {
            return Outcome::Refused("not_found");
        }
        match settlement.status {
            SettlementStatus::Paid => return Outcome::Refused("already_paid"),
            SettlementStatus::Defaulted => return Outcome::Refused("settlement_defaulted"),
            SettlementStatus::Open => {}
        }
        let wallet = &mut self.wallets[bidder];
        if wallet.available < settlement.due {
            return Outcome::Refused("insufficient_funds");
        }
        wallet.available = wallet.available - settlement.due;
        self.fees = self.fees + (settlement.fee - settlement.fee_from_deposit());
        let model = &mut self.lots[lot];
        model.proceeds = model.proceeds + (settlement.price - settlement.price_from_deposit());
        model.settlement.as_mut().unwrap().status = SettlementStatus::Paid;
        let hold = model.holds[bidder].as_mut().expect("the winner lodged");
        if !hold.cash && hold.status == DepositStatus::Held {
            hold.status = DepositStatus::Released;
            self.set_guarantee_status(
                lot,
                bidder,
                GuaranteeStatus::Accepted,
                GuaranteeStatus::Released,
            );
        }
        Outcome::Done
    }

    fn default(&mut self, lot: usize) -> Outcome {
        let Some(settlement) = self.lots[lot].settlement.clone() else {
            return Outcome::Refused("not_found");
        };
        if settlement.status != SettlementStatus::Open {
            return Outcome::Refused("settlement_not_open");
        }
        if SETTLEMENT_DUE[lot].is_some_and(|due| self.now_ms <= due) {
            return Outcome::Refused("settlement_not_due");
        }
        self.forfeits = self.forfeits + settlement.applied;
        self.fees = self.fees - settlement.fee_from_deposit();
        let model = &mut self.lots[lot];
        model.proceeds = model.proceeds - settlement.price_from_deposit();
        model.settlement.as_mut().unwrap().status = SettlementStatus::Defaulted;
        let winner = settlement.winner;
        let hold = model.holds[winner].as_mut().expect("the winner lodged");
        if matches!(hold.status, DepositStatus::Applied | DepositStatus::Held) {
            hold.status = DepositStatus::Forfeited;
        }
        self.set_guarantee_status(
            lot,
            winner,
            GuaranteeStatus::Accepted,
            GuaranteeStatus::Called,
        );
        Outcome::Done
    }

    fn withdraw(&mut self, bidder: usize, amount: Money, key: u8) -> Outcome {
        if let Some(first) = self.withdrawal_keys.get(&(bidder, key)) {
            return if *first == amount {
                Outcome::Replayed
            } else {
                Outcome::Refused("idempotency_conflict")
            };
        }
        let wallet = &mut self.wallets[bidder];
        if wallet.available < amount {
            return Outcome::Refused("insufficient_funds");
        }
        wallet.available = wallet.available - amount;
        self.bank_clearing = self.bank_clearing + amount;
        self.withdrawal_keys.insert((bidder, key), amount);
        Outcome::Done
    }

    /// Holds by status, as the reconciliation counts them.
    fn holds_by_status(&self) -> BTreeMap<&'static str, (u64, Money)> {
        let mut totals: BTreeMap<&'static str, (u64, Money)> = BTreeMap::new();
        for hold in self.lots.iter().flat_map(|lot| lot.holds.iter().flatten()) {
            let entry = totals.entry(hold.status.as_str()).or_default();
            entry.0 += 1;
            entry.1 = entry.1 + hold.amount;
        }
        totals
    }
}

struct MoneyMachine;

/// A lot's terms; every amount in cents (yuan × 100).
fn lot_terms(range: bool) -> impl Strategy<Value = LotTerms> {
    (
        1i64..=5_000 * 100,
        0i64..=2_000 * 100,
        0i64..=50,
        1i64..=20_000 * 100,
        1i64..=5_000 * 100,
        proptest::option::weighted(0.3, 0i64..=10_000 * 100),
    )
        .prop_map(
            move |(deposit, spread, fee_permille, start, increment, reserve_above)| {
                let deposit = cents(deposit);
                LotTerms {
                    deposit: if range {
                        DepositTerms::Range {
                            min: deposit,
                            max: deposit + cents(spread),
                        }
                    } else {
                        DepositTerms::Fixed(deposit)
                    },
                    fee_rate: Decimal::new(fee_permille, 3),
                    start_price: cents(start),
                    increment: cents(increment),
                    reserve_price: reserve_above.map(|above| cents(start + above)),
                }
            },
        )
}

impl ReferenceStateMachine for MoneyMachine {
    type State = Model;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Model> {
        (lot_terms(false), lot_terms(true))
            .prop_map(|(fixed, range)| {
                let lot = |terms: LotTerms| LotModel {
                    terms,
                    state: LotState::Published,
                    price: None,
                    leader: None,
                    holds: [None; BIDDERS],
                    settlement: None,
                    proceeds: Money::ZERO,
                };
                Model {
                    now_ms: 0,
                    wallets: [Wallet {
                        available: Money::ZERO,
                        frozen: Money::ZERO,
                    }; BIDDERS],
                    lots: [lot(fixed), lot(range)],
                    bank_clearing: Money::ZERO,
                    fees: Money::ZERO,
                    forfeits: Money::ZERO,
                    sent: Vec::new(),
                    deposit_keys: BTreeMap::new(),
                    withdrawal_keys: BTreeMap::new(),
                    guarantees: Vec::new(),
                    expected: Outcome::Skipped,
                }
            })
            .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Step> {
        let bidder = || 0..BIDDERS;
        let lot = || 0..LOTS;
        let top_up = (
            proptest::option::weighted(0.85, bidder()),
            prop_oneof![
                6 => Just(Payer::Unnamed),
                3 => Just(Payer::Holder),
                2 => Just(Payer::Stranger),
            ],
            1i64..=30_000 * 100,
            prop_oneof![9 => Just("CNY"), 1 => Just("USD")],
        )
            .prop_map(|(bidder, payer, amount, currency)| Step::TopUp {
                bidder,
                payer,
                amount: cents(amount),
                currency,
            });
        let deposit = (
            bidder(),
            lot(),
            prop_oneof![
                6 => Just(DepositAsk::Minimum),
                2 => Just(DepositAsk::Unsaid),
                2 => Just(DepositAsk::Middle),
                1 => Just(DepositAsk::TooMuch),
            ],
            0..KEYS,
        )
            .prop_map(|(bidder, lot, ask, key)| Step::Deposit {
                bidder,
                lot,
                ask,
                key,
            });
        let guarantee =
            (bidder(), lot(), proptest::bool::weighted(0.8)).prop_map(|(bidder, lot, covers)| {
                Step::SubmitGuarantee {
                    bidder,
                    lot,
                    covers,
                }
            });
        let available: Vec<Money> = state
            .wallets
            .iter()
            .map(|wallet| wallet.available)
            .collect();
        let withdraw = (bidder(), 0u32..=120, 0..KEYS).prop_map(move |(bidder, percent, key)| {
            // Up to 120% of what is available now: some are overdrafts.
            let amount = Money::from_decimal(
                (available[bidder].decimal() * Decimal::new(i64::from(percent), 2)).round_dp(2),
            );
            Step::Withdraw {
                bidder,
                amount: amount.max(cents(1)),
                key,
            }
        });
        // Weights follow the state, so that sequences get to bids, closes, payments and
        // defaults often, while every step stays possible at any time.
        let live = |state: LotState| matches!(state, LotState::Published | LotState::Open);
        let open_lots: Vec<usize> = (0..LOTS)
            .filter(|lot| state.lots[*lot].state == LotState::Open)
            .collect();
        let settled: Vec<(usize, usize)> = (0..LOTS)
            .filter_map(|lot| {
                let settlement = state.lots[lot].settlement.as_ref()?;
                (settlement.status == SettlementStatus::Open).then_some((lot, settlement.winner))
            })
            .collect();
        let any_published = state
            .lots
            .iter()
            .any(|lot| lot.state == LotState::Published);
        let any_live = state.lots.iter().any(|lot| live(lot.state));
        let priced: Vec<usize> = open_lots
            .iter()
            .copied()
            .filter(|lot| state.lots[*lot].price.is_some())
            .collect();
        let close = if priced.is_empty() {
            lot().boxed()
        } else {
            prop_oneof![3 => proptest::sample::select(priced.clone()), 1 => lot()].boxed()
        }
        .prop_map(|lot| Step::Close { lot });
        let eligible: Vec<(usize, usize)> = open_lots
            .iter()
            .flat_map(|lot| (0..BIDDERS).map(move |bidder| (*lot, bidder)))
            .filter(|(lot, bidder)| state.lots[*lot].holds[*bidder].is_some())
            .collect();
        let bid = if eligible.is_empty() {
            (lot(), bidder()).boxed()
        } else {
            prop_oneof![
                5 => proptest::sample::select(eligible),
                1 => (lot(), bidder()),
            ]
            .boxed()
        }
        .prop_map(|(lot, bidder)| Step::Bid { bidder, lot });
        let pay = if settled.is_empty() {
            (lot(), bidder()).boxed()
        } else {
            prop_oneof![
                4 => proptest::sample::select(settled.clone()),
                1 => (lot(), bidder()),
            ]
            .boxed()
        }
        .prop_map(|(lot, bidder)| Step::Pay { lot, bidder });
        let weight = |condition: bool, high: u32| if condition { high } else { 1 };
        let mut steps = vec![
            (12, top_up.boxed()),
            (weight(any_live, 12), deposit.boxed()),
            (weight(any_live, 4), guarantee.boxed()),
            (
                weight(any_published, 6),
                lot().prop_map(|lot| Step::Open { lot }).boxed(),
            ),
            (weight(!open_lots.is_empty(), 24), bid.boxed()),
            (weight(!priced.is_empty(), 4), close.boxed()),
            (1, lot().prop_map(|lot| Step::Cancel { lot }).boxed()),
            (1, lot().prop_map(|lot| Step::Resettle { lot }).boxed()),
            (weight(!settled.is_empty(), 8), pay.boxed()),
            (
                weight(!settled.is_empty(), 6),
                lot().prop_map(|lot| Step::Default { lot }).boxed(),
            ),
            (6, withdraw.boxed()),
            (
                weight(!settled.is_empty(), 4),
                (1i64..=1_500).prop_map(|ms| Step::Tick { ms }).boxed(),
            ),
        ];
        if !state.sent.is_empty() {
            steps.push((
                3,
                (0..state.sent.len(), proptest::bool::weighted(0.3))
                    .prop_map(|(which, changed)| Step::Resend { which, changed })
                    .boxed(),
            ));
            let unmatched: Vec<usize> = (0..state.sent.len())
                .filter(|which| state.sent[*which].held())
                .collect();
            let which = if unmatched.is_empty() {
                (0..state.sent.len()).boxed()
            } else {
                prop_oneof![
                    3 => proptest::sample::select(unmatched),
                    1 => 0..state.sent.len(),
                ]
                .boxed()
            };
            steps.push((
                2,
                (which, proptest::option::weighted(0.7, 0..BIDDERS))
                    .prop_map(|(which, credit_to)| Step::Resolve { which, credit_to })
                    .boxed(),
            ));
        }
        if !state.guarantees.is_empty() {
            steps.push((
                3,
                (0..state.guarantees.len(), proptest::bool::weighted(0.7))
                    .prop_map(|(which, accept)| Step::DecideGuarantee { which, accept })
                    .boxed(),
            ));
        }
        proptest::strategy::Union::new_weighted(steps).boxed()
    }

    fn preconditions(state: &Model, step: &Step) -> bool {
        // Shrinking may drop the step that made an index valid.
        match step {
            Step::Resend { which, .. } | Step::Resolve { which, .. } => *which < state.sent.len(),
            Step::DecideGuarantee { which, .. } => *which < state.guarantees.len(),
            _ => true,
        }
    }

    fn apply(mut state: Model, step: &Step) -> Model {
        state.expected = match step {
            Step::TopUp {
                bidder,
                payer,
                amount,
                currency,
            } => state.top_up(*bidder, *payer, *amount, currency),
            Step::Resend { which, changed } => state.resend(*which, *changed),
            Step::Resolve { which, credit_to } => state.resolve(*which, *credit_to),
            Step::Deposit {
                bidder,
                lot,
                ask,
                key,
            } => state.deposit(*bidder, *lot, ask, *key),
            Step::SubmitGuarantee {
                bidder,
                lot,
                covers,
            } => state.submit_guarantee(*bidder, *lot, *covers),
            Step::DecideGuarantee { which, accept } => state.decide_guarantee(*which, *accept),
            Step::Open { lot } => {
                let model = &mut state.lots[*lot];
                if model.state == LotState::Published {
                    model.state = LotState::Open;
                    Outcome::Done
                } else {
                    Outcome::Refused("not_open")
                }
            }
            Step::Bid { bidder, lot } => state.bid(*bidder, *lot),
            Step::Close { lot } => state.close(*lot),
            Step::Cancel { lot } => state.cancel(*lot),
            Step::Resettle { lot } => {
                if state.lots[*lot].is_final() {
                    Outcome::Done
                } else {
                    Outcome::Skipped
                }
            }
            Step::Pay { lot, bidder } => state.pay(*lot, *bidder),
            Step::Default { lot } => state.default(*lot),
            Step::Withdraw {
                bidder,
                amount,
                key,
            } => state.withdraw(*bidder, *amount, *key),
            Step::Tick { ms } => {
                state.now_ms += ms;
                Outcome::Skipped
            }
        };
        state
    }
}

// ---------------------------------------------------------------------------------------
// The system under test: the store, as the REST routes and the rooms call it.

/// Where the cases of one test run: a fresh SQLite database per case, or one PostgreSQL
/// database shared by every case.
enum Backend {
    SqlitePerCase,
    Shared(Arc<dyn Store>),
}

thread_local! {
    static BACKEND: RefCell<Option<Backend>> = const { RefCell::new(None) };
    /// How often each kind of step got each answer: printed after a run, to show what the
    /// sequences reached.
    static SEEN: RefCell<BTreeMap<String, usize>> = const { RefCell::new(BTreeMap::new()) };
}

fn tally(step: &Step, answer: &Outcome) {
    let kind = format!("{step:?}");
    let kind = kind.split([' ', '{']).next().unwrap_or_default();
    let key = format!("{kind} -> {answer:?}");
    SEEN.with(|seen| *seen.borrow_mut().entry(key).or_default() += 1);
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    runtime().block_on(future)
}

struct Exchange {
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    bidders: [i64; BIDDERS],
    account_numbers: [String; BIDDERS],
    lots: [i64; LOTS],
    applications: [[i64; BIDDERS]; LOTS],
    rooms: Vec<Room>,
    closes: Vec<Option<ClosedEvent>>,
    guarantees: Vec<i64>,
    /// The exchange's accounts and the holds when the case began.
    baseline: Reconciliation,
}

/// Usernames unique across cases sharing a database.
fn case_tag() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static CASES: AtomicU64 = AtomicU64::new(0);
    format!(
        "{}x{}",
        std::process::id(),
        CASES.fetch_add(1, Ordering::Relaxed)
    )
}

impl Exchange {
    async fn open(model: &Model) -> Exchange {
        let (store, dir) = BACKEND.with(|backend| match backend.borrow().as_ref() {
            Some(Backend::Shared(store)) => (Some(store.clone()), None),
            Some(Backend::SqlitePerCase) => {
                let shm = std::path::Path::new("/dev/shm");
                let dir = if shm.is_dir() {
                    tempfile::tempdir_in(shm)
                } else {
                    tempfile::tempdir()
                };
                (None, Some(dir.expect("a temporary directory")))
            }
            None => panic!("no backend chosen for this thread"),
        });
        let store = match (store, &dir) {
            (Some(store), _) => store,
            (None, Some(dir)) => {
                let url = format!("sqlite://{}", dir.path().join("money.db").display());
                bidroom::storage::connect(&url).await.expect("open SQLite")
            }
            (None, None) => unreachable!(),
        };
        let tag = case_tag();
        let account = |name: String, role: Role| NewAccount {
            username: name.clone(),
            password_hash: "not-a-hash".to_owned(),
            display_name: name,
            role,
            kind: AccountKind::Individual,
            must_change_password: false,
        };
        let auctioneer = store
            .create_account(&account(format!("auct{tag}"), Role::Auctioneer), T0)
            .await
            .unwrap();
        let mut bidders = [0; BIDDERS];
        let mut account_numbers: [String; BIDDERS] = Default::default();
        for index in 0..BIDDERS {
            let bidder = store
                .create_account(&account(format!("b{index}x{tag}"), Role::Bidder), T0)
                .await
                .unwrap();
            store
                .verify_account(
                    bidder.id,
                    &NewIdentity {
                        identity: Identity {
                            real_name: verified_name(index),
                            id_type: "passport".to_owned(),
                            id_number_masked: "E****".to_owned(),
                        },
                        id_number_hash: format!("hash-{tag}-{index}"),
                    },
                    T0,
                )
                .await
                .unwrap();
            bidders[index] = bidder.id;
            account_numbers[index] = store
                .wallet_summary(bidder.id)
                .await
                .unwrap()
                .account_number;
        }
        let mut lots = [0; LOTS];
        let mut applications = [[0; BIDDERS]; LOTS];
        let mut rooms = Vec::new();
        for (index, lot_model) in model.lots.iter().enumerate() {
            let terms = &lot_model.terms;
            let lot = store
                .create_lot(
                    &NewLot {
                        auctioneer_id: auctioneer.id,
                        title: format!("Lot {index}"),
                        description: String::new(),
                        currency: "CNY".to_owned(),
                        start_price: terms.start_price,
                        increment: terms.increment,
                        reserve_price: terms.reserve_price,
                        deposit: terms.deposit,
                        fee_rate: terms.fee_rate,
                        applications_close_at_ms: T0,
                        deposit_deadline_ms: T0 + DEPOSIT_DEADLINES[index],
                        starts_at_ms: T0,
                        ends_at_ms: T0 + ENDS_AT,
                        extension_window_secs: 60,
                        max_extensions: None,
                        extension_mode: Default::default(),
                        settlement_due_at_ms: SETTLEMENT_DUE[index].map(|due| T0 + due),
                    },
                    T0,
                )
                .await
                .unwrap();
            let lot = store.publish_lot(lot.id).await.unwrap();
            for (bidder, account) in bidders.iter().enumerate() {
                let application = store
                    .create_application(lot.id, *account, T0)
                    .await
                    .unwrap();
                store
                    .approve_application(application.id, None, T0)
                    .await
                    .unwrap();
                applications[index][bidder] = application.id;
            }
            let mut room = Room::new(lot.rules());
            for entry in store.lot_roster(lot.id).await.unwrap() {
                room.upsert_bidder(entry.bidder);
            }
            lots[index] = lot.id;
            rooms.push(room);
        }
        let baseline = store.reconcile_ledger().await.unwrap();
        Exchange {
            store,
            _dir: dir,
            bidders,
            account_numbers,
            lots,
            applications,
            rooms,
            closes: vec![None; LOTS],
            guarantees: Vec::new(),
            baseline,
        }
    }

    fn notification(&self, model: &Model, which: usize, changed: bool) -> BankNotification {
        let sent = &model.sent[which];
        BankNotification {
            transfer_id: format!("{}-t{which}", self.bidders[0]),
            account_number: match sent.bidder {
                Some(bidder) => self.account_numbers[bidder].clone(),
                None => format!("unknown-{}", self.bidders[0]),
            },
            amount: if changed {
                sent.amount + cents(1)
            } else {
                sent.amount
            },
            currency: sent.currency.to_owned(),
            received_at_ms: T0,
            payer_name: match (sent.payer, sent.bidder) {
                (Payer::Unnamed, _) => None,
                (Payer::Holder, Some(bidder)) => Some(
                    format!("  {} ", verified_name(bidder))
                        .to_uppercase()
                        .replace(' ', "\u{3000}"),
                ),
                (Payer::Holder, None) => Some(verified_name(0)),
                (Payer::Stranger, _) => Some("Someone Else".to_owned()),
            },
        }
    }

    async fn notify(&self, notification: &BankNotification, now_ms: i64) -> Outcome {
        let answer = self
            .store
            .record_bank_notification(
                notification,
                &|receipt| format!("{:?}", receipt.status),
                now_ms,
            )
            .await;
        match answer {
            Ok(Ok(recorded)) if recorded.replayed => Outcome::Replayed,
            Ok(Ok(_)) => Outcome::Done,
            Ok(Err(NotificationRefusal::CurrencyMismatch { .. })) => {
                Outcome::Refused("currency_mismatch")
            }
            Err(error) => refused(error),
        }
    }

    fn key(&self, bidder: usize, scope: &'static str, key: u8, request: String) -> IdempotencyKey {
        IdempotencyKey {
            account_id: self.bidders[bidder],
            scope,
            key: format!("key-{key}"),
            request_sha256: bidroom::security::sha256_hex(request.as_bytes()),
        }
    }

    /// Journals the room's event as the room task does, and settles what it ends.
    async fn record(&mut self, lot: usize, event: Sequenced, now_ms: i64) {
        let row = journal_row(self.lots[lot], &self.rooms[lot], &event);
        self.store.append_room_events(&[row]).await.unwrap();
        match event.event {
            RoomEvent::Closed(closed) => {
                self.store
                    .settle_closed_lot(self.lots[lot], &closed, now_ms)
                    .await
                    .unwrap();
                self.closes[lot] = Some(closed);
            }
            RoomEvent::State {
                state: LotState::Cancelled,
                ..
            } => {
                self.store
                    .release_lot_deposits(self.lots[lot], now_ms)
                    .await
                    .unwrap();
            }
            _ => {}
        }
    }

    async fn step(&mut self, model: &Model, step: Step) -> Outcome {
        let now_ms = T0 + model.now_ms;
        match step {
            Step::TopUp { .. } => {
                let notification = self.notification(model, model.sent.len() - 1, false);
                self.notify(&notification, now_ms).await
            }
            Step::Resend { which, changed } => {
                let notification = self.notification(model, which, changed);
                self.notify(&notification, now_ms).await
            }
            Step::Resolve { which, credit_to } => {
                let transfer_id = self.notification(model, which, false).transfer_id;
                let action = match credit_to {
                    Some(bidder) => NotificationAction::Credit {
                        account_number: self.account_numbers[bidder].clone(),
                    },
                    None => NotificationAction::Return,
                };
                let resolution = Resolution {
                    resolved_by: self.bidders[0],
                    note: "checked with the payer".to_owned(),
                    resolved_at_ms: now_ms,
                };
                match self
                    .store
                    .resolve_bank_notification(&transfer_id, &action, &resolution)
                    .await
                {
                    Ok(Ok(_)) => Outcome::Done,
                    Ok(Err(ResolutionRefusal::CurrencyMismatch { .. })) => {
                        Outcome::Refused("currency_mismatch")
                    }
                    Ok(Err(ResolutionRefusal::UnknownAccount(_))) => {
                        Outcome::Refused("unknown_account")
                    }
                    Err(error) => refused(error),
                }
            }
            Step::Deposit {
                bidder,
                lot,
                ask,
                key,
            } => {
                let requested = model.deposit_amount(lot, &ask);
                let application = self.applications[lot][bidder];
                let key = self.key(
                    bidder,
                    "deposit",
                    key,
                    format!("{application}:{requested:?}"),
                );
                let render = |_: &bidroom::storage::money::Deposit| StoredAnswer {
                    status: 201,
                    body: String::new(),
                };
                match self
                    .store
                    .lodge_deposit(application, requested, &key, &render, now_ms)
                    .await
                {
                    Ok(Ok(recorded)) if recorded.replayed => Outcome::Replayed,
                    Ok(Ok(_)) => Outcome::Done,
                    Ok(Err(refusal)) => Outcome::Refused(refusal.code()),
                    Err(error) => refused(error),
                }
            }
            Step::SubmitGuarantee {
                bidder,
                lot,
                covers,
            } => {
                let guarantee = NewGuarantee {
                    issuer: "Bank of Testing".to_owned(),
                    number: format!("G-{}", self.guarantees.len()),
                    amount: model.guarantee_amount(lot, covers),
                };
                let application = self.applications[lot][bidder];
                match self
                    .store
                    .submit_guarantee(application, &guarantee, now_ms)
                    .await
                {
                    Ok(Ok(submitted)) => {
                        self.guarantees.push(submitted.id);
                        Outcome::Done
                    }
                    Ok(Err(refusal)) => Outcome::Refused(refusal.code()),
                    Err(error) => refused(error),
                }
            }
            Step::DecideGuarantee { which, accept } => {
                let decision = if accept {
                    GuaranteeDecision::Accept
                } else {
                    GuaranteeDecision::Reject {
                        reason: "not on the exchange's list".to_owned(),
                    }
                };
                match self
                    .store
                    .decide_guarantee(self.guarantees[which], &decision, now_ms)
                    .await
                {
                    Ok(Ok(_)) => Outcome::Done,
                    Ok(Err(refusal)) => Outcome::Refused(refusal.code()),
                    Err(error) => refused(error),
                }
            }
            Step::Open { lot } => match self.rooms[lot].open(now_ms) {
                Ok(event) => {
                    self.record(lot, event, now_ms).await;
                    Outcome::Done
                }
                Err(rejection) => Outcome::Refused(rejection.code()),
            },
            Step::Bid { bidder, lot } => {
                // The REST routes tell the room of every roster change; here the room
                // reads the bidder's standing before each bid.
                let entry = self
                    .store
                    .roster_entry(self.lots[lot], self.bidders[bidder])
                    .await
                    .unwrap()
                    .expect("an approved bidder is on the roster");
                self.rooms[lot].upsert_bidder(entry.bidder);
                let amount: Result<Money, AmountError> = Ok(model_min_next(model, lot));
                match self.rooms[lot].place_bid(self.bidders[bidder], true, amount, now_ms) {
                    Ok(event) => {
                        self.record(lot, event, now_ms).await;
                        Outcome::Done
                    }
                    Err(rejection) => Outcome::Refused(rejection.code()),
                }
            }
            Step::Close { lot } => {
                let deadline = self.rooms[lot].deadline_ms();
                match self.rooms[lot].close_if_due(deadline) {
                    Some(event) => {
                        self.record(lot, event, now_ms).await;
                        Outcome::Done
                    }
                    None => Outcome::Skipped,
                }
            }
            Step::Cancel { lot } => match self.rooms[lot].cancel(None, now_ms) {
                Ok(event) => {
                    self.record(lot, event, now_ms).await;
                    Outcome::Done
                }
                Err(rejection) => Outcome::Refused(rejection.code()),
            },
            Step::Resettle { lot } => match (self.rooms[lot].state(), &self.closes[lot]) {
                (LotState::Closed, Some(closed)) => {
                    self.store
                        .settle_closed_lot(self.lots[lot], closed, now_ms)
                        .await
                        .unwrap();
                    Outcome::Done
                }
                (LotState::Cancelled, _) => {
                    self.store
                        .release_lot_deposits(self.lots[lot], now_ms)
                        .await
                        .unwrap();
                    Outcome::Done
                }
                _ => Outcome::Skipped,
            },
            Step::Pay { lot, bidder } => {
                match self
                    .store
                    .pay_settlement(self.lots[lot], self.bidders[bidder], now_ms)
                    .await
                {
                    Ok(_) => Outcome::Done,
                    Err(error) => refused(error),
                }
            }
            Step::Default { lot } => {
                match self.store.default_settlement(self.lots[lot], now_ms).await {
                    Ok(_) => Outcome::Done,
                    Err(error) => refused(error),
                }
            }
            Step::Withdraw {
                bidder,
                amount,
                key,
            } => {
                let key = self.key(bidder, "withdrawal", key, amount.to_string());
                let render = |_: &bidroom::storage::money::Withdrawal| StoredAnswer {
                    status: 201,
                    body: String::new(),
                };
                match self
                    .store
                    .withdraw(self.bidders[bidder], amount, &key, &render, now_ms)
                    .await
                {
                    Ok(recorded) if recorded.replayed => Outcome::Replayed,
                    Ok(_) => Outcome::Done,
                    Err(error) => refused(error),
                }
            }
            Step::Tick { .. } => Outcome::Skipped,
        }
    }

    /// Everything the model says, against what the store holds.
    async fn check(&self, model: &Model) {
        let report = self.store.reconcile_ledger().await.unwrap();
        assert!(
            report.is_consistent(),
            "the ledger is inconsistent: {report:#?}"
        );
        let changed = |name: &str| report.balance(name) - self.baseline.balance(name);
        assert_eq!(
            changed("bank_clearing"),
            model.bank_clearing,
            "bank_clearing"
        );
        assert_eq!(changed("fees"), model.fees, "fees");
        assert_eq!(changed("forfeits"), model.forfeits, "forfeits");
        for (index, wallet) in model.wallets.iter().enumerate() {
            let summary = self
                .store
                .wallet_summary(self.bidders[index])
                .await
                .unwrap();
            assert_eq!(
                (summary.available, summary.frozen),
                (wallet.available, wallet.frozen),
                "bidder {index}'s wallet (available, frozen)"
            );
        }
        for (index, lot) in model.lots.iter().enumerate() {
            let proceeds = report.balance(&LedgerAccount::LotProceeds(self.lots[index]).name());
            assert_eq!(proceeds, lot.proceeds, "lot {index}'s proceeds");
            let settlement = self.store.settlement(self.lots[index]).await.unwrap();
            let stored = settlement.map(|settlement| {
                (
                    settlement.account_id,
                    settlement.price,
                    settlement.fee,
                    settlement.deposit_applied,
                    settlement.amount_due,
                    settlement.status,
                )
            });
            let expected = lot.settlement.as_ref().map(|settlement| {
                (
                    self.bidders[settlement.winner],
                    settlement.price,
                    settlement.fee,
                    settlement.applied,
                    settlement.due,
                    settlement.status,
                )
            });
            assert_eq!(stored, expected, "lot {index}'s settlement");
        }
        let unsettled = self.store.unsettled_lots().await.unwrap();
        for (lot, _) in &unsettled {
            assert!(!self.lots.contains(lot), "lot {lot} ended and was settled");
        }
        let expected_holds = model.holds_by_status();
        for status in ["held", "released", "applied", "forfeited"] {
            let totals = |report: &Reconciliation| {
                report
                    .holds
                    .get(status)
                    .map_or((0, Money::ZERO), |totals| (totals.count, totals.amount))
            };
            let (now, before) = (totals(&report), totals(&self.baseline));
            let expected = expected_holds.get(status).copied().unwrap_or_default();
            assert_eq!(
                (now.0 - before.0, now.1 - before.1),
                expected,
                "{status} holds"
            );
        }
        for (index, guarantee) in model.guarantees.iter().enumerate() {
            let stored = self
                .store
                .guarantee(self.guarantees[index])
                .await
                .unwrap()
                .expect("a submitted guarantee");
            assert_eq!(stored.status, guarantee.status, "guarantee {index}");
            assert_eq!(stored.amount, guarantee.amount, "guarantee {index}");
        }
    }
}

/// The amount the model bids: the lowest the lot takes now. The model's state is already
/// the state after the step, so a bid that was accepted has moved the price to it.
fn model_min_next(model: &Model, lot: usize) -> Money {
    let lot = &model.lots[lot];
    match (&model.expected, lot.price) {
        (Outcome::Done, Some(price)) => price,
        _ => lot.min_next(),
    }
}

fn refused(error: StoreError) -> Outcome {
    match error {
        StoreError::NotFound => Outcome::Refused("not_found"),
        StoreError::Conflict(conflict) => Outcome::Refused(conflict_code(&conflict)),
        other => panic!("the store failed: {other:?}"),
    }
}

impl StateMachineTest for MoneyMachine {
    type SystemUnderTest = Exchange;
    type Reference = MoneyMachine;

    fn init_test(model: &Model) -> Exchange {
        block_on(Exchange::open(model))
    }

    fn apply(mut exchange: Exchange, model: &Model, step: Step) -> Exchange {
        let answer = block_on(exchange.step(model, step.clone()));
        assert_eq!(answer, model.expected, "the answer to {step:?}");
        tally(&step, &answer);
        exchange
    }

    fn check_invariants(exchange: &Exchange, model: &Model) {
        block_on(exchange.check(model));
    }
}

fn run(backend: Backend, default_cases: u32) {
    BACKEND.with(|slot| *slot.borrow_mut() = Some(backend));
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default_cases);
    let config = Config {
        cases,
        // A failure's sequence is shrunk, then printed with the step that broke it.
        max_shrink_iters: 2_000,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config.clone());
    let result = runner.run(
        &MoneyMachine::sequential_strategy(1..64),
        |(initial, steps, seen)| {
            MoneyMachine::test_sequential(config.clone(), initial, steps, seen);
            Ok(())
        },
    );
    BACKEND.with(|slot| *slot.borrow_mut() = None);
    SEEN.with(|seen| {
        for (answer, count) in seen.borrow_mut().split_off("") {
            eprintln!("{count:>7}  {answer}");
        }
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

// Two thousand SQLite sequences, in two tests so that they run side by side.
#[test]
fn the_money_lifecycle_matches_the_model_on_sqlite() {
    run(Backend::SqlitePerCase, 1_000);
}

#[test]
fn the_money_lifecycle_matches_the_model_on_sqlite_again() {
    run(Backend::SqlitePerCase, 1_000);
}

#[test]
fn the_money_lifecycle_matches_the_model_on_postgres() {
    let database = block_on(TestDatabase::create(Db::Postgres));
    let store = block_on(bidroom::storage::connect(database.url())).expect("open PostgreSQL");
    run(Backend::Shared(store), 200);
    drop(database);
}

#[test]
fn the_model_catches_a_wrong_answer() {
    // A self-check of the harness: a store that credits one transfer twice is caught.
    BACKEND.with(|slot| *slot.borrow_mut() = Some(Backend::SqlitePerCase));
    let mut runner = TestRunner::deterministic();
    let model = MoneyMachine::init_state()
        .new_tree(&mut runner)
        .unwrap()
        .current();
    let exchange = MoneyMachine::init_test(&model);
    let top_up = Step::TopUp {
        bidder: Some(0),
        payer: Payer::Holder,
        amount: money("10.00"),
        currency: "CNY",
    };
    let model = <MoneyMachine as ReferenceStateMachine>::apply(model, &top_up);
    let exchange = <MoneyMachine as StateMachineTest>::apply(exchange, &model, top_up);
    MoneyMachine::check_invariants(&exchange, &model);
    block_on(async {
        let mut twice = exchange.notification(&model, 0, false);
        twice.transfer_id.push_str("-again");
        assert_eq!(exchange.notify(&twice, T0).await, Outcome::Done);
    });
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        MoneyMachine::check_invariants(&exchange, &model)
    }));
    BACKEND.with(|slot| *slot.borrow_mut() = None);
    assert!(caught.is_err(), "a double credit must fail the check");
}
