//! A whole client exchange: 2 or 3 real `stdhttp` requests in a row through one keep-alive
//! `Agent` (`max_sockets: 1`), so pooled connections are reused. The connect is replaced by
//! `RequestOptions::create_connection`: each new connection gets the next scripted
//! in-memory transport, whose reads hand out fuzz bytes as the server's answer (in pieces
//! the input chooses, then EOF) and whose writes are recorded. Requests vary: GET, HEAD,
//! POST, DELETE; `end(body)`, `write` + `end`, `Expect: 100-continue`, a removed
//! Content-Length, a user Content-Length, `Connection: close`, `flush_headers` first.
//! Bodies look like HTTP requests, so a framing mistake shows as an extra request.
//!
//! Input: a settings byte, the requests' choices, then 1 to 4 connection scripts (a length,
//! read steps, the bytes).
//!
//! Invariants, per connection:
//! - what the client wrote parses with stdhttp's request parser as whole requests, with no
//!   byte left over; each is one the fuzzer asked for (its target says which), in order,
//!   with the method asked for, and a complete one carries exactly the body written (no
//!   extra request inside a body: that would be request smuggling). Only the last request
//!   may be cut short, when its request failed or waited for `100 Continue`;
//! - a request is written on a connection that carried one before only when the response
//!   to that one (as stdhttp's response parser reads the script, HEAD answers bodiless) is
//!   complete, keeps the connection alive (no `Connection: close`) and nothing past its end
//!   had been read when the new request went out;
//! - no request is sent more than twice (once, plus one retry on a fresh connection);
//! - afterwards the agent holds no socket in use and no waiting request; no panic, no hang.
#![no_main]

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use stdhttp::parser::{Kind, Limits};
use stdhttp::{Agent, AgentChoice, AgentOptions, RequestOptions, Socket};
use stdhttp_fuzz::conn::{self, says_close, show, Pipe, PipeConfig};
use stdhttp_fuzz::Choices;

const METHODS: [&str; 4] = ["GET", "HEAD", "POST", "DELETE"];
/// Body bytes are cut out of this: a request (or a chunk end and a request) if they are
/// ever read as the next message.
const BODY_TEXT: &[u8] =
    b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: evil\r\nContent-Length: 5\r\n\r\nhello";
/// Connections a run may open (retries included).
const MAX_CONNECTIONS: usize = 8;

/// One agent per retry setting, shared by the runs (each run must leave it empty).
fn agent(retry: bool) -> Agent {
    static AGENTS: OnceLock<[Agent; 2]> = OnceLock::new();
    let agents = AGENTS.get_or_init(|| {
        let make = |retry_idempotent| {
            Agent::new(
                AgentOptions::new()
                    .keep_alive(true)
                    .max_sockets(1)
                    .retry_idempotent(retry_idempotent),
            )
        };
        [make(false), make(true)]
    });
    agents[retry as usize].clone()
}

#[derive(Default)]
struct Connector {
    scripts: VecDeque<PipeConfig>,
    pipes: Vec<Pipe>,
}

/// What one request asked for and what came of it.
#[derive(Debug)]
struct Sent {
    method: &'static str,
    path: String,
    /// Body bytes handed to calls that succeeded.
    body: Vec<u8>,
    /// Body bytes handed to any call (what went out is a prefix of them).
    attempted: Vec<u8>,
    /// Every call succeeded (so a complete request must carry exactly `body`).
    exact: bool,
    expect_continue: bool,
    failed: bool,
}

fn body_bytes(c: &mut Choices) -> Vec<u8> {
    let len = c.below(40);
    let from = c.below(BODY_TEXT.len());
    BODY_TEXT
        .iter()
        .cycle()
        .skip(from)
        .take(len)
        .copied()
        .collect()
}

fn run_request(
    i: usize,
    c: &mut Choices,
    agent: &Agent,
    connector: &Arc<Mutex<Connector>>,
) -> Sent {
    let method = c.pick(&METHODS);
    let mode = c.byte();
    let flags = c.byte();
    let body = body_bytes(c);
    let suffix = ["", "x", "a?b=1", "%20", "q/r?s"][c.below(5)];
    let path = format!("/{i}/{suffix}");
    let expect_continue = mode % 8 == 3;
    let mut sent = Sent {
        method,
        path: path.clone(),
        body: Vec::new(),
        attempted: Vec::new(),
        exact: true,
        expect_continue,
        failed: false,
    };

    let conn = connector.clone();
    let mut opts = RequestOptions::new()
        .hostname("127.0.0.1")
        .port(1)
        .method(method)
        .path(path)
        .agent(AgentChoice::Agent(agent.clone()))
        .create_connection(move |_| {
            let mut k = conn.lock().unwrap();
            if k.pipes.len() >= MAX_CONNECTIONS {
                return Err(io::ErrorKind::ConnectionRefused.into());
            }
            let script = k
                .scripts
                .pop_front()
                .unwrap_or_else(|| PipeConfig::new(Vec::new(), Vec::new()));
            let pipe = Pipe::new(script);
            k.pipes.push(pipe.clone());
            Ok(Socket::from_transport(pipe))
        });
    if expect_continue {
        opts = opts.header("Expect", "100-continue");
    }
    if flags & 1 != 0 {
        opts = opts.header("X-Fuzz", "1");
    }
    if flags & 2 != 0 {
        opts = opts.header("Connection", "close");
    }
    let mut req = match stdhttp::request(opts) {
        Ok(r) => r,
        Err(_) => {
            sent.failed = true;
            return sent;
        }
    };
    let ok = |sent: &mut Sent, r: Result<bool, stdhttp::Error>, data: &[u8]| {
        sent.attempted.extend_from_slice(data);
        match r {
            Ok(_) => sent.body.extend_from_slice(data),
            Err(_) => {
                sent.exact = false;
                sent.failed = true;
            }
        }
    };
    let last: &[u8] = match mode % 8 {
        // end(): no body
        0 => &[],
        // write + end: a streamed (chunked) body
        2 => {
            let (a, b) = body.split_at(body.len() / 2);
            let r = req.write(a);
            ok(&mut sent, r, a);
            b
        }
        // a removed Content-Length: chunked
        4 => {
            if req.remove_header("Content-Length").is_err() {
                sent.failed = true;
            }
            &body
        }
        // the user's own Content-Length, then write + end
        5 => {
            if req
                .set_header("Content-Length", body.len().to_string())
                .is_err()
            {
                sent.failed = true;
            }
            let (a, b) = body.split_at(body.len() / 3);
            let r = req.write(a);
            ok(&mut sent, r, a);
            b
        }
        // the head alone first: a GET then may not get a body
        6 => {
            if req.flush_headers().is_err() {
                sent.exact = false;
                sent.failed = true;
            }
            &body
        }
        // a user Transfer-Encoding: chunked, streamed
        7 => {
            if req.set_header("Transfer-Encoding", "chunked").is_err() {
                sent.failed = true;
            }
            let r = req.write(&body);
            ok(&mut sent, r, &body);
            &[]
        }
        // end(body): a known length (also with Expect: 100-continue)
        _ => &body,
    };
    sent.attempted.extend_from_slice(last);
    match req.end(last) {
        Ok(mut res) => {
            sent.body.extend_from_slice(last);
            let _ = res.read_to_end_limited(1 << 20);
        }
        Err(e) => {
            sent.failed = true;
            if e.code() != "ERR_HTTP_BODY_NOT_ALLOWED" {
                sent.exact = false;
            }
        }
    }
    sent
}

fuzz_target!(|data: &[u8]| {
    let mut c = Choices::new(data);
    let settings = c.byte();
    let agent = agent(settings & 1 != 0);
    let count = 2 + (settings >> 1) as usize % 2;
    let write_mode = (settings >> 2) & 3;
    let write_arg = c.byte();
    // the requests' choices come first, so the scripts keep their place
    let choices: Vec<Vec<u8>> = (0..count).map(|_| c.take(8).to_vec()).collect();
    let scripts = 1 + c.below(4);
    let mut configs = VecDeque::new();
    for k in 0..scripts {
        let len = if k + 1 < scripts {
            c.u16() as usize % 2048
        } else {
            usize::MAX
        };
        let steps = conn::steps(&mut c);
        let mut cfg = PipeConfig::new(c.take(len).to_vec(), steps);
        match write_mode {
            1 => cfg.write_piece = write_arg as usize % 16 + 1,
            2 => cfg.write_budget = Some(write_arg as usize * 2),
            _ => {}
        }
        configs.push_back(cfg);
    }
    let connector = Arc::new(Mutex::new(Connector {
        scripts: configs,
        pipes: Vec::new(),
    }));

    let sent: Vec<Sent> = choices
        .iter()
        .enumerate()
        .map(|(i, ch)| run_request(i, &mut Choices::new(ch), &agent, &connector))
        .collect();

    // the agent is left with nothing in use or waiting
    let in_use = agent.sockets();
    let waiting = agent.requests();
    agent.destroy();
    assert!(in_use.is_empty(), "sockets still in use: {in_use:?}");
    assert!(waiting.is_empty(), "requests still waiting: {waiting:?}");
    assert!(
        agent.free_sockets().is_empty(),
        "idle sockets after destroy"
    );

    let pipes = std::mem::take(&mut connector.lock().unwrap().pipes);
    let mut times_sent = vec![0usize; sent.len()];
    let wire_limits = Limits::default().max_header_size(0).max_headers_count(0);
    for (p, pipe) in pipes.iter().enumerate() {
        let script = pipe.input();
        let record = pipe.record();
        let (written, write_failed) = (&record.written, record.write_failed);
        let ctx = || {
            format!(
                "\nconnection {p}\nwritten: {}\nscript: {}\nsent: {sent:?}",
                show(written),
                show(&script)
            )
        };
        let reqs = conn::split(
            Kind::Request,
            wire_limits,
            written,
            false,
            false,
            None,
            &mut |_, _| false,
        );
        assert!(
            reqs.error.is_none(),
            "the client's bytes do not parse: {:?}{}",
            reqs.error,
            ctx()
        );
        assert!(
            reqs.upgrade_at.is_none(),
            "the client's bytes upgrade{}",
            ctx()
        );

        let mut tags = Vec::new();
        for (j, f) in reqs.messages.iter().enumerate() {
            let m = &f.msg;
            if !m.headers_complete {
                // the start of a head: only ever the last, cut short
                assert!(j + 1 == reqs.messages.len(), "{}", ctx());
                let i = tags.last().map_or(0, |&t: &usize| t + 1);
                let excused = write_failed || sent.get(i).is_none_or(|s| s.failed);
                assert!(excused, "request {j} cut short in its head{}", ctx());
                continue;
            }
            let url = String::from_utf8_lossy(&m.url).into_owned();
            let i = sent
                .iter()
                .position(|s| s.path == url)
                .unwrap_or_else(|| panic!("request {j} ({url}) was never sent{}", ctx()));
            assert!(
                tags.last().is_none_or(|&t| t < i),
                "request {j} ({url}) out of order{}",
                ctx()
            );
            tags.push(i);
            times_sent[i] += 1;
            let s = &sent[i];
            // what arrived is a prefix of what the request tried to write
            let assert_written_prefix = |j: usize, body: &[u8]| {
                assert!(
                    s.attempted.starts_with(body),
                    "request {j}: body {} vs written {}{}",
                    show(body),
                    show(&s.attempted),
                    ctx()
                );
            };
            assert_eq!(m.method, Some(s.method), "request {j}{}", ctx());
            if m.complete {
                if s.expect_continue && m.body.is_empty() {
                    // a final answer came before `100 Continue`: the body is not sent
                } else if s.exact {
                    assert_eq!(
                        show(&m.body),
                        show(&s.body),
                        "request {j}: the body on the wire is not the one written{}",
                        ctx()
                    );
                } else {
                    assert_written_prefix(j, &m.body);
                }
            } else {
                assert!(j + 1 == reqs.messages.len(), "{}", ctx());
                let excused = write_failed || s.failed || s.expect_continue;
                assert!(excused, "request {j} cut short{}", ctx());
                assert_written_prefix(j, &m.body);
            }
        }

        // reuse: only after a whole keep-alive response, with nothing read past it
        if reqs.messages.len() > 1 {
            let heads: Vec<bool> = reqs
                .messages
                .iter()
                .map(|f| f.msg.method == Some("HEAD"))
                .collect();
            let res = conn::split(
                Kind::Response,
                Limits::default(),
                &script,
                false,
                false,
                None,
                &mut |k, _| heads.get(k).copied().unwrap_or(false),
            );
            let finals: Vec<&conn::Framed> = res.finals().collect();
            for j in 1..reqs.messages.len() {
                let start = reqs.messages[j - 1]
                    .end
                    .unwrap_or_else(|| panic!("request {j} follows an unfinished one{}", ctx()));
                let delivered = record.delivered_when_written(start).unwrap_or(0);
                let answer = finals.get(j - 1).unwrap_or_else(|| {
                    panic!(
                        "request {j} written with no whole answer to request {} ({:?}){}",
                        j - 1,
                        res.error,
                        ctx()
                    )
                });
                let end = answer.end.unwrap_or_else(|| {
                    panic!(
                        "request {j} written before response {} ended{}",
                        j - 1,
                        ctx()
                    )
                });
                let asked = &reqs.messages[j - 1];
                assert!(
                    asked.keep_alive && !says_close(&asked.msg),
                    "request {j} written after a request that closes the connection{}",
                    ctx()
                );
                assert!(
                    answer.keep_alive && !says_close(&answer.msg),
                    "request {j} written after a response that closes the connection{}",
                    ctx()
                );
                assert_eq!(
                    delivered,
                    end,
                    "request {j} written with {delivered} bytes read, response {} ends at {end}{}",
                    j - 1,
                    ctx()
                );
            }
        }
    }
    for (i, &n) in times_sent.iter().enumerate() {
        assert!(n <= 2, "request {i} sent {n} times");
    }
});
