//! Bytes past the end of a response (issue 9 §2): a keep-alive socket that holds them is
//! never pooled, so the next request cannot take them for its own response (pool
//! poisoning); and, as in Node 20, stray bytes are a parse error on the request that got
//! the response (`HPE_INVALID_CONSTANT`, `HPE_CLOSED_CONNECTION`), while a second whole
//! response is dropped without one. The origin sends each answer and its extra bytes in one
//! write. When Node 20 is on the machine, its client is run against the same origin and
//! must see the same.
mod common;

use std::sync::{Arc, Mutex};

use common::client::RawServer;
use common::node::{case, node_cases, node_is_20};
use stdhttp::{Agent, AgentChoice, AgentOptions, RequestOptions};

/// (case, the first answer with what follows it, the error Node reports, the body)
const CASES: &[(&str, &str, Option<&str>, &str)] = &[
    (
        "length-then-garbage",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA",
        Some("HPE_INVALID_CONSTANT"),
        "ok",
    ),
    (
        "two-responses",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecond",
        None,
        "ok",
    ),
    (
        "chunked-then-garbage",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nEXTRA",
        Some("HPE_INVALID_CONSTANT"),
        "ok",
    ),
    (
        "204-then-garbage",
        "HTTP/1.1 204 No Content\r\n\r\nEXTRA",
        Some("HPE_INVALID_CONSTANT"),
        "",
    ),
    (
        "304-then-garbage",
        "HTTP/1.1 304 Not Modified\r\n\r\nEXTRA",
        Some("HPE_INVALID_CONSTANT"),
        "",
    ),
    (
        "close-then-garbage",
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nokEXTRA",
        Some("HPE_CLOSED_CONNECTION"),
        "ok",
    ),
    (
        "head-with-body",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        Some("HPE_INVALID_CONSTANT"),
        "",
    ),
];

const NEXT: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext";

/// Answers `/CASE` with the case's bytes in one write, anything else with `next`.
fn origin() -> RawServer {
    RawServer::start(|c| {
        while let Some(head) = c.read_head() {
            let head = String::from_utf8_lossy(&head).into_owned();
            let path = head.split(' ').nth(1).unwrap_or("").trim_start_matches('/');
            match CASES.iter().find(|(name, ..)| *name == path) {
                Some((_, bytes, ..)) => c.write(bytes.as_bytes()),
                None => c.write(NEXT),
            }
        }
    })
}

struct Seen {
    error: Option<String>,
    body: String,
    next: String,
}

fn with_stdhttp(port: u16, name: &str) -> Seen {
    let agent = Agent::new(AgentOptions::new().keep_alive(true).max_sockets(1));
    let opts = |method: &str, path: &str| {
        RequestOptions::new()
            .hostname("127.0.0.1")
            .port(port)
            .method(method)
            .path(path)
            .agent(AgentChoice::Agent(agent.clone()))
    };
    let error = Arc::new(Mutex::new(None));
    let method = if name.starts_with("head") {
        "HEAD"
    } else {
        "GET"
    };
    let mut req = stdhttp::request(opts(method, &format!("/{name}"))).unwrap();
    let e = error.clone();
    req.on_error(move |err| *e.lock().unwrap() = Some(err.code().to_string()));
    let mut res = req.end(b"").unwrap();
    let body = res.text().unwrap();
    drop(res);
    let mut next = stdhttp::request(opts("GET", "/next"))
        .unwrap()
        .end(b"")
        .unwrap();
    let next = next.text().unwrap();
    let error = error.lock().unwrap().clone();
    Seen { error, body, next }
}

#[test]
fn bytes_past_a_response_never_reach_the_next_request_and_are_nodes_parse_error() {
    let origin = origin();
    for &(name, _, error, body) in CASES {
        let seen = with_stdhttp(origin.port(), name);
        assert_eq!(
            seen.error.as_deref(),
            error,
            "{name}: the error on the request"
        );
        assert_eq!(seen.body, body, "{name}: the response body is whole");
        assert_eq!(
            seen.next, "next",
            "{name}: the next request got the server's answer"
        );
    }
    // every case's socket was destroyed: each next request needed its own connection
    assert_eq!(origin.connections(), 2 * CASES.len());
}

#[test]
fn nodes_client_sees_the_same() {
    if !node_is_20() {
        eprintln!("NOTICE: skipping the Node comparison: `node` is not Node 20");
        return;
    }
    let origin = origin();
    let mut args = vec![origin.port().to_string()];
    args.extend(CASES.iter().map(|(name, ..)| name.to_string()));
    let lines = node_cases("leftover_client.js", &args);
    for &(name, _, error, body) in CASES {
        let line = case(&lines, name);
        let theirs = |k: &str| line.get(k).and_then(|v| v.str()).map(str::to_string);
        assert_eq!(theirs("error").as_deref(), error, "{name}: Node's error");
        assert_eq!(theirs("body").as_deref(), Some(body), "{name}: Node's body");
        assert_eq!(
            theirs("next").as_deref(),
            Some("next"),
            "{name}: Node's next"
        );
    }
}
