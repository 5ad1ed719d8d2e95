//! Differential test: thousands of generated inputs, valid and damaged, parsed by our parser
//! and by the llhttp inside Node 20 (tests/node/node_parse.js, through Node's internal
//! `http_parser` binding, with Node's default settings). Both must accept or reject the same
//! inputs with the same `HPE_*` code and report the same complete messages.
//!
//! Accepting or rejecting, and every complete message, must agree on every input; the
//! `HPE_*` code must agree on all but at most 0.5% of the rejected ones (inputs with several
//! faults, where llhttp's byte-by-byte header checks report another fault first).
//!
//! Skips with a notice when `node` is not Node 20. `STDHTTP_DIFF_CASES` (default 4000) and
//! `STDHTTP_DIFF_SEED` change the run.

mod common;

use common::node::{self, compare, latin1, node_is_20, Verdict};
use stdhttp::parser::{parse_chunks, Kind, Limits};

/// xorshift64*: a small deterministic generator, so a failure can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const REQUEST_LINES: &[&[u8]] = &[
    b"GET / HTTP/1.1\r\n",
    b"POST /form?a=1 HTTP/1.1\r\n",
    b"PUT http://h.example/x HTTP/1.0\r\n",
    b"CONNECT h.example:443 HTTP/1.1\r\n",
    b"OPTIONS * HTTP/1.1\r\n",
    b"M-SEARCH * HTTP/1.1\r\n",
    b"GET /\r\n",
    b"DELETE /d HTTP/2.0\r\n",
];
const STATUS_LINES: &[&[u8]] = &[
    b"HTTP/1.1 200 OK\r\n",
    b"HTTP/1.0 404 Not Found\r\n",
    b"HTTP/1.1 204 No Content\r\n",
    b"HTTP/1.1 304 Not Modified\r\n",
    b"HTTP/1.1 100 Continue\r\n",
    b"HTTP/1.1 101 Switching Protocols\r\n",
    b"HTTP/1.1 500\r\n",
];
const FIELDS: &[&[u8]] = &[
    b"Host: example.com\r\n",
    b"Content-Length: 5\r\n",
    b"Content-Length: 0\r\n",
    b"Transfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: gzip, chunked\r\n",
    b"Transfer-Encoding: gzip\r\n",
    b"Connection: close\r\n",
    b"Connection: keep-alive\r\n",
    b"Connection: upgrade\r\n",
    b"Upgrade: websocket\r\n",
    b"X-Empty:\r\n",
    b"X-Spaces:   a b \t\r\n",
    b"Cookie: a=1\r\n",
    b"X-Latin: caf\xe9\r\n",
    b"Expect: 100-continue\r\n",
];
const BODIES: &[&[u8]] = &[
    b"",
    b"hello",
    b"5\r\nhello\r\n0\r\n\r\n",
    b"3;ext=1\r\nabc\r\n0\r\nTrailer: t\r\n\r\n",
    b"0\r\n\r\n",
    b"a\r\n0123456789\r\n0\r\n\r\n",
];
const NOISE: &[&[u8]] = &[
    b" ",
    b"\t",
    b"\r",
    b"\n",
    b"\r\n",
    b":",
    b";",
    b"\"",
    b"\x00",
    b"\x7f",
    b"\xe9",
    b",",
    b"0",
    b"-",
    b"HTTP/",
    b"chunked",
    b"Content-Length: 3\r\n",
];

fn message(rng: &mut Rng, kind: Kind) -> Vec<u8> {
    let mut m = match kind {
        Kind::Request => rng.pick(REQUEST_LINES).to_vec(),
        Kind::Response => rng.pick(STATUS_LINES).to_vec(),
    };
    for _ in 0..rng.below(5) {
        if rng.below(4) == 0 {
            m.extend(near_miss_field(rng));
        } else {
            m.extend_from_slice(rng.pick(FIELDS));
        }
    }
    m.extend_from_slice(b"\r\n");
    let body = rng.pick(BODIES);
    m.extend_from_slice(body);
    m
}

/// The names the parser recognises, each with a value that changes framing or routing.
const SPECIAL_FIELDS: &[(&[u8], &[u8])] = &[
    (b"Host", b"h.example"),
    (b"Upgrade", b"websocket"),
    (b"Connection", b"close"),
    (b"Proxy-Connection", b"close"),
    (b"Content-Length", b"5"),
    (b"Transfer-Encoding", b"chunked"),
];

/// A recognised field whose name has one byte replaced (by a token byte, a case flip, or
/// any byte), so both parsers must agree on which near misses are the real name.
fn near_miss_field(rng: &mut Rng) -> Vec<u8> {
    let (name, value) = rng.pick(SPECIAL_FIELDS);
    let mut name = name.to_vec();
    let at = rng.below(name.len());
    name[at] = match rng.below(4) {
        0 => name[at] ^ 0x20,
        1 => rng.pick(b"-_.!#$%&'*+^`|~0123456789Xx"),
        _ => rng.below(256) as u8,
    };
    let mut field = name;
    field.extend_from_slice(b": ");
    field.extend_from_slice(value);
    field.extend_from_slice(b"\r\n");
    field
}

fn input(rng: &mut Rng, kind: Kind) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..1 + rng.below(2) {
        v.extend(message(rng, kind));
    }
    // damage some inputs: insert, delete or replace a few bytes
    let damage = if rng.below(2) == 0 {
        0
    } else {
        1 + rng.below(3)
    };
    for _ in 0..damage {
        if v.is_empty() {
            break;
        }
        let at = rng.below(v.len());
        match rng.below(3) {
            0 => {
                let noise = rng.pick(NOISE);
                v.splice(at..at, noise.iter().copied());
            }
            1 => {
                v.remove(at);
            }
            _ => v[at] = rng.pick(&[b' ', b'\t', b'\r', b'\n', b':', 0, 0xff, b'A']),
        }
    }
    v
}

/// Inputs where stdhttp deliberately differs from Node 20 (README: "Where stdhttp differs"):
/// `PRI` outside the HTTP/2 preface, CONNECT with an empty target (Node takes the next line
/// as a header), and a status line ending in CR CR (llhttp fixed that leniency after 9.3.1).
fn deliberate_difference(input: &[u8]) -> bool {
    let has = |needle: &[u8]| input.windows(needle.len()).any(|w| w == needle);
    input.starts_with(b"PRI ")
        || has(b"CONNECT \r")
        || has(b"CONNECT \n")
        || status_line_ends_in_cr_cr(input)
}

fn status_line_ends_in_cr_cr(input: &[u8]) -> bool {
    (0..input.len()).any(|i| {
        (i == 0 || input[i - 1] == b'\n')
            && input[i..].starts_with(b"HTTP/")
            && input[i..]
                .iter()
                .position(|&c| c == b'\r')
                .is_some_and(|j| input.get(i + j + 1) == Some(&b'\r'))
    })
}

#[test]
fn parser_agrees_with_nodes_llhttp_on_generated_inputs() {
    if !node_is_20() {
        eprintln!("NOTICE: skipping the Node differential test: `node` is not Node 20");
        return;
    }
    let count: usize = std::env::var("STDHTTP_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4000);
    let seed: u64 = std::env::var("STDHTTP_DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_cafe);
    let mut rng = Rng(seed | 1);
    let cases: Vec<(Kind, bool, Vec<u8>)> = (0..count)
        .map(|i| {
            let kind = if i % 2 == 0 {
                Kind::Request
            } else {
                Kind::Response
            };
            let head = kind == Kind::Response && rng.below(6) == 0;
            (kind, head, input(&mut rng, kind))
        })
        .filter(|(_, _, v)| !deliberate_difference(v))
        .collect();

    let node_results = node::parse_with_node(&cases);
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut rejected_differently = Vec::new();
    let mut rejected = 0usize;
    let mut n = 0;
    for ((kind, head, input), node) in cases.iter().zip(&node_results) {
        let got = parse_chunks(*kind, Limits::default(), &[input], true, *head);
        match compare(*kind, &got, node) {
            Ok(Verdict::Same) => {}
            Ok(Verdict::OtherCode(codes)) => {
                rejected_differently.push(format!("{kind:?} input {:?}: {codes}", latin1(input)))
            }
            Err(e) => {
                let first = e.lines().next().unwrap_or_default().to_string();
                failures.push((first, format!("{kind:?} input {:?}: {e}", latin1(input))));
            }
        }
        rejected += usize::from(got.error.is_some());
        n += 1;
    }
    println!(
        "{n} inputs compared with Node 20's llhttp (seed {seed:#x}): {} differ in outcome; \
         of {rejected} rejected, {} with another code",
        failures.len(),
        rejected_differently.len()
    );
    for r in rejected_differently.iter().take(3) {
        println!("  other code: {r}");
    }
    assert!(
        rejected_differently.len() * 200 <= rejected.max(1),
        "more than 0.5% of rejections carry another code than Node's:\n{}",
        rejected_differently.join("\n")
    );
    let mut kinds: Vec<&str> = failures.iter().map(|(k, _)| k.as_str()).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let examples: Vec<&str> = kinds
        .iter()
        .filter_map(|k| {
            failures
                .iter()
                .find(|(f, _)| f == k)
                .map(|(_, e)| e.as_str())
        })
        .take(12)
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {n} inputs differ from Node 20; one per kind of difference:\n{}",
        failures.len(),
        examples.join("\n")
    );
}
