//! JSON for BGP message events (`update`, `open`, `notification`, `keepalive`, `refresh`,
//! `operational`) and bare NLRI, from the decoded `bgp` types, in ExaBGP 5's shapes.
//!
//! Every function writes with ExaBGP 5.0.15's exact spacing (checked against its `decode`
//! command). Per-prefix work writes straight into the output buffer: no allocation.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use super::json::{
    write_direction, write_keepalive_event, write_neighbor_event, write_notification_event,
    Direction, EventHead, JsonWriter,
};
use crate::bgp::attribute::{decode_attributes_detailed, Attribute};
use crate::bgp::capability::{code_name, iana_class, Capability};
use crate::bgp::flow::FlowNlri;
use crate::bgp::mp::{MpNlri, MpUnreach};
use crate::bgp::nlri::{decode_all, NextHop, Nlri, Prefix};
use crate::bgp::open::Open;
use crate::bgp::operational::Operational;
use crate::bgp::refresh::RouteRefresh;
use crate::bgp::update::{Update, UpdateView};
use crate::bgp::{Afi, DecodeError, Family, Negotiated, Negotiation, Notification, Safi};

// ---------------------------------------------------------------------------------------
// Families
// ---------------------------------------------------------------------------------------

/// Writes an AFI name as ExaBGP does (`ipv4`, or `unknown-afi-0x99` for codes it lacks).
fn write_afi(w: &mut JsonWriter<'_>, afi: Afi) {
    match afi.name() {
        Some(name) => {
            w.raw(name);
        }
        None => {
            w.raw("unknown-afi-").display(format_args!("{:#x}", afi.0));
        }
    }
}

/// Writes a SAFI name as ExaBGP does (`unicast`, or `unknown safi 99`).
fn write_safi(w: &mut JsonWriter<'_>, safi: Safi) {
    match safi.name() {
        Some(name) => {
            w.raw(name);
        }
        None => {
            w.raw("unknown safi ").u32(safi.0.into());
        }
    }
}

/// `"ipv4 unicast"` (update maps) or `"ipv4/unicast"` (OPEN capabilities), quoted.
fn write_family(w: &mut JsonWriter<'_>, family: Family, separator: &str) {
    w.raw("\"");
    write_afi(w, family.afi);
    w.raw(separator);
    write_safi(w, family.safi);
    w.raw("\"");
}

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
        write_afi(w, refresh.afi);
        w.raw("\", ").key("safi").raw("\"");
        write_safi(w, refresh.safi);
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
            write_afi(w, family.afi);
            w.raw("\", ").key("safi").raw("\"");
            write_safi(w, family.safi);
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
        write_family(w, *family, " ");
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
        write_afi(w, family.afi);
        w.raw(" ");
        write_safi(w, family.safi);
        w.raw(" ");
        write_afi(w, *nexthop_afi);
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
                        write_family(w, *family, "/");
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
                            write_afi(w, family.afi);
                            w.raw("/");
                            write_safi(w, family.safi);
                            w.raw("/");
                            write_afi(w, *nexthop_afi);
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
                write_family(w, *family, "/");
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
                write_family(w, *family, "/");
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

/// The RFC 7606 outcome reported as the last key of `attribute`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeErrorNote {
    TreatAsWithdraw,
    Discard,
}

impl AttributeErrorNote {
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeErrorNote::TreatAsWithdraw => "treat-as-withdraw",
            AttributeErrorNote::Discard => "discard",
        }
    }
}

/// Decodes an UPDATE the way ExaBGP reports one: every attribute that decodes is kept,
/// a malformed one is noted (the `"error"` key) rather than failing the message, and routes
/// stay where they were received, as `rexa decode` shows them. With
/// `withdraw_on_treat_as_withdraw` (the live daemon), an UPDATE that RFC 7606 treats as a
/// withdrawal reports every route under `withdraw`. Framing, NLRI and MP_REACH/MP_UNREACH
/// errors still fail: they reset the session.
pub fn decode_update_for_report(
    body: &[u8],
    ctx: &Negotiated,
    withdraw_on_treat_as_withdraw: bool,
) -> Result<(Update, Option<AttributeErrorNote>), DecodeError> {
    let view = UpdateView::new(body)?;
    let mut withdrawn = Vec::new();
    decode_all(view.withdrawn(ctx), &mut withdrawn)?;
    let mut announced = Vec::new();
    decode_all(view.announced(ctx), &mut announced)?;
    let decoded = decode_attributes_detailed(view.attribute_bytes(), ctx)?;
    let error = if decoded.treat_as_withdraw.is_some() {
        Some(AttributeErrorNote::TreatAsWithdraw)
    } else if !decoded.discarded.is_empty() {
        Some(AttributeErrorNote::Discard)
    } else {
        None
    };
    let mut attributes = decoded.attributes;
    if withdraw_on_treat_as_withdraw && error == Some(AttributeErrorNote::TreatAsWithdraw) {
        withdrawn.append(&mut announced);
        for attribute in &mut attributes {
            if let Attribute::MpReach(reach) = attribute {
                let nlri = std::mem::replace(&mut reach.nlri, MpNlri::Decoded(Vec::new()));
                *attribute = Attribute::MpUnreach(MpUnreach {
                    family: reach.family,
                    nlri,
                    extended_length: true,
                });
            }
        }
    }
    let update = Update {
        withdrawn,
        attributes,
        announced,
    };
    Ok((update, error))
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
            write_afi(w, family.afi);
            w.raw("\", \"safi\" : \"");
            write_safi(w, family.safi);
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
            let (key, value) = a.json_entry()?;
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
        w.key("error").string(error.as_str());
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
                w.raw(&route.json(next_hop));
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
        write_family(w, *family, " ");
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
        write_family(w, *family, " ");
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

/// One NLRI object: `{ "nlri": "10.0.0.0/24", "path-information": "0.0.0.1", "label":
/// [ [100] ], "rd": "65000:1" }` (keys present as the route has them).
pub fn write_nlri(w: &mut JsonWriter<'_>, route: &Nlri) {
    if let Some(flow) = route.as_flow() {
        write_flow_nlri(w, &flow.to_flow_nlri(), None);
        return;
    }
    if let Nlri::Vpls { route, .. } = route {
        write_vpls(w, route);
        return;
    }
    if let Nlri::Mup { route, .. } = route {
        write_mup(w, route);
        return;
    }
    if let Nlri::Mvpn { route, .. } = route {
        write_mvpn(w, route);
        return;
    }
    if let Nlri::SrPolicy { route, .. } = route {
        w.raw("{ \"distinguisher\": ").u32(route.distinguisher);
        w.raw(", \"color\": ").u32(route.color);
        w.raw(", \"endpoint\": ")
            .ip_string(route.endpoint)
            .raw(" }");
        return;
    }
    w.raw("{ \"nlri\": \"");
    write_prefix(w, route.get_prefix());
    w.raw("\"");
    if let Some(path_id) = route.path_id() {
        w.raw(", \"path-information\": \"")
            .ipv4(Ipv4Addr::from(path_id))
            .raw("\"");
    }
    if let Some(labels) = route.labels() {
        w.raw(", \"label\": [ ");
        for (index, entry) in labels.entries().iter().enumerate() {
            if index > 0 {
                w.raw(", ");
            }
            w.raw("[").u32(entry.label()).raw("]");
        }
        w.raw(" ]");
    }
    if let Some(rd) = route.rd() {
        w.raw(", \"rd\": ").display_string(rd);
    }
    w.raw(" }");
}

/// One FlowSpec route as ExaBGP shows it: a list per component, then `rd`, `next-hop`
/// and the `string` form.
pub fn write_flow_nlri(w: &mut JsonWriter<'_>, route: &FlowNlri, next_hop: Option<IpAddr>) {
    let mut text = String::new();
    w.raw("{ ");
    for component in route.components() {
        w.key(component.keyword(route.is_ipv6())).raw("[ ");
        for (index, group) in component.groups().enumerate() {
            if index > 0 {
                w.raw(", ");
            }
            text.clear();
            let _ = group.write(&mut text);
            w.raw("\"").raw(&text).raw("\"");
        }
        w.raw(" ], ");
    }
    if let Some(rd) = route.rd() {
        w.key("rd").display_string(rd).raw(", ");
    }
    if let Some(next_hop) = next_hop {
        w.key("next-hop").ip_string(next_hop).raw(", ");
    }
    text.clear();
    let _ = route.write_string(&mut text, next_hop);
    w.key("string").raw("\"").raw(&text).raw("\" }");
}

/// `{ "rd": "1.2.3.4:5", "endpoint": 5, "base": 10702, "offset": 1, "size": 8 }`.
fn write_vpls(w: &mut JsonWriter<'_>, route: &crate::bgp::vpls::VplsNlri) {
    w.raw("{ \"rd\": ").display_string(route.rd);
    w.raw(", \"endpoint\": ").u32(route.endpoint.into());
    w.raw(", \"base\": ").u32(route.base());
    w.raw(", \"offset\": ").u32(route.offset.into());
    w.raw(", \"size\": ").u32(route.size.into());
    w.raw(" }");
}

/// ExaBGP's MUP objects, key for key (`"name"`, `"arch"`, `"code"`, the route type's
/// fields, `"rd"`, `"raw"`: the whole NLRI in upper-case hex). One correction of 5.0.15's
/// output is kept: the comma it leaves out before a T1ST's `"source_ip_len"`.
fn write_mup(w: &mut JsonWriter<'_>, route: &crate::bgp::mup::MupNlri) {
    use crate::bgp::mup::MupRoute;
    let raw = |w: &mut JsonWriter<'_>| {
        let body = route.body();
        w.raw(", \"raw\": \"").hex_upper(&[route.arch]);
        w.hex_upper(&route.code.to_be_bytes());
        // The body is at most MUP_MAX_BODY bytes, so its length fits the byte.
        w.hex_upper(&[body.len() as u8]).hex_upper(body).raw("\" }");
    };
    let head = |w: &mut JsonWriter<'_>, name: &str, sep: &str| {
        w.raw("{ \"name\": \"").raw(name).raw("\",").raw(sep);
        w.raw("\"arch\": ").u32(route.arch.into());
        w.raw(", \"code\": ").u32(route.code.into());
    };
    match route.fields() {
        Some(MupRoute::Isd {
            rd,
            prefix_len,
            prefix,
        }) => {
            head(w, "InterworkSegmentDiscoveryRoute", " ");
            w.raw(", \"prefix_ip_len\": ").u32(prefix_len.into());
            w.raw(", \"prefix_ip\": ").ip_string(prefix);
            w.raw(", \"rd\": ").display_string(rd);
        }
        Some(MupRoute::Dsd { rd, address }) => {
            head(w, "DirectSegmentDiscoveryRoute", " ");
            w.raw(", \"ip\": ").ip_string(address);
            w.raw(", \"rd\": ").display_string(rd);
        }
        Some(MupRoute::T1st {
            rd,
            prefix_len,
            prefix,
            teid,
            qfi,
            endpoint_len,
            endpoint,
            source,
        }) => {
            head(w, "Type1SessionTransformedRoute", " ");
            w.raw(", \"prefix_ip_len\": ").u32(prefix_len.into());
            w.raw(", \"prefix_ip\": ").ip_string(prefix);
            w.raw(", \"teid\": \"").u32(teid).raw("\"");
            w.raw(", \"qfi\": \"").u32(qfi.into()).raw("\"");
            w.raw(", \"rd\": ").display_string(rd);
            w.raw(", \"endpoint_ip_len\": ").u32(endpoint_len.into());
            w.raw(", \"endpoint_ip\": ").ip_string(endpoint);
            match source {
                Some((bits, address)) => {
                    w.raw(", \"source_ip_len\": ").u32(bits.into());
                    w.raw(", \"source_ip\": ").ip_string(address);
                }
                None => {
                    w.raw(", \"source_ip_len\": 0, \"source_ip\": \"b''\"");
                }
            }
        }
        Some(MupRoute::T2st {
            rd,
            endpoint_len,
            endpoint,
            teid,
        }) => {
            head(w, "Type2SessionTransformedRoute", "  ");
            w.raw(", \"endpoint_len\": ").u32(endpoint_len.into());
            w.raw(", \"endpoint_ip\": ").ip_string(endpoint);
            w.raw(", \"rd\": ").display_string(rd);
            w.raw(", \"teid\": \"").u32(teid).raw("\"");
        }
        Some(MupRoute::Other) | None => {
            w.raw("{ \"arch\": ").u32(route.arch.into());
            w.raw(", \"code\": ").u32(route.code.into());
        }
    }
    raw(w);
}

/// ExaBGP 5's MVPN objects, key for key and space for space: `{ "code": 6, "parsed": true,
/// "raw": "06...", "name": "...", "rd": "65000:1", "source-as": "65000", "source": "...",
/// "group": "..."}` (no space before the closing brace); a type it does not decode is
/// `{ "code": 1, "parsed": false, "raw": "..." }`.
fn write_mvpn(w: &mut JsonWriter<'_>, route: &crate::bgp::mvpn::MvpnNlri) {
    use crate::bgp::mvpn::MvpnRoute;
    let fields = route.fields();
    w.raw("{ \"code\": ").u32(route.code.into());
    let parsed = !matches!(fields, MvpnRoute::Other);
    w.raw(if parsed {
        ", \"parsed\": true"
    } else {
        ", \"parsed\": false"
    });
    let body = route.body();
    // The body is at most MVPN_MAX_BODY bytes, so its length fits the byte.
    w.raw(", \"raw\": \"")
        .hex_upper(&[route.code, body.len() as u8]);
    w.hex_upper(body).raw("\"");
    let name = MvpnRoute::name(route.code);
    match fields {
        MvpnRoute::SourceAd { rd, source, group } => {
            w.raw(", \"name\": \"").raw(name).raw("\"");
            w.raw(", \"rd\": ").display_string(rd);
            w.raw(", \"source\": ").ip_string(source);
            w.raw(", \"group\": ").ip_string(group).raw("}");
        }
        MvpnRoute::SharedJoin {
            rd,
            source_as,
            rp: source,
            group,
        }
        | MvpnRoute::SourceJoin {
            rd,
            source_as,
            source,
            group,
        } => {
            w.raw(", \"name\": \"").raw(name).raw("\"");
            w.raw(", \"rd\": ").display_string(rd);
            w.raw(", \"source-as\": \"").u32(source_as).raw("\"");
            w.raw(", \"source\": ").ip_string(source);
            w.raw(", \"group\": ").ip_string(group).raw("}");
        }
        MvpnRoute::Other => {
            w.raw(" }");
        }
    }
}

/// `10.0.0.0/24`, unquoted.
fn write_prefix(w: &mut JsonWriter<'_>, prefix: Prefix) {
    match prefix.addr() {
        IpAddr::V4(address) => w.ipv4(address),
        IpAddr::V6(address) => w.display(address),
    };
    w.raw("/").u32(prefix.len().into());
}

/// NLRI of a family rexa does not decode yet, as one object holding the raw bytes.
/// An EVPN route as ExaBGP shows it: code, parsed, raw, then the fields of its type.
fn write_evpn(w: &mut JsonWriter<'_>, route: &crate::bgp::evpn::EvpnNlri) {
    use crate::bgp::evpn::{esi_text, mac_text, EvpnRoute};
    let fields = route.route();
    w.raw("{ \"code\": ").u32(route.code().into());
    w.raw(", \"parsed\": ").bool(fields.is_some());
    w.raw(", \"raw\": \"").hex_upper(route.raw()).raw("\"");
    let Some(fields) = fields else {
        w.raw(" }");
        return;
    };
    w.raw(", \"name\": ").string(fields.name());
    let label = |w: &mut JsonWriter<'_>, label: Option<u32>| match label {
        Some(0) => {
            w.raw(", \"label\": [ [0] ]");
        }
        Some(raw) => {
            w.raw(", \"label\": [ [")
                .u32(raw >> 4)
                .raw(", ")
                .u32(raw)
                .raw("] ]");
        }
        None => {}
    };
    match fields {
        EvpnRoute::EthernetAutoDiscovery {
            rd,
            esi,
            ethernet_tag,
            label: l,
        } => {
            w.raw(", \"rd\": ").display_string(rd);
            w.raw(", \"esi\": ").string(&esi_text(&esi));
            w.raw(", \"ethernet-tag\": ").u32(ethernet_tag);
            label(w, l);
        }
        EvpnRoute::MacIp {
            rd,
            esi,
            ethernet_tag,
            mac,
            label: l,
            ip,
        } => {
            w.raw(", \"rd\": ").display_string(rd);
            w.raw(", \"esi\": ").string(&esi_text(&esi));
            w.raw(", \"ethernet-tag\": ").u32(ethernet_tag);
            w.raw(", \"mac\": ").string(&mac_text(&mac));
            label(w, l);
            if let Some(ip) = ip {
                w.raw(", \"ip\": ").ip_string(ip);
            }
        }
        EvpnRoute::InclusiveMulticast {
            rd,
            ethernet_tag,
            ip,
        } => {
            w.raw(", \"rd\": ").display_string(rd);
            w.raw(", \"ethernet-tag\": ").u32(ethernet_tag);
            if let Some(ip) = ip {
                w.raw(", \"ip\": ").ip_string(ip);
            }
        }
        EvpnRoute::EthernetSegment { rd, esi, ip } => {
            w.raw(", \"rd\": ").display_string(rd);
            w.raw(", \"esi\": ").string(&esi_text(&esi));
            if let Some(ip) = ip {
                w.raw(", \"ip\": ").ip_string(ip);
            }
        }
        EvpnRoute::IpPrefix {
            rd,
            esi,
            ethernet_tag,
            label: l,
            prefix_len,
            prefix,
            gateway,
        } => {
            w.raw(", \"rd\": ").display_string(rd);
            w.raw(", \"esi\": ").string(&esi_text(&esi));
            w.raw(", \"ethernet-tag\": ").u32(ethernet_tag);
            label(w, l);
            w.raw(", \"ip\": ").ip_string(prefix);
            w.raw(", \"iplen\": ").u32(prefix_len.into());
            w.raw(", \"gateway\": ").ip_string(gateway);
        }
    }
    w.raw(" }");
}

fn write_opaque_nlri(w: &mut JsonWriter<'_>, bytes: &[u8]) {
    w.raw("{ \"parsed\": false, \"raw\": \"0x")
        .hex_upper(bytes)
        .raw("\" }");
}

/// `rexa decode --nlri`: each route of `bytes` as its own JSON object on its own line.
/// Returns the number of routes written, or the decode error.
pub fn write_nlri_lines(
    out: &mut Vec<u8>,
    routes: impl Iterator<Item = Result<Nlri, crate::bgp::nlri::NlriError>>,
) -> Result<usize, crate::bgp::nlri::NlriError> {
    let mut count = 0;
    for route in routes {
        let route = route?;
        write_nlri(&mut JsonWriter::new(out), &route);
        let _ = writeln!(out);
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::json::{Envelope, NeighborIdentity, FORMAT_VERSION_5};
    use crate::bgp::operational::{AdvisoryKind, CountKind};
    use crate::bgp::refresh::RefreshSubtype;

    /// Runs `write` with a fixed head and returns the text after `"router-id": ... , `.
    fn content(write: impl FnOnce(&mut Vec<u8>, &EventHead<'_>)) -> String {
        let envelope = Envelope {
            version: FORMAT_VERSION_5,
            time: 1.0,
            host: "h",
            pid: 1,
            ppid: 1,
        };
        let neighbor = NeighborIdentity {
            local_address: "10.0.0.2".parse().unwrap(),
            peer_address: "10.0.0.1".parse().unwrap(),
            local_asn: 65000,
            peer_asn: 65001,
            router_id: Some(Ipv4Addr::new(10, 0, 0, 2)),
        };
        let head = EventHead {
            envelope: &envelope,
            counter: 1,
            kind: "x",
            raw: None,
            neighbor: &neighbor,
        };
        let mut out = Vec::new();
        write(&mut out, &head);
        let text = String::from_utf8(out).unwrap();
        let (_, rest) = text.split_once(r#""router-id": "10.0.0.2" , "#).unwrap();
        rest.to_owned()
    }

    // Shapes from api.md §7.4 (verified there against ExaBGP 5.0.15's encoder).

    #[test]
    fn refresh_event() {
        let refresh = RouteRefresh::new(Family::IPV4_UNICAST, RefreshSubtype::REQUEST);
        assert_eq!(
            content(|out, head| write_refresh(out, head, Direction::Receive, &refresh)),
            r#""direction": "receive", "route-refresh": { "afi": "ipv4", "safi": "unicast", "subtype": "query" } } }"#
        );
        let refresh = RouteRefresh::new(Family::IPV6_MPLS_VPN, RefreshSubtype::END);
        assert!(
            content(|out, head| write_refresh(out, head, Direction::Send, &refresh))
                .contains(r#""afi": "ipv6", "safi": "mpls-vpn", "subtype": "end" }"#)
        );
    }

    #[test]
    fn operational_events() {
        let advisory = Operational::advisory(
            AdvisoryKind::Demand,
            Family::IPV4_UNICAST,
            "maintenance at 10:00",
        );
        assert_eq!(
            content(|out, head| write_operational(out, head, Direction::Receive, &advisory)),
            r#""direction": "receive", "operational": { "name": "ADM", "afi": "ipv4", "safi": "unicast", "advisory": "maintenance at 10:00" } } }"#
        );
        let query = Operational::Query {
            kind: CountKind::Reachable,
            family: Family::IPV4_UNICAST,
            router_id: Ipv4Addr::new(10, 0, 0, 1),
            sequence: 1,
        };
        assert_eq!(
            content(|out, head| write_operational(out, head, Direction::Receive, &query)),
            r#""direction": "receive", "operational": { "name": "RPCQ", "afi": "ipv4", "safi": "unicast" } } }"#
        );
        let reply = Operational::Reply {
            kind: CountKind::Reachable,
            family: Family::IPV4_UNICAST,
            router_id: Ipv4Addr::new(10, 0, 0, 1),
            sequence: 1,
            counter: 42,
        };
        assert_eq!(
            content(|out, head| write_operational(out, head, Direction::Receive, &reply)),
            r#""direction": "receive", "operational": { "name": "RPCP", "afi": "ipv4", "safi": "unicast", "router-id": "10.0.0.1", "sequence": 1, "counter": 42 } } }"#
        );
        let unknown = Operational::Unknown {
            kind: 99,
            data: vec![1, 2],
        };
        assert!(
            content(|out, head| write_operational(out, head, Direction::Receive, &unknown))
                .contains(r#"{ "name": "unknown", "type": 99, "data": "0x0102" }"#)
        );
    }

    #[test]
    fn keepalive_and_sent_notification() {
        assert_eq!(
            content(|out, head| write_keepalive(out, head, Direction::Receive)),
            r#""direction": "receive"  } }"#
        );
        // Sent notifications report the bytes sent, not the received-side rewrite.
        let sent = Notification::new(6, 2, b"\x0bshutdownnow".to_vec());
        assert_eq!(
            content(|out, head| write_notification(out, head, Direction::Send, &sent)),
            r#""direction": "send", "notification": { "code": 6, "subcode": 2, "data": "0x0B73687574646F776E6E6F77", "message": "\u000bshutdownnow" }  } }"#
        );
    }

    fn negotiation() -> Negotiation {
        let local = Open::new(65000, 180, Ipv4Addr::new(10, 0, 0, 2), Vec::new());
        let mut negotiation = Negotiation::new(&local, &local);
        negotiation.negotiated.max_message_size = 65535;
        negotiation.negotiated.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
        negotiation.negotiated.extended_nexthop = vec![(Family::IPV4_UNICAST, Afi::IPV6)];
        negotiation.negotiated.addpath_send = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
        negotiation.negotiated.addpath_receive = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
        negotiation.hold_time = 180;
        negotiation.negotiated.asn4 = true;
        negotiation.multisession = false;
        negotiation.operational = false;
        negotiation.refresh = crate::bgp::negotiated::RefreshMode::Enhanced;
        negotiation
    }

    #[test]
    fn negotiated_event() {
        let negotiation = negotiation();
        assert_eq!(
            content(|out, head| write_negotiated_event(out, head, &negotiation)),
            r#""negotiated": { "message_size": 65535, "hold_time": 180, "asn4": true, "multisession": false, "operational": false, "refresh": "enhanced", "families": ["ipv4 unicast", "ipv6 unicast"], "nexthop": ["ipv4 unicast ipv6"], "add_path": {"send": ["ipv4 unicast", "ipv6 unicast"], "receive": ["ipv4 unicast", "ipv6 unicast"]} }  } }"#
        );
    }

    #[test]
    fn fsm_signal_and_raw_events() {
        assert_eq!(
            content(|out, head| write_fsm_event(out, head, "OPENCONFIRM")),
            r#""state": "OPENCONFIRM" } }"#
        );
        assert_eq!(
            content(|out, head| write_signal_event(out, head, 10, "SIGUSR1")),
            r#""code": "10", "name": "SIGUSR1" } }"#
        );
        let mut header = vec![0xff; 16];
        header.extend_from_slice(&[0x00, 0x17, 0x02]);
        assert_eq!(
            content(|out, head| {
                write_raw_message_event(out, head, Direction::Receive, &header, &[0, 0, 0, 0], None)
            }),
            r#""direction": "receive", "message": { "category": 2, "header": "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001702", "body": "0x00000000" }  } }"#
        );
        header[17] = 0x13;
        header[18] = 4;
        let negotiation = negotiation();
        let text = content(|out, head| {
            write_raw_message_event(
                out,
                head,
                Direction::Receive,
                &header,
                &[],
                Some(&negotiation),
            )
        });
        assert!(text.starts_with(r#""direction": "receive", "message": { "category": 4, "header": "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001304", "body": "0x" } , "negotiated": { "message_size""#), "{text}");
        assert!(text.ends_with(r#"]} }  } }"#), "{text}");
        assert_eq!(raw_message_kind(5), "route-refresh");
        assert_eq!(raw_message_kind(7), "unknown");
    }

    fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        digits
            .chunks(2)
            .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect()
    }

    /// api.md §7.4's worked example (ExaBGP 5.0.15 output), envelope included.
    #[test]
    fn update_event_worked_example() {
        let message = hex(concat!(
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00780200 0418CB0071 00594001010040020A02020000FDE9",
            "0000FDEA400304C000020180040400000064400504000000C8C00808FDE90064FFFFFF018009040A",
            "000001800A040A000002C010080002FDE900000064C0200C0000FDE9000000010000000218C63364"
        ));
        let ctx = crate::bgp::Negotiated::default();
        let update = Update::decode(&message[19..], &ctx).unwrap();
        let envelope = Envelope {
            version: FORMAT_VERSION_5,
            time: 1700000000.5,
            host: "rtr1",
            pid: 4242,
            ppid: 1,
        };
        let neighbor = NeighborIdentity {
            local_address: "127.0.0.1".parse().unwrap(),
            peer_address: "127.0.0.1".parse().unwrap(),
            local_asn: 65533,
            peer_asn: 65533,
            router_id: Some(Ipv4Addr::new(10, 0, 0, 2)),
        };
        let head = EventHead {
            envelope: &envelope,
            counter: 7,
            kind: "update",
            raw: None,
            neighbor: &neighbor,
        };
        let mut out = Vec::new();
        let options = UpdateJsonOptions::default();
        write_update_event(&mut out, &head, Direction::Receive, &update, None, options);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            concat!(
                r#"{ "exabgp": "5.0.0", "time": 1700000000.5, "host" : "rtr1", "pid" : 4242, "ppid" : 1, "counter": 7, "type": "update", "neighbor": { "address": { "local": "127.0.0.1", "peer": "127.0.0.1" }, "asn": { "local": 65533, "peer": 65533 }, "router-id": "10.0.0.2" , "direction": "receive", "message": { "update": { "attribute": { "origin": "igp", "as-path": {"0": {"element": "as-sequence", "value": [65001, 65002]}}, "med": 100, "local-preference": 200, "community": [ [ 65001, 100 ], [ 65535, 65281 ] ], "originator-id": "10.0.0.1", "cluster-list": [ "10.0.0.2" ], "extended-community": [ { "value": 842127122628708, "string": "target:65001:100" } ], "large-community": [ [ 65001, 1 , 2 ] ] }, "#,
                r#""announce": { "ipv4 unicast": { "192.0.2.1": [ { "nlri": "198.51.100.0/24" } ] } }, "withdraw": { "ipv4 unicast": [ { "nlri": "203.0.113.0/24" } ] } } } } }"#
            )
        );
        // exabgp.api.compact: bare prefixes.
        let mut out = Vec::new();
        let compact = UpdateJsonOptions {
            compact: true,
            ..UpdateJsonOptions::default()
        };
        write_update_event(&mut out, &head, Direction::Receive, &update, None, compact);
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with(r#""announce": { "ipv4 unicast": { "192.0.2.1": [ "198.51.100.0/24" ] } }, "withdraw": { "ipv4 unicast": [ "203.0.113.0/24" ] } } } } }"#), "{text}");
    }

    #[test]
    fn treat_as_withdraw_in_the_daemon() {
        // A 3-byte MED (treat-as-withdraw), one IPv4 route and one IPv6 route.
        let body = hex(concat!(
            "0000 0037 40010100 400206020100000001 400304C0000201 800403000064",
            "800E1A0002011020010DB8000000000000000000000001 00 2020010DB8",
            "18C63364"
        ));
        let ctx = Negotiated::default();
        let (update, error) = decode_update_for_report(&body, &ctx, false).unwrap();
        assert_eq!(error, Some(AttributeErrorNote::TreatAsWithdraw));
        assert_eq!(update.announced.len(), 1);
        let (update, _) = decode_update_for_report(&body, &ctx, true).unwrap();
        assert!(update.announced.is_empty());
        assert_eq!(update.withdrawn.len(), 1);
        let mut out = Vec::new();
        let mut w = JsonWriter::new(&mut out);
        write_update_message(&mut w, &update, error, UpdateJsonOptions::default());
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            r#""message": { "update": { "attribute": { "origin": "igp", "as-path": {"0": {"element": "as-sequence", "value": [1]}}, "error": "treat-as-withdraw" }, "withdraw": { "ipv4 unicast": [ { "nlri": "198.51.100.0/24" } ], "ipv6 unicast": [ { "nlri": "2001:db8::/32" } ] } } }"#
        );
    }

    #[test]
    fn unknown_family_names() {
        let mut out = Vec::new();
        let mut w = JsonWriter::new(&mut out);
        write_family(&mut w, Family::new(Afi(0x99), Safi(99)), "/");
        assert_eq!(out, br#""unknown-afi-0x99/unknown safi 99""#);
    }
}
