//! Each path attribute as ExaBGP renders it (api.md §7.5): the JSON key and value text the
//! JSON encoder places under `"attribute"`, and the text encoder's `name value` pair.

use std::fmt::Write as _;

use std::net::Ipv6Addr;

use crate::bgp::attribute::{
    json_key, AsPath, Attribute, ExtendedCommunity, ExtendedKind, Ipv6ExtendedCommunity, PrefixSid,
    PrefixSidTlv, SegmentKind, Srv6SubSubTlv, Srv6SubTlv, FLAG_PARTIAL, FLAG_TRANSITIVE,
    TLV_SRV6_L2_SERVICE,
};
use crate::bgp::sr_policy::{
    sub_tlvs, SEG_TYPE_A, SEG_TYPE_B, SEG_WEIGHT, SUB_BINDING_SID, SUB_CANDIDATE_PATH_NAME,
    SUB_POLICY_NAME, SUB_PREFERENCE, SUB_PRIORITY, SUB_SEGMENT_LIST, SUB_SRV6_BINDING_SID,
    TUNNEL_SR_POLICY,
};

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
                    segment_element_v5(segment.kind),
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
                    extended_json_value(c),
                    extended_json_string(c)
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
                    ipv6_extended_json_string(c)
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
        Attribute::PrefixSid(sid) => prefix_sid_json(sid),
        Attribute::Unknown { flags, code, value } => {
            if *code == 29 {
                if let Some(json) = super::message_json::linkstate_attribute_json(value) {
                    return Some(("bgp-ls".to_owned(), json));
                }
            }
            if flags & FLAG_TRANSITIVE == 0 {
                return None;
            }
            if *code == 23 {
                if let Some(json) = tunnel_json(value) {
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

/// ExaBGP 5.0's JSON `element` name of an AS_PATH segment (confederation segments print
/// as `as-sequence`).
pub fn segment_element_v5(kind: SegmentKind) -> &'static str {
    match kind {
        SegmentKind::Set => "as-set",
        _ => "as-sequence",
    }
}

/// An AS_PATH in ExaBGP 4.2's JSON shape: `as-path` (all AS_SEQUENCE members), `as-set` (only if
/// non-empty), `confederation-path` (always), `confederation-set` (only if non-empty),
/// as (key, value) pairs in that order, e.g. `("as-path", "[ 65001, 65002 ]")`.
pub fn as_path_json_v4(path: &AsPath) -> Vec<(&'static str, String)> {
    let collect = |kind: SegmentKind| -> Vec<String> {
        path.segments
            .iter()
            .filter(|s| s.kind == kind)
            .flat_map(|s| s.asns.iter().map(u32::to_string))
            .collect()
    };
    let render = |items: Vec<String>| {
        if items.is_empty() {
            "[]".to_string()
        } else {
            format!("[ {} ]", items.join(", "))
        }
    };
    let mut entries = vec![("as-path", render(collect(SegmentKind::Sequence)))];
    let set = collect(SegmentKind::Set);
    if !set.is_empty() {
        entries.push(("as-set", render(set)));
    }
    entries.push((
        "confederation-path",
        render(collect(SegmentKind::ConfedSequence)),
    ));
    let confed_set = collect(SegmentKind::ConfedSet);
    if !confed_set.is_empty() {
        entries.push(("confederation-set", render(confed_set)));
    }
    entries
}

/// An extended community's JSON `value` as ExaBGP prints it: the received bytes, except
/// for MAC mobility, which ExaBGP rebuilds (type 0x06, sticky byte 0/1, reserved 0).
pub fn extended_json_value(community: &ExtendedCommunity) -> u64 {
    match community.kind() {
        ExtendedKind::MacMobility { sequence, sticky } => {
            (0x06u64 << 56) | (u64::from(sticky) << 40) | u64::from(sequence)
        }
        _ => community.value(),
    }
}

/// An extended community's JSON `string`: the rendering of a recognised type, `0x<HEX>`
/// for a recognised type without one, and the empty string for an unrecognised type.
pub fn extended_json_string(community: &ExtendedCommunity) -> String {
    match community.kind() {
        ExtendedKind::Opaque => String::new(),
        _ => community.to_string(),
    }
}

/// An IPv6 extended community's JSON `string`: empty for a type ExaBGP does not recognise
/// (it knows redirect-to-nexthop-ietf and the route target, by low nibble of type and
/// sub-type).
pub fn ipv6_extended_json_string(community: &Ipv6ExtendedCommunity) -> String {
    match (community.0[0] & 0x0F, community.0[1]) {
        (0, 0x0C) | (0, 0x0B) => community.to_string(),
        _ => String::new(),
    }
}

/// The JSON object ExaBGP prints for a `bgp-prefix-sid`, e.g. `{ "sr-label-index": 777 }`.
pub fn prefix_sid_json(sid: &PrefixSid) -> String {
    let mut parts: Vec<String> = Vec::new();
    for tlv in &sid.tlvs {
        match tlv {
            PrefixSidTlv::LabelIndex { index, .. } => {
                parts.push(format!("\"sr-label-index\": {index}"))
            }
            PrefixSidTlv::OriginatorSrgb { ranges, .. } => {
                let list: Vec<String> = ranges.iter().map(|(b, r)| format!("[{b}, {r}]")).collect();
                parts.push(format!("\"sr-srgbs\": [{}]", list.join(", ")));
            }
            PrefixSidTlv::Srv6Service { kind, sub_tlvs, .. } => {
                let name = if *kind == TLV_SRV6_L2_SERVICE {
                    "l2-service"
                } else {
                    "l3-service"
                };
                let subs: Vec<String> = sub_tlvs.iter().map(sub_tlv_json).collect();
                parts.push(format!("\"{name}\": [ {} ]", subs.join(", ")));
            }
            PrefixSidTlv::Unknown { kind, value } => {
                let mut hex = String::from("0x");
                for b in value {
                    let _ = write!(hex, "{b:02X}");
                }
                parts.push(format!("\"attribute-not-implemented-{kind}\": \"{hex}\""));
            }
        }
    }
    format!("{{ {} }}", parts.join(", "))
}

/// ExaBGP prints `"flags": 0` whatever the SID flags are.
fn sub_tlv_json(sub: &Srv6SubTlv) -> String {
    match sub {
        Srv6SubTlv::SidInformation(info) => {
            let mut s = format!(
                "{{ \"sid\": \"{}\", \"flags\": 0, \"endpoint_behavior\": {}",
                info.sid, info.endpoint_behavior
            );
            for subsub in &info.sub_sub_tlvs {
                if let Srv6SubSubTlv::Structure(st) = subsub {
                    let _ = write!(
                        s,
                        ", \"structure\": {{\"locator-block-length\": {}, \"locator-node-length\": {}, \"function-length\": {}, \"argument-length\": {}, \"transposition-length\": {}, \"transposition-offset\": {}}}",
                        st.locator_block_length,
                        st.locator_node_length,
                        st.function_length,
                        st.argument_length,
                        st.transposition_length,
                        st.transposition_offset
                    );
                }
            }
            s.push_str(" }");
            s
        }
        // ExaBGP 5.0.15 prints nothing here, leaving `[ , ]` (invalid JSON); rexa keeps
        // its JSON valid and shows the sub-TLV.
        Srv6SubTlv::Unknown { kind, value } => {
            let mut s = format!("{{ \"sub-tlv\": {kind}, \"value\": \"0x");
            for b in value {
                let _ = write!(s, "{b:02X}");
            }
            s.push_str("\" }");
            s
        }
    }
}

/// The JSON ExaBGP 6 shows for a Tunnel Encapsulation attribute holding one SR Policy
/// tunnel: `{"sr-policy": {"preference": .., "binding-sid": {..}, "segment-lists": [..]}}`.
/// `None` for anything else (other tunnel types, unknown or malformed sub-TLVs), which the
/// caller shows as an unknown attribute.
pub fn tunnel_json(value: &[u8]) -> Option<String> {
    let (head, rest) = (value.get(..4)?, value.get(4..)?);
    let tunnel = u16::from_be_bytes([head[0], head[1]]);
    let len = usize::from(u16::from_be_bytes([head[2], head[3]]));
    if tunnel != TUNNEL_SR_POLICY || len != rest.len() {
        return None;
    }
    let u32_of = |b: &[u8]| -> Option<u32> { Some(u32::from_be_bytes(b.try_into().ok()?)) };
    let mut fields: Vec<String> = Vec::new();
    let mut lists: Vec<String> = Vec::new();
    for tlv in sub_tlvs(rest) {
        let tlv = tlv.ok()?;
        match (tlv.kind, tlv.value) {
            (SUB_PREFERENCE, [_, _, p @ ..]) => {
                fields.push(format!("\"preference\": {}", u32_of(p)?));
            }
            (SUB_PRIORITY, [priority, _]) => fields.push(format!("\"priority\": {priority}")),
            (SUB_BINDING_SID, [_, _, sid @ ..]) if sid.len() == 4 => {
                let label = u32_of(sid)? >> 12;
                fields.push(format!(
                    "\"binding-sid\": {{\"type\": \"mpls\", \"label\": {label}}}"
                ));
            }
            (SUB_SRV6_BINDING_SID, [_, _, sid @ ..]) if sid.len() == 16 => {
                let sid: [u8; 16] = sid.try_into().ok()?;
                fields.push(format!("\"srv6-binding-sid\": \"{}\"", Ipv6Addr::from(sid)));
            }
            (SUB_POLICY_NAME | SUB_CANDIDATE_PATH_NAME, [_, name @ ..]) => {
                let key = if tlv.kind == SUB_POLICY_NAME {
                    "policy-name"
                } else {
                    "candidate-path-name"
                };
                let name = std::str::from_utf8(name).ok()?;
                if name
                    .chars()
                    .any(|c| c == '"' || c == '\\' || c.is_control())
                {
                    return None;
                }
                fields.push(format!("\"{key}\": \"{name}\""));
            }
            (SUB_SEGMENT_LIST, [_, inner @ ..]) => {
                let mut weight = None;
                let mut segments: Vec<String> = Vec::new();
                for sub in sub_tlvs(inner) {
                    let sub = sub.ok()?;
                    match (sub.kind, sub.value) {
                        (SEG_WEIGHT, [_, _, w @ ..]) => weight = Some(u32_of(w)?),
                        (SEG_TYPE_A, [_, _, entry @ ..]) => {
                            let entry = u32_of(entry)?;
                            segments.push(format!(
                                "{{\"type\": \"A\", \"label\": {}, \"tc\": {}, \"s\": {}, \"ttl\": {}}}",
                                entry >> 12,
                                (entry >> 9) & 7,
                                entry & 0x100 != 0,
                                entry & 0xFF
                            ));
                        }
                        (SEG_TYPE_B, [_, _, sid @ ..]) if sid.len() == 16 || sid.len() == 24 => {
                            let address: [u8; 16] = sid.get(..16)?.try_into().ok()?;
                            segments.push(format!(
                                "{{\"type\": \"B\", \"sid\": \"{}\"}}",
                                Ipv6Addr::from(address)
                            ));
                        }
                        _ => return None,
                    }
                }
                let mut list = String::from("{");
                if let Some(weight) = weight {
                    let _ = write!(list, "\"weight\": {weight}, ");
                }
                let _ = write!(list, "\"segments\": [{}]}}", segments.join(", "));
                lists.push(list);
            }
            _ => return None,
        }
    }
    if !lists.is_empty() {
        fields.push(format!("\"segment-lists\": [{}]", lists.join(", ")));
    }
    Some(format!("{{\"sr-policy\": {{{}}}}}", fields.join(", ")))
}

#[cfg(test)]
mod tests {
    use super::as_path_json_v4;
    use super::{
        extended_json_string, extended_json_value, ipv6_extended_json_string, json_entry,
        text_entry, tunnel_json,
    };
    use crate::bgp::attribute::decode_attributes;
    use crate::bgp::attribute::{AsPath, ExtendedCommunity, Ipv6ExtendedCommunity, SegmentKind};
    use crate::bgp::negotiated::Negotiated;
    use crate::bgp::wire::hex;

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

    #[test]
    fn tunnel_json_as_exabgp6() {
        let bytes = crate::bgp::wire::hex(
            "000F00240C060000000000640D06100005DC01008000110009060000000000010106000003E81100",
        );
        assert_eq!(
            tunnel_json(&bytes).unwrap(),
            "{\"sr-policy\": {\"preference\": 100, \"binding-sid\": {\"type\": \"mpls\", \"label\": 24000}, \"segment-lists\": [{\"weight\": 1, \"segments\": [{\"type\": \"A\", \"label\": 16001, \"tc\": 0, \"s\": true, \"ttl\": 0}]}]}}"
        );
        for cut in 0..bytes.len() {
            let _ = tunnel_json(&bytes[..cut]);
        }
        assert!(tunnel_json(&bytes[..bytes.len() - 1]).is_none());
    }

    #[test]
    fn matches_exabgp_rendering_table() {
        let table = include_str!("../bgp/attribute/testdata/extended_communities.txt");
        let mut checked = 0;
        for line in table.lines().filter(|l| !l.starts_with('#')) {
            let mut parts = line.splitn(3, ' ');
            let bytes = parts.next().unwrap_or_default();
            let value = parts.next().unwrap_or_default();
            let text = parts.next().unwrap_or_default();
            let community = ExtendedCommunity(<[u8; 8]>::try_from(hex(bytes)).expect("8 bytes"));
            if value == "ERROR" {
                assert!(community.has_unusable_rate(), "{bytes} should be refused");
                continue;
            }
            assert!(!community.has_unusable_rate(), "{bytes}");
            assert_eq!(
                extended_json_value(&community).to_string(),
                value,
                "{bytes}"
            );
            assert_eq!(extended_json_string(&community), text, "{bytes}");
            checked += 1;
        }
        assert!(checked > 1000);
    }

    #[test]
    fn extended_community_strings() {
        assert_eq!(
            extended_json_string(&ExtendedCommunity::link_bandwidth(1, 1.0)),
            ""
        );
        let c = Ipv6ExtendedCommunity::redirect_to_nexthop_ietf(
            "2a02:b80:0:1::1".parse().expect("ip"),
            false,
        );
        assert_eq!(
            ipv6_extended_json_string(&c),
            "redirect-to-nexthop-ietf 2a02:b80:0:1::1"
        );
    }

    #[test]
    fn json_v4_shape() {
        let mut p = AsPath::default();
        p.push(SegmentKind::Sequence, &[65001, 65002]);
        p.push(SegmentKind::Set, &[7]);
        assert_eq!(
            as_path_json_v4(&p),
            vec![
                ("as-path", "[ 65001, 65002 ]".to_string()),
                ("as-set", "[ 7 ]".to_string()),
                ("confederation-path", "[]".to_string()),
            ]
        );
    }
}
