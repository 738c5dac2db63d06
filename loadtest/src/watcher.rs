//! A watcher: one connection joined to a room, reading every event until the room closes,
//! timing each `bid` event from its bid's send time.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::sleep_until;

use crate::client::{Connection, Snapshot};
use crate::metrics::{self, Latency, Metrics};
use crate::room::{RoomRecord, Sight};

/// Bid events waiting for their bidder's answer (which tells their send time); beyond
/// this many, the oldest go untimed.
const MAX_UNTIMED: usize = 4096;

/// At the close, how many times (10 ms apart) to look for the last bids' send times.
const LATE_ANSWER_POLLS: usize = 100;

pub struct WatcherPlan {
    pub room: Arc<RoomRecord>,
    /// Unix ms after which it stops waiting for the close.
    pub give_up_at_ms: i64,
}

pub async fn run(mut connection: Connection, snapshot: Snapshot, plan: WatcherPlan) -> Sight {
    let metrics = metrics::global();
    let lot = plan.room.lot;
    let mut sight = Sight::new(lot, snapshot.seq);
    // (seq, received at) of bid events whose send time is not known yet.
    let mut untimed: VecDeque<(u64, u64)> = VecDeque::new();
    // One timer for the whole run, not one made and dropped for every frame.
    let give_up = sleep_until(metrics::instant_at(metrics::ns_at_unix_ms(
        plan.give_up_at_ms,
    )));
    tokio::pin!(give_up);
    while sight.closed.is_none() {
        let frame = tokio::select! {
            frame = connection.next_frame() => frame,
            () = &mut give_up => break,
        };
        let frame = match frame {
            Ok(Some(frame)) => frame,
            Ok(None) | Err(_) => {
                Metrics::count(&metrics.errors);
                eprintln!("watcher in lot {lot}: the connection ended early");
                break;
            }
        };
        let message = match connection.encoding().decode(&frame) {
            Ok(message) => message,
            Err(error) => {
                Metrics::count(&metrics.errors);
                eprintln!("watcher in lot {lot}: {error:#}");
                continue;
            }
        };
        if !sight.observe(&message) {
            continue;
        }
        Metrics::count(&metrics.deliveries);
        if message.is("bid") {
            let received_ns = metrics::now_ns();
            untimed.push_back((message.seq.unwrap_or_default(), received_ns));
            if untimed.len() > MAX_UNTIMED {
                untimed.pop_front();
                Metrics::count(&metrics.broadcasts_unmeasured);
            }
        }
        time_broadcasts(&plan.room, &mut untimed, metrics);
    }
    // The last bids' answers may reach their bidders a moment after the close reached us.
    for _ in 0..LATE_ANSWER_POLLS {
        time_broadcasts(&plan.room, &mut untimed, metrics);
        if untimed.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for _ in untimed {
        Metrics::count(&metrics.broadcasts_unmeasured);
    }
    connection.close().await;
    sight
}

/// Records bid→broadcast for every waiting bid event whose send time is now known.
fn time_broadcasts(room: &RoomRecord, untimed: &mut VecDeque<(u64, u64)>, metrics: &Metrics) {
    while let Some(&(seq, received_ns)) = untimed.front() {
        let Some(sent_ns) = room.sent_ns(seq) else {
            break;
        };
        metrics.record_between(Latency::Broadcast, sent_ns, received_ns);
        untimed.pop_front();
    }
}
