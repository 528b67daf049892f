//! Unit tests of the text encoder. The expected strings are what ExaBGP 5.0.15's text
//! encoder returned for the same inputs, plus the newline its process writer adds.

use super::*;
use crate::api::json::NeighborIdentity;
use crate::bgp::operational::{AdvisoryKind, CountKind};
use crate::bgp::refresh::RefreshSubtype;
use crate::bgp::wire::hex;
use crate::bgp::{Family, Negotiated};

const ENVELOPE: Envelope<'static> = Envelope {
    version: crate::api::json::FORMAT_VERSION_5,
    time: 1.0,
    host: "h",
    pid: 4242,
    ppid: 1,
};

fn neighbor() -> NeighborIdentity {
    NeighborIdentity {
        local_address: "10.0.0.2".parse().unwrap(),
        peer_address: "10.0.0.1".parse().unwrap(),
        local_asn: 65000,
        peer_asn: 65001,
        router_id: None,
    }
}

fn event(raw: Option<RawMessage<'_>>, write: impl FnOnce(&mut Vec<u8>, &EventHead<'_>)) -> String {
    let neighbor = neighbor();
    let head = EventHead {
        envelope: &ENVELOPE,
        counter: 1,
        kind: "x",
        raw,
        neighbor: &neighbor,
    };
    let mut out = Vec::new();
    write(&mut out, &head);
    String::from_utf8(out).unwrap()
}

fn plain(write: impl FnOnce(&mut Vec<u8>, &EventHead<'_>)) -> String {
    event(None, write)
}

fn update_text(update: &Update, error: Option<AttributeErrorNote>) -> String {
    plain(|o, h| {
        write_update_event(
            o,
            h,
            Direction::Receive,
            update,
            error,
            UpdateTextOptions::default(),
        )
    })
}

#[test]
fn state_events() {
    assert_eq!(
        plain(|o, h| write_state_event(o, h, "connected", None)),
        "neighbor 10.0.0.1 connected\n\n"
    );
    assert_eq!(
        plain(|o, h| write_state_event(o, h, "up", None)),
        "neighbor 10.0.0.1 up\n\n"
    );
    assert_eq!(
        plain(|o, h| write_state_event(o, h, "down", Some(""))),
        "neighbor 10.0.0.1 down - \n\n"
    );
    assert_eq!(
        plain(|o, h| write_state_event(o, h, "down", None)),
        "neighbor 10.0.0.1 down - \n\n"
    );
    // Non-printable characters escaped so that the event stays on one line.
    assert_eq!(
        plain(|o, h| write_state_event(o, h, "down", Some("a\nb\x7f\0é\u{200b}z\"\\"))),
        "neighbor 10.0.0.1 down - a\\x0ab\\x7f\\x00é\\x200bz\"\\\n\n"
    );
}

#[test]
fn events_without_text_form() {
    // negotiated, fsm and signal: see api::event's events_without_text_form_write_nothing.
    let unknown = Operational::Unknown {
        kind: 99,
        data: vec![1],
    };
    assert_eq!(
        plain(|o, h| write_operational(o, h, Direction::Receive, &unknown)),
        ""
    );
}

#[test]
fn shutdown_event() {
    let mut out = Vec::new();
    write_shutdown_event(&mut out, &ENVELOPE);
    assert_eq!(out, b"shutdown 4242 1\n\n");
}

#[test]
fn operational_events() {
    let advisory = Operational::Advisory {
        kind: AdvisoryKind::Demand,
        family: Family::IPV4_UNICAST,
        text: b"it's \"x\" \\ \t\n\xff\x00".to_vec(),
    };
    assert_eq!(
        plain(|o, h| write_operational(o, h, Direction::Receive, &advisory)),
        "neighbor 10.0.0.1 receive operational ADM afi ipv4 safi unicast advisory \"b'it\\'s \"x\" \\\\ \\t\\n\\xff\\x00'\"\n"
    );
    let advisory = Operational::Advisory {
        kind: AdvisoryKind::Static,
        family: Family::IPV6_MPLS_VPN,
        text: b"a'b".to_vec(),
    };
    assert_eq!(
        plain(|o, h| write_operational(o, h, Direction::Receive, &advisory)),
        "neighbor 10.0.0.1 receive operational ASM afi ipv6 safi mpls-vpn advisory \"b\"a'b\"\"\n"
    );
    let query = Operational::Query {
        kind: CountKind::Reachable,
        family: Family::IPV4_UNICAST,
        router_id: Ipv4Addr::new(10, 0, 0, 1),
        sequence: 0,
    };
    assert_eq!(
        plain(|o, h| write_operational(o, h, Direction::Receive, &query)),
        "neighbor 10.0.0.1 receive operational RPCQ afi ipv4 safi unicast\n"
    );
    // ExaBGP keeps a zero sequence number as None.
    let reply = Operational::Reply {
        kind: CountKind::Reachable,
        family: Family::IPV4_UNICAST,
        router_id: Ipv4Addr::UNSPECIFIED,
        sequence: 0,
        counter: 5,
    };
    assert_eq!(
        plain(|o, h| write_operational(o, h, Direction::Send, &reply)),
        "neighbor 10.0.0.1 send operational RPCP afi ipv4 safi unicast router-id 0.0.0.0 sequence None counter 5\n"
    );
}

#[test]
fn refresh_and_keepalive() {
    let refresh = RouteRefresh::new(Family::IPV6_UNICAST, RefreshSubtype::END);
    assert_eq!(
        plain(|o, h| write_refresh(o, h, Direction::Send, &refresh)),
        "neighbor 10.0.0.1 send route-refresh afi ipv6 safi unicast end\n\n"
    );
    let refresh = RouteRefresh::new(Family::IPV4_UNICAST, RefreshSubtype(9));
    assert!(
        plain(|o, h| write_refresh(o, h, Direction::Receive, &refresh))
            .ends_with(" safi unicast invalid\n\n")
    );
    let header = [0xff; 19];
    let raw = RawMessage {
        header: &header,
        body: &[],
    };
    assert_eq!(
        event(Some(raw), |o, h| write_keepalive(o, h, Direction::Receive)),
        "neighbor 10.0.0.1 receive keepalive header 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF\n\n"
    );
}

#[test]
fn notifications() {
    // Sent: the bytes sent; received Cease 6/2: ExaBGP's sentence about it.
    let sent = Notification::new(6, 4, b"\x14Administrative Reset".to_vec());
    assert_eq!(
        plain(|o, h| write_notification(o, h, Direction::Send, &sent)),
        "neighbor 10.0.0.1 send notification code 6 subcode 4 data 0x1441646D696E697374726174697665205265736574\n\n"
    );
    let received = Notification::new(6, 2, b"\x02AB".to_vec());
    assert_eq!(
        plain(|o, h| write_notification(o, h, Direction::Receive, &received)),
        "neighbor 10.0.0.1 receive notification code 6 subcode 2 data 0x53687574646F776E20436F6D6D756E69636174696F6E3A2022414222\n\n"
    );
    let empty = Notification::new(4, 0, Vec::new());
    assert_eq!(
        plain(|o, h| write_notification(o, h, Direction::Receive, &empty)),
        "neighbor 10.0.0.1 receive notification code 4 subcode 0 data 0x\n\n"
    );
}

#[test]
fn raw_packets() {
    let mut header = vec![0xff; 16];
    header.extend_from_slice(&[0, 0x17, 2]);
    let text =
        plain(|o, h| write_raw_message_event(o, h, Direction::Receive, &header, &[0, 0, 0, 0]));
    assert_eq!(
        text,
        "neighbor 10.0.0.1 receive 2 header 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001702 body 0x00000000\n\n"
    );
    // An empty body is left out; a short header does not panic.
    let text = plain(|o, h| write_raw_message_event(o, h, Direction::Send, &[0xff], &[]));
    assert_eq!(text, "neighbor 10.0.0.1 send 0 header 0xFF\n\n");
}

/// api.md §8's worked example.
#[test]
fn update_worked_example() {
    let body = hex(concat!(
        "0004 18CB0071 0059 4001010040020A02020000FDE90000FDEA400304C000020180040400000064",
        "400504000000C8C00808FDE90064FFFFFF018009040A000001800A040A000002C010080002FDE9",
        "00000064C0200C0000FDE9000000010000000218C63364"
    ));
    let (update, error) = Update::decode_rfc7606(&body, &Negotiated::default())
        .unwrap()
        .into_parts();
    assert_eq!(
        update_text(&update, error),
        concat!(
            "neighbor 10.0.0.1 receive update start\n",
            "neighbor 10.0.0.1 receive update withdrawn 203.0.113.0/24\n",
            "neighbor 10.0.0.1 receive update announced 198.51.100.0/24 next-hop 192.0.2.1 origin igp as-path ( 65001 65002 ) med 100 local-preference 200 community [ 65001:100 no-export ] originator-id 10.0.0.1 cluster-list [ 10.0.0.2 ] extended-community target:65001:100 large-community 65001:1:2\n",
            "neighbor 10.0.0.1 receive update end\n\n"
        )
    );
}

#[test]
fn attribute_text_is_shared_and_treat_as_withdraw() {
    // Three routes share one attribute text.
    let body = hex(concat!(
        "0000 0014 40010100 400206020100000001 400304C0000201",
        "18C63364 18C63365 18C63366"
    ));
    let ctx = Negotiated::default();
    let (update, error) = Update::decode_rfc7606(&body, &ctx).unwrap().into_parts();
    let text = update_text(&update, error);
    let announced: Vec<&str> = text.lines().filter(|l| l.contains(" announced ")).collect();
    assert_eq!(announced.len(), 3);
    for line in announced {
        assert!(
            line.ends_with(" next-hop 192.0.2.1 origin igp as-path ( 1 )"),
            "{line}"
        );
    }
    // A 3-byte MED: treat-as-withdraw; in the daemon every route is withdrawn.
    let body = hex(concat!(
        "0000 001A 40010100 400206020100000001 400304C0000201 800403000064",
        "18C63364"
    ));
    let (update, error) = treat_as_withdraw(&body, &ctx);
    assert_eq!(error, Some(AttributeErrorNote::TreatAsWithdraw));
    assert_eq!(
        update_text(&update, error),
        concat!(
            "neighbor 10.0.0.1 receive update start\n",
            "neighbor 10.0.0.1 receive update withdrawn 198.51.100.0/24\n",
            "neighbor 10.0.0.1 receive update end\n\n"
        )
    );
}

#[test]
fn opaque_families() {
    // Families rexa does not decode: the NLRI bytes in hex, one line per field.
    let reach = crate::bgp::mp::MpReach {
        family: Family::IPV4_FLOW,
        next_hop: NextHop::None,
        reserved: 0,
        nlri: MpNlri::Opaque(vec![5, 1, 24, 10, 0, 0]),
        extended_length: false,
    };
    let unreach = crate::bgp::mp::MpUnreach {
        family: Family::IPV4_FLOW,
        nlri: MpNlri::Opaque(vec![5, 1, 24, 10, 0, 1]),
        extended_length: false,
    };
    let update = Update {
        withdrawn: Vec::new(),
        attributes: vec![
            Attribute::Origin(crate::bgp::attribute::Origin::Igp),
            Attribute::MpReach(reach),
            Attribute::MpUnreach(unreach),
        ],
        announced: Vec::new(),
    };
    assert_eq!(
        update_text(&update, None),
        concat!(
            "neighbor 10.0.0.1 receive update start\n",
            "neighbor 10.0.0.1 receive update withdrawn 0x0501180A0001\n",
            "neighbor 10.0.0.1 receive update announced 0x0501180A0000 origin igp\n",
            "neighbor 10.0.0.1 receive update end\n\n"
        )
    );
}

#[test]
fn end_of_rib_and_raw_line() {
    let update = Update::end_of_rib_marker(Family::IPV6_MPLS_VPN);
    let header = [0xff; 19];
    let raw = RawMessage {
        header: &header,
        body: &[1, 2],
    };
    let text = event(Some(raw), |o, h| {
        write_update_event(
            o,
            h,
            Direction::Send,
            &update,
            None,
            UpdateTextOptions::default(),
        )
    });
    assert_eq!(
        text,
        concat!(
            "neighbor 10.0.0.1 send update start\n",
            "neighbor 10.0.0.1 send update route eor 2/128 (ipv6 mpls-vpn)\n",
            " header 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF body 0x0102\n",
            "neighbor 10.0.0.1 send update end\n\n"
        )
    );
}

#[test]
fn sent_open_lists_the_unsent_hostname() {
    let open = Open::new(
        65000,
        180,
        Ipv4Addr::new(10, 0, 0, 2),
        vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::FourOctetAs(65000),
        ],
    );
    let sent = plain(|o, h| write_open_event(o, h, Direction::Send, &open));
    assert!(
        sent.ends_with(
            "capabilities [multiprotocol(ipv4 unicast), asn4(65000), hostname(none none)]\n\n"
        ),
        "{sent}"
    );
    let received = plain(|o, h| write_open_event(o, h, Direction::Receive, &open));
    assert!(
        received.ends_with("capabilities [multiprotocol(ipv4 unicast), asn4(65000)]\n\n"),
        "{received}"
    );
}

#[test]
fn one_line_helpers() {
    let mut out = Vec::new();
    write_one_line(&mut out, "ÉA\u{a0}\u{1}", true);
    assert_eq!(String::from_utf8(out).unwrap(), "éa\\xa0\\x01");
    let mut out = Vec::new();
    write_python_bytes_repr(&mut out, b"\"'");
    assert_eq!(out, b"b'\"\\''");
}

#[test]
fn mvpn_routes_show_their_family() {
    // encoding/conf-mvpn.ci line 4 (ExaBGP's MVPN `extensive()` is the family's).
    let body = hex(concat!(
        "00000040400101004002004003040A0A060440050400000064C010080002FDE80001869F",
        "800E1D000105040A0A06040005120000FDE80001869F200A630C0420EFFBFFE4"
    ));
    let mut ctx = Negotiated::default();
    ctx.families.push(Family::new(
        crate::bgp::family::Afi::IPV4,
        crate::bgp::family::Safi::MCAST_VPN,
    ));
    let (update, error) = Update::decode_rfc7606(&body, &ctx).unwrap().into_parts();
    assert_eq!(
        update_text(&update, error),
        concat!(
            "neighbor 10.0.0.1 receive update start\n",
            "neighbor 10.0.0.1 receive update announced afi ipv4 safi mcast-vpn origin igp local-preference 100 extended-community target:65000:99999\n",
            "neighbor 10.0.0.1 receive update end\n\n"
        )
    );
}

/// An UPDATE decoded as a report shows it, RFC 7606's treat-as-withdraw applied to its
/// routes (as the peer does).
fn treat_as_withdraw(body: &[u8], ctx: &Negotiated) -> (Update, Option<AttributeErrorNote>) {
    let mut decoded = Update::decode_rfc7606(body, ctx).unwrap();
    decoded.withdraw_routes();
    decoded.into_parts()
}
