//! [`IncomingMessage`]: a request as the server receives it or a response as the client
//! receives it; its head, and its body as a stream.
//!
//! The read side of a connection (socket, parser, buffered bytes, deadlines) is a
//! [`Reader`] (`reader.rs`); a message borrows it, through a shared handle, while its body
//! is read.
#![forbid(unsafe_code)]

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::net::Socket;
use crate::proto::headers::{latin1, Folding, Headers, HeadersDistinct, RawHeaders};
pub(crate) use crate::reader::*;
use crate::{Error, ErrorKind};

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
    /// Node's `headersDistinct`, built the first time it is asked for.
    headers_distinct: OnceLock<HeadersDistinct>,
    /// How `headers` and `trailers` fold repeated names (Node's `joinDuplicateHeaders`).
    folding: Folding,
    version: Cow<'static, str>,
    socket: Socket,
    body: Body,
    trailers: Headers,
    raw_trailers: RawHeaders,
    /// Node's `trailersDistinct`, built the first time it is asked for once trailers came.
    trailers_distinct: OnceLock<HeadersDistinct>,
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
}

/// The server's inactivity timer for one request (Node's `req.setTimeout`).
pub(crate) trait RequestTimer: Send + Sync {
    /// Arm it for `ms` (0 disarms), with a `timeout` listener of the request.
    fn set_timeout(&self, ms: u64, listener: Option<crate::TimeoutCallback>);
    /// The request's body has been read to its end (its `timeout` listeners stop).
    fn body_complete(&self);
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
    /// head says there is no body; its headers and trailers fold repeated names by
    /// `folding`.
    pub(crate) fn new(
        head: HeadData,
        socket: Socket,
        reader: Option<(Arc<Mutex<Reader>>, u64)>,
        max_headers_count: usize,
        folding: Folding,
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
            headers_distinct: OnceLock::new(),
            folding,
            version,
            socket,
            body,
            trailers: Headers::new(),
            raw_trailers: RawHeaders::new(),
            trailers_distinct: OnceLock::new(),
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
        }
    }

    pub(crate) fn set_timer(&mut self, timer: Arc<dyn RequestTimer>) {
        self.timer = Some(timer);
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

    /// Node's merged view: lower-case names, duplicates combined by Node's rules (with the
    /// server's [`set_join_duplicate_headers`](crate::Server::set_join_duplicate_headers)
    /// or the request's
    /// [`join_duplicate_headers`](crate::RequestOptions::join_duplicate_headers), every
    /// repeated name but `set-cookie` is joined).
    pub fn headers(&self) -> &Headers {
        self.headers
            .get_or_init(|| Headers::from_raw_with(&self.head.raw_headers, 0, self.folding))
    }

    /// Node's `headersDistinct`: every header line's value, as a list per lower-cased name,
    /// in order of first appearance, no name special (`content-type` sent twice has both
    /// values, `cookie` lines are not joined).
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let server = stdhttp::create_server(|req, mut res| {
    ///     let accept = req.headers_distinct().get("accept").map(<[String]>::to_vec);
    ///     res.end(format!("{accept:?}").as_bytes()).unwrap();
    /// });
    /// server.listen("127.0.0.1:0")?;
    /// let Some(stdhttp::ServerAddress::Tcp(addr)) = server.address() else { unreachable!() };
    /// let mut c = std::net::TcpStream::connect(addr)?;
    /// c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nAccept: a\r\naccept: b\r\nConnection: close\r\n\r\n")?;
    /// let mut answer = String::new();
    /// c.read_to_string(&mut answer)?;
    /// assert!(answer.ends_with(r#"Some(["a", "b"])"#));
    /// # let _ = server.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn headers_distinct(&self) -> &HeadersDistinct {
        self.headers_distinct
            .get_or_init(|| HeadersDistinct::from_raw(&self.head.raw_headers, 0))
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

    /// Node's `trailersDistinct`: every trailer line's value, listed per lower-cased name
    /// like [`headers_distinct`](Self::headers_distinct); empty until the body has been
    /// read to its end.
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let server = stdhttp::create_server(|mut req, mut res| {
    ///     req.resume().unwrap();
    ///     let tags = req.trailers_distinct().get("x-tag").map(<[String]>::to_vec);
    ///     res.end(format!("{tags:?}").as_bytes()).unwrap();
    /// });
    /// server.listen("127.0.0.1:0")?;
    /// let Some(stdhttp::ServerAddress::Tcp(addr)) = server.address() else { unreachable!() };
    /// let mut c = std::net::TcpStream::connect(addr)?;
    /// c.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\nX-Tag: a\r\nx-tag: b\r\n\r\n")?;
    /// let mut answer = String::new();
    /// c.read_to_string(&mut answer)?;
    /// assert!(answer.ends_with(r#"Some(["a", "b"])"#));
    /// # let _ = server.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn trailers_distinct(&self) -> &HeadersDistinct {
        self.trailers_distinct
            .get_or_init(|| HeadersDistinct::from_raw(&self.raw_trailers, self.max_headers_count))
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
    /// `ms` is in ms; 0 = no timeout.
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
    ///         Err(e) if e.kind() == stdhttp::ErrorKind::BodyTooLarge => {
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
                Ok(n) if bytes.len() + n > max => return Err(Error::body_too_large(max)),
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
        if let Some(timer) = &self.timer {
            timer.body_complete();
        }
        if let Some(raw) = trailers {
            self.trailers = Headers::from_raw_with(&raw, self.max_headers_count, self.folding);
            self.raw_trailers = raw;
            self.trailers_distinct = OnceLock::new();
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
                                Error::timed_out("the request body timed out")
                            }
                            ReadError::Io(_) => Error::aborted(),
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
                let kind = if err.kind() == ErrorKind::TimedOut {
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
