//! Helper commands run against the daemon and its neighbors (api.md §2.3, §3–§5): routes into
//! the adj-rib-outs, watchdogs, EOR, flush/clear, teardown, show, daemon control, acks.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Instant;

use std::collections::HashMap;

use crate::api::command::{
    self, matches_any, Action, Command, CommandError, NeighborView, ParsedCommand, RibDirection,
    RibKind,
};
use crate::bgp::family::Family;
use crate::bgp::nlri::{Nlri, Prefix};
use crate::bgp::notification::Notification;
use crate::peer::FsmLabel;
use crate::reactor::{EndpointId, Reactor};
use crate::rib::configured::FastHash;
use crate::rib::load::{convert_route, plain_route_attributes, plain_route_nlris};
use crate::rib::{AttrId, Route};

use super::endpoint::NeighborEndpoint;
use super::show;
use super::Daemon;

/// Most distinct route lines (rests) kept by [`RouteCache`]; when full it starts afresh.
const ROUTE_CACHE_ENTRIES: usize = 4096;

/// The hot path of helper route lines. A helper pushing routes writes `announce route
/// PREFIX REST` lines where REST (the attributes) repeats across prefixes. The first line of
/// each (helper, action, address family, REST) is parsed and converted in full, for every
/// neighbor it reaches; its attribute set is interned once in each neighbor's adj-rib-out,
/// the cache holding one reference so the id stays valid. Later lines with that REST parse
/// only their prefix (no allocation) and go straight into the adj-rib-outs with the
/// interned id: no normalised line, tokens, `Route`, conversion, hashing of the attribute
/// set, or target list per line. Answers and log lines are those of the full path; any
/// line the fast path cannot vouch for (another shape, a prefix `parse` would refuse, a
/// `split` that does not fit) takes the full path.
#[derive(Default)]
pub(super) struct RouteCache {
    /// Per helper index, keyed by action, address family and REST (see
    /// [`RouteCache::key`]; SipHash, randomly keyed: the keys come from helpers).
    entries: HashMap<usize, HashMap<Box<str>, CachedRoute>, FastHash>,
    /// How many entries in all.
    count: usize,
    /// Per helper index: the sessions its route commands reach and their names, in the
    /// full path's order.
    targets: HashMap<usize, Vec<(EndpointId, String)>, FastHash>,
    /// The neighbors changed since the cache was filled: it must start afresh.
    stale: bool,
    /// Scratch: the key of the line at hand, its NLRI.
    key: String,
    nlris: Vec<Nlri>,
}

/// One parsed REST: the route (with the prefix it was first seen with) and its attribute
/// set's id in each target's adj-rib-out (the same order as [`RouteCache::targets`]).
struct CachedRoute {
    route: crate::config::model::ConfiguredRoute,
    family: Family,
    ids: Vec<AttrId>,
}

impl RouteCache {
    /// The neighbors were added or removed: targets and ids are rebuilt from the next line.
    pub(super) fn neighbors_changed(&mut self) {
        self.stale = true;
    }

    /// Fills `self.key` for a line.
    fn key(&mut self, action: Action, ipv6: bool, rest: &str) {
        self.key.clear();
        self.key.push(match action {
            Action::Announce => 'a',
            Action::Withdraw => 'w',
        });
        self.key.push(if ipv6 { '6' } else { '4' });
        self.key.push_str(rest);
    }

    /// Forgets everything, giving back the references held in the adj-rib-outs.
    fn clear(&mut self, reactor: &mut Reactor<NeighborEndpoint>) {
        for (index, entries) in self.entries.drain() {
            let Some(targets) = self.targets.get(&index) else {
                continue;
            };
            for entry in entries.into_values() {
                for ((id, _), attr) in targets.iter().zip(&entry.ids) {
                    reactor.with_endpoint(*id, |session, _| session.peer.rib_mut().release(*attr));
                }
            }
        }
        self.count = 0;
        self.targets.clear();
        self.stale = false;
    }
}

/// What the fast path did with a line.
enum Fast {
    /// Run and answered.
    Done,
    /// Not for the fast path: the full path runs it (with the parse already made, if any).
    Slow(Option<Result<ParsedCommand, CommandError>>),
}

/// What a command asks of the daemon once it has answered.
enum After {
    Nothing,
    Shutdown,
    Reload,
    Restart,
}

impl Daemon {
    /// One line from helper `index`: parsed, run, answered (`done` / `error` when its acks
    /// are on). Nothing a helper writes can stop the daemon but `shutdown`.
    pub(super) fn helper_line(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        index: usize,
        line: &str,
    ) {
        let mut parsed = None;
        if let Some((action, prefix, rest)) = command::split_route_line(line) {
            match self.fast_route(reactor, index, line, action, prefix, rest) {
                Fast::Done => return,
                Fast::Slow(done) => parsed = done,
            }
        }
        let process = self
            .helpers
            .list
            .get(index)
            .map_or_else(String::new, |h| h.name.clone());
        if let Some(text) = line.strip_prefix("debug ") {
            log::warn!("process {process}: {text}");
            return;
        }
        if line.trim().is_empty() {
            return;
        }
        let parsed = match parsed.unwrap_or_else(|| command::parse(line)) {
            Ok(parsed) => parsed,
            Err(error) => {
                log::warn!("process {process}: {error} (line: {line:?})");
                self.helpers.ack(reactor, index, false);
                return;
            }
        };
        log::debug!("process {process}: {line}");
        let mut output: Vec<String> = Vec::new();
        let (ok, after) = match self.run_command(reactor, index, &process, parsed, &mut output) {
            Ok(after) => (true, after),
            Err(reason) => {
                log::warn!("process {process}: {reason} (line: {line:?})");
                (false, After::Nothing)
            }
        };
        for text in &output {
            self.helpers.write_line(reactor, index, text);
        }
        match after {
            After::Nothing => self.helpers.ack(reactor, index, ok),
            // Answered before acting: the answer must reach the helper first.
            After::Shutdown => {
                self.helpers.ack(reactor, index, true);
                self.stop(reactor);
            }
            After::Reload => {
                self.helpers.ack(reactor, index, true);
                self.reload(reactor);
            }
            After::Restart => {
                self.helpers.ack(reactor, index, true);
                self.restart_all(reactor);
            }
        }
    }

    /// A `announce|withdraw route PREFIX REST` line through the [`RouteCache`].
    fn fast_route(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        index: usize,
        line: &str,
        action: Action,
        prefix: &str,
        rest: &str,
    ) -> Fast {
        if self.route_cache.stale {
            self.route_cache.clear(reactor);
        }
        let Some(prefix) = command::route_prefix(prefix) else {
            return Fast::Slow(None);
        };
        self.route_cache.key(action, prefix.is_ipv6(), rest);
        // The key is hashed once for a line that hits, twice after a fill.
        if let Some(done) = self.apply_cached_route(reactor, index, line, action, prefix) {
            return done;
        }
        if let Err(parsed) = self.fill_route_cache(reactor, index, line) {
            return Fast::Slow(parsed);
        }
        self.apply_cached_route(reactor, index, line, action, prefix)
            .unwrap_or(Fast::Slow(None))
    }

    /// Runs a route line with the cache entry under the key at hand; `None` without one.
    fn apply_cached_route(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        index: usize,
        line: &str,
        action: Action,
        prefix: Prefix,
    ) -> Option<Fast> {
        let cache = &mut self.route_cache;
        let entry = cache.entries.get(&index)?.get(cache.key.as_str())?;
        let Some(targets) = cache.targets.get(&index) else {
            return Some(Fast::Slow(None));
        };
        // The cached route with this line's prefix: its NLRI (several with `split`).
        cache.nlris.clear();
        let nlris = &mut cache.nlris;
        if plain_route_nlris(&entry.route, prefix, |nlri| nlris.push(nlri)).is_err() {
            return Some(Fast::Slow(None));
        }
        let family = entry.family;
        let process = self.helpers.list.get(index).map_or("", |h| h.name.as_str());
        log::debug!("process {process}: {line}");
        for ((id, name), attr) in targets.iter().zip(&entry.ids) {
            reactor.with_endpoint_batched(*id, |session| {
                let rib = session.peer.rib_mut();
                for nlri in nlris.iter() {
                    rib.retain(*attr);
                    match action {
                        Action::Announce => rib.announce_id(family, nlri.clone(), *attr),
                        Action::Withdraw => rib.withdraw_id(family, nlri.clone(), *attr),
                    }
                }
            });
            log::info!(
                "neighbor {name}: {} {} route(s) from process {process}",
                action.name(),
                nlris.len()
            );
        }
        self.helpers.ack(reactor, index, true);
        Some(Fast::Done)
    }

    /// Parses `line` in full and, when it is one plain prefix route for the neighbors
    /// helper `index` drives, caches it under the key at hand. Otherwise gives back the
    /// parse for the full path.
    fn fill_route_cache(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        index: usize,
        line: &str,
    ) -> Result<(), Option<Result<ParsedCommand, CommandError>>> {
        let parsed = command::parse(line);
        let route = match &parsed {
            Ok(ParsedCommand {
                selectors: None,
                json: false,
                command: Command::Routes { routes, .. },
            }) if routes.len() == 1 => routes.first(),
            _ => None,
        };
        let Some(route) = route else {
            return Err(Some(parsed));
        };
        if !self.route_cache.targets.contains_key(&index) {
            let Ok(command) = &parsed else {
                return Err(Some(parsed));
            };
            let targets: Vec<(EndpointId, String)> = self
                .targets(reactor, index, command)
                .into_iter()
                .filter_map(|id| Some((id, self.apis.get(&id)?.name.clone())))
                .collect();
            self.route_cache.targets.insert(index, targets);
        }
        let targets = self.route_cache.targets.get(&index).map_or(&[][..], |t| t);
        if targets.is_empty() {
            return Err(Some(parsed));
        }
        // Every target's attribute set, before any is interned (a failure leaves nothing).
        let mut sets = Vec::with_capacity(targets.len());
        for (id, _) in targets {
            let Some(api) = self.apis.get(id) else {
                return Err(Some(parsed));
            };
            match plain_route_attributes(route, &api.routes) {
                Some(Ok(attributes)) => sets.push(attributes),
                _ => return Err(Some(parsed)),
            }
        }
        let mut ids = Vec::with_capacity(targets.len());
        for ((id, _), attributes) in targets.iter().zip(&sets) {
            let interned =
                reactor.with_endpoint(*id, |session, _| session.peer.rib_mut().intern(attributes));
            let Some(interned) = interned else {
                // A session gone without notice: give back what was taken.
                for ((id, _), attr) in targets.iter().zip(&ids) {
                    reactor.with_endpoint(*id, |session, _| session.peer.rib_mut().release(*attr));
                }
                return Err(Some(parsed));
            };
            ids.push(interned);
        }
        if self.route_cache.count >= ROUTE_CACHE_ENTRIES {
            // Starting afresh drops the targets too: keep this entry's.
            let targets = self.route_cache.targets.get(&index).cloned();
            self.route_cache.clear(reactor);
            if let Some(targets) = targets {
                self.route_cache.targets.insert(index, targets);
            }
        }
        let entry = CachedRoute {
            family: route.family(),
            route: route.clone(),
            ids,
        };
        let key: Box<str> = self.route_cache.key.as_str().into();
        self.route_cache
            .entries
            .entry(index)
            .or_default()
            .insert(key, entry);
        self.route_cache.count += 1;
        Ok(())
    }

    /// The sessions command `parsed` reaches: neighbors process `index` may drive (all of
    /// them for the CLI bridge), matching the selectors, established ones only when the command needs it.
    fn targets(
        &self,
        reactor: &Reactor<NeighborEndpoint>,
        index: usize,
        parsed: &ParsedCommand,
    ) -> Vec<EndpointId> {
        let drives_all = self.helpers.drives_all(index);
        let mut ids: Vec<(String, EndpointId)> = self
            .apis
            .iter()
            .filter(|(_, api)| drives_all || api.allows(index))
            .filter(|(_, api)| {
                parsed
                    .selectors
                    .as_deref()
                    .map_or(true, |selectors| matches_any(selectors, &api.description))
            })
            .filter(|(id, _)| {
                !parsed.command.needs_established()
                    || reactor
                        .endpoint(**id)
                        .is_some_and(|s| s.peer.label() == FsmLabel::Established)
            })
            .map(|(id, api)| (api.name.clone(), *id))
            .collect();
        // A stable order (the map's is random): by neighbor address text.
        ids.sort_by(|a, b| a.0.cmp(&b.0));
        ids.into_iter().map(|(_, id)| id).collect()
    }

    fn run_command(
        &mut self,
        reactor: &mut Reactor<NeighborEndpoint>,
        index: usize,
        process: &str,
        parsed: ParsedCommand,
        output: &mut Vec<String>,
    ) -> Result<After, String> {
        if parsed.json && !parsed.command.supports_json() {
            return Err("this command does not support json output".into());
        }
        let targets = if parsed.command.targets_neighbors() {
            let targets = self.targets(reactor, index, &parsed);
            if targets.is_empty() {
                return Err("no neighbor matches the command".into());
            }
            targets
        } else {
            Vec::new()
        };
        match parsed.command {
            Command::Routes { action, routes } => {
                let mut converted: Vec<Route> = Vec::new();
                for id in targets {
                    let Some(api) = self.apis.get(&id) else {
                        continue;
                    };
                    converted.clear();
                    for route in &routes {
                        convert_route(route, &api.routes, &mut converted)
                            .map_err(|e| e.to_string())?;
                    }
                    let name = api.name.clone();
                    reactor.with_endpoint(id, |session, _| {
                        let rib = session.peer.rib_mut();
                        for route in &converted {
                            apply_route(rib, action, route);
                        }
                    });
                    log::info!(
                        "neighbor {name}: {} {} route(s) from process {process}",
                        action.name(),
                        converted.len()
                    );
                }
                Ok(After::Nothing)
            }
            Command::Watchdog { action, name } => {
                let name = name.unwrap_or_else(|| process.to_owned());
                let drives_all = self.helpers.drives_all(index);
                let ids: Vec<EndpointId> = self
                    .apis
                    .iter()
                    .filter(|(_, api)| drives_all || api.allows(index))
                    .map(|(id, _)| *id)
                    .collect();
                for id in ids {
                    reactor.with_endpoint(id, |session, _| {
                        let rib = session.peer.rib_mut();
                        match action {
                            Action::Announce => rib.announce_watchdog(&name),
                            Action::Withdraw => rib.withdraw_watchdog(&name),
                        }
                    });
                }
                Ok(After::Nothing)
            }
            Command::EndOfRib { family } => {
                for id in targets {
                    reactor
                        .with_endpoint(id, |session, _| session.peer.rib_mut().queue_eor(family));
                }
                Ok(After::Nothing)
            }
            Command::FlushAdjRibOut => {
                for id in targets {
                    reactor.with_endpoint(id, |session, _| session.peer.rib_mut().flush());
                }
                Ok(After::Nothing)
            }
            Command::ClearAdjRib { direction } => {
                for id in targets {
                    match direction {
                        RibDirection::Out => {
                            reactor.with_endpoint(id, |session, _| session.peer.rib_mut().clear());
                        }
                        RibDirection::In => {
                            if let Some(rib) = self.ribs_in.get_mut(&id) {
                                rib.clear();
                            }
                        }
                    }
                }
                Ok(After::Nothing)
            }
            Command::Teardown { subcode } => {
                for id in targets {
                    reactor.with_endpoint(id, |session, _| {
                        // ExaBGP's Notify(6, code): the subcode's name, length-prefixed
                        // (RFC 9003) for 2 and 4.
                        session.peer.reset(Notification::teardown(subcode))
                    });
                }
                Ok(After::Nothing)
            }
            Command::RouteRefresh { family } => {
                for id in targets {
                    reactor.with_endpoint(id, |session, _| {
                        session.peer.rib_mut().queue_route_refresh(family)
                    });
                }
                Ok(After::Nothing)
            }
            // An unknown operational type is answered `done` and ignored (ExaBGP).
            Command::Operational { message: None } => Ok(After::Nothing),
            Command::Operational { .. } => {
                Err("announce operational is not supported by rexa yet".into())
            }
            Command::ShowNeighbor { view, peer } => {
                // ExaBGP checks `json` first, and its JSON lists every neighbor.
                if parsed.json {
                    self.show_neighbor_json(reactor, output);
                    return Ok(After::Nothing);
                }
                match view {
                    NeighborView::Usage => {
                        output.extend(command::SHOW_NEIGHBOR_USAGE.iter().map(|l| (*l).to_owned()))
                    }
                    NeighborView::Summary => self.show_summary(reactor, peer, output),
                    NeighborView::Extensive => self.show_extensive(reactor, peer, output),
                    NeighborView::Configuration => self.show_configuration(peer, output),
                }
                Ok(After::Nothing)
            }
            Command::ShowAdjRib {
                direction,
                extensive,
                peer,
                kind,
            } => {
                let v2 = self.env.api.show_routes_format == "v2";
                let query = RibQuery {
                    direction,
                    extensive,
                    peer,
                    kind,
                    v2_json: parsed.json && v2,
                };
                if parsed.json {
                    self.show_adj_rib_json(reactor, query, v2, output);
                } else {
                    self.show_adj_rib(reactor, query, output);
                }
                Ok(After::Nothing)
            }
            Command::Shutdown => {
                output.push("shutdown in progress".into());
                Ok(After::Shutdown)
            }
            Command::Reload => {
                output.push("reload in progress".into());
                Ok(After::Reload)
            }
            Command::Restart => {
                output.push("restart in progress".into());
                Ok(After::Restart)
            }
            Command::Version => {
                output.push(format!("rexa {}", env!("CARGO_PKG_VERSION")));
                Ok(After::Nothing)
            }
            Command::Help => {
                output.extend(command::HELP_LINES.iter().map(|l| (*l).to_owned()));
                Ok(After::Nothing)
            }
            Command::EnableAck => {
                if let Some(helper) = self.helpers.list.get_mut(index) {
                    helper.ack = true;
                }
                Ok(After::Nothing)
            }
            Command::DisableAck => {
                // This command is still answered, then silence.
                self.helpers.write_line(reactor, index, "done");
                if let Some(helper) = self.helpers.list.get_mut(index) {
                    helper.ack = false;
                }
                Ok(After::Nothing)
            }
            Command::SilenceAck => {
                if let Some(helper) = self.helpers.list.get_mut(index) {
                    helper.ack = false;
                }
                Ok(After::Nothing)
            }
            // Commands run at once: nothing is ever queued to drop.
            Command::Reset => Ok(After::Nothing),
            Command::Comment { text } => {
                log::info!("process {process}: # {text}");
                Ok(After::Nothing)
            }
            Command::Debug { text } => {
                log::warn!("process {process}: {text}");
                Ok(After::Nothing)
            }
        }
    }

    /// `show neighbor summary`: one line per neighbor (api.md §5.9).
    fn show_summary(
        &self,
        reactor: &Reactor<NeighborEndpoint>,
        peer: Option<IpAddr>,
        output: &mut Vec<String>,
    ) {
        // ExaBGP's header: the `|` takes the separator's place before `#sent`.
        output.push(format!(
            "{:<15} {:<7} {:>9} {:<12}{:>11} {:>10}",
            "Peer", "AS", "up/down", "state", "|     #sent", "#recvd"
        ));
        let mut rows: Vec<(String, String)> = Vec::new();
        for (id, api) in &self.apis {
            if peer.is_some_and(|p| p != api.identity.peer_address) {
                continue;
            }
            let Some(session) = reactor.endpoint(*id) else {
                continue;
            };
            let state = session.peer.label().name().to_lowercase();
            let up = api.established_at.map_or_else(
                || "down".to_owned(),
                |at| {
                    let s = Instant::now().saturating_duration_since(at).as_secs();
                    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
                },
            );
            let sent = session.peer.rib().stats().updates_sent;
            let mut line = String::new();
            let _ = write!(
                line,
                "{:<15} {:<7} {:>9} {:<12} {:>10} {:>10}",
                api.identity.peer_address.to_string(),
                api.identity.peer_asn,
                up,
                state,
                sent,
                api.updates_received
            );
            rows.push((api.name.clone(), line));
        }
        rows.sort();
        output.extend(rows.into_iter().map(|(_, line)| line));
    }

    /// The report of neighbor `id` (`show neighbor extensive|json`).
    fn neighbor_report(
        &self,
        reactor: &Reactor<NeighborEndpoint>,
        id: EndpointId,
        now: Instant,
    ) -> Option<show::Report> {
        let api = self.apis.get(&id)?;
        let session = reactor.endpoint(id)?;
        let facts = show::Facts {
            peer_address: api.identity.peer_address,
            local_as: api.identity.local_asn,
            peer_as: api.identity.peer_asn,
            state: session.peer.label().name(),
            established_at: api.established_at,
            negotiation: api.negotiation.as_deref(),
            sent: session.peer.sent_messages(),
        };
        Some(show::Report::new(&api.show, &facts, now))
    }

    /// The neighbors in a stable order (by address text), those whose description contains
    /// `peer` when given (ExaBGP's filter is a substring match).
    fn ordered_ids(&self, peer: Option<IpAddr>) -> Vec<EndpointId> {
        let filter = peer.map(|p| p.to_string());
        let mut ids: Vec<(&String, EndpointId)> = self
            .apis
            .iter()
            .filter(|(_, api)| {
                filter
                    .as_deref()
                    .map_or(true, |p| api.description.contains(p))
            })
            .map(|(id, api)| (&api.name, *id))
            .collect();
        ids.sort_by(|a, b| a.0.cmp(b.0));
        ids.into_iter().map(|(_, id)| id).collect()
    }

    /// `show neighbor extensive [<ip>]`: one block per neighbor.
    fn show_extensive(
        &self,
        reactor: &Reactor<NeighborEndpoint>,
        peer: Option<IpAddr>,
        output: &mut Vec<String>,
    ) {
        let now = Instant::now();
        for id in self.ordered_ids(peer) {
            if let Some(report) = self.neighbor_report(reactor, id, now) {
                report.extensive_lines(output);
            }
        }
    }

    /// `show neighbor configuration [<ip>]`: each neighbor in configuration syntax.
    fn show_configuration(&self, peer: Option<IpAddr>, output: &mut Vec<String>) {
        for id in self.ordered_ids(peer) {
            if let Some(api) = self.apis.get(&id) {
                output.extend(api.show.configuration.lines().map(str::to_owned));
            }
        }
    }

    /// `show neighbor json`: one JSON array of every neighbor (ExaBGP ignores the filter).
    fn show_neighbor_json(&self, reactor: &Reactor<NeighborEndpoint>, output: &mut Vec<String>) {
        let now = Instant::now();
        let mut line = String::from("[");
        let mut first = true;
        for id in self.ordered_ids(None) {
            if let Some(report) = self.neighbor_report(reactor, id, now) {
                if !first {
                    line.push_str(", ");
                }
                first = false;
                report.json_into(&mut line);
            }
        }
        line.push(']');
        output.push(line);
    }

    /// The routes of neighbor `id` a `show adj-rib` query lists, in text order:
    /// (family, NLRI, next-hop, attribute texts).
    fn rib_routes(
        &self,
        reactor: &Reactor<NeighborEndpoint>,
        id: EndpointId,
        query: &RibQuery,
    ) -> Vec<ShownRoute> {
        let mut routes: Vec<ShownRoute> = Vec::new();
        match query.direction {
            RibDirection::Out => {
                let Some(session) = reactor.endpoint(id) else {
                    return routes;
                };
                for (family, nlri, attributes) in session.peer.rib().announced_routes() {
                    if !show::kind_matches(query.kind, &nlri) {
                        continue;
                    }
                    let next_hop = if let Some(hop) = attributes.next_hop() {
                        Some(hop.to_string())
                    } else if attributes.is_self_next_hop() {
                        // ExaBGP shows `self` resolved: the session's local address.
                        let local = self.apis.get(&id).map(|a| a.identity.local_address);
                        Some(local.map_or_else(|| "self".to_owned(), |a| a.to_string()))
                    } else {
                        None
                    };
                    let texts = attribute_texts(attributes);
                    routes.push(ShownRoute {
                        family,
                        nlri,
                        next_hop,
                        attributes: texts,
                        raw: raw_attributes(query, attributes),
                    });
                }
            }
            RibDirection::In => {
                let Some(rib) = self.ribs_in.get(&id) else {
                    return routes;
                };
                for (family, nlri, attributes) in rib.iter() {
                    if show::kind_matches(query.kind, &nlri) {
                        routes.push(ShownRoute {
                            family,
                            nlri,
                            next_hop: attributes.next_hop().map(|hop| hop.to_string()),
                            attributes: attribute_texts(attributes),
                            raw: raw_attributes(query, attributes),
                        });
                    }
                }
            }
        }
        routes.sort_by_cached_key(|r| format!("{} {}", r.family, r.nlri));
        routes
    }

    /// `show adj-rib out|in [extensive] [<ip>|inet|flow|l2vpn]`: one line per route.
    fn show_adj_rib(
        &self,
        reactor: &Reactor<NeighborEndpoint>,
        query: RibQuery,
        output: &mut Vec<String>,
    ) {
        for id in self.rib_ids(query.peer) {
            let Some(api) = self.apis.get(&id) else {
                continue;
            };
            let prefix = if query.extensive {
                api.description.clone()
            } else {
                api.identity.peer_address.to_string()
            };
            for route in self.rib_routes(reactor, id, &query) {
                let line = show::adj_rib_line(&prefix, &route.view(), query.extensive);
                output.push(line);
            }
        }
    }

    /// `show adj-rib ... json`: v1, one `{"<ip>": {"routes": [<route>]}}` line per route
    /// with a prefix (ExaBGP 5.0.15 as captured: one route a line, not cumulative); v2, one `{"peer": {...}, "route": {...}}` line per route.
    fn show_adj_rib_json(
        &self,
        reactor: &Reactor<NeighborEndpoint>,
        query: RibQuery,
        v2: bool,
        output: &mut Vec<String>,
    ) {
        let now = Instant::now();
        for id in self.rib_ids(query.peer) {
            let Some(api) = self.apis.get(&id) else {
                continue;
            };
            let address = api.identity.peer_address.to_string();
            // With `extensive` the neighbor's report joins in (v1: after the routes; v2: its
            // `peer` replaces the address, the route comes last).
            let mut report_keys = String::new();
            if query.extensive {
                if let Some(r) = self.neighbor_report(reactor, id, now) {
                    r.json_fields(&mut report_keys, v2);
                }
            }
            for route in self.rib_routes(reactor, id, &query) {
                let line = show::adj_rib_json_line(&address, &report_keys, &route.view(), v2);
                output.extend(line);
            }
        }
    }

    /// The neighbors `show adj-rib` covers: all, or those with address `peer`.
    fn rib_ids(&self, peer: Option<IpAddr>) -> Vec<EndpointId> {
        let mut ids: Vec<(&String, EndpointId)> = self
            .apis
            .iter()
            .filter(|(_, api)| peer.map_or(true, |p| p == api.identity.peer_address))
            .map(|(id, api)| (&api.name, *id))
            .collect();
        ids.sort_by(|a, b| a.0.cmp(b.0));
        ids.into_iter().map(|(_, id)| id).collect()
    }
}

/// What `show adj-rib` asked for.
struct RibQuery {
    direction: RibDirection,
    extensive: bool,
    peer: Option<IpAddr>,
    kind: RibKind,
    /// The attributes are wanted as v2 JSON.
    v2_json: bool,
}

/// One route as `show adj-rib` shows it.
struct ShownRoute {
    family: crate::bgp::family::Family,
    nlri: crate::bgp::nlri::Nlri,
    /// `next-hop` text (extensive form): an address or `self`.
    next_hop: Option<String>,
    /// The other attributes in configuration syntax.
    attributes: Vec<String>,
    /// The attributes themselves (v2 JSON), when the query asks for them.
    raw: Vec<crate::bgp::attribute::Attribute>,
}

impl ShownRoute {
    /// The route as `api::show` renders it.
    fn view(&self) -> show::RibRoute<'_> {
        show::RibRoute {
            family: self.family,
            nlri: &self.nlri,
            next_hop: self.next_hop.as_deref(),
            texts: &self.attributes,
            attributes: &self.raw,
        }
    }
}

/// A route's attributes for v2 JSON (none otherwise).
fn raw_attributes(
    query: &RibQuery,
    attributes: &crate::rib::PathAttributes,
) -> Vec<crate::bgp::attribute::Attribute> {
    if query.v2_json {
        attributes.attributes().to_vec()
    } else {
        Vec::new()
    }
}

/// A route's attributes (next-hop aside) in configuration syntax, for `extensive`.
fn attribute_texts(attributes: &crate::rib::PathAttributes) -> Vec<String> {
    attributes
        .attributes()
        .iter()
        .filter_map(crate::api::attribute::text_entry)
        .collect()
}

fn apply_route(rib: &mut crate::rib::AdjRibOut, action: Action, route: &Route) {
    match action {
        Action::Announce => {
            if let Some(name) = &route.watchdog {
                if !rib.add_watchdog_route(
                    name,
                    route.family,
                    route.nlri.clone(),
                    &route.attributes,
                    !route.withdrawn,
                ) {
                    return;
                }
            } else if route.withdrawn {
                return;
            }
            rib.announce(route.family, route.nlri.clone(), &route.attributes);
        }
        Action::Withdraw => rib.withdraw(route.family, route.nlri.clone(), &route.attributes),
    }
}
