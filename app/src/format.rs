//! Text shown for values, ages and states; pure so it is tested natively.

use vigil_shared::alarm::Alarm;
use vigil_shared::ward::{BedState, Freshness};
use vigil_shared::VitalKind;

/// A value with the parameter's decimals, or a dash when absent.
pub fn value(kind: VitalKind, v: Option<f64>) -> String {
    match v {
        Some(v) => format!("{:.*}", kind.decimals(), v),
        None => "-?-".to_string(),
    }
}

/// Newest value of `kind` if it is recent relative to the bed's data
/// (`max_age_ms` of device time); a parameter that stopped is shown absent,
/// not frozen at its last value.
pub fn current(bed: &BedState, kind: VitalKind, newest_t: i64, max_age_ms: i64) -> Option<f64> {
    bed.latest(kind).filter(|(t, _)| newest_t - t <= max_age_ms).map(|(_, v)| v)
}

/// The text shown for a parameter on tiles and in the bed view. Continuous
/// parameters go blank 10 s after they stop; temperature is measured now and
/// then and stays for an hour.
pub fn shown(bed: &BedState, kind: VitalKind) -> String {
    let max_age = match kind {
        VitalKind::Temp => 3_600_000,
        _ => 10_000,
    };
    value(kind, current(bed, kind, newest_time(bed), max_age))
}

/// Device time of the bed's newest numeric.
pub fn newest_time(bed: &BedState) -> i64 {
    VitalKind::ALL.iter().filter_map(|k| bed.latest(*k).map(|(t, _)| t)).max().unwrap_or(0)
}

/// Blood pressure as `sys/dia (mean)`, arterial line first, else NIBP.
pub fn blood_pressure(bed: &BedState, newest_t: i64) -> (String, &'static str) {
    let art = [VitalKind::ArtSys, VitalKind::ArtDia, VitalKind::ArtMean].map(|k| current(bed, k, newest_t, 10_000));
    if let [Some(s), Some(d), m] = art {
        return (format!("{s:.0}/{d:.0}{}", m.map(|m| format!(" ({m:.0})")).unwrap_or_default()), "ART");
    }
    // NIBP is intermittent: show the last one for up to an hour.
    let nibp =
        [VitalKind::NibpSys, VitalKind::NibpDia, VitalKind::NibpMean].map(|k| current(bed, k, newest_t, 3_600_000));
    match nibp {
        [Some(s), Some(d), m] => {
            (format!("{s:.0}/{d:.0}{}", m.map(|m| format!(" ({m:.0})")).unwrap_or_default()), "NIBP")
        }
        _ => ("-?-".into(), "NIBP"),
    }
}

/// The device's active technical conditions, e.g. `Lead off (ECG)`.
pub fn technical(bed: &BedState) -> String {
    bed.technical().iter().map(|(c, s, _)| format!("{} ({})", c.label(), s.label())).collect::<Vec<_>>().join(" · ")
}

/// How fresh the bed's data is, in words.
pub fn freshness(f: Freshness) -> String {
    match f {
        Freshness::NoData => "no data yet".into(),
        Freshness::Live => "live".into(),
        Freshness::Stale { seconds } if seconds < 120 => format!("no data for {seconds} s"),
        Freshness::Stale { seconds } => format!("no data for {} min", seconds / 60),
    }
}

/// Wall-clock time of day, UTC offset applied by the caller, `HH:MM:SS`.
pub fn clock(ms: i64, offset_minutes: i64) -> String {
    let s = (ms / 1000 + offset_minutes * 60).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The state of an alarm in words (never colour alone): paused, latched,
/// unanswered.
pub fn alarm_status(a: &Alarm, now: i64) -> String {
    let mmss = |ms: i64| format!("{}:{:02}", ms / 60_000, ms / 1000 % 60);
    match (&a.ack, a.active()) {
        (Some(ack), true) if now < ack.paused_until => {
            format!("audio paused {} · {}", mmss(ack.paused_until - now), ack.by)
        }
        (Some(ack), true) => format!("acknowledged by {}, sounding again", ack.by),
        (Some(ack), false) => format!("ended · acknowledged by {}", ack.by),
        (None, false) => "ended · latched: acknowledge to clear".into(),
        (None, true) if a.escalated => format!("UNANSWERED {}", mmss((now - a.derived_at).max(0))),
        (None, true) => String::new(),
    }
}

/// How an alarm row looks: its CSS class and whether it flashes (an active
/// alarm whose sound is not paused; IEC: the flashing shows it needs action).
pub fn alarm_class(a: &Alarm, now: i64) -> String {
    let mut class = format!("alarm alarm-{}", a.priority.code());
    if a.active() && a.audible(now) {
        class.push_str(" flashing");
    }
    if a.id.condition.is_technical() {
        class.push_str(" technical-alarm");
    }
    class
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_shared::frame::{RawFrame, RawNumeric};
    use vigil_shared::protocol::live::BedInfo;
    use vigil_shared::Frame;

    const T: i64 = 1_790_000_000_000;

    fn bed_with(readings: &[(VitalKind, i64, f64)]) -> BedState {
        let mut b = BedState::new(BedInfo { id: "b".into(), label: "B".into(), patient: None, last_frame: None });
        let f = Frame::try_from(RawFrame {
            seq: 1,
            numerics: readings.iter().map(|&(kind, t, value)| RawNumeric { kind, t, value }).collect(),
            waves: vec![],
            technical: vec![],
        })
        .unwrap();
        b.apply(1, T, &f, T);
        b
    }

    #[test]
    fn temperature_has_one_decimal_and_absent_values_a_dash() {
        assert_eq!(value(VitalKind::Temp, Some(36.84)), "36.8");
        assert_eq!(value(VitalKind::Hr, Some(71.6)), "72");
        assert_eq!(value(VitalKind::Spo2, None), "-?-");
    }

    #[test]
    fn a_parameter_that_stopped_is_absent_not_frozen() {
        let b = bed_with(&[(VitalKind::Hr, T, 80.0), (VitalKind::Spo2, T + 20_000, 97.0)]);
        let newest = newest_time(&b);
        assert_eq!(current(&b, VitalKind::Hr, newest, 10_000), None);
        assert_eq!(current(&b, VitalKind::Spo2, newest, 10_000), Some(97.0));
    }

    #[test]
    fn the_arterial_line_wins_over_nibp_and_nibp_shows_its_mean() {
        let b =
            bed_with(&[(VitalKind::NibpSys, T, 120.0), (VitalKind::NibpDia, T, 80.0), (VitalKind::NibpMean, T, 93.0)]);
        assert_eq!(blood_pressure(&b, T + 600_000), ("120/80 (93)".into(), "NIBP"));
        let b = bed_with(&[
            (VitalKind::NibpSys, T, 120.0),
            (VitalKind::NibpDia, T, 80.0),
            (VitalKind::ArtSys, T, 131.0),
            (VitalKind::ArtDia, T, 71.0),
        ]);
        assert_eq!(blood_pressure(&b, T), ("131/71".into(), "ART"));
    }

    #[test]
    fn an_alarm_state_is_said_in_words() {
        use vigil_shared::alarm::{Ack, AlarmId, Condition, Priority};
        let mut a = Alarm {
            rhythm: None,
            id: AlarmId { bed: "b".into(), condition: Condition::NoData, onset: T },
            priority: Priority::High,
            raised: T,
            ended: None,
            limit: None,
            trigger: None,
            worst: None,
            current: None,
            latching: true,
            ack: None,
            escalated: false,
            derived_at: T,
        };
        assert_eq!(alarm_status(&a, T), "");
        assert!(alarm_class(&a, T).contains("flashing"));
        a.escalated = true;
        assert_eq!(alarm_status(&a, T + 75_000), "UNANSWERED 1:15");
        a.ack = Some(Ack { at: T, by: "RN Ade".into(), paused_until: T + 120_000 });
        assert_eq!(alarm_status(&a, T + 30_000), "audio paused 1:30 · RN Ade");
        assert!(!alarm_class(&a, T + 30_000).contains("flashing"));
        assert_eq!(alarm_status(&a, T + 130_000), "acknowledged by RN Ade, sounding again");
        a.ack = None;
        a.ended = Some(T + 5_000);
        assert_eq!(alarm_status(&a, T + 6_000), "ended · latched: acknowledge to clear");
    }

    #[test]
    fn freshness_reads_as_words() {
        assert_eq!(freshness(Freshness::Stale { seconds: 7 }), "no data for 7 s");
        assert_eq!(freshness(Freshness::Stale { seconds: 600 }), "no data for 10 min");
        assert_eq!(clock(T, 60), "15:13:20");
    }
}
