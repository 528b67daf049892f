//! BGP-LS NLRI as ExaBGP 5's JSON objects (node, link and prefix descriptors).

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::bgp::linkstate::{address, all_tlvs, push_hex, LinkStateNlri};
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
}
