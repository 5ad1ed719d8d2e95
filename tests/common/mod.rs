//! Shared helpers for the integration tests.
#![allow(dead_code)]

pub mod client;
pub mod example;
pub mod json;
pub mod node;
pub mod server;
