//! The request target split into its parts, and query strings read and written as Node's
//! `URLSearchParams` reads and writes them (the WHATWG `application/x-www-form-urlencoded`
//! rules), so a handler never hand-parses `?a=1&b=2`.
//!
//! - [`RequestTarget`]: `req.url()` split into path, raw query and fragment (Node:
//!   `url.parse(req.url, true)` or `new URL(req.url, base)`), with the decoded query pairs.
//! - [`parse_query`]: the decoded pairs of any query or form body (`new URLSearchParams(s)`).
//! - [`encode_query`]: pairs to a query string (`new URLSearchParams(pairs).toString()`).
//!
//! Decoding never fails and gives what Node 20 gives, byte for byte: `+` is a space, `%XX`
//! is the byte `XX`, a `%` not followed by two hex digits stays as it is, and bytes that are
//! not UTF-8 become U+FFFD. Where a name or value has an escape that does not decode, Node
//! 20 (unlike the WHATWG rules) reads its other characters byte-wise, and so does stdhttp:
//! see [`decode_component`].
//!
//! ```
//! use stdhttp::proto::target::{encode_query, parse_query};
//! let pairs: Vec<_> = parse_query("q=caf%C3%A9+au+lait&bad=%zz&lone").collect();
//! assert_eq!(pairs, [("q".into(), "café au lait".into()), ("bad".into(), "%zz".into()), ("lone".into(), "".into())]);
//! assert_eq!(encode_query([("q", "café au lait"), ("x", "a&b=c")]), "q=caf%C3%A9+au+lait&x=a%26b%3Dc");
//! ```
#![forbid(unsafe_code)]

use std::borrow::Cow;

use super::status::hex_value;

/// A request target (`req.url()`) split into its parts: what `url.parse(req.url, true)` or
/// `new URL(req.url, 'http://host')` gives a Node handler, without normalising anything.
///
/// - origin-form `/path?query#fragment` (what nearly every request sends): the path is
///   everything before the first `?` or `#`, the query what follows the `?` up to the first
///   `#`, the fragment what follows the `#`.
/// - absolute-form `http://host:80/path?query` (requests to a proxy): the same after the
///   authority, which [`authority`](Self::authority) gives; an empty path is `/`, as in Node.
/// - `*` (`OPTIONS *`) and CONNECT's `host:port`: the path is the whole target.
///
/// The parts are borrowed from the target as received: the path keeps its escapes (`%20`
/// stays `%20`). Only the query pairs are decoded.
///
/// ```
/// use stdhttp::RequestTarget;
///
/// let server = stdhttp::create_server(|req, mut res| {
///     // Node: const { pathname, query } = url.parse(req.url, true)
///     let target = RequestTarget::parse(req.url());
///     let name = target.get("name").unwrap_or("world".into());
///     let tags = target.get_all("tag").join(",");
///     let body = format!("{} says hello, {name}! [{tags}]", target.path());
///     res.end(body.as_bytes()).unwrap();
/// });
/// server.listen("127.0.0.1:0")?;
/// let port = server.address().and_then(|a| a.port()).unwrap();
///
/// let url = format!("http://127.0.0.1:{port}/greet?name=J%C3%BCrgen+K&tag=a&tag=b");
/// let text = stdhttp::get(url.as_str())?.text()?;
/// assert_eq!(text, "/greet says hello, Jürgen K! [a,b]");
/// server.close()?;
/// server.join();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestTarget<'a> {
    target: &'a str,
    authority: Option<&'a str>,
    path: &'a str,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

impl<'a> RequestTarget<'a> {
    /// Split `target`. Never fails: every string has a path (maybe empty), and a query and
    /// fragment when it has a `?` and a `#`.
    ///
    /// ```
    /// use stdhttp::RequestTarget;
    /// let t = RequestTarget::parse("/search?q=rust#top");
    /// assert_eq!((t.path(), t.query(), t.fragment()), ("/search", Some("q=rust"), Some("top")));
    /// let proxy = RequestTarget::parse("http://example.com:8080?x");
    /// assert_eq!((proxy.authority(), proxy.path(), proxy.query()), (Some("example.com:8080"), "/", Some("x")));
    /// ```
    pub fn parse(target: &'a str) -> RequestTarget<'a> {
        let (before_fragment, fragment) = match target.split_once('#') {
            Some((b, f)) => (b, Some(f)),
            None => (target, None),
        };
        let (mut path, query) = match before_fragment.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (before_fragment, None),
        };
        let mut authority = None;
        if let Some(rest) = after_scheme(path) {
            let (a, p) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, "/"),
            };
            authority = Some(a);
            path = p;
        }
        RequestTarget {
            target,
            authority,
            path,
            query,
            fragment,
        }
    }

    /// The whole target, as given to [`parse`](Self::parse).
    pub fn as_str(&self) -> &'a str {
        self.target
    }

    /// The path, still percent-encoded (Node's `pathname`, not normalised: `/a/../b` stays).
    pub fn path(&self) -> &'a str {
        self.path
    }

    /// The raw query: what follows the first `?` up to the `#`, `None` without a `?`
    /// (Node's legacy `url.parse(..).query` as a string; `search` without its `?`).
    pub fn query(&self) -> Option<&'a str> {
        self.query
    }

    /// What follows the first `#`, `None` without one. Browsers never send a fragment;
    /// a target that has one gets it kept out of the query, as in Node.
    pub fn fragment(&self) -> Option<&'a str> {
        self.fragment
    }

    /// The `host[:port]` of an absolute-form target (`http://host:port/...`), else `None`.
    pub fn authority(&self) -> Option<&'a str> {
        self.authority
    }

    /// The decoded query pairs in order, duplicates kept (Node:
    /// `[...new URL(req.url, base).searchParams]`); none without a query.
    ///
    /// ```
    /// use stdhttp::RequestTarget;
    /// let t = RequestTarget::parse("/p?a=1&&b&=x&a=2=3");
    /// let pairs: Vec<(String, String)> =
    ///     t.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    /// assert_eq!(pairs, [("a", "1"), ("b", ""), ("", "x"), ("a", "2=3")].map(|(k, v)| (k.into(), v.into())));
    /// ```
    pub fn query_pairs(&self) -> QueryPairs<'a> {
        parse_query(self.query.unwrap_or(""))
    }

    /// The value of the first pair named `name` (compared after decoding), as
    /// `URLSearchParams.get`: `None` when there is none, `Some("")` for `?name` or `?name=`.
    ///
    /// ```
    /// use stdhttp::RequestTarget;
    /// let t = RequestTarget::parse("/p?flag&q=a+b&q=c");
    /// assert_eq!(t.get("q").as_deref(), Some("a b"));
    /// assert_eq!(t.get("flag").as_deref(), Some(""));
    /// assert_eq!(t.get("missing"), None);
    /// ```
    pub fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        self.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The values of every pair named `name`, in order (`URLSearchParams.getAll`).
    ///
    /// ```
    /// use stdhttp::RequestTarget;
    /// let t = RequestTarget::parse("/p?tag=a&x=1&tag=b%21");
    /// assert_eq!(t.get_all("tag"), ["a", "b!"]);
    /// assert!(t.get_all("none").is_empty());
    /// ```
    pub fn get_all(&self, name: &str) -> Vec<Cow<'a, str>> {
        self.query_pairs()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v)
            .collect()
    }

    /// Whether a pair is named `name` (`URLSearchParams.has`).
    ///
    /// ```
    /// assert!(stdhttp::RequestTarget::parse("/?debug").has("debug"));
    /// ```
    pub fn has(&self, name: &str) -> bool {
        self.query_pairs().any(|(k, _)| k == name)
    }
}

/// After `scheme://` when `s` starts with a URL scheme (a letter, then letters, digits,
/// `+`, `-`, `.`) and `://`.
fn after_scheme(s: &str) -> Option<&str> {
    let (scheme, rest) = s.split_once("://")?;
    let mut bytes = scheme.bytes();
    let first_is_letter = bytes.next().is_some_and(|b| b.is_ascii_alphabetic());
    let valid = first_is_letter && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    valid.then_some(rest)
}

/// The decoded `(name, value)` pairs of `query`, in order: split at `&`, empty pieces
/// skipped, each piece split at its first `=` (none: the value is empty), `+` and `%XX`
/// decoded. Exactly Node's `new URLSearchParams(query)`, except that a leading `?` is a
/// character of the first name here (the constructor drops one; a URL's `searchParams`
/// does not). Also reads `application/x-www-form-urlencoded` request bodies.
///
/// A pair borrows from `query` unless decoding changed it.
///
/// ```
/// use stdhttp::proto::target::parse_query;
/// let mut pairs = parse_query("a=%E2%82%AC&b=%E2%82");
/// assert_eq!(pairs.next(), Some(("a".into(), "€".into())));
/// assert_eq!(pairs.next(), Some(("b".into(), "\u{fffd}".into()))); // cut short: U+FFFD
/// assert_eq!(pairs.next(), None);
/// ```
pub fn parse_query(query: &str) -> QueryPairs<'_> {
    QueryPairs { rest: query }
}

/// The decoded pairs of a query string: see [`parse_query`] and
/// [`RequestTarget::query_pairs`].
#[derive(Clone, Debug)]
pub struct QueryPairs<'a> {
    rest: &'a str,
}

impl<'a> Iterator for QueryPairs<'a> {
    type Item = (Cow<'a, str>, Cow<'a, str>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let (piece, rest) = self.rest.split_once('&').unwrap_or((self.rest, ""));
            self.rest = rest;
            if piece.is_empty() {
                continue;
            }
            let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
            return Some((decode_component(name), decode_component(value)));
        }
    }
}

/// Decode one name or value exactly as Node 20's `URLSearchParams` does (its
/// `parseParams`, then `querystring.unescape`):
///
/// - `+` is a space;
/// - a component with no `%XX` escape is left as it is (`%zz`, a lone `%`);
/// - otherwise, when every `%` starts an escape and the escapes decode to UTF-8
///   (`decodeURIComponent` succeeds), that is the value;
/// - else each `%XX` is the byte `XX`, a `%` without two hex digits stays, and every other
///   character becomes the low byte of its UTF-16 code unit (`querystring.unescapeBuffer`:
///   `é` becomes the byte `E9`, so it is mangled too), and the bytes are read as UTF-8 with
///   U+FFFD for each maximal invalid sequence.
///
/// ```
/// use stdhttp::proto::target::decode_component;
/// assert_eq!(decode_component("a+b%2B%41"), "a b+A");
/// assert_eq!(decode_component("%zz"), "%zz");
/// assert_eq!(decode_component("%C0%80"), "\u{fffd}\u{fffd}");
/// // an escape that does not decode makes Node 20 read the other characters byte-wise
/// assert_eq!(decode_component("caf%C3%A9"), "café");
/// assert_eq!(decode_component("café%zz%41"), "caf\u{fffd}%zzA");
/// ```
pub fn decode_component(s: &str) -> Cow<'_, str> {
    if !has_escape(s) {
        return match s.contains('+') {
            true => Cow::Owned(s.replace('+', " ")),
            false => Cow::Borrowed(s),
        };
    }
    Cow::Owned(decode_uri_component(s, true).unwrap_or_else(|| unescape_bytewise(s)))
}

/// Whether Node decodes `s` at all: a `%` and two hex digits after it, where a `+` between
/// them does not break the run (Node's `encodeCheck` skips `+`).
fn has_escape(s: &str) -> bool {
    let mut run = 0u8; // 1: after a `%`, 2: after `%X`
    for b in s.bytes() {
        match b {
            b'%' => run = 1,
            b'+' => {}
            b if run > 0 && hex_value(b).is_some() => {
                run += 1;
                if run == 3 {
                    return true;
                }
            }
            _ => run = 0,
        }
    }
    false
}

/// JavaScript's `decodeURIComponent` of `s` (with `+` as a space when `plus_is_space`, as
/// a query reads it): `None` when a `%` has no two hex digits after it or the escapes do
/// not decode to UTF-8.
pub(crate) fn decode_uri_component(s: &str, plus_is_space: bool) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let h = hex_value(*bytes.get(i + 1)?)?;
                let l = hex_value(*bytes.get(i + 2)?)?;
                out.push((h << 4) | l);
                i += 3;
                continue;
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `querystring.unescapeBuffer(s).toString()` with `+` as a space: per UTF-16 code unit,
/// `%XX` is the byte, anything else its low byte; then UTF-8 with U+FFFD.
fn unescape_bytewise(s: &str) -> String {
    let units: Vec<u16> = s.encode_utf16().collect();
    let unit = |i: usize| match units.get(i) {
        Some(&u) if u == u16::from(b'+') => Some(u16::from(b' ')),
        other => other.copied(),
    };
    let hex_unit = |i: usize| {
        unit(i)
            .and_then(|u| u8::try_from(u).ok())
            .and_then(hex_value)
    };
    let mut out = Vec::with_capacity(units.len());
    let mut i = 0;
    while let Some(u) = unit(i) {
        if u == u16::from(b'%') && i + 2 < units.len() {
            if let (Some(h), Some(l)) = (hex_unit(i + 1), hex_unit(i + 2)) {
                out.push((h << 4) | l);
                i += 3;
                continue;
            }
        }
        out.push(u as u8); // a Buffer keeps the low byte
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Write `pairs` as a query string (Node: `new URLSearchParams(pairs).toString()`): `name=value`
/// joined with `&`, a space as `+`, and every byte but ASCII letters, digits and `*-._` as
/// `%XX` (upper-case hex). [`parse_query`] reads it back to the same pairs.
///
/// ```
/// use stdhttp::proto::target::encode_query;
/// assert_eq!(encode_query([("a b", "c&d=e"), ("é", "~+")]), "a+b=c%26d%3De&%C3%A9=%7E%2B");
/// let empty: [(&str, &str); 0] = [];
/// assert_eq!(encode_query(empty), "");
/// ```
pub fn encode_query<K: AsRef<str>, V: AsRef<str>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> String {
    let mut out = String::new();
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        encode_component(&mut out, name.as_ref());
        out.push('=');
        encode_component(&mut out, value.as_ref());
    }
    out
}

fn encode_component(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_without_escapes_is_borrowed() {
        let t = RequestTarget::parse("/p?a=1&b=two");
        assert!(t
            .query_pairs()
            .all(|(k, v)| matches!((k, v), (Cow::Borrowed(_), Cow::Borrowed(_)))));
    }

    #[test]
    fn a_scheme_needs_a_letter_first_and_scheme_characters() {
        assert_eq!(RequestTarget::parse("/x://y").authority(), None);
        assert_eq!(RequestTarget::parse("1a://h/p").authority(), None);
        assert_eq!(RequestTarget::parse("a+b.c-d://h/p").authority(), Some("h"));
        assert_eq!(RequestTarget::parse("http://h/p?a=1").path(), "/p");
    }

    #[test]
    fn the_fragment_ends_the_query_but_a_question_mark_in_it_is_not_a_query() {
        let t = RequestTarget::parse("/p#f?x=1");
        assert_eq!(
            (t.path(), t.query(), t.fragment()),
            ("/p", None, Some("f?x=1"))
        );
    }
}
