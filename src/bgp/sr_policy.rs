//! SR Policy NLRI (RFC 9830 §2.1, `ipv4 sr-policy` / `ipv6 sr-policy`, SAFI 73) and the
//! Tunnel Encapsulation attribute value (RFC 9012, code 23) ExaBGP 6 sends with it.
//!
//! ```text
//! NLRI: length in bits: 1 (96 or 192) | distinguisher: 4 | color: 4 | endpoint: 4 or 16
//! tunnel encapsulation: tunnel type: 2 (15 = SR Policy) | length: 2 | sub-TLVs
//! sub-TLV: type: 1 | length: 1 (types < 128) or 2 (types >= 128) | value
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::family::Family;
use super::nlri::NlriError;

/// One SR Policy route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SrPolicyNlri {
    pub distinguisher: u32,
    pub color: u32,
    pub endpoint: IpAddr,
}

impl SrPolicyNlri {
    /// Bytes [`SrPolicyNlri::encode`] appends.
    pub fn encoded_len(&self) -> usize {
        1 + 8 + if self.endpoint.is_ipv6() { 16 } else { 4 }
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(if self.endpoint.is_ipv6() { 192 } else { 96 });
        out.extend_from_slice(&self.distinguisher.to_be_bytes());
        out.extend_from_slice(&self.color.to_be_bytes());
        match self.endpoint {
            IpAddr::V4(a) => out.extend_from_slice(&a.octets()),
            IpAddr::V6(a) => out.extend_from_slice(&a.octets()),
        }
    }

    /// Decodes one route from the front of `bytes`; returns it and the bytes consumed.
    /// The length must be 96 bits (IPv4 endpoint) or 192 (IPv6).
    pub fn decode(bytes: &[u8], family: Family) -> Result<(SrPolicyNlri, usize), NlriError> {
        let truncated = NlriError::Truncated { family };
        let bits = *bytes.first().ok_or(truncated.clone())?;
        let size = match bits {
            96 => 12,
            192 => 24,
            _ => return Err(NlriError::SrPolicyLength { family, bits }),
        };
        let body = bytes.get(1..1 + size).ok_or(truncated)?;
        let u32_at =
            |at: usize| u32::from_be_bytes([body[at], body[at + 1], body[at + 2], body[at + 3]]);
        let endpoint = if size == 12 {
            IpAddr::V4(Ipv4Addr::from(u32_at(8)))
        } else {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&body[8..24]);
            IpAddr::V6(Ipv6Addr::from(octets))
        };
        Ok((
            SrPolicyNlri {
                distinguisher: u32_at(0),
                color: u32_at(4),
                endpoint,
            },
            1 + size,
        ))
    }
}

/// The text form: `sr-policy distinguisher <n> color <n> endpoint <ip>`.
impl fmt::Display for SrPolicyNlri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "sr-policy distinguisher {} color {} endpoint {}",
            self.distinguisher, self.color, self.endpoint
        )
    }
}

/// Tunnel type of an SR Policy in the Tunnel Encapsulation attribute.
pub const TUNNEL_SR_POLICY: u16 = 15;

/// Sub-TLV types (RFC 9830 §2.4).
pub const SUB_PREFERENCE: u8 = 12;
pub const SUB_BINDING_SID: u8 = 13;
pub const SUB_PRIORITY: u8 = 15;
pub const SUB_SRV6_BINDING_SID: u8 = 20;
pub const SUB_SEGMENT_LIST: u8 = 128;
pub const SUB_CANDIDATE_PATH_NAME: u8 = 129;
pub const SUB_POLICY_NAME: u8 = 130;
/// Segment-list sub-sub-TLVs.
pub const SEG_WEIGHT: u8 = 9;
pub const SEG_TYPE_A: u8 = 1;
pub const SEG_TYPE_B: u8 = 13;

/// An MPLS label stack entry as ExaBGP writes it: label, bottom-of-stack set, TC and TTL 0.
pub fn label_entry(label: u32) -> u32 {
    ((label & 0xF_FFFF) << 12) | 0x100
}

/// Appends a sub-TLV: 1-byte length below type 128, 2-byte from 128 on. `None` when the
/// value is too long for its length field.
pub fn put_sub_tlv(out: &mut Vec<u8>, kind: u8, value: &[u8]) -> Option<()> {
    out.push(kind);
    if kind >= 128 {
        out.extend_from_slice(&u16::try_from(value.len()).ok()?.to_be_bytes());
    } else {
        out.push(u8::try_from(value.len()).ok()?);
    }
    out.extend_from_slice(value);
    Some(())
}

/// One decoded sub-TLV of an SR Policy tunnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubTlv<'a> {
    pub kind: u8,
    pub value: &'a [u8],
}

/// Iterates the sub-TLVs of `bytes` (1-byte lengths below type 128, 2-byte from 128);
/// stops with `Err(())` on a truncated one.
pub fn sub_tlvs(bytes: &[u8]) -> impl Iterator<Item = Result<SubTlv<'_>, ()>> + '_ {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let (&kind, after) = rest.split_first()?;
        let (len, after) = if kind >= 128 {
            match after {
                [a, b, tail @ ..] => (usize::from(u16::from_be_bytes([*a, *b])), tail),
                _ => {
                    rest = &[];
                    return Some(Err(()));
                }
            }
        } else {
            match after.split_first() {
                Some((l, tail)) => (usize::from(*l), tail),
                None => {
                    rest = &[];
                    return Some(Err(()));
                }
            }
        };
        match (after.get(..len), after.get(len..)) {
            (Some(value), Some(tail)) => {
                rest = tail;
                Some(Ok(SubTlv { kind, value }))
            }
            _ => {
                rest = &[];
                Some(Err(()))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::family::{Afi, Safi};

    #[test]
    fn nlri_round_trip_and_bad_lengths() {
        let family = Family::new(Afi::IPV4, Safi::SR_POLICY);
        let bytes = [0x60, 0, 0, 0, 0, 0, 0, 0, 0x64, 10, 0, 0, 1];
        let (route, used) = SrPolicyNlri::decode(&bytes, family).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(route.color, 100);
        assert_eq!(
            route.to_string(),
            "sr-policy distinguisher 0 color 100 endpoint 10.0.0.1"
        );
        let mut out = Vec::new();
        route.encode(&mut out);
        assert_eq!(out, bytes);
        for cut in 0..bytes.len() {
            assert!(SrPolicyNlri::decode(&bytes[..cut], family).is_err());
        }
        assert!(SrPolicyNlri::decode(&[0x61; 13], family).is_err());
    }

    #[test]
    fn sub_tlvs_split_and_stop_on_truncation() {
        let mut out = Vec::new();
        put_sub_tlv(&mut out, SUB_PREFERENCE, &[0, 0, 0, 0, 0, 100]).unwrap();
        put_sub_tlv(&mut out, SUB_SEGMENT_LIST, &[0, 9, 6, 0, 0, 0, 0, 0, 1]).unwrap();
        let all: Vec<_> = sub_tlvs(&out).collect::<Result<_, _>>().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].kind, SUB_SEGMENT_LIST);
        assert_eq!(all[1].value.len(), 9);
        assert!(sub_tlvs(&out[..out.len() - 1]).any(|t| t.is_err()));
    }
}
