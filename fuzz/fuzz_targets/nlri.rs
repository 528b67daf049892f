//! NLRI fields of every decoded family (unicast, multicast, labeled, VPN, VPLS, MUP, SR
//! Policy, FlowSpec, EVPN, BGP-LS; with or without ADD-PATH; announce or withdraw), next-hop
//! fields, MP_REACH/MP_UNREACH values and (the same bytes) a BGP-LS attribute value.
//! Input: family selector, mode bits, then the bytes. Every decoded route must re-encode to
//! the same route, in the number of bytes `encoded_len` promises.
#![no_main]

use std::fmt::Write as _;

use libfuzzer_sys::fuzz_target;
use rexa::api::message_json::linkstate_attribute_json as attribute_json;
use rexa::bgp::evpn::EvpnNlri;
use rexa::bgp::flow::{is_flow_family, FlowInline, FlowNlri};
use rexa::bgp::linkstate::{LinkStateNlri, BGP_LS_FAMILY};
use rexa::bgp::mp::{MpReach, MpUnreach};
use rexa::bgp::nlri::{decode_all, NextHop, NlriIter, NlriKind};
use rexa::bgp::{Afi, Family, Safi};
use rexa_fuzz::{assert_round_trip, context, exercise_error};

/// The families an input can pick.
const FAMILIES: [Family; 19] = [
    Family::IPV4_UNICAST,
    Family::IPV6_UNICAST,
    Family::IPV4_MULTICAST,
    Family::IPV6_MULTICAST,
    Family::IPV4_NLRI_MPLS,
    Family::IPV6_NLRI_MPLS,
    Family::IPV4_MPLS_VPN,
    Family::IPV6_MPLS_VPN,
    Family::L2VPN_VPLS,
    Family::new(Afi::IPV4, Safi::MUP),
    Family::new(Afi::IPV6, Safi::MUP),
    Family::new(Afi::IPV4, Safi::SR_POLICY),
    Family::new(Afi::IPV6, Safi::SR_POLICY),
    Family::IPV4_FLOW,
    Family::IPV4_FLOW_VPN,
    Family::IPV6_FLOW,
    Family::IPV6_FLOW_VPN,
    Family::L2VPN_EVPN,
    BGP_LS_FAMILY,
];

fuzz_target!(|data: &[u8]| {
    let [selector, mode, bytes @ ..] = data else {
        return;
    };
    let family = FAMILIES[usize::from(*selector) % FAMILIES.len()];
    let addpath = mode & 1 != 0;
    let withdraw = mode & 2 != 0;

    if is_flow_family(family) {
        // FlowSpec: every route decoded must re-encode to its exact bytes and render.
        let mut rest = bytes;
        while !rest.is_empty() {
            match FlowNlri::decode_one(rest, family) {
                Ok((route, used)) => {
                    let mut again = Vec::new();
                    route.encode(&mut again);
                    assert_eq!(again.len(), route.encoded_len());
                    assert_eq!(Some(&again[..]), rest.get(..used), "{route:?}");
                    let mut text = String::new();
                    let _ = route.write_string(&mut text, None);
                    // The inline form of the adj-rib-out encodes and renders the same.
                    if let Some(inline) = route.inline() {
                        let mut inline_bytes = Vec::new();
                        inline.encode(&mut inline_bytes);
                        assert_eq!(inline_bytes, again, "{inline:?}");
                        let mut inline_text = String::new();
                        let _ = inline.write_string(&mut inline_text, None);
                        assert_eq!(inline_text, text);
                        let ipv6 = family.afi == rexa::bgp::Afi::IPV6;
                        assert_eq!(
                            FlowInline::new(ipv6, inline.rd(), inline.component_bytes()),
                            Ok(inline)
                        );
                    }
                    rest = &rest[used..];
                }
                Err(e) => {
                    let _ = e.to_string();
                    break;
                }
            }
        }
    }

    if family == Family::L2VPN_EVPN {
        // Every route keeps its exact bytes; its fields, when they parse, render.
        match EvpnNlri::decode_all(bytes, family) {
            Ok(routes) => {
                let mut again = Vec::new();
                for route in &routes {
                    route.encode(&mut again);
                    let _ = route.route().map(|r| r.name());
                }
                assert_eq!(again, bytes);
            }
            Err(e) => exercise_error(&e.into()),
        }
    }
    if family == BGP_LS_FAMILY {
        match LinkStateNlri::decode_all(bytes, family) {
            Ok(routes) => {
                let mut again = Vec::new();
                for route in &routes {
                    route.encode(&mut again);
                    let json = rexa::api::message_json::linkstate_nlri_json(route, None);
                    assert!(json.starts_with('{') && json.ends_with('}'), "{json}");
                }
                assert_eq!(again, bytes);
            }
            Err(e) => exercise_error(&e.into()),
        }
        if let Some(json) = attribute_json(bytes) {
            assert!(json.starts_with("{ ") && json.ends_with(" }"), "{json}");
        }
    }

    if let Some(kind) = NlriKind::of(family) {
        let mut routes = Vec::new();
        match decode_all(
            NlriIter::new(bytes, kind, family, addpath, withdraw),
            &mut routes,
        ) {
            Ok(()) => {
                let mut text = String::new();
                for route in &routes {
                    let _ = write!(text, "{route}");
                    let mut one = Vec::new();
                    route.encode(&mut one, addpath);
                    assert_eq!(
                        one.len(),
                        route.encoded_len(addpath),
                        "encoded_len of {route:?}"
                    );
                    assert!(route.is_encodable());
                }
                assert_round_trip("NLRI", &routes, false, |routes| {
                    let mut again = Vec::new();
                    for route in routes {
                        route.encode(&mut again, addpath);
                    }
                    let mut decoded = Vec::new();
                    decode_all(
                        NlriIter::new(&again, kind, family, addpath, withdraw),
                        &mut decoded,
                    )
                    .map(|()| decoded)
                });
            }
            Err(e) => exercise_error(&e.into()),
        }
    }

    // The same bytes as a next-hop field: the form follows from the length alone, so a
    // decoded next-hop is the received bytes.
    if let Some(next_hop) = NextHop::decode(bytes) {
        let mut again = Vec::new();
        next_hop.encode(&mut again);
        assert_eq!(again, bytes, "next-hop {next_hop:?} re-encodes differently");
        assert_eq!(next_hop.wire_len(), bytes.len());
        let _ = next_hop.to_string();
        let _ = next_hop.address();
        let _ = next_hop.link_local();
    }

    // And as MP_REACH_NLRI / MP_UNREACH_NLRI values under the context of the mode byte.
    let ctx = context(*mode);
    match MpReach::decode(bytes, &ctx) {
        Ok(reach) => assert_round_trip("MP_REACH_NLRI", &reach, false, |reach| {
            let mut again = Vec::new();
            reach.encode_value(&mut again, &ctx);
            MpReach::decode(&again, &ctx).map(|mut decoded| {
                decoded.extended_length = reach.extended_length;
                decoded
            })
        }),
        Err(e) => exercise_error(&e.into()),
    }
    match MpUnreach::decode(bytes, &ctx) {
        Ok(unreach) => assert_round_trip("MP_UNREACH_NLRI", &unreach, false, |unreach| {
            let mut again = Vec::new();
            unreach.encode_value(&mut again, &ctx);
            MpUnreach::decode(&again, &ctx).map(|mut decoded| {
                decoded.extended_length = unreach.extended_length;
                decoded
            })
        }),
        Err(e) => exercise_error(&e.into()),
    }
});
