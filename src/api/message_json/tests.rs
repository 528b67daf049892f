//! Unit tests of the JSON message events and NLRI objects.

use std::net::Ipv4Addr;

use super::*;
use crate::api::json::{Envelope, NeighborIdentity, FORMAT_VERSION_5};
use crate::bgp::operational::{AdvisoryKind, CountKind};
use crate::bgp::refresh::RefreshSubtype;
use crate::bgp::wire::hex;
use crate::bgp::{Afi, Negotiated, Safi};

/// Runs `write` with a fixed head and returns the text after `"router-id": ... , `.
fn content(write: impl FnOnce(&mut Vec<u8>, &EventHead<'_>)) -> String {
    let envelope = Envelope {
        version: FORMAT_VERSION_5,
        time: 1.0,
        host: "h",
        pid: 1,
        ppid: 1,
    };
    let neighbor = NeighborIdentity {
        local_address: "10.0.0.2".parse().unwrap(),
        peer_address: "10.0.0.1".parse().unwrap(),
        local_asn: 65000,
        peer_asn: 65001,
        router_id: Some(Ipv4Addr::new(10, 0, 0, 2)),
    };
    let head = EventHead {
        envelope: &envelope,
        counter: 1,
        kind: "x",
        raw: None,
        neighbor: &neighbor,
    };
    let mut out = Vec::new();
    write(&mut out, &head);
    let text = String::from_utf8(out).unwrap();
    let (_, rest) = text.split_once(r#""router-id": "10.0.0.2" , "#).unwrap();
    rest.to_owned()
}

// Shapes from api.md §7.4 (verified there against ExaBGP 5.0.15's encoder).

#[test]
fn refresh_event() {
    let refresh = RouteRefresh::new(Family::IPV4_UNICAST, RefreshSubtype::REQUEST);
    assert_eq!(
        content(|out, head| write_refresh(out, head, Direction::Receive, &refresh)),
        r#""direction": "receive", "route-refresh": { "afi": "ipv4", "safi": "unicast", "subtype": "query" } } }"#
    );
    let refresh = RouteRefresh::new(Family::IPV6_MPLS_VPN, RefreshSubtype::END);
    assert!(
        content(|out, head| write_refresh(out, head, Direction::Send, &refresh))
            .contains(r#""afi": "ipv6", "safi": "mpls-vpn", "subtype": "end" }"#)
    );
}

#[test]
fn operational_events() {
    let advisory = Operational::advisory(
        AdvisoryKind::Demand,
        Family::IPV4_UNICAST,
        "maintenance at 10:00",
    );
    assert_eq!(
        content(|out, head| write_operational(out, head, Direction::Receive, &advisory)),
        r#""direction": "receive", "operational": { "name": "ADM", "afi": "ipv4", "safi": "unicast", "advisory": "maintenance at 10:00" } } }"#
    );
    let query = Operational::Query {
        kind: CountKind::Reachable,
        family: Family::IPV4_UNICAST,
        router_id: Ipv4Addr::new(10, 0, 0, 1),
        sequence: 1,
    };
    assert_eq!(
        content(|out, head| write_operational(out, head, Direction::Receive, &query)),
        r#""direction": "receive", "operational": { "name": "RPCQ", "afi": "ipv4", "safi": "unicast" } } }"#
    );
    let reply = Operational::Reply {
        kind: CountKind::Reachable,
        family: Family::IPV4_UNICAST,
        router_id: Ipv4Addr::new(10, 0, 0, 1),
        sequence: 1,
        counter: 42,
    };
    assert_eq!(
        content(|out, head| write_operational(out, head, Direction::Receive, &reply)),
        r#""direction": "receive", "operational": { "name": "RPCP", "afi": "ipv4", "safi": "unicast", "router-id": "10.0.0.1", "sequence": 1, "counter": 42 } } }"#
    );
    let unknown = Operational::Unknown {
        kind: 99,
        data: vec![1, 2],
    };
    assert!(
        content(|out, head| write_operational(out, head, Direction::Receive, &unknown))
            .contains(r#"{ "name": "unknown", "type": 99, "data": "0x0102" }"#)
    );
}

#[test]
fn keepalive_and_sent_notification() {
    assert_eq!(
        content(|out, head| write_keepalive(out, head, Direction::Receive)),
        r#""direction": "receive"  } }"#
    );
    // Sent notifications report the bytes sent, not the received-side rewrite.
    let sent = Notification::new(6, 2, b"\x0bshutdownnow".to_vec());
    assert_eq!(
        content(|out, head| write_notification(out, head, Direction::Send, &sent)),
        r#""direction": "send", "notification": { "code": 6, "subcode": 2, "data": "0x0B73687574646F776E6E6F77", "message": "\u000bshutdownnow" }  } }"#
    );
}

fn negotiation() -> Negotiation {
    let local = Open::new(65000, 180, Ipv4Addr::new(10, 0, 0, 2), Vec::new());
    let mut negotiation = Negotiation::new(&local, &local);
    negotiation.negotiated.max_message_size = 65535;
    negotiation.negotiated.families = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    negotiation.negotiated.extended_nexthop = vec![(Family::IPV4_UNICAST, Afi::IPV6)];
    negotiation.negotiated.addpath_send = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    negotiation.negotiated.addpath_receive = vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    negotiation.hold_time = 180;
    negotiation.negotiated.asn4 = true;
    negotiation.multisession = false;
    negotiation.operational = false;
    negotiation.refresh = crate::bgp::negotiated::RefreshMode::Enhanced;
    negotiation
}

#[test]
fn negotiated_event() {
    let negotiation = negotiation();
    assert_eq!(
        content(|out, head| write_negotiated_event(out, head, &negotiation)),
        r#""negotiated": { "message_size": 65535, "hold_time": 180, "asn4": true, "multisession": false, "operational": false, "refresh": "enhanced", "families": ["ipv4 unicast", "ipv6 unicast"], "nexthop": ["ipv4 unicast ipv6"], "add_path": {"send": ["ipv4 unicast", "ipv6 unicast"], "receive": ["ipv4 unicast", "ipv6 unicast"]} }  } }"#
    );
}

#[test]
fn fsm_signal_and_raw_events() {
    assert_eq!(
        content(|out, head| write_fsm_event(out, head, "OPENCONFIRM")),
        r#""state": "OPENCONFIRM" } }"#
    );
    assert_eq!(
        content(|out, head| write_signal_event(out, head, 10, "SIGUSR1")),
        r#""code": "10", "name": "SIGUSR1" } }"#
    );
    let mut header = vec![0xff; 16];
    header.extend_from_slice(&[0x00, 0x17, 0x02]);
    assert_eq!(
        content(|out, head| {
            write_raw_message_event(out, head, Direction::Receive, &header, &[0, 0, 0, 0], None)
        }),
        r#""direction": "receive", "message": { "category": 2, "header": "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001702", "body": "0x00000000" }  } }"#
    );
    header[17] = 0x13;
    header[18] = 4;
    let negotiation = negotiation();
    let text = content(|out, head| {
        write_raw_message_event(
            out,
            head,
            Direction::Receive,
            &header,
            &[],
            Some(&negotiation),
        )
    });
    assert!(text.starts_with(r#""direction": "receive", "message": { "category": 4, "header": "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001304", "body": "0x" } , "negotiated": { "message_size""#), "{text}");
    assert!(text.ends_with(r#"]} }  } }"#), "{text}");
    assert_eq!(raw_message_kind(5), "route-refresh");
    assert_eq!(raw_message_kind(7), "unknown");
}

/// api.md §7.4's worked example (ExaBGP 5.0.15 output), envelope included.
#[test]
fn update_event_worked_example() {
    let message = hex(concat!(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00780200 0418CB0071 00594001010040020A02020000FDE9",
        "0000FDEA400304C000020180040400000064400504000000C8C00808FDE90064FFFFFF018009040A",
        "000001800A040A000002C010080002FDE900000064C0200C0000FDE9000000010000000218C63364"
    ));
    let ctx = crate::bgp::Negotiated::default();
    let update = Update::decode(&message[19..], &ctx).unwrap();
    let envelope = Envelope {
        version: FORMAT_VERSION_5,
        time: 1700000000.5,
        host: "rtr1",
        pid: 4242,
        ppid: 1,
    };
    let neighbor = NeighborIdentity {
        local_address: "127.0.0.1".parse().unwrap(),
        peer_address: "127.0.0.1".parse().unwrap(),
        local_asn: 65533,
        peer_asn: 65533,
        router_id: Some(Ipv4Addr::new(10, 0, 0, 2)),
    };
    let head = EventHead {
        envelope: &envelope,
        counter: 7,
        kind: "update",
        raw: None,
        neighbor: &neighbor,
    };
    let mut out = Vec::new();
    let options = UpdateJsonOptions::default();
    write_update_event(&mut out, &head, Direction::Receive, &update, None, options);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        concat!(
            r#"{ "exabgp": "5.0.0", "time": 1700000000.5, "host" : "rtr1", "pid" : 4242, "ppid" : 1, "counter": 7, "type": "update", "neighbor": { "address": { "local": "127.0.0.1", "peer": "127.0.0.1" }, "asn": { "local": 65533, "peer": 65533 }, "router-id": "10.0.0.2" , "direction": "receive", "message": { "update": { "attribute": { "origin": "igp", "as-path": {"0": {"element": "as-sequence", "value": [65001, 65002]}}, "med": 100, "local-preference": 200, "community": [ [ 65001, 100 ], [ 65535, 65281 ] ], "originator-id": "10.0.0.1", "cluster-list": [ "10.0.0.2" ], "extended-community": [ { "value": 842127122628708, "string": "target:65001:100" } ], "large-community": [ [ 65001, 1 , 2 ] ] }, "#,
            r#""announce": { "ipv4 unicast": { "192.0.2.1": [ { "nlri": "198.51.100.0/24" } ] } }, "withdraw": { "ipv4 unicast": [ { "nlri": "203.0.113.0/24" } ] } } } } }"#
        )
    );
    // exabgp.api.compact: bare prefixes.
    let mut out = Vec::new();
    let compact = UpdateJsonOptions {
        compact: true,
        ..UpdateJsonOptions::default()
    };
    write_update_event(&mut out, &head, Direction::Receive, &update, None, compact);
    let text = String::from_utf8(out).unwrap();
    assert!(text.ends_with(r#""announce": { "ipv4 unicast": { "192.0.2.1": [ "198.51.100.0/24" ] } }, "withdraw": { "ipv4 unicast": [ "203.0.113.0/24" ] } } } } }"#), "{text}");
}

#[test]
fn treat_as_withdraw_in_the_daemon() {
    // A 3-byte MED (treat-as-withdraw), one IPv4 route and one IPv6 route.
    let body = hex(concat!(
        "0000 0037 40010100 400206020100000001 400304C0000201 800403000064",
        "800E1A0002011020010DB8000000000000000000000001 00 2020010DB8",
        "18C63364"
    ));
    let ctx = Negotiated::default();
    let (update, error) = Update::decode_rfc7606(&body, &ctx).unwrap().into_parts();
    assert_eq!(error, Some(AttributeErrorNote::TreatAsWithdraw));
    assert_eq!(update.announced.len(), 1);
    // The peer withdraws the routes (`Update::decode_lenient`, over the same decoder).
    let mut decoded = Update::decode_rfc7606(&body, &ctx).unwrap();
    decoded.withdraw_routes();
    let update = decoded.update;
    assert!(update.announced.is_empty());
    assert_eq!(update.withdrawn.len(), 1);
    let mut out = Vec::new();
    let mut w = JsonWriter::new(&mut out);
    write_update_message(&mut w, &update, error, UpdateJsonOptions::default());
    let text = String::from_utf8(out).unwrap();
    assert_eq!(
        text,
        r#""message": { "update": { "attribute": { "origin": "igp", "as-path": {"0": {"element": "as-sequence", "value": [1]}}, "error": "treat-as-withdraw" }, "withdraw": { "ipv4 unicast": [ { "nlri": "198.51.100.0/24" } ], "ipv6 unicast": [ { "nlri": "2001:db8::/32" } ] } } }"#
    );
}

#[test]
fn unknown_family_names() {
    let mut out = Vec::new();
    let mut w = JsonWriter::new(&mut out);
    w.family(Family::new(Afi(0x99), Safi(99)), "/");
    assert_eq!(out, br#""unknown-afi-0x99/unknown safi 99""#);
}
