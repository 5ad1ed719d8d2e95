//! The seed's `http.get` example as a tiny curl: prints the status, headers and body of a
//! GET.
//!
//! ```text
//! cargo run --example get -- http://127.0.0.1:8080/
//! cargo run --example get -- --json http://127.0.0.1:8080/
//! ```
//!
//! Start a server to ask first, e.g. `cargo run --example hello` (the default URL is
//! `http://127.0.0.1:8080/`). With `--json` the output is one JSON object with Node's field
//! names (`statusCode`, `statusMessage`, `httpVersion`, `headers`, `rawHeaders`, `body`,
//! `trailers`, `rawTrailers`), or `{"error": {"code", "message"}}` and exit status 1: that is
//! how stdhttp's client is compared with Node's.

#[path = "support/json.rs"]
mod json;

use std::io::Read;

fn main() {
    let mut as_json = false;
    let mut url = String::from("http://127.0.0.1:8080/");
    for a in std::env::args().skip(1) {
        if a == "--json" {
            as_json = true;
        } else {
            url = a;
        }
    }
    let result = stdhttp::get(url.as_str()).and_then(|mut res| {
        let mut body = Vec::new();
        res.read_to_end(&mut body)
            .map_err(|e| res.error().cloned().unwrap_or_else(|| e.into()))?;
        Ok((res, body))
    });
    match (result, as_json) {
        (Ok((res, body)), false) => {
            println!(
                "HTTP/{} {} {}",
                res.http_version(),
                res.status_code(),
                res.status_message()
            );
            for (n, v) in res.raw_headers() {
                println!("{n}: {v}");
            }
            println!();
            print!("{}", String::from_utf8_lossy(&body));
        }
        (Ok((res, body)), true) => {
            let mut out = String::from("{");
            json::key(&mut out, true, "statusCode");
            out.push_str(&res.status_code().to_string());
            json::key(&mut out, false, "statusMessage");
            json::string(&mut out, res.status_message());
            json::key(&mut out, false, "httpVersion");
            json::string(&mut out, res.http_version());
            json::key(&mut out, false, "headers");
            json::headers(&mut out, res.headers());
            json::key(&mut out, false, "rawHeaders");
            json::raw(&mut out, res.raw_headers());
            json::key(&mut out, false, "body");
            json::string(&mut out, &String::from_utf8_lossy(&body));
            json::key(&mut out, false, "trailers");
            json::headers(&mut out, res.trailers());
            json::key(&mut out, false, "rawTrailers");
            json::raw(&mut out, res.raw_trailers());
            out.push('}');
            println!("{out}");
        }
        (Err(e), json_out) => {
            if json_out {
                let mut out = String::from("{\"error\":{");
                json::key(&mut out, true, "code");
                json::string(&mut out, e.code());
                json::key(&mut out, false, "message");
                json::string(&mut out, e.message());
                out.push_str("}}");
                println!("{out}");
            } else {
                eprintln!("get: {e}");
            }
            std::process::exit(1);
        }
    }
}
