//! Vigil's central station: the Leptos app that tablets run.
//!
//! The server renders it (`ssr`) and the tablet hydrates it (`hydrate`, in
//! WebAssembly); a crate is built with one of the two, never both. All the
//! judging of data (the functional core in `vigil-shared`) runs in the tablet.
//!
//! # Layout
//! - [`context`]: the live state the pages read: the ward (plain structs from
//!   `vigil-shared`), the connection status, the tablet clock.
//! - [`format`] and [`sweep`]: pure helpers (text of values, waveform sweep
//!   geometry), tested without a browser.
//! - `live` (hydrate only): the WebSocket to the server, reconnection, backfill,
//!   feeding the alarm engine, the outbox of acknowledgements and changes.
//! - [`actions`]: what a person does to alarms, checked and queued as events.
//! - `offline` (hydrate only): the service worker that keeps the app shell and
//!   the ward's last minutes saved in IndexedDB, restored on a reload.
//! - `sound` (hydrate only): IEC 60601-1-8 burst patterns with Web Audio.
//! - `draw` (hydrate only): canvas drawing of waveforms and trends.
//! - [`session`]: the signed-in account and requests carrying its anti-forgery token.
//! - [`plain`]: vital signs in plain words for the family portal.
//! - [`pages`]: the ward overview, the bed view, sign-in, the family portal,
//!   accepting an invitation, one's own account, administration.
//! - [`components`]: tiles, sparklines, waveform and trend canvases, the
//!   connection banner, the alarm list and shift bar, the bed's alarm panels.

// Leptos view types nest deeply.
#![recursion_limit = "256"]
// `#[wasm_bindgen]` expands to unsafe FFI glue; our own code has none.
#![cfg_attr(feature = "hydrate", allow(unsafe_code))]

pub mod actions;
pub mod components;
pub mod context;
pub mod format;
pub mod pages;
pub mod plain;
pub mod session;
pub mod sweep;

#[cfg(feature = "hydrate")]
mod draw;
#[cfg(feature = "hydrate")]
mod live;
#[cfg(feature = "hydrate")]
mod offline;
#[cfg(feature = "hydrate")]
mod sound;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The hydrated bundle a page loads (`pkg/<name>.js` and `.wasm`): each
/// carries only its own pages, so a family member's phone never downloads
/// the alarm engine and a ward tablet never the administration pages.
/// Moving between bundles is a full page load (links say `rel="external"`).
pub fn bundle_for(path: &str) -> &'static str {
    let first = path.trim_start_matches('/').split(['/', '?', '#']).next().unwrap_or("");
    match first {
        "family" | "invite" => "family",
        "signin" | "account" | "admin" => "desk",
        _ => "vigil",
    }
}

/// The HTML document around the app, with the hydration scripts of the
/// page's bundle ([`bundle_for`]).
pub fn shell(mut options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(parts) = use_context::<http::request::Parts>() {
        options.output_name = std::sync::Arc::from(bundle_for(parts.uri.path()));
        // The server's Content-Security-Policy names this nonce: the
        // hydration loader (the page's one inline script) carries it.
        if let Some(nonce) = parts.extensions.get::<leptos::nonce::Nonce>() {
            provide_context(nonce.clone());
        }
    }
    #[cfg(not(feature = "ssr"))]
    let _ = &mut options;
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

fn not_found() -> impl IntoView {
    view! { <main><p class="empty">"Page not found."</p></main> }
}

#[cfg(any(not(feature = "hydrate"), feature = "station"))]
fn ward_page() -> impl IntoView {
    use components::staff::StaffChrome;
    view! { <StaffChrome><pages::ward::WardPage/></StaffChrome> }
}

#[cfg(any(not(feature = "hydrate"), feature = "station"))]
fn bed_page() -> impl IntoView {
    use components::staff::StaffChrome;
    view! { <StaffChrome><pages::bed::BedPage/></StaffChrome> }
}

// Every page, for the server's rendering (and native builds); a hydrated
// bundle carries its own pages only (features `station`, `family`, `desk`).
#[cfg(not(feature = "hydrate"))]
fn pages() -> impl IntoView {
    view! {
        <Routes fallback=not_found>
            <Route path=path!("/") view=ward_page/>
            <Route path=path!("/bed/:id") view=bed_page/>
            <Route path=path!("/family") view=|| view! { <main><pages::family::FamilyPage/></main> }/>
            <Route path=path!("/invite/:token") view=|| view! { <main><pages::invite::InvitePage/></main> }/>
            <Route path=path!("/signin") view=|| view! { <main><pages::signin::SignInPage/></main> }/>
            <Route path=path!("/account") view=|| view! { <main><pages::account::AccountPage/></main> }/>
            <Route path=path!("/admin") view=|| view! { <main><pages::admin::AdminPage/></main> }/>
        </Routes>
    }
}

#[cfg(all(feature = "hydrate", feature = "station"))]
fn pages() -> impl IntoView {
    view! {
        <Routes fallback=not_found>
            <Route path=path!("/") view=ward_page/>
            <Route path=path!("/bed/:id") view=bed_page/>
        </Routes>
    }
}

#[cfg(all(feature = "hydrate", feature = "family", not(feature = "station")))]
fn pages() -> impl IntoView {
    view! {
        <Routes fallback=not_found>
            <Route path=path!("/family") view=|| view! { <main><pages::family::FamilyPage/></main> }/>
            <Route path=path!("/invite/:token") view=|| view! { <main><pages::invite::InvitePage/></main> }/>
        </Routes>
    }
}

#[cfg(all(feature = "hydrate", feature = "desk", not(any(feature = "station", feature = "family"))))]
fn pages() -> impl IntoView {
    view! {
        <Routes fallback=not_found>
            <Route path=path!("/signin") view=|| view! { <main><pages::signin::SignInPage/></main> }/>
            <Route path=path!("/account") view=|| view! { <main><pages::account::AccountPage/></main> }/>
            <Route path=path!("/admin") view=|| view! { <main><pages::admin::AdminPage/></main> }/>
        </Routes>
    }
}

#[cfg(all(feature = "hydrate", not(any(feature = "station", feature = "family", feature = "desk"))))]
compile_error!("a hydrated build carries one bundle: build with feature `station`, `family` or `desk`");

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // The live ward: only the station's pages (and the server, which
    // renders them) read it.
    #[cfg(any(not(feature = "hydrate"), feature = "station"))]
    provide_context(context::LiveContext::new());

    view! {
        <Stylesheet id="leptos" href="/pkg/vigil.css"/>
        <Title text="Vigil central station"/>
        <Router>{pages()}</Router>
    }
}

/// The tablet's entry point, called by the generated JavaScript.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // Until now the page is the server's HTML: its buttons look ready but a
    // tap on one does nothing, because their handlers live in this WASM. The
    // style sheet keeps them inert and dimmed until this mark is set, so a
    // nurse's tap is never swallowed without a sign.
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-hydrated", "");
    }
    // For anyone timing the tablet (BENCHMARKS.md: time to hydrate):
    // `performance.getEntriesByName("vigil-hydrated")`.
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark("vigil-hydrated");
    }
}

#[cfg(test)]
mod tests {
    use super::bundle_for;

    #[test]
    fn each_page_loads_its_own_bundle() {
        for (path, bundle) in [
            ("/", "vigil"),
            ("/bed/b01", "vigil"),
            ("/family", "family"),
            ("/family?x=1", "family"),
            ("/invite/vgi_00ff", "family"),
            ("/signin", "desk"),
            ("/account", "desk"),
            ("/admin", "desk"),
            ("/administrator", "vigil"),
            ("/no/such/page", "vigil"),
        ] {
            assert_eq!(bundle_for(path), bundle, "{path}");
        }
    }
}
