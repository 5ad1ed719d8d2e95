//! The ServerResponse accessors (NODE-SEMANTICS §2.1, §2.7), checked inside a handler.
mod common;

use common::server::*;
use stdhttp::HeaderValue;

#[test]
fn header_getters_are_case_insensitive_and_names_lower_case_in_order() {
    let (got, _) = in_handler(|r| {
        r.set_header("X-B", "2").unwrap();
        r.set_header("x-a", "1").unwrap();
        r.set_header("Set-Cookie", vec!["a=1", "b=2"]).unwrap();
        (
            r.get_header("X-b")
                .and_then(HeaderValue::as_str)
                .map(String::from),
            r.has_header("X-A"),
            r.has_header("nope"),
            r.get_header_names(),
            r.get_headers().len(),
            r.get_header("set-cookie").map(|v| v.values().to_vec()),
        )
    });
    assert_eq!(got.0.as_deref(), Some("2"));
    assert!(got.1 && !got.2);
    assert_eq!(got.3, ["x-b", "x-a", "set-cookie"]);
    assert_eq!(got.4, 3);
    assert_eq!(got.5, Some(vec!["a=1".to_string(), "b=2".to_string()]));
}

#[test]
fn removed_header_is_gone() {
    let (got, r) = in_handler(|r| {
        r.set_header("X-Gone", "1").unwrap();
        r.remove_header("x-gone").unwrap();
        r.has_header("X-Gone")
    });
    assert!(!got);
    assert!(r.header("x-gone").is_none());
}

#[test]
fn status_code_and_message_defaults_and_setters() {
    let (got, r) = in_handler(|r| {
        let before = (r.status_code(), r.status_message().to_string());
        r.set_status_code(404);
        let default_404 = r.status_message().to_string();
        r.set_status_message("Nowhere");
        before.0.to_string() + " " + &before.1 + "|" + &default_404
    });
    assert_eq!(got, "200 OK|Not Found");
    assert!(show(&r.raw).starts_with("HTTP/1.1 404 Nowhere\r\n"));
}

#[test]
fn numeric_header_values_render_as_text() {
    let (_, r) = in_handler(|r| {
        r.set_header("X-Num", 42u32).unwrap();
    });
    assert_eq!(r.header("x-num"), Some("42"));
}

#[test]
fn latin1_header_values_go_out_one_byte_per_char() {
    let (_, r) = in_handler(|r| {
        r.set_header("X-Name", "café").unwrap();
    });
    assert!(r.raw.windows(12).any(|w| w == b"X-Name: caf\xe9"));
}

#[test]
fn write_continue_sends_exactly_100_continue() {
    let s = start(|mut q, mut r| {
        r.write_continue().unwrap();
        let _ = q.text();
        r.end(b"ok").unwrap();
    });
    let mut c = s.connect();
    c.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx");
    assert_eq!(show(&c.response().raw), "HTTP/1.1 100 Continue\r\n\r\n");
    assert_eq!(c.response().text(), "ok");
}

#[test]
fn io_write_streams_a_chunked_body() {
    let (_, r) = in_handler(|r| {
        use std::io::Write;
        let n = 1;
        write!(r, "a-{n}").unwrap();
    });
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.text(), "a-1");
}
