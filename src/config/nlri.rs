//! Parsers for the route kinds beyond prefixes: VPLS, MUP, MVPN, SR Policy (config.md §8–9)
//! and `operational` messages (§10). Positional keywords are checked in order.

use std::net::IpAddr;

use crate::bgp::family::{Afi, Family};

use super::error::{ConfigError, ErrorKind};
use super::lexer::Token;
use super::model::{OperationalMessage, ParsedNlri};
use super::route::{self, RouteDraft};
use super::value::{self, Words};
use crate::bgp::attribute::Attribute;
use crate::bgp::mup::MupRoute;
use crate::bgp::mvpn::MvpnRoute;
use crate::bgp::nlri::RouteDistinguisher;

/// Reads the next word and checks it is exactly `expected`.
fn keyword(w: &mut Words, context: &str, expected: &'static str) -> Result<(), ConfigError> {
    match w.advance() {
        Some(t) if t.text == expected => Ok(()),
        Some(t) => Err(w.invalid(t, context, expected)),
        None => Err(ConfigError::new(
            w.here(),
            ErrorKind::MissingValue {
                keyword: context.to_string(),
                expected,
            },
        )),
    }
}

fn rd(w: &mut Words, context: &str) -> Result<RouteDistinguisher, ConfigError> {
    keyword(w, context, "rd")?;
    let t = w.value("rd", "a route distinguisher")?;
    route::route_distinguisher(w, t, "rd")
}

fn ip_of(w: &mut Words, k: &str, afi: Afi) -> Result<IpAddr, ConfigError> {
    let t = w.value(k, "an IP address")?;
    let ip = value::ip(w, t, k)?;
    if (afi == Afi::IPV4) != ip.is_ipv4() {
        return Err(w.invalid(t, k, "an address of the block's family"));
    }
    Ok(ip)
}

/// Reads the remaining words as route attributes.
pub fn attributes_rest(
    w: &mut Words,
    context: &str,
    draft: &mut RouteDraft,
) -> Result<(), ConfigError> {
    while let Some(t) = w.advance() {
        if !route::attribute(w, t, draft)? {
            return Err(w.error_at(
                t,
                ErrorKind::UnknownKeyword {
                    keyword: t.text.to_string(),
                    section: match context {
                        "mup" => "mup route",
                        "mcast-vpn" => "mcast-vpn route",
                        "vpls" => "vpls route",
                        _ => "route",
                    },
                    suggestion: super::error::suggest(&t.text, route::ATTRIBUTE_KEYWORDS),
                },
            ));
        }
    }
    Ok(())
}

/// `mup <type> ...` after the `mup` keyword.
pub fn mup(w: &mut Words, afi: Afi) -> Result<MupRoute, ConfigError> {
    let bits = |address: &IpAddr| if address.is_ipv6() { 128u8 } else { 32 };
    let kind = w.value("mup", "mup-isd, mup-dsd, mup-t1st or mup-t2st")?;
    match &*kind.text {
        "mup-isd" => {
            let t = w.value("mup-isd", "a prefix")?;
            let prefix = value::prefix(w, t, "mup-isd")?;
            let rd = rd(w, "mup-isd")?;
            Ok(MupRoute::Isd {
                rd,
                prefix_len: prefix.len(),
                prefix: prefix.addr(),
            })
        }
        "mup-dsd" => {
            let address = ip_of(w, "mup-dsd", afi)?;
            let rd = rd(w, "mup-dsd")?;
            Ok(MupRoute::Dsd { rd, address })
        }
        "mup-t1st" => {
            let t = w.value("mup-t1st", "a prefix")?;
            let prefix = value::prefix(w, t, "mup-t1st")?;
            let rd = rd(w, "mup-t1st")?;
            keyword(w, "mup-t1st", "teid")?;
            let teid = value::next_number(w, "teid", 0, u64::from(u32::MAX))? as u32;
            keyword(w, "mup-t1st", "qfi")?;
            let qfi = value::next_number(w, "qfi", 0, 63)? as u8;
            keyword(w, "mup-t1st", "endpoint")?;
            let t = w.value("endpoint", "an IP address")?;
            let endpoint = value::ip(w, t, "endpoint")?;
            let source = if w.peek_text() == Some("source") {
                w.advance();
                let t = w.value("source", "an IP address")?;
                Some(value::ip(w, t, "source")?)
            } else {
                None
            };
            Ok(MupRoute::T1st {
                rd,
                prefix_len: prefix.len(),
                prefix: prefix.addr(),
                teid,
                qfi,
                endpoint_len: bits(&endpoint),
                endpoint,
                source: source.map(|address| (bits(&address), address)),
            })
        }
        "mup-t2st" => {
            let endpoint = ip_of(w, "mup-t2st", afi)?;
            let rd = rd(w, "mup-t2st")?;
            keyword(w, "mup-t2st", "teid")?;
            let t = w.value("teid", "teid/bits")?;
            let parsed = t.text.split_once('/').and_then(|(v, b)| {
                let v = value::parse_u64_text(v).and_then(|v| u32::try_from(v).ok())?;
                let b: u8 = b.parse().ok().filter(|b| *b <= 32)?;
                Some((v, b))
            });
            let (teid, teid_bits) =
                parsed.ok_or_else(|| w.invalid(t, "teid", "TEID/bits (bits 0..32)"))?;
            Ok(MupRoute::T2st {
                rd,
                // The TEID's significant bits follow the endpoint in the NLRI.
                endpoint_len: bits(&endpoint) + teid_bits,
                endpoint,
                teid,
            })
        }
        _ => Err(w.invalid(kind, "mup", "mup-isd, mup-dsd, mup-t1st or mup-t2st")),
    }
}

/// `mcast-vpn <type> ...` after the `mcast-vpn` keyword.
pub fn mvpn(w: &mut Words, afi: Afi) -> Result<MvpnRoute, ConfigError> {
    let kind = w.value("mcast-vpn", "source-ad, shared-join or source-join")?;
    match &*kind.text {
        "source-ad" => {
            keyword(w, "source-ad", "source")?;
            let source = ip_of(w, "source", afi)?;
            keyword(w, "source-ad", "group")?;
            let group = ip_of(w, "group", afi)?;
            let rd = rd(w, "source-ad")?;
            Ok(MvpnRoute::SourceAd { rd, source, group })
        }
        "shared-join" | "source-join" => {
            let shared = kind.text == "shared-join";
            keyword(w, &kind.text, if shared { "rp" } else { "source" })?;
            let address = ip_of(w, &kind.text, afi)?;
            keyword(w, &kind.text, "group")?;
            let group = ip_of(w, "group", afi)?;
            let rd = rd(w, &kind.text)?;
            keyword(w, &kind.text, "source-as")?;
            let t = w.value("source-as", "an AS number")?;
            let source_as = value::asn(w, t, "source-as")?;
            Ok(if shared {
                MvpnRoute::SharedJoin {
                    rd,
                    source_as,
                    rp: address,
                    group,
                }
            } else {
                MvpnRoute::SourceJoin {
                    rd,
                    source_as,
                    source: address,
                    group,
                }
            })
        }
        _ => Err(w.invalid(kind, "mcast-vpn", "source-ad, shared-join or source-join")),
    }
}

fn optional_u32(w: &mut Words, k: &str) -> Result<u32, ConfigError> {
    Ok(value::next_number(w, k, 0, u64::from(u32::MAX))? as u32)
}

/// `endpoint-behavior B LB LN FUN ARG`: the SRv6 endpoint behavior and SID structure as
/// they follow the SID in a type-B segment (behavior, 2 reserved bytes, 4 lengths).
fn behavior(w: &mut Words) -> Result<[u8; 8], ConfigError> {
    let b = value::next_number(w, "endpoint-behavior", 0, 0xFFFF)? as u16;
    let mut out = [0u8; 8];
    out[..2].copy_from_slice(&b.to_be_bytes());
    for slot in &mut out[4..] {
        *slot = value::next_number(w, "endpoint-behavior", 0, 128)? as u8;
    }
    Ok(out)
}

/// One segment (types A–K of RFC 9830 §2.4.4.2): its sub-TLV appended to `list` for the
/// types rexa sends (A with an MPLS label, B with an SRv6 SID); `Ok(false)` for the others,
/// whose words are checked and dropped.
fn segment(w: &mut Words, kind_token: &Token, list: &mut Vec<u8>) -> Result<bool, ConfigError> {
    use crate::bgp::sr_policy::{label_entry, put_sub_tlv, SEG_TYPE_A, SEG_TYPE_B};
    let kind = kind_token
        .text
        .strip_prefix("type-")
        .and_then(|k| {
            k.chars()
                .next()
                .filter(|c| ('a'..='k').contains(c) && k.len() == 1)
        })
        .ok_or_else(|| w.invalid(kind_token, "segment", "type-a ... type-k"))?;
    let mut mpls_label = None;
    let mut srv6_sid = None;
    let mut endpoint_behavior = None;
    // Every sub-keyword is optional here; the order is free, the segment ends at the
    // next keyword that is not one of its own.
    while let Some(k) = w.peek_text() {
        match k {
            "mpls" => {
                w.advance();
                mpls_label = Some(value::next_number(w, "mpls", 0, 0xF_FFFF)? as u32);
            }
            "srv6" => {
                w.advance();
                let t = w.value("srv6", "an IPv6 SID")?;
                srv6_sid = Some(value::ipv6(w, t, "srv6")?);
            }
            "ipv4" | "ipv6" | "local" | "local-ipv6" | "remote" | "remote-ipv6" => {
                w.advance();
                let t = w.value(k, "an address")?;
                value::ip(w, t, k)?;
            }
            "local-if-id" | "remote-if-id" => {
                w.advance();
                optional_u32(w, k)?;
            }
            "algorithm" => {
                w.advance();
                value::next_number(w, k, 0, 255)?;
            }
            "sid" => {
                w.advance();
                let t = w.value("sid", "an MPLS label or an IPv6 SID")?;
                if t.text.parse::<std::net::Ipv6Addr>().is_err() {
                    value::number(w, t, "sid", 0, 0xF_FFFF)?;
                }
            }
            "endpoint-behavior" => {
                w.advance();
                endpoint_behavior = Some(behavior(w)?);
            }
            _ => break,
        }
    }
    let too_long = || w.invalid(kind_token, "segment", "a segment list shorter than 64 KiB");
    match (kind, mpls_label, srv6_sid) {
        ('a', Some(label), _) => {
            let mut seg = vec![0, 0];
            seg.extend_from_slice(&label_entry(label).to_be_bytes());
            put_sub_tlv(list, SEG_TYPE_A, &seg).ok_or_else(too_long)?;
        }
        ('b', _, Some(sid)) => {
            let flags = if endpoint_behavior.is_some() { 0x10 } else { 0 };
            let mut seg = vec![flags, 0];
            seg.extend_from_slice(&sid.octets());
            if let Some(b) = endpoint_behavior {
                seg.extend_from_slice(&b);
            }
            put_sub_tlv(list, SEG_TYPE_B, &seg).ok_or_else(too_long)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// One `segment-list`: its weight and encoded segments.
#[derive(Default)]
struct SegmentList {
    weight: Option<u32>,
    segments: Vec<u8>,
}

/// `sr-policy ...` after the keyword; `afi` is the enclosing block's, or None (static).
/// The tunnel data (preference, priority, binding SIDs, segment lists, names) becomes
/// the route's Tunnel Encapsulation attribute (code 23), laid out as ExaBGP 6 sends it:
/// one SR Policy tunnel with the preference, priority, binding SIDs, segment lists
/// (weight, then segments), policy name and candidate path name sub-TLVs. A policy with a
/// segment rexa does not send (types C to K, A without a label, B without a SID) gets
/// none and is refused when loaded.
pub fn sr_policy(
    w: &mut Words,
    afi: Option<Afi>,
    draft: &mut RouteDraft,
) -> Result<ParsedNlri, ConfigError> {
    use crate::bgp::sr_policy::*;
    let mut nlri = SrPolicyNlri {
        distinguisher: 0,
        color: 0,
        endpoint: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
    };
    let mut tlvs: Vec<u8> = Vec::new();
    let mut names: [Option<String>; 2] = [None, None];
    let mut lists: Vec<SegmentList> = Vec::new();
    let mut sendable = true;
    let mut seen = (false, false, false);
    while let Some(t) = w.advance() {
        let k = &*t.text;
        match k {
            "distinguisher" => {
                nlri.distinguisher = optional_u32(w, k)?;
                seen.0 = true;
            }
            "color" => {
                nlri.color = optional_u32(w, k)?;
                seen.1 = true;
            }
            "endpoint" => {
                let v = w.value(k, "an IP address")?;
                nlri.endpoint = value::ip(w, v, k)?;
                seen.2 = true;
            }
            "preference" => {
                let mut value = vec![0, 0];
                value.extend_from_slice(&optional_u32(w, k)?.to_be_bytes());
                set_sub_tlv(&mut tlvs, SUB_PREFERENCE, &value);
            }
            "priority" => {
                let priority = value::next_number(w, k, 0, 255)? as u8;
                set_sub_tlv(&mut tlvs, SUB_PRIORITY, &[priority, 0]);
            }
            "binding-sid" => {
                keyword(w, k, "mpls")?;
                let label = value::next_number(w, k, 0, 0xF_FFFF)? as u32;
                let mut value = vec![0x10, 0];
                value.extend_from_slice(&label_entry(label).to_be_bytes());
                set_sub_tlv(&mut tlvs, SUB_BINDING_SID, &value);
            }
            "srv6-binding-sid" => {
                let v = w.value(k, "an IPv6 SID")?;
                let mut value = vec![0, 0];
                value.extend_from_slice(&value::ipv6(w, v, k)?.octets());
                set_sub_tlv(&mut tlvs, SUB_SRV6_BINDING_SID, &value);
            }
            "policy-name" => names[0] = Some(w.value(k, "a name")?.text.to_string()),
            "candidate-path-name" => names[1] = Some(w.value(k, "a name")?.text.to_string()),
            "segment-list" => lists.push(SegmentList::default()),
            "weight" => {
                let weight = optional_u32(w, k)?;
                match lists.last_mut() {
                    Some(list) => list.weight = Some(weight),
                    None => return Err(w.invalid(t, "sr-policy", "segment-list before weight")),
                }
            }
            "segment" => {
                let kind = w.value(k, "type-a ... type-k")?;
                let Some(list) = lists.last_mut() else {
                    return Err(w.invalid(t, "sr-policy", "segment-list before segment"));
                };
                sendable &= segment(w, kind, &mut list.segments)?;
            }
            _ => {
                if !route::attribute(w, t, draft)? {
                    return Err(w.error_at(
                        t,
                        ErrorKind::UnknownKeyword {
                            keyword: t.text.to_string(),
                            section: "sr-policy",
                            suggestion: super::error::suggest(
                                &t.text,
                                &[
                                    "distinguisher",
                                    "color",
                                    "endpoint",
                                    "preference",
                                    "priority",
                                    "binding-sid",
                                    "srv6-binding-sid",
                                    "policy-name",
                                    "candidate-path-name",
                                    "segment-list",
                                    "weight",
                                    "segment",
                                    "next-hop",
                                ],
                            ),
                        },
                    ));
                }
            }
        }
    }
    let mut missing = Vec::new();
    if !seen.0 {
        missing.push("distinguisher");
    }
    if !seen.1 {
        missing.push("color");
    }
    if !seen.2 {
        missing.push("endpoint");
    }
    if !missing.is_empty() {
        return Err(ConfigError::new(
            w.here(),
            ErrorKind::Incomplete {
                what: "sr-policy",
                missing,
            },
        ));
    }
    let afi = afi.unwrap_or(if nlri.endpoint.is_ipv4() {
        Afi::IPV4
    } else {
        Afi::IPV6
    });
    let tunnel = if sendable {
        sr_policy_tunnel(tlvs, lists, names)
    } else {
        None
    };
    let sendable = tunnel.is_some();
    if let Some(tunnel) = tunnel {
        draft.attributes.push_raw(tunnel);
    }
    Ok(ParsedNlri::sr_policy(afi, nlri, sendable))
}

/// Sets the top-level sub-TLV `kind` (a repeated keyword replaces the value written
/// before); they are put in type order when the tunnel is made.
fn set_sub_tlv(tlvs: &mut Vec<u8>, kind: u8, value: &[u8]) {
    let mut kept = Vec::with_capacity(tlvs.len() + value.len() + 2);
    for sub in crate::bgp::sr_policy::sub_tlvs(tlvs).flatten() {
        if sub.kind != kind {
            let _ = crate::bgp::sr_policy::put_sub_tlv(&mut kept, sub.kind, sub.value);
        }
    }
    let _ = crate::bgp::sr_policy::put_sub_tlv(&mut kept, kind, value);
    *tlvs = kept;
}

/// The Tunnel Encapsulation attribute: `tlvs` (preference, priority, binding SIDs) in
/// that order, the segment lists, the names; `None` when a value is too long for its
/// length field.
fn sr_policy_tunnel(
    tlvs: Vec<u8>,
    lists: Vec<SegmentList>,
    names: [Option<String>; 2],
) -> Option<Attribute> {
    use crate::bgp::attribute::{FLAG_OPTIONAL, FLAG_TRANSITIVE};
    use crate::bgp::sr_policy::*;
    let mut ordered = Vec::with_capacity(tlvs.len());
    for kind in [
        SUB_PREFERENCE,
        SUB_PRIORITY,
        SUB_BINDING_SID,
        SUB_SRV6_BINDING_SID,
    ] {
        for sub in sub_tlvs(&tlvs).flatten().filter(|s| s.kind == kind) {
            put_sub_tlv(&mut ordered, sub.kind, sub.value)?;
        }
    }
    for list in lists {
        let mut value = vec![0];
        if let Some(weight) = list.weight {
            let mut weight_value = vec![0, 0];
            weight_value.extend_from_slice(&weight.to_be_bytes());
            put_sub_tlv(&mut value, SEG_WEIGHT, &weight_value)?;
        }
        value.extend_from_slice(&list.segments);
        put_sub_tlv(&mut ordered, SUB_SEGMENT_LIST, &value)?;
    }
    for (kind, name) in [SUB_POLICY_NAME, SUB_CANDIDATE_PATH_NAME]
        .into_iter()
        .zip(names)
    {
        if let Some(name) = name {
            let mut value = vec![0];
            value.extend_from_slice(name.as_bytes());
            put_sub_tlv(&mut ordered, kind, &value)?;
        }
    }
    let mut value = TUNNEL_SR_POLICY.to_be_bytes().to_vec();
    value.extend_from_slice(&u16::try_from(ordered.len()).ok()?.to_be_bytes());
    value.extend_from_slice(&ordered);
    Some(Attribute::Unknown {
        flags: FLAG_OPTIONAL | FLAG_TRANSITIVE,
        code: CODE_TUNNEL_ENCAPSULATION,
        value,
    })
}

/// Path attribute code of the Tunnel Encapsulation attribute (RFC 9012).
pub const CODE_TUNNEL_ENCAPSULATION: u8 = 23;

/// One `operational` statement (the keyword is the first word).
pub fn operational(w: &mut Words) -> Result<Option<OperationalMessage>, ConfigError> {
    let Some(kind_token) = w.advance() else {
        return Ok(None);
    };
    let kind: &'static str = match &*kind_token.text {
        "asm" => "asm",
        "adm" => "adm",
        "rpcq" => "rpcq",
        "apcq" => "apcq",
        "lpcq" => "lpcq",
        "rpcp" => "rpcp",
        "apcp" => "apcp",
        "lpcp" => "lpcp",
        other => {
            return Err(w.error_at(
                kind_token,
                ErrorKind::UnknownKeyword {
                    keyword: other.to_string(),
                    section: "operational",
                    suggestion: super::error::suggest(
                        other,
                        &["asm", "adm", "rpcq", "apcq", "lpcq", "rpcp", "apcp", "lpcp"],
                    ),
                },
            ))
        }
    };
    keyword(w, kind, "afi")?;
    let afi_t = w.value("afi", "ipv4, ipv6, l2vpn or bgp-ls")?;
    keyword(w, kind, "safi")?;
    let safi_t = w.value("safi", "a SAFI name")?;
    let family = Family::from_names(&afi_t.text, &safi_t.text)
        .ok_or_else(|| w.invalid(safi_t, "safi", "a known afi/safi pair"))?;
    let message = match kind {
        "asm" | "adm" => {
            keyword(w, kind, "advisory")?;
            let text = w.value("advisory", "a quoted text")?.text.to_string();
            OperationalMessage::Advisory { kind, family, text }
        }
        "rpcq" | "apcq" | "lpcq" => {
            keyword(w, kind, "sequence")?;
            let sequence = optional_u32(w, "sequence")?;
            OperationalMessage::Query {
                kind,
                family,
                sequence,
            }
        }
        _ => {
            keyword(w, kind, "sequence")?;
            let sequence = optional_u32(w, "sequence")?;
            keyword(w, kind, "counter")?;
            let counter = value::next_number(w, "counter", 0, u64::MAX)?;
            OperationalMessage::Response {
                kind,
                family,
                sequence,
                counter,
            }
        }
    };
    w.end(kind)?;
    Ok(Some(message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::lexer::tokenize;
    use std::sync::Arc;

    fn with_words<T>(text: &str, f: impl FnOnce(&mut Words) -> T) -> T {
        let file: Arc<str> = "t".into();
        let statements = tokenize(&file, text).unwrap();
        let tokens = &statements[0].tokens;
        let mut w = Words::new(&file, tokens, 1, 1);
        f(&mut w)
    }

    #[test]
    fn mup_t2st_and_t1st() {
        let route = with_words("mup-t2st 10.0.0.1 rd 100:100 teid 12345/23;", |w| {
            mup(w, Afi::IPV4)
        })
        .unwrap();
        assert!(matches!(
            route,
            MupRoute::T2st {
                teid: 12345,
                endpoint_len: 55,
                ..
            }
        ));
        let route = with_words(
            "mup-t1st 192.168.0.1/32 rd 100:100 teid 1 qfi 9 endpoint 10.0.0.1 source 10.0.0.2;",
            |w| mup(w, Afi::IPV4),
        )
        .unwrap();
        assert!(matches!(
            route,
            MupRoute::T1st {
                qfi: 9,
                source: Some(_),
                ..
            }
        ));
        assert!(
            with_words("mup-t2st 10.0.0.1 rd 100:100 teid 1/33;", |w| mup(
                w,
                Afi::IPV4
            ))
            .is_err()
        );
        assert!(with_words("mup-dsd 2001::1 rd 1:1;", |w| mup(w, Afi::IPV4)).is_err());
    }

    #[test]
    fn operational_messages() {
        let m = with_words("rpcp afi ipv4 safi unicast sequence 1 counter 5;", |w| {
            operational(w)
        })
        .unwrap();
        assert!(matches!(
            m,
            Some(OperationalMessage::Response { counter: 5, .. })
        ));
        let m = with_words("asm afi ipv6 safi flow advisory \"hi there\";", |w| {
            operational(w)
        })
        .unwrap();
        assert!(
            matches!(m, Some(OperationalMessage::Advisory { ref text, .. }) if text == "hi there")
        );
        assert!(with_words("asm afi ipv4 safi unicast;", operational).is_err());
    }

    #[test]
    fn sr_policy_segments() {
        let mut draft = RouteDraft::default();
        let nlri = with_words(
            "distinguisher 1 color 2 endpoint 2001:db8::1 priority 9 preference 7 priority 5 segment-list weight 3 segment type-b srv6 fc00::1 endpoint-behavior 65 32 0 16 0 segment type-a mpls 16;",
            |w| sr_policy(w, None, &mut draft),
        )
        .unwrap();
        let (fam, None, crate::bgp::nlri::Nlri::SrPolicy { route, .. }) =
            (nlri.family, nlri.refused, &nlri.nlri)
        else {
            panic!("{nlri:?}");
        };
        assert_eq!(
            fam,
            Family::new(Afi::IPV6, crate::bgp::family::Safi::SR_POLICY)
        );
        assert_eq!((route.distinguisher, route.color), (1, 2));
        // The tunnel: SR Policy (15); preference then priority (the later 5 replaces 9);
        // one segment list: weight 3, type B with its endpoint behavior, type A label 16.
        let mut tlvs = vec![12, 6, 0, 0, 0, 0, 0, 7, 15, 2, 5, 0, 128, 0, 45, 0];
        tlvs.extend_from_slice(&[9, 6, 0, 0, 0, 0, 0, 3, 13, 26, 0x10, 0]);
        tlvs.extend_from_slice(&"fc00::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
        tlvs.extend_from_slice(&[0, 65, 0, 0, 32, 0, 16, 0, 1, 6, 0, 0, 0, 1, 1, 0]);
        let mut value = vec![0, 15, 0, tlvs.len() as u8];
        value.extend_from_slice(&tlvs);
        assert_eq!(
            draft.attributes.raw(),
            [Attribute::Unknown {
                flags: 0xC0,
                code: CODE_TUNNEL_ENCAPSULATION,
                value
            }]
        );
        // A segment type rexa does not send: no tunnel, the route is refused at load.
        let mut draft = RouteDraft::default();
        let nlri = with_words(
            "distinguisher 1 color 2 endpoint 10.0.0.1 segment-list segment type-c ipv4 10.0.0.1 algorithm 0;",
            |w| sr_policy(w, None, &mut draft),
        )
        .unwrap();
        assert_eq!(
            (nlri.family, nlri.refused),
            (
                Family::new(Afi::IPV4, crate::bgp::family::Safi::SR_POLICY),
                Some(crate::config::model::Refusal::Unsupported)
            )
        );
        assert!(draft.attributes.raw().is_empty());
        assert!(with_words("color 2 endpoint 1.2.3.4;", |w| sr_policy(
            w, None, &mut draft
        ))
        .is_err());
    }
}
