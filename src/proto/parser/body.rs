//! Bodies: Content-Length, chunked (sizes, extensions, data, CRLFs) and close-delimited,
//! and what may follow a message that closes the connection.
#![forbid(unsafe_code)]

use super::*;
use crate::proto::status::hex_value;

impl Parser {
    /// One step in a body, or after the last message.
    /// Returns true when `execute` must return now (pause, hand-over).
    pub(super) fn step_body<H: Handler>(
        &mut self,
        data: &[u8],
        pos: &mut usize,
        h: &mut H,
    ) -> Result<bool, ParseError> {
        let len = data.len();
        let p = *pos;
        let b = data[p];
        match self.state {
            State::LengthBody => {
                let take = self.take_remaining(len - p);
                *pos += take;
                let done = self.remaining == 0;
                let flow = h.on_body(&data[p..p + take]);
                if done {
                    if self.complete_message(h, flow) {
                        return Ok(true);
                    }
                } else if flow == Flow::Pause {
                    return Ok(true);
                }
            }
            State::ChunkSize => {
                if let Some(d) = hex_value(b) {
                    if self.chunk_size > u64::MAX >> 4 {
                        return Err(self.err(
                            p,
                            ErrorCode::InvalidChunkSize,
                            "Chunk size overflow",
                        ));
                    }
                    self.chunk_size = (self.chunk_size << 4) | d as u64;
                    self.chunk_digits = self.chunk_digits.saturating_add(1);
                    *pos += 1;
                    return Ok(false);
                }
                if self.chunk_digits == 0 {
                    return Err(self.err(
                        p,
                        ErrorCode::InvalidChunkSize,
                        "Invalid character in chunk size",
                    ));
                }
                match b {
                    b';' => {
                        self.ext.clear();
                        self.ext_counted = 0;
                        self.state = State::ChunkExt;
                        self.push_ext(b';', p, false)?;
                        *pos += 1;
                        self.ext_mode = ExtPart::NameStart;
                    }
                    b'\r' => {
                        self.ext.clear();
                        *pos += 1;
                        self.state = State::ChunkSizeLf;
                    }
                    b'\n' => {
                        return Err(self.err(
                            p,
                            ErrorCode::CrExpected,
                            "Missing expected CR after chunk size",
                        ))
                    }
                    _ => {
                        return Err(self.err(
                            p,
                            ErrorCode::InvalidChunkSize,
                            "Invalid character in chunk size",
                        ))
                    }
                }
            }
            State::ChunkExt => {
                // chunk-ext = *( ";" name [ "=" ( token / quoted-string ) ] ), as lenient as
                // Node 20's llhttp: empty names (`;=v`), empty values (`;a=`), empty
                // extensions (`;;`) and quotes inside an unquoted value pass; a line ending
                // in `;` and anything after a closing quote but `;` or CR do not
                let mode = self.ext_mode;
                match b {
                    b';' => {
                        self.push_ext(b, p, false)?;
                        self.ext_mode = ExtPart::NameStart;
                    }
                    b'=' if matches!(mode, ExtPart::NameStart | ExtPart::Name) => {
                        self.push_ext(b, p, false)?;
                        self.ext_mode = ExtPart::ValueStart;
                    }
                    b'"' if mode == ExtPart::ValueStart => {
                        self.push_ext(b, p, true)?;
                        self.state = State::ChunkExtQuoted;
                    }
                    _ if TOKEN[b as usize] && mode != ExtPart::AfterQuote => {
                        self.push_ext(b, p, true)?;
                        self.ext_mode = match mode {
                            ExtPart::NameStart | ExtPart::Name => ExtPart::Name,
                            _ => ExtPart::Value,
                        };
                    }
                    b'"' if mode == ExtPart::Value => self.push_ext(b, p, true)?,
                    b'\r' if mode != ExtPart::NameStart => self.state = State::ChunkSizeLf,
                    b'\n' => {
                        return Err(self.err(
                            p,
                            ErrorCode::CrExpected,
                            "Missing expected CR after chunk extensions",
                        ))
                    }
                    _ => {
                        return Err(self.err(
                            p,
                            ErrorCode::Strict,
                            "Invalid character in chunk extensions",
                        ))
                    }
                }
                *pos += 1;
            }
            State::ChunkExtQuoted => match b {
                b'"' => {
                    // the closing quote is not counted (as Node counts)
                    self.push_ext(b, p, false)?;
                    *pos += 1;
                    self.ext_mode = ExtPart::AfterQuote;
                    self.state = State::ChunkExt;
                }
                b'\\' => {
                    self.push_ext(b, p, true)?;
                    *pos += 1;
                    self.state = State::ChunkExtQuotedEscape;
                }
                _ if b == b'\t' || (b >= 0x20 && b != 0x7f) => {
                    self.push_ext(b, p, true)?;
                    *pos += 1;
                }
                _ => {
                    return Err(self.err(
                        p,
                        ErrorCode::Strict,
                        "Invalid character in chunk extensions quoted value",
                    ))
                }
            },
            State::ChunkExtQuotedEscape => {
                if !(b == b'\t' || (b >= 0x20 && b != 0x7f)) {
                    return Err(self.err(
                        p,
                        ErrorCode::Strict,
                        "Invalid quoted-pair in chunk extensions quoted value",
                    ));
                }
                self.push_ext(b, p, true)?;
                *pos += 1;
                self.state = State::ChunkExtQuoted;
            }
            State::ChunkSizeLf => {
                if b != b'\n' {
                    return Err(self.err(p, ErrorCode::Strict, "Expected LF after chunk size"));
                }
                *pos += 1;
                let size = self.chunk_size;
                let flow = h.on_chunk_header(size, &self.ext);
                if size == 0 {
                    self.start_section(p + 1);
                    self.msg.in_trailers = true;
                    self.msg.first_line = false;
                    self.state = State::FieldStart;
                } else {
                    self.remaining = size;
                    self.state = State::ChunkData;
                }
                if flow == Flow::Pause {
                    return Ok(true);
                }
            }
            State::ChunkData => {
                let take = self.take_remaining(len - p);
                *pos += take;
                if self.remaining == 0 {
                    self.state = State::ChunkDataCr;
                }
                if h.on_body(&data[p..p + take]) == Flow::Pause {
                    return Ok(true);
                }
            }
            State::ChunkDataCr => {
                if b == b'\n' {
                    return Err(self.err(
                        p,
                        ErrorCode::CrExpected,
                        "Missing expected CR after chunk data",
                    ));
                }
                if b != b'\r' {
                    return Err(self.err(p, ErrorCode::Strict, "Expected LF after chunk data"));
                }
                *pos += 1;
                self.state = State::ChunkDataLf;
            }
            State::ChunkDataLf => {
                if b != b'\n' {
                    return Err(self.err(p, ErrorCode::Strict, "Expected LF after chunk data"));
                }
                *pos += 1;
                self.start_chunk();
                if h.on_chunk_complete() == Flow::Pause {
                    return Ok(true);
                }
            }
            State::UntilClose => {
                *pos = len;
                if h.on_body(&data[p..]) == Flow::Pause {
                    return Ok(true);
                }
            }
            State::Closed => {
                if b == b'\r' || b == b'\n' {
                    *pos += 1;
                    return Ok(false);
                }
                return Err(self.err(
                    p,
                    ErrorCode::ClosedConnection,
                    "Data after `Connection: close`",
                ));
            }
            State::Upgraded => return Ok(true),
            _ => return Err(self.err(p, ErrorCode::Strict, "Unexpected parser state")),
        }
        Ok(false)
    }

    /// Keeps a byte of chunk extensions. Node limits the name and value bytes (and an
    /// opening quote) to 16 KiB per chunk: `counted` says whether this is one of those; the
    /// separators are bounded too (twice the limit and 1 KiB), so memory stays bounded.
    pub(super) fn push_ext(&mut self, b: u8, at: usize, counted: bool) -> Step {
        let max = self.limits.max_chunk_extensions;
        self.ext_counted += usize::from(counted);
        if self.ext_counted > max || self.ext.len() >= max.saturating_mul(2).saturating_add(1024) {
            return Err(self.err(
                at,
                ErrorCode::ChunkExtensionsOverflow,
                "Chunk extensions overflow",
            ));
        }
        self.ext.push(b);
        Ok(())
    }

    /// Takes up to `available` bytes of what remains of the body or chunk.
    fn take_remaining(&mut self, available: usize) -> usize {
        let take = available.min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        self.remaining -= take as u64;
        take
    }

    pub(super) fn start_chunk(&mut self) {
        self.chunk_size = 0;
        self.chunk_digits = 0;
        self.state = State::ChunkSize;
    }
}

/// Where in a chunk extension the parser is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ExtPart {
    /// Just after `;`.
    NameStart,
    Name,
    /// Just after `=`.
    ValueStart,
    /// In an unquoted value.
    Value,
    /// Just after a quoted value's closing quote.
    AfterQuote,
}
