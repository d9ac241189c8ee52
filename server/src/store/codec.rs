//! How a frame is kept on disk: compact, compressed, and exactly what was
//! acknowledged.
//!
//! Bedside monitors digitise with a fixed resolution (an ECG channel at a few
//! microvolts per step, an arterial line at a fraction of a mmHg), so each
//! waveform chunk is first tried as whole multiples of a step: the coarsest
//! step from [`STEPS`] that gives back every sample bit for bit is used, and
//! the samples are stored as zig-zag varint differences of those integers.
//! A chunk that fits no step (a device sending arbitrary floats) is stored as
//! raw `f32` bits, each XORed with the previous one. Either way decoding gives
//! the same `f32` values that arrived: the codec is lossless, verified while
//! encoding, not assumed. Numerics and technical conditions travel as JSON of
//! the wire frame with the samples left out. The whole body is then deflated.
//!
//! Decoding re-validates the frame ([`Frame::try_from`]), so a damaged row is
//! an error, never a plausible-looking wrong value.

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::Compression;
use std::io::{Read, Write};
use vigil_shared::frame::{RawFrame, RawWave};
use vigil_shared::Frame;

/// Body format version, the first byte before compression.
const VERSION: u8 = 1;
const RAW_F32: u8 = 0;
const QUANTISED: u8 = 1;

/// Candidate digitisation steps, coarsest first.
const STEPS: [f64; 21] = [
    1.0, 0.5, 0.25, 0.2, 0.1, 0.05, 0.025, 0.02, 0.01, 0.005, 0.0025, 0.002, 0.001, 0.0005, 0.00025, 0.0002, 0.0001,
    0.00005, 0.000025, 0.00002, 0.00001,
];

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

/// The frame as a compressed body.
pub fn encode(frame: &Frame) -> Vec<u8> {
    let mut raw = RawFrame::from(frame.clone());
    let waves: Vec<Vec<f32>> = raw.waves.iter_mut().map(|w| std::mem::take(&mut w.samples)).collect();
    let mut body = vec![VERSION];
    let json = serde_json::to_vec(&raw).expect("a wire frame always serialises");
    put_varint(&mut body, json.len() as u64);
    body.extend_from_slice(&json);
    for samples in &waves {
        encode_samples(&mut body, samples);
    }
    let mut z = DeflateEncoder::new(Vec::with_capacity(body.len() / 2), Compression::fast());
    z.write_all(&body).expect("writing to memory");
    z.finish().expect("writing to memory")
}

/// The frame a body holds, re-validated.
pub fn decode(bytes: &[u8]) -> Result<Frame, CodecError> {
    let mut body = Vec::with_capacity(bytes.len() * 4);
    DeflateDecoder::new(bytes).read_to_end(&mut body).map_err(|e| damaged(format!("inflate: {e}")))?;
    let mut r = Reader { buf: &body, at: 0 };
    match r.byte()? {
        VERSION => {}
        v => return Err(CodecError::Version(v)),
    }
    let len = r.varint()? as usize;
    let json = r.take(len)?;
    let mut raw: RawFrame = serde_json::from_slice(json).map_err(|e| damaged(format!("frame header: {e}")))?;
    for wave in &mut raw.waves {
        wave.samples = decode_samples(&mut r)?;
    }
    if r.at != body.len() {
        return Err(damaged(format!("{} bytes left over", body.len() - r.at)));
    }
    Ok(Frame::try_from(raw)?)
}

/// The coarsest step of which every sample is a whole multiple, exactly.
fn find_step(samples: &[f32]) -> Option<(f64, Vec<i64>)> {
    'steps: for &step in &STEPS {
        let mut ints = Vec::with_capacity(samples.len());
        for &s in samples {
            let k = (f64::from(s) / step).round();
            if k.abs() > 9.0e15 || (k * step) as f32 != s {
                continue 'steps;
            }
            ints.push(k as i64);
        }
        return Some((step, ints));
    }
    None
}

fn encode_samples(out: &mut Vec<u8>, samples: &[f32]) {
    match find_step(samples) {
        Some((step, ints)) => {
            out.push(QUANTISED);
            put_varint(out, samples.len() as u64);
            out.extend_from_slice(&step.to_le_bytes());
            let mut prev = 0i64;
            for k in ints {
                put_varint(out, zigzag(k - prev));
                prev = k;
            }
        }
        None => {
            out.push(RAW_F32);
            put_varint(out, samples.len() as u64);
            let mut prev = 0u32;
            for s in samples {
                let bits = s.to_bits();
                out.extend_from_slice(&(bits ^ prev).to_le_bytes());
                prev = bits;
            }
        }
    }
}

fn decode_samples(r: &mut Reader<'_>) -> Result<Vec<f32>, CodecError> {
    let codec = r.byte()?;
    let n = r.varint()? as usize;
    if n > vigil_shared::frame::MAX_WAVE_SAMPLES {
        return Err(damaged(format!("{n} samples in one chunk")));
    }
    let mut out = Vec::with_capacity(n);
    match codec {
        QUANTISED => {
            let step = f64::from_le_bytes(r.take(8)?.try_into().expect("8 bytes"));
            let mut k = 0i64;
            for _ in 0..n {
                k = k.wrapping_add(unzigzag(r.varint()?));
                out.push((k as f64 * step) as f32);
            }
        }
        RAW_F32 => {
            let mut prev = 0u32;
            for _ in 0..n {
                let bits = u32::from_le_bytes(r.take(4)?.try_into().expect("4 bytes")) ^ prev;
                out.push(f32::from_bits(bits));
                prev = bits;
            }
        }
        c => return Err(damaged(format!("unknown sample codec {c}"))),
    }
    Ok(out)
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.take(1)?[0])
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
}

/// A wave chunk's samples between `from` and `to` (device ms), for full disclosure.
pub fn wave_window(wave: &RawWave, from: i64, to: i64) -> Option<RawWave> {
    let period = 1000.0 / wave.rate_hz;
    let first = (((from - wave.t0) as f64 / period).ceil().max(0.0)) as usize;
    let last = (((to - wave.t0) as f64 / period).floor() + 1.0).max(0.0) as usize;
    let last = last.min(wave.samples.len());
    (first < last).then(|| RawWave {
        kind: wave.kind,
        t0: wave.t0 + (first as f64 * period).round() as i64,
        rate_hz: wave.rate_hz,
        samples: wave.samples[first..last].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_shared::frame::RawNumeric;
    use vigil_shared::{VitalKind, WaveKind};

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
        assert_eq!(find_step(&[80.0, 80.5, 81.0]).map(|s| s.0), Some(0.5));
        assert_eq!(find_step(&[0.005, -0.01, 1.25]).map(|s| s.0), Some(0.005));
        assert_eq!(find_step(&[-3.0, 120.0]).map(|s| (s.0, s.1)), Some((1.0, vec![-3, 120])));
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
    fn a_damaged_body_is_an_error_not_a_wrong_frame() {
        let f = frame(vec![RawWave { kind: WaveKind::EcgII, t0: T0, rate_hz: 250.0, samples: digitised_ecg(300) }]);
        let body = encode(&f);
        assert!(decode(&body[..body.len() / 2]).is_err(), "truncated");
        assert!(decode(b"not deflate at all").is_err());
        // A well-compressed body of the wrong version.
        let mut z = DeflateEncoder::new(Vec::new(), Compression::fast());
        z.write_all(&[9, 0]).unwrap();
        assert!(matches!(decode(&z.finish().unwrap()), Err(CodecError::Version(9))));
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
