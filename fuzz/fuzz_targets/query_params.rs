//! The query strings of the trend, full-disclosure and audit reads, parsed
//! as the server parses them (`serde_urlencoded`) and checked: never panics,
//! and whatever passes the checks is a bounded request.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../server/src/routes/params.rs"]
#[allow(dead_code)]
mod params;

const NOW: i64 = 1_790_000_000_000;

fuzz_target!(|data: &[u8]| {
    if let Ok(q) = serde_urlencoded::from_bytes::<params::TrendQuery>(data) {
        if let Ok(r) = q.check(NOW) {
            assert!(r.from < r.to && r.step_ms > 0);
            assert!((r.to - r.from) / r.step_ms <= params::MAX_TREND_BUCKETS);
            assert!(r.first_bucket <= r.from && r.from - r.first_bucket < r.step_ms);
        }
    }
    if let Ok(q) = serde_urlencoded::from_bytes::<params::WaveQuery>(data) {
        if let Ok((from, to)) = q.check() {
            assert!(from < to && to - from <= params::MAX_WAVE_WINDOW_MS);
        }
    }
    if let Ok(q) = serde_urlencoded::from_bytes::<params::AuditQuery>(data) {
        if let Ok(limit) = q.check() {
            assert!((1..=params::MAX_AUDIT_LIMIT).contains(&limit));
            assert!(i64::try_from(q.after).is_ok());
        }
    }
});
