//! JSON for BGP message events (`update`, `open`, `notification`, `keepalive`, `refresh`,
//! `operational`) and bare NLRI, from the decoded `bgp` types, in ExaBGP 5's shapes.
//!
//! Every function writes with ExaBGP 5.0.15's exact spacing (checked against its `decode`
//! command). Per-prefix work writes straight into the output buffer: no allocation.

use std::net::IpAddr;

use super::json::{
    write_direction, write_keepalive_event, write_neighbor_event, write_notification_event,
    Direction, EventHead, JsonWriter,
};
use super::names::error_note_name;
use crate::bgp::attribute::Attribute;
use crate::bgp::capability::{code_name, iana_class, Capability};
use crate::bgp::flow::FlowNlri;
use crate::bgp::mp::MpNlri;
use crate::bgp::nlri::{NextHop, Nlri};
use crate::bgp::open::Open;
use crate::bgp::operational::Operational;
use crate::bgp::refresh::RouteRefresh;
use crate::bgp::update::{AttributeErrorNote, Update};
use crate::bgp::{Family, Negotiation, Notification};

// ---------------------------------------------------------------------------------------
// Simple message events
// ---------------------------------------------------------------------------------------

/// A NOTIFICATION event as ExaBGP reports it: for a received Cease 6/2 or 6/4 the data is
/// replaced by ExaBGP's rendering of the shutdown communication (see
/// `Notification::exabgp_received_data`); sent notifications report the bytes sent.
pub fn write_notification(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    notification: &Notification,
) {
    let (code, subcode) = (notification.code, notification.subcode);
    match direction {
        Direction::Receive | Direction::In => {
            let reported = notification.exabgp_received_data();
            write_notification_event(out, head, direction, code, subcode, &reported);
        }
        Direction::Send => {
            write_notification_event(out, head, direction, code, subcode, &notification.data)
        }
    }
}

/// A KEEPALIVE event.
pub fn write_keepalive(out: &mut Vec<u8>, head: &EventHead<'_>, direction: Direction) {
    write_keepalive_event(out, head, direction);
}

/// A message event whose content is `"direction": ..., ` followed by what `content` writes
/// (e.g. `"message": { ... }` or `"open": { ... }`).
pub fn write_message_event(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    content: impl FnOnce(&mut JsonWriter<'_>),
) {
    write_neighbor_event(out, head, |w| {
        write_direction(w, direction);
        w.raw(", ");
        content(w);
    });
}

/// The event `type` ExaBGP gives each message type.
pub fn event_type(kind: u8) -> Option<&'static str> {
    Some(match kind {
        crate::bgp::message::OPEN => "open",
        crate::bgp::message::UPDATE => "update",
        crate::bgp::message::NOTIFICATION => "notification",
        crate::bgp::message::KEEPALIVE => "keepalive",
        crate::bgp::message::ROUTE_REFRESH => "refresh",
        crate::bgp::message::OPERATIONAL => "operational",
        _ => return None,
    })
}

/// A ROUTE-REFRESH event: `"route-refresh": { "afi": ..., "safi": ..., "subtype": ... }`.
pub fn write_refresh(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    refresh: &RouteRefresh,
) {
    write_message_event(out, head, direction, |w| {
        w.key("route-refresh").raw("{ ").key("afi").raw("\"");
        w.afi(refresh.afi);
        w.raw("\", ").key("safi").raw("\"");
        w.safi(refresh.safi);
        w.raw("\", ").key("subtype");
        match refresh.subtype.name() {
            Some(name) => w.string(name),
            // Not reachable from ExaBGP's own encoder; shown as the number.
            None => w.display_string(refresh.subtype.0),
        };
        w.raw(" }");
    });
}

/// An OPERATIONAL event: advisories carry `advisory`, replies `router-id`, `sequence` and
/// `counter`, queries only the family. Types ExaBGP does not define are shown as
/// `{ "name": "unknown", "type": <code>, "data": "0x<HEX>" }`.
pub fn write_operational(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    operational: &Operational,
) {
    write_message_event(out, head, direction, |w| {
        w.key("operational")
            .raw("{ ")
            .key("name")
            .string(operational.name());
        if let Some(family) = operational.family() {
            w.raw(", ").key("afi").raw("\"");
            w.afi(family.afi);
            w.raw("\", ").key("safi").raw("\"");
            w.safi(family.safi);
            w.raw("\"");
        }
        match operational {
            Operational::Advisory { text, .. } => {
                w.raw(", ")
                    .key("advisory")
                    .display_string(super::json::Utf8Lossy(text));
            }
            Operational::Query { .. } => {}
            Operational::Reply {
                router_id,
                sequence,
                counter,
                ..
            } => {
                w.raw(", ")
                    .key("router-id")
                    .ip_string(IpAddr::V4(*router_id));
                w.raw(", ").key("sequence").u32(*sequence);
                w.raw(", ").key("counter").u32(*counter);
            }
            Operational::Unknown { kind, data } => {
                w.raw(", ").key("type").u32((*kind).into());
                w.raw(", ").key("data").hex_string_upper(data);
            }
        }
        w.raw(" }");
    });
}

// ---------------------------------------------------------------------------------------
// Session events: negotiated, fsm, signal, raw packets
// ---------------------------------------------------------------------------------------

/// A compact list of quoted family names: `["ipv4 unicast", "ipv6 unicast"]`, `[]`.
fn write_family_list(w: &mut JsonWriter<'_>, families: &[Family]) {
    w.raw("[");
    for (index, family) in families.iter().enumerate() {
        if index > 0 {
            w.raw(", ");
        }
        w.family(*family, " ");
    }
    w.raw("]");
}

/// Writes `"negotiated": { "message_size", "hold_time", "asn4", "multisession",
/// "operational", "refresh", "families", "nexthop", "add_path" }` (ExaBGP's keys and
/// order), followed by ExaBGP's extra space.
pub fn write_negotiated(w: &mut JsonWriter<'_>, negotiation: &Negotiation) {
    let negotiated = &negotiation.negotiated;
    w.key("negotiated").raw("{ ");
    w.key("message_size")
        .u64(negotiated.max_message_size as u64)
        .raw(", ");
    w.key("hold_time")
        .u32(negotiation.hold_time.into())
        .raw(", ");
    w.key("asn4").bool(negotiated.asn4).raw(", ");
    w.key("multisession")
        .bool(negotiation.multisession)
        .raw(", ");
    w.key("operational").bool(negotiation.operational).raw(", ");
    w.key("refresh")
        .string(negotiation.refresh.name())
        .raw(", ");
    w.key("families");
    write_family_list(w, &negotiated.families);
    w.raw(", ").key("nexthop").raw("[");
    for (index, (family, nexthop_afi)) in negotiated.extended_nexthop.iter().enumerate() {
        if index > 0 {
            w.raw(", ");
        }
        w.raw("\"");
        w.afi(family.afi);
        w.raw(" ");
        w.safi(family.safi);
        w.raw(" ");
        w.afi(*nexthop_afi);
        w.raw("\"");
    }
    w.raw("], ").key("add_path").raw("{").key("send");
    write_family_list(w, &negotiated.addpath_send);
    w.raw(", ").key("receive");
    write_family_list(w, &negotiated.addpath_receive);
    w.raw("} } ");
}

/// The `negotiated` event, written once the OPEN exchange is done.
pub fn write_negotiated_event(out: &mut Vec<u8>, head: &EventHead<'_>, negotiation: &Negotiation) {
    write_neighbor_event(out, head, |w| write_negotiated(w, negotiation));
}

/// The `fsm` event: `"state": "OPENCONFIRM"` (IDLE, ACTIVE, CONNECT, OPENSENT, OPENCONFIRM,
/// ESTABLISHED).
pub fn write_fsm_event(out: &mut Vec<u8>, head: &EventHead<'_>, state: &str) {
    write_neighbor_event(out, head, |w| {
        w.key("state").string(state);
    });
}

/// The `signal` event: `"code": "10", "name": "SIGUSR1"` (the code is a string).
pub fn write_signal_event(out: &mut Vec<u8>, head: &EventHead<'_>, code: i32, name: &str) {
    write_neighbor_event(out, head, |w| {
        w.key("code").display_string(code).raw(", ");
        w.key("name").string(name);
    });
}

/// A raw packet event (`packets` without `consolidate`): `"message": { "category": <type>,
/// "header": "0x...", "body": "0x..." }`, with the `negotiated` object after it when the
/// helper asked for it. The event `type` (in `head`) is the long message name.
pub fn write_raw_message_event(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    header: &[u8],
    body: &[u8],
    negotiation: Option<&Negotiation>,
) {
    let category = header.get(18).copied().unwrap_or_default();
    write_message_event(out, head, direction, |w| {
        w.key("message").raw("{ ");
        w.key("category").u32(category.into()).raw(", ");
        w.key("header").hex_string_upper(header).raw(", ");
        w.key("body").hex_string_upper(body).raw(" } ");
        if let Some(negotiation) = negotiation {
            w.raw(", ");
            write_negotiated(w, negotiation);
        }
    });
}

/// The event `type` of a raw packet event for a message type code.
pub fn raw_message_kind(message_type: u8) -> &'static str {
    match message_type {
        1 => "open",
        2 => "update",
        3 => "notification",
        4 => "keepalive",
        5 => "route-refresh",
        6 => "operational",
        _ => "unknown",
    }
}

// ---------------------------------------------------------------------------------------
// OPEN
// ---------------------------------------------------------------------------------------

/// An OPEN event: `"open": { "version", "asn", "hold_time", "router_id", "capabilities" }`.
pub fn write_open_event(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    open: &Open,
) {
    write_message_event(out, head, direction, |w| write_open(w, open));
}

/// Writes `"open": { ... }`. Capabilities are keyed by code in the order first received;
/// a code received again replaces the earlier value in place, except multiprotocol and
/// extended next-hop whose entries are merged (as ExaBGP does).
pub fn write_open(w: &mut JsonWriter<'_>, open: &Open) {
    w.key("open").raw("{ ");
    w.key("version").u32(open.version.into()).raw(", ");
    w.key("asn").u32(open.my_as.into()).raw(", ");
    w.key("hold_time").u32(open.hold_time.into()).raw(", ");
    w.key("router_id")
        .ip_string(IpAddr::V4(open.router_id))
        .raw(", ");
    w.key("capabilities").raw("{ ");
    let capabilities: Vec<&Capability> = open.capabilities().collect();
    let mut first = true;
    for (index, capability) in capabilities.iter().enumerate() {
        let code = capability.code();
        if capabilities[..index].iter().any(|c| c.code() == code) {
            continue;
        }
        if !first {
            w.raw(", ");
        }
        first = false;
        let same_code = || {
            capabilities
                .iter()
                .copied()
                .filter(move |c| c.code() == code)
        };
        w.raw("\"").u32(code.into()).raw("\": ");
        match capability {
            Capability::Multiprotocol(_) => {
                w.raw("{ ").key("name").string("multiprotocol").raw(", ");
                w.key("families").raw("[ ");
                let mut first_family = true;
                for c in same_code() {
                    if let Capability::Multiprotocol(family) = c {
                        if !first_family {
                            w.raw(", ");
                        }
                        first_family = false;
                        w.family(*family, "/");
                    }
                }
                w.raw(" ] }");
            }
            Capability::ExtendedNextHop(_) => {
                w.raw("{ ").key("name").string("nexthop").raw(", ");
                w.key("conversion").raw("[ ");
                let mut first_entry = true;
                for c in same_code() {
                    if let Capability::ExtendedNextHop(entries) = c {
                        for (family, nexthop_afi) in entries {
                            if !first_entry {
                                w.raw(", ");
                            }
                            first_entry = false;
                            w.raw("\"");
                            w.afi(family.afi);
                            w.raw("/");
                            w.safi(family.safi);
                            w.raw("/");
                            w.afi(*nexthop_afi);
                            w.raw("\"");
                        }
                    }
                }
                w.raw(" ] }");
            }
            _ => {
                // The last one received with this code wins.
                let last = same_code().next_back().unwrap_or(capability);
                write_capability_value(w, last);
            }
        }
    }
    w.raw(" } }");
}

/// The JSON object of one capability other than multiprotocol / extended next-hop.
fn write_capability_value(w: &mut JsonWriter<'_>, capability: &Capability) {
    match capability {
        Capability::RouteRefresh | Capability::RouteRefreshCisco => {
            w.raw("{ ").key("name").string("route-refresh").raw(", ");
            w.key("variant")
                .string(capability.variant().unwrap_or("RFC"))
                .raw(" }");
        }
        Capability::ExtendedMessage => {
            w.raw("{ ").key("name").string("extended-message").raw(", ");
            w.key("size").u32(65535).raw(" }");
        }
        Capability::GracefulRestart(gr) => {
            w.raw("{ ").key("name").string("graceful restart").raw(", ");
            w.key("time").u32(gr.restart_time.into()).raw(", ");
            w.key("address-family-flags").raw("{ ");
            for (index, (family, flags)) in gr.families.iter().enumerate() {
                if index > 0 {
                    w.raw(" , ");
                }
                w.family(*family, "/");
                w.raw(": ");
                if flags & 0x80 != 0 {
                    w.raw("[ \"restart\" ]");
                } else {
                    w.raw("[ ]");
                }
            }
            if gr.families.is_empty() {
                w.raw("}");
            } else {
                w.raw(" }");
            }
            w.raw(", ").key("restart-flags");
            if gr.restart_flags & 0x8 != 0 {
                w.raw("[ \"forwarding\" ]");
            } else {
                w.raw("[ ]");
            }
            w.raw("  }");
        }
        Capability::FourOctetAs(asn) => {
            w.raw("{ ").key("name").string("asn4").raw(", ");
            w.key("asn4").u32(*asn).raw(" }");
        }
        Capability::MultiSession(session) => {
            w.raw("{ ").key("name").string("multisession").raw(", ");
            w.key("variant")
                .string(if session.cisco { "Cisco" } else { "RFC" })
                .raw(", ");
            w.key("capabilities").raw("[ ");
            for (index, code) in session.codes.iter().enumerate() {
                if index > 0 {
                    w.raw(", ");
                }
                w.string(&code_name(*code));
            }
            if session.codes.is_empty() {
                w.raw("] }");
            } else {
                w.raw(" ] }");
            }
        }
        Capability::AddPath(entries) => {
            w.raw("{ ").key("name").string("addpath");
            // A family listed twice keeps its first place and its last mode.
            for (index, (family, _)) in entries.iter().enumerate() {
                if entries[..index].iter().any(|(f, _)| f == family) {
                    continue;
                }
                let mode = entries
                    .iter()
                    .rev()
                    .find(|(f, _)| f == family)
                    .map_or(entries[index].1, |(_, m)| *m);
                w.raw(if index == 0 { ", " } else { "," });
                w.family(*family, "/");
                w.raw(": ").display_string(mode);
            }
            w.raw(" }");
        }
        Capability::EnhancedRouteRefresh => {
            w.raw("{ ")
                .key("name")
                .string("enhanced-route-refresh")
                .raw(" }");
        }
        Capability::Hostname {
            host_name,
            domain_name,
        } => {
            w.raw("{ ").key("host-name").string(host_name).raw(", ");
            w.key("domain-name").string(domain_name).raw(" }");
        }
        Capability::SoftwareVersion(version) => {
            w.raw("{ ").key("software").string(version).raw(" }");
        }
        Capability::Operational => {
            w.raw("{ ").key("name").string("operational").raw(" }");
        }
        Capability::Unknown { code, value } => write_unknown_capability(w, *code, value),
        // ExaBGP 5.0 does not know these: it reports their raw value.
        Capability::Role(_) | Capability::LinkLocalNextHop => {
            let mut value = Vec::new();
            capability.encode_value(&mut value);
            write_unknown_capability(w, capability.code(), &value);
        }
        Capability::Multiprotocol(_) | Capability::ExtendedNextHop(_) => {
            // Merged by the caller; not reached.
            w.raw("{ }");
        }
    }
}

fn write_unknown_capability(w: &mut JsonWriter<'_>, code: u8, value: &[u8]) {
    w.raw("{ ").key("name").string("unknown").raw(", ");
    w.key("iana").string(iana_class(code)).raw(", ");
    w.key("value").u32(code.into()).raw(", ");
    w.key("raw").raw("\"").hex_upper(value).raw("\" }");
}

// ---------------------------------------------------------------------------------------
// UPDATE
// ---------------------------------------------------------------------------------------

/// How an UPDATE event is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UpdateJsonOptions {
    /// List the AIGP attribute (ExaBGP does only when the neighbor has `aigp` enabled).
    pub aigp: bool,
    /// `exabgp.api.compact`: an NLRI with nothing but a prefix is written as a bare string
    /// (`"10.0.0.0/24"`), in `announce` and `withdraw`.
    pub compact: bool,
}

/// An UPDATE event: `"message": { "update": { ... } }`, or `"message": { "eor": ... }`
/// for an End-of-RIB marker.
pub fn write_update_event(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    direction: Direction,
    update: &Update,
    error: Option<AttributeErrorNote>,
    options: UpdateJsonOptions,
) {
    write_message_event(out, head, direction, |w| {
        write_update_message(w, update, error, options)
    });
}

/// Writes `"message": { "update": { "attribute": {...}, "announce": {...}, "withdraw":
/// {...} } }` (each part only when it has content) or the `eor` form.
pub fn write_update_message(
    w: &mut JsonWriter<'_>,
    update: &Update,
    error: Option<AttributeErrorNote>,
    options: UpdateJsonOptions,
) {
    w.key("message").raw("{ ");
    if error.is_none() {
        if let Some(family) = update.end_of_rib() {
            w.key("eor").raw("{ \"afi\" : \"");
            w.afi(family.afi);
            w.raw("\", \"safi\" : \"");
            w.safi(family.safi);
            w.raw("\" } }");
            return;
        }
    }
    w.key("update").raw("{ ");
    let mut wrote = false;
    wrote |= write_attribute_object(w, &update.attributes, error, options);
    let sources = route_sources(update);
    wrote |= write_announce(w, &sources, wrote, options.compact);
    write_withdraw(w, &sources, wrote, options.compact);
    w.raw(" } }");
}

/// Writes `"attribute": { ... }` when ExaBGP would; returns whether it wrote it.
fn write_attribute_object(
    w: &mut JsonWriter<'_>,
    attributes: &[Attribute],
    error: Option<AttributeErrorNote>,
    options: UpdateJsonOptions,
) -> bool {
    let mut entries: Vec<(u8, String, String)> = attributes
        .iter()
        .filter(|a| options.aigp || !matches!(a, Attribute::Aigp(_)))
        .filter_map(|a| {
            let (key, value) = super::attribute::json_entry(a)?;
            Some((a.code(), key, value))
        })
        .collect();
    let has_next_hop = attributes
        .iter()
        .any(|a| matches!(a, Attribute::NextHop(_)));
    if entries.is_empty() && !has_next_hop && error.is_none() {
        return false;
    }
    entries.sort_by_key(|(code, _, _)| *code);
    w.key("attribute").raw("{ ");
    for (index, (_, key, value)) in entries.iter().enumerate() {
        if index > 0 {
            w.raw(", ");
        }
        w.key(key).raw(value);
    }
    if let Some(error) = error {
        if !entries.is_empty() {
            w.raw(", ");
        }
        w.key("error").string(error_note_name(error));
    }
    w.raw(" }");
    true
}

/// The next-hop key of the announce map.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NextHopKey<'a> {
    Address(IpAddr),
    /// Families without a next-hop (FlowSpec): `"no-nexthop"`.
    None,
    /// A next-hop of a length rexa does not decode (opaque families): shown as hex.
    Bytes(&'a [u8]),
}

/// The routes of an UPDATE in ExaBGP's order: IPv4 withdrawn and announced fields, then
/// MP_UNREACH_NLRI, then MP_REACH_NLRI.
struct RouteSources<'a> {
    /// (family, next-hop, routes) announced, in order.
    announced: Vec<(Family, NextHopKey<'a>, Routes<'a>)>,
    /// (family, routes) withdrawn, in order.
    withdrawn: Vec<(Family, Routes<'a>)>,
}

#[derive(Debug, Clone, Copy)]
enum Routes<'a> {
    Decoded(&'a [Nlri]),
    /// FlowSpec routes and the MP_REACH next-hop they are shown with (none in withdrawals).
    Flow(&'a [FlowNlri], Option<IpAddr>),
    Evpn(&'a [crate::bgp::evpn::EvpnNlri]),
    /// BGP-LS routes and the MP_REACH next-hop node and prefix routes show.
    LinkState(&'a [crate::bgp::linkstate::LinkStateNlri], Option<IpAddr>),
    Opaque(&'a [u8]),
}

impl Routes<'_> {
    fn is_empty(&self) -> bool {
        match self {
            Routes::Decoded(routes) => routes.is_empty(),
            Routes::Flow(routes, _) => routes.is_empty(),
            Routes::Evpn(routes) => routes.is_empty(),
            Routes::LinkState(routes, _) => routes.is_empty(),
            Routes::Opaque(bytes) => bytes.is_empty(),
        }
    }
}

fn routes_of(nlri: &MpNlri) -> Routes<'_> {
    match nlri {
        MpNlri::Decoded(routes) => Routes::Decoded(routes),
        MpNlri::Flow(routes) => Routes::Flow(routes, None),
        MpNlri::Evpn(routes) => Routes::Evpn(routes),
        MpNlri::LinkState(routes) => Routes::LinkState(routes, None),
        MpNlri::Opaque(bytes) => Routes::Opaque(bytes),
    }
}

fn route_sources(update: &Update) -> RouteSources<'_> {
    let mut sources = RouteSources {
        announced: Vec::new(),
        withdrawn: Vec::new(),
    };
    if !update.withdrawn.is_empty() {
        sources
            .withdrawn
            .push((Family::IPV4_UNICAST, Routes::Decoded(&update.withdrawn)));
    }
    if !update.announced.is_empty() {
        let next_hop = update.attributes.iter().find_map(|a| match a {
            Attribute::NextHop(address) => Some(NextHopKey::Address(IpAddr::V4(*address))),
            _ => None,
        });
        sources.announced.push((
            Family::IPV4_UNICAST,
            next_hop.unwrap_or(NextHopKey::None),
            Routes::Decoded(&update.announced),
        ));
    }
    for unreach in update.mp_unreach() {
        let routes = routes_of(&unreach.nlri);
        if !routes.is_empty() {
            sources.withdrawn.push((unreach.family, routes));
        }
    }
    for reach in update.mp_reach() {
        let routes = match routes_of(&reach.nlri) {
            Routes::Flow(routes, _) => Routes::Flow(routes, reach.next_hop.address()),
            Routes::LinkState(routes, _) => Routes::LinkState(routes, reach.next_hop.address()),
            routes => routes,
        };
        if routes.is_empty() {
            continue;
        }
        let global = match &reach.next_hop {
            NextHop::None => NextHopKey::None,
            NextHop::Other(bytes) => NextHopKey::Bytes(bytes),
            next_hop => next_hop
                .address()
                .map_or(NextHopKey::None, NextHopKey::Address),
        };
        sources.announced.push((reach.family, global, routes));
        // A link-local next-hop lists every route a second time, under that address.
        if let Some(link_local) = reach.next_hop.link_local() {
            sources.announced.push((
                reach.family,
                NextHopKey::Address(IpAddr::V6(link_local)),
                routes,
            ));
        }
    }
    sources
}

fn write_next_hop_key(w: &mut JsonWriter<'_>, key: &NextHopKey<'_>) {
    match key {
        NextHopKey::Address(address) => {
            w.ip_string(*address);
        }
        NextHopKey::None => {
            w.string("no-nexthop");
        }
        NextHopKey::Bytes(bytes) => {
            w.raw("\"0x").hex_upper(bytes).raw("\"");
        }
    }
}

/// Writes the routes of `routes` as NLRI objects, each preceded by `, ` unless it is the
/// very first of the list (`first` tracks that across several sources).
fn write_routes(w: &mut JsonWriter<'_>, routes: Routes<'_>, first: &mut bool, compact: bool) {
    match routes {
        Routes::Decoded(routes) => {
            for route in routes {
                if !*first {
                    w.raw(", ");
                }
                *first = false;
                match route {
                    Nlri::Prefix {
                        path_id: None,
                        prefix,
                    } if compact => {
                        w.raw("\"");
                        write_prefix(w, *prefix);
                        w.raw("\"");
                    }
                    _ => write_nlri(w, route),
                }
            }
        }
        Routes::Flow(routes, next_hop) => {
            for route in routes {
                if !*first {
                    w.raw(", ");
                }
                *first = false;
                write_flow_nlri(w, route, next_hop);
            }
        }
        Routes::Evpn(routes) => {
            for route in routes {
                if !*first {
                    w.raw(", ");
                }
                *first = false;
                write_evpn(w, route);
            }
        }
        Routes::LinkState(routes, next_hop) => {
            for route in routes {
                if !*first {
                    w.raw(", ");
                }
                *first = false;
                w.raw(&linkstate::nlri_json(route, next_hop));
            }
        }
        Routes::Opaque(bytes) => {
            if !*first {
                w.raw(", ");
            }
            *first = false;
            write_opaque_nlri(w, bytes);
        }
    }
}

/// `"announce": { "<family>": { "<next-hop>": [ ... ], ... }, ... }`: families, then
/// next-hops within a family, in order of first appearance.
fn write_announce(
    w: &mut JsonWriter<'_>,
    sources: &RouteSources<'_>,
    after_other: bool,
    compact: bool,
) -> bool {
    let announced = &sources.announced;
    if announced.is_empty() {
        return false;
    }
    if after_other {
        w.raw(", ");
    }
    w.key("announce").raw("{ ");
    for (index, (family, _, _)) in announced.iter().enumerate() {
        if announced[..index].iter().any(|(f, _, _)| f == family) {
            continue;
        }
        if index > 0 {
            w.raw(", ");
        }
        w.family(*family, " ");
        w.raw(": { ");
        let mut first_next_hop = true;
        for (nh_index, (nh_family, next_hop, _)) in announced.iter().enumerate() {
            if nh_family != family
                || announced[..nh_index]
                    .iter()
                    .any(|(f, n, _)| f == family && n == next_hop)
            {
                continue;
            }
            if !first_next_hop {
                w.raw(", ");
            }
            first_next_hop = false;
            write_next_hop_key(w, next_hop);
            w.raw(": [ ");
            let mut first_route = true;
            for (f, n, routes) in announced.iter() {
                if f == family && n == next_hop {
                    write_routes(w, *routes, &mut first_route, compact);
                }
            }
            w.raw(" ]");
        }
        w.raw(" }");
    }
    w.raw(" }");
    true
}

/// `"withdraw": { "<family>": [ ... ], ... }`.
fn write_withdraw(
    w: &mut JsonWriter<'_>,
    sources: &RouteSources<'_>,
    after_other: bool,
    compact: bool,
) {
    let withdrawn = &sources.withdrawn;
    if withdrawn.is_empty() {
        return;
    }
    if after_other {
        w.raw(", ");
    }
    w.key("withdraw").raw("{ ");
    for (index, (family, _)) in withdrawn.iter().enumerate() {
        if withdrawn[..index].iter().any(|(f, _)| f == family) {
            continue;
        }
        if index > 0 {
            w.raw(", ");
        }
        w.family(*family, " ");
        w.raw(": [ ");
        let mut first_route = true;
        for (f, routes) in withdrawn.iter() {
            if f == family {
                write_routes(w, *routes, &mut first_route, compact);
            }
        }
        w.raw(" ]");
    }
    w.raw(" }");
}

mod linkstate;
mod nlri;
#[cfg(test)]
mod tests;

pub use linkstate::{attribute_json as linkstate_attribute_json, nlri_json as linkstate_nlri_json};
use nlri::{write_evpn, write_opaque_nlri, write_prefix};
pub use nlri::{write_flow_nlri, write_nlri, write_nlri_lines};
