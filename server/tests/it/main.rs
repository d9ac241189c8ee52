//! The server's integration tests, one binary: the API over real sockets
//! ([`api`]) and the PhysioNet readers against the real recordings
//! ([`physionet`], reading `../shared/data`).

mod api;
mod physionet;
