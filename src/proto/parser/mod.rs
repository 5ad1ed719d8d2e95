//! The resumable HTTP/1.x request and response parser, strict as Node 20's llhttp.
//!
//! A [`Parser`] is a byte-level state machine. Feed it bytes with [`Parser::execute`] in any
//! split (one byte at a time or all at once: the outcome is the same) and it calls your
//! [`Handler`] as it recognises each part of a message:
//!
//! 1. [`Handler::on_message_begin`]
//! 2. [`Handler::on_headers_complete`] with the whole [`Head`] (method, target, version,
//!    status, header lines as raw bytes in wire order, framing and keep-alive verdicts)
//! 3. [`Handler::on_chunk_header`] / [`Handler::on_body`] / [`Handler::on_chunk_complete`]:
//!    body bytes are slices of *your* input (zero-copy)
//! 4. [`Handler::on_trailers`] for chunked messages
//! 5. [`Handler::on_message_complete`]
//!
//! Pipelined messages follow one another; a CONNECT or upgrade hands the connection over
//! ([`Parser::is_upgraded`]) and `execute` returns the offset where the tunnel bytes start.
//!
//! The head is collected in an internal buffer bounded by [`Limits::max_header_size`], so each
//! byte is looked at once, whatever the split; nothing is allocated per byte.
//!
//! Errors are [`ParseError`]s with Node's `HPE_*` codes ([`ErrorCode`]); after an error the
//! parser stays failed. The parser never panics.
#![forbid(unsafe_code)]

use std::fmt;

use super::status::{method_index, FIELD_VALUE, METHODS, TOKEN};

/// What the parser expects: requests (a server) or responses (a client).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Parse requests.
    Request,
    /// Parse responses.
    Response,
}

/// The bounds a parser enforces. [`Limits::default`] is Node 20's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of request-target (or reason phrase) plus every header name and value; a head
    /// reaching this many is rejected with `HPE_HEADER_OVERFLOW` (Node's `maxHeaderSize`,
    /// default 16384). Trailers get the same budget of their own. `0` means no limit.
    pub max_header_size: usize,
    /// Header lines kept in [`Head::headers`] (Node's `maxHeadersCount`, default 1000); later
    /// lines are still checked and still count towards framing, but are dropped silently.
    /// `0` means keep all.
    pub max_headers_count: usize,
    /// Bytes of chunk extensions allowed in one chunk-size line; more is
    /// `HPE_CHUNK_EXTENSIONS_OVERFLOW` (Node answers 413). Default 16384.
    pub max_chunk_extensions: usize,
}

/// Node 20's `http.maxHeaderSize`.
pub const DEFAULT_MAX_HEADER_SIZE: usize = 16 * 1024;
/// Node 20's effective `maxHeadersCount` (1000 header lines).
pub const DEFAULT_MAX_HEADERS_COUNT: usize = 1000;
/// Node 20's bound on chunk extensions per chunk.
pub const DEFAULT_MAX_CHUNK_EXTENSIONS: usize = 16 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_header_size: DEFAULT_MAX_HEADER_SIZE,
            max_headers_count: DEFAULT_MAX_HEADERS_COUNT,
            max_chunk_extensions: DEFAULT_MAX_CHUNK_EXTENSIONS,
        }
    }
}

/// What a [`Handler`] callback tells the parser to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Go on parsing.
    Continue,
    /// Stop now: `execute` returns the number of bytes consumed so far. Call `execute` again
    /// with the rest to resume exactly where it stopped.
    Pause,
    /// Only from [`Handler::on_headers_complete`]: this message has no body whatever its
    /// headers say (a response to HEAD).
    SkipBody,
    /// Only from [`Handler::on_headers_complete`]: the message has no body and the
    /// connection is handed over after the head (a 2xx response to CONNECT).
    Upgrade,
}

/// The callbacks a [`Parser`] makes. Every method has a default that does nothing and
/// returns [`Flow::Continue`], so implement only what you need.
#[allow(unused_variables)]
pub trait Handler {
    /// A new message starts (its first byte arrived).
    fn on_message_begin(&mut self) -> Flow {
        Flow::Continue
    }
    /// The head (start line and header fields) is complete.
    fn on_headers_complete(&mut self, head: &Head<'_>) -> Flow {
        Flow::Continue
    }
    /// A chunk-size line of a chunked body: the size and the raw extension bytes after the
    /// size (starting with `;`, empty when there are none). Size 0 is the last chunk.
    fn on_chunk_header(&mut self, size: u64, extensions: &[u8]) -> Flow {
        Flow::Continue
    }
    /// Body bytes, after transfer decoding; a slice of the input given to `execute`.
    fn on_body(&mut self, data: &[u8]) -> Flow {
        Flow::Continue
    }
    /// The data of one chunk (and its CRLF) is complete.
    fn on_chunk_complete(&mut self) -> Flow {
        Flow::Continue
    }
    /// The trailer section of a chunked message (called for every chunked message, with
    /// no fields when there were none).
    fn on_trailers(&mut self, trailers: &Fields<'_>) -> Flow {
        Flow::Continue
    }
    /// The message is complete.
    fn on_message_complete(&mut self) -> Flow {
        Flow::Continue
    }
}

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
    /// `HPE_HEADER_OVERFLOW`: the head exceeds [`Limits::max_header_size`] (Node answers 431).
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
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parse failure: Node's `HPE_*` code, a reason, and the byte offset (counted from the first
/// byte this parser was fed, or since [`Parser::reset`]) of the byte that was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    code: ErrorCode,
    reason: &'static str,
    offset: u64,
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

/// How a message's body is delimited (RFC 9112 §6.3 as Node applies it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// No body.
    None,
    /// Exactly this many bytes (Content-Length).
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the connection closes (responses only).
    UntilEof,
}

#[derive(Clone, Copy, Debug, Default)]
struct Span {
    start: u32,
    end: u32,
}

#[derive(Clone, Copy, Debug, Default)]
struct FieldSpan {
    name: Span,
    value: Span,
}

/// A list of header or trailer fields, as raw bytes in wire order, names' case kept.
/// Values are trimmed of surrounding spaces and tabs, as Node's `rawHeaders`.
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    buf: &'a [u8],
    spans: &'a [FieldSpan],
}

impl<'a> Fields<'a> {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
    /// The `i`th field as `(name, value)`.
    pub fn get(&self, i: usize) -> Option<(&'a [u8], &'a [u8])> {
        self.spans.get(i).map(|s| self.pair(s))
    }
    /// The fields in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        let buf = self.buf;
        self.spans.iter().map(move |s| {
            (
                buf.get(s.name.start as usize..s.name.end as usize)
                    .unwrap_or_default(),
                buf.get(s.value.start as usize..s.value.end as usize)
                    .unwrap_or_default(),
            )
        })
    }
    /// The first value of `name`, compared ASCII case-insensitively.
    pub fn first(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    fn pair(&self, s: &FieldSpan) -> (&'a [u8], &'a [u8]) {
        (slice(self.buf, s.name), slice(self.buf, s.value))
    }
}

impl fmt::Debug for Fields<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(n, v)| {
                (
                    String::from_utf8_lossy(n).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            }))
            .finish()
    }
}

fn slice(buf: &[u8], s: Span) -> &[u8] {
    buf.get(s.start as usize..s.end as usize)
        .unwrap_or_default()
}

/// A complete message head, lent to [`Handler::on_headers_complete`].
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    kind: Kind,
    method: Option<&'static str>,
    url: &'a [u8],
    protocol: &'static str,
    version: (u8, u8),
    status: u16,
    reason: &'a [u8],
    fields: Fields<'a>,
    body: BodyKind,
    keep_alive: bool,
    upgrade: bool,
    content_length: Option<u64>,
    host_missing: bool,
}

impl<'a> Head<'a> {
    /// Whether this is a request or a response head.
    pub fn kind(&self) -> Kind {
        self.kind
    }
    /// The request method, one of [`METHODS`]; `None` for responses.
    pub fn method(&self) -> Option<&'static str> {
        self.method
    }
    /// The raw request-target as received (`/a?b#c`, `http://h/p`, `h:443`, `*`); empty for
    /// responses.
    pub fn url(&self) -> &'a [u8] {
        self.url
    }
    /// The protocol name on the start line: `HTTP` (or `RTSP`/`ICE` for responses).
    pub fn protocol(&self) -> &'static str {
        self.protocol
    }
    /// `(major, minor)`: (1, 1), (1, 0), (2, 0), or (0, 9) for a request line without version.
    pub fn version(&self) -> (u8, u8) {
        self.version
    }
    /// The status code; 0 for requests.
    pub fn status(&self) -> u16 {
        self.status
    }
    /// The reason phrase as received (may be empty); empty for requests.
    pub fn reason(&self) -> &'a [u8] {
        self.reason
    }
    /// The header fields kept (at most [`Limits::max_headers_count`]), in wire order.
    pub fn headers(&self) -> Fields<'a> {
        self.fields
    }
    /// The first value of header `name` (case-insensitive) among the kept fields.
    pub fn header(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.fields.first(name)
    }
    /// How the body is delimited, before any [`Flow::SkipBody`] from the handler.
    pub fn body_kind(&self) -> BodyKind {
        self.body
    }
    /// The Content-Length value, when the header was present.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }
    /// Node's `shouldKeepAlive`: HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with
    /// `Connection: keep-alive`, and never when the body runs until EOF.
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }
    /// Whether the connection is handed over after this message: CONNECT, or `Upgrade` with
    /// `Connection: upgrade` on a request; status 101 on a response.
    pub fn upgrade(&self) -> bool {
        self.upgrade
    }
    /// True for an HTTP/1.1 request without a `Host` header among the kept fields; Node's
    /// server answers such a request with 400.
    pub fn host_missing(&self) -> bool {
        self.host_missing
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    MessageStart,
    Method,
    SpacesBeforeTarget,
    TargetStart,
    Schema,
    SchemaSlash1,
    SchemaSlash2,
    Target,
    TargetLf,
    Protocol,
    VersionMajor,
    VersionDot,
    VersionMinor,
    RequestLineEnd,
    StartLineLf,
    StatusCode,
    AfterStatus,
    Reason,
    FieldStart,
    FieldName,
    ValueStart,
    Value,
    ValueLf,
    SectionLf,
    LengthBody,
    ChunkSize,
    ChunkExt,
    ChunkExtQuoted,
    ChunkExtQuotedEscape,
    ChunkSizeLf,
    ChunkData,
    ChunkDataCr,
    ChunkDataLf,
    UntilEof,
    Closed,
    Upgraded,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Special {
    None,
    ContentLength,
    TransferEncoding,
    Connection,
    Upgrade,
}

/// The resumable parser. See the [module documentation](self).
///
/// ```
/// use stdhttp::parser::{Handler, Head, Flow, Parser};
/// struct Print;
/// impl Handler for Print {
///     fn on_headers_complete(&mut self, head: &Head<'_>) -> Flow {
///         assert_eq!(head.status(), 200);
///         assert_eq!(head.header(b"content-length"), Some(&b"2"[..]));
///         Flow::Continue
///     }
/// }
/// let mut p = Parser::response();
/// p.execute(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", &mut Print).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Parser {
    kind: Kind,
    limits: Limits,
    state: State,
    error: Option<ParseError>,
    offset: u64,

    buf: Vec<u8>,
    fields: Vec<FieldSpan>,
    counted: usize,
    base: usize,
    collecting: bool,
    cur_name: Span,
    value_start: u32,
    value_end: u32,
    special: Special,
    first_line: bool,
    in_trailers: bool,

    method_buf: [u8; 12],
    method_len: u8,
    method: Option<usize>,
    url: Span,
    reason: Span,
    proto_idx: u8,
    protocol: &'static str,
    major: u8,
    minor: u8,
    status: u16,
    status_digits: u8,

    content_length: Option<u64>,
    te_present: bool,
    chunked: bool,
    conn_close: bool,
    conn_keep_alive: bool,
    conn_upgrade: bool,
    has_upgrade: bool,
    upgrade: bool,
    keep_alive: bool,

    remaining: u64,
    chunk_size: u64,
    chunk_digits: u8,
    ext: Vec<u8>,
}

const PROTO_HTTP: &[u8] = b"HTTP/";
const PROTO_RTSP: &[u8] = b"RTSP/";
const PROTO_ICE: &[u8] = b"ICE/";

type Step = Result<(), ParseError>;

impl Parser {
    /// A request parser with Node's default [`Limits`].
    pub fn request() -> Self {
        Self::new(Kind::Request, Limits::default())
    }

    /// A response parser with Node's default [`Limits`].
    pub fn response() -> Self {
        Self::new(Kind::Response, Limits::default())
    }

    /// A parser for `kind` with the given limits.
    pub fn new(kind: Kind, limits: Limits) -> Self {
        Parser {
            kind,
            limits,
            state: State::MessageStart,
            error: None,
            offset: 0,
            buf: Vec::new(),
            fields: Vec::new(),
            counted: 0,
            base: 0,
            collecting: false,
            cur_name: Span::default(),
            value_start: 0,
            value_end: 0,
            special: Special::None,
            first_line: true,
            in_trailers: false,
            method_buf: [0; 12],
            method_len: 0,
            method: None,
            url: Span::default(),
            reason: Span::default(),
            proto_idx: 0,
            protocol: "HTTP",
            major: 0,
            minor: 0,
            status: 0,
            status_digits: 0,
            content_length: None,
            te_present: false,
            chunked: false,
            conn_close: false,
            conn_keep_alive: false,
            conn_upgrade: false,
            has_upgrade: false,
            upgrade: false,
            keep_alive: false,
            remaining: 0,
            chunk_size: 0,
            chunk_digits: 0,
            ext: Vec::new(),
        }
    }

    /// What this parser parses.
    pub fn kind(&self) -> Kind {
        self.kind
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Change the limits; they apply from the next byte on.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Forget everything and wait for a new first message (keeps the limits and the
    /// buffers' capacity).
    pub fn reset(&mut self) {
        let (kind, limits) = (self.kind, self.limits);
        let mut buf = std::mem::take(&mut self.buf);
        let mut fields = std::mem::take(&mut self.fields);
        let mut ext = std::mem::take(&mut self.ext);
        buf.clear();
        fields.clear();
        ext.clear();
        *self = Parser::new(kind, limits);
        self.buf = buf;
        self.fields = fields;
        self.ext = ext;
    }

    /// True between messages: no byte of a next message has been seen. EOF here is clean.
    pub fn is_idle(&self) -> bool {
        self.state == State::MessageStart
    }

    /// True once the parser handed the connection over (CONNECT, upgrade, 101, or
    /// [`Flow::Upgrade`]). `execute` then consumes nothing; the bytes from the offset it
    /// returned belong to the new protocol.
    pub fn is_upgraded(&self) -> bool {
        self.state == State::Upgraded
    }

    /// True after a message that does not allow another on this connection; further bytes
    /// other than CR/LF are `HPE_CLOSED_CONNECTION`.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Whether the message being parsed (or the last one completed) lets the connection carry
    /// another message: Node's `shouldKeepAlive`, accounting for [`Flow::SkipBody`].
    pub fn should_keep_alive(&self) -> bool {
        self.keep_alive
    }

    /// True while a close-delimited response body is being read: EOF will complete it.
    pub fn is_reading_until_eof(&self) -> bool {
        self.state == State::UntilEof
    }

    /// The error the parser failed with, if any.
    pub fn error(&self) -> Option<&ParseError> {
        self.error.as_ref()
    }

    /// After an upgrade, go back to parsing HTTP from the next byte (what Node does for an
    /// `Upgrade` request when no `upgrade` listener exists).
    pub fn resume_after_upgrade(&mut self) {
        if self.state == State::Upgraded {
            self.upgrade = false;
            self.state = if self.keep_alive {
                State::MessageStart
            } else {
                State::Closed
            };
        }
    }

    /// Feed bytes. Returns how many were consumed: all of them, unless a callback returned
    /// [`Flow::Pause`] or the connection was handed over ([`Parser::is_upgraded`]), in which
    /// case the rest starts at the returned offset.
    pub fn execute<H: Handler>(&mut self, data: &[u8], h: &mut H) -> Result<usize, ParseError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        let mut pos = 0usize;
        self.base = 0;
        let mut r = self.run(data, &mut pos, h);
        if r.is_ok() {
            r = self.flush(data, pos);
        }
        self.offset += pos as u64;
        match r {
            Ok(()) => Ok(pos),
            Err(e) => {
                self.state = State::Failed;
                self.error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Tell the parser the input ended (EOF). Completes a close-delimited response body;
    /// fails with `HPE_INVALID_EOF_STATE` in the middle of any other message.
    pub fn finish<H: Handler>(&mut self, h: &mut H) -> Result<(), ParseError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        match self.state {
            State::MessageStart | State::Closed | State::Upgraded => Ok(()),
            State::UntilEof => {
                self.keep_alive = false;
                self.state = State::Closed;
                h.on_message_complete();
                Ok(())
            }
            _ => {
                let e = self.err(0, ErrorCode::InvalidEofState, "Invalid EOF state");
                self.state = State::Failed;
                self.error = Some(e.clone());
                Err(e)
            }
        }
    }

    fn err(&self, pos: usize, code: ErrorCode, reason: &'static str) -> ParseError {
        ParseError {
            code,
            reason,
            offset: self.offset + pos as u64,
        }
    }

    fn begin_message(&mut self, at: usize) {
        self.buf.clear();
        self.base = at;
        self.collecting = true;
        self.fields.clear();
        self.counted = 0;
        self.first_line = true;
        self.in_trailers = false;
        self.method_len = 0;
        self.method = None;
        self.url = Span::default();
        self.reason = Span::default();
        self.proto_idx = 0;
        self.protocol = "HTTP";
        self.major = 0;
        self.minor = 0;
        self.status = 0;
        self.status_digits = 0;
        self.content_length = None;
        self.te_present = false;
        self.chunked = false;
        self.conn_close = false;
        self.conn_keep_alive = false;
        self.conn_upgrade = false;
        self.has_upgrade = false;
        self.upgrade = false;
        self.keep_alive = false;
    }

    /// Counts head bytes (which start at input position `start`) towards the header-size
    /// limit. The error names the exact byte that reached the limit, so it is the same
    /// however the input was split.
    #[inline]
    fn take_counted(&mut self, bytes: &[u8], start: usize) -> Step {
        let max = self.limits.max_header_size;
        if max != 0 && self.counted + bytes.len() >= max {
            let at = start + (max - 1).saturating_sub(self.counted);
            return Err(self.err(at, ErrorCode::HeaderOverflow, "Header overflow"));
        }
        self.counted += bytes.len();
        Ok(())
    }

    /// The offset in the head being collected of input byte `i`: spans are such offsets
    /// into the virtual head `buf ++ data[base..]`.
    #[inline(always)]
    fn at(&self, i: usize) -> u32 {
        (self.buf.len() + i.saturating_sub(self.base)) as u32
    }

    /// Moves the head bytes of `data` consumed so far (up to `upto`) into `buf`, so the head
    /// survives the end of this input. A head that arrives whole is never copied.
    fn flush(&mut self, data: &[u8], upto: usize) -> Step {
        if self.collecting && upto > self.base {
            self.buf
                .extend_from_slice(data.get(self.base..upto).unwrap_or_default());
            self.base = upto;
            let max = self.limits.max_header_size;
            if max != 0 && self.buf.len() > max.saturating_mul(2).saturating_add(RAW_HEAD_SLACK) {
                return Err(self.err(upto, ErrorCode::HeaderOverflow, "Header overflow"));
            }
        }
        Ok(())
    }

    fn run<H: Handler>(&mut self, data: &[u8], pos: &mut usize, h: &mut H) -> Step {
        let len = data.len();
        while *pos < len {
            if let Some(next) = self.fast_line(data, *pos)? {
                *pos = next;
                continue;
            }
            let p = *pos;
            let b = data[p];
            match self.state {
                State::MessageStart => {
                    if b == b'\r' || b == b'\n' {
                        *pos += 1;
                        continue;
                    }
                    self.begin_message(p);
                    self.state = match self.kind {
                        Kind::Request => State::Method,
                        Kind::Response => State::Protocol,
                    };
                    if h.on_message_begin() == Flow::Pause {
                        return Ok(());
                    }
                }
                State::Method => {
                    let run = scan_token(data, p);
                    let tok = &data[p..run];
                    let n = self.method_len as usize;
                    if n + tok.len() > self.method_buf.len() {
                        let at = p + (self.method_buf.len() - n);
                        return Err(self.err(at, ErrorCode::InvalidMethod, "Invalid method"));
                    }
                    self.method_buf[n..n + tok.len()].copy_from_slice(tok);
                    self.method_len += tok.len() as u8;
                    *pos = run;
                    if run == len {
                        continue;
                    }
                    let m = &self.method_buf[..self.method_len as usize];
                    if data[run] != b' ' || m.is_empty() {
                        return Err(self.err(
                            run,
                            ErrorCode::InvalidMethod,
                            "Expected space after method",
                        ));
                    }
                    if m == b"PRI" {
                        self.method = None;
                    } else {
                        self.method = method_index(m);
                        if self.method.is_none() {
                            return Err(self.err(run, ErrorCode::InvalidMethod, "Invalid method"));
                        }
                    }
                    *pos = run + 1;
                    self.state = State::SpacesBeforeTarget;
                }
                State::SpacesBeforeTarget => {
                    if b == b' ' {
                        *pos += 1;
                        continue;
                    }
                    self.url.start = self.at(p);
                    self.state = State::TargetStart;
                }
                State::TargetStart => {
                    let connect = self.method_is("CONNECT");
                    self.state = if connect || b == b'/' || b == b'*' {
                        State::Target
                    } else if b.is_ascii_alphabetic() {
                        State::Schema
                    } else {
                        return Err(self.err(
                            p,
                            ErrorCode::InvalidUrl,
                            "Unexpected start char in url",
                        ));
                    };
                }
                State::Schema => {
                    let run = scan_alpha(data, p);
                    self.take_counted(&data[p..run], p)?;
                    *pos = run;
                    if run == len {
                        continue;
                    }
                    if data[run] != b':' {
                        return Err(self.err(
                            run,
                            ErrorCode::InvalidUrl,
                            "Unexpected char in url schema",
                        ));
                    }
                    self.take_counted(b":", run)?;
                    *pos = run + 1;
                    self.state = State::SchemaSlash1;
                }
                State::SchemaSlash1 | State::SchemaSlash2 => {
                    if b != b'/' {
                        return Err(self.err(
                            p,
                            ErrorCode::InvalidUrl,
                            "Unexpected char in url schema",
                        ));
                    }
                    self.take_counted(b"/", p)?;
                    *pos += 1;
                    self.state = if self.state == State::SchemaSlash1 {
                        State::SchemaSlash2
                    } else {
                        State::Target
                    };
                }
                State::Target => {
                    let run = scan_target(data, p);
                    self.take_counted(&data[p..run], p)?;
                    *pos = run;
                    if run == len {
                        continue;
                    }
                    self.url.end = self.at(run);
                    if self.url.end == self.url.start {
                        return Err(self.err(run, ErrorCode::InvalidUrl, "Empty url"));
                    }
                    if self.method.is_none() && data[run] != b' ' {
                        // PRI is only let through for the HTTP/2 preface's version check
                        return Err(self.err(run, ErrorCode::InvalidMethod, "Invalid method"));
                    }
                    match data[run] {
                        b' ' => {
                            *pos = run + 1;
                            self.proto_idx = 0;
                            self.state = State::Protocol;
                        }
                        b'\r' => {
                            *pos = run + 1;
                            self.state = State::TargetLf;
                        }
                        b'\n' => {
                            *pos = run + 1;
                            self.set_http09();
                            self.state = State::FieldStart;
                        }
                        _ => {
                            return Err(self.err(
                                run,
                                ErrorCode::InvalidUrl,
                                "Invalid char in url path",
                            ))
                        }
                    }
                }
                State::TargetLf => {
                    if b != b'\n' {
                        return Err(self.err(p, ErrorCode::Strict, "Expected LF after CR"));
                    }
                    *pos += 1;
                    self.set_http09();
                    self.state = State::FieldStart;
                }
                State::Protocol => {
                    let idx = self.proto_idx as usize;
                    let expected: &[u8] = match (idx, b) {
                        (0, b'R') => PROTO_RTSP,
                        (0, b'I') => PROTO_ICE,
                        (0, _) => PROTO_HTTP,
                        _ => match self.protocol {
                            "RTSP" => PROTO_RTSP,
                            "ICE" => PROTO_ICE,
                            _ => PROTO_HTTP,
                        },
                    };
                    if idx == 0 {
                        self.protocol = match expected {
                            PROTO_RTSP => "RTSP",
                            PROTO_ICE => "ICE",
                            _ => "HTTP",
                        };
                    }
                    if expected.get(idx) != Some(&b) {
                        return Err(self.err(
                            p,
                            ErrorCode::InvalidConstant,
                            "Expected HTTP/, RTSP/ or ICE/",
                        ));
                    }
                    *pos += 1;
                    self.proto_idx += 1;
                    if self.proto_idx as usize == expected.len() {
                        self.check_protocol_method(p)?;
                        self.state = State::VersionMajor;
                    }
                }
                State::VersionMajor => {
                    if !b.is_ascii_digit() {
                        return Err(self.err(
                            p,
                            ErrorCode::InvalidVersion,
                            "Invalid major version",
                        ));
                    }
                    self.major = b - b'0';
                    *pos += 1;
                    self.state = State::VersionDot;
                }
                State::VersionDot => {
                    if b != b'.' {
                        return Err(self.err(p, ErrorCode::InvalidVersion, "Expected dot"));
                    }
                    *pos += 1;
                    self.state = State::VersionMinor;
                }
                State::VersionMinor => {
                    if !b.is_ascii_digit() {
                        return Err(self.err(
                            p,
                            ErrorCode::InvalidVersion,
                            "Invalid minor version",
                        ));
                    }
                    self.minor = b - b'0';
                    if !matches!((self.major, self.minor), (0, 9) | (1, 0) | (1, 1) | (2, 0)) {
                        return Err(self.err(p, ErrorCode::InvalidVersion, "Invalid HTTP version"));
                    }
                    *pos += 1;
                    self.state = match self.kind {
                        Kind::Request => State::RequestLineEnd,
                        Kind::Response => State::AfterStatus,
                    };
                }
                State::RequestLineEnd => {
                    match b {
                        b'\r' => {}
                        b'\n' => {
                            return Err(self.err(
                                p,
                                ErrorCode::InvalidVersion,
                                "Expected CRLF after version",
                            ))
                        }
                        _ => {
                            return Err(self.err(
                                p,
                                ErrorCode::InvalidVersion,
                                "Expected CRLF after version",
                            ))
                        }
                    }
                    if self.protocol == "HTTP" && self.method.is_none() {
                        return Err(self.err(
                            p,
                            ErrorCode::PausedH2Upgrade,
                            "Pause on PRI/Upgrade",
                        ));
                    }
                    *pos += 1;
                    self.state = State::StartLineLf;
                }
                State::StartLineLf => {
                    if b != b'\n' {
                        let reason = match self.kind {
                            Kind::Request => "Expected CRLF after version",
                            Kind::Response => "Expected LF after CR",
                        };
                        return Err(self.err(p, ErrorCode::Strict, reason));
                    }
                    *pos += 1;
                    self.state = State::FieldStart;
                }
                State::StatusCode => {
                    if b.is_ascii_digit() && self.status_digits < 3 {
                        self.status = self.status * 10 + (b - b'0') as u16;
                        self.status_digits += 1;
                        *pos += 1;
                        continue;
                    }
                    if self.status_digits != 3 {
                        return Err(self.err(p, ErrorCode::InvalidStatus, "Invalid status code"));
                    }
                    match b {
                        b' ' => {
                            *pos += 1;
                            self.reason.start = self.at(p + 1);
                            self.reason.end = self.reason.start;
                            self.state = State::Reason;
                        }
                        b'\r' => {
                            *pos += 1;
                            self.state = State::StartLineLf;
                        }
                        b'\n' => {
                            return Err(self.err(
                                p,
                                ErrorCode::CrExpected,
                                "Missing expected CR after response line",
                            ))
                        }
                        _ => {
                            return Err(self.err(
                                p,
                                ErrorCode::InvalidStatus,
                                "Invalid status code",
                            ))
                        }
                    }
                }
                State::AfterStatus => {
                    // between the version and the status code: exactly one space
                    if b != b' ' {
                        return Err(self.err(
                            p,
                            ErrorCode::InvalidVersion,
                            "Expected space after version",
                        ));
                    }
                    *pos += 1;
                    self.status_digits = 0;
                    self.status = 0;
                    self.state = State::StatusCode;
                }
                State::Reason => {
                    let run = scan(data, p, &FIELD_VALUE);
                    self.take_counted(&data[p..run], p)?;
                    *pos = run;
                    if run == len {
                        continue;
                    }
                    self.reason.end = self.at(run);
                    match data[run] {
                        b'\r' => {
                            *pos = run + 1;
                            self.state = State::StartLineLf;
                        }
                        b'\n' => {
                            return Err(self.err(
                                run,
                                ErrorCode::CrExpected,
                                "Missing expected CR after response line",
                            ))
                        }
                        _ => {
                            return Err(self.err(
                                run,
                                ErrorCode::InvalidStatus,
                                "Invalid response status",
                            ))
                        }
                    }
                }
                State::FieldStart => match b {
                    b'\r' => {
                        *pos += 1;
                        self.state = State::SectionLf;
                    }
                    b'\n' => {
                        return Err(self.err(
                            p,
                            ErrorCode::InvalidHeaderToken,
                            "Invalid header token",
                        ))
                    }
                    b' ' | b'\t' => {
                        return Err(if self.first_line {
                            self.err(
                                p,
                                ErrorCode::UnexpectedSpace,
                                "Unexpected space after start line",
                            )
                        } else {
                            self.err(
                                p,
                                ErrorCode::InvalidHeaderToken,
                                "Unexpected whitespace after header value",
                            )
                        })
                    }
                    _ => {
                        self.cur_name.start = self.at(p);
                        self.state = State::FieldName;
                    }
                },
                State::FieldName => {
                    let run = scan_token(data, p);
                    self.take_counted(&data[p..run], p)?;
                    *pos = run;
                    if run == len {
                        continue;
                    }
                    self.cur_name.end = self.at(run);
                    if data[run] != b':' || self.cur_name.end == self.cur_name.start {
                        return Err(self.err(
                            run,
                            ErrorCode::InvalidHeaderToken,
                            "Invalid header token",
                        ));
                    }
                    *pos = run + 1;
                    self.settle(data, run)?;
                    self.special = classify(head_bytes(&self.buf, self.base, data, self.cur_name));
                    self.state = State::ValueStart;
                }
                State::ValueStart => match b {
                    b' ' | b'\t' => *pos += 1,
                    b'\r' => {
                        *pos += 1;
                        self.value_start = self.at(p);
                        self.value_end = self.value_start;
                        self.state = State::ValueLf;
                    }
                    _ if FIELD_VALUE[b as usize] => {
                        self.value_start = self.at(p);
                        self.state = State::Value;
                    }
                    _ => {
                        return Err(self.err(
                            p,
                            ErrorCode::InvalidHeaderToken,
                            "Invalid header value char",
                        ))
                    }
                },
                State::Value => {
                    let run = scan_value(data, p);
                    self.take_counted(&data[p..run], p)?;
                    *pos = run;
                    if run == len {
                        continue;
                    }
                    match data[run] {
                        b'\r' => {
                            *pos = run + 1;
                            self.value_end = self.at(run);
                            self.state = State::ValueLf;
                        }
                        b'\n' => {
                            return Err(self.err(
                                run,
                                ErrorCode::CrExpected,
                                "Missing expected CR after header value",
                            ))
                        }
                        _ => {
                            return Err(self.err(
                                run,
                                ErrorCode::InvalidHeaderToken,
                                "Invalid header value char",
                            ))
                        }
                    }
                }
                State::ValueLf => {
                    if b != b'\n' {
                        return Err(self.err(
                            p,
                            ErrorCode::LfExpected,
                            "Missing expected LF after header value",
                        ));
                    }
                    *pos += 1;
                    self.end_field(data, p, None)?;
                    self.first_line = false;
                    self.state = State::FieldStart;
                }
                State::SectionLf => {
                    if b != b'\n' {
                        return Err(self.err(p, ErrorCode::Strict, "Expected LF after headers"));
                    }
                    *pos += 1;
                    if self.in_trailers {
                        self.settle(data, p + 1)?;
                        self.collecting = false;
                        let flow = {
                            let fields = Fields {
                                buf: self.head(data),
                                spans: &self.fields,
                            };
                            h.on_trailers(&fields)
                        };
                        if self.complete_message(h, flow) {
                            return Ok(());
                        }
                    } else if self.headers_complete(data, p, h)? {
                        return Ok(());
                    }
                }
                State::LengthBody => {
                    let take = (len - p).min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
                    *pos += take;
                    self.remaining -= take as u64;
                    let done = self.remaining == 0;
                    let flow = h.on_body(&data[p..p + take]);
                    if done {
                        if self.complete_message(h, flow) {
                            return Ok(());
                        }
                    } else if flow == Flow::Pause {
                        return Ok(());
                    }
                }
                State::ChunkSize => {
                    if let Some(d) = hex_value(b) {
                        if self.chunk_size > u64::MAX >> 4 {
                            return Err(self.err(
                                p,
                                ErrorCode::InvalidChunkSize,
                                "Chunk size overflow",
                            ));
                        }
                        self.chunk_size = (self.chunk_size << 4) | d as u64;
                        self.chunk_digits = self.chunk_digits.saturating_add(1);
                        *pos += 1;
                        continue;
                    }
                    if self.chunk_digits == 0 {
                        return Err(self.err(
                            p,
                            ErrorCode::InvalidChunkSize,
                            "Invalid character in chunk size",
                        ));
                    }
                    match b {
                        b';' => {
                            self.ext.clear();
                            self.state = State::ChunkExt;
                            self.push_ext(b';', p)?;
                            *pos += 1;
                            // an extension name must follow
                            self.chunk_digits = 0;
                        }
                        b'\r' => {
                            self.ext.clear();
                            *pos += 1;
                            self.state = State::ChunkSizeLf;
                        }
                        b'\n' => {
                            return Err(self.err(
                                p,
                                ErrorCode::CrExpected,
                                "Missing expected CR after chunk size",
                            ))
                        }
                        _ => {
                            return Err(self.err(
                                p,
                                ErrorCode::InvalidChunkSize,
                                "Invalid character in chunk size",
                            ))
                        }
                    }
                }
                State::ChunkExt => {
                    // chunk-ext = *( ";" token [ "=" ( token / quoted-string ) ] )
                    // chunk_digits counts bytes since the last ';' or '=' (0: token required)
                    match b {
                        _ if TOKEN[b as usize] => {
                            self.push_ext(b, p)?;
                            self.chunk_digits = 1;
                            *pos += 1;
                        }
                        b'"' if self.ext.last() == Some(&b'=') => {
                            self.push_ext(b, p)?;
                            *pos += 1;
                            self.state = State::ChunkExtQuoted;
                        }
                        b';' | b'='
                            if self.chunk_digits == 1 && !(b == b'=' && self.ext_has_eq()) =>
                        {
                            self.push_ext(b, p)?;
                            self.chunk_digits = 0;
                            *pos += 1;
                        }
                        b'\r' if self.chunk_digits == 1 => {
                            *pos += 1;
                            self.state = State::ChunkSizeLf;
                        }
                        _ => {
                            return Err(self.err(
                                p,
                                ErrorCode::Strict,
                                "Invalid character in chunk extensions",
                            ))
                        }
                    }
                }
                State::ChunkExtQuoted => match b {
                    b'"' => {
                        self.push_ext(b, p)?;
                        *pos += 1;
                        self.chunk_digits = 1;
                        self.state = State::ChunkExt;
                    }
                    b'\\' => {
                        self.push_ext(b, p)?;
                        *pos += 1;
                        self.state = State::ChunkExtQuotedEscape;
                    }
                    _ if b == b'\t' || (b >= 0x20 && b != 0x7f) => {
                        self.push_ext(b, p)?;
                        *pos += 1;
                    }
                    _ => {
                        return Err(self.err(
                            p,
                            ErrorCode::Strict,
                            "Invalid character in chunk extensions quoted value",
                        ))
                    }
                },
                State::ChunkExtQuotedEscape => {
                    if !(b == b'\t' || (b >= 0x20 && b != 0x7f)) {
                        return Err(self.err(
                            p,
                            ErrorCode::Strict,
                            "Invalid quoted-pair in chunk extensions quoted value",
                        ));
                    }
                    self.push_ext(b, p)?;
                    *pos += 1;
                    self.state = State::ChunkExtQuoted;
                }
                State::ChunkSizeLf => {
                    if b != b'\n' {
                        return Err(self.err(p, ErrorCode::Strict, "Expected LF after chunk size"));
                    }
                    *pos += 1;
                    let size = self.chunk_size;
                    let flow = h.on_chunk_header(size, &self.ext);
                    if size == 0 {
                        self.in_trailers = true;
                        self.first_line = false;
                        self.buf.clear();
                        self.fields.clear();
                        self.counted = 0;
                        self.collecting = true;
                        self.base = p + 1;
                        self.state = State::FieldStart;
                    } else {
                        self.remaining = size;
                        self.state = State::ChunkData;
                    }
                    if flow == Flow::Pause {
                        return Ok(());
                    }
                }
                State::ChunkData => {
                    let take = (len - p).min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
                    *pos += take;
                    self.remaining -= take as u64;
                    if self.remaining == 0 {
                        self.state = State::ChunkDataCr;
                    }
                    if h.on_body(&data[p..p + take]) == Flow::Pause {
                        return Ok(());
                    }
                }
                State::ChunkDataCr => {
                    if b != b'\r' {
                        return Err(self.err(p, ErrorCode::Strict, "Expected LF after chunk data"));
                    }
                    *pos += 1;
                    self.state = State::ChunkDataLf;
                }
                State::ChunkDataLf => {
                    if b != b'\n' {
                        return Err(self.err(p, ErrorCode::Strict, "Expected LF after chunk data"));
                    }
                    *pos += 1;
                    self.start_chunk();
                    if h.on_chunk_complete() == Flow::Pause {
                        return Ok(());
                    }
                }
                State::UntilEof => {
                    *pos = len;
                    if h.on_body(&data[p..]) == Flow::Pause {
                        return Ok(());
                    }
                }
                State::Closed => {
                    if b == b'\r' || b == b'\n' {
                        *pos += 1;
                        continue;
                    }
                    return Err(self.err(
                        p,
                        ErrorCode::ClosedConnection,
                        "Data after `Connection: close`",
                    ));
                }
                State::Upgraded => return Ok(()),
                State::Failed => {
                    return Err(self.err(p, ErrorCode::Strict, "Parser failed earlier"));
                }
            }
        }
        Ok(())
    }

    /// Node 20 takes `RTSP/x.x` request lines for GET, OPTIONS and POST, and `ICE/x.x` for
    /// SOURCE (measured); any other pairing is `HPE_INVALID_CONSTANT`.
    fn check_protocol_method(&self, at: usize) -> Step {
        if self.kind == Kind::Response {
            return Ok(());
        }
        let ok = match self.protocol {
            "RTSP" => self.method_is("GET") || self.method_is("OPTIONS") || self.method_is("POST"),
            "ICE" => self.method_is("SOURCE"),
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(self.err(
                at,
                ErrorCode::InvalidConstant,
                "Invalid method for this protocol",
            ))
        }
    }

    fn method_is(&self, m: &str) -> bool {
        self.method.and_then(|i| METHODS.get(i)) == Some(&m)
    }

    fn set_http09(&mut self) {
        self.major = 0;
        self.minor = 9;
    }

    fn ext_has_eq(&self) -> bool {
        let last_semi = self.ext.iter().rposition(|&c| c == b';').unwrap_or(0);
        self.ext[last_semi..].contains(&b'=')
    }

    fn push_ext(&mut self, b: u8, at: usize) -> Step {
        if self.ext.len() >= self.limits.max_chunk_extensions {
            return Err(self.err(
                at,
                ErrorCode::ChunkExtensionsOverflow,
                "Chunk extensions overflow",
            ));
        }
        self.ext.push(b);
        Ok(())
    }

    fn start_chunk(&mut self) {
        self.chunk_size = 0;
        self.chunk_digits = 0;
        self.state = State::ChunkSize;
    }

    /// A header or trailer line ended (its LF at `at`): trim, apply framing rules, keep or drop.
    /// The head collected so far, from its first byte: `buf` when it arrived in pieces,
    /// else straight from the input.
    #[inline(always)]
    fn head<'a>(&'a self, data: &'a [u8]) -> &'a [u8] {
        if self.buf.is_empty() {
            data.get(self.base..).unwrap_or_default()
        } else {
            &self.buf
        }
    }

    /// Brings the whole head so far into `buf` when part of it is there already, so a span
    /// never straddles `buf` and `data`.
    #[inline]
    fn settle(&mut self, data: &[u8], upto: usize) -> Step {
        if self.buf.is_empty() {
            Ok(())
        } else {
            self.flush(data, upto)
        }
    }

    /// A header or trailer line ended (its LF at input index `at`): trim, apply the framing
    /// rules, keep or drop. `trailing_ws` is how many spaces/tabs end the value, when the
    /// caller knows.
    #[inline]
    fn end_field(&mut self, data: &[u8], at: usize, trailing_ws: Option<u32>) -> Step {
        self.settle(data, at)?;
        let raw = Span {
            start: self.value_start,
            end: self.value_end,
        };
        let value = match trailing_ws {
            Some(n) => Span {
                start: raw.start,
                end: raw.end - n,
            },
            None => {
                let bytes = head_bytes(&self.buf, self.base, data, raw);
                let kept = bytes.len() - (bytes.len() - trim_end_ws(bytes).len());
                Span {
                    start: raw.start,
                    end: raw.start + kept as u32,
                }
            }
        };
        if !self.in_trailers && self.special != Special::None {
            self.apply_special(data, raw, at)?;
        }
        let max = self.limits.max_headers_count;
        if max == 0 || self.fields.len() < max {
            self.fields.push(FieldSpan {
                name: self.cur_name,
                value,
            });
        }
        Ok(())
    }

    fn apply_special(&mut self, data: &[u8], value: Span, at: usize) -> Step {
        // the untrimmed value: Node 20 accepts trailing spaces, not tabs, after tokens
        let raw = head_bytes(&self.buf, self.base, data, value);
        match self.special {
            Special::ContentLength => {
                if self.content_length.is_some() {
                    return Err(self.err(
                        at,
                        ErrorCode::UnexpectedContentLength,
                        "Duplicate Content-Length",
                    ));
                }
                if self.te_present {
                    return Err(self.err(
                        at,
                        ErrorCode::InvalidContentLength,
                        "Content-Length can't be present with Transfer-Encoding",
                    ));
                }
                let digits = trim_end_spaces(raw);
                if digits.is_empty() {
                    return Err(self.err(
                        at,
                        ErrorCode::InvalidContentLength,
                        "Empty Content-Length",
                    ));
                }
                let mut n: u64 = 0;
                for &d in digits {
                    if !d.is_ascii_digit() {
                        return Err(self.err(
                            at,
                            ErrorCode::InvalidContentLength,
                            "Invalid character in Content-Length",
                        ));
                    }
                    n = match n
                        .checked_mul(10)
                        .and_then(|n| n.checked_add((d - b'0') as u64))
                    {
                        Some(n) if n != u64::MAX => n,
                        _ => {
                            return Err(self.err(
                                at,
                                ErrorCode::InvalidContentLength,
                                "Content-Length overflow",
                            ))
                        }
                    };
                }
                self.content_length = Some(n);
            }
            Special::TransferEncoding => {
                if self.content_length.is_some() {
                    return Err(self.err(
                        at,
                        ErrorCode::InvalidTransferEncoding,
                        "Transfer-Encoding can't be present with Content-Length",
                    ));
                }
                self.te_present = true;
                let mut chunked = self.chunked;
                let mut bad = false;
                for token in raw.split(|&c| c == b',') {
                    let token = trim_spaces(token);
                    if token.is_empty() {
                        continue;
                    }
                    if chunked && self.kind == Kind::Request {
                        bad = true;
                    }
                    chunked = token.eq_ignore_ascii_case(b"chunked");
                }
                if bad {
                    return Err(self.err(
                        at,
                        ErrorCode::InvalidTransferEncoding,
                        "Invalid `Transfer-Encoding` header value",
                    ));
                }
                self.chunked = chunked;
            }
            Special::Connection => {
                let value = trim_end_spaces(raw);
                if value.eq_ignore_ascii_case(b"keep-alive") {
                    self.conn_keep_alive = true;
                    return Ok(());
                }
                for token in raw.split(|&c| c == b',') {
                    let token = trim_spaces(token);
                    if token.eq_ignore_ascii_case(b"close") {
                        self.conn_close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        self.conn_keep_alive = true;
                    } else if token.eq_ignore_ascii_case(b"upgrade") {
                        self.conn_upgrade = true;
                    }
                }
            }
            Special::Upgrade => self.has_upgrade = true,
            Special::None => {}
        }
        Ok(())
    }

    fn body_kind(&self) -> BodyKind {
        if self.kind == Kind::Response
            && (self.status / 100 == 1 || self.status == 204 || self.status == 304)
        {
            return BodyKind::None;
        }
        if self.chunked {
            return BodyKind::Chunked;
        }
        if self.te_present {
            // a request here is rejected after on_headers_complete
            return match self.kind {
                Kind::Request => BodyKind::None,
                Kind::Response => BodyKind::UntilEof,
            };
        }
        match (self.content_length, self.kind) {
            (Some(0), _) | (None, Kind::Request) => BodyKind::None,
            (Some(n), _) => BodyKind::Length(n),
            (None, Kind::Response) => BodyKind::UntilEof,
        }
    }

    fn compute_keep_alive(&self, body: BodyKind) -> bool {
        let persistent = if self.major > 0 && self.minor > 0 {
            !self.conn_close
        } else {
            self.conn_keep_alive
        };
        persistent && body != BodyKind::UntilEof
    }

    /// The head ended (LF of the empty line at `at`). Returns true when `execute` must return.
    fn headers_complete<H: Handler>(
        &mut self,
        data: &[u8],
        at: usize,
        h: &mut H,
    ) -> Result<bool, ParseError> {
        self.settle(data, at + 1)?;
        self.collecting = false;
        let body = self.body_kind();
        self.keep_alive = self.compute_keep_alive(body);
        self.upgrade = match self.kind {
            Kind::Request => self.method_is("CONNECT") || (self.has_upgrade && self.conn_upgrade),
            Kind::Response => self.status == 101,
        };
        let host_missing = self.kind == Kind::Request
            && (self.major, self.minor) == (1, 1)
            && !self
                .fields
                .iter()
                .any(|f| slice(self.head(data), f.name).eq_ignore_ascii_case(b"host"));
        let flow = {
            let head = Head {
                kind: self.kind,
                method: self.method.and_then(|i| METHODS.get(i).copied()),
                url: slice(self.head(data), self.url),
                protocol: self.protocol,
                version: (self.major, self.minor),
                status: self.status,
                reason: slice(self.head(data), self.reason),
                fields: Fields {
                    buf: self.head(data),
                    spans: &self.fields,
                },
                body,
                keep_alive: self.keep_alive,
                upgrade: self.upgrade,
                content_length: self.content_length,
                host_missing,
            };
            h.on_headers_complete(&head)
        };
        // the head was delivered: its bytes are no longer needed; trailers start afresh
        self.buf.clear();
        self.fields.clear();
        self.counted = 0;

        let mut skip = false;
        match flow {
            Flow::SkipBody => skip = true,
            Flow::Upgrade => {
                self.upgrade = true;
                skip = true;
            }
            Flow::Continue | Flow::Pause => {}
        }
        if self.kind == Kind::Request && self.te_present && !self.chunked {
            return Err(self.err(
                at,
                ErrorCode::InvalidTransferEncoding,
                "Request has invalid `Transfer-Encoding`",
            ));
        }
        let has_body = matches!(body, BodyKind::Chunked | BodyKind::Length(_));
        if (self.upgrade && (self.method_is("CONNECT") || skip || !has_body))
            || (self.kind == Kind::Response && self.status == 101)
        {
            self.upgrade = true;
            return Ok(self.complete_message(h, flow));
        }
        let body = if skip { BodyKind::None } else { body };
        if skip {
            self.keep_alive = self.compute_keep_alive(BodyKind::None);
        }
        match body {
            BodyKind::None => return Ok(self.complete_message(h, flow)),
            BodyKind::Length(n) => {
                self.remaining = n;
                self.state = State::LengthBody;
            }
            BodyKind::Chunked => self.start_chunk(),
            BodyKind::UntilEof => self.state = State::UntilEof,
        }
        Ok(flow == Flow::Pause)
    }

    /// Ends the current message. `flow` is what the last callback returned. Returns true
    /// when `execute` must return (pause or hand-over).
    fn complete_message<H: Handler>(&mut self, h: &mut H, flow: Flow) -> bool {
        self.state = if self.upgrade {
            State::Upgraded
        } else if self.keep_alive {
            State::MessageStart
        } else {
            State::Closed
        };
        let done = h.on_message_complete();
        flow == Flow::Pause || done == Flow::Pause || self.state == State::Upgraded
    }
}

/// The bytes of `span` in the virtual head `buf ++ data[base..]` (never straddling: see
/// [`Parser::settle`]).
#[inline(always)]
fn head_bytes<'a>(buf: &'a [u8], base: usize, data: &'a [u8], span: Span) -> &'a [u8] {
    let in_buf = buf.len() as u32;
    if span.end <= in_buf {
        slice(buf, span)
    } else {
        let from = base + span.start.saturating_sub(in_buf) as usize;
        let to = base + (span.end - in_buf) as usize;
        data.get(from..to).unwrap_or_default()
    }
}

fn trim_end_ws(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// Raw head bytes (whitespace, CRLFs, separators) allowed beyond twice `max_header_size`
/// when a head arrives in pieces and must be buffered.
const RAW_HEAD_SLACK: usize = 64 * 1024;

#[inline(always)]
fn classify(name: &[u8]) -> Special {
    match name.len() {
        7 if name.eq_ignore_ascii_case(b"upgrade") => Special::Upgrade,
        10 if name.eq_ignore_ascii_case(b"connection") => Special::Connection,
        16 if name.eq_ignore_ascii_case(b"proxy-connection") => Special::Connection,
        14 if name.eq_ignore_ascii_case(b"content-length") => Special::ContentLength,
        17 if name.eq_ignore_ascii_case(b"transfer-encoding") => Special::TransferEncoding,
        _ => Special::None,
    }
}

fn trim_end_spaces(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b' '] = s {
        s = rest;
    }
    s
}

fn trim_spaces(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    trim_end_spaces(s)
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn scan_alpha(data: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < data.len() && data[i].is_ascii_alphabetic() {
        i += 1;
    }
    i
}

mod collect;
mod fast;
pub use collect::{parse_all, parse_chunks, Collector, Message, Parsed};
use fast::{scan, scan_target, scan_token, scan_value};
