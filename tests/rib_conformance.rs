//! The adj-rib-out against ExaBGP's encoding vectors: for each `.ci` file whose
//! configuration only holds static/announce routes, build the neighbor's RIB as the daemon
//! would after the test peer echoes our OPEN, drain it, and match the UPDATEs to the file's
//! `raw:` lines with the test peer's order rules (api.md §11.2: any order within a step,
//! every message of step N before step N+1, nothing checked once all are matched).

mod support;

use std::collections::BTreeMap;

use rexa::bgp::negotiated::{Negotiated, EXTENDED_MAX_MESSAGE, STANDARD_MAX_MESSAGE};
use rexa::config::{self, AddPathMode, AsnSetting, Neighbor, ParseOptions};
use rexa::rib::load_configured;
use rexa::rib::{AdjRibOut, Drained, RibOptions, SendContext};
use support::conformance::{ci_files, hex_string as hex, CiEntry, CiFile};

/// What happened to one file.
enum Outcome {
    /// Every expected message was sent (how many).
    Identical(usize),
    /// Not about the adj-rib-out (OPEN inspection, NOTIFICATION, API actions).
    NotRib(String),
    Different(String),
}

/// An End-of-RIB: an empty UPDATE (IPv4 unicast) or one holding only an MP_UNREACH_NLRI
/// with an AFI/SAFI and no route.
fn is_end_of_rib(message: &[u8]) -> bool {
    let body = message.get(19..).unwrap_or_default();
    body == [0, 0, 0, 0]
        || (body.len() == 11 && body.starts_with(&[0, 0, 0, 7]) && body[5..8] == [0x0F, 0, 3])
}

/// The session the test peer's echo of our OPEN gives.
fn echoed_session(neighbor: &Neighbor, peer_asn: Option<u32>) -> SendContext {
    let caps = &neighbor.capabilities;
    let families = neighbor.families.clone();
    let addpath: Vec<_> = if caps.add_path == AddPathMode::SendReceive {
        if neighbor.add_path.is_empty() {
            families.clone()
        } else {
            neighbor
                .add_path
                .iter()
                .map(|a| a.family)
                .filter(|f| families.contains(f))
                .collect()
        }
    } else {
        Vec::new()
    };
    let extended_nexthop = if caps.nexthop {
        neighbor
            .nexthop
            .iter()
            .filter(|n| families.contains(&n.family))
            .map(|n| (n.family, n.nexthop_afi))
            .collect()
    } else {
        Vec::new()
    };
    let negotiated = Negotiated {
        asn4: caps.asn4,
        families,
        addpath_receive: addpath.clone(),
        addpath_send: addpath,
        extended_nexthop,
        max_message_size: if caps.extended_message {
            EXTENDED_MAX_MESSAGE
        } else {
            STANDARD_MAX_MESSAGE
        },
    };
    let local_as = match neighbor.local_as {
        AsnSetting::Asn(n) => n,
        AsnSetting::Auto => 0,
    };
    let mut session = SendContext::new(negotiated, local_as, peer_asn.unwrap_or(local_as));
    // The test peer echoes the OPEN, so the link-local next-hop capability is negotiated
    // when configured.
    session.link_local_nexthop = caps.link_local_nexthop == Some(true);
    session
}

/// Splits concatenated messages.
fn split_messages(mut bytes: &[u8]) -> Vec<&[u8]> {
    let mut messages = Vec::new();
    while bytes.len() >= 19 {
        let len = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
        if len < 19 || len > bytes.len() {
            break;
        }
        messages.push(&bytes[..len]);
        bytes = &bytes[len..];
    }
    messages
}

fn run(file: &CiFile) -> Outcome {
    for option in ["inspect-open-message", "send-unknown-message"] {
        if file.option("open") == Some(option) {
            return Outcome::NotRib(format!("option:open:{option}"));
        }
    }
    let mut groups: BTreeMap<(char, u32), Vec<Vec<u8>>> = BTreeMap::new();
    for line in &file.lines {
        match &line.entry {
            CiEntry::Raw { bytes, .. } => {
                if bytes.get(18) != Some(&2) {
                    return Outcome::NotRib(format!(
                        "line {}: expects a non-UPDATE message",
                        line.line
                    ));
                }
                let conn = line.connection.unwrap_or('A').to_ascii_uppercase();
                groups
                    .entry((conn, line.step))
                    .or_default()
                    .push(bytes.clone());
            }
            CiEntry::Other { kind, .. } => {
                return Outcome::NotRib(format!("line {}: test-peer action {kind}", line.line))
            }
            _ => {}
        }
    }
    if groups.keys().any(|(conn, _)| *conn != 'A') {
        return Outcome::NotRib("several connections".into());
    }
    let configurations = file.configurations();
    let Some(path) = configurations.first() else {
        return Outcome::NotRib("no configuration".into());
    };
    let config = match config::load(path, &ParseOptions::default()) {
        Ok(config) => config,
        Err(e) => return Outcome::Different(format!("configuration does not parse: {e}")),
    };
    if !config.processes.is_empty() {
        return Outcome::NotRib("needs a helper process".into());
    }
    let Some(neighbor) = config.neighbors.first() else {
        return Outcome::NotRib("no neighbor".into());
    };
    let peer_asn = file.option("asn").and_then(|a| a.parse().ok());
    let session = echoed_session(neighbor, peer_asn);
    let mut rib = AdjRibOut::new(RibOptions {
        group_updates: neighbor.group_updates,
        manual_eor: neighbor.manual_eor,
        adj_rib_out: neighbor.adj_rib_out,
        local_link_local: neighbor
            .local_link_local
            .filter(|_| neighbor.capabilities.link_local_nexthop == Some(true)),
    });
    let report = load_configured(&neighbor.route_context(), &neighbor.routes, &mut rib);
    if let Some(error) = report.errors.first() {
        return Outcome::Different(format!("a configured route was refused: {error}"));
    }
    rib.session_up(session);
    let mut out = Vec::new();
    for _ in 0..10_000 {
        if rib.drain(&mut out, 25) == Drained::Done {
            break;
        }
    }
    let produced = split_messages(&out);
    let expected: usize = groups.values().map(Vec::len).sum();
    let mut groups = groups.into_values();
    let mut current = groups.next().unwrap_or_default();
    'messages: for message in &produced {
        if message.get(18) == Some(&4) {
            continue;
        }
        while current.is_empty() {
            match groups.next() {
                Some(next) => current = next,
                // The End-of-RIB after the table: the .ci files stop listing there (ExaBGP's
                // test peer ends the check once every listed message came).
                None if is_end_of_rib(message) => continue 'messages,
                None => {
                    return Outcome::Different(format!(
                        "sent an UPDATE beyond the {expected} expected: {}",
                        hex(message)
                    ))
                }
            }
        }
        match current
            .iter()
            .position(|expected| expected.as_slice() == *message)
        {
            Some(at) => {
                current.remove(at);
            }
            None => {
                return Outcome::Different(format!(
                    "sent {}\n      expected one of:\n{}",
                    hex(message),
                    current
                        .iter()
                        .map(|e| format!("        {}", hex(e)))
                        .collect::<Vec<_>>()
                        .join("\n")
                ))
            }
        }
    }
    let missing: Vec<Vec<u8>> = current.into_iter().chain(groups.flatten()).collect();
    if missing.is_empty() {
        Outcome::Identical(expected)
    } else {
        Outcome::Different(format!(
            "{} message(s) never sent, first {}",
            missing.len(),
            hex(&missing[0])
        ))
    }
}

/// Files whose messages rexa's adj-rib-out deliberately does not reproduce, with why.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[(
    "conf-flow-redirect.ci",
    "two configured flow routes share one NLRI: ExaBGP's replace-before-send quirk \
     (reactor.md §4.3) sends both, rexa keys routes by NLRI and sends the later one",
)];

#[test]
fn rib_matches_exabgp_encoding_vectors() {
    let files = ci_files();
    let mut identical = Vec::new();
    let mut pending = Vec::new();
    let mut not_rib = Vec::new();
    let mut different = Vec::new();
    for file in &files {
        match run(file) {
            Outcome::Identical(n) => identical.push(format!("{} ({n} messages)", file.name)),
            Outcome::NotRib(why) => not_rib.push(format!("{}: {why}", file.name)),
            Outcome::Different(why) => {
                match KNOWN_DIFFERENCES
                    .iter()
                    .find(|(name, _)| *name == file.name)
                {
                    Some((_, known)) => pending.push(format!("{}: {known} ({why})", file.name)),
                    None => different.push(format!("{}: {why}", file.name)),
                }
            }
        }
    }
    let total = identical.len() + different.len();
    println!(
        "rib conformance: {}/{total} files byte-identical",
        identical.len()
    );
    for line in &identical {
        println!("  identical {line}");
    }
    for line in &different {
        println!("  DIFFERENT {line}");
    }
    for line in &pending {
        println!("  pending   {line}");
    }
    for line in &not_rib {
        println!("  not rib   {line}");
    }
    assert!(
        different.is_empty(),
        "{} file(s) differ from ExaBGP",
        different.len()
    );
    assert!(
        identical.len() >= MINIMUM_IDENTICAL,
        "only {} file(s) byte-identical, at least {MINIMUM_IDENTICAL} must be",
        identical.len()
    );
}

/// Files that must come out byte-identical (the count when this test last grew; raise it
/// as families land, never lower it).
const MINIMUM_IDENTICAL: usize = 29;
