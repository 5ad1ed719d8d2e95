//! [`Server`]: Node's `http.Server` on blocking sockets and a bounded thread pool.
#![forbid(unsafe_code)]

mod conn;
mod conn_state;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod parked;
mod pool;
mod response;
mod watchdog;

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
#[cfg(unix)]
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub use response::{ServerResponse, TimeoutCallback};

use crate::message::IncomingMessage;
use crate::net::Socket;
use crate::Error;
use conn_state::lock;
use pool::{Pool, PoolConfig};

/// `server.timeout` (socket inactivity), from the seed documents: 120 000 ms. (Node 20: 0.)
pub const DEFAULT_TIMEOUT_MS: u64 = 120_000;
/// `server.headersTimeout` (Node 20): 60 000 ms.
pub const DEFAULT_HEADERS_TIMEOUT_MS: u64 = 60_000;
/// `server.requestTimeout` (Node 20): 300 000 ms.
pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = 300_000;
/// `server.keepAliveTimeout` (Node 20): 5 000 ms.
pub const DEFAULT_KEEP_ALIVE_TIMEOUT_MS: u64 = 5_000;
/// `server.maxHeadersCount`, from the seed documents: 1000 lines (0 = no limit).
pub const DEFAULT_MAX_HEADERS_COUNT: usize = 1000;
/// `server.maxHeaderSize` (Node 20): 16 384 bytes.
pub const DEFAULT_MAX_HEADER_SIZE: usize = 16 * 1024;
/// `server.maxRequestsPerSocket` (Node 20): 0 = unlimited.
pub const DEFAULT_MAX_REQUESTS_PER_SOCKET: u64 = 0;
/// `server.maxConnections`: 0 = unlimited (Node 20: unlimited).
pub const DEFAULT_MAX_CONNECTIONS: usize = 0;
/// The listen backlog, from the seed documents: 511.
pub const DEFAULT_BACKLOG: u32 = 511;
/// Worker threads kept even when idle.
pub const DEFAULT_MIN_THREADS: usize = 0;
/// The most worker threads, hence connections served at once. Each is a thread with a
/// small stack; idle keep-alive connections hold one each.
pub const DEFAULT_MAX_THREADS: usize = 16_384;
/// Connections that wait for a worker when all are busy; beyond this the server answers
/// `503` and closes.
pub const DEFAULT_MAX_QUEUE: usize = 1024;
/// Worker thread stack size (bytes). Only the pages a handler touches use memory.
pub const DEFAULT_THREAD_STACK_SIZE: usize = 256 * 1024;
/// An unread request body is drained up to this many bytes so the connection can serve
/// the next request; a longer one closes the connection.
pub const DEFAULT_DRAIN_LIMIT: u64 = 1024 * 1024;
/// The default bound on a request body: none (0), as Node.
pub const DEFAULT_MAX_BODY_SIZE: u64 = 0;

/// What `listen` bound to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerAddress {
    /// A TCP address (port 0 is replaced by the port chosen).
    Tcp(SocketAddr),
    /// A Unix socket path.
    Unix(PathBuf),
}

impl fmt::Display for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerAddress::Tcp(a) => write!(f, "{a}"),
            ServerAddress::Unix(p) => write!(f, "{}", p.display()),
        }
    }
}

impl ServerAddress {
    /// The port of a TCP address.
    pub fn port(&self) -> Option<u16> {
        match self {
            ServerAddress::Tcp(a) => Some(a.port()),
            ServerAddress::Unix(_) => None,
        }
    }
}

type RequestListener = Arc<dyn Fn(IncomingMessage, ServerResponse) + Send + Sync>;
type TunnelListener = Arc<dyn Fn(IncomingMessage, Socket, Vec<u8>) + Send + Sync>;
type SocketListener = Arc<dyn Fn(&Socket) + Send + Sync>;
type OwnedSocketListener = Arc<dyn Fn(Socket) + Send + Sync>;
type ErrorListener = Arc<dyn Fn(Error, Socket) + Send + Sync>;
type Listener = Arc<dyn Fn() + Send + Sync>;

/// The registered event listeners (copied on write, read once per connection).
#[derive(Clone, Default)]
pub(crate) struct Handlers {
    pub request: Option<RequestListener>,
    pub connection: Vec<SocketListener>,
    pub close: Vec<Listener>,
    pub listening: Vec<Listener>,
    pub check_continue: Vec<RequestListener>,
    pub check_expectation: Vec<RequestListener>,
    pub connect: Vec<TunnelListener>,
    pub upgrade: Vec<TunnelListener>,
    pub client_error: Vec<ErrorListener>,
    pub timeout: Vec<OwnedSocketListener>,
}

pub(crate) struct Config {
    pub timeout: AtomicU64,
    pub headers_timeout: AtomicU64,
    pub request_timeout: AtomicU64,
    pub keep_alive_timeout: AtomicU64,
    pub max_requests_per_socket: AtomicU64,
    pub max_connections: AtomicU64,
    pub max_header_size: AtomicU64,
    pub max_headers_count: AtomicU64,
    pub drain_limit: AtomicU64,
    pub max_body_size: AtomicU64,
    pool: Mutex<PoolConfig>,
    wait_model: Mutex<WaitModel>,
}

enum Bound {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(UnixListener, Option<PathBuf>),
}

struct Listening {
    address: ServerAddress,
    wake: ServerAddress,
    accept_thread: Option<thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Tracked {
    next_id: u64,
    conns: HashMap<u64, (Socket, Arc<AtomicBool>)>,
    listening: bool,
    /// The thread running the `close` listeners: `join` waits for them too (unless a
    /// listener itself calls `join`).
    close_running: Option<thread::ThreadId>,
}

pub(crate) struct ServerInner {
    pub config: Config,
    handlers: Mutex<Arc<Handlers>>,
    listening: Mutex<Option<Listening>>,
    tracked: Mutex<Tracked>,
    closed_cv: Condvar,
    pub closing: AtomicBool,
    pool: Mutex<Option<Pool>>,
    #[cfg(any(target_os = "linux", target_os = "android"))]
    parked: Mutex<Option<Arc<parked::Parked>>>,
}

/// Where a connection waits between requests (and while a request head trickles in).
///
/// ```
/// use stdhttp::{Server, WaitModel};
/// let server = Server::new();
/// server.set_wait_model(WaitModel::ThreadPerConnection);
/// assert_eq!(server.wait_model(), WaitModel::ThreadPerConnection);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitModel {
    /// In the kernel's readiness set (epoll): a connection with no request in flight costs
    /// no thread; a worker that takes a ready connection runs its handler itself. The
    /// default on Linux.
    Parked,
    /// A worker owns the connection until it closes and waits in `recv` between requests:
    /// one thread switch per request, one thread per open connection. The default
    /// elsewhere, and what connections over a [`Transport`](crate::Transport) of your own
    /// always use.
    ThreadPerConnection,
}

impl WaitModel {
    /// Whether this platform has a readiness set stdhttp can park connections in.
    pub const PARKED_SUPPORTED: bool = cfg!(any(target_os = "linux", target_os = "android"));

    /// The default: `STDHTTP_WAIT=parked|threads` when set (read once per process), else
    /// [`WaitModel::Parked`] where supported.
    pub fn from_env() -> WaitModel {
        static CHOSEN: std::sync::OnceLock<WaitModel> = std::sync::OnceLock::new();
        *CHOSEN.get_or_init(|| match std::env::var("STDHTTP_WAIT").as_deref() {
            Ok("threads") => WaitModel::ThreadPerConnection,
            Ok("parked") if Self::PARKED_SUPPORTED => WaitModel::Parked,
            _ if Self::PARKED_SUPPORTED => WaitModel::Parked,
            _ => WaitModel::ThreadPerConnection,
        })
    }
}

/// What a connection starts with because its TCP listener was primed (Linux copies a
/// listener's socket options into each socket it accepts), so a worker sets only what
/// differs. `None`: not known, set it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Inherited {
    /// The receive timeout (`Some(None)`: none).
    pub read: Option<Option<Duration>>,
    /// The send timeout (`Some(None)`: none).
    pub write: Option<Option<Duration>>,
    /// `TCP_NODELAY` is on.
    pub nodelay: bool,
}

impl ServerInner {
    pub fn handlers(&self) -> Arc<Handlers> {
        lock(&self.handlers).clone()
    }

    /// Stop tracking a connection (closed, or handed over by an upgrade).
    pub fn forget(&self, id: u64) {
        let mut t = lock(&self.tracked);
        t.conns.remove(&id);
        let all_gone = !t.listening && t.conns.is_empty();
        drop(t);
        if all_gone {
            self.closed();
        }
    }

    fn closed(&self) {
        let mut t = lock(&self.tracked);
        if t.listening || !t.conns.is_empty() || !self.closing.swap(false, Ordering::AcqRel) {
            return;
        }
        t.close_running = Some(thread::current().id());
        drop(t);
        /// Lets `join` return once the listeners are done, even if one panics.
        struct Done<'a>(&'a ServerInner);
        impl Drop for Done<'_> {
            fn drop(&mut self) {
                lock(&self.0.tracked).close_running = None;
                self.0.closed_cv.notify_all();
            }
        }
        let _done = Done(self);
        if let Some(pool) = lock(&self.pool).take() {
            pool.shutdown();
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(parked) = lock(&self.parked).take() {
            parked.shutdown();
        }
        for f in &self.handlers().close {
            f();
        }
    }
}

/// An HTTP server (Node's `http.Server`).
///
/// Register listeners (`on_request`, `on_upgrade`, ...), set limits, then `listen`: it
/// returns once the socket is bound and serving goes on in the background; `join` blocks
/// until the server is closed. A `Server` is a cheap handle: clones share the server.
///
/// ```no_run
/// use stdhttp::Server;
/// let server = Server::new();
/// server.on_request(|req, mut res| {
///     res.set_header("Content-Type", "text/plain").unwrap();
///     res.end(format!("you asked for {}\n", req.url()).as_bytes()).unwrap();
/// });
/// server.listen("127.0.0.1:0")?;
/// println!("listening on {}", server.address().unwrap());
/// server.close()?;
/// server.join();
/// # Ok::<(), stdhttp::Error>(())
/// ```
#[derive(Clone)]
pub struct Server {
    inner: Arc<ServerInner>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("address", &self.address())
            .finish()
    }
}

impl Default for Server {
    fn default() -> Self {
        Server::new()
    }
}

/// Create a server whose `request` listener is `listener` (Node's `http.createServer`).
///
/// ```no_run
/// let server = stdhttp::create_server(|_req, mut res| {
///     res.end(b"ok").unwrap();
/// });
/// server.listen("127.0.0.1:8080")?;
/// server.join();
/// # Ok::<(), stdhttp::Error>(())
/// ```
pub fn create_server(
    listener: impl Fn(IncomingMessage, ServerResponse) + Send + Sync + 'static,
) -> Server {
    let server = Server::new();
    server.on_request(listener);
    server
}

macro_rules! setting {
    ($(#[$doc:meta])* $get:ident, $set:ident, $field:ident, $t:ty) => {
        $(#[$doc])*
        pub fn $get(&self) -> $t {
            self.inner.config.$field.load(Ordering::Relaxed) as $t
        }
        /// Set the value read by [`Server::
        #[doc = stringify!($get)]
        /// `] (applies to connections accepted afterwards).
        pub fn $set(&self, value: $t) -> &Self {
            self.inner.config.$field.store(value as u64, Ordering::Relaxed);
            self
        }
    };
}

impl Server {
    /// A server with no listeners and the default settings (see the `DEFAULT_*` constants).
    pub fn new() -> Server {
        Server {
            inner: Arc::new(ServerInner {
                config: Config {
                    timeout: AtomicU64::new(DEFAULT_TIMEOUT_MS),
                    headers_timeout: AtomicU64::new(DEFAULT_HEADERS_TIMEOUT_MS),
                    request_timeout: AtomicU64::new(DEFAULT_REQUEST_TIMEOUT_MS),
                    keep_alive_timeout: AtomicU64::new(DEFAULT_KEEP_ALIVE_TIMEOUT_MS),
                    max_requests_per_socket: AtomicU64::new(DEFAULT_MAX_REQUESTS_PER_SOCKET),
                    max_connections: AtomicU64::new(DEFAULT_MAX_CONNECTIONS as u64),
                    max_header_size: AtomicU64::new(DEFAULT_MAX_HEADER_SIZE as u64),
                    max_headers_count: AtomicU64::new(DEFAULT_MAX_HEADERS_COUNT as u64),
                    drain_limit: AtomicU64::new(DEFAULT_DRAIN_LIMIT),
                    max_body_size: AtomicU64::new(DEFAULT_MAX_BODY_SIZE),
                    wait_model: Mutex::new(WaitModel::from_env()),
                    pool: Mutex::new(PoolConfig {
                        min_threads: DEFAULT_MIN_THREADS,
                        max_threads: DEFAULT_MAX_THREADS,
                        max_queue: DEFAULT_MAX_QUEUE,
                        stack_size: DEFAULT_THREAD_STACK_SIZE,
                        idle_exit: Duration::from_secs(10),
                    }),
                },
                handlers: Mutex::new(Arc::new(Handlers::default())),
                listening: Mutex::new(None),
                tracked: Mutex::new(Tracked::default()),
                closed_cv: Condvar::new(),
                closing: AtomicBool::new(false),
                pool: Mutex::new(None),
                #[cfg(any(target_os = "linux", target_os = "android"))]
                parked: Mutex::new(None),
            }),
        }
    }

    fn update(&self, f: impl FnOnce(&mut Handlers)) -> &Self {
        let mut h = lock(&self.inner.handlers);
        f(Arc::make_mut(&mut h));
        self
    }

    /// The `request` listener: gets each request and its response. A request and its
    /// response can have only one owner, so a later `on_request` replaces the earlier one.
    pub fn on_request(
        &self,
        f: impl Fn(IncomingMessage, ServerResponse) + Send + Sync + 'static,
    ) -> &Self {
        self.update(|h| h.request = Some(Arc::new(f)))
    }

    /// A new connection was accepted (runs on its worker thread, before its first request).
    pub fn on_connection(&self, f: impl Fn(&Socket) + Send + Sync + 'static) -> &Self {
        self.update(|h| h.connection.push(Arc::new(f)))
    }

    /// The server closed: it stopped listening and its last connection is gone.
    pub fn on_close(&self, f: impl Fn() + Send + Sync + 'static) -> &Self {
        self.update(|h| h.close.push(Arc::new(f)))
    }

    /// The server is bound (runs inside `listen`, before it returns).
    pub fn on_listening(&self, f: impl Fn() + Send + Sync + 'static) -> &Self {
        self.update(|h| h.listening.push(Arc::new(f)))
    }

    /// A request with `Expect: 100-continue`. Without this listener the server writes
    /// `100 Continue` and emits `request`; with it, `request` is not emitted and the
    /// listener decides (`res.write_continue()`, or a final status).
    pub fn on_check_continue(
        &self,
        f: impl Fn(IncomingMessage, ServerResponse) + Send + Sync + 'static,
    ) -> &Self {
        self.update(|h| h.check_continue.insert(0, Arc::new(f)))
    }

    /// A request with another `Expect` value. Without this listener the server answers
    /// `417 Expectation Failed`.
    pub fn on_check_expectation(
        &self,
        f: impl Fn(IncomingMessage, ServerResponse) + Send + Sync + 'static,
    ) -> &Self {
        self.update(|h| h.check_expectation.insert(0, Arc::new(f)))
    }

    /// A CONNECT request: the listener gets the request, the socket (now its own) and the
    /// bytes that arrived after the head. Without this listener the connection is closed
    /// with no bytes written, as Node.
    pub fn on_connect(
        &self,
        f: impl Fn(IncomingMessage, Socket, Vec<u8>) + Send + Sync + 'static,
    ) -> &Self {
        self.update(|h| h.connect.insert(0, Arc::new(f)))
    }

    /// A request asking to upgrade (`Connection: upgrade` + `Upgrade`): the listener gets
    /// the request, the socket and the bytes after the head. Without this listener the
    /// request is served as a normal request, as Node.
    pub fn on_upgrade(
        &self,
        f: impl Fn(IncomingMessage, Socket, Vec<u8>) + Send + Sync + 'static,
    ) -> &Self {
        self.update(|h| h.upgrade.insert(0, Arc::new(f)))
    }

    /// A client error (`HPE_*` parse errors, `ERR_HTTP_REQUEST_TIMEOUT`). Without a
    /// listener the server writes Node's 400/408/413/431 answer and closes; with one it
    /// writes nothing and the listener owns the socket.
    pub fn on_client_error(&self, f: impl Fn(Error, Socket) + Send + Sync + 'static) -> &Self {
        self.update(|h| h.client_error.push(Arc::new(f)))
    }

    /// A socket was inactive for [`timeout`](Self::timeout) ms. Without a listener the
    /// socket is destroyed; with one nothing happens automatically.
    pub fn on_timeout(&self, f: impl Fn(Socket) + Send + Sync + 'static) -> &Self {
        self.update(|h| h.timeout.push(Arc::new(f)))
    }

    setting!(
        /// The socket inactivity timeout in ms (0 = none). Default [`DEFAULT_TIMEOUT_MS`].
        timeout, set_timeout_ms, timeout, u64
    );
    setting!(
        /// How long a request's head may take, in ms. Default [`DEFAULT_HEADERS_TIMEOUT_MS`].
        headers_timeout, set_headers_timeout, headers_timeout, u64
    );
    setting!(
        /// How long a whole request may take to arrive, in ms. Default
        /// [`DEFAULT_REQUEST_TIMEOUT_MS`].
        request_timeout, set_request_timeout, request_timeout, u64
    );
    setting!(
        /// How long an idle keep-alive connection is kept, in ms (0 = no limit; closed at
        /// this + 1 s, as Node). Default [`DEFAULT_KEEP_ALIVE_TIMEOUT_MS`].
        keep_alive_timeout, set_keep_alive_timeout, keep_alive_timeout, u64
    );
    setting!(
        /// Requests served per connection (0 = unlimited). Default
        /// [`DEFAULT_MAX_REQUESTS_PER_SOCKET`].
        max_requests_per_socket, set_max_requests_per_socket, max_requests_per_socket, u64
    );
    setting!(
        /// Connections served at once; more are dropped (0 = unlimited). Default
        /// [`DEFAULT_MAX_CONNECTIONS`].
        max_connections, set_max_connections, max_connections, usize
    );
    setting!(
        /// The most header bytes (target + names + values) a request may have. Default
        /// [`DEFAULT_MAX_HEADER_SIZE`]; 0 means the default, as Node's `maxHeaderSize: 0`
        /// (the same on the client's [`RequestOptions::max_header_size`](crate::RequestOptions::max_header_size)).
        max_header_size, set_max_header_size, max_header_size, usize
    );
    setting!(
        /// Header lines kept per request (0 = all). Default [`DEFAULT_MAX_HEADERS_COUNT`].
        max_headers_count, set_max_headers_count, max_headers_count, usize
    );
    setting!(
        /// The most bytes of an unread request body drained to keep the connection. Default
        /// [`DEFAULT_DRAIN_LIMIT`].
        drain_limit, set_drain_limit, drain_limit, u64
    );
    setting!(
        /// The most body bytes a request may carry (0 = unlimited, as Node; the default
        /// [`DEFAULT_MAX_BODY_SIZE`]). A request whose `Content-Length` says more is answered
        /// `413 Payload Too Large` before the handler runs, and the connection closed; a
        /// chunked body that grows past it fails its read with `ERR_HTTP_BODY_TOO_LARGE` and
        /// the server answers `413` (if the response has not started) and closes.
        max_body_size, set_max_body_size, max_body_size, u64
    );

    /// Set the inactivity timeout (Node's `server.setTimeout(ms, cb)`); `callback` becomes
    /// a `timeout` listener.
    pub fn set_timeout(
        &self,
        ms: u64,
        callback: Option<Box<dyn Fn(Socket) + Send + Sync>>,
    ) -> &Self {
        self.set_timeout_ms(ms);
        if let Some(cb) = callback {
            self.update(|h| h.timeout.push(Arc::from(cb)));
        }
        self
    }

    /// Where connections wait between requests: [`WaitModel::Parked`] (the default on
    /// Linux, or as `STDHTTP_WAIT` says) or [`WaitModel::ThreadPerConnection`]. Applies
    /// from the next `listen`; on a platform without a readiness set, `Parked` serves as
    /// thread per connection.
    pub fn set_wait_model(&self, model: WaitModel) -> &Self {
        *lock(&self.inner.config.wait_model) = model;
        self
    }

    /// The wait model the next `listen` uses.
    pub fn wait_model(&self) -> WaitModel {
        *lock(&self.inner.config.wait_model)
    }

    fn pool_config(&self, f: impl FnOnce(&mut PoolConfig)) -> &Self {
        f(&mut lock(&self.inner.config.pool));
        self
    }

    /// The most worker threads (connections served at once). Default
    /// [`DEFAULT_MAX_THREADS`]. Set before `listen`.
    pub fn set_max_threads(&self, n: usize) -> &Self {
        self.pool_config(|c| c.max_threads = n.max(1))
    }

    /// Worker threads kept when idle. Default [`DEFAULT_MIN_THREADS`]. Set before `listen`.
    pub fn set_min_threads(&self, n: usize) -> &Self {
        self.pool_config(|c| c.min_threads = n)
    }

    /// Connections waiting for a worker before the server sheds load with `503`. Default
    /// [`DEFAULT_MAX_QUEUE`]. Set before `listen`.
    pub fn set_max_queue(&self, n: usize) -> &Self {
        self.pool_config(|c| c.max_queue = n)
    }

    /// Worker thread stack size in bytes. Default [`DEFAULT_THREAD_STACK_SIZE`]. Set before
    /// `listen`.
    pub fn set_thread_stack_size(&self, bytes: usize) -> &Self {
        self.pool_config(|c| c.stack_size = bytes.max(64 * 1024))
    }

    /// The worker thread bound.
    pub fn max_threads(&self) -> usize {
        lock(&self.inner.config.pool).max_threads
    }

    /// Worker threads alive now.
    pub fn threads(&self) -> usize {
        lock(&self.inner.pool).as_ref().map_or(0, |p| p.threads())
    }

    /// Connections open now.
    pub fn connections(&self) -> usize {
        lock(&self.inner.tracked).conns.len()
    }

    /// Whether the server is listening.
    pub fn listening(&self) -> bool {
        lock(&self.inner.tracked).listening
    }

    /// What the server is bound to (port 0 → the port chosen); `None` when not listening.
    pub fn address(&self) -> Option<ServerAddress> {
        lock(&self.inner.listening)
            .as_ref()
            .map(|l| l.address.clone())
    }

    /// Bind TCP `addr` (e.g. `"127.0.0.1:0"`) with backlog 511 and serve in the background.
    /// Errors: `EADDRINUSE`, `ERR_SERVER_ALREADY_LISTEN`.
    pub fn listen(&self, addr: impl ToSocketAddrs) -> Result<(), Error> {
        self.listen_with_backlog(addr, DEFAULT_BACKLOG)
    }

    /// [`listen`](Self::listen) with a backlog of your choice.
    pub fn listen_with_backlog(&self, addr: impl ToSocketAddrs, backlog: u32) -> Result<(), Error> {
        self.check_not_listening()?;
        let listener = TcpListener::bind(addr)?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            crate::sys::set_backlog(listener.as_raw_fd(), backlog)?;
        }
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

    fn check_not_listening(&self) -> Result<(), Error> {
        if lock(&self.inner.listening).is_some() {
            return Err(Error::new(
                "ERR_SERVER_ALREADY_LISTEN",
                "Listen method has been called more than once without closing.",
            ));
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
            let ms = |v: &AtomicU64| match v.load(Ordering::Relaxed) {
                0 => None,
                ms => Some(Duration::from_millis(ms)),
            };
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
            return Err(Error::new(
                "ERR_SERVER_ALREADY_LISTEN",
                "Listen method has been called more than once without closing.",
            ));
        }
        let (address, wake) = match &bound {
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
                (ServerAddress::Tcp(a), ServerAddress::Tcp(w))
            }
            #[cfg(unix)]
            Bound::Unix(l, _) => {
                let p = l
                    .local_addr()?
                    .as_pathname()
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                (ServerAddress::Unix(p.clone()), ServerAddress::Unix(p))
            }
        };
        match &bound {
            Bound::Tcp(l) => l.set_nonblocking(false)?,
            #[cfg(unix)]
            Bound::Unix(l, _) => l.set_nonblocking(false)?,
        }
        let inherited = if own {
            self.prime(&bound)
        } else {
            Inherited::default()
        };
        let pool_config = *lock(&self.inner.config.pool);
        let pool = Pool::new(pool_config);
        *lock(&self.inner.pool) = Some(pool.clone());
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let parked = match *lock(&self.inner.config.wait_model) {
                WaitModel::Parked => Some(parked::Parked::new(pool_config)?),
                WaitModel::ThreadPerConnection => None,
            };
            *lock(&self.inner.parked) = parked;
        }
        self.inner.closing.store(false, Ordering::Release);
        lock(&self.inner.tracked).listening = true;
        let inner = self.inner.clone();
        let accept_thread = thread::Builder::new()
            .name("stdhttp-accept".into())
            .spawn(move || accept_loop(inner, bound, pool, inherited))?;
        *listening = Some(Listening {
            address,
            wake,
            accept_thread: Some(accept_thread),
        });
        drop(listening);
        for f in &self.inner.handlers().listening {
            f();
        }
        Ok(())
    }

    /// Stop accepting, close idle keep-alive connections, and let requests in flight finish
    /// (their connections close once idle); `on_close` runs after the last connection.
    /// Returns once the listener is closed. Error: `ERR_SERVER_NOT_RUNNING`.
    pub fn close(&self) -> Result<(), Error> {
        let listening = lock(&self.inner.listening).take();
        let Some(mut listening) = listening else {
            return Err(Error::new(
                "ERR_SERVER_NOT_RUNNING",
                "Server is not running.",
            ));
        };
        self.inner.closing.store(true, Ordering::Release);
        // wake the blocked accept with a connection of our own
        match &listening.wake {
            ServerAddress::Tcp(a) => {
                let _ = TcpStream::connect_timeout(a, Duration::from_secs(1));
            }
            #[cfg(unix)]
            ServerAddress::Unix(p) => {
                let _ = UnixStream::connect(p);
            }
            #[cfg(not(unix))]
            ServerAddress::Unix(_) => {}
        }
        if let Some(t) = listening.accept_thread.take() {
            let _ = t.join();
        }
        // A keep-alive client may be sending its next request right now. Idle connections
        // get a short grace: a request that arrives in it is served (with `Connection:
        // close`); then the ones still quiet are closed.
        let later = self.clone();
        let grace = thread::Builder::new()
            .name("stdhttp-close".into())
            .spawn(move || {
                thread::sleep(CLOSE_IDLE_GRACE);
                later.close_idle_connections();
            });
        if grace.is_err() {
            self.close_idle_connections();
        }
        let all_gone = {
            let mut t = lock(&self.inner.tracked);
            t.listening = false;
            t.conns.is_empty()
        };
        if all_gone {
            self.inner.closed();
        }
        Ok(())
    }

    /// Close every connection that is between requests (Node's `closeIdleConnections`).
    pub fn close_idle_connections(&self) {
        let t = lock(&self.inner.tracked);
        for (s, idle) in t.conns.values() {
            // A connection whose next request is already in its socket buffer is not idle:
            // it is served (with `Connection: close` once the server is closing). Only the
            // read side is shut: the worker's blocked read ends and it closes the connection,
            // while a worker that took a request in the same instant can still answer it.
            if idle.load(Ordering::Acquire) && s.peek_idle() != crate::sys::Peek::Data {
                let _ = s.shutdown(std::net::Shutdown::Read);
            }
        }
    }

    /// Serve one connected stream on the calling thread until it closes (Node's
    /// `server.emit('connection', socket)`, for a caller that gives the connection a thread
    /// of its own): the same request loop, events, timeouts and limits as an accepted
    /// connection, and counted by `close()` and `close_all_connections()`. Any
    /// [`Socket`] works, a [`Socket::from_transport`] stream too (TLS, a pipe, a fuzzer's
    /// bytes).
    ///
    /// ```
    /// use std::io::{Read, Write};
    /// let server = stdhttp::create_server(|_req, mut res| res.end(b"hi").unwrap());
    /// let (ours, theirs) = std::os::unix::net::UnixStream::pair()?;
    /// let serving = {
    ///     let server = server.clone();
    ///     std::thread::spawn(move || server.serve_socket_blocking(stdhttp::Socket::from_unix(theirs)))
    /// };
    /// let mut client = ours;
    /// client.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
    /// let mut reply = String::new();
    /// client.read_to_string(&mut reply)?;
    /// assert!(reply.starts_with("HTTP/1.1 200 OK\r\n") && reply.ends_with("\r\n\r\nhi"));
    /// serving.join().unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn serve_socket_blocking(&self, socket: Socket) {
        let idle = Arc::new(AtomicBool::new(false));
        let id = {
            let mut t = lock(&self.inner.tracked);
            t.next_id += 1;
            let id = t.next_id;
            t.conns.insert(id, (socket.clone(), idle.clone()));
            id
        };
        conn::serve(
            self.inner.clone(),
            socket,
            Instant::now(),
            idle,
            id,
            Inherited::default(),
        );
    }

    /// Close every connection, requests in flight included (Node's
    /// `closeAllConnections`): the peers see a plain close.
    pub fn close_all_connections(&self) {
        let t = lock(&self.inner.tracked);
        for (s, _) in t.conns.values() {
            s.destroy();
        }
    }

    /// Block until the server has closed (after [`close`](Self::close), once its last
    /// connection is gone). Returns at once if it never listened.
    pub fn join(&self) {
        let mut t = lock(&self.inner.tracked);
        while t.listening
            || !t.conns.is_empty()
            || t.close_running
                .is_some_and(|id| id != thread::current().id())
            || self.inner.closing.load(Ordering::Acquire)
        {
            t = match self.inner.closed_cv.wait(t) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
        }
    }
}

/// After `close()`, how long idle keep-alive connections may still deliver a request that
/// was on its way (it is answered with `Connection: close`) before they are closed.
pub const CLOSE_IDLE_GRACE: Duration = Duration::from_millis(100);

fn accept_loop(inner: Arc<ServerInner>, bound: Bound, pool: Pool, inherited: Inherited) {
    let accept = |bound: &Bound| match bound {
        Bound::Tcp(l) => l.accept().map(|(s, _)| {
            if !inherited.nodelay {
                let _ = s.set_nodelay(true);
            }
            Socket::from_tcp(s)
        }),
        #[cfg(unix)]
        Bound::Unix(l, _) => l.accept().map(|(s, _)| Socket::from_unix(s)),
    };
    // what a TCP connection inherits from this listener; a Unix one inherits nothing
    let inherited_by = |socket: &Socket| match socket.as_tcp() {
        Some(_) => inherited,
        None => Inherited::default(),
    };
    loop {
        let accepted = accept(&bound);
        let closing = inner.closing.load(Ordering::Acquire) && lock(&inner.listening).is_none();
        match accepted {
            // every connection accepted is served, even the one `close()` made to wake
            // this thread (it ends at once)
            Ok(socket) => {
                let inherited = inherited_by(&socket);
                admit(&inner, &pool, socket, inherited)
            }
            Err(e) if !closing => {
                // out of descriptors or the like: give the system a moment rather than spin
                // (a primed listener's receive timeout also ends a quiet accept: go on)
                if !matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionAborted
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
            };
            if nonblocking.is_ok() {
                while let Ok(socket) = accept(&bound) {
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
            socket.destroy();
            return;
        }
        t.next_id += 1;
        let id = t.next_id;
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
            let job_inner = inner.clone();
            let job_socket = socket.clone();
            let job = Box::new(move || {
                let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    conn::serve_opened(*conn)
                }));
                if served.is_err() {
                    job_socket.destroy();
                    job_inner.forget(id);
                }
            });
            if pool.submit(job).is_err() {
                shed(inner, &socket, id);
            }
        }
        return;
    }
    let job_inner = inner.clone();
    let job_socket = socket.clone();
    let job = Box::new(move || {
        let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            conn::serve(
                job_inner.clone(),
                job_socket.clone(),
                accepted_at,
                idle,
                id,
                inherited,
            )
        }));
        if served.is_err() {
            // a handler panicked: the connection dies, the server and the worker go on
            job_socket.destroy();
            job_inner.forget(id);
        }
    });
    if pool.submit(job).is_err() {
        shed(inner, &socket, id);
    }
}

/// No room for a connection: `503` and close.
fn shed(inner: &ServerInner, socket: &Socket, id: u64) {
    let _ = socket.set_write_timeout(Some(Duration::from_millis(100)));
    let _ = socket.write_all_vectored(&[crate::proto::canned::SHED]);
    socket.destroy();
    inner.forget(id);
}
