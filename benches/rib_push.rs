//! Throughput and memory of the adj-rib-out alone, without the daemon: 1,000,000 distinct
//! IPv4 /24 and IPv6 /64 routes over 2,000 attribute sets, loaded then drained as for a
//! peer. Run: `cargo bench --bench rib_push` (`REXA_RIB_ROUTES` changes the count). Prints
//! one row per family with the load and drain times and the process's RSS and VmHWM.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use rexa::bgp::attribute::{Attribute, Community, Origin};
use rexa::bgp::family::Family;
use rexa::bgp::negotiated::Negotiated;
use rexa::bgp::nlri::{Nlri, Prefix};
use rexa::rib::{AdjRibOut, Drained, PathAttributes, RibOptions, SendContext};

fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn peak_bytes() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("rib_push: run with `cargo bench --bench rib_push`");
        return;
    }
    let routes: u32 = std::env::var("REXA_RIB_ROUTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    println!(
        "{:<9} {:>9} {:>8} {:>10} {:>13} {:>9} {:>10} {:>10}",
        "family", "routes", "load s", "drain s", "prefixes/s", "B/prefix", "RSS B/rt", "HWM MiB"
    );
    push(false, routes);
    // IPv6 /64 routes: one UPDATE per route, as ExaBGP sends them.
    push(true, routes);
    println!(
        "\nload: announcing every route into the table; drain: session_up to the last UPDATE \
         (packed into 4096-byte messages); RSS B/rt: resident growth per route after the \
         load; HWM: the process's VmHWM so far (cumulative over the rows)."
    );
}

fn push(ipv6: bool, routes: u32) {
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
    for i in 0..routes {
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
    rib.session_up(SendContext::new(negotiated, 65000, 65001));
    let mut out = Vec::with_capacity(512 * 1024);
    let mut bytes = 0usize;
    loop {
        let done = rib.drain(&mut out, 25) == Drained::Done;
        bytes += out.len();
        out.clear();
        if done {
            break;
        }
    }
    let pushed = start.elapsed();
    assert!(rib.stats().updates_sent > 0, "nothing was sent");
    println!(
        "{:<9} {:>9} {:>8.3} {:>10.3} {:>13.0} {:>9.2} {:>10} {:>10.1}",
        if ipv6 { "ipv6 /64" } else { "ipv4 /24" },
        routes,
        loaded.as_secs_f64(),
        pushed.as_secs_f64(),
        f64::from(routes) / pushed.as_secs_f64(),
        bytes as f64 / f64::from(routes),
        table / routes as usize,
        peak_bytes() as f64 / 1048576.0,
    );
}
