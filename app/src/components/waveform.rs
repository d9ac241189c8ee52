use leptos::html::Canvas;
use leptos::prelude::*;
use vigil_shared::WaveKind;

/// How a waveform is scaled vertically.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Fixed range in the wave's unit (ECG: a fixed gain, as on paper).
    Fixed(f32, f32),
    /// Fit to what is on screen.
    Auto,
}

pub fn scale_for(kind: WaveKind) -> Scale {
    match kind {
        WaveKind::EcgII => Scale::Fixed(-1.0, 1.6),
        WaveKind::Abp => Scale::Fixed(20.0, 180.0),
        WaveKind::Pleth | WaveKind::Resp => Scale::Auto,
    }
}

/// A live sweeping waveform of one bed on a canvas, 25 mm/s.
#[component]
pub fn Waveform(bed: String, kind: WaveKind, class: &'static str) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    #[cfg(feature = "hydrate")]
    {
        let live = crate::context::use_live();
        let bed = bed.clone();
        canvas.on_load(move |el| crate::draw::start_sweep(el, live, bed, kind, class));
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = &bed;
    view! {
        <div class=format!("wave {class}")>
            <span class="wave-label">{kind.label()}" "<small>{kind.unit()}</small></span>
            <canvas node_ref=canvas data-testid=format!("wave-{}", kind.label().to_lowercase().replace(' ', "-")) data-samples="0"></canvas>
        </div>
    }
}
