//! The path-attribute field of an UPDATE under a context chosen by the first input byte:
//! the RFC 7606 detailed decoder, the strict one, the JSON entries, error helpers, and the
//! round trip decode → encode → decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rexa::bgp::attribute::{decode_attributes, decode_attributes_detailed};
use rexa_fuzz::{assert_round_trip, exercise_attributes, exercise_error, split_context};

fuzz_target!(|data: &[u8]| {
    let Some((ctx, bytes)) = split_context(data) else {
        return;
    };
    match decode_attributes_detailed(bytes, &ctx) {
        Ok(detailed) => {
            exercise_attributes(&detailed.attributes);
            for error in detailed.discarded.iter().chain(&detailed.treat_as_withdraw) {
                exercise_error(&error.clone().into());
            }
        }
        Err(e) => exercise_error(&e.into()),
    }
    match decode_attributes(bytes, &ctx) {
        Ok(attributes) => assert_round_trip("attributes", &attributes, false, |attributes| {
            let mut again = Vec::new();
            for attribute in attributes {
                attribute.encode(&mut again, &ctx);
            }
            decode_attributes(&again, &ctx)
        }),
        Err(e) => exercise_error(&e.into()),
    }
});
