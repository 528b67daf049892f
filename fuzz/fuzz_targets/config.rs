//! Fuzz target: any bytes, read as (lossy) UTF-8 configuration text, give an error or a
//! `Config` — never a panic. Also exercises the dump of whatever parsed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(config) = rexa::config::parse(&text, "fuzz.conf") {
        let _ = rexa::config::dump::dump(&config);
    }
});
