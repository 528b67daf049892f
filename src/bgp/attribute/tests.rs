//! Unit tests for attribute decoding, encoding and RFC 7606 handling, including the
//! byte-identical round trip of every attribute in the conformance UPDATEs.

use super::*;
use crate::bgp::error::ErrorAction;
use crate::bgp::wire::hex;
use proptest::prelude::*;
use std::path::PathBuf;

fn ctx() -> Negotiated {
    Negotiated::default()
}

/// The session context a conformance file's UPDATEs were sent with: ADD-PATH for the
/// files whose configuration enables it, 2-octet AS for conf-no-asn4.
fn ctx_for(origin: &str) -> Negotiated {
    let mut c = if origin.contains("no-asn4") {
        ctx2()
    } else {
        ctx()
    };
    if origin.contains("addpath") || origin.contains("path-information") {
        use crate::bgp::Family;
        let families = vec![
            Family::IPV4_UNICAST,
            Family::IPV6_UNICAST,
            Family::IPV4_NLRI_MPLS,
            Family::IPV6_NLRI_MPLS,
            Family::IPV4_MPLS_VPN,
            Family::IPV6_MPLS_VPN,
        ];
        c.addpath_receive = families.clone();
        c.addpath_send = families;
    }
    c
}

fn ctx2() -> Negotiated {
    Negotiated {
        asn4: false,
        ..Negotiated::default()
    }
}

fn decode_one(bytes: &[u8], ctx: &Negotiated) -> Result<Attribute, AttributeError> {
    let mut iter = split_attributes(bytes);
    let raw = iter.next().expect("one attribute")?;
    Attribute::decode(raw, ctx)
}

fn encode(attribute: &Attribute, ctx: &Negotiated) -> Vec<u8> {
    let mut out = Vec::new();
    attribute.encode(&mut out, ctx);
    out
}

fn round_trip(bytes: &[u8], ctx: &Negotiated) -> Attribute {
    let attribute = decode_one(bytes, ctx).expect("decodes");
    assert_eq!(encode(&attribute, ctx), bytes, "{attribute:?}");
    attribute
}

#[test]
fn well_known_attributes() {
    assert_eq!(
        round_trip(&[0x40, 1, 1, 0], &ctx()),
        Attribute::Origin(Origin::Igp)
    );
    assert_eq!(
        round_trip(&[0x40, 3, 4, 10, 0, 0, 1], &ctx()),
        Attribute::NextHop(Ipv4Addr::new(10, 0, 0, 1))
    );
    assert_eq!(
        round_trip(&[0x80, 4, 4, 0, 0, 0, 100], &ctx()),
        Attribute::Med(100)
    );
    assert_eq!(
        round_trip(&[0x40, 5, 4, 0, 0, 0, 200], &ctx()),
        Attribute::LocalPref(200)
    );
    assert_eq!(
        round_trip(&[0x40, 6, 0], &ctx()),
        Attribute::AtomicAggregate
    );
    assert_eq!(
        round_trip(&[0x40, 2, 0], &ctx()),
        Attribute::AsPath(AsPath::default())
    );
    assert_eq!(
        round_trip(&[0x40, 2, 6, 2, 1, 0, 0, 0xFD, 0xE9], &ctx()),
        Attribute::AsPath(AsPath::sequence(&[65001]))
    );
    assert_eq!(
        round_trip(&[0x40, 2, 4, 2, 1, 0xFD, 0xE9], &ctx2()),
        Attribute::AsPath(AsPath::sequence(&[65001]))
    );
}

#[test]
fn optional_attributes() {
    assert_eq!(
        round_trip(&hex("C00708 0000FDE9 0A000001"), &ctx()),
        Attribute::Aggregator(Aggregator::new(65001, Ipv4Addr::new(10, 0, 0, 1)))
    );
    assert_eq!(
        round_trip(&hex("C00706 FDE9 0A000001"), &ctx2()),
        Attribute::Aggregator(Aggregator::new(65001, Ipv4Addr::new(10, 0, 0, 1)))
    );
    let comm = round_trip(&hex("C00808 78147814 FFFFFF01"), &ctx());
    assert_eq!(
        comm,
        Attribute::Communities(vec![Community::new(30740, 30740), Community::NO_EXPORT])
    );
    assert_eq!(
        round_trip(&hex("800904 C0A81601"), &ctx()),
        Attribute::OriginatorId(Ipv4Addr::new(192, 168, 22, 1))
    );
    assert_eq!(
        round_trip(&hex("800A08 03030303 C0A8C901"), &ctx()),
        Attribute::ClusterList(vec![
            Ipv4Addr::new(3, 3, 3, 3),
            Ipv4Addr::new(192, 168, 201, 1)
        ])
    );
    assert_eq!(
        round_trip(&hex("C0200C 000000010000000200000003"), &ctx()),
        Attribute::LargeCommunities(vec![LargeCommunity::new(1, 2, 3)])
    );
    assert_eq!(
        round_trip(&hex("801A0B 01000B0000000000000064"), &ctx()),
        Attribute::Aigp(Aigp::metric(100))
    );
    let pmsi = round_trip(&hex("C0160900060006400C000201"), &ctx());
    assert_eq!(
        pmsi,
        Attribute::PmsiTunnel(PmsiTunnel::ingress_replication(
            Ipv4Addr::new(12, 0, 2, 1),
            100,
            0
        ))
    );
    let ext = round_trip(&hex("C01008 0002FDE800000001"), &ctx());
    assert_eq!(
        ext,
        Attribute::ExtendedCommunities(vec![ExtendedCommunity::route_target_as2(65000, 1)])
    );
}

#[test]
fn unknown_attributes_kept_with_flags() {
    let short_extended = hex("F0990004 00000064");
    assert_eq!(
        round_trip(&short_extended, &ctx()),
        Attribute::Unknown {
            flags: 0xF0,
            code: 0x99,
            value: vec![0, 0, 0, 0x64]
        }
    );
    round_trip(&hex("6099 04 00000064"), &ctx());
}

/// Found by the `attributes` fuzz target: an End-of-RIB MP_UNREACH_NLRI received with a
/// one-byte length was re-encoded with the extended length, so it decoded to another value.
#[test]
fn end_of_rib_keeps_the_received_length_form() {
    use crate::bgp::mp::MpUnreach;
    use crate::bgp::Family;
    let short = round_trip(&hex("800F03 000201"), &ctx());
    let long = round_trip(&hex("900F0003 000201"), &ctx());
    assert_ne!(short, long);
    // Built markers still take ExaBGP's extended form.
    let marker = Attribute::MpUnreach(MpUnreach::end_of_rib(Family::IPV6_UNICAST));
    assert_eq!(encode(&marker, &ctx()), hex("900F0003 000201"));
    // The fuzzer's input: an opaque family's marker, then an unknown attribute.
    let field = hex("860F03 040A00 FFFE0003 000280");
    let decoded = decode_attributes(&field, &ctx()).unwrap();
    let mut again = Vec::new();
    for attribute in &decoded {
        attribute.encode(&mut again, &ctx());
    }
    assert_eq!(decode_attributes(&again, &ctx()).unwrap(), decoded);
}

#[test]
fn long_values_use_extended_length() {
    let list: Vec<Community> = (0..100).map(Community).collect();
    let bytes = encode(&Attribute::Communities(list.clone()), &ctx());
    assert_eq!(&bytes[..4], &[0xD0, 8, 0x01, 0x90]);
    assert_eq!(decode_one(&bytes, &ctx()), Ok(Attribute::Communities(list)));
    assert!(encode(&Attribute::Communities(Vec::new()), &ctx()).is_empty());
}

#[test]
fn four_octet_as_on_two_octet_session() {
    let path = AsPath::sequence(&[65001, 70000]);
    let bytes = encode(&Attribute::AsPath(path.clone()), &ctx2());
    assert_eq!(
        bytes,
        hex("400206 0202 FDE9 5BA0  C0110A 0202 0000FDE9 00011170")
    );
    let mut decoded = decode_attributes(&bytes, &ctx2()).expect("decodes");
    assert_eq!(decoded, vec![Attribute::AsPath(path.clone())]);
    reconcile_four_octet_as(&mut decoded);
    assert_eq!(decoded, vec![Attribute::AsPath(path)]);

    let agg = Aggregator::new(70000, Ipv4Addr::new(1, 2, 3, 4));
    let bytes = encode(&Attribute::Aggregator(agg), &ctx2());
    assert_eq!(bytes, hex("C00706 5BA0 01020304 C01208 00011170 01020304"));
    assert_eq!(
        decode_attributes(&bytes, &ctx2()),
        Ok(vec![Attribute::Aggregator(agg)])
    );
    // A real AGGREGATOR makes both AS4_ attributes noise.
    let bytes = hex("C00706 FDE9 01020304 C01208 00011170 01020304 C01106 0201 00011170");
    assert_eq!(
        decode_attributes(&bytes, &ctx2()),
        Ok(vec![Attribute::Aggregator(Aggregator::new(
            65001,
            Ipv4Addr::new(1, 2, 3, 4)
        ))])
    );
}

#[test]
fn rfc7606_actions() {
    let c = ctx();
    // ORIGIN value 3: treat-as-withdraw, NOTIFICATION 3/6 with the attribute.
    let e = decode_attributes(&[0x40, 1, 1, 3], &c).expect_err("invalid origin");
    assert_eq!(e.action(), ErrorAction::TreatAsWithdraw);
    assert_eq!(e.notification().subcode, 6);
    assert_eq!(e.notification().data, vec![0x40, 1, 1, 3]);
    // MED of 3 bytes: treat-as-withdraw, 3/5.
    let e = decode_attributes(&[0x80, 4, 3, 0, 0, 1], &c).expect_err("med");
    assert_eq!(
        (e.action(), e.notification().subcode),
        (ErrorAction::TreatAsWithdraw, 5)
    );
    // AGGREGATOR of the wrong size: discarded, the rest kept.
    let bytes = hex("C00703 010203 400101 00");
    let d = decode_attributes_detailed(&bytes, &c).expect("not a reset");
    assert_eq!(d.attributes, vec![Attribute::Origin(Origin::Igp)]);
    assert_eq!(d.discarded.len(), 1);
    assert!(d.treat_as_withdraw.is_none());
    // Well-known attribute flagged optional: flags error, treat-as-withdraw, 3/4.
    let e = decode_attributes(&[0xC0, 1, 1, 0], &c).expect_err("flags");
    assert_eq!(
        (e.action(), e.notification().subcode),
        (ErrorAction::TreatAsWithdraw, 4)
    );
    // Partial on an optional attribute is fine.
    assert!(decode_attributes(&hex("E00808 78147814 FFFFFF01"), &c).is_ok());
    // Bad MP flags: session reset.
    let e = decode_attributes(&[0x40, 14, 0], &c).expect_err("mp flags");
    assert_eq!(e.action(), ErrorAction::SessionReset);
    // Duplicate: the first wins; a duplicate MP_UNREACH resets.
    assert_eq!(
        decode_attributes(&hex("400101 00 400101 02"), &c),
        Ok(vec![Attribute::Origin(Origin::Igp)])
    );
    let e = decode_attributes(&hex("900F0003 000101 900F0003 000101"), &c).expect_err("dup");
    assert_eq!(
        (e.action(), e.notification().subcode),
        (ErrorAction::SessionReset, 1)
    );
    // Attribute running past the field: treat-as-withdraw.
    let e = decode_attributes(&hex("400104 00"), &c).expect_err("overrun");
    assert_eq!(e, AttributeError::Truncated);
    // Unknown attributes are kept, transitive or not (the JSON hides non-transitive ones).
    assert_eq!(
        decode_attributes(&hex("807701 00 C07801 05"), &c),
        Ok(vec![
            Attribute::Unknown {
                flags: 0x80,
                code: 0x77,
                value: vec![0]
            },
            Attribute::Unknown {
                flags: 0xC0,
                code: 0x78,
                value: vec![5]
            }
        ])
    );
    // Malformed AS_PATH: 3/11.
    let e = decode_attributes(&hex("400203 020100"), &c).expect_err("as path");
    assert_eq!(
        (e.action(), e.notification().subcode),
        (ErrorAction::TreatAsWithdraw, 11)
    );
    // Empty COMMUNITIES: treat-as-withdraw (as ExaBGP, which names the attribute).
    let e = decode_attributes(&[0xC0, 8, 0], &c).expect_err("empty");
    assert_eq!(e.exabgp_error_text(), "treat-as-withdraw due to community");
    let e = decode_attributes(&hex("400101 00 4002"), &c).expect_err("cut length");
    assert_eq!(e.exabgp_error_text(), "treat-as-withdraw due to as-path");
    let d = decode_attributes_detailed(&hex("C00703 010203"), &c).expect("discard");
    assert_eq!(d.discarded[0].exabgp_error_text(), "discard");
    // NaN traffic-rate: treat-as-withdraw.
    let e = decode_attributes(&hex("C01008 800600007FC00000"), &c).expect_err("nan");
    assert_eq!(e.action(), ErrorAction::TreatAsWithdraw);
    // Broken Prefix-SID: discarded.
    let d = decode_attributes_detailed(&hex("C02803 010007"), &c).expect("discard");
    assert!(d.attributes.is_empty() && d.discarded.len() == 1);
}

fn conformance_dir() -> PathBuf {
    match std::env::var_os("REXA_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/exabgp"),
    }
}

/// Every UPDATE message (whole, with header) in the conformance data, with its origin.
fn conformance_updates() -> Vec<(String, Vec<u8>)> {
    let dir = conformance_dir();
    let mut updates = Vec::new();
    let encoding = std::fs::read_dir(dir.join("encoding"))
        .unwrap_or_else(|e| panic!("conformance data missing at {}: {e}", dir.display()));
    for entry in encoding.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("ci") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for line in text.lines() {
            let mut parts = line.splitn(3, ':');
            if let (Some(_), Some("raw"), Some(body)) = (parts.next(), parts.next(), parts.next()) {
                updates.push((format!("{}: {line}", path.display()), hex(body)));
            }
        }
    }
    let decoding = std::fs::read_dir(dir.join("decoding")).expect("decoding directory");
    for entry in decoding.flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        if let Some(line) = text.lines().nth(1) {
            updates.push((entry.path().display().to_string(), hex(line)));
        }
    }
    updates.retain(|(_, m)| m.get(18) == Some(&2));
    updates
}

/// The attribute field of an UPDATE message.
fn attribute_field(message: &[u8]) -> &[u8] {
    let body = &message[19..];
    let withdrawn = usize::from(u16::from_be_bytes([body[0], body[1]]));
    let at = 2 + withdrawn;
    let len = usize::from(u16::from_be_bytes([body[at], body[at + 1]]));
    &body[at + 2..at + 2 + len]
}

/// MP attributes of the families whose NLRI are not decoded yet (bgp-ls, evpn, mvpn).
fn exempt_mp(raw: RawAttribute<'_>) -> bool {
    if !matches!(raw.code, CODE_MP_REACH_NLRI | CODE_MP_UNREACH_NLRI) {
        return false;
    }
    match raw.value {
        [afi0, afi1, safi, ..] => {
            let afi = u16::from_be_bytes([*afi0, *afi1]);
            afi == 16388 || matches!(safi, 5 | 70)
        }
        _ => false,
    }
}

#[test]
fn conformance_attributes_round_trip() {
    let mut checked = 0;
    let mut typed = std::collections::BTreeSet::new();
    for (origin, message) in conformance_updates() {
        // conf-no-asn4 runs a session without the 4-octet AS capability.
        let c = ctx_for(&origin);
        let field = attribute_field(&message);
        let mut rebuilt = Vec::new();
        for raw in split_attributes(field) {
            let raw = raw.unwrap_or_else(|e| panic!("{origin}: {e}"));
            let attribute = Attribute::decode(raw, &c).unwrap_or_else(|e| panic!("{origin}: {e}"));
            if canonical_flags(raw.code).is_some() {
                assert!(
                    !matches!(attribute, Attribute::Unknown { .. }),
                    "{origin}: code {} not typed",
                    raw.code
                );
                typed.insert(raw.code);
            }
            let mut one = Vec::new();
            attribute.encode(&mut one, &c);
            if exempt_mp(raw) {
                // Another implementation's extended-length flag on a family not decoded
                // yet: the MP types hold no flags, so only the value must survive.
                one = raw.to_wire();
            }
            assert_eq!(one, raw.to_wire(), "{origin}: {attribute:?}");
            rebuilt.extend_from_slice(&one);
            checked += 1;
        }
        assert_eq!(rebuilt, field, "{origin}");
        decode_attributes(field, &c).unwrap_or_else(|e| panic!("{origin}: {e}"));
    }
    assert!(checked > 500, "only {checked} attributes");
    for code in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 16, 25, 32, 40] {
        assert!(
            typed.contains(&code),
            "no conformance sample of code {code}"
        );
    }
}

#[test]
fn conformance_strings() {
    // vpnv4-extended-nexthop-1: target:4:100 and an SRv6 L3 service.
    let field = hex(
        "4001010040020040050400000064C010080002000400000064C0281C0500190001001500200100010000\
         0000000000000000000000000000",
    );
    let attrs = decode_attributes(&field, &ctx()).expect("decodes");
    let Some(Attribute::ExtendedCommunities(ext)) = attrs.get(3) else {
        panic!("{attrs:?}")
    };
    assert_eq!(
        crate::api::attribute::extended_json_string(&ext[0]),
        "target:4:100"
    );
    assert_eq!(ext[0].value(), 562967133290596);
    let Some(Attribute::PrefixSid(sid)) = attrs.get(4) else {
        panic!("{attrs:?}")
    };
    assert_eq!(
        crate::api::attribute::prefix_sid_json(sid),
        r#"{ "l3-service": [ { "sid": "2001:1::", "flags": 0, "endpoint_behavior": 0 } ] }"#
    );
}

#[test]
fn hostile_truncations_never_panic() {
    for (_, message) in conformance_updates() {
        let field = attribute_field(&message);
        for end in 0..field.len() {
            let _ = decode_attributes_detailed(&field[..end], &ctx());
            let _ = decode_attributes_detailed(&field[..end], &ctx2());
        }
    }
}

fn arb_attribute() -> impl Strategy<Value = Attribute> {
    let ip = any::<[u8; 4]>().prop_map(Ipv4Addr::from);
    let kind = prop_oneof![
        Just(SegmentKind::Set),
        Just(SegmentKind::Sequence),
        Just(SegmentKind::ConfedSequence),
        Just(SegmentKind::ConfedSet)
    ];
    let segment = (kind, prop::collection::vec(any::<u32>(), 1..20))
        .prop_map(|(kind, asns)| Segment { kind, asns });
    let path = prop::collection::vec(segment, 0..4).prop_map(AsPath::new);
    prop_oneof![
        prop_oneof![
            Just(Origin::Igp),
            Just(Origin::Egp),
            Just(Origin::Incomplete)
        ]
        .prop_map(Attribute::Origin),
        path.clone().prop_map(Attribute::AsPath),
        path.prop_filter("optional values are not empty", |p| !p.is_empty())
            .prop_map(Attribute::As4Path),
        ip.clone().prop_map(Attribute::NextHop),
        any::<u32>().prop_map(Attribute::Med),
        any::<u32>().prop_map(Attribute::LocalPref),
        Just(Attribute::AtomicAggregate),
        (any::<u32>(), ip.clone()).prop_map(|(a, i)| Attribute::Aggregator(Aggregator::new(a, i))),
        (any::<u32>(), ip.clone())
            .prop_map(|(a, i)| Attribute::As4Aggregator(Aggregator::new(a, i))),
        prop::collection::vec(any::<u32>().prop_map(Community), 1..80)
            .prop_map(Attribute::Communities),
        ip.clone().prop_map(Attribute::OriginatorId),
        prop::collection::vec(ip.clone(), 1..70).prop_map(Attribute::ClusterList),
        prop::collection::vec(any::<[u8; 8]>().prop_map(ExtendedCommunity), 1..40)
            .prop_filter("finite rates", |v| v.iter().all(|c| !c.has_unusable_rate()))
            .prop_map(Attribute::ExtendedCommunities),
        prop::collection::vec(any::<[u8; 20]>().prop_map(Ipv6ExtendedCommunity), 1..20)
            .prop_map(Attribute::Ipv6ExtendedCommunities),
        prop::collection::vec(
            (any::<u32>(), any::<u32>(), any::<u32>())
                .prop_map(|(a, b, c)| LargeCommunity::new(a, b, c)),
            1..30
        )
        .prop_map(Attribute::LargeCommunities),
        any::<u64>().prop_map(|m| Attribute::Aigp(Aigp::metric(m))),
        (
            any::<u8>(),
            any::<u8>(),
            0u32..0x100_0000,
            prop::collection::vec(any::<u8>(), 0..20)
        )
            .prop_map(|(flags, tunnel_type, label_field, tunnel)| {
                Attribute::PmsiTunnel(PmsiTunnel {
                    flags,
                    tunnel_type,
                    label_field,
                    tunnel,
                })
            }),
        (
            any::<u32>(),
            prop::collection::vec((0u32..0x100_0000, 0u32..0x100_0000), 0..5)
        )
            .prop_map(|(i, s)| Attribute::PrefixSid(PrefixSid::label_index(i, &s))),
        (
            any::<bool>(),
            any::<[u8; 16]>(),
            any::<u16>(),
            any::<[u8; 6]>()
        )
            .prop_map(|(l2, sid, behavior, s)| {
                Attribute::PrefixSid(PrefixSid::srv6_service(
                    l2,
                    sid.into(),
                    behavior,
                    Some(SidStructure {
                        locator_block_length: s[0],
                        locator_node_length: s[1],
                        function_length: s[2],
                        argument_length: s[3],
                        transposition_length: s[4],
                        transposition_offset: s[5],
                    }),
                ))
            }),
        (
            0xC0u8..=0xFF,
            100u8..=255,
            prop::collection::vec(any::<u8>(), 0..300)
        )
            .prop_map(|(flags, code, value)| {
                // Received flags are kept, so a long value arrives with extended length.
                let flags = if value.len() > 255 {
                    flags | FLAG_EXTENDED_LENGTH
                } else {
                    flags
                };
                Attribute::Unknown { flags, code, value }
            }),
    ]
}

proptest! {
    #[test]
    fn typed_round_trip(attribute in arb_attribute()) {
        let c = ctx();
        let bytes = encode(&attribute, &c);
        let decoded = decode_one(&bytes, &c).expect("own encoding decodes");
        prop_assert_eq!(&decoded, &attribute);
        prop_assert_eq!(encode(&decoded, &c), bytes);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = decode_attributes_detailed(&bytes, &ctx());
        let _ = decode_attributes_detailed(&bytes, &ctx2());
    }

    #[test]
    fn random_values_never_panic(flags in any::<u8>(), code in any::<u8>(),
                                 value in prop::collection::vec(any::<u8>(), 0..300)) {
        let raw = RawAttribute { flags, code, value: &value };
        for c in [ctx(), ctx2()] {
            if let Ok(attribute) = Attribute::decode(raw, &c) {
                let _ = encode(&attribute, &c);
                if let Attribute::ExtendedCommunities(list) = &attribute {
                    for e in list { let _ = (e.to_string(), crate::api::attribute::extended_json_string(e)); }
                }
                if let Attribute::PrefixSid(sid) = &attribute { let _ = crate::api::attribute::prefix_sid_json(sid); }
                if let Attribute::PmsiTunnel(p) = &attribute { let _ = p.to_string(); }
            }
        }
    }
}

#[test]
fn received_flags_preserved_on_request() {
    for bytes in [
        hex("E00804 FFFFFF01"),
        hex("50010001 00"),
        hex("D0100008 0002FDE800000001"),
        hex("900F0003 000101"),
    ] {
        let raw = split_attributes(&bytes)
            .next()
            .expect("one")
            .expect("frames");
        let attribute = Attribute::decode(raw, &ctx()).expect("decodes");
        assert!(!matches!(attribute, Attribute::Unknown { .. }));
        let mut out = Vec::new();
        attribute.encode_with_flags(&mut out, &ctx(), raw.flags);
        assert_eq!(out, bytes);
    }
}

#[test]
fn conformance_round_trip_with_received_flags() {
    for (origin, message) in conformance_updates() {
        let c = ctx_for(&origin);
        let field = attribute_field(&message);
        let mut rebuilt = Vec::new();
        for raw in split_attributes(field).flatten() {
            if let Ok(attribute) = Attribute::decode(raw, &c) {
                attribute.encode_with_flags(&mut rebuilt, &c, raw.flags);
            }
        }
        assert_eq!(rebuilt, field, "{origin}");
    }
}

/// (origin, whole UPDATE, ExaBGP's JSON event) for every UPDATE that has a `json:` line.
fn conformance_updates_with_json() -> Vec<(String, Vec<u8>, String)> {
    let dir = conformance_dir();
    let mut pairs = Vec::new();
    let encoding = std::fs::read_dir(dir.join("encoding"))
        .unwrap_or_else(|e| panic!("conformance data missing at {}: {e}", dir.display()));
    for entry in encoding.flatten() {
        let path = entry.path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut last_raw: Option<Vec<u8>> = None;
        for line in text.lines() {
            let mut parts = line.splitn(3, ':');
            match (parts.next(), parts.next(), parts.next()) {
                (Some(_), Some("raw"), Some(body)) => last_raw = Some(hex(body)),
                (Some(_), Some("json"), Some(json)) => {
                    if let Some(raw) = last_raw.take() {
                        pairs.push((path.display().to_string(), raw, json.to_string()));
                    }
                }
                _ => {}
            }
        }
    }
    let decoding = std::fs::read_dir(dir.join("decoding")).expect("decoding directory");
    for entry in decoding.flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        if let (Some(raw), Some(json)) = (lines.get(1), lines.get(2)) {
            pairs.push((
                entry.path().display().to_string(),
                hex(raw),
                json.to_string(),
            ));
        }
    }
    pairs.retain(|(_, m, _)| m.get(18) == Some(&2));
    pairs
}

#[test]
fn conformance_json_attributes_match() {
    let mut compared = 0;
    for (origin, message, json) in conformance_updates_with_json() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(&json) else {
            continue;
        };
        let expected = event["neighbor"]["message"]["update"]["attribute"].clone();
        let c = ctx_for(&origin);
        let decoded = decode_attributes_detailed(attribute_field(&message), &c)
            .unwrap_or_else(|e| panic!("{origin}: {e}"));
        let mut attributes = decoded.attributes.clone();
        attributes.sort_by_key(Attribute::code);
        let mut entries: Vec<String> = attributes
            .iter()
            .filter_map(crate::api::attribute::json_entry)
            .map(|(k, v)| format!("\"{k}\": {v}"))
            .collect();
        if let Some(e) = &decoded.treat_as_withdraw {
            entries.push(format!("\"error\": \"{}\"", e.exabgp_error_text()));
        }
        let ours_text = format!("{{{}}}", entries.join(", "));
        let mut ours: serde_json::Value = serde_json::from_str(&ours_text)
            .unwrap_or_else(|e| panic!("{origin}: our JSON {ours_text} does not parse: {e}"));
        let mut expected = if expected.is_null() {
            serde_json::json!({})
        } else {
            expected
        };
        // BGP-LS and tunnel-encapsulation (SR policy) attributes are not decoded here.
        for object in [&mut ours, &mut expected] {
            if let Some(map) = object.as_object_mut() {
                map.retain(|k, _| {
                    !matches!(k.as_str(), "bgp-ls" | "tunnel-encap")
                        && !k.starts_with("attribute-0x17-")
                });
            }
        }
        assert_eq!(ours, expected, "{origin}\nours: {ours_text}");
        compared += 1;
    }
    assert!(compared > 50, "only {compared} events compared");
}
