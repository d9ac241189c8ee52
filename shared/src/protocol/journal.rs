//! What a tablet keeps of the live feed so that a reload without a server
//! still opens the ward: the ward message, each bed's last minutes of
//! numerics and technical conditions, its last seconds of waveforms, the
//! recent events, and the requests (acknowledgements, changes) not yet
//! confirmed by the server.
//!
//! The journal records messages as they are handled and produces a
//! [`Snapshot`] (JSON, kept in the browser's IndexedDB). Restoring replays
//! the snapshot's messages through the same handling as live ones, in the
//! order the server sent them, so the alarm engine judges them exactly as it
//! did; each bed's resume cursor comes back with them, so the next connection
//! continues where the snapshot ends. Times are the frames' own (device)
//! times: the journal needs no clock.

use super::live::ServerMessage;
use crate::alarm::EventRequest;
use crate::frame::{Frame, Numeric, RawFrame};
use crate::vital::VitalKind;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// Waveforms kept per bed, ms before its newest frame.
pub const WAVES_KEPT_MS: i64 = 10_000;
/// Numerics and technical conditions kept per bed, ms before its newest frame.
pub const NUMERICS_KEPT_MS: i64 = 5 * 60_000;
/// Events kept (acknowledgements, limit changes, observations), newest.
pub const EVENTS_KEPT: usize = 500;
/// A snapshot older than this is not restored: the ward has moved on, and
/// resuming from its cursors would replay too much.
pub const SNAPSHOT_USABLE_MS: i64 = 15 * 60_000;
pub const SNAPSHOT_VERSION: u32 = 1;

/// A saved journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    /// Tablet time of saving, ms since the epoch.
    pub saved_at: i64,
    /// In the order to replay them.
    pub messages: Vec<ServerMessage>,
    /// Requests sent but not confirmed, to send again.
    pub outbox: Vec<EventRequest>,
}

impl Snapshot {
    /// Whether it is worth restoring at tablet time `now`.
    pub fn usable(&self, now: i64) -> bool {
        self.version == SNAPSHOT_VERSION && (0..=SNAPSHOT_USABLE_MS).contains(&(now - self.saved_at))
    }
}

#[derive(Debug, Clone)]
struct Kept {
    /// Newest device time in the frame.
    end: i64,
    cursor: u64,
    msg: ServerMessage,
    has_waves: bool,
}

#[derive(Debug, Default)]
pub struct Journal {
    ward: Option<ServerMessage>,
    /// Per bed, the newest value of each intermittent parameter: from the
    /// server's `latest` on subscribing and from every frame since, so a
    /// reload shows the newest cuff reading, never an older one.
    latest: BTreeMap<String, BTreeMap<VitalKind, Numeric>>,
    beds: BTreeMap<String, VecDeque<Kept>>,
    events: VecDeque<ServerMessage>,
    changed: bool,
}

/// The frame without its waveforms; `None` if nothing else is in it.
fn without_waves(frame: &Frame) -> Option<Frame> {
    let mut raw = RawFrame::from(frame.clone());
    raw.waves.clear();
    Frame::try_from(raw).ok()
}

impl Journal {
    /// Takes note of a message the tablet has handled.
    pub fn record(&mut self, msg: &ServerMessage) {
        match msg {
            ServerMessage::Ward { beds, .. } => {
                // A bed that left the ward, or has another patient: its kept
                // intermittent values were the last patient's.
                let before = match &self.ward {
                    Some(ServerMessage::Ward { beds, .. }) => beds.clone(),
                    _ => Vec::new(),
                };
                self.latest.retain(|bed, _| {
                    let now = beds.iter().find(|b| &b.id == bed);
                    let was = before.iter().find(|b| &b.id == bed);
                    now.is_some_and(|n| was.is_none_or(|w| w.patient == n.patient))
                });
                self.ward = Some(msg.clone());
            }
            ServerMessage::Latest { bed, numerics } => self.keep_latest(bed, numerics),
            ServerMessage::Frame { bed, cursor, frame, .. } => {
                self.keep_latest(bed, frame.numerics());
                let kept = self.beds.entry(bed.clone()).or_default();
                if kept.back().is_some_and(|k| k.cursor >= *cursor) {
                    return; // already held (a resend after a reconnect)
                }
                let end = frame.time_span().1;
                kept.push_back(Kept { end, cursor: *cursor, msg: msg.clone(), has_waves: !frame.waves().is_empty() });
                let newest = kept.iter().map(|k| k.end).max().unwrap_or(end);
                // Waveforms older than WAVES_KEPT_MS go; a frame left empty goes.
                for k in kept.iter_mut().filter(|k| k.has_waves && k.end < newest - WAVES_KEPT_MS) {
                    k.has_waves = false;
                    if let ServerMessage::Frame { frame, .. } = &mut k.msg {
                        match without_waves(frame) {
                            Some(f) => *frame = f,
                            None => k.end = i64::MIN, // dropped below
                        }
                    }
                }
                kept.retain(|k| k.end >= newest - NUMERICS_KEPT_MS);
            }
            ServerMessage::Event { .. } => {
                self.events.push_back(msg.clone());
                while self.events.len() > EVENTS_KEPT {
                    self.events.pop_front();
                }
            }
            _ => return,
        }
        self.changed = true;
    }

    fn keep_latest(&mut self, bed: &str, numerics: &[Numeric]) {
        let mut intermittent = numerics.iter().filter(|n| n.kind().is_intermittent()).peekable();
        if intermittent.peek().is_none() {
            return;
        }
        let kept = self.latest.entry(bed.to_string()).or_default();
        for n in intermittent {
            if kept.get(&n.kind()).is_none_or(|k| n.t() > k.t()) {
                kept.insert(n.kind(), *n);
            }
        }
    }

    /// Whether anything was recorded since the last snapshot.
    pub fn changed(&self) -> bool {
        self.changed
    }

    /// The journal as a snapshot to save, in the order the server sends on
    /// subscribing: the ward, the stored intermittent values, the events (they build each bed's alarm
    /// settings, so they go before the frames judged against them), then per
    /// bed its frames in cursor order and a `CaughtUp` at the last one.
    pub fn snapshot(&mut self, saved_at: i64, outbox: Vec<EventRequest>) -> Snapshot {
        self.changed = false;
        let mut messages: Vec<ServerMessage> = self.ward.iter().cloned().collect();
        messages.extend(
            self.latest.iter().map(|(bed, kept)| ServerMessage::Latest {
                bed: bed.clone(),
                numerics: kept.values().copied().collect(),
            }),
        );
        messages.extend(self.events.iter().cloned());
        for (bed, kept) in &self.beds {
            messages.extend(kept.iter().map(|k| k.msg.clone()));
            if let Some(last) = kept.back() {
                messages.push(ServerMessage::CaughtUp { bed: bed.clone(), cursor: Some(last.cursor) });
            }
        }
        Snapshot { version: SNAPSHOT_VERSION, saved_at, messages, outbox }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::{BedEvent, StoredEvent};
    use crate::frame::{RawNumeric, RawWave};
    use crate::protocol::live::BedInfo;
    use crate::{VitalKind, WaveKind};

    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const T0: i64 = 1_790_000_000_000;

    /// A 250 ms frame of bed `bed` ending at T0 + i * 250, with a heart rate
    /// every fourth frame.
    fn frame(bed: &str, i: i64) -> ServerMessage {
        let t0 = T0 + i * 250;
        let numerics = if i % 4 == 0 { vec![RawNumeric { kind: VitalKind::Hr, t: t0, value: 70.0 }] } else { vec![] };
        let waves = vec![RawWave { kind: WaveKind::EcgII, t0: t0 - 250, rate_hz: 250.0, samples: vec![0.1; 62] }];
        let frame = Frame::try_from(RawFrame { seq: i as u64 + 1, numerics, waves, technical: vec![] }).unwrap();
        ServerMessage::Frame { bed: bed.into(), cursor: 1000 + i as u64, received: t0 + 20, frame }
    }

    fn ward() -> ServerMessage {
        let bed = |id: &str| BedInfo { id: id.into(), label: id.into(), patient: None, last_frame: None };
        ServerMessage::Ward { protocol: 1, beds: vec![bed("b1"), bed("b2")], alarms: None }
    }

    fn frames_of<'a>(s: &'a Snapshot, bed: &'a str) -> impl Iterator<Item = (&'a u64, &'a Frame)> + 'a {
        s.messages.iter().filter_map(move |m| match m {
            ServerMessage::Frame { bed: b, cursor, frame, .. } if b == bed => Some((cursor, frame)),
            _ => None,
        })
    }

    #[test]
    fn keeps_ten_seconds_of_waves_five_minutes_of_numerics_and_the_resume_cursor() {
        let mut j = Journal::default();
        j.record(&ward());
        for i in 0..=2400 {
            j.record(&frame("b1", i)); // ten minutes
        }
        j.record(&frame("b2", 3));
        let s = j.snapshot(T0 + 601_000, vec![]);
        assert_eq!(s.messages[0], ward(), "the ward first");
        let b1: Vec<_> = frames_of(&s, "b1").collect();
        let newest = T0 + 2400 * 250;
        assert!(b1.iter().all(|(_, f)| f.time_span().1 >= newest - NUMERICS_KEPT_MS));
        let with_waves: Vec<_> = b1.iter().filter(|(_, f)| !f.waves().is_empty()).collect();
        assert_eq!(with_waves.len(), 41, "the last ten seconds of 250 ms frames, with their waves");
        assert!(with_waves.iter().all(|(_, f)| f.time_span().1 >= newest - WAVES_KEPT_MS));
        // Older frames keep their numerics; those with nothing else are gone.
        let numerics_only = b1.len() - with_waves.len();
        assert_eq!(numerics_only, (NUMERICS_KEPT_MS - WAVES_KEPT_MS) as usize / 1000);
        assert!(b1.windows(2).all(|w| w[0].0 < w[1].0), "cursor order");
        // Each bed ends with where to resume.
        let caught_up: Vec<_> = s.messages.iter().filter(|m| matches!(m, ServerMessage::CaughtUp { .. })).collect();
        assert_eq!(
            caught_up,
            vec![
                &ServerMessage::CaughtUp { bed: "b1".into(), cursor: Some(3400) },
                &ServerMessage::CaughtUp { bed: "b2".into(), cursor: Some(1003) }
            ]
        );
    }

    #[test]
    fn a_reload_shows_the_newest_cuff_reading_not_the_one_sent_on_subscribing() {
        let nibp = |t: i64, sys: f64, dia: f64| {
            vec![
                RawNumeric { kind: VitalKind::NibpSys, t, value: sys },
                RawNumeric { kind: VitalKind::NibpDia, t, value: dia },
            ]
        };
        let checked = |raw: Vec<RawNumeric>| raw.into_iter().map(|n| Numeric::check(0, n).unwrap()).collect::<Vec<_>>();
        let mut j = Journal::default();
        j.record(&ward());
        // On subscribing: 140/90 from half an hour before.
        j.record(&ServerMessage::Latest { bed: "b1".into(), numerics: checked(nibp(T0 - 1_800_000, 140.0, 90.0)) });
        // An hour later the cuff reads 95/60; then ten minutes of other frames,
        // more than the journal keeps of frames.
        let cuff = Frame::try_from(RawFrame {
            seq: 1,
            numerics: nibp(T0 + 3_600_000, 95.0, 60.0),
            waves: vec![],
            technical: vec![],
        })
        .unwrap();
        j.record(&ServerMessage::Frame { bed: "b1".into(), cursor: 1, received: T0 + 3_600_000, frame: cuff });
        for i in 0..=2400 {
            j.record(&frame("b1", 14_400 + i));
        }
        let s = j.snapshot(T0 + 4_300_000, vec![]);
        let latest: Vec<_> = s
            .messages
            .iter()
            .filter_map(|m| match m {
                ServerMessage::Latest { bed, numerics } => Some((bed.clone(), numerics.clone())),
                _ => None,
            })
            .collect();
        assert_eq!(latest, vec![("b1".to_string(), checked(nibp(T0 + 3_600_000, 95.0, 60.0)))]);
        assert!(frames_of(&s, "b1").all(|(_, f)| f.time_span().1 > T0 + 3_600_000), "the cuff's frame itself is gone");
        assert_eq!(
            s.messages[1],
            ServerMessage::Latest { bed: "b1".into(), numerics: latest[0].1.clone() },
            "after the ward"
        );
    }

    #[test]
    fn a_resent_frame_is_kept_once_and_events_and_the_outbox_survive() {
        let mut j = Journal::default();
        j.record(&frame("b1", 1));
        j.record(&frame("b1", 1));
        let event = StoredEvent {
            seq: 1,
            at: T0,
            bed: "b1".into(),
            actor: "RN Test".into(),
            request: "r1".into(),
            event: BedEvent::Acknowledge { ids: vec![] },
        };
        j.record(&ServerMessage::Event { event });
        j.record(&ServerMessage::Pong { id: 3 });
        let pending = EventRequest {
            id: "r2".into(),
            bed: "b1".into(),
            actor: "RN Test".into(),
            event: BedEvent::Acknowledge { ids: vec![] },
        };
        let s = j.snapshot(T0, vec![pending.clone()]);
        assert_eq!(frames_of(&s, "b1").count(), 1);
        assert!(matches!(s.messages[0], ServerMessage::Event { .. }), "events before the frames judged against them");
        assert!(!s.messages.iter().any(|m| matches!(m, ServerMessage::Pong { .. })));
        let back: Snapshot = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        assert_eq!(back.outbox, vec![pending]);
        assert!(!j.changed(), "nothing new since the snapshot");
    }

    /// What the tablet does with a message (app/src/live.rs `handle`).
    fn handle(ward: &mut crate::ward::WardState, alarms: &mut crate::alarm::WardAlarms, msg: &ServerMessage, now: i64) {
        use crate::ward::Applied;
        match (ward.apply(msg, now), msg) {
            (Applied::Frame { fresh: true, .. }, ServerMessage::Frame { bed, frame, .. }) => {
                alarms.on_frame(bed, frame, now)
            }
            (Applied::Ward, ServerMessage::Ward { beds, .. }) => alarms.on_ward(beds),
            (Applied::CaughtUp { bed }, _) => alarms.on_caught_up(&bed),
            _ => {}
        }
        if let ServerMessage::Event { event } = msg {
            alarms.on_event(event);
        }
    }

    fn shown(alarms: &crate::alarm::WardAlarms) -> Vec<String> {
        alarms.shown().iter().map(|a| a.id.to_string()).collect()
    }

    #[test]
    fn a_restored_snapshot_gives_the_alarms_the_live_feed_gave() {
        // Bed 1: SpO2 97 % for 20 s, then 75 % for 10 s (a desaturation).
        let mut live_ward = crate::ward::WardState::default();
        let mut live_alarms = crate::alarm::WardAlarms::default();
        let mut j = Journal::default();
        let mut feed = vec![ward()];
        for i in 0..120 {
            let t = T0 + i * 250;
            let spo2 = if i >= 80 { 75.0 } else { 97.0 };
            let numerics = if i % 4 == 0 { vec![RawNumeric { kind: VitalKind::Spo2, t, value: spo2 }] } else { vec![] };
            let waves = vec![RawWave { kind: WaveKind::Pleth, t0: t - 250, rate_hz: 100.0, samples: vec![0.5; 25] }];
            let frame = Frame::try_from(RawFrame { seq: i as u64 + 1, numerics, waves, technical: vec![] }).unwrap();
            feed.push(ServerMessage::Frame { bed: "b1".into(), cursor: i as u64 + 1, received: t, frame });
        }
        feed.push(ServerMessage::CaughtUp { bed: "b1".into(), cursor: Some(120) });
        for msg in &feed {
            handle(&mut live_ward, &mut live_alarms, msg, T0 + 30_000);
            j.record(msg);
        }
        let live = shown(&live_alarms);
        assert!(live.iter().any(|id| id.starts_with("b1/spo2")), "the live feed alarms: {live:?}");

        let snapshot = j.snapshot(T0 + 31_000, vec![]);
        let (mut ward2, mut alarms2) = (crate::ward::WardState::default(), crate::alarm::WardAlarms::default());
        for msg in &snapshot.messages {
            handle(&mut ward2, &mut alarms2, msg, T0 + 60_000);
        }
        assert_eq!(shown(&alarms2), live, "the same alarms, same onsets");
        assert_eq!(ward2.resume_cursors(), live_ward.resume_cursors());
    }

    #[test]
    fn an_old_or_foreign_snapshot_is_not_restored() {
        let s = Snapshot { version: SNAPSHOT_VERSION, saved_at: T0, messages: vec![], outbox: vec![] };
        assert!(s.usable(T0 + 60_000));
        assert!(!s.usable(T0 + SNAPSHOT_USABLE_MS + 1));
        assert!(!s.usable(T0 - 60_000), "saved in the future: the clock is wrong");
        assert!(!Snapshot { version: 99, ..s }.usable(T0));
    }
}
