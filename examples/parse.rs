//! A parse explainer: why does my request (or response) not parse?
//!
//! ```text
//! cargo run --example parse [--response] [--head] [--max-header-size N] [FILE]
//! printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' | cargo run --example parse
//! ```
//!
//! Reads raw HTTP bytes (stdin when no FILE is given) and prints one JSON line per message,
//! with the field names Node uses on `IncomingMessage`: `method`, `url`, `httpVersion`,
//! `headers` (merged by Node's rules), `rawHeaders`, `body`, `trailers`, `rawTrailers`, and
//! `statusCode`/`statusMessage` with `--response` (`--head` treats responses as answers to
//! HEAD). A message that hands the connection over (CONNECT, upgrade, 101) has
//! `"upgrade": true`, and the bytes after it are not parsed. On a parse error it prints
//! `{"error": {"code": "HPE_…", "reason": "…", "offset": N}}` after the messages parsed before
//! it, and exits with status 1.

use std::io::Read;
use std::process::ExitCode;

use stdhttp::parser::{Collector, Kind, Limits, Message, Parser};
use stdhttp::proto::headers::{latin1, Headers, RawHeaders};

#[path = "support/json.rs"]
mod json;

fn raw_fields(fields: &[(Vec<u8>, Vec<u8>)]) -> RawHeaders {
    fields.iter().map(|(n, v)| (latin1(n), latin1(v))).collect()
}

fn message_json(m: &Message, kind: Kind) -> String {
    let mut out = String::from("{");
    let key = |out: &mut String, k: &str| json::key(out, out.len() == 1, k);
    if kind == Kind::Request {
        key(&mut out, "method");
        json::string(&mut out, m.method.unwrap_or(""));
        key(&mut out, "url");
        json::string(&mut out, &latin1(&m.url));
    }
    key(&mut out, "httpVersion");
    json::string(&mut out, &format!("{}.{}", m.version.0, m.version.1));
    if kind == Kind::Response {
        key(&mut out, "statusCode");
        out.push_str(&m.status.to_string());
        key(&mut out, "statusMessage");
        json::string(&mut out, &latin1(&m.reason));
    }
    let raw = raw_fields(&m.headers);
    key(&mut out, "headers");
    json::headers(&mut out, &Headers::from_raw(&raw, 0));
    key(&mut out, "rawHeaders");
    json::raw(&mut out, &raw);
    key(&mut out, "body");
    json::string(&mut out, &String::from_utf8_lossy(&m.body));
    let raw_trailers = raw_fields(&m.trailers);
    key(&mut out, "trailers");
    json::headers(&mut out, &Headers::from_raw(&raw_trailers, 0));
    key(&mut out, "rawTrailers");
    json::raw(&mut out, &raw_trailers);
    if m.upgrade {
        key(&mut out, "upgrade");
        out.push_str("true");
    }
    out.push('}');
    out
}

struct Args {
    kind: Kind,
    head: bool,
    limits: Limits,
    file: Option<String>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        kind: Kind::Request,
        head: false,
        limits: Limits::default(),
        file: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--response" => a.kind = Kind::Response,
            "--head" => a.head = true,
            "--max-header-size" => {
                a.limits.max_header_size = it
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or("--max-header-size needs a number")?;
            }
            "-h" | "--help" => {
                return Err(
                    "usage: parse [--response] [--head] [--max-header-size N] [FILE]".into(),
                )
            }
            _ if a.file.is_none() => a.file = Some(arg),
            _ => return Err(format!("unexpected argument {arg:?}")),
        }
    }
    Ok(a)
}

fn main() -> ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let input = match &args.file {
        Some(path) => std::fs::read(path),
        None => {
            let mut v = Vec::new();
            std::io::stdin().read_to_end(&mut v).map(|_| v)
        }
    };
    let input = match input {
        Ok(v) => v,
        Err(e) => {
            eprintln!("cannot read input: {e}");
            return ExitCode::from(2);
        }
    };

    let mut parser = Parser::new(args.kind, args.limits);
    let mut collect = Collector {
        skip_body: args.head,
        ..Collector::default()
    };
    let mut result = parser.execute(&input, &mut collect).map(|_| ());
    if result.is_ok() && !parser.is_upgraded() {
        result = parser.finish(&mut collect);
    }
    for m in collect.messages.iter().filter(|m| m.complete) {
        println!("{}", message_json(m, args.kind));
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let mut out = String::from("{\"error\":{\"code\":");
            json::string(&mut out, e.code().as_str());
            out.push_str(",\"reason\":");
            json::string(&mut out, e.reason());
            out.push_str(&format!(",\"offset\":{}}}}}", e.offset()));
            println!("{out}");
            ExitCode::from(1)
        }
    }
}
