//! Connections start with the socket options the server wants (no Nagle, its read and
//! write timeouts) whether they come from the listener or are set per connection, and
//! settings changed after `listen` still apply.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use stdhttp::Server;

fn addr(s: &Server) -> SocketAddr {
    match s.address().unwrap() {
        stdhttp::ServerAddress::Tcp(a) => a,
        _ => unreachable!(),
    }
}

type Options = (bool, Option<Duration>, Option<Duration>);

/// The options an accepted connection has when the `connection` event sees it.
fn options_seen(server: &Server) -> Options {
    let (tx, rx) = mpsc::channel::<Options>();
    let tx = std::sync::Mutex::new(tx);
    server.on_connection(move |socket| {
        let tcp = socket.as_tcp().expect("a TCP connection");
        let seen = (
            tcp.nodelay().unwrap(),
            tcp.read_timeout().unwrap(),
            tcp.write_timeout().unwrap(),
        );
        let _ = tx.lock().unwrap().send(seen);
    });
    server.on_request(|_req, mut res| {
        let _ = res.end(b"ok");
    });
    server.listen("127.0.0.1:0").unwrap();
    let _c = TcpStream::connect(addr(server)).unwrap();
    rx.recv_timeout(Duration::from_secs(5)).unwrap()
}

fn close_to(got: Option<Duration>, want: Duration) -> bool {
    // the kernel keeps timeouts in clock ticks, so allow a few ms of rounding
    got.is_some_and(|g| g.abs_diff(want) <= Duration::from_millis(10))
}

/// A server configured by `setup` hands its connections TCP_NODELAY and these timeouts.
fn assert_connection_options(setup: impl FnOnce(&Server), read: Duration, write: Duration) {
    let server = Server::new();
    setup(&server);
    let (nodelay, got_read, got_write) = options_seen(&server);
    assert!(nodelay, "TCP_NODELAY is on");
    assert!(close_to(got_read, read), "read timeout {got_read:?}");
    assert!(close_to(got_write, write), "write timeout {got_write:?}");
    server.close().unwrap();
}

#[test]
fn accepted_connections_have_no_nagle_and_the_default_timeouts() {
    // the first read waits for the headers timeout (60 s), shorter than inactivity (120 s)
    assert_connection_options(|_| {}, Duration::from_secs(60), Duration::from_secs(120));
}

#[test]
fn accepted_connections_follow_timeouts_set_before_listen() {
    assert_connection_options(
        |s| {
            s.set_timeout_ms(3_000).set_headers_timeout(7_000);
        },
        Duration::from_secs(3),
        Duration::from_secs(3),
    );
}

#[test]
fn no_timeouts_means_none_on_the_connection() {
    let server = Server::new();
    server.set_timeout_ms(0).set_headers_timeout(0);
    let (_, read, write) = options_seen(&server);
    assert_eq!((read, write), (None, None));
    server.close().unwrap();
}

/// A timeout changed after `listen` applies to the next connection: the headers timeout
/// still closes a connection that sends nothing.
#[test]
fn headers_timeout_changed_after_listen_applies() {
    let server = Server::new();
    server.on_request(|_req, mut res| {
        let _ = res.end(b"ok");
    });
    server.listen("127.0.0.1:0").unwrap();
    server.set_headers_timeout(300);
    let mut c = TcpStream::connect(addr(&server)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let start = Instant::now();
    let mut reply = Vec::new();
    let _ = c.read_to_end(&mut reply);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(250) && took < Duration::from_secs(3),
        "closed after {took:?}"
    );
    assert!(
        reply.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"),
        "{reply:?}"
    );
    server.close().unwrap();
}

/// The listener's own receive timeout also ends a quiet `accept`: the server keeps
/// accepting at once afterwards.
#[test]
fn a_quiet_listener_keeps_accepting() {
    let server = Server::new();
    server.set_timeout_ms(100).set_headers_timeout(100);
    server.on_request(|_req, mut res| {
        let _ = res.end(b"ok");
    });
    server.listen("127.0.0.1:0").unwrap();
    std::thread::sleep(Duration::from_millis(450)); // several accept timeouts pass
    for _ in 0..3 {
        let mut c = TcpStream::connect(addr(&server)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let start = Instant::now();
        c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut reply = Vec::new();
        c.read_to_end(&mut reply).unwrap();
        assert!(reply.starts_with(b"HTTP/1.1 200 OK\r\n"));
        assert!(
            start.elapsed() < Duration::from_millis(50),
            "{:?}",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_millis(150));
    }
    server.close().unwrap();
}
