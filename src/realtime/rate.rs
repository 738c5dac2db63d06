//! The rate limits of bids (`--bid-rate-limit` per connection, `--account-bid-rate-limit`
//! per account across its connections) and joins (`--join-rate-limit` per connection):
//! token buckets holding one second's worth, so a short burst passes and a flood does not.

use tokio::time::Instant;

pub struct RateLimit {
    per_second: f64,
    capacity: f64,
    tokens: f64,
    refilled_at: Instant,
}

impl RateLimit {
    pub fn new(per_second: u32) -> RateLimit {
        let per_second = f64::from(per_second.max(1));
        RateLimit {
            per_second,
            capacity: per_second,
            tokens: per_second,
            refilled_at: Instant::now(),
        }
    }

    /// Takes one token; false if the connection is over its rate.
    pub fn try_take(&mut self) -> bool {
        let now = Instant::now();
        self.tokens = self.tokens_at(now);
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Whether the bucket has refilled: then it is no different from a new one.
    pub fn is_full(&self) -> bool {
        self.tokens_at(Instant::now()) >= self.capacity
    }

    fn tokens_at(&self, now: Instant) -> f64 {
        let elapsed = now.duration_since(self.refilled_at).as_secs_f64();
        (self.tokens + elapsed * self.per_second).min(self.capacity)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_burst_passes_and_a_flood_is_refused_until_tokens_refill() {
        let mut limit = RateLimit::new(5);
        assert!((0..5).all(|_| limit.try_take()));
        assert!(!limit.try_take());
        tokio::time::advance(std::time::Duration::from_millis(200)).await;
        assert!(limit.try_take());
        assert!(!limit.try_take());
    }
}
