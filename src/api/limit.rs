//! How often one client address may ask the token endpoint for a token: a GCRA quota per
//! address (crate `governor`), so guessing client secrets is slow and one script cannot
//! starve the others.

use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{Quota, RateLimiter};

/// Addresses remembered before idle ones are forgotten.
const PRUNE_OVER: usize = 4096;

type Keyed =
    RateLimiter<IpAddr, governor::state::keyed::DefaultKeyedStateStore<IpAddr>, DefaultClock>;

/// A per-address quota of `per_minute` requests, in bursts of up to that many.
pub struct TokenLimiter {
    limiter: Keyed,
    per_minute: u32,
}

impl TokenLimiter {
    /// At most `per_minute` (at least 1) requests a minute from one address.
    pub fn new(per_minute: u32) -> TokenLimiter {
        let n = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        TokenLimiter {
            limiter: RateLimiter::keyed(Quota::per_minute(n)),
            per_minute: n.get(),
        }
    }

    /// The quota, for messages.
    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Counts a request from `addr` (unknown: all such requests share one count); `Err` is how
    /// long until the next one is allowed.
    pub fn check(&self, addr: Option<IpAddr>) -> Result<(), Duration> {
        if self.limiter.len() > PRUNE_OVER {
            self.limiter.retain_recent();
        }
        let key = addr.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_quota() {
        let l = TokenLimiter::new(3);
        let a = Some(IpAddr::from([127, 0, 0, 1]));
        let b = Some(IpAddr::from([127, 0, 0, 2]));
        for _ in 0..3 {
            assert!(l.check(a).is_ok());
        }
        let wait = l.check(a).unwrap_err();
        // 3 a minute: the next one is due within 20 s.
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(l.check(b).is_ok(), "another address is not slowed");
    }
}
