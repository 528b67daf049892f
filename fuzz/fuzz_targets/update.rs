//! UPDATE bodies under a context chosen by the first input byte: the zero-copy view, the
//! strict and RFC 7606 lenient decoders, End-of-RIB detection, error helpers, and the
//! round trip decode → encode → decode.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rexa::bgp::update::{Decoded, Update, UpdateView};
use rexa_fuzz::{assert_round_trip, exercise_attributes, exercise_error, split_context};

fuzz_target!(|data: &[u8]| {
    let Some((ctx, body)) = split_context(data) else {
        return;
    };
    let view = UpdateView::new(body);
    if let Ok(view) = &view {
        let _ = view.end_of_rib();
        for raw in view.raw_attributes() {
            let _ = raw;
        }
        let _ = view.withdrawn(&ctx).count();
        let _ = view.announced(&ctx).count();
    }
    match Update::decode(body, &ctx) {
        Ok(update) => {
            assert!(view.is_ok(), "an UPDATE decoded whose view failed");
            exercise_attributes(&update.attributes);
            let _ = update.mp_reach().count();
            let _ = update.mp_unreach().count();
            // The view reads the wire marker; the decoded value also counts an UPDATE
            // whose attributes were all discarded (ExaBGP's rule). A wire marker is always
            // a decoded one.
            if let Some(family) = view.as_ref().ok().and_then(UpdateView::end_of_rib) {
                assert_eq!(
                    update.end_of_rib(),
                    Some(family),
                    "End-of-RIB lost in decoding"
                );
            }
            assert_round_trip("UPDATE", &update, false, |update| {
                let mut again = Vec::new();
                update.encode_body(&mut again, &ctx);
                Update::decode(&again, &ctx)
            });
        }
        Err(e) => exercise_error(&e),
    }
    match Update::decode_lenient(body, &ctx) {
        Ok(Decoded::Update(update)) => exercise_attributes(&update.attributes),
        Ok(Decoded::TreatAsWithdraw { withdraw, error }) => {
            exercise_error(&error);
            assert!(withdraw.announced.is_empty());
            assert!(withdraw.mp_reach().next().is_none());
        }
        Err(e) => exercise_error(&e),
    }
});
