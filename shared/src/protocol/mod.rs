//! Protocol v1 on the wire: JSON text messages over WebSockets.
//!
//! - [`device`]: a bedside device (monitor, wearable, gateway, simulator,
//!   replay) sends [`device::DeviceMessage`]s to `/ws/device` with a bearer token;
//!   the server answers with [`device::ServerToDevice`].
//! - [`live`]: a tablet talks to `/ws/live` with [`live::ClientMessage`] and
//!   receives [`live::ServerMessage`].

pub mod device;
pub mod journal;
pub mod live;

/// The protocol version this build speaks; sent in every greeting.
pub const PROTOCOL_VERSION: u32 = 1;
