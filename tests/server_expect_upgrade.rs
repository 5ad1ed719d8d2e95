//! `Expect` handling and connection hand-over (NODE-SEMANTICS §3.1 step 4, §3.6).
mod common;

use std::io::{Read, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::server::*;

fn echo_body() -> TestServer {
    start(|mut q, mut r| {
        let body = q.text().unwrap();
        r.end(format!("got {body}").as_bytes()).unwrap();
    })
}

#[test]
fn expect_100_continue_gets_100_then_the_final_response() {
    let s = echo_body();
    let mut c = s.connect();
    c.send(b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    let interim = c.response();
    assert_eq!(show(&interim.raw), "HTTP/1.1 100 Continue\r\n\r\n");
    c.send(b"ab");
    let r = c.response();
    assert_eq!(
        r.wire(),
        "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nContent-Length: 6\r\n\r\ngot ab"
    );
}

#[test]
fn check_continue_listener_replaces_the_request_event() {
    let requests = Arc::new(Mutex::new(0));
    let r2 = requests.clone();
    let s = start(move |_q, mut r| {
        *r2.lock().unwrap() += 1;
        r.end(&[]).unwrap();
    });
    s.server.on_check_continue(|mut q, mut r| {
        r.write_continue().unwrap();
        let body = q.text().unwrap();
        r.end(format!("checked {body}").as_bytes()).unwrap();
    });
    let mut c = s.connect();
    c.send(b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
    assert_eq!(c.response().status, 100);
    c.send(b"xy");
    let r = c.response();
    assert_eq!(r.text(), "checked xy");
    assert_eq!(r.header("connection"), Some("keep-alive"));
    assert_eq!(*requests.lock().unwrap(), 0, "request listener not called");
}

#[test]
fn final_response_without_100_continue_closes_the_connection() {
    let s = start(|_q, mut r| r.end(&[]).unwrap());
    s.server.on_check_continue(|_q, mut r| {
        r.set_status_code(413);
        r.end(b"too big").unwrap();
    });
    let mut c = s.connect();
    c.send(b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 9999\r\n\r\n");
    let r = c.response();
    assert_eq!(r.status, 413);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(c.closes_within(PATIENCE));
}

#[test]
fn other_expectation_gets_417_by_default() {
    let s = start(|_q, mut r| r.end(b"should not run").unwrap());
    let mut c = s.connect();
    c.send(b"GET / HTTP/1.1\r\nHost: t\r\nExpect: foo\r\n\r\n");
    assert_eq!(
        c.response().wire(),
        "HTTP/1.1 417 Expectation Failed\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    );
    c.send(&get("/"));
    assert_eq!(
        c.response().text(),
        "should not run",
        "connection kept alive"
    );
}

#[test]
fn check_expectation_listener_decides() {
    let s = start(|_q, mut r| r.end(b"should not run").unwrap());
    s.server.on_check_expectation(|q, mut r| {
        let e = q.headers().get_str("expect").unwrap().to_string();
        r.end(format!("expected {e}").as_bytes()).unwrap();
    });
    let mut c = s.connect();
    c.send(b"GET / HTTP/1.1\r\nHost: t\r\nExpect: foo\r\n\r\n");
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "expected foo"));
}

#[test]
fn http_1_0_ignores_expect() {
    let s = echo_body();
    let got = s.exchange(
        b"POST / HTTP/1.0\r\nExpect: foo\r\nContent-Length: 2\r\n\r\nab",
        2000,
    );
    assert_eq!(
        redact_date(&got),
        "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\n\r\ngot ab"
    );
}

#[test]
fn http_1_0_does_not_send_100_continue() {
    let s = echo_body();
    let got = s.exchange(
        b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nab",
        2000,
    );
    assert!(
        show(&got).starts_with("HTTP/1.1 200 OK\r\n"),
        "{}",
        show(&got)
    );
}

const UPGRADE: &[u8] =
    b"GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nEXTRA";

#[test]
fn upgrade_listener_gets_the_socket_and_the_head_bytes() {
    let s = start(|_q, mut r| r.end(b"should not run").unwrap());
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    s.server.on_upgrade(move |q, mut sock, head| {
        tx.lock()
            .unwrap()
            .send((q.url().to_string(), head.clone()))
            .unwrap();
        sock.write_all(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
            .unwrap();
        let mut more = [0u8; 4];
        sock.read_exact(&mut more).unwrap();
        sock.write_all(&more).unwrap();
        sock.destroy();
    });
    let mut c = s.connect();
    c.send(UPGRADE);
    let (url, head) = recv(&rx);
    assert_eq!((url.as_str(), head.as_slice()), ("/chat", &b"EXTRA"[..]));
    c.send(b"ping");
    assert_eq!(
        show(&c.read_to_close(PATIENCE)),
        "HTTP/1.1 101 Switching Protocols\r\n\r\nping"
    );
}

#[test]
fn upgrade_without_a_listener_is_served_as_a_normal_request() {
    let s = start(|q, mut r| {
        assert!(
            !q.upgrade(),
            "req.upgrade is false when nobody takes the upgrade"
        );
        let up = q.headers().get_str("upgrade").unwrap_or("").to_string();
        r.end(up.as_bytes()).unwrap();
    });
    let mut c = s.connect();
    c.send(&UPGRADE[..UPGRADE.len() - 5]);
    let r = c.response();
    assert_eq!((r.status, r.text().as_str()), (200, "websocket"));
    assert_eq!(r.header("connection"), Some("keep-alive"));
    c.send(&get("/next"));
    assert_eq!(c.response().status, 200);
}

#[test]
fn connect_without_a_listener_closes_with_zero_bytes() {
    let s = start(|_q, mut r| r.end(b"should not run").unwrap());
    let mut c = s.connect();
    c.send(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    assert_eq!(c.read_to_close(PATIENCE), b"");
}

#[test]
fn connect_listener_gets_the_authority_and_head_bytes() {
    let s = start(|_q, mut r| r.end(b"should not run").unwrap());
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    s.server.on_connect(move |q, mut sock, head| {
        tx.lock()
            .unwrap()
            .send((q.method().unwrap().to_string(), q.url().to_string(), head))
            .unwrap();
        sock.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .unwrap();
        sock.end();
    });
    let mut c = s.connect();
    c.send(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n\x16\x03\x01");
    let (m, u, head) = recv(&rx);
    assert_eq!((m.as_str(), u.as_str()), ("CONNECT", "example.com:443"));
    assert_eq!(head, b"\x16\x03\x01");
    let got = c.read_to_close(PATIENCE);
    assert_eq!(show(&got), "HTTP/1.1 200 Connection Established\r\n\r\n");
    let _ = Duration::ZERO;
}

/// Node 20 serves the request and then treats what follows its body as the other
/// protocol: a request pipelined behind it gets no answer (probed).
#[test]
fn upgrade_with_a_body_and_no_listener_is_served() {
    let s = echo_body();
    let mut c = s.connect();
    c.send(b"POST / HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: x\r\nContent-Length: 2\r\n\r\nab");
    assert_eq!(c.response().text(), "got ab");
}

/// Node 20 answers the first request and ignores the second (probed).
#[test]
fn upgrade_with_a_body_and_no_listener_still_answers_when_bytes_follow() {
    let s = echo_body();
    let mut c = s.connect();
    c.send(b"POST / HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: x\r\nContent-Length: 2\r\n\r\nab");
    c.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\ncd");
    assert_eq!(c.response().text(), "got ab");
}
