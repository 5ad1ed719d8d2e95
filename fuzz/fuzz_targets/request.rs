//! Arbitrary bytes parsed as one connection's requests, ending in EOF: no panic, and every
//! invariant of `stdhttp_fuzz::check_parsed`. The same input also goes through
//! `Parser::execute` directly and, with tight limits, through the overflow paths.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stdhttp::parser::{parse_all, Kind, Limits};
use stdhttp_fuzz::{check_parsed, limits_from, run_direct};

fn check(limits: Limits, data: &[u8]) {
    let parsed = parse_all(Kind::Request, limits, data, true);
    check_parsed(Kind::Request, limits, &parsed, data.len(), true, false);
    let direct = run_direct(Kind::Request, limits, data, true, false);
    assert_eq!(parsed, direct, "parse_all and Parser::execute disagree");
}

fuzz_target!(|data: &[u8]| {
    check(Limits::default(), data);
    // The last byte picks tight limits too, so short inputs reach every overflow check.
    if let Some(&b) = data.last() {
        if b != 0 {
            check(limits_from(b), data);
        }
    }
});
