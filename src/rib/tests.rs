//! Behaviour of the adj-rib-out: coalescing, interning, grouping, splitting, EOR,
//! next-hop self, split expansion, reload difference, re-sends and the memory bound.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::*;
use crate::bgp::attribute::{Attribute, Community, Origin};
use crate::bgp::family::Family;
use crate::bgp::negotiated::{Negotiated, EXTENDED_MAX_MESSAGE};
use crate::bgp::nlri::{Labels, Nlri, Prefix, RouteDistinguisher};
use crate::bgp::update::Update;
use crate::bgp::wire::hex;

pub(crate) fn v4(a: u8, b: u8, c: u8, len: u8) -> Nlri {
    Nlri::prefix(Prefix::v4(Ipv4Addr::new(a, b, c, 0), len).unwrap())
}

fn nth(i: u32) -> Nlri {
    Nlri::prefix(Prefix::v4(Ipv4Addr::from(0x0A00_0000 + (i << 8)), 24).unwrap())
}

pub(crate) fn attrs(next_hop: [u8; 4], med: u32) -> PathAttributes {
    PathAttributes::new(
        Some(IpAddr::V4(Ipv4Addr::from(next_hop))),
        vec![Attribute::Origin(Origin::Igp), Attribute::Med(med)],
    )
}

pub(crate) fn session(families: &[Family]) -> SendContext {
    let negotiated = Negotiated {
        families: families.to_vec(),
        ..Negotiated::default()
    };
    SendContext::new(negotiated, 65000, 65000)
}

pub(crate) fn up_v4() -> SendContext {
    session(&[Family::IPV4_UNICAST])
}

/// Drains everything and splits the output into messages.
pub(crate) fn drain_all(rib: &mut AdjRibOut) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for _ in 0..100_000 {
        if rib.drain(&mut out, 25) == Drained::Done {
            break;
        }
    }
    let mut messages = Vec::new();
    let mut rest = out.as_slice();
    while rest.len() >= 19 {
        let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
        messages.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    assert!(rest.is_empty(), "trailing bytes");
    messages
}

pub(crate) fn decode(message: &[u8], ctx: &Negotiated) -> Update {
    assert_eq!(message[18], 2, "not an UPDATE");
    Update::decode(&message[19..], ctx).unwrap()
}

fn is_eor(message: &[u8]) -> bool {
    message.len() == 23 || (message.len() == 30 && message[23] == 0x0F)
}

/// An established RIB whose initial table and EOR are already sent.
fn established(options: RibOptions) -> AdjRibOut {
    let mut rib = AdjRibOut::new(options);
    rib.session_up(up_v4());
    let initial = drain_all(&mut rib);
    assert_eq!(initial.len(), 1, "only the EOR");
    rib
}

#[test]
fn announce_then_withdraw_before_sending_sends_nothing() {
    // ExaBGP sends nothing for a route the peer never had (issue 10, point 1).
    let mut rib = established(RibOptions::default());
    rib.announce(
        Family::IPV4_UNICAST,
        v4(10, 0, 0, 24),
        &attrs([1, 1, 1, 1], 1),
    );
    rib.withdraw(
        Family::IPV4_UNICAST,
        v4(10, 0, 0, 24),
        &PathAttributes::empty(),
    );
    assert!(drain_all(&mut rib).is_empty());
    assert_eq!(rib.stats().routes, 0, "the withdrawn route is forgotten");
}

#[test]
fn announce_a_announce_b_withdraw_a_sends_only_b() {
    for group_updates in [true, false] {
        let mut rib = established(RibOptions {
            group_updates,
            ..RibOptions::default()
        });
        let a = attrs([1, 1, 1, 1], 1);
        rib.announce(Family::IPV4_UNICAST, v4(10, 0, 0, 24), &a);
        rib.announce(Family::IPV4_UNICAST, v4(10, 0, 1, 24), &a);
        rib.withdraw(
            Family::IPV4_UNICAST,
            v4(10, 0, 0, 24),
            &PathAttributes::empty(),
        );
        let messages = drain_all(&mut rib);
        assert_eq!(messages.len(), 1, "group-updates {group_updates}");
        let update = decode(&messages[0], &Negotiated::default());
        assert!(update.withdrawn.is_empty());
        assert_eq!(update.announced, [v4(10, 0, 1, 24)]);
    }
}

#[test]
fn a_sent_route_is_withdrawn() {
    for adj_rib_out in [true, false] {
        let mut rib = established(RibOptions {
            adj_rib_out,
            ..RibOptions::default()
        });
        rib.announce(
            Family::IPV4_UNICAST,
            v4(10, 0, 0, 24),
            &attrs([1, 1, 1, 1], 1),
        );
        assert_eq!(drain_all(&mut rib).len(), 1);
        rib.withdraw(
            Family::IPV4_UNICAST,
            v4(10, 0, 0, 24),
            &PathAttributes::empty(),
        );
        let messages = drain_all(&mut rib);
        assert_eq!(messages.len(), 1, "adj-rib-out {adj_rib_out}");
        let update = decode(&messages[0], &Negotiated::default());
        assert_eq!(update.withdrawn, [v4(10, 0, 0, 24)]);
        assert!(update.announced.is_empty());
        assert_eq!(rib.stats().routes, 0, "a sent withdrawal is forgotten");
    }
}

#[test]
fn a_sent_route_changed_then_withdrawn_is_withdrawn() {
    let mut rib = established(RibOptions::default());
    let nlri = v4(10, 0, 0, 24);
    rib.announce(Family::IPV4_UNICAST, nlri.clone(), &attrs([1, 1, 1, 1], 1));
    assert_eq!(drain_all(&mut rib).len(), 1);
    rib.announce(Family::IPV4_UNICAST, nlri.clone(), &attrs([1, 1, 1, 1], 2));
    rib.withdraw(Family::IPV4_UNICAST, nlri, &PathAttributes::empty());
    let messages = drain_all(&mut rib);
    assert_eq!(messages.len(), 1);
}

#[test]
fn clear_before_sending_sends_nothing() {
    let mut rib = established(RibOptions::default());
    rib.announce(
        Family::IPV4_UNICAST,
        v4(10, 0, 0, 24),
        &attrs([1, 1, 1, 1], 1),
    );
    rib.clear();
    assert!(drain_all(&mut rib).is_empty());
}

#[test]
fn a_new_announcement_replaces_the_pending_one() {
    let mut rib = established(RibOptions::default());
    rib.announce(
        Family::IPV4_UNICAST,
        v4(10, 0, 0, 24),
        &attrs([1, 1, 1, 1], 1),
    );
    rib.announce(
        Family::IPV4_UNICAST,
        v4(10, 0, 0, 24),
        &attrs([2, 2, 2, 2], 2),
    );
    let messages = drain_all(&mut rib);
    assert_eq!(messages.len(), 1);
    let update = decode(&messages[0], &Negotiated::default());
    assert_eq!(update.announced, [v4(10, 0, 0, 24)]);
    assert!(update.attributes.contains(&Attribute::Med(2)));
    assert!(update
        .attributes
        .contains(&Attribute::NextHop(Ipv4Addr::new(2, 2, 2, 2))));
    assert_eq!(rib.stats().attribute_sets, 1, "the replaced set is freed");
}

#[test]
fn an_unchanged_announcement_is_not_queued_again() {
    let mut rib = established(RibOptions::default());
    rib.announce(
        Family::IPV4_UNICAST,
        v4(10, 0, 0, 24),
        &attrs([1, 1, 1, 1], 1),
    );
    assert_eq!(drain_all(&mut rib).len(), 1);
    rib.announce(
        Family::IPV4_UNICAST,
        v4(10, 0, 0, 24),
        &attrs([1, 1, 1, 1], 1),
    );
    assert!(drain_all(&mut rib).is_empty());
}

#[test]
fn identical_attribute_sets_are_stored_once() {
    let mut rib = AdjRibOut::new(RibOptions::default());
    for i in 0..1000 {
        rib.announce(Family::IPV4_UNICAST, nth(i), &attrs([1, 1, 1, 1], 7));
    }
    assert_eq!(rib.stats().attribute_sets, 1);
    assert_eq!(rib.stats().routes, 1000);
    rib.announce(Family::IPV4_UNICAST, nth(0), &attrs([1, 1, 1, 1], 8));
    assert_eq!(rib.stats().attribute_sets, 2);
    // Withdrawn while down: forgotten, the set freed with its last route.
    rib.withdraw(Family::IPV4_UNICAST, nth(0), &PathAttributes::empty());
    assert_eq!(rib.stats().attribute_sets, 1);
}

#[test]
fn group_updates_packs_routes_sharing_attributes_and_next_hop() {
    let mut rib = AdjRibOut::new(RibOptions::default());
    rib.announce(
        Family::IPV4_UNICAST,
        v4(10, 0, 2, 24),
        &attrs([1, 1, 1, 1], 1),
    );
    rib.announce(
        Family::IPV4_UNICAST,
        v4(10, 0, 1, 24),
        &attrs([1, 1, 1, 1], 1),
    );
    rib.announce(
        Family::IPV4_UNICAST,
        v4(10, 0, 3, 24),
        &attrs([9, 9, 9, 9], 1),
    );
    rib.session_up(up_v4());
    let messages = drain_all(&mut rib);
    assert_eq!(messages.len(), 3, "two groups and the EOR");
    let first = decode(&messages[0], &Negotiated::default());
    assert_eq!(
        first.announced,
        [v4(10, 0, 1, 24), v4(10, 0, 2, 24)],
        "sorted"
    );
    assert!(is_eor(&messages[2]));
}

#[test]
fn group_updates_false_sends_one_update_per_route() {
    let mut rib = AdjRibOut::new(RibOptions {
        group_updates: false,
        ..RibOptions::default()
    });
    for i in 0..3 {
        rib.announce(Family::IPV4_UNICAST, nth(i), &attrs([1, 1, 1, 1], 1));
    }
    rib.session_up(up_v4());
    let messages = drain_all(&mut rib);
    assert_eq!(messages.len(), 4);
    for message in &messages[..3] {
        assert_eq!(decode(message, &Negotiated::default()).announced.len(), 1);
    }
}

fn split_at(max: usize, routes: u32) -> Vec<Vec<u8>> {
    let mut rib = AdjRibOut::new(RibOptions::default());
    for i in 0..routes {
        rib.announce(Family::IPV4_UNICAST, nth(i), &attrs([1, 1, 1, 1], 1));
    }
    let mut ctx = up_v4();
    ctx.negotiated.max_message_size = max;
    rib.session_up(ctx);
    let mut messages = drain_all(&mut rib);
    assert!(is_eor(&messages.pop().unwrap()));
    let mut seen = 0;
    for message in &messages {
        assert!(message.len() <= max);
        seen += decode(message, &Negotiated::default()).announced.len();
    }
    assert_eq!(seen, routes as usize);
    messages
}

#[test]
fn updates_are_split_at_4096_bytes() {
    // 19 header + 4 lengths + 28 attribute bytes leave 4045 bytes: 1011 /24 routes.
    let messages = split_at(4096, 3000);
    assert_eq!(messages.len(), 3);
    assert_eq!(
        decode(&messages[0], &Negotiated::default()).announced.len(),
        1011
    );
    assert_eq!(messages[0].len(), 4095);
}

#[test]
fn updates_are_split_at_65535_bytes() {
    let messages = split_at(EXTENDED_MAX_MESSAGE, 20_000);
    assert_eq!(messages.len(), 2);
    assert_eq!(
        decode(&messages[0], &Negotiated::default()).announced.len(),
        (65535 - 19 - 4 - 28) / 4
    );
}

#[test]
fn withdrawals_are_packed() {
    let mut rib = AdjRibOut::new(RibOptions::default());
    for i in 0..2000 {
        rib.announce(Family::IPV4_UNICAST, nth(i), &attrs([1, 1, 1, 1], 1));
    }
    rib.session_up(up_v4());
    drain_all(&mut rib);
    for i in 0..2000 {
        rib.withdraw(Family::IPV4_UNICAST, nth(i), &PathAttributes::empty());
    }
    let messages = drain_all(&mut rib);
    // 4096 - 23 = 4073 bytes of withdrawn routes: 1018 per message.
    assert_eq!(messages.len(), 2);
    let first = decode(&messages[0], &Negotiated::default());
    assert_eq!(first.withdrawn.len(), 1018);
    assert_eq!(rib.stats().routes, 0);
}

#[test]
fn the_drain_stops_at_its_message_budget() {
    let mut rib = AdjRibOut::new(RibOptions {
        group_updates: false,
        ..RibOptions::default()
    });
    for i in 0..100 {
        rib.announce(Family::IPV4_UNICAST, nth(i), &attrs([1, 1, 1, 1], 1));
    }
    rib.session_up(up_v4());
    let mut out = Vec::new();
    assert_eq!(rib.drain(&mut out, 25), Drained::More);
    let one = out.len();
    assert_eq!(one, 25 * (19 + 4 + 28 + 4));
    assert_eq!(rib.drain(&mut out, 25), Drained::More);
    assert_eq!(out.len(), 2 * one);
}

#[test]
fn end_of_rib_for_each_negotiated_family_unless_manual() {
    let families = [Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    let mut rib = AdjRibOut::new(RibOptions::default());
    rib.session_up(session(&families));
    let messages = drain_all(&mut rib);
    assert_eq!(
        messages,
        [
            hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00170200000000"),
            hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001E0200000007900F0003000201"),
        ]
    );

    let mut manual = AdjRibOut::new(RibOptions {
        manual_eor: true,
        ..RibOptions::default()
    });
    manual.session_up(session(&families));
    assert!(drain_all(&mut manual).is_empty());
    manual.queue_eor(Family::IPV6_UNICAST);
    assert_eq!(drain_all(&mut manual), [messages[1].clone()]);
}

#[test]
fn the_table_is_sent_again_after_re_establishment() {
    let mut rib = AdjRibOut::new(RibOptions::default());
    rib.announce(Family::IPV4_UNICAST, nth(1), &attrs([1, 1, 1, 1], 1));
    rib.announce(Family::IPV4_UNICAST, nth(2), &attrs([1, 1, 1, 1], 2));
    rib.session_up(up_v4());
    let first = drain_all(&mut rib);
    assert_eq!(first.len(), 3);
    // Changes made while down are folded into the table, withdrawals dropped.
    rib.session_down();
    rib.withdraw(Family::IPV4_UNICAST, nth(2), &PathAttributes::empty());
    rib.announce(Family::IPV4_UNICAST, nth(3), &attrs([1, 1, 1, 1], 1));
    rib.session_up(up_v4());
    let second = drain_all(&mut rib);
    assert_eq!(second.len(), 2, "one grouped UPDATE and the EOR");
    assert_eq!(
        decode(&second[0], &Negotiated::default()).announced,
        [nth(1), nth(3)]
    );
}

#[test]
fn route_refresh_resends_the_family_inside_borr_and_eorr() {
    let mut rib = AdjRibOut::new(RibOptions::default());
    rib.announce(Family::IPV4_UNICAST, nth(1), &attrs([1, 1, 1, 1], 1));
    rib.session_up(up_v4());
    let initial = drain_all(&mut rib);
    rib.resend(Some(Family::IPV4_UNICAST), true);
    let messages = drain_all(&mut rib);
    assert_eq!(messages.len(), 3);
    assert_eq!(
        messages[0],
        hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00170500010101")
    );
    assert_eq!(messages[1], initial[0]);
    assert_eq!(
        messages[2],
        hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00170500010201")
    );
}

/// `flush adj-rib out` (ExaBGP's flush; `auto-flush` changes nothing, as in ExaBGP 5: every
/// change goes out at the next drain without it): every announced route of every
/// negotiated family again, framed by BoRR/EoRR per family when asked, and before the
/// changes queued after it.
#[test]
fn flush_resends_every_family_before_later_changes() {
    let families = [Family::IPV4_UNICAST, Family::IPV6_UNICAST];
    let mut rib = AdjRibOut::new(RibOptions::default());
    rib.announce(Family::IPV4_UNICAST, nth(1), &attrs([1, 1, 1, 1], 1));
    let v6 = Nlri::prefix(Prefix::v6("2001:db8::".parse().unwrap(), 32).unwrap());
    let v6_attrs = PathAttributes::new(Some(IpAddr::V6(Ipv6Addr::LOCALHOST)), Vec::new());
    rib.announce(Family::IPV6_UNICAST, v6, &v6_attrs);
    rib.session_up(session(&families));
    let initial = drain_all(&mut rib);
    assert_eq!(initial.len(), 4, "two UPDATEs and two EORs");
    assert!(!rib.has_work(), "nothing waits for a flush");

    rib.resend(None, false);
    rib.announce(Family::IPV4_UNICAST, nth(2), &attrs([1, 1, 1, 1], 2));
    let flushed = drain_all(&mut rib);
    assert_eq!(flushed.len(), 3);
    assert_eq!(
        flushed[..2],
        initial[..2],
        "the table again, in the same order"
    );
    assert_eq!(
        decode(&flushed[2], &Negotiated::default()).announced,
        [nth(2)]
    );

    rib.resend(None, true);
    let framed = drain_all(&mut rib);
    let borr = |afi: &str| hex(&format!("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0017050{afi}0101"));
    let eorr = |afi: &str| hex(&format!("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0017050{afi}0201"));
    assert_eq!(
        framed.len(),
        7,
        "two BoRR, three UPDATEs (two IPv4 sets), two EoRR"
    );
    assert_eq!(framed[0], borr("001"));
    assert_eq!(framed[1], borr("002"));
    assert_eq!(framed[5], eorr("001"));
    assert_eq!(framed[6], eorr("002"));
}

#[test]
fn a_route_refresh_request_is_queued_only_on_an_established_session() {
    let mut rib = AdjRibOut::new(RibOptions::default());
    rib.queue_route_refresh(Family::IPV4_UNICAST);
    rib.session_up(up_v4());
    let initial = drain_all(&mut rib);
    assert_eq!(
        initial.len(),
        1,
        "only the EOR: nothing was queued while down"
    );
    rib.queue_route_refresh(Family::IPV4_UNICAST);
    assert_eq!(
        drain_all(&mut rib),
        [hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00170500010001")]
    );
}

#[test]
fn repeated_changes_to_one_route_keep_one_pending_entry() {
    let mut rib = established(RibOptions::default());
    for i in 0..10_000u32 {
        let route = v4(10, 0, 0, 24);
        if i % 3 == 0 {
            rib.withdraw(Family::IPV4_UNICAST, route, &PathAttributes::empty());
        } else {
            rib.announce(Family::IPV4_UNICAST, route, &attrs([1, 1, 1, 1], i));
        }
        let stats = rib.stats();
        assert_eq!(stats.pending, 1);
        assert_eq!(stats.routes, 1);
        assert_eq!(stats.attribute_sets, 1);
    }
    // i = 9999 is a withdrawal: only it goes out.
    let messages = drain_all(&mut rib);
    assert_eq!(messages.len(), 1);
    assert_eq!(
        decode(&messages[0], &Negotiated::default()).withdrawn,
        [v4(10, 0, 0, 24)]
    );
}

#[test]
fn changes_during_a_drain_go_to_the_next_one() {
    let mut rib = AdjRibOut::new(RibOptions {
        group_updates: false,
        ..RibOptions::default()
    });
    for i in 0..50 {
        rib.announce(Family::IPV4_UNICAST, nth(i), &attrs([1, 1, 1, 1], 1));
    }
    rib.session_up(up_v4());
    let mut out = Vec::new();
    assert_eq!(rib.drain(&mut out, 10), Drained::More);
    // Route 40 changes before it was sent: it goes out once, with the new attributes.
    rib.announce(Family::IPV4_UNICAST, nth(40), &attrs([1, 1, 1, 1], 2));
    let rest = drain_all(&mut rib);
    let with = |med: u32| {
        rest.iter()
            .filter(|m| !is_eor(m))
            .filter(|m| {
                decode(m, &Negotiated::default())
                    .attributes
                    .contains(&Attribute::Med(med))
            })
            .count()
    };
    assert_eq!(with(1), 39);
    assert_eq!(with(2), 1);
}

/// The MED of every route announced in `messages`, by route.
fn announced_meds(messages: &[Vec<u8>]) -> Vec<(Nlri, u32)> {
    let mut routes = Vec::new();
    for message in messages.iter().filter(|m| !is_eor(m)) {
        let update = decode(message, &Negotiated::default());
        let med = update.attributes.iter().find_map(|a| match a {
            Attribute::Med(med) => Some(*med),
            _ => None,
        });
        for nlri in update.announced {
            routes.push((nlri, med.unwrap_or(0)));
        }
    }
    routes
}

#[test]
fn new_routes_during_a_drain_leave_the_running_job_intact() {
    let mut rib = AdjRibOut::new(RibOptions {
        group_updates: false,
        ..RibOptions::default()
    });
    for i in 0..50 {
        rib.announce(Family::IPV4_UNICAST, nth(i), &attrs([1, 1, 1, 1], 1));
    }
    rib.session_up(up_v4());
    let mut out = Vec::new();
    assert_eq!(rib.drain(&mut out, 10), Drained::More);
    let mut sent = drain_messages(&out);
    // New routes (the API pushing while the table goes out), and one change of a route of
    // the running job that was not sent yet.
    for i in 50..100 {
        rib.announce(Family::IPV4_UNICAST, nth(i), &attrs([1, 1, 1, 1], 3));
    }
    rib.announce(Family::IPV4_UNICAST, nth(40), &attrs([1, 1, 1, 1], 2));
    sent.extend(drain_all(&mut rib));
    let mut routes = announced_meds(&sent);
    routes.sort_by_key(|(nlri, _)| nlri.get_prefix());
    let expected: Vec<(Nlri, u32)> = (0..100)
        .map(|i| {
            (
                nth(i),
                [1, 2, 3][usize::from(i == 40) + 2 * usize::from(i >= 50)],
            )
        })
        .collect();
    assert_eq!(routes, expected);
}

#[test]
fn a_route_back_after_leaving_the_table_goes_with_its_new_attributes() {
    // Without adj-rib-out a sent route leaves the table; a flush queued before listed it.
    let mut rib = AdjRibOut::new(RibOptions {
        group_updates: false,
        adj_rib_out: false,
        ..RibOptions::default()
    });
    rib.session_up(up_v4());
    for i in 0..4 {
        rib.announce(Family::IPV4_UNICAST, nth(i), &attrs([1, 1, 1, 1], 1));
    }
    let mut out = Vec::new();
    // Snapshot the pending routes into a job and send the first of them.
    assert_eq!(rib.drain(&mut out, 1), Drained::More);
    rib.flush();
    let mut sent = drain_messages(&out);
    out.clear();
    assert_eq!(rib.drain(&mut out, 1), Drained::More);
    sent.extend(drain_messages(&out));
    // Routes 0 and 1 are gone from the table; route 1 comes back with other attributes.
    rib.announce(Family::IPV4_UNICAST, nth(1), &attrs([1, 1, 1, 1], 7));
    sent.extend(drain_all(&mut rib));
    // The flush re-sends what is still in the table: route 1 with its new attributes only.
    let expected = [(0, 1), (1, 1), (2, 1), (3, 1), (1, 7)].map(|(i, med)| (nth(i), med));
    assert_eq!(announced_meds(&sent), expected);
}

#[test]
fn labeled_and_vpn_withdrawals_carry_their_attributes() {
    let family = Family::IPV4_MPLS_VPN;
    let nlri = Nlri::vpn(
        None,
        Labels::from_values(&[100]).unwrap(),
        RouteDistinguisher::as2(65000, 1),
        Prefix::v4(Ipv4Addr::new(10, 0, 0, 0), 24).unwrap(),
    );
    let mut rib = AdjRibOut::new(RibOptions::default());
    rib.announce(family, nlri.clone(), &attrs([1, 1, 1, 1], 1));
    rib.session_up(session(&[family]));
    let announced = drain_all(&mut rib);
    assert_eq!(announced.len(), 2);
    let ctx = session(&[family]).negotiated;
    let update = decode(&announced[0], &ctx);
    assert_eq!(
        update.mp_reach().next().unwrap().nlri.routes(),
        std::slice::from_ref(&nlri)
    );
    rib.withdraw(family, nlri.clone(), &attrs([1, 1, 1, 1], 1));
    let withdrawn = drain_all(&mut rib);
    assert_eq!(withdrawn.len(), 1);
    let update = decode(&withdrawn[0], &ctx);
    assert!(update.attributes.contains(&Attribute::Med(1)));
    assert_eq!(update.mp_unreach().next().unwrap().nlri.routes(), [nlri]);
    // MP_UNREACH_NLRI with the one-byte length (flags 0x80), as ExaBGP 5.0.15 writes a
    // value of up to 255 bytes (issue 10 point 3): 0x80 0x0F, then 18 value bytes.
    let body = &withdrawn[0][19..];
    let at = body
        .windows(2)
        .position(|w| w == [0x80, 0x0F])
        .expect("a short-form MP_UNREACH_NLRI");
    assert_eq!(body[at + 2], 18, "AFI, SAFI and one VPN route");
    assert!(!body.windows(2).any(|w| w == [0x90, 0x0F]));
}

#[test]
fn routes_of_families_not_negotiated_are_not_sent() {
    let mut rib = AdjRibOut::new(RibOptions::default());
    let v6 = Nlri::prefix(Prefix::v6(Ipv6Addr::LOCALHOST, 128).unwrap());
    rib.announce(
        Family::IPV6_UNICAST,
        v6.clone(),
        &PathAttributes::new(Some(IpAddr::V6(Ipv6Addr::LOCALHOST)), Vec::new()),
    );
    rib.session_up(up_v4());
    assert_eq!(drain_all(&mut rib).len(), 1, "only the IPv4 EOR");
    assert!(rib.announced(Family::IPV6_UNICAST, &v6).is_some(), "kept");
}

#[test]
fn attributes_are_encoded_in_type_order_with_defaults() {
    let set = PathAttributes::new(
        Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
        vec![
            Attribute::Communities(vec![Community(0x7814_7814), Community(0x7814_0000)]),
            Attribute::Med(5),
        ],
    );
    let mut ibgp = Vec::new();
    set.encode(&mut ibgp, &up_v4());
    assert_eq!(
        ibgp,
        hex("400101004002004003040A0000018004040000000540050400000064C008087814000078147814")
    );
    let mut ebgp = Vec::new();
    let mut session = up_v4();
    session.peer_as = 65001;
    set.encode(&mut ebgp, &session);
    assert_eq!(
        ebgp,
        hex("4001010040020602010000FDE84003040A00000180040400000005C008087814000078147814")
    );
}

#[test]
fn adj_rib_in_stores_by_route() {
    let mut rib = AdjRibIn::new();
    rib.announce(Family::IPV4_UNICAST, nth(1), &attrs([1, 1, 1, 1], 1));
    rib.announce(Family::IPV4_UNICAST, nth(1), &attrs([1, 1, 1, 1], 2));
    assert_eq!(rib.len(), 1);
    assert_eq!(
        rib.get(Family::IPV4_UNICAST, &nth(1)),
        Some(&attrs([1, 1, 1, 1], 2))
    );
    rib.withdraw(Family::IPV4_UNICAST, &nth(1));
    assert!(rib.is_empty());
}

#[test]
fn without_adj_rib_out_routes_are_forgotten_once_sent() {
    let mut rib = AdjRibOut::new(RibOptions {
        adj_rib_out: false,
        ..RibOptions::default()
    });
    rib.announce(Family::IPV4_UNICAST, nth(1), &attrs([1, 1, 1, 1], 1));
    rib.session_up(up_v4());
    assert_eq!(drain_all(&mut rib).len(), 2);
    assert_eq!(rib.stats().routes, 0);
    assert_eq!(rib.stats().attribute_sets, 0);
    rib.resend(None, false);
    assert!(
        drain_all(&mut rib).is_empty(),
        "nothing cached, nothing replayed"
    );
}

#[test]
fn clear_withdraws_every_announced_route() {
    let mut rib = AdjRibOut::new(RibOptions::default());
    for i in 0..3 {
        rib.announce(Family::IPV4_UNICAST, nth(i), &attrs([1, 1, 1, 1], 1));
    }
    rib.session_up(up_v4());
    drain_all(&mut rib);
    rib.clear();
    let messages = drain_all(&mut rib);
    assert_eq!(messages.len(), 1);
    assert_eq!(
        decode(&messages[0], &Negotiated::default()).withdrawn,
        [nth(0), nth(1), nth(2)]
    );
    assert_eq!(rib.stats().routes, 0);
}

#[test]
fn ipv4_routes_with_an_ipv6_next_hop_use_mp_reach() {
    let mut ctx = up_v4();
    ctx.negotiated.extended_nexthop = vec![(Family::IPV4_UNICAST, crate::bgp::family::Afi::IPV6)];
    let mut rib = AdjRibOut::new(RibOptions::default());
    let hop = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
    rib.announce(
        Family::IPV4_UNICAST,
        nth(1),
        &PathAttributes::new(Some(hop), Vec::new()),
    );
    rib.session_up(ctx.clone());
    let messages = drain_all(&mut rib);
    let update = decode(&messages[0], &ctx.negotiated);
    assert!(update.announced.is_empty());
    let reach = update.mp_reach().next().unwrap();
    assert_eq!(reach.next_hop.address(), Some(hop));
    assert_eq!(reach.nlri.routes(), [nth(1)]);
    assert!(
        !update.attributes.iter().any(|a| a.code() == 3),
        "no NEXT_HOP"
    );
}

/// Regression: a table whose last UPDATE fills the message budget exactly used to report
/// `Done`, so the peer stopped draining and the End-of-RIB was never sent.
#[test]
fn end_of_rib_follows_a_table_ending_exactly_at_the_budget() {
    let mut rib = AdjRibOut::new(RibOptions::default());
    rib.announce(Family::IPV4_UNICAST, nth(0), &attrs([192, 0, 2, 1], 1));
    rib.announce(Family::IPV4_UNICAST, nth(1), &attrs([192, 0, 2, 1], 2));
    rib.session_up(up_v4());
    let mut out = Vec::new();
    assert_eq!(
        rib.drain(&mut out, 2),
        Drained::More,
        "End-of-RIB still due"
    );
    assert_eq!(rib.drain(&mut out, 2), Drained::Done);
    let messages = drain_messages(&out);
    assert_eq!(messages.len(), 3);
    assert!(is_eor(&messages[2]));
}

fn drain_messages(mut rest: &[u8]) -> Vec<Vec<u8>> {
    let mut messages = Vec::new();
    while rest.len() >= 19 {
        let len = usize::from(u16::from_be_bytes([rest[16], rest[17]]));
        messages.push(rest[..len].to_vec());
        rest = &rest[len..];
    }
    messages
}

// ---------------------------------------------------------------------------------------
// The prefix store (IPv6 prefixes and single-label labeled routes) beside the arena
// ---------------------------------------------------------------------------------------

fn v6(addr: &str, len: u8) -> Prefix {
    Prefix::v6(addr.parse().unwrap(), len).unwrap()
}

fn v6_attrs() -> PathAttributes {
    PathAttributes::new(
        Some(IpAddr::V6("2001:db8::1".parse().unwrap())),
        vec![Attribute::Origin(Origin::Igp)],
    )
}

/// The routes of every MP_REACH (or MP_UNREACH) of `messages`, in order.
fn mp_routes(messages: &[Vec<u8>], ctx: &Negotiated, reach: bool) -> Vec<(Family, Nlri)> {
    let mut routes = Vec::new();
    for message in messages.iter().filter(|m| !is_eor(m)) {
        let update = decode(message, ctx);
        let mp: Vec<_> = if reach {
            update.mp_reach().map(|m| (m.family, &m.nlri)).collect()
        } else {
            update.mp_unreach().map(|m| (m.family, &m.nlri)).collect()
        };
        for (family, nlri) in mp {
            for route in nlri.routes() {
                routes.push((family, route.clone()));
            }
        }
    }
    routes
}

/// ExaBGP's order of routes sharing their attributes, computed independently of the
/// table: family, path-id, wire length, prefix length, prefix, then the whole route.
fn exabgp_order(routes: &mut [(Family, Nlri)]) {
    routes.sort_by(|(fa, a), (fb, b)| {
        let key = |n: &Nlri| {
            (
                n.path_id(),
                n.encoded_len(false),
                n.get_prefix().len(),
                n.get_prefix(),
            )
        };
        (fa, key(a)).cmp(&(fb, key(b))).then_with(|| a.cmp(b))
    });
}

fn labels(values: &[u32]) -> Labels {
    Labels::from_values(values).unwrap()
}

/// IPv6 unicast and labeled routes from both stores, announced out of order: the table
/// sends them in ExaBGP's order, and keeps each route once.
#[test]
fn prefix_store_routes_are_sent_in_exabgp_order() {
    let families = [
        Family::IPV6_UNICAST,
        Family::IPV6_NLRI_MPLS,
        Family::IPV4_NLRI_MPLS,
    ];
    let routes: Vec<(Family, Nlri)> = vec![
        (Family::IPV6_UNICAST, Nlri::prefix(v6("2001:db8:2::", 48))),
        (Family::IPV6_UNICAST, Nlri::prefix(v6("2001:db8:1::", 48))),
        (Family::IPV6_UNICAST, Nlri::prefix(v6("2001:db8::", 32))),
        (Family::IPV6_UNICAST, Nlri::prefix(v6("2001:db8:1::1", 128))),
        // A path-id puts it in the arena.
        (
            Family::IPV6_UNICAST,
            Nlri::prefix(v6("2001:db8:1::", 48)).with_path_id(Some(1)),
        ),
        (
            Family::IPV6_NLRI_MPLS,
            Nlri::labeled(None, labels(&[200]), v6("2001:db8:5::", 48)),
        ),
        (
            Family::IPV6_NLRI_MPLS,
            Nlri::labeled(None, labels(&[100]), v6("2001:db8:5::", 48)),
        ),
        // Two labels: arena; same prefix, sorts by its longer wire form.
        (
            Family::IPV6_NLRI_MPLS,
            Nlri::labeled(None, labels(&[100, 101]), v6("2001:db8:5::", 48)),
        ),
        (
            Family::IPV6_NLRI_MPLS,
            Nlri::labeled(None, labels(&[7]), v6("2001:db8:4::", 47)),
        ),
        (
            Family::IPV4_NLRI_MPLS,
            Nlri::labeled(
                None,
                labels(&[300]),
                Prefix::v4(Ipv4Addr::new(10, 0, 0, 0), 8).unwrap(),
            ),
        ),
    ];
    let mut rib = AdjRibOut::new(RibOptions::default());
    let set = v6_attrs();
    for (family, nlri) in &routes {
        rib.announce(*family, nlri.clone(), &set);
        rib.announce(*family, nlri.clone(), &set);
    }
    assert_eq!(rib.stats().routes, routes.len());
    for (family, nlri) in &routes {
        assert!(rib.announced(*family, nlri).is_some(), "{family} {nlri}");
    }
    let ctx = session(&families).negotiated;
    rib.session_up(session(&families));
    let sent = mp_routes(&drain_all(&mut rib), &ctx, true);
    let mut expected = routes.clone();
    exabgp_order(&mut expected);
    // No ADD-PATH on this session: the path-id is not sent.
    let on_wire: Vec<(Family, Nlri)> = expected
        .iter()
        .map(|(f, n)| (*f, n.clone().with_path_id(None)))
        .collect();
    assert_eq!(sent, on_wire);

    // Withdrawn while the session is up: the withdrawals go in the same order.
    for (family, nlri) in &routes {
        rib.withdraw(*family, nlri.clone(), &set);
    }
    let withdrawn = mp_routes(&drain_all(&mut rib), &ctx, false);
    assert_eq!(withdrawn.len(), expected.len());
    for ((_, got), (_, wanted)) in withdrawn.iter().zip(&expected) {
        // A withdrawal is decoded with one label field (RFC 8277 §2.4), so a deeper stack
        // reads back differently; compare the others.
        if wanted.labels().map_or(0, |l| l.len()) <= 1 {
            assert_eq!(got.get_prefix(), wanted.get_prefix());
        }
    }
    assert_eq!(rib.stats().routes, 0, "sent withdrawals are forgotten");
}

/// Removing routes frees their places for reuse, and the routes left are still found.
#[test]
fn prefix_store_removals_keep_the_other_routes() {
    let mut rib = AdjRibOut::new(RibOptions::default());
    let set = v6_attrs();
    let route = |i: u32| {
        let address = Ipv6Addr::from((0x2001_0db8_u128 << 96) | (u128::from(i) << 64));
        Nlri::prefix(Prefix::v6(address, 64).unwrap())
    };
    for i in 0..2_000 {
        rib.announce(Family::IPV6_UNICAST, route(i), &set);
    }
    // No session: a withdrawal forgets the route.
    for i in (0..2_000).filter(|i| i % 3 == 0) {
        rib.withdraw(Family::IPV6_UNICAST, route(i), &set);
    }
    for i in 0..2_000 {
        let held = rib.announced(Family::IPV6_UNICAST, &route(i)).is_some();
        assert_eq!(held, i % 3 != 0, "route {i}");
    }
    for i in 2_000..2_500 {
        rib.announce(Family::IPV6_UNICAST, route(i), &set);
    }
    assert_eq!(rib.stats().routes, 2_000 - 667 + 500);
    assert_eq!(rib.announced_routes().count(), 2_000 - 667 + 500);
    rib.session_up(session(&[Family::IPV6_UNICAST]));
    let ctx = session(&[Family::IPV6_UNICAST]).negotiated;
    let sent = mp_routes(&drain_all(&mut rib), &ctx, true);
    assert_eq!(sent.len(), 2_000 - 667 + 500);
}

/// The next-hop field of the MP_REACH_NLRI in an UPDATE written with MP_REACH last (its
/// bytes after the 2-byte AFI and the SAFI).
fn mp_reach_next_hop(message: &[u8]) -> Vec<u8> {
    let at = message
        .windows(2)
        .position(|w| w == [0x80, 14])
        .expect("MP_REACH_NLRI");
    let len = usize::from(message[at + 6]);
    message[at + 7..at + 7 + len].to_vec()
}

#[test]
fn a_global_ipv6_next_hop_goes_with_the_link_local_one_when_negotiated() {
    let link_local: Ipv6Addr = "fe80::1".parse().unwrap();
    let global: Ipv6Addr = "2001:db8::ffff".parse().unwrap();
    let route = Nlri::prefix(Prefix::v6("2001:db8:1::1".parse().unwrap(), 128).unwrap());
    let cases = [
        (Some(link_local), true, global, 32),
        (Some(link_local), false, global, 16),
        (None, true, global, 16),
        (Some(link_local), true, "fe80::cafe".parse().unwrap(), 16),
    ];
    for (configured, negotiated, next_hop, len) in cases {
        let mut rib = AdjRibOut::new(RibOptions {
            local_link_local: configured,
            ..RibOptions::default()
        });
        let attributes = PathAttributes::new(
            Some(IpAddr::V6(next_hop)),
            vec![Attribute::Origin(Origin::Igp)],
        )
        .with_mp_next_hop_only();
        rib.announce(Family::IPV6_UNICAST, route.clone(), &attributes);
        let mut up = session(&[Family::IPV6_UNICAST]);
        up.link_local_nexthop = negotiated;
        rib.session_up(up);
        let messages = drain_all(&mut rib);
        let field = mp_reach_next_hop(&messages[0]);
        assert_eq!(field.len(), len, "{configured:?} {negotiated} {next_hop}");
        assert_eq!(field[..16], next_hop.octets());
        if len == 32 {
            assert_eq!(field[16..], link_local.octets(), "global, then link-local");
        }
    }
}

#[test]
fn one_flow_route_to_many_peers_is_held_once() {
    // The same FlowSpec route for 100 neighbors, built once per neighbor (as a configured or
    // API route is converted for each): their 100 adj-rib-outs hold one body.
    let flow = || {
        let components = [1, 24, 10, 9, 0, 5, 0x81, 80];
        Nlri::flow(crate::bgp::flow::FlowInline::new(false, None, &components).unwrap())
    };
    let attributes = PathAttributes::new(None, vec![Attribute::Origin(Origin::Igp)]);
    let before = bodies::held();
    let mut ribs: Vec<AdjRibOut> = (0..100)
        .map(|_| AdjRibOut::new(RibOptions::default()))
        .collect();
    for rib in &mut ribs {
        rib.announce(Family::IPV4_FLOW, flow(), &attributes);
    }
    assert_eq!(bodies::held(), before + 1);
    let held: Vec<Nlri> = ribs
        .iter()
        .map(|rib| rib.announced_routes().next().unwrap().1)
        .collect();
    let first = held[0].as_flow().unwrap();
    assert!(held
        .iter()
        .all(|nlri| std::ptr::eq(nlri.as_flow().unwrap(), first)));
    // Sent as before: every peer gets the route, then the family's End-of-RIB.
    for rib in &mut ribs {
        rib.session_up(session(&[Family::IPV4_FLOW]));
        let messages = drain_all(rib);
        assert_eq!(messages.len(), 2);
        let update = decode(&messages[0], &Negotiated::default());
        assert_eq!(update.mp_reach().count(), 1);
    }
}
