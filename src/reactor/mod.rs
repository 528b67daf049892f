//! reactor: the only mio code — one `Poll`, a token slab (listeners, connections, pipes,
//! signals), the NOW/LATER run queue, the timer heap, connection buffers and back-pressure.
//!
//! This file is the loop (poll, readiness, timers, the run queue, stepping endpoints);
//! `endpoints` holds the endpoint table, `conn` the connections (connects, buffers,
//! linger) and `accept` the listeners and inbound matching.
//!
//! The reactor holds no protocol logic. It drives values implementing [`Endpoint`] (the
//! daemon's `NeighborEndpoint`, around the `peer` FSM) through a small contract:
//!
//! * time enters only as `now: Instant` arguments; an endpoint reports its single earliest
//!   deadline with [`Endpoint::next_deadline`] and is stepped once it passes;
//! * bytes enter through [`Link::input`] (a [`ReadBuffer`] that keeps partial messages) and
//!   leave through [`Link::output`] (a [`WriteBuffer`], the only path to the socket), both
//!   handed to [`Endpoint::step`], which does a bounded amount of work and answers a [`Step`];
//! * connections are asked for with [`Endpoint::wants_connection`] and offered with
//!   [`Endpoint::incoming`]; their start and end are reported with [`Endpoint::connected`] and
//!   [`Endpoint::closed`].
//!
//! The owner (the daemon) builds a [`Reactor`], adds listeners and endpoints, then calls
//! [`Reactor::run`] with an [`Owner`] that receives signals and endpoint events between passes.
//!
//! ```text
//! let signals = SignalSource::install()?;          // first thing: no signal is lost
//! let config = parse(...)?;                          // exit 1 on error, as ExaBGP
//! let mut reactor: Reactor<NeighborEndpoint> = Reactor::new(Some(signals))?;
//! for ip in tcp_bind { reactor.listen(SocketAddr::new(ip, tcp_port))?; }   // default 179
//! for n in neighbors_with_md5 { reactor.set_listener_md5(n.peer_ip, &n.key)?; }
//! reactor.set_unmatched_reply(Some(CEASE_PEER_DECONFIGURED));
//! for p in processes { helpers.insert(reactor.spawn_process(&spec_of(p))?, p.name); }
//! for n in neighbors { ids.insert(n.key(), reactor.add_endpoint(NeighborEndpoint::new(..))); }
//! reactor.run(&mut daemon)?;                         // READY=1, then passes until shutdown
//! // Daemon as Owner: Shutdown → write the shutdown event to each helper,
//! // reactor.stop_all_processes(), reactor.begin_shutdown(); Reload → notify(Reloading),
//! // re-parse, add/remove/with_endpoint per neighbor, notify(Ready); RestartPeers →
//! // for_each_endpoint(..); ChildExited → nothing: the reactor reaps its helpers by pid
//! // (see `process`) and reports them with `process_exited`; lines arrive in `process_line`.
//! ```

mod accept;
pub mod buffer;
mod conn;
mod endpoints;
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

pub use crate::peer::{Initiator, Step};
pub use accept::Incoming;
pub use buffer::{Filled, ReadBuffer, WriteBuffer};
pub use conn::Disconnect;
use conn::{Conn, Draining, Phase};
pub use notify::Status;
pub use process::{
    resolve_program, Feeds, ProcessError, ProcessExit, ProcessId, ProcessSpec, LINES_PER_PASS,
    MAX_LINE_LEN, OUTPUT_HIGH_WATER, OUTPUT_LOW_WATER,
};
pub use runqueue::RunQueue;
pub use signals::{Signal, SignalSource};
pub use socket::{ConnectRequest, Md5Key, SocketError, TcpOptions, BGP_PORT};
pub use timers::Timers;

/// The connection an endpoint reads from and writes to during a step.
pub struct Link<'a> {
    /// Bytes received and not yet consumed; consume whole messages, leave partial ones.
    pub input: &'a mut ReadBuffer,
    /// Append whole messages; check [`WriteBuffer::has_room`] before encoding bulk data.
    pub output: &'a mut WriteBuffer,
}

/// The contract between the reactor and one configured peer (implemented by the daemon's
/// `NeighborEndpoint` around the `peer` FSM).
///
/// Call order: `wants_connection`/`incoming` → `connected` → `step`* (whenever input,
/// writability, an owner call or `next_deadline` wakes it) → either `step` returns `Close` or
/// the reactor calls `closed`. After every call the reactor drains `take_event`, re-reads
/// `next_deadline`, and (without a connection) asks `wants_connection`.
pub trait Endpoint {
    /// Why an endpoint closes a connection (logged with `Display`).
    type Reason: fmt::Display;
    /// Events for the API, handed to [`Owner::event`].
    type Event;

    /// Without a connection: the outgoing connection to open now, if any (back-off is the
    /// endpoint's business: answer `None` until its retry deadline). Answering a request
    /// means the attempt has begun: its outcome is reported with `connected` or `closed`.
    fn wants_connection(&mut self, now: Instant) -> Option<ConnectRequest>;
    /// An inbound connection from `remote` arrived on a listener at `local`.
    fn incoming(&self, now: Instant, local: SocketAddr, remote: SocketAddr) -> Incoming;
    /// The one remote address this endpoint takes inbound connections from, if it is a
    /// single address (fixed for the endpoint's life): the reactor then asks it only about
    /// connections from that address. `None` (a range, or any): asked about every one.
    fn accepts_from(&self) -> Option<IpAddr> {
        None
    }
    /// A connection is established: ours (`Initiator::Local`, the one asked for with
    /// `wants_connection`) or an accepted one (`Initiator::Remote`).
    fn connected(&mut self, now: Instant, local: SocketAddr, remote: SocketAddr, by: Initiator);
    /// The connection (or the connect attempt) ended without the endpoint asking (see
    /// [`Disconnect`]); back off.
    fn closed(&mut self, now: Instant, why: &Disconnect);
    /// Bounded work: run timers, consume some input, append some output. `link` is `None`
    /// while the endpoint has no established connection.
    fn step(&mut self, now: Instant, link: Option<Link<'_>>) -> Step<Self::Reason>;
    /// The earliest moment the endpoint needs a step for its timers (hold, keepalive,
    /// retry, open wait...).
    fn next_deadline(&self) -> Option<Instant>;
    /// The next event for the API, if any.
    fn take_event(&mut self) -> Option<Self::Event>;
    /// Shutdown: queue a CEASE if connected and answer `Close` soon; never reconnect.
    fn shutdown(&mut self, now: Instant);
    /// Back-pressure from helpers (see [`Reactor::set_feeds`]): `input` — the reactor stops
    /// reading this endpoint's connection (what the peer sends is unread, not missing: its
    /// hold timer should not run); `output` — stop producing bulk output (keep the
    /// protocol alive). Called on every change; the endpoint is stepped afterwards.
    fn hold(&mut self, _now: Instant, _input: bool, _output: bool) {}
    /// True when the endpoint is over for good: the reactor removes it.
    fn is_finished(&self) -> bool;
}

/// The daemon side: receives what the reactor surfaces between passes and may act on the
/// reactor in return (add/remove endpoints, deliver commands, begin shutdown, ...).
pub trait Owner<E: Endpoint> {
    /// A process signal arrived (signals are queued, never lost, from `SignalSource::install`).
    fn signal(&mut self, reactor: &mut Reactor<E>, signal: Signal);
    /// An endpoint produced an event for the API.
    fn event(&mut self, reactor: &mut Reactor<E>, endpoint: EndpointId, event: E::Event);
    /// A file descriptor registered with [`Reactor::register_fd`] is ready.
    fn fd_ready(&mut self, _reactor: &mut Reactor<E>, _tag: u64, _readiness: Readiness) {}
    /// An endpoint reported `is_finished` and was removed.
    fn finished(&mut self, _reactor: &mut Reactor<E>, _endpoint: EndpointId, _value: E) {}
    /// A helper process wrote this line (trailing whitespace removed, invalid UTF-8
    /// replaced); lines of one process arrive in order.
    fn process_line(&mut self, _reactor: &mut Reactor<E>, _id: ProcessId, _line: &str) {}
    /// A helper process ended (after its last lines); `id` is stale from now on.
    fn process_exited(&mut self, _reactor: &mut Reactor<E>, _id: ProcessId, _how: ProcessExit) {}
    /// Called once after every pass (after the callbacks above), before the next poll.
    fn after_pass(&mut self, _reactor: &mut Reactor<E>) {}
}

/// Readiness reported for an owner-registered file descriptor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    /// Readable (or hung up / error: reading will tell).
    pub readable: bool,
    /// Writable.
    pub writable: bool,
}

/// Identifies an endpoint; stale after removal (the slot's generation changes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EndpointId {
    slot: u32,
    generation: u32,
}

/// How long a closing connection may take to flush its output (a NOTIFICATION).
pub const LINGER: Duration = Duration::from_secs(1);
/// How long shutdown waits, by default, for endpoints to send their CEASE and flush (the
/// daemon sets `exabgp.reactor.shutdown_deadline` with [`Reactor::set_shutdown_grace`]).
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Endpoint steps per pass before timers and sockets are looked at again.
pub const STEP_BUDGET: usize = 256;
/// Wall-clock budget of the steps of one pass.
pub const TIME_BUDGET: Duration = Duration::from_millis(5);
/// Endpoint events waiting for the owner at which a pass ends early: what is decoded but
/// not yet handed on (received UPDATEs on their way to helpers) stays bounded.
pub const EVENTS_PER_PASS: usize = 64;
/// Bytes read from one connection per run of its endpoint.
pub const READ_QUOTA: usize = 64 * 1024;
/// Connections accepted from one listener per pass.
pub const ACCEPT_QUOTA: usize = 64;

/// Buffer sizes of each connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferLimits {
    /// Most unconsumed input bytes held (a few maximum-size messages).
    pub read_limit: usize,
    /// Output bytes above which the endpoint is congested and not stepped for encoding.
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
    /// Calls to `Endpoint::step`.
    pub steps: u64,
    /// Deadlines that passed (each one steps its endpoint).
    pub ticks: u64,
    /// Steps skipped because the endpoint's output was congested.
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

struct TokenSlot {
    generation: u32,
    source: Option<Source>,
}

struct EndpointSlot<E> {
    endpoint: E,
    conn: Option<usize>,
    must_step: bool,
    /// Changed by [`Reactor::with_endpoint_batched`] and not settled yet (listed in
    /// `Reactor::touched`).
    touched: bool,
    /// The helpers that hear it (set by the owner).
    feeds: Feeds,
    /// Its connection is not read: a helper its received messages go to is congested.
    held_input: bool,
    /// Told to stop encoding: a helper its sent messages go to is congested.
    held_output: bool,
}

struct EndpointEntry<E> {
    generation: u32,
    body: Option<EndpointSlot<E>>,
}

/// The event loop. `E` is the endpoint type (the daemon's `NeighborEndpoint`).
pub struct Reactor<E: Endpoint> {
    poll: Poll,
    events: Option<Events>,
    tokens: Vec<TokenSlot>,
    free_tokens: Vec<usize>,
    endpoints: Vec<EndpointEntry<E>>,
    free_endpoints: Vec<u32>,
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
    endpoint_events: VecDeque<(EndpointId, E::Event)>,
    /// Endpoints changed by [`Reactor::with_endpoint_batched`], to settle.
    touched: Vec<u32>,
    fd_events: VecDeque<(u64, Readiness)>,
    finished: VecDeque<(EndpointId, E)>,
    shutdown_deadline: Option<Instant>,
    unmatched_reply: Option<&'static [u8]>,
    stats: Stats,
    processes: process::ProcessTable,
    /// How often `WATCHDOG=1` goes to systemd (`None`: no watchdog asked for); armed in the
    /// timer heap under [`timers::WATCHDOG`] while `run` runs.
    watchdog: Option<Duration>,
}

impl<E: Endpoint> Reactor<E> {
    /// A reactor polling `signals` (install them first thing at start-up; `None` in tests).
    pub fn new(signals: Option<SignalSource>) -> io::Result<Reactor<E>> {
        let mut reactor = Reactor {
            poll: Poll::new()?,
            events: Some(Events::with_capacity(1024)),
            tokens: Vec::new(),
            free_tokens: Vec::new(),
            endpoints: Vec::new(),
            free_endpoints: Vec::new(),
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
            endpoint_events: VecDeque::new(),
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

    // ----- listeners and owner fds -----

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

    // ----- shutdown -----

    /// How long [`Reactor::begin_shutdown`] waits for every CEASE to be flushed before the
    /// loop ends anyway (default [`SHUTDOWN_GRACE`]).
    pub fn set_shutdown_grace(&mut self, grace: Duration) {
        self.shutdown_grace = grace;
    }

    /// Starts the shutdown: STOPPING=1, listeners closed, every endpoint asked to close and
    /// stepped at once (each writes its CEASE to its socket now, whatever the number of
    /// endpoints: no pass budget applies); the loop ends when all connections are gone or
    /// after the shutdown grace.
    pub fn begin_shutdown(&mut self) {
        if self.shutdown_deadline.is_some() {
            return;
        }
        let now = Instant::now();
        notify::notify(Status::Stopping);
        self.shutdown_deadline = Some(now + self.shutdown_grace);
        self.close_listeners();
        for slot in 0..self.endpoints.len() as u32 {
            let Some(body) = self.slot_mut(slot) else {
                continue;
            };
            body.must_step = true;
            body.endpoint.shutdown(now);
            self.after_call(slot);
            // Stepped here, not queued: 10,000 endpoints would otherwise wait many passes
            // (their events end each pass early) while the grace runs.
            self.queue.remove(slot);
            self.run_endpoint(slot, now);
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
    pub fn run(&mut self, owner: &mut impl Owner<E>) -> io::Result<()> {
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

    /// Hands queued signals, events, fd readiness, finished endpoints and helper lines and
    /// exits to the owner.
    pub fn dispatch(&mut self, owner: &mut impl Owner<E>) {
        self.dispatch_queued(owner);
        self.dispatch_processes(owner);
        // What the owner did with the lines (commands) may have produced events.
        self.dispatch_queued(owner);
        owner.after_pass(self);
    }

    fn dispatch_queued(&mut self, owner: &mut impl Owner<E>) {
        loop {
            if let Some(signal) = self.signals_pending.pop_front() {
                owner.signal(self, signal);
            } else if let Some((id, event)) = self.endpoint_events.pop_front() {
                owner.event(self, id, event);
            } else if let Some((tag, readiness)) = self.fd_events.pop_front() {
                owner.fd_ready(self, tag, readiness);
            } else if let Some((id, endpoint)) = self.finished.pop_front() {
                owner.finished(self, id, endpoint);
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
                match (conn.phase, conn.endpoint) {
                    (Phase::Connecting, Some(slot)) => self.finish_connect(index, slot, now),
                    (Phase::Open, Some(slot)) => self.queue.push_now(slot),
                    _ => self.drain_conn(index, now),
                }
            }
            None => {}
        }
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
            let Some(body) = self
                .endpoints
                .get_mut(slot as usize)
                .and_then(|entry| entry.body.as_mut())
            else {
                continue;
            };
            body.must_step = true;
            // Not `after_call`: the timer stays disarmed until the step that follows
            // re-arms it. An endpoint's deadline only moves in `step` (its timers run
            // there): re-armed now, the same passed deadline would pop again, forever,
            // within this loop.
            self.stats.ticks += 1;
            self.queue.push_now(slot);
        }
    }

    fn run_queue(&mut self, pass_start: Instant) {
        let mut steps = 0usize;
        let mut now = pass_start;
        while steps < STEP_BUDGET
            && now.duration_since(pass_start) < TIME_BUDGET
            && self.endpoint_events.len() < EVENTS_PER_PASS
        {
            let Some(slot) = self.queue.pop_now() else {
                break;
            };
            self.run_endpoint(slot, now);
            steps += 1;
            now = Instant::now();
        }
    }

    /// Reads, steps and flushes one endpoint, then queues it as its `Step` says.
    fn run_endpoint(&mut self, slot: u32, now: Instant) {
        let Some(body) = self.slot_mut(slot) else {
            return;
        };
        let must_step = std::mem::replace(&mut body.must_step, false);
        let conn_index = body.conn;
        // Back-pressure from helper processes: one that hears this endpoint's messages is
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

        // 2. Back-pressure: a congested endpoint is not stepped for encoding; only new input,
        //    a passed deadline or an owner call (command, shutdown: it may need to close)
        //    run it.
        let eof = conn_index.and_then(|i| self.conn(i)).is_some_and(|c| c.eof);
        if congested && !must_step && !new_input && !eof {
            self.stats.congested_skips += 1;
            return;
        }

        // 3. The step.
        // Events, deadline and removal (`after_call`) are handled once the output is
        // flushed, so a finished endpoint's last words still reach the socket.
        let result = self.step_endpoint(slot, conn_index, now);
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
                    self.release_from_endpoint(slot, index, now);
                }
                self.maybe_connect(slot, now);
                self.after_call(slot);
                return;
            }
        }

        // 6. End of stream: once the endpoint has consumed what it wants of the last bytes
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
        // Reading stopped before WouldBlock (quota or full buffer) and the endpoint made
        // room: edge-triggered, so no new event will come; continue in the next pass.
        let read_more = !input_paused
            && conn_index.and_then(|i| self.conn(i)).is_some_and(|c| {
                c.phase == Phase::Open && c.readable && !c.eof && !c.input.is_full()
            });
        if read_more {
            self.queue.push_later(slot);
        }

        // 7. Without a connection, the endpoint may want one now.
        self.maybe_connect(slot, now);
        self.after_call(slot);
    }

    fn step_endpoint(
        &mut self,
        slot: u32,
        conn_index: Option<usize>,
        now: Instant,
    ) -> Step<E::Reason> {
        // Split borrows: the connection lives in `tokens`, the endpoint in `endpoints`.
        let conn =
            conn_index.and_then(|index| match self.tokens.get_mut(index)?.source.as_mut()? {
                Source::Conn(conn) if conn.phase == Phase::Open => Some(conn),
                _ => None,
            });
        let Some(body) = self
            .endpoints
            .get_mut(slot as usize)
            .and_then(|e| e.body.as_mut())
        else {
            return Step::Wait;
        };
        let link = conn.map(|conn| Link {
            input: &mut conn.input,
            output: &mut conn.output,
        });
        body.endpoint.step(now, link)
    }
}
