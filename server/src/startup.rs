//! Building the application: storage, relay, routes, listener.

use crate::auth::guard;
use crate::config::Config;
use crate::relay::{frame_message_json, Relay, RelayItem};
use crate::routes;
use crate::routes::{admin, invitations, session};
use crate::state::AppState;
use crate::store::{Committed, Store};
use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{delete, get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;

/// Compression predicate: not for a `101 Switching Protocols` answer.
#[derive(Clone, Copy)]
struct NotAnUpgrade;

impl Predicate for NotAnUpgrade {
    fn should_compress<B: axum::body::HttpBody>(&self, response: &axum::http::Response<B>) -> bool {
        response.status() != axum::http::StatusCode::SWITCHING_PROTOCOLS
    }
}

/// Largest JSON body an API request may carry.
pub const MAX_API_BODY: usize = 64 * 1024;

/// The routes, separate from binding so tests can call it.
pub fn router(state: AppState) -> Router {
    let leptos_options = state.leptos.clone();
    let app_routes = generate_route_list(vigil_app::App);
    Router::new()
        .route("/health", get(routes::health::health))
        .route("/ws/device", get(routes::device_ws::device_ws))
        .route("/ws/live", get(routes::live_ws::live_ws))
        .route("/api/beds/{bed}/trend", get(routes::trend::trend))
        .route("/api/beds/{bed}/waves", get(routes::trend::waves))
        .route("/api/session", post(session::sign_in).delete(session::sign_out))
        .route("/api/sessions", delete(session::sign_out_everywhere))
        .route("/api/me", get(session::me))
        .route("/api/me/password", post(session::change_password))
        .route("/api/me/totp", post(session::begin_totp))
        .route("/api/me/totp/confirm", post(session::confirm_totp))
        .route("/api/wards", get(admin::wards))
        .route("/api/admin/wards", post(admin::create_ward))
        .route("/api/admin/users", get(admin::users).post(admin::create_user))
        .route("/api/admin/users/{id}/disable", post(admin::disable_user))
        .route("/api/admin/patients", get(admin::patients).post(admin::admit))
        .route("/api/admin/patients/{id}/move", post(admin::move_patient))
        .route("/api/admin/patients/{id}/discharge", post(admin::discharge))
        .route("/api/admin/devices", post(admin::register_device))
        .route("/api/admin/devices/{id}/revoke", post(admin::revoke_device))
        .route("/api/audit", get(admin::audit))
        .route("/api/invitations", get(invitations::list).post(invitations::create))
        .route("/api/invitations/accept", post(invitations::accept))
        .route("/api/invitations/{id}/revoke", post(invitations::revoke))
        .route("/api/family", get(routes::family::family))
        .layer(DefaultBodyLimit::max(MAX_API_BODY))
        .leptos_routes(&state, app_routes, move || vigil_app::shell(leptos_options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(vigil_app::shell))
        .layer(middleware::from_fn_with_state(state.clone(), guard::guard_pages))
        // gzip whatever the client accepts (the WASM bundle: 1.8 MB -> ~0.7 MB),
        // never a WebSocket upgrade.
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(NotAnUpgrade)))
        .layer(middleware::from_fn(routes::headers::security_headers))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Opens storage and wires the relay to it.
pub fn open_state(config: Config) -> anyhow::Result<AppState> {
    let relay = Relay::default();
    let hook_relay = relay.clone();
    let store = Store::open_with(
        &config.database,
        config.seal_paths(),
        Box::new(move |c: Committed<'_>| {
            let json = frame_message_json(c.bed, c.cursor, c.received_at, c.payload);
            hook_relay.publish(c.bed, RelayItem { cursor: Some(c.cursor), json: json.into() });
        }),
    )?;
    let leptos = LeptosOptions::builder()
        .output_name("vigil")
        .site_root(config.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .build();
    Ok(AppState { config: Arc::new(config), store, relay, leptos, sign_ins: Default::default() })
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Opens the database and binds the listener (port 0 picks a free port).
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let listen = config.listen;
        let state = open_state(config)?;
        Self::with_state(state, listen).await
    }

    pub async fn with_state(state: AppState, listen: SocketAddr) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
        Ok(Application { listener, state })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves. Retention runs in the background.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let retention = tokio::spawn(retention_loop(self.state.store.clone(), self.state.config.retention));
        let app = router(self.state);
        let _stop_retention = AbortOnDrop(retention);
        axum::serve(self.listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving")
    }
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Deletes data older than the retention, at start and then periodically.
/// A failed pass is logged and retried at the next period.
async fn retention_loop(store: Store, retention: crate::config::Retention) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(u64::from(retention.every_minutes) * 60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let now = crate::clock::now_ms();
        let frames_before = now - i64::from(retention.waveforms_hours) * 3_600_000;
        let numerics_before = now - i64::from(retention.numerics_days) * 86_400_000;
        match store.enforce_retention(frames_before, numerics_before).await {
            Ok(p) if p == Default::default() => tracing::debug!("retention: nothing to delete"),
            Ok(p) => tracing::info!(
                frames = p.frames,
                numerics = p.numerics,
                minutes = p.minutes,
                "retention: deleted old data"
            ),
            Err(e) => tracing::error!(error = format!("{e:#}"), "retention pass failed"),
        }
    }
}
