//! How a response is framed on the wire (NODE-SEMANTICS §2.3–2.7): Content-Length vs
//! chunked vs close-delimited, bodiless responses, header rendering, Connection and
//! Keep-Alive, status lines, and the errors the response API returns. These check what the
//! server decides, so they run over in-memory `Socket::pair` connections, not TCP.
mod common;

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::server::*;

const KA: &str = "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n";

/// The response to `GET /` from a server running `handler`.
fn respond(
    handler: impl Fn(stdhttp::IncomingMessage, stdhttp::ServerResponse) + Send + Sync + 'static,
) -> Response {
    let s = start_paired(handler);
    let mut c = s.connect();
    c.send(&get("/"));
    c.response()
}

#[test]
fn end_with_data_alone_sends_content_length() {
    let r = respond(|_q, mut r| r.end(b"hello").unwrap());
    assert_eq!(
        r.wire(),
        format!("HTTP/1.1 200 OK\r\nDate: <date>\r\n{KA}Content-Length: 5\r\n\r\nhello")
    );
}

#[test]
fn write_head_then_end_is_chunked() {
    let r = respond(|_q, mut r| {
        r.write_head_status(200, None).unwrap();
        r.end(b"ok").unwrap();
    });
    assert_eq!(
        r.wire(),
        format!(
            "HTTP/1.1 200 OK\r\nDate: <date>\r\n{KA}Transfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
        )
    );
}

#[test]
fn write_then_end_sends_exact_chunks_and_skips_empty_writes() {
    let r = respond(|_q, mut r| {
        assert!(r.write(b"abc").unwrap());
        r.write(b"").unwrap();
        r.end(b"de").unwrap();
    });
    assert_eq!(
        r.wire(),
        format!(
            "HTTP/1.1 200 OK\r\nDate: <date>\r\n{KA}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )
    );
}

#[test]
fn long_chunks_use_lower_case_hex_sizes() {
    let r = respond(|_q, mut r| {
        r.write(&[b'x'; 4095]).unwrap();
        r.write(&[b'y'; 9000]).unwrap();
        r.end(&[]).unwrap();
    });
    let raw = show(&r.raw);
    assert!(raw.contains("\r\n\r\nfff\r\n"), "{raw}");
    assert!(raw.contains("\r\n2328\r\n"), "{raw}");
    assert_eq!(r.body.len(), 4095 + 9000);
}

#[test]
fn head_response_has_no_body_and_no_content_length() {
    let s = start_paired(|_q, mut r| r.end(b"hello").unwrap());
    let mut c = s.connect();
    c.send(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
    let r = c.response_to(true);
    assert_eq!(
        r.wire(),
        format!("HTTP/1.1 200 OK\r\nDate: <date>\r\n{KA}\r\n")
    );
    // nothing of the body follows: the next response starts right away
    c.send(&get("/"));
    assert_eq!(c.response().text(), "hello");
}

#[test]
fn head_response_keeps_a_user_content_length() {
    let s = start_paired(|_q, mut r| {
        r.set_header("Content-Length", "5").unwrap();
        r.end(b"hello").unwrap();
    });
    let mut c = s.connect();
    c.send(b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n");
    let r = c.response_to(true);
    assert_eq!(
        r.wire(),
        format!("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nDate: <date>\r\n{KA}\r\n")
    );
    assert!(
        c.read_for(100).is_empty(),
        "no body bytes after a HEAD response"
    );
}

#[test]
fn status_204_and_304_send_no_body() {
    for (code, reason) in [(204, "No Content"), (304, "Not Modified")] {
        let s = start_paired(move |_q, mut r| {
            r.set_status_code(code);
            assert!(r.write(b"dropped").unwrap());
            r.end(b"x").unwrap();
        });
        let mut c = s.connect();
        c.send(&get("/"));
        let r = c.response();
        assert_eq!(
            r.wire(),
            format!("HTTP/1.1 {code} {reason}\r\nDate: <date>\r\n{KA}\r\n")
        );
        assert!(c.read_for(100).is_empty());
    }
}

#[test]
fn http_1_0_response_is_close_delimited_with_connection_close() {
    let s = start_paired(|_q, mut r| r.end(b"hello").unwrap());
    let got = s.exchange(b"GET / HTTP/1.0\r\n\r\n", 2000);
    assert_eq!(
        redact_date(&got),
        "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\n\r\nhello"
    );
}

#[test]
fn http_1_0_keep_alive_without_user_length_still_closes() {
    let s = start_paired(|_q, mut r| r.end(b"hello").unwrap());
    let mut c = s.connect();
    c.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let got = c.read_to_close(PATIENCE);
    assert_eq!(
        redact_date(&got),
        "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\n\r\nhello"
    );
}

#[test]
fn http_1_0_keep_alive_with_user_content_length_persists() {
    let s = start_paired(|_q, mut r| {
        r.set_header("Content-Length", "2").unwrap();
        r.end(b"ok").unwrap();
    });
    let mut c = s.connect();
    c.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    let r = c.response();
    assert_eq!(
        r.wire(),
        format!("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nDate: <date>\r\n{KA}\r\nok")
    );
    c.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert_eq!(c.response().text(), "ok");
}

#[test]
fn trailers_follow_a_chunked_body() {
    let r = respond(|_q, mut r| {
        r.write(b"a").unwrap();
        r.add_trailers(&[("X-T", "1")]).unwrap();
        // any iterator of pairs: owned strings too
        r.add_trailers(vec![("X-U".to_string(), 2.to_string())])
            .unwrap();
        r.end(&[]).unwrap();
    });
    assert!(
        show(&r.raw).ends_with("1\r\na\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\n"),
        "{}",
        show(&r.raw)
    );
    assert_eq!(
        r.trailers,
        [("X-T".into(), "1".into()), ("X-U".into(), "2".into())]
    );
}

#[test]
fn trailers_are_dropped_with_content_length() {
    let r = respond(|_q, mut r| {
        r.add_trailers(&[("X-T", "1")]).unwrap();
        r.end(b"abc").unwrap();
    });
    assert_eq!(
        r.wire(),
        format!("HTTP/1.1 200 OK\r\nDate: <date>\r\n{KA}Content-Length: 3\r\n\r\nabc")
    );
}

#[test]
fn trailers_are_dropped_on_a_close_delimited_body() {
    let s = start_paired(|_q, mut r| {
        r.write(b"a").unwrap();
        r.add_trailers(&[("X-T", "1")]).unwrap();
        r.end(b"b").unwrap();
    });
    let got = s.exchange(b"GET / HTTP/1.0\r\n\r\n", 2000);
    assert_eq!(
        redact_date(&got),
        "HTTP/1.1 200 OK\r\nDate: <date>\r\nConnection: close\r\n\r\nab"
    );
}

#[test]
fn set_header_list_gives_repeated_lines_and_cookie_joins_with_semicolons() {
    let r = respond(|_q, mut r| {
        r.set_header("Set-Cookie", vec!["a=1", "b=2"]).unwrap();
        r.set_header("Cookie", vec!["c=3", "d=4"]).unwrap();
        r.end(&[]).unwrap();
    });
    assert_eq!(
        r.wire(),
        format!(
            "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nCookie: c=3; d=4\r\nDate: <date>\r\n{KA}Content-Length: 0\r\n\r\n"
        )
    );
}

#[test]
fn header_case_is_kept_and_replacing_keeps_the_slot() {
    let r = respond(|_q, mut r| {
        r.set_header("X-MiXeD", "1").unwrap();
        r.set_header("Zeta", "z1").unwrap();
        r.set_header("Alpha", "a").unwrap();
        r.set_header("zeta", "z2").unwrap();
        r.end(&[]).unwrap();
    });
    assert_eq!(
        r.wire(),
        format!(
            "HTTP/1.1 200 OK\r\nX-MiXeD: 1\r\nzeta: z2\r\nAlpha: a\r\nDate: <date>\r\n{KA}Content-Length: 0\r\n\r\n"
        )
    );
}

#[test]
fn write_head_headers_merge_over_set_header_and_repeat_names() {
    let r = respond(|_q, mut r| {
        r.set_header("X-A", "1").unwrap();
        r.write_head(200, None, [("x-a", "2"), ("X-B", "3"), ("X-B", "4")])
            .unwrap();
        r.end(&[]).unwrap();
    });
    assert_eq!(
        r.wire(),
        format!(
            "HTTP/1.1 200 OK\r\nx-a: 2\r\nX-B: 3\r\nX-B: 4\r\nDate: <date>\r\n{KA}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )
    );
}

#[test]
fn remove_header_date_sends_no_date() {
    let r = respond(|_q, mut r| {
        r.remove_header("Date").unwrap();
        r.end(&[]).unwrap();
    });
    assert_eq!(
        show(&r.raw),
        format!("HTTP/1.1 200 OK\r\n{KA}Content-Length: 0\r\n\r\n")
    );
}

#[test]
fn set_send_date_false_sends_no_date() {
    let r = respond(|_q, mut r| {
        r.set_send_date(false);
        r.end(&[]).unwrap();
    });
    assert_eq!(
        show(&r.raw),
        format!("HTTP/1.1 200 OK\r\n{KA}Content-Length: 0\r\n\r\n")
    );
}

#[test]
fn user_date_replaces_the_automatic_one() {
    let r = respond(|_q, mut r| {
        r.set_header("Date", "Sun, 06 Nov 1994 08:49:37 GMT")
            .unwrap();
        r.end(&[]).unwrap();
    });
    assert_eq!(r.header_all("date"), ["Sun, 06 Nov 1994 08:49:37 GMT"]);
}

#[test]
fn remove_header_connection_sends_no_connection_and_keeps_alive() {
    let s = start_paired(|_q, mut r| {
        r.remove_header("Connection").unwrap();
        r.end(b"x").unwrap();
    });
    let mut c = s.connect();
    c.send(&get("/"));
    let r = c.response();
    assert_eq!(
        r.wire(),
        "HTTP/1.1 200 OK\r\nDate: <date>\r\nContent-Length: 1\r\n\r\nx"
    );
    c.send(&get("/"));
    assert_eq!(c.response().text(), "x");
}

#[test]
fn remove_header_content_length_makes_end_data_chunked() {
    let r = respond(|_q, mut r| {
        r.remove_header("Content-Length").unwrap();
        r.end(b"xy").unwrap();
    });
    assert_eq!(
        r.wire(),
        format!(
            "HTTP/1.1 200 OK\r\nDate: <date>\r\n{KA}Transfer-Encoding: chunked\r\n\r\n2\r\nxy\r\n0\r\n\r\n"
        )
    );
}

#[test]
fn removing_both_length_headers_sends_a_raw_body_and_closes() {
    let s = start_paired(|_q, mut r| {
        r.remove_header("Content-Length").unwrap();
        r.remove_header("Transfer-Encoding").unwrap();
        r.write(b"a").unwrap();
        r.end(b"b").unwrap();
    });
    let mut c = s.connect();
    c.send(&get("/"));
    let got = c.read_to_close(PATIENCE);
    let text = show(&got);
    assert!(text.ends_with("\r\n\r\nab"), "{text}");
    assert!(!text.contains("Content-Length") && !text.contains("Transfer-Encoding"));
}

#[test]
fn user_connection_close_is_sent_verbatim_and_closes() {
    let s = start_paired(|_q, mut r| {
        r.set_header("Connection", "close").unwrap();
        r.end(b"x").unwrap();
    });
    let mut c = s.connect();
    c.send(&get("/"));
    let got = c.read_to_close(PATIENCE);
    assert_eq!(
        redact_date(&got),
        "HTTP/1.1 200 OK\r\nConnection: close\r\nDate: <date>\r\nContent-Length: 1\r\n\r\nx"
    );
}

#[test]
fn keep_alive_header_says_timeout_in_whole_seconds() {
    let s = start_paired_with(
        |s| {
            s.set_keep_alive_timeout(1500);
        },
        |_q, mut r| r.end(&[]).unwrap(),
    );
    let mut c = s.connect();
    c.send(&get("/"));
    assert_eq!(c.response().header("keep-alive"), Some("timeout=1"));
}

#[test]
fn keep_alive_header_adds_max_with_max_requests_per_socket() {
    let s = start_paired_with(
        |s| {
            s.set_max_requests_per_socket(3);
        },
        |_q, mut r| r.end(&[]).unwrap(),
    );
    let mut c = s.connect();
    c.send(&get("/"));
    let r = c.response();
    assert_eq!(r.header("connection"), Some("keep-alive"));
    assert_eq!(r.header("keep-alive"), Some("timeout=5, max=3"));
}

#[test]
fn no_keep_alive_header_when_keep_alive_timeout_is_zero() {
    let s = start_paired_with(
        |s| {
            s.set_keep_alive_timeout(0);
        },
        |_q, mut r| r.end(&[]).unwrap(),
    );
    let mut c = s.connect();
    c.send(&get("/"));
    let r = c.response();
    assert_eq!(r.header("connection"), Some("keep-alive"));
    assert_eq!(r.header("keep-alive"), None);
}

#[test]
fn a_user_keep_alive_header_replaces_the_automatic_one() {
    let r = respond(|_q, mut r| {
        r.set_header("Keep-Alive", "timeout=9").unwrap();
        r.end(&[]).unwrap();
    });
    assert_eq!(r.header_all("keep-alive"), ["timeout=9"]);
}

#[test]
fn status_message_defaults_to_the_status_text() {
    let r = respond(|_q, mut r| {
        r.set_status_code(418);
        r.end(&[]).unwrap();
    });
    assert!(show(&r.raw).starts_with("HTTP/1.1 418 I'm a Teapot\r\n"));
}

#[test]
fn unknown_status_code_says_unknown() {
    let r = respond(|_q, mut r| {
        r.write_head_status(600, None).unwrap();
        r.end(&[]).unwrap();
    });
    assert!(show(&r.raw).starts_with("HTTP/1.1 600 unknown\r\n"));
}

#[test]
fn write_head_reason_is_sent() {
    let r = respond(|_q, mut r| {
        r.write_head_status(201, Some("Made It")).unwrap();
        r.end(&[]).unwrap();
    });
    assert!(show(&r.raw).starts_with("HTTP/1.1 201 Made It\r\n"));
}

#[test]
fn set_header_after_the_head_is_err_http_headers_sent() {
    let (codes, _) = in_handler(|r| {
        r.write(b"x").unwrap();
        let set = r.set_header("X", "1").unwrap_err().code().to_string();
        let remove = r.remove_header("X").unwrap_err().code().to_string();
        let head = r
            .write_head_status(200, None)
            .unwrap_err()
            .code()
            .to_string();
        r.end(&[]).unwrap();
        [set, remove, head]
    });
    assert_eq!(codes, ["ERR_HTTP_HEADERS_SENT"; 3]);
}

#[test]
fn write_head_with_an_invalid_status_is_err_http_invalid_status_code() {
    let (codes, r) = in_handler(|r| {
        let low = r
            .write_head_status(99, None)
            .unwrap_err()
            .code()
            .to_string();
        let high = r
            .write_head_status(1000, None)
            .unwrap_err()
            .code()
            .to_string();
        r.end(b"ok").unwrap();
        [low, high]
    });
    assert_eq!(codes, ["ERR_HTTP_INVALID_STATUS_CODE"; 2]);
    assert_eq!(r.status, 200);
}

#[test]
fn invalid_status_code_set_earlier_fails_at_end() {
    let (code, _) = in_handler(|r| {
        r.set_status_code(42);
        let e = r.end(b"x").unwrap_err().code().to_string();
        r.set_status_code(500);
        r.end(&[]).unwrap();
        e
    });
    assert_eq!(code, "ERR_HTTP_INVALID_STATUS_CODE");
}

#[test]
fn bad_header_name_is_err_invalid_http_token() {
    let (code, r) = in_handler(|r| {
        let e = r
            .set_header("Bad Name", "x")
            .unwrap_err()
            .code()
            .to_string();
        r.end(&[]).unwrap();
        e
    });
    assert_eq!(code, "ERR_INVALID_HTTP_TOKEN");
    assert!(r.header("bad name").is_none());
}

#[test]
fn header_value_with_crlf_is_err_invalid_char() {
    let (code, r) = in_handler(|r| {
        let e = r
            .set_header("X-Evil", "a\r\nSet-Cookie: x=1")
            .unwrap_err()
            .code()
            .to_string();
        r.end(&[]).unwrap();
        e
    });
    assert_eq!(code, "ERR_INVALID_CHAR");
    assert!(!show(&r.raw).contains("Set-Cookie"));
}

#[test]
fn bad_trailers_are_refused() {
    let (codes, _) = in_handler(|r| {
        let name = r
            .add_trailers(&[("Bad Name", "1")])
            .unwrap_err()
            .code()
            .to_string();
        let value = r
            .add_trailers(&[("X-T", "a\nb")])
            .unwrap_err()
            .code()
            .to_string();
        r.end(&[]).unwrap();
        [name, value]
    });
    assert_eq!(codes, ["ERR_INVALID_HTTP_TOKEN", "ERR_INVALID_CHAR"]);
}

#[test]
fn write_after_end_is_err_stream_write_after_end() {
    let (codes, r) = in_handler(|r| {
        r.end(b"done").unwrap();
        let w = r.write(b"x").unwrap_err().code().to_string();
        let e = r.end(b"x").unwrap_err().code().to_string();
        let empty_end_ok = r.end(&[]).is_ok();
        (w, e, empty_end_ok)
    });
    assert_eq!(codes.0, "ERR_STREAM_WRITE_AFTER_END");
    assert_eq!(codes.1, "ERR_STREAM_WRITE_AFTER_END");
    assert!(codes.2, "end() with no data after end is a no-op");
    assert_eq!(r.text(), "done");
}

#[test]
fn trailer_header_without_chunking_is_err_http_trailer_invalid() {
    let s = start_paired(|_q, mut r| {
        r.set_header("Trailer", "X-T").unwrap();
        r.set_header("Content-Length", "2").unwrap();
        let e = r.end(b"ok").unwrap_err();
        assert_eq!(e.code(), "ERR_HTTP_TRAILER_INVALID");
    });
    let mut c = s.connect();
    c.send(&get("/"));
    let _ = c.read_for(200);
}

#[test]
fn trailer_header_suppresses_content_length() {
    let r = respond(|_q, mut r| {
        r.set_header("Trailer", "X-T").unwrap();
        r.add_trailers(&[("X-T", "1")]).unwrap();
        r.end(b"ok").unwrap();
    });
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert_eq!(r.trailers, [("X-T".into(), "1".into())]);
}

#[test]
fn write_returns_true_for_small_writes_and_false_past_the_high_water_mark() {
    let drained = Arc::new(Mutex::new(0));
    let d = drained.clone();
    let drained_in = drained.clone();
    let (results, r) = in_handler(move |r| {
        let small = r.write(&[b'a'; 100]).unwrap();
        let big = r.write(&vec![b'b'; 1 << 20]).unwrap();
        // Node's pattern: listen for drain after write returned false
        let d = d.clone();
        if !big {
            r.on_drain(move || *d.lock().unwrap() += 1);
        }
        let drained_before_end = *drained_in.lock().unwrap();
        r.end(&[]).unwrap();
        (small, big, drained_before_end)
    });
    assert_eq!(results, (true, false, 0));
    assert_eq!(*drained.lock().unwrap(), 1, "drain ran once, at end");
    assert_eq!(r.body.len(), 100 + (1 << 20));
}

#[test]
fn dropping_an_unended_response_ends_it_with_content_length_zero() {
    let r = respond(|_q, r| drop(r));
    assert_eq!(
        r.wire(),
        format!("HTTP/1.1 200 OK\r\nDate: <date>\r\n{KA}Content-Length: 0\r\n\r\n")
    );
}

#[test]
fn dropping_a_response_after_write_ends_the_chunked_body() {
    let r = respond(|_q, mut r| {
        r.write(b"part").unwrap();
    });
    assert!(show(&r.raw).ends_with("4\r\npart\r\n0\r\n\r\n"));
}

#[test]
fn finish_runs_before_close() {
    let events = Arc::new(Mutex::new(Vec::new()));
    let e = events.clone();
    let (_, r) = in_handler(move |r| {
        let (a, b) = (e.clone(), e.clone());
        r.on_close(move || a.lock().unwrap().push("close"));
        r.on_finish(move || b.lock().unwrap().push("finish"));
        r.end(b"x").unwrap();
        e.lock().unwrap().push("after end");
    });
    assert_eq!(r.text(), "x");
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(*events.lock().unwrap(), ["finish", "close", "after end"]);
}

#[test]
fn headers_sent_turns_true_at_write_head() {
    let (seen, _) = in_handler(|r| {
        let before = r.headers_sent();
        r.write_head_status(200, None).unwrap();
        let after = r.headers_sent();
        r.end(&[]).unwrap();
        (before, after)
    });
    assert_eq!(seen, (false, true));
}

#[test]
fn flush_headers_sends_the_head_before_the_body() {
    let (tx, rx) = mpsc::channel::<()>();
    let rx = Mutex::new(rx);
    let s = start_paired(move |_q, mut r| {
        r.flush_headers().unwrap();
        rx.lock().unwrap().recv_timeout(PATIENCE).unwrap();
        r.end(b"late").unwrap();
    });
    let mut c = s.connect();
    c.send(&get("/"));
    let head = c.read_for(150);
    assert_eq!(
        redact_date(&head),
        format!("HTTP/1.1 200 OK\r\nDate: <date>\r\n{KA}Transfer-Encoding: chunked\r\n\r\n")
    );
    tx.send(()).unwrap();
    assert_eq!(show(&c.read_for(150)), "4\r\nlate\r\n0\r\n\r\n");
}
