//! The unusual-trend advisory as the bed shows it ([`crate::drift`] judges
//! it): lowest of all, below every alarm. It never sounds, it is not shown
//! while an alarm of one of its drifting parameters is active (the alarm
//! says more), and a clinician's dismissal, an audited event relayed to
//! every tablet, hides it until a new advisory is raised, a parameter that
//! did not raise it starts moving, or the rules confirm what the learned
//! detector raised early.

use super::BedAlarms;
use crate::alarm::event::{BedEvent, StoredEvent};
use crate::alarm::Condition;
use crate::drift::{Advisory, BedDrift, Param};
use crate::{SampleTime, VitalKind};

/// A dismissal names a time the advisory was in force on the dismissing
/// tablet; another tablet may have raised the same advisory a little later.
const RAISE_TOLERANCE_MS: i64 = 10 * 60_000;

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

    /// Per-minute means of the bed's parameters from the server's history
    /// (minute start times): the baseline a tablet that opened late has not
    /// seen live. The bed's advisories are judged again from all it holds.
    pub fn seed_trends(&mut self, series: &[(VitalKind, Vec<(SampleTime, f64)>)]) {
        for (kind, points) in series {
            for &(t, v) in points {
                self.drift.on_minute(*kind, t, v);
            }
        }
        self.drift.rejudge();
        self.drift.take_changes();
    }

    /// The advisory to show now, if any: not while the bed sends nothing,
    /// nor while an alarm of one of its parameters is active (the alarm says
    /// more), nor once dismissed, unless a parameter that did not drive it
    /// when it was raised has started moving since it was last dismissed, or
    /// the rules have confirmed, since, what the learned detector raised
    /// early. A dismissal of the advisory shown again hides it again.
    pub fn advisory(&self) -> Option<&Advisory> {
        let adv = self.drift.advisory()?;
        let now: Vec<Param> = adv.assessment.drivers.iter().map(|d| d.param).collect();
        if let Some(seen_at) = self.dismissed_at(adv) {
            // A parameter that did not raise it, moving since it was seen.
            let joined = adv.assessment.drivers.iter().any(|d| !adv.raised_by.contains(&d.param) && d.since > seen_at);
            let confirmed = adv.confirmed.is_some_and(|c| c > seen_at);
            if !joined && !confirmed {
                return None;
            }
        }
        let blocked = self.alarms.values().any(|a| {
            a.active()
                && match a.id.condition {
                    Condition::NoData => true,
                    Condition::Vital { kind, .. } => {
                        Param::of(kind).is_some_and(|p| now.contains(&p) || adv.raised_by.contains(&p))
                    }
                    _ => false,
                }
        });
        (!blocked).then_some(adv)
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

    /// The first dismissal of `adv`. A dismissal made at `t` is of the
    /// latest advisory raised by then (give or take the tolerance) that had
    /// not ended before it: one advisory, never the next.
    fn dismissal(&self, adv: &Advisory) -> Option<(String, i64)> {
        self.dismissal_event(adv).map(|(e, _)| (e.actor.clone(), e.at))
    }

    /// The advisory's time the latest dismissal of `adv` was made at (a
    /// shown-again advisory is dismissed again by a later one).
    fn dismissed_at(&self, adv: &Advisory) -> Option<i64> {
        self.dismissal_events(adv).map(|(_, active_at)| active_at).max()
    }

    /// The first dismissal of `adv`: who, and when.
    fn dismissal_event<'a>(&'a self, adv: &'a Advisory) -> Option<(&'a StoredEvent, i64)> {
        self.dismissal_events(adv).next()
    }

    /// The dismissals of `adv`, in the order they were made.
    fn dismissal_events<'a>(&'a self, adv: &'a Advisory) -> impl Iterator<Item = (&'a StoredEvent, i64)> + 'a {
        let all: Vec<&Advisory> = self.drift.log().iter().chain(self.drift.advisory()).collect();
        self.events.values().filter_map(move |e| {
            let BedEvent::DismissAdvisory { active_at } = e.event else { return None };
            let target = all
                .iter()
                .filter(|a| a.onset <= active_at + RAISE_TOLERANCE_MS && a.ended.is_none_or(|end| active_at < end))
                .max_by_key(|a| a.onset)?;
            (target.onset == adv.onset).then_some((e, active_at))
        })
    }

    /// Replaces the bed's trend judge (tests of the learned detector's
    /// place in the engine, with stand-in models).
    #[cfg(test)]
    pub(crate) fn set_drift(&mut self, drift: BedDrift) {
        self.drift = drift;
    }
}
