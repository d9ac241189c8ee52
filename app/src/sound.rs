//! Alarm sound with the Web Audio API, in the IEC 60601-1-8 burst patterns
//! (hydrate only).
//!
//! High priority: a burst of 10 pulses (3 + 2, 3 + 2), repeated every 5 s,
//! every 2.5 s once escalated. Medium: 3 pulses every 10 s. Low: 2 pulses,
//! every 30 s (IEC: not repeated, or more than 15 s apart). Pulses are square
//! waves (a fundamental in 150-1000 Hz with odd harmonics), the higher the
//! priority the higher the pitch, all pulses of a burst at the same level.
//!
//! Browsers start an `AudioContext` suspended until a person taps something;
//! [`enable`] is called from the "start shift" click. If the browser suspends
//! audio again, the tablet says so (a standing warning) instead of pretending.

use crate::context::LiveContext;
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use vigil_shared::alarm::Priority;
use web_sys::{AudioContext, AudioContextState, OscillatorType};

thread_local! {
    static AUDIO: RefCell<Option<AudioContext>> = const { RefCell::new(None) };
    /// When the next burst is due, and the priority last sounded.
    static NEXT: Cell<(i64, Option<Priority>)> = const { Cell::new((0, None)) };
}

struct Pattern {
    /// Pulse starts, seconds from the burst's start.
    pulses: &'static [f64],
    pulse_s: f64,
    hz: f32,
    gain: f32,
    every_ms: i64,
}

fn pattern(p: Priority, escalated: bool) -> Pattern {
    match p {
        Priority::High => Pattern {
            pulses: &[0.0, 0.2, 0.4, 0.8, 1.0, 1.7, 1.9, 2.1, 2.5, 2.7],
            pulse_s: 0.12,
            hz: 880.0,
            gain: 0.25,
            every_ms: if escalated { 2_500 } else { 5_000 },
        },
        Priority::Medium => {
            Pattern { pulses: &[0.0, 0.25, 0.5], pulse_s: 0.18, hz: 660.0, gain: 0.2, every_ms: 10_000 }
        }
        Priority::Low => Pattern { pulses: &[0.0, 0.3], pulse_s: 0.2, hz: 440.0, gain: 0.15, every_ms: 30_000 },
    }
}

fn play(audio: &AudioContext, p: &Pattern) -> Result<(), wasm_bindgen::JsValue> {
    let t0 = audio.current_time() + 0.02;
    for &offset in p.pulses {
        let osc = audio.create_oscillator()?;
        osc.set_type(OscillatorType::Square);
        osc.frequency().set_value(p.hz);
        let gain = audio.create_gain()?;
        let g = gain.gain();
        let start = t0 + offset;
        // A 10 ms rise and fall: no clicks, same level for every pulse.
        g.set_value_at_time(0.0, start)?;
        g.linear_ramp_to_value_at_time(p.gain, start + 0.01)?;
        g.set_value_at_time(p.gain, start + p.pulse_s - 0.01)?;
        g.linear_ramp_to_value_at_time(0.0, start + p.pulse_s)?;
        osc.connect_with_audio_node(&gain)?;
        gain.connect_with_audio_node(&audio.destination())?;
        osc.start_with_when(start)?;
        osc.stop_with_when(start + p.pulse_s + 0.02)?;
    }
    Ok(())
}

fn running() -> bool {
    AUDIO.with(|a| a.borrow().as_ref().is_some_and(|a| a.state() == AudioContextState::Running))
}

/// Creates or resumes the audio context; must run inside a user gesture.
pub fn enable(ctx: LiveContext) {
    let created = AUDIO.with(|a| {
        let mut a = a.borrow_mut();
        if a.is_none() {
            *a = AudioContext::new().ok();
        }
        a.clone()
    });
    let Some(audio) = created else {
        ctx.notice.set(Some("This browser cannot play sound: alarms on this tablet are silent.".into()));
        return;
    };
    match audio.resume() {
        Ok(promise) => leptos::task::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
            let on = running();
            ctx.sound.update(|s| s.on = on);
            if on {
                // One short tone so the person hears that sound works.
                let _ = play(&audio, &pattern(Priority::Low, false));
                NEXT.with(|n| n.set((0, None)));
            }
        }),
        Err(_) => ctx.notice.set(Some("The browser refused to start sound.".into())),
    }
}

/// Called every second and whenever alarms change: plays what is due.
pub fn update(ctx: LiveContext, now: i64) {
    let on = running();
    if ctx.sound.with_untracked(|s| s.on) != on {
        ctx.sound.update(|s| s.on = on);
    }
    let (audible, escalated) = ctx.alarms.with_value(|a| (a.audible(now), a.escalated(now)));
    let (due, last) = NEXT.with(Cell::get);
    let Some(p) = audible else {
        NEXT.with(|n| n.set((0, None)));
        return;
    };
    // A higher priority than the one sounding interrupts at once.
    if now < due && last.is_some_and(|l| l >= p) {
        return;
    }
    let pattern = pattern(p, escalated);
    NEXT.with(|n| n.set((now + pattern.every_ms, Some(p))));
    if on {
        AUDIO.with(|a| {
            if let Some(audio) = a.borrow().as_ref() {
                let _ = play(audio, &pattern);
            }
        });
    }
    // Counted even when muted by the browser: tests and the log see what was due.
    ctx.sound.update(|s| {
        s.bursts += 1;
        s.last = Some(p);
    });
}
