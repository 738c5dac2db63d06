//! The money side of a room's end: a closed lot's settlement (deposits released, the
//! winner's applied, the settlement opened) and a cancelled lot's release of every deposit.
//!
//! The room's end is journaled first; its money follows in a task of its own that retries
//! until the store takes it (each step is idempotent), and a start (and, now and then, a
//! running node) settles again whatever a crash or a failure left unsettled, reading the
//! close from the journal.

use std::sync::Arc;
use std::time::Duration;

use crate::auction::{ClosedEvent, LotState};
use crate::clock::Clock;
use crate::domain::LotId;
use crate::storage::{JournalRow, RoomEventKind, Store, StoreResult};

/// The first wait after a failed attempt; it doubles up to [`MAX_RETRY_WAIT`].
const FIRST_RETRY_WAIT: Duration = Duration::from_millis(200);
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// How a lot ended, as far as its money is concerned.
#[derive(Clone, Debug)]
pub(super) enum LotEnd {
    Closed(ClosedEvent),
    Cancelled,
}

/// Moves the money of the lot's end in the background, retrying until it is done.
pub(super) fn spawn(store: Arc<dyn Store>, clock: Clock, lot: LotId, end: LotEnd) {
    tokio::spawn(async move { settle_until_done(store.as_ref(), clock, lot, &end).await });
}

async fn settle_until_done(store: &dyn Store, clock: Clock, lot: LotId, end: &LotEnd) {
    let mut wait = FIRST_RETRY_WAIT;
    loop {
        match settle(store, clock, lot, end).await {
            Ok(()) => return,
            Err(error) => {
                metrics::counter!("bidroom_settlement_retries_total").increment(1);
                tracing::error!(lot, error = ?error, ?wait, "failed to settle an ended lot; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_RETRY_WAIT);
            }
        }
    }
}

async fn settle(store: &dyn Store, clock: Clock, lot: LotId, end: &LotEnd) -> StoreResult<()> {
    match end {
        LotEnd::Closed(closed) => {
            store.settle_closed_lot(lot, closed, clock.now_ms()).await?;
            draft_result_announcement(store, clock, lot, closed).await
        }
        LotEnd::Cancelled => store.release_lot_deposits(lot, clock.now_ms()).await,
    }
}

/// The close drafts the lot's result announcement (SPEC §11) in its auctioneer's name, for
/// an admin to review: the bidder number and the price, never who the winner is. Once per
/// lot, however often the settlement runs.
async fn draft_result_announcement(
    store: &dyn Store,
    clock: Clock,
    lot: LotId,
    closed: &ClosedEvent,
) -> StoreResult<()> {
    let Some(found) = store.get_lot(lot).await? else {
        return Ok(());
    };
    let (title, body) = result_announcement(&found.title, &found.currency, closed);
    store
        .draft_result_announcement(lot, &title, &body, clock.now_ms())
        .await
}

/// The result announcement's title and body, in Chinese and then English.
fn result_announcement(lot_title: &str, currency: &str, closed: &ClosedEvent) -> (String, String) {
    match (closed.result, &closed.price, &closed.leader_bidder_number) {
        (crate::auction::LotResult::Sold, Some(price), Some(number)) => (
            format!("{lot_title} 成交公告 (result: sold)"),
            format!(
                "标的：{lot_title}\n竞价结果：成交\n竞买号：{number}\n成交价：{price} {currency}\n\n\
                 Lot: {lot_title}\nResult: sold\nBidder number: {number}\nPrice: {price} {currency}"
            ),
        ),
        _ => (
            format!("{lot_title} 结果公告：流拍 (result: unsold)"),
            format!(
                "标的：{lot_title}\n竞价结果：流拍（无人出价或未达保留价）\n\n\
                 Lot: {lot_title}\nResult: unsold (no bid, or the reserve was not met)"
            ),
        ),
    }
}

/// Settles every ended lot whose money did not all move: at start (the server stopped, or
/// the store failed, between the journaled end and its settlement), and now and then while
/// the server runs (`ended_before_ms`: only lots that ended before it, whose owner has had
/// its time: a node of the cluster that died between a room's close and its settlement
/// leaves the lot to whichever node looks next). A lot whose settlement fails does not stop
/// the caller: at start it is retried in the background, as at run time; while running, at
/// the next look. The number of lots found unsettled.
pub(super) async fn settle_unsettled(
    store: Arc<dyn Store>,
    clock: Clock,
    ended_before_ms: Option<i64>,
) -> anyhow::Result<usize> {
    let unsettled = store.unsettled_lots().await?;
    let mut found = 0;
    for (lot, state) in &unsettled {
        let last = store.recent_room_events(*lot, 1).await?;
        let last = last.first();
        if let (Some(before_ms), Some(row)) = (ended_before_ms, last)
            && row.at_ms >= before_ms
        {
            continue; // its owner is settling it
        }
        found += 1;
        let end = match state {
            LotState::Cancelled => LotEnd::Cancelled,
            _ => match last.and_then(closed_event) {
                Some(closed) => LotEnd::Closed(closed),
                None => {
                    tracing::error!(lot, "a closed lot without its close in the journal");
                    continue;
                }
            },
        };
        tracing::info!(lot, "settling a lot whose end was not settled");
        if let Err(error) = settle(store.as_ref(), clock, *lot, &end).await {
            metrics::counter!("bidroom_settlement_retries_total").increment(1);
            tracing::error!(lot, error = ?error, "failed to settle an ended lot; retrying");
            // At start it is retried in the background; a look while running has its next
            // look to retry it (a retry task per look would pile up behind a lot that keeps
            // failing).
            if ended_before_ms.is_none() {
                spawn(store.clone(), clock, *lot, end);
            }
        }
    }
    Ok(found)
}

/// The close a journal row records (a close is a room's last event).
fn closed_event(row: &JournalRow) -> Option<ClosedEvent> {
    if row.kind != RoomEventKind::Closed {
        return None;
    }
    Some(ClosedEvent {
        result: row.result()?,
        price: row.amount,
        leader: row.account_id,
        leader_bidder_number: row.bidder_number.clone(),
    })
}
