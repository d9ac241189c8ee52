//! What the advisory says: when each move began and the plain-language reason.

use super::series::{median, Series};
use super::{Driver, Param, BASELINE_FROM_MIN, MIN_MS};
use crate::SampleTime;

/// When the move began: going back from `t`, the first minute (smoothed over
/// three) back within 30 % of the move from the baseline.
pub(super) fn since(s: &Series, t: i64, baseline: f64, dir: f64, worse: f64) -> SampleTime {
    let pts: Vec<(i64, f64)> = s.points(t - BASELINE_FROM_MIN, t).collect();
    let mut start = pts.first().map_or(t, |p| p.0);
    for i in (0..pts.len()).rev() {
        let lo = i.saturating_sub(1);
        let hi = (i + 2).min(pts.len());
        let mut w: Vec<f64> = pts[lo..hi].iter().map(|p| p.1).collect();
        if dir * (median(&mut w) - baseline) < 0.3 * worse {
            start = pts[i].0 + 1;
            break;
        }
    }
    start * MIN_MS
}

/// "HR +22/min, RR +6/min and SpO2 -3 % over 40 min".
pub(super) fn reason(drivers: &[Driver], t: SampleTime) -> String {
    if drivers.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = drivers
        .iter()
        .map(|d| {
            let unit = d.kind.unit();
            let sep = if unit.starts_with('/') { "" } else { " " };
            let v = if d.param == Param::Temp { format!("{:+.1}", d.delta) } else { format!("{:+.0}", d.delta) };
            format!("{} {v}{sep}{unit}", d.kind.label())
        })
        .collect();
    let list = match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => parts.join(""),
    };
    let over = drivers.iter().map(|d| (t - d.since) / MIN_MS).max().unwrap_or(0).max(1);
    format!("{list} over {over} min")
}
