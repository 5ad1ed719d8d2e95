//! The request line (`METHOD target HTTP/x.y`) and the status line (`HTTP/x.y code reason`).
#![forbid(unsafe_code)]

use super::*;

impl Parser {
    /// One step in the request or status line.
    /// Returns true when `execute` must return now (pause, hand-over).
    pub(super) fn step_start_line<H: Handler>(
        &mut self,
        data: &[u8],
        pos: &mut usize,
        h: &mut H,
    ) -> Result<bool, ParseError> {
        let len = data.len();
        let p = *pos;
        let b = data[p];
        match self.state {
            State::MessageStart => {
                if b == b'\r' || b == b'\n' {
                    *pos += 1;
                    return Ok(false);
                }
                self.begin_message(p);
                self.state = match self.kind {
                    Kind::Request => State::Method,
                    Kind::Response => State::Protocol,
                };
                if h.on_message_begin() == Flow::Pause {
                    return Ok(true);
                }
            }
            State::Method => {
                let run = scan_token(data, p);
                // like llhttp, reject at the first byte that no method continues with
                for (i, &c) in data[p..run].iter().enumerate() {
                    let n = self.msg.method_len as usize;
                    if n == self.msg.method_buf.len()
                        || !is_method_prefix(&self.msg.method_buf[..n], c)
                    {
                        return Err(self.err(p + i, ErrorCode::InvalidMethod, "Invalid method"));
                    }
                    self.msg.method_buf[n] = c;
                    self.msg.method_len += 1;
                }
                *pos = run;
                if run == len {
                    return Ok(false);
                }
                let m = &self.msg.method_buf[..self.msg.method_len as usize];
                if data[run] != b' ' || m.is_empty() {
                    return Err(self.err(
                        run,
                        ErrorCode::InvalidMethod,
                        "Expected space after method",
                    ));
                }
                if m == b"PRI" {
                    self.msg.method = None;
                } else {
                    self.msg.method = method_index(m);
                    if self.msg.method.is_none() {
                        return Err(self.err(run, ErrorCode::InvalidMethod, "Invalid method"));
                    }
                }
                *pos = run + 1;
                self.state = State::SpacesBeforeTarget;
            }
            State::SpacesBeforeTarget => {
                if b == b' ' {
                    *pos += 1;
                    return Ok(false);
                }
                self.msg.url.start = self.at(p);
                self.state = State::TargetStart;
            }
            State::TargetStart => {
                self.state = if self.is_connect() {
                    State::Server
                } else if b == b'/' || b == b'*' {
                    State::Target
                } else if b.is_ascii_alphabetic() {
                    State::Schema
                } else {
                    return Err(self.err(p, ErrorCode::InvalidUrl, "Unexpected start char in url"));
                };
            }
            State::Schema => {
                let run = scan_alpha(data, p);
                if self.counted_run(data, pos, p, run)? {
                    return Ok(false);
                }
                if data[run] != b':' {
                    return Err(self.err(
                        run,
                        ErrorCode::InvalidUrl,
                        "Unexpected char in url schema",
                    ));
                }
                self.take_counted(b":", run)?;
                *pos = run + 1;
                self.state = State::SchemaSlash1;
            }
            State::SchemaSlash1 | State::SchemaSlash2 => {
                if b != b'/' {
                    return Err(self.err(
                        p,
                        ErrorCode::InvalidUrl,
                        "Unexpected char in url schema",
                    ));
                }
                self.take_counted(b"/", p)?;
                *pos += 1;
                self.state = if self.state == State::SchemaSlash1 {
                    State::SchemaSlash2
                } else {
                    State::Server
                };
            }
            State::Server => {
                let run = scan(data, p, &SERVER);
                if self.counted_run(data, pos, p, run)? {
                    return Ok(false);
                }
                match data[run] {
                    b'/' | b'?' | b' ' | b'\r' | b'\n' => self.state = State::Target,
                    _ => {
                        return Err(self.err(
                            run,
                            ErrorCode::InvalidUrl,
                            "Invalid char in url server",
                        ))
                    }
                }
            }
            State::Target => {
                let run = scan_target(data, p);
                if self.counted_run(data, pos, p, run)? {
                    return Ok(false);
                }
                self.msg.url.end = self.at(run);
                if self.msg.url.end == self.msg.url.start {
                    return Err(self.err(run, ErrorCode::InvalidUrl, "Empty url"));
                }
                if self.msg.method.is_none() && data[run] != b' ' {
                    // PRI is only let through for the HTTP/2 preface's version check
                    return Err(self.err(run, ErrorCode::InvalidMethod, "Invalid method"));
                }
                match data[run] {
                    b' ' => {
                        *pos = run + 1;
                        self.msg.proto_idx = 0;
                        self.state = State::Protocol;
                    }
                    b'\r' => {
                        *pos = run + 1;
                        self.state = State::TargetLf;
                    }
                    b'\n' => {
                        *pos = run + 1;
                        self.set_http09();
                        self.state = State::FieldStart;
                    }
                    _ => {
                        return Err(self.err(
                            run,
                            ErrorCode::InvalidUrl,
                            "Invalid char in url path",
                        ))
                    }
                }
            }
            State::TargetLf => {
                if b != b'\n' {
                    return Err(self.err(p, ErrorCode::InvalidUrl, "Expected LF after CR in url"));
                }
                *pos += 1;
                self.set_http09();
                self.state = State::FieldStart;
            }
            State::Protocol => {
                let idx = self.msg.proto_idx as usize;
                if idx == 0 && self.kind == Kind::Request {
                    match b {
                        b' ' => {
                            *pos += 1;
                            return Ok(false);
                        }
                        b'\t' => {
                            return Err(self.err(p, ErrorCode::InvalidUrl, "Invalid char in url"))
                        }
                        _ => {}
                    }
                }
                let expected: &[u8] = match (idx, b) {
                    (0, b'R') => PROTO_RTSP,
                    (0, b'I') => PROTO_ICE,
                    (0, _) => PROTO_HTTP,
                    _ => match self.msg.protocol {
                        "RTSP" => PROTO_RTSP,
                        "ICE" => PROTO_ICE,
                        _ => PROTO_HTTP,
                    },
                };
                if idx == 0 {
                    self.msg.protocol = match expected {
                        PROTO_RTSP => "RTSP",
                        PROTO_ICE => "ICE",
                        _ => "HTTP",
                    };
                }
                if expected.get(idx) != Some(&b) {
                    return Err(self.err(
                        p,
                        ErrorCode::InvalidConstant,
                        "Expected HTTP/, RTSP/ or ICE/",
                    ));
                }
                *pos += 1;
                self.msg.proto_idx += 1;
                if self.msg.proto_idx as usize == expected.len() {
                    self.check_protocol_method(p)?;
                    self.state = State::VersionMajor;
                }
            }
            State::VersionMajor => {
                if !b.is_ascii_digit() {
                    return Err(self.err(p, ErrorCode::InvalidVersion, "Invalid major version"));
                }
                self.msg.major = b - b'0';
                *pos += 1;
                self.state = State::VersionDot;
            }
            State::VersionDot => {
                if b != b'.' {
                    return Err(self.err(p, ErrorCode::InvalidVersion, "Expected dot"));
                }
                *pos += 1;
                self.state = State::VersionMinor;
            }
            State::VersionMinor => {
                if !b.is_ascii_digit() {
                    return Err(self.err(p, ErrorCode::InvalidVersion, "Invalid minor version"));
                }
                self.msg.minor = b - b'0';
                if !matches!(
                    (self.msg.major, self.msg.minor),
                    (0, 9) | (1, 0) | (1, 1) | (2, 0)
                ) {
                    return Err(self.err(p, ErrorCode::InvalidVersion, "Invalid HTTP version"));
                }
                *pos += 1;
                self.state = match self.kind {
                    Kind::Request => State::RequestLineEnd,
                    Kind::Response => State::AfterStatus,
                };
            }
            State::RequestLineEnd => {
                if b != b'\r' {
                    return Err(self.err(
                        p,
                        ErrorCode::InvalidVersion,
                        "Expected CRLF after version",
                    ));
                }
                if self.msg.protocol == "HTTP" && self.msg.method.is_none() {
                    return Err(self.err(p, ErrorCode::PausedH2Upgrade, "Pause on PRI/Upgrade"));
                }
                *pos += 1;
                self.state = State::StartLineLf;
            }
            State::StartLineLf => {
                if b != b'\n' {
                    let reason = match self.kind {
                        Kind::Request => "Expected CRLF after version",
                        Kind::Response => "Expected LF after CR",
                    };
                    return Err(self.err(p, ErrorCode::Strict, reason));
                }
                *pos += 1;
                self.state = State::FieldStart;
            }
            State::StatusCode => {
                if b.is_ascii_digit() && self.msg.status_digits < 3 {
                    self.msg.status = self.msg.status * 10 + (b - b'0') as u16;
                    self.msg.status_digits += 1;
                    *pos += 1;
                    return Ok(false);
                }
                if self.msg.status_digits != 3 {
                    return Err(self.err(p, ErrorCode::InvalidStatus, "Invalid status code"));
                }
                match b {
                    b' ' => {
                        *pos += 1;
                        self.msg.reason.start = self.at(p + 1);
                        self.msg.reason.end = self.msg.reason.start;
                        self.state = State::Reason;
                    }
                    b'\r' => {
                        *pos += 1;
                        self.state = State::StartLineLf;
                    }
                    _ => return Err(self.err(p, ErrorCode::InvalidStatus, "Invalid status code")),
                }
            }
            State::AfterStatus => {
                // between the version and the status code: exactly one space
                if b != b' ' {
                    return Err(self.err(
                        p,
                        ErrorCode::InvalidVersion,
                        "Expected space after version",
                    ));
                }
                *pos += 1;
                self.msg.status_digits = 0;
                self.msg.status = 0;
                self.state = State::StatusCode;
            }
            State::Reason => {
                // llhttp takes any byte but CR and LF in a reason phrase
                let run = scan_line_end(data, p);
                if self.counted_run(data, pos, p, run)? {
                    return Ok(false);
                }
                self.msg.reason.end = self.at(run);
                match data[run] {
                    b'\r' => {
                        *pos = run + 1;
                        self.state = State::StartLineLf;
                    }
                    b'\n' => {
                        return Err(self.err(
                            run,
                            ErrorCode::CrExpected,
                            "Missing expected CR after response line",
                        ))
                    }
                    _ => {}
                }
            }
            _ => return Err(self.err(p, ErrorCode::Strict, "Unexpected parser state")),
        }
        Ok(false)
    }

    /// Node 20 takes `RTSP/x.x` request lines for GET, OPTIONS and POST, and `ICE/x.x` for
    /// SOURCE (measured); any other pairing is `HPE_INVALID_CONSTANT`.
    pub(super) fn check_protocol_method(&self, at: usize) -> Step {
        if self.kind == Kind::Response {
            return Ok(());
        }
        let ok = match self.msg.protocol {
            "RTSP" => self.method_is("GET") || self.method_is("OPTIONS") || self.method_is("POST"),
            "ICE" => self.method_is("SOURCE"),
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(self.err(
                at,
                ErrorCode::InvalidConstant,
                "Invalid method for this protocol",
            ))
        }
    }

    pub(super) fn method_is(&self, m: &str) -> bool {
        self.msg.method.and_then(|i| METHODS.get(i)) == Some(&m)
    }

    /// `method_is("CONNECT")` without comparing strings (it is asked for every message).
    #[inline(always)]
    pub(super) fn is_connect(&self) -> bool {
        self.msg.method == Some(CONNECT)
    }

    pub(super) fn set_http09(&mut self) {
        self.msg.major = 0;
        self.msg.minor = 9;
    }
}

fn scan_alpha(data: &[u8], from: usize) -> usize {
    let mut i = from;
    while i < data.len() && data[i].is_ascii_alphabetic() {
        i += 1;
    }
    i
}

const PROTO_HTTP: &[u8] = b"HTTP/";

const PROTO_RTSP: &[u8] = b"RTSP/";

const PROTO_ICE: &[u8] = b"ICE/";

/// Whether some method (or `PRI`, for the HTTP/2 preface) starts with `prefix` then `c`.
fn is_method_prefix(prefix: &[u8], c: u8) -> bool {
    let n = prefix.len();
    METHODS
        .iter()
        .map(|m| m.as_bytes())
        .chain([&b"PRI"[..]])
        .any(|m| m.len() > n && m[n] == c && m.starts_with(prefix))
}

/// The index of CONNECT in [`METHODS`].
const CONNECT: usize = 3;

#[test]
fn connect_index_is_connect() {
    assert_eq!(METHODS[CONNECT], "CONNECT");
}
