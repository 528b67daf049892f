//! Fuzz target: any bytes, read as (lossy) UTF-8 helper command lines, give a command or an
//! error — never a panic; normalisation is idempotent and selectors match without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rexa::api::command::{self, matches_any};

const DESCRIPTION: &str = "neighbor 10.0.0.1 local-ip 10.0.0.2 local-as 65000 peer-as 65001 \
                           router-id 1.2.3.4 family-allowed in-open";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        let normal = command::normalise(line);
        assert_eq!(
            command::normalise(&normal),
            normal,
            "normalise is not idempotent"
        );
        match command::parse(line) {
            Ok(parsed) => {
                if let Some(selectors) = &parsed.selectors {
                    assert!(!selectors.is_empty(), "a neighbor prefix with no selector");
                    let _ = matches_any(selectors, DESCRIPTION);
                    let _ = matches_any(selectors, line);
                    for selector in selectors {
                        let _ = selector.to_string();
                    }
                }
                let _ = (
                    parsed.command.needs_established(),
                    parsed.command.targets_neighbors(),
                );
            }
            Err(error) => {
                let _ = error.to_string();
            }
        }
    }
});
