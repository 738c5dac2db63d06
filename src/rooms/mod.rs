//! Live rooms: one tokio task per lot, the registry that finds them, and the journal they
//! write to.
//!
//! A lot gets its room when it is published (or, after a restart, when the server finds
//! it published, open or paused). The room's own timer opens it at `starts_at` and closes
//! it at its deadline: there is no loop polling every lot.

mod actor;
mod command;
mod ended;
mod events;
mod journal;
mod lease;
mod settle;
#[cfg(test)]
mod simulation;
mod snapshot;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use dashmap::DashMap;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

pub use command::{
    CatchUp, ConnectionId, ControlAction, Joined, Member, Replier, RoomCommand, RoomInbox,
};
pub use ended::EndedJoin;
pub use events::journal_row;
pub use lease::LeaseTerms;

use crate::auction::{LotResult, LotState, Room, RoomRestore};
use crate::clock::Clock;
use crate::domain::{AccountId, LotId};
use crate::limits::{REPLAY_WINDOW_EVENTS, ROOM_INBOX_CAPACITY};
use crate::realtime::protocol::Req;
use crate::storage::journal::{BidSummary, MAX_SUMMARY_LOTS};
use crate::storage::{Account, Lot, Release, Store, StoreResult};

use actor::{RoomExit, RoomStart, RoomTask};
use journal::{Journal, JournalHealth};
use lease::RoomLease;

/// What REST shows of a lot's bidding (`GET /lots/{id}`, `/result`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LotView {
    pub state: LotState,
    pub price: Option<Money>,
    /// The leader's bidder number.
    pub leader: Option<Arc<str>>,
    pub leader_account: Option<AccountId>,
    pub deadline_ms: i64,
    pub bid_count: u64,
    pub result: Option<LotResult>,
}

use crate::money::Money;

/// What the journal says of a lot whose room is not in memory.
fn stored_view(lot: &Lot, summary: &BidSummary) -> LotView {
    let last_bid = summary.last_bid.as_ref();
    LotView {
        state: lot.state,
        price: last_bid.and_then(|bid| bid.amount),
        leader: last_bid.and_then(|bid| bid.bidder_number.clone()),
        leader_account: last_bid.and_then(|bid| bid.account_id),
        deadline_ms: summary
            .last_event
            .as_ref()
            .map_or(lot.ends_at_ms, |event| event.deadline_ms),
        bid_count: summary.bid_count,
        result: lot.result,
    }
}

/// A live room, as sessions and REST reach it.
#[derive(Clone)]
pub struct RoomHandle {
    pub lot: LotId,
    pub auctioneer: AccountId,
    inbox: mpsc::Sender<RoomCommand>,
    view: watch::Receiver<LotView>,
    lease: Arc<RoomLease>,
}

impl RoomHandle {
    /// Sends a command; waits while the room's inbox is full. False if the room has ended.
    pub async fn send(&self, command: RoomCommand) -> bool {
        self.inbox.send(command).await.is_ok()
    }

    pub fn view(&self) -> LotView {
        self.view.borrow().clone()
    }

    pub fn inbox(&self) -> RoomInbox {
        RoomInbox(self.inbox.clone())
    }

    /// Resolves once the room's task has ended.
    pub async fn ended(&self) {
        self.inbox.closed().await
    }
}

/// What other nodes need to hear of this node's rooms (`--cluster`; see `crate::cluster`).
pub trait RoomPeering: Send + Sync {
    /// A room started here: it takes commands from other nodes' members, and its events
    /// reach them.
    fn room_started(&self, room: RoomHandle);

    /// An account's standing in a lot whose room does not run here changed (`None`: many
    /// did): the room's owner reads it again.
    fn roster_changed(&self, lot: LotId, account: Option<AccountId>);
}

/// The registry of live rooms. Cheap to clone.
#[derive(Clone)]
pub struct Rooms {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    clock: Clock,
    journal: Mutex<Option<Journal>>,
    journal_writer: Mutex<Option<JoinHandle<()>>>,
    journal_health: JournalHealth,
    rooms: DashMap<LotId, RoomHandle>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    stopping: AtomicBool,
    ended: ended::EndedRooms,
    terms: LeaseTerms,
    /// Lots whose room ran here until it lost its lease: their members reconnect.
    moved: DashMap<LotId, ()>,
    peering: Option<Arc<dyn RoomPeering>>,
    /// Lots whose room is being started here: one start at a time (a second would take the
    /// lease again, fencing off the first).
    starting: DashMap<LotId, ()>,
    /// Set once the server stops: every room stops taking commands, even one waiting for
    /// its lease to be renewed.
    shutdown: watch::Sender<bool>,
}

/// What became of a room's start.
enum Opened {
    /// The room runs here; the receiver hears once its recovery extension is durable, if it
    /// needs one (see [`RoomTask::recover`]).
    Here(Option<oneshot::Receiver<()>>),
    /// Another node holds the lot's lease.
    Elsewhere,
    /// The room runs already, or needs none (its lot is not live), or the server stops.
    Not,
}

impl Rooms {
    /// Starts the journal and a room for every lot that needs one and whose lease this node
    /// takes, rebuilding open and paused rooms from the journal (with SPEC §2's recovery
    /// extension); then keeps the leases renewed and takes the rooms nobody holds.
    pub async fn start(
        store: Arc<dyn Store>,
        clock: Clock,
        terms: LeaseTerms,
        peering: Option<Arc<dyn RoomPeering>>,
    ) -> anyhow::Result<Rooms> {
        let (journal, writer) = Journal::start(store.clone());
        let journal_health = journal.health();
        let rooms = Rooms {
            inner: Arc::new(Inner {
                store: store.clone(),
                clock,
                journal: Mutex::new(Some(journal)),
                journal_writer: Mutex::new(Some(writer)),
                journal_health,
                rooms: DashMap::new(),
                tasks: Mutex::new(Vec::new()),
                stopping: AtomicBool::new(false),
                ended: ended::EndedRooms::new(),
                terms,
                moved: DashMap::new(),
                peering,
                starting: DashMap::new(),
                shutdown: watch::channel(false).0,
            }),
        };
        let mut recoveries = Vec::new();
        let mut held = Vec::new();
        for lot in store.live_lots().await? {
            match rooms.open_room(lot.clone()).await? {
                Opened::Here(recovery) => recoveries.extend(recovery),
                Opened::Elsewhere => held.push(lot),
                Opened::Not => {}
            }
        }
        recoveries.extend(rooms.wait_for_held_leases(held).await?);
        // Ready only once every recovered room's extension is durable: a snapshot never
        // shows a deadline that passed during the outage.
        for recovery in recoveries {
            if recovery.await.is_err() {
                tracing::error!("the journal refused a room's recovery extension");
            }
        }
        settle::settle_unsettled(store.clone(), clock, None).await?;
        tokio::spawn(lease::keep_leases(rooms.downgrade()));
        Ok(rooms)
    }

    /// At the start: rooms whose lease another node held. A holder that is alive renews
    /// it within a third of its term; one that died (this server's previous run, killed)
    /// lets it run out. Waits until each lease is either renewed or taken here, at most one
    /// lease term, so that a restarted server is ready with its rooms.
    async fn wait_for_held_leases(
        &self,
        mut held: Vec<Lot>,
    ) -> StoreResult<Vec<oneshot::Receiver<()>>> {
        let mut recoveries = Vec::new();
        if held.is_empty() {
            return Ok(recoveries);
        }
        let first_seen: HashMap<LotId, i64> = self
            .inner
            .store
            .leases()
            .await?
            .into_iter()
            .map(|lease| (lease.lot_id, lease.expires_at_ms))
            .collect();
        let give_up_at = self.inner.clock.now_ms() + self.inner.terms.ttl_ms * 2;
        while !held.is_empty() && self.inner.clock.now_ms() < give_up_at {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            let now_ms = self.inner.clock.now_ms();
            let current: HashMap<LotId, i64> = self
                .inner
                .store
                .leases()
                .await?
                .into_iter()
                .map(|lease| (lease.lot_id, lease.expires_at_ms))
                .collect();
            let mut still_held = Vec::new();
            for lot in held {
                let expires_at_ms = current.get(&lot.id).copied();
                if expires_at_ms != first_seen.get(&lot.id).copied() {
                    continue; // renewed by a live holder, or gone with its room
                }
                if expires_at_ms.is_some_and(|expires| expires > now_ms) {
                    still_held.push(lot);
                    continue;
                }
                match self.open_room(lot.clone()).await? {
                    Opened::Here(recovery) => recoveries.extend(recovery),
                    Opened::Elsewhere => still_held.push(lot),
                    Opened::Not => {}
                }
            }
            held = still_held;
        }
        Ok(recoveries)
    }

    fn downgrade(&self) -> std::sync::Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    /// This node's id (in its leases, in `GET /api/v1/cluster`).
    pub fn node_id(&self) -> &str {
        &self.inner.terms.node_id
    }

    /// Whether the lot's room ran here until another node took it: its members here must
    /// reconnect (and so reach the room where it runs now).
    pub fn moved_away(&self, lot: LotId) -> bool {
        self.inner.moved.contains_key(&lot)
    }

    /// Whether the journal's commits are failing now (the database unavailable).
    pub fn journal_commits_failing(&self) -> bool {
        self.inner.journal_health.commits_failing()
    }

    /// The lot's live room, if it has one (an ended room's task goes away after a while).
    pub fn room(&self, lot: LotId) -> Option<RoomHandle> {
        let room = self.inner.rooms.get(&lot).map(|room| room.clone())?;
        if room.inbox.is_closed() {
            self.inner
                .rooms
                .remove_if(&lot, |_, known| known.inbox.is_closed());
            return None;
        }
        Some(room)
    }

    /// A lot was published: its room starts and opens it at `starts_at`.
    pub async fn lot_published(&self, lot: &Lot) -> StoreResult<()> {
        self.open_room(lot.clone()).await.map(|_| ())
    }

    /// Takes the rooms of live lots that nobody holds (their node died, or handed them
    /// over): each starts here from the journal.
    async fn take_unheld_rooms(&self) -> StoreResult<()> {
        let now_ms = self.inner.clock.now_ms();
        for lot in self.inner.store.unheld_live_lots(now_ms).await? {
            if self.inner.rooms.contains_key(&lot) {
                continue;
            }
            let Some(lot) = self.inner.store.get_lot(lot).await? else {
                continue;
            };
            if let Opened::Here(_) = self.open_room(lot.clone()).await? {
                tracing::info!(lot = lot.id, "took over the room of a lot nobody held");
                metrics::counter!("bidroom_rooms_taken_over_total").increment(1);
            }
        }
        Ok(())
    }

    /// Renews the leases of every room running here; a room whose lease was not renewed
    /// (another node holds it now) stops.
    async fn renew_leases(&self) -> StoreResult<()> {
        let held: Vec<RoomHandle> = self
            .inner
            .rooms
            .iter()
            .filter(|room| !room.inbox.is_closed())
            .map(|room| room.clone())
            .collect();
        let terms = &self.inner.terms;
        let sent_at_ms = self.inner.clock.now_ms();
        let leases: Vec<(LotId, i64)> = held
            .iter()
            .map(|room| (room.lot, room.lease.epoch))
            .collect();
        let renewed = self
            .inner
            .store
            .renew_leases(&terms.node_id, &leases, sent_at_ms + terms.ttl_ms)
            .await?;
        let renewed: std::collections::HashSet<LotId> = renewed.into_iter().collect();
        for room in held {
            if renewed.contains(&room.lot) {
                room.lease.renewed(terms.valid_until(sent_at_ms));
            } else {
                tracing::warn!(
                    lot = room.lot,
                    "the room's lease was not renewed: another node holds it"
                );
                room.lease.lose();
            }
        }
        Ok(())
    }

    /// A room's task has ended: its lease goes (a lot that ended needs none; a room that
    /// stopped with the server is handed over at once), or, lost, its members reconnect.
    async fn room_exited(&self, lot: LotId, lease: &RoomLease, exit: RoomExit) {
        self.inner
            .rooms
            .remove_if(&lot, |_, room| room.lease.epoch == lease.epoch);
        let store = &self.inner.store;
        let node = &*self.inner.terms.node_id;
        let released = match exit {
            RoomExit::Ended => {
                store
                    .release_lease(lot, node, lease.epoch, Release::Ended)
                    .await
            }
            RoomExit::Stopped => {
                let at_ms = self.inner.clock.now_ms();
                let release = Release::HandedOver { at_ms };
                store.release_lease(lot, node, lease.epoch, release).await
            }
            RoomExit::Lost => {
                self.inner.moved.insert(lot, ());
                Ok(())
            }
            RoomExit::JournalStopped => Ok(()),
        };
        if let Err(error) = released {
            // It runs out by itself.
            tracing::warn!(lot, error = ?error, "failed to give up a room's lease");
        }
    }

    /// An account's standing in a lot changed (approval, rejection, deposit, guarantee):
    /// the room takes the new roster entry before its next command.
    pub async fn roster_changed(&self, lot: LotId, account: AccountId) -> StoreResult<()> {
        let Some(room) = self.room(lot) else {
            if let Some(peering) = &self.inner.peering {
                peering.roster_changed(lot, Some(account));
            }
            return Ok(());
        };
        if let Some(entry) = self.inner.store.roster_entry(lot, account).await? {
            room.send(RoomCommand::Roster(entry)).await;
        }
        Ok(())
    }

    /// Many accounts' standing in a lot changed at once (a bulk seed): the room takes the
    /// lot's whole roster, read once, before its next command.
    pub async fn roster_reloaded(&self, lot: LotId) -> StoreResult<()> {
        let Some(room) = self.room(lot) else {
            if let Some(peering) = &self.inner.peering {
                peering.roster_changed(lot, None);
            }
            return Ok(());
        };
        for entry in self.inner.store.lot_roster(lot).await? {
            room.send(RoomCommand::Roster(entry)).await;
        }
        Ok(())
    }

    /// Sets the `bidroom_rooms{state}` gauge: the rooms in memory by their lot's state
    /// (ended rooms linger a while for late joiners).
    pub fn record_room_states(&self) {
        let mut counts: HashMap<LotState, usize> = HashMap::new();
        for room in self.inner.rooms.iter() {
            if !room.inbox.is_closed() {
                *counts.entry(room.view.borrow().state).or_default() += 1;
            }
        }
        for state in [
            LotState::Published,
            LotState::Open,
            LotState::Paused,
            LotState::Closed,
            LotState::Cancelled,
        ] {
            let count = counts.get(&state).copied().unwrap_or(0);
            metrics::gauge!("bidroom_rooms", "state" => state.as_str()).set(count as f64);
        }
    }

    /// The lot's bidding as it stands: from its live room, or from the journal.
    pub async fn lot_view(&self, lot: &Lot) -> StoreResult<LotView> {
        if let Some(room) = self.room(lot.id) {
            return Ok(room.view());
        }
        let summary = self.inner.store.bid_summary(lot.id).await?;
        Ok(stored_view(lot, &summary))
    }

    /// Each lot's bidding as it stands, in the given order: live rooms answer from memory,
    /// the others share one journal read.
    pub async fn lot_views(&self, lots: &[Lot]) -> StoreResult<Vec<LotView>> {
        let live: Vec<Option<LotView>> = lots
            .iter()
            .map(|lot| self.room(lot.id).map(|room| room.view()))
            .collect();
        let stored: Vec<LotId> = lots
            .iter()
            .zip(&live)
            .filter(|(_, view)| view.is_none())
            .map(|(lot, _)| lot.id)
            .collect();
        let mut summaries = HashMap::new();
        for chunk in stored.chunks(MAX_SUMMARY_LOTS) {
            summaries.extend(self.inner.store.bid_summaries(chunk).await?);
        }
        let empty = BidSummary::default();
        Ok(lots
            .iter()
            .zip(live)
            .map(|(lot, view)| {
                view.unwrap_or_else(|| stored_view(lot, summaries.get(&lot.id).unwrap_or(&empty)))
            })
            .collect())
    }

    /// A bid sent again once its room has gone (the lot ended before a restart, or long
    /// enough ago): its acceptance, read from the journal, so that it is answered as the
    /// first time; `None` if the journal has no such bid.
    pub async fn accepted_bid(
        &self,
        lot: LotId,
        account: AccountId,
        req: &Req,
    ) -> StoreResult<Option<crate::storage::JournalRow>> {
        self.inner.store.accepted_bid(lot, account, &req.0).await
    }

    /// What a join of a lot whose room is no longer in memory (it ended before a restart,
    /// or long enough ago) finds: the ended lot's final snapshot, kept after its first read
    /// (see [`ended`]).
    pub async fn ended_snapshot(
        &self,
        lot: LotId,
        account: &Account,
        req: Option<Req>,
    ) -> StoreResult<EndedJoin> {
        let now_ms = self.inner.clock.now_ms();
        self.inner
            .ended
            .join(&*self.inner.store, lot, account, req, now_ms)
            .await
    }

    /// Stops every room (no more bids), lets the journal commit what they applied, and
    /// waits for the writer to finish.
    pub async fn shutdown(&self) {
        self.inner.stopping.store(true, Ordering::SeqCst);
        self.inner.shutdown.send_replace(true);
        let tasks = std::mem::take(&mut *self.inner.tasks.lock().expect("room task list"));
        for task in tasks {
            let _ = task.await;
        }
        self.inner.journal.lock().expect("journal slot").take();
        let writer = self
            .inner
            .journal_writer
            .lock()
            .expect("journal writer slot")
            .take();
        if let Some(writer) = writer {
            let _ = writer.await;
        }
        if let Err(error) = self
            .inner
            .store
            .node_stopped(&self.inner.terms.node_id)
            .await
        {
            tracing::warn!(error = ?error, "failed to take this node off the list of nodes");
        }
    }

    /// Starts the lot's room, if it needs one and has none, and this node takes its lease.
    async fn open_room(&self, lot: Lot) -> StoreResult<Opened> {
        if !lot.state.is_live()
            || self.inner.rooms.contains_key(&lot.id)
            || self.inner.stopping.load(Ordering::SeqCst)
            || self.inner.starting.insert(lot.id, ()).is_some()
        {
            return Ok(Opened::Not);
        }
        let opened = self.start_room(lot.clone()).await;
        self.inner.starting.remove(&lot.id);
        opened
    }

    async fn start_room(&self, lot: Lot) -> StoreResult<Opened> {
        if self.inner.rooms.contains_key(&lot.id) {
            return Ok(Opened::Not);
        }
        let Some(journal) = self.inner.journal.lock().expect("journal slot").clone() else {
            return Ok(Opened::Not);
        };
        let store = self.inner.store.clone();
        // The lease comes first: once it is taken, the journal holds everything an earlier
        // holder will ever write (a later write of theirs is fenced off), so the room is
        // rebuilt from all of it.
        let terms = &self.inner.terms;
        let sent_at_ms = self.inner.clock.now_ms();
        let Some(taken) = store
            .acquire_lease(
                lot.id,
                &terms.node_id,
                sent_at_ms,
                sent_at_ms + terms.ttl_ms,
            )
            .await?
        else {
            return Ok(Opened::Elsewhere);
        };
        let lease = RoomLease::new(taken.epoch, terms.valid_until(sent_at_ms));
        self.inner.moved.remove(&lot.id);
        let roster = store.lot_roster(lot.id).await?;
        let restored = match lot.state {
            // A published lot has events only if it was announced in before it opened: its
            // room goes on from them (its opening takes the next seq, not one the journal
            // holds, which it would be refused for ever).
            LotState::Published => {
                let summary = store.bid_summary(lot.id).await?;
                match summary.last_event {
                    Some(_) => Some(self.restore(&lot).await?),
                    None => None,
                }
            }
            LotState::Open | LotState::Paused => Some(self.restore(&lot).await?),
            _ => return Ok(Opened::Not),
        };
        let (engine, history, bid_count, accepted_requests) = match restored {
            Some(restored) => restored,
            None => (Room::new(lot.rules()), Vec::new(), 0, Vec::new()),
        };
        let (inbox_tx, inbox) = mpsc::channel(ROOM_INBOX_CAPACITY);
        let start = RoomStart {
            lot: lot.clone(),
            engine,
            roster,
            history,
            bid_count,
            accepted_requests,
        };
        let (mut task, committed, view) = RoomTask::new(
            start,
            self.inner.clock,
            store.clone(),
            journal,
            lease.clone(),
        );
        task.stop_on(self.inner.shutdown.subscribe());
        let recovery = task.take_over(taken.handed_over);
        let handle = RoomHandle {
            lot: lot.id,
            auctioneer: lot.auctioneer_id,
            inbox: inbox_tx,
            view,
            lease: lease.clone(),
        };
        self.inner.rooms.insert(lot.id, handle.clone());
        let rooms = self.clone();
        let lot_id = lot.id;
        let running = tokio::spawn(async move {
            let exit = task.run(inbox, committed).await;
            // Before the members hear that the room has gone (when `task` is dropped).
            rooms.room_exited(lot_id, &lease, exit).await;
            drop(task);
        });
        // A standing that changed after the roster was read and before the room was
        // registered reached no room: read the roster again now that changes reach it (a
        // roster entry is the whole standing, so one applied twice does no harm).
        for entry in store.lot_roster(lot.id).await? {
            handle.send(RoomCommand::Roster(entry)).await;
        }
        if let Some(peering) = &self.inner.peering {
            peering.room_started(handle.clone());
        }
        let mut tasks = self.inner.tasks.lock().expect("room task list");
        // Ended rooms' tasks have finished: keep the list to the rooms still running.
        tasks.retain(|task| !task.is_finished());
        tasks.push(running);
        Ok(Opened::Here(recovery))
    }

    /// Rebuilds an open or paused room's engine from the journal.
    #[allow(clippy::type_complexity)]
    async fn restore(
        &self,
        lot: &Lot,
    ) -> StoreResult<(
        Room,
        Vec<crate::storage::JournalRow>,
        u64,
        Vec<(AccountId, Req, u64)>,
    )> {
        let store = &self.inner.store;
        let history = store
            .recent_room_events(lot.id, REPLAY_WINDOW_EVENTS as u32)
            .await?;
        let summary = store.bid_summary(lot.id).await?;
        let last = summary.last_event.as_ref().ok_or_else(|| {
            anyhow::anyhow!(
                "lot {} is {} but has no journaled events",
                lot.id,
                lot.state.as_str()
            )
        })?;
        let restore = RoomRestore {
            state: last.state,
            price: summary.last_bid.as_ref().and_then(|bid| bid.amount),
            leader: summary.last_bid.as_ref().and_then(|bid| bid.account_id),
            extensions: last.extensions,
            deadline_ms: last.deadline_ms,
            paused_remaining_ms: last.remaining_ms,
            seq: last.seq,
        };
        let accepted = store
            .accepted_bid_requests(lot.id)
            .await?
            .into_iter()
            .filter_map(|row| Some((row.account_id?, Req(row.req?), row.seq)))
            .collect();
        Ok((
            Room::restore(lot.rules(), restore),
            history,
            summary.bid_count,
            accepted,
        ))
    }
}
