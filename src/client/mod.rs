//! The HTTP client: [`RequestOptions`] (what to request, Node's option names) and, as they
//! land, the request and the agent (connection pool).
#![forbid(unsafe_code)]

pub mod options;
mod url;

pub use options::{AgentChoice, RequestOptions};
