//! Round trips over loopback: stdhttp's client against stdhttp's server, one keep-alive
//! connection, a small GET and a 64 KiB POST. Compare runs of this bench with each other;
//! the peer comparison (hyper, ureq, Node) is `../shared/bench/run.sh`.

use std::io::Read;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use stdhttp::{Agent, AgentChoice, AgentOptions, RequestOptions};

fn roundtrip(c: &mut Criterion) {
    let server = stdhttp::create_server(|mut req, mut res| {
        let mut sink = Vec::new();
        let _ = req.read_to_end(&mut sink);
        let _ = res.set_header("Content-Type", "text/plain");
        let _ = res.end(b"Hello, World!");
    });
    if let Err(e) = server.listen("127.0.0.1:0") {
        eprintln!("roundtrip bench: cannot listen: {e}");
        return;
    }
    let port = server.address().and_then(|a| a.port()).unwrap_or(0);
    let agent = Agent::new(AgentOptions::new().keep_alive(true));
    let opts = RequestOptions::new()
        .hostname("127.0.0.1")
        .port(port)
        .agent(AgentChoice::Agent(agent.clone()));
    let mut body = Vec::with_capacity(64);
    let mut group = c.benchmark_group("roundtrip");
    group.bench_function("get_keepalive", |b| {
        b.iter(|| {
            body.clear();
            let mut res = stdhttp::get(opts.clone()).expect("request");
            res.read_to_end(&mut body).expect("body");
            assert_eq!(body.len(), 13);
        })
    });
    let payload = vec![b'x'; 64 * 1024];
    group.throughput(Throughput::Bytes(payload.len() as u64));
    group.bench_function("post_64k_keepalive", |b| {
        b.iter(|| {
            body.clear();
            let req = stdhttp::request(opts.clone().method("POST")).expect("request");
            let mut res = req.end(&payload).expect("response");
            res.read_to_end(&mut body).expect("body");
        })
    });
    group.finish();
    agent.destroy();
    let _ = server.close();
    server.join();
}

criterion_group!(benches, roundtrip);
criterion_main!(benches);
