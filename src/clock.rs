//! The server's clock: the only clock (SPEC §2).
//!
//! Wall-clock milliseconds are derived from tokio's monotonic `Instant`, anchored once at
//! start, so that deadlines never jump with the system clock and tests can pause time
//! (`#[tokio::test(start_paused = true)]`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    anchor_instant: Instant,
    anchor_ms: i64,
}

impl Clock {
    pub fn start() -> Clock {
        let anchor_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the system clock is after 1970")
            .as_millis() as i64;
        Clock {
            anchor_instant: Instant::now(),
            anchor_ms,
        }
    }

    /// A clock that reads `at_ms` now, whatever the system clock says: the room
    /// simulation's, so that a seed replays with the same times.
    #[cfg(test)]
    pub fn starting_at(at_ms: i64) -> Clock {
        Clock {
            anchor_instant: Instant::now(),
            anchor_ms: at_ms,
        }
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        self.anchor_ms + self.anchor_instant.elapsed().as_millis() as i64
    }

    /// The instant at which `now_ms()` reaches `at_ms` (now, if that has passed).
    pub fn instant_at(&self, at_ms: i64) -> Instant {
        let offset_ms = (at_ms - self.anchor_ms).max(0) as u64;
        (self.anchor_instant + Duration::from_millis(offset_ms)).max(Instant::now())
    }
}
