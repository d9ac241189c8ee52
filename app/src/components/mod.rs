//! Building blocks of the pages.

pub mod alarms;
pub mod bed_panels;
pub mod connection;
pub mod history;
pub mod sparkline;
pub mod tile;
pub mod trend_chart;
pub mod waveform;
