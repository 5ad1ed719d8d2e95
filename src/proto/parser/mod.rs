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
//! A head that arrives in one piece is parsed in place: the [`Head`] handed to the handler
//! borrows your input. Only when a read ends in the middle of a head are its bytes kept in
//! an internal buffer (bounded: see [`Limits`]). Each byte is examined once whatever the
//! split, and nothing is allocated per byte. Complete lines take a fast path (`fast.rs`);
//! the byte-level states (`start_line.rs`, `fields.rs`, `body.rs`) handle everything else
//! with the same results.
//!
//! Errors are [`ParseError`]s with Node's `HPE_*` codes ([`ErrorCode`]); after an error the
//! parser stays failed. The parser never panics.
#![forbid(unsafe_code)]

use super::status::{method_index, FIELD_VALUE, METHODS, SERVER, TOKEN};

/// What the parser expects: requests (a server) or responses (a client).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Parse requests.
    Request,
    /// Parse responses.
    Response,
}

/// The bounds a parser enforces. [`Limits::default`] is Node 20's. `#[non_exhaustive]`:
/// start from `Limits::default()` and set fields or use the builder methods.
///
/// ```
/// let limits = stdhttp::parser::Limits::default().max_header_size(8192).max_headers_count(50);
/// assert_eq!(limits.max_header_size, 8192);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Bytes of request-target (or reason phrase) plus every header name and value; a head
    /// reaching this many is rejected with `HPE_HEADER_OVERFLOW` (Node's `maxHeaderSize`,
    /// default 16384). Trailers get the same budget of their own. `0` means the default,
    /// as Node's `maxHeaderSize: 0`; the largest limit honoured is [`MAX_HEADER_SIZE_CAP`]
    /// (512 MiB).
    pub max_header_size: usize,
    /// Header lines kept in [`Head::headers`] (Node's `maxHeadersCount`, default 1000); later
    /// lines are still checked and still count towards framing, but are dropped silently.
    /// `0` means keep all.
    pub max_headers_count: usize,
    /// Extension name and value bytes (and opening quotes) allowed in one chunk-size line,
    /// counted as Node counts them; more is `HPE_CHUNK_EXTENSIONS_OVERFLOW` (Node answers
    /// 413). Default 16384. The separators (`;`, `=`, closing quotes) are bounded apart, at
    /// twice this plus 1 KiB, so the extensions handed to
    /// [`Handler::on_chunk_header`] can be somewhat longer than this.
    pub max_chunk_extensions: usize,
}

/// Node 20's `http.maxHeaderSize`.
pub const DEFAULT_MAX_HEADER_SIZE: usize = 16 * 1024;
/// Buffer capacity a parser keeps between messages; more is given back at the next one.
const KEPT_CAPACITY: usize = 4 * 1024;
/// Field spans a parser keeps between messages.
const KEPT_FIELDS: usize = 64;

/// The highest `max_header_size` honoured: heads are indexed with 32-bit offsets.
pub const MAX_HEADER_SIZE_CAP: usize = 1 << 29;
/// Node 20's effective `maxHeadersCount` (1000 header lines).
pub const DEFAULT_MAX_HEADERS_COUNT: usize = 1000;
/// Node 20's bound on chunk extensions per chunk.
pub const DEFAULT_MAX_CHUNK_EXTENSIONS: usize = 16 * 1024;

impl Limits {
    /// Set [`max_header_size`](Limits#structfield.max_header_size).
    pub fn max_header_size(mut self, bytes: usize) -> Limits {
        self.max_header_size = bytes;
        self
    }

    /// Set [`max_headers_count`](Limits#structfield.max_headers_count).
    pub fn max_headers_count(mut self, lines: usize) -> Limits {
        self.max_headers_count = lines;
        self
    }

    /// Set [`max_chunk_extensions`](Limits#structfield.max_chunk_extensions).
    pub fn max_chunk_extensions(mut self, bytes: usize) -> Limits {
        self.max_chunk_extensions = bytes;
        self
    }
}

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

pub use crate::proto::framing::BodyFraming;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    MessageStart,
    Method,
    SpacesBeforeTarget,
    TargetStart,
    Schema,
    SchemaSlash1,
    SchemaSlash2,
    Server,
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
    UntilClose,
    Closed,
    Upgraded,
    Failed,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Special {
    None,
    Host,
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
    /// The header-size limit in force: [`Limits::max_header_size`], where 0 means the
    /// default and anything larger than [`MAX_HEADER_SIZE_CAP`] means the cap.
    head_max: usize,
    /// Bytes a head may take on the wire in all (separators and whitespace included):
    /// 4 × `head_max` + 64 KiB, under 4 GiB so 32-bit offsets cannot wrap.
    raw_cap: usize,
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
    /// What is known of the message being parsed; all of it starts afresh with each one.
    msg: Msg,

    remaining: u64,
    chunk_size: u64,
    chunk_digits: u8,
    ext_mode: body::ExtPart,
    ext_counted: usize,
    ext: Vec<u8>,
}

/// The per-message part of the parser's state.
#[derive(Debug, Clone)]
struct Msg {
    /// No header line ended yet.
    first_line: bool,
    in_trailers: bool,
    /// The method so far, when split across inputs.
    method_buf: [u8; 12],
    method_len: u8,
    /// Index in `METHODS` (`None` for responses, and for `PRI`).
    method: Option<usize>,
    url: Span,
    reason: Span,
    /// Bytes of the protocol name matched.
    proto_idx: u8,
    protocol: &'static str,
    major: u8,
    minor: u8,
    status: u16,
    /// Digits of the status code read.
    status_digits: u8,
    content_length: Option<u64>,
    /// A non-empty Transfer-Encoding was seen.
    te_present: bool,
    /// Transfer-Encoding ends in `chunked`.
    chunked: bool,
    conn_close: bool,
    conn_keep_alive: bool,
    conn_upgrade: bool,
    /// A non-empty `Upgrade` header was seen.
    has_upgrade: bool,
    /// A kept `Host` line was seen.
    host_seen: bool,
    /// The connection is handed over after this message.
    upgrade: bool,
    /// Node's `shouldKeepAlive`.
    keep_alive: bool,
}

impl Default for Msg {
    fn default() -> Self {
        Msg {
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
            host_seen: false,
            upgrade: false,
            keep_alive: false,
        }
    }
}

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
        let mut parser = Parser {
            kind,
            limits,
            head_max: 0,
            raw_cap: 0,
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
            msg: Msg::default(),
            remaining: 0,
            chunk_size: 0,
            chunk_digits: 0,
            ext_mode: body::ExtPart::NameStart,
            ext_counted: 0,
            ext: Vec::new(),
        };
        parser.set_limits(limits);
        parser
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
        self.head_max = match limits.max_header_size {
            0 => DEFAULT_MAX_HEADER_SIZE,
            n => n.min(MAX_HEADER_SIZE_CAP),
        };
        self.raw_cap = self.head_max * 4 + RAW_HEAD_SLACK;
    }

    /// Forget everything and wait for a new first message (keeps the limits and the
    /// buffers' capacity).
    pub fn reset(&mut self) {
        // the rest of the state is set again when the next message or chunk begins
        self.state = State::MessageStart;
        self.error = None;
        self.offset = 0;
        self.base = 0;
        self.collecting = false;
        self.msg = Msg::default();
        self.buf.clear();
        self.fields.clear();
        self.ext.clear();
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
        self.msg.keep_alive
    }

    /// True while a close-delimited response body is being read: EOF will complete it.
    pub fn is_reading_until_eof(&self) -> bool {
        self.state == State::UntilClose
    }

    /// The error the parser failed with, if any.
    pub fn error(&self) -> Option<&ParseError> {
        self.error.as_ref()
    }

    /// After an upgrade, go back to parsing HTTP from the next byte (what Node does for an
    /// `Upgrade` request when no `upgrade` listener exists).
    pub fn resume_after_upgrade(&mut self) {
        if self.state == State::Upgraded {
            self.msg.upgrade = false;
            self.state = if self.msg.keep_alive {
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
        let r = self.run(data, &mut pos, h);
        if r.is_ok() {
            self.flush(data, pos);
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
            State::UntilClose => {
                self.msg.keep_alive = false;
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

    /// A head or trailer section starts at input index `at`: collect it from there.
    fn start_section(&mut self, at: usize) {
        self.buf.clear();
        self.fields.clear();
        // a large head must not pin its buffers for the connection's lifetime
        if self.buf.capacity() > KEPT_CAPACITY {
            self.buf = Vec::new();
        }
        if self.fields.capacity() > KEPT_FIELDS {
            self.fields = Vec::new();
        }
        if self.ext.capacity() > KEPT_CAPACITY {
            self.ext = Vec::new();
        }
        self.counted = 0;
        self.base = at;
        self.collecting = true;
    }

    fn begin_message(&mut self, at: usize) {
        self.start_section(at);
        self.msg = Msg::default();
    }

    /// Counts head bytes (which start at input position `start`) towards the header-size
    /// limit and the bound on the raw head. The error names the first byte past either
    /// bound, so it is the same however the input was split.
    #[inline]
    fn take_counted(&mut self, bytes: &[u8], start: usize) -> Step {
        let max = self.head_max;
        if self.counted + bytes.len() >= max {
            let at = start + (max - 1).saturating_sub(self.counted);
            self.check_raw(start, at + 1)?;
            return Err(self.err(at, ErrorCode::HeaderOverflow, "Header overflow"));
        }
        self.check_raw(start, start + bytes.len())?;
        self.counted += bytes.len();
        Ok(())
    }

    /// Consumes the counted head bytes `[p, run)`; true when the input ended inside them
    /// (the state resumes with the next input).
    #[inline]
    fn counted_run(
        &mut self,
        data: &[u8],
        pos: &mut usize,
        p: usize,
        run: usize,
    ) -> Result<bool, ParseError> {
        self.take_counted(&data[p..run], p)?;
        *pos = run;
        Ok(run == data.len())
    }

    /// Fails with `HPE_HEADER_OVERFLOW` if the head bytes at input `[p, end)` go past
    /// `raw_cap`, naming the first byte that does (so any split fails alike).
    #[inline(always)]
    fn check_raw(&self, p: usize, end: usize) -> Step {
        let raw_end = self.buf.len() + end.saturating_sub(self.base);
        if self.collecting && raw_end > self.raw_cap {
            let raw_p = self.buf.len() + p.saturating_sub(self.base);
            let at = p + self.raw_cap.saturating_sub(raw_p);
            return Err(self.err(at, ErrorCode::HeaderOverflow, "Header overflow"));
        }
        Ok(())
    }

    /// The offset in the head being collected of input byte `i`: spans are such offsets
    /// into the virtual head `buf ++ data[base..]`.
    #[inline(always)]
    fn at(&self, i: usize) -> u32 {
        // i >= base while collecting; wrapping keeps this panic-free if it were not
        self.buf.len().wrapping_add(i.wrapping_sub(self.base)) as u32
    }

    /// Moves the head bytes of `data` consumed so far (up to `upto`) into `buf`, so the head
    /// survives the end of this input. A head that arrives whole is never copied.
    fn flush(&mut self, data: &[u8], upto: usize) {
        if self.collecting && upto > self.base {
            self.buf
                .extend_from_slice(data.get(self.base..upto).unwrap_or_default());
            self.base = upto;
        }
    }

    fn run<H: Handler>(&mut self, data: &[u8], pos: &mut usize, h: &mut H) -> Step {
        while *pos < data.len() {
            if let Some(next) = self.fast_line(data, *pos)? {
                *pos = next;
                continue;
            }
            self.check_raw(*pos, *pos + 1)?;
            let stop = match self.state {
                State::MessageStart
                | State::Method
                | State::SpacesBeforeTarget
                | State::TargetStart
                | State::Schema
                | State::SchemaSlash1
                | State::SchemaSlash2
                | State::Server
                | State::Target
                | State::TargetLf
                | State::Protocol
                | State::VersionMajor
                | State::VersionDot
                | State::VersionMinor
                | State::RequestLineEnd
                | State::StartLineLf
                | State::StatusCode
                | State::AfterStatus
                | State::Reason => self.step_start_line(data, pos, h)?,
                State::FieldStart
                | State::FieldName
                | State::ValueStart
                | State::Value
                | State::ValueLf
                | State::SectionLf => self.step_fields(data, pos, h)?,
                _ => self.step_body(data, pos, h)?,
            };
            if stop {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// Raw head bytes (whitespace, CRLFs, separators) allowed beyond 4 × `max_header_size`.
const RAW_HEAD_SLACK: usize = 64 * 1024;

mod body;
mod collect;
mod error;
mod fast;
mod fields;
mod head;
mod start_line;

pub use collect::{parse_all, parse_chunks, Collector, Message, Parsed};
pub use error::{ErrorCode, ParseError};
pub use head::{Fields, Head};

use fast::{scan, scan_line_end, scan_target, scan_token, scan_value};
use fields::classify;
use head::{head_bytes, slice, FieldSpan, Span};

#[cfg(test)]
mod tests;
