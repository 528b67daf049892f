//! The session FSM fed with arbitrary bytes from the peer: input byte 0 picks who
//! connected, whether a valid OPEN + KEEPALIVE from the peer comes first (so the rest
//! reaches ESTABLISHED), the capabilities both sides announce and the hold time; byte 1
//! the read size; the rest is the byte stream, delivered as TCP would, with time moving
//! on between reads. The FSM must never panic and never consume more than it was given.
#![no_main]

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rexa::bgp::capability::AddPathMode;
use rexa::bgp::{Capability, Family, Message, Negotiated, Open};
use rexa::peer::{Initiator, Peer, Settings, Step};

const LOCAL_AS: u32 = 65000;
const PEER_AS: u32 = 4_200_000_001;

fn capabilities(selector: u8) -> Vec<Capability> {
    let mut list = vec![
        Capability::Multiprotocol(Family::IPV4_UNICAST),
        Capability::Multiprotocol(Family::IPV6_UNICAST),
        Capability::Multiprotocol(Family::IPV4_MPLS_VPN),
        Capability::RouteRefresh,
    ];
    if selector & 4 != 0 {
        list.push(Capability::FourOctetAs(PEER_AS));
    }
    if selector & 8 != 0 {
        list.push(Capability::AddPath(vec![
            (Family::IPV4_UNICAST, AddPathMode::BOTH),
            (Family::IPV6_UNICAST, AddPathMode::BOTH),
        ]));
    }
    if selector & 16 != 0 {
        list.push(Capability::ExtendedMessage);
    }
    list
}

fuzz_target!(|data: &[u8]| {
    let [selector, read_size, stream @ ..] = data else {
        return;
    };
    let start = Instant::now();
    let mut settings = Settings::new(LOCAL_AS, Some(PEER_AS), Ipv4Addr::new(192, 0, 2, 1));
    settings.capabilities = capabilities(*selector);
    if selector & 4 != 0 {
        for capability in &mut settings.capabilities {
            if let Capability::FourOctetAs(asn) = capability {
                *asn = LOCAL_AS;
            }
        }
    }
    settings.hold_time = if selector & 32 != 0 { 3 } else { 180 };
    let mut peer = Peer::new(settings, start);
    let initiator = if selector & 2 != 0 {
        Initiator::Remote
    } else {
        assert!(peer.connect(start));
        Initiator::Local
    };
    let mut output = Vec::new();
    peer.connected(start, initiator, &mut output);

    let mut input = Vec::new();
    if selector & 1 != 0 {
        let open = Open::new(
            PEER_AS,
            90,
            Ipv4Addr::new(192, 0, 2, 2),
            capabilities(*selector),
        );
        let ctx = Negotiated::default();
        Message::Open(open).encode(&mut input, &ctx);
        Message::Keepalive.encode(&mut input, &ctx);
    }
    input.extend_from_slice(stream);

    let read_size = usize::from(*read_size).max(1);
    let mut received = 0;
    let mut buffer: Vec<u8> = Vec::new();
    let mut now = start;
    for _ in 0..10_000 {
        let chunk = input.get(received..).unwrap_or_default();
        let chunk = chunk.get(..read_size.min(chunk.len())).unwrap_or_default();
        received += chunk.len();
        buffer.extend_from_slice(chunk);
        output.clear();
        let (consumed, step) = peer.step(now, &buffer, &mut output);
        assert!(
            consumed <= buffer.len(),
            "consumed {consumed} of {}",
            buffer.len()
        );
        buffer.drain(..consumed);
        let _ = peer.take_events();
        let _ = peer.label();
        let _ = peer.next_deadline();
        match step {
            Step::Close(_) => {
                peer.closed(now);
                break;
            }
            Step::Now | Step::Later => {}
            Step::Wait if received >= input.len() => break,
            Step::Wait => now += Duration::from_millis(700),
        }
    }
});
