//! What the request listener sees (NODE-SEMANTICS §1, §3.1): method and raw url, version,
//! merged and raw headers, trailers, completion and the body's events.
mod common;

use std::io::Read;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use common::server::*;
use stdhttp::IncomingMessage;

/// Send `request`, run `f` on what the request listener gets, answer 200, and return what
/// `f` returned.
fn seen<T: Send + 'static>(
    request: &[u8],
    f: impl Fn(&mut IncomingMessage) -> T + Send + Sync + 'static,
) -> T {
    seen_with(|_| {}, request, f)
}

fn seen_with<T: Send + 'static>(
    setup: impl FnOnce(&stdhttp::Server),
    request: &[u8],
    f: impl Fn(&mut IncomingMessage) -> T + Send + Sync + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let s = start_with(setup, move |mut q, mut r| {
        let v = f(&mut q);
        tx.lock().unwrap().send(v).unwrap();
        r.end(b"ok").unwrap();
    });
    let mut c = s.connect();
    c.send(request);
    recv(&rx)
}

#[test]
fn method_and_origin_form_url_are_raw() {
    let (m, u) = seen(b"GET /a%20b?x=1&y#frag HTTP/1.1\r\nHost: t\r\n\r\n", |q| {
        (q.method().map(str::to_string), q.url().to_string())
    });
    assert_eq!(m.as_deref(), Some("GET"));
    assert_eq!(u, "/a%20b?x=1&y#frag");
}

#[test]
fn absolute_form_url_is_kept() {
    let u = seen(
        b"GET http://example.com/p?q=1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
        |q| q.url().to_string(),
    );
    assert_eq!(u, "http://example.com/p?q=1");
}

#[test]
fn asterisk_form_url_is_kept() {
    let (m, u) = seen(b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", |q| {
        (q.method().unwrap().to_string(), q.url().to_string())
    });
    assert_eq!((m.as_str(), u.as_str()), ("OPTIONS", "*"));
}

#[test]
fn connect_url_is_the_authority() {
    let s = start(|_q, _r| {});
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    s.server.on_connect(move |q, sock, _head| {
        tx.lock().unwrap().send(q.url().to_string()).unwrap();
        sock.destroy();
    });
    let mut c = s.connect();
    c.send(b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
    assert_eq!(recv(&rx), "example.com:443");
}

#[test]
fn http_version_1_1_and_1_0() {
    let v11 = seen(&get("/"), |q| {
        (
            q.http_version().to_string(),
            q.http_version_major(),
            q.http_version_minor(),
        )
    });
    assert_eq!(v11, ("1.1".to_string(), 1, 1));
    let v10 = seen(b"GET / HTTP/1.0\r\n\r\n", |q| {
        (
            q.http_version().to_string(),
            q.http_version_major(),
            q.http_version_minor(),
        )
    });
    assert_eq!(v10, ("1.0".to_string(), 1, 0));
}

#[test]
fn headers_merge_by_node_rules() {
    let req = b"GET / HTTP/1.1\r\nHost: first\r\nhost: second\r\nX-A: 1\r\nx-a: 2\r\n\
Cookie: a=1\r\nCookie: b=2\r\nSet-Cookie: s=1\r\nUser-Agent: u1\r\nUser-Agent: u2\r\n\
X-Space:   padded value  \r\nX-Empty:\r\n\r\n";
    let h = seen(req, |q| {
        let h = q.headers();
        (
            h.get_str("host").map(String::from),
            h.get_str("x-a").map(String::from),
            h.get_str("cookie").map(String::from),
            h.get("set-cookie")
                .and_then(|v| v.as_list())
                .map(<[String]>::to_vec),
            h.get_str("user-agent").map(String::from),
            h.get_str("X-SPACE").map(String::from),
            h.get_str("x-empty").map(String::from),
        )
    });
    assert_eq!(h.0.as_deref(), Some("first"), "host: first wins");
    assert_eq!(h.1.as_deref(), Some("1, 2"), "others join with comma");
    assert_eq!(
        h.2.as_deref(),
        Some("a=1; b=2"),
        "cookie joins with semicolon"
    );
    assert_eq!(
        h.3,
        Some(vec!["s=1".to_string()]),
        "set-cookie is always a list"
    );
    assert_eq!(h.4.as_deref(), Some("u1"));
    assert_eq!(h.5.as_deref(), Some("padded value"));
    assert_eq!(h.6.as_deref(), Some(""));
}

#[test]
fn raw_headers_keep_order_case_and_duplicates() {
    let raw = seen(
        b"GET / HTTP/1.1\r\nhOsT: t\r\nX-A: 1\r\nx-a: 2\r\nACCEPT: */*\r\n\r\n",
        |q| q.raw_headers().to_flat(),
    );
    assert_eq!(raw, ["hOsT", "t", "X-A", "1", "x-a", "2", "ACCEPT", "*/*"]);
}

#[test]
fn trailers_arrive_after_the_body() {
    let req = b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
3\r\nabc\r\n0\r\nX-T: one\r\nx-t: two\r\nX-Raw: r\r\n\r\n";
    let got = seen(req, |q| {
        let before = q.trailers().is_empty() && q.raw_trailers().is_empty();
        let body = q.text().unwrap();
        (
            before,
            body,
            q.trailers().get_str("x-t").map(String::from),
            q.raw_trailers().to_flat(),
        )
    });
    assert!(got.0, "no trailers before the body is read");
    assert_eq!(got.1, "abc");
    assert_eq!(got.2.as_deref(), Some("one, two"));
    assert_eq!(got.3, ["X-T", "one", "x-t", "two", "X-Raw", "r"]);
}

#[test]
fn complete_is_false_before_the_body_is_read_and_true_after() {
    let got = seen(
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello",
        |q| {
            let before = q.complete();
            let mut body = String::new();
            q.read_to_string(&mut body).unwrap();
            (before, body, q.complete())
        },
    );
    assert_eq!(got, (false, "hello".to_string(), true));
}

#[test]
fn a_bodiless_request_is_complete_only_after_its_end_as_node() {
    let got = seen(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n", |q| {
        let before = q.complete();
        let body = q.text().unwrap();
        (before, body, q.complete())
    });
    assert_eq!(got, (false, String::new(), true));
}

#[test]
fn on_data_runs_for_each_piece_then_on_end_once() {
    let events = seen(
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n",
        |q| {
            let log = Arc::new(Mutex::new(Vec::<String>::new()));
            let (a, b) = (log.clone(), log.clone());
            q.on_data(move |d| a.lock().unwrap().push(format!("data:{}", show(d))));
            q.on_end(move || b.lock().unwrap().push("end".into()));
            q.resume().unwrap();
            let mut v = log.lock().unwrap().clone();
            let data: String = v
                .iter()
                .filter_map(|e| e.strip_prefix("data:"))
                .collect();
            v.retain(|e| !e.starts_with("data:"));
            (data, v)
        },
    );
    assert_eq!(events.0, "abc");
    assert_eq!(events.1, ["end"]);
}

#[test]
fn text_reads_the_whole_body() {
    let body = seen(
        b"PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world",
        |q| q.text().unwrap(),
    );
    assert_eq!(body, "hello world");
}

#[test]
fn resume_discards_the_body_and_completes() {
    let got = seen(
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc",
        |q| {
            q.resume().unwrap();
            q.complete()
        },
    );
    assert!(got);
}

#[test]
fn max_headers_count_keeps_the_first_lines() {
    let keys = seen_with(
        |s| {
            s.set_max_headers_count(3);
        },
        b"GET / HTTP/1.1\r\nHost: t\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n",
        |q| (q.headers().len(), q.headers().contains("c")),
    );
    assert_eq!(keys, (3, false));
}

#[test]
fn max_headers_count_truncation_hides_a_late_host_and_gives_400() {
    let s = start_with(
        |s| {
            s.set_max_headers_count(2);
        },
        |_q, mut r| r.end(b"should not run").unwrap(),
    );
    let got = s.exchange(b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nHost: t\r\n\r\n", 1000);
    assert_eq!(
        redact_date(&got),
        "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nDate: <date>\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    );
}

#[test]
fn missing_host_on_http_1_1_gets_nodes_400_and_no_request() {
    let ran = Arc::new(Mutex::new(false));
    let r2 = ran.clone();
    let s = start(move |_q, mut r| {
        *r2.lock().unwrap() = true;
        r.end(&[]).unwrap();
    });
    let mut c = s.connect();
    c.send(b"GET / HTTP/1.1\r\n\r\n");
    let got = c.read_to_close(PATIENCE);
    assert_eq!(
        redact_date(&got),
        "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nDate: <date>\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    );
    assert!(!*ran.lock().unwrap());
}

/// Found by the server_conn fuzz target: the answer to a HEAD request without Host has no
/// body (Node 20 writes exactly these bytes).
#[test]
fn a_head_request_without_host_gets_a_bodiless_400() {
    let s = start(|_q, mut r| r.end(b"ok").unwrap());
    let mut c = s.connect();
    c.send(b"HEAD / HTTP/1.1\r\n\r\n");
    let got = c.read_to_close(PATIENCE);
    assert_eq!(
        redact_date(&got),
        "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nDate: <date>\r\n\r\n"
    );
}

#[test]
fn http_1_0_without_host_is_served() {
    let u = seen(b"GET /x HTTP/1.0\r\n\r\n", |q| q.url().to_string());
    assert_eq!(u, "/x");
}

#[test]
fn socket_gives_the_peer_address() {
    let addr = seen(&get("/"), |q| q.socket().remote_address());
    assert_eq!(addr.as_deref(), Some("127.0.0.1"));
}

/// Node 20: a body cut short by the client's close (full or half) fails the read with
/// ECONNRESET `aborted`; on a half-close the client still gets the 400 of the
/// HPE_INVALID_EOF_STATE client error.
#[test]
fn a_body_cut_short_by_the_client_reads_as_econnreset_aborted() {
    for half_close in [true, false] {
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let s = start(move |mut q, _r| {
            let got = q
                .text()
                .map_err(|e| (e.code().to_string(), e.message().to_string()));
            tx.lock().unwrap().send(got).unwrap();
        });
        let mut c = s.connect();
        c.send(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc");
        std::thread::sleep(std::time::Duration::from_millis(50));
        if half_close {
            c.shutdown_write();
        } else {
            let _ = c.stream.shutdown(std::net::Shutdown::Both);
        }
        let got = recv(&rx);
        assert_eq!(
            got,
            Err(("ECONNRESET".into(), "aborted".into())),
            "half close: {half_close}"
        );
        if half_close {
            let answer = c.read_to_close(PATIENCE);
            assert_eq!(
                show(&answer),
                "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n"
            );
        }
    }
}
