//! The ward simulator (`vigil simulate`, and the demo): one [`BedSim`] per
//! device generates frames from a scenario; [`crate::device_link`] sends them.
//!
//! [`BedSim`] is deterministic: the same scenario, seed and times give the
//! same frames, so tests and scripted wards repeat exactly.

mod history;
pub mod scenario;
pub mod waves;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use scenario::{Physiology, Scenario};
use vigil_shared::frame::{RawFrame, RawNumeric, RawWave, Sensor, Technical, TechnicalCondition};
use vigil_shared::{SampleTime, VitalKind, WaveKind};
use waves::{delayed, ecg_shape, pulse_shape, Artefact, BeatClock};

/// What a simulated device measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Equipment {
    pub ecg_hz: f64,
    pub pleth_hz: f64,
    /// Arterial line at this rate, if the patient has one.
    pub abp_hz: Option<f64>,
    pub resp_hz: Option<f64>,
    /// Seconds between NIBP measurements.
    pub nibp_every_s: f64,
}

impl Default for Equipment {
    fn default() -> Self {
        Equipment { ecg_hz: 250.0, pleth_hz: 125.0, abp_hz: None, resp_hz: Some(25.0), nibp_every_s: 300.0 }
    }
}

/// A waveform's sample bookkeeping: how many samples have been emitted since
/// the start, so chunk boundaries never drift.
#[derive(Debug, Clone)]
struct WaveTrack {
    kind: WaveKind,
    rate: f64,
    emitted: u64,
}

/// One simulated bedside device.
pub struct BedSim {
    scenario: Scenario,
    equipment: Equipment,
    rng: StdRng,
    start: SampleTime,
    seq: u64,
    tracks: Vec<WaveTrack>,
    beat: BeatClock,
    pulse_beat: BeatClock,
    abp_beat: BeatClock,
    artefact: Artefact,
    resp_phase: f64,
    next_numeric: SampleTime,
    next_nibp: SampleTime,
    next_temp: SampleTime,
    next_tech_repeat: SampleTime,
    lead_off: bool,
    spo2_off: bool,
}

impl BedSim {
    pub fn new(scenario: Scenario, equipment: Equipment, seed: u64, start: SampleTime) -> Self {
        let mut tracks = vec![
            WaveTrack { kind: WaveKind::EcgII, rate: equipment.ecg_hz, emitted: 0 },
            WaveTrack { kind: WaveKind::Pleth, rate: equipment.pleth_hz, emitted: 0 },
        ];
        if let Some(rate) = equipment.abp_hz {
            tracks.push(WaveTrack { kind: WaveKind::Abp, rate, emitted: 0 });
        }
        if let Some(rate) = equipment.resp_hz {
            tracks.push(WaveTrack { kind: WaveKind::Resp, rate, emitted: 0 });
        }
        let mut rng = StdRng::seed_from_u64(seed);
        // Stagger NIBP so a ward's cuffs do not all inflate together.
        let nibp_offset = rng.gen_range(5_000..20_000);
        BedSim {
            scenario,
            equipment,
            rng,
            start,
            seq: 0,
            tracks,
            // One heart: the three clocks share their beat-to-beat variation
            // (a stream of its own, not the noise's).
            beat: BeatClock::new(seed ^ HEART_SEED),
            pulse_beat: BeatClock::new(seed ^ HEART_SEED),
            abp_beat: BeatClock::new(seed ^ HEART_SEED),
            artefact: Artefact::default(),
            resp_phase: 0.0,
            next_numeric: start + 1000,
            next_nibp: start + nibp_offset,
            next_temp: start + 2_000,
            next_tech_repeat: start,
            lead_off: false,
            spo2_off: false,
        }
    }

    fn physiology(&self, t: SampleTime) -> Physiology {
        self.scenario.at((t - self.start) as f64 / 1000.0)
    }

    /// Everything measured up to `now` since the last call, as one frame;
    /// `None` when the device is silent or nothing is due.
    pub fn frame_until(&mut self, now: SampleTime) -> Option<RawFrame> {
        let p = self.physiology(now);
        let mut waves = Vec::new();
        let mut technical = Vec::new();

        // Technical conditions: on change, and repeated every 10 s while active
        // so that a tablet joining later learns of them.
        let repeat = now >= self.next_tech_repeat;
        if repeat {
            self.next_tech_repeat = now + 10_000;
        }
        for (active, was, condition, sensor) in [
            (p.lead_off, self.lead_off, TechnicalCondition::LeadOff, Sensor::Ecg),
            (p.spo2_off, self.spo2_off, TechnicalCondition::SensorOff, Sensor::Spo2),
        ] {
            if active != was || (active && repeat) {
                technical.push(Technical { t: now, condition, sensor, active });
            }
        }
        self.lead_off = p.lead_off;
        self.spo2_off = p.spo2_off;

        for i in 0..self.tracks.len() {
            let track = self.tracks[i].clone();
            let due = (((now - self.start) as f64) * track.rate / 1000.0).floor() as u64;
            if due <= track.emitted {
                continue;
            }
            let t0 = self.start + (track.emitted as f64 * 1000.0 / track.rate).round() as SampleTime;
            let n = (due - track.emitted) as usize;
            let samples = self.synthesise(track.kind, track.rate, n, &p);
            self.tracks[i].emitted = due;
            waves.push(RawWave { kind: track.kind, t0, rate_hz: track.rate, samples });
        }

        let mut numerics = Vec::new();
        while self.next_numeric <= now {
            let t = self.next_numeric;
            let q = self.physiology(t);
            let mut jitter = |spread: f64| self.rng.gen_range(-spread..=spread);
            if q.arrest && !q.lead_off {
                numerics.push(RawNumeric { kind: VitalKind::Hr, t, value: 0.0 });
            } else if !q.lead_off && !q.ecg_flat {
                numerics.push(RawNumeric { kind: VitalKind::Hr, t, value: (q.hr + jitter(1.0)).round() });
            }
            // No pulse, no SpO2 reading.
            if !q.spo2_off && !q.arrest {
                numerics.push(RawNumeric {
                    kind: VitalKind::Spo2,
                    t,
                    value: (q.spo2 + jitter(0.6)).round().clamp(0.0, 100.0),
                });
                numerics.push(RawNumeric { kind: VitalKind::Pulse, t, value: (q.hr + jitter(1.5)).round() });
            }
            numerics.push(RawNumeric { kind: VitalKind::Rr, t, value: (q.rr + jitter(0.8)).round().max(0.0) });
            if self.equipment.abp_hz.is_some() && q.arrest {
                for kind in [VitalKind::ArtSys, VitalKind::ArtDia, VitalKind::ArtMean] {
                    numerics.push(RawNumeric { kind, t, value: ARREST_MMHG });
                }
            } else if self.equipment.abp_hz.is_some() {
                numerics.push(RawNumeric { kind: VitalKind::ArtSys, t, value: (q.sys + jitter(2.0)).round() });
                numerics.push(RawNumeric { kind: VitalKind::ArtDia, t, value: (q.dia + jitter(1.5)).round() });
                numerics.push(RawNumeric { kind: VitalKind::ArtMean, t, value: q.mean_pressure().round() });
            }
            self.next_numeric += 1000;
        }
        if self.next_nibp <= now {
            let t = self.next_nibp;
            let q = self.physiology(t);
            // With no pulse the cuff finds no oscillations: no reading.
            if !q.arrest {
                let (s, d) =
                    ((q.sys + self.rng.gen_range(-4.0..4.0)).round(), (q.dia + self.rng.gen_range(-3.0..3.0)).round());
                numerics.push(RawNumeric { kind: VitalKind::NibpSys, t, value: s });
                numerics.push(RawNumeric { kind: VitalKind::NibpDia, t, value: d });
                numerics.push(RawNumeric { kind: VitalKind::NibpMean, t, value: (d + (s - d) / 3.0).round() });
            }
            self.next_nibp += (self.equipment.nibp_every_s * 1000.0) as SampleTime;
        }
        if self.next_temp <= now {
            let t = self.next_temp;
            let q = self.physiology(t);
            let value = ((q.temp + self.rng.gen_range(-0.05..0.05)) * 10.0).round() / 10.0;
            numerics.push(RawNumeric { kind: VitalKind::Temp, t, value });
            self.next_temp += 60_000;
        }

        if p.silent || (numerics.is_empty() && waves.is_empty() && technical.is_empty()) {
            return None;
        }
        self.seq += 1;
        Some(RawFrame { seq: self.seq, numerics, waves, technical })
    }

    fn synthesise(&mut self, kind: WaveKind, rate: f64, n: usize, p: &Physiology) -> Vec<f32> {
        let dt = 1.0 / rate;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let v = match kind {
                WaveKind::EcgII => {
                    self.artefact.maybe_start(dt, &mut self.rng);
                    // A burst runs its course whether or not the ECG shows it.
                    let artefact = self.artefact.sample(dt, &mut self.rng);
                    let phase = self.beat.advance(dt, p.hr);
                    let wander = 0.06 * (self.resp_phase * std::f64::consts::TAU).sin();
                    if p.lead_off || p.ecg_flat {
                        // A detached electrode or a lost signal: flat line with a little noise.
                        self.rng.gen_range(-0.01..0.01)
                    } else if p.arrest {
                        // Electrodes on, no electrical activity.
                        wander + self.rng.gen_range(-0.02..0.02)
                    } else {
                        ecg_shape(phase) + wander + artefact + self.rng.gen_range(-0.02..0.02)
                    }
                }
                WaveKind::Pleth => {
                    let phase = delayed(self.pulse_beat.advance(dt, p.hr), p.hr, PPG_TRANSIT_S);
                    if p.spo2_off {
                        self.rng.gen_range(-0.005..0.005)
                    } else if p.arrest {
                        // The probe on a finger with no pulse through it.
                        0.1 + self.rng.gen_range(-0.01..0.01)
                    } else {
                        let resp_mod = 1.0 + 0.08 * (self.resp_phase * std::f64::consts::TAU).sin();
                        0.1 + 0.8 * pulse_shape(phase) * resp_mod + self.rng.gen_range(-0.01..0.01)
                    }
                }
                WaveKind::Abp => {
                    let shape = pulse_shape(delayed(self.abp_beat.advance(dt, p.hr), p.hr, ABP_TRANSIT_S));
                    if p.arrest {
                        ARREST_MMHG + self.rng.gen_range(-0.5..0.5)
                    } else {
                        p.dia + (p.sys - p.dia) * shape + self.rng.gen_range(-0.5..0.5)
                    }
                }
                WaveKind::Resp => {
                    self.resp_phase = (self.resp_phase + dt * p.rr / 60.0).fract();
                    (self.resp_phase * std::f64::consts::TAU).sin() * 0.5 + self.rng.gen_range(-0.02..0.02)
                }
            };
            // A monitor's converter sends whole steps of its resolution
            // (`+ 0.0` turns a rounded -0 into 0, as a converter has no -0).
            let step = adc_step(kind);
            out.push(((v / step).round() * step + 0.0) as f32);
        }
        out
    }
}

/// Mixed into a bed's seed for its heart's beat-to-beat variation.
const HEART_SEED: u64 = 0x4845_4152_5442_4541;

/// Seconds from the R wave to the systolic peak at the finger (pleth) and
/// at the radial artery (arterial line).
const PPG_TRANSIT_S: f64 = 0.25;
const ABP_TRANSIT_S: f64 = 0.18;

/// The arterial pressure with no heartbeat (the mean circulatory filling
/// pressure), mmHg.
const ARREST_MMHG: f64 = 18.0;

/// Resolution of the simulated converters: ECG 2.5 uV, ABP 0.05 mmHg,
/// pleth and respiration 0.001 of their unit.
fn adc_step(kind: WaveKind) -> f64 {
    match kind {
        WaveKind::EcgII => 0.0025,
        WaveKind::Abp => 0.05,
        WaveKind::Pleth | WaveKind::Resp => 0.001,
    }
}

#[cfg(test)]
mod tests;
