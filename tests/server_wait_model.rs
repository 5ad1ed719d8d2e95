//! The two wait models (issue 10): in parked mode a connection with no request in flight
//! costs no thread; in thread-per-connection mode each open connection holds one.
mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use stdhttp::{Server, WaitModel};

fn threads() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Threads:").map(|v| v.trim().parse().ok()))
                .flatten()
        })
        .unwrap_or(0)
}

fn server(model: WaitModel) -> (Server, std::net::SocketAddr) {
    let server = Server::new();
    server.set_wait_model(model).unwrap();
    server.on_request(|_req, mut res| res.end(b"ok").unwrap());
    server.listen("127.0.0.1:0").unwrap();
    let addr = match server.address().unwrap() {
        stdhttp::ServerAddress::Tcp(a) => a,
        other => panic!("{other:?}"),
    };
    (server, addr)
}

fn one_request(c: &mut TcpStream) {
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while !got.ends_with(b"ok") {
        let n = c.read(&mut buf).unwrap();
        assert!(n > 0, "closed: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
}

/// The thread counts are the process's: one measurement at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Open `n` keep-alive connections, one request each, and count the threads added.
fn threads_for_idle_connections(model: WaitModel, n: usize) -> usize {
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    // the threads of an earlier server (closed) may still be on their way out
    let mut before = threads();
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(3) {
        std::thread::sleep(Duration::from_millis(100));
        let now = threads();
        if now == before {
            break;
        }
        before = now;
    }
    let (server, addr) = server(model);
    let mut conns: Vec<TcpStream> = (0..n).map(|_| TcpStream::connect(addr).unwrap()).collect();
    for c in conns.iter_mut() {
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        one_request(c);
    }
    std::thread::sleep(Duration::from_millis(100));
    let added = threads().saturating_sub(before);
    // they are still served
    for c in conns.iter_mut().take(5) {
        one_request(c);
    }
    server.close_all_connections();
    let _ = server.close();
    server.join();
    added
}

#[test]
#[cfg(target_os = "linux")]
fn parked_idle_connections_cost_no_thread() {
    let added = threads_for_idle_connections(WaitModel::Parked, 64);
    assert!(added <= 8, "{added} threads for 64 idle connections");
}

#[test]
#[cfg(target_os = "linux")]
fn thread_per_connection_holds_a_thread_per_idle_connection() {
    let added = threads_for_idle_connections(WaitModel::ThreadPerConnection, 64);
    assert!(added >= 60, "{added} threads for 64 idle connections");
}

#[test]
fn a_slow_head_is_parsed_across_wake_ups() {
    let _one = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    for model in [WaitModel::Parked, WaitModel::ThreadPerConnection] {
        let (server, addr) = server(model);
        let mut c = TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        for piece in [&b"GET / HT"[..], b"TP/1.1\r\nHo", b"st: x\r\n", b"\r\n"] {
            c.write_all(piece).unwrap();
            std::thread::sleep(Duration::from_millis(30));
        }
        let mut got = Vec::new();
        let mut buf = [0u8; 512];
        let t0 = Instant::now();
        while !got.ends_with(b"ok") && t0.elapsed() < Duration::from_secs(5) {
            let n = c.read(&mut buf).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"), "{model:?}");
        let _ = server.close();
        server.close_all_connections();
    }
}
