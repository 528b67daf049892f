//! Byte-exact golden tests of the text encoder (`encoder text`) against what ExaBGP 5.0.15
//! wrote: message events from its text encoder fed the hand-built and `.ci` messages of
//! the JSON golden files (`tests/data/text_events/exabgp5_text_decode*.tsv`, made by
//! `tests/data/text_events/exabgp_text.py`), and a live session capture.

mod support;

use std::ffi::OsString;

use rexa::api::json::{Direction, Envelope, EventHead, RawMessage, FORMAT_VERSION_5};
use rexa::api::text::{self, UpdateTextOptions};
use rexa::bgp::open::Open;
use rexa::bgp::update::Update;
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
fn same_text_as_exabgp5_with_own_configurations() {
    // AIGP shown when the neighbor enables it (configurations in text_events/configs).
    let checked = check_golden(include_str!("data/text_events/exabgp5_text_extra.tsv"));
    assert!(checked >= 2, "only {checked} golden cases found");
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
            let (update, error) = Update::decode_rfc7606(framed.body, &ctx.negotiated)
                .map_err(|e| e.to_string())?
                .into_parts();
            let options = UpdateTextOptions::from(setup.json);
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
    let own_configs =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/text_events/configs");
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
                let own = own_configs.join(name);
                let path = if own.exists() {
                    own
                } else {
                    configs.join(name)
                };
                args.push(path.into_os_string());
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

// ---------------------------------------------------------------------------------------
// Live sessions: what ExaBGP 5.0.15 wrote to `encoder text` helpers (see
// tests/data/text_events/live/README.md), replayed event by event.
// ---------------------------------------------------------------------------------------

const LIVE_PARSED: &str = include_str!("data/text_events/live/b1_parsed.txt");
const LIVE_CONSOLIDATE: &str = include_str!("data/text_events/live/b2_consolidate.txt");
const LIVE_PACKETS: &str = include_str!("data/text_events/live/b3_packets.txt");

/// The message (header, body) of an event whose text does not carry it.
type BytesLookup<'a> = dyn Fn(&str) -> Option<(Vec<u8>, Vec<u8>)> + 'a;

/// Splits a capture into events as ExaBGP wrote them: an UPDATE block up to its `end`
/// line, an OPERATIONAL line alone, any other line with the blank line after it.
fn split_events(capture: &str) -> Vec<&str> {
    let mut events = Vec::new();
    let mut rest = capture;
    while !rest.is_empty() {
        let first_line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let first_line = &rest[..first_line_end];
        let end = if first_line.ends_with(" update start\n") {
            let end_line = rest.find(" update end\n").expect("update block ends") + 12;
            end_line + usize::from(rest[end_line..].starts_with('\n'))
        } else if first_line.contains(" operational ") {
            first_line_end
        } else {
            first_line_end + usize::from(rest[first_line_end..].starts_with('\n'))
        };
        events.push(&rest[..end]);
        rest = &rest[end..];
    }
    events
}

fn hex_after<'a>(text: &'a str, key: &str) -> Option<Vec<u8>> {
    let start = text.find(key)? + key.len();
    let digits: &'a str = text[start..]
        .split(|c: char| !c.is_ascii_hexdigit())
        .next()
        .unwrap_or_default();
    Some(parse_hex(digits).expect("hex in capture"))
}

/// The event text with its raw bytes removed (what a helper without `consolidate` sees).
fn without_raw(event: &str) -> String {
    let mut text = String::new();
    for line in event.split_inclusive('\n') {
        if line.starts_with(" header ") {
            continue;
        }
        match line.find(" header 0x") {
            Some(at) => {
                text.push_str(&line[..at]);
                text.push('\n');
            }
            None => text.push_str(line),
        }
    }
    text
}

/// Message bytes (header, body) by the text of their event without raw bytes, from the
/// consolidated capture (the same session messages as the parsed one).
fn bytes_by_text() -> std::collections::HashMap<String, (Vec<u8>, Vec<u8>)> {
    let mut map = std::collections::HashMap::new();
    for event in split_events(LIVE_CONSOLIDATE) {
        if let Some(header) = hex_after(event, " header 0x") {
            let body = hex_after(event, " body 0x").unwrap_or_default();
            map.insert(without_raw(event), (header, body));
        }
    }
    map
}

/// Renders one captured event again from its inputs: the message bytes come from the
/// event itself (consolidate, packets) or from `lookup`.
fn replay_event(event: &str, lookup: &BytesLookup<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    let words: Vec<&str> = event.split_whitespace().collect();
    if words.first() == Some(&"shutdown") {
        let envelope = Envelope {
            pid: words[1].parse().unwrap(),
            ppid: words[2].parse().unwrap(),
            ..ENVELOPE
        };
        text::write_shutdown_event(&mut out, &envelope);
        return out;
    }
    let neighbor = rexa::api::json::NeighborIdentity {
        local_address: "127.0.0.151".parse().unwrap(),
        peer_address: words[1].parse().unwrap(),
        local_asn: 65151,
        peer_asn: 65150,
        router_id: None,
    };
    let mut head = EventHead {
        envelope: &ENVELOPE,
        counter: 1,
        kind: "x",
        raw: None,
        neighbor: &neighbor,
    };
    match words[2] {
        "connected" | "up" => {
            text::write_state_event(&mut out, &head, words[2], None);
            return out;
        }
        "down" => {
            let reason = event
                .split_once(" down - ")
                .unwrap()
                .1
                .trim_end_matches('\n');
            text::write_state_event(&mut out, &head, "down", Some(reason));
            return out;
        }
        _ => {}
    }
    let direction = match words[2] {
        "receive" => Direction::Receive,
        "send" => Direction::Send,
        other => panic!("unknown event {other}: {event}"),
    };
    let (header, body) = match hex_after(event, " header 0x") {
        Some(header) => (header, hex_after(event, " body 0x").unwrap_or_default()),
        None if words[3] == "keepalive" => (Vec::new(), Vec::new()),
        None => lookup(event).unwrap_or_else(|| panic!("no bytes for {event:?}")),
    };
    let consolidated = event.contains(" header 0x");
    if consolidated {
        head.raw = Some(RawMessage {
            header: &header,
            body: &body,
        });
    }
    match words[3] {
        "keepalive" => text::write_keepalive(&mut out, &head, direction),
        "open" => {
            let open = Open::decode(&body).unwrap_or_else(|e| malformed(e, event));
            text::write_open_event(&mut out, &head, direction, &open);
        }
        "notification" => {
            let notification = Notification::decode(&body).unwrap_or_else(|e| malformed(e, event));
            text::write_notification(&mut out, &head, direction, &notification);
        }
        "route-refresh" => {
            let refresh = rexa::bgp::refresh::RouteRefresh::decode(&body)
                .unwrap_or_else(|e| malformed(e, event));
            text::write_refresh(&mut out, &head, direction, &refresh);
        }
        "operational" => {
            let operational = rexa::bgp::operational::Operational::decode(&body)
                .unwrap_or_else(|e| malformed(e, event));
            text::write_operational(&mut out, &head, direction, &operational);
        }
        "update" => {
            let ctx = rexa::bgp::Negotiated {
                families: vec![
                    rexa::bgp::Family::IPV4_UNICAST,
                    rexa::bgp::Family::IPV4_NLRI_MPLS,
                    rexa::bgp::Family::IPV4_MPLS_VPN,
                    rexa::bgp::Family::IPV6_UNICAST,
                ],
                ..rexa::bgp::Negotiated::default()
            };
            // A live session: treat-as-withdraw withdraws the routes.
            let mut decoded =
                Update::decode_rfc7606(&body, &ctx).unwrap_or_else(|e| malformed(e, event));
            if decoded.treat_as_withdraw.is_some() {
                decoded.withdraw_routes();
            }
            let (update, error) = decoded.into_parts();
            let options = UpdateTextOptions::default();
            text::write_update_event(&mut out, &head, direction, &update, error, options);
        }
        number => {
            assert_eq!(number, header[18].to_string(), "{event}");
            text::write_raw_message_event(&mut out, &head, direction, &header, &body);
        }
    }
    out
}

fn malformed<T>(error: impl std::fmt::Display, event: &str) -> T {
    panic!("{error}: {event}")
}

/// Replays every event of a capture; returns how many there were.
fn replay(capture: &str, lookup: &BytesLookup<'_>) -> usize {
    let events = split_events(capture);
    assert_eq!(events.concat(), capture, "the split loses nothing");
    let mut failures = Vec::new();
    for event in &events {
        let actual = String::from_utf8(replay_event(event, lookup)).unwrap();
        if actual != *event {
            failures.push(format!("exabgp {event:?}\nrexa   {actual:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    events.len()
}

#[test]
fn live_session_with_raw_bytes() {
    // `receive { parsed; packets; consolidate; ... }`: every message event carries its bytes.
    let count = replay(LIVE_CONSOLIDATE, &|_| None);
    assert!(count >= 25, "{count} events");
}

#[test]
fn live_session_raw_packets() {
    // `packets` without `consolidate`: `neighbor <ip> <dir> <type> header .. body ..`.
    let count = replay(LIVE_PACKETS, &|_| None);
    assert!(count >= 25, "{count} events");
}

#[test]
fn live_session_parsed() {
    // `parsed` only: the bytes come from the same messages in the consolidated capture,
    // or are rebuilt for the events only this session had.
    let known = bytes_by_text();
    let marker = [0xffu8; 16];
    let with_header = |message_type: u8, body: Vec<u8>| {
        let mut header = marker.to_vec();
        header.extend_from_slice(&u16::try_from(body.len() + 19).unwrap().to_be_bytes());
        header.push(message_type);
        Some((header, body))
    };
    let lookup = |event: &str| -> Option<(Vec<u8>, Vec<u8>)> {
        if let Some(found) = known.get(event) {
            return Some(found.clone());
        }
        if event.contains(" send open ") {
            // The same OPEN as the other session's, but for this router-id.
            let other = event.replace("router_id 10.0.0.151", "router_id 10.0.0.152");
            let (header, mut body) = known.get(&other)?.clone();
            body[5..9].copy_from_slice(&[10, 0, 0, 151]);
            return Some((header, body));
        }
        if event.contains(" receive notification code 6 subcode 2 ") {
            let mut body = vec![6, 2, 23];
            body.extend_from_slice(b"Administrative Shutdown");
            return with_header(3, body);
        }
        if event.contains(" send notification code 6 subcode 4 ") {
            let mut body = vec![6, 4, 20];
            body.extend_from_slice(b"Administrative Reset");
            return with_header(3, body);
        }
        None
    };
    let count = replay(LIVE_PARSED, &lookup);
    assert!(count >= 60, "{count} events");
}
