//! The worker pool: a worker owns a connection until it closes, so threads are the unit of
//! concurrency. The pool grows on demand up to `max_threads`, keeps `min_threads`, lets
//! surplus idle workers exit, and queues at most `max_queue` connections when every worker
//! is busy; beyond that `submit` refuses and the server sheds the connection.
#![forbid(unsafe_code)]

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use super::conn_state::lock;

pub(crate) type Job = Box<dyn FnOnce() + Send + 'static>;

/// The pool's bounds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PoolConfig {
    pub min_threads: usize,
    pub max_threads: usize,
    pub max_queue: usize,
    pub stack_size: usize,
    pub idle_exit: Duration,
}

struct State {
    queue: VecDeque<Job>,
    threads: usize,
    idle: usize,
    shutdown: bool,
}

struct Shared {
    state: Mutex<State>,
    work: Condvar,
    config: PoolConfig,
}

/// A bounded, growing thread pool.
#[derive(Clone)]
pub(crate) struct Pool {
    shared: Arc<Shared>,
}

impl Pool {
    pub fn new(config: PoolConfig) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                state: Mutex::new(State {
                    queue: VecDeque::new(),
                    threads: 0,
                    idle: 0,
                    shutdown: false,
                }),
                work: Condvar::new(),
                config,
            }),
        }
    }

    /// Run `job` on a worker: an idle one, a new one (below the bound), or a queued slot.
    /// `Err(job)` when all are taken.
    pub fn submit(&self, job: Job) -> Result<(), Job> {
        let cfg = self.shared.config;
        let mut st = lock(&self.shared.state);
        if st.idle > st.queue.len() {
            st.queue.push_back(job);
            drop(st);
            self.shared.work.notify_one();
            return Ok(());
        }
        if st.threads < cfg.max_threads.max(1) {
            st.threads += 1;
            drop(st);
            // the job waits in a slot the new worker empties, so a failed spawn can give
            // it back for the caller to refuse
            let slot = Arc::new(Mutex::new(Some(job)));
            let shared = self.shared.clone();
            let worker_slot = slot.clone();
            let spawned = thread::Builder::new()
                .name("stdhttp-worker".into())
                .stack_size(cfg.stack_size)
                .spawn(move || {
                    let first = lock(&worker_slot).take();
                    worker(shared, first)
                });
            if spawned.is_err() {
                lock(&self.shared.state).threads -= 1;
                if let Some(job) = lock(&slot).take() {
                    return Err(job);
                }
            }
            return Ok(());
        }
        if st.queue.len() < cfg.max_queue {
            st.queue.push_back(job);
            return Ok(());
        }
        Err(job)
    }

    /// Worker threads alive now.
    pub fn threads(&self) -> usize {
        lock(&self.shared.state).threads
    }

    /// Let idle workers exit (queued jobs still run).
    pub fn shutdown(&self) {
        lock(&self.shared.state).shutdown = true;
        self.shared.work.notify_all();
    }
}

fn worker(shared: Arc<Shared>, first: Option<Job>) {
    let mut job = first;
    loop {
        if let Some(j) = job.take() {
            j();
        }
        let mut st = lock(&shared.state);
        st.idle += 1;
        loop {
            if let Some(j) = st.queue.pop_front() {
                st.idle -= 1;
                job = Some(j);
                break;
            }
            if st.shutdown && st.threads > shared.config.min_threads {
                st.idle -= 1;
                st.threads -= 1;
                return;
            }
            let (g, timeout) = match shared.work.wait_timeout(st, shared.config.idle_exit) {
                Ok(r) => (r.0, r.1.timed_out()),
                Err(p) => {
                    let r = p.into_inner();
                    (r.0, r.1.timed_out())
                }
            };
            st = g;
            if timeout && st.queue.is_empty() && st.threads > shared.config.min_threads {
                st.idle -= 1;
                st.threads -= 1;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    fn config(max_threads: usize, max_queue: usize) -> PoolConfig {
        PoolConfig {
            min_threads: 0,
            max_threads,
            max_queue,
            stack_size: 128 * 1024,
            idle_exit: Duration::from_millis(200),
        }
    }

    #[test]
    fn jobs_beyond_threads_and_queue_are_refused() {
        let pool = Pool::new(config(2, 1));
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let release_rx = Arc::new(Mutex::new(release_rx));
        let (ran_tx, ran_rx) = mpsc::channel();
        for _ in 0..3 {
            let rx = release_rx.clone();
            let ran = ran_tx.clone();
            assert!(pool
                .submit(Box::new(move || {
                    let _ = lock(&rx).recv();
                    let _ = ran.send(());
                }))
                .is_ok());
        }
        assert!(
            pool.submit(Box::new(|| {})).is_err(),
            "2 threads + 1 queued is full"
        );
        assert_eq!(pool.threads(), 2);
        for _ in 0..3 {
            release_tx.send(()).unwrap();
        }
        for _ in 0..3 {
            ran_rx.recv_timeout(Duration::from_secs(5)).unwrap();
        }
    }

    #[test]
    fn idle_workers_exit_down_to_the_minimum() {
        let pool = Pool::new(config(4, 0));
        let (tx, rx) = mpsc::channel();
        for _ in 0..3 {
            let tx = tx.clone();
            assert!(pool
                .submit(Box::new(move || {
                    let _ = tx.send(());
                }))
                .is_ok());
        }
        for _ in 0..3 {
            rx.recv_timeout(Duration::from_secs(5)).unwrap();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while pool.threads() > 0 && std::time::Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(pool.threads(), 0);
    }
}
