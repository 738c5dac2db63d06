//! The owner's side: a room running here takes the commands other nodes forward to it, and
//! its events go out on its event subject.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use crate::domain::{AccountId, Role};
use crate::realtime::protocol::{Answer, Encoding, Req};
use crate::rooms::{CatchUp, Member, Replier, RoomCommand, RoomHandle};

use super::Cluster;
use super::wire::{self, PeerCatchUp, PeerCommand, PeerEvent, PeerFrame, PeerReply};

/// How long the owner waits for its room's answer to a forwarded command.
const ANSWER_PATIENCE: Duration = Duration::from_secs(10);

/// The connection ids of members that stand for another node's (far above any real one).
static NEXT_PEER_CONNECTION: AtomicU64 = AtomicU64::new(1 << 62);

fn peer_connection() -> u64 {
    NEXT_PEER_CONNECTION.fetch_add(1, Ordering::Relaxed)
}

/// Serves the room's command subject and publishes its events until the room ends.
pub(super) async fn serve(cluster: Arc<Cluster>, room: RoomHandle) {
    let lot = room.lot;
    let mut commands = match cluster
        .nats
        .subscribe(wire::command_subject(&cluster.name, lot))
        .await
    {
        Ok(commands) => commands,
        Err(error) => {
            tracing::error!(lot, error = %error, "failed to take the room's commands from other nodes");
            return;
        }
    };
    tokio::spawn(relay_events(cluster.clone(), room.clone()));
    loop {
        tokio::select! {
            () = room.ended() => break,
            message = commands.next() => {
                let Some(message) = message else { break };
                tokio::spawn(answer(cluster.clone(), room.clone(), message));
            }
        }
    }
}

/// Publishes each of the room's events once on its event subject: the room is joined by a
/// member that stands for every other node (and leaves at once, keeping the subscription).
async fn relay_events(cluster: Arc<Cluster>, room: RoomHandle) {
    let lot = room.lot;
    let connection = peer_connection();
    let (reply, joined) = oneshot::channel();
    let member = Member {
        connection,
        account: 0,
        role: Role::Admin,
    };
    let join = RoomCommand::Join {
        member,
        since_seq: None,
        req: None,
        encoding: Encoding::MessagePack,
        reply,
    };
    if !room.send(join).await {
        return;
    }
    let Ok(joined) = joined.await else { return };
    room.send(RoomCommand::Leave { connection }).await;
    let mut events = joined.events;
    let subject = wire::event_subject(&cluster.name, lot);
    loop {
        match events.recv().await {
            Ok(frame) => {
                let payload = wire::encode(&PeerEvent::of(frame.body()));
                if let Err(error) = cluster.nats.publish(subject.clone(), payload.into()).await {
                    tracing::warn!(lot, error = %error, "failed to publish a room event to other nodes");
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                // Members elsewhere see the gap in seq and join again with since_seq.
                tracing::warn!(lot, missed, "the event relay fell behind its room");
                metrics::counter!("bidroom_cluster_relay_lagged_total").increment(1);
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// Answers one forwarded command (a message without a reply subject needs none).
async fn answer(cluster: Arc<Cluster>, room: RoomHandle, message: async_nats::Message) {
    let Some(command) = wire::decode::<PeerCommand>(&message.payload) else {
        tracing::warn!(
            lot = room.lot,
            "a command from another node that does not decode"
        );
        return;
    };
    let reply = match command {
        PeerCommand::Roster { account } => return roster(&cluster, &room, Some(account)).await,
        PeerCommand::RosterReloaded => return roster(&cluster, &room, None).await,
        PeerCommand::Members { node, members } => {
            let node = Arc::from(node.as_str());
            room.send(RoomCommand::RemoteMembers { node, members })
                .await;
            return;
        }
        PeerCommand::Join {
            account,
            role,
            since_seq,
            req,
            encoding,
        } => {
            join(
                &room,
                account,
                role,
                since_seq,
                req.map(wire::req),
                encoding.into(),
            )
            .await
        }
        PeerCommand::Bid {
            account,
            verified,
            amount,
            req,
            encoding,
        } => {
            let (replier, answers) = replier(encoding.into());
            let command = RoomCommand::Bid {
                account,
                verified,
                amount,
                req: wire::req(req),
                reply: replier,
                received_at: Instant::now(),
            };
            first_answer(&room, command, answers).await
        }
        PeerCommand::Control {
            action,
            account,
            role,
            text,
            req,
            encoding,
        } => {
            let (replier, answers) = replier(encoding.into());
            let command = RoomCommand::Control {
                action: action.into(),
                account,
                role,
                text: text.map(Arc::from),
                req: req.map(wire::req),
                reply: replier,
            };
            first_answer(&room, command, answers).await
        }
    };
    if let Some(subject) = message.reply
        && let Err(error) = cluster
            .nats
            .publish(subject, wire::encode(&reply).into())
            .await
    {
        tracing::warn!(lot = room.lot, error = %error, "failed to answer another node");
    }
}

fn replier(encoding: Encoding) -> (Replier, mpsc::UnboundedReceiver<axum::extract::ws::Message>) {
    let (outbox, answers) = mpsc::unbounded_channel();
    (Replier { outbox, encoding }, answers)
}

/// The room's first answer to the command, as the member's frame.
async fn first_answer(
    room: &RoomHandle,
    command: RoomCommand,
    mut answers: mpsc::UnboundedReceiver<axum::extract::ws::Message>,
) -> PeerReply {
    if !room.send(command).await {
        return PeerReply::NotHere;
    }
    match tokio::time::timeout(ANSWER_PATIENCE, answers.recv()).await {
        Ok(Some(message)) => {
            PeerReply::Answer(PeerFrame::of(&message).expect("answers are data frames"))
        }
        // The room ended or lost its lease with the command unanswered: ask its next owner.
        _ => PeerReply::NotHere,
    }
}

async fn join(
    room: &RoomHandle,
    account: AccountId,
    role: Role,
    since_seq: Option<u64>,
    req: Option<Req>,
    encoding: Encoding,
) -> PeerReply {
    let connection = peer_connection();
    let (reply, joined) = oneshot::channel();
    let command = RoomCommand::Join {
        member: Member {
            connection,
            account,
            role,
        },
        since_seq,
        req,
        encoding,
        reply,
    };
    if !room.send(command).await {
        return PeerReply::NotHere;
    }
    let Ok(joined) = joined.await else {
        return PeerReply::NotHere;
    };
    // The member is counted where it is connected, not here.
    room.send(RoomCommand::Leave { connection }).await;
    let monitor = joined.view == crate::realtime::protocol::View::Monitor;
    let (through_seq, catch_up) = match joined.catch_up {
        CatchUp::Snapshot(snapshot) => {
            let message = encoding.encode(&Answer::Snapshot(&snapshot));
            (
                snapshot.seq,
                PeerCatchUp::Snapshot(PeerFrame::of(&message).expect("a data frame")),
            )
        }
        CatchUp::Replay(frames) => {
            let through = frames
                .iter()
                .filter_map(|frame| frame.seq)
                .max()
                .or(since_seq)
                .unwrap_or(0);
            let events = frames
                .iter()
                .map(|frame| PeerEvent::of(frame.body()))
                .collect();
            (through, PeerCatchUp::Replay(events))
        }
        CatchUp::Encoded(message) => (
            0,
            PeerCatchUp::Snapshot(PeerFrame::of(&message).expect("a data frame")),
        ),
    };
    PeerReply::Joined {
        monitor,
        through_seq,
        catch_up,
    }
}

async fn roster(cluster: &Cluster, room: &RoomHandle, account: Option<AccountId>) {
    let entries = match account {
        Some(account) => cluster
            .store
            .roster_entry(room.lot, account)
            .await
            .map(|entry| entry.into_iter().collect::<Vec<_>>()),
        None => cluster.store.lot_roster(room.lot).await,
    };
    match entries {
        Ok(entries) => {
            for entry in entries {
                room.send(RoomCommand::Roster(entry)).await;
            }
        }
        Err(error) => {
            tracing::warn!(lot = room.lot, error = ?error, "failed to read a changed standing")
        }
    }
}
