//! A lead's electrical activity locked to a pulse's beats: whether the ECG
//! shows a QRS complex before each pulse even where its own detector found
//! too few beats (a small, noisy lead is what most false asystole alarms
//! are). Every mechanical beat follows an electrical one by the
//! pulse-arrival time, so the ECG's slope in the [`WINDOW_S`] before each
//! pulse, averaged over the pulses, shows the QRS complex; noise and
//! artefact not locked to the pulse average away.
//!
//! The measure is split-half: the average of the odd-numbered pulses'
//! segments against the average of the even-numbered ones (Pearson's r). A
//! complex the lead really shows appears in both halves; noise makes the two
//! averages independent (r near 0: about 0.07 standard deviation for 200
//! independent samples). Chest compressions put a smooth wave, not a spike,
//! on the ECG at the pulse's rate: the averaged slope must also be peaked
//! (kurtosis of at least [`super::check::MIN_QRS_KURTOSIS`]), as a QRS is.

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

/// Pulses needed (two halves of at least 3).
pub const MIN_PULSES: usize = 6;

/// The lead's activity locked to a pulse channel's beats.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Locked {
    /// Split-half correlation of the pulse-locked average slope (-1 to 1).
    pub coherence: f64,
    /// Kurtosis of the whole average slope (a QRS spike: high).
    pub kurtosis: f64,
    /// Pulses averaged.
    pub pulses: usize,
}

impl Locked {
    /// The lead shows a QRS-like complex before the pulses, in step with them.
    pub fn shows_complexes(&self) -> bool {
        self.pulses >= MIN_PULSES && self.coherence >= MIN_COHERENCE && self.kurtosis >= super::check::MIN_QRS_KURTOSIS
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
/// averaged (see the module documentation); `None` with too few whole
/// segments.
pub fn pulse_locked(ecg: &Channel, pulses: &[Mark]) -> Option<Locked> {
    let len = (WINDOW_S * ecg.fs).round() as usize;
    let segs: Vec<Vec<f64>> = pulses
        .iter()
        .map(|m| ecg.filtered(m.t - WINDOW_S, m.t))
        .filter(|v| v.len() == len && v.iter().all(|x| x.is_finite()))
        .map(|v| v.windows(2).map(|w| f64::from(w[1] - w[0])).collect())
        .collect();
    if segs.len() < MIN_PULSES {
        return None;
    }
    let average = |pick: &dyn Fn(usize) -> bool| -> Vec<f64> {
        let chosen: Vec<&Vec<f64>> = segs.iter().enumerate().filter(|(i, _)| pick(*i)).map(|(_, s)| s).collect();
        (0..len - 1).map(|k| chosen.iter().map(|s| s[k]).sum::<f64>() / chosen.len() as f64).collect()
    };
    let (odd, even, all) = (average(&|i| i % 2 == 1), average(&|i| i % 2 == 0), average(&|_| true));
    Some(Locked { coherence: pearson(&odd, &even), kurtosis: kurtosis(&all), pulses: segs.len() })
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
        pulse_locked(&m.channels[0], &m.channels[1].marks(24.0, 40.0)).expect("pulses enough")
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
    fn complexes_at_another_rate_than_the_pulse_are_not_locked_to_it() {
        let lead = ecg(40.0, &regular(0.3, 40.0, 47.0), 0.05);
        let pleth = pulse(40.0, &regular(0.5, 40.0, 80.0));
        let l = locked(&lead, &pleth);
        assert!(!l.shows_complexes(), "{l:?}");
    }
}
