//! Sender → parser round trip, framed by the decisions stdhttp really makes. The first byte
//! picks one of three senders:
//!
//! - **encoder**: 1 to 3 valid messages (requests or responses) written with
//!   `stdhttp::proto::encode`. How each body is framed is not decided here: the fuzz bytes
//!   choose what a sender would (its own Content-Length or `Transfer-Encoding: chunked`, a
//!   removed Content-Length, a body known up front or streamed, trailers, a peer that takes
//!   no chunks) and `stdhttp::proto::framing::{request_framing, response_framing}` decide,
//!   as `ClientRequest` and `ServerResponse` do. The parser must give back exactly what was
//!   written.
//! - **server**: a real `ServerResponse`, through a real server connection over an in-memory
//!   transport (`serve_socket_blocking`), answering GET or HEAD over HTTP/1.1 or 1.0 with a
//!   status, reason, headers and a body written with `end(data)`, `write`s + `end`,
//!   `write_head` or `flush_headers` first, the user's own framing headers and trailers.
//! - **client**: a real `ClientRequest` (`create_connection` gives it the in-memory
//!   transport) with a method, path, headers, body and framing chosen alike.
//!
//! For the real senders the bytes written must parse as exactly one message with nothing
//! left over; its start line, the user's headers (in order, followed only by the ones
//! stdhttp adds), body and trailers must be what was given; its framing must be the one
//! `response_framing` / `request_framing` predict from the same inputs (the automatic
//! framing header included); and its keep-alive verdict must follow the decision.
#![no_main]

use std::sync::{Arc, Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use stdhttp::parser::{parse_all, BodyFraming, Kind, Limits, Message};
use stdhttp::proto::encode::{
    self, write_auto_framing, write_chunk, write_chunk_header, write_header, write_last_chunk,
    write_request_line, write_status_line, CRLF,
};
use stdhttp::proto::framing::{
    request_framing, response_framing, response_has_body, AutoHeader, Decision, UserFraming,
};
use stdhttp::{Agent, AgentChoice, AgentOptions, RequestOptions, Server, Socket};
use stdhttp_fuzz::conn::{self, show, Pipe, PipeConfig};
use stdhttp_fuzz::Choices;

const TCHARS: &[u8] =
    b"!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Names the parser or the senders give a meaning to: only ever added on purpose.
const SPECIAL: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "connection",
    "proxy-connection",
    "upgrade",
    "host",
    "expect",
    "trailer",
    "date",
    "keep-alive",
    "te",
    "cookie",
    "set-cookie",
];

/// A real sender, as the checks see it.
struct Sender {
    kind: Kind,
    /// Headers stdhttp puts before the user's (the client's Host).
    before: usize,
    /// Headers stdhttp adds after the user's own.
    adds: &'static [&'static str],
}

const SERVER: Sender = Sender {
    kind: Kind::Response,
    before: 0,
    adds: &[
        "date",
        "connection",
        "keep-alive",
        "content-length",
        "transfer-encoding",
    ],
};
const CLIENT: Sender = Sender {
    kind: Kind::Request,
    before: 1,
    adds: &["connection", "content-length", "transfer-encoding"],
};

fn token(c: &mut Choices) -> String {
    let len = c.range(1, 12);
    let name: String = (0..len).map(|_| c.pick(TCHARS) as char).collect();
    if SPECIAL.contains(&name.to_ascii_lowercase().as_str()) {
        format!("x-{name}")
    } else {
        name
    }
}

/// A field value as latin1 bytes: HTAB, SP, visible ASCII and obs-text, no surrounding
/// whitespace (the parser trims it, as Node does).
fn field_value(c: &mut Choices, max: usize, trim: bool) -> Vec<u8> {
    let len = c.below(max + 1);
    let mut v: Vec<u8> = (0..len)
        .map(|_| match c.byte() {
            b @ (b'\t' | 0x20..=0x7e | 0x80..=0xff) => b,
            b => b'a' + b % 26,
        })
        .collect();
    if trim {
        while v.first().is_some_and(|b| matches!(b, b' ' | b'\t')) {
            v.remove(0);
        }
        while v.last().is_some_and(|b| matches!(b, b' ' | b'\t')) {
            v.pop();
        }
    }
    v
}

/// The `&str` the encoder takes for latin1 bytes: one char per byte.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

/// Inserts a header the parser gives a meaning to at a random place, spelled in one of
/// three cases (the parser must recognise it whatever the case).
fn insert(c: &mut Choices, headers: &mut Vec<(String, Vec<u8>)>, name: &str, value: &[u8]) {
    let name = match c.below(3) {
        0 => name.to_string(),
        1 => name.to_ascii_lowercase(),
        _ => name.to_ascii_uppercase(),
    };
    let at = c.below(headers.len() + 1);
    headers.insert(at, (name, value.to_vec()));
}

/// Up to `max` fields with names distinct ignoring case (a header store keeps one entry
/// per name).
fn fields(c: &mut Choices, max: usize) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    for _ in 0..c.below(max + 1) {
        let name = token(c);
        let value = field_value(c, 24, true);
        if !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            out.push((name, value));
        }
    }
    out
}

/// What a sender says about framing, as the fuzz bytes choose it.
#[derive(Clone, Copy, Debug)]
struct Intent {
    /// 0: nothing; 1: its own Content-Length (the right one); 2: its own
    /// `Transfer-Encoding: chunked`; 3: `remove_header("content-length")`.
    framing: usize,
    /// The body is streamed (`write`s) rather than known up front.
    streamed: bool,
    /// Trailers (with a `Trailer` header).
    trailers: bool,
}

impl Intent {
    fn choose(c: &mut Choices) -> Intent {
        Intent {
            framing: c.below(4),
            streamed: c.flag(),
            trailers: c.below(3) == 0,
        }
    }

    fn user(&self, body_len: usize) -> UserFraming {
        UserFraming {
            transfer_encoding: (self.framing == 2).then_some(true),
            content_length: (self.framing == 1).then_some(Some(body_len as u64)),
            trailer: self.trailers,
            removed_length: self.framing == 3,
            removed_encoding: false,
        }
    }
}

/// What the parser reports for a body framed so.
fn parsed_kind(body: BodyFraming) -> BodyFraming {
    match body {
        BodyFraming::Length(0) => BodyFraming::None,
        b => b,
    }
}

/// The automatic framing header a decision must have put in `headers`.
fn check_auto_header(
    headers: &[(Vec<u8>, Vec<u8>)],
    header: AutoHeader,
    user_framing: bool,
    ctx: &dyn Fn() -> String,
) {
    let get = |name: &[u8]| {
        headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let (cl, te) = (get(b"content-length"), get(b"transfer-encoding"));
    match header {
        AutoHeader::ContentLength(n) => {
            assert_eq!(
                cl,
                vec![n.to_string().into_bytes()],
                "automatic Content-Length{}",
                ctx()
            );
            assert!(te.is_empty(), "{}", ctx());
        }
        AutoHeader::Chunked => {
            assert_eq!(te, vec![b"chunked".to_vec()], "automatic chunked{}", ctx());
            assert!(cl.is_empty(), "{}", ctx());
        }
        AutoHeader::None if !user_framing => {
            assert!(
                cl.is_empty() && te.is_empty(),
                "a framing header not decided{}",
                ctx()
            );
        }
        AutoHeader::None => {}
    }
}

// ---------------------------------------------------------------------------------------
// encoder

/// Builds one message, appends its bytes to `wire` and returns what the parser must report.
fn message(c: &mut Choices, kind: Kind, last: bool, wire: &mut Vec<u8>) -> Message {
    let mut m = Message {
        protocol: "HTTP",
        version: (1, 1),
        headers_complete: true,
        complete: true,
        ..Message::default()
    };
    match kind {
        Kind::Request => {
            let methods: Vec<&'static str> = stdhttp::METHODS
                .iter()
                .copied()
                .filter(|&m| m != "CONNECT")
                .collect();
            m.method = Some(c.pick(&methods));
            let len = c.below(41);
            m.url = std::iter::once(b'/')
                .chain((0..len).map(|_| 0x21 + c.byte() % 94))
                .collect();
        }
        Kind::Response => {
            m.status = c.range(200, 599) as u16;
            if m.status == 204 || m.status == 304 {
                m.status = 200;
            }
            m.reason = field_value(c, 20, false);
        }
    }

    let mut headers = fields(c, 8);
    if kind == Kind::Request && c.flag() {
        let host = field_value(c, 16, true);
        insert(c, &mut headers, "Host", &host);
    } else {
        m.host_missing = kind == Kind::Request;
    }
    let close = last && c.below(4) == 0;
    if close {
        insert(c, &mut headers, "Connection", b"close");
    } else if c.below(4) == 0 {
        insert(c, &mut headers, "Connection", b"keep-alive");
    }
    let mut intent = Intent::choose(c);
    // a response's peer may take no chunks (HTTP/1.0): only the last one can then end at EOF
    let chunk_allowed = !(last && kind == Kind::Response && c.below(3) == 0);
    let body_len = c.below(300);
    m.body = c.take(body_len).to_vec();
    let len = m.body.len();
    let known = (!intent.streamed).then_some(len as u64);
    let decide = |intent: &Intent| -> Option<Decision> {
        let user = intent.user(len);
        match kind {
            Kind::Request => {
                let method = m.method.unwrap_or("GET");
                Some(request_framing(
                    &user,
                    method,
                    known,
                    intent.streamed || len > 0,
                ))
            }
            Kind::Response => response_framing(&user, true, chunk_allowed, known).ok(),
        }
    };
    let decision = match decide(&intent) {
        Some(d) => d,
        None => {
            // trailers need a chunked body: as the user would, drop them
            intent.trailers = false;
            decide(&intent).expect("a response framing without trailers")
        }
    };
    assert!(
        kind == Kind::Response || decision.body != BodyFraming::UntilClose,
        "a request body left unframed: {intent:?} {decision:?}"
    );
    assert!(
        decision.body != BodyFraming::UntilClose || !chunk_allowed,
        "a body delimited by the close although chunks were allowed: {intent:?}"
    );
    match decision.body {
        BodyFraming::None => {
            assert!(m.body.is_empty(), "a body dropped: {intent:?} {decision:?}");
        }
        BodyFraming::Length(n) => assert_eq!(n, len as u64, "{intent:?}"),
        _ => {}
    }
    match intent.framing {
        1 => {
            let n = len.to_string();
            insert(c, &mut headers, "Content-Length", n.as_bytes());
        }
        2 => insert(c, &mut headers, "Transfer-Encoding", b"chunked"),
        _ => {}
    }
    let trailers = if decision.body == BodyFraming::Chunked {
        let t = fields(c, 3);
        if intent.trailers && !t.is_empty() {
            let names: Vec<&str> = t.iter().map(|(n, _)| n.as_str()).collect();
            insert(c, &mut headers, "Trailer", names.join(", ").as_bytes());
        }
        t
    } else {
        Vec::new()
    };
    m.body_kind = Some(parsed_kind(decision.body));
    if let BodyFraming::Length(n) = decision.body {
        m.content_length = Some(n);
    }
    m.keep_alive = !close && decision.reusable;
    m.headers = headers
        .iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.clone()))
        .collect();
    match decision.header {
        AutoHeader::ContentLength(n) => m
            .headers
            .push((b"Content-Length".to_vec(), n.to_string().into_bytes())),
        AutoHeader::Chunked => m
            .headers
            .push((b"Transfer-Encoding".to_vec(), b"chunked".to_vec())),
        AutoHeader::None => {}
    }

    match kind {
        Kind::Request => {
            let method = m.method.unwrap_or("GET");
            write_request_line(wire, method, &latin1(&m.url)).expect("a valid request line");
        }
        Kind::Response => {
            write_status_line(wire, m.status, &latin1(&m.reason)).expect("a valid status line")
        }
    }
    for (name, value) in &headers {
        write_header(wire, name, &latin1(value)).expect("a valid header");
    }
    write_auto_framing(wire, decision.header);
    wire.extend_from_slice(CRLF);

    match decision.body {
        BodyFraming::None => {}
        BodyFraming::Length(_) | BodyFraming::UntilClose => wire.extend_from_slice(&m.body),
        BodyFraming::Chunked => {
            let mut rest = &m.body[..];
            while !rest.is_empty() {
                let n = c.range(1, rest.len());
                let (chunk, tail) = rest.split_at(n);
                if c.flag() {
                    write_chunk(wire, chunk);
                } else {
                    write_chunk_header(wire, chunk.len());
                    wire.extend_from_slice(chunk);
                    wire.extend_from_slice(CRLF);
                }
                if c.below(8) == 0 {
                    // An empty chunk writes nothing rather than ending the body.
                    write_chunk(wire, b"");
                    write_chunk_header(wire, 0);
                }
                m.chunks.push((n as u64, Vec::new()));
                rest = tail;
            }
            m.chunks.push((0, Vec::new()));
            let as_strs: Vec<(String, String)> = trailers
                .iter()
                .map(|(n, v)| (n.clone(), latin1(v)))
                .collect();
            let refs: Vec<(&str, &str)> = as_strs
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            write_last_chunk(wire, &refs).expect("valid trailers");
            m.trailers = trailers
                .into_iter()
                .map(|(n, v)| (n.into_bytes(), v))
                .collect();
        }
    }
    m
}

fn encoder(c: &mut Choices) {
    let kind = if c.flag() {
        Kind::Response
    } else {
        Kind::Request
    };
    let count = c.range(1, 3);
    let mut wire = Vec::new();
    let mut expected = Vec::new();
    for i in 0..count {
        let last = i + 1 == count;
        expected.push(message(c, kind, last, &mut wire));
        if !expected.last().is_some_and(|m| m.keep_alive) {
            break;
        }
    }
    let parsed = parse_all(kind, Limits::default(), &wire, true);
    assert_eq!(parsed.error, None, "wire: {:?}", show(&wire));
    assert_eq!(parsed.upgrade_offset, None);
    assert_eq!(parsed.messages, expected, "wire: {:?}", show(&wire));
}

// ---------------------------------------------------------------------------------------
// real senders

/// What a real sender is told to do.
#[derive(Clone, Debug)]
struct Plan {
    intent: Intent,
    /// The user's headers, in the order set (framing ones included).
    headers: Vec<(String, Vec<u8>)>,
    /// The body, as the pieces handed to `write` then `end` (one piece when not streamed).
    pieces: Vec<Vec<u8>>,
    trailers: Vec<(String, Vec<u8>)>,
}

impl Plan {
    fn choose(c: &mut Choices) -> Plan {
        let mut intent = Intent::choose(c);
        let mut headers = fields(c, 6);
        let body_len = c.below(200);
        let body = c.take(body_len).to_vec();
        let mut pieces = Vec::new();
        if intent.streamed && !body.is_empty() {
            // non-empty writes, then a last piece for `end` (maybe empty)
            let mut rest = &body[..];
            while !rest.is_empty() && pieces.len() < 6 {
                let n = c.range(1, rest.len());
                pieces.push(rest[..n].to_vec());
                rest = &rest[n..];
            }
            if !rest.is_empty() {
                pieces.push(rest.to_vec());
            }
            if c.flag() {
                pieces.push(Vec::new());
            }
            // one piece is `end(data)` alone: known up front
            intent.streamed = pieces.len() > 1;
        } else {
            intent.streamed = false;
            pieces.push(body.clone());
        }
        match intent.framing {
            1 => insert(
                c,
                &mut headers,
                "Content-Length",
                body.len().to_string().as_bytes(),
            ),
            2 => insert(c, &mut headers, "Transfer-Encoding", b"chunked"),
            _ => {}
        }
        let trailers = if intent.trailers {
            let t = fields(c, 3);
            if t.is_empty() {
                intent.trailers = false;
            } else {
                let names: Vec<&str> = t.iter().map(|(n, _)| n.as_str()).collect();
                insert(c, &mut headers, "Trailer", names.join(", ").as_bytes());
            }
            t
        } else {
            Vec::new()
        };
        Plan {
            intent,
            headers,
            pieces,
            trailers,
        }
    }

    fn body(&self) -> Vec<u8> {
        self.pieces.concat()
    }

    fn trailer_refs(&self) -> Vec<(String, String)> {
        self.trailers
            .iter()
            .map(|(n, v)| (n.clone(), latin1(v)))
            .collect()
    }
}

/// The one message a real sender wrote, parsed; checks it against the plan.
fn check_sent(
    sender: &Sender,
    plan: &Plan,
    decision: Decision,
    has_body: bool,
    skip_body: bool,
    written: &[u8],
) -> conn::Framed {
    let Sender { kind, before, adds } = *sender;
    let limits = Limits::default().max_header_size(0).max_headers_count(0);
    let split = conn::split(kind, limits, written, true, false, None, &mut |_, _| {
        skip_body
    });
    let ctx = || format!("\nplan: {plan:?}\n{decision:?}\nwritten: {}", show(written));
    assert_eq!(split.error, None, "{}", ctx());
    assert_eq!(split.upgrade_at, None, "{}", ctx());
    assert_eq!(split.messages.len(), 1, "not one message{}", ctx());
    let f = split.messages.into_iter().next().unwrap();
    let m = &f.msg;
    assert!(m.complete && f.end == Some(written.len()), "{}", ctx());
    // the user's headers, in order, then only the ones stdhttp adds
    let user: Vec<(Vec<u8>, Vec<u8>)> = plan
        .headers
        .iter()
        .map(|(n, v)| (n.as_bytes().to_vec(), v.clone()))
        .collect();
    assert!(
        m.headers.len() >= before + user.len(),
        "headers missing{}",
        ctx()
    );
    assert_eq!(
        m.headers[before..before + user.len()],
        user[..],
        "{}",
        ctx()
    );
    for (n, _) in &m.headers[before + user.len()..] {
        let n = String::from_utf8_lossy(n).to_ascii_lowercase();
        assert!(adds.contains(&n.as_str()), "header {n} added{}", ctx());
    }
    check_auto_header(
        &m.headers[before + user.len()..],
        decision.header,
        plan.intent.framing == 1 || plan.intent.framing == 2,
        &ctx,
    );
    if has_body {
        assert_eq!(m.body_kind, Some(parsed_kind(decision.body)), "{}", ctx());
        assert_eq!(show(&m.body), show(&plan.body()), "{}", ctx());
        if decision.body == BodyFraming::Chunked {
            let t: Vec<(Vec<u8>, Vec<u8>)> = plan
                .trailers
                .iter()
                .map(|(n, v)| (n.as_bytes().to_vec(), v.clone()))
                .collect();
            assert_eq!(m.trailers, t, "{}", ctx());
        }
    } else {
        assert!(m.body.is_empty(), "{}", ctx());
    }
    f
}

fn server(c: &mut Choices) {
    let head = c.flag();
    let http10 = c.below(3) == 0;
    let te_chunked = http10 && c.flag();
    let keep_alive_10 = http10 && c.flag();
    let status = match c.below(4) {
        0 => 200,
        1 => [204, 304, 201, 404][c.below(4)],
        _ => c.range(200, 599) as u16,
    };
    let reason = c.flag().then(|| latin1(&field_value(c, 16, true)));
    let how = c.below(3); // 0: set_status_code; 1: write_head; 2: flush_headers first
    let mut plan = Plan::choose(c);
    let has_body = response_has_body(if head { "HEAD" } else { "GET" }, status);
    let chunk_allowed = !http10 || te_chunked;
    let known = (!plan.intent.streamed && how == 0).then_some(plan.body().len() as u64);
    let decision = match response_framing(
        &plan.intent.user(plan.body().len()),
        has_body,
        chunk_allowed,
        known,
    ) {
        Ok(d) => d,
        Err(_) => {
            // trailers with a body that cannot be chunked: the user would not set them
            plan.headers
                .retain(|(n, _)| !n.eq_ignore_ascii_case("trailer"));
            plan.trailers.clear();
            plan.intent.trailers = false;
            response_framing(
                &plan.intent.user(plan.body().len()),
                has_body,
                chunk_allowed,
                known,
            )
            .expect("no trailers, no error")
        }
    };

    let mut request = format!(
        "{} / HTTP/1.{}\r\nHost: a\r\n",
        if head { "HEAD" } else { "GET" },
        if http10 { 0 } else { 1 }
    );
    if te_chunked {
        request.push_str("TE: chunked\r\n");
    }
    if keep_alive_10 {
        request.push_str("Connection: keep-alive\r\n");
    }
    request.push_str("\r\n");

    let errors = Arc::new(Mutex::new(Vec::<String>::new()));
    let srv = Server::new();
    {
        let plan = plan.clone();
        let errors = errors.clone();
        let reason = reason.clone();
        srv.on_request(move |_req, mut res| {
            let fail = |what: &str, e: stdhttp::Error| {
                errors.lock().unwrap().push(format!("{what}: {e}"));
            };
            for (n, v) in &plan.headers {
                if let Err(e) = res.set_header(n, latin1(v)) {
                    fail("set_header", e);
                }
            }
            if plan.intent.framing == 3 {
                if let Err(e) = res.remove_header("Content-Length") {
                    fail("remove_header", e);
                }
            }
            if !plan.trailers.is_empty() {
                let t = plan.trailer_refs();
                let refs: Vec<(&str, &str)> =
                    t.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                if let Err(e) = res.add_trailers(&refs) {
                    fail("add_trailers", e);
                }
            }
            match how {
                1 => {
                    if let Err(e) = res.write_head(
                        status,
                        reason.as_deref(),
                        std::iter::empty::<(&str, &str)>(),
                    ) {
                        fail("write_head", e);
                    }
                }
                _ => {
                    res.set_status_code(status);
                    if let Some(r) = &reason {
                        res.set_status_message(r.clone());
                    }
                    if how == 2 {
                        if let Err(e) = res.flush_headers() {
                            fail("flush_headers", e);
                        }
                    }
                }
            }
            let (last, writes) = plan.pieces.split_last().expect("a piece");
            for w in writes {
                if let Err(e) = res.write(w) {
                    fail("write", e);
                }
            }
            if let Err(e) = res.end(last) {
                fail("end", e);
            }
        });
    }
    let pipe = Pipe::new(PipeConfig::new(request.into_bytes(), Vec::new()));
    srv.serve_socket_blocking(Socket::from_transport(pipe.clone()));
    let errors = errors.lock().unwrap().clone();
    assert!(errors.is_empty(), "{errors:?}\nplan: {plan:?}");
    let written = pipe.record().written;
    let f = check_sent(&SERVER, &plan, decision, has_body, head, &written);
    let m = &f.msg;
    assert_eq!(m.status, status);
    let want_reason = reason.unwrap_or_else(|| encode::reason_for(status).to_string());
    assert_eq!(latin1(&m.reason), want_reason);
    let request_keeps = !http10 || keep_alive_10;
    assert_eq!(
        f.keep_alive,
        request_keeps && decision.reusable,
        "keep-alive verdict\nplan: {plan:?}\n{decision:?}\nwritten: {}",
        show(&written)
    );
}

fn client(c: &mut Choices) {
    let methods: Vec<&'static str> = stdhttp::METHODS
        .iter()
        .copied()
        .filter(|&m| m != "CONNECT")
        .collect();
    let method = c.pick(&methods);
    let len = c.below(30);
    let path: String = std::iter::once('/')
        .chain((0..len).map(|_| (0x21 + c.byte() % 94) as char))
        .collect();
    let keep_alive = c.flag();
    let plan = Plan::choose(c);
    let body = plan.body();
    let known = (!plan.intent.streamed).then_some(body.len() as u64);
    let follows = if plan.intent.streamed {
        !plan.pieces[0].is_empty()
    } else {
        !body.is_empty()
    };
    let decision = request_framing(&plan.intent.user(body.len()), method, known, follows);
    assert_ne!(decision.body, BodyFraming::UntilClose, "{plan:?}");

    let pipe = Pipe::new(PipeConfig::new(
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".to_vec(),
        Vec::new(),
    ));
    let agent_choice = if keep_alive {
        static AGENT: OnceLock<Agent> = OnceLock::new();
        AgentChoice::Agent(
            AGENT
                .get_or_init(|| Agent::new(AgentOptions::new().keep_alive(true).max_sockets(1)))
                .clone(),
        )
    } else {
        AgentChoice::Unpooled
    };
    let agent = match &agent_choice {
        AgentChoice::Agent(a) => Some(a.clone()),
        _ => None,
    };
    let given = pipe.clone();
    let opts = RequestOptions::new()
        .hostname("127.0.0.1")
        .port(1)
        .method(method)
        .path(path.clone())
        .agent(agent_choice)
        .create_connection(move |_| Ok(Socket::from_transport(given.clone())));
    let mut errors = Vec::new();
    match stdhttp::request(opts) {
        Err(e) => errors.push(format!("request: {e}")),
        Ok(mut req) => {
            for (n, v) in &plan.headers {
                if let Err(e) = req.set_header(n, latin1(v)) {
                    errors.push(format!("set_header: {e}"));
                }
            }
            if plan.intent.framing == 3 {
                if let Err(e) = req.remove_header("Content-Length") {
                    errors.push(format!("remove_header: {e}"));
                }
            }
            if !plan.trailers.is_empty() {
                let t = plan.trailer_refs();
                let refs: Vec<(&str, &str)> =
                    t.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                if let Err(e) = req.add_trailers(&refs) {
                    errors.push(format!("add_trailers: {e}"));
                }
            }
            let (last, writes) = plan.pieces.split_last().expect("a piece");
            for w in writes {
                if let Err(e) = req.write(w) {
                    errors.push(format!("write: {e}"));
                }
            }
            match req.end(last) {
                Ok(mut res) => {
                    if let Err(e) = res.read_to_end_limited(1 << 10) {
                        errors.push(format!("response: {e}"));
                    }
                }
                Err(e) => errors.push(format!("end: {e}")),
            }
        }
    }
    if let Some(a) = &agent {
        a.destroy();
    }
    assert!(errors.is_empty(), "{errors:?}\nplan: {plan:?}");
    let written = pipe.record().written;
    let f = check_sent(&CLIENT, &plan, decision, true, false, &written);
    let m = &f.msg;
    assert_eq!(m.method, Some(method));
    assert_eq!(m.url, path.as_bytes());
    assert_eq!(m.headers[0], (b"Host".to_vec(), b"127.0.0.1:1".to_vec()));
    assert_eq!(
        f.keep_alive,
        keep_alive && decision.reusable,
        "keep-alive verdict\nplan: {plan:?}\n{decision:?}\nwritten: {}",
        show(&written)
    );
}

fuzz_target!(|data: &[u8]| {
    let mut c = Choices::new(data);
    match c.byte() % 3 {
        0 => encoder(&mut c),
        1 => server(&mut c),
        _ => client(&mut c),
    }
});
