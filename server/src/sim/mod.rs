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
mod tests {
    use super::*;
    use vigil_shared::alarm::Priority;
    use vigil_shared::Frame;

    const T0: SampleTime = 1_790_000_000_000;

    fn run(name: &str, seconds: i64) -> Vec<RawFrame> {
        let mut sim = BedSim::new(Scenario::builtin(name).unwrap(), Equipment::default(), 7, T0);
        (1..=seconds * 4).filter_map(|i| sim.frame_until(T0 + i * 250)).collect()
    }

    #[test]
    fn every_generated_frame_passes_validation() {
        for name in Scenario::BUILTIN {
            for f in run(name, 200) {
                Frame::try_from(f.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
            }
        }
    }

    #[test]
    fn waveforms_are_contiguous_at_their_exact_rates() {
        let frames = run("stable", 60);
        let ecg: Vec<&RawWave> = frames.iter().flat_map(|f| &f.waves).filter(|w| w.kind == WaveKind::EcgII).collect();
        assert_eq!(ecg.iter().map(|w| w.samples.len()).sum::<usize>(), 250 * 60);
        for pair in ecg.windows(2) {
            let end = pair[0].t0 as f64 + pair[0].samples.len() as f64 * 4.0;
            assert!((pair[1].t0 as f64 - end).abs() <= 1.0);
        }
        let seqs: Vec<u64> = frames.iter().map(|f| f.seq).collect();
        assert_eq!(seqs, (1..=frames.len() as u64).collect::<Vec<_>>());
    }

    #[test]
    fn a_scenario_with_history_sends_its_numerics_first_then_streams_live() {
        let scenario = Scenario::builtin("slow_sepsis").unwrap();
        let now = T0 + 5 * 3600 * 1000;
        let start = BedSim::start_for(&scenario, now);
        assert_eq!(start, T0);
        let mut sim = BedSim::new(scenario, Equipment::default(), 7, start);
        let history = sim.history_until(now, 10_000);
        assert!(history.len() >= 1790, "{}", history.len());
        assert!(history.iter().all(|f| f.waves.is_empty() && !f.numerics.is_empty()));
        for f in &history {
            Frame::try_from(f.clone()).expect("valid");
        }
        let hr_at = |t: i64| {
            history.iter().flat_map(|f| &f.numerics).find(|n| n.kind == VitalKind::Hr && n.t >= t).map(|n| n.value)
        };
        // Steady for 3.5 h, then drifting up inside the limits.
        assert!((77.0..=83.0).contains(&hr_at(T0 + 3_600_000).unwrap()));
        let late = hr_at(now - 60_000).unwrap();
        assert!((94.0..=102.0).contains(&late), "{late}");
        // The tablet's unusual-trend advisory has it, with margin: the demo
        // must show it whenever a tablet opens.
        let mut drift = vigil_shared::drift::BedDrift::new();
        for n in history.iter().flat_map(|f| &f.numerics) {
            drift.on_numeric(n.kind, n.t, n.value);
        }
        let a = drift.advisory().expect("advised").assessment.clone();
        for (param, z) in [(vigil_shared::drift::Param::Hr, 4.5), (vigil_shared::drift::Param::Rr, 3.8)] {
            let d = a.drivers.iter().find(|d| d.param == param).unwrap_or_else(|| panic!("{param:?}: {a:?}"));
            assert!(d.z >= z, "{d:?}");
        }
        let live = sim.frame_until(now + 250).expect("live frame");
        let ecg = live.waves.iter().find(|w| w.kind == WaveKind::EcgII).expect("waves live");
        assert!(ecg.t0 >= now - 4 && ecg.samples.len() < 100, "{} {}", ecg.t0 - now, ecg.samples.len());
        assert!(live.seq > history.last().unwrap().seq);
    }

    #[test]
    fn the_same_seed_gives_the_same_frames() {
        assert_eq!(run("desaturation", 30), run("desaturation", 30));
    }

    #[test]
    fn lead_off_stops_the_heart_rate_and_raises_the_technical_condition() {
        let frames = run("lead_off", 60);
        let at = |sec: i64| frames.iter().find(|f| f.numerics.iter().any(|n| n.t == T0 + sec * 1000)).unwrap();
        assert!(at(30).numerics.iter().any(|n| n.kind == VitalKind::Hr));
        assert!(!at(50).numerics.iter().any(|n| n.kind == VitalKind::Hr));
        let raised = frames.iter().flat_map(|f| &f.technical).find(|t| t.active).unwrap();
        assert_eq!(
            (raised.condition, raised.sensor, raised.t),
            (TechnicalCondition::LeadOff, Sensor::Ecg, T0 + 45_000)
        );
    }

    #[test]
    fn the_desaturation_reaches_its_target_in_the_numerics() {
        let frames = run("desaturation", 200);
        let spo2_at_180 =
            frames.iter().flat_map(|f| &f.numerics).find(|n| n.kind == VitalKind::Spo2 && n.t == T0 + 180_000).unwrap();
        assert!((83.0..=85.0).contains(&spo2_at_180.value), "{}", spo2_at_180.value);
    }

    /// What Vigil's own rhythm detection and check make of a simulated bed:
    /// (arrhythmia alarms raised, arrhythmias suppressed).
    fn rhythm_verdicts(name: &str, seconds: i64, equipment: Equipment) -> (Vec<String>, Vec<String>) {
        let (raised, suppressed, _) = rhythm_run(name, seconds, equipment);
        (raised, suppressed)
    }

    /// As [`rhythm_verdicts`], with the priority the ward would sound at the end.
    fn rhythm_run(name: &str, seconds: i64, equipment: Equipment) -> (Vec<String>, Vec<String>, Option<Priority>) {
        use vigil_shared::alarm::{AlarmOptions, Condition, WardAlarms};
        let mut sim = BedSim::new(Scenario::builtin(name).unwrap(), equipment, 7, T0);
        let mut w = WardAlarms::new(AlarmOptions::default());
        let mut now = T0;
        for i in 1..=seconds * 4 {
            now = T0 + i * 250;
            if let Some(f) = sim.frame_until(now) {
                w.on_frame("b1", &Frame::try_from(f).unwrap(), now);
            }
            w.tick(now, true);
        }
        let bed = w.bed("b1").unwrap();
        let raised = bed
            .log()
            .filter(|a| matches!(a.id.condition, Condition::Arrhythmia { .. }))
            .map(|a| a.id.to_string())
            .collect();
        let suppressed = bed.suppressed().map(|s| format!("{:?}: {}", s.kind, s.reason)).collect();
        (raised, suppressed, w.audible(now))
    }

    fn kinds(raised: &[String]) -> Vec<&str> {
        raised.iter().map(|id| id.split(['/', '@']).nth(1).unwrap_or("")).collect()
    }

    #[test]
    fn an_ecg_signal_lost_while_the_heart_beats_is_a_suppressed_asystole_with_the_pulse_as_its_reason() {
        for eq in [Equipment::default(), Equipment { abp_hz: Some(125.0), ..Equipment::default() }] {
            let (raised, suppressed, _) = rhythm_run("ecg_signal_lost", 70, eq);
            assert_eq!(kinds(&raised), Vec::<&str>::new(), "ABP {:?}: nothing raised: {raised:?}", eq.abp_hz);
            assert!(
                suppressed
                    .iter()
                    .any(|s| s.starts_with("Asystole:") && s.contains(" at 7") && s.contains("but beats on")),
                "ABP {:?}: {suppressed:?}",
                eq.abp_hz
            );
        }
    }

    #[test]
    fn a_cardiac_arrest_raises_asystole_and_sounds_high() {
        for eq in [Equipment::default(), Equipment { abp_hz: Some(125.0), ..Equipment::default() }] {
            let (raised, suppressed, audible) = rhythm_run("arrest", 60, eq);
            assert!(kinds(&raised).contains(&"arrhythmia.asystole"), "ABP {:?}: {raised:?}", eq.abp_hz);
            assert!(suppressed.iter().all(|s| !s.starts_with("Asystole")), "{suppressed:?}");
            assert_eq!(audible, Some(Priority::High));
        }
    }

    #[test]
    fn the_simulated_ward_raises_arrhythmias_only_where_its_scenario_has_one() {
        let arterial = Equipment { abp_hz: Some(125.0), ..Equipment::default() };
        for name in Scenario::BUILTIN {
            for eq in [Equipment::default(), arterial] {
                let (raised, suppressed) = rhythm_verdicts(name, 120, eq);
                let expected: &[&str] = match name {
                    "tachycardia" => &["arrhythmia.tachycardia"],
                    "bradycardia" => &["arrhythmia.bradycardia"],
                    "arrest" => &["arrhythmia.asystole"],
                    // A lead-off is a technical alarm, not an asystole.
                    _ => &[],
                };
                assert_eq!(kinds(&raised), expected, "{name} (ABP {:?}): raised {raised:?}", eq.abp_hz);
                if name != "ecg_signal_lost" {
                    assert!(suppressed.is_empty(), "{name}: nothing to suppress: {suppressed:?}");
                }
            }
        }
    }
}
