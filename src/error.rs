//! [`Error`]: every failure stdhttp reports, carrying Node's error code.
#![forbid(unsafe_code)]

use std::fmt;
use std::io;
use std::sync::Arc;

use crate::parser::ParseError;

/// An error with the code Node.js would put in `err.code` (`ERR_INVALID_CHAR`,
/// `HPE_INVALID_METHOD`, `ECONNRESET`, ...) and a message saying what was wrong.
///
/// Match on [`Error::code`], never on the message text.
///
/// ```
/// let err = stdhttp::Error::new("ERR_INVALID_HTTP_TOKEN", "Header name must be a valid HTTP token [\"Bad Name\"]");
/// assert_eq!(err.code(), "ERR_INVALID_HTTP_TOKEN");
/// ```
#[derive(Debug)]
pub struct Error {
    code: &'static str,
    message: String,
    parse: Option<ParseError>,
    io: Option<io::Error>,
    raw_packet: Option<Arc<[u8]>>,
}

impl Error {
    /// An error with Node code `code` and a human-readable `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
            parse: None,
            io: None,
            raw_packet: None,
        }
    }

    /// Node's error code, e.g. `"ERR_INVALID_HTTP_TOKEN"` or `"HPE_HEADER_OVERFLOW"`.
    pub fn code(&self) -> &str {
        self.code
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
    /// A copy with the same code and message; an underlying I/O error is copied by its kind
    /// (`io::Error` itself cannot be cloned).
    fn clone(&self) -> Error {
        Error {
            code: self.code,
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
        write!(f, "{} ({})", self.message, self.code)
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
            code: e.code().as_str(),
            message: format!("Parse Error: {}", e.reason()),
            parse: Some(e),
            io: None,
            raw_packet: None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Self {
        use io::ErrorKind::*;
        let code = match e.kind() {
            ConnectionRefused => "ECONNREFUSED",
            ConnectionReset | BrokenPipe | UnexpectedEof => "ECONNRESET",
            ConnectionAborted => "ECONNABORTED",
            TimedOut | WouldBlock => "ETIMEDOUT",
            AddrInUse => "EADDRINUSE",
            AddrNotAvailable => "EADDRNOTAVAIL",
            NotFound => "ENOENT",
            PermissionDenied => "EACCES",
            _ => "EIO",
        };
        Error {
            code,
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
        assert_eq!(e.code(), "ECONNREFUSED");
        let e: Error = io::Error::from(io::ErrorKind::ConnectionReset).into();
        assert_eq!(e.code(), "ECONNRESET");
    }
}
