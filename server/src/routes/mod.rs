//! HTTP and WebSocket routes; the layout mirrors the URLs.
//!
//! - `GET /health`: liveness and database reachability.
//! - `GET /ws/device`: device ingest ([`device_ws`]), bearer device token.
//! - `GET /ws/live`: tablets' live feed ([`live_ws`]).
//! - `GET /api/beds/{bed}/trend`: numeric trends, `GET /api/beds/{bed}/waves`:
//!   full disclosure ([`trend`]).
//! - everything else: the central-station app (SSR) and its static files.

pub mod device_ws;
pub mod health;
pub mod live_ws;
pub mod trend;
