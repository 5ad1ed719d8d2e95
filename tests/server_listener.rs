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
    // the shortest timeout a listener is primed with is 1 s, so accept wakes every second
    server.set_timeout_ms(1_000).set_headers_timeout(1_000);
    server.on_request(|_req, mut res| {
        let _ = res.end(b"ok");
    });
    server.listen("127.0.0.1:0").unwrap();
    std::thread::sleep(Duration::from_millis(2_200)); // two accept timeouts pass
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

/// A non-blocking listener handed over with `listen_on` (as one from an async runtime may
/// be) is served with blocking accepts: the accept thread does not spin while idle.
#[test]
fn a_non_blocking_listener_is_served_without_spinning() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let server = Server::new();
    server.on_request(|_req, mut res| {
        let _ = res.end(b"ok");
    });
    server.listen_on(listener).unwrap();
    // the CPU time of every accept thread of this process over one idle second
    let accept_cpu_ticks = || -> u64 {
        let mut total = 0;
        for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim() == "stdhttp-accept" {
                let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
                let after_name = stat.rsplit(')').next().unwrap_or("");
                let f: Vec<&str> = after_name.split_whitespace().collect();
                // fields 14 and 15 of stat (utime, stime) are 12 and 13 after the name
                total += f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
                total += f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            }
        }
        total
    };
    let before = accept_cpu_ticks();
    std::thread::sleep(Duration::from_secs(1));
    let used = accept_cpu_ticks() - before;
    assert!(
        used < 30,
        "accept threads used {used} clock ticks in an idle second"
    );
    let mut c = TcpStream::connect(addr(&server)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut reply = Vec::new();
    c.read_to_end(&mut reply).unwrap();
    assert!(reply.starts_with(b"HTTP/1.1 200 OK\r\n"));
    server.close().unwrap();
}

/// A `connection` listener may change the socket's timeouts through `as_tcp()`: the
/// headers timeout still holds (the server does not trust what the listener set up).
#[test]
fn headers_timeout_holds_when_a_connection_listener_clears_the_read_timeout() {
    let server = Server::new();
    server.set_headers_timeout(1_200);
    server.on_connection(|socket| {
        let _ = socket.as_tcp().unwrap().set_read_timeout(None);
    });
    server.on_request(|_req, mut res| {
        let _ = res.end(b"ok");
    });
    server.listen("127.0.0.1:0").unwrap();
    let mut c = TcpStream::connect(addr(&server)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(6))).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap(); // never finished
    let start = Instant::now();
    let mut reply = Vec::new();
    let _ = c.read_to_end(&mut reply);
    assert!(
        reply.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"),
        "{reply:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    server.close().unwrap();
}

/// A connection accepted on a Unix listener and still queued when the server closes and
/// listens again on TCP keeps its own timeouts (it inherited nothing from the new listener).
#[cfg(unix)]
#[test]
fn a_connection_queued_across_a_relisten_keeps_its_inactivity_timeout() {
    use std::os::unix::net::UnixStream;
    let path = std::env::temp_dir().join(format!("stdhttp-relisten-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let server = Server::new();
    server.on_request(|_req, mut res| {
        std::thread::sleep(Duration::from_millis(800));
        let _ = res.end(b"ok");
    });
    server.set_headers_timeout(0).set_timeout_ms(1_200);
    server.set_max_threads(1).unwrap();
    server.listen_unix(&path).unwrap();
    let mut busy = UnixStream::connect(&path).unwrap();
    busy.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let mut quiet = UnixStream::connect(&path).unwrap(); // queued behind `busy`, silent
    std::thread::sleep(Duration::from_millis(100));
    server.close().unwrap();
    server.listen("127.0.0.1:0").unwrap(); // a primed TCP listener (read timeout 1.2 s)
    quiet
        .set_read_timeout(Some(Duration::from_secs(6)))
        .unwrap();
    let start = Instant::now();
    let mut b = [0u8; 64];
    let closed =
        matches!(quiet.read(&mut b), Ok(0) | Err(_)) && start.elapsed() < Duration::from_secs(5);
    assert!(closed, "still open after {:?}", start.elapsed());
    let _ = busy.read(&mut b);
    server.close().unwrap();
    let _ = std::fs::remove_file(&path);
}
