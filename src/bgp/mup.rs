//! MUP NLRI (draft-mpmz-bess-mup-safi, `ipv4 mup` / `ipv6 mup`, SAFI 85): the route types
//! ExaBGP knows, checked as ExaBGP checks them, kept as their wire bytes (Copy, no heap).
//!
//! ```text
//! architecture type: 1 | route type: 2 | length: 1 | route type specific: length
//! ISD  (1): RD: 8 | prefix length: 1 | prefix: ceil(len/8)
//! DSD  (2): RD: 8 | address: 4 or 16
//! T1ST (3): RD: 8 | prefix length: 1 | prefix | TEID: 4 | QFI: 1 | endpoint length: 1 |
//!           endpoint | [source length: 1 | source]
//! T2ST (4): RD: 8 | endpoint length (address + TEID bits): 1 | endpoint | TEID: ceil(bits/8)
//! ```
//!
//! Route-type specific parts longer than [`MUP_MAX_BODY`] bytes (no known type comes near)
//! are refused rather than stored.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::family::Family;
use super::nlri::{NlriError, RouteDistinguisher};

/// The longest route-type specific part kept (an IPv6 T1ST with a source is 64 bytes).
pub const MUP_MAX_BODY: usize = 64;

/// The 3GPP 5G architecture type, the only one defined.
pub const MUP_ARCH_3GPP_5G: u8 = 1;

/// Route type codes.
pub const MUP_ISD: u16 = 1;
pub const MUP_DSD: u16 = 2;
pub const MUP_T1ST: u16 = 3;
pub const MUP_T2ST: u16 = 4;

/// One MUP route as carried on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MupNlri {
    pub ipv6: bool,
    pub arch: u8,
    pub code: u16,
    len: u8,
    body: [u8; MUP_MAX_BODY],
}

/// A MUP route broken into its fields (for display).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MupRoute {
    Isd {
        rd: RouteDistinguisher,
        prefix_len: u8,
        prefix: IpAddr,
    },
    Dsd {
        rd: RouteDistinguisher,
        address: IpAddr,
    },
    T1st {
        rd: RouteDistinguisher,
        prefix_len: u8,
        prefix: IpAddr,
        teid: u32,
        qfi: u8,
        endpoint_len: u8,
        endpoint: IpAddr,
        /// Length in bits (0 without a source) and address.
        source: Option<(u8, IpAddr)>,
    },
    T2st {
        rd: RouteDistinguisher,
        endpoint_len: u8,
        endpoint: IpAddr,
        teid: u32,
    },
    /// An architecture or route type ExaBGP does not know: only the raw bytes are shown.
    Other,
}

/// An address of `ipv6`'s size from up to 16 bytes, zero-padded.
fn address_from(bytes: &[u8], ipv6: bool) -> IpAddr {
    let mut full = [0u8; 16];
    let n = bytes.len().min(if ipv6 { 16 } else { 4 });
    full[..n].copy_from_slice(&bytes[..n]);
    if ipv6 {
        IpAddr::V6(Ipv6Addr::from(full))
    } else {
        IpAddr::V4(Ipv4Addr::new(full[0], full[1], full[2], full[3]))
    }
}

fn address_bytes(address: &IpAddr) -> ([u8; 16], usize) {
    let mut out = [0u8; 16];
    match address {
        IpAddr::V4(a) => {
            out[..4].copy_from_slice(&a.octets());
            (out, 4)
        }
        IpAddr::V6(a) => (a.octets(), 16),
    }
}

/// A full address of exactly 4 or 16 bytes.
fn exact_address(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(address_from(bytes, false)),
        16 => Some(address_from(bytes, true)),
        _ => None,
    }
}

fn rd_of(body: &[u8]) -> RouteDistinguisher {
    let mut rd = [0u8; 8];
    rd.copy_from_slice(&body[..8]);
    RouteDistinguisher(rd)
}

impl MupNlri {
    /// A route from its route-type specific bytes; `None` when they are longer than
    /// [`MUP_MAX_BODY`].
    pub fn from_body(ipv6: bool, arch: u8, code: u16, bytes: &[u8]) -> Option<MupNlri> {
        let mut body = [0u8; MUP_MAX_BODY];
        body.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(MupNlri {
            ipv6,
            arch,
            code,
            len: u8::try_from(bytes.len()).ok()?,
            body,
        })
    }

    /// The route-type specific bytes.
    pub fn body(&self) -> &[u8] {
        &self.body[..usize::from(self.len)]
    }

    /// Bytes [`MupNlri::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        4 + usize::from(self.len)
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(self.arch);
        out.extend_from_slice(&self.code.to_be_bytes());
        out.push(self.len);
        out.extend_from_slice(self.body());
    }

    /// Decodes one route from the front of `bytes`; returns it and the bytes consumed.
    pub fn decode(bytes: &[u8], family: Family) -> Result<(MupNlri, usize), NlriError> {
        let truncated = NlriError::Truncated { family };
        let head = bytes.get(..4).ok_or(truncated.clone())?;
        let (arch, code, len) = (head[0], u16::from_be_bytes([head[1], head[2]]), head[3]);
        let body = bytes.get(4..4 + usize::from(len)).ok_or(truncated)?;
        let ipv6 = family.afi == super::family::Afi::IPV6;
        let route = MupNlri::from_body(ipv6, arch, code, body)
            .ok_or(NlriError::MupLength { family, len })?;
        if route.fields().is_none() {
            return Err(NlriError::MupRoute { family, code });
        }
        Ok((route, 4 + usize::from(len)))
    }

    /// The route's fields, checked as ExaBGP checks them; `None` when a known route type
    /// is malformed.
    pub fn fields(&self) -> Option<MupRoute> {
        if self.arch != MUP_ARCH_3GPP_5G {
            return Some(MupRoute::Other);
        }
        let body = self.body();
        let ipv6 = self.ipv6;
        let address_bits: u8 = if ipv6 { 128 } else { 32 };
        let address_size = if ipv6 { 16 } else { 4 };
        match self.code {
            MUP_ISD => {
                let prefix_len = *body.get(8)?;
                if prefix_len > address_bits {
                    return None;
                }
                let prefix = body.get(9..)?;
                if prefix.len() != usize::from(prefix_len).div_ceil(8) {
                    return None;
                }
                Some(MupRoute::Isd {
                    rd: rd_of(body),
                    prefix_len,
                    prefix: address_from(prefix, ipv6),
                })
            }
            MUP_DSD => Some(MupRoute::Dsd {
                rd: rd_of(body.get(..8)?),
                address: exact_address(body.get(8..)?)?,
            }),
            MUP_T1ST => {
                let prefix_len = *body.get(8)?;
                if prefix_len > address_bits {
                    return None;
                }
                let at = 9 + usize::from(prefix_len).div_ceil(8);
                let prefix = address_from(body.get(9..at)?, ipv6);
                let fixed = body.get(at..at + 6)?;
                let teid = u32::from_be_bytes([fixed[0], fixed[1], fixed[2], fixed[3]]);
                let qfi = fixed[4];
                let endpoint_len = fixed[5];
                if endpoint_len != 32 && endpoint_len != 128 {
                    return None;
                }
                let at = at + 6;
                let end = at + usize::from(endpoint_len / 8);
                let endpoint = exact_address(body.get(at..end)?)?;
                let source = match body.get(end..)? {
                    [] => None,
                    [bits @ (32 | 128), rest @ ..] if rest.len() == usize::from(*bits / 8) => {
                        Some((*bits, exact_address(rest)?))
                    }
                    _ => return None,
                };
                Some(MupRoute::T1st {
                    rd: rd_of(body),
                    prefix_len,
                    prefix,
                    teid,
                    qfi,
                    endpoint_len,
                    endpoint,
                    source,
                })
            }
            MUP_T2ST => {
                let endpoint_len = *body.get(8)?;
                if endpoint_len < address_bits || endpoint_len > address_bits + 32 {
                    return None;
                }
                let teid_bits = usize::from(endpoint_len - address_bits);
                let end = 9 + address_size;
                if body.len() != end + teid_bits.div_ceil(8) {
                    return None;
                }
                let teid = body
                    .get(end..)?
                    .iter()
                    .fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
                Some(MupRoute::T2st {
                    rd: rd_of(body),
                    endpoint_len,
                    endpoint: address_from(body.get(9..end)?, ipv6),
                    teid,
                })
            }
            _ => Some(MupRoute::Other),
        }
    }

    /// Builds a route of a known type from its fields (what the configuration gives);
    /// `None` when they do not fit.
    pub fn build(ipv6: bool, route: &MupRoute) -> Option<MupNlri> {
        let mut body = [0u8; MUP_MAX_BODY];
        let mut len = 0usize;
        let mut put = |bytes: &[u8]| -> Option<()> {
            body.get_mut(len..len + bytes.len())?.copy_from_slice(bytes);
            len += bytes.len();
            Some(())
        };
        let code = match route {
            MupRoute::Isd {
                rd,
                prefix_len,
                prefix,
            } => {
                put(&rd.0)?;
                put(&[*prefix_len])?;
                let (bytes, _) = address_bytes(prefix);
                put(bytes.get(..usize::from(*prefix_len).div_ceil(8))?)?;
                MUP_ISD
            }
            MupRoute::Dsd { rd, address } => {
                put(&rd.0)?;
                let (bytes, n) = address_bytes(address);
                put(&bytes[..n])?;
                MUP_DSD
            }
            MupRoute::T1st {
                rd,
                prefix_len,
                prefix,
                teid,
                qfi,
                endpoint_len,
                endpoint,
                source,
            } => {
                put(&rd.0)?;
                put(&[*prefix_len])?;
                let (bytes, _) = address_bytes(prefix);
                put(bytes.get(..usize::from(*prefix_len).div_ceil(8))?)?;
                put(&teid.to_be_bytes())?;
                put(&[*qfi, *endpoint_len])?;
                let (bytes, n) = address_bytes(endpoint);
                put(&bytes[..n])?;
                if let Some((bits, address)) = source {
                    put(&[*bits])?;
                    let (bytes, n) = address_bytes(address);
                    put(&bytes[..n])?;
                }
                MUP_T1ST
            }
            MupRoute::T2st {
                rd,
                endpoint_len,
                endpoint,
                teid,
            } => {
                put(&rd.0)?;
                put(&[*endpoint_len])?;
                let (bytes, n) = address_bytes(endpoint);
                put(&bytes[..n])?;
                let teid_bits = usize::from(*endpoint_len).checked_sub(n * 8)?;
                if teid_bits > 32 {
                    return None;
                }
                let teid_bytes = teid_bits.div_ceil(8);
                put(&teid.to_be_bytes()[4 - teid_bytes..])?;
                MUP_T2ST
            }
            MupRoute::Other => return None,
        };
        MupNlri::from_body(ipv6, MUP_ARCH_3GPP_5G, code, body.get(..len)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::wire::hex;

    const CASES: &[(bool, &str)] = &[
        (false, "0100010C0000006400000064180A0001"),
        (false, "0100020C00000064000000640A000001"),
        (false, "01000317000000640000006420C0A800010000303909200A000001"),
        (false, "0100031C000000640000006420C0A800020000303909200A000001200A000101"),
        (false, "010004110000006400000064400A00000100003039"),
        (false, "010004100000006400000064370A000001003039"),
        (false, "0100040D0000006400000064200A000001"),
        (true, "010001110000006400000064402001000000000000"),
        (true, "01000218000000640000006420010000000000000000000000000001"),
        (true, "0100034000000064000000648020010DB8000100010000000000000002000030390980200100000000000000000000000000018020020000000000000000000000000002"),
        (true, "0100041D0000006400000064A02001000000000000000000000000000100003039"),
    ];

    #[test]
    fn exabgp_routes_decode_rebuild_and_reencode() {
        for (ipv6, case) in CASES {
            let family = if *ipv6 {
                Family::new(
                    super::super::family::Afi::IPV6,
                    super::super::family::Safi::MUP,
                )
            } else {
                Family::new(
                    super::super::family::Afi::IPV4,
                    super::super::family::Safi::MUP,
                )
            };
            let bytes = hex(case);
            let (route, used) = MupNlri::decode(&bytes, family).unwrap();
            assert_eq!(used, bytes.len(), "{case}");
            let mut out = Vec::new();
            route.encode(&mut out);
            assert_eq!(out, bytes, "{case}");
            let fields = route.fields().unwrap();
            assert_eq!(MupNlri::build(*ipv6, &fields), Some(route), "{case}");
            for cut in 0..bytes.len() {
                assert!(MupNlri::decode(&bytes[..cut], family).is_err());
            }
        }
    }
}
