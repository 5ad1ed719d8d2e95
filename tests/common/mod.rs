//! Shared helpers for the integration tests.
#![allow(dead_code)]

pub mod client;
pub mod json;
pub mod node;
