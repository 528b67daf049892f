//! Route blocks of a neighbor (config.md §6, §8): `static`, `announce`, `flow`, `l2vpn`/`vpls`
//! and single route statements, each route built as its statement completes.

use crate::bgp::family::{Afi, Safi};
use crate::bgp::flow::FlowNlri;
use crate::bgp::nlri::Nlri;
use crate::bgp::vpls::VplsNlri;

use super::*;
use crate::config::error::{suggest, ConfigError, ErrorKind, Location};
use crate::config::flow::{self, FlowDraft};
use crate::config::lexer::{Node, Token};
use crate::config::nlri;
use crate::config::route::{self, RouteDraft};
use crate::config::value::{self, Words};

/// Reads attributes until the end of the statement.
fn flat_attributes(
    w: &mut Words,
    draft: &mut RouteDraft,
    section: &'static str,
) -> Result<(), ConfigError> {
    while let Some(t) = w.advance() {
        if !route::attribute(w, t, draft)? {
            return Err(w.error_at(
                t,
                ErrorKind::UnknownKeyword {
                    keyword: t.text.to_string(),
                    section,
                    suggestion: suggest(&t.text, route::ATTRIBUTE_KEYWORDS),
                },
            ));
        }
    }
    Ok(())
}

/// Attributes given one per statement inside a `route X { }` or `vpls { }` block.
fn block_attributes(
    ctx: &mut Ctx,
    children: &[Node],
    draft: &mut RouteDraft,
    section: &'static str,
    extra: &mut dyn FnMut(&mut Words, &Token) -> Result<bool, ConfigError>,
) -> Result<(), ConfigError> {
    for node in children {
        expect_leaf(ctx, node)?;
        let mut w = Words::new(ctx.file, &node.tokens, node.line, node.col);
        let Some(k) = w.advance() else { continue };
        if extra(&mut w, k)? {
            w.end(&k.text)?;
            continue;
        }
        if !route::attribute(&mut w, k, draft)? {
            return Err(unknown(ctx, node, section, route::ATTRIBUTE_KEYWORDS));
        }
        w.end(&k.text)?;
    }
    Ok(())
}

pub(super) fn static_block(
    ctx: &mut Ctx,
    children: &[Node],
    routes: &mut Vec<ConfiguredRoute>,
) -> Result<(), ConfigError> {
    const KEYWORDS: &[&str] = &["route", "attributes", "attribute", "sr-policy"];
    for node in children {
        let location = ctx.node_loc(node);
        let mut w = words(ctx.file, node);
        match node.keyword() {
            "route" => {
                let t = w.value("route", "a prefix")?;
                let prefix = value::prefix(&w, t, "route")?;
                let mut rd = RouteDraft::default();
                match &node.children {
                    None => flat_attributes(&mut w, &mut rd, "route")?,
                    Some(inner) => {
                        w.end("route")?;
                        block_attributes(ctx, inner, &mut rd, "route", &mut |_, _| Ok(false))?;
                    }
                }
                routes.push(rd.into_prefix_route(prefix, None, location));
            }
            "attributes" | "attribute" => {
                expect_leaf(ctx, node)?;
                routes.extend(route::attributes_nlri(&mut w, str::to_string)?);
            }
            "sr-policy" => {
                expect_leaf(ctx, node)?;
                let mut rd = RouteDraft::default();
                let nlri = nlri::sr_policy(&mut w, None, &mut rd)?;
                routes.push(configured_route(nlri, rd.attributes, rd.control, location));
            }
            _ => return Err(unknown(ctx, node, "static", KEYWORDS)),
        }
    }
    Ok(())
}

pub(super) fn announce_block(
    ctx: &mut Ctx,
    children: &[Node],
    routes: &mut Vec<ConfiguredRoute>,
) -> Result<(), ConfigError> {
    const KEYWORDS: &[&str] = &["ipv4", "ipv6", "l2vpn"];
    const SAFI_KEYWORDS: &[&str] = &[
        "unicast",
        "multicast",
        "nlri-mpls",
        "labeled-unicast",
        "mpls-vpn",
        "flow",
        "flow-vpn",
        "mcast-vpn",
        "mup",
        "sr-policy",
    ];
    for node in children {
        let afi = match node.keyword() {
            "ipv4" => Afi::IPV4,
            "ipv6" => Afi::IPV6,
            "l2vpn" => {
                let inner = expect_block(ctx, node)?;
                for child in inner {
                    if child.keyword() != "vpls" {
                        return Err(unknown(ctx, child, "announce l2vpn", &["vpls"]));
                    }
                    vpls(ctx, child, routes)?;
                }
                continue;
            }
            _ => return Err(unknown(ctx, node, "announce", KEYWORDS)),
        };
        let inner = expect_block(ctx, node)?;
        for child in inner {
            let k = child.keyword();
            if !SAFI_KEYWORDS.contains(&k) {
                return Err(unknown(
                    ctx,
                    child,
                    if afi == Afi::IPV4 {
                        "announce ipv4"
                    } else {
                        "announce ipv6"
                    },
                    SAFI_KEYWORDS,
                ));
            }
            expect_leaf(ctx, child)?;
            let location = ctx.node_loc(child);
            let mut w = words(ctx.file, child);
            let mut rd = RouteDraft::default();
            let nlri = match k {
                "unicast" | "multicast" | "nlri-mpls" | "labeled-unicast" | "mpls-vpn" => {
                    let t = w.value(k, "a prefix")?;
                    let prefix = value::prefix(&w, t, k)?;
                    if prefix.afi() != afi {
                        return Err(w.invalid(t, k, "a prefix of the block's address family"));
                    }
                    flat_attributes(&mut w, &mut rd, "announce route")?;
                    let safi = Safi::from_name(k).unwrap_or(Safi::UNICAST);
                    routes.push(rd.into_prefix_route(prefix, Some(safi), location));
                    continue;
                }
                "flow" | "flow-vpn" => {
                    let mut flow = FlowDraft::default();
                    flow::inline(&mut w, &mut flow, &mut rd, ctx.warnings)?;
                    if flow.afi.is_some_and(|a| a != afi) {
                        return Err(ConfigError::new(
                            location,
                            ErrorKind::InvalidValue {
                                keyword: k.to_string(),
                                found: "a prefix of the other address family".into(),
                                expected: "prefixes of the block's address family",
                            },
                        ));
                    }
                    flow.afi = Some(afi);
                    if k == "flow-vpn" && flow.rd.is_none() {
                        return Err(ConfigError::new(
                            location,
                            ErrorKind::IncompleteRoute {
                                route: "flow-vpn".into(),
                                missing: "rd (a flow-vpn route needs a route distinguisher)",
                            },
                        ));
                    }
                    ParsedNlri::flow(&finish_flow(flow, &mut rd, &location)?)
                }
                "mcast-vpn" => {
                    let route = nlri::mvpn(&mut w, afi)?;
                    nlri::attributes_rest(&mut w, k, &mut rd)?;
                    ParsedNlri::mvpn(afi, &route)
                }
                "mup" => {
                    let route = nlri::mup(&mut w, afi)?;
                    nlri::attributes_rest(&mut w, k, &mut rd)?;
                    ParsedNlri::mup(afi, &route)
                }
                _ => nlri::sr_policy(&mut w, Some(afi), &mut rd)?,
            };
            routes.push(configured_route(nlri, rd.attributes, rd.control, location));
        }
    }
    Ok(())
}

pub(super) fn flow_block(
    ctx: &mut Ctx,
    children: &[Node],
    routes: &mut Vec<ConfiguredRoute>,
) -> Result<(), ConfigError> {
    for node in children {
        if node.keyword() != "route" {
            return Err(unknown(ctx, node, "flow", &["route"]));
        }
        let location = ctx.node_loc(node);
        let mut w = words(ctx.file, node);
        let mut flow = FlowDraft::default();
        let mut rd = RouteDraft::default();
        match &node.children {
            None => flow::inline(&mut w, &mut flow, &mut rd, ctx.warnings)?,
            Some(inner) => {
                if let Some(name) = w.advance() {
                    flow.name = Some(name.text.to_string());
                }
                w.end("route")?;
                flow_route_block(ctx, inner, &mut flow, &mut rd)?;
            }
        }
        let nlri = finish_flow(flow, &mut rd, &location)?;
        routes.push(configured_route(
            ParsedNlri::flow(&nlri),
            rd.attributes,
            rd.control,
            location,
        ));
    }
    Ok(())
}

/// The NLRI of a flow route read in full; an error at the route when it makes none.
fn finish_flow(
    flow: FlowDraft,
    rd: &mut RouteDraft,
    location: &Location,
) -> Result<FlowNlri, ConfigError> {
    flow.finish(rd)
        .map_err(|error| ConfigError::new(location.clone(), ErrorKind::InvalidFlow { error }))
}

fn flow_route_block(
    ctx: &mut Ctx,
    children: &[Node],
    flow: &mut FlowDraft,
    rd: &mut RouteDraft,
) -> Result<(), ConfigError> {
    const KEYWORDS: &[&str] = &[
        "match",
        "then",
        "scope",
        "rd",
        "route-distinguisher",
        "next-hop",
    ];
    for node in children {
        let k = node.keyword();
        match k {
            "match" | "then" | "scope" => {
                let inner = expect_block(ctx, node)?;
                for child in inner {
                    expect_leaf(ctx, child)?;
                    let mut w = Words::new(ctx.file, &child.tokens, child.line, child.col);
                    let Some(kt) = w.advance() else { continue };
                    let known = match k {
                        "match" => flow::match_component(&mut w, kt, flow, ctx.warnings)?,
                        "then" => flow::action(&mut w, kt, rd, ctx.warnings)?,
                        _ => {
                            if kt.text == "interface-set" {
                                flow::interface_set(&mut w, kt, rd)?;
                                true
                            } else {
                                false
                            }
                        }
                    };
                    if !known {
                        let (section, candidates): (&'static str, &[&'static str]) = match k {
                            "match" => ("flow match", flow::MATCH_KEYWORDS),
                            "then" => ("flow then", flow::THEN_KEYWORDS),
                            _ => ("flow scope", &["interface-set"]),
                        };
                        return Err(unknown(ctx, child, section, candidates));
                    }
                    w.end(&kt.text)?;
                }
            }
            "rd" | "route-distinguisher" => {
                expect_leaf(ctx, node)?;
                let mut w = words(ctx.file, node);
                let t = w.value(k, "a route distinguisher")?;
                flow.rd = Some(route::route_distinguisher(&w, t, k)?);
                w.end(k)?;
            }
            "next-hop" => {
                expect_leaf(ctx, node)?;
                let mut w = Words::new(ctx.file, &node.tokens, node.line, node.col);
                if let Some(kt) = w.advance() {
                    route::attribute(&mut w, kt, rd)?;
                }
                w.end(k)?;
            }
            _ => return Err(unknown(ctx, node, "flow route", KEYWORDS)),
        }
    }
    Ok(())
}

const VPLS_KEYWORDS: &[&str] = &["endpoint", "base", "offset", "size"];

/// `endpoint`, `base`, `offset`, `size` of a VPLS route, as far as read.
type VplsFields = [Option<u64>; 4];

/// Reads one VPLS field if `t` names one (false otherwise, nothing consumed).
fn vpls_field(w: &mut Words, t: &Token, fields: &mut VplsFields) -> Result<bool, ConfigError> {
    let Some(i) = VPLS_KEYWORDS.iter().position(|k| *k == t.text) else {
        return Ok(false);
    };
    let max = if t.text == "base" { 0xF_FFFF } else { 65535 };
    if let Some(slot) = fields.get_mut(i) {
        *slot = Some(value::next_number(w, &t.text, 0, max)?);
    }
    Ok(true)
}

/// The flat form: VPLS fields and route attributes until the end of the statement.
fn vpls_words(
    w: &mut Words,
    fields: &mut VplsFields,
    rd: &mut RouteDraft,
) -> Result<(), ConfigError> {
    while let Some(t) = w.advance() {
        if vpls_field(w, t, fields)? {
            continue;
        }
        if !route::attribute(w, t, rd)? {
            let mut all = VPLS_KEYWORDS.to_vec();
            all.extend_from_slice(route::ATTRIBUTE_KEYWORDS);
            return Err(w.error_at(
                t,
                ErrorKind::UnknownKeyword {
                    keyword: t.text.to_string(),
                    section: "vpls",
                    suggestion: suggest(&t.text, &all),
                },
            ));
        }
    }
    Ok(())
}

/// Checks that every mandatory part is there and builds the route. `next-hop` is needed
/// unless the route starts withdrawn or `require_next_hop` is false (an API withdraw).
fn vpls_finish(
    fields: VplsFields,
    rd: RouteDraft,
    require_next_hop: bool,
    location: Location,
) -> Result<ConfiguredRoute, ConfigError> {
    let mut missing = Vec::new();
    for (name, v) in VPLS_KEYWORDS.iter().zip(fields.iter()) {
        if v.is_none() {
            missing.push(*name);
        }
    }
    if rd.nlri.rd.is_none() {
        missing.push("rd");
    }
    if require_next_hop && rd.attributes.next_hop.is_none() && !rd.control.withdraw {
        missing.push("next-hop");
    }
    let (true, Some(route_rd), [Some(endpoint), Some(base), Some(offset), Some(size)]) =
        (missing.is_empty(), rd.nlri.rd, fields)
    else {
        return Err(ConfigError::new(
            location,
            ErrorKind::Incomplete {
                what: "vpls",
                missing,
            },
        ));
    };
    // Each value was read within its field's range (`vpls_field`).
    let vpls = VplsNlri::new(
        route_rd,
        endpoint as u16,
        offset as u16,
        size as u16,
        base as u32,
    );
    let line = location.line;
    Ok(configured_route(
        ParsedNlri::vpls(vpls, line),
        rd.attributes,
        rd.control,
        location,
    ))
}

/// A one-line VPLS route (`endpoint N base N offset N size N rd RD [attributes]`), for the
/// helper API's `announce|withdraw vpls`.
pub(crate) fn vpls_inline(
    w: &mut Words,
    require_next_hop: bool,
    location: Location,
) -> Result<ConfiguredRoute, ConfigError> {
    let mut fields: VplsFields = [None; 4];
    let mut rd = RouteDraft::default();
    vpls_words(w, &mut fields, &mut rd)?;
    vpls_finish(fields, rd, require_next_hop, location)
}

fn vpls(ctx: &mut Ctx, node: &Node, routes: &mut Vec<ConfiguredRoute>) -> Result<(), ConfigError> {
    let location = ctx.node_loc(node);
    let mut w = words(ctx.file, node);
    let mut fields: VplsFields = [None; 4];
    let mut rd = RouteDraft::default();
    match &node.children {
        None => vpls_words(&mut w, &mut fields, &mut rd)?,
        Some(inner) => {
            let _name = w.advance();
            w.end("vpls")?;
            block_attributes(ctx, inner, &mut rd, "vpls", &mut |w, t| {
                vpls_field(w, t, &mut fields)
            })?;
        }
    }
    routes.push(vpls_finish(fields, rd, true, location)?);
    Ok(())
}

pub(super) fn l2vpn_block(
    ctx: &mut Ctx,
    children: &[Node],
    routes: &mut Vec<ConfiguredRoute>,
) -> Result<(), ConfigError> {
    for node in children {
        if node.keyword() != "vpls" {
            return Err(unknown(ctx, node, "l2vpn", &["vpls"]));
        }
        vpls(ctx, node, routes)?;
    }
    Ok(())
}

/// Reads one statement completed inside a route block of a neighbor or template while the
/// file is read, appending its routes to `routes`. `blocks` are the open blocks below the
/// neighbor (`static`, `flow`, `l2vpn`, or `announce` and its family block). `Ok(Some)`
/// gives the node back when it is not a route statement.
pub fn route_statement<'l>(
    ctx: &mut Ctx,
    blocks: &[&Node<'static>],
    node: Node<'l>,
    routes: &mut Vec<ConfiguredRoute>,
) -> Result<Option<Node<'l>>, ConfigError> {
    let one = std::slice::from_ref(&node);
    match blocks {
        [block] => match block.keyword() {
            "static" => static_block(ctx, one, routes)?,
            "flow" => flow_block(ctx, one, routes)?,
            "l2vpn" => l2vpn_block(ctx, one, routes)?,
            _ => return Ok(Some(node)),
        },
        [announce, family]
            if announce.keyword() == "announce"
                && matches!(family.keyword(), "ipv4" | "ipv6" | "l2vpn") =>
        {
            let parent = Node {
                tokens: family.tokens.clone(),
                line: family.line,
                col: family.col,
                children: Some(vec![node]),
            };
            announce_block(ctx, std::slice::from_ref(&parent), routes)?;
        }
        _ => return Ok(Some(node)),
    }
    Ok(None)
}

/// A short text naming a route in messages.
pub fn route_text(route: &ConfiguredRoute) -> String {
    let safi = route.family.safi;
    match &route.nlri {
        _ if matches!(safi, Safi::FLOW | Safi::FLOW_VPN) => match &route.control.name {
            Some(name) => format!("flow {name}"),
            None => "flow".into(),
        },
        _ if safi == Safi::MUP => "mup".into(),
        _ if safi == Safi::MCAST_VPN => "mcast-vpn".into(),
        Nlri::Vpls { route: v, .. } => format!("vpls endpoint {}", v.endpoint),
        Nlri::SrPolicy { route: p, .. } => format!("sr-policy color {}", p.color),
        nlri => nlri.get_prefix().to_string(),
    }
}
