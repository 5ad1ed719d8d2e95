//! The seed documents' CONNECT tunnelling proxy, client and servers in one process.
//!
//! An origin server and a proxy run on 127.0.0.1. The proxy's `connect` listener opens a
//! TCP connection to the `host:port` the client asked for, answers
//! `200 Connection Established`, and copies bytes both ways until a side closes. Only
//! loopback destinations (`127.0.0.1`, `localhost`, `[::1]`) are tunnelled; anything else
//! gets `403 Forbidden`, so the example never reaches beyond this machine.
//!
//! `main` then plays the seed's client: it asks the proxy for a tunnel to the origin, sends
//! a GET through it, prints the origin's answer, shows that a tunnel to another host is
//! refused, closes both servers and exits 0.
//!
//! ```text
//! cargo run --example proxy                 # the demo above
//! cargo run --example proxy -- --serve 8888 # just the proxy (and an origin), until killed
//! curl -v -p -x http://127.0.0.1:8888 http://127.0.0.1:<origin port>/
//! ```

#[path = "support/serve_flag.rs"]
mod serve_flag;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::process::exit;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use stdhttp::{IncomingMessage, RequestOptions, Server, Socket};

/// A tunnel with no traffic either way for this long is torn down.
const TUNNEL_IDLE_MS: u64 = 60_000;
/// The demo client's reads and writes give up after this long.
const CLIENT_TIMEOUT_MS: u64 = 5_000;

const ESTABLISHED: &[u8] =
    b"HTTP/1.1 200 Connection Established\r\nProxy-agent: stdhttp-proxy\r\n\r\n";

/// Split a CONNECT request-target (authority-form) into host and port:
/// `127.0.0.1:80`, `localhost:80`, `[::1]:80`. The host comes back without brackets.
fn parse_authority(target: &str) -> Option<(&str, u16)> {
    let (host, port) = if let Some(rest) = target.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        (host, after.strip_prefix(':')?)
    } else {
        let (host, port) = target.rsplit_once(':')?;
        if host.contains(':') {
            return None; // an IPv6 address must be in brackets
        }
        (host, port)
    };
    if host.is_empty() || port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((host, port.parse().ok()?))
}

/// Where a tunnel to `host:port` may go: loopback addresses only. `None` for any other host.
fn loopback_addresses(host: &str, port: u16) -> Option<Vec<SocketAddr>> {
    let ips: Vec<IpAddr> = if host.eq_ignore_ascii_case("localhost") {
        // resolve, but keep only loopback answers whatever the resolver says
        (host, port)
            .to_socket_addrs()
            .ok()?
            .map(|a| a.ip())
            .filter(IpAddr::is_loopback)
            .collect()
    } else if host == "127.0.0.1" {
        vec![Ipv4Addr::LOCALHOST.into()]
    } else if host.parse::<Ipv6Addr>().ok() == Some(Ipv6Addr::LOCALHOST) {
        vec![Ipv6Addr::LOCALHOST.into()]
    } else {
        return None;
    };
    let addrs: Vec<SocketAddr> = ips.into_iter().map(|ip| (ip, port).into()).collect();
    (!addrs.is_empty()).then_some(addrs)
}

/// Answer a CONNECT we will not tunnel, then close.
fn refuse(socket: &Socket, status: &str) {
    let mut s = socket;
    let _ = write!(
        s,
        "HTTP/1.1 {status}\r\nProxy-agent: stdhttp-proxy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    );
    socket.end();
    socket.destroy();
}

/// Copy `from` → `to` until `from` ends or fails; then pass the end on (half-close).
fn pump(from: &Socket, to: &Socket) -> std::io::Result<u64> {
    let copied = std::io::copy(&mut &*from, &mut &*to);
    let _ = to.as_tcp().map(|s| s.shutdown(Shutdown::Write));
    copied
}

/// The proxy's `connect` listener (runs on the proxy's worker thread, which it may keep).
fn on_connect(req: IncomingMessage, client: Socket, head: Vec<u8>) {
    let target = req.url().to_string();
    let Some((host, port)) = parse_authority(&target) else {
        eprintln!("proxy: refused malformed CONNECT target {target:?}");
        return refuse(&client, "400 Bad Request");
    };
    let Some(addrs) = loopback_addresses(host, port) else {
        eprintln!("proxy: refused CONNECT to {target:?} (only loopback is tunnelled)");
        return refuse(&client, "403 Forbidden");
    };
    let origin = addrs
        .iter()
        .find_map(|a| TcpStream::connect_timeout(a, Duration::from_secs(2)).ok());
    let Some(origin) = origin else {
        eprintln!("proxy: cannot reach {target}");
        return refuse(&client, "502 Bad Gateway");
    };
    let origin = Socket::from_tcp(origin);
    let _ = client.set_timeout(TUNNEL_IDLE_MS);
    let _ = origin.set_timeout(TUNNEL_IDLE_MS);
    let _ = origin.set_no_delay(true);
    if (&client).write_all(ESTABLISHED).is_err() || (&origin).write_all(&head).is_err() {
        client.destroy();
        origin.destroy();
        return;
    }
    eprintln!("proxy: tunnel to {target} established");
    let (c, o) = (client.clone(), origin.clone());
    let back = thread::spawn(move || pump(&o, &c));
    let up = pump(&client, &origin);
    let down = back
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("panicked")));
    if let (Ok(up), Ok(down)) = (&up, &down) {
        eprintln!("proxy: tunnel to {target} closed ({up} bytes up, {down} bytes down)");
    }
    client.destroy();
    origin.destroy();
}

/// Start the origin and the proxy; returns them with their ports.
fn start(proxy_port: u16) -> Result<(Server, u16, Server, u16), stdhttp::Error> {
    let origin = Server::new();
    origin.on_request(|req, mut res| {
        let body = format!(
            "hello from the origin: {} {}\n",
            req.method().unwrap_or(""),
            req.url()
        );
        let _ = res.write_head(200, None, [("Content-Type", "text/plain")]);
        let _ = res.end(body.as_bytes());
    });
    origin.listen("127.0.0.1:0")?;
    let proxy = Server::new();
    // the seed's proxy answers plain requests too
    proxy.on_request(|_req, mut res| {
        let _ = res.write_head(200, None, [("Content-Type", "text/plain")]);
        let _ = res.end(b"okay");
    });
    proxy.on_connect(on_connect);
    proxy.listen(("127.0.0.1", proxy_port))?;
    let port = |s: &Server| s.address().and_then(|a| a.port()).unwrap_or(0);
    let (op, pp) = (port(&origin), port(&proxy));
    Ok((origin, op, proxy, pp))
}

/// What the `connect` listener saw: the proxy's status line and the origin's answer.
type Tunnelled = Result<(String, Vec<u8>), String>;

/// Ask the proxy for a tunnel to `target` with stdhttp's client, as the seed's client does
/// with Node's: `method: 'CONNECT'`, `path: target`, and a `connect` listener that gets the
/// tunnel's socket. Through it, send a GET for `path` and read the whole answer.
fn through_tunnel(
    proxy_port: u16,
    target: &str,
    path: &str,
) -> Result<(u16, Option<Tunnelled>), String> {
    let opts = RequestOptions::new()
        .hostname("127.0.0.1")
        .port(proxy_port)
        .method("CONNECT")
        .path(target)
        .timeout(CLIENT_TIMEOUT_MS);
    let (tx, rx) = mpsc::channel::<Tunnelled>();
    let mut req = stdhttp::request(opts).map_err(|e| e.to_string())?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n");
    req.on_connect(move |res, socket, head| {
        let status = format!(
            "HTTP/{} {} {}",
            res.http_version(),
            res.status_code(),
            res.status_message()
        );
        let mut answer = head;
        let outcome = socket
            .set_timeout(CLIENT_TIMEOUT_MS)
            .and_then(|()| (&socket).write_all(request.as_bytes()))
            .and_then(|()| (&socket).read_to_end(&mut answer));
        socket.destroy();
        let _ = tx.send(outcome.map(|_| (status, answer)).map_err(|e| e.to_string()));
    });
    let res = req.end(&[]).map_err(|e| e.to_string())?;
    // the listener runs only for a 2xx answer; anything else comes back as the response
    let tunnelled = (200..300)
        .contains(&res.status_code())
        .then(|| rx.recv_timeout(Duration::from_millis(CLIENT_TIMEOUT_MS)))
        .map(|r| {
            r.map_err(|_| "the connect listener did not run".to_string())
                .and_then(|t| t)
        });
    Ok((res.status_code(), tunnelled))
}

/// The seed's client, on stdhttp's client.
fn client(proxy_port: u16, origin_port: u16) -> Result<(), String> {
    let target = format!("127.0.0.1:{origin_port}");
    let (code, tunnelled) = through_tunnel(proxy_port, &target, "/through/the/tunnel")?;
    let Some(tunnelled) = tunnelled else {
        return Err(format!("CONNECT {target}: got {code}"));
    };
    let (status, answer) = tunnelled?;
    println!("got connected! ({status})");
    let text = String::from_utf8_lossy(&answer);
    print!("{text}");
    if !text.starts_with("HTTP/1.1 200 ") || !text.contains("hello from the origin") {
        return Err("the origin's answer did not come through".into());
    }

    // the proxy only tunnels to this machine (no name is resolved for a refused host)
    let (code, tunnelled) = through_tunnel(proxy_port, "example.com:80", "/")?;
    println!("CONNECT example.com:80 -> {code}");
    if code != 403 || tunnelled.is_some() {
        return Err("a non-local tunnel was not refused".into());
    }
    Ok(())
}

fn main() {
    let serve = serve_flag::serve_flag("proxy");
    let (origin, origin_port, proxy, proxy_port) = match start(serve.unwrap_or(0)) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("proxy: cannot listen: {e}");
            exit(1);
        }
    };
    eprintln!("origin: listening on 127.0.0.1:{origin_port}");
    eprintln!("proxy: listening on 127.0.0.1:{proxy_port}");
    if serve.is_some() {
        println!("PROXY 127.0.0.1:{proxy_port}");
        println!("ORIGIN 127.0.0.1:{origin_port}");
        println!(
            "try: curl -v -p -x http://127.0.0.1:{proxy_port} http://127.0.0.1:{origin_port}/"
        );
        let _ = std::io::stdout().flush();
        proxy.join();
        return;
    }
    let outcome = client(proxy_port, origin_port);
    let _ = proxy.close();
    let _ = origin.close();
    proxy.join();
    origin.join();
    if let Err(e) = outcome {
        eprintln!("proxy: {e}");
        exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_forms() {
        assert_eq!(parse_authority("127.0.0.1:80"), Some(("127.0.0.1", 80)));
        assert_eq!(parse_authority("localhost:8080"), Some(("localhost", 8080)));
        assert_eq!(parse_authority("[::1]:443"), Some(("::1", 443)));
        assert_eq!(parse_authority("::1:443"), None);
        assert_eq!(parse_authority("127.0.0.1"), None);
        assert_eq!(parse_authority("127.0.0.1:"), None);
        assert_eq!(parse_authority(":80"), None);
        assert_eq!(parse_authority("127.0.0.1:+80"), None);
        assert_eq!(parse_authority("127.0.0.1:65536"), None);
        assert_eq!(parse_authority("[::1]443"), None);
        assert_eq!(parse_authority("/path"), None);
    }

    #[test]
    fn only_loopback_is_tunnelled() {
        assert!(loopback_addresses("127.0.0.1", 80).is_some());
        assert!(loopback_addresses("::1", 80).is_some());
        assert!(loopback_addresses("0:0:0:0:0:0:0:1", 80).is_some());
        assert!(loopback_addresses("example.com", 80).is_none());
        assert!(loopback_addresses("10.0.0.1", 80).is_none());
        assert!(loopback_addresses("127.0.0.2", 80).is_none());
        assert!(loopback_addresses("0.0.0.0", 80).is_none());
        for a in loopback_addresses("localhost", 80).unwrap_or_default() {
            assert!(a.ip().is_loopback());
        }
    }
}
