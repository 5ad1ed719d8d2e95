//! llhttp's own test cases (../shared/conformance/llhttp-cases.json, read at run time) run
//! against our parser in strict mode. Where llhttp 9.4.2 and Node 20 disagree we follow
//! Node 20; those cases are listed in `NODE20_DIFFERS` with the reason, and (when Node 20 is
//! on the machine) checked against Node 20's own llhttp. `DELIBERATE` lists where stdhttp
//! follows neither, with the reason.

mod common;

use common::json::{self, Json};
use common::node::{self as node, node_is_20, parse_with_node, Verdict};
use stdhttp::parser::{parse_chunks, Kind, Limits, Message, Parsed};

/// Cases where Node 20 (llhttp 9.3.1) differs from the corpus (llhttp 9.4.2).
/// (id, what Node 20 does, which we follow).
const NODE20_DIFFERS: &[(&str, &str)] = &[
    (
        "request/connection.md: `close` > Setting flag on `close` followed by tab",
        "Node 20 does not read `close\\t` as the close token (llhttp #866 came later): keep-alive",
    ),
    (
        "request/connection.md: `close` > CRLF between requests, explicit `close` followed by tab",
        "Node 20 does not read `close\\t` as close, so the next request is parsed, not rejected",
    ),
    (
        "request/content-length.md: Spaces in `Content-Length` (surrounding) > Tabs in `Content-Length` (surrounding)",
        "Node 20 rejects a tab after the Content-Length digits (llhttp #810 came later)",
    ),
    (
        "response/content-length.md: Tabs in `Content-Length` (surrounding)",
        "Node 20 rejects a tab after the Content-Length digits (llhttp #810 came later)",
    ),
];

/// Cases where stdhttp follows neither llhttp 9.4.2 nor Node 20. (id, why).
const DELIBERATE: &[(&str, &str)] = &[(
    "request/method.md: ANNOUNCE request with RTSP",
    "ANNOUNCE is not one of Node's 35 http.METHODS; only those are accepted \
     (Node 20 itself lets RTSP-only methods through on RTSP/1.0 lines)",
)];

fn corpus() -> Option<Json> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/conformance/llhttp-cases.json"
    );
    match std::fs::read_to_string(path) {
        Ok(text) => Some(json::parse(&text).expect("corpus is valid JSON")),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but the conformance corpus is missing at {path}: {e}"
            );
            eprintln!("NOTICE: skipping the llhttp conformance test: {path} not found ({e})");
            None
        }
    }
}

fn latin1_bytes(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

fn pairs(j: Option<&Json>) -> Vec<(Vec<u8>, Vec<u8>)> {
    j.map(|a| {
        a.arr()
            .iter()
            .map(|p| {
                let p = p.arr();
                (
                    latin1_bytes(p[0].str().unwrap_or("")),
                    latin1_bytes(p[1].str().unwrap_or("")),
                )
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Compares one expected message with ours; returns a description of the first difference.
fn compare(exp: &Json, got: &Message, kind: Kind) -> Result<(), String> {
    let complete = exp.get("complete").and_then(Json::bool).unwrap_or(false);
    let headers_complete = exp
        .get("headers_complete")
        .and_then(Json::bool)
        .unwrap_or(false);
    if kind == Kind::Request && headers_complete {
        let m = exp.get("method").and_then(Json::str);
        if m != got.method {
            return Err(format!("method {m:?} vs {:?}", got.method));
        }
        let url = exp.get("url").and_then(Json::str).unwrap_or("");
        if url.as_bytes() != got.url.as_slice() {
            return Err(format!(
                "url {url:?} vs {:?}",
                String::from_utf8_lossy(&got.url)
            ));
        }
    }
    if headers_complete {
        if let Some(v) = exp.get("version").and_then(Json::str) {
            let ours = format!("{}.{}", got.version.0, got.version.1);
            if v != ours {
                return Err(format!("version {v} vs {ours}"));
            }
        }
        if kind == Kind::Response {
            let st = exp.get("status").and_then(Json::num).unwrap_or(0.0) as u16;
            if st != got.status {
                return Err(format!("status {st} vs {}", got.status));
            }
            let reason = exp.get("reason").and_then(Json::str).unwrap_or("");
            if reason.as_bytes() != got.reason.as_slice() {
                return Err(format!(
                    "reason {reason:?} vs {:?}",
                    String::from_utf8_lossy(&got.reason)
                ));
            }
        }
        let h = pairs(exp.get("headers"));
        if h != got.headers {
            return Err(format!("headers {h:?} vs {:?}", got.headers));
        }
        let up = exp.get("upgrade").and_then(Json::bool).unwrap_or(false);
        if up != got.upgrade {
            return Err(format!("upgrade {up} vs {}", got.upgrade));
        }
    }
    if complete {
        if !got.complete {
            return Err("message not complete".into());
        }
        let body = exp.get("body").and_then(Json::str).unwrap_or("");
        if body.as_bytes() != got.body.as_slice() {
            return Err(format!(
                "body {body:?} vs {:?}",
                String::from_utf8_lossy(&got.body)
            ));
        }
        let t = pairs(exp.get("trailers"));
        if t != got.trailers {
            return Err(format!("trailers {t:?} vs {:?}", got.trailers));
        }
        if let Some(ka) = exp.get("keep_alive").and_then(Json::bool) {
            if ka != got.keep_alive {
                return Err(format!("keep_alive {ka} vs {}", got.keep_alive));
            }
        }
    }
    Ok(())
}

fn check_case(case: &Json) -> Result<(), String> {
    let kind = match case.get("kind").and_then(Json::str) {
        Some("response") => Kind::Response,
        _ => Kind::Request,
    };
    let raw = latin1_bytes(case.get("raw").and_then(Json::str).unwrap_or(""));
    let opts = case.get("options");
    let opt = |k: &str| {
        opts.and_then(|o| o.get(k))
            .and_then(Json::bool)
            .unwrap_or(false)
    };
    let skip_body = opt("skip_body");
    let exp = case.get("expect").ok_or("no expect")?;
    let ok = exp.get("ok").and_then(Json::bool).unwrap_or(true);

    let whole = parse_chunks(kind, Limits::default(), &[&raw], false, skip_body);
    check_outcome(exp, ok, kind, &whole)?;
    if !opt("single_chunk_only") {
        let bytes: Vec<&[u8]> = raw.chunks(1).collect();
        let dripped = parse_chunks(kind, Limits::default(), &bytes, false, skip_body);
        if dripped != whole {
            return Err(format!("byte-at-a-time differs: {dripped:?} vs {whole:?}"));
        }
    }
    Ok(())
}

fn check_outcome(exp: &Json, ok: bool, kind: Kind, got: &Parsed) -> Result<(), String> {
    match (&got.error, ok) {
        (Some(e), true) => return Err(format!("rejected: {e}")),
        (None, false) => {
            return Err(format!(
                "accepted; expected {}",
                exp.get("error_code").and_then(Json::str).unwrap_or("?")
            ))
        }
        _ => {}
    }
    let msgs = exp.get("messages").map(Json::arr).unwrap_or(&[]);
    for (i, m) in msgs.iter().enumerate() {
        let complete = m.get("complete").and_then(Json::bool).unwrap_or(false);
        let hc = m
            .get("headers_complete")
            .and_then(Json::bool)
            .unwrap_or(false);
        if !complete && !hc {
            continue;
        }
        let ours = got
            .messages
            .get(i)
            .ok_or_else(|| format!("message {i} missing (we have {})", got.messages.len()))?;
        compare(m, ours, kind).map_err(|e| format!("message {i}: {e}"))?;
    }
    if let (Some(off), true) = (exp.get("upgrade_offset").and_then(Json::num), ok) {
        if got.upgrade_offset != Some(off as usize) {
            return Err(format!("upgrade offset {off} vs {:?}", got.upgrade_offset));
        }
    }
    Ok(())
}

#[test]
fn llhttp_strict_cases_pass() {
    let Some(corpus) = corpus() else { return };
    let cases: Vec<&Json> = corpus
        .get("cases")
        .map(Json::arr)
        .unwrap_or(&[])
        .iter()
        .filter(|c| c.get("mode").and_then(Json::str) == Some("strict"))
        .collect();
    assert!(
        cases.len() >= 200,
        "expected the 214 strict cases, found {}",
        cases.len()
    );
    let mut passed = 0;
    let mut unexpected = Vec::new();
    let mut node20_cases = Vec::new();
    for case in &cases {
        let id = case.get("id").and_then(Json::str).unwrap_or("?");
        let listed = NODE20_DIFFERS
            .iter()
            .chain(DELIBERATE)
            .find(|(d, _)| *d == id);
        match (check_case(case), listed) {
            (Ok(()), None) => passed += 1,
            (Ok(()), Some((_, why))) => unexpected.push(format!(
                "{id}: passes, but is listed as a difference ({why})"
            )),
            (Err(_), Some(_)) => {
                if NODE20_DIFFERS.iter().any(|(d, _)| *d == id) {
                    node20_cases.push(*case);
                }
            }
            (Err(e), None) => unexpected.push(format!("{id}: {e}")),
        }
    }
    let node20_checked = check_against_node20(&node20_cases, &mut unexpected);
    let total = cases.len();
    let agree = passed + node20_checked;
    println!(
        "llhttp strict cases: {passed}/{total} pass as llhttp 9.4.2 expects; {} follow Node 20 \
         ({node20_checked} verified against Node 20's own parser); {} deliberate; \
         {agree}/{total} agree with llhttp or Node 20",
        NODE20_DIFFERS.len(),
        DELIBERATE.len()
    );
    for u in &unexpected {
        println!("FAIL {u}");
    }
    assert!(
        unexpected.is_empty(),
        "{} unexpected outcomes",
        unexpected.len()
    );
    assert!(
        (passed + NODE20_DIFFERS.len()) * 100 >= total * 98,
        "fewer than 98% of strict cases agree with llhttp or Node 20"
    );
}

/// Parses the cases where we follow Node 20 with Node 20's own llhttp too, and requires the
/// same verdict and messages. Returns how many were checked (0 without Node 20).
fn check_against_node20(cases: &[&Json], unexpected: &mut Vec<String>) -> usize {
    if !node_is_20() {
        eprintln!("NOTICE: `node` is not Node 20: the Node-20 cases are not cross-checked");
        return 0;
    }
    let inputs: Vec<(Kind, bool, Vec<u8>)> = cases
        .iter()
        .map(|c| {
            let kind = match c.get("kind").and_then(Json::str) {
                Some("response") => Kind::Response,
                _ => Kind::Request,
            };
            let raw = latin1_bytes(c.get("raw").and_then(Json::str).unwrap_or(""));
            (kind, false, raw)
        })
        .collect();
    let node = parse_with_node(&inputs);
    for ((kind, _, raw), (case, theirs)) in inputs.iter().zip(cases.iter().zip(&node)) {
        let ours = parse_chunks(*kind, Limits::default(), &[raw], true, false);
        match node::compare(*kind, &ours, theirs) {
            Ok(Verdict::Same) => {}
            other => unexpected.push(format!(
                "{}: listed as following Node 20, but Node 20 disagrees ({})",
                case.get("id").and_then(Json::str).unwrap_or("?"),
                match other {
                    Err(e) => e,
                    Ok(Verdict::OtherCode(c)) => c,
                    Ok(Verdict::Same) => String::new(),
                }
            )),
        }
    }
    cases.len()
}
