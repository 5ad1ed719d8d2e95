//! One thread, started on first use, that looks after responses whose handler is busy (not
//! reading the socket): it fires `set_timeout` timers (Node's per-socket inactivity timer)
//! and notices a client that went away, so `close` listeners run while the handler still
//! works. Entries are keyed by the connection and its request generation: one that belongs
//! to a finished request is dropped when it comes due.
#![forbid(unsafe_code)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::{Arc, Condvar, Mutex, OnceLock, Weak};
use std::thread;
use std::time::{Duration, Instant};

use super::conn_state::{lock, ConnState};

/// How often a busy response's client is checked for a close.
pub(crate) const DISCONNECT_POLL: Duration = Duration::from_millis(100);

/// What to do when an entry comes due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// The response's inactivity timer.
    Timeout,
    /// Whether the client closed.
    Disconnect,
}

struct Entry {
    due: Instant,
    seq: u64,
    conn: Weak<ConnState>,
    generation: u64,
    check: Check,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(other.due, other.seq))
    }
}

#[derive(Default)]
struct Queue {
    heap: BinaryHeap<Reverse<Entry>>,
    seq: u64,
    running: bool,
}

fn shared() -> &'static (Mutex<Queue>, Condvar) {
    static SHARED: OnceLock<(Mutex<Queue>, Condvar)> = OnceLock::new();
    SHARED.get_or_init(Default::default)
}

/// Ask for `check` on `conn` (request `generation`) at `due`.
pub(crate) fn schedule(conn: &Arc<ConnState>, generation: u64, check: Check, due: Instant) {
    let (queue, cv) = shared();
    let mut q = lock(queue);
    q.seq += 1;
    let seq = q.seq;
    q.heap.push(Reverse(Entry {
        due,
        seq,
        conn: Arc::downgrade(conn),
        generation,
        check,
    }));
    if !q.running {
        let started = thread::Builder::new()
            .name("stdhttp-watchdog".into())
            .stack_size(64 * 1024)
            .spawn(run);
        q.running = started.is_ok();
    }
    drop(q);
    cv.notify_one();
}

fn run() {
    let (queue, cv) = shared();
    let mut q = lock(queue);
    loop {
        let now = Instant::now();
        let mut due = Vec::new();
        while q.heap.peek().is_some_and(|Reverse(e)| e.due <= now) {
            if let Some(Reverse(e)) = q.heap.pop() {
                due.push(e);
            }
        }
        if !due.is_empty() {
            drop(q);
            for e in due {
                if let Some(conn) = e.conn.upgrade() {
                    conn.watchdog_due(e.generation, e.check);
                }
            }
            q = lock(queue);
            continue;
        }
        let wait = q
            .heap
            .peek()
            .map(|Reverse(e)| e.due.saturating_duration_since(now));
        q = match wait {
            Some(w) => match cv.wait_timeout(q, w) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            },
            None => match cv.wait(q) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            },
        };
    }
}
