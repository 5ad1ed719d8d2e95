//! [`ClientRequest`]: one request in flight (Node's `http.ClientRequest`), and the
//! module-level [`request`] / [`get`].
#![forbid(unsafe_code)]

use std::io;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::agent::{global_agent, Agent, AgentOptions, Lease};
use super::options::{AgentChoice, RequestOptions};
use crate::message::{HeadData, HeadPolicy, IncomingMessage, ReadError, Reader};
use crate::net::Socket;
use crate::outgoing::{HeaderValue, Outgoing};
use crate::proto::canned;
use crate::proto::encode::{self, CRLF};
use crate::proto::framing::{self, BodyFraming};
use crate::{Error, ErrorKind};

/// How long a request with `Expect: 100-continue` waits for `100 Continue` before it sends
/// its body anyway, in ms (Go's default; Node waits without limit).
pub const CONTINUE_TIMEOUT_MS: u64 = 1000;

/// Bodies up to this size are kept so an idempotent request can be retried on a fresh
/// connection when a reused one fails.
const RETRY_BODY_LIMIT: usize = 64 * 1024;

/// Anything [`request`] accepts: [`RequestOptions`] or a URL string.
pub trait IntoRequestOptions {
    /// Convert, checking a URL.
    fn into_request_options(self) -> Result<RequestOptions, Error>;
}

impl IntoRequestOptions for RequestOptions {
    fn into_request_options(self) -> Result<RequestOptions, Error> {
        Ok(self)
    }
}
impl IntoRequestOptions for &str {
    fn into_request_options(self) -> Result<RequestOptions, Error> {
        RequestOptions::from_url(self)
    }
}
impl IntoRequestOptions for String {
    fn into_request_options(self) -> Result<RequestOptions, Error> {
        RequestOptions::from_url(&self)
    }
}
impl IntoRequestOptions for &String {
    fn into_request_options(self) -> Result<RequestOptions, Error> {
        RequestOptions::from_url(self)
    }
}

type Listener = Box<dyn FnMut() + Send>;
type ResponseListener = Box<dyn FnMut(&mut IncomingMessage) + Send>;
type InfoListener = Box<dyn FnMut(&IncomingMessage) + Send>;
type TunnelListener = Box<dyn FnMut(IncomingMessage, Socket, Vec<u8>) + Send>;
type ErrorListener = Box<dyn FnMut(&Error) + Send>;
type SocketListener = Box<dyn FnMut(&Socket) + Send>;

#[derive(Default)]
struct Listeners {
    socket: Vec<SocketListener>,
    response: Vec<ResponseListener>,
    continue_: Vec<Listener>,
    information: Vec<InfoListener>,
    // one owner each (the last registered), as on the server
    upgrade: Option<TunnelListener>,
    connect: Option<TunnelListener>,
    abort: Vec<Listener>,
    timeout: Vec<Listener>,
    error: Vec<ErrorListener>,
    close: Vec<Listener>,
}

fn lock(m: &Mutex<Reader>) -> MutexGuard<'_, Reader> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

fn idempotent(method: &str) -> bool {
    matches!(
        method,
        "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE" | "TRACE"
    )
}

fn hang_up() -> Error {
    Error::hang_up()
}

/// A request in flight (Node's `http.ClientRequest`), made by [`request`].
///
/// Set headers, write the body (`write`, `impl Write`), then [`end`](Self::end): it sends the
/// rest and blocks until the response head arrives, returning the response. Framing as Node:
/// `end(data)` alone sends `Content-Length` (POST, PUT, ...); streamed bodies are chunked;
/// GET, HEAD, DELETE, OPTIONS, TRACE and CONNECT get no framing header unless you set one.
///
/// Events follow the server's rule ([`Server::on_request`](crate::Server::on_request)):
/// `on_upgrade` and `on_connect` hand over the socket, so the last one registered owns it;
/// every other event (`socket`, `response`, `continue`, `information`, `abort`, `timeout`,
/// `error`, `close`, `drain`, `finish`) runs all its listeners in registration order.
///
/// ```no_run
/// use std::io::Read;
/// let mut req = stdhttp::request("http://127.0.0.1:8080/upload")?;
/// req.set_header("Content-Type", "text/plain")?;
/// let mut res = req.end(b"hello")?;
/// let mut body = String::new();
/// res.read_to_string(&mut body)?;
/// println!("{} {}", res.status_code(), body);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ClientRequest {
    opts: RequestOptions,
    method: String,
    agent: Agent,
    lease: Option<Lease>,
    out: Outgoing,
    expect_continue: bool,
    /// A final response that came while waiting for `100 Continue`.
    early: Option<(HeadData, u64)>,
    body_skipped: bool,
    /// The request's framing lets the connection carry another request.
    reusable: bool,
    /// Body bytes kept for a retry (`None` once streamed or too large).
    replay: Option<Vec<u8>>,
    timeout: Option<Duration>,
    listeners: Listeners,
    aborted: bool,
    destroyed: bool,
}

impl std::fmt::Debug for ClientRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRequest")
            .field("method", &self.method)
            .field("path", &self.opts.get_path())
            .field("headers_sent", &self.out.head_generated)
            .finish()
    }
}

/// Start a request (Node's `http.request`): validates the options, takes a connection from
/// the agent (waiting while the agent is at `max_sockets`), and returns the request to
/// write to. Errors: `ERR_INVALID_URL`, `ERR_INVALID_PROTOCOL`, `ERR_UNESCAPED_CHARACTERS`,
/// `ERR_INVALID_HTTP_TOKEN`, `ECONNREFUSED`, ...
///
/// ```no_run
/// let opts = stdhttp::RequestOptions::new().hostname("127.0.0.1").port(8080).method("POST").path("/form");
/// let mut req = stdhttp::request(opts)?;
/// req.set_header("Content-Type", "application/x-www-form-urlencoded")?;
/// let res = req.end(b"a=1&b=2")?;
/// println!("{}", res.status_code());
/// # Ok::<(), stdhttp::Error>(())
/// ```
pub fn request(opts: impl IntoRequestOptions) -> Result<ClientRequest, Error> {
    ClientRequest::new(opts.into_request_options()?)
}

/// Send a GET and return its response (Node's `http.get`: `request` then `end`).
///
/// ```no_run
/// let mut res = stdhttp::get("http://127.0.0.1:8080/")?;
/// println!("{} {}", res.status_code(), res.text()?);
/// # Ok::<(), stdhttp::Error>(())
/// ```
pub fn get(opts: impl IntoRequestOptions) -> Result<IncomingMessage, Error> {
    request(opts)?.end(&[])
}

impl ClientRequest {
    crate::outgoing::outgoing_methods!();

    fn new(opts: RequestOptions) -> Result<ClientRequest, Error> {
        opts.validate()?;
        let agent = match opts.get_agent() {
            AgentChoice::Global => global_agent().clone(),
            AgentChoice::Agent(a) => a.clone(),
            AgentChoice::Unpooled => Agent::new(AgentOptions::default()),
        };
        let method = opts.get_method().to_string();
        let lease = agent.acquire(&opts, false)?;
        let mut out = Outgoing::new(lease.socket.clone());
        for (n, v) in opts.get_headers() {
            let value = match out.headers.get(n) {
                Some(prev) => {
                    let mut all = prev.values().to_vec();
                    all.push(v.clone());
                    HeaderValue::List(all)
                }
                None => HeaderValue::One(v.clone()),
            };
            out.headers.set(n, value)?;
        }
        // Node stores Host and Authorization as headers when the request is made, so they
        // come after the option headers and before any set later with `set_header`, and
        // `get_header("host")` sees them.
        if let Some(host) = opts.host_header() {
            out.headers.set("Host", HeaderValue::One(host))?;
        }
        if let Some(auth) = opts.authorization() {
            out.headers.set("Authorization", HeaderValue::One(auth))?;
        }
        let expects = out.headers.has("expect");
        let expect_continue = out
            .headers
            .get("expect")
            .is_some_and(|v| v.values().iter().any(|s| canned::expects_continue(s)));
        let timeout = opts.timeout_given().or_else(|| {
            (agent.options().timeout > 0).then(|| Duration::from_millis(agent.options().timeout))
        });
        let mut req = ClientRequest {
            opts,
            method,
            agent,
            lease: Some(lease),
            out,
            expect_continue,
            early: None,
            body_skipped: false,
            reusable: true,
            replay: Some(Vec::new()),
            timeout: None,
            listeners: Listeners::default(),
            aborted: false,
            destroyed: false,
        };
        if let Some(t) = timeout {
            req.timeout = Some(t);
            // an inactivity timeout covers writes too (a server that stops reading)
            if let Some(l) = &req.lease {
                let _ = l.socket.set_write_timeout(Some(t));
            }
        }
        if expects {
            // Node sends the head at once for any `Expect`, and waits only for `100-continue`
            req.flush_headers()?;
        }
        Ok(req)
    }

    /// Whether the connection came from the pool (Node's `reusedSocket`): a request that
    /// fails on a reused socket may be retried.
    pub fn reused_socket(&self) -> bool {
        self.lease.as_ref().is_some_and(|l| l.reused)
    }

    /// The connection this request goes out on.
    pub fn socket(&self) -> Option<&Socket> {
        self.lease.as_ref().map(|l| &l.socket)
    }

    /// The method (upper case).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request path.
    pub fn path(&self) -> &str {
        self.opts.get_path()
    }

    /// Remove a header (removing `Connection` or `Content-Length` stops the automatic one).
    pub fn remove_header(&mut self, name: &str) -> Result<&mut Self, Error> {
        self.out.remove_header(name)?;
        Ok(self)
    }

    fn sends_keep_alive(&self) -> bool {
        match self.out.headers.get("connection") {
            Some(_) => !self.out.headers.has_token("connection", "close"),
            None => !self.out.removed_connection && self.agent.sends_keep_alive(),
        }
    }

    /// Generate the head. `known_length` is the whole body when `end(data)` comes before
    /// any write; `body_follows` when body bytes are about to be written.
    fn generate_head(
        &mut self,
        known_length: Option<u64>,
        body_follows: bool,
    ) -> Result<(), Error> {
        let decision = framing::request_framing(
            &self.out.user_framing(),
            &self.method,
            known_length,
            body_follows,
        );
        self.reusable = decision.reusable;
        let mut head = self.out.head_buffer();
        encode::write_request_line(&mut head, &self.method, self.opts.get_path())?;
        let h = &self.out.headers;
        h.render(&mut head);
        if h.has("connection") || self.out.removed_connection {
            // a body the server cannot delimit must not be read as a next request
            if !decision.reusable && !h.has_token("connection", "close") {
                head.extend_from_slice(b"Connection: close\r\n");
            }
        } else if self.agent.sends_keep_alive() && decision.reusable {
            head.extend_from_slice(b"Connection: keep-alive\r\n");
        } else {
            head.extend_from_slice(b"Connection: close\r\n");
        }
        encode::write_auto_framing(&mut head, decision.header);
        head.extend_from_slice(CRLF);
        self.out.begin(head, decision.body);
        Ok(())
    }

    /// A head that went out with no framing (GET after `flush_headers`) cannot be followed
    /// by a body: the server would read it as the next request.
    fn check_body_allowed(&self, data: &[u8]) -> Result<(), Error> {
        if !data.is_empty() && self.out.framing == BodyFraming::None && !self.body_skipped {
            return Err(Error::new(
                ErrorKind::BodyNotAllowed,
                "Adding content for this request method is not allowed once its head was \
                 sent without a length",
            ));
        }
        Ok(())
    }

    fn check_live(&self) -> Result<(), Error> {
        if self.aborted || self.destroyed {
            return Err(hang_up());
        }
        Ok(())
    }

    /// Generate and send the head now (POST and the like become chunked).
    pub fn flush_headers(&mut self) -> Result<(), Error> {
        self.check_live()?;
        if !self.out.head_generated {
            self.generate_head(None, false)?;
        }
        self.out.flush().map_err(|e| self.fail(e))
    }

    /// With `Expect: 100-continue`, wait (at most [`CONTINUE_TIMEOUT_MS`]) for `100 Continue`
    /// before the first body byte; a final status instead means the body is not sent.
    fn await_continue(&mut self) -> Result<(), Error> {
        if !self.expect_continue {
            return Ok(());
        }
        self.expect_continue = false;
        let Some(conn) = self.lease.as_ref().map(|l| l.conn.clone()) else {
            return Ok(());
        };
        let deadline = Instant::now() + Duration::from_millis(CONTINUE_TIMEOUT_MS);
        loop {
            let got = {
                let mut r = lock(&conn);
                r.deadline = Some(deadline);
                r.inactivity = None;
                let got = r.read_head(self.policy());
                r.deadline = None;
                let seq = r.seq;
                got.map(|h| h.map(|h| (h, seq)))
            };
            match got {
                Ok(Some((head, seq))) => {
                    let status = head.status;
                    if (100..200).contains(&status) && status != 101 {
                        self.information(head);
                        if status == 100 {
                            return Ok(());
                        }
                        continue;
                    }
                    self.early = Some((head, seq));
                    self.body_skipped = true;
                    return Ok(());
                }
                Err(ReadError::Deadline) => return Ok(()),
                Ok(None) | Err(ReadError::Io(_)) => return Err(self.fail(hang_up())),
                Err(ReadError::Parse(e)) => return Err(self.fail(e)),
                Err(ReadError::Inactive) => return Ok(()),
            }
        }
    }

    fn information(&mut self, head: HeadData) {
        let socket = match &self.lease {
            Some(l) => l.socket.clone(),
            None => return,
        };
        let status = head.status;
        let info = IncomingMessage::new(head, socket, None, 0, self.opts.response_folding());
        if status == 100 {
            for f in self.listeners.continue_.iter_mut() {
                f();
            }
        }
        for f in self.listeners.information.iter_mut() {
            f(&info);
        }
    }

    /// Write body bytes (chunked unless a length was set). Blocks until the kernel has taken
    /// them, as the server's [`ServerResponse::write`](crate::ServerResponse::write): `false`
    /// says they passed the 16 KiB high-water mark, and the `drain` listeners then run at the
    /// next `write`, `flush_headers` or `end`.
    pub fn write(&mut self, data: &[u8]) -> Result<bool, Error> {
        self.check_live()?;
        if self.out.ended {
            return Err(Error::write_after_end());
        }
        if !self.out.head_generated {
            self.generate_head(None, !data.is_empty())?;
        }
        self.await_continue()?;
        if self.body_skipped {
            return Ok(true);
        }
        self.check_body_allowed(data)?;
        self.replay = None;
        self.out.write_body(data).map_err(|e| self.fail(e))
    }

    fn policy(&self) -> HeadPolicy {
        HeadPolicy {
            skip_body: self.method == "HEAD",
            take_upgrade: false,
            connect_response: self.method == "CONNECT",
        }
    }

    /// Finish the request with `data` as the last body bytes, and wait for the response
    /// head: the `response` listeners run, then the response is returned. 1xx responses
    /// go to `on_continue` / `on_information`; `101` and any final answer to CONNECT go to
    /// `on_upgrade` / `on_connect` (the socket is closed when nobody listens) and are
    /// returned too, without a body.
    ///
    /// Errors: `ECONNRESET` (`socket hang up`) when the connection closes before a
    /// response, `HPE_*` for an invalid response, `ERR_STREAM_WRITE_AFTER_END`.
    pub fn end(mut self, data: &[u8]) -> Result<IncomingMessage, Error> {
        self.check_live()?;
        if !self.out.head_generated {
            self.generate_head(Some(data.len() as u64), !data.is_empty())?;
        }
        if !data.is_empty() {
            self.await_continue()?;
        }
        self.check_body_allowed(data)?;
        if let Some(r) = self.replay.as_mut() {
            if r.len() + data.len() <= RETRY_BODY_LIMIT {
                r.extend_from_slice(data);
            } else {
                self.replay = None;
            }
        }
        let sent = if self.body_skipped {
            self.out.ended = true;
            self.out.flush()
        } else {
            self.out.end(data)
        };
        if let Err(e) = sent {
            if let Some(res) = self.try_retry(&e)? {
                return Ok(res);
            }
            return Err(self.fail(e));
        }
        match self.read_response() {
            Ok(res) => Ok(res),
            Err(e) => match self.try_retry(&e)? {
                Some(res) => Ok(res),
                None => Err(self.fail(e)),
            },
        }
    }

    /// The retry rule: an idempotent request that failed on a reused socket before any
    /// response byte is sent again, once, on a fresh connection.
    fn try_retry(&mut self, e: &Error) -> Result<Option<IncomingMessage>, Error> {
        let eligible = self.agent.options().retry_idempotent
            && self.reused_socket()
            && idempotent(&self.method)
            && self.replay.is_some()
            && e.kind() == ErrorKind::ConnectionReset
            && self.early.is_none();
        if !eligible {
            return Ok(None);
        }
        let body = self.replay.take().unwrap_or_default();
        if let Some(old) = self.lease.take() {
            old.socket.destroy();
            self.agent.discard(&old);
        }
        let lease = self.agent.acquire(&self.opts, true)?;
        let mut out = Outgoing::new(lease.socket.clone());
        out.headers = self.out.headers.clone();
        out.removed_connection = self.out.removed_connection;
        out.removed_length = self.out.removed_length;
        out.removed_encoding = self.out.removed_encoding;
        self.out = out;
        self.lease = Some(lease);
        self.generate_head(Some(body.len() as u64), !body.is_empty())?;
        self.out.end(&body).map_err(|e| self.fail(e))?;
        self.read_response().map(Some)
    }

    fn read_response(&mut self) -> Result<IncomingMessage, Error> {
        let Some(lease) = self.lease.as_ref() else {
            return Err(hang_up());
        };
        let conn = lease.conn.clone();
        let socket = lease.socket.clone();
        // Node's `timeout` fires once per silence: re-armed only by bytes arriving
        let mut timed_out = false;
        let (head, seq) = match self.early.take() {
            Some(e) => e,
            None => loop {
                let got = {
                    let mut r = lock(&conn);
                    r.deadline = None;
                    r.inactivity = if timed_out { None } else { self.timeout };
                    let got = r.read_head(self.policy());
                    let seq = r.seq;
                    got.map(|h| h.map(|h| (h, seq)))
                };
                match got {
                    Ok(Some((head, seq))) => {
                        if (100..200).contains(&head.status) && head.status != 101 {
                            self.information(head);
                            timed_out = false;
                            continue;
                        }
                        break (head, seq);
                    }
                    Err(ReadError::Inactive) => {
                        // Node emits 'timeout' and goes on waiting; the listener may destroy
                        timed_out = true;
                        for f in self.listeners.timeout.iter_mut() {
                            f();
                        }
                        if socket.is_destroyed() {
                            return Err(hang_up());
                        }
                    }
                    Ok(None) | Err(ReadError::Io(_)) | Err(ReadError::Deadline) => {
                        return Err(hang_up())
                    }
                    Err(ReadError::Parse(e)) => return Err(e),
                }
            },
        };
        let upgraded = lock(&conn).parser.is_upgraded();
        let folding = self.opts.response_folding();
        let Some(lease) = self.lease.take() else {
            return Err(hang_up());
        };
        if upgraded {
            let tunnel = lock(&conn).take_buffered();
            self.agent.discard(&lease);
            let listeners = if self.method == "CONNECT" {
                &mut self.listeners.connect
            } else {
                &mut self.listeners.upgrade
            };
            match listeners {
                Some(f) => f(
                    IncomingMessage::new(head.clone(), socket.clone(), None, 0, folding),
                    socket.clone(),
                    tunnel,
                ),
                None => socket.destroy(),
            }
            let mut res = IncomingMessage::new(head, socket, None, 0, folding);
            res.mark_complete_if_bodiless();
            self.emit_response(&mut res);
            self.fire_close();
            return Ok(res);
        }
        let keep_alive = {
            let r = lock(&conn);
            r.parser.should_keep_alive()
        } && self.sends_keep_alive()
            && self.reusable
            && !self.out.came_short()
            && !self.body_skipped
            && !self.out.failed();
        let hint = keep_alive_hint(&head);
        let body_done = lock(&conn).body_complete();
        let agent = self.agent.clone();
        let mut late_error = None;
        let mut res = if body_done {
            // bytes past a bodiless response: Node's parse error on this request
            let leftover = lock(&conn).leftover();
            agent.release_lease(&lease, keep_alive && leftover.is_none(), hint);
            late_error = leftover.flatten();
            let mut res = IncomingMessage::new(head, socket, None, 0, folding);
            res.mark_complete_if_bodiless();
            res
        } else {
            let mut res = IncomingMessage::new(head, socket, Some((conn.clone(), seq)), 0, folding);
            let mut errors = std::mem::take(&mut self.listeners.error);
            res.set_done_hook(Box::new(move |complete| {
                let leftover = if complete {
                    lock(&conn).leftover()
                } else {
                    None
                };
                agent.release_lease(&lease, keep_alive && complete && leftover.is_none(), hint);
                if let Some(Some(e)) = leftover {
                    for f in errors.iter_mut() {
                        f(&e);
                    }
                }
            }));
            res
        };
        self.emit_response(&mut res);
        if let Some(e) = late_error {
            for f in self.listeners.error.iter_mut() {
                f(&e);
            }
        }
        // the request's `close` follows its response's, as in Node
        res.add_after_close(std::mem::take(&mut self.listeners.close));
        Ok(res)
    }

    fn emit_response(&mut self, res: &mut IncomingMessage) {
        for f in self.listeners.response.iter_mut() {
            f(res);
        }
    }

    /// Report `e` to the `error` listeners, close the connection, and hand `e` back.
    fn fail(&mut self, e: Error) -> Error {
        if let Some(lease) = self.lease.take() {
            lease.socket.destroy();
            self.agent.discard(&lease);
        }
        for f in self.listeners.error.iter_mut() {
            f(&e);
        }
        self.fire_close();
        e
    }

    fn fire_close(&mut self) {
        for mut f in std::mem::take(&mut self.listeners.close) {
            f();
        }
    }

    /// Abandon the request (Node's deprecated `abort()`): closes the connection; the
    /// `abort` listeners run, then `error` (`ECONNRESET`, `socket hang up`: no response came),
    /// then `close`, in Node 20's order. Later calls do nothing.
    pub fn abort(&mut self) {
        if self.aborted {
            return;
        }
        self.aborted = true;
        for f in self.listeners.abort.iter_mut() {
            f();
        }
        let _ = self.fail(hang_up());
    }

    /// Close the connection now (Node's `destroy()`): the `error` listeners get
    /// `ECONNRESET` (`socket hang up`), then `close` runs. Idempotent.
    pub fn destroy(&mut self) {
        if self.destroyed {
            return;
        }
        self.destroyed = true;
        let _ = self.fail(hang_up());
    }

    /// Run `f` at the next `write`, `flush_headers` or `end` after a `write` that returned
    /// `false` (Node's `drain`).
    pub fn on_drain(&mut self, f: impl FnMut() + Send + 'static) -> &mut Self {
        self.out.on_drain.push(Box::new(f));
        self
    }

    /// Set the socket inactivity timeout, in ms; 0 = no timeout; `callback` runs when it fires. The request is
    /// not aborted (as Node): destroy it from the callback if you want that.
    pub fn set_timeout(&mut self, ms: u64, callback: Option<Box<dyn FnMut() + Send>>) -> &mut Self {
        self.timeout = (ms > 0).then(|| Duration::from_millis(ms));
        if let Some(cb) = callback {
            self.listeners.timeout.push(cb);
        }
        self
    }

    /// Disable (`true`) or enable Nagle's algorithm on the socket.
    pub fn set_no_delay(&self, no_delay: bool) -> io::Result<()> {
        match &self.lease {
            Some(l) => l.socket.set_no_delay(no_delay),
            None => Ok(()),
        }
    }

    /// Turn TCP keep-alive probes on or off, the first after `initial_delay_ms`.
    pub fn set_socket_keep_alive(&self, enable: bool, initial_delay_ms: u64) -> io::Result<()> {
        match &self.lease {
            Some(l) => l.socket.set_keep_alive(enable, initial_delay_ms),
            None => Ok(()),
        }
    }

    /// Run `f` with the socket (at once: the socket is assigned when the request is made).
    pub fn on_socket(&mut self, mut f: impl FnMut(&Socket) + Send + 'static) -> &mut Self {
        if let Some(l) = &self.lease {
            f(&l.socket);
        }
        self.listeners.socket.push(Box::new(f));
        self
    }

    /// Run `f` with the response when its head arrives, before `end` returns it.
    pub fn on_response(
        &mut self,
        f: impl FnMut(&mut IncomingMessage) + Send + 'static,
    ) -> &mut Self {
        self.listeners.response.push(Box::new(f));
        self
    }

    /// Run `f` when `100 Continue` arrives.
    pub fn on_continue(&mut self, f: impl FnMut() + Send + 'static) -> &mut Self {
        self.listeners.continue_.push(Box::new(f));
        self
    }

    /// Run `f` with each 1xx response (other than 101).
    pub fn on_information(
        &mut self,
        f: impl FnMut(&IncomingMessage) + Send + 'static,
    ) -> &mut Self {
        self.listeners.information.push(Box::new(f));
        self
    }

    /// Take a `101 Switching Protocols` response: `f` gets the response, the socket (now
    /// yours) and the bytes read past the head. Without it the socket is closed. One owner:
    /// a later call replaces the listener (the rule of
    /// [`Server::on_request`](crate::Server::on_request)).
    pub fn on_upgrade(
        &mut self,
        f: impl FnMut(IncomingMessage, Socket, Vec<u8>) + Send + 'static,
    ) -> &mut Self {
        self.listeners.upgrade = Some(Box::new(f));
        self
    }

    /// Take the answer to CONNECT (any final status, as Node): `f` gets the response, the
    /// socket (the tunnel) and the bytes read past the head. Without it the socket is closed.
    /// One owner: a later call replaces the listener.
    pub fn on_connect(
        &mut self,
        f: impl FnMut(IncomingMessage, Socket, Vec<u8>) + Send + 'static,
    ) -> &mut Self {
        self.listeners.connect = Some(Box::new(f));
        self
    }

    /// Run `f` after `abort()`.
    pub fn on_abort(&mut self, f: impl FnMut() + Send + 'static) -> &mut Self {
        self.listeners.abort.push(Box::new(f));
        self
    }

    /// Run `f` when the socket was inactive for the request's timeout.
    pub fn on_timeout(&mut self, f: impl FnMut() + Send + 'static) -> &mut Self {
        self.listeners.timeout.push(Box::new(f));
        self
    }

    /// Run `f` with the error when the request fails.
    pub fn on_error(&mut self, f: impl FnMut(&Error) + Send + 'static) -> &mut Self {
        self.listeners.error.push(Box::new(f));
        self
    }

    /// Run `f` when the request is done with: after it failed or was aborted, or after its
    /// response's own `close` (the body read to its end, or the response dropped), as in
    /// Node.
    pub fn on_close(&mut self, f: impl FnMut() + Send + 'static) -> &mut Self {
        self.listeners.close.push(Box::new(f));
        self
    }
}

/// The server's `Keep-Alive: timeout=N` in ms.
fn keep_alive_hint(head: &HeadData) -> Option<u64> {
    canned::keep_alive_timeout_ms(&head.joined("keep-alive")?)
}

crate::outgoing::impl_io_write!(ClientRequest);

impl Drop for ClientRequest {
    fn drop(&mut self) {
        // a request dropped before `end` leaves its connection mid-message: close it
        if let Some(lease) = self.lease.take() {
            lease.socket.destroy();
            self.agent.discard(&lease);
        }
    }
}

/// The deprecated `http.createClient(port, host)`: a fixed origin to make requests to.
/// Use [`request`] instead.
#[derive(Clone, Debug)]
pub struct Client {
    port: u16,
    host: String,
}

/// Node's deprecated `http.createClient(port, host)`.
///
/// ```no_run
/// #[allow(deprecated)]
/// let client = stdhttp::create_client(8080, "127.0.0.1");
/// #[allow(deprecated)]
/// let res = client.request("GET", "/", &[("Accept", "text/plain")])?.end(&[])?;
/// # Ok::<(), stdhttp::Error>(())
/// ```
#[deprecated(note = "use `stdhttp::request`")]
pub fn create_client(port: u16, host: &str) -> Client {
    Client {
        port,
        host: host.to_string(),
    }
}

impl Client {
    /// A request to this client's origin (use [`request`] instead).
    #[deprecated(note = "use `stdhttp::request`")]
    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Result<ClientRequest, Error> {
        let opts = RequestOptions::new()
            .hostname(self.host.clone())
            .port(self.port)
            .method(method)
            .path(path)
            .headers(headers.iter().map(|(n, v)| (n.to_string(), v.to_string())));
        request(opts)
    }
}
