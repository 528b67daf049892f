//! ROUTE-REFRESH bodies (RFC 2918 / RFC 7313 subtypes): decode and round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rexa::bgp::refresh::RouteRefresh;
use rexa_fuzz::{exercise_error, exercise_refresh};

fuzz_target!(|data: &[u8]| {
    match RouteRefresh::decode(data) {
        Ok(refresh) => {
            exercise_refresh(&refresh);
            let mut again = Vec::new();
            refresh.encode_body(&mut again);
            assert_eq!(again, data, "a ROUTE-REFRESH re-encodes byte for byte");
        }
        Err(e) => exercise_error(&e.into()),
    }
});
