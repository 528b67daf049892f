//! The daemon's side of the helper-process API: the configured processes started, respawned
//! within their budget and stopped; the neighbors' events written to the processes that asked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::RawFd;
use std::path::Path;

use crate::api::event::{self, Event, EventNeighbor, MessageReport};
use crate::api::json::{self, Direction, Envelope, NeighborIdentity};
use crate::api::message_json::UpdateJsonOptions;
use crate::api::respawn::RespawnBudget;
use crate::api::subscriptions::{subscriptions, Subscription};
use crate::bgp::message::{self as message_type, Message};
use crate::bgp::negotiated::{Negotiated, Negotiation};
use crate::config::model::{AsnSetting, Encoder, Neighbor, Process};
use crate::reactor::process::{Feeds, ProcessExit, ProcessId, ProcessSpec};
use crate::reactor::Reactor;
use crate::rib::RouteContext;

use super::endpoint::NeighborEndpoint;

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
    /// Variables added to its environment (the CLI bridge's pipe directory).
    env: Vec<(String, String)>,
    /// The daemon's own CLI bridge (api.md §9.1): it may drive every neighbor, hears no
    /// event and is not part of the configuration (a reload keeps it).
    pub internal: bool,
    /// Descriptors the process inherits (the CLI bridge's FIFOs, opened before the
    /// privilege drop); every other descriptor of the daemon is closed on exec.
    inherit: Vec<RawFd>,
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
    /// The last negotiation, added to raw packet events for `negotiated` subscribers.
    pub negotiation: Option<Box<Negotiation>>,
    /// The context to decode the messages rexa sends: the session's, ADD-PATH seen from the
    /// sending side.
    pub sent_context: Negotiated,
    /// The bytes of the received message being reported, for the `header` / `body` hex of
    /// its decoded event (`consolidate`).
    pub last_packet: Option<Box<[u8]>>,
    /// What `show neighbor extensive|configuration|json` reports beyond the above.
    pub show: super::show::ShowState,
    /// Per subscription: KEEPALIVEs sent while its helper was congested, not yet reported
    /// (they keep going out on time; their events are coalesced into this count and
    /// written, in order, before the next event for that helper or once it recovers).
    deferred_keepalives: Vec<u32>,
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
            routes: neighbor.route_context(),
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
            negotiation: None,
            sent_context: Negotiated::default(),
            last_packet: None,
            show: super::show::ShowState::new(neighbor, std::time::Instant::now()),
            deferred_keepalives: Vec::new(),
        }
    }

    /// Whether a process asked for the bytes of received messages (raw events, or the hex
    /// of consolidated ones): the peer then reports them.
    pub fn wants_received_packets(&self) -> bool {
        self.subscriptions.iter().any(|s| {
            MESSAGE_TYPES.iter().any(|kind| {
                let forms = s.received(*kind);
                forms.raw || forms.with_hex
            })
        })
    }

    /// Whether a process asked for any message rexa sends: the peer then reports them.
    pub fn wants_sent(&self) -> bool {
        self.subscriptions
            .iter()
            .any(|s| MESSAGE_TYPES.iter().any(|kind| s.sent(*kind).any()))
    }

    /// The session's negotiation: kept for raw events and to decode what rexa sends.
    pub fn negotiated(&mut self, negotiation: Box<Negotiation>) {
        let mut context = negotiation.negotiated.clone();
        std::mem::swap(&mut context.addpath_receive, &mut context.addpath_send);
        self.sent_context = context;
        self.negotiation = Some(negotiation);
    }

    /// Whether the subscription hears any message received from the peer / sent to it.
    fn hears(subscription: &Subscription) -> (bool, bool) {
        let received = MESSAGE_TYPES
            .iter()
            .any(|kind| subscription.received(*kind).any());
        let sent = MESSAGE_TYPES
            .iter()
            .any(|kind| subscription.sent(*kind).any());
        (received, sent)
    }

    /// Whether process `index` may drive this neighbor with commands.
    pub fn allows(&self, index: usize) -> bool {
        self.subscriptions.iter().any(|s| s.process == index)
    }
}

/// The BGP message types a process may subscribe to.
const MESSAGE_TYPES: [u8; 6] = [
    message_type::OPEN,
    message_type::UPDATE,
    message_type::NOTIFICATION,
    message_type::KEEPALIVE,
    message_type::ROUTE_REFRESH,
    message_type::OPERATIONAL,
];

/// The configured helpers and what rendering events needs.
pub(super) struct Helpers {
    pub list: Vec<Helper>,
    host: String,
    pid: u32,
    ppid: u32,
    /// Some neighbor holds deferred KEEPALIVE events.
    deferred: bool,
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
            deferred: false,
            respawn,
            scratch: Vec::new(),
        }
    }

    /// The names api blocks may refer to, by index; the internal CLI bridge has none (it
    /// hears no event).
    pub fn names(&self) -> Vec<&str> {
        self.list
            .iter()
            .map(|h| if h.internal { "" } else { h.name.as_str() })
            .collect()
    }

    /// Whether helper `index` may drive every neighbor (the CLI bridge), not only those whose
    /// api blocks name it.
    pub fn drives_all(&self, index: usize) -> bool {
        self.list.get(index).is_some_and(|h| h.internal)
    }

    /// Adds and starts a CLI bridge (the pipe or the socket one): `program` (the rexa
    /// executable) run with `env` (which tells it what to bridge), inheriting the descriptors
    /// `inherit`, text encoder, respawned like any helper. On error nothing is added.
    pub fn add_cli_bridge(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        name: String,
        program: String,
        env: Vec<(String, String)>,
        inherit: Vec<RawFd>,
        config_dir: &Path,
    ) -> Result<(), String> {
        self.list.push(Helper {
            name,
            argv: vec![program],
            encoder: Encoder::Text,
            respawn: true,
            process: None,
            budget: RespawnBudget::default(),
            ack: self.ack,
            env,
            internal: true,
            inherit,
        });
        let index = self.list.len() - 1;
        let started = self.spawn(reactor, index, config_dir);
        if started.is_err() {
            self.list.pop();
        }
        started
    }

    /// The running helpers that hear `neighbor`'s received and sent messages: the reactor
    /// pauses the neighbor while one of them is congested.
    pub fn feeds_of(&self, neighbor: &NeighborApi) -> Feeds {
        let mut feeds = Feeds::default();
        for subscription in &neighbor.subscriptions {
            let Some(id) = self.list.get(subscription.process).and_then(|h| h.process) else {
                continue;
            };
            let (received, sent) = NeighborApi::hears(subscription);
            if received && !feeds.received.contains(&id) {
                feeds.received.push(id);
            }
            if sent && !feeds.sent.contains(&id) {
                feeds.sent.push(id);
            }
        }
        feeds
    }

    /// True when the running helpers are not those of `seen` (a start, respawn or stop).
    pub fn changed_since(&self, seen: &[Option<ProcessId>]) -> bool {
        !self.list.iter().map(|h| h.process).eq(seen.iter().copied())
    }

    /// The running helpers, for [`Helpers::changed_since`].
    pub fn running(&self) -> Vec<Option<ProcessId>> {
        self.list.iter().map(|h| h.process).collect()
    }

    pub fn index_of(&self, id: ProcessId) -> Option<usize> {
        self.list.iter().position(|h| h.process == Some(id))
    }

    /// Starts every helper that is not running. A helper that cannot be started is an
    /// error: the daemon refuses to run without it (as ExaBGP does).
    pub fn start_all(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        config_dir: &Path,
    ) -> Result<(), String> {
        for index in 0..self.list.len() {
            self.spawn(reactor, index, config_dir)?;
        }
        Ok(())
    }

    fn spawn(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
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
            env: helper.env.clone(),
        };
        // The inherited descriptors lose close-on-exec for this one spawn only (one thread:
        // no other spawn can see them meanwhile).
        let inherit = |on: bool| {
            for fd in &helper.inherit {
                if let Err(error) = crate::sys::set_cloexec(*fd, on) {
                    log::warn!("process {}: descriptor {fd}: {error}", helper.name);
                }
            }
        };
        inherit(false);
        let spawned = reactor.spawn_process(&spec);
        inherit(true);
        let id = spawned.map_err(|error| format!("process {}: {error}", helper.name))?;
        // Every spawn counts against the budget (ExaBGP counts them all).
        helper.budget.record_spawn(unix_seconds());
        helper.process = Some(id);
        log::info!("process {}: started", helper.name);
        Ok(())
    }

    /// A reload: helpers still configured keep running (ExaBGP 4.x/5.x), new ones start,
    /// removed ones stop. Entries are never removed, so indices stay valid.
    pub fn reconcile(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        processes: &[Process],
        config_dir: &Path,
    ) {
        for helper in &mut self.list {
            if !helper.internal && !processes.iter().any(|p| p.name == helper.name) {
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
            let index = match self
                .list
                .iter()
                .position(|h| !h.internal && h.name == process.name)
            {
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
        // The CLI bridge is not configured: it only needs starting again after SIGUSR2.
        for index in 0..self.list.len() {
            if self.list.get(index).is_some_and(|h| h.internal) {
                if let Err(error) = self.spawn(reactor, index, config_dir) {
                    log::error!("{error}");
                }
            }
        }
    }

    /// SIGUSR2: every running helper is stopped (the reload that follows starts them
    /// again).
    pub fn stop_running(&mut self, reactor: &mut Reactor<NeighborEndpoint>) {
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
        reactor: &mut Reactor<NeighborEndpoint>,
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
        if !helper.budget.allows(unix_seconds()) {
            log::error!(
                "process {}: respawned more than {} times within {} seconds, giving up",
                helper.name,
                crate::api::respawn::SPAWNS_PER_BUCKET,
                crate::api::respawn::BUCKET_SECONDS
            );
            // A failing CLI bridge costs the CLI, not the daemon and its sessions.
            if helper.internal {
                helper.respawn = false;
                log::error!("the cli is disabled until rexa restarts");
                return true;
            }
            return false;
        }
        let internal = helper.internal;
        match self.spawn(reactor, index, config_dir) {
            Ok(()) => true,
            Err(error) => {
                log::error!("{error}");
                internal
            }
        }
    }

    /// Writes `line` (a newline is added) to helper `index`.
    pub fn write_line(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        index: usize,
        line: &str,
    ) {
        let Some(id) = self.list.get(index).and_then(|h| h.process) else {
            return;
        };
        self.scratch.clear();
        self.scratch.extend_from_slice(line.as_bytes());
        self.scratch.push(b'\n');
        reactor.write_process(id, &self.scratch);
    }

    /// Acknowledges a command of helper `index` when its acks are on.
    pub fn ack(&mut self, reactor: &mut Reactor<NeighborEndpoint>, index: usize, ok: bool) {
        if self.list.get(index).is_some_and(|h| h.ack) {
            self.write_line(reactor, index, if ok { "done" } else { "error" });
        }
    }

    /// Renders `event` for every process that asked for it and writes it.
    ///
    /// Back-pressure: a congested helper is not fed what the reactor holds (received and
    /// sent UPDATEs); what still comes is bounded by the number of peers (state changes,
    /// NOTIFICATIONs), except the KEEPALIVEs rexa keeps sending: those events are counted,
    /// not rendered, until the helper recovers or another event for it follows.
    pub fn emit(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        neighbor: &mut NeighborApi,
        event: &Event<'_>,
    ) {
        let sent_keepalive = matches!(
            event,
            Event::Message(MessageReport {
                direction: Direction::Send,
                kind: message_type::KEEPALIVE,
                ..
            })
        );
        for index in 0..neighbor.subscriptions.len() {
            let Some(subscription) = neighbor.subscriptions.get(index).copied() else {
                continue;
            };
            let Some(helper) = self.list.get(subscription.process) else {
                continue;
            };
            let Some(id) = helper.process else { continue };
            let encoder = helper.encoder;
            if sent_keepalive
                && reactor.is_process_congested(id)
                && event::wanted(&subscription, event).any()
            {
                if neighbor.deferred_keepalives.len() <= index {
                    neighbor.deferred_keepalives.resize(index + 1, 0);
                }
                if let Some(count) = neighbor.deferred_keepalives.get_mut(index) {
                    *count = count.saturating_add(1);
                    self.deferred = true;
                    continue;
                }
            }
            let envelope = Envelope::now(&self.host, self.pid, self.ppid);
            self.scratch.clear();
            render_deferred(&mut self.scratch, &envelope, encoder, index, neighbor);
            render(
                &mut self.scratch,
                &envelope,
                encoder,
                &subscription,
                neighbor,
                event,
            );
            if !self.scratch.is_empty() {
                reactor.write_process(id, &self.scratch);
            }
        }
    }

    /// Writes the deferred KEEPALIVE events of the helpers that are no longer congested
    /// (or that ended: the count goes with them). Called after every pass.
    pub fn flush_deferred<K>(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        neighbors: &mut std::collections::HashMap<K, NeighborApi>,
    ) {
        if !self.deferred {
            return;
        }
        let mut left = false;
        for neighbor in neighbors.values_mut() {
            for index in 0..neighbor.deferred_keepalives.len() {
                if neighbor
                    .deferred_keepalives
                    .get(index)
                    .copied()
                    .unwrap_or(0)
                    == 0
                {
                    continue;
                }
                let helper = neighbor
                    .subscriptions
                    .get(index)
                    .and_then(|s| self.list.get(s.process));
                let Some((id, encoder)) = helper.and_then(|h| Some((h.process?, h.encoder))) else {
                    if let Some(count) = neighbor.deferred_keepalives.get_mut(index) {
                        *count = 0;
                    }
                    continue;
                };
                if reactor.is_process_congested(id) {
                    left = true;
                    continue;
                }
                let envelope = Envelope::now(&self.host, self.pid, self.ppid);
                self.scratch.clear();
                render_deferred(&mut self.scratch, &envelope, encoder, index, neighbor);
                reactor.write_process(id, &self.scratch);
            }
        }
        self.deferred = left;
    }

    /// The last event of every helper (`{ ..., "type": "notification", "notification":
    /// "shutdown" }` or its text form), then their end.
    pub fn shut_down(&mut self, reactor: &mut Reactor<NeighborEndpoint>) {
        let envelope = Envelope::now(&self.host, self.pid, self.ppid);
        for helper in &mut self.list {
            let Some(id) = helper.process else { continue };
            self.scratch.clear();
            event::render_shutdown(&mut self.scratch, &envelope, helper.encoder);
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
        env: Vec::new(),
        internal: false,
        inherit: Vec::new(),
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

/// Renders `event` for one helper (see [`event::render`]), with the neighbor's identity,
/// negotiation and JSON counter.
fn render(
    out: &mut Vec<u8>,
    envelope: &Envelope<'_>,
    encoder: Encoder,
    subscription: &Subscription,
    neighbor: &mut NeighborApi,
    event: &Event<'_>,
) {
    let neighbor = EventNeighbor {
        identity: &neighbor.identity,
        negotiation: neighbor.negotiation.as_deref(),
        counter: &mut neighbor.counter,
        update_options: neighbor.update_options,
    };
    event::render(out, envelope, encoder, subscription, neighbor, event);
}

/// Appends the KEEPALIVE-sent events deferred for subscription `index` (and forgets them).
fn render_deferred(
    out: &mut Vec<u8>,
    envelope: &Envelope<'_>,
    encoder: Encoder,
    index: usize,
    neighbor: &mut NeighborApi,
) {
    let Some(count) = neighbor.deferred_keepalives.get_mut(index) else {
        return;
    };
    let count = std::mem::take(count);
    let Some(subscription) = neighbor.subscriptions.get(index).copied() else {
        return;
    };
    let message = Message::Keepalive;
    for _ in 0..count {
        let report = MessageReport {
            direction: Direction::Send,
            kind: message_type::KEEPALIVE,
            packet: Some(&message_type::KEEPALIVE_MESSAGE),
            message: Some(&message),
            raw: true,
            parsed: true,
        };
        render(
            out,
            envelope,
            encoder,
            &subscription,
            neighbor,
            &Event::Message(report),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::open::Open;
    use crate::bgp::Family;

    fn neighbor_api(apis: &str) -> NeighborApi {
        let text = format!(
            "process a {{ run /bin/true; encoder json; }} process b {{ run /bin/true; encoder text; }} \
             neighbor 127.0.0.2 {{ router-id 10.0.0.1; local-address 127.0.0.1; local-as 1; \
             peer-as 2; family {{ ipv4 unicast; }} {apis} }}"
        );
        let config = crate::config::parse(&text, "test.conf").expect("valid");
        NeighborApi::new(&config.neighbors[0], &["a", "b"], false)
    }

    fn envelope() -> Envelope<'static> {
        Envelope {
            version: json::FORMAT_VERSION_5,
            time: 1.5,
            host: "h",
            pid: 1,
            ppid: 2,
        }
    }

    /// Renders `event` for the neighbor's first subscription; returns the output lines.
    fn render_lines(api: &mut NeighborApi, encoder: Encoder, event: &Event<'_>) -> Vec<String> {
        let subscription = api.subscriptions[0];
        let mut out = Vec::new();
        render(&mut out, &envelope(), encoder, &subscription, api, event);
        String::from_utf8(out)
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn eor_packet() -> Vec<u8> {
        let mut packet = Vec::new();
        crate::bgp::update::write_end_of_rib(&mut packet, Family::IPV4_UNICAST);
        packet
    }

    #[test]
    fn switches_follow_the_subscriptions() {
        let api = neighbor_api("api { processes [ a ]; receive { parsed; update; } }");
        assert!(!api.wants_received_packets() && !api.wants_sent());
        let api = neighbor_api("api { processes [ a ]; receive { consolidate; keepalive; } }");
        assert!(api.wants_received_packets() && !api.wants_sent());
        let api = neighbor_api("api { processes [ b ]; send { parsed; open; } }");
        assert!(!api.wants_received_packets() && api.wants_sent());
    }

    #[test]
    fn parsed_and_packets_give_the_raw_event_then_the_decoded_one() {
        let mut api =
            neighbor_api("api { processes [ a ]; negotiated; send { parsed; packets; update; } }");
        let ours = Open::new(1, 180, "10.0.0.1".parse().expect("ip"), Vec::new());
        let theirs = Open::new(2, 180, "10.0.0.2".parse().expect("ip"), Vec::new());
        api.negotiated(Box::new(Negotiation::new(&ours, &theirs)));
        let packet = eor_packet();
        let message = decode_message(&packet);
        let report = MessageReport {
            direction: Direction::Send,
            kind: message_type::UPDATE,
            packet: Some(&packet),
            message: Some(&message),
            raw: true,
            parsed: true,
        };
        let lines = render_lines(&mut api, Encoder::Json, &Event::Message(report));
        assert_eq!(lines.len(), 2, "{lines:?}");
        let raw: serde_json::Value = serde_json::from_str(&lines[0]).expect("json");
        let decoded: serde_json::Value = serde_json::from_str(&lines[1]).expect("json");
        assert_eq!(raw["counter"], 1);
        assert_eq!(raw["neighbor"]["direction"], "send");
        assert_eq!(raw["neighbor"]["message"]["category"], 2);
        assert_eq!(raw["neighbor"]["message"]["body"], "0x00000000");
        assert!(raw["neighbor"]["negotiated"].is_object(), "{}", lines[0]);
        assert_eq!(decoded["counter"], 2);
        assert_eq!(decoded["neighbor"]["message"]["eor"]["afi"], "ipv4");
        assert!(decoded.get("header").is_none(), "parsed carries no hex");
    }

    #[test]
    fn consolidated_received_messages_carry_their_hex() {
        let mut api = neighbor_api(
            "api { processes [ b ]; receive { consolidate; keepalive; } } \
             api { processes [ a ]; receive { consolidate; keepalive; } }",
        );
        let mut packet = Vec::new();
        Message::Keepalive.encode(&mut packet, &Negotiated::default());
        // The bytes arrive first: no raw event is asked for.
        let bytes = MessageReport {
            direction: Direction::Receive,
            kind: message_type::KEEPALIVE,
            packet: Some(&packet),
            message: None,
            raw: true,
            parsed: false,
        };
        assert!(render_lines(&mut api, Encoder::Json, &Event::Message(bytes)).is_empty());
        let decoded = MessageReport {
            direction: Direction::Receive,
            kind: message_type::KEEPALIVE,
            packet: Some(&packet),
            message: Some(&Message::Keepalive),
            raw: false,
            parsed: true,
        };
        let event = Event::Message(decoded);
        let lines = render_lines(&mut api, Encoder::Json, &event);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].contains(
                r#""type": "keepalive", "header": "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001304", "neighbor""#
            ),
            "{}",
            lines[0]
        );
        let lines = render_lines(&mut api, Encoder::Text, &event);
        assert_eq!(
            lines[0],
            "neighbor 127.0.0.2 receive keepalive header 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF001304"
        );
    }

    #[test]
    fn the_cli_bridge_drives_every_neighbor_and_hears_nothing() {
        let text = "process a { run /bin/true; encoder json; } \
                    neighbor 127.0.0.2 { router-id 10.0.0.1; local-address 127.0.0.1; \
                    local-as 1; peer-as 2; api { processes [ a ]; neighbor-changes; } }";
        let config = crate::config::parse(text, "test.conf").expect("valid");
        let mut helpers = Helpers::new(&config.processes, true, true);
        let mut bridge = helper(&config.processes[0], true);
        bridge.name = "api-internal-cli-pipe-1".into();
        bridge.internal = true;
        helpers.list.push(bridge);
        assert_eq!(helpers.names(), ["a", ""]);
        assert!(!helpers.drives_all(0) && helpers.drives_all(1) && !helpers.drives_all(2));
        let api = NeighborApi::new(&config.neighbors[0], &helpers.names(), false);
        assert!(api.allows(0) && !api.allows(1), "only api blocks subscribe");
    }

    #[test]
    fn keepalives_sent_while_a_helper_is_congested_are_counted_then_written_in_order() {
        let dir = std::env::temp_dir().join(format!("rexa-deferred-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (go, out) = (dir.join("go"), dir.join("out"));
        let _ = std::fs::remove_file(&go);
        let script = format!(
            "while [ ! -e {go} ]; do sleep 0.05; done; cat > {out}",
            go = go.display(),
            out = out.display()
        );
        let mut reactor: Reactor<NeighborEndpoint> = Reactor::new(None).expect("reactor");
        reactor.set_process_buffer(64 * 1024);
        let id = reactor
            .spawn_process(&ProcessSpec {
                name: "a".into(),
                argv: vec!["/bin/sh".into(), "-c".into(), script],
                env: Vec::new(),
            })
            .expect("spawn");
        let text = "process a { run /bin/true; encoder text; } \
                    neighbor 127.0.0.2 { router-id 10.0.0.1; local-address 127.0.0.1; \
                    local-as 1; peer-as 2; api { processes [ a ]; neighbor-changes; \
                    send { parsed; keepalive; } } }";
        let config = crate::config::parse(text, "test.conf").expect("valid");
        let mut helpers = Helpers::new(&config.processes, true, true);
        helpers.list[0].process = Some(id);
        let mut api = NeighborApi::new(&config.neighbors[0], &helpers.names(), false);

        let filler = "x".repeat(99) + "\n";
        let filler = filler.repeat(1000);
        assert!(reactor.write_process(id, filler.as_bytes()));
        assert!(reactor.is_process_congested(id));
        let message = Message::Keepalive;
        let keepalive = || MessageReport {
            direction: Direction::Send,
            kind: message_type::KEEPALIVE,
            packet: Some(&message_type::KEEPALIVE_MESSAGE),
            message: Some(&message),
            raw: true,
            parsed: true,
        };
        for _ in 0..3 {
            helpers.emit(&mut reactor, &mut api, &Event::Message(keepalive()));
        }
        assert_eq!(
            reactor.process_output_len(id),
            filler.len(),
            "counted, not rendered"
        );
        assert_eq!(api.deferred_keepalives, [3]);
        // Another event for that helper: the deferred ones are written first, in order.
        helpers.emit(&mut reactor, &mut api, &Event::State("down", Some("gone")));
        assert_eq!(api.deferred_keepalives, [0]);

        std::fs::write(&go, b"").expect("go");
        let expected = 1000 + 4;
        let mut lines = Vec::new();
        for _ in 0..1000 {
            reactor
                .turn_with_timeout(Some(std::time::Duration::from_millis(10)))
                .expect("turn");
            let text = std::fs::read_to_string(&out).unwrap_or_default();
            // Text events end with a blank line, as in ExaBGP.
            lines = text
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>();
            if lines.len() >= expected && reactor.process_output_len(id) == 0 {
                break;
            }
        }
        assert_eq!(lines.len(), expected, "{:?}", &lines[1000..]);
        assert_eq!(
            lines[1000..],
            [
                "neighbor 127.0.0.2 send keepalive",
                "neighbor 127.0.0.2 send keepalive",
                "neighbor 127.0.0.2 send keepalive",
                "neighbor 127.0.0.2 down - gone",
            ]
        );
        // Dropping the reactor kills and reaps the helper.
        let pid = reactor.process_pid(id).expect("pid");
        reactor.stop_process(id);
        drop(reactor);
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn decode_message(packet: &[u8]) -> Message {
        Message::decode(
            packet[18],
            &packet[message_type::HEADER_LEN..],
            &Negotiated::default(),
        )
        .expect("valid")
    }
}
