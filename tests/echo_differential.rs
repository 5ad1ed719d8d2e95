//! The differential test of ECHO-CONTRACT.md: `scripts/echo_diff.py` sends every case in
//! `scripts/echo_cases.json` to Node 20's echo server (`scripts/node_echo.js`) and to
//! `examples/echo`, and compares what comes back (status codes, when the connection closes,
//! every echo object and tunnel line). Every case must agree with Node, except the ones the
//! case file documents, where Node 20 itself departs from the contract: there stdhttp must
//! do what the contract says.
//!
//! Skips with a notice when `python3` or `node` is missing (and the echo binary, outside CI).

mod common;

use std::process::Command;

use common::example::{example_or_skip, have_tool};

#[test]
fn echo_example_agrees_with_node_20_on_every_case() {
    if !have_tool("python3") || !have_tool("node") {
        return;
    }
    let Some(echo) = example_or_skip("echo") else {
        return;
    };
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("python3")
        .arg(format!("{root}/scripts/echo_diff.py"))
        .arg(&echo)
        .args(["--jobs", "6"])
        .output()
        .expect("run scripts/echo_diff.py");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let result = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with("RESULT"))
        .unwrap_or("no RESULT line");
    assert!(
        out.status.success(),
        "echo_diff found differences from Node 20:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        result.contains("full=100.0%") && result.contains("documented=7/7"),
        "{result}"
    );
    println!("{result}");
}
