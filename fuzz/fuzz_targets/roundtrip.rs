//! Encoder → parser round trip. The fuzz bytes choose 1 to 3 valid messages (requests or
//! responses): method, path, status, reason, headers, a body framed by Content-Length,
//! chunked with random chunk splits and trailers, or (last response only) by EOF. They are
//! written with `stdhttp::proto::encode`, which must accept every one of them, and the
//! parser must give back exactly what was written.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stdhttp::parser::{parse_all, BodyFraming, Kind, Limits, Message};
use stdhttp::proto::encode::{
    write_chunk, write_chunk_header, write_header, write_last_chunk, write_request_line,
    write_status_line, CRLF,
};
use stdhttp_fuzz::Choices;

const TCHARS: &[u8] =
    b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Names the parser gives a meaning to: only ever added on purpose.
const FRAMING: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "proxy-connection",
    "upgrade",
    "host",
];

#[derive(Clone, Copy, PartialEq)]
enum Framing {
    None,
    Length,
    Chunked,
    UntilClose,
}

fn token(c: &mut Choices) -> String {
    let len = c.range(1, 12);
    let name: String = (0..len).map(|_| c.pick(TCHARS) as char).collect();
    if FRAMING.contains(&name.to_ascii_lowercase().as_str()) {
        format!("x-{name}")
    } else {
        name
    }
}

/// A field value as latin1 bytes: HTAB, SP, visible ASCII and obs-text, no surrounding
/// whitespace (the parser trims it, as Node does).
fn field_value(c: &mut Choices, max: usize, trim: bool) -> Vec<u8> {
    let len = c.below(max + 1);
    let mut v: Vec<u8> = (0..len)
        .map(|_| match c.byte() {
            b @ (b'\t' | 0x20..=0x7e | 0x80..=0xff) => b,
            b => b'a' + b % 26,
        })
        .collect();
    if trim {
        while v.first().is_some_and(|b| matches!(b, b' ' | b'\t')) {
            v.remove(0);
        }
        while v.last().is_some_and(|b| matches!(b, b' ' | b'\t')) {
            v.pop();
        }
    }
    v
}

/// The `&str` the encoder takes for latin1 bytes: one char per byte.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// Inserts a header the parser gives a meaning to at a random place, spelled in one of
/// three cases (the parser must recognise it whatever the case).
fn insert(c: &mut Choices, headers: &mut Vec<(String, Vec<u8>)>, name: &str, value: &[u8]) {
    let name = match c.below(3) {
        0 => name.to_string(),
        1 => name.to_ascii_lowercase(),
        _ => name.to_ascii_uppercase(),
    };
    let at = c.below(headers.len() + 1);
    headers.insert(at, (name, value.to_vec()));
}

fn fields(c: &mut Choices, max: usize) -> Vec<(String, Vec<u8>)> {
    (0..c.below(max + 1))
        .map(|_| (token(c), field_value(c, 24, true)))
        .collect()
}

/// Builds one message, appends its bytes to `wire` and returns what the parser must report.
fn message(c: &mut Choices, kind: Kind, last: bool, wire: &mut Vec<u8>) -> Message {
    let mut m = Message {
        protocol: "HTTP",
        version: (1, 1),
        headers_complete: true,
        complete: true,
        ..Message::default()
    };
    match kind {
        Kind::Request => {
            let methods: Vec<&'static str> = stdhttp::METHODS
                .iter()
                .copied()
                .filter(|&m| m != "CONNECT")
                .collect();
            m.method = Some(c.pick(&methods));
            let len = c.below(41);
            m.url = std::iter::once(b'/')
                .chain((0..len).map(|_| 0x21 + c.byte() % 94))
                .collect();
        }
        Kind::Response => {
            m.status = c.range(200, 599) as u16;
            if m.status == 204 || m.status == 304 {
                m.status = 200;
            }
            m.reason = field_value(c, 20, false);
        }
    }

    let mut headers = fields(c, 8);
    if kind == Kind::Request && c.flag() {
        let host = field_value(c, 16, true);
        insert(c, &mut headers, "Host", &host);
    } else {
        m.host_missing = kind == Kind::Request;
    }
    let close = last && c.below(4) == 0;
    if close {
        insert(c, &mut headers, "Connection", b"close");
    } else if c.below(4) == 0 {
        insert(c, &mut headers, "Connection", b"keep-alive");
    }
    let framing = match (kind, c.below(3)) {
        (Kind::Request, 0) => Framing::None,
        (Kind::Response, 2) if last => Framing::UntilClose,
        (_, 1) => Framing::Chunked,
        _ => Framing::Length,
    };
    let body_len = c.below(300);
    m.body = c.take(body_len).to_vec();
    m.body_kind = Some(match framing {
        Framing::None => BodyFraming::None,
        Framing::Length if m.body.is_empty() => BodyFraming::None,
        Framing::Length => BodyFraming::Length(m.body.len() as u64),
        Framing::Chunked => BodyFraming::Chunked,
        Framing::UntilClose => BodyFraming::UntilClose,
    });
    match framing {
        Framing::None => m.body.clear(),
        Framing::Length => {
            m.content_length = Some(m.body.len() as u64);
            let n = m.body.len().to_string();
            insert(c, &mut headers, "Content-Length", n.as_bytes());
        }
        Framing::Chunked => insert(c, &mut headers, "Transfer-Encoding", b"chunked"),
        Framing::UntilClose => {}
    }
    m.keep_alive = !close && framing != Framing::UntilClose;
    m.headers = headers
        .iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.clone()))
        .collect();

    match kind {
        Kind::Request => {
            let method = m.method.unwrap_or("GET");
            write_request_line(wire, method, &latin1(&m.url)).expect("a valid request line");
        }
        Kind::Response => {
            write_status_line(wire, m.status, &latin1(&m.reason)).expect("a valid status line")
        }
    }
    for (name, value) in &headers {
        write_header(wire, name, &latin1(value)).expect("a valid header");
    }
    wire.extend_from_slice(CRLF);

    match framing {
        Framing::None => {}
        Framing::Length | Framing::UntilClose => wire.extend_from_slice(&m.body),
        Framing::Chunked => {
            let mut rest = &m.body[..];
            while !rest.is_empty() {
                let n = c.range(1, rest.len());
                let (chunk, tail) = rest.split_at(n);
                if c.flag() {
                    write_chunk(wire, chunk);
                } else {
                    write_chunk_header(wire, chunk.len());
                    wire.extend_from_slice(chunk);
                    wire.extend_from_slice(CRLF);
                }
                if c.below(8) == 0 {
                    // An empty chunk writes nothing rather than ending the body.
                    write_chunk(wire, b"");
                    write_chunk_header(wire, 0);
                }
                m.chunks.push((n as u64, Vec::new()));
                rest = tail;
            }
            m.chunks.push((0, Vec::new()));
            let trailers = fields(c, 3);
            let as_strs: Vec<(String, String)> = trailers
                .iter()
                .map(|(n, v)| (n.clone(), latin1(v)))
                .collect();
            let refs: Vec<(&str, &str)> = as_strs
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            write_last_chunk(wire, &refs).expect("valid trailers");
            m.trailers = trailers
                .into_iter()
                .map(|(n, v)| (n.into_bytes(), v))
                .collect();
        }
    }
    m
}

fuzz_target!(|data: &[u8]| {
    let mut c = Choices::new(data);
    let kind = if c.flag() {
        Kind::Response
    } else {
        Kind::Request
    };
    let count = c.range(1, 3);
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    for i in 0..count {
        let last = i + 1 == count;
        expected.push(message(&mut c, kind, last, &mut wire));
        if !expected.last().is_some_and(|m| m.keep_alive) {
            break;
        }
    }
    let parsed = parse_all(kind, Limits::default(), &wire, true);
    assert_eq!(
        parsed.error,
        None,
        "wire: {:?}",
        String::from_utf8_lossy(&wire)
    );
    assert_eq!(parsed.upgrade_offset, None);
    assert_eq!(
        parsed.messages,
        expected,
        "wire: {:?}",
        String::from_utf8_lossy(&wire)
    );
});
