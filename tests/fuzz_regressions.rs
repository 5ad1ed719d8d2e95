//! Inputs the fuzz targets (fuzz/fuzz_targets/) found, kept as tests so they stay fixed.
//! Each one feeds the input through `parse_all` / `parse_chunks` (whole and split), asserts
//! the parser does not panic and checks the outcome the target expects.

use stdhttp::parser::{parse_all, parse_chunks, ErrorCode, Kind, Limits, Parsed};

/// The same input whole, cut at every position, and one byte at a time: the results must
/// be the same (the `split` target's invariant), and that one result is returned.
fn parse_every_split(kind: Kind, input: &[u8], eof: bool) -> Parsed {
    let whole = parse_all(kind, Limits::default(), input, eof);
    for cut in 0..=input.len() {
        let (a, b) = input.split_at(cut);
        let split = parse_chunks(kind, Limits::default(), &[a, b], eof, false);
        assert_eq!(split, whole, "cut at {cut}");
    }
    let bytes: Vec<&[u8]> = input.chunks(1).collect();
    assert_eq!(
        parse_chunks(kind, Limits::default(), &bytes, eof, false),
        whole
    );
    whole
}

/// `request` target: a request line without a version (HTTP/0.9) whose method is `PRI`
/// used to complete a head whose `method()` was `None`, although `Head::method` promises
/// one of `METHODS` for every request. The parser lets `PRI` through the method state for
/// the HTTP/2 preface (`PRI * HTTP/2.0`); a target ending in CR or LF skipped the version
/// check that rejects it. Fixed in 3b12e11: `PRI` now needs a version after its target,
/// and without one it is `HPE_INVALID_METHOD`, the rule for every method outside Node's
/// `http.METHODS`. (Node 20 itself takes `PRI /\r\n\r\n` as an HTTP/0.9 request with
/// `req.method === "PRI"`.)
#[test]
fn pri_http09_request_is_an_invalid_method() {
    for input in [
        &b"PRI /\r\n\r\n"[..],
        b"PRI /\n\r\n",
        b"PRI /x\r\nHost: a\r\n\r\n",
    ] {
        let p = parse_every_split(Kind::Request, input, true);
        let e = p.error.as_ref().expect("PRI without a version is rejected");
        assert_eq!(e.code(), ErrorCode::InvalidMethod, "{input:?}: {e}");
        assert!(
            p.messages.iter().all(|m| !m.headers_complete),
            "{input:?}: a head was delivered"
        );
    }
}
