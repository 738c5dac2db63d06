//! Ended lots whose rooms are no longer in memory (they ended before a restart, or long
//! enough ago): what a late joiner is shown, read from the journal once and kept.
//!
//! A closed or cancelled lot never changes again: its last event, its price, its leader
//! and its last bids are final. So the part of its snapshot that is the same for everyone
//! is kept in a small cache, and a join of a cached lot reads only the joiner's own
//! standing (one query; none for a monitor), which may still change (a deposit released).

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;

use crate::domain::{AccountId, LotId, Role};
use crate::limits::{ENDED_ROOMS_CACHED, RECENT_BIDS, REPLAY_WINDOW_EVENTS};
use crate::realtime::protocol::{BidView, EventBody, Req, Snapshot, You};
use crate::storage::{Account, Lot, RosterEntry, Store, StoreResult};

use super::events::{self, EventContext};
use super::snapshot::{Published, SnapshotParts, bidder_standing, snapshot};

/// What a join of a lot without a live room finds.
pub enum EndedJoin {
    Snapshot(Box<Snapshot>),
    /// The lot exists but has no room: not published yet, or it ended without ever
    /// opening one.
    NoRoom,
    NotFound,
}

/// The final state of an ended lot, as everyone sees it.
struct EndedRoom {
    lot: Lot,
    published: Published,
    public_bids: Vec<BidView>,
    monitor_bids: Vec<BidView>,
}

impl EndedRoom {
    fn is_monitor(&self, account: &Account) -> bool {
        account.role.oversees_everything()
            || (account.role == Role::Auctioneer && account.id == self.lot.auctioneer_id)
    }
}

/// The cache of ended lots' final states.
pub(super) struct EndedRooms {
    cache: Mutex<LruCache<LotId, Arc<EndedRoom>>>,
}

impl EndedRooms {
    pub fn new() -> EndedRooms {
        let capacity = NonZeroUsize::new(ENDED_ROOMS_CACHED).expect("a cache holds something");
        EndedRooms {
            cache: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The lot's final snapshot for `account`: from the cache with the joiner's standing
    /// (one read), or from the journal once (a few reads) and then kept.
    pub async fn join(
        &self,
        store: &dyn Store,
        lot_id: LotId,
        account: &Account,
        req: Option<Req>,
        now_ms: i64,
    ) -> StoreResult<EndedJoin> {
        let cached = self
            .cache
            .lock()
            .expect("ended rooms")
            .get(&lot_id)
            .cloned();
        let (room, roster) = match cached {
            Some(room) => (room, None),
            None => {
                let Some(lot) = store.get_lot(lot_id).await? else {
                    return Ok(EndedJoin::NotFound);
                };
                let Some((room, roster)) = read(store, lot).await? else {
                    return Ok(EndedJoin::NoRoom);
                };
                let room = Arc::new(room);
                self.cache
                    .lock()
                    .expect("ended rooms")
                    .put(lot_id, room.clone());
                (room, Some(roster))
            }
        };
        let monitor = room.is_monitor(account);
        let you = if monitor {
            You::Monitor {
                monitor: true,
                role: account.role,
                members: 0,
                bidders: 0,
            }
        } else {
            let entry = match roster {
                Some(roster) => roster
                    .into_iter()
                    .find(|entry| entry.bidder.account == account.id),
                None => store.roster_entry(lot_id, account.id).await?,
            };
            bidder_standing(entry.as_ref().map(|entry| &entry.bidder), now_ms)
        };
        let rules = room.lot.rules();
        let recent_bids = if monitor {
            room.monitor_bids.clone()
        } else {
            room.public_bids.clone()
        };
        Ok(EndedJoin::Snapshot(Box::new(snapshot(SnapshotParts {
            lot: lot_id,
            currency: Arc::from(room.lot.currency.as_str()),
            rules: &rules,
            published: &room.published,
            recent_bids,
            you,
            now_ms,
            req,
        }))))
    }
}

/// An ended lot's final state and roster from the journal; `None` for a lot that is not
/// ended or never opened a room.
async fn read(store: &dyn Store, lot: Lot) -> StoreResult<Option<(EndedRoom, Vec<RosterEntry>)>> {
    if !lot.state.is_final() {
        return Ok(None);
    }
    let summary = store.bid_summary(lot.id).await?;
    let Some(last) = summary.last_event else {
        return Ok(None);
    };
    let last_bid = summary.last_bid.as_ref();
    let published = Published {
        seq: last.seq,
        state: lot.state,
        price: last_bid.and_then(|bid| bid.amount),
        leader: last_bid.and_then(|bid| bid.account_id),
        leader_number: last_bid.and_then(|bid| bid.bidder_number.clone()),
        deadline_ms: last.deadline_ms,
        remaining_ms: None,
        extensions: last.extensions,
        result: lot.result,
    };
    let roster = store.lot_roster(lot.id).await?;
    let names: HashMap<AccountId, Arc<str>> = roster
        .iter()
        .map(|entry| (entry.bidder.account, Arc::from(entry.display_name.as_str())))
        .collect();
    let context = EventContext {
        lot: lot.id,
        extension_window_ms: lot.rules().extension_window_ms,
        names: &names,
    };
    let history = store
        .recent_room_events(lot.id, REPLAY_WINDOW_EVENTS as u32)
        .await?;
    let mut bids: Vec<_> = history
        .iter()
        .rev()
        .filter_map(|row| match events::body_from_row(&context, row) {
            EventBody::Bid(bid) => Some(bid),
            _ => None,
        })
        .take(RECENT_BIDS)
        .collect();
    bids.reverse();
    let room = EndedRoom {
        public_bids: bids.iter().map(|bid| bid.view(false)).collect(),
        monitor_bids: bids.iter().map(|bid| bid.view(true)).collect(),
        lot,
        published,
    };
    Ok(Some((room, roster)))
}
