use crate::context::{use_live, ConnStatus};
use crate::format;
use leptos::prelude::*;

/// Always on screen: whether this tablet is receiving the ward. A lost link is
/// a technical alarm of the tablet itself: red, worded, with the time the data
/// shown dates from.
#[component]
pub fn ConnectionBanner() -> impl IntoView {
    let live = use_live();
    let state = move || match live.status.get() {
        ConnStatus::Connecting => "connecting",
        ConnStatus::Live => "live",
        ConnStatus::Lost { .. } => "lost",
    };
    let text = move || match live.status.get() {
        ConnStatus::Connecting => "Connecting to the server…".to_string(),
        ConnStatus::Live => "Live".to_string(),
        ConnStatus::Lost { since, attempt } => {
            let secs = ((live.now.get() - since) / 1000).max(0);
            let saved = match live.restored.get() {
                Some(at) => format!("; showing the ward as saved on this tablet at {}", format::clock(at, 0)),
                None => String::new(),
            };
            format!(
                "CONNECTION LOST {secs} s: values are not live (last data {}); reconnecting, attempt {attempt}{saved}",
                format::clock(since, 0)
            )
        }
    };
    view! {
        <header class="topbar">
            <a href="/" class="brand">"Vigil"</a>
            <div class="conn" data-testid="connection" data-state=state role="status" aria-live="assertive">
                <span class="conn-icon" aria-hidden="true">{move || if state() == "live" { "●" } else { "▲" }}</span>
                <span>{text}</span>
            </div>
        </header>
    }
}
