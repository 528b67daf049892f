//! Normalized text rendering of a `Config` for `rexa validate --dump`: neighbors after
//! inheritance with every setting explicit, routes one per line with all their attributes.

use std::fmt::Write;

use super::model::RouteAttributes;
use super::model::*;
use super::nlri::CODE_TUNNEL_ENCAPSULATION;
use crate::bgp::attribute::{
    AsPath, Attribute, PrefixSid, PrefixSidTlv, SegmentKind, Srv6SubSubTlv, Srv6SubTlv,
    CODE_AGGREGATOR, CODE_AIGP, CODE_AS_PATH, CODE_ATOMIC_AGGREGATE, CODE_CLUSTER_LIST,
    CODE_COMMUNITIES, CODE_EXTENDED_COMMUNITIES, CODE_IPV6_EXTENDED_COMMUNITIES,
    CODE_LARGE_COMMUNITIES, CODE_LOCAL_PREF, CODE_MED, CODE_ORIGIN, CODE_ORIGINATOR_ID,
    CODE_PREFIX_SID,
};
use crate::bgp::flow::{FlowInline, FLOW_INLINE_MAX};
use crate::bgp::mup::MupRoute;
use crate::bgp::mvpn::MvpnRoute;
use crate::bgp::nlri::Nlri;

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    s.push_str("0x");
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn opt<T: std::fmt::Display>(value: &Option<T>) -> String {
    match value {
        Some(v) => v.to_string(),
        None => "none".into(),
    }
}

/// The whole configuration.
pub fn dump(config: &Config) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}", config.file);
    for p in &config.processes {
        let _ = writeln!(out, "process {} {{", p.name);
        let run: Vec<String> = p.run.iter().map(|a| quote(a)).collect();
        let _ = writeln!(out, "    run {};", run.join(" "));
        let _ = writeln!(out, "    encoder {};", p.encoder());
        let _ = writeln!(out, "    respawn {};", p.respawn);
        out.push_str("}\n");
    }
    for n in &config.neighbors {
        neighbor(&mut out, n);
    }
    out
}

fn quote(text: &str) -> String {
    if text.is_empty()
        || text
            .chars()
            .any(|c| c.is_whitespace() || "[]{};,#'\"".contains(c))
    {
        format!("\"{}\"", text.replace('"', "\\\""))
    } else {
        text.to_string()
    }
}

/// One neighbor in configuration syntax without its routes (`show neighbor configuration`).
pub fn neighbor_settings(n: &Neighbor) -> String {
    let mut out = String::new();
    neighbor_with(&mut out, n, false);
    out
}

fn neighbor(out: &mut String, n: &Neighbor) {
    neighbor_with(out, n, true);
}

fn neighbor_with(out: &mut String, n: &Neighbor, with_routes: bool) {
    let _ = writeln!(out, "neighbor {} {{", n.peer_text());
    let mut line = |k: &str, v: String| {
        let _ = writeln!(out, "    {k} {v};");
    };
    if !n.inherited.is_empty() {
        line("inherited", format!("[ {} ]", n.inherited.join(" ")));
    }
    line("description", quote(&n.description));
    line("router-id", n.router_id.to_string());
    line(
        "local-address",
        n.local_address
            .map(|a| a.to_string())
            .unwrap_or_else(|| "auto".into()),
    );
    if let Some(ll) = n.local_link_local {
        line("local-link-local", ll.to_string());
    }
    line("local-as", n.local_as.to_string());
    line("peer-as", n.peer_as.to_string());
    line("hold-time", n.hold_time.to_string());
    line("passive", n.passive.to_string());
    line("listen", n.listen.to_string());
    line("connect", n.connect.to_string());
    line("source-interface", opt(&n.source_interface));
    line("outgoing-ttl", opt(&n.outgoing_ttl));
    line("incoming-ttl", opt(&n.incoming_ttl));
    line(
        "md5-password",
        // Secrets are not printed, only their length.
        n.md5_password
            .as_deref()
            .map(|p| format!("<secret, {} characters>", p.chars().count()))
            .unwrap_or_else(|| "none".into()),
    );
    line(
        "md5-base64",
        n.md5_base64
            .map(|b| b.to_string())
            .unwrap_or_else(|| "auto".into()),
    );
    line("md5-ip", opt(&n.md5_ip));
    if let Some(ao) = &n.tcp_ao {
        line(
            "tcp-ao",
            format!(
                "keyid {} algorithm {} password <secret, {} characters> base64 {}",
                ao.keyid,
                ao.algorithm.name(),
                ao.password.chars().count(),
                ao.base64
            ),
        );
    }
    line("group-updates", n.group_updates.to_string());
    line("auto-flush", n.auto_flush.to_string());
    line("adj-rib-in", n.adj_rib_in.to_string());
    line("adj-rib-out", n.adj_rib_out.to_string());
    line("manual-eor", n.manual_eor.to_string());
    line("host-name", opt(&n.host_name));
    line("domain-name", opt(&n.domain_name));
    line("rate-limit", n.rate_limit.to_string());
    let _ = writeln!(
        out,
        "    family{} {{ {} }}",
        if n.families_all { " (all)" } else { "" },
        n.families
            .iter()
            .map(|f| format!("{f};"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let c = &n.capabilities;
    let _ = writeln!(
        out,
        "    capability {{ asn4 {}; route-refresh {}; graceful-restart {}; add-path {}; multi-session {}; \
         operational {}; aigp {}; extended-message {}; nexthop {}; software-version {}; \
         link-local-nexthop {}; link-local-prefer {}; }}",
        c.asn4,
        c.route_refresh,
        c.graceful_restart.map(|t| t.to_string()).unwrap_or_else(|| "disable".into()),
        c.add_path.name(),
        c.multi_session,
        c.operational,
        c.aigp,
        c.extended_message,
        c.nexthop,
        c.software_version,
        opt(&c.link_local_nexthop),
        c.link_local_prefer
    );
    if !n.add_path.is_empty() {
        let items: Vec<String> = n
            .add_path
            .iter()
            .map(|a| match a.limit {
                Some(l) => format!("{} limit {l};", a.family),
                None => format!("{};", a.family),
            })
            .collect();
        let _ = writeln!(out, "    add-path {{ {} }}", items.join(" "));
    }
    if !n.nexthop.is_empty() {
        let items: Vec<String> = n
            .nexthop
            .iter()
            .map(|e| format!("{} {};", e.family, e.nexthop_afi))
            .collect();
        let _ = writeln!(out, "    nexthop {{ {} }}", items.join(" "));
    }
    for api in &n.api {
        let processes = match &api.processes {
            ProcessSelector::Names(names) => format!("processes [ {} ]", names.join(" ")),
            ProcessSelector::Match { patterns, matched } => format!(
                "processes-match [ {} ] (matched [ {} ])",
                patterns.join(" "),
                matched.join(" ")
            ),
        };
        let _ = writeln!(
            out,
            "    api{} {{ {processes}; neighbor-changes {}; negotiated {}; fsm {}; signal {}; send {{ {}}} receive {{ {}}} }}",
            api.name.as_deref().map(|n| format!(" {n}")).unwrap_or_default(),
            api.neighbor_changes,
            api.negotiated,
            api.fsm,
            api.signal,
            selection(&api.send),
            selection(&api.receive)
        );
    }
    for route in n.routes.iter().filter(|_| with_routes) {
        let _ = writeln!(out, "    {}", route_line(route));
    }
    for m in &n.operational {
        let text = match m {
            OperationalMessage::Advisory { kind, family, text } => {
                format!(
                    "{kind} afi {} safi {} advisory {}",
                    family.afi,
                    family.safi,
                    quote(text)
                )
            }
            OperationalMessage::Query {
                kind,
                family,
                sequence,
            } => format!(
                "{kind} afi {} safi {} sequence {sequence}",
                family.afi, family.safi
            ),
            OperationalMessage::Response {
                kind,
                family,
                sequence,
                counter,
            } => format!(
                "{kind} afi {} safi {} sequence {sequence} counter {counter}",
                family.afi, family.safi
            ),
        };
        let _ = writeln!(out, "    operational {text};");
    }
    out.push_str("}\n");
}

fn selection(s: &MessageSelection) -> String {
    let mut text = String::new();
    for (on, name) in [
        (s.parsed, "parsed"),
        (s.packets, "packets"),
        (s.consolidate, "consolidate"),
        (s.open, "open"),
        (s.update, "update"),
        (s.notification, "notification"),
        (s.keepalive, "keepalive"),
        (s.refresh, "refresh"),
        (s.operational, "operational"),
    ] {
        if on {
            text.push_str(name);
            text.push_str("; ");
        }
    }
    text
}

/// One route: `route <family> <nlri> <attributes> <control>;`.
pub fn route_line(route: &ConfiguredRoute) -> String {
    let mut s = format!("route {} ", route.family());
    // An SR Policy's tunnel, shown with the policy's keywords rather than as raw bytes.
    let mut tunnel = None;
    let nlri = &route.nlri;
    match nlri {
        Nlri::SrPolicy { route: p, .. } => {
            let _ = write!(
                s,
                "sr-policy distinguisher {} color {} endpoint {}",
                p.distinguisher, p.color, p.endpoint
            );
            if route.control.refused.is_none() {
                tunnel = sr_policy_tunnel(&route.attributes);
                if let Some(Attribute::Unknown { value, .. }) = tunnel {
                    sr_policy_text(&mut s, value);
                }
            } else {
                s.push_str(" (not sent: a segment of type c to k, or without its SID)");
            }
        }
        _ if route.control.refused == Some(Refusal::FlowTooLong) => {
            let _ = write!(
                s,
                "match {{ }} (not sent: longer than {FLOW_INLINE_MAX} bytes)"
            );
        }
        _ if route.control.refused.is_some() => s.push_str("(not sent: not supported)"),
        Nlri::Prefix { .. } | Nlri::Labeled { .. } | Nlri::Vpn { .. } => {
            let _ = write!(s, "{}", nlri.get_prefix());
            if let Some(rd) = nlri.rd() {
                let _ = write!(s, " rd {rd} ({})", hex(&rd.0));
            }
            if let Some(labels) = nlri.labels().filter(|l| !l.is_empty()) {
                let l: Vec<String> = labels
                    .entries()
                    .iter()
                    .map(|e| e.label().to_string())
                    .collect();
                let _ = write!(s, " label [ {} ]", l.join(" "));
            }
            if let Some(id) = nlri.path_id() {
                let _ = write!(s, " path-information {id}");
            }
        }
        Nlri::Flow(flow) => flow_text(&mut s, flow),
        Nlri::Vpls { route: v, .. } => {
            let _ = write!(
                s,
                "vpls endpoint {} base {} offset {} size {} rd {}",
                v.endpoint,
                v.base(),
                v.offset,
                v.size,
                v.rd
            );
        }
        Nlri::Mup { route: m, .. } => {
            if let Some(m) = m.fields() {
                mup_text(&mut s, &m);
            }
        }
        Nlri::Mvpn { route: m, .. } => {
            let _ = match m.fields() {
                MvpnRoute::SourceAd { rd, source, group } => {
                    write!(s, "source-ad source {source} group {group} rd {rd}")
                }
                MvpnRoute::SharedJoin {
                    rd,
                    source_as,
                    rp,
                    group,
                } => write!(
                    s,
                    "shared-join rp {rp} group {group} rd {rd} source-as {source_as}"
                ),
                MvpnRoute::SourceJoin {
                    rd,
                    source_as,
                    source,
                    group,
                } => write!(
                    s,
                    "source-join source {source} group {group} rd {rd} source-as {source_as}"
                ),
                MvpnRoute::Other => Ok(()),
            };
        }
    }
    attributes(&mut s, &route.attributes, tunnel);
    let c = &route.control;
    if let Some(name) = &c.name {
        let _ = write!(s, " name {}", quote(name));
    }
    if let Some(split) = c.split {
        let _ = write!(s, " split /{split}");
    }
    if let Some(w) = &c.watchdog {
        let _ = write!(s, " watchdog {}", quote(w));
    }
    if c.withdraw {
        s.push_str(" withdraw");
    }
    s.push(';');
    s
}

/// The attributes in the order ExaBGP's configuration lists them, whatever order they were
/// written in; raw `attribute [ ]` ones last.
fn attributes(s: &mut String, a: &RouteAttributes, shown: Option<&Attribute>) {
    if let Some(nh) = &a.next_hop {
        let _ = write!(s, " next-hop {nh}");
    }
    if let Some(Attribute::Origin(o)) = a.get(CODE_ORIGIN) {
        let _ = write!(s, " origin {}", o.name());
    }
    if let Some(Attribute::AsPath(p)) = a.get(CODE_AS_PATH) {
        s.push_str(" as-path ");
        as_path_text(s, p);
    }
    if let Some(Attribute::Med(m)) = a.get(CODE_MED) {
        let _ = write!(s, " med {m}");
    }
    if let Some(Attribute::LocalPref(l)) = a.get(CODE_LOCAL_PREF) {
        let _ = write!(s, " local-preference {l}");
    }
    if a.get(CODE_ATOMIC_AGGREGATE).is_some() {
        s.push_str(" atomic-aggregate");
    }
    if let Some(Attribute::Aggregator(agg)) = a.get(CODE_AGGREGATOR) {
        let _ = write!(s, " aggregator ( {}:{} )", agg.asn, agg.address);
    }
    if let Some(Attribute::Communities(list)) = a.get(CODE_COMMUNITIES) {
        let c: Vec<String> = list
            .iter()
            .map(|c| format!("{}:{}", c.0 >> 16, c.0 & 0xFFFF))
            .collect();
        let _ = write!(s, " community [ {} ]", c.join(" "));
    }
    if let Some(Attribute::LargeCommunities(list)) = a.get(CODE_LARGE_COMMUNITIES) {
        let c: Vec<String> = list
            .iter()
            .map(|c| format!("{}:{}:{}", c.global, c.local1, c.local2))
            .collect();
        let _ = write!(s, " large-community [ {} ]", c.join(" "));
    }
    if let Some(Attribute::ExtendedCommunities(list)) = a.get(CODE_EXTENDED_COMMUNITIES) {
        let c: Vec<String> = list.iter().map(|e| format!("{e}={}", hex(&e.0))).collect();
        let _ = write!(s, " extended-community [ {} ]", c.join(" "));
    }
    if let Some(Attribute::Ipv6ExtendedCommunities(list)) = a.get(CODE_IPV6_EXTENDED_COMMUNITIES) {
        let c: Vec<String> = list.iter().map(|e| format!("{e}={}", hex(&e.0))).collect();
        let _ = write!(s, " extended-community-ipv6 [ {} ]", c.join(" "));
    }
    if let Some(Attribute::OriginatorId(o)) = a.get(CODE_ORIGINATOR_ID) {
        let _ = write!(s, " originator-id {o}");
    }
    if let Some(Attribute::ClusterList(list)) = a.get(CODE_CLUSTER_LIST) {
        let c: Vec<String> = list.iter().map(|c| c.to_string()).collect();
        let _ = write!(s, " cluster-list [ {} ]", c.join(" "));
    }
    if let Some(Attribute::Aigp(aigp)) = a.get(CODE_AIGP) {
        let _ = write!(s, " aigp {}", aigp.value());
    }
    if let Some(Attribute::PrefixSid(sid)) = a.get(CODE_PREFIX_SID) {
        prefix_sid_text(s, sid);
    }
    for raw in a.raw() {
        if shown.is_some_and(|shown| std::ptr::eq(shown, raw)) {
            continue;
        }
        if let Attribute::Unknown { flags, code, value } = raw {
            let _ = write!(
                s,
                " attribute [ 0x{code:02x} 0x{flags:02x} {} ]",
                hex(value)
            );
        }
    }
}

/// `bgp-prefix-sid [ index, [ ( base,range ) ... ] ]` and `bgp-prefix-sid-srv6 ( ... )`.
fn prefix_sid_text(s: &mut String, sid: &PrefixSid) {
    for tlv in &sid.tlvs {
        if let PrefixSidTlv::LabelIndex { index, .. } = tlv {
            let srgbs: Vec<String> = sid
                .tlvs
                .iter()
                .filter_map(|t| match t {
                    PrefixSidTlv::OriginatorSrgb { ranges, .. } => Some(ranges),
                    _ => None,
                })
                .flatten()
                .map(|(b, r)| format!("( {b},{r} )"))
                .collect();
            let _ = write!(s, " bgp-prefix-sid [ {index}, [ {} ] ]", srgbs.join(", "));
        }
    }
    for tlv in &sid.tlvs {
        let PrefixSidTlv::Srv6Service { kind, sub_tlvs, .. } = tlv else {
            continue;
        };
        for sub in sub_tlvs {
            let Srv6SubTlv::SidInformation(info) = sub else {
                continue;
            };
            let service = if *kind == crate::bgp::attribute::TLV_SRV6_L3_SERVICE {
                "l3-service"
            } else {
                "l2-service"
            };
            let _ = write!(
                s,
                " bgp-prefix-sid-srv6 ( {service} {} 0x{:x}",
                info.sid, info.endpoint_behavior
            );
            for subsub in &info.sub_sub_tlvs {
                if let Srv6SubSubTlv::Structure(st) = subsub {
                    let _ = write!(
                        s,
                        " [{},{},{},{},{},{}]",
                        st.locator_block_length,
                        st.locator_node_length,
                        st.function_length,
                        st.argument_length,
                        st.transposition_length,
                        st.transposition_offset
                    );
                }
            }
            s.push_str(" )");
        }
    }
}

/// An AS path in the configuration's syntax: `[ a b ]` sequences, `( c d )` sets.
fn as_path_text(s: &mut String, path: &AsPath) {
    if path.segments.is_empty() {
        s.push_str("[ ]");
    }
    for (i, segment) in path.segments.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let (open, close) = match segment.kind {
            SegmentKind::Set | SegmentKind::ConfedSet => ('(', ')'),
            SegmentKind::Sequence | SegmentKind::ConfedSequence => ('[', ']'),
        };
        s.push(open);
        for asn in &segment.asns {
            let _ = write!(s, " {asn}");
        }
        s.push(' ');
        s.push(close);
    }
}

/// `[rd RD] match { <keyword> <values>; ... }` from the route's NLRI, with ExaBGP's
/// keywords and values (as its `string` shows them); the actions are the route's
/// extended communities.
fn flow_text(s: &mut String, flow: &FlowInline) {
    if let Some(rd) = flow.rd() {
        let _ = write!(s, "rd {rd} ");
    }
    s.push_str("match {");
    for component in flow.components() {
        let _ = write!(s, " {}", component.keyword(flow.is_ipv6()));
        let mut values: Vec<String> = Vec::new();
        for group in component.groups() {
            let mut value = String::new();
            let _ = group.write(&mut value);
            values.push(value);
        }
        if component.prefix().is_some() {
            let _ = write!(s, " {}", values.join(" "));
        } else {
            let _ = write!(s, " [ {} ]", values.join(" "));
        }
        s.push(';');
    }
    s.push_str(" }");
}

fn mup_text(s: &mut String, m: &MupRoute) {
    let bits = |address: &std::net::IpAddr| if address.is_ipv6() { 128u8 } else { 32 };
    let _ = match m {
        MupRoute::Isd {
            rd,
            prefix_len,
            prefix,
        } => write!(s, "mup-isd {prefix}/{prefix_len} rd {rd}"),
        MupRoute::Dsd { rd, address } => write!(s, "mup-dsd {address} rd {rd}"),
        MupRoute::T1st {
            rd,
            prefix_len,
            prefix,
            teid,
            qfi,
            endpoint,
            source,
            ..
        } => {
            let _ = write!(
                s,
                "mup-t1st {prefix}/{prefix_len} rd {rd} teid {teid} qfi {qfi} endpoint {endpoint}"
            );
            match source {
                Some((_, src)) => write!(s, " source {src}"),
                None => Ok(()),
            }
        }
        MupRoute::T2st {
            rd,
            endpoint_len,
            endpoint,
            teid,
        } => write!(
            s,
            "mup-t2st {endpoint} rd {rd} teid {teid}/{}",
            endpoint_len.saturating_sub(bits(endpoint))
        ),
        MupRoute::Other => Ok(()),
    };
}

/// The SR Policy tunnel the parser made: the last raw attribute of code 23.
fn sr_policy_tunnel(a: &RouteAttributes) -> Option<&Attribute> {
    a.raw().iter().rev().find(
        |r| matches!(r, Attribute::Unknown { code, .. } if *code == CODE_TUNNEL_ENCAPSULATION),
    )
}

/// The tunnel data of an SR Policy in its configuration keywords, read back from the
/// Tunnel Encapsulation attribute's value (names, then segment lists).
fn sr_policy_text(s: &mut String, value: &[u8]) {
    use crate::bgp::sr_policy::*;
    let u32_at = |v: &[u8], at: usize| -> u32 {
        v.get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_be_bytes)
    };
    let ipv6_at = |v: &[u8], at: usize| -> std::net::Ipv6Addr {
        v.get(at..at + 16)
            .and_then(|b| <[u8; 16]>::try_from(b).ok())
            .map_or(std::net::Ipv6Addr::UNSPECIFIED, std::net::Ipv6Addr::from)
    };
    let name = |v: &[u8]| quote(&String::from_utf8_lossy(v.get(1..).unwrap_or(&[])));
    let tlvs = value.get(4..).unwrap_or(&[]);
    for sub in sub_tlvs(tlvs).flatten() {
        let v = sub.value;
        let _ = match sub.kind {
            SUB_PREFERENCE => write!(s, " preference {}", u32_at(v, 2)),
            SUB_PRIORITY => write!(s, " priority {}", v.first().copied().unwrap_or(0)),
            SUB_BINDING_SID => write!(s, " binding-sid mpls {}", u32_at(v, 2) >> 12),
            SUB_SRV6_BINDING_SID => write!(s, " srv6-binding-sid {}", ipv6_at(v, 2)),
            SUB_POLICY_NAME => write!(s, " policy-name {}", name(v)),
            SUB_CANDIDATE_PATH_NAME => write!(s, " candidate-path-name {}", name(v)),
            _ => Ok(()),
        };
    }
    for list in sub_tlvs(tlvs)
        .flatten()
        .filter(|t| t.kind == SUB_SEGMENT_LIST)
    {
        s.push_str(" segment-list");
        for seg in sub_tlvs(list.value.get(1..).unwrap_or(&[])).flatten() {
            let v = seg.value;
            let _ = match seg.kind {
                SEG_WEIGHT => write!(s, " weight {}", u32_at(v, 2)),
                SEG_TYPE_A => write!(s, " segment type-a mpls {}", u32_at(v, 2) >> 12),
                SEG_TYPE_B => {
                    let _ = write!(s, " segment type-b srv6 {}", ipv6_at(v, 2));
                    match v.get(18..26) {
                        Some([b0, b1, _, _, lb, ln, fun, arg]) => write!(
                            s,
                            " endpoint-behavior {} {lb} {ln} {fun} {arg}",
                            u16::from_be_bytes([*b0, *b1])
                        ),
                        _ => Ok(()),
                    }
                }
                _ => Ok(()),
            };
        }
    }
}
