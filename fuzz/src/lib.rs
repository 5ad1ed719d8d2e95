//! Helpers shared by the fuzz targets: turning fuzz bytes into choices, and the invariants
//! every parse result must satisfy whatever the input.
//!
//! The targets depend on `libfuzzer-sys` only, so choices are read from the input by hand
//! ([`Choices`]) rather than through `arbitrary`.

pub mod conn;

use stdhttp::parser::{BodyFraming, Collector, Kind, Limits, Message, Parsed, Parser};

/// Reads decisions off the front of a fuzz input. Once the input is used up every choice is
/// 0, so any input, even an empty one, gives a complete set of decisions.
pub struct Choices<'a> {
    data: &'a [u8],
}

impl<'a> Choices<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Choices { data }
    }

    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.byte(), self.byte()])
    }

    pub fn flag(&mut self) -> bool {
        self.byte() & 1 == 1
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        match n {
            0 | 1 => 0,
            2..=256 => self.byte() as usize % n,
            _ => self.u16() as usize % n,
        }
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// One of `items` (which must not be empty).
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// Up to `n` bytes, fewer when the input runs out.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        head
    }

    /// Everything not read yet.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}

/// Limits chosen by one byte: 0 is Node's defaults; others are tight, so that the overflow
/// paths (head size, header count, chunk extensions) are reached by short inputs.
pub fn limits_from(b: u8) -> Limits {
    if b == 0 {
        return Limits::default();
    }
    const HEAD: [usize; 8] = [0, 1, 2, 16, 40, 64, 200, 1024];
    const COUNT: [usize; 4] = [0, 1, 2, 5];
    const EXT: [usize; 4] = [0, 1, 8, 64];
    Limits::default()
        .max_header_size(HEAD[(b & 7) as usize])
        .max_headers_count(COUNT[((b >> 3) & 3) as usize])
        .max_chunk_extensions(EXT[((b >> 5) & 3) as usize])
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_field_vchar(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// Whether the parser handed the connection over right after this message's head, so its
/// body (whatever the head announced) was never read.
fn handed_over_at_head(m: &Message) -> bool {
    m.upgrade
        && (m.method == Some("CONNECT")
            || m.status == 101
            || !matches!(
                m.body_kind,
                Some(BodyFraming::Length(_)) | Some(BodyFraming::Chunked)
            ))
}

/// Checks what must hold for any result of `parse_chunks(kind, limits, pieces, eof,
/// skip_body)` over an input of `input_len` bytes.
pub fn check_parsed(
    kind: Kind,
    limits: Limits,
    parsed: &Parsed,
    input_len: usize,
    eof: bool,
    skip_body: bool,
) {
    if let Some(e) = &parsed.error {
        assert!(
            e.offset() <= input_len as u64,
            "error offset {} past the input ({input_len} bytes): {e}",
            e.offset()
        );
        assert!(
            parsed.upgrade_offset.is_none(),
            "both an error and an upgrade"
        );
    }
    if let Some(at) = parsed.upgrade_offset {
        assert!(
            at <= input_len,
            "upgrade offset {at} past the input ({input_len})"
        );
        let last = parsed
            .messages
            .last()
            .expect("an upgrade without a message");
        assert!(
            last.complete && last.upgrade,
            "upgrade offset without an upgraded message"
        );
    }
    let n = parsed.messages.len();
    for (i, m) in parsed.messages.iter().enumerate() {
        let last = i + 1 == n;
        if !last {
            assert!(
                m.complete,
                "message {i} of {n} is incomplete but another followed"
            );
        }
        if parsed.error.is_none() && (eof || parsed.upgrade_offset.is_some()) {
            assert!(
                m.complete,
                "no error at EOF, yet message {i} is incomplete: {m:?}"
            );
        }
        if m.complete {
            assert!(m.headers_complete, "message complete without a head");
        }
        if !m.headers_complete {
            assert!(m.body.is_empty() && m.chunks.is_empty() && m.trailers.is_empty());
            continue;
        }
        check_head(kind, limits, m);
        check_body(m, skip_body);
    }
}

fn check_head(kind: Kind, limits: Limits, m: &Message) {
    match kind {
        Kind::Request => {
            // tests/fuzz_regressions.rs `pri_http09_request_is_an_invalid_method`
            let method = m.method.expect("a request head without a method");
            assert!(stdhttp::METHODS.contains(&method));
            assert!(!m.url.is_empty(), "empty request-target");
            assert!(
                m.url.iter().all(|&b| b > 0x20 && b < 0x7f),
                "request-target with a byte outside visible ASCII: {:?}",
                m.url
            );
            assert_eq!(m.status, 0);
            assert!(m.reason.is_empty());
            assert!(
                matches!(m.version, (0, 9) | (1, 0) | (1, 1) | (2, 0)),
                "{:?}",
                m.version
            );
        }
        Kind::Response => {
            assert_eq!(m.method, None);
            assert!(m.url.is_empty());
            // Three digits, any three: Node 20 takes `HTTP/1.1 000 OK` as status 0.
            assert!(m.status <= 999, "status {}", m.status);
            // llhttp (so Node 20) takes any byte but CR and LF in a reason phrase
            assert!(
                !m.reason.iter().any(|&b| b == b'\r' || b == b'\n'),
                "reason {:?}",
                m.reason
            );
            assert!(
                matches!(m.version, (0, 9) | (1, 0) | (1, 1) | (2, 0)),
                "{:?}",
                m.version
            );
        }
    }
    if limits.max_headers_count != 0 {
        assert!(m.headers.len() <= limits.max_headers_count);
    }
    let mut size = m.url.len() + m.reason.len();
    for (name, value) in &m.headers {
        assert!(
            !name.is_empty() && name.iter().all(|&b| is_tchar(b)),
            "name {name:?}"
        );
        assert!(value.iter().all(|&b| is_field_vchar(b)), "value {value:?}");
        assert!(
            !value.starts_with(b" ")
                && !value.starts_with(b"\t")
                && !value.ends_with(b" ")
                && !value.ends_with(b"\t"),
            "untrimmed value {value:?}"
        );
        size += name.len() + value.len();
    }
    if limits.max_header_size != 0 {
        assert!(
            size < limits.max_header_size,
            "head of {size} bytes passed the limit"
        );
    }
    if m.body_kind == Some(BodyFraming::UntilClose) {
        assert_eq!(kind, Kind::Response, "a request body delimited by EOF");
        assert!(!m.keep_alive, "keep-alive with a body delimited by EOF");
    }
    if let (Some(BodyFraming::Length(n)), Some(cl)) = (m.body_kind, m.content_length) {
        assert_eq!(n, cl, "body length differs from Content-Length");
    }
}

fn check_body(m: &Message, skip_body: bool) {
    let skipped = skip_body || handed_over_at_head(m);
    if skipped {
        assert!(
            m.body.is_empty() && m.chunks.is_empty(),
            "body of a skipped message"
        );
    }
    for (name, value) in &m.trailers {
        assert!(
            !name.is_empty() && name.iter().all(|&b| is_tchar(b)),
            "trailer {name:?}"
        );
        assert!(
            value.iter().all(|&b| is_field_vchar(b)),
            "trailer value {value:?}"
        );
    }
    match m.body_kind.expect("a head without body framing") {
        BodyFraming::None => {
            assert!(m.body.is_empty() && m.chunks.is_empty() && m.trailers.is_empty());
        }
        BodyFraming::Length(n) => {
            assert!(m.chunks.is_empty() && m.trailers.is_empty());
            assert!(m.body.len() as u64 <= n, "more body than Content-Length");
            if m.complete && !skipped {
                assert_eq!(m.body.len() as u64, n, "complete with a short body");
            }
        }
        BodyFraming::Chunked => {
            let sizes: Vec<u64> = m.chunks.iter().map(|c| c.0).collect();
            if let Some((_, before_last)) = sizes.split_last() {
                assert!(
                    before_last.iter().all(|&s| s > 0),
                    "a chunk after the last chunk"
                );
            }
            // u128: the sizes of an unfinished body may add up past u64::MAX
            let total: u128 = sizes.iter().map(|&s| u128::from(s)).sum();
            assert!(
                m.body.len() as u128 <= total,
                "more body than the chunk sizes announce"
            );
            if m.complete && !skipped {
                assert_eq!(sizes.last(), Some(&0), "complete without a last chunk");
                assert_eq!(
                    m.body.len() as u128,
                    total,
                    "chunk sizes differ from the body"
                );
            } else {
                assert!(m.trailers.is_empty() || m.complete);
            }
        }
        BodyFraming::UntilClose => {
            assert!(m.chunks.is_empty() && m.trailers.is_empty());
        }
    }
}

/// Runs `Parser::execute` directly over `input` in one call, checks what `execute` itself
/// promises (consumed count, sticky errors, `reset`), and returns the same shape as
/// `parse_chunks` so a target can compare the two.
pub fn run_direct(kind: Kind, limits: Limits, input: &[u8], eof: bool, skip_body: bool) -> Parsed {
    let mut parser = Parser::new(kind, limits);
    let first = drive(&mut parser, input, eof, skip_body);
    // A reset parser must behave as a new one.
    parser.reset();
    let again = drive(&mut parser, input, eof, skip_body);
    assert_eq!(
        first, again,
        "a reset parser parsed the same input differently"
    );
    first
}

fn drive(parser: &mut Parser, input: &[u8], eof: bool, skip_body: bool) -> Parsed {
    let mut c = Collector {
        skip_body,
        ..Collector::default()
    };
    let mut out = Parsed::default();
    match parser.execute(input, &mut c) {
        Ok(consumed) => {
            assert!(
                consumed <= input.len(),
                "consumed {consumed} of {} bytes",
                input.len()
            );
            if parser.is_upgraded() {
                out.upgrade_offset = Some(consumed);
                // Once handed over, the parser takes no more bytes.
                assert_eq!(parser.execute(b"more", &mut c), Ok(0));
            } else {
                assert_eq!(
                    consumed,
                    input.len(),
                    "stopped early without pause or upgrade"
                );
                if eof {
                    if let Err(e) = parser.finish(&mut c) {
                        out.error = Some(e);
                    }
                }
            }
        }
        Err(e) => {
            // A failed parser stays failed, with the same error.
            assert_eq!(
                parser.execute(b"GET / HTTP/1.1\r\n\r\n", &mut c).as_ref(),
                Err(&e)
            );
            assert_eq!(parser.finish(&mut c).as_ref(), Err(&e));
            assert_eq!(parser.error(), Some(&e));
            out.error = Some(e);
        }
    }
    out.messages = c.messages;
    out
}
