//! `RequestTarget` and the query-string helpers read and write query strings exactly as
//! Node 20's `URLSearchParams` (and split targets as `url.parse`): a table of cases checked
//! against fixed answers and against Node, and random query strings and pairs compared with
//! Node in one batched `node` process. Without Node 20 the Node comparisons print a notice
//! and are skipped; the pure-Rust properties always run.

mod common;

use common::json::{quote, Json};
use common::node::{node_is_20, node_lines};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use stdhttp::proto::target::{decode_component, encode_query, parse_query};
use stdhttp::RequestTarget;

type Pairs = Vec<(String, String)>;

fn pairs(query: &str) -> Pairs {
    parse_query(query)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn owned(expected: &[(&str, &str)]) -> Pairs {
    expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const R: &str = "\u{fffd}";

/// (query, Node 20's `[...new URLSearchParams(query)]`, its `get('a')`)
fn query_table() -> Vec<(&'static str, Pairs, Option<&'static str>)> {
    vec![
        ("", owned(&[]), None),
        ("a", owned(&[("a", "")]), Some("")),
        ("=b", owned(&[("", "b")]), None),
        ("a=1=2", owned(&[("a", "1=2")]), Some("1=2")),
        ("&&", owned(&[]), None),
        ("a=%", owned(&[("a", "%")]), Some("%")),
        ("%zz", owned(&[("%zz", "")]), None),
        ("%E2%82", owned(&[(R, "")]), None),
        ("%E2%82%AC", owned(&[("€", "")]), None),
        ("a=%E2%82&b=%C3", owned(&[("a", R), ("b", R)]), Some(R)),
        ("a+b=c+d", owned(&[("a b", "c d")]), None),
        ("%2B=%20", owned(&[("+", " ")]), None),
        (
            "a=1&a=2&b",
            owned(&[("a", "1"), ("a", "2"), ("b", "")]),
            Some("1"),
        ),
        ("?a=1", owned(&[("?a", "1")]), None),
        ("a=1#frag", owned(&[("a", "1#frag")]), Some("1#frag")),
        ("%", owned(&[("%", "")]), None),
        ("%%", owned(&[("%%", "")]), None),
        ("%4", owned(&[("%4", "")]), None),
        ("%41=%4a%4A", owned(&[("A", "JJ")]), None),
        ("%c3%a9=é", owned(&[("é", "é")]), None),
        ("%FF", owned(&[(R, "")]), None),
        ("%C0%80", owned(&[("\u{fffd}\u{fffd}", "")]), None),
        (
            "%ED%A0%80",
            owned(&[("\u{fffd}\u{fffd}\u{fffd}", "")]),
            None,
        ),
        ("%F0%9F%98", owned(&[(R, "")]), None),
        ("%F0%9F%98%80", owned(&[("😀", "")]), None),
        ("a&&b=", owned(&[("a", ""), ("b", "")]), Some("")),
        ("=", owned(&[("", "")]), None),
        ("==", owned(&[("", "=")]), None),
        ("&=&", owned(&[("", "")]), None),
        ("a=b&", owned(&[("a", "b")]), Some("b")),
        (" a = b ", owned(&[(" a ", " b ")]), None),
        ("%00=%0A", owned(&[("\0", "\n")]), None),
        ("%%41", owned(&[("%A", "")]), None),
        ("%+41", owned(&[("% 41", "")]), None),
        // an escape that does not decode: Node 20 reads the rest byte-wise (UTF-16 low bytes)
        ("é%zz%41", owned(&[("\u{fffd}%zzA", "")]), None),
        (
            "a=é%4+1",
            owned(&[("a", "\u{fffd}%4 1")]),
            Some("\u{fffd}%4 1"),
        ),
        ("😀%41%", owned(&[("=\0A%", "")]), None),
        ("é%zz", owned(&[("é%zz", "")]), None),
    ]
}

/// (target, path, query, fragment, authority)
type TargetCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

fn target_table() -> Vec<TargetCase> {
    vec![
        ("/", "/", None, None, None),
        ("/p?a=1#f", "/p", Some("a=1"), Some("f"), None),
        ("/p#f?x", "/p", None, Some("f?x"), None),
        ("/p?", "/p", Some(""), None, None),
        ("/p??a=1", "/p", Some("?a=1"), None, None),
        ("/p?a=1?b=2", "/p", Some("a=1?b=2"), None, None),
        ("/%7e/x?y=%7e", "/%7e/x", Some("y=%7e"), None, None),
        ("/a/../b?c", "/a/../b", Some("c"), None, None),
        (
            "http://h:80/x/y?q=1#z",
            "/x/y",
            Some("q=1"),
            Some("z"),
            Some("h:80"),
        ),
        ("http://h", "/", None, None, Some("h")),
        ("http://h?x=1", "/", Some("x=1"), None, Some("h")),
        ("*", "*", None, None, None),
    ]
}

#[test]
fn the_table_of_queries_decodes_as_url_search_params() {
    for (query, expected, get_a) in query_table() {
        assert_eq!(pairs(query), expected, "query {query:?}");
        if query.contains('#') {
            continue; // in a target, the `#` would start the fragment
        }
        let target = format!("/p?{query}");
        let t = RequestTarget::parse(&target);
        assert_eq!(t.get("a").as_deref(), get_a, "get('a') of {query:?}");
        let all: Vec<String> = expected
            .iter()
            .filter(|(k, _)| k == "a")
            .map(|(_, v)| v.clone())
            .collect();
        assert_eq!(t.get_all("a"), all, "get_all('a') of {query:?}");
        assert_eq!(t.has("a"), get_a.is_some());
    }
}

#[test]
fn the_table_of_targets_splits_as_url_parse() {
    for (target, path, query, fragment, authority) in target_table() {
        let t = RequestTarget::parse(target);
        assert_eq!(
            (t.path(), t.query(), t.fragment(), t.authority()),
            (path, query, fragment, authority),
            "{target:?}"
        );
        assert_eq!(t.as_str(), target);
    }
}

fn node_pairs(j: Option<&Json>) -> Pairs {
    j.map(Json::arr)
        .unwrap_or(&[])
        .iter()
        .map(|p| {
            let s = |i: usize| p.arr()[i].str().unwrap_or_default().to_string();
            (s(0), s(1))
        })
        .collect()
}

/// `Err(why)` when Node's pairs or its `get`/`getAll` answers differ from ours for `query`.
fn compare_query(query: &str, node: &Json) -> Result<(), String> {
    let theirs = node_pairs(node.get("pairs"));
    let ours = pairs(query);
    if theirs != ours {
        return Err(format!("pairs: node {theirs:?}, stdhttp {ours:?}"));
    }
    if query.contains('#') {
        return Ok(()); // in a target, the `#` would start the fragment
    }
    let target = format!("/?{query}");
    let t = RequestTarget::parse(&target);
    for g in node.get("get").map(Json::arr).unwrap_or(&[]) {
        let g = g.arr();
        let name = g[0].str().unwrap_or_default();
        let get = g[1].str();
        let all: Vec<&str> = g[2].arr().iter().filter_map(Json::str).collect();
        if t.get(name).as_deref() != get || t.get_all(name) != all {
            return Err(format!(
                "get({name:?}): node {get:?} {all:?}, stdhttp {:?} {:?}",
                t.get(name),
                t.get_all(name)
            ));
        }
    }
    Ok(())
}

#[test]
fn the_tables_match_node_20() {
    if !node_is_20() {
        eprintln!("NOTICE: skipping the Node comparison: `node` is not Node 20");
        return;
    }
    let queries = query_table();
    let targets = target_table();
    let lines = queries
        .iter()
        .map(|(q, ..)| format!("{{\"q\": {}}}", quote(q)))
        .chain(
            targets
                .iter()
                .map(|(t, ..)| format!("{{\"target\": {}}}", quote(t))),
        )
        .collect();
    let answers = node_lines("search_params.js", lines);
    let (for_queries, for_targets) = answers.split_at(queries.len());
    for ((query, ..), node) in queries.iter().zip(for_queries) {
        compare_query(query, node).unwrap_or_else(|e| panic!("query {query:?}: {e}"));
    }
    for ((target, path, query, fragment, authority), node) in targets.iter().zip(for_targets) {
        let s = |k: &str| node.get(k).and_then(Json::str);
        // url.parse's hash keeps its `#`
        let hash = s("hash").map(|h| h.trim_start_matches('#'));
        assert_eq!(
            (s("pathname"), s("query"), hash, s("host")),
            (Some(*path), *query, *fragment, *authority),
            "url.parse({target:?})"
        );
        let t = RequestTarget::parse(target);
        let ours: Pairs = t
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(
            ours,
            node_pairs(node.get("pairs")),
            "searchParams of {target:?}"
        );
    }
}

/// Pieces of query strings: the separators, `+`, escapes valid and broken, escapes of bytes
/// that are not UTF-8 or are cut short, and characters of every width.
fn query_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ab]{1,2}",
        prop_oneof![
            Just("="),
            Just("&"),
            Just("+"),
            Just("%"),
            Just("?"),
            Just(" "),
            Just("#")
        ]
        .prop_map(String::from),
        "%[0-9a-fA-F]{2}",
        "%[0-9a-fA-Fg-z%+]{0,2}",
        "%[eE]2%82(%[aA][cC])?",
        "%[fF]0%9[fF](%98)?(%80)?",
        "%(C0|ED|ed|FF|C3)(%80|%A0)?",
        "[é€😀ü\u{7f}\u{80}\u{ffff}]",
        any::<char>().prop_map(String::from),
    ]
}

fn query_string() -> impl Strategy<Value = String> {
    vec(query_piece(), 0..12).prop_map(|v| v.concat())
}

fn any_pairs() -> impl Strategy<Value = Pairs> {
    let text = || prop_oneof!["[a-z]{0,3}", "[ &=+%?#*._~!'()-]{0,3}", any::<String>()];
    vec((text(), text()), 0..5)
}

/// `n` values of `strategy` from a fixed seed (the same inputs every run).
fn generate<S: Strategy>(strategy: S, n: usize) -> Vec<S::Value> {
    let mut runner = TestRunner::deterministic();
    (0..n)
        .map(|_| strategy.new_tree(&mut runner).expect("a value").current())
        .collect()
}

#[test]
fn random_queries_and_pairs_read_and_write_as_node_20_does() {
    if !node_is_20() {
        eprintln!("NOTICE: skipping the Node comparison: `node` is not Node 20");
        return;
    }
    let queries = generate(query_string(), 3000);
    let to_encode = generate(any_pairs(), 1000);
    let json_pairs = |p: &Pairs| {
        let items: Vec<String> = p
            .iter()
            .map(|(k, v)| format!("[{},{}]", quote(k), quote(v)))
            .collect();
        format!("[{}]", items.join(","))
    };
    let lines = queries
        .iter()
        .map(|q| format!("{{\"q\": {}}}", quote(q)))
        .chain(
            to_encode
                .iter()
                .map(|p| format!("{{\"encode\": {}}}", json_pairs(p))),
        )
        .collect();
    let answers = node_lines("search_params.js", lines);
    let (for_queries, for_encodes) = answers.split_at(queries.len());
    let mut failures: Vec<String> = Vec::new();
    for (q, node) in queries.iter().zip(for_queries) {
        if let Err(e) = compare_query(q, node) {
            failures.push(format!("query {q:?}: {e}"));
        }
    }
    for (p, node) in to_encode.iter().zip(for_encodes) {
        let theirs = node.get("query").and_then(Json::str).unwrap_or_default();
        let ours = encode_query(p.iter().map(|(k, v)| (k, v)));
        if theirs != ours {
            failures.push(format!("encode {p:?}: node {theirs:?}, stdhttp {ours:?}"));
        }
    }
    failures.sort_by_key(String::len);
    assert!(
        failures.is_empty(),
        "{} inputs differ from Node 20; the shortest:\n{}",
        failures.len(),
        failures[..failures.len().min(5)].join("\n")
    );
}

proptest! {
    #[test]
    fn encoded_pairs_parse_back_to_themselves(p in any_pairs()) {
        let query = encode_query(p.iter().map(|(k, v)| (k, v)));
        prop_assert_eq!(pairs(&query), p);
    }

    #[test]
    fn every_byte_percent_encoded_decodes_back(s in any::<String>()) {
        let escaped: String = s.bytes().map(|b| format!("%{b:02x}")).collect();
        prop_assert_eq!(decode_component(&escaped), s);
    }

    #[test]
    fn text_without_plus_or_percent_is_its_own_decoding(s in "[^%+]*") {
        prop_assert!(matches!(decode_component(&s), std::borrow::Cow::Borrowed(t) if t == s));
    }

    #[test]
    fn any_query_decodes_without_panicking_into_its_pieces(q in query_string()) {
        // each pair comes from one non-empty `&`-piece
        let pieces = q.split('&').filter(|p| !p.is_empty()).count();
        prop_assert_eq!(parse_query(&q).count(), pieces);
    }

    #[test]
    fn a_target_splits_into_the_parts_it_was_built_from(
        path in "/[^?#]{0,12}",
        query in proptest::option::of("[^#]{0,12}"),
        fragment in proptest::option::of(".{0,8}"),
    ) {
        let mut target = path.clone();
        if let Some(q) = &query {
            target.push('?');
            target.push_str(q);
        }
        if let Some(f) = &fragment {
            target.push('#');
            target.push_str(f);
        }
        let t = RequestTarget::parse(&target);
        prop_assert_eq!(t.path(), path.as_str());
        prop_assert_eq!(t.query(), query.as_deref());
        prop_assert_eq!(t.fragment(), fragment.as_deref());
        prop_assert_eq!(t.authority(), None);
    }
}
