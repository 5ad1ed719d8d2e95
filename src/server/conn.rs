//! One connection's loop: read a request, dispatch it, wait for its response, then keep the
//! connection alive or close it.
#![forbid(unsafe_code)]

use std::io::Read;
use std::net::Shutdown;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::conn_state::{lock, ConnState, RequestTimerOf};
use super::response::{push_date_line, RequestInfo, ServerResponse};
use super::{Handlers, ServerInner};
use crate::debug::debug_http;
use crate::message::{HeadData, HeadPolicy, IncomingMessage, Poll, ReadError, Reader};
use crate::net::Socket;
use crate::parser::{BodyFraming, Kind, Limits};
use crate::proto::canned::{self, Refusal};
use crate::proto::headers::{list_has_token, Folding};
use crate::{Error, ErrorKind};

/// The clientError path: the listeners, or Node's default answer and a close.
fn client_error(handlers: &Handlers, conn: &ConnState, socket: &Socket, err: Error) {
    if handlers.client_error.is_empty() {
        if !conn.response_started.swap(true, Ordering::AcqRel) {
            let _ = socket.write_all_vectored(&[canned::client_error(err.kind())]);
        }
        socket.destroy();
    } else {
        for f in &handlers.client_error {
            f(err.clone(), socket.clone());
        }
    }
}

/// Close politely: FIN, then read what the peer still sends (bounded) so unread request
/// bytes do not turn the close into a reset that destroys the response in flight.
fn linger_close(socket: &Socket) {
    let _ = socket.shutdown(Shutdown::Write);
    if socket.peek_idle() != crate::sys::Peek::Data {
        // nothing unread: the close cannot turn into a reset, so do not wait for the peer
        socket.forget_handles_close();
        return;
    }
    let _ = socket.set_read_timeout(Some(Duration::from_millis(500)));
    let mut scratch = [0u8; 512]; // small: every worker stack page touched stays resident
    let mut total = 0usize;
    let started = Instant::now();
    while total < 256 * 1024 && started.elapsed() < Duration::from_secs(1) {
        match (&*socket).read(&mut scratch) {
            Ok(0) | Err(_) => break,
            Ok(n) => total += n,
        }
    }
    socket.destroy();
}

/// A setting in ms as a bound (0 = none).
pub(super) fn ms(v: u64) -> Option<Duration> {
    (v > 0).then(|| Duration::from_millis(v))
}

/// The per-connection settings, read from the server once.
struct Settings {
    timeout: Option<Duration>,
    headers_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    keep_alive_timeout: u64,
    max_requests: u64,
    max_headers_count: usize,
    drain_limit: u64,
    max_body_size: u64,
    folding: Folding,
    reject_body_writes: bool,
}

/// Where a connection is in its life. A connection is served in exchanges: it waits for a
/// head (`New` before its first request, `Idle` between requests, `ReadingHead` once a
/// head's first byte is in), runs one exchange, and goes back to waiting or ends.
///
/// ```text
///   New ──┐          ┌──────────── keep-alive ─────────────┐
///         ├─> ReadingHead ──head──> InExchange ──┬─> Idle ─┘
///   Idle ─┘        │                   │         ├─> Upgraded (the socket is the listener's)
///                  └─ error/timeout ───┴─────────┴─> Closed
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConnPhase {
    /// Accepted; no byte of a first request yet.
    New,
    /// Bytes of a head are in, not all of it.
    ReadingHead,
    /// A request is being answered.
    InExchange,
    /// Between requests (a keep-alive connection): parked, or its thread waits.
    Idle,
    /// Handed to an `upgrade`/`connect` listener.
    Upgraded,
    /// Done.
    Closed,
}

pub(crate) use crate::proto::framing::CloseReason;

/// What waiting for a head gave.
pub(crate) enum Wait {
    /// A whole head, when its first byte came, and its message number.
    Head(HeadData, Instant, u64),
    /// Not all of it yet (parked waiting only).
    Pending,
    /// The connection ends.
    Done(CloseReason),
}

/// How an exchange ended.
pub(crate) enum After {
    /// Ready for the next request.
    KeepAlive,
    /// Close the connection.
    Close(CloseReason),
    /// The socket belongs to someone else now (upgrade, CONNECT, a `clientError` listener).
    HandedOver,
}

/// One connection: its settings, reader and shared state, and where it is in its life.
pub(crate) struct Conn {
    server: Arc<ServerInner>,
    handlers: Arc<Handlers>,
    s: Settings,
    pub socket: Socket,
    state: Arc<ConnState>,
    reader: Arc<Mutex<Reader>>,
    id: u64,
    idle: Arc<AtomicBool>,
    accepted: Instant,
    served: u64,
    take_upgrade: bool,
    pub phase: ConnPhase,
    /// A `timeout` listener kept the socket during this wait: not again until bytes move.
    inactivity_heard: bool,
    /// The socket was given to `clientError` listeners: forget it, do not close it.
    given_away: bool,
    /// When it was last parked (its inactivity bound runs from there).
    parked_at: Instant,
    /// The requests' side of the connection's timer, made once.
    request_timer: Arc<dyn crate::message::RequestTimer>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("id", &self.id)
            .field("phase", &self.phase)
            .field("served", &self.served)
            .finish()
    }
}

/// Which of a parked connection's bounds a deadline is (each has its own timer queue).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bound {
    /// The head must be complete by then (`headers_timeout`).
    Headers,
    /// The keep-alive idle timer (`keep_alive_timeout` + 1 s).
    KeepAlive,
    /// `close()`'s grace for a request on its way.
    Grace,
    /// The socket inactivity timeout.
    Inactivity,
}

impl Conn {
    /// Set a new connection up (its options, the `connection` listeners, the reader) and
    /// get it ready to wait for its first head.
    pub fn open(
        server: Arc<ServerInner>,
        socket: Socket,
        accepted: Instant,
        idle: Arc<AtomicBool>,
        id: u64,
        inherited: super::Inherited,
    ) -> Conn {
        let handlers = server.handlers();
        let c = &server.config;
        let s = Settings {
            timeout: ms(c.timeout.load(Ordering::Relaxed)),
            headers_timeout: ms(c.headers_timeout.load(Ordering::Relaxed)),
            request_timeout: ms(c.request_timeout.load(Ordering::Relaxed)),
            keep_alive_timeout: c.keep_alive_timeout.load(Ordering::Relaxed),
            max_requests: c.max_requests_per_socket.load(Ordering::Relaxed),
            max_headers_count: c.max_headers_count.load(Ordering::Relaxed) as usize,
            drain_limit: c.drain_limit.load(Ordering::Relaxed),
            max_body_size: c.max_body_size.load(Ordering::Relaxed),
            folding: if c.join_duplicate_headers.load(Ordering::Relaxed) {
                Folding::JoinDuplicates
            } else {
                Folding::Node
            },
            reject_body_writes: c.reject_non_standard_body_writes.load(Ordering::Relaxed),
        };
        let limits = Limits {
            max_header_size: c.max_header_size.load(Ordering::Relaxed) as usize,
            max_headers_count: s.max_headers_count,
            ..Limits::default()
        };
        // a TCP connection starts with the options its listener was primed with
        if inherited.write != Some(s.timeout) {
            let _ = socket.set_write_timeout(s.timeout);
        } else {
            socket.assume_write_timeout(s.timeout);
        }
        debug_http!(
            "conn {id} accepted from {}",
            socket
                .peer_addr()
                .map_or_else(|| "a Unix socket or transport".into(), |a| a.to_string())
        );
        for f in &handlers.connection {
            f(&socket);
        }
        let state = Arc::new(ConnState::new(server.clone(), socket.clone(), id));
        let mut reader = Reader::new(socket.clone(), Kind::Request, limits);
        reader.inactivity = s.timeout;
        // (a `connection` listener may have changed the socket's options behind our back)
        if let (Some(t), true) = (inherited.read, handlers.connection.is_empty()) {
            reader.assume_read_timeout(t);
        }
        reader.connect_is_upgrade = true;
        reader.max_body = (s.max_body_size > 0).then_some(s.max_body_size);
        {
            let handlers = handlers.clone();
            let state = state.clone();
            reader.on_body_error = Some(Box::new(move |socket, err, why| match why {
                ReadError::Inactive => {
                    if !state.fire_timeout(socket) && handlers.timeout.is_empty() {
                        socket.destroy();
                    }
                    for f in &handlers.timeout {
                        f(socket.clone());
                    }
                }
                ReadError::Deadline => {
                    client_error(&handlers, &state, socket, Error::request_timeout())
                }
                ReadError::Parse(_) if err.kind() != ErrorKind::ConnectionReset => {
                    client_error(&handlers, &state, socket, err.clone())
                }
                _ => {}
            }));
        }
        let take_upgrade = handlers.upgrade.is_some();
        let request_timer = Arc::new(RequestTimerOf(state.clone()));
        let mut conn = Conn {
            server,
            handlers,
            s,
            socket,
            state,
            reader: Arc::new(Mutex::new(reader)),
            id,
            idle,
            accepted,
            served: 0,
            take_upgrade,
            phase: ConnPhase::New,
            inactivity_heard: false,
            given_away: false,
            parked_at: accepted,
            request_timer,
        };
        conn.begin_wait();
        conn
    }

    /// Get ready to wait for the next head: a fresh exchange state, and the deadline of
    /// this wait (the headers timeout from the accept for a new connection, the keep-alive
    /// timer for a kept one, `close()`'s grace while the server closes).
    pub fn begin_wait(&mut self) {
        // nothing of the next response is out yet, so a client error in its head still
        // gets Node's default answer
        self.state.reset();
        self.inactivity_heard = false;
        let s = &self.s;
        let served = self.served;
        let now = Instant::now();
        let mut r = lock(&self.reader);
        r.deadline = if served == 0 {
            s.headers_timeout.and_then(|t| self.accepted.checked_add(t))
        } else if s.keep_alive_timeout > 0 {
            // Node arms its keep-alive timer at keepAliveTimeout + 1 s
            now.checked_add(Duration::from_millis(
                s.keep_alive_timeout.saturating_add(1000),
            ))
        } else {
            None
        };
        // a new connection's headers deadline runs from the accept; a kept-alive one's
        // from the first byte of its next request
        r.headers_timeout = if served == 0 { None } else { s.headers_timeout };
        // Node: between requests the keep-alive timer stands in for the inactivity one
        let keep_alive_wait = served > 0 && s.keep_alive_timeout > 0;
        r.inactivity = if keep_alive_wait { None } else { s.timeout };
        {
            // under the lock close_idle_connections takes, so a close() racing with the
            // end of a response either sees this connection idle or is seen here
            let _tracked = lock(&self.server.tracked);
            self.idle.store(served > 0, Ordering::Release);
            if served > 0 && self.server.closing.load(Ordering::Acquire) {
                // the server is closing: a request already on its way is still served
                // (with `Connection: close`), then the connection ends
                r.deadline = Some(now + super::CLOSE_IDLE_GRACE);
            }
        }
        self.phase = if served == 0 {
            ConnPhase::New
        } else {
            ConnPhase::Idle
        };
    }

    fn policy(&self) -> HeadPolicy {
        HeadPolicy {
            skip_body: false,
            take_upgrade: self.take_upgrade,
            connect_response: false,
        }
    }

    /// Wait for the next head. `blocking`: the thread waits in `recv` (thread per
    /// connection). Otherwise only what is buffered is parsed, plus one read that does not
    /// wait when `may_read` (the connection was reported readable).
    pub fn wait_head(&mut self, blocking: bool, may_read: bool, to_end: bool) -> Wait {
        let policy = self.policy();
        let reader = self.reader.clone();
        let mut r = lock(&reader);
        let result = loop {
            let got = if blocking {
                r.read_head(policy).map(|h| match h {
                    Some(h) => Poll::Head(h),
                    None => Poll::Closed,
                })
            } else {
                r.poll_head(policy, may_read, to_end)
            };
            match got {
                Err(ReadError::Inactive) => {
                    if self.fire_inactivity() {
                        // a listener kept the socket: once per silence, and the deadline
                        // armed for this wait (headers, keep-alive) stays as it was
                        r.inactivity = None;
                        continue;
                    }
                    break Err(ReadError::Inactive);
                }
                other => break other,
            }
        };
        let got_bytes = r.first_byte.is_some();
        match result {
            Ok(Poll::Head(h)) => {
                r.inactivity = self.s.timeout;
                let first = r.first_byte.unwrap_or_else(Instant::now);
                let seq = r.seq;
                drop(r);
                self.idle.store(false, Ordering::Release);
                self.phase = ConnPhase::InExchange;
                Wait::Head(h, first, seq)
            }
            Ok(Poll::Pending) => {
                if got_bytes {
                    self.phase = ConnPhase::ReadingHead;
                }
                Wait::Pending
            }
            Ok(Poll::Closed) => Wait::Done(CloseReason::PeerClosed),
            Err(ReadError::Deadline) => {
                drop(r);
                self.deadline_passed(got_bytes)
            }
            Err(ReadError::Inactive) => {
                self.socket.destroy();
                Wait::Done(CloseReason::Timeout)
            }
            Err(ReadError::Parse(e)) => {
                drop(r);
                self.client_error(e);
                Wait::Done(CloseReason::ParseError)
            }
            Err(ReadError::Io(_)) => Wait::Done(CloseReason::PeerClosed),
        }
    }

    /// The wait's deadline passed: a kept-alive connection that sent nothing is closed
    /// silently; otherwise the head was too slow: `408`.
    fn deadline_passed(&mut self, got_bytes: bool) -> Wait {
        if self.served > 0 && !got_bytes {
            return Wait::Done(CloseReason::Timeout);
        }
        self.client_error(Error::request_timeout());
        Wait::Done(CloseReason::Timeout)
    }

    /// The socket was silent for the inactivity timeout: the `timeout` listeners run;
    /// whether one kept the socket.
    fn fire_inactivity(&mut self) -> bool {
        let mut heard = self.state.fire_timeout(&self.socket);
        for f in &self.handlers.timeout {
            f(self.socket.clone());
            heard = true;
        }
        self.inactivity_heard = true;
        heard && !self.socket.is_destroyed()
    }

    fn client_error(&mut self, e: Error) {
        client_error(&self.handlers, &self.state, &self.socket, e);
        self.given_away = !self.handlers.client_error.is_empty();
    }

    /// The server it belongs to.
    pub fn server(&self) -> Arc<ServerInner> {
        self.server.clone()
    }

    /// Its number among the server's connections.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The connection goes to wait in the readiness set now.
    pub fn mark_parked(&mut self) {
        self.parked_at = Instant::now();
    }

    /// Whether `bound` has passed at `now` for this parked connection.
    pub fn due(&self, now: Instant, bound: Bound) -> bool {
        let r = lock(&self.reader);
        match bound {
            Bound::Inactivity => {
                !self.inactivity_heard
                    && r.inactivity
                        .is_some_and(|t| self.parked_at.checked_add(t).is_some_and(|d| d <= now))
            }
            _ => r.deadline.is_some_and(|d| d <= now),
        }
    }

    /// When a parked connection must be looked at again, which of its bounds that is, and
    /// the duration that bound counts (its timer queue): the wait's deadline, and the
    /// inactivity timeout from when it was parked.
    pub fn park_deadlines(&self) -> [Option<(Bound, Instant, Duration)>; 2] {
        let r = lock(&self.reader);
        let bound = if self.served == 0 || r.first_byte.is_some() {
            Bound::Headers
        } else if self.server.closing.load(Ordering::Acquire) {
            Bound::Grace
        } else {
            Bound::KeepAlive
        };
        let inactivity = match (r.inactivity, self.inactivity_heard) {
            (Some(t), false) => self.parked_at.checked_add(t),
            _ => None,
        };
        [
            r.deadline.map(|d| (bound, d, self.bound_duration(bound))),
            inactivity.map(|d| (Bound::Inactivity, d, self.bound_duration(Bound::Inactivity))),
        ]
    }

    fn bound_duration(&self, bound: Bound) -> Duration {
        match bound {
            Bound::Headers => self.s.headers_timeout.unwrap_or_default(),
            Bound::KeepAlive => {
                Duration::from_millis(self.s.keep_alive_timeout.saturating_add(1000))
            }
            Bound::Grace => super::CLOSE_IDLE_GRACE,
            Bound::Inactivity => self.s.timeout.unwrap_or_default(),
        }
    }

    /// A parked connection's timer came due at `now`: `Some(reason)` when it must close,
    /// `None` when it waits on (the timer was stale, or a `timeout` listener kept it).
    pub fn expire(&mut self, now: Instant, bound: Bound) -> Option<CloseReason> {
        let (deadline, got_bytes) = {
            let r = lock(&self.reader);
            (r.deadline, r.first_byte.is_some())
        };
        if bound != Bound::Inactivity {
            if deadline.is_some_and(|d| d <= now) {
                return match self.deadline_passed(got_bytes) {
                    Wait::Done(reason) => Some(reason),
                    _ => None,
                };
            }
            return None;
        }
        if self.inactivity_heard {
            return None;
        }
        if self.fire_inactivity() {
            return None;
        }
        self.socket.destroy();
        Some(CloseReason::Timeout)
    }

    /// Give back the read buffer while parked.
    pub fn release_buffer(&self) {
        lock(&self.reader).release_buffer();
    }

    /// Serve one request whose head has arrived: upgrades and refusals, the handler, then
    /// the response's verdict and the unread body.
    pub fn exchange(&mut self, head: HeadData, first_byte: Instant, seq: u64) -> After {
        debug_http!(
            "conn {} request {} {}",
            self.id,
            head.method.unwrap_or("?"),
            head.url
        );
        let after = self.run_exchange(head, first_byte, seq);
        match &after {
            After::KeepAlive => debug_http!("conn {} keep-alive: yes", self.id),
            After::Close(reason) => {
                debug_http!("conn {} keep-alive: no ({})", self.id, reason.explain())
            }
            After::HandedOver => debug_http!(
                "conn {} handed over to an upgrade, CONNECT or clientError listener",
                self.id
            ),
        }
        after
    }

    fn run_exchange(&mut self, head: HeadData, first_byte: Instant, seq: u64) -> After {
        self.served += 1;
        let served = self.served;
        let handlers = self.handlers.clone();
        let s = &self.s;
        let socket = self.socket.clone();
        let reader = self.reader.clone();
        let state = self.state.clone();

        let is_connect = head.method == Some("CONNECT");
        if head.upgrade && (is_connect || self.take_upgrade) && lock(&reader).parser.is_upgraded() {
            let tunnel = lock(&reader).take_buffered();
            self.server.forget(self.id);
            self.phase = ConnPhase::Upgraded;
            // the new owner gets the socket with only the timeout it asked for, not the
            // deadline this loop last armed
            let _ = socket.set_timeout(socket.timeout());
            let listeners = if is_connect {
                &handlers.connect
            } else {
                &handlers.upgrade
            };
            let req =
                IncomingMessage::new(head, socket.clone(), None, s.max_headers_count, s.folding);
            match listeners {
                Some(f) => f(req, socket.clone(), tunnel),
                None => socket.destroy(),
            }
            return After::HandedOver;
        }
        let mut head = head;
        if head.upgrade {
            // an upgrade nobody listens for is served as a plain request (Node: its
            // `req.upgrade` is false)
            lock(&reader).parser.resume_after_upgrade();
            head.upgrade = false;
        }

        if let (true, BodyFraming::Length(n)) = (s.max_body_size > 0, head.body) {
            if n > s.max_body_size {
                let err = Error::body_too_large(s.max_body_size);
                if handlers.client_error.is_empty() {
                    state.response_started.store(true, Ordering::Release);
                    let _ = socket.write_all_vectored(&[canned::client_error(err.kind())]);
                    linger_close(&socket);
                    return After::Close(CloseReason::ParseError);
                }
                self.client_error(err);
                return After::HandedOver;
            }
        }
        let refusal = if head.host_missing {
            Some(Refusal::HostMissing)
        } else if s.max_requests > 0 && served > s.max_requests {
            Some(Refusal::TooManyRequests)
        } else {
            None
        };
        if let Some(why) = refusal {
            let mut bytes = Vec::with_capacity(128);
            let head_request = head.method == Some("HEAD");
            canned::refusal(&mut bytes, why, head_request, push_date_line);
            let _ = socket.write_all_vectored(&[&bytes]);
            linger_close(&socket);
            return After::Close(match why {
                Refusal::HostMissing => CloseReason::ParseError,
                Refusal::TooManyRequests => CloseReason::MaxRequests,
            });
        }

        lock(&reader).deadline = s.request_timeout.and_then(|t| first_byte.checked_add(t));
        let version = head.version;
        let expect = if version >= (1, 1) {
            head.joined("expect")
        } else {
            None
        };
        let expects_continue = expect.as_deref().is_some_and(canned::expects_continue);
        let te_chunked = head
            .joined("te")
            .is_some_and(|v| list_has_token(&v, "chunked"));
        let request_close = (!head.keep_alive).then_some(if version >= (1, 1) {
            CloseReason::RequestAsked
        } else {
            CloseReason::Http10
        });
        let info = RequestInfo {
            head_method: head.method == Some("HEAD"),
            version,
            close: request_close,
            te_chunked,
            expects_continue,
            last_allowed: s.max_requests > 0 && served >= s.max_requests,
            keep_alive_secs: (s.keep_alive_timeout > 0).then_some(s.keep_alive_timeout / 1000),
            keep_alive_max: (s.max_requests > 0)
                .then(|| s.max_requests.min(u32::MAX as u64) as u32),
            reject_body_writes: s.reject_body_writes,
        };
        let body_done = lock(&reader).body_complete();
        let has_body = !body_done;
        let mut req = IncomingMessage::new(
            head,
            socket.clone(),
            has_body.then(|| (reader.clone(), seq)),
            s.max_headers_count,
            s.folding,
        );
        // Node: `req.complete` turns true at the body's end, a bodiless request's too
        req.set_timer(self.request_timer.clone());
        state.request_complete.store(!has_body, Ordering::Release);
        let mut res = ServerResponse::new(socket.clone(), info, state.clone());

        match expect {
            Some(e) if canned::expects_continue(&e) => {
                if let Some(f) = &handlers.check_continue {
                    f(req, res);
                } else {
                    let _ = res.write_continue();
                    dispatch(&handlers, req, res);
                }
            }
            Some(_) => match &handlers.check_expectation {
                Some(f) => f(req, res),
                None => {
                    res.set_status_code(417);
                    let _ = res.write_head(417, None, std::iter::empty::<(&str, &str)>());
                    let _ = res.end(&[]);
                    drop(req);
                }
            },
            None => dispatch(&handlers, req, res),
        }

        if let Err(reason) = state.wait_done() {
            linger_close(&socket);
            return After::Close(reason);
        }
        if socket.is_destroyed() {
            return After::Close(CloseReason::PeerClosed);
        }
        let drained = {
            let mut r = lock(&reader);
            if r.seq != seq || r.body_complete() {
                Ok(true)
            } else {
                r.drain_body(s.drain_limit)
            }
        };
        if !matches!(drained, Ok(true)) {
            linger_close(&socket);
            return After::Close(CloseReason::BodyNotDrained);
        }
        After::KeepAlive
    }

    /// The connection is done: closed and forgotten (a socket given to `clientError`
    /// listeners is only forgotten: theirs to end).
    pub fn finish(mut self, reason: CloseReason) {
        debug_http!("conn {} closed ({})", self.id, reason.explain());
        self.phase = ConnPhase::Closed;
        if !self.given_away {
            self.socket.destroy();
        }
        self.server.forget(self.id);
    }
}

/// Serve one connection on this thread until it closes (thread per connection: the
/// thread waits in `recv` between requests).
pub(crate) fn serve(mut conn: Conn) {
    loop {
        debug_http!("conn {} waiting on its thread", conn.id);
        match conn.wait_head(true, true, false) {
            Wait::Head(head, first, seq) => match conn.exchange(head, first, seq) {
                After::KeepAlive => conn.begin_wait(),
                After::Close(reason) => return conn.finish(reason),
                After::HandedOver => return conn.forget_handed_over(),
            },
            Wait::Pending => {}
            Wait::Done(reason) => return conn.finish(reason),
        }
    }
}

impl Conn {
    /// The socket belongs to an upgrade/CONNECT or `clientError` listener now.
    pub fn forget_handed_over(mut self) {
        if self.phase != ConnPhase::Upgraded {
            self.given_away = true;
            self.server.forget(self.id);
        }
        self.phase = ConnPhase::Closed;
    }
}

fn dispatch(handlers: &Handlers, req: IncomingMessage, res: ServerResponse) {
    match handlers.request.as_ref() {
        Some(f) => f(req, res),
        None => drop((req, res)),
    }
}
