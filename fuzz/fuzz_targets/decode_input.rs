//! `rexa decode`'s input handling: arguments (the NUL-separated words of the input's first
//! line, parsed as the command line), the hex text (from the arguments, or else the rest
//! of the input as if read from stdin), framing, and the JSON written for whatever
//! decodes. Every line written must be valid JSON.
#![no_main]

use std::ffi::OsString;

use libfuzzer_sys::fuzz_target;
use rexa::api::json::{Envelope, FORMAT_VERSION_5};
use rexa::api::message_json::UpdateJsonOptions;
use rexa::cli::decode::{parse_args, parse_hex, write_decoded_with, DecodeContext, Request};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (line, stdin) = text.split_once('\n').unwrap_or((&text, ""));
    let args: Vec<OsString> = line
        .split('\0')
        .filter(|word| !word.is_empty())
        .map(OsString::from)
        .collect();
    let Ok(Request::Decode(mut options)) = parse_args(args) else {
        return;
    };
    // A configuration would be read from the file system: not the fuzzer's business.
    options.configuration = None;
    let Ok(ctx) = DecodeContext::from_options(&options) else {
        return;
    };
    let hex = options.hex.as_deref().unwrap_or(stdin);
    let Ok(bytes) = parse_hex(hex) else {
        return;
    };
    let envelope = Envelope {
        version: FORMAT_VERSION_5,
        time: 0.0,
        host: "fuzz",
        pid: 1,
        ppid: 0,
    };
    let mut out = Vec::new();
    // The daemon's UPDATE options, which the command line does not reach, from the length.
    let json = UpdateJsonOptions {
        aigp: data.len() & 1 != 0,
        compact: data.len() & 2 != 0,
    };
    match write_decoded_with(&bytes, &ctx, json, &envelope, &mut out) {
        Ok(()) => {
            assert!(out.ends_with(b"\n"), "output does not end with a newline");
            // The decoded value is not at hand: any SRv6 service list is exempt.
            rexa_fuzz::assert_json_lines(&out, true);
        }
        Err(e) => {
            let message = e.to_string();
            assert!(
                !message.contains('\n'),
                "error is not one line: {message:?}"
            );
        }
    }
});
