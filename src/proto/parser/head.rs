//! [`Head`] and [`Fields`]: the views of a parsed head lent to the handler.
#![forbid(unsafe_code)]

use std::fmt;

use super::{BodyFraming, Kind};

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Span {
    pub(super) start: u32,
    pub(super) end: u32,
}

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct FieldSpan {
    pub(super) name: Span,
    pub(super) value: Span,
}

/// A list of header or trailer fields, as raw bytes in wire order, names' case kept.
/// Values are trimmed of surrounding spaces and tabs, as Node's `rawHeaders`.
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    pub(super) buf: &'a [u8],
    pub(super) spans: &'a [FieldSpan],
}

impl<'a> Fields<'a> {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.spans.len()
    }
    /// True when there are no fields.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
    /// The `i`th field as `(name, value)`.
    pub fn get(&self, i: usize) -> Option<(&'a [u8], &'a [u8])> {
        self.spans.get(i).map(|s| self.pair(s))
    }
    /// The fields in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        let buf = self.buf;
        self.spans.iter().map(move |s| {
            (
                buf.get(s.name.start as usize..s.name.end as usize)
                    .unwrap_or_default(),
                buf.get(s.value.start as usize..s.value.end as usize)
                    .unwrap_or_default(),
            )
        })
    }
    /// The first value of `name`, compared ASCII case-insensitively.
    pub fn first(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    fn pair(&self, s: &FieldSpan) -> (&'a [u8], &'a [u8]) {
        (slice(self.buf, s.name), slice(self.buf, s.value))
    }
}

impl fmt::Debug for Fields<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(n, v)| {
                (
                    String::from_utf8_lossy(n).into_owned(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            }))
            .finish()
    }
}

pub(super) fn slice(buf: &[u8], s: Span) -> &[u8] {
    buf.get(s.start as usize..s.end as usize)
        .unwrap_or_default()
}

/// A complete message head, lent to [`Handler::on_headers_complete`](super::Handler::on_headers_complete).
#[derive(Debug, Clone, Copy)]
pub struct Head<'a> {
    pub(super) kind: Kind,
    pub(super) method: Option<&'static str>,
    pub(super) url: &'a [u8],
    pub(super) protocol: &'static str,
    pub(super) version: (u8, u8),
    pub(super) status: u16,
    pub(super) reason: &'a [u8],
    pub(super) fields: Fields<'a>,
    pub(super) body: BodyFraming,
    pub(super) keep_alive: bool,
    pub(super) upgrade: bool,
    pub(super) content_length: Option<u64>,
    pub(super) host_missing: bool,
}

impl<'a> Head<'a> {
    /// Whether this is a request or a response head.
    pub fn kind(&self) -> Kind {
        self.kind
    }
    /// The request method, one of [`METHODS`](crate::METHODS); `None` for responses.
    pub fn method(&self) -> Option<&'static str> {
        self.method
    }
    /// The raw request-target as received (`/a?b#c`, `http://h/p`, `h:443`, `*`); empty for
    /// responses.
    pub fn url(&self) -> &'a [u8] {
        self.url
    }
    /// The protocol name on the start line: `HTTP` (or `RTSP`/`ICE` for responses).
    pub fn protocol(&self) -> &'static str {
        self.protocol
    }
    /// `(major, minor)`: (1, 1), (1, 0), (2, 0), or (0, 9) for a request line without version.
    pub fn version(&self) -> (u8, u8) {
        self.version
    }
    /// The status code; 0 for requests.
    pub fn status(&self) -> u16 {
        self.status
    }
    /// The reason phrase as received (may be empty); empty for requests.
    pub fn reason(&self) -> &'a [u8] {
        self.reason
    }
    /// The header fields kept (at most [`Limits::max_headers_count`](super::Limits::max_headers_count)), in wire order.
    pub fn headers(&self) -> Fields<'a> {
        self.fields
    }
    /// The first value of header `name` (case-insensitive) among the kept fields.
    pub fn header(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.fields.first(name)
    }
    /// How the body is delimited, before any [`Flow::SkipBody`](super::Flow::SkipBody) from the handler.
    pub fn body_kind(&self) -> BodyFraming {
        self.body
    }
    /// The Content-Length value, when the header was present.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }
    /// Node's `shouldKeepAlive`: HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with
    /// `Connection: keep-alive`, and never when the body runs until EOF.
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }
    /// Whether the connection is handed over after this message: CONNECT, or `Upgrade` with
    /// `Connection: upgrade` on a request; status 101 on a response.
    pub fn upgrade(&self) -> bool {
        self.upgrade
    }
    /// True for an HTTP/1.1 request without a `Host` header among the kept fields; Node's
    /// server answers such a request with 400.
    pub fn host_missing(&self) -> bool {
        self.host_missing
    }
}

/// The bytes of `span` in the virtual head `buf ++ data[base..]` (never straddling: see
/// [`Parser::settle`]).
#[inline(always)]
pub(super) fn head_bytes<'a>(buf: &'a [u8], base: usize, data: &'a [u8], span: Span) -> &'a [u8] {
    let in_buf = buf.len() as u32;
    if span.end <= in_buf {
        slice(buf, span)
    } else {
        let from = base + span.start.saturating_sub(in_buf) as usize;
        let to = base + (span.end - in_buf) as usize;
        data.get(from..to).unwrap_or_default()
    }
}
