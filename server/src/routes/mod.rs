//! HTTP and WebSocket routes; the layout mirrors the URLs.
//!
//! - `GET /health`: liveness and database reachability.
//! - `GET /ws/device`: device ingest ([`device_ws`]), bearer device token.
//! - `GET /ws/live`: tablets' live feed ([`live_ws`]).
//! - `GET /api/beds/{bed}/trend`: numeric trends, `GET /api/beds/{bed}/waves`:
//!   full disclosure ([`trend`]).
//! - `/api/session`, `/api/me...`: signing in and out ([`session`]).
//! - `/api/admin/...`, `/api/wards`, `/api/audit`: administration ([`admin`]).
//! - `/api/invitations...`: caregiver invitations ([`invitations`]).
//! - `GET /api/family`: the family portal's data ([`family`]).
//! - everything else: the central-station app (SSR) and its static files.

pub mod admin;
pub mod device_ws;
pub mod family;
pub mod headers;
pub mod health;
pub mod invitations;
pub mod live_ws;
pub mod params;
pub mod session;
pub mod trend;
