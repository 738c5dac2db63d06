//! What the server says at the end, read through its own interfaces as an admin: every
//! page of each lot's bids, its result, its snapshot over the WebSocket, the ledger's
//! reconciliation, and the bidders' wallets.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use anyhow::Context;
use serde_json::Value;
use tokio::time::Instant;

use crate::api::Api;
use crate::client::{Connector, Snapshot};
use crate::wire::parse_cents;

use super::verdict::{Bid, DepositStored, FinalSnapshot, MoneyStored, RoomStored};

/// The most bids `GET /lots/{id}/bids` gives in one page.
const BIDS_PAGE: usize = 1000;
/// The most wallet entries one page of `GET /wallet` gives.
const WALLET_PAGE: usize = 200;

/// A lot as the server holds it at the end. Its snapshot is asked of the first of
/// `connectors` (by node index), or if that fails (on a cluster) of the next.
pub async fn room(
    api: &Api,
    connectors: &[(usize, Arc<Connector>)],
    admin: &str,
    lot: i64,
) -> anyhow::Result<RoomStored> {
    let mut rows = Vec::new();
    let mut after_seq = 0;
    loop {
        let page = api
            .get(
                Some(admin),
                &format!("/lots/{lot}/bids?after_seq={after_seq}&limit={BIDS_PAGE}"),
            )
            .await?;
        let page = page.as_array().context("a page of bids")?;
        for row in page {
            rows.push(Bid {
                seq: row["seq"].as_u64().context("a bid's seq")?,
                amount_cents: row["amount"]
                    .as_str()
                    .and_then(parse_cents)
                    .context("a bid's amount")?,
                bidder: row["bidder"].as_str().unwrap_or_default().to_owned(),
            });
        }
        match rows.last() {
            Some(last) if page.len() == BIDS_PAGE => after_seq = last.seq,
            _ => break,
        }
    }
    let outcome = api.outcome(lot).await?;
    let snapshot = final_snapshot(connectors, admin, lot).await?;
    Ok(RoomStored {
        lot,
        rows,
        status: outcome.status,
        price_cents: outcome.price.as_deref().and_then(parse_cents),
        winner: outcome.winner_bidder,
        bid_count: outcome.bid_count,
        snapshot: FinalSnapshot {
            state: snapshot.state,
            seq: snapshot.seq,
            price_cents: snapshot.price_cents,
            leader: snapshot.leader,
        },
    })
}

/// The room's snapshot from the first of `connectors` that gives it; each one that does
/// not is said on stderr.
async fn final_snapshot(
    connectors: &[(usize, Arc<Connector>)],
    admin: &str,
    lot: i64,
) -> anyhow::Result<Snapshot> {
    let mut failed = None;
    for (index, (node, connector)) in connectors.iter().enumerate() {
        let asked_at = Instant::now();
        match snapshot(connector, admin, lot).await {
            Ok(snapshot) => return Ok(snapshot),
            Err(error) => {
                let error = error.context(format!("lot {lot}'s final snapshot"));
                if index + 1 < connectors.len() {
                    eprintln!(
                        "chaos: node n{} answered {error:#} after {:.1} s; asking the next",
                        node + 1,
                        asked_at.elapsed().as_secs_f64()
                    );
                }
                failed = Some(error);
            }
        }
    }
    Err(failed.unwrap_or_else(|| anyhow::anyhow!("no server to ask for lot {lot}'s snapshot")))
}

/// The room's snapshot, joined as `token` on a connection of its own.
pub async fn snapshot(connector: &Connector, token: &str, lot: i64) -> anyhow::Result<Snapshot> {
    let mut connection = connector.open(0).await?;
    connection.authenticate(token).await?;
    let snapshot = connection.join(lot).await?;
    connection.close().await;
    Ok(snapshot)
}

/// `GET /ledger/reconciliation`: whether it is consistent, what it found, and deposits
/// by status.
pub async fn reconciliation(
    api: &Api,
    admin: &str,
) -> anyhow::Result<(bool, Vec<String>, BTreeMap<String, u64>)> {
    let report = api.get(Some(admin), "/ledger/reconciliation").await?;
    let consistent = report["consistent"].as_bool().unwrap_or(false);
    let findings = [
        "mismatched_accounts",
        "unbalanced_transactions",
        "wrong_sign_balances",
        "frozen_mismatches",
        "misresolved_holds",
    ]
    .into_iter()
    .filter(|field| {
        report[*field]
            .as_array()
            .is_some_and(|list| !list.is_empty())
    })
    .map(|field| format!("{field}: {}", report[field]))
    .collect();
    let holds = report["holds"]
        .as_object()
        .map(|holds| {
            holds
                .iter()
                .map(|(status, totals)| {
                    (status.clone(), totals["count"].as_u64().unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((consistent, findings, holds))
}

/// The money at the end: the reconciliation, and each registration's deposit from its
/// bidder's wallet. `registrations` are (lot, account) pairs.
pub async fn money(
    api: &Api,
    admin: &str,
    holds_before: BTreeMap<String, u64>,
    registrations: &[(i64, i64)],
) -> anyhow::Result<MoneyStored> {
    let (consistent, findings, holds) = reconciliation(api, admin).await?;
    let accounts: HashSet<i64> = registrations.iter().map(|(_, account)| *account).collect();
    let mut transactions: HashMap<(i64, i64), DepositTransactions> = HashMap::new();
    let mut frozen_wallets = Vec::new();
    for account in accounts {
        let mut before = None;
        loop {
            let mut path = format!("/wallet?account_id={account}&limit={WALLET_PAGE}");
            if let Some(cursor) = before {
                path.push_str(&format!("&before={cursor}"));
            }
            let wallet = api.get(Some(admin), &path).await?;
            if before.is_none() {
                let frozen = wallet["frozen"]
                    .as_str()
                    .and_then(parse_cents)
                    .context("a wallet's frozen balance")?;
                if frozen != 0 {
                    frozen_wallets.push((account, frozen));
                }
            }
            for entry in wallet["entries"].as_array().map_or(&[][..], Vec::as_slice) {
                record_entry(&mut transactions, account, entry);
            }
            match wallet["next_cursor"].as_i64() {
                Some(cursor) => before = Some(cursor),
                None => break,
            }
        }
    }
    let deposits = registrations
        .iter()
        .map(|&(lot, account_id)| {
            let found = transactions.remove(&(lot, account_id)).unwrap_or_default();
            DepositStored {
                lot,
                account_id,
                freezes: found.freezes.len() as u64,
                resolutions: found.resolutions.len() as u64,
            }
        })
        .collect();
    Ok(MoneyStored {
        consistent,
        findings,
        holds,
        holds_before,
        deposits,
        frozen_wallets,
    })
}

/// A registration's deposit transactions (a transaction moves both halves of a wallet, so
/// it is counted once by its id).
#[derive(Default)]
struct DepositTransactions {
    freezes: HashSet<i64>,
    resolutions: HashSet<i64>,
}

fn record_entry(
    transactions: &mut HashMap<(i64, i64), DepositTransactions>,
    account: i64,
    entry: &Value,
) {
    let (Some(lot), Some(transaction)) =
        (entry["lot_id"].as_i64(), entry["transaction_id"].as_i64())
    else {
        return;
    };
    let found = transactions.entry((lot, account)).or_default();
    match entry["kind"].as_str() {
        Some("deposit_freeze") => {
            found.freezes.insert(transaction);
        }
        Some("deposit_release" | "deposit_apply") => {
            found.resolutions.insert(transaction);
        }
        _ => {}
    }
}
