//! BGP-LS (RFC 7752 / RFC 9552): node, link and prefix NLRI kept as received bytes, their
//! TLV walk, and the BGP-LS attribute (type 29) TLVs: checked, and in ExaBGP 5's JSON.
//!
//! ```text
//! NLRI:      type: 2 | length: 2 | protocol-id: 1 | identifier: 8 | descriptor TLVs...
//! TLV:       type: 2 | length: 2 | value
//! ```
//!
//! Node NLRI (1) carry local node descriptors (256); link NLRI (2) local (256) and remote
//! (257) node descriptors and link descriptors (258-263); prefix NLRI (3 IPv4, 4 IPv6)
//! local node descriptors and prefix descriptors (263-265).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::family::{Afi, Family, Safi};

/// The family of BGP-LS routes (`bgp-ls bgp-ls`).
pub const BGP_LS_FAMILY: Family = Family::new(Afi::BGP_LS, Safi::BGP_LS);
use super::nlri::NlriError;
use super::wire::Reader;

/// One BGP-LS NLRI: its type, length and value as received.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkStateNlri {
    bytes: Vec<u8>,
}

/// Iterates the TLVs of `bytes`; stops (with `None`) at the first that runs past the end.
pub fn tlvs(bytes: &[u8]) -> impl Iterator<Item = Option<(u16, &[u8])>> + '_ {
    let mut r = Reader::new(bytes);
    std::iter::from_fn(move || {
        if r.is_empty() {
            return None;
        }
        let parsed = (|| {
            let code = r.u16()?;
            let len = r.u16()?;
            let value = r.take(usize::from(len))?;
            Some((code, value))
        })();
        if parsed.is_none() {
            r = Reader::new(&[]);
        }
        Some(parsed)
    })
}

/// The TLVs of `bytes`, or None when one runs past the end.
pub fn all_tlvs(bytes: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    tlvs(bytes).collect()
}

impl LinkStateNlri {
    /// Decodes every NLRI of an NLRI field; one running past the field is an error.
    pub fn decode_all(bytes: &[u8], family: Family) -> Result<Vec<LinkStateNlri>, NlriError> {
        let mut routes = Vec::new();
        let mut r = Reader::new(bytes);
        while !r.is_empty() {
            let start = r.rest();
            r.u16().ok_or(NlriError::Truncated { family })?;
            let len = r.u16().ok_or(NlriError::Truncated { family })?;
            r.take(usize::from(len))
                .ok_or(NlriError::Truncated { family })?;
            let used = start.len() - r.remaining();
            routes.push(LinkStateNlri {
                bytes: start.get(..used).unwrap_or_default().to_vec(),
            });
        }
        Ok(routes)
    }

    /// The NLRI type code (1 node, 2 link, 3 IPv4 prefix, 4 IPv6 prefix).
    pub fn code(&self) -> u16 {
        match self.bytes.as_slice() {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        }
    }

    /// The whole NLRI: type, length and value.
    pub fn raw(&self) -> &[u8] {
        &self.bytes
    }

    /// Appends the NLRI's wire bytes.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
    }
}

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address.
pub fn address(value: &[u8]) -> Option<IpAddr> {
    match value.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(value).ok()?))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(value).ok()?,
        ))),
        _ => None,
    }
}

fn uint(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 8 {
        return None;
    }
    Some(value.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
}

/// An IEEE single-precision bandwidth; NaN and the infinities are malformed.
fn bandwidth(value: &[u8]) -> Option<f32> {
    let value = f32::from_be_bytes(<[u8; 4]>::try_from(value).ok()?);
    value.is_finite().then_some(value)
}

/// One BGP-LS attribute TLV of a type rexa (as ExaBGP 5) understands, parsed (RFC 9552
/// §5.3, RFC 9085, RFC 9514).
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeTlv<'a> {
    /// 1026, as received (not necessarily UTF-8).
    NodeName(&'a [u8]),
    /// 1027.
    AreaId(u64),
    /// 1028 (IPv4) and 1029 (IPv6).
    LocalTeRouterId(IpAddr),
    /// 1030 (IPv4) and 1031 (IPv6).
    RemoteTeRouterId(IpAddr),
    /// 1034: the flags and each (range, first SID or label).
    SrCapabilities { flags: u8, ranges: Vec<(u32, u64)> },
    /// 1035: one algorithm a byte.
    SrAlgorithms(&'a [u8]),
    /// 1088.
    AdminGroupMask(u64),
    /// 1089.
    MaxLinkBandwidth(f32),
    /// 1090.
    MaxReservableBandwidth(f32),
    /// 1091: one bandwidth per priority.
    UnreservedBandwidth(Vec<f32>),
    /// 1092.
    TeMetric(u64),
    /// 1095.
    IgpMetric(u64),
    /// 1099, the IS-IS adjacency SID: labels (V and L set) or 4-byte indexes, and what is
    /// left when the last one is short.
    SrAdjacency {
        flags: u8,
        weight: u8,
        sids: Vec<u32>,
        undecoded: Option<&'a [u8]>,
    },
    /// 1106 (SRv6 End.X SID) and 1107 (its IS-IS LAN form, with a 6-byte neighbor id).
    Srv6EndX {
        behavior: u16,
        flags: u8,
        algorithm: u8,
        weight: u8,
        lan_neighbor: Option<&'a [u8]>,
        sid: Ipv6Addr,
        /// The SRv6 SID structure sub-TLV (1252): block, node, function, argument lengths.
        structure: Option<[u8; 4]>,
    },
    /// 1155.
    PrefixMetric(u64),
    /// 1170.
    SrPrefixFlags(u8),
}

/// Parses attribute TLV `code`; `None` for a type not listed in [`AttributeTlv`] or a
/// value that does not fit its type.
pub fn attribute_tlv(code: u16, v: &[u8]) -> Option<AttributeTlv<'_>> {
    Some(match code {
        1026 => AttributeTlv::NodeName(v),
        1027 => AttributeTlv::AreaId(uint(v)?),
        1028 | 1029 => AttributeTlv::LocalTeRouterId(address(v)?),
        1030 | 1031 => AttributeTlv::RemoteTeRouterId(address(v)?),
        1034 => {
            let flags = *v.first()?;
            let mut ranges = Vec::new();
            let mut r = Reader::new(v.get(2..)?);
            while !r.is_empty() {
                let range = r.u24()?;
                let _sub_type = r.u16()?;
                let len = r.u16()?;
                ranges.push((range, uint(r.take(usize::from(len))?)?));
            }
            AttributeTlv::SrCapabilities { flags, ranges }
        }
        1035 => AttributeTlv::SrAlgorithms(v),
        1088 => AttributeTlv::AdminGroupMask(uint(v)?),
        1089 => AttributeTlv::MaxLinkBandwidth(bandwidth(v)?),
        1090 => AttributeTlv::MaxReservableBandwidth(bandwidth(v)?),
        1091 => {
            AttributeTlv::UnreservedBandwidth(v.chunks(4).map(bandwidth).collect::<Option<_>>()?)
        }
        1092 => AttributeTlv::TeMetric(uint(v)?),
        1095 => AttributeTlv::IgpMetric(uint(v)?),
        1099 => sr_adjacency(v)?,
        1106 => srv6_end_x(v, false)?,
        1107 => srv6_end_x(v, true)?,
        1155 => AttributeTlv::PrefixMetric(uint(v)?),
        1170 => AttributeTlv::SrPrefixFlags(*v.first()?),
        _ => return None,
    })
}

/// IS-IS Adjacency SID (1099): flags, weight, reserved, then labels (V and L set) or
/// 4-byte indexes.
fn sr_adjacency(v: &[u8]) -> Option<AttributeTlv<'_>> {
    let mut r = Reader::new(v);
    let flags = r.u8()?;
    let weight = r.u8()?;
    r.u16()?;
    let label = flags & 0x30 == 0x30;
    let mut sids = Vec::new();
    let mut undecoded = None;
    while !r.is_empty() {
        let sid = if label { r.u24() } else { r.u32() };
        match sid {
            Some(sid) => sids.push(sid),
            None => undecoded = Some(r.take_rest()),
        }
    }
    Some(AttributeTlv::SrAdjacency {
        flags,
        weight,
        sids,
        undecoded,
    })
}

/// SRv6 End.X SID (1106) and its IS-IS LAN form (1107, with a 6-byte neighbor id), with
/// the first SID structure sub-TLV (1252) among its sub-TLVs.
fn srv6_end_x(v: &[u8], lan: bool) -> Option<AttributeTlv<'_>> {
    let mut r = Reader::new(v);
    let behavior = r.u16()?;
    let flags = r.u8()?;
    let algorithm = r.u8()?;
    let weight = r.u8()?;
    r.u8()?;
    let lan_neighbor = if lan { Some(r.take(6)?) } else { None };
    let sid = Ipv6Addr::from(r.array::<16>()?);
    let mut structure = None;
    for (code, v) in all_tlvs(r.rest())? {
        if code == 1252 {
            structure = Some(<[u8; 4]>::try_from(v).ok()?);
            break;
        }
    }
    Some(AttributeTlv::Srv6EndX {
        behavior,
        flags,
        algorithm,
        weight,
        lan_neighbor,
        sid,
        structure,
    })
}

/// Why a BGP-LS attribute value is malformed (RFC 9552 §8.2.2: the attribute is discarded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStateFault {
    /// A TLV runs past the end of the attribute.
    TlvTruncated,
    /// A TLV of a known type whose value does not fit it.
    TlvMalformed { code: u16, len: usize },
}

impl std::fmt::Display for LinkStateFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LinkStateFault::TlvTruncated => f.write_str("a BGP-LS TLV runs past the attribute"),
            LinkStateFault::TlvMalformed { code, len } => {
                write!(f, "BGP-LS TLV {code} of {len} bytes is malformed")
            }
        }
    }
}

/// Checks a BGP-LS attribute value: every TLV inside it, and every TLV of a type
/// [`attribute_tlv`] knows parses (ExaBGP discards the attribute otherwise).
pub fn check_attribute(value: &[u8]) -> Result<(), LinkStateFault> {
    for tlv in tlvs(value) {
        let (code, v) = tlv.ok_or(LinkStateFault::TlvTruncated)?;
        if is_known_attribute_tlv(code) && attribute_tlv(code, v).is_none() {
            return Err(LinkStateFault::TlvMalformed { code, len: v.len() });
        }
    }
    Ok(())
}

/// The attribute TLV types [`attribute_tlv`] parses.
fn is_known_attribute_tlv(code: u16) -> bool {
    matches!(
        code,
        1026..=1031 | 1034 | 1035 | 1088..=1092 | 1095 | 1099 | 1106 | 1107 | 1155 | 1170
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn link_nlri_round_trip() {
        let bytes = hex("0002005103000000000000000001000020020000040000000102010004C0A87A7E0202000400000000020300040A0A0A0A01010020020000040000000102010004C0A87A7E0202000400000000020300040A020202");
        let routes = LinkStateNlri::decode_all(&bytes, BGP_LS_FAMILY).unwrap();
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].code(), 2);
        let mut out = Vec::new();
        routes[0].encode(&mut out);
        assert_eq!(out, bytes);
    }

    #[test]
    fn truncated_nlri_is_an_error() {
        assert!(LinkStateNlri::decode_all(&[0, 1, 0, 5, 1], BGP_LS_FAMILY).is_err());
        assert!(LinkStateNlri::decode_all(&[0], BGP_LS_FAMILY).is_err());
    }

    #[test]
    fn malformed_attribute_tlvs() {
        // A NaN bandwidth: no JSON form, the attribute is discarded.
        assert!(check_attribute(&hex("044100047FC00000")).is_err());
        assert_eq!(check_attribute(&hex("04470003000001")), Ok(()));
        assert_eq!(check_attribute(&hex("07D00001FF")), Ok(()));
        assert_eq!(
            check_attribute(&hex("04470000")),
            Err(LinkStateFault::TlvMalformed { code: 1095, len: 0 })
        );
        assert_eq!(
            check_attribute(&hex("044700")),
            Err(LinkStateFault::TlvTruncated)
        );
    }
}
