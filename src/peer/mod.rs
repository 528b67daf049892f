//! The BGP session state machine, sans-I/O: one explicit `State` per peer, driven by calls
//! (connect, connected, bytes, time, shutdown, closed), answering with bytes, events and a `Step`.
//!
//! The reactor owns sockets and the clock. It asks the peer whether to connect
//! ([`Peer::connect`], which enters CONNECT before the connect call), reports the outcome
//! ([`Peer::connected`], [`Peer::connect_failed`], [`Peer::closed`]), and steps the peer with
//! the bytes it read and the current `Instant`; the peer appends its messages straight to the
//! connection's write buffer (an [`Output`]).
//!
//! Every state change goes through `Peer::transition`, which checks the edge against the
//! diagram below (`Stage::may_become` in `state.rs`, a `debug_assert!`) and emits the `fsm`
//! event. As in OpenBGPD's `bgp_fsm()`:
//!
//! ```text
//!          connect()            connected()             OPEN ok              KEEPALIVE
//!   Idle ─────────────▶ Connect ─────────────▶ OpenSent ─────────▶ OpenConfirm ─────────▶ Established
//!   Idle, Active ─────▶ Connect   (an inbound connection: on to OpenSent at once)
//!     ▲                    │                      │                    │                      │
//!     │   connect failed,  │                      │                    │                      │
//!     │   connect timeout  │                      │                    │                      │
//!     └────────────────────┴──────────────────────┴────────────────────┴──────────────────────┘
//!       back to Idle with a back-off (Active when passive): NOTIFICATION sent or received,
//!       hold, send hold or OPEN-wait timer, EOF, socket error, reset
//!
//!   every state but Stopped ── shutdown, tcp.attempts used up ──▶ Stopped (final)
//! ```
//!
//! A shutdown or reset asked for while connected is kept in the connection
//! ([`Connection::ending`]) and sent at the next step; without a connection, shutdown stops
//! the peer at once and a reset does nothing.

mod backoff;
mod settings;
mod state;
#[cfg(test)]
mod tests;

use std::fmt;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use crate::bgp::capability::Capability;
use crate::bgp::message::{self, Message};
use crate::bgp::negotiated::Negotiated;
use crate::bgp::notification::Notification;
use crate::bgp::open::Open;
use crate::bgp::{DecodeError, MessageError};
use crate::rib::{AdjRibOut, Drained, SendContext};

pub use backoff::Backoff;
pub use settings::Settings;
pub use state::{Agreement, Connection, Ending, FsmLabel, Initiator, State};

/// What the run queue does with a peer after a step (DESIGN.md, "The run queue"); the
/// reactor schedules every endpoint with it (`R`: why a connection closes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<R = CloseReason> {
    /// More to do right away (ExaBGP's NOW): run again in this pass, after the others.
    Now,
    /// More to do, but yield (ExaBGP's LATER): run in the next pass, after a zero-timeout poll.
    Later,
    /// Nothing to do until readiness, new input, an owner call or the deadline wakes it.
    Wait,
    /// End the connection: the reactor writes what is already in the output buffer (for a
    /// bounded linger), then closes the socket. The peer has already moved on (to Idle,
    /// Active or Stopped).
    Close(R),
}

/// Where the peer's messages go: a byte queue whole messages are appended to (the
/// connection's write buffer in the reactor, a `Vec` in tests).
pub trait Output {
    /// The vector to append whole messages to; the bytes it already holds stay as they are.
    fn tail(&mut self) -> &mut Vec<u8>;
    /// Bytes waiting to be sent, those appended included (they count against
    /// [`OUTPUT_HIGH_WATER`]).
    fn queued(&self) -> usize;
}

impl Output for Vec<u8> {
    fn tail(&mut self) -> &mut Vec<u8> {
        self
    }

    fn queued(&self) -> usize {
        self.len()
    }
}

/// Which way a message went, as events report it (`"direction"` in the API's JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Received from the peer (`"receive"`).
    Receive,
    /// Sent to the peer (`"send"`).
    Send,
    /// What ExaBGP's offline `decode` command reports (`"in"`).
    In,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Receive => "receive",
            Direction::Send => "send",
            Direction::In => "in",
        }
    }
}

/// Messages handled in one step before yielding (ExaBGP reads one per step; a few is fairer).
pub const MESSAGES_PER_STEP: usize = 32;
/// Queued UPDATEs written in one step before yielding LATER (ExaBGP: 25 writes).
pub const UPDATES_PER_STEP: usize = 25;
/// Above this many unsent output bytes the peer stops encoding and waits for writability.
pub const OUTPUT_HIGH_WATER: usize = 256 * 1024;
/// RFC 4271 §8: the hold timer used while waiting for the peer's OPEN.
pub const DEFAULT_OPEN_WAIT: Duration = Duration::from_secs(240);
/// RFC 9687: the send hold time is at least this (8 minutes), and at least twice the
/// hold time.
pub const DEFAULT_SEND_HOLD: Duration = Duration::from_secs(480);

/// Why a connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// We sent this NOTIFICATION (protocol error, timer, shutdown, collision).
    NotificationSent(Notification),
    /// The peer sent this NOTIFICATION.
    NotificationReceived(Notification),
    /// The TCP connection closed or failed.
    ConnectionLost,
    /// The outgoing connection could not be established.
    ConnectFailed,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseReason::NotificationSent(n) => {
                write!(f, "notification sent ({},{})", n.code, n.subcode)
            }
            CloseReason::NotificationReceived(n) => {
                write!(f, "notification received ({},{})", n.code, n.subcode)
            }
            CloseReason::ConnectionLost => f.write_str("connection closed"),
            CloseReason::ConnectFailed => f.write_str("could not connect"),
        }
    }
}

/// What happened, for the API and the log.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerEvent {
    Fsm(FsmLabel),
    /// TCP is up (either direction).
    Connected,
    /// Both OPENs agree; the session will be established on the peer's KEEPALIVE.
    Negotiated(Box<crate::bgp::negotiated::Negotiation>),
    /// ESTABLISHED.
    Up,
    /// A session that reached CONNECT or later ended.
    Down(CloseReason),
    /// A message received from the peer (KEEPALIVEs included).
    Received(Box<Message>),
    /// The bytes of a message received from the peer (header included), reported before it
    /// is decoded, when [`Settings::report_packets`] is on.
    ReceivedPacket(Box<[u8]>),
    /// The bytes of a message written to the peer (header included), when
    /// [`Settings::report_sent`] is on: OPEN, KEEPALIVE, NOTIFICATION, UPDATE (End-of-RIB
    /// included), ROUTE-REFRESH.
    Sent(Box<[u8]>),
    /// An UPDATE whose attributes were malformed: RFC 7606 treat-as-withdraw.
    TreatAsWithdraw(String),
    /// Outgoing attempts are exhausted (`tcp.attempts`); the peer is stopped for good.
    Stopped,
}

/// How an inbound connection that arrives while the peer has one is resolved (RFC 4271 §6.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collision {
    /// No live session: the new connection replaces whatever attempt was under way.
    AcceptNew,
    /// Keep the current connection; send this NOTIFICATION (Cease 6/7) on the new one.
    RefuseNew(Notification),
    /// Close the current connection with this NOTIFICATION and adopt the new one.
    ReplaceCurrent(Notification),
}

/// One configured neighbor's session.
#[derive(Debug)]
pub struct Peer {
    pub settings: Settings,
    state: State,
    backoff: Backoff,
    attempts: u32,
    events: Vec<PeerEvent>,
    /// The adj-rib-out: routes to send, drained when the output has room.
    rib: AdjRibOut,
    /// The local address of the current connection (what `next-hop self` becomes).
    local_address: Option<std::net::IpAddr>,
    /// Messages written, by type, since the peer was created.
    sent_messages: MessageCounts,
    /// rexa holds this peer's input back (a helper that hears its messages is full): the
    /// peer's KEEPALIVEs may be in the unread bytes, so the hold timer (and the OPEN wait)
    /// does not run; it restarts in full when reading resumes.
    input_held: bool,
    /// A helper that hears the messages sent to this peer is full: the adj-rib-out is not
    /// drained (KEEPALIVEs and NOTIFICATIONs still go out).
    output_held: bool,
    /// Since when bytes have waited for the peer without the socket taking any (RFC 9687's
    /// send hold timer runs from here); `None` while nothing waits.
    send_stalled_since: Option<Instant>,
}

/// What `Peer::handle` does once a message is decoded (or not).
enum Decoded {
    Message(Message),
    /// RFC 7606 treat-as-withdraw: the error, and the UPDATE as withdrawals.
    Withdraw(String, Message),
    Refused(Notification),
}

impl Peer {
    pub fn new(settings: Settings, now: Instant) -> Peer {
        let state = if settings.passive {
            State::Active
        } else {
            State::Idle { retry_at: now }
        };
        let rib = AdjRibOut::new(settings.rib);
        Peer {
            rib,
            settings,
            state,
            backoff: Backoff::default(),
            attempts: 0,
            events: Vec::new(),
            local_address: None,
            sent_messages: MessageCounts::default(),
            input_held: false,
            output_held: false,
            send_stalled_since: None,
        }
    }

    /// The connection's write buffer, as the reactor sees it before a step (and after it):
    /// `pending` bytes wait for the socket, and `accepted` tells whether the socket took
    /// any since the last report. While bytes wait and none are taken, the send hold timer
    /// (RFC 9687) runs; any progress restarts it, an empty buffer stops it.
    pub fn output_report(&mut self, now: Instant, pending: usize, accepted: bool) {
        if pending == 0 || !self.state.has_connection() {
            self.send_stalled_since = None;
        } else if accepted || self.send_stalled_since.is_none() {
            self.send_stalled_since = Some(now);
        }
    }

    /// RFC 9687's send hold time for the current connection: max(the setting, 2 × the
    /// hold time — negotiated once known, else ours); `None` when disabled.
    pub fn send_hold_time(&self) -> Option<Duration> {
        if self.settings.send_hold.is_zero() {
            return None;
        }
        let hold = self
            .state
            .agreement()
            .map_or(self.settings.hold_time, |agreement| agreement.hold_time);
        Some(
            self.settings
                .send_hold
                .max(Duration::from_secs(2 * u64::from(hold))),
        )
    }

    fn send_hold_deadline(&self) -> Option<Instant> {
        let since = self.send_stalled_since?;
        Some(since + self.send_hold_time()?)
    }

    /// rexa stops (`true`) or resumes (`false`) reading this peer's connection. While held,
    /// the hold timer and the OPEN wait are suspended (what the peer sent is unread, not
    /// missing); on resumption they restart from `now`. A peer that sends nothing while it
    /// is read still expires.
    pub fn hold_input(&mut self, now: Instant, held: bool) {
        if self.input_held == held {
            return;
        }
        self.input_held = held;
        if held {
            return;
        }
        let open_wait = self.settings.open_wait;
        match &mut self.state {
            State::OpenSent { deadline, .. } => *deadline = (*deadline).max(now + open_wait),
            State::OpenConfirm { agreement, .. } | State::Established { agreement, .. } => {
                agreement.heard_from_peer(now)
            }
            _ => {}
        }
    }

    /// Whether rexa holds this peer's input back (see [`Peer::hold_input`]).
    pub fn is_input_held(&self) -> bool {
        self.input_held
    }

    /// Stops (`true`) or resumes (`false`) draining the adj-rib-out; what is pending stays
    /// pending (and keeps coalescing) meanwhile.
    pub fn hold_output(&mut self, held: bool) {
        self.output_held = held;
    }

    /// Messages written to the peer so far, by type.
    pub fn sent_messages(&self) -> &MessageCounts {
        &self.sent_messages
    }

    /// The connection's local address, known once TCP is up; routes configured with
    /// `next-hop self` and no `local-address` are sent with it.
    pub fn set_local_address(&mut self, address: Option<std::net::IpAddr>) {
        self.local_address = address;
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn label(&self) -> FsmLabel {
        self.state.label()
    }

    /// Stopped for good (out of attempts, or shut down).
    pub fn is_stopped(&self) -> bool {
        matches!(self.state, State::Stopped)
    }

    /// The negotiated context once OPENs were exchanged.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.state.negotiated()
    }

    /// Drains the events produced since the last call.
    pub fn take_events(&mut self) -> Vec<PeerEvent> {
        std::mem::take(&mut self.events)
    }

    /// The adj-rib-out (what is announced to this peer).
    pub fn rib(&self) -> &AdjRibOut {
        &self.rib
    }

    /// The adj-rib-out, to announce and withdraw routes; they are sent as the output has
    /// room, and again after each establishment.
    pub fn rib_mut(&mut self) -> &mut AdjRibOut {
        &mut self.rib
    }

    /// Changes the state to `to` (see [`Peer::transition_with`]).
    fn transition(&mut self, to: State) {
        self.transition_with(|_| to);
    }

    /// The only place the state changes: `build` turns the old state (moved out) into the
    /// new one. The edge is checked against the diagram (in debug builds) and the new
    /// label is reported when it differs from the old one.
    fn transition_with(&mut self, build: impl FnOnce(State) -> State) {
        let from = self.state.stage();
        let before = self.state.label();
        let old = std::mem::replace(&mut self.state, State::Stopped);
        self.state = build(old);
        let to = self.state.stage();
        debug_assert!(
            from.may_become(to),
            "FSM: {from:?} -> {to:?} is not a transition"
        );
        let after = self.state.label();
        if before != after {
            self.events.push(PeerEvent::Fsm(after));
        }
    }

    /// Asked by the reactor while the peer has no connection: true when an outgoing
    /// connect should start now, in which case the peer is in CONNECT (counting the
    /// attempt, its deadline `connect_timeout` away) and the reactor reports the outcome
    /// with [`Peer::connected`] or [`Peer::connect_failed`].
    pub fn connect(&mut self, now: Instant) -> bool {
        let due = matches!(self.state, State::Idle { retry_at } if retry_at <= now);
        if !due || self.settings.passive {
            return false;
        }
        self.attempts = self.attempts.saturating_add(1);
        self.transition(State::Connect {
            deadline: now + self.settings.connect_timeout,
        });
        true
    }

    /// The outgoing connect failed (refused, unreachable, timed out).
    pub fn connect_failed(&mut self, now: Instant) {
        if matches!(self.state, State::Connect { .. }) {
            self.close(now, CloseReason::ConnectFailed);
        }
    }

    /// TCP is up (our connect completed, or an inbound connection was adopted): our OPEN
    /// goes to `output` and the peer waits for theirs.
    pub fn connected(&mut self, now: Instant, initiator: Initiator, output: &mut impl Output) {
        if matches!(self.state, State::Stopped) {
            return;
        }
        self.events.push(PeerEvent::Connected);
        if !matches!(self.state, State::Connect { .. }) {
            // Inbound: through CONNECT, as ExaBGP reports it.
            self.transition(State::Connect { deadline: now });
        }
        let output = output.tail();
        let from = output.len();
        Message::Open(self.settings.open()).encode(output, &Negotiated::default());
        self.report_sent(output, from);
        self.transition(State::OpenSent {
            connection: Connection::new(initiator),
            deadline: now + self.settings.open_wait,
        });
    }

    /// The connection closed under us (EOF, reset, write error, or replaced); nothing
    /// happens without one.
    pub fn closed(&mut self, now: Instant) {
        if matches!(self.state, State::Connect { .. }) || self.state.has_connection() {
            self.close(now, CloseReason::ConnectionLost);
        }
    }

    /// Ask for a graceful end for good: with a connection, a Cease with this NOTIFICATION
    /// (e.g. RFC 9003 shutdown communication) is sent at the next step and the peer then
    /// stops; without one, it stops now.
    pub fn shutdown(&mut self, notification: Notification) {
        if let Some(connection) = self.state.connection_mut() {
            connection.ending = Some(Ending {
                notification,
                stop: true,
            });
        } else if !matches!(self.state, State::Stopped) {
            self.stop();
        }
    }

    /// Ask for a restart: the connection ends with `notification` (e.g. Cease 6/4
    /// administrative reset) at the next step and the peer reconnects after its back-off.
    /// Without a connection there is nothing to reset. A shutdown already asked for stays.
    pub fn reset(&mut self, notification: Notification) {
        if let Some(connection) = self.state.connection_mut() {
            let stop = connection.ending.as_ref().is_some_and(|ending| ending.stop);
            connection.ending = Some(Ending { notification, stop });
        }
    }

    /// Decides what happens to a new inbound connection from this peer whose OPEN carries
    /// `their_router_id` (RFC 4271 §6.8; ExaBGP's "inbound wins" before OPENSENT).
    pub fn collision(&self, their_router_id: Ipv4Addr) -> Collision {
        match &self.state {
            State::Idle { .. } | State::Active | State::Connect { .. } => Collision::AcceptNew,
            State::Stopped => Collision::RefuseNew(Notification::cease_connection_rejected()),
            State::Established { .. } => {
                Collision::RefuseNew(Notification::cease_connection_collision())
            }
            State::OpenSent { connection, .. } | State::OpenConfirm { connection, .. } => {
                // Keep the connection opened by the speaker with the higher identifier.
                let ours = u32::from(self.settings.router_id);
                let theirs = u32::from(their_router_id);
                let keep_incoming = ours < theirs;
                let current_is_incoming = connection.initiator == Initiator::Remote;
                if keep_incoming == current_is_incoming {
                    Collision::RefuseNew(Notification::cease_connection_collision())
                } else {
                    Collision::ReplaceCurrent(Notification::cease_connection_collision())
                }
            }
        }
    }

    /// The earliest instant at which a step has a timer to run.
    pub fn next_deadline(&self) -> Option<Instant> {
        let timers = self.protocol_deadline();
        match (timers, self.send_hold_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn protocol_deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Idle { retry_at } => Some(*retry_at),
            State::Active | State::Stopped => None,
            State::Connect { deadline } => Some(*deadline),
            State::OpenSent { deadline, .. } => (!self.input_held).then_some(*deadline),
            State::OpenConfirm { agreement, .. } | State::Established { agreement, .. } => {
                let hold = agreement.hold_deadline.filter(|_| !self.input_held);
                match (hold, agreement.keepalive_at) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
        }
    }

    /// Runs timers: connect timeout, OPEN wait, hold timer, send hold timer, keepalives.
    /// Returns `Close` when a timer ended the connection (or the connect attempt).
    fn tick(&mut self, now: Instant, output: &mut Vec<u8>) -> Option<Step> {
        let expired = |deadline: Option<Instant>| deadline.is_some_and(|d| d <= now);
        if self.state.has_connection() && expired(self.send_hold_deadline()) {
            let waited = self
                .send_stalled_since
                .map_or(Duration::ZERO, |since| now.saturating_duration_since(since));
            log::warn!(
                "send hold timer expired: the peer took none of our output for {}s (RFC 9687), closing",
                waited.as_secs()
            );
            // Behind what is stuck: written only if the peer starts reading again within
            // the reactor's linger.
            return Some(self.fail(now, Notification::send_hold_timer_expired(), output));
        }
        match &mut self.state {
            State::Connect { deadline } if *deadline <= now => {
                log::info!("connect timed out");
                self.close(now, CloseReason::ConnectFailed);
                Some(Step::Close(CloseReason::ConnectFailed))
            }
            State::OpenSent { deadline, .. } if *deadline <= now && !self.input_held => {
                Some(self.fail(now, Notification::hold_timer_expired(), output))
            }
            State::OpenConfirm { agreement, .. } | State::Established { agreement, .. } => {
                if expired(agreement.hold_deadline) && !self.input_held {
                    return Some(self.fail(now, Notification::hold_timer_expired(), output));
                }
                if expired(agreement.keepalive_at) {
                    agreement.keepalive_at = agreement.keepalive_interval().map(|i| now + i);
                    let from = output.len();
                    Message::Keepalive.encode(output, &agreement.negotiated);
                    self.report_sent(output, from);
                }
                None
            }
            _ => None,
        }
    }

    /// One bounded slice of work: send an ending asked for, run timers, handle up to
    /// [`MESSAGES_PER_STEP`] complete messages from `input`, and send queued routes while
    /// `output` has room. Returns how many input bytes were consumed and what to do next.
    pub fn step(&mut self, now: Instant, input: &[u8], output: &mut impl Output) -> (usize, Step) {
        let queued = output.queued();
        let output = output.tail();
        // The head of `output` already sent (what is past it counts against the mark).
        let sent = output.len().saturating_sub(queued);
        let ending = self
            .state
            .connection()
            .and_then(|connection| connection.ending.as_ref())
            .map(|ending| ending.notification.clone());
        if let Some(notification) = ending {
            // `close` finds the ending still in place and stops or backs off as it says.
            return (0, self.fail(now, notification, output));
        }
        if let Some(step) = self.tick(now, output) {
            return (0, step);
        }
        let mut consumed = 0;
        for _ in 0..MESSAGES_PER_STEP {
            let rest = input.get(consumed..).unwrap_or_default();
            let max = self
                .negotiated()
                .map_or(crate::bgp::negotiated::STANDARD_MAX_MESSAGE, |n| {
                    n.max_message_size
                });
            match message::frame(rest, max) {
                Ok(None) => break,
                Ok(Some(len)) => {
                    let bytes = rest.get(..len).unwrap_or_default();
                    consumed += len;
                    if let Some(step) = self.handle(now, bytes, output) {
                        return (consumed, step);
                    }
                }
                Err(error) => {
                    let step = self.fail(now, error.notification(), output);
                    return (consumed, step);
                }
            }
        }
        let more_input = matches!(
            message::frame(
                input.get(consumed..).unwrap_or_default(),
                crate::bgp::negotiated::EXTENDED_MAX_MESSAGE
            ),
            Ok(Some(_))
        );
        if more_input {
            // Input before output: every message already read is handled (a refusal ends
            // the session with only its NOTIFICATION) before any of the table is sent.
            return (consumed, Step::Now);
        }
        let more_output = self.send_table(output, sent);
        if more_output {
            (consumed, Step::Later)
        } else {
            (consumed, Step::Wait)
        }
    }

    /// Decodes one message with the session's context, borrowed (the default one before
    /// the OPEN exchange).
    fn decode(&self, kind: u8, body: &[u8]) -> Decoded {
        let default;
        let ctx = match self.state.negotiated() {
            Some(negotiated) => negotiated,
            None => {
                default = Negotiated::default();
                &default
            }
        };
        match Message::decode(kind, body, ctx) {
            Ok(message) => Decoded::Message(message),
            Err(DecodeError::Message(MessageError::UnknownType(kind))) => {
                // ExaBGP answers an unknown type with 1/0 and a sentence, not RFC 4271's
                // 1/3; peers and its conformance suite see those bytes.
                Decoded::Refused(Notification::exabgp_undecodable(kind))
            }
            Err(error) => {
                if kind == message::UPDATE && matches!(self.state, State::Established { .. }) {
                    // RFC 7606 treat-as-withdraw: the UPDATE's routes, announced or
                    // withdrawn, reach the daemon as withdrawals (adj-rib-in, helpers).
                    if let Ok(crate::bgp::update::Decoded::TreatAsWithdraw { withdraw, .. }) =
                        crate::bgp::update::Update::decode_lenient(body, ctx)
                    {
                        return Decoded::Withdraw(error.to_string(), Message::Update(withdraw));
                    }
                }
                Decoded::Refused(error.notification())
            }
        }
    }

    /// Handles one complete message (header included). `Some(step)` ends the step.
    fn handle(&mut self, now: Instant, bytes: &[u8], output: &mut Vec<u8>) -> Option<Step> {
        let kind = bytes.get(message::HEADER_LEN - 1).copied().unwrap_or(0);
        let body = bytes.get(message::HEADER_LEN..).unwrap_or_default();
        if self.settings.report_packets {
            self.events
                .push(PeerEvent::ReceivedPacket(Box::from(bytes)));
        }
        if let Some(agreement) = self.state.agreement_mut() {
            agreement.heard_from_peer(now);
        }
        if kind == message::UPDATE && !self.settings.decode_updates {
            return match self.state {
                State::Established { .. } => None,
                _ => Some(self.fail(now, self.unexpected(), output)),
            };
        }
        let mut message = match self.decode(kind, body) {
            Decoded::Message(message) => message,
            Decoded::Withdraw(error, withdraw) => {
                self.events.push(PeerEvent::TreatAsWithdraw(error));
                self.events.push(PeerEvent::Received(Box::new(withdraw)));
                return None;
            }
            Decoded::Refused(notification) => return Some(self.fail(now, notification, output)),
        };
        // RFC 7606 §7.5, §7.9, §7.10: from an external peer, LOCAL_PREF, ORIGINATOR_ID and
        // CLUSTER_LIST are discarded (the route is kept).
        use crate::bgp::attribute::{CODE_CLUSTER_LIST, CODE_LOCAL_PREF, CODE_ORIGINATOR_ID};
        if let (Message::Update(update), State::Established { agreement, .. }) =
            (&mut message, &self.state)
        {
            if agreement.peer_open.asn() != self.settings.local_as {
                update.attributes.retain(|a| {
                    !matches!(
                        a.code(),
                        CODE_LOCAL_PREF | CODE_ORIGINATOR_ID | CODE_CLUSTER_LIST
                    )
                });
            }
        }
        if let Message::Notification(notification) = &message {
            let reason = CloseReason::NotificationReceived(notification.clone());
            self.events.push(PeerEvent::Received(Box::new(message)));
            self.close(now, reason.clone());
            return Some(Step::Close(reason));
        }
        match (&self.state, message) {
            (State::OpenSent { .. }, Message::Open(open)) => {
                self.events
                    .push(PeerEvent::Received(Box::new(Message::Open(open.clone()))));
                self.open_received(now, open, output)
            }
            (State::OpenConfirm { .. }, Message::Keepalive) => {
                self.events
                    .push(PeerEvent::Received(Box::new(Message::Keepalive)));
                self.keepalive_received(now);
                None
            }
            (State::Established { .. }, Message::Open(_)) => {
                Some(self.fail(now, Notification::unexpected_in_established(), output))
            }
            (State::Established { agreement, .. }, message) => {
                if let Message::RouteRefresh(refresh) = &message {
                    if refresh.subtype == crate::bgp::refresh::RefreshSubtype::REQUEST {
                        let enhanced = self.enhanced_refresh(&agreement.peer_open);
                        self.rib.resend(Some(refresh.family()), enhanced);
                    }
                }
                self.events.push(PeerEvent::Received(Box::new(message)));
                None
            }
            // Anything else in OPENSENT or OPENCONFIRM, and bytes without a connection
            // (which a well-behaved reactor never hands over).
            (_, _) => Some(self.fail(now, self.unexpected(), output)),
        }
    }

    /// The NOTIFICATION for a message the current state does not expect.
    fn unexpected(&self) -> Notification {
        match self.state {
            State::OpenConfirm { .. } => Notification::unexpected_in_open_confirm(),
            State::Established { .. } => Notification::unexpected_in_established(),
            _ => Notification::unexpected_in_open_sent(),
        }
    }

    /// Validates the peer's OPEN, negotiates, and answers with a KEEPALIVE (OPENSENT →
    /// OPENCONFIRM).
    fn open_received(&mut self, now: Instant, open: Open, output: &mut Vec<u8>) -> Option<Step> {
        let checked = open.validate().and_then(|()| {
            open.validate_peer(
                self.settings.peer_as,
                self.settings.local_as,
                self.settings.router_id,
            )
        });
        if let Err(error) = checked {
            return Some(self.fail(now, error.notification(), output));
        }
        let ours = self.settings.open();
        let negotiation = crate::bgp::negotiated::Negotiation::new(&ours, &open);
        // Capability consistency: multisession (2/8, 2/9) and BGP role (2/11).
        if let Err(error) = negotiation.validate() {
            return Some(self.fail(now, error.notification(), output));
        }
        for family in &negotiation.families_peer_only {
            log::debug!("the peer announced {family}, which we do not: not negotiated");
        }
        // The whole negotiation goes to the API's `negotiated` event.
        let report = Box::new(negotiation.clone());
        let negotiated = negotiation.negotiated;
        let hold_time = negotiation.hold_time;
        let mut agreement = Box::new(Agreement {
            peer_open: open,
            negotiated,
            hold_time,
            hold_deadline: None,
            keepalive_at: None,
            table_sent: false,
        });
        agreement.heard_from_peer(now);
        agreement.keepalive_at = agreement.keepalive_interval().map(|i| now + i);
        let from = output.len();
        Message::Keepalive.encode(output, &agreement.negotiated);
        self.events.push(PeerEvent::Negotiated(report));
        self.report_sent(output, from);
        self.transition_with(|old| match old {
            State::OpenSent { connection, .. } => State::OpenConfirm {
                connection,
                agreement,
            },
            other => other,
        });
        None
    }

    /// The peer's KEEPALIVE in OPENCONFIRM: the table is queued and the session is up.
    fn keepalive_received(&mut self, now: Instant) {
        let Some(agreement) = self.state.agreement() else {
            return;
        };
        let mut context = SendContext::new(
            agreement.negotiated.clone(),
            self.settings.local_as,
            agreement.peer_open.asn(),
        );
        context.enhanced_refresh = self.enhanced_refresh(&agreement.peer_open);
        context.local_address = self.local_address;
        context.router_id = self.settings.router_id;
        context.link_local_nexthop = agreement
            .peer_open
            .has_capability(crate::bgp::capability::code::LINK_LOCAL_NEXTHOP)
            && self
                .settings
                .capabilities
                .iter()
                .any(|c| matches!(c, Capability::LinkLocalNextHop));
        self.rib.session_up(context);
        self.transition_with(|old| match old {
            State::OpenConfirm {
                connection,
                mut agreement,
            } => {
                if let Some(interval) = agreement.keepalive_interval() {
                    agreement.keepalive_at = Some(now + interval);
                }
                agreement.table_sent = false;
                State::Established {
                    connection,
                    agreement,
                }
            }
            other => other,
        });
        self.events.push(PeerEvent::Up);
        self.backoff.reset();
    }

    /// Both OPENs carry enhanced route refresh (RFC 7313): refreshes get BoRR/EoRR.
    fn enhanced_refresh(&self, peer_open: &Open) -> bool {
        let code = crate::bgp::capability::code::ENHANCED_ROUTE_REFRESH;
        peer_open.has_capability(code)
            && self
                .settings
                .capabilities
                .iter()
                .any(|c| matches!(c, Capability::EnhancedRouteRefresh))
    }

    /// Encodes UPDATEs from the adj-rib-out (at most [`UPDATES_PER_STEP`] messages, and
    /// only while what waits in `output` past its `sent` head is under
    /// [`OUTPUT_HIGH_WATER`]), End-of-RIB markers included. Returns true while more remains.
    fn send_table(&mut self, output: &mut Vec<u8>, sent: usize) -> bool {
        let State::Established { agreement, .. } = &self.state else {
            return false;
        };
        if self.output_held {
            // Resumed by `hold_output(false)`, after which the reactor steps the peer.
            return false;
        }
        let largest = agreement.negotiated.max_message_size.max(1);
        let mut budget = UPDATES_PER_STEP;
        while budget > 0 {
            let used = output.len().saturating_sub(sent);
            if used >= OUTPUT_HIGH_WATER {
                return self.rib.has_work();
            }
            // As many messages as surely fit under the mark, at least one.
            let batch = ((OUTPUT_HIGH_WATER - used) / largest).clamp(1, budget);
            let from = output.len();
            let drained = self.rib.drain(output, batch);
            self.report_sent(output, from);
            if drained == Drained::Done {
                if let Some(agreement) = self.state.agreement_mut() {
                    agreement.table_sent = true;
                }
                return false;
            }
            budget -= batch;
        }
        self.rib.has_work()
    }

    /// Counts (and reports, when asked) the messages written to `output` from `from` on.
    fn report_sent(&mut self, output: &[u8], from: usize) {
        report_sent(
            &mut self.events,
            &mut self.sent_messages,
            self.settings.report_sent,
            output,
            from,
        );
    }

    /// Sends `notification`, closes, and returns the `Close` step.
    fn fail(&mut self, now: Instant, notification: Notification, output: &mut Vec<u8>) -> Step {
        if self.state.has_connection() {
            let from = output.len();
            Message::Notification(notification.clone()).encode(output, &Negotiated::default());
            self.report_sent(output, from);
        }
        let reason = CloseReason::NotificationSent(notification);
        self.close(now, reason.clone());
        Step::Close(reason)
    }

    /// Every exit from CONNECT or a connection: report `down` when one was up, back off
    /// (or wait, passive), or stop (shutdown asked for, out of attempts).
    fn close(&mut self, now: Instant, reason: CloseReason) {
        self.send_stalled_since = None;
        if matches!(self.state, State::Stopped) {
            return;
        }
        let stopping = self
            .state
            .connection()
            .and_then(|connection| connection.ending.as_ref())
            .is_some_and(|ending| ending.stop);
        if self.state.has_connection() {
            self.events.push(PeerEvent::Down(reason));
        }
        self.rib.session_down();
        let out_of_attempts =
            self.settings.connect_attempts > 0 && self.attempts >= self.settings.connect_attempts;
        if out_of_attempts || stopping {
            self.stop();
            return;
        }
        let state = if self.settings.passive {
            State::Active
        } else {
            State::Idle {
                retry_at: now + self.backoff.next_delay(),
            }
        };
        self.transition(state);
    }

    fn stop(&mut self) {
        self.transition(State::Stopped);
        self.events.push(PeerEvent::Stopped);
    }
}

/// Reports each whole message of `output[from..]` (what was just written) as
/// [`PeerEvent::Sent`] when `enabled`; costs nothing otherwise.
fn report_sent(
    events: &mut Vec<PeerEvent>,
    counts: &mut MessageCounts,
    enabled: bool,
    output: &[u8],
    from: usize,
) {
    let mut rest = output.get(from..).unwrap_or_default();
    while let Ok(Some(len)) = message::frame(rest, crate::bgp::negotiated::EXTENDED_MAX_MESSAGE) {
        let (one, tail) = rest.split_at(len.min(rest.len()));
        counts.count(one.get(message::HEADER_LEN - 1).copied().unwrap_or(0));
        if enabled {
            events.push(PeerEvent::Sent(Box::from(one)));
        }
        rest = tail;
    }
}

/// Messages of each type, by type code (`show neighbor extensive`'s Message Statistic).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MessageCounts {
    by_kind: [u64; 8],
}

impl MessageCounts {
    /// One more message of type `kind` (codes beyond the table are not counted).
    pub fn count(&mut self, kind: u8) {
        if let Some(slot) = self.by_kind.get_mut(usize::from(kind)) {
            *slot = slot.saturating_add(1);
        }
    }

    /// The messages of type `kind` counted so far.
    pub fn of(&self, kind: u8) -> u64 {
        self.by_kind.get(usize::from(kind)).copied().unwrap_or(0)
    }
}
