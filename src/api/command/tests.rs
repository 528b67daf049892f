//! The command grammar: every command, the route fast path, errors, bounds.

use super::*;
use std::sync::Arc;

use crate::bgp::attribute::{
    Attribute, Community, ExtendedCommunity, Origin, CODE_AIGP, CODE_AS_PATH,
    CODE_ATOMIC_AGGREGATE, CODE_CLUSTER_LIST, CODE_COMMUNITIES, CODE_EXTENDED_COMMUNITIES,
    CODE_LOCAL_PREF, CODE_MED, CODE_ORIGIN,
};
use crate::bgp::family::{Afi, Safi};
use crate::bgp::nlri::Nlri;
use crate::config::error::Location;
use crate::config::model::NextHop;
use crate::config::ErrorKind;

fn ok(line: &str) -> ParsedCommand {
    match parse(line) {
        Ok(parsed) => parsed,
        Err(error) => panic!("{line:?}: {error}"),
    }
}

#[test]
fn route_lines_split_without_parsing() {
    assert_eq!(
        split_route_line("announce route 10.0.0.0/24 next-hop 1.2.3.4 med 5"),
        Some((Action::Announce, "10.0.0.0/24", "next-hop 1.2.3.4 med 5"))
    );
    assert_eq!(
        split_route_line("withdraw route 2001:db8::/32"),
        Some((Action::Withdraw, "2001:db8::/32", ""))
    );
    for other in [
        "announce  route 10.0.0.0/24 next-hop 1.2.3.4",
        " announce route 10.0.0.0/24 next-hop 1.2.3.4",
        "announce route [10.0.0.0/24] next-hop 1.2.3.4",
        "announce route \"10.0.0.0/24\" next-hop 1.2.3.4",
        "announce route  10.0.0.0/24 next-hop 1.2.3.4",
        "neighbor 1.2.3.4 announce route 10.0.0.0/24 next-hop 1.2.3.4",
        "announce ipv4 unicast 10.0.0.0/24 next-hop 1.2.3.4",
        "announce route-refresh ipv4 unicast",
    ] {
        assert_eq!(split_route_line(other), None, "{other}");
    }
}

#[test]
fn route_prefixes_read_as_parse_reads_them() {
    for text in [
        "10.0.0.0/24",
        "10.0.0.1",
        "0.0.0.0/0",
        "2001:db8::/32",
        "::/0",
        "10.0.0.1/24",
        "10.0.0.0/33",
        "10.0.0.0/+8",
        "10.0.0.0/",
        "010.0.0.0/8",
        "2001:db8::1/32",
        "abc",
        "1.2.3/8",
    ] {
        let line = format!("announce route {text} next-hop 192.0.2.1");
        let full = parse(&line).ok().and_then(|p| match p.command {
            Command::Routes { routes, .. } => {
                let route = routes.first()?;
                route.is_prefix().then(|| route.nlri.get_prefix())
            }
            _ => None,
        });
        assert_eq!(route_prefix(text), full, "{text}");
    }
}

/// What a caller of [`split_route_line`] relies on: lines with the same rest give the
/// same route but for the prefix.
#[test]
fn route_lines_with_the_same_rest_differ_only_by_prefix() {
    for rest in [
        "next-hop 192.0.2.1 med 7 community [65000:1 65000:2]",
        "next-hop self as-path [ 1 2 3 ] local-preference 200",
        "next-hop 192.0.2.1 path-information 1.2.3.4 label 100 rd 1:1",
        "next-hop 192.0.2.1 split /26",
        "next-hop 192.0.2.1 watchdog w withdraw",
        "next-hop 2001:db8::1 extended-community [target:1:1]",
    ] {
        for action in ["announce", "withdraw"] {
            let route_of = |prefix: &str| {
                let line = format!("{action} route {prefix} {rest}");
                match ok(&line).command {
                    Command::Routes { mut routes, .. } if routes.len() == 1 => {
                        routes.pop().map(|mut route| {
                            if route.is_prefix() {
                                route.nlri = crate::rib::load::with_prefix(
                                    &route.nlri,
                                    crate::config::model::Prefix::DEFAULT_V4,
                                );
                            }
                            route.location = Location::new(Arc::from(""), 0, 0);
                            route
                        })
                    }
                    _ => None,
                }
            };
            assert!(route_of("10.0.0.0/24").is_some(), "{rest}");
            assert_eq!(route_of("10.0.0.0/24"), route_of("172.16.0.0/16"), "{rest}");
        }
    }
}

fn command_of(line: &str) -> Command {
    ok(line).command
}

fn routes_of(line: &str) -> (Action, Vec<ConfiguredRoute>) {
    match command_of(line) {
        Command::Routes { action, routes } => (action, routes),
        other => panic!("{line:?}: not a route command: {other:?}"),
    }
}

fn one_route(line: &str) -> ConfiguredRoute {
    let (_, mut routes) = routes_of(line);
    assert_eq!(routes.len(), 1, "{line:?}");
    routes.remove(0)
}

/// The same route written in a configuration `static { }` block.
fn config_route(statement: &str) -> ConfiguredRoute {
    let text = format!(
        "neighbor 127.0.0.1 {{\n router-id 1.2.3.4;\n local-as 1;\n peer-as 1;\n \
         family {{ all; }}\n static {{\n {statement};\n }}\n}}\n"
    );
    let config = crate::config::parse(&text, "t.conf").unwrap();
    config.neighbors[0].routes[0].clone()
}

fn err(line: &str) -> CommandError {
    match parse(line) {
        Ok(parsed) => panic!("{line:?} parsed: {parsed:?}"),
        Err(error) => {
            // Every error has a message.
            assert!(!error.to_string().is_empty());
            error
        }
    }
}

#[test]
fn normalisation() {
    assert_eq!(normalise("community [2:1]"), "community [ 2:1 ]");
    assert_eq!(normalise("community [ 2:1 ]"), "community [ 2:1 ]");
    assert_eq!(normalise("  announce \t  route   x  "), "announce route x");
    // As in ExaBGP, nothing separates `]` from a following `(`.
    assert_eq!(normalise("as-path [1,2](3)"), "as-path [ 1 , 2 ]( 3 )");
    assert_eq!(normalise("a,b"), "a , b");
    assert_eq!(normalise("[x"), "[ x");
    assert_eq!(normalise(""), "");
    assert_eq!(normalise(" \t "), "");
    assert_eq!(normalise("x ]"), "x ]");
    // Equivalent lines parse to the same command.
    assert_eq!(
        command_of("announce route 10.0.0.0/8 next-hop 1.2.3.4 community [2:1]"),
        command_of("announce   route 10.0.0.0/8\tnext-hop 1.2.3.4 community [ 2:1 ]")
    );
}

#[test]
fn selector_examples_of_the_reference() {
    let parsed = ok("neighbor 10.0.0.1 announce route 192.0.2.0/24 next-hop self");
    let selectors = parsed.selectors.unwrap();
    assert_eq!(selectors.len(), 1);
    assert_eq!(selectors[0].to_string(), "neighbor 10.0.0.1");
    let route = match parsed.command {
        Command::Routes { routes, .. } => routes[0].clone(),
        _ => unreachable!(),
    };
    assert_eq!(route.attributes.next_hop, Some(NextHop::SelfAddress));

    let parsed = ok("neighbor * withdraw route 192.0.2.0/24");
    assert!(parsed.selectors.unwrap()[0].is_wildcard());
    assert!(matches!(
        parsed.command,
        Command::Routes {
            action: Action::Withdraw,
            ..
        }
    ));

    let parsed = ok(
        "neighbor 10.0.0.1 local-as 65000 peer-as 65001 announce route 192.0.2.0/24 next-hop 10.0.0.2",
    );
    let selectors = parsed.selectors.unwrap();
    assert_eq!(
        selectors[0].pairs(),
        &[
            (SelectorKey::Neighbor, "10.0.0.1".to_string()),
            (SelectorKey::LocalAs, "65000".to_string()),
            (SelectorKey::PeerAs, "65001".to_string()),
        ]
    );

    let parsed = ok("neighbor 10.0.0.1 router-id 1.2.3.4, neighbor 10.0.0.2 announce route 198.51.100.0/24 next-hop self");
    let selectors = parsed.selectors.unwrap();
    assert_eq!(selectors.len(), 2);
    assert_eq!(selectors[0].value(SelectorKey::RouterId), Some("1.2.3.4"));
    assert_eq!(selectors[1].to_string(), "neighbor 10.0.0.2");
    let one = "neighbor 10.0.0.1 local-ip 10.0.0.9 local-as 65000 peer-as 65001 router-id 1.2.3.4 family-allowed in-open";
    let two = "neighbor 10.0.0.2 local-ip 10.0.0.9 local-as 65000 peer-as 65001 router-id 9.9.9.9 family-allowed in-open";
    let three = "neighbor 10.0.0.1 local-ip 10.0.0.9 local-as 65000 peer-as 65001 router-id 9.9.9.9 family-allowed in-open";
    assert!(matches_any(&selectors, one));
    assert!(matches_any(&selectors, two));
    assert!(!matches_any(&selectors, three));

    let parsed = ok("neighbor 10.0.0.1 family-allowed ipv4-unicast/ipv6-unicast teardown 2");
    assert_eq!(
        parsed.selectors.unwrap()[0].value(SelectorKey::FamilyAllowed),
        Some("ipv4-unicast/ipv6-unicast")
    );
    assert_eq!(parsed.command, Command::Teardown { subcode: 2 });
    assert_eq!(
        ok("announce route 10.0.0.0/8 next-hop 1.1.1.1").selectors,
        None
    );
}

#[test]
fn selector_errors() {
    assert_eq!(
        err("neighbor 10.0.0.1"),
        CommandError::NoCommandAfterSelector
    );
    assert_eq!(
        err("neighbor 10.0.0.1 local-as"),
        CommandError::SelectorValueMissing { key: "local-as" }
    );
    assert_eq!(
        err("neighbor 10.0.0.1 local-as , neighbor 1.1.1.1 teardown 2"),
        CommandError::SelectorValueMissing { key: "local-as" }
    );
    assert_eq!(
        err("neighbor"),
        CommandError::SelectorValueMissing { key: "neighbor" }
    );
    assert!(matches!(
        err("neighbor 10.0.0.1 bogus 2"),
        CommandError::UnknownCommand { .. }
    ));
}

#[test]
fn route_with_every_attribute() {
    let line = "announce route 10.0.0.0/24 next-hop 192.0.2.1 origin egp as-path [ 1 2 ] ( 3 4 ) \
                med 10 local-preference 20 atomic-aggregate aggregator ( 65000:1.2.3.4 ) \
                community [ 65000:1 no-export ] large-community [ 1:2:3 ] \
                extended-community [ target:65000:1 origin:1.2.3.4:5 ] originator-id 1.1.1.1 \
                cluster-list [ 2.2.2.2 3.3.3.3 ] aigp 100 path-information 7 \
                attribute [ 0x99 0xC0 0x0102 ] name my-route split /25 watchdog dog withdraw";
    let route = one_route(line);
    let a = &route.attributes;
    assert_eq!(a.get(CODE_ORIGIN), Some(&Attribute::Origin(Origin::Egp)));
    assert_eq!(a.get(CODE_MED), Some(&Attribute::Med(10)));
    assert_eq!(a.get(CODE_LOCAL_PREF), Some(&Attribute::LocalPref(20)));
    assert_eq!(
        a.get(CODE_ATOMIC_AGGREGATE),
        Some(&Attribute::AtomicAggregate)
    );
    assert_eq!(
        a.get(CODE_COMMUNITIES),
        Some(&Attribute::Communities(vec![
            Community(0xFDE8_0001),
            Community(0xFFFF_FF01)
        ]))
    );
    assert!(
        matches!(a.get(CODE_EXTENDED_COMMUNITIES), Some(Attribute::ExtendedCommunities(l)) if l.len() == 2)
    );
    assert!(matches!(a.get(CODE_CLUSTER_LIST), Some(Attribute::ClusterList(l)) if l.len() == 2));
    assert!(matches!(a.get(CODE_AIGP), Some(Attribute::Aigp(aigp)) if aigp.value() == 100));
    assert_eq!(
        a.raw(),
        [Attribute::Unknown {
            flags: 0xC0,
            code: 0x99,
            value: vec![1, 2]
        }]
    );
    assert_eq!(route.control.name.as_deref(), Some("my-route"));
    assert_eq!(route.control.split, Some(25));
    assert_eq!(route.control.watchdog.as_deref(), Some("dog"));
    assert!(route.control.withdraw);
    assert_eq!(route.family(), Family::IPV4_UNICAST);
    assert!(route.is_prefix(), "{route:?}");
    assert_eq!(route.nlri.path_id(), Some(7));
    // Identical to the configuration's reading of the same text.
    let statement = line.strip_prefix("announce ").unwrap();
    let configured = config_route(&normalise(statement));
    assert_eq!(route.nlri, configured.nlri);
    assert_eq!(route.attributes, configured.attributes);
    assert_eq!(route.control, configured.control);
}

#[test]
fn api_routes_equal_configured_routes() {
    for statement in [
        "route 10.0.0.0/8 next-hop 1.2.3.4",
        "route 2001:db8::/32 next-hop 2001:db8::1 community [2:1] as-path [ 1 2 3 ]",
        "route 10.0.0.0/24 rd 65000:1 label 100 next-hop 192.0.2.1",
        "route 10.0.0.0/24 label [ 100 200 ] next-hop 192.0.2.1",
        "route 224.1.0.0/16 next-hop 1.2.3.4",
        "route 1.2.3.4 next-hop self med 5",
        "route 10.0.0.0/8 next-hop 1.2.3.4 bgp-prefix-sid [ 7, [ ( 800000,4096 ) ] ]",
        "route 2001:db8::/32 next-hop 2001:db8::1 bgp-prefix-sid-srv6 ( l3-service 2001:db8::2 0x48 [64,24,16,0,0,0] )",
        "route 10.0.0.0/8 next-hop 1.2.3.4 extended-community [ 0x0002FDE800000001 redirect:65000:1 ]",
        "route 10.0.0.0/8 next-hop 1.2.3.4 as-path 65000 aggregator 1.10:1.2.3.4",
    ] {
        let route = one_route(&format!("announce {statement}"));
        let configured = config_route(statement);
        assert_eq!(route.nlri, configured.nlri, "{statement}");
        assert_eq!(route.attributes, configured.attributes, "{statement}");
        assert_eq!(route.control, configured.control, "{statement}");
    }
}

#[test]
fn api_and_configuration_read_attributes_nlri_alike() {
    let statement =
        "attributes next-hop 1.2.3.4 med 5 community [ 1:2 ] nlri 10.0.0.0/8 10.1.0.0/16";
    let (_, api) = routes_of(&format!("announce {statement}"));
    let text = format!(
        "neighbor 127.0.0.1 {{\n router-id 1.2.3.4;\n local-as 1;\n peer-as 1;\n \
         static {{\n {statement};\n }}\n}}\n"
    );
    let config = crate::config::parse(&text, "t.conf").unwrap();
    let configured: Vec<&ConfiguredRoute> = config.neighbors[0].routes.iter().collect();
    assert_eq!(api.len(), 2);
    assert_eq!(configured.len(), 2);
    for (a, c) in api.iter().zip(configured) {
        assert_eq!(
            (&a.nlri, &a.attributes, &a.control),
            (&c.nlri, &c.attributes, &c.control)
        );
    }
}

#[test]
fn family_inference() {
    let family = |line: &str| one_route(line).family();
    assert_eq!(
        family("announce route 10.0.0.0/24 rd 65000:1 label 100 next-hop 1.1.1.1"),
        Family::IPV4_MPLS_VPN
    );
    assert_eq!(
        family("announce route 10.0.0.0/24 label 100 next-hop 1.1.1.1"),
        Family::IPV4_NLRI_MPLS
    );
    assert_eq!(family("withdraw route 2001:db8::/32"), Family::IPV6_UNICAST);
}

#[test]
fn explicit_family_form() {
    let route =
        one_route("announce ipv4 unicast 10.0.1.0/24 next-hop 10.0.1.254 local-preference 200");
    assert_eq!(route.family(), Family::IPV4_UNICAST);
    assert_eq!(
        route.attributes.get(CODE_LOCAL_PREF),
        Some(&Attribute::LocalPref(200))
    );
    let (action, routes) = routes_of("withdraw ipv6 unicast fc00:1::/64 next-hop 2001::11");
    assert_eq!(action, Action::Withdraw);
    assert_eq!(routes[0].family(), Family::IPV6_UNICAST);
    let route =
        one_route("announce ipv4 mpls-vpn 10.0.0.0/24 rd 65000:1 label 100 next-hop 192.0.2.1");
    assert_eq!(route.family(), Family::IPV4_MPLS_VPN);
    let route = one_route("announce ipv4 nlri-mpls 10.0.0.0/24 label 100 next-hop 192.0.2.1");
    assert_eq!(route.family(), Family::IPV4_NLRI_MPLS);
    let route = one_route("announce ipv4 multicast 10.0.0.0/24 next-hop 192.0.2.1");
    assert_eq!(route.family(), Family::IPV4_MULTICAST);
    // The prefix decides the family (as ExaBGP 5.0.15 does).
    let route = one_route("announce ipv4 unicast 2001:db8::/32 next-hop 1.1.1.1");
    assert_eq!(route.family(), Family::IPV6_UNICAST);
    // An announce needs a next-hop, a withdraw does not.
    assert!(matches!(
        err("announce ipv6 unicast 2001:db8::/32"),
        CommandError::MissingWord { .. }
    ));
    let (_, routes) = routes_of("withdraw ipv4 unicast 10.0.0.0/24");
    assert_eq!(routes.len(), 1);
    assert!(matches!(
        err("announce ipv4 bogus 10.0.0.0/8"),
        CommandError::InvalidWord { .. }
    ));
    assert!(matches!(
        err("announce ipv4 evpn 10.0.0.0/8"),
        CommandError::Unsupported { .. }
    ));
    assert!(matches!(
        err("announce ipv4"),
        CommandError::MissingWord { .. }
    ));
    let route = one_route("announce ipv4 flow destination 10.0.0.0/8 discard");
    assert_eq!(route.family(), Family::IPV4_FLOW);
    let route = one_route("announce ipv6 flow-vpn rd 65000:1 destination 2001:db8::/32 discard");
    assert_eq!(route.family(), Family::IPV6_FLOW_VPN);
    assert!(matches!(
        err("announce ipv6 flow-vpn destination 2001:db8::/32 discard"),
        CommandError::MissingWord { .. }
    ));
}

#[test]
fn bulk_attributes() {
    let line =
        "neighbor 127.0.0.1 announce attributes path-information 1.2.3.4 next-hop 10.11.12.13 \
                community [14:15] local-preference 16 nlri 16.17.18.19/32 20.21.22.23/32";
    let (action, routes) = routes_of(line);
    assert_eq!(action, Action::Announce);
    assert_eq!(routes.len(), 2);
    for route in &routes {
        assert_eq!(
            route.attributes.get(CODE_COMMUNITIES),
            Some(&Attribute::Communities(vec![Community((14 << 16) | 15)]))
        );
        assert_eq!(
            route.attributes.get(CODE_LOCAL_PREF),
            Some(&Attribute::LocalPref(16))
        );
        assert!(route.is_prefix(), "{route:?}");
        assert_eq!(route.nlri.path_id(), Some(0x0102_0304));
    }
    let (action, routes) = routes_of("withdraw attribute nlri 10.0.0.0/8 2001:db8::/32");
    assert_eq!(action, Action::Withdraw);
    assert_eq!(routes[1].family(), Family::IPV6_UNICAST);
    // The configuration's reader of the statement: its errors are route errors.
    for line in [
        "announce attributes next-hop 1.1.1.1",
        "announce attributes next-hop 1.1.1.1 nlri",
    ] {
        let CommandError::ConfiguredRoute(error) = err(line) else {
            panic!("{line}: not a route error");
        };
        assert!(
            matches!(error.kind, ErrorKind::MissingValue { .. }),
            "{line}"
        );
    }
    assert!(matches!(
        err("announce attributes next-hop 1.1.1.1 nlri 10.0.0.1/8"),
        CommandError::ConfiguredRoute(_)
    ));
    assert!(matches!(
        err("announce attributes bogus 1 nlri 10.0.0.0/8"),
        CommandError::ConfiguredRoute(_)
    ));
}

#[test]
fn bulk_attributes_memory_is_bounded() {
    let mut line = String::from("announce attributes next-hop 1.1.1.1 community [");
    for i in 0..20_000 {
        line.push_str(&format!(" {i}"));
    }
    line.push_str(" ] nlri");
    for _ in 0..20_000 {
        line.push_str(" 10.0.0.0/8");
    }
    assert!(matches!(err(&line), CommandError::TooManyRoutes { .. }));
}

#[test]
fn flow_routes() {
    let route = one_route(
        "announce flow route { match { source 10.0.0.1/32; destination 192.0.2.0/24; \
         destination-port =80; protocol tcp; } then { discard; } }",
    );
    let Nlri::Flow(flow) = &route.nlri else {
        panic!("{route:?}")
    };
    assert_eq!(flow.components().count(), 4);
    // The action is the route's extended community (discard: traffic-rate 0).
    assert_eq!(
        route.attributes.get(CODE_EXTENDED_COMMUNITIES),
        Some(&Attribute::ExtendedCommunities(vec![ExtendedCommunity([
            0x80, 0x06, 0, 0, 0, 0, 0, 0
        ])]))
    );
    assert_eq!(route.family(), Family::IPV4_FLOW);
    let route = one_route(
        "announce flow route destination 192.0.2.19/32 source-port >1024&<2000 rate-limit 9600",
    );
    let Nlri::Flow(flow) = &route.nlri else {
        panic!("{route:?}")
    };
    assert_eq!(flow.components().count(), 2);
    let (action, routes) = routes_of(
        "withdraw flow route { match { source 10.0.0.1/32; destination 192.0.2.0/24; \
         destination-port =80; protocol tcp; } }",
    );
    assert_eq!(action, Action::Withdraw);
    assert_eq!(routes.len(), 1);
    let route = one_route(
        "announce flow route named { rd 65000:1; match { destination 2001:db8::/32; } \
         then { redirect 65000:10; } }",
    );
    let Nlri::Flow(flow) = &route.nlri else {
        panic!("{route:?}")
    };
    assert_eq!(flow.rd().map(|rd| rd.to_string()), Some("65000:1".into()));
    assert_eq!(route.control.name.as_deref(), Some("named"));
    assert_eq!(route.family(), Family::IPV6_FLOW_VPN);
    assert!(matches!(
        err("announce flow destination 10.0.0.0/8"),
        CommandError::MissingWord { .. }
    ));
    assert!(matches!(
        err("announce flow route { match { bogus 1; } }"),
        CommandError::ConfiguredRoute(_)
    ));
}

#[test]
fn vpls_routes() {
    let route = one_route(
        "announce vpls endpoint 5 base 10702 offset 1 size 8 rd 192.168.201.1:123 \
         next-hop 192.168.201.1 extended-community [ target:54591:6 l2info:19:0:1500:111 ]",
    );
    assert_eq!(route.family(), Family::L2VPN_VPLS);
    assert!(matches!(
        route.attributes.get(CODE_EXTENDED_COMMUNITIES),
        Some(Attribute::ExtendedCommunities(l)) if l.len() == 2
    ));
    let (action, _) = routes_of(
        "withdraw vpls endpoint 5 base 10702 offset 1 size 8 rd 192.168.201.1:123 next-hop 192.168.201.1",
    );
    assert_eq!(action, Action::Withdraw);
    // No next-hop needed, announce or withdraw (as ExaBGP 5.0.15).
    routes_of("withdraw vpls endpoint 5 base 10702 offset 1 size 8 rd 192.168.201.1:123");
    routes_of("announce vpls endpoint 5 base 10702 offset 1 size 8 rd 192.168.201.1:123");
    assert!(matches!(
        err("announce vpls endpoint 5 base 10702 offset 1 rd 192.168.201.1:123"),
        CommandError::ConfiguredRoute(_)
    ));
}

#[test]
fn mvpn_and_mup() {
    let route = one_route(
        "announce ipv4 mcast-vpn source-ad source 10.0.0.1 group 239.0.0.1 rd 65000:1 \
         next-hop 10.0.0.254 extended-community [ target:65000:1 ]",
    );
    assert_eq!(route.family(), Family::new(Afi::IPV4, Safi::MCAST_VPN));
    let route = one_route(
        "announce ipv4 mup mup-isd 10.0.1.0/24 rd 100:100 next-hop 2001::1 \
         extended-community [ target:10:10 ]",
    );
    assert_eq!(route.family(), Family::new(Afi::IPV4, Safi::MUP));
    let route = one_route(
        "announce ipv4 sr-policy distinguisher 0 color 100 endpoint 10.10.10.10 \
         next-hop 192.168.100.2 preference 100 segment-list weight 1 segment type-c ipv4 \
         10.0.0.1 algorithm 0 policy-name \"type-c-example\"",
    );
    assert_eq!(route.family(), Family::new(Afi::IPV4, Safi::SR_POLICY));
}

#[test]
fn route_errors() {
    assert!(matches!(
        err("announce route"),
        CommandError::ConfiguredRoute(_)
    ));
    assert!(matches!(
        err("announce route 10.0.0.1/8 next-hop 1.1.1.1"),
        CommandError::ConfiguredRoute(_)
    ));
    assert!(matches!(
        err("announce route 10.0.0.0/8 next-hop"),
        CommandError::ConfiguredRoute(_)
    ));
    assert!(matches!(
        err("announce route 10.0.0.0/8 bogus 1"),
        CommandError::ConfiguredRoute(_)
    ));
    assert!(matches!(
        err("announce route 10.0.0.0/8 med x"),
        CommandError::ConfiguredRoute(_)
    ));
    assert!(matches!(
        err("announce route 10.0.0.0/8 community [ 1:1"),
        CommandError::ConfiguredRoute(_)
    ));
    assert!(matches!(
        err("announce route 300.0.0.0/8"),
        CommandError::ConfiguredRoute(_)
    ));
    assert!(matches!(
        err("announce bogus"),
        CommandError::UnknownCommand { .. }
    ));
    assert!(matches!(
        err("announce"),
        CommandError::UnknownCommand { .. }
    ));
    // A final `;` as in a configuration file.
    assert_eq!(
        one_route("announce route 10.0.0.0/8 next-hop 1.1.1.1;"),
        one_route("announce route 10.0.0.0/8 next-hop 1.1.1.1")
    );
    assert!(matches!(
        err("announce route 10.0.0.0/8 next-hop 1.1.1.1; med 1"),
        CommandError::ConfiguredRoute(_)
    ));
    // Without next-hop: an error for an announce (ExaBGP 5.0.15 too), fine for a withdraw.
    assert!(matches!(
        err("announce route 10.0.0.0/8 med 5"),
        CommandError::MissingWord { .. }
    ));
    assert!(one_route("withdraw route 10.0.0.0/8")
        .attributes
        .next_hop
        .is_none());
    // Glued brackets are split: `[ 1 2 ]( 3 )` is a sequence then a set.
    let route = one_route("announce route 10.0.0.0/24 next-hop 1.2.3.4 as-path [1 2](3)");
    let Some(Attribute::AsPath(path)) = route.attributes.get(CODE_AS_PATH) else {
        panic!("{route:?}");
    };
    assert_eq!(path.segments.len(), 2);
    assert_eq!(path.segments[1].asns, vec![3]);
    // The error names the column in the normalised line.
    let CommandError::ConfiguredRoute(error) = err("announce route 10.0.0.0/8 med x") else {
        unreachable!()
    };
    assert_eq!(error.location.col, 31, "{error}");
}

#[test]
fn watchdog_eor_refresh_operational() {
    assert_eq!(
        command_of("announce watchdog dog"),
        Command::Watchdog {
            action: Action::Announce,
            name: Some("dog".into())
        }
    );
    assert_eq!(
        command_of("withdraw watchdog"),
        Command::Watchdog {
            action: Action::Withdraw,
            name: None
        }
    );
    assert!(matches!(
        err("withdraw watchdog a b"),
        CommandError::TrailingWords { .. }
    ));
    assert_eq!(
        command_of("announce eor"),
        Command::EndOfRib {
            family: Family::IPV4_UNICAST
        }
    );
    assert_eq!(
        command_of("announce eor ipv6 unicast"),
        Command::EndOfRib {
            family: Family::IPV6_UNICAST
        }
    );
    assert_eq!(
        command_of("neighbor 1.1.1.1 announce eor l2vpn vpls"),
        Command::EndOfRib {
            family: Family::L2VPN_VPLS
        }
    );
    assert!(matches!(
        err("announce eor ipv6"),
        CommandError::InvalidWord { .. }
    ));
    assert!(matches!(
        err("announce eor ipv7 unicast"),
        CommandError::InvalidWord { .. }
    ));
    assert!(matches!(
        err("withdraw eor"),
        CommandError::UnknownCommand { .. }
    ));
    assert_eq!(
        command_of("announce route-refresh ipv4 unicast"),
        Command::RouteRefresh {
            family: Family::IPV4_UNICAST
        }
    );
    assert!(matches!(
        err("announce route-refresh"),
        CommandError::InvalidWord { .. }
    ));
    assert!(matches!(
        err("announce route-refresh ipv4 unicast x"),
        CommandError::InvalidWord { .. }
    ));
    match command_of("announce operational asm afi ipv4 safi unicast advisory \"hello world\"") {
        Command::Operational {
            message: Some(OperationalMessage::Advisory { text, kind, .. }),
        } => {
            assert_eq!(text, "hello world");
            assert_eq!(kind, "asm");
        }
        other => panic!("{other:?}"),
    }
    match command_of("announce operational rpcp afi ipv4 safi unicast sequence 1 counter 2") {
        Command::Operational {
            message: Some(OperationalMessage::Response { counter, .. }),
        } => assert_eq!(counter, 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        command_of("announce operational zzz whatever"),
        Command::Operational { message: None }
    );
    assert!(matches!(
        err("announce operational rpcq afi ipv4 safi unicast"),
        CommandError::ConfiguredRoute(_)
    ));
    assert!(matches!(
        err("announce operational"),
        CommandError::MissingWord { .. }
    ));
    assert!(matches!(
        err("announce operational asm afi ipv4 safi unicast advisory \"open"),
        CommandError::UnterminatedQuote { .. }
    ));
}

#[test]
fn peer_and_rib_control() {
    assert_eq!(command_of("teardown 2"), Command::Teardown { subcode: 2 });
    assert_eq!(
        command_of("neighbor 10.0.0.1 teardown 4"),
        Command::Teardown { subcode: 4 }
    );
    assert!(command_of("teardown 4").needs_established());
    assert!(matches!(err("teardown"), CommandError::MissingWord { .. }));
    assert!(matches!(
        err("teardown x"),
        CommandError::InvalidWord { .. }
    ));
    assert!(matches!(
        err("teardown +2"),
        CommandError::InvalidWord { .. }
    ));
    assert!(matches!(
        err("teardown 256"),
        CommandError::InvalidWord { .. }
    ));
    assert!(matches!(
        err("teardown 2 3"),
        CommandError::TrailingWords { .. }
    ));
    assert_eq!(command_of("flush adj-rib out"), Command::FlushAdjRibOut);
    assert!(matches!(
        err("flush adj-rib"),
        CommandError::MissingWord { .. }
    ));
    assert!(matches!(
        err("flush adj-rib in"),
        CommandError::MissingWord { .. }
    ));
    assert_eq!(
        command_of("clear adj-rib"),
        Command::ClearAdjRib {
            direction: RibDirection::Out
        }
    );
    assert_eq!(
        command_of("neighbor 1.1.1.1 clear adj-rib in"),
        Command::ClearAdjRib {
            direction: RibDirection::In
        }
    );
    assert!(matches!(
        err("clear adj-rib sideways"),
        CommandError::InvalidWord { .. }
    ));
    assert!(matches!(
        err("clear everything"),
        CommandError::UnknownCommand { .. }
    ));
}

#[test]
fn show_commands() {
    let show = |line: &str| {
        let parsed = ok(line);
        (parsed.command, parsed.json)
    };
    assert_eq!(
        show("show neighbor"),
        (
            Command::ShowNeighbor {
                view: NeighborView::Usage,
                peer: None
            },
            false
        )
    );
    assert_eq!(
        show("show neighbor summary"),
        (
            Command::ShowNeighbor {
                view: NeighborView::Summary,
                peer: None
            },
            false
        )
    );
    assert_eq!(
        show("show neighbor extensive 10.0.0.1"),
        (
            Command::ShowNeighbor {
                view: NeighborView::Extensive,
                peer: Some("10.0.0.1".parse().unwrap())
            },
            false
        )
    );
    assert_eq!(
        show("show neighbor configuration"),
        (
            Command::ShowNeighbor {
                view: NeighborView::Configuration,
                peer: None
            },
            false
        )
    );
    assert_eq!(
        show("show neighbor json"),
        (
            Command::ShowNeighbor {
                view: NeighborView::Usage,
                peer: None
            },
            true
        )
    );
    assert!(matches!(
        err("show neighbor summary extensive"),
        CommandError::InvalidWord { .. }
    ));
    assert!(matches!(
        err("show neighbor foo"),
        CommandError::InvalidWord { .. }
    ));
    assert!(matches!(
        err("show neighbor 1.1.1.1 2.2.2.2"),
        CommandError::TrailingWords { .. }
    ));
    assert_eq!(
        show("show adj-rib out"),
        (
            Command::ShowAdjRib {
                direction: RibDirection::Out,
                extensive: false,
                peer: None,
                kind: RibKind::All
            },
            false
        )
    );
    assert_eq!(
        show("show adj-rib in extensive 2001:db8::1 inet json"),
        (
            Command::ShowAdjRib {
                direction: RibDirection::In,
                extensive: true,
                peer: Some("2001:db8::1".parse().unwrap()),
                kind: RibKind::Inet
            },
            true
        )
    );
    assert_eq!(
        show("show adj-rib-in flow").0,
        Command::ShowAdjRib {
            direction: RibDirection::In,
            extensive: false,
            peer: None,
            kind: RibKind::Flow
        }
    );
    assert_eq!(
        show("show adj-rib-out l2vpn extensive").0,
        Command::ShowAdjRib {
            direction: RibDirection::Out,
            extensive: true,
            peer: None,
            kind: RibKind::L2vpn
        }
    );
    assert!(matches!(
        err("show adj-rib"),
        CommandError::MissingWord { .. }
    ));
    assert!(matches!(
        err("show adj-rib both"),
        CommandError::InvalidWord { .. }
    ));
    assert!(matches!(
        err("show routes"),
        CommandError::UnknownCommand { .. }
    ));
}

#[test]
fn json_only_where_supported() {
    // The route parser meets `json` first: an unknown attribute keyword.
    assert!(matches!(
        err("announce route 10.0.0.0/8 next-hop 1.1.1.1 json"),
        CommandError::ConfiguredRoute(_)
    ));
    assert_eq!(
        err("version json"),
        CommandError::TrailingWords {
            command: "version",
            found: "json".into()
        }
    );
    assert_eq!(
        err("teardown 2 json"),
        CommandError::TrailingWords {
            command: "teardown",
            found: "json".into()
        }
    );
    assert_eq!(
        err("announce watchdog json"),
        CommandError::JsonNotSupported {
            command: "watchdog"
        }
    );
}

#[test]
fn daemon_and_ack_commands() {
    for (line, expected) in [
        ("shutdown", Command::Shutdown),
        ("reload", Command::Reload),
        ("restart", Command::Restart),
        ("version", Command::Version),
        ("help", Command::Help),
        ("enable-ack", Command::EnableAck),
        ("disable-ack", Command::DisableAck),
        ("silence-ack", Command::SilenceAck),
        ("reset", Command::Reset),
        // 6.0 spellings.
        ("daemon shutdown", Command::Shutdown),
        ("daemon reload", Command::Reload),
        ("daemon restart", Command::Restart),
        ("session ack enable", Command::EnableAck),
        ("session ack disable", Command::DisableAck),
        ("session ack silence", Command::SilenceAck),
        ("session reset", Command::Reset),
        ("system help", Command::Help),
        ("system version", Command::Version),
        ("rib flush out", Command::FlushAdjRibOut),
        (
            "rib clear in",
            Command::ClearAdjRib {
                direction: RibDirection::In,
            },
        ),
        (
            "rib show out",
            Command::ShowAdjRib {
                direction: RibDirection::Out,
                extensive: false,
                peer: None,
                kind: RibKind::All,
            },
        ),
    ] {
        let parsed = ok(line);
        assert_eq!(parsed.command, expected, "{line}");
        assert_eq!(parsed.selectors, None);
        assert!(!parsed.json);
    }
    assert!(matches!(
        err("shutdown now"),
        CommandError::TrailingWords { .. }
    ));
    assert!(matches!(
        err("session ack maybe"),
        CommandError::UnknownCommand { .. }
    ));
    assert!(matches!(err("crash"), CommandError::Unsupported { .. }));
    assert!(matches!(
        err("Shutdown"),
        CommandError::UnknownCommand { .. }
    ));
}

#[test]
fn comments_debug_and_blank_lines() {
    assert_eq!(
        command_of("# hello  there"),
        Command::Comment {
            text: "hello there".into()
        }
    );
    assert_eq!(
        command_of("#"),
        Command::Comment {
            text: String::new()
        }
    );
    assert_eq!(
        command_of("debug some [text]  here  "),
        Command::Debug {
            text: "some [text]  here".into()
        }
    );
    assert_eq!(err(""), CommandError::Empty);
    assert_eq!(err(" \t "), CommandError::Empty);
    assert!(matches!(err("debug"), CommandError::UnknownCommand { .. }));
}

#[test]
fn long_lines_and_odd_bytes() {
    let long = "a".repeat(MAX_COMMAND_LEN + 1);
    assert!(matches!(err(&long), CommandError::TooLong { .. }));
    // One huge unknown word: an error (quoted back shortened), found without comparing
    // it with every keyword.
    let huge = format!(
        "announce route 10.0.0.0/8 {}",
        "x".repeat(MAX_COMMAND_LEN - 40)
    );
    match err(&huge) {
        error @ CommandError::ConfiguredRoute(_) => {
            let text = error.to_string();
            assert!(text.len() < 400, "{}", shorten(&text, 400));
        }
        other => panic!("{other:?}"),
    }
    let unknown = format!("{} x", "é".repeat(200));
    match err(&unknown) {
        CommandError::UnknownCommand { found } => assert!(found.len() < 100),
        other => panic!("{other:?}"),
    }
    for line in [
        "announce route 10.0.0.0/8 as-path [ 1 ( 2",
        "announce route 10.0.0.0/8 aggregator (",
        "announce route 10.0.0.0/8 bgp-prefix-sid-srv6 ( l2",
        "announce route 10.0.0.0/8 attribute [",
        "announce route 10.0.0.0/8 split /",
        "announce route ; ; {",
        "neighbor ' announce",
        "announce flow route {{{{ }}}}",
        "announce flow route match {",
        "announce vpls",
        "\u{0}\u{1} announce",
    ] {
        let _ = parse(line);
    }
}

#[test]
fn help_lists_what_the_grammar_knows() {
    let mut sorted: Vec<&str> = HELP_LINES.get(9..HELP_LINES.len() - 1).unwrap().to_vec();
    sorted.sort_unstable();
    assert_eq!(sorted, HELP_LINES.get(9..HELP_LINES.len() - 1).unwrap());
    for line in &sorted {
        let phrase = line
            .trim_start_matches("[neighbor <ip> [filters]] ")
            .trim_end();
        let phrase = phrase.split(" [").next().unwrap();
        // The first word of every phrase is known (not an "unknown command").
        let known = !matches!(parse(phrase), Err(CommandError::UnknownCommand { .. }));
        let first_two = phrase.split(' ').take(2).collect::<Vec<_>>().join(" ");
        let known_two = !matches!(parse(&first_two), Err(CommandError::UnknownCommand { .. }));
        assert!(known || known_two || phrase == "#", "{phrase}");
    }
}

#[test]
fn scope_helpers() {
    assert!(command_of("announce eor").needs_established());
    assert!(command_of("flush adj-rib out").needs_established());
    assert!(!command_of("withdraw route 10.0.0.0/8").needs_established());
    assert!(command_of("withdraw route 10.0.0.0/8").targets_neighbors());
    assert!(!command_of("announce watchdog").targets_neighbors());
    assert!(!command_of("shutdown").targets_neighbors());
}
