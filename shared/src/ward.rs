//! What a tablet holds per bed: the latest value of each parameter, the last
//! hour of trends, a few seconds of each waveform, the device's technical
//! conditions, and how fresh all of it is.
//!
//! Fed with relayed frames ([`WardState::apply`]) and asked with a `now` (the
//! tablet's clock, ms since the epoch); it never reads a clock itself.

use crate::frame::{Frame, Numeric, Sensor, TechnicalCondition};
use crate::protocol::live::{BedInfo, ServerMessage};
use crate::vital::{VitalKind, WaveKind};
use crate::SampleTime;
use std::collections::{BTreeMap, VecDeque};

/// How long trends are kept in the tablet (the bed view shows the last hour).
pub const TREND_WINDOW_MS: i64 = 60 * 60 * 1000;
/// Seconds of each waveform kept for drawing: the width of a sweep at
/// 25 mm/s on a canvas up to 2,260 CSS px (a wide desktop screen).
pub const WAVE_WINDOW_S: f64 = 24.0;
/// Data older than this (by arrival at the tablet) is shown as stale.
pub const STALE_AFTER_MS: i64 = 5_000;

/// A waveform's recent samples, in order, with the device time of the newest.
#[derive(Debug, Clone, PartialEq)]
pub struct WaveRing {
    rate_hz: f64,
    samples: VecDeque<f32>,
    /// Device time just after the newest sample.
    end_t: SampleTime,
    /// Samples received since the start; drawing uses it to know what is new.
    total: u64,
}

impl WaveRing {
    fn new(rate_hz: f64) -> Self {
        WaveRing { rate_hz, samples: VecDeque::new(), end_t: 0, total: 0 }
    }

    fn capacity(&self) -> usize {
        (self.rate_hz * WAVE_WINDOW_S).ceil() as usize
    }

    fn push(&mut self, t0: SampleTime, rate_hz: f64, samples: &[f32], t_end: SampleTime) {
        if rate_hz != self.rate_hz {
            // A new rate means a new signal; mixing rates would distort time.
            *self = WaveRing::new(rate_hz);
        }
        let gap_ms = t0 - self.end_t;
        let sample_ms = 1000.0 / rate_hz;
        if !self.samples.is_empty() && (gap_ms as f64) > 2.0 * sample_ms {
            // Missing data is drawn as a gap, not joined across: fill with NaN.
            let missing = ((gap_ms as f64 / sample_ms).round() as usize).min(self.capacity());
            self.samples.extend(std::iter::repeat_n(f32::NAN, missing));
            self.total += missing as u64;
        } else if !self.samples.is_empty() && t_end <= self.end_t {
            // Older than what we hold (a re-delivered chunk): already drawn.
            return;
        }
        self.samples.extend(samples.iter().copied());
        self.total += samples.len() as u64;
        self.end_t = t_end;
        let cap = self.capacity();
        while self.samples.len() > cap {
            self.samples.pop_front();
        }
    }

    pub fn rate_hz(&self) -> f64 {
        self.rate_hz
    }
    pub fn samples(&self) -> &VecDeque<f32> {
        &self.samples
    }
    pub fn end_t(&self) -> SampleTime {
        self.end_t
    }
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// How current a bed's data is on this tablet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Nothing has arrived yet.
    NoData,
    Live,
    /// The newest frame arrived this many whole seconds ago.
    Stale {
        seconds: i64,
    },
}

/// One bed as the tablet knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct BedState {
    pub info: BedInfo,
    cursor: Option<u64>,
    latest: BTreeMap<VitalKind, (SampleTime, f64)>,
    trends: BTreeMap<VitalKind, VecDeque<(SampleTime, f64)>>,
    waves: BTreeMap<WaveKind, WaveRing>,
    technical: BTreeMap<(TechnicalCondition, Sensor), SampleTime>,
    /// Tablet clock when the newest frame arrived.
    last_arrival: Option<i64>,
    /// Server receive time of the newest frame.
    last_received: Option<i64>,
}

impl BedState {
    pub fn new(info: BedInfo) -> Self {
        BedState {
            info,
            cursor: None,
            latest: BTreeMap::new(),
            trends: BTreeMap::new(),
            waves: BTreeMap::new(),
            technical: BTreeMap::new(),
            last_arrival: None,
            last_received: None,
        }
    }

    /// Takes in one relayed frame. Returns false, changing nothing, when the
    /// cursor is not newer than what the bed already holds (a re-delivery).
    pub fn apply(&mut self, cursor: u64, received: i64, frame: &Frame, now: i64) -> bool {
        if self.cursor.is_some_and(|c| cursor <= c) {
            return false;
        }
        self.cursor = Some(cursor);
        self.last_arrival = Some(now);
        self.last_received = Some(received);
        for n in frame.numerics() {
            let newer = self.latest.get(&n.kind()).is_none_or(|(t, _)| n.t() >= *t);
            if newer {
                self.latest.insert(n.kind(), (n.t(), n.value()));
            }
            let trend = self.trends.entry(n.kind()).or_default();
            // Keep the trend in time order even if a backfill interleaves.
            let at = trend.partition_point(|(t, _)| *t <= n.t());
            trend.insert(at, (n.t(), n.value()));
            let newest = trend.back().map(|(t, _)| *t).unwrap_or(n.t());
            while trend.front().is_some_and(|(t, _)| *t < newest - TREND_WINDOW_MS) {
                trend.pop_front();
            }
        }
        for w in frame.waves() {
            self.waves.entry(w.kind()).or_insert_with(|| WaveRing::new(w.rate_hz())).push(
                w.t0(),
                w.rate_hz(),
                w.samples(),
                w.t_end(),
            );
        }
        for t in frame.technical() {
            if t.active {
                self.technical.insert((t.condition, t.sensor), t.t);
            } else {
                self.technical.remove(&(t.condition, t.sensor));
            }
        }
        true
    }

    /// Takes in the newest stored values of intermittent parameters
    /// ([`ServerMessage::Latest`]): each becomes the bed's latest value of
    /// its kind unless the bed already holds a newer one. Continuous
    /// parameters are ignored: an old heart rate must never look current.
    /// Returns whether anything changed.
    pub fn apply_latest(&mut self, numerics: &[Numeric]) -> bool {
        let mut changed = false;
        for n in numerics.iter().filter(|n| n.kind().is_intermittent()) {
            if self.latest.get(&n.kind()).is_none_or(|(t, _)| n.t() > *t) {
                self.latest.insert(n.kind(), (n.t(), n.value()));
                changed = true;
            }
        }
        changed
    }

    /// Adds history (from the trend endpoint) under the live trend: points at
    /// times the bed already holds are skipped, so merging twice is harmless.
    pub fn merge_trend(&mut self, kind: VitalKind, points: &[(SampleTime, f64)]) {
        let trend = self.trends.entry(kind).or_default();
        for &(t, v) in points {
            let at = trend.partition_point(|(pt, _)| *pt < t);
            if trend.get(at).is_some_and(|(pt, _)| *pt == t) {
                continue;
            }
            trend.insert(at, (t, v));
        }
        let newest = trend.back().map(|(t, _)| *t).unwrap_or(0);
        while trend.front().is_some_and(|(t, _)| *t < newest - TREND_WINDOW_MS) {
            trend.pop_front();
        }
    }

    /// Tablet clock when the bed's newest frame arrived.
    pub fn last_arrival(&self) -> Option<i64> {
        self.last_arrival
    }

    pub fn cursor(&self) -> Option<u64> {
        self.cursor
    }

    /// Newest value of a parameter with its device time.
    pub fn latest(&self, kind: VitalKind) -> Option<(SampleTime, f64)> {
        self.latest.get(&kind).copied()
    }

    /// The last hour of a parameter, oldest first.
    pub fn trend(&self, kind: VitalKind) -> Option<&VecDeque<(SampleTime, f64)>> {
        self.trends.get(&kind)
    }

    pub fn wave(&self, kind: WaveKind) -> Option<&WaveRing> {
        self.waves.get(&kind)
    }

    /// Active technical conditions reported by the device, oldest first.
    pub fn technical(&self) -> Vec<(TechnicalCondition, Sensor, SampleTime)> {
        let mut v: Vec<_> = self.technical.iter().map(|((c, s), t)| (*c, *s, *t)).collect();
        v.sort_by_key(|(_, _, t)| *t);
        v
    }

    pub fn freshness(&self, now: i64) -> Freshness {
        match self.last_arrival {
            None => Freshness::NoData,
            Some(at) if now - at <= STALE_AFTER_MS => Freshness::Live,
            Some(at) => Freshness::Stale { seconds: (now - at) / 1000 },
        }
    }

    /// Server receive time of the newest frame.
    pub fn last_received(&self) -> Option<i64> {
        self.last_received
    }
}

/// Every bed the tablet watches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WardState {
    beds: BTreeMap<String, BedState>,
    order: Vec<String>,
}

/// What [`WardState::apply`] did with a message, for the caller's bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Ward,
    Frame {
        bed: String,
        fresh: bool,
    },
    /// Intermittent values taken in; `fresh`: some were newer than held.
    Latest {
        bed: String,
        fresh: bool,
    },
    CaughtUp {
        bed: String,
    },
    Other,
}

impl WardState {
    /// Applies a server message. Frames for beds not in the ward are ignored.
    pub fn apply(&mut self, msg: &ServerMessage, now: i64) -> Applied {
        match msg {
            ServerMessage::Ward { beds, .. } => {
                self.order = beds.iter().map(|b| b.id.clone()).collect();
                // Keep what we hold for beds still in the ward (a reconnect);
                // drop beds that left it.
                self.beds.retain(|id, _| beds.iter().any(|b| &b.id == id));
                for b in beds {
                    match self.beds.get_mut(&b.id) {
                        // Another patient in the bed: nothing held is theirs.
                        Some(state) if state.info.patient != b.patient => *state = BedState::new(b.clone()),
                        Some(state) => state.info = b.clone(),
                        None => {
                            self.beds.insert(b.id.clone(), BedState::new(b.clone()));
                        }
                    }
                }
                Applied::Ward
            }
            ServerMessage::Frame { bed, cursor, received, frame } => {
                let fresh = self.beds.get_mut(bed).is_some_and(|b| b.apply(*cursor, *received, frame, now));
                Applied::Frame { bed: bed.clone(), fresh }
            }
            ServerMessage::Latest { bed, numerics } => {
                let fresh = self.beds.get_mut(bed).is_some_and(|b| b.apply_latest(numerics));
                Applied::Latest { bed: bed.clone(), fresh }
            }
            ServerMessage::CaughtUp { bed, .. } => Applied::CaughtUp { bed: bed.clone() },
            _ => Applied::Other,
        }
    }

    /// Beds in ward order.
    pub fn beds(&self) -> impl Iterator<Item = &BedState> {
        self.order.iter().filter_map(|id| self.beds.get(id))
    }

    pub fn bed(&self, id: &str) -> Option<&BedState> {
        self.beds.get(id)
    }

    pub fn bed_mut(&mut self, id: &str) -> Option<&mut BedState> {
        self.beds.get_mut(id)
    }

    /// The cursors to resume from after a reconnect: what the tablet already has.
    pub fn resume_cursors(&self) -> BTreeMap<String, u64> {
        self.beds.iter().filter_map(|(id, b)| b.cursor.map(|c| (id.clone(), c))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{RawFrame, RawNumeric, RawWave, Technical};

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const T: SampleTime = 1_790_000_000_000;

    fn bed() -> BedState {
        BedState::new(BedInfo { id: "b01".into(), label: "Bed 1".into(), patient: None, last_frame: None })
    }

    fn hr(seq: u64, t: SampleTime, v: f64) -> Frame {
        Frame::try_from(RawFrame {
            seq,
            numerics: vec![RawNumeric { kind: VitalKind::Hr, t, value: v }],
            waves: vec![],
            technical: vec![],
        })
        .unwrap()
    }

    fn ecg(seq: u64, t0: SampleTime, n: usize) -> Frame {
        Frame::try_from(RawFrame {
            seq,
            numerics: vec![],
            waves: vec![RawWave { kind: WaveKind::EcgII, t0, rate_hz: 250.0, samples: vec![0.5; n] }],
            technical: vec![],
        })
        .unwrap()
    }

    #[test]
    fn a_redelivered_cursor_changes_nothing() {
        let mut b = bed();
        assert!(b.apply(5, T, &hr(1, T, 80.0), T));
        let before = b.clone();
        assert!(!b.apply(5, T, &hr(1, T, 99.0), T + 10));
        assert!(!b.apply(4, T, &hr(1, T, 99.0), T + 10));
        assert_eq!(b, before);
    }

    #[test]
    fn the_latest_value_is_the_newest_by_device_time_even_after_a_late_backfill() {
        let mut b = bed();
        b.apply(1, T, &hr(2, T + 2000, 90.0), T);
        b.apply(2, T, &hr(1, T + 1000, 70.0), T);
        assert_eq!(b.latest(VitalKind::Hr), Some((T + 2000, 90.0)));
        let trend: Vec<_> = b.trend(VitalKind::Hr).unwrap().iter().map(|p| p.1).collect();
        assert_eq!(trend, vec![70.0, 90.0]);
    }

    fn reading(kind: VitalKind, t: SampleTime, value: f64) -> Numeric {
        Numeric::check(0, RawNumeric { kind, t, value }).unwrap()
    }

    #[test]
    fn stored_intermittent_values_show_and_never_replace_newer_or_continuous_ones() {
        let mut b = bed();
        b.apply(1, T, &hr(1, T, 80.0), T);
        let stored = [
            reading(VitalKind::NibpSys, T - 720_000, 118.0),
            reading(VitalKind::Temp, T - 3_000_000, 37.2),
            // A heart rate from before the monitor stopped is not a value to show.
            reading(VitalKind::Hr, T + 5_000, 140.0),
        ];
        assert!(b.apply_latest(&stored));
        assert_eq!(b.latest(VitalKind::NibpSys), Some((T - 720_000, 118.0)));
        assert_eq!(b.latest(VitalKind::Temp), Some((T - 3_000_000, 37.2)));
        assert_eq!(b.latest(VitalKind::Hr), Some((T, 80.0)));
        assert_eq!(b.cursor(), Some(1), "no cursor moves: frames still come in order");
        // Sent again (a reconnect), or older than what the bed holds: nothing changes.
        assert!(!b.apply_latest(&stored));
        assert!(!b.apply_latest(&[reading(VitalKind::NibpSys, T - 900_000, 150.0)]));
        assert_eq!(b.latest(VitalKind::NibpSys), Some((T - 720_000, 118.0)));

        let mut w = WardState::default();
        w.apply(&ServerMessage::Ward { protocol: 1, beds: vec![b.info.clone()], alarms: None }, T);
        let msg = ServerMessage::Latest { bed: "b01".into(), numerics: stored.to_vec() };
        assert_eq!(w.apply(&msg, T), Applied::Latest { bed: "b01".into(), fresh: true });
        assert_eq!(w.bed("b01").unwrap().latest(VitalKind::Temp), Some((T - 3_000_000, 37.2)));
        let unknown = ServerMessage::Latest { bed: "b99".into(), numerics: stored.to_vec() };
        assert_eq!(w.apply(&unknown, T), Applied::Latest { bed: "b99".into(), fresh: false });
        // A new patient in the bed (a reconnect's ward): the last one's values go.
        let next = BedInfo { patient: Some("Z. Next".into()), ..b.info.clone() };
        w.apply(&ServerMessage::Ward { protocol: 1, beds: vec![next], alarms: None }, T);
        assert_eq!(w.bed("b01").unwrap().latest(VitalKind::Temp), None);
    }

    #[test]
    fn merging_history_twice_adds_it_once_in_time_order() {
        let mut b = bed();
        b.apply(1, T, &hr(1, T + 10_000, 90.0), T);
        let history = [(T, 70.0), (T + 5_000, 75.0), (T + 10_000, 88.0)];
        b.merge_trend(VitalKind::Hr, &history);
        b.merge_trend(VitalKind::Hr, &history);
        let trend: Vec<_> = b.trend(VitalKind::Hr).unwrap().iter().copied().collect();
        assert_eq!(trend, vec![(T, 70.0), (T + 5_000, 75.0), (T + 10_000, 90.0)]);
    }

    #[test]
    fn trends_keep_one_hour() {
        let mut b = bed();
        for i in 0..4000u64 {
            b.apply(i + 1, T, &hr(i + 1, T + i as i64 * 1000, 60.0), T);
        }
        let trend = b.trend(VitalKind::Hr).unwrap();
        assert_eq!(trend.back().unwrap().0 - trend.front().unwrap().0, TREND_WINDOW_MS);
    }

    #[test]
    fn waveform_gaps_are_kept_as_gaps_not_joined() {
        let mut b = bed();
        b.apply(1, T, &ecg(1, T, 250), T);
        b.apply(2, T, &ecg(2, T + 2000, 250), T);
        let ring = b.wave(WaveKind::EcgII).unwrap();
        assert_eq!(ring.samples().len(), 750);
        assert!(ring.samples()[400].is_nan());
        assert_eq!(ring.end_t(), T + 3000);
        assert_eq!(ring.total(), 750);
    }

    #[test]
    fn waveform_rings_hold_a_bounded_window() {
        let mut b = bed();
        for i in 0..(WAVE_WINDOW_S as u64 + 8) {
            b.apply(i + 1, T, &ecg(i + 1, T + i as i64 * 1000, 250), T);
        }
        assert_eq!(b.wave(WaveKind::EcgII).unwrap().samples().len(), (250.0 * WAVE_WINDOW_S) as usize);
    }

    #[test]
    fn freshness_follows_arrival_time_on_the_tablet() {
        let mut b = bed();
        assert_eq!(b.freshness(T), Freshness::NoData);
        b.apply(1, T, &hr(1, T, 60.0), T);
        assert_eq!(b.freshness(T + STALE_AFTER_MS), Freshness::Live);
        assert_eq!(b.freshness(T + 12_500), Freshness::Stale { seconds: 12 });
    }

    #[test]
    fn technical_conditions_start_and_end() {
        let mut b = bed();
        let tech = |seq, active| {
            Frame::try_from(RawFrame {
                seq,
                numerics: vec![],
                waves: vec![],
                technical: vec![Technical {
                    t: T,
                    condition: TechnicalCondition::LeadOff,
                    sensor: Sensor::Ecg,
                    active,
                }],
            })
            .unwrap()
        };
        b.apply(1, T, &tech(1, true), T);
        assert_eq!(b.technical(), vec![(TechnicalCondition::LeadOff, Sensor::Ecg, T)]);
        b.apply(2, T, &tech(2, false), T);
        assert!(b.technical().is_empty());
    }

    #[test]
    fn the_ward_keeps_bed_order_and_resume_cursors() {
        let mut w = WardState::default();
        let info = |id: &str| BedInfo { id: id.into(), label: id.into(), patient: None, last_frame: None };
        w.apply(&ServerMessage::Ward { protocol: 1, beds: vec![info("b02"), info("b01")], alarms: None }, T);
        w.apply(&ServerMessage::Frame { bed: "b01".into(), cursor: 9, received: T, frame: hr(1, T, 60.0) }, T);
        let order: Vec<_> = w.beds().map(|b| b.info.id.as_str()).collect();
        assert_eq!(order, vec!["b02", "b01"]);
        assert_eq!(w.resume_cursors(), BTreeMap::from([("b01".to_string(), 9)]));
        let unknown = ServerMessage::Frame { bed: "zz".into(), cursor: 1, received: T, frame: hr(1, T, 60.0) };
        assert_eq!(w.apply(&unknown, T), Applied::Frame { bed: "zz".into(), fresh: false });
    }
}
