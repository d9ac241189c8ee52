//! Vigil's server: authenticates devices, validates, stores and relays their
//! frames, serves history and the central-station app. It never decides an
//! alarm: that is the tablets' job, from the same samples.
//!
//! # Layout
//! - [`config`]: configuration from file, environment and flags.
//! - [`startup`]: [`startup::Application::build`] and [`startup::router`].
//! - [`routes`]: one module per route (device ingest, live feed, trends, health).
//! - [`auth`]: accounts, sessions, the authorisation policy.
//! - [`store`]: SQLite storage with group commit; rows separate from wire types.
//! - [`relay`]: per-bed broadcast of stored frames to tablets.
//! - [`device_link`]: the device side of the protocol (at-least-once sending),
//!   used by the simulator and the replay.
//! - [`sim`]: the ward simulator (`vigil simulate`) and its scenarios.
//! - [`replay`]: PhysioNet recordings streamed as live devices (`vigil replay`).
//! - [`demo`]: provisioning a demo ward and running it (`vigil demo`).
//! - [`bench`]: the end-to-end latency benchmark (`vigil bench`).
//! - [`burden`]: alarms per patient-hour on real data (`vigil alarm-burden`).
//! - [`telemetry`]: tracing set-up.

// The app's views (rendered here) nest deeply.
#![recursion_limit = "512"]

pub mod advisory_eval;
pub mod auth;
pub mod bench;
pub mod burden;
pub mod clock;
pub mod config;
pub mod demo;
pub mod device_link;
pub mod error;
pub mod fault;
pub mod relay;
pub mod replay;
pub mod review;
pub mod routes;
pub mod sim;
pub mod startup;
pub mod state;
pub mod store;
pub mod store_bench;
pub mod telemetry;
