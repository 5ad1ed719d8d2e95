//! Arbitrary bytes parsed as one connection's responses, ending in EOF. The first byte
//! chooses whether the handler skips bodies (a client's answer to a response to HEAD) and
//! tight limits; the rest is the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stdhttp::parser::{parse_chunks, Kind};
use stdhttp_fuzz::{check_parsed, limits_from, run_direct};

fuzz_target!(|data: &[u8]| {
    let Some((&choice, input)) = data.split_first() else {
        return;
    };
    let skip_body = choice & 1 == 1;
    // Bits 1.. pick the limits only now and then, so defaults get most of the runs.
    let limits = limits_from(if choice & 0b110 == 0b110 {
        choice >> 3
    } else {
        0
    });
    let parsed = parse_chunks(Kind::Response, limits, &[input], true, skip_body);
    check_parsed(
        Kind::Response,
        limits,
        &parsed,
        input.len(),
        true,
        skip_body,
    );
    let direct = run_direct(Kind::Response, limits, input, true, skip_body);
    assert_eq!(parsed, direct, "parse_chunks and Parser::execute disagree");
});
