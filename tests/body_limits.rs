//! Bounded bodies and outgoing length checks (issue 9 §4): `max_body_size`, the limited
//! readers, and a user `Content-Length` the body does not match.
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use common::client::RawServer;
use common::server::*;
use stdhttp::{Agent, AgentChoice, AgentOptions, RequestOptions};

fn post(len_header: &str, body: &[u8]) -> Vec<u8> {
    let mut v = format!("POST / HTTP/1.1\r\nHost: x\r\n{len_header}\r\n\r\n").into_bytes();
    v.extend_from_slice(body);
    v
}

#[test]
fn a_content_length_over_max_body_size_is_answered_413_without_the_handler() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let s = start_with(
        |s| {
            s.set_max_body_size(10);
        },
        move |_req, mut res| {
            c.fetch_add(1, Ordering::SeqCst);
            res.end(b"ok").unwrap();
        },
    );
    let mut conn = s.connect();
    conn.send(&post("Content-Length: 11", b"hello world"));
    let got = conn.read_to_close(PATIENCE);
    assert_eq!(
        show(&got),
        "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    // at the bound it is served
    let mut conn = s.connect();
    conn.send(&post("Content-Length: 10", b"0123456789"));
    assert_eq!(conn.response().text(), "ok");
}

#[test]
fn a_chunked_body_past_max_body_size_fails_its_read_and_gets_413() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let s = start_with(
        |s| {
            s.set_max_body_size(8);
        },
        move |mut req, _res| {
            let got = req.text().map_err(|e| e.code().to_string());
            tx.lock().unwrap().send(got).unwrap();
        },
    );
    let mut conn = s.connect();
    conn.send(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n");
    assert_eq!(recv(&rx), Err("ERR_HTTP_BODY_TOO_LARGE".to_string()));
    let got = conn.read_to_close(PATIENCE);
    assert_eq!(
        show(&got),
        "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn text_limited_stops_past_the_bound_and_reads_up_to_it() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let s = start(move |mut req, mut res| {
        let got = req.text_limited(5).map_err(|e| e.code().to_string());
        tx.lock().unwrap().send(got).unwrap();
        res.end(b"done").unwrap();
    });
    let mut conn = s.connect();
    conn.send(&post("Content-Length: 5", b"hello"));
    assert_eq!(recv(&rx), Ok("hello".to_string()));
    assert_eq!(conn.response().text(), "done");
    conn.send(&post("Content-Length: 6", b"hello!"));
    assert_eq!(recv(&rx), Err("ERR_HTTP_BODY_TOO_LARGE".to_string()));
    assert_eq!(conn.response().text(), "done");
}

#[test]
fn a_client_response_read_with_a_limit() {
    let origin = RawServer::answering(b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nhello!");
    let mut res = stdhttp::get(origin.url("/")).unwrap();
    let e = res.read_to_end_limited(5).unwrap_err();
    assert_eq!(e.code(), "ERR_HTTP_BODY_TOO_LARGE");
    let mut res = stdhttp::get(origin.url("/")).unwrap();
    assert_eq!(res.read_to_end_limited(6).unwrap(), b"hello!");
}

#[test]
fn a_response_write_past_its_content_length_is_refused_and_nothing_spills() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let s = start(move |_req, mut res| {
        res.set_header("Content-Length", "2").unwrap();
        let e = res.write(b"abc").unwrap_err();
        tx.lock().unwrap().send(e.code().to_string()).unwrap();
        res.end(b"ab").unwrap();
    });
    let mut conn = s.connect();
    conn.send(&get("/"));
    assert_eq!(recv(&rx), "ERR_HTTP_CONTENT_LENGTH_MISMATCH");
    let r = conn.response();
    assert_eq!(r.text(), "ab");
    // the connection is still good: the next response is not preceded by stray bytes
    conn.send(&get("/"));
    assert_eq!(conn.response().text(), "ab");
}

#[test]
fn a_response_that_ends_short_of_its_content_length_closes_the_connection() {
    let s = start(move |_req, mut res| {
        res.set_header("Content-Length", "5").unwrap();
        res.end(b"ab").unwrap();
    });
    let mut conn = s.connect();
    conn.send(&get("/"));
    let got = conn.read_to_close(PATIENCE);
    assert!(show(&got).ends_with("\r\n\r\nab"), "{}", show(&got));
}

#[test]
fn an_empty_content_length_list_is_not_a_length() {
    let s = start(move |_req, mut res| {
        res.set_header("Content-Length", Vec::<String>::new())
            .unwrap();
        res.end(b"abc").unwrap();
    });
    let mut conn = s.connect();
    conn.send(&get("/"));
    let r = conn.response();
    // no length line was written, so stdhttp framed the body itself
    assert_eq!(r.header("content-length"), Some("3"));
    assert_eq!(r.text(), "abc");
}

#[test]
fn a_request_write_past_its_content_length_is_refused_and_a_short_one_is_not_pooled() {
    let origin = RawServer::start(|c| {
        // answers at the head, whatever body follows
        while c.read_head().is_some() {
            c.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    });
    let agent = Agent::new(AgentOptions::new().keep_alive(true).max_sockets(1));
    let opts = || {
        RequestOptions::new()
            .hostname("127.0.0.1")
            .port(origin.port())
            .method("POST")
            .header("Content-Length", "2")
            .agent(AgentChoice::Agent(agent.clone()))
    };
    let mut req = stdhttp::request(opts()).unwrap();
    assert_eq!(
        req.write(b"abc").unwrap_err().code(),
        "ERR_HTTP_CONTENT_LENGTH_MISMATCH"
    );
    drop(req);
    // a body of the right length: pooled
    let mut res = stdhttp::request(opts()).unwrap().end(b"ab").unwrap();
    assert_eq!(res.text().unwrap(), "ok");
    assert_eq!(agent.free_sockets().values().sum::<usize>(), 1);
    // ends one byte short: the server still waits for a byte, so the socket is not reused
    let mut req = stdhttp::request(opts()).unwrap();
    req.write(b"a").unwrap();
    let mut res = req.end(b"").unwrap();
    assert_eq!(res.text().unwrap(), "ok");
    assert_eq!(agent.free_sockets().values().sum::<usize>(), 0);
}
