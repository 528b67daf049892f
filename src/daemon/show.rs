//! What `show neighbor` reports of each neighbor (api.md §5.9): the state kept from its
//! configuration and sessions, resolved into an `api::show::Report` that `api` renders.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use crate::api::show::{FamilyRow, MESSAGE_ROWS};
use crate::bgp::capability::code;
use crate::bgp::family::Family;
use crate::bgp::negotiated::Negotiation;
use crate::bgp::open::Open;
use crate::config::model::Neighbor;
use crate::peer::MessageCounts;

// What the `show` commands render, from `api`.
pub use crate::api::show::{adj_rib_json_line, adj_rib_line, kind_matches, Report, RibRoute};

/// What a neighbor's report needs from its configuration and its session's history, kept in
/// its `NeighborApi`.
#[derive(Debug, Clone)]
pub struct ShowState {
    /// The configured local address (`None`: `auto`).
    pub local_address: Option<IpAddr>,
    pub router_id: Ipv4Addr,
    pub hold_time: u16,
    /// Our side of [`crate::api::show::CAPABILITY_NAMES`], as configured.
    pub capabilities: [bool; 7],
    /// The configured families, in order.
    pub families: Vec<Family>,
    /// The families configured with ADD-PATH.
    pub add_path: Vec<Family>,
    /// The neighbor in configuration syntax, without routes.
    pub configuration: String,
    /// When the neighbor was created and when its last session ended (ExaBGP's `down`).
    pub created: Instant,
    pub last_reset: Instant,
    /// A TCP connection is up (ExaBGP then knows multi-session / operational: `disabled`).
    pub connected: bool,
    /// What the peer's OPEN of the current session said.
    pub peer_open: Option<PeerOpen>,
    /// Messages received, by type.
    pub received: MessageCounts,
}

/// The parts of the peer's OPEN the report shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerOpen {
    pub router_id: Ipv4Addr,
    pub hold_time: u16,
    pub route_refresh: bool,
    pub multi_session: bool,
    pub add_path: bool,
    pub extended_message: bool,
    pub graceful_restart: bool,
}

impl PeerOpen {
    pub fn of(open: &Open) -> PeerOpen {
        PeerOpen {
            router_id: open.router_id,
            hold_time: open.hold_time,
            route_refresh: open.has_capability(code::ROUTE_REFRESH),
            multi_session: open.has_capability(code::MULTISESSION)
                || open.has_capability(code::MULTISESSION_CISCO),
            add_path: open.has_capability(code::ADD_PATH),
            extended_message: open.has_capability(code::EXTENDED_MESSAGE),
            graceful_restart: open.has_capability(code::GRACEFUL_RESTART),
        }
    }
}

impl ShowState {
    pub fn new(neighbor: &Neighbor, now: Instant) -> ShowState {
        let c = &neighbor.capabilities;
        let add_path = if c.add_path == crate::config::model::AddPathMode::Disabled {
            Vec::new()
        } else {
            neighbor.add_path.iter().map(|a| a.family).collect()
        };
        ShowState {
            local_address: neighbor.local_address,
            router_id: neighbor.router_id,
            hold_time: neighbor.hold_time,
            capabilities: [
                c.asn4,
                c.route_refresh,
                c.multi_session,
                c.operational,
                c.add_path != crate::config::model::AddPathMode::Disabled,
                c.extended_message,
                c.graceful_restart.is_some(),
            ],
            families: neighbor.families.clone(),
            add_path,
            configuration: crate::config::dump::neighbor_settings(neighbor),
            created: now,
            last_reset: now,
            connected: false,
            peer_open: None,
            received: MessageCounts::default(),
        }
    }

    /// The session ended: what the peer said is forgotten.
    pub fn reset(&mut self, now: Instant) {
        self.last_reset = now;
        self.connected = false;
        self.peer_open = None;
    }
}

/// The inputs of [`Report::new`] that live outside the `ShowState`.
pub struct Facts<'a> {
    pub peer_address: IpAddr,
    pub local_as: u32,
    pub peer_as: u32,
    pub state: &'static str,
    pub established_at: Option<Instant>,
    pub negotiation: Option<&'a Negotiation>,
    pub sent: &'a MessageCounts,
}

impl Report {
    pub fn new(show: &ShowState, session: &Facts, now: Instant) -> Report {
        let seconds = |d: Duration| d.as_secs();
        let up = session
            .established_at
            .map_or(0, |at| seconds(now.saturating_duration_since(at)));
        let down = seconds(show.last_reset.saturating_duration_since(show.created));
        let open = show.peer_open;
        let negotiation = session.negotiation.filter(|_| open.is_some());
        let connected = show.connected || open.is_some();
        let peer_caps: [Option<bool>; 7] = match open {
            Some(o) => [
                Some(negotiation.is_some_and(|n| n.negotiated.asn4)),
                Some(o.route_refresh),
                Some(o.multi_session),
                Some(negotiation.is_some_and(|n| n.operational)),
                Some(o.add_path),
                Some(o.extended_message),
                Some(o.graceful_restart),
            ],
            None => {
                let known = connected.then_some(false);
                [None, None, known, known, None, None, None]
            }
        };
        let mut capabilities = [(None, None); 7];
        for (slot, (local, peer)) in capabilities
            .iter_mut()
            .zip(show.capabilities.iter().zip(peer_caps))
        {
            *slot = (Some(*local), peer);
        }
        let families = show
            .families
            .iter()
            .map(|family| match negotiation {
                Some(n) => FamilyRow {
                    family: *family,
                    common: Some(n.negotiated.families.contains(family)),
                    send: Some(n.negotiated.addpath_send.contains(family)),
                    receive: Some(n.negotiated.addpath_receive.contains(family)),
                },
                None => {
                    let unknown = (!show.add_path.contains(family)).then_some(false);
                    FamilyRow {
                        family: *family,
                        common: None,
                        send: unknown,
                        receive: unknown,
                    }
                }
            })
            .collect();
        let mut messages = [(0, 0); 5];
        for (slot, (_, kind)) in messages.iter_mut().zip(MESSAGE_ROWS) {
            *slot = (session.sent.of(kind), show.received.of(kind));
        }
        Report {
            peer_address: session.peer_address.to_string(),
            local_address: show.local_address,
            state: session.state,
            up,
            down,
            local_as: session.local_as,
            peer_as: session.peer_as,
            local_id: show.router_id,
            peer_id: open.map(|o| o.router_id),
            local_hold: show.hold_time,
            peer_hold: open.map(|o| o.hold_time),
            capabilities,
            families,
            messages,
        }
    }
}
