//! The parser recognises the header names that steer framing and routing (Host, Upgrade,
//! Connection, Proxy-Connection, Content-Length, Transfer-Encoding) only when every byte of
//! the name matches, in any case. A near miss such as `TransferXEncoding` is an ordinary
//! header, as in Node 20's llhttp: taking it for `Transfer-Encoding` would let a front end
//! that forwards it unread desync the connection (request smuggling).
//!
//! Every single-byte substitution at every position of every recognised name is tried, on the
//! whole-input fast path and fed one byte at a time (the byte-by-byte states).

use stdhttp::parser::{parse_chunks, BodyFraming, Kind, Limits, Parsed};

/// One recognised name: the message built around it, and whether the parse shows the
/// parser took the name for what it means.
struct Case {
    name: &'static str,
    kind: Kind,
    build: fn(&[u8]) -> Vec<u8>,
    recognised: fn(&Parsed) -> bool,
}

fn first(p: &Parsed) -> Option<&stdhttp::parser::Message> {
    p.messages.first().filter(|m| m.headers_complete)
}

fn with(prefix: &[u8], name: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.extend_from_slice(name);
    v.extend_from_slice(rest);
    v
}

const CASES: &[Case] = &[
    Case {
        name: "host",
        kind: Kind::Request,
        build: |n| with(b"GET / HTTP/1.1\r\n", n, b": h.example\r\n\r\n"),
        recognised: |p| first(p).is_some_and(|m| !m.host_missing),
    },
    Case {
        name: "upgrade",
        kind: Kind::Request,
        build: |n| {
            with(
                b"GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade\r\n",
                n,
                b": websocket\r\n\r\n",
            )
        },
        recognised: |p| first(p).is_some_and(|m| m.upgrade),
    },
    Case {
        name: "connection",
        kind: Kind::Request,
        build: |n| with(b"GET / HTTP/1.1\r\nHost: h\r\n", n, b": close\r\n\r\n"),
        recognised: |p| first(p).is_some_and(|m| !m.keep_alive),
    },
    Case {
        name: "proxy-connection",
        kind: Kind::Request,
        build: |n| with(b"GET / HTTP/1.1\r\nHost: h\r\n", n, b": close\r\n\r\n"),
        recognised: |p| first(p).is_some_and(|m| !m.keep_alive),
    },
    Case {
        name: "content-length",
        kind: Kind::Request,
        build: |n| with(b"POST / HTTP/1.1\r\nHost: h\r\n", n, b": 5\r\n\r\nhello"),
        recognised: |p| first(p).is_some_and(|m| m.content_length == Some(5)),
    },
    Case {
        name: "transfer-encoding",
        kind: Kind::Request,
        build: |n| {
            with(
                b"POST / HTTP/1.1\r\nHost: h\r\n",
                n,
                b": chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            )
        },
        recognised: |p| first(p).is_some_and(|m| m.body_kind == Some(BodyFraming::Chunked)),
    },
    Case {
        name: "content-length",
        kind: Kind::Response,
        build: |n| with(b"HTTP/1.1 200 OK\r\n", n, b": 5\r\n\r\nhello"),
        recognised: |p| first(p).is_some_and(|m| m.content_length == Some(5)),
    },
    Case {
        name: "transfer-encoding",
        kind: Kind::Response,
        build: |n| {
            with(
                b"HTTP/1.1 200 OK\r\n",
                n,
                b": chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            )
        },
        recognised: |p| first(p).is_some_and(|m| m.body_kind == Some(BodyFraming::Chunked)),
    },
    Case {
        name: "connection",
        kind: Kind::Response,
        build: |n| {
            with(
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n",
                n,
                b": close\r\n\r\n",
            )
        },
        recognised: |p| first(p).is_some_and(|m| !m.keep_alive),
    },
];

/// Parses `input` whole (the fast paths) and one byte at a time (the byte states).
fn both_paths(kind: Kind, input: &[u8]) -> [Parsed; 2] {
    let whole = parse_chunks(kind, Limits::default(), &[input], false, false);
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    let split = parse_chunks(kind, Limits::default(), &bytes, false, false);
    [whole, split]
}

fn check(case: &Case, name: &[u8], expect: bool, failures: &mut Vec<String>) {
    let input = (case.build)(name);
    for (path, parsed) in ["whole", "byte by byte"]
        .iter()
        .zip(both_paths(case.kind, &input))
    {
        if (case.recognised)(&parsed) != expect {
            failures.push(format!(
                "{:?} {:?} ({path}): name {:?} recognised = {}, expected {expect}",
                case.kind,
                case.name,
                String::from_utf8_lossy(name),
                !expect
            ));
        }
    }
}

#[test]
fn only_the_exact_name_in_any_case_is_recognised_after_any_single_byte_substitution() {
    let mut failures = Vec::new();
    let mut tried = 0usize;
    for case in CASES {
        let real = case.name.as_bytes();
        for at in 0..real.len() {
            for b in 0..=255u8 {
                let mut name = real.to_vec();
                name[at] = b;
                let same = b.eq_ignore_ascii_case(&real[at]);
                check(case, &name, same, &mut failures);
                tried += 1;
            }
        }
    }
    assert!(tried > 20_000, "{tried} names tried");
    assert!(
        failures.is_empty(),
        "{} of {tried} names misread, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

#[test]
fn the_real_names_are_recognised_in_any_case() {
    let mut failures = Vec::new();
    for case in CASES {
        let real = case.name.as_bytes();
        let upper = real.to_ascii_uppercase();
        let alternating: Vec<u8> = real
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    *c
                }
            })
            .collect();
        check(case, real, true, &mut failures);
        check(case, &upper, true, &mut failures);
        check(case, &alternating, true, &mut failures);
        for at in 0..real.len() {
            let mut one = real.to_vec();
            one[at] = one[at].to_ascii_uppercase();
            check(case, &one, true, &mut failures);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn names_one_byte_longer_or_shorter_are_ordinary_headers() {
    let mut failures = Vec::new();
    for case in CASES {
        let real = case.name.as_bytes();
        check(case, &real[1..], false, &mut failures);
        check(case, &real[..real.len() - 1], false, &mut failures);
        for at in 0..=real.len() {
            let mut longer = real.to_vec();
            longer.insert(at, b'x');
            check(case, &longer, false, &mut failures);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
