//! Sign-in attempts, rate-limited: attempts are counted per user name and per
//! client address over a sliding window, when they are let in (so parallel
//! requests cannot all pass before the first has been judged); past the
//! limit, attempts are refused without checking the password (so guessing
//! stays slow) until the oldest counted attempt leaves the window. A
//! successful sign-in takes its own attempt back and clears the user name's
//! failures. Time is passed in.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Failed attempts allowed per user name within `window_ms`.
    pub per_user: usize,
    /// Failed attempts allowed per client address within `window_ms` (a
    /// ward's tablets may share one address behind a gateway: keep it higher).
    pub per_address: usize,
    pub window_ms: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { per_user: 5, per_address: 30, window_ms: 15 * 60_000 }
    }
}

/// Most keys kept per map before expired ones are dropped: bounds the memory
/// an attacker rotating names or addresses can make us hold.
const PRUNE_ABOVE: usize = 10_000;

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

/// How long until an attempt is allowed for this key, 0 if it is now.
fn wait<K: Hash + Eq>(map: &mut HashMap<K, VecDeque<i64>>, key: &K, limit: usize, now: i64, window: i64) -> i64 {
    match map.get_mut(key) {
        Some(q) => {
            prune(q, now, window);
            if q.len() >= limit {
                q[q.len() - limit] + window - now
            } else {
                0
            }
        }
        None => 0,
    }
}

fn bound<K: Hash + Eq>(map: &mut HashMap<K, VecDeque<i64>>, now: i64, window: i64) {
    if map.len() > PRUNE_ABOVE {
        map.retain(|_, q| {
            prune(q, now, window);
            !q.is_empty()
        });
    }
}

/// An attempt let in: counted until [`SignInLimiter::succeeded`] takes it back.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "an attempt that succeeds must be handed back"]
pub struct Attempt {
    user: String,
    address: IpAddr,
    at: i64,
}

impl SignInLimiter {
    pub fn new(limits: Limits) -> Self {
        SignInLimiter { limits, ..Default::default() }
    }

    /// Lets an attempt in and counts it, or `Err(ms)`: refused, with how
    /// long until the next one is allowed.
    pub fn attempt(&mut self, user: &str, address: IpAddr, now: i64) -> Result<Attempt, i64> {
        let (w, user) = (self.limits.window_ms, user.to_lowercase());
        let wait = wait(&mut self.by_user, &user, self.limits.per_user, now, w).max(wait(
            &mut self.by_address,
            &address,
            self.limits.per_address,
            now,
            w,
        ));
        if wait > 0 {
            return Err(wait);
        }
        self.by_user.entry(user.clone()).or_default().push_back(now);
        self.by_address.entry(address).or_default().push_back(now);
        bound(&mut self.by_user, now, w);
        bound(&mut self.by_address, now, w);
        Ok(Attempt { user, address, at: now })
    }

    /// The attempt succeeded: it is taken back from its address, and the
    /// user name's failures are cleared.
    pub fn succeeded(&mut self, attempt: Attempt) {
        self.by_user.remove(&attempt.user);
        if let Some(q) = self.by_address.get_mut(&attempt.address) {
            if let Some(i) = q.iter().rposition(|&t| t == attempt.at) {
                q.remove(i);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IP: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[test]
    fn the_sixth_attempt_in_fifteen_minutes_is_refused_until_the_first_ages_out() {
        let mut l = SignInLimiter::new(Limits::default());
        for i in 0..5 {
            let _failed = l.attempt("Amal", IP, i * 1000).unwrap();
        }
        assert_eq!(l.attempt("AMAL", IP, 10_000), Err(15 * 60_000 - 10_000), "names are case-insensitive");
        assert!(l.attempt("bea", IP, 10_000).is_ok(), "another name from the same address is not locked yet");
        assert!(l.attempt("amal", IP, 15 * 60_000 + 1).is_ok(), "the first attempt has left the window");
    }

    #[test]
    fn parallel_attempts_are_counted_as_they_are_let_in_not_when_judged() {
        let mut l = SignInLimiter::new(Limits { per_user: 3, per_address: 100, window_ms: 60_000 });
        // Five requests arrive together; none has been judged yet.
        let let_in = (0..5).filter(|_| l.attempt("amal", IP, 0).is_ok()).count();
        assert_eq!(let_in, 3);
    }

    #[test]
    fn many_names_from_one_address_lock_the_address() {
        let mut l = SignInLimiter::new(Limits { per_user: 5, per_address: 3, window_ms: 1000 });
        for (i, n) in ["a", "b", "c"].iter().enumerate() {
            let _failed = l.attempt(n, IP, i as i64).unwrap();
        }
        assert!(l.attempt("d", IP, 10).is_err());
        let other: IpAddr = "10.0.0.9".parse().unwrap();
        assert!(l.attempt("d", other, 10).is_ok());
    }

    #[test]
    fn success_takes_its_attempt_back_and_clears_the_user_names_failures() {
        let mut l = SignInLimiter::new(Limits { per_user: 2, per_address: 2, window_ms: 1000 });
        let _failed = l.attempt("a", IP, 0).unwrap();
        let ok = l.attempt("a", IP, 1).unwrap();
        l.succeeded(ok);
        assert!(l.attempt("a", IP, 2).is_ok(), "the user name's failures are cleared");
        assert!(l.attempt("b", IP, 3).is_err(), "the address still counts its one failure and the attempt since");
    }

    #[test]
    fn rotating_addresses_do_not_grow_memory_without_bound() {
        let mut l = SignInLimiter::new(Limits { per_user: 1_000_000, per_address: 5, window_ms: 10 });
        for i in 0..30_000u32 {
            let ip = IpAddr::V4(std::net::Ipv4Addr::from(i));
            let _ = l.attempt("x", ip, i64::from(i) * 100);
        }
        assert!(l.by_address.len() <= PRUNE_ABOVE + 1, "{}", l.by_address.len());
    }
}
