//! `RequestOptions::local_address`: the connection leaves from the address asked for.

use std::sync::mpsc;
use std::time::Duration;

use stdhttp::{AgentChoice, RequestOptions, Server};

fn server_reporting_peer() -> (Server, u16, mpsc::Receiver<String>) {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let server = stdhttp::create_server(move |req, mut res| {
        let peer = req.socket().remote_address().unwrap_or_default();
        let _ = tx.lock().map(|t| t.send(peer));
        res.end(b"ok").unwrap();
    });
    server.listen("127.0.0.1:0").unwrap();
    let port = server.address().and_then(|a| a.port()).unwrap();
    (server, port, rx)
}

#[test]
fn requests_leave_from_the_local_address_given() {
    let (server, port, rx) = server_reporting_peer();
    let opts = RequestOptions::new()
        .hostname("127.0.0.1")
        .port(port)
        .local_address("127.0.0.2")
        .agent(AgentChoice::Unpooled);
    let mut res = stdhttp::get(opts).unwrap();
    assert_eq!(res.text().unwrap(), "ok");
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(5)).unwrap(),
        "127.0.0.2"
    );
    server.close().unwrap();
    server.join();
}

#[test]
fn a_local_address_that_is_not_an_ip_is_refused() {
    let opts = RequestOptions::new()
        .hostname("127.0.0.1")
        .port(9)
        .local_address("not-an-ip")
        .agent(AgentChoice::Unpooled);
    let err = stdhttp::request(opts).unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_IP_ADDRESS");
}
