//! Offline resilience in the browser (hydrate only): the service worker that
//! keeps the app shell, and the journal of the ward's last minutes saved to
//! IndexedDB and restored when the tablet reloads (see
//! [`vigil_shared::protocol::journal`]). The IndexedDB and service-worker
//! calls are a small JavaScript module (`offline.js`); the logic is here and
//! in `vigil-shared`.

use crate::context::{LiveContext, Pending};
use leptos::prelude::{UpdateValue, WithValue};
use vigil_shared::alarm::{BedEvent, StoredEvent};
use vigil_shared::protocol::journal::Snapshot;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/src/offline.js")]
extern "C" {
    #[wasm_bindgen(js_name = saveSnapshot)]
    fn save_snapshot_js(text: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = loadSnapshot)]
    fn load_snapshot_js() -> js_sys::Promise;
    #[wasm_bindgen(js_name = registerServiceWorker)]
    fn register_service_worker_js() -> js_sys::Promise;
    #[wasm_bindgen(js_name = clearSnapshot)]
    fn clear_snapshot_js() -> js_sys::Promise;
}

thread_local! {
    /// Set once this page has forgotten the ward: nothing is saved again.
    static FORGOTTEN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Removes what this tablet keeps of the ward and its account (the saved
/// minutes, unconfirmed requests, who was signed in and on shift) and stops
/// saving: at sign-out, when the session has ended, and before another
/// account signs in here. Patient data must not outlive the session that
/// was allowed to see it, and no queued request may go out under the next
/// account's name.
pub async fn forget() {
    FORGOTTEN.with(|f| f.set(true));
    if let Err(e) = JsFuture::from(clear_snapshot_js()).await {
        leptos::logging::warn!("could not clear the saved ward: {e:?}");
    }
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.remove_item("vigil.me");
        let _ = storage.remove_item("vigil.user");
    }
}

/// Registers the service worker and caches the shell; failures are logged,
/// never fatal (a tablet without them still works online).
pub async fn register_service_worker() {
    if let Err(e) = JsFuture::from(register_service_worker_js()).await {
        leptos::logging::warn!("service worker not registered: {e:?}");
    }
}

/// Saves the journal with the unconfirmed requests.
pub async fn save(ctx: LiveContext, now: i64) {
    if FORGOTTEN.with(|f| f.get()) {
        return;
    }
    let outbox = ctx.outbox.with_value(|o| o.iter().map(|p| p.request.clone()).collect());
    let Some(snapshot) = ctx.journal.try_update_value(|j| j.snapshot(now, outbox)) else { return };
    let Ok(text) = serde_json::to_string(&snapshot) else { return };
    if let Err(e) = JsFuture::from(save_snapshot_js(&text)).await {
        leptos::logging::warn!("could not save the ward for offline use: {e:?}");
    }
}

/// The saved snapshot, if there is one worth restoring at `now`.
pub async fn load(now: i64) -> Option<Snapshot> {
    let value = JsFuture::from(load_snapshot_js()).await.ok()?;
    let text = value.as_string()?;
    let snapshot: Snapshot = serde_json::from_str(&text).ok()?;
    snapshot.usable(now).then_some(snapshot)
}

/// Puts the snapshot's unconfirmed requests back in the outbox (they are sent
/// again on the next connection; the server stores each request id once). An
/// acknowledgement silences again at once, as when it was made (from the
/// time of the snapshot, the latest it can have been made).
pub fn restore_outbox(ctx: LiveContext, snapshot: &Snapshot) {
    for request in &snapshot.outbox {
        if ctx.outbox.with_value(|o| o.iter().any(|p| p.request.id == request.id)) {
            continue;
        }
        if let BedEvent::Acknowledge { .. } = &request.event {
            let local = StoredEvent {
                seq: 0,
                at: snapshot.saved_at,
                bed: request.bed.clone(),
                actor: request.actor.clone(),
                request: request.id.clone(),
                event: request.event.clone(),
            };
            ctx.alarms.update_value(|a| a.on_event(&local));
        }
        ctx.outbox.update_value(|o| o.push(Pending { request: request.clone(), session: 0 }));
    }
}
