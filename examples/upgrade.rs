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
//! ```

use std::io::{Read, Write};
use std::process::exit;

use stdhttp::{IncomingMessage, Server, Socket};

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

/// Read until the end of a response head; returns the head and any bytes after it.
fn read_head(socket: &mut Socket) -> std::io::Result<(String, Vec<u8>)> {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        if let Some(end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = got.split_off(end + 4);
            return Ok((String::from_utf8_lossy(&got).into_owned(), rest));
        }
        if got.len() > 64 * 1024 {
            return Err(std::io::Error::other("response head too large"));
        }
        let n = socket.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        got.extend_from_slice(&buf[..n]);
    }
}

/// The seed's client side. It speaks HTTP over a raw [`Socket`] because stdhttp's client is
/// not written yet; once it is, this becomes `stdhttp::request(...)` with an `on_upgrade`
/// listener, as in the seed.
fn client(port: u16) -> std::io::Result<()> {
    let mut socket = Socket::connect(("127.0.0.1", port))?;
    socket.set_timeout(TIMEOUT_MS)?;
    write!(
        socket,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    )?;
    let (head, mut echoed) = read_head(&mut socket)?;
    let status = head.lines().next().unwrap_or("");
    if !status.starts_with("HTTP/1.1 101 ") {
        return Err(std::io::Error::other(format!(
            "expected a 101, got {status:?}"
        )));
    }
    println!("got upgraded!");
    print!("{head}");

    let message = b"hello through the upgraded connection";
    socket.write_all(message)?;
    let mut buf = [0u8; 1024];
    while echoed.len() < message.len() {
        let n = socket.read(&mut buf)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        echoed.extend_from_slice(&buf[..n]);
    }
    println!("echoed: {}", String::from_utf8_lossy(&echoed));
    if echoed != message {
        return Err(std::io::Error::other("the echo differs from what was sent"));
    }
    // our FIN ends the server's echo loop; its FIN ends this one
    socket.end();
    while socket.read(&mut buf)? > 0 {}
    Ok(())
}

fn main() {
    let server = Server::new();
    server.on_request(|_req, mut res| {
        let _ = res.write_head(200, None, [("Content-Type", "text/plain")]);
        let _ = res.end(b"okay");
    });
    server.on_upgrade(on_upgrade);
    if let Err(e) = server.listen("127.0.0.1:0") {
        eprintln!("upgrade: cannot listen: {e}");
        exit(1);
    }
    let port = server.address().and_then(|a| a.port()).unwrap_or(0);
    eprintln!("server: listening on 127.0.0.1:{port}");

    let outcome = client(port);
    let _ = server.close();
    server.join();
    if let Err(e) = outcome {
        eprintln!("upgrade: {e}");
        exit(1);
    }
}
