//! The cost floor of stdhttp's model, for benchmarks: one thread per connection, one
//! blocking `read` and one `write` per request, and no HTTP work at all (it answers every
//! `\r\n\r\n` it sees with a fixed `Hello, World!` response). No thread-per-connection
//! server can be faster than this on the same machine; `scripts/model_floor.py` runs it
//! beside `hello` and a peer to show how much of the gap to an epoll server is the model's.
//!
//! `cargo run --release --example floor -- [PORT]` (default 8080), on 127.0.0.1 only.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

const REPLY: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";

fn serve(mut stream: TcpStream) {
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // one answer per request head in what arrived (wrk sends one at a time)
        let heads = buf[..n].windows(4).filter(|w| w == b"\r\n\r\n").count();
        for _ in 0..heads.max(1) {
            if stream.write_all(REPLY).is_err() {
                return;
            }
        }
    }
}

fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080);
    let listener = match TcpListener::bind(("127.0.0.1", port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("floor: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(1);
        }
    };
    println!("floor listening on http://127.0.0.1:{port}/");
    for stream in listener.incoming().flatten() {
        let _ = stream.set_nodelay(true);
        let spawned = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || serve(stream));
        if spawned.is_err() {
            eprintln!("floor: cannot start a thread");
        }
    }
}
