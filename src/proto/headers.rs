//! Node's two views of a message's header lines (and of its trailers, which follow the same
//! rules):
//!
//! - [`RawHeaders`] is `message.rawHeaders`: every line as received, in wire order, names' case
//!   kept, duplicates kept.
//! - [`Headers`] is `message.headers`: one entry per lower-cased name, in order of first
//!   appearance, with repeated names folded the way Node 20 folds them (its default,
//!   `joinDuplicateHeaders` off):
//!   - 18 names keep their **first** value and silently drop later ones: `age`, `authorization`,
//!     `content-length`, `content-type`, `etag`, `expires`, `from`, `host`,
//!     `if-modified-since`, `if-unmodified-since`, `last-modified`, `location`, `max-forwards`,
//!     `proxy-authorization`, `referer`, `retry-after`, `server`, `user-agent`;
//!   - `set-cookie` is always a list ([`FieldValue::List`]), even with a single line;
//!   - repeated `cookie` lines are joined with `"; "`;
//!   - every other repeated name is joined with `", "`.
//!
//!   With Node's `joinDuplicateHeaders: true` ([`Folding::JoinDuplicates`]) the 18 names are
//!   joined with `", "` too; `set-cookie` and `cookie` keep their rules.
//! - [`HeadersDistinct`] is `message.headersDistinct`: one entry per lower-cased name, every
//!   value kept, in order, as a list.
//!
//! The folding rule is written once, in this module, and nowhere else in the crate.
//!
//! ```
//! use stdhttp::proto::headers::{FieldValue, Headers, RawHeaders};
//!
//! let mut raw = RawHeaders::new();
//! raw.push("Host", "example.com");
//! raw.push("Accept", "text/html");
//! raw.push("accept", "*/*");
//! raw.push("Set-Cookie", "a=1");
//! raw.push("HOST", "evil.example");
//!
//! let headers = Headers::from_raw(&raw, 0);
//! assert_eq!(headers.get_str("host"), Some("example.com"));
//! assert_eq!(headers.get_str("Accept"), Some("text/html, */*"));
//! assert_eq!(
//!     headers.get("set-cookie"),
//!     Some(&FieldValue::List(vec!["a=1".to_string()]))
//! );
//! assert_eq!(raw.to_flat()[8..], ["HOST", "evil.example"]);
//! ```
#![forbid(unsafe_code)]

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::iter::FusedIterator;
use std::slice;

pub use super::parser::DEFAULT_MAX_HEADERS_COUNT;

/// Whether the comma-separated list `value` (`Connection`, `Transfer-Encoding`, `TE`...)
/// holds `token`, compared case-insensitively.
pub(crate) fn list_has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Decodes header bytes the way Node does: byte for char, each byte `b` becoming the char
/// `U+00b` (latin1). Never fails: every byte sequence has a decoding.
///
/// ```
/// use stdhttp::proto::headers::latin1;
///
/// assert_eq!(latin1(b"caf\xe9"), "café");
/// assert_eq!(latin1(b"plain"), "plain");
/// ```
pub fn latin1(bytes: &[u8]) -> String {
    if bytes.is_ascii() {
        // ASCII is valid UTF-8, so nothing is replaced here.
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let high = bytes.iter().filter(|&&b| b >= 0x80).count();
    let mut s = String::with_capacity(bytes.len() + high);
    s.extend(bytes.iter().map(|&b| char::from(b)));
    s
}

// ---------------------------------------------------------------------------------------------
// RawHeaders

/// `message.rawHeaders`: the header (or trailer) lines exactly as received, as `(name, value)`
/// pairs in wire order, names' case kept, duplicates kept.
///
/// ```
/// use stdhttp::proto::headers::RawHeaders;
///
/// let mut raw = RawHeaders::new();
/// raw.push("Content-Type", "text/plain");
/// raw.push("X-Tag", "a");
/// raw.push("x-tag", "b");
/// assert_eq!(raw.len(), 3);
/// assert_eq!(raw.get(2), Some(("x-tag", "b")));
/// assert_eq!(raw.to_flat(), ["Content-Type", "text/plain", "X-Tag", "a", "x-tag", "b"]);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RawHeaders {
    /// Every name and value, back to back, in wire order (one allocation for the lot).
    text: String,
    /// Per line, where its name and its value end in `text`; a name starts where the line
    /// before ended.
    ends: Vec<(usize, usize)>,
}

impl fmt::Debug for RawHeaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Append `bytes` decoded as [`latin1`] does.
fn push_latin1(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(s) if bytes.is_ascii() => out.push_str(s),
        _ => out.extend(bytes.iter().map(|&b| char::from(b))),
    }
}

impl RawHeaders {
    /// An empty list.
    pub fn new() -> Self {
        RawHeaders::default()
    }

    /// An empty list with room for `n` lines.
    pub fn with_capacity(n: usize) -> Self {
        RawHeaders {
            text: String::with_capacity(n * 24),
            ends: Vec::with_capacity(n),
        }
    }

    /// Appends one line, kept as given.
    pub fn push(&mut self, name: impl AsRef<str>, value: impl AsRef<str>) {
        self.text.push_str(name.as_ref());
        let name_end = self.text.len();
        self.text.push_str(value.as_ref());
        self.ends.push((name_end, self.text.len()));
    }

    /// Appends one line received as bytes, decoded byte for char ([`latin1`]).
    pub(crate) fn push_bytes(&mut self, name: &[u8], value: &[u8]) {
        push_latin1(&mut self.text, name);
        let name_end = self.text.len();
        push_latin1(&mut self.text, value);
        self.ends.push((name_end, self.text.len()));
    }

    /// The number of lines (duplicates counted).
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// True when there are no lines.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`-th line as `(name, value)`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<(&str, &str)> {
        let (name_end, value_end) = *self.ends.get(i)?;
        let start = match i {
            0 => 0,
            _ => self.ends[i - 1].1,
        };
        Some((&self.text[start..name_end], &self.text[name_end..value_end]))
    }

    /// Keeps only the first `n` lines (no effect when there are fewer).
    pub fn truncate(&mut self, n: usize) {
        if n < self.ends.len() {
            self.ends.truncate(n);
            self.text.truncate(self.ends.last().map_or(0, |e| e.1));
        }
    }

    /// The lines as `(name, value)`, in wire order.
    pub fn iter(&self) -> RawIter<'_> {
        RawIter {
            raw: self,
            front: 0,
            back: self.ends.len(),
        }
    }

    /// Node's flat form: `[name, value, name, value, ...]`.
    pub fn to_flat(&self) -> Vec<String> {
        let mut flat = Vec::with_capacity(self.len() * 2);
        for (n, v) in self {
            flat.push(n.to_string());
            flat.push(v.to_string());
        }
        flat
    }
}

impl<'a> IntoIterator for &'a RawHeaders {
    type Item = (&'a str, &'a str);
    type IntoIter = RawIter<'a>;

    fn into_iter(self) -> RawIter<'a> {
        self.iter()
    }
}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for RawHeaders {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        let mut raw = RawHeaders::new();
        for (n, v) in iter {
            raw.push(n, v);
        }
        raw
    }
}

/// Iterator over the lines of a [`RawHeaders`], as `(name, value)`, in wire order.
#[derive(Clone, Debug)]
pub struct RawIter<'a> {
    raw: &'a RawHeaders,
    front: usize,
    back: usize,
}

impl<'a> Iterator for RawIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.front == self.back {
            return None;
        }
        self.front += 1;
        self.raw.get(self.front - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for RawIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front == self.back {
            return None;
        }
        self.back -= 1;
        self.raw.get(self.back)
    }
}

impl ExactSizeIterator for RawIter<'_> {}
impl FusedIterator for RawIter<'_> {}

// ---------------------------------------------------------------------------------------------
// FieldValue

/// One entry's value in [`Headers`]: a string, or for `set-cookie` a list of every line's value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum FieldValue {
    /// Every name but `set-cookie`: the (possibly joined) value.
    Single(String),
    /// `set-cookie`: each line's value, in arrival order (one element for a single line).
    List(Vec<String>),
}

impl FieldValue {
    /// The value when it is a [`FieldValue::Single`], `None` for a list.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            FieldValue::Single(s) => Some(s),
            FieldValue::List(_) => None,
        }
    }

    /// The values when it is a [`FieldValue::List`], `None` for a single value.
    pub fn as_list(&self) -> Option<&[String]> {
        match self {
            FieldValue::Single(_) => None,
            FieldValue::List(l) => Some(l),
        }
    }

    /// True for a [`FieldValue::List`].
    pub fn is_list(&self) -> bool {
        matches!(self, FieldValue::List(_))
    }

    /// The value(s) as a slice: one element for a single value, every element for a list.
    ///
    /// ```
    /// use stdhttp::proto::headers::FieldValue;
    ///
    /// assert_eq!(FieldValue::Single("a, b".into()).as_slice(), ["a, b"]);
    /// assert_eq!(FieldValue::List(vec!["x=1".into(), "y=2".into()]).as_slice(), ["x=1", "y=2"]);
    /// ```
    pub fn as_slice(&self) -> &[String] {
        match self {
            FieldValue::Single(s) => slice::from_ref(s),
            FieldValue::List(l) => l,
        }
    }

    /// The value(s) as an owned vector (see [`FieldValue::as_slice`]).
    pub fn to_vec(&self) -> Vec<String> {
        self.as_slice().to_vec()
    }
}

impl PartialEq<str> for FieldValue {
    /// Equal when this is a single value equal to `other`.
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for FieldValue {
    /// Equal when this is a single value equal to `other`.
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

// ---------------------------------------------------------------------------------------------
// The folding rule

/// The names for which Node keeps the first value and drops later duplicates.
const FIRST_VALUE_WINS: [&str; 18] = [
    "age",
    "authorization",
    "content-length",
    "content-type",
    "etag",
    "expires",
    "from",
    "host",
    "if-modified-since",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "proxy-authorization",
    "referer",
    "retry-after",
    "server",
    "user-agent",
];

/// How a [`Headers`] folds a repeated name: Node's default, or Node's
/// `joinDuplicateHeaders: true` (a server option, and a request option for the response).
///
/// ```
/// use stdhttp::proto::headers::{Folding, Headers, RawHeaders};
///
/// let raw: RawHeaders = [("Content-Type", "text/a"), ("content-type", "text/b")]
///     .into_iter()
///     .collect();
/// let node = Headers::from_raw(&raw, 0);
/// assert_eq!(node.get_str("content-type"), Some("text/a"));
/// let joined = Headers::from_raw_with(&raw, 0, Folding::JoinDuplicates);
/// assert_eq!(joined.get_str("content-type"), Some("text/a, text/b"));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Folding {
    /// Node's default: 18 names keep their first value, `set-cookie` is a list, `cookie`
    /// joins with `"; "`, every other name with `", "` (see the [module docs](self)).
    #[default]
    Node,
    /// `joinDuplicateHeaders: true`: the 18 first-value-wins names are joined with `", "`
    /// like any other; `set-cookie` is still a list and `cookie` still joins with `"; "`.
    JoinDuplicates,
    /// Every value of every name kept as a list, in order (Node's `headersDistinct`; what
    /// [`HeadersDistinct`] holds).
    Distinct,
}

/// Node 20's rule for one header line named `name` (any case) with value `value`.
///
/// `existing` is the value stored so far under that name, if any: it is updated in place and
/// `None` is returned. Without one, the value to store is returned.
fn fold(
    folding: Folding,
    name: &str,
    existing: Option<&mut FieldValue>,
    value: &str,
) -> Option<FieldValue> {
    let as_list = folding == Folding::Distinct || name.eq_ignore_ascii_case("set-cookie");
    match existing {
        None if as_list => Some(FieldValue::List(vec![value.to_owned()])),
        None => Some(FieldValue::Single(value.to_owned())),
        Some(FieldValue::List(list)) => {
            list.push(value.to_owned());
            None
        }
        Some(FieldValue::Single(joined)) => {
            if folding == Folding::Node
                && FIRST_VALUE_WINS
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(name))
            {
                return None;
            }
            let separator = if name.eq_ignore_ascii_case("cookie") {
                "; "
            } else {
                ", "
            };
            joined.reserve(separator.len() + value.len());
            joined.push_str(separator);
            joined.push_str(value);
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Headers

/// From this many distinct names on, [`Headers`] keeps a hash index so that adding the
/// 1000th line does not scan the 999 before it. Below it a scan is faster than hashing.
const INDEX_FROM: usize = 16;

/// `message.headers` (or `message.trailers`): Node's merged view of the lines, keyed by
/// lower-cased name, in order of each name's first appearance, with duplicates folded by
/// Node's rules (see the [module docs](self)).
///
/// Lookups are ASCII case-insensitive and never allocate. Two `Headers` are equal when they
/// hold the same names with the same values in the same order.
///
/// Not replicated from JavaScript: a header named `__proto__` is kept like any other, and
/// names that look like integers keep their arrival order.
///
/// ```
/// use stdhttp::proto::headers::Headers;
///
/// let mut h = Headers::new();
/// h.add("Cookie", "a=1");
/// h.add("cookie", "b=2");
/// h.add("Content-Type", "text/plain");
/// h.add("Content-Type", "text/html");
/// h.add("Vary", "Accept");
/// h.add("VARY", "Origin");
/// assert_eq!(h.get_str("cookie"), Some("a=1; b=2"));
/// assert_eq!(h.get_str("content-type"), Some("text/plain"));
/// assert_eq!(h.get_str("vary"), Some("Accept, Origin"));
/// let names: Vec<&str> = h.iter().map(|(name, _)| name).collect();
/// assert_eq!(names, ["cookie", "content-type", "vary"]);
/// ```
#[derive(Clone, Default)]
pub struct Headers {
    entries: Vec<(String, FieldValue)>,
    index: Option<NameIndex>,
    folding: Folding,
}

impl Headers {
    /// An empty set, folding by Node's default rule ([`Folding::Node`]).
    pub fn new() -> Self {
        Headers::with_folding(Folding::Node)
    }

    /// An empty set whose [`add`](Self::add) folds repeated names by `folding`.
    ///
    /// ```
    /// use stdhttp::proto::headers::{Folding, Headers};
    ///
    /// let mut h = Headers::with_folding(Folding::JoinDuplicates);
    /// h.add("Location", "/a");
    /// h.add("location", "/b");
    /// assert_eq!(h.get_str("location"), Some("/a, /b"));
    /// assert_eq!(h.folding(), Folding::JoinDuplicates);
    /// assert_eq!(Headers::new().folding(), Folding::Node);
    /// ```
    pub fn with_folding(folding: Folding) -> Self {
        Headers {
            entries: Vec::new(),
            index: None,
            folding,
        }
    }

    /// The rule [`add`](Self::add) folds repeated names by.
    pub fn folding(&self) -> Folding {
        self.folding
    }

    /// Node's `headers` for `raw`, built from its first `max_count` lines; later lines are
    /// ignored silently (Node's `maxHeadersCount`). `0` means every line. Pass
    /// [`DEFAULT_MAX_HEADERS_COUNT`] for Node's default.
    ///
    /// ```
    /// use stdhttp::proto::headers::{Headers, RawHeaders};
    ///
    /// let raw: RawHeaders = [("A", "1"), ("B", "2"), ("a", "3")].into_iter().collect();
    /// assert_eq!(Headers::from_raw(&raw, 0).get_str("a"), Some("1, 3"));
    /// assert_eq!(Headers::from_raw(&raw, 2).get_str("a"), Some("1"));
    /// assert_eq!(Headers::from_raw(&raw, 1).len(), 1);
    /// ```
    pub fn from_raw(raw: &RawHeaders, max_count: usize) -> Self {
        Headers::from_raw_with(raw, max_count, Folding::Node)
    }

    /// [`from_raw`](Self::from_raw) folding repeated names by `folding` (Node's
    /// `joinDuplicateHeaders` is [`Folding::JoinDuplicates`]).
    ///
    /// ```
    /// use stdhttp::proto::headers::{FieldValue, Folding, Headers, RawHeaders};
    ///
    /// let raw: RawHeaders = [("ETag", "1"), ("etag", "2"), ("Cookie", "a"), ("cookie", "b")]
    ///     .into_iter()
    ///     .collect();
    /// let joined = Headers::from_raw_with(&raw, 0, Folding::JoinDuplicates);
    /// assert_eq!(joined.get_str("etag"), Some("1, 2"));
    /// assert_eq!(joined.get_str("cookie"), Some("a; b"));
    /// let distinct = Headers::from_raw_with(&raw, 0, Folding::Distinct);
    /// assert_eq!(distinct.get("etag"), Some(&FieldValue::List(vec!["1".into(), "2".into()])));
    /// ```
    pub fn from_raw_with(raw: &RawHeaders, max_count: usize, folding: Folding) -> Self {
        let take = if max_count == 0 { raw.len() } else { max_count };
        let mut headers = Headers::with_folding(folding);
        for (name, value) in raw.iter().take(take) {
            headers.add(name, value);
        }
        headers
    }

    /// Adds one line named `name` (any case) with `value`, folding it into an earlier line of
    /// the same name by this set's [`Folding`] (Node's rules unless built otherwise). The
    /// name is stored ASCII lower-cased.
    pub fn add(&mut self, name: &str, value: &str) {
        let folding = self.folding;
        match self.position(name) {
            Some(i) => {
                if let Some((_, existing)) = self.entries.get_mut(i) {
                    fold(folding, name, Some(existing), value);
                }
            }
            None => {
                if let Some(new) = fold(folding, name, None, value) {
                    self.insert_new(name, new);
                }
            }
        }
    }

    /// The value for `name` (ASCII case-insensitive), or `None` when absent.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.position(name)
            .and_then(|i| self.entries.get(i))
            .map(|(_, v)| v)
    }

    /// The value for `name` as a string, or `None` when absent. Also `None` for `set-cookie`,
    /// whose value is always a list: read it with [`Headers::get`].
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(FieldValue::as_str)
    }

    /// True when a line named `name` (ASCII case-insensitive) was added.
    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// The number of distinct names.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are no names.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries as `(lower-cased name, value)`, in order of first appearance.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    fn position(&self, name: &str) -> Option<usize> {
        if let Some(index) = &self.index {
            match index.slots.get(&index.hash(name)) {
                None => return None,
                Some(&i) => {
                    if self
                        .entries
                        .get(i)
                        .is_some_and(|(k, _)| k.eq_ignore_ascii_case(name))
                    {
                        return Some(i);
                    }
                    // Two names with one 64-bit hash: rare enough to settle by a scan.
                }
            }
        }
        self.entries
            .iter()
            .position(|(k, _)| k.eq_ignore_ascii_case(name))
    }

    fn insert_new(&mut self, name: &str, value: FieldValue) {
        let i = self.entries.len();
        self.entries.push((name.to_ascii_lowercase(), value));
        match &mut self.index {
            Some(index) => {
                let h = index.hash(name);
                index.slots.entry(h).or_insert(i);
            }
            None if self.entries.len() >= INDEX_FROM => {
                self.index = Some(NameIndex::build(&self.entries));
            }
            None => {}
        }
    }
}

impl PartialEq for Headers {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl Eq for Headers {}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = (&'a str, &'a FieldValue);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over the entries of a [`Headers`], as `(lower-cased name, value)`.
#[derive(Clone, Debug)]
pub struct Iter<'a>(slice::Iter<'a, (String, FieldValue)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a FieldValue);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(n, v)| (n.as_str(), v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(n, v)| (n.as_str(), v))
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl FusedIterator for Iter<'_> {}

// ---------------------------------------------------------------------------------------------
// HeadersDistinct

/// `message.headersDistinct` (or `message.trailersDistinct`): one entry per lower-cased
/// name, in order of each name's first appearance, holding **every** value of that name in
/// arrival order. No name is special: `content-type` sent twice has two values, one
/// `set-cookie` line is a one-element list, `cookie` lines are not joined. Node's
/// `joinDuplicateHeaders` does not change it.
///
/// Lookups are ASCII case-insensitive. (Node's is a null-prototype object of arrays; a
/// header named `__proto__` is kept, as there.)
///
/// ```
/// use stdhttp::proto::headers::{HeadersDistinct, RawHeaders};
///
/// let raw: RawHeaders = [
///     ("Host", "a"),
///     ("Content-Type", "text/a"),
///     ("content-type", "text/b"),
///     ("Cookie", "x=1"),
/// ]
/// .into_iter()
/// .collect();
/// let d = HeadersDistinct::from_raw(&raw, 0);
/// assert_eq!(d.get("CONTENT-TYPE"), Some(&["text/a".to_string(), "text/b".to_string()][..]));
/// assert_eq!(d.get("host"), Some(&["a".to_string()][..]));
/// let names: Vec<&str> = d.iter().map(|(name, _)| name).collect();
/// assert_eq!(names, ["host", "content-type", "cookie"]);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HeadersDistinct(Headers);

impl HeadersDistinct {
    /// Node's `headersDistinct` for the first `max_count` lines of `raw` (`0` = every line,
    /// as [`Headers::from_raw`]).
    pub fn from_raw(raw: &RawHeaders, max_count: usize) -> Self {
        HeadersDistinct(Headers::from_raw_with(raw, max_count, Folding::Distinct))
    }

    /// Every value of `name` (ASCII case-insensitive), in arrival order; `None` when absent.
    pub fn get(&self, name: &str) -> Option<&[String]> {
        self.0.get(name).map(FieldValue::as_slice)
    }

    /// True when a line named `name` (ASCII case-insensitive) was received.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    /// The number of distinct names.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no names.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries as `(lower-cased name, every value)`, in order of first appearance.
    pub fn iter(&self) -> DistinctIter<'_> {
        DistinctIter(self.0.iter())
    }
}

impl fmt::Debug for HeadersDistinct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a> IntoIterator for &'a HeadersDistinct {
    type Item = (&'a str, &'a [String]);
    type IntoIter = DistinctIter<'a>;

    fn into_iter(self) -> DistinctIter<'a> {
        self.iter()
    }
}

/// Iterator over the entries of a [`HeadersDistinct`], as `(lower-cased name, values)`.
#[derive(Clone, Debug)]
pub struct DistinctIter<'a>(Iter<'a>);

impl<'a> Iterator for DistinctIter<'a> {
    type Item = (&'a str, &'a [String]);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(n, v)| (n, v.as_slice()))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for DistinctIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|(n, v)| (n, v.as_slice()))
    }
}

impl ExactSizeIterator for DistinctIter<'_> {}
impl FusedIterator for DistinctIter<'_> {}

/// Case-insensitive hash of each name → the position of the first name with that hash.
///
/// Keyed per map (`RandomState`), so a peer cannot pick names that collide. A name whose hash
/// is already taken by another name is simply left out; lookups that land on the other name
/// fall back to a scan, so the index only ever speeds things up.
#[derive(Clone)]
struct NameIndex {
    keys: RandomState,
    slots: HashMap<u64, usize, BuildHasherDefault<AlreadyHashed>>,
}

impl NameIndex {
    fn build(entries: &[(String, FieldValue)]) -> Self {
        let mut index = NameIndex {
            keys: RandomState::new(),
            slots: HashMap::with_capacity_and_hasher(entries.len() * 2, Default::default()),
        };
        for (i, (name, _)) in entries.iter().enumerate() {
            let h = index.hash(name);
            index.slots.entry(h).or_insert(i);
        }
        index
    }

    fn hash(&self, name: &str) -> u64 {
        let mut hasher = self.keys.build_hasher();
        let mut lower = [0u8; 64];
        for chunk in name.as_bytes().chunks(lower.len()) {
            let lower = &mut lower[..chunk.len()];
            lower.copy_from_slice(chunk);
            lower.make_ascii_lowercase();
            hasher.write(lower);
        }
        hasher.finish()
    }
}

/// The keys of [`NameIndex::slots`] are already keyed hashes; use them as they are.
#[derive(Default)]
struct AlreadyHashed(u64);

impl Hasher for AlreadyHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(lines: &[(&str, &str)]) -> Headers {
        let mut h = Headers::new();
        for (n, v) in lines {
            h.add(n, v);
        }
        h
    }

    #[test]
    fn latin1_maps_each_byte_to_one_char() {
        assert_eq!(latin1(b""), "");
        assert_eq!(latin1(b"caf\xe9"), "caf\u{e9}");
        let all: Vec<u8> = (0..=255).collect();
        let s = latin1(&all);
        assert_eq!(s.chars().count(), 256);
        assert!(s.chars().zip(0u32..).all(|(c, i)| c as u32 == i));
    }

    #[test]
    fn raw_headers_keep_order_case_and_duplicates() {
        let mut raw = RawHeaders::new();
        raw.push("Host", "a");
        raw.push("X-Dup", "1");
        raw.push("x-DUP", "2");
        assert_eq!(raw.len(), 3);
        assert!(!raw.is_empty());
        assert_eq!(raw.get(1), Some(("X-Dup", "1")));
        assert_eq!(raw.get(3), None);
        let lines: Vec<_> = raw.iter().collect();
        assert_eq!(lines, [("Host", "a"), ("X-Dup", "1"), ("x-DUP", "2")]);
        assert_eq!(raw.to_flat(), ["Host", "a", "X-Dup", "1", "x-DUP", "2"]);
        raw.truncate(1);
        assert_eq!(raw.to_flat(), ["Host", "a"]);
    }

    #[test]
    fn names_are_lower_cased_and_looked_up_in_any_case() {
        let h = headers(&[("X-Custom-Thing", "v")]);
        assert_eq!(h.iter().next().map(|(n, _)| n), Some("x-custom-thing"));
        assert_eq!(h.get_str("X-CUSTOM-THING"), Some("v"));
        assert!(h.contains("x-custom-thing"));
        assert!(!h.contains("x-custom"));
    }

    #[test]
    fn every_first_value_wins_name_keeps_its_first_value() {
        for name in FIRST_VALUE_WINS {
            let upper = name.to_ascii_uppercase();
            let h = headers(&[(name, "first"), (&upper, "second"), (name, "third")]);
            assert_eq!(h.get_str(name), Some("first"), "{name}");
            assert_eq!(h.len(), 1);
        }
    }

    #[test]
    fn set_cookie_is_always_a_list() {
        let h = headers(&[("Set-Cookie", "a=1")]);
        assert_eq!(
            h.get("set-cookie"),
            Some(&FieldValue::List(vec!["a=1".into()]))
        );
        assert_eq!(h.get_str("set-cookie"), None);
        let h = headers(&[("Set-Cookie", "a=1"), ("x", "y"), ("set-cookie", "b=2")]);
        assert_eq!(
            h.get("SET-COOKIE").map(FieldValue::to_vec),
            Some(vec!["a=1".to_string(), "b=2".to_string()])
        );
    }

    #[test]
    fn cookie_duplicates_join_with_semicolon() {
        let h = headers(&[("Cookie", "a=1"), ("cookie", "b=2"), ("COOKIE", "c=3")]);
        assert_eq!(h.get_str("cookie"), Some("a=1; b=2; c=3"));
    }

    #[test]
    fn other_duplicates_join_with_comma() {
        for name in [
            "connection",
            "transfer-encoding",
            "date",
            "x-forwarded-for",
            "te",
            "via",
        ] {
            let h = headers(&[(name, "a"), (name, "b")]);
            assert_eq!(h.get_str(name), Some("a, b"), "{name}");
        }
    }

    #[test]
    fn empty_values_still_join() {
        let h = headers(&[("X-E", ""), ("x-e", "")]);
        assert_eq!(h.get_str("x-e"), Some(", "));
        let h = headers(&[("Host", "")]);
        assert_eq!(h.get_str("host"), Some(""));
    }

    #[test]
    fn order_is_that_of_first_appearance() {
        let h = headers(&[("B", "1"), ("A", "2"), ("b", "3"), ("C", "4")]);
        let names: Vec<_> = h.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["b", "a", "c"]);
    }

    #[test]
    fn from_raw_uses_only_the_first_max_count_lines() {
        let raw: RawHeaders = [("A", "1"), ("B", "2"), ("C", "3"), ("a", "4")]
            .into_iter()
            .collect();
        assert_eq!(Headers::from_raw(&raw, 0).get_str("a"), Some("1, 4"));
        assert_eq!(Headers::from_raw(&raw, 4).get_str("a"), Some("1, 4"));
        assert_eq!(Headers::from_raw(&raw, 100).get_str("a"), Some("1, 4"));
        let three = Headers::from_raw(&raw, 3);
        assert_eq!(three.get_str("a"), Some("1"));
        assert_eq!(three.len(), 3);
        assert_eq!(Headers::from_raw(&raw, 1).len(), 1);
    }

    #[test]
    fn many_distinct_names_are_found_through_the_index() {
        let mut h = Headers::new();
        for i in 0..1000 {
            h.add(&format!("X-Name-{i}"), &i.to_string());
        }
        for i in 0..1000 {
            h.add(&format!("x-name-{i}"), "again");
        }
        assert_eq!(h.len(), 1000);
        assert_eq!(h.get_str("X-NAME-0"), Some("0, again"));
        assert_eq!(h.get_str("x-name-999"), Some("999, again"));
        assert!(!h.contains("x-name-1000"));
        assert_eq!(h.iter().nth(500).map(|(n, _)| n), Some("x-name-500"));
        let names_in_order = h
            .iter()
            .zip(0..)
            .all(|((n, _), i)| n == format!("x-name-{i}"));
        assert!(names_in_order);
    }

    #[test]
    fn long_names_hash_case_insensitively() {
        let long = "X-".to_string() + &"Ab".repeat(100);
        let mut h = Headers::new();
        for i in 0..INDEX_FROM {
            h.add(&format!("n{i}"), "");
        }
        h.add(&long, "1");
        h.add(&long.to_ascii_uppercase(), "2");
        assert_eq!(h.get_str(&long.to_ascii_lowercase()), Some("1, 2"));
    }

    #[test]
    fn equality_ignores_the_index_but_not_order() {
        let a = headers(&[("A", "1"), ("B", "2")]);
        let b = headers(&[("a", "1"), ("b", "2")]);
        let c = headers(&[("b", "2"), ("a", "1")]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let big: Vec<(String, String)> = (0..40).map(|i| (format!("h{i}"), "v".into())).collect();
        let mut indexed = Headers::new();
        for (n, v) in &big {
            indexed.add(n, v);
        }
        assert_eq!(indexed.clone(), indexed);
    }

    #[test]
    fn field_value_accessors() {
        let single = FieldValue::Single("x".into());
        let list = FieldValue::List(vec!["a".into(), "b".into()]);
        assert_eq!(single.as_str(), Some("x"));
        assert_eq!(list.as_str(), None);
        assert_eq!(list.as_list().map(<[String]>::len), Some(2));
        assert!(single.as_list().is_none());
        assert!(list.is_list() && !single.is_list());
        assert_eq!(single.to_vec(), ["x"]);
        assert_eq!(single, "x");
        assert_ne!(list, "a");
    }

    #[test]
    fn joining_duplicates_joins_the_first_value_wins_names_only() {
        for name in FIRST_VALUE_WINS {
            let mut h = Headers::with_folding(Folding::JoinDuplicates);
            h.add(name, "a");
            h.add(&name.to_ascii_uppercase(), "b");
            assert_eq!(h.get_str(name), Some("a, b"), "{name}");
        }
        let raw: RawHeaders = [
            ("Set-Cookie", "s=1"),
            ("Cookie", "c=1"),
            ("cookie", "c=2"),
            ("X-A", "1"),
            ("x-a", "2"),
        ]
        .into_iter()
        .collect();
        let h = Headers::from_raw_with(&raw, 0, Folding::JoinDuplicates);
        assert_eq!(h.folding(), Folding::JoinDuplicates);
        assert_eq!(
            h.get("set-cookie"),
            Some(&FieldValue::List(vec!["s=1".into()]))
        );
        assert_eq!(h.get_str("cookie"), Some("c=1; c=2"));
        assert_eq!(h.get_str("x-a"), Some("1, 2"));
    }

    #[test]
    fn distinct_keeps_every_value_of_every_name_as_a_list() {
        let raw: RawHeaders = [
            ("Host", "a"),
            ("HOST", "b"),
            ("Cookie", "c=1"),
            ("cookie", "c=2"),
            ("X-One", "1"),
            ("Set-Cookie", "s"),
        ]
        .into_iter()
        .collect();
        let d = HeadersDistinct::from_raw(&raw, 0);
        let all: Vec<(&str, Vec<&str>)> = d
            .iter()
            .map(|(n, v)| (n, v.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            all,
            [
                ("host", vec!["a", "b"]),
                ("cookie", vec!["c=1", "c=2"]),
                ("x-one", vec!["1"]),
                ("set-cookie", vec!["s"]),
            ]
        );
        assert!(d.contains("X-ONE") && !d.contains("x-two"));
        assert_eq!(d.len(), 4);
        assert_eq!(HeadersDistinct::from_raw(&raw, 1).len(), 1);
        assert!(HeadersDistinct::default().is_empty());
        assert_eq!(
            format!("{:?}", HeadersDistinct::from_raw(&raw, 1)),
            r#"{"host": ["a"]}"#
        );
    }

    #[test]
    fn debug_looks_like_a_map() {
        let h = headers(&[("A", "1")]);
        assert_eq!(format!("{h:?}"), r#"{"a": Single("1")}"#);
    }
}
