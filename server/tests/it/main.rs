//! The server's integration tests, one binary: the API over real sockets
//! ([`api`]), acknowledgements and limit changes as audited events
//! ([`events`]) and the PhysioNet readers against the real recordings
//! ([`physionet`], reading `../shared/data`) and the arrhythmia check and QRS
//! detector on the real recordings ([`arrhythmia`]), and the unusual-trend
//! advisory on them ([`advisory`]).

mod advisory;
mod api;
mod arrhythmia;
mod assets;
mod auth;
mod audit_seal;
mod authz;
mod device_protocol;
mod edges;
mod events;
mod history;
mod http;
mod physionet;

use std::path::PathBuf;

/// A file or folder of the PhysioNet data (`../shared/data`, or `VIGIL_DATA_DIR`).
pub fn data(rel: &str) -> PathBuf {
    let base = std::env::var_os("VIGIL_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    let p = base.join(rel);
    assert!(p.exists(), "{} is missing: the PhysioNet data must be in ../shared/data (or VIGIL_DATA_DIR)", p.display());
    p
}
