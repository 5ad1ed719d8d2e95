//! The chunked body decoder: a fixed chunked head (request or response, by the first
//! byte's low bit), then the fuzz bytes as its body. Besides no panic and the general
//! invariants, the callbacks must agree with each other: each chunk's `on_body` bytes add
//! up to its announced size before `on_chunk_complete`, the collected body is exactly the
//! concatenation of the `on_body` slices, and a completed message's chunk sizes sum to
//! the body length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stdhttp::parser::{
    parse_all, parse_chunks, BodyFraming, Fields, Flow, Handler, Head, Kind, Limits, Parser,
};
use stdhttp_fuzz::check_parsed;

const REQUEST_HEAD: &[u8] = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
const RESPONSE_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";

/// Records the first message's callbacks one by one and checks each chunk as it goes.
struct Recorder {
    limits: Limits,
    messages: usize,
    /// The chunk being read: (announced size, bytes seen so far).
    chunk: Option<(u64, u64)>,
    after_last_chunk: bool,
    slices: Vec<Vec<u8>>,
    sizes: Vec<u64>,
    trailers: Vec<(Vec<u8>, Vec<u8>)>,
    complete: bool,
}

impl Recorder {
    fn first(&self) -> bool {
        self.messages == 1
    }
}

impl Handler for Recorder {
    fn on_message_begin(&mut self) -> Flow {
        assert!(self.chunk.is_none(), "a message began inside a chunk");
        self.messages += 1;
        self.after_last_chunk = false;
        Flow::Continue
    }
    fn on_headers_complete(&mut self, head: &Head<'_>) -> Flow {
        if self.first() {
            assert_eq!(head.body_kind(), BodyFraming::Chunked);
        }
        Flow::Continue
    }
    fn on_chunk_header(&mut self, size: u64, extensions: &[u8]) -> Flow {
        assert!(
            self.chunk.is_none(),
            "a chunk header before the previous chunk ended"
        );
        assert!(!self.after_last_chunk, "a chunk after the last chunk");
        assert!(
            extensions.is_empty() || extensions[0] == b';',
            "{extensions:?}"
        );
        // The limit counts name and value bytes (as Node does), not the separators; the
        // separators have a bound of their own, so the extensions stay bounded.
        let max = self.limits.max_chunk_extensions;
        let counted = extensions
            .iter()
            .filter(|b| !b";=\"\\ \t".contains(b))
            .count();
        assert!(counted <= max, "{counted} extension bytes over {max}");
        assert!(extensions.len() <= max * 2 + 1024, "{extensions:?}");
        if size == 0 {
            self.after_last_chunk = true;
        } else {
            self.chunk = Some((size, 0));
        }
        if self.first() {
            self.sizes.push(size);
        }
        Flow::Continue
    }
    fn on_body(&mut self, data: &[u8]) -> Flow {
        assert!(!data.is_empty(), "an empty on_body slice");
        if let Some((size, seen)) = &mut self.chunk {
            *seen += data.len() as u64;
            assert!(
                *seen <= *size,
                "{seen} bytes delivered for a chunk of {size}"
            );
        }
        if self.first() {
            self.slices.push(data.to_vec());
        }
        Flow::Continue
    }
    fn on_chunk_complete(&mut self) -> Flow {
        let (size, seen) = self
            .chunk
            .take()
            .expect("a chunk completed that never began");
        assert_eq!(seen, size, "chunk completed short");
        Flow::Continue
    }
    fn on_trailers(&mut self, trailers: &Fields<'_>) -> Flow {
        assert!(self.after_last_chunk, "trailers before the last chunk");
        if self.first() {
            self.trailers = trailers
                .iter()
                .map(|(n, v)| (n.to_vec(), v.to_vec()))
                .collect();
        }
        Flow::Continue
    }
    fn on_message_complete(&mut self) -> Flow {
        assert!(self.chunk.is_none(), "a message completed inside a chunk");
        if self.first() {
            self.complete = true;
        }
        Flow::Continue
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let (kind, head) = if choice & 1 == 0 {
        (Kind::Request, REQUEST_HEAD)
    } else {
        (Kind::Response, RESPONSE_HEAD)
    };
    let eof = choice & 2 != 0;
    // Tight limits on trailers and extensions now and then; the head always fits.
    let limits = if choice & 0b1100 == 0b1100 {
        Limits::default()
            .max_header_size([0, 64, 100, 1024][((choice >> 4) & 3) as usize])
            .max_headers_count(0)
            .max_chunk_extensions([0, 1, 8, 64][(choice >> 6) as usize])
    } else {
        Limits::default()
    };

    let mut whole = head.to_vec();
    whole.extend_from_slice(body);
    let parsed = parse_all(kind, limits, &whole, eof);
    check_parsed(kind, limits, &parsed, whole.len(), eof, false);
    assert_eq!(
        parsed,
        parse_chunks(kind, limits, &[head, body], eof, false)
    );

    let mut rec = Recorder {
        limits,
        messages: 0,
        chunk: None,
        after_last_chunk: false,
        slices: Vec::new(),
        sizes: Vec::new(),
        trailers: Vec::new(),
        complete: false,
    };
    let mut parser = Parser::new(kind, limits);
    assert_eq!(parser.execute(head, &mut rec), Ok(head.len()));
    let result = parser.execute(body, &mut rec);
    if let (Ok(_), true) = (&result, eof) {
        let _ = parser.finish(&mut rec);
    }

    let first = &parsed.messages[0];
    let concatenated: Vec<u8> = rec.slices.concat();
    assert_eq!(
        first.body, concatenated,
        "collected body differs from the on_body slices"
    );
    let sizes: Vec<u64> = first.chunks.iter().map(|c| c.0).collect();
    assert_eq!(sizes, rec.sizes);
    assert_eq!(first.trailers, rec.trailers);
    assert_eq!(first.complete, rec.complete);
    if first.complete {
        assert_eq!(
            sizes.iter().map(|&s| u128::from(s)).sum::<u128>(),
            first.body.len() as u128
        );
        assert_eq!(sizes.last(), Some(&0));
    }
});
