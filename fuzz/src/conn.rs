//! Whole-connection helpers: an in-memory [`Transport`] whose reads hand out a script of
//! bytes in pieces chosen by the fuzz input and whose writes are recorded, and a splitter
//! that cuts a recorded byte stream into messages with their end offsets.

use std::io;
use std::net::Shutdown;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use stdhttp::parser::{
    Collector, Fields, Flow, Handler, Head, Kind, Limits, Message, ParseError, Parser,
};
use stdhttp::Transport;

use crate::Choices;

/// What one read of a [`Pipe`] does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Hand out at most this many bytes (at least 1).
    Take(usize),
    /// Hand out as much as fits.
    All,
    /// Fail with `TimedOut`, as a socket read with a timeout does when nothing came.
    Stall,
    /// Fail with `Interrupted`.
    Interrupt,
}

impl Step {
    /// One step from one fuzz byte: mostly small pieces, now and then a stall.
    pub fn from_byte(b: u8) -> Step {
        match b {
            0xff => Step::Stall,
            0xfe => Step::Interrupt,
            0xf0..=0xfd => Step::All,
            _ => Step::Take(b as usize % 64 + 1),
        }
    }
}

/// How a [`Pipe`] behaves.
#[derive(Clone, Debug)]
pub struct PipeConfig {
    /// The bytes the peer sends.
    pub input: Vec<u8>,
    /// The reads, cycled; empty means every read takes all it can.
    pub steps: Vec<Step>,
    /// Reads (counting stalls) after which every read is EOF, so nothing can spin forever.
    pub max_reads: usize,
    /// Each write takes at most this many bytes (0 = all).
    pub write_piece: usize,
    /// Writes fail (`ECONNRESET`) once this many bytes have been taken.
    pub write_budget: Option<usize>,
    /// A stall sleeps this long first (to let a deadline pass), at most `max_sleeps` times.
    pub stall_sleep: Option<Duration>,
    pub max_sleeps: usize,
}

impl PipeConfig {
    pub fn new(input: Vec<u8>, steps: Vec<Step>) -> PipeConfig {
        let max_reads = 4 * input.len() + 64;
        PipeConfig {
            input,
            steps,
            max_reads,
            write_piece: 0,
            write_budget: None,
            stall_sleep: None,
            max_sleeps: 0,
        }
    }
}

/// What a [`Pipe`] saw.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// Bytes handed out to the reader so far.
    pub delivered: usize,
    /// Every byte written, in order.
    pub written: Vec<u8>,
    /// For each write that took bytes: where its bytes start in `written`, and how many
    /// bytes had been delivered to the reader when it happened.
    pub writes: Vec<(usize, usize)>,
    /// Reads made (EOF ones included).
    pub reads: usize,
    /// A read returned EOF.
    pub eof: bool,
    /// A write failed because of `write_budget`.
    pub write_failed: bool,
    /// Writes refused because the write side was shut down.
    pub writes_after_shutdown: usize,
    pub read_shut: bool,
    pub write_shut: bool,
    sleeps: usize,
}

impl Record {
    /// How many bytes had been delivered when the byte at `offset` of `written` was written.
    pub fn delivered_when_written(&self, offset: usize) -> Option<usize> {
        let i = self.writes.partition_point(|&(start, _)| start <= offset);
        (i > 0).then(|| self.writes[i - 1].1)
    }
}

struct State {
    config: PipeConfig,
    record: Record,
}

/// An in-memory connection: reads hand out [`PipeConfig::input`], writes are recorded.
/// Cloning gives another handle to the same pipe.
#[derive(Clone)]
pub struct Pipe(Arc<Mutex<State>>);

impl Pipe {
    pub fn new(config: PipeConfig) -> Pipe {
        Pipe(Arc::new(Mutex::new(State {
            config,
            record: Record::default(),
        })))
    }

    fn state(&self) -> MutexGuard<'_, State> {
        match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// What the pipe saw so far.
    pub fn record(&self) -> Record {
        self.state().record.clone()
    }

    /// The script this pipe hands out.
    pub fn input(&self) -> Vec<u8> {
        self.state().config.input.clone()
    }
}

impl Transport for Pipe {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut guard = self.state();
        let State { config, record } = &mut *guard;
        record.reads += 1;
        if record.read_shut || record.reads > config.max_reads || buf.is_empty() {
            record.eof |= !buf.is_empty();
            return Ok(0);
        }
        let left = config.input.len() - record.delivered;
        if left == 0 {
            record.eof = true;
            return Ok(0);
        }
        let step = match config.steps.len() {
            0 => Step::All,
            n => config.steps[(record.reads - 1) % n],
        };
        let n = match step {
            Step::Stall => {
                if let Some(d) = config.stall_sleep {
                    if record.sleeps < config.max_sleeps {
                        record.sleeps += 1;
                        drop(guard);
                        std::thread::sleep(d);
                    }
                }
                return Err(io::ErrorKind::TimedOut.into());
            }
            Step::Interrupt => return Err(io::ErrorKind::Interrupted.into()),
            Step::All => left,
            Step::Take(n) => n.min(left),
        }
        .min(buf.len());
        let at = record.delivered;
        buf[..n].copy_from_slice(&config.input[at..at + n]);
        record.delivered += n;
        Ok(n)
    }

    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        let mut guard = self.state();
        let State { config, record } = &mut *guard;
        if record.write_shut {
            record.writes_after_shutdown += 1;
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let mut n = buf.len();
        if config.write_piece > 0 {
            n = n.min(config.write_piece);
        }
        if let Some(budget) = config.write_budget {
            let left = budget.saturating_sub(record.written.len());
            if left == 0 {
                record.write_failed = true;
                return Err(io::ErrorKind::ConnectionReset.into());
            }
            n = n.min(left);
        }
        record.writes.push((record.written.len(), record.delivered));
        record.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }

    fn set_read_timeout(&self, _: u64) -> io::Result<()> {
        Ok(())
    }

    fn set_write_timeout(&self, _: u64) -> io::Result<()> {
        Ok(())
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        let mut s = self.state();
        match how {
            Shutdown::Read => s.record.read_shut = true,
            Shutdown::Write => s.record.write_shut = true,
            Shutdown::Both => {
                s.record.read_shut = true;
                s.record.write_shut = true;
            }
        }
        Ok(())
    }
}

/// Read steps off the input: a count, then one byte per step.
pub fn steps(c: &mut Choices) -> Vec<Step> {
    let n = c.below(9);
    (0..n).map(|_| Step::from_byte(c.byte())).collect()
}

/// One message of a stream cut by [`split`].
#[derive(Clone, Debug)]
pub struct Framed {
    pub msg: Message,
    /// Where the message's last byte ends, once complete.
    pub end: Option<usize>,
    /// The parser's keep-alive verdict once the message is complete (accounting for a
    /// skipped body).
    pub keep_alive: bool,
    /// The message counts as an answer (a request, or a response that is not an interim
    /// 1xx: 101 counts, and so do statuses below 100).
    pub is_final: bool,
}

/// What [`split`] found.
#[derive(Clone, Debug, Default)]
pub struct Split {
    pub messages: Vec<Framed>,
    /// The error that stopped the parser (at EOF too).
    pub error: Option<ParseError>,
    /// Where the parser handed the connection over.
    pub upgrade_at: Option<usize>,
    /// The index of the message after which the parser was started afresh
    /// (`reopen_after`).
    pub reopened_after: Option<usize>,
}

impl Split {
    pub fn finals(&self) -> impl Iterator<Item = &Framed> {
        self.messages.iter().filter(|m| m.is_final)
    }
}

struct Cutter<'f> {
    c: Collector,
    kind: Kind,
    finals: usize,
    is_final: Vec<bool>,
    skip: &'f mut dyn FnMut(usize, &Head<'_>) -> bool,
}

impl Handler for Cutter<'_> {
    fn on_message_begin(&mut self) -> Flow {
        self.c.on_message_begin()
    }
    fn on_headers_complete(&mut self, head: &Head<'_>) -> Flow {
        // (a status below 100, which the parser takes as Node does, is no interim one)
        let is_final = self.kind == Kind::Request
            || !(100..200).contains(&head.status())
            || head.status() == 101;
        self.c.skip_body = (self.skip)(self.finals, head);
        if is_final {
            self.finals += 1;
        }
        self.is_final.push(is_final);
        self.c.on_headers_complete(head)
    }
    fn on_chunk_header(&mut self, size: u64, extensions: &[u8]) -> Flow {
        self.c.on_chunk_header(size, extensions)
    }
    fn on_body(&mut self, data: &[u8]) -> Flow {
        self.c.on_body(data)
    }
    fn on_trailers(&mut self, trailers: &Fields<'_>) -> Flow {
        self.c.on_trailers(trailers)
    }
    fn on_message_complete(&mut self) -> Flow {
        self.c.on_message_complete();
        Flow::Pause
    }
}

/// Cuts `bytes` (one direction of a connection, then EOF when `eof`) into messages.
/// `skip(i, head)` says whether the body of the message whose head comes as the `i`th final
/// one is skipped (a response to HEAD). With `resume_upgrades`, an upgrade other than
/// CONNECT goes on with HTTP (a server with no `upgrade` listener does so). With
/// `reopen_after: Some(n)`, when the `n`th final message closes the connection and bytes
/// follow, the parser starts afresh once (to read what a server sends past a close).
pub fn split(
    kind: Kind,
    limits: Limits,
    bytes: &[u8],
    eof: bool,
    resume_upgrades: bool,
    reopen_after: Option<usize>,
    skip: &mut dyn FnMut(usize, &Head<'_>) -> bool,
) -> Split {
    let mut parser = Parser::new(kind, limits);
    let mut h = Cutter {
        c: Collector::default(),
        kind,
        finals: 0,
        is_final: Vec::new(),
        skip,
    };
    let mut out = Split::default();
    let mut ends: Vec<(usize, bool)> = Vec::new();
    let mut pos = 0usize;
    let mut failed = None;
    loop {
        let done_before = h.c.messages.iter().filter(|m| m.complete).count();
        match parser.execute(&bytes[pos..], &mut h) {
            Ok(n) => {
                pos += n;
                let done_now = h.c.messages.iter().filter(|m| m.complete).count();
                if done_now > done_before {
                    let keep_alive = parser.should_keep_alive();
                    ends.push((pos, keep_alive));
                    if !keep_alive
                        && pos < bytes.len()
                        && out.reopened_after.is_none()
                        && reopen_after == Some(h.finals)
                    {
                        parser.reset();
                        out.reopened_after = Some(done_now - 1);
                    }
                } else if n == 0 && !parser.is_upgraded() && pos < bytes.len() {
                    break; // no progress (cannot happen: only a complete message pauses)
                }
                if parser.is_upgraded() {
                    let connect = h.c.messages.last().and_then(|m| m.method) == Some("CONNECT");
                    if resume_upgrades && kind == Kind::Request && !connect {
                        parser.resume_after_upgrade();
                        continue;
                    }
                    out.upgrade_at = Some(pos);
                    break;
                }
                if pos >= bytes.len() && done_now == done_before {
                    break;
                }
                if pos >= bytes.len() {
                    // a message ended exactly at the end: one more call sees nothing left
                    continue;
                }
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    if failed.is_none() && out.upgrade_at.is_none() && eof {
        let done_before = h.c.messages.iter().filter(|m| m.complete).count();
        match parser.finish(&mut h) {
            Ok(()) => {
                if h.c.messages.iter().filter(|m| m.complete).count() > done_before {
                    ends.push((bytes.len(), false));
                }
            }
            Err(e) => failed = Some(e),
        }
    }
    out.error = failed;
    let mut ends = ends.into_iter();
    for (i, msg) in h.c.messages.into_iter().enumerate() {
        let (end, keep_alive) = if msg.complete {
            match ends.next() {
                Some((e, k)) => (Some(e), k),
                None => (None, false),
            }
        } else {
            (None, false)
        };
        out.messages.push(Framed {
            msg,
            end,
            keep_alive,
            is_final: h.is_final.get(i).copied().unwrap_or(false),
        });
    }
    out
}

/// Whether a message has a `Connection` header listing `close`.
pub fn says_close(m: &Message) -> bool {
    m.headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case(b"connection")
            && v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
    })
}

/// Printable bytes for assertion messages.
pub fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}
