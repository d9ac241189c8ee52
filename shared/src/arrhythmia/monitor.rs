//! The per-bed rhythm monitor: every waveform channel of a bed fed sample by
//! sample into its detector (QRS on ECG leads, pulses on PPG and arterial
//! pressure), the beats of the last half minute kept with the cleaned signal,
//! and per-window summaries (beats, rates, gaps, signal quality) computed on
//! demand when an alarm needs checking.

use crate::signal::filter::Ring;
use crate::signal::pulse::PulseDetector;
use crate::signal::qrs::QrsDetector;
use std::collections::VecDeque;

/// What a channel carries, as far as the rhythm check cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChannelKind {
    Ecg,
    /// Photoplethysmogram (pulse oximeter).
    Ppg,
    /// Arterial blood pressure.
    Abp,
}

impl ChannelKind {
    /// The kind of a WFDB signal from its description (`II`, `V`, `aVR`,
    /// `MLII`, `ABP`, `PLETH`, ...); `None` for a channel the check does not use
    /// (respiration, CVP, ...).
    pub fn from_description(d: &str) -> Option<ChannelKind> {
        let u = d.trim().to_ascii_uppercase();
        match u.as_str() {
            "I" | "II" | "III" | "V" | "AVR" | "AVL" | "AVF" | "MCL" | "MCL1" | "MLII" | "ML2" | "ECG" => {
                Some(ChannelKind::Ecg)
            }
            _ if u.starts_with('V') && u[1..].chars().all(|c| c.is_ascii_digit()) => Some(ChannelKind::Ecg),
            "PLETH" | "PPG" | "SPO2 PLETH" => Some(ChannelKind::Ppg),
            // Systemic arterial lines only: a pulmonary-artery trace (PA) has
            // a pulse pressure too small to tell from ripple.
            "ABP" | "ART" | "AOBP" => Some(ChannelKind::Abp),
            _ => None,
        }
    }

    pub fn is_pulse(self) -> bool {
        !matches!(self, ChannelKind::Ecg)
    }

    pub fn label(self) -> &'static str {
        match self {
            ChannelKind::Ecg => "ECG",
            ChannelKind::Ppg => "PPG",
            ChannelKind::Abp => "ABP",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Detector {
    Qrs(Box<QrsDetector>),
    Pulse(Box<PulseDetector>),
}

/// A beat (QRS or pulse) on one channel, at time `t` seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mark {
    pub t: f64,
    /// Sample index on its channel.
    pub index: u64,
    /// Pulse height (pulse channels) or relative QRS strength (ECG).
    pub size: f32,
}

/// One waveform channel of a bed.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub kind: ChannelKind,
    pub name: String,
    pub fs: f64,
    /// Time (s) of sample 0.
    pub start: f64,
    detector: Detector,
    marks: VecDeque<Mark>,
    /// Raw values (NaN for invalid samples) of the kept span.
    raw: Ring,
    keep_s: f64,
}

/// Seconds of signal and beats each channel keeps.
pub const KEEP_S: f64 = 30.0;

impl Channel {
    pub fn new(kind: ChannelKind, name: impl Into<String>, fs: f64, start: f64) -> Channel {
        let detector = match kind {
            ChannelKind::Ecg => Detector::Qrs(Box::new(QrsDetector::new(fs, KEEP_S))),
            _ => Detector::Pulse(Box::new(PulseDetector::new(fs, KEEP_S))),
        };
        Channel {
            kind,
            name: name.into(),
            fs,
            start,
            detector,
            marks: VecDeque::new(),
            raw: Ring::new((fs * KEEP_S) as usize),
            keep_s: KEEP_S,
        }
    }

    /// Time of the next sample.
    pub fn next_time(&self) -> f64 {
        self.start + self.raw.next_index() as f64 / self.fs
    }

    pub fn time_of(&self, index: u64) -> f64 {
        self.start + index as f64 / self.fs
    }

    pub fn index_at(&self, t: f64) -> u64 {
        ((t - self.start) * self.fs).max(0.0).round() as u64
    }

    /// Feeds one sample in physical units (`None` when invalid).
    pub fn push(&mut self, v: Option<f64>) {
        self.raw.push(v.filter(|x| x.is_finite()).map_or(f32::NAN, |x| x as f32));
        match &mut self.detector {
            Detector::Qrs(d) => {
                d.push(v);
                for b in d.take_beats() {
                    let t = self.start + b.index as f64 / self.fs;
                    self.marks.push_back(Mark { t, index: b.index, size: b.strength });
                }
            }
            Detector::Pulse(d) => {
                d.push(v);
                for p in d.take_pulses() {
                    let t = self.start + p.index as f64 / self.fs;
                    self.marks.push_back(Mark { t, index: p.index, size: p.amplitude });
                }
            }
        }
        let horizon = self.next_time() - self.keep_s;
        while self.marks.front().is_some_and(|m| m.t < horizon) {
            self.marks.pop_front();
        }
    }

    /// Beats in `[from, to)`.
    pub fn marks(&self, from: f64, to: f64) -> Vec<Mark> {
        self.marks.iter().filter(|m| m.t >= from && m.t < to).copied().collect()
    }

    /// Raw values in `[from, to)` (NaN where invalid).
    pub fn raw(&self, from: f64, to: f64) -> Vec<f32> {
        self.raw.range(self.index_at(from), self.index_at(to)).collect()
    }

    /// Filtered values in `[from, to)`: 0.5-40 Hz for ECG, 16 Hz low-pass for pulses.
    pub fn filtered(&self, from: f64, to: f64) -> Vec<f32> {
        let ring = match &self.detector {
            Detector::Qrs(d) => &d.clean_ring,
            Detector::Pulse(d) => &d.ring,
        };
        ring.range(self.index_at(from), self.index_at(to)).collect()
    }

    /// Seconds of signal consumed.
    pub fn duration(&self) -> f64 {
        self.raw.next_index() as f64 / self.fs
    }
}

/// All channels of one bed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RhythmMonitor {
    pub channels: Vec<Channel>,
}

impl RhythmMonitor {
    pub fn new() -> RhythmMonitor {
        RhythmMonitor::default()
    }

    /// Adds a channel and returns its index.
    pub fn add(&mut self, channel: Channel) -> usize {
        self.channels.push(channel);
        self.channels.len() - 1
    }

    /// The latest time every channel has reached.
    pub fn now(&self) -> f64 {
        self.channels.iter().map(Channel::next_time).fold(f64::NEG_INFINITY, f64::max)
    }
}
