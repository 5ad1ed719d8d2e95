//! Split invariance: the parser must give the same result however its input is cut.
//!
//! Layout of a fuzz input: one byte of flags (kind, EOF, skip-body, tight limits, one byte
//! at a time), one byte choosing the tight limits, one byte with the number of cuts, two
//! bytes per cut position, then the bytes to parse. The pieces go through `parse_chunks` and the whole `Parsed` (messages,
//! error with its code, reason and offset, upgrade offset) must equal the one-shot result.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stdhttp::parser::{parse_chunks, Kind, Limits};
use stdhttp_fuzz::{check_parsed, limits_from, Choices};

fuzz_target!(|data: &[u8]| {
    let mut c = Choices::new(data);
    let flags = c.byte();
    let kind = if flags & 1 == 0 {
        Kind::Request
    } else {
        Kind::Response
    };
    let eof = flags & 2 != 0;
    let skip_body = flags & 4 != 0;
    let limits_byte = c.byte();
    let limits = if flags & 8 != 0 {
        limits_from(limits_byte)
    } else {
        Limits::default()
    };
    let bytewise = flags & 16 != 0;
    let cuts = c.below(17);
    let raw_cuts: Vec<u16> = (0..cuts).map(|_| c.u16()).collect();
    let input = c.rest();

    let whole = parse_chunks(kind, limits, &[input], eof, skip_body);
    check_parsed(kind, limits, &whole, input.len(), eof, skip_body);

    let mut points: Vec<usize> = raw_cuts
        .iter()
        .map(|&p| p as usize % (input.len() + 1))
        .collect();
    points.sort_unstable();
    let mut pieces = Vec::with_capacity(points.len() + 1);
    let mut start = 0;
    for &p in &points {
        pieces.push(&input[start..p]);
        start = p;
    }
    pieces.push(&input[start..]);
    let split = parse_chunks(kind, limits, &pieces, eof, skip_body);
    assert_eq!(whole, split, "cut at {points:?}");

    if bytewise && input.len() <= 4096 {
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        let one_by_one = parse_chunks(kind, limits, &bytes, eof, skip_body);
        assert_eq!(whole, one_by_one, "fed one byte at a time");
    }
});
