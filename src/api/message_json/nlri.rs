//! NLRI as ExaBGP 5's JSON objects: every family's route (`nlri`, `rd`, `label`, FlowSpec
//! rules, VPLS, MUP, MVPN, EVPN, opaque bytes), and `rexa decode --nlri`'s lines.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use crate::api::json::JsonWriter;
use crate::bgp::flow::FlowNlri;
use crate::bgp::nlri::{Nlri, Prefix};

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
pub(super) fn write_prefix(w: &mut JsonWriter<'_>, prefix: Prefix) {
    match prefix.addr() {
        IpAddr::V4(address) => w.ipv4(address),
        IpAddr::V6(address) => w.display(address),
    };
    w.raw("/").u32(prefix.len().into());
}

/// NLRI of a family rexa does not decode yet, as one object holding the raw bytes.
/// An EVPN route as ExaBGP shows it: code, parsed, raw, then the fields of its type.
pub(super) fn write_evpn(w: &mut JsonWriter<'_>, route: &crate::bgp::evpn::EvpnNlri) {
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

pub(super) fn write_opaque_nlri(w: &mut JsonWriter<'_>, bytes: &[u8]) {
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
