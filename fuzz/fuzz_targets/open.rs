//! OPEN bodies and capability lists: decode, validation and negotiation helpers, and the
//! round trip decode → encode → decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rexa::bgp::{Capability, Open};
use rexa_fuzz::{assert_round_trip, exercise_capability, exercise_open, lossy_capability};

fuzz_target!(|data: &[u8]| {
    if let Ok(open) = Open::decode(data) {
        exercise_open(&open);
        let lossy = open.capabilities().any(lossy_capability);
        assert_round_trip("OPEN", &open, lossy, |open| {
            let mut again = Vec::new();
            open.encode_body(&mut again);
            Open::decode(&again)
        });
    }

    // The same bytes as the value of a capabilities parameter.
    if let Ok(capabilities) = Capability::decode_all(data) {
        capabilities.iter().for_each(exercise_capability);
        let lossy = capabilities.iter().any(lossy_capability);
        assert_round_trip("capabilities", &capabilities, lossy, |capabilities| {
            let mut again = Vec::new();
            for capability in capabilities {
                capability.encode(&mut again);
            }
            Capability::decode_all(&again)
        });
    }
});
