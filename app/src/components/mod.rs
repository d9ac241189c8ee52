//! Building blocks of the pages.

pub mod advisory;
pub mod alarms;
pub mod bed_panels;
pub mod connection;
pub mod family_invite;
pub mod history;
pub mod sparkline;
pub mod staff;
pub mod tile;
pub mod trend_chart;
pub mod waveform;
