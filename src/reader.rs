//! The read side of one connection: the socket, the parser, the bytes received and not
//! yet parsed, and the deadlines of the current phase (headers, whole request, keep-alive
//! idle, inactivity). A message ([`IncomingMessage`](crate::IncomingMessage)) reads its body
//! through it, by a shared handle, while its sequence number is the current one.
#![forbid(unsafe_code)]

use std::io::{self, Read};
use std::time::{Duration, Instant};

use crate::net::Socket;
use crate::parser::{BodyFraming, Fields, Flow, Handler, Head, Kind, Limits, Parser};
use crate::proto::headers::{latin1, RawHeaders};
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
                Error::timed_out("the connection timed out")
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
    /// Where the bytes of the latest read begin in `buf` (they end at `end`): Node's
    /// `rawPacket` of a parse error.
    last_read: usize,
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
            last_read: 0,
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
                    self.last_read = self.end;
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
                Err(ReadError::Parse(self.parse_error(e)))
            }
        }
    }

    /// A parse error of the buffered bytes, carrying the latest read's bytes (Node's
    /// `rawPacket`: the piece being parsed when it failed).
    fn parse_error(&self, e: crate::parser::ParseError) -> Error {
        let raw = self
            .buf
            .get(self.last_read.min(self.end)..self.end)
            .unwrap_or_default();
        Error::from(e).with_raw_packet(raw)
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

    /// The next message's head from what is buffered, and (when `may_read`) what the socket
    /// has, read without waiting until a read comes back short (so the socket is drained and
    /// an edge-triggered readiness set reports the next bytes): the parser keeps its place
    /// between calls, so a head that trickles in costs no thread while it waits.
    /// `Ok(Poll::Pending)`: not all of it is here yet.
    pub fn poll_head(
        &mut self,
        policy: HeadPolicy,
        may_read: bool,
        to_end: bool,
    ) -> Result<Poll, ReadError> {
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
            match self.fill_now()? {
                None => return Ok(Poll::Pending),
                Some((0, _)) => {
                    return match self.parser.finish(&mut self.progress) {
                        Ok(()) => Ok(Poll::Closed),
                        Err(e) => Err(ReadError::Parse(Error::from(e))),
                    }
                }
                // `to_end`: the peer closed, so read up to the end it announced
                Some((_, filled)) => may_read = filled || to_end,
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

    /// One read that does not wait: `None` when nothing is there; else how many bytes, and
    /// whether they filled the room offered (more may be waiting).
    fn fill_now(&mut self) -> Result<Option<(usize, bool)>, ReadError> {
        if self.eof {
            return Ok(Some((0, false)));
        }
        self.make_room();
        loop {
            let room = self.buf.len() - self.end;
            match self.socket.read_now(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(Some((0, false)));
                }
                Ok(n) => {
                    self.last_read = self.end;
                    self.end += n;
                    return Ok(Some((n, n == room)));
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
            Err(e) => Some(self.parse_error(e)),
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
                    return Err(ReadError::Parse(Error::body_too_large(max)));
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
                return Err(ReadError::Parse(Error::aborted()));
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
                    return Err(ReadError::Parse(Error::aborted()));
                }
                if !self.progress.complete {
                    return Err(ReadError::Parse(Error::aborted()));
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
    pub fn report(&mut self, err: &Error, why: &ReadError) {
        if let Some(hook) = self.on_body_error.as_mut() {
            hook(&self.socket, err, why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::net::testing::Scripted;

    #[test]
    fn the_read_buffer_shrinks_back_after_a_large_message() {
        let mut big = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\n\r\n".to_vec();
        big.resize(big.len() + 200_000, b'x');
        let small = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
        let script = Scripted::reading([big, small]);
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
