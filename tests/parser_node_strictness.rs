//! Node 20's verdict on raw requests, measured by ../shared/node-probes/probe-parser-strictness.js
//! (results in NODE-SEMANTICS.md §6), checked against our parser: the same `HPE_*` code, whether
//! the head was delivered before the error (Node's 'request' event fired), and the missing-Host
//! verdict that makes the server answer 400 (for that one case the parser delivers the head and
//! flags it; the server, not the parser, suppresses Node's 'request' event).

use stdhttp::parser::{parse_all, parse_chunks, Kind, Limits};

struct Case {
    label: &'static str,
    input: Vec<u8>,
    eof: bool,
    code: Option<&'static str>,
    head_delivered: bool,
    host_missing: bool,
}

fn cases() -> Vec<Case> {
    vec![
        Case { label: "baseline GET", input: b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "baseline POST CL body", input: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "CL + TE: chunked together", input: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_TRANSFER_ENCODING"), head_delivered: false, host_missing: false },
        Case { label: "TE: chunked + CL (reverse order)", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_CONTENT_LENGTH"), head_delivered: false, host_missing: false },
        Case { label: "duplicate CL, same value", input: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc".to_vec(), eof: false, code: Some("HPE_UNEXPECTED_CONTENT_LENGTH"), head_delivered: false, host_missing: false },
        Case { label: "duplicate CL, different values", input: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd".to_vec(), eof: false, code: Some("HPE_UNEXPECTED_CONTENT_LENGTH"), head_delivered: false, host_missing: false },
        Case { label: "CL list \"3, 3\"", input: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc".to_vec(), eof: false, code: Some("HPE_INVALID_CONTENT_LENGTH"), head_delivered: false, host_missing: false },
        Case { label: "CL \"+3\"", input: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc".to_vec(), eof: false, code: Some("HPE_INVALID_CONTENT_LENGTH"), head_delivered: false, host_missing: false },
        Case { label: "CL \"-1\"", input: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_CONTENT_LENGTH"), head_delivered: false, host_missing: false },
        Case { label: "CL \"3 \" (trailing space)", input: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3 \r\n\r\nabc".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "CL \"0x3\"", input: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x3\r\n\r\nabc".to_vec(), eof: false, code: Some("HPE_INVALID_CONTENT_LENGTH"), head_delivered: false, host_missing: false },
        Case { label: "CL empty", input: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_CONTENT_LENGTH"), head_delivered: false, host_missing: false },
        Case { label: "CL 20 digits (overflow)", input: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_CONTENT_LENGTH"), head_delivered: false, host_missing: false },
        Case { label: "CL 1e15 (huge, valid u64)", input: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000000\r\n\r\nabc".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "obs-fold continuation line", input: b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  b\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_HEADER_TOKEN"), head_delivered: false, host_missing: false },
        Case { label: "bare LF everywhere", input: b"GET / HTTP/1.1\nHost: x\n\n".to_vec(), eof: false, code: Some("HPE_INVALID_VERSION"), head_delivered: false, host_missing: false },
        Case { label: "bare LF only in header lines", input: b"GET / HTTP/1.1\r\nHost: x\nX-A: 1\r\n\r\n".to_vec(), eof: false, code: Some("HPE_CR_EXPECTED"), head_delivered: false, host_missing: false },
        Case { label: "bare LF terminating headers", input: b"GET / HTTP/1.1\r\nHost: x\r\n\n".to_vec(), eof: false, code: Some("HPE_INVALID_HEADER_TOKEN"), head_delivered: false, host_missing: false },
        Case { label: "bare CR in header value", input: b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n".to_vec(), eof: false, code: Some("HPE_LF_EXPECTED"), head_delivered: false, host_missing: false },
        Case { label: "space before colon", input: b"GET / HTTP/1.1\r\nHost : x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_HEADER_TOKEN"), head_delivered: false, host_missing: false },
        Case { label: "tab before colon", input: b"GET / HTTP/1.1\r\nHost: x\r\nX-A\t: 1\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_HEADER_TOKEN"), head_delivered: false, host_missing: false },
        Case { label: "no space after colon", input: b"GET / HTTP/1.1\r\nHost:x\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "header line without colon", input: b"GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_HEADER_TOKEN"), head_delivered: false, host_missing: false },
        Case { label: "empty header name \": v\"", input: b"GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_HEADER_TOKEN"), head_delivered: false, host_missing: false },
        Case { label: "header name with space", input: b"GET / HTTP/1.1\r\nHost: x\r\nX A: v\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_HEADER_TOKEN"), head_delivered: false, host_missing: false },
        Case { label: "header name with \"@\"", input: b"GET / HTTP/1.1\r\nHost: x\r\nX@A: v\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_HEADER_TOKEN"), head_delivered: false, host_missing: false },
        Case { label: "header name non-ASCII byte 0xE9", input: b"GET / HTTP/1.1\r\nHost: x\r\nX\xe9: v\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_HEADER_TOKEN"), head_delivered: false, host_missing: false },
        Case { label: "leading whitespace before first header", input: b"GET / HTTP/1.1\r\n Host: x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_UNEXPECTED_SPACE"), head_delivered: false, host_missing: false },
        Case { label: "header value NUL byte", input: b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_HEADER_TOKEN"), head_delivered: false, host_missing: false },
        Case { label: "header value 0x01 CTL", input: b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_HEADER_TOKEN"), head_delivered: false, host_missing: false },
        Case { label: "header value DEL 0x7F", input: b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_HEADER_TOKEN"), head_delivered: false, host_missing: false },
        Case { label: "header value tab inside", input: b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\tb\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "header value obs-text 0xE9", input: b"GET / HTTP/1.1\r\nHost: x\r\nX-A: caf\xe9\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "header value empty", input: b"GET / HTTP/1.1\r\nHost: x\r\nX-A:\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "method with \"@\"", input: b"G@T / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_METHOD"), head_delivered: false, host_missing: false },
        Case { label: "lowercase method \"get\"", input: b"get / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_METHOD"), head_delivered: false, host_missing: false },
        Case { label: "unknown method FOO", input: b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_METHOD"), head_delivered: false, host_missing: false },
        Case { label: "method QUERY", input: b"QUERY / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "method PATCH", input: b"PATCH / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "method M-SEARCH", input: b"M-SEARCH * HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "NUL in URL", input: b"GET /a\x00b HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_URL"), head_delivered: false, host_missing: false },
        Case { label: "tab in URL", input: b"GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_URL"), head_delivered: false, host_missing: false },
        Case { label: "raw 0xE9 byte in URL", input: b"GET /caf\xe9 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_URL"), head_delivered: false, host_missing: false },
        Case { label: "\"#\" fragment in URL", input: b"GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "double space after method", input: b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "absolute-form URL", input: b"GET http://example.com/p?q=1 HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "asterisk-form OPTIONS *", input: b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "empty URL", input: b"GET  HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_URL"), head_delivered: false, host_missing: false },
        Case { label: "HTTP/1.0", input: b"GET / HTTP/1.0\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "HTTP/0.9 (no version)", input: b"GET /\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "HTTP/1.2", input: b"GET / HTTP/1.2\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_VERSION"), head_delivered: false, host_missing: false },
        Case { label: "HTTP/2.0", input: b"GET / HTTP/2.0\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "HTTP/3.0", input: b"GET / HTTP/3.0\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_VERSION"), head_delivered: false, host_missing: false },
        Case { label: "HTTP/1.10", input: b"GET / HTTP/1.10\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_VERSION"), head_delivered: false, host_missing: false },
        Case { label: "lowercase \"http/1.1\"", input: b"GET / http/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_CONSTANT"), head_delivered: false, host_missing: false },
        Case { label: "trailing space after version", input: b"GET / HTTP/1.1 \r\nHost: x\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_VERSION"), head_delivered: false, host_missing: false },
        Case { label: "leading CRLF before request line", input: b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "HTTP/1.1 missing Host", input: b"GET / HTTP/1.1\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: true },
        Case { label: "HTTP/1.1 two Host headers", input: b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "HTTP/1.1 empty Host", input: b"GET / HTTP/1.1\r\nHost:\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "chunked baseline", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "chunk extension \";foo=bar\"", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;foo=bar\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "chunk extension quoted", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;foo=\"b r\"\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "chunk size invalid hex \"zz\"", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_CHUNK_SIZE"), head_delivered: true, host_missing: false },
        Case { label: "chunk size \"0x3\"", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0x3\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_CHUNK_SIZE"), head_delivered: true, host_missing: false },
        Case { label: "chunk size with trailing space \"3 \"", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3 \r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_CHUNK_SIZE"), head_delivered: true, host_missing: false },
        Case { label: "chunk size with leading space \" 3\"", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n 3\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_CHUNK_SIZE"), head_delivered: true, host_missing: false },
        Case { label: "chunk size uppercase hex \"A\"", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "chunk size overflow 17 hex digits", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\nabc\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_CHUNK_SIZE"), head_delivered: true, host_missing: false },
        Case { label: "chunk data missing CRLF", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX0\r\n\r\n".to_vec(), eof: false, code: Some("HPE_STRICT"), head_delivered: true, host_missing: false },
        Case { label: "chunk with bare LF after size", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: Some("HPE_CR_EXPECTED"), head_delivered: true, host_missing: false },
        Case { label: "chunked with trailers", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: v\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "chunked trailer with bad token", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX T: v\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_HEADER_TOKEN"), head_delivered: true, host_missing: false },
        Case { label: "TE: gzip, chunked", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "TE: chunked, gzip (chunked not last)", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_TRANSFER_ENCODING"), head_delivered: false, host_missing: false },
        Case { label: "TE: gzip only (request)", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc".to_vec(), eof: false, code: Some("HPE_INVALID_TRANSFER_ENCODING"), head_delivered: true, host_missing: false },
        Case { label: "TE: identity", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\nabc".to_vec(), eof: false, code: Some("HPE_INVALID_TRANSFER_ENCODING"), head_delivered: true, host_missing: false },
        Case { label: "TE: \"Chunked\" (case)", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "TE: \"chunked \" trailing space", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked \r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "TE: \"xchunked\"", input: b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_TRANSFER_ENCODING"), head_delivered: true, host_missing: false },
        Case { label: "TE chunked on HTTP/1.0", input: b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "chunk-ext longer than 16KiB", input: [b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;".to_vec(), vec![b'a'; 17000], b"\r\nabc\r\n0\r\n\r\n".to_vec()].concat(), eof: false, code: Some("HPE_CHUNK_EXTENSIONS_OVERFLOW"), head_delivered: true, host_missing: false },
        Case { label: "url+names+values = 16383 bytes (limit-1)", input: [b"GET / HTTP/1.1\r\nHost: x\r\nX-Fill: ".to_vec(), vec![b'a'; 16371], b"\r\n\r\n".to_vec()].concat(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "url+names+values = 16384 bytes (= limit)", input: [b"GET / HTTP/1.1\r\nHost: x\r\nX-Fill: ".to_vec(), vec![b'a'; 16372], b"\r\n\r\n".to_vec()].concat(), eof: false, code: Some("HPE_HEADER_OVERFLOW"), head_delivered: false, host_missing: false },
        Case { label: "url+names+values = 17000 bytes", input: [b"GET / HTTP/1.1\r\nHost: x\r\nX-Fill: ".to_vec(), vec![b'a'; 16988], b"\r\n\r\n".to_vec()].concat(), eof: false, code: Some("HPE_HEADER_OVERFLOW"), head_delivered: false, host_missing: false },
        Case { label: "request line (URL) 17000 bytes", input: [b"GET /".to_vec(), vec![b'a'; 17000], b" HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()].concat(), eof: false, code: Some("HPE_HEADER_OVERFLOW"), head_delivered: false, host_missing: false },
        Case { label: "URL 8000 bytes", input: [b"GET /".to_vec(), vec![b'a'; 8000], b" HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()].concat(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "PRI * HTTP/2.0 preface", input: b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec(), eof: false, code: Some("HPE_PAUSED_H2_UPGRADE"), head_delivered: false, host_missing: false },
        Case { label: "GET with Content-Length body then pipelined GET", input: b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhelloGET /second HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "Connection: close request", input: b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(), eof: false, code: None, head_delivered: true, host_missing: false },
        Case { label: "request bytes then EOF mid-headers", input: b"GET / HTTP/1.1\r\nHost: x\r\nX-Part".to_vec(), eof: true, code: Some("HPE_INVALID_EOF_STATE"), head_delivered: false, host_missing: false },
        Case { label: "body shorter than CL then EOF", input: b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc".to_vec(), eof: true, code: Some("HPE_INVALID_EOF_STATE"), head_delivered: true, host_missing: false },
        Case { label: "garbage line", input: b"HELLO\r\n\r\n".to_vec(), eof: false, code: Some("HPE_INVALID_METHOD"), head_delivered: false, host_missing: false },
        Case { label: "binary junk", input: b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03".to_vec(), eof: false, code: Some("HPE_INVALID_METHOD"), head_delivered: false, host_missing: false },
    ]
}

#[test]
fn every_probed_request_gets_nodes_verdict() {
    let mut failures = Vec::new();
    for c in cases() {
        let got = parse_all(Kind::Request, Limits::default(), &c.input, c.eof);
        let code = got.error.as_ref().map(|e| e.code().as_str());
        let delivered = got.messages.first().is_some_and(|m| m.headers_complete);
        let host_missing = got.messages.first().is_some_and(|m| m.host_missing);
        if code != c.code || delivered != c.head_delivered || host_missing != c.host_missing {
            failures.push(format!(
                "{}: code {:?} (Node {:?}), head delivered {} (Node {}), host missing {} (Node {})",
                c.label, code, c.code, delivered, c.head_delivered, host_missing, c.host_missing
            ));
        }
        let dripped: Vec<&[u8]> = c.input.chunks(1).collect();
        let split = parse_chunks(Kind::Request, Limits::default(), &dripped, c.eof, false);
        if split != got {
            failures.push(format!("{}: byte-at-a-time result differs", c.label));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
