//! # stdhttp
//!
//! Node.js's `http` module, re-made for Rust with nothing but `std`: a synchronous
//! HTTP/1.1 library whose behaviour is Node 20's: handlers run on worker threads with blocking
//! I/O, and idle connections wait in epoll (or one thread each, if you choose).
//!
//! If you know `http.createServer`, `req.headers`, `res.writeHead` and `http.get`, you know
//! stdhttp: the names are Node's in Rust case ([`create_server`], [`IncomingMessage::headers`],
//! [`ServerResponse::write_head`], [`get`]), events are `on_<event>` callbacks, and errors
//! carry Node's codes ([`Error::code`]).
//!
//! ## A server and a client
//!
//! ```
//! use std::io::Read;
//!
//! // Node: http.createServer((req, res) => { ... }).listen(0, '127.0.0.1')
//! let server = stdhttp::create_server(|mut req, mut res| {
//!     let body = req.text_limited(1 << 20).unwrap_or_default(); // at most 1 MiB held
//!     res.set_header("Content-Type", "text/plain").unwrap();
//!     res.end(format!("{} {} got {:?}", req.method().unwrap_or(""), req.url(), body).as_bytes())
//!         .unwrap();
//! });
//! server.listen("127.0.0.1:0")?;
//! let port = server.address().and_then(|a| a.port()).unwrap();
//!
//! // Node: http.request({ method: 'POST', ... }).end('hi')
//! let url = format!("http://127.0.0.1:{port}/greet");
//! let req = stdhttp::request(stdhttp::RequestOptions::from_url(&url)?.method("POST"))?;
//! let mut res = req.end(b"hi")?; // Content-Length: 2
//!
//! assert_eq!(res.status_code(), 200);
//! assert_eq!(res.headers().get_str("content-type"), Some("text/plain"));
//! let mut text = String::new();
//! res.read_to_string(&mut text)?;
//! assert_eq!(text, "POST /greet got \"hi\"");
//!
//! server.close()?;
//! server.join();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Underneath sit the protocol core: the strict, resumable [`parser`] (Node 20's llhttp
//! strict mode, `HPE_*` error codes), Node's header merge rules ([`proto::headers`]) and the
//! validating encoder ([`proto::encode`]).
//!
//! ## The parser on its own
//!
//! ```
//! use stdhttp::parser::{Flow, Handler, Head, Parser};
//!
//! #[derive(Default)]
//! struct Collect { url: Vec<u8>, host: Vec<u8>, body: Vec<u8>, done: bool }
//!
//! impl Handler for Collect {
//!     fn on_headers_complete(&mut self, head: &Head<'_>) -> Flow {
//!         self.url = head.url().to_vec();
//!         self.host = head.header(b"host").unwrap_or_default().to_vec();
//!         Flow::Continue
//!     }
//!     fn on_body(&mut self, data: &[u8]) -> Flow {
//!         self.body.extend_from_slice(data);
//!         Flow::Continue
//!     }
//!     fn on_message_complete(&mut self) -> Flow {
//!         self.done = true;
//!         Flow::Continue
//!     }
//! }
//!
//! let mut parser = Parser::request();
//! let mut c = Collect::default();
//! let input = b"POST /submit HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello";
//! // Any split of the input gives the same result.
//! parser.execute(&input[..20], &mut c).unwrap();
//! parser.execute(&input[20..], &mut c).unwrap();
//! assert_eq!(c.url, b"/submit");
//! assert_eq!(c.host, b"example.com");
//! assert_eq!(c.body, b"hello");
//! assert!(c.done);
//! ```
//!
//! ## Watching connections: `STDHTTP_DEBUG=http`
//!
//! Node's `NODE_DEBUG=http` has a counterpart: run a program with `STDHTTP_DEBUG=http` and
//! its servers print one line per connection event to stderr (a comma-separated list, read
//! once per process; `http` or `*` turns it on). Connections are numbered across the
//! process; each keep-alive verdict and close says why:
//!
//! ```text
//! HTTP 4242: SERVER conn 7 accepted from 127.0.0.1:51234
//! HTTP 4242: SERVER conn 7 parked
//! HTTP 4242: SERVER conn 7 request GET /first
//! HTTP 4242: SERVER conn 7 response 200
//! HTTP 4242: SERVER conn 7 keep-alive: yes
//! HTTP 4242: SERVER conn 7 parked
//! HTTP 4242: SERVER conn 7 request GET /second
//! HTTP 4242: SERVER conn 7 response 200
//! HTTP 4242: SERVER conn 7 keep-alive: no (the request said `Connection: close`)
//! HTTP 4242: SERVER conn 7 closed (the request said `Connection: close`)
//! ```
//!
//! (`parked`: the connection waits in epoll; with [`WaitModel::ThreadPerConnection`] the
//! line is `waiting on its thread`.) Unset, it costs one check of a flag per event.
#![deny(missing_docs)]
#![deny(unsafe_code)]

pub mod client;
mod debug;
mod error;
mod message;
mod net;
mod outgoing;
mod pipe;
pub mod proto;
mod reader;
mod server;
// the one module allowed `unsafe`: socket options std has no API for
#[allow(unsafe_code)]
mod sys;

#[allow(deprecated)]
pub use client::{
    create_client, get, global_agent, request, Agent, AgentChoice, AgentOptions, Client,
    ClientRequest, CreateConnection, IntoRequestOptions, RequestOptions, Scheduling,
    CONTINUE_TIMEOUT_MS, IDLE_SWEEP_INTERVAL_MS,
};
pub use error::{Error, ErrorKind};
pub use message::IncomingMessage;
pub use net::{Socket, Transport};
pub use outgoing::{HeaderValue, NameValue, HIGH_WATER_MARK};
pub use proto::headers::{FieldValue, Folding, Headers, HeadersDistinct, RawHeaders};
pub use proto::parser;
pub use proto::status::{status_text, METHODS, STATUS_CODES};
pub use proto::target::RequestTarget;
pub use server::*;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

// The pages under docs/, compiled and run as doctests too, so their examples stay correct (a
// page with no Rust block costs nothing; a block that is not Rust must say so: ```text).
/// docs/server.md's examples.
#[cfg(doctest)]
#[doc = include_str!("../docs/server.md")]
pub struct DocsServerDoctests;

/// docs/client.md's examples.
#[cfg(doctest)]
#[doc = include_str!("../docs/client.md")]
pub struct DocsClientDoctests;

/// docs/parser.md's examples.
#[cfg(doctest)]
#[doc = include_str!("../docs/parser.md")]
pub struct DocsParserDoctests;

/// docs/defaults.md's examples.
#[cfg(doctest)]
#[doc = include_str!("../docs/defaults.md")]
pub struct DocsDefaultsDoctests;

/// docs/timeouts.md's examples.
#[cfg(doctest)]
#[doc = include_str!("../docs/timeouts.md")]
pub struct DocsTimeoutsDoctests;

/// docs/differences-from-node.md's examples.
#[cfg(doctest)]
#[doc = include_str!("../docs/differences-from-node.md")]
pub struct DocsDifferencesDoctests;

/// docs/benchmarks.md's examples.
#[cfg(doctest)]
#[doc = include_str!("../docs/benchmarks.md")]
pub struct DocsBenchmarksDoctests;

/// docs/robustness.md's examples.
#[cfg(doctest)]
#[doc = include_str!("../docs/robustness.md")]
pub struct DocsRobustnessDoctests;

/// docs/testing.md's examples.
#[cfg(doctest)]
#[doc = include_str!("../docs/testing.md")]
pub struct DocsTestingDoctests;
