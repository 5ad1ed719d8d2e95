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
use crate::message::{HeadPolicy, IncomingMessage, ReadError, Reader};
use crate::net::Socket;
use crate::parser::{BodyFraming, Kind, Limits};
use crate::proto::canned::{self, Refusal};
use crate::proto::headers::list_has_token;
use crate::Error;

fn request_timeout_error() -> Error {
    Error::new("ERR_HTTP_REQUEST_TIMEOUT", "Request timeout")
}

/// The clientError path: the listeners, or Node's default answer and a close.
fn client_error(handlers: &Handlers, conn: &ConnState, socket: &Socket, err: Error) {
    if handlers.client_error.is_empty() {
        if !conn.response_started.swap(true, Ordering::AcqRel) {
            let _ = socket.write_all_vectored(&[canned::client_error(err.code())]);
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

fn ms(v: u64) -> Option<Duration> {
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
}

/// Serve one connection until it closes.
pub(crate) fn serve(
    server: Arc<ServerInner>,
    socket: Socket,
    accepted: Instant,
    idle: Arc<AtomicBool>,
    id: u64,
    inherited: super::Inherited,
) {
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
    for f in &handlers.connection {
        f(&socket);
    }
    let conn = Arc::new(ConnState::new(server.clone(), socket.clone()));
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
        let conn = conn.clone();
        reader.on_body_error = Some(Box::new(move |socket, err, why| match why {
            ReadError::Inactive => {
                if !conn.fire_timeout(socket) && handlers.timeout.is_empty() {
                    socket.destroy();
                }
                for f in &handlers.timeout {
                    f(socket.clone());
                }
            }
            ReadError::Deadline => client_error(&handlers, &conn, socket, request_timeout_error()),
            ReadError::Parse(_) if err.code() != "ECONNRESET" => {
                client_error(&handlers, &conn, socket, err.clone())
            }
            _ => {}
        }));
    }
    let reader = Arc::new(Mutex::new(reader));
    let mut served: u64 = 0;
    let take_upgrade = !handlers.upgrade.is_empty();
    loop {
        // a fresh request: nothing of its response is out yet, so a client error in its
        // head still gets Node's default answer
        conn.reset();
        let waiting_since = Instant::now();
        let head = {
            let mut r = lock(&reader);
            r.deadline = if served == 0 {
                s.headers_timeout.and_then(|t| accepted.checked_add(t))
            } else if s.keep_alive_timeout > 0 {
                // Node arms its keep-alive timer at keepAliveTimeout + 1 s
                waiting_since.checked_add(Duration::from_millis(
                    s.keep_alive_timeout.saturating_add(1000),
                ))
            } else {
                None
            };
            // a new connection's headers deadline runs from the accept; a kept-alive one's
            // from the first byte of its next request
            r.headers_timeout = if served == 0 { None } else { s.headers_timeout };
            {
                // under the lock close_idle_connections takes, so a close() racing with the
                // end of a response either sees this connection idle or is seen here
                let _tracked = lock(&server.tracked);
                idle.store(served > 0, Ordering::Release);
                if served > 0 && server.closing.load(Ordering::Acquire) {
                    // the server is closing: a request already on its way is still served
                    // (with `Connection: close`), then the connection ends
                    r.deadline = Some(waiting_since + super::CLOSE_IDLE_GRACE);
                }
            }
            let policy = HeadPolicy {
                skip_body: false,
                take_upgrade,
                connect_response: false,
            };
            // Node: between requests the keep-alive timer stands in for the inactivity one
            let keep_alive_wait = served > 0 && s.keep_alive_timeout > 0;
            r.inactivity = if keep_alive_wait { None } else { s.timeout };
            let result = loop {
                match r.read_head(policy) {
                    Err(ReadError::Inactive) => {
                        let mut heard = conn.fire_timeout(&socket);
                        for f in &handlers.timeout {
                            f(socket.clone());
                            heard = true;
                        }
                        if !heard || socket.is_destroyed() {
                            break Err(ReadError::Inactive);
                        }
                        // a listener kept the socket: Node fires once per silence, and the
                        // deadline armed above (headers, keep-alive) stays as it was
                        r.inactivity = None;
                    }
                    other => break other,
                }
            };
            r.inactivity = s.timeout;
            idle.store(false, Ordering::Release);
            match result {
                Ok(Some(h)) => Ok((h, r.first_byte.unwrap_or(waiting_since), r.seq)),
                Ok(None) => Err(None),
                Err(e) => Err(Some((e, r.first_byte.is_some()))),
            }
        };
        let (head, first_byte, seq) = match head {
            Ok(h) => h,
            Err(None) => break,
            Err(Some((ReadError::Deadline, got_bytes))) => {
                if served > 0 && !got_bytes {
                    break; // keep-alive idle timeout: close silently
                }
                client_error(&handlers, &conn, &socket, request_timeout_error());
                return after_client_error(&server, &handlers, &socket, id);
            }
            Err(Some((ReadError::Inactive, _))) => {
                socket.destroy();
                break;
            }
            Err(Some((ReadError::Parse(e), _))) => {
                client_error(&handlers, &conn, &socket, e);
                return after_client_error(&server, &handlers, &socket, id);
            }
            Err(Some((ReadError::Io(_), _))) => break,
        };
        served += 1;

        let is_connect = head.method == Some("CONNECT");
        if head.upgrade && (is_connect || take_upgrade) && lock(&reader).parser.is_upgraded() {
            let tunnel = lock(&reader).take_buffered();
            server.forget(id);
            // the new owner gets the socket with only the timeout it asked for, not the
            // deadline this loop last armed
            let _ = socket.set_timeout(socket.timeout());
            let listeners = if is_connect {
                &handlers.connect
            } else {
                &handlers.upgrade
            };
            let req = IncomingMessage::new(head, socket.clone(), None, s.max_headers_count);
            match listeners.first() {
                Some(f) => f(req, socket.clone(), tunnel),
                None => socket.destroy(),
            }
            return;
        }
        let mut head = head;
        if head.upgrade {
            // an upgrade nobody listens for is served as a plain request (Node: its
            // `req.upgrade` is false)
            lock(&reader).parser.resume_after_upgrade();
            head.upgrade = false;
        }

        let refusal = if head.host_missing {
            Some(Refusal::HostMissing)
        } else if s.max_requests > 0 && served > s.max_requests {
            Some(Refusal::TooManyRequests)
        } else {
            None
        };
        if let (true, BodyFraming::Length(n)) = (s.max_body_size > 0, head.body) {
            if n > s.max_body_size {
                let err = crate::message::body_too_large(s.max_body_size);
                if handlers.client_error.is_empty() {
                    conn.response_started.store(true, Ordering::Release);
                    let _ = socket.write_all_vectored(&[canned::client_error(err.code())]);
                    linger_close(&socket);
                    return finish(&server, &socket, id);
                }
                client_error(&handlers, &conn, &socket, err);
                return after_client_error(&server, &handlers, &socket, id);
            }
        }
        if let Some(why) = refusal {
            let mut bytes = Vec::with_capacity(128);
            canned::refusal(&mut bytes, why, push_date_line);
            let _ = socket.write_all_vectored(&[&bytes]);
            linger_close(&socket);
            return finish(&server, &socket, id);
        }

        {
            let mut r = lock(&reader);
            r.deadline = s.request_timeout.and_then(|t| first_byte.checked_add(t));
        }
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
        let info = RequestInfo {
            head_method: head.method == Some("HEAD"),
            version,
            keep_alive: head.keep_alive,
            te_chunked,
            expects_continue,
            last_allowed: s.max_requests > 0 && served >= s.max_requests,
            keep_alive_secs: (s.keep_alive_timeout > 0).then_some(s.keep_alive_timeout / 1000),
            keep_alive_max: (s.max_requests > 0)
                .then(|| s.max_requests.min(u32::MAX as u64) as u32),
        };
        let body_done = lock(&reader).body_complete();
        let has_body = !body_done;
        let mut req = IncomingMessage::new(
            head,
            socket.clone(),
            has_body.then(|| (reader.clone(), seq)),
            s.max_headers_count,
        );
        // Node: `req.complete` turns true at the body's end, a bodiless request's too
        req.set_timer(Arc::new(RequestTimerOf(conn.clone())));
        if has_body {
            let c = conn.clone();
            req.on_complete(Box::new(move || {
                c.request_complete.store(true, Ordering::Release);
            }));
        } else {
            conn.request_complete.store(true, Ordering::Release);
        }
        let mut res = ServerResponse::new(socket.clone(), info, conn.clone());

        match expect {
            Some(e) if canned::expects_continue(&e) => {
                if let Some(f) = handlers.check_continue.first() {
                    f(req, res);
                } else {
                    let _ = res.write_continue();
                    dispatch(&handlers, req, res);
                }
            }
            Some(_) => match handlers.check_expectation.first() {
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

        let keep_alive = conn.wait_done();
        if !keep_alive || socket.is_destroyed() {
            linger_close(&socket);
            break;
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
            break;
        }
    }
    finish(&server, &socket, id);
}

/// After a client error: with `clientError` listeners the socket is theirs (Node: the
/// listener must end or destroy it), so it is only forgotten; else it is closed.
fn after_client_error(server: &ServerInner, handlers: &Handlers, socket: &Socket, id: u64) {
    if handlers.client_error.is_empty() {
        finish(server, socket, id);
    } else {
        server.forget(id);
    }
}

fn finish(server: &ServerInner, socket: &Socket, id: u64) {
    socket.destroy();
    server.forget(id);
}

fn dispatch(handlers: &Handlers, req: IncomingMessage, res: ServerResponse) {
    match handlers.request.as_ref() {
        Some(f) => f(req, res),
        None => drop((req, res)),
    }
}
