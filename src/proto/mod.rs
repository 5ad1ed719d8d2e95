//! The protocol core: pure HTTP/1.1 code with no sockets, threads or clocks ("sans-IO").
//!
//! - [`parser`]: the resumable request/response parser (also re-exported as
//!   [`stdhttp::parser`](crate::parser)).
//! - [`headers`]: Node's `headers` / `rawHeaders` rules.
//! - [`canned`]: the answers a server writes by itself (400/408/413/431, 503, 100) and the
//!   `Expect` / `Keep-Alive` rules.
//! - [`framing`]: every body-framing decision for outgoing messages, both roles.
//! - [`encode`]: status and request lines, validated header lines, chunked framing.
//! - [`status`]: `METHODS`, `STATUS_CODES` and the byte-class tables.
//! - [`target`]: the request target's path and query, and query strings read and written
//!   as Node's `URLSearchParams` does.
#![forbid(unsafe_code)]

pub mod canned;
pub mod encode;
pub mod framing;
pub mod headers;
pub mod parser;
pub mod status;
pub mod target;
