//! Regressions found by a review of the server: each test once failed.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use stdhttp::Server;

fn addr(s: &Server) -> SocketAddr {
    match s.address().unwrap() {
        stdhttp::ServerAddress::Tcp(a) => a,
        _ => unreachable!(),
    }
}

/// Read one response head + Content-Length body from a raw stream.
fn read_response(c: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut b = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        assert_eq!(c.read(&mut b).unwrap(), 1, "EOF inside head");
        buf.push(b[0]);
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let len = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Length: "))
        .map_or(0, |v| v.trim().parse::<usize>().unwrap());
    let mut body = vec![0u8; len];
    c.read_exact(&mut body).unwrap();
    head
}

/// Wait for EOF (or reset) within `limit`; Err if the socket is still open after it.
fn closed_within(c: &mut TcpStream, limit: Duration) -> Result<Duration, String> {
    let start = Instant::now();
    c.set_read_timeout(Some(limit)).unwrap();
    let mut b = [0u8; 64];
    match c.read(&mut b) {
        Ok(0) => Ok(start.elapsed()),
        Ok(n) => Err(format!("unexpected {n} bytes")),
        Err(e)
            if e.kind() == std::io::ErrorKind::WouldBlock
                || e.kind() == std::io::ErrorKind::TimedOut =>
        {
            Err(format!("still open after {limit:?}"))
        }
        Err(_) => Ok(start.elapsed()), // reset counts as closed
    }
}

// Regression (found in review): `res.set_timeout(0)` (Node idiom to disable the socket timeout for a long
// response) clears the OS read timeout behind the Reader's back; `Reader::fill` caches the
// armed timeout (`armed`) and does not re-arm when the next keep-alive wait wants the same
// value, so the idle keep-alive read blocks with NO timeout: keepAliveTimeout is never
// enforced and the worker is held forever by an idle client. Node closes at
// keepAliveTimeout + 1 s regardless (it re-arms socket.setTimeout(keepAliveTimeout)).
/// Serve twice on one keep-alive connection with `handler`, then expect the idle connection
/// to be closed (keep-alive timeout 200 ms: Node closes at about 1.2 s).
fn idle_connection_closes_after(
    handler: impl Fn(stdhttp::IncomingMessage, stdhttp::ServerResponse) + Send + Sync + 'static,
) {
    let server = Server::new();
    server.set_keep_alive_timeout(200);
    server.on_request(handler);
    server.listen("127.0.0.1:0").unwrap();
    let mut c = TcpStream::connect(addr(&server)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for _ in 0..2 {
        c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        read_response(&mut c);
    }
    let r = closed_within(&mut c, Duration::from_secs(4));
    assert!(r.is_ok(), "idle keep-alive connection not closed: {r:?}");
}

#[test]
fn keep_alive_timeout_still_applies_after_res_set_timeout_0() {
    idle_connection_closes_after(|_req, mut res| {
        res.set_timeout(0, None).unwrap();
        res.end(b"ok").unwrap();
    });
}

// Regression (found in review): the same through `req.set_timeout(0)` (IncomingMessage::set_timeout).
#[test]
fn keep_alive_timeout_still_applies_after_req_set_timeout_0() {
    idle_connection_closes_after(|mut req, mut res| {
        req.set_timeout(0, None).unwrap();
        res.end(b"ok").unwrap();
    });
}

// Regression (found in review): a panicking request handler unwinds out of `conn::serve` (no catch_unwind in
// serve or the pool worker): `finish()` never runs, so the connection stays in `tracked`
// (its Socket clone keeps the fd open — the client never sees EOF even though the response
// said `Connection: close`), `server.connections()` never drops, `join()` after `close()`
// hangs forever, and the pool's `threads` count leaks one per panic (after max_threads
// panics every new connection only queues, then gets 503).
#[test]
fn a_panicking_handler_closes_its_connection_and_join_returns() {
    let server = Server::new();
    server.on_request(|_req, _res| panic!("handler bug"));
    server.listen("127.0.0.1:0").unwrap();
    let mut c = TcpStream::connect(addr(&server)).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut all = Vec::new();
    let r = c.read_to_end(&mut all);
    thread::sleep(Duration::from_millis(200));
    let conns = server.connections();
    server.close().unwrap();
    let (tx, rx) = mpsc::channel();
    let s2 = server.clone();
    thread::spawn(move || {
        s2.join();
        let _ = tx.send(());
    });
    let joined = rx.recv_timeout(Duration::from_secs(3)).is_ok();
    assert!(
        r.is_ok(),
        "connection never closed after handler panic: {r:?}, got {:?}",
        String::from_utf8_lossy(&all)
    );
    assert_eq!(conns, 0, "connection still tracked after handler panic");
    assert!(
        joined,
        "join() hangs after close() because of the panicked connection"
    );
}

// Regression (found in review): with an `on_client_error` listener the docs (and Node, NODE-SEMANTICS §3.5) say
// the listener owns the socket and nothing is done automatically; the code calls
// `finish()` (destroy) right after the listener returns, so a listener that answers a bit
// later (as Node code does with setTimeout / any async work) loses its answer.
#[test]
fn a_client_error_listener_owns_the_socket() {
    let server = Server::new();
    server.on_request(|_req, mut res| res.end(b"ok").unwrap());
    server.on_client_error(|_err, socket| {
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(200));
            let mut s = socket;
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nX: late\r\n\r\n");
            s.destroy();
        });
    });
    server.listen("127.0.0.1:0").unwrap();
    let mut c = TcpStream::connect(addr(&server)).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost x\r\n\r\n").unwrap();
    c.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut all = Vec::new();
    let _ = c.read_to_end(&mut all);
    // Node 20 delivers exactly these bytes (checked with node)
    assert_eq!(
        String::from_utf8_lossy(&all),
        "HTTP/1.1 400 Bad Request\r\nX: late\r\n\r\n"
    );
}

// Regression (found in review): the socket handed to an `upgrade` (or `connect`) listener keeps the OS read
// timeout the Reader last armed (here the headers deadline), although `socket.timeout()`
// says 0 and the tunnel is no longer the server's: an idle tunnel's read fails with
// EAGAIN/ETIMEDOUT. Node leaves an upgraded socket alone.
#[test]
fn an_upgraded_socket_has_no_leftover_read_timeout() {
    let server = Server::new();
    server.set_headers_timeout(300);
    let (tx, rx) = mpsc::channel();
    server.on_upgrade(move |_req, socket, _head| {
        let mut s = socket.clone();
        let _ = s.write_all(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n",
        );
        let timeout = s.timeout();
        let mut b = [0u8; 5];
        let r = s.read_exact(&mut b).map_err(|e| e.kind());
        let _ = tx.send((timeout, r, b));
    });
    server.listen("127.0.0.1:0").unwrap();
    let mut c = TcpStream::connect(addr(&server)).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n")
        .unwrap();
    read_response(&mut c);
    thread::sleep(Duration::from_millis(1000)); // tunnel idle for 1 s, then data
    c.write_all(b"hello").unwrap();
    let (timeout, r, b) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(timeout, 0);
    assert_eq!(r, Ok(()), "tunnel read failed after 1 s idle");
    assert_eq!(&b, b"hello");
}
