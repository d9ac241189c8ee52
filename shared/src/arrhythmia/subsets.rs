//! The check on every part of a record's channels. A bed may stream only
//! some of its monitor's waveforms (the live app: ECG lead II and the pleth),
//! and a lead may come off: a true alarm must stand on what any part of its
//! channels shows, not only on the whole.

use super::check::{decide, CheckParams, Evidence};
use super::score::Labelled;

/// A true alarm the check suppressed on a subset of its channels.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppressed {
    pub record: String,
    pub channels: Vec<String>,
    pub reason: String,
}

/// True alarms checked on every non-empty subset of their channels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubsetReport {
    pub alarms: usize,
    pub subsets: usize,
    pub suppressed: Vec<Suppressed>,
}

/// The evidence of the channels whose `keep` is true, as if the monitor had
/// streamed only those.
pub fn restrict(ev: &Evidence, keep: &[bool]) -> Evidence {
    fn pick<T: Clone>(v: &[T], keep: &[bool]) -> Vec<T> {
        v.iter().zip(keep).filter(|(_, &k)| k).map(|(x, _)| x.clone()).collect()
    }
    Evidence {
        alarm: ev.alarm,
        at: ev.at,
        long: pick(&ev.long, keep),
        short: pick(&ev.short, keep),
        recent: pick(&ev.recent, keep),
        usual: pick(&ev.usual, keep),
        locked: pick(&ev.locked, keep).iter().map(|row| pick(row, keep)).collect(),
    }
}

/// The evidence as a one-lead bed of the live ward streams it: the first ECG
/// lead and every pulse channel (pleth, arterial line).
pub fn one_lead(ev: &Evidence) -> Evidence {
    let first = ev.long.iter().position(|s| s.kind == super::monitor::ChannelKind::Ecg);
    let keep: Vec<bool> = ev.long.iter().enumerate().map(|(i, s)| s.kind.is_pulse() || Some(i) == first).collect();
    restrict(ev, &keep)
}

/// Checks every true alarm of `items` on each non-empty subset of its
/// channels with the default thresholds.
pub fn true_alarms_on_channel_subsets(items: &[Labelled]) -> SubsetReport {
    let mut report = SubsetReport::default();
    for it in items.iter().filter(|it| it.truth) {
        report.alarms += 1;
        let n = it.evidence.long.len().min(16);
        for mask in 1u32..(1 << n) {
            let keep: Vec<bool> = (0..n).map(|i| mask & (1 << i) != 0).collect();
            let sub = restrict(&it.evidence, &keep);
            report.subsets += 1;
            let d = decide(&sub, &CheckParams::default());
            if !d.keep {
                report.suppressed.push(Suppressed {
                    record: it.record.clone(),
                    channels: sub.long.iter().map(|s| s.name.clone()).collect(),
                    reason: d.reason,
                });
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrhythmia::monitor::ChannelKind;
    use crate::arrhythmia::synthetic::{arterial, ecg, monitor, pulse, regular};
    use crate::arrhythmia::ArrhythmiaKind;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_true_asystole_is_checked_on_each_of_its_three_channel_subsets() {
        // A flat ECG and a flat pleth: asystole on every part of them.
        let flat = ecg(40.0, &[], 0.005);
        let none = vec![0.5; flat.len()];
        let m = monitor(&[(ChannelKind::Ecg, "II", &flat), (ChannelKind::Ppg, "PLETH", &none)]);
        let evidence = Evidence::gather(&m, ArrhythmiaKind::Asystole, 40.0);
        let items = [Labelled { record: "flat".into(), evidence, truth: true }];
        let r = true_alarms_on_channel_subsets(&items);
        assert_eq!((r.alarms, r.subsets), (1, 3));
        assert!(r.suppressed.is_empty(), "{r:?}");
    }

    #[test]
    fn a_subset_that_refutes_the_alarm_is_named_with_its_channels() {
        // ECG flat, pleth and arterial line beating together: the two pulses
        // (with or without the ECG) hold the asystole back; either alone
        // cannot (the policy for lethal rhythms), nor can the ECG.
        let flat = ecg(40.0, &[], 0.005);
        let beats = regular(0.3, 40.0, 75.0);
        let pleth = pulse(40.0, &beats.iter().map(|b| b + 0.25).collect::<Vec<_>>());
        let art = arterial(40.0, &beats.iter().map(|b| b + 0.15).collect::<Vec<_>>());
        let m = monitor(&[
            (ChannelKind::Ecg, "II", &flat),
            (ChannelKind::Ppg, "PLETH", &pleth),
            (ChannelKind::Abp, "ABP", &art),
        ]);
        let evidence = Evidence::gather(&m, ArrhythmiaKind::Asystole, 40.0);
        let items = [Labelled { record: "lead-off".into(), evidence, truth: true }];
        let r = true_alarms_on_channel_subsets(&items);
        let named: Vec<Vec<String>> = r.suppressed.iter().map(|s| s.channels.clone()).collect();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(named, vec![names(&["PLETH", "ABP"]), names(&["II", "PLETH", "ABP"])]);
    }
}
