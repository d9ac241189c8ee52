//! One module per route.

pub mod account;
pub mod admin;
pub mod bed;
pub mod family;
pub mod invite;
pub mod signin;
pub mod ward;
