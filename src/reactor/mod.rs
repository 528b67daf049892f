//! reactor: the only mio code — one `Poll`, a token slab (listeners, connections, pipes,
//! signals), the NOW/LATER run queue, the timer heap, connection buffers and back-pressure.
//!
//! The reactor holds no protocol logic. It drives values implementing [`Session`] (the BGP
//! FSM in `peer` is one) through a small contract:
//!
//! * time enters only as `now: Instant` arguments; a session reports its single earliest
//!   deadline with [`Session::next_deadline`] and is told [`Session::tick`] once it passes;
//! * bytes enter through [`Link::input`] (a [`ReadBuffer`] that keeps partial messages) and
//!   leave through [`Link::output`] (a [`WriteBuffer`], the only path to the socket), both
//!   handed to [`Session::step`], which does a bounded amount of work and answers a [`Step`];
//! * connections are asked for with [`Session::wants_connection`] and offered with
//!   [`Session::incoming`]; their start and end are reported with [`Session::connected`] and
//!   [`Session::closed`].
//!
//! The owner (the daemon) builds a [`Reactor`], adds listeners and sessions, then calls
//! [`Reactor::run`] with an [`Owner`] that receives signals and session events between passes.
//!
//! ```text
//! let signals = SignalSource::install()?;          // first thing: no signal is lost
//! let config = parse(...)?;                          // exit 1 on error, as ExaBGP
//! let mut reactor: Reactor<Peer> = Reactor::new(Some(signals))?;
//! for ip in tcp_bind { reactor.listen(SocketAddr::new(ip, tcp_port))?; }   // default 179
//! for n in neighbors_with_md5 { reactor.set_listener_md5(n.peer_ip, &n.key)?; }
//! reactor.set_unmatched_reply(Some(CEASE_PEER_DECONFIGURED));
//! for p in processes { helpers.insert(reactor.spawn_process(&spec_of(p))?, p.name); }
//! for n in neighbors { ids.insert(n.key(), reactor.add_session(Peer::new(n))); }
//! reactor.run(&mut daemon)?;                         // READY=1, then passes until shutdown
//! // Daemon as Owner: Shutdown → write the shutdown event to each helper,
//! // reactor.stop_all_processes(), reactor.begin_shutdown(); Reload → notify(Reloading),
//! // re-parse, add/remove/with_session per neighbor, notify(Ready); RestartPeers →
//! // for_each_session(..); ChildExited → nothing: the reactor reaps its helpers by pid
//! // (see `process`) and reports them with `process_exited`; lines arrive in `process_line`.
//! ```

pub mod buffer;
pub mod notify;
pub mod process;
pub mod runqueue;
pub mod signals;
pub mod socket;
pub mod timers;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token};

pub use buffer::{Filled, ReadBuffer, WriteBuffer};
pub use notify::Status;
pub use process::{
    resolve_program, Feeds, ProcessError, ProcessExit, ProcessId, ProcessSpec, LINES_PER_PASS,
    MAX_LINE_LEN, OUTPUT_HIGH_WATER, OUTPUT_LOW_WATER,
};
pub use runqueue::RunQueue;
pub use signals::{Signal, SignalSource};
pub use socket::{ConnectRequest, Md5Key, SocketError, TcpOptions, BGP_PORT};
pub use timers::Timers;

/// What a session wants after one bounded [`Session::step`] (DESIGN.md, "The run queue").
#[must_use]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step<R> {
    /// More to do right away (ExaBGP's NOW): run again in this pass, after the others.
    Now,
    /// More to do, but yield (ExaBGP's LATER): run in the next pass, after a zero-timeout poll.
    Later,
    /// Nothing to do until readiness, new input, a command or the deadline wakes it.
    Wait,
    /// End the connection: the reactor writes what is already in the output buffer (for at
    /// most [`LINGER`]), then closes the socket. [`Session::closed`] is not called for it.
    Close(R),
}

/// Why the reactor ended (or failed to make) a session's connection on its own.
#[derive(Debug)]
pub enum Disconnect {
    /// The outgoing connect failed (syscall and kernel error inside).
    ConnectFailed(SocketError),
    /// The peer closed its side (EOF); the session was stepped once more before this.
    PeerClosed,
    /// Reading or writing failed (ECONNRESET, EPIPE, ...).
    Io(SocketError),
    /// The session accepted an incoming connection that replaces this one.
    Replaced,
    /// The reactor dropped it: shutdown deadline or session removal.
    Dropped,
}

impl fmt::Display for Disconnect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Disconnect::ConnectFailed(error) | Disconnect::Io(error) => error.fmt(f),
            Disconnect::PeerClosed => f.write_str("connection closed by peer"),
            Disconnect::Replaced => f.write_str("replaced by an incoming connection"),
            Disconnect::Dropped => f.write_str("connection dropped by the reactor"),
        }
    }
}

/// A session's answer to an inbound connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incoming {
    /// Not for this session (the reactor asks the next one; nobody: the socket is closed,
    /// after writing the bytes set with [`Reactor::set_unmatched_reply`], if any).
    Refuse,
    /// For this session but refused (e.g. collision with an established connection): write
    /// these bytes (a NOTIFICATION) for at most [`LINGER`], then close. No one else is asked.
    Reject(&'static [u8]),
    /// Take it, with these socket options (TTL settings; MD5 is set on the listener). Any
    /// connection the session already had is closed first with [`Disconnect::Replaced`].
    Accept(TcpOptions),
}

/// The connection a session reads from and writes to during a step.
pub struct Link<'a> {
    /// Bytes received and not yet consumed; consume whole messages, leave partial ones.
    pub input: &'a mut ReadBuffer,
    /// Append whole messages; check [`WriteBuffer::has_room`] before encoding bulk data.
    pub output: &'a mut WriteBuffer,
    /// Our address on this connection.
    pub local: SocketAddr,
    /// The peer's address on this connection.
    pub remote: SocketAddr,
}

/// The contract between the reactor and one configured peer (implemented by `peer`).
///
/// Call order: `wants_connection`/`incoming` → `connected` → `step`* (with `tick` whenever
/// `next_deadline` passes, `command` whenever the owner delivers one) → either `step` returns
/// `Close` or the reactor calls `closed`. After every call the reactor drains `take_event`,
/// re-reads `next_deadline`, and (without a connection) asks `wants_connection`.
pub trait Session {
    /// Why a session closes a connection (logged with `Display`).
    type Reason: fmt::Display;
    /// Commands from the API, delivered with [`Reactor::command`].
    type Command;
    /// Events for the API, handed to [`Owner::event`].
    type Event;

    /// Without a connection: the outgoing connection to open now, if any (back-off is the
    /// session's business: answer `None` until its retry deadline).
    fn wants_connection(&self, now: Instant) -> Option<ConnectRequest>;
    /// An inbound connection from `remote` arrived on a listener at `local`.
    fn incoming(&self, now: Instant, local: SocketAddr, remote: SocketAddr) -> Incoming;
    /// The one remote address this session takes inbound connections from, if it is a
    /// single address (fixed for the session's life): the reactor then asks it only about
    /// connections from that address. `None` (a range, or any): asked about every one.
    fn accepts_from(&self) -> Option<IpAddr> {
        None
    }
    /// A connection (outgoing or accepted) is established.
    fn connected(&mut self, now: Instant, local: SocketAddr, remote: SocketAddr);
    /// The connection ended without the session asking (see [`Disconnect`]); back off.
    fn closed(&mut self, now: Instant, why: &Disconnect);
    /// The deadline from `next_deadline` has passed; the session will be stepped next.
    fn tick(&mut self, now: Instant);
    /// Bounded work: consume some input, append some output. `link` is `None` while the
    /// session has no established connection.
    fn step(&mut self, now: Instant, link: Option<Link<'_>>) -> Step<Self::Reason>;
    /// The earliest moment the session needs `tick` (hold, keepalive, retry, open wait...).
    fn next_deadline(&self) -> Option<Instant>;
    /// A command from the API; the session is stepped afterwards.
    fn command(&mut self, now: Instant, command: Self::Command);
    /// The next event for the API, if any.
    fn take_event(&mut self) -> Option<Self::Event>;
    /// Shutdown: queue a CEASE if connected and answer `Close` soon; never reconnect.
    fn shutdown(&mut self, now: Instant);
    /// Back-pressure from helpers (see [`Reactor::set_feeds`]): `input` — the reactor stops
    /// reading this session's connection (what the peer sends is unread, not missing: its
    /// hold timer should not run); `output` — stop producing bulk output (keep the
    /// protocol alive). Called on every change; the session is stepped afterwards.
    fn hold(&mut self, _now: Instant, _input: bool, _output: bool) {}
    /// True when the session is over for good: the reactor removes it.
    fn is_finished(&self) -> bool;
}

/// The daemon side: receives what the reactor surfaces between passes and may act on the
/// reactor in return (add/remove sessions, deliver commands, begin shutdown, ...).
pub trait Owner<S: Session> {
    /// A process signal arrived (signals are queued, never lost, from `SignalSource::install`).
    fn signal(&mut self, reactor: &mut Reactor<S>, signal: Signal);
    /// A session produced an event for the API.
    fn event(&mut self, reactor: &mut Reactor<S>, session: SessionId, event: S::Event);
    /// A file descriptor registered with [`Reactor::register_fd`] is ready.
    fn fd_ready(&mut self, _reactor: &mut Reactor<S>, _tag: u64, _readiness: Readiness) {}
    /// A session reported `is_finished` and was removed.
    fn finished(&mut self, _reactor: &mut Reactor<S>, _session: SessionId, _value: S) {}
    /// A helper process wrote this line (trailing whitespace removed, invalid UTF-8
    /// replaced); lines of one process arrive in order.
    fn process_line(&mut self, _reactor: &mut Reactor<S>, _id: ProcessId, _line: &str) {}
    /// A helper process ended (after its last lines); `id` is stale from now on.
    fn process_exited(&mut self, _reactor: &mut Reactor<S>, _id: ProcessId, _how: ProcessExit) {}
    /// Called once after every pass (after the callbacks above), before the next poll.
    fn after_pass(&mut self, _reactor: &mut Reactor<S>) {}
}

/// Readiness reported for an owner-registered file descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    /// Readable (or hung up / error: reading will tell).
    pub readable: bool,
    /// Writable.
    pub writable: bool,
}

/// Identifies a session; stale after removal (the slot's generation changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId {
    slot: u32,
    generation: u32,
}

/// How long a closing connection may take to flush its output (a NOTIFICATION).
pub const LINGER: Duration = Duration::from_secs(1);
/// How long shutdown waits, by default, for sessions to send their CEASE and flush (the
/// daemon sets `exabgp.reactor.shutdown_deadline` with [`Reactor::set_shutdown_grace`]).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Session steps per pass before timers and sockets are looked at again.
pub const STEP_BUDGET: usize = 256;
/// Wall-clock budget of the steps of one pass.
pub const TIME_BUDGET: Duration = Duration::from_millis(5);
/// Session events waiting for the owner at which a pass ends early: what is decoded but
/// not yet handed on (received UPDATEs on their way to helpers) stays bounded.
pub const EVENTS_PER_PASS: usize = 64;
/// Bytes read from one connection per run of its session.
pub const READ_QUOTA: usize = 64 * 1024;
/// Connections accepted from one listener per pass.
pub const ACCEPT_QUOTA: usize = 64;

/// Buffer sizes of each connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferLimits {
    /// Most unconsumed input bytes held (a few maximum-size messages).
    pub read_limit: usize,
    /// Output bytes above which the session is congested and not stepped for encoding.
    pub write_high_water: usize,
}

impl Default for BufferLimits {
    fn default() -> BufferLimits {
        BufferLimits {
            read_limit: 4 * 65_535,
            write_high_water: 256 * 1024,
        }
    }
}

/// Counters of the loop, for tests and the idle measurement.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Calls to `poll`.
    pub polls: u64,
    /// Calls to `Session::step`.
    pub steps: u64,
    /// Calls to `Session::tick`.
    pub ticks: u64,
    /// Steps skipped because the session's output was congested.
    pub congested_skips: u64,
}

const INDEX_BITS: u32 = 24;
const INDEX_MASK: usize = (1 << INDEX_BITS) - 1;
const GENERATION_BITS: u32 = if usize::BITS - INDEX_BITS >= 32 {
    32
} else {
    usize::BITS - INDEX_BITS
};
const GENERATION_MASK: u32 = u32::MAX >> (32 - GENERATION_BITS);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Connecting,
    Open,
    Draining { until: Instant },
}

struct Conn {
    stream: mio::net::TcpStream,
    remote: SocketAddr,
    local: SocketAddr,
    phase: Phase,
    session: Option<u32>,
    input: ReadBuffer,
    output: WriteBuffer,
    readable: bool,
    eof: bool,
    /// Closing: our side is shut down for writing; input is read and discarded until the
    /// peer closes too (or the linger ends), so no RST can destroy our last NOTIFICATION.
    write_shut: bool,
}

enum Source {
    Signals(SignalSource),
    Listener(mio::net::TcpListener),
    Conn(Box<Conn>),
    Fd {
        fd: RawFd,
        tag: u64,
    },
    /// A pipe of the helper process in `slot` (its stdout, or its stdin).
    Process {
        slot: u32,
        stdout: bool,
    },
}

/// One entry of the linger queue: the connection's token index and generation.
#[derive(Debug, Clone, Copy)]
struct Draining {
    index: usize,
    generation: u32,
    until: Instant,
}

struct TokenSlot {
    generation: u32,
    source: Option<Source>,
}

struct SessionSlot<S> {
    session: S,
    conn: Option<usize>,
    must_step: bool,
    /// Changed by [`Reactor::with_session_batched`] and not settled yet (listed in
    /// `Reactor::touched`).
    touched: bool,
    /// The helpers that hear it (set by the owner).
    feeds: Feeds,
    /// Its connection is not read: a helper its received messages go to is congested.
    held_input: bool,
    /// Told to stop encoding: a helper its sent messages go to is congested.
    held_output: bool,
}

struct SessionEntry<S> {
    generation: u32,
    body: Option<SessionSlot<S>>,
}

/// The event loop. `S` is the session type (the `peer` FSM in the daemon).
pub struct Reactor<S: Session> {
    poll: Poll,
    events: Option<Events>,
    tokens: Vec<TokenSlot>,
    free_tokens: Vec<usize>,
    sessions: Vec<SessionEntry<S>>,
    free_sessions: Vec<u32>,
    /// Inbound matching: slots by the single address they accept from, and the slots
    /// asked about every connection; each list in slot order.
    inbound_by_address: HashMap<IpAddr, Vec<u32>>,
    inbound_any: Vec<u32>,
    queue: RunQueue,
    timers: Timers,
    limits: BufferLimits,
    accept_backlog: Vec<usize>,
    /// Closing connections by linger deadline (pushed in deadline order: `LINGER` is a
    /// constant); entries whose token was released since are skipped. Progress is driven
    /// by readiness; this only serves the deadline.
    draining: VecDeque<Draining>,
    /// Closing connections whose input was not read down to WouldBlock: looked at again
    /// next pass (edge-triggered: no new event would come).
    drain_again: Vec<usize>,
    /// Open connections (a count, so the shutdown check costs nothing per pass).
    conn_count: usize,
    shutdown_grace: Duration,
    signals_pending: VecDeque<Signal>,
    signal_scratch: Vec<Signal>,
    session_events: VecDeque<(SessionId, S::Event)>,
    /// Sessions changed by [`Reactor::with_session_batched`], to settle.
    touched: Vec<u32>,
    fd_events: VecDeque<(u64, Readiness)>,
    finished: VecDeque<(SessionId, S)>,
    shutdown_deadline: Option<Instant>,
    unmatched_reply: Option<&'static [u8]>,
    stats: Stats,
    processes: process::ProcessTable,
    /// How often `WATCHDOG=1` goes to systemd (`None`: no watchdog asked for); armed in the
    /// timer heap under [`timers::WATCHDOG`] while `run` runs.
    watchdog: Option<Duration>,
}

impl<S: Session> Reactor<S> {
    /// A reactor polling `signals` (install them first thing at start-up; `None` in tests).
    pub fn new(signals: Option<SignalSource>) -> io::Result<Reactor<S>> {
        let mut reactor = Reactor {
            poll: Poll::new()?,
            events: Some(Events::with_capacity(1024)),
            tokens: Vec::new(),
            free_tokens: Vec::new(),
            sessions: Vec::new(),
            free_sessions: Vec::new(),
            inbound_by_address: HashMap::new(),
            inbound_any: Vec::new(),
            queue: RunQueue::default(),
            timers: Timers::default(),
            limits: BufferLimits::default(),
            accept_backlog: Vec::new(),
            draining: VecDeque::new(),
            drain_again: Vec::new(),
            conn_count: 0,
            shutdown_grace: SHUTDOWN_GRACE,
            signals_pending: VecDeque::new(),
            signal_scratch: Vec::new(),
            session_events: VecDeque::new(),
            touched: Vec::new(),
            fd_events: VecDeque::new(),
            finished: VecDeque::new(),
            shutdown_deadline: None,
            unmatched_reply: None,
            stats: Stats::default(),
            processes: process::ProcessTable::default(),
            watchdog: None,
        };
        if let Some(mut signals) = signals {
            let index = reactor.allocate_token();
            let token = reactor.token_of(index);
            reactor
                .poll
                .registry()
                .register(signals.source(), token, Interest::READABLE)?;
            // Signals that arrived before the loop existed are already in the pipe; read
            // them now so they are surfaced on the first pass even without a new edge.
            signals.drain_into(&mut reactor.signal_scratch);
            reactor
                .signals_pending
                .extend(reactor.signal_scratch.drain(..));
            reactor.put_source(index, Source::Signals(signals));
        }
        Ok(reactor)
    }

    /// Changes the buffer sizes of connections opened from now on.
    pub fn set_buffer_limits(&mut self, limits: BufferLimits) {
        self.limits = limits;
    }

    /// Loop counters.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    // ----- token slab -----

    fn allocate_token(&mut self) -> usize {
        if let Some(index) = self.free_tokens.pop() {
            return index;
        }
        self.tokens.push(TokenSlot {
            generation: 0,
            source: None,
        });
        self.tokens.len() - 1
    }

    fn token_of(&self, index: usize) -> Token {
        let generation = self.tokens.get(index).map_or(0, |slot| slot.generation) as usize;
        Token((index & INDEX_MASK) | (generation << INDEX_BITS))
    }

    fn index_of(&self, token: Token) -> Option<usize> {
        let index = token.0 & INDEX_MASK;
        let generation = (token.0 >> INDEX_BITS) as u32;
        let slot = self.tokens.get(index)?;
        (slot.generation == generation && slot.source.is_some()).then_some(index)
    }

    fn put_source(&mut self, index: usize, source: Source) {
        if let Some(slot) = self.tokens.get_mut(index) {
            slot.source = Some(source);
        }
    }

    fn release_token(&mut self, index: usize) -> Option<Source> {
        let slot = self.tokens.get_mut(index)?;
        let source = slot.source.take();
        // Generation bump: events still queued for the old registration are ignored.
        slot.generation = slot.generation.wrapping_add(1) & GENERATION_MASK;
        self.free_tokens.push(index);
        source
    }

    fn conn(&self, index: usize) -> Option<&Conn> {
        match self.tokens.get(index)?.source.as_ref()? {
            Source::Conn(conn) => Some(conn),
            _ => None,
        }
    }

    fn conn_mut(&mut self, index: usize) -> Option<&mut Conn> {
        match self.tokens.get_mut(index)?.source.as_mut()? {
            Source::Conn(conn) => Some(conn),
            _ => None,
        }
    }

    fn close_conn(&mut self, index: usize) {
        if let Some(Source::Conn(mut conn)) = self.release_token(index) {
            self.conn_count = self.conn_count.saturating_sub(1);
            let _ = self.poll.registry().deregister(&mut conn.stream);
            let _ = conn.stream.shutdown(std::net::Shutdown::Both);
        }
    }

    // ----- listeners and owner fds -----

    /// Listens on `address` (`exabgp.tcp.bind` × `exabgp.tcp.port`). Returns the bound
    /// address (useful with port 0).
    pub fn listen(&mut self, address: SocketAddr) -> Result<SocketAddr, SocketError> {
        let mut listener = socket::listen(address)?;
        let bound = listener.local_addr().map_err(|error| SocketError {
            address,
            call: "getsockname",
            error,
        })?;
        let index = self.allocate_token();
        let token = self.token_of(index);
        if let Err(error) = self
            .poll
            .registry()
            .register(&mut listener, token, Interest::READABLE)
        {
            self.release_token(index);
            return Err(SocketError {
                address,
                call: "epoll_ctl",
                error,
            });
        }
        self.put_source(index, Source::Listener(listener));
        Ok(bound)
    }

    /// Sets `key` for connections from `peer` on every listener of its address family
    /// (call after `listen`, once per configured peer with an md5-password).
    pub fn set_listener_md5(&mut self, peer: IpAddr, key: &Md5Key) -> Result<(), SocketError> {
        for slot in &self.tokens {
            if let Some(Source::Listener(listener)) = &slot.source {
                socket::set_listener_md5(listener, peer, key)?;
            }
        }
        Ok(())
    }

    /// Sets the TCP-AO `key` for connections from `peer` on every listener of its address
    /// family (call after `listen`, once per configured peer with `tcp-ao`).
    pub fn set_listener_ao(
        &mut self,
        peer: IpAddr,
        key: &crate::sys::tcp_ao::AoKey,
    ) -> Result<(), SocketError> {
        for slot in &self.tokens {
            if let Some(Source::Listener(listener)) = &slot.source {
                socket::set_listener_ao(listener, peer, key)?;
            }
        }
        Ok(())
    }

    /// Bytes written to inbound connections no session accepts before they are closed
    /// (the daemon sets a NOTIFICATION Cease "peer de-configured" here; default: none).
    pub fn set_unmatched_reply(&mut self, bytes: Option<&'static [u8]>) {
        self.unmatched_reply = bytes;
    }

    /// Stops listening everywhere.
    pub fn close_listeners(&mut self) {
        let listeners: Vec<usize> = (0..self.tokens.len())
            .filter(|index| {
                matches!(
                    self.tokens.get(*index).and_then(|s| s.source.as_ref()),
                    Some(Source::Listener(_))
                )
            })
            .collect();
        for index in listeners {
            if let Some(Source::Listener(mut listener)) = self.release_token(index) {
                let _ = self.poll.registry().deregister(&mut listener);
            }
        }
        self.accept_backlog.clear();
    }

    /// Polls a raw fd the owner keeps (helper-process pipes); readiness goes to
    /// [`Owner::fd_ready`] with `tag`. Edge-triggered: read/write until WouldBlock.
    pub fn register_fd(&mut self, fd: RawFd, interest: Interest, tag: u64) -> io::Result<Token> {
        let index = self.allocate_token();
        let token = self.token_of(index);
        if let Err(error) =
            self.poll
                .registry()
                .register(&mut mio::unix::SourceFd(&fd), token, interest)
        {
            self.release_token(index);
            return Err(error);
        }
        self.put_source(index, Source::Fd { fd, tag });
        Ok(token)
    }

    /// Stops polling an fd registered with `register_fd` (before the owner closes it).
    pub fn deregister_fd(&mut self, token: Token) -> io::Result<()> {
        let Some(index) = self.index_of(token) else {
            return Ok(());
        };
        if let Some(Source::Fd { fd, .. }) = self.release_token(index) {
            self.poll
                .registry()
                .deregister(&mut mio::unix::SourceFd(&fd))?;
        }
        Ok(())
    }

    // ----- sessions -----

    /// Adds a session; it is stepped in the next pass.
    pub fn add_session(&mut self, session: S) -> SessionId {
        let accepts_from = session.accepts_from().map(|a| a.to_canonical());
        let body = SessionSlot {
            session,
            conn: None,
            must_step: false,
            touched: false,
            feeds: Feeds::default(),
            held_input: false,
            held_output: false,
        };
        let reused = self.free_sessions.pop().and_then(|slot| {
            let entry = self.sessions.get_mut(slot as usize)?;
            Some((slot, entry))
        });
        let id = match reused {
            Some((slot, entry)) => {
                entry.body = Some(body);
                SessionId {
                    slot,
                    generation: entry.generation,
                }
            }
            None => {
                self.sessions.push(SessionEntry {
                    generation: 0,
                    body: Some(body),
                });
                SessionId {
                    slot: (self.sessions.len() - 1) as u32,
                    generation: 0,
                }
            }
        };
        let list = match accepts_from {
            Some(address) => self.inbound_by_address.entry(address).or_default(),
            None => &mut self.inbound_any,
        };
        if let Err(at) = list.binary_search(&id.slot) {
            list.insert(at, id.slot);
        }
        self.queue.push_now(id.slot);
        id
    }

    fn live_slot(&self, id: SessionId) -> Option<u32> {
        let entry = self.sessions.get(id.slot as usize)?;
        (entry.generation == id.generation && entry.body.is_some()).then_some(id.slot)
    }

    fn slot_mut(&mut self, slot: u32) -> Option<&mut SessionSlot<S>> {
        self.sessions.get_mut(slot as usize)?.body.as_mut()
    }

    fn id_of(&self, slot: u32) -> SessionId {
        let generation = self
            .sessions
            .get(slot as usize)
            .map_or(0, |entry| entry.generation);
        SessionId { slot, generation }
    }

    /// The session behind `id`, if still present.
    pub fn session(&self, id: SessionId) -> Option<&S> {
        let slot = self.live_slot(id)?;
        self.sessions
            .get(slot as usize)?
            .body
            .as_ref()
            .map(|body| &body.session)
    }

    /// Removes a session at once, dropping its connection without flushing.
    pub fn remove_session(&mut self, id: SessionId) -> Option<S> {
        let slot = self.live_slot(id)?;
        self.take_slot(slot)
    }

    fn take_slot(&mut self, slot: u32) -> Option<S> {
        let entry = self.sessions.get_mut(slot as usize)?;
        let body = entry.body.take()?;
        entry.generation = entry.generation.wrapping_add(1);
        self.free_sessions.push(slot);
        match body.session.accepts_from().map(|a| a.to_canonical()) {
            Some(address) => {
                if let Some(list) = self.inbound_by_address.get_mut(&address) {
                    list.retain(|s| *s != slot);
                    if list.is_empty() {
                        self.inbound_by_address.remove(&address);
                    }
                }
            }
            None => self.inbound_any.retain(|s| *s != slot),
        }
        self.queue.remove(slot);
        self.timers.cancel(slot);
        if let Some(conn) = body.conn {
            self.close_conn(conn);
        }
        Some(body.session)
    }

    /// Delivers an API command; the session is stepped in this or the next pass.
    /// Gives the command back when the session no longer exists.
    pub fn command(&mut self, id: SessionId, command: S::Command) -> Result<(), S::Command> {
        let Some(slot) = self.live_slot(id) else {
            return Err(command);
        };
        let now = Instant::now();
        if let Some(body) = self.slot_mut(slot) {
            body.session.command(now, command);
            body.must_step = true;
        }
        self.after_call(slot);
        self.queue.push_now(slot);
        Ok(())
    }

    /// Runs `f` on one session (e.g. a reload that changed it), then steps it.
    /// Returns `None` when the session no longer exists.
    pub fn with_session<T>(
        &mut self,
        id: SessionId,
        f: impl FnOnce(&mut S, Instant) -> T,
    ) -> Option<T> {
        let slot = self.live_slot(id)?;
        let now = Instant::now();
        let body = self.slot_mut(slot)?;
        body.must_step = true;
        let result = f(&mut body.session, now);
        self.after_call(slot);
        self.queue.push_now(slot);
        Some(result)
    }

    /// [`Reactor::with_session`] for the many small changes of one burst of helper lines
    /// (routes into an adj-rib-out): no clock read, and the session is settled (its events
    /// taken, its deadline re-armed, queued to step) once when the burst's lines are
    /// dispatched, not once per call. `f` must not need the time.
    pub fn with_session_batched<T>(
        &mut self,
        id: SessionId,
        f: impl FnOnce(&mut S) -> T,
    ) -> Option<T> {
        let slot = self.live_slot(id)?;
        let body = self.slot_mut(slot)?;
        body.must_step = true;
        let result = f(&mut body.session);
        if !std::mem::replace(&mut body.touched, true) {
            self.touched.push(slot);
        }
        Some(result)
    }

    /// Settles the sessions [`Reactor::with_session_batched`] changed.
    fn settle_touched(&mut self) {
        let mut touched = std::mem::take(&mut self.touched);
        for slot in touched.drain(..) {
            let Some(body) = self.slot_mut(slot) else {
                continue;
            };
            body.touched = false;
            self.after_call(slot);
            self.queue.push_now(slot);
        }
        self.touched = touched;
    }

    /// Runs `f` on every session (e.g. for SIGALRM), then steps them all.
    pub fn for_each_session(&mut self, mut f: impl FnMut(SessionId, &mut S, Instant)) {
        let now = Instant::now();
        for slot in 0..self.sessions.len() as u32 {
            let id = self.id_of(slot);
            let Some(body) = self.slot_mut(slot) else {
                continue;
            };
            body.must_step = true;
            f(id, &mut body.session, now);
            self.after_call(slot);
            self.queue.push_now(slot);
        }
    }

    /// Output bytes pending and input bytes buffered on the session's connection.
    pub fn buffered(&self, id: SessionId) -> Option<(usize, usize)> {
        let slot = self.live_slot(id)?;
        let conn_index = self.sessions.get(slot as usize)?.body.as_ref()?.conn?;
        let conn = self.conn(conn_index)?;
        Some((conn.output.pending(), conn.input.len()))
    }

    /// Drains events, re-arms the deadline, removes the session when it is finished.
    fn after_call(&mut self, slot: u32) {
        let id = self.id_of(slot);
        let Some(body) = self
            .sessions
            .get_mut(slot as usize)
            .and_then(|e| e.body.as_mut())
        else {
            return;
        };
        while let Some(event) = body.session.take_event() {
            self.session_events.push_back((id, event));
        }
        let deadline = body.session.next_deadline();
        let finished = body.session.is_finished();
        self.timers.set(slot, deadline);
        if finished {
            if let Some(session) = self.take_slot(slot) {
                self.finished.push_back((id, session));
            }
        }
    }

    // ----- shutdown -----

    /// How long [`Reactor::begin_shutdown`] waits for every CEASE to be flushed before the
    /// loop ends anyway (default [`SHUTDOWN_GRACE`]).
    pub fn set_shutdown_grace(&mut self, grace: Duration) {
        self.shutdown_grace = grace;
    }

    /// Starts the shutdown: STOPPING=1, listeners closed, every session asked to close and
    /// stepped at once (each writes its CEASE to its socket now, whatever the number of
    /// sessions: no pass budget applies); the loop ends when all connections are gone or
    /// after the shutdown grace.
    pub fn begin_shutdown(&mut self) {
        if self.shutdown_deadline.is_some() {
            return;
        }
        let now = Instant::now();
        notify::notify(Status::Stopping);
        self.shutdown_deadline = Some(now + self.shutdown_grace);
        self.close_listeners();
        for slot in 0..self.sessions.len() as u32 {
            let Some(body) = self.slot_mut(slot) else {
                continue;
            };
            body.must_step = true;
            body.session.shutdown(now);
            self.after_call(slot);
            // Stepped here, not queued: 10,000 sessions would otherwise wait many passes
            // (their events end each pass early) while the grace runs.
            self.queue.remove(slot);
            self.run_session(slot, now);
        }
    }

    /// True once shutdown began and every connection closed and every helper process
    /// ended (see [`Reactor::stop_all_processes`]), or the grace period ended.
    pub fn is_done(&self) -> bool {
        let Some(deadline) = self.shutdown_deadline else {
            return false;
        };
        Instant::now() >= deadline || self.processes.is_empty() && self.conn_count == 0
    }

    // ----- the loop -----

    /// How long the next poll may sleep: zero while work is queued, else until the
    /// earliest deadline (`None`: no deadline at all, sleep until an event).
    pub fn poll_timeout(&mut self, now: Instant) -> Option<Duration> {
        if self.queue.has_work() || !self.accept_backlog.is_empty() || self.processes.has_work() {
            return Some(Duration::ZERO);
        }
        let mut earliest = self.timers.next_deadline();
        if let Some(at) = self.processes.next_deadline(now) {
            earliest = Some(earliest.map_or(at, |current: Instant| current.min(at)));
        }
        let mut consider = |at: Instant| {
            earliest = Some(earliest.map_or(at, |current: Instant| current.min(at)));
        };
        if !self.drain_again.is_empty() {
            return Some(Duration::ZERO);
        }
        // In deadline order: the first live entry is the earliest (a stale one only wakes
        // the loop early once).
        if let Some(first) = self.draining.front() {
            consider(first.until);
        }
        if let Some(deadline) = self.shutdown_deadline {
            consider(deadline);
        }
        earliest.map(|at| at.saturating_duration_since(now))
    }

    /// Runs until shutdown completes: READY=1 first, then passes, with the owner's
    /// callbacks between them. Only a failing `poll` itself is an error.
    pub fn run(&mut self, owner: &mut impl Owner<S>) -> io::Result<()> {
        notify::notify(Status::Ready);
        self.watchdog = notify::watchdog_from_env();
        if let Some(period) = self.watchdog {
            log::debug!("sd_notify: WATCHDOG=1 every {period:?}");
            self.feed_watchdog(Instant::now());
        }
        loop {
            self.dispatch(owner);
            if self.is_done() {
                break;
            }
            self.turn()?;
        }
        self.dispatch(owner);
        self.kill_all_processes();
        for index in 0..self.tokens.len() {
            if matches!(
                self.tokens.get(index).and_then(|s| s.source.as_ref()),
                Some(Source::Conn(_))
            ) {
                self.close_conn(index);
            }
        }
        Ok(())
    }

    /// Hands queued signals, events, fd readiness, finished sessions and helper lines and
    /// exits to the owner.
    pub fn dispatch(&mut self, owner: &mut impl Owner<S>) {
        self.dispatch_queued(owner);
        self.dispatch_processes(owner);
        // What the owner did with the lines (commands) may have produced events.
        self.dispatch_queued(owner);
        owner.after_pass(self);
    }

    fn dispatch_queued(&mut self, owner: &mut impl Owner<S>) {
        loop {
            if let Some(signal) = self.signals_pending.pop_front() {
                owner.signal(self, signal);
            } else if let Some((id, event)) = self.session_events.pop_front() {
                owner.event(self, id, event);
            } else if let Some((tag, readiness)) = self.fd_events.pop_front() {
                owner.fd_ready(self, tag, readiness);
            } else if let Some((id, session)) = self.finished.pop_front() {
                owner.finished(self, id, session);
            } else {
                break;
            }
        }
    }

    /// One pass: poll (sleeping at most until the next deadline), feed readiness, fire
    /// timers, then run the queue within the budget.
    pub fn turn(&mut self) -> io::Result<()> {
        let timeout = self.poll_timeout(Instant::now());
        self.turn_with_timeout(timeout)
    }

    /// One pass with an explicit poll timeout (tests bound their waits with it).
    pub fn turn_with_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let mut events = self
            .events
            .take()
            .unwrap_or_else(|| Events::with_capacity(1024));
        self.stats.polls += 1;
        // What the owner wrote to helpers since the last pass leaves before we sleep.
        self.flush_processes(Instant::now());
        let timeout = if self.processes.has_work() {
            Some(Duration::ZERO)
        } else {
            timeout
        };
        let polled = self.poll.poll(&mut events, timeout);
        if let Err(error) = polled {
            if error.kind() != io::ErrorKind::Interrupted {
                self.events = Some(events);
                return Err(error);
            }
        }
        let now = Instant::now();
        for event in events.iter() {
            self.on_event(event, now);
        }
        self.events = Some(events);
        self.service_processes(now);
        self.fire_timers(now);
        self.check_draining(now);
        self.accept_pending(now);
        self.queue.promote_later();
        self.run_queue(now);
        Ok(())
    }

    fn on_event(&mut self, event: &mio::event::Event, now: Instant) {
        let Some(index) = self.index_of(event.token()) else {
            return;
        };
        let readable = event.is_readable() || event.is_read_closed() || event.is_error();
        let writable = event.is_writable() || event.is_write_closed() || event.is_error();
        match self
            .tokens
            .get_mut(index)
            .and_then(|slot| slot.source.as_mut())
        {
            Some(Source::Signals(signals)) => {
                signals.drain_into(&mut self.signal_scratch);
                if self.signal_scratch.contains(&Signal::ChildExited) {
                    self.processes.check_children = true;
                }
                self.signals_pending.extend(self.signal_scratch.drain(..));
            }
            Some(Source::Process { slot, stdout }) => {
                let (slot, stdout) = (*slot, *stdout);
                self.on_process_event(slot, stdout, if stdout { readable } else { writable });
            }
            Some(Source::Listener(_)) if !self.accept_backlog.contains(&index) => {
                self.accept_backlog.push(index);
            }
            Some(Source::Listener(_)) => {}
            Some(Source::Fd { tag, .. }) => {
                self.fd_events
                    .push_back((*tag, Readiness { readable, writable }));
            }
            Some(Source::Conn(conn)) => {
                if readable {
                    conn.readable = true;
                }
                match (conn.phase, conn.session) {
                    (Phase::Connecting, Some(slot)) => self.finish_connect(index, slot, now),
                    (Phase::Open, Some(slot)) => self.queue.push_now(slot),
                    _ => self.drain_conn(index, now),
                }
            }
            None => {}
        }
    }

    fn finish_connect(&mut self, index: usize, slot: u32, now: Instant) {
        let Some(conn) = self.conn(index) else { return };
        let remote = conn.remote;
        match socket::connect_result(&conn.stream, remote) {
            Ok(None) => {}
            Ok(Some(local)) => {
                if let Some(conn) = self.conn_mut(index) {
                    conn.phase = Phase::Open;
                    conn.local = local;
                }
                log::debug!("{remote}: connected from {local}");
                if let Some(body) = self.slot_mut(slot) {
                    body.session.connected(now, local, remote);
                }
                self.after_call(slot);
                self.queue.push_now(slot);
            }
            Err(error) => {
                log::warn!("{error}");
                self.detach(slot, now, Disconnect::ConnectFailed(error));
            }
        }
    }

    /// Drops the session's connection at once and tells it why.
    fn detach(&mut self, slot: u32, now: Instant, why: Disconnect) {
        let Some(body) = self.slot_mut(slot) else {
            return;
        };
        let conn = body.conn.take();
        if let Some(conn) = conn {
            self.close_conn(conn);
        }
        if let Some(body) = self.slot_mut(slot) {
            body.session.closed(now, &why);
        }
        self.after_call(slot);
        self.queue.push_now(slot);
    }

    /// Sends `WATCHDOG=1` and arms the next one (from the timer heap: a loop that stops
    /// turning stops feeding the watchdog, which is what systemd must notice).
    fn feed_watchdog(&mut self, now: Instant) {
        if let Some(period) = self.watchdog {
            notify::notify(Status::Watchdog);
            self.timers.set(timers::WATCHDOG, Some(now + period));
        }
    }

    fn fire_timers(&mut self, now: Instant) {
        while let Some(slot) = self.timers.pop_expired(now) {
            if slot == timers::WATCHDOG {
                self.feed_watchdog(now);
                continue;
            }
            let id = self.id_of(slot);
            let Some(body) = self
                .sessions
                .get_mut(slot as usize)
                .and_then(|entry| entry.body.as_mut())
            else {
                continue;
            };
            body.must_step = true;
            body.session.tick(now);
            // Not `after_call`: the timer stays disarmed until the step that follows
            // re-arms it. A session whose deadline only moves in `step` (the protocol's
            // timers run there) would otherwise be re-armed with the same passed deadline
            // and popped again, forever, within this loop.
            while let Some(event) = body.session.take_event() {
                self.session_events.push_back((id, event));
            }
            self.stats.ticks += 1;
            self.queue.push_now(slot);
        }
    }

    /// A closing connection: flush the output, then half-close and discard input until
    /// the peer closes (a close with unread input would send an RST, and the peer could
    /// lose the NOTIFICATION we just wrote); at most until the linger deadline.
    fn drain_conn(&mut self, index: usize, now: Instant) {
        let Some(conn) = self.conn_mut(index) else {
            return;
        };
        let overdue = matches!(conn.phase, Phase::Draining { until } if now >= until);
        let mut finished = false;
        let mut read_again = false;
        match conn.output.flush_to(&mut conn.stream) {
            Ok(true) if !conn.write_shut => {
                conn.write_shut = true;
                if conn.stream.shutdown(std::net::Shutdown::Write).is_err() {
                    finished = true;
                }
            }
            Ok(_) => {}
            Err(error) => {
                log::debug!("{}: write failed while closing: {error}", conn.remote);
                finished = true;
            }
        }
        if conn.write_shut && !finished {
            match discard_input(&mut conn.stream) {
                Discarded::Closed => finished = true,
                Discarded::WouldBlock => {}
                Discarded::More => read_again = true,
            }
        }
        if finished || overdue || conn.session.is_none() && conn.phase == Phase::Connecting {
            // Its linger entry goes stale with the token.
            self.close_conn(index);
        } else if read_again && !self.drain_again.contains(&index) {
            self.drain_again.push(index);
        }
    }

    /// Queues a closing connection for its linger deadline.
    fn push_draining(&mut self, index: usize, until: Instant) {
        let generation = self.tokens.get(index).map_or(0, |slot| slot.generation);
        self.draining.push_back(Draining {
            index,
            generation,
            until,
        });
    }

    /// Closes the connections whose linger ended and drops stale entries; looks again at
    /// those whose input was not read to the end. Cost: what expired, not what lingers.
    fn check_draining(&mut self, now: Instant) {
        for index in std::mem::take(&mut self.drain_again) {
            if matches!(
                self.conn(index).map(|c| c.phase),
                Some(Phase::Draining { .. })
            ) {
                self.drain_conn(index, now);
            }
        }
        while let Some(first) = self.draining.front().copied() {
            let live = self.tokens.get(first.index).is_some_and(|slot| {
                slot.generation == first.generation
                    && matches!(&slot.source, Some(Source::Conn(c)) if matches!(c.phase, Phase::Draining { .. }))
            });
            if live && first.until > now {
                break;
            }
            self.draining.pop_front();
            if live {
                self.drain_conn(first.index, now);
            }
        }
    }

    fn accept_pending(&mut self, now: Instant) {
        let backlog = std::mem::take(&mut self.accept_backlog);
        for index in backlog {
            let mut drained = false;
            for _ in 0..ACCEPT_QUOTA {
                let accepted = match self.tokens.get(index).and_then(|s| s.source.as_ref()) {
                    Some(Source::Listener(listener)) => listener.accept(),
                    _ => {
                        drained = true;
                        break;
                    }
                };
                match accepted {
                    Ok((stream, remote)) => self.adopt(stream, remote, now),
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                        drained = true;
                        break;
                    }
                    Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                    Err(error) => {
                        // e.g. EMFILE: log it and wait for the next edge rather than spin.
                        let local = match self.tokens.get(index).and_then(|s| s.source.as_ref()) {
                            Some(Source::Listener(listener)) => listener.local_addr().ok(),
                            _ => None,
                        };
                        match local {
                            Some(local) => log::warn!("{local}: accept failed: {error}"),
                            None => log::warn!("accept failed: {error}"),
                        }
                        drained = true;
                        break;
                    }
                }
            }
            // Stopped before WouldBlock (quota or error): edge-triggered, so look again
            // next pass ourselves.
            if !drained && !self.accept_backlog.contains(&index) {
                self.accept_backlog.push(index);
            }
        }
    }

    fn adopt(&mut self, stream: mio::net::TcpStream, remote: SocketAddr, now: Instant) {
        if self.shutdown_deadline.is_some() {
            return;
        }
        let local = match stream.local_addr() {
            Ok(local) => local,
            Err(error) => {
                log::warn!("{remote}: getsockname failed: {error}");
                return;
            }
        };
        let mut answer = self.match_incoming(local, remote, now);
        if let Some((slot, Incoming::Reject(_))) = answer {
            if self.has_unread_input(slot) {
                // The session may be ending right now: its peer sent a NOTIFICATION and
                // closed just before reconnecting, in the same poll. Let it read that
                // first, then ask again, so the new connection is not refused as a
                // collision with a connection that is over.
                self.run_session(slot, now);
                answer = self.match_incoming(local, remote, now);
            }
        }
        let mut chosen = None;
        let mut reply = self.unmatched_reply;
        match answer {
            Some((slot, Incoming::Accept(options))) => chosen = Some((slot, options)),
            Some((_, Incoming::Reject(bytes))) => reply = Some(bytes),
            Some((_, Incoming::Refuse)) | None => {}
        }
        let Some((slot, options)) = chosen else {
            log::info!("{remote}: connection to {local} refused");
            if let Some(bytes) = reply.filter(|bytes| !bytes.is_empty()) {
                self.reply_and_close(stream, remote, local, bytes, now);
            }
            return;
        };
        if let Err(error) = socket::prepare_accepted(&stream, remote, &options) {
            log::warn!("{error}");
            return;
        }
        let had_conn = self.slot_mut(slot).and_then(|body| body.conn).is_some();
        if had_conn {
            self.detach(slot, now, Disconnect::Replaced);
        }
        if let Some(index) = self.register_conn(stream, remote, local, Phase::Open, Some(slot)) {
            if let Some(body) = self.slot_mut(slot) {
                body.conn = Some(index);
                body.session.connected(now, local, remote);
            }
            log::debug!("{remote}: accepted on {local}");
            self.after_call(slot);
            self.queue.push_now(slot);
        }
    }

    /// Writes `bytes` on a refused connection (bounded by LINGER), then closes it.
    /// The first session that does not refuse a connection from `remote` to `local`.
    fn match_incoming(
        &self,
        local: SocketAddr,
        remote: SocketAddr,
        now: Instant,
    ) -> Option<(u32, Incoming)> {
        // The sessions of that address and those asked about every address, merged in
        // slot order (the order of a scan of every session, without the scan).
        let exact = self
            .inbound_by_address
            .get(&remote.ip().to_canonical())
            .map_or(&[][..], Vec::as_slice);
        let (mut exact, mut any) = (exact.iter().peekable(), self.inbound_any.iter().peekable());
        loop {
            let slot = match (exact.peek(), any.peek()) {
                (Some(&&a), Some(&&b)) if a < b => exact.next(),
                (Some(_), Some(_)) | (None, Some(_)) => any.next(),
                (Some(_), None) => exact.next(),
                (None, None) => return None,
            };
            let &slot = slot?;
            let Some(body) = self
                .sessions
                .get(slot as usize)
                .and_then(|e| e.body.as_ref())
            else {
                continue;
            };
            match body.session.incoming(now, local, remote) {
                Incoming::Refuse => {}
                answer => return Some((slot, answer)),
            }
        }
    }

    /// True when the session's connection has input the session has not seen yet.
    fn has_unread_input(&self, slot: u32) -> bool {
        let conn = self
            .sessions
            .get(slot as usize)
            .and_then(|entry| entry.body.as_ref())
            .and_then(|body| body.conn)
            .and_then(|index| self.conn(index));
        conn.is_some_and(|c| c.phase == Phase::Open && (c.readable || c.eof || !c.input.is_empty()))
    }

    fn reply_and_close(
        &mut self,
        stream: mio::net::TcpStream,
        remote: SocketAddr,
        local: SocketAddr,
        bytes: &[u8],
        now: Instant,
    ) {
        let phase = Phase::Draining {
            until: now + LINGER,
        };
        let Some(index) = self.register_conn(stream, remote, local, phase, None) else {
            return;
        };
        if let Some(conn) = self.conn_mut(index) {
            conn.output.push(bytes);
        }
        self.push_draining(index, now + LINGER);
        self.drain_conn(index, now);
    }

    fn register_conn(
        &mut self,
        mut stream: mio::net::TcpStream,
        remote: SocketAddr,
        local: SocketAddr,
        phase: Phase,
        slot: Option<u32>,
    ) -> Option<usize> {
        let index = self.allocate_token();
        let token = self.token_of(index);
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(error) = self.poll.registry().register(&mut stream, token, interest) {
            log::warn!("{remote}: epoll_ctl failed: {error}");
            self.release_token(index);
            return None;
        }
        let conn = Conn {
            stream,
            remote,
            local,
            phase,
            session: slot,
            input: ReadBuffer::new(self.limits.read_limit),
            output: WriteBuffer::new(self.limits.write_high_water),
            readable: true,
            eof: false,
            write_shut: false,
        };
        self.put_source(index, Source::Conn(Box::new(conn)));
        self.conn_count += 1;
        Some(index)
    }

    fn start_connect(&mut self, slot: u32, request: ConnectRequest, now: Instant) {
        let unspecified = SocketAddr::new(
            if request.remote.is_ipv6() {
                IpAddr::from([0u16; 8])
            } else {
                IpAddr::from([0u8; 4])
            },
            0,
        );
        match socket::connect(&request) {
            Ok(stream) => {
                let local = stream.local_addr().unwrap_or(unspecified);
                if let Some(index) =
                    self.register_conn(stream, request.remote, local, Phase::Connecting, Some(slot))
                {
                    if let Some(body) = self.slot_mut(slot) {
                        body.conn = Some(index);
                    }
                    log::debug!("{}: connecting", request.remote);
                }
            }
            Err(error) => {
                // The session reports it (it knows whether this is worth a warning).
                log::debug!("{error}");
                if let Some(body) = self.slot_mut(slot) {
                    body.session.closed(now, &Disconnect::ConnectFailed(error));
                }
                self.after_call(slot);
            }
        }
    }

    fn run_queue(&mut self, pass_start: Instant) {
        let mut steps = 0usize;
        let mut now = pass_start;
        while steps < STEP_BUDGET
            && now.duration_since(pass_start) < TIME_BUDGET
            && self.session_events.len() < EVENTS_PER_PASS
        {
            let Some(slot) = self.queue.pop_now() else {
                break;
            };
            self.run_session(slot, now);
            steps += 1;
            now = Instant::now();
        }
    }

    /// Reads, steps and flushes one session, then queues it as its `Step` says.
    fn run_session(&mut self, slot: u32, now: Instant) {
        let Some(body) = self.slot_mut(slot) else {
            return;
        };
        let must_step = std::mem::replace(&mut body.must_step, false);
        let conn_index = body.conn;
        // Back-pressure from helper processes: one that hears this session's messages is
        // full, so read no more of its input (it still runs for timers and commands).
        let input_paused = body.held_input;

        // 1. Input and output on an open connection.
        let mut new_input = false;
        let mut congested = false;
        if let Some(index) = conn_index {
            let Some(conn) = self.conn_mut(index) else {
                return;
            };
            if conn.phase == Phase::Open {
                let remote = conn.remote;
                if let Err(error) = conn.output.flush_to(&mut conn.stream) {
                    let error = SocketError {
                        address: remote,
                        call: "write",
                        error,
                    };
                    log::debug!("{error}");
                    self.detach(slot, now, Disconnect::Io(error));
                    return;
                }
                if conn.readable && !conn.input.is_full() && !conn.eof && !input_paused {
                    let before = conn.input.len();
                    match conn.input.fill_from(&mut conn.stream, READ_QUOTA) {
                        Ok(Filled::Drained) => conn.readable = false,
                        Ok(Filled::Limited) => {}
                        Ok(Filled::Eof) => {
                            conn.readable = false;
                            conn.eof = true;
                        }
                        Err(error) => {
                            let error = SocketError {
                                address: remote,
                                call: "read",
                                error,
                            };
                            log::debug!("{error}");
                            self.detach(slot, now, Disconnect::Io(error));
                            return;
                        }
                    }
                    new_input = conn.input.len() > before;
                }
                congested = !conn.output.has_room();
            }
        }

        // 2. Back-pressure: a congested session is not stepped for encoding; only new input,
        //    a passed deadline or an owner call (command, shutdown: it may need to close)
        //    run it.
        let eof = conn_index.and_then(|i| self.conn(i)).is_some_and(|c| c.eof);
        if congested && !must_step && !new_input && !eof {
            self.stats.congested_skips += 1;
            return;
        }

        // 3. The step.
        // Events, deadline and removal (`after_call`) are handled once the output is
        // flushed, so a finished session's last words still reach the socket.
        let result = self.step_session(slot, conn_index, now);
        self.stats.steps += 1;

        // 4. Write what the step produced.
        if let Some(index) = conn_index {
            if let Some(conn) = self.conn_mut(index) {
                if conn.phase == Phase::Open {
                    let remote = conn.remote;
                    match conn.output.flush_to(&mut conn.stream) {
                        Ok(_) => {}
                        Err(error) => {
                            if !matches!(result, Step::Close(_)) {
                                let error = SocketError {
                                    address: remote,
                                    call: "write",
                                    error,
                                };
                                log::debug!("{error}");
                                self.detach(slot, now, Disconnect::Io(error));
                                return;
                            }
                        }
                    }
                    congested = !conn.output.has_room();
                }
            }
        }

        // 5. Schedule.
        match result {
            Step::Now if !congested => self.queue.push_now(slot),
            Step::Later if !congested => self.queue.push_later(slot),
            Step::Now | Step::Later | Step::Wait => {}
            Step::Close(reason) => {
                if let Some(index) = conn_index {
                    let remote = self.conn(index).map(|c| c.remote);
                    if let Some(remote) = remote {
                        log::info!("{remote}: closing: {reason}");
                    }
                    self.release_from_session(slot, index, now);
                }
                self.maybe_connect(slot, now);
                self.after_call(slot);
                return;
            }
        }

        // 6. End of stream: once the session has consumed what it wants of the last bytes
        //    (it said Wait, or nothing is left), it is told.
        if eof {
            let input_left = conn_index
                .and_then(|i| self.conn(i))
                .is_some_and(|c| !c.input.is_empty());
            let more = matches!(result, Step::Now | Step::Later);
            if !(more && input_left) {
                self.detach(slot, now, Disconnect::PeerClosed);
                return;
            }
        }
        // Reading stopped before WouldBlock (quota or full buffer) and the session made
        // room: edge-triggered, so no new event will come; continue in the next pass.
        let read_more = !input_paused
            && conn_index.and_then(|i| self.conn(i)).is_some_and(|c| {
                c.phase == Phase::Open && c.readable && !c.eof && !c.input.is_full()
            });
        if read_more {
            self.queue.push_later(slot);
        }

        // 7. Without a connection, the session may want one now.
        self.maybe_connect(slot, now);
        self.after_call(slot);
    }

    fn step_session(
        &mut self,
        slot: u32,
        conn_index: Option<usize>,
        now: Instant,
    ) -> Step<S::Reason> {
        // Split borrows: the connection lives in `tokens`, the session in `sessions`.
        let conn =
            conn_index.and_then(|index| match self.tokens.get_mut(index)?.source.as_mut()? {
                Source::Conn(conn) if conn.phase == Phase::Open => Some(conn),
                _ => None,
            });
        let Some(body) = self
            .sessions
            .get_mut(slot as usize)
            .and_then(|e| e.body.as_mut())
        else {
            return Step::Wait;
        };
        let link = conn.map(|conn| Link {
            input: &mut conn.input,
            output: &mut conn.output,
            local: conn.local,
            remote: conn.remote,
        });
        body.session.step(now, link)
    }

    /// The session closed its connection: flush what it wrote (bounded by LINGER), close.
    fn release_from_session(&mut self, slot: u32, index: usize, now: Instant) {
        if let Some(body) = self.slot_mut(slot) {
            body.conn = None;
        }
        let Some(conn) = self.conn_mut(index) else {
            return;
        };
        conn.session = None;
        if conn.phase != Phase::Open {
            self.close_conn(index);
        } else {
            conn.phase = Phase::Draining {
                until: now + LINGER,
            };
            self.push_draining(index, now + LINGER);
            self.drain_conn(index, now);
        }
    }

    fn maybe_connect(&mut self, slot: u32, now: Instant) {
        if self.shutdown_deadline.is_some() {
            return;
        }
        let Some(body) = self.slot_mut(slot) else {
            return;
        };
        if body.conn.is_some() {
            return;
        }
        if let Some(request) = body.session.wants_connection(now) {
            self.start_connect(slot, request, now);
        }
    }
}

/// What [`discard_input`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Discarded {
    /// The peer closed its side (or the socket failed): the connection can be closed.
    Closed,
    /// Everything read; readiness will tell when more comes.
    WouldBlock,
    /// The read bound was reached before WouldBlock: look again next pass.
    More,
}

/// Reads and drops what the peer still sends on a half-closed connection (bounded).
fn discard_input(stream: &mut mio::net::TcpStream) -> Discarded {
    use std::io::Read;
    let mut scratch = [0u8; 4096];
    for _ in 0..64 {
        match stream.read(&mut scratch) {
            Ok(0) => return Discarded::Closed,
            Ok(_) => continue,
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                return Discarded::WouldBlock
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Discarded::Closed,
        }
    }
    Discarded::More
}
