//! Helpers for the server tests: a server on an ephemeral 127.0.0.1 port that is closed when
//! dropped, and a raw client that writes bytes and reads the server's answer byte for byte.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use stdhttp::{IncomingMessage, Server, ServerResponse};

/// How long any single wait in a test may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// A listening server, closed (all its connections too) when dropped.
pub struct TestServer {
    pub server: Server,
    pub addr: SocketAddr,
    /// [`connect`](Self::connect) gives an in-memory `Socket::pair` end served through
    /// `Server::serve_socket` instead of a TCP connection.
    pub paired: bool,
}

impl TestServer {
    /// A raw connection to this server.
    pub fn connect(&self) -> Client {
        if self.paired {
            let (ours, theirs) = stdhttp::Socket::pair();
            self.server.serve_socket(theirs);
            return Client::over(Wire::Pair(ours));
        }
        Client::connect(self.addr)
    }

    /// Open a connection, send `request`, and return everything received until the server
    /// closes or `silence_ms` pass without a byte.
    pub fn exchange(&self, request: &[u8], silence_ms: u64) -> Vec<u8> {
        let mut c = self.connect();
        c.send(request);
        c.read_for(silence_ms)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.server.close_all_connections();
        let _ = self.server.close();
    }
}

/// Configure a server with `setup`, register `handler` as its request listener, and listen
/// on an ephemeral port.
pub fn start_with(
    setup: impl FnOnce(&Server),
    handler: impl Fn(IncomingMessage, ServerResponse) + Send + Sync + 'static,
) -> TestServer {
    let server = Server::new();
    setup(&server);
    server.on_request(handler);
    server.listen("127.0.0.1:0").expect("listen");
    let addr = match server.address().expect("address") {
        stdhttp::ServerAddress::Tcp(a) => a,
        other => panic!("not a TCP address: {other:?}"),
    };
    TestServer {
        server,
        addr,
        paired: false,
    }
}

/// [`start_with`], whose connections are in-memory pairs: for tests that check what the
/// server decides, not what TCP does.
pub fn start_paired_with(
    setup: impl FnOnce(&Server),
    handler: impl Fn(IncomingMessage, ServerResponse) + Send + Sync + 'static,
) -> TestServer {
    let mut s = start_with(setup, handler);
    s.paired = true;
    s
}

/// [`start_paired_with`] without settings.
pub fn start_paired(
    handler: impl Fn(IncomingMessage, ServerResponse) + Send + Sync + 'static,
) -> TestServer {
    start_paired_with(|_| {}, handler)
}

/// [`start_with`] without settings.
pub fn start(
    handler: impl Fn(IncomingMessage, ServerResponse) + Send + Sync + 'static,
) -> TestServer {
    start_with(|_| {}, handler)
}

/// A server whose handler answers `end(body)`.
pub fn start_ok(body: &'static [u8]) -> TestServer {
    start(move |_req, mut res| res.end(body).unwrap())
}

/// What a raw client talks over.
pub enum Wire {
    Tcp(TcpStream),
    Pair(stdhttp::Socket),
}

impl Wire {
    /// The client's own address (TCP only).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            Wire::Tcp(s) => s.local_addr(),
            Wire::Pair(_) => Err(std::io::ErrorKind::Unsupported.into()),
        }
    }

    pub fn shutdown(&self, how: Shutdown) -> std::io::Result<()> {
        match (self, how) {
            (Wire::Tcp(s), how) => s.shutdown(how),
            (Wire::Pair(s), Shutdown::Write) => {
                s.end();
                Ok(())
            }
            (Wire::Pair(s), _) => {
                s.destroy();
                Ok(())
            }
        }
    }
}

impl Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Wire::Tcp(s) => s.read(buf),
            Wire::Pair(s) => s.read(buf),
        }
    }
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Wire::Tcp(s) => s.write(buf),
            Wire::Pair(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A raw client connection.
pub struct Client {
    pub stream: Wire,
    /// Bytes received and not yet taken as a response.
    pub buf: Vec<u8>,
    /// The server closed its side (or reset).
    pub closed: bool,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        Client::over(Wire::Tcp(stream))
    }

    pub fn over(stream: Wire) -> Client {
        if let Wire::Pair(s) = &stream {
            // reads wait 20 ms, as on TCP (writes too: `send` retries)
            s.set_timeout(20).unwrap();
        }
        Client {
            stream,
            buf: Vec::new(),
            closed: false,
        }
    }

    pub fn send(&mut self, mut bytes: &[u8]) {
        let started = Instant::now();
        while !bytes.is_empty() {
            match self.stream.write(bytes) {
                Ok(0) => panic!("write: closed"),
                Ok(n) => bytes = &bytes[n..],
                Err(e)
                    if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
                        && started.elapsed() < PATIENCE => {}
                Err(e) => panic!("write: {e}"),
            }
        }
    }

    /// Half-close: tell the server nothing more is coming.
    pub fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// One read with the short timeout; false when nothing arrived (or closed).
    fn pump(&mut self) -> bool {
        if self.closed {
            return false;
        }
        let mut chunk = [0u8; 64 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => {
                self.closed = true;
                false
            }
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
            Err(_) => {
                self.closed = true;
                false
            }
        }
    }

    /// Read until the server closes or `silence_ms` pass with no byte; take all bytes.
    pub fn read_for(&mut self, silence_ms: u64) -> Vec<u8> {
        let mut last = Instant::now();
        let started = Instant::now();
        while !self.closed
            && last.elapsed() < Duration::from_millis(silence_ms)
            && started.elapsed() < PATIENCE * 2
        {
            if self.pump() {
                last = Instant::now();
            }
        }
        std::mem::take(&mut self.buf)
    }

    /// Read until the server closes (fails after `max`); take all bytes.
    pub fn read_to_close(&mut self, max: Duration) -> Vec<u8> {
        let started = Instant::now();
        while !self.closed {
            assert!(
                started.elapsed() < max,
                "server did not close within {max:?}; got {:?}",
                show(&self.buf)
            );
            self.pump();
        }
        std::mem::take(&mut self.buf)
    }

    /// Wait up to `max` for the server to close; true if it did (bytes read meanwhile stay
    /// in `buf`).
    pub fn closes_within(&mut self, max: Duration) -> bool {
        let started = Instant::now();
        while !self.closed && started.elapsed() < max {
            self.pump();
        }
        self.closed
    }

    /// Read until a whole response is buffered and take it (`head_request`: the response to
    /// a HEAD, which has no body whatever it says).
    pub fn response_to(&mut self, head_request: bool) -> Response {
        let started = Instant::now();
        loop {
            if let Some((r, used)) = parse_response(&self.buf, head_request, self.closed) {
                self.buf.drain(..used);
                return r;
            }
            assert!(
                !self.closed,
                "connection closed before a whole response; got {:?}",
                show(&self.buf)
            );
            assert!(
                started.elapsed() < PATIENCE,
                "no whole response in time; got {:?}",
                show(&self.buf)
            );
            self.pump();
        }
    }

    /// The next response (to a request other than HEAD).
    pub fn response(&mut self) -> Response {
        self.response_to(false)
    }
}

/// Bytes as text for assertion messages (latin1).
pub fn show(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// The wire bytes with the `Date` value replaced by `<date>` (after checking its format:
/// `Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn redact_date(bytes: &[u8]) -> String {
    let text = show(bytes);
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("Date: ") {
        let at_line_start = i == 0 || rest[..i].ends_with('\n');
        out.push_str(&rest[..i + 6]);
        rest = &rest[i + 6..];
        if !at_line_start {
            continue;
        }
        let end = rest.find("\r\n").expect("Date line ends");
        assert_imf_date(&rest[..end]);
        out.push_str("<date>");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Panics unless `s` looks like `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn assert_imf_date(s: &str) {
    let b = s.as_bytes();
    let ok = b.len() == 29
        && b[3] == b','
        && b[4] == b' '
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[12..16].iter().all(u8::is_ascii_digit)
        && b[17..19].iter().all(u8::is_ascii_digit)
        && b[19] == b':'
        && s.ends_with(" GMT");
    assert!(ok, "not an IMF-fixdate: {s:?}");
}

/// One response as received.
#[derive(Debug, Clone)]
pub struct Response {
    /// Every byte of it, head and body as on the wire.
    pub raw: Vec<u8>,
    pub status: u16,
    pub reason: String,
    /// Header lines in order, case kept.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
    /// Trailer lines of a chunked body.
    pub trailers: Vec<(String, String)>,
}

impl Response {
    /// The first value of a header (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in order.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The header names in wire order and case.
    pub fn names(&self) -> Vec<&str> {
        self.headers.iter().map(|(n, _)| n.as_str()).collect()
    }

    pub fn text(&self) -> String {
        show(&self.body)
    }

    /// The raw bytes with the Date redacted.
    pub fn wire(&self) -> String {
        redact_date(&self.raw)
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_lines(block: &[u8]) -> Vec<(String, String)> {
    show(block)
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l.split_once(':').expect("header line has a colon");
            (n.to_string(), v.trim().to_string())
        })
        .collect()
}

/// Parse one response at the start of `buf`: `Some((response, bytes used))` once it is
/// whole. A body without length is whole when `closed`.
pub fn parse_response(buf: &[u8], head_request: bool, closed: bool) -> Option<(Response, usize)> {
    let head_end = find(buf, b"\r\n\r\n")? + 4;
    let head = &buf[..head_end - 4];
    let line_end = find(head, b"\r\n").unwrap_or(head.len());
    let status_line = show(&head[..line_end]);
    let mut parts = status_line.splitn(3, ' ');
    assert_eq!(
        parts.next(),
        Some("HTTP/1.1"),
        "status line {status_line:?}"
    );
    let status: u16 = parts.next()?.parse().expect("status code");
    let reason = parts.next().unwrap_or("").to_string();
    let headers = parse_lines(&head[line_end.min(head.len())..]);
    let mut r = Response {
        raw: Vec::new(),
        status,
        reason,
        headers,
        body: Vec::new(),
        trailers: Vec::new(),
    };
    let no_body = head_request || status < 200 || status == 204 || status == 304;
    let chunked = r
        .header("transfer-encoding")
        .is_some_and(|v| v.to_ascii_lowercase().ends_with("chunked"));
    let used = if no_body {
        head_end
    } else if chunked {
        let mut pos = head_end;
        loop {
            let size_end = pos + find(&buf[pos..], b"\r\n")?;
            let size_text = show(&buf[pos..size_end]);
            let size_hex = size_text.split(';').next().unwrap();
            let size = usize::from_str_radix(size_hex.trim(), 16).expect("chunk size");
            pos = size_end + 2;
            if size == 0 {
                let trailer_end = if buf[pos..].starts_with(b"\r\n") {
                    pos
                } else {
                    pos + find(&buf[pos..], b"\r\n\r\n")? + 2
                };
                r.trailers = parse_lines(&buf[pos..trailer_end]);
                break trailer_end + 2;
            }
            if buf.len() < pos + size + 2 {
                return None;
            }
            r.body.extend_from_slice(&buf[pos..pos + size]);
            assert_eq!(
                &buf[pos + size..pos + size + 2],
                b"\r\n",
                "chunk ends in CRLF"
            );
            pos += size + 2;
        }
    } else if let Some(cl) = r.header("content-length") {
        let n: usize = cl.parse().expect("content-length");
        if buf.len() < head_end + n {
            return None;
        }
        r.body = buf[head_end..head_end + n].to_vec();
        head_end + n
    } else {
        if !closed {
            return None;
        }
        r.body = buf[head_end..].to_vec();
        buf.len()
    };
    if used > buf.len() {
        return None;
    }
    r.raw = buf[..used].to_vec();
    Some((r, used))
}

/// Split a whole capture into responses (the last may be close-delimited).
pub fn split_responses(bytes: &[u8]) -> Vec<Response> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let (r, used) = parse_response(rest, false, true)
            .unwrap_or_else(|| panic!("not a whole response: {:?}", show(rest)));
        out.push(r);
        rest = &rest[used..];
    }
    out
}

/// A request with the given request line and headers, `Host` first (tests add their own).
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").into_bytes()
}

/// Wait on a channel with the common patience.
pub fn recv<T>(rx: &mpsc::Receiver<T>) -> T {
    rx.recv_timeout(PATIENCE).expect("event in time")
}

/// Run `f` inside a request handler (the response ends when the handler drops it, if `f`
/// did not end it) and hand back what `f` reported and the response the client got.
pub fn in_handler<T: Send + 'static>(
    f: impl Fn(&mut stdhttp::ServerResponse) -> T + Send + Sync + 'static,
) -> (T, Response) {
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let s = start(move |_q, mut r| {
        let v = f(&mut r);
        tx.lock().unwrap().send(v).unwrap();
    });
    let mut c = s.connect();
    c.send(&get("/"));
    let r = c.response();
    (recv(&rx), r)
}
