//! The Node 20 API issue 11 §6 listed as missing, each as Node 20 does it: joinDuplicateHeaders,
//! headersDistinct / trailersDistinct, writeProcessing / writeEarlyHints, appendHeader,
//! rejectNonStandardBodyWrites, and the clientError error's rawPacket. Where a test compares
//! with Node it runs tests/node/node20_api.js when `node` is v20, and skips with a notice
//! otherwise.
mod common;

use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use common::client::RawServer;
use common::json::Json;
use common::node::{case, hex, node_cases, node_is_20};
use common::server::*;
use stdhttp::{Error, HeaderValue, Headers, HeadersDistinct, IncomingMessage};

/// Run `f` with each request the server gets (after its body is read) and send what it
/// returns back over the channel.
fn server_reporting<T: Send + 'static>(
    setup: impl FnOnce(&stdhttp::Server),
    f: impl Fn(&IncomingMessage) -> T + Send + Sync + 'static,
) -> (TestServer, mpsc::Receiver<T>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let s = start_with(setup, move |mut req, mut res| {
        let _ = req.resume();
        let _ = tx.lock().unwrap().send(f(&req));
        let _ = res.end(b"");
    });
    (s, rx)
}

/// `(name, values, is a list)` per entry: the shape both sides are compared in.
type Entries = Vec<(String, Vec<String>, bool)>;

fn entries(h: &Headers) -> Entries {
    h.iter()
        .map(|(n, v)| (n.to_string(), v.to_vec(), v.is_list()))
        .collect()
}

fn distinct_entries(h: &HeadersDistinct) -> Entries {
    h.iter()
        .map(|(n, v)| (n.to_string(), v.to_vec(), true))
        .collect()
}

/// Node's `Object.entries(...)` as printed by the script.
fn node_entries(j: Option<&Json>) -> Entries {
    let text = |j: &Json| j.str().unwrap_or_default().to_string();
    j.map(Json::arr)
        .unwrap_or(&[])
        .iter()
        .map(|e| {
            let pair = e.arr();
            match &pair[1] {
                Json::Arr(values) => (text(&pair[0]), values.iter().map(text).collect(), true),
                v => (text(&pair[0]), vec![text(v)], false),
            }
        })
        .collect()
}

fn e(name: &str, values: &[&str], list: bool) -> (String, Vec<String>, bool) {
    (
        name.to_string(),
        values.iter().map(|v| v.to_string()).collect(),
        list,
    )
}

const DUPLICATES: &[u8] = b"POST / HTTP/1.1\r\nHost: a\r\nHOST: b\r\nContent-Type: t/a\r\n\
    content-type: t/b\r\nSet-Cookie: x=1\r\nset-cookie: y=2\r\nCookie: c=1\r\ncookie: c=2\r\n\
    X-A: 1\r\nx-a: 2\r\nUser-Agent: u1\r\nuser-agent: u2\r\nTransfer-Encoding: chunked\r\n\
    Connection: close\r\n\r\n1\r\nz\r\n0\r\nX-T: t1\r\nx-t: t2\r\nContent-Type: q1\r\n\
    content-type: q2\r\nSet-Cookie: s1\r\n\r\n";

/// What a server with `join` makes of [`DUPLICATES`]: headers, headersDistinct, trailers,
/// trailersDistinct.
fn our_views(join: bool) -> [Entries; 4] {
    let (s, rx) = server_reporting(
        |s| {
            s.set_join_duplicate_headers(join);
        },
        |req| {
            [
                entries(req.headers()),
                distinct_entries(req.headers_distinct()),
                entries(req.trailers()),
                distinct_entries(req.trailers_distinct()),
            ]
        },
    );
    let mut c = s.connect();
    c.send(DUPLICATES);
    recv(&rx)
}

#[test]
fn by_default_the_first_value_wins_for_content_type_and_host() {
    let [headers, ..] = our_views(false);
    assert_eq!(
        headers[..6],
        [
            e("host", &["a"], false),
            e("content-type", &["t/a"], false),
            e("set-cookie", &["x=1", "y=2"], true),
            e("cookie", &["c=1; c=2"], false),
            e("x-a", &["1, 2"], false),
            e("user-agent", &["u1"], false),
        ]
    );
}

#[test]
fn server_join_duplicate_headers_joins_every_name_but_set_cookie() {
    let [headers, _, trailers, _] = our_views(true);
    assert_eq!(
        headers[..6],
        [
            e("host", &["a, b"], false),
            e("content-type", &["t/a, t/b"], false),
            e("set-cookie", &["x=1", "y=2"], true),
            e("cookie", &["c=1; c=2"], false),
            e("x-a", &["1, 2"], false),
            e("user-agent", &["u1, u2"], false),
        ]
    );
    assert_eq!(
        trailers,
        [
            e("x-t", &["t1, t2"], false),
            e("content-type", &["q1, q2"], false),
            e("set-cookie", &["s1"], true),
        ]
    );
}

#[test]
fn headers_distinct_lists_every_value_whatever_the_join_setting() {
    for join in [false, true] {
        let [_, distinct, _, trailers_distinct] = our_views(join);
        assert_eq!(
            distinct,
            [
                e("host", &["a", "b"], true),
                e("content-type", &["t/a", "t/b"], true),
                e("set-cookie", &["x=1", "y=2"], true),
                e("cookie", &["c=1", "c=2"], true),
                e("x-a", &["1", "2"], true),
                e("user-agent", &["u1", "u2"], true),
                e("transfer-encoding", &["chunked"], true),
                e("connection", &["close"], true),
            ]
        );
        assert_eq!(
            trailers_distinct,
            [
                e("x-t", &["t1", "t2"], true),
                e("content-type", &["q1", "q2"], true),
                e("set-cookie", &["s1"], true),
            ]
        );
    }
}

#[test]
fn trailers_distinct_is_empty_until_the_body_is_read() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let s = start(move |mut req, mut res| {
        let before = req.trailers_distinct().len();
        req.resume().unwrap();
        let after = req.trailers_distinct().get("x-t").map(<[String]>::to_vec);
        tx.lock().unwrap().send((before, after)).unwrap();
        let _ = res.end(b"");
    });
    let mut c = s.connect();
    c.send(
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\nx-t: 2\r\n\r\n",
    );
    let (before, after) = recv(&rx);
    assert_eq!(before, 0);
    assert_eq!(after, Some(vec!["1".to_string(), "2".to_string()]));
}

#[test]
fn headers_and_their_distinct_view_match_node_20_with_and_without_join() {
    if !node_is_20() {
        eprintln!("NOTICE: node is not v20: headers comparison skipped");
        return;
    }
    let lines = node_cases("node20_api.js", &["headers".into(), hex(DUPLICATES)]);
    for join in [false, true] {
        let node = case(&lines, &format!("join={join}"));
        let ours = our_views(join);
        let theirs = ["headers", "distinct", "trailers", "trailersDistinct"]
            .map(|k| node_entries(node.get(k)));
        assert_eq!(ours, theirs, "join={join}");
    }
}

const DUPLICATE_RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: a\r\ncontent-type: b\r\n\
    Set-Cookie: s1\r\nCookie: c1\r\ncookie: c2\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 0\r\n\r\n";

fn response_views(join: bool) -> [Entries; 2] {
    let raw = RawServer::answering(DUPLICATE_RESPONSE);
    let opts = stdhttp::RequestOptions::from_url(&raw.url("/"))
        .unwrap()
        .agent(stdhttp::AgentChoice::Unpooled)
        .join_duplicate_headers(join);
    let res = stdhttp::get(opts).unwrap();
    [
        entries(res.headers()),
        distinct_entries(res.headers_distinct()),
    ]
}

#[test]
fn request_join_duplicate_headers_joins_the_response_headers() {
    // Node 20: {"content-type":"a","set-cookie":["s1"],"cookie":"c1; c2","x-a":"1, 2",...}
    // and with joinDuplicateHeaders: true, "content-type":"a, b"
    let [default, distinct] = response_views(false);
    assert_eq!(default[0], e("content-type", &["a"], false));
    assert_eq!(distinct[0], e("content-type", &["a", "b"], true));
    let [joined, _] = response_views(true);
    assert_eq!(
        joined,
        [
            e("content-type", &["a, b"], false),
            e("set-cookie", &["s1"], true),
            e("cookie", &["c1; c2"], false),
            e("x-a", &["1, 2"], false),
            e("content-length", &["0"], false),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// writeProcessing, writeEarlyHints

/// The bytes a client gets for a `Connection: close` GET answered by `handler`.
fn answer_to_close(
    handler: impl Fn(&mut stdhttp::ServerResponse) + Send + Sync + 'static,
) -> Vec<u8> {
    let s = start(move |_req, mut res| {
        handler(&mut res);
        let _ = res.end(b"DONE");
    });
    let mut c = s.connect();
    c.send(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    c.read_to_close(PATIENCE)
}

/// The interim responses before the final `HTTP/1.1 200`.
fn interim(bytes: &[u8]) -> String {
    let text = show(bytes);
    let at = text.find("HTTP/1.1 200 ").expect("a final response");
    text[..at].to_string()
}

#[test]
fn write_processing_sends_102_before_the_response() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let bytes = answer_to_close(move |res| {
        res.write_processing().unwrap();
        tx.lock().unwrap().send(res.headers_sent()).unwrap();
    });
    assert_eq!(interim(&bytes), "HTTP/1.1 102 Processing\r\n\r\n");
    assert!(!recv(&rx), "an interim response is not the head");
    assert!(show(&bytes).ends_with("\r\n\r\nDONE"));
}

#[test]
fn write_early_hints_sends_links_on_one_line_then_the_other_hints() {
    let bytes = answer_to_close(|res| {
        res.write_early_hints([
            (
                "link",
                HeaderValue::from(["</a.css>; rel=preload", "</b.js>; rel=preload"]),
            ),
            ("X-Extra", "1".into()),
            ("x-arr", HeaderValue::from(["p", "q"])),
        ])
        .unwrap();
    });
    assert_eq!(
        interim(&bytes),
        "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload, </b.js>; rel=preload\r\n\
         X-Extra: 1\r\nx-arr: p,q\r\n\r\n"
    );
}

#[test]
fn write_early_hints_without_a_link_sends_nothing() {
    let bytes = answer_to_close(|res| {
        res.write_early_hints([("x-only", "1")]).unwrap();
        res.write_early_hints([("link", HeaderValue::List(Vec::new()))])
            .unwrap();
        res.write_early_hints(Vec::<(&str, &str)>::new()).unwrap();
    });
    assert_eq!(interim(&bytes), "");
}

#[test]
fn write_early_hints_refuses_bad_links_and_header_injection() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let bytes = answer_to_close(move |res| {
        let codes: Vec<String> = [
            vec![("link", "no-brackets")],
            vec![("link", "")],
            vec![("link", "</a>"), ("bad name", "v")],
            vec![("link", "</a>"), ("x", "a\r\nInjected: 1")],
            vec![("link", "</a\r\nInjected: 1>")],
        ]
        .into_iter()
        .map(|hints| res.write_early_hints(hints).unwrap_err().code().to_string())
        .collect();
        tx.lock().unwrap().send(codes).unwrap();
    });
    assert_eq!(
        recv(&rx),
        [
            "ERR_INVALID_ARG_VALUE",
            "ERR_INVALID_ARG_VALUE",
            "ERR_INVALID_HTTP_TOKEN",
            "ERR_INVALID_CHAR",
            "ERR_INVALID_CHAR",
        ]
    );
    assert_eq!(interim(&bytes), "", "a refused hint sends nothing");
}

/// Hints as Node's object (JSON) and as our pairs.
fn hint_cases() -> Vec<(&'static str, Vec<(&'static str, HeaderValue)>)> {
    let one = |s: &str| HeaderValue::from(s);
    vec![
        (
            r#"{"link":"</a.css>; rel=preload"}"#,
            vec![("link", one("</a.css>; rel=preload"))],
        ),
        (
            r#"{"link":["</a>; rel=preload; as=style","</b>; rel=preload; as=\"script\"; crossorigin"]}"#,
            vec![(
                "link",
                HeaderValue::from([
                    "</a>; rel=preload; as=style",
                    "</b>; rel=preload; as=\"script\"; crossorigin",
                ]),
            )],
        ),
        (
            r#"{"link":"</a>","X-Extra":"1","x-arr":["p","q"]}"#,
            vec![
                ("link", one("</a>")),
                ("X-Extra", one("1")),
                ("x-arr", HeaderValue::from(["p", "q"])),
            ],
        ),
        (r#"{"x-only":"1"}"#, vec![("x-only", one("1"))]),
        (
            r#"{"link":[]}"#,
            vec![("link", HeaderValue::List(Vec::new()))],
        ),
        (r#"{"link":""}"#, vec![("link", one(""))]),
        (r#"{"link":"</a>;"}"#, vec![("link", one("</a>;"))]),
        (
            r#"{"link":"</a> ; rel=x"}"#,
            vec![("link", one("</a> ; rel=x"))],
        ),
        (
            r#"{"link":"</a>; rel=\"a b\""}"#,
            vec![("link", one("</a>; rel=\"a b\""))],
        ),
        (
            r#"{"link":"</a>; =\"x\""}"#,
            vec![("link", one("</a>; =\"x\""))],
        ),
        (
            r#"{"link":"</a>; a==\"x\""}"#,
            vec![("link", one("</a>; a==\"x\""))],
        ),
        (
            r#"{"link":"</a>; a=\"x\"b"}"#,
            vec![("link", one("</a>; a=\"x\"b"))],
        ),
        (
            r#"{"link":"</a>; a=\"\""}"#,
            vec![("link", one("</a>; a=\"\""))],
        ),
        (r#"{"link":"<>"}"#, vec![("link", one("<>"))]),
        (r#"{"link":"</a>x"}"#, vec![("link", one("</a>x"))]),
        (
            r#"{"link":["</a>","bad"]}"#,
            vec![("link", HeaderValue::from(["</a>", "bad"]))],
        ),
    ]
}

#[test]
fn write_early_hints_matches_node_20_bytes_and_link_checks() {
    if !node_is_20() {
        eprintln!("NOTICE: node is not v20: early hints comparison skipped");
        return;
    }
    let cases = hint_cases();
    let json = format!(
        "[{}]",
        cases.iter().map(|(j, _)| *j).collect::<Vec<_>>().join(",")
    );
    let lines = node_cases("node20_api.js", &["hints".into(), json]);
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let pairs: Arc<Vec<_>> = Arc::new(cases.iter().map(|(_, p)| p.clone()).collect());
    let s = start(move |req, mut res| {
        let i: usize = req.url()[1..].parse().unwrap();
        let r = res.write_early_hints(pairs[i].clone());
        tx.lock()
            .unwrap()
            .send(r.err().map(|e| e.code().to_string()))
            .unwrap();
        let _ = res.end(b"DONE");
    });
    for (i, (json, _)) in cases.iter().enumerate() {
        let mut c = s.connect();
        c.send(format!("GET /{i} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes());
        let bytes = c.read_to_close(PATIENCE);
        let error = recv(&rx);
        let node = case(&lines, &i.to_string());
        assert_eq!(
            error.as_deref(),
            node.get("error").and_then(Json::str),
            "error for {json}"
        );
        let head = node.get("head").and_then(Json::str).unwrap_or_default();
        assert_eq!(interim(&bytes), head, "bytes for {json}");
    }
}

// ---------------------------------------------------------------------------------------------
// appendHeader

#[test]
fn append_header_sets_an_unset_header_and_lists_a_set_one() {
    // Node 20: getHeader after appendHeader('X-New','a') is "a"; after a second append
    // ["a","b"]; an array extends the list; the name keeps its first case on the wire
    let (got, r) = in_handler(|res| {
        res.set_send_date(false);
        res.append_header("X-New", "a").unwrap();
        let unset = res.get_header("x-new").cloned();
        res.append_header("x-NEW", "b").unwrap();
        let set = res.get_header("x-new").cloned();
        res.append_header("X-New", vec!["c", "d"]).unwrap();
        res.set_header("Set-Cookie", "s=1").unwrap();
        res.append_header("set-cookie", "t=2").unwrap();
        res.append_header("Cookie", "c=1").unwrap();
        res.append_header("Cookie", "c=2").unwrap();
        (unset, set, res.get_header("X-NEW").cloned())
    });
    assert_eq!(got.0, Some(HeaderValue::from("a")));
    assert_eq!(got.1, Some(HeaderValue::from(["a", "b"])));
    assert_eq!(got.2, Some(HeaderValue::from(["a", "b", "c", "d"])));
    assert!(
        show(&r.raw).starts_with(
            "HTTP/1.1 200 OK\r\nX-New: a\r\nX-New: b\r\nX-New: c\r\nX-New: d\r\n\
             Set-Cookie: s=1\r\nSet-Cookie: t=2\r\nCookie: c=1; c=2\r\n"
        ),
        "{}",
        show(&r.raw)
    );
}

#[test]
fn append_header_validates_like_set_header_and_fails_after_the_head() {
    let (codes, _) = in_handler(|res| {
        let mut codes = vec![
            res.append_header("bad name", "v").unwrap_err(),
            res.append_header("x", "a\nb").unwrap_err(),
        ];
        res.write_head(200, None, Vec::<(&str, &str)>::new())
            .unwrap();
        codes.push(res.append_header("x", "y").unwrap_err());
        codes
            .iter()
            .map(|e| format!("{} {}", e.code(), e.message()))
            .collect::<Vec<_>>()
    });
    assert_eq!(
        codes,
        [
            r#"ERR_INVALID_HTTP_TOKEN Header name must be a valid HTTP token ["bad name"]"#,
            r#"ERR_INVALID_CHAR Invalid character in header content ["x"]"#,
            "ERR_HTTP_HEADERS_SENT Cannot append headers after they are sent to the client",
        ]
    );
}

#[test]
fn client_request_append_header_sends_each_value_and_fails_once_sent() {
    let raw = RawServer::answering(b"HTTP/1.1 204 No Content\r\n\r\n");
    let opts = stdhttp::RequestOptions::from_url(&raw.url("/"))
        .unwrap()
        .agent(stdhttp::AgentChoice::Unpooled);
    let mut req = stdhttp::request(opts).unwrap();
    req.append_header("X-C", "1").unwrap();
    req.append_header("x-c", "2").unwrap();
    assert_eq!(req.get_header("x-c"), Some(&HeaderValue::from(["1", "2"])));
    req.flush_headers().unwrap();
    assert_eq!(
        req.append_header("a", "b").unwrap_err().code(),
        "ERR_HTTP_HEADERS_SENT"
    );
    let head = raw.head_of(0);
    assert!(head.contains("\r\nX-C: 1\r\nX-C: 2\r\n"), "{head}");
}

// ---------------------------------------------------------------------------------------------
// rejectNonStandardBodyWrites

const NOT_ALLOWED: &str =
    "ERR_HTTP_BODY_NOT_ALLOWED Adding content for this request method or response status is not allowed.";

/// Serve one `method` request with `rejectNonStandardBodyWrites` = `reject`: `f` reports
/// what its body writes gave (the handler then ends the response); returns that and the
/// bytes the client got.
fn body_writes(
    reject: bool,
    method: &str,
    f: impl Fn(&mut stdhttp::ServerResponse) -> Vec<String> + Send + Sync + 'static,
) -> (Vec<String>, String) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let s = start_with(
        |s| {
            s.set_reject_non_standard_body_writes(reject);
        },
        move |_req, mut res| {
            res.set_send_date(false);
            let got = f(&mut res);
            let end = res.end(b"").map_err(|e| e.code().to_string());
            tx.lock().unwrap().send((got, end)).unwrap();
        },
    );
    let mut c = s.connect();
    c.send(format!("{method} / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes());
    let bytes = c.read_to_close(PATIENCE);
    let (got, end) = recv(&rx);
    assert_eq!(end, Ok(()), "end() with no data always ends the response");
    (got, show(&bytes))
}

fn outcome(r: Result<impl std::fmt::Debug, Error>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => format!("{} {}", e.code(), e.message()),
    }
}

#[test]
fn without_reject_body_writes_on_a_head_response_are_dropped() {
    let (got, bytes) = body_writes(false, "HEAD", |res| {
        vec![outcome(res.write(b"x")), outcome(res.end(b"y"))]
    });
    assert_eq!(got, ["ok true", "ok ()"]);
    assert_eq!(
        bytes, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n",
        "no body on the wire"
    );
}

#[test]
fn reject_body_writes_fails_write_and_end_with_data_on_a_head_response() {
    // Node 20 (rejectNonStandardBodyWrites: true): write('x') and write('') throw,
    // end('x') throws, end('') and end() end the response; the head was generated by the
    // failing call (headersSent true) and goes out at the end
    let (got, bytes) = body_writes(true, "HEAD", |res| {
        vec![
            outcome(res.write(b"x")),
            outcome(res.write(b"")),
            outcome(res.end(b"y")),
            res.headers_sent().to_string(),
        ]
    });
    assert_eq!(got, [NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, "true"]);
    assert_eq!(bytes, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
}

#[test]
fn reject_body_writes_fails_for_204_and_304_but_not_for_200() {
    for status in [204, 304] {
        let (got, bytes) = body_writes(true, "GET", move |res| {
            res.set_status_code(status);
            vec![outcome(res.write(b"x"))]
        });
        assert_eq!(got, [NOT_ALLOWED], "{status}");
        assert!(!bytes.contains('x'), "{bytes}");
    }
    let (got, _) = body_writes(true, "GET", |res| {
        res.set_status_code(304);
        vec![outcome(res.end(b"x"))]
    });
    assert_eq!(got, [NOT_ALLOWED]);
    let (got, bytes) = body_writes(true, "GET", |res| vec![outcome(res.write(b"x"))]);
    assert_eq!(got, ["ok true"]);
    assert!(bytes.ends_with("\r\n\r\n1\r\nx\r\n0\r\n\r\n"), "{bytes}");
}

// ---------------------------------------------------------------------------------------------
// clientError's rawPacket

/// Send `chunks` on one connection to a server with a clientError listener (each chunk but
/// the last is a whole request, sent once its response has arrived); the error's code and
/// raw packet.
fn client_error_of(chunks: &[&[u8]], then_close: bool) -> (String, Option<Vec<u8>>) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let s = start(|mut req, mut res| {
        let _ = req.resume();
        let _ = res.end(b"ok");
    });
    s.server.on_client_error(move |err: Error, socket| {
        let _ = tx
            .lock()
            .unwrap()
            .send((err.code().to_string(), err.raw_packet().map(<[u8]>::to_vec)));
        socket.destroy();
    });
    let mut c = s.connect();
    for (i, chunk) in chunks.iter().enumerate() {
        c.send(chunk);
        if i + 1 < chunks.len() {
            c.response();
        }
    }
    if then_close {
        c.shutdown_write();
    }
    rx.recv_timeout(Duration::from_secs(5))
        .expect("clientError")
}

const BAD_HEADER: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: v\r\n\r\n";
const GOOD: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn raw_packet_is_the_piece_read_when_parsing_failed() {
    let (code, raw) = client_error_of(&[BAD_HEADER], false);
    assert_eq!(code, "HPE_INVALID_HEADER_TOKEN");
    assert_eq!(raw.as_deref(), Some(BAD_HEADER));
}

#[test]
fn raw_packet_holds_an_earlier_pipelined_request_read_with_the_bad_one() {
    let both = [GOOD, BAD_HEADER].concat();
    let (code, raw) = client_error_of(&[&both], false);
    assert_eq!(code, "HPE_INVALID_HEADER_TOKEN");
    assert_eq!(raw, Some(both));
}

#[test]
fn raw_packet_of_a_later_request_is_only_what_came_after_the_first() {
    let (code, raw) = client_error_of(&[GOOD, BAD_HEADER], false);
    assert_eq!(code, "HPE_INVALID_HEADER_TOKEN");
    assert_eq!(raw.as_deref(), Some(BAD_HEADER));
}

#[test]
fn raw_packet_of_a_bad_body_is_the_piece_with_it() {
    let bad_chunk = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    let (code, raw) = client_error_of(&[bad_chunk], false);
    assert_eq!(code, "HPE_INVALID_CHUNK_SIZE");
    assert_eq!(raw.as_deref(), Some(&bad_chunk[..]));
}

#[test]
fn eof_mid_head_has_no_raw_packet() {
    let (code, raw) = client_error_of(&[b"GET / HTTP/1.1\r\nHost: x\r\n"], true);
    assert_eq!(code, "HPE_INVALID_EOF_STATE");
    assert_eq!(raw, None);
}

#[test]
fn a_client_response_parse_error_carries_its_raw_packet() {
    let bad = b"HTTP/1.1 200 OK\r\nBad Header: v\r\nContent-Length: 0\r\n\r\n";
    let raw = RawServer::answering(bad);
    let opts = stdhttp::RequestOptions::from_url(&raw.url("/"))
        .unwrap()
        .agent(stdhttp::AgentChoice::Unpooled);
    let err = stdhttp::get(opts).unwrap_err();
    assert_eq!(err.code(), "HPE_INVALID_HEADER_TOKEN");
    assert_eq!(err.raw_packet(), Some(&bad[..]));
}

#[test]
fn raw_packet_matches_node_20() {
    if !node_is_20() {
        eprintln!("NOTICE: node is not v20: rawPacket comparison skipped");
        return;
    }
    let both = [GOOD, BAD_HEADER].concat();
    let bad_body: &[u8] = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    let cases: Vec<(Vec<&[u8]>, bool)> = vec![
        (vec![BAD_HEADER], false),
        (vec![&both], false),
        (vec![GOOD, BAD_HEADER], false),
        (vec![bad_body], false),
        (vec![b"G@T / HTTP/1.1\r\n\r\n"], false),
        (vec![b"GET / HTTP/1.1\r\nHost: x\r\n"], true),
    ];
    let args: Vec<String> = cases
        .iter()
        .map(|(chunks, _)| chunks.iter().map(|c| hex(c)).collect::<Vec<_>>().join(","))
        .collect();
    let lines = node_cases(
        "node20_api.js",
        &[vec!["rawpacket".to_string()], args].concat(),
    );
    for (i, (chunks, close)) in cases.iter().enumerate() {
        let (code, raw) = client_error_of(chunks, *close);
        let node = case(&lines, &i.to_string());
        assert_eq!(
            Some(code.as_str()),
            node.get("code").and_then(Json::str),
            "case {i}"
        );
        assert_eq!(
            raw.as_deref().map(hex).as_deref(),
            node.get("rawPacket").and_then(Json::str),
            "case {i}"
        );
    }
}
