//! The live WebSocket connections by session token, account and client address (SPEC §8):
//! signing out reaches every socket of its token, the caps count sockets per account and
//! per address, and an account's bids share one rate limit across its connections.

use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::watch;

use crate::config::ServeConfig;
use crate::domain::AccountId;

use super::rate::RateLimit;

/// The limits connections are held to; a cap of 0 is no cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub per_account: u32,
    pub per_address: u32,
    pub account_bids_per_second: u32,
}

impl ConnectionLimits {
    pub fn of(config: &ServeConfig) -> ConnectionLimits {
        ConnectionLimits {
            per_account: config.max_connections_per_account,
            per_address: config.max_connections_per_address,
            account_bids_per_second: config.account_bid_rate_limit,
        }
    }
}

/// The registry of live connections. Cheap to clone.
#[derive(Clone)]
pub struct Connections {
    inner: Arc<Inner>,
}

struct Inner {
    limits: ConnectionLimits,
    /// One sender per session token hash with a live socket; `true` once signed out.
    sessions: DashMap<Arc<str>, watch::Sender<bool>>,
    accounts: Arc<Counts<AccountId>>,
    addresses: Arc<Counts<IpAddr>>,
    /// Accounts that bid lately. A full bucket is the same as none, so
    /// [`Connections::prune`] drops those: the map holds only accounts that bid within
    /// the last prune interval.
    account_bids: DashMap<AccountId, RateLimit>,
}

impl Connections {
    pub fn new(limits: ConnectionLimits) -> Connections {
        Connections {
            inner: Arc::new(Inner {
                limits,
                sessions: DashMap::new(),
                accounts: Arc::new(Counts::default()),
                addresses: Arc::new(Counts::default()),
                account_bids: DashMap::new(),
            }),
        }
    }

    pub fn limits(&self) -> ConnectionLimits {
        self.inner.limits
    }

    /// A place for one more connection from `address`, or `None` over the cap.
    pub fn admit_address(&self, address: IpAddr) -> Option<Slot<IpAddr>> {
        self.inner
            .addresses
            .try_acquire(address, self.inner.limits.per_address)
    }

    /// A place for one more connection of `account`, or `None` over the cap.
    pub fn admit_account(&self, account: AccountId) -> Option<Slot<AccountId>> {
        self.inner
            .accounts
            .try_acquire(account, self.inner.limits.per_account)
    }

    /// The sign-out signal of a session, for a socket authenticated with it. Taken before
    /// the session is read from the database, so that a sign-out that deletes it after
    /// that read still reaches the socket.
    pub fn watch_session(&self, token_hash: &str) -> SessionWatch {
        let token_hash: Arc<str> = Arc::from(token_hash);
        let receiver = self
            .inner
            .sessions
            .entry(token_hash.clone())
            .or_insert_with(|| watch::channel(false).0)
            .subscribe();
        SessionWatch {
            connections: self.clone(),
            token_hash,
            receiver: Some(receiver),
        }
    }

    /// The session was signed out: every socket authenticated with it ends.
    pub fn sign_out(&self, token_hash: &str) {
        if let Some(sender) = self.inner.sessions.get(token_hash) {
            sender.send_replace(true);
        }
    }

    /// Takes one of the account's bid tokens (across all its connections); false if the
    /// account is over `--account-bid-rate-limit`.
    pub fn try_take_account_bid(&self, account: AccountId) -> bool {
        let per_second = self.inner.limits.account_bids_per_second;
        self.inner
            .account_bids
            .entry(account)
            .or_insert_with(|| RateLimit::new(per_second))
            .try_take()
    }

    /// Forgets the bid buckets that have filled up again (as good as new).
    pub fn prune(&self) {
        self.inner
            .account_bids
            .retain(|_, bucket| !bucket.is_full());
    }
}

/// A socket's view of its session's sign-out; the registry forgets the session when its
/// last socket ends.
pub struct SessionWatch {
    connections: Connections,
    token_hash: Arc<str>,
    receiver: Option<watch::Receiver<bool>>,
}

impl SessionWatch {
    /// Resolves once the session is signed out.
    pub async fn signed_out(&mut self) {
        if let Some(receiver) = self.receiver.as_mut()
            && receiver.wait_for(|signed_out| *signed_out).await.is_ok()
        {
            return;
        }
        std::future::pending().await
    }
}

impl Drop for SessionWatch {
    fn drop(&mut self) {
        drop(self.receiver.take());
        self.connections
            .inner
            .sessions
            .remove_if(&self.token_hash, |_, sender| sender.receiver_count() == 0);
    }
}

/// Live connections by key.
struct Counts<K: Eq + Hash> {
    counts: DashMap<K, u32>,
}

impl<K: Eq + Hash> Default for Counts<K> {
    fn default() -> Counts<K> {
        Counts {
            counts: DashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Copy> Counts<K> {
    fn try_acquire(self: &Arc<Self>, key: K, cap: u32) -> Option<Slot<K>> {
        let mut count = self.counts.entry(key).or_insert(0);
        if cap != 0 && *count >= cap {
            return None;
        }
        *count += 1;
        Some(Slot {
            counts: self.clone(),
            key,
        })
    }
}

/// One connection counted against a cap, until it is dropped.
pub struct Slot<K: Eq + Hash + Copy> {
    counts: Arc<Counts<K>>,
    key: K,
}

impl<K: Eq + Hash + Copy> Drop for Slot<K> {
    fn drop(&mut self) {
        if let dashmap::Entry::Occupied(mut entry) = self.counts.counts.entry(self.key) {
            *entry.get_mut() -= 1;
            if *entry.get() == 0 {
                entry.remove();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connections(per_account: u32, per_address: u32) -> Connections {
        Connections::new(ConnectionLimits {
            per_account,
            per_address,
            account_bids_per_second: 2,
        })
    }

    #[test]
    fn a_cap_admits_that_many_and_a_place_comes_back_when_one_ends() {
        let connections = connections(2, 0);
        let first = connections.admit_account(7).expect("one");
        let _second = connections.admit_account(7).expect("two");
        assert!(
            connections.admit_account(7).is_none(),
            "a third is over the cap"
        );
        assert!(
            connections.admit_account(8).is_some(),
            "another account has its own"
        );
        drop(first);
        assert!(connections.admit_account(7).is_some());
    }

    #[test]
    fn a_cap_of_zero_is_no_cap() {
        let connections = connections(0, 0);
        let address = IpAddr::from([127, 0, 0, 1]);
        let slots: Vec<_> = (0..10_000)
            .map(|_| connections.admit_address(address))
            .collect();
        assert!(slots.iter().all(Option::is_some));
    }

    #[test]
    fn ended_connections_leave_nothing_behind() {
        let connections = connections(1, 1);
        drop(connections.admit_account(7));
        drop(connections.admit_address(IpAddr::from([10, 0, 0, 1])));
        drop(connections.watch_session("hash"));
        assert!(connections.inner.accounts.counts.is_empty());
        assert!(connections.inner.addresses.counts.is_empty());
        assert!(connections.inner.sessions.is_empty());
    }

    #[tokio::test]
    async fn signing_out_reaches_every_socket_of_that_session_only() {
        let connections = connections(0, 0);
        let mut first = connections.watch_session("signed-out");
        let mut second = connections.watch_session("signed-out");
        let mut other = connections.watch_session("other");
        connections.sign_out("signed-out");
        first.signed_out().await;
        second.signed_out().await;
        let still_in =
            tokio::time::timeout(std::time::Duration::from_millis(50), other.signed_out()).await;
        assert!(still_in.is_err(), "another session is not signed out");
    }

    #[tokio::test(start_paused = true)]
    async fn an_accounts_bids_share_one_bucket_and_full_buckets_are_pruned() {
        let connections = connections(0, 0);
        assert!(connections.try_take_account_bid(7));
        assert!(connections.try_take_account_bid(7));
        assert!(!connections.try_take_account_bid(7), "two a second");
        assert!(
            connections.try_take_account_bid(8),
            "another account has its own"
        );
        connections.prune();
        assert_eq!(
            connections.inner.account_bids.len(),
            2,
            "both still refilling"
        );
        tokio::time::advance(std::time::Duration::from_secs(1)).await;
        connections.prune();
        assert!(connections.inner.account_bids.is_empty());
    }
}
