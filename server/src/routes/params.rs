//! Query parameters of the history and audit reads, parsed (by the web
//! framework, with `serde_urlencoded`) and range-checked here before any
//! work: every number a request sets is bounded, so nothing computed from
//! them can overflow. No web framework here: the fuzzer
//! (`fuzz/fuzz_targets/query_params.rs`) reads this file on its own.

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

use serde::Deserialize;
use vigil_shared::frame::{EARLIEST_TIME, LATEST_TIME};

/// Longest trend range: the default numerics retention, 30 days.
pub const MAX_MINUTES: u32 = 30 * 24 * 60;
/// Longest full-disclosure window one request returns.
pub const MAX_WAVE_WINDOW_MS: i64 = 5 * 60_000;
/// Most buckets one trend request may ask for (per kind): a screen shows
/// far fewer, and it bounds the work of one request.
pub const MAX_TREND_BUCKETS: i64 = 5000;
/// Most audit entries one request returns.
pub const MAX_AUDIT_LIMIT: u32 = 100_000;

/// A time given in a query: within the times a frame may carry (2000-2100),
/// so no sum or difference of two of them can overflow.
pub fn time_param(name: &str, t: i64) -> Result<i64, String> {
    if (EARLIEST_TIME..=LATEST_TIME).contains(&t) {
        Ok(t)
    } else {
        Err(format!("{name} must be a time in ms between {EARLIEST_TIME} and {LATEST_TIME}"))
    }
}

#[derive(Debug, Deserialize)]
pub struct TrendQuery {
    /// How far back from `to`, minutes (1..=43200).
    #[serde(default = "default_minutes")]
    pub minutes: u32,
    /// End of the range, ms since the epoch; now by default.
    pub to: Option<i64>,
    /// How many buckets the screen can show (10..=2000); the step follows.
    pub points: Option<u32>,
    /// Or the bucket width itself, seconds (1..=3600).
    pub step: Option<u32>,
}

fn default_minutes() -> u32 {
    60
}

/// A checked trend request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrendRange {
    pub from: i64,
    pub to: i64,
    pub step_ms: i64,
    /// Where the first bucket starts: a whole step at or before `from`.
    pub first_bucket: i64,
}

impl TrendQuery {
    pub fn check(&self, now: i64) -> Result<TrendRange, String> {
        if !(1..=MAX_MINUTES).contains(&self.minutes) {
            return Err(format!("minutes must be 1..={MAX_MINUTES}"));
        }
        let step_ms = match (self.step, self.points) {
            (Some(s), None) if (1..=3600).contains(&s) => i64::from(s).saturating_mul(1000),
            (None, Some(p)) if (10..=2000).contains(&p) => step_for(self.minutes, p),
            (None, None) => step_for(self.minutes, 600),
            _ => return Err("give either step (1..=3600 s) or points (10..=2000), not both".into()),
        };
        let span_ms = i64::from(self.minutes).saturating_mul(60_000);
        let buckets = span_ms.checked_div(step_ms).unwrap_or(i64::MAX);
        if buckets > MAX_TREND_BUCKETS {
            return Err(format!(
                "{} minutes in steps of {} s is {buckets} buckets; at most {MAX_TREND_BUCKETS}",
                self.minutes,
                step_ms / 1000
            ));
        }
        let to = time_param("to", self.to.unwrap_or(now))?;
        let from = to.saturating_sub(span_ms);
        let first_bucket = from.div_euclid(step_ms).saturating_mul(step_ms);
        Ok(TrendRange { from, to, step_ms, first_bucket })
    }
}

/// The bucket width for `minutes` shown in `points`: whole seconds, and
/// whole minutes from half a minute up (so 8 hours and longer read the
/// per-minute aggregates, never every reading). Never more than `points`.
pub fn step_for(minutes: u32, points: u32) -> i64 {
    // Whole minutes of u32 and a positive divisor: nothing here can overflow.
    let ceil = |a: i64, b: i64| a.saturating_add(b).saturating_sub(1).checked_div(b).unwrap_or(a);
    let raw = ceil(i64::from(minutes).saturating_mul(60_000), i64::from(points.max(1)));
    if raw >= 30_000 {
        ceil(raw, 60_000).saturating_mul(60_000)
    } else {
        ceil(raw, 1000).max(1).saturating_mul(1000)
    }
}

#[derive(Debug, Deserialize)]
pub struct WaveQuery {
    pub from: i64,
    pub to: i64,
}

impl WaveQuery {
    /// `(from, to)`: both plausible times, `from` before `to`, at most
    /// [`MAX_WAVE_WINDOW_MS`] apart.
    pub fn check(&self) -> Result<(i64, i64), String> {
        let (from, to) = (time_param("from", self.from)?, time_param("to", self.to)?);
        if to <= from || to.saturating_sub(from) > MAX_WAVE_WINDOW_MS {
            return Err(format!("from must be before to, at most {} s apart", MAX_WAVE_WINDOW_MS / 1000));
        }
        Ok((from, to))
    }
}

/// The audit query string. (Not `#[serde(flatten)]` of the store's filter:
/// flattened, the query's numbers arrive as strings and are refused.)
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    #[serde(default)]
    pub after: u64,
    pub kind: Option<String>,
    pub actor: Option<String>,
    pub bed: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub limit: Option<u32>,
}

impl AuditQuery {
    /// The number of entries to return (1000 by default).
    pub fn check(&self) -> Result<u32, String> {
        // Entry numbers are stored as signed 64-bit integers.
        if i64::try_from(self.after).is_err() {
            return Err(format!("after must be 0..={}", i64::MAX));
        }
        let limit = self.limit.unwrap_or(1000);
        if !(1..=MAX_AUDIT_LIMIT).contains(&limit) {
            return Err(format!("limit must be 1..={MAX_AUDIT_LIMIT}"));
        }
        if !matches!(self.format.as_deref(), None | Some("json") | Some("csv")) {
            return Err("format must be json or csv".into());
        }
        Ok(limit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_whole_seconds_or_minutes_and_never_exceed_the_points() {
        assert_eq!(step_for(60, 600), 6_000);
        assert_eq!(step_for(8 * 60, 600), 60_000, "8 h: 48 s rounds up to a minute");
        assert_eq!(step_for(24 * 60, 600), 180_000, "24 h: 144 s rounds up to 3 min");
        assert_eq!(step_for(72 * 60, 600), 480_000, "72 h: 7.2 min rounds up to 8 min");
        for m in [1, 7, 59, 61, 479, 480, 1441, 43_200] {
            for p in [10, 97, 600, 2000] {
                assert!(i64::from(m) * 60_000 / step_for(m, p) <= i64::from(p), "{m} min in {p} points");
            }
        }
    }

    #[test]
    fn every_checked_range_is_bounded() {
        let q = TrendQuery { minutes: MAX_MINUTES, to: Some(i64::MIN), points: None, step: None };
        assert!(q.check(0).is_err());
        let q = TrendQuery { minutes: MAX_MINUTES, to: None, points: None, step: Some(1) };
        assert!(q.check(1_790_000_000_000).unwrap_err().contains("buckets"));
        let r = TrendQuery { minutes: 60, to: None, points: None, step: Some(10) }.check(1_790_000_000_000).unwrap();
        assert_eq!((r.to - r.from, r.step_ms), (3_600_000, 10_000));
        assert!(r.first_bucket <= r.from && r.from - r.first_bucket < r.step_ms);
        assert!(WaveQuery { from: i64::MIN + 1_000_000_000, to: i64::MAX }.check().is_err());
        let after = AuditQuery {
            after: u64::MAX,
            kind: None,
            actor: None,
            bed: None,
            from: None,
            to: None,
            format: None,
            limit: None,
        };
        assert!(after.check().is_err());
    }
}
