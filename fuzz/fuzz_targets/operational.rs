//! ExaBGP OPERATIONAL bodies: decode and round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rexa::bgp::operational::Operational;
use rexa_fuzz::{assert_round_trip, exercise_error, exercise_operational, lossy_operational};

fuzz_target!(|data: &[u8]| {
    match Operational::decode(data) {
        Ok(operational) => {
            exercise_operational(&operational);
            let lossy = lossy_operational(&operational);
            assert_round_trip("OPERATIONAL", &operational, lossy, |operational| {
                let mut again = Vec::new();
                operational.encode_body(&mut again);
                Operational::decode(&again)
            });
        }
        Err(e) => exercise_error(&e.into()),
    }
});
