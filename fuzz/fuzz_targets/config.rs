//! Fuzz target: any bytes, read as (lossy) UTF-8 configuration text, give an error or a
//! `Config` — never a panic. Also exercises the dump of whatever parsed, and checks that
//! the streaming reader (`parse_reader`, what `config::load` uses) gives the same answer.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let whole = rexa::config::parse(&text, "fuzz.conf");
    let options = rexa::config::ParseOptions::default();
    let streamed = rexa::config::parse_reader(text.as_bytes(), "fuzz.conf", &options);
    match (&whole, &streamed) {
        (Ok(a), Ok(b)) => assert_eq!(
            rexa::config::dump::dump(a),
            rexa::config::dump::dump(b),
            "streamed and whole parses differ"
        ),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!("streamed and whole parses disagree: {whole:?} / {streamed:?}"),
    }
});
