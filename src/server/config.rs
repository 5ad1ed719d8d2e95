//! The server's settings: every default (one constant each), the wait model, and the
//! setters. A setting is read when a connection is accepted (and the pool's and the wait
//! model's at `listen`), so a change applies to later connections. Every timeout is in ms,
//! and 0 means none.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::conn_state::lock;
use super::pool::PoolConfig;
use super::Server;
use crate::net::Socket;
use crate::{Error, ErrorKind};

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
    pub join_duplicate_headers: AtomicBool,
    pub reject_non_standard_body_writes: AtomicBool,
    pub pool: Mutex<PoolConfig>,
    pub wait_model: Mutex<WaitModel>,
    pub reuse_port: AtomicBool,
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

/// [`setting!`] for an on/off setting (Node's boolean `createServer` options).
macro_rules! flag {
    ($(#[$doc:meta])* $get:ident, $set:ident) => {
        $(#[$doc])*
        pub fn $get(&self) -> bool {
            self.inner.config.$get.load(Ordering::Relaxed)
        }
        /// Set the value read by [`Server::
        #[doc = stringify!($get)]
        /// `] (applies to connections accepted afterwards).
        pub fn $set(&self, value: bool) -> &Self {
            self.inner.config.$get.store(value, Ordering::Relaxed);
            self
        }
    };
}

impl Server {
    flag!(
        /// Node's `joinDuplicateHeaders` (default false): when on, a request's
        /// [`headers`](crate::IncomingMessage::headers) and
        /// [`trailers`](crate::IncomingMessage::trailers) join every repeated name with
        /// `", "`, the names Node otherwise keeps the first value of (`content-type`,
        /// `host`, `user-agent`...) included; `set-cookie` stays a list and `cookie` joins
        /// with `"; "`.
        ///
        /// ```
        /// let server = stdhttp::Server::new();
        /// assert!(!server.join_duplicate_headers());
        /// server.set_join_duplicate_headers(true);
        /// assert!(server.join_duplicate_headers());
        /// ```
        join_duplicate_headers, set_join_duplicate_headers
    );
    flag!(
        /// Node's `rejectNonStandardBodyWrites` (default false): when on, writing body bytes
        /// to a response that cannot have a body (to a HEAD request, or with status 1xx,
        /// 204 or 304) fails with `ERR_HTTP_BODY_NOT_ALLOWED` instead of dropping them:
        /// [`write`](crate::ServerResponse::write) (even of nothing) and
        /// [`end`](crate::ServerResponse::end) with data fail, after generating the head
        /// (as Node); `end` with no data still ends the response.
        ///
        /// ```
        /// let server = stdhttp::Server::new();
        /// assert!(!server.reject_non_standard_body_writes());
        /// server.set_reject_non_standard_body_writes(true);
        /// assert!(server.reject_non_standard_body_writes());
        /// ```
        reject_non_standard_body_writes, set_reject_non_standard_body_writes
    );
    setting!(
        /// The socket inactivity timeout, in ms; 0 = no timeout. Default [`DEFAULT_TIMEOUT_MS`].
        timeout, set_timeout_ms, timeout, u64
    );
    setting!(
        /// How long a request's head may take, in ms; 0 = no timeout. Default [`DEFAULT_HEADERS_TIMEOUT_MS`].
        headers_timeout, set_headers_timeout, headers_timeout, u64
    );
    setting!(
        /// How long a whole request may take to arrive, in ms; 0 = no timeout. Default
        /// [`DEFAULT_REQUEST_TIMEOUT_MS`].
        request_timeout, set_request_timeout, request_timeout, u64
    );
    setting!(
        /// How long an idle keep-alive connection is kept, in ms; 0 = no timeout. The
        /// connection is closed when it has been idle this long plus 1 s, as Node. Default
        /// [`DEFAULT_KEEP_ALIVE_TIMEOUT_MS`].
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

    /// Set the inactivity timeout (Node's `server.setTimeout(ms, cb)`), in ms; 0 = no timeout; `callback`
    /// becomes a `timeout` listener. Applies to connections accepted afterwards.
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
    /// Linux, or as `STDHTTP_WAIT` says) or [`WaitModel::ThreadPerConnection`]. Read at
    /// `listen`: on a listening server it fails with `ERR_SERVER_ALREADY_LISTEN` and
    /// changes nothing. On a platform without a readiness set, `Parked` serves as thread
    /// per connection.
    pub fn set_wait_model(&self, model: WaitModel) -> Result<&Self, Error> {
        let _not_listening = self.before_listen("the wait model")?;
        *lock(&self.inner.config.wait_model) = model;
        Ok(self)
    }

    /// A setting read at `listen` cannot change while the server listens. The guard keeps
    /// `listen` out until the setting is written (it reads them holding the same lock).
    fn before_listen(&self, what: &str) -> Result<impl Drop + '_, Error> {
        let listening = lock(&self.inner.listening);
        match listening.is_some() {
            true => Err(Error::new(
                ErrorKind::ServerAlreadyListen,
                format!("{what} is read at listen: close the server to change it"),
            )),
            false => Ok(listening),
        }
    }

    /// The wait model the next `listen` uses.
    pub fn wait_model(&self) -> WaitModel {
        *lock(&self.inner.config.wait_model)
    }

    fn pool_config(&self, what: &str, f: impl FnOnce(&mut PoolConfig)) -> Result<&Self, Error> {
        let _not_listening = self.before_listen(what)?;
        f(&mut lock(&self.inner.config.pool));
        Ok(self)
    }

    /// The most worker threads (connections served at once). Default
    /// [`DEFAULT_MAX_THREADS`]. Read at `listen`: fails with `ERR_SERVER_ALREADY_LISTEN`
    /// while the server listens.
    ///
    /// ```
    /// let server = stdhttp::Server::new();
    /// server.set_max_threads(64)?;
    /// server.listen("127.0.0.1:0")?;
    /// assert_eq!(server.set_max_threads(8).unwrap_err().code(), "ERR_SERVER_ALREADY_LISTEN");
    /// assert_eq!(server.max_threads(), 64);
    /// server.close()?;
    /// # Ok::<(), stdhttp::Error>(())
    /// ```
    pub fn set_max_threads(&self, n: usize) -> Result<&Self, Error> {
        self.pool_config("max_threads", |c| c.max_threads = n.max(1))
    }

    /// Worker threads kept when idle. Default [`DEFAULT_MIN_THREADS`]. Read at `listen`
    /// (an error while listening, as [`set_max_threads`](Self::set_max_threads)).
    pub fn set_min_threads(&self, n: usize) -> Result<&Self, Error> {
        self.pool_config("min_threads", |c| c.min_threads = n)
    }

    /// Connections waiting for a worker before the server sheds load with `503`. Default
    /// [`DEFAULT_MAX_QUEUE`]. Read at `listen` (an error while listening).
    pub fn set_max_queue(&self, n: usize) -> Result<&Self, Error> {
        self.pool_config("max_queue", |c| c.max_queue = n)
    }

    /// Worker thread stack size in bytes. Default [`DEFAULT_THREAD_STACK_SIZE`]. Read at
    /// `listen` (an error while listening).
    pub fn set_thread_stack_size(&self, bytes: usize) -> Result<&Self, Error> {
        self.pool_config("thread_stack_size", |c| c.stack_size = bytes.max(64 * 1024))
    }

    /// Share the port with other listeners (`SO_REUSEPORT`): several servers in one
    /// process, or several processes, [`listen`](Self::listen) on the same address and the
    /// kernel spreads new connections among them (Node 22.12+'s
    /// `listen({ port, reusePort: true })`; Node 20's `cluster` shares a port through its
    /// primary process instead). Every listener of the port must set it, and run as the same
    /// user; a listen without it on a port taken fails with `EADDRINUSE`. Read by `listen`
    /// and `listen_with_backlog` (whose backlog it keeps), so it fails with
    /// `ERR_SERVER_ALREADY_LISTEN` while the server listens; default off. Linux only:
    /// elsewhere those fail (`Unsupported`).
    ///
    /// When one of them closes, its listener stops at once (new connections go to the
    /// others); connections the kernel queued for it but it had not accepted yet are reset,
    /// unless the system migrates them (Linux 5.14+: `net.ipv4.tcp_migrate_req = 1`).
    ///
    /// ```
    /// # if !cfg!(target_os = "linux") { return Ok(()); }
    /// let a = stdhttp::create_server(|_req, mut res| res.end(b"a").unwrap());
    /// a.set_reuse_port(true)?.listen("127.0.0.1:0")?;
    /// let port = a.address().and_then(|addr| addr.port()).unwrap();
    /// let b = stdhttp::create_server(|_req, mut res| res.end(b"b").unwrap());
    /// b.set_reuse_port(true)?.listen(("127.0.0.1", port))?; // the same port
    ///
    /// let url = format!("http://127.0.0.1:{port}/");
    /// let answer = stdhttp::get(url.as_str())?.text()?;
    /// assert!(answer == "a" || answer == "b");
    /// for server in [a, b] {
    ///     server.close()?;
    ///     server.join();
    /// }
    /// # Ok::<(), stdhttp::Error>(())
    /// ```
    pub fn set_reuse_port(&self, on: bool) -> Result<&Self, Error> {
        let _not_listening = self.before_listen("reuse_port")?;
        self.inner.config.reuse_port.store(on, Ordering::Relaxed);
        Ok(self)
    }

    /// Whether `listen` shares the port (see [`set_reuse_port`](Self::set_reuse_port)).
    pub fn reuse_port(&self) -> bool {
        self.inner.config.reuse_port.load(Ordering::Relaxed)
    }

    /// The worker thread bound.
    pub fn max_threads(&self) -> usize {
        lock(&self.inner.config.pool).max_threads
    }
}
