//! `set_reuse_port`: servers that set it share a port (the kernel spreads connections among
//! them), one that does not gets `EADDRINUSE`, and closing one leaves the others serving.
#![cfg(target_os = "linux")]

mod common;

use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::example::exchange;
use stdhttp::{Server, ServerAddress};

const REQUEST: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

/// A server answering `name`, listening on `127.0.0.1:port` (0: any) with or without
/// `reuse_port`.
fn named(name: &'static str, port: u16, reuse_port: bool) -> Result<Server, stdhttp::Error> {
    let server = stdhttp::create_server(move |_req, mut res| res.end(name.as_bytes()).unwrap());
    server
        .set_reuse_port(reuse_port)?
        .listen(("127.0.0.1", port))?;
    Ok(server)
}

fn port_of(server: &Server) -> u16 {
    match server.address() {
        Some(ServerAddress::Tcp(a)) => a.port(),
        other => panic!("not listening on TCP: {other:?}"),
    }
}

/// Close `servers` and wait until they are closed, failing after 10 s (a close whose
/// accept thread is never woken would hang).
fn close_all(servers: Vec<Server>) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for s in &servers {
            s.close().unwrap();
            s.join();
        }
        let _ = tx.send(());
    });
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the servers closed within 10 s");
}

/// Answers to fresh connections to `port` until `done` says so (at most 200 connections
/// or 10 s).
fn answers_until(port: u16, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let addr = format!("127.0.0.1:{port}");
    let started = Instant::now();
    let mut seen = Vec::new();
    while !done(&seen) && seen.len() < 200 && started.elapsed() < Duration::from_secs(10) {
        let res = exchange(&addr, REQUEST);
        assert_eq!(res.status, 200);
        seen.push(String::from_utf8_lossy(&res.body).into_owned());
    }
    seen
}

#[test]
fn reuse_port_is_off_by_default() {
    assert!(!Server::new().reuse_port());
    assert!(Server::new().set_reuse_port(true).unwrap().reuse_port());
}

#[test]
fn reuse_port_cannot_change_while_listening() {
    let server = named("a", 0, false).unwrap();
    let err = server.set_reuse_port(true).unwrap_err();
    assert_eq!(err.kind(), stdhttp::ErrorKind::ServerAlreadyListen);
    assert!(!server.reuse_port());
    server.close().unwrap();
}

#[test]
fn two_servers_with_reuse_port_share_a_port_and_both_answer() {
    let a = named("a", 0, true).expect("first listen");
    let port = port_of(&a);
    let b = named("b", port, true).expect("second listen on the same port");
    assert_eq!(port_of(&b), port);
    let both = |seen: &[String]| seen.iter().any(|s| s == "a") && seen.iter().any(|s| s == "b");
    let seen = answers_until(port, both);
    assert!(both(&seen), "one server got every connection: {seen:?}");
    close_all(vec![a, b]);
}

#[test]
fn a_server_closed_out_of_a_shared_port_leaves_the_others_serving() {
    let a = named("a", 0, true).unwrap();
    let port = port_of(&a);
    let b = named("b", port, true).unwrap();
    close_all(vec![a]);
    let seen = answers_until(port, |seen| seen.len() >= 20);
    assert_eq!(seen.len(), 20);
    assert!(seen.iter().all(|s| s == "b"), "{seen:?}");
    close_all(vec![b]);
}

#[test]
fn without_reuse_port_the_second_listen_fails_with_eaddrinuse() {
    // (first, second) listen with reuse_port?
    for (first, second) in [(false, false), (true, false), (false, true)] {
        let a = named("a", 0, first).unwrap();
        let port = port_of(&a);
        let err = named("b", port, second).expect_err("the port is taken");
        assert_eq!(
            err.code(),
            "EADDRINUSE",
            "first {first}, second {second}: {err}"
        );
        close_all(vec![a]);
    }
}

#[test]
fn listen_with_backlog_shares_the_port_too() {
    let a = Server::new();
    a.set_reuse_port(true)
        .unwrap()
        .listen_with_backlog("127.0.0.1:0", 16)
        .unwrap();
    let port = port_of(&a);
    let b = named("b", port, true).expect("shares the port");
    close_all(vec![a, b]);
}
