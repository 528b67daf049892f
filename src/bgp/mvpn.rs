//! MVPN NLRI (RFC 6514, `ipv4 mcast-vpn` / `ipv6 mcast-vpn`, SAFI 5): every route type kept
//! as its wire bytes (Copy, no heap), the three ExaBGP builds and shows broken into fields.
//!
//! ```text
//! route type: 1 | length: 1 | route type specific: length
//! Source Active A-D (5): RD: 8 | source length (bits): 1 | source | group length: 1 | group
//! Shared Tree Join  (6): RD: 8 | source AS: 4 | RP length: 1 | RP | group length: 1 | group
//! Source Tree Join  (7): RD: 8 | source AS: 4 | source length: 1 | source | group length: 1 | group
//! ```
//!
//! Route-type specific parts longer than [`MVPN_MAX_BODY`] bytes are refused rather than
//! stored.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::family::Family;
use super::nlri::{NlriError, RouteDistinguisher};

/// The longest route-type specific part kept (types 1 to 7 with IPv6 addresses fit).
pub const MVPN_MAX_BODY: usize = 64;

/// Route type codes.
pub const MVPN_SOURCE_AD: u8 = 5;
pub const MVPN_SHARED_JOIN: u8 = 6;
pub const MVPN_SOURCE_JOIN: u8 = 7;

/// One MVPN route as carried on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MvpnNlri {
    pub ipv6: bool,
    pub code: u8,
    len: u8,
    body: [u8; MVPN_MAX_BODY],
}

/// An MVPN route broken into its fields (for building and display).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MvpnRoute {
    SourceAd {
        rd: RouteDistinguisher,
        source: IpAddr,
        group: IpAddr,
    },
    SharedJoin {
        rd: RouteDistinguisher,
        source_as: u32,
        rp: IpAddr,
        group: IpAddr,
    },
    SourceJoin {
        rd: RouteDistinguisher,
        source_as: u32,
        source: IpAddr,
        group: IpAddr,
    },
    /// A route type ExaBGP does not decode, or one whose fields do not parse: raw bytes only.
    Other,
}

impl MvpnRoute {
    /// ExaBGP's name of the route type (`name` in JSON).
    pub fn name(code: u8) -> &'static str {
        match code {
            MVPN_SOURCE_AD => "Source Active A-D Route",
            MVPN_SHARED_JOIN => "C-Multicast Shared Tree Join route",
            MVPN_SOURCE_JOIN => "C-Multicast Source Tree Join route",
            _ => "unknown",
        }
    }
}

/// Reads a length-in-bits prefixed address (32 or 128 bits) at `at`.
fn read_address(body: &[u8], at: usize) -> Option<(IpAddr, usize)> {
    let bits = *body.get(at)?;
    match bits {
        32 => {
            let b = body.get(at + 1..at + 5)?;
            Some((IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3])), at + 5))
        }
        128 => {
            let mut full = [0u8; 16];
            full.copy_from_slice(body.get(at + 1..at + 17)?);
            Some((IpAddr::V6(Ipv6Addr::from(full)), at + 17))
        }
        _ => None,
    }
}

fn push_address(out: &mut Vec<u8>, address: IpAddr) {
    match address {
        IpAddr::V4(a) => {
            out.push(32);
            out.extend_from_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            out.push(128);
            out.extend_from_slice(&a.octets());
        }
    }
}

impl MvpnNlri {
    /// A route from its type and route-type specific bytes; `None` when they are too long.
    pub fn from_body(ipv6: bool, code: u8, bytes: &[u8]) -> Option<MvpnNlri> {
        if bytes.len() > MVPN_MAX_BODY {
            return None;
        }
        let mut body = [0u8; MVPN_MAX_BODY];
        body.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(MvpnNlri {
            ipv6,
            code,
            len: bytes.len() as u8,
            body,
        })
    }

    /// The route-type specific bytes.
    pub fn body(&self) -> &[u8] {
        &self.body[..usize::from(self.len).min(MVPN_MAX_BODY)]
    }

    pub fn encoded_len(&self) -> usize {
        2 + self.body().len()
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.code);
        out.push(self.len);
        out.extend_from_slice(self.body());
    }

    /// Decodes one route from the front of `bytes`; returns it and the bytes used.
    pub fn decode(bytes: &[u8], family: Family) -> Result<(MvpnNlri, usize), NlriError> {
        let truncated = NlriError::Truncated { family };
        let (&code, rest) = bytes.split_first().ok_or(truncated.clone())?;
        let (&len, rest) = rest.split_first().ok_or(truncated.clone())?;
        let body = rest.get(..usize::from(len)).ok_or(truncated)?;
        let ipv6 = family.afi == super::family::Afi::IPV6;
        let route =
            MvpnNlri::from_body(ipv6, code, body).ok_or(NlriError::MvpnLength { family, len })?;
        Ok((route, 2 + usize::from(len)))
    }

    /// The route's fields, for the types ExaBGP decodes.
    pub fn fields(&self) -> MvpnRoute {
        self.parse().unwrap_or(MvpnRoute::Other)
    }

    fn parse(&self) -> Option<MvpnRoute> {
        let body = self.body();
        let mut rd = [0u8; 8];
        rd.copy_from_slice(body.get(..8)?);
        let rd = RouteDistinguisher(rd);
        let route = match self.code {
            MVPN_SOURCE_AD => {
                let (source, at) = read_address(body, 8)?;
                let (group, at) = read_address(body, at)?;
                (at == body.len()).then_some(MvpnRoute::SourceAd { rd, source, group })?
            }
            MVPN_SHARED_JOIN | MVPN_SOURCE_JOIN => {
                let asn = body.get(8..12)?;
                let source_as = u32::from_be_bytes([asn[0], asn[1], asn[2], asn[3]]);
                let (source, at) = read_address(body, 12)?;
                let (group, at) = read_address(body, at)?;
                if at != body.len() {
                    return None;
                }
                if self.code == MVPN_SHARED_JOIN {
                    MvpnRoute::SharedJoin {
                        rd,
                        source_as,
                        rp: source,
                        group,
                    }
                } else {
                    MvpnRoute::SourceJoin {
                        rd,
                        source_as,
                        source,
                        group,
                    }
                }
            }
            _ => return None,
        };
        Some(route)
    }

    /// The wire form of `route` (`None` for [`MvpnRoute::Other`]).
    pub fn build(ipv6: bool, route: &MvpnRoute) -> Option<MvpnNlri> {
        let mut body = Vec::with_capacity(MVPN_MAX_BODY);
        let code = match *route {
            MvpnRoute::SourceAd { rd, source, group } => {
                body.extend_from_slice(&rd.0);
                push_address(&mut body, source);
                push_address(&mut body, group);
                MVPN_SOURCE_AD
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
                body.extend_from_slice(&rd.0);
                body.extend_from_slice(&source_as.to_be_bytes());
                push_address(&mut body, source);
                push_address(&mut body, group);
                if matches!(route, MvpnRoute::SharedJoin { .. }) {
                    MVPN_SHARED_JOIN
                } else {
                    MVPN_SOURCE_JOIN
                }
            }
            MvpnRoute::Other => return None,
        };
        MvpnNlri::from_body(ipv6, code, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::family::{Afi, Safi};
    use crate::bgp::wire::hex;

    #[test]
    fn conformance_routes_round_trip() {
        // encoding/conf-mvpn.ci, as ExaBGP 5.0.15 sends them.
        let family = Family::new(Afi::IPV4, Safi::MCAST_VPN);
        let wire = hex("06160000FDE80001869F0000FDE8200A63C70120EFFBFFE4");
        let (route, used) = MvpnNlri::decode(&wire, family).unwrap();
        assert_eq!(used, wire.len());
        let fields = route.fields();
        assert_eq!(
            fields,
            MvpnRoute::SharedJoin {
                rd: RouteDistinguisher([0, 0, 0xFD, 0xE8, 0, 1, 0x86, 0x9F]),
                source_as: 65000,
                rp: "10.99.199.1".parse().unwrap(),
                group: "239.251.255.228".parse().unwrap(),
            }
        );
        assert_eq!(MvpnNlri::build(false, &fields), Some(route));
        let mut out = Vec::new();
        route.encode(&mut out);
        assert_eq!(out, wire);

        let family6 = Family::new(Afi::IPV6, Safi::MCAST_VPN);
        let wire6 = hex(
            "052A0000FDE80001869F80FD12000000000000000000000000000480FF0E0000000000000000000000000001",
        );
        let (route6, _) = MvpnNlri::decode(&wire6, family6).unwrap();
        assert!(matches!(route6.fields(), MvpnRoute::SourceAd { .. }));
        let mut out = Vec::new();
        route6.encode(&mut out);
        assert_eq!(out, wire6);
    }

    #[test]
    fn malformed_routes_are_errors_or_raw() {
        let family = Family::new(Afi::IPV4, Safi::MCAST_VPN);
        assert!(MvpnNlri::decode(&[5], family).is_err());
        assert!(MvpnNlri::decode(&[5, 3, 0], family).is_err());
        let long = [vec![5, 200], vec![0; 200]].concat();
        assert!(MvpnNlri::decode(&long, family).is_err());
        let (odd, _) = MvpnNlri::decode(&[5, 2, 1, 2], family).unwrap();
        assert_eq!(odd.fields(), MvpnRoute::Other);
    }
}
