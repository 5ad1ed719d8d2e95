//! The JSON echo server of `ECHO-CONTRACT.md`: every request is answered with a JSON
//! object describing what the server parsed (method, url, version, headers, raw headers,
//! body, trailers). CONNECT and upgrades get one JSON "tunnel line", then the connection
//! closes. The same bytes sent to this server and to Node's show where the two differ.
//!
//! ```text
//! cargo run --example echo -- --port 0
//! LISTENING 127.0.0.1:40123
//! ```

#[path = "support/json.rs"]
mod json;

use std::io::Write;

use stdhttp::{IncomingMessage, Server};

fn head_fields(out: &mut String, req: &IncomingMessage) {
    json::key(out, false, "method");
    json::string(out, req.method().unwrap_or(""));
    json::key(out, false, "url");
    json::string(out, req.url());
    json::key(out, false, "httpVersion");
    json::string(out, req.http_version());
    json::key(out, false, "headers");
    json::headers(out, req.headers());
    json::key(out, false, "rawHeaders");
    json::raw(out, req.raw_headers());
}

fn tunnel_line(event: &str, req: &IncomingMessage, head: &[u8]) -> String {
    let mut out = String::from("{");
    json::key(&mut out, true, "event");
    json::string(&mut out, event);
    head_fields(&mut out, req);
    json::key(&mut out, false, "head");
    json::string(&mut out, &String::from_utf8_lossy(head));
    out.push_str("}\n");
    out
}

/// The largest body echoed; a longer one is answered `413` (a body is held in memory whole).
const MAX_BODY: usize = 16 * 1024 * 1024;

fn main() {
    let mut port: u16 = 0;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next().map(|p| p.parse::<u16>())) {
            ("--port", Some(Ok(p))) => port = p,
            _ => {
                eprintln!("usage: echo [--port N]");
                std::process::exit(2);
            }
        }
    }
    let server = Server::new();
    server.on_request(|mut req, mut res| {
        let body = match req.read_to_end_limited(MAX_BODY) {
            Ok(body) => body,
            Err(e) if e.code() == "ERR_HTTP_BODY_TOO_LARGE" => {
                res.set_status_code(413);
                let _ = res.set_header("Connection", "close");
                let _ = res.end(b"");
                return;
            }
            Err(_) => return, // the server has answered the bad body (400/408) already
        };
        let mut out = String::from("{");
        json::key(&mut out, true, "body");
        json::string(&mut out, &String::from_utf8_lossy(&body));
        head_fields(&mut out, &req);
        json::key(&mut out, false, "trailers");
        json::headers(&mut out, req.trailers());
        json::key(&mut out, false, "rawTrailers");
        json::raw(&mut out, req.raw_trailers());
        out.push('}');
        let _ = res.set_header("Content-Type", "application/json");
        let _ = res.set_header("Content-Length", out.len() as u64);
        let _ = res.set_header("X-Echo-Method", req.method().unwrap_or(""));
        let _ = res.end(out.as_bytes());
    });
    for event in ["connect", "upgrade"] {
        let listener = move |req: IncomingMessage, mut socket: stdhttp::Socket, head: Vec<u8>| {
            let line = tunnel_line(event, &req, &head);
            let _ = socket.write_all(line.as_bytes());
            socket.end();
            socket.destroy();
        };
        if event == "connect" {
            server.on_connect(listener);
        } else {
            server.on_upgrade(listener);
        }
    }
    if let Err(e) = server.listen(("127.0.0.1", port)) {
        eprintln!("echo: cannot listen: {e}");
        std::process::exit(1);
    }
    let port = server.address().and_then(|a| a.port()).unwrap_or(port);
    println!("LISTENING 127.0.0.1:{port}");
    let _ = std::io::stdout().flush();
    server.join();
}
