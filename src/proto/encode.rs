//! Outgoing bytes: status and request lines, header and trailer lines, chunked framing and
//! the `Date` header's format. No I/O: every writer appends to a `&mut Vec<u8>`.
//!
//! Every name, method, path, reason and value is validated with Node's rules and error codes
//! ([`Error::code`]) **before** anything is appended, so a failed call leaves the buffer as it
//! was, and no CR or LF can reach the wire through a value (no header injection).
//!
//! Strings are written as latin1, as Node writes a head: a char `U+0080`–`U+00FF` becomes one
//! byte `0x80`–`0xFF`; anything above `U+00FF` is rejected by the validation.
//!
//! ```
//! use stdhttp::proto::encode::{write_chunk, write_header, write_last_chunk, write_status_line, CRLF};
//!
//! let mut buf = Vec::new();
//! write_status_line(&mut buf, 200, "OK").unwrap();
//! write_header(&mut buf, "Content-Type", "text/plain").unwrap();
//! write_header(&mut buf, "Transfer-Encoding", "chunked").unwrap();
//! buf.extend_from_slice(CRLF);
//! write_chunk(&mut buf, b"hello");
//! write_last_chunk(&mut buf, &[]).unwrap();
//! assert_eq!(
//!     buf,
//!     b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n\
//!       5\r\nhello\r\n0\r\n\r\n"
//! );
//!
//! let err = write_header(&mut buf, "X-A", "a\r\nX-Injected: 1").unwrap_err();
//! assert_eq!(err.code(), "ERR_INVALID_CHAR");
//! ```
#![forbid(unsafe_code)]

use crate::proto::status::{is_token, status_text, FIELD_VALUE};
use crate::{Error, ErrorKind};

/// The line terminator, `\r\n`.
pub const CRLF: &[u8; 2] = b"\r\n";

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";
const DAY_NAMES: [&[u8; 3]; 7] = [b"Sun", b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat"];
const MONTH_NAMES: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

// ---------------------------------------------------------------------------------------------
// Validation

/// Checks a header name: it must be a non-empty HTTP token (letters, digits and
/// ``! # $ % & ' * + - . ^ _ ` | ~``).
///
/// Error: `ERR_INVALID_HTTP_TOKEN`, `Header name must be a valid HTTP token ["<name>"]`.
///
/// ```
/// use stdhttp::proto::encode::validate_header_name;
///
/// assert!(validate_header_name("X-Request-Id").is_ok());
/// let err = validate_header_name("Bad Name").unwrap_err();
/// assert_eq!(err.code(), "ERR_INVALID_HTTP_TOKEN");
/// assert_eq!(err.message(), r#"Header name must be a valid HTTP token ["Bad Name"]"#);
/// ```
pub fn validate_header_name(name: &str) -> Result<(), Error> {
    check_token("Header name", name)
}

/// Checks the value of header `name`: every char must be HTAB, `U+0020`–`U+007E` or
/// `U+0080`–`U+00FF`. CR, LF, NUL, the other controls, DEL and chars above `U+00FF` are
/// rejected.
///
/// Error: `ERR_INVALID_CHAR`, `Invalid character in header content ["<name>"]`.
///
/// ```
/// use stdhttp::proto::encode::validate_header_value;
///
/// assert!(validate_header_value("X-Tab", "a\tcafé").is_ok());
/// let err = validate_header_value("X-Bad", "a\nb").unwrap_err();
/// assert_eq!(err.code(), "ERR_INVALID_CHAR");
/// assert_eq!(err.message(), r#"Invalid character in header content ["X-Bad"]"#);
/// ```
pub fn validate_header_value(name: &str, value: &str) -> Result<(), Error> {
    check_field_value("header", name, value)
}

/// Checks a trailer name, like [`validate_header_name`].
///
/// Error: `ERR_INVALID_HTTP_TOKEN`, `Trailer name must be a valid HTTP token ["<name>"]`.
pub fn validate_trailer_name(name: &str) -> Result<(), Error> {
    check_token("Trailer name", name)
}

/// Checks the value of trailer `name`, like [`validate_header_value`].
///
/// Error: `ERR_INVALID_CHAR`, `Invalid character in trailer content ["<name>"]`.
pub fn validate_trailer_value(name: &str, value: &str) -> Result<(), Error> {
    check_field_value("trailer", name, value)
}

/// Checks a request method: it must be a non-empty HTTP token. Case is not changed here (Node's
/// `ClientRequest` upper-cases the method after this check).
///
/// Error: `ERR_INVALID_HTTP_TOKEN`, `Method must be a valid HTTP token ["<method>"]`.
///
/// ```
/// use stdhttp::proto::encode::validate_method;
///
/// assert!(validate_method("PROPFIND").is_ok());
/// assert_eq!(validate_method("GE T").unwrap_err().code(), "ERR_INVALID_HTTP_TOKEN");
/// ```
pub fn validate_method(method: &str) -> Result<(), Error> {
    check_token("Method", method)
}

/// Checks a request path (request target) as Node's `ClientRequest` does: every char must be in
/// `U+0021`–`U+00FF` (no space, no controls, nothing above latin1). `U+007F` and latin1 chars
/// pass, as in Node.
///
/// Error: `ERR_UNESCAPED_CHARACTERS`, `Request path contains unescaped characters`.
///
/// ```
/// use stdhttp::proto::encode::validate_path;
///
/// assert!(validate_path("/caf\u{e9}?q=1").is_ok());
/// assert_eq!(validate_path("/a b").unwrap_err().code(), "ERR_UNESCAPED_CHARACTERS");
/// ```
pub fn validate_path(path: &str) -> Result<(), Error> {
    if is_path(path) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::UnescapedCharacters,
            "Request path contains unescaped characters",
        ))
    }
}

fn check_token(what: &str, s: &str) -> Result<(), Error> {
    if is_token(s.as_bytes()) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidHttpToken,
            format!("{what} must be a valid HTTP token [\"{s}\"]"),
        ))
    }
}

fn check_field_value(kind: &str, name: &str, value: &str) -> Result<(), Error> {
    if is_field_value(value) {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::InvalidChar,
            format!("Invalid character in {kind} content [\"{name}\"]"),
        ))
    }
}

/// True when every char of `s` is HTAB, `U+0020`–`U+007E` or `U+0080`–`U+00FF`.
///
/// Works on the UTF-8 bytes: `U+0080`–`U+00FF` are exactly the sequences led by `0xC2` or
/// `0xC3`; any other lead byte starts a char above `U+00FF`. Continuation bytes
/// (`0x80`–`0xBF`) only ever follow a lead byte, which has been judged already.
fn is_field_value(s: &str) -> bool {
    s.bytes().all(|b| match b {
        0x00..=0x7f => FIELD_VALUE[usize::from(b)],
        0x80..=0xbf | 0xc2 | 0xc3 => true,
        _ => false,
    })
}

/// True when every char of `s` is in `U+0021`–`U+00FF` (Node's check on a request path).
fn is_path(s: &str) -> bool {
    s.bytes()
        .all(|b| matches!(b, 0x21..=0x7f | 0x80..=0xbf | 0xc2 | 0xc3))
}

// ---------------------------------------------------------------------------------------------
// Lines

/// The reason phrase Node writes for `code`: its `STATUS_CODES` text, or `"unknown"`.
///
/// ```
/// use stdhttp::proto::encode::reason_for;
///
/// assert_eq!(reason_for(404), "Not Found");
/// assert_eq!(reason_for(600), "unknown");
/// ```
pub fn reason_for(code: u16) -> &'static str {
    status_text(code).unwrap_or("unknown")
}

/// Appends `HTTP/1.1 <code> <reason>\r\n` (always `HTTP/1.1`, as Node writes it, also to
/// HTTP/1.0 peers).
///
/// Errors: a `code` outside `100..=999` gives `ERR_HTTP_INVALID_STATUS_CODE`
/// (`Invalid status code: <code>`); a `reason` with a char a header value may not hold gives
/// `ERR_INVALID_CHAR` (`Invalid character in statusMessage`). The code is checked first.
///
/// ```
/// use stdhttp::proto::encode::{reason_for, write_status_line};
///
/// let mut buf = Vec::new();
/// write_status_line(&mut buf, 418, reason_for(418)).unwrap();
/// assert_eq!(buf, b"HTTP/1.1 418 I'm a Teapot\r\n");
///
/// buf.clear();
/// write_status_line(&mut buf, 200, "Grüß").unwrap();
/// assert_eq!(buf, b"HTTP/1.1 200 Gr\xfc\xdf\r\n");
///
/// let err = write_status_line(&mut buf, 99, "Low").unwrap_err();
/// assert_eq!(err.code(), "ERR_HTTP_INVALID_STATUS_CODE");
/// assert_eq!(err.message(), "Invalid status code: 99");
/// ```
pub fn write_status_line(buf: &mut Vec<u8>, code: u16, reason: &str) -> Result<(), Error> {
    if !(100..=999).contains(&code) {
        return Err(Error::invalid_status_code(code));
    }
    if !is_field_value(reason) {
        return Err(Error::new(
            ErrorKind::InvalidChar,
            "Invalid character in statusMessage",
        ));
    }
    buf.reserve(b"HTTP/1.1 200 \r\n".len() + reason.len());
    buf.extend_from_slice(b"HTTP/1.1 ");
    put_dec(buf, u64::from(code));
    buf.push(b' ');
    put_latin1(buf, reason);
    buf.extend_from_slice(CRLF);
    Ok(())
}

/// Appends `<method> <path> HTTP/1.1\r\n`. An empty `path` is written as `/`, as Node's
/// `ClientRequest` does.
///
/// Errors: a `path` with a char outside `U+0021`–`U+00FF` (space, controls, chars above
/// `U+00FF`) gives `ERR_UNESCAPED_CHARACTERS` (`Request path contains unescaped characters`);
/// a `method` that is not a token gives `ERR_INVALID_HTTP_TOKEN` (see [`validate_method`]).
/// The path is checked first, as in Node.
///
/// ```
/// use stdhttp::proto::encode::write_request_line;
///
/// let mut buf = Vec::new();
/// write_request_line(&mut buf, "GET", "/search?q=1").unwrap();
/// assert_eq!(buf, b"GET /search?q=1 HTTP/1.1\r\n");
///
/// let err = write_request_line(&mut buf, "GET", "/a b").unwrap_err();
/// assert_eq!(err.code(), "ERR_UNESCAPED_CHARACTERS");
/// ```
pub fn write_request_line(buf: &mut Vec<u8>, method: &str, path: &str) -> Result<(), Error> {
    validate_path(path)?;
    validate_method(method)?;
    let path = if path.is_empty() { "/" } else { path };
    buf.reserve(method.len() + path.len() + b"  HTTP/1.1\r\n".len());
    buf.extend_from_slice(method.as_bytes());
    buf.push(b' ');
    put_latin1(buf, path);
    buf.extend_from_slice(b" HTTP/1.1\r\n");
    Ok(())
}

/// Appends the header line `<name>: <value>\r\n`, after checking both with
/// [`validate_header_name`] and [`validate_header_value`]. The value is written as is (no
/// trimming) in latin1.
///
/// ```
/// use stdhttp::proto::encode::write_header;
///
/// let mut buf = Vec::new();
/// write_header(&mut buf, "X-Name", "café").unwrap();
/// assert_eq!(buf, b"X-Name: caf\xe9\r\n");
///
/// let err = write_header(&mut buf, "X-Name", "a\r\nX-Injected: 1").unwrap_err();
/// assert_eq!(err.code(), "ERR_INVALID_CHAR");
/// assert_eq!(buf, b"X-Name: caf\xe9\r\n"); // unchanged
/// ```
pub fn write_header(buf: &mut Vec<u8>, name: &str, value: &str) -> Result<(), Error> {
    validate_header_name(name)?;
    validate_header_value(name, value)?;
    put_field(buf, name, value);
    Ok(())
}

/// Checks one `Link` value given to `writeEarlyHints` the way Node 20 does: a URI reference
/// in `<...>`, then zero or more `; param` or `; param="value"` (no spaces in a param or a
/// quoted value, no trailing `;`), and, beyond Node, every char allowed in a header value
/// (Node lets CR and LF inside `<...>` through).
///
/// Errors: `ERR_INVALID_ARG_VALUE`, `The argument 'hints' must be an array or string of
/// format "</styles.css>; rel=preload; as=style". Received '<value>'`; `ERR_INVALID_CHAR`.
///
/// ```
/// use stdhttp::proto::encode::validate_link;
///
/// assert!(validate_link("</styles.css>; rel=preload; as=style").is_ok());
/// assert!(validate_link(r#"</font.woff2>; rel=preload; as="font"; crossorigin"#).is_ok());
/// assert_eq!(validate_link("/no-brackets").unwrap_err().code(), "ERR_INVALID_ARG_VALUE");
/// assert_eq!(validate_link("</a>; ").unwrap_err().code(), "ERR_INVALID_ARG_VALUE");
/// assert_eq!(validate_link("</a\r\n>").unwrap_err().code(), "ERR_INVALID_CHAR");
/// ```
pub fn validate_link(value: &str) -> Result<(), Error> {
    if !is_link(value) {
        return Err(Error::new(
            ErrorKind::InvalidArgValue,
            format!(
                "The argument 'hints' must be an array or string of format \
                 \"</styles.css>; rel=preload; as=style\". Received '{}'",
                value.escape_default()
            ),
        ));
    }
    validate_header_value("Link", value)
}

/// Node's `linkValueRegExp`: `^<[^>]*>(\s*;\s*[^;"\s]+(=(")?[^;"\s]*\1)?)*$`, where a
/// param is a run of chars other than `;`, `"` and space, or such a run ending in `=`
/// followed by a quoted run (JavaScript's `\s`, which includes U+00A0 and U+FEFF).
fn is_link(value: &str) -> bool {
    fn js_space(c: char) -> bool {
        matches!(
            c,
            '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
                ..='\u{200a}'
                    | '\u{2028}'
                    | '\u{2029}'
                    | '\u{202f}'
                    | '\u{205f}'
                    | '\u{3000}'
                    | '\u{feff}'
        )
    }
    let plain = |c: char| c != ';' && c != '"' && !js_space(c);
    let Some(rest) = value.strip_prefix('<') else {
        return false;
    };
    let Some(close) = rest.find('>') else {
        return false;
    };
    let mut rest = &rest[close + 1..];
    while !rest.is_empty() {
        let Some(after) = rest.trim_start_matches(js_space).strip_prefix(';') else {
            return false;
        };
        let param = after.trim_start_matches(js_space);
        let run = param.find(|c: char| !plain(c)).unwrap_or(param.len());
        if run == 0 {
            return false;
        }
        rest = &param[run..];
        if let Some(quoted) = rest.strip_prefix('"') {
            // only `name="value"`: the run is the name and its `=`
            if run < 2 || !param[..run].ends_with('=') {
                return false;
            }
            let inner = quoted.find(|c: char| !plain(c)).unwrap_or(quoted.len());
            match quoted[inner..].strip_prefix('"') {
                Some(next) => rest = next,
                None => return false,
            }
        }
    }
    true
}

/// Appends Node's `103 Early Hints` head: `Link: <links joined with ", ">`, then each of
/// `headers` as `name: value`, then the blank line. Validates everything first
/// ([`validate_link`], [`validate_header_name`], [`validate_header_value`]; Node checks
/// only the links), so a failed call appends nothing.
///
/// ```
/// use stdhttp::proto::encode::write_early_hints;
///
/// let mut buf = Vec::new();
/// write_early_hints(&mut buf, &["</a.css>; rel=preload", "</b.js>; rel=preload"], &[("X-Id", "1")]).unwrap();
/// assert_eq!(
///     buf,
///     b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload, </b.js>; rel=preload\r\nX-Id: 1\r\n\r\n"
/// );
/// ```
pub fn write_early_hints<L, K, V>(
    buf: &mut Vec<u8>,
    links: &[L],
    headers: &[(K, V)],
) -> Result<(), Error>
where
    L: std::borrow::Borrow<str>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    for link in links {
        validate_link(link.borrow())?;
    }
    for (name, value) in headers {
        validate_header_name(name.as_ref())?;
        validate_header_value(name.as_ref(), value.as_ref())?;
    }
    write_status_line(buf, 103, "Early Hints")?;
    put_field(buf, "Link", &links.join(", "));
    for (name, value) in headers {
        put_field(buf, name.as_ref(), value.as_ref());
    }
    buf.extend_from_slice(CRLF);
    Ok(())
}

/// Appends `Content-Length: <n>\r\n`.
///
/// ```
/// use stdhttp::proto::encode::write_content_length;
///
/// let mut buf = Vec::new();
/// write_content_length(&mut buf, 1234);
/// assert_eq!(buf, b"Content-Length: 1234\r\n");
/// ```
pub fn write_content_length(buf: &mut Vec<u8>, n: u64) {
    buf.reserve(b"Content-Length: \r\n".len() + 20);
    buf.extend_from_slice(b"Content-Length: ");
    put_dec(buf, n);
    buf.extend_from_slice(CRLF);
}

/// Writes the framing header stdhttp adds itself, if any.
pub fn write_auto_framing(buf: &mut Vec<u8>, header: crate::proto::framing::AutoHeader) {
    use crate::proto::framing::AutoHeader;
    match header {
        AutoHeader::None => {}
        AutoHeader::ContentLength(n) => write_content_length(buf, n),
        AutoHeader::Chunked => buf.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
    }
}

/// Writes `name: value\r\n` for an already validated pair.
pub(crate) fn put_field(buf: &mut Vec<u8>, name: &str, value: &str) {
    buf.reserve(name.len() + value.len() + 4);
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b": ");
    put_latin1(buf, value);
    buf.extend_from_slice(CRLF);
}

/// Writes `s`, already known to hold only chars up to `U+00FF`, one byte per char.
fn put_latin1(buf: &mut Vec<u8>, s: &str) {
    if s.is_ascii() {
        buf.extend_from_slice(s.as_bytes());
    } else {
        buf.extend(s.chars().map(|c| u8::try_from(c).unwrap_or(b'?')));
    }
}

/// Writes `n` in decimal.
pub(crate) fn put_dec(buf: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[start..]);
}

/// Writes `n` with at least two digits (days, hours, minutes, seconds in a date).
fn put_dec2(buf: &mut Vec<u8>, n: u64) {
    if n < 10 {
        buf.push(b'0');
    }
    put_dec(buf, n);
}

fn put_hex(buf: &mut Vec<u8>, mut n: usize) {
    let mut digits = [0u8; 2 * std::mem::size_of::<usize>()];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = HEX_DIGITS[n & 0xf];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&digits[start..]);
}

// ---------------------------------------------------------------------------------------------
// Chunked framing

/// Appends one chunk: the size in lower-case hex, CRLF, `data`, CRLF. Empty `data` writes
/// nothing (a zero size would end the body).
///
/// ```
/// use stdhttp::proto::encode::write_chunk;
///
/// let mut buf = Vec::new();
/// write_chunk(&mut buf, &[b'x'; 26]);
/// assert!(buf.starts_with(b"1a\r\nxxx"));
/// assert!(buf.ends_with(b"x\r\n"));
///
/// let before = buf.len();
/// write_chunk(&mut buf, b"");
/// assert_eq!(buf.len(), before);
/// ```
pub fn write_chunk(buf: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    buf.reserve(data.len() + 2 * std::mem::size_of::<usize>() + 4);
    write_chunk_header(buf, data.len());
    buf.extend_from_slice(data);
    buf.extend_from_slice(CRLF);
}

/// Appends only a chunk's size line, `<len in hex>\r\n`, so a large body can be written
/// straight from the caller's buffer: write this, then the `len` bytes, then [`CRLF`].
///
/// `len == 0` writes nothing, since `0\r\n` would end the body: skip empty chunks entirely
/// (including their trailing CRLF), and end the body with [`write_last_chunk`].
///
/// ```
/// use stdhttp::proto::encode::{write_chunk_header, CRLF};
///
/// let body = vec![0u8; 70_000];
/// let mut head = Vec::new();
/// write_chunk_header(&mut head, body.len());
/// assert_eq!(head, b"11170\r\n");
/// // then: socket.write_all(&head), socket.write_all(&body), socket.write_all(CRLF)
/// ```
pub fn write_chunk_header(buf: &mut Vec<u8>, len: usize) {
    if len == 0 {
        return;
    }
    put_hex(buf, len);
    buf.extend_from_slice(CRLF);
}

/// Appends the end of a chunked body: `0\r\n`, one `name: value\r\n` line per trailer, and the
/// final `\r\n`. Every trailer is checked first ([`validate_trailer_name`],
/// [`validate_trailer_value`]); on error nothing is written.
///
/// ```
/// use stdhttp::proto::encode::write_last_chunk;
///
/// let mut buf = Vec::new();
/// write_last_chunk(&mut buf, &[("Content-MD5", "abc=")]).unwrap();
/// assert_eq!(buf, b"0\r\nContent-MD5: abc=\r\n\r\n");
///
/// let err = write_last_chunk(&mut buf, &[("X", "ok"), ("Bad Name", "v")]).unwrap_err();
/// assert_eq!(err.message(), r#"Trailer name must be a valid HTTP token ["Bad Name"]"#);
/// assert_eq!(buf, b"0\r\nContent-MD5: abc=\r\n\r\n"); // unchanged
/// ```
pub fn write_last_chunk(buf: &mut Vec<u8>, trailers: &[(&str, &str)]) -> Result<(), Error> {
    for &(name, value) in trailers {
        validate_trailer_name(name)?;
        validate_trailer_value(name, value)?;
    }
    buf.extend_from_slice(b"0\r\n");
    for &(name, value) in trailers {
        put_field(buf, name, value);
    }
    buf.extend_from_slice(CRLF);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Date

/// Formats `secs_since_unix_epoch` (UTC) as an IMF-fixdate, the way JavaScript's
/// `Date.prototype.toUTCString()` does and Node puts in the `Date` header. Pure arithmetic:
/// no clock is read.
///
/// Years past 9999 are written with as many digits as they need (JavaScript stops at year
/// 275760; this keeps counting).
///
/// ```
/// use stdhttp::proto::encode::fmt_http_date;
///
/// assert_eq!(fmt_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
/// assert_eq!(fmt_http_date(1_795_315_298), "Sun, 22 Nov 2026 02:41:38 GMT");
/// ```
pub fn fmt_http_date(secs_since_unix_epoch: u64) -> String {
    let mut buf = Vec::with_capacity(29);
    write_http_date(&mut buf, secs_since_unix_epoch);
    // Only ASCII is written, so this never replaces anything.
    String::from_utf8_lossy(&buf).into_owned()
}

/// Appends the date of [`fmt_http_date`] to `buf`, without the `String`.
///
/// ```
/// use stdhttp::proto::encode::write_http_date;
///
/// let mut buf = b"Date: ".to_vec();
/// write_http_date(&mut buf, 951_782_400);
/// assert_eq!(buf, b"Date: Tue, 29 Feb 2000 00:00:00 GMT");
/// ```
pub fn write_http_date(buf: &mut Vec<u8>, secs_since_unix_epoch: u64) {
    let days = secs_since_unix_epoch / 86_400;
    let secs_of_day = secs_since_unix_epoch % 86_400;
    // 1970-01-01 was a Thursday (index 4 from Sunday).
    let weekday = ((days + 4) % 7) as usize;
    let (year, month, day) = civil_from_days(days);
    buf.reserve(29);
    buf.extend_from_slice(DAY_NAMES[weekday]);
    buf.extend_from_slice(b", ");
    put_dec2(buf, day);
    buf.push(b' ');
    buf.extend_from_slice(MONTH_NAMES[(month - 1) as usize]);
    buf.push(b' ');
    if year < 1000 {
        buf.push(b'0');
    }
    put_dec(buf, year);
    buf.push(b' ');
    put_dec2(buf, secs_of_day / 3600);
    buf.push(b':');
    put_dec2(buf, secs_of_day / 60 % 60);
    buf.push(b':');
    put_dec2(buf, secs_of_day % 60);
    buf.extend_from_slice(b" GMT");
}

/// The proleptic Gregorian (year, month 1–12, day 1–31) of the day `days` after 1970-01-01.
///
/// Counts in 400-year eras starting on a 1 March, so that the leap day falls at the end of
/// each counted year: an era is 146 097 days, and within it the year, then the day of the
/// year, then the month follow by division alone.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    // 0000-03-01 is 719 468 days before 1970-01-01.
    let shifted = days + 719_468;
    let era = shifted / 146_097;
    let day_of_era = shifted % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    // Months counted from March: lengths 31 30 31 30 31 31 30 31 30 31 31 28/29, which
    // (153 * m + 2) / 5 turns into the first day of month m.
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = era * 400 + year_of_era + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, value: &str) -> Result<Vec<u8>, Error> {
        let mut buf = Vec::new();
        write_header(&mut buf, name, value).map(|()| buf)
    }

    #[test]
    fn header_names_must_be_tokens() {
        for good in ["a", "X-Custom_Header.1~", "!#$%&'*+-.^_`|~"] {
            assert!(validate_header_name(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "a b",
            "a:b",
            "caf\u{e9}",
            "x\r\n",
            "(x)",
            "a@b",
            "\u{100}",
        ] {
            let err = validate_header_name(bad).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_HTTP_TOKEN", "{bad:?}");
            assert_eq!(
                err.message(),
                format!("Header name must be a valid HTTP token [\"{bad}\"]")
            );
        }
    }

    #[test]
    fn header_values_allow_tab_visible_ascii_and_latin1() {
        let all_allowed: String = std::iter::once('\t')
            .chain(' '..='~')
            .chain('\u{80}'..='\u{ff}')
            .collect();
        assert!(validate_header_value("X", &all_allowed).is_ok());
        assert!(validate_header_value("X", "").is_ok());
    }

    #[test]
    fn header_values_reject_controls_del_and_chars_above_latin1() {
        let rejected = (0u32..0x20)
            .filter(|&c| c != 0x09)
            .chain([0x7f, 0x100, 0x2028, 0xfeff, 0x1f600]);
        for c in rejected {
            let c = char::from_u32(c).unwrap_or('\0');
            let value = format!("ok{c}ok");
            let err = validate_header_value("X-V", &value).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_CHAR", "{c:?}");
            assert_eq!(
                err.message(),
                r#"Invalid character in header content ["X-V"]"#
            );
        }
    }

    #[test]
    fn trailer_validation_names_trailers() {
        let err = validate_trailer_name("a b").unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_HTTP_TOKEN");
        assert_eq!(
            err.message(),
            r#"Trailer name must be a valid HTTP token ["a b"]"#
        );
        let err = validate_trailer_value("X-T", "\r").unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_CHAR");
        assert_eq!(
            err.message(),
            r#"Invalid character in trailer content ["X-T"]"#
        );
        assert!(validate_trailer_name("X-T").is_ok());
        assert!(validate_trailer_value("X-T", "v\t\u{ff}").is_ok());
    }

    #[test]
    fn methods_must_be_tokens() {
        assert!(validate_method("M-SEARCH").is_ok());
        assert!(validate_method("get").is_ok());
        for bad in ["", "GET /", "G\nET", "GÉT"] {
            let err = validate_method(bad).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_HTTP_TOKEN");
            assert_eq!(
                err.message(),
                format!("Method must be a valid HTTP token [\"{bad}\"]")
            );
        }
    }

    #[test]
    fn status_line_is_http11_code_reason() {
        let mut buf = Vec::new();
        write_status_line(&mut buf, 200, "OK").unwrap();
        write_status_line(&mut buf, 999, "").unwrap();
        write_status_line(&mut buf, 100, reason_for(100)).unwrap();
        assert_eq!(
            buf,
            b"HTTP/1.1 200 OK\r\nHTTP/1.1 999 \r\nHTTP/1.1 100 Continue\r\n"
        );
    }

    #[test]
    fn status_code_outside_100_to_999_is_rejected() {
        for code in [0, 42, 99, 1000, u16::MAX] {
            let mut buf = b"keep".to_vec();
            let err = write_status_line(&mut buf, code, "\n").unwrap_err();
            assert_eq!(err.code(), "ERR_HTTP_INVALID_STATUS_CODE");
            assert_eq!(err.message(), format!("Invalid status code: {code}"));
            assert_eq!(buf, b"keep");
        }
    }

    #[test]
    fn status_reason_with_bad_chars_is_rejected() {
        for reason in ["OK\r\nX-Injected: 1", "a\0", "\u{7f}", "\u{263a}"] {
            let mut buf = Vec::new();
            let err = write_status_line(&mut buf, 200, reason).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_CHAR");
            assert_eq!(err.message(), "Invalid character in statusMessage");
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn status_reason_latin1_is_one_byte_per_char() {
        let mut buf = Vec::new();
        write_status_line(&mut buf, 200, "Gr\u{fc}\u{df}\t\u{80}").unwrap();
        assert_eq!(buf, b"HTTP/1.1 200 Gr\xfc\xdf\t\x80\r\n");
    }

    #[test]
    fn reason_for_uses_status_codes_or_unknown() {
        assert_eq!(reason_for(200), "OK");
        assert_eq!(reason_for(418), "I'm a Teapot");
        assert_eq!(reason_for(299), "unknown");
        assert_eq!(reason_for(600), "unknown");
    }

    #[test]
    fn request_line_is_method_path_http11() {
        let mut buf = Vec::new();
        write_request_line(&mut buf, "OPTIONS", "*").unwrap();
        write_request_line(&mut buf, "CONNECT", "example.com:443").unwrap();
        write_request_line(&mut buf, "GET", "/caf\u{e9}\u{7f}").unwrap();
        write_request_line(&mut buf, "GET", "").unwrap();
        assert_eq!(
            buf,
            b"OPTIONS * HTTP/1.1\r\nCONNECT example.com:443 HTTP/1.1\r\n\
              GET /caf\xe9\x7f HTTP/1.1\r\nGET / HTTP/1.1\r\n"
        );
    }

    #[test]
    fn request_path_with_unescaped_chars_is_rejected() {
        for path in [
            "/a b",
            "/a\r\nHost: evil",
            "/\t",
            "/\0",
            "/\u{100}",
            "/\u{1f600}",
        ] {
            let mut buf = Vec::new();
            let err = write_request_line(&mut buf, "GET", path).unwrap_err();
            assert_eq!(err.code(), "ERR_UNESCAPED_CHARACTERS", "{path:?}");
            assert_eq!(err.message(), "Request path contains unescaped characters");
            assert!(buf.is_empty());
        }
    }

    #[test]
    fn request_line_checks_path_before_method() {
        let mut buf = Vec::new();
        let err = write_request_line(&mut buf, "BAD METHOD", "/ok").unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_HTTP_TOKEN");
        let err = write_request_line(&mut buf, "BAD METHOD", "/not ok").unwrap_err();
        assert_eq!(err.code(), "ERR_UNESCAPED_CHARACTERS");
        assert!(buf.is_empty());
    }

    #[test]
    fn header_line_is_name_colon_space_value_crlf() {
        assert_eq!(
            header("Host", "example.com").unwrap(),
            b"Host: example.com\r\n"
        );
        assert_eq!(header("X-Empty", "").unwrap(), b"X-Empty: \r\n");
        assert_eq!(header("X-Sp", " a\tb ").unwrap(), b"X-Sp:  a\tb \r\n");
        assert_eq!(header("X-L", "\u{a0}\u{ff}").unwrap(), b"X-L: \xa0\xff\r\n");
    }

    #[test]
    fn header_injection_attempts_are_rejected() {
        let attempts = [
            "a\r\nX-Injected: 1",
            "a\nX-Injected: 1",
            "a\rX-Injected: 1",
            "a\r\n\r\nHTTP/1.1 200 OK",
            "\0",
        ];
        for value in attempts {
            let mut buf = b"HTTP/1.1 200 OK\r\n".to_vec();
            let err = write_header(&mut buf, "X-A", value).unwrap_err();
            assert_eq!(err.code(), "ERR_INVALID_CHAR", "{value:?}");
            assert_eq!(buf, b"HTTP/1.1 200 OK\r\n");
        }
        let mut buf = Vec::new();
        let err = write_header(&mut buf, "X-A: 1\r\nX-B", "v").unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_HTTP_TOKEN");
        assert!(buf.is_empty());
    }

    #[test]
    fn header_name_is_checked_before_value() {
        let err = header("Bad Name", "\n").unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_HTTP_TOKEN");
    }

    #[test]
    fn content_length_line() {
        let mut buf = Vec::new();
        write_content_length(&mut buf, 0);
        write_content_length(&mut buf, u64::MAX);
        assert_eq!(
            buf,
            b"Content-Length: 0\r\nContent-Length: 18446744073709551615\r\n"
        );
    }

    #[test]
    fn chunks_are_lower_hex_size_crlf_data_crlf() {
        let mut buf = Vec::new();
        write_chunk(&mut buf, b"a");
        write_chunk(&mut buf, &[b'z'; 255]);
        assert!(buf.starts_with(b"1\r\na\r\nff\r\nzz"));
        assert!(buf.ends_with(b"zz\r\n"));
        assert_eq!(buf.len(), 6 + 4 + 255 + 2);
    }

    #[test]
    fn empty_chunks_write_nothing() {
        let mut buf = Vec::new();
        write_chunk(&mut buf, b"");
        write_chunk_header(&mut buf, 0);
        assert!(buf.is_empty());
    }

    #[test]
    fn chunk_header_is_the_size_line_alone() {
        for (len, line) in [
            (1usize, &b"1\r\n"[..]),
            (15, b"f\r\n"),
            (16, b"10\r\n"),
            (0xdead_beef, b"deadbeef\r\n"),
        ] {
            let mut buf = Vec::new();
            write_chunk_header(&mut buf, len);
            assert_eq!(buf, line);
        }
        let mut buf = Vec::new();
        write_chunk_header(&mut buf, usize::MAX);
        assert_eq!(buf.len(), 2 * std::mem::size_of::<usize>() + 2);
        assert!(buf.iter().take(buf.len() - 2).all(|&b| b == b'f'));
    }

    #[test]
    fn last_chunk_without_trailers() {
        let mut buf = Vec::new();
        write_last_chunk(&mut buf, &[]).unwrap();
        assert_eq!(buf, b"0\r\n\r\n");
    }

    #[test]
    fn last_chunk_with_trailers_in_order() {
        let mut buf = Vec::new();
        write_last_chunk(&mut buf, &[("X-A", "1"), ("x-a", "2"), ("X-L", "\u{e9}")]).unwrap();
        assert_eq!(buf, b"0\r\nX-A: 1\r\nx-a: 2\r\nX-L: \xe9\r\n\r\n");
    }

    #[test]
    fn last_chunk_with_a_bad_trailer_writes_nothing() {
        let mut buf = Vec::new();
        let err =
            write_last_chunk(&mut buf, &[("X-A", "1"), ("X-B", "a\r\nX-Injected: 1")]).unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_CHAR");
        assert_eq!(
            err.message(),
            r#"Invalid character in trailer content ["X-B"]"#
        );
        assert!(buf.is_empty());
        let err = write_last_chunk(&mut buf, &[("", "1")]).unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_HTTP_TOKEN");
        assert!(buf.is_empty());
    }

    #[test]
    fn http_dates_match_known_instants() {
        // Checked against `date -u` and JavaScript's toUTCString().
        let known = [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (86_399, "Thu, 01 Jan 1970 23:59:59 GMT"),
            (68_169_600, "Tue, 29 Feb 1972 00:00:00 GMT"),
            (68_256_000, "Wed, 01 Mar 1972 00:00:00 GMT"),
            (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (978_307_199, "Sun, 31 Dec 2000 23:59:59 GMT"),
            (1_000_000_000, "Sun, 09 Sep 2001 01:46:40 GMT"),
            (1_709_210_096, "Thu, 29 Feb 2024 12:34:56 GMT"),
            (1_795_315_298, "Sun, 22 Nov 2026 02:41:38 GMT"),
            (4_107_542_400, "Mon, 01 Mar 2100 00:00:00 GMT"),
            (253_402_300_799, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (253_402_300_800, "Sat, 01 Jan 10000 00:00:00 GMT"),
            (8_640_000_000_000, "Sat, 13 Sep 275760 00:00:00 GMT"),
        ];
        for (secs, text) in known {
            assert_eq!(fmt_http_date(secs), text, "{secs}");
        }
    }

    #[test]
    fn http_dates_agree_with_counting_days_one_by_one() {
        let mut expected = (1970u64, 1u64, 1u64);
        for days in 0..(500 * 366) {
            assert_eq!(civil_from_days(days), expected, "day {days}");
            let (y, m, d) = expected;
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let month_len = match m {
                2 if leap => 29,
                2 => 28,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            expected = if d < month_len {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }

    #[test]
    fn http_date_of_the_largest_instant_does_not_overflow() {
        let s = fmt_http_date(u64::MAX);
        assert!(s.ends_with(" GMT"));
        assert!(s.len() > 29);
    }
}
