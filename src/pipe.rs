//! An in-memory, full-duplex byte stream ([`Socket::pair`]): Go's `net.Pipe` with a
//! bounded buffer per direction, so a server and a client can talk with no socket at all.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::io;
use std::net::Shutdown;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::net::{Socket, Transport};

/// Bytes one direction holds before a write waits for the reader.
pub(crate) const PIPE_CAPACITY: usize = 64 * 1024;

#[derive(Default)]
struct Flow {
    bytes: VecDeque<u8>,
    /// The writing end shut down (or went away): reads drain, then see end of stream.
    writer_gone: bool,
    /// The reading end shut down (or went away): writes fail with `BrokenPipe`.
    reader_gone: bool,
}

#[derive(Default)]
struct Direction {
    flow: Mutex<Flow>,
    changed: Condvar,
}

impl Direction {
    fn lock(&self) -> MutexGuard<'_, Flow> {
        self.flow.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait on `guard` until `done` holds or `deadline` passes (`false`).
    fn wait_until<'a>(
        &self,
        mut guard: MutexGuard<'a, Flow>,
        deadline: Option<Instant>,
        done: impl Fn(&Flow) -> bool,
    ) -> (MutexGuard<'a, Flow>, bool) {
        while !done(&guard) {
            guard = match deadline {
                None => self.changed.wait(guard).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return (guard, false);
                    }
                    self.changed
                        .wait_timeout(guard, d - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
        (guard, true)
    }
}

/// One end: reads `incoming`, writes `outgoing`.
struct End {
    incoming: Arc<Direction>,
    outgoing: Arc<Direction>,
    read_timeout: Mutex<Option<Duration>>,
    write_timeout: Mutex<Option<Duration>>,
}

fn get(t: &Mutex<Option<Duration>>) -> Option<Duration> {
    *t.lock().unwrap_or_else(|p| p.into_inner())
}

fn set(t: &Mutex<Option<Duration>>, value: Option<Duration>) {
    *t.lock().unwrap_or_else(|p| p.into_inner()) = value;
}

impl Transport for End {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let deadline = get(&self.read_timeout).map(|t| Instant::now() + t);
        let flow = self.incoming.lock();
        let (mut flow, ready) = self.incoming.wait_until(flow, deadline, |f| {
            !f.bytes.is_empty() || f.writer_gone || f.reader_gone
        });
        if !ready {
            // what a socket with SO_RCVTIMEO says
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if flow.reader_gone {
            return Ok(0);
        }
        let n = buf.len().min(flow.bytes.len());
        for (slot, byte) in buf.iter_mut().zip(flow.bytes.drain(..n)) {
            *slot = byte;
        }
        drop(flow);
        self.incoming.changed.notify_all();
        Ok(n)
    }

    fn write(&self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let deadline = get(&self.write_timeout).map(|t| Instant::now() + t);
        let flow = self.outgoing.lock();
        let (mut flow, ready) = self.outgoing.wait_until(flow, deadline, |f| {
            f.bytes.len() < PIPE_CAPACITY || f.reader_gone || f.writer_gone
        });
        if !ready {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if flow.reader_gone || flow.writer_gone {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let n = buf.len().min(PIPE_CAPACITY - flow.bytes.len());
        flow.bytes.extend(&buf[..n]);
        drop(flow);
        self.outgoing.changed.notify_all();
        Ok(n)
    }

    fn set_read_timeout(&self, ms: u64) -> io::Result<()> {
        set(
            &self.read_timeout,
            (ms > 0).then(|| Duration::from_millis(ms)),
        );
        Ok(())
    }

    fn set_write_timeout(&self, ms: u64) -> io::Result<()> {
        set(
            &self.write_timeout,
            (ms > 0).then(|| Duration::from_millis(ms)),
        );
        Ok(())
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        if matches!(how, Shutdown::Write | Shutdown::Both) {
            self.outgoing.lock().writer_gone = true;
            self.outgoing.changed.notify_all();
        }
        if matches!(how, Shutdown::Read | Shutdown::Both) {
            let mut flow = self.incoming.lock();
            flow.reader_gone = true;
            flow.bytes.clear();
            drop(flow);
            self.incoming.changed.notify_all();
        }
        Ok(())
    }

    fn peer(&self) -> Option<String> {
        Some("pipe".to_owned())
    }

    fn peek_now(&self) -> Option<io::Result<usize>> {
        let flow = self.incoming.lock();
        Some(if !flow.bytes.is_empty() {
            Ok(flow.bytes.len())
        } else if flow.writer_gone || flow.reader_gone {
            Ok(0)
        } else {
            Err(io::ErrorKind::WouldBlock.into())
        })
    }
}

impl Drop for End {
    fn drop(&mut self) {
        let _ = self.shutdown(Shutdown::Both);
    }
}

/// Two connected ends.
pub(crate) fn pair() -> (Socket, Socket) {
    let ab = Arc::new(Direction::default());
    let ba = Arc::new(Direction::default());
    let end = |incoming: &Arc<Direction>, outgoing: &Arc<Direction>| End {
        incoming: incoming.clone(),
        outgoing: outgoing.clone(),
        read_timeout: Mutex::new(None),
        write_timeout: Mutex::new(None),
    };
    (
        Socket::from_transport(end(&ba, &ab)),
        Socket::from_transport(end(&ab, &ba)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn bytes_cross_both_ways_and_end_of_stream_follows_shutdown() {
        let (mut a, mut b) = pair();
        a.write_all(b"ping").unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(b.read(&mut buf).unwrap(), 4);
        assert_eq!(&buf[..4], b"ping");
        b.write_all(b"pong").unwrap();
        b.end();
        let mut rest = Vec::new();
        a.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"pong");
        // a's writes still reach b after b's half-close
        a.write_all(b"late").unwrap();
        assert_eq!(b.read(&mut buf).unwrap(), 4);
    }

    #[test]
    fn a_full_direction_blocks_until_its_timeout_and_a_read_times_out() {
        let (a, b) = pair();
        a.set_write_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let big = vec![7u8; PIPE_CAPACITY + 10];
        let err = (&a).write_all(&big).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        b.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
        let mut sink = vec![0u8; PIPE_CAPACITY];
        assert_eq!((&b).read(&mut sink).unwrap(), PIPE_CAPACITY);
        let err = (&b).read(&mut sink).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn destroy_ends_a_blocked_read_and_writes_to_a_dropped_end_fail() {
        let (a, b) = pair();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4];
            (&a).read(&mut buf)
        });
        std::thread::sleep(Duration::from_millis(20));
        b.destroy();
        assert_eq!(reader.join().unwrap().unwrap(), 0);
        let (c, d) = pair();
        drop(d);
        assert_eq!(
            (&c).write(b"x").unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
        assert!(c.peer_closed());
    }
}
