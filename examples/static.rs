//! Serve a directory over HTTP on 127.0.0.1: GET and HEAD, `index.html` for directories,
//! `Content-Type` by extension, `Last-Modified` and `If-Modified-Since` (`304`).
//!
//! ```text
//! cargo run --example static -- [DIR] [--port N]     # defaults: DIR ".", port 8080
//! LISTENING 127.0.0.1:8080
//! ```
//!
//! Nothing outside DIR is served: the path is percent-decoded, then any `..` segment, NUL
//! or backslash is refused (`400`), and the file found is canonicalized (symlinks resolved)
//! and must still lie under DIR's canonical path (`404` if not). Other methods get `405`
//! with `Allow: GET, HEAD`.
//!
//! The decisions are small functions tested at the bottom of this file
//! (`cargo test --example static`); `tests/static_example.rs` runs the built example
//! against a temporary directory.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::exit;
use std::time::UNIX_EPOCH;

use stdhttp::proto::encode::fmt_http_date;
use stdhttp::{IncomingMessage, Server, ServerResponse};

/// The `Content-Type` for a file name, by its extension (case-insensitive).
fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "txt" => "text/plain; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "wasm" => "application/wasm",
        "ico" => "image/x-icon",
        "pdf" => "application/pdf",
        _ => "application/octet-stream",
    }
}

/// Percent-decode a URL path. `None` when a `%` is not followed by two hex digits.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = |c: u8| (c as char).to_digit(16);
            let hi = hex(*b.get(i + 1)?)?;
            let lo = hex(*b.get(i + 2)?)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Why a request-target is refused before the file system is looked at.
#[derive(Debug, PartialEq, Eq)]
enum BadPath {
    /// Not origin-form, bad percent-encoding, or not UTF-8.
    Malformed,
    /// A `..` segment, NUL or backslash (after decoding).
    Forbidden,
}

/// The path under the root that a request-target names: query and fragment dropped,
/// percent-decoded, empty and `.` segments dropped. `..`, NUL and `\` are refused rather
/// than interpreted, so the result never climbs out of the root by itself.
fn relative_path(target: &str) -> Result<PathBuf, BadPath> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Err(BadPath::Malformed);
    }
    let decoded = percent_decode(path).ok_or(BadPath::Malformed)?;
    if decoded.iter().any(|&c| c == 0 || c == b'\\') {
        return Err(BadPath::Forbidden);
    }
    let decoded = String::from_utf8(decoded).map_err(|_| BadPath::Malformed)?;
    let mut rel = PathBuf::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return Err(BadPath::Forbidden),
            s => rel.push(s),
        }
    }
    Ok(rel)
}

/// The file to serve for `rel` under `root` (which must be canonical): directories give
/// their `index.html`; the canonical result must stay under `root`, so a symlink that
/// leads out is not followed. `None` means 404.
fn resolve(root: &Path, rel: &Path) -> Option<PathBuf> {
    let inside = |p: PathBuf| -> Option<PathBuf> {
        let real = p.canonicalize().ok()?;
        real.starts_with(root).then_some(real)
    };
    let mut file = inside(root.join(rel))?;
    if file.is_dir() {
        file = inside(file.join("index.html"))?;
    }
    file.is_file().then_some(file)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parse an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) to seconds since the Unix
/// epoch. Other date formats (obsolete RFC 850, asctime) give `None`, so the condition is
/// ignored, as RFC 9110 allows for a date the server cannot parse.
fn parse_http_date(s: &str) -> Option<u64> {
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = s.trim().as_bytes();
    if b.len() != 29 || &b[3..5] != b", " || &b[25..] != b" GMT" {
        return None;
    }
    if b[7] != b' ' || b[11] != b' ' || b[16] != b' ' || b[19] != b':' || b[22] != b':' {
        return None;
    }
    let text = std::str::from_utf8(b).ok()?;
    DAYS.contains(&&text[0..3]).then_some(())?;
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = &text[r];
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let day = num(5..7)?;
    let month = MONTHS.iter().position(|m| *m == &text[8..11])? as i64 + 1;
    let year = num(12..16)?;
    let (h, m, sec) = (num(17..19)?, num(20..22)?, num(23..25)?);
    let days_in_month =
        days_from_civil(year + (month / 12), month % 12 + 1, 1) - days_from_civil(year, month, 1);
    if year < 1970 || day < 1 || day > days_in_month || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + sec;
    u64::try_from(secs).ok()
}

/// Whether a file last modified at `mtime` (whole seconds) must be sent again to a client
/// that has the version of `if_modified_since`.
fn modified_since(mtime: u64, if_modified_since: Option<&str>) -> bool {
    match if_modified_since.and_then(parse_http_date) {
        Some(since) => mtime > since,
        None => true,
    }
}

/// What to answer, decided from the request alone plus the file system.
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    /// 200 with this file (its length, mtime in whole seconds and content type).
    File {
        path: PathBuf,
        len: u64,
        mtime: u64,
        content_type: &'static str,
    },
    /// 304: the client's copy is current.
    NotModified { mtime: u64 },
    /// An error status with a short text body.
    Error(u16),
}

fn decide(root: &Path, method: &str, target: &str, if_modified_since: Option<&str>) -> Reply {
    if method != "GET" && method != "HEAD" {
        return Reply::Error(405);
    }
    let rel = match relative_path(target) {
        Ok(rel) => rel,
        Err(_) => return Reply::Error(400),
    };
    let Some(path) = resolve(root, &rel) else {
        return Reply::Error(404);
    };
    let Ok(meta) = fs::metadata(&path) else {
        return Reply::Error(404);
    };
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    if !modified_since(mtime, if_modified_since) {
        return Reply::NotModified { mtime };
    }
    Reply::File {
        content_type: content_type(&path),
        path,
        len: meta.len(),
        mtime,
    }
}

fn send(res: &mut ServerResponse, head_only: bool, reply: Reply) -> Result<(), stdhttp::Error> {
    match reply {
        Reply::File {
            path,
            len,
            mtime,
            content_type,
        } => {
            let mut file = File::open(&path)?;
            res.set_header("Content-Type", content_type)?;
            res.set_header("Content-Length", len)?;
            res.set_header("Last-Modified", fmt_http_date(mtime))?;
            res.write_head(200, None, std::iter::empty::<(&str, &str)>())?;
            if !head_only {
                io::copy(&mut file, res)?;
            }
            res.end(&[])
        }
        Reply::NotModified { mtime } => {
            res.set_header("Last-Modified", fmt_http_date(mtime))?;
            res.write_head(304, None, std::iter::empty::<(&str, &str)>())?;
            res.end(&[])
        }
        Reply::Error(code) => {
            let body = format!("{} {}\n", code, stdhttp::status_text(code).unwrap_or(""));
            if code == 405 {
                res.set_header("Allow", "GET, HEAD")?;
            }
            res.set_header("Content-Type", "text/plain; charset=utf-8")?;
            res.set_header("Content-Length", body.len() as u64)?;
            res.write_head(code, None, std::iter::empty::<(&str, &str)>())?;
            res.end(if head_only { b"" } else { body.as_bytes() })
        }
    }
}

fn handle(root: &Path, req: IncomingMessage, mut res: ServerResponse) {
    let method = req.method().unwrap_or("");
    let ims = req.headers().get_str("if-modified-since");
    let reply = decide(root, method, req.url(), ims);
    let code = match &reply {
        Reply::File { .. } => 200,
        Reply::NotModified { .. } => 304,
        Reply::Error(c) => *c,
    };
    eprintln!("{method} {} -> {code}", req.url());
    if let Err(e) = send(&mut res, method == "HEAD", reply) {
        eprintln!("static: {e}");
        res.socket().destroy();
    }
}

fn main() {
    let mut dir = String::from(".");
    let mut port: u16 = 8080;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--port" {
            match args.next().map(|p| p.parse()) {
                Some(Ok(p)) => port = p,
                _ => {
                    eprintln!("usage: static [DIR] [--port N]");
                    exit(2);
                }
            }
        } else {
            dir = a;
        }
    }
    let root = match Path::new(&dir).canonicalize() {
        Ok(r) if r.is_dir() => r,
        _ => {
            eprintln!("static: {dir} is not a directory");
            exit(2);
        }
    };
    let server = Server::new();
    let served = root.clone();
    server.on_request(move |req, res| handle(&served, req, res));
    if let Err(e) = server.listen(("127.0.0.1", port)) {
        eprintln!("static: cannot listen on 127.0.0.1:{port}: {e}");
        exit(1);
    }
    let port = server.address().and_then(|a| a.port()).unwrap_or(port);
    println!("LISTENING 127.0.0.1:{port}");
    eprintln!("serving {} on http://127.0.0.1:{port}/", root.display());
    let _ = io::stdout().flush();
    server.join();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_by_extension() {
        assert_eq!(
            content_type(Path::new("a/index.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(content_type(Path::new("A.PNG")), "image/png");
        assert_eq!(content_type(Path::new("x.wasm")), "application/wasm");
        assert_eq!(content_type(Path::new("x.svg")), "image/svg+xml");
        assert_eq!(
            content_type(Path::new("x.tar.gz")),
            "application/octet-stream"
        );
        assert_eq!(
            content_type(Path::new("Makefile")),
            "application/octet-stream"
        );
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%20b").as_deref(), Some(&b"/a b"[..]));
        assert_eq!(percent_decode("%2e%2E").as_deref(), Some(&b".."[..]));
        assert_eq!(percent_decode("%00").as_deref(), Some(&b"\0"[..]));
        assert_eq!(percent_decode("%"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%zz"), None);
    }

    #[test]
    fn relative_paths_never_climb() {
        let ok = |t: &str| relative_path(t).map(|p| p.to_string_lossy().into_owned());
        assert_eq!(ok("/"), Ok(String::new()));
        assert_eq!(ok("/a/b.txt?x=1#f"), Ok("a/b.txt".into()));
        assert_eq!(ok("//a/./b"), Ok("a/b".into()));
        assert_eq!(ok("/caf%C3%A9.txt"), Ok("café.txt".into()));
        for t in [
            "/..",
            "/../etc/passwd",
            "/a/../b",
            "/%2e%2e/x",
            "/..%2fx",
            "/a%2F..%2F..",
        ] {
            assert_eq!(relative_path(t), Err(BadPath::Forbidden), "{t}");
        }
        for t in ["/a%00b", "/a\\b", "/a%5cb", "/%5C..%5Cx"] {
            assert_eq!(relative_path(t), Err(BadPath::Forbidden), "{t}");
        }
        for t in ["*", "http://x/a", "a", "/%zz", "/%ff"] {
            assert_eq!(relative_path(t), Err(BadPath::Malformed), "{t}");
        }
        // "..." and "..a" are ordinary names
        assert_eq!(ok("/.../..a"), Ok(".../..a".into()));
    }

    #[test]
    fn http_dates() {
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2000 00:00:00 GMT"),
            Some(951_782_400)
        );
        for secs in [0, 951_782_400, 1_795_315_298, 4_102_444_800 + 86_399] {
            assert_eq!(parse_http_date(&fmt_http_date(secs)), Some(secs));
        }
        for bad in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 29 Feb 1900 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nox 1994 08:49:37 GMT",
            "Sun, +6 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn if_modified_since_compares_whole_seconds() {
        let t = 784_111_777;
        let same = fmt_http_date(t);
        assert!(!modified_since(t, Some(&same)));
        assert!(!modified_since(t - 1, Some(&same)));
        assert!(modified_since(t + 1, Some(&same)));
        assert!(modified_since(t, None));
        assert!(modified_since(t, Some("yesterday")));
    }

    #[test]
    fn other_methods_are_not_allowed() {
        let root = Path::new("/nonexistent-root");
        assert_eq!(decide(root, "POST", "/", None), Reply::Error(405));
        assert_eq!(decide(root, "DELETE", "/x", None), Reply::Error(405));
        assert_eq!(decide(root, "GET", "/../x", None), Reply::Error(400));
        assert_eq!(decide(root, "GET", "/x", None), Reply::Error(404));
    }
}
