//! The answers a server writes by itself, byte for byte as Node 20 writes them, and the
//! small header-token rules both roles share (`Expect: 100-continue`, `Keep-Alive`). The
//! I/O layers write these bytes; they do not spell HTTP themselves.
//!
//! ```
//! use stdhttp::{parser::ErrorCode, proto::canned, ErrorKind};
//! assert_eq!(
//!     canned::client_error(ErrorKind::Hpe(ErrorCode::HeaderOverflow)),
//!     b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"
//! );
//! assert!(canned::expects_continue("100-Continue"));
//! assert_eq!(canned::keep_alive_timeout_ms("timeout=5, max=100"), Some(5000));
//! ```
#![forbid(unsafe_code)]

use super::encode::{put_dec, CRLF};
use crate::parser::ErrorCode;
use crate::ErrorKind;

/// `100 Continue`, sent before a body the client waits to send.
pub const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// `102 Processing` (Node's `writeProcessing`): the request is being worked on.
pub const PROCESSING: &[u8] = b"HTTP/1.1 102 Processing\r\n\r\n";

/// The answer to a connection the server has no room for (workers and queue full).
pub const SHED: &[u8] =
    b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

/// Node's default answer to a client error with this code (its `clientError` default):
/// 431 for a head too large, 413 for a body or chunk extensions too large, 408 for a
/// request too slow, 400 for anything else. Each says `Connection: close` and has no body.
pub fn client_error(kind: ErrorKind) -> &'static [u8] {
    match kind {
        ErrorKind::Hpe(ErrorCode::HeaderOverflow) => {
            b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"
        }
        ErrorKind::Hpe(ErrorCode::ChunkExtensionsOverflow) | ErrorKind::BodyTooLarge => {
            b"HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n"
        }
        ErrorKind::RequestTimeout => b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n",
        _ => b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n",
    }
}

/// Why the server refuses a request it has read the head of, answering by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// HTTP/1.1 without `Host`: 400.
    HostMissing,
    /// Past `max_requests_per_socket`: 503.
    TooManyRequests,
}

/// Node's automatic answer to a refused request: an empty chunked body (none at all for a
/// HEAD request, as Node's `ServerResponse` leaves it off), then close. `date` writes the
/// `Date` line (Node's 400 has `Connection` before `Date`, its 503 after).
pub fn refusal(buf: &mut Vec<u8>, why: Refusal, head: bool, date: impl FnOnce(&mut Vec<u8>)) {
    match why {
        Refusal::HostMissing => {
            buf.extend_from_slice(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n");
            date(buf);
        }
        Refusal::TooManyRequests => {
            buf.extend_from_slice(b"HTTP/1.1 503 Service Unavailable\r\n");
            date(buf);
            buf.extend_from_slice(b"Connection: close\r\n");
        }
    }
    if head {
        buf.extend_from_slice(CRLF);
    } else {
        buf.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    }
}

/// `Keep-Alive: timeout=N[, max=M]`, the server's hint after `Connection: keep-alive`.
pub fn write_keep_alive(buf: &mut Vec<u8>, timeout_secs: u64, max: Option<u32>) {
    buf.extend_from_slice(b"Keep-Alive: timeout=");
    put_dec(buf, timeout_secs);
    if let Some(max) = max {
        buf.extend_from_slice(b", max=");
        put_dec(buf, u64::from(max));
    }
    buf.extend_from_slice(CRLF);
}

/// The `timeout=N` of a `Keep-Alive` value, in ms (what a client reads of the hint).
pub fn keep_alive_timeout_ms(value: &str) -> Option<u64> {
    value.split(',').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("timeout") {
            v.trim().parse::<u64>().ok().map(|s| s.saturating_mul(1000))
        } else {
            None
        }
    })
}

/// Whether an `Expect` value asks for `100 Continue`: the token `100-continue`, any case,
/// not inside a longer word (Node: `(^|\W)100-continue($|\W)`). The server and the client
/// both use this rule.
pub fn expects_continue(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let b = lower.as_bytes();
    let pat = b"100-continue";
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    (0..b.len().saturating_sub(pat.len() - 1)).any(|i| {
        b[i..].starts_with(pat)
            && (i == 0 || !word(b[i - 1]))
            && b.get(i + pat.len()).is_none_or(|&c| !word(c))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expect_100_continue_matches_as_a_word() {
        assert!(expects_continue("100-continue"));
        assert!(expects_continue("100-Continue"));
        assert!(expects_continue("foo, 100-continue"));
        assert!(!expects_continue("100-continuex"));
        assert!(!expects_continue("x100-continue"));
        assert!(!expects_continue("200-ok"));
    }

    #[test]
    fn keep_alive_hint_round_trips() {
        let mut buf = Vec::new();
        write_keep_alive(&mut buf, 5, Some(100));
        assert_eq!(buf, b"Keep-Alive: timeout=5, max=100\r\n");
        assert_eq!(keep_alive_timeout_ms("timeout=5, max=100"), Some(5000));
        assert_eq!(keep_alive_timeout_ms("max=3"), None);
        assert_eq!(keep_alive_timeout_ms("TIMEOUT = 2"), Some(2000));
    }

    #[test]
    fn refusals_are_nodes_bytes() {
        let mut buf = Vec::new();
        let date = |b: &mut Vec<u8>| b.extend_from_slice(b"Date: d\r\n");
        refusal(&mut buf, Refusal::HostMissing, false, date);
        assert_eq!(
            buf,
            b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nDate: d\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        );
        // found by the server_conn fuzz target: a HEAD answer has no body (Node 20's bytes)
        buf.clear();
        refusal(&mut buf, Refusal::HostMissing, true, date);
        assert_eq!(
            buf,
            b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nDate: d\r\n\r\n"
        );
    }
}
