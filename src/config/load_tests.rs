//! Parsed configurations loaded by `rib::load`: `next-hop self`, `split`, FlowSpec, watchdogs
//! and the reload difference.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::bgp::attribute::Attribute;
use crate::bgp::family::Family;
use crate::bgp::negotiated::Negotiated;
use crate::bgp::nlri::Nlri;
use crate::bgp::update::Update;
use crate::config::Neighbor;
use crate::rib::load::{convert_route, ConversionError, LoadReport};
use crate::rib::tests::{attrs, decode, drain_all, session, up_v4, v4};
use crate::rib::RibOptions;
use crate::rib::{AdjRibOut, Route, RouteContext};

/// The routes of one neighbor, and the configured routes that could not be converted.
struct RouteSet {
    routes: Vec<Route>,
    errors: Vec<ConversionError>,
}

/// Converts every route of `n`, with `local` in place of its configured local address.
fn neighbor_routes(n: &Neighbor, local: Option<IpAddr>) -> RouteSet {
    let mut ctx = n.route_context();
    ctx.local = local.or(ctx.local);
    let mut set = RouteSet {
        routes: Vec::new(),
        errors: Vec::new(),
    };
    for route in &n.routes {
        let mut out = Vec::new();
        match convert_route(route, &ctx, &mut out) {
            Ok(()) => set.routes.append(&mut out),
            Err(error) => set.errors.push(error),
        }
    }
    set
}

/// Loads `n`'s routes into `rib`, the configuration kept.
fn load_configured(n: &Neighbor, rib: &mut AdjRibOut) -> LoadReport {
    crate::rib::load_configured(&n.route_context(), &n.routes, rib)
}

fn neighbor(body: &str, peer: &str, local: &str) -> crate::config::Neighbor {
    let text = format!(
        "neighbor {peer} {{ router-id 10.9.9.9; local-address {local}; local-as 65000; \
         peer-as 65000; {body} }}"
    );
    let mut config = crate::config::parse(&text, "test.conf").unwrap();
    config.neighbors.remove(0)
}

#[test]
fn next_hop_self_uses_the_session_address_of_the_family() {
    let n = neighbor(
        "family { ipv4 unicast; } static { route 10.0.0.0/24 next-hop self; }",
        "192.0.2.2",
        "192.0.2.1",
    );
    let set = neighbor_routes(&n, None);
    assert!(set.errors.is_empty());
    assert_eq!(
        set.routes[0].attributes.next_hop(),
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))
    );
    let later = neighbor_routes(&n, Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))));
    assert_eq!(
        later.routes[0].attributes.next_hop(),
        Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 7))),
        "the session's address wins over the configured one"
    );

    let n = neighbor(
        "family { ipv4 unicast; ipv6 unicast; } static { route 10.0.0.0/24 next-hop self; \
         route 2001:db8::/32 next-hop self; }",
        "::2",
        "::1",
    );
    let set = neighbor_routes(&n, None);
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let hops: Vec<_> = set.routes.iter().map(|r| r.attributes.next_hop()).collect();
    assert_eq!(
        hops,
        [
            Some(IpAddr::V4(Ipv4Addr::new(10, 9, 9, 9))),
            Some(IpAddr::V6(Ipv6Addr::LOCALHOST))
        ],
        "IPv4 route on an IPv6 session: the router-id"
    );
    assert!(matches!(
        neighbor_routes(&n, Some(IpAddr::V4(Ipv4Addr::LOCALHOST)))
            .errors
            .as_slice(),
        [ConversionError::NextHopSelf { .. }]
    ));
}

#[test]
fn split_expands_into_sub_prefixes() {
    let n = neighbor(
        "static { route 10.0.0.0/22 next-hop 1.1.1.1 split /24; }",
        "192.0.2.2",
        "192.0.2.1",
    );
    let set = neighbor_routes(&n, None);
    let routes: Vec<Nlri> = set.routes.iter().map(|r| r.nlri.clone()).collect();
    assert_eq!(
        routes,
        [
            v4(10, 0, 0, 24),
            v4(10, 0, 1, 24),
            v4(10, 0, 2, 24),
            v4(10, 0, 3, 24)
        ]
    );
}

#[test]
fn flow_routes_convert_and_are_sent_without_next_hop() {
    let n = neighbor(
        "flow { route r { match { destination-port =80; destination 10.0.0.0/24; } \
         then { discard; } } }",
        "192.0.2.2",
        "192.0.2.1",
    );
    let set = neighbor_routes(&n, None);
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let [route] = set.routes.as_slice() else {
        panic!("expected one route: {:?}", set.routes);
    };
    assert_eq!(route.family, Family::IPV4_FLOW);
    assert_eq!(
        route.nlri.to_string(),
        "flow destination-ipv4 10.0.0.0/24 destination-port =80"
    );
    assert_eq!(route.attributes.next_hop(), None);
    // Components in type order, the 1-byte length first.
    let mut wire = Vec::new();
    route.nlri.encode(&mut wire, false);
    assert_eq!(wire, [8, 1, 24, 10, 0, 0, 5, 0x81, 80]);
}

#[test]
fn flow_redirect_to_ip_sets_the_next_hop_and_interface_sets_become_communities() {
    let n = neighbor(
        "flow { route r { match { destination 10.0.0.0/24; } \
         then { redirect 1.2.3.4; } } \
         route destination 10.0.0.1/32 interface-set transitive:input:65000:5 discard; }",
        "192.0.2.2",
        "192.0.2.1",
    );
    let set = neighbor_routes(&n, None);
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    let [redirect, scoped] = set.routes.as_slice() else {
        panic!("expected two routes: {:?}", set.routes);
    };
    assert_eq!(
        redirect.attributes.next_hop(),
        Some("1.2.3.4".parse().unwrap())
    );
    let communities = |route: &Route| -> Vec<[u8; 8]> {
        route
            .attributes
            .attributes()
            .iter()
            .find_map(|a| match a {
                crate::bgp::attribute::Attribute::ExtendedCommunities(list) => {
                    Some(list.iter().map(|c| c.0).collect())
                }
                _ => None,
            })
            .unwrap_or_default()
    };
    assert_eq!(communities(redirect), [[0x08, 0, 0, 0, 0, 0, 0, 0]]);
    assert_eq!(
        communities(scoped),
        [
            [0x07, 0x02, 0, 0, 0xFD, 0xE8, 0x40, 5],
            [0x80, 0x06, 0, 0, 0, 0, 0, 0]
        ]
    );
}

#[test]
fn flow_routes_too_long_for_the_table_are_reported_with_their_location() {
    let terms: Vec<String> = (1..=60).map(|i| format!("={i}")).collect();
    let n = neighbor(
        &format!(
            "flow {{ route r {{ match {{ port [ {} ]; }} then {{ discard; }} }} }}",
            terms.join(" ")
        ),
        "192.0.2.2",
        "192.0.2.1",
    );
    let set = neighbor_routes(&n, None);
    assert!(set.routes.is_empty());
    let [ConversionError::Flow { location, .. }] = set.errors.as_slice() else {
        panic!("expected one refused route: {:?}", set.errors);
    };
    assert_eq!(location.line, 1);
}

#[test]
fn watchdog_routes_start_withdrawn_and_toggle_as_a_group() {
    let n = neighbor(
        "static { route 10.0.0.0/24 next-hop 1.1.1.1 watchdog dog withdraw; \
         route 10.0.1.0/24 next-hop 1.1.1.1 watchdog dog; }",
        "192.0.2.2",
        "192.0.2.1",
    );
    let mut rib = AdjRibOut::new(RibOptions::default());
    let report = load_configured(&n, &mut rib);
    assert_eq!((report.announced, report.withdrawn), (1, 0));
    assert_eq!(rib.stats().routes, 1);
    rib.session_up(up_v4());
    drain_all(&mut rib);
    assert_eq!(rib.announce_watchdog("dog"), 1);
    let messages = drain_all(&mut rib);
    assert_eq!(
        decode(&messages[0], &Negotiated::default()).announced,
        [v4(10, 0, 0, 24)]
    );
    assert_eq!(rib.withdraw_watchdog("dog"), 2);
    let messages = drain_all(&mut rib);
    assert_eq!(
        decode(&messages[0], &Negotiated::default()).withdrawn,
        [v4(10, 0, 0, 24), v4(10, 0, 1, 24)]
    );
    assert_eq!(rib.announce_watchdog("unknown"), 0);
}

/// Every route of the drained UPDATEs: (withdrawn, announced sorted).
fn changes_of(rib: &mut AdjRibOut) -> (Vec<Nlri>, Vec<Nlri>) {
    let updates: Vec<Update> = drain_all(rib)
        .iter()
        .map(|m| decode(m, &Negotiated::default()))
        .collect();
    let withdrawn: Vec<Nlri> = updates.iter().flat_map(|u| u.withdrawn.clone()).collect();
    let mut announced: Vec<Nlri> = updates.iter().flat_map(|u| u.announced.clone()).collect();
    announced.sort();
    (withdrawn, announced)
}

#[test]
fn reload_withdraws_removed_routes_and_announces_only_changes() {
    let old = neighbor(
        "static { route 10.0.0.0/24 next-hop 1.1.1.1; route 10.0.1.0/24 next-hop 1.1.1.1; \
         route 10.0.2.0/24 next-hop 1.1.1.1; }",
        "192.0.2.2",
        "192.0.2.1",
    );
    let new = neighbor(
        "static { route 10.0.0.0/24 next-hop 1.1.1.1; route 10.0.1.0/24 next-hop 2.2.2.2; \
         route 10.0.3.0/24 next-hop 1.1.1.1; }",
        "192.0.2.2",
        "192.0.2.1",
    );
    let mut rib = AdjRibOut::new(RibOptions::default());
    assert_eq!(load_configured(&old, &mut rib).announced, 3);
    rib.session_up(up_v4());
    drain_all(&mut rib);

    let report = load_configured(&new, &mut rib);
    assert_eq!((report.withdrawn, report.announced), (1, 2));
    assert_eq!(
        changes_of(&mut rib),
        (
            vec![v4(10, 0, 2, 24)],
            vec![v4(10, 0, 1, 24), v4(10, 0, 3, 24)]
        )
    );
    // The same configuration again changes nothing.
    assert!(load_configured(&new, &mut rib).is_empty());
    assert!(!rib.has_work());
    // While the session is down a reload edits the table: the next session gets it all.
    rib.session_down();
    let report = load_configured(&old, &mut rib);
    assert_eq!((report.withdrawn, report.announced), (1, 2));
    assert_eq!(rib.stats().routes, 3);
}

#[test]
fn reload_leaves_routes_the_configuration_does_not_own() {
    let configured = neighbor(
        "static { route 10.0.0.0/24 next-hop 1.1.1.1; route 10.0.1.0/24 next-hop 1.1.1.1; }",
        "192.0.2.2",
        "192.0.2.1",
    );
    let emptied = neighbor("", "192.0.2.2", "192.0.2.1");
    let mut rib = AdjRibOut::new(RibOptions::default());
    load_configured(&configured, &mut rib);
    rib.session_up(up_v4());
    drain_all(&mut rib);
    // A helper re-announces one configured route with other attributes (it owns it now)
    // and adds one of its own.
    rib.announce(
        Family::IPV4_UNICAST,
        v4(10, 0, 1, 24),
        &attrs([3, 3, 3, 3], 1),
    );
    rib.announce(
        Family::IPV4_UNICAST,
        v4(10, 0, 9, 24),
        &attrs([3, 3, 3, 3], 1),
    );
    drain_all(&mut rib);
    let report = load_configured(&emptied, &mut rib);
    assert_eq!((report.withdrawn, report.announced), (1, 0));
    assert_eq!(changes_of(&mut rib), (vec![v4(10, 0, 0, 24)], vec![]));
    assert_eq!(rib.stats().routes, 2);
}

#[test]
fn reload_keeps_the_watchdog_state_set_by_the_api() {
    let n = neighbor(
        "static { route 10.0.0.0/24 next-hop 1.1.1.1 watchdog dog; \
         route 10.0.1.0/24 next-hop 1.1.1.1 watchdog cat withdraw; }",
        "192.0.2.2",
        "192.0.2.1",
    );
    let mut rib = AdjRibOut::new(RibOptions::default());
    load_configured(&n, &mut rib);
    rib.session_up(up_v4());
    drain_all(&mut rib);
    assert_eq!(rib.withdraw_watchdog("dog"), 1);
    assert_eq!(rib.announce_watchdog("cat"), 1);
    drain_all(&mut rib);
    // Reloading the same file neither re-announces "dog" nor withdraws "cat".
    assert!(load_configured(&n, &mut rib).is_empty());
    assert!(!rib.has_work());
    assert!(rib
        .announced(Family::IPV4_UNICAST, &v4(10, 0, 1, 24))
        .is_some());
    assert!(rib
        .announced(Family::IPV4_UNICAST, &v4(10, 0, 0, 24))
        .is_none());
}

#[test]
fn next_hop_self_without_local_address_is_resolved_per_session() {
    let text = "neighbor 127.0.0.2 { router-id 10.9.9.9; local-as 65000; peer-as 65000; \
                family { ipv4 unicast; } static { route 10.0.0.0/24 next-hop self; } }";
    let mut config = crate::config::parse(text, "test.conf").unwrap();
    let n = config.neighbors.remove(0);
    let set = neighbor_routes(&n, None);
    assert!(set.errors.is_empty(), "{:?}", set.errors);
    assert!(set.routes[0].attributes.is_self_next_hop());

    let mut rib = AdjRibOut::new(RibOptions::default());
    load_configured(&n, &mut rib);
    for local in [Ipv4Addr::new(127, 0, 0, 1), Ipv4Addr::new(127, 0, 0, 7)] {
        let mut session = up_v4();
        session.local_address = Some(IpAddr::V4(local));
        session.router_id = Ipv4Addr::new(10, 9, 9, 9);
        rib.session_up(session);
        let messages = drain_all(&mut rib);
        let update = decode(&messages[0], &Negotiated::default());
        assert_eq!(update.announced, [v4(10, 0, 0, 24)]);
        let next_hop = update.attributes.iter().find_map(|a| match a {
            Attribute::NextHop(address) => Some(*address),
            _ => None,
        });
        assert_eq!(next_hop, Some(local), "each session's own local address");
        rib.session_down();
    }
}

#[test]
fn api_flow_route_is_announced_and_withdrawn_as_exabgp_sends_it() {
    use crate::api::command::{parse, Command};
    let line = "announce flow route { match { source 10.0.0.1/32; destination 192.168.0.1/32; } \
                then { redirect-to-nexthop-ietf 1.2.3.4; } }";
    let Command::Routes { routes, .. } = parse(line).unwrap().command else {
        panic!("not a route command");
    };
    let ctx = RouteContext {
        local: None,
        transport: crate::bgp::Afi::IPV4,
        router_id: Ipv4Addr::new(1, 2, 3, 4),
    };
    let mut converted = Vec::new();
    convert_route(&routes[0], &ctx, &mut converted).unwrap();
    let route = &converted[0];
    let mut rib = AdjRibOut::new(RibOptions::default());
    rib.announce(route.family, route.nlri.clone(), &route.attributes);
    rib.session_up(session(&[Family::IPV4_FLOW]));
    let messages = drain_all(&mut rib);
    // conf-flow-redirect.ci line 12: what ExaBGP sends for this route.
    let expected = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF004502000000\
                    2E4001010040020040050400000064C01008010C010203040000\
                    800E1200018500000C0120C0A8000102200A000001";
    let hex: String = messages[0].iter().map(|b| format!("{b:02X}")).collect();
    assert_eq!(hex, expected.replace(' ', ""));
    rib.withdraw(route.family, route.nlri.clone(), &route.attributes);
    let messages = drain_all(&mut rib);
    let update = decode(&messages[0], &Negotiated::default());
    let unreach = update.mp_unreach().next().expect("MP_UNREACH_NLRI");
    assert_eq!(unreach.family, Family::IPV4_FLOW);
    assert_eq!(
        unreach.nlri.flow_routes()[0].component_bytes(),
        [1, 32, 192, 168, 0, 1, 2, 32, 10, 0, 0, 1]
    );
}
