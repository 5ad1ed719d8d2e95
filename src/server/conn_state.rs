//! What a connection shares with the response in flight and the request's body reader:
//! whether the response has ended (and if the connection may carry another request), the
//! per-request timer (`set_timeout`) and the `close` listeners, watched by the watchdog while
//! the handler works.
#![forbid(unsafe_code)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::conn::CloseReason;
use super::watchdog::{self, Check};
use super::ServerInner;
use crate::net::Socket;

type TimeoutListener = Box<dyn Fn(&Socket) + Send + Sync>;

/// What a connection shares with the response in flight.
pub(crate) struct ConnState {
    /// Response bytes have gone out (so a 400/408 can no longer be written).
    pub response_started: AtomicBool,
    /// `Some(keep_alive)` once the response has ended; whether the connection waits for it.
    done: Mutex<(Option<Result<(), CloseReason>>, bool)>,
    done_cv: Condvar,
    timeout_listeners: Mutex<Vec<TimeoutListener>>,
    /// `timeout` listeners of the request (they run only while its body is incomplete).
    request_timeout_listeners: Mutex<Vec<TimeoutListener>>,
    /// The request's body has been read to its end (or it had none).
    pub request_complete: AtomicBool,
    server: Arc<ServerInner>,
    socket: Socket,
    /// Counts requests: watchdog entries of an earlier one are stale.
    generation: AtomicU64,
    /// The inactivity timer `set_timeout` armed for this request, and the silence (by its
    /// start) it last fired for.
    timer: Mutex<(Option<Duration>, Option<Instant>)>,
    /// A timer or a `timeout` listener was set for this request (reset clears them).
    timers_set: AtomicBool,
    /// The response's `close` listeners, and whether they ran.
    close_listeners: Mutex<(Vec<Listener>, bool)>,
    /// The connection's number, unique in the process (for `STDHTTP_DEBUG=http`).
    pub id: u64,
}

type Listener = Box<dyn FnMut() + Send>;

impl ConnState {
    pub fn new(server: Arc<ServerInner>, socket: Socket, id: u64) -> ConnState {
        ConnState {
            id,
            server,
            socket,
            request_timeout_listeners: Mutex::new(Vec::new()),
            request_complete: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            timer: Mutex::new((None, None)),
            close_listeners: Mutex::new((Vec::new(), false)),
            timers_set: AtomicBool::new(false),
            response_started: AtomicBool::new(false),
            done: Mutex::new((None, false)),
            done_cv: Condvar::new(),
            timeout_listeners: Mutex::new(Vec::new()),
        }
    }

    /// A new request: nothing of the last one's response state, timers or listeners stays.
    pub fn reset(&self) {
        self.response_started.store(false, Ordering::Release);
        *lock(&self.done) = (None, false);
        self.generation.fetch_add(1, Ordering::AcqRel);
        if self.timers_set.swap(false, Ordering::AcqRel) {
            *lock(&self.timer) = (None, None);
            lock(&self.timeout_listeners).clear();
            lock(&self.request_timeout_listeners).clear();
        }
        self.request_complete.store(false, Ordering::Release);
        *lock(&self.close_listeners) = (Vec::new(), false);
    }

    /// Node's `socket.setTimeout(ms)` for the request in flight (from `res.setTimeout` or
    /// `req.setTimeout`): after `ms` with no byte moving, the `timeout` listeners run, or
    /// the socket is destroyed when there are none. Once per silence; 0 disarms it.
    pub fn arm_timer(self: &Arc<Self>, ms: u64) {
        let t = (ms > 0).then(|| Duration::from_millis(ms));
        self.timers_set.store(true, Ordering::Release);
        *lock(&self.timer) = (t, None);
        if let Some(t) = t {
            let now = self.socket.watch_io();
            let generation = self.generation.load(Ordering::Acquire);
            watchdog::schedule(self, generation, Check::Timeout, now + t);
        }
    }

    pub fn add_request_timeout_listener(&self, f: TimeoutListener) {
        self.timers_set.store(true, Ordering::Release);
        lock(&self.request_timeout_listeners).push(f);
    }

    /// Run `f` when the response is done with, or its client closed first (checked while
    /// the handler runs).
    pub fn add_close_listener(self: &Arc<Self>, f: Listener) {
        let mut c = lock(&self.close_listeners);
        if c.1 {
            drop(c);
            let mut f = f;
            f();
            return;
        }
        let first = c.0.is_empty();
        c.0.push(f);
        drop(c);
        if first {
            let generation = self.generation.load(Ordering::Acquire);
            let due = Instant::now() + watchdog::DISCONNECT_POLL;
            watchdog::schedule(self, generation, Check::Disconnect, due);
        }
    }

    /// Run the response's `close` listeners, once.
    pub fn fire_close(&self) {
        let listeners = {
            let mut c = lock(&self.close_listeners);
            if c.1 {
                return;
            }
            c.1 = true;
            std::mem::take(&mut c.0)
        };
        for mut f in listeners {
            f();
        }
    }

    /// Whether the client has closed its side while the response is not done (a peek:
    /// unread request bytes hide a close until they are read).
    pub fn client_gone(&self) -> bool {
        self.socket.is_destroyed() || self.socket.peek_idle() == crate::sys::Peek::Closed
    }

    /// A watchdog entry for request `generation` is due.
    pub(crate) fn watchdog_due(self: &Arc<Self>, generation: u64, check: Check) {
        if generation != self.generation.load(Ordering::Acquire) || lock(&self.done).0.is_some() {
            return;
        }
        match check {
            Check::Disconnect => {
                if lock(&self.close_listeners).1 {
                    return;
                }
                if self.client_gone() {
                    self.fire_close();
                } else {
                    let due = Instant::now() + watchdog::DISCONNECT_POLL;
                    watchdog::schedule(self, generation, Check::Disconnect, due);
                }
            }
            Check::Timeout => {
                let mut timer = lock(&self.timer);
                let Some(t) = timer.0 else { return };
                let now = Instant::now();
                let silent_since = self.socket.last_io();
                if now < silent_since + t || timer.1 == Some(silent_since) {
                    // bytes moved since (or this silence was already reported): look again
                    // when the timer would run out next
                    let due = if now < silent_since + t {
                        silent_since + t
                    } else {
                        now + t
                    };
                    drop(timer);
                    watchdog::schedule(self, generation, Check::Timeout, due);
                    return;
                }
                timer.1 = Some(silent_since);
                drop(timer);
                let handlers = self.server.handlers();
                let mut heard = false;
                if !self.request_complete.load(Ordering::Acquire) {
                    heard |= fire_all(&self.request_timeout_listeners, &self.socket);
                }
                heard |= fire_all(&self.timeout_listeners, &self.socket);
                for f in &handlers.timeout {
                    f(self.socket.clone());
                    heard = true;
                }
                if !heard {
                    self.socket.destroy();
                    self.fire_close();
                    return;
                }
                watchdog::schedule(self, generation, Check::Timeout, now + t);
            }
        }
    }

    /// `server.close()` has been called: a response whose head is written now says
    /// `Connection: close`, whenever its request arrived.
    pub fn server_closing(&self) -> bool {
        self.server.closing.load(Ordering::Acquire)
    }

    /// The response has ended: `Ok` when the connection may carry another request.
    pub fn response_done(&self, verdict: Result<(), CloseReason>) {
        let mut d = lock(&self.done);
        if d.0.is_none() {
            d.0 = Some(verdict);
            // a notify is a system call; most responses end before the connection waits
            if d.1 {
                self.done_cv.notify_all();
            }
        }
    }

    pub fn wait_done(&self) -> Result<(), CloseReason> {
        let mut d = lock(&self.done);
        loop {
            if let Some(k) = d.0 {
                return k;
            }
            d.1 = true;
            d = match self.done_cv.wait(d) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
        }
    }

    pub fn add_timeout_listener(&self, f: TimeoutListener) {
        self.timers_set.store(true, Ordering::Release);
        lock(&self.timeout_listeners).push(f);
    }

    /// Run the per-request timeout listeners; false when there are none.
    pub fn fire_timeout(&self, socket: &Socket) -> bool {
        fire_all(&self.timeout_listeners, socket)
    }
}

/// The request's side of the connection's timer (Node's `req.setTimeout`).
pub(crate) struct RequestTimerOf(pub Arc<ConnState>);

impl crate::message::RequestTimer for RequestTimerOf {
    fn set_timeout(&self, ms: u64, listener: Option<crate::TimeoutCallback>) {
        if let Some(f) = listener {
            self.0.add_request_timeout_listener(f);
        }
        self.0.arm_timer(ms);
    }

    fn body_complete(&self) {
        self.0.request_complete.store(true, Ordering::Release);
    }
}

/// Run the listeners in `list`; false when there are none. They are taken out while they
/// run, so a listener may register another without deadlock.
fn fire_all(list: &Mutex<Vec<TimeoutListener>>, socket: &Socket) -> bool {
    let mut l = std::mem::take(&mut *lock(list));
    for f in l.iter() {
        f(socket);
    }
    let heard = !l.is_empty();
    let mut slot = lock(list);
    l.append(&mut slot);
    *slot = l;
    heard
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
