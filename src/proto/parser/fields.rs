//! Header and trailer sections: field syntax, Node's framing rules (Content-Length,
//! Transfer-Encoding, Connection), and the end of the head (body framing, keep-alive, upgrade).
#![forbid(unsafe_code)]

use super::*;

impl Parser {
    /// One step in a header or trailer section.
    /// Returns true when `execute` must return now (pause, hand-over).
    pub(super) fn step_fields<H: Handler>(
        &mut self,
        data: &[u8],
        pos: &mut usize,
        h: &mut H,
    ) -> Result<bool, ParseError> {
        let p = *pos;
        let b = data[p];
        match self.state {
            State::FieldStart => match b {
                b'\r' => {
                    *pos += 1;
                    self.state = State::SectionLf;
                }
                b'\n' => {
                    return Err(self.err(p, ErrorCode::InvalidHeaderToken, "Invalid header token"))
                }
                b' ' | b'\t' => {
                    // Node 20: a space (not a tab) opening the first field line is its own error
                    return Err(if self.msg.first_line && b == b' ' {
                        self.err(
                            p,
                            ErrorCode::UnexpectedSpace,
                            "Unexpected space after start line",
                        )
                    } else {
                        self.err(
                            p,
                            ErrorCode::InvalidHeaderToken,
                            "Unexpected whitespace after header value",
                        )
                    });
                }
                _ => {
                    self.cur_name.start = self.at(p);
                    self.state = State::FieldName;
                }
            },
            State::FieldName => {
                let run = scan_token(data, p);
                if self.counted_run(data, pos, p, run)? {
                    return Ok(false);
                }
                self.cur_name.end = self.at(run);
                if data[run] != b':' || self.cur_name.end == self.cur_name.start {
                    return Err(self.err(
                        run,
                        ErrorCode::InvalidHeaderToken,
                        "Invalid header token",
                    ));
                }
                *pos = run + 1;
                self.settle(data, run);
                self.special = classify(head_bytes(&self.buf, self.base, data, self.cur_name));
                self.state = State::ValueStart;
            }
            State::ValueStart => match b {
                b' ' | b'\t' => *pos += 1,
                b'\r' => {
                    *pos += 1;
                    self.value_start = self.at(p);
                    self.value_end = self.value_start;
                    self.state = State::ValueLf;
                }
                _ if FIELD_VALUE[b as usize] => {
                    self.value_start = self.at(p);
                    self.state = State::Value;
                }
                _ => {
                    self.value_start = self.at(p);
                    return Err(self.value_error(data, p, b == b'\n'));
                }
            },
            State::Value => {
                let run = scan_value(data, p);
                if self.counted_run(data, pos, p, run)? {
                    return Ok(false);
                }
                match data[run] {
                    b'\r' => {
                        *pos = run + 1;
                        self.value_end = self.at(run);
                        self.state = State::ValueLf;
                    }
                    c => return Err(self.value_error(data, run, c == b'\n')),
                }
            }
            State::ValueLf => {
                if b != b'\n' {
                    return Err(if self.special == Special::ContentLength {
                        self.err(
                            p,
                            ErrorCode::InvalidContentLength,
                            "Missing expected LF after Content-Length",
                        )
                    } else if self.value_start == self.value_end {
                        self.err(p, ErrorCode::Strict, "Expected LF after CR")
                    } else {
                        self.err(
                            p,
                            ErrorCode::LfExpected,
                            "Missing expected LF after header value",
                        )
                    });
                }
                *pos += 1;
                self.end_field(data, p, None)?;
                self.msg.first_line = false;
                self.state = State::FieldStart;
            }
            State::SectionLf => {
                if b != b'\n' {
                    return Err(self.err(p, ErrorCode::Strict, "Expected LF after headers"));
                }
                *pos += 1;
                if self.msg.in_trailers {
                    self.settle(data, p + 1);
                    self.collecting = false;
                    let flow = {
                        let fields = Fields {
                            buf: self.head(data),
                            spans: &self.fields,
                        };
                        h.on_trailers(&fields)
                    };
                    if self.complete_message(h, flow) {
                        return Ok(true);
                    }
                } else if self.headers_complete(data, p, h)? {
                    return Ok(true);
                }
            }
            _ => return Err(self.err(p, ErrorCode::Strict, "Unexpected parser state")),
        }
        Ok(false)
    }

    /// The head collected so far, from its first byte: `buf` when it arrived in pieces,
    /// else straight from the input.
    #[inline(always)]
    pub(super) fn head<'a>(&'a self, data: &'a [u8]) -> &'a [u8] {
        if self.buf.is_empty() {
            data.get(self.base..).unwrap_or_default()
        } else {
            &self.buf
        }
    }

    /// Brings the whole head so far into `buf` when part of it is there already, so a span
    /// never straddles `buf` and `data`.
    #[inline]
    pub(super) fn settle(&mut self, data: &[u8], upto: usize) {
        if !self.buf.is_empty() {
            self.flush(data, upto);
        }
    }

    /// A header or trailer line ended (its LF at input index `at`): trim, apply the framing
    /// rules, keep or drop. `trailing_ws` is how many spaces/tabs end the value, when the
    /// caller knows.
    #[inline(always)]
    pub(super) fn end_field(&mut self, data: &[u8], at: usize, trailing_ws: Option<u32>) -> Step {
        self.settle(data, at);
        let raw = Span {
            start: self.value_start,
            end: self.value_end,
        };
        let value = match trailing_ws {
            Some(n) => Span {
                start: raw.start,
                end: raw.end - n,
            },
            None => {
                let kept = trim_end_ws(head_bytes(&self.buf, self.base, data, raw)).len();
                Span {
                    start: raw.start,
                    end: raw.start + kept as u32,
                }
            }
        };
        // llhttp runs trailer fields through the same rules: Content-Length there clashes
        // with Transfer-Encoding, `Connection: close` ends the connection, ...
        if !matches!(self.special, Special::None | Special::Host) {
            let bytes = head_bytes(&self.buf, self.base, data, raw);
            match self.plain_special(bytes) {
                Some(Plain::Length(n)) => self.msg.content_length = Some(n),
                Some(Plain::KeepAlive) => self.msg.conn_keep_alive = true,
                Some(Plain::Close) => self.msg.conn_close = true,
                None => self.apply_special(data, raw, at)?,
            }
        }
        let max = self.limits.max_headers_count;
        if max == 0 || self.fields.len() < max {
            // Node looks for Host among the kept lines only
            self.msg.host_seen |= self.special == Special::Host && !self.msg.in_trailers;
            self.fields.push(FieldSpan {
                name: self.cur_name,
                value,
            });
        }
        Ok(())
    }

    /// The common, valid cases of the framing headers, decided inline: a first
    /// Content-Length of up to 19 digits without Transfer-Encoding, and `Connection:
    /// keep-alive` or `close`. `None` for everything else ([`Self::apply_special`]).
    #[inline(always)]
    fn plain_special(&self, raw: &[u8]) -> Option<Plain> {
        match self.special {
            Special::ContentLength
                if self.msg.content_length.is_none()
                    && !self.msg.te_present
                    && !raw.is_empty()
                    && raw.len() < 20
                    && raw.iter().all(u8::is_ascii_digit) =>
            {
                parse_decimal(raw).map(Plain::Length)
            }
            Special::Connection if is_word(raw, b"keep-alive") => Some(Plain::KeepAlive),
            Special::Connection if is_word(raw, b"close") => Some(Plain::Close),
            _ => None,
        }
    }

    pub(super) fn apply_special(&mut self, data: &[u8], value: Span, at: usize) -> Step {
        // the untrimmed value: Node 20 accepts trailing spaces, not tabs, after tokens
        let raw = head_bytes(&self.buf, self.base, data, value);
        match self.special {
            Special::ContentLength => {
                // llhttp's order: an empty value or a first byte that is not a digit, then a
                // duplicate, then the clash with Transfer-Encoding, then the digits
                let digits = trim_end_spaces(raw);
                if digits.is_empty() {
                    return Err(self.err(
                        at,
                        ErrorCode::InvalidContentLength,
                        "Empty Content-Length",
                    ));
                }
                if self.msg.content_length.is_some() && digits[0].is_ascii_digit() {
                    return Err(self.err(
                        at,
                        ErrorCode::UnexpectedContentLength,
                        "Duplicate Content-Length",
                    ));
                }
                if self.msg.te_present {
                    return Err(self.err(
                        at,
                        ErrorCode::InvalidContentLength,
                        "Content-Length can't be present with Transfer-Encoding",
                    ));
                }
                if !digits.iter().all(u8::is_ascii_digit) {
                    return Err(self.err(
                        at,
                        ErrorCode::InvalidContentLength,
                        "Invalid character in Content-Length",
                    ));
                }
                let Some(n) = parse_decimal(digits) else {
                    return Err(self.err(
                        at,
                        ErrorCode::InvalidContentLength,
                        "Content-Length overflow",
                    ));
                };
                self.msg.content_length = Some(n);
            }
            Special::TransferEncoding => {
                if self.msg.content_length.is_some() {
                    return Err(self.err(
                        at,
                        ErrorCode::InvalidTransferEncoding,
                        "Transfer-Encoding can't be present with Content-Length",
                    ));
                }
                if trim_spaces(raw).is_empty() {
                    // llhttp ignores an empty Transfer-Encoding (after the CL clash check)
                    return Ok(());
                }
                self.msg.te_present = true;
                let (chunked, followed) = chunked_last(self.msg.chunked, raw);
                if followed && self.kind == Kind::Request {
                    return Err(self.err(
                        at,
                        ErrorCode::InvalidTransferEncoding,
                        "Invalid `Transfer-Encoding` header value",
                    ));
                }
                self.msg.chunked = chunked;
            }
            Special::Connection => {
                let value = trim_end_spaces(raw);
                if is_word(value, b"keep-alive") {
                    self.msg.conn_keep_alive = true;
                    return Ok(());
                }
                for token in raw.split(|&c| c == b',') {
                    let token = trim_spaces(token);
                    if is_word(token, b"close") {
                        self.msg.conn_close = true;
                    } else if is_word(token, b"keep-alive") {
                        self.msg.conn_keep_alive = true;
                    } else if is_word(token, b"upgrade") {
                        self.msg.conn_upgrade = true;
                    }
                }
            }
            Special::Upgrade => self.msg.has_upgrade |= !trim_spaces(raw).is_empty(),
            Special::None | Special::Host => {}
        }
        Ok(())
    }

    pub(super) fn body_kind(&self) -> BodyFraming {
        if self.kind == Kind::Response
            && (self.msg.status / 100 == 1 || self.msg.status == 204 || self.msg.status == 304)
        {
            return BodyFraming::None;
        }
        if self.msg.chunked {
            return BodyFraming::Chunked;
        }
        if self.msg.te_present {
            // a request here is rejected after on_headers_complete
            return match self.kind {
                Kind::Request => BodyFraming::None,
                Kind::Response => BodyFraming::UntilClose,
            };
        }
        match (self.msg.content_length, self.kind) {
            (Some(0), _) | (None, Kind::Request) => BodyFraming::None,
            (Some(n), _) => BodyFraming::Length(n),
            (None, Kind::Response) => BodyFraming::UntilClose,
        }
    }

    pub(super) fn compute_keep_alive(&self, body: BodyFraming) -> bool {
        let persistent = if self.msg.major > 0 && self.msg.minor > 0 {
            !self.msg.conn_close
        } else {
            self.msg.conn_keep_alive
        };
        persistent && body != BodyFraming::UntilClose
    }

    /// The head ended (LF of the empty line at `at`). Returns true when `execute` must return.
    pub(super) fn headers_complete<H: Handler>(
        &mut self,
        data: &[u8],
        at: usize,
        h: &mut H,
    ) -> Result<bool, ParseError> {
        self.settle(data, at + 1);
        self.collecting = false;
        let body = self.body_kind();
        self.msg.keep_alive = self.compute_keep_alive(body);
        self.msg.upgrade = match self.kind {
            Kind::Request => self.is_connect() || (self.msg.has_upgrade && self.msg.conn_upgrade),
            Kind::Response => self.msg.status == 101,
        };
        let host_missing = self.kind == Kind::Request
            && (self.msg.major, self.msg.minor) == (1, 1)
            && !self.msg.host_seen;
        let flow = {
            let head = Head {
                kind: self.kind,
                method: self.msg.method.and_then(|i| METHODS.get(i).copied()),
                url: slice(self.head(data), self.msg.url),
                protocol: self.msg.protocol,
                version: (self.msg.major, self.msg.minor),
                status: self.msg.status,
                reason: slice(self.head(data), self.msg.reason),
                fields: Fields {
                    buf: self.head(data),
                    spans: &self.fields,
                },
                body,
                keep_alive: self.msg.keep_alive,
                upgrade: self.msg.upgrade,
                content_length: self.msg.content_length,
                host_missing,
            };
            h.on_headers_complete(&head)
        };
        let mut skip = false;
        match flow {
            Flow::SkipBody => skip = true,
            Flow::Upgrade => {
                self.msg.upgrade = true;
                skip = true;
            }
            Flow::Continue | Flow::Pause => {}
        }
        // llhttp's order: hand-over first, then a skipped body, then the request's bad TE
        let has_body = matches!(body, BodyFraming::Chunked | BodyFraming::Length(_));
        if (self.msg.upgrade && (self.is_connect() || skip || !has_body))
            || (self.kind == Kind::Response && self.msg.status == 101)
        {
            self.msg.upgrade = true;
            return Ok(self.complete_message(h, flow));
        }
        if skip {
            self.msg.keep_alive = self.compute_keep_alive(BodyFraming::None);
            return Ok(self.complete_message(h, flow));
        }
        if self.kind == Kind::Request && self.msg.te_present && !self.msg.chunked {
            return Err(self.err(
                at,
                ErrorCode::InvalidTransferEncoding,
                "Request has invalid `Transfer-Encoding`",
            ));
        }
        match body {
            BodyFraming::None => return Ok(self.complete_message(h, flow)),
            BodyFraming::Length(n) => {
                self.remaining = n;
                self.state = State::LengthBody;
            }
            BodyFraming::Chunked => self.start_chunk(),
            BodyFraming::UntilClose => self.state = State::UntilClose,
        }
        Ok(flow == Flow::Pause)
    }

    /// The error for a byte that cannot be in a field value at `at` (`bare_lf`: it is an LF
    /// without CR). In a Content-Length value llhttp reports it as a Content-Length error.
    fn value_error(&mut self, data: &[u8], at: usize, bare_lf: bool) -> ParseError {
        self.settle(data, at);
        let span = Span {
            start: self.value_start,
            end: self.at(at),
        };
        let so_far = head_bytes(&self.buf, self.base, data, span);
        match self.special {
            Special::ContentLength
                if self.msg.content_length.is_some()
                    && so_far.first().is_some_and(u8::is_ascii_digit) =>
            {
                self.err(
                    at,
                    ErrorCode::UnexpectedContentLength,
                    "Duplicate Content-Length",
                )
            }
            Special::ContentLength if self.msg.te_present || !bare_lf => self.err(
                at,
                ErrorCode::InvalidContentLength,
                "Invalid character in Content-Length",
            ),
            Special::TransferEncoding
                if self.msg.content_length.is_some()
                    || (self.kind == Kind::Request && chunked_last(self.msg.chunked, so_far).1) =>
            {
                self.err(
                    at,
                    ErrorCode::InvalidTransferEncoding,
                    "Invalid `Transfer-Encoding` header value",
                )
            }
            _ if bare_lf && so_far.is_empty() => self.err(
                at,
                ErrorCode::InvalidHeaderToken,
                "Invalid header value char",
            ),
            _ if bare_lf => self.err(
                at,
                ErrorCode::CrExpected,
                "Missing expected CR after header value",
            ),
            _ => self.err(
                at,
                ErrorCode::InvalidHeaderToken,
                "Invalid header value char",
            ),
        }
    }

    /// Ends the current message. `flow` is what the last callback returned. Returns true
    /// when `execute` must return (pause or hand-over).
    pub(super) fn complete_message<H: Handler>(&mut self, h: &mut H, flow: Flow) -> bool {
        if self.msg.in_trailers {
            // a `Connection` trailer counts too
            self.msg.keep_alive = self.compute_keep_alive(BodyFraming::Chunked);
        }
        self.state = if self.msg.upgrade {
            State::Upgraded
        } else if self.msg.keep_alive {
            State::MessageStart
        } else {
            State::Closed
        };
        let done = h.on_message_complete();
        flow == Flow::Pause || done == Flow::Pause || self.state == State::Upgraded
    }
}

#[inline(always)]
pub(super) fn classify(name: &[u8]) -> Special {
    match name.len() {
        4 if is_word(name, b"host") => Special::Host,
        7 if is_word(name, b"upgrade") => Special::Upgrade,
        10 if is_word(name, b"connection") => Special::Connection,
        16 if is_word(name, b"proxy-connection") => Special::Connection,
        14 if is_word(name, b"content-length") => Special::ContentLength,
        17 if is_word(name, b"transfer-encoding") => Special::TransferEncoding,
        _ => Special::None,
    }
}

/// `s` equals the lower-case `word` (letters and `-` only) ignoring ASCII case. Setting bit
/// 0x20 folds case; no header-name or field-value byte other than the letter's other case
/// folds onto a letter or `-` (CR, which folds onto `-`, never reaches here). Every byte is
/// compared: eight-byte words from the start, the last one overlapping the end.
#[inline(always)]
pub(super) fn is_word(s: &[u8], word: &[u8]) -> bool {
    if s.len() != word.len() {
        return false;
    }
    if s.len() >= 8 {
        let w = |b: &[u8], i: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(a)
        };
        const FOLD: u64 = 0x2020_2020_2020_2020;
        let same = |i: usize| (w(s, i) | FOLD) == w(word, i);
        let last = s.len() - 8;
        let mut i = 0;
        while i < last {
            if !same(i) {
                return false;
            }
            i += 8;
        }
        return same(last);
    }
    s.iter().zip(word).all(|(&a, &b)| a | 0x20 == b)
}

pub(super) fn trim_end_ws(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

pub(super) fn trim_end_spaces(mut s: &[u8]) -> &[u8] {
    while let [rest @ .., b' '] = s {
        s = rest;
    }
    s
}

/// A list element of Connection or Transfer-Encoding as Node 20's llhttp delimits it:
/// spaces and tabs before it, spaces (not tabs) after it.
pub(super) fn trim_spaces(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    trim_end_spaces(s)
}

/// Reads a Transfer-Encoding value (or the part of it seen so far) after earlier ones that
/// ended in `chunked` when `chunked` is true. Returns whether `chunked` is last now, and
/// whether anything (even an empty element) followed a `chunked`: llhttp rejects such a
/// request at that comma, and reads such a response until EOF.
fn chunked_last(mut chunked: bool, value: &[u8]) -> (bool, bool) {
    let mut followed = false;
    for token in value.split(|&c| c == b',') {
        followed |= chunked;
        let token = trim_spaces(token);
        chunked = !token.is_empty() && is_word(token, b"chunked");
    }
    (chunked, followed)
}

/// The value of ASCII decimal `digits`, or `None` when it does not fit in a `u64`.
#[inline]
fn parse_decimal(digits: &[u8]) -> Option<u64> {
    let value = |ds: &[u8]| ds.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    if digits.len() < 20 {
        // at most 19 digits always fit
        return Some(value(digits));
    }
    digits.iter().try_fold(0u64, |n, d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// What [`Parser::plain_special`] found.
enum Plain {
    Length(u64),
    KeepAlive,
    Close,
}
