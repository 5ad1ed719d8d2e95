//! A tiny JSON writer shared by the examples that print Node-shaped objects (`echo`,
//! `get --json`). Strings are escaped per RFC 8259; non-ASCII stays UTF-8.
#![allow(dead_code)]

use stdhttp::{FieldValue, Headers, RawHeaders};

/// Append `s` as a JSON string.
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Append `"key":` (after a comma unless `first`).
pub fn key(out: &mut String, first: bool, k: &str) {
    if !first {
        out.push(',');
    }
    string(out, k);
    out.push(':');
}

/// Node's merged `headers` object.
pub fn headers(out: &mut String, h: &Headers) {
    out.push('{');
    for (i, (name, value)) in h.iter().enumerate() {
        key(out, i == 0, name);
        match value {
            FieldValue::Single(s) => string(out, s),
            FieldValue::List(l) => strings(out, l.iter().map(String::as_str)),
        }
    }
    out.push('}');
}

/// Node's flat `rawHeaders` array.
pub fn raw(out: &mut String, raw: &RawHeaders) {
    strings(out, raw.iter().flat_map(|(n, v)| [n, v]));
}

/// A JSON array of strings.
pub fn strings<'a>(out: &mut String, items: impl IntoIterator<Item = &'a str>) {
    out.push('[');
    for (i, s) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, s);
    }
    out.push(']');
}
