//! Route attributes as configured (config.md §6): typed values with their wire-level facts,
//! and the parser for every attribute keyword shared by static, announce, flow and vpls routes.

use std::net::{Ipv4Addr, Ipv6Addr};

use std::sync::Arc;

use super::error::{ConfigError, ErrorKind, Location};
use super::lexer::Token;
use super::model::{ConfiguredRoute, NextHop, Prefix, RouteAttributes, RouteControl};
use super::value::{self, number, Words};

use crate::bgp::attribute::{
    Aggregator, Aigp, AsPath, Attribute, Community, ExtendedCommunity, LargeCommunity, Origin,
    PrefixSid, PrefixSidTlv, Segment, SegmentKind, SidStructure, CODE_CLUSTER_LIST,
    CODE_COMMUNITIES, CODE_EXTENDED_COMMUNITIES, CODE_LARGE_COMMUNITIES, CODE_PREFIX_SID,
};
use crate::bgp::family::{Family, Safi};
use crate::bgp::nlri::{Labels, Nlri as WireNlri, RouteDistinguisher, MAX_LABELS};

/// NLRI-side values written among the attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NlriFields {
    pub rd: Option<RouteDistinguisher>,
    pub labels: Option<Vec<u32>>,
    pub path_id: Option<u32>,
}

/// Everything a route statement can set besides its prefix.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteDraft {
    pub attributes: RouteAttributes,
    pub control: RouteControl,
    pub nlri: NlriFields,
}

/// One `attribute(s) <attributes...> nlri <prefix> [<prefix>...]` statement, read the same
/// way for the configuration (`static`) and the API: one route per prefix, all sharing one
/// attribute set and the NLRI qualifiers (rd, label, path-information), each located at its
/// prefix. `nlri` and at least one prefix are required, as ExaBGP 5.0.15 requires them.
/// `name` shapes an unknown word in the error (the API shortens what a helper wrote).
pub fn attributes_nlri(
    w: &mut Words,
    name: fn(&str) -> String,
) -> Result<Vec<ConfiguredRoute>, ConfigError> {
    let mut draft = RouteDraft::default();
    let mut found_nlri = false;
    while let Some(t) = w.advance() {
        if t.text == "nlri" {
            found_nlri = true;
            break;
        }
        if !attribute(w, t, &mut draft)? {
            return Err(w.error_at(
                t,
                ErrorKind::UnknownKeyword {
                    keyword: name(&t.text),
                    section: "attributes",
                    suggestion: super::error::suggest(&t.text, ATTRIBUTE_KEYWORDS),
                },
            ));
        }
    }
    if w.is_empty() {
        return Err(ConfigError::new(
            w.here(),
            ErrorKind::MissingValue {
                keyword: if found_nlri { "nlri" } else { "attributes" }.to_string(),
                expected: if found_nlri {
                    "at least one prefix"
                } else {
                    "`nlri` followed by prefixes"
                },
            },
        ));
    }
    let attributes = Arc::new(draft.attributes);
    let control = Arc::new(draft.control);
    let mut routes = Vec::with_capacity(w.tokens.len().saturating_sub(w.index));
    while let Some(t) = w.advance() {
        let prefix = value::prefix(w, t, "nlri")?;
        routes.push(prefix_route(
            prefix,
            &draft.nlri,
            attributes.clone(),
            control.clone(),
            None,
            w.at(t),
        ));
    }
    Ok(routes)
}

impl RouteDraft {
    /// The route of one prefix with this draft's attributes (see [`prefix_route`]).
    pub fn into_prefix_route(
        self,
        prefix: Prefix,
        safi: Option<Safi>,
        location: Location,
    ) -> ConfiguredRoute {
        prefix_route(
            prefix,
            &self.nlri,
            Arc::new(self.attributes),
            Arc::new(self.control),
            safi,
            location,
        )
    }
}

/// A prefix route: its family from `safi`, else from the qualifiers (`rd`: VPN, `label`:
/// labeled unicast) and the prefix (multicast or unicast), as ExaBGP infers it.
pub fn prefix_route(
    prefix: Prefix,
    nlri: &NlriFields,
    attributes: Arc<RouteAttributes>,
    control: Arc<RouteControl>,
    safi: Option<Safi>,
    location: Location,
) -> ConfiguredRoute {
    let safi = safi.unwrap_or(if nlri.rd.is_some() {
        Safi::MPLS_VPN
    } else if nlri.labels.is_some() {
        Safi::NLRI_MPLS
    } else if super::model::is_multicast(&prefix) {
        Safi::MULTICAST
    } else {
        Safi::UNICAST
    });
    // At most MAX_LABELS labels: the `label` keyword checks it.
    let labels =
        || Labels::from_values(nlri.labels.as_deref().unwrap_or(&[])).unwrap_or(Labels::EMPTY);
    let wire = match safi {
        Safi::MPLS_VPN => WireNlri::vpn(
            nlri.path_id,
            labels(),
            nlri.rd.unwrap_or(RouteDistinguisher::ZERO),
            prefix,
        ),
        Safi::NLRI_MPLS => WireNlri::labeled(nlri.path_id, labels(), prefix),
        _ => WireNlri::Prefix {
            path_id: nlri.path_id,
            prefix,
        },
    };
    ConfiguredRoute {
        nlri: wire,
        family: Family::new(prefix.afi(), safi),
        attributes,
        control,
        location,
    }
}

/// Attribute keywords of static/announce routes (for "did you mean").
pub const ATTRIBUTE_KEYWORDS: &[&str] = &[
    "next-hop",
    "origin",
    "as-path",
    "med",
    "local-preference",
    "atomic-aggregate",
    "aggregator",
    "community",
    "large-community",
    "extended-community",
    "originator-id",
    "cluster-list",
    "aigp",
    "label",
    "rd",
    "route-distinguisher",
    "path-information",
    "bgp-prefix-sid",
    "bgp-prefix-sid-srv6",
    "attribute",
    "name",
    "split",
    "watchdog",
    "withdraw",
];

pub const COMMUNITY_NAMES: &[(&str, u32)] = &[
    ("no-export", 0xFFFF_FF01),
    ("no_export", 0xFFFF_FF01),
    ("no-advertise", 0xFFFF_FF02),
    ("no_advertise", 0xFFFF_FF02),
    ("no-export-subconfed", 0xFFFF_FF03),
    ("nopeer", 0xFFFF_FF04),
    ("no-peer", 0xFFFF_FF04),
    ("blackhole", 0xFFFF_029A),
];

/// Parses one attribute whose keyword has just been read. Returns false when the keyword
/// is not an attribute keyword (nothing consumed).
pub fn attribute(
    w: &mut Words,
    keyword: &Token,
    draft: &mut RouteDraft,
) -> Result<bool, ConfigError> {
    let k = &*keyword.text;
    let a = &mut draft.attributes;
    match k {
        "next-hop" => {
            let t = w.value(k, "an IP address or self")?;
            a.next_hop = Some(if t.text.eq_ignore_ascii_case("self") {
                NextHop::SelfAddress
            } else {
                NextHop::Address(value::ip(w, t, k)?)
            });
        }
        "origin" => {
            let t = w.value(k, "igp, egp or incomplete")?;
            a.set(Attribute::Origin(
                Origin::from_name(&t.text)
                    .ok_or_else(|| w.invalid(t, k, "igp, egp or incomplete"))?,
            ));
        }
        "as-path" => a.set(Attribute::AsPath(as_path(w, k)?)),
        "med" => a.set(Attribute::Med(
            value::next_number(w, k, 0, u64::from(u32::MAX))? as u32,
        )),
        "local-preference" => {
            a.set(Attribute::LocalPref(
                value::next_number(w, k, 0, u64::from(u32::MAX))? as u32,
            ))
        }
        "atomic-aggregate" => a.set(Attribute::AtomicAggregate),
        "aggregator" => a.set(Attribute::Aggregator(aggregator(w, k)?)),
        "community" => {
            let mut added = Vec::new();
            for t in w.list(k, "a community")? {
                added.push(Community(community(w, t, k)?));
            }
            match a.get_mut(CODE_COMMUNITIES) {
                Some(Attribute::Communities(list)) => list.extend(added),
                _ if !added.is_empty() => a.set(Attribute::Communities(added)),
                _ => {}
            }
        }
        "large-community" => {
            let mut added: Vec<LargeCommunity> = Vec::new();
            for t in w.list(k, "a large community a:b:c")? {
                added.push(large_community(w, t, k)?);
            }
            if !matches!(
                a.get(CODE_LARGE_COMMUNITIES),
                Some(Attribute::LargeCommunities(_))
            ) {
                if added.is_empty() {
                    return Ok(true);
                }
                a.set(Attribute::LargeCommunities(Vec::new()));
            }
            if let Some(Attribute::LargeCommunities(list)) = a.get_mut(CODE_LARGE_COMMUNITIES) {
                for c in added {
                    if !list.contains(&c) {
                        list.push(c);
                    }
                }
            }
        }
        "extended-community" => {
            let mut added = Vec::new();
            for t in w.list(k, "an extended community")? {
                added.push(ExtendedCommunity(extended_community(w, t, k)?));
            }
            match a.get_mut(CODE_EXTENDED_COMMUNITIES) {
                Some(Attribute::ExtendedCommunities(list)) => list.extend(added),
                _ if !added.is_empty() => a.set(Attribute::ExtendedCommunities(added)),
                _ => {}
            }
        }
        "originator-id" => {
            let t = w.value(k, "an IPv4 address")?;
            a.set(Attribute::OriginatorId(value::ipv4(w, t, k)?));
        }
        "cluster-list" => {
            let items = w.list(k, "an IPv4 address or [ addresses ]")?;
            if items.is_empty() {
                return Err(w.invalid(keyword, k, "at least one IPv4 address"));
            }
            let mut added = Vec::new();
            for t in items {
                added.push(value::ipv4(w, t, k)?);
            }
            match a.get_mut(CODE_CLUSTER_LIST) {
                Some(Attribute::ClusterList(list)) => list.extend(added),
                _ => a.set(Attribute::ClusterList(added)),
            }
        }
        "aigp" => a.set(Attribute::Aigp(Aigp::metric(value::next_number(
            w,
            k,
            0,
            u64::MAX,
        )?))),
        "bgp-prefix-sid" => put_prefix_sid(
            a,
            |t| {
                matches!(
                    t,
                    PrefixSidTlv::LabelIndex { .. } | PrefixSidTlv::OriginatorSrgb { .. }
                )
            },
            prefix_sid(w, k)?,
        ),
        "bgp-prefix-sid-srv6" => put_prefix_sid(
            a,
            |t| matches!(t, PrefixSidTlv::Srv6Service { .. }),
            srv6_service(w, k)?,
        ),
        "attribute" => a.push_raw(generic_attribute(w, k)?),
        "label" => {
            let mut labels = Vec::new();
            for t in w.list(k, "a label or [ labels ]")? {
                if labels.len() == MAX_LABELS {
                    return Err(w.invalid(t, k, "at most 6 labels"));
                }
                labels.push(number(w, t, k, 0, 0xF_FFFF)? as u32);
            }
            draft.nlri.labels = Some(labels);
        }
        "rd" | "route-distinguisher" => {
            let t = w.value(k, "a route distinguisher ASN:n or IP:n")?;
            draft.nlri.rd = Some(route_distinguisher(w, t, k)?);
        }
        "path-information" => {
            let t = w.value(k, "a number or an IPv4 address")?;
            draft.nlri.path_id = Some(match t.text.parse::<Ipv4Addr>() {
                Ok(ip) => u32::from(ip),
                Err(_) => number(w, t, k, 0, u64::from(u32::MAX))? as u32,
            });
        }
        "name" => draft.control.name = Some(w.value(k, "a name")?.text.to_string()),
        "split" => {
            let t = w.value(k, "/<length>")?;
            let len = t
                .text
                .strip_prefix('/')
                .and_then(|l| l.parse::<u8>().ok())
                .filter(|l| *l <= 128)
                .ok_or_else(|| w.invalid(t, k, "/<length> (for example /24)"))?;
            draft.control.split = Some(len);
        }
        "watchdog" => {
            let t = w.value(k, "a watchdog name")?;
            if t.text == "announce" || t.text == "withdraw" {
                return Err(w.invalid(t, k, "a name other than announce or withdraw"));
            }
            draft.control.watchdog = Some(t.text.to_string());
        }
        "withdraw" => draft.control.withdraw = true,
        _ => return Ok(false),
    }
    Ok(true)
}

fn as_path(w: &mut Words, k: &str) -> Result<AsPath, ConfigError> {
    let first = w.value(k, "an AS number, [ sequence ] or ( set )")?;
    let mut path = AsPath::default();
    if !first.is_punct("[") && first.text != "(" {
        path.segments.push(Segment {
            kind: SegmentKind::Sequence,
            asns: vec![value::asn(w, first, k)?],
        });
        return Ok(path);
    }
    let mut open = Some(first);
    while let Some(opening) = open {
        let is_sequence = opening.is_punct("[");
        let close = if is_sequence { "]" } else { ")" };
        let mut asns = Vec::new();
        let mut inner_set: Option<Vec<u32>> = None;
        loop {
            let Some(t) = w.advance() else {
                return Err(ConfigError::new(
                    w.here(),
                    ErrorKind::MissingValue {
                        keyword: k.to_string(),
                        expected: "a closing `]` or `)`",
                    },
                ));
            };
            if t.text == close && !t.quoted {
                break;
            }
            if t.is_punct(",") {
                continue;
            }
            if is_sequence && t.text == "(" && inner_set.is_none() {
                // 4.x form: `[ a b ( c d ) ]`, the set follows the sequence.
                let mut set = Vec::new();
                loop {
                    let Some(s) = w.advance() else {
                        return Err(ConfigError::new(
                            w.here(),
                            ErrorKind::MissingValue {
                                keyword: k.to_string(),
                                expected: "a closing `)`",
                            },
                        ));
                    };
                    if s.text == ")" {
                        break;
                    }
                    if s.is_punct(",") {
                        continue;
                    }
                    set.push(value::asn(w, s, k)?);
                }
                inner_set = Some(set);
                continue;
            }
            asns.push(value::asn(w, t, k)?);
        }
        path.segments.push(Segment {
            kind: if is_sequence {
                SegmentKind::Sequence
            } else {
                SegmentKind::Set
            },
            asns,
        });
        if let Some(set) = inner_set {
            path.segments.push(Segment {
                kind: SegmentKind::Set,
                asns: set,
            });
        }
        open = match w.peek() {
            Some(t) if t.is_punct("[") || t.text == "(" => w.advance(),
            _ => None,
        };
    }
    // `as-path [ ]` is an empty path: no segment at all.
    path.segments.retain(|s| !s.asns.is_empty());
    Ok(path)
}

fn aggregator(w: &mut Words, k: &str) -> Result<Aggregator, ConfigError> {
    let mut t = w.value(k, "ASN:IPv4")?;
    let wrapped = t.text == "(";
    if wrapped {
        t = w.value(k, "ASN:IPv4")?;
    }
    let text = t.text.trim_start_matches('(').trim_end_matches(')');
    let parsed = text.split_once(':').and_then(|(asn, ip)| {
        Some(Aggregator {
            asn: value::parse_asn_text(asn)?,
            address: ip.parse().ok()?,
        })
    });
    let agg = parsed.ok_or_else(|| w.invalid(t, k, "ASN:IPv4 (for example 65000:192.0.2.1)"))?;
    if wrapped {
        match w.advance() {
            Some(c) if c.text == ")" => {}
            Some(c) => return Err(w.invalid(c, k, "`)`")),
            None => {
                return Err(ConfigError::new(
                    w.here(),
                    ErrorKind::MissingValue {
                        keyword: k.to_string(),
                        expected: "`)`",
                    },
                ))
            }
        }
    }
    Ok(agg)
}

/// Standard community text → 32-bit value.
pub fn parse_community_text(text: &str) -> Option<u32> {
    let lower = text.to_ascii_lowercase();
    if let Some((_, v)) = COMMUNITY_NAMES.iter().find(|(n, _)| *n == lower) {
        return Some(*v);
    }
    if let Some((high, low)) = text.split_once(':') {
        let high: u32 = high.parse().ok().filter(|h| *h <= 65535)?;
        let low: u32 = low.parse().ok().filter(|l| *l <= 65535)?;
        return Some((high << 16) | low);
    }
    value::parse_u64_text(text).and_then(|v| u32::try_from(v).ok())
}

pub fn community(w: &Words, t: &Token, k: &str) -> Result<u32, ConfigError> {
    parse_community_text(&t.text).ok_or_else(|| {
        w.invalid(
            t,
            k,
            "a:b (each 0..65535), a 32-bit number, or no-export, no-advertise, no-export-subconfed, nopeer, blackhole",
        )
    })
}

pub fn large_community(w: &Words, t: &Token, k: &str) -> Result<LargeCommunity, ConfigError> {
    let parts: Vec<&str> = t.text.split(':').collect();
    let parsed = match parts.as_slice() {
        [a, b, c] => (|| {
            Some(LargeCommunity {
                global: a.parse().ok()?,
                local1: b.parse().ok()?,
                local2: c.parse().ok()?,
            })
        })(),
        [n] if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => n
            .parse::<u128>()
            .ok()
            .filter(|v| *v < (1u128 << 96))
            .map(|v| LargeCommunity {
                global: (v >> 64) as u32,
                local1: (v >> 32) as u32,
                local2: v as u32,
            }),
        _ => None,
    };
    parsed.ok_or_else(|| w.invalid(t, k, "a:b:c with each part 0..4294967295"))
}

/// Parses one component of an extended community: number (with optional `L`) or IPv4.
enum ExtPart {
    Number { value: u64, long: bool },
    Ip(u32),
}

fn ext_part(text: &str) -> Option<ExtPart> {
    if let Ok(ip) = text.parse::<Ipv4Addr>() {
        return Some(ExtPart::Ip(u32::from(ip)));
    }
    let (digits, long) = match text.strip_suffix('L') {
        Some(d) => (d, true),
        None => (text, false),
    };
    let value = value::parse_u64_text(digits)?;
    Some(ExtPart::Number { value, long })
}

/// Extended community text → 8 bytes (ExaBGP 5.x encodings, config.md §6.5).
pub fn parse_extended_community_text(text: &str) -> Option<[u8; 8]> {
    let lower = text.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("0x") {
        if hex.len() != 16 {
            return None;
        }
        let v = u64::from_str_radix(hex, 16).ok()?;
        return Some(v.to_be_bytes());
    }
    if lower == "redirect-to-nexthop" {
        return Some([0x08, 0, 0, 0, 0, 0, 0, 0]);
    }
    let parts: Vec<&str> = text.split(':').collect();
    let mut out = [0u8; 8];
    let two_part = parts.len() == 2 && parts.first().and_then(|a| ext_part(a)).is_some();
    let (kind, rest): (&str, &[&str]) = if two_part {
        ("target", parts.as_slice())
    } else {
        match parts.split_first() {
            Some((kind, rest)) => (kind, rest),
            None => return None,
        }
    };
    let num = |s: &str, max: u64| -> Option<u64> {
        match ext_part(s)? {
            ExtPart::Number { value, .. } if value <= max => Some(value),
            ExtPart::Ip(ip) if u64::from(ip) <= max => Some(u64::from(ip)),
            _ => None,
        }
    };
    match (kind.to_ascii_lowercase().as_str(), rest) {
        (k @ ("target" | "origin" | "target4" | "origin4"), [ga, la]) => {
            let subtype = if k.starts_with("target") { 0x02 } else { 0x03 };
            let four = k.ends_with('4');
            match ext_part(ga)? {
                ExtPart::Ip(ip) => {
                    out[0] = 0x01;
                    out[1] = subtype;
                    out[2..6].copy_from_slice(&ip.to_be_bytes());
                    out[6..8].copy_from_slice(&(num(la, 0xFFFF)? as u16).to_be_bytes());
                }
                ExtPart::Number { value, long } if value <= 0xFFFF && !long && !four => {
                    out[0] = 0x00;
                    out[1] = subtype;
                    out[2..4].copy_from_slice(&(value as u16).to_be_bytes());
                    out[4..8].copy_from_slice(&(num(la, 0xFFFF_FFFF)? as u32).to_be_bytes());
                }
                ExtPart::Number { value, .. } => {
                    // ExaBGP 5.x: 4-byte global administrators use the IPv4 layout (type 0x01).
                    let ga = u32::try_from(value).ok()?;
                    out[0] = 0x01;
                    out[1] = subtype;
                    out[2..6].copy_from_slice(&ga.to_be_bytes());
                    out[6..8].copy_from_slice(&(num(la, 0xFFFF)? as u16).to_be_bytes());
                }
            }
        }
        ("redirect", [asn, n]) => {
            let asn = num(asn, 0xFFFF_FFFF)?;
            if asn <= 0xFFFF {
                out[0] = 0x80;
                out[1] = 0x08;
                out[2..4].copy_from_slice(&(asn as u16).to_be_bytes());
                out[4..8].copy_from_slice(&(num(n, 0xFFFF_FFFF)? as u32).to_be_bytes());
            } else {
                out[0] = 0x82;
                out[1] = 0x08;
                out[2..6].copy_from_slice(&(asn as u32).to_be_bytes());
                out[6..8].copy_from_slice(&(num(n, 0xFFFF)? as u16).to_be_bytes());
            }
        }
        ("l2info", [encaps, control, mtu, pref]) => {
            out[0] = 0x80;
            out[1] = 0x0A;
            out[2] = num(encaps, 0xFF)? as u8;
            out[3] = num(control, 0xFF)? as u8;
            out[4..6].copy_from_slice(&(num(mtu, 0xFFFF)? as u16).to_be_bytes());
            out[6..8].copy_from_slice(&(num(pref, 0xFFFF)? as u16).to_be_bytes());
        }
        ("bandwidth", [asn, bw]) => {
            out[0] = 0x40;
            out[1] = 0x04;
            out[2..4].copy_from_slice(&(num(asn, 0xFFFF)? as u16).to_be_bytes());
            let rate: f32 = bw
                .parse()
                .ok()
                .filter(|r: &f32| r.is_finite() && *r >= 0.0)?;
            out[4..8].copy_from_slice(&rate.to_be_bytes());
        }
        ("mup", [a, b]) => {
            out[0] = 0x0C;
            out[1] = 0x00;
            out[2..4].copy_from_slice(&(num(a, 0xFFFF)? as u16).to_be_bytes());
            out[4..8].copy_from_slice(&(num(b, 0xFFFF_FFFF)? as u32).to_be_bytes());
        }
        _ => return None,
    }
    Some(out)
}

pub fn extended_community(w: &Words, t: &Token, k: &str) -> Result<[u8; 8], ConfigError> {
    parse_extended_community_text(&t.text).ok_or_else(|| {
        w.invalid(
            t,
            k,
            "target:GA:LA, origin:GA:LA, target4:, origin4:, redirect:ASN:N, l2info:E:C:MTU:P, \
             bandwidth:ASN:RATE, mup:A:B, redirect-to-nexthop or 0x followed by 16 hex digits",
        )
    })
}

/// `<ga>:<n>` (config.md §6.6).
pub fn parse_rd_text(text: &str) -> Option<RouteDistinguisher> {
    let (ga, n) = text.rsplit_once(':')?;
    let n = value::parse_u64_text(n)?;
    let mut bytes = [0u8; 8];
    if let Ok(ip) = ga.parse::<Ipv4Addr>() {
        bytes[1] = 1;
        bytes[2..6].copy_from_slice(&ip.octets());
        bytes[6..8].copy_from_slice(&u16::try_from(n).ok()?.to_be_bytes());
        return Some(RouteDistinguisher(bytes));
    }
    let ga = value::parse_u64_text(ga.trim_end_matches('L'))?;
    if ga <= 0xFFFF && n <= 0xFFFF_FFFF {
        bytes[1] = 0;
        bytes[2..4].copy_from_slice(&(ga as u16).to_be_bytes());
        bytes[4..8].copy_from_slice(&(n as u32).to_be_bytes());
    } else if ga <= 0xFFFF_FFFF && n <= 0xFFFF {
        bytes[1] = 2;
        bytes[2..6].copy_from_slice(&(ga as u32).to_be_bytes());
        bytes[6..8].copy_from_slice(&(n as u16).to_be_bytes());
    } else {
        return None;
    }
    Some(RouteDistinguisher(bytes))
}

pub fn route_distinguisher(
    w: &Words,
    t: &Token,
    k: &str,
) -> Result<RouteDistinguisher, ConfigError> {
    parse_rd_text(&t.text).ok_or_else(|| {
        w.invalid(
            t,
            k,
            "ASN:n (ASN < 65536, n < 2^32), ASN4:n (n < 65536) or IPv4:n (n < 65536)",
        )
    })
}

/// Collects the words up to the bracket that closes the one just read, as plain atoms
/// (parentheses and commas split off).
fn bracket_atoms(
    w: &mut Words,
    k: &str,
    open: &str,
    close: &str,
) -> Result<Vec<String>, ConfigError> {
    let mut depth = 1usize;
    let mut atoms = Vec::new();
    while depth > 0 {
        let Some(t) = w.advance() else {
            return Err(ConfigError::new(
                w.here(),
                ErrorKind::MissingValue {
                    keyword: k.to_string(),
                    expected: "the closing bracket",
                },
            ));
        };
        let mut word = String::new();
        for c in t.text.chars() {
            if depth == 0 {
                // Text glued after the closing bracket (`))`): not part of this value.
                return Err(w.invalid(t, k, "nothing after the closing bracket"));
            }
            if matches!(c, '(' | ')' | '[' | ']' | ',') && !t.quoted {
                if !word.is_empty() {
                    atoms.push(std::mem::take(&mut word));
                }
                let s = c.to_string();
                if s == open {
                    depth += 1;
                } else if s == close {
                    depth -= 1;
                }
                if depth > 0 {
                    atoms.push(s);
                }
            } else {
                word.push(c);
            }
        }
        if !word.is_empty() {
            atoms.push(word);
        }
    }
    Ok(atoms)
}

/// Replaces the TLVs `replaced` selects with `tlvs` (a later keyword wins), keeping them in
/// type order: label index, originator SRGB, SRv6 services, as they are sent.
fn put_prefix_sid(
    attributes: &mut RouteAttributes,
    replaced: fn(&PrefixSidTlv) -> bool,
    tlvs: Vec<PrefixSidTlv>,
) {
    if attributes.get(CODE_PREFIX_SID).is_none() {
        attributes.set(Attribute::PrefixSid(PrefixSid::default()));
    }
    let Some(Attribute::PrefixSid(sid)) = attributes.get_mut(CODE_PREFIX_SID) else {
        return;
    };
    sid.tlvs.retain(|t| !replaced(t));
    sid.tlvs.extend(tlvs);
    sid.tlvs.sort_by_key(|t| match t {
        PrefixSidTlv::LabelIndex { .. } => 1,
        PrefixSidTlv::OriginatorSrgb { .. } => 3,
        PrefixSidTlv::Srv6Service { kind, .. } | PrefixSidTlv::Unknown { kind, .. } => *kind,
    });
}

/// `bgp-prefix-sid [ index ]` or `[ index, [ ( base,range ) ... ] ]`: the label index TLV
/// and, with ranges, the originator SRGB TLV.
fn prefix_sid(w: &mut Words, k: &str) -> Result<Vec<PrefixSidTlv>, ConfigError> {
    let open = w.value(
        k,
        "[ label-index ] or [ label-index, [ ( base,range ) ... ] ]",
    )?;
    let fail = |w: &Words| {
        w.invalid(
            open,
            k,
            "[ label-index ] or [ label-index, [ ( base,range ) ... ] ]",
        )
    };
    if !open.is_punct("[") {
        return Err(fail(w));
    }
    let atoms = bracket_atoms(w, k, "[", "]")?;
    let mut items = atoms
        .iter()
        .filter(|a| a.as_str() != "," && a.as_str() != "(" && a.as_str() != ")");
    let label_index = items
        .next()
        .and_then(|a| value::parse_u64_text(a))
        .and_then(|v| u32::try_from(v).ok())
        .ok_or_else(|| fail(w))?;
    let mut srgbs = Vec::new();
    let rest: Vec<&String> = items
        .filter(|a| a.as_str() != "[" && a.as_str() != "]")
        .collect();
    if rest.len() % 2 != 0 {
        return Err(fail(w));
    }
    for pair in rest.chunks(2) {
        let base = pair
            .first()
            .and_then(|a| value::parse_u64_text(a))
            .filter(|v| *v < 1 << 24);
        let range = pair
            .get(1)
            .and_then(|a| value::parse_u64_text(a))
            .filter(|v| *v < 1 << 24);
        match (base, range) {
            (Some(b), Some(r)) => srgbs.push((b as u32, r as u32)),
            _ => return Err(fail(w)),
        }
    }
    Ok(PrefixSid::label_index(label_index, &srgbs).tlvs)
}

/// `bgp-prefix-sid-srv6 ( l3-service|l2-service SID [behavior] [ [structure] ] )`: an SRv6
/// service TLV (RFC 9252) with one SID information sub-TLV.
fn srv6_service(w: &mut Words, k: &str) -> Result<Vec<PrefixSidTlv>, ConfigError> {
    const EXPECTED: &str = "( l3-service|l2-service SID [behavior] [ [LBL,LNL,FL,AL,TL,TO] ] )";
    let open = w.value(k, EXPECTED)?;
    if !open.text.starts_with('(') {
        return Err(w.invalid(open, k, EXPECTED));
    }
    let mut atoms = bracket_atoms_from(open, w, k)?;
    atoms.retain(|a| a != ",");
    let fail = |w: &Words| w.invalid(open, k, EXPECTED);
    let mut it = atoms.iter();
    let l3 = match it.next().map(String::as_str) {
        Some("l3-service") => true,
        Some("l2-service") => false,
        _ => return Err(fail(w)),
    };
    let sid: Ipv6Addr = it
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| fail(w))?;
    let mut behavior = 0xFFFF;
    let mut structure = None;
    let mut rest: Vec<&String> = it.collect();
    if let Some(b) = rest.first() {
        if b.as_str() != "[" {
            behavior = value::parse_u64_text(b)
                .and_then(|v| u16::try_from(v).ok())
                .ok_or_else(|| fail(w))?;
            rest.remove(0);
        }
    }
    if !rest.is_empty() {
        let numbers: Vec<&String> = rest
            .iter()
            .copied()
            .filter(|a| a.as_str() != "[" && a.as_str() != "]")
            .collect();
        if numbers.len() != 6 || rest.first().map(|s| s.as_str()) != Some("[") {
            return Err(fail(w));
        }
        let mut s = [0u8; 6];
        for (slot, n) in s.iter_mut().zip(numbers) {
            *slot = value::parse_u64_text(n)
                .and_then(|v| u8::try_from(v).ok())
                .ok_or_else(|| fail(w))?;
        }
        structure = Some(SidStructure {
            locator_block_length: s[0],
            locator_node_length: s[1],
            function_length: s[2],
            argument_length: s[3],
            transposition_length: s[4],
            transposition_offset: s[5],
        });
    }
    Ok(PrefixSid::srv6_service(!l3, sid, behavior, structure).tlvs)
}

/// Like `bracket_atoms` but the opening `(` may be glued to the first word.
fn bracket_atoms_from(open: &Token, w: &mut Words, k: &str) -> Result<Vec<String>, ConfigError> {
    let glued = &open.text[1..];
    if glued.is_empty() {
        return bracket_atoms(w, k, "(", ")");
    }
    if let Some(inner) = glued.strip_suffix(')') {
        return Ok(vec![inner.to_string()]);
    }
    let mut atoms = vec![glued.to_string()];
    atoms.extend(bracket_atoms(w, k, "(", ")")?);
    Ok(atoms)
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    let hex = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    if hex.len() % 2 != 0 {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect()
}

fn generic_attribute(w: &mut Words, k: &str) -> Result<Attribute, ConfigError> {
    const EXPECTED: &str = "[ 0xCODE 0xFLAGS 0xDATA ]";
    let open = w.value(k, EXPECTED)?;
    if !open.is_punct("[") {
        return Err(w.invalid(open, k, EXPECTED));
    }
    let mut parts = Vec::new();
    loop {
        match w.advance() {
            Some(t) if t.is_punct("]") => break,
            Some(t) if t.is_punct(",") => {}
            Some(t) => parts.push(t),
            None => {
                return Err(ConfigError::new(
                    w.here(),
                    ErrorKind::MissingValue {
                        keyword: k.to_string(),
                        expected: "`]`",
                    },
                ))
            }
        }
    }
    let byte = |t: &Token, what: &'static str| -> Result<u8, ConfigError> {
        t.text
            .strip_prefix("0x")
            .and_then(|h| u8::from_str_radix(h, 16).ok())
            .ok_or_else(|| w.invalid(t, k, what))
    };
    match parts.as_slice() {
        [code, flags, data] => Ok(Attribute::Unknown {
            code: byte(code, "an attribute code 0x00..0xFF")?,
            flags: byte(flags, "attribute flags 0x00..0xFF")?,
            value: hex_bytes(&data.text)
                .ok_or_else(|| w.invalid(data, k, "0x followed by an even number of hex digits"))?,
        }),
        [code, flags] => Ok(Attribute::Unknown {
            code: byte(code, "an attribute code 0x00..0xFF")?,
            flags: byte(flags, "attribute flags 0x00..0xFF")?,
            value: Vec::new(),
        }),
        _ => Err(w.invalid(open, k, EXPECTED)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::attribute::{Srv6SubSubTlv, Srv6SubTlv};

    /// A prefix route holds its wire NLRI: labels and RD for a VPN route, shared by the
    /// prefixes of one `nlri` list; more labels than an NLRI carries are refused where
    /// written.
    #[test]
    fn prefix_routes_hold_their_wire_nlri() {
        let routes = |body: &str| {
            let text = format!(
                "neighbor 10.0.0.1 {{ local-as 1; peer-as 1; local-address 10.0.0.2; \
                 family {{ ipv4 mpls-vpn; ipv4 unicast; }} static {{ {body} }} }}"
            );
            crate::config::parse(&text, "t.conf")
                .map(|c| c.neighbors[0].routes.iter().cloned().collect::<Vec<_>>())
        };
        let list = routes(
            "route 10.0.0.0/24 next-hop 1.1.1.1 label [ 100 200 ] rd 65000:1 path-information 3;",
        )
        .unwrap();
        let (family, nlri) = (list[0].family, &list[0].nlri);
        assert_eq!(family.safi, Safi::MPLS_VPN);
        assert_eq!(nlri.path_id(), Some(3));
        assert_eq!(nlri.rd(), Some(RouteDistinguisher::as2(65000, 1)));
        assert_eq!(nlri.labels(), Labels::from_values(&[100, 200]).as_ref());
        let error = routes("route 10.0.0.0/24 next-hop 1.1.1.1 label [ 1 2 3 4 5 6 7 ] rd 1:1;")
            .unwrap_err();
        assert!(error.to_string().contains("at most 6 labels"), "{error}");
    }

    #[test]
    fn communities() {
        assert_eq!(parse_community_text("65000:1"), Some(0xFDE8_0001));
        assert_eq!(parse_community_text("NO-EXPORT"), Some(0xFFFF_FF01));
        assert_eq!(parse_community_text("0x87654321"), Some(0x8765_4321));
        assert_eq!(parse_community_text("65536:1"), None);
    }

    #[test]
    fn extended_communities_match_exabgp_5() {
        let hex = |t: &str| parse_extended_community_text(t).map(u64::from_be_bytes);
        assert_eq!(hex("origin:100:1000"), Some(0x0003_0064_0000_03E8));
        assert_eq!(hex("origin:70500:5000"), Some(0x0103_0001_1364_1388));
        assert_eq!(hex("target:8.8.8.8:8000"), Some(0x0102_0808_0808_1F40));
        assert_eq!(hex("origin:9000:9.9.9.9"), Some(0x0003_2328_0909_0909));
        assert_eq!(hex("target4:71200:12000"), Some(0x0102_0001_1620_2EE0));
        assert_eq!(hex("redirect:1300:83000"), Some(0x8008_0514_0001_4438));
        assert_eq!(hex("l2info:1:2:13398:30864"), Some(0x800A_0102_3456_7890));
        assert_eq!(hex("72:0.0.0.1"), Some(0x0002_0048_0000_0001));
        assert_eq!(hex("target:120000L:123"), Some(0x0102_0001_D4C0_007B));
        assert_eq!(hex("target:65536:65536"), None);
        assert_eq!(hex("soo:1:1"), None);
    }

    /// Found by the `config` fuzz target: two closing brackets in one word made the
    /// bracket depth go below zero (a panic in debug builds).
    #[test]
    fn bracket_closed_twice_in_one_word() {
        let text = "neighbor 127.0.0.1 {\n\tstatic {\nroute 10.1.0.4 {bgp-prefix-sid-srv6 ( l2));}\t}\n}\n";
        let error = crate::config::parse(text, "fuzz.conf").unwrap_err();
        assert_eq!(error.location.line, 3, "{error}");
    }

    #[test]
    fn srv6_service_brackets() {
        use crate::config::lexer::tokenize;
        let file: std::sync::Arc<str> = "t".into();
        let parse = |text: &str| {
            let statements = tokenize(&file, text).unwrap();
            let mut w = Words::new(&file, &statements[0].tokens, 1, 1);
            srv6_service(&mut w, "bgp-prefix-sid-srv6")
        };
        let ok = parse("( l3-service 2001:db8::1 0x48 [64,24,16,0,0,0] );").unwrap();
        let [PrefixSidTlv::Srv6Service {
            kind: 5, sub_tlvs, ..
        }] = ok.as_slice()
        else {
            panic!("{ok:?}");
        };
        let [Srv6SubTlv::SidInformation(info)] = sub_tlvs.as_slice() else {
            panic!("{sub_tlvs:?}");
        };
        assert_eq!(info.endpoint_behavior, 0x48);
        let structure = SidStructure {
            locator_block_length: 64,
            locator_node_length: 24,
            function_length: 16,
            ..SidStructure::default()
        };
        assert_eq!(info.sub_sub_tlvs, [Srv6SubSubTlv::Structure(structure)]);
        // Found by fuzzing: a doubled closing parenthesis underflowed the depth counter.
        assert!(parse("( l3-service 2001:db8::1 0x48 [0X,24,16,0,0,0] ));").is_err());
        assert!(parse("( l3-service 2001:db8::1 ));").is_err());
    }

    #[test]
    fn route_distinguishers() {
        assert_eq!(parse_rd_text("65000:1").map(|r| r.0[1]), Some(0));
        assert_eq!(parse_rd_text("1.2.3.4:5").map(|r| r.0[1]), Some(1));
        let rd = parse_rd_text("65535:65536").unwrap();
        assert_eq!(rd.0, [0, 0, 0xFF, 0xFF, 0, 1, 0, 0]);
        assert_eq!(parse_rd_text("4200000000:7").map(|r| r.0[1]), Some(2));
        assert_eq!(parse_rd_text("4200000000:70000"), None);
        assert_eq!(rd.to_string(), "65535:65536");
    }
}
