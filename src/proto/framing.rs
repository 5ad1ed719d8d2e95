//! Every body-framing decision for outgoing messages, both roles (RFC 9112 §6.3 and §9, as
//! Node 20 applies them, and where Node is unsafe, safer): whether a message may carry a
//! body, which framing header stdhttp adds itself, and whether the framing lets the
//! connection carry another message.
//!
//! Pure code: the server's response and the client's request both describe their headers
//! with [`UserFraming`] and call [`response_framing`] / [`request_framing`]; the parser uses
//! [`BodyFraming`] for incoming messages.
//!
//! ```
//! use stdhttp::proto::framing::{request_framing, AutoHeader, BodyFraming, UserFraming};
//! // `end(b"hello")` on a GET with no framing header of the user's: a length, so no body
//! // bytes can be read as a next request.
//! let d = request_framing(&UserFraming::default(), "GET", Some(5), true);
//! assert_eq!(d.body, BodyFraming::Length(5));
//! assert_eq!(d.header, AutoHeader::ContentLength(5));
//! assert!(d.reusable);
//! ```
#![forbid(unsafe_code)]

/// How a message's body is delimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BodyFraming {
    /// No body.
    #[default]
    None,
    /// Exactly this many bytes (Content-Length).
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the connection closes (a response; an outgoing request that goes
    /// out so is followed by a close).
    UntilClose,
}

/// The framing header stdhttp writes itself (after the user's headers), if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoHeader {
    /// None: the user's headers frame the body, or there is none.
    None,
    /// `Content-Length: n`.
    ContentLength(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// What the user's own headers (and `remove_header` calls) say about framing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserFraming {
    /// A `Transfer-Encoding` header is set; `Some(true)` when it lists `chunked`.
    pub transfer_encoding: Option<bool>,
    /// A `Content-Length` header is set: `Some(Some(n))` when it is one decimal number (or
    /// the same number repeated), `Some(None)` when it is anything else.
    pub content_length: Option<Option<u64>>,
    /// A `Trailer` header is set.
    pub trailer: bool,
    /// `remove_header("content-length")` was called: no automatic length.
    pub removed_length: bool,
    /// `remove_header("transfer-encoding")` was called: no automatic chunked coding.
    pub removed_encoding: bool,
}

impl UserFraming {
    /// Reads a `Content-Length` header's values as [`UserFraming::content_length`] wants:
    /// `None` when there are none (an empty list sends no line at all).
    pub fn length_of<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Option<u64>> {
        let mut seen: Option<Option<u64>> = None;
        for v in values {
            let n = parse_length(v);
            seen = Some(match seen {
                None => n,
                Some(prev) if prev == n => n,
                Some(_) => None,
            });
        }
        seen
    }
}

/// One decimal number with optional surrounding spaces or tabs, as a peer reads it.
fn parse_length(v: &str) -> Option<u64> {
    let v = v.trim_matches(|c| c == ' ' || c == '\t');
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// A framing decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// How the body goes out.
    pub body: BodyFraming,
    /// The header stdhttp adds for it.
    pub header: AutoHeader,
    /// Whether the connection can carry another message after this one; `false` when the
    /// body is delimited by the close (or its framing is the user's own and unknown).
    pub reusable: bool,
}

/// Why a connection did not carry another message: decided in one place per exchange (the
/// response's head by [`response_connection`], then what the exchange left behind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The request said `Connection: close`.
    RequestAsked,
    /// An HTTP/1.0 request without `Connection: keep-alive`.
    Http10,
    /// The response's body is delimited by the close.
    CloseDelimitedBody,
    /// The handler set `Connection: close`.
    UserHeader,
    /// The request expected `100 Continue` and it was not sent (its body may follow).
    ContinueNotSent,
    /// `server.close()` was called.
    ServerClosing,
    /// `max_requests_per_socket` was reached.
    MaxRequests,
    /// Writing the response failed (or it ended short of its `Content-Length`).
    WriteFailed,
    /// The request's unread body was longer than `drain_limit`.
    BodyNotDrained,
    /// A timeout (headers, request, keep-alive idle, inactivity).
    Timeout,
    /// The request could not be parsed (or was refused: 400, 413, 431, 503).
    ParseError,
    /// The peer closed, or the socket was destroyed.
    PeerClosed,
}

impl CloseReason {
    /// Why, in words (the `STDHTTP_DEBUG=http` lines use it).
    ///
    /// ```
    /// use stdhttp::proto::framing::CloseReason;
    /// assert_eq!(CloseReason::RequestAsked.explain(), "the request said `Connection: close`");
    /// ```
    pub fn explain(&self) -> &'static str {
        match self {
            CloseReason::RequestAsked => "the request said `Connection: close`",
            CloseReason::Http10 => "an HTTP/1.0 request without `Connection: keep-alive`",
            CloseReason::CloseDelimitedBody => "the response's body ends with the close",
            CloseReason::UserHeader => "the handler set `Connection: close`",
            CloseReason::ContinueNotSent => "the request expected `100 Continue` and got none",
            CloseReason::ServerClosing => "the server is closing",
            CloseReason::MaxRequests => "`max_requests_per_socket` was reached",
            CloseReason::WriteFailed => "writing the response failed (or it ended short)",
            CloseReason::BodyNotDrained => "the unread request body was over `drain_limit`",
            CloseReason::Timeout => "a timeout (headers, request, keep-alive or inactivity)",
            CloseReason::ParseError => "the request could not be parsed, or was refused",
            CloseReason::PeerClosed => "the peer closed, or the socket was destroyed",
        }
    }
}

/// What decides whether a response lets its connection carry another request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseConnection {
    /// The request did not allow it (`Connection: close`, or HTTP/1.0 without keep-alive).
    pub request_close: Option<CloseReason>,
    /// The server is closing.
    pub server_closing: bool,
    /// The request expected `100 Continue` and none was sent.
    pub continue_not_sent: bool,
    /// The response's framing lets the connection go on ([`Decision::reusable`]).
    pub framing_reusable: bool,
    /// The user set a `Connection` header; `Some(true)` when it lists `close`.
    pub user_connection: Option<bool>,
    /// The user removed the `Connection` header: none is written.
    pub removed_connection: bool,
    /// The last request the socket may carry (`max_requests_per_socket`): it is told
    /// `close`, yet the connection stays open for the requests pipelined behind it.
    pub last_allowed: bool,
}

/// The `Connection` header stdhttp writes itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectionHeader {
    /// None (the user's own, or a removed one).
    None,
    /// `Connection: keep-alive` (and the `Keep-Alive` hint).
    KeepAlive,
    /// `Connection: close`.
    Close,
}

/// Whether the connection can carry another request after this response (`Err`: why not)
/// and which `Connection` header stdhttp writes.
///
/// ```
/// use stdhttp::proto::framing::{response_connection, CloseReason, ConnectionHeader, ResponseConnection};
/// let mut facts = ResponseConnection::default(); // non_exhaustive: set fields on a default
/// facts.framing_reusable = true;
/// assert_eq!(response_connection(&facts), (Ok(()), ConnectionHeader::KeepAlive));
/// let mut closing = facts;
/// closing.server_closing = true;
/// assert_eq!(
///     response_connection(&closing),
///     (Err(CloseReason::ServerClosing), ConnectionHeader::Close)
/// );
/// ```
pub fn response_connection(f: &ResponseConnection) -> (Result<(), CloseReason>, ConnectionHeader) {
    let reason = f
        .request_close
        .or(f.server_closing.then_some(CloseReason::ServerClosing))
        .or(f.continue_not_sent.then_some(CloseReason::ContinueNotSent))
        .or((!f.framing_reusable).then_some(CloseReason::CloseDelimitedBody))
        .or((f.user_connection == Some(true)).then_some(CloseReason::UserHeader));
    let header = if f.user_connection.is_some() || f.removed_connection {
        ConnectionHeader::None
    } else if reason.is_none() && !f.last_allowed {
        ConnectionHeader::KeepAlive
    } else {
        ConnectionHeader::Close
    };
    (reason.map_or(Ok(()), Err), header)
}

/// An error in the user's framing headers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FramingError {
    /// `Trailer` with a body that is not chunked (Node's `ERR_HTTP_TRAILER_INVALID`).
    TrailerInvalid,
}

/// Whether a response to a request with this method may carry a body: never for HEAD, 1xx,
/// 204 and 304 (RFC 9112 §6.3).
pub fn response_has_body(request_method: &str, status: u16) -> bool {
    !(request_method.eq_ignore_ascii_case("HEAD") || status < 200 || status == 204 || status == 304)
}

/// Methods whose requests Node sends without a framing header unless a body is given
/// (`useChunkedEncodingByDefault` is false for them).
pub fn bodiless_by_default(method: &str) -> bool {
    matches!(
        method,
        "GET" | "HEAD" | "DELETE" | "OPTIONS" | "TRACE" | "CONNECT"
    )
}

/// A response's framing (Node's `_storeHeader`): `has_body` from [`response_has_body`],
/// `chunk_allowed` when the request was HTTP/1.1 or sent `TE: chunked`, `known_length`
/// when the whole body is known before the head goes out (`end(data)`).
///
/// ```
/// use stdhttp::proto::framing::{response_framing, BodyFraming, UserFraming};
/// let streamed = response_framing(&UserFraming::default(), true, true, None).unwrap();
/// assert_eq!(streamed.body, BodyFraming::Chunked);
/// let http10 = response_framing(&UserFraming::default(), true, false, None).unwrap();
/// assert_eq!(http10.body, BodyFraming::UntilClose);
/// assert!(!http10.reusable);
/// ```
pub fn response_framing(
    user: &UserFraming,
    has_body: bool,
    chunk_allowed: bool,
    known_length: Option<u64>,
) -> Result<Decision, FramingError> {
    let d = |body, header, reusable| Decision {
        body,
        header,
        reusable,
    };
    let decision = if !has_body {
        // a chunked coding announced on a bodiless response: the peer may wait for chunks
        d(
            BodyFraming::None,
            AutoHeader::None,
            user.transfer_encoding != Some(true),
        )
    } else if let Some(chunked) = user.transfer_encoding {
        if chunked {
            d(BodyFraming::Chunked, AutoHeader::None, true)
        } else {
            d(BodyFraming::UntilClose, AutoHeader::None, false)
        }
    } else if let Some(length) = user.content_length {
        match length {
            Some(n) => d(BodyFraming::Length(n), AutoHeader::None, true),
            None => d(BodyFraming::UntilClose, AutoHeader::None, false),
        }
    } else if !chunk_allowed {
        // HTTP/1.0 without `TE: chunked`: no length header, the close ends the body (Node)
        d(BodyFraming::UntilClose, AutoHeader::None, false)
    } else if let (Some(n), false, false) = (known_length, user.trailer, user.removed_length) {
        d(BodyFraming::Length(n), AutoHeader::ContentLength(n), true)
    } else if !user.removed_encoding {
        // a removed Content-Length only stops the automatic one: chunked it is (Node)
        d(BodyFraming::Chunked, AutoHeader::Chunked, true)
    } else {
        d(BodyFraming::UntilClose, AutoHeader::None, false)
    };
    if user.trailer && has_body && decision.body != BodyFraming::Chunked {
        return Err(FramingError::TrailerInvalid);
    }
    Ok(decision)
}

/// A request's framing. Node's wire bytes where they are safe; where Node would send a body
/// the server cannot delimit on a connection it keeps, a framed one instead, or a close:
///
/// - `known_length` (the body given to `end` before the head went out): `Content-Length`,
///   for every method (Node sends none on GET, DELETE, ...); an empty body on those methods
///   gets no header, as in Node.
/// - a streamed body (`body_follows` without a known length): chunked, for every method.
/// - a removed `Content-Length`: chunked; removed `Content-Length` and `Transfer-Encoding`
///   with a body: the body goes out unframed and the connection is not reusable.
/// - the user's `Transfer-Encoding` without `chunked`, or a `Content-Length` that is not one
///   number: unframed, not reusable.
///
/// `body_follows` is false when the head goes out alone (`flush_headers`); a bodiless-by-
/// default method then gets no framing header and may send no body.
pub fn request_framing(
    user: &UserFraming,
    method: &str,
    known_length: Option<u64>,
    body_follows: bool,
) -> Decision {
    let d = |body, header, reusable| Decision {
        body,
        header,
        reusable,
    };
    let bodiless = bodiless_by_default(method);
    if let Some(chunked) = user.transfer_encoding {
        return if chunked {
            d(BodyFraming::Chunked, AutoHeader::None, true)
        } else {
            d(BodyFraming::UntilClose, AutoHeader::None, false)
        };
    }
    if let Some(length) = user.content_length {
        return match length {
            Some(n) => d(BodyFraming::Length(n), AutoHeader::None, true),
            None => d(BodyFraming::UntilClose, AutoHeader::None, false),
        };
    }
    match known_length {
        Some(0) if bodiless => d(BodyFraming::None, AutoHeader::None, true),
        None if bodiless && !body_follows => d(BodyFraming::None, AutoHeader::None, true),
        Some(n) if !user.removed_length => {
            d(BodyFraming::Length(n), AutoHeader::ContentLength(n), true)
        }
        _ if !user.removed_encoding => d(BodyFraming::Chunked, AutoHeader::Chunked, true),
        Some(0) => d(BodyFraming::None, AutoHeader::None, true),
        _ => d(BodyFraming::UntilClose, AutoHeader::None, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> UserFraming {
        UserFraming::default()
    }

    #[test]
    fn requests_keep_nodes_bytes_where_they_are_safe() {
        // (method, known length, body follows) -> (body, header)
        let table: &[(&str, Option<u64>, bool, BodyFraming, AutoHeader)] = &[
            ("GET", Some(0), false, BodyFraming::None, AutoHeader::None),
            ("GET", None, false, BodyFraming::None, AutoHeader::None),
            (
                "POST",
                Some(0),
                false,
                BodyFraming::Length(0),
                AutoHeader::ContentLength(0),
            ),
            (
                "POST",
                Some(7),
                true,
                BodyFraming::Length(7),
                AutoHeader::ContentLength(7),
            ),
            (
                "POST",
                None,
                true,
                BodyFraming::Chunked,
                AutoHeader::Chunked,
            ),
            (
                "POST",
                None,
                false,
                BodyFraming::Chunked,
                AutoHeader::Chunked,
            ),
            // beyond Node: bodies on the bodiless-by-default methods are framed
            (
                "GET",
                Some(5),
                true,
                BodyFraming::Length(5),
                AutoHeader::ContentLength(5),
            ),
            (
                "DELETE",
                Some(9),
                true,
                BodyFraming::Length(9),
                AutoHeader::ContentLength(9),
            ),
            (
                "DELETE",
                None,
                true,
                BodyFraming::Chunked,
                AutoHeader::Chunked,
            ),
            (
                "OPTIONS",
                None,
                true,
                BodyFraming::Chunked,
                AutoHeader::Chunked,
            ),
        ];
        for &(method, known, follows, body, header) in table {
            let got = request_framing(&user(), method, known, follows);
            assert_eq!(
                (got.body, got.header),
                (body, header),
                "{method} {known:?} {follows}"
            );
            assert!(got.reusable);
        }
    }

    #[test]
    fn a_removed_length_falls_back_to_chunked_and_unframed_bodies_are_not_reusable() {
        let no_length = UserFraming {
            removed_length: true,
            ..user()
        };
        let got = request_framing(&no_length, "DELETE", Some(4), true);
        assert_eq!((got.body, got.reusable), (BodyFraming::Chunked, true));
        let neither = UserFraming {
            removed_length: true,
            removed_encoding: true,
            ..user()
        };
        let got = request_framing(&neither, "POST", Some(4), true);
        assert_eq!((got.body, got.reusable), (BodyFraming::UntilClose, false));
        let got = request_framing(&neither, "POST", Some(0), false);
        assert_eq!((got.body, got.reusable), (BodyFraming::None, true));
        let gzip = UserFraming {
            transfer_encoding: Some(false),
            ..user()
        };
        assert!(!request_framing(&gzip, "POST", None, true).reusable);
        let bad_length = UserFraming {
            content_length: Some(None),
            ..user()
        };
        assert!(!request_framing(&bad_length, "POST", None, true).reusable);
    }

    #[test]
    fn responses_follow_node() {
        let t = |u: &UserFraming, body, chunk, known| response_framing(u, body, chunk, known);
        assert_eq!(
            t(&user(), false, true, Some(5)).unwrap().body,
            BodyFraming::None
        );
        assert_eq!(
            t(&user(), true, true, Some(5)).unwrap().header,
            AutoHeader::ContentLength(5)
        );
        assert_eq!(
            t(&user(), true, true, None).unwrap().header,
            AutoHeader::Chunked
        );
        let with_trailer = UserFraming {
            trailer: true,
            ..user()
        };
        assert_eq!(
            t(&with_trailer, true, true, Some(5)).unwrap().body,
            BodyFraming::Chunked
        );
        assert_eq!(
            t(&with_trailer, true, false, None),
            Err(FramingError::TrailerInvalid)
        );
        let length = UserFraming {
            content_length: Some(Some(3)),
            ..user()
        };
        assert_eq!(
            t(&length, true, true, None).unwrap().body,
            BodyFraming::Length(3)
        );
        let chunked_on_204 = UserFraming {
            transfer_encoding: Some(true),
            ..user()
        };
        assert!(!t(&chunked_on_204, false, true, None).unwrap().reusable);
    }

    #[test]
    fn the_connection_verdict_takes_the_first_reason() {
        let ok = ResponseConnection {
            framing_reusable: true,
            ..Default::default()
        };
        let table: &[(
            ResponseConnection,
            Result<(), CloseReason>,
            ConnectionHeader,
        )] = &[
            (ok, Ok(()), ConnectionHeader::KeepAlive),
            (
                ResponseConnection {
                    request_close: Some(CloseReason::Http10),
                    ..ok
                },
                Err(CloseReason::Http10),
                ConnectionHeader::Close,
            ),
            (
                ResponseConnection {
                    framing_reusable: false,
                    ..ok
                },
                Err(CloseReason::CloseDelimitedBody),
                ConnectionHeader::Close,
            ),
            (
                ResponseConnection {
                    user_connection: Some(true),
                    ..ok
                },
                Err(CloseReason::UserHeader),
                ConnectionHeader::None,
            ),
            (
                ResponseConnection {
                    user_connection: Some(false),
                    ..ok
                },
                Ok(()),
                ConnectionHeader::None,
            ),
            (
                ResponseConnection {
                    last_allowed: true,
                    ..ok
                },
                Ok(()),
                ConnectionHeader::Close,
            ),
            (
                ResponseConnection {
                    continue_not_sent: true,
                    server_closing: true,
                    ..ok
                },
                Err(CloseReason::ServerClosing),
                ConnectionHeader::Close,
            ),
            (
                ResponseConnection {
                    removed_connection: true,
                    ..ok
                },
                Ok(()),
                ConnectionHeader::None,
            ),
        ];
        for (facts, verdict, header) in table {
            assert_eq!(response_connection(facts), (*verdict, *header), "{facts:?}");
        }
    }

    #[test]
    fn content_length_values_are_one_number_or_invalid() {
        assert_eq!(UserFraming::length_of(["5"]), Some(Some(5)));
        assert_eq!(UserFraming::length_of([" 5\t"]), Some(Some(5)));
        assert_eq!(UserFraming::length_of(["5", "5"]), Some(Some(5)));
        assert_eq!(UserFraming::length_of(["5", "6"]), Some(None));
        assert_eq!(UserFraming::length_of(["5, 5"]), Some(None));
        assert_eq!(UserFraming::length_of(["-1"]), Some(None));
        assert_eq!(UserFraming::length_of([""]), Some(None));
        assert_eq!(UserFraming::length_of(Vec::<&str>::new()), None);
        assert_eq!(
            UserFraming::length_of(["99999999999999999999999"]),
            Some(None)
        );
    }

    #[test]
    fn bodies_are_allowed_by_method_and_status() {
        assert!(!response_has_body("HEAD", 200));
        assert!(!response_has_body("GET", 204));
        assert!(!response_has_body("GET", 304));
        assert!(!response_has_body("GET", 101));
        assert!(response_has_body("GET", 200));
        assert!(response_has_body("POST", 404));
    }
}
