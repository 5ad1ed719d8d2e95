//! [`Error`] and [`ErrorKind`]: every failure stdhttp reports, with Node's error code and a type to match on.
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::sync::Arc;

use crate::parser::{ErrorCode, ParseError};

/// What went wrong, as a type to match on: one variant per Node code stdhttp reports
/// ([`ErrorKind::code`] gives the code), the parser's `HPE_*` codes, and other I/O errors
/// (`EIO`). New variants may come: match with a `_` arm.
///
/// ```
/// use stdhttp::{Error, ErrorKind};
/// let err = Error::new(ErrorKind::HeadersSent, "Cannot set headers after they are sent to the client");
/// match err.kind() {
///     ErrorKind::HeadersSent => {}
///     other => panic!("unexpected {other:?}"),
/// }
/// assert_eq!(err.code(), "ERR_HTTP_HEADERS_SENT");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// `ECONNREFUSED`: Nothing listens at the address (`connect ECONNREFUSED ...`).
    ConnectionRefused,
    /// `ECONNRESET`: The peer closed or reset the connection: `socket hang up` before a response, `aborted` in a body.
    ConnectionReset,
    /// `ECONNABORTED`: The connection was aborted by the local system.
    ConnectionAborted,
    /// `ETIMEDOUT`: A read, write or connect waited longer than its timeout.
    TimedOut,
    /// `EADDRINUSE`: The address to listen on is taken.
    AddrInUse,
    /// `EADDRNOTAVAIL`: The local address does not exist on this machine.
    AddrNotAvailable,
    /// `ENOENT`: A Unix socket path does not exist.
    FileNotFound,
    /// `EACCES`: Not allowed (a privileged port, a socket file's mode).
    PermissionDenied,
    /// `ENOTFOUND`: The host name did not resolve (`getaddrinfo ENOTFOUND ...`).
    HostNotFound,
    /// `ERR_HTTP_HEADERS_SENT`: A header change or `write_head` after the head was sent.
    HeadersSent,
    /// `ERR_HTTP_INVALID_STATUS_CODE`: A status code outside 100–999.
    InvalidStatusCode,
    /// `ERR_HTTP_TRAILER_INVALID`: Trailers on a response that is not chunked.
    TrailerInvalid,
    /// `ERR_HTTP_CONTENT_LENGTH_MISMATCH`: A body longer or shorter than the `Content-Length` the caller set.
    ContentLengthMismatch,
    /// `ERR_HTTP_BODY_TOO_LARGE`: A body larger than the limit it was read with (stdhttp's own code).
    BodyTooLarge,
    /// `ERR_HTTP_BODY_NOT_ALLOWED`: Body bytes where the message may have none.
    BodyNotAllowed,
    /// `ERR_HTTP_REQUEST_TIMEOUT`: The request's head or body did not arrive in time (the server answers 408).
    RequestTimeout,
    /// `ERR_STREAM_WRITE_AFTER_END`: A write after `end`.
    WriteAfterEnd,
    /// `ERR_INVALID_HTTP_TOKEN`: A header name or method that is not an HTTP token.
    InvalidHttpToken,
    /// `ERR_INVALID_CHAR`: A header value or status message with a forbidden character.
    InvalidChar,
    /// `ERR_UNESCAPED_CHARACTERS`: A request path with characters that must be escaped.
    UnescapedCharacters,
    /// `ERR_INVALID_URL`: A URL that does not parse.
    InvalidUrl,
    /// `ERR_INVALID_PROTOCOL`: A URL whose scheme is not `http:`.
    InvalidProtocol,
    /// `ERR_INVALID_IP_ADDRESS`: A `local_address` that is not an IP address.
    InvalidIpAddress,
    /// `ERR_INVALID_ARG_VALUE`: An argument of the right type with a wrong value (a
    /// malformed early-hints link).
    InvalidArgValue,
    /// `ERR_SERVER_ALREADY_LISTEN`: `listen` on a server that is listening.
    ServerAlreadyListen,
    /// `ERR_SERVER_NOT_RUNNING`: `close` on a server that is not listening.
    ServerNotRunning,
    /// `HPE_*`: the parser refused the bytes (see [`ParseError`]).
    Hpe(ErrorCode),
    /// `EIO`: another I/O error, of this kind (see [`Error::io_error`]).
    Io(io::ErrorKind),
}

impl ErrorKind {
    /// Node's code: `"ECONNRESET"`, `"ERR_HTTP_HEADERS_SENT"`, `"HPE_HEADER_OVERFLOW"`, ...
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::ConnectionRefused => "ECONNREFUSED",
            ErrorKind::ConnectionReset => "ECONNRESET",
            ErrorKind::ConnectionAborted => "ECONNABORTED",
            ErrorKind::TimedOut => "ETIMEDOUT",
            ErrorKind::AddrInUse => "EADDRINUSE",
            ErrorKind::AddrNotAvailable => "EADDRNOTAVAIL",
            ErrorKind::FileNotFound => "ENOENT",
            ErrorKind::PermissionDenied => "EACCES",
            ErrorKind::HostNotFound => "ENOTFOUND",
            ErrorKind::HeadersSent => "ERR_HTTP_HEADERS_SENT",
            ErrorKind::InvalidStatusCode => "ERR_HTTP_INVALID_STATUS_CODE",
            ErrorKind::TrailerInvalid => "ERR_HTTP_TRAILER_INVALID",
            ErrorKind::ContentLengthMismatch => "ERR_HTTP_CONTENT_LENGTH_MISMATCH",
            ErrorKind::BodyTooLarge => "ERR_HTTP_BODY_TOO_LARGE",
            ErrorKind::BodyNotAllowed => "ERR_HTTP_BODY_NOT_ALLOWED",
            ErrorKind::RequestTimeout => "ERR_HTTP_REQUEST_TIMEOUT",
            ErrorKind::WriteAfterEnd => "ERR_STREAM_WRITE_AFTER_END",
            ErrorKind::InvalidHttpToken => "ERR_INVALID_HTTP_TOKEN",
            ErrorKind::InvalidChar => "ERR_INVALID_CHAR",
            ErrorKind::UnescapedCharacters => "ERR_UNESCAPED_CHARACTERS",
            ErrorKind::InvalidUrl => "ERR_INVALID_URL",
            ErrorKind::InvalidProtocol => "ERR_INVALID_PROTOCOL",
            ErrorKind::InvalidIpAddress => "ERR_INVALID_IP_ADDRESS",
            ErrorKind::InvalidArgValue => "ERR_INVALID_ARG_VALUE",
            ErrorKind::ServerAlreadyListen => "ERR_SERVER_ALREADY_LISTEN",
            ErrorKind::ServerNotRunning => "ERR_SERVER_NOT_RUNNING",
            ErrorKind::Hpe(code) => code.as_str(),
            ErrorKind::Io(_) => "EIO",
        }
    }

    /// The kind with Node code `code` (not `EIO`, which has many kinds), if stdhttp reports
    /// it.
    ///
    /// ```
    /// use stdhttp::{parser::ErrorCode, ErrorKind};
    /// assert_eq!(ErrorKind::from_code("ECONNRESET"), Some(ErrorKind::ConnectionReset));
    /// assert_eq!(ErrorKind::from_code("HPE_INVALID_METHOD"), Some(ErrorKind::Hpe(ErrorCode::InvalidMethod)));
    /// assert_eq!(ErrorKind::from_code("EWHATEVER"), None);
    /// ```
    pub fn from_code(code: &str) -> Option<ErrorKind> {
        ErrorKind::NAMED
            .iter()
            .copied()
            .find(|k| k.code() == code)
            .or_else(|| ErrorCode::from_code(code).map(ErrorKind::Hpe))
    }

    /// The kind an I/O error reports as: `ECONNRESET` for a reset, broken pipe or cut
    /// stream, `ETIMEDOUT` for a timeout (a socket timeout reads as `WouldBlock`), and so
    /// on; [`ErrorKind::Io`] for the rest.
    pub fn of_io(kind: io::ErrorKind) -> ErrorKind {
        use io::ErrorKind as K;
        match kind {
            K::ConnectionRefused => ErrorKind::ConnectionRefused,
            K::ConnectionReset | K::BrokenPipe | K::UnexpectedEof => ErrorKind::ConnectionReset,
            K::ConnectionAborted => ErrorKind::ConnectionAborted,
            K::TimedOut | K::WouldBlock => ErrorKind::TimedOut,
            K::AddrInUse => ErrorKind::AddrInUse,
            K::AddrNotAvailable => ErrorKind::AddrNotAvailable,
            K::NotFound => ErrorKind::FileNotFound,
            K::PermissionDenied => ErrorKind::PermissionDenied,
            other => ErrorKind::Io(other),
        }
    }

    /// Every kind with a code of its own (what [`from_code`](Self::from_code) looks in).
    #[doc(hidden)]
    pub const NAMED: &'static [ErrorKind] = &[
        ErrorKind::ConnectionRefused,
        ErrorKind::ConnectionReset,
        ErrorKind::ConnectionAborted,
        ErrorKind::TimedOut,
        ErrorKind::AddrInUse,
        ErrorKind::AddrNotAvailable,
        ErrorKind::FileNotFound,
        ErrorKind::PermissionDenied,
        ErrorKind::HostNotFound,
        ErrorKind::HeadersSent,
        ErrorKind::InvalidStatusCode,
        ErrorKind::TrailerInvalid,
        ErrorKind::ContentLengthMismatch,
        ErrorKind::BodyTooLarge,
        ErrorKind::BodyNotAllowed,
        ErrorKind::RequestTimeout,
        ErrorKind::WriteAfterEnd,
        ErrorKind::InvalidHttpToken,
        ErrorKind::InvalidChar,
        ErrorKind::UnescapedCharacters,
        ErrorKind::InvalidUrl,
        ErrorKind::InvalidProtocol,
        ErrorKind::InvalidIpAddress,
        ErrorKind::InvalidArgValue,
        ErrorKind::ServerAlreadyListen,
        ErrorKind::ServerNotRunning,
    ];
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An error with the code Node.js would put in `err.code` (`ERR_INVALID_CHAR`,
/// `HPE_INVALID_METHOD`, `ECONNRESET`, ...), its [`ErrorKind`] to match on, and a message
/// saying what was wrong.
///
/// Match on [`Error::kind`] (or compare [`Error::code`]), never on the message text.
///
/// ```
/// use stdhttp::{Error, ErrorKind};
/// let err = Error::new(ErrorKind::InvalidHttpToken, "Header name must be a valid HTTP token [\"Bad Name\"]");
/// assert_eq!(err.kind(), ErrorKind::InvalidHttpToken);
/// assert_eq!(err.code(), "ERR_INVALID_HTTP_TOKEN");
/// ```
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    parse: Option<ParseError>,
    io: Option<io::Error>,
    raw_packet: Option<Arc<[u8]>>,
}

impl Error {
    /// An error of `kind` with a human-readable `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            parse: None,
            io: None,
            raw_packet: None,
        }
    }

    /// What went wrong, to match on.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// Node's error code, e.g. `"ERR_INVALID_HTTP_TOKEN"` or `"HPE_HEADER_OVERFLOW"`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The message, worded like Node's (`Parse Error: Header overflow`, ...).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The parser error behind this error, when it is an `HPE_*` error.
    pub fn parse_error(&self) -> Option<&ParseError> {
        self.parse.as_ref()
    }

    /// The same error with another message.
    pub(crate) fn with_message(mut self, message: impl Into<String>) -> Error {
        self.message = message.into();
        self
    }

    /// The I/O error behind this error, when there is one.
    pub fn io_error(&self) -> Option<&io::Error> {
        self.io.as_ref()
    }

    // One constructor per code whose wording is fixed (Node's messages).

    /// `ERR_HTTP_HEADERS_SENT`: `verb` is `set`, `remove`, `write`, ...
    pub(crate) fn headers_sent(verb: &str) -> Error {
        Error::new(
            ErrorKind::HeadersSent,
            format!("Cannot {verb} headers after they are sent to the client"),
        )
    }

    /// `ERR_HTTP_INVALID_STATUS_CODE`.
    pub(crate) fn invalid_status_code(code: impl fmt::Display) -> Error {
        Error::new(
            ErrorKind::InvalidStatusCode,
            format!("Invalid status code: {code}"),
        )
    }

    /// `ERR_SERVER_ALREADY_LISTEN`.
    pub(crate) fn already_listening() -> Error {
        Error::new(
            ErrorKind::ServerAlreadyListen,
            "Listen method has been called more than once without closing.",
        )
    }

    /// `ERR_SERVER_NOT_RUNNING`.
    pub(crate) fn not_running() -> Error {
        Error::new(ErrorKind::ServerNotRunning, "Server is not running.")
    }

    /// `ERR_STREAM_WRITE_AFTER_END`.
    pub(crate) fn write_after_end() -> Error {
        Error::new(ErrorKind::WriteAfterEnd, "write after end")
    }

    /// `ERR_HTTP_REQUEST_TIMEOUT`.
    pub(crate) fn request_timeout() -> Error {
        Error::new(ErrorKind::RequestTimeout, "Request timeout")
    }

    /// `ERR_HTTP_BODY_TOO_LARGE`.
    pub(crate) fn body_too_large(max: impl fmt::Display) -> Error {
        Error::new(
            ErrorKind::BodyTooLarge,
            format!("The body is larger than the limit of {max} bytes"),
        )
    }

    /// `ECONNRESET` `aborted`: the peer went away in the middle of a body.
    pub(crate) fn aborted() -> Error {
        Error::new(ErrorKind::ConnectionReset, "aborted")
    }

    /// `ECONNRESET` `socket hang up`: the connection ended before a response.
    pub(crate) fn hang_up() -> Error {
        Error::new(ErrorKind::ConnectionReset, "socket hang up")
    }

    /// `ETIMEDOUT` with what timed out.
    pub(crate) fn timed_out(what: &str) -> Error {
        Error::new(ErrorKind::TimedOut, what)
    }

    /// `ENOTFOUND` for `host` (with the resolver's words, if any).
    pub(crate) fn host_not_found(host: &str, detail: Option<&dyn fmt::Display>) -> Error {
        let message = match detail {
            Some(d) => format!("getaddrinfo ENOTFOUND {host}: {d}"),
            None => format!("getaddrinfo ENOTFOUND {host}"),
        };
        Error::new(ErrorKind::HostNotFound, message)
    }

    /// Node's `err.rawPacket`, on an `HPE_*` error from parsing received bytes (the
    /// server's `clientError`, a client's response): the whole piece received by the read
    /// in which parsing failed, which can hold bytes before the bad ones (an earlier
    /// pipelined request). `None` for errors not found in received bytes (the peer closing
    /// mid-message, `HPE_INVALID_EOF_STATE`; timeouts), as in Node.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::sync::mpsc;
    ///
    /// let server = stdhttp::Server::new();
    /// let (tx, rx) = mpsc::channel();
    /// let tx = std::sync::Mutex::new(tx);
    /// server.on_client_error(move |err, socket| {
    ///     let _ = tx.lock().unwrap().send((err.code().to_string(), err.raw_packet().map(<[u8]>::to_vec)));
    ///     socket.destroy();
    /// });
    /// server.listen("127.0.0.1:0")?;
    /// let Some(stdhttp::ServerAddress::Tcp(addr)) = server.address() else { unreachable!() };
    /// std::net::TcpStream::connect(addr)?.write_all(b"G@T / HTTP/1.1\r\n\r\n")?;
    /// let (code, raw) = rx.recv_timeout(std::time::Duration::from_secs(5))?;
    /// assert_eq!(code, "HPE_INVALID_METHOD");
    /// assert_eq!(raw.as_deref(), Some(&b"G@T / HTTP/1.1\r\n\r\n"[..]));
    /// # let _ = server.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn raw_packet(&self) -> Option<&[u8]> {
        self.raw_packet.as_deref()
    }

    /// The same error with `bytes` as its [`raw_packet`](Self::raw_packet).
    pub(crate) fn with_raw_packet(mut self, bytes: &[u8]) -> Error {
        self.raw_packet = Some(Arc::from(bytes));
        self
    }
}

impl Clone for Error {
    /// A copy with the same kind and message; an underlying I/O error is copied by its
    /// kind (`io::Error` itself cannot be cloned).
    fn clone(&self) -> Error {
        Error {
            kind: self.kind,
            message: self.message.clone(),
            parse: self.parse.clone(),
            io: self
                .io
                .as_ref()
                .map(|e| io::Error::new(e.kind(), e.to_string())),
            raw_packet: self.raw_packet.clone(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match (&self.parse, &self.io) {
            (Some(p), _) => Some(p),
            (_, Some(e)) => Some(e),
            _ => None,
        }
    }
}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Self {
        Error {
            kind: ErrorKind::Hpe(e.code()),
            message: format!("Parse Error: {}", e.reason()),
            parse: Some(e),
            io: None,
            raw_packet: None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        Error {
            kind: ErrorKind::of_io(e.kind()),
            message: e.to_string(),
            parse: None,
            io: Some(e),
            raw_packet: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_map_to_node_codes() {
        let e: Error = io::Error::from(io::ErrorKind::ConnectionRefused).into();
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::ConnectionRefused, "ECONNREFUSED")
        );
        let e: Error = io::Error::from(io::ErrorKind::BrokenPipe).into();
        assert_eq!(e.code(), "ECONNRESET");
        let e: Error = io::Error::from(io::ErrorKind::WouldBlock).into();
        assert_eq!(e.kind(), ErrorKind::TimedOut);
        let e: Error = io::Error::from(io::ErrorKind::OutOfMemory).into();
        assert_eq!(
            (e.kind(), e.code()),
            (ErrorKind::Io(io::ErrorKind::OutOfMemory), "EIO")
        );
        assert!(std::error::Error::source(&e).is_some());
    }

    #[test]
    fn every_named_kind_round_trips_through_its_code() {
        for &code in ErrorCode::ALL {
            assert_eq!(
                ErrorKind::from_code(code.as_str()),
                Some(ErrorKind::Hpe(code))
            );
        }
        for &kind in ErrorKind::NAMED {
            assert_eq!(ErrorKind::from_code(kind.code()), Some(kind), "{kind:?}");
        }
        let codes: std::collections::HashSet<_> =
            ErrorKind::NAMED.iter().map(|k| k.code()).collect();
        assert_eq!(
            codes.len(),
            ErrorKind::NAMED.len(),
            "two kinds share a code"
        );
    }

    #[test]
    fn parse_errors_are_hpe_kinds_with_their_source() {
        let mut parser = crate::parser::Parser::request();
        let mut h = crate::parser::Collector::default();
        let err: Error = parser
            .execute(b"BLAH / HTTP/1.1\r\n\r\n", &mut h)
            .unwrap_err()
            .into();
        assert_eq!(err.kind(), ErrorKind::Hpe(ErrorCode::InvalidMethod));
        assert_eq!(err.code(), "HPE_INVALID_METHOD");
        assert!(std::error::Error::source(&err).is_some());
    }
}
