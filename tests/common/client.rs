//! Helpers for the client tests: a raw TCP server that records what the client sends and
//! answers canned bytes, a stdhttp server, and a Node 20 server (tests/node/client_server.js).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long any read of a test server waits before giving up.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);

type ConnHandler = dyn Fn(&mut Conn) + Send + Sync + 'static;
type Log = Arc<Mutex<Vec<u8>>>;
type Logs = Arc<Mutex<Vec<Log>>>;

/// One accepted connection of a [`RawServer`]: reads are bounded and recorded.
pub struct Conn {
    pub stream: TcpStream,
    /// 0 for the first connection the server accepted, 1 for the next...
    pub index: usize,
    buf: Vec<u8>,
    log: Arc<Mutex<Vec<u8>>>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Conn {
    fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        match self.stream.read(&mut chunk) {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                self.log.lock().unwrap().extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// Read up to and including the blank line that ends a head; `None` at EOF / timeout.
    pub fn read_head(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                return Some(self.buf.drain(..i + 4).collect());
            }
            if !self.fill() {
                return None;
            }
        }
    }

    /// Read exactly `n` bytes (fewer at EOF / timeout).
    pub fn read_n(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            if !self.fill() {
                break;
            }
        }
        let n = n.min(self.buf.len());
        self.buf.drain(..n).collect()
    }

    /// Read through the first `pat` (all that came at EOF / timeout).
    pub fn read_until(&mut self, pat: &[u8]) -> Vec<u8> {
        loop {
            if let Some(i) = find(&self.buf, pat) {
                return self.buf.drain(..i + pat.len()).collect();
            }
            if !self.fill() {
                return std::mem::take(&mut self.buf);
            }
        }
    }

    /// Whatever arrives within `d` (besides what is buffered).
    pub fn read_for(&mut self, d: Duration) -> Vec<u8> {
        self.stream.set_read_timeout(Some(d)).unwrap();
        while self.fill() {}
        self.stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        std::mem::take(&mut self.buf)
    }

    /// A whole request: the head, then a body framed by Content-Length or chunked.
    pub fn read_request(&mut self) -> Option<(String, Vec<u8>)> {
        let head = String::from_utf8_lossy(&self.read_head()?).into_owned();
        let lower = head.to_ascii_lowercase();
        let body = if let Some(i) = lower.find("\r\ncontent-length:") {
            let rest = &lower[i + 17..];
            let n: usize = rest[..rest.find('\r').unwrap()].trim().parse().unwrap();
            self.read_n(n)
        } else if lower.contains("\r\ntransfer-encoding: chunked") {
            self.read_until(b"0\r\n\r\n")
        } else {
            Vec::new()
        };
        Some((head, body))
    }

    pub fn write(&mut self, bytes: &[u8]) {
        let _ = self.stream.write_all(bytes);
    }

    /// The client's port.
    pub fn peer_port(&self) -> u16 {
        self.stream.peer_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Wait (bounded) for the client to close the connection; true when it did.
    pub fn wait_eof(&mut self) -> bool {
        let deadline = Instant::now() + READ_TIMEOUT;
        let mut chunk = [0u8; 1024];
        while Instant::now() < deadline {
            match self.stream.read(&mut chunk) {
                Ok(0) => return true,
                Ok(n) => self.log.lock().unwrap().extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
                Err(_) => return true,
            }
        }
        false
    }
}

/// A TCP server on 127.0.0.1 that runs `handler` for each connection (on its own thread) and
/// records every byte received, per connection.
pub struct RawServer {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    logs: Logs,
    stop: Arc<AtomicBool>,
}

impl RawServer {
    pub fn start(handler: impl Fn(&mut Conn) + Send + Sync + 'static) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let logs: Logs = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<ConnHandler> = Arc::new(handler);
        {
            let (accepted, logs, stop) = (accepted.clone(), logs.clone(), stop.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
                    let index = accepted.fetch_add(1, Ordering::AcqRel);
                    let log = Arc::new(Mutex::new(Vec::new()));
                    logs.lock().unwrap().push(log.clone());
                    let handler = handler.clone();
                    thread::spawn(move || {
                        let mut conn = Conn {
                            stream,
                            index,
                            buf: Vec::new(),
                            log,
                        };
                        handler(&mut conn);
                    });
                }
            });
        }
        RawServer {
            addr,
            accepted,
            logs,
            stop,
        }
    }

    /// A server answering every request on every connection with `reply` (keeps the
    /// connection while the client does).
    pub fn answering(reply: &'static [u8]) -> RawServer {
        RawServer::start(move |c| {
            while c.read_request().is_some() {
                c.write(reply);
            }
        })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port(), path)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::Acquire)
    }

    /// The bytes received on connection `i` so far.
    pub fn received(&self, i: usize) -> Vec<u8> {
        let logs = self.logs.lock().unwrap();
        logs.get(i)
            .map(|l| l.lock().unwrap().clone())
            .unwrap_or_default()
    }

    /// Wait (bounded) until connection `i` has received at least `n` bytes, and return them.
    pub fn received_at_least(&self, i: usize, n: usize) -> Vec<u8> {
        let deadline = Instant::now() + READ_TIMEOUT;
        loop {
            let got = self.received(i);
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Wait (bounded) until connection `i` has received a complete head and return the
    /// text received so far.
    pub fn head_of(&self, i: usize) -> String {
        let deadline = Instant::now() + READ_TIMEOUT;
        loop {
            let got = self.received(i);
            if find(&got, b"\r\n\r\n").is_some() || Instant::now() > deadline {
                return String::from_utf8_lossy(&got).into_owned();
            }
            thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

/// Whether `node` runs; prints a notice when it does not (the caller then skips).
pub fn node_available(test: &str) -> bool {
    let ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("NOTICE: `node` not found: {test} skipped");
    }
    ok
}

/// A Node http server (tests/node/client_server.js) running until dropped.
pub struct NodeServer {
    child: Child,
    stdin: Option<ChildStdin>,
    pub port: u16,
}

impl NodeServer {
    /// Start the script with `args`; `None` (with a notice) when `node` is missing.
    pub fn start(test: &str, args: &[&str]) -> Option<NodeServer> {
        if !node_available(test) {
            return None;
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node/client_server.js");
        let mut child = Command::new("node")
            .arg(script)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node starts");
        let stdin = child.stdin.take();
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("node prints its port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line from node: {line:?}"));
        Some(NodeServer { child, stdin, port })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// Connections the Node server has accepted (asks `/__connections` on a fresh
    /// connection, which is not counted).
    pub fn connections(&self) -> usize {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        s.write_all(b"GET /__connections HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut reply = String::new();
        let _ = s.read_to_string(&mut reply);
        let body = reply.split("\r\n\r\n").nth(1).unwrap_or("");
        body.trim().parse().expect("a count")
    }
}

impl Drop for NodeServer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A stdhttp server on an ephemeral port answering with `f`, counting connections.
pub struct OwnServer {
    pub server: stdhttp::Server,
    pub port: u16,
    pub accepted: Arc<AtomicUsize>,
}

impl OwnServer {
    pub fn start(
        f: impl Fn(stdhttp::IncomingMessage, stdhttp::ServerResponse) + Send + Sync + 'static,
    ) -> OwnServer {
        let server = stdhttp::Server::new();
        let accepted = Arc::new(AtomicUsize::new(0));
        let a = accepted.clone();
        server.on_connection(move |_| {
            a.fetch_add(1, Ordering::AcqRel);
        });
        server.on_request(f);
        server.listen("127.0.0.1:0").unwrap();
        let port = server.address().unwrap().port().unwrap();
        OwnServer {
            server,
            port,
            accepted,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    pub fn connections(&self) -> usize {
        self.accepted.load(Ordering::Acquire)
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.server.close();
        self.server.close_all_connections();
    }
}

/// An event log shared with listeners.
#[derive(Clone, Default)]
pub struct Events(Arc<Mutex<Vec<String>>>);

impl Events {
    pub fn push(&self, e: impl Into<String>) {
        self.0.lock().unwrap().push(e.into());
    }
    pub fn get(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
    /// A listener that logs `name`.
    pub fn hook(&self, name: &'static str) -> impl FnMut() + Send + 'static {
        let me = self.clone();
        move || me.push(name)
    }
}
