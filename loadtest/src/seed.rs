//! Bulk seeding (the server's `--allow-bulk-seed`): the bidders of a run created, verified,
//! funded, signed in and registered in their lots by a few admin requests, instead of
//! five REST calls and two password hashes per account.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::{Context, bail};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde_json::{Value, json};

use crate::api::Api;
use crate::setup::Seat;

/// What the server takes in one request (its `limits.rs`).
const BIDDERS_PER_REQUEST: usize = 1_000;
const REGISTRATIONS_PER_REQUEST: usize = 5_000;
/// Requests in flight: the server seeds one at a time; a second one in flight keeps it
/// busy while the first one's answer travels back.
const REQUESTS_IN_FLIGHT: usize = 2;

/// The bidders of a run: `accounts` accounts named `{prefix}-b{i}`, each credited
/// `top_up`, and `lots.len() × per_room` registrations, where registration `r` puts
/// account `r % accounts` in lot `lots[r / per_room]` (consecutive accounts, so that the
/// accounts of one room are distinct while `per_room ≤ accounts`).
pub struct Roster<'a> {
    pub prefix: &'a str,
    pub password: &'a str,
    pub accounts: usize,
    pub per_room: usize,
    pub lots: &'a [i64],
    pub top_up: &'a str,
}

/// One seeded account: its session and its bidder number in each lot.
struct Seeded {
    account_id: i64,
    token: Arc<str>,
    numbers: HashMap<i64, Arc<str>>,
}

impl Roster<'_> {
    fn registrations(&self) -> usize {
        self.lots.len() * self.per_room
    }

    /// The lots account `account` is registered in, in registration order.
    fn lots_of(&self, account: usize) -> impl Iterator<Item = i64> + '_ {
        (account..self.registrations())
            .step_by(self.accounts.max(1))
            .map(|registration| self.lots[registration / self.per_room.max(1)])
    }

    /// Accounts per request: as many as both of the server's limits allow.
    fn accounts_per_request(&self) -> anyhow::Result<usize> {
        let lots_per_account = self.registrations().div_ceil(self.accounts.max(1)).max(1);
        let accounts = BIDDERS_PER_REQUEST.min(REGISTRATIONS_PER_REQUEST / lots_per_account);
        if accounts == 0 {
            bail!(
                "an account registered in {lots_per_account} lots is more than one seed request takes ({REGISTRATIONS_PER_REQUEST}): pass more --bidder-accounts"
            );
        }
        Ok(accounts)
    }

    /// The request that seeds accounts `first..end`.
    fn request(&self, first: usize, end: usize) -> Value {
        let mut by_lot: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for account in first..end {
            for lot in self.lots_of(account) {
                by_lot.entry(lot).or_default().push(account - first);
            }
        }
        let registrations: Vec<Value> = by_lot
            .into_iter()
            .map(|(lot, bidders)| json!({ "lot": lot, "bidders": bidders }))
            .collect();
        json!({
            "username_prefix": format!("{}-b", self.prefix),
            "first_index": first,
            "count": end - first,
            "password": self.password,
            "top_up": self.top_up,
            "registrations": registrations,
        })
    }
}

/// Seeds the roster; returns each registration's room and seat, in registration order.
pub async fn seats(
    api: &Api,
    admin: &str,
    roster: &Roster<'_>,
) -> anyhow::Result<Vec<(usize, Seat)>> {
    if roster.accounts == 0 {
        return Ok(Vec::new());
    }
    let per_request = roster.accounts_per_request()?;
    let chunks: Vec<(usize, usize)> = (0..roster.accounts)
        .step_by(per_request)
        .map(|first| (first, (first + per_request).min(roster.accounts)))
        .collect();
    let answers: Vec<Vec<Value>> = stream::iter(chunks)
        .map(|(first, end)| async move {
            api.seed_bidders(admin, &roster.request(first, end))
                .await
                .with_context(|| format!("seeding bidders {first}..{end}"))
        })
        .buffered(REQUESTS_IN_FLIGHT)
        .try_collect()
        .await?;
    let seeded: Vec<Seeded> = answers
        .into_iter()
        .flatten()
        .map(|bidder| seeded(&bidder))
        .collect::<anyhow::Result<_>>()?;
    if seeded.len() != roster.accounts {
        bail!(
            "the server seeded {} bidders of {}",
            seeded.len(),
            roster.accounts
        );
    }
    (0..roster.registrations())
        .map(|registration| {
            let room = registration / roster.per_room;
            let account = &seeded[registration % roster.accounts];
            let lot = roster.lots[room];
            let bidder_number = account
                .numbers
                .get(&lot)
                .with_context(|| format!("a seeded bidder has no bidder number in lot {lot}"))?;
            Ok((
                room,
                Seat {
                    account_id: account.account_id,
                    token: account.token.clone(),
                    bidder_number: bidder_number.clone(),
                },
            ))
        })
        .collect()
}

fn seeded(bidder: &Value) -> anyhow::Result<Seeded> {
    let token = bidder["token"]
        .as_str()
        .with_context(|| format!("a seeded bidder's token in {bidder}"))?;
    let account_id = bidder["id"]
        .as_i64()
        .with_context(|| format!("a seeded bidder's id in {bidder}"))?;
    let registrations = bidder["registrations"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let numbers = registrations
        .iter()
        .map(|registration| {
            let lot = registration["lot_id"].as_i64();
            let number = registration["bidder_number"].as_str();
            match (lot, number) {
                (Some(lot), Some(number)) => Ok((lot, Arc::from(number))),
                _ => bail!("a seeded registration without lot or bidder number: {registration}"),
            }
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Seeded {
        account_id,
        token: Arc::from(token),
        numbers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster(accounts: usize, per_room: usize, lots: &[i64]) -> Roster<'_> {
        Roster {
            prefix: "lt",
            password: "password",
            accounts,
            per_room,
            lots,
            top_up: "1.00",
        }
    }

    #[test]
    fn each_account_is_registered_where_the_public_path_would_register_it() {
        let lots = [10, 11, 12];
        let roster = roster(4, 2, &lots);
        // Registrations 0..6: rooms 0,0,1,1,2,2 with accounts 0,1,2,3,0,1.
        assert_eq!(roster.lots_of(0).collect::<Vec<_>>(), [10, 12]);
        assert_eq!(roster.lots_of(1).collect::<Vec<_>>(), [10, 12]);
        assert_eq!(roster.lots_of(2).collect::<Vec<_>>(), [11]);
        assert_eq!(roster.lots_of(3).collect::<Vec<_>>(), [11]);
        let request = roster.request(2, 4);
        assert_eq!(request["username_prefix"], "lt-b");
        assert_eq!(request["first_index"], 2);
        assert_eq!(
            request["registrations"],
            json!([{ "lot": 11, "bidders": [0, 1] }])
        );
    }

    #[test]
    fn requests_stay_within_the_servers_limits() {
        let lots: Vec<i64> = (0..2_000).collect();
        assert_eq!(roster(5, 5, &lots).accounts_per_request().unwrap(), 2);
        assert_eq!(
            roster(10_000, 10_000, &[1]).accounts_per_request().unwrap(),
            1_000
        );
        let crowded: Vec<i64> = (0..6_000).collect();
        assert!(roster(1, 1, &crowded).accounts_per_request().is_err());
    }
}
