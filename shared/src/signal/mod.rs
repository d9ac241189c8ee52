//! Signal processing that runs one sample at a time, natively and in the
//! browser: filters, QRS detection on the ECG, pulse detection on the
//! photoplethysmogram and arterial pressure.

pub mod ec57;
pub mod filter;
pub mod pulse;
pub mod qrs;
