//! Client errors (NODE-SEMANTICS §3.5, §3.7, §6): Node's exact default answers, and the
//! `client_error` listener that replaces them.
mod common;

use std::sync::mpsc;
use std::sync::Mutex;

use common::server::*;

const BAD_REQUEST: &str = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n";

/// A server whose handler reads the body, answering `ok` when that worked.
fn reading() -> TestServer {
    start(|mut q, mut r| {
        if q.text().is_ok() {
            r.end(b"ok").unwrap();
        }
    })
}

fn answer(s: &TestServer, request: &[u8]) -> String {
    let mut c = s.connect();
    c.send(request);
    show(&c.read_to_close(PATIENCE))
}

#[test]
fn garbage_gets_400_and_close() {
    assert_eq!(answer(&reading(), b"HELLO\r\n\r\n"), BAD_REQUEST);
}

#[test]
fn lower_case_method_gets_400() {
    assert_eq!(
        answer(&reading(), b"get / HTTP/1.1\r\nHost: t\r\n\r\n"),
        BAD_REQUEST
    );
}

#[test]
fn content_length_with_transfer_encoding_gets_400() {
    let req = b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert_eq!(answer(&reading(), req), BAD_REQUEST);
}

#[test]
fn obs_fold_gets_400() {
    let req = b"GET / HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n  folded\r\n\r\n";
    assert_eq!(answer(&reading(), req), BAD_REQUEST);
}

/// A GET whose url + header names + values add up to `total` bytes.
fn sized_request(total: usize) -> Vec<u8> {
    let url = format!("/{}", "a".repeat(total - "Host".len() - "t".len() - 1));
    format!("GET {url} HTTP/1.1\r\nHost: t\r\n\r\n").into_bytes()
}

#[test]
fn head_of_16383_bytes_is_accepted() {
    let s = reading();
    let mut c = s.connect();
    c.send(&sized_request(16383));
    assert_eq!(c.response().status, 200);
}

#[test]
fn head_of_16384_bytes_gets_431() {
    assert_eq!(
        answer(&reading(), &sized_request(16384)),
        "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn max_header_size_setting_moves_the_limit() {
    let s = start_with(
        |s| {
            s.set_max_header_size(1024);
        },
        |_q, mut r| r.end(&[]).unwrap(),
    );
    let mut c = s.connect();
    c.send(&sized_request(1023));
    assert_eq!(c.response().status, 200);
    assert!(answer(&s, &sized_request(1024)).starts_with("HTTP/1.1 431 "));
}

#[test]
fn chunk_extensions_over_16_kib_get_413() {
    let mut req = b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1;a=".to_vec();
    req.extend_from_slice(&[b'x'; 17000]);
    req.extend_from_slice(b"\r\nx\r\n0\r\n\r\n");
    assert_eq!(
        answer(&reading(), &req),
        "HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn eof_in_the_middle_of_the_head_gets_400() {
    let s = reading();
    let mut c = s.connect();
    c.send(b"GET / HTTP/1.1\r\nHost: t\r\nX-Partial: ");
    c.shutdown_write();
    assert_eq!(show(&c.read_to_close(PATIENCE)), BAD_REQUEST);
}

#[test]
fn eof_in_the_middle_of_the_body_gets_400() {
    let s = reading();
    let mut c = s.connect();
    c.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc");
    c.shutdown_write();
    assert_eq!(show(&c.read_to_close(PATIENCE)), BAD_REQUEST);
}

#[test]
fn bad_chunk_size_after_the_request_fired_gets_400() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let s = start(move |mut q, mut r| {
        tx.lock().unwrap().send(q.url().to_string()).unwrap();
        let err = q.text().unwrap_err();
        assert_eq!(err.code(), "HPE_INVALID_CHUNK_SIZE");
        assert!(r.end(b"too late").is_err(), "the socket is gone");
    });
    let got = answer(
        &s,
        b"POST /fired HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    );
    assert_eq!(recv(&rx), "/fired", "the request listener ran first");
    assert_eq!(got, BAD_REQUEST);
}

#[test]
fn body_error_after_the_response_started_just_closes() {
    let s = start(|mut q, mut r| {
        r.write(b"started").unwrap();
        r.flush_headers().unwrap();
        let _ = q.text();
        let _ = r.end(&[]);
    });
    let got = answer(
        &s,
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    );
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
    assert!(!got.contains("400"), "{got}");
}

#[test]
fn client_error_listener_replaces_the_default_answer() {
    let s = reading();
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    s.server.on_client_error(move |err, sock| {
        tx.lock().unwrap().send(err.code().to_string()).unwrap();
        sock.destroy();
    });
    assert_eq!(
        answer(&s, b"GET / HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n"),
        ""
    );
    assert_eq!(recv(&rx), "HPE_INVALID_HEADER_TOKEN");
}

#[test]
fn client_error_listener_can_write_its_own_answer() {
    let s = reading();
    s.server.on_client_error(|err, mut sock| {
        use std::io::Write;
        let body = err.code();
        let _ = write!(
            sock,
            "HTTP/1.1 400 Bad Request\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        sock.destroy();
    });
    let got = answer(&s, b"HELLO\r\n\r\n");
    assert!(got.ends_with("\r\n\r\nHPE_INVALID_METHOD"), "{got}");
}

#[test]
fn bad_second_request_on_a_kept_alive_connection_gets_400() {
    let s = reading();
    let mut c = s.connect();
    c.send(&get("/1"));
    assert_eq!(c.response().text(), "ok");
    c.send(b"GET / HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n");
    assert_eq!(show(&c.read_to_close(PATIENCE)), BAD_REQUEST);
}
