//! Byte-exact golden tests of `rexa decode`'s JSON against what ExaBGP 5.0.15 printed for
//! the same messages, spacing quirks included: hand-built messages
//! (`tests/data/exabgp5_decode.tsv`) and the `.ci` conformance messages decoded with their
//! configuration (`tests/data/exabgp5_decode_ci.tsv`).

mod support;

use std::ffi::OsString;

use rexa::api::json::{Envelope, FORMAT_VERSION_5};
use rexa::cli::decode::{parse_args, write_decoded_with, DecodeSetup, Request};

const ENVELOPE: Envelope<'static> = Envelope {
    version: FORMAT_VERSION_5,
    time: 1700000000.5,
    host: "rtr1",
    pid: 4242,
    ppid: 1,
};

/// The envelope rexa writes with [`ENVELOPE`], up to and including the counter.
const PREFIX: &str = r#"{ "exabgp": "5.0.0", "time": 1700000000.5, "host" : "rtr1", "pid" : 4242, "ppid" : 1, "counter": 1, "#;

#[test]
fn same_bytes_as_exabgp5() {
    let checked = check_golden(include_str!("data/exabgp5_decode.tsv"));
    assert!(checked > 60, "only {checked} golden cases found");
}

#[test]
fn same_bytes_as_exabgp5_for_ci_messages() {
    let checked = check_golden(include_str!("data/exabgp5_decode_ci.tsv"));
    assert!(checked > 75, "only {checked} golden cases found");
}

/// Checks every case of a golden file; returns how many there were.
fn check_golden(cases: &str) -> usize {
    let configs = support::conformance::conformance_dir().join("configs");
    let mut checked = 0;
    let mut failures = Vec::new();
    for line in cases
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let [name, options, hex, expected] = fields.as_slice() else {
            panic!("malformed golden line: {line}");
        };
        let mut args: Vec<OsString> = Vec::new();
        let mut words = options.split(',').filter(|o| !o.is_empty());
        while let Some(word) = words.next() {
            args.push(OsString::from(word));
            if word == "-c" {
                let name = words.next().expect("-c needs a configuration name");
                args.push(configs.join(name).into_os_string());
            }
        }
        args.push(OsString::from(*hex));
        let Ok(Request::Decode(options)) = parse_args(args) else {
            panic!("{name}: options do not parse");
        };
        let setup = DecodeSetup::from_options(&options).expect("context");
        let bytes =
            rexa::cli::decode::parse_hex(options.hex.as_deref().unwrap_or_default()).expect("hex");
        let mut out = Vec::new();
        if let Err(e) = write_decoded_with(&bytes, &setup.context, setup.json, &ENVELOPE, &mut out)
        {
            failures.push(format!("{name}: {e}"));
            continue;
        }
        let text = String::from_utf8(out).expect("UTF-8");
        let actual: Vec<&str> = text
            .lines()
            .map(|l| l.strip_prefix(PREFIX).unwrap_or(l))
            .collect();
        let expected: Vec<&str> = expected.split("<LF>").collect();
        if actual != expected {
            failures.push(format!(
                "{name}:\n  exabgp {}\n  rexa   {}",
                expected.join("\n         "),
                actual.join("\n         ")
            ));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    checked
}
