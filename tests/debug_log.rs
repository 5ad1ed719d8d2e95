//! `STDHTTP_DEBUG=http` prints one stderr line per connection event, in order, in both
//! wait models; unset, it prints nothing. The variable is read once per process, so this
//! test binary runs itself again as a child (`CHILD` set) that serves a keep-alive and then
//! a closing request on one connection to a server of each wait model.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::server::{start_with, Client, PATIENCE};
use stdhttp::WaitModel;

/// Set in the child: run the scenario instead of skipping it.
const CHILD: &str = "STDHTTP_DEBUG_LOG_CHILD";

const MODELS: [(&str, WaitModel); 2] = [
    ("parked", WaitModel::Parked),
    ("threads", WaitModel::ThreadPerConnection),
];

/// In the child only: for each wait model a server, one connection, `GET /first` (kept
/// alive) then `GET /second` with `Connection: close`; prints `CLIENT <model> <addr>` (the
/// client's own address, to find its connection's lines).
#[test]
fn child_scenario() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    for (name, model) in MODELS {
        if model == WaitModel::Parked && !WaitModel::PARKED_SUPPORTED {
            continue;
        }
        let t = start_with(
            |s| {
                s.set_wait_model(model).unwrap();
            },
            |_req, mut res| res.end(b"ok").unwrap(),
        );
        let mut c = Client::connect(t.addr);
        println!("CLIENT {name} {}", c.stream.local_addr().unwrap());
        c.send(b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(c.response().status, 200);
        // let the server park the connection before the next request comes (a request
        // that is already there when it would park is served at once, with no `parked`)
        std::thread::sleep(Duration::from_millis(50));
        c.send(b"GET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert_eq!(c.response().status, 200);
        c.read_to_close(PATIENCE);
        t.server.close().unwrap();
        // every line of the connection is written before the server counts it closed
        t.server.join();
    }
}

/// Run `child_scenario` in a child process with `debug` as `STDHTTP_DEBUG` (`None`:
/// unset); its stdout, its stderr and its process id.
fn run_child(debug: Option<&str>) -> (String, String, u32) {
    let exe = std::env::current_exe().expect("test binary");
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        "child_scenario",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD, "1")
    .env_remove("STDHTTP_DEBUG")
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if let Some(v) = debug {
        cmd.env("STDHTTP_DEBUG", v);
    }
    let mut child = cmd.spawn().expect("child starts");
    let pid = child.id();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("child status") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the child did not finish in 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(status.success(), "child failed:\n{out}\n{err}");
    (out, err, pid)
}

/// The events of the connection from `client` (its address), without the line prefix.
fn events_of(stderr: &str, client: &str) -> Vec<String> {
    let accepted = format!(" accepted from {client}");
    let id = stderr
        .lines()
        .find(|l| l.ends_with(&accepted))
        .and_then(|l| l.split("SERVER conn ").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no line for the connection from {client} in:\n{stderr}"));
    let mine = format!("SERVER conn {id} ");
    stderr
        .lines()
        .filter_map(|l| l.split_once(&mine).map(|(_, event)| event.to_string()))
        .collect()
}

#[test]
fn stdhttp_debug_http_prints_each_connection_event_in_order() {
    let (out, err, pid) = run_child(Some("http"));
    let prefix = format!("HTTP {pid}: SERVER ");
    for line in err.lines() {
        assert!(
            line.starts_with(&prefix),
            "a stderr line that is not an event (`{prefix}...`): {line:?}"
        );
    }
    let clients: Vec<(&str, &str)> = out
        .lines()
        // (libtest may have started the line: `test child_scenario ... CLIENT ...`)
        .filter_map(|l| l.split_once("CLIENT ").map(|(_, rest)| rest))
        .filter_map(|l| l.split_once(' '))
        .collect();
    assert_eq!(
        clients.len(),
        if WaitModel::PARKED_SUPPORTED { 2 } else { 1 },
        "{out}"
    );
    for (model, client) in clients {
        let wait = if model == "parked" {
            "parked"
        } else {
            "waiting on its thread"
        };
        let reason = "the request said `Connection: close`";
        let expected = [
            format!("accepted from {client}"),
            wait.to_string(),
            "request GET /first".into(),
            "response 200".into(),
            "keep-alive: yes".into(),
            wait.to_string(),
            "request GET /second".into(),
            "response 200".into(),
            format!("keep-alive: no ({reason})"),
            format!("closed ({reason})"),
        ];
        let mut got = events_of(&err, client);
        if model == "parked" && got.len() == expected.len() - 1 {
            // the second request came before the connection was parked (the client waits
            // 50 ms, so this is rare): it was served at once, with no `parked` between
            got.insert(5, wait.to_string());
        }
        assert_eq!(got, expected, "{model} model; all of stderr:\n{err}");
    }
}

#[test]
fn without_stdhttp_debug_nothing_is_printed() {
    let (out, err, _) = run_child(None);
    assert!(out.contains("CLIENT threads"), "{out}");
    assert_eq!(err, "", "stderr without STDHTTP_DEBUG");
    // a list that does not name `http` is off too
    let (_, err, _) = run_child(Some("net,tls"));
    assert_eq!(err, "");
}

#[test]
fn stdhttp_debug_takes_a_comma_separated_case_insensitive_list() {
    let (_, err, _) = run_child(Some("net, HTTP"));
    assert!(err.contains("SERVER conn "), "{err}");
}
