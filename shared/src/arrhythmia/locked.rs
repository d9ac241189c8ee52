//! A lead's electrical activity locked to a pulse's beats: whether the ECG
//! shows a QRS complex before each pulse even where its own detector found
//! too few beats (a small, noisy lead is what most false asystole alarms
//! are). Every mechanical beat follows an electrical one by the
//! pulse-arrival time, so the ECG's slope in the [`WINDOW_S`] before each
//! pulse, averaged over the pulses, shows the QRS complex; noise and
//! artefact not locked to the pulse average away.
//!
//! The measure compares the pulses of the last seconds before the alarm
//! (where its condition is) with the pulses before them: the average slope
//! before the recent pulses against the average before the earlier ones
//! (Pearson's r). A complex the lead still shows appears in both; a lead
//! that stopped showing it (a true asystole that began with the lead's own
//! beats still in the window) has only noise before its recent pulses, and
//! noise makes the two averages independent (r near 0: about 0.07 standard
//! deviation for 200 independent samples). Chest compressions put a smooth
//! wave, not a spike, on the ECG at the pulse's rate: the recent average
//! slope must also be peaked (kurtosis of at least
//! [`super::check::MIN_QRS_KURTOSIS`]), as a QRS is. And two thirds of the
//! recent segments must each show it on their own ([`SEGMENT_MATCH`]): a
//! rhythm at another rate drops a complex into only some of them, at
//! shifting places. Segments with invalid samples are left out.

use super::monitor::{Channel, Mark};
use super::summary::pearson;
use serde::{Deserialize, Serialize};

/// Seconds of ECG before each pulse beat: the pulse-arrival time to the
/// foot is about 0.1-0.4 s, to the peak up to about 0.7 s.
pub const WINDOW_S: f64 = 0.8;

/// The split-half correlation from which a lead counts as showing a complex
/// before each pulse: far beyond chance (about 8 standard deviations of
/// noise), and reached by a QRS whose averaged size is at least the
/// averaged noise's. Chosen from that arithmetic, not from records.
pub const MIN_COHERENCE: f64 = 0.6;

/// Pulses needed on each side of the split (the recent ones and the earlier).
pub const MIN_EACH: usize = 3;

/// The correlation of one recent segment with the earlier average from
/// which it shows the complex; two thirds of the recent segments must.
pub const SEGMENT_MATCH: f64 = 0.3;

/// The lead's activity locked to a pulse channel's beats.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Locked {
    /// Correlation of the recent pulses' average slope with the earlier
    /// pulses' (-1 to 1).
    pub coherence: f64,
    /// Kurtosis of the recent average slope (a QRS spike: high).
    pub kurtosis: f64,
    /// Recent pulses averaged.
    pub recent: usize,
    /// Recent pulses whose own segment correlates with the earlier average
    /// at [`SEGMENT_MATCH`] or more: the complex before each pulse, not a
    /// few that happen to fall there from a rhythm at another rate.
    pub matched: usize,
    /// Earlier pulses averaged.
    pub earlier: usize,
}

impl Locked {
    /// The lead shows a QRS-like complex before the pulses, in step with them.
    pub fn shows_complexes(&self) -> bool {
        self.recent >= MIN_EACH
            && self.earlier >= MIN_EACH
            && 3 * self.matched >= 2 * self.recent
            && self.coherence >= MIN_COHERENCE
            && self.kurtosis >= super::check::MIN_QRS_KURTOSIS
    }
}

fn kurtosis(v: &[f64]) -> f64 {
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let m2 = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
    let m4 = v.iter().map(|x| (x - m).powi(4)).sum::<f64>() / n;
    if m2 <= 0.0 {
        0.0
    } else {
        m4 / (m2 * m2)
    }
}

/// The lead `ecg`'s slope in the [`WINDOW_S`] before each of `pulses`,
/// averaged apart for the pulses from `recent_from` (s) on and for those
/// before (see the module documentation); `None` with too few whole, valid
/// segments on either side.
pub fn pulse_locked(ecg: &Channel, pulses: &[Mark], recent_from: f64) -> Option<Locked> {
    let len = (WINDOW_S * ecg.fs).round() as usize;
    let step = 1.0 / ecg.fs;
    let segment = |m: &Mark| -> Option<Vec<f64>> {
        // A little more than the window, then exactly its last `len`
        // samples, so rounding at either end never drops a segment.
        let from = m.t - WINDOW_S - 2.0 * step;
        let (x, raw) = (ecg.filtered(from, m.t), ecg.raw(from, m.t));
        if x.len() < len || raw.len() != x.len() || raw[raw.len() - len..].iter().any(|v| !v.is_finite()) {
            return None;
        }
        Some(x[x.len() - len..].windows(2).map(|w| f64::from(w[1] - w[0])).collect())
    };
    let (mut recent, mut earlier) = (Vec::new(), Vec::new());
    for m in pulses {
        if let Some(seg) = segment(m) {
            if m.t >= recent_from {
                recent.push(seg)
            } else {
                earlier.push(seg)
            }
        }
    }
    if recent.len() < MIN_EACH || earlier.len() < MIN_EACH {
        return None;
    }
    let average = |segs: &[Vec<f64>]| -> Vec<f64> {
        (0..len - 1).map(|k| segs.iter().map(|s| s[k]).sum::<f64>() / segs.len() as f64).collect()
    };
    let (r, e) = (average(&recent), average(&earlier));
    let matched = recent.iter().filter(|seg| pearson(seg, &e) >= SEGMENT_MATCH).count();
    Some(Locked {
        coherence: pearson(&r, &e),
        kurtosis: kurtosis(&r),
        recent: recent.len(),
        matched,
        earlier: earlier.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arrhythmia::monitor::ChannelKind;
    use crate::arrhythmia::synthetic::{ecg, monitor, pulse, regular};

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn locked(lead: &[f64], pleth: &[f64]) -> Locked {
        let m = monitor(&[(ChannelKind::Ecg, "II", lead), (ChannelKind::Ppg, "PLETH", pleth)]);
        pulse_locked(&m.channels[0], &m.channels[1].marks(24.0, 40.0), 36.0).expect("pulses enough")
    }

    #[test]
    fn a_small_noisy_lead_shows_its_complexes_before_each_pulse() {
        let beats = regular(0.3, 40.0, 80.0);
        // QRS of 1 mV buried in 0.5 mV of noise: the averaged complex stands out.
        let lead = ecg(40.0, &beats, 0.5);
        let pleth = pulse(40.0, &beats.iter().map(|b| b + 0.3).collect::<Vec<_>>());
        let l = locked(&lead, &pleth);
        assert!(l.shows_complexes(), "{l:?}");
    }

    #[test]
    fn noise_alone_or_a_silent_heart_shows_nothing_locked_to_the_pulse() {
        let pleth = pulse(40.0, &regular(0.5, 40.0, 80.0));
        let l = locked(&ecg(40.0, &[], 0.3), &pleth);
        assert!(!l.shows_complexes() && l.coherence < 0.4, "{l:?}");
    }

    #[test]
    fn a_lead_whose_complexes_stopped_before_the_recent_pulses_shows_nothing_locked() {
        // The heart's electrical beats on the lead end at 34 s (an asystole
        // whose earlier beats are still in the window); the pulse goes on.
        let lead = ecg(40.0, &regular(0.3, 34.0, 80.0), 0.05);
        let pleth = pulse(40.0, &regular(0.6, 40.0, 80.0));
        let l = locked(&lead, &pleth);
        assert!(!l.shows_complexes() && l.recent >= MIN_EACH, "{l:?}");
    }

    #[test]
    fn complexes_at_another_rate_than_the_pulse_are_not_locked_to_it() {
        let lead = ecg(40.0, &regular(0.3, 40.0, 47.0), 0.05);
        let pleth = pulse(40.0, &regular(0.5, 40.0, 80.0));
        let l = locked(&lead, &pleth);
        assert!(!l.shows_complexes(), "{l:?}");
    }
}
