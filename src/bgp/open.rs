//! OPEN messages (RFC 4271 §4.2) with optional parameters, RFC 9072 extended parameter
//! lengths and the semantic checks (`validate`) the peer FSM applies after decoding.
//!
//! ```text
//! version (1) | my AS (2) | hold time (2) | BGP identifier (4) | opt. param. len (1) | params
//! param: type (1) | length (1) | value           (RFC 9072: len byte 255, type 255, len (2),
//!                                                 then each param: type (1) | length (2) | value)
//! ```

use std::net::Ipv4Addr;

use super::capability::Capability;
use super::family::Family;
use super::message::{MessageError, HEADER_LEN, OPEN};
use super::wire::{put_u16, Reader};

/// The only BGP version.
pub const BGP_VERSION: u8 = 4;
/// RFC 6793: the 2-byte AS placeholder for a 4-byte AS.
pub const AS_TRANS: u16 = 23456;
/// Optional parameter type of capabilities (RFC 5492).
pub const PARAM_CAPABILITIES: u8 = 2;
/// Deprecated authentication parameter (RFC 4271 1st edition).
pub const PARAM_AUTHENTICATION: u8 = 1;
/// RFC 9072 marker in the length and type bytes.
const EXTENDED_MARKER: u8 = 255;

/// One optional parameter, kept in received order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parameter {
    /// Type 2: one or more capabilities.
    Capabilities(Vec<Capability>),
    /// Any other type, value verbatim.
    Other { kind: u8, value: Vec<u8> },
}

/// An OPEN message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    pub version: u8,
    /// The 2-byte "My Autonomous System" field as sent (AS_TRANS for 4-byte ASNs).
    pub my_as: u16,
    pub hold_time: u16,
    pub router_id: Ipv4Addr,
    pub parameters: Vec<Parameter>,
    /// The parameters were (or are to be) written in the RFC 9072 extended format even
    /// though they would fit in the standard one.
    pub extended_parameters: bool,
}

impl Open {
    /// An OPEN as ExaBGP builds it: one capability per optional parameter, AS_TRANS in
    /// the 2-byte field when `asn` does not fit (the caller adds `FourOctetAs`).
    pub fn new(
        asn: u32,
        hold_time: u16,
        router_id: Ipv4Addr,
        capabilities: Vec<Capability>,
    ) -> Open {
        Open {
            version: BGP_VERSION,
            my_as: u16::try_from(asn).unwrap_or(AS_TRANS),
            hold_time,
            router_id,
            parameters: capabilities
                .into_iter()
                .map(|c| Parameter::Capabilities(vec![c]))
                .collect(),
            extended_parameters: false,
        }
    }

    /// Every capability in received order, across parameters.
    pub fn capabilities(&self) -> impl Iterator<Item = &Capability> {
        self.parameters.iter().flat_map(|p| match p {
            Parameter::Capabilities(list) => list.as_slice(),
            Parameter::Other { .. } => &[],
        })
    }

    /// The first capability with this code.
    pub fn capability(&self, code: u8) -> Option<&Capability> {
        self.capabilities().find(|c| c.code() == code)
    }

    pub fn has_capability(&self, code: u8) -> bool {
        self.capability(code).is_some()
    }

    /// The AS number in the 4-octet AS capability.
    pub fn asn4(&self) -> Option<u32> {
        self.capabilities().find_map(|c| match c {
            Capability::FourOctetAs(asn) => Some(*asn),
            _ => None,
        })
    }

    /// The speaker's real AS: from capability 65 when present, else the 2-byte field.
    pub fn asn(&self) -> u32 {
        self.asn4().unwrap_or(self.my_as.into())
    }

    /// Families of the multiprotocol capabilities, in order, without duplicates.
    pub fn families(&self) -> Vec<Family> {
        let mut families = Vec::new();
        for capability in self.capabilities() {
            if let Capability::Multiprotocol(family) = capability {
                if !families.contains(family) {
                    families.push(*family);
                }
            }
        }
        families
    }

    /// Decodes an OPEN body. Accepts anything well-formed (any version, hold time,
    /// identifier or parameter type); [`Open::validate`] applies the RFC checks.
    pub fn decode(body: &[u8]) -> Result<Open, MessageError> {
        let too_short = MessageError::BadLength {
            length: u16::try_from(HEADER_LEN + body.len()).unwrap_or(u16::MAX),
            kind: OPEN,
        };
        let mut r = Reader::new(body);
        let (Some(version), Some(my_as), Some(hold_time), Some(router_id), Some(param_len)) =
            (r.u8(), r.u16(), r.u16(), r.u32(), r.u8())
        else {
            return Err(too_short);
        };
        let malformed = |reason: &'static str| MessageError::MalformedOpen { reason };
        let rest = r.rest();
        let extended = param_len == EXTENDED_MARKER && rest.first() == Some(&EXTENDED_MARKER);
        let params = if extended {
            let mut r = Reader::new(rest.get(1..).unwrap_or_default());
            let len = r
                .u16()
                .ok_or(malformed("extended parameters length missing"))?;
            if r.remaining() != usize::from(len) {
                return Err(malformed(
                    "extended parameters length does not match the message",
                ));
            }
            r.take_rest()
        } else {
            if rest.len() != usize::from(param_len) {
                return Err(malformed(
                    "optional parameters length does not match the message",
                ));
            }
            rest
        };
        let parameters = decode_parameters(params, extended)?;
        let standard_fits = standard_fits(&parameters);
        Ok(Open {
            version,
            my_as,
            hold_time,
            router_id: Ipv4Addr::from(router_id),
            parameters,
            extended_parameters: extended && standard_fits,
        })
    }

    /// Appends the OPEN body (without the header). The parameters use the RFC 9072 format
    /// when they need 255 bytes or more (as ExaBGP) or `extended_parameters` is set.
    pub fn encode_body(&self, out: &mut Vec<u8>) {
        out.push(self.version);
        put_u16(out, self.my_as);
        put_u16(out, self.hold_time);
        out.extend_from_slice(&self.router_id.octets());
        let start = out.len();
        out.push(0);
        encode_parameters(&self.parameters, out, false);
        let len = out.len() - start - 1;
        if len < usize::from(EXTENDED_MARKER) && !self.extended_parameters {
            if let Some(slot) = out.get_mut(start) {
                *slot = len as u8;
            }
            return;
        }
        out.truncate(start);
        out.extend_from_slice(&[EXTENDED_MARKER, EXTENDED_MARKER, 0, 0]);
        encode_parameters(&self.parameters, out, true);
        let len = u16::try_from(out.len() - start - 4).unwrap_or(u16::MAX);
        if let Some(slot) = out.get_mut(start + 2..start + 4) {
            slot.copy_from_slice(&len.to_be_bytes());
        }
    }

    /// The RFC 4271 §6.2 checks that need no configuration: version 4 (2/1), hold time
    /// 0 or ≥ 3 (2/6), a non-zero identifier (2/3), no authentication (2/5) or other
    /// unsupported parameter (2/4).
    pub fn validate(&self) -> Result<(), MessageError> {
        if self.version != BGP_VERSION {
            return Err(MessageError::BadVersion(self.version));
        }
        if self.hold_time == 1 || self.hold_time == 2 {
            return Err(MessageError::UnacceptableHoldTime(self.hold_time));
        }
        if self.router_id.is_unspecified() {
            return Err(MessageError::BadBgpIdentifier(self.router_id));
        }
        for parameter in &self.parameters {
            match parameter {
                Parameter::Capabilities(_) => {}
                Parameter::Other { kind, .. } if *kind == PARAM_AUTHENTICATION => {
                    return Err(MessageError::AuthenticationParameter)
                }
                Parameter::Other { kind, .. } => {
                    return Err(MessageError::UnsupportedOptionalParameter(*kind))
                }
            }
        }
        Ok(())
    }

    /// The checks against configuration (ExaBGP's order): the peer AS when one is
    /// expected (2/2), and on iBGP an identifier different from ours (2/3).
    pub fn validate_peer(
        &self,
        expected_peer_as: Option<u32>,
        local_as: u32,
        local_router_id: Ipv4Addr,
    ) -> Result<(), MessageError> {
        let asn = self.asn();
        if let Some(expected) = expected_peer_as {
            if asn != expected {
                return Err(MessageError::BadPeerAs {
                    received: asn,
                    expected,
                });
            }
        }
        if self.router_id.is_unspecified() || (asn == local_as && self.router_id == local_router_id)
        {
            return Err(MessageError::BadBgpIdentifier(self.router_id));
        }
        Ok(())
    }
}

/// True when the parameters fit the standard (1-byte length) format.
fn standard_fits(parameters: &[Parameter]) -> bool {
    let mut out = Vec::new();
    encode_parameters(parameters, &mut out, false);
    out.len() < usize::from(EXTENDED_MARKER)
        && parameters.iter().all(|p| parameter_value_len(p) <= 255)
}

fn parameter_value_len(parameter: &Parameter) -> usize {
    match parameter {
        Parameter::Capabilities(list) => {
            let mut out = Vec::new();
            for capability in list {
                capability.encode(&mut out);
            }
            out.len()
        }
        Parameter::Other { value, .. } => value.len(),
    }
}

fn decode_parameters(mut bytes: &[u8], extended: bool) -> Result<Vec<Parameter>, MessageError> {
    let mut parameters = Vec::new();
    while !bytes.is_empty() {
        let mut r = Reader::new(bytes);
        let kind = r.u8().ok_or(MessageError::MalformedOpen {
            reason: "parameter type missing",
        })?;
        let len = if extended {
            r.u16()
        } else {
            r.u8().map(u16::from)
        };
        let len = len.ok_or(MessageError::MalformedOpen {
            reason: "parameter length missing",
        })?;
        let value = r.take(len.into()).ok_or(MessageError::MalformedOpen {
            reason: "parameter runs past the parameters length",
        })?;
        parameters.push(match kind {
            PARAM_CAPABILITIES => Parameter::Capabilities(Capability::decode_all(value)?),
            _ => Parameter::Other {
                kind,
                value: value.to_vec(),
            },
        });
        bytes = r.rest();
    }
    Ok(parameters)
}

fn encode_parameters(parameters: &[Parameter], out: &mut Vec<u8>, extended: bool) {
    for parameter in parameters {
        let (kind, value) = match parameter {
            Parameter::Capabilities(list) => {
                let mut value = Vec::new();
                for capability in list {
                    capability.encode(&mut value);
                }
                (PARAM_CAPABILITIES, value)
            }
            Parameter::Other { kind, value } => (*kind, value.clone()),
        };
        out.push(kind);
        if extended {
            let value = value.get(..usize::from(u16::MAX)).unwrap_or(&value);
            put_u16(out, value.len() as u16);
            out.extend_from_slice(value);
        } else {
            let value = value.get(..255).unwrap_or(&value);
            out.push(value.len() as u8);
            out.extend_from_slice(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::capability::tests::capability;
    use crate::bgp::capability::AddPathMode;
    use crate::bgp::wire::hex;
    use proptest::prelude::*;

    // decoding/bgp-open-sofware-version, body only.
    const SOFTWARE_VERSION_BODY: &str = "04FFFD00B40A000002340206010400010001020641040000FFFD02224B201F4578614247502F6D61696E2D633261326561386562642D3230323430373135";

    #[test]
    fn decodes_conformance_open() {
        let body = hex(SOFTWARE_VERSION_BODY);
        let open = Open::decode(&body).unwrap();
        assert_eq!(open.version, 4);
        assert_eq!(open.my_as, 65533);
        assert_eq!(open.hold_time, 180);
        assert_eq!(open.router_id, Ipv4Addr::new(10, 0, 0, 2));
        assert_eq!(open.asn(), 65533);
        assert_eq!(open.families(), vec![Family::IPV4_UNICAST]);
        let caps: Vec<_> = open.capabilities().collect();
        assert_eq!(
            caps[2],
            &Capability::SoftwareVersion("ExaBGP/main-c2a2ea8ebd-20240715".into())
        );
        let mut out = Vec::new();
        open.encode_body(&mut out);
        assert_eq!(out, body);
        assert!(open.validate().is_ok());
    }

    #[test]
    fn new_matches_exabgp_layout() {
        // encoding/conf-cap-link-local-nexthop.ci
        let open = Open::new(
            65533,
            180,
            Ipv4Addr::new(10, 0, 0, 2),
            vec![
                Capability::Multiprotocol(Family::IPV6_UNICAST),
                Capability::FourOctetAs(65533),
                Capability::ExtendedMessage,
                Capability::LinkLocalNextHop,
            ],
        );
        let mut out = Vec::new();
        open.encode_body(&mut out);
        assert_eq!(
            out,
            hex("04FFFD00B40A000002180206010400020001020641040000FFFD0202060002024D00")
        );
        let big = Open::new(4_200_000_000, 90, Ipv4Addr::new(1, 1, 1, 1), vec![]);
        assert_eq!(big.my_as, AS_TRANS);
    }

    #[test]
    fn grouped_capabilities_round_trip() {
        // One parameter holding three capabilities, then an unknown parameter.
        let body = hex("04000100030101010110020A0104000100010200460009020100");
        let open = Open::decode(&body).unwrap();
        assert_eq!(open.parameters.len(), 2);
        let mut out = Vec::new();
        open.encode_body(&mut out);
        assert_eq!(out, body);
        assert_eq!(
            open.validate(),
            Err(MessageError::UnsupportedOptionalParameter(9))
        );
    }

    #[test]
    fn extended_parameters() {
        let mut caps = Vec::new();
        for safi in 0..70u8 {
            caps.push(Capability::Multiprotocol(Family::new(
                crate::bgp::Afi::IPV4,
                crate::bgp::Safi(safi),
            )));
        }
        caps.push(Capability::AddPath(vec![(
            Family::IPV4_UNICAST,
            AddPathMode::BOTH,
        )]));
        let open = Open::new(1, 180, Ipv4Addr::new(1, 2, 3, 4), caps);
        let mut out = Vec::new();
        open.encode_body(&mut out);
        assert_eq!(&out[9..11], &[255, 255]);
        let decoded = Open::decode(&out).unwrap();
        assert_eq!(decoded, open);
        // Small parameters in the extended format keep it.
        let body = hex("040001000301010101FFFF0009020006410400000001");
        let open = Open::decode(&body).unwrap();
        assert!(open.extended_parameters);
        let mut again = Vec::new();
        open.encode_body(&mut again);
        assert_eq!(again, body);
    }

    #[test]
    fn validation() {
        let mut open = Open::new(65001, 180, Ipv4Addr::new(1, 2, 3, 4), vec![]);
        assert!(open.validate().is_ok());
        open.hold_time = 2;
        assert_eq!(open.validate(), Err(MessageError::UnacceptableHoldTime(2)));
        open.hold_time = 0;
        open.router_id = Ipv4Addr::UNSPECIFIED;
        assert_eq!(open.validate().unwrap_err().notification().subcode, 3);
        open.router_id = Ipv4Addr::new(1, 2, 3, 4);
        open.version = 3;
        assert_eq!(open.validate().unwrap_err().notification().subcode, 1);
        open.version = 4;
        assert_eq!(
            open.validate_peer(Some(65002), 65000, Ipv4Addr::new(9, 9, 9, 9))
                .unwrap_err()
                .notification()
                .subcode,
            2
        );
        assert_eq!(
            open.validate_peer(Some(65001), 65001, Ipv4Addr::new(1, 2, 3, 4))
                .unwrap_err()
                .notification()
                .subcode,
            3
        );
        assert!(open
            .validate_peer(None, 65000, Ipv4Addr::new(9, 9, 9, 9))
            .is_ok());
    }

    #[test]
    fn every_truncation_fails() {
        let body = hex(SOFTWARE_VERSION_BODY);
        for len in 0..body.len() {
            assert!(Open::decode(&body[..len]).is_err(), "length {len}");
        }
    }

    fn open_strategy() -> impl Strategy<Value = Open> {
        let parameter = prop_oneof![
            proptest::collection::vec(capability(), 0..4).prop_map(Parameter::Capabilities),
            (any::<u8>(), proptest::collection::vec(any::<u8>(), 0..20))
                .prop_filter("not capabilities", |(kind, _)| *kind != PARAM_CAPABILITIES)
                .prop_map(|(kind, value)| Parameter::Other { kind, value }),
        ];
        (
            any::<u8>(),
            any::<u16>(),
            any::<u16>(),
            any::<u32>(),
            proptest::collection::vec(parameter, 0..6),
            any::<bool>(),
        )
            .prop_map(|(version, my_as, hold_time, id, parameters, ext)| Open {
                version,
                my_as,
                hold_time,
                router_id: Ipv4Addr::from(id),
                extended_parameters: ext && standard_fits(&parameters),
                parameters,
            })
            .prop_filter("parameter values fit", |open| {
                open.parameters
                    .iter()
                    .all(|p| parameter_value_len(p) <= 255)
            })
    }

    proptest! {
        #[test]
        fn open_round_trip(open in open_strategy()) {
            let mut out = Vec::new();
            open.encode_body(&mut out);
            let decoded = Open::decode(&out).unwrap();
            prop_assert_eq!(&decoded, &open);
            let mut again = Vec::new();
            decoded.encode_body(&mut again);
            prop_assert_eq!(again, out);
        }

        #[test]
        fn open_decode_never_panics(body in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = Open::decode(&body);
        }
    }
}
