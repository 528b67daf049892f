//! The daemon's side of the helper-process API: the configured processes started, respawned
//! within their budget and stopped; the neighbors' events written to the processes that asked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use crate::api::json::{self, Direction, Envelope, EventHead, NeighborIdentity};
use crate::api::message_json::{self, UpdateJsonOptions};
use crate::api::respawn::RespawnBudget;
use crate::api::subscriptions::{subscriptions, MessageForms, Subscription};
use crate::api::text::{self, UpdateTextOptions as TextOptions};
use crate::bgp::message::{self as message_type, Message};
use crate::bgp::negotiated::Negotiation;
use crate::config::model::{AsnSetting, Encoder, Neighbor, Process};
use crate::peer::FsmLabel;
use crate::reactor::process::{ProcessExit, ProcessId, ProcessSpec};
use crate::reactor::Reactor;
use crate::rib::RouteContext;

use super::session::NeighborSession;

/// One configured helper process.
pub(super) struct Helper {
    pub name: String,
    argv: Vec<String>,
    pub encoder: Encoder,
    /// `respawn` of the process block (ExaBGP 4.x/5.x always respawn; 6.0 may say false).
    respawn: bool,
    /// The running process, if any.
    pub process: Option<ProcessId>,
    budget: RespawnBudget,
    /// `done` / `error` after each command (`exabgp.api.ack`, then `enable-ack` /
    /// `disable-ack` / `silence-ack`).
    pub ack: bool,
}

/// What the API keeps about one running neighbor.
pub(super) struct NeighborApi {
    /// The peer's address as logs show it.
    pub name: String,
    /// ExaBGP's canonical description, matched by command selectors.
    pub description: String,
    /// For routes given by commands.
    pub routes: RouteContext,
    /// One per process named by the neighbor's api blocks (the processes that may drive it).
    pub subscriptions: Vec<Subscription>,
    /// Who the events are about; the local address is the connection's once known.
    pub identity: NeighborIdentity,
    /// The JSON `counter`: one per JSON event rendered for this neighbor.
    pub counter: u64,
    /// `exabgp.api.compact` and the neighbor's `aigp` for UPDATE events.
    pub update_options: UpdateJsonOptions,
    /// When the session reached ESTABLISHED (`show neighbor`).
    pub established_at: Option<std::time::Instant>,
    /// UPDATEs received (`show neighbor`).
    pub updates_received: u64,
}

impl NeighborApi {
    pub fn new(neighbor: &Neighbor, process_names: &[&str], compact: bool) -> NeighborApi {
        let unspecified = match neighbor.peer_address {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        };
        NeighborApi {
            name: neighbor.peer_text(),
            description: crate::api::neighbor_match::neighbor_description(neighbor),
            routes: RouteContext::of(neighbor),
            subscriptions: subscriptions(neighbor, process_names),
            identity: NeighborIdentity {
                local_address: neighbor.local_address.unwrap_or(unspecified),
                peer_address: neighbor.peer_address,
                local_asn: asn(neighbor.local_as),
                peer_asn: asn(neighbor.peer_as),
                router_id: Some(neighbor.router_id),
            },
            counter: 0,
            update_options: UpdateJsonOptions {
                aigp: neighbor.capabilities.aigp,
                compact,
            },
            established_at: None,
            updates_received: 0,
        }
    }

    /// Whether process `index` may drive this neighbor with commands.
    pub fn allows(&self, index: usize) -> bool {
        self.subscriptions.iter().any(|s| s.process == index)
    }
}

/// An event about a neighbor, before it is rendered for a process.
pub(super) enum Event<'a> {
    /// `connected`, `up`, `down` (with its reason).
    State(&'static str, Option<&'a str>),
    Fsm(FsmLabel),
    Negotiated(&'a Negotiation),
    Received(&'a Message),
    Signal(i32, &'static str),
}

/// The configured helpers and what rendering events needs.
pub(super) struct Helpers {
    pub list: Vec<Helper>,
    host: String,
    pid: u32,
    ppid: u32,
    /// Respawn helpers that exit (`exabgp.api.respawn`).
    respawn: bool,
    /// `exabgp.api.ack`, for helpers added by a reload.
    ack: bool,
    scratch: Vec<u8>,
}

impl Helpers {
    pub fn new(processes: &[Process], ack: bool, respawn: bool) -> Helpers {
        Helpers {
            list: processes.iter().map(|p| helper(p, ack)).collect(),
            ack,
            host: json::host_name(),
            pid: std::process::id(),
            ppid: std::os::unix::process::parent_id(),
            respawn,
            scratch: Vec::new(),
        }
    }

    pub fn names(&self) -> Vec<&str> {
        self.list.iter().map(|h| h.name.as_str()).collect()
    }

    pub fn index_of(&self, id: ProcessId) -> Option<usize> {
        self.list.iter().position(|h| h.process == Some(id))
    }

    /// Starts every helper that is not running. A helper that cannot be started is an
    /// error: the daemon refuses to run without it (as ExaBGP does).
    pub fn start_all(
        &mut self,
        reactor: &mut Reactor<NeighborSession>,
        config_dir: &Path,
    ) -> Result<(), String> {
        for index in 0..self.list.len() {
            self.spawn(reactor, index, config_dir)?;
        }
        Ok(())
    }

    fn spawn(
        &mut self,
        reactor: &mut Reactor<NeighborSession>,
        index: usize,
        config_dir: &Path,
    ) -> Result<(), String> {
        let Some(helper) = self.list.get_mut(index) else {
            return Ok(());
        };
        if helper.process.is_some() {
            return Ok(());
        }
        let mut argv = helper.argv.clone();
        if let Some(program) = argv.first_mut() {
            match crate::reactor::process::resolve_program(program, config_dir) {
                Some(path) => *program = path.to_string_lossy().into_owned(),
                None => {
                    return Err(format!(
                        "process {}: program {program:?} not found (or not executable)",
                        helper.name
                    ))
                }
            }
        }
        let spec = ProcessSpec {
            name: helper.name.clone(),
            argv,
            env: Vec::new(),
        };
        let id = reactor
            .spawn_process(&spec)
            .map_err(|error| format!("process {}: {error}", helper.name))?;
        helper.budget.record_spawn(unix_seconds());
        helper.process = Some(id);
        log::info!("process {}: started", helper.name);
        Ok(())
    }

    /// A reload: helpers still configured keep running (ExaBGP 4.x/5.x), new ones start,
    /// removed ones stop. Entries are never removed, so indices stay valid.
    pub fn reconcile(
        &mut self,
        reactor: &mut Reactor<NeighborSession>,
        processes: &[Process],
        config_dir: &Path,
    ) {
        for helper in &mut self.list {
            if !processes.iter().any(|p| p.name == helper.name) {
                helper.respawn = false;
                if let Some(id) = helper.process.take() {
                    log::info!(
                        "process {}: removed from the configuration, stopping it",
                        helper.name
                    );
                    reactor.stop_process(id);
                }
            }
        }
        for process in processes {
            let index = match self.list.iter().position(|h| h.name == process.name) {
                Some(index) => {
                    if let Some(helper) = self.list.get_mut(index) {
                        helper.respawn = process.respawn;
                    }
                    index
                }
                None => {
                    self.list.push(helper(process, self.ack));
                    self.list.len() - 1
                }
            };
            if let Err(error) = self.spawn(reactor, index, config_dir) {
                log::error!("{error}");
            }
        }
    }

    /// SIGUSR2: every running helper is stopped (the reload that follows starts them
    /// again).
    pub fn stop_running(&mut self, reactor: &mut Reactor<NeighborSession>) {
        for helper in &mut self.list {
            if let Some(id) = helper.process.take() {
                log::info!("process {}: restarting", helper.name);
                reactor.stop_process(id);
            }
        }
    }

    /// A helper ended. Returns false when it was respawned too often (the daemon then
    /// stops, as ExaBGP does: "problem with helper program").
    pub fn exited(
        &mut self,
        reactor: &mut Reactor<NeighborSession>,
        id: ProcessId,
        how: &ProcessExit,
        stopping: bool,
        config_dir: &Path,
    ) -> bool {
        let Some(index) = self.index_of(id) else {
            return true;
        };
        let Some(helper) = self.list.get_mut(index) else {
            return true;
        };
        helper.process = None;
        if stopping {
            log::debug!("process {}: ended ({how})", helper.name);
            return true;
        }
        log::warn!("process {}: ended ({how})", helper.name);
        if !(self.respawn && helper.respawn) {
            return true;
        }
        let mut budget = helper.budget;
        if !budget.record_spawn(unix_seconds()) {
            log::error!(
                "process {}: respawned more than {} times within {} seconds, giving up",
                helper.name,
                crate::api::respawn::SPAWNS_PER_BUCKET,
                crate::api::respawn::BUCKET_SECONDS
            );
            return false;
        }
        // `spawn` records the spawn itself: keep the count it starts from.
        helper.budget = RespawnBudget::default();
        let previous = budget;
        match self.spawn(reactor, index, config_dir) {
            Ok(()) => {
                if let Some(helper) = self.list.get_mut(index) {
                    helper.budget = previous;
                }
                true
            }
            Err(error) => {
                log::error!("{error}");
                false
            }
        }
    }

    /// Writes `line` (a newline is added) to helper `index`.
    pub fn write_line(&mut self, reactor: &mut Reactor<NeighborSession>, index: usize, line: &str) {
        let Some(id) = self.list.get(index).and_then(|h| h.process) else {
            return;
        };
        self.scratch.clear();
        self.scratch.extend_from_slice(line.as_bytes());
        self.scratch.push(b'\n');
        reactor.write_process(id, &self.scratch);
    }

    /// Acknowledges a command of helper `index` when its acks are on.
    pub fn ack(&mut self, reactor: &mut Reactor<NeighborSession>, index: usize, ok: bool) {
        if self.list.get(index).is_some_and(|h| h.ack) {
            self.write_line(reactor, index, if ok { "done" } else { "error" });
        }
    }

    /// Renders `event` for every process that asked for it and writes it.
    pub fn emit(
        &mut self,
        reactor: &mut Reactor<NeighborSession>,
        neighbor: &mut NeighborApi,
        event: &Event<'_>,
    ) {
        for subscription in &neighbor.subscriptions {
            let Some(helper) = self.list.get(subscription.process) else {
                continue;
            };
            let Some(id) = helper.process else { continue };
            let forms = wanted(subscription, event);
            if !forms.any() {
                continue;
            }
            self.scratch.clear();
            let envelope = Envelope {
                version: json::FORMAT_VERSION_5,
                time: json::now_seconds(),
                host: &self.host,
                pid: self.pid,
                ppid: self.ppid,
            };
            let mut head = EventHead {
                envelope: &envelope,
                counter: 0,
                kind: event_kind(event),
                raw: None,
                neighbor: &neighbor.identity,
            };
            match helper.encoder {
                Encoder::Json => {
                    // Every JSON event rendered for the neighbor takes the next number.
                    neighbor.counter += 1;
                    head.counter = neighbor.counter;
                    write_json(&mut self.scratch, &head, event, neighbor.update_options);
                    if !self.scratch.is_empty() {
                        self.scratch.push(b'\n');
                    }
                }
                // The text writers end their lines themselves (and write nothing for the
                // events that have no text form).
                Encoder::Text => write_text(
                    &mut self.scratch,
                    &head,
                    event,
                    TextOptions {
                        aigp: neighbor.update_options.aigp,
                    },
                ),
            }
            if self.scratch.is_empty() {
                continue;
            }
            reactor.write_process(id, &self.scratch);
        }
    }

    /// The last event of every helper (`{ ..., "type": "notification", "notification":
    /// "shutdown" }` or its text form), then their end.
    pub fn shut_down(&mut self, reactor: &mut Reactor<NeighborSession>) {
        let envelope = Envelope {
            version: json::FORMAT_VERSION_5,
            time: json::now_seconds(),
            host: &self.host,
            pid: self.pid,
            ppid: self.ppid,
        };
        for helper in &mut self.list {
            let Some(id) = helper.process else { continue };
            self.scratch.clear();
            match helper.encoder {
                Encoder::Json => {
                    json::write_shutdown_event(&mut self.scratch, &envelope);
                    self.scratch.push(b'\n');
                }
                Encoder::Text => text::write_shutdown_event(&mut self.scratch, &envelope),
            }
            reactor.write_process(id, &self.scratch);
            reactor.stop_process(id);
        }
    }
}

fn helper(process: &Process, ack: bool) -> Helper {
    Helper {
        name: process.name.clone(),
        argv: process.run.clone(),
        encoder: process.encoder(),
        respawn: process.respawn,
        process: None,
        budget: RespawnBudget::default(),
        ack,
    }
}

/// A configured AS number; `auto` is reported as 0 until the session tells the real one.
fn asn(setting: AsnSetting) -> u32 {
    match setting {
        AsnSetting::Asn(asn) => asn,
        AsnSetting::Auto => 0,
    }
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Which forms of `event` the subscription asked for (state-like events are "parsed").
fn wanted(subscription: &Subscription, event: &Event<'_>) -> MessageForms {
    let parsed = |on: bool| MessageForms {
        raw: false,
        parsed: on,
        with_hex: false,
    };
    match event {
        Event::State(..) => parsed(subscription.neighbor_changes),
        Event::Fsm(_) => parsed(subscription.fsm),
        Event::Negotiated(_) => parsed(subscription.negotiated),
        Event::Signal(..) => parsed(subscription.signal),
        Event::Received(message) => {
            // Raw packets need the received bytes, which the peer does not keep: the
            // decoded form is what is reported.
            let forms = subscription.received(message.kind());
            parsed(forms.parsed || forms.raw)
        }
    }
}

fn event_kind(event: &Event<'_>) -> &'static str {
    match event {
        Event::State(..) => "state",
        Event::Fsm(_) => "fsm",
        Event::Negotiated(_) => "negotiated",
        Event::Signal(..) => "signal",
        Event::Received(message) => match message.kind() {
            message_type::OPEN => "open",
            message_type::UPDATE => "update",
            message_type::NOTIFICATION => "notification",
            message_type::KEEPALIVE => "keepalive",
            message_type::ROUTE_REFRESH => "refresh",
            message_type::OPERATIONAL => "operational",
            _ => "unknown",
        },
    }
}

fn write_json(
    out: &mut Vec<u8>,
    head: &EventHead<'_>,
    event: &Event<'_>,
    options: UpdateJsonOptions,
) {
    let direction = Direction::Receive;
    match event {
        Event::State(state, reason) => json::write_state_event(out, head, state, *reason),
        Event::Fsm(label) => message_json::write_fsm_event(out, head, label.name()),
        Event::Negotiated(negotiation) => {
            message_json::write_negotiated_event(out, head, negotiation)
        }
        Event::Signal(code, name) => message_json::write_signal_event(out, head, *code, name),
        Event::Received(message) => match message {
            Message::Open(open) => message_json::write_open_event(out, head, direction, open),
            Message::Update(update) => {
                message_json::write_update_event(out, head, direction, update, None, options)
            }
            Message::Notification(n) => message_json::write_notification(out, head, direction, n),
            Message::Keepalive => message_json::write_keepalive(out, head, direction),
            Message::RouteRefresh(refresh) => {
                message_json::write_refresh(out, head, direction, refresh)
            }
            Message::Operational(operational) => {
                message_json::write_operational(out, head, direction, operational)
            }
        },
    }
}

fn write_text(out: &mut Vec<u8>, head: &EventHead<'_>, event: &Event<'_>, options: TextOptions) {
    let direction = Direction::Receive;
    match event {
        Event::State(state, reason) => text::write_state_event(out, head, state, *reason),
        Event::Fsm(label) => text::write_fsm_event(out, head, label.name()),
        Event::Negotiated(negotiation) => text::write_negotiated_event(out, head, negotiation),
        Event::Signal(code, name) => text::write_signal_event(out, head, *code, name),
        Event::Received(message) => match message {
            Message::Open(open) => text::write_open_event(out, head, direction, open),
            Message::Update(update) => {
                text::write_update_event(out, head, direction, update, None, options)
            }
            Message::Notification(n) => text::write_notification(out, head, direction, n),
            Message::Keepalive => text::write_keepalive(out, head, direction),
            Message::RouteRefresh(refresh) => text::write_refresh(out, head, direction, refresh),
            Message::Operational(operational) => {
                text::write_operational(out, head, direction, operational)
            }
        },
    }
}
