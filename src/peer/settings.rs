//! What one peer's FSM is configured with (taken from the validated configuration), and
//! the OPEN it sends.

use std::net::Ipv4Addr;
use std::time::Duration;

use crate::bgp::capability::Capability;
use crate::bgp::open::Open;
use crate::bgp::Family;
use crate::rib::RibOptions;

use super::{DEFAULT_OPEN_WAIT, DEFAULT_SEND_HOLD};

/// Per-peer settings the FSM needs, taken from the validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub local_as: u32,
    /// The AS the peer must announce (`None`: any, ExaBGP's `peer-as auto`).
    pub peer_as: Option<u32>,
    pub router_id: Ipv4Addr,
    /// The hold time we propose (0 = no keepalives, else ≥ 3).
    pub hold_time: u16,
    /// Never connect out; wait for the peer.
    pub passive: bool,
    /// Capabilities of our OPEN, in order.
    pub capabilities: Vec<Capability>,
    /// How long to wait for the peer's OPEN.
    pub open_wait: Duration,
    /// Give up on an outgoing connect after this long.
    pub connect_timeout: Duration,
    /// Outgoing attempts before the peer stops (0 = never stop; ExaBGP's `tcp.attempts`).
    pub connect_attempts: u32,
    /// Decode received UPDATEs and report them (off when nothing consumes them).
    pub decode_updates: bool,
    /// How the adj-rib-out packs and when it sends End-of-RIB (`group-updates`,
    /// `manual-eor`, `adj-rib-out`).
    pub rib: RibOptions,
    /// Report the bytes of each received message ([`PeerEvent::ReceivedPacket`]); off
    /// unless a helper process asked for raw packets.
    pub report_packets: bool,
    /// Report each message written to the peer ([`PeerEvent::Sent`]); off unless a helper
    /// process asked for sent messages.
    pub report_sent: bool,
    /// RFC 9687's send hold time, at least: the session ends when the peer accepted none of
    /// the bytes waiting for it for max(this, 2 × hold time). Zero: no send hold timer.
    pub send_hold: Duration,
}

impl Settings {
    pub fn new(local_as: u32, peer_as: Option<u32>, router_id: Ipv4Addr) -> Settings {
        Settings {
            local_as,
            peer_as,
            router_id,
            hold_time: 180,
            passive: false,
            capabilities: vec![
                Capability::Multiprotocol(Family::IPV4_UNICAST),
                Capability::RouteRefresh,
                Capability::FourOctetAs(local_as),
            ],
            open_wait: DEFAULT_OPEN_WAIT,
            connect_timeout: Duration::from_secs(30),
            connect_attempts: 0,
            decode_updates: true,
            rib: RibOptions::default(),
            report_packets: false,
            report_sent: false,
            send_hold: DEFAULT_SEND_HOLD,
        }
    }

    pub(super) fn open(&self) -> Open {
        Open::new(
            self.local_as,
            self.hold_time,
            self.router_id,
            self.capabilities.clone(),
        )
    }
}
