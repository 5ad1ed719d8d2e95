//! A client benchmark: `bench_client URL N THREADS`.
//!
//! THREADS=1 sends N GETs one after another over one keep-alive connection; THREADS>1
//! splits N over that many threads sharing one pooled keep-alive Agent (at most THREADS
//! sockets). Each body is read to its end. Prints exactly one line:
//!
//! ```text
//! RESULT client=stdhttp threads=T requests=N secs=S rps=R errors=E
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use stdhttp::{Agent, AgentChoice, AgentOptions, RequestOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| String::from("http://127.0.0.1:8080/"));
    let n: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let threads: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1).max(1);
    let base = match RequestOptions::from_url(&url) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("bench_client: {e}");
            std::process::exit(2);
        }
    };
    let agent = Agent::new(
        AgentOptions::new()
            .keep_alive(true)
            .max_sockets(threads as usize),
    );
    let errors = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let count = n / threads + u64::from(t < n % threads);
            let (agent, base) = (agent.clone(), base.clone());
            let (errors, done) = (errors.clone(), done.clone());
            std::thread::spawn(move || {
                let mut scratch = Vec::with_capacity(1024);
                for _ in 0..count {
                    let opts = base.clone().agent(AgentChoice::Agent(agent.clone()));
                    let ok = stdhttp::get(opts).and_then(|mut res| {
                        scratch.clear();
                        std::io::Read::read_to_end(&mut res, &mut scratch)
                            .map_err(|e| res.error().cloned().unwrap_or_else(|| e.into()))?;
                        Ok(res.status_code() < 500)
                    });
                    match ok {
                        Ok(true) => {
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    let secs = start.elapsed().as_secs_f64();
    let total = done.load(Ordering::Relaxed) + errors.load(Ordering::Relaxed);
    println!(
        "RESULT client=stdhttp threads={threads} requests={total} secs={secs:.3} rps={:.0} errors={}",
        total as f64 / secs.max(1e-9),
        errors.load(Ordering::Relaxed)
    );
    agent.destroy();
}
