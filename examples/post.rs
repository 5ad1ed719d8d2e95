//! The seed's POST example: send a form-encoded body with its `Content-Length` and print
//! what the server answers (the echo example answers with JSON describing the request).
//!
//! ```text
//! cargo run --example echo -- --port 8080      # in one terminal
//! cargo run --example post -- http://127.0.0.1:8080/
//! ```

fn main() {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| String::from("http://127.0.0.1:8080/"));
    let body = "msg=Hello%20World%21&lang=en";
    let result = stdhttp::RequestOptions::from_url(&url).and_then(|opts| {
        let opts = opts.method("POST");
        let mut req = stdhttp::request(opts)?;
        req.set_header("Content-Type", "application/x-www-form-urlencoded")?;
        req.set_header("Content-Length", body.len() as u64)?;
        req.on_error(|e| eprintln!("problem with request: {e}"));
        let mut res = req.end(body.as_bytes())?;
        println!("STATUS: {}", res.status_code());
        let text = res.text()?;
        Ok(text)
    });
    match result {
        Ok(text) => println!("{text}"),
        Err(e) => {
            eprintln!("post: {e}");
            std::process::exit(1);
        }
    }
}
