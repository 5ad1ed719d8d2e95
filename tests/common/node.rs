//! Running Node 20's own llhttp (tests/node/node_parse.js) and comparing its view of an
//! input with ours.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use super::json::{self, Json};
use stdhttp::parser::{Kind, Message, Parsed};

/// True when `node` on PATH is Node 20 (whose llhttp we compare against).
pub fn node_is_20() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).starts_with("v20."))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| b as char).collect()
}

pub fn flat(fields: &[(Vec<u8>, Vec<u8>)]) -> Vec<String> {
    fields
        .iter()
        .flat_map(|(n, v)| [latin1(n), latin1(v)])
        .collect()
}

pub fn strings(j: Option<&Json>) -> Vec<String> {
    j.map(Json::arr)
        .unwrap_or(&[])
        .iter()
        .map(|s| s.str().unwrap_or_default().to_string())
        .collect()
}

/// Our view of one message, in the shape the Node script prints.
pub fn ours(m: &Message, kind: Kind) -> String {
    format!(
        "method={:?} url={:?} version={}.{} status={} reason={:?} headers={:?} body={:?} trailers={:?} upgrade={} keepAlive={}",
        m.method.filter(|_| kind == Kind::Request),
        latin1(&m.url),
        m.version.0,
        m.version.1,
        m.status,
        latin1(&m.reason),
        flat(&m.headers),
        latin1(&m.body),
        flat(&m.trailers),
        m.upgrade,
        m.keep_alive,
    )
}

pub fn theirs(m: &Json) -> String {
    let s = |k: &str| m.get(k).and_then(Json::str).unwrap_or_default().to_string();
    let b = |k: &str| m.get(k).and_then(Json::bool).unwrap_or(false);
    format!(
        "method={:?} url={:?} version={} status={} reason={:?} headers={:?} body={:?} trailers={:?} upgrade={} keepAlive={}",
        m.get("method").and_then(Json::str),
        s("url"),
        s("version"),
        m.get("status").and_then(Json::num).unwrap_or(0.0),
        s("reason"),
        strings(m.get("headers")),
        s("body"),
        strings(m.get("trailers")),
        b("upgrade"),
        b("keepAlive"),
    )
}

/// Parses each `(kind, head, bytes)` with Node 20's llhttp; `head` makes a response answer
/// HEAD. One JSON object per input (see tests/node/node_parse.js).
pub fn parse_with_node(cases: &[(Kind, bool, Vec<u8>)]) -> Vec<Json> {
    let lines: Vec<String> = cases
        .iter()
        .map(|(kind, head, v)| {
            let k = match (kind, head) {
                (Kind::Request, _) => "req",
                (Kind::Response, false) => "res",
                (Kind::Response, true) => "head",
            };
            format!("{k} {}", hex(v))
        })
        .collect();
    node_lines("node_parse.js", lines)
}

/// Run `tests/node/SCRIPT` once, feed it `lines` on stdin (one input a line) and read one
/// JSON object per input from its stdout: every input in one `node` process.
pub fn node_lines(script: &str, lines: Vec<String>) -> Vec<Json> {
    let script = format!("{}/tests/node/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new("node")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("node starts");
    let mut stdin = std::io::BufWriter::new(child.stdin.take().expect("stdin"));
    let expected = lines.len();
    let writer = std::thread::spawn(move || {
        for l in lines {
            writeln!(stdin, "{l}").expect("write to node");
        }
        stdin.flush().expect("write to node");
    });
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    let results: Vec<Json> = out
        .lines()
        .map(|l| json::parse(&l.expect("node output")).expect("node prints JSON"))
        .collect();
    writer.join().expect("writer");
    let _ = child.wait();
    assert_eq!(results.len(), expected, "node answered every input");
    results
}

/// How an input's outcome compares.
pub enum Verdict {
    Same,
    /// Both reject, with different `HPE_*` codes: llhttp checks some headers byte by byte and
    /// so reports the first of several faults differently (see the README's known gaps).
    OtherCode(String),
}

pub fn compare(kind: Kind, got: &Parsed, node: &Json) -> Result<Verdict, String> {
    if node.get("upgradeSwallowedError").and_then(Json::bool) == Some(true) {
        // Node's binding hides errors in an upgrade request's body (a deliberate difference)
        return Ok(Verdict::Same);
    }
    let their_err = node.get("error").and_then(Json::str);
    let our_err = got.error.as_ref().map(|e| e.code().as_str());
    let mut verdict = Verdict::Same;
    match (their_err, our_err) {
        (a, b) if a == b => {}
        (Some(a), Some(b)) => verdict = Verdict::OtherCode(format!("node {a}, stdhttp {b}")),
        _ => return Err(format!("error: node {their_err:?}, stdhttp {our_err:?}")),
    }
    let theirs_msgs: Vec<String> = node
        .get("messages")
        .map(Json::arr)
        .unwrap_or(&[])
        .iter()
        .map(theirs)
        .collect();
    let ours_msgs: Vec<String> = got
        .messages
        .iter()
        .filter(|m| m.complete)
        .map(|m| ours(m, kind))
        .collect();
    if theirs_msgs != ours_msgs {
        return Err(format!(
            "messages differ:\n  node    {theirs_msgs:#?}\n  stdhttp {ours_msgs:#?}"
        ));
    }
    let their_up = node
        .get("upgradeOffset")
        .and_then(Json::num)
        .map(|n| n as usize);
    if their_err.is_none() && their_up != got.upgrade_offset {
        return Err(format!(
            "upgrade offset: node {their_up:?}, stdhttp {:?}",
            got.upgrade_offset
        ));
    }
    Ok(verdict)
}

/// Run `tests/node/SCRIPT` with `args` and parse its stdout, one JSON object per line (each
/// names its `case`).
pub fn node_cases(script: &str, args: &[String]) -> Vec<Json> {
    let script = format!("{}/tests/node/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("node")
        .arg(script)
        .args(args)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node failed ({:?}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|l| json::parse(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The line of `lines` for case `name`.
pub fn case<'a>(lines: &'a [Json], name: &str) -> &'a Json {
    lines
        .iter()
        .find(|l| l.get("case").and_then(Json::str) == Some(name))
        .unwrap_or_else(|| panic!("no {name} line in {lines:?}"))
}
