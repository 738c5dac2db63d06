//! What a room takes: the commands sessions and the registry send to a room task, and the
//! answers it gives back.

use std::sync::Arc;

use axum::extract::ws::Message;
use tokio::sync::mpsc;
use tokio::sync::{broadcast, oneshot};
use tokio::time::Instant;

use crate::domain::{AccountId, Role};
use crate::money::{AmountError, Money};
use crate::realtime::protocol::{Answer, Encoding, EventBody, Req, RoomFrame, Snapshot, View};
use crate::storage::RosterEntry;

/// One connection's identity inside the process.
pub type ConnectionId = u64;

/// Where a room sends a connection its answers (already encoded for it).
#[derive(Clone, Debug)]
pub struct Replier {
    pub outbox: mpsc::UnboundedSender<Message>,
    pub encoding: Encoding,
}

impl Replier {
    pub(crate) fn send(&self, answer: &Answer<'_>) {
        // A connection that has gone away needs no answer.
        let _ = self.outbox.send(self.encoding.encode(answer));
    }

    /// A control command's answer: the event it caused, with the command's `req`.
    pub(super) fn send_event(&self, body: &EventBody, req: Option<Req>) {
        let mut body = body.clone();
        match &mut body {
            EventBody::State { req: slot, .. } | EventBody::Announcement { req: slot, .. } => {
                *slot = req
            }
            _ => {}
        }
        let _ = self
            .outbox
            .send(RoomFrame::new(body).message(View::Public, self.encoding));
    }
}

/// A connection in the room.
#[derive(Clone, Debug)]
pub struct Member {
    pub connection: ConnectionId,
    pub account: AccountId,
    pub role: Role,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlAction {
    Pause,
    Resume,
    Cancel,
    Announce,
}

pub enum RoomCommand {
    Join {
        member: Member,
        since_seq: Option<u64>,
        req: Option<Req>,
        /// The member's encoding (a room owned elsewhere encodes its snapshot for it).
        encoding: Encoding,
        reply: oneshot::Sender<Joined>,
    },
    Leave {
        connection: ConnectionId,
    },
    Bid {
        account: AccountId,
        verified: bool,
        amount: Result<Money, AmountError>,
        req: Req,
        reply: Replier,
        /// When the session read the bid: its answer's latency is measured from here.
        received_at: Instant,
    },
    Control {
        action: ControlAction,
        account: AccountId,
        role: Role,
        text: Option<Arc<str>>,
        req: Option<Req>,
        reply: Replier,
    },
    Roster(RosterEntry),
    /// The members another node of the cluster has in the room, as its stand-in reports
    /// them about once a second (each connection's account and role): the room counts them
    /// in its presence.
    RemoteMembers {
        node: Arc<str>,
        members: Vec<(AccountId, Role)>,
    },
}

/// The answer to a join: either what was missed since `since_seq` or a fresh snapshot, and
/// the subscription that carries every later event.
pub struct Joined {
    pub catch_up: CatchUp,
    pub events: broadcast::Receiver<Arc<RoomFrame>>,
    pub view: View,
    /// Events up to this seq are in the catch-up, and the subscription may carry some of
    /// them again (a room owned by another node): skip those. `None`: it carries none.
    pub skip_through: Option<u64>,
}

pub enum CatchUp {
    Snapshot(Box<Snapshot>),
    Replay(Vec<Arc<RoomFrame>>),
    /// A snapshot already encoded for the member (by the node that owns the room).
    Encoded(Message),
}

/// Where a member's commands go: a room running here, or the stand-in for a room that
/// runs on another node (which forwards them). Cheap to clone.
#[derive(Clone, Debug)]
pub struct RoomInbox(pub mpsc::Sender<RoomCommand>);

impl RoomInbox {
    /// Sends a command; waits while the inbox is full. False if the room has ended.
    pub async fn send(&self, command: RoomCommand) -> bool {
        self.0.send(command).await.is_ok()
    }
}
