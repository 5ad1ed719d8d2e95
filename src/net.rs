//! [`Socket`]: the connection under a request or response, over TCP, a Unix socket, or a
//! stream of your own ([`Transport`]).
#![forbid(unsafe_code)]

use std::fmt;
use std::io::{self, IoSlice, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A byte stream stdhttp can run HTTP over, for streams that are neither TCP nor Unix
/// sockets (TLS, an in-memory pipe...). Methods take `&self` because one thread may read
/// while another writes, as with [`TcpStream`]; the implementation provides its own locking.
pub trait Transport: Send + Sync + 'static {
    /// Read into `buf`, like [`Read::read`]; 0 means end of stream.
    fn read(&self, buf: &mut [u8]) -> io::Result<usize>;
    /// Write from `buf`, like [`Write::write`].
    fn write(&self, buf: &[u8]) -> io::Result<usize>;
    /// Flush buffered output.
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
    /// Bound each next read to `ms` milliseconds (0 = no timeout, as everywhere in
    /// stdhttp); a read that waits longer fails with `WouldBlock` or `TimedOut`.
    fn set_read_timeout(&self, ms: u64) -> io::Result<()>;
    /// Bound each next write to `ms` milliseconds (0 = no timeout).
    fn set_write_timeout(&self, ms: u64) -> io::Result<()>;
    /// Shut down reading, writing or both; a blocked read must return promptly.
    fn shutdown(&self, how: Shutdown) -> io::Result<()>;
    /// A printable address of the peer, if there is one.
    fn peer(&self) -> Option<String> {
        None
    }
    /// Look at the stream without waiting and without taking anything: `Some(Ok(0))` the
    /// peer has closed, `Some(Ok(n))` `n > 0` bytes wait to be read, `Some(Err(_))` of kind
    /// `WouldBlock` nothing has arrived (another error: the stream failed). `None` (the
    /// default): this transport cannot tell. The [`Agent`](crate::Agent) looks before it
    /// reuses an idle pooled stream; one that cannot be looked at counts as open, and a
    /// request that then fails before any response byte relies on the agent's retry rule
    /// ([`AgentOptions::retry_idempotent`](crate::AgentOptions::retry_idempotent)).
    fn peek_now(&self) -> Option<io::Result<usize>> {
        None
    }
}

/// A timeout as a [`Transport`] takes it: whole ms, at least 1, 0 for none.
fn transport_ms(t: Option<Duration>) -> u64 {
    t.map_or(0, |d| {
        let ms = d.as_micros().div_ceil(1000);
        ms.clamp(1, u128::from(u64::MAX)) as u64
    })
}

/// What a [`Transport`]'s `peek_now` says of an idle stream.
fn transport_peek(t: &dyn Transport) -> crate::sys::Peek {
    match t.peek_now() {
        Some(Ok(0)) => crate::sys::Peek::Closed,
        Some(Ok(_)) => crate::sys::Peek::Data,
        Some(Err(e)) if e.kind() != io::ErrorKind::WouldBlock => crate::sys::Peek::Closed,
        _ => crate::sys::Peek::Quiet,
    }
}

enum Stream {
    Tcp(TcpStream),
    #[cfg(unix)]
    Unix(UnixStream),
    User(Box<dyn Transport>),
}

type AgentHook = Box<dyn Fn() + Send + Sync>;

struct Inner {
    stream: Stream,
    destroyed: AtomicBool,
    /// The inactivity timeout set through [`Socket::set_timeout`], in ms (0 = none).
    timeout_ms: AtomicU64,
    /// Bumped whenever the socket's timeouts are set from outside the connection's reader,
    /// so the reader knows its idea of the current read timeout is stale.
    timeout_gen: AtomicU64,
    /// TCP keep-alive as last set: the initial delay in ms + 1, or 0 when off.
    tcp_keep_alive: AtomicU64,
    /// The send timeout in force, in µs (0 = none).
    write_timeout_us: AtomicU64,
    /// Reads and writes stamp [`Inner::last_io`] (someone watches for inactivity).
    watch_io: AtomicBool,
    /// When bytes last moved, in µs since [`epoch`].
    last_io: AtomicU64,
    agent_remove: Mutex<Option<AgentHook>>,
}

/// A connection: Node's `net.Socket` as far as HTTP needs it.
///
/// Cloning a `Socket` gives another handle to the same connection (like
/// [`Socket::try_clone`]); the connection closes when [`Socket::destroy`] is called or the
/// last handle is dropped.
///
/// ```no_run
/// use std::io::{Read, Write};
/// let mut socket = stdhttp::Socket::connect("127.0.0.1:8080")?;
/// socket.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
/// let mut reply = Vec::new();
/// socket.read_to_end(&mut reply)?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Socket {
    inner: Arc<Inner>,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("remote", &self.remote_string())
            .field("destroyed", &self.is_destroyed())
            .finish()
    }
}

impl Socket {
    fn from_stream(stream: Stream) -> Socket {
        Socket {
            inner: Arc::new(Inner {
                stream,
                destroyed: AtomicBool::new(false),
                timeout_ms: AtomicU64::new(0),
                timeout_gen: AtomicU64::new(0),
                tcp_keep_alive: AtomicU64::new(0),
                write_timeout_us: AtomicU64::new(0),
                watch_io: AtomicBool::new(false),
                last_io: AtomicU64::new(0),
                agent_remove: Mutex::new(None),
            }),
        }
    }

    /// Wrap a connected TCP stream.
    pub fn from_tcp(stream: TcpStream) -> Socket {
        Socket::from_stream(Stream::Tcp(stream))
    }

    /// Wrap a connected Unix-domain stream.
    #[cfg(unix)]
    pub fn from_unix(stream: UnixStream) -> Socket {
        Socket::from_stream(Stream::Unix(stream))
    }

    /// Wrap a stream of your own (TLS, a pipe...).
    pub fn from_transport(transport: impl Transport) -> Socket {
        Socket::from_stream(Stream::User(Box::new(transport)))
    }

    /// Two connected in-memory sockets (Go's `net.Pipe`, with a 64 KiB buffer each way):
    /// what one writes the other reads, with no socket or descriptor at all. Timeouts,
    /// half-close ([`end`](Self::end)) and [`destroy`](Self::destroy) behave as on TCP.
    /// Run a server and a client against each other in a test, or hand one end to
    /// [`Server::serve_socket`](crate::Server::serve_socket) and the other to a request's
    /// [`create_connection`](crate::RequestOptions::create_connection).
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let (mut a, mut b) = stdhttp::Socket::pair();
    /// a.write_all(b"ping")?;
    /// a.end();
    /// let mut got = String::new();
    /// b.read_to_string(&mut got)?;
    /// assert_eq!(got, "ping");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn pair() -> (Socket, Socket) {
        crate::pipe::pair()
    }

    /// Open a TCP connection (a convenience for tests and tools).
    pub fn connect(addr: impl std::net::ToSocketAddrs) -> io::Result<Socket> {
        Ok(Socket::from_tcp(TcpStream::connect(addr)?))
    }

    /// The TCP stream under this socket, if it is one.
    pub fn as_tcp(&self) -> Option<&TcpStream> {
        match &self.inner.stream {
            Stream::Tcp(s) => Some(s),
            _ => None,
        }
    }

    /// Another handle to the same connection (Node sockets are shared objects; so is this).
    pub fn try_clone(&self) -> io::Result<Socket> {
        Ok(self.clone())
    }

    /// Whether two handles are the same connection.
    pub fn same_as(&self, other: &Socket) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Set the inactivity timeout (Node's `socket.setTimeout(ms)`), in ms; 0 = no timeout: a read or write
    /// that waits longer fails with `ETIMEDOUT`.
    pub fn set_timeout(&self, ms: u64) -> io::Result<()> {
        self.inner.timeout_ms.store(ms, Ordering::Relaxed);
        self.inner.timeout_gen.fetch_add(1, Ordering::AcqRel);
        let t = (ms > 0).then(|| Duration::from_millis(ms));
        self.set_read_timeout(t)?;
        self.set_write_timeout(t)
    }

    /// Changes whenever [`Socket::set_timeout`] is called.
    pub(crate) fn timeout_generation(&self) -> u64 {
        self.inner.timeout_gen.load(Ordering::Acquire)
    }

    /// The inactivity timeout in ms (0 = no timeout).
    pub fn timeout(&self) -> u64 {
        self.inner.timeout_ms.load(Ordering::Relaxed)
    }

    /// Disable (`true`) or enable Nagle's algorithm. No-op for non-TCP sockets.
    pub fn set_no_delay(&self, no_delay: bool) -> io::Result<()> {
        match &self.inner.stream {
            Stream::Tcp(s) => s.set_nodelay(no_delay),
            _ => Ok(()),
        }
    }

    /// Turn TCP keep-alive probes on or off, the first probe after `initial_delay_ms` of
    /// silence (Node's `socket.setKeepAlive`). No-op for non-TCP sockets.
    pub fn set_keep_alive(&self, enable: bool, initial_delay_ms: u64) -> io::Result<()> {
        // a pooled socket is set up again each time it is freed: skip what is in force
        let state = if enable {
            initial_delay_ms.saturating_add(1)
        } else {
            0
        };
        if self.inner.tcp_keep_alive.swap(state, Ordering::AcqRel) == state {
            return Ok(());
        }
        match &self.inner.stream {
            #[cfg(unix)]
            Stream::Tcp(s) => {
                use std::os::fd::AsRawFd;
                let secs = initial_delay_ms.saturating_add(999) / 1000;
                let secs = secs.clamp(1, u64::from(u32::MAX)) as u32;
                crate::sys::set_tcp_keep_alive(s.as_raw_fd(), enable, secs)
            }
            _ => {
                let _ = (enable, initial_delay_ms);
                Ok(())
            }
        }
    }

    fn remote(&self) -> Option<SocketAddr> {
        match &self.inner.stream {
            Stream::Tcp(s) => s.peer_addr().ok(),
            _ => None,
        }
    }

    fn local(&self) -> Option<SocketAddr> {
        match &self.inner.stream {
            Stream::Tcp(s) => s.local_addr().ok(),
            _ => None,
        }
    }

    fn remote_string(&self) -> Option<String> {
        match &self.inner.stream {
            Stream::User(t) => t.peer(),
            _ => self.remote().map(|a| a.to_string()),
        }
    }

    /// The peer's IP address (`"127.0.0.1"`, `"::1"`), for TCP sockets.
    pub fn remote_address(&self) -> Option<String> {
        self.remote().map(|a| a.ip().to_string())
    }

    /// The peer's port, for TCP sockets.
    pub fn remote_port(&self) -> Option<u16> {
        self.remote().map(|a| a.port())
    }

    /// The peer's socket address, for TCP sockets.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.remote()
    }

    /// This end's IP address, for TCP sockets.
    pub fn local_address(&self) -> Option<String> {
        self.local().map(|a| a.ip().to_string())
    }

    /// This end's port, for TCP sockets.
    pub fn local_port(&self) -> Option<u16> {
        self.local().map(|a| a.port())
    }

    /// Half-close: send FIN, keep reading (Node's `socket.end()`).
    pub fn end(&self) {
        let _ = self.shutdown(Shutdown::Write);
    }

    /// Close both directions now (Node's `socket.destroy()`): blocked reads and writes on
    /// every handle return at once. Idempotent.
    pub fn destroy(&self) {
        if !self.inner.destroyed.swap(true, Ordering::AcqRel) {
            let _ = self.shutdown(Shutdown::Both);
        }
    }

    /// Mark the socket destroyed without a system call: the descriptor closes when the last
    /// handle is dropped (for a connection already shut for writing with nothing left to
    /// read).
    pub(crate) fn forget_handles_close(&self) {
        self.inner.destroyed.store(true, Ordering::Release);
    }

    /// Whether [`Socket::destroy`] was called.
    pub fn is_destroyed(&self) -> bool {
        self.inner.destroyed.load(Ordering::Acquire)
    }

    /// Take this socket out of the [`Agent`](crate::Agent)'s pool (the seed's `agentRemove`
    /// event): the agent stops counting it and will never reuse it, so a request can keep
    /// the connection as long as it likes without blocking the pool.
    pub fn agent_remove(&self) {
        let hook = match self.inner.agent_remove.lock() {
            Ok(mut g) => g.take(),
            Err(p) => p.into_inner().take(),
        };
        if let Some(hook) = hook {
            hook();
        }
    }

    pub(crate) fn set_agent_remove_hook(&self, hook: Option<AgentHook>) {
        match self.inner.agent_remove.lock() {
            Ok(mut g) => *g = hook,
            Err(p) => *p.into_inner() = hook,
        }
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match &self.inner.stream {
            Stream::Tcp(s) => s.shutdown(how),
            #[cfg(unix)]
            Stream::Unix(s) => s.shutdown(how),
            Stream::User(t) => t.shutdown(how),
        }
    }

    pub(crate) fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        let t = t.map(|d| d.max(Duration::from_millis(1)));
        match &self.inner.stream {
            Stream::Tcp(s) => s.set_read_timeout(t),
            #[cfg(unix)]
            Stream::Unix(s) => s.set_read_timeout(t),
            Stream::User(u) => u.set_read_timeout(transport_ms(t)),
        }
    }

    pub(crate) fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        let t = t.map(|d| d.max(Duration::from_millis(1)));
        self.assume_write_timeout(t);
        self.arm_send_timeout(t)
    }

    /// Set the stream's send timeout without recording it as the one in force (a budget
    /// that shrinks it for the sends of one message).
    fn arm_send_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match &self.inner.stream {
            Stream::Tcp(s) => s.set_write_timeout(t),
            #[cfg(unix)]
            Stream::Unix(s) => s.set_write_timeout(t),
            Stream::User(u) => u.set_write_timeout(transport_ms(t)),
        }
    }

    /// The socket was created with this send timeout (inherited from its listener).
    pub(crate) fn assume_write_timeout(&self, t: Option<Duration>) {
        let us = t.map_or(0, |d| d.as_micros().clamp(1, u64::MAX as u128) as u64);
        self.inner.write_timeout_us.store(us, Ordering::Relaxed);
    }

    /// From now on reads and writes record when bytes last moved; returns now.
    pub(crate) fn watch_io(&self) -> Instant {
        let now = Instant::now();
        self.inner.last_io.store(stamp(now), Ordering::Relaxed);
        self.inner.watch_io.store(true, Ordering::Relaxed);
        now
    }

    /// When bytes last moved (since [`Socket::watch_io`]).
    pub(crate) fn last_io(&self) -> Instant {
        epoch() + Duration::from_micros(self.inner.last_io.load(Ordering::Relaxed))
    }

    fn moved(&self, n: usize) {
        if n > 0 && self.inner.watch_io.load(Ordering::Relaxed) {
            self.inner
                .last_io
                .store(stamp(Instant::now()), Ordering::Relaxed);
        }
    }

    /// The send timeout in force.
    pub(crate) fn write_timeout(&self) -> Option<Duration> {
        match self.inner.write_timeout_us.load(Ordering::Relaxed) {
            0 => None,
            us => Some(Duration::from_micros(us)),
        }
    }

    /// A non-blocking look at a connection that should be idle (the blocking mode is left
    /// alone, so a thread blocked on the socket is not disturbed).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn peek_idle(&self) -> crate::sys::Peek {
        use std::os::fd::AsRawFd;
        if self.is_destroyed() {
            return crate::sys::Peek::Closed;
        }
        match &self.inner.stream {
            Stream::Tcp(s) => crate::sys::peek(s.as_raw_fd()),
            Stream::Unix(s) => crate::sys::peek(s.as_raw_fd()),
            Stream::User(t) => transport_peek(t.as_ref()),
        }
    }

    /// Read what is there without waiting (`WouldBlock` when nothing is).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(crate) fn read_now(&self, buf: &mut [u8]) -> io::Result<usize> {
        use std::os::fd::AsRawFd;
        let n = match &self.inner.stream {
            Stream::Tcp(s) => crate::sys::recv_now(s.as_raw_fd(), buf),
            Stream::Unix(s) => crate::sys::recv_now(s.as_raw_fd(), buf),
            Stream::User(_) => Err(io::ErrorKind::WouldBlock.into()),
        }?;
        self.moved(n);
        Ok(n)
    }

    /// Elsewhere there is no parked wait: a read that does not wait is never asked for.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn read_now(&self, _buf: &mut [u8]) -> io::Result<usize> {
        Err(io::ErrorKind::WouldBlock.into())
    }

    /// The descriptor to register in the readiness set (TCP and Unix sockets only).
    #[cfg(unix)]
    pub(crate) fn raw_fd(&self) -> Option<std::os::fd::RawFd> {
        use std::os::fd::AsRawFd;
        match &self.inner.stream {
            Stream::Tcp(s) => Some(s.as_raw_fd()),
            Stream::Unix(s) => Some(s.as_raw_fd()),
            Stream::User(_) => None,
        }
    }

    /// Without `MSG_DONTWAIT`, an idle connection can only be assumed quiet.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(crate) fn peek_idle(&self) -> crate::sys::Peek {
        match &self.inner.stream {
            _ if self.is_destroyed() => crate::sys::Peek::Closed,
            Stream::User(t) => transport_peek(t.as_ref()),
            _ => crate::sys::Peek::Quiet,
        }
    }

    /// Whether the peer has closed (or reset) a connection that should be idle, or sent
    /// bytes nobody asked for: either way it cannot carry a new request. Used before a pooled
    /// socket is reused.
    pub(crate) fn peer_closed(&self) -> bool {
        self.peek_idle() != crate::sys::Peek::Quiet
    }

    /// Write all of `parts` in as few system calls as possible (no copying).
    pub(crate) fn write_all_vectored(&self, parts: &[&[u8]]) -> io::Result<()> {
        self.write_all_within(parts, &mut None)
    }

    /// [`write_all_vectored`](Self::write_all_vectored) where `budget`, when set, is the
    /// time the sends may still wait for the peer in all (one message's writes share it):
    /// time blocked in each send is taken from it, and a send never waits longer than
    /// what is left, so a reader that takes a byte now and then cannot hold the writer
    /// past it. Fails with `TimedOut` once it is spent.
    pub(crate) fn write_all_within(
        &self,
        parts: &[&[u8]],
        budget: &mut Option<Duration>,
    ) -> io::Result<()> {
        let configured = self.write_timeout();
        let mut armed = configured;
        let result = self.write_parts(parts, budget, &mut armed);
        if armed != configured {
            let _ = self.arm_send_timeout(configured);
        }
        result
    }

    fn write_parts(
        &self,
        parts: &[&[u8]],
        budget: &mut Option<Duration>,
        armed: &mut Option<Duration>,
    ) -> io::Result<()> {
        let mut idx = 0;
        let mut off = 0;
        while idx < parts.len() {
            if parts[idx].len() == off {
                idx += 1;
                off = 0;
                continue;
            }
            // a few parts (the usual head + body) need no allocation
            const INLINE: usize = 4;
            let mut inline = [IoSlice::new(&[]); INLINE];
            let mut spilled: Vec<IoSlice<'_>> = Vec::new();
            let first = IoSlice::new(&parts[idx][off..]);
            let rest = parts[idx + 1..].iter().filter(|p| !p.is_empty());
            let slices: &[IoSlice<'_>] = if parts.len() - idx <= INLINE {
                let mut k = 1;
                inline[0] = first;
                for p in rest {
                    inline[k] = IoSlice::new(p);
                    k += 1;
                }
                &inline[..k]
            } else {
                spilled.push(first);
                spilled.extend(rest.map(|p| IoSlice::new(p)));
                &spilled
            };
            if let Some(left) = *budget {
                if left.is_zero() {
                    return Err(io::ErrorKind::TimedOut.into());
                }
                if armed.is_none_or(|a| left.saturating_add(Duration::from_secs(1)) < a) {
                    // SO_SNDTIMEO is the wait of one send: make it what the budget has left
                    let t = left.max(Duration::from_millis(1));
                    self.arm_send_timeout(Some(t))?;
                    *armed = Some(t);
                }
            }
            let started = budget.is_some().then(Instant::now);
            let sent = (&*self).write_vectored(slices);
            if let (Some(left), Some(t0)) = (budget.as_mut(), started) {
                *left = left.saturating_sub(t0.elapsed());
            }
            let n = match sent {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(io::ErrorKind::TimedOut.into())
                }
                Err(e) => return Err(e),
            };
            let mut left = n;
            while left > 0 && idx < parts.len() {
                let avail = parts[idx].len() - off;
                if left >= avail {
                    left -= avail;
                    idx += 1;
                    off = 0;
                } else {
                    off += left;
                    left = 0;
                }
            }
        }
        Ok(())
    }
}

/// The instant activity stamps count from.
fn epoch() -> Instant {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn stamp(t: Instant) -> u64 {
    t.saturating_duration_since(epoch()).as_micros() as u64
}

impl Read for &Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &self.inner.stream {
            Stream::Tcp(s) => (&*s).read(buf),
            #[cfg(unix)]
            Stream::Unix(s) => (&*s).read(buf),
            Stream::User(t) => t.read(buf),
        }?;
        self.moved(n);
        Ok(n)
    }
}

impl Write for &Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = match &self.inner.stream {
            Stream::Tcp(s) => (&*s).write(buf),
            #[cfg(unix)]
            Stream::Unix(s) => (&*s).write(buf),
            Stream::User(t) => t.write(buf),
        }?;
        self.moved(n);
        Ok(n)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let n = match &self.inner.stream {
            Stream::Tcp(s) => (&*s).write_vectored(bufs),
            #[cfg(unix)]
            Stream::Unix(s) => (&*s).write_vectored(bufs),
            Stream::User(t) => match bufs.iter().find(|b| !b.is_empty()) {
                Some(b) => t.write(b),
                None => Ok(0),
            },
        }?;
        self.moved(n);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        match &self.inner.stream {
            Stream::User(t) => t.flush(),
            _ => Ok(()),
        }
    }
}

impl Read for Socket {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self).read(buf)
    }
}

impl Write for Socket {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self).write(buf)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self).write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        (&*self).flush()
    }
}

/// A scripted in-memory stream for the crate's unit tests.
#[cfg(test)]
pub(crate) mod testing {
    use std::collections::VecDeque;
    use std::io;
    use std::sync::{Arc, Mutex};

    /// One write the stream saw: where its bytes start in memory, and the bytes.
    pub type Write = (usize, Vec<u8>);

    /// Hands out the scripted reads (then EOF) and records each write.
    #[derive(Clone, Default)]
    pub struct Scripted {
        pub reads: Arc<Mutex<VecDeque<Vec<u8>>>>,
        pub writes: Arc<Mutex<Vec<Write>>>,
    }

    impl Scripted {
        pub fn reading(chunks: impl IntoIterator<Item = Vec<u8>>) -> Scripted {
            let s = Scripted::default();
            s.reads.lock().unwrap().extend(chunks);
            s
        }
    }

    impl super::Transport for Scripted {
        fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
            let mut q = self.reads.lock().unwrap();
            match q.pop_front() {
                Some(mut chunk) => {
                    let n = chunk.len().min(buf.len());
                    buf[..n].copy_from_slice(&chunk[..n]);
                    if n < chunk.len() {
                        q.push_front(chunk.split_off(n));
                    }
                    Ok(n)
                }
                None => Ok(0),
            }
        }
        fn write(&self, buf: &[u8]) -> io::Result<usize> {
            let record = (buf.as_ptr() as usize, buf.to_vec());
            self.writes.lock().unwrap().push(record);
            Ok(buf.len())
        }
        fn set_read_timeout(&self, _: u64) -> io::Result<()> {
            Ok(())
        }
        fn set_write_timeout(&self, _: u64) -> io::Result<()> {
            Ok(())
        }
        fn shutdown(&self, _: std::net::Shutdown) -> io::Result<()> {
            Ok(())
        }
    }
}
