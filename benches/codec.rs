//! Codec throughput: decoding and encoding UPDATEs that carry 1,000,000 IPv4 /24 prefixes
//! with one shared attribute set, packed into 4096-byte messages; and 100,000 UPDATEs with
//! varied attributes (AS paths, communities, MED).
//!
//! Run: `cargo bench --bench codec` (divan prints items/s = prefixes per second).

use std::hint::black_box;
use std::net::Ipv4Addr;
use std::sync::LazyLock;

use divan::counter::ItemsCount;
use divan::Bencher;
use rexa::bgp::nlri::{Nlri, Prefix};
use rexa::bgp::update::{write_ipv4_announce, Update, UpdateView, HEADER_LEN};
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

fn attributes() -> &'static [u8] {
    &ATTRIBUTES
}

/// 1,000,000 distinct /24s: 1.0.0.0/24, 1.0.1.0/24, ...
static ROUTES: LazyLock<Vec<Nlri>> = LazyLock::new(|| {
    (0..PREFIXES)
        .map(|i| {
            let addr = Ipv4Addr::new(1 + (i >> 16) as u8, (i >> 8) as u8, i as u8, 0);
            Nlri::prefix(Prefix::v4(addr, 24).expect("valid length"))
        })
        .collect()
});

/// All messages back to back, and each message's (start, end) offsets.
type Packed = (Vec<u8>, Vec<(usize, usize)>);

/// The routes packed into UPDATE messages.
static MESSAGES: LazyLock<Packed> = LazyLock::new(|| {
    let ctx = Negotiated::default();
    let mut out = Vec::new();
    let mut spans = Vec::new();
    let mut sent = 0;
    while sent < ROUTES.len() {
        let start = out.len();
        sent += write_ipv4_announce(&mut out, attributes(), &ROUTES[sent..], &ctx);
        spans.push((start, out.len()));
    }
    (out, spans)
});

fn bodies() -> impl Iterator<Item = &'static [u8]> {
    let (bytes, spans) = &*MESSAGES;
    spans
        .iter()
        .map(move |&(start, end)| &bytes[start + HEADER_LEN..end])
}

/// Zero-copy: split each body and iterate its prefixes (the hot path).
#[divan::bench]
fn decode_view(bencher: Bencher) {
    let ctx = Negotiated::default();
    LazyLock::force(&MESSAGES);
    bencher.counter(ItemsCount::new(PREFIXES)).bench(|| {
        let mut count = 0usize;
        for body in bodies() {
            let view = UpdateView::new(body).expect("valid");
            for nlri in view.announced(&ctx) {
                black_box(nlri.expect("valid"));
                count += 1;
            }
        }
        assert_eq!(count, PREFIXES);
    });
}

/// Owned: `Update::decode` per message (a Vec of routes and of attributes per UPDATE).
#[divan::bench]
fn decode_owned(bencher: Bencher) {
    let ctx = Negotiated::default();
    LazyLock::force(&MESSAGES);
    bencher.counter(ItemsCount::new(PREFIXES)).bench(|| {
        let mut count = 0usize;
        for body in bodies() {
            let update = Update::decode(body, &ctx).expect("valid");
            count += update.announced.len();
            black_box(update);
        }
        assert_eq!(count, PREFIXES);
    });
}

/// Packing: all routes into 4096-byte UPDATEs, reusing one output buffer.
#[divan::bench]
fn encode_pack(bencher: Bencher) {
    let ctx = Negotiated::default();
    let routes = &*ROUTES;
    let mut out = Vec::with_capacity(MESSAGES.0.len());
    bencher.counter(ItemsCount::new(PREFIXES)).bench_local(|| {
        out.clear();
        let mut sent = 0;
        while sent < routes.len() {
            sent += write_ipv4_announce(&mut out, attributes(), &routes[sent..], &ctx);
        }
        black_box(&out);
    });
    assert_eq!(out, MESSAGES.0);
}

// (b) 100,000 UPDATEs with varied attributes: AS_PATHs of 1 to 8 ASNs, 0 to 6
// communities, a MED on half of them, a large community on a third, and 1 to 8 prefixes
// each. Counted in UPDATEs per second; every UPDATE is fully decoded into typed attributes.

const VARIED: usize = 100_000;

/// The varied UPDATEs, whole messages back to back, with each message's (start, end).
static VARIED_MESSAGES: LazyLock<Packed> = LazyLock::new(|| {
    let ctx = Negotiated::default();
    let mut out = Vec::new();
    let mut spans = Vec::new();
    for i in 0..VARIED {
        let update = varied_update(i);
        let start = out.len();
        update.encode_message(&mut out, &ctx);
        spans.push((start, out.len()));
    }
    (out, spans)
});

fn varied_update(i: usize) -> Update {
    use rexa::bgp::attribute::{AsPath, Attribute, Community, LargeCommunity, Origin};
    let n = i as u32;
    let path: Vec<u32> = (0..1 + n % 8).map(|k| 64_512 + (n + k) % 1000).collect();
    let mut attributes = vec![
        Attribute::Origin(Origin::Igp),
        Attribute::AsPath(AsPath::sequence(&path)),
        Attribute::NextHop(Ipv4Addr::new(192, 0, 2, (n % 250) as u8 + 1)),
    ];
    if n % 2 == 0 {
        attributes.push(Attribute::Med(n % 1000));
    }
    let communities: Vec<Community> = (0..n % 7)
        .map(|k| Community::new(65000, (n + k) as u16))
        .collect();
    if !communities.is_empty() {
        attributes.push(Attribute::Communities(communities));
    }
    if n % 3 == 0 {
        attributes.push(Attribute::LargeCommunities(vec![LargeCommunity::new(
            65000, n, 1,
        )]));
    }
    let announced = (0..1 + i % 8)
        .map(|k| {
            let j = i * 8 + k;
            let addr = Ipv4Addr::new(10 + (j >> 16) as u8, (j >> 8) as u8, j as u8, 0);
            Nlri::prefix(Prefix::v4(addr, 24).expect("valid length"))
        })
        .collect();
    Update {
        withdrawn: Vec::new(),
        attributes,
        announced,
    }
}

/// Full typed decode of 100,000 varied UPDATEs.
#[divan::bench]
fn decode_varied(bencher: Bencher) {
    let ctx = Negotiated::default();
    let (bytes, spans) = &*VARIED_MESSAGES;
    bencher.counter(ItemsCount::new(VARIED)).bench(|| {
        for &(start, end) in spans {
            let update = Update::decode(&bytes[start + HEADER_LEN..end], &ctx).expect("valid");
            black_box(update);
        }
    });
}

/// Encoding the same 100,000 typed UPDATEs into one reused buffer.
#[divan::bench]
fn encode_varied(bencher: Bencher) {
    let ctx = Negotiated::default();
    let updates: Vec<Update> = (0..VARIED).map(varied_update).collect();
    let mut out = Vec::with_capacity(VARIED_MESSAGES.0.len());
    bencher.counter(ItemsCount::new(VARIED)).bench_local(|| {
        out.clear();
        for update in &updates {
            update.encode_message(&mut out, &ctx);
        }
        black_box(&out);
    });
    assert_eq!(out, VARIED_MESSAGES.0);
}
