//! The unusual-trend advisory as the bed shows it ([`crate::drift`] judges
//! it): lowest of all, below every alarm. It never sounds, it is not shown
//! while an alarm of one of its drifting parameters is active (the alarm
//! says more), and a clinician's dismissal, an audited event relayed to
//! every tablet, hides it until a new advisory is raised.

use super::BedAlarms;
use crate::alarm::event::BedEvent;
use crate::alarm::Condition;
use crate::drift::{Advisory, BedDrift, Param};
use crate::{SampleTime, VitalKind};

/// A dismissal names the onset its tablet saw; a tablet that opened later
/// may have seen the same advisory begin up to this much later.
const ONSET_TOLERANCE_MS: i64 = 10 * 60_000;

/// An advisory in the bed's history.
#[derive(Debug, Clone, PartialEq)]
pub struct AdvisoryEntry {
    pub advisory: Advisory,
    /// Who dismissed it, and when (server time).
    pub dismissed: Option<(String, i64)>,
}

impl BedAlarms {
    /// The bed's trends and advisory, whatever is shown.
    pub fn drift(&self) -> &BedDrift {
        &self.drift
    }

    /// A parameter's per-minute means from the server's history (minute start
    /// times): the baseline a tablet that opened late has not seen live.
    pub fn seed_trend(&mut self, kind: VitalKind, points: &[(SampleTime, f64)]) {
        for &(t, v) in points {
            self.drift.on_minute(kind, t, v);
        }
        self.drift.rejudge();
    }

    /// The advisory to show now, if any.
    pub fn advisory(&self) -> Option<&Advisory> {
        let adv = self.drift.advisory()?;
        if self.dismissal(adv).is_some() {
            return None;
        }
        let drivers: Vec<Param> = adv.assessment.drivers.iter().map(|d| d.param).collect();
        let alarmed = self.alarms.values().any(|a| {
            a.active() && matches!(a.id.condition, Condition::Vital { kind, .. } if Param::of(kind).is_some_and(|p| drivers.contains(&p)))
        });
        (!alarmed).then_some(adv)
    }

    /// Every advisory this tablet knows, oldest first, with its dismissal.
    pub fn advisories(&self) -> Vec<AdvisoryEntry> {
        self.drift
            .log()
            .iter()
            .chain(self.drift.advisory())
            .map(|a| AdvisoryEntry { advisory: a.clone(), dismissed: self.dismissal(a) })
            .collect()
    }

    /// The first dismissal of `adv`: one naming an onset from a little before
    /// it up to its end.
    fn dismissal(&self, adv: &Advisory) -> Option<(String, i64)> {
        self.events.values().find_map(|e| match e.event {
            BedEvent::DismissAdvisory { onset }
                if onset >= adv.onset - ONSET_TOLERANCE_MS && adv.ended.is_none_or(|end| onset < end) =>
            {
                Some((e.actor.clone(), e.at))
            }
            _ => None,
        })
    }
}
