//! The stand-in for a room owned by another node: it takes this node's members' commands
//! as a room does, forwards them to the owner, and fans the owner's events out to them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use crate::domain::{AccountId, LotId, Role};
use crate::limits::{PRESENCE_INTERVAL, ROOM_BROADCAST_CAPACITY, ROOM_INBOX_CAPACITY};
use crate::realtime::protocol::{Answer, Req, RoomFrame, View};
use crate::rooms::{CatchUp, ConnectionId, Joined, Replier, RoomCommand, RoomInbox};

use super::Cluster;
use super::wire::{self, PeerCatchUp, PeerCommand, PeerEvent, PeerReply};

/// How long a forwarded command is sent again while no owner answers (a failover takes a
/// lease term and a rebuild).
const FORWARD_PATIENCE: Duration = Duration::from_secs(15);
/// How long one forwarded request waits for its answer before it is sent again.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
const RETRY_PAUSE: Duration = Duration::from_millis(100);
/// A stand-in with no member here for this long goes away.
const IDLE_LINGER: Duration = Duration::from_secs(30);

pub(super) fn spawn(cluster: Arc<Cluster>, lot: LotId) -> RoomInbox {
    let (inbox, commands) = mpsc::channel(ROOM_INBOX_CAPACITY);
    tokio::spawn(run(cluster, lot, commands));
    RoomInbox(inbox)
}

async fn run(cluster: Arc<Cluster>, lot: LotId, mut commands: mpsc::Receiver<RoomCommand>) {
    // Subscribed before the first join is forwarded: every event after the owner's
    // snapshot reaches this node.
    let mut events = match cluster
        .nats
        .subscribe(wire::event_subject(&cluster.name, lot))
        .await
    {
        Ok(events) => events,
        Err(error) => {
            tracing::error!(lot, error = %error, "failed to hear a room's events from its owner");
            return;
        }
    };
    let (local, _) = broadcast::channel(ROOM_BROADCAST_CAPACITY);
    let mut members: HashMap<ConnectionId, (AccountId, Role)> = HashMap::new();
    let mut idle_since = Some(Instant::now());
    // The owner counts this node's members in the room's presence from these reports.
    let mut report = tokio::time::interval(PRESENCE_INTERVAL);
    report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut reported_members = false;
    loop {
        let idle_until = idle_since.map(|since| since + IDLE_LINGER);
        tokio::select! {
            command = commands.recv() => match command {
                Some(command) => handle(&cluster, lot, &local, &mut members, command),
                None => break,
            },
            message = events.next() => {
                let Some(message) = message else { break };
                match wire::decode::<PeerEvent>(&message.payload).and_then(PeerEvent::body) {
                    // No member here is not an error.
                    Some(body) => drop(local.send(RoomFrame::new(body))),
                    None => tracing::warn!(lot, "a room event from another node that does not decode"),
                }
            }
            _ = report.tick(), if reported_members || !members.is_empty() => {
                report_members(&cluster, lot, &members);
                reported_members = !members.is_empty();
            }
            () = tokio::time::sleep_until(idle_until.unwrap_or_else(Instant::now)), if idle_until.is_some() => break,
        }
        idle_since = match (members.is_empty(), idle_since) {
            (true, None) => Some(Instant::now()),
            (true, since) => since,
            (false, _) => None,
        };
    }
    // Closed first, so that the entry is known for this stand-in's (a newer one is open).
    drop(commands);
    cluster
        .remote
        .remove_if(&lot, |_, inbox| inbox.0.is_closed());
}

/// Tells the owner which members this node has in the room (no answer is awaited).
fn report_members(
    cluster: &Arc<Cluster>,
    lot: LotId,
    members: &HashMap<ConnectionId, (AccountId, Role)>,
) {
    let command = PeerCommand::Members {
        node: cluster.node.clone(),
        members: members.values().copied().collect(),
    };
    let payload = bytes::Bytes::from(wire::encode(&command));
    let subject = wire::command_subject(&cluster.name, lot);
    let nats = cluster.nats.clone();
    tokio::spawn(async move {
        if let Err(error) = nats.publish(subject, payload).await {
            tracing::debug!(lot, error = %error, "failed to report this node's members to the room's owner");
        }
    });
}

fn handle(
    cluster: &Arc<Cluster>,
    lot: LotId,
    local: &broadcast::Sender<Arc<RoomFrame>>,
    members: &mut HashMap<ConnectionId, (AccountId, Role)>,
    command: RoomCommand,
) {
    match command {
        RoomCommand::Join {
            member,
            since_seq,
            req,
            encoding,
            reply,
        } => {
            members.insert(member.connection, (member.account, member.role));
            let events = local.subscribe();
            let forwarded = PeerCommand::Join {
                account: member.account,
                role: member.role,
                since_seq,
                req: req.map(|req| req.0.to_string()),
                encoding: encoding.into(),
            };
            let cluster = cluster.clone();
            tokio::spawn(async move {
                let Some(PeerReply::Joined {
                    monitor,
                    through_seq,
                    catch_up,
                }) = forward(&cluster, lot, &forwarded).await
                else {
                    return; // the session answers that the room could not be joined
                };
                let catch_up = match catch_up {
                    PeerCatchUp::Snapshot(frame) => match frame.message() {
                        Some(message) => CatchUp::Encoded(message),
                        None => return,
                    },
                    PeerCatchUp::Replay(events) => CatchUp::Replay(
                        events
                            .into_iter()
                            .filter_map(PeerEvent::body)
                            .map(RoomFrame::new)
                            .collect(),
                    ),
                };
                let _ = reply.send(Joined {
                    catch_up,
                    events,
                    view: if monitor { View::Monitor } else { View::Public },
                    skip_through: Some(through_seq),
                });
            });
        }
        RoomCommand::Leave { connection } => {
            members.remove(&connection);
        }
        RoomCommand::Bid {
            account,
            verified,
            amount,
            req,
            reply,
            ..
        } => {
            let forwarded = PeerCommand::Bid {
                account,
                verified,
                amount,
                req: req.0.to_string(),
                encoding: reply.encoding.into(),
            };
            spawn_forward(cluster.clone(), lot, forwarded, reply, Some(req));
        }
        RoomCommand::Control {
            action,
            account,
            role,
            text,
            req,
            reply,
        } => {
            let forwarded = PeerCommand::Control {
                action: action.into(),
                account,
                role,
                text: text.map(|text| text.to_string()),
                req: req.as_ref().map(|req| req.0.to_string()),
                encoding: reply.encoding.into(),
            };
            spawn_forward(cluster.clone(), lot, forwarded, reply, req);
        }
        // The owner reads standings itself (`Cluster::roster_changed`), and other nodes'
        // members reach it from their own stand-ins.
        RoomCommand::Roster(_) | RoomCommand::RemoteMembers { .. } => {}
    }
}

/// Forwards a bid or command and hands its answer to the member.
fn spawn_forward(
    cluster: Arc<Cluster>,
    lot: LotId,
    forwarded: PeerCommand,
    reply: Replier,
    req: Option<Req>,
) {
    tokio::spawn(async move {
        match forward(&cluster, lot, &forwarded).await {
            Some(PeerReply::Answer(frame)) => {
                if let Some(message) = frame.message() {
                    let _ = reply.outbox.send(message);
                }
            }
            _ => reply.send(&Answer::Error {
                code: "unavailable",
                message: "the lot's room could not be reached on any node; send it again",
                req: req.as_ref(),
            }),
        }
    });
}

/// Sends the command to the room's owner until one answers, for at most
/// [`FORWARD_PATIENCE`]; `None` if none did.
async fn forward(cluster: &Cluster, lot: LotId, command: &PeerCommand) -> Option<PeerReply> {
    let payload = bytes::Bytes::from(wire::encode(command));
    let subject = wire::command_subject(&cluster.name, lot);
    let give_up_at = Instant::now() + FORWARD_PATIENCE;
    loop {
        let request = cluster.nats.request(subject.clone(), payload.clone());
        if let Ok(Ok(message)) = tokio::time::timeout(REQUEST_TIMEOUT, request).await {
            match wire::decode::<PeerReply>(&message.payload) {
                Some(PeerReply::NotHere) | None => {}
                Some(reply) => return Some(reply),
            }
        }
        if Instant::now() >= give_up_at {
            metrics::counter!("bidroom_cluster_forward_failures_total").increment(1);
            return None;
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
}
