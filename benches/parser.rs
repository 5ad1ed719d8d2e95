//! Parser micro-benchmarks (criterion).
//!
//! The three heads are the exact bytes of the peer harness
//! (`../shared/bench/peers/parse_bench/src/lib.rs`), read from there at run time so both
//! benches parse the same input; `benches/compare_httparse.sh` runs this bench and httparse's
//! in one go and prints the ratios. The fourth bench decodes a 64 KiB chunked body; the
//! last feeds a 4 KiB and a 16 KiB head one byte per `execute` (the cost per byte must not
//! grow with the head: bytes already taken are never scanned again).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use stdhttp::parser::{Flow, Handler, Head, Kind, Limits, Parser};

/// Touches what an HTTP server reads from a head, like the httparse bench reads its headers.
#[derive(Default)]
struct Sink {
    headers: usize,
    body: usize,
    done: bool,
}

impl Handler for Sink {
    fn on_headers_complete(&mut self, head: &Head<'_>) -> Flow {
        self.headers = head.headers().len();
        Flow::Continue
    }
    fn on_body(&mut self, data: &[u8]) -> Flow {
        self.body += data.len();
        Flow::Continue
    }
    fn on_message_complete(&mut self) -> Flow {
        self.done = true;
        Flow::Continue
    }
}

/// Reads `pub const NAME: &[u8] = b"...";` byte-string constants out of a Rust source file.
fn peer_inputs() -> Option<Vec<(String, Vec<u8>)>> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/bench/peers/parse_bench/src/lib.rs"
    );
    let src = match std::fs::read_to_string(path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("NOTICE: {path} unreadable ({e}); skipping the head benches");
            return None;
        }
    };
    let mut out = Vec::new();
    let mut rest = src.as_str();
    while let Some(i) = rest.find("pub const ") {
        rest = &rest[i + 10..];
        let name = rest.split(':').next()?.trim().to_string();
        let start = rest.find("b\"")? + 2;
        let bytes = &rest.as_bytes()[start..];
        let mut v = Vec::new();
        let mut j = 0;
        while j < bytes.len() && bytes[j] != b'"' {
            if bytes[j] == b'\\' {
                j += 1;
                match bytes[j] {
                    b'r' => v.push(b'\r'),
                    b'n' => v.push(b'\n'),
                    b't' => v.push(b'\t'),
                    b'"' => v.push(b'"'),
                    b'\\' => v.push(b'\\'),
                    b'\n' => {
                        while j + 1 < bytes.len() && bytes[j + 1].is_ascii_whitespace() {
                            j += 1;
                        }
                    }
                    other => panic!("unhandled escape \\{}", other as char),
                }
            } else {
                v.push(bytes[j]);
            }
            j += 1;
        }
        rest = &rest[start + j..];
        out.push((name, v));
    }
    Some(out)
}

fn heads(c: &mut Criterion) {
    let Some(inputs) = peer_inputs() else { return };
    for (name, input) in &inputs {
        let (kind, group) = match name.as_str() {
            "SMALL_GET" => (Kind::Request, "request/small_get"),
            "BROWSER_GET" => (Kind::Request, "request/browser_get"),
            "RESPONSE_HEAD" => (Kind::Response, "response/head"),
            _ => continue,
        };
        let mut g = c.benchmark_group(format!("{group}/{}B", input.len()));
        g.throughput(Throughput::Bytes(input.len() as u64));
        let mut parser = Parser::new(kind, Limits::default());
        g.bench_function("stdhttp", |b| {
            b.iter(|| {
                parser.reset();
                let mut sink = Sink::default();
                let n = parser.execute(black_box(input), &mut sink).unwrap_or(0);
                assert!(sink.headers > 0 && n == input.len());
                black_box(sink.headers)
            })
        });
        g.finish();
    }
}

fn chunked_body(c: &mut Criterion) {
    let mut input =
        b"POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    let head_len = input.len();
    let payload = vec![b'x'; 4096];
    for _ in 0..16 {
        input.extend_from_slice(b"1000\r\n");
        input.extend_from_slice(&payload);
        input.extend_from_slice(b"\r\n");
    }
    input.extend_from_slice(b"0\r\n\r\n");
    let body_bytes = &input[head_len..];
    let mut g = c.benchmark_group("chunked/64KiB");
    g.throughput(Throughput::Bytes(body_bytes.len() as u64));
    let mut parser = Parser::request();
    g.bench_function("stdhttp", |b| {
        b.iter(|| {
            parser.reset();
            let mut sink = Sink::default();
            let _ = parser.execute(&input[..head_len], &mut sink);
            let _ = parser.execute(black_box(body_bytes), &mut sink);
            assert!(sink.done && sink.body == 65536);
            black_box(sink.body)
        })
    });
    g.finish();
}

/// A head dripped one byte per `execute`, at 4 KiB and at 16 KiB: the time per byte should
/// be the same at both sizes (no rescanning of bytes already taken).
fn dripped_head(c: &mut Criterion) {
    for kib in [4usize, 16] {
        let mut input = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
        let mut i = 0;
        while input.len() + 40 < kib * 1024 {
            input.extend_from_slice(format!("X-Header-{i:05}: {:>20}\r\n", i).as_bytes());
            i += 1;
        }
        input.extend_from_slice(b"\r\n");
        let mut g = c.benchmark_group(format!("dripped_head/{kib}KiB"));
        g.throughput(Throughput::Bytes(input.len() as u64));
        let limits = Limits::default().max_header_size(64 * 1024);
        let mut parser = Parser::new(Kind::Request, limits);
        g.bench_function("stdhttp", |b| {
            b.iter(|| {
                parser.reset();
                let mut sink = Sink::default();
                for byte in input.chunks(1) {
                    let _ = parser.execute(black_box(byte), &mut sink);
                }
                assert!(sink.headers > 0);
                black_box(sink.headers)
            })
        });
        g.finish();
    }
}

criterion_group!(benches, heads, chunked_body, dripped_head);
criterion_main!(benches);
