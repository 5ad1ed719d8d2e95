//! `STDHTTP_DEBUG=http`, stdhttp's `NODE_DEBUG=http`: one line on stderr per connection
//! event of a server (accepted, each request's head, its response's status, the keep-alive
//! verdict with its reason, parked, closed with its reason), in both wait models:
//!
//! ```text
//! HTTP 4242: SERVER conn 1 accepted from 127.0.0.1:51234
//! HTTP 4242: SERVER conn 1 parked
//! HTTP 4242: SERVER conn 1 request GET /first
//! HTTP 4242: SERVER conn 1 response 200
//! HTTP 4242: SERVER conn 1 keep-alive: yes
//! ```
//!
//! The variable is read once per process, when the first event happens: a comma-separated
//! list, case-insensitive, in which `http` or `*` turns this on (as `NODE_DEBUG`). When it
//! is off an event costs one load of a flag that is already set; nothing is formatted.
#![forbid(unsafe_code)]

use std::io::Write;
use std::sync::OnceLock;

static HTTP: OnceLock<bool> = OnceLock::new();

/// Whether `STDHTTP_DEBUG` names `http` (read once per process).
#[inline]
pub(crate) fn http_enabled() -> bool {
    *HTTP.get_or_init(|| {
        std::env::var("STDHTTP_DEBUG").is_ok_and(|v| {
            v.split(',')
                .any(|s| s.trim().eq_ignore_ascii_case("http") || s.trim() == "*")
        })
    })
}

/// Write one event line (`HTTP <pid>: SERVER <event>`) to stderr in one write, so lines of
/// different threads do not interleave. A failing stderr is ignored: debugging output must
/// not break a server.
#[cold]
pub(crate) fn server_line(event: std::fmt::Arguments<'_>) {
    let line = format!("HTTP {}: SERVER {event}\n", std::process::id());
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Log a server event when `STDHTTP_DEBUG=http`: `debug_http!("conn {id} parked")`. The
/// arguments are not evaluated or formatted when it is off.
macro_rules! debug_http {
    ($($arg:tt)+) => {
        if $crate::debug::http_enabled() {
            $crate::debug::server_line(format_args!($($arg)+));
        }
    };
}
pub(crate) use debug_http;
