//! Node's per-response timer and close event while the handler works (issue 9 §5): what
//! `res.set_timeout`, `req.set_timeout` and `res.on_close` do, as Node 20 does them
//! (each checked against Node 20 with a small script).
mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::sleep;
use std::time::{Duration, Instant};

use common::server::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn res_set_timeout_calls_back_once_while_the_handler_is_silent_and_keeps_the_socket() {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let c = calls.clone();
    let started = Instant::now();
    let s = start(move |q, mut r| {
        if q.url() == "/slow" {
            let c = c.clone();
            let t0 = Instant::now();
            r.set_timeout(
                200,
                Some(Box::new(move |_socket| {
                    c.lock().unwrap().push(t0.elapsed())
                })),
            )
            .unwrap();
            sleep(ms(700));
        }
        r.end(b"ok").unwrap();
    });
    let mut conn = s.connect();
    conn.send(&get("/slow"));
    assert_eq!(conn.response().text(), "ok", "the socket was kept");
    let fired = calls.lock().unwrap().clone();
    assert_eq!(fired.len(), 1, "once per silence: {fired:?}");
    assert!(fired[0] >= ms(190) && fired[0] < ms(500), "{fired:?}");
    // the next request on the connection starts without the timer or its listener
    conn.send(&get("/fast"));
    assert_eq!(conn.response().text(), "ok");
    sleep(ms(400));
    assert_eq!(calls.lock().unwrap().len(), 1);
    assert!(started.elapsed() < ms(3000));
}

#[test]
fn res_set_timeout_without_a_listener_destroys_the_socket() {
    let s = start(move |_q, mut r| {
        r.set_timeout(200, None).unwrap();
        sleep(ms(600));
        let _ = r.end(b"late");
    });
    let mut conn = s.connect();
    conn.send(&get("/"));
    let t0 = Instant::now();
    let got = conn.read_to_close(PATIENCE);
    assert!(got.is_empty(), "{}", show(&got));
    assert!(t0.elapsed() < ms(550), "closed at {:?}", t0.elapsed());
}

#[test]
fn req_set_timeout_calls_back_only_while_the_body_is_incomplete() {
    let fired = Arc::new(AtomicUsize::new(0));
    let f = fired.clone();
    let s = start(move |mut q, mut r| {
        let f = f.clone();
        q.set_timeout(
            200,
            Some(Box::new(move |_socket| {
                f.fetch_add(1, Ordering::SeqCst);
            })),
        )
        .unwrap();
        sleep(ms(500));
        let _ = r.end(b"ok");
    });
    // an incomplete body: the listener runs and the socket stays
    let mut conn = s.connect();
    conn.send(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    let r = conn.response();
    assert_eq!(r.text(), "ok");
    assert_eq!(fired.load(Ordering::SeqCst), 1);
    // a complete (bodiless) request: Node emits no `timeout` on it, so with no other
    // listener the socket is destroyed
    let mut conn = s.connect();
    conn.send(&get("/"));
    let got = conn.read_to_close(PATIENCE);
    assert!(got.is_empty(), "{}", show(&got));
    assert_eq!(fired.load(Ordering::SeqCst), 1);
}

#[test]
fn res_close_fires_when_the_client_goes_away_while_the_handler_works() {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let (closed_tx, closed_rx) = mpsc::channel();
    let closed_tx = Mutex::new(closed_tx);
    let s = start(move |_q, mut r| {
        let closed_tx = closed_tx.lock().unwrap().clone();
        r.on_close(move || {
            let _ = closed_tx.send(Instant::now());
        });
        let t0 = Instant::now();
        while !r.is_closed() && t0.elapsed() < ms(3000) {
            sleep(ms(20));
        }
        tx.lock().unwrap().send(r.is_closed()).unwrap();
    });
    let mut conn = s.connect();
    conn.send(&get("/"));
    sleep(ms(150));
    drop(conn);
    let gone_at = Instant::now();
    let closed = closed_rx.recv_timeout(PATIENCE).expect("close fired");
    assert!(closed.duration_since(gone_at) < ms(1000));
    assert!(recv(&rx), "is_closed saw it");
}

#[test]
fn res_close_fires_once_after_a_normal_response() {
    let closes = Arc::new(AtomicUsize::new(0));
    let c = closes.clone();
    let s = start(move |_q, mut r| {
        let c = c.clone();
        r.on_close(move || {
            c.fetch_add(1, Ordering::SeqCst);
        });
        r.end(b"ok").unwrap();
    });
    let mut conn = s.connect();
    conn.send(&get("/"));
    assert_eq!(conn.response().text(), "ok");
    sleep(ms(300));
    assert_eq!(closes.load(Ordering::SeqCst), 1);
}
