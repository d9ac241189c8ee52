//! How a frame is kept on disk: compact, and exactly what was acknowledged.
//!
//! Bedside monitors digitise with a fixed resolution (an ECG channel at a few
//! microvolts per step, an arterial line at a fraction of a mmHg), so each
//! waveform chunk is first tried as whole multiples of a step: the coarsest
//! step from [`STEPS`] that gives back every sample bit for bit is used, and
//! the differences of those integers are Rice-coded (a few bits for a quiet
//! sample, with an escape for any jump). A chunk that fits no step (a device
//! sending arbitrary floats) is stored as raw `f32` bits. Either way decoding
//! gives back the very `f32` values that arrived: lossless, verified while
//! encoding, not assumed. Numerics, wave headers and times are packed as
//! varints against the frame's first time; technical conditions (rare) as
//! JSON. A body is deflated only when that makes it smaller.
//!
//! Decoding re-validates the frame ([`Frame::try_from`]), so a damaged row is
//! an error, never a plausible-looking wrong value.

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

use flate2::read::DeflateDecoder;
use flate2::Compression;
use std::io::Read;
use vigil_shared::frame::{RawFrame, RawNumeric, RawWave, Technical};
use vigil_shared::{Frame, VitalKind, WaveKind};

/// Body format version, the first byte.
const VERSION: u8 = 2;
/// Second byte: how the rest is kept.
const PLAIN: u8 = 0;
const DEFLATED: u8 = 1;

const RAW_F32: u8 = 0;
const QUANTISED: u8 = 1;

/// Candidate digitisation steps, coarsest first. Stored by index: append only.
const STEPS: [f64; 21] = [
    1.0, 0.5, 0.25, 0.2, 0.1, 0.05, 0.025, 0.02, 0.01, 0.005, 0.0025, 0.002, 0.001, 0.0005, 0.00025, 0.0002, 0.0001,
    0.00005, 0.000025, 0.00002, 0.00001,
];

/// Stored numbers of the parameters and waves: frozen, append only.
const VITAL_CODES: [&str; 11] =
    ["hr", "pulse", "spo2", "rr", "nibp_sys", "nibp_dia", "nibp_mean", "art_sys", "art_dia", "art_mean", "temp"];
const WAVE_KINDS: [WaveKind; 4] = [WaveKind::EcgII, WaveKind::Pleth, WaveKind::Abp, WaveKind::Resp];

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("stored frame body is damaged: {0}")]
    Damaged(String),
    #[error("stored frame body has format version {0}, this server reads version {VERSION}")]
    Version(u8),
    #[error("stored frame no longer passes validation: {0}")]
    Invalid(#[from] vigil_shared::frame::FrameError),
}

fn damaged(what: impl Into<String>) -> CodecError {
    CodecError::Damaged(what.into())
}

fn vital_number(kind: VitalKind) -> u8 {
    VITAL_CODES.iter().position(|c| *c == kind.code()).expect("every parameter has a stored number") as u8
}

fn wave_number(kind: WaveKind) -> u8 {
    WAVE_KINDS.iter().position(|k| *k == kind).expect("every wave has a stored number") as u8
}

/// The frame as a body.
pub fn encode(frame: &Frame) -> Vec<u8> {
    let raw = RawFrame::from(frame.clone());
    let base = frame.time_span().0;
    let mut b = Vec::with_capacity(frame.sample_count().saturating_mul(2).saturating_add(64));
    put_varint(&mut b, raw.seq);
    put_varint(&mut b, zigzag(base));
    put_varint(&mut b, raw.numerics.len() as u64);
    for n in &raw.numerics {
        b.push(vital_number(n.kind));
        put_varint(&mut b, zigzag(n.t.wrapping_sub(base)));
        // Most readings are whole tenths.
        put_f64(&mut b, n.value, 10.0);
    }
    put_varint(&mut b, raw.waves.len() as u64);
    for w in &raw.waves {
        b.push(wave_number(w.kind));
        put_varint(&mut b, zigzag(w.t0.wrapping_sub(base)));
        put_f64(&mut b, w.rate_hz, 1000.0);
        encode_samples(&mut b, &w.samples);
    }
    if raw.technical.is_empty() {
        put_varint(&mut b, 0);
    } else {
        let json = serde_json::to_vec(&raw.technical).expect("technical conditions serialise");
        put_varint(&mut b, json.len() as u64);
        b.extend_from_slice(&json);
    }
    let (how, rest) = match deflate(&b) {
        Some(deflated) if deflated.len() < b.len() => (DEFLATED, deflated),
        _ => (PLAIN, b),
    };
    let mut out = Vec::with_capacity(rest.len().saturating_add(2));
    out.extend_from_slice(&[VERSION, how]);
    out.extend_from_slice(&rest);
    out
}

thread_local! {
    /// One compressor per thread, reset for each body: a fresh one allocates
    /// and zeroes ~300 KB of tables, which was the writer's largest cost
    /// (page faults and memset in every frame).
    static COMPRESSOR: std::cell::RefCell<flate2::Compress> =
        std::cell::RefCell::new(flate2::Compress::new(Compression::fast(), false));
}

/// Raw deflate (no zlib header) of `b`, or None if it would not fit in
/// `b.len()` bytes (no gain).
fn deflate(b: &[u8]) -> Option<Vec<u8>> {
    COMPRESSOR.with(|c| {
        let mut c = c.borrow_mut();
        c.reset();
        let mut out = Vec::with_capacity(b.len());
        match c.compress_vec(b, &mut out, flate2::FlushCompress::Finish) {
            Ok(flate2::Status::StreamEnd) => Some(out),
            _ => None,
        }
    })
}

/// How many of the frame's wave chunks fit no digitisation step (kept as raw
/// floats): for measurements.
pub fn encode_is_raw(frame: &Frame) -> usize {
    frame.waves().iter().filter(|w| find_step(w.samples()).is_none()).count()
}

/// The frame a body holds, re-validated.
pub fn decode(bytes: &[u8]) -> Result<Frame, CodecError> {
    let (&version, rest) = bytes.split_first().ok_or_else(|| damaged("empty"))?;
    if version != VERSION {
        return Err(CodecError::Version(version));
    }
    let (&how, rest) = rest.split_first().ok_or_else(|| damaged("truncated"))?;
    let inflated;
    let body = match how {
        PLAIN => rest,
        DEFLATED => {
            let mut v = Vec::with_capacity(rest.len().saturating_mul(3));
            DeflateDecoder::new(rest)
                .take(4 << 20)
                .read_to_end(&mut v)
                .map_err(|e| damaged(format!("inflate: {e}")))?;
            inflated = v;
            &inflated
        }
        h => return Err(damaged(format!("unknown packing {h}"))),
    };
    let mut r = Reader { buf: body, at: 0 };
    let seq = r.varint()?;
    let base = unzigzag(r.varint()?);
    let count = r.count(vigil_shared::frame::MAX_NUMERICS)?;
    let mut numerics = Vec::with_capacity(count);
    for _ in 0..count {
        let code = VITAL_CODES.get(r.byte()? as usize).ok_or_else(|| damaged("unknown parameter"))?;
        let kind =
            VitalKind::ALL.iter().copied().find(|k| k.code() == *code).ok_or_else(|| damaged("retired parameter"))?;
        let t = base.wrapping_add(unzigzag(r.varint()?));
        let value = r.f64(10.0)?;
        numerics.push(RawNumeric { kind, t, value });
    }
    let count = r.count(vigil_shared::frame::MAX_WAVES)?;
    let mut waves = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = *WAVE_KINDS.get(r.byte()? as usize).ok_or_else(|| damaged("unknown wave"))?;
        let t0 = base.wrapping_add(unzigzag(r.varint()?));
        let rate_hz = r.f64(1000.0)?;
        waves.push(RawWave { kind, t0, rate_hz, samples: decode_samples(&mut r)? });
    }
    let len = r.count(1 << 20)?;
    let technical: Vec<Technical> = if len == 0 {
        Vec::new()
    } else {
        serde_json::from_slice(r.take(len)?).map_err(|e| damaged(format!("technical conditions: {e}")))?
    };
    if r.at != body.len() {
        return Err(damaged(format!("{} bytes left over", body.len().saturating_sub(r.at))));
    }
    Ok(Frame::try_from(RawFrame { seq, numerics, waves, technical })?)
}

/// Marks a converter gain stored as its own `f64` rather than a step from [`STEPS`].
const OWN_GAIN: u8 = 255;

/// How samples are whole numbers: `k * STEPS[i]`, or `k / gain` as a WFDB
/// reader computes physical units from a converter's gain.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    Table(u8),
    Gain(f64),
}

impl Step {
    fn value(self, k: i64) -> f32 {
        match self {
            Step::Table(i) => (k as f64 * STEPS[i as usize]) as f32,
            Step::Gain(g) => (k as f64 / g) as f32,
        }
    }
    fn whole(self, s: f32) -> f64 {
        match self {
            Step::Table(i) => (f64::from(s) / STEPS[i as usize]).round(),
            Step::Gain(g) => (f64::from(s) * g).round(),
        }
    }
}

/// A step of which every sample is a whole multiple, exactly: the coarsest of
/// [`STEPS`], else a converter gain found from the data (1/7247.6 mV fits no
/// decimal step).
fn find_step(samples: &[f32]) -> Option<(Step, Vec<i64>)> {
    (0..STEPS.len() as u8)
        .map(Step::Table)
        .chain(data_gains(samples).into_iter().map(Step::Gain))
        .find_map(|step| multiples(samples, step).map(|ints| (step, ints)))
}

/// The samples as whole numbers of `step`, if every one is exactly that.
fn multiples(samples: &[f32], step: Step) -> Option<Vec<i64>> {
    let mut ints = Vec::with_capacity(samples.len());
    for &s in samples {
        let k = step.whole(s);
        if k.is_nan() || k.abs() > 1.0e12 || step.value(k as i64).to_bits() != s.to_bits() {
            return None;
        }
        ints.push(k as i64);
    }
    Some(ints)
}

/// Candidate converter gains behind the samples, if they look digitised:
/// the smallest difference between two sample values (or a half, third or
/// quarter of it) as a first guess of the step, refined by least squares over every
/// sample, and its reciprocal rounded to 0-3 decimals (gains are written so).
fn data_gains(samples: &[f32]) -> Vec<f64> {
    let mut sorted: Vec<f64> = samples.iter().map(|&s| f64::from(s)).filter(|s| s.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let smallest = sorted.windows(2).map(|w| w[1] - w[0]).filter(|&d| d > 0.0).fold(f64::INFINITY, f64::min);
    let mut out = Vec::new();
    if !smallest.is_finite() || samples.len() < 2 {
        return out;
    }
    // Differences of neighbours are small whole numbers of the step whatever
    // the baseline; least squares over them sharpens the guess, and then
    // over the values themselves (now numbered right) sharpens it again.
    let diffs: Vec<f64> = samples.windows(2).map(|w| f64::from(w[1]) - f64::from(w[0])).collect();
    let refine = |step: f64, xs: &[f64]| -> Option<f64> {
        let (mut sk, mut kk) = (0.0, 0.0);
        for &x in xs {
            let k = (x / step).round();
            if k.abs() > 1.0e7 {
                return None;
            }
            sk += x * k;
            kk += k * k;
        }
        (kk > 0.0).then(|| sk / kk)
    };
    for div in 1..=4 {
        let Some(step) = refine(smallest / f64::from(div), &diffs) else { continue };
        let step = refine(step, &diffs).unwrap_or(step);
        let sharp = refine(step, &sorted).unwrap_or(step);
        for estimate in [sharp, step] {
            for decimals in 0..=3 {
                let scale = 10f64.powi(decimals);
                out.push((scale / estimate).round() / scale);
            }
        }
    }
    out.dedup();
    out.retain(|g| g.is_finite() && *g > 0.0);
    out
}

/// Rice parameter for values averaging `mean`: about log2 of the mean.
fn rice_parameter(values: &[u64]) -> u8 {
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / values.len().max(1) as f64;
    if mean < 1.0 {
        0
    } else {
        (mean.log2().floor() as u8).min(40)
    }
}

/// A quotient this long escapes to the value's plain 64 bits.
const RICE_ESCAPE: u64 = 24;

fn encode_samples(out: &mut Vec<u8>, samples: &[f32]) {
    put_varint(out, samples.len() as u64);
    match find_step(samples) {
        Some((step, ints)) => {
            out.push(QUANTISED);
            match step {
                Step::Table(i) => out.push(i),
                Step::Gain(g) => {
                    out.push(OWN_GAIN);
                    out.extend_from_slice(&g.to_le_bytes());
                }
            }
            let mut prev = 0i64;
            let deltas: Vec<u64> = ints
                .iter()
                .map(|&k| {
                    // Wrapping both ways (`wrapping_add` in decoding): lossless for any pair.
                    let d = zigzag(k.wrapping_sub(prev));
                    prev = k;
                    d
                })
                .collect();
            let Some((first, rest)) = deltas.split_first() else { return };
            put_varint(out, *first);
            let p = rice_parameter(rest);
            out.push(p);
            let mut bits = BitWriter::new(out);
            for &v in rest {
                let q = v >> p;
                if q < RICE_ESCAPE {
                    bits.ones(q);
                    bits.put(0, 1);
                    bits.put(v & (1u64 << p).wrapping_sub(1), p);
                } else {
                    bits.ones(RICE_ESCAPE);
                    bits.put(v, 64);
                }
            }
            bits.finish();
        }
        None => {
            out.push(RAW_F32);
            for s in samples {
                out.extend_from_slice(&s.to_bits().to_le_bytes());
            }
        }
    }
}

fn decode_samples(r: &mut Reader<'_>) -> Result<Vec<f32>, CodecError> {
    let n = r.count(vigil_shared::frame::MAX_WAVE_SAMPLES)?;
    let mut out = Vec::with_capacity(n);
    match r.byte()? {
        QUANTISED => {
            let step = match r.byte()? {
                OWN_GAIN => Step::Gain(f64::from_le_bytes(r.array()?)),
                i if (i as usize) < STEPS.len() => Step::Table(i),
                _ => return Err(damaged("unknown step")),
            };
            if n == 0 {
                return Ok(out);
            }
            let mut k = unzigzag(r.varint()?);
            out.push(step.value(k));
            let p = r.byte()?;
            if p > 40 {
                return Err(damaged("bad Rice parameter"));
            }
            let mut bits = BitReader { r, acc: 0, have: 0 };
            for _ in 1..n {
                let mut q = 0;
                while q < RICE_ESCAPE && bits.get(1)? == 1 {
                    q = q.saturating_add(1);
                }
                let v = if q == RICE_ESCAPE { bits.get(64)? } else { (q << p) | bits.get(p)? };
                k = k.wrapping_add(unzigzag(v));
                out.push(step.value(k));
            }
        }
        RAW_F32 => {
            for _ in 0..n {
                out.push(f32::from_bits(u32::from_le_bytes(r.array()?)));
            }
        }
        c => return Err(damaged(format!("unknown sample codec {c}"))),
    }
    Ok(out)
}

/// `v` as a whole number of `1/scale` when that is exact (a tag and a
/// varint), else all its bits.
fn put_f64(out: &mut Vec<u8>, v: f64, scale: f64) {
    let k = (v * scale).round();
    if k.abs() < 1e15 && k / scale == v {
        out.push(0);
        put_varint(out, zigzag(k as i64));
    } else {
        out.push(1);
        out.extend_from_slice(&v.to_le_bytes());
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ ((v & 1) as i64).wrapping_neg()
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Bits, most significant first, appended to a byte vector.
struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    acc: u8,
    used: u8,
}

impl<'a> BitWriter<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter { out, acc: 0, used: 0 }
    }
    fn put(&mut self, value: u64, bits: u8) {
        for i in (0..bits).rev() {
            self.acc = (self.acc << 1) | ((value >> i) & 1) as u8;
            self.used = self.used.saturating_add(1); // at most 8
            if self.used == 8 {
                self.out.push(self.acc);
                (self.acc, self.used) = (0, 0);
            }
        }
    }
    fn ones(&mut self, n: u64) {
        for _ in 0..n {
            self.put(1, 1);
        }
    }
    fn finish(mut self) {
        if self.used > 0 {
            let pad = 8u8.saturating_sub(self.used);
            self.put(0, pad);
        }
    }
}

struct BitReader<'r, 'a> {
    r: &'r mut Reader<'a>,
    acc: u8,
    have: u8,
}

impl BitReader<'_, '_> {
    fn get(&mut self, bits: u8) -> Result<u64, CodecError> {
        let mut v = 0u64;
        for _ in 0..bits {
            if self.have == 0 {
                self.acc = self.r.byte()?;
                self.have = 8;
            }
            self.have = self.have.saturating_sub(1); // 1..=8 here
            v = (v << 1) | u64::from((self.acc >> self.have) & 1);
        }
        Ok(v)
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], CodecError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or_else(|| damaged("truncated"))?;
        let s = &self.buf[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn varint(&mut self) -> Result<u64, CodecError> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(damaged("varint too long"))
    }
    fn f64(&mut self, scale: f64) -> Result<f64, CodecError> {
        match self.byte()? {
            0 => Ok(unzigzag(self.varint()?) as f64 / scale),
            1 => Ok(f64::from_le_bytes(self.array()?)),
            v => Err(damaged(format!("unknown number packing {v}"))),
        }
    }
    /// A count, refused above `max` before anything is allocated for it.
    fn count(&mut self, max: usize) -> Result<usize, CodecError> {
        let n = self.varint()?;
        if n > max as u64 {
            return Err(damaged(format!("count {n} above {max}")));
        }
        Ok(n as usize)
    }
}

/// A wave chunk's samples between `from` and `to` (device ms), for full disclosure.
pub fn wave_window(wave: &RawWave, from: i64, to: i64) -> Option<RawWave> {
    let period = 1000.0 / wave.rate_hz;
    let first = ((from.saturating_sub(wave.t0) as f64 / period).ceil().max(0.0)) as usize;
    let last = ((to.saturating_sub(wave.t0) as f64 / period).floor() + 1.0).max(0.0) as usize;
    let last = last.min(wave.samples.len());
    (first < last).then(|| RawWave {
        kind: wave.kind,
        t0: wave.t0.saturating_add((first as f64 * period).round() as i64),
        rate_hz: wave.rate_hz,
        samples: wave.samples[first..last].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_shared::frame::{Sensor, TechnicalCondition};

    const T0: i64 = 1_790_000_000_000;

    fn frame(waves: Vec<RawWave>) -> Frame {
        Frame::try_from(RawFrame {
            seq: 7,
            numerics: vec![RawNumeric { kind: VitalKind::Hr, t: T0, value: 72.5 }],
            waves,
            technical: vec![],
        })
        .unwrap()
    }

    /// An ECG-like wave digitised at 2.5 uV, as a monitor's converter gives it.
    fn digitised_ecg(n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| {
                let t = i as f64 / 250.0;
                let beat = (t * 1.2).fract();
                let v = 1.2 * (-((beat - 0.3) / 0.012).powi(2)).exp() + 0.1 * (t * 0.3).sin();
                ((v / 0.0025).round() * 0.0025) as f32
            })
            .collect()
    }

    #[test]
    fn digitised_waves_come_back_bit_for_bit_and_small() {
        let samples = digitised_ecg(1000);
        let f = frame(vec![RawWave { kind: WaveKind::EcgII, t0: T0, rate_hz: 250.0, samples: samples.clone() }]);
        let body = encode(&f);
        let back = decode(&body).unwrap();
        assert_eq!(back, f);
        assert!(back.waves()[0].samples().iter().zip(&samples).all(|(a, b)| a.to_bits() == b.to_bits()));
        let json = serde_json::to_vec(&f).unwrap().len();
        assert!(body.len() * 8 < json, "body {} bytes vs JSON {json}: at least 8x smaller", body.len());
        assert!(body.len() < 1000 * 2, "under 2 bytes per sample: {}", body.len());
    }

    #[test]
    fn arbitrary_floats_fall_back_to_raw_bits_and_stay_exact() {
        let samples: Vec<f32> = (0..500).map(|i| ((i as f32) * 0.013_7).sin() * 0.987_654_3 + 1e-7).collect();
        assert!(find_step(&samples).is_none(), "no step fits these");
        let f = frame(vec![RawWave { kind: WaveKind::Pleth, t0: T0, rate_hz: 125.0, samples }]);
        assert_eq!(decode(&encode(&f)).unwrap(), f);
    }

    #[test]
    fn the_coarsest_exact_step_is_chosen() {
        let step = |s: &[f32]| find_step(s).map(|(i, _)| i);
        assert_eq!(step(&[80.0, 80.5, 81.0]), Some(Step::Table(1)));
        assert_eq!(step(&[0.005, -0.01, 1.25]), Some(Step::Table(9)));
        assert_eq!(find_step(&[-3.0, 120.0]), Some((Step::Table(0), vec![-3, 120])));
    }

    #[test]
    fn a_converter_gain_that_is_no_decimal_step_is_found_from_the_data() {
        // (adc - baseline) / gain, as a WFDB reader computes it.
        let gain = 7247.6;
        let samples: Vec<f32> = (0..250).map(|i| ((((i * 37) % 900) as f64 - 450.0) / gain) as f32).collect();
        let (step, ints) = find_step(&samples).expect("digitised");
        assert_eq!(step, Step::Gain(gain));
        assert_eq!(ints[1] - ints[0], 37);
        let f = frame(vec![RawWave { kind: WaveKind::EcgII, t0: T0, rate_hz: 250.0, samples }]);
        assert_eq!(decode(&encode(&f)).unwrap(), f);
    }

    #[test]
    fn frames_without_waves_and_several_waves_round_trip() {
        let f = frame(vec![]);
        assert_eq!(decode(&encode(&f)).unwrap(), f);
        let f = frame(vec![
            RawWave { kind: WaveKind::EcgII, t0: T0, rate_hz: 250.0, samples: digitised_ecg(250) },
            RawWave { kind: WaveKind::Abp, t0: T0 + 4, rate_hz: 125.0, samples: vec![80.0, 80.1, 95.3, 120.0] },
        ]);
        assert_eq!(decode(&encode(&f)).unwrap(), f);
    }

    #[test]
    fn jumps_of_any_size_odd_values_and_technical_conditions_round_trip() {
        let samples = vec![0.0, 15.0, -20.0, 19.5, 19.5, 19.5, -19.999, 0.001, 0.0];
        let f = Frame::try_from(RawFrame {
            seq: u64::MAX / 3,
            numerics: vec![
                RawNumeric { kind: VitalKind::Temp, t: T0 - 5_000, value: 37.25 },
                RawNumeric { kind: VitalKind::Spo2, t: T0 + 90_000, value: 97.0 },
                RawNumeric { kind: VitalKind::Rr, t: T0, value: 1.0 / 3.0 },
            ],
            waves: vec![RawWave { kind: WaveKind::EcgII, t0: T0, rate_hz: 257.3, samples }],
            technical: vec![Technical {
                t: T0,
                condition: TechnicalCondition::LeadOff,
                sensor: Sensor::Ecg,
                active: true,
            }],
        })
        .unwrap();
        assert_eq!(decode(&encode(&f)).unwrap(), f);
    }

    #[test]
    fn every_parameter_and_wave_has_a_stored_number() {
        for k in VitalKind::ALL {
            assert_eq!(VITAL_CODES[vital_number(k) as usize], k.code());
        }
        for k in WaveKind::ALL {
            assert_eq!(WAVE_KINDS[wave_number(k) as usize], k);
        }
    }

    #[test]
    fn a_damaged_body_is_an_error_not_a_wrong_frame() {
        let f = frame(vec![RawWave { kind: WaveKind::EcgII, t0: T0, rate_hz: 250.0, samples: digitised_ecg(300) }]);
        let body = encode(&f);
        assert!(decode(&body[..body.len() / 2]).is_err(), "truncated");
        assert!(decode(b"not deflate at all").is_err());
        let mut wrong = body.clone();
        wrong[0] = 9;
        assert!(matches!(decode(&wrong), Err(CodecError::Version(9))));
        assert!(decode(&[]).is_err());
        // Every truncation and every single-byte change is caught or decodes
        // to a valid frame (never a panic).
        for cut in 0..body.len() {
            assert!(decode(&body[..cut]).is_err(), "cut at {cut}");
        }
        for i in 0..body.len() {
            let mut b = body.clone();
            b[i] ^= 0x5a;
            let _ = decode(&b);
        }
    }

    #[test]
    fn a_window_of_a_chunk_keeps_sample_times() {
        let w =
            RawWave { kind: WaveKind::EcgII, t0: 1000, rate_hz: 250.0, samples: (0..250).map(|i| i as f32).collect() };
        let part = wave_window(&w, 1100, 1199).unwrap();
        assert_eq!((part.t0, part.samples.first().copied(), part.samples.len()), (1100, Some(25.0), 25));
        assert!(wave_window(&w, 3000, 4000).is_none());
        assert_eq!(wave_window(&w, 0, 99_999).unwrap().samples.len(), 250);
    }
}

#[cfg(test)]
mod simulated {
    use super::*;
    use crate::sim::{BedSim, Equipment};

    #[test]
    fn a_simulated_monitor_stream_is_stored_in_under_1_3_bytes_per_sample() {
        let scenario = crate::demo::load_scenario("stable", std::path::Path::new(".")).unwrap();
        let equipment = Equipment { abp_hz: Some(125.0), ..Equipment::default() };
        let t0 = 1_789_999_200_000;
        let mut sim = BedSim::new(scenario, equipment, 1, t0);
        let (mut bytes, mut samples, mut quantised, mut chunks) = (0, 0, 0, 0);
        for k in 1..=240 {
            let raw = sim.frame_until(t0 + k * 250).unwrap();
            for w in &raw.waves {
                chunks += 1;
                quantised += usize::from(find_step(&w.samples).is_some());
            }
            let frame = Frame::try_from(raw).unwrap();
            samples += frame.sample_count();
            bytes += encode(&frame).len();
        }
        eprintln!(
            "{bytes} bytes for {samples} samples: {:.2} B/sample, {quantised}/{chunks} chunks quantised",
            bytes as f64 / samples as f64
        );
        assert_eq!(quantised, chunks, "the simulator digitises every wave");
        assert!((bytes as f64) < 1.3 * samples as f64);
    }
}
