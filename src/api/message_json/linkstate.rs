//! BGP-LS as ExaBGP 5's JSON: NLRI objects (node, link and prefix descriptors) and the
//! BGP-LS attribute (type 29) object, from `bgp::linkstate`'s parsed TLVs.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::bgp::linkstate::{address, all_tlvs, attribute_tlv, AttributeTlv, LinkStateNlri};
use crate::bgp::wire::Reader;

/// ExaBGP 5's JSON object for a BGP-LS NLRI; node and prefix NLRI also show the
/// MP_REACH next-hop (`"None"` without one, as in withdrawals).
pub fn nlri_json(route: &LinkStateNlri, next_hop: Option<IpAddr>) -> String {
    try_nlri_json(route, next_hop).unwrap_or_else(|| {
        let mut out = format!(
            "{{ \"code\": {}, \"parsed\": false, \"raw\": \"",
            route.code()
        );
        push_hex(&mut out, route.raw());
        out.push_str("\" }");
        out
    })
}

fn try_nlri_json(route: &LinkStateNlri, next_hop: Option<IpAddr>) -> Option<String> {
    let mut r = Reader::new(route.raw().get(4..)?);
    let protocol = r.u8()?;
    let identifier = r.u64()?;
    let name = match route.code() {
        1 => "bgpls-node",
        2 => "bgpls-link",
        3 => "bgpls-prefix-v4",
        4 => "bgpls-prefix-v6",
        _ => return None,
    };
    let descriptors = all_tlvs(r.rest())?;
    let mut out = String::new();
    let _ = write!(
        out,
        "{{ \"ls-nlri-type\": \"{name}\", \"l3-routing-topology\": {identifier}, \"protocol-id\": {protocol}"
    );
    let mut interfaces = Vec::new();
    let mut neighbors = Vec::new();
    let mut topologies = Vec::new();
    let mut link_ids = Vec::new();
    let mut prefix = None;
    let mut route_type = None;
    for (code, value) in &descriptors {
        match (route.code(), *code) {
            (1 | 3 | 4, 256) => {
                out.push_str(", \"node-descriptors\": ");
                node_descriptors(&mut out, value)?;
            }
            (2, 256) => {
                out.push_str(", \"local-node-descriptors\": ");
                node_descriptors(&mut out, value)?;
            }
            (2, 257) => {
                out.push_str(", \"remote-node-descriptors\": ");
                node_descriptors(&mut out, value)?;
            }
            (2, 258) => {
                let mut v = Reader::new(value);
                let local = v.u32()?;
                let remote = v.u32()?;
                link_ids.push(format!(
                    "{{ \"link-local-id\": {local}, \"link-remote-id\": {remote} }}"
                ));
            }
            (2, 259 | 261) => interfaces.push(format!("\"{}\"", address(value)?)),
            (2, 260 | 262) => neighbors.push(format!("\"{}\"", address(value)?)),
            (_, 263) => {
                for pair in value.chunks(2) {
                    if let [a, b] = pair {
                        topologies.push((u16::from_be_bytes([*a, *b]) & 0x0FFF).to_string());
                    }
                }
            }
            (3 | 4, 264) => route_type = Some(*value.first()?),
            (3 | 4, 265) => {
                let (len, rest) = value.split_first()?;
                let ipv6 = route.code() == 4;
                let mut full = [0u8; 16];
                full.get_mut(..rest.len())?.copy_from_slice(rest);
                let address = if ipv6 {
                    IpAddr::V6(Ipv6Addr::from(full))
                } else {
                    let [a, b, c, d, ..] = full;
                    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
                };
                prefix = Some((address, *len));
            }
            _ => {}
        }
    }
    if route.code() == 2 {
        let _ = write!(
            out,
            ", \"interface-addresses\": {}, \"neighbor-addresses\": {}, \"multi-topology-ids\": {}, \"link-identifiers\": {}",
            spaced_list(&interfaces),
            spaced_list(&neighbors),
            spaced_list(&topologies),
            spaced_list(&link_ids)
        );
    }
    if let Some((address, len)) = prefix {
        let _ = write!(
            out,
            ", \"ip-reachability-tlv\": \"{address}\", \"ip-reach-prefix\": \"{address}/{len}\""
        );
    }
    if route.code() != 2 {
        match next_hop {
            Some(next_hop) => {
                let _ = write!(out, ", \"nexthop\": \"{next_hop}\"");
            }
            // Withdrawn routes: ExaBGP prints Python's None as a string.
            None => out.push_str(", \"nexthop\": \"None\""),
        }
    }
    if let Some(route_type) = route_type {
        let _ = write!(out, ", \"ospf-route-type\": {route_type}");
    }
    out.push_str(" }");
    Some(out)
}

/// `[ a, b ]`, or `[  ]` (two spaces) when empty, as ExaBGP writes BGP-LS lists.
fn spaced_list(items: &[String]) -> String {
    format!("[ {} ]", items.join(", "))
}

/// `[ { "autonomous-system": 1 }, ... ]`: one object per node descriptor sub-TLV.
fn node_descriptors(out: &mut String, value: &[u8]) -> Option<()> {
    let mut items = Vec::new();
    for (code, v) in all_tlvs(value)? {
        let item = match code {
            512 => format!("{{ \"autonomous-system\": {} }}", Reader::new(v).u32()?),
            513 => format!("{{ \"bgp-ls-identifier\": \"{}\" }}", Reader::new(v).u32()?),
            514 => format!("{{ \"ospf-area-id\": \"{}\" }}", address(v)?),
            515 => match v.len() {
                4 => format!("{{ \"router-id\": \"{}\" }}", address(v)?),
                8 => {
                    let router = address(v.get(..4)?)?;
                    let dr = address(v.get(4..)?)?;
                    format!("{{ \"router-id\": \"{router}\", \"designated-router-id\": \"{dr}\" }}")
                }
                7 => {
                    let mut hex = String::new();
                    push_hex(&mut hex, v);
                    format!("{{ \"router-id\": \"{hex}\", \"psn\": \"{}\" }}", v.get(6)?)
                }
                _ => {
                    let mut hex = String::new();
                    push_hex(&mut hex, v);
                    format!("{{ \"router-id\": \"{hex}\" }}")
                }
            },
            _ => continue,
        };
        items.push(item);
    }
    out.push_str(&spaced_list(&items));
    Some(())
}

/// `text` as a JSON string: quotes, backslashes and control characters (as `\u00xx`)
/// escaped, other characters as they are. Not [`crate::api::json::escape_into`]: the
/// BGP-LS node name has always been written this way, and its bytes are kept.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for byte in bytes {
        let _ = write!(out, "{byte:02X}");
    }
}

/// `{"X": 0, ...}`: one key per named bit from the most significant, then RSV.
fn flags_text(byte: u8, names: &[&str]) -> String {
    let mut out = String::from("{");
    for (index, name) in names.iter().enumerate() {
        let bit = (byte >> (7 - index)) & 1;
        let _ = write!(out, "\"{name}\": {bit}, ");
    }
    out.push_str("\"RSV\": 0}");
    out
}

/// A bandwidth as Python prints the float (`1e+17` with its sign).
fn float_text(value: f32) -> String {
    let text = format!("{:?}", f64::from(value));
    if text.contains('e') && !text.contains("e-") {
        return text.replace('e', "e+");
    }
    text
}

/// How an attribute TLV is shown: its own key (repeated when the TLV is), or an item of
/// a list under the first key of its kind (`spaced`: `[ a, b ]` rather than `[a, b]`).
enum Shown {
    Key(&'static str, String),
    Item(String, String, bool),
}

/// One key of the attribute object: a single value, or a list (`spaced` as in [`Shown`]).
enum Entry {
    Single(String),
    List(Vec<String>, bool),
}

/// One parsed attribute TLV as ExaBGP 5 shows it.
fn shown(tlv: &AttributeTlv<'_>) -> Vec<Shown> {
    let key = |name: &'static str, text: String| vec![Shown::Key(name, text)];
    match tlv {
        AttributeTlv::NodeName(name) => {
            key("node-name", json_string(&String::from_utf8_lossy(name)))
        }
        AttributeTlv::AreaId(id) => key("area-id", format!("\"{id}\"")),
        AttributeTlv::LocalTeRouterId(ip) => vec![Shown::Item(
            "local-te-router-ids".to_owned(),
            format!("\"{ip}\""),
            false,
        )],
        AttributeTlv::RemoteTeRouterId(ip) => key("remote-te-router-id", format!("\"{ip}\"")),
        AttributeTlv::SrCapabilities { flags, ranges } => {
            let ranges: Vec<String> = ranges
                .iter()
                .map(|(range, sid)| format!("[{range}, {sid}]"))
                .collect();
            vec![
                Shown::Key("sr-capability-flags", flags_text(*flags, &["I", "V"])),
                Shown::Key("sids", format!("[{}]", ranges.join(", "))),
            ]
        }
        AttributeTlv::SrAlgorithms(algorithms) => {
            let algorithms: Vec<String> = algorithms.iter().map(u8::to_string).collect();
            key("sr-algorithms", format!("[{}]", algorithms.join(", ")))
        }
        AttributeTlv::AdminGroupMask(mask) => key("admin-group-mask", mask.to_string()),
        AttributeTlv::MaxLinkBandwidth(b) => key("maximum-link-bandwidth", float_text(*b)),
        AttributeTlv::MaxReservableBandwidth(b) => {
            key("maximum-reservable-link-bandwidth", float_text(*b))
        }
        AttributeTlv::UnreservedBandwidth(list) => {
            let floats: Vec<String> = list.iter().map(|b| float_text(*b)).collect();
            key("unreserved-bandwidth", format!("[{}]", floats.join(", ")))
        }
        AttributeTlv::TeMetric(metric) => key("te-metric", metric.to_string()),
        AttributeTlv::IgpMetric(metric) => key("igp-metric", metric.to_string()),
        AttributeTlv::SrAdjacency {
            flags,
            weight,
            sids,
            undecoded,
        } => {
            let sids: Vec<String> = sids.iter().map(u32::to_string).collect();
            let undecoded = undecoded.map_or_else(String::new, |rest| {
                let mut hex = String::from("\"");
                push_hex(&mut hex, rest);
                hex.push('"');
                hex
            });
            key(
                "sr-adj",
                format!(
                    "{{\"flags\": {}, \"sids\": [{}], \"weight\": {weight}, \"undecoded-sids\": [{undecoded}]}}",
                    flags_text(*flags, &["F", "B", "V", "L", "S", "P"]),
                    sids.join(", "),
                ),
            )
        }
        AttributeTlv::Srv6EndX {
            behavior,
            flags,
            algorithm,
            weight,
            lan_neighbor,
            sid,
            structure,
        } => {
            let flags = flags_text(*flags, &["B", "S", "P"]);
            let neighbor = lan_neighbor.map_or_else(String::new, |id| {
                let mut hex = String::new();
                push_hex(&mut hex, id);
                format!(", \"neighbor-id\": \"{hex}\"")
            });
            let structure = structure.map_or_else(String::new, |[block, node, function, argument]| {
                format!(
                    ", \"srv6-sid-structure\": {{\"loc_block_len\": {block}, \"loc_node_len\": {node}, \"func_len\": {function}, \"arg_len\": {argument}}}"
                )
            });
            let text = format!(
                "{{\"flags\": {flags}{neighbor}, \"behavior\": {behavior}, \"algorithm\": {algorithm}, \"weight\": {weight}, \"sid\": \"{sid}\"{structure}}}"
            );
            let name = if lan_neighbor.is_some() {
                "srv6-lan-endx-isis"
            } else {
                "srv6-endx"
            };
            vec![Shown::Item(name.to_owned(), text, true)]
        }
        AttributeTlv::PrefixMetric(metric) => key("prefix-metric", metric.to_string()),
        AttributeTlv::SrPrefixFlags(flags) => key(
            "sr-prefix-attribute-flags",
            flags_text(*flags, &["X", "R", "N"]),
        ),
    }
}

/// ExaBGP 5's JSON object for a BGP-LS attribute value (`{ "igp-metric": 1 }`), or None
/// when its TLVs do not parse. Keys follow the TLVs' order; TLVs without a rendering are
/// shown as `"generic-lsid-<code>": ["0x<HEX>"]`, repeated ones gathered in one list.
pub fn attribute_json(value: &[u8]) -> Option<String> {
    // Keys in first-seen order.
    let mut entries: Vec<(String, Entry)> = Vec::new();
    for (code, v) in all_tlvs(value)? {
        let shown = attribute_tlv(code, v)
            .map(|tlv| shown(&tlv))
            .unwrap_or_else(|| {
                let mut hex = String::from("\"0x");
                push_hex(&mut hex, v);
                hex.push('"');
                vec![Shown::Item(format!("generic-lsid-{code}"), hex, false)]
            });
        for item in shown {
            match item {
                Shown::Key(key, text) => entries.push((key.to_owned(), Entry::Single(text))),
                Shown::Item(key, text, spaced) => {
                    let list = entries.iter_mut().find_map(|(k, e)| match e {
                        Entry::List(items, _) if *k == key => Some(items),
                        _ => None,
                    });
                    match list {
                        Some(items) => items.push(text),
                        None => entries.push((key, Entry::List(vec![text], spaced))),
                    }
                }
            }
        }
    }
    let mut out = String::from("{ ");
    for (index, (key, entry)) in entries.iter().enumerate() {
        if index > 0 {
            out.push_str(", ");
        }
        let _ = write!(out, "\"{key}\": ");
        match entry {
            Entry::Single(text) => out.push_str(text),
            Entry::List(items, true) => {
                let _ = write!(out, "[ {} ]", items.join(", "));
            }
            Entry::List(items, false) => {
                let _ = write!(out, "[{}]", items.join(", "));
            }
        }
    }
    out.push_str(" }");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::linkstate::BGP_LS_FAMILY;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn link_nlri_json() {
        let bytes = hex("0002005103000000000000000001000020020000040000000102010004C0A87A7E0202000400000000020300040A0A0A0A01010020020000040000000102010004C0A87A7E0202000400000000020300040A020202");
        let routes = LinkStateNlri::decode_all(&bytes, BGP_LS_FAMILY).unwrap();
        assert_eq!(
            nlri_json(&routes[0], None),
            r#"{ "ls-nlri-type": "bgpls-link", "l3-routing-topology": 0, "protocol-id": 3, "local-node-descriptors": [ { "autonomous-system": 1 }, { "bgp-ls-identifier": "3232266878" }, { "ospf-area-id": "0.0.0.0" }, { "router-id": "10.10.10.10" } ], "remote-node-descriptors": [ { "autonomous-system": 1 }, { "bgp-ls-identifier": "3232266878" }, { "ospf-area-id": "0.0.0.0" }, { "router-id": "10.2.2.2" } ], "interface-addresses": [  ], "neighbor-addresses": [  ], "multi-topology-ids": [  ], "link-identifiers": [  ] }"#
        );
    }

    #[test]
    fn malformed_nlri_is_shown_unparsed() {
        let routes = LinkStateNlri::decode_all(&[0, 1, 0, 1, 9], BGP_LS_FAMILY).unwrap();
        assert_eq!(
            nlri_json(&routes[0], None),
            r#"{ "code": 1, "parsed": false, "raw": "0001000109" }"#
        );
    }

    #[test]
    fn node_name_is_a_json_string() {
        assert_eq!(
            attribute_json(&hex("04020004613C225C")).as_deref(),
            Some(r#"{ "node-name": "a<\"\\" }"#)
        );
        assert_eq!(
            attribute_json(&hex("0402000101")).as_deref(),
            Some(r#"{ "node-name": "\u0001" }"#)
        );
    }

    #[test]
    fn bandwidths_are_finite_json_numbers() {
        assert_eq!(
            attribute_json(&hex("044100044CEE6B28")).as_deref(),
            Some(r#"{ "maximum-link-bandwidth": 125000000.0 }"#)
        );
        assert_eq!(
            attribute_json(&hex("044100045C000000")).as_deref(),
            Some(r#"{ "maximum-link-bandwidth": 1.4411518807585587e+17 }"#)
        );
    }

    #[test]
    fn attribute_metrics_and_unknown() {
        assert_eq!(
            attribute_json(&hex("04470003000001")).as_deref(),
            Some(r#"{ "igp-metric": 1 }"#)
        );
        assert_eq!(
            attribute_json(&hex("010A0002010A")).as_deref(),
            Some(r#"{ "generic-lsid-266": ["0x010A"] }"#)
        );
        assert_eq!(attribute_json(&hex("0447")), None);
    }
}
