//! Round-trips every UPDATE of ExaBGP's conformance data through `Update::decode` and
//! `Update::encode_body`: the bytes must come back identical (encoding/*.ci, decoding/*).

mod support;

use std::fs;
use std::path::PathBuf;

use rexa::bgp::update::{Update, UpdateView};
use rexa::bgp::{Family, Negotiated};
use support::conformance::hex_string;

fn conformance_dir() -> PathBuf {
    support::conformance::conformance_dir()
}

fn hex(text: &str) -> Vec<u8> {
    support::conformance::hex_bytes(text).unwrap_or_else(|| panic!("not hex: {text}"))
}

/// The words inside the first `name { ... }` block of a configuration.
fn block<'a>(config: &'a str, name: &str) -> Option<&'a str> {
    let start = config.find(&format!("{name} {{"))?;
    let rest = &config[start..];
    let open = rest.find('{')?;
    let close = rest.find('}')?;
    Some(&rest[open + 1..close])
}

fn families_in(block: &str) -> Vec<Family> {
    block
        .split(';')
        .filter_map(|entry| {
            let words: Vec<&str> = entry.split_whitespace().collect();
            match words.as_slice() {
                [afi, safi, ..] => Family::from_names(afi, safi),
                _ => None,
            }
        })
        .collect()
}

/// The session context the `.ci` file's configuration negotiates with its echoing test
/// peer: ADD-PATH on the families of the `add-path` block (or all configured families)
/// when the capability is on, 4-byte AS unless disabled.
fn context_for(config: &str) -> Negotiated {
    let mut ctx = Negotiated::default();
    if config.contains("asn4 disable") {
        ctx.asn4 = false;
    }
    let capability = block(config, "capability").unwrap_or("");
    if capability.contains("add-path send") || capability.contains("add-path receive") {
        let families = block(config, "\tadd-path")
            .or_else(|| block(config, "family"))
            .map(families_in)
            .unwrap_or_else(|| vec![Family::IPV4_UNICAST]);
        ctx.addpath_receive = families.clone();
        ctx.addpath_send = families;
    }
    ctx
}

/// Splits a whole message into (type, body), checking the length field.
fn split_message(message: &[u8]) -> (u8, &[u8]) {
    let message = match message.get(..16) {
        Some(marker) if marker == [0xFF; 16] => &message[16..],
        _ => message,
    };
    let length = usize::from(u16::from_be_bytes([message[0], message[1]]));
    assert_eq!(length, message.len() + 16, "length field of {message:02X?}");
    (message[2], &message[3..])
}

/// Decodes `body`, re-encodes it, and checks the bytes come back exactly (MP_REACH /
/// MP_UNREACH keep the received length form) and the zero-copy view agrees.
fn round_trip(body: &[u8], ctx: &Negotiated, origin: &str) {
    let update =
        Update::decode(body, ctx).unwrap_or_else(|e| panic!("{origin}: decode failed: {e}"));
    let mut out = Vec::new();
    update.encode_body(&mut out, ctx);
    assert_eq!(
        hex_string(&out),
        hex_string(body),
        "{origin}: re-encoding differs"
    );
    // The zero-copy view sees the same routes.
    let view = UpdateView::new(body).unwrap();
    let announced: Vec<_> = view.announced(ctx).map(Result::unwrap).collect();
    assert_eq!(announced, update.announced, "{origin}");
    let withdrawn: Vec<_> = view.withdrawn(ctx).map(Result::unwrap).collect();
    assert_eq!(withdrawn, update.withdrawn, "{origin}");
    assert_eq!(view.end_of_rib(), update.end_of_rib(), "{origin}");
}

#[test]
fn encoding_ci_updates_round_trip() {
    let dir = conformance_dir();
    let mut count = 0;
    let mut files: Vec<_> = fs::read_dir(dir.join("encoding"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ci"))
        .collect();
    files.sort();
    for path in files {
        let text = fs::read_to_string(&path).unwrap();
        let config = text
            .lines()
            .find_map(|l| l.strip_prefix("option:file:"))
            .map(|name| fs::read_to_string(dir.join("configs").join(name.trim())).unwrap())
            .unwrap_or_default();
        let ctx = context_for(&config);
        for (number, line) in text.lines().enumerate() {
            if line.contains('#') {
                continue;
            }
            let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            let mut fields = compact.splitn(3, ':');
            let (Some(_), Some(kind), Some(content)) =
                (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            if kind != "raw" {
                continue;
            }
            let message = hex(content);
            let (kind, body) = split_message(&message);
            if kind != 2 {
                continue;
            }
            let origin = format!("{}:{}", path.display(), number + 1);
            round_trip(body, &ctx, &origin);
            count += 1;
        }
    }
    eprintln!("{count} UPDATEs, every one byte-identical after decode and encode");
    assert!(count >= 100, "only {count} UPDATEs found");
}

#[test]
fn decoding_updates_round_trip() {
    let dir = conformance_dir();
    let mut count = 0;
    for entry in fs::read_dir(dir.join("decoding")).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        let mut lines = text.lines();
        let kind = lines.next().unwrap_or("");
        if !kind.starts_with("update") {
            continue;
        }
        let bytes = hex(lines.next().unwrap());
        let body = match bytes.get(..16) {
            Some(marker) if marker == [0xFF; 16] => split_message(&bytes).1.to_vec(),
            _ => bytes,
        };
        round_trip(&body, &Negotiated::default(), &path.display().to_string());
        count += 1;
    }
    eprintln!("{count} UPDATEs, every one byte-identical after decode and encode");
    assert!(count >= 10, "only {count} UPDATEs found");
}
