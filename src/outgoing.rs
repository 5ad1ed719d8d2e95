//! The core shared by [`ServerResponse`](crate::ServerResponse) and
//! [`ClientRequest`](crate::ClientRequest) (Node's `OutgoingMessage`): the header store,
//! body framing and the write buffer.
#![forbid(unsafe_code)]

use std::fmt;
use std::io;

use crate::net::Socket;
use crate::proto::encode::{self, CRLF};
use crate::proto::framing::{BodyFraming, UserFraming};
use crate::proto::headers::list_has_token;
use crate::{Error, ErrorKind};

/// `write()` returns `false` once this many bytes are waiting (Node's
/// `writableHighWaterMark`).
pub const HIGH_WATER_MARK: usize = 16 * 1024;

/// Writes at least this large go to the socket directly, without being copied into the
/// buffer.
const DIRECT_WRITE: usize = 8 * 1024;

/// A name/value pair, by value or by reference: what
/// [`add_trailers`](crate::ServerResponse::add_trailers) takes an iterator of.
///
/// ```
/// use stdhttp::NameValue;
/// assert_eq!(("X-Sum", "3").pair(), ("X-Sum", "3"));
/// assert_eq!((&(String::from("a"), "b")).pair(), ("a", "b"));
/// ```
pub trait NameValue {
    /// The name and the value.
    fn pair(&self) -> (&str, &str);
}

impl<K: AsRef<str>, V: AsRef<str>> NameValue for (K, V) {
    fn pair(&self) -> (&str, &str) {
        (self.0.as_ref(), self.1.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> NameValue for &(K, V) {
    fn pair(&self) -> (&str, &str) {
        (self.0.as_ref(), self.1.as_ref())
    }
}

/// A header value: one string, or a list that becomes one line per element (Node's array
/// values).
///
/// ```
/// use stdhttp::HeaderValue;
/// assert_eq!(HeaderValue::from("text/plain").as_str(), Some("text/plain"));
/// assert_eq!(HeaderValue::from(42u64).as_str(), Some("42"));
/// let cookies = HeaderValue::from(vec!["a=1", "b=2"]);
/// assert_eq!(cookies.values(), ["a=1", "b=2"]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeaderValue {
    /// A single value.
    One(String),
    /// Several values, each sent on its own line (or joined with `; ` for `Cookie`).
    List(Vec<String>),
}

impl HeaderValue {
    /// The value when it is a single string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            HeaderValue::One(s) => Some(s),
            HeaderValue::List(_) => None,
        }
    }

    /// Every value, in order.
    pub fn values(&self) -> &[String] {
        match self {
            HeaderValue::One(s) => std::slice::from_ref(s),
            HeaderValue::List(v) => v,
        }
    }
}

impl fmt::Display for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.values().join(", "))
    }
}

impl From<&str> for HeaderValue {
    fn from(s: &str) -> Self {
        HeaderValue::One(s.to_string())
    }
}
impl From<String> for HeaderValue {
    fn from(s: String) -> Self {
        HeaderValue::One(s)
    }
}
impl From<&String> for HeaderValue {
    fn from(s: &String) -> Self {
        HeaderValue::One(s.clone())
    }
}
macro_rules! number_values {
    ($($t:ty),*) => {$(
        impl From<$t> for HeaderValue {
            fn from(n: $t) -> Self {
                HeaderValue::One(n.to_string())
            }
        }
    )*};
}
number_values!(u16, u32, u64, usize, i32, i64);
impl From<Vec<String>> for HeaderValue {
    fn from(v: Vec<String>) -> Self {
        HeaderValue::List(v)
    }
}
impl From<Vec<&str>> for HeaderValue {
    fn from(v: Vec<&str>) -> Self {
        HeaderValue::List(v.into_iter().map(String::from).collect())
    }
}
impl From<&[&str]> for HeaderValue {
    fn from(v: &[&str]) -> Self {
        HeaderValue::List(v.iter().map(|s| s.to_string()).collect())
    }
}
impl<const N: usize> From<[&str; N]> for HeaderValue {
    fn from(v: [&str; N]) -> Self {
        HeaderValue::List(v.iter().map(|s| s.to_string()).collect())
    }
}

#[derive(Clone, Debug)]
struct Entry {
    name: String,
    lower: String,
    value: HeaderValue,
}

/// Outgoing headers keyed case-insensitively, remembering the case of the latest
/// `set_header` and the position of the first.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeaderStore {
    entries: Vec<Entry>,
}

impl HeaderStore {
    fn position(&self, name: &str) -> Option<usize> {
        self.entries
            .iter()
            .position(|e| e.lower.eq_ignore_ascii_case(name))
    }

    fn validate(name: &str, value: &HeaderValue) -> Result<(), Error> {
        encode::validate_header_name(name)?;
        for v in value.values() {
            encode::validate_header_value(name, v)?;
        }
        Ok(())
    }

    /// Validate and set (replacing any value under the same name, in its slot).
    pub fn set(&mut self, name: &str, value: HeaderValue) -> Result<(), Error> {
        Self::validate(name, &value)?;
        match self.position(name) {
            Some(i) => {
                let e = &mut self.entries[i];
                e.name = name.to_string();
                e.value = value;
            }
            None => self.entries.push(Entry {
                name: name.to_string(),
                lower: name.to_ascii_lowercase(),
                value,
            }),
        }
        Ok(())
    }

    /// Validate and add `value` after the values of `name` (Node's `appendHeader`): a
    /// single value becomes a list; the name keeps the case it was first set with. An unset
    /// name is [`set`](Self::set).
    pub fn append(&mut self, name: &str, value: HeaderValue) -> Result<(), Error> {
        Self::validate(name, &value)?;
        let Some(i) = self.position(name) else {
            return self.set(name, value);
        };
        let e = &mut self.entries[i];
        let mut values = match std::mem::replace(&mut e.value, HeaderValue::List(Vec::new())) {
            HeaderValue::One(s) => vec![s],
            HeaderValue::List(v) => v,
        };
        match value {
            HeaderValue::One(s) => values.push(s),
            HeaderValue::List(v) => values.extend(v),
        }
        e.value = HeaderValue::List(values);
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&HeaderValue> {
        self.position(name).map(|i| &self.entries[i].value)
    }

    pub fn has(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    pub fn remove(&mut self, name: &str) -> bool {
        match self.position(name) {
            Some(i) => {
                self.entries.remove(i);
                true
            }
            None => false,
        }
    }

    pub fn names(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.lower.clone()).collect()
    }

    pub fn to_vec(&self) -> Vec<(String, HeaderValue)> {
        self.entries
            .iter()
            .map(|e| (e.lower.clone(), e.value.clone()))
            .collect()
    }

    /// Whether any value of `name` contains `token` as a comma-separated element
    /// (case-insensitive).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.values().iter().any(|s| list_has_token(s, token)))
    }

    /// Render every header line: a list gives one line per element, except `Cookie`, whose
    /// elements are joined with `; ` on one line (as Node does).
    pub fn render(&self, buf: &mut Vec<u8>) {
        for e in &self.entries {
            match &e.value {
                HeaderValue::List(v) if e.lower == "cookie" && v.len() > 1 => {
                    encode::put_field(buf, &e.name, &v.join("; "));
                }
                value => {
                    for v in value.values() {
                        encode::put_field(buf, &e.name, v);
                    }
                }
            }
        }
    }
}

/// The methods [`ServerResponse`](crate::ServerResponse) and
/// [`ClientRequest`](crate::ClientRequest) share as Node's `OutgoingMessage`; both keep
/// their [`Outgoing`] in a field named `out`.
macro_rules! outgoing_methods {
    () => {
        /// Set a header (a list gives one line per value; `Cookie` lists join with `; `).
        /// Names are case-insensitive; the case last given is sent. Errors:
        /// `ERR_INVALID_HTTP_TOKEN`, `ERR_INVALID_CHAR`, `ERR_HTTP_HEADERS_SENT`.
        pub fn set_header(
            &mut self,
            name: &str,
            value: impl Into<$crate::HeaderValue>,
        ) -> Result<&mut Self, $crate::Error> {
            self.out.set_header(name, value.into())?;
            Ok(self)
        }

        /// Add a value to a header (Node's `appendHeader`): an unset header is set; a set
        /// one becomes a list of its values and the new ones (one line each when sent;
        /// `Cookie` joined with `; `), keeping the case it was first set with. Errors as
        /// [`set_header`](Self::set_header): `ERR_INVALID_HTTP_TOKEN`, `ERR_INVALID_CHAR`,
        /// `ERR_HTTP_HEADERS_SENT` (`Cannot append headers after they are sent to the
        /// client`).
        ///
        /// ```
        /// use stdhttp::HeaderValue;
        ///
        /// let server = stdhttp::create_server(|_req, mut res| {
        ///     res.append_header("Vary", "Accept").unwrap();
        ///     assert_eq!(res.get_header("vary"), Some(&HeaderValue::from("Accept")));
        ///     res.append_header("vary", "Origin").unwrap();
        ///     assert_eq!(res.get_header("Vary"), Some(&HeaderValue::from(["Accept", "Origin"])));
        ///     res.end(b"").unwrap();
        /// });
        /// # drop(server);
        /// ```
        pub fn append_header(
            &mut self,
            name: &str,
            value: impl Into<$crate::HeaderValue>,
        ) -> Result<&mut Self, $crate::Error> {
            self.out.append_header(name, value.into())?;
            Ok(self)
        }

        /// A header's value (case-insensitive name).
        pub fn get_header(&self, name: &str) -> Option<&$crate::HeaderValue> {
            self.out.headers.get(name)
        }

        /// Every header, lower-case names, in the order first set.
        pub fn get_headers(&self) -> Vec<(String, $crate::HeaderValue)> {
            self.out.headers.to_vec()
        }

        /// Every header name, lower case, in the order first set.
        pub fn get_header_names(&self) -> Vec<String> {
            self.out.headers.names()
        }

        /// Whether a header is set (case-insensitive).
        pub fn has_header(&self, name: &str) -> bool {
            self.out.headers.has(name)
        }

        /// Whether the head has been generated (Node's `headersSent`).
        pub fn headers_sent(&self) -> bool {
            self.out.head_generated
        }

        /// Add trailers, sent after a chunked body (silently dropped otherwise, as Node).
        /// Errors: `ERR_INVALID_HTTP_TOKEN`, `ERR_INVALID_CHAR`.
        ///
        /// `trailers` is any iterator of name/value pairs ([`NameValue`](crate::NameValue)):
        /// `&[("X-Sum", "3")]`, a `Vec<(String, String)>`, `headers.iter()`...
        pub fn add_trailers<I>(&mut self, trailers: I) -> Result<(), $crate::Error>
        where
            I: IntoIterator,
            I::Item: $crate::NameValue,
        {
            let trailers: Vec<(String, String)> = trailers
                .into_iter()
                .map(|p| {
                    let (k, v) = $crate::NameValue::pair(&p);
                    (k.to_owned(), v.to_owned())
                })
                .collect();
            self.out.add_trailers(trailers)
        }

        /// Run `f` when the whole message has been handed to the socket (Node's `finish`).
        pub fn on_finish(&mut self, f: impl FnMut() + Send + 'static) -> &mut Self {
            self.out.on_finish.push(Box::new(f));
            self
        }
    };
}
pub(crate) use outgoing_methods;

/// `impl std::io::Write` for a message type with `write` and `flush_headers` (the server's
/// response and the client's request): `flush` sends the head and whatever is buffered.
macro_rules! impl_io_write {
    ($t:ty) => {
        impl std::io::Write for $t {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                <$t>::write(self, buf).map_err(std::io::Error::other)?;
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                self.flush_headers().map_err(std::io::Error::other)
            }
        }
    };
}
pub(crate) use impl_io_write;

type Listener = Box<dyn FnMut() + Send>;

/// Node's `ERR_HTTP_CONTENT_LENGTH_MISMATCH`.
pub(crate) fn length_mismatch(actual: u64, expected: u64) -> Error {
    Error::new(
        ErrorKind::ContentLengthMismatch,
        format!(
            "Response body's content-length of {actual} byte(s) does not match the \
             content-length of {expected} byte(s) set in header"
        ),
    )
}

/// The write side of an outgoing message.
pub(crate) struct Outgoing {
    pub headers: HeaderStore,
    /// Node's `removeHeader` side effects: no automatic header of that name.
    pub removed_connection: bool,
    pub removed_length: bool,
    pub removed_encoding: bool,
    /// The head has been generated (Node's `headersSent`).
    pub head_generated: bool,
    pub framing: BodyFraming,
    pub socket: Socket,
    buf: Vec<u8>,
    pub ended: bool,
    pub finished: bool,
    trailers: Vec<(String, String)>,
    failed: Option<io::ErrorKind>,
    pub on_finish: Vec<Listener>,
    pub on_drain: Vec<Listener>,
    /// Body bytes accepted so far.
    pub body_bytes: u64,
    /// How long this message's sends may still wait for the peer, in all (the socket's
    /// send timeout when the message began).
    send_budget: Option<std::time::Duration>,
    /// A `write` returned `false`: the `drain` listeners run at the next call.
    drain_pending: bool,
}

impl Outgoing {
    pub fn new(socket: Socket) -> Outgoing {
        Outgoing {
            headers: HeaderStore::default(),
            removed_connection: false,
            removed_length: false,
            removed_encoding: false,
            head_generated: false,
            framing: BodyFraming::UntilClose,
            buf: Vec::new(),
            ended: false,
            finished: false,
            trailers: Vec::new(),
            failed: None,
            on_finish: Vec::new(),
            on_drain: Vec::new(),
            body_bytes: 0,
            send_budget: socket.write_timeout(),
            drain_pending: false,
            socket,
        }
    }

    pub fn set_header(&mut self, name: &str, value: HeaderValue) -> Result<(), Error> {
        if self.head_generated {
            return Err(Error::headers_sent("set"));
        }
        self.headers.set(name, value)
    }

    pub fn append_header(&mut self, name: &str, value: HeaderValue) -> Result<(), Error> {
        if self.head_generated {
            return Err(Error::headers_sent("append"));
        }
        self.headers.append(name, value)
    }

    pub fn remove_header(&mut self, name: &str) -> Result<(), Error> {
        if self.head_generated {
            return Err(Error::headers_sent("remove"));
        }
        if name.eq_ignore_ascii_case("connection") {
            self.removed_connection = true;
        } else if name.eq_ignore_ascii_case("content-length") {
            self.removed_length = true;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            self.removed_encoding = true;
        }
        self.headers.remove(name);
        Ok(())
    }

    /// A buffer to write the head into: the output buffer itself when it is empty, so the
    /// head is written once and not copied (hand it back with [`Outgoing::begin`]).
    pub fn head_buffer(&mut self) -> Vec<u8> {
        let mut head = if self.buf.is_empty() {
            std::mem::take(&mut self.buf)
        } else {
            Vec::new()
        };
        head.reserve(256);
        head
    }

    /// The head is generated: it goes out first, before anything buffered, with this
    /// framing for the body.
    pub fn begin(&mut self, mut head: Vec<u8>, framing: BodyFraming) {
        self.head_generated = true;
        self.framing = framing;
        if !self.buf.is_empty() {
            head.extend_from_slice(&self.buf);
        }
        self.buf = head;
    }

    fn io_error(&mut self, e: io::Error) -> Error {
        self.failed = Some(e.kind());
        Error::from(e)
    }

    /// Run the `drain` listeners owed by a `write` that returned `false` (its bytes were
    /// with the kernel before it returned, so the drain has happened by the next call).
    pub fn run_pending_drain(&mut self) {
        if std::mem::take(&mut self.drain_pending) {
            for f in self.on_drain.iter_mut() {
                f();
            }
        }
    }

    /// Hand everything buffered to the socket.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.run_pending_drain();
        if self.buf.is_empty() {
            return Ok(());
        }
        if let Some(kind) = self.failed {
            self.buf.clear();
            return Err(Error::from(io::Error::from(kind)));
        }
        let r = self
            .socket
            .write_all_within(&[&self.buf], &mut self.send_budget);
        self.buf.clear();
        r.map_err(|e| self.io_error(e))
    }

    /// Frame and queue body bytes (the head must be generated). Returns Node's `write()`
    /// result: `false` when the bytes passed the high-water mark (they have been sent by
    /// then); the `drain` listeners run at the next write, flush or end.
    pub fn write_body(&mut self, data: &[u8]) -> Result<bool, Error> {
        self.run_pending_drain();
        if self.ended {
            return Err(Error::write_after_end());
        }
        if data.is_empty() || self.framing == BodyFraming::None {
            return Ok(true);
        }
        self.check_length(data.len())?;
        self.body_bytes += data.len() as u64;
        let direct = data.len() >= DIRECT_WRITE;
        if direct {
            let mut size_line = Vec::new();
            let parts: Vec<&[u8]> = if self.framing == BodyFraming::Chunked {
                encode::write_chunk_header(&mut size_line, data.len());
                vec![&self.buf, &size_line, data, CRLF]
            } else {
                vec![&self.buf, data]
            };
            if let Some(kind) = self.failed {
                self.buf.clear();
                return Err(Error::from(io::Error::from(kind)));
            }
            let r = self.socket.write_all_within(&parts, &mut self.send_budget);
            self.buf.clear();
            r.map_err(|e| self.io_error(e))?;
        } else {
            match self.framing {
                BodyFraming::Chunked => encode::write_chunk(&mut self.buf, data),
                _ => self.buf.extend_from_slice(data),
            }
            if self.buf.len() < HIGH_WATER_MARK {
                return Ok(true);
            }
            self.flush()?;
        }
        let below = data.len() < HIGH_WATER_MARK;
        self.drain_pending |= !below;
        Ok(below)
    }

    /// Validate and keep trailers for the end of a chunked body.
    pub fn add_trailers(&mut self, trailers: Vec<(String, String)>) -> Result<(), Error> {
        for (n, v) in &trailers {
            encode::validate_trailer_name(n)?;
            encode::validate_trailer_value(n, v)?;
        }
        self.trailers.extend(trailers);
        Ok(())
    }

    /// End the body (`data` is its last piece), send everything, and run the `finish`
    /// listeners.
    pub fn end(&mut self, data: &[u8]) -> Result<(), Error> {
        self.run_pending_drain();
        if self.ended {
            if data.is_empty() {
                return Ok(());
            }
            return Err(Error::write_after_end());
        }
        if !data.is_empty() && self.framing != BodyFraming::None {
            self.check_length(data.len())?;
            if self.framing == BodyFraming::Chunked {
                encode::write_chunk(&mut self.buf, data);
            } else if data.len() >= DIRECT_WRITE {
                self.body_bytes += data.len() as u64;
                self.ended = true;
                if let Some(kind) = self.failed {
                    return Err(Error::from(io::Error::from(kind)));
                }
                let r = self
                    .socket
                    .write_all_within(&[&self.buf, data], &mut self.send_budget);
                self.buf.clear();
                r.map_err(|e| self.io_error(e))?;
                self.finish();
                return Ok(());
            } else {
                self.buf.extend_from_slice(data);
            }
            self.body_bytes += data.len() as u64;
        }
        self.ended = true;
        if self.framing == BodyFraming::Chunked {
            let trailers: Vec<(&str, &str)> = self
                .trailers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            encode::write_last_chunk(&mut self.buf, &trailers)?;
        }
        self.flush()?;
        self.finish();
        Ok(())
    }

    /// The user's headers as [`crate::proto::framing`] reads them.
    pub fn user_framing(&self) -> UserFraming {
        let h = &self.headers;
        UserFraming {
            transfer_encoding: h
                .get("transfer-encoding")
                .map(|_| h.has_token("transfer-encoding", "chunked")),
            content_length: h
                .get("content-length")
                .and_then(|v| UserFraming::length_of(v.values().iter().map(String::as_str))),
            trailer: h.has("trailer"),
            removed_length: self.removed_length,
            removed_encoding: self.removed_encoding,
        }
    }

    /// A body framed by a `Content-Length` may not pass it: the bytes past it would be read
    /// as the next message (Node's `strictContentLength`, always on here).
    fn check_length(&self, more: usize) -> Result<(), Error> {
        match self.framing {
            BodyFraming::Length(n) if self.body_bytes.saturating_add(more as u64) > n => Err(
                length_mismatch(self.body_bytes.saturating_add(more as u64), n),
            ),
            _ => Ok(()),
        }
    }

    /// The message ended with fewer body bytes than its `Content-Length`: the peer waits for
    /// the rest, so the connection cannot carry another message.
    pub fn came_short(&self) -> bool {
        matches!(self.framing, BodyFraming::Length(n) if self.ended && self.body_bytes < n)
    }

    fn finish(&mut self) {
        self.finished = true;
        for f in self.on_finish.iter_mut() {
            f();
        }
    }

    /// Whether a write to the socket failed.
    pub fn failed(&self) -> bool {
        self.failed.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::net::testing::{Scripted, Write};

    fn recorded_message(body: impl FnOnce(&mut Outgoing)) -> Vec<Write> {
        let rec = Scripted::default();
        let mut out = Outgoing::new(Socket::from_transport(rec.clone()));
        let mut head = out.head_buffer();
        head.extend_from_slice(b"HTTP/1.1 200 OK\r\n\r\n");
        out.begin(head, BodyFraming::UntilClose);
        body(&mut out);
        let writes = rec.writes.lock().unwrap().clone();
        writes
    }

    #[test]
    fn the_head_and_small_writes_leave_in_one_write() {
        let writes = recorded_message(|out| {
            for piece in [&b"a"[..], b"bc", b"def"] {
                assert!(out.write_body(piece).unwrap());
            }
            out.end(b"!").unwrap();
        });
        assert_eq!(writes.len(), 1, "one write for the whole message");
        assert_eq!(writes[0].1, b"HTTP/1.1 200 OK\r\n\r\nabcdef!");
    }

    #[test]
    fn a_large_write_reaches_the_socket_without_a_copy() {
        let big = vec![b'x'; 64 * 1024];
        let writes = recorded_message(|out| {
            out.write_body(&big).unwrap();
            out.end(&[]).unwrap();
        });
        // the head goes first, then the caller's own buffer, not a copy of it
        assert_eq!(writes[0].1, b"HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!(writes[1].0, big.as_ptr() as usize);
        assert_eq!(writes[1].1, big);
    }

    #[test]
    fn replacing_a_header_keeps_its_slot_and_takes_the_new_case() {
        let mut h = HeaderStore::default();
        h.set("Zeta", "z1".into()).unwrap();
        h.set("Alpha", "a".into()).unwrap();
        h.set("zeta", "z2".into()).unwrap();
        let mut buf = Vec::new();
        h.render(&mut buf);
        assert_eq!(buf, b"zeta: z2\r\nAlpha: a\r\n");
        assert_eq!(h.names(), ["zeta", "alpha"]);
    }

    #[test]
    fn lists_render_one_line_each_except_cookie() {
        let mut h = HeaderStore::default();
        h.set("Set-Cookie", vec!["a=1", "b=2"].into()).unwrap();
        h.set("Cookie", vec!["c=3", "d=4"].into()).unwrap();
        let mut buf = Vec::new();
        h.render(&mut buf);
        assert_eq!(
            buf,
            b"Set-Cookie: a=1\r\nSet-Cookie: b=2\r\nCookie: c=3; d=4\r\n"
        );
    }

    #[test]
    fn appending_turns_a_value_into_a_list_and_keeps_the_first_case() {
        let mut h = HeaderStore::default();
        h.append("X-New", "a".into()).unwrap();
        assert_eq!(h.get("x-new"), Some(&HeaderValue::from("a")));
        h.append("x-NEW", "b".into()).unwrap();
        h.append("X-New", vec!["c", "d"].into()).unwrap();
        assert_eq!(
            h.get("x-new"),
            Some(&HeaderValue::from(["a", "b", "c", "d"]))
        );
        h.append("X-Arr", vec!["p", "q"].into()).unwrap();
        assert_eq!(h.get("x-arr"), Some(&HeaderValue::from(["p", "q"])));
        assert_eq!(
            h.append("X-New", "bad\n".into()).unwrap_err().code(),
            "ERR_INVALID_CHAR"
        );
        assert_eq!(h.get("x-new").map(|v| v.values().len()), Some(4));
        let mut buf = Vec::new();
        h.render(&mut buf);
        assert_eq!(
            buf,
            b"X-New: a\r\nX-New: b\r\nX-New: c\r\nX-New: d\r\nX-Arr: p\r\nX-Arr: q\r\n"
        );
    }

    #[test]
    fn invalid_names_and_values_are_refused_with_node_codes() {
        let mut h = HeaderStore::default();
        assert_eq!(
            h.set("Bad Name", "x".into()).unwrap_err().code(),
            "ERR_INVALID_HTTP_TOKEN"
        );
        assert_eq!(
            h.set("X", "a\r\nb".into()).unwrap_err().code(),
            "ERR_INVALID_CHAR"
        );
        assert!(h.names().is_empty());
    }

    #[test]
    fn latin1_values_are_one_byte_per_char() {
        let mut buf = Vec::new();
        encode::put_field(&mut buf, "X", "café");
        assert_eq!(buf, b"X: caf\xe9\r\n");
    }
}
