//! Vigil's functional core.
//!
//! Everything here is plain Rust with no I/O, no clock, no async and no web or
//! server framework, so the very same code runs in the tablet's WebAssembly and in
//! the server's tools, and gives the same answers in both. Whoever needs the time
//! passes it in.
//!
//! # Layout
//! - [`vital`]: the numeric vital signs (units, LOINC and IEEE 11073 MDC codes,
//!   the physically possible range of each) and the waveform kinds.
//! - [`frame`]: the validated frame a device sends: numerics, waveform chunks and
//!   technical conditions with device timestamps. A [`frame::Frame`] that exists
//!   has passed validation; raw wire values become domain values once, here.
//! - [`technical`]: sensor conditions a device reports (lead off, sensor off).
//! - [`protocol`]: protocol v1 on the wire: device <-> server
//!   ([`protocol::device`]) and browser <-> server ([`protocol::live`]).
//! - [`alarm`]: the IEC 60601-1-8 alarm engine: limits and profiles, delays,
//!   technical alarms, latching, acknowledgement, NEWS2 bands, events.
//! - [`news2`]: the NEWS2 early-warning score, with what it lacks.
//! - [`drift`]: the "unusual trend" advisory: slow combined drifts judged
//!   against the patient's own baseline, with a deterioration generator.
//! - [`ward`]: the per-bed buffers a tablet keeps (latest values, trends,
//!   waveform rings, freshness), fed with frames and asked with a `now`.
//! - [`wfdb`] and [`bidmc`]: readers for the PhysioNet formats the replay tool
//!   streams, working on bytes and strings handed to them.

pub mod alarm;
pub mod arrhythmia;
pub mod bidmc;
pub mod drift;
pub mod frame;
pub mod news2;
pub mod protocol;
pub mod signal;
pub mod technical;
pub mod vital;
pub mod ward;
pub mod wfdb;

pub use frame::{Frame, FrameError};
pub use vital::{VitalKind, WaveKind};

/// Milliseconds since the Unix epoch, as stamped by the device that measured.
pub type SampleTime = i64;
