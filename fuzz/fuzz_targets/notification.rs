//! NOTIFICATION bodies: decode, the shutdown-communication and naming helpers, round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rexa::bgp::Notification;
use rexa_fuzz::exercise_notification;

fuzz_target!(|data: &[u8]| {
    let Ok(notification) = Notification::decode(data) else {
        assert!(
            data.len() < 2,
            "a body of two bytes or more is a NOTIFICATION"
        );
        return;
    };
    exercise_notification(&notification);
    let mut again = Vec::new();
    notification.encode_body(&mut again);
    assert_eq!(again, data, "a NOTIFICATION re-encodes byte for byte");
});
