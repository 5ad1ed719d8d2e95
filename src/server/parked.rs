//! The parked-connection wait: connections with no request in flight wait in the kernel's
//! readiness set (epoll), not on a thread. A worker that takes a ready connection reads
//! what is there, feeds the resumable parser, and once a head is complete runs the handler
//! itself, with blocking reads and writes for the rest of the exchange; then the
//! connection goes back to the set (or is served again at once when a pipelined request is
//! buffered).
//!
//! - Connections are registered once, edge-triggered: no system call re-arms a connection
//!   per request. A worker takes a batch of ready connections from one `epoll_wait` into a
//!   shared ready queue and serves them one after another; an event for a connection a
//!   worker owns at that moment is kept as a flag the owner sees before parking it (so no
//!   arrival is lost), and a worker reads until a read comes back short before parking
//!   (so the next arrival is reported). On more than one CPU, a worker that finds other
//!   workers waiting while its batch has more than one connection kicks one to share it.
//! - A monitor looks every [`MONITOR_TICK`] (2 ms): when a worker has been inside a single
//!   exchange for [`STUCK`] (5 ms) and sleeps in the kernel there (its handler blocks: it sleeps,
//!   reads a slow body, writes to a slow reader) while connections wait in the ready queue
//!   or no worker waits for the set, another worker is started, up to `max_threads` (Go's
//!   sysmon does the like for goroutines blocked in a syscall): a blocked handler holds only
//!   its own connection. Fast handlers on a saturated CPU start no thread: being busy is
//!   not being stuck. A worker idle for the pool's idle time exits (two always stay).
//! - Deadlines (headers, keep-alive, `close()`'s grace, inactivity) of parked connections
//!   live in one FIFO per timeout value, sorted by construction (O(1) per request), and are
//!   enforced through the waiting workers' `epoll_wait` timeout. Each connection has at
//!   most one entry per queue: a popped entry whose connection was parked again later is
//!   pushed again at its new deadline.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::conn::{After, Bound, Conn, ConnPhase, Wait};
use super::conn_state::lock;
use super::pool::PoolConfig;
use crate::debug::debug_http;
use crate::sys::{Epoll, EpollEvent};

/// The token of the wake-up socket (shutdown).
const WAKE: u64 = u64::MAX;
/// The token of the kick socket (a worker asks a waiting one to share its batch).
const KICK: u64 = u64::MAX - 1;
/// Ready connections one `epoll_wait` takes at most.
const BATCH: usize = 64;
/// Workers that stay however idle.
const MIN_WORKERS: usize = 2;
/// Up to this many open connections, a parked one keeps its (2 KiB) read buffer.
const KEEP_BUFFERS_UP_TO: usize = 512;
/// The longest a waiting worker sleeps without looking at the timers.
const MAX_WAIT: Duration = Duration::from_secs(1);
/// How often the monitor looks for stuck workers.
pub(crate) const MONITOR_TICK: Duration = Duration::from_millis(2);
/// A worker this long inside one exchange while no worker waits: start another.
pub(crate) const STUCK: Duration = Duration::from_millis(5);

fn bound_index(b: Bound) -> usize {
    match b {
        Bound::Headers => 0,
        Bound::KeepAlive => 1,
        Bound::Grace => 2,
        Bound::Inactivity => 3,
    }
}

struct Entry {
    generation: u32,
    fd: RawFd,
    /// `Some` while parked; a worker or the timer owns it otherwise.
    conn: Option<Box<Conn>>,
    /// Which timer queues hold an entry for this connection (one bit per [`Bound`]).
    queued: u8,
    /// Counted in [`Parked::new_waiting`] (accepted, never taken by a worker yet).
    new: bool,
    /// Bytes arrived while a worker owned it: the owner serves it again before parking.
    woken: bool,
    /// An event said the peer closed: read to the end, not only to a short read.
    closed: bool,
    live: bool,
}

#[derive(Default)]
struct Slab {
    entries: Vec<Entry>,
    free: Vec<usize>,
}

fn token(index: usize, generation: u32) -> u64 {
    (u64::from(generation) << 32) | index as u64
}

impl Slab {
    fn get(&mut self, token: u64) -> Option<&mut Entry> {
        let index = (token & 0xffff_ffff) as usize;
        let generation = (token >> 32) as u32;
        self.entries
            .get_mut(index)
            .filter(|e| e.live && e.generation == generation)
    }

    fn insert(&mut self, fd: RawFd, conn: Box<Conn>) -> u64 {
        let entry = |generation| Entry {
            generation,
            fd,
            conn: Some(conn),
            queued: 0,
            new: true,
            woken: false,
            closed: false,
            live: true,
        };
        match self.free.pop() {
            Some(i) => {
                let generation = self.entries[i].generation.wrapping_add(1);
                self.entries[i] = entry(generation);
                token(i, generation)
            }
            None => {
                self.entries.push(entry(0));
                token(self.entries.len() - 1, 0)
            }
        }
    }

    fn remove(&mut self, token: u64) {
        let index = (token & 0xffff_ffff) as usize;
        if let Some(e) = self.get(token) {
            e.live = false;
            e.conn = None;
            self.free.push(index);
        }
    }
}

/// One FIFO per timeout value: entries are pushed at now + that value, so each queue is
/// sorted by construction (an entry whose deadline is a little earlier than the last, as a
/// head's first byte came before it was parked, is put in its place from the back).
/// A timer entry: when, which bound, which connection.
type Timer = (Instant, Bound, u64);

#[derive(Default)]
struct Timers {
    queues: Vec<(Duration, VecDeque<Timer>)>,
}

impl Timers {
    fn push(&mut self, key: Duration, due: Instant, bound: Bound, token: u64) {
        let q = match self.queues.iter().position(|(k, _)| *k == key) {
            Some(i) => &mut self.queues[i].1,
            None => {
                self.queues.push((key, VecDeque::new()));
                match self.queues.last_mut() {
                    Some(q) => &mut q.1,
                    None => return,
                }
            }
        };
        let mut at = q.len();
        while at > 0 && q[at - 1].0 > due {
            at -= 1;
        }
        q.insert(at, (due, bound, token));
    }

    fn next_due(&self) -> Option<Instant> {
        self.queues
            .iter()
            .filter_map(|(_, q)| q.front().map(|e| e.0))
            .min()
    }

    fn pop_due(&mut self, now: Instant, out: &mut Vec<(Bound, u64)>) {
        for (_, q) in self.queues.iter_mut() {
            while q.front().is_some_and(|e| e.0 <= now) {
                if let Some((_, bound, token)) = q.pop_front() {
                    out.push((bound, token));
                }
            }
        }
    }
}

#[derive(Default)]
struct Workers {
    threads: usize,
    /// Workers standing by (not polling): as many poll as there are CPUs to run them, plus
    /// one per worker stuck in a blocking handler.
    standing_by: usize,
    /// Per worker: when its current exchange began, in µs since `Parked::epoch` (0: none).
    busy: Vec<Arc<Busy>>,
}

impl Workers {
    /// A worker leaves (exits, or was never started): it is no longer counted or watched.
    fn remove(&mut self, busy: &Arc<Busy>) {
        self.threads -= 1;
        self.busy.retain(|b| !Arc::ptr_eq(b, busy));
    }
}

/// What the monitor knows of one worker.
#[derive(Default)]
struct Busy {
    /// When its current exchange began, in µs since `Parked::epoch` (0: none).
    since: std::sync::atomic::AtomicU64,
    /// Its kernel thread id (0 until the worker has read it).
    tid: std::sync::atomic::AtomicU64,
}

impl Busy {
    /// Whether the worker sleeps in the kernel (state S or D in its `/proc` stat): blocked,
    /// not just waiting for a CPU. Unknown counts as blocked.
    fn blocked(&self) -> bool {
        let tid = self.tid.load(Ordering::Relaxed);
        if tid == 0 {
            return true;
        }
        match std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")) {
            Ok(stat) => stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.trim_start().chars().next())
                .is_none_or(|state| matches!(state, 'S' | 'D')),
            Err(_) => true,
        }
    }
}

/// This thread's kernel id, from `/proc/thread-self`.
fn current_tid() -> u64 {
    std::fs::read_link("/proc/thread-self")
        .ok()
        .and_then(|p| p.file_name()?.to_str()?.parse().ok())
        .unwrap_or(0)
}

/// One server's readiness set, its parked connections and its workers.
pub(crate) struct Parked {
    epoll: Epoll,
    slab: Mutex<Slab>,
    timers: Mutex<Timers>,
    workers: Mutex<Workers>,
    config: PoolConfig,
    shutdown: AtomicBool,
    wake: (UnixStream, UnixStream),
    kick: (UnixStream, UnixStream),
    /// Ready connections taken from the set and not yet served.
    ready: Mutex<VecDeque<(u64, bool)>>,
    ready_len: AtomicUsize,
    /// More than one CPU to run workers on (else a batch is never shared).
    parallel: bool,
    /// CPUs this process may run on.
    cpus: usize,
    /// Workers the monitor found stuck in a blocking handler at its last look.
    stuck: AtomicUsize,
    /// Workers not standing by.
    active: AtomicUsize,
    /// Where standing-by workers wait (with the `workers` lock).
    standby: std::sync::Condvar,
    /// Accepted connections no worker has taken yet (for shedding when all are busy).
    new_waiting: AtomicUsize,
    epoch: Instant,
    /// Connections in the slab.
    live: AtomicUsize,
    /// Workers in `epoll_wait` (or on their way there).
    waiting: AtomicUsize,
    /// The earliest timer, in µs since `epoch` (`u64::MAX`: none): a worker looks at the
    /// timer queues only once it has passed.
    next_due: std::sync::atomic::AtomicU64,
}

impl Parked {
    pub fn new(config: PoolConfig) -> std::io::Result<Arc<Parked>> {
        let epoll = Epoll::new()?;
        let wake = UnixStream::pair()?;
        epoll.add_always(wake.0.as_raw_fd(), WAKE)?;
        let kick = UnixStream::pair()?;
        kick.0.set_nonblocking(true)?;
        kick.1.set_nonblocking(true)?;
        epoll.add_edge(kick.0.as_raw_fd(), KICK)?;
        // the CPUs this process may run on (taskset), not the machine's
        let cpus = thread::available_parallelism().map_or(1, |n| n.get());
        let parallel = cpus > 1;
        Ok(Arc::new(Parked {
            epoll,
            slab: Mutex::new(Slab::default()),
            timers: Mutex::new(Timers::default()),
            workers: Mutex::new(Workers::default()),
            config,
            shutdown: AtomicBool::new(false),
            wake,
            kick,
            ready: Mutex::new(VecDeque::new()),
            ready_len: AtomicUsize::new(0),
            parallel,
            cpus,
            stuck: AtomicUsize::new(0),
            active: AtomicUsize::new(0),
            standby: std::sync::Condvar::new(),
            new_waiting: AtomicUsize::new(0),
            epoch: Instant::now(),
            live: AtomicUsize::new(0),
            waiting: AtomicUsize::new(0),
            next_due: std::sync::atomic::AtomicU64::new(u64::MAX),
        }))
        .inspect(|parked| {
            let me = parked.clone();
            let _ = thread::Builder::new()
                .name("stdhttp-monitor".into())
                .stack_size(64 * 1024)
                .spawn(move || me.monitor());
        })
    }

    fn stamp(&self) -> u64 {
        (self.epoch.elapsed().as_micros() as u64).max(1)
    }

    /// Start a worker when none waits and one is stuck in an exchange.
    fn monitor(self: Arc<Self>) {
        while !self.shutdown.load(Ordering::Acquire) {
            thread::sleep(MONITOR_TICK);
            let long_busy: Vec<Arc<Busy>> = {
                let w = lock(&self.workers);
                let now = self.stamp();
                let limit = STUCK.as_micros() as u64;
                w.busy
                    .iter()
                    .filter(|b| {
                        let since = b.since.load(Ordering::Relaxed);
                        since != 0 && now.saturating_sub(since) >= limit
                    })
                    .cloned()
                    .collect()
            };
            // busy is not stuck: only a worker that sleeps in the kernel needs a stand-in
            let stuck = long_busy.iter().filter(|b| b.blocked()).count();
            self.stuck.store(stuck, Ordering::Release);
            let needed = self.waiting.load(Ordering::Acquire) == 0
                || self.ready_len.load(Ordering::Acquire) > 0;
            if stuck > 0 && needed && self.active.load(Ordering::Acquire) < self.target() {
                let w = lock(&self.workers);
                if w.standing_by > 0 {
                    self.standby.notify_one();
                } else {
                    drop(w);
                    self.start_worker();
                }
            }
        }
    }

    /// How many workers should poll: one per CPU, plus one per stuck worker.
    fn target(&self) -> usize {
        self.cpus + self.stuck.load(Ordering::Acquire)
    }

    /// Stand by while more workers poll than [`Parked::target`]; false when this worker
    /// should exit instead (shutdown, or idle for the pool's idle time with enough others).
    fn stand_by_if_surplus(&self, busy: &Arc<Busy>) -> bool {
        let mut active = self.active.load(Ordering::Acquire);
        loop {
            if active <= self.target() {
                return true;
            }
            match self.active.compare_exchange(
                active,
                active - 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => break,
                Err(now) => active = now,
            }
        }
        let mut w = lock(&self.workers);
        w.standing_by += 1;
        let mut idle_since = Instant::now();
        loop {
            if self.shutdown.load(Ordering::Acquire) {
                w.standing_by -= 1;
                w.remove(busy);
                return false;
            }
            let active = self.active.load(Ordering::Acquire);
            if active < self.target() {
                self.active.fetch_add(1, Ordering::AcqRel);
                w.standing_by -= 1;
                return true;
            }
            if idle_since.elapsed() >= self.config.idle_exit
                && w.threads > MIN_WORKERS.max(self.config.min_threads)
            {
                w.standing_by -= 1;
                w.remove(busy);
                return false;
            }
            w = match self.standby.wait_timeout(w, MAX_WAIT) {
                Ok((g, t)) => {
                    if !t.timed_out() {
                        idle_since = Instant::now();
                    }
                    g
                }
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// Every worker is busy and no more may start: a new connection would wait.
    pub fn saturated(&self) -> bool {
        let w = lock(&self.workers);
        self.waiting.load(Ordering::Acquire) == 0
            && w.threads >= self.config.max_threads.max(MIN_WORKERS)
    }

    /// Workers alive now.
    pub fn threads(&self) -> usize {
        lock(&self.workers).threads
    }

    /// Connections accepted and not yet taken by a worker.
    pub fn new_waiting(&self) -> usize {
        self.new_waiting.load(Ordering::Acquire)
    }

    /// Park a newly accepted connection until its first bytes arrive. `Err` gives it back
    /// (no descriptor, or the kernel refused it): serve it on a thread of its own.
    pub fn register(self: &Arc<Self>, mut conn: Box<Conn>) -> Result<(), Box<Conn>> {
        let Some(fd) = conn.socket.raw_fd() else {
            return Err(conn);
        };
        conn.mark_parked();
        let deadlines = conn.park_deadlines();
        debug_http!("conn {} parked", conn.id());
        let token = lock(&self.slab).insert(fd, conn);
        self.live.fetch_add(1, Ordering::Relaxed);
        self.new_waiting.fetch_add(1, Ordering::AcqRel);
        self.queue_timers(token, deadlines);
        if self.epoll.add_edge(fd, token).is_err() {
            let conn = self.take_entry(token);
            self.forget(token);
            return match conn {
                Some(c) => Err(c),
                None => Ok(()),
            };
        }
        self.ensure_worker();
        Ok(())
    }

    /// Push the timer entries a parked connection needs and its queues do not hold yet.
    fn queue_timers(&self, token: u64, mut deadlines: [Option<(Bound, Instant, Duration)>; 2]) {
        {
            let mut slab = lock(&self.slab);
            let Some(e) = slab.get(token) else { return };
            for d in deadlines.iter_mut() {
                // keep only the bounds whose queue holds no entry for it yet
                *d = d.filter(|(bound, ..)| {
                    let bit = 1u8 << bound_index(*bound);
                    let fresh = e.queued & bit == 0;
                    e.queued |= bit;
                    fresh
                });
            }
        }
        if deadlines.iter().all(Option::is_none) {
            return;
        }
        let mut t = lock(&self.timers);
        for (bound, due, key) in deadlines.into_iter().flatten() {
            t.push(key, due, bound, token);
            let at = due.saturating_duration_since(self.epoch).as_micros() as u64;
            self.next_due.fetch_min(at, Ordering::AcqRel);
        }
    }

    fn take_entry(&self, token: u64) -> Option<Box<Conn>> {
        self.take_woken(token, false).map(|(conn, _)| conn)
    }

    /// Take a connection an event reported (`closed`: the peer closed): with whether it
    /// must be read to its end. When a worker (or the timer) owns it, flags it instead: the
    /// owner sees them before parking it.
    fn take_woken(&self, token: u64, closed: bool) -> Option<(Box<Conn>, bool)> {
        let mut slab = lock(&self.slab);
        let e = slab.get(token)?;
        e.closed |= closed;
        let Some(conn) = e.conn.take() else {
            e.woken = true;
            return None;
        };
        let closed = std::mem::take(&mut e.closed);
        if std::mem::take(&mut e.new) {
            self.new_waiting.fetch_sub(1, Ordering::AcqRel);
        }
        Some((conn, closed))
    }

    /// Have at least [`MIN_WORKERS`] workers.
    fn ensure_worker(self: &Arc<Self>) {
        if lock(&self.workers).threads < MIN_WORKERS {
            self.start_worker();
        }
    }

    /// Start one more worker (up to `max_threads`).
    fn start_worker(self: &Arc<Self>) {
        let busy = Arc::new(Busy::default());
        let start = {
            let mut w = lock(&self.workers);
            let room = w.threads < self.config.max_threads.max(MIN_WORKERS);
            if room {
                w.threads += 1;
                self.active.fetch_add(1, Ordering::AcqRel);
                w.busy.push(busy.clone());
                true
            } else {
                false
            }
        };
        if start {
            let me = self.clone();
            let mine = busy.clone();
            let spawned = thread::Builder::new()
                .name("stdhttp-worker".into())
                .stack_size(self.config.stack_size)
                .spawn(move || me.work(mine));
            if spawned.is_err() {
                let mut w = lock(&self.workers);
                w.remove(&busy);
                self.active.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }

    /// Stop every worker (the server closed and its last connection is gone).
    pub fn shutdown(&self) {
        self.shutdown.store(true, Ordering::Release);
        let _ = (&self.wake.1).write_all(&[1]);
        let _w = lock(&self.workers);
        self.standby.notify_all();
    }

    fn work(self: Arc<Self>, busy: Arc<Busy>) {
        let mut events = [EpollEvent::EMPTY; BATCH];
        let mut idle_since = Instant::now();
        let mut due = Vec::new();
        busy.tid.store(current_tid(), Ordering::Relaxed);
        loop {
            if !self.stand_by_if_surplus(&busy) {
                return;
            }
            if let Some(token) = self.next_ready() {
                busy.since.store(self.stamp(), Ordering::Relaxed);
                self.woken(token.0, token.1);
                busy.since.store(0, Ordering::Relaxed);
                self.run_timers(&mut due);
                idle_since = Instant::now();
                continue;
            }
            let now_us = self.stamp();
            let wait = match self.next_due.load(Ordering::Acquire) {
                u64::MAX => MAX_WAIT,
                due => Duration::from_micros(due.saturating_sub(now_us)).min(MAX_WAIT),
            };
            // round up: a wait that ends a little early only spins once more
            let wait_ms = wait.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
            self.waiting.fetch_add(1, Ordering::AcqRel);
            let n = self.epoll.wait(&mut events, wait_ms).unwrap_or(0);
            let others_waiting = self
                .waiting
                .fetch_sub(1, Ordering::AcqRel)
                .saturating_sub(1);
            if self.shutdown.load(Ordering::Acquire) {
                let mut w = lock(&self.workers);
                w.remove(&busy);
                self.active.fetch_sub(1, Ordering::AcqRel);
                return;
            }
            let mut taken = 0;
            if n > 0 {
                let mut ready = lock(&self.ready);
                for ev in &events[..n] {
                    match ev.token() {
                        WAKE => {}
                        KICK => {
                            let mut sink = [0u8; 64];
                            while matches!((&self.kick.0).read(&mut sink), Ok(k) if k > 0) {}
                        }
                        token => {
                            ready.push_back((token, ev.closed()));
                            taken += 1;
                        }
                    }
                }
                self.ready_len.store(ready.len(), Ordering::Release);
                idle_since = Instant::now();
            }
            if taken > 1 && self.parallel && others_waiting > 0 {
                // another CPU could take part of this batch
                let _ = (&self.kick.1).write(&[1]);
            }
            self.run_timers(&mut due);
            if n == 0 && idle_since.elapsed() >= self.config.idle_exit {
                let mut w = lock(&self.workers);
                if w.threads > MIN_WORKERS.max(self.config.min_threads) {
                    w.remove(&busy);
                    self.active.fetch_sub(1, Ordering::AcqRel);
                    return;
                }
                idle_since = Instant::now();
            }
        }
    }

    /// The next connection of the ready queue.
    fn next_ready(&self) -> Option<(u64, bool)> {
        if self.ready_len.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut ready = lock(&self.ready);
        let token = ready.pop_front();
        self.ready_len.store(ready.len(), Ordering::Release);
        token
    }

    /// The connection of `token` is readable (or its peer closed).
    fn woken(self: &Arc<Self>, token: u64, closed: bool) {
        let Some((conn, closed)) = self.take_woken(token, closed) else {
            // someone owns it: the flag take_woken left makes the owner serve it again
            return;
        };
        self.serve_guarded(token, conn, |me, conn| me.serve(token, conn, true, closed));
    }

    /// Run `f` on a connection this worker took, so that a handler that panics kills only
    /// its connection, not the worker.
    fn serve_guarded(
        self: &Arc<Self>,
        token: u64,
        conn: Box<Conn>,
        f: impl FnOnce(&Arc<Self>, Box<Conn>),
    ) {
        let (socket, server, id) = (conn.socket.clone(), conn.server(), conn.id());
        let served = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(self, conn)));
        if served.is_err() {
            // a handler panicked: the connection dies, the server and the worker go on
            debug_http!("conn {id} closed (the handler panicked)");
            self.forget(token);
            socket.destroy();
            server.forget(id);
        }
    }

    /// Serve a connection this worker took: every request it has, then park it again.
    fn serve(self: &Arc<Self>, token: u64, mut conn: Box<Conn>, readable: bool, closed: bool) {
        let mut may_read = readable;
        let mut to_end = closed;
        loop {
            match conn.wait_head(false, may_read, to_end) {
                Wait::Head(head, first, seq) => match conn.exchange(head, first, seq) {
                    After::KeepAlive => {
                        conn.begin_wait();
                        // a pipelined request may be buffered; after the peer's close, the
                        // end must be read too (no later event will tell)
                        may_read = to_end;
                    }
                    After::Close(reason) => {
                        self.forget(token);
                        return conn.finish(reason);
                    }
                    After::HandedOver => {
                        self.forget(token);
                        return conn.forget_handed_over();
                    }
                },
                Wait::Pending => match self.park(token, conn) {
                    // bytes came while it was ours: serve them before it waits
                    Some((again, closed)) => {
                        conn = again;
                        may_read = true;
                        to_end |= closed;
                    }
                    None => return,
                },
                Wait::Done(reason) => {
                    self.forget(token);
                    return conn.finish(reason);
                }
            }
        }
    }

    /// Put a connection back to wait for its next bytes; `Some` gives it back when bytes
    /// came while it was ours (its event found it taken): serve it again.
    fn park(self: &Arc<Self>, token: u64, mut conn: Box<Conn>) -> Option<(Box<Conn>, bool)> {
        if self.live.load(Ordering::Relaxed) > KEEP_BUFFERS_UP_TO {
            // many connections wait: each holds no read buffer while parked
            conn.release_buffer();
        }
        conn.mark_parked();
        let deadlines = conn.park_deadlines();
        {
            let mut slab = lock(&self.slab);
            let e = slab.get(token)?;
            if std::mem::take(&mut e.woken) {
                return Some((conn, std::mem::take(&mut e.closed)));
            }
            // under the lock: a worker that takes it next logs after this line
            debug_http!("conn {} parked", conn.id());
            e.conn = Some(conn);
        }
        self.queue_timers(token, deadlines);
        None
    }

    /// The connection of `token` is done: out of the set (before its descriptor can be
    /// closed and reused) and out of the slab.
    fn forget(&self, token: u64) {
        let mut slab = lock(&self.slab);
        if let Some(e) = slab.get(token) {
            let _ = self.epoll.remove(e.fd);
            if std::mem::take(&mut e.new) {
                self.new_waiting.fetch_sub(1, Ordering::AcqRel);
            }
            self.live.fetch_sub(1, Ordering::Relaxed);
        }
        slab.remove(token);
    }

    /// Enforce the parked connections' deadlines that have passed (one worker at a time).
    fn run_timers(self: &Arc<Self>, due: &mut Vec<(Bound, u64)>) {
        if self.next_due.load(Ordering::Acquire) > self.stamp() {
            return;
        }
        let now = Instant::now();
        {
            let Ok(mut t) = self.timers.try_lock() else {
                return;
            };
            t.pop_due(now, due);
            let next = t.next_due().map_or(u64::MAX, |d| {
                d.saturating_duration_since(self.epoch).as_micros() as u64
            });
            self.next_due.store(next, Ordering::Release);
        }
        for (bound, token) in due.drain(..) {
            let bit = 1u8 << bound_index(bound);
            let conn = {
                let mut slab = lock(&self.slab);
                let Some(e) = slab.get(token) else { continue };
                e.queued &= !bit;
                match &e.conn {
                    Some(c) if c.due(now, bound) => e.conn.take(),
                    Some(c) => {
                        // parked again since: queue it at its new deadline
                        let next = c.park_deadlines();
                        drop(slab);
                        self.queue_timers(token, next);
                        continue;
                    }
                    None => continue, // being served: it queues itself when parked again
                }
            };
            let Some(conn) = conn else { continue };
            if conn.phase == ConnPhase::New {
                let mut slab = lock(&self.slab);
                if let Some(e) = slab.get(token) {
                    if std::mem::take(&mut e.new) {
                        self.new_waiting.fetch_sub(1, Ordering::AcqRel);
                    }
                }
            }
            self.serve_guarded(token, conn, |me, mut conn| match conn.expire(now, bound) {
                Some(reason) => {
                    me.forget(token);
                    conn.finish(reason);
                }
                None => {
                    if let Some((again, closed)) = me.park(token, conn) {
                        me.serve(token, again, true, closed);
                    }
                }
            });
        }
    }
}
