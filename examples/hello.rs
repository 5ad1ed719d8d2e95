//! The README's main demo: `Hello, World!` on 127.0.0.1 (default port 8080).
//!
//! ```text
//! cargo run --release --example hello [-- PORT]
//! ```
//!
//! For the scripts under `scripts/`: `STDHTTP_KEEP_ALIVE_MS` sets the keep-alive timeout,
//! `STDHTTP_MAX_THREADS` the worker bound, `STDHTTP_CLOSE_AFTER_MS=T` calls
//! `server.close()` T ms after start (the process exits once the server has closed),
//! `STDHTTP_SLEEP_MS=N` makes requests for `/sleep` sleep N ms in the handler (a blocking
//! handler, for `scripts/sleepers.py`), and `STDHTTP_WAIT=parked|threads` picks where
//! connections wait between requests (stdhttp reads it itself).

use std::time::Duration;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.parse().ok()
}

fn main() {
    let port: u16 = match std::env::args().nth(1).map(|p| p.parse()) {
        None => 8080,
        Some(Ok(p)) => p,
        Some(Err(_)) => {
            eprintln!("usage: hello [PORT]");
            std::process::exit(2);
        }
    };
    let sleep = env_u64("STDHTTP_SLEEP_MS").map(Duration::from_millis);
    let server = stdhttp::create_server(move |req, mut res| {
        if let (Some(d), "/sleep") = (sleep, req.url()) {
            std::thread::sleep(d);
        }
        let _ = res.set_header("Content-Type", "text/plain");
        let _ = res.end(b"Hello, World!");
    });
    if let Some(ms) = env_u64("STDHTTP_KEEP_ALIVE_MS") {
        server.set_keep_alive_timeout(ms);
    }
    if let Some(n) = env_u64("STDHTTP_MAX_THREADS") {
        // before listen: cannot fail
        let _ = server.set_max_threads(n as usize);
    }
    if let Err(e) = server.listen(("127.0.0.1", port)) {
        eprintln!("hello: cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    }
    let port = server.address().and_then(|a| a.port()).unwrap_or(port);
    println!("Listening on http://127.0.0.1:{port}/");
    if let Some(ms) = env_u64("STDHTTP_CLOSE_AFTER_MS") {
        let closer = server.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(ms));
            let _ = closer.close();
        });
    }
    server.join();
}
