//! The simulation's database: the part of [`Store`] that rooms and sessions use, kept in
//! memory, with faults injected on purpose.
//!
//! In memory because a real one would not be deterministic: sqlx runs SQLite on worker
//! threads, and while a query is out there a paused tokio clock, seeing nothing else to
//! do, jumps to its next timer, so how far simulated time moves during a query would
//! depend on the machine. The journal follows the contract the real stores keep (one
//! transaction per batch; a row whose key is stored already is skipped only when the stored
//! row is the same event, else the batch is refused; each room's state recorded on its lot).
//!
//! Faults: while `down`, every call fails as an unreachable database does; a commit may
//! land and still answer `Unavailable` (the answer lost on the way back), so the writer's
//! retry meets its own rows; and a row whose `req` starts with [`REFUSED_REQ`] is refused,
//! as PostgreSQL refuses text it cannot store.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::auction::{ClosedEvent, LotState};
use crate::domain::{AccountId, ApplicationId, LotId};
use crate::ledger::{DepositRefusal, Reconciliation};
use crate::storage::accounts::{
    AccountDetails, NewAccount, NewIdentity, SessionAccount, SuspendedAccount, SuspensionChange,
    SuspensionRecord,
};
use crate::storage::listings::{AccountFilter, BidderApplication, ListingStore, SettlementListing};
use crate::storage::lots::{Application, ApplicationListing, LotFilter, NewLot};
use crate::storage::money::{
    ApplicationOwner, BankNotification, Guarantee, GuaranteeDecision, GuaranteeFilter,
    IdempotencyKey, NewGuarantee, NotificationAction, NotificationRefusal, NotificationStatus,
    Recorded, RecordedNotification, RenderDeposit, RenderReceipt, RenderWithdrawal, Resolution,
    ResolutionRefusal, Settlement, StoredNotification, WalletPage, WalletSummary, Withdrawal,
};
use crate::storage::seed::{SeedBatch, SeededBidder};
use crate::storage::{
    Account, AccountStore, BidSummary, JournalError, JournalRow, JournalStore, Lease, LeaseStore,
    Lot, LotStore, MoneyStore, NodeRecord, ProbeStore, Release, RoomEventKind, RosterEntry,
    SeedStore, StoreError, StoreResult, TakenLease,
};

/// A bid whose `req`, or an announcement or reason whose text, starts with this is refused
/// by the journal, whatever else it holds.
pub const REFUSED_REQ: &str = "refused-";

/// What the simulation's scheduler switches on and off.
#[derive(Debug, Default)]
pub struct Faults {
    /// Every call fails as if the database could not be reached.
    pub down: bool,
    /// Of the appends that commit, this percentage answer `Unavailable` all the same.
    pub lost_answer_percent: u32,
}

/// How often each fault struck, for the run's coverage report.
#[derive(Clone, Copy, Debug, Default)]
pub struct FaultCounts {
    pub unavailable: u64,
    pub lost_answers: u64,
    pub refused: u64,
    pub identical_rows_skipped: u64,
}

pub struct SimStore {
    state: Mutex<State>,
}

struct State {
    faults: Faults,
    counts: FaultCounts,
    /// Draws which commits lose their answer: the store's own, seeded with the run.
    rng: StdRng,
    lots: BTreeMap<LotId, Lot>,
    rosters: BTreeMap<LotId, Vec<RosterEntry>>,
    /// Sessions by token hash.
    sessions: HashMap<String, Account>,
    events: BTreeMap<(LotId, u64), JournalRow>,
    settled: BTreeSet<LotId>,
    leases: BTreeMap<LotId, Lease>,
    /// When each released lease was handed over (the stores' `released_at_ms`).
    released_at_ms: BTreeMap<LotId, i64>,
    nodes: BTreeMap<String, NodeRecord>,
}

impl SimStore {
    pub fn new(seed: u64) -> SimStore {
        SimStore {
            state: Mutex::new(State {
                faults: Faults::default(),
                counts: FaultCounts::default(),
                rng: StdRng::seed_from_u64(seed ^ 0x5708E),
                lots: BTreeMap::new(),
                rosters: BTreeMap::new(),
                sessions: HashMap::new(),
                events: BTreeMap::new(),
                settled: BTreeSet::new(),
                leases: BTreeMap::new(),
                released_at_ms: BTreeMap::new(),
                nodes: BTreeMap::new(),
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("the simulated store")
    }

    pub fn add_lot(&self, lot: Lot, roster: Vec<RosterEntry>) {
        let mut state = self.state();
        state.rosters.insert(lot.id, roster);
        state.lots.insert(lot.id, lot);
    }

    pub fn add_session(&self, token: &str, account: Account) {
        let hash = crate::security::hash_token(token);
        self.state().sessions.insert(hash, account);
    }

    pub fn set_faults(&self, faults: Faults) {
        self.state().faults = faults;
    }

    pub fn set_down(&self, down: bool) {
        self.state().faults.down = down;
    }

    pub fn counts(&self) -> FaultCounts {
        self.state().counts
    }

    /// Every journaled row, by lot and seq.
    pub fn journal(&self) -> BTreeMap<(LotId, u64), JournalRow> {
        self.state().events.clone()
    }

    pub fn is_settled(&self, lot: LotId) -> bool {
        self.state().settled.contains(&lot)
    }

    /// The state, unless the database is down.
    fn reachable(&self) -> StoreResult<std::sync::MutexGuard<'_, State>> {
        let mut state = self.state();
        if state.faults.down {
            state.counts.unavailable += 1;
            return Err(unreachable_database());
        }
        Ok(state)
    }
}

fn unreachable_database() -> StoreError {
    StoreError::Database(sqlx::Error::PoolTimedOut)
}

impl State {
    fn lot_events(&self, lot: LotId) -> impl DoubleEndedIterator<Item = &JournalRow> {
        self.events
            .range((lot, 0)..=(lot, u64::MAX))
            .map(|(_, row)| row)
    }
}

#[async_trait]
impl JournalStore for SimStore {
    async fn append_fenced(
        &self,
        rows: &[JournalRow],
        leases: &[(LotId, i64)],
    ) -> Result<(), JournalError> {
        let mut state = self.reachable()?;
        let fenced: Vec<LotId> = leases
            .iter()
            .filter(|(lot, epoch)| state.leases.get(lot).map(|lease| lease.epoch) != Some(*epoch))
            .map(|(lot, _)| *lot)
            .collect();
        if !fenced.is_empty() {
            return Err(JournalError::Fenced(fenced));
        }
        for row in rows {
            let refused = |text: &Option<Arc<str>>| {
                text.as_deref()
                    .is_some_and(|text| text.starts_with(REFUSED_REQ))
            };
            if refused(&row.req) || refused(&row.text) {
                state.counts.refused += 1;
                return Err(JournalError::Refused(format!(
                    "lot {} seq {}: the simulated database refuses this req",
                    row.lot_id, row.seq
                )));
            }
            match state.events.get(&(row.lot_id, row.seq)) {
                Some(stored) if stored == row => {}
                Some(_) => {
                    state.counts.refused += 1;
                    return Err(JournalError::Refused(format!(
                        "lot {} already has another event with seq {}",
                        row.lot_id, row.seq
                    )));
                }
                None => {}
            }
        }
        for row in rows {
            if state.events.contains_key(&(row.lot_id, row.seq)) {
                state.counts.identical_rows_skipped += 1;
                continue;
            }
            state.events.insert((row.lot_id, row.seq), row.clone());
        }
        for row in rows {
            if let Some(lot) = state.lots.get_mut(&row.lot_id) {
                match row.kind {
                    RoomEventKind::State => lot.state = row.state,
                    RoomEventKind::Closed => {
                        lot.state = row.state;
                        lot.result = row.result();
                    }
                    RoomEventKind::Bid | RoomEventKind::Announcement => {}
                }
            }
        }
        let lost_answer_percent = state.faults.lost_answer_percent;
        if lost_answer_percent > 0 && state.rng.random_range(0..100) < lost_answer_percent {
            state.counts.lost_answers += 1;
            return Err(JournalError::Unavailable(unreachable_database()));
        }
        Ok(())
    }

    async fn recent_room_events(&self, lot: LotId, limit: u32) -> StoreResult<Vec<JournalRow>> {
        let state = self.reachable()?;
        let mut rows: Vec<JournalRow> = state
            .lot_events(lot)
            .rev()
            .take(limit as usize)
            .cloned()
            .collect();
        rows.reverse();
        Ok(rows)
    }

    async fn lot_bids(
        &self,
        lot: LotId,
        after_seq: u64,
        limit: u32,
    ) -> StoreResult<Vec<JournalRow>> {
        let state = self.reachable()?;
        Ok(state
            .lot_events(lot)
            .filter(|row| row.kind == RoomEventKind::Bid && row.seq > after_seq)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn bid_summaries(&self, lots: &[LotId]) -> StoreResult<HashMap<LotId, BidSummary>> {
        let state = self.reachable()?;
        let mut summaries = HashMap::new();
        for &lot in lots {
            let Some(last_event) = state.lot_events(lot).next_back().cloned() else {
                continue;
            };
            let bids = || {
                state
                    .lot_events(lot)
                    .filter(|row| row.kind == RoomEventKind::Bid)
            };
            summaries.insert(
                lot,
                BidSummary {
                    bid_count: bids().count() as u64,
                    last_bid: bids().next_back().cloned(),
                    last_event: Some(last_event),
                },
            );
        }
        Ok(summaries)
    }

    async fn accepted_bid_requests(&self, lot: LotId) -> StoreResult<Vec<JournalRow>> {
        let state = self.reachable()?;
        Ok(state
            .lot_events(lot)
            .filter(|row| row.kind == RoomEventKind::Bid && row.req.is_some())
            .cloned()
            .collect())
    }

    async fn accepted_bid(
        &self,
        lot: LotId,
        account: AccountId,
        req: &str,
    ) -> StoreResult<Option<JournalRow>> {
        let state = self.reachable()?;
        Ok(state
            .lot_events(lot)
            .find(|row| {
                row.kind == RoomEventKind::Bid
                    && row.account_id == Some(account)
                    && row.req.as_deref() == Some(req)
            })
            .cloned())
    }
}

/// Leases as the real stores keep them (`storage/leases.rs`' SQL, in memory).
#[async_trait]
impl LeaseStore for SimStore {
    async fn acquire_lease(
        &self,
        lot: LotId,
        node: &str,
        now_ms: i64,
        expires_at_ms: i64,
    ) -> StoreResult<Option<TakenLease>> {
        let mut state = self.reachable()?;
        let handover_since_ms = now_ms - (expires_at_ms - now_ms);
        let taken = match state.leases.get(&lot) {
            None => TakenLease {
                epoch: 1,
                handed_over: false,
            },
            Some(held) if held.expires_at_ms <= now_ms || held.node_id == node => TakenLease {
                epoch: held.epoch + 1,
                handed_over: held.node_id != node
                    && state
                        .released_at_ms
                        .get(&lot)
                        .is_some_and(|&released| released >= handover_since_ms),
            },
            Some(_) => return Ok(None),
        };
        state.released_at_ms.remove(&lot);
        state.leases.insert(
            lot,
            Lease {
                lot_id: lot,
                node_id: node.to_owned(),
                epoch: taken.epoch,
                expires_at_ms,
            },
        );
        Ok(Some(taken))
    }

    async fn renew_leases(
        &self,
        node: &str,
        leases: &[(LotId, i64)],
        expires_at_ms: i64,
    ) -> StoreResult<Vec<LotId>> {
        let mut state = self.reachable()?;
        let mut renewed = Vec::new();
        for (lot, epoch) in leases {
            if let Some(held) = state.leases.get_mut(lot)
                && held.node_id == node
                && held.epoch == *epoch
            {
                held.expires_at_ms = expires_at_ms;
                renewed.push(*lot);
            }
        }
        Ok(renewed)
    }

    async fn release_lease(
        &self,
        lot: LotId,
        node: &str,
        epoch: i64,
        release: Release,
    ) -> StoreResult<()> {
        let mut state = self.reachable()?;
        let held = state
            .leases
            .get(&lot)
            .is_some_and(|held| held.node_id == node && held.epoch == epoch);
        if !held {
            return Ok(());
        }
        match release {
            Release::Ended => {
                state.leases.remove(&lot);
                state.released_at_ms.remove(&lot);
            }
            Release::HandedOver { at_ms } => {
                if let Some(lease) = state.leases.get_mut(&lot) {
                    lease.expires_at_ms = 0;
                }
                state.released_at_ms.insert(lot, at_ms);
            }
        }
        Ok(())
    }

    async fn leases(&self) -> StoreResult<Vec<Lease>> {
        Ok(self.reachable()?.leases.values().cloned().collect())
    }

    async fn unheld_live_lots(&self, now_ms: i64) -> StoreResult<Vec<LotId>> {
        let state = self.reachable()?;
        Ok(state
            .lots
            .values()
            .filter(|lot| {
                matches!(
                    lot.state,
                    LotState::Published | LotState::Open | LotState::Paused
                )
            })
            .filter(|lot| {
                state
                    .leases
                    .get(&lot.id)
                    .is_none_or(|lease| lease.expires_at_ms <= now_ms)
            })
            .map(|lot| lot.id)
            .collect())
    }

    async fn node_seen(&self, node: &NodeRecord) -> StoreResult<()> {
        let mut state = self.reachable()?;
        state.nodes.insert(node.node_id.clone(), node.clone());
        Ok(())
    }

    async fn node_stopped(&self, node: &str) -> StoreResult<()> {
        self.reachable()?.nodes.remove(node);
        Ok(())
    }

    async fn nodes(&self) -> StoreResult<Vec<NodeRecord>> {
        Ok(self.reachable()?.nodes.values().cloned().collect())
    }
}

#[async_trait]
impl ProbeStore for SimStore {
    async fn probe(&self) -> StoreResult<()> {
        self.reachable().map(|_| ())
    }
}

#[async_trait]
impl LotStore for SimStore {
    async fn get_lot(&self, id: LotId) -> StoreResult<Option<Lot>> {
        Ok(self.reachable()?.lots.get(&id).cloned())
    }

    async fn live_lots(&self) -> StoreResult<Vec<Lot>> {
        let state = self.reachable()?;
        Ok(state
            .lots
            .values()
            .filter(|lot| {
                matches!(
                    lot.state,
                    LotState::Published | LotState::Open | LotState::Paused
                )
            })
            .cloned()
            .collect())
    }

    async fn lot_roster(&self, lot: LotId) -> StoreResult<Vec<RosterEntry>> {
        Ok(self
            .reachable()?
            .rosters
            .get(&lot)
            .cloned()
            .unwrap_or_default())
    }

    async fn roster_entry(
        &self,
        lot: LotId,
        account: AccountId,
    ) -> StoreResult<Option<RosterEntry>> {
        let state = self.reachable()?;
        Ok(state.rosters.get(&lot).and_then(|roster| {
            roster
                .iter()
                .find(|entry| entry.bidder.account == account)
                .cloned()
        }))
    }

    async fn create_lot(&self, _: &NewLot, _: i64) -> StoreResult<Lot> {
        not_simulated()
    }

    async fn list_lots(&self, _: &LotFilter) -> StoreResult<Vec<Lot>> {
        not_simulated()
    }

    async fn publish_lot(&self, _: LotId) -> StoreResult<Lot> {
        not_simulated()
    }

    async fn create_application(&self, _: LotId, _: AccountId, _: i64) -> StoreResult<Application> {
        not_simulated()
    }

    async fn get_application(&self, _: ApplicationId) -> StoreResult<Option<Application>> {
        not_simulated()
    }

    async fn lot_applications(&self, _: LotId) -> StoreResult<Vec<ApplicationListing>> {
        not_simulated()
    }

    async fn approve_application(
        &self,
        _: ApplicationId,
        _: Option<u32>,
        _: i64,
    ) -> StoreResult<Application> {
        not_simulated()
    }

    async fn reject_application(
        &self,
        _: ApplicationId,
        _: &str,
        _: i64,
    ) -> StoreResult<Application> {
        not_simulated()
    }
}

#[async_trait]
impl AccountStore for SimStore {
    async fn session_account(
        &self,
        token_hash: &str,
        now_ms: i64,
    ) -> StoreResult<Option<SessionAccount>> {
        // Simulated sessions outlive every run.
        let account = self.reachable()?.sessions.get(token_hash).cloned();
        Ok(account.map(|account| SessionAccount {
            account,
            expires_at_ms: now_ms + 365 * 24 * 60 * 60 * 1000,
        }))
    }

    async fn delete_session(&self, _: &str, _: i64) -> StoreResult<bool> {
        not_simulated()
    }

    async fn delete_expired_sessions(&self, _: i64) -> StoreResult<u64> {
        not_simulated()
    }

    async fn create_account(&self, _: &NewAccount, _: i64) -> StoreResult<Account> {
        not_simulated()
    }

    async fn account_credentials(&self, _: &str) -> StoreResult<Option<(Account, String)>> {
        not_simulated()
    }

    async fn account_details(&self, _: AccountId) -> StoreResult<Option<AccountDetails>> {
        not_simulated()
    }

    async fn create_session(&self, _: &str, _: AccountId, _: i64, _: i64) -> StoreResult<()> {
        not_simulated()
    }

    async fn verify_account(
        &self,
        _: AccountId,
        _: &NewIdentity,
        _: i64,
    ) -> StoreResult<AccountDetails> {
        not_simulated()
    }

    async fn change_password(&self, _: AccountId, _: &str, _: &str) -> StoreResult<Vec<String>> {
        not_simulated()
    }

    async fn password_hash(&self, _: AccountId) -> StoreResult<Option<String>> {
        not_simulated()
    }

    async fn change_suspension(
        &self,
        _: AccountId,
        _: &SuspensionChange,
        _: &str,
        _: AccountId,
        _: i64,
    ) -> StoreResult<SuspensionRecord> {
        not_simulated()
    }

    async fn suspension_history(&self, _: AccountId) -> StoreResult<Vec<SuspensionRecord>> {
        not_simulated()
    }

    async fn suspended_accounts(&self, _: i64) -> StoreResult<Vec<SuspendedAccount>> {
        not_simulated()
    }
}

#[async_trait]
impl MoneyStore for SimStore {
    async fn settle_closed_lot(&self, lot: LotId, _: &ClosedEvent, _: i64) -> StoreResult<()> {
        self.reachable()?.settled.insert(lot);
        Ok(())
    }

    async fn release_lot_deposits(&self, lot: LotId, _: i64) -> StoreResult<()> {
        self.reachable()?.settled.insert(lot);
        Ok(())
    }

    async fn unsettled_lots(&self) -> StoreResult<Vec<(LotId, LotState)>> {
        let state = self.reachable()?;
        Ok(state
            .lots
            .values()
            .filter(|lot| lot.state.is_final() && !state.settled.contains(&lot.id))
            .map(|lot| (lot.id, lot.state))
            .collect())
    }

    async fn wallet_summary(&self, _: AccountId) -> StoreResult<WalletSummary> {
        not_simulated()
    }

    async fn wallet_entries(
        &self,
        _: AccountId,
        _: Option<i64>,
        _: u32,
    ) -> StoreResult<WalletPage> {
        not_simulated()
    }

    async fn record_bank_notification(
        &self,
        _: &BankNotification,
        _: RenderReceipt<'_>,
        _: i64,
    ) -> StoreResult<Result<RecordedNotification, NotificationRefusal>> {
        not_simulated()
    }

    async fn bank_notifications(
        &self,
        _: Option<NotificationStatus>,
        _: u32,
    ) -> StoreResult<Vec<StoredNotification>> {
        not_simulated()
    }

    async fn resolve_bank_notification(
        &self,
        _: &str,
        _: &NotificationAction,
        _: &Resolution,
    ) -> StoreResult<Result<StoredNotification, ResolutionRefusal>> {
        not_simulated()
    }

    async fn application_owner(&self, _: ApplicationId) -> StoreResult<Option<ApplicationOwner>> {
        not_simulated()
    }

    async fn lodge_deposit(
        &self,
        _: ApplicationId,
        _: Option<crate::money::Money>,
        _: &IdempotencyKey,
        _: RenderDeposit<'_>,
        _: i64,
    ) -> StoreResult<Result<Recorded, DepositRefusal>> {
        not_simulated()
    }

    async fn withdraw(
        &self,
        _: AccountId,
        _: crate::money::Money,
        _: &IdempotencyKey,
        _: RenderWithdrawal<'_>,
        _: i64,
    ) -> StoreResult<Recorded> {
        not_simulated()
    }

    async fn mark_withdrawal_paid(&self, _: i64) -> StoreResult<Withdrawal> {
        not_simulated()
    }

    async fn submit_guarantee(
        &self,
        _: ApplicationId,
        _: &NewGuarantee,
        _: i64,
    ) -> StoreResult<Result<Guarantee, DepositRefusal>> {
        not_simulated()
    }

    async fn guarantee(&self, _: i64) -> StoreResult<Option<Guarantee>> {
        not_simulated()
    }

    async fn guarantees(
        &self,
        _: &GuaranteeFilter,
        _: Option<i64>,
        _: u32,
    ) -> StoreResult<Vec<Guarantee>> {
        not_simulated()
    }

    async fn decide_guarantee(
        &self,
        _: i64,
        _: &GuaranteeDecision,
        _: i64,
    ) -> StoreResult<Result<Guarantee, DepositRefusal>> {
        not_simulated()
    }

    async fn settlement(&self, _: LotId) -> StoreResult<Option<Settlement>> {
        not_simulated()
    }

    async fn pay_settlement(&self, _: LotId, _: AccountId, _: i64) -> StoreResult<Settlement> {
        not_simulated()
    }

    async fn default_settlement(&self, _: LotId, _: i64) -> StoreResult<Settlement> {
        not_simulated()
    }

    async fn reconcile_ledger(&self) -> StoreResult<Reconciliation> {
        not_simulated()
    }
}

#[async_trait]
impl SeedStore for SimStore {
    async fn seed_bidders(&self, _: &SeedBatch, _: i64) -> StoreResult<Vec<SeededBidder>> {
        not_simulated()
    }
}

#[async_trait]
impl ListingStore for SimStore {
    async fn account_applications(
        &self,
        _: AccountId,
        _: Option<i64>,
        _: u32,
    ) -> StoreResult<Vec<BidderApplication>> {
        not_simulated()
    }

    async fn account_withdrawals(
        &self,
        _: AccountId,
        _: Option<i64>,
        _: u32,
    ) -> StoreResult<Vec<Withdrawal>> {
        not_simulated()
    }

    async fn settlements(
        &self,
        _: &crate::storage::listings::SettlementFilter,
        _: Option<LotId>,
        _: u32,
    ) -> StoreResult<Vec<SettlementListing>> {
        not_simulated()
    }

    async fn accounts(
        &self,
        _: &AccountFilter,
        _: Option<AccountId>,
        _: u32,
    ) -> StoreResult<Vec<AccountDetails>> {
        not_simulated()
    }
}

#[async_trait]
impl crate::storage::LotItemStore for SimStore {
    async fn lot_items(&self, _: LotId) -> StoreResult<Vec<crate::lot_items::LotItem>> {
        not_simulated()
    }

    async fn replace_lot_items(
        &self,
        _: LotId,
        _: &[crate::lot_items::LotItem],
        _: i64,
    ) -> StoreResult<()> {
        not_simulated()
    }
}

#[async_trait]
impl crate::storage::StatsStore for SimStore {
    async fn stats_records(
        &self,
        _: crate::storage::stats::StatsScope,
        _: i64,
        _: i64,
    ) -> StoreResult<crate::storage::stats::StatsRecords> {
        not_simulated()
    }
}

/// The rest of [`Store`](crate::storage::Store) belongs to REST; rooms and sessions never call it.
fn not_simulated<T>() -> T {
    unreachable!("rooms and sessions do not use this part of the store")
}

/// The simulation's rooms never touch announcements: the lot's result draft after a close
/// is the one call they make, and is taken and forgotten.
#[async_trait]
impl crate::storage::AnnouncementStore for SimStore {
    async fn create_announcement(
        &self,
        _: &crate::storage::announcements::NewAnnouncement,
        _: AccountId,
        _: i64,
    ) -> StoreResult<crate::storage::announcements::Announcement> {
        not_simulated()
    }

    async fn draft_result_announcement(
        &self,
        _: LotId,
        _: &str,
        _: &str,
        _: i64,
    ) -> StoreResult<()> {
        drop(self.reachable()?);
        Ok(())
    }

    async fn get_announcement(
        &self,
        _: i64,
    ) -> StoreResult<Option<crate::storage::announcements::Announcement>> {
        not_simulated()
    }

    async fn edit_announcement(
        &self,
        _: i64,
        _: &str,
        _: &str,
        _: i64,
    ) -> StoreResult<crate::storage::announcements::Announcement> {
        not_simulated()
    }

    async fn review_announcement(
        &self,
        _: i64,
        _: crate::storage::announcements::Review,
        _: AccountId,
        _: Option<&str>,
        _: i64,
    ) -> StoreResult<crate::storage::announcements::Announcement> {
        not_simulated()
    }

    async fn announcements(
        &self,
        _: &crate::storage::announcements::AnnouncementFilter,
        _: Option<i64>,
        _: u32,
    ) -> StoreResult<Vec<crate::storage::announcements::Announcement>> {
        not_simulated()
    }

    async fn has_approved_announcement(
        &self,
        _: LotId,
        _: crate::storage::announcements::AnnouncementKind,
    ) -> StoreResult<bool> {
        not_simulated()
    }
}
