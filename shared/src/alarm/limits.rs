//! Alarm limits: population profiles, per-patient limits within the bounds a
//! profile allows, and the alarm condition delay of each limit.
//!
//! Every parameter has up to four limits, each its own alarm condition:
//! `extreme_low < low < high < extreme_high`. The `low`/`high` pair raises
//! medium-priority alarms (low priority for temperature), the extremes raise
//! high-priority ones ("Desat", "Extreme brady"). A clinician may move a limit
//! only inside the profile's hard bounds, and may never switch off a limit the
//! profile has on: a patient's limits can be fitted, not silenced.
//!
//! The defaults are starting points, not clinical advice: every number here is
//! configuration a ward can review. Delays follow the Dräger M540 validation
//! delays quoted in `CLINICAL.md` (HR 6/6 s, SpO2 6/10 s, RR 8/10 s, invasive BP
//! 10/4 s high/low) and the integral SpO2 delay of Masimo and Philips.

use crate::alarm::Priority;
use crate::vital::VitalKind;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which population the default limits and bounds are for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    #[default]
    Adult,
    Paediatric,
    Neonatal,
}

impl Profile {
    pub const ALL: [Profile; 3] = [Profile::Adult, Profile::Paediatric, Profile::Neonatal];

    pub fn label(self) -> &'static str {
        match self {
            Profile::Adult => "Adult",
            Profile::Paediatric => "Paediatric",
            Profile::Neonatal => "Neonatal",
        }
    }
}

/// One of a parameter's four limits; each is a separate alarm condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    ExtremeLow,
    Low,
    High,
    ExtremeHigh,
}

impl Band {
    pub const ALL: [Band; 4] = [Band::ExtremeLow, Band::Low, Band::High, Band::ExtremeHigh];

    pub fn is_low(self) -> bool {
        matches!(self, Band::ExtremeLow | Band::Low)
    }

    pub fn is_extreme(self) -> bool {
        matches!(self, Band::ExtremeLow | Band::ExtremeHigh)
    }

    /// True when `value` is on the wrong side of `limit` for this band.
    pub fn violated(self, value: f64, limit: f64) -> bool {
        if self.is_low() {
            value < limit
        } else {
            value > limit
        }
    }

    /// "<" or ">", as the tile shows `SpO2 84 < 90`.
    pub fn sign(self) -> &'static str {
        if self.is_low() {
            "<"
        } else {
            ">"
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Band::ExtremeLow => "extreme_low",
            Band::Low => "low",
            Band::High => "high",
            Band::ExtremeHigh => "extreme_high",
        }
    }
}

/// A parameter's limits; `None` = that limit is off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extreme_low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extreme_high: Option<f64>,
}

impl Limits {
    pub const fn new(extreme_low: Option<f64>, low: Option<f64>, high: Option<f64>, extreme_high: Option<f64>) -> Self {
        Limits { extreme_low, low, high, extreme_high }
    }

    pub fn get(&self, band: Band) -> Option<f64> {
        match band {
            Band::ExtremeLow => self.extreme_low,
            Band::Low => self.low,
            Band::High => self.high,
            Band::ExtremeHigh => self.extreme_high,
        }
    }

    pub fn set(&mut self, band: Band, value: Option<f64>) {
        match band {
            Band::ExtremeLow => self.extreme_low = value,
            Band::Low => self.low = value,
            Band::High => self.high = value,
            Band::ExtremeHigh => self.extreme_high = value,
        }
    }
}

/// How long a limit must be violated before it alarms.
///
/// The condition alarms at the first sample at which any of these holds:
/// - the violation has lasted `max_ms` (a plain delay; 0 = at once);
/// - the area between the limit and the value, in unit-seconds, has reached
///   `area` (the "smart" integral delay: deep falls alarm sooner);
/// - the value is beyond `severe` (alarm at once, whatever the delay).
///
/// So no condition is ever delayed beyond `max_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Delay {
    pub max_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severe: Option<f64>,
}

impl Delay {
    pub const fn fixed(ms: i64) -> Self {
        Delay { max_ms: ms, area: None, severe: None }
    }

    pub const NONE: Delay = Delay::fixed(0);
}

/// What a profile says about one parameter: its default limits, the hard
/// bounds a clinician may set them within, the delay of each limit, and the
/// priority of its `low`/`high` pair.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ParameterPolicy {
    pub kind: VitalKind,
    pub defaults: Limits,
    /// Every limit of this parameter must lie in `min..=max`.
    pub min: f64,
    pub max: f64,
    /// Delay per band, in [`Band::ALL`] order.
    pub delays: [Delay; 4],
    /// Priority of the `low`/`high` limits; the extremes are always high.
    pub priority: Priority,
    /// How finely the limits editor steps (1 /min, 0.1 °C).
    pub step: f64,
}

impl ParameterPolicy {
    pub fn delay(&self, band: Band) -> Delay {
        self.delays[band as usize]
    }

    pub fn priority(&self, band: Band) -> Priority {
        if band.is_extreme() {
            Priority::High
        } else {
            self.priority
        }
    }
}

/// Why a limit change was refused. The text is what the clinician is told.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LimitError {
    #[error("{kind} has no alarm limits in this system")]
    NotAlarmed { kind: &'static str },
    #[error("{kind} {band} limit {value} is outside the allowed {min}..={max}")]
    OutOfBounds { kind: &'static str, band: &'static str, value: f64, min: f64, max: f64 },
    #[error("{kind} {band} limit cannot be switched off for a {profile} patient")]
    Required { kind: &'static str, band: &'static str, profile: &'static str },
    #[error("{kind} limits must rise from extreme low to extreme high ({lower} {a} is not below {upper} {b})")]
    Order { kind: &'static str, lower: &'static str, a: f64, upper: &'static str, b: f64 },
    #[error("{kind} {band} limit is not a number")]
    NotFinite { kind: &'static str, band: &'static str },
}

/// SpO2 low: integral delay (Masimo SatSeconds, Philips Smart Alarm Delay);
/// 40 %·s means 2 % below the limit alarms after 20 s, 5 % below after 8 s,
/// never later than 30 s, and below 80 % at once.
const SPO2_LOW: Delay = Delay { max_ms: 30_000, area: Some(40.0), severe: Some(80.0) };
/// Desaturation: high priority, at most 10 s, below 80 % at once.
const SPO2_DESAT: Delay = Delay { max_ms: 10_000, area: None, severe: Some(80.0) };

/// The alarmed parameters, in display order.
pub const ALARMED: [VitalKind; 9] = [
    VitalKind::Hr,
    VitalKind::Pulse,
    VitalKind::Spo2,
    VitalKind::Rr,
    VitalKind::NibpSys,
    VitalKind::NibpMean,
    VitalKind::ArtSys,
    VitalKind::ArtMean,
    VitalKind::Temp,
];

/// Delay per band ([`Band::ALL`] order); the same in every profile.
fn delays(kind: VitalKind) -> Option<[Delay; 4]> {
    let d = Delay::fixed;
    Some(match kind {
        VitalKind::Hr => [d(5_000), d(6_000), d(6_000), d(5_000)],
        VitalKind::Pulse => [d(8_000), d(10_000), d(10_000), d(8_000)],
        VitalKind::Spo2 => [SPO2_DESAT, SPO2_LOW, d(10_000), d(10_000)],
        VitalKind::Rr => [d(20_000), d(10_000), d(8_000), d(8_000)],
        // Each NIBP measurement is already a validated reading.
        VitalKind::NibpSys | VitalKind::NibpMean => [Delay::NONE; 4],
        VitalKind::ArtSys | VitalKind::ArtMean => [d(4_000), d(4_000), d(10_000), d(10_000)],
        VitalKind::Temp => [d(10_000), d(30_000), d(30_000), d(10_000)],
        _ => return None,
    })
}

/// Default limits `[extreme low, low, high, extreme high]` (0 = off) and
/// hard bounds `[min, max]`, per profile.
#[rustfmt::skip]
fn table(profile: Profile, kind: VitalKind) -> Option<([f64; 4], [f64; 2])> {
    use VitalKind::*;
    Some(match (profile, kind) {
        (Profile::Adult, Hr | Pulse) =>           ([40.0, 50.0, 120.0, 140.0], [25.0, 250.0]),
        (Profile::Adult, Spo2) =>                 ([85.0, 90.0, 0.0, 0.0],     [50.0, 100.0]),
        (Profile::Adult, Rr) =>                   ([5.0, 8.0, 30.0, 0.0],      [1.0, 100.0]),
        (Profile::Adult, NibpSys | ArtSys) =>     ([70.0, 90.0, 160.0, 200.0], [40.0, 270.0]),
        (Profile::Adult, NibpMean) =>             ([0.0, 60.0, 120.0, 0.0],    [30.0, 200.0]),
        (Profile::Adult, ArtMean) =>              ([50.0, 60.0, 120.0, 0.0],   [30.0, 200.0]),
        (Profile::Adult, Temp) =>                 ([0.0, 35.0, 38.5, 0.0],     [30.0, 43.0]),
        (Profile::Paediatric, Hr | Pulse) =>      ([50.0, 70.0, 160.0, 180.0], [30.0, 280.0]),
        (Profile::Paediatric, Spo2) =>            ([85.0, 90.0, 0.0, 0.0],     [50.0, 100.0]),
        (Profile::Paediatric, Rr) =>              ([8.0, 12.0, 40.0, 0.0],     [1.0, 120.0]),
        (Profile::Paediatric, NibpSys | ArtSys) => ([60.0, 80.0, 130.0, 160.0], [35.0, 220.0]),
        (Profile::Paediatric, NibpMean) =>        ([0.0, 50.0, 100.0, 0.0],    [25.0, 170.0]),
        (Profile::Paediatric, ArtMean) =>         ([40.0, 50.0, 100.0, 0.0],   [25.0, 170.0]),
        (Profile::Paediatric, Temp) =>            ([0.0, 35.5, 38.5, 0.0],     [30.0, 43.0]),
        (Profile::Neonatal, Hr | Pulse) =>        ([80.0, 100.0, 180.0, 200.0], [50.0, 300.0]),
        // Neonates on oxygen: too high a saturation harms too, so SpO2 high is on.
        (Profile::Neonatal, Spo2) =>              ([80.0, 88.0, 98.0, 0.0],    [50.0, 100.0]),
        (Profile::Neonatal, Rr) =>                ([20.0, 25.0, 70.0, 0.0],    [1.0, 150.0]),
        (Profile::Neonatal, NibpSys | ArtSys) =>  ([35.0, 45.0, 90.0, 105.0],  [20.0, 150.0]),
        (Profile::Neonatal, NibpMean) =>          ([0.0, 30.0, 70.0, 0.0],     [15.0, 120.0]),
        (Profile::Neonatal, ArtMean) =>           ([25.0, 30.0, 70.0, 0.0],    [15.0, 120.0]),
        (Profile::Neonatal, Temp) =>              ([0.0, 36.0, 37.8, 0.0],     [30.0, 43.0]),
        _ => return None,
    })
}

/// What a profile says about a parameter; `None` if it does not alarm.
pub fn policy(profile: Profile, kind: VitalKind) -> Option<ParameterPolicy> {
    let ([el, lo, hi, eh], [min, max]) = table(profile, kind)?;
    let on = |v: f64| (v != 0.0).then_some(v);
    Some(ParameterPolicy {
        kind,
        defaults: Limits::new(on(el), on(lo), on(hi), on(eh)),
        min,
        max,
        delays: delays(kind)?,
        priority: if kind == VitalKind::Temp { Priority::Low } else { Priority::Medium },
        step: match kind {
            VitalKind::Temp => 0.1,
            VitalKind::NibpSys | VitalKind::NibpMean | VitalKind::ArtSys | VitalKind::ArtMean => 5.0,
            _ => 1.0,
        },
    })
}

/// Every alarmed parameter's policy for a profile.
pub fn policies(profile: Profile) -> impl Iterator<Item = ParameterPolicy> {
    ALARMED.into_iter().filter_map(move |kind| policy(profile, kind))
}

/// A bed's alarm settings: a profile and the limits changed from its defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AlarmSettings {
    pub profile: Profile,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: BTreeMap<VitalKind, Limits>,
}

impl AlarmSettings {
    pub fn new(profile: Profile) -> Self {
        AlarmSettings { profile, limits: BTreeMap::new() }
    }

    /// The limits in force for a parameter (the patient's, else the profile's).
    pub fn limits(&self, kind: VitalKind) -> Option<Limits> {
        let policy = policy(self.profile, kind)?;
        Some(self.limits.get(&kind).copied().unwrap_or(policy.defaults))
    }

    /// Sets a parameter's limits for this patient, or refuses with the reason
    /// and leaves the settings unchanged.
    pub fn set_limits(&mut self, kind: VitalKind, limits: Limits) -> Result<(), LimitError> {
        validate(self.profile, kind, &limits)?;
        self.limits.insert(kind, limits);
        Ok(())
    }
}

/// Checks a parameter's limits against the profile's bounds and rules.
pub fn validate(profile: Profile, kind: VitalKind, limits: &Limits) -> Result<(), LimitError> {
    let name = kind.label();
    let policy = policy(profile, kind).ok_or(LimitError::NotAlarmed { kind: name })?;
    let mut previous: Option<(Band, f64)> = None;
    for band in Band::ALL {
        match limits.get(band) {
            None if policy.defaults.get(band).is_some() => {
                return Err(LimitError::Required { kind: name, band: band.code(), profile: profile.label() });
            }
            None => {}
            Some(v) if !v.is_finite() => return Err(LimitError::NotFinite { kind: name, band: band.code() }),
            Some(v) => {
                if v < policy.min || v > policy.max {
                    return Err(LimitError::OutOfBounds {
                        kind: name,
                        band: band.code(),
                        value: v,
                        min: policy.min,
                        max: policy.max,
                    });
                }
                if let Some((pb, pv)) = previous {
                    // Extremes may coincide with their neighbour (an extreme
                    // at the same value simply raises the priority at once).
                    let ok = if pb.is_low() == band.is_low() { pv <= v } else { pv < v };
                    if !ok {
                        return Err(LimitError::Order {
                            kind: name,
                            lower: pb.code(),
                            a: pv,
                            upper: band.code(),
                            b: v,
                        });
                    }
                }
                previous = Some((band, v));
            }
        }
    }
    Ok(())
}
