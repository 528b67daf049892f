//! The FSM's states and the one table of allowed transitions: what each stage holds, and
//! which stage may follow which (`Peer::transition` is the only place that changes state).

use std::time::{Duration, Instant};

use crate::bgp::negotiated::Negotiated;
use crate::bgp::notification::Notification;
use crate::bgp::open::Open;

/// The labels ExaBGP reports in `fsm` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsmLabel {
    Idle,
    Active,
    Connect,
    OpenSent,
    OpenConfirm,
    Established,
}

impl FsmLabel {
    pub fn name(self) -> &'static str {
        match self {
            FsmLabel::Idle => "IDLE",
            FsmLabel::Active => "ACTIVE",
            FsmLabel::Connect => "CONNECT",
            FsmLabel::OpenSent => "OPENSENT",
            FsmLabel::OpenConfirm => "OPENCONFIRM",
            FsmLabel::Established => "ESTABLISHED",
        }
    }
}

/// Which side opened the current TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    /// We connected out.
    Local,
    /// The peer connected to our listener.
    Remote,
}

/// A graceful end asked for while a connection is up: sent at the next step.
#[derive(Debug, Clone, PartialEq)]
pub struct Ending {
    /// The NOTIFICATION (a Cease) that ends the connection.
    pub notification: Notification,
    /// After it, stop for good (shutdown) rather than reconnect (reset).
    pub stop: bool,
}

/// A live connection, whatever the stage of the OPEN exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub initiator: Initiator,
    /// Set by `Peer::shutdown` / `Peer::reset`: the connection ends at the next step.
    pub ending: Option<Ending>,
}

impl Connection {
    pub(super) fn new(initiator: Initiator) -> Connection {
        Connection {
            initiator,
            ending: None,
        }
    }
}

/// An OPEN exchange that succeeded: what the session runs with, and its timers.
#[derive(Debug, Clone)]
pub struct Agreement {
    pub peer_open: Open,
    pub negotiated: Negotiated,
    /// The negotiated hold time (0 = no hold timer, no keepalives).
    pub hold_time: u16,
    pub(super) hold_deadline: Option<Instant>,
    pub(super) keepalive_at: Option<Instant>,
    /// The initial table has been queued (once per establishment).
    pub(super) table_sent: bool,
}

impl Agreement {
    pub(super) fn hold(&self) -> Option<Duration> {
        (self.hold_time > 0).then(|| Duration::from_secs(self.hold_time.into()))
    }

    pub(super) fn keepalive_interval(&self) -> Option<Duration> {
        (self.hold_time > 0).then(|| Duration::from_secs(u64::from(self.hold_time / 3).max(1)))
    }

    pub(super) fn heard_from_peer(&mut self, now: Instant) {
        self.hold_deadline = self.hold().map(|hold| now + hold);
    }
}

/// The session stages; each variant holds only the data of its stage.
#[derive(Debug, Clone)]
pub enum State {
    /// No connection; the next outgoing attempt is allowed at `retry_at`.
    Idle { retry_at: Instant },
    /// Passive: waiting for the peer to connect.
    Active,
    /// An outgoing TCP connect is in progress until `deadline` (or a connection has just
    /// come up and our OPEN goes out now).
    Connect { deadline: Instant },
    /// Our OPEN is sent; waiting for the peer's until `deadline`.
    OpenSent {
        connection: Connection,
        deadline: Instant,
    },
    /// OPENs agree and our KEEPALIVE is sent; waiting for the peer's KEEPALIVE.
    OpenConfirm {
        connection: Connection,
        agreement: Box<Agreement>,
    },
    /// Routes flow.
    Established {
        connection: Connection,
        agreement: Box<Agreement>,
    },
    /// Out of attempts, or shut down: never connects again.
    Stopped,
}

impl State {
    pub fn label(&self) -> FsmLabel {
        match self {
            State::Idle { .. } | State::Stopped => FsmLabel::Idle,
            State::Active => FsmLabel::Active,
            State::Connect { .. } => FsmLabel::Connect,
            State::OpenSent { .. } => FsmLabel::OpenSent,
            State::OpenConfirm { .. } => FsmLabel::OpenConfirm,
            State::Established { .. } => FsmLabel::Established,
        }
    }

    /// The live connection (OPENSENT, OPENCONFIRM, ESTABLISHED).
    pub fn connection(&self) -> Option<&Connection> {
        match self {
            State::OpenSent { connection, .. }
            | State::OpenConfirm { connection, .. }
            | State::Established { connection, .. } => Some(connection),
            _ => None,
        }
    }

    pub(super) fn connection_mut(&mut self) -> Option<&mut Connection> {
        match self {
            State::OpenSent { connection, .. }
            | State::OpenConfirm { connection, .. }
            | State::Established { connection, .. } => Some(connection),
            _ => None,
        }
    }

    pub(super) fn has_connection(&self) -> bool {
        self.connection().is_some()
    }

    /// What the OPEN exchange agreed (OPENCONFIRM, ESTABLISHED).
    pub fn agreement(&self) -> Option<&Agreement> {
        match self {
            State::OpenConfirm { agreement, .. } | State::Established { agreement, .. } => {
                Some(agreement)
            }
            _ => None,
        }
    }

    pub(super) fn agreement_mut(&mut self) -> Option<&mut Agreement> {
        match self {
            State::OpenConfirm { agreement, .. } | State::Established { agreement, .. } => {
                Some(agreement)
            }
            _ => None,
        }
    }

    /// The negotiated codec context once OPENs were exchanged.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.agreement().map(|agreement| &agreement.negotiated)
    }

    /// The stage alone, without its data.
    pub(super) fn stage(&self) -> Stage {
        match self {
            State::Idle { .. } => Stage::Idle,
            State::Active => Stage::Active,
            State::Connect { .. } => Stage::Connect,
            State::OpenSent { .. } => Stage::OpenSent,
            State::OpenConfirm { .. } => Stage::OpenConfirm,
            State::Established { .. } => Stage::Established,
            State::Stopped => Stage::Stopped,
        }
    }
}

/// The states without their data: what the fence looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    Idle,
    Active,
    Connect,
    OpenSent,
    OpenConfirm,
    Established,
    Stopped,
}

impl Stage {
    /// The fence: whether `to` may follow `self` (the module doc's diagram, edge by edge).
    pub(super) fn may_become(self, to: Stage) -> bool {
        use Stage::*;
        match (self, to) {
            // An outgoing connect starts, or a connection arrives (inbound) on its way to
            // OPENSENT.
            (Idle | Active, Connect) => true,
            // TCP is up and our OPEN is sent.
            (Connect, OpenSent) => true,
            // The peer's OPEN is acceptable.
            (OpenSent, OpenConfirm) => true,
            // The peer's KEEPALIVE.
            (OpenConfirm, Established) => true,
            // The attempt or the connection ended: back off (active) or wait (passive).
            (Connect | OpenSent | OpenConfirm | Established, Idle | Active) => true,
            // Shut down, or out of attempts: from anywhere but Stopped itself.
            (Stopped, _) => false,
            (_, Stopped) => true,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Stage::{self, *};

    const ALL: [Stage; 7] = [
        Idle,
        Active,
        Connect,
        OpenSent,
        OpenConfirm,
        Established,
        Stopped,
    ];

    /// The diagram, written out: every edge it draws, and nothing else.
    const EDGES: [(Stage, Stage); 19] = [
        (Idle, Connect),
        (Idle, Stopped),
        (Active, Connect),
        (Active, Stopped),
        (Connect, OpenSent),
        (Connect, Idle),
        (Connect, Active),
        (Connect, Stopped),
        (OpenSent, OpenConfirm),
        (OpenSent, Idle),
        (OpenSent, Active),
        (OpenSent, Stopped),
        (OpenConfirm, Established),
        (OpenConfirm, Idle),
        (OpenConfirm, Active),
        (OpenConfirm, Stopped),
        (Established, Idle),
        (Established, Active),
        (Established, Stopped),
    ];

    #[test]
    fn the_fence_allows_exactly_the_edges_of_the_diagram() {
        for from in ALL {
            for to in ALL {
                let drawn = EDGES.contains(&(from, to));
                assert_eq!(
                    from.may_become(to),
                    drawn,
                    "{from:?} -> {to:?}: the fence and the diagram disagree"
                );
            }
        }
    }

    #[test]
    fn stopped_is_final_and_no_stage_is_skipped() {
        for to in ALL {
            assert!(!Stopped.may_become(to), "Stopped -> {to:?}");
        }
        // The OPEN exchange is never skipped, nor walked backwards.
        for (from, to) in [
            (Idle, OpenSent),
            (Idle, Established),
            (Active, OpenSent),
            (Connect, OpenConfirm),
            (Connect, Established),
            (OpenSent, Established),
            (OpenSent, Connect),
            (OpenConfirm, OpenSent),
            (Established, OpenConfirm),
            (Established, Connect),
            (Idle, Active),
            (Active, Idle),
        ] {
            assert!(!from.may_become(to), "{from:?} -> {to:?} must be refused");
        }
        // No stage becomes itself through the fence (timers move within a stage).
        for stage in ALL {
            assert!(!stage.may_become(stage), "{stage:?} -> {stage:?}");
        }
    }
}
