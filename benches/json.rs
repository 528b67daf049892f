//! JSON encoding throughput: the `update` events for UPDATEs that carry 1,000,000 IPv4
//! /24 prefixes with one shared attribute set (packed into 4096-byte messages), written
//! as rexa writes them to a helper process.
//!
//! Run: `cargo bench --bench json` (divan prints items/s = prefixes per second).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::LazyLock;

use divan::counter::ItemsCount;
use divan::Bencher;
use rexa::api::json::{Direction, Envelope, EventHead, NeighborIdentity, FORMAT_VERSION_5};
use rexa::api::message_json::{write_update_event, UpdateJsonOptions};
use rexa::bgp::nlri::{Nlri, Prefix};
use rexa::bgp::update::{write_ipv4_announce, Update, HEADER_LEN};
use rexa::bgp::Negotiated;

fn main() {
    divan::main();
}

const PREFIXES: usize = 1_000_000;

/// ORIGIN igp, AS_PATH sequence [65001 65002] (4-byte ASNs), NEXT_HOP 192.0.2.1, MED 100.
const ATTRIBUTES: [u8; 31] = [
    0x40, 0x01, 0x01, 0x00, // ORIGIN
    0x40, 0x02, 0x0A, 0x02, 0x02, 0x00, 0x00, 0xFD, 0xE9, 0x00, 0x00, 0xFD, 0xEA, // AS_PATH
    0x40, 0x03, 0x04, 192, 0, 2, 1, // NEXT_HOP
    0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x64, // MED
];

/// The decoded UPDATEs, as the daemon holds them when it writes events.
static UPDATES: LazyLock<Vec<Update>> = LazyLock::new(|| {
    let routes: Vec<Nlri> = (0..PREFIXES)
        .map(|i| {
            let addr = Ipv4Addr::new(1 + (i >> 16) as u8, (i >> 8) as u8, i as u8, 0);
            Nlri::prefix(Prefix::v4(addr, 24).expect("valid length"))
        })
        .collect();
    let ctx = Negotiated::default();
    let mut updates = Vec::new();
    let mut sent = 0;
    while sent < routes.len() {
        let mut message = Vec::new();
        sent += write_ipv4_announce(&mut message, &ATTRIBUTES, &routes[sent..], &ctx);
        let body = message.get(HEADER_LEN..).expect("header");
        updates.push(Update::decode(body, &ctx).expect("valid"));
    }
    updates
});

const ENVELOPE: Envelope<'static> = Envelope {
    version: FORMAT_VERSION_5,
    time: 1700000000.123456,
    host: "bench-host",
    pid: 4242,
    ppid: 1,
};

const NEIGHBOR: NeighborIdentity = NeighborIdentity {
    local_address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
    peer_address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
    local_asn: 65000,
    peer_asn: 65001,
    router_id: Some(Ipv4Addr::new(192, 0, 2, 2)),
};

/// Every UPDATE written as one event line into a reused buffer (cleared per message, as a
/// helper's output buffer drains).
#[divan::bench]
fn update_events(bencher: Bencher) {
    LazyLock::force(&UPDATES);
    let mut out = Vec::with_capacity(1 << 20);
    bencher.counter(ItemsCount::new(PREFIXES)).bench_local(|| {
        let mut bytes = 0usize;
        for (counter, update) in UPDATES.iter().enumerate() {
            out.clear();
            let head = EventHead {
                envelope: &ENVELOPE,
                counter: counter as u64 + 1,
                kind: "update",
                raw: None,
                neighbor: &NEIGHBOR,
            };
            write_update_event(
                &mut out,
                &head,
                Direction::Receive,
                update,
                None,
                UpdateJsonOptions::default(),
            );
            out.push(b'\n');
            bytes += out.len();
        }
        black_box(bytes)
    });
}
