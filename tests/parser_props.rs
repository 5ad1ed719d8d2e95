//! Property tests for the parser: split invariance, encode→parse round trips, no panics on
//! any bytes, and the header-size limit.

use proptest::collection::vec;
use proptest::prelude::*;
use stdhttp::parser::{parse_all, parse_chunks, ErrorCode, Handler, Kind, Limits, Parser};
use stdhttp::proto::encode;
use stdhttp::METHODS;

/// Valid-looking HTTP messages, then randomly damaged, so inputs exercise deep states.
fn message_bytes() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop::sample::select(vec![
        &b"GET / HTTP/1.1\r\n"[..],
        b"POST /a?b=c HTTP/1.1\r\n",
        b"HTTP/1.1 200 OK\r\n",
        b"HTTP/1.0 101 Switching\r\n",
        b"CONNECT h:443 HTTP/1.1\r\n",
        b"Host: x\r\n",
        b"Content-Length: 5\r\n",
        b"Transfer-Encoding: chunked\r\n",
        b"Connection: close\r\n",
        b"Connection: upgrade\r\nUpgrade: ws\r\n",
        b"X-A: v \t\r\n",
        b"\r\n",
        b"5\r\nhello\r\n",
        b"3;ext=\"q\"\r\nabc\r\n",
        b"0\r\n",
        b"T: 1\r\n",
        b"hello",
        b" ",
        b"\n",
        b"\r",
        b":",
        b"\x00",
        b"\xe9",
    ]);
    vec(pieces, 0..24).prop_map(|ps| ps.concat())
}

fn any_input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![message_bytes(), vec(any::<u8>(), 0..300)]
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![Just(Kind::Request), Just(Kind::Response)]
}

/// Cuts `input` at the given (sorted, deduplicated) positions.
fn split<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = Vec::new();
    let mut last = 0;
    for c in cuts {
        out.push(&input[last..c]);
        last = c;
    }
    out.push(&input[last..]);
    out
}

/// `PROPTEST_CASES` when set (for long runs), else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Nothing;
impl Handler for Nothing {}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(768), ..ProptestConfig::default() })]

    /// (a) Any partition of any input gives the same messages and the same error.
    #[test]
    fn any_split_gives_the_same_result(
        input in any_input(),
        cuts in vec(any::<usize>(), 0..12),
        kind in kind(),
        eof in any::<bool>(),
        skip in any::<bool>(),
    ) {
        let pieces = split(&input, &cuts);
        let whole = parse_chunks(kind, Limits::default(), &[&input], eof, skip);
        let parts = parse_chunks(kind, Limits::default(), &pieces, eof, skip);
        prop_assert_eq!(&parts, &whole);
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(&parse_chunks(kind, Limits::default(), &bytes, eof, skip), &whole);
    }

    /// (d) Arbitrary bytes never panic, and `consumed` never exceeds the input.
    #[test]
    fn arbitrary_bytes_never_panic(
        chunks in vec(vec(any::<u8>(), 0..64), 0..8),
        kind in kind(),
        limit in 0usize..64,
    ) {
        let limits = Limits::default().max_header_size(limit).max_headers_count(limit / 8).max_chunk_extensions(limit);
        let mut p = Parser::new(kind, limits);
        for c in &chunks {
            match p.execute(c, &mut Nothing) {
                Ok(n) => prop_assert!(n <= c.len()),
                Err(_) => prop_assert!(p.execute(c, &mut Nothing).is_err(), "errors are sticky"),
            }
        }
        let _ = p.finish(&mut Nothing);
    }

    /// (e) A head whose URL + names + values reach the limit always fails with
    /// HPE_HEADER_OVERFLOW; one below it never does.
    #[test]
    fn heads_at_or_over_the_limit_overflow(
        limit in 400usize..4096,
        lens in vec(1usize..40, 1..8),
        extra in 0usize..64,
        cuts in vec(any::<usize>(), 0..6),
    ) {
        // build a head whose counted size is exactly `limit + extra - 1 + 1` or below
        let mut names = Vec::new();
        for (i, l) in lens.iter().enumerate() {
            names.push((format!("h{i}"), "v".repeat(*l)));
        }
        let render = |url_len: usize, names: &[(String, String)]| {
            let mut s = format!("GET /{} HTTP/1.1\r\n", "u".repeat(url_len));
            for (n, v) in names {
                s.push_str(&format!("{n}: {v}\r\n"));
            }
            s.push_str("\r\n");
            s.into_bytes()
        };
        let counted: usize = names.iter().map(|(n, v)| n.len() + v.len()).sum::<usize>() + 1;
        let limits = Limits::default().max_header_size(limit);
        // pad the URL so the counted total is `target`
        for target in [limit + extra, limit - 1] {
            if target < counted { continue; }
            let input = render(target - counted, &names);
            let pieces = split(&input, &cuts);
            let got = parse_chunks(Kind::Request, limits, &pieces, false, false);
            let overflow = got.error.as_ref().map(|e| e.code()) == Some(ErrorCode::HeaderOverflow);
            prop_assert_eq!(overflow, target >= limit, "target {} limit {}", target, limit);
        }
    }
}

#[derive(Debug, Clone)]
struct Msg {
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    chunked: Option<Vec<usize>>,
    trailers: Vec<(String, String)>,
}

/// Header names: random tokens, and a small pool in mixed case so duplicates are common.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "X-Dup",
            "x-dup",
            "X-DUP",
            "Accept",
            "set-cookie",
            "Cookie"
        ])
        .prop_map(String::from),
        any_token(),
    ]
}

fn any_token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}".prop_filter("not a framing header", |n| {
        let l = n.to_ascii_lowercase();
        !matches!(
            l.as_str(),
            "content-length" | "transfer-encoding" | "connection" | "upgrade" | "proxy-connection"
        )
    })
}

/// Field values: visible ASCII, spaces and tabs inside, latin1, no surrounding whitespace.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[!-~]([ -~\t\u{a0}-\u{ff}]{0,30}[!-~])?",
        Just(String::new()),
    ]
}

fn msg() -> impl Strategy<Value = Msg> {
    (
        prop::sample::select(
            METHODS
                .iter()
                .copied()
                .filter(|m| *m != "CONNECT")
                .collect::<Vec<_>>(),
        ),
        "/[!-~]{0,40}",
        vec((token(), value()), 0..8),
        vec(any::<u8>(), 0..200),
        prop::option::of(vec(1usize..64, 0..6)),
        vec((token(), value()), 0..3),
    )
        .prop_map(|(method, path, headers, body, chunked, trailers)| Msg {
            method,
            path,
            headers,
            body,
            chunked,
            trailers,
        })
}

fn latin1(s: &str) -> Vec<u8> {
    s.chars().map(|c| c as u32 as u8).collect()
}

fn encode_body(m: &Msg, out: &mut Vec<u8>) {
    match &m.chunked {
        None => {
            encode::write_header(out, "Content-Length", &m.body.len().to_string()).unwrap();
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&m.body);
        }
        Some(sizes) => {
            encode::write_header(out, "Transfer-Encoding", "chunked").unwrap();
            out.extend_from_slice(b"\r\n");
            let mut rest = &m.body[..];
            let mut i = 0;
            while !rest.is_empty() {
                let n = sizes.get(i).copied().unwrap_or(rest.len()).min(rest.len());
                encode::write_chunk(out, &rest[..n]);
                rest = &rest[n..];
                i += 1;
            }
            let t: Vec<(&str, &str)> = m
                .trailers
                .iter()
                .map(|(a, b)| (a.as_str(), b.as_str()))
                .collect();
            encode::write_last_chunk(out, &t).unwrap();
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(512), ..ProptestConfig::default() })]

    /// (b) Encode a random valid request, parse it back: everything returns.
    #[test]
    fn encoded_requests_parse_back(m in msg(), cuts in vec(any::<usize>(), 0..6)) {
        let mut out = Vec::new();
        encode::write_request_line(&mut out, m.method, &m.path).unwrap();
        encode::write_header(&mut out, "Host", "example.com").unwrap();
        for (n, v) in &m.headers {
            encode::write_header(&mut out, n, v).unwrap();
        }
        encode_body(&m, &mut out);
        let pieces = split(&out, &cuts);
        let got = parse_chunks(Kind::Request, Limits::default(), &pieces, false, false);
        prop_assert!(got.error.is_none(), "{:?}", got.error);
        prop_assert_eq!(got.messages.len(), 1);
        let g = &got.messages[0];
        prop_assert!(g.complete);
        prop_assert_eq!(g.method, Some(m.method));
        prop_assert_eq!(&g.url, &m.path.as_bytes().to_vec());
        prop_assert_eq!(g.version, (1, 1));
        let mut want: Vec<(Vec<u8>, Vec<u8>)> = vec![(b"Host".to_vec(), b"example.com".to_vec())];
        want.extend(m.headers.iter().map(|(n, v)| (latin1(n), latin1(v))));
        match &m.chunked {
            None => want.push((b"Content-Length".to_vec(), m.body.len().to_string().into_bytes())),
            Some(_) => want.push((b"Transfer-Encoding".to_vec(), b"chunked".to_vec())),
        }
        prop_assert_eq!(&g.headers, &want);
        prop_assert_eq!(&g.body, &m.body);
        let want_trailers: Vec<(Vec<u8>, Vec<u8>)> = match &m.chunked {
            Some(_) => m.trailers.iter().map(|(n, v)| (latin1(n), latin1(v))).collect(),
            None => Vec::new(),
        };
        prop_assert_eq!(&g.trailers, &want_trailers);
    }

    /// (b) The same for responses (status 200–599 but 204 and 304, which have no body).
    #[test]
    fn encoded_responses_parse_back(
        m in msg(),
        status in (200u16..600).prop_filter("has a body", |s| *s != 204 && *s != 304),
        reason in "[ -~]{0,20}",
    ) {
        let mut out = Vec::new();
        encode::write_status_line(&mut out, status, reason.trim()).unwrap();
        for (n, v) in &m.headers {
            encode::write_header(&mut out, n, v).unwrap();
        }
        encode_body(&m, &mut out);
        let got = parse_all(Kind::Response, Limits::default(), &out, false);
        prop_assert!(got.error.is_none(), "{:?}", got.error);
        let g = &got.messages[0];
        prop_assert!(g.complete);
        prop_assert_eq!(g.status, status);
        prop_assert_eq!(&g.reason, &reason.trim().as_bytes().to_vec());
        prop_assert_eq!(&g.body, &m.body);
        prop_assert_eq!(g.headers.len(), m.headers.len() + 1);
    }
}
