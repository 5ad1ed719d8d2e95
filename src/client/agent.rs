//! [`Agent`]: the client's keep-alive connection pool (Node's `http.Agent`).
//!
//! All state sits behind one `Mutex` with a `Condvar` for requests waiting on
//! `max_sockets` / `max_total_sockets`.
#![forbid(unsafe_code)]

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::net::{TcpStream, ToSocketAddrs};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::thread;
use std::time::{Duration, Instant};

use super::options::{CreateConnection, RequestOptions};
use crate::message::Reader;
use crate::net::Socket;
use crate::parser::{Kind, Limits};
use crate::{Error, ErrorKind};

/// How often an agent that holds idle sockets looks them over: a socket the server closed
/// while idle, or one past its idle timeout, is closed within this, with no request needed
/// to notice (Node notices at once, from its event loop). The check runs on one thread per
/// agent, only while the agent has idle sockets. In ms.
pub const IDLE_SWEEP_INTERVAL_MS: u64 = 1000;

/// Which idle socket a request takes: Node's `scheduling`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scheduling {
    /// The most recently freed (Node 20's default): keeps few sockets warm.
    #[default]
    Lifo,
    /// The least recently freed: spreads requests over every socket.
    Fifo,
}

/// The options of an [`Agent`] (Node's `new http.Agent(options)`). Defaults are the seed
/// documents' (keep-alive off, `keep_alive_msecs` 1000, `max_sockets` unlimited,
/// `max_free_sockets` 256) and Node 20's elsewhere (`max_total_sockets` unlimited, no
/// timeout, LIFO).
///
/// The struct is `#[non_exhaustive]`: build it with [`AgentOptions::new`] (or `default()`)
/// and the builder methods, named as the fields, so a field added later breaks nothing.
///
/// ```
/// use stdhttp::{Agent, AgentOptions};
/// let agent = Agent::new(AgentOptions::new().keep_alive(true).max_sockets(4));
/// assert!(agent.options().keep_alive);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AgentOptions {
    /// Keep sockets in the pool after their response when no request waits for them.
    pub keep_alive: bool,
    /// The initial delay of TCP keep-alive probes on pooled sockets, in ms.
    pub keep_alive_msecs: u64,
    /// The most sockets per origin (`host:port:...` name); 0 = unlimited.
    pub max_sockets: usize,
    /// The most idle sockets kept per origin.
    pub max_free_sockets: usize,
    /// The most sockets over all origins; 0 = unlimited.
    pub max_total_sockets: usize,
    /// How long an idle pooled socket is kept, in ms; 0 = no timeout. The server's
    /// `Keep-Alive: timeout=N` hint lowers it to N·1000 − 1000 ms, as Node.
    pub timeout: u64,
    /// Which idle socket is used first.
    pub scheduling: Scheduling,
    /// Retry an idempotent request once on a fresh connection when a *reused* socket fails
    /// before any response byte arrives (as Go does; Node reports `ECONNRESET`).
    pub retry_idempotent: bool,
    /// Node's `createConnection` for every connection this agent opens. A request with its
    /// own [`RequestOptions::create_connection`] uses that one instead, and its streams pool
    /// apart from the agent's (keyed by the connector). `None`: TCP or Unix connect.
    pub create_connection: Option<CreateConnection>,
}

macro_rules! agent_option {
    ($(#[$doc:meta])* $name:ident: $t:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, value: $t) -> Self {
            self.$name = value;
            self
        }
    };
}

impl AgentOptions {
    /// The defaults (the same as `AgentOptions::default()`).
    pub fn new() -> AgentOptions {
        AgentOptions::default()
    }

    agent_option!(
        /// Set [`keep_alive`](AgentOptions#structfield.keep_alive).
        keep_alive: bool
    );
    agent_option!(
        /// Set [`keep_alive_msecs`](AgentOptions#structfield.keep_alive_msecs).
        keep_alive_msecs: u64
    );
    agent_option!(
        /// Set [`max_sockets`](AgentOptions#structfield.max_sockets).
        max_sockets: usize
    );
    agent_option!(
        /// Set [`max_free_sockets`](AgentOptions#structfield.max_free_sockets).
        max_free_sockets: usize
    );
    agent_option!(
        /// Set [`max_total_sockets`](AgentOptions#structfield.max_total_sockets).
        max_total_sockets: usize
    );
    agent_option!(
        /// Set [`timeout`](AgentOptions#structfield.timeout) (in ms; 0 = no timeout).
        timeout: u64
    );
    agent_option!(
        /// Set [`scheduling`](AgentOptions#structfield.scheduling).
        scheduling: Scheduling
    );
    agent_option!(
        /// Set [`retry_idempotent`](AgentOptions#structfield.retry_idempotent).
        retry_idempotent: bool
    );

    /// Node's `createConnection` agent option: `f` opens every new connection of this
    /// agent (a TLS stream, an in-memory [`Socket::pair`] end...). The streams are pooled,
    /// looked at before reuse ([`Transport::peek_now`](crate::Transport::peek_now)) and
    /// retried like TCP ones.
    ///
    /// ```
    /// use stdhttp::{Agent, AgentOptions, Socket};
    /// let agent = Agent::new(
    ///     AgentOptions::new().keep_alive(true).create_connection(|_opts| Socket::connect("127.0.0.1:8080")),
    /// );
    /// # drop(agent);
    /// ```
    pub fn create_connection(
        mut self,
        f: impl Fn(&RequestOptions) -> std::io::Result<Socket> + Send + Sync + 'static,
    ) -> Self {
        self.create_connection = Some(CreateConnection::new(f));
        self
    }
}

impl Default for AgentOptions {
    fn default() -> Self {
        AgentOptions {
            keep_alive: false,
            keep_alive_msecs: 1000,
            max_sockets: 0,
            max_free_sockets: 256,
            max_total_sockets: 0,
            timeout: 0,
            scheduling: Scheduling::Lifo,
            retry_idempotent: true,
            create_connection: None,
        }
    }
}

/// A pooled connection: its socket, parser and bytes read ahead.
pub(crate) type Conn = Arc<Mutex<Reader>>;

struct Idle {
    conn: Conn,
    socket: Socket,
    expires: Option<Instant>,
}

#[derive(Default)]
struct State {
    free: HashMap<String, VecDeque<Idle>>,
    active: HashMap<String, usize>,
    total: usize,
    waiting: HashMap<String, VecDeque<u64>>,
    next_ticket: u64,
    /// Sockets handed out and not yet returned, to destroy them on `destroy()`.
    in_use: Vec<(u64, Socket)>,
    next_socket: u64,
    /// A thread is looking over the idle sockets (see [`IDLE_SWEEP_INTERVAL_MS`]).
    sweeping: bool,
}

type FreeListener = Arc<dyn Fn(&Socket, &str) + Send + Sync>;

struct Inner {
    options: AgentOptions,
    state: Mutex<State>,
    changed: Condvar,
    on_free: Mutex<Vec<FreeListener>>,
}

/// A connection pool (Node's `http.Agent`). Cheap to clone: clones share the pool.
///
/// ```no_run
/// use stdhttp::{Agent, AgentChoice, AgentOptions, RequestOptions};
/// let agent = Agent::new(AgentOptions::new().keep_alive(true).max_sockets(4));
/// for _ in 0..3 {
///     let opts = RequestOptions::from_url("http://127.0.0.1:8080/")?.agent(AgentChoice::Agent(agent.clone()));
///     let mut res = stdhttp::get(opts)?;
///     res.resume()?; // read to the end, so the socket goes back to the pool
/// }
/// println!("idle sockets: {:?}", agent.free_sockets());
/// # Ok::<(), stdhttp::Error>(())
/// ```
#[derive(Clone)]
pub struct Agent {
    inner: Arc<Inner>,
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("options", &self.inner.options)
            .finish()
    }
}

impl PartialEq for Agent {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}
impl Eq for Agent {}

impl Default for Agent {
    fn default() -> Self {
        Agent::new(AgentOptions::default())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// The agent requests use by default (Node's `http.globalAgent`), with the seed documents'
/// defaults: keep-alive off, so a socket is reused only by requests already queued behind it.
pub fn global_agent() -> &'static Agent {
    static GLOBAL: OnceLock<Agent> = OnceLock::new();
    GLOBAL.get_or_init(Agent::default)
}

/// The non-empty queues of `map` and their lengths, by name (the agent's snapshots).
fn queue_lengths<T>(map: &HashMap<String, VecDeque<T>>) -> BTreeMap<String, usize> {
    map.iter()
        .filter(|(_, q)| !q.is_empty())
        .map(|(k, q)| (k.clone(), q.len()))
        .collect()
}

/// `map[name] += 1`, allocating the key only the first time a name is seen.
fn count_up(map: &mut HashMap<String, usize>, name: &str) {
    match map.get_mut(name) {
        Some(n) => *n += 1,
        None => {
            map.insert(name.to_string(), 1);
        }
    }
}

/// What [`Agent::acquire`] hands a request.
pub(crate) struct Lease {
    pub conn: Conn,
    pub socket: Socket,
    pub reused: bool,
    pub name: Arc<str>,
    id: u64,
}

impl Agent {
    /// A pool with these options.
    pub fn new(options: AgentOptions) -> Agent {
        Agent {
            inner: Arc::new(Inner {
                options,
                state: Mutex::new(State::default()),
                changed: Condvar::new(),
                on_free: Mutex::new(Vec::new()),
            }),
        }
    }

    /// The options this agent was made with.
    pub fn options(&self) -> &AgentOptions {
        &self.inner.options
    }

    /// Whether requests through this agent send `Connection: keep-alive` (Node: unless
    /// keep-alive is off *and* `max_sockets` is unlimited).
    pub fn sends_keep_alive(&self) -> bool {
        self.inner.options.keep_alive || self.inner.options.max_sockets > 0
    }

    /// Node's `agent.getName(options)`: `host:port:localAddress[:family][:socketPath]`.
    pub fn get_name(&self, options: &RequestOptions) -> String {
        options.agent_name()
    }

    /// In-use sockets per name (Node's `agent.sockets`, as counts).
    pub fn sockets(&self) -> BTreeMap<String, usize> {
        let st = lock(&self.inner.state);
        st.active
            .iter()
            .filter(|(_, &n)| n > 0)
            .map(|(k, &n)| (k.clone(), n))
            .collect()
    }

    /// Idle pooled sockets per name (Node's `agent.freeSockets`, as counts).
    pub fn free_sockets(&self) -> BTreeMap<String, usize> {
        queue_lengths(&lock(&self.inner.state).free)
    }

    /// Requests waiting for a socket per name (Node's `agent.requests`, as counts).
    pub fn requests(&self) -> BTreeMap<String, usize> {
        queue_lengths(&lock(&self.inner.state).waiting)
    }

    /// Run `f(socket, name)` whenever a socket is freed by its request.
    pub fn on_free(&self, f: impl Fn(&Socket, &str) + Send + Sync + 'static) -> &Self {
        lock(&self.inner.on_free).push(Arc::new(f));
        self
    }

    /// Destroy every socket, idle and in use (Node's `agent.destroy()`).
    pub fn destroy(&self) {
        let mut st = lock(&self.inner.state);
        let free: Vec<_> = st.free.drain().flat_map(|(_, q)| q).collect();
        st.total = st.total.saturating_sub(free.len());
        for idle in free {
            idle.socket.destroy();
        }
        for (_, s) in st.in_use.iter() {
            s.destroy();
        }
        self.wake_waiters(st);
    }

    fn expire(st: &mut State, now: Instant) {
        let mut dropped = 0;
        for q in st.free.values_mut() {
            q.retain(|idle| {
                let keep = idle.expires.is_none_or(|e| e > now) && !idle.socket.is_destroyed();
                if !keep {
                    idle.socket.destroy();
                    dropped += 1;
                }
                keep
            });
        }
        st.total = st.total.saturating_sub(dropped);
    }

    /// Close the idle sockets the server closed (or that sent something unasked).
    fn drop_closed(st: &mut State) {
        let mut dropped = 0;
        for q in st.free.values_mut() {
            q.retain(|idle| {
                let closed = idle.socket.peer_closed();
                if closed {
                    idle.socket.destroy();
                    dropped += 1;
                }
                !closed
            });
        }
        st.total = st.total.saturating_sub(dropped);
    }

    /// Start the idle-socket sweep unless it runs already (call with a socket just pooled).
    fn ensure_sweeping(&self, st: &mut State) {
        if st.sweeping {
            return;
        }
        let weak = Arc::downgrade(&self.inner);
        let started = thread::Builder::new()
            .name("stdhttp-agent-sweep".into())
            .stack_size(256 * 1024) // only touched pages count; user `on_free` closures may drop here
            .spawn(move || Agent::sweep(weak));
        // without the thread, idle sockets are still checked when a request wants one
        st.sweeping = started.is_ok();
    }

    /// Every [`IDLE_SWEEP_INTERVAL_MS`], close the idle sockets that expired or that the
    /// server closed; stop when none are left or the agent is gone.
    fn sweep(weak: Weak<Inner>) {
        loop {
            thread::sleep(Duration::from_millis(IDLE_SWEEP_INTERVAL_MS));
            let Some(inner) = weak.upgrade() else {
                return;
            };
            let agent = Agent { inner };
            let mut st = lock(&agent.inner.state);
            Self::expire(&mut st, Instant::now());
            Self::drop_closed(&mut st);
            let idle_left = st.free.values().any(|q| !q.is_empty());
            if !idle_left {
                st.sweeping = false;
            }
            // fewer sockets may make room for a request waiting on max_total_sockets
            agent.wake_waiters(st);
            if !idle_left {
                return;
            }
        }
    }

    /// Wake the requests waiting for a socket, if there are any (a notify is a system call,
    /// so it is skipped on the common path where nobody waits).
    fn wake_waiters(&self, st: MutexGuard<'_, State>) {
        let waiting = st.waiting.values().any(|q| !q.is_empty());
        drop(st);
        if waiting {
            self.inner.changed.notify_all();
        }
    }

    /// Get a connection for `opts`: an idle pooled one (checked alive first), a new one, or
    /// wait (FIFO per name) until one frees when the limits are reached.
    pub(crate) fn acquire(&self, opts: &RequestOptions, fresh: bool) -> Result<Lease, Error> {
        let name = opts.resolved_agent_name();
        let o = &self.inner.options;
        let mut st = lock(&self.inner.state);
        let mut ticket: Option<u64> = None;
        loop {
            Self::expire(&mut st, Instant::now());
            let first_in_line = match ticket {
                Some(t) => st.waiting.get(&name).and_then(|q| q.front()) == Some(&t),
                None => st.waiting.get(&name).is_none_or(|q| q.is_empty()),
            };
            if first_in_line && !fresh {
                while let Some(idle) = match o.scheduling {
                    Scheduling::Lifo => st.free.get_mut(&name).and_then(|q| q.pop_back()),
                    Scheduling::Fifo => st.free.get_mut(&name).and_then(|q| q.pop_front()),
                } {
                    if idle.socket.peer_closed() || lock(&idle.conn).has_buffered() {
                        idle.socket.destroy();
                        st.total = st.total.saturating_sub(1);
                        continue;
                    }
                    let reused = ticket.is_none();
                    return Ok(self.lease(&mut st, &name, ticket, idle.conn, idle.socket, reused));
                }
            }
            let per_name = st.active.get(&name).copied().unwrap_or(0)
                + st.free.get(&name).map_or(0, |q| q.len());
            let room_name = o.max_sockets == 0 || per_name < o.max_sockets;
            let room_total = o.max_total_sockets == 0 || st.total < o.max_total_sockets;
            if first_in_line && room_name && !room_total {
                // make room by closing an idle socket of another origin
                if let Some(q) = st.free.values_mut().find(|q| !q.is_empty()) {
                    if let Some(idle) = q.pop_front() {
                        idle.socket.destroy();
                        st.total = st.total.saturating_sub(1);
                        continue;
                    }
                }
            }
            if first_in_line && room_name && room_total {
                count_up(&mut st.active, &name);
                st.total += 1;
                if let Some(t) = ticket {
                    if let Some(q) = st.waiting.get_mut(&name) {
                        q.retain(|&x| x != t);
                    }
                }
                drop(st);
                return match connect(opts, o.create_connection.as_ref()) {
                    Ok(socket) => {
                        let limits = Limits {
                            max_header_size: opts.get_max_header_size().unwrap_or(0),
                            ..Limits::default()
                        };
                        let limits = if limits.max_header_size == 0 {
                            Limits::default()
                        } else {
                            limits
                        };
                        let reader = Reader::new(socket.clone(), Kind::Response, limits);
                        let conn = Arc::new(Mutex::new(reader));
                        let mut st = lock(&self.inner.state);
                        Ok(self.lease(&mut st, &name, None, conn, socket, false))
                    }
                    Err(e) => {
                        let mut st = lock(&self.inner.state);
                        if let Some(n) = st.active.get_mut(&name) {
                            *n = n.saturating_sub(1);
                        }
                        st.total = st.total.saturating_sub(1);
                        self.wake_waiters(st);
                        Err(e)
                    }
                };
            }
            if ticket.is_none() {
                st.next_ticket += 1;
                let t = st.next_ticket;
                st.waiting.entry(name.clone()).or_default().push_back(t);
                ticket = Some(t);
            }
            st = match self.inner.changed.wait(st) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
        }
    }

    fn lease(
        &self,
        st: &mut State,
        name: &str,
        ticket: Option<u64>,
        conn: Conn,
        socket: Socket,
        reused: bool,
    ) -> Lease {
        if let Some(t) = ticket {
            if let Some(q) = st.waiting.get_mut(name) {
                q.retain(|&x| x != t);
            }
        }
        if reused || ticket.is_some() {
            count_up(&mut st.active, name);
        }
        st.next_socket += 1;
        let id = st.next_socket;
        st.in_use.push((id, socket.clone()));
        let agent = Arc::downgrade(&self.inner);
        let name: Arc<str> = Arc::from(name);
        let hook_name = name.clone();
        socket.set_agent_remove_hook(Some(Box::new(move || {
            if let Some(inner) = agent.upgrade() {
                Agent { inner }.forget(&hook_name, id);
            }
        })));
        Lease {
            conn,
            socket,
            reused,
            name,
            id,
        }
    }

    /// Stop counting a socket (closed, upgraded, or `agent_remove`d).
    fn forget(&self, name: &str, id: u64) {
        let mut st = lock(&self.inner.state);
        let before = st.in_use.len();
        st.in_use.retain(|(i, _)| *i != id);
        if st.in_use.len() != before {
            if let Some(n) = st.active.get_mut(name) {
                *n = n.saturating_sub(1);
            }
            st.total = st.total.saturating_sub(1);
        }
        self.wake_waiters(st);
    }

    /// A request is done with its connection: pool it when both sides agreed on keep-alive
    /// (and someone waits for it, or the agent keeps sockets), else close it.
    /// `hint_ms` is the server's `Keep-Alive: timeout` in ms.
    pub(crate) fn release(
        &self,
        lease_name: &str,
        id: u64,
        conn: Conn,
        socket: Socket,
        keep_alive: bool,
        hint_ms: Option<u64>,
    ) {
        let o = &self.inner.options;
        // bytes past the response's end would be read as the next request's response
        let keep_alive = keep_alive && !lock(&conn).has_buffered();
        let mut st = lock(&self.inner.state);
        let before = st.in_use.len();
        st.in_use.retain(|(i, _)| *i != id);
        if st.in_use.len() == before {
            return; // already forgotten (agent_remove, upgrade)
        }
        socket.set_agent_remove_hook(None);
        if let Some(n) = st.active.get_mut(lease_name) {
            *n = n.saturating_sub(1);
        }
        // each idle socket already in the pool is promised to one waiting request: this one
        // serves a waiter only when there are more waiters than idle sockets (else, in an
        // agent without keep-alive, it would sit in the pool with nobody to take it)
        let waiters = st.waiting.get(lease_name).map_or(0, |q| q.len());
        let idle_now = st.free.get(lease_name).map_or(0, |q| q.len());
        let someone_waits = waiters > idle_now;
        let mut timeout = o.timeout;
        let mut poolable = keep_alive && !socket.is_destroyed();
        if let Some(h) = hint_ms {
            if h <= 1000 {
                poolable = poolable && someone_waits;
            } else if timeout == 0 || h - 1000 < timeout {
                timeout = h - 1000;
            }
        }
        let free_len = st.free.get(lease_name).map_or(0, |q| q.len());
        let keep = poolable && (someone_waits || (o.keep_alive && free_len < o.max_free_sockets));
        if keep {
            if !someone_waits {
                let _ = socket.set_keep_alive(true, o.keep_alive_msecs);
            }
            let expires = (timeout > 0)
                .then(|| Instant::now().checked_add(Duration::from_millis(timeout)))
                .flatten();
            let idle = Idle {
                conn,
                socket: socket.clone(),
                expires,
            };
            match st.free.get_mut(lease_name) {
                Some(q) => q.push_back(idle),
                None => {
                    st.free
                        .insert(lease_name.to_string(), VecDeque::from([idle]));
                }
            }
            self.ensure_sweeping(&mut st);
        } else {
            socket.destroy();
            st.total = st.total.saturating_sub(1);
        }
        self.wake_waiters(st);
        if keep {
            let listeners = lock(&self.inner.on_free).clone();
            for f in listeners {
                f(&socket, lease_name);
            }
        }
    }

    pub(crate) fn release_lease(&self, lease: &Lease, keep_alive: bool, hint_ms: Option<u64>) {
        self.release(
            &lease.name,
            lease.id,
            lease.conn.clone(),
            lease.socket.clone(),
            keep_alive,
            hint_ms,
        );
    }

    /// Take a lease's socket out of the pool for good (upgrade, CONNECT, failure).
    pub(crate) fn discard(&self, lease: &Lease) {
        lease.socket.set_agent_remove_hook(None);
        self.forget(&lease.name, lease.id);
    }
}

/// Open a connection as `opts` say: a Unix socket path, or TCP to host:port (filtered by
/// `family`). Errors carry Node's message (`connect ECONNREFUSED 127.0.0.1:8080`).
fn connect(opts: &RequestOptions, agents: Option<&CreateConnection>) -> Result<Socket, Error> {
    if let Some(opened) = opts.open_own_connection() {
        return opened.map_err(Error::from);
    }
    if let Some(f) = agents {
        return f.open(opts).map_err(Error::from);
    }
    #[cfg(unix)]
    if let Some(path) = opts.get_socket_path() {
        return UnixStream::connect(path)
            .map(Socket::from_unix)
            .map_err(|e| connect_error(e, &path.display().to_string()));
    }
    let host = opts.effective_host();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = opts.effective_port();
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::host_not_found(host, Some(&e)))?
        .filter(|a| match opts.get_family() {
            Some(4) => a.is_ipv4(),
            Some(6) => a.is_ipv6(),
            _ => true,
        })
        .collect();
    let local: Option<std::net::IpAddr> = match opts.get_local_address() {
        Some(l) => Some(l.parse().map_err(|_| {
            Error::new(
                ErrorKind::InvalidIpAddress,
                format!("Invalid IP address: {l}"),
            )
        })?),
        None => None,
    };
    let mut last = None;
    for a in addrs
        .iter()
        .filter(|a| local.is_none_or(|ip| ip.is_ipv4() == a.is_ipv4()))
    {
        let attempt = match local {
            Some(ip) => crate::sys::connect_from(std::net::SocketAddr::new(ip, 0), *a),
            None => match opts.timeout_given() {
                // the request's timeout also bounds the connect
                Some(t) if !t.is_zero() => TcpStream::connect_timeout(a, t),
                _ => TcpStream::connect(a),
            },
        };
        match attempt {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(Socket::from_tcp(s));
            }
            Err(e) => last = Some((e, a.to_string())),
        }
    }
    match last {
        Some((e, a)) => Err(connect_error(e, &a)),
        None => Err(Error::host_not_found(host, None)),
    }
}

fn connect_error(e: std::io::Error, addr: &str) -> Error {
    let base = Error::from(e);
    let message = format!("connect {} {addr}", base.code());
    base.with_message(message)
}
