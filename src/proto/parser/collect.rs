//! [`parse_all`]: run the parser over a whole input and collect owned [`Message`]s: what the
//! `parse` example, the fuzz targets and the tests use.
#![forbid(unsafe_code)]

use super::{BodyFraming, Fields, Flow, Handler, Head, Kind, Limits, ParseError, Parser};

/// One message, collected with owned bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    /// The request method (`None` for responses).
    pub method: Option<&'static str>,
    /// The raw request-target.
    pub url: Vec<u8>,
    /// `HTTP`, or `RTSP`/`ICE` for such responses.
    pub protocol: &'static str,
    /// `(major, minor)`.
    pub version: (u8, u8),
    /// The status code (responses).
    pub status: u16,
    /// The reason phrase (responses).
    pub reason: Vec<u8>,
    /// Header fields in wire order (the kept ones), values trimmed.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The body after transfer decoding.
    pub body: Vec<u8>,
    /// Chunked bodies: each chunk's size and raw extensions, ending with the size-0 chunk.
    pub chunks: Vec<(u64, Vec<u8>)>,
    /// Trailer fields of a chunked body.
    pub trailers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The body framing announced by the head.
    pub body_kind: Option<BodyFraming>,
    /// The Content-Length header's value.
    pub content_length: Option<u64>,
    /// Node's `shouldKeepAlive` as reported with the head.
    pub keep_alive: bool,
    /// The message hands the connection over.
    pub upgrade: bool,
    /// An HTTP/1.1 request without Host.
    pub host_missing: bool,
    /// The head was complete.
    pub headers_complete: bool,
    /// The whole message was complete.
    pub complete: bool,
}

/// What [`parse_all`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The messages, in order; the last may be incomplete.
    pub messages: Vec<Message>,
    /// The error that stopped the parser, if any.
    pub error: Option<ParseError>,
    /// Where the new protocol's bytes start, when a message handed the connection over.
    pub upgrade_offset: Option<usize>,
}

/// A [`Handler`] that collects every message whole.
#[derive(Clone, Debug, Default)]
pub struct Collector {
    /// Messages collected so far.
    pub messages: Vec<Message>,
    /// Answer [`Flow::SkipBody`] to every head (as a client does for a response to HEAD).
    pub skip_body: bool,
}

fn owned(fields: &Fields<'_>) -> Vec<(Vec<u8>, Vec<u8>)> {
    fields
        .iter()
        .map(|(n, v)| (n.to_vec(), v.to_vec()))
        .collect()
}

impl Collector {
    fn current(&mut self) -> &mut Message {
        if self.messages.is_empty() {
            self.messages.push(Message::default());
        }
        let last = self.messages.len() - 1;
        &mut self.messages[last]
    }
}

impl Handler for Collector {
    fn on_message_begin(&mut self) -> Flow {
        self.messages.push(Message::default());
        Flow::Continue
    }
    fn on_headers_complete(&mut self, head: &Head<'_>) -> Flow {
        let m = self.current();
        m.method = head.method();
        m.url = head.url().to_vec();
        m.protocol = head.protocol();
        m.version = head.version();
        m.status = head.status();
        m.reason = head.reason().to_vec();
        m.headers = owned(&head.headers());
        m.body_kind = Some(head.body_kind());
        m.content_length = head.content_length();
        m.keep_alive = head.keep_alive();
        m.upgrade = head.upgrade();
        m.host_missing = head.host_missing();
        m.headers_complete = true;
        if self.skip_body {
            Flow::SkipBody
        } else {
            Flow::Continue
        }
    }
    fn on_chunk_header(&mut self, size: u64, extensions: &[u8]) -> Flow {
        self.current().chunks.push((size, extensions.to_vec()));
        Flow::Continue
    }
    fn on_body(&mut self, data: &[u8]) -> Flow {
        self.current().body.extend_from_slice(data);
        Flow::Continue
    }
    fn on_trailers(&mut self, trailers: &Fields<'_>) -> Flow {
        self.current().trailers = owned(trailers);
        Flow::Continue
    }
    fn on_message_complete(&mut self) -> Flow {
        self.current().complete = true;
        Flow::Continue
    }
}

/// Parses all of `input` as one connection's bytes, then (with `eof`) signals EOF, and
/// returns every message with the error that stopped the parser, if any.
///
/// ```
/// use stdhttp::parser::{parse_all, Kind, Limits};
/// let p = parse_all(Kind::Request, Limits::default(), b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", false);
/// assert_eq!(p.messages[0].method, Some("GET"));
/// assert!(p.error.is_none());
/// ```
pub fn parse_all(kind: Kind, limits: Limits, input: &[u8], eof: bool) -> Parsed {
    parse_chunks(kind, limits, &[input], eof, false)
}

/// Like [`parse_all`], feeding the input in the pieces given (to test split invariance);
/// `skip_body` makes the handler answer [`Flow::SkipBody`] to every head (a client after HEAD).
pub fn parse_chunks(
    kind: Kind,
    limits: Limits,
    pieces: &[&[u8]],
    eof: bool,
    skip_body: bool,
) -> Parsed {
    let mut parser = Parser::new(kind, limits);
    let mut c = Collector {
        skip_body,
        ..Collector::default()
    };
    let mut out = Parsed::default();
    let mut offset = 0usize;
    for piece in pieces {
        match parser.execute(piece, &mut c) {
            Ok(n) => {
                offset += n;
                if parser.is_upgraded() {
                    out.upgrade_offset = Some(offset);
                    out.messages = c.messages;
                    return out;
                }
            }
            Err(e) => {
                out.error = Some(e);
                out.messages = c.messages;
                return out;
            }
        }
    }
    if eof {
        if let Err(e) = parser.finish(&mut c) {
            out.error = Some(e);
        }
    }
    out.messages = c.messages;
    out
}
