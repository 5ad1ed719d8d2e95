//! Running a compiled example (`target/<profile>/examples/<name>`) as a server for a test.
//!
//! The tests do not build anything themselves: `cargo test` builds the examples along with
//! the tests, and the binaries sit next to the test binary's `deps/` directory. A test whose
//! example is missing prints a notice and skips, except under CI (`CI` set), where that
//! means the build is broken.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Where `cargo test` put the example `name`: `<test exe>/../../examples/<name>`.
pub fn example_path(name: &str) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?; // target/debug/deps -> target/debug
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    path.is_file().then_some(path)
}

/// The example's path, or `None` after printing why the test is skipped.
pub fn example_or_skip(name: &str) -> Option<PathBuf> {
    let found = example_path(name);
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but the example binary '{name}' was not built"
        );
        eprintln!(
            "NOTICE: skipping: examples/{name} is not built (run `cargo test` or `cargo build --examples`)"
        );
    }
    found
}

/// Whether `program --version` runs; prints a notice when it does not.
pub fn have_tool(program: &str) -> bool {
    let ok = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("NOTICE: skipping: `{program}` is not installed");
    }
    ok
}

/// A running example server; killed when dropped.
pub struct Running {
    child: Child,
    /// `127.0.0.1:<port>` from the example's `LISTENING` line.
    pub addr: String,
    /// Every other line the example printed on stdout, in order.
    pub lines: mpsc::Receiver<String>,
}

impl Running {
    /// Start `path` with `args` and wait (at most 10 s) for its first stdout line starting
    /// with `marker ` (e.g. `LISTENING 127.0.0.1:40123`); the rest of that line is `addr`.
    pub fn start(path: &PathBuf, args: &[&str], marker: &str) -> Running {
        let mut child = Command::new(path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let prefix = format!("{marker} ");
        let addr = loop {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(line) => {
                    if let Some(a) = line.strip_prefix(&prefix) {
                        break a.trim().to_string();
                    }
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{} printed no `{marker}` line: {e}", path.display());
                }
            }
        };
        Running {
            child,
            addr,
            lines: rx,
        }
    }

    /// The port of `addr`.
    pub fn port(&self) -> u16 {
        self.addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("addr has a port")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A response read off the wire.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    /// `(lower-case name, value)` in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Send `request` (raw bytes, which should ask for `Connection: close`) to `addr`, read
/// until the server closes (at most 10 s), and split the answer into status, headers and
/// body. Only the first response is parsed; the body is everything after its head.
pub fn exchange(addr: &str, request: &[u8]) -> RawResponse {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request).expect("write request");
    let mut got = Vec::new();
    s.read_to_end(&mut got).expect("read response");
    parse_response(&got)
}

pub fn parse_response(got: &[u8]) -> RawResponse {
    let end = got
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(got)));
    let head = String::from_utf8_lossy(&got[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    RawResponse {
        status,
        headers,
        body: got[end + 4..].to_vec(),
    }
}
