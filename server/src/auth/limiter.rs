//! Sign-in attempts, rate-limited: failures are counted per user name and per
//! client address over a sliding window; past the limit, attempts are
//! refused without checking the password (so guessing stays slow) until the
//! oldest failure leaves the window. Time is passed in.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failures allowed per user name within `window_ms`.
    pub per_user: usize,
    /// Failures allowed per client address within `window_ms` (a ward's
    /// tablets may share one address behind a gateway: keep it higher).
    pub per_address: usize,
    pub window_ms: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { per_user: 5, per_address: 30, window_ms: 15 * 60_000 }
    }
}

#[derive(Debug, Default)]
pub struct SignInLimiter {
    limits: Limits,
    by_user: HashMap<String, VecDeque<i64>>,
    by_address: HashMap<IpAddr, VecDeque<i64>>,
}

fn prune(q: &mut VecDeque<i64>, now: i64, window: i64) {
    while q.front().is_some_and(|&t| t <= now - window) {
        q.pop_front();
    }
}

impl SignInLimiter {
    pub fn new(limits: Limits) -> Self {
        SignInLimiter { limits, ..Default::default() }
    }

    /// `Err(ms)` if an attempt now must be refused, with how long until the
    /// next one is allowed.
    pub fn check(&mut self, user: &str, address: IpAddr, now: i64) -> Result<(), i64> {
        let w = self.limits.window_ms;
        let mut wait = 0;
        if let Some(q) = self.by_user.get_mut(&user.to_lowercase()) {
            prune(q, now, w);
            if q.len() >= self.limits.per_user {
                wait = wait.max(q[q.len() - self.limits.per_user] + w - now);
            }
        }
        if let Some(q) = self.by_address.get_mut(&address) {
            prune(q, now, w);
            if q.len() >= self.limits.per_address {
                wait = wait.max(q[q.len() - self.limits.per_address] + w - now);
            }
        }
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    pub fn failed(&mut self, user: &str, address: IpAddr, now: i64) {
        self.by_user.entry(user.to_lowercase()).or_default().push_back(now);
        self.by_address.entry(address).or_default().push_back(now);
        // Bound the memory an attacker can make us hold.
        if self.by_user.len() > 100_000 {
            let w = self.limits.window_ms;
            self.by_user.retain(|_, q| {
                prune(q, now, w);
                !q.is_empty()
            });
        }
    }

    /// A successful sign-in clears the user name's failures (not the address's).
    pub fn succeeded(&mut self, user: &str) {
        self.by_user.remove(&user.to_lowercase());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn the_sixth_failure_in_fifteen_minutes_locks_the_user_name_until_the_first_ages_out() {
        let mut l = SignInLimiter::new(Limits::default());
        for i in 0..5 {
            assert!(l.check("Amal", IP, i * 1000).is_ok());
            l.failed("amal", IP, i * 1000);
        }
        assert_eq!(l.check("AMAL", IP, 10_000), Err(15 * 60_000 - 10_000), "names are case-insensitive");
        assert!(l.check("bea", IP, 10_000).is_ok(), "another name from the same address is not locked yet");
        assert!(l.check("amal", IP, 15 * 60_000 + 1).is_ok(), "the first failure has left the window");
    }

    #[test]
    fn many_names_from_one_address_lock_the_address() {
        let mut l = SignInLimiter::new(Limits { per_user: 5, per_address: 3, window_ms: 1000 });
        for (i, n) in ["a", "b", "c"].iter().enumerate() {
            l.failed(n, IP, i as i64);
        }
        assert!(l.check("d", IP, 10).is_err());
        let other: IpAddr = "10.0.0.9".parse().unwrap();
        assert!(l.check("d", other, 10).is_ok());
    }

    #[test]
    fn success_clears_the_user_names_failures() {
        let mut l = SignInLimiter::new(Limits { per_user: 2, per_address: 100, window_ms: 1000 });
        l.failed("a", IP, 0);
        l.succeeded("a");
        l.failed("a", IP, 1);
        assert!(l.check("a", IP, 2).is_ok());
    }
}
