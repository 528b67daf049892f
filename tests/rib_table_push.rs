//! Throughput and memory of the adj-rib-out on a large table (ignored by default; run with
//! `cargo test --release --test rib_table_push -- --ignored --nocapture`): 1,000,000
//! distinct IPv4 /24 (or IPv6 /64) routes over 2,000 attribute sets, drained as a peer
//! would.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use rexa::bgp::attribute::{Attribute, Community, Origin};
use rexa::bgp::family::Family;
use rexa::bgp::negotiated::Negotiated;
use rexa::bgp::nlri::{Nlri, Prefix};
use rexa::rib::{AdjRibOut, Drained, PathAttributes, RibOptions, SessionContext};

fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[test]
#[ignore]
fn one_million_routes() {
    push(false);
}

/// The same with IPv6 /64 routes (stored in the general arena, one UPDATE per route as
/// ExaBGP sends them).
#[test]
#[ignore]
fn one_million_ipv6_routes() {
    push(true);
}

fn push(ipv6: bool) {
    const ROUTES: u32 = 1_000_000;
    const SETS: u32 = 2_000;
    let before = resident_bytes();
    let mut rib = AdjRibOut::new(RibOptions::default());
    let sets: Vec<PathAttributes> = (0..SETS)
        .map(|i| {
            PathAttributes::new(
                Some(if ipv6 {
                    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))
                } else {
                    IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))
                }),
                vec![
                    Attribute::Origin(Origin::Igp),
                    Attribute::Communities(vec![Community(65000 << 16 | i)]),
                ],
            )
        })
        .collect();
    let ids: Vec<u32> = sets.iter().map(|s| rib.intern(s)).collect();
    let start = Instant::now();
    for i in 0..ROUTES {
        let (family, prefix) = if ipv6 {
            let address = Ipv6Addr::from((0x2001_0db8_u128 << 96) | (u128::from(i) << 64));
            (Family::IPV6_UNICAST, Prefix::v6(address, 64).unwrap())
        } else {
            let address = Ipv4Addr::from(0x0100_0000 + (i << 8));
            (Family::IPV4_UNICAST, Prefix::v4(address, 24).unwrap())
        };
        let id = ids[(i % SETS) as usize];
        rib.retain(id);
        rib.announce_id(family, Nlri::prefix(prefix), id);
    }
    let loaded = start.elapsed();
    let table = resident_bytes().saturating_sub(before);
    let negotiated = Negotiated {
        families: vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
        ..Negotiated::default()
    };
    let start = Instant::now();
    rib.session_up(SessionContext::new(negotiated, 65000, 65001));
    let queued = start.elapsed();
    let mut out = Vec::with_capacity(512 * 1024);
    let mut bytes = 0usize;
    let mut peak = resident_bytes().saturating_sub(before);
    loop {
        let done = rib.drain(&mut out, 25) == Drained::Done;
        bytes += out.len();
        out.clear();
        if done {
            break;
        }
        peak = peak.max(resident_bytes().saturating_sub(before));
    }
    let pushed = start.elapsed();
    println!(
        "{}: load {ROUTES} routes: {:?}; table RSS {} B/route; session_up {queued:?}; \
         established to last UPDATE: {:?} = {:.0} prefixes/s, \
         {bytes} bytes ({:.2} B/prefix); peak RSS during drain {} B/route; {:?}",
        if ipv6 { "IPv6 /64" } else { "IPv4 /24" },
        loaded,
        table / ROUTES as usize,
        pushed,
        f64::from(ROUTES) / pushed.as_secs_f64(),
        bytes as f64 / f64::from(ROUTES),
        peak / ROUTES as usize,
        rib.stats(),
    );
}
