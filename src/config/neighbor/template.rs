//! Templates and the finished neighbor (config.md §10): a template merged onto a neighbor
//! draft (the template's scalars win, lists append), then defaults and post-parse checks.

use std::net::IpAddr;

use crate::bgp::family::{Afi, Family};

use super::*;
use crate::config::error::{ConfigError, ErrorKind, Location, WarningKind};

/// Applies a template onto a neighbor draft: the template's scalars replace the
/// neighbor's (ExaBGP's rule), its lists are appended.
pub fn merge_template(
    ctx: &mut Ctx,
    draft: &mut Draft,
    template: &Draft,
    name: &str,
    at: &Location,
) {
    macro_rules! scalar {
        ($($field:ident).+, $kw:expr) => {
            if template.$($field).+.is_some() {
                if draft.$($field).+.is_some() && draft.$($field).+ != template.$($field).+ {
                    ctx.warn(at.clone(), WarningKind::TemplateOverride { keyword: $kw, template: name.to_string() });
                }
                draft.$($field).+ = template.$($field).+.clone();
            }
        };
    }
    scalar!(description, "description");
    scalar!(router_id, "router-id");
    scalar!(local_address, "local-address");
    scalar!(local_link_local, "local-link-local");
    scalar!(local_as, "local-as");
    scalar!(peer_as, "peer-as");
    scalar!(hold_time, "hold-time");
    scalar!(passive, "passive");
    scalar!(listen, "listen");
    scalar!(connect, "connect");
    scalar!(source_interface, "source-interface");
    scalar!(outgoing_ttl, "outgoing-ttl");
    scalar!(incoming_ttl, "incoming-ttl");
    scalar!(md5_password, "md5-password");
    scalar!(md5_base64, "md5-base64");
    scalar!(md5_ip, "md5-ip");
    scalar!(tcp_ao, "tcp-ao");
    scalar!(group_updates, "group-updates");
    scalar!(auto_flush, "auto-flush");
    scalar!(adj_rib_in, "adj-rib-in");
    scalar!(adj_rib_out, "adj-rib-out");
    scalar!(manual_eor, "manual-eor");
    scalar!(host_name, "host-name");
    scalar!(domain_name, "domain-name");
    scalar!(rate_limit, "rate-limit");
    scalar!(cap.asn4, "asn4");
    scalar!(cap.route_refresh, "route-refresh");
    scalar!(cap.graceful_restart, "graceful-restart");
    scalar!(cap.add_path, "add-path");
    scalar!(cap.multi_session, "multi-session");
    scalar!(cap.operational, "operational");
    scalar!(cap.aigp, "aigp");
    scalar!(cap.extended_message, "extended-message");
    scalar!(cap.nexthop, "nexthop");
    scalar!(cap.software_version, "software-version");
    scalar!(cap.link_local_nexthop, "link-local-nexthop");
    scalar!(cap.link_local_prefer, "link-local-prefer");
    for family in &template.families {
        if !draft.families.contains(family) {
            draft.families.push(*family);
        }
    }
    draft.family_all |= template.family_all;
    draft.family_block |= template.family_block;
    for entry in &template.add_path {
        if !draft.add_path.iter().any(|a| a.family == entry.family) {
            draft.add_path.push(*entry);
        }
    }
    draft.add_path_block |= template.add_path_block;
    for entry in &template.nexthop {
        if !draft.nexthop.contains(entry) {
            draft.nexthop.push(*entry);
        }
    }
    draft.nexthop_block |= template.nexthop_block;
    draft.api.extend(template.api.iter().cloned());
    draft.routes.extend(template.routes.iter().cloned());
    draft
        .operational
        .extend(template.operational.iter().cloned());
}

/// Standard base64 (with `=` padding) to bytes; `None` when invalid.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    let trimmed = text.trim_end_matches('=');
    if text.len() % 4 != 0 {
        return None;
    }
    for c in trimmed.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// Applies defaults and the checks of config.md §3.3 to a merged draft.
pub fn finish(
    draft: Draft,
    peer_address: IpAddr,
    peer_prefix_len: u8,
    inherited: Vec<String>,
    location: Location,
    assume_passive: bool,
) -> Result<Neighbor, ConfigError> {
    let err = |kind| ConfigError::new(location.clone(), kind);
    let mut missing = Vec::new();
    if draft.local_as.is_none() {
        missing.push("local-as");
    }
    if draft.peer_as.is_none() {
        missing.push("peer-as");
    }
    let (Some(local_as), Some(peer_as)) = (draft.local_as, draft.peer_as) else {
        return Err(err(ErrorKind::Incomplete {
            what: "neighbor",
            missing,
        }));
    };
    let local_address = draft.local_address.flatten();
    if let Some(local) = local_address {
        if local.is_ipv4() != peer_address.is_ipv4() {
            return Err(err(ErrorKind::AddressFamilyMismatch {
                local: local.to_string(),
                peer: peer_address.to_string(),
            }));
        }
    }
    let Some(router_id) = draft.router_id.or(match local_address {
        Some(IpAddr::V4(v4)) => Some(v4),
        _ => None,
    }) else {
        return Err(err(ErrorKind::Incomplete {
            what: "neighbor (no IPv4 local-address to take it from)",
            missing: vec!["router-id"],
        }));
    };
    let listen = draft.listen.unwrap_or(0);
    if listen != 0 && local_address.is_none() {
        return Err(err(ErrorKind::Incomplete {
            what: "neighbor (listen is set)",
            missing: vec!["local-address"],
        }));
    }
    let passive = draft.passive.unwrap_or(false);
    let max_len = if peer_address.is_ipv4() { 32 } else { 128 };
    if peer_prefix_len < max_len && !passive && !assume_passive {
        return Err(err(ErrorKind::RangeWithoutPassive {
            peer: format!("{peer_address}/{peer_prefix_len}"),
        }));
    }
    let md5_base64 = draft.md5_base64.unwrap_or(Some(false));
    if let Some(password) = &draft.md5_password {
        if draft.tcp_ao.is_some() {
            return Err(err(ErrorKind::Conflict {
                first: "md5-password",
                second: "tcp-ao",
            }));
        }
        let decoded_len = if md5_base64 == Some(true) {
            match decode_base64(password) {
                Some(bytes) => bytes.len(),
                None => return Err(err(ErrorKind::InvalidPassword {
                    keyword: "md5-password",
                    reason:
                        "found text that is not base64, expected base64 because md5-base64 is set",
                })),
            }
        } else {
            password.len()
        };
        if decoded_len > 80 {
            return Err(err(ErrorKind::InvalidPassword {
                keyword: "md5-password",
                reason: "found more than 80 characters, expected at most 80",
            }));
        }
    }
    let hold_time = draft.hold_time.unwrap_or(180);
    let cap = &draft.cap;
    let capabilities = Capabilities {
        asn4: cap.asn4.unwrap_or(true),
        route_refresh: cap.route_refresh.unwrap_or(false),
        graceful_restart: cap.graceful_restart.flatten().map(|t| {
            if t == 0 {
                u32::from(hold_time)
            } else {
                t
            }
        }),
        add_path: cap.add_path.unwrap_or_default(),
        multi_session: cap.multi_session.unwrap_or(false),
        operational: cap.operational.unwrap_or(false),
        aigp: cap.aigp.unwrap_or(false),
        extended_message: cap.extended_message.unwrap_or(true),
        nexthop: cap.nexthop.unwrap_or(draft.nexthop_block),
        software_version: cap.software_version.unwrap_or(false),
        link_local_nexthop: cap.link_local_nexthop,
        link_local_prefer: cap.link_local_prefer.unwrap_or(false),
    };
    let families_all = draft.family_all || !draft.family_block;
    let mut families = if families_all {
        default_families()
    } else {
        draft.families.clone()
    };
    if families_all {
        for f in &draft.families {
            if !families.contains(f) {
                families.push(*f);
            }
        }
    }
    // Routes: family configured, next-hop present, next-hop self usable.
    for route in &draft.routes {
        let family = route.family();
        if family != Family::IPV4_UNICAST && !families.contains(&family) {
            return Err(ConfigError::new(
                route.location.clone(),
                ErrorKind::RouteFamilyNotConfigured {
                    family: family.to_string(),
                    route: route_text(route),
                },
            ));
        }
        if route.is_prefix() {
            if route.attributes.next_hop.is_none() && !route.control.withdraw {
                return Err(ConfigError::new(
                    route.location.clone(),
                    ErrorKind::IncompleteRoute {
                        route: route_text(route),
                        missing: "next-hop (write `next-hop <ip>` or `next-hop self`)",
                    },
                ));
            }
            if route.attributes.next_hop == Some(NextHop::SelfAddress)
                && family.afi == Afi::IPV6
                && peer_address.is_ipv4()
            {
                return Err(ConfigError::new(
                    route.location.clone(),
                    ErrorKind::NextHopSelfFamily {
                        route: "ipv6".into(),
                        session: "ipv4".into(),
                    },
                ));
            }
        }
    }
    Ok(Neighbor {
        peer_address,
        peer_prefix_len,
        description: draft.description.unwrap_or_default(),
        router_id,
        local_address,
        local_link_local: draft.local_link_local,
        local_as,
        peer_as,
        hold_time,
        passive,
        listen,
        connect: draft.connect.unwrap_or(0),
        source_interface: draft.source_interface,
        outgoing_ttl: draft.outgoing_ttl.flatten(),
        incoming_ttl: draft.incoming_ttl.flatten(),
        md5_password: draft.md5_password,
        md5_base64,
        md5_ip: draft.md5_ip,
        tcp_ao: draft.tcp_ao,
        group_updates: draft.group_updates.unwrap_or(true),
        auto_flush: draft.auto_flush.unwrap_or(true),
        adj_rib_in: draft.adj_rib_in.unwrap_or(true),
        adj_rib_out: draft.adj_rib_out.unwrap_or(true) || capabilities.route_refresh,
        manual_eor: draft.manual_eor.unwrap_or(false),
        host_name: draft.host_name,
        domain_name: draft.domain_name,
        rate_limit: draft.rate_limit.unwrap_or(0),
        families,
        families_all,
        capabilities,
        add_path: draft.add_path,
        nexthop: draft.nexthop,
        api: draft.api,
        routes: draft.routes,
        operational: draft.operational,
        inherited,
        location,
    })
}
