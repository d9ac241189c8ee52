//! The engine's rules as properties over random heart-rate and SpO2 series.

use super::*;
use proptest::prelude::*;

/// Heart rate in runs: (value, seconds) pairs, each value from a set that
/// straddles every HR limit.
fn runs() -> impl Strategy<Value = Vec<(f64, u8)>> {
    let value = prop::sample::select(vec![30.0, 39.0, 45.0, 50.0, 80.0, 120.0, 125.0, 141.0, 160.0]);
    prop::collection::vec((value, 1u8..15), 1..30)
}

fn expand(runs: &[(f64, u8)]) -> Vec<f64> {
    runs.iter().flat_map(|&(v, n)| std::iter::repeat_n(v, n as usize)).collect()
}

fn limit_of(band: Band) -> f64 {
    AlarmSettings::default().limits(VitalKind::Hr).unwrap().get(band).unwrap()
}

fn delay_of(band: Band) -> i64 {
    limits::policy(Profile::Adult, VitalKind::Hr).unwrap().delay(band).max_ms
}

proptest! {
    #[test]
    fn no_alarm_without_a_violation_lasting_its_delay(r in runs()) {
        let values = expand(&r);
        let mut w = WardAlarms::default();
        feed(&mut w, VitalKind::Hr, 0, &values);
        for a in log(&w) {
            let Condition::Vital { band, .. } = a.id.condition else { continue };
            prop_assert!(a.raised - a.id.onset >= delay_of(band));
            let from = ((a.id.onset - T) / S) as usize;
            let to = ((a.raised - T) / S) as usize;
            for v in &values[from..=to] {
                prop_assert!(band.violated(*v, limit_of(band)), "{} not beyond {:?}", v, band);
            }
            // It began where the violation began.
            prop_assert!(from == 0 || !band.violated(values[from - 1], limit_of(band)));
        }
    }

    #[test]
    fn every_violation_lasting_its_delay_alarms_and_every_alarm_ends_with_its_condition(r in runs()) {
        let values = expand(&r);
        let mut w = WardAlarms::default();
        feed(&mut w, VitalKind::Hr, 0, &values);
        let alarms = log(&w);
        for band in Band::ALL {
            let limit = limit_of(band);
            let mut start = None;
            for (i, v) in values.iter().enumerate() {
                let bad = band.violated(*v, limit);
                match (bad, start) {
                    (true, None) => start = Some(i),
                    (false, Some(s)) => {
                        let lasted = (i - 1 - s) as i64 * S;
                        let found = alarms.iter().find(|a| a.id.condition == vital(VitalKind::Hr, band) && a.id.onset == T + s as i64 * S);
                        prop_assert_eq!(found.is_some(), lasted >= delay_of(band), "{:?} run at {} lasting {}", band, s, lasted);
                        if let Some(a) = found {
                            prop_assert_eq!(a.ended, Some(T + i as i64 * S));
                        }
                        start = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = start {
                let found = alarms.iter().find(|a| a.id.condition == vital(VitalKind::Hr, band) && a.id.onset == T + s as i64 * S);
                if let Some(a) = found {
                    prop_assert!(a.active(), "still violated, so still active");
                }
            }
        }
        // Nothing is shown that is neither active nor latched-unacknowledged.
        for a in w.shown() {
            prop_assert!(a.active() || (a.priority == Priority::High && a.ack.is_none()));
        }
    }

    #[test]
    fn acknowledging_everything_clears_latched_alarms_and_silences_only_what_was_shown(r in runs(), cut in 0usize..200) {
        let values = expand(&r);
        let cut = cut.min(values.len());
        let mut w = WardAlarms::default();
        feed(&mut w, VitalKind::Hr, 0, &values[..cut]);
        let at = T + cut as i64 * S;
        let acked = w.to_acknowledge("b1");
        if !acked.is_empty() {
            w.on_event(&event(1, at, BedEvent::Acknowledge { ids: acked.clone() }));
        }
        prop_assert_eq!(w.shown().iter().filter(|a| !a.active()).count(), 0, "latched alarms cleared");
        let rest: Vec<f64> = values[cut..].to_vec();
        feed(&mut w, VitalKind::Hr, cut as i64, &rest);
        let now = T + values.len() as i64 * S;
        for a in w.shown() {
            // Within the pause, exactly the alarms not acknowledged sound.
            if now < at + 120 * S {
                prop_assert_eq!(a.audible(now), !acked.contains(&a.id));
            }
        }
    }

    #[test]
    fn the_same_samples_give_the_same_alarms_twice(r in runs()) {
        let values = expand(&r);
        let mut a = WardAlarms::default();
        let mut b = WardAlarms::default();
        feed(&mut a, VitalKind::Hr, 0, &values);
        feed(&mut b, VitalKind::Hr, 0, &values);
        prop_assert_eq!(log(&a), log(&b));
    }

    #[test]
    fn spo2_is_never_delayed_beyond_its_maximum(values in prop::collection::vec(70.0f64..100.0, 1..120)) {
        let mut w = WardAlarms::default();
        feed(&mut w, VitalKind::Spo2, 0, &values);
        for a in log(&w) {
            if let Condition::Vital { band, .. } = a.id.condition {
                let max = limits::policy(Profile::Adult, VitalKind::Spo2).unwrap().delay(band).max_ms;
                prop_assert!(a.raised - a.id.onset <= max);
            }
        }
    }
}
