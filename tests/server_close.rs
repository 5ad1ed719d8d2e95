//! Closing and listening (NODE-SEMANTICS §3.8, §3.9).
mod common;

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::server::*;
use stdhttp::{Server, ServerAddress};

#[test]
fn port_zero_listen_reports_the_chosen_port() {
    let s = start_ok(b"ok");
    assert_ne!(s.addr.port(), 0);
    assert_eq!(s.server.address().unwrap().port(), Some(s.addr.port()));
    assert!(s.server.listening());
}

#[test]
fn close_stops_accepting_and_join_returns() {
    let s = start_ok(b"ok");
    let closed = Arc::new(AtomicUsize::new(0));
    let c2 = closed.clone();
    s.server.on_close(move || {
        c2.fetch_add(1, Ordering::SeqCst);
    });
    s.server.close().unwrap();
    s.server.join();
    assert_eq!(closed.load(Ordering::SeqCst), 1);
    assert!(TcpStream::connect(s.addr).is_err(), "connect refused");
    assert!(s.server.address().is_none());
}

#[test]
fn close_closes_idle_keep_alive_connections() {
    let s = start_ok(b"ok");
    let mut c = s.connect();
    c.send(&get("/"));
    assert_eq!(c.response().text(), "ok");
    s.server.close().unwrap();
    assert!(c.closes_within(PATIENCE));
    assert!(c.buf.is_empty());
    s.server.join();
}

#[test]
fn close_lets_an_in_flight_request_finish_then_runs_on_close() {
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (in_tx, in_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let in_tx = Mutex::new(in_tx);
    let s = start_with(
        |s| {
            s.set_keep_alive_timeout(200);
        },
        move |_q, mut r| {
            in_tx.lock().unwrap().send(()).unwrap();
            go_rx.lock().unwrap().recv_timeout(PATIENCE).unwrap();
            r.end(b"finished").unwrap();
        },
    );
    let events = Arc::new(Mutex::new(Vec::new()));
    let e = events.clone();
    s.server.on_close(move || e.lock().unwrap().push("close"));
    let mut c = s.connect();
    c.send(&get("/"));
    recv(&in_rx);
    s.server.close().unwrap();
    assert!(TcpStream::connect(s.addr).is_err(), "no new connections");
    assert!(
        events.lock().unwrap().is_empty(),
        "a connection is still open"
    );
    go_tx.send(()).unwrap();
    let r = c.response();
    assert_eq!(r.text(), "finished");
    // the keep-alive decision is taken when the response head is written, after close():
    // the client is told (Node 20 still says keep-alive here and waits for its timer)
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(r.header("keep-alive"), None);
    // closed once its response is done
    assert!(c.closes_within(PATIENCE));
    assert!(c.buf.is_empty());
    s.server.join();
    assert_eq!(*events.lock().unwrap(), ["close"]);
}

#[test]
fn close_twice_is_err_server_not_running() {
    let s = start_ok(b"ok");
    s.server.close().unwrap();
    assert_eq!(
        s.server.close().unwrap_err().code(),
        "ERR_SERVER_NOT_RUNNING"
    );
    let never = Server::new();
    assert_eq!(never.close().unwrap_err().code(), "ERR_SERVER_NOT_RUNNING");
}

#[test]
fn listen_twice_is_err_server_already_listen() {
    let s = start_ok(b"ok");
    let e = s.server.listen("127.0.0.1:0").unwrap_err();
    assert_eq!(e.code(), "ERR_SERVER_ALREADY_LISTEN");
}

#[test]
fn listen_on_a_used_port_is_eaddrinuse() {
    let s = start_ok(b"ok");
    let other = Server::new();
    let e = other.listen(s.addr).unwrap_err();
    assert_eq!(e.code(), "EADDRINUSE");
}

#[test]
fn close_all_connections_drops_in_flight_requests_without_a_byte() {
    let (in_tx, in_rx) = mpsc::channel::<()>();
    let in_tx = Mutex::new(in_tx);
    let s = start(move |_q, r| {
        in_tx.lock().unwrap().send(()).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        drop(r);
    });
    let mut c = s.connect();
    c.send(&get("/"));
    recv(&in_rx);
    s.server.close_all_connections();
    assert_eq!(c.read_to_close(PATIENCE), b"");
}

#[test]
fn close_idle_connections_spares_busy_ones() {
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (in_tx, in_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let in_tx = Mutex::new(in_tx);
    let s = start(move |q, mut r| {
        if q.url() == "/slow" {
            in_tx.lock().unwrap().send(()).unwrap();
            go_rx.lock().unwrap().recv_timeout(PATIENCE).unwrap();
        }
        r.end(b"ok").unwrap();
    });
    let mut idle = s.connect();
    idle.send(&get("/"));
    assert_eq!(idle.response().text(), "ok");
    let mut busy = s.connect();
    busy.send(&get("/slow"));
    recv(&in_rx);
    s.server.close_idle_connections();
    assert!(idle.closes_within(PATIENCE), "idle connection closed");
    go_tx.send(()).unwrap();
    assert_eq!(busy.response().text(), "ok");
    assert!(
        !busy.closes_within(Duration::from_millis(100)),
        "busy one kept"
    );
}

#[test]
fn listen_on_a_tcp_listener() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = stdhttp::create_server(|_q, mut r| r.end(b"on").unwrap());
    server.listen_on(l).unwrap();
    assert_eq!(server.address(), Some(ServerAddress::Tcp(addr)));
    let mut c = Client::connect(addr);
    c.send(&get("/"));
    assert_eq!(c.response().text(), "on");
    server.close().unwrap();
    server.join();
}

#[test]
fn listen_fd_serves_on_an_owned_descriptor() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = stdhttp::create_server(|_q, mut r| r.end(b"fd").unwrap());
    server.listen_fd(std::os::fd::OwnedFd::from(l)).unwrap();
    let mut c = Client::connect(addr);
    c.send(&get("/"));
    assert_eq!(c.response().text(), "fd");
    server.close().unwrap();
    server.join();
}

fn unix_get(path: &std::path::Path) -> String {
    use std::io::{Read, Write};
    let mut u = std::os::unix::net::UnixStream::connect(path).unwrap();
    u.set_read_timeout(Some(PATIENCE)).unwrap();
    u.write_all(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = Vec::new();
    u.read_to_end(&mut out).unwrap();
    show(&out)
}

fn temp_socket_path(tag: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("stdhttp-{tag}-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn listen_unix_serves_and_removes_the_path_on_close() {
    let path = temp_socket_path("listen");
    let server = stdhttp::create_server(|_q, mut r| r.end(b"unix").unwrap());
    server.listen_unix(&path).unwrap();
    assert_eq!(server.address(), Some(ServerAddress::Unix(path.clone())));
    assert!(unix_get(&path).ends_with("\r\n\r\nunix"));
    server.close().unwrap();
    server.join();
    assert!(!path.exists(), "socket file removed");
}

#[test]
fn listen_unix_on_a_unix_listener() {
    let path = temp_socket_path("on");
    let l = std::os::unix::net::UnixListener::bind(&path).unwrap();
    let server = stdhttp::create_server(|_q, mut r| r.end(b"unix-on").unwrap());
    server.listen_unix_on(l).unwrap();
    assert!(unix_get(&path).ends_with("\r\n\r\nunix-on"));
    server.close().unwrap();
    server.join();
    let _ = std::fs::remove_file(&path);
}

#[test]
fn listening_listener_runs_inside_listen() {
    let server = Server::new();
    let n = Arc::new(AtomicUsize::new(0));
    let n2 = n.clone();
    server.on_listening(move || {
        n2.fetch_add(1, Ordering::SeqCst);
    });
    server.listen("127.0.0.1:0").unwrap();
    assert_eq!(n.load(Ordering::SeqCst), 1);
    server.close().unwrap();
    server.join();
}

/// `join` returns only after the `close` listeners ran, also when the last connection ends
/// on a worker thread while `join` waits (it once returned as soon as the listeners began).
#[test]
fn join_waits_for_slow_close_listeners() {
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let s = start_with(
        |_| {},
        move |_q, mut r| {
            go_rx.lock().unwrap().recv_timeout(PATIENCE).unwrap();
            r.end(b"finished").unwrap();
        },
    );
    let events = Arc::new(Mutex::new(Vec::new()));
    let e = events.clone();
    s.server.on_close(move || {
        std::thread::sleep(std::time::Duration::from_millis(300));
        e.lock().unwrap().push("close");
    });
    let mut c = s.connect();
    c.send(&get("/"));
    std::thread::sleep(std::time::Duration::from_millis(50));
    s.server.close().unwrap();
    go_tx.send(()).unwrap();
    assert_eq!(c.response().text(), "finished");
    assert!(c.closes_within(PATIENCE));
    s.server.join();
    assert_eq!(*events.lock().unwrap(), ["close"]);
}

/// A `close` listener that panics (on the worker that closed the last connection) does not
/// leave `join` waiting forever.
#[test]
fn join_returns_after_a_panicking_close_listener() {
    let s = start_ok(b"ok");
    s.server
        .on_close(|| panic!("a close listener panics (expected by this test)"));
    let mut c = s.connect();
    c.send(b"GET / HTTP/1.1\r\nHost: x\r\n"); // mid-request: not idle
    std::thread::sleep(Duration::from_millis(100));
    s.server.close().unwrap();
    drop(c); // its worker ends the connection, then runs the close listener
    let (tx, rx) = mpsc::channel();
    let server = s.server.clone();
    std::thread::spawn(move || {
        server.join();
        let _ = tx.send(());
    });
    assert!(rx.recv_timeout(PATIENCE).is_ok(), "join still waiting");
}
