//! The MP_REACH_NLRI next-hop field in the exact form received (IPv4, IPv6, link-local,
//! VPN with RD, or opaque), so that it re-encodes byte for byte.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::RouteDistinguisher;
use crate::bgp::family::{Family, Safi};

/// The next-hop field of MP_REACH_NLRI, in the exact form received so that it re-encodes
/// byte for byte. The form follows from the length alone, whatever the family:
///
/// | length | form |
/// |---|---|
/// | 0 | none (FlowSpec and others; an error for the decoded families, checked by `MpReach`) |
/// | 4 | IPv4 |
/// | 16 | IPv6 global (or an IPv6 next-hop for IPv4 NLRI, RFC 8950) |
/// | 32 | IPv6 global + link-local (RFC 2545) |
/// | 12 | RD + IPv4 (VPNv4, RFC 4364) |
/// | 24 | RD + IPv6 (VPNv6 RFC 4659, or VPNv4 over IPv6 RFC 8950) |
/// | 48 | RD + IPv6 global + RD + IPv6 link-local |
///
/// Any other length is an error for the decoded families and is kept as `Other` bytes for
/// the families carried opaque.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NextHop {
    None,
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    Ipv6LinkLocal {
        global: Ipv6Addr,
        link_local: Ipv6Addr,
    },
    VpnIpv4 {
        rd: RouteDistinguisher,
        addr: Ipv4Addr,
    },
    VpnIpv6 {
        rd: RouteDistinguisher,
        addr: Ipv6Addr,
    },
    VpnIpv6LinkLocal {
        rd: RouteDistinguisher,
        global: Ipv6Addr,
        link_local_rd: RouteDistinguisher,
        link_local: Ipv6Addr,
    },
    /// A length matching no form above (opaque families only).
    Other(Box<[u8]>),
}

impl NextHop {
    /// Decodes a next-hop field by its length. `None` when the length fits no known form.
    pub fn decode(bytes: &[u8]) -> Option<NextHop> {
        let v4 = |b: &[u8]| -> Option<Ipv4Addr> {
            let a: [u8; 4] = b.try_into().ok()?;
            Some(Ipv4Addr::from(a))
        };
        let v6 = |b: &[u8]| -> Option<Ipv6Addr> {
            let a: [u8; 16] = b.try_into().ok()?;
            Some(Ipv6Addr::from(a))
        };
        let rd = |b: &[u8]| -> Option<RouteDistinguisher> {
            Some(RouteDistinguisher(b.try_into().ok()?))
        };
        Some(match bytes.len() {
            0 => NextHop::None,
            4 => NextHop::Ipv4(v4(bytes)?),
            16 => NextHop::Ipv6(v6(bytes)?),
            32 => NextHop::Ipv6LinkLocal {
                global: v6(bytes.get(..16)?)?,
                link_local: v6(bytes.get(16..)?)?,
            },
            12 => NextHop::VpnIpv4 {
                rd: rd(bytes.get(..8)?)?,
                addr: v4(bytes.get(8..)?)?,
            },
            24 => NextHop::VpnIpv6 {
                rd: rd(bytes.get(..8)?)?,
                addr: v6(bytes.get(8..)?)?,
            },
            48 => NextHop::VpnIpv6LinkLocal {
                rd: rd(bytes.get(..8)?)?,
                global: v6(bytes.get(8..24)?)?,
                link_local_rd: rd(bytes.get(24..32)?)?,
                link_local: v6(bytes.get(32..)?)?,
            },
            _ => return None,
        })
    }

    /// The usual next-hop for an address: 4 or 16 bytes, with a zero RD for VPN families.
    pub fn for_family(family: Family, addr: IpAddr) -> NextHop {
        let vpn = family.safi == Safi::MPLS_VPN;
        match (addr, vpn) {
            (IpAddr::V4(addr), false) => NextHop::Ipv4(addr),
            (IpAddr::V6(addr), false) => NextHop::Ipv6(addr),
            (IpAddr::V4(addr), true) => NextHop::VpnIpv4 {
                rd: RouteDistinguisher::ZERO,
                addr,
            },
            (IpAddr::V6(addr), true) => NextHop::VpnIpv6 {
                rd: RouteDistinguisher::ZERO,
                addr,
            },
        }
    }

    /// Length of the encoded field (at most 255 for `Other`, which came from a u8).
    pub fn wire_len(&self) -> usize {
        match self {
            NextHop::None => 0,
            NextHop::Ipv4(_) => 4,
            NextHop::Ipv6(_) => 16,
            NextHop::Ipv6LinkLocal { .. } => 32,
            NextHop::VpnIpv4 { .. } => 12,
            NextHop::VpnIpv6 { .. } => 24,
            NextHop::VpnIpv6LinkLocal { .. } => 48,
            NextHop::Other(bytes) => bytes.len(),
        }
    }

    /// Appends the next-hop bytes (without the length byte).
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            NextHop::None => {}
            NextHop::Ipv4(a) => out.extend_from_slice(&a.octets()),
            NextHop::Ipv6(a) => out.extend_from_slice(&a.octets()),
            NextHop::Ipv6LinkLocal { global, link_local } => {
                out.extend_from_slice(&global.octets());
                out.extend_from_slice(&link_local.octets());
            }
            NextHop::VpnIpv4 { rd, addr } => {
                out.extend_from_slice(&rd.0);
                out.extend_from_slice(&addr.octets());
            }
            NextHop::VpnIpv6 { rd, addr } => {
                out.extend_from_slice(&rd.0);
                out.extend_from_slice(&addr.octets());
            }
            NextHop::VpnIpv6LinkLocal {
                rd,
                global,
                link_local_rd,
                link_local,
            } => {
                out.extend_from_slice(&rd.0);
                out.extend_from_slice(&global.octets());
                out.extend_from_slice(&link_local_rd.0);
                out.extend_from_slice(&link_local.octets());
            }
            NextHop::Other(bytes) => out.extend_from_slice(bytes),
        }
    }

    /// The global (first) address, without any RD; `None` for no next-hop or `Other`.
    pub fn address(&self) -> Option<IpAddr> {
        Some(match self {
            NextHop::Ipv4(a) | NextHop::VpnIpv4 { addr: a, .. } => IpAddr::V4(*a),
            NextHop::Ipv6(a)
            | NextHop::VpnIpv6 { addr: a, .. }
            | NextHop::Ipv6LinkLocal { global: a, .. }
            | NextHop::VpnIpv6LinkLocal { global: a, .. } => IpAddr::V6(*a),
            NextHop::None | NextHop::Other(_) => return None,
        })
    }

    /// The link-local address of a 32- or 48-byte next-hop.
    pub fn link_local(&self) -> Option<Ipv6Addr> {
        match self {
            NextHop::Ipv6LinkLocal { link_local, .. }
            | NextHop::VpnIpv6LinkLocal { link_local, .. } => Some(*link_local),
            _ => None,
        }
    }
}

impl fmt::Display for NextHop {
    /// The global address as ExaBGP keys announcements by it: without any RD, IPv4-mapped
    /// IPv6 as `::ffff:a.b.c.d`, `no-nexthop` when empty, hex for `Other`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.address(), self) {
            (Some(addr), _) => write!(f, "{addr}"),
            (None, NextHop::Other(bytes)) => {
                f.write_str("0x")?;
                bytes.iter().try_for_each(|b| write!(f, "{b:02X}"))
            }
            (None, _) => f.write_str("no-nexthop"),
        }
    }
}
