//! FlowSpec routes (RFC 8955/8956) as configured (config.md §7): match components with their
//! operator bytes, actions with their extended communities, in block and inline forms.

use std::net::IpAddr;

use crate::bgp::family::{Afi, Family, Safi};

use super::error::{ConfigError, ErrorKind, Warning, WarningKind};
use super::lexer::Token;
use super::model::Prefix;
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

/// One term of a component: `and` links it to the previous term (the wire AND bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowTerm {
    pub and: bool,
    /// lt/gt/eq bits for numeric components, not/match bits for bitmask ones.
    pub op: u8,
    pub value: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowValue {
    /// Source/destination prefix; `offset` is the IPv6 prefix offset (0 for IPv4).
    Prefix { prefix: Prefix, offset: u8 },
    /// Operator/value terms in wire order.
    Terms(Vec<FlowTerm>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowComponent {
    /// Component type (1 = destination ... 13 = flow-label).
    pub kind: u8,
    /// The keyword as written (`protocol`, `next-header`, ...).
    pub keyword: &'static str,
    pub value: FlowValue,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FlowAction {
    Accept,
    /// traffic-rate 0.
    Discard,
    /// traffic-rate in bytes/s (0x8006) or packets/s (0x800C).
    RateLimit {
        rate: f32,
        packets: bool,
    },
    /// traffic-redirect to a route target: 0x8008 (AS2) or 0x8208 (AS4).
    RedirectToVrf {
        asn: u32,
        target: u32,
    },
    /// next-hop becomes the address, with the redirect-to-nexthop community (0x0800).
    RedirectToIp(IpAddr),
    /// redirect-to-nexthop community using the route's next-hop.
    RedirectToNextHop,
    /// IETF redirect-to-IP (draft-ietf-idr-flowspec-redirect-ip).
    RedirectToNextHopIetf(IpAddr),
    /// Copy to the address (0x0800 with the copy bit).
    Copy(IpAddr),
    /// traffic-marking DSCP (0x8009).
    Mark(u8),
    /// traffic-action (0x8007) sample/terminal bits.
    Action {
        sample: bool,
        terminal: bool,
    },
}

impl Eq for FlowAction {}

impl FlowAction {
    /// The extended community this action adds, when it is a fixed 8-byte value.
    pub fn extended_community(&self) -> Option<[u8; 8]> {
        let mut b = [0u8; 8];
        match *self {
            FlowAction::Accept => return None,
            FlowAction::Discard => {
                b[0] = 0x80;
                b[1] = 0x06;
            }
            FlowAction::RateLimit { rate, packets } => {
                b[0] = 0x80;
                b[1] = if packets { 0x0C } else { 0x06 };
                b[4..8].copy_from_slice(&rate.to_be_bytes());
            }
            FlowAction::RedirectToVrf { asn, target } => {
                if asn <= 0xFFFF {
                    b[0] = 0x80;
                    b[1] = 0x08;
                    b[2..4].copy_from_slice(&(asn as u16).to_be_bytes());
                    b[4..8].copy_from_slice(&target.to_be_bytes());
                } else {
                    b[0] = 0x82;
                    b[1] = 0x08;
                    b[2..6].copy_from_slice(&asn.to_be_bytes());
                    b[6..8].copy_from_slice(&(target as u16).to_be_bytes());
                }
            }
            FlowAction::RedirectToIp(_) | FlowAction::RedirectToNextHop => {
                b[0] = 0x08;
            }
            FlowAction::Copy(_) => {
                b[0] = 0x08;
                b[7] = 0x01;
            }
            FlowAction::Mark(dscp) => {
                b[0] = 0x80;
                b[1] = 0x09;
                b[7] = dscp;
            }
            FlowAction::Action { sample, terminal } => {
                b[0] = 0x80;
                b[1] = 0x07;
                b[7] = (u8::from(sample) << 1) | u8::from(terminal);
            }
            FlowAction::RedirectToNextHopIetf(_) => return None,
        }
        Some(b)
    }
}

/// `interface-set transitive|non-transitive:input|output|input-output:ASN:GROUP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterfaceSet {
    pub transitive: bool,
    pub input: bool,
    pub output: bool,
    pub asn: u32,
    /// 14 bits.
    pub group_id: u16,
}

/// A flow route: components and actions (attributes live in the `Route`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FlowRoute {
    pub name: Option<String>,
    pub afi: Option<Afi>,
    pub rd: Option<RouteDistinguisher>,
    pub components: Vec<FlowComponent>,
    pub actions: Vec<FlowAction>,
    pub interface_sets: Vec<InterfaceSet>,
}

impl FlowRoute {
    /// IPv4 unless an IPv6 source/destination was given; flow-vpn when an rd is set.
    pub fn family(&self) -> Family {
        let safi = if self.rd.is_some() {
            Safi::FLOW_VPN
        } else {
            Safi::FLOW
        };
        Family::new(self.afi.unwrap_or(Afi::IPV4), safi)
    }
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

/// (keyword, type id, value kind, IPv6-only / IPv4-only hint).
fn component(keyword: &str) -> Option<(&'static str, u8, Kind, Option<Afi>)> {
    Some(match keyword {
        "protocol" => (
            "protocol",
            3,
            Kind::Numeric(PROTOCOLS, 255),
            Some(Afi::IPV4),
        ),
        "next-header" => (
            "next-header",
            3,
            Kind::Numeric(PROTOCOLS, 255),
            Some(Afi::IPV6),
        ),
        "port" => ("port", 4, Kind::Numeric(PORTS, 65535), None),
        "destination-port" => ("destination-port", 5, Kind::Numeric(PORTS, 65535), None),
        "source-port" => ("source-port", 6, Kind::Numeric(PORTS, 65535), None),
        "icmp-type" => ("icmp-type", 7, Kind::Numeric(ICMP_TYPES, 255), None),
        "icmp-code" => ("icmp-code", 8, Kind::Numeric(ICMP_CODES, 255), None),
        "tcp-flags" => ("tcp-flags", 9, Kind::Bitmask(TCP_FLAGS, 0xFFF), None),
        "packet-length" => ("packet-length", 10, Kind::Numeric(&[], 65535), None),
        "dscp" => ("dscp", 11, Kind::Numeric(&[], 63), Some(Afi::IPV4)),
        "traffic-class" => (
            "traffic-class",
            11,
            Kind::Numeric(&[], 255),
            Some(Afi::IPV6),
        ),
        "fragment" => ("fragment", 12, Kind::Bitmask(FRAGMENTS, 0xFF), None),
        "flow-label" => (
            "flow-label",
            13,
            Kind::Numeric(&[], 0xF_FFFF),
            Some(Afi::IPV6),
        ),
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
    flow: &mut FlowRoute,
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
    flow: &mut FlowRoute,
    warnings: &mut Vec<Warning>,
) -> Result<bool, ConfigError> {
    let k = &*keyword.text;
    let (kw, kind): (&'static str, u8) = match k {
        "destination" | "destination-ipv4" | "destination-ipv6" => ("destination", 1),
        "source" | "source-ipv4" | "source-ipv6" => ("source", 2),
        _ => {
            let Some((kw, kind, value_kind, afi_hint)) = component(k) else {
                return Ok(false);
            };
            let mut terms = Vec::new();
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
                    terms.push(FlowTerm {
                        and: !first,
                        op,
                        value,
                    });
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
            flow.components.push(FlowComponent {
                kind,
                keyword: kw,
                value: FlowValue::Terms(terms),
            });
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
    flow.components.push(FlowComponent {
        kind,
        keyword: kw,
        value: FlowValue::Prefix { prefix, offset },
    });
    Ok(true)
}

/// Parses a `then` action (or a community attribute) whose keyword was just read.
pub fn action(
    w: &mut Words,
    keyword: &Token,
    flow: &mut FlowRoute,
    draft: &mut RouteDraft,
    warnings: &mut Vec<Warning>,
) -> Result<bool, ConfigError> {
    let k = &*keyword.text;
    let a = match k {
        "accept" => FlowAction::Accept,
        "discard" => FlowAction::Discard,
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
            FlowAction::RateLimit {
                rate: rate as f32,
                packets,
            }
        }
        "redirect" => {
            let t = w.value(k, "ASN:target or an IP address")?;
            if let Ok(ip) = t.text.parse::<IpAddr>() {
                draft.attributes.next_hop = Some(super::model::NextHop::Address(ip));
                FlowAction::RedirectToIp(ip)
            } else {
                let parsed = t.text.split_once(':').and_then(|(asn, n)| {
                    let asn = value::parse_asn_text(asn.trim_end_matches('L'))?;
                    let n = value::parse_u64_text(n)?;
                    let max = if asn <= 0xFFFF { 0xFFFF_FFFF } else { 0xFFFF };
                    (n <= max).then_some(FlowAction::RedirectToVrf {
                        asn,
                        target: n as u32,
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
                parsed.ok_or_else(|| w.invalid(t, k, "ASN:target or an IP address"))?
            }
        }
        "redirect-to-nexthop" => FlowAction::RedirectToNextHop,
        "redirect-to-nexthop-ietf" => {
            let t = w.value(k, "an IP address")?;
            FlowAction::RedirectToNextHopIetf(value::ip(w, t, k)?)
        }
        "copy" => {
            let t = w.value(k, "an IP address")?;
            let ip = value::ip(w, t, k)?;
            draft.attributes.next_hop = Some(super::model::NextHop::Address(ip));
            FlowAction::Copy(ip)
        }
        "mark" => FlowAction::Mark(value::next_number(w, k, 0, 63)? as u8),
        "action" => {
            let t = w.value(k, "sample, terminal or sample-terminal")?;
            match t.text.to_ascii_lowercase().as_str() {
                "sample" => FlowAction::Action {
                    sample: true,
                    terminal: false,
                },
                "terminal" => FlowAction::Action {
                    sample: false,
                    terminal: true,
                },
                "sample-terminal" => FlowAction::Action {
                    sample: true,
                    terminal: true,
                },
                _ => return Err(w.invalid(t, k, "sample, terminal or sample-terminal")),
            }
        }
        "community" | "large-community" | "extended-community" => {
            return route::attribute(w, keyword, draft);
        }
        _ => return Ok(false),
    };
    flow.actions.push(a);
    Ok(true)
}

/// `interface-set` value(s).
pub fn interface_set(
    w: &mut Words,
    keyword: &Token,
    flow: &mut FlowRoute,
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
                Some(InterfaceSet {
                    transitive,
                    input,
                    output,
                    asn: value::parse_asn_text(asn)?,
                    group_id: value::parse_u64_text(group).filter(|g| *g < 1 << 14)? as u16,
                })
            })(),
            _ => None,
        };
        flow.interface_sets
            .push(parsed.ok_or_else(|| w.invalid(t, k, EXPECTED))?);
    }
    Ok(())
}

/// The whole inline form: `route <components> <actions> [rd] [next-hop] ...;`.
pub fn inline(
    w: &mut Words,
    flow: &mut FlowRoute,
    draft: &mut RouteDraft,
    warnings: &mut Vec<Warning>,
) -> Result<(), ConfigError> {
    while let Some(t) = w.advance() {
        if match_component(w, t, flow, warnings)? || action(w, t, flow, draft, warnings)? {
            continue;
        }
        match &*t.text {
            "rd" | "route-distinguisher" => {
                let v = w.value(&t.text, "a route distinguisher")?;
                flow.rd = Some(route::route_distinguisher(w, v, &t.text)?);
            }
            "interface-set" => interface_set(w, t, flow)?,
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

    #[test]
    fn action_communities() {
        assert_eq!(
            FlowAction::RedirectToVrf {
                asn: 65500,
                target: 12345
            }
            .extended_community(),
            Some([0x80, 0x08, 0xFF, 0xDC, 0, 0, 0x30, 0x39])
        );
        assert_eq!(
            FlowAction::Discard.extended_community(),
            Some([0x80, 0x06, 0, 0, 0, 0, 0, 0])
        );
        assert_eq!(
            FlowAction::Action {
                sample: true,
                terminal: true
            }
            .extended_community(),
            Some([0x80, 0x07, 0, 0, 0, 0, 0, 3])
        );
    }
}
