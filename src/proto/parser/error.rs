//! [`ParseError`] and Node's `HPE_*` codes.
#![forbid(unsafe_code)]

use std::fmt;

/// Node's `HPE_*` parser error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// `HPE_STRICT`: a framing byte (CR/LF) is missing where strict mode wants it.
    Strict,
    /// `HPE_CR_EXPECTED`: a bare LF where CRLF is required.
    CrExpected,
    /// `HPE_LF_EXPECTED`: a CR not followed by LF.
    LfExpected,
    /// `HPE_UNEXPECTED_CONTENT_LENGTH`: a second Content-Length header.
    UnexpectedContentLength,
    /// `HPE_UNEXPECTED_SPACE`: whitespace before the first header line.
    UnexpectedSpace,
    /// `HPE_CLOSED_CONNECTION`: data after a message that closes the connection.
    ClosedConnection,
    /// `HPE_INVALID_METHOD`: not one of Node's 35 methods.
    InvalidMethod,
    /// `HPE_INVALID_URL`: a bad request-target.
    InvalidUrl,
    /// `HPE_INVALID_CONSTANT`: not `HTTP/` where the protocol belongs.
    InvalidConstant,
    /// `HPE_INVALID_VERSION`: a version other than 0.9, 1.0, 1.1 or 2.0, or a malformed one.
    InvalidVersion,
    /// `HPE_INVALID_HEADER_TOKEN`: a bad header name, value byte, or obs-fold.
    InvalidHeaderToken,
    /// `HPE_INVALID_CONTENT_LENGTH`: a Content-Length that is not a plain decimal number.
    InvalidContentLength,
    /// `HPE_INVALID_CHUNK_SIZE`: a malformed or overflowing chunk size.
    InvalidChunkSize,
    /// `HPE_INVALID_STATUS`: a status code that is not three digits.
    InvalidStatus,
    /// `HPE_INVALID_EOF_STATE`: the input ended in the middle of a message.
    InvalidEofState,
    /// `HPE_INVALID_TRANSFER_ENCODING`: Transfer-Encoding with Content-Length, or a request
    /// whose Transfer-Encoding does not end in `chunked`.
    InvalidTransferEncoding,
    /// `HPE_PAUSED_H2_UPGRADE`: the HTTP/2 connection preface (`PRI * HTTP/2.0`).
    PausedH2Upgrade,
    /// `HPE_HEADER_OVERFLOW`: the head exceeds [`Limits::max_header_size`](super::Limits::max_header_size) (Node answers 431).
    HeaderOverflow,
    /// `HPE_CHUNK_EXTENSIONS_OVERFLOW`: chunk extensions over the limit (Node answers 413).
    ChunkExtensionsOverflow,
}

impl ErrorCode {
    /// The code as Node spells it in `err.code`, e.g. `"HPE_INVALID_METHOD"`.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            Strict => "HPE_STRICT",
            CrExpected => "HPE_CR_EXPECTED",
            LfExpected => "HPE_LF_EXPECTED",
            UnexpectedContentLength => "HPE_UNEXPECTED_CONTENT_LENGTH",
            UnexpectedSpace => "HPE_UNEXPECTED_SPACE",
            ClosedConnection => "HPE_CLOSED_CONNECTION",
            InvalidMethod => "HPE_INVALID_METHOD",
            InvalidUrl => "HPE_INVALID_URL",
            InvalidConstant => "HPE_INVALID_CONSTANT",
            InvalidVersion => "HPE_INVALID_VERSION",
            InvalidHeaderToken => "HPE_INVALID_HEADER_TOKEN",
            InvalidContentLength => "HPE_INVALID_CONTENT_LENGTH",
            InvalidChunkSize => "HPE_INVALID_CHUNK_SIZE",
            InvalidStatus => "HPE_INVALID_STATUS",
            InvalidEofState => "HPE_INVALID_EOF_STATE",
            InvalidTransferEncoding => "HPE_INVALID_TRANSFER_ENCODING",
            PausedH2Upgrade => "HPE_PAUSED_H2_UPGRADE",
            HeaderOverflow => "HPE_HEADER_OVERFLOW",
            ChunkExtensionsOverflow => "HPE_CHUNK_EXTENSIONS_OVERFLOW",
        }
    }

    /// Every code, in declaration order.
    pub const ALL: &'static [ErrorCode] = {
        use ErrorCode::*;
        &[
            Strict,
            CrExpected,
            LfExpected,
            UnexpectedContentLength,
            UnexpectedSpace,
            ClosedConnection,
            InvalidMethod,
            InvalidUrl,
            InvalidConstant,
            InvalidVersion,
            InvalidHeaderToken,
            InvalidContentLength,
            InvalidChunkSize,
            InvalidStatus,
            InvalidEofState,
            InvalidTransferEncoding,
            PausedH2Upgrade,
            HeaderOverflow,
            ChunkExtensionsOverflow,
        ]
    };

    /// The code Node spells `code` (`"HPE_INVALID_METHOD"` → `InvalidMethod`).
    pub fn from_code(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parse failure: Node's `HPE_*` code, a reason, and the byte offset (counted from the first
/// byte this parser was fed, or since [`Parser::reset`](super::Parser::reset)) of the byte that was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub(super) code: ErrorCode,
    pub(super) reason: &'static str,
    pub(super) offset: u64,
}

impl ParseError {
    /// The `HPE_*` code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }
    /// What was wrong, in llhttp's words (`Invalid header token`, ...).
    pub fn reason(&self) -> &'static str {
        self.reason
    }
    /// Stream offset of the rejected byte (for EOF errors: the stream length).
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Parse Error: {} ({} at byte {})",
            self.reason, self.code, self.offset
        )
    }
}

impl std::error::Error for ParseError {}
