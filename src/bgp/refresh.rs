//! ROUTE-REFRESH messages (RFC 2918, RFC 7313 subtypes BoRR/EoRR).
//! Body: AFI (2) | subtype (1, reserved in RFC 2918) | SAFI (1) [| ORF entries (RFC 5291)].

use super::family::{Afi, Family, Safi};
use super::message::{MessageError, MessageWriter, HEADER_LEN, ROUTE_REFRESH};
use super::wire::put_u16;

/// The RFC 7313 message subtype (the reserved byte of RFC 2918).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefreshSubtype(pub u8);

impl RefreshSubtype {
    /// A plain route refresh request.
    pub const REQUEST: RefreshSubtype = RefreshSubtype(0);
    /// Beginning of Route Refresh.
    pub const BEGIN: RefreshSubtype = RefreshSubtype(1);
    /// End of Route Refresh.
    pub const END: RefreshSubtype = RefreshSubtype(2);

    /// ExaBGP's JSON/text name: `query`, `begin`, `end`; `None` for other values.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "query",
            1 => "begin",
            2 => "end",
            _ => return None,
        })
    }

    /// RFC 7313 §5: a subtype other than 0, 1, 2 means the message is ignored.
    pub fn is_known(self) -> bool {
        self.0 <= 2
    }
}

/// A ROUTE-REFRESH message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRefresh {
    pub afi: Afi,
    pub safi: Safi,
    pub subtype: RefreshSubtype,
    /// Bytes after the SAFI (ORF entries of a request, or anything after an unknown
    /// subtype), kept verbatim.
    pub extra: Vec<u8>,
}

impl RouteRefresh {
    pub fn new(family: Family, subtype: RefreshSubtype) -> RouteRefresh {
        RouteRefresh {
            afi: family.afi,
            safi: family.safi,
            subtype,
            extra: Vec::new(),
        }
    }

    pub fn family(&self) -> Family {
        Family::new(self.afi, self.safi)
    }

    /// Decodes a body. BoRR/EoRR must be exactly 4 bytes and every subtype at least 4
    /// (else 7/1 carrying the whole message, RFC 7313 §5).
    pub fn decode(body: &[u8]) -> Result<RouteRefresh, MessageError> {
        let bad_length = || MessageError::RefreshLength {
            message: whole_message(body),
        };
        let [a0, a1, subtype, safi, extra @ ..] = body else {
            return Err(bad_length());
        };
        let subtype = RefreshSubtype(*subtype);
        if (subtype == RefreshSubtype::BEGIN || subtype == RefreshSubtype::END) && !extra.is_empty()
        {
            return Err(bad_length());
        }
        Ok(RouteRefresh {
            afi: Afi(u16::from_be_bytes([*a0, *a1])),
            safi: Safi(*safi),
            subtype,
            extra: extra.to_vec(),
        })
    }

    /// Appends the body (without the header).
    pub fn encode_body(&self, out: &mut Vec<u8>) {
        put_u16(out, self.afi.0);
        out.push(self.subtype.0);
        out.push(self.safi.0);
        out.extend_from_slice(&self.extra);
    }
}

/// Rebuilds header + body of a received ROUTE-REFRESH for the 7/1 data field.
fn whole_message(body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(HEADER_LEN + body.len());
    MessageWriter::begin(&mut message, ROUTE_REFRESH).extend_from_slice(body);
    message
}

/// Appends a whole ROUTE-REFRESH message (header included) for `family` and `subtype`.
pub fn write_route_refresh(out: &mut Vec<u8>, family: Family, subtype: RefreshSubtype) {
    RouteRefresh::new(family, subtype).encode_body(&mut MessageWriter::begin(out, ROUTE_REFRESH));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decode_subtypes() {
        let r = RouteRefresh::decode(&[0, 1, 1, 1]).unwrap();
        assert_eq!(
            r,
            RouteRefresh::new(Family::IPV4_UNICAST, RefreshSubtype::BEGIN)
        );
        assert_eq!(r.subtype.name(), Some("begin"));
        let unknown = RouteRefresh::decode(&[0, 2, 9, 1, 7]).unwrap();
        assert!(!unknown.subtype.is_known());
        assert_eq!(unknown.extra, vec![7]);
        let orf = RouteRefresh::decode(&[0, 1, 0, 1, 1, 2, 3]).unwrap();
        assert_eq!(orf.extra, vec![1, 2, 3]);
    }

    #[test]
    fn bad_lengths_are_7_1_with_the_message() {
        let err = RouteRefresh::decode(&[0, 1, 2, 1, 0]).unwrap_err();
        let n = err.notification();
        assert_eq!((n.code, n.subcode), (7, 1));
        assert_eq!(n.data.len(), 24);
        assert_eq!(&n.data[16..19], &[0, 24, 5]);
        for len in 0..4 {
            assert!(RouteRefresh::decode(&[0, 1, 0, 1][..len]).is_err());
        }
    }

    proptest! {
        #[test]
        fn round_trip(afi: u16, safi: u8, subtype: u8, extra in proptest::collection::vec(any::<u8>(), 0..8)) {
            let extra = if subtype == 1 || subtype == 2 { Vec::new() } else { extra };
            let r = RouteRefresh { afi: Afi(afi), safi: Safi(safi), subtype: RefreshSubtype(subtype), extra };
            let mut out = Vec::new();
            r.encode_body(&mut out);
            prop_assert_eq!(RouteRefresh::decode(&out).unwrap(), r);
        }
    }
}
