//! Each path attribute as ExaBGP renders it (api.md §7.5): the JSON key and value text the
//! JSON encoder places under `"attribute"`, and the text encoder's `name value` pair.

use std::fmt::Write as _;

use crate::bgp::attribute::{json_key, Attribute, FLAG_PARTIAL, FLAG_TRANSITIVE};

fn quoted(text: impl std::fmt::Display) -> String {
    format!("\"{text}\"")
}

/// `[ a, b ]` with ExaBGP's list spacing (`[ ]` when empty).
fn list(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        return "[ ]".to_string();
    }
    format!("[ {} ]", items.join(", "))
}

/// The key and JSON value ExaBGP 5.0 prints for `attribute`, or `None` for the ones it
/// does not list (NEXT_HOP, MP_REACH/MP_UNREACH, an empty AS_PATH, unknown non-transitive
/// attributes). Values are sorted as ExaBGP sorts them.
pub fn json_entry(attribute: &Attribute) -> Option<(String, String)> {
    let value = match attribute {
        Attribute::Origin(origin) => quoted(origin),
        Attribute::AsPath(path) => {
            if path.is_empty() {
                return None;
            }
            let mut out = String::from("{");
            for (index, segment) in path.segments.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                let asns: Vec<String> = segment.asns.iter().map(u32::to_string).collect();
                let _ = write!(
                    out,
                    "\"{index}\": {{\"element\": \"{}\", \"value\": [{}]}}",
                    segment.kind.json_name_v5(),
                    asns.join(", ")
                );
            }
            out.push('}');
            out
        }
        Attribute::Med(n) | Attribute::LocalPref(n) => n.to_string(),
        Attribute::AtomicAggregate => "true".to_string(),
        Attribute::Aggregator(a) | Attribute::As4Aggregator(a) => quoted(a),
        Attribute::Communities(communities) => {
            let mut sorted = communities.clone();
            sorted.sort();
            list(
                sorted
                    .iter()
                    .map(|c| format!("[ {}, {} ]", c.high(), c.low())),
            )
        }
        Attribute::OriginatorId(ip) => quoted(ip),
        Attribute::ClusterList(ips) => list(ips.iter().map(quoted)),
        Attribute::ExtendedCommunities(communities) => {
            let mut sorted = communities.clone();
            sorted.sort();
            list(sorted.iter().map(|c| {
                format!(
                    "{{ \"value\": {}, \"string\": \"{}\" }}",
                    c.json_value(),
                    c.json_string()
                )
            }))
        }
        Attribute::Ipv6ExtendedCommunities(communities) => {
            let mut sorted = communities.clone();
            sorted.sort();
            list(sorted.iter().map(|c| {
                format!(
                    "{{ \"value\": {}, \"string\": \"{}\" }}",
                    c.value_decimal(),
                    c.json_string()
                )
            }))
        }
        Attribute::LargeCommunities(communities) => {
            let mut sorted = communities.clone();
            sorted.sort();
            sorted.dedup();
            list(
                sorted
                    .iter()
                    .map(|c| format!("[ {}, {} , {} ]", c.global, c.local1, c.local2)),
            )
        }
        Attribute::PmsiTunnel(pmsi) => quoted(pmsi),
        Attribute::Aigp(aigp) => quoted(aigp),
        Attribute::PrefixSid(sid) => sid.json(),
        Attribute::Unknown { flags, code, value } => {
            if *code == 29 {
                if let Some(json) = crate::bgp::linkstate::attribute_json(value) {
                    return Some(("bgp-ls".to_owned(), json));
                }
            }
            if flags & FLAG_TRANSITIVE == 0 {
                return None;
            }
            if *code == 23 {
                if let Some(json) = crate::bgp::sr_policy::tunnel_json(value) {
                    return Some(("tunnel-encap".to_owned(), json));
                }
            }
            let mut hex = String::from("\"0x");
            for byte in value {
                let _ = write!(hex, "{byte:02x}");
            }
            hex.push('"');
            let key = format!("attribute-0x{code:02X}-0x{:02X}", flags | FLAG_PARTIAL);
            return Some((key, hex));
        }
        // ExaBGP has no name for an AS4_PATH left unmerged (treat-as-withdraw, or no
        // AS_PATH): it prints it like an unknown attribute, its value as path text.
        Attribute::As4Path(path) => {
            return Some(("attribute-0x11-0xC0".to_string(), quoted(path)));
        }
        Attribute::NextHop(_) | Attribute::MpReach(_) | Attribute::MpUnreach(_) => return None,
    };
    Some((json_key(attribute.code())?.to_string(), value))
}

/// ExaBGP's text lists: one item bare, several as `[ a b ]`.
fn text_list(items: Vec<String>) -> String {
    match items.as_slice() {
        [one] => one.clone(),
        _ => format!("[ {} ]", items.join(" ")),
    }
}

/// The `name value` pair ExaBGP's text encoder prints for `attribute` (e.g.
/// `as-path ( 65001 65002 ) [ 7 ]`, `community [ 1:1 no-export ]`,
/// `attribute [ 0x99 0xE0 0xabcdef ]`), or `None` for NEXT_HOP, MP_REACH/MP_UNREACH and
/// unknown non-transitive attributes.
pub fn text_entry(attribute: &Attribute) -> Option<String> {
    let value = match attribute {
        Attribute::Origin(origin) => origin.to_string(),
        Attribute::AsPath(path) => path.to_string(),
        Attribute::Med(n) | Attribute::LocalPref(n) => n.to_string(),
        Attribute::AtomicAggregate => return Some("atomic-aggregate".to_string()),
        Attribute::Aggregator(a) | Attribute::As4Aggregator(a) => format!("( {a} )"),
        Attribute::Communities(communities) => {
            let mut sorted = communities.clone();
            sorted.sort();
            text_list(sorted.iter().map(ToString::to_string).collect())
        }
        Attribute::OriginatorId(ip) => ip.to_string(),
        // ExaBGP compares the byte length with 1, so even one cluster is bracketed.
        Attribute::ClusterList(ips) => {
            let ips: Vec<String> = ips.iter().map(ToString::to_string).collect();
            format!("[ {} ]", ips.join(" "))
        }
        Attribute::ExtendedCommunities(communities) => {
            let mut sorted = communities.clone();
            sorted.sort();
            text_list(sorted.iter().map(ToString::to_string).collect())
        }
        Attribute::Ipv6ExtendedCommunities(communities) => {
            let mut sorted = communities.clone();
            sorted.sort();
            text_list(sorted.iter().map(ToString::to_string).collect())
        }
        Attribute::LargeCommunities(communities) => {
            let mut sorted = communities.clone();
            sorted.sort();
            sorted.dedup();
            text_list(sorted.iter().map(ToString::to_string).collect())
        }
        Attribute::PmsiTunnel(pmsi) => pmsi.to_string(),
        Attribute::Aigp(aigp) => aigp.to_string(),
        Attribute::PrefixSid(sid) => sid.to_string(),
        Attribute::Unknown { flags, code, value } => {
            if flags & FLAG_TRANSITIVE == 0 {
                return None;
            }
            let mut hex = String::from("0x");
            for byte in value {
                let _ = write!(hex, "{byte:02x}");
            }
            return Some(format!(
                "attribute [ 0x{code:02X} 0x{:02X} {hex} ]",
                flags | FLAG_PARTIAL
            ));
        }
        Attribute::As4Path(path) => return Some(format!("attribute [ 0x11 0xC0 {path} ]")),
        Attribute::NextHop(_) | Attribute::MpReach(_) | Attribute::MpUnreach(_) => return None,
    };
    Some(format!("{} {value}", json_key(attribute.code())?))
}

#[cfg(test)]
mod tests {
    use super::{json_entry, text_entry};
    use crate::bgp::attribute::decode_attributes;
    use crate::bgp::negotiated::Negotiated;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len() / 2)
            .map(|i| u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).unwrap_or(0))
            .collect()
    }

    /// The attribute object ExaBGP 5.0.15 `decode` printed for this attribute field.
    #[test]
    fn matches_exabgp_decode() {
        let field = hex(concat!(
            "4001010040021002020000FDE90000FDEA010100000007400304C000020180040400000064400504",
            "00000064400600C00708000300000A000001C00810FFFFFF0100010002FFFF029A00010001800904",
            "00010000800A04C0A80001C010180002FDE80000000180060000461600000003012C00011D28C016",
            "0900060006400C000201801A0B01000B0000000000000064C0201800000001000000020000000300",
            "0000010000000200000003C01914000C2A020B800000000100000000000000010000C09903ABCDEF",
        ));
        let attributes = decode_attributes(&field, &Negotiated::default()).expect("decodes");
        let entries: Vec<String> = attributes
            .iter()
            .filter(|a| a.code() != crate::bgp::attribute::CODE_AIGP)
            .filter_map(json_entry)
            .map(|(k, v)| format!("\"{k}\": {v}"))
            .collect();
        let expected = concat!(
            r#""origin": "igp", "as-path": {"0": {"element": "as-sequence", "value": [65001, 65002]}, "1": {"element": "as-set", "value": [7]}}, "#,
            r#""med": 100, "local-preference": 100, "atomic-aggregate": true, "aggregator": "196608:10.0.0.1", "#,
            r#""community": [ [ 1, 1 ], [ 1, 2 ], [ 65535, 666 ], [ 65535, 65281 ] ], "originator-id": "0.1.0.0", "#,
            r#""cluster-list": [ "192.168.0.1" ], "extended-community": [ { "value": 842122827661313, "string": "target:65000:1" }, "#,
            r#"{ "value": 845713420393768, "string": "origin:300:0.1.29.40" }, { "value": 9225060887890886656, "string": "rate-limit:9600" } ], "#,
            r#""pmsi": "pmsi:ingressreplication:0:100(1600):12.0.2.1", "large-community": [ [ 1, 2 , 3 ] ], "#,
            r#""extended-community-ipv6": [ { "value": 271268354242357201462255214013497395816497152, "string": "redirect-to-nexthop-ietf 2a02:b80:0:1::1" } ], "#,
            r#""attribute-0x99-0xE0": "0xabcdef""#
        );
        assert_eq!(entries.join(", "), expected);
        let text: Vec<String> = attributes.iter().filter_map(text_entry).collect();
        let expected = concat!(
            "origin igp as-path ( 65001 65002 ) [ 7 ] med 100 local-preference 100 atomic-aggregate ",
            "aggregator ( 196608:10.0.0.1 ) community [ 1:1 1:2 blackhole no-export ] originator-id 0.1.0.0 ",
            "cluster-list [ 192.168.0.1 ] extended-community [ target:65000:1 origin:300:0.1.29.40 rate-limit:9600 ] ",
            "pmsi pmsi:ingressreplication:0:100(1600):12.0.2.1 aigp 0x0000000000000064 large-community 1:2:3 ",
            "extended-community-ipv6 redirect-to-nexthop-ietf 2a02:b80:0:1::1 attribute [ 0x99 0xE0 0xabcdef ]"
        );
        assert_eq!(text.join(" "), expected);
    }

    #[test]
    fn unmerged_as4_path() {
        let path = crate::bgp::attribute::AsPath::sequence(&[1, 7]);
        let attribute = crate::bgp::attribute::Attribute::As4Path(path);
        assert_eq!(
            json_entry(&attribute),
            Some(("attribute-0x11-0xC0".to_string(), "\"( 1 7 )\"".to_string()))
        );
    }
}
