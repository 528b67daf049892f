//! Framing and whole-message decoding of a receive buffer, under a context chosen by the
//! first input byte; every decoded message must re-encode to the same value, and its API
//! events must be valid JSON and well-formed text lines (`check_whole_message`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rexa::bgp::message::{frame, Header, HEADER_LEN, MARKER};
use rexa::bgp::negotiated::{EXTENDED_MAX_MESSAGE, STANDARD_MAX_MESSAGE};
use rexa_fuzz::{check_whole_message, split_context};

fuzz_target!(|data: &[u8]| {
    let Some((ctx, bytes)) = split_context(data) else {
        return;
    };
    for max in [STANDARD_MAX_MESSAGE, EXTENDED_MAX_MESSAGE] {
        let header = Header::parse(bytes, max);
        match frame(bytes, max) {
            Ok(Some(len)) => {
                assert!((HEADER_LEN..=max).contains(&len));
                assert!(len <= bytes.len());
                assert_eq!(
                    header.map(|h| h.map(|h| usize::from(h.length))),
                    Ok(Some(len))
                );
            }
            Ok(None) => assert!(matches!(header, Ok(None) | Ok(Some(_)))),
            Err(e) => assert_eq!(header, Err(e)),
        }
    }

    // The whole input as one message, and the same bytes after a marker (the fuzzer then
    // controls the length and type fields directly).
    check_whole_message(bytes, &ctx);
    let mut marked = MARKER.to_vec();
    marked.extend_from_slice(bytes);
    check_whole_message(&marked, &ctx);

    // The reactor's loop: frame, decode, move on, until a header error or a partial message.
    let mut rest = marked.as_slice();
    while let Ok(Some(len)) = frame(rest, ctx.max_message_size) {
        let Some((one, tail)) = rest.split_at_checked(len) else {
            panic!("frame returned {len} for {} bytes", rest.len());
        };
        check_whole_message(one, &ctx);
        rest = tail;
    }
});
