//! MP_REACH_NLRI and MP_UNREACH_NLRI values (RFC 4760): family, next-hop and NLRI, for
//! every family; NLRI of families not decoded yet are kept as one opaque block.
//!
//! ```text
//! MP_REACH_NLRI:   AFI: 2 | SAFI: 1 | next-hop length: 1 | next-hop | reserved: 1 | NLRI...
//! MP_UNREACH_NLRI: AFI: 2 | SAFI: 1 | withdrawn NLRI...
//! ```
//!
//! An MP_UNREACH_NLRI without NLRI is the End-of-RIB marker of its family (RFC 4724).

use super::evpn::EvpnNlri;
use super::family::{Afi, Family, Safi};
use super::flow::{is_flow_family, FlowNlri};
use super::linkstate::{LinkStateNlri, BGP_LS_FAMILY};
use super::negotiated::Negotiated;
use super::nlri::{decode_all, NextHop, Nlri, NlriError, NlriIter, NlriKind};
use super::wire::Reader;

/// The routes of one MP attribute: decoded for the families rexa understands (FlowSpec
/// apart, as [`FlowNlri`]), the raw NLRI bytes otherwise (EVPN, BGP-LS, MVPN, RTC,
/// unknown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MpNlri {
    Decoded(Vec<Nlri>),
    /// FlowSpec routes (ipv4/ipv6 flow and flow-vpn).
    Flow(Vec<FlowNlri>),
    /// EVPN routes (l2vpn evpn), each kept as received.
    Evpn(Vec<EvpnNlri>),
    /// BGP-LS routes (bgp-ls bgp-ls), each kept as received.
    LinkState(Vec<LinkStateNlri>),
    Opaque(Vec<u8>),
}

impl MpNlri {
    /// True when no route is carried.
    pub fn is_empty(&self) -> bool {
        match self {
            MpNlri::Decoded(routes) => routes.is_empty(),
            MpNlri::Flow(routes) => routes.is_empty(),
            MpNlri::Evpn(routes) => routes.is_empty(),
            MpNlri::LinkState(routes) => routes.is_empty(),
            MpNlri::Opaque(bytes) => bytes.is_empty(),
        }
    }

    /// The decoded routes (empty for opaque and FlowSpec NLRI).
    pub fn routes(&self) -> &[Nlri] {
        match self {
            MpNlri::Decoded(routes) => routes,
            MpNlri::Flow(_) | MpNlri::Evpn(_) | MpNlri::LinkState(_) | MpNlri::Opaque(_) => &[],
        }
    }

    /// The FlowSpec routes (empty for other families).
    pub fn flow_routes(&self) -> &[FlowNlri] {
        match self {
            MpNlri::Flow(routes) => routes,
            _ => &[],
        }
    }

    fn decode(
        bytes: &[u8],
        family: Family,
        addpath: bool,
        withdraw: bool,
    ) -> Result<MpNlri, NlriError> {
        if is_flow_family(family) {
            // ExaBGP neither sends nor expects path identifiers on FlowSpec routes.
            let mut routes = Vec::new();
            let mut rest = bytes;
            while !rest.is_empty() {
                let (route, used) = FlowNlri::decode_one(rest, family)
                    .map_err(|error| NlriError::Flow { family, error })?;
                routes.push(route);
                rest = rest.get(used..).unwrap_or(&[]);
            }
            return Ok(MpNlri::Flow(routes));
        }
        if family == Family::L2VPN_EVPN && !addpath {
            return EvpnNlri::decode_all(bytes, family).map(MpNlri::Evpn);
        }
        if family == BGP_LS_FAMILY && !addpath {
            return LinkStateNlri::decode_all(bytes, family).map(MpNlri::LinkState);
        }
        match NlriKind::of(family) {
            Some(kind) => {
                // No capacity from the peer's length: the Vec grows with what decodes.
                let mut routes = Vec::new();
                decode_all(
                    NlriIter::new(bytes, kind, family, addpath, withdraw),
                    &mut routes,
                )?;
                Ok(MpNlri::Decoded(routes))
            }
            None => Ok(MpNlri::Opaque(bytes.to_vec())),
        }
    }

    fn encode(&self, out: &mut Vec<u8>, addpath: bool) {
        match self {
            MpNlri::Decoded(routes) => {
                for route in routes {
                    route.encode(out, addpath);
                }
            }
            MpNlri::Flow(routes) => {
                for route in routes {
                    route.encode(out);
                }
            }
            MpNlri::Evpn(routes) => {
                for route in routes {
                    route.encode(out);
                }
            }
            MpNlri::LinkState(routes) => {
                for route in routes {
                    route.encode(out);
                }
            }
            MpNlri::Opaque(bytes) => out.extend_from_slice(bytes),
        }
    }
}

fn read_family(r: &mut Reader<'_>, unreach: bool) -> Result<Family, NlriError> {
    let afi = r.u16().ok_or(NlriError::MpHeaderTruncated { unreach })?;
    let safi = r.u8().ok_or(NlriError::MpHeaderTruncated { unreach })?;
    Ok(Family::new(Afi(afi), Safi(safi)))
}

/// An MP_REACH_NLRI value: the announced routes of one family and their next-hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpReach {
    pub family: Family,
    pub next_hop: NextHop,
    /// The byte after the next-hop (SNPA count in RFC 2858, reserved in RFC 4760); kept
    /// so that re-encoding is byte-identical.
    pub reserved: u8,
    pub nlri: MpNlri,
    /// The attribute header used (or is to use) the 2-byte extended length even when the
    /// value is shorter than 256 bytes. `decode` only sees the value and leaves it false;
    /// the attribute decoder sets it from the received flags so that re-encoding is
    /// byte-identical, and the attribute encoder honours it.
    pub extended_length: bool,
}

impl MpReach {
    /// Announces `routes` of `family` via `next_hop`.
    pub fn new(family: Family, next_hop: NextHop, routes: Vec<Nlri>) -> MpReach {
        MpReach {
            family,
            next_hop,
            reserved: 0,
            nlri: MpNlri::Decoded(routes),
            extended_length: false,
        }
    }

    /// Decodes the attribute value. Path identifiers are expected when
    /// `ctx.addpath_receive(family)`. The next-hop form follows from its length (see
    /// [`NextHop`]); a length that fits no form is an error for decoded families.
    pub fn decode(value: &[u8], ctx: &Negotiated) -> Result<MpReach, NlriError> {
        let mut r = Reader::new(value);
        let family = read_family(&mut r, false)?;
        let nh_len = r
            .u8()
            .ok_or(NlriError::MpHeaderTruncated { unreach: false })?;
        let nh_bytes = r
            .take(usize::from(nh_len))
            .ok_or(NlriError::NextHopLength {
                family,
                len: nh_len,
            })?;
        // Decoded families need a next-hop; the form follows from the length alone, so an
        // RFC 8950 IPv6 next-hop is accepted whether or not the capability was agreed.
        let decoded = NlriKind::of(family).is_some();
        let next_hop = match NextHop::decode(nh_bytes) {
            Some(NextHop::None) if decoded => {
                return Err(NlriError::NextHopLength {
                    family,
                    len: nh_len,
                })
            }
            Some(nh) => nh,
            None if !decoded => NextHop::Other(nh_bytes.into()),
            None => {
                return Err(NlriError::NextHopLength {
                    family,
                    len: nh_len,
                })
            }
        };
        let reserved = r
            .u8()
            .ok_or(NlriError::MpHeaderTruncated { unreach: false })?;
        let nlri = MpNlri::decode(r.rest(), family, ctx.addpath_receive(family), false)?;
        Ok(MpReach {
            family,
            next_hop,
            reserved,
            nlri,
            extended_length: false,
        })
    }

    /// Appends the attribute value (without the attribute header). Path identifiers are
    /// written when `ctx.addpath_send(family)`.
    pub fn encode_value(&self, out: &mut Vec<u8>, ctx: &Negotiated) {
        self.encode_head(out);
        self.nlri.encode(out, ctx.addpath_send(self.family));
    }

    /// AFI, SAFI, next-hop length, next-hop and reserved byte: everything before the NLRI.
    pub fn encode_head(&self, out: &mut Vec<u8>) {
        encode_family(out, self.family);
        // wire_len is at most 255: `Other` came from a one-byte length, the rest are fixed.
        out.push(u8::try_from(self.next_hop.wire_len()).unwrap_or(u8::MAX));
        self.next_hop.encode(out);
        out.push(self.reserved);
    }

    /// Length of the value before the NLRI.
    pub fn head_len(&self) -> usize {
        5 + self.next_hop.wire_len()
    }
}

/// An MP_UNREACH_NLRI value: the withdrawn routes of one family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpUnreach {
    pub family: Family,
    pub nlri: MpNlri,
    /// As [`MpReach::extended_length`]. ExaBGP always sends MP_UNREACH_NLRI with the
    /// extended length (`0x90 0x0F 0x00 0x03` for an End-of-RIB), so the constructors
    /// set it; `decode` leaves it false for the attribute decoder to fill in.
    pub extended_length: bool,
}

impl MpUnreach {
    /// Withdraws `routes` of `family`.
    pub fn new(family: Family, routes: Vec<Nlri>) -> MpUnreach {
        MpUnreach {
            family,
            nlri: MpNlri::Decoded(routes),
            extended_length: true,
        }
    }

    /// The End-of-RIB marker of `family`: no NLRI.
    pub fn end_of_rib(family: Family) -> MpUnreach {
        let nlri = match NlriKind::of(family) {
            _ if is_flow_family(family) => MpNlri::Flow(Vec::new()),
            _ if family == Family::L2VPN_EVPN => MpNlri::Evpn(Vec::new()),
            _ if family == BGP_LS_FAMILY => MpNlri::LinkState(Vec::new()),
            Some(_) => MpNlri::Decoded(Vec::new()),
            None => MpNlri::Opaque(Vec::new()),
        };
        MpUnreach {
            family,
            nlri,
            extended_length: true,
        }
    }

    pub fn is_end_of_rib(&self) -> bool {
        self.nlri.is_empty()
    }

    /// Decodes the attribute value; path identifiers when `ctx.addpath_receive(family)`.
    /// Labeled withdrawals carry one label field each (RFC 8277 §2.4).
    pub fn decode(value: &[u8], ctx: &Negotiated) -> Result<MpUnreach, NlriError> {
        let mut r = Reader::new(value);
        let family = read_family(&mut r, true)?;
        let nlri = MpNlri::decode(r.rest(), family, ctx.addpath_receive(family), true)?;
        Ok(MpUnreach {
            family,
            nlri,
            extended_length: false,
        })
    }

    /// Appends the attribute value (without the attribute header).
    pub fn encode_value(&self, out: &mut Vec<u8>, ctx: &Negotiated) {
        encode_family(out, self.family);
        self.nlri.encode(out, ctx.addpath_send(self.family));
    }
}

fn encode_family(out: &mut Vec<u8>, family: Family) {
    out.extend_from_slice(&family.afi.0.to_be_bytes());
    out.push(family.safi.0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::nlri::{Labels, Prefix, RouteDistinguisher};
    use crate::bgp::wire::hex;
    use proptest::prelude::*;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    fn round_trip_reach(value: &[u8], ctx: &Negotiated) -> MpReach {
        let mp = MpReach::decode(value, ctx).unwrap();
        let mut out = Vec::new();
        mp.encode_value(&mut out, ctx);
        assert_eq!(out, value);
        mp
    }

    #[test]
    fn ipv6_unicast_global_and_link_local() {
        let ctx = Negotiated::default();
        let value = hex(concat!(
            "000201102A020B80000000020000000000000001",
            "00802A020B80000000010000000000000001"
        ));
        let mp = round_trip_reach(&value, &ctx);
        assert_eq!(mp.family, Family::IPV6_UNICAST);
        assert_eq!(
            mp.next_hop.address(),
            Some("2a02:b80:0:2::1".parse::<IpAddr>().unwrap())
        );
        assert_eq!(mp.nlri.routes()[0].to_string(), "2a02:b80:0:1::1/128");
        let value = hex(concat!(
            "00020120",
            "20010DB8000000000000000000000001",
            "FE800000000000000000000000000001",
            "00",
            "2020010DB8"
        ));
        let mp = round_trip_reach(&value, &ctx);
        assert_eq!(
            mp.next_hop.link_local(),
            Some("fe80::1".parse::<Ipv6Addr>().unwrap())
        );
    }

    #[test]
    fn ipv6_nlri_with_ipv4_next_hop() {
        // extended-nexthop.ci: IPv6 NLRI with a 4-byte next-hop.
        let value = hex("00020104AAAAAAAA0080DEADBEEFDEADBEEFDEADBEEFDEADBEEF");
        let mp = round_trip_reach(&value, &Negotiated::default());
        assert_eq!(
            mp.next_hop,
            NextHop::Ipv4(Ipv4Addr::new(170, 170, 170, 170))
        );
    }

    #[test]
    fn ipv4_nlri_with_ipv6_next_hop() {
        let value = hex("000101100BADCAFE0BADCAFE0BADCAFE0BADCAFE002099999999");
        let mp = round_trip_reach(&value, &Negotiated::default());
        assert!(matches!(mp.next_hop, NextHop::Ipv6(_)));
        assert_eq!(mp.nlri.routes()[0].to_string(), "153.153.153.153/32");
    }

    #[test]
    fn vpnv4_over_ipv6_next_hop_without_capability() {
        // decoding/vpnv4-extended-nexthop-1: 24-byte RD + IPv6 next-hop for VPNv4.
        let value = hex("000180180000000000000000CAFE0000000000000000000000000001007000003100000004000000640A0100");
        let mp = round_trip_reach(&value, &Negotiated::default());
        assert_eq!(
            mp.next_hop.address(),
            Some(IpAddr::V6("cafe::1".parse::<Ipv6Addr>().unwrap()))
        );
        let route = &mp.nlri.routes()[0];
        assert_eq!(route.rd().unwrap().to_string(), "4:100");
        assert_eq!(route.get_prefix().to_string(), "10.1.0.0/24");
        assert_eq!(route.labels().unwrap().entries()[0].label(), 3);
    }

    #[test]
    fn vpn_with_addpath() {
        // conf-addpath.ci: ipv4 mpls-vpn with path id 10.
        let value = hex("0001800C0000000000000000C0A80001000000000A7004E2C100000064000000640A0000");
        let ctx = Negotiated {
            addpath_receive: vec![Family::IPV4_MPLS_VPN],
            addpath_send: vec![Family::IPV4_MPLS_VPN],
            ..Negotiated::default()
        };
        let mp = round_trip_reach(&value, &ctx);
        assert_eq!(mp.nlri.routes()[0].path_id(), Some(10));
        assert_eq!(
            mp.nlri.routes()[0].labels().unwrap().entries()[0].label(),
            20012
        );
        // Without ADD-PATH the same bytes do not parse as one route.
        assert!(MpReach::decode(&value, &Negotiated::default()).is_err());
    }

    #[test]
    fn flow_decoded_with_empty_next_hop() {
        let value = hex("0001850000050901048109");
        let mp = round_trip_reach(&value, &Negotiated::default());
        assert_eq!(mp.next_hop, NextHop::None);
        let routes = mp.nlri.flow_routes();
        assert_eq!(routes.len(), 1);
        assert_eq!(routes[0].component_bytes(), hex("0901048109"));
        // A component out of order is an NLRI error, not an opaque block.
        let bad = hex("000185000006038106018106");
        assert!(matches!(
            MpReach::decode(&bad, &Negotiated::default()),
            Err(NlriError::Flow { .. })
        ));
    }

    #[test]
    fn opaque_family_keeps_odd_next_hop() {
        let value = hex("001947050102030405000102");
        let mp = round_trip_reach(&value, &Negotiated::default());
        assert!(matches!(mp.next_hop, NextHop::Other(_)));
    }

    #[test]
    fn unreach_and_end_of_rib() {
        let ctx = Negotiated::default();
        let eor = MpUnreach::decode(&hex("000201"), &ctx).unwrap();
        assert!(eor.is_end_of_rib());
        assert_eq!(
            eor,
            MpUnreach {
                extended_length: false,
                ..MpUnreach::end_of_rib(Family::IPV6_UNICAST)
            }
        );
        let flow_eor = MpUnreach::decode(&hex("000185"), &ctx).unwrap();
        assert!(flow_eor.is_end_of_rib());
        let mut out = Vec::new();
        flow_eor.encode_value(&mut out, &ctx);
        assert_eq!(out, hex("000185"));
        let wd = MpUnreach::decode(&hex("000104308000000A0A0A"), &ctx).unwrap();
        assert_eq!(
            wd.nlri.routes()[0].to_string(),
            "10.10.10.0/24 label [ 524288 ]"
        );
    }

    #[test]
    fn hostile_values() {
        let ctx = Negotiated::default();
        assert_eq!(
            MpReach::decode(&hex("00010100000018010203"), &ctx),
            Err(NlriError::NextHopLength {
                family: Family::IPV4_UNICAST,
                len: 0
            })
        );
        assert_eq!(
            MpReach::decode(&hex("0001"), &ctx),
            Err(NlriError::MpHeaderTruncated { unreach: false })
        );
        assert_eq!(
            MpUnreach::decode(&hex("00"), &ctx),
            Err(NlriError::MpHeaderTruncated { unreach: true })
        );
        assert_eq!(
            MpReach::decode(&hex("00010110010203"), &ctx),
            Err(NlriError::NextHopLength {
                family: Family::IPV4_UNICAST,
                len: 16
            })
        );
        assert_eq!(
            MpReach::decode(&hex("000101050102030405"), &ctx),
            Err(NlriError::NextHopLength {
                family: Family::IPV4_UNICAST,
                len: 5
            })
        );
        assert_eq!(
            MpReach::decode(&hex("0001010401020304"), &ctx),
            Err(NlriError::MpHeaderTruncated { unreach: false })
        );
        assert!(matches!(
            MpReach::decode(&hex("000101040102030400210A0A0A0A0A"), &ctx),
            Err(NlriError::PrefixTooLong { .. })
        ));
    }

    fn arb_next_hop() -> impl Strategy<Value = NextHop> {
        let rd = any::<[u8; 8]>().prop_map(RouteDistinguisher);
        prop_oneof![
            any::<[u8; 4]>().prop_map(|a| NextHop::Ipv4(a.into())),
            any::<[u8; 16]>().prop_map(|a| NextHop::Ipv6(a.into())),
            (any::<[u8; 16]>(), any::<[u8; 16]>()).prop_map(|(g, l)| NextHop::Ipv6LinkLocal {
                global: g.into(),
                link_local: l.into()
            }),
            (rd.clone(), any::<[u8; 4]>())
                .prop_map(|(rd, a)| NextHop::VpnIpv4 { rd, addr: a.into() }),
            (rd.clone(), any::<[u8; 16]>())
                .prop_map(|(rd, a)| NextHop::VpnIpv6 { rd, addr: a.into() }),
            (rd.clone(), any::<[u8; 16]>(), rd, any::<[u8; 16]>()).prop_map(|(rd, g, lrd, l)| {
                NextHop::VpnIpv6LinkLocal {
                    rd,
                    global: g.into(),
                    link_local_rd: lrd,
                    link_local: l.into(),
                }
            }),
        ]
    }

    proptest! {
        #[test]
        fn reach_round_trip(next_hop in arb_next_hop(), len in 0u8..=24, n in 0usize..5,
                            safi in prop_oneof![Just(Safi::UNICAST), Just(Safi::NLRI_MPLS), Just(Safi::MPLS_VPN)],
                            addpath in any::<bool>()) {
            let family = Family::new(Afi::IPV4, safi);
            let prefix = Prefix::v4(Ipv4Addr::new(10, 1, 2, 3), len).unwrap();
            let routes: Vec<Nlri> = (0..n).map(|i| {
                let path_id = addpath.then_some(i as u32);
                let labels = Labels::from_values(&[16 + i as u32]).unwrap();
                match safi {
                    Safi::UNICAST => Nlri::Prefix { path_id, prefix },
                    Safi::NLRI_MPLS => Nlri::labeled(path_id, labels, prefix),
                    _ => Nlri::vpn(path_id, labels, RouteDistinguisher::as2(1, i as u32), prefix),
                }
            }).collect();
            let mp = MpReach::new(family, next_hop, routes);
            let ctx = Negotiated {
                addpath_receive: if addpath { vec![family] } else { vec![] },
                addpath_send: if addpath { vec![family] } else { vec![] },
                ..Negotiated::default()
            };
            let mut out = Vec::new();
            mp.encode_value(&mut out, &ctx);
            prop_assert_eq!(MpReach::decode(&out, &ctx).unwrap(), mp);
        }

        #[test]
        fn random_values_of_decoded_families_never_panic(
            afi in 1u16..=2,
            safi in prop_oneof![Just(1u8), Just(2), Just(4), Just(128)],
            nh_len in prop_oneof![Just(4u8), Just(12), Just(16), Just(24), Just(32), Just(48), any::<u8>()],
            rest in proptest::collection::vec(any::<u8>(), 0..120),
            addpath in any::<bool>(),
        ) {
            let family = Family::new(Afi(afi), Safi(safi));
            let ctx = Negotiated {
                addpath_receive: if addpath { vec![family] } else { vec![] },
                addpath_send: if addpath { vec![family] } else { vec![] },
                ..Negotiated::default()
            };
            let mut value = vec![0, afi as u8, safi, nh_len];
            value.extend_from_slice(&rest);
            if let Ok(mp) = MpReach::decode(&value, &ctx) {
                let mut out = Vec::new();
                mp.encode_value(&mut out, &ctx);
                prop_assert_eq!(out, value.clone());
            }
            let mut value = vec![0, afi as u8, safi];
            value.extend_from_slice(&rest);
            if let Ok(mp) = MpUnreach::decode(&value, &ctx) {
                let mut out = Vec::new();
                mp.encode_value(&mut out, &ctx);
                prop_assert_eq!(out, value);
            }
        }

        #[test]
        fn random_values_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let ctx = Negotiated::default();
            if let Ok(mp) = MpReach::decode(&bytes, &ctx) {
                let mut out = Vec::new();
                mp.encode_value(&mut out, &ctx);
                prop_assert_eq!(out, bytes.clone());
            }
            if let Ok(mp) = MpUnreach::decode(&bytes, &ctx) {
                let mut out = Vec::new();
                mp.encode_value(&mut out, &ctx);
                prop_assert_eq!(out, bytes);
            }
        }
    }
}
