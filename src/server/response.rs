//! [`ServerResponse`]: the response to one request (Node's `http.ServerResponse`).
#![forbid(unsafe_code)]

use std::cell::RefCell;
use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::conn::CloseReason;
use super::conn_state::ConnState;
use crate::debug::debug_http;
use crate::net::Socket;
use crate::outgoing::{HeaderValue, Outgoing};
use crate::proto::canned;
use crate::proto::encode::{self, CRLF};
use crate::proto::framing::{self, BodyFraming, ConnectionHeader, ResponseConnection};
use crate::{Error, ErrorKind};

/// A callback for [`ServerResponse::set_timeout`].
pub type TimeoutCallback = Box<dyn Fn(&Socket) + Send + Sync>;

/// What the response needs to know about the request it answers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RequestInfo {
    pub head_method: bool,
    pub version: (u8, u8),
    /// The parser's verdict (Node's `shouldKeepAlive`).
    pub close: Option<CloseReason>,
    /// The request's `TE` header lists `chunked` (lets an HTTP/1.0 response be chunked).
    pub te_chunked: bool,
    /// The request expected `100 Continue` (the body waits for it).
    pub expects_continue: bool,
    /// This request reached `max_requests_per_socket`.
    pub last_allowed: bool,
    /// `Keep-Alive: timeout=` in seconds (None = no Keep-Alive header).
    pub keep_alive_secs: Option<u64>,
    /// `Keep-Alive: ..., max=` (the server's `max_requests_per_socket`, when set).
    pub keep_alive_max: Option<u32>,
    /// The server's `reject_non_standard_body_writes`.
    pub reject_body_writes: bool,
}

thread_local! {
    static DATE: RefCell<(u64, Vec<u8>)> = const { RefCell::new((u64::MAX, Vec::new())) };
}

/// `Date: <now>\r\n`, formatted at most once a second per thread.
pub(crate) fn push_date_line(buf: &mut Vec<u8>) {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    DATE.with(|cell| {
        let mut cache = cell.borrow_mut();
        if cache.0 != secs {
            cache.1.clear();
            cache.1.extend_from_slice(b"Date: ");
            encode::write_http_date(&mut cache.1, secs);
            cache.1.extend_from_slice(CRLF);
            cache.0 = secs;
        }
        buf.extend_from_slice(&cache.1);
    });
}

/// The response to one request (Node's `http.ServerResponse`), handed to
/// [`Server::on_request`](crate::Server::on_request) with the request.
///
/// Set a status and headers, then write the body and [`end`](Self::end) it. Framing follows
/// Node: `end(data)` alone sends `Content-Length`; once the body is streamed (`write`,
/// `write_head`, `flush_headers` before `end`) it is chunked (HTTP/1.1) or delimited by
/// closing the connection (HTTP/1.0). Responses to HEAD and 1xx/204/304 responses never
/// carry a body.
///
/// Writes are buffered and coalesced: the head goes out with the first body bytes, and the
/// buffer is sent when it passes 16 KiB, on [`flush`](std::io::Write::flush), and at
/// `end`. Call `flush()` to push a stream (e.g. server-sent events) out now. Writes of 8 KiB
/// or more go to the socket without a copy.
///
/// Dropping a response that was not ended ends it (an empty body if nothing was written).
///
/// ```no_run
/// let server = stdhttp::create_server(|_req, mut res| {
///     res.set_header("Content-Type", "text/plain").unwrap();
///     res.end(b"Hello, World!").unwrap();
/// });
/// server.listen("127.0.0.1:8080")?;
/// server.join();
/// # Ok::<(), stdhttp::Error>(())
/// ```
pub struct ServerResponse {
    out: Outgoing,
    status_code: u16,
    status_message: Option<String>,
    send_date: bool,
    req: RequestInfo,
    conn: Arc<ConnState>,
    /// Why the connection cannot carry another request after this response, if it cannot:
    /// the first reason found wins.
    close: Option<CloseReason>,
    continue_sent: bool,
    /// The connection has been told this response is over.
    signalled: bool,
}

impl std::fmt::Debug for ServerResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerResponse")
            .field("status_code", &self.status_code)
            .field("headers_sent", &self.out.head_generated)
            .field("finished", &self.out.finished)
            .finish()
    }
}

impl ServerResponse {
    crate::outgoing::outgoing_methods!();

    pub(crate) fn new(socket: Socket, req: RequestInfo, conn: Arc<ConnState>) -> ServerResponse {
        ServerResponse {
            out: Outgoing::new(socket),
            status_code: 200,
            status_message: None,
            send_date: true,
            close: req.close,
            req,
            conn,
            continue_sent: false,
            signalled: false,
        }
    }

    /// The status code to send (default 200).
    pub fn status_code(&self) -> u16 {
        self.status_code
    }

    /// Set the status code. Checked (100..=999) when the head is generated, as in Node.
    pub fn set_status_code(&mut self, code: u16) -> &mut Self {
        self.status_code = code;
        self
    }

    /// The reason phrase to send: the one set, else `STATUS_CODES`' text, else `unknown`.
    pub fn status_message(&self) -> &str {
        match &self.status_message {
            Some(m) => m,
            None => encode::reason_for(self.status_code),
        }
    }

    /// Set the reason phrase.
    pub fn set_status_message(&mut self, message: impl Into<String>) -> &mut Self {
        self.status_message = Some(message.into());
        self
    }

    /// Whether a `Date` header is added (default true).
    pub fn send_date(&self) -> bool {
        self.send_date
    }

    /// Turn the automatic `Date` header on or off.
    pub fn set_send_date(&mut self, send: bool) -> &mut Self {
        self.send_date = send;
        self
    }

    /// Remove a header. Removing `Connection`, `Content-Length`, `Transfer-Encoding` or
    /// `Date` also stops stdhttp from adding its own (as Node).
    pub fn remove_header(&mut self, name: &str) -> Result<&mut Self, Error> {
        if name.eq_ignore_ascii_case("date") && !self.out.head_generated {
            self.send_date = false;
        }
        self.out.remove_header(name)?;
        Ok(self)
    }

    /// Whether `end` has completed and everything was handed to the socket.
    pub fn finished(&self) -> bool {
        self.out.finished
    }

    /// The connection this response goes out on.
    pub fn socket(&self) -> &Socket {
        &self.out.socket
    }

    /// Set the status, optionally the reason, and headers (merged over those set with
    /// `set_header`; a name repeated here gives repeated lines), and generate the head.
    /// Nothing is sent until the first body bytes, `end` or `flush_headers`.
    pub fn write_head<K, V, I>(
        &mut self,
        status: u16,
        reason: Option<&str>,
        headers: I,
    ) -> Result<&mut Self, Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<HeaderValue>,
    {
        if self.out.head_generated {
            return Err(Error::headers_sent("write"));
        }
        if !(100..=999).contains(&status) {
            return Err(Error::invalid_status_code(status));
        }
        let mut seen: Vec<String> = Vec::new();
        for (k, v) in headers {
            let name = k.as_ref();
            let value: HeaderValue = v.into();
            let lower = name.to_ascii_lowercase();
            if seen.contains(&lower) {
                // a name repeated here adds its values (Node's appendHeader)
                self.out.headers.append(name, value)?;
            } else {
                self.out.headers.set(name, value)?;
                seen.push(lower);
            }
        }
        self.status_code = status;
        if let Some(r) = reason {
            self.status_message = Some(r.to_string());
        }
        self.generate_head(None)?;
        Ok(self)
    }

    /// [`write_head`](Self::write_head) with no headers (`write_head(204, None, [])` cannot
    /// tell the header types): the status, optionally the reason, and the head.
    ///
    /// ```
    /// let server = stdhttp::create_server(|_req, mut res| {
    ///     res.write_head_status(204, None).unwrap();
    ///     res.end(b"").unwrap();
    /// });
    /// # drop(server);
    /// ```
    pub fn write_head_status(
        &mut self,
        status: u16,
        reason: Option<&str>,
    ) -> Result<&mut Self, Error> {
        self.write_head(status, reason, std::iter::empty::<(&str, &str)>())
    }

    /// Send `HTTP/1.1 100 Continue` now (for a request that sent `Expect: 100-continue`).
    pub fn write_continue(&mut self) -> Result<(), Error> {
        self.continue_sent = true;
        self.write_interim(canned::CONTINUE)
    }

    /// Send `HTTP/1.1 102 Processing` now (Node's `writeProcessing`): tells the client the
    /// request is being worked on. Like every interim response it goes to the socket at
    /// once, ahead of anything buffered, and does not count as the head
    /// ([`headers_sent`](Self::headers_sent) stays false).
    ///
    /// ```
    /// use std::io::{Read, Write};
    ///
    /// let server = stdhttp::create_server(|_req, mut res| {
    ///     res.write_processing().unwrap();
    ///     res.end(b"done").unwrap();
    /// });
    /// server.listen("127.0.0.1:0")?;
    /// let Some(stdhttp::ServerAddress::Tcp(addr)) = server.address() else { unreachable!() };
    /// let mut c = std::net::TcpStream::connect(addr)?;
    /// c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    /// let mut answer = String::new();
    /// c.read_to_string(&mut answer)?;
    /// assert!(answer.starts_with("HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\n"));
    /// # let _ = server.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_processing(&mut self) -> Result<(), Error> {
        self.write_interim(canned::PROCESSING)
    }

    /// Send a `103 Early Hints` response now (Node's `writeEarlyHints(hints)`), so the
    /// client can start fetching what the final response will link to. `hints` is Node's
    /// object as pairs: the `link` entry (a string or a list of them, each like
    /// `</style.css>; rel=preload; as=style`) becomes one `Link:` line, a list joined with
    /// `", "`; every other entry becomes a `name: value` line after it (a list joined with
    /// `","`, as Node writes an array). Without a `link` entry, or with an empty list,
    /// nothing is sent, as in Node. Like [`write_processing`](Self::write_processing) it goes
    /// out at once and does not count as the head.
    ///
    /// Errors: `ERR_INVALID_ARG_VALUE` for a link not of that format (Node's check);
    /// beyond Node, which writes the other entries unchecked, `ERR_INVALID_HTTP_TOKEN` and
    /// `ERR_INVALID_CHAR` for a bad name or value (no CR/LF injection). The `link` name is
    /// matched in any case (Node only sees a lower-case `link` key).
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use stdhttp::HeaderValue;
    ///
    /// let server = stdhttp::create_server(|_req, mut res| {
    ///     let links = HeaderValue::from(["</a.css>; rel=preload; as=style", "</b.js>; rel=preload; as=script"]);
    ///     res.write_early_hints([("link", links), ("x-trace", "7".into())]).unwrap();
    ///     res.end(b"page").unwrap();
    /// });
    /// server.listen("127.0.0.1:0")?;
    /// let Some(stdhttp::ServerAddress::Tcp(addr)) = server.address() else { unreachable!() };
    /// let mut c = std::net::TcpStream::connect(addr)?;
    /// c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    /// let mut answer = String::new();
    /// c.read_to_string(&mut answer)?;
    /// assert!(answer.starts_with(
    ///     "HTTP/1.1 103 Early Hints\r\n\
    ///      Link: </a.css>; rel=preload; as=style, </b.js>; rel=preload; as=script\r\n\
    ///      x-trace: 7\r\n\r\nHTTP/1.1 200 OK\r\n"
    /// ));
    /// # let _ = server.close();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_early_hints<K, V, I>(&mut self, hints: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<HeaderValue>,
    {
        let mut links: Vec<String> = Vec::new();
        let mut others: Vec<(K, String)> = Vec::new();
        for (name, value) in hints {
            let value: HeaderValue = value.into();
            if name.as_ref().eq_ignore_ascii_case("link") {
                links.extend_from_slice(value.values());
            } else {
                others.push((name, value.values().join(",")));
            }
        }
        if links.is_empty() {
            return Ok(());
        }
        let mut head = Vec::with_capacity(128);
        encode::write_early_hints(&mut head, &links, &others)?;
        self.write_interim(&head)
    }

    /// An interim (1xx) response goes to the socket now, before the final head.
    fn write_interim(&mut self, head: &[u8]) -> Result<(), Error> {
        self.out
            .socket
            .write_all_vectored(&[head])
            .map_err(Error::from)
    }

    fn generate_head(&mut self, known_length: Option<u64>) -> Result<(), Error> {
        let code = self.status_code;
        let reason = match &self.status_message {
            Some(m) => m.as_str(),
            None => encode::reason_for(code),
        };
        let mut head = self.out.head_buffer();
        encode::write_status_line(&mut head, code, reason)?;
        let h = &self.out.headers;
        let method = if self.req.head_method { "HEAD" } else { "GET" };
        let has_body = framing::response_has_body(method, code);
        h.render(&mut head);
        if self.send_date && !h.has("date") {
            push_date_line(&mut head);
        }
        let chunk_allowed = self.req.version >= (1, 1) || self.req.te_chunked;
        let decision = framing::response_framing(
            &self.out.user_framing(),
            has_body,
            chunk_allowed,
            known_length,
        )
        .map_err(|_| {
            Error::new(
                ErrorKind::TrailerInvalid,
                "Trailers are invalid with this transfer encoding",
            )
        })?;
        let framing = decision.body;
        // decided now, when the head is written, not when the request arrived: after
        // server.close() responses say `Connection: close`, so clients stop sending
        let (verdict, connection) = framing::response_connection(&ResponseConnection {
            request_close: self.close,
            server_closing: self.conn.server_closing(),
            continue_not_sent: self.req.expects_continue && !self.continue_sent,
            framing_reusable: decision.reusable,
            user_connection: h
                .get("connection")
                .map(|_| h.has_token("connection", "close")),
            removed_connection: self.out.removed_connection,
            last_allowed: self.req.last_allowed,
        });
        match connection {
            ConnectionHeader::KeepAlive => {
                head.extend_from_slice(b"Connection: keep-alive\r\n");
                if let (Some(secs), false) = (self.req.keep_alive_secs, h.has("keep-alive")) {
                    crate::proto::canned::write_keep_alive(
                        &mut head,
                        secs,
                        self.req.keep_alive_max,
                    );
                }
            }
            ConnectionHeader::Close => head.extend_from_slice(b"Connection: close\r\n"),
            ConnectionHeader::None => {}
        }
        encode::write_auto_framing(&mut head, decision.header);
        head.extend_from_slice(CRLF);
        debug_http!("conn {} response {code}", self.conn.id);
        self.close = verdict.err();
        self.out.begin(head, framing);
        Ok(())
    }

    fn ensure_head(&mut self) -> Result<(), Error> {
        if !self.out.head_generated {
            self.generate_head(None)?;
        }
        Ok(())
    }

    fn mark_started(&self) {
        self.conn.response_started.store(true, Ordering::Release);
    }

    /// Write body bytes. `write` blocks until the kernel has taken them (or buffers fewer
    /// than 16 KiB to go out with the next write), so there is never anything to wait for:
    /// `false` only tells that these bytes passed the 16 KiB high-water mark (Node's
    /// `write` result), and the `drain` listeners registered by then run at the next
    /// `write`, `flush_headers` or `end`, so Node's
    /// `if !res.write(..) { res.on_drain(..) }` sees its drain. After `end`:
    /// `ERR_STREAM_WRITE_AFTER_END`.
    pub fn write(&mut self, data: &[u8]) -> Result<bool, Error> {
        if self.out.ended {
            return Err(Error::write_after_end());
        }
        self.ensure_head()?;
        self.mark_started();
        self.check_body_allowed()?;
        self.out.write_body(data)
    }

    /// With the server's `reject_non_standard_body_writes`, body bytes for a response that
    /// has no body are an error (Node's `ERR_HTTP_BODY_NOT_ALLOWED`), not dropped.
    fn check_body_allowed(&self) -> Result<(), Error> {
        if self.req.reject_body_writes && self.out.framing == BodyFraming::None {
            return Err(Error::new(
                ErrorKind::BodyNotAllowed,
                "Adding content for this request method or response status is not allowed.",
            ));
        }
        Ok(())
    }

    /// Generate and send the head now.
    pub fn flush_headers(&mut self) -> Result<(), Error> {
        self.ensure_head()?;
        self.mark_started();
        self.out.flush()
    }

    /// Finish the response with `data` as its last bytes. If nothing was written yet the
    /// head says `Content-Length: data.len()`. Ending twice with no data does nothing; with
    /// data it is `ERR_STREAM_WRITE_AFTER_END`.
    pub fn end(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.out.ended {
            return self.out.end(data);
        }
        if !self.out.head_generated {
            self.generate_head(Some(data.len() as u64))?;
        }
        self.mark_started();
        if !data.is_empty() {
            self.check_body_allowed()?;
        }
        let r = self.out.end(data);
        self.complete();
        r
    }

    /// Node's `res.setTimeout(ms, cb)`: an inactivity timer of `ms` on the socket for this
    /// response. When no byte has moved for `ms` (while the handler works, reads or
    /// writes), `callback` runs (once per silence) and the socket is left alone; without a
    /// `timeout` listener anywhere (response, request, server) the socket is destroyed. The
    /// timer and its listeners end with the response: the next request on the connection
    /// starts without them. `ms` is in ms; 0 = no timeout.
    pub fn set_timeout(&mut self, ms: u64, callback: Option<TimeoutCallback>) -> io::Result<()> {
        if let Some(cb) = callback {
            self.conn.add_timeout_listener(cb);
        }
        self.conn.arm_timer(ms);
        Ok(())
    }

    /// Run `f` when the response is done with: after `finish`, when the connection failed
    /// first, or when the client closed the connection while the handler still works
    /// (checked every 100 ms while a `close` listener waits; a request body the handler has
    /// not read hides a close until it is read). Node's `res.on('close')`.
    pub fn on_close(&mut self, f: impl FnMut() + Send + 'static) -> &mut Self {
        self.conn.add_close_listener(Box::new(f));
        self
    }

    /// Whether the client has gone: the socket was destroyed or the peer closed it (a
    /// long handler can poll this and stop its work). The `close` listeners run when this
    /// first sees it.
    pub fn is_closed(&self) -> bool {
        let gone = self.conn.client_gone();
        if gone {
            self.conn.fire_close();
        }
        gone
    }

    /// Run `f` at the next `write`, `flush_headers` or `end` after a `write` that returned
    /// `false` (see [`write`](Self::write)).
    pub fn on_drain(&mut self, f: impl FnMut() + Send + 'static) -> &mut Self {
        self.out.on_drain.push(Box::new(f));
        self
    }

    fn complete(&mut self) {
        if self.signalled {
            return;
        }
        self.signalled = true;
        let verdict = match self.close {
            Some(reason) => Err(reason),
            None if self.out.failed() || !self.out.finished || self.out.came_short() => {
                Err(CloseReason::WriteFailed)
            }
            None => Ok(()),
        };
        self.conn.response_done(verdict);
        self.conn.fire_close();
    }
}

crate::outgoing::impl_io_write!(ServerResponse);

impl Drop for ServerResponse {
    fn drop(&mut self) {
        if std::thread::panicking() && !self.out.ended {
            // the handler panicked: do not report success; the connection is closed
            self.out.socket.destroy();
            self.complete();
            return;
        }
        if !self.out.ended {
            if self.end(&[]).is_err() {
                self.complete();
            }
        } else {
            self.complete();
        }
    }
}
