//! One configured neighbor as the reactor sees it: the `peer` FSM plus the addresses,
//! socket options and connection bookkeeping the FSM itself must not know about.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::bgp::notification::Notification;
use crate::peer::{CloseReason, Collision, Initiator, Peer, PeerEvent, State};
use crate::reactor::{
    ConnectRequest, Disconnect, Endpoint, Incoming, Link, Md5Key, Step, TcpOptions,
};

/// The text of the RFC 9003 shutdown communication sent when rexa stops.
pub const SHUTDOWN_MESSAGE: &str = "rexa shutting down";

/// Where and how this neighbor connects and accepts connections.
#[derive(Debug, Clone)]
pub struct Transport {
    /// The peer's address (the whole range when `peer_prefix_len` is shorter).
    pub peer: IpAddr,
    pub peer_prefix_len: u8,
    /// Our address; `None` = chosen by the kernel.
    pub local: Option<IpAddr>,
    /// Port to connect to.
    pub connect_port: u16,
    /// Port of the listener that serves this neighbor (to tell inbound from outbound).
    pub listen_port: Option<u16>,
    pub options: TcpOptions,
}

impl Transport {
    fn matches_peer(&self, address: IpAddr) -> bool {
        match (self.peer, address) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                prefix_match(&net.octets(), &a.octets(), self.peer_prefix_len)
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                prefix_match(&net.octets(), &a.octets(), self.peer_prefix_len)
            }
            (IpAddr::V6(net), IpAddr::V4(a)) => {
                net.to_ipv4_mapped() == Some(a) && self.peer_prefix_len >= 96
            }
            (IpAddr::V4(net), IpAddr::V6(a)) => a.to_ipv4_mapped() == Some(net),
        }
    }
}

fn prefix_match(net: &[u8], address: &[u8], len: u8) -> bool {
    let full = usize::from(len / 8);
    let rest = len % 8;
    if net.get(..full) != address.get(..full) {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xFFu8 << (8 - rest);
    match (net.get(full), address.get(full)) {
        (Some(n), Some(a)) => n & mask == a & mask,
        _ => false,
    }
}

/// Builds the socket options of a neighbor from its configuration values.
pub fn tcp_options(
    md5: Option<&[u8]>,
    ao: Option<crate::sys::tcp_ao::AoKey>,
    outgoing_ttl: Option<u8>,
    incoming_ttl: Option<u8>,
) -> TcpOptions {
    TcpOptions {
        md5: md5.and_then(Md5Key::new),
        ao,
        outgoing_ttl,
        incoming_min_ttl: incoming_ttl,
    }
}

/// A neighbor driven by the reactor: the reactor's [`Endpoint`] around one `peer::Peer`.
#[derive(Debug)]
pub struct NeighborEndpoint {
    /// How logs name it (the peer address as configured).
    pub name: String,
    pub peer: Peer,
    pub transport: Transport,
    /// The connection came up; the OPEN goes out on the next step (which has the link).
    just_connected: Option<Initiator>,
    /// The addresses of the current connection.
    pub local_address: Option<SocketAddr>,
    events: VecDeque<PeerEvent>,
    /// Output bytes left in the connection's write buffer after the last step: fewer at
    /// the next step means the socket took some (the send hold timer's progress).
    output_left: usize,
}

impl NeighborEndpoint {
    pub fn new(name: String, peer: Peer, transport: Transport) -> NeighborEndpoint {
        NeighborEndpoint {
            name,
            peer,
            transport,
            just_connected: None,
            local_address: None,
            events: VecDeque::new(),
            output_left: 0,
        }
    }

    fn collect_events(&mut self) {
        self.events.extend(self.peer.take_events());
    }
}

impl Endpoint for NeighborEndpoint {
    type Reason = CloseReason;
    type Event = PeerEvent;

    fn wants_connection(&mut self, now: Instant) -> Option<ConnectRequest> {
        if !self.peer.connect(now) {
            return None;
        }
        self.collect_events();
        Some(ConnectRequest {
            local: self.transport.local,
            remote: SocketAddr::new(self.transport.peer, self.transport.connect_port),
            options: self.transport.options,
        })
    }

    fn accepts_from(&self) -> Option<IpAddr> {
        let full = match self.transport.peer {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        (self.transport.peer_prefix_len >= full).then_some(self.transport.peer)
    }

    fn incoming(&self, _now: Instant, local: SocketAddr, remote: SocketAddr) -> Incoming {
        if !self.transport.matches_peer(remote.ip()) {
            return Incoming::Refuse;
        }
        if let Some(ours) = self.transport.local {
            if ours != local.ip() && !ours.is_unspecified() {
                return Incoming::Refuse;
            }
        }
        // The new connection's OPEN is not read yet: like ExaBGP, compare against the
        // identifier the peer already sent on the current connection, if any.
        let their_id = match self.peer.state().agreement() {
            Some(agreement) => agreement.peer_open.router_id,
            None => self.peer.settings.router_id,
        };
        match self.peer.collision(their_id) {
            Collision::AcceptNew | Collision::ReplaceCurrent(_) => {
                Incoming::Accept(self.transport.options)
            }
            Collision::RefuseNew(_) => {
                log::info!(
                    "{}: refusing a second connection from {remote} (collision)",
                    self.name
                );
                Incoming::Reject(collision_cease())
            }
        }
    }

    fn connected(&mut self, _now: Instant, local: SocketAddr, remote: SocketAddr, by: Initiator) {
        // `closed(Replaced)` already ended any previous connection.
        log::info!("{}: connected {local} -> {remote}", self.name);
        self.local_address = Some(local);
        self.peer.set_local_address(Some(local.ip()));
        self.just_connected = Some(by);
        self.output_left = 0;
        self.collect_events();
    }

    fn closed(&mut self, now: Instant, why: &Disconnect) {
        match why {
            Disconnect::ConnectFailed(error) => {
                log::info!("{}: connect failed: {error}", self.name);
                self.peer.connect_failed(now);
            }
            Disconnect::Replaced if matches!(self.peer.state(), State::Connect { .. }) => {
                // An inbound connection takes the place of our connect attempt: CONNECT
                // goes on to OPENSENT with it.
                log::info!("{}: {why}", self.name);
            }
            other => {
                log::info!("{}: {other}", self.name);
                self.peer.closed(now);
            }
        }
        self.just_connected = None;
        self.local_address = None;
        self.output_left = 0;
        self.collect_events();
    }

    fn step(&mut self, now: Instant, link: Option<Link<'_>>) -> Step<CloseReason> {
        let Some(link) = link else {
            // No connection: only timers run (the retry, the connect timeout); nothing is
            // written.
            let (_, step) = self.peer.step(now, &[], &mut Vec::new());
            self.collect_events();
            return match step {
                Step::Close(reason) => Step::Close(reason),
                _ => Step::Wait,
            };
        };
        if let Some(initiator) = self.just_connected.take() {
            self.peer.connected(now, initiator, link.output);
        }
        // Only this endpoint appends to the write buffer and only the reactor drains it:
        // less than what the last step left means the socket took some.
        let pending = link.output.pending();
        self.peer
            .output_report(now, pending, pending < self.output_left);
        let (used, step) = self.peer.step(now, link.input.data(), link.output);
        link.input.consume(used);
        self.output_left = link.output.pending();
        self.peer.output_report(now, self.output_left, false);
        self.collect_events();
        step
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.peer.next_deadline()
    }

    fn take_event(&mut self) -> Option<PeerEvent> {
        if self.events.is_empty() {
            // What the owner's direct calls on the peer produced (a reload's shutdown of a
            // removed neighbor stops it at once): reported before it is removed.
            self.collect_events();
        }
        self.events.pop_front()
    }

    fn shutdown(&mut self, _now: Instant) {
        self.peer
            .shutdown(Notification::cease_shutdown(SHUTDOWN_MESSAGE));
        self.collect_events();
    }

    fn is_finished(&self) -> bool {
        self.peer.is_stopped()
    }

    fn hold(&mut self, now: Instant, input: bool, output: bool) {
        if input != self.peer.is_input_held() {
            let what = if input { "held back" } else { "read again" };
            log::debug!("{}: input {what} (a helper's buffer)", self.name);
        }
        self.peer.hold_input(now, input);
        self.peer.hold_output(output);
    }
}

/// NOTIFICATION Cease 6/7 (connection collision resolution), sent on a refused connection.
fn collision_cease() -> &'static [u8] {
    static BYTES: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BYTES.get_or_init(|| {
        let mut out = Vec::new();
        crate::bgp::message::Message::Notification(Notification::cease_connection_collision())
            .encode(&mut out, &crate::bgp::Negotiated::default());
        out
    })
}

/// How long an outgoing connect may take before it counts as failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn transport(peer: &str, len: u8) -> Transport {
        Transport {
            peer: peer.parse().expect("address"),
            peer_prefix_len: len,
            local: None,
            connect_port: 179,
            listen_port: Some(179),
            options: TcpOptions::default(),
        }
    }

    #[test]
    fn collision_cease_is_a_6_7_notification() {
        let bytes = collision_cease();
        assert_eq!(bytes.get(18..21), Some(&[3u8, 6, 7][..]));
    }

    #[test]
    fn peer_ranges_match_by_prefix() {
        let e = transport("10.0.0.0", 24);
        assert!(e.matches_peer(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 9))));
        assert!(!e.matches_peer(IpAddr::V4(Ipv4Addr::new(10, 0, 1, 9))));
        let e = transport("127.0.0.2", 32);
        assert!(e.matches_peer("127.0.0.2".parse().expect("ip")));
        assert!(e.matches_peer("::ffff:127.0.0.2".parse().expect("ip")));
        assert!(!e.matches_peer("127.0.0.3".parse().expect("ip")));
        let e = transport("2001:db8::", 33);
        assert!(e.matches_peer("2001:db8:7fff::1".parse().expect("ip")));
        assert!(!e.matches_peer("2001:db8:8000::1".parse().expect("ip")));
    }

    fn neighbor(now: Instant) -> NeighborEndpoint {
        let settings = crate::peer::Settings::new(65001, Some(65002), Ipv4Addr::new(10, 0, 0, 1));
        NeighborEndpoint::new(
            "127.0.0.2".to_string(),
            Peer::new(settings, now),
            transport("127.0.0.2", 32),
        )
    }

    fn step_with_link(endpoint: &mut NeighborEndpoint, now: Instant) -> (Step<CloseReason>, usize) {
        let mut input = crate::reactor::ReadBuffer::new(4096);
        let mut output = crate::reactor::WriteBuffer::new(4096);
        let step = endpoint.step(
            now,
            Some(Link {
                input: &mut input,
                output: &mut output,
            }),
        );
        (step, output.pending())
    }

    #[test]
    fn asking_for_a_connection_puts_the_peer_in_connect() {
        let now = Instant::now();
        let mut endpoint = neighbor(now);
        let request = endpoint.wants_connection(now).expect("a connect request");
        assert_eq!(request.remote, "127.0.0.2:179".parse().expect("address"));
        assert_eq!(endpoint.peer.label(), crate::peer::FsmLabel::Connect);
        assert!(
            endpoint.wants_connection(now).is_none(),
            "one attempt at a time"
        );
        assert_eq!(
            endpoint.next_deadline(),
            Some(now + endpoint.peer.settings.connect_timeout),
            "one connect deadline, the peer's"
        );
    }

    #[test]
    fn a_timed_out_connect_ends_the_attempt_and_the_next_one_follows() {
        let now = Instant::now();
        let mut endpoint = neighbor(now);
        assert!(endpoint.wants_connection(now).is_some());
        let deadline = endpoint.next_deadline().expect("connect deadline");
        assert_eq!(
            endpoint.step(deadline, None),
            Step::Close(CloseReason::ConnectFailed)
        );
        let retry = endpoint.next_deadline().expect("retry deadline");
        assert!(endpoint.wants_connection(retry).is_some());
    }

    #[test]
    fn an_inbound_connection_replacing_our_attempt_sends_the_open_on_it() {
        let now = Instant::now();
        let mut endpoint = neighbor(now);
        assert!(endpoint.wants_connection(now).is_some());
        endpoint.closed(now, &Disconnect::Replaced);
        assert_eq!(endpoint.peer.label(), crate::peer::FsmLabel::Connect);
        let address: SocketAddr = "127.0.0.1:179".parse().expect("address");
        endpoint.connected(now, address, address, Initiator::Remote);
        let (step, written) = step_with_link(&mut endpoint, now);
        assert_eq!(step, Step::Wait);
        assert!(written > 19, "our OPEN is in the connection's write buffer");
        assert_eq!(endpoint.peer.label(), crate::peer::FsmLabel::OpenSent);
        assert_eq!(
            endpoint.peer.state().connection().map(|c| c.initiator),
            Some(Initiator::Remote)
        );
    }

    #[test]
    fn events_of_direct_peer_calls_are_taken_too() {
        let now = Instant::now();
        let mut endpoint = neighbor(now);
        endpoint
            .peer
            .shutdown(Notification::cease_peer_deconfigured());
        assert!(endpoint.is_finished());
        assert_eq!(endpoint.take_event(), Some(PeerEvent::Stopped));
        assert_eq!(endpoint.take_event(), None);
    }
}
