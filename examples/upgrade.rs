//! The seed documents' `'upgrade'` example, client and server in one process.
//!
//! The server answers ordinary requests with `okay`; a request asking to upgrade
//! (`Connection: Upgrade` + `Upgrade: websocket`) gets a `101 Web Socket Protocol Handshake`
//! and from then on the connection is a plain byte pipe that the server echoes back.
//! `main` then plays the client: it asks for the upgrade, prints the `101` head, sends a few
//! bytes through the upgraded connection, prints what came back, closes the server and
//! exits 0.
//!
//! ```text
//! cargo run --example upgrade
//! cargo run --example upgrade -- --serve 8080   # just the server, until killed
//! ```

#[path = "support/serve_flag.rs"]
mod serve_flag;

use std::io::{Read, Write};
use std::process::exit;
use std::sync::mpsc;
use std::time::Duration;

use stdhttp::{IncomingMessage, RequestOptions, Server, Socket};

/// Every read and write in this example gives up after this long, so it cannot hang.
const TIMEOUT_MS: u64 = 5_000;

/// The `upgrade` listener: hand-write the 101, then echo every byte until the client
/// closes its side (Node's `socket.pipe(socket)`).
fn on_upgrade(req: IncomingMessage, mut socket: Socket, head: Vec<u8>) {
    eprintln!(
        "server: upgrade to {:?} requested for {}",
        req.headers().get_str("upgrade").unwrap_or(""),
        req.url()
    );
    let _ = socket.set_timeout(TIMEOUT_MS);
    let handshake = b"HTTP/1.1 101 Web Socket Protocol Handshake\r\n\
Upgrade: WebSocket\r\n\
Connection: Upgrade\r\n\
\r\n";
    if socket.write_all(handshake).is_err() {
        socket.destroy();
        return;
    }
    // bytes the client sent right behind its head belong to the new protocol: echo them too
    if socket.write_all(&head).is_err() {
        socket.destroy();
        return;
    }
    let mut buf = [0u8; 4096];
    loop {
        match socket.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if socket.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    socket.end();
    socket.destroy();
}

/// Send `message` through the upgraded connection, read the echo back, then close our
/// side and wait for the server's close.
fn talk(socket: &mut Socket, mut echoed: Vec<u8>, message: &[u8]) -> std::io::Result<Vec<u8>> {
    socket.set_timeout(TIMEOUT_MS)?;
    socket.write_all(message)?;
    let mut buf = [0u8; 1024];
    while echoed.len() < message.len() {
        let n = socket.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        echoed.extend_from_slice(&buf[..n]);
    }
    // our FIN ends the server's echo loop; its FIN ends this one
    socket.end();
    while socket.read(&mut buf)? > 0 {}
    socket.destroy();
    Ok(echoed)
}

/// The seed's client side, on stdhttp's client: the `upgrade` listener gets the `101`, the
/// socket (now ours) and any bytes that came after the head.
fn client(port: u16) -> Result<(), String> {
    let opts = RequestOptions::new()
        .hostname("127.0.0.1")
        .port(port)
        .timeout(TIMEOUT_MS)
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket");
    let (tx, rx) = mpsc::channel();
    let mut req = stdhttp::request(opts).map_err(|e| e.to_string())?;
    req.on_upgrade(move |res, mut socket, head| {
        println!("got upgraded!");
        println!(
            "HTTP/{} {} {}",
            res.http_version(),
            res.status_code(),
            res.status_message()
        );
        for (name, value) in res.raw_headers().iter() {
            println!("{name}: {value}");
        }
        let message = b"hello through the upgraded connection";
        let outcome = talk(&mut socket, head, message).map_err(|e| e.to_string());
        let _ = tx.send(outcome.map(|echoed| (echoed, message.to_vec())));
    });
    let res = req.end(&[]).map_err(|e| e.to_string())?;
    if res.status_code() != 101 {
        return Err(format!("expected a 101, got {}", res.status_code()));
    }
    let (echoed, sent) = rx
        .recv_timeout(Duration::from_millis(TIMEOUT_MS))
        .map_err(|_| "the upgrade listener did not run".to_string())??;
    println!("echoed: {}", String::from_utf8_lossy(&echoed));
    if echoed != sent {
        return Err("the echo differs from what was sent".into());
    }
    Ok(())
}

fn main() {
    let serve = serve_flag::serve_flag("upgrade");
    let server = Server::new();
    server.on_request(|_req, mut res| {
        let _ = res.write_head(200, None, [("Content-Type", "text/plain")]);
        let _ = res.end(b"okay");
    });
    server.on_upgrade(on_upgrade);
    if let Err(e) = server.listen(("127.0.0.1", serve.unwrap_or(0))) {
        eprintln!("upgrade: cannot listen: {e}");
        exit(1);
    }
    let port = server.address().and_then(|a| a.port()).unwrap_or(0);
    eprintln!("server: listening on 127.0.0.1:{port}");
    if serve.is_some() {
        // just the server, for other clients (tests/interop_echo.rs drives it with Node)
        println!("LISTENING 127.0.0.1:{port}");
        let _ = std::io::stdout().flush();
        server.join();
        return;
    }

    let outcome = client(port);
    let _ = server.close();
    server.join();
    if let Err(e) = outcome {
        eprintln!("upgrade: {e}");
        exit(1);
    }
}
