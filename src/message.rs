//! [`IncomingMessage`]: a request as the server receives it or a response as the client
//! receives it; its head, and its body as a stream.
//!
//! The read side of a connection (socket, parser, buffered bytes, deadlines) is a
//! [`Reader`]; a message borrows it, through a shared handle, while its body is read.
#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::net::Socket;
use crate::parser::{BodyFraming, Fields, Flow, Handler, Head, Kind, Limits, Parser};
use crate::proto::headers::{latin1, Headers, RawHeaders};
use crate::Error;

/// The read buffer a connection starts with (small: idle connections keep it).
const FIRST_READ: usize = 2 * 1024;
/// The read buffer grows (while reads fill it) up to this.
const MAX_READ: usize = 64 * 1024;
/// A read buffer larger than this (grown by a large head or body) is given back when the
/// connection waits for its next message.
const KEPT_READ_BUFFER: usize = 16 * 1024;
/// How far past its deadline a read may block before the socket timeout is set again.
const REARM_SLACK: Duration = Duration::from_millis(20);
/// Decoded body bytes collected before the parser pauses for the reader to catch up.
const BODY_BATCH: usize = 64 * 1024;

/// The head of a message, owned.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeadData {
    pub method: Option<&'static str>,
    pub url: String,
    pub status: u16,
    pub reason: String,
    pub version: (u8, u8),
    pub raw_headers: RawHeaders,
    pub keep_alive: bool,
    pub upgrade: bool,
    pub host_missing: bool,
    /// How the body is framed (the parser's verdict).
    pub body: BodyFraming,
}

fn fields_to_raw(fields: &Fields<'_>) -> RawHeaders {
    let mut raw = RawHeaders::with_capacity(fields.len());
    for (n, v) in fields.iter() {
        raw.push_bytes(n, v);
    }
    raw
}

impl HeadData {
    fn from_head(head: &Head<'_>) -> HeadData {
        let raw_headers = fields_to_raw(&head.headers());
        HeadData {
            method: head.method(),
            url: latin1(head.url()),
            status: head.status(),
            reason: latin1(head.reason()),
            version: head.version(),
            raw_headers,
            keep_alive: head.keep_alive(),
            upgrade: head.upgrade(),
            host_missing: head.host_missing(),
            body: head.body_kind(),
        }
    }
}

impl HeadData {
    /// The value Node's `headers[name]` has for a name merged with `", "` (`expect`, `te`,
    /// `keep-alive`...), read from the raw lines without building the whole merged view.
    pub fn joined(&self, name: &str) -> Option<String> {
        let mut values = self
            .raw_headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v);
        let first = values.next()?.to_string();
        Some(values.fold(first, |mut all, v| {
            all.push_str(", ");
            all.push_str(v);
            all
        }))
    }
}

/// Why a read on a connection stopped short.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The deadline of the current phase (headers, request, keep-alive idle) passed.
    Deadline,
    /// No byte arrived for the socket's inactivity timeout.
    Inactive,
    /// The bytes are not valid HTTP.
    Parse(Error),
    /// The socket failed.
    Io(io::Error),
}

impl From<ReadError> for Error {
    fn from(e: ReadError) -> Error {
        match e {
            ReadError::Deadline | ReadError::Inactive => {
                Error::new("ETIMEDOUT", "the connection timed out")
            }
            ReadError::Parse(e) => e,
            ReadError::Io(e) => Error::from(e),
        }
    }
}

/// What [`Reader::poll_head`] found.
pub(crate) enum Poll {
    /// A whole head.
    Head(HeadData),
    /// Not all of it yet.
    Pending,
    /// The peer closed between messages (or the message closed the connection).
    Closed,
}

/// How the caller wants the head handled, decided when it arrives.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct HeadPolicy {
    /// The message has no body whatever its headers say (a response to HEAD).
    pub skip_body: bool,
    /// Hand the connection over right after the head when it asks for it (a server with an
    /// `upgrade` listener, or CONNECT).
    pub take_upgrade: bool,
    /// The request was CONNECT: a 2xx response hands the connection over.
    pub connect_response: bool,
}

/// A body passed a bound: `max_body_size` on a server, or a limited reader's `max`.
pub(crate) fn body_too_large(max: u64) -> Error {
    Error::new(
        "ERR_HTTP_BODY_TOO_LARGE",
        format!("The body is larger than the limit of {max} bytes"),
    )
}

/// The per-message results of parsing.
#[derive(Default)]
struct Progress {
    head: Option<HeadData>,
    body: Vec<u8>,
    body_pos: usize,
    trailers: Option<RawHeaders>,
    complete: bool,
    policy: HeadPolicy,
    upgrade_connect_only: bool,
}

impl Handler for Progress {
    fn on_headers_complete(&mut self, head: &Head<'_>) -> Flow {
        self.head = Some(HeadData::from_head(head));
        if self.policy.connect_response && head.status() >= 200 {
            // Node hands every final answer to CONNECT to the `connect` listener
            Flow::Upgrade
        } else if self.policy.skip_body {
            Flow::SkipBody
        } else if head.upgrade()
            && (self.policy.take_upgrade
                || (self.upgrade_connect_only && head.method() == Some("CONNECT")))
        {
            Flow::Upgrade
        } else {
            Flow::Pause
        }
    }
    fn on_body(&mut self, data: &[u8]) -> Flow {
        self.body.extend_from_slice(data);
        if self.body.len() - self.body_pos >= BODY_BATCH {
            Flow::Pause
        } else {
            Flow::Continue
        }
    }
    fn on_trailers(&mut self, trailers: &Fields<'_>) -> Flow {
        self.trailers = Some(fields_to_raw(trailers));
        Flow::Continue
    }
    fn on_message_complete(&mut self) -> Flow {
        self.complete = true;
        Flow::Pause
    }
}

/// A hook called when the body of a message fails (parse error, timeout, EOF): the server
/// answers 400/408 through it.
pub(crate) type ErrorHook = Box<dyn FnMut(&Socket, &Error, &ReadError) + Send>;
/// A hook called once when a message's body has been read to its end (`true`) or can no
/// longer be (`false`): the client's agent frees the socket through it.
pub(crate) type DoneHook = Box<dyn FnOnce(bool) + Send>;

/// The read side of one connection.
pub(crate) struct Reader {
    pub socket: Socket,
    pub parser: Parser,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// When the current phase (headers, whole request, keep-alive idle) must be over.
    pub deadline: Option<Instant>,
    /// The socket inactivity bound (Node's `socket.setTimeout`).
    pub inactivity: Option<Duration>,
    armed: Option<Duration>,
    /// The socket's timeout generation when `armed` was set.
    armed_gen: u64,
    progress: Progress,
    /// Counts messages, so a stale [`IncomingMessage`] cannot read its successor's body.
    pub seq: u64,
    /// Bytes received since the last message began (for the drain bound).
    pub on_body_error: Option<ErrorHook>,
    /// The first byte of the current message arrived at (for the headers timeout).
    pub first_byte: Option<Instant>,
    /// When set, a CONNECT request always hands the connection over.
    pub connect_is_upgrade: bool,
    /// Once a message's first byte arrives, its head must be complete within this.
    pub headers_timeout: Option<Duration>,
    /// The most decoded body bytes a message may have (None = unbounded).
    pub max_body: Option<u64>,
    /// Decoded body bytes of the current message so far.
    body_seen: u64,
    failed: bool,
}

impl Reader {
    pub fn new(socket: Socket, kind: Kind, limits: Limits) -> Reader {
        Reader {
            socket,
            parser: Parser::new(kind, limits),
            buf: Vec::new(),
            start: 0,
            end: 0,
            eof: false,
            deadline: None,
            inactivity: None,
            armed: None,
            armed_gen: 0,
            progress: Progress::default(),
            seq: 0,
            on_body_error: None,
            first_byte: None,
            connect_is_upgrade: false,
            headers_timeout: None,
            max_body: None,
            body_seen: 0,
            failed: false,
        }
    }

    /// The socket was created with this receive timeout (a connection inherits its
    /// listener's), so the first read need not set it. Ignored once anyone has called
    /// [`Socket::set_timeout`], which replaced it.
    pub fn assume_read_timeout(&mut self, t: Option<Duration>) {
        if self.socket.timeout_generation() == 0 {
            self.armed = t;
            self.armed_gen = 0;
        }
    }

    /// Take the bytes received but not parsed (after an upgrade: the tunnel's first bytes).
    pub fn take_buffered(&mut self) -> Vec<u8> {
        let v = self.buf[self.start..self.end].to_vec();
        self.start = 0;
        self.end = 0;
        v
    }

    /// Read more bytes from the socket, honouring the deadline and inactivity bound.
    /// Returns 0 at EOF.
    fn fill(&mut self) -> Result<usize, ReadError> {
        if self.eof {
            return Ok(0);
        }
        self.make_room();
        loop {
            let now = Instant::now();
            let remaining = match self.deadline {
                Some(d) if d <= now => return Err(ReadError::Deadline),
                Some(d) => Some(d - now),
                None => None,
            };
            let want = match (remaining, self.inactivity) {
                (Some(r), Some(i)) => Some(r.min(i)),
                (r, i) => r.or(i),
            };
            // a read may block up to REARM_SLACK past the deadline; that saves a
            // setsockopt per request on a keep-alive connection
            let gen = self.socket.timeout_generation();
            if gen != self.armed_gen {
                // someone set the socket's timeouts (`set_timeout`): ours is not in force
                self.armed_gen = gen;
                self.armed = Some(Duration::ZERO);
            }
            let rearm = match (want, self.armed) {
                (None, None) => false,
                (Some(w), Some(a)) => w + REARM_SLACK < a || w > a.saturating_mul(2),
                _ => true,
            };
            if rearm {
                self.socket.set_read_timeout(want).map_err(ReadError::Io)?;
                self.armed = want;
            }
            let started = Instant::now();
            match (&self.socket).read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(0);
                }
                Ok(n) => {
                    let was_full = self.end + n == self.buf.len();
                    self.end += n;
                    if was_full && self.buf.len() < MAX_READ {
                        // more is probably waiting: read bigger pieces from now on
                        let grow = self.buf.len();
                        self.buf.resize(self.buf.len() + grow, 0);
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut =>
                {
                    let now = Instant::now();
                    if self.deadline.is_some_and(|d| d <= now) {
                        return Err(ReadError::Deadline);
                    }
                    if self.inactivity.is_some_and(|i| {
                        now.duration_since(started) + Duration::from_millis(2) >= i
                    }) {
                        return Err(ReadError::Inactive);
                    }
                    // armed for a shorter wait than this phase needs: arm again and go on
                    self.armed = None;
                }
                Err(e) => {
                    self.eof = true;
                    return Err(ReadError::Io(e));
                }
            }
        }
    }

    /// Run the parser over the buffered bytes.
    fn parse_buffered(&mut self) -> Result<(), ReadError> {
        if self.start == self.end || self.failed {
            return Ok(());
        }
        let data = &self.buf[self.start..self.end];
        match self.parser.execute(data, &mut self.progress) {
            Ok(n) => {
                self.start += n;
                Ok(())
            }
            Err(e) => {
                self.failed = true;
                Err(ReadError::Parse(Error::from(e)))
            }
        }
    }

    /// Wait for the next message's head. `Ok(None)` means the peer closed the connection
    /// cleanly between messages.
    pub fn read_head(&mut self, policy: HeadPolicy) -> Result<Option<HeadData>, ReadError> {
        self.begin_head(policy);
        loop {
            if self.start < self.end && self.first_byte.is_none() {
                self.mark_first_byte();
            }
            self.parse_buffered()?;
            if let Some(head) = self.progress.head.take() {
                return Ok(Some(head));
            }
            if self.parser.is_closed() {
                return Ok(None);
            }
            if self.fill()? == 0 {
                return match self.parser.finish(&mut self.progress) {
                    Ok(()) => Ok(None),
                    Err(e) => Err(ReadError::Parse(Error::from(e))),
                };
            }
            if self.first_byte.is_none() {
                self.mark_first_byte();
            }
        }
    }

    /// The next message's head from what is buffered, and (when `may_read`) one read that
    /// does not wait: the parser keeps its place between calls, so a head that trickles in
    /// costs no thread while it waits. `Ok(Poll::Pending)`: not all of it is here yet.
    pub fn poll_head(&mut self, policy: HeadPolicy, may_read: bool) -> Result<Poll, ReadError> {
        self.begin_head(policy);
        let mut may_read = may_read;
        loop {
            if self.start < self.end && self.first_byte.is_none() {
                self.mark_first_byte();
            }
            self.parse_buffered()?;
            if let Some(head) = self.progress.head.take() {
                return Ok(Poll::Head(head));
            }
            if self.parser.is_closed() {
                return Ok(Poll::Closed);
            }
            if !may_read {
                return Ok(Poll::Pending);
            }
            may_read = false;
            match self.fill_now()? {
                None => return Ok(Poll::Pending),
                Some(0) => {
                    return match self.parser.finish(&mut self.progress) {
                        Ok(()) => Ok(Poll::Closed),
                        Err(e) => Err(ReadError::Parse(Error::from(e))),
                    }
                }
                Some(_) => {}
            }
        }
    }

    /// Give the read buffer back while nothing is buffered (a connection parked between
    /// requests holds no buffer).
    pub fn release_buffer(&mut self) {
        if self.start == self.end {
            self.buf = Vec::new();
            self.start = 0;
            self.end = 0;
        }
    }

    /// Make room for a read at the end of the buffer.
    fn make_room(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
        if self.buf.len() - self.end < 1024 {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if self.buf.len() - self.end < 1024 {
                let grow = FIRST_READ.max(self.buf.len());
                self.buf.resize(self.buf.len() + grow, 0);
            }
        }
    }

    /// One read that does not wait: `None` when nothing is there.
    fn fill_now(&mut self) -> Result<Option<usize>, ReadError> {
        if self.eof {
            return Ok(Some(0));
        }
        self.make_room();
        loop {
            match self.socket.read_now(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(Some(0));
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(Some(n));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e) => {
                    self.eof = true;
                    return Err(ReadError::Io(e));
                }
            }
        }
    }

    fn begin_head(&mut self, policy: HeadPolicy) {
        self.progress = Progress {
            policy,
            upgrade_connect_only: self.connect_is_upgrade,
            ..Progress::default()
        };
        self.seq += 1;
        self.body_seen = 0;
        if self.start == self.end && self.buf.len() > KEPT_READ_BUFFER {
            // a large head or body grew the buffer: a connection waiting for its next
            // message holds only the first read's worth
            self.buf = Vec::new();
            self.start = 0;
            self.end = 0;
        }
        if self.parser.is_upgraded() {
            // the previous message asked to upgrade and nobody took the connection (an
            // upgrade request with a body and no listener): go on with HTTP, as Node
            self.parser.resume_after_upgrade();
        }
        if self.parser.is_idle() {
            self.first_byte = None;
        }
    }

    fn mark_first_byte(&mut self) {
        let now = Instant::now();
        self.first_byte = Some(now);
        if let Some(t) = self.headers_timeout {
            self.deadline = now.checked_add(t);
        }
    }

    /// Whether bytes past the end of the current message are buffered.
    pub fn has_buffered(&self) -> bool {
        self.start < self.end
    }

    /// After a message's end: what the bytes received past it are, as Node's parser reads
    /// them. `None`: there are none. `Some(Some(e))`: they are a parse error (Node emits it
    /// on the request: `HPE_INVALID_CONSTANT`, `HPE_CLOSED_CONNECTION`). `Some(None)`: they
    /// are (the start of) another message, which Node drops. Either way the connection
    /// cannot be reused.
    pub fn leftover(&mut self) -> Option<Option<Error>> {
        if self.start == self.end {
            return None;
        }
        let mut sink = Progress::default();
        let verdict = match self
            .parser
            .execute(&self.buf[self.start..self.end], &mut sink)
        {
            Err(e) => Some(Error::from(e)),
            Ok(_) => None,
        };
        self.failed = true;
        Some(verdict)
    }

    /// Whether the current message's body has been read to its end.
    pub fn body_complete(&self) -> bool {
        self.progress.complete && self.progress.body_pos == self.progress.body.len()
    }

    /// The trailers of the current message, once complete.
    pub fn take_trailers(&mut self) -> Option<RawHeaders> {
        self.progress.trailers.take()
    }

    /// Read decoded body bytes of the current message into `out`; 0 at its end.
    pub fn read_body(&mut self, out: &mut [u8]) -> Result<usize, ReadError> {
        loop {
            let p = &mut self.progress;
            if p.body_pos < p.body.len() {
                let n = out.len().min(p.body.len() - p.body_pos);
                self.body_seen += n as u64;
                if let Some(max) = self.max_body.filter(|&m| self.body_seen > m) {
                    self.failed = true;
                    return Err(ReadError::Parse(body_too_large(max)));
                }
                out[..n].copy_from_slice(&p.body[p.body_pos..p.body_pos + n]);
                p.body_pos += n;
                if p.body_pos == p.body.len() {
                    p.body.clear();
                    p.body_pos = 0;
                }
                return Ok(n);
            }
            if p.complete || out.is_empty() {
                return Ok(0);
            }
            if self.failed {
                return Err(ReadError::Parse(Error::new("ECONNRESET", "aborted")));
            }
            if self.start < self.end {
                self.parse_buffered()?;
                continue;
            }
            if self.fill()? == 0 {
                if let Err(e) = self.parser.finish(&mut self.progress) {
                    // a body cut short reads as Node's ECONNRESET `aborted`, on both sides;
                    // the server's clientError path still gets HPE_INVALID_EOF_STATE (its 400)
                    self.failed = true;
                    if self.parser.kind() == Kind::Request {
                        let cause = Error::from(e);
                        self.report(&cause, &ReadError::Parse(cause.clone()));
                    }
                    return Err(ReadError::Parse(Error::new("ECONNRESET", "aborted")));
                }
                if !self.progress.complete {
                    return Err(ReadError::Parse(Error::new("ECONNRESET", "aborted")));
                }
            }
        }
    }

    /// Read and discard the rest of the current body, at most `limit` bytes. `Ok(true)` when
    /// the body ended within the bound.
    pub fn drain_body(&mut self, limit: u64) -> Result<bool, ReadError> {
        let mut scratch = vec![0u8; 8192]; // on the heap: a big stack frame costs every worker
        let mut total = 0u64;
        loop {
            if self.progress.complete {
                self.progress.body.clear();
                self.progress.body_pos = 0;
                return Ok(true);
            }
            let n = self.read_body(&mut scratch)?;
            if n == 0 {
                return Ok(self.progress.complete);
            }
            total += n as u64;
            if total > limit {
                return Ok(false);
            }
        }
    }

    /// Report a body failure through the hook (the server answers 400/408 there).
    fn report(&mut self, err: &Error, why: &ReadError) {
        if let Some(hook) = self.on_body_error.as_mut() {
            hook(&self.socket, err, why);
        }
    }
}

/// The body source of a message.
enum Body {
    /// Nothing (more) to read.
    Done,
    /// Read from the connection's reader while its sequence number is ours.
    Conn(Arc<Mutex<Reader>>, u64),
}

fn lock(r: &Mutex<Reader>) -> MutexGuard<'_, Reader> {
    match r.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

type DataListener = Box<dyn FnMut(&[u8]) + Send>;
type Listener = Box<dyn FnMut() + Send>;
type ErrorListener = Box<dyn FnMut(&Error) + Send>;

/// A received message: the request in the server's `on_request`, the response the client's
/// `end()`/`get()` returns (Node's `http.IncomingMessage`).
///
/// The body is read through [`std::io::Read`] (or [`text`](Self::text),
/// [`resume`](Self::resume)); trailers are available once it has been read to the end.
///
/// ```no_run
/// use std::io::Read;
/// let mut res = stdhttp::get("http://127.0.0.1:8080/")?;
/// println!("{} {:?}", res.status_code(), res.headers().get_str("content-type"));
/// let mut body = String::new();
/// res.read_to_string(&mut body)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct IncomingMessage {
    head: HeadData,
    /// Node's merged view, built from the raw lines the first time it is asked for.
    headers: OnceLock<Headers>,
    version: Cow<'static, str>,
    socket: Socket,
    body: Body,
    trailers: Headers,
    raw_trailers: RawHeaders,
    complete: bool,
    ended: bool,
    closed: bool,
    error: Option<Error>,
    on_data: Vec<DataListener>,
    on_end: Vec<Listener>,
    on_close: Vec<Listener>,
    on_error: Vec<ErrorListener>,
    done: Option<DoneHook>,
    /// Run after the `close` listeners (the client request's own `close`).
    after_close: Vec<Listener>,
    encoding: Option<String>,
    max_headers_count: usize,
    /// The server's timer for the request it serves (`None` on a client response).
    timer: Option<Arc<dyn RequestTimer>>,
    /// `set_timeout` callbacks of a client response.
    timeout_listeners: Vec<crate::TimeoutCallback>,
    /// Told when the body has been read to its end (the server's request timer).
    on_complete: Option<Box<dyn FnOnce() + Send>>,
}

/// The server's inactivity timer for one request (Node's `req.setTimeout`).
pub(crate) trait RequestTimer: Send + Sync {
    /// Arm it for `ms` (0 disarms), with a `timeout` listener of the request.
    fn set_timeout(&self, ms: u64, listener: Option<crate::TimeoutCallback>);
}

impl fmt::Debug for IncomingMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IncomingMessage")
            .field("method", &self.head.method)
            .field("url", &self.head.url)
            .field("status_code", &self.head.status)
            .field("http_version", &self.version)
            .field("headers", self.headers())
            .field("complete", &self.complete)
            .finish()
    }
}

fn version_text(v: (u8, u8)) -> Cow<'static, str> {
    match v {
        (1, 1) => Cow::Borrowed("1.1"),
        (1, 0) => Cow::Borrowed("1.0"),
        (0, 9) => Cow::Borrowed("0.9"),
        (2, 0) => Cow::Borrowed("2.0"),
        (a, b) => Cow::Owned(format!("{a}.{b}")),
    }
}

impl IncomingMessage {
    /// A message whose body is read from `reader` (message number `seq`), or none when the
    /// head says there is no body.
    pub(crate) fn new(
        head: HeadData,
        socket: Socket,
        reader: Option<(Arc<Mutex<Reader>>, u64)>,
        max_headers_count: usize,
    ) -> IncomingMessage {
        let mut head = head;
        if max_headers_count > 0 && head.raw_headers.len() > max_headers_count {
            head.raw_headers.truncate(max_headers_count);
        }
        let version = version_text(head.version);
        let body = match reader {
            Some((r, seq)) => Body::Conn(r, seq),
            None => Body::Done,
        };
        IncomingMessage {
            head,
            headers: OnceLock::new(),
            version,
            socket,
            body,
            trailers: Headers::new(),
            raw_trailers: RawHeaders::new(),
            complete: false,
            ended: false,
            closed: false,
            error: None,
            on_data: Vec::new(),
            on_end: Vec::new(),
            on_close: Vec::new(),
            on_error: Vec::new(),
            done: None,
            after_close: Vec::new(),
            encoding: None,
            max_headers_count,
            timer: None,
            timeout_listeners: Vec::new(),
            on_complete: None,
        }
    }

    pub(crate) fn set_timer(&mut self, timer: Arc<dyn RequestTimer>) {
        self.timer = Some(timer);
    }

    /// `f` runs once the body has been read to its end.
    pub(crate) fn on_complete(&mut self, f: Box<dyn FnOnce() + Send>) {
        self.on_complete = Some(f);
    }

    pub(crate) fn set_done_hook(&mut self, hook: DoneHook) {
        self.done = Some(hook);
    }

    /// Listeners to run once this message's `close` listeners have run (Node emits the
    /// client request's `close` after its response's).
    pub(crate) fn add_after_close(&mut self, listeners: Vec<Listener>) {
        if self.closed {
            for mut f in listeners {
                f();
            }
        } else {
            self.after_close.extend(listeners);
        }
    }

    /// The request method (`GET`, ...); `None` on a response (Node: `null`).
    pub fn method(&self) -> Option<&str> {
        self.head.method
    }

    /// The raw request-target as received (`/a?b`, `*`, `host:443`, absolute-form); empty on
    /// a response.
    pub fn url(&self) -> &str {
        &self.head.url
    }

    /// The status code of a response; 0 on a request (Node: `null`).
    pub fn status_code(&self) -> u16 {
        self.head.status
    }

    /// The reason phrase of a response as received (`""` when absent).
    pub fn status_message(&self) -> &str {
        &self.head.reason
    }

    /// `"1.1"`, `"1.0"`, `"0.9"` (a request line without version) or `"2.0"`.
    pub fn http_version(&self) -> &str {
        &self.version
    }

    /// The major version number.
    pub fn http_version_major(&self) -> u8 {
        self.head.version.0
    }

    /// The minor version number.
    pub fn http_version_minor(&self) -> u8 {
        self.head.version.1
    }

    /// Node's merged view: lower-case names, duplicates combined by Node's rules.
    pub fn headers(&self) -> &Headers {
        self.headers
            .get_or_init(|| Headers::from_raw(&self.head.raw_headers, 0))
    }

    /// The header lines as received: case kept, duplicates kept, in order.
    pub fn raw_headers(&self) -> &RawHeaders {
        &self.head.raw_headers
    }

    /// The trailers of a chunked body, merged like [`headers`](Self::headers); empty until
    /// the body has been read to its end.
    pub fn trailers(&self) -> &Headers {
        &self.trailers
    }

    /// The trailer lines as received; empty until the body has been read to its end.
    pub fn raw_trailers(&self) -> &RawHeaders {
        &self.raw_trailers
    }

    /// The connection this message arrived on.
    pub fn socket(&self) -> &Socket {
        &self.socket
    }

    /// True once the whole message (body included) has been received.
    pub fn complete(&self) -> bool {
        self.complete
    }

    /// Node's `req.upgrade`: the connection was handed over after this message's head.
    pub fn upgrade(&self) -> bool {
        self.head.upgrade
    }

    /// Node's `message.setTimeout(ms, cb)`: an inactivity timer of `ms` on the socket.
    /// `ms` = 0 disarms it.
    ///
    /// - On a request a server serves: when no byte has moved for `ms`, `callback` runs
    ///   while the request's body is not yet complete (Node emits `timeout` on an
    ///   incomplete request only), together with the response's and the server's `timeout`
    ///   listeners; with none of them, the socket is destroyed. Once per silence; it ends
    ///   with the response.
    /// - On a client's response: a body read that waits `ms` runs `callback` (once per
    ///   silence) and goes on waiting; without a callback it fails with `ETIMEDOUT`.
    pub fn set_timeout(
        &mut self,
        ms: u64,
        callback: Option<crate::TimeoutCallback>,
    ) -> io::Result<()> {
        if let Some(timer) = &self.timer {
            timer.set_timeout(ms, callback);
            return Ok(());
        }
        self.socket.set_timeout(ms)?;
        if let Body::Conn(r, _) = &self.body {
            lock(r).inactivity = (ms > 0).then(|| Duration::from_millis(ms));
        }
        self.timeout_listeners.extend(callback);
        Ok(())
    }

    /// Run `f` with each piece of the body as it is read.
    pub fn on_data(&mut self, f: impl FnMut(&[u8]) + Send + 'static) -> &mut Self {
        self.on_data.push(Box::new(f));
        self
    }

    /// Run `f` once the body has been read to its end.
    pub fn on_end(&mut self, f: impl FnMut() + Send + 'static) -> &mut Self {
        self.on_end.push(Box::new(f));
        self
    }

    /// Run `f` when the message is done with: after its end, or when it is dropped or its
    /// connection fails.
    pub fn on_close(&mut self, f: impl FnMut() + Send + 'static) -> &mut Self {
        self.on_close.push(Box::new(f));
        self
    }

    /// Run `f` when reading the body fails (`aborted`, `HPE_*`, `ETIMEDOUT`).
    pub fn on_error(&mut self, f: impl FnMut(&Error) + Send + 'static) -> &mut Self {
        self.on_error.push(Box::new(f));
        self
    }

    /// Choose how [`text`](Self::text) decodes: `"utf8"` (the default; invalid bytes become
    /// U+FFFD) or `"latin1"` (one char per byte).
    pub fn set_encoding(&mut self, encoding: &str) -> &mut Self {
        self.encoding = Some(encoding.to_ascii_lowercase());
        self
    }

    /// The error that cut the body short, if one did.
    pub fn error(&self) -> Option<&Error> {
        self.error.as_ref()
    }

    /// Read the rest of the body and decode it (see [`set_encoding`](Self::set_encoding)).
    /// Unbounded, as Node's `for await (const chunk of req)`: a peer can send gigabytes.
    /// Prefer [`text_limited`](Self::text_limited) for bodies from the network.
    pub fn text(&mut self) -> Result<String, Error> {
        let mut bytes = Vec::new();
        self.read_to_end(&mut bytes)
            .map_err(|e| self.error_for(e))?;
        Ok(self.decode(bytes))
    }

    /// [`text`](Self::text) that stops once the body passes `max` bytes, with
    /// `ERR_HTTP_BODY_TOO_LARGE` (the bytes read so far are dropped; on a server, answer
    /// `413` and the rest of the body is drained or the connection closed as usual).
    ///
    /// ```no_run
    /// let server = stdhttp::create_server(|mut req, mut res| {
    ///     match req.text_limited(64 * 1024) {
    ///         Ok(body) => res.end(body.as_bytes()).unwrap(),
    ///         Err(e) if e.code() == "ERR_HTTP_BODY_TOO_LARGE" => {
    ///             res.set_status_code(413);
    ///             res.end(b"too large\n").unwrap();
    ///         }
    ///         Err(_) => res.socket().destroy(),
    ///     }
    /// });
    /// # drop(server);
    /// ```
    pub fn text_limited(&mut self, max: usize) -> Result<String, Error> {
        let bytes = self.read_to_end_limited(max)?;
        Ok(self.decode(bytes))
    }

    /// Read the rest of the body, at most `max` bytes: past that,
    /// `ERR_HTTP_BODY_TOO_LARGE`.
    pub fn read_to_end_limited(&mut self, max: usize) -> Result<Vec<u8>, Error> {
        let mut bytes = Vec::new();
        let mut chunk = vec![0u8; 16 * 1024];
        loop {
            let want = (max - bytes.len()).saturating_add(1).min(chunk.len());
            match self.read(&mut chunk[..want]) {
                Ok(0) => return Ok(bytes),
                Ok(n) if bytes.len() + n > max => return Err(body_too_large(max as u64)),
                Ok(n) => bytes.extend_from_slice(&chunk[..n]),
                Err(e) => return Err(self.error_for(e)),
            }
        }
    }

    fn decode(&self, bytes: Vec<u8>) -> String {
        match self.encoding.as_deref() {
            Some("latin1") | Some("binary") => latin1(&bytes),
            _ => String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        }
    }

    /// Read the rest of the body and discard it (Node's `resume()` with no data listener;
    /// `on_data` listeners still see every piece).
    pub fn resume(&mut self) -> Result<(), Error> {
        let mut scratch = vec![0u8; 16 * 1024];
        loop {
            match self.read(&mut scratch) {
                Ok(0) => return Ok(()),
                Ok(_) => {}
                Err(e) => return Err(self.error_for(e)),
            }
        }
    }

    fn error_for(&self, e: io::Error) -> Error {
        match &self.error {
            Some(err) => err.clone(),
            None => Error::from(e),
        }
    }

    fn finish_body(&mut self, trailers: Option<RawHeaders>) {
        self.body = Body::Done;
        self.complete = true;
        if let Some(f) = self.on_complete.take() {
            f();
        }
        if let Some(raw) = trailers {
            self.trailers = Headers::from_raw(&raw, self.max_headers_count);
            self.raw_trailers = raw;
        }
        if !self.ended {
            self.ended = true;
            for f in self.on_end.iter_mut() {
                f();
            }
        }
        if let Some(done) = self.done.take() {
            done(true);
        }
        self.fire_close();
    }

    fn fail_body(&mut self, err: Error) {
        self.body = Body::Done;
        for f in self.on_error.iter_mut() {
            f(&err);
        }
        self.error = Some(err);
        if let Some(done) = self.done.take() {
            done(false);
        }
        self.fire_close();
    }

    fn fire_close(&mut self) {
        if !self.closed {
            self.closed = true;
            for f in self.on_close.iter_mut() {
                f();
            }
            for mut f in std::mem::take(&mut self.after_close) {
                f();
            }
        }
    }

    /// Mark a message with no body as complete (its end is its head).
    pub(crate) fn mark_complete_if_bodiless(&mut self) {
        if matches!(self.body, Body::Done) {
            self.complete = true;
        }
    }
}

impl Read for IncomingMessage {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let (reader, seq) = match &self.body {
            Body::Done => {
                if !self.ended && self.error.is_none() {
                    self.finish_body(None);
                }
                return match &self.error {
                    Some(e) => Err(io::Error::other(e.message().to_string())),
                    None => Ok(0),
                };
            }
            Body::Conn(r, seq) => (r.clone(), *seq),
        };
        let result = {
            let mut r = lock(&reader);
            if r.seq != seq {
                Ok((0, None, true))
            } else {
                let mut read = r.read_body(buf);
                if matches!(read, Err(ReadError::Inactive)) && !self.timeout_listeners.is_empty() {
                    // Node emits `timeout` and the read goes on: once per silence
                    for f in &self.timeout_listeners {
                        f(&self.socket);
                    }
                    if !self.socket.is_destroyed() {
                        let kept = r.inactivity.take();
                        read = r.read_body(buf);
                        r.inactivity = kept;
                    }
                }
                match read {
                    Ok(0) => {
                        let t = r.take_trailers();
                        Ok((0, t, true))
                    }
                    Ok(n) => Ok((n, None, false)),
                    Err(why) => {
                        let err = match &why {
                            ReadError::Parse(e) => e.clone(),
                            ReadError::Deadline | ReadError::Inactive => {
                                Error::new("ETIMEDOUT", "the request body timed out")
                            }
                            ReadError::Io(_) => Error::new("ECONNRESET", "aborted"),
                        };
                        r.report(&err, &why);
                        Err(err)
                    }
                }
            }
        };
        match result {
            Ok((0, trailers, _)) => {
                self.finish_body(trailers);
                Ok(0)
            }
            Ok((n, _, _)) => {
                for f in self.on_data.iter_mut() {
                    f(&buf[..n]);
                }
                Ok(n)
            }
            Err(err) => {
                let msg = err.message().to_string();
                let kind = if err.code() == "ETIMEDOUT" {
                    io::ErrorKind::TimedOut
                } else {
                    io::ErrorKind::ConnectionReset
                };
                self.fail_body(err);
                Err(io::Error::new(kind, msg))
            }
        }
    }
}

/// A client response dropped before its end is drained up to this many bytes (within
/// [`DROP_DRAIN_TIME`]) so its connection can be reused; a longer one closes it.
const DROP_DRAIN_LIMIT: u64 = 64 * 1024;
const DROP_DRAIN_TIME: Duration = Duration::from_secs(1);

impl Drop for IncomingMessage {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let mut finished = self.complete;
            if let (false, Body::Conn(r, seq)) = (finished, &self.body) {
                let mut r = lock(r);
                if r.seq == *seq {
                    r.deadline = Some(Instant::now() + DROP_DRAIN_TIME);
                    finished = matches!(r.drain_body(DROP_DRAIN_LIMIT), Ok(true));
                    r.deadline = None;
                }
            }
            done(finished);
        }
        self.fire_close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A transport that hands out scripted reads, then EOF.
    struct Script(Mutex<VecDeque<Vec<u8>>>);

    impl crate::net::Transport for Script {
        fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
            let mut q = self.0.lock().unwrap_or_else(|p| p.into_inner());
            match q.pop_front() {
                Some(mut chunk) => {
                    let n = chunk.len().min(buf.len());
                    buf[..n].copy_from_slice(&chunk[..n]);
                    if n < chunk.len() {
                        q.push_front(chunk.split_off(n));
                    }
                    Ok(n)
                }
                None => Ok(0),
            }
        }
        fn write(&self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
        fn set_read_timeout(&self, _: Option<Duration>) -> io::Result<()> {
            Ok(())
        }
        fn set_write_timeout(&self, _: Option<Duration>) -> io::Result<()> {
            Ok(())
        }
        fn shutdown(&self, _: std::net::Shutdown) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_read_buffer_shrinks_back_after_a_large_message() {
        let mut big = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\n\r\n".to_vec();
        big.resize(big.len() + 200_000, b'x');
        let small = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
        let script = Script(Mutex::new(VecDeque::from([big, small])));
        let socket = Socket::from_transport(script);
        let mut r = Reader::new(socket, Kind::Request, Limits::default());
        r.read_head(HeadPolicy::default()).unwrap().unwrap();
        assert!(r.drain_body(1 << 20).unwrap());
        assert!(
            r.buf.len() > KEPT_READ_BUFFER,
            "the body grew it: {}",
            r.buf.len()
        );
        r.read_head(HeadPolicy::default()).unwrap().unwrap();
        assert!(r.buf.len() <= KEPT_READ_BUFFER, "{}", r.buf.len());
    }
}
