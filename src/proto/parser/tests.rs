//! Unit tests for the parser's behaviours that the corpus tests do not pin down.

use super::*;

fn req(input: &[u8]) -> Parsed {
    parse_all(Kind::Request, Limits::default(), input, false)
}

fn res(input: &[u8]) -> Parsed {
    parse_all(Kind::Response, Limits::default(), input, true)
}

fn code(p: &Parsed) -> Option<ErrorCode> {
    p.error.as_ref().map(ParseError::code)
}

#[test]
fn close_followed_by_tab_is_not_close_as_in_node_20() {
    let p = req(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\t\r\n\r\n");
    assert!(p.messages[0].keep_alive);
    let p = req(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close \r\n\r\n");
    assert!(!p.messages[0].keep_alive);
}

#[test]
fn content_length_with_trailing_tab_is_rejected_as_in_node_20() {
    let p = req(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\t2\t\r\n\r\nab");
    assert_eq!(code(&p), Some(ErrorCode::InvalidContentLength));
    let p = req(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\t2 \r\n\r\nab");
    assert_eq!(p.messages[0].body, b"ab");
}

#[test]
fn only_nodes_methods_are_accepted() {
    for m in crate::METHODS {
        let target = if *m == "CONNECT" { "h:1" } else { "/" };
        let p = req(format!("{m} {target} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes());
        assert!(p.error.is_none(), "{m}: {:?}", p.error);
        assert_eq!(p.messages[0].method, Some(*m));
    }
    for bad in ["ANNOUNCE", "DESCRIBE", "get", "FOO", "G@T", "MKCOLA"] {
        let p = req(format!("{bad} / HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes());
        assert_eq!(code(&p), Some(ErrorCode::InvalidMethod), "{bad}");
    }
}

#[test]
fn rtsp_and_ice_request_lines_follow_node_20() {
    assert!(req(b"OPTIONS / RTSP/1.0\r\n\r\n").error.is_none());
    assert!(req(b"SOURCE / ICE/1.0\r\n\r\n").error.is_none());
    assert_eq!(
        code(&req(b"PUT / RTSP/1.0\r\n\r\n")),
        Some(ErrorCode::InvalidConstant)
    );
}

#[test]
fn http2_preface_pauses_with_its_own_code() {
    let p = req(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
    assert_eq!(code(&p), Some(ErrorCode::PausedH2Upgrade));
    // PRI is not a method of its own: outside a request line with a version it is invalid
    let p = req(b"PRI /\r\n\r\n");
    assert_eq!(code(&p), Some(ErrorCode::InvalidMethod));
}

struct Pauser {
    events: Vec<&'static str>,
}

impl Handler for Pauser {
    fn on_headers_complete(&mut self, _: &Head<'_>) -> Flow {
        self.events.push("head");
        Flow::Pause
    }
    fn on_body(&mut self, _: &[u8]) -> Flow {
        self.events.push("body");
        Flow::Continue
    }
    fn on_message_complete(&mut self) -> Flow {
        self.events.push("done");
        Flow::Pause
    }
}

#[test]
fn pause_returns_early_and_resumes_where_it_stopped() {
    let input = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET / HTTP/1.1\r\nHost: a\r\n\r\n";
    let mut p = Parser::request();
    let mut h = Pauser { events: vec![] };
    let head_end = input.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert_eq!(p.execute(input, &mut h), Ok(head_end));
    let n = p.execute(&input[head_end..], &mut h).unwrap();
    assert_eq!(n, 2, "stops after the first message");
    assert_eq!(h.events, ["head", "body", "done"]);
    let rest = &input[head_end + n..];
    assert_eq!(
        p.execute(rest, &mut h),
        Ok(rest.len()),
        "pauses at the second head's end"
    );
    assert_eq!(h.events, ["head", "body", "done", "head", "done"]);
}

#[test]
fn upgrade_hands_over_at_the_first_tunnel_byte() {
    let input =
        b"GET /chat HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nWSDATA";
    let p = req(input);
    assert!(p.messages[0].upgrade && p.messages[0].complete);
    assert_eq!(p.upgrade_offset, Some(input.len() - 6));

    let input = b"CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n\x16\x03";
    let p = req(input);
    assert_eq!(p.upgrade_offset, Some(input.len() - 2));
}

#[test]
fn upgrade_without_listener_resumes_as_http() {
    let input = b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
    let mut p = Parser::request();
    let mut c = Collector::default();
    let n = p.execute(input, &mut c).unwrap();
    assert!(p.is_upgraded());
    p.resume_after_upgrade();
    p.execute(&input[n..], &mut c).unwrap();
    assert_eq!(c.messages.len(), 2);
    assert_eq!(c.messages[1].url, b"/2");
}

#[test]
fn headers_beyond_the_count_are_dropped_but_still_checked() {
    let limits = Limits {
        max_headers_count: 2,
        ..Limits::default()
    };
    let input = b"POST / HTTP/1.1\r\nA: 1\r\nB: 2\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
    let p = parse_all(Kind::Request, limits, input, false);
    let m = &p.messages[0];
    assert_eq!(m.headers.len(), 2);
    assert!(m.host_missing, "Host was the third line: Node answers 400");
    assert_eq!(
        m.body, b"abc",
        "the dropped Content-Length still frames the body"
    );
    let unlimited = Limits {
        max_headers_count: 0,
        ..Limits::default()
    };
    let many: Vec<u8> = (0..1500)
        .flat_map(|i| format!("X-{i}: v\r\n").into_bytes())
        .collect();
    let input = [&b"GET / HTTP/1.1\r\n"[..], &many, b"\r\n"].concat();
    assert_eq!(req(&input).messages[0].headers.len(), 1000);
    let p = parse_all(Kind::Request, unlimited, &input, false);
    assert_eq!(p.messages[0].headers.len(), 1500);
}

#[test]
fn chunk_extensions_over_16k_are_the_413_case() {
    let ext = "a".repeat(17000);
    let input = format!(
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3;{ext}\r\nabc\r\n0\r\n\r\n"
    );
    let p = req(input.as_bytes());
    assert!(p.messages[0].headers_complete);
    assert_eq!(code(&p), Some(ErrorCode::ChunkExtensionsOverflow));
}

#[test]
fn chunked_body_reports_sizes_extensions_and_trailers() {
    let input = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n\
3;a=b;c=\"d e\"\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\nx-t: 2\r\n\r\n";
    let p = req(input);
    let m = &p.messages[0];
    assert_eq!(m.body, b"abc0123456789");
    assert_eq!(
        m.chunks,
        vec![(3, b";a=b;c=\"d e\"".to_vec()), (10, vec![]), (0, vec![])]
    );
    assert_eq!(m.trailers.len(), 2);
    assert!(m.complete);
}

#[test]
fn responses_without_length_run_until_eof_and_close() {
    let p = res(b"HTTP/1.1 200 OK\r\n\r\nall of this");
    let m = &p.messages[0];
    assert_eq!(m.body, b"all of this");
    assert!(m.complete && !m.keep_alive);
    assert_eq!(m.body_kind, Some(BodyFraming::UntilClose));

    // a response whose TE does not end in chunked is also read until EOF
    let p = res(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz");
    assert_eq!(p.messages[0].body, b"zz");
}

#[test]
fn interim_responses_precede_the_final_one() {
    let p = res(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
    let statuses: Vec<u16> = p.messages.iter().map(|m| m.status).collect();
    assert_eq!(statuses, [100, 103, 200]);
    assert!(p.messages.iter().all(|m| m.complete));
}

#[test]
fn no_body_for_204_304_and_head_responses() {
    let p = res(
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    );
    assert_eq!(p.messages.len(), 2);
    assert!(p.messages.iter().all(|m| m.body.is_empty() && m.complete));
    let p = parse_chunks(
        Kind::Response,
        Limits::default(),
        &[b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"],
        false,
        true,
    );
    assert_eq!(p.messages.len(), 2, "HEAD: the length is not read");
}

#[test]
fn keep_alive_follows_version_and_connection_tokens() {
    let ka = |input: &[u8]| req(input).messages[0].keep_alive;
    assert!(ka(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert!(!ka(
        b"GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n"
    ));
    assert!(!ka(b"GET / HTTP/1.0\r\n\r\n"));
    assert!(ka(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
    assert!(!ka(b"GET / HTTP/2.0\r\nHost: a\r\n\r\n"));
    assert!(!ka(b"GET /\r\n\r\n"));
}

#[test]
fn eof_in_the_middle_of_a_message_is_an_error() {
    let p = parse_all(
        Kind::Request,
        Limits::default(),
        b"GET / HTTP/1.1\r\nHo",
        true,
    );
    assert_eq!(code(&p), Some(ErrorCode::InvalidEofState));
    let p = parse_all(
        Kind::Request,
        Limits::default(),
        b"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        true,
    );
    assert!(p.error.is_none());
}

#[test]
fn errors_are_sticky_and_carry_the_offset() {
    let mut p = Parser::request();
    let e = p.execute(
        b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        &mut Collector::default(),
    );
    let e = e.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidHeaderToken);
    assert_eq!(e.offset(), 19);
    assert_eq!(e.code().as_str(), "HPE_INVALID_HEADER_TOKEN");
    assert_eq!(p.execute(b"GET", &mut Collector::default()), Err(e));
}

#[test]
fn a_head_split_across_reads_is_buffered_then_parsed_whole() {
    let input = b"GET /a/b HTTP/1.1\r\nHost: example.com\r\nX-Long: 0123456789\r\n\r\n";
    for cut in 0..input.len() {
        let p = parse_chunks(
            Kind::Request,
            Limits::default(),
            &[&input[..cut], &input[cut..]],
            false,
            false,
        );
        assert_eq!(p, req(input), "cut at {cut}");
    }
}

const CHUNKED_POST: &str = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";

#[test]
fn the_raw_head_is_bounded_at_the_same_byte_whatever_the_split() {
    let limits = Limits {
        max_header_size: 16,
        ..Limits::default()
    };
    let ows = vec![b' '; 70_000];
    let input = [&b"GET / HTTP/1.1\r\nX:"[..], &ows, b"a\r\n\r\n"].concat();
    let whole = parse_all(Kind::Request, limits, &input, false);
    let err = whole.error.clone().expect("over the raw bound");
    assert_eq!(err.code(), ErrorCode::HeaderOverflow);
    assert_eq!(err.offset(), (16 * 4 + 64 * 1024) as u64);
    for cut in [1, 10, 19, 5_000, 65_600, 65_700, 69_999] {
        let split = parse_chunks(
            Kind::Request,
            limits,
            &[&input[..cut], &input[cut..]],
            false,
            false,
        );
        assert_eq!(split, whole, "cut at {cut}");
    }
}

#[test]
fn empty_transfer_encoding_and_upgrade_values_are_ignored_as_in_node_20() {
    let p =
        req(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\nContent-Length: 2\r\n\r\nhi");
    assert!(p.error.is_none(), "{:?}", p.error);
    assert_eq!(p.messages[0].body, b"hi");
    let p = req(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade:\r\n\r\n");
    assert!(!p.messages[0].upgrade);
    // the clash with an earlier Content-Length is still an error
    let p = req(b"POST / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding:\r\n\r\nhi");
    assert_eq!(code(&p), Some(ErrorCode::InvalidTransferEncoding));
}

#[test]
fn chunked_followed_by_an_empty_element_is_not_last() {
    let p = req(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n0\r\n\r\n");
    assert_eq!(code(&p), Some(ErrorCode::InvalidTransferEncoding));
    let p = res(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n1\r\nx\r\n0\r\n\r\n");
    assert_eq!(
        p.messages[0].body, b"1\r\nx\r\n0\r\n\r\n",
        "read until close, as Node"
    );
}

#[test]
fn trailer_fields_follow_the_header_rules() {
    let p = req(format!("{CHUNKED_POST}1\r\nx\r\n0\r\nTransfer-Encoding: gzip\r\n\r\n").as_bytes());
    assert_eq!(code(&p), Some(ErrorCode::InvalidTransferEncoding));
    let p = req(format!("{CHUNKED_POST}1\r\nx\r\n0\r\nContent-Length: 1\r\n\r\n").as_bytes());
    assert_eq!(code(&p), Some(ErrorCode::InvalidContentLength));
    let p = req(format!(
        "{CHUNKED_POST}1\r\nx\r\n0\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    .as_bytes());
    assert_eq!(code(&p), Some(ErrorCode::ClosedConnection));
}

#[test]
fn chunk_extension_syntax_is_node_20s() {
    let ext = |e: &str| req(format!("{CHUNKED_POST}1{e}\r\nx\r\n0\r\n\r\n").as_bytes());
    for ok in [";a=b\"c\"", ";=b", ";a=", ";;a", ";a=\"q\\\"x\"", ";a;b=c"] {
        assert!(ext(ok).error.is_none(), "{ok}: {:?}", ext(ok).error);
    }
    for bad in [";a=\"b\"c", ";a=\"\"x", ";", ";a b", ";a==b"] {
        assert_eq!(code(&ext(bad)), Some(ErrorCode::Strict), "{bad}");
    }
    // Node counts name and value bytes (and an opening quote) against 16 KiB
    let name = "a".repeat(16 * 1024);
    assert!(ext(&format!(";{name}")).error.is_none());
    assert_eq!(
        code(&ext(&format!(";{name}a"))),
        Some(ErrorCode::ChunkExtensionsOverflow)
    );
}

#[test]
fn the_largest_content_length_is_accepted_as_in_node_20() {
    let p = req(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551615\r\n\r\n");
    assert!(p.error.is_none());
    assert_eq!(p.messages[0].content_length, Some(u64::MAX));
    let p = req(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n");
    assert_eq!(code(&p), Some(ErrorCode::InvalidContentLength));
}

#[test]
fn a_fragment_right_after_the_authority_is_invalid() {
    for target in ["http://a#x", "http://a\"b/"] {
        let p = req(format!("GET {target} HTTP/1.1\r\nHost: a\r\n\r\n").as_bytes());
        assert_eq!(code(&p), Some(ErrorCode::InvalidUrl), "{target}");
    }
    let p = req(b"CONNECT a:1#x HTTP/1.1\r\nHost: a\r\n\r\n");
    assert_eq!(code(&p), Some(ErrorCode::InvalidUrl));
    let p = req(b"GET http://a/p#x HTTP/1.1\r\nHost: a\r\n\r\n");
    assert!(p.error.is_none());
}

#[test]
fn a_large_split_head_does_not_pin_its_buffers() {
    let mut p = Parser::request();
    let mut c = Collector::default();
    let mut big = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    for i in 0..200 {
        big.extend_from_slice(format!("X-{i}: {}\r\n", "v".repeat(60)).as_bytes());
    }
    big.extend_from_slice(b"\r\n");
    // fed in two pieces, the head is collected in the parser's own buffer
    let (a, b) = big.split_at(big.len() / 2);
    p.execute(a, &mut c).unwrap();
    p.execute(b, &mut c).unwrap();
    assert!(p.buf.capacity() > KEPT_CAPACITY, "the head was buffered");
    let small = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    p.execute(&small[..10], &mut c).unwrap();
    p.execute(&small[10..], &mut c).unwrap();
    assert_eq!(c.messages.len(), 2);
    assert!(p.buf.capacity() <= KEPT_CAPACITY, "{}", p.buf.capacity());
    assert!(
        p.fields.capacity() <= KEPT_FIELDS,
        "{}",
        p.fields.capacity()
    );
}
