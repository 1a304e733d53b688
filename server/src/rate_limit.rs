//! Rate limits per client address and per API key: keyed GCRA limiters from `governor`,
//! checked before a request's body is read or any query runs (see `http::rate_limited`).
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use poem::http::HeaderMap;
use uuid::Uuid;

use crate::config::{LimitsConfig, RateLimit};

/// How often the limiters forget the keys whose allowance is full again.
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// Above this many remembered keys a limiter sweeps every second instead.
const SWEEP_ABOVE_KEYS: usize = 100_000;

/// The server's rate limiters; `None` where a limit is off.
pub struct RateLimits {
    per_address: Option<Keyed<IpAddr>>,
    per_key: Option<Keyed<Uuid>>,
    trust_forwarded_for: bool,
}

/// A refused request: which limit, and how long until the next one would pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub limit: &'static str,
    pub retry_after: Duration,
}

impl Refusal {
    /// `Retry-After` in whole seconds, rounded up, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0);
        secs.max(1)
    }
}

impl RateLimits {
    /// The limiters `limits` asks for.
    pub fn new(limits: &LimitsConfig) -> Self {
        Self {
            per_address: limits.per_address().map(Keyed::new),
            per_key: limits.per_key().map(Keyed::new),
            trust_forwarded_for: limits.trust_forwarded_for,
        }
    }

    /// Counts one request from the client at `peer` (with `headers`) against its address.
    pub fn check_address(&self, peer: Option<&SocketAddr>, headers: &HeaderMap) -> Result<(), Refusal> {
        let Some(limiter) = &self.per_address else { return Ok(()) };
        let forwarded = self.trust_forwarded_for.then(|| forwarded_for(headers)).flatten();
        match forwarded.or_else(|| peer.map(SocketAddr::ip)) {
            Some(ip) => limiter.check(&client_key(ip), "limits.requests_per_minute_per_address"),
            // Not a TCP peer (a Unix socket): nothing to tell clients apart by.
            None => Ok(()),
        }
    }

    /// Whether requests are counted per key (so the caller's key must be known first).
    pub fn limits_keys(&self) -> bool {
        self.per_key.is_some()
    }

    /// Counts one request made with the API key `key`.
    pub fn check_key(&self, key: Uuid) -> Result<(), Refusal> {
        match &self.per_key {
            Some(limiter) => limiter.check(&key, "limits.requests_per_minute_per_key"),
            None => Ok(()),
        }
    }
}

/// The last address of `X-Forwarded-For`: the one the proxy in front of the server appended.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok()?;
    last.rsplit(',').next()?.trim().parse().ok()
}

/// What a client is counted by: its IPv4 address, or the /64 network of its IPv6 address
/// (one host usually holds a whole /64, so single addresses would be free to change).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// One keyed limiter, which forgets idle keys now and then so its memory stays bounded.
struct Keyed<K: Hash + Eq + Clone> {
    limiter: RateLimiter<K, DefaultKeyedStateStore<K>, DefaultClock>,
    last_sweep: Mutex<Instant>,
}

impl<K: Hash + Eq + Clone> Keyed<K> {
    fn new(limit: RateLimit) -> Self {
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        Self { limiter: RateLimiter::keyed(quota), last_sweep: Mutex::new(Instant::now()) }
    }

    #[cfg(test)]
    fn with_quota(quota: Quota) -> Self {
        Self { limiter: RateLimiter::keyed(quota), last_sweep: Mutex::new(Instant::now()) }
    }

    fn check(&self, key: &K, limit: &'static str) -> Result<(), Refusal> {
        self.sweep_when_due();
        self.limiter
            .check_key(key)
            .map_err(|not_until| Refusal { limit, retry_after: not_until.wait_time_from(self.limiter.clock().now()) })
    }

    /// Drops the keys whose allowance is full again (they count as new), once a minute, or
    /// once a second while more than [`SWEEP_ABOVE_KEYS`] are remembered. Only one request
    /// sweeps; the others go on.
    fn sweep_when_due(&self) {
        let Ok(mut last) = self.last_sweep.try_lock() else { return };
        let since = last.elapsed();
        let due = since >= SWEEP_EVERY || (since >= Duration::from_secs(1) && self.limiter.len() > SWEEP_ABOVE_KEYS);
        if due {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
            *last = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.7".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn the_forwarded_address_is_the_last_one_appended() {
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", "198.51.100.1, 203.0.113.9".parse().unwrap());
        assert_eq!(forwarded_for(&headers), Some("203.0.113.9".parse().unwrap()));
        headers.append("x-forwarded-for", "192.0.2.4".parse().unwrap());
        assert_eq!(forwarded_for(&headers), Some("192.0.2.4".parse().unwrap()));
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(forwarded_for(&headers), None);
    }

    #[test]
    fn forwarded_for_is_ignored_unless_trusted() {
        let limits = |trust| {
            let mut cfg = crate::config::Config::default().limits;
            cfg.requests_per_minute_per_address = Some(1);
            cfg.trust_forwarded_for = trust;
            RateLimits::new(&cfg)
        };
        let peer: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let spoof = |n: u8| {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-for", format!("192.0.2.{n}").parse().unwrap());
            h
        };
        let untrusted = limits(false);
        assert!(untrusted.check_address(Some(&peer), &spoof(1)).is_ok());
        assert!(untrusted.check_address(Some(&peer), &spoof(2)).is_err(), "the peer is what counts");
        let trusted = limits(true);
        assert!(trusted.check_address(Some(&peer), &spoof(1)).is_ok());
        assert!(trusted.check_address(Some(&peer), &spoof(2)).is_ok(), "each forwarded client counts apart");
        let refused = trusted.check_address(Some(&peer), &spoof(1)).unwrap_err();
        assert_eq!(refused.limit, "limits.requests_per_minute_per_address");
        assert!((59..=60).contains(&refused.retry_after_secs()), "{refused:?}");
    }

    #[test]
    fn idle_keys_are_forgotten() {
        let limiter = Keyed::with_quota(Quota::with_period(Duration::from_millis(5)).unwrap());
        for key in 0..1000u32 {
            limiter.check(&key, "test").unwrap();
        }
        assert_eq!(limiter.limiter.len(), 1000);
        std::thread::sleep(Duration::from_millis(50));
        *limiter.last_sweep.lock().unwrap() = Instant::now().checked_sub(SWEEP_EVERY).unwrap();
        limiter.check(&0, "test").unwrap();
        assert!(limiter.limiter.len() <= 1, "{} keys kept", limiter.limiter.len());
    }
}
