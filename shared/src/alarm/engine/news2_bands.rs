//! NEWS2 as alarm conditions: the score recomputed at every scored sample
//! from the newest values still valid and the clinician's observations, its
//! risk bands judged like any other condition (with the NEWS2 delay).

use super::{sensor_of, BedAlarms};
use crate::alarm::limits::Delay;
use crate::alarm::{Condition, Priority};
use crate::news2::{self, News2Input, Risk};
use crate::vital::VitalKind;
use crate::SampleTime;

/// How long a value still counts for NEWS2.
fn news2_validity_ms(kind: VitalKind) -> i64 {
    match kind {
        VitalKind::NibpSys | VitalKind::NibpDia | VitalKind::NibpMean => 60 * 60_000,
        VitalKind::Temp => 4 * 60 * 60_000,
        _ => 5 * 60_000,
    }
}

impl BedAlarms {
    pub(super) fn fresh(&self, kind: VitalKind, t: SampleTime) -> Option<f64> {
        if self.sensors_off.contains(&sensor_of(kind)) {
            return None;
        }
        self.latest.get(&kind).filter(|(lt, _)| t - lt <= news2_validity_ms(kind)).map(|(_, v)| *v)
    }

    pub(super) fn judge_news2(&mut self, t: SampleTime, now: i64) {
        let obs = self.observation_at(t);
        let input = News2Input {
            respiration_rate: self.fresh(VitalKind::Rr, t),
            spo2: self.fresh(VitalKind::Spo2, t),
            scale: obs.scale,
            oxygen: obs.oxygen,
            systolic_bp: self.fresh(VitalKind::NibpSys, t).or_else(|| self.fresh(VitalKind::ArtSys, t)),
            pulse: self.fresh(VitalKind::Hr, t).or_else(|| self.fresh(VitalKind::Pulse, t)),
            consciousness: obs.consciousness,
            temperature: self.fresh(VitalKind::Temp, t),
        };
        let score = news2::score(&input);
        let total = f64::from(score.total);
        let single3 = score.parts.iter().any(|(_, s)| *s == Some(3));
        let delay = Delay::fixed(self.options.news2_delay_ms);
        self.judge(Condition::News2 { risk: Risk::LowMedium }, t, single3, 3.0, 3.0, delay, Priority::Low, now);
        self.judge(Condition::News2 { risk: Risk::Medium }, t, total >= 5.0, total, 5.0, delay, Priority::Medium, now);
        self.judge(Condition::News2 { risk: Risk::High }, t, total >= 7.0, total, 7.0, delay, Priority::High, now);
        self.news2 = Some((t, score));
    }
}
