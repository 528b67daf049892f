//! Fuzz target: any bytes, read as (lossy) UTF-8, given to the configuration parser and to
//! the env-file reader: an error or a value, never a panic. What parses is also dumped.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(config) = rexa::config::parse(&text, "fuzz.conf") {
        let _ = rexa::config::dump::dump(&config);
    }
    let mut env = rexa::config::Env::default();
    if env.apply_ini(&text, "fuzz.env").is_ok() {
        let _ = env.render(false, false);
    }
});
