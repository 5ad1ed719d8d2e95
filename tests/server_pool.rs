//! The bounded worker pool and connection limits (DESIGN.md "I/O layers").
mod common;

use std::net::TcpStream;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::server::*;

const SHED: &str =
    "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

#[test]
fn full_pool_and_queue_shed_the_next_connection_with_503() {
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let go_rx = Arc::new(Mutex::new(go_rx));
    let (in_tx, in_rx) = mpsc::channel::<()>();
    let in_tx = Mutex::new(in_tx);
    let s = start_with(
        |s| {
            s.set_max_threads(2).unwrap();
            s.set_max_queue(1).unwrap();
        },
        move |_q, mut r| {
            in_tx.lock().unwrap().send(()).unwrap();
            go_rx.lock().unwrap().recv_timeout(PATIENCE).unwrap();
            r.end(b"done").unwrap();
        },
    );
    // two connections busy on the two workers, a third waiting in the queue
    let mut busy: Vec<Client> = (0..2)
        .map(|_| {
            let mut c = s.connect();
            // `close`, so the worker is free for the queued connection afterwards
            c.send(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            recv(&in_rx);
            c
        })
        .collect();
    let mut queued = s.connect();
    queued.send(&get("/"));
    std::thread::sleep(Duration::from_millis(100));
    assert!(s.server.threads() <= 2);
    let mut shed = s.connect();
    assert_eq!(show(&shed.read_to_close(PATIENCE)), SHED);
    assert!(s.server.threads() <= 2, "threads never exceed the bound");
    for _ in 0..3 {
        go_tx.send(()).unwrap();
    }
    for c in busy.iter_mut() {
        assert_eq!(c.response().text(), "done");
    }
    assert_eq!(queued.response().text(), "done", "the queued one is served");
    assert!(s.server.threads() <= 2);
}

#[test]
fn max_connections_drops_connections_beyond_the_limit() {
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let (in_tx, in_rx) = mpsc::channel::<()>();
    let in_tx = Mutex::new(in_tx);
    let s = start_with(
        |s| {
            s.set_max_connections(1);
        },
        move |_q, mut r| {
            in_tx.lock().unwrap().send(()).unwrap();
            go_rx.lock().unwrap().recv_timeout(PATIENCE).unwrap();
            r.end(b"done").unwrap();
        },
    );
    let mut first = s.connect();
    first.send(&get("/"));
    recv(&in_rx);
    let mut extra = s.connect();
    assert_eq!(extra.read_to_close(PATIENCE), b"", "dropped without a byte");
    go_tx.send(()).unwrap();
    assert_eq!(first.response().text(), "done");
    assert_eq!(s.server.connections(), 1);
}

#[test]
fn many_sequential_connections_reuse_few_threads() {
    let s = start_with(
        |s| {
            s.set_max_threads(2).unwrap();
        },
        |_q, mut r| r.end(b"ok").unwrap(),
    );
    for _ in 0..20 {
        let mut c = s.connect();
        c.send(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        assert!(show(&c.read_to_close(PATIENCE)).ends_with("ok"));
    }
    assert!(s.server.threads() <= 2);
    let _ = TcpStream::connect(s.addr);
}
