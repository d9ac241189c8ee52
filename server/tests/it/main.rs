//! The server's integration tests, one binary: the API over real sockets
//! ([`api`]), acknowledgements and limit changes as audited events
//! ([`events`]) and the PhysioNet readers against the real recordings
//! ([`physionet`], reading `../shared/data`).

mod api;
mod events;
mod physionet;
