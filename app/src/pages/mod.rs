//! One module per route.

pub mod bed;
pub mod ward;
