//! UPDATE bodies under a context chosen by the first input byte: decode, error helpers,
//! and the round trip decode → encode → decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rexa::bgp::update::Update;
use rexa_fuzz::{assert_round_trip, exercise_error, split_context};

fuzz_target!(|data: &[u8]| {
    let Some((ctx, body)) = split_context(data) else {
        return;
    };
    match Update::decode(body, &ctx) {
        Ok(update) => assert_round_trip("UPDATE", &update, false, |update| {
            let mut again = Vec::new();
            update.encode_body(&mut again, &ctx);
            Update::decode(&again, &ctx)
        }),
        Err(e) => exercise_error(&e),
    }
});
