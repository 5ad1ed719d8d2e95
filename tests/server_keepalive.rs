//! Keep-alive and pipelining (NODE-SEMANTICS §3.2, §2.5): responses in request order, the
//! request's `Connection: close`, unread bodies drained, and `max_requests_per_socket`.
mod common;

use std::time::Duration;

use common::server::*;

fn echo_url() -> TestServer {
    start(|q, mut r| {
        let url = q.url().to_string();
        r.end(url.as_bytes()).unwrap();
    })
}

#[test]
fn two_pipelined_requests_are_answered_in_order() {
    let s = echo_url();
    let mut c = s.connect();
    c.send(&[get("/1"), get("/2")].concat());
    assert_eq!(c.response().text(), "/1");
    assert_eq!(c.response().text(), "/2");
}

#[test]
fn three_pipelined_requests_are_answered_in_order_even_when_the_first_is_slow() {
    let s = start(|q, mut r| {
        if q.url() == "/1" {
            std::thread::sleep(Duration::from_millis(100));
        }
        let url = q.url().to_string();
        r.end(url.as_bytes()).unwrap();
    });
    let mut c = s.connect();
    c.send(&[get("/1"), get("/2"), get("/3")].concat());
    for want in ["/1", "/2", "/3"] {
        let r = c.response();
        assert_eq!(r.text(), want);
        assert_eq!(r.header("connection"), Some("keep-alive"));
    }
}

#[test]
fn sequential_requests_reuse_the_connection() {
    let s = echo_url();
    let mut c = s.connect();
    for i in 0..5 {
        c.send(&get(&format!("/{i}")));
        assert_eq!(c.response().text(), format!("/{i}"));
    }
    assert!(!c.closed);
}

#[test]
fn request_connection_close_closes_after_the_response_and_ignores_what_follows() {
    let s = echo_url();
    let mut c = s.connect();
    c.send(b"GET /1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    c.send(&get("/2"));
    let got = c.read_to_close(PATIENCE);
    let rs = split_responses(&got);
    assert_eq!(rs.len(), 1, "{}", show(&got));
    assert_eq!(rs[0].text(), "/1");
    assert_eq!(rs[0].header("connection"), Some("close"));
}

#[test]
fn unread_body_is_drained_so_the_next_pipelined_request_is_served() {
    let s = echo_url();
    let mut c = s.connect();
    c.send(b"POST /1 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
    c.send(&get("/2"));
    assert_eq!(c.response().text(), "/1");
    assert_eq!(c.response().text(), "/2");
}

#[test]
fn unread_chunked_body_is_drained_too() {
    let s = echo_url();
    let mut c = s.connect();
    c.send(
        b"POST /1 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    );
    c.send(&get("/2"));
    assert_eq!(c.response().text(), "/1");
    assert_eq!(c.response().text(), "/2");
}

#[test]
fn unread_body_over_the_drain_limit_closes_the_connection() {
    let s = start_with(
        |s| {
            s.set_drain_limit(16);
        },
        |_q, mut r| r.end(b"early").unwrap(),
    );
    let mut c = s.connect();
    c.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
    c.send(&[b'x'; 100_000]);
    c.send(&get("/2"));
    assert_eq!(c.response().text(), "early");
    assert!(c.closes_within(PATIENCE), "closed after the response");
    assert!(c.buf.is_empty(), "no answer to /2: {}", show(&c.buf));
}

#[test]
fn max_requests_per_socket_says_close_on_the_last_allowed_response() {
    let s = start_with(
        |s| {
            s.set_max_requests_per_socket(2);
        },
        |_q, mut r| r.end(b"ok").unwrap(),
    );
    let mut c = s.connect();
    c.send(&get("/1"));
    let first = c.response();
    assert_eq!(first.header("connection"), Some("keep-alive"));
    assert_eq!(first.header("keep-alive"), Some("timeout=5, max=2"));
    c.send(&get("/2"));
    let last = c.response();
    assert_eq!(
        last.wire(),
        "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    );
}

/// Node 20 answers pipelined requests beyond the limit with a 503 (probed: limit 2, three
/// pipelined GETs → 200, 200 with `Connection: close`, then this 503).
#[test]
fn max_requests_per_socket_answers_pipelined_extras_with_503() {
    let s = start_with(
        |s| {
            s.set_max_requests_per_socket(2);
            s.set_keep_alive_timeout(300);
        },
        |_q, mut r| r.end(b"ok").unwrap(),
    );
    let mut c = s.connect();
    c.send(&[get("/1"), get("/2"), get("/3")].concat());
    let got = c.read_to_close(PATIENCE);
    let wire = redact_date(&got);
    assert_eq!(
        wire,
        "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: keep-alive\r\nKeep-Alive: timeout=0, max=2\r\nContent-Length: 2\r\n\r\nok\
HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok\
HTTP/1.1 503 Service Unavailable\r\nDate: <date>\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    );
}
