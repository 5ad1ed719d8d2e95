//! `examples/parse.rs` end to end: raw bytes in on stdin, Node-named JSON lines out.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::json::{self, Json};

fn run(args: &[&str], input: &[u8]) -> (Vec<Json>, i32) {
    let mut child = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", "parse", "--"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cargo runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write");
    let out = child.wait_with_output().expect("parse example finishes");
    let text = String::from_utf8(out.stdout).expect("utf-8 output");
    let lines = text
        .lines()
        .map(|l| json::parse(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}")))
        .collect();
    (lines, out.status.code().unwrap_or(-1))
}

fn s(j: &Json, k: &str) -> String {
    j.get(k).and_then(Json::str).unwrap_or_default().to_string()
}

#[test]
fn parse_example_explains_messages_then_the_error() {
    let input = b"POST /a?b HTTP/1.1\r\nHost: x\r\nSet-Cookie: a=1\r\nCookie: a\r\ncookie: b\r\n\
X-A: caf\xe9\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n\
GET / HTTP/1.1\r\nHost : x\r\n\r\n";
    let (lines, code) = run(&[], input);
    assert_eq!(code, 1);
    assert_eq!(lines.len(), 2);
    let m = &lines[0];
    assert_eq!(s(m, "method"), "POST");
    assert_eq!(s(m, "url"), "/a?b");
    assert_eq!(s(m, "httpVersion"), "1.1");
    assert_eq!(s(m, "body"), "abc");
    let headers = m.get("headers").expect("headers");
    assert_eq!(headers.get("cookie").and_then(Json::str), Some("a; b"));
    assert_eq!(headers.get("x-a").and_then(Json::str), Some("café"));
    assert_eq!(
        headers.get("set-cookie").map(Json::arr).map(<[Json]>::len),
        Some(1)
    );
    assert_eq!(
        m.get("rawHeaders").map(Json::arr).map(<[Json]>::len),
        Some(12)
    );
    assert_eq!(
        m.get("trailers")
            .and_then(|t| t.get("x-t"))
            .and_then(Json::str),
        Some("1")
    );
    let err = lines[1].get("error").expect("error object");
    assert_eq!(s(err, "code"), "HPE_INVALID_HEADER_TOKEN");
    assert!(err.get("offset").and_then(Json::num).is_some());
}

#[test]
fn parse_example_reads_responses_and_marks_upgrades() {
    let input = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi\
HTTP/1.1 101 Switching Protocols\r\nUpgrade: ws\r\nConnection: upgrade\r\n\r\nTUNNEL";
    let (lines, code) = run(&["--response"], input);
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].get("statusCode").and_then(Json::num), Some(200.0));
    assert_eq!(s(&lines[0], "statusMessage"), "OK");
    assert_eq!(s(&lines[0], "body"), "hi");
    assert_eq!(lines[1].get("upgrade").and_then(Json::bool), Some(true));
    assert!(lines[0].get("upgrade").is_none());
}
