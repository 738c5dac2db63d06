//! Failed sign-ins, counted per username and per client address (SPEC §8).
//!
//! Only failures count: a correct password never uses up a limit, so many people signing
//! in from one address (an office, a test suite on 127.0.0.1) are never refused for it.
//! A key with `limit` failures in its window is refused, correct password or not, until
//! the window that began at its first failure ends; then it starts afresh. A successful
//! sign-in clears its username's failures (not its address's: an account someone controls
//! must not reset the count of guesses made at others from the same address).
//!
//! Hand-written rather than a rate-limiting crate's: those count every request they are
//! asked about, and here a request is only known to count once its password has failed,
//! while the refusal must come before the password is checked.

use std::net::IpAddr;
use std::time::Duration;

use dashmap::DashMap;
use tokio::time::Instant;

use crate::limits::MAX_SIGN_IN_FAILURE_KEYS;

/// The failures of one key in its current window.
#[derive(Clone, Copy, Debug)]
struct Failures {
    window_started: Instant,
    count: u32,
}

/// Why a sign-in is refused, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Throttled {
    Username { retry_after: Duration },
    Address { retry_after: Duration },
}

impl Throttled {
    pub fn retry_after(self) -> Duration {
        match self {
            Throttled::Username { retry_after } | Throttled::Address { retry_after } => retry_after,
        }
    }

    /// The `by` label of `bidroom_sign_in_refusals_total`.
    pub fn by(self) -> &'static str {
        match self {
            Throttled::Username { .. } => "username",
            Throttled::Address { .. } => "address",
        }
    }
}

/// One limit: at most `limit` failures per key within `window`.
struct FailureCounter<K> {
    failures: DashMap<K, Failures>,
    limit: u32,
    window: Duration,
}

impl<K: std::hash::Hash + Eq + Clone> FailureCounter<K> {
    fn new(limit: u32, window: Duration) -> FailureCounter<K> {
        FailureCounter {
            failures: DashMap::new(),
            limit,
            window,
        }
    }

    /// How long until `key` may try again, if it is over its limit now.
    fn refusal(&self, key: &K, now: Instant) -> Option<Duration> {
        let failures = *self.failures.get(key)?;
        let ends = failures.window_started + self.window;
        (failures.count >= self.limit && now < ends).then(|| ends - now)
    }

    fn record_failure(&self, key: &K, now: Instant) {
        if !self.failures.contains_key(key) && self.failures.len() >= MAX_SIGN_IN_FAILURE_KEYS {
            self.forget_ended(now);
            if self.failures.len() >= MAX_SIGN_IN_FAILURE_KEYS {
                return;
            }
        }
        let mut failures = self.failures.entry(key.clone()).or_insert(Failures {
            window_started: now,
            count: 0,
        });
        if now >= failures.window_started + self.window {
            *failures = Failures {
                window_started: now,
                count: 0,
            };
        }
        failures.count = failures.count.saturating_add(1);
    }

    fn clear(&self, key: &K) {
        self.failures.remove(key);
    }

    fn forget_ended(&self, now: Instant) {
        let window = self.window;
        self.failures
            .retain(|_, failures| now < failures.window_started + window);
    }
}

/// The failed sign-ins the server remembers. Cheap to share (`Arc`).
pub struct SignInThrottle {
    by_username: FailureCounter<String>,
    by_address: FailureCounter<IpAddr>,
}

impl SignInThrottle {
    pub fn new(per_username: u32, per_address: u32, window: Duration) -> SignInThrottle {
        SignInThrottle {
            by_username: FailureCounter::new(per_username, window),
            by_address: FailureCounter::new(per_address, window),
        }
    }

    /// Whether a sign-in to `username` from `address` is refused now, before its password
    /// is looked at.
    pub fn check(&self, username: &str, address: IpAddr, now: Instant) -> Result<(), Throttled> {
        if let Some(retry_after) = self.by_address.refusal(&address, now) {
            return Err(Throttled::Address { retry_after });
        }
        if let Some(retry_after) = self.by_username.refusal(&username.to_owned(), now) {
            return Err(Throttled::Username { retry_after });
        }
        Ok(())
    }

    pub fn record_failure(&self, username: &str, address: IpAddr, now: Instant) {
        self.by_username.record_failure(&username.to_owned(), now);
        self.by_address.record_failure(&address, now);
    }

    pub fn record_success(&self, username: &str) {
        self.by_username.clear(&username.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(60);

    fn address(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn a_username_is_refused_after_its_failures_until_the_window_ends() {
        let throttle = SignInThrottle::new(3, 100, WINDOW);
        let start = Instant::now();
        for attempt in 0..3 {
            assert_eq!(throttle.check("alice", address(attempt), start), Ok(()));
            throttle.record_failure("alice", address(attempt), start);
        }
        let later = start + Duration::from_secs(20);
        assert_eq!(
            throttle.check("alice", address(9), later),
            Err(Throttled::Username {
                retry_after: Duration::from_secs(40)
            })
        );
        assert_eq!(throttle.check("bob", address(9), later), Ok(()));
        assert_eq!(throttle.check("alice", address(9), start + WINDOW), Ok(()));
    }

    #[test]
    fn an_address_is_refused_after_its_failures_whatever_the_usernames() {
        let throttle = SignInThrottle::new(100, 3, WINDOW);
        let now = Instant::now();
        for name in ["a", "b", "c"] {
            throttle.record_failure(name, address(1), now);
        }
        assert!(matches!(
            throttle.check("d", address(1), now),
            Err(Throttled::Address { .. })
        ));
        assert_eq!(throttle.check("d", address(2), now), Ok(()));
    }

    #[test]
    fn successes_never_count_and_clear_the_usernames_failures() {
        let throttle = SignInThrottle::new(2, 2, WINDOW);
        let now = Instant::now();
        throttle.record_failure("alice", address(1), now);
        for _ in 0..1000 {
            assert_eq!(throttle.check("alice", address(1), now), Ok(()));
            throttle.record_success("alice");
        }
        throttle.record_failure("alice", address(2), now);
        assert_eq!(throttle.check("alice", address(3), now), Ok(()));
    }

    #[test]
    fn a_failure_after_the_window_starts_a_new_one() {
        let throttle = SignInThrottle::new(2, 100, WINDOW);
        let start = Instant::now();
        throttle.record_failure("alice", address(1), start);
        throttle.record_failure("alice", address(1), start + WINDOW);
        assert_eq!(throttle.check("alice", address(1), start + WINDOW), Ok(()));
    }
}
