//! Other HTTP clients against stdhttp's server: the built `examples/echo` (the JSON echo
//! server of ECHO-CONTRACT.md) is driven by curl and by Node's own `http` client, and what
//! it echoes back is checked. Each part skips with a notice when its client is missing.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use common::example::{example_or_skip, have_tool, Running};
use common::json::{self, Json};
use common::node::{case, node_cases};

fn echo_server() -> Option<Running> {
    let bin = example_or_skip("echo")?;
    Some(Running::start(&bin, &["--port", "0"], "LISTENING"))
}

fn s<'a>(j: &'a Json, path: &[&str]) -> &'a str {
    let mut v = j;
    for k in path {
        v = v.get(k).unwrap_or_else(|| panic!("no {path:?} in {j:?}"));
    }
    v.str()
        .unwrap_or_else(|| panic!("{path:?} is not a string in {j:?}"))
}

fn strings(j: &Json, key: &str) -> Vec<String> {
    j.get(key)
        .map(Json::arr)
        .unwrap_or(&[])
        .iter()
        .map(|v| v.str().unwrap_or_default().to_string())
        .collect()
}

fn parse(text: &str) -> Json {
    json::parse(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

/// A scratch file with `bytes`, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, bytes: &[u8]) -> TempFile {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let p = std::env::temp_dir().join(format!(
            "stdhttp-interop-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::write(&p, bytes).unwrap();
        TempFile(p)
    }
    fn arg(&self) -> String {
        format!("@{}", self.0.display())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Run curl (silent, bounded to 10 s) with `args`; it must succeed.
/// A number field (-1 when absent).
fn num(j: &Json, k: &str) -> f64 {
    j.get(k).and_then(Json::num).unwrap_or(-1.0)
}

fn curl(args: &[&str]) -> (String, String) {
    let out: Output = Command::new("curl")
        .args(["--silent", "--show-error", "--max-time", "10"])
        .args(args)
        .output()
        .expect("curl runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "curl {args:?} failed: {:?}\n{stderr}",
        out.status
    );
    (stdout, stderr)
}

#[test]
fn curl_drives_the_echo_example() {
    if !have_tool("curl") {
        return;
    }
    let Some(server) = echo_server() else {
        return;
    };
    let base = format!("http://{}", server.addr);

    // GET with repeated headers: joined in `headers`, kept apart in `rawHeaders`
    let (out, _) = curl(&[
        "-H",
        "X-Foo: bar",
        "-H",
        "X-Foo: baz",
        "-H",
        "Accept: text/x-test",
        &format!("{base}/get/path?q=1&r=%20"),
    ]);
    let j = parse(&out);
    assert_eq!(s(&j, &["method"]), "GET");
    assert_eq!(s(&j, &["url"]), "/get/path?q=1&r=%20");
    assert_eq!(s(&j, &["httpVersion"]), "1.1");
    assert_eq!(s(&j, &["headers", "x-foo"]), "bar, baz");
    assert_eq!(s(&j, &["headers", "accept"]), "text/x-test");
    assert_eq!(s(&j, &["headers", "host"]), server.addr);
    assert!(s(&j, &["headers", "user-agent"]).starts_with("curl/"));
    let raw = strings(&j, "rawHeaders");
    let foo: Vec<&[String]> = raw.chunks(2).filter(|p| p[0] == "X-Foo").collect();
    assert_eq!(foo, [["X-Foo", "bar"], ["X-Foo", "baz"]]);
    assert_eq!(s(&j, &["body"]), "");

    // POST with a Content-Length body
    let (out, _) = curl(&[
        "--data-binary",
        "name=stdhttp&x=1 2",
        &format!("{base}/post"),
    ]);
    let j = parse(&out);
    assert_eq!(s(&j, &["method"]), "POST");
    assert_eq!(s(&j, &["body"]), "name=stdhttp&x=1 2");
    assert_eq!(s(&j, &["headers", "content-length"]), "18");
    assert_eq!(
        s(&j, &["headers", "content-type"]),
        "application/x-www-form-urlencoded"
    );

    // chunked upload
    let text: String = (0..2000).map(|i| format!("line {i}\n")).collect();
    let file = TempFile::new("chunked", text.as_bytes());
    let (out, _) = curl(&[
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        &file.arg(),
        &format!("{base}/chunked"),
    ]);
    let j = parse(&out);
    assert_eq!(s(&j, &["headers", "transfer-encoding"]), "chunked");
    assert!(j.get("headers").unwrap().get("content-length").is_none());
    assert_eq!(s(&j, &["body"]), text);

    // HTTP/1.0: echoed as such, and the connection is closed after the answer
    let (out, err) = curl(&["-v", "--http1.0", &format!("{base}/ten")]);
    assert_eq!(s(&parse(&out), &["httpVersion"]), "1.0");
    assert!(err.contains("> GET /ten HTTP/1.0"), "{err}");
    assert!(err.contains("< Connection: close"), "{err}");

    // HEAD: the echo's headers, no body
    let (out, _) = curl(&["-I", &format!("{base}/head")]);
    let lower = out.to_ascii_lowercase();
    assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
    assert!(lower.contains("\r\nx-echo-method: head\r\n"), "{out}");
    assert!(
        lower.contains("\r\ncontent-type: application/json"),
        "{out}"
    );
    let length: usize = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|v| v.trim().parse().ok())
        .expect("HEAD answer has a Content-Length");
    assert!(length > 0);
    assert!(out.ends_with("\r\n\r\n"), "HEAD answer has a body: {out:?}");

    // Expect: 100-continue with a large body: the 100 comes, curl does not time out
    let big = vec![b'x'; 300_000];
    let file = TempFile::new("big", &big);
    let (out, err) = curl(&[
        "-v",
        "-H",
        "Expect: 100-continue",
        "--data-binary",
        &file.arg(),
        &format!("{base}/big"),
    ]);
    assert!(err.contains("< HTTP/1.1 100 Continue"), "{err}");
    assert!(!err.contains("Done waiting for 100-continue"), "{err}");
    let j = parse(&out);
    assert_eq!(s(&j, &["headers", "expect"]), "100-continue");
    assert_eq!(s(&j, &["headers", "content-length"]), "300000");
    assert_eq!(s(&j, &["body"]).len(), 300_000);

    // keep-alive: two URLs over one connection
    let (out, err) = curl(&[
        "-v",
        "-w",
        "\\n",
        &format!("{base}/ka/1"),
        &format!("{base}/ka/2"),
    ]);
    assert!(err.contains("Re-using existing connection"), "{err}");
    assert_eq!(err.matches("Connected to").count(), 1, "{err}");
    let urls: Vec<String> = out
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| s(&parse(l), &["url"]).to_string())
        .collect();
    assert_eq!(urls, ["/ka/1", "/ka/2"]);
}

#[test]
fn node_http_client_drives_the_echo_example() {
    if !have_tool("node") {
        return;
    }
    let Some(server) = echo_server() else {
        return;
    };
    let lines = node_cases("echo_client.js", &[server.port().to_string()]);
    let case = |name: &str| case(&lines, name);

    let get = case("get");
    assert_eq!(num(get, "status"), 200.0);
    assert_eq!(s(get, &["echoMethod"]), "GET");
    assert_eq!(s(get, &["contentType"]), "application/json");
    let echo = get.get("echo").unwrap();
    assert_eq!(s(echo, &["url"]), "/node/get?x=1");
    assert_eq!(s(echo, &["headers", "x-node"]), "one");
    assert_eq!(
        strings(echo, "rawHeaders")[..4],
        ["X-Node", "one", "Accept", "application/json"]
    );

    let post = case("post").get("echo").unwrap();
    assert_eq!(s(post, &["method"]), "POST");
    assert_eq!(s(post, &["body"]), "hello node");
    assert_eq!(s(post, &["headers", "content-length"]), "10");

    let chunked = case("chunked").get("echo").unwrap();
    assert_eq!(s(chunked, &["headers", "transfer-encoding"]), "chunked");
    assert_eq!(s(chunked, &["body"]), "part one, part two");
    assert_eq!(s(chunked, &["trailers", "x-checksum"]), "c0ffee");
    assert_eq!(strings(chunked, "rawTrailers"), ["X-Checksum", "c0ffee"]);

    let ka = case("keepalive");
    assert_eq!(strings(ka, "urls"), ["/node/ka/1", "/node/ka/2"]);
    assert_eq!(strings(ka, "connection"), ["keep-alive", "keep-alive"]);
    assert_eq!(ka.get("sameLocalPort").and_then(Json::bool), Some(true));
    let reused: Vec<Option<bool>> = ka
        .get("reused")
        .map(Json::arr)
        .unwrap_or(&[])
        .iter()
        .map(Json::bool)
        .collect();
    assert_eq!(reused, [Some(false), Some(true)]);

    // The echo server answers CONNECT and upgrades with a JSON tunnel line, not an HTTP
    // response, so Node's client reports a parse error and its listener does not fire;
    // the line read off the socket shows what the server made of Node's request.
    let up = case("upgrade");
    assert_eq!(up.get("fired").and_then(Json::bool), Some(false));
    assert!(up.get("error").and_then(Json::str).is_some(), "{up:?}");
    let line = up.get("line").unwrap();
    assert_eq!(s(line, &["event"]), "upgrade");
    assert_eq!(s(line, &["method"]), "GET");
    assert_eq!(s(line, &["url"]), "/node/upgrade");
    assert_eq!(s(line, &["headers", "upgrade"]), "websocket");
    assert_eq!(s(line, &["headers", "connection"]), "Upgrade");
    assert_eq!(s(line, &["head"]), "");

    let connect = case("connect");
    assert_eq!(connect.get("fired").and_then(Json::bool), Some(false));
    let line = connect.get("line").unwrap();
    assert_eq!(s(line, &["event"]), "connect");
    assert_eq!(s(line, &["method"]), "CONNECT");
    assert_eq!(s(line, &["url"]), "127.0.0.1:1");
    assert_eq!(s(line, &["head"]), "");
}

/// Node's `upgrade` and `connect` listeners against stdhttp servers that really switch
/// protocols: `examples/upgrade --serve` (101, then echo) and `examples/proxy --serve`
/// (a CONNECT tunnel to its local origin; other hosts get 403).
#[test]
fn node_http_client_upgrades_and_tunnels_through_the_examples() {
    if !have_tool("node") {
        return;
    }
    let (Some(upgrade_bin), Some(proxy_bin)) =
        (example_or_skip("upgrade"), example_or_skip("proxy"))
    else {
        return;
    };
    let upgrade = Running::start(&upgrade_bin, &["--serve", "0"], "LISTENING");
    let proxy = Running::start(&proxy_bin, &["--serve", "0"], "PROXY");
    let origin = proxy
        .lines
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the proxy example prints its origin");
    let origin_port = origin
        .strip_prefix("ORIGIN 127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected line {origin:?}"));
    let lines = node_cases(
        "tunnel_client.js",
        &[
            upgrade.port().to_string(),
            proxy.port().to_string(),
            origin_port.to_string(),
        ],
    );
    let case = |name: &str| case(&lines, name);
    let fired = |j: &Json| j.get("fired").and_then(Json::bool) == Some(true);

    let up = case("upgrade");
    assert!(fired(up), "{up:?}");
    assert_eq!(num(up, "status"), 101.0);
    assert_eq!(s(up, &["statusMessage"]), "Web Socket Protocol Handshake");
    assert_eq!(s(up, &["upgrade"]), "WebSocket");
    assert_eq!(s(up, &["echoed"]), "ping from node");

    let c = case("connect");
    assert!(fired(c), "{c:?}");
    assert_eq!(num(c, "status"), 200.0);
    assert_eq!(s(c, &["statusMessage"]), "Connection Established");
    assert_eq!(s(c, &["proxyAgent"]), "stdhttp-proxy");
    let answer = s(c, &["answer"]);
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("hello from the origin: GET /via/node"),
        "{answer}"
    );

    // Node hands every answer to CONNECT to its `connect` listener, a refusal included
    let refused = case("connect-refused");
    assert!(fired(refused), "{refused:?}");
    assert_eq!(num(refused, "status"), 403.0);
}
