//! The bytes the client puts on the wire (NODE-SEMANTICS §4.1, §4.2): URL form, Host,
//! Authorization, header order, the Connection header per agent, body framing, and the
//! option errors raised before anything is sent. Each expected string is what Node 20's
//! client sent for the same request (captured with a raw TCP server).

mod common;

use std::time::Duration;

use common::client::{Conn, RawServer};
use stdhttp::{
    request, Agent, AgentChoice, AgentOptions, ClientRequest, Error, IncomingMessage,
    RequestOptions,
};

const OK: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

/// A server that takes whatever the client sends within 150 ms, then answers `OK`.
fn capture_server() -> RawServer {
    RawServer::start(|c: &mut Conn| {
        let _ = c.read_for(Duration::from_millis(150));
        c.write(OK);
    })
}

/// Send one request made by `send` to a capture server; the bytes received, with the
/// server's port replaced by `{port}`.
fn wire(
    opts: impl FnOnce(u16) -> RequestOptions,
    send: impl FnOnce(ClientRequest) -> Result<IncomingMessage, Error>,
) -> String {
    let server = capture_server();
    let req = request(opts(server.port())).expect("request starts");
    let mut res = send(req).expect("response");
    assert_eq!(res.status_code(), 200);
    assert_eq!(res.text().unwrap(), "ok");
    String::from_utf8_lossy(&server.received(0)).replace(&server.port().to_string(), "{port}")
}

fn local(port: u16) -> RequestOptions {
    RequestOptions::new().host("127.0.0.1").port(port)
}

fn end(data: &'static [u8]) -> impl FnOnce(ClientRequest) -> Result<IncomingMessage, Error> {
    move |r| r.end(data)
}

#[test]
fn url_gives_path_and_query_drops_fragment_and_turns_userinfo_into_basic_auth() {
    let got = wire(
        |p| {
            RequestOptions::from_url(&format!("http://u%20ser:pw@127.0.0.1:{p}/u?q=1#frag"))
                .unwrap()
        },
        end(b""),
    );
    assert_eq!(
        got,
        "GET /u?q=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic dSBzZXI6cHc=\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn get_with_a_url_string() {
    let server = capture_server();
    let mut res = stdhttp::get(server.url("/x?y=%20").as_str()).unwrap();
    assert_eq!(res.text().unwrap(), "ok");
    let got = String::from_utf8_lossy(&server.received(0)).into_owned();
    assert!(got.starts_with("GET /x?y=%20 HTTP/1.1\r\n"), "{got:?}");
}

#[test]
fn https_is_err_invalid_protocol() {
    let e = request("https://127.0.0.1:1/").unwrap_err();
    assert_eq!(e.code(), "ERR_INVALID_PROTOCOL");
    assert_eq!(
        e.message(),
        r#"Protocol "https:" not supported. Expected "http:""#
    );
    assert_eq!(
        stdhttp::get("https://127.0.0.1:1/").unwrap_err().code(),
        "ERR_INVALID_PROTOCOL"
    );
}

#[test]
fn invalid_url_is_err_invalid_url() {
    assert_eq!(request("not a url").unwrap_err().code(), "ERR_INVALID_URL");
}

#[test]
fn unescaped_path_is_refused_before_connecting() {
    let server = capture_server();
    for path in ["/a b", "/a\tb", "/\u{100}"] {
        let e = request(local(server.port()).path(path)).unwrap_err();
        assert_eq!(e.code(), "ERR_UNESCAPED_CHARACTERS", "{path:?}");
        assert_eq!(e.message(), "Request path contains unescaped characters");
    }
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(server.connections(), 0);
}

#[test]
fn latin1_path_is_allowed() {
    let got = wire(|p| local(p).path("/caf\u{e9}"), end(b""));
    assert!(got.as_bytes().starts_with(b"GET /caf"), "{got:?}");
}

#[test]
fn bad_method_token_is_err_invalid_http_token() {
    let server = capture_server();
    let e = request(local(server.port()).method("BAD METHOD")).unwrap_err();
    assert_eq!(e.code(), "ERR_INVALID_HTTP_TOKEN");
    assert_eq!(
        e.message(),
        r#"Method must be a valid HTTP token ["BAD METHOD"]"#
    );
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(server.connections(), 0);
}

#[test]
fn bad_header_name_and_value_are_refused() {
    let server = capture_server();
    let e = request(local(server.port()).header("Bad Name", "v")).unwrap_err();
    assert_eq!(e.code(), "ERR_INVALID_HTTP_TOKEN");
    let e = request(local(server.port()).header("X", "a\r\nb")).unwrap_err();
    assert_eq!(e.code(), "ERR_INVALID_CHAR");
}

#[test]
fn lower_case_method_is_upper_cased_and_unknown_tokens_pass() {
    let got = wire(|p| local(p).method("post").path("/p"), end(b"abc"));
    assert!(got.starts_with("POST /p HTTP/1.1\r\n"), "{got:?}");
    let got = wire(
        |p| local(p).method("FOO").agent(AgentChoice::Unpooled),
        end(b""),
    );
    assert_eq!(
        got,
        "FOO / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    );
}

#[test]
fn header_order_user_headers_host_authorization_connection_length() {
    let got = wire(
        |p| {
            local(p)
                .method("post")
                .path("/p")
                .auth("a:b")
                .agent(AgentChoice::Unpooled)
                .header("X-A", "1")
                .header("x-b", "2")
        },
        end(b"abc"),
    );
    assert_eq!(
        got,
        "POST /p HTTP/1.1\r\nX-A: 1\r\nx-b: 2\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Basic YTpi\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc"
    );
}

#[test]
fn headers_set_on_the_request_come_after_host_as_in_node() {
    let got = wire(
        |p| local(p).agent(AgentChoice::Unpooled),
        |mut r| {
            r.set_header("X-One", "1").unwrap();
            r.set_header("X-Two", vec!["a", "b"]).unwrap();
            r.end(b"")
        },
    );
    assert_eq!(
        got,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-One: 1\r\nX-Two: a\r\nX-Two: b\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn host_and_authorization_are_request_headers() {
    let server = capture_server();
    let mut req = request(
        local(server.port())
            .auth("a:b")
            .agent(AgentChoice::Unpooled),
    )
    .unwrap();
    let host = format!("127.0.0.1:{}", server.port());
    assert_eq!(
        req.get_header("host").and_then(|v| v.as_str()),
        Some(host.as_str())
    );
    assert_eq!(
        req.get_header("authorization").and_then(|v| v.as_str()),
        Some("Basic YTpi")
    );
    // removing them sends neither
    req.remove_header("Host").unwrap();
    req.remove_header("Authorization").unwrap();
    let _ = req.end(b"").unwrap().text();
    assert_eq!(
        String::from_utf8_lossy(&server.received(0)),
        "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn user_host_header_wins_and_keeps_its_case() {
    let got = wire(
        |p| {
            local(p)
                .agent(AgentChoice::Unpooled)
                .header("host", "example.com")
                .header("X-Z", "z")
        },
        end(b""),
    );
    assert_eq!(
        got,
        "GET / HTTP/1.1\r\nhost: example.com\r\nX-Z: z\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn set_host_false_sends_no_host() {
    let got = wire(
        |p| local(p).set_host(false).agent(AgentChoice::Unpooled),
        end(b""),
    );
    assert_eq!(got, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
}

#[test]
fn host_omits_the_port_when_it_is_the_default_port() {
    let got = wire(
        |p| local(p).default_port(p).agent(AgentChoice::Unpooled),
        end(b""),
    );
    assert_eq!(
        got,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn ipv6_host_is_bracketed() {
    let Ok(listener) = std::net::TcpListener::bind("[::1]:0") else {
        eprintln!("NOTICE: no IPv6 loopback: ipv6_host_is_bracketed skipped");
        return;
    };
    let port = listener.local_addr().unwrap().port();
    let t = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while let Ok(n) = s.read(&mut buf) {
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
            if got.ends_with(b"\r\n\r\n") {
                break;
            }
        }
        s.write_all(OK).unwrap();
        String::from_utf8(got).unwrap()
    });
    let opts = RequestOptions::new()
        .hostname("::1")
        .port(port)
        .agent(AgentChoice::Unpooled);
    let mut res = stdhttp::get(opts).unwrap();
    assert_eq!(res.text().unwrap(), "ok");
    let got = t.join().unwrap();
    assert_eq!(
        got,
        format!("GET / HTTP/1.1\r\nHost: [::1]:{port}\r\nConnection: close\r\n\r\n")
    );
    // the URL form too
    let opts = RequestOptions::from_url(&format!("http://[::1]:{port}/")).unwrap();
    assert_eq!(
        opts.host_header().as_deref(),
        Some(format!("[::1]:{port}").as_str())
    );
}

fn with_agent(o: AgentOptions) -> impl FnOnce(u16) -> RequestOptions {
    move |p| local(p).agent(AgentChoice::Agent(Agent::new(o)))
}

#[test]
fn connection_close_without_agent_and_for_the_default_agent_options() {
    let close = "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n";
    assert_eq!(
        wire(|p| local(p).agent(AgentChoice::Unpooled), end(b"")),
        close
    );
    assert_eq!(wire(with_agent(AgentOptions::default()), end(b"")), close);
    // the global agent has the seed defaults (keep-alive off, unlimited sockets)
    assert_eq!(wire(local, end(b"")), close);
}

#[test]
fn connection_keep_alive_for_keep_alive_or_bounded_agents() {
    let ka = "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: keep-alive\r\n\r\n";
    let keep = AgentOptions::new().keep_alive(true);
    assert_eq!(wire(with_agent(keep), end(b"")), ka);
    let bounded = AgentOptions::new().max_sockets(2);
    assert_eq!(wire(with_agent(bounded), end(b"")), ka);
}

#[test]
fn user_connection_header_is_sent_as_is() {
    let keep = AgentOptions::new().keep_alive(true);
    let got = wire(
        move |p| with_agent(keep)(p).header("Connection", "close"),
        end(b""),
    );
    assert_eq!(
        got,
        "GET / HTTP/1.1\r\nConnection: close\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    );
}

fn no_agent(method: &'static str) -> impl FnOnce(u16) -> RequestOptions {
    move |p| local(p).method(method).agent(AgentChoice::Unpooled)
}

/// Node sends these bodies with no framing header (a server keeping the connection would
/// read them as further requests); stdhttp frames them.
#[test]
fn bodies_on_get_and_delete_are_framed() {
    let got = wire(no_agent("GET"), |mut r| {
        r.write(b"x").unwrap();
        r.end(b"y")
    });
    assert_eq!(
        got,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n1\r\ny\r\n0\r\n\r\n"
    );
    let got = wire(no_agent("GET"), end(b"y"));
    assert_eq!(
        got,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: 1\r\n\r\ny"
    );
    let got = wire(no_agent("DELETE"), end(b"zz"));
    assert_eq!(
        got,
        "DELETE / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: 2\r\n\r\nzz"
    );
    // an empty body keeps Node's bytes: no framing header
    let got = wire(no_agent("DELETE"), end(b""));
    assert_eq!(
        got,
        "DELETE / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
}

fn with_agent_keep_alive() -> impl FnOnce(u16) -> RequestOptions {
    move |p| with_agent(AgentOptions::new().keep_alive(true))(p).method("POST")
}

#[test]
fn a_removed_length_falls_back_to_chunked_and_an_unframed_body_says_close() {
    let got = wire(with_agent_keep_alive(), |mut r| {
        r.remove_header("Content-Length").unwrap();
        r.end(b"abc")
    });
    assert_eq!(
        got,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: keep-alive\r\n\
         Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    );
    let got = wire(with_agent_keep_alive(), |mut r| {
        r.remove_header("Content-Length").unwrap();
        r.remove_header("Transfer-Encoding").unwrap();
        r.end(b"abc")
    });
    assert_eq!(
        got,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\nabc"
    );
    // the user's own `Connection: keep-alive` cannot keep an unframed body's connection
    let got = wire(with_agent_keep_alive(), |mut r| {
        r.set_header("Connection", "keep-alive").unwrap();
        r.set_header("Transfer-Encoding", "gzip").unwrap();
        r.end(b"abc")
    });
    assert_eq!(
        got,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: keep-alive\r\n\
         Transfer-Encoding: gzip\r\nConnection: close\r\n\r\nabc"
    );
}

#[test]
fn a_body_after_a_get_head_sent_without_framing_is_refused() {
    let got = wire(no_agent("GET"), |mut r| {
        r.flush_headers().unwrap();
        let e = r.write(b"x").unwrap_err();
        assert_eq!(e.code(), "ERR_HTTP_BODY_NOT_ALLOWED");
        r.end(b"")
    });
    assert_eq!(
        got,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
}

#[test]
fn post_end_without_data_sends_content_length_zero() {
    for m in ["POST", "PUT"] {
        let got = wire(no_agent(m), end(b""));
        assert_eq!(
            got,
            format!("{m} / HTTP/1.1\r\nHost: 127.0.0.1:{{port}}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        );
    }
}

#[test]
fn post_end_with_data_sends_content_length() {
    let got = wire(no_agent("POST"), end(b"hello"));
    assert_eq!(
        got,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello"
    );
}

#[test]
fn post_write_then_end_is_chunked() {
    let got = wire(no_agent("POST"), |mut r| {
        r.write(b"x").unwrap();
        r.end(b"y")
    });
    assert_eq!(
        got,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n1\r\ny\r\n0\r\n\r\n"
    );
}

#[test]
fn io_write_streams_chunks() {
    let got = wire(no_agent("POST"), |mut r| {
        use std::io::Write;
        r.write_all(b"abc").unwrap();
        r.end(b"")
    });
    assert!(
        got.ends_with("Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
        "{got:?}"
    );
}

#[test]
fn flush_headers_sends_the_head_now_and_chunks() {
    let server = capture_server();
    let mut req = request(no_agent("POST")(server.port())).unwrap();
    req.flush_headers().unwrap();
    assert!(req.headers_sent());
    let head = server.head_of(0);
    assert_eq!(
        head.replace(&server.port().to_string(), "{port}"),
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let mut res = req.end(b"").unwrap();
    assert_eq!(res.text().unwrap(), "ok");
    assert!(String::from_utf8_lossy(&server.received(0)).ends_with("\r\n\r\n0\r\n\r\n"));
}

#[test]
fn user_content_length_is_kept_and_no_chunking() {
    let got = wire(no_agent("POST"), |mut r| {
        r.set_header("Content-Length", 2).unwrap();
        r.write(b"a").unwrap();
        r.end(b"b")
    });
    assert_eq!(
        got,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab"
    );
}

#[test]
fn chunked_trailers_go_after_the_last_chunk() {
    let got = wire(no_agent("POST"), |mut r| {
        r.set_header("Trailer", "X-Sum").unwrap();
        r.write(b"ab").unwrap();
        r.add_trailers(&[("X-Sum", "3")]).unwrap();
        r.end(b"")
    });
    assert!(
        got.ends_with("\r\n\r\n2\r\nab\r\n0\r\nX-Sum: 3\r\n\r\n"),
        "{got:?}"
    );
}

#[test]
fn write_after_end_is_impossible_and_headers_after_send_fail() {
    let server = capture_server();
    let mut req = request(no_agent("POST")(server.port())).unwrap();
    req.write(b"a").unwrap();
    let e = req.set_header("X-Late", "1").unwrap_err();
    assert_eq!(e.code(), "ERR_HTTP_HEADERS_SENT");
    let _ = req.end(b"").unwrap().text();
}

#[test]
fn expect_continue_head_is_sent_at_once_and_chunked() {
    let server = RawServer::start(|c| {
        let _ = c.read_head();
        c.write(b"HTTP/1.1 100 Continue\r\n\r\n");
        let _ = c.read_until(b"0\r\n\r\n");
        c.write(OK);
    });
    let opts = no_agent("POST")(server.port()).header("Expect", "100-continue");
    let req = request(opts).unwrap();
    // the head is out before any body is written
    let head = server.head_of(0);
    assert_eq!(
        head.replace(&server.port().to_string(), "{port}"),
        "POST / HTTP/1.1\r\nExpect: 100-continue\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let mut res = req.end(b"data").unwrap();
    assert_eq!(res.text().unwrap(), "ok");
    let all = String::from_utf8_lossy(&server.received(0)).into_owned();
    assert!(all.ends_with("\r\n\r\n4\r\ndata\r\n0\r\n\r\n"), "{all:?}");
}

/// Node 20 sends the head at once for any `Expect` (not only `100-continue`).
#[test]
fn any_expect_header_sends_the_head_before_the_body() {
    let server = RawServer::start(|c: &mut Conn| {
        let _ = c.read_for(Duration::from_millis(400));
        c.write(OK);
    });
    let req = request(local(server.port()).method("POST").header("Expect", "foo")).unwrap();
    let head = server.received_at_least(0, 20);
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("POST / HTTP/1.1\r\n"), "{head:?}");
    assert!(head.contains("Expect: foo\r\n"), "{head:?}");
    assert!(req.headers_sent());
    drop(req);
}
