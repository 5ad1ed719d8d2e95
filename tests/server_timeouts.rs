//! Timeouts as the peer sees them (NODE-SEMANTICS §3.4), with short test values.
mod common;

use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::server::*;

const TIMEOUT_408: &str = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n";

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn assert_between(elapsed: Duration, low: u64, high: u64) {
    assert!(
        elapsed >= ms(low) && elapsed <= ms(high),
        "took {elapsed:?}, expected {low}..{high} ms"
    );
}

fn short_headers_timeout() -> TestServer {
    start_with(
        |s| {
            s.set_headers_timeout(300);
            s.set_keep_alive_timeout(3000);
        },
        |mut q, mut r| {
            if q.text().is_ok() {
                r.end(b"ok").unwrap();
            }
        },
    )
}

#[test]
fn headers_timeout_answers_408_to_a_connection_that_sends_nothing() {
    let s = short_headers_timeout();
    let mut c = s.connect();
    let t = Instant::now();
    let got = c.read_to_close(PATIENCE);
    assert_eq!(show(&got), TIMEOUT_408);
    assert_between(t.elapsed(), 250, 1500);
}

#[test]
fn headers_timeout_answers_408_to_an_unfinished_head() {
    let s = short_headers_timeout();
    let mut c = s.connect();
    let t = Instant::now();
    c.send(b"GET / HTTP/1.1\r\nHost: t\r\n");
    let got = c.read_to_close(PATIENCE);
    assert_eq!(show(&got), TIMEOUT_408);
    assert_between(t.elapsed(), 250, 1500);
}

#[test]
fn headers_timeout_of_a_kept_alive_request_runs_from_its_first_byte() {
    let s = short_headers_timeout();
    let mut c = s.connect();
    c.send(&get("/1"));
    assert_eq!(c.response().text(), "ok");
    // idle longer than the headers timeout: that is the keep-alive timer's business
    std::thread::sleep(ms(500));
    c.send(b"GET /2 HTTP/1.1\r\n");
    let t = Instant::now();
    let got = c.read_to_close(PATIENCE);
    assert_eq!(show(&got), TIMEOUT_408);
    assert_between(t.elapsed(), 250, 1500);
}

#[test]
fn request_timeout_answers_408_to_a_slow_body() {
    let s = start_with(
        |s| {
            s.set_headers_timeout(300);
            s.set_request_timeout(500);
        },
        |mut q, mut r| {
            if q.text().is_ok() {
                r.end(b"ok").unwrap();
            }
        },
    );
    let mut c = s.connect();
    let t = Instant::now();
    c.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab");
    let got = c.read_to_close(PATIENCE);
    assert_eq!(show(&got), TIMEOUT_408);
    assert_between(t.elapsed(), 450, 2000);
}

#[test]
fn keep_alive_idle_connection_closes_silently_one_second_after_the_timeout() {
    let s = start_with(
        |s| {
            s.set_keep_alive_timeout(200);
        },
        |_q, mut r| r.end(b"ok").unwrap(),
    );
    let mut c = s.connect();
    c.send(&get("/"));
    let r = c.response();
    assert_eq!(r.header("keep-alive"), Some("timeout=0"));
    let t = Instant::now();
    let rest = c.read_to_close(PATIENCE);
    assert_eq!(rest, b"", "closed without a byte");
    assert_between(t.elapsed(), 1100, 2200);
}

#[test]
fn inactivity_timeout_destroys_the_socket_without_a_listener() {
    let s = start_with(
        |s| {
            s.set_timeout_ms(300);
        },
        |_q, mut r| r.end(b"ok").unwrap(),
    );
    let mut c = s.connect();
    let t = Instant::now();
    c.send(b"GET / HTTP/1.1\r\n");
    let got = c.read_to_close(PATIENCE);
    assert_eq!(got, b"", "destroyed silently");
    assert_between(t.elapsed(), 250, 1500);
}

#[test]
fn inactivity_timeout_calls_the_listener_instead_of_destroying() {
    let s = start_with(
        |s| {
            s.set_timeout_ms(200);
        },
        |_q, mut r| r.end(b"ok").unwrap(),
    );
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    s.server.on_timeout(move |_sock| {
        let _ = tx.lock().unwrap().send(Instant::now());
    });
    let mut c = s.connect();
    let t = Instant::now();
    c.send(b"GET / HTTP/1.1\r\n");
    let fired = recv(&rx);
    assert_between(fired - t, 150, 1500);
    assert!(
        !c.closes_within(ms(100)),
        "still open after the listener ran"
    );
    // the connection still works
    c.send(b"Host: t\r\n\r\n");
    assert_eq!(c.response().text(), "ok");
}

/// A reader that takes a little every 150 ms never lets one send wait the whole timeout,
/// yet the response's sends may wait for it only `timeout` in all.
#[test]
fn a_slow_reader_holds_a_response_at_most_the_timeout_in_all() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let s = start_with(
        |s| {
            s.set_timeout_ms(800);
        },
        move |_q, mut r| {
            let big = vec![b'x'; 48 << 20];
            let started = Instant::now();
            let result = r.end(&big).map_err(|e| e.code().to_string());
            tx.lock()
                .unwrap()
                .send((result, started.elapsed()))
                .unwrap();
        },
    );
    let mut c = s.connect();
    c.send(&get("/"));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopped = stop.clone();
    let reading = std::thread::spawn(move || {
        use std::io::Read;
        let mut chunk = vec![0u8; 64 * 1024];
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(8)
            && !stopped.load(std::sync::atomic::Ordering::Relaxed)
        {
            std::thread::sleep(ms(150));
            match c.stream.read(&mut chunk) {
                Ok(0) => break,
                Err(e)
                    if e.kind() != std::io::ErrorKind::WouldBlock
                        && e.kind() != std::io::ErrorKind::TimedOut =>
                {
                    break
                }
                _ => {}
            }
        }
    });
    let got = rx.recv_timeout(Duration::from_secs(10));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (result, elapsed) = got.expect("end returned");
    assert_eq!(result, Err("ETIMEDOUT".to_string()));
    assert!(elapsed < Duration::from_secs(4), "held {elapsed:?}");
    reading.join().unwrap();
}

/// Node 20 emits the server's `timeout` once per silence (one call for a stall of three
/// periods) when a listener keeps the socket.
#[test]
fn the_timeout_listener_runs_once_per_silence() {
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = calls.clone();
    let s = start_with(
        |s| {
            s.set_timeout_ms(200).set_headers_timeout(5000);
        },
        |_q, mut r| r.end(b"ok").unwrap(),
    );
    s.server.on_timeout(move |_socket| {
        c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    let mut conn = s.connect();
    std::thread::sleep(ms(750));
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    conn.send(&get("/"));
    assert_eq!(conn.response().text(), "ok");
}

/// A timeout listener that keeps the socket does not stretch the headers deadline of a
/// request trickling in on a kept-alive connection.
#[test]
fn a_kept_socket_keeps_its_headers_deadline() {
    let s = start_with(
        |s| {
            s.set_timeout_ms(200)
                .set_headers_timeout(600)
                .set_keep_alive_timeout(5000);
        },
        |_q, mut r| r.end(b"ok").unwrap(),
    );
    s.server.on_timeout(|_socket| {});
    let mut conn = s.connect();
    conn.send(&get("/"));
    assert_eq!(conn.response().text(), "ok");
    conn.send(b"GET / HTTP/1.1\r\nHost: x\r\n");
    let started = Instant::now();
    let got = conn.read_to_close(PATIENCE);
    assert_eq!(show(&got), TIMEOUT_408);
    assert_between(started.elapsed(), 500, 1500);
}
