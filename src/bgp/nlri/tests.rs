use super::*;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv6Addr};

fn v4(s: &str, len: u8) -> Prefix {
    Prefix::v4(s.parse().unwrap(), len).unwrap()
}

fn collect(
    bytes: &[u8],
    family: Family,
    addpath: bool,
    withdraw: bool,
) -> Result<Vec<Nlri>, NlriError> {
    let kind = NlriKind::of(family).unwrap();
    NlriIter::new(bytes, kind, family, addpath, withdraw).collect()
}

fn encode_all(routes: &[Nlri], addpath: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for r in routes {
        let before = out.len();
        r.encode(&mut out, addpath);
        assert_eq!(out.len() - before, r.encoded_len(addpath));
    }
    out
}

#[test]
fn ipv4_prefixes_decode_and_encode() {
    let bytes = [0, 0x20, 1, 1, 1, 1, 0x18, 10, 0, 1, 0x19, 10, 10, 10, 0xFF];
    let routes = collect(&bytes, Family::IPV4_UNICAST, false, false).unwrap();
    let shown: Vec<String> = routes.iter().map(|r| r.to_string()).collect();
    assert_eq!(
        shown,
        ["0.0.0.0/0", "1.1.1.1/32", "10.0.1.0/24", "10.10.10.255/25"]
    );
    assert_eq!(encode_all(&routes, false), bytes);
}

#[test]
fn addpath_ids() {
    let bytes = [0, 0, 0, 1, 0x20, 10, 0, 0, 10];
    let routes = collect(&bytes, Family::IPV4_UNICAST, true, false).unwrap();
    assert_eq!(routes[0].path_id(), Some(1));
    assert_eq!(routes[0].get_prefix(), v4("10.0.0.10", 32));
    assert_eq!(encode_all(&routes, true), bytes);
    // Without ADD-PATH on send the identifier is dropped; with it and none, 0 is sent.
    assert_eq!(encode_all(&routes, false), [0x20, 10, 0, 0, 10]);
    assert_eq!(
        encode_all(&[Nlri::prefix(v4("10.0.0.0", 8))], true),
        [0, 0, 0, 0, 8, 10]
    );
}

#[test]
fn constructors_and_masking() {
    let p = v4("10.10.10.255", 25);
    assert_eq!(p.to_string(), "10.10.10.255/25");
    assert_eq!(p.masked().to_string(), "10.10.10.128/25");
    assert_eq!(v4("10.1.2.3", 16).to_string(), "10.1.0.0/16");
    assert_eq!(v4("10.1.2.3", 0).to_string(), "0.0.0.0/0");
    assert!(Prefix::v4(Ipv4Addr::LOCALHOST, 33).is_none());
    assert!(Prefix::v6(Ipv6Addr::LOCALHOST, 129).is_none());
    let p6 = Prefix::v6("2001:db8::ffff".parse().unwrap(), 120).unwrap();
    assert_eq!(p6.masked().to_string(), "2001:db8::ff00/120");
}

#[test]
fn ipv6_prefix() {
    let bytes = [0x20, 0x20, 0x01, 0x0d, 0xb8];
    let routes = collect(&bytes, Family::IPV6_UNICAST, false, false).unwrap();
    assert_eq!(routes[0].to_string(), "2001:db8::/32");
    assert_eq!(encode_all(&routes, false), bytes);
}

#[test]
fn hostile_prefixes() {
    let fam = Family::IPV4_UNICAST;
    assert_eq!(
        collect(&[33, 1, 2, 3, 4, 5], fam, false, false),
        Err(NlriError::PrefixTooLong {
            family: fam,
            bits: 33
        })
    );
    assert_eq!(
        collect(&[129; 20], Family::IPV6_UNICAST, false, false),
        Err(NlriError::PrefixTooLong {
            family: Family::IPV6_UNICAST,
            bits: 129
        })
    );
    assert_eq!(
        collect(&[24, 10, 0], fam, false, false),
        Err(NlriError::Truncated { family: fam })
    );
    assert_eq!(
        collect(&[0, 0, 1], fam, true, false),
        Err(NlriError::Truncated { family: fam })
    );
    // The iterator stops after the first error.
    let mut it = NlriIter::ipv4_unicast(&[24, 10, 0, 1, 40, 1], false, false);
    assert!(it.next().unwrap().is_ok());
    assert!(it.next().unwrap().is_err());
    assert!(it.next().is_none());
}

#[test]
fn labeled_routes() {
    let fam = Family::IPV4_NLRI_MPLS;
    // label 100 (bottom), 10.10.10.0/24
    let one = [0x30, 0x00, 0x06, 0x41, 10, 10, 10];
    let routes = collect(&one, fam, false, false).unwrap();
    let labels: Vec<u32> = routes[0]
        .labels()
        .unwrap()
        .entries()
        .iter()
        .map(|e| e.label())
        .collect();
    assert_eq!(labels, [100]);
    assert_eq!(routes[0].get_prefix(), v4("10.10.10.0", 24));
    assert_eq!(encode_all(&routes, false), one);
    // Two labels.
    let two = [0x48, 0x00, 0x06, 0x40, 0x00, 0x06, 0x41, 10, 10, 10];
    let routes = collect(&two, fam, false, false).unwrap();
    assert_eq!(routes[0].labels().unwrap().len(), 2);
    assert_eq!(encode_all(&routes, false), two);
    // Withdraw with the compatibility label and no bottom bit.
    let wd = [0x30, 0x80, 0x00, 0x00, 10, 10, 10];
    let routes = collect(&wd, fam, false, true).unwrap();
    assert_eq!(
        routes[0].labels().unwrap().entries()[0].raw(),
        WITHDRAW_LABEL
    );
    assert_eq!(encode_all(&routes, false), wd);
    // The same in an announcement also ends the stack (ExaBGP does the same).
    assert!(collect(&wd, fam, false, false).is_ok());
}

#[test]
fn hostile_labels() {
    let fam = Family::IPV4_NLRI_MPLS;
    // No bottom bit, runs off the route length.
    assert_eq!(
        collect(
            &[0x30, 0x00, 0x06, 0x40, 0x0A, 0x0A, 0x0A],
            fam,
            false,
            false
        ),
        Err(NlriError::LabelStackUnterminated { family: fam })
    );
    // No bottom bit, runs off the field.
    assert_eq!(
        collect(&[0xF0, 0x00, 0x06, 0x40, 0x00], fam, false, false),
        Err(NlriError::Truncated { family: fam })
    );
    // Length too short for one label.
    assert_eq!(
        collect(&[0x10, 0x00, 0x06], fam, false, false),
        Err(NlriError::LengthTooShort {
            family: fam,
            bits: 0x10
        })
    );
    // Seven labels without a bottom bit before the stack limit.
    let mut deep = vec![0xF0];
    for _ in 0..7 {
        deep.extend_from_slice(&[0x00, 0x06, 0x40]);
    }
    deep.extend_from_slice(&[0; 12]);
    assert_eq!(
        collect(&deep, fam, false, false),
        Err(NlriError::TooManyLabels { family: fam })
    );
    // Prefix bits after the label exceed 32.
    assert_eq!(
        collect(&[0x39, 0x00, 0x06, 0x41, 1, 2, 3, 4, 5], fam, false, false),
        Err(NlriError::PrefixTooLong {
            family: fam,
            bits: 33
        })
    );
}

#[test]
fn vpn_routes() {
    let fam = Family::IPV4_MPLS_VPN;
    // From conf-vpn.ci: label 1000, RD 65000:1, 10.0.0.0/25
    let bytes = [
        0x71, 0x00, 0x3E, 0x81, 0x00, 0x00, 0xFD, 0xE8, 0x00, 0x00, 0x00, 0x01, 10, 0, 0, 0,
    ];
    let routes = collect(&bytes, fam, false, false).unwrap();
    assert_eq!(routes[0].rd().unwrap().to_string(), "65000:1");
    assert_eq!(routes[0].labels().unwrap().entries()[0].label(), 1000);
    assert_eq!(routes[0].get_prefix(), v4("10.0.0.0", 25));
    assert_eq!(encode_all(&routes, false), bytes);
    // Length too short for label + RD.
    assert_eq!(
        collect(
            &[0x50, 0x00, 0x3E, 0x81, 0, 0, 0, 0, 0, 0, 0, 0],
            fam,
            false,
            false
        ),
        Err(NlriError::LengthTooShort {
            family: fam,
            bits: 0x50
        })
    );
}

#[test]
fn route_distinguisher_display() {
    assert_eq!(RouteDistinguisher::as2(65000, 1).to_string(), "65000:1");
    assert_eq!(
        RouteDistinguisher::ipv4(Ipv4Addr::new(1, 2, 3, 4), 5).to_string(),
        "1.2.3.4:5"
    );
    assert_eq!(
        RouteDistinguisher::as4(66051, 1029).to_string(),
        "66051:1029"
    );
    assert_eq!(
        RouteDistinguisher([0, 3, 0, 1, 2, 3, 4, 5]).to_string(),
        "0x0003000102030405"
    );
}

#[test]
fn next_hop_forms() {
    let cases: Vec<Vec<u8>> = vec![
        vec![],
        vec![10, 0, 0, 1],
        [[0xfe; 16]].concat(),
        [[0x20; 16], [0xfe; 16]].concat(),
        [[0; 8].as_slice(), &[192, 168, 0, 1]].concat(),
        [[0u8; 8].as_slice(), &[0xCA; 16]].concat(),
        [[0u8; 8].as_slice(), &[0x20; 16], &[0; 8], &[0xfe; 16]].concat(),
    ];
    for bytes in cases {
        let nh = NextHop::decode(&bytes).unwrap();
        assert_eq!(nh.wire_len(), bytes.len());
        let mut out = Vec::new();
        nh.encode(&mut out);
        assert_eq!(out, bytes);
    }
    assert_eq!(NextHop::decode(&[1, 2, 3]), None);
    assert_eq!(NextHop::None.to_string(), "no-nexthop");
    let mapped = NextHop::decode(&[[0u8; 10].as_slice(), &[0xff, 0xff, 192, 0, 2, 1]].concat());
    assert_eq!(mapped.unwrap().to_string(), "::ffff:192.0.2.1");
    let vpn = NextHop::decode(&[[0u8; 8].as_slice(), &[192, 168, 0, 1]].concat());
    assert_eq!(vpn.unwrap().to_string(), "192.168.0.1");
    assert_eq!(
        NextHop::for_family(Family::IPV4_MPLS_VPN, "1.2.3.4".parse().unwrap()).wire_len(),
        12
    );
    let ll = NextHop::decode(&[[0x20; 16], [0xfe; 16]].concat()).unwrap();
    assert_eq!(ll.link_local(), Some(Ipv6Addr::from([0xfe; 16])));
    assert_eq!(ll.address(), Some(IpAddr::V6(Ipv6Addr::from([0x20; 16]))));
}

fn arb_prefix(ipv6: bool) -> impl Strategy<Value = Prefix> {
    let max = if ipv6 { 128u8 } else { 32 };
    (any::<[u8; 16]>(), 0..=max).prop_map(move |(bytes, len)| {
        // Host bits inside the last byte are kept; bytes past the length are not sent.
        let mut b = [0u8; 16];
        let n = usize::from(len).div_ceil(8);
        b[..n].copy_from_slice(&bytes[..n]);
        Prefix::from_wire(&b[..n], len, ipv6).unwrap()
    })
}

fn arb_labels(max: usize) -> impl Strategy<Value = Labels> {
    proptest::collection::vec(0u32..0x10_0000, 1..=max)
        .prop_map(|values| Labels::from_values(&values).unwrap())
}

fn arb_nlri() -> impl Strategy<Value = Nlri> {
    let path = proptest::option::of(any::<u32>());
    (path, any::<bool>(), 0..4u8, arb_labels(3), any::<[u8; 8]>())
        .prop_flat_map(|(path_id, ipv6, kind, labels, rd)| {
            arb_prefix(ipv6).prop_map(move |prefix| match kind {
                0 => Nlri::Prefix { path_id, prefix },
                1 => Nlri::labeled(path_id, labels, prefix),
                2 => Nlri::vpn(path_id, labels, RouteDistinguisher(rd), prefix),
                _ => Nlri::Vpls {
                    path_id,
                    route: crate::bgp::vpls::VplsNlri::new(
                        RouteDistinguisher(rd),
                        prefix.len().into(),
                        labels.len() as u16,
                        7,
                        u32::from(rd[0]) << 12 | 0xabc,
                    ),
                    config_line: 0,
                },
            })
        })
        .prop_filter("length byte overflow", Nlri::is_encodable)
}

fn family_of(nlri: &Nlri) -> Family {
    if nlri.kind() == NlriKind::Vpls {
        return Family::L2VPN_VPLS;
    }
    let afi = nlri.get_prefix().afi();
    let safi = match nlri.kind() {
        NlriKind::Prefix { .. } => Safi::UNICAST,
        NlriKind::Labeled { .. } => Safi::NLRI_MPLS,
        NlriKind::Vpn { .. } => Safi::MPLS_VPN,
        NlriKind::Flow { .. } => Safi::FLOW,
        NlriKind::Vpls => Safi::VPLS,
        NlriKind::Mup { .. } => Safi::MUP,
        NlriKind::Mvpn { .. } => Safi::MCAST_VPN,
        NlriKind::SrPolicy { .. } => Safi::SR_POLICY,
    };
    Family::new(afi, safi)
}

proptest! {
    #[test]
    fn nlri_round_trip(nlri in arb_nlri(), addpath in any::<bool>()) {
        let mut out = Vec::new();
        nlri.encode(&mut out, addpath);
        prop_assert_eq!(out.len(), nlri.encoded_len(addpath));
        let family = family_of(&nlri);
        let decoded = collect(&out, family, addpath, false).unwrap();
        let expected = if addpath { let id = nlri.path_id().unwrap_or(0); nlri.with_path_id(Some(id)) } else { nlri.with_path_id(None) };
        prop_assert_eq!(decoded, vec![expected]);
    }

    #[test]
    fn next_hop_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..60)) {
        if let Some(nh) = NextHop::decode(&bytes) {
            let mut out = Vec::new();
            nh.encode(&mut out);
            prop_assert_eq!(out, bytes);
        } else {
            prop_assert!(![0, 4, 12, 16, 24, 32, 48].contains(&bytes.len()));
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80),
                                safi in prop_oneof![Just(Safi::UNICAST), Just(Safi::NLRI_MPLS), Just(Safi::MPLS_VPN), Just(Safi::VPLS), Just(Safi::MUP), Just(Safi::SR_POLICY)],
                                ipv6 in any::<bool>(), addpath in any::<bool>(), withdraw in any::<bool>()) {
        let family = if safi == Safi::VPLS {
            Family::L2VPN_VPLS
        } else {
            Family::new(if ipv6 { Afi::IPV6 } else { Afi::IPV4 }, safi)
        };
        let kind = NlriKind::of(family).unwrap();
        let mut encoded = Vec::new();
        let mut all_ok = true;
        for r in NlriIter::new(&bytes, kind, family, addpath, withdraw) {
            match r {
                Ok(n) => n.encode(&mut encoded, addpath),
                Err(_) => all_ok = false,
            }
        }
        // Whatever decodes cleanly re-encodes to the same bytes.
        if all_ok {
            prop_assert_eq!(encoded, bytes);
        }
    }
}
