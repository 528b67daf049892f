//! EVPN NLRI (l2vpn evpn, RFC 7432 route types 1-4 and RFC 9136 type 5): each route kept
//! as its received bytes, with a borrowed view of its fields for JSON and text.
//!
//! ```text
//! route: type: 1 | length: 1 | value (length bytes)
//! 1 Ethernet A-D:        RD 8 | ESI 10 | ethernet-tag 4 | label 3
//! 2 MAC/IP:              RD 8 | ESI 10 | ethernet-tag 4 | MAC bits 1 | MAC 6 |
//!                        IP bits 1 | IP 0/4/16 | label 3 | [label 3]
//! 3 Inclusive Multicast: RD 8 | ethernet-tag 4 | IP bits 1 | IP 4/16
//! 4 Ethernet Segment:    RD 8 | ESI 10 | IP bits 1 | IP 4/16
//! 5 IP Prefix:           RD 8 | ESI 10 | ethernet-tag 4 | prefix bits 1 | prefix 4/16 |
//!                        gateway 4/16 | label 3
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::family::Family;
use super::nlri::{NlriError, RouteDistinguisher};
use super::wire::Reader;

/// One EVPN route: its type, length and value bytes as received (or built).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EvpnNlri {
    bytes: Vec<u8>,
}

/// The fields of an EVPN route of a known type, borrowed from its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvpnRoute {
    EthernetAutoDiscovery {
        rd: RouteDistinguisher,
        esi: [u8; 10],
        ethernet_tag: u32,
        label: Option<u32>,
    },
    MacIp {
        rd: RouteDistinguisher,
        esi: [u8; 10],
        ethernet_tag: u32,
        mac: [u8; 6],
        label: Option<u32>,
        ip: Option<IpAddr>,
    },
    InclusiveMulticast {
        rd: RouteDistinguisher,
        ethernet_tag: u32,
        ip: Option<IpAddr>,
    },
    EthernetSegment {
        rd: RouteDistinguisher,
        esi: [u8; 10],
        ip: Option<IpAddr>,
    },
    IpPrefix {
        rd: RouteDistinguisher,
        esi: [u8; 10],
        ethernet_tag: u32,
        label: Option<u32>,
        prefix_len: u8,
        prefix: IpAddr,
        gateway: IpAddr,
    },
}

impl EvpnRoute {
    /// ExaBGP's name of the route type.
    pub fn name(&self) -> &'static str {
        match self {
            EvpnRoute::EthernetAutoDiscovery { .. } => "Ethernet Auto-Discovery",
            EvpnRoute::MacIp { .. } => "MAC/IP advertisement",
            EvpnRoute::InclusiveMulticast { .. } => "Inclusive Multicast Ethernet Tag",
            EvpnRoute::EthernetSegment { .. } => "Ethernet Segment",
            EvpnRoute::IpPrefix { .. } => "IP Prefix Advertisement",
        }
    }
}

impl EvpnNlri {
    /// Decodes every route of an NLRI field; a route running past the field is an error.
    pub fn decode_all(bytes: &[u8], family: Family) -> Result<Vec<EvpnNlri>, NlriError> {
        let mut routes = Vec::new();
        let mut rest = bytes;
        while let [_, len, ..] = rest {
            let end = 2 + usize::from(*len);
            let route = rest.get(..end).ok_or(NlriError::Truncated { family })?;
            routes.push(EvpnNlri {
                bytes: route.to_vec(),
            });
            rest = rest.get(end..).unwrap_or(&[]);
        }
        if rest.is_empty() {
            Ok(routes)
        } else {
            Err(NlriError::Truncated { family })
        }
    }

    /// The route type code.
    pub fn code(&self) -> u8 {
        self.bytes.first().copied().unwrap_or(0)
    }

    /// The whole route: type, length and value.
    pub fn raw(&self) -> &[u8] {
        &self.bytes
    }

    /// Appends the route's wire bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
    }

    /// The route's fields, or None for an unknown type or a value that does not fit it.
    pub fn route(&self) -> Option<EvpnRoute> {
        let value = self.bytes.get(2..)?;
        let mut r = Reader::new(value);
        let rd = RouteDistinguisher(r.array::<8>()?);
        let route = match self.code() {
            1 => {
                let esi = r.array::<10>()?;
                let ethernet_tag = r.u32()?;
                let label = optional_label(&mut r)?;
                EvpnRoute::EthernetAutoDiscovery {
                    rd,
                    esi,
                    ethernet_tag,
                    label,
                }
            }
            2 => {
                let esi = r.array::<10>()?;
                let ethernet_tag = r.u32()?;
                if r.u8()? != 48 {
                    return None;
                }
                let mac = r.array::<6>()?;
                let ip = ip_of_bits(&mut r, true)?;
                let label = Some(label_of(r.array::<3>()?));
                // A second label (L3 VNI) may follow; ExaBGP shows only the first.
                if r.remaining() == 3 {
                    r.array::<3>()?;
                }
                EvpnRoute::MacIp {
                    rd,
                    esi,
                    ethernet_tag,
                    mac,
                    label,
                    ip,
                }
            }
            3 => {
                let ethernet_tag = r.u32()?;
                let ip = ip_of_bits(&mut r, false)?;
                EvpnRoute::InclusiveMulticast {
                    rd,
                    ethernet_tag,
                    ip,
                }
            }
            4 => {
                let esi = r.array::<10>()?;
                let ip = ip_of_bits(&mut r, false)?;
                EvpnRoute::EthernetSegment { rd, esi, ip }
            }
            5 => {
                let esi = r.array::<10>()?;
                let ethernet_tag = r.u32()?;
                let prefix_len = r.u8()?;
                let (prefix, gateway) = match value.len() {
                    34 => (
                        IpAddr::V4(Ipv4Addr::from(r.array::<4>()?)),
                        IpAddr::V4(Ipv4Addr::from(r.array::<4>()?)),
                    ),
                    58 => (
                        IpAddr::V6(Ipv6Addr::from(r.array::<16>()?)),
                        IpAddr::V6(Ipv6Addr::from(r.array::<16>()?)),
                    ),
                    _ => return None,
                };
                let label = Some(label_of(r.array::<3>()?));
                EvpnRoute::IpPrefix {
                    rd,
                    esi,
                    ethernet_tag,
                    label,
                    prefix_len,
                    prefix,
                    gateway,
                }
            }
            _ => return None,
        };
        (r.remaining() == 0).then_some(route)
    }
}

/// A 3-byte label field as the raw 24-bit value.
fn label_of(bytes: [u8; 3]) -> u32 {
    u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]])
}

/// The label of a type 1 route: absent when the value stops before it.
fn optional_label(r: &mut Reader<'_>) -> Option<Option<u32>> {
    if r.remaining() == 0 {
        return Some(None);
    }
    Some(Some(label_of(r.array::<3>()?)))
}

/// An IP length in bits and the address: none when `allow_empty` and the length is 0.
fn ip_of_bits(r: &mut Reader<'_>, allow_empty: bool) -> Option<Option<IpAddr>> {
    match r.u8()? {
        0 if allow_empty => Some(None),
        32 => Some(Some(IpAddr::V4(Ipv4Addr::from(r.array::<4>()?)))),
        128 => Some(Some(IpAddr::V6(Ipv6Addr::from(r.array::<16>()?)))),
        _ => None,
    }
}

/// ExaBGP's ESI text: `-` when all zero, else colon-separated uppercase hex pairs.
pub fn esi_text(esi: &[u8; 10]) -> String {
    if esi.iter().all(|b| *b == 0) {
        return "-".to_owned();
    }
    let mut text = String::with_capacity(29);
    for (index, byte) in esi.iter().enumerate() {
        if index > 0 {
            text.push(':');
        }
        text.push_str(&format!("{byte:02X}"));
    }
    text
}

/// ExaBGP's MAC text: colon-separated uppercase hex pairs.
pub fn mac_text(mac: &[u8; 6]) -> String {
    let mut text = String::with_capacity(17);
    for (index, byte) in mac.iter().enumerate() {
        if index > 0 {
            text.push(':');
        }
        text.push_str(&format!("{byte:02X}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::wire::hex;

    #[test]
    fn mac_ip_route_with_ipv4() {
        let bytes =
            hex("02250001252C372E0001000000000000000000000000051530E88088308BE9200A22100A000000");
        let routes = EvpnNlri::decode_all(&bytes, Family::L2VPN_EVPN).unwrap();
        assert_eq!(routes.len(), 1);
        let Some(EvpnRoute::MacIp {
            rd,
            esi,
            ethernet_tag,
            mac,
            label,
            ip,
        }) = routes[0].route()
        else {
            panic!("not a MAC/IP route");
        };
        assert_eq!(rd.to_string(), "37.44.55.46:1");
        assert_eq!(esi_text(&esi), "-");
        assert_eq!(ethernet_tag, 1301);
        assert_eq!(mac_text(&mac), "E8:80:88:30:8B:E9");
        assert_eq!(label, Some(0));
        assert_eq!(ip, Some("10.34.16.10".parse().unwrap()));
        let mut out = Vec::new();
        routes[0].encode(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn unknown_type_is_kept_unparsed() {
        let routes = EvpnNlri::decode_all(&[9, 3, 1, 2, 3], Family::L2VPN_EVPN).unwrap();
        assert_eq!(routes[0].code(), 9);
        assert_eq!(routes[0].route(), None);
    }

    #[test]
    fn truncated_route_is_an_error() {
        for bytes in [&[1u8, 5, 0, 0][..], &[1u8][..]] {
            assert_eq!(
                EvpnNlri::decode_all(bytes, Family::L2VPN_EVPN),
                Err(NlriError::Truncated {
                    family: Family::L2VPN_EVPN
                })
            );
        }
    }

    #[test]
    fn ip_prefix_route() {
        let bytes = hex("052200010102030400050001020304050607080900000064180A0908000A0000FE000321");
        let routes = EvpnNlri::decode_all(&bytes, Family::L2VPN_EVPN).unwrap();
        assert!(matches!(
            routes[0].route(),
            Some(EvpnRoute::IpPrefix {
                prefix_len: 24,
                label: Some(0x321),
                ..
            })
        ));
    }
}
