//! OPERATIONAL messages (BGP type 6, ExaBGP's draft-ietf-idr-operational-message):
//! advisories, prefix-count queries and replies, with an opaque fallback for other kinds.
//!
//! ```text
//! type (2) | length (2, of what follows) | AFI (2) | SAFI (1) | kind-specific data
//!   advisory (ADM, ASM):  UTF-8 text
//!   query (RPCQ, APCQ, LPCQ):  router-id (4) | sequence (4)
//!   reply (RPCP, APCP, LPCP):  router-id (4) | sequence (4) | counter (4)
//! ```

use std::net::Ipv4Addr;

use super::family::{Afi, Family, Safi};
use super::message::MessageError;
use super::wire::{put_u16, put_u32, Reader};

/// Longest advisory ExaBGP sends; longer texts are cut to 2045 bytes plus `...`.
pub const MAX_ADVISORY: usize = 2048;

/// Operational message type codes.
pub mod kind {
    pub const ADM: u16 = 1;
    pub const ASM: u16 = 2;
    pub const RPCQ: u16 = 3;
    pub const RPCP: u16 = 4;
    pub const APCQ: u16 = 5;
    pub const APCP: u16 = 6;
    pub const LPCQ: u16 = 7;
    pub const LPCP: u16 = 8;
}

/// Which advisory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdvisoryKind {
    /// Advisory Demand Message.
    Demand,
    /// Advisory Static Message.
    Static,
}

/// Which prefix count a query or reply is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CountKind {
    /// Reachable prefixes (RPCQ/RPCP).
    Reachable,
    /// Adj-RIB-Out prefixes (APCQ/APCP).
    AdjRibOut,
    /// Loc-RIB prefixes (LPCQ/LPCP).
    LocRib,
}

/// An OPERATIONAL message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operational {
    Advisory {
        kind: AdvisoryKind,
        family: Family,
        /// The advisory bytes (UTF-8 when sent by ExaBGP, not checked on receipt).
        text: Vec<u8>,
    },
    Query {
        kind: CountKind,
        family: Family,
        router_id: Ipv4Addr,
        sequence: u32,
    },
    Reply {
        kind: CountKind,
        family: Family,
        router_id: Ipv4Addr,
        sequence: u32,
        counter: u32,
    },
    /// Any other type, or a known one whose data do not follow the layout.
    Unknown { kind: u16, data: Vec<u8> },
}

impl Operational {
    /// An advisory as ExaBGP builds it: texts over 2048 bytes are cut and end in `...`.
    pub fn advisory(kind: AdvisoryKind, family: Family, text: &str) -> Operational {
        let mut bytes = text.as_bytes().to_vec();
        if bytes.len() > MAX_ADVISORY {
            bytes.truncate(MAX_ADVISORY - 3);
            bytes.extend_from_slice(b"...");
        }
        Operational::Advisory {
            kind,
            family,
            text: bytes,
        }
    }

    /// The type code on the wire.
    pub fn kind_code(&self) -> u16 {
        match self {
            Operational::Advisory { kind, .. } => match kind {
                AdvisoryKind::Demand => kind::ADM,
                AdvisoryKind::Static => kind::ASM,
            },
            Operational::Query { kind, .. } => match kind {
                CountKind::Reachable => kind::RPCQ,
                CountKind::AdjRibOut => kind::APCQ,
                CountKind::LocRib => kind::LPCQ,
            },
            Operational::Reply { kind, .. } => match kind {
                CountKind::Reachable => kind::RPCP,
                CountKind::AdjRibOut => kind::APCP,
                CountKind::LocRib => kind::LPCP,
            },
            Operational::Unknown { kind, .. } => *kind,
        }
    }

    /// ExaBGP's JSON `"name"`: `ADM`, `ASM`, `RPCQ`, ... (`unknown` otherwise).
    pub fn name(&self) -> &'static str {
        match self.kind_code() {
            kind::ADM => "ADM",
            kind::ASM => "ASM",
            kind::RPCQ => "RPCQ",
            kind::RPCP => "RPCP",
            kind::APCQ => "APCQ",
            kind::APCP => "APCP",
            kind::LPCQ => "LPCQ",
            kind::LPCP => "LPCP",
            _ => "unknown",
        }
    }

    pub fn family(&self) -> Option<Family> {
        match self {
            Operational::Advisory { family, .. }
            | Operational::Query { family, .. }
            | Operational::Reply { family, .. } => Some(*family),
            Operational::Unknown { .. } => None,
        }
    }

    /// Decodes a body. Only a body shorter than the 4-byte type/length header is an
    /// error; a known type whose data are too short is kept as `Unknown`.
    pub fn decode(body: &[u8]) -> Result<Operational, MessageError> {
        let mut r = Reader::new(body);
        let (Some(code), Some(length)) = (r.u16(), r.u16()) else {
            return Err(MessageError::MalformedOperational {
                reason: "shorter than the 4-byte header",
            });
        };
        // ExaBGP reads the advisory up to `length`, and the fixed fields from the body.
        let data = r.rest();
        let unknown = || Operational::Unknown {
            kind: code,
            data: data.to_vec(),
        };
        if usize::from(length) != data.len() {
            return Ok(unknown());
        }
        let mut d = Reader::new(data);
        let (Some(afi), Some(safi)) = (d.u16(), d.u8()) else {
            return Ok(unknown());
        };
        let family = Family::new(Afi(afi), Safi(safi));
        let advisory = |kind| Operational::Advisory {
            kind,
            family,
            text: d.rest().to_vec(),
        };
        let count_kind = match code {
            kind::RPCQ | kind::RPCP => CountKind::Reachable,
            kind::APCQ | kind::APCP => CountKind::AdjRibOut,
            kind::LPCQ | kind::LPCP => CountKind::LocRib,
            kind::ADM => return Ok(advisory(AdvisoryKind::Demand)),
            kind::ASM => return Ok(advisory(AdvisoryKind::Static)),
            _ => return Ok(unknown()),
        };
        let (Some(router_id), Some(sequence)) = (d.u32(), d.u32()) else {
            return Ok(unknown());
        };
        let router_id = Ipv4Addr::from(router_id);
        let message = match code {
            kind::RPCQ | kind::APCQ | kind::LPCQ if d.is_empty() => Operational::Query {
                kind: count_kind,
                family,
                router_id,
                sequence,
            },
            kind::RPCP | kind::APCP | kind::LPCP => match (d.u32(), d.is_empty()) {
                (Some(counter), true) => Operational::Reply {
                    kind: count_kind,
                    family,
                    router_id,
                    sequence,
                    counter,
                },
                _ => unknown(),
            },
            _ => unknown(),
        };
        Ok(message)
    }

    /// Appends the body (without the BGP header).
    pub fn encode_body(&self, out: &mut Vec<u8>) {
        put_u16(out, self.kind_code());
        let at = out.len();
        put_u16(out, 0);
        match self {
            Operational::Advisory { family, text, .. } => {
                put_family(out, *family);
                out.extend_from_slice(text);
            }
            Operational::Query {
                family,
                router_id,
                sequence,
                ..
            } => {
                put_family(out, *family);
                out.extend_from_slice(&router_id.octets());
                put_u32(out, *sequence);
            }
            Operational::Reply {
                family,
                router_id,
                sequence,
                counter,
                ..
            } => {
                put_family(out, *family);
                out.extend_from_slice(&router_id.octets());
                put_u32(out, *sequence);
                put_u32(out, *counter);
            }
            Operational::Unknown { data, .. } => out.extend_from_slice(data),
        }
        let len = u16::try_from(out.len() - at - 2).unwrap_or(u16::MAX);
        if let Some(slot) = out.get_mut(at..at + 2) {
            slot.copy_from_slice(&len.to_be_bytes());
        }
    }
}

fn put_family(out: &mut Vec<u8>, family: Family) {
    put_u16(out, family.afi.0);
    out.push(family.safi.0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn layouts() {
        let adm = Operational::advisory(AdvisoryKind::Demand, Family::IPV4_UNICAST, "hi");
        let mut out = Vec::new();
        adm.encode_body(&mut out);
        assert_eq!(out, vec![0, 1, 0, 5, 0, 1, 1, b'h', b'i']);
        assert_eq!(Operational::decode(&out).unwrap(), adm);
        assert_eq!(adm.name(), "ADM");

        let reply = Operational::Reply {
            kind: CountKind::Reachable,
            family: Family::IPV4_UNICAST,
            router_id: Ipv4Addr::new(10, 0, 0, 1),
            sequence: 1,
            counter: 42,
        };
        let mut out = Vec::new();
        reply.encode_body(&mut out);
        assert_eq!(
            out,
            vec![0, 4, 0, 15, 0, 1, 1, 10, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 42]
        );
        assert_eq!(Operational::decode(&out).unwrap(), reply);
        for len in 0..4 {
            assert!(Operational::decode(&out[..len]).is_err());
        }
        for len in 4..out.len() {
            assert!(matches!(
                Operational::decode(&out[..len]).unwrap(),
                Operational::Unknown { .. }
            ));
        }
    }

    #[test]
    fn long_advisory_is_cut() {
        let adm = Operational::advisory(
            AdvisoryKind::Static,
            Family::IPV4_UNICAST,
            &"a".repeat(3000),
        );
        let Operational::Advisory { text, .. } = adm else {
            panic!("not an advisory")
        };
        assert_eq!(text.len(), MAX_ADVISORY);
        assert!(text.ends_with(b"..."));
    }

    fn family() -> impl Strategy<Value = Family> {
        (any::<u16>(), any::<u8>()).prop_map(|(a, s)| Family::new(Afi(a), Safi(s)))
    }

    fn count_kind() -> impl Strategy<Value = CountKind> {
        prop_oneof![
            Just(CountKind::Reachable),
            Just(CountKind::AdjRibOut),
            Just(CountKind::LocRib)
        ]
    }

    fn operational() -> impl Strategy<Value = Operational> {
        prop_oneof![
            (
                any::<bool>(),
                family(),
                proptest::collection::vec(any::<u8>(), 0..50)
            )
                .prop_map(|(demand, family, text)| Operational::Advisory {
                    kind: if demand {
                        AdvisoryKind::Demand
                    } else {
                        AdvisoryKind::Static
                    },
                    family,
                    text
                }),
            (count_kind(), family(), any::<u32>(), any::<u32>()).prop_map(
                |(kind, family, id, sequence)| Operational::Query {
                    kind,
                    family,
                    router_id: Ipv4Addr::from(id),
                    sequence
                }
            ),
            (
                count_kind(),
                family(),
                any::<u32>(),
                any::<u32>(),
                any::<u32>()
            )
                .prop_map(|(kind, family, id, sequence, counter)| Operational::Reply {
                    kind,
                    family,
                    router_id: Ipv4Addr::from(id),
                    sequence,
                    counter
                }),
            (9u16.., proptest::collection::vec(any::<u8>(), 0..30))
                .prop_map(|(kind, data)| Operational::Unknown { kind, data }),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(message in operational()) {
            let mut out = Vec::new();
            message.encode_body(&mut out);
            prop_assert_eq!(Operational::decode(&out).unwrap(), message);
        }

        #[test]
        fn decode_never_panics(body in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(message) = Operational::decode(&body) {
                let mut out = Vec::new();
                message.encode_body(&mut out);
                prop_assert_eq!(out.len(), body.len());
            }
        }
    }
}
