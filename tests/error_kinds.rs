//! Errors a program can match on: `Error::kind()` for what each layer reports, beside
//! Node's code string.
mod common;

use std::io::Write;
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::Duration;

use stdhttp::parser::ErrorCode;
use stdhttp::{ErrorKind, RequestOptions};

#[test]
fn a_refused_connect_is_connection_refused() {
    // a port nothing listens on: bind one, note it, close it
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let opts = RequestOptions::new().host("127.0.0.1").port(port);
    let err = stdhttp::request(opts).and_then(|r| r.end(b"")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    assert_eq!(err.code(), "ECONNREFUSED");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the io::Error is the source"
    );
}

#[test]
fn a_header_after_the_head_is_headers_sent_and_a_bad_name_an_http_token_error() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let s = common::server::start(move |_req, mut res| {
        let bad = res.set_header("Bad Name", "x").unwrap_err().kind();
        res.write(b"x").unwrap();
        let late = res.set_header("X-Late", "1").unwrap_err().kind();
        let _ = tx.lock().unwrap().send((bad, late));
        res.end(b"").unwrap();
    });
    let _ = s.exchange(
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        200,
    );
    let (bad, late) = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(bad, ErrorKind::InvalidHttpToken);
    assert_eq!(late, ErrorKind::HeadersSent);
}

#[test]
fn the_client_error_listener_gets_the_parser_kind() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let s = common::server::start(|_req, mut res| res.end(b"").unwrap());
    s.server.on_client_error(move |err, socket| {
        let _ = tx.lock().unwrap().send(err.kind());
        socket.destroy();
    });
    let mut c = std::net::TcpStream::connect(s.addr).unwrap();
    c.write_all(b"BLAH / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let kind = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert_eq!(kind, ErrorKind::Hpe(ErrorCode::InvalidMethod));
}
