//! One rule for events, on the server and the client: an event that hands something over
//! (request + response, a socket) has one owner, the last listener registered; every other
//! event runs all its listeners in registration order.
mod common;

use std::io::Read;
use std::time::Duration;

use common::client::{Events, RawServer};
use common::server::{start, start_with, PATIENCE};
use stdhttp::RequestOptions;

/// Wait until `events` holds `n` entries (or PATIENCE passes) and return them.
fn settle(events: &Events, n: usize) -> Vec<String> {
    let started = std::time::Instant::now();
    while events.get().len() < n && started.elapsed() < PATIENCE {
        std::thread::sleep(Duration::from_millis(2));
    }
    // a moment more, so an extra (wrong) event would show
    std::thread::sleep(Duration::from_millis(30));
    events.get()
}

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

#[test]
fn server_request_the_last_listener_owns_it() {
    let ev = Events::default();
    let s = start(|_q, mut r| r.end(b"first").unwrap());
    let e = ev.clone();
    s.server.on_request(move |_q, mut r| {
        e.push("second");
        r.end(b"second").unwrap();
    });
    let got = s.exchange(GET, 300);
    assert!(got.ends_with(b"second"), "{got:?}");
    assert_eq!(settle(&ev, 1), ["second"]);
}

#[test]
fn server_upgrade_and_connect_the_last_listener_owns_the_socket() {
    let ev = Events::default();
    let s = start(|_q, mut r| r.end(b"").unwrap());
    for (name, on_upgrade) in [("up1", true), ("up2", true), ("co1", false), ("co2", false)] {
        let e = ev.clone();
        let f = move |_q: stdhttp::IncomingMessage, sock: stdhttp::Socket, _h: Vec<u8>| {
            e.push(name);
            sock.destroy();
        };
        if on_upgrade {
            s.server.on_upgrade(f);
        } else {
            s.server.on_connect(f);
        }
    }
    let _ = s.exchange(
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\n",
        300,
    );
    let _ = s.exchange(b"CONNECT a:1 HTTP/1.1\r\nHost: a:1\r\n\r\n", 300);
    assert_eq!(settle(&ev, 2), ["up2", "co2"]);
}

#[test]
fn server_check_continue_and_check_expectation_the_last_listener_owns_them() {
    let ev = Events::default();
    let s = start(|_q, mut r| r.end(b"").unwrap());
    for (name, cont) in [("c1", true), ("c2", true), ("x1", false), ("x2", false)] {
        let e = ev.clone();
        let f = move |_q: stdhttp::IncomingMessage, mut r: stdhttp::ServerResponse| {
            e.push(name);
            r.end(b"").unwrap();
        };
        if cont {
            s.server.on_check_continue(f);
        } else {
            s.server.on_check_expectation(f);
        }
    }
    let _ = s.exchange(
        b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        300,
    );
    let _ = s.exchange(
        b"GET / HTTP/1.1\r\nHost: x\r\nExpect: tea\r\nConnection: close\r\n\r\n",
        300,
    );
    assert_eq!(settle(&ev, 2), ["c2", "x2"]);
}

#[test]
fn server_notifications_run_every_listener_in_order() {
    let ev = Events::default();
    let s = start_with(
        |server| {
            for name in ["conn1", "conn2"] {
                let e = ev.clone();
                server.on_connection(move |_| e.push(name));
            }
            for name in ["err1", "err2"] {
                let e = ev.clone();
                server.on_client_error(move |_, sock| {
                    e.push(name);
                    sock.destroy();
                });
            }
            for name in ["listening1", "listening2"] {
                let e = ev.clone();
                server.on_listening(move || e.push(name));
            }
        },
        |_q, mut r| r.end(b"").unwrap(),
    );
    let _ = s.exchange(b"BAD / HTTP/1.1\r\n\r\n", 300);
    assert_eq!(
        settle(&ev, 6),
        ["listening1", "listening2", "conn1", "conn2", "err1", "err2"]
    );
    let e = ev.clone();
    s.server.on_close(move || e.push("close1"));
    let e = ev.clone();
    s.server.on_close(move || e.push("close2"));
    s.server.close().unwrap();
    s.server.join();
    // (close() wakes its accept loop with a connection of its own, which the connection
    // listeners see too: only the close listeners are checked here)
    let after: Vec<String> = settle(&ev, 8)[6..]
        .iter()
        .filter(|e| e.starts_with("close"))
        .cloned()
        .collect();
    assert_eq!(after, ["close1", "close2"]);
}

#[test]
fn response_finish_and_close_run_every_listener_in_order() {
    let ev = Events::default();
    let e = ev.clone();
    let s = start(move |_q, mut r| {
        r.on_finish(e.hook("finish1"));
        r.on_finish(e.hook("finish2"));
        r.on_close(e.hook("close1"));
        r.on_close(e.hook("close2"));
        r.end(b"x").unwrap();
    });
    let _ = s.exchange(GET, 300);
    assert_eq!(settle(&ev, 4), ["finish1", "finish2", "close1", "close2"]);
}

#[test]
fn request_data_and_end_run_every_listener_in_order() {
    let ev = Events::default();
    let e = ev.clone();
    let s = start(move |mut q, mut r| {
        for name in ["data1", "data2"] {
            let e = e.clone();
            q.on_data(move |d| e.push(format!("{name} {}", String::from_utf8_lossy(d))));
        }
        q.on_end(e.hook("end1"));
        q.on_end(e.hook("end2"));
        let _ = q.text_limited(1024);
        r.end(b"").unwrap();
    });
    let _ = s.exchange(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi",
        300,
    );
    assert_eq!(settle(&ev, 4), ["data1 hi", "data2 hi", "end1", "end2"]);
}

#[test]
fn server_timeout_runs_every_listener_in_order() {
    let ev = Events::default();
    let s = start_with(
        |server| {
            server.set_timeout_ms(100);
            for name in ["timeout1", "timeout2"] {
                let e = ev.clone();
                server.on_timeout(move |sock| {
                    e.push(name);
                    sock.destroy();
                });
            }
        },
        |_q, mut r| r.end(b"").unwrap(),
    );
    // a connection that sends nothing times out
    let mut c = s.connect();
    assert!(c.closes_within(PATIENCE));
    assert_eq!(settle(&ev, 2), ["timeout1", "timeout2"]);
}

#[test]
fn client_timeout_and_continue_run_every_listener_in_order() {
    let origin = RawServer::start(|c| {
        let _ = c.read_head();
        c.write(b"HTTP/1.1 100 Continue\r\n\r\n");
        std::thread::sleep(Duration::from_millis(300));
        c.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    });
    let ev = Events::default();
    let opts = RequestOptions::new()
        .host("127.0.0.1")
        .port(origin.port())
        .method("POST")
        .header("Expect", "100-continue")
        .timeout(100);
    let mut req = stdhttp::request(opts).unwrap();
    req.on_continue(ev.hook("continue1"));
    req.on_continue(ev.hook("continue2"));
    req.on_timeout(ev.hook("timeout1"));
    req.on_timeout(ev.hook("timeout2"));
    let res = req.end(b"body").unwrap();
    assert_eq!(res.status_code(), 200);
    assert_eq!(
        settle(&ev, 4),
        ["continue1", "continue2", "timeout1", "timeout2"]
    );
}

fn upgrade_origin() -> RawServer {
    RawServer::start(|c| {
        let _ = c.read_head();
        c.write(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n");
        let _ = c.wait_eof();
    })
}

#[test]
fn client_upgrade_and_connect_the_last_listener_owns_the_socket() {
    for connect in [false, true] {
        let origin = if connect {
            RawServer::answering(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        } else {
            upgrade_origin()
        };
        let ev = Events::default();
        let mut opts = RequestOptions::new().host("127.0.0.1").port(origin.port());
        opts = if connect {
            opts.method("CONNECT").path("a:1")
        } else {
            opts.header("Connection", "Upgrade").header("Upgrade", "x")
        };
        let mut req = stdhttp::request(opts).unwrap();
        for name in ["first", "second"] {
            let e = ev.clone();
            let f = move |_r: stdhttp::IncomingMessage, s: stdhttp::Socket, _h: Vec<u8>| {
                e.push(name);
                s.destroy();
            };
            if connect {
                req.on_connect(f);
            } else {
                req.on_upgrade(f);
            }
        }
        let _ = req.end(b"").unwrap();
        assert_eq!(settle(&ev, 1), ["second"], "connect: {connect}");
    }
}

#[test]
fn client_notifications_run_every_listener_in_order() {
    let origin = RawServer::start(|c| {
        let _ = c.read_head();
        c.write(b"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    let ev = Events::default();
    let opts = RequestOptions::new().host("127.0.0.1").port(origin.port());
    let mut req = stdhttp::request(opts).unwrap();
    for name in ["socket1", "socket2"] {
        let e = ev.clone();
        req.on_socket(move |_| e.push(name));
    }
    for name in ["info1", "info2"] {
        let e = ev.clone();
        req.on_information(move |_| e.push(name));
    }
    for name in ["response1", "response2"] {
        let e = ev.clone();
        req.on_response(move |_| e.push(name));
    }
    req.on_close(ev.hook("close1"));
    req.on_close(ev.hook("close2"));
    let mut res = req.end(b"").unwrap();
    let mut body = String::new();
    res.read_to_string(&mut body).unwrap();
    assert_eq!(body, "ok");
    drop(res);
    assert_eq!(
        settle(&ev, 8),
        [
            "socket1",
            "socket2",
            "info1",
            "info2",
            "response1",
            "response2",
            "close1",
            "close2"
        ]
    );
}

#[test]
fn client_error_and_abort_run_every_listener_in_order() {
    // an origin that closes without answering: error (ECONNRESET) for each listener
    let origin = RawServer::start(|c| {
        let _ = c.read_head();
    });
    let ev = Events::default();
    let opts = RequestOptions::new().host("127.0.0.1").port(origin.port());
    let mut req = stdhttp::request(opts).unwrap();
    for name in ["error1", "error2"] {
        let e = ev.clone();
        req.on_error(move |err| e.push(format!("{name} {}", err.code())));
    }
    assert!(req.end(b"").is_err());
    assert_eq!(settle(&ev, 2), ["error1 ECONNRESET", "error2 ECONNRESET"]);

    let quiet = RawServer::start(|c| {
        let _ = c.read_head();
        let _ = c.wait_eof();
    });
    let ev = Events::default();
    let opts = RequestOptions::new().host("127.0.0.1").port(quiet.port());
    let mut req = stdhttp::request(opts).unwrap();
    req.on_abort(ev.hook("abort1"));
    req.on_abort(ev.hook("abort2"));
    req.flush_headers().unwrap();
    req.abort();
    assert_eq!(&settle(&ev, 2)[..2], ["abort1", "abort2"]);
}
