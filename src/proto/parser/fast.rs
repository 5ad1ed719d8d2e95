//! Fast paths: when a whole start line or header line is already in the input, recognise it
//! in one tight pass instead of one state transition per part. A fast path either consumes
//! the complete line with exactly the effects the byte-level states would have had, or
//! declines (`Ok(None)`) without touching anything, and the state machine takes the same
//! bytes. So results never depend on which path ran, and each byte is still examined a
//! bounded number of times.
#![forbid(unsafe_code)]

use super::{classify, Kind, ParseError, Parser, State};
use crate::proto::status::{method_index, FIELD_VALUE, TARGET, TOKEN};

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

#[inline(always)]
fn word(data: &[u8], i: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&data[i..i + 8]);
    u64::from_le_bytes(w)
}

/// High bit set in each byte of `x` that is below `n` (n <= 0x80), or has its high bit set.
#[inline(always)]
fn below_or_high(x: u64, n: u8) -> u64 {
    (x.wrapping_sub(LO * n as u64) | x) & HI
}

/// High bit set in each byte of `x` equal to `v`.
#[inline(always)]
fn equal(x: u64, v: u8) -> u64 {
    let y = x ^ (LO * v as u64);
    y.wrapping_sub(LO) & !y & HI
}

/// Index of the first byte at or after `from` not in `table`.
#[inline(always)]
pub(super) fn scan(data: &[u8], from: usize, table: &[bool; 256]) -> usize {
    let mut i = from;
    while i < data.len() && table[data[i] as usize] {
        i += 1;
    }
    i
}

/// `scan(data, from, &TOKEN)`, eight bytes per step with no data-dependent branch inside
/// a step (names are short, so the per-byte loop's exit was the costly part).
#[inline(always)]
pub(super) fn scan_token(data: &[u8], from: usize) -> usize {
    let mut i = from;
    while i + 8 <= data.len() {
        let w = &data[i..i + 8];
        let mut ok = 0u32;
        for (k, &c) in w.iter().enumerate() {
            ok |= (TOKEN[c as usize] as u32) << k;
        }
        if ok != 0xff {
            return i + (!ok).trailing_zeros() as usize;
        }
        i += 8;
    }
    scan(data, i, &TOKEN)
}

/// The first byte at or after `from` that `stop` flags (the high bit of its byte in the
/// mask), eight bytes at a time: `Ok(index)`, or `Err(index)` of the fewer than eight
/// bytes left unchecked. Only the lowest flag is used, and it is exact: the borrows of the
/// mask tricks below can only set false flags above a true one.
#[inline(always)]
fn find_flagged(data: &[u8], mut i: usize, stop: impl Fn(u64) -> u64) -> Result<usize, usize> {
    while i + 8 <= data.len() {
        let m = stop(word(data, i));
        if m != 0 {
            return Ok(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    Err(i)
}

/// `scan(data, from, &FIELD_VALUE)`, eight bytes at a time while no byte can end the value
/// (a control byte or DEL; HTAB, which may, is let through here).
#[inline(always)]
pub(super) fn scan_value(data: &[u8], from: usize) -> usize {
    // obs-text (high bit) is fine in values: flag only bytes below 0x20, and DEL
    let ctl_or_del = |x: u64| (x.wrapping_sub(LO * 0x20) & !x & HI) | equal(x, 0x7f);
    let mut i = from;
    loop {
        match find_flagged(data, i, ctl_or_del) {
            Ok(at) if data[at] == b'\t' => i = at + 1,
            Ok(at) => return at,
            Err(rest) => return scan(data, rest, &FIELD_VALUE),
        }
    }
}

/// The first CR or LF at or after `from` (or the end): where a reason phrase ends.
#[inline(always)]
pub(super) fn scan_line_end(data: &[u8], from: usize) -> usize {
    match find_flagged(data, from, |x| equal(x, b'\r') | equal(x, b'\n')) {
        Ok(at) => at,
        Err(rest) => data[rest..]
            .iter()
            .position(|&c| c == b'\r' || c == b'\n')
            .map_or(data.len(), |k| rest + k),
    }
}

/// `scan(data, from, &TARGET)`, eight bytes at a time (visible ASCII only).
#[inline(always)]
pub(super) fn scan_target(data: &[u8], from: usize) -> usize {
    match find_flagged(data, from, |x| below_or_high(x, 0x21) | equal(x, 0x7f)) {
        Ok(at) => at,
        Err(rest) => scan(data, rest, &TARGET),
    }
}

/// The index in `METHODS` of the common methods without a search, else the search.
#[inline(always)]
fn method_of(m: &[u8]) -> Option<usize> {
    use crate::proto::status::METHODS;
    let guess = match m {
        b"GET" => 6,
        b"POST" => 19,
        b"PUT" => 23,
        b"HEAD" => 7,
        b"DELETE" => 5,
        b"OPTIONS" => 17,
        b"PATCH" => 18,
        _ => return method_index(m),
    };
    debug_assert_eq!(METHODS.get(guess).map(|s| s.as_bytes()), Some(m));
    Some(guess)
}

pub(super) type Fast = Result<Option<usize>, ParseError>;

impl Parser {
    /// `METHOD SP origin-target SP HTTP/1.x CRLF`, whole, at `p`.
    #[inline]
    pub(super) fn fast_request_line(&mut self, data: &[u8], p: usize) -> Fast {
        let m_end = scan(data, p, &TOKEN);
        if data.get(m_end) != Some(&b' ') || data.get(m_end + 1) != Some(&b'/') {
            return Ok(None);
        }
        let Some(method) = method_of(&data[p..m_end]) else {
            return Ok(None);
        };
        let t = m_end + 1;
        let t_end = scan_target(data, t);
        let tail = match data.get(t_end..t_end + 11) {
            Some(tail) => tail,
            None => return Ok(None),
        };
        let minor = match tail {
            b" HTTP/1.1\r\n" => 1,
            b" HTTP/1.0\r\n" => 0,
            _ => return Ok(None),
        };
        if self.past_raw_cap(t_end + 11) || self.past_head_max(t_end - t) {
            return Ok(None);
        }
        self.msg.method = Some(method);
        self.counted += t_end - t;
        self.msg.url.start = self.at(t);
        self.msg.url.end = self.at(t_end);
        self.msg.major = 1;
        self.msg.minor = minor;
        self.state = State::FieldStart;
        Ok(Some(t_end + 11))
    }

    /// `HTTP/1.x SP 3DIGIT SP reason CRLF`, whole, at `p`.
    #[inline]
    pub(super) fn fast_status_line(&mut self, data: &[u8], p: usize) -> Fast {
        let Some(head) = data.get(p..p + 13) else {
            return Ok(None);
        };
        let minor = match &head[..9] {
            b"HTTP/1.1 " => 1,
            b"HTTP/1.0 " => 0,
            _ => return Ok(None),
        };
        let digits = &head[9..12];
        if !digits.iter().all(u8::is_ascii_digit) || head[12] != b' ' {
            return Ok(None);
        }
        let r = p + 13;
        let r_end = scan_line_end(data, r);
        if data.get(r_end..r_end + 2) != Some(b"\r\n")
            || self.past_raw_cap(r_end + 2)
            || self.past_head_max(r_end - r)
        {
            return Ok(None);
        }
        self.msg.protocol = "HTTP";
        self.msg.major = 1;
        self.msg.minor = minor;
        self.msg.status = digits.iter().fold(0u16, |s, d| s * 10 + (d - b'0') as u16);
        self.counted += r_end - r;
        self.msg.reason.start = self.at(r);
        self.msg.reason.end = self.at(r_end);
        self.state = State::FieldStart;
        Ok(Some(r_end + 2))
    }

    /// `name ":" OWS value CRLF`, whole, at `p` (a token byte).
    #[inline]
    pub(super) fn fast_field(&mut self, data: &[u8], p: usize) -> Fast {
        let n_end = scan_token(data, p);
        if data.get(n_end) != Some(&b':') || n_end == p {
            return Ok(None);
        }
        let mut v = n_end + 1;
        if data.get(v) == Some(&b' ') {
            v += 1;
        }
        while v < data.len() && (data[v] == b' ' || data[v] == b'\t') {
            v += 1;
        }
        let v_end = scan_value(data, v);
        if data.get(v_end..v_end + 2) != Some(b"\r\n")
            || self.past_raw_cap(v_end + 2)
            || self.past_head_max((n_end - p) + (v_end - v))
        {
            return Ok(None);
        }
        let mut trimmed = v_end;
        while trimmed > v && matches!(data[trimmed - 1], b' ' | b'\t') {
            trimmed -= 1;
        }
        self.counted += (n_end - p) + (v_end - v);
        self.cur_name.start = self.at(p);
        self.cur_name.end = self.at(n_end);
        self.special = classify(&data[p..n_end]);
        self.value_start = self.at(v);
        self.value_end = self.at(v_end);
        self.end_field(data, v_end + 1, Some((v_end - trimmed) as u32))?;
        self.msg.first_line = false;
        Ok(Some(v_end + 2))
    }

    /// Consecutive whole field lines from `p`, then the empty line that ends the section
    /// (leaving only its LF for the section's end state).
    #[inline(always)]
    fn fast_fields(&mut self, data: &[u8], mut p: usize) -> Fast {
        let start = p;
        loop {
            if data.get(p..p + 2) == Some(b"\r\n") {
                self.state = State::SectionLf;
                return Ok(Some(p + 1));
            }
            match self.fast_field(data, p)? {
                Some(next) => p = next,
                None => return Ok((p != start).then_some(p)),
            }
        }
    }

    /// Whether a line ending at input `end` would take the head past its raw bound: then
    /// the byte states take it, and fail at the exact byte.
    #[inline(always)]
    fn past_raw_cap(&self, end: usize) -> bool {
        self.buf.len() + end.saturating_sub(self.base) > self.raw_cap
    }

    /// Whether `n` more counted bytes would reach the header-size limit: then the byte
    /// states take the line and fail at the exact byte.
    #[inline(always)]
    fn past_head_max(&self, n: usize) -> bool {
        self.counted + n >= self.head_max
    }

    /// Runs the fast path that fits the current state at `p`, if any.
    #[inline]
    pub(super) fn fast_line(&mut self, data: &[u8], p: usize) -> Fast {
        match self.state {
            State::Method if self.msg.method_len == 0 && self.kind == Kind::Request => {
                self.fast_request_line(data, p)
            }
            State::Protocol if self.msg.proto_idx == 0 && self.kind == Kind::Response => {
                self.fast_status_line(data, p)
            }
            State::FieldStart => self.fast_fields(data, p),
            _ => Ok(None),
        }
    }
}
