//! How good the "unusual trend" advisory is (`vigil advisory-eval`):
//! false advisories per patient-hour on real recordings with no known
//! deterioration, and detection and lead time on deteriorations injected
//! into a real recording ([`vigil_shared::drift::inject`]).
//!
//! Two families of injected drifts, each pattern x shape x ramp, started
//! every two hours through the 32-hour MIMIC-II record:
//! - *textbook*: the patterns at their textbook size. Against this bradycardic
//!   patient's baseline most stay inside every default limit: only detection
//!   counts (an advisory between the start and the end of the hold).
//! - *to alarm*: the same pattern scaled so that its first parameter to cross
//!   an adult default limit is just past it (HR +10/min, RR +3/min, SpO2 -3 %,
//!   systolic -10 mmHg, +0.3 °C) at the end of the ramp. Lead time is the
//!   first threshold alarm of the alarm engine (defaults, on a drifting
//!   parameter, the worse way) minus the advisory; an advisory after that
//!   alarm, or none, is a miss.

use crate::replay::Recording;
use anyhow::Context;
use std::fmt::Write as _;
use std::path::Path;
use vigil_shared::alarm::limits::{policy, Band};
use vigil_shared::alarm::{AlarmOptions, BedAlarms, Condition, Profile};
use vigil_shared::drift::inject::{Injection, Pattern, Shape};
use vigil_shared::drift::{BedDrift, DriftChange, Param, WARM_UP_MIN};
use vigil_shared::{SampleTime, VitalKind};

/// Device time the recordings are placed at: a whole minute.
pub const T0: i64 = 1_790_000_040_000;
const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
/// The long MIMIC-II record the drifts are injected into.
const CARRIER: &str = "s00001-2896-10-10-00-31n";
/// Ramps of the injected drifts, minutes.
pub const RAMPS_MIN: [i64; 4] = [30, 60, 120, 240];
const HOLD: i64 = 30 * MIN;
/// The first start, so the carrier's patient has a baseline.
const FIRST_START: i64 = 4 * HOUR;
const START_EVERY: i64 = 2 * HOUR;

/// What is evaluated: the detector, and which part of the carrier.
#[derive(Debug, Clone, Copy)]
pub struct EvalOptions {
    /// A new bed judged by the detector under test.
    pub detector: fn() -> BedDrift,
    /// The part of the carrier used, ms from its start (`None`: all of it):
    /// a learned detector trained on one half is evaluated on the other.
    pub carrier_span: Option<(i64, i64)>,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions { detector: BedDrift::baseline_only, carrier_span: None }
    }
}

/// The advisories raised over a recording: when (ms from its start), and
/// the parameters that drove each.
fn advisories(detector: fn() -> BedDrift, numerics: &[(i64, VitalKind, f64)]) -> Vec<(SampleTime, Vec<Param>)> {
    let mut d = detector();
    let mut raised = Vec::new();
    for &(off, kind, v) in numerics {
        d.on_numeric(kind, T0 + off, v);
        for c in d.take_changes() {
            if let (DriftChange::Raised(_), Some(a)) = (c, d.advisory()) {
                raised.push((a.raised - T0, a.raised_by.clone()));
            }
        }
    }
    raised
}

/// A stable set: records, hours, hours judged (after the warm-up), advisories.
#[derive(Debug, Clone, Default)]
pub struct StableRow {
    pub name: String,
    pub records: usize,
    pub hours: f64,
    pub judged_hours: f64,
    pub advisories: usize,
}

/// One injected drift and what came of it (times from the drift's start, ms).
#[derive(Debug, Clone)]
pub struct Trial {
    pub pattern: &'static str,
    pub shape: Shape,
    pub ramp_min: i64,
    pub to_alarm: bool,
    pub advisory: Option<i64>,
    pub alarm: Option<i64>,
}

impl Trial {
    /// Minutes the advisory came before the alarm (negative: after it).
    pub fn lead_min(&self) -> Option<f64> {
        Some((self.alarm? - self.advisory?) as f64 / MIN as f64)
    }

    /// Advised (at any time between the start and the end of the hold).
    pub fn advised(&self) -> bool {
        self.advisory.is_some()
    }

    /// Advised before the first threshold alarm; `None` when nothing alarmed.
    pub fn before_alarm(&self) -> Option<bool> {
        let alarm = self.alarm?;
        Some(self.advisory.is_some_and(|a| a <= alarm))
    }
}

pub struct EvalReport {
    pub stable: Vec<StableRow>,
    pub trials: Vec<Trial>,
}

fn files(dir: &Path, ext: &str) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    v.sort();
    Ok(v)
}

fn stable_row(detector: fn() -> BedDrift, name: &str, recs: &[Recording]) -> StableRow {
    let mut row = StableRow { name: name.into(), records: recs.len(), ..Default::default() };
    for rec in recs {
        let h = rec.duration_ms() as f64 / HOUR as f64;
        row.hours += h;
        row.judged_hours += (h - WARM_UP_MIN as f64 / 60.0).max(0.0);
        row.advisories += advisories(detector, &rec.numerics).len();
    }
    row
}

/// The median of the values of `kinds` in `[from, to)`.
fn level(numerics: &[(i64, VitalKind, f64)], kinds: &[VitalKind], from: i64, to: i64) -> Option<f64> {
    median(numerics.iter().filter(|(t, k, _)| (from..to).contains(t) && kinds.contains(k)).map(|x| x.2).collect())
}

/// The adult default limit the worse way, and how far past it "just past" is.
fn limit(p: Param) -> (f64, f64) {
    let kind = p.kinds().next().expect("every parameter has a source");
    let lim = policy(Profile::Adult, kind).expect("alarmed").defaults;
    match p {
        Param::Hr => (lim.get(Band::High).unwrap(), 10.0),
        Param::Rr => (lim.get(Band::High).unwrap(), 3.0),
        Param::Spo2 => (lim.get(Band::Low).unwrap(), -3.0),
        Param::Sys => (lim.get(Band::Low).unwrap(), -10.0),
        Param::Temp => (lim.get(Band::High).unwrap(), 0.3),
    }
}

/// The pattern scaled so its first parameter to cross is just past its
/// limit at full size, judged from the four hours before `start`.
fn to_alarm(pattern: &Pattern, numerics: &[(i64, VitalKind, f64)], start: i64) -> Option<Pattern> {
    let k = pattern
        .changes()
        .iter()
        .filter_map(|&(p, c)| {
            let base = level(numerics, &p.kinds().collect::<Vec<_>>(), start - 4 * HOUR, start)?;
            let (lim, past) = limit(p);
            let k = (lim + past - base) / c;
            (k > 0.0).then_some(k)
        })
        .min_by(f64::total_cmp)?;
    Some(Pattern::Custom(pattern.changes().into_iter().map(|(p, c)| (p, c * k)).collect()))
}

/// The parameters whose alarms a drift of `p` sets off (a falling systolic
/// pressure takes the mean pressure down with it).
fn alarm_kinds(p: Param) -> Vec<VitalKind> {
    let mut kinds: Vec<VitalKind> = p.kinds().collect();
    if p == Param::Sys {
        kinds.extend([VitalKind::NibpMean, VitalKind::ArtMean]);
    }
    kinds
}

/// The first threshold alarm raised at or after `start` on a drifting
/// parameter, the worse way.
fn first_alarm(numerics: &[(i64, VitalKind, f64)], pattern: &Pattern, start: i64) -> Option<i64> {
    let mut engine = BedAlarms::new("eval", AlarmOptions::default());
    for &(off, kind, v) in numerics {
        engine.on_numeric(kind, T0 + off, v, T0 + off);
    }
    let changes = pattern.changes();
    engine
        .log()
        .filter(|a| a.raised - T0 >= start)
        .filter(|a| match a.id.condition {
            // A parameter that rises when worse alarms on a high band.
            Condition::Vital { kind, band } => changes.iter().any(|&(p, c)| {
                alarm_kinds(p).contains(&kind) && c * p.worse() > 0.0 && band.is_low() == (p.worse() < 0.0)
            }),
            _ => false,
        })
        .map(|a| a.raised - T0)
        .min()
}

/// The recordings the evaluation reads from `data_dir`: BIDMC's numerics
/// and the MIMIC-II records.
pub fn recordings(data_dir: &Path) -> anyhow::Result<(Vec<Recording>, Vec<Recording>)> {
    let open = |p: &Path| Recording::open(p).with_context(|| format!("reading {}", p.display()));
    let bidmc: Vec<Recording> =
        files(&data_dir.join("bidmc/numerics"), "csv")?.iter().map(|p| open(p)).collect::<anyhow::Result<_>>()?;
    let mimic: Vec<Recording> =
        files(&data_dir.join("mimic2"), "hea")?.iter().map(|p| open(p)).collect::<anyhow::Result<_>>()?;
    anyhow::ensure!(!bidmc.is_empty(), "no BIDMC numerics under {}", data_dir.display());
    anyhow::ensure!(
        mimic.iter().any(|r| r.name == CARRIER),
        "the MIMIC-II record {CARRIER} is not under {}",
        data_dir.display()
    );
    Ok((bidmc, mimic))
}

/// The carrier of the injected drifts, or the part of it in `span` (ms),
/// starting at 0.
pub fn carrier(mimic: &[Recording], span: Option<(i64, i64)>) -> anyhow::Result<Recording> {
    let rec = mimic.iter().find(|r| r.name == CARRIER).with_context(|| format!("no MIMIC-II record {CARRIER}"))?;
    let Some((from, to)) = span else { return Ok(rec.clone()) };
    let numerics =
        rec.numerics.iter().filter(|n| (from..to).contains(&n.0)).map(|&(t, k, v)| (t - from, k, v)).collect();
    Ok(Recording { name: rec.name.clone(), numerics, tracks: vec![], dropped_numerics: 0 })
}

/// Runs the evaluation of the baseline detector over `data_dir`
/// (`bidmc/numerics`, `mimic2`) and the whole carrier.
pub fn run(data_dir: &Path) -> anyhow::Result<EvalReport> {
    run_with(data_dir, &EvalOptions::default())
}

/// Runs the evaluation of `opts.detector` over `data_dir`.
pub fn run_with(data_dir: &Path, opts: &EvalOptions) -> anyhow::Result<EvalReport> {
    let (bidmc, mimic) = recordings(data_dir)?;
    let carrier = carrier(&mimic, opts.carrier_span)?;
    let detector = opts.detector;
    let mut stable = vec![stable_row(detector, "BIDMC, 53 stable ICU adults (1 Hz)", &bidmc)];
    for rec in &mimic {
        let (rec, what) = if rec.name == CARRIER {
            let what = match opts.carrier_span {
                None => "32 h, no known deterioration".to_string(),
                Some((a, b)) => format!("hours {}-{} only, no known deterioration", a / HOUR, b / HOUR),
            };
            (&carrier, what)
        } else {
            (rec, "artefact-laden".to_string())
        };
        stable.push(stable_row(detector, &format!("MIMIC-II {} ({what}, 1/min)", rec.name), std::slice::from_ref(rec)));
    }
    let duration = carrier.duration_ms();
    let mut trials = Vec::new();
    for pattern in Pattern::named() {
        for shape in Shape::ALL {
            for ramp_min in RAMPS_MIN {
                let ramp_ms = ramp_min * MIN;
                let mut start = FIRST_START;
                while start + ramp_ms + HOLD <= duration {
                    for scaled in [false, true] {
                        let p = if scaled {
                            match to_alarm(&pattern, &carrier.numerics, start) {
                                Some(p) => p,
                                None => continue,
                            }
                        } else {
                            pattern.clone()
                        };
                        let inj = Injection { pattern: p.clone(), shape, start_ms: start, ramp_ms, hold_ms: HOLD };
                        let data = inj.apply(&carrier.numerics);
                        // An advisory counts when raised after the start and
                        // driven by a drifting parameter (not one of the
                        // carrier's own).
                        let moved: Vec<Param> = p.changes().iter().map(|c| c.0).collect();
                        let advisory = advisories(detector, &data)
                            .into_iter()
                            .find(|(t, by)| *t >= start && by.iter().any(|x| moved.contains(x)))
                            .map(|(t, _)| t - start);
                        let alarm = first_alarm(&data, &p, start).map(|t| t - start);
                        trials.push(Trial {
                            pattern: pattern.name(),
                            shape,
                            ramp_min,
                            to_alarm: scaled,
                            advisory,
                            alarm,
                        });
                    }
                    start += START_EVERY;
                }
            }
        }
    }
    Ok(EvalReport { stable, trials })
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

impl EvalReport {
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "False advisories on recordings with no known deterioration (warm-up {WARM_UP_MIN} min)");
        let _ = writeln!(
            out,
            "  {:<58} {:>7} {:>7} {:>7} {:>4} {:>15}",
            "recordings", "records", "hours", "judged", "n", "per judged hour"
        );
        for r in &self.stable {
            let rate = if r.judged_hours > 0.0 {
                format!("{:.3}", r.advisories as f64 / r.judged_hours)
            } else {
                "n/a".into()
            };
            let _ = writeln!(
                out,
                "  {:<58} {:>7} {:>7.1} {:>7.1} {:>4} {:>15}",
                r.name, r.records, r.hours, r.judged_hours, r.advisories, rate
            );
        }
        let _ = writeln!(
            out,
            "  (BIDMC records are 8 min, shorter than the warm-up: never judged. The 32 h record is also the\n   \
             carrier of the injected drifts below, and the thresholds were chosen with it in view: in sample.)"
        );
        for scaled in [false, true] {
            let title = if scaled {
                "Drifts to just past a default limit: advised before the alarm engine's first threshold alarm, lead time"
            } else {
                "Drifts of textbook size (most stay inside the limits on this patient): advised between start and end"
            };
            let _ = writeln!(out, "\n{title}");
            let _ = writeln!(
                out,
                "  {:<20} {:<13} {:>5} {:>4} {:>8} {:>9} {:>8} {:>13} {:>9}",
                "pattern", "shape", "ramp", "n", "advised", "advice at", "alarmed", "before alarm", "lead"
            );
            let mut keys: Vec<(&str, &str, i64)> = Vec::new();
            for t in self.trials.iter().filter(|t| t.to_alarm == scaled) {
                let k = (t.pattern, t.shape.name(), t.ramp_min);
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            keys.push(("all", "", 0));
            for (pattern, shape, ramp) in keys {
                let group: Vec<&Trial> = self
                    .trials
                    .iter()
                    .filter(|t| t.to_alarm == scaled)
                    .filter(|t| {
                        pattern == "all" || (t.pattern == pattern && t.shape.name() == shape && t.ramp_min == ramp)
                    })
                    .collect();
                let n = group.len();
                let advised = group.iter().filter(|t| t.advised()).count();
                let at = median(group.iter().filter_map(|t| t.advisory).map(|a| a as f64 / MIN as f64).collect());
                let alarmed: Vec<bool> = group.iter().filter_map(|t| t.before_alarm()).collect();
                let before = alarmed.iter().filter(|b| **b).count();
                let lead = median(
                    group.iter().filter(|t| t.before_alarm() == Some(true)).filter_map(|t| t.lead_min()).collect(),
                );
                let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0} min"));
                let pct = |k: usize, n: usize| {
                    if n == 0 {
                        "-".to_string()
                    } else {
                        format!("{:.0} %", 100.0 * k as f64 / n as f64)
                    }
                };
                let ramp = if ramp == 0 { String::new() } else { format!("{ramp}m") };
                let _ = writeln!(
                    out,
                    "  {:<20} {:<13} {:>5} {:>4} {:>8} {:>9} {:>8} {:>13} {:>9}",
                    pattern,
                    shape,
                    ramp,
                    n,
                    pct(advised, n),
                    f(at),
                    alarmed.len(),
                    pct(before, alarmed.len()),
                    f(lead)
                );
            }
        }
        out
    }
}
