//! Client events and errors (NODE-SEMANTICS §4.3, §4.5): event order, connection errors,
//! 100-continue, 1xx, upgrade and CONNECT, timeout, abort() and destroy().

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::client::{Events, OwnServer, RawServer};
use stdhttp::{request, AgentChoice, RequestOptions, Socket};

fn opts(port: u16) -> RequestOptions {
    RequestOptions::new()
        .host("127.0.0.1")
        .port(port)
        .agent(AgentChoice::Unpooled)
}

#[test]
fn success_order_socket_finish_response_end_close() {
    let server = OwnServer::start(|_req, mut res| {
        let _ = res.end(b"hello");
    });
    let ev = Events::default();
    let mut req = request(opts(server.port)).unwrap();
    req.on_socket({
        let ev = ev.clone();
        move |_| ev.push("socket")
    });
    req.on_finish(ev.hook("finish"));
    req.on_error({
        let ev = ev.clone();
        move |e| ev.push(format!("error {}", e.code()))
    });
    req.on_close(ev.hook("close"));
    req.on_response({
        let ev = ev.clone();
        move |res| {
            ev.push("response");
            res.on_end(ev.hook("res end"));
            res.on_close(ev.hook("res close"));
        }
    });
    let mut res = req.end(b"").unwrap();
    assert_eq!(res.text().unwrap(), "hello");
    drop(res);
    assert_eq!(
        ev.get(),
        [
            "socket",
            "finish",
            "response",
            "res end",
            "res close",
            "close"
        ]
    );
}

#[test]
fn close_fires_once_the_response_is_dropped_unread() {
    let server = OwnServer::start(|_req, mut res| {
        let _ = res.end(b"hello");
    });
    let ev = Events::default();
    let mut req = request(opts(server.port)).unwrap();
    req.on_close(ev.hook("close"));
    let res = req.end(b"").unwrap();
    drop(res);
    assert_eq!(ev.get(), ["close"]);
}

#[test]
fn econnrefused_names_the_address() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let e = request(opts(port)).unwrap_err();
    assert_eq!(e.code(), "ECONNREFUSED");
    assert_eq!(
        e.message(),
        format!("connect ECONNREFUSED 127.0.0.1:{port}")
    );
    let e = stdhttp::get(format!("http://127.0.0.1:{port}/").as_str()).unwrap_err();
    assert_eq!(e.code(), "ECONNREFUSED");
}

#[test]
fn server_closing_before_a_response_is_socket_hang_up() {
    let server = RawServer::start(|c| {
        let _ = c.read_head();
    });
    let ev = Events::default();
    let mut req = request(opts(server.port())).unwrap();
    req.on_error({
        let ev = ev.clone();
        move |e| ev.push(format!("error {} {}", e.code(), e.message()))
    });
    req.on_close(ev.hook("close"));
    let e = req.end(b"").unwrap_err();
    assert_eq!((e.code(), e.message()), ("ECONNRESET", "socket hang up"));
    assert_eq!(ev.get(), ["error ECONNRESET socket hang up", "close"]);
}

fn reply_with(bytes: &'static [u8]) -> RawServer {
    RawServer::start(move |c| {
        let _ = c.read_head();
        c.write(bytes);
    })
}

#[test]
fn malformed_responses_give_hpe_codes() {
    let cases: [(&[u8], &str); 4] = [
        (b"garbage\r\n\r\n", "HPE_INVALID_CONSTANT"),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            "HPE_INVALID_CONTENT_LENGTH",
        ),
        (
            b"HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n",
            "HPE_INVALID_HEADER_TOKEN",
        ),
        (b"HTTP/1.1 1000 OK\r\n\r\n", "HPE_INVALID_STATUS"),
    ];
    for (bytes, code) in cases {
        let server = reply_with(bytes);
        let ev = Events::default();
        let mut req = request(opts(server.port())).unwrap();
        req.on_error({
            let ev = ev.clone();
            move |e| ev.push(format!("error {}", e.code()))
        });
        req.on_close(ev.hook("close"));
        let e = req.end(b"").unwrap_err();
        assert_eq!(e.code(), code, "{:?}", String::from_utf8_lossy(bytes));
        assert!(e.message().starts_with("Parse Error: "), "{}", e.message());
        assert_eq!(ev.get(), [format!("error {code}"), "close".into()]);
    }
    let server = reply_with(b"garbage\r\n\r\n");
    let e = request(opts(server.port())).unwrap().end(b"").unwrap_err();
    assert_eq!(e.message(), "Parse Error: Expected HTTP/, RTSP/ or ICE/");
}

#[test]
fn response_header_overflow_respects_max_header_size() {
    let server = RawServer::start(|c| {
        let _ = c.read_head();
        let big = format!("HTTP/1.1 200 OK\r\nX-Big: {}\r\n\r\n", "a".repeat(2000));
        c.write(big.as_bytes());
    });
    let e = request(opts(server.port()).max_header_size(1024))
        .unwrap()
        .end(b"")
        .unwrap_err();
    assert_eq!(e.code(), "HPE_HEADER_OVERFLOW");
}

#[test]
fn body_cut_short_fails_the_read_with_aborted() {
    let server = reply_with(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    let ev = Events::default();
    let mut res = request(opts(server.port())).unwrap().end(b"").unwrap();
    res.on_error({
        let ev = ev.clone();
        move |e| ev.push(format!("res error {} {}", e.code(), e.message()))
    });
    res.on_close(ev.hook("res close"));
    let mut body = Vec::new();
    let err = res.read_to_end(&mut body).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset);
    assert_eq!(body, b"abc");
    let e = res.error().expect("the error is kept");
    assert_eq!((e.code(), e.message()), ("ECONNRESET", "aborted"));
    assert!(!res.complete());
    assert_eq!(ev.get(), ["res error ECONNRESET aborted", "res close"]);
    // text() reports the same error
    let server = reply_with(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    let mut res = request(opts(server.port())).unwrap().end(b"").unwrap();
    assert_eq!(res.text().unwrap_err().code(), "ECONNRESET");
}

#[test]
fn chunked_body_cut_short_fails_too() {
    let server = reply_with(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    let mut res = request(opts(server.port())).unwrap().end(b"").unwrap();
    let e = res.text().unwrap_err();
    assert_eq!((e.code(), e.message()), ("ECONNRESET", "aborted"));
}

// ---------------------------------------------------------------------------------------
// Expect: 100-continue and 1xx

#[test]
fn continue_sends_the_body_only_after_100() {
    let early = Arc::new(Mutex::new(Vec::new()));
    let server = {
        let early = early.clone();
        RawServer::start(move |c| {
            let _ = c.read_head();
            // nothing may follow the head until the 100
            *early.lock().unwrap() = c.read_for(Duration::from_millis(300));
            c.write(b"HTTP/1.1 100 Continue\r\n\r\n");
            let body = c.read_until(b"0\r\n\r\n");
            let reply = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
            c.write(reply.as_bytes());
            c.write(&body);
        })
    };
    let ev = Events::default();
    let mut req = request(
        opts(server.port())
            .method("POST")
            .header("Expect", "100-continue"),
    )
    .unwrap();
    req.on_continue(ev.hook("continue"));
    req.on_information({
        let ev = ev.clone();
        move |m| ev.push(format!("information {}", m.status_code()))
    });
    req.on_response({
        let ev = ev.clone();
        move |_| ev.push("response")
    });
    let mut res = req.end(b"data").unwrap();
    assert_eq!(res.text().unwrap(), "4\r\ndata\r\n0\r\n\r\n");
    assert!(early.lock().unwrap().is_empty(), "body sent before 100");
    assert_eq!(ev.get(), ["continue", "information 100", "response"]);
}

#[test]
fn continue_with_a_final_status_instead_skips_the_body() {
    let after = Arc::new(Mutex::new(None));
    let server = {
        let after = after.clone();
        RawServer::start(move |c| {
            let _ = c.read_head();
            c.write(b"HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n");
            *after.lock().unwrap() = Some(c.read_for(Duration::from_millis(300)));
        })
    };
    let ev = Events::default();
    let mut req = request(
        opts(server.port())
            .method("POST")
            .header("Expect", "100-continue"),
    )
    .unwrap();
    req.on_continue(ev.hook("continue"));
    let res = req.end(b"data").unwrap();
    assert_eq!(res.status_code(), 417);
    let deadline = Instant::now() + Duration::from_secs(3);
    while after.lock().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let after = after.lock().unwrap().clone().unwrap();
    assert!(
        !String::from_utf8_lossy(&after).contains("data"),
        "body sent after a final status: {after:?}"
    );
    assert!(ev.get().is_empty());
}

#[test]
fn continue_never_answered_sends_the_body_after_the_continue_timeout() {
    let arrived = Arc::new(Mutex::new(None));
    let server = {
        let arrived = arrived.clone();
        RawServer::start(move |c| {
            let _ = c.read_head();
            let t0 = Instant::now();
            let body = c.read_until(b"0\r\n\r\n");
            *arrived.lock().unwrap() = Some((t0.elapsed(), body));
            c.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        })
    };
    let req = request(
        opts(server.port())
            .method("POST")
            .header("Expect", "100-continue"),
    )
    .unwrap();
    let mut res = req.end(b"data").unwrap();
    assert_eq!(res.text().unwrap(), "ok");
    let (waited, body) = arrived.lock().unwrap().clone().unwrap();
    assert_eq!(body, b"4\r\ndata\r\n0\r\n\r\n");
    assert_eq!(stdhttp::CONTINUE_TIMEOUT_MS, 1000);
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[test]
fn continue_against_stdhttp_server() {
    let server = OwnServer::start(|mut req, mut res| {
        let body = req.text().unwrap();
        let _ = res.end(body.as_bytes());
    });
    let ev = Events::default();
    let mut req = request(
        opts(server.port)
            .method("PUT")
            .header("Expect", "100-continue"),
    )
    .unwrap();
    req.on_continue(ev.hook("continue"));
    let mut res = req.end(b"payload").unwrap();
    assert_eq!(res.text().unwrap(), "payload");
    assert_eq!(ev.get(), ["continue"]);
}

#[test]
fn informational_responses_come_before_the_final_one() {
    let server = reply_with(
        b"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    );
    let ev = Events::default();
    let mut req = request(opts(server.port())).unwrap();
    req.on_continue(ev.hook("continue"));
    req.on_information({
        let ev = ev.clone();
        move |m| {
            ev.push(format!(
                "information {} {:?}",
                m.status_code(),
                m.headers().get_str("link")
            ))
        }
    });
    req.on_response({
        let ev = ev.clone();
        move |r| ev.push(format!("response {}", r.status_code()))
    });
    let mut res = req.end(b"").unwrap();
    assert_eq!(res.text().unwrap(), "ok");
    assert_eq!(
        ev.get(),
        [
            "information 102 None",
            "information 103 Some(\"</a.css>; rel=preload\")",
            "response 200"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// upgrade and CONNECT

fn tunnel_server(answer: &'static [u8]) -> RawServer {
    RawServer::start(move |c| {
        let _ = c.read_head();
        c.write(answer);
        // echo what the client sends on the tunnel, until it closes
        let got = c.read_n(4);
        c.write(&got);
    })
}

type Tunnel = Arc<Mutex<Option<(u16, Socket, Vec<u8>)>>>;

#[test]
fn upgrade_hands_over_the_socket_with_the_head_bytes() {
    let server = tunnel_server(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nHEAD",
    );
    let got: Tunnel = Arc::default();
    let mut req = request(
        opts(server.port())
            .header("Connection", "Upgrade")
            .header("Upgrade", "echo"),
    )
    .unwrap();
    req.on_upgrade({
        let got = got.clone();
        move |res, socket, head| *got.lock().unwrap() = Some((res.status_code(), socket, head))
    });
    let res = req.end(b"").unwrap();
    assert_eq!(res.status_code(), 101);
    let (status, mut socket, head) = got.lock().unwrap().take().expect("upgrade listener ran");
    assert_eq!((status, head.as_slice()), (101, &b"HEAD"[..]));
    socket.write_all(b"ping").unwrap();
    let mut back = [0u8; 4];
    socket.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"ping");
    let sent = String::from_utf8_lossy(&server.received(0)).into_owned();
    assert!(
        sent.starts_with("GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: echo\r\nHost: "),
        "{sent:?}"
    );
}

#[test]
fn upgrade_without_a_listener_closes_the_socket() {
    let closed = Arc::new(Mutex::new(None));
    let server = {
        let closed = closed.clone();
        RawServer::start(move |c| {
            let _ = c.read_head();
            c.write(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n",
            );
            *closed.lock().unwrap() = Some(c.wait_eof());
        })
    };
    let ev = Events::default();
    let mut req = request(
        opts(server.port())
            .header("Connection", "Upgrade")
            .header("Upgrade", "echo"),
    )
    .unwrap();
    req.on_error({
        let ev = ev.clone();
        move |e| ev.push(format!("error {}", e.code()))
    });
    let res = req.end(b"").unwrap();
    assert_eq!(res.status_code(), 101);
    assert!(res.socket().is_destroyed());
    let deadline = Instant::now() + Duration::from_secs(6);
    while closed.lock().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(*closed.lock().unwrap(), Some(true), "server saw the close");
    assert!(ev.get().is_empty(), "no error: {:?}", ev.get());
}

#[test]
fn upgrade_against_stdhttp_server() {
    let server = OwnServer::start(|_req, mut res| {
        let _ = res.end(b"not upgraded");
    });
    server
        .server
        .on_upgrade(|_req, mut socket: Socket, head: Vec<u8>| {
            let _ = socket.write_all(
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n",
            );
            let _ = socket.write_all(&head);
            let mut b = [0u8; 4];
            if socket.read_exact(&mut b).is_ok() {
                let _ = socket.write_all(&b);
            }
        });
    let got: Tunnel = Arc::default();
    let mut req = request(
        opts(server.port)
            .header("Connection", "Upgrade")
            .header("Upgrade", "echo"),
    )
    .unwrap();
    req.on_upgrade({
        let got = got.clone();
        move |res, socket, head| *got.lock().unwrap() = Some((res.status_code(), socket, head))
    });
    req.end(b"").unwrap();
    let (status, mut socket, head) = got.lock().unwrap().take().unwrap();
    assert_eq!(status, 101);
    assert!(head.is_empty());
    socket.write_all(b"pong").unwrap();
    let mut back = [0u8; 4];
    socket.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"pong");
}

#[test]
fn connect_hands_over_the_tunnel() {
    let server = tunnel_server(b"HTTP/1.1 200 Connection Established\r\n\r\nhi");
    let got: Tunnel = Arc::default();
    let mut req = request(
        opts(server.port())
            .method("CONNECT")
            .path("example.com:443"),
    )
    .unwrap();
    req.on_connect({
        let got = got.clone();
        move |res, socket, head| *got.lock().unwrap() = Some((res.status_code(), socket, head))
    });
    let res = req.end(b"").unwrap();
    assert_eq!(res.status_code(), 200);
    let (status, mut socket, head) = got.lock().unwrap().take().expect("connect listener ran");
    assert_eq!((status, head.as_slice()), (200, &b"hi"[..]));
    socket.write_all(b"tls?").unwrap();
    let mut back = [0u8; 4];
    socket.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"tls?");
    let sent = String::from_utf8_lossy(&server.received(0)).into_owned();
    assert!(
        sent.starts_with("CONNECT example.com:443 HTTP/1.1\r\n"),
        "{sent:?}"
    );
}

#[test]
fn connect_without_a_listener_closes_the_socket() {
    let server = tunnel_server(b"HTTP/1.1 200 Connection Established\r\n\r\n");
    let req = request(
        opts(server.port())
            .method("CONNECT")
            .path("example.com:443"),
    )
    .unwrap();
    let res = req.end(b"").unwrap();
    assert!(res.socket().is_destroyed());
}

#[test]
fn connect_refused_by_the_proxy_goes_to_the_connect_listener_too() {
    // Node 20 hands every final answer to CONNECT (403 included) to 'connect', with the
    // bytes after the head; checked with Node 20.20
    let server = reply_with(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\n\r\nno");
    let got: Tunnel = Arc::default();
    let mut req = request(
        opts(server.port())
            .method("CONNECT")
            .path("example.com:443"),
    )
    .unwrap();
    req.on_connect({
        let got = got.clone();
        move |res, socket, head| *got.lock().unwrap() = Some((res.status_code(), socket, head))
    });
    let res = req.end(b"").unwrap();
    assert_eq!(res.status_code(), 403);
    let (status, _socket, head) = got.lock().unwrap().take().expect("connect listener ran");
    assert_eq!((status, head.as_slice()), (403, &b"no"[..]));
}

// ---------------------------------------------------------------------------------------
// timeout, abort, destroy

fn slow_server(ms: u64) -> RawServer {
    RawServer::start(move |c| {
        let _ = c.read_head();
        std::thread::sleep(Duration::from_millis(ms));
        c.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nlate");
    })
}

#[test]
fn set_timeout_emits_timeout_and_does_not_abort() {
    let server = slow_server(700);
    let ev = Events::default();
    let mut req = request(opts(server.port())).unwrap();
    req.set_timeout(200, Some(Box::new(ev.hook("timeout cb"))));
    req.on_error({
        let ev = ev.clone();
        move |e| ev.push(format!("error {}", e.code()))
    });
    let mut res = req.end(b"").unwrap();
    assert_eq!(res.text().unwrap(), "late");
    // once for the whole 700 ms silence, as Node 20 (not every 200 ms)
    assert_eq!(ev.get(), ["timeout cb"]);
}

#[test]
fn timeout_option_emits_on_timeout() {
    let server = slow_server(500);
    let ev = Events::default();
    let mut req = request(opts(server.port()).timeout(150)).unwrap();
    req.on_timeout(ev.hook("timeout"));
    let mut res = req.end(b"").unwrap();
    assert_eq!(res.text().unwrap(), "late");
    assert!(ev.get().contains(&"timeout".to_string()));
}

#[test]
fn destroy_from_the_timeout_listener_ends_the_request() {
    let server = slow_server(2000);
    let mut req = request(opts(server.port()).timeout(150)).unwrap();
    let socket = req.socket().unwrap().clone();
    req.on_timeout(move || socket.destroy());
    let t0 = Instant::now();
    let e = req.end(b"").unwrap_err();
    assert_eq!(e.code(), "ECONNRESET");
    assert!(t0.elapsed() < Duration::from_millis(1500));
}

#[test]
fn abort_emits_abort_then_econnreset_then_close_as_node_20() {
    let server = RawServer::start(|c| {
        let _ = c.read_head();
        let _ = c.wait_eof();
    });
    let ev = Events::default();
    let mut req = request(opts(server.port())).unwrap();
    req.on_error({
        let ev = ev.clone();
        move |e| ev.push(format!("error {}", e.code()))
    });
    req.on_close(ev.hook("close"));
    req.on_abort(ev.hook("abort"));
    req.flush_headers().unwrap();
    req.abort();
    req.abort();
    let order = ["abort", "error ECONNRESET", "close"];
    assert_eq!(ev.get(), order);
    assert!(req.end(b"").is_err());
    assert_eq!(ev.get(), order);
}

#[test]
fn destroy_emits_econnreset_then_close_once() {
    let closed = Arc::new(Mutex::new(None));
    let server = {
        let closed = closed.clone();
        RawServer::start(move |c| {
            *closed.lock().unwrap() = Some(c.wait_eof());
        })
    };
    let ev = Events::default();
    let mut req = request(opts(server.port())).unwrap();
    req.on_error({
        let ev = ev.clone();
        move |e| ev.push(format!("error {} {}", e.code(), e.message()))
    });
    req.on_close(ev.hook("close"));
    req.destroy();
    req.destroy();
    assert_eq!(ev.get(), ["error ECONNRESET socket hang up", "close"]);
    let deadline = Instant::now() + Duration::from_secs(6);
    while closed.lock().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(*closed.lock().unwrap(), Some(true));
    assert!(req.write(b"x").is_err());
}

#[test]
fn set_no_delay_and_socket_keep_alive_work_on_the_socket() {
    let server = reply_with(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let req = request(opts(server.port())).unwrap();
    req.set_no_delay(true).unwrap();
    req.set_socket_keep_alive(true, 1000).unwrap();
    assert_eq!(req.end(b"").unwrap().status_code(), 200);
}

#[test]
#[allow(deprecated)]
fn create_client_makes_requests_to_its_origin() {
    let server = OwnServer::start(|req, mut res| {
        let _ = res.end(format!("{} {}", req.method().unwrap(), req.url()).as_bytes());
    });
    let client = stdhttp::create_client(server.port, "127.0.0.1");
    let mut res = client
        .request("PUT", "/x", &[("X-A", "1")])
        .unwrap()
        .end(b"b")
        .unwrap();
    assert_eq!(res.text().unwrap(), "PUT /x");
}
