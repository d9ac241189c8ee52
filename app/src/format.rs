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

/// How long an intermittent value (NIBP, temperature) stays on screen, with
/// its age beside it: 12 h, NEWS2's longest routine interval between
/// observations (and the server's default limit for sending one to a tablet
/// that opens later, `latest_max_age_hours`).
pub const INTERMITTENT_SHOWN_MS: i64 = 12 * 3_600_000;

/// How long a continuous parameter stays on screen after it stops: 10 s.
pub const CONTINUOUS_SHOWN_MS: i64 = 10_000;

/// A cuff's systolic, diastolic and mean belong to one measurement when
/// their times are this close.
const SAME_MEASUREMENT_MS: i64 = 5_000;

/// The text shown for a continuous parameter on tiles and in the bed view:
/// blank 10 s (of device time) after it stops. Intermittent ones: [`shown_at`].
pub fn shown(bed: &BedState, kind: VitalKind) -> String {
    value(kind, current(bed, kind, newest_time(bed), CONTINUOUS_SHOWN_MS))
}

/// How old a reading taken at device time `t` is at tablet time `now`,
/// counted on the device's own clock where it can be (the bed's newest
/// reading's time plus the tablet time since that frame arrived), so a
/// monitor whose clock is off by minutes still gets its ages right. `None`
/// before the tablet knows the time (the server's page).
pub fn age_ms(bed: &BedState, t: i64, now: i64) -> Option<i64> {
    if now <= 0 {
        return None;
    }
    let age = match bed.last_arrival() {
        Some(arrived) => (newest_time(bed) - t).saturating_add(now - arrived),
        None => now - t,
    };
    Some(age.max(0))
}

/// The newest value of an intermittent parameter still worth showing at
/// tablet time `now`: at most 12 h old, by the bed's newest data and by the
/// clock (a monitor that went silent does not keep its last cuff reading
/// on screen for ever).
pub fn intermittent(bed: &BedState, kind: VitalKind, now: i64) -> Option<(i64, f64)> {
    bed.latest(kind).filter(|(t, _)| {
        newest_time(bed) - t <= INTERMITTENT_SHOWN_MS && age_ms(bed, *t, now).is_none_or(|a| a <= INTERMITTENT_SHOWN_MS)
    })
}

/// The text shown for a parameter at tablet time `now`: continuous ones as
/// [`shown`], intermittent ones for 12 h ([`intermittent`]), with their age
/// beside them ([`age_of`]).
pub fn shown_at(bed: &BedState, kind: VitalKind, now: i64) -> String {
    if kind.is_intermittent() {
        value(kind, intermittent(bed, kind, now).map(|(_, v)| v))
    } else {
        shown(bed, kind)
    }
}

/// An age in words: `just now`, `12 min`, `2 h 05 min`.
pub fn age(ms: i64) -> String {
    let min = ms.max(0) / 60_000;
    match min {
        0 => "just now".into(),
        1..=59 => format!("{min} min"),
        _ => format!("{} h {:02} min", min / 60, min % 60),
    }
}

/// The age of the intermittent value shown for `kind` at tablet time `now`
/// (empty for a continuous parameter, for nothing shown, and before the
/// tablet knows the time).
pub fn age_of(bed: &BedState, kind: VitalKind, now: i64) -> String {
    if !kind.is_intermittent() {
        return String::new();
    }
    intermittent(bed, kind, now).and_then(|(t, _)| age_ms(bed, t, now)).map(age).unwrap_or_default()
}

/// Device time of the bed's newest numeric.
pub fn newest_time(bed: &BedState) -> i64 {
    VitalKind::ALL.iter().filter_map(|k| bed.latest(*k).map(|(t, _)| t)).max().unwrap_or(0)
}

/// Blood pressure as `sys/dia (mean)` at tablet time `now`, arterial line
/// first, else the last NIBP (its parts only from one measurement).
pub fn blood_pressure(bed: &BedState, now: i64) -> (String, &'static str) {
    let newest_t = newest_time(bed);
    let art = [VitalKind::ArtSys, VitalKind::ArtDia, VitalKind::ArtMean]
        .map(|k| current(bed, k, newest_t, CONTINUOUS_SHOWN_MS));
    if let [Some(s), Some(d), m] = art {
        return (format!("{s:.0}/{d:.0}{}", m.map(|m| format!(" ({m:.0})")).unwrap_or_default()), "ART");
    }
    // NIBP is intermittent: the last one stays, with its age. A diastolic or
    // mean from another inflation than the systolic is not shown with it.
    let Some((t, s)) = intermittent(bed, VitalKind::NibpSys, now) else { return ("-?-".into(), "NIBP") };
    let part = |k| bed.latest(k).filter(|(pt, _)| (pt - t).abs() <= SAME_MEASUREMENT_MS).map(|(_, v)| v);
    match (part(VitalKind::NibpDia), part(VitalKind::NibpMean)) {
        (Some(d), m) => (format!("{s:.0}/{d:.0}{}", m.map(|m| format!(" ({m:.0})")).unwrap_or_default()), "NIBP"),
        (None, _) => ("-?-".into(), "NIBP"),
    }
}

/// The age of the blood pressure shown: the cuff's, none for an arterial line.
pub fn blood_pressure_age(bed: &BedState, now: i64) -> String {
    match blood_pressure(bed, now) {
        (v, "NIBP") if v != "-?-" => age_of(bed, VitalKind::NibpSys, now),
        _ => String::new(),
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
    fn an_intermittent_value_stays_with_its_age_and_a_continuous_one_does_not() {
        let b = bed_with(&[
            (VitalKind::NibpSys, T, 118.0),
            (VitalKind::NibpDia, T, 76.0),
            (VitalKind::Temp, T, 37.2),
            (VitalKind::Hr, T, 80.0),
            (VitalKind::Spo2, T + 3 * 3_600_000, 97.0),
        ]);
        // Three hours on, only SpO2 is still measured (the frame arrived at T).
        let now = T + 5_000;
        assert_eq!(blood_pressure(&b, now).0, "118/76");
        assert_eq!(blood_pressure_age(&b, now), "3 h 00 min");
        assert_eq!(shown_at(&b, VitalKind::Temp, now), "37.2");
        assert_eq!(age_of(&b, VitalKind::Temp, now), "3 h 00 min");
        assert_eq!(shown(&b, VitalKind::Hr), "-?-");
        assert_eq!(age_of(&b, VitalKind::Spo2, now), "", "continuous values carry no age");
        assert_eq!(age_of(&b, VitalKind::Temp, 0), "", "the server's page knows no time");
        assert_eq!(shown_at(&b, VitalKind::Temp, 0), "37.2", "and shows what the tablet will");
        assert_eq!(
            (age(59_999), age(12 * 60_000 + 59_000), age(65 * 60_000)),
            ("just now".into(), "12 min".into(), "1 h 05 min".into())
        );
    }

    #[test]
    fn an_intermittent_value_goes_after_12_h_by_the_data_or_by_the_clock() {
        let late = bed_with(&[
            (VitalKind::NibpSys, T, 118.0),
            (VitalKind::NibpDia, T, 76.0),
            (VitalKind::Spo2, T + INTERMITTENT_SHOWN_MS + 1, 97.0),
        ]);
        assert_eq!(blood_pressure(&late, T).0, "-?-");
        assert_eq!(blood_pressure_age(&late, T), "");
        // A monitor that went silent: its last cuff reading goes 12 h on.
        let silent = bed_with(&[(VitalKind::NibpSys, T, 118.0), (VitalKind::NibpDia, T, 76.0)]);
        assert_eq!(blood_pressure(&silent, T + 11 * 3_600_000).0, "118/76");
        assert_eq!(blood_pressure(&silent, T + INTERMITTENT_SHOWN_MS + 60_000).0, "-?-");
    }

    #[test]
    fn ages_count_on_the_device_clock_when_it_is_off() {
        // The monitor's clock runs 10 min fast: its NIBP was taken 9 min
        // before its newest reading, which arrived (tablet time T) just now.
        let fast = T + 600_000;
        let b = bed_with(&[
            (VitalKind::NibpSys, fast - 540_000, 118.0),
            (VitalKind::NibpDia, fast - 540_000, 76.0),
            (VitalKind::Spo2, fast, 97.0),
        ]);
        assert_eq!(blood_pressure_age(&b, T + 60_000), "10 min");
    }

    #[test]
    fn a_blood_pressure_is_one_measurement() {
        // A later inflation gave a mean only: not shown with the old pair.
        let b = bed_with(&[
            (VitalKind::NibpSys, T, 120.0),
            (VitalKind::NibpDia, T, 80.0),
            (VitalKind::NibpMean, T, 93.0),
            (VitalKind::NibpMean, T + 600_000, 60.0),
        ]);
        assert_eq!(blood_pressure(&b, T + 600_000).0, "120/80");
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
