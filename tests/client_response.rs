//! How the client frames and checks responses (NODE-SEMANTICS §4.6): Content-Length,
//! chunked with trailers, close-delimited, HEAD, 204/304, and the strict parser's errors.

mod common;

use std::io::Read;

use common::client::RawServer;
use stdhttp::{request, Agent, AgentChoice, AgentOptions, IncomingMessage, RequestOptions};

fn opts(port: u16) -> RequestOptions {
    RequestOptions::new()
        .host("127.0.0.1")
        .port(port)
        .agent(AgentChoice::Unpooled)
}

/// One response to one request with `method`, the server answering `bytes` then closing.
fn answer(method: &str, bytes: &'static [u8]) -> Result<IncomingMessage, stdhttp::Error> {
    let server = RawServer::start(move |c| {
        let _ = c.read_head();
        c.write(bytes);
    });
    request(opts(server.port()).method(method))?.end(b"")
}

fn body(method: &str, bytes: &'static [u8]) -> (IncomingMessage, String) {
    let mut res = answer(method, bytes).unwrap();
    let text = res.text().unwrap();
    (res, text)
}

#[test]
fn content_length_body() {
    let (res, text) = body(
        "GET",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r\nhelloEXTRA",
    );
    assert_eq!(text, "hello");
    assert!(res.complete());
    assert_eq!(res.status_message(), "OK");
    assert_eq!(res.http_version(), "1.1");
    assert_eq!(res.headers().get_str("x-a"), Some("1, 2"));
    let raw: Vec<_> = res
        .raw_headers()
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(raw, ["Content-Length", "X-A", "x-a"]);
}

#[test]
fn chunked_body_with_trailers_after_the_body() {
    let mut res = answer(
        "GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Sum: 42\r\nx-sum: 43\r\n\r\n",
    )
    .unwrap();
    assert!(res.trailers().is_empty());
    assert!(res.raw_trailers().is_empty());
    let mut got = String::new();
    res.read_to_string(&mut got).unwrap();
    assert_eq!(got, "hello world");
    assert_eq!(res.trailers().get_str("x-sum"), Some("42, 43"));
    let raw: Vec<_> = res
        .raw_trailers()
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect();
    assert_eq!(raw, ["X-Sum=42", "x-sum=43"]);
    assert!(res.complete());
}

#[test]
fn http10_without_length_reads_until_close() {
    let (res, text) = body("GET", b"HTTP/1.0 200 OK\r\n\r\nall of it");
    assert_eq!(text, "all of it");
    assert_eq!(res.http_version(), "1.0");
    assert!(res.complete());
}

#[test]
fn http11_without_length_reads_until_close() {
    let (_, text) = body("GET", b"HTTP/1.1 200 OK\r\n\r\nuntil close");
    assert_eq!(text, "until close");
}

#[test]
fn transfer_encoding_without_chunked_reads_until_close() {
    let (_, text) = body(
        "GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw bytes",
    );
    assert_eq!(text, "raw bytes");
}

#[test]
fn head_response_has_no_body_whatever_its_length() {
    let (res, text) = body("HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    assert_eq!(text, "");
    assert!(res.complete());
    assert_eq!(res.headers().get_str("content-length"), Some("100"));
}

#[test]
fn no_content_and_not_modified_have_no_body() {
    for status in ["204 No Content", "304 Not Modified"] {
        let bytes: &'static [u8] = Box::leak(
            format!("HTTP/1.1 {status}\r\nContent-Length: 7\r\n\r\n")
                .into_bytes()
                .into_boxed_slice(),
        );
        let (res, text) = body("GET", bytes);
        assert_eq!(text, "", "{status}");
        assert!(res.complete());
    }
}

#[test]
fn head_response_on_a_keep_alive_socket_leaves_it_reusable() {
    let server = RawServer::start(|c| {
        let _ = c.read_head();
        c.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        let _ = c.read_head();
        c.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        let _ = c.wait_eof();
    });
    let agent = Agent::new(AgentOptions::new().keep_alive(true));
    let o = || opts(server.port()).agent(AgentChoice::Agent(agent.clone()));
    let mut res = request(o().method("HEAD")).unwrap().end(b"").unwrap();
    assert_eq!(res.text().unwrap(), "");
    drop(res);
    let mut res = request(o()).unwrap().end(b"").unwrap();
    assert_eq!(res.text().unwrap(), "ok");
    assert_eq!(server.connections(), 1);
    agent.destroy();
}

#[test]
fn status_codes_099_and_600_pass_missing_reason_is_empty() {
    // Node 20 takes any three digits ("099" is 99) and refuses two ("99"), whatever
    // NODE-SEMANTICS §4.6 says: checked with Node 20.20
    let e = answer("GET", b"HTTP/1.1 99 X\r\nContent-Length: 0\r\n\r\n").unwrap_err();
    assert_eq!(e.code(), "HPE_INVALID_STATUS");
    for (bytes, code) in [
        (&b"HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n"[..], 99),
        (&b"HTTP/1.1 600 X\r\nContent-Length: 0\r\n\r\n"[..], 600),
    ] {
        let bytes: &'static [u8] = Box::leak(bytes.to_vec().into_boxed_slice());
        assert_eq!(answer("GET", bytes).unwrap().status_code(), code);
    }
    let res = answer("GET", b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").unwrap();
    assert_eq!(res.status_message(), "");
}

#[test]
fn strict_parser_errors() {
    let cases: [(&'static [u8], &str); 5] = [
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HPE_INVALID_TRANSFER_ENCODING",
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            "HPE_UNEXPECTED_CONTENT_LENGTH",
        ),
        (
            b"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\nContent-Length: 0\r\n\r\n",
            "HPE_INVALID_HEADER_TOKEN",
        ),
        (
            b"HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 0\r\n\r\n",
            "HPE_CR_EXPECTED",
        ),
        (b"HTTP/1.1 1000 OK\r\n\r\n", "HPE_INVALID_STATUS"),
    ];
    for (bytes, code) in cases {
        let e = answer("GET", bytes).unwrap_err();
        assert_eq!(e.code(), code, "{:?}", String::from_utf8_lossy(bytes));
    }
}

#[test]
fn a_chunked_body_error_fails_the_read() {
    let mut res = answer(
        "GET",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n",
    )
    .unwrap();
    let e = res.text().unwrap_err();
    assert_eq!(e.code(), "HPE_INVALID_CHUNK_SIZE");
    assert_eq!(
        res.error().map(|e| e.code()),
        Some("HPE_INVALID_CHUNK_SIZE")
    );
}

#[test]
fn large_body_streams_through() {
    let server = RawServer::start(|c| {
        let _ = c.read_head();
        let n = 1 << 20;
        c.write(format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\n\r\n").as_bytes());
        c.write(&vec![b'z'; n]);
    });
    let mut res = request(opts(server.port())).unwrap().end(b"").unwrap();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let s2 = seen.clone();
    res.on_data(move |d| {
        s2.fetch_add(d.len(), std::sync::atomic::Ordering::Relaxed);
    });
    let mut all = Vec::new();
    res.read_to_end(&mut all).unwrap();
    assert_eq!(all.len(), 1 << 20);
    assert!(all.iter().all(|&b| b == b'z'));
    assert_eq!(seen.load(std::sync::atomic::Ordering::Relaxed), 1 << 20);
}

#[test]
fn set_encoding_latin1() {
    let mut res = answer(
        "GET",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n\xe9\xff",
    )
    .unwrap();
    res.set_encoding("latin1");
    assert_eq!(res.text().unwrap(), "\u{e9}\u{ff}");
}
