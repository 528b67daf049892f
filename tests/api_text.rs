//! Byte-exact golden tests of the text encoder (`encoder text`) against what ExaBGP 5.0.15
//! wrote: message events from its text encoder fed the hand-built and `.ci` messages of
//! the JSON golden files (`tests/data/text_events/exabgp5_text_decode*.tsv`, made by
//! `tests/data/text_events/exabgp_text.py`), and a live session capture.

mod support;

use std::ffi::OsString;

use rexa::api::json::{Direction, Envelope, EventHead, RawMessage, FORMAT_VERSION_5};
use rexa::api::message_json::decode_update_for_report;
use rexa::api::text::{self, UpdateTextOptions};
use rexa::bgp::open::Open;
use rexa::bgp::Notification;
use rexa::cli::decode::{frame, parse_args, parse_hex, DecodeSetup, Request};

const ENVELOPE: Envelope<'static> = Envelope {
    version: FORMAT_VERSION_5,
    time: 1700000000.5,
    host: "rtr1",
    pid: 4242,
    ppid: 1,
};

#[test]
fn same_text_as_exabgp5() {
    let checked = check_golden(include_str!("data/text_events/exabgp5_text_decode.tsv"));
    assert!(checked >= 55, "only {checked} golden cases found");
}

#[test]
fn same_text_as_exabgp5_for_ci_messages() {
    let checked = check_golden(include_str!("data/text_events/exabgp5_text_decode_ci.tsv"));
    assert!(checked >= 75, "only {checked} golden cases found");
}

/// Cases rexa cannot reproduce, with the reason.
const SKIPPED: &[(&str, &str)] = &[(
    "unknown-message.ci:3",
    "ExaBGP's decode tool turns an unknown message type into a NOTIFICATION event",
)];

/// Renders one message the way the daemon would for a text helper.
fn render(setup: &DecodeSetup, bytes: &[u8], with_raw: bool) -> Result<Vec<u8>, String> {
    let ctx = &setup.context;
    let framed = frame(bytes, ctx.kind).map_err(|e| e.to_string())?;
    let header = bytes.get(..19).unwrap_or_default();
    let head = EventHead {
        envelope: &ENVELOPE,
        counter: 1,
        kind: "x",
        raw: with_raw.then_some(RawMessage {
            header,
            body: framed.body,
        }),
        neighbor: &ctx.neighbor,
    };
    let direction = Direction::Receive;
    let mut out = Vec::new();
    match framed.message_type {
        1 => {
            let open = Open::decode(framed.body).map_err(|e| e.to_string())?;
            text::write_open_event(&mut out, &head, direction, &open);
        }
        2 => {
            let (update, error) = decode_update_for_report(framed.body, &ctx.negotiated, false)
                .map_err(|e| e.to_string())?;
            let options = UpdateTextOptions {
                aigp: setup.json.aigp,
            };
            text::write_update_event(&mut out, &head, direction, &update, error, options);
        }
        3 => {
            let notification = Notification::decode(framed.body).map_err(|e| e.to_string())?;
            text::write_notification(&mut out, &head, direction, &notification);
        }
        other => return Err(format!("message type {other} not in the golden set")),
    }
    Ok(out)
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
        let [name, options, hex, plain, with_raw] = fields.as_slice() else {
            panic!("malformed golden line: {line}");
        };
        if SKIPPED.iter().any(|(skipped, _)| skipped == name) {
            continue;
        }
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
        let bytes = parse_hex(options.hex.as_deref().unwrap_or_default()).expect("hex");
        for (expected, raw) in [(plain, false), (with_raw, true)] {
            let expected = expected.replace("<LF>", "\n");
            match render(&setup, &bytes, raw) {
                Ok(out) => {
                    let actual = String::from_utf8(out).expect("UTF-8");
                    if actual != expected {
                        failures.push(format!(
                            "{name} (raw {raw}):\n  exabgp {expected:?}\n  rexa   {actual:?}"
                        ));
                    }
                }
                Err(e) => failures.push(format!("{name}: {e}")),
            }
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    checked
}
