//! Property tests for Node's header rules: the merged `headers` view against a plain
//! re-statement of the rules, `maxHeadersCount` truncation, and the encoder's header lines
//! (round trip, and no CR/LF/NUL ever reaching the buffer).
#![forbid(unsafe_code)]

use proptest::prelude::*;
use stdhttp::proto::encode::write_header;
use stdhttp::proto::headers::{latin1, FieldValue, Headers, RawHeaders};

// ---------------------------------------------------------------------------------------------
// The reference model: Node 20's rules, stated as simply as possible.

const FIRST_VALUE_WINS: [&str; 18] = [
    "age",
    "authorization",
    "content-length",
    "content-type",
    "etag",
    "expires",
    "from",
    "host",
    "if-modified-since",
    "if-unmodified-since",
    "last-modified",
    "location",
    "max-forwards",
    "proxy-authorization",
    "referer",
    "retry-after",
    "server",
    "user-agent",
];

/// Groups the lines by lower-cased name (in order of first appearance), then folds each
/// group's values in one go.
fn model(lines: &[(String, String)]) -> Vec<(String, FieldValue)> {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in lines {
        let key = name.to_lowercase();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(value.clone()),
            None => groups.push((key, vec![value.clone()])),
        }
    }
    groups
        .into_iter()
        .map(|(key, values)| {
            let folded = if key == "set-cookie" {
                FieldValue::List(values)
            } else if FIRST_VALUE_WINS.contains(&key.as_str()) {
                FieldValue::Single(values[0].clone())
            } else if key == "cookie" {
                FieldValue::Single(values.join("; "))
            } else {
                FieldValue::Single(values.join(", "))
            };
            (key, folded)
        })
        .collect()
}

fn merged(headers: &Headers) -> Vec<(String, FieldValue)> {
    headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Generators

const OTHER_NAMES: [&str; 14] = [
    "connection",
    "transfer-encoding",
    "accept",
    "accept-encoding",
    "vary",
    "date",
    "cache-control",
    "x-forwarded-for",
    "x-custom",
    "via",
    "te",
    "link",
    "www-authenticate",
    "if-none-match",
];

/// A name from a pool mixing the 18 first-value-wins names, `set-cookie`, `cookie`, common
/// joined names and generated custom ones, with every letter in a random case.
fn name() -> impl Strategy<Value = String> {
    let pooled = prop_oneof![
        3 => proptest::sample::select(&FIRST_VALUE_WINS[..]).prop_map(str::to_string),
        2 => Just("set-cookie".to_string()),
        2 => Just("cookie".to_string()),
        3 => proptest::sample::select(&OTHER_NAMES[..]).prop_map(str::to_string),
        // Many distinct names, so that large sets exercise Headers' hash index too.
        2 => (0u32..60).prop_map(|i| format!("x-gen-{i}")),
    ];
    (pooled, any::<u64>()).prop_map(|(name, case_bits)| {
        name.chars()
            .enumerate()
            .map(|(i, c)| {
                if case_bits >> (i % 64) & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect()
    })
}

/// A char allowed in a header value: HTAB, U+0020–U+007E, U+0080–U+00FF.
fn value_char() -> impl Strategy<Value = char> {
    prop_oneof![
        1 => Just('\t'),
        8 => (0x20u8..=0x7e).prop_map(char::from),
        2 => (0x80u8..=0xff).prop_map(char::from),
    ]
}

fn value() -> impl Strategy<Value = String> {
    proptest::collection::vec(value_char(), 0..12).prop_map(|cs| cs.into_iter().collect())
}

fn lines() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((name(), value()), 0..80)
}

fn raw(lines: &[(String, String)]) -> RawHeaders {
    lines
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect()
}

/// A header name: 1–20 token chars.
fn token() -> impl Strategy<Value = String> {
    "[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}"
}

/// A value char that may not appear: CR, LF or NUL.
fn forbidden_char() -> impl Strategy<Value = char> {
    prop_oneof![Just('\r'), Just('\n'), Just('\0')]
}

// ---------------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn merged_headers_equal_the_model(lines in lines()) {
        let headers = Headers::from_raw(&raw(&lines), 0);
        prop_assert_eq!(merged(&headers), model(&lines));
        prop_assert_eq!(headers.len(), model(&lines).len());
    }

    #[test]
    fn max_count_uses_only_the_first_n_lines(lines in lines(), n in 1usize..100) {
        let headers = Headers::from_raw(&raw(&lines), n);
        let first_n = &lines[..n.min(lines.len())];
        prop_assert_eq!(merged(&headers), model(first_n));
    }

    #[test]
    fn lookups_ignore_case(lines in lines()) {
        let headers = Headers::from_raw(&raw(&lines), 0);
        for (name, _) in &lines {
            let expected = model(&lines)
                .into_iter()
                .find(|(k, _)| *k == name.to_lowercase())
                .map(|(_, v)| v);
            prop_assert_eq!(headers.get(name), expected.as_ref());
            prop_assert_eq!(headers.get(&name.to_uppercase()), expected.as_ref());
            prop_assert!(headers.contains(name));
            let as_str = expected.as_ref().and_then(FieldValue::as_str);
            prop_assert_eq!(headers.get_str(name), as_str);
        }
    }

    #[test]
    fn raw_headers_keep_every_line(lines in lines()) {
        let raw = raw(&lines);
        prop_assert_eq!(raw.len(), lines.len());
        let flat: Vec<String> = lines.iter().flat_map(|(n, v)| [n.clone(), v.clone()]).collect();
        prop_assert_eq!(raw.to_flat(), flat);
    }

    #[test]
    fn raw_headers_read_back_line_by_line(
        lines in proptest::collection::vec(("\\PC{0,8}", "\\PC{0,8}"), 0..16),
        keep in 0usize..20,
    ) {
        // any strings, empty ones included: every line reads back as pushed, from either end
        let mut raw = RawHeaders::new();
        for (n, v) in &lines {
            raw.push(n, v);
        }
        let want: Vec<(&str, &str)> = lines.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        prop_assert_eq!(raw.len(), want.len());
        prop_assert_eq!(raw.iter().collect::<Vec<_>>(), want.clone());
        prop_assert_eq!(raw.iter().rev().collect::<Vec<_>>(), want.iter().rev().copied().collect::<Vec<_>>());
        prop_assert_eq!(raw.iter().len(), want.len());
        for (i, line) in want.iter().enumerate() {
            prop_assert_eq!(raw.get(i), Some(*line));
        }
        prop_assert_eq!(raw.get(want.len()), None);
        prop_assert_eq!(&raw, &want.iter().copied().collect::<RawHeaders>());
        raw.truncate(keep);
        let kept = &want[..keep.min(want.len())];
        prop_assert_eq!(&raw, &kept.iter().copied().collect::<RawHeaders>());
        // lines pushed after a truncate follow the kept ones
        raw.push("x-after", "1");
        prop_assert_eq!(raw.get(kept.len()), Some(("x-after", "1")));
        prop_assert_eq!(raw.len(), kept.len() + 1);
    }

    #[test]
    fn written_header_splits_back_into_name_and_value(name in token(), value in value()) {
        let mut buf = b"prefix".to_vec();
        write_header(&mut buf, &name, &value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let line = &buf[b"prefix".len()..];
        prop_assert!(line.ends_with(b"\r\n"));
        let line = &line[..line.len() - 2];
        prop_assert!(!line.contains(&b'\r') && !line.contains(&b'\n'));
        let colon = line.iter().position(|&b| b == b':');
        prop_assert_eq!(colon, Some(name.len()));
        prop_assert_eq!(&line[..name.len()], name.as_bytes());
        prop_assert_eq!(&line[name.len()..name.len() + 2], b": ");
        prop_assert_eq!(latin1(&line[name.len() + 2..]), value);
    }

    #[test]
    fn values_with_cr_lf_or_nul_are_rejected_and_nothing_written(
        before in value(),
        bad in forbidden_char(),
        after in value(),
        prefix in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let value = format!("{before}{bad}{after}");
        let mut buf = prefix.clone();
        let err = write_header(&mut buf, "X-Test", &value);
        let code = err.as_ref().err().map(|e| e.code());
        prop_assert_eq!(code, Some("ERR_INVALID_CHAR"));
        prop_assert_eq!(buf, prefix);
    }

    #[test]
    fn any_value_with_cr_lf_or_nul_is_rejected(
        s in any::<String>(),
        bad in forbidden_char(),
        at in any::<proptest::sample::Index>(),
    ) {
        let mut chars: Vec<char> = s.chars().collect();
        chars.insert(at.index(chars.len() + 1), bad);
        let value: String = chars.into_iter().collect();
        let mut buf = Vec::new();
        let code = write_header(&mut buf, "X-Test", &value).err().map(|e| e.code().to_string());
        prop_assert_eq!(code.as_deref(), Some("ERR_INVALID_CHAR"));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn names_with_cr_lf_or_nul_are_rejected_and_nothing_written(
        before in token(),
        bad in forbidden_char(),
        after in token(),
    ) {
        let name = format!("{before}{bad}{after}");
        let mut buf = Vec::new();
        let err = write_header(&mut buf, &name, "v");
        prop_assert_eq!(err.err().map(|e| e.code().to_string()), Some("ERR_INVALID_HTTP_TOKEN".to_string()));
        prop_assert!(buf.is_empty());
    }
}
