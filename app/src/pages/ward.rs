use crate::components::tile::BedTile;
use crate::context::use_live;
use leptos::prelude::*;

/// Every bed at a glance.
#[component]
pub fn WardPage() -> impl IntoView {
    let live = use_live();
    let ids = move || live.with_ward(|w| w.beds().map(|b| b.info.id.clone()).collect::<Vec<_>>());
    view! {
        <section class="ward" data-testid="ward">
            <Show when=move || !ids().is_empty() fallback=|| view! { <p class="empty">"Waiting for the ward…"</p> }>
                <For each=ids key=|id| id.clone() children=move |id| view! { <BedTile id/> }/>
            </Show>
        </section>
    }
}
