//! The HTTP client: [`RequestOptions`] (what to request, Node's option names) and, as they
//! land, the request and the agent (connection pool).
#![forbid(unsafe_code)]

mod agent;
pub mod options;
mod request;
mod url;

pub use agent::{global_agent, Agent, AgentOptions, Scheduling, IDLE_SWEEP_INTERVAL_MS};
pub use options::{AgentChoice, CreateConnection, RequestOptions};
#[allow(deprecated)]
pub use request::{
    create_client, get, request, Client, ClientRequest, IntoRequestOptions, CONTINUE_TIMEOUT_MS,
};
