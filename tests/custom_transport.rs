//! Streams of the user's own under the server and the client: a transport that XORs every
//! byte with a key (standing in for TLS) carries keep-alive, pipelined, upgraded and
//! CONNECT traffic through `Server::listen_with` and `AgentOptions::create_connection`;
//! `Socket::pair` runs a server and a client with no socket at all.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use stdhttp::{
    Agent, AgentChoice, AgentOptions, IncomingMessage, RequestOptions, Server, ServerResponse,
    Socket, Transport,
};

const KEY: u8 = 0x5a;
const PATIENCE: Duration = Duration::from_secs(5);

/// TCP with every byte XORed with [`KEY`] both ways: a plain HTTP peer cannot read it.
struct Xor(TcpStream);

impl Transport for Xor {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (&self.0).read(buf)?;
        buf[..n].iter_mut().for_each(|b| *b ^= KEY);
        Ok(n)
    }
    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        let coded: Vec<u8> = buf.iter().map(|b| b ^ KEY).collect();
        (&self.0).write(&coded)
    }
    fn set_read_timeout(&self, ms: u64) -> io::Result<()> {
        self.0
            .set_read_timeout((ms > 0).then(|| Duration::from_millis(ms)))
    }
    fn set_write_timeout(&self, ms: u64) -> io::Result<()> {
        self.0
            .set_write_timeout((ms > 0).then(|| Duration::from_millis(ms)))
    }
    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.0.shutdown(how)
    }
    fn peer(&self) -> Option<String> {
        self.0.peer_addr().ok().map(|a| a.to_string())
    }
}

fn xor(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().map(|b| b ^ KEY).collect()
}

/// A server whose listener wraps every accepted connection in [`Xor`]; counts accepts.
struct XorServer {
    server: Server,
    port: u16,
    accepted: Arc<AtomicUsize>,
}

impl Drop for XorServer {
    fn drop(&mut self) {
        self.server.close_all_connections();
        let _ = self.server.close();
    }
}

fn xor_server(
    setup: impl FnOnce(&Server),
    handler: impl Fn(IncomingMessage, ServerResponse) + Send + Sync + 'static,
) -> XorServer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // accept in 50 ms slices so the loop sees `close` soon
    listener.set_nonblocking(true).unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let server = Server::new();
    setup(&server);
    server.on_request(handler);
    let count = accepted.clone();
    server
        .listen_with(move || match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false)?;
                count.fetch_add(1, Ordering::SeqCst);
                Ok(Socket::from_transport(Xor(s)))
            }
            Err(e) => {
                std::thread::sleep(Duration::from_millis(5));
                Err(e)
            }
        })
        .unwrap();
    XorServer {
        server,
        port,
        accepted,
    }
}

fn echo_handler(mut req: IncomingMessage, mut res: ServerResponse) {
    let body = req.text_limited(1 << 20).unwrap_or_default();
    res.end(format!("{} {} {body}", req.method().unwrap_or(""), req.url()).as_bytes())
        .unwrap();
}

fn xor_agent(port: u16) -> Agent {
    Agent::new(
        AgentOptions::new()
            .keep_alive(true)
            .create_connection(move |_| {
                let s = TcpStream::connect(("127.0.0.1", port))?;
                Ok(Socket::from_transport(Xor(s)))
            }),
    )
}

fn via(agent: &Agent, path: &str) -> RequestOptions {
    // the address is the agent's business: host/port only name the origin
    RequestOptions::new()
        .host("xor.test")
        .port(443)
        .path(path)
        .agent(AgentChoice::Agent(agent.clone()))
}

fn text(mut res: IncomingMessage) -> String {
    let mut s = String::new();
    res.read_to_string(&mut s).unwrap();
    s
}

#[test]
fn keep_alive_requests_share_one_wrapped_connection() {
    let s = xor_server(|_| {}, echo_handler);
    let agent = xor_agent(s.port);
    for i in 0..5 {
        let req = stdhttp::request(via(&agent, &format!("/n{i}")).method("POST")).unwrap();
        let res = req.end(format!("body{i}").as_bytes()).unwrap();
        assert_eq!(res.status_code(), 200);
        assert_eq!(text(res), format!("POST /n{i} body{i}"));
    }
    assert_eq!(s.accepted.load(Ordering::SeqCst), 1);
}

#[test]
fn the_wire_really_is_wrapped_a_plain_client_gets_no_http() {
    let s = xor_server(|_| {}, echo_handler);
    let mut plain = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    plain.set_read_timeout(Some(PATIENCE)).unwrap();
    plain
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let _ = plain.read_to_end(&mut got);
    // the server decoded garbage: it answered 400, XORed
    assert!(
        xor(&got).starts_with(b"HTTP/1.1 400 Bad Request\r\n"),
        "{got:?}"
    );
}

#[test]
fn pipelined_requests_over_the_wrapped_stream_are_answered_in_order() {
    let s = xor_server(|_| {}, echo_handler);
    let mut raw = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    raw.set_read_timeout(Some(PATIENCE)).unwrap();
    raw.write_all(&xor(
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ))
    .unwrap();
    let mut got = Vec::new();
    raw.read_to_end(&mut got).unwrap();
    let got = String::from_utf8(xor(&got)).unwrap();
    let a = got.find("GET /a ").expect("first answer");
    let b = got.find("GET /b ").expect("second answer");
    assert!(a < b, "{got}");
    assert_eq!(got.matches("HTTP/1.1 200 OK\r\n").count(), 2, "{got}");
}

#[test]
fn upgrade_through_the_wrapped_stream_hands_over_the_wrapped_socket() {
    let s = xor_server(
        |server| {
            server.on_upgrade(|_req, mut sock, head| {
                let _ = sock.write_all(
                    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n",
                );
                let _ = sock.write_all(&head);
                let mut more = [0u8; 4];
                if sock.read_exact(&mut more).is_ok() {
                    let _ = sock.write_all(&more);
                }
            });
        },
        echo_handler,
    );
    let agent = xor_agent(s.port);
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let mut req = stdhttp::request(
        via(&agent, "/chat")
            .header("Connection", "Upgrade")
            .header("Upgrade", "echo"),
    )
    .unwrap();
    req.on_upgrade(move |res, socket, head| {
        let _ = tx.lock().unwrap().send((res.status_code(), socket, head));
    });
    let res = req.end(b"").unwrap();
    assert_eq!(res.status_code(), 101);
    let (status, mut socket, head) = rx.recv_timeout(PATIENCE).unwrap();
    assert_eq!(status, 101);
    socket.set_timeout(5000).unwrap();
    let mut got = head;
    got.extend(std::iter::repeat_n(0, 4));
    let start = got.len() - 4;
    socket.write_all(b"ping").unwrap();
    socket.read_exact(&mut got[start..]).unwrap();
    assert_eq!(&got[start..], b"ping");
}

#[test]
fn connect_through_the_wrapped_stream_tunnels_bytes() {
    let s = xor_server(
        |server| {
            server.on_connect(|req, mut sock, _head| {
                assert_eq!(req.url(), "origin.test:80");
                let _ = sock.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n");
                let mut buf = [0u8; 5];
                if sock.read_exact(&mut buf).is_ok() {
                    buf.reverse();
                    let _ = sock.write_all(&buf);
                }
            });
        },
        echo_handler,
    );
    let agent = xor_agent(s.port);
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let mut req = stdhttp::request(via(&agent, "origin.test:80").method("CONNECT")).unwrap();
    req.on_connect(move |res, socket, head| {
        let _ = tx.lock().unwrap().send((res.status_code(), socket, head));
    });
    let res = req.end(b"").unwrap();
    assert_eq!(res.status_code(), 200);
    let (_, mut socket, head) = rx.recv_timeout(PATIENCE).unwrap();
    assert!(head.is_empty());
    socket.set_timeout(5000).unwrap();
    socket.write_all(b"hello").unwrap();
    let mut back = [0u8; 5];
    socket.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"olleh");
}

/// A server fed only by `serve_socket`, and an agent whose connections are in-memory pairs.
fn paired(server: &Server, opened: Arc<AtomicUsize>) -> Agent {
    let server = server.clone();
    Agent::new(
        AgentOptions::new()
            .keep_alive(true)
            .create_connection(move |_| {
                let (ours, theirs) = Socket::pair();
                server.serve_socket(theirs);
                opened.fetch_add(1, Ordering::SeqCst);
                Ok(ours)
            }),
    )
}

#[test]
fn a_server_and_a_client_talk_over_an_in_memory_pair() {
    let server = stdhttp::create_server(echo_handler);
    server.listen("127.0.0.1:0").unwrap();
    let opened = Arc::new(AtomicUsize::new(0));
    let agent = paired(&server, opened.clone());
    for i in 0..3 {
        let res = stdhttp::request(via(&agent, &format!("/p{i}")).method("PUT"))
            .unwrap()
            .end(b"x")
            .unwrap();
        assert_eq!(text(res), format!("PUT /p{i} x"));
    }
    assert_eq!(opened.load(Ordering::SeqCst), 1, "one pair, kept alive");
    server.close_all_connections();
    server.close().unwrap();
}

#[test]
fn serve_socket_works_on_a_server_that_never_listened() {
    let server = stdhttp::create_server(echo_handler);
    let (mut ours, theirs) = Socket::pair();
    server.serve_socket(theirs);
    ours.write_all(b"GET /direct HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    ours.set_timeout(5000).unwrap();
    let mut got = String::new();
    ours.read_to_string(&mut got).unwrap();
    assert!(got.starts_with("HTTP/1.1 200 OK\r\n"), "{got}");
    assert!(got.ends_with("\r\n\r\nGET /direct "), "{got}");
    assert!(got.contains("Connection: close\r\n"), "{got}");
}

/// Wait until `agent` holds an idle socket, then have `server` close its idle connections
/// (with a moment on each side so both ends have seen the state).
fn close_once_pooled(agent: &Agent, server: &Server) {
    let deadline = Instant::now() + PATIENCE;
    while agent.free_sockets().is_empty() {
        assert!(Instant::now() < deadline, "the socket was never pooled");
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(Duration::from_millis(50));
    server.close_idle_connections();
    std::thread::sleep(Duration::from_millis(50));
}

#[test]
fn a_pooled_pair_the_server_closed_is_seen_closed_and_not_reused() {
    // the server closes the idle pair; the agent looks at it (Transport::peek_now) and
    // opens a new one instead of failing the next request (no retry allowed here)
    let server = stdhttp::create_server(echo_handler);
    server.listen("127.0.0.1:0").unwrap();
    let opened = Arc::new(AtomicUsize::new(0));
    let agent = Agent::new(
        paired(&server, opened.clone())
            .options()
            .clone()
            .retry_idempotent(false),
    );
    let first = stdhttp::request(via(&agent, "/one"))
        .unwrap()
        .end(b"")
        .unwrap();
    assert_eq!(text(first), "GET /one ");
    close_once_pooled(&agent, &server);
    let second = stdhttp::request(via(&agent, "/two"))
        .unwrap()
        .end(b"")
        .unwrap();
    assert_eq!(text(second), "GET /two ");
    assert_eq!(opened.load(Ordering::SeqCst), 2);
    server.close_all_connections();
    server.close().unwrap();
}

#[test]
fn close_stops_a_user_accept_loop_and_refuses_what_it_returns_later() {
    // the accept blocks until it is handed a connection, so the one handed over after
    // close() is returned by an accept that began before it
    let (tx, rx) = mpsc::channel::<Socket>();
    let server = stdhttp::create_server(echo_handler);
    server
        .listen_with(move || {
            rx.recv()
                .map_err(|_| io::Error::from(io::ErrorKind::NotConnected))
        })
        .unwrap();
    assert_eq!(server.address(), None);
    assert!(server.listening());
    let (mut a, b) = Socket::pair();
    tx.send(b).unwrap();
    a.write_all(b"GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    a.set_timeout(5000).unwrap();
    let mut got = String::new();
    a.read_to_string(&mut got).unwrap();
    assert!(got.ends_with("GET /x "), "{got}");
    server.close().unwrap();
    server.join();
    assert!(!server.listening());
    // the loop is still blocked in accept: what it returns now is closed unserved
    let (mut late, theirs) = Socket::pair();
    assert!(tx.send(theirs).is_ok(), "the accept loop is still waiting");
    late.set_timeout(5000).unwrap();
    let _ = late.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    let mut rest = Vec::new();
    let _ = late.read_to_end(&mut rest);
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn an_error_from_accept_is_retried_and_the_server_goes_on() {
    // a listener out of descriptors (EMFILE) must not end the server
    let (tx, rx) = mpsc::channel::<Socket>();
    let server = stdhttp::create_server(echo_handler);
    let mut calls = 0;
    server
        .listen_with(move || {
            calls += 1;
            if calls <= 3 {
                return Err(io::Error::other("Too many open files"));
            }
            rx.recv_timeout(Duration::from_millis(20))
                .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))
        })
        .unwrap();
    let (mut a, b) = Socket::pair();
    tx.send(b).unwrap();
    a.set_timeout(5000).unwrap();
    a.write_all(b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut got = String::new();
    a.read_to_string(&mut got).unwrap();
    assert!(got.ends_with("GET /after "), "{got}");
    assert!(server.listening());
    server.close().unwrap();
}

#[test]
fn serve_socket_with_a_tcp_stream_is_served_like_an_accepted_one() {
    // the caller accepts on its own listener and hands the TCP stream over: it is kept
    // alive across requests like an accepted one (CI runs this in both wait models)
    let server = stdhttp::create_server(echo_handler);
    server.listen("127.0.0.1:0").unwrap();
    let own = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(own.local_addr().unwrap()).unwrap();
    let (accepted, _) = own.accept().unwrap();
    server.serve_socket(Socket::from_tcp(accepted));
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    for path in ["/a", "/b"] {
        client
            .write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while !got.ends_with(format!("GET {path} ").as_bytes()) {
            let n = client.read(&mut buf).unwrap();
            assert!(n > 0, "closed early: {:?}", String::from_utf8_lossy(&got));
            got.extend_from_slice(&buf[..n]);
        }
        assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
    }
    server.close_all_connections();
    server.close().unwrap();
}

#[test]
fn a_transport_that_cannot_peek_relies_on_the_retry_rule() {
    // Xor has no peek_now: a pooled stream the server closed looks open, the GET on it
    // fails before any response byte and is sent again on a fresh connection
    let s = xor_server(|_| {}, echo_handler);
    let agent = xor_agent(s.port);
    let first = stdhttp::request(via(&agent, "/one"))
        .unwrap()
        .end(b"")
        .unwrap();
    assert_eq!(text(first), "GET /one ");
    close_once_pooled(&agent, &s.server);
    let second = stdhttp::request(via(&agent, "/two"))
        .unwrap()
        .end(b"")
        .unwrap();
    assert_eq!(text(second), "GET /two ");
    assert_eq!(s.accepted.load(Ordering::SeqCst), 2);
    // without the retry rule, the same situation is the error Node reports
    let strict = Agent::new(xor_agent(s.port).options().clone().retry_idempotent(false));
    let third = stdhttp::request(via(&strict, "/three"))
        .unwrap()
        .end(b"")
        .unwrap();
    assert_eq!(text(third), "GET /three ");
    close_once_pooled(&strict, &s.server);
    let err = stdhttp::request(via(&strict, "/four"))
        .unwrap()
        .end(b"")
        .unwrap_err();
    assert_eq!(err.kind(), stdhttp::ErrorKind::ConnectionReset);
}

#[test]
fn a_request_with_its_own_connector_never_shares_the_origin_pool_with_plain_ones() {
    // one origin over TCP, answering "tcp"; the same host:port through a connector that
    // opens an in-memory pair to another server, answering "pipe"
    let tcp = stdhttp::create_server(|_q, mut r| r.end(b"tcp").unwrap());
    tcp.listen("127.0.0.1:0").unwrap();
    let port = tcp.address().and_then(|a| a.port()).unwrap();
    let pipe = stdhttp::create_server(|_q, mut r| r.end(b"pipe").unwrap());
    let opened = Arc::new(AtomicUsize::new(0));
    let agent = Agent::new(AgentOptions::new().keep_alive(true));
    let plain = RequestOptions::new()
        .host("127.0.0.1")
        .port(port)
        .agent(AgentChoice::Agent(agent.clone()));
    let own = {
        let (pipe, opened) = (pipe.clone(), opened.clone());
        plain.clone().create_connection(move |_| {
            let (ours, theirs) = Socket::pair();
            pipe.serve_socket(theirs);
            opened.fetch_add(1, Ordering::SeqCst);
            Ok(ours)
        })
    };
    let answer = |o: &RequestOptions| text(stdhttp::request(o.clone()).unwrap().end(b"").unwrap());
    assert_eq!(answer(&plain), "tcp");
    assert_eq!(
        answer(&own),
        "pipe",
        "the pooled TCP socket was not handed over"
    );
    assert_eq!(answer(&plain), "tcp", "the pooled pair was not handed over");
    assert_eq!(answer(&own), "pipe");
    assert_eq!(
        opened.load(Ordering::SeqCst),
        1,
        "the pair itself is reused"
    );
    tcp.close_all_connections();
    tcp.close().unwrap();
    pipe.close_all_connections();
}
