//! A reader for PhysioNet WFDB records: the `.hea` header and signal files in
//! formats 16 and 212. It parses text and bytes handed to it; reading files is
//! the caller's business.

// Input from outside: no arithmetic that can overflow, wrap or panic.
#![deny(clippy::arithmetic_side_effects)]

use thiserror::Error;

#[derive(Debug, Error, PartialEq)]
pub enum WfdbError {
    #[error("header line {line}: {message}")]
    Header { line: usize, message: String },
    #[error("signal file format {0} is not supported (16 and 212 are)")]
    Format(String),
    #[error("signal file {file}: {message}")]
    Data { file: String, message: String },
}

/// One signal as the header describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalSpec {
    pub file: String,
    pub format: u16,
    /// ADC units per physical unit (200 when the header says 0 or nothing).
    pub gain: f64,
    pub baseline: i32,
    pub units: String,
    pub adc_zero: i32,
    pub initial_value: Option<i32>,
    pub checksum: Option<i32>,
    pub description: String,
}

impl SignalSpec {
    /// Physical value of a digital sample, `None` for the format's invalid marker.
    pub fn physical(&self, digital: i32) -> Option<f64> {
        if digital == invalid_marker(self.format) {
            None
        } else {
            Some((f64::from(digital) - f64::from(self.baseline)) / self.gain)
        }
    }
}

/// A record header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub name: String,
    /// Samples per second per signal.
    pub fs: f64,
    pub n_samples: Option<usize>,
    pub signals: Vec<SignalSpec>,
    /// Comment lines without the leading `#`, trimmed.
    pub comments: Vec<String>,
}

fn invalid_marker(format: u16) -> i32 {
    match format {
        212 => -2048,
        _ => -32768,
    }
}

fn header_err(line: usize, message: impl Into<String>) -> WfdbError {
    WfdbError::Header { line, message: message.into() }
}

/// Leading number of a field such as `250/1000(0)` or `16+24`.
fn leading<T: std::str::FromStr>(field: &str) -> Option<T> {
    let end = field
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == 'E'))
        .unwrap_or(field.len());
    field[..end].parse().ok()
}

impl Header {
    pub fn parse(text: &str) -> Result<Header, WfdbError> {
        let mut comments = Vec::new();
        let mut lines = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let trimmed = line.trim();
            if let Some(c) = trimmed.strip_prefix('#') {
                comments.push(c.trim().to_string());
            } else if !trimmed.is_empty() {
                lines.push((i.saturating_add(1), trimmed));
            }
        }
        let (first_no, first) = *lines.first().ok_or_else(|| header_err(1, "no record line"))?;
        let fields: Vec<&str> = first.split_whitespace().collect();
        let name = fields[0].to_string();
        if name.contains('/') {
            return Err(header_err(first_no, "multi-segment records are not supported"));
        }
        let n_sig: usize = fields
            .get(1)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| header_err(first_no, "number of signals missing or not a number"))?;
        let fs: f64 = match fields.get(2) {
            None => 250.0,
            Some(f) => leading(f)
                .filter(|v: &f64| *v > 0.0)
                .ok_or_else(|| header_err(first_no, format!("bad sampling frequency {f:?}")))?,
        };
        let n_samples = fields.get(3).and_then(|f| f.parse().ok());

        // The count is the header's word: never allocate on it beyond the
        // signal lines actually there (found by fuzzing: "55555555555"
        // signals asked for terabytes).
        let signal_lines = lines.len().saturating_sub(1);
        if n_sig > signal_lines {
            return Err(header_err(first_no, format!("{n_sig} signals declared, {signal_lines} signal lines given")));
        }
        let mut signals = Vec::with_capacity(n_sig);
        for &(no, line) in lines.iter().skip(1).take(n_sig) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 2 {
                return Err(header_err(no, "signal line needs a file name and a format"));
            }
            let format_field = f[1];
            if format_field.contains(['x', ':']) {
                return Err(header_err(no, format!("format modifiers in {format_field:?} are not supported")));
            }
            let format: u16 =
                leading(format_field).ok_or_else(|| header_err(no, format!("bad format {format_field:?}")))?;
            if format != 16 && format != 212 {
                return Err(WfdbError::Format(format_field.to_string()));
            }
            let adc_zero: i32 = f.get(4).and_then(|v| v.parse().ok()).unwrap_or(0);
            let (mut gain, mut baseline, mut units) = (200.0, adc_zero, "mV".to_string());
            if let Some(g) = f.get(2) {
                let (num, rest) = g.split_at(g.find(['(', '/']).unwrap_or(g.len()));
                let parsed: f64 = num.parse().map_err(|_| header_err(no, format!("bad gain {g:?}")))?;
                if parsed != 0.0 {
                    gain = parsed;
                }
                if let Some(b) = rest.strip_prefix('(') {
                    let close = b.find(')').ok_or_else(|| header_err(no, format!("unclosed baseline in {g:?}")))?;
                    baseline = b[..close].parse().map_err(|_| header_err(no, format!("bad baseline in {g:?}")))?;
                }
                if let Some(u) = rest.split_once('/').map(|(_, u)| u) {
                    units = u.to_string();
                }
            }
            signals.push(SignalSpec {
                file: f[0].to_string(),
                format,
                gain,
                baseline,
                units,
                adc_zero,
                initial_value: f.get(5).and_then(|v| v.parse().ok()),
                checksum: f.get(6).and_then(|v| v.parse().ok()),
                description: f.get(8..).map(|d| d.join(" ")).unwrap_or_default(),
            });
        }
        if signals.len() != n_sig {
            return Err(header_err(
                first_no,
                format!("header promises {n_sig} signals but describes {}", signals.len()),
            ));
        }
        Ok(Header { name, fs, n_samples, signals, comments })
    }

    /// Indices of the signals stored in `file`, in interleaving order.
    pub fn signals_in(&self, file: &str) -> Vec<usize> {
        (0..self.signals.len()).filter(|&i| self.signals[i].file == file).collect()
    }

    /// Decodes one signal file into digital samples, one `Vec` per signal of
    /// that file (in the order of [`Header::signals_in`]).
    pub fn decode(&self, file: &str, bytes: &[u8]) -> Result<Vec<Vec<i32>>, WfdbError> {
        let idx = self.signals_in(file);
        let data_err = |m: String| WfdbError::Data { file: file.to_string(), message: m };
        let Some(&first) = idx.first() else {
            return Err(data_err("no signal of the header is stored in this file".into()));
        };
        let format = self.signals[first].format;
        if idx.iter().any(|&i| self.signals[i].format != format) {
            return Err(data_err("signals of one file with different formats are not supported".into()));
        }
        let stream: Vec<i32> = match format {
            16 => bytes.chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]]) as i32).collect(),
            212 => {
                let mut out = Vec::with_capacity((bytes.len() / 3).saturating_mul(2));
                for b in bytes.chunks(3) {
                    // `v` holds 12 bits: taking 4096 off cannot wrap.
                    let sign12 = |v: i32| if v & 0x800 != 0 { v.wrapping_sub(0x1000) } else { v };
                    if b.len() >= 2 {
                        out.push(sign12(b[0] as i32 | ((b[1] as i32 & 0x0f) << 8)));
                    }
                    if b.len() == 3 {
                        out.push(sign12(b[2] as i32 | ((b[1] as i32 & 0xf0) << 4)));
                    }
                }
                out
            }
            other => return Err(WfdbError::Format(other.to_string())),
        };
        let n = idx.len();
        let frames = stream.len().checked_div(n).unwrap_or(0);
        let frames = self.n_samples.map_or(frames, |want| want.min(frames));
        let mut out = vec![Vec::with_capacity(frames); n];
        for frame in stream.chunks_exact(n).take(frames) {
            for (s, &v) in out.iter_mut().zip(frame) {
                s.push(v);
            }
        }
        if let Some(want) = self.n_samples {
            if frames < want {
                return Err(data_err(format!("holds {frames} samples per signal, header says {want}")));
            }
        }
        for (k, &i) in idx.iter().enumerate() {
            let spec = &self.signals[i];
            if let (Some(init), Some(&got)) = (spec.initial_value, out[k].first()) {
                if init != got {
                    return Err(data_err(format!("signal {} starts at {got}, header says {init}", spec.description)));
                }
            }
            if let Some(sum) = spec.checksum {
                // WFDB checksum: the 16-bit sum of all samples; headers write
                // it signed or unsigned, so compare modulo 2^16.
                let got = out[k].iter().fold(0i32, |a, &v| a.wrapping_add(v)) as u16;
                if got != sum as u16 {
                    return Err(data_err(format!("signal {} checksum {got}, header says {sum}", spec.description)));
                }
            }
        }
        Ok(out)
    }
}

/// One annotation of an MIT-format annotation file (`.atr`).
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    /// Sample index in the record.
    pub sample: u64,
    /// Annotation code (1 N, 5 V, 12 paced, 14 noise, 28 rhythm change, ...).
    pub code: u8,
    /// Auxiliary text (the rhythm name for a rhythm change, e.g. `(VT`).
    pub aux: String,
}

impl Annotation {
    /// Whether the code marks a beat (the beat codes of the WFDB library's
    /// `isqrs`: N L R a V F J A S E j / Q e n f r B).
    pub fn is_beat(&self) -> bool {
        matches!(self.code, 1..=13 | 25 | 30 | 34 | 35 | 38)
    }
}

/// Parses an MIT-format annotation file: little-endian 16-bit words with a
/// 6-bit code and a 10-bit time increment; SKIP, NUM, SUB, CHN and AUX carry
/// no annotation of their own.
pub fn parse_annotations(bytes: &[u8]) -> Result<Vec<Annotation>, WfdbError> {
    let err = |m: String| WfdbError::Data { file: "annotations".into(), message: m };
    let mut out: Vec<Annotation> = Vec::new();
    let mut t: u64 = 0;
    let mut i = 0;
    while let (Some(&b0), Some(&b1)) = (bytes.get(i), bytes.get(i.saturating_add(1))) {
        let word = u16::from_le_bytes([b0, b1]);
        i = i.saturating_add(2);
        let code = (word >> 10) as u8;
        let field = (word & 0x3ff) as usize;
        match code {
            0 if field == 0 => return Ok(out),
            59 => {
                let Some(&[a, b, c, d]) = bytes.get(i..i.saturating_add(4)) else {
                    return Err(err("SKIP without its 32-bit interval".into()));
                };
                // PDP-11 order: high 16-bit word first, each word little-endian.
                let skip = i32::from_be_bytes([b, a, d, c]);
                t = t.checked_add_signed(i64::from(skip)).ok_or_else(|| err("SKIP before the start".into()))?;
                i = i.saturating_add(4);
            }
            60..=62 => {}
            63 => {
                let end = i.saturating_add(field);
                let Some(aux) = bytes.get(i..end) else {
                    return Err(err(format!("AUX of {field} bytes runs past the end")));
                };
                let text = String::from_utf8_lossy(aux).trim_end_matches('\0').to_string();
                if let Some(last) = out.last_mut() {
                    last.aux = text;
                }
                i = end.saturating_add(field & 1);
            }
            _ => {
                t = t.checked_add(field as u64).ok_or_else(|| err("annotation time overflows".into()))?;
                out.push(Annotation { sample: t, code, aux: String::new() });
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn parses_a_challenge_header_with_baseline_units_and_comments() {
        let h = Header::parse(
            "a103l 3 250 22500\n\
             a103l.dat 16 7247.0(0)/mV 16 0 399 60657 0 II\n\
             a103l.dat 16 10520.0(0)/mV 16 0 8551 33262 0 V\n\
             a103l.dat 16 12530.0(0)/NU 16 0 2898 29251 0 PLETH\n\
             # Asystole\n# False alarm\n",
        )
        .unwrap();
        assert_eq!(h.fs, 250.0);
        assert_eq!(h.n_samples, Some(22500));
        assert_eq!(h.signals[2].description, "PLETH");
        assert_eq!(h.signals[2].units, "NU");
        assert_eq!(h.signals[0].gain, 7247.0);
        assert_eq!(h.comments, vec!["Asystole", "False alarm"]);
    }

    #[test]
    fn baseline_defaults_to_adc_zero_and_fractional_rates_parse() {
        let h = Header::parse(
            "100 2 360 650000\n100.dat 212 200 11 1024 995 -22131 0 MLII\n100.dat 212 200 11 1024 1011 20052 0 V5\n",
        )
        .unwrap();
        assert_eq!(h.signals[0].baseline, 1024);
        assert_eq!(h.signals[0].physical(1224), Some(1.0));
        assert_eq!(h.signals[0].physical(-2048), None);
        let m = Header::parse("s 1 0.0166666666667/125 1936 31:25.894 10/10/2896\nx.dat 16 10/bpm 16 0 0 0 0 HR\n")
            .unwrap();
        assert!((m.fs - 1.0 / 60.0).abs() < 1e-9);
        assert_eq!(m.signals[0].units, "bpm");
    }

    #[test]
    fn decodes_format_16_interleaved_little_endian() {
        let h = Header::parse("r 2 250 2\nr.dat 16 100 16 0\nr.dat 16 100 16 0\n").unwrap();
        let bytes = [1u8, 0, 0xff, 0xff, 0x00, 0x80, 2, 1];
        assert_eq!(h.decode("r.dat", &bytes).unwrap(), vec![vec![1, -32768], vec![-1, 258]]);
    }

    #[test]
    fn decodes_format_212_pairs_with_sign() {
        // A = 0x123 (291), B = -1 (0xfff): byte0 = 0x23, byte1 = high(B)<<4 | high(A) = 0xf1, byte2 = 0xff.
        let h = Header::parse("r 2 360 1\nr.dat 212 200 11 0\nr.dat 212 200 11 0\n").unwrap();
        assert_eq!(h.decode("r.dat", &[0x23, 0xf1, 0xff]).unwrap(), vec![vec![291], vec![-1]]);
    }

    #[test]
    fn a_checksum_mismatch_is_an_error() {
        let h = Header::parse("r 1 250 2\nr.dat 16 100 16 0 1 99 0 X\n").unwrap();
        assert!(matches!(h.decode("r.dat", &[1, 0, 2, 0]), Err(WfdbError::Data { .. })));
    }

    #[test]
    fn a_checksum_written_unsigned_matches_a_negative_sum() {
        // Challenge 2015 headers write 60657 for a sum of -4879 (mod 2^16).
        let h = Header::parse("r 1 250 1\nr.dat 16 100 16 0 -4879 60657 0 X\n").unwrap();
        assert_eq!(h.decode("r.dat", &(-4879i16).to_le_bytes()).unwrap(), vec![vec![-4879]]);
    }

    #[test]
    fn unsupported_formats_are_named() {
        assert_eq!(Header::parse("r 1 250\nr.dat 80 100\n"), Err(WfdbError::Format("80".into())));
    }

    #[test]
    fn annotations_carry_skip_and_aux_text() {
        let word = |code: u16, field: u16| ((code << 10) | field).to_le_bytes();
        let mut b = Vec::new();
        b.extend(word(1, 18)); // N at 18
        b.extend(word(59, 0)); // SKIP 70000
        b.extend(1u16.to_le_bytes());
        b.extend(4464u16.to_le_bytes());
        b.extend(word(5, 2)); // V at 18 + 70000 + 2
        b.extend(word(63, 3)); // AUX "(VT" padded to 4
        b.extend(b"(VT\0");
        b.extend(word(0, 0));
        let a = parse_annotations(&b).unwrap();
        assert_eq!(a.len(), 2);
        assert_eq!((a[0].sample, a[0].code), (18, 1));
        assert_eq!((a[1].sample, a[1].code, a[1].aux.as_str()), (70_020, 5, "(VT"));
        assert!(a[0].is_beat() && a[1].is_beat());
        assert!(parse_annotations(&word(63, 40)).is_err(), "an AUX longer than the file is refused");
    }

    #[test]
    fn a_header_declaring_more_signals_than_it_has_is_refused_without_allocating_for_them() {
        // Found by fuzzing (fuzz/fuzz_targets/wfdb.rs): the count went straight
        // into an allocation.
        // 4,000,000,000 fits a usize on wasm32 too (55555555555 does not parse there).
        let err = Header::parse("rec 4000000000 250\nrec.dat 212 200 12 0 0 0 0 ECG\n").unwrap_err();
        assert!(err.to_string().contains("4000000000 signals declared, 1 signal lines given"), "{err}");
    }
}
