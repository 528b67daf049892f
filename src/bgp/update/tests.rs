use super::*;
use crate::bgp::attribute::AttributeError;
use crate::bgp::nlri::{NlriError, Prefix};
use crate::bgp::wire::hex;
use proptest::prelude::*;
use std::net::Ipv4Addr;

/// ORIGIN igp, empty AS_PATH, NEXT_HOP 10.0.0.1, LOCAL_PREF 100.
const ATTRIBUTES: &str = "40010100 400200 4003040A000001 40050400000064";

fn route(a: u8, b: u8, c: u8) -> Nlri {
    Nlri::prefix(Prefix::v4(Ipv4Addr::new(a, b, c, 0), 24).unwrap())
}

fn body(withdrawn: &str, attributes: &str, nlri: &str) -> Vec<u8> {
    let (w, a, n) = (hex(withdrawn), hex(attributes), hex(nlri));
    let mut out = Vec::new();
    out.extend_from_slice(&(w.len() as u16).to_be_bytes());
    out.extend_from_slice(&w);
    out.extend_from_slice(&(a.len() as u16).to_be_bytes());
    out.extend_from_slice(&a);
    out.extend_from_slice(&n);
    out
}

#[test]
fn decode_and_encode_ipv4() {
    let ctx = Negotiated::default();
    let bytes = body("18CB0071", ATTRIBUTES, "18C63364 200A000001");
    let update = Update::decode(&bytes, &ctx).unwrap();
    assert_eq!(update.withdrawn, [route(203, 0, 113)]);
    assert_eq!(update.announced.len(), 2);
    assert_eq!(update.attributes.len(), 4);
    let mut out = Vec::new();
    update.encode_body(&mut out, &ctx);
    assert_eq!(out, bytes);
    let mut message = Vec::new();
    update.encode_message(&mut message, &ctx);
    assert_eq!(message.len(), HEADER_LEN + bytes.len());
    assert_eq!(&message[16..19], &[0, (HEADER_LEN + bytes.len()) as u8, 2]);
}

/// Found by the `update` fuzz target: a lone malformed AS4_AGGREGATOR is discarded
/// (RFC 7606), which leaves a decoded End-of-RIB (as ExaBGP 5.0.15 reports it) while
/// the wire form is not the RFC 4724 marker.
#[test]
fn discarded_attributes_leave_an_end_of_rib() {
    let ctx = Negotiated::default();
    let bytes = body("", "401200", "");
    assert_eq!(UpdateView::new(&bytes).unwrap().end_of_rib(), None);
    let update = Update::decode(&bytes, &ctx).unwrap();
    assert!(update.attributes.is_empty());
    assert_eq!(update.end_of_rib(), Some(Family::IPV4_UNICAST));
}

#[test]
fn framing_errors_reset_the_session() {
    let ctx = Negotiated::default();
    for bad in [
        hex(""),
        hex("00"),
        hex("0005 18"),
        hex("0000 00"),
        hex("0000 0010 400101"),
    ] {
        let err = Update::decode(&bad, &ctx).unwrap_err();
        assert_eq!(err.action(), ErrorAction::SessionReset, "{bad:02X?}");
        assert_eq!(err.notification().code, 3);
        assert_eq!(err.notification().subcode, 1);
        assert!(Update::decode_lenient(&bad, &ctx).is_err());
    }
    assert_eq!(
        UpdateView::new(&hex("0005 18")),
        Err(UpdateError::WithdrawnLength {
            length: 5,
            available: 1
        })
    );
}

#[test]
fn nlri_errors_reset_the_session() {
    let ctx = Negotiated::default();
    let bad = body("", ATTRIBUTES, "210A0A0A0A0A");
    let err = Update::decode(&bad, &ctx).unwrap_err();
    assert_eq!(
        err,
        DecodeError::Nlri(NlriError::PrefixTooLong {
            family: Family::IPV4_UNICAST,
            bits: 33
        })
    );
    assert_eq!(err.action(), ErrorAction::SessionReset);
    assert_eq!(err.notification().subcode, 10);
    let truncated = body("180A", "", "");
    assert!(Update::decode_lenient(&truncated, &ctx).is_err());
}

#[test]
fn missing_mandatory_is_treat_as_withdraw() {
    let ctx = Negotiated::default();
    // No NEXT_HOP with IPv4 NLRI.
    let bytes = body("180A0000", "40010100 400200", "180A0001");
    let err = Update::decode(&bytes, &ctx).unwrap_err();
    assert_eq!(
        err,
        DecodeError::Update(UpdateError::MissingAttribute { code: 3 })
    );
    assert_eq!(err.action(), ErrorAction::TreatAsWithdraw);
    assert_eq!(err.notification(), Notification::new(3, 3, vec![3]));
    match Update::decode_lenient(&bytes, &ctx).unwrap() {
        Decoded::TreatAsWithdraw { withdraw, error } => {
            assert_eq!(error, err);
            assert_eq!(withdraw.withdrawn, [route(10, 0, 0), route(10, 0, 1)]);
            assert!(withdraw.announced.is_empty());
        }
        other => panic!("{other:?}"),
    }
    // MP_REACH with routes but no ORIGIN: its routes become an MP_UNREACH.
    let mp = "800E0E 00020110 20010DB8000000000000000000000001 00 2020010DB8";
    let mp = mp.replace("800E0E", "800E1A");
    let bytes = body("", &format!("400200 {mp}"), "");
    match Update::decode_lenient(&bytes, &ctx).unwrap() {
        Decoded::TreatAsWithdraw { withdraw, error } => {
            assert_eq!(
                error,
                DecodeError::Update(UpdateError::MissingAttribute { code: 1 })
            );
            let unreach: Vec<_> = withdraw.mp_unreach().collect();
            assert_eq!(unreach.len(), 1);
            assert_eq!(unreach[0].family, Family::IPV6_UNICAST);
            assert_eq!(unreach[0].nlri.routes()[0].to_string(), "2001:db8::/32");
        }
        other => panic!("{other:?}"),
    }
    // Withdraw-only UPDATEs need no attributes.
    let bytes = body("180A0000", "", "");
    assert!(matches!(
        Update::decode_lenient(&bytes, &ctx).unwrap(),
        Decoded::Update(_)
    ));
}

#[test]
fn attribute_framing_error_is_withdrawn_leniently() {
    let ctx = Negotiated::default();
    // The stub attribute decoder treats an overrunning attribute as treat-as-withdraw;
    // whatever the attribute work decides, the lenient path follows its action().
    let bytes = body("", "40010100 4002FF", "180A0001");
    let err = Update::decode(&bytes, &ctx).unwrap_err();
    assert!(matches!(
        err,
        DecodeError::Attribute(AttributeError::Truncated)
    ));
    match Update::decode_lenient(&bytes, &ctx) {
        Ok(Decoded::TreatAsWithdraw { withdraw, .. }) => {
            assert_eq!(withdraw.withdrawn, [route(10, 0, 1)])
        }
        Err(e) => assert_ne!(e.action(), ErrorAction::TreatAsWithdraw),
        Ok(other) => panic!("{other:?}"),
    }
}

#[test]
fn end_of_rib() {
    let ctx = Negotiated::default();
    for family in [
        Family::IPV4_UNICAST,
        Family::IPV6_UNICAST,
        Family::IPV4_FLOW,
        Family::L2VPN_EVPN,
    ] {
        let mut message = Vec::new();
        write_end_of_rib(&mut message, family);
        let expected = if family == Family::IPV4_UNICAST {
            hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 0017 02 00000000")
        } else {
            let mut m = hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 001E 02 00000007 900F0003");
            m.extend_from_slice(&family.afi.0.to_be_bytes());
            m.push(family.safi.0);
            m
        };
        assert_eq!(message, expected);
        let body = &message[HEADER_LEN..];
        assert_eq!(UpdateView::new(body).unwrap().end_of_rib(), Some(family));
        let update = Update::decode(body, &ctx).unwrap();
        assert_eq!(update.end_of_rib(), Some(family));
        let marker = Update::end_of_rib_marker(family);
        assert_eq!(marker.end_of_rib(), Some(family));
    }
    let bytes = body("180A0000", "", "");
    assert_eq!(UpdateView::new(&bytes).unwrap().end_of_rib(), None);
    assert_eq!(Update::decode(&bytes, &ctx).unwrap().end_of_rib(), None);
}

#[test]
fn packing_ipv4_fills_the_message() {
    let ctx = Negotiated::default();
    let attributes = hex(ATTRIBUTES);
    let routes: Vec<Nlri> = (0..2000u32)
        .map(|i| route(10, (i >> 8) as u8, i as u8))
        .collect();
    let mut out = Vec::new();
    let mut sent = 0;
    let mut messages = 0;
    while sent < routes.len() {
        let start = out.len();
        let n = write_ipv4_announce(&mut out, &attributes, &routes[sent..], &ctx);
        assert!(n > 0);
        let message = &out[start..];
        assert!(message.len() <= 4096);
        assert_eq!(
            usize::from(u16::from_be_bytes([message[16], message[17]])),
            message.len()
        );
        let update = Update::decode(&message[HEADER_LEN..], &ctx).unwrap();
        assert_eq!(update.announced, routes[sent..sent + n]);
        // Full unless it is the last one.
        if sent + n < routes.len() {
            assert!(message.len() + 4 > 4096);
        }
        sent += n;
        messages += 1;
    }
    assert_eq!(messages, 2);
    assert_eq!(write_ipv4_announce(&mut out, &attributes, &[], &ctx), 0);

    let mut out = Vec::new();
    let n = write_ipv4_withdraw(&mut out, &routes, &ctx);
    assert!(out.len() <= 4096 && out.len() + 4 > 4096);
    let update = Update::decode(&out[HEADER_LEN..], &ctx).unwrap();
    assert_eq!(update.withdrawn, routes[..n]);
}

#[test]
fn packing_mp_routes() {
    let family = Family::IPV6_UNICAST;
    let ctx = Negotiated {
        addpath_send: vec![family],
        addpath_receive: vec![family],
        ..Negotiated::default()
    };
    let attributes = hex("40010100 400200");
    let routes: Vec<Nlri> = (0..1000u16)
        .map(|i| {
            let mut addr = [0u8; 16];
            addr[..2].copy_from_slice(&[0x20, 0x01]);
            addr[2..4].copy_from_slice(&i.to_be_bytes());
            Nlri::prefix(Prefix::v6(addr.into(), 32).unwrap()).with_path_id(Some(7))
        })
        .collect();
    let next_hop = NextHop::Ipv6("2001:db8::1".parse().unwrap());
    // Few routes: one-byte attribute length, as ExaBGP.
    let mut out = Vec::new();
    assert_eq!(
        write_mp_announce(&mut out, &attributes, family, &next_hop, &routes[..2], &ctx),
        2
    );
    let body = &out[HEADER_LEN..];
    let mp_at = 4 + attributes.len();
    assert_eq!(&body[mp_at..mp_at + 2], &[0x80, 0x0E]);
    let update = Update::decode(body, &ctx).unwrap();
    let reach: Vec<_> = update.mp_reach().collect();
    assert_eq!(reach[0].nlri.routes(), &routes[..2]);
    assert_eq!(reach[0].next_hop, next_hop);
    let mut again = Vec::new();
    update.encode_body(&mut again, &ctx);
    assert_eq!(again, body);
    // Many routes: extended length, full message.
    let mut out = Vec::new();
    let n = write_mp_announce(&mut out, &attributes, family, &next_hop, &routes, &ctx);
    assert!(out.len() <= 4096 && out.len() + 9 > 4096);
    let update = Update::decode(&out[HEADER_LEN..], &ctx).unwrap();
    assert_eq!(
        update.mp_reach().next().unwrap().nlri.routes(),
        &routes[..n]
    );
    // Withdrawals.
    let mut out = Vec::new();
    let n = write_mp_withdraw(&mut out, family, &routes, &ctx);
    let update = Update::decode(&out[HEADER_LEN..], &ctx).unwrap();
    assert_eq!(
        update.mp_unreach().next().unwrap().nlri.routes(),
        &routes[..n]
    );
    assert_eq!(&out[HEADER_LEN + 4..HEADER_LEN + 6], &[0x90, 0x0F]);
}

/// ExaBGP 5.0.15 (`Attribute._attribute`) writes MP_UNREACH_NLRI with the one-byte
/// length when the value fits in 255 bytes: flag 0x80, not 0x90.
#[test]
fn short_mp_unreach_uses_the_one_byte_length() {
    let ctx = Negotiated::default();
    let prefix = Prefix::new("2001:db8::".parse().unwrap(), 32).unwrap();
    let mut out = Vec::new();
    let n = write_mp_withdraw(
        &mut out,
        Family::IPV6_UNICAST,
        &[Nlri::prefix(prefix)],
        &ctx,
    );
    assert_eq!(n, 1);
    assert_eq!(
        out,
        hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF 0022 02 0000 000B 800F08 0002 01 20 20010DB8")
    );
}

proptest! {
    #[test]
    fn random_bodies_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120),
                                 addpath in any::<bool>()) {
        let ctx = Negotiated {
            addpath_receive: if addpath { vec![Family::IPV4_UNICAST] } else { vec![] },
            addpath_send: if addpath { vec![Family::IPV4_UNICAST] } else { vec![] },
            ..Negotiated::default()
        };
        let _ = Update::decode_lenient(&bytes, &ctx);
        if let Ok(view) = UpdateView::new(&bytes) {
            let _ = view.end_of_rib();
            for _ in view.raw_attributes() {}
            for _ in view.announced(&ctx) {}
        }
    }

    #[test]
    fn random_framed_bodies_never_panic(withdrawn in proptest::collection::vec(any::<u8>(), 0..20),
                                        attributes in proptest::collection::vec(any::<u8>(), 0..40),
                                        nlri in proptest::collection::vec(any::<u8>(), 0..40)) {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&(withdrawn.len() as u16).to_be_bytes());
        bytes.extend_from_slice(&withdrawn);
        bytes.extend_from_slice(&(attributes.len() as u16).to_be_bytes());
        bytes.extend_from_slice(&attributes);
        bytes.extend_from_slice(&nlri);
        let ctx = Negotiated::default();
        let _ = Update::decode_lenient(&bytes, &ctx);
    }

    #[test]
    fn ipv4_update_round_trip(withdrawn in proptest::collection::vec((any::<[u8; 4]>(), 0u8..=32), 0..10),
                              announced in proptest::collection::vec((any::<[u8; 4]>(), 0u8..=32), 0..10)) {
        let to_nlri = |(a, l): &([u8; 4], u8)| Nlri::prefix(Prefix::v4((*a).into(), *l).unwrap());
        let ctx = Negotiated::default();
        let mut attributes = vec![];
        if !announced.is_empty() {
            attributes = crate::bgp::attribute::decode_attributes(&hex(ATTRIBUTES), &ctx).unwrap();
        }
        let update = Update {
            withdrawn: withdrawn.iter().map(to_nlri).collect(),
            attributes,
            announced: announced.iter().map(to_nlri).collect(),
        };
        let mut out = Vec::new();
        update.encode_body(&mut out, &ctx);
        prop_assert_eq!(Update::decode(&out, &ctx).unwrap(), update);
    }
}
