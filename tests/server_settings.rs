//! Settings at their extremes (issue 9 §5): zero means what Node's zero means, and huge
//! values saturate instead of overflowing (the server and parser never panic on them).
mod common;

use common::server::*;
use stdhttp::parser::{parse_all, Kind, Limits};

fn head_of_size(n: usize) -> Vec<u8> {
    format!(
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(n)
    )
    .into_bytes()
}

#[test]
fn max_header_size_zero_means_nodes_default_on_the_server() {
    let s = start_with(
        |s| {
            s.set_max_header_size(0);
        },
        |_q, mut r| r.end(b"ok").unwrap(),
    );
    let mut c = s.connect();
    c.send(&head_of_size(1000));
    assert_eq!(c.response().text(), "ok");
    let got = s.exchange(&head_of_size(17 * 1024), 300);
    assert!(show(&got).starts_with("HTTP/1.1 431 "), "{}", show(&got));
}

#[test]
fn max_header_size_zero_means_the_default_in_the_parser() {
    let limits = Limits::default().max_header_size(0);
    let p = parse_all(Kind::Request, limits, &head_of_size(17 * 1024), false);
    assert_eq!(
        p.error.map(|e| e.code().as_str()),
        Some("HPE_HEADER_OVERFLOW")
    );
}

#[test]
fn huge_timeouts_saturate_and_the_connection_is_served() {
    let s = start_with(
        |s| {
            s.set_headers_timeout(u64::MAX)
                .set_request_timeout(u64::MAX)
                .set_keep_alive_timeout(u64::MAX);
        },
        |mut q, mut r| {
            let _ = q.text();
            r.end(b"ok").unwrap();
        },
    );
    let mut c = s.connect();
    for _ in 0..2 {
        c.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx");
        assert_eq!(c.response().text(), "ok");
    }
}

#[test]
fn the_largest_chunk_extension_bound_does_not_overflow() {
    let limits = Limits::default().max_chunk_extensions(usize::MAX);
    let input =
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;a=b\r\nx\r\n0\r\n\r\n";
    let p = parse_all(Kind::Request, limits, input, false);
    assert!(p.error.is_none(), "{:?}", p.error);
    assert_eq!(p.messages[0].body, b"x");
}

#[test]
fn settings_read_at_listen_refuse_a_change_while_listening() {
    let server = stdhttp::Server::new();
    server.set_max_threads(8).unwrap();
    server.listen("127.0.0.1:0").unwrap();
    let model = server.wait_model();
    let errors = [
        server.set_max_threads(2).map(|_| ()),
        server.set_min_threads(2).map(|_| ()),
        server.set_max_queue(2).map(|_| ()),
        server.set_thread_stack_size(1 << 20).map(|_| ()),
        server
            .set_wait_model(stdhttp::WaitModel::ThreadPerConnection)
            .map(|_| ()),
        server.set_reuse_port(true).map(|_| ()),
    ];
    for e in errors {
        assert_eq!(
            e.unwrap_err().kind(),
            stdhttp::ErrorKind::ServerAlreadyListen
        );
    }
    // nothing changed
    assert_eq!(server.max_threads(), 8);
    assert_eq!(server.wait_model(), model);
    assert!(!server.reuse_port());
    // closed, they apply again (to the next listen)
    server.close().unwrap();
    server.join();
    server.set_max_threads(2).unwrap();
    assert_eq!(server.max_threads(), 2);
}
