//! Listening: binding TCP and Unix sockets (or adopting the caller's), priming the listener,
//! the accept loop, and handing each connection to the readiness set or a worker (or
//! shedding it with a `503` when there is no room).
#![forbid(unsafe_code)]

use std::io;
use std::net::{TcpListener, ToSocketAddrs};
#[cfg(unix)]
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::conn;
use super::conn_state::lock;
use super::pool::Pool;
use super::{Inherited, Server, ServerAddress, ServerInner, WaitModel, DEFAULT_BACKLOG};
use crate::debug::debug_http;
use crate::net::Socket;
use crate::Error;

pub(super) enum Bound {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(UnixListener, Option<PathBuf>),
    /// The caller's own accept loop ([`Server::listen_with`]).
    User(Box<dyn Accept>),
}

pub(super) struct Listening {
    /// `None` for a listener of the caller's own.
    pub address: Option<ServerAddress>,
    /// Where `close` connects to wake the blocked accept (`None`: it cannot).
    pub wake: Option<ServerAddress>,
    /// The listener (a handle to it), when its port is shared (`SO_REUSEPORT`): `close`
    /// stops it rather than connect to the port.
    pub shared_port: Option<TcpListener>,
    pub accept_thread: Option<thread::JoinHandle<()>>,
    /// Set by `close`: this listening's accept loop ends (a later `listen` has its own).
    pub stop: Arc<AtomicBool>,
}

/// A source of connections for [`Server::listen_with`]: your own accept loop (a TLS
/// acceptor, a vsock listener, an SSH channel multiplexer...). Any
/// `FnMut() -> io::Result<Socket> + Send` closure is one.
///
/// Each call waits for the next connection and returns it as a [`Socket`] (wrap your stream
/// with [`Socket::from_transport`]). The server calls it in a loop on a thread of its own
/// until [`Server::close`]. An error is a connection that failed or a quiet moment, never
/// the end: the loop goes on (after 10 ms for errors other than `Interrupted`,
/// `WouldBlock`, `TimedOut`, `ConnectionAborted` and `ConnectionReset`, so a listener out
/// of descriptors does not spin), as the server's own accept loop does.
pub trait Accept: Send + 'static {
    /// Wait for the next connection.
    fn accept(&mut self) -> io::Result<Socket>;
}

impl<F> Accept for F
where
    F: FnMut() -> io::Result<Socket> + Send + 'static,
{
    fn accept(&mut self) -> io::Result<Socket> {
        self()
    }
}

impl Server {
    /// Bind TCP `addr` (e.g. `"127.0.0.1:0"`) with backlog 511 and serve in the background
    /// (the port shared with other listeners when [`set_reuse_port`](Self::set_reuse_port)
    /// is on). Errors: `EADDRINUSE`, `ERR_SERVER_ALREADY_LISTEN`.
    pub fn listen(&self, addr: impl ToSocketAddrs) -> Result<(), Error> {
        self.listen_with_backlog(addr, DEFAULT_BACKLOG)
    }

    /// [`listen`](Self::listen) with a backlog of your choice.
    pub fn listen_with_backlog(&self, addr: impl ToSocketAddrs, backlog: u32) -> Result<(), Error> {
        self.check_not_listening()?;
        let listener = if self.reuse_port() {
            bind_first(addr, |a| crate::sys::listen_tcp(a, backlog, true))?
        } else {
            let listener = TcpListener::bind(addr)?;
            #[cfg(unix)]
            {
                use std::os::fd::AsRawFd;
                crate::sys::set_backlog(listener.as_raw_fd(), backlog)?;
            }
            listener
        };
        self.start(Bound::Tcp(listener), true)
    }

    /// Serve on a Unix socket at `path` (removed again when the server closes).
    #[cfg(unix)]
    pub fn listen_unix(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        self.check_not_listening()?;
        let path = path.as_ref().to_path_buf();
        let listener = UnixListener::bind(&path)?;
        self.start(Bound::Unix(listener, Some(path)), false)
    }

    /// Serve on a TCP listener you bound yourself. The server accepts with blocking calls,
    /// so a non-blocking listener is switched to blocking; its other options are left as
    /// they are.
    pub fn listen_on(&self, listener: TcpListener) -> Result<(), Error> {
        self.check_not_listening()?;
        self.start(Bound::Tcp(listener), false)
    }

    /// Serve on a Unix listener you bound yourself (switched to blocking, as for
    /// [`listen_on`](Self::listen_on)).
    #[cfg(unix)]
    pub fn listen_unix_on(&self, listener: UnixListener) -> Result<(), Error> {
        self.check_not_listening()?;
        self.start(Bound::Unix(listener, None), false)
    }

    /// Serve on a listening socket given by its file descriptor (Node's `listen({fd})`),
    /// e.g. one inherited from a process manager. It takes an [`OwnedFd`](std::os::fd::OwnedFd)
    /// rather than Node's bare number: the server closes the descriptor when it closes, so it
    /// must own it (turn an inherited number into one with the `unsafe`
    /// `OwnedFd::from_raw_fd`, whose contract is exactly that). A TCP or Unix listening
    /// socket.
    ///
    /// ```no_run
    /// use std::os::fd::OwnedFd;
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let server = stdhttp::Server::new();
    /// server.listen_fd(OwnedFd::from(listener))?;
    /// # Ok::<(), stdhttp::Error>(())
    /// ```
    #[cfg(unix)]
    pub fn listen_fd(&self, fd: std::os::fd::OwnedFd) -> Result<(), Error> {
        use std::os::fd::AsRawFd;
        self.check_not_listening()?;
        if crate::sys::is_unix_socket(fd.as_raw_fd())? {
            self.start(Bound::Unix(UnixListener::from(fd), None), false)
        } else {
            self.start(Bound::Tcp(TcpListener::from(fd)), false)
        }
    }

    /// Serve the connections your own `accept` returns (see [`Accept`]), e.g. TLS streams
    /// your acceptor has completed the handshake of. Each is served like an accepted TCP
    /// connection: the server's timeouts, pool, shedding and close semantics, parked between
    /// requests when the stream is a TCP or Unix socket, thread per connection otherwise.
    ///
    /// [`close`](Self::close) cannot interrupt your `accept`: it stops the loop and returns
    /// without waiting for it; the connection a blocked `accept` returns afterwards is
    /// closed unserved, and the loop's thread (with whatever your closure owns, such as its
    /// listener) ends then. So let `accept` return now and then — a non-blocking listener
    /// polled every few ms, or a timeout (`WouldBlock`/`TimedOut`) — and the thread ends
    /// within that after `close`. [`address`](Self::address) is `None` for such a server.
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// use std::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0")?;
    /// let addr = listener.local_addr()?;
    /// listener.set_nonblocking(true)?; // returns now and then, so `close` ends the loop
    /// let server = stdhttp::create_server(|_req, mut res| res.end(b"mine").unwrap());
    /// server.listen_with(move || match listener.accept() {
    ///     Ok((tcp, _)) => {
    ///         tcp.set_nonblocking(false)?;
    ///         // a real acceptor would set up its TLS session here
    ///         Ok(stdhttp::Socket::from_tcp(tcp))
    ///     }
    ///     Err(e) => {
    ///         std::thread::sleep(std::time::Duration::from_millis(5));
    ///         Err(e) // WouldBlock: nothing yet
    ///     }
    /// })?;
    ///
    /// let mut client = std::net::TcpStream::connect(addr)?;
    /// client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    /// let mut reply = String::new();
    /// client.read_to_string(&mut reply)?;
    /// assert!(reply.ends_with("\r\n\r\nmine"));
    /// server.close()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn listen_with(&self, accept: impl Accept) -> Result<(), Error> {
        self.check_not_listening()?;
        self.start(Bound::User(Box::new(accept)), false)
    }

    /// Serve one connected stream as if the server had accepted it (Node's
    /// `server.emit('connection', socket)`): timeouts, pool, shedding, close semantics and
    /// the wait model as for an accepted connection (a stream without a descriptor, such as
    /// a [`Transport`](crate::Transport) of your own, is served thread per connection).
    /// Returns at once. On a server that is not listening, the connection is served on a
    /// thread of its own (thread per connection), still tracked by
    /// [`close_all_connections`](Self::close_all_connections).
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let server = stdhttp::create_server(|_req, mut res| res.end(b"hi").unwrap());
    /// server.listen("127.0.0.1:0")?;
    /// let (mut ours, theirs) = stdhttp::Socket::pair();
    /// server.serve_socket(theirs);
    /// ours.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    /// let mut reply = String::new();
    /// ours.read_to_string(&mut reply)?;
    /// assert!(reply.starts_with("HTTP/1.1 200 OK\r\n") && reply.ends_with("\r\n\r\nhi"));
    /// server.close()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn serve_socket(&self, socket: Socket) {
        let pool = lock(&self.inner.pool).clone();
        let listening = lock(&self.inner.tracked).listening;
        if let Some(tcp) = socket.as_tcp() {
            let _ = tcp.set_nodelay(true);
        }
        match pool {
            Some(pool) if listening => admit(&self.inner, &pool, socket, Inherited::default()),
            _ => {
                let server = self.clone();
                let fallback = socket.clone();
                let spawned = thread::Builder::new()
                    .name("stdhttp-conn".into())
                    .spawn(move || server.serve_socket_blocking(socket));
                if spawned.is_err() {
                    // no thread to serve it on: as a full pool
                    refuse(&fallback);
                }
            }
        }
    }

    fn check_not_listening(&self) -> Result<(), Error> {
        if lock(&self.inner.listening).is_some() {
            return Err(Error::already_listening());
        }
        Ok(())
    }

    /// Set on a listener the server bound itself what every connection starts with (no
    /// Nagle, the first read's and every write's timeout), so accepting costs no
    /// `setsockopt` calls. Not done when the first read's timeout is under a second: the
    /// listener's receive timeout also ends each quiet `accept`.
    fn prime(&self, bound: &Bound) -> Inherited {
        #[cfg(unix)]
        if let Bound::Tcp(l) = bound {
            use std::os::fd::AsRawFd;
            let c = &self.inner.config;
            let ms = |v: &AtomicU64| conn::ms(v.load(Ordering::Relaxed));
            let timeout = ms(&c.timeout);
            // a new connection's first read waits for the headers timeout or the
            // inactivity bound, whichever is shorter (see `conn::serve`)
            let read = match (ms(&c.headers_timeout), timeout) {
                (Some(h), Some(t)) => Some(h.min(t)),
                (h, t) => h.or(t),
            };
            if read.is_none_or(|r| r >= Duration::from_secs(1))
                && crate::sys::prime_listener(l.as_raw_fd(), read, timeout).is_ok()
            {
                return Inherited {
                    read: Some(read),
                    write: Some(timeout),
                    nodelay: true,
                };
            }
        }
        let _ = bound;
        Inherited::default()
    }

    /// Serve `bound` in the background; `own`: the server bound it, so it may set options
    /// on it.
    fn start(&self, bound: Bound, own: bool) -> Result<(), Error> {
        let mut listening = lock(&self.inner.listening);
        if listening.is_some() {
            return Err(Error::already_listening());
        }
        let (address, wake) = match &bound {
            Bound::User(_) => (None, None),
            Bound::Tcp(l) => {
                let a = l.local_addr()?;
                let mut w = a;
                if w.ip().is_unspecified() {
                    w.set_ip(if a.is_ipv4() {
                        std::net::Ipv4Addr::LOCALHOST.into()
                    } else {
                        std::net::Ipv6Addr::LOCALHOST.into()
                    });
                }
                (Some(ServerAddress::Tcp(a)), Some(ServerAddress::Tcp(w)))
            }
            #[cfg(unix)]
            Bound::Unix(l, _) => {
                let p = l
                    .local_addr()?
                    .as_pathname()
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                (
                    Some(ServerAddress::Unix(p.clone())),
                    Some(ServerAddress::Unix(p)),
                )
            }
        };
        match &bound {
            Bound::Tcp(l) => l.set_nonblocking(false)?,
            #[cfg(unix)]
            Bound::Unix(l, _) => l.set_nonblocking(false)?,
            Bound::User(_) => {}
        }
        let inherited = if own {
            self.prime(&bound)
        } else {
            Inherited::default()
        };
        let shared_port = match &bound {
            #[cfg(unix)]
            Bound::Tcp(l) if crate::sys::reuses_port(std::os::fd::AsRawFd::as_raw_fd(l)) => {
                Some(l.try_clone()?)
            }
            _ => None,
        };
        let pool_config = *lock(&self.inner.config.pool);
        let pool = Pool::new(pool_config);
        *lock(&self.inner.pool) = Some(pool.clone());
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let parked = match *lock(&self.inner.config.wait_model) {
                WaitModel::Parked => Some(super::parked::Parked::new(pool_config)?),
                WaitModel::ThreadPerConnection => None,
            };
            *lock(&self.inner.parked) = parked;
        }
        self.inner.closing.store(false, Ordering::Release);
        lock(&self.inner.tracked).listening = true;
        let inner = self.inner.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let user = matches!(bound, Bound::User(_));
        let loop_stop = stop.clone();
        let accept_thread = thread::Builder::new()
            .name("stdhttp-accept".into())
            .spawn(move || accept_loop(inner, bound, pool, inherited, loop_stop))?;
        *listening = Some(Listening {
            address,
            wake,
            // `close` cannot wake a user's accept: it is not waited for
            accept_thread: (!user).then_some(accept_thread),
            stop,
            shared_port,
        });
        drop(listening);
        for f in &self.inner.handlers().listening {
            f();
        }
        Ok(())
    }
}

/// The first of `addr`'s addresses `bind` succeeds on, as `TcpListener::bind` tries them.
fn bind_first(
    addr: impl ToSocketAddrs,
    bind: impl Fn(std::net::SocketAddr) -> io::Result<TcpListener>,
) -> io::Result<TcpListener> {
    let mut last = None;
    for a in addr.to_socket_addrs()? {
        match bind(a) {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any addresses",
        )
    }))
}

fn accept_loop(
    inner: Arc<ServerInner>,
    mut bound: Bound,
    pool: Pool,
    inherited: Inherited,
    stop: Arc<AtomicBool>,
) {
    let accept = |bound: &mut Bound| match bound {
        Bound::Tcp(l) => l.accept().map(|(s, _)| {
            if !inherited.nodelay {
                let _ = s.set_nodelay(true);
            }
            Socket::from_tcp(s)
        }),
        #[cfg(unix)]
        Bound::Unix(l, _) => l.accept().map(|(s, _)| Socket::from_unix(s)),
        Bound::User(a) => a.accept().inspect(|s| {
            // as for what the server accepts itself
            if let Some(tcp) = s.as_tcp() {
                let _ = tcp.set_nodelay(true);
            }
        }),
    };
    // what a TCP connection inherits from this listener; a Unix one inherits nothing
    let inherited_by = |socket: &Socket| match socket.as_tcp() {
        Some(_) => inherited,
        None => Inherited::default(),
    };
    loop {
        let accepted = accept(&mut bound);
        let closing = stop.load(Ordering::Acquire);
        if closing && matches!(bound, Bound::User(_)) {
            // a user's accept that returns after `close` did not wake it: refuse
            if let Ok(socket) = accepted {
                socket.destroy();
            }
            return;
        }
        match accepted {
            // every connection accepted is served, even the one `close()` made to wake
            // this thread (it ends at once)
            Ok(socket) => {
                let inherited = inherited_by(&socket);
                admit(&inner, &pool, socket, inherited)
            }
            // out of descriptors or the like: give the system a moment rather than spin
            // (a failed connection, or a primed listener's receive timeout ending a quiet
            // accept, is no reason to wait)
            Err(e) if !closing => {
                if !matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::Interrupted
                        | io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                ) {
                    thread::sleep(Duration::from_millis(10));
                }
            }
            Err(_) => {}
        }
        if closing {
            // connections the kernel completed but nobody accepted yet would be reset when
            // the listener closes, with their requests in them: serve them too
            let nonblocking = match &bound {
                Bound::Tcp(l) => l.set_nonblocking(true),
                #[cfg(unix)]
                Bound::Unix(l, _) => l.set_nonblocking(true),
                Bound::User(_) => Ok(()),
            };
            if nonblocking.is_ok() {
                while let Ok(socket) = accept(&mut bound) {
                    let _ = match &socket.as_tcp() {
                        Some(s) => s.set_nonblocking(false),
                        None => Ok(()),
                    };
                    let inherited = inherited_by(&socket);
                    admit(&inner, &pool, socket, inherited);
                }
            }
            break;
        }
    }
    #[cfg(unix)]
    if let Bound::Unix(_, Some(path)) = &bound {
        let _ = std::fs::remove_file(path);
    }
}

/// Track a new connection and hand it to the pool, or drop it (over `max_connections`) or
/// shed it with a `503` (pool and queue full).
fn admit(inner: &Arc<ServerInner>, pool: &Pool, socket: Socket, inherited: Inherited) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let parked = lock(&inner.parked).clone();
    let idle = Arc::new(AtomicBool::new(false));
    let id = {
        let mut t = lock(&inner.tracked);
        let max = inner.config.max_connections.load(Ordering::Relaxed) as usize;
        if max > 0 && t.conns.len() >= max {
            drop(t);
            debug_http!("connection dropped: max_connections ({max}) reached");
            socket.destroy();
            return;
        }
        let id = super::Tracked::next_id();
        t.conns.insert(id, (socket.clone(), idle.clone()));
        id
    };
    let accepted_at = Instant::now();
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(parked) = parked {
        let max_queue = lock(&inner.config.pool).max_queue;
        if parked.saturated() && parked.new_waiting() >= max_queue {
            return shed(inner, &socket, id);
        }
        let opened = Box::new(conn::Conn::open(
            inner.clone(),
            socket.clone(),
            accepted_at,
            idle,
            id,
            inherited,
        ));
        if let Err(conn) = parked.register(opened) {
            // no descriptor to park (a transport of the caller's own): a worker of its own
            submit(inner, pool, &socket, id, move || *conn);
        }
        return;
    }
    let (job_inner, job_socket) = (inner.clone(), socket.clone());
    submit(inner, pool, &socket, id, move || {
        conn::Conn::open(job_inner, job_socket, accepted_at, idle, id, inherited)
    });
}

/// Serve the connection `open` gives on a worker (thread per connection), or shed it when
/// the pool has no room. A handler that panics kills its connection; the server and the
/// worker go on.
fn submit(
    inner: &Arc<ServerInner>,
    pool: &Pool,
    socket: &Socket,
    id: u64,
    open: impl FnOnce() -> conn::Conn + Send + 'static,
) {
    let (job_inner, job_socket) = (inner.clone(), socket.clone());
    let job = Box::new(move || {
        let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| conn::serve(open())));
        if served.is_err() {
            debug_http!("conn {id} closed (the handler panicked)");
            job_socket.destroy();
            job_inner.forget(id);
        }
    });
    if pool.submit(job).is_err() {
        shed(inner, socket, id);
    }
}

/// No room for a connection: `503` and close.
fn shed(inner: &ServerInner, socket: &Socket, id: u64) {
    debug_http!("conn {id} closed (shed with 503: no worker and no queue room)");
    refuse(socket);
    inner.forget(id);
}

/// Answer `503` (within 100 ms) and close.
fn refuse(socket: &Socket) {
    let _ = socket.set_write_timeout(Some(Duration::from_millis(100)));
    let _ = socket.write_all_vectored(&[crate::proto::canned::SHED]);
    socket.destroy();
}
