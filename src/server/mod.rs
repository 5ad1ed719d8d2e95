//! [`Server`]: Node's `http.Server` on blocking sockets and a bounded thread pool.
#![forbid(unsafe_code)]

mod config;
mod conn;
mod conn_state;
mod listen;
#[cfg(any(target_os = "linux", target_os = "android"))]
mod parked;
mod pool;
mod response;
mod watchdog;

use std::collections::HashMap;
use std::fmt;
use std::net::{SocketAddr, TcpStream};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub use config::*;
pub use listen::Accept;
use listen::Listening;
pub use response::{ServerResponse, TimeoutCallback};

use crate::message::IncomingMessage;
use crate::net::Socket;
use crate::Error;
use conn_state::lock;
use pool::{Pool, PoolConfig};

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
    // events that hand something over have one owner: the last registered
    pub check_continue: Option<RequestListener>,
    pub check_expectation: Option<RequestListener>,
    pub connect: Option<TunnelListener>,
    pub upgrade: Option<TunnelListener>,
    pub client_error: Vec<ErrorListener>,
    pub timeout: Vec<OwnedSocketListener>,
}

#[derive(Default)]
struct Tracked {
    conns: HashMap<u64, (Socket, Arc<AtomicBool>)>,
    listening: bool,
    /// The thread running the `close` listeners: `join` waits for them too (unless a
    /// listener itself calls `join`).
    close_running: Option<thread::ThreadId>,
}

impl Tracked {
    /// A new connection's number: unique in the process, not only in its server, so the
    /// `STDHTTP_DEBUG=http` lines of several servers tell their connections apart.
    fn next_id() -> u64 {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }
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
                    join_duplicate_headers: AtomicBool::new(false),
                    reject_non_standard_body_writes: AtomicBool::new(false),
                    wait_model: Mutex::new(WaitModel::from_env()),
                    reuse_port: AtomicBool::new(false),
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
    ///
    /// **The event rule.** Node runs every listener of an event. Where an event hands over
    /// something only one can own — a request and its response, or a socket — stdhttp keeps
    /// one listener: the last registered (`on_request`, `on_check_continue`,
    /// `on_check_expectation`, `on_connect`, `on_upgrade`, here and on
    /// [`ClientRequest`](crate::ClientRequest)). Every other event runs all its listeners in
    /// registration order.
    pub fn on_request(
        &self,
        f: impl Fn(IncomingMessage, ServerResponse) + Send + Sync + 'static,
    ) -> &Self {
        self.update(|h| h.request = Some(Arc::new(f)))
    }

    /// A new connection was accepted (runs on its worker thread, before its first request).
    /// All listeners run, in registration order.
    pub fn on_connection(&self, f: impl Fn(&Socket) + Send + Sync + 'static) -> &Self {
        self.update(|h| h.connection.push(Arc::new(f)))
    }

    /// The server closed: it stopped listening and its last connection is gone. All
    /// listeners run, in registration order.
    pub fn on_close(&self, f: impl Fn() + Send + Sync + 'static) -> &Self {
        self.update(|h| h.close.push(Arc::new(f)))
    }

    /// The server is bound (runs inside `listen`, before it returns). All listeners run,
    /// in registration order.
    pub fn on_listening(&self, f: impl Fn() + Send + Sync + 'static) -> &Self {
        self.update(|h| h.listening.push(Arc::new(f)))
    }

    /// A request with `Expect: 100-continue`. Without this listener the server writes
    /// `100 Continue` and emits `request`; with it, `request` is not emitted and the
    /// listener decides (`res.write_continue()`, or a final status). One owner: a later
    /// call replaces the listener (see [`on_request`](Self::on_request)).
    pub fn on_check_continue(
        &self,
        f: impl Fn(IncomingMessage, ServerResponse) + Send + Sync + 'static,
    ) -> &Self {
        self.update(|h| h.check_continue = Some(Arc::new(f)))
    }

    /// A request with another `Expect` value. Without this listener the server answers
    /// `417 Expectation Failed`. One owner: a later call replaces the listener.
    pub fn on_check_expectation(
        &self,
        f: impl Fn(IncomingMessage, ServerResponse) + Send + Sync + 'static,
    ) -> &Self {
        self.update(|h| h.check_expectation = Some(Arc::new(f)))
    }

    /// A CONNECT request: the listener gets the request, the socket (now its own) and the
    /// bytes that arrived after the head. Without this listener the connection is closed
    /// with no bytes written, as Node. One owner: a later call replaces the listener.
    pub fn on_connect(
        &self,
        f: impl Fn(IncomingMessage, Socket, Vec<u8>) + Send + Sync + 'static,
    ) -> &Self {
        self.update(|h| h.connect = Some(Arc::new(f)))
    }

    /// A request asking to upgrade (`Connection: upgrade` + `Upgrade`): the listener gets
    /// the request, the socket and the bytes after the head. Without this listener the
    /// request is served as a normal request, as Node. One owner: a later call replaces
    /// the listener.
    pub fn on_upgrade(
        &self,
        f: impl Fn(IncomingMessage, Socket, Vec<u8>) + Send + Sync + 'static,
    ) -> &Self {
        self.update(|h| h.upgrade = Some(Arc::new(f)))
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

    /// Worker threads alive now.
    pub fn threads(&self) -> usize {
        let pool = lock(&self.inner.pool).as_ref().map_or(0, |p| p.threads());
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let pool = pool + lock(&self.inner.parked).as_ref().map_or(0, |p| p.threads());
        pool
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
            .and_then(|l| l.address.clone())
    }

    /// Stop accepting, close idle keep-alive connections, and let requests in flight finish
    /// (their connections close once idle); `on_close` runs after the last connection.
    /// Returns once the listener is closed (a [`listen_with`](Self::listen_with) loop is
    /// not waited for: it ends when the caller's `accept` next returns). Error:
    /// `ERR_SERVER_NOT_RUNNING`.
    pub fn close(&self) -> Result<(), Error> {
        let listening = lock(&self.inner.listening).take();
        let Some(mut listening) = listening else {
            return Err(Error::not_running());
        };
        self.inner.closing.store(true, Ordering::Release);
        listening.stop.store(true, Ordering::Release);
        // wake the blocked accept: stop a listener whose port is shared (a connection of
        // ours could reach another listener of the port), else connect to it
        #[cfg(unix)]
        let woken = listening.shared_port.as_ref().is_some_and(|l| {
            crate::sys::shutdown_listener(std::os::fd::AsRawFd::as_raw_fd(l)).is_ok()
        });
        #[cfg(not(unix))]
        let woken = false;
        match &listening.wake {
            _ if woken => {}
            Some(ServerAddress::Tcp(a)) => {
                let _ = TcpStream::connect_timeout(a, Duration::from_secs(1));
            }
            #[cfg(unix)]
            Some(ServerAddress::Unix(p)) => {
                let _ = UnixStream::connect(p);
            }
            #[cfg(not(unix))]
            Some(ServerAddress::Unix(_)) => {}
            None => {}
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
            let id = Tracked::next_id();
            t.conns.insert(id, (socket.clone(), idle.clone()));
            id
        };
        conn::serve(conn::Conn::open(
            self.inner.clone(),
            socket,
            Instant::now(),
            idle,
            id,
            Inherited::default(),
        ));
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
/// was on its way (it is answered with `Connection: close`) before they are closed, in ms.
pub const CLOSE_IDLE_GRACE_MS: u64 = 100;

pub(crate) const CLOSE_IDLE_GRACE: Duration = Duration::from_millis(CLOSE_IDLE_GRACE_MS);
