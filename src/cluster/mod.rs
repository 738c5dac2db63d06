//! Many nodes (SPEC §10, `--cluster`): nodes share the PostgreSQL database and a NATS
//! server, and any node takes any client.
//!
//! Each open room runs on the node holding its lease (see [`crate::rooms`]). That node, the
//! room's owner, takes commands for it on the room's NATS command subject and publishes the
//! room's events, once each, on its event subject ([`owner`]). Every other node with members
//! in the room runs a stand-in for it ([`remote`]): it forwards their joins, bids and
//! commands to the owner by request/reply and fans the events out to them, so that a
//! session cannot tell a room here from one elsewhere. A forwarded bid is sent again until
//! an owner answers (for a while): across a failover the new owner, rebuilt from the
//! journal, answers a bid it has already placed as the first time.

mod owner;
mod remote;
pub mod wire;

use std::sync::Arc;

use dashmap::DashMap;

use crate::domain::{AccountId, LotId};
use crate::rooms::{RoomHandle, RoomInbox, RoomPeering};
use crate::storage::Store;

/// This node's part of the cluster. Cheap to share.
pub struct Cluster {
    /// The exchange's name: the first part of every subject.
    name: String,
    /// This node's id (as in its leases).
    node: String,
    nats: async_nats::Client,
    store: Arc<dyn Store>,
    /// The stand-ins for rooms owned by other nodes that members here have reached.
    remote: DashMap<LotId, RoomInbox>,
}

impl Cluster {
    pub fn new(
        name: &str,
        node: &str,
        nats: async_nats::Client,
        store: Arc<dyn Store>,
    ) -> Arc<Cluster> {
        Arc::new(Cluster {
            name: name.to_owned(),
            node: node.to_owned(),
            nats,
            store,
            remote: DashMap::new(),
        })
    }

    /// Where a member's commands for a lot whose room does not run here go: the stand-in
    /// for the room on its owner, if the lot is live (else `None`: it has no room).
    ///
    /// A join (`joining`) always reads the lot first: a stand-in lingers a while after
    /// its room has ended, and a join sent to it would wait for an owner that no longer
    /// runs the room instead of taking the ended lot's final snapshot at once.
    pub async fn room_elsewhere(self: &Arc<Self>, lot: LotId, joining: bool) -> Option<RoomInbox> {
        if !joining
            && let Some(room) = self.remote.get(&lot).map(|room| room.clone())
            && !room.0.is_closed()
        {
            return Some(room);
        }
        match self.store.get_lot(lot).await {
            Ok(Some(found)) if found.state.is_live() => {}
            _ => return None,
        }
        let room = self
            .remote
            .entry(lot)
            .and_modify(|room| {
                if room.0.is_closed() {
                    *room = remote::spawn(self.clone(), lot);
                }
            })
            .or_insert_with(|| remote::spawn(self.clone(), lot))
            .clone();
        Some(room)
    }
}

impl RoomPeering for Arc<Cluster> {
    fn room_started(&self, room: RoomHandle) {
        tokio::spawn(owner::serve(self.clone(), room));
    }

    fn roster_changed(&self, lot: LotId, account: Option<AccountId>) {
        let command = match account {
            Some(account) => wire::PeerCommand::Roster { account },
            None => wire::PeerCommand::RosterReloaded,
        };
        let nats = self.nats.clone();
        let subject = wire::command_subject(&self.name, lot);
        tokio::spawn(async move {
            let payload = wire::encode(&command);
            if let Err(error) = nats.publish(subject, payload.into()).await {
                tracing::warn!(lot, error = %error, "failed to tell a room's owner of a changed standing");
            }
        });
    }
}
