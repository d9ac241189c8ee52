use crate::config::Config;
use crate::relay::Relay;
use crate::store::Store;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// What every handler may reach.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Store,
    pub relay: Relay,
    pub leptos: LeptosOptions,
    /// Failed sign-ins, per user name and address.
    pub sign_ins: Arc<std::sync::Mutex<crate::auth::limiter::SignInLimiter>>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
