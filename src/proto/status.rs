//! Node's `http.METHODS` and `http.STATUS_CODES`, and the byte-class tables shared by the
//! parser and the encoder (tokens, field values, request targets).

/// Every method Node 20 knows, in `http.METHODS` order (sorted). The parser accepts exactly these.
pub const METHODS: &[&str] = &[
    "ACL",
    "BIND",
    "CHECKOUT",
    "CONNECT",
    "COPY",
    "DELETE",
    "GET",
    "HEAD",
    "LINK",
    "LOCK",
    "M-SEARCH",
    "MERGE",
    "MKACTIVITY",
    "MKCALENDAR",
    "MKCOL",
    "MOVE",
    "NOTIFY",
    "OPTIONS",
    "PATCH",
    "POST",
    "PROPFIND",
    "PROPPATCH",
    "PURGE",
    "PUT",
    "QUERY",
    "REBIND",
    "REPORT",
    "SEARCH",
    "SOURCE",
    "SUBSCRIBE",
    "TRACE",
    "UNBIND",
    "UNLINK",
    "UNLOCK",
    "UNSUBSCRIBE",
];

/// Node 20's `http.STATUS_CODES`: every standard status code with its reason phrase, ascending.
pub const STATUS_CODES: &[(u16, &str)] = &[
    (100, "Continue"),
    (101, "Switching Protocols"),
    (102, "Processing"),
    (103, "Early Hints"),
    (200, "OK"),
    (201, "Created"),
    (202, "Accepted"),
    (203, "Non-Authoritative Information"),
    (204, "No Content"),
    (205, "Reset Content"),
    (206, "Partial Content"),
    (207, "Multi-Status"),
    (208, "Already Reported"),
    (226, "IM Used"),
    (300, "Multiple Choices"),
    (301, "Moved Permanently"),
    (302, "Found"),
    (303, "See Other"),
    (304, "Not Modified"),
    (305, "Use Proxy"),
    (307, "Temporary Redirect"),
    (308, "Permanent Redirect"),
    (400, "Bad Request"),
    (401, "Unauthorized"),
    (402, "Payment Required"),
    (403, "Forbidden"),
    (404, "Not Found"),
    (405, "Method Not Allowed"),
    (406, "Not Acceptable"),
    (407, "Proxy Authentication Required"),
    (408, "Request Timeout"),
    (409, "Conflict"),
    (410, "Gone"),
    (411, "Length Required"),
    (412, "Precondition Failed"),
    (413, "Payload Too Large"),
    (414, "URI Too Long"),
    (415, "Unsupported Media Type"),
    (416, "Range Not Satisfiable"),
    (417, "Expectation Failed"),
    (418, "I'm a Teapot"),
    (421, "Misdirected Request"),
    (422, "Unprocessable Entity"),
    (423, "Locked"),
    (424, "Failed Dependency"),
    (425, "Too Early"),
    (426, "Upgrade Required"),
    (428, "Precondition Required"),
    (429, "Too Many Requests"),
    (431, "Request Header Fields Too Large"),
    (451, "Unavailable For Legal Reasons"),
    (500, "Internal Server Error"),
    (501, "Not Implemented"),
    (502, "Bad Gateway"),
    (503, "Service Unavailable"),
    (504, "Gateway Timeout"),
    (505, "HTTP Version Not Supported"),
    (506, "Variant Also Negotiates"),
    (507, "Insufficient Storage"),
    (508, "Loop Detected"),
    (509, "Bandwidth Limit Exceeded"),
    (510, "Not Extended"),
    (511, "Network Authentication Required"),
];

/// The reason phrase Node 20 uses for `code`, or `None` for a code it does not know
/// (Node then writes `unknown`).
///
/// ```
/// assert_eq!(stdhttp::status_text(418), Some("I'm a Teapot"));
/// assert_eq!(stdhttp::status_text(299), None);
/// ```
pub fn status_text(code: u16) -> Option<&'static str> {
    STATUS_CODES
        .binary_search_by_key(&code, |&(c, _)| c)
        .ok()
        .map(|i| STATUS_CODES[i].1)
}

macro_rules! byte_table {
    ($f:ident) => {{
        let mut t = [false; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = $f(i as u8);
            i += 1;
        }
        t
    }};
}

const fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'-'
                | b'.'
                | b'^'
                | b'_'
                | b'`'
                | b'|'
                | b'~'
        )
}

const fn is_field_vchar(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

const fn is_server_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'@'
                | b'%'
        )
}

const fn is_target_char(b: u8) -> bool {
    b > 0x20 && b < 0x7f
}

/// `TOKEN[b]`: `b` may appear in a token (RFC 9110 §5.6.2 `tchar`): header names, methods.
pub(crate) static TOKEN: [bool; 256] = byte_table!(is_tchar);

/// `FIELD_VALUE[b]`: `b` may appear in a header value: HTAB, visible ASCII, space, obs-text
/// (0x80–0xFF). CR, LF, NUL, other controls and DEL may not.
pub(crate) static FIELD_VALUE: [bool; 256] = byte_table!(is_field_vchar);

/// `TARGET[b]`: `b` may appear in a request-target in Node's strict parser (visible ASCII).
pub(crate) static TARGET: [bool; 256] = byte_table!(is_target_char);

/// `SERVER[b]`: `b` may appear in the authority part of a target (RFC 3986 `authority`).
pub(crate) static SERVER: [bool; 256] = byte_table!(is_server_char);

/// True when `s` is a non-empty HTTP token (what Node's `checkIsHttpToken` accepts).
pub fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| TOKEN[b as usize])
}

/// The index in [`METHODS`] of `m`, compared exactly (methods are case-sensitive).
pub(crate) fn method_index(m: &[u8]) -> Option<usize> {
    METHODS.iter().position(|x| x.as_bytes() == m)
}

/// The value of one hexadecimal digit (either case), or `None`.
#[inline]
pub(crate) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_are_nodes_35_sorted() {
        assert_eq!(METHODS.len(), 35);
        assert!(METHODS.windows(2).all(|w| w[0] < w[1]));
        assert!(METHODS.contains(&"QUERY") && METHODS.contains(&"M-SEARCH"));
    }

    #[test]
    fn status_codes_are_nodes_63_ascending() {
        assert_eq!(STATUS_CODES.len(), 63);
        assert!(STATUS_CODES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(status_text(413), Some("Payload Too Large"));
        assert_eq!(status_text(509), Some("Bandwidth Limit Exceeded"));
        assert_eq!(status_text(600), None);
    }

    #[test]
    fn token_table_matches_rfc9110() {
        assert!(is_token(b"X-Custom_Header.1~"));
        for bad in [
            &b"a b"[..],
            b"a:b",
            b"",
            b"a\x7f",
            b"caf\xe9",
            b"(x)",
            b"a@b",
        ] {
            assert!(!is_token(bad), "{bad:?}");
        }
    }

    #[test]
    fn field_value_table_allows_tab_and_obs_text_only() {
        assert!(FIELD_VALUE[b'\t' as usize] && FIELD_VALUE[0xe9] && FIELD_VALUE[b' ' as usize]);
        for b in [0u8, b'\r', b'\n', 0x01, 0x7f] {
            assert!(!FIELD_VALUE[b as usize]);
        }
    }
}
