//! Round-trips every UPDATE of ExaBGP's conformance data through `Update::decode` and
//! `Update::encode_body`: the bytes must come back identical (encoding/*.ci, decoding/*).

mod support;

use std::fs;
use std::path::PathBuf;

use rexa::bgp::update::{Update, UpdateView};
use rexa::bgp::{Family, Negotiated};

fn conformance_dir() -> PathBuf {
    support::conformance::conformance_dir()
}

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .collect();
    assert!(digits.len() % 2 == 0, "odd hex length: {text}");
    digits
        .chunks(2)
        .map(|pair| {
            let s = std::str::from_utf8(pair).unwrap();
            u8::from_str_radix(s, 16).unwrap_or_else(|_| panic!("bad hex {s:?} in {text}"))
        })
        .collect()
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

/// Whether the attribute encoder keeps the received extended-length flag of MP_REACH_NLRI
/// / MP_UNREACH_NLRI (`MpReach::extended_length`). Until the attributes work sets it from
/// the received flags, a difference limited to those attribute headers is tolerated.
/// TODO(merge): set to true once `Attribute::decode`/`encode` carry the flag.
const MP_FLAGS_PRESERVED: bool = true;

/// `body` with every MP_REACH/MP_UNREACH header rewritten to flags 0x80 and the shortest
/// length form; other attributes unchanged.
fn canonical_mp_headers(body: &[u8]) -> Vec<u8> {
    let view = UpdateView::new(body).unwrap();
    let mut attributes = Vec::new();
    for raw in view.raw_attributes() {
        let (flags, code, value) = raw.unwrap();
        let flags = if code == 14 || code == 15 {
            0x80
        } else {
            flags
        };
        if value.len() > 255 || flags & 0x10 != 0 {
            attributes.extend_from_slice(&[flags | 0x10, code]);
            attributes.extend_from_slice(&(value.len() as u16).to_be_bytes());
        } else {
            attributes.extend_from_slice(&[flags, code, value.len() as u8]);
        }
        attributes.extend_from_slice(value);
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(view.withdrawn_bytes().len() as u16).to_be_bytes());
    out.extend_from_slice(view.withdrawn_bytes());
    out.extend_from_slice(&(attributes.len() as u16).to_be_bytes());
    out.extend_from_slice(&attributes);
    out.extend_from_slice(view.nlri_bytes());
    out
}

/// Returns true when the bytes came back exactly, false when only MP headers differed.
fn round_trip(body: &[u8], ctx: &Negotiated, origin: &str) -> bool {
    let update =
        Update::decode(body, ctx).unwrap_or_else(|e| panic!("{origin}: decode failed: {e}"));
    let mut out = Vec::new();
    update.encode_body(&mut out, ctx);
    let expected = if MP_FLAGS_PRESERVED || out == body {
        body.to_vec()
    } else {
        canonical_mp_headers(body)
    };
    assert_eq!(
        hex_string(&out),
        hex_string(&expected),
        "{origin}: re-encoding differs"
    );
    // The zero-copy view sees the same routes.
    let view = UpdateView::new(body).unwrap();
    let announced: Vec<_> = view.announced(ctx).map(Result::unwrap).collect();
    assert_eq!(announced, update.announced, "{origin}");
    let withdrawn: Vec<_> = view.withdrawn(ctx).map(Result::unwrap).collect();
    assert_eq!(withdrawn, update.withdrawn, "{origin}");
    assert_eq!(view.end_of_rib(), update.end_of_rib(), "{origin}");
    out == body
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[test]
fn encoding_ci_updates_round_trip() {
    let dir = conformance_dir();
    let mut count = 0;
    let mut exact = 0;
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
            exact += usize::from(round_trip(body, &ctx, &origin));
            count += 1;
        }
    }
    eprintln!("{count} UPDATEs, {exact} byte-identical, the rest differ only in MP headers");
    assert!(count >= 100, "only {count} UPDATEs found");
}

#[test]
fn decoding_updates_round_trip() {
    let dir = conformance_dir();
    let mut count = 0;
    let mut exact = 0;
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
        exact += usize::from(round_trip(
            &body,
            &Negotiated::default(),
            &path.display().to_string(),
        ));
        count += 1;
    }
    eprintln!("{count} UPDATEs, {exact} byte-identical, the rest differ only in MP headers");
    assert!(count >= 10, "only {count} UPDATEs found");
}
