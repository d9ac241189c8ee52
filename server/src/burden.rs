//! Alarm burden on real data (`vigil alarm-burden`): the alarm engine run
//! over the real numerics in the PhysioNet data (BIDMC, MIMIC-II), against
//! plain thresholds with no delay, and the known sustained events checked.
//!
//! "Plain thresholds" uses the very same limits (adult defaults) and counts an
//! alarm each time a value crosses from inside a limit to beyond it, as a
//! monitor with every delay at 0 would. "Vigil" is the engine of the tablets
//! with its defaults: delays, smart SpO2 delay, HR as the pulse alarm source,
//! NEWS2 bands (counted separately: plain thresholds have none).

use crate::replay::Recording;
use anyhow::Context;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use vigil_shared::alarm::limits::{policy, Band};
use vigil_shared::alarm::{AlarmOptions, BedAlarms, Condition, Priority, Profile};
use vigil_shared::news2::Risk;
use vigil_shared::VitalKind;

/// Device time the recordings are placed at (any fixed time will do).
const T0: i64 = 1_790_000_000_000;

/// A family of records counted together.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub name: String,
    pub records: usize,
    pub hours: f64,
    /// (what, priority) -> (plain, vigil)
    pub counts: BTreeMap<(String, Priority), (u64, u64)>,
}

/// A known event in the data and what the engine made of it.
#[derive(Debug, Clone)]
pub struct EventCheck {
    pub record: String,
    pub expected: &'static str,
    /// Whether the event should alarm (false: a brief excursion to de-trigger).
    pub should_alarm: bool,
    pub watched: VitalKind,
    pub plain: u64,
    /// Vigil's alarms on the watched parameter: (title, priority, onset s, raised s).
    pub vigil: Vec<(String, Priority, f64, f64)>,
}

pub struct BurdenReport {
    pub datasets: Vec<Dataset>,
    pub events: Vec<EventCheck>,
}

/// The events `../shared/data/README.md` points out.
const EVENTS: [(&str, &str, bool, VitalKind); 7] = [
    ("bidmc_21", "sustained tachycardia", true, VitalKind::Hr),
    ("bidmc_25", "sustained tachycardia", true, VitalKind::Hr),
    ("bidmc_32", "SpO2 about 83-84 % throughout", true, VitalKind::Spo2),
    ("bidmc_49", "SpO2 about 83-84 % throughout", true, VitalKind::Spo2),
    ("bidmc_13", "respiration reading 0 for about 230 s", true, VitalKind::Rr),
    ("bidmc_45", "brief HR 44 (should not alarm)", false, VitalKind::Hr),
    ("s00001-2896-10-10-00-31n", "bradycardic patient over 32 h", true, VitalKind::Hr),
];

struct Judged {
    hours: f64,
    plain: BTreeMap<(VitalKind, Band), u64>,
    vigil: Vec<(Condition, Priority, i64, i64)>,
}

fn judge(rec: &Recording) -> Judged {
    let mut engine = BedAlarms::new(rec.name.clone(), AlarmOptions::default());
    let mut plain = BTreeMap::new();
    let mut beyond: BTreeMap<(VitalKind, Band), bool> = BTreeMap::new();
    for &(offset, kind, value) in &rec.numerics {
        let t = T0 + offset;
        engine.on_numeric(kind, t, value, t);
        let Some(p) = policy(Profile::Adult, kind) else { continue };
        for band in Band::ALL {
            let Some(limit) = p.defaults.get(band) else { continue };
            let now = band.violated(value, limit);
            let was = beyond.insert((kind, band), now).unwrap_or(false);
            if now && !was {
                *plain.entry((kind, band)).or_insert(0) += 1;
            }
        }
    }
    let vigil = engine.log().map(|a| (a.id.condition, a.priority, a.id.onset - T0, a.raised - T0)).collect();
    Judged { hours: rec.duration_ms() as f64 / 3_600_000.0, plain, vigil }
}

fn label(condition: &Condition) -> Option<String> {
    match condition {
        Condition::Vital { kind, band } => Some(format!("{} {}", kind.label(), band.code().replace('_', " "))),
        Condition::News2 { risk: Risk::High } => Some("NEWS2 >= 7".into()),
        Condition::News2 { risk: Risk::Medium } => Some("NEWS2 >= 5".into()),
        Condition::News2 { .. } => Some("NEWS2 single 3".into()),
        _ => None,
    }
}

fn numerics_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "csv" || e == "hea"))
        .collect();
    files.sort();
    Ok(files)
}

/// Runs both alarm policies over BIDMC (`bidmc/numerics`) and MIMIC-II
/// (`mimic2/*.hea`) under `data_dir`.
pub fn run(data_dir: &Path) -> anyhow::Result<BurdenReport> {
    let sets = [
        ("BIDMC (1 Hz)", data_dir.join("bidmc/numerics"), "csv"),
        ("MIMIC-II (1/min)", data_dir.join("mimic2"), "hea"),
    ];
    let mut datasets = Vec::new();
    let mut judged_by_name = BTreeMap::new();
    for (name, dir, ext) in sets {
        let mut ds = Dataset { name: name.to_string(), ..Default::default() };
        for path in numerics_files(&dir)?.into_iter().filter(|p| p.extension().is_some_and(|e| e == ext)) {
            let rec = Recording::open(&path)?;
            let judged = judge(&rec);
            ds.records += 1;
            ds.hours += judged.hours;
            for (&(kind, band), &n) in &judged.plain {
                let p = policy(Profile::Adult, kind).expect("policy for counted kinds").priority(band);
                let what = label(&Condition::Vital { kind, band }).expect("vital label");
                ds.counts.entry((what, p)).or_default().0 += n;
            }
            for (condition, priority, _, _) in &judged.vigil {
                if let Some(what) = label(condition) {
                    ds.counts.entry((what, *priority)).or_default().1 += 1;
                }
            }
            judged_by_name.insert(rec.name.clone(), judged);
        }
        if ds.records == 0 {
            anyhow::bail!("no {ext} records in {}", dir.display());
        }
        datasets.push(ds);
    }
    let events = EVENTS
        .iter()
        .filter_map(|&(record, expected, should_alarm, watched)| {
            let j = judged_by_name.get(record)?;
            let plain = j.plain.iter().filter(|((k, _), _)| *k == watched).map(|(_, n)| n).sum();
            let vigil = j
                .vigil
                .iter()
                .filter(|(c, _, _, _)| matches!(c, Condition::Vital { kind, .. } if *kind == watched))
                .map(|(c, p, onset, raised)| (c.title(), *p, *onset as f64 / 1000.0, *raised as f64 / 1000.0))
                .collect();
            Some(EventCheck { record: record.to_string(), expected, should_alarm, watched, plain, vigil })
        })
        .collect();
    Ok(BurdenReport { datasets, events })
}

impl BurdenReport {
    pub fn render(&self) -> String {
        let mut out = String::new();
        for ds in &self.datasets {
            let _ = writeln!(out, "{}: {} records, {:.1} patient-hours", ds.name, ds.records, ds.hours);
            let _ = writeln!(
                out,
                "  {:<22} {:<8} {:>8} {:>9} {:>8} {:>9} {:>10}",
                "condition", "priority", "plain n", "plain /h", "vigil n", "vigil /h", "reduction"
            );
            let (mut tp, mut tv) = (0, 0);
            for ((what, priority), (plain, vigil)) in &ds.counts {
                let is_news2 = what.starts_with("NEWS2");
                if !is_news2 {
                    tp += plain;
                    tv += vigil;
                }
                let reduction = if *plain > 0 && !is_news2 {
                    format!("{:.0} %", 100.0 * (1.0 - *vigil as f64 / *plain as f64))
                } else {
                    "-".into()
                };
                let _ = writeln!(
                    out,
                    "  {:<22} {:<8} {:>8} {:>9.2} {:>8} {:>9.2} {:>10}",
                    what,
                    priority.label(),
                    if is_news2 { "-".to_string() } else { plain.to_string() },
                    *plain as f64 / ds.hours,
                    vigil,
                    *vigil as f64 / ds.hours,
                    reduction
                );
            }
            let reduction = if tp > 0 { format!("{:.0} %", 100.0 * (1.0 - tv as f64 / tp as f64)) } else { "-".into() };
            let _ = writeln!(
                out,
                "  {:<22} {:<8} {:>8} {:>9.2} {:>8} {:>9.2} {:>10}\n",
                "all limit alarms",
                "",
                tp,
                tp as f64 / ds.hours,
                tv,
                tv as f64 / ds.hours,
                reduction
            );
        }
        let _ = writeln!(out, "Sustained and brief events named in shared/data/README.md:");
        for e in &self.events {
            let verdict = match (e.should_alarm, e.vigil.is_empty()) {
                (true, false) => "alarms (as it should)",
                (true, true) => "MISSED",
                (false, true) => "no alarm (de-triggered, as it should)",
                (false, false) => "alarms (it should not)",
            };
            let _ = writeln!(out, "  {} ({}): {verdict}; plain thresholds raised {}", e.record, e.expected, e.plain);
            for (title, p, onset, raised) in e.vigil.iter().take(4) {
                let _ = writeln!(out, "      {title} [{}] onset {onset:.0} s, raised {raised:.0} s", p.label());
            }
            if e.vigil.len() > 4 {
                let _ = writeln!(out, "      ... and {} more", e.vigil.len() - 4);
            }
        }
        out
    }
}
