//! The Agent (NODE-SEMANTICS §5): names, pool limits under load, idle reuse, LIFO/FIFO,
//! max_free_sockets, the Keep-Alive hint, sockets closed by the server, the retry rule,
//! agent_remove, on_free, destroy, and the global agent's defaults.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::client::{NodeServer, OwnServer, RawServer};
use stdhttp::{
    global_agent, request, Agent, AgentChoice, AgentOptions, IncomingMessage, RequestOptions,
    Scheduling,
};

fn keep_alive() -> AgentOptions {
    AgentOptions::new().keep_alive(true)
}

fn via(agent: &Agent, port: u16) -> RequestOptions {
    RequestOptions::new()
        .host("127.0.0.1")
        .port(port)
        .agent(AgentChoice::Agent(agent.clone()))
}

fn name(port: u16) -> String {
    format!("127.0.0.1:{port}:")
}

fn get(agent: &Agent, port: u16) -> IncomingMessage {
    stdhttp::get(via(agent, port)).unwrap()
}

fn hello_server() -> OwnServer {
    OwnServer::start(|_req, mut res| {
        let _ = res.end(b"hello");
    })
}

/// Poll `f` (bounded) until it holds.
fn eventually(what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn get_name_has_nodes_format() {
    let a = Agent::default();
    let o = RequestOptions::new;
    assert_eq!(a.get_name(&o()), "localhost::");
    assert_eq!(a.get_name(&o().host("h").port(80)), "h:80:");
    assert_eq!(
        a.get_name(&o().host("h").port(80).local_address("10.0.0.1")),
        "h:80:10.0.0.1"
    );
    assert_eq!(a.get_name(&o().host("h").port(80).family(4)), "h:80::4");
    assert_eq!(
        a.get_name(&o().host("h").port(80).family(6).local_address("l")),
        "h:80:l:6"
    );
    assert_eq!(a.get_name(&o().host("h").family(5)), "h::");
    assert_eq!(a.get_name(&o().socket_path("/tmp/s")), "localhost:::/tmp/s");
}

fn hammer(agent: &Agent, url_port: u16, threads: usize, per_thread: usize) -> usize {
    let ok = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..threads)
        .map(|_| {
            let (agent, ok) = (agent.clone(), ok.clone());
            thread::spawn(move || {
                for _ in 0..per_thread {
                    let mut res = stdhttp::get(via(&agent, url_port).path("/x")).unwrap();
                    assert_eq!(res.status_code(), 200);
                    let body = res.text().unwrap();
                    assert!(!body.is_empty());
                    ok.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a request failed");
    }
    ok.load(Ordering::Relaxed)
}

#[test]
fn eight_threads_share_four_sockets() {
    let server = hello_server();
    let agent = Agent::new(keep_alive().max_sockets(4));
    assert_eq!(hammer(&agent, server.port, 8, 500), 4000);
    assert!(
        server.connections() <= 4,
        "{} connections",
        server.connections()
    );
    assert!(agent.sockets().is_empty());
    assert!(agent.requests().is_empty());
    assert!(agent.free_sockets()[&name(server.port)] <= 4);
    agent.destroy();
}

#[test]
fn eight_threads_share_four_sockets_against_node() {
    let Some(node) = NodeServer::start("eight_threads_share_four_sockets_against_node", &[]) else {
        return;
    };
    let agent = Agent::new(keep_alive().max_sockets(4));
    assert_eq!(hammer(&agent, node.port, 8, 500), 4000);
    let n = node.connections();
    assert!((1..=4).contains(&n), "{n} connections");
    agent.destroy();
}

/// Server-side TCP connections on 127.0.0.1:`port` in state ESTABLISHED (Linux).
fn established_on(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let local = format!("0100007F:{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && f[1] == local && f[3] == "01"
        })
        .count()
}

#[test]
fn bounded_agent_without_keep_alive_never_has_more_than_max_sockets_open() {
    let peak = Arc::new(AtomicUsize::new(0));
    let server = {
        let peak = peak.clone();
        RawServer::start(move |c| {
            // Count what the kernel holds open, not what the handler threads have noticed:
            // the agent closes a socket before it opens the next, so the closed one is no
            // longer ESTABLISHED here, though its handler may not have read the EOF yet.
            // A FIN the kernel has not processed yet (softirq deferred under load) can leave a
            // closed connection ESTABLISHED for a moment: take the lower of two looks 5 ms apart.
            let port = c.stream.local_addr().unwrap().port();
            let first = established_on(port);
            std::thread::sleep(std::time::Duration::from_millis(5));
            peak.fetch_max(first.min(established_on(port)), Ordering::AcqRel);
            while c.read_request().is_some() {
                c.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        })
    };
    let agent = Agent::new(AgentOptions::new().max_sockets(2));
    assert_eq!(hammer(&agent, server.port(), 6, 30), 180);
    // (at least one: the count sees the connections at all)
    assert!((1..=2).contains(&peak.load(Ordering::Acquire)), "{peak:?}");
    // nothing is kept once the queue is empty
    eventually("sockets closed", || agent.free_sockets().is_empty());
}

#[test]
fn idle_socket_is_reused_from_the_same_local_port() {
    let server = hello_server();
    let agent = Agent::new(keep_alive());
    let mut ports = Vec::new();
    for i in 0..5 {
        let req = request(via(&agent, server.port)).unwrap();
        assert_eq!(req.reused_socket(), i > 0);
        let mut res = req.end(b"").unwrap();
        ports.push(res.socket().local_port().unwrap());
        assert_eq!(agent.sockets().get(&name(server.port)), Some(&1));
        assert_eq!(res.text().unwrap(), "hello");
        assert_eq!(
            agent.free_sockets(),
            [(name(server.port), 1)].into_iter().collect()
        );
        assert!(agent.sockets().is_empty());
    }
    assert!(ports.windows(2).all(|w| w[0] == w[1]), "{ports:?}");
    assert_eq!(server.connections(), 1);
    agent.destroy();
}

#[test]
fn snapshots_show_sockets_in_use_and_queued_requests() {
    let server = hello_server();
    let agent = Agent::new(keep_alive().max_sockets(1));
    let mut first = get(&agent, server.port);
    assert_eq!(agent.sockets()[&name(server.port)], 1);
    let waiter = {
        let agent = agent.clone();
        let port = server.port;
        thread::spawn(move || {
            let req = request(via(&agent, port)).unwrap();
            // Node's quirk: a queued request's socket does not count as reused
            let reused = req.reused_socket();
            (req.end(b"").unwrap().text().unwrap(), reused)
        })
    };
    eventually("a queued request", || {
        agent.requests().get(&name(server.port)) == Some(&1)
    });
    assert_eq!(first.text().unwrap(), "hello");
    let (body, reused) = waiter.join().unwrap();
    assert_eq!((body.as_str(), reused), ("hello", false));
    assert!(agent.requests().is_empty());
    assert_eq!(server.connections(), 1);
    agent.destroy();
}

#[test]
fn max_free_sockets_bounds_the_idle_pool() {
    let server = hello_server();
    let agent = Agent::new(keep_alive().max_free_sockets(1));
    let responses: Vec<_> = (0..3).map(|_| get(&agent, server.port)).collect();
    assert_eq!(agent.sockets()[&name(server.port)], 3);
    for mut r in responses {
        r.resume().unwrap();
    }
    assert_eq!(agent.free_sockets()[&name(server.port)], 1);
    eventually("two sockets closed", || server.server.connections() == 1);
    agent.destroy();
}

fn scheduling_picks(scheduling: Scheduling) -> (u16, u16, u16) {
    let server = hello_server();
    let agent = Agent::new(keep_alive().scheduling(scheduling));
    let mut a = get(&agent, server.port);
    let mut b = get(&agent, server.port);
    let (pa, pb) = (
        a.socket().local_port().unwrap(),
        b.socket().local_port().unwrap(),
    );
    a.resume().unwrap(); // freed first
    thread::sleep(Duration::from_millis(5));
    b.resume().unwrap(); // freed last
    let next = get(&agent, server.port).socket().local_port().unwrap();
    agent.destroy();
    (pa, pb, next)
}

#[test]
fn lifo_takes_the_most_recently_freed_socket() {
    let (_, last, next) = scheduling_picks(Scheduling::Lifo);
    assert_eq!(next, last);
}

#[test]
fn fifo_takes_the_least_recently_freed_socket() {
    let (first, _, next) = scheduling_picks(Scheduling::Fifo);
    assert_eq!(next, first);
}

#[test]
fn a_socket_the_server_closed_while_idle_is_not_reused() {
    let server = RawServer::start(|c| {
        if c.read_request().is_some() {
            c.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            thread::sleep(Duration::from_millis(100));
        }
        // the connection closes here
    });
    let agent = Agent::new(keep_alive().retry_idempotent(false));
    let mut res = get(&agent, server.port());
    assert_eq!(res.text().unwrap(), "ok");
    drop(res);
    assert_eq!(agent.free_sockets()[&name(server.port())], 1);
    thread::sleep(Duration::from_millis(300));
    let req = request(via(&agent, server.port())).unwrap();
    assert!(!req.reused_socket());
    assert_eq!(req.end(b"").unwrap().text().unwrap(), "ok");
    assert_eq!(server.connections(), 2);
    agent.destroy();
}

/// A server whose first connection answers one request, then closes when the next one
/// arrives (the race of a server closing a keep-alive connection as it is reused).
fn racing_server() -> RawServer {
    RawServer::start(|c| {
        if c.read_request().is_none() {
            return;
        }
        c.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        if c.index == 0 {
            let _ = c.read_head();
            return; // close without an answer
        }
        while c.read_request().is_some() {
            c.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    })
}

#[test]
fn retry_rule_idempotent_requests_on_a_reused_socket_are_sent_again() {
    let server = racing_server();
    let agent = Agent::new(keep_alive());
    assert!(agent.options().retry_idempotent);
    get(&agent, server.port()).resume().unwrap();
    let req = request(via(&agent, server.port()).method("PUT")).unwrap();
    assert!(req.reused_socket());
    let mut res = req.end(b"body").unwrap();
    assert_eq!(res.text().unwrap(), "ok");
    assert_eq!(server.connections(), 2);
    // the retry carried the same request
    let second = String::from_utf8_lossy(&server.received(1)).into_owned();
    assert!(
        second.starts_with("PUT / HTTP/1.1\r\n") && second.ends_with("\r\n\r\nbody"),
        "{second:?}"
    );
    agent.destroy();
}

#[test]
fn retry_rule_post_is_not_retried() {
    let server = racing_server();
    let agent = Agent::new(keep_alive());
    get(&agent, server.port()).resume().unwrap();
    let errors = Arc::new(Mutex::new(Vec::new()));
    let mut req = request(via(&agent, server.port()).method("POST")).unwrap();
    assert!(req.reused_socket());
    req.on_error({
        let errors = errors.clone();
        move |e| errors.lock().unwrap().push(e.code().to_string())
    });
    let e = req.end(b"x").unwrap_err();
    assert_eq!((e.code(), e.message()), ("ECONNRESET", "socket hang up"));
    assert_eq!(*errors.lock().unwrap(), ["ECONNRESET"]);
    assert_eq!(server.connections(), 1);
    agent.destroy();
}

#[test]
fn retry_rule_can_be_turned_off() {
    let server = racing_server();
    let agent = Agent::new(keep_alive().retry_idempotent(false));
    get(&agent, server.port()).resume().unwrap();
    let e = stdhttp::get(via(&agent, server.port())).unwrap_err();
    assert_eq!(e.code(), "ECONNRESET");
    agent.destroy();
}

#[test]
fn retry_rule_does_not_apply_to_a_fresh_socket() {
    let server = RawServer::start(|c| {
        let _ = c.read_head();
    });
    let agent = Agent::new(keep_alive());
    let e = stdhttp::get(via(&agent, server.port())).unwrap_err();
    assert_eq!(e.code(), "ECONNRESET");
    assert_eq!(server.connections(), 1);
}

fn hinting_server(hint: &'static str) -> RawServer {
    RawServer::start(move |c| {
        while c.read_request().is_some() {
            let reply = format!(
                "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout={hint}\r\nContent-Length: 2\r\n\r\nok"
            );
            c.write(reply.as_bytes());
        }
    })
}

#[test]
fn keep_alive_hint_sets_the_idle_timeout_to_n_seconds_minus_one() {
    let server = hinting_server("2");
    let agent = Agent::new(keep_alive());
    get(&agent, server.port()).resume().unwrap();
    thread::sleep(Duration::from_millis(500));
    // within 2·1000 − 1000 ms: reused
    get(&agent, server.port()).resume().unwrap();
    assert_eq!(server.connections(), 1);
    thread::sleep(Duration::from_millis(1200));
    // past it: the idle socket was dropped
    assert!(!request(via(&agent, server.port())).unwrap().reused_socket());
    eventually("a second connection", || server.connections() == 2);
    agent.destroy();
}

#[test]
fn keep_alive_hint_of_one_second_is_not_pooled() {
    let server = hinting_server("1");
    let agent = Agent::new(keep_alive());
    get(&agent, server.port()).resume().unwrap();
    assert!(agent.free_sockets().is_empty());
    get(&agent, server.port()).resume().unwrap();
    assert_eq!(server.connections(), 2);
}

#[test]
fn agent_timeout_drops_idle_sockets() {
    let server = hello_server();
    let agent = Agent::new(keep_alive().timeout(200));
    get(&agent, server.port).resume().unwrap();
    thread::sleep(Duration::from_millis(400));
    get(&agent, server.port).resume().unwrap();
    assert_eq!(server.connections(), 2);
    agent.destroy();
}

#[test]
fn server_connection_close_is_not_pooled() {
    let server = OwnServer::start(|_req, mut res| {
        let _ = res.set_header("Connection", "close");
        let _ = res.end(b"bye");
    });
    let agent = Agent::new(keep_alive());
    assert_eq!(get(&agent, server.port).text().unwrap(), "bye");
    assert!(agent.free_sockets().is_empty());
    assert_eq!(get(&agent, server.port).text().unwrap(), "bye");
    assert_eq!(server.connections(), 2);
}

#[test]
fn agent_remove_takes_the_socket_out_of_the_pool() {
    let server = hello_server();
    let agent = Agent::new(keep_alive().max_sockets(1));
    let mut long = get(&agent, server.port);
    assert_eq!(agent.sockets()[&name(server.port)], 1);
    long.socket().agent_remove();
    assert!(agent.sockets().is_empty());
    // the slot is free: another request goes out at once on a new socket
    assert_eq!(get(&agent, server.port).text().unwrap(), "hello");
    assert_eq!(long.text().unwrap(), "hello");
    // the removed socket is never pooled
    assert_eq!(agent.free_sockets()[&name(server.port)], 1);
    assert_eq!(server.connections(), 2);
    agent.destroy();
}

#[test]
fn on_free_reports_each_pooled_socket() {
    let server = hello_server();
    let agent = Agent::new(keep_alive());
    let freed = Arc::new(Mutex::new(Vec::new()));
    agent.on_free({
        let freed = freed.clone();
        move |s, n| freed.lock().unwrap().push((s.local_port(), n.to_string()))
    });
    let mut res = get(&agent, server.port);
    let port = res.socket().local_port();
    res.resume().unwrap();
    assert_eq!(*freed.lock().unwrap(), [(port, name(server.port))]);
    agent.destroy();
}

#[test]
fn destroy_closes_idle_and_busy_sockets() {
    let server = hello_server();
    let agent = Agent::new(keep_alive());
    let mut idle = get(&agent, server.port);
    let busy = get(&agent, server.port);
    idle.resume().unwrap();
    assert_eq!(agent.free_sockets()[&name(server.port)], 1);
    eventually("two connections", || server.server.connections() == 2);
    agent.destroy();
    assert!(agent.free_sockets().is_empty());
    assert!(busy.socket().is_destroyed());
    eventually("the server saw both close", || {
        server.server.connections() == 0
    });
}

#[test]
fn non_keep_alive_agent_reuses_a_socket_only_for_a_waiting_request() {
    let server = hello_server();
    let agent = Agent::new(AgentOptions::new().max_sockets(1));
    let mut first = get(&agent, server.port);
    let waiter = {
        let agent = agent.clone();
        let port = server.port;
        thread::spawn(move || stdhttp::get(via(&agent, port)).unwrap().text().unwrap())
    };
    eventually("a queued request", || !agent.requests().is_empty());
    first.resume().unwrap();
    assert_eq!(waiter.join().unwrap(), "hello");
    assert_eq!(server.connections(), 1);
    // nobody waits now: the socket is closed, not pooled
    assert!(agent.free_sockets().is_empty());
    get(&agent, server.port).resume().unwrap();
    assert_eq!(server.connections(), 2);
}

#[test]
fn global_agent_has_the_seed_defaults() {
    let o = global_agent().options();
    assert!(!o.keep_alive);
    assert_eq!(o.keep_alive_msecs, 1000);
    assert_eq!(o.max_sockets, 0);
    assert_eq!(o.max_free_sockets, 256);
    assert_eq!(o.max_total_sockets, 0);
    assert_eq!(o.scheduling, Scheduling::Lifo);
    assert!(!global_agent().sends_keep_alive());
    let server = hello_server();
    for _ in 0..3 {
        let url = format!("http://127.0.0.1:{}/", server.port);
        assert_eq!(stdhttp::get(url.as_str()).unwrap().text().unwrap(), "hello");
    }
    assert_eq!(server.connections(), 3);
    assert!(!global_agent()
        .free_sockets()
        .contains_key(&name(server.port)));
}

#[test]
fn max_total_sockets_bounds_all_origins() {
    let (s1, s2) = (hello_server(), hello_server());
    let agent = Agent::new(keep_alive().max_total_sockets(1));
    let mut a = get(&agent, s1.port);
    let waiter = {
        let agent = agent.clone();
        let port = s2.port;
        thread::spawn(move || stdhttp::get(via(&agent, port)).unwrap().text().unwrap())
    };
    eventually("a queued request", || !agent.requests().is_empty());
    a.resume().unwrap();
    // the idle socket of the other origin is closed to make room
    assert_eq!(waiter.join().unwrap(), "hello");
    assert!(!agent.free_sockets().contains_key(&name(s1.port)));
    agent.destroy();
}

/// A server that answers one keep-alive request, then waits `close_after` and closes its
/// side; it reports how long after its close the client closed the connection, if it did.
fn closing_server(close_after: Duration) -> (RawServer, Arc<Mutex<Option<Duration>>>) {
    let seen = Arc::new(Mutex::new(None));
    let record = seen.clone();
    let server = RawServer::start(move |c| {
        if c.read_request().is_none() {
            return;
        }
        c.write(b"HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok");
        thread::sleep(close_after);
        let _ = c.stream.shutdown(std::net::Shutdown::Write);
        let start = Instant::now();
        if c.wait_eof() {
            *record.lock().unwrap() = Some(start.elapsed());
        }
    });
    (server, seen)
}

#[test]
fn an_idle_socket_the_server_closes_is_closed_without_another_request() {
    let (server, seen) = closing_server(Duration::from_millis(50));
    let agent = Agent::new(keep_alive());
    get(&agent, server.port()).resume().unwrap();
    assert_eq!(agent.free_sockets()[&name(server.port())], 1);
    // Node closes its end when the server's FIN arrives; stdhttp within IDLE_SWEEP_INTERVAL
    eventually("the idle socket to leave the pool", || {
        agent.free_sockets().is_empty()
    });
    eventually("the client to close its end", || {
        seen.lock().unwrap().is_some()
    });
    let took = seen.lock().unwrap().unwrap();
    assert!(
        took <= Duration::from_millis(stdhttp::IDLE_SWEEP_INTERVAL_MS + 500),
        "closed {took:?} after the server"
    );
    // the pool still works afterwards, on a new connection
    get(&agent, server.port()).resume().unwrap();
    assert_eq!(server.connections(), 2);
    agent.destroy();
}

#[test]
fn an_idle_socket_past_the_agent_timeout_is_closed_without_another_request() {
    // the server never closes; the agent's 200 ms idle timeout does
    let (server, seen) = closing_server(Duration::from_secs(30));
    let agent = Agent::new(keep_alive().timeout(200));
    let start = Instant::now();
    get(&agent, server.port()).resume().unwrap();
    eventually("the expired socket to leave the pool", || {
        agent.free_sockets().is_empty()
    });
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(200)
            && took
                <= Duration::from_millis(200)
                    + Duration::from_millis(stdhttp::IDLE_SWEEP_INTERVAL_MS)
                    + Duration::from_millis(500),
        "left the pool after {took:?}"
    );
    assert_eq!(agent.sockets().len(), 0);
    agent.destroy();
    drop(seen);
}
