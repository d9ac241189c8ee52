//! A device's frame: what arrives, and the validated value it becomes.
//!
//! [`RawFrame`] is the shape on the wire and trusts nothing. [`Frame`] is built
//! only by [`Frame::try_from`]: a `Frame` that exists has finite, measurable
//! values with plausible timestamps and bounded sizes. Deserialising a `Frame`
//! goes through the same check, so a tablet receiving relayed frames holds the
//! same guarantee as the server that validated them.

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

pub use crate::technical::{Sensor, Technical, TechnicalCondition};
use crate::vital::{VitalKind, WaveKind};
use crate::SampleTime;
use serde::{Deserialize, Serialize};

/// Bounds that keep one frame small enough to store and relay in one piece.
pub const MAX_NUMERICS: usize = 256;
pub const MAX_WAVES: usize = 16;
pub const MAX_TECHNICAL: usize = 32;
pub const MAX_WAVE_SAMPLES: usize = 4096;
/// 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z: a device clock outside this is broken.
pub const EARLIEST_TIME: SampleTime = 946_684_800_000;
pub const LATEST_TIME: SampleTime = 4_102_444_800_000;
/// The highest sequence number a device may use: 2^63 - 1, so that every
/// store (SQLite and PostgreSQL integers are signed 64-bit) keeps it as sent.
pub const MAX_SEQ: u64 = i64::MAX as u64;

/// A numeric reading as sent. Unknown fields are refused, here and in the
/// frame: a field a device sends is either understood or the frame is
/// rejected with its name, never dropped without a word.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNumeric {
    pub kind: VitalKind,
    /// Device time of the measurement, ms since the Unix epoch.
    pub t: SampleTime,
    pub value: f64,
}

/// A run of waveform samples as sent: `samples[i]` was taken at
/// `t0 + i * 1000 / rate_hz` ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWave {
    pub kind: WaveKind,
    pub t0: SampleTime,
    pub rate_hz: f64,
    pub samples: Vec<f32>,
}

/// A frame exactly as it travels; nothing in it has been checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFrame {
    /// Per-device sequence number: the device numbers its frames 1, 2, 3, ...
    /// and the server stores each (device, seq) once.
    pub seq: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub numerics: Vec<RawNumeric>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waves: Vec<RawWave>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub technical: Vec<Technical>,
}

/// Why a frame was refused. The text is what the device is told.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrameError {
    #[error("frame {seq} is empty: no numerics, waves or technical conditions")]
    Empty { seq: u64 },
    #[error("frame {seq}: sequence number 0 is reserved; number frames from 1")]
    ZeroSeq { seq: u64 },
    #[error("frame {seq}: sequence numbers go up to {max} (2^63 - 1)")]
    SeqRange { seq: u64, max: u64 },
    #[error("frame {seq}: too many {what} ({count}, at most {max})")]
    TooMany { seq: u64, what: &'static str, count: usize, max: usize },
    #[error("frame {seq}: {what} time {t} ms is outside 2000-2100; is the device clock set?")]
    Time { seq: u64, what: String, t: SampleTime },
    #[error("frame {seq}: {kind:?} value {value} is not a number a monitor can measure (allowed {min}..={max})")]
    Numeric { seq: u64, kind: VitalKind, value: f64, min: f64, max: f64 },
    #[error("frame {seq}: {kind:?} sample rate {rate} Hz is outside {min}..={max} Hz")]
    Rate { seq: u64, kind: WaveKind, rate: f64, min: f64, max: f64 },
    #[error("frame {seq}: {kind:?} chunk has {count} samples (1..={max} allowed)")]
    WaveLength { seq: u64, kind: WaveKind, count: usize, max: usize },
    #[error("frame {seq}: {kind:?} sample {index} is {value}, outside {min}..={max} {unit}")]
    WaveSample { seq: u64, kind: WaveKind, index: usize, value: f32, min: f32, max: f32, unit: &'static str },
}

/// A validated numeric reading: `value` is finite and inside the kind's
/// measurable range, `t` is a plausible device time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawNumeric", into = "RawNumeric")]
pub struct Numeric {
    kind: VitalKind,
    t: SampleTime,
    value: f64,
}

impl Numeric {
    /// One reading checked as a frame's are (`seq` names the frame in the error).
    pub fn check(seq: u64, n: RawNumeric) -> Result<Numeric, FrameError> {
        check_time(seq, || format!("{:?} reading", n.kind), n.t)?;
        let range = n.kind.measurable_range();
        // `contains` is false for NaN, so NaN and infinities fail here too.
        if !range.contains(&n.value) {
            return Err(FrameError::Numeric {
                seq,
                kind: n.kind,
                value: n.value,
                min: *range.start(),
                max: *range.end(),
            });
        }
        Ok(Numeric { kind: n.kind, t: n.t, value: n.value })
    }

    pub fn kind(&self) -> VitalKind {
        self.kind
    }
    pub fn t(&self) -> SampleTime {
        self.t
    }
    pub fn value(&self) -> f64 {
        self.value
    }
}

/// A validated run of waveform samples.
#[derive(Debug, Clone, PartialEq)]
pub struct WaveChunk {
    kind: WaveKind,
    t0: SampleTime,
    rate_hz: f64,
    samples: Vec<f32>,
}

impl WaveChunk {
    pub fn kind(&self) -> WaveKind {
        self.kind
    }
    pub fn t0(&self) -> SampleTime {
        self.t0
    }
    pub fn rate_hz(&self) -> f64 {
        self.rate_hz
    }
    pub fn samples(&self) -> &[f32] {
        &self.samples
    }
    /// Device time just after the last sample (where the next chunk begins).
    pub fn t_end(&self) -> SampleTime {
        // At most 4,096 samples at 0.01 Hz or more: under 5 days, added to a
        // time before 2100. Saturating all the same.
        self.t0.saturating_add((self.samples.len() as f64 * 1000.0 / self.rate_hz).round() as SampleTime)
    }
}

/// A validated device frame. See the module docs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawFrame", into = "RawFrame")]
pub struct Frame {
    seq: u64,
    numerics: Vec<Numeric>,
    waves: Vec<WaveChunk>,
    technical: Vec<Technical>,
}

impl Frame {
    pub fn seq(&self) -> u64 {
        self.seq
    }
    pub fn numerics(&self) -> &[Numeric] {
        &self.numerics
    }
    pub fn waves(&self) -> &[WaveChunk] {
        &self.waves
    }
    pub fn technical(&self) -> &[Technical] {
        &self.technical
    }

    /// Number of samples carried: numerics plus waveform samples.
    pub fn sample_count(&self) -> usize {
        self.waves.iter().fold(self.numerics.len(), |n, w| n.saturating_add(w.samples.len()))
    }

    /// Earliest and latest device time the frame covers.
    pub fn time_span(&self) -> (SampleTime, SampleTime) {
        let starts = self
            .numerics
            .iter()
            .map(|n| n.t)
            .chain(self.waves.iter().map(|w| w.t0))
            .chain(self.technical.iter().map(|t| t.t));
        let ends = self
            .numerics
            .iter()
            .map(|n| n.t)
            .chain(self.waves.iter().map(|w| w.t_end()))
            .chain(self.technical.iter().map(|t| t.t));
        (starts.min().unwrap_or(0), ends.max().unwrap_or(0))
    }
}

fn check_time(seq: u64, what: impl FnOnce() -> String, t: SampleTime) -> Result<(), FrameError> {
    if (EARLIEST_TIME..=LATEST_TIME).contains(&t) {
        Ok(())
    } else {
        Err(FrameError::Time { seq, what: what(), t })
    }
}

fn check_count(seq: u64, what: &'static str, count: usize, max: usize) -> Result<(), FrameError> {
    if count > max {
        return Err(FrameError::TooMany { seq, what, count, max });
    }
    Ok(())
}

/// A reading outside a frame (the newest intermittent values sent on
/// subscribing): checked as a frame's, named frame 0 in the error.
impl TryFrom<RawNumeric> for Numeric {
    type Error = FrameError;

    fn try_from(raw: RawNumeric) -> Result<Self, FrameError> {
        Numeric::check(0, raw)
    }
}

impl From<Numeric> for RawNumeric {
    fn from(n: Numeric) -> Self {
        RawNumeric { kind: n.kind, t: n.t, value: n.value }
    }
}

impl TryFrom<RawFrame> for Frame {
    type Error = FrameError;

    fn try_from(raw: RawFrame) -> Result<Self, FrameError> {
        let seq = raw.seq;
        if seq == 0 {
            return Err(FrameError::ZeroSeq { seq });
        }
        if seq > MAX_SEQ {
            return Err(FrameError::SeqRange { seq, max: MAX_SEQ });
        }
        if raw.numerics.is_empty() && raw.waves.is_empty() && raw.technical.is_empty() {
            return Err(FrameError::Empty { seq });
        }
        check_count(seq, "numerics", raw.numerics.len(), MAX_NUMERICS)?;
        check_count(seq, "wave chunks", raw.waves.len(), MAX_WAVES)?;
        check_count(seq, "technical conditions", raw.technical.len(), MAX_TECHNICAL)?;

        let mut numerics = Vec::with_capacity(raw.numerics.len());
        for n in raw.numerics {
            numerics.push(Numeric::check(seq, n)?);
        }

        let mut waves = Vec::with_capacity(raw.waves.len());
        for w in raw.waves {
            check_time(seq, || format!("{:?} chunk", w.kind), w.t0)?;
            let rates = w.kind.rate_range();
            if !rates.contains(&w.rate_hz) {
                return Err(FrameError::Rate {
                    seq,
                    kind: w.kind,
                    rate: w.rate_hz,
                    min: *rates.start(),
                    max: *rates.end(),
                });
            }
            if w.samples.is_empty() || w.samples.len() > MAX_WAVE_SAMPLES {
                return Err(FrameError::WaveLength {
                    seq,
                    kind: w.kind,
                    count: w.samples.len(),
                    max: MAX_WAVE_SAMPLES,
                });
            }
            let range = w.kind.measurable_range();
            if let Some((index, &value)) = w.samples.iter().enumerate().find(|(_, v)| !range.contains(*v)) {
                return Err(FrameError::WaveSample {
                    seq,
                    kind: w.kind,
                    index,
                    value,
                    min: *range.start(),
                    max: *range.end(),
                    unit: w.kind.unit(),
                });
            }
            waves.push(WaveChunk { kind: w.kind, t0: w.t0, rate_hz: w.rate_hz, samples: w.samples });
        }

        for t in &raw.technical {
            check_time(seq, || format!("{:?} condition", t.condition), t.t)?;
        }

        Ok(Frame { seq, numerics, waves, technical: raw.technical })
    }
}

impl From<Frame> for RawFrame {
    fn from(f: Frame) -> Self {
        RawFrame {
            seq: f.seq,
            numerics: f.numerics.into_iter().map(|n| RawNumeric { kind: n.kind, t: n.t, value: n.value }).collect(),
            waves: f
                .waves
                .into_iter()
                .map(|w| RawWave { kind: w.kind, t0: w.t0, rate_hz: w.rate_hz, samples: w.samples })
                .collect(),
            technical: f.technical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const T: SampleTime = 1_790_000_000_000;

    fn raw() -> RawFrame {
        RawFrame {
            seq: 7,
            numerics: vec![
                RawNumeric { kind: VitalKind::Hr, t: T, value: 72.0 },
                RawNumeric { kind: VitalKind::Spo2, t: T, value: 97.0 },
            ],
            waves: vec![RawWave { kind: WaveKind::EcgII, t0: T, rate_hz: 250.0, samples: vec![0.1, 0.9, -0.2] }],
            technical: vec![],
        }
    }

    #[test]
    fn a_good_frame_round_trips_through_json_unchanged() {
        let frame = Frame::try_from(raw()).unwrap();
        let json = serde_json::to_string(&frame).unwrap();
        let back: Frame = serde_json::from_str(&json).unwrap();
        assert_eq!(back, frame);
        assert_eq!(frame.sample_count(), 5);
        assert_eq!(frame.time_span(), (T, T + 12));
    }

    #[test]
    fn nan_and_infinite_numerics_are_rejected() {
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut r = raw();
            r.numerics[0].value = bad;
            assert!(matches!(Frame::try_from(r), Err(FrameError::Numeric { kind: VitalKind::Hr, .. })));
        }
    }

    #[test]
    fn impossible_values_are_rejected_with_the_allowed_range() {
        let mut r = raw();
        r.numerics[1].value = 101.0;
        let err = Frame::try_from(r).unwrap_err();
        assert_eq!(err.to_string(), "frame 7: Spo2 value 101 is not a number a monitor can measure (allowed 0..=100)");
    }

    #[test]
    fn nan_wave_samples_are_rejected_with_their_index() {
        let mut r = raw();
        r.waves[0].samples[2] = f32::NAN;
        assert!(matches!(Frame::try_from(r), Err(FrameError::WaveSample { index: 2, .. })));
    }

    #[test]
    fn unknown_kinds_do_not_parse() {
        let json = r#"{"seq":1,"numerics":[{"kind":"blood_sugar","t":1790000000000,"value":5}]}"#;
        let err = serde_json::from_str::<Frame>(json).unwrap_err().to_string();
        assert!(err.contains("unknown variant `blood_sugar`"), "{err}");
    }

    #[test]
    fn deserialising_a_frame_validates_it() {
        let json = r#"{"seq":1,"numerics":[{"kind":"hr","t":1790000000000,"value":-5}]}"#;
        assert!(serde_json::from_str::<Frame>(json).is_err());
    }

    #[test]
    fn empty_frames_zero_seq_and_broken_clocks_are_rejected() {
        let empty = RawFrame { seq: 3, numerics: vec![], waves: vec![], technical: vec![] };
        assert_eq!(Frame::try_from(empty), Err(FrameError::Empty { seq: 3 }));
        let mut zero = raw();
        zero.seq = 0;
        assert!(matches!(Frame::try_from(zero), Err(FrameError::ZeroSeq { .. })));
        let mut old = raw();
        old.numerics[0].t = 0;
        assert!(matches!(Frame::try_from(old), Err(FrameError::Time { .. })));
    }

    #[test]
    fn rates_and_chunk_lengths_are_bounded() {
        let mut r = raw();
        r.waves[0].rate_hz = 0.0;
        assert!(matches!(Frame::try_from(r), Err(FrameError::Rate { .. })));
        let mut r = raw();
        r.waves[0].samples = vec![0.0; MAX_WAVE_SAMPLES + 1];
        assert!(matches!(Frame::try_from(r), Err(FrameError::WaveLength { .. })));
        let mut r = raw();
        r.waves[0].samples.clear();
        assert!(matches!(Frame::try_from(r), Err(FrameError::WaveLength { count: 0, .. })));
        let mut r = raw();
        r.numerics = vec![RawNumeric { kind: VitalKind::Hr, t: T, value: 60.0 }; MAX_NUMERICS + 1];
        assert!(matches!(Frame::try_from(r), Err(FrameError::TooMany { .. })));
    }

    #[test]
    fn chunk_end_time_follows_the_sample_rate() {
        let mut r = raw();
        r.waves[0].samples = vec![0.0; 250];
        let f = Frame::try_from(r).unwrap();
        assert_eq!(f.waves()[0].t_end(), T + 1000);
    }

    #[test]
    fn seq_from_2_pow_63_is_refused_so_every_store_keeps_it_as_sent() {
        for seq in [MAX_SEQ + 1, u64::MAX] {
            let mut r = raw();
            r.seq = seq;
            assert!(matches!(Frame::try_from(r), Err(FrameError::SeqRange { .. })), "{seq}");
        }
        let mut r = raw();
        r.seq = MAX_SEQ;
        assert_eq!(Frame::try_from(r).unwrap().seq(), MAX_SEQ);
    }

    #[test]
    fn unknown_fields_in_a_device_frame_are_refused_by_name() {
        let good = serde_json::to_value(raw()).unwrap();
        let cases = [
            ("/bed", serde_json::json!("b01")),
            ("/numerics/0/unit", serde_json::json!("bpm")),
            ("/waves/0/gain", serde_json::json!(2.0)),
        ];
        for (path, value) in cases {
            let mut v = good.clone();
            let (parent, field) = path.rsplit_once('/').unwrap();
            v.pointer_mut(if parent.is_empty() { "" } else { parent })
                .unwrap()
                .as_object_mut()
                .unwrap()
                .insert(field.into(), value);
            let err = serde_json::from_value::<RawFrame>(v).unwrap_err().to_string();
            assert!(err.contains(&format!("unknown field `{field}`")), "{path}: {err}");
        }
        let mut v = good;
        let technical = serde_json::json!([{"t": T, "condition": "lead_off", "sensor": "ecg", "active": true}]);
        v["technical"] = technical.clone();
        assert!(serde_json::from_value::<RawFrame>(v.clone()).is_ok());
        v["technical"][0]["lead"] = serde_json::json!("II");
        let err = serde_json::from_value::<RawFrame>(v).unwrap_err().to_string();
        assert!(err.contains("unknown field `lead`"), "{err}");
    }

    #[test]
    fn a_reading_with_more_digits_than_an_f64_holds_relays_bit_for_bit() {
        // Found by fuzzing (fuzz/fuzz_targets/tablet_message.rs): without
        // serde_json's float_roundtrip, this parsed to 97.08888888888887 on
        // the server and, relayed, to 97.08888888888889 on the tablet.
        let json = r#"{"seq":1,"numerics":[{"kind":"spo2","t":1790000000000,"value":97.0888888888888888888888888888888888888}]}"#;
        let frame: Frame = serde_json::from_str(json).unwrap();
        let relayed: Frame = serde_json::from_str(&serde_json::to_string(&frame).unwrap()).unwrap();
        assert_eq!(relayed.numerics()[0].value().to_bits(), frame.numerics()[0].value().to_bits());
        assert_eq!(frame.numerics()[0].value(), 97.08888888888889);
    }
}
