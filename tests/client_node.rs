//! The client against a real Node 20 http server (tests/node/client_server.js): what Node
//! parses from our requests, chunked responses with trailers, 100-continue, upgrade,
//! CONNECT, and keep-alive reuse counted on Node's side. Skipped with a notice without
//! `node`.

mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use common::client::NodeServer;
use common::json::{self, Json};
use stdhttp::{request, Agent, AgentChoice, AgentOptions, RequestOptions, Socket};

fn node(test: &str, args: &[&str]) -> Option<NodeServer> {
    NodeServer::start(test, args)
}

fn opts(n: &NodeServer) -> RequestOptions {
    RequestOptions::new()
        .host("127.0.0.1")
        .port(n.port)
        .agent(AgentChoice::Unpooled)
}

fn echo(res: &mut stdhttp::IncomingMessage) -> Json {
    json::parse(&res.text().unwrap()).expect("node echoes JSON")
}

fn raw_headers(j: &Json) -> Vec<String> {
    j.get("rawHeaders")
        .unwrap()
        .arr()
        .iter()
        .map(|s| s.str().unwrap().to_string())
        .collect()
}

#[test]
fn node_sees_our_get_as_sent() {
    let Some(n) = node("node_sees_our_get_as_sent", &[]) else {
        return;
    };
    let url = format!("http://u:p@127.0.0.1:{}/a/b?c=1#frag", n.port);
    let o = RequestOptions::from_url(&url)
        .unwrap()
        .agent(AgentChoice::Unpooled)
        .header("X-Test", "1");
    let mut res = stdhttp::get(o).unwrap();
    assert_eq!(res.status_code(), 200);
    let j = echo(&mut res);
    assert_eq!(j.get("method").unwrap().str(), Some("GET"));
    assert_eq!(j.get("url").unwrap().str(), Some("/a/b?c=1"));
    assert_eq!(j.get("httpVersion").unwrap().str(), Some("1.1"));
    assert_eq!(
        raw_headers(&j),
        [
            "X-Test",
            "1",
            "Host",
            &format!("127.0.0.1:{}", n.port),
            "Authorization",
            "Basic dTpw",
            "Connection",
            "close"
        ]
    );
}

#[test]
fn node_gets_our_bodies_with_each_framing() {
    let Some(n) = node("node_gets_our_bodies_with_each_framing", &[]) else {
        return;
    };
    // Content-Length
    let mut res = request(opts(&n).method("POST"))
        .unwrap()
        .end(b"a=1&b=2")
        .unwrap();
    let j = echo(&mut res);
    assert_eq!(j.get("body").unwrap().str(), Some("a=1&b=2"));
    assert!(raw_headers(&j).contains(&"Content-Length".to_string()));
    // chunked
    let mut req = request(opts(&n).method("PUT")).unwrap();
    req.write(b"one,").unwrap();
    req.write(b"two,").unwrap();
    let mut res = req.end(b"three").unwrap();
    let j = echo(&mut res);
    assert_eq!(j.get("method").unwrap().str(), Some("PUT"));
    assert_eq!(j.get("body").unwrap().str(), Some("one,two,three"));
    assert!(raw_headers(&j).contains(&"chunked".to_string()));
    // a big chunked body
    let mut req = request(opts(&n).method("POST")).unwrap();
    for _ in 0..64 {
        req.write(&[b'x'; 4096]).unwrap();
    }
    let mut res = req.end(b"").unwrap();
    let j = echo(&mut res);
    assert_eq!(j.get("body").unwrap().str().unwrap().len(), 64 * 4096);
}

#[test]
fn chunked_response_with_trailers_from_node() {
    let Some(n) = node("chunked_response_with_trailers_from_node", &[]) else {
        return;
    };
    let mut res = stdhttp::get(opts(&n).path("/chunked")).unwrap();
    assert_eq!(res.headers().get_str("transfer-encoding"), Some("chunked"));
    assert_eq!(res.text().unwrap(), "hello world");
    assert_eq!(res.trailers().get_str("x-sum"), Some("42"));
    assert_eq!(res.raw_trailers().len(), 1);
}

#[test]
fn expect_continue_with_node() {
    let Some(n) = node("expect_continue_with_node", &[]) else {
        return;
    };
    let continued = Arc::new(Mutex::new(0));
    let mut req = request(opts(&n).method("POST").header("Expect", "100-continue")).unwrap();
    req.on_continue({
        let c = continued.clone();
        move || *c.lock().unwrap() += 1
    });
    let t0 = std::time::Instant::now();
    let mut res = req.end(b"payload").unwrap();
    let j = echo(&mut res);
    assert_eq!(j.get("body").unwrap().str(), Some("payload"));
    assert_eq!(*continued.lock().unwrap(), 1);
    // Node answers 100 at once: no CONTINUE_TIMEOUT wait
    assert!(t0.elapsed() < std::time::Duration::from_millis(900));
}

type Tunnel = Arc<Mutex<Option<(u16, Socket, Vec<u8>)>>>;

fn tunnel_roundtrip(got: &Tunnel) {
    let (_, mut socket, head) = got.lock().unwrap().take().expect("listener ran");
    let mut all = head;
    socket.write_all(b"ping").unwrap();
    socket
        .set_timeout(5000)
        .expect("a socket timeout can be set");
    let mut buf = [0u8; 64];
    while !String::from_utf8_lossy(&all).ends_with("echo:ping") {
        let k = socket.read(&mut buf).unwrap();
        assert!(
            k > 0,
            "tunnel closed early: {:?}",
            String::from_utf8_lossy(&all)
        );
        all.extend_from_slice(&buf[..k]);
    }
    assert_eq!(String::from_utf8_lossy(&all), "hiecho:ping");
}

#[test]
fn upgrade_with_node() {
    let Some(n) = node("upgrade_with_node", &[]) else {
        return;
    };
    let got: Tunnel = Arc::default();
    let mut req = request(
        opts(&n)
            .header("Connection", "Upgrade")
            .header("Upgrade", "echo"),
    )
    .unwrap();
    req.on_upgrade({
        let got = got.clone();
        move |res, s, head| *got.lock().unwrap() = Some((res.status_code(), s, head))
    });
    let res = req.end(b"").unwrap();
    assert_eq!(res.status_code(), 101);
    tunnel_roundtrip(&got);
}

#[test]
fn connect_with_node() {
    let Some(n) = node("connect_with_node", &[]) else {
        return;
    };
    let got: Tunnel = Arc::default();
    let mut req = request(opts(&n).method("CONNECT").path("example.com:443")).unwrap();
    req.on_connect({
        let got = got.clone();
        move |res, s, head| *got.lock().unwrap() = Some((res.status_code(), s, head))
    });
    assert_eq!(req.end(b"").unwrap().status_code(), 200);
    tunnel_roundtrip(&got);
}

#[test]
fn keep_alive_agent_reuses_one_node_connection() {
    let Some(n) = node("keep_alive_agent_reuses_one_node_connection", &[]) else {
        return;
    };
    let agent = Agent::new(AgentOptions::new().keep_alive(true));
    let mut ports = Vec::new();
    for _ in 0..20 {
        let mut res = stdhttp::get(opts(&n).agent(AgentChoice::Agent(agent.clone()))).unwrap();
        // Node 20 sends Keep-Alive: timeout=5, so the socket is pooled for 4 s
        assert_eq!(res.headers().get_str("keep-alive"), Some("timeout=5"));
        let j = echo(&mut res);
        ports.push(j.get("port").unwrap().num().unwrap() as u16);
    }
    assert!(ports.windows(2).all(|w| w[0] == w[1]), "{ports:?}");
    assert_eq!(n.connections(), 1);
    agent.destroy();
}

#[test]
fn node_keep_alive_timeout_under_a_second_is_not_pooled() {
    let Some(n) = node(
        "node_keep_alive_timeout_under_a_second_is_not_pooled",
        &["--keep-alive-timeout", "500"],
    ) else {
        return;
    };
    let agent = Agent::new(AgentOptions::new().keep_alive(true));
    for _ in 0..3 {
        let mut res = stdhttp::get(opts(&n).agent(AgentChoice::Agent(agent.clone()))).unwrap();
        assert_eq!(res.headers().get_str("keep-alive"), Some("timeout=0"));
        res.resume().unwrap();
        assert!(agent.free_sockets().is_empty());
    }
    assert_eq!(n.connections(), 3);
}

#[test]
fn agent_without_keep_alive_closes_each_node_connection() {
    let Some(n) = node("agent_without_keep_alive_closes_each_node_connection", &[]) else {
        return;
    };
    let agent = Agent::default();
    for _ in 0..3 {
        let mut res = stdhttp::get(opts(&n).agent(AgentChoice::Agent(agent.clone()))).unwrap();
        assert_eq!(res.headers().get_str("connection"), Some("close"));
        res.resume().unwrap();
    }
    assert_eq!(n.connections(), 3);
}

#[test]
fn slow_node_response_with_timeout_still_arrives() {
    let Some(n) = node("slow_node_response_with_timeout_still_arrives", &[]) else {
        return;
    };
    let fired = Arc::new(Mutex::new(0));
    let mut req = request(opts(&n).path("/slow?ms=500").timeout(150)).unwrap();
    req.on_timeout({
        let f = fired.clone();
        move || *f.lock().unwrap() += 1
    });
    let mut res = req.end(b"").unwrap();
    assert_eq!(
        echo(&mut res).get("url").unwrap().str(),
        Some("/slow?ms=500")
    );
    assert!(*fired.lock().unwrap() >= 1);
}
