//! `Hello, World!` over HTTP/1.1 keep-alive, on 127.0.0.1.
//!
//! ```text
//! cargo run --release --example hello [-- PORT]     (default port 8080)
//! curl -i http://127.0.0.1:8080/
//! ```
//!
//! Until stdhttp's `Server` lands, this demo drives the protocol core by hand: one thread
//! per connection (at most 1024 at once), the resumable parser on each read, the encoder for
//! each response, Node's response headers (`Date`, `Connection: keep-alive`,
//! `Keep-Alive: timeout=5`, `Content-Length`), pipelined requests answered in order in one
//! write, and Node's 400 / 431 bytes on bad input.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use stdhttp::parser::{ErrorCode, Flow, Handler, Head, Parser};
use stdhttp::proto::encode;

const BODY: &str = "Hello, World!";
const MAX_CONNECTIONS: usize = 1024;
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// Counts the requests completed in one read and whether the connection may stay open.
#[derive(Default)]
struct Requests {
    complete: usize,
    keep_alive: bool,
    head: bool,
}

impl Handler for Requests {
    fn on_headers_complete(&mut self, head: &Head<'_>) -> Flow {
        self.keep_alive = head.keep_alive() && !head.host_missing();
        self.head = head.method() == Some("HEAD");
        Flow::Continue
    }
    fn on_message_complete(&mut self) -> Flow {
        self.complete += 1;
        // answer one request at a time so a later `Connection: close` cannot cut an earlier
        // response short
        Flow::Pause
    }
}

fn respond(out: &mut Vec<u8>, keep_alive: bool, head: bool) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let lines: [(&str, String); 3] = [
        ("Content-Type", "text/plain".into()),
        ("Date", encode::fmt_http_date(now)),
        (
            "Connection",
            if keep_alive { "keep-alive" } else { "close" }.into(),
        ),
    ];
    let written = encode::write_status_line(out, 200, "OK").and_then(|()| {
        lines
            .iter()
            .try_for_each(|(n, v)| encode::write_header(out, n, v))
    });
    if written.is_err() {
        return;
    }
    if keep_alive {
        out.extend_from_slice(b"Keep-Alive: timeout=5\r\n");
    }
    encode::write_content_length(out, BODY.len() as u64);
    out.extend_from_slice(b"\r\n");
    if !head {
        out.extend_from_slice(BODY.as_bytes());
    }
}

fn serve(mut stream: TcpStream) -> std::io::Result<()> {
    stream.set_read_timeout(Some(KEEP_ALIVE))?;
    stream.set_nodelay(true)?;
    let mut parser = Parser::request();
    let mut buf = vec![0u8; 16 * 1024];
    let mut out = Vec::with_capacity(4096);
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        let mut data = &buf[..n];
        let mut open = true;
        while !data.is_empty() && open {
            let mut reqs = Requests::default();
            match parser.execute(data, &mut reqs) {
                Ok(used) => {
                    data = &data[used..];
                    if reqs.complete > 0 {
                        respond(&mut out, reqs.keep_alive, reqs.head);
                        open = reqs.keep_alive;
                    }
                }
                Err(e) => {
                    let status = match e.code() {
                        ErrorCode::HeaderOverflow => "431 Request Header Fields Too Large",
                        ErrorCode::ChunkExtensionsOverflow => "413 Payload Too Large",
                        _ => "400 Bad Request",
                    };
                    out.extend_from_slice(
                        format!("HTTP/1.1 {status}\r\nConnection: close\r\n\r\n").as_bytes(),
                    );
                    open = false;
                }
            }
        }
        stream.write_all(&out)?;
        out.clear();
        if !open {
            return Ok(());
        }
    }
}

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("Server running at http://{}/", listener.local_addr()?);
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if active.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            active.fetch_sub(1, Ordering::AcqRel);
            continue; // dropped: too many connections
        }
        let held = Arc::clone(&active);
        let spawned = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let _ = serve(stream);
                held.fetch_sub(1, Ordering::AcqRel);
            });
        if spawned.is_err() {
            active.fetch_sub(1, Ordering::AcqRel);
            eprintln!("cannot start a thread for a connection");
        }
    }
    Ok(())
}
