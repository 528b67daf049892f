//! Neighbor and template blocks (config.md §3–6, 8, 10, 11.2): the settings into a draft of
//! optional values (here), route blocks (`routes`), template merging and checks (`template`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use crate::bgp::family::{Afi, Family, Safi};

use super::error::{suggest, ConfigError, ErrorKind, Location, Warning, WarningKind};
use super::lexer::{Node, Token};
use super::model::*;
use super::nlri;
use super::value::{self, Words};

/// Settings as written in one neighbor or template block; `None` = not written.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub description: Option<String>,
    pub router_id: Option<Ipv4Addr>,
    /// `Some(None)` = `auto`.
    pub local_address: Option<Option<IpAddr>>,
    pub local_link_local: Option<Ipv6Addr>,
    pub local_as: Option<AsnSetting>,
    pub peer_as: Option<AsnSetting>,
    pub hold_time: Option<u16>,
    pub passive: Option<bool>,
    pub listen: Option<u16>,
    pub connect: Option<u16>,
    pub source_interface: Option<String>,
    pub outgoing_ttl: Option<Option<u8>>,
    pub incoming_ttl: Option<Option<u8>>,
    pub md5_password: Option<String>,
    pub md5_base64: Option<Option<bool>>,
    pub md5_ip: Option<IpAddr>,
    pub tcp_ao: Option<TcpAo>,
    pub group_updates: Option<bool>,
    pub auto_flush: Option<bool>,
    pub adj_rib_in: Option<bool>,
    pub adj_rib_out: Option<bool>,
    pub manual_eor: Option<bool>,
    pub host_name: Option<String>,
    pub domain_name: Option<String>,
    pub rate_limit: Option<u32>,
    pub families: Vec<Family>,
    pub family_all: bool,
    pub family_block: bool,
    pub cap: CapabilityDraft,
    pub add_path: Vec<AddPathFamily>,
    pub add_path_block: bool,
    pub nexthop: Vec<NextHopFamily>,
    pub nexthop_block: bool,
    pub api: Vec<Api>,
    pub routes: RouteList,
    pub operational: Vec<OperationalMessage>,
    pub inherit: Vec<(String, Location)>,
}

#[derive(Debug, Clone, Default)]
pub struct CapabilityDraft {
    pub asn4: Option<bool>,
    pub route_refresh: Option<bool>,
    /// `Some(None)` = disabled.
    pub graceful_restart: Option<Option<u32>>,
    pub add_path: Option<AddPathMode>,
    pub multi_session: Option<bool>,
    pub operational: Option<bool>,
    pub aigp: Option<bool>,
    pub extended_message: Option<bool>,
    pub nexthop: Option<bool>,
    pub software_version: Option<bool>,
    pub link_local_nexthop: Option<bool>,
    pub link_local_prefer: Option<bool>,
}

pub const NEIGHBOR_KEYWORDS: &[&str] = &[
    "description",
    "router-id",
    "local-address",
    "local-link-local",
    "local-as",
    "peer-as",
    "hold-time",
    "passive",
    "listen",
    "connect",
    "source-interface",
    "outgoing-ttl",
    "incoming-ttl",
    "md5-password",
    "md5-base64",
    "md5-ip",
    "group-updates",
    "auto-flush",
    "adj-rib-in",
    "adj-rib-out",
    "manual-eor",
    "host-name",
    "domain-name",
    "rate-limit",
    "inherit",
    "family",
    "capability",
    "add-path",
    "nexthop",
    "tcp-ao",
    "api",
    "static",
    "announce",
    "flow",
    "l2vpn",
    "operational",
];

const CAPABILITY_KEYWORDS: &[&str] = &[
    "asn4",
    "route-refresh",
    "graceful-restart",
    "add-path",
    "multi-session",
    "operational",
    "aigp",
    "extended-message",
    "nexthop",
    "software-version",
    "link-local-nexthop",
    "link-local-prefer",
];

const API_KEYWORDS: &[&str] = &[
    "processes",
    "processes-match",
    "neighbor-changes",
    "negotiated",
    "fsm",
    "signal",
    "send",
    "receive",
];

const MESSAGE_KEYWORDS: &[&str] = &[
    "parsed",
    "packets",
    "consolidate",
    "open",
    "update",
    "notification",
    "keepalive",
    "refresh",
    "operational",
];

/// Per-file parsing context.
pub struct Ctx<'a> {
    pub file: &'a Arc<str>,
    pub warnings: &'a mut Vec<Warning>,
}

impl Ctx<'_> {
    pub fn loc(&self, line: u32, col: u32) -> Location {
        Location::new(self.file.clone(), line, col)
    }

    pub fn node_loc(&self, node: &Node) -> Location {
        self.loc(node.line, node.col)
    }

    pub fn warn(&mut self, location: Location, kind: WarningKind) {
        self.warnings.push(Warning { location, kind });
    }
}

/// A cursor over a node's words, positioned after the keyword.
pub fn words<'a>(file: &'a Arc<str>, node: &'a Node) -> Words<'a> {
    let (end_line, end_col) = node
        .tokens
        .last()
        .map(|t| (t.line, t.col.saturating_add(t.text.chars().count() as u32)))
        .unwrap_or((node.line, node.col));
    let mut w = Words::new(file, &node.tokens, end_line, end_col);
    w.advance();
    w
}

/// Keywords people carry over from ExaBGP 3.x or put in the wrong block, with the fix.
fn misplaced_hint(section: &str, keyword: &str) -> Option<&'static str> {
    Some(match (section, keyword) {
        ("neighbor", "multi-session" | "route-refresh" | "graceful-restart" | "asn4") => {
            "it is a capability: write it inside `capability { ... }`"
        }
        ("neighbor", "ttl-security") => "ExaBGP 4+ uses `outgoing-ttl` and `incoming-ttl`",
        ("neighbor", "process") => "bind processes with `api { processes [ NAME ]; }`",
        ("neighbor", "route") => {
            "routes go inside `static { ... }` or `announce { ipv4 { unicast ... } }`"
        }
        ("neighbor", "neighbor") => "neighbor blocks can not be nested; use `template` and `inherit`",
        ("the top level", "group") => {
            "`group` blocks were removed in ExaBGP 4; use `template { neighbor NAME { ... } }` and `inherit NAME;`"
        }
        (
            "the top level",
            "route" | "static" | "announce" | "flow" | "family" | "capability" | "api",
        ) => "it belongs inside a `neighbor` (or template) block",
        ("family", "minimal") => {
            "`minimal` was removed in ExaBGP 4; list the families, or write `all;`"
        }
        _ => return None,
    })
}

pub fn unknown(
    ctx: &Ctx,
    node: &Node,
    section: &'static str,
    candidates: &[&'static str],
) -> ConfigError {
    let keyword = node.keyword();
    if let Some(hint) = misplaced_hint(section, keyword) {
        return ConfigError::new(
            ctx.node_loc(node),
            ErrorKind::MisplacedKeyword {
                keyword: keyword.to_string(),
                section,
                hint,
            },
        );
    }
    ConfigError::new(
        ctx.node_loc(node),
        ErrorKind::UnknownKeyword {
            keyword: keyword.to_string(),
            section,
            suggestion: suggest(keyword, candidates),
        },
    )
}

pub fn expect_leaf(ctx: &Ctx, node: &Node) -> Result<(), ConfigError> {
    if node.children.is_some() {
        return Err(ConfigError::new(
            ctx.node_loc(node),
            ErrorKind::WrongStatementKind {
                keyword: node.keyword().to_string(),
                expected: "a setting ending with `;`, not a block",
            },
        ));
    }
    Ok(())
}

pub fn expect_block<'n, 's>(ctx: &Ctx, node: &'n Node<'s>) -> Result<&'n [Node<'s>], ConfigError> {
    match &node.children {
        Some(children) => Ok(children),
        None => Err(ConfigError::new(
            ctx.node_loc(node),
            ErrorKind::WrongStatementKind {
                keyword: node.keyword().to_string(),
                expected: "a block `{ ... }`",
            },
        )),
    }
}

/// One word for a string setting; extra words are ignored with a warning (ExaBGP keeps
/// the first word).
fn string_value(ctx: &mut Ctx, w: &mut Words, keyword: &str) -> Result<String, ConfigError> {
    let t = w.value(keyword, "a value (quote it if it has spaces)")?;
    let value = t.text.to_string();
    if let Some(extra) = w.peek() {
        let rest: Vec<&str> = w.tokens[w.index..].iter().map(|t| &*t.text).collect();
        let location = w.at(extra);
        ctx.warn(
            location,
            WarningKind::IgnoredWords {
                keyword: keyword.to_string(),
                ignored: rest.join(" "),
            },
        );
    }
    Ok(value)
}

fn port(w: &mut Words, k: &str) -> Result<u16, ConfigError> {
    let v = value::next_number(w, k, 0, 65535)?;
    w.end(k)?;
    Ok(v as u16)
}

fn ttl(w: &mut Words, k: &str) -> Result<Option<u8>, ConfigError> {
    let t = w.value(k, "a TTL 0..255 or disable")?;
    let v = match &*t.text {
        "disable" | "disabled" | "false" => None,
        _ => Some(value::number(w, t, k, 0, 255)? as u8),
    };
    w.end(k)?;
    Ok(v)
}

fn host_name(w: &mut Words, k: &str) -> Result<String, ConfigError> {
    let t = w.value(k, "a host name")?;
    let ok = t.text.len() <= 255
        && !t.text.contains("..")
        && t.text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && t.text
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
        && t.text
            .bytes()
            .last()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if !ok {
        return Err(w.invalid(
            t,
            k,
            "a host name: letters, digits, `.` and `-`, starting and ending alphanumeric",
        ));
    }
    w.end(k)?;
    Ok(t.text.to_string())
}

/// Parses the body of a neighbor or template block into a draft.
pub fn parse_body(ctx: &mut Ctx, children: &[Node], draft: &mut Draft) -> Result<(), ConfigError> {
    for node in children {
        let file = ctx.file;
        let mut w = words(file, node);
        let k = node.keyword();
        if matches!(
            k,
            "family"
                | "capability"
                | "add-path"
                | "nexthop"
                | "tcp-ao"
                | "api"
                | "static"
                | "announce"
                | "flow"
                | "l2vpn"
                | "operational"
        ) {
            let children = expect_block(ctx, node)?;
            match k {
                "family" => family_block(ctx, node, children, draft)?,
                "capability" => capability_block(ctx, children, &mut draft.cap)?,
                "add-path" => add_path_block(ctx, children, draft)?,
                "nexthop" => nexthop_block(ctx, children, draft)?,
                "tcp-ao" => draft.tcp_ao = Some(tcp_ao_block(ctx, node, children)?),
                "api" => {
                    let api = api_block(ctx, node, children)?;
                    draft.api.push(api);
                }
                "static" | "announce" | "flow" | "l2vpn" => {
                    // Empty when the file is streamed: the routes were read as they came.
                    let mut routes = Vec::new();
                    match k {
                        "static" => static_block(ctx, children, &mut routes)?,
                        "announce" => announce_block(ctx, children, &mut routes)?,
                        "flow" => flow_block(ctx, children, &mut routes)?,
                        _ => l2vpn_block(ctx, children, &mut routes)?,
                    }
                    draft.routes.extend(routes);
                }
                _ => {
                    for child in children {
                        expect_leaf(ctx, child)?;
                        let mut w = Words::new(file, &child.tokens, child.line, child.col);
                        if let Some(m) = nlri::operational(&mut w)? {
                            draft.operational.push(m);
                        }
                    }
                }
            }
            continue;
        }
        if !NEIGHBOR_KEYWORDS.contains(&k) {
            return Err(unknown(ctx, node, "neighbor", NEIGHBOR_KEYWORDS));
        }
        expect_leaf(ctx, node)?;
        match k {
            "description" => draft.description = Some(string_value(ctx, &mut w, k)?),
            "router-id" => {
                let t = w.value(k, "an IPv4 address")?;
                draft.router_id = Some(value::ipv4(&w, t, k)?);
                w.end(k)?;
            }
            "local-address" => {
                let t = w.value(k, "an IP address or auto")?;
                draft.local_address = Some(if t.text == "auto" {
                    None
                } else {
                    Some(value::ip(&w, t, k)?)
                });
                w.end(k)?;
            }
            "local-link-local" => {
                let t = w.value(k, "an IPv6 link-local address (fe80::/10)")?;
                let ip = value::ipv6(&w, t, k)?;
                if ip.segments().first().map(|s| s & 0xffc0) != Some(0xfe80) {
                    return Err(w.invalid(t, k, "an IPv6 link-local address (fe80::/10)"));
                }
                draft.local_link_local = Some(ip);
                w.end(k)?;
            }
            "local-as" => draft.local_as = Some(value::asn_setting(&mut w, k)?),
            "peer-as" => draft.peer_as = Some(value::asn_setting(&mut w, k)?),
            "hold-time" => {
                let t = w.value(k, "0 or 3..65535 seconds")?;
                let v = value::number(&w, t, k, 0, 65535)?;
                if v == 1 || v == 2 {
                    return Err(w.error_at(t, ErrorKind::HoldTime { found: v as u32 }));
                }
                draft.hold_time = Some(v as u16);
                w.end(k)?;
            }
            "passive" => draft.passive = Some(value::boolean(&mut w, k, true)?),
            "listen" => draft.listen = Some(port(&mut w, k)?),
            "connect" => draft.connect = Some(port(&mut w, k)?),
            "source-interface" => draft.source_interface = Some(string_value(ctx, &mut w, k)?),
            "outgoing-ttl" => draft.outgoing_ttl = Some(ttl(&mut w, k)?),
            "incoming-ttl" => draft.incoming_ttl = Some(ttl(&mut w, k)?),
            "md5-password" => draft.md5_password = Some(string_value(ctx, &mut w, k)?),
            "md5-base64" => {
                draft.md5_base64 = Some(if w.peek_text() == Some("auto") {
                    w.advance();
                    w.end(k)?;
                    None
                } else {
                    Some(value::boolean(&mut w, k, false)?)
                })
            }
            "md5-ip" => draft.md5_ip = Some(value::single_ip(&mut w, k)?),
            "group-updates" => draft.group_updates = Some(value::boolean(&mut w, k, true)?),
            "auto-flush" => draft.auto_flush = Some(value::boolean(&mut w, k, true)?),
            "adj-rib-in" => draft.adj_rib_in = Some(value::boolean(&mut w, k, false)?),
            "adj-rib-out" => draft.adj_rib_out = Some(value::boolean(&mut w, k, false)?),
            "manual-eor" => draft.manual_eor = Some(value::boolean(&mut w, k, false)?),
            "host-name" => draft.host_name = Some(host_name(&mut w, k)?),
            "domain-name" => draft.domain_name = Some(host_name(&mut w, k)?),
            "rate-limit" => {
                let t = w.value(k, "messages per second, or disable")?;
                draft.rate_limit = Some(match &*t.text {
                    "disable" | "disabled" => 0,
                    _ => value::number(&w, t, k, 0, u64::from(u32::MAX))? as u32,
                });
                w.end(k)?;
            }
            "inherit" => {
                for t in w.list(k, "a template name or [ names ]")? {
                    draft.inherit.push((t.text.to_string(), w.at(t)));
                }
            }
            _ => return Err(unknown(ctx, node, "neighbor", NEIGHBOR_KEYWORDS)),
        }
    }
    Ok(())
}

/// The families a neighbor without `family` block negotiates (ExaBGP 5.0.15's set).
pub fn default_families() -> Vec<Family> {
    let mut families = Vec::new();
    for afi in [Afi::IPV4, Afi::IPV6] {
        for safi in [
            Safi::UNICAST,
            Safi::MULTICAST,
            Safi::NLRI_MPLS,
            Safi::MPLS_VPN,
            Safi::MCAST_VPN,
            Safi::FLOW,
            Safi::FLOW_VPN,
            Safi::MUP,
        ] {
            families.push(Family::new(afi, safi));
        }
    }
    families.push(Family::new(Afi::IPV4, Safi::RTC));
    families.push(Family::L2VPN_VPLS);
    families.push(Family::L2VPN_EVPN);
    families.push(Family::new(Afi::BGP_LS, Safi::BGP_LS));
    families.push(Family::new(Afi::BGP_LS, Safi::BGP_LS_VPN));
    families
}

/// Families accepted in a `family` block.
fn configurable_family(afi: &str, safi: &str) -> Option<Family> {
    let family = Family::from_names(afi, safi)?;
    let ok = match family.afi {
        Afi::IPV4 | Afi::IPV6 => {
            matches!(
                family.safi,
                Safi::UNICAST
                    | Safi::MULTICAST
                    | Safi::NLRI_MPLS
                    | Safi::MPLS_VPN
                    | Safi::MCAST_VPN
                    | Safi::FLOW
                    | Safi::FLOW_VPN
                    | Safi::MUP
                    | Safi::SR_POLICY
            ) && !(family.afi == Afi::IPV6 && family.safi == Safi::MULTICAST)
        }
        Afi::L2VPN => matches!(family.safi, Safi::VPLS | Safi::EVPN),
        Afi::BGP_LS => matches!(family.safi, Safi::BGP_LS | Safi::BGP_LS_VPN),
        _ => false,
    };
    ok.then_some(family)
}

fn family_line<'s>(ctx: &Ctx, node: &Node<'s>) -> Result<(Family, Vec<Token<'s>>), ConfigError> {
    let file = ctx.file;
    let mut w = words(file, node);
    let afi = node.keyword();
    if !["ipv4", "ipv6", "l2vpn", "bgp-ls"].contains(&afi) {
        return Err(unknown(
            ctx,
            node,
            "family",
            &["ipv4", "ipv6", "l2vpn", "bgp-ls", "all"],
        ));
    }
    let safi = w.value(
        afi,
        "a SAFI (unicast, multicast, nlri-mpls, mpls-vpn, flow ...)",
    )?;
    let family = configurable_family(afi, &safi.text).ok_or_else(|| {
        w.error_at(
            safi,
            ErrorKind::InvalidFamily {
                family: format!("{afi}/{}", safi.text),
            },
        )
    })?;
    let rest: Vec<Token<'s>> = node.tokens.get(w.index..).unwrap_or(&[]).to_vec();
    Ok((family, rest))
}

fn family_block(
    ctx: &mut Ctx,
    _block: &Node,
    children: &[Node],
    draft: &mut Draft,
) -> Result<(), ConfigError> {
    draft.family_block = true;
    let mut this_block: Vec<Family> = Vec::new();
    for node in children {
        expect_leaf(ctx, node)?;
        match node.keyword() {
            "all" => {
                words(ctx.file, node).end("all")?;
                draft.family_all = true;
            }
            _ => {
                if draft.family_all {
                    return Err(ConfigError::new(
                        ctx.node_loc(node),
                        ErrorKind::FamilyAfterAll,
                    ));
                }
                let (family, rest) = family_line(ctx, node)?;
                if let Some(extra) = rest.first() {
                    return Err(ConfigError::new(
                        ctx.loc(extra.line, extra.col),
                        ErrorKind::TrailingValue {
                            keyword: family.to_string(),
                            found: extra.text.to_string(),
                        },
                    ));
                }
                if this_block.contains(&family) {
                    return Err(ConfigError::new(
                        ctx.node_loc(node),
                        ErrorKind::DuplicateFamily {
                            family: family.slash_name(),
                        },
                    ));
                }
                this_block.push(family);
                if !draft.families.contains(&family) {
                    draft.families.push(family);
                }
            }
        }
    }
    Ok(())
}

fn capability_block(
    ctx: &mut Ctx,
    children: &[Node],
    cap: &mut CapabilityDraft,
) -> Result<(), ConfigError> {
    for node in children {
        let k = node.keyword();
        if !CAPABILITY_KEYWORDS.contains(&k) {
            return Err(unknown(ctx, node, "capability", CAPABILITY_KEYWORDS));
        }
        expect_leaf(ctx, node)?;
        let mut w = words(ctx.file, node);
        match k {
            "asn4" => cap.asn4 = Some(value::boolean(&mut w, k, true)?),
            "route-refresh" => cap.route_refresh = Some(value::boolean(&mut w, k, true)?),
            "graceful-restart" => {
                cap.graceful_restart = Some(match w.advance() {
                    None => Some(0),
                    Some(t) => match &*t.text {
                        "disable" | "disabled" | "false" => None,
                        "enable" | "enabled" | "true" => Some(0),
                        _ => Some(value::number(&w, t, k, 0, 65535)? as u32),
                    },
                });
                w.end(k)?;
            }
            "add-path" => {
                let t = w.value(k, "send, receive, send/receive or disable")?;
                cap.add_path = Some(match &*t.text {
                    "disable" | "disabled" => AddPathMode::Disabled,
                    "receive" => AddPathMode::Receive,
                    "send" => AddPathMode::Send,
                    "send/receive" => AddPathMode::SendReceive,
                    _ => return Err(w.invalid(t, k, "send, receive, send/receive or disable")),
                });
                w.end(k)?;
            }
            "multi-session" => cap.multi_session = Some(value::boolean(&mut w, k, true)?),
            "operational" => cap.operational = Some(value::boolean(&mut w, k, true)?),
            "aigp" => cap.aigp = Some(value::boolean(&mut w, k, true)?),
            "extended-message" => cap.extended_message = Some(value::boolean(&mut w, k, true)?),
            "nexthop" => cap.nexthop = Some(value::boolean(&mut w, k, true)?),
            "software-version" => cap.software_version = Some(value::boolean(&mut w, k, false)?),
            "link-local-nexthop" => {
                if w.is_empty() {
                    return Err(ConfigError::new(
                        w.here(),
                        ErrorKind::MissingValue {
                            keyword: k.to_string(),
                            expected: "enable or disable",
                        },
                    ));
                }
                cap.link_local_nexthop = Some(value::boolean(&mut w, k, true)?)
            }
            _ => cap.link_local_prefer = Some(value::boolean(&mut w, k, false)?),
        }
    }
    Ok(())
}

fn add_path_block(ctx: &mut Ctx, children: &[Node], draft: &mut Draft) -> Result<(), ConfigError> {
    draft.add_path_block = true;
    for node in children {
        expect_leaf(ctx, node)?;
        if node.keyword() == "all" {
            words(ctx.file, node).end("all")?;
            for family in default_families() {
                draft.add_path.push(AddPathFamily {
                    family,
                    limit: None,
                });
            }
            continue;
        }
        let (family, rest) = family_line(ctx, node)?;
        let mut limit = None;
        let mut w = Words::new(ctx.file, &rest, node.line, node.col);
        if let Some(t) = w.advance() {
            if t.text != "limit" {
                return Err(w.invalid(t, "add-path", "`limit N` or `;`"));
            }
            limit = Some(value::next_number(&mut w, "limit", 1, 65535)? as u16);
            w.end("limit")?;
        }
        if draft.add_path.iter().any(|a| a.family == family) {
            return Err(ConfigError::new(
                ctx.node_loc(node),
                ErrorKind::DuplicateFamily {
                    family: family.slash_name(),
                },
            ));
        }
        draft.add_path.push(AddPathFamily { family, limit });
    }
    Ok(())
}

fn nexthop_block(ctx: &mut Ctx, children: &[Node], draft: &mut Draft) -> Result<(), ConfigError> {
    draft.nexthop_block = true;
    for node in children {
        expect_leaf(ctx, node)?;
        let (family, rest) = family_line(ctx, node)?;
        let mut w = Words::new(ctx.file, &rest, node.line, node.col);
        let t = w.value("nexthop", "the next-hop AFI (ipv4 or ipv6)")?;
        let nexthop_afi = match &*t.text {
            "ipv4" => Afi::IPV4,
            "ipv6" => Afi::IPV6,
            _ => return Err(w.invalid(t, "nexthop", "ipv4 or ipv6")),
        };
        w.end("nexthop")?;
        let entry = NextHopFamily {
            family,
            nexthop_afi,
        };
        if draft.nexthop.contains(&entry) {
            return Err(ConfigError::new(
                ctx.node_loc(node),
                ErrorKind::DuplicateFamily {
                    family: family.slash_name(),
                },
            ));
        }
        draft.nexthop.push(entry);
    }
    Ok(())
}

fn tcp_ao_block(ctx: &mut Ctx, block: &Node, children: &[Node]) -> Result<TcpAo, ConfigError> {
    const KEYWORDS: &[&str] = &["keyid", "algorithm", "password", "base64"];
    let (mut keyid, mut algorithm, mut password, mut base64) = (None, None, None, false);
    for node in children {
        let k = node.keyword();
        if !KEYWORDS.contains(&k) {
            return Err(unknown(ctx, node, "tcp-ao", KEYWORDS));
        }
        expect_leaf(ctx, node)?;
        let mut w = words(ctx.file, node);
        match k {
            "keyid" => {
                keyid = Some(value::next_number(&mut w, k, 0, 255)? as u8);
                w.end(k)?;
            }
            "algorithm" => {
                let t = w.value(k, "hmac-sha-1-96, aes-128-cmac-96 or hmac-sha-256")?;
                algorithm = Some(match &*t.text {
                    "hmac-sha-1-96" => TcpAoAlgorithm::HmacSha1_96,
                    "aes-128-cmac-96" => TcpAoAlgorithm::Aes128Cmac96,
                    "hmac-sha-256" => TcpAoAlgorithm::HmacSha256,
                    _ => {
                        return Err(w.invalid(
                            t,
                            k,
                            "hmac-sha-1-96, aes-128-cmac-96 or hmac-sha-256",
                        ))
                    }
                });
                w.end(k)?;
            }
            "password" => {
                let p = string_value(ctx, &mut w, k)?;
                if p.len() > 80 {
                    return Err(ConfigError::new(
                        ctx.node_loc(node),
                        ErrorKind::InvalidPassword {
                            keyword: "tcp-ao password",
                            reason: "found more than 80 bytes, expected at most 80",
                        },
                    ));
                }
                password = Some(p);
            }
            _ => base64 = value::boolean(&mut w, k, false)?,
        }
    }
    let mut missing = Vec::new();
    if keyid.is_none() {
        missing.push("keyid");
    }
    if algorithm.is_none() {
        missing.push("algorithm");
    }
    if password.is_none() {
        missing.push("password");
    }
    match (keyid, algorithm, password) {
        (Some(keyid), Some(algorithm), Some(password)) => Ok(TcpAo {
            keyid,
            algorithm,
            password,
            base64,
        }),
        _ => Err(ConfigError::new(
            ctx.node_loc(block),
            ErrorKind::Incomplete {
                what: "tcp-ao",
                missing,
            },
        )),
    }
}

fn api_block(ctx: &mut Ctx, block: &Node, children: &[Node]) -> Result<Api, ConfigError> {
    let mut head = words(ctx.file, block);
    let name = match head.advance() {
        Some(t) if value::is_valid_name(&t.text) => Some(t.text.to_string()),
        Some(t) => {
            return Err(head.error_at(
                t,
                ErrorKind::InvalidName {
                    what: "api",
                    name: t.text.to_string(),
                },
            ))
        }
        None => None,
    };
    head.end("api")?;
    let mut names: Option<Vec<String>> = None;
    let mut patterns: Option<Vec<String>> = None;
    let mut api = Api {
        name,
        processes: ProcessSelector::Names(Vec::new()),
        neighbor_changes: false,
        negotiated: false,
        fsm: false,
        signal: false,
        send: MessageSelection::default(),
        receive: MessageSelection::default(),
        location: ctx.node_loc(block),
    };
    for node in children {
        let k = node.keyword();
        if !API_KEYWORDS.contains(&k) {
            return Err(unknown(ctx, node, "api", API_KEYWORDS));
        }
        if k == "send" || k == "receive" {
            let inner = expect_block(ctx, node)?;
            let selection = if k == "send" {
                &mut api.send
            } else {
                &mut api.receive
            };
            for m in inner {
                expect_leaf(ctx, m)?;
                let mk = m.keyword();
                let mut w = words(ctx.file, m);
                let v = value::boolean(&mut w, mk, true)?;
                let slot = match mk {
                    "parsed" => &mut selection.parsed,
                    "packets" => &mut selection.packets,
                    "consolidate" => &mut selection.consolidate,
                    "open" => &mut selection.open,
                    "update" => &mut selection.update,
                    "notification" => &mut selection.notification,
                    "keepalive" => &mut selection.keepalive,
                    "refresh" => &mut selection.refresh,
                    "operational" => &mut selection.operational,
                    _ => {
                        return Err(unknown(
                            ctx,
                            m,
                            if k == "send" {
                                "api send"
                            } else {
                                "api receive"
                            },
                            MESSAGE_KEYWORDS,
                        ))
                    }
                };
                *slot = v;
            }
            continue;
        }
        expect_leaf(ctx, node)?;
        let mut w = words(ctx.file, node);
        match k {
            "processes" | "processes-match" => {
                let open = w.value(k, "[ names ]")?;
                if !open.is_punct("[") {
                    return Err(w.invalid(open, k, "a bracketed list `[ name ... ]`"));
                }
                w.index -= 1;
                let items: Vec<String> = w
                    .list(k, "[ names ]")?
                    .into_iter()
                    .map(|t| t.text.to_string())
                    .collect();
                w.end(k)?;
                let target = if k == "processes" {
                    &mut names
                } else {
                    &mut patterns
                };
                target.get_or_insert_with(Vec::new).extend(items);
                if names.is_some() && patterns.is_some() {
                    return Err(ConfigError::new(
                        ctx.node_loc(node),
                        ErrorKind::Conflict {
                            first: "processes",
                            second: "processes-match",
                        },
                    ));
                }
            }
            "neighbor-changes" => api.neighbor_changes = value::boolean(&mut w, k, true)?,
            "negotiated" => api.negotiated = value::boolean(&mut w, k, true)?,
            "fsm" => api.fsm = value::boolean(&mut w, k, true)?,
            _ => api.signal = value::boolean(&mut w, k, true)?,
        }
    }
    api.processes = match patterns {
        Some(patterns) => ProcessSelector::Match {
            patterns,
            matched: Vec::new(),
        },
        None => ProcessSelector::Names(names.unwrap_or_default()),
    };
    Ok(api)
}

mod routes;
mod template;
pub(crate) use routes::vpls_inline;
use routes::{announce_block, flow_block, l2vpn_block, static_block};
pub use routes::{route_statement, route_text};
pub use template::{decode_base64, finish, merge_template};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert_eq!(decode_base64("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(decode_base64("a*=="), None);
    }

    #[test]
    fn family_table() {
        assert!(configurable_family("ipv4", "flow-vpn").is_some());
        assert!(configurable_family("ipv6", "multicast").is_none());
        assert!(configurable_family("l2vpn", "unicast").is_none());
        assert_eq!(default_families().len(), 21);
    }
}
