//! The FlowSpec grammar (RFC 8955/8956, config.md §7), block and inline forms: match
//! components are encoded to `bgp::flow` bytes and `then` actions to extended communities.

use std::net::IpAddr;

use crate::bgp::attribute::{ExtendedCommunity, Ipv6ExtendedCommunity};
use crate::bgp::family::Afi;
use crate::bgp::flow::{self as wire, FlowError, FlowNlri};

use super::error::{ConfigError, ErrorKind, Warning, WarningKind};
use super::lexer::Token;
use super::model::{NextHop, Prefix};
use super::route::{self, RouteDraft};
use super::value::{self, Words};
use crate::bgp::nlri::RouteDistinguisher;

/// Numeric operator bits (RFC 8955 §4.2.1.1).
pub const OP_EQ: u8 = 0x01;
pub const OP_GT: u8 = 0x02;
pub const OP_LT: u8 = 0x04;
/// Bitmask operator bits (RFC 8955 §4.2.1.2).
pub const OP_MATCH: u8 = 0x01;
pub const OP_NOT: u8 = 0x02;

/// A flow route being read: its components already in wire form (put in type order by
/// [`FlowDraft::finish`]); the actions go straight into the route's attributes.
#[derive(Debug, Default)]
pub struct FlowDraft {
    /// `route NAME { ... }`: becomes the route's `name` unless one is written.
    pub name: Option<String>,
    pub afi: Option<Afi>,
    pub rd: Option<RouteDistinguisher>,
    /// (component type, encoded component with its type byte), in the order written.
    components: Vec<(u8, Vec<u8>)>,
}

impl FlowDraft {
    /// The route's NLRI: components in type order, IPv4 unless an IPv6 prefix was given
    /// (or the block's family says so), flow-vpn with an RD; the route's extended
    /// communities sorted as ExaBGP sends them, its name set from the block's.
    pub fn finish(mut self, draft: &mut RouteDraft) -> Result<FlowNlri, FlowError> {
        self.components.sort_by_key(|(kind, _)| *kind);
        let bytes: Vec<u8> = self.components.into_iter().flat_map(|(_, b)| b).collect();
        if draft.control.name.is_none() {
            draft.control.name = self.name;
        }
        draft.attributes.sort_extended_communities();
        FlowNlri::from_components(self.afi == Some(Afi::IPV6), self.rd, &bytes)
    }
}

/// The extended community of an IETF redirect-to-IPv4 (draft-ietf-idr-flowspec-redirect-ip:
/// type 0x01, sub-type 0x0C, the address, 2 bytes of flags).
fn redirect_ietf_ipv4(ip: std::net::Ipv4Addr) -> ExtendedCommunity {
    let mut b = [0u8; 8];
    b[0] = 0x01;
    b[1] = 0x0C;
    b[2..6].copy_from_slice(&ip.octets());
    ExtendedCommunity(b)
}

/// Copy to the next-hop: redirect-to-nexthop with the copy bit.
const COPY_TO_NEXTHOP: ExtendedCommunity = ExtendedCommunity([0x08, 0, 0, 0, 0, 0, 0, 0x01]);

/// draft-ietf-idr-flowspec-interfaceset: type 0x07 (0x47 non-transitive), sub-type 2,
/// 4-byte AS, then the direction bits (input 1, output 2) above a 14-bit group id.
fn interface_set_community(
    transitive: bool,
    input: bool,
    output: bool,
    asn: u32,
    group_id: u16,
) -> ExtendedCommunity {
    let direction = u16::from(input) | (u16::from(output) << 1);
    let mut b = [0u8; 8];
    b[0] = if transitive { 0x07 } else { 0x47 };
    b[1] = 0x02;
    b[2..6].copy_from_slice(&asn.to_be_bytes());
    b[6..8].copy_from_slice(&((direction << 14) | (group_id & 0x3FFF)).to_be_bytes());
    ExtendedCommunity(b)
}

pub const MATCH_KEYWORDS: &[&str] = &[
    "destination",
    "destination-ipv4",
    "destination-ipv6",
    "source",
    "source-ipv4",
    "source-ipv6",
    "protocol",
    "next-header",
    "port",
    "destination-port",
    "source-port",
    "icmp-type",
    "icmp-code",
    "tcp-flags",
    "packet-length",
    "dscp",
    "traffic-class",
    "fragment",
    "flow-label",
];

pub const THEN_KEYWORDS: &[&str] = &[
    "accept",
    "discard",
    "rate-limit",
    "redirect",
    "redirect-to-nexthop",
    "redirect-to-nexthop-ietf",
    "copy",
    "mark",
    "action",
    "community",
    "large-community",
    "extended-community",
];

enum Kind {
    Numeric(&'static [(&'static str, u64)], u64),
    Bitmask(&'static [(&'static str, u64)], u64),
}

const PROTOCOLS: &[(&str, u64)] = &[
    ("icmp", 1),
    ("igmp", 2),
    ("tcp", 6),
    ("egp", 8),
    ("udp", 17),
    ("rsvp", 46),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("ospf", 89),
    ("ipip", 94),
    ("pim", 103),
    ("sctp", 132),
];

const PORTS: &[(&str, u64)] = &[
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("domain", 53),
    ("dns", 53),
    ("bootps", 67),
    ("bootpc", 68),
    ("tftp", 69),
    ("http", 80),
    ("www", 80),
    ("pop3", 110),
    ("ntp", 123),
    ("imap", 143),
    ("snmp", 161),
    ("bgp", 179),
    ("ldap", 389),
    ("https", 443),
    ("syslog", 514),
    ("submission", 587),
    ("ldaps", 636),
    ("imaps", 993),
    ("pop3s", 995),
    ("mysql", 3306),
    ("rdp", 3389),
];

const ICMP_TYPES: &[(&str, u64)] = &[
    ("echo-reply", 0),
    ("unreachable", 3),
    ("redirect", 5),
    ("echo-request", 8),
    ("router-advertisement", 9),
    ("router-solicit", 10),
    ("time-exceeded", 11),
    ("parameter-problem", 12),
    ("timestamp", 13),
    ("timestamp-reply", 14),
    ("photuris", 40),
    ("experimental-mobility", 41),
    ("extended-echo-request", 42),
    ("extended-echo-reply", 43),
    ("experimental-one", 253),
    ("experimental-two", 254),
];

const ICMP_CODES: &[(&str, u64)] = &[
    ("network-unreachable", 0),
    ("host-unreachable", 1),
    ("protocol-unreachable", 2),
    ("port-unreachable", 3),
    ("fragmentation-needed", 4),
    ("source-route-failed", 5),
    ("destination-network-unknown", 6),
    ("destination-host-unknown", 7),
    ("source-host-isolated", 8),
    ("destination-network-prohibited", 9),
    ("destination-host-prohibited", 10),
    ("network-unreachable-for-tos", 11),
    ("host-unreachable-for-tos", 12),
    ("communication-prohibited-by-filtering", 13),
    ("host-precedence-violation", 14),
    ("precedence-cutoff-in-effect", 15),
    ("redirect-for-network", 0),
    ("redirect-for-host", 1),
    ("redirect-for-tos-and-net", 2),
    ("redirect-for-tos-and-host", 3),
    ("ttl-eq-zero-during-transit", 0),
    ("ttl-eq-zero-during-reassembly", 1),
    ("required-option-missing", 1),
    ("ip-header-bad", 2),
];

const TCP_FLAGS: &[(&str, u64)] = &[
    ("fin", 0x01),
    ("syn", 0x02),
    ("rst", 0x04),
    ("push", 0x08),
    ("ack", 0x10),
    ("urg", 0x20),
    ("urgent", 0x20),
    ("ece", 0x40),
    ("cwr", 0x80),
    ("ns", 0x100),
];

const FRAGMENTS: &[(&str, u64)] = &[
    ("dont-fragment", 0x01),
    ("is-fragment", 0x02),
    ("first-fragment", 0x04),
    ("last-fragment", 0x08),
];

/// (type id, value kind, IPv6-only / IPv4-only hint) of a match keyword.
fn component(keyword: &str) -> Option<(u8, Kind, Option<Afi>)> {
    Some(match keyword {
        "protocol" => (3, Kind::Numeric(PROTOCOLS, 255), Some(Afi::IPV4)),
        "next-header" => (3, Kind::Numeric(PROTOCOLS, 255), Some(Afi::IPV6)),
        "port" => (4, Kind::Numeric(PORTS, 65535), None),
        "destination-port" => (5, Kind::Numeric(PORTS, 65535), None),
        "source-port" => (6, Kind::Numeric(PORTS, 65535), None),
        "icmp-type" => (7, Kind::Numeric(ICMP_TYPES, 255), None),
        "icmp-code" => (8, Kind::Numeric(ICMP_CODES, 255), None),
        "tcp-flags" => (9, Kind::Bitmask(TCP_FLAGS, 0xFFF), None),
        "packet-length" => (10, Kind::Numeric(&[], 65535), None),
        "dscp" => (11, Kind::Numeric(&[], 63), Some(Afi::IPV4)),
        "traffic-class" => (11, Kind::Numeric(&[], 255), Some(Afi::IPV6)),
        "fragment" => (12, Kind::Bitmask(FRAGMENTS, 0xFF), None),
        "flow-label" => (13, Kind::Numeric(&[], 0xF_FFFF), Some(Afi::IPV6)),
        _ => return None,
    })
}

fn named(names: &[(&str, u64)], text: &str) -> Option<u64> {
    let norm = text.to_ascii_lowercase().replace('_', "-");
    names.iter().find(|(n, _)| *n == norm).map(|(_, v)| *v)
}

fn numeric_term(text: &str, names: &[(&str, u64)], max: u64) -> Option<(u8, u64)> {
    match text.to_ascii_lowercase().as_str() {
        "true" if names.is_empty() => return Some((OP_LT | OP_GT | OP_EQ, 0)),
        "false" if names.is_empty() => return Some((0, 0)),
        _ => {}
    }
    let (op, rest) = if let Some(r) = text.strip_prefix(">=") {
        (OP_GT | OP_EQ, r)
    } else if let Some(r) = text.strip_prefix("<=") {
        (OP_LT | OP_EQ, r)
    } else if let Some(r) = text.strip_prefix("!=") {
        (OP_LT | OP_GT, r)
    } else if let Some(r) = text.strip_prefix('>') {
        (OP_GT, r)
    } else if let Some(r) = text.strip_prefix('<') {
        (OP_LT, r)
    } else if let Some(r) = text.strip_prefix('=') {
        (OP_EQ, r)
    } else {
        (OP_EQ, text)
    };
    let v = value::parse_u64_text(rest).or_else(|| named(names, rest))?;
    (v <= max).then_some((op, v))
}

fn bitmask_term(text: &str, names: &[(&str, u64)], max: u64) -> Option<(u8, u64)> {
    let (op, rest) = if let Some(r) = text.strip_prefix("!=") {
        (OP_NOT | OP_MATCH, r)
    } else if let Some(r) = text.strip_prefix('!') {
        (OP_NOT, r)
    } else if let Some(r) = text.strip_prefix('=') {
        (OP_MATCH, r)
    } else {
        (0, text)
    };
    if names == FRAGMENTS && rest.eq_ignore_ascii_case("not-a-fragment") && op == 0 {
        // 4.x spelling, removed in 5.0: the same as `!is-fragment`.
        return Some((OP_NOT, 0x02));
    }
    let mut v = 0u64;
    for part in rest.split('+') {
        v |= value::parse_u64_text(part).or_else(|| named(names, part))?;
    }
    (v <= max && !rest.is_empty()).then_some((op, v))
}

fn expected_for(keyword: &str) -> &'static str {
    match keyword {
        "protocol" | "next-header" => {
            "[op]protocol: a number or icmp igmp tcp egp udp rsvp gre esp ah ospf ipip pim sctp"
        }
        "tcp-flags" => "[!|=|!=]flags: fin syn rst push ack urg ece cwr ns, joined with +",
        "fragment" => "[!|=|!=]dont-fragment, is-fragment, first-fragment or last-fragment",
        "icmp-type" => "[op]ICMP type: a number or a name such as echo-request",
        "icmp-code" => "[op]ICMP code: a number or a name such as host-unreachable",
        "port" | "source-port" | "destination-port" => {
            "[op]port (=, >, >=, <, <=, != then a number or service name; & to combine)"
        }
        "dscp" => "[op]number 0..63",
        _ => "[op]number (=, >, >=, <, <=, != then a number; & to combine)",
    }
}

fn check_afi(
    flow: &mut FlowDraft,
    afi: Afi,
    w: &Words,
    t: &Token,
    k: &str,
) -> Result<(), ConfigError> {
    match flow.afi {
        Some(existing) if existing != afi => Err(w.invalid(
            t,
            k,
            "a prefix of the same address family as the other flow prefixes",
        )),
        _ => {
            flow.afi = Some(afi);
            Ok(())
        }
    }
}

/// Parses a match component whose keyword was just read. False when not a match keyword.
pub fn match_component(
    w: &mut Words,
    keyword: &Token,
    flow: &mut FlowDraft,
    warnings: &mut Vec<Warning>,
) -> Result<bool, ConfigError> {
    let k = &*keyword.text;
    let kind: u8 = match k {
        "destination" | "destination-ipv4" | "destination-ipv6" => 1,
        "source" | "source-ipv4" | "source-ipv6" => 2,
        _ => {
            let Some((kind, value_kind, afi_hint)) = component(k) else {
                return Ok(false);
            };
            let mut terms: Vec<(bool, u8, u64)> = Vec::new();
            for t in w.list(k, expected_for(k))? {
                let mut first = true;
                for part in t.text.split('&') {
                    if part.is_empty() {
                        if first {
                            return Err(w.invalid(t, k, expected_for(k)));
                        }
                        continue; // `>1024&` is accepted by 5.0.15
                    }
                    let parsed = match value_kind {
                        Kind::Numeric(names, max) => numeric_term(part, names, max),
                        Kind::Bitmask(names, max) => bitmask_term(part, names, max),
                    };
                    let (op, value) = parsed.ok_or_else(|| w.invalid(t, k, expected_for(k)))?;
                    terms.push((!first, op, value));
                    first = false;
                }
            }
            if terms.is_empty() {
                return Err(w.invalid(keyword, k, expected_for(k)));
            }
            if let (Some(hint), Some(afi)) = (afi_hint, flow.afi) {
                if hint != afi {
                    warnings.push(Warning {
                        location: w.at(keyword),
                        kind: WarningKind::FlowComponentFamily {
                            keyword: k.to_string(),
                        },
                    });
                }
            }
            let mut bytes = vec![kind];
            for (index, &(and, op, value)) in terms.iter().enumerate() {
                wire::encode_term(&mut bytes, op, value, and, index + 1 == terms.len());
            }
            flow.components.push((kind, bytes));
            return Ok(true);
        }
    };
    let t = w.value(k, "a prefix")?;
    let (prefix_text, offset_text) = match t.text.matches('/').count() {
        2 => match t.text.rsplit_once('/') {
            Some((p, o)) => (p, Some(o)),
            None => (&*t.text, None),
        },
        _ => (&*t.text, None),
    };
    let prefix_token = Token {
        text: prefix_text.to_string().into(),
        ..t.clone()
    };
    let prefix = match value::prefix(w, &prefix_token, k) {
        Ok(p) => p,
        Err(ConfigError {
            kind: ErrorKind::HostBitsSet { .. },
            ..
        }) => {
            // ExaBGP accepts host bits in flow prefixes and sends only the masked bits.
            let (addr, len) = prefix_text
                .split_once('/')
                .and_then(|(a, l)| Some((a.parse::<IpAddr>().ok()?, l.parse::<u8>().ok()?)))
                .ok_or_else(|| w.invalid(t, k, "a prefix"))?;
            let masked = Prefix::new(value::mask(addr, len), len)
                .ok_or_else(|| w.invalid(t, k, "a prefix"))?;
            warnings.push(Warning {
                location: w.at(t),
                kind: WarningKind::HostBitsMasked {
                    written: prefix_text.to_string(),
                    used: masked.to_string(),
                },
            });
            masked
        }
        Err(e) => return Err(e),
    };
    let offset = match offset_text {
        None => 0,
        Some(o) => match o.parse::<u8>() {
            Ok(v) if prefix.afi() == Afi::IPV6 && v <= prefix.len() => v,
            _ => {
                return Err(w.invalid(
                    t,
                    k,
                    "address/length/offset with offset <= length (IPv6 only)",
                ))
            }
        },
    };
    check_afi(flow, prefix.afi(), w, t, k)?;
    let mut bytes = Vec::new();
    wire::encode_prefix(&mut bytes, kind, prefix.addr(), prefix.len(), offset);
    flow.components.push((kind, bytes));
    Ok(true)
}

/// Parses a `then` action (or a community attribute) whose keyword was just read: its
/// extended community (and next-hop, for redirect and copy to an IP) go to `draft`.
pub fn action(
    w: &mut Words,
    keyword: &Token,
    draft: &mut RouteDraft,
    warnings: &mut Vec<Warning>,
) -> Result<bool, ConfigError> {
    let k = &*keyword.text;
    let community = match k {
        "accept" => None,
        "discard" => Some(ExtendedCommunity::traffic_rate(0, 0.0)),
        "rate-limit" => {
            let t = w.value(
                k,
                "a rate (number), optionally followed by bytes or packets",
            )?;
            let rate: f64 = t
                .text
                .parse()
                .ok()
                .filter(|r: &f64| r.is_finite() && *r >= 0.0)
                .ok_or_else(|| w.invalid(t, k, "a rate (number)"))?;
            let packets = match w.peek_text() {
                Some("packets") => {
                    w.advance();
                    true
                }
                Some("bytes") => {
                    w.advance();
                    false
                }
                _ => false,
            };
            let rate = rate.min(1e12);
            if !packets && rate > 0.0 && rate < 9600.0 {
                warnings.push(Warning {
                    location: w.at(t),
                    kind: WarningKind::LowRateLimit { rate: rate as u64 },
                });
            }
            Some(if packets {
                ExtendedCommunity::traffic_rate_packets(0, rate as f32)
            } else {
                ExtendedCommunity::traffic_rate(0, rate as f32)
            })
        }
        "redirect" => {
            let t = w.value(k, "ASN:target or an IP address")?;
            if let Ok(ip) = t.text.parse::<IpAddr>() {
                draft.attributes.next_hop = Some(NextHop::Address(ip));
                Some(ExtendedCommunity::redirect_to_nexthop())
            } else {
                let parsed = t.text.split_once(':').and_then(|(asn, n)| {
                    let asn = value::parse_asn_text(asn.trim_end_matches('L'))?;
                    let n = value::parse_u64_text(n)?;
                    let max = if asn <= 0xFFFF { 0xFFFF_FFFF } else { 0xFFFF };
                    (n <= max).then(|| match u16::try_from(asn) {
                        Ok(asn) => ExtendedCommunity::redirect_as2(asn, n as u32),
                        Err(_) => ExtendedCommunity::redirect_as4(asn, n as u16),
                    })
                });
                if t.text
                    .split(':')
                    .next()
                    .and_then(|g| g.parse::<std::net::Ipv4Addr>().ok())
                    .is_some()
                {
                    return Err(w.invalid(
                        t,
                        k,
                        "ASN:target or an IP address (IP:n is not supported)",
                    ));
                }
                Some(parsed.ok_or_else(|| w.invalid(t, k, "ASN:target or an IP address"))?)
            }
        }
        "redirect-to-nexthop" => Some(ExtendedCommunity::redirect_to_nexthop()),
        "redirect-to-nexthop-ietf" => {
            let t = w.value(k, "an IP address")?;
            match value::ip(w, t, k)? {
                IpAddr::V4(ip) => Some(redirect_ietf_ipv4(ip)),
                IpAddr::V6(ip) => {
                    draft.attributes.add_ipv6_extended_community(
                        Ipv6ExtendedCommunity::redirect_to_nexthop_ietf(ip, false),
                    );
                    None
                }
            }
        }
        "copy" => {
            let t = w.value(k, "an IP address")?;
            let ip = value::ip(w, t, k)?;
            draft.attributes.next_hop = Some(NextHop::Address(ip));
            Some(COPY_TO_NEXTHOP)
        }
        "mark" => Some(ExtendedCommunity::traffic_mark(
            value::next_number(w, k, 0, 63)? as u8,
        )),
        "action" => {
            let t = w.value(k, "sample, terminal or sample-terminal")?;
            match t.text.to_ascii_lowercase().as_str() {
                "sample" => Some(ExtendedCommunity::traffic_action(true, false)),
                "terminal" => Some(ExtendedCommunity::traffic_action(false, true)),
                "sample-terminal" => Some(ExtendedCommunity::traffic_action(true, true)),
                _ => return Err(w.invalid(t, k, "sample, terminal or sample-terminal")),
            }
        }
        "community" | "large-community" | "extended-community" => {
            return route::attribute(w, keyword, draft);
        }
        _ => return Ok(false),
    };
    if let Some(community) = community {
        draft.attributes.add_extended_community(community);
    }
    Ok(true)
}

/// `interface-set` value(s), each an extended community of the route.
pub fn interface_set(
    w: &mut Words,
    keyword: &Token,
    draft: &mut RouteDraft,
) -> Result<(), ConfigError> {
    let k = &*keyword.text;
    const EXPECTED: &str = "transitive|non-transitive:input|output|input-output:ASN:GROUP";
    for t in w.list(k, EXPECTED)? {
        let parts: Vec<&str> = t.text.split(':').collect();
        let (transitive, rest) = match parts.as_slice() {
            [tr, rest @ ..] if rest.len() == 3 => match *tr {
                "transitive" => (true, rest),
                "non-transitive" => (false, rest),
                _ => return Err(w.invalid(t, k, EXPECTED)),
            },
            rest if rest.len() == 3 => (true, rest),
            _ => return Err(w.invalid(t, k, EXPECTED)),
        };
        let parsed = match rest {
            [dir, asn, group] => (|| {
                let (input, output) = match *dir {
                    "input" => (true, false),
                    "output" => (false, true),
                    "input-output" => (true, true),
                    _ => return None,
                };
                Some(interface_set_community(
                    transitive,
                    input,
                    output,
                    value::parse_asn_text(asn)?,
                    value::parse_u64_text(group).filter(|g| *g < 1 << 14)? as u16,
                ))
            })(),
            _ => None,
        };
        let community = parsed.ok_or_else(|| w.invalid(t, k, EXPECTED))?;
        draft.attributes.add_extended_community(community);
    }
    Ok(())
}

/// The whole inline form: `route <components> <actions> [rd] [next-hop] ...;`.
pub fn inline(
    w: &mut Words,
    flow: &mut FlowDraft,
    draft: &mut RouteDraft,
    warnings: &mut Vec<Warning>,
) -> Result<(), ConfigError> {
    while let Some(t) = w.advance() {
        if match_component(w, t, flow, warnings)? || action(w, t, draft, warnings)? {
            continue;
        }
        match &*t.text {
            "rd" | "route-distinguisher" => {
                let v = w.value(&t.text, "a route distinguisher")?;
                flow.rd = Some(route::route_distinguisher(w, v, &t.text)?);
            }
            "interface-set" => interface_set(w, t, draft)?,
            "next-hop" | "attribute" | "origin" | "as-path" | "med" | "local-preference"
            | "name" | "watchdog" | "withdraw" | "atomic-aggregate" | "aggregator"
            | "originator-id" | "cluster-list" => {
                route::attribute(w, t, draft)?;
            }
            other => {
                let mut all: Vec<&'static str> = MATCH_KEYWORDS.to_vec();
                all.extend_from_slice(THEN_KEYWORDS);
                all.extend_from_slice(&["rd", "next-hop", "interface-set", "attribute"]);
                return Err(w.error_at(
                    t,
                    ErrorKind::UnknownKeyword {
                        keyword: other.to_string(),
                        section: "flow route",
                        suggestion: super::error::suggest(other, &all),
                    },
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms() {
        assert_eq!(
            numeric_term(">=1024", PORTS, 65535),
            Some((OP_GT | OP_EQ, 1024))
        );
        assert_eq!(
            numeric_term("!=tcp", PROTOCOLS, 255),
            Some((OP_LT | OP_GT, 6))
        );
        assert_eq!(numeric_term("http", PORTS, 65535), Some((OP_EQ, 80)));
        assert_eq!(numeric_term("70000", PORTS, 65535), None);
        assert_eq!(
            bitmask_term("!=push", TCP_FLAGS, 0xFFF),
            Some((OP_NOT | OP_MATCH, 8))
        );
        assert_eq!(bitmask_term("syn+ack", TCP_FLAGS, 0xFFF), Some((0, 0x12)));
        assert_eq!(bitmask_term("SYN", TCP_FLAGS, 0xFFF), Some((0, 2)));
        assert_eq!(named(FRAGMENTS, "First_Fragment"), Some(4));
        assert_eq!(
            bitmask_term("not-a-fragment", FRAGMENTS, 0xFF),
            Some((OP_NOT, 2))
        );
    }

    /// Reads an inline flow route and finishes it.
    fn flow_of(text: &str) -> (Result<FlowNlri, FlowError>, RouteDraft) {
        use crate::config::lexer::tokenize;
        let file: std::sync::Arc<str> = "t".into();
        let statements = tokenize(&file, text).unwrap();
        let mut w = Words::new(&file, &statements[0].tokens, 1, 1);
        let mut flow = FlowDraft::default();
        let mut draft = RouteDraft::default();
        inline(&mut w, &mut flow, &mut draft, &mut Vec::new()).unwrap();
        (flow.finish(&mut draft), draft)
    }

    fn extended(draft: &RouteDraft) -> Vec<[u8; 8]> {
        use crate::bgp::attribute::{Attribute, CODE_EXTENDED_COMMUNITIES};
        match draft.attributes.get(CODE_EXTENDED_COMMUNITIES) {
            Some(Attribute::ExtendedCommunities(list)) => list.iter().map(|c| c.0).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn actions_become_sorted_extended_communities() {
        let (nlri, draft) = flow_of(
            "destination-port =80 destination 10.0.0.0/24 redirect 65500:12345 \
             action sample-terminal mark 10 interface-set input:65000:5 discard;",
        );
        let nlri = nlri.unwrap();
        // Components in type order: destination (1) before destination-port (5).
        let kinds: Vec<u8> = nlri.components().map(|c| c.kind).collect();
        assert_eq!(kinds, [1, 5]);
        assert_eq!(
            extended(&draft),
            [
                [0x07, 0x02, 0, 0, 0xFD, 0xE8, 0x40, 5],
                [0x80, 0x06, 0, 0, 0, 0, 0, 0],
                [0x80, 0x07, 0, 0, 0, 0, 0, 3],
                [0x80, 0x08, 0xFF, 0xDC, 0, 0, 0x30, 0x39],
                [0x80, 0x09, 0, 0, 0, 0, 0, 10],
            ]
        );
        let (_, draft) = flow_of("source 10.0.0.1/32 copy 192.0.2.1 redirect 70000:7;");
        assert_eq!(
            extended(&draft),
            [
                [0x08, 0, 0, 0, 0, 0, 0, 1],
                [0x82, 0x08, 0, 1, 0x11, 0x70, 0, 7]
            ]
        );
        assert_eq!(
            draft.attributes.next_hop,
            Some(NextHop::Address("192.0.2.1".parse().unwrap()))
        );
    }

    #[test]
    fn a_flow_without_components_or_with_one_twice_is_refused() {
        assert_eq!(flow_of("discard;").0, Err(FlowError::Empty));
        assert!(matches!(
            flow_of("source 10.0.0.1/32 source 10.0.0.2/32;").0,
            Err(FlowError::OutOfOrder { kind: 2, after: 2 })
        ));
    }
}
