//! From a configured neighbor to what the session needs: the FSM settings (our OPEN's
//! capabilities in ExaBGP's order) and the transport (addresses, ports, TCP options).

use std::fmt;
use std::net::IpAddr;

use crate::bgp::capability::{AddPathMode, Capability, GracefulRestart, MultiSession};
use crate::config::env::Env;
use crate::config::model::{
    AddPathMode as ConfigAddPath, AsnSetting, Neighbor, TcpAo, TcpAoAlgorithm,
};
use crate::peer::Settings;

use super::endpoint::{tcp_options, Transport, CONNECT_TIMEOUT};

/// Why a configured neighbor cannot be run (yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeighborError {
    /// `local-as auto` (mirror the peer's AS) is not supported yet.
    LocalAsAuto { neighbor: String },
    /// No router-id given and none can be derived from an IPv4 local address.
    NoRouterId { neighbor: String },
    /// The MD5 password is not valid base64 while `md5-base64` says it is.
    Md5Base64 { neighbor: String },
    /// `tcp-ao` cannot be honoured (its password, or a kernel without TCP-AO): the neighbor
    /// is refused rather than run unauthenticated.
    TcpAo { neighbor: String, reason: String },
}

impl fmt::Display for NeighborError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NeighborError::LocalAsAuto { neighbor } => {
                write!(
                    f,
                    "neighbor {neighbor}: `local-as auto` is not supported yet"
                )
            }
            NeighborError::NoRouterId { neighbor } => write!(
                f,
                "neighbor {neighbor}: no router-id, and no IPv4 local-address to take it from"
            ),
            NeighborError::Md5Base64 { neighbor } => {
                write!(f, "neighbor {neighbor}: md5-password is not valid base64")
            }
            NeighborError::TcpAo { neighbor, reason } => write!(
                f,
                "neighbor {neighbor}: tcp-ao: {reason}; refusing to run this session \
                 unauthenticated"
            ),
        }
    }
}

/// The capabilities of our OPEN, in the order ExaBGP sends them: multiprotocol per family,
/// 4-octet AS, extended next-hop, add-path, graceful restart, route refresh (+ enhanced),
/// operational, extended message, hostname, software version, multisession.
pub fn capabilities(neighbor: &Neighbor, local_as: u32) -> Vec<Capability> {
    let caps = &neighbor.capabilities;
    let mut out: Vec<Capability> = neighbor
        .families
        .iter()
        .map(|f| Capability::Multiprotocol(*f))
        .collect();
    if caps.asn4 {
        out.push(Capability::FourOctetAs(local_as));
    }
    if caps.nexthop && !neighbor.nexthop.is_empty() {
        let pairs = neighbor
            .nexthop
            .iter()
            .filter(|n| neighbor.families.contains(&n.family))
            .map(|n| (n.family, n.nexthop_afi))
            .collect::<Vec<_>>();
        if !pairs.is_empty() {
            out.push(Capability::ExtendedNextHop(pairs));
        }
    }
    let mode = match caps.add_path {
        ConfigAddPath::Disabled => None,
        ConfigAddPath::Receive => Some(AddPathMode(1)),
        ConfigAddPath::Send => Some(AddPathMode(2)),
        ConfigAddPath::SendReceive => Some(AddPathMode(3)),
    };
    if let Some(mode) = mode {
        let families: Vec<_> = neighbor
            .families
            .iter()
            .filter(|f| {
                neighbor.add_path.is_empty() || neighbor.add_path.iter().any(|a| a.family == **f)
            })
            .map(|f| (*f, mode))
            .collect();
        if !families.is_empty() {
            out.push(Capability::AddPath(families));
        }
    }
    if let Some(time) = caps.graceful_restart {
        out.push(Capability::GracefulRestart(GracefulRestart {
            restart_flags: GracefulRestart::RESTART_STATE,
            restart_time: u16::try_from(time.min(4095)).unwrap_or(4095),
            families: neighbor
                .families
                .iter()
                .map(|f| (*f, GracefulRestart::FORWARDING_STATE))
                .collect(),
        }));
    }
    if caps.route_refresh {
        out.push(Capability::RouteRefresh);
        out.push(Capability::EnhancedRouteRefresh);
    }
    if caps.operational {
        out.push(Capability::Operational);
    }
    if caps.extended_message {
        out.push(Capability::ExtendedMessage);
    }
    if neighbor.host_name.is_some() || neighbor.domain_name.is_some() {
        out.push(Capability::Hostname {
            host_name: neighbor.host_name.clone().unwrap_or_default(),
            domain_name: neighbor.domain_name.clone().unwrap_or_default(),
        });
    }
    if caps.software_version {
        out.push(Capability::SoftwareVersion(software_version(
            std::env::var("exabgp_version").ok().as_deref(),
        )));
    }
    if caps.link_local_nexthop == Some(true) {
        out.push(Capability::LinkLocalNextHop);
    }
    if caps.multi_session {
        out.push(Capability::MultiSession(MultiSession {
            cisco: false,
            flags: Some(0),
            codes: vec![1],
        }));
    }
    out
}

/// The FSM settings and transport of one neighbor.
/// The software-version capability's text: `rexa/<version>`, unless the environment sets
/// ExaBGP's version override (`exabgp_version`, as ExaBGP's own test harness does): then
/// `ExaBGP/<that>`, the bytes ExaBGP itself would send, so peers and monitoring keyed on it
/// see no change.
pub fn software_version(exabgp_override: Option<&str>) -> String {
    match exabgp_override.map(str::trim).filter(|v| !v.is_empty()) {
        Some(version) => format!("ExaBGP/{version}"),
        None => format!("rexa/{}", env!("CARGO_PKG_VERSION")),
    }
}

pub fn session_settings(
    neighbor: &Neighbor,
    env: &Env,
) -> Result<(Settings, Transport), NeighborError> {
    let name = neighbor.peer_text();
    let local_as = match neighbor.local_as {
        AsnSetting::Asn(asn) => asn,
        AsnSetting::Auto => return Err(NeighborError::LocalAsAuto { neighbor: name }),
    };
    let peer_as = match neighbor.peer_as {
        AsnSetting::Asn(asn) => Some(asn),
        AsnSetting::Auto => None,
    };
    // The parser guarantees a router-id (explicit, or from an IPv4 local address).
    let router_id = neighbor.router_id;
    if router_id.is_unspecified() {
        return Err(NeighborError::NoRouterId { neighbor: name });
    }
    let mut settings = Settings::new(local_as, peer_as, router_id);
    settings.hold_time = neighbor.hold_time;
    settings.passive = neighbor.passive || env.bgp.passive;
    settings.capabilities = capabilities(neighbor, local_as);
    settings.open_wait = std::time::Duration::from_secs(env.bgp.openwait.into());
    settings.send_hold = std::time::Duration::from_secs(env.bgp.send_hold_time.into());
    settings.connect_timeout = CONNECT_TIMEOUT;
    settings.connect_attempts = if env.tcp.once { 1 } else { env.tcp.attempts };
    settings.rib = crate::rib::RibOptions {
        group_updates: neighbor.group_updates,
        manual_eor: neighbor.manual_eor,
        adj_rib_out: neighbor.adj_rib_out,
        local_link_local: neighbor
            .local_link_local
            .filter(|_| neighbor.capabilities.link_local_nexthop == Some(true)),
    };

    let md5 = neighbor.md5_key();
    if neighbor.md5_password.is_some() && md5.is_none() {
        return Err(NeighborError::Md5Base64 {
            neighbor: neighbor.peer_text(),
        });
    }
    let ao = match &neighbor.tcp_ao {
        None => None,
        Some(ao) => Some(tcp_ao_key(ao).and_then(|key| {
            crate::sys::tcp_ao::probe(neighbor.peer_address, &key)
                .map(|()| key)
                .map_err(|error| error.to_string())
        }))
        .transpose()
        .map_err(|reason| NeighborError::TcpAo {
            neighbor: neighbor.peer_text(),
            reason,
        })?,
    };
    let connect_port = if neighbor.connect != 0 {
        neighbor.connect
    } else {
        env.tcp.port
    };
    let listen_port = if neighbor.listen != 0 {
        Some(neighbor.listen)
    } else {
        Some(env.tcp.port)
    };
    let transport = Transport {
        peer: neighbor.peer_address,
        peer_prefix_len: neighbor.peer_prefix_len,
        local: neighbor.local_address,
        connect_port,
        listen_port,
        options: tcp_options(
            md5.as_deref(),
            ao,
            neighbor.outgoing_ttl,
            neighbor.incoming_ttl,
        ),
    };
    Ok((settings, transport))
}

/// The kernel's form of a configured `tcp-ao` key: its crypto algorithm name (RFC 5926's
/// two, and HMAC-SHA-256 as Linux names it), the key id, the decoded password.
pub fn tcp_ao_key(ao: &TcpAo) -> Result<crate::sys::tcp_ao::AoKey, String> {
    let algorithm = match ao.algorithm {
        TcpAoAlgorithm::HmacSha1_96 => "hmac(sha1)",
        TcpAoAlgorithm::Aes128Cmac96 => "cmac(aes128)",
        TcpAoAlgorithm::HmacSha256 => "hmac(sha256)",
    };
    let key = if ao.base64 {
        crate::config::neighbor::decode_base64(&ao.password)
            .ok_or_else(|| "the password is not valid base64".to_owned())?
    } else {
        ao.password.as_bytes().to_vec()
    };
    crate::sys::tcp_ao::AoKey::new(algorithm, ao.keyid, &key)
        .ok_or_else(|| "the password must be 1 to 80 bytes".to_owned())
}

/// The IPv4 form of an address for logs when one exists.
pub fn display_ip(address: IpAddr) -> String {
    match address {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        IpAddr::V4(v4) => v4.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_version_names_rexa_unless_exabgp_version_is_set() {
        assert_eq!(
            software_version(None),
            format!("rexa/{}", env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(software_version(Some(" ")), software_version(None));
        assert_eq!(
            software_version(Some("5.0.0-0+test")),
            "ExaBGP/5.0.0-0+test"
        );
    }

    #[test]
    fn open_capabilities_follow_exabgp_order() {
        let text = "neighbor 127.0.0.2 { router-id 10.0.0.2; local-address 127.0.0.1; \
                    local-as 65533; peer-as 65533; host-name my-host-name; \
                    domain-name my-domain-name.com; family { ipv4 unicast; } }";
        let config = crate::config::parse(text, "t.conf").expect("valid");
        let neighbor = &config.neighbors[0];
        let open = crate::bgp::open::Open::new(
            65533,
            180,
            "10.0.0.2".parse().expect("ip"),
            capabilities(neighbor, 65533),
        );
        let mut body = Vec::new();
        open.encode_body(&mut body);
        // The OPEN of ExaBGP's conf-hostname.ci, byte for byte.
        let expected = "04FFFD00B40A000002380206010400010001020641040000FFFD02020600022249200C6D792D686F73742D6E616D65126D792D646F6D61696E2D6E616D652E636F6D";
        let hex: String = body.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(hex, expected);
    }
}
