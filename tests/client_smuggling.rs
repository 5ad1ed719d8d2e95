//! The client never lets a request body be read as a further request: bodies on GET/DELETE/…
//! are framed, and a body that must go out unframed closes the connection (issue 9 §3).
//! Checked against stdhttp's own server through a keep-alive agent.
mod common;

use std::sync::{Arc, Mutex};

use common::client::OwnServer;
use stdhttp::{Agent, AgentChoice, AgentOptions, ClientRequest, RequestOptions};

const SMUGGLED: &[u8] = b"GET /admin HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/// A server recording `METHOD path (body)` per request it sees.
fn recording_server() -> (OwnServer, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let server = OwnServer::start(move |mut req, mut res| {
        let body = req.text().unwrap_or_default();
        s.lock().unwrap().push(format!(
            "{} {} ({} bytes)",
            req.method().unwrap_or(""),
            req.url(),
            body.len()
        ));
        res.end(b"ok").unwrap();
    });
    (server, seen)
}

fn keep_alive_agent() -> Agent {
    Agent::new(AgentOptions::new().keep_alive(true).max_sockets(1))
}

fn send(
    server: &OwnServer,
    agent: &Agent,
    method: &str,
    path: &str,
    body: impl FnOnce(&mut ClientRequest) -> &'static [u8],
) {
    let opts = RequestOptions::new()
        .hostname("127.0.0.1")
        .port(server.port)
        .method(method)
        .path(path)
        .agent(AgentChoice::Agent(agent.clone()));
    let mut req = stdhttp::request(opts).expect("request");
    let last = body(&mut req);
    let mut res = req.end(last).expect("response");
    assert_eq!(res.text().unwrap(), "ok");
}

fn after_a_follow_up(
    server: &OwnServer,
    agent: &Agent,
    seen: &Arc<Mutex<Vec<String>>>,
) -> Vec<String> {
    send(server, agent, "GET", "/next", |_| b"");
    let got = seen.lock().unwrap().clone();
    assert!(
        !got.iter().any(|r| r.contains("/admin")),
        "the body was read as a request: {got:?}"
    );
    got
}

#[test]
fn a_delete_body_that_looks_like_a_request_is_never_a_second_request() {
    let (server, seen) = recording_server();
    let agent = keep_alive_agent();
    send(&server, &agent, "DELETE", "/thing", |_| SMUGGLED);
    let got = after_a_follow_up(&server, &agent, &seen);
    let n = SMUGGLED.len();
    assert_eq!(
        got,
        [
            format!("DELETE /thing ({n} bytes)"),
            "GET /next (0 bytes)".into()
        ]
    );
    assert_eq!(
        server.connections(),
        1,
        "a framed body keeps the connection"
    );
}

#[test]
fn streamed_bodies_on_get_options_and_delete_are_framed() {
    for method in ["GET", "OPTIONS", "DELETE"] {
        let (server, seen) = recording_server();
        let agent = keep_alive_agent();
        send(&server, &agent, method, "/streamed", |req| {
            req.write(SMUGGLED).unwrap();
            b""
        });
        let got = after_a_follow_up(&server, &agent, &seen);
        let n = SMUGGLED.len();
        assert_eq!(
            got,
            [
                format!("{method} /streamed ({n} bytes)"),
                "GET /next (0 bytes)".into()
            ]
        );
    }
}

#[test]
fn an_unframed_body_closes_the_connection_instead() {
    let (server, seen) = recording_server();
    let agent = keep_alive_agent();
    send(&server, &agent, "POST", "/raw", |req| {
        req.remove_header("Content-Length").unwrap();
        req.remove_header("Transfer-Encoding").unwrap();
        SMUGGLED
    });
    let got = after_a_follow_up(&server, &agent, &seen);
    // the server reads no body (no framing) and closes after its answer: the follow-up
    // needs a new connection
    assert_eq!(got, ["POST /raw (0 bytes)", "GET /next (0 bytes)"]);
    assert_eq!(
        server.connections(),
        2,
        "the unframed body's connection was not reused"
    );
}

#[test]
fn a_user_transfer_coding_without_chunked_is_not_reused() {
    let (server, seen) = recording_server();
    let agent = keep_alive_agent();
    let opts = RequestOptions::new()
        .hostname("127.0.0.1")
        .port(server.port)
        .method("POST")
        .path("/gzip")
        .header("Transfer-Encoding", "gzip")
        .agent(AgentChoice::Agent(agent.clone()));
    let req = stdhttp::request(opts).unwrap();
    // the server refuses a request whose coding does not end in chunked (RFC 9112 §6.3)
    let refused = req.end(SMUGGLED).map(|r| r.status_code());
    assert!(matches!(refused, Ok(400) | Err(_)), "{refused:?}");
    let got = after_a_follow_up(&server, &agent, &seen);
    assert_eq!(got, ["GET /next (0 bytes)"]);
}

#[test]
fn a_client_write_past_the_high_water_mark_returns_false_and_drain_follows() {
    let (server, seen) = recording_server();
    let agent = keep_alive_agent();
    let drained = Arc::new(Mutex::new(0));
    let d = drained.clone();
    send(&server, &agent, "POST", "/big", move |req| {
        assert!(req.write(b"small").unwrap());
        assert!(!req.write(&vec![b'x'; 64 * 1024]).unwrap());
        req.on_drain(move || *d.lock().unwrap() += 1);
        b""
    });
    assert_eq!(*drained.lock().unwrap(), 1);
    assert_eq!(
        *seen.lock().unwrap(),
        [format!("POST /big ({} bytes)", 5 + 64 * 1024)]
    );
}
