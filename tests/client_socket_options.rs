//! `set_socket_keep_alive` turns on real TCP keep-alive probes with the initial delay asked
//! for: the kernel then runs a keep-alive timer on the idle connection, which
//! `/proc/net/tcp` shows (timer kind 2 and its expiry). Linux only.

#![cfg(target_os = "linux")]

use std::io::Read;
use std::net::TcpListener;
use std::time::Duration;

use stdhttp::{AgentChoice, RequestOptions};

/// The (timer kind, seconds until it fires) of the local TCP socket on `port`.
fn tcp_timer(local_port: u16) -> Option<(u32, f64)> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    table.lines().skip(1).find_map(|line| {
        let cols: Vec<&str> = line.split_whitespace().collect();
        let local = cols.get(1)?;
        let port = u16::from_str_radix(local.rsplit(':').next()?, 16).ok()?;
        if port != local_port || cols.get(3) != Some(&"01") {
            return None; // not ours, or not ESTABLISHED
        }
        let (kind, when) = cols.get(5)?.split_once(':')?;
        let kind = u32::from_str_radix(kind, 16).ok()?;
        let ticks = u64::from_str_radix(when, 16).ok()?;
        Some((kind, ticks as f64 / 100.0)) // USER_HZ
    })
}

#[test]
fn socket_keep_alive_runs_a_tcp_keep_alive_timer_with_the_delay_asked_for() {
    if !std::path::Path::new("/proc/net/tcp").exists() {
        eprintln!("NOTICE: skipping: no /proc/net/tcp");
        return;
    }
    // a server that accepts and stays silent, so the connection sits idle
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let holder = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut sink = [0u8; 256];
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = s.read(&mut sink);
    });
    let opts = RequestOptions::new()
        .hostname("127.0.0.1")
        .port(port)
        .agent(AgentChoice::Unpooled);
    let req = stdhttp::request(opts).unwrap();
    let local = req.socket().and_then(|s| s.local_port()).unwrap();
    assert_eq!(tcp_timer(local).map(|t| t.0), Some(0), "no timer before");

    req.set_socket_keep_alive(true, 3000).unwrap();
    let (kind, secs) = tcp_timer(local).expect("the connection is listed");
    assert_eq!(kind, 2, "a keep-alive timer runs");
    assert!(
        (2.0..=3.05).contains(&secs),
        "first probe after ~3 s, got {secs}"
    );

    req.set_socket_keep_alive(false, 0).unwrap();
    assert_eq!(
        tcp_timer(local).map(|t| t.0),
        Some(0),
        "no timer after turning it off"
    );
    drop(req);
    let _ = holder.join();
}
