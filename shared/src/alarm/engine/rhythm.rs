//! Arrhythmia alarms: the bed's ECG, pleth and arterial waves fed into the
//! rhythm monitor, Vigil's own detection of the five arrhythmias, and the
//! check of each against every waveform before it sounds. A suppressed one is
//! never dropped silently, and is re-checked every few seconds while it
//! lasts: if the evidence against it goes, it is raised with its true onset.
//!
//! A lethal one (asystole, V-tach, V-fib: [`crate::arrhythmia::policy`]) the
//! check holds back is shown at once as a low-priority "possible artefact"
//! alarm ([`Condition::PossibleArtefact`]) with the evidence; that line ends
//! and the high-priority alarm sounds, with the same onset and an id of its
//! own (no pause of the line can silence it), when a re-check keeps it or
//! when it has lasted [`policy::DEFERRAL_LIMIT_S`] from its onset, on the
//! newest sample of any wave or, with no waves arriving, of the numerics. A held-back extreme
//! bradycardia or tachycardia is logged with its reason (the HR value's
//! extreme limits alarm on their own).

use super::{BedAlarms, Run};
use crate::alarm::{Alarm, AlarmId, Condition, Priority};
use crate::arrhythmia::check::{check, Decision};
use crate::arrhythmia::detect::{Edge, RhythmDetector};
use crate::arrhythmia::monitor::{Channel, ChannelKind, RhythmMonitor};
use crate::arrhythmia::policy;
use crate::arrhythmia::ArrhythmiaKind;
use crate::frame::{Frame, WaveChunk};
use crate::technical::Sensor;
use crate::vital::WaveKind;
use crate::SampleTime;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Seconds between re-checks of a suppressed arrhythmia that goes on.
const RECHECK_S: f64 = 5.0;
/// Suppressed arrhythmias kept in the bed's log.
const SUPPRESSED_LOG: usize = 200;
/// Seconds within which a held-back lethal condition that ended and
/// returns is the same deferral (its limit counts from the first onset): a
/// spurious beat, or runs with short breaks, cannot restart the limit.
/// Episodes further apart are judged apart (each shown as its own line).
const RELAPSE_S: f64 = 30.0;

/// An arrhythmia the check suppressed, as the bed's history shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppressed {
    pub kind: ArrhythmiaKind,
    /// When the condition began (device clock, ms).
    pub onset: SampleTime,
    /// When it was detected and checked.
    pub at: SampleTime,
    pub reason: String,
}

/// The bed's rhythm state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rhythm {
    monitor: RhythmMonitor,
    channels: BTreeMap<WaveKind, usize>,
    detector: RhythmDetector,
    /// Suppressed conditions that go on: onset (s) and next re-check (s).
    pending: BTreeMap<ArrhythmiaKind, (f64, f64)>,
    /// Lethal conditions held back: since when (s, the first onset), and
    /// when the last held-back episode ended, if it has. An episode that
    /// returns within [`RELAPSE_S`] continues the same deferral, so a
    /// spurious beat cannot restart its limit.
    held: BTreeMap<ArrhythmiaKind, (f64, Option<f64>)>,
    log: VecDeque<Suppressed>,
}

fn channel_kind(kind: WaveKind) -> Option<ChannelKind> {
    match kind {
        WaveKind::EcgII => Some(ChannelKind::Ecg),
        WaveKind::Pleth => Some(ChannelKind::Ppg),
        WaveKind::Abp => Some(ChannelKind::Abp),
        WaveKind::Resp => None,
    }
}

fn ms(t: f64) -> SampleTime {
    (t * 1000.0).round() as SampleTime
}

impl Rhythm {
    /// Feeds one chunk; a gap, an overlap or a new rate starts the channel afresh.
    fn feed(&mut self, w: &WaveChunk) {
        let Some(kind) = channel_kind(w.kind()) else { return };
        let start = w.t0() as f64 / 1000.0;
        let name = if w.kind() == WaveKind::EcgII { "II" } else { w.kind().label() };
        let fresh = || Channel::new(kind, name, w.rate_hz(), start);
        match self.channels.get(&w.kind()).copied() {
            Some(i) => {
                let ch = &mut self.monitor.channels[i];
                let step = 1.0 / ch.fs;
                let drift = start - ch.next_time();
                if drift < -0.5 * step && drift > -1.0 {
                    return; // already seen (a resent chunk)
                }
                if (ch.fs - w.rate_hz()).abs() > 1e-9 || drift.abs() > 1.5 * step {
                    *ch = fresh();
                }
            }
            None => {
                self.channels.insert(w.kind(), self.monitor.add(fresh()));
            }
        }
        let i = self.channels[&w.kind()];
        for &v in w.samples() {
            self.monitor.channels[i].push(Some(v as f64));
        }
    }

    /// Starts a channel afresh from where it is (its history forgotten, its
    /// detector learning again): after a lead-off, the beats before it say
    /// nothing about the rhythm after it.
    fn restart(&mut self, kind: WaveKind) {
        if let Some(&i) = self.channels.get(&kind) {
            let ch = &self.monitor.channels[i];
            self.monitor.channels[i] = Channel::new(ch.kind, ch.name.clone(), ch.fs, ch.next_time());
        }
    }

    /// Time (s) up to which the ECG has arrived.
    fn ecg_now(&self) -> Option<f64> {
        self.channels.get(&WaveKind::EcgII).map(|&i| self.monitor.channels[i].next_time())
    }

    pub fn suppressed(&self) -> impl DoubleEndedIterator<Item = &Suppressed> {
        self.log.iter()
    }
}

impl BedAlarms {
    /// The frame's waves into the rhythm monitor, then detection and checks at
    /// the newest ECG sample.
    pub(super) fn on_waves(&mut self, frame: &Frame, now: i64) {
        if frame.waves().is_empty() {
            // Numerics go on while no wave arrives (a gateway dropping its
            // waves): nothing can re-check a held-back line, but its limit
            // still runs, on the numerics' sample time.
            if let Some(newest) = frame.numerics().iter().map(|n| n.t()).max() {
                self.sound_overdue(newest as f64 / 1000.0, now);
            }
            return;
        }
        for w in frame.waves() {
            self.rhythm.feed(w);
        }
        let Some(t) = self.rhythm.ecg_now() else { return };
        if self.sensors_off.contains(&Sensor::Ecg) {
            // Lead off: the technical alarm says so; no rhythm is judged.
            for kind in self.rhythm.detector.active().into_keys() {
                self.end_arrhythmia(kind, ms(t));
            }
            self.rhythm.detector.reset();
            self.rhythm.pending.clear();
            self.rhythm.restart(WaveKind::EcgII);
            return;
        }
        for edge in self.rhythm.detector.evaluate(&self.rhythm.monitor, t) {
            match edge {
                Edge::Began { kind, onset } => {
                    let decision = check(&self.rhythm.monitor, kind, t);
                    self.verdict(kind, onset, t, decision, now);
                }
                Edge::Ended { kind, at } => self.end_arrhythmia(kind, ms(at)),
            }
        }
        // The deferral limit runs on the newest sample of any wave, so a
        // lead whose samples stop arriving cannot hold a line low for ever.
        let newest = self.rhythm.monitor.now().max(t);
        let held = self.rhythm.held.clone();
        let overdue = |k: ArrhythmiaKind, onset: f64| {
            let since = held.get(&k).map_or(onset, |h| h.0.min(onset));
            policy::is_lethal(k) && newest - since >= policy::DEFERRAL_LIMIT_S
        };
        let due: Vec<(ArrhythmiaKind, f64)> = self
            .rhythm
            .pending
            .iter()
            .filter(|(k, (onset, next))| t >= *next || overdue(**k, *onset))
            .map(|(k, (onset, _))| (*k, *onset))
            .collect();
        for (kind, onset) in due {
            let mut decision = check(&self.rhythm.monitor, kind, t);
            let mut at = t;
            if !decision.keep && overdue(kind, onset) {
                let since = self.rhythm.held.get(&kind).map_or(onset, |h| h.0.min(onset));
                at = newest;
                decision = Decision {
                    alarm: kind,
                    keep: true,
                    reason: format!(
                        "lasted {:.0} s: a lethal rhythm is held back as a possible artefact for {:.0} s at most ({})",
                        newest - since,
                        policy::DEFERRAL_LIMIT_S,
                        decision.reason
                    ),
                };
            }
            if decision.keep {
                self.verdict(kind, onset, at, decision, now);
            } else {
                if let Some(p) = self.rhythm.pending.get_mut(&kind) {
                    p.1 = t + RECHECK_S;
                }
                // The line shows the newest evidence that holds it back.
                let line = AlarmId {
                    bed: self.bed.clone(),
                    condition: Condition::PossibleArtefact { kind },
                    onset: ms(onset),
                };
                if let Some(a) = self.alarms.get_mut(&line) {
                    a.rhythm = Some(decision);
                }
            }
        }
    }

    /// Every held-back lethal line whose deferral has run out by sample time
    /// `newest` (s) sounds, whatever the (unchecked) evidence.
    fn sound_overdue(&mut self, newest: f64, now: i64) {
        let overdue: Vec<(ArrhythmiaKind, f64, f64)> = self
            .rhythm
            .pending
            .iter()
            .filter_map(|(&k, &(onset, _))| {
                let since = self.rhythm.held.get(&k).map_or(onset, |h| h.0.min(onset));
                (policy::is_lethal(k) && newest - since >= policy::DEFERRAL_LIMIT_S).then_some((k, onset, since))
            })
            .collect();
        for (kind, onset, since) in overdue {
            let reason = format!(
                "lasted {:.0} s: a lethal rhythm is held back as a possible artefact for {:.0} s at most (no waveform \
                 has come to re-check it since)",
                newest - since,
                policy::DEFERRAL_LIMIT_S
            );
            self.verdict(kind, onset, newest, Decision { alarm: kind, keep: true, reason }, now);
        }
    }

    fn verdict(&mut self, kind: ArrhythmiaKind, onset: f64, t: f64, decision: Decision, now: i64) {
        let cond = Condition::Arrhythmia { kind };
        let id = AlarmId { bed: self.bed.clone(), condition: cond, onset: ms(onset) };
        let line = Condition::PossibleArtefact { kind };
        let line_id = AlarmId { bed: self.bed.clone(), condition: line, onset: ms(onset) };
        let held_back = self.alarms.get(&line_id).is_some_and(Alarm::active);
        if decision.keep {
            // The possible artefact was not one (or lasted too long): its
            // line ends and the alarm itself sounds, with its own id, so no
            // pause given to the low line can silence it.
            self.rhythm.held.remove(&kind);
            if held_back {
                self.end_where(ms(t), |c| *c == line);
            }
            self.rhythm.pending.remove(&kind);
            self.runs
                .insert(cond, Run { since: ms(onset), last_t: ms(t), area: 0.0, worst: 0.0, raised: Some(id.clone()) });
            self.raise(id.clone(), Priority::High, ms(t), None, None, None, now);
            if let Some(a) = self.alarms.get_mut(&id) {
                a.rhythm = Some(decision);
            }
        } else if policy::is_lethal(kind) {
            // Held back, never hidden: a low-priority line with the evidence.
            let since = match self.rhythm.held.get(&kind) {
                Some(&(since, Some(ended))) if onset - ended <= RELAPSE_S => since,
                Some(&(since, None)) => since,
                _ => onset,
            };
            self.rhythm.held.insert(kind, (since, None));
            if t - since >= policy::DEFERRAL_LIMIT_S {
                let reason = format!(
                    "lasted {:.0} s: a lethal rhythm is held back as a possible artefact for {:.0} s at most ({})",
                    t - since,
                    policy::DEFERRAL_LIMIT_S,
                    decision.reason
                );
                return self.verdict(kind, onset, t, Decision { alarm: kind, keep: true, reason }, now);
            }
            self.rhythm.pending.insert(kind, (onset, t + RECHECK_S));
            if !held_back {
                self.runs.insert(
                    line,
                    Run { since: ms(onset), last_t: ms(t), area: 0.0, worst: 0.0, raised: Some(line_id.clone()) },
                );
                self.raise(line_id.clone(), Priority::Low, ms(t), None, None, None, now);
            }
            if let Some(a) = self.alarms.get_mut(&line_id) {
                a.rhythm = Some(decision);
            }
        } else {
            self.rhythm.pending.insert(kind, (onset, t + RECHECK_S));
            self.rhythm.log.push_back(Suppressed { kind, onset: ms(onset), at: ms(t), reason: decision.reason });
            while self.rhythm.log.len() > SUPPRESSED_LOG {
                self.rhythm.log.pop_front();
            }
        }
    }

    fn end_arrhythmia(&mut self, kind: ArrhythmiaKind, at: SampleTime) {
        if self.rhythm.pending.remove(&kind).is_some() {
            if let Some(h) = self.rhythm.held.get_mut(&kind) {
                h.1 = Some(at as f64 / 1000.0);
            }
        }
        self.end_where(at, |c| *c == Condition::Arrhythmia { kind } || *c == Condition::PossibleArtefact { kind });
    }

    /// Arrhythmias the check suppressed, oldest first, with their reasons.
    pub fn suppressed(&self) -> impl DoubleEndedIterator<Item = &Suppressed> {
        self.rhythm.suppressed()
    }
}
