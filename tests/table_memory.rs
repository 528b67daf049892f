//! Bytes per route of the tables, counted by a global allocator (deterministic: what the
//! tables ask the allocator for, not what the allocator or the kernel add): N routes loaded
//! into an `AdjRibOut` (and an `AdjRibIn`), live bytes divided by N. Issue 9 sets the
//! adj-rib-out's bounds: 40 bytes per IPv4 /24, 56 per IPv6 /64; the adj-rib-in, stored
//! the same way, keeps them too. `--nocapture` prints the figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rexa::bgp::attribute::{Attribute, Origin};
use rexa::bgp::family::Family;
use rexa::bgp::negotiated::Negotiated;
use rexa::bgp::nlri::{Nlri, Prefix};
use rexa::rib::{AdjRibIn, AdjRibOut, Drained, PathAttributes, RibOptions, SendContext};

/// Counts the bytes currently allocated by the whole test binary.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        System.alloc_zeroed(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The tests share the counter: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

fn route(ipv6: bool, i: u32) -> (Family, Nlri) {
    if ipv6 {
        let address = Ipv6Addr::from((0x2001_0db8_u128 << 96) | (u128::from(i) << 64));
        (
            Family::IPV6_UNICAST,
            Nlri::prefix(Prefix::v6(address, 64).unwrap()),
        )
    } else {
        let address = Ipv4Addr::from(0x0100_0000 + (i << 8));
        (
            Family::IPV4_UNICAST,
            Nlri::prefix(Prefix::v4(address, 24).unwrap()),
        )
    }
}

fn attributes(ipv6: bool) -> PathAttributes {
    let next_hop = if ipv6 {
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))
    } else {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))
    };
    PathAttributes::new(Some(next_hop), vec![Attribute::Origin(Origin::Igp)])
}

/// Live bytes per route of an adj-rib-out holding `n` routes, before a session (loaded
/// from the configuration) and after the whole table was sent (steady state).
fn adj_rib_out_bytes(ipv6: bool, n: u32) -> (f64, f64) {
    let before = live();
    let mut rib = AdjRibOut::new(RibOptions::default());
    let id = rib.intern(&attributes(ipv6));
    for i in 0..n {
        let (family, nlri) = route(ipv6, i);
        rib.retain(id);
        rib.announce_id(family, nlri, id);
    }
    rib.release(id);
    assert_eq!(rib.stats().routes, n as usize);
    let loaded = (live() - before) as f64 / f64::from(n);
    let negotiated = Negotiated {
        families: vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
        ..Negotiated::default()
    };
    rib.session_up(SendContext::new(negotiated, 65000, 65001));
    let mut out = Vec::new();
    for _ in 0..10 * n {
        out.clear();
        if rib.drain(&mut out, 64) == Drained::Done {
            break;
        }
    }
    assert!(!rib.has_work());
    drop(out);
    let sent = (live() - before) as f64 / f64::from(n);
    drop(rib);
    (loaded, sent)
}

fn adj_rib_in_bytes(ipv6: bool, n: u32) -> f64 {
    let before = live();
    let mut rib = AdjRibIn::new();
    let set = attributes(ipv6);
    for i in 0..n {
        let (family, nlri) = route(ipv6, i);
        rib.announce(family, nlri, &set);
    }
    assert_eq!(rib.len(), n as usize);
    let bytes = (live() - before) as f64 / f64::from(n);
    drop(rib);
    bytes
}

/// Table sizes: a round 100,000, and the counts just past a growth step of the IPv4 map
/// (7/8 of 2^17) and of the prefix store's index (3/4 of 2^17), where the slack is largest.
const SIZES: [u32; 3] = [100_000, 114_689, 98_305];

#[test]
fn a_route_value_is_at_most_40_bytes() {
    let size = std::mem::size_of::<Nlri>();
    println!("size_of::<Nlri>() = {size}");
    assert!(size <= 40);
}

#[test]
fn adj_rib_out_ipv4_routes_cost_at_most_40_bytes() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for n in SIZES {
        let (loaded, sent) = adj_rib_out_bytes(false, n);
        println!("adj-rib-out IPv4 /24, {n} routes: {loaded:.1} B/route loaded, {sent:.1} sent");
        assert!(loaded <= 40.0, "{loaded:.1} B/route loaded");
        assert!(
            sent <= 40.0,
            "{sent:.1} B/route after the session sent them"
        );
    }
}

#[test]
fn adj_rib_out_ipv6_routes_cost_at_most_56_bytes() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for n in SIZES {
        let (loaded, sent) = adj_rib_out_bytes(true, n);
        println!("adj-rib-out IPv6 /64, {n} routes: {loaded:.1} B/route loaded, {sent:.1} sent");
        assert!(loaded <= 56.0, "{loaded:.1} B/route loaded");
        assert!(
            sent <= 56.0,
            "{sent:.1} B/route after the session sent them"
        );
    }
}

#[test]
fn adj_rib_in_routes_cost_as_much_as_in_the_adj_rib_out() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for (ipv6, bound) in [(false, 40.0), (true, 56.0)] {
        for n in SIZES {
            let bytes = adj_rib_in_bytes(ipv6, n);
            let family = if ipv6 { "IPv6 /64" } else { "IPv4 /24" };
            println!("adj-rib-in {family}, {n} routes: {bytes:.1} B/route");
            assert!(bytes <= bound, "{family}: {bytes:.1} B/route");
        }
    }
}
