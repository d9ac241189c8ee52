//! The check of an arrhythmia alarm against every waveform of the bed: keep
//! it (true) or suppress it (false), with the reason in words.
//!
//! The evidence is gathered once (channel summaries over the 16 s, 8 s and
//! 4 s before the alarm); the decision applies thresholds to it, so tuning
//! the thresholds (cross-validation) does not rerun the signal processing.
//!
//! The rules, per alarm type, are in [`super::rules`] and (V-tach)
//! [`super::vt_check`]; a learned second look at the V-tach alarms they keep
//! is in [`super::vt_net`].
//!
//! Anything not clearly refuted is kept: suppressing a true alarm costs a
//! patient far more than a false one costs a nurse.

use super::dominant::{carrying_on, Dominant};
use super::locked::{pulse_locked, Locked};
use super::monitor::{ChannelKind, RhythmMonitor};
use super::summary::{summarise, Summary};
use super::ArrhythmiaKind;
use serde::{Deserialize, Serialize};

/// The tunable thresholds of the check.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CheckParams {
    /// Minimum beat-shape agreement (0-1) for a channel to be trusted.
    pub template: f64,
    pub asystole_gap_s: f64,
    /// The rate (slowest 5 beats) at or above which trusted channels that
    /// agree, an ECG lead among them, refute extreme bradycardia: a
    /// measurement a second channel confirms needs less margin over the
    /// alarm's 40/min than a lone channel's `brady_rate`.
    pub brady_agreed_rate: f64,
    pub brady_rate: f64,
    pub tachy_rate: f64,
    /// The rate under which the fastest 17 beats of every ECG lead refute
    /// extreme tachycardia (its definition is over 140/min).
    pub tachy_def_rate: f64,
    pub vt_rr_cv: f64,
    pub vt_size_cv: f64,
    /// The pulse rate (5 beats) from which a steady pulse refutes VT only
    /// when the complexes it follows are measured narrow (`vt_narrow`).
    pub vt_rate: f64,
    /// The rate VT's 5 beats exceed.
    pub vt_def_rate: f64,
    /// Median-beat QRS width (s) under which complexes count as narrow: at
    /// most the ventricular width of `detect::VENTRICULAR_WIDTH_S`.
    pub vt_narrow: f64,
    /// Median complex width (s) from which a rhythm counts as wide.
    pub vt_wide: f64,
    pub vf_gap_s: f64,
    /// Rules switched off, for the ablation (`vigil review-alarms
    /// --ablation`); none in use.
    #[serde(default)]
    pub off: Rules,
}

/// One way the check may refute an alarm (or, for [`Rule::Policy`], refuse
/// to let it be held back), named so that an ablation can remove it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// Asystole: a trusted channel beating throughout the 16 s.
    AsystoleBeats,
    /// Bradycardia: two trusted channels, a lead among them, agree on a rate.
    BradyAgreed,
    /// Bradycardia: every trusted channel at or above the rate.
    BradyRate,
    /// Tachycardia: its own definition on a clean lead.
    TachyDefinition,
    /// Tachycardia: a calm trusted pulse beside a lead that counts.
    TachyCalmPulse,
    /// V-fib: the usual QRS carrying on on some lead.
    VfUsualQrs,
    /// V-fib: organised, corroborated beats.
    VfOrganised,
    /// V-tach: every lead flat while a pulse is present.
    VtEcgFlat,
    /// V-tach: its own definition (no 5 beats over the rate) on a working lead.
    VtDefinition,
    /// V-tach: narrow, regular complexes on a clean lead.
    VtNarrow,
    /// V-tach: the usual beat carrying on on every lead (two or more).
    VtUsualBeat,
    /// V-tach: one clean lead showing nothing but its usual beat.
    VtOneLead,
    /// V-tach: a fast steady pulse following narrow complexes.
    VtFastPulseNarrow,
    /// V-tach: a steady pulse slower than VT, each complex with its pulse.
    VtSlowPulse,
    /// V-tach: a steady pulse beside complexes not measured wide.
    VtSteadyPulse,
    /// The policy for lethal rhythms: two channels or none
    /// ([`super::policy`]). Removing it measures what the safety costs.
    Policy,
}

impl Rule {
    pub const ALL: [Rule; 16] = [
        Rule::AsystoleBeats,
        Rule::BradyAgreed,
        Rule::BradyRate,
        Rule::TachyDefinition,
        Rule::TachyCalmPulse,
        Rule::VfUsualQrs,
        Rule::VfOrganised,
        Rule::VtEcgFlat,
        Rule::VtDefinition,
        Rule::VtNarrow,
        Rule::VtUsualBeat,
        Rule::VtOneLead,
        Rule::VtFastPulseNarrow,
        Rule::VtSlowPulse,
        Rule::VtSteadyPulse,
        Rule::Policy,
    ];

    /// The alarm type the rule judges (`None`: the policy, over the lethal ones).
    pub fn alarm(self) -> Option<ArrhythmiaKind> {
        use ArrhythmiaKind as K;
        Some(match self {
            Rule::AsystoleBeats => K::Asystole,
            Rule::BradyAgreed | Rule::BradyRate => K::ExtremeBradycardia,
            Rule::TachyDefinition | Rule::TachyCalmPulse => K::ExtremeTachycardia,
            Rule::VfUsualQrs | Rule::VfOrganised => K::VentricularFlutterFib,
            Rule::Policy => return None,
            _ => K::VentricularTachycardia,
        })
    }
}

/// A set of [`Rule`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules(u32);

impl Rules {
    pub fn with(self, r: Rule) -> Rules {
        Rules(self.0 | 1 << r as u32)
    }

    pub fn contains(self, r: Rule) -> bool {
        self.0 & (1 << r as u32) != 0
    }
}

impl CheckParams {
    /// Whether rule `r` is in use (not switched off for an ablation).
    pub fn on(&self, r: Rule) -> bool {
        !self.off.contains(r)
    }
}

impl Default for CheckParams {
    fn default() -> CheckParams {
        CheckParams {
            template: 0.7,
            asystole_gap_s: 3.5,
            brady_agreed_rate: 44.0,
            brady_rate: 46.0,
            tachy_rate: 100.0,
            tachy_def_rate: 110.0,
            vt_rr_cv: 0.15,
            vt_size_cv: 0.3,
            vt_rate: 120.0,
            vt_def_rate: 100.0,
            vt_narrow: 0.08,
            vt_wide: 0.09,
            vf_gap_s: 2.0,
            off: Rules::default(),
        }
    }
}

/// What the channels showed before an alarm.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub alarm: ArrhythmiaKind,
    /// Time of the alarm (s, the monitor's clock).
    pub at: f64,
    /// Every channel over the 16 s before the alarm.
    pub long: Vec<Summary>,
    /// Every channel over the 8 s before the alarm.
    pub short: Vec<Summary>,
    /// Every channel over the 4 s before the alarm: where the run that set
    /// the alarm off is when the alarm came promptly (not checked: a late
    /// alarm's 4 s may show the return to the usual rhythm).
    pub recent: Vec<Summary>,
    /// Every channel: the ECG lead's usual beat before the 16 s and how it
    /// carried on through them (`None` for pulse channels).
    pub usual: Vec<Option<Dominant>>,
    /// `locked[i][j]`: ECG lead `i`'s activity locked to pulse channel `j`'s
    /// beats over the 16 s (`None` for other pairs or too few pulses).
    pub locked: Vec<Vec<Option<Locked>>>,
}

/// Pulse rates (/min) that chest compressions can produce (guidelines ask
/// for 100-120; in practice 90-140).
pub const COMPRESSION_RATES: std::ops::RangeInclusive<f64> = 90.0..=140.0;

/// Kurtosis of an ECG lead's filtered signal from which its beats are QRS
/// spikes rather than a smooth wave (fibrillation, compressions: about 1.5-3).
pub const MIN_QRS_KURTOSIS: f64 = 3.0;

/// Pulse rate (/min) under which a pulse does not refute a lethal rhythm:
/// extreme bradycardia's threshold.
pub const MIN_PERFUSING_RATE: f64 = 40.0;

/// Long, short and recent windows before the alarm (s).
pub const LONG_S: f64 = 16.0;
pub const SHORT_S: f64 = 8.0;
pub const RECENT_S: f64 = 4.0;

impl Evidence {
    /// Gathers the evidence for `alarm` raised at time `at` from the monitor.
    pub fn gather(monitor: &RhythmMonitor, alarm: ArrhythmiaKind, at: f64) -> Evidence {
        let window = |s: f64| monitor.channels.iter().map(|c| summarise(c, at - s, at).measure_width(c)).collect();
        let (long, short, recent) = (window(LONG_S), window(SHORT_S), window(RECENT_S));
        let usual = monitor.channels.iter().map(|c| carrying_on(c, at)).collect();
        let long: Vec<Summary> = long;
        let locked = monitor
            .channels
            .iter()
            .map(|lead| {
                long.iter()
                    .map(|p| {
                        (lead.kind == ChannelKind::Ecg && p.kind.is_pulse())
                            .then(|| pulse_locked(lead, &p.beats, at - RECENT_S))
                            .flatten()
                    })
                    .collect()
            })
            .collect();
        Evidence { alarm, at, long, short, recent, usual, locked }
    }
}

/// The verdict on one alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub alarm: ArrhythmiaKind,
    /// True: the alarm stands (sounds); false: suppressed as false.
    pub keep: bool,
    /// Why, in words a nurse reads at a glance.
    pub reason: String,
}

pub(super) fn trusted(s: &Summary, p: &CheckParams) -> bool {
    s.live() && s.beats.len() >= 3 && s.template >= p.template && s.rr_cv < 0.4
}

pub(super) fn per_min(r: Option<f64>) -> String {
    r.map_or_else(|| "-".into(), |r| format!("{:.0}/min", r))
}

pub(super) fn channel(s: &Summary) -> String {
    match s.kind {
        ChannelKind::Ecg => format!("ECG {}", s.name),
        k => k.label().to_string(),
    }
}

/// How much the signal midway between two detected beats may look like a
/// QRS complex ([`Summary::hidden`]) before the lead may be reading the rhythm
/// at half its rate. Real leads of the 550 Challenge records read at most
/// 0.42 outside fibrillation; electrical alternans at 180/min read as 90/min
/// reads 0.93.
pub const HIDDEN_MAX: f64 = 0.5;

/// Some ECG lead shows complexes midway between the beats it detected, over
/// the 16 s, the 8 s or the last 4 s before the alarm (a run read at half its
/// rate may have begun only seconds before it), or one with beats enough has
/// no measure of it.
pub(super) fn half_rate(ev: &Evidence) -> bool {
    [&ev.long, &ev.short, &ev.recent]
        .into_iter()
        .flatten()
        .filter(|s| s.kind == ChannelKind::Ecg && s.beats.len() >= 3)
        .any(|s| s.hidden.is_none_or(|h| h >= HIDDEN_MAX))
}

/// Decides `evidence` with thresholds `p`: the rules under the policy for
/// lethal rhythms. The learned second look at V-tach ([`super::vt_net`]) is
/// not part of it: trained and cross-validated on the design set only, it
/// lowered the cross-validated score and silenced a true alarm, so it is kept
/// for measurement (`decide_with`), not deployed.
pub fn decide(ev: &Evidence, p: &CheckParams) -> Decision {
    decide_with(ev, p, None)
}

/// Decides with the rules and, if given, `net`'s second look at the V-tach
/// alarms they keep, then the policy for lethal rhythms over both.
pub fn decide_with(ev: &Evidence, p: &CheckParams, net: Option<&super::vt_net::VtNet>) -> Decision {
    let rules = decide_rules_unguarded(ev, p);
    let decision = match net {
        Some(net) => super::vt_net::second_look(ev, p, rules, net),
        None => rules,
    };
    super::policy::guard(ev, p, decision)
}

/// Decides `evidence` with the hand-built rules and thresholds `p` alone,
/// under the policy for lethal rhythms ([`super::policy`]).
pub fn decide_rules(ev: &Evidence, p: &CheckParams) -> Decision {
    super::policy::guard(ev, p, decide_rules_unguarded(ev, p))
}

/// The rules' own verdict, before the policy for lethal rhythms: for
/// measuring what the policy costs, never for deciding.
pub fn decide_rules_unguarded(ev: &Evidence, p: &CheckParams) -> Decision {
    use super::rules;
    match ev.alarm {
        ArrhythmiaKind::Asystole => rules::asystole(ev, p),
        ArrhythmiaKind::ExtremeBradycardia => rules::bradycardia(ev, p),
        ArrhythmiaKind::ExtremeTachycardia => rules::tachycardia(ev, p),
        ArrhythmiaKind::VentricularTachycardia => super::vt_check::vt(ev, p),
        ArrhythmiaKind::VentricularFlutterFib => rules::flutter_fib(ev, p),
    }
}

/// The rules' own verdict at `at` with the default thresholds, before the
/// policy for lethal rhythms: what the rules' own tests specify (one
/// channel's refutation is still a refutation to the rule; the policy then
/// decides whether it may hold a lethal alarm back).
pub fn check_rules(monitor: &RhythmMonitor, alarm: ArrhythmiaKind, at: f64) -> Decision {
    decide_rules_unguarded(&Evidence::gather(monitor, alarm, at), &CheckParams::default())
}

/// Gathers the evidence and decides with the default thresholds.
pub fn check(monitor: &RhythmMonitor, alarm: ArrhythmiaKind, at: f64) -> Decision {
    decide(&Evidence::gather(monitor, alarm, at), &CheckParams::default())
}
