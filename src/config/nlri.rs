//! Parsers for the route kinds beyond prefixes: VPLS, MUP, MVPN, SR Policy (config.md §8–9)
//! and `operational` messages (§10). Positional keywords are checked in order.

use std::net::IpAddr;

use crate::bgp::family::{Afi, Family};

use super::error::{ConfigError, ErrorKind};
use super::lexer::Token;
use super::model::{
    EndpointBehavior, OperationalMessage, Segment, SegmentList, SegmentSid, SrPolicy,
};
use super::route::{self, RouteDraft};
use super::value::{self, Words};
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

fn behavior(w: &mut Words) -> Result<EndpointBehavior, ConfigError> {
    let b = value::next_number(w, "endpoint-behavior", 0, 0xFFFF)? as u16;
    let mut lens = [0u8; 4];
    for slot in &mut lens {
        *slot = value::next_number(w, "endpoint-behavior", 0, 128)? as u8;
    }
    let [block_len, node_len, function_len, argument_len] = lens;
    Ok(EndpointBehavior {
        behavior: b,
        block_len,
        node_len,
        function_len,
        argument_len,
    })
}

fn segment(w: &mut Words, kind_token: &Token) -> Result<Segment, ConfigError> {
    let kind = kind_token
        .text
        .strip_prefix("type-")
        .and_then(|k| {
            k.chars()
                .next()
                .filter(|c| ('a'..='k').contains(c) && k.len() == 1)
        })
        .ok_or_else(|| w.invalid(kind_token, "segment", "type-a ... type-k"))?;
    let mut s = Segment {
        kind,
        mpls_label: None,
        srv6_sid: None,
        address: None,
        local: None,
        remote: None,
        local_if_id: None,
        remote_if_id: None,
        algorithm: None,
        sid: None,
        behavior: None,
    };
    // Every sub-keyword is optional here; the order is free, the segment ends at the
    // next keyword that is not one of its own.
    while let Some(k) = w.peek_text() {
        match k {
            "mpls" => {
                w.advance();
                s.mpls_label = Some(value::next_number(w, "mpls", 0, 0xF_FFFF)? as u32);
            }
            "srv6" => {
                w.advance();
                let t = w.value("srv6", "an IPv6 SID")?;
                s.srv6_sid = Some(value::ipv6(w, t, "srv6")?);
            }
            "ipv4" | "ipv6" => {
                w.advance();
                let t = w.value(k, "an address")?;
                s.address = Some(value::ip(w, t, k)?);
            }
            "local" | "local-ipv6" => {
                w.advance();
                let t = w.value(k, "an address")?;
                s.local = Some(value::ip(w, t, k)?);
            }
            "remote" | "remote-ipv6" => {
                w.advance();
                let t = w.value(k, "an address")?;
                s.remote = Some(value::ip(w, t, k)?);
            }
            "local-if-id" => {
                w.advance();
                s.local_if_id = Some(optional_u32(w, k)?);
            }
            "remote-if-id" => {
                w.advance();
                s.remote_if_id = Some(optional_u32(w, k)?);
            }
            "algorithm" => {
                w.advance();
                s.algorithm = Some(value::next_number(w, k, 0, 255)? as u8);
            }
            "sid" => {
                w.advance();
                let t = w.value("sid", "an MPLS label or an IPv6 SID")?;
                s.sid = Some(match t.text.parse::<std::net::Ipv6Addr>() {
                    Ok(v6) => SegmentSid::Srv6(v6),
                    Err(_) => SegmentSid::Mpls(value::number(w, t, "sid", 0, 0xF_FFFF)? as u32),
                });
            }
            "endpoint-behavior" => {
                w.advance();
                s.behavior = Some(behavior(w)?);
            }
            _ => break,
        }
    }
    Ok(s)
}

/// `sr-policy ...` after the keyword; `afi` is the enclosing block's, or None (static).
pub fn sr_policy(
    w: &mut Words,
    afi: Option<Afi>,
    draft: &mut RouteDraft,
) -> Result<(Afi, SrPolicy), ConfigError> {
    let mut policy = SrPolicy {
        distinguisher: 0,
        color: 0,
        endpoint: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
        preference: None,
        priority: None,
        binding_sid_mpls: None,
        srv6_binding_sid: None,
        policy_name: None,
        candidate_path_name: None,
        segment_lists: Vec::new(),
    };
    let mut seen = (false, false, false);
    while let Some(t) = w.advance() {
        let k = &*t.text;
        match k {
            "distinguisher" => {
                policy.distinguisher = optional_u32(w, k)?;
                seen.0 = true;
            }
            "color" => {
                policy.color = optional_u32(w, k)?;
                seen.1 = true;
            }
            "endpoint" => {
                let v = w.value(k, "an IP address")?;
                policy.endpoint = value::ip(w, v, k)?;
                seen.2 = true;
            }
            "preference" => policy.preference = Some(optional_u32(w, k)?),
            "priority" => policy.priority = Some(value::next_number(w, k, 0, 255)? as u8),
            "binding-sid" => {
                keyword(w, k, "mpls")?;
                policy.binding_sid_mpls = Some(value::next_number(w, k, 0, 0xF_FFFF)? as u32);
            }
            "srv6-binding-sid" => {
                let v = w.value(k, "an IPv6 SID")?;
                policy.srv6_binding_sid = Some(value::ipv6(w, v, k)?);
            }
            "policy-name" => policy.policy_name = Some(w.value(k, "a name")?.text.to_string()),
            "candidate-path-name" => {
                policy.candidate_path_name = Some(w.value(k, "a name")?.text.to_string())
            }
            "segment-list" => policy.segment_lists.push(SegmentList {
                weight: None,
                segments: Vec::new(),
            }),
            "weight" => {
                let weight = optional_u32(w, k)?;
                match policy.segment_lists.last_mut() {
                    Some(list) => list.weight = Some(weight),
                    None => return Err(w.invalid(t, "sr-policy", "segment-list before weight")),
                }
            }
            "segment" => {
                let kind = w.value(k, "type-a ... type-k")?;
                let seg = segment(w, kind)?;
                match policy.segment_lists.last_mut() {
                    Some(list) => list.segments.push(seg),
                    None => return Err(w.invalid(t, "sr-policy", "segment-list before segment")),
                }
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
    let afi = afi.unwrap_or(if policy.endpoint.is_ipv4() {
        Afi::IPV4
    } else {
        Afi::IPV6
    });
    Ok((afi, policy))
}

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
        let (afi, p) = with_words(
            "distinguisher 1 color 2 endpoint 2001:db8::1 segment-list weight 3 segment type-b srv6 fc00::1 endpoint-behavior 65 32 0 16 0 segment type-a mpls 16;",
            |w| sr_policy(w, None, &mut draft),
        )
        .unwrap();
        assert_eq!(afi, Afi::IPV6);
        assert_eq!(p.segment_lists.len(), 1);
        assert_eq!(p.segment_lists[0].segments.len(), 2);
        assert_eq!(p.segment_lists[0].weight, Some(3));
        assert!(with_words("color 2 endpoint 1.2.3.4;", |w| sr_policy(
            w, None, &mut draft
        ))
        .is_err());
    }
}
