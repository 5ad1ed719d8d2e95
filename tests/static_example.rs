//! `examples/static.rs` end to end: the built example serves a temporary directory and is
//! asked for files, directories, conditional GETs and paths that try to leave the root.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::example::{example_or_skip, exchange, RawResponse, Running};
use stdhttp::proto::encode::fmt_http_date;

/// Every file of the served tree gets this mtime, so dates are known in advance.
const MTIME: u64 = 1_700_000_000;

struct TempTree(PathBuf);

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn write(path: &Path, bytes: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, bytes).unwrap();
    let f = fs::File::options().write(true).open(path).unwrap();
    f.set_modified(UNIX_EPOCH + Duration::from_secs(MTIME))
        .unwrap();
}

/// `<tmp>/root` (served) and `<tmp>/outside/secret.txt` (must never be served).
fn tree() -> TempTree {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let base = std::env::temp_dir().join(format!("stdhttp-static-{}-{nanos}", std::process::id()));
    let root = base.join("root");
    write(&root.join("index.html"), b"<h1>home</h1>\n");
    write(&root.join("style.css"), b"h1{}");
    write(&root.join("app.js"), b"1;");
    write(&root.join("data.json"), b"{}");
    write(&root.join("notes.TXT"), b"n");
    write(&root.join("pic.png"), b"\x89PNG");
    write(&root.join("blob.bin"), b"\0\x01");
    write(&root.join("with space.txt"), b"spaced");
    write(&root.join("docs/index.html"), b"<p>docs</p>");
    write(&root.join("empty-dir/readme.txt"), b"r");
    write(&base.join("outside/secret.txt"), b"TOP SECRET");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(base.join("outside/secret.txt"), root.join("leak.txt")).unwrap();
        std::os::unix::fs::symlink(base.join("outside"), root.join("leakdir")).unwrap();
        std::os::unix::fs::symlink(root.join("style.css"), root.join("alias.css")).unwrap();
    }
    TempTree(base)
}

fn request(addr: &str, method: &str, target: &str, extra: &str) -> RawResponse {
    let req =
        format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n");
    exchange(addr, req.as_bytes())
}

fn get(addr: &str, target: &str) -> RawResponse {
    request(addr, "GET", target, "")
}

#[test]
fn static_example_serves_a_directory_and_nothing_outside_it() {
    let Some(bin) = example_or_skip("static") else {
        return;
    };
    let tmp = tree();
    let root = tmp.0.join("root");
    let server = Running::start(&bin, &[root.to_str().unwrap(), "--port", "0"], "LISTENING");
    let addr = server.addr.as_str();

    // the index, with its length, type and date
    let r = get(addr, "/");
    assert_eq!(r.status, 200);
    assert_eq!(r.body, b"<h1>home</h1>\n");
    assert_eq!(r.header("content-length"), Some("14"));
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let last_modified = fmt_http_date(MTIME);
    assert_eq!(r.header("last-modified"), Some(last_modified.as_str()));
    assert_eq!(get(addr, "/index.html?x=1").body, b"<h1>home</h1>\n");
    assert_eq!(get(addr, "/docs/").body, b"<p>docs</p>");
    assert_eq!(get(addr, "/docs").body, b"<p>docs</p>");
    assert_eq!(get(addr, "/with%20space.txt").body, b"spaced");

    // missing files and directories without an index
    assert_eq!(get(addr, "/missing.html").status, 404);
    assert_eq!(get(addr, "/empty-dir/").status, 404);
    assert_eq!(get(addr, "/docs/missing/").status, 404);

    // HEAD: the same head, no body
    let h = request(addr, "HEAD", "/style.css", "");
    assert_eq!(h.status, 200);
    assert_eq!(h.header("content-length"), Some("4"));
    assert_eq!(h.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(h.body.is_empty(), "HEAD sent a body: {:?}", h.body);

    // types by extension
    for (path, ty) in [
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/data.json", "application/json"),
        ("/notes.TXT", "text/plain; charset=utf-8"),
        ("/pic.png", "image/png"),
        ("/blob.bin", "application/octet-stream"),
    ] {
        let r = get(addr, path);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-type"), Some(ty), "{path}");
    }

    // conditional GET: whole seconds; an unparsable date is ignored
    let ims = |date: &str| request(addr, "GET", "/", &format!("If-Modified-Since: {date}\r\n"));
    let not_modified = ims(&last_modified);
    assert_eq!(not_modified.status, 304);
    assert!(not_modified.body.is_empty());
    assert_eq!(
        not_modified.header("last-modified"),
        Some(last_modified.as_str())
    );
    assert_eq!(ims(&fmt_http_date(MTIME + 3600)).status, 304);
    assert_eq!(ims(&fmt_http_date(MTIME - 1)).status, 200);
    assert_eq!(ims("not a date").status, 200);

    // other methods
    let p = request(addr, "POST", "/", "Content-Length: 0\r\n");
    assert_eq!(p.status, 405);
    assert_eq!(p.header("allow"), Some("GET, HEAD"));
    assert_eq!(request(addr, "DELETE", "/index.html", "").status, 405);

    // attempts to leave the root: refused before the file system is asked ...
    for target in [
        "/../outside/secret.txt",
        "/%2e%2e/outside/secret.txt",
        "/%2E%2E/outside/secret.txt",
        "/..%2foutside/secret.txt",
        "/%2e%2e%2foutside%2fsecret.txt",
        "/docs/../../outside/secret.txt",
        "/docs/%2e%2e/%2e%2e/outside/secret.txt",
        "/..%5coutside%5csecret.txt",
        "/index.html%00",
        "/index.html%00.png",
        "/%00",
    ] {
        let r = get(addr, target);
        assert_eq!(r.status, 400, "{target}");
        assert!(!String::from_utf8_lossy(&r.body).contains("SECRET"));
    }
    // ... and symlinks out of the root are not followed (those inside are)
    #[cfg(unix)]
    {
        for target in ["/leak.txt", "/leakdir/secret.txt", "/leakdir/"] {
            let r = get(addr, target);
            assert_eq!(r.status, 404, "{target}");
            assert!(!String::from_utf8_lossy(&r.body).contains("SECRET"));
        }
        assert_eq!(get(addr, "/alias.css").body, b"h1{}");
    }
}
