//! The part of WHATWG URL parsing an `http:` request needs, with the field extraction of
//! Node's `urlToHttpOptions` (see [`RequestOptions::from_url`](super::RequestOptions::from_url)).
#![forbid(unsafe_code)]

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use crate::proto::status::hex_value;
use crate::{Error, ErrorKind};

/// The default port of `http:` URLs, left out of the parsed port.
const HTTP_DEFAULT_PORT: u16 = 80;

/// The fields `urlToHttpOptions` takes from a parsed `http:` URL.
#[derive(Debug)]
pub(super) struct UrlParts {
    /// The host, IPv6 without brackets.
    pub(super) hostname: String,
    /// The explicit port, unless it is the scheme's default.
    pub(super) port: Option<u16>,
    /// Path and query.
    pub(super) path: String,
    /// `user:password`, percent-decoded.
    pub(super) auth: Option<String>,
}

fn invalid_url() -> Error {
    Error::new(ErrorKind::InvalidUrl, "Invalid URL")
}

/// Parses `input` as Node's `http.request(url)` does (see `RequestOptions::from_url`).
pub(super) fn parse_url(input: &str) -> Result<UrlParts, Error> {
    // Leading and trailing C0 controls and spaces go; tabs and newlines go everywhere.
    let trimmed = input.trim_matches(|c: char| c <= ' ');
    let cleaned: String = trimmed
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();

    let (scheme, rest) = split_scheme(&cleaned).ok_or_else(invalid_url)?;
    match scheme.as_str() {
        "http" => {}
        "https" | "ws" | "wss" | "ftp" => {
            // A special URL is parsed (and may be invalid) before its protocol is checked.
            parse_special(rest, special_default_port(&scheme))?;
            return Err(unsupported_protocol(&scheme));
        }
        _ => return Err(unsupported_protocol(&scheme)),
    }
    parse_special(rest, HTTP_DEFAULT_PORT)
}

fn special_default_port(scheme: &str) -> u16 {
    match scheme {
        "https" | "wss" => 443,
        "ftp" => 21,
        _ => 80,
    }
}

fn unsupported_protocol(scheme: &str) -> Error {
    Error::new(
        ErrorKind::InvalidProtocol,
        format!("Protocol \"{scheme}:\" not supported. Expected \"http:\""),
    )
}

/// `scheme:rest` with the scheme lower-cased, or `None` when the input has no valid scheme.
fn split_scheme(s: &str) -> Option<(String, &str)> {
    let colon = s.find(':')?;
    let scheme = &s[..colon];
    let mut bytes = scheme.bytes();
    let first = bytes.next()?;
    if !first.is_ascii_alphabetic()
        || !bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        return None;
    }
    Some((scheme.to_ascii_lowercase(), &s[colon + 1..]))
}

/// Parses what follows `scheme:` of a special URL (http, https, ws, wss, ftp).
fn parse_special(rest: &str, default_port: u16) -> Result<UrlParts, Error> {
    // Any run of slashes and backslashes introduces the authority (`http:h`, `http:\\h` too).
    let rest = rest.trim_start_matches(['/', '\\']);
    let auth_end = rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);

    let (userinfo, host_port) = match authority.rfind('@') {
        Some(at) => (Some(&authority[..at]), &authority[at + 1..]),
        None => (None, authority),
    };
    let (hostname, port) = parse_host_port(host_port, default_port)?;
    let path = parse_path_and_query(tail);
    let auth = match userinfo {
        Some(info) => {
            let (user, password) = info.split_once(':').unwrap_or((info, ""));
            if user.is_empty() && password.is_empty() {
                None
            } else {
                Some(format!(
                    "{}:{}",
                    decode_uri_component(user)?,
                    decode_uri_component(password)?
                ))
            }
        }
        None => None,
    };
    Ok(UrlParts {
        hostname,
        port,
        path,
        auth,
    })
}

/// The host (brackets removed from IPv6) and explicit non-default port of `host[:port]`.
fn parse_host_port(s: &str, default_port: u16) -> Result<(String, Option<u16>), Error> {
    let (host, port) = if let Some(inner) = s.strip_prefix('[') {
        let close = inner.find(']').ok_or_else(invalid_url)?;
        let after = &inner[close + 1..];
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(invalid_url)?),
        };
        (parse_ipv6(&inner[..close])?, port)
    } else {
        let (host, port) = match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        };
        if host.is_empty() {
            return Err(invalid_url());
        }
        (parse_domain_or_ipv4(host)?, port)
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => {
            if !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(invalid_url());
            }
            // Leading zeros are allowed ("0080"); the value must fit in 16 bits.
            let value = p
                .bytes()
                .try_fold(0u32, |acc, b| {
                    let v = acc * 10 + u32::from(b - b'0');
                    (v <= 65535).then_some(v)
                })
                .ok_or_else(invalid_url)?;
            let value = u16::try_from(value).map_err(|_| invalid_url())?;
            (value != default_port).then_some(value)
        }
    };
    Ok((host, port))
}

fn parse_ipv6(s: &str) -> Result<String, Error> {
    let addr = Ipv6Addr::from_str(s).map_err(|_| invalid_url())?;
    Ok(serialize_ipv6(&addr.segments()))
}

/// WHATWG's IPv6 serialisation: lower-case hex without leading zeros, the first longest run
/// of two or more zero pieces written as `::`, no dotted-quad tail.
fn serialize_ipv6(pieces: &[u16; 8]) -> String {
    let mut best: Option<(usize, usize)> = None; // (start, len)
    let mut i = 0;
    while i < 8 {
        if pieces[i] == 0 {
            let start = i;
            while i < 8 && pieces[i] == 0 {
                i += 1;
            }
            let len = i - start;
            if len > 1 && best.is_none_or(|(_, l)| len > l) {
                best = Some((start, len));
            }
        } else {
            i += 1;
        }
    }
    let mut out = String::with_capacity(39);
    let mut i = 0;
    while i < 8 {
        if let Some((start, len)) = best {
            if i == start {
                out.push_str(if i == 0 { "::" } else { ":" });
                i += len;
                continue;
            }
        }
        let _ = write!(out, "{:x}", pieces[i]);
        if i < 7 {
            out.push(':');
        }
        i += 1;
    }
    out
}

/// A domain (percent-decoded, lower-cased, Punycode for non-ASCII labels) or, when its last
/// label is a number, an IPv4 address in dotted-decimal form.
fn parse_domain_or_ipv4(s: &str) -> Result<String, Error> {
    let decoded = String::from_utf8_lossy(&percent_decode_lenient(s)).into_owned();
    // Bytes that are not UTF-8 decode to U+FFFD, which IDNA rejects.
    if decoded.contains('\u{fffd}') {
        return Err(invalid_url());
    }
    let ascii = domain_to_ascii(&decoded)?;
    if ascii.is_empty() || ascii.chars().any(is_forbidden_domain_char) {
        return Err(invalid_url());
    }
    if ends_in_number(&ascii) {
        let v4 = parse_ipv4(&ascii).ok_or_else(invalid_url)?;
        return Ok(Ipv4Addr::from(v4).to_string());
    }
    Ok(ascii)
}

fn is_forbidden_domain_char(c: char) -> bool {
    matches!(
        c,
        '\0'..='\u{1f}'
            | ' '
            | '#'
            | '%'
            | '/'
            | ':'
            | '<'
            | '>'
            | '?'
            | '@'
            | '['
            | '\\'
            | ']'
            | '^'
            | '|'
            | '\u{7f}'
    )
}

fn domain_to_ascii(domain: &str) -> Result<String, Error> {
    let lower = domain.to_lowercase();
    if lower.is_ascii() {
        return Ok(lower);
    }
    let mut out = String::with_capacity(lower.len() + 8);
    for (i, label) in lower.split('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        if label.is_ascii() {
            out.push_str(label);
        } else {
            out.push_str("xn--");
            punycode_encode_into(label, &mut out).ok_or_else(invalid_url)?;
        }
    }
    Ok(out)
}

/// WHATWG's "ends in a number": the last label (ignoring one trailing empty label) is all
/// decimal digits or `0x` followed by hex digits.
fn ends_in_number(domain: &str) -> bool {
    let mut labels: Vec<&str> = domain.split('.').collect();
    if labels.len() > 1 && labels.last() == Some(&"") {
        labels.pop();
    }
    let last = labels.last().copied().unwrap_or("");
    if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    match last.strip_prefix("0x").or_else(|| last.strip_prefix("0X")) {
        Some(hex) => hex.bytes().all(|b| b.is_ascii_hexdigit()),
        None => false,
    }
}

/// WHATWG's IPv4 parser: one to four parts, each decimal, octal (leading 0) or hex (`0x`);
/// the last part fills the remaining bytes.
fn parse_ipv4(s: &str) -> Option<u32> {
    let mut parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    if parts.len() > 4 {
        return None;
    }
    let numbers = parts
        .iter()
        .map(|p| parse_ipv4_number(p))
        .collect::<Option<Vec<u64>>>()?;
    let (last, init) = numbers.split_last()?;
    if init.iter().any(|&n| n > 255) {
        return None;
    }
    let last_limit = 1u64 << (8 * (5 - numbers.len()));
    if *last >= last_limit {
        return None;
    }
    let mut value = *last;
    for (i, &n) in init.iter().enumerate() {
        value += n << (8 * (3 - i));
    }
    u32::try_from(value).ok()
}

fn parse_ipv4_number(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (digits, radix) = if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (hex, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    if digits.is_empty() {
        return Some(0);
    }
    // Cap the value so that absurdly long numbers fail instead of overflowing.
    digits.chars().try_fold(0u64, |acc, c| {
        let d = u64::from(c.to_digit(radix)?);
        let v = acc.checked_mul(u64::from(radix))?.checked_add(d)?;
        (v <= u64::from(u32::MAX) + 1).then_some(v)
    })
}

/// Path and query of a special URL from what follows the authority; the fragment is dropped.
fn parse_path_and_query(tail: &str) -> String {
    let tail = tail.split_once('#').map_or(tail, |(before, _)| before);
    let (path_part, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail, None),
    };
    let path_part = path_part.strip_prefix(['/', '\\']).unwrap_or(path_part);

    let mut segments: Vec<String> = Vec::new();
    let raw: Vec<&str> = path_part.split(['/', '\\']).collect();
    let last_index = raw.len() - 1;
    for (i, seg) in raw.iter().enumerate() {
        let is_last = i == last_index;
        if is_double_dot(seg) {
            segments.pop();
            if is_last {
                segments.push(String::new());
            }
        } else if is_single_dot(seg) {
            if is_last {
                segments.push(String::new());
            }
        } else {
            segments.push(percent_encode(seg, in_path_encode_set));
        }
    }

    let mut out = String::with_capacity(tail.len() + 1);
    for seg in &segments {
        out.push('/');
        out.push_str(seg);
    }
    if out.is_empty() {
        out.push('/');
    }
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        out.push('?');
        out.push_str(&percent_encode(q, in_special_query_encode_set));
    }
    out
}

fn is_single_dot(seg: &str) -> bool {
    seg == "." || seg.eq_ignore_ascii_case("%2e")
}

fn is_double_dot(seg: &str) -> bool {
    matches!(
        seg.to_ascii_lowercase().as_str(),
        ".." | ".%2e" | "%2e." | "%2e%2e"
    )
}

/// C0 controls, space, `"`, `#`, `<`, `>`, `?`, `` ` ``, `{`, `}` and every byte above `~`.
fn in_path_encode_set(b: u8) -> bool {
    !(b'!'..=b'~').contains(&b)
        || matches!(b, b'"' | b'#' | b'<' | b'>' | b'?' | b'`' | b'{' | b'}')
}

/// C0 controls, space, `"`, `#`, `<`, `>`, `'` and every byte above `~`.
fn in_special_query_encode_set(b: u8) -> bool {
    !(b'!'..=b'~').contains(&b) || matches!(b, b'"' | b'#' | b'<' | b'>' | b'\'')
}

/// UTF-8 bytes in `set` become `%XX` (upper-case hex); `%` itself is left alone.
fn percent_encode(s: &str, set: fn(u8) -> bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if set(b) {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

/// WHATWG percent-decoding: a `%` not followed by two hex digits stays as it is.
fn percent_decode_lenient(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex_value),
                bytes.get(i + 2).copied().and_then(hex_value),
            ) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// JavaScript's `decodeURIComponent` as `urlToHttpOptions` applies it to the user name and
/// password: every `%` must start a two-hex-digit escape and the result must be UTF-8.
fn decode_uri_component(s: &str) -> Result<String, Error> {
    crate::proto::target::decode_uri_component(s, false)
        .ok_or_else(|| Error::new(ErrorKind::InvalidUrl, "URI malformed"))
}

/// RFC 3492 Punycode encoding of one label, appended to `out`. `None` on overflow.
fn punycode_encode_into(label: &str, out: &mut String) -> Option<()> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    const SKEW: u32 = 38;
    const DAMP: u32 = 700;
    const INITIAL_BIAS: u32 = 72;
    const INITIAL_N: u32 = 128;

    fn digit(d: u32) -> char {
        // 0..=25 → 'a'..='z', 26..=35 → '0'..='9'
        let b = if d < 26 {
            b'a' + d as u8
        } else {
            b'0' + (d - 26) as u8
        };
        char::from(b)
    }
    fn adapt(mut delta: u32, num_points: u32, first_time: bool) -> u32 {
        delta /= if first_time { DAMP } else { 2 };
        delta += delta / num_points;
        let mut k = 0;
        while delta > ((BASE - T_MIN) * T_MAX) / 2 {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
    }

    let chars: Vec<u32> = label.chars().map(u32::from).collect();
    let basic: String = label.chars().filter(char::is_ascii).collect();
    let basic_len = u32::try_from(basic.len()).ok()?;
    out.push_str(&basic);
    if basic_len > 0 {
        out.push('-');
    }
    let total = u32::try_from(chars.len()).ok()?;
    let mut n = INITIAL_N;
    let mut delta: u32 = 0;
    let mut bias = INITIAL_BIAS;
    let mut handled = basic_len;
    while handled < total {
        let m = chars.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &chars {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic_len);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_serialisation_compresses_the_first_longest_zero_run() {
        assert_eq!(serialize_ipv6(&[0; 8]), "::");
        assert_eq!(serialize_ipv6(&[0, 0, 0, 0, 0, 0, 0, 1]), "::1");
        assert_eq!(serialize_ipv6(&[1, 0, 0, 0, 0, 0, 0, 0]), "1::");
        assert_eq!(serialize_ipv6(&[1, 0, 2, 0, 3, 0, 4, 0]), "1:0:2:0:3:0:4:0");
        assert_eq!(
            serialize_ipv6(&[0xabcd, 0, 0, 1, 0, 0, 0, 2]),
            "abcd:0:0:1::2"
        );
    }

    #[test]
    fn punycode_matches_rfc3492_samples() {
        let enc = |s: &str| {
            let mut out = String::new();
            punycode_encode_into(s, &mut out).unwrap();
            out
        };
        assert_eq!(enc("h\u{e9}llo"), "hllo-bpa");
        assert_eq!(enc("b\u{fc}cher"), "bcher-kva");
        // RFC 3492 §7.1 (A) Arabic (Egyptian).
        assert_eq!(
            enc("\u{644}\u{64a}\u{647}\u{645}\u{627}\u{628}\u{62a}\u{643}\u{644}\u{645}\u{648}\u{634}\u{639}\u{631}\u{628}\u{64a}\u{61f}"),
            "egbpdaj6bu4bxfgehfvwxn"
        );
    }
}
