//! VPLS NLRI (RFC 4761 §3.2.2, `l2vpn vpls`): one fixed-size route per entry, decoded
//! without allocation and re-encoded byte for byte, with ExaBGP's JSON and text forms.
//!
//! ```text
//! length: 2 (= 17) | RD: 8 | VE ID: 2 | VE block offset: 2 | VE block size: 2 | label base: 3
//! ```
//!
//! The label base is a 20-bit label followed by 4 bits (EXP + bottom-of-stack) that are kept
//! as received.

use std::fmt;

use super::family::Family;
use super::nlri::{NlriError, RouteDistinguisher};

/// Bytes after the length field of a VPLS NLRI.
pub const VPLS_BODY_LEN: usize = 17;

/// One VPLS route: the ExaBGP names are `endpoint` (VE ID), `offset`, `size` and `base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VplsNlri {
    pub rd: RouteDistinguisher,
    pub endpoint: u16,
    pub offset: u16,
    pub size: u16,
    /// The 24-bit label field: label base (20 bits) then EXP and bottom-of-stack (4 bits).
    pub label_field: u32,
}

impl VplsNlri {
    /// A route with label base `base` (the bottom-of-stack bit set, as ExaBGP sends it).
    pub fn new(rd: RouteDistinguisher, endpoint: u16, offset: u16, size: u16, base: u32) -> Self {
        VplsNlri {
            rd,
            endpoint,
            offset,
            size,
            label_field: ((base & 0xF_FFFF) << 4) | 1,
        }
    }

    /// The label base (20 bits).
    pub fn base(&self) -> u32 {
        self.label_field >> 4
    }

    /// Bytes [`VplsNlri::encode`] appends.
    pub const fn encoded_len() -> usize {
        2 + VPLS_BODY_LEN
    }

    /// Appends the length field and the route.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(VPLS_BODY_LEN as u16).to_be_bytes());
        out.extend_from_slice(&self.rd.0);
        out.extend_from_slice(&self.endpoint.to_be_bytes());
        out.extend_from_slice(&self.offset.to_be_bytes());
        out.extend_from_slice(&self.size.to_be_bytes());
        out.extend_from_slice(&self.label_field.to_be_bytes()[1..]);
    }

    /// Decodes one route from the front of `bytes` (starting at its length field);
    /// returns it and the bytes consumed.
    pub fn decode(bytes: &[u8], family: Family) -> Result<(VplsNlri, usize), NlriError> {
        let truncated = NlriError::Truncated { family };
        let head = bytes.get(..2).ok_or(truncated.clone())?;
        let len = u16::from_be_bytes([head[0], head[1]]);
        if usize::from(len) != VPLS_BODY_LEN {
            return Err(NlriError::VplsLength { len });
        }
        let body = bytes.get(2..2 + VPLS_BODY_LEN).ok_or(truncated)?;
        let mut rd = [0u8; 8];
        rd.copy_from_slice(&body[..8]);
        let u16_at = |at: usize| u16::from_be_bytes([body[at], body[at + 1]]);
        Ok((
            VplsNlri {
                rd: RouteDistinguisher(rd),
                endpoint: u16_at(8),
                offset: u16_at(10),
                size: u16_at(12),
                label_field: u32::from_be_bytes([0, body[14], body[15], body[16]]),
            },
            2 + VPLS_BODY_LEN,
        ))
    }
}

/// ExaBGP's text form: `vpls rd <rd> endpoint <n> base <n> offset <n> size <n>`.
impl fmt::Display for VplsNlri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "vpls rd {} endpoint {} base {} offset {} size {}",
            self.rd,
            self.endpoint,
            self.base(),
            self.offset,
            self.size
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::wire::hex;

    const WIRE: &str = "00110001C0A8C901007B000500010008029CE1";

    #[test]
    fn decodes_and_reencodes_exabgp_bytes() {
        let bytes = hex(WIRE);
        let (route, used) = VplsNlri::decode(&bytes, Family::L2VPN_VPLS).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(route.endpoint, 5);
        assert_eq!(route.offset, 1);
        assert_eq!(route.size, 8);
        assert_eq!(route.base(), 10702);
        assert_eq!(
            route.to_string(),
            "vpls rd 192.168.201.1:123 endpoint 5 base 10702 offset 1 size 8"
        );
        let mut out = Vec::new();
        route.encode(&mut out);
        assert_eq!(out, bytes);
        let built = VplsNlri::new(route.rd, 5, 1, 8, 10702);
        assert_eq!(built, route);
    }

    #[test]
    fn rejects_bad_length_and_truncation() {
        let bytes = hex(WIRE);
        for cut in 0..bytes.len() {
            assert!(VplsNlri::decode(&bytes[..cut], Family::L2VPN_VPLS).is_err());
        }
        let mut long = bytes.clone();
        long[1] = 18;
        assert_eq!(
            VplsNlri::decode(&long, Family::L2VPN_VPLS),
            Err(NlriError::VplsLength { len: 18 })
        );
    }
}
