//! The packer of the adj-rib-out: the session's view of the table (what is owed to the
//! peer), and the drain that turns it into UPDATE messages as ExaBGP packs them.
//!
//! A snapshot turns the pending list, in place, into sorted items `rank | action | key`
//! (rank: the order in which the batch first used each attribute set) and a drain walks
//! them lazily, a few messages per call, asking `bgp::update` to frame each message.

use std::net::{IpAddr, Ipv6Addr};

use super::*;
use crate::bgp::family::{Afi, Safi};
use crate::bgp::flow::is_flow_family;
use crate::bgp::message::{size_limit, write_keepalive};
use crate::bgp::negotiated::Negotiated;
use crate::bgp::nlri::NextHop;
use crate::bgp::refresh::{write_route_refresh, RefreshSubtype};
use crate::bgp::update::{
    nlri_room, write_end_of_rib, write_ipv4_announce, write_ipv4_withdraw, write_mp_announce,
    write_mp_withdraw, write_mp_withdraw_after,
};

/// One unit of drain work.
pub(super) enum Job {
    /// A ROUTE-REFRESH with this subtype (BoRR / EoRR).
    Refresh(Family, RefreshSubtype),
    Items(ItemsJob),
}

/// Sorted items, walked from `cursor`. `resend` items send the current announcement
/// whatever is pending; change items only what has not changed since the snapshot.
pub(super) struct ItemsJob {
    items: Vec<u64>,
    cursor: usize,
    resend: bool,
    /// The table's change counter when the items were made: while it is unchanged every
    /// item is current and its attribute set is `attrs[rank]`, so no lookup is needed.
    epoch: u64,
    /// Attribute set of each rank.
    attrs: Vec<AttrId>,
}

/// Gives each attribute set a rank in order of first use.
#[derive(Default)]
pub(super) struct Ranker {
    rank_of: Vec<u32>,
    attrs: Vec<AttrId>,
}

impl Ranker {
    fn rank(&mut self, attr: AttrId) -> u64 {
        let index = attr as usize;
        if index >= self.rank_of.len() {
            self.rank_of.resize(index + 1, u32::MAX);
        }
        let Some(slot) = self.rank_of.get_mut(index) else {
            return RANK_MAX << RANK_SHIFT;
        };
        if *slot == u32::MAX {
            *slot = self.attrs.len() as u32;
            self.attrs.push(attr);
        }
        rank_bits(u64::from(*slot))
    }
}

impl AdjRibOut {
    // -----------------------------------------------------------------------------------
    // Session events
    // -----------------------------------------------------------------------------------

    /// The session reached ESTABLISHED: forget what was in flight, drop withdrawals (the
    /// new peer has nothing), and queue the whole table, then End-of-RIB unless manual.
    pub fn session_up(&mut self, session: SendContext) {
        self.session = Some(session);
        self.attributes.forget_encodings();
        self.jobs.clear();
        self.pending = Vec::new();
        self.epoch = self.epoch.wrapping_add(1);
        let mut ranker = Ranker::default();
        let mut items: Vec<u64> =
            Vec::with_capacity(self.compact.len() + self.prefixes.len() + self.arena.len());
        let attributes = &mut self.attributes;
        self.compact.retain(|_, entry| {
            if !entry.announced() {
                attributes.release(entry.attr);
            }
            entry.announced()
        });
        // Rank attribute sets by id (their creation order), not by the hash map's
        // iteration order, which is random: the table is re-sent in a deterministic order.
        let mut used: Vec<bool> = Vec::new();
        let prefix_entries = self
            .prefixes
            .places()
            .filter(|(_, r)| !r.is_vacant())
            .map(|(_, r)| &r.entry);
        let arena_entries = self
            .arena
            .places()
            .filter_map(|(_, slot)| slot.entry.as_ref());
        let announced_attrs = self.compact.values().map(|e| e.attr).chain(
            prefix_entries
                .chain(arena_entries)
                .filter(|entry| entry.announced())
                .map(|entry| entry.attr),
        );
        for attr in announced_attrs {
            let index = attr as usize;
            if index >= used.len() {
                used.resize(index + 1, false);
            }
            if let Some(flag) = used.get_mut(index) {
                *flag = true;
            }
        }
        for (index, _) in used.iter().enumerate().filter(|(_, used)| **used) {
            ranker.rank(index as AttrId);
        }
        for (key, entry) in self.compact.iter_mut() {
            entry.flags &= FLAG_ANNOUNCED | FLAG_CONFIGURED;
            items.push(ranker.rank(entry.attr) | BIT_ANNOUNCE | key);
        }
        // Withdrawals are dropped (the new peer has nothing); removed after the walk.
        let mut dropped: Vec<u64> = Vec::new();
        let prefixes = self
            .prefixes
            .places_mut()
            .filter(|(_, r)| !r.is_vacant())
            .map(|(i, r)| (TAG_PREFIXES | u64::from(i), &mut r.entry));
        let arena = self
            .arena
            .places_mut()
            .filter_map(|(i, s)| Some((TAG_ARENA | u64::from(i), s.entry.as_mut()?)));
        for (key, entry) in prefixes.chain(arena) {
            if entry.announced() {
                entry.flags &= FLAG_ANNOUNCED | FLAG_CONFIGURED;
                items.push(ranker.rank(entry.attr) | BIT_ANNOUNCE | key);
            } else {
                attributes.release(entry.attr);
                dropped.push(key);
            }
        }
        for key in dropped {
            self.remove_key(key);
        }
        self.push_items(items, ranker, false);
        self.skip_withdrawals = true;
        self.eor_due = !self.options.manual_eor;
        self.queued_eors.clear();
    }

    /// Sorts `items` and queues them as a job.
    fn push_items(&mut self, mut items: Vec<u64>, ranker: Ranker, resend: bool) {
        self.sort_items(&mut items);
        if !items.is_empty() {
            self.jobs.push_back(Job::Items(ItemsJob {
                items,
                cursor: 0,
                resend,
                epoch: self.epoch,
                attrs: ranker.attrs,
            }));
        }
    }

    /// The session went down: pending work is dropped, the table is kept for the next one.
    pub fn session_down(&mut self) {
        self.session = None;
        self.jobs.clear();
        self.pending = Vec::new();
        self.eor_due = false;
        self.queued_eors.clear();
        let keys: Vec<u64> = self.all_keys().collect();
        for key in keys {
            match self.entry_at(key) {
                Some(entry) if entry.announced() => {
                    self.set_flags(key, entry.flags & (FLAG_ANNOUNCED | FLAG_CONFIGURED))
                }
                Some(entry) => {
                    self.attributes.release(entry.attr);
                    self.remove_key(key);
                }
                None => {}
            }
        }
    }

    pub fn is_established(&self) -> bool {
        self.session.is_some()
    }

    /// A ROUTE-REFRESH asked for `family` (or a flush for all families with `None`): every
    /// announced route of it is sent again, framed by BoRR/EoRR when `enhanced`.
    pub fn resend(&mut self, family: Option<Family>, enhanced: bool) {
        let Some(session) = &self.session else { return };
        let families: Vec<Family> = session
            .negotiated
            .families
            .iter()
            .copied()
            .filter(|f| family.map_or(true, |wanted| wanted == *f))
            .collect();
        if families.is_empty() {
            return;
        }
        let mut ranker = Ranker::default();
        let mut items = Vec::new();
        let keys: Vec<u64> = self.all_keys().collect();
        for key in keys {
            if let Some((route_family, entry)) = self.family_entry(key) {
                if entry.announced() && families.contains(&route_family) {
                    items.push(ranker.rank(entry.attr) | BIT_ANNOUNCE | key);
                }
            }
        }
        if enhanced {
            for family in &families {
                self.jobs
                    .push_back(Job::Refresh(*family, RefreshSubtype::BEGIN));
            }
        }
        self.push_items(items, ranker, true);
        if enhanced {
            for family in &families {
                self.jobs
                    .push_back(Job::Refresh(*family, RefreshSubtype::END));
            }
        }
    }

    /// API `flush adj-rib out`: every announced route of every negotiated family again,
    /// framed by BoRR/EoRR when enhanced route refresh was negotiated.
    pub fn flush(&mut self) {
        let enhanced = self.session.as_ref().is_some_and(|s| s.enhanced_refresh);
        self.resend(None, enhanced);
    }

    /// Queues a ROUTE-REFRESH request for `family` to the peer (API `announce
    /// route-refresh`), sent at the next drain.
    pub fn queue_route_refresh(&mut self, family: Family) {
        if self.session.is_some() {
            self.jobs
                .push_back(Job::Refresh(family, RefreshSubtype::REQUEST));
        }
    }

    /// Queues an End-of-RIB for `family` (API `announce eor`), sent once the initial EOR
    /// burst is done and no UPDATE drain is running.
    pub fn queue_eor(&mut self, family: Family) {
        if self.session.is_some() {
            self.queued_eors.push_back(family);
        }
    }

    /// True while something is queued or being sent.
    pub fn has_work(&self) -> bool {
        !self.pending.is_empty()
            || !self.jobs.is_empty()
            || (self.session.is_some() && (self.eor_due || !self.queued_eors.is_empty()))
    }

    // -----------------------------------------------------------------------------------
    // Drain
    // -----------------------------------------------------------------------------------

    /// Appends whole messages to `out`, at most `max_messages` of them: the current job
    /// (re-send, snapshot of changes), then a new snapshot of the pending changes, then the
    /// End-of-RIB burst after the initial table, then API-queued End-of-RIB markers.
    pub fn drain(&mut self, out: &mut Vec<u8>, max_messages: usize) -> Drained {
        let Some(session) = self.session.take() else {
            return Drained::Done;
        };
        let result = self.drain_with(&session, out, max_messages);
        self.session = Some(session);
        // Decided with the session back in place: `has_work` counts a due End-of-RIB only
        // while there is a session, so inside `drain_with` a table ending exactly at the
        // budget looked finished and its End-of-RIB was never sent.
        if result == Drained::More || self.has_work() {
            Drained::More
        } else {
            Drained::Done
        }
    }

    fn drain_with(
        &mut self,
        session: &SendContext,
        out: &mut Vec<u8>,
        max_messages: usize,
    ) -> Drained {
        let mut written = 0;
        while written < max_messages {
            if let Some(job) = self.jobs.pop_front() {
                match job {
                    Job::Refresh(family, subtype) => {
                        write_route_refresh(out, family, subtype);
                        written += 1;
                    }
                    Job::Items(mut job) => {
                        written += self.pump(session, out, &mut job, max_messages - written);
                        if job.cursor < job.items.len() {
                            self.jobs.push_front(Job::Items(job));
                        } else if !job.resend {
                            self.skip_withdrawals = false;
                        }
                    }
                }
                continue;
            }
            if !self.pending.is_empty() {
                self.snapshot();
                continue;
            }
            if self.eor_due {
                self.eor_due = false;
                self.skip_withdrawals = false;
                if session.negotiated.families.is_empty() {
                    write_keepalive(out);
                    written += 1;
                }
                for family in &session.negotiated.families {
                    write_end_of_rib(out, *family);
                    written += 1;
                    self.updates_sent += 1;
                }
                continue;
            }
            if let Some(family) = self.queued_eors.pop_front() {
                write_end_of_rib(out, family);
                written += 1;
                self.updates_sent += 1;
                continue;
            }
            return Drained::Done;
        }
        if self.has_work() {
            Drained::More
        } else {
            Drained::Done
        }
    }

    /// Turns the pending list into a sorted job: rank = order of first use of each
    /// attribute set in this batch (ExaBGP's group-creation order).
    fn snapshot(&mut self) {
        let mut items = std::mem::take(&mut self.pending);
        let mut ranker = Ranker::default();
        let mut kept = 0;
        for i in 0..items.len() {
            let key = items[i];
            let Some(entry) = self.entry_mut(key) else {
                continue;
            };
            entry.flags &= !FLAG_PENDING;
            let entry = *entry;
            let action = if entry.announced() { BIT_ANNOUNCE } else { 0 };
            items[kept] = ranker.rank(entry.attr) | action | key;
            kept += 1;
        }
        items.truncate(kept);
        self.push_items(items, ranker, false);
    }

    /// Sorts items by rank, kind, action, then route order as ExaBGP sorts NLRI (path-id,
    /// then the wire form: length first). For compact keys the plain integer order is
    /// that order; runs of arena items are then ordered by their routes.
    fn sort_items(&self, items: &mut [u64]) {
        items.sort_unstable();
        let high = |x: u64| x & !(TAG_ARENA - 1);
        let mut start = 0;
        while start < items.len() {
            let head = high(items[start]);
            let mut end = start + 1;
            while end < items.len() && high(items[end]) == head {
                end += 1;
            }
            if head & TAG_ARENA != 0 && end - start > 1 {
                if let Some(run) = items.get_mut(start..end) {
                    run.sort_unstable_by(|a, b| self.compare_routes(*a, *b));
                }
            }
            start = end;
        }
    }

    /// Sends messages from the job's items; returns how many were written.
    fn pump(
        &mut self,
        session: &SendContext,
        out: &mut Vec<u8>,
        job: &mut ItemsJob,
        budget: usize,
    ) -> usize {
        let ctx = &session.negotiated;
        let mut written = 0;
        let mut keys = std::mem::take(&mut self.scratch_keys);
        while written < budget {
            let Some(&item) = job.items.get(job.cursor) else {
                break;
            };
            job.cursor += 1;
            let Some((family, nlri, attr, announce)) = self.resolve(item, job) else {
                continue;
            };
            let key = item & KEY_MASK;
            if !ctx.families.contains(&family) {
                continue;
            }
            if !announce && (self.skip_withdrawals || !self.peer_has(key)) {
                // Nothing to tell the peer: it never had the route.
                self.forget(key);
                continue;
            }
            let classic = family == Family::IPV4_UNICAST
                && (!announce || self.next_hop_is_ipv4(attr, session));
            self.scratch.clear();
            self.scratch.push(nlri);
            keys.clear();
            keys.push(key);
            // ExaBGP groups IPv4 unicast and MVPN routes sharing attributes (reactor.md).
            let grouped = classic || (announce && family.safi == Safi::MCAST_VPN);
            if grouped && self.options.group_updates {
                // Gather the following routes of the same group that fit this message;
                // superseded items on the way are skipped.
                let attr_len = if announce {
                    self.attributes.encoded(attr, session).len()
                } else {
                    0
                };
                let addpath = ctx.addpath_send(family);
                let room = nlri_room(ctx, attr_len, !classic);
                let mut used = self.scratch.first().map_or(0, |n| n.encoded_len(addpath));
                while let Some(&next) = job.items.get(job.cursor) {
                    let Some((f, n, a, action)) = self.resolve(next, job) else {
                        job.cursor += 1;
                        continue;
                    };
                    if !action && !self.peer_has(next & KEY_MASK) {
                        self.forget(next & KEY_MASK);
                        job.cursor += 1;
                        continue;
                    }
                    if f != family || a != attr || action != announce {
                        break;
                    }
                    let len = n.encoded_len(addpath);
                    if used + len > room {
                        break;
                    }
                    used += len;
                    self.scratch.push(n);
                    keys.push(next & KEY_MASK);
                    job.cursor += 1;
                }
            }
            if self.write(session, out, family, attr, announce, classic) {
                written += 1;
                self.updates_sent += 1;
                if announce && self.options.adj_rib_out {
                    for &key in &keys {
                        self.mark_sent(key);
                    }
                }
            } else {
                self.unsendable += keys.len() as u64;
            }
            // Forget what no longer needs keeping: sent withdrawals, and everything when
            // the neighbor keeps no adj-rib-out.
            if !announce || !self.options.adj_rib_out {
                for &key in &keys {
                    self.forget(key);
                }
            }
        }
        self.scratch_keys = keys;
        written
    }

    /// `next_hop` with our link-local address after a global IPv6 one, when both sides
    /// sent the link-local next-hop capability and `local-link-local` is configured
    /// (draft-ietf-idr-linklocal-capability; ExaBGP 6's encoding/conf-llnh-update.ci).
    fn with_link_local(&self, next_hop: NextHop, family: Family, session: &SendContext) -> NextHop {
        let Some(link_local) = self.options.local_link_local else {
            return next_hop;
        };
        if !session.link_local_nexthop || family.afi != Afi::IPV6 {
            return next_hop;
        }
        let is_global = |a: &Ipv6Addr| a.segments()[0] & 0xffc0 != 0xfe80 && !a.is_unspecified();
        match next_hop {
            NextHop::Ipv6(global) if is_global(&global) => {
                NextHop::Ipv6LinkLocal { global, link_local }
            }
            NextHop::VpnIpv6 { rd, addr } if is_global(&addr) => NextHop::VpnIpv6LinkLocal {
                rd,
                global: addr,
                link_local_rd: rd,
                link_local,
            },
            other => other,
        }
    }

    /// True when the peer may hold the route under `key` (its announcement was sent).
    fn peer_has(&self, key: u64) -> bool {
        self.entry_at(key).is_some_and(Entry::sent)
    }

    fn mark_sent(&mut self, key: u64) {
        if let Some(entry) = self.entry_mut(key) {
            entry.flags |= FLAG_SENT;
        }
    }

    /// Removes a route and releases its attribute set.
    fn forget(&mut self, key: u64) {
        if let Some(entry) = self.entry_at(key) {
            // Other jobs may still list it (adj-rib-out off): `remove_key` moves the epoch
            // so that they look it up.
            self.attributes.release(entry.attr);
            self.remove_key(key);
        }
    }

    /// The route behind `item` — family, NLRI, attribute set, announce — if the item is
    /// still current. Without any change since the job was made, compact items are read
    /// from the item itself.
    fn resolve(&self, item: u64, job: &ItemsJob) -> Option<(Family, Nlri, AttrId, bool)> {
        let announce = item & BIT_ANNOUNCE != 0;
        if job.epoch == self.epoch && item & TAG_ARENA == 0 {
            let rank = item >> RANK_SHIFT;
            if rank < RANK_MAX {
                if let Some(&attr) = job.attrs.get(rank as usize) {
                    let (family, nlri) = compact_route(item & KEY_MASK)?;
                    return Some((family, nlri, attr, announce));
                }
            }
        }
        let (family, nlri, entry) = self.valid(item, job.resend)?;
        Some((family, nlri, entry.attr, entry.announced()))
    }

    /// The route behind `item` if the item is still current.
    fn valid(&self, item: u64, resend: bool) -> Option<(Family, Nlri, Entry)> {
        let (family, nlri, entry) = self.lookup(item & KEY_MASK)?;
        let ok = if resend {
            entry.announced()
        } else {
            !entry.pending() && entry.announced() == (item & BIT_ANNOUNCE != 0)
        };
        ok.then_some((family, nlri, entry))
    }

    fn next_hop_is_ipv4(&self, id: AttrId, session: &SendContext) -> bool {
        matches!(
            self.attributes.get(id).and_then(|a| a.next_hop_on(session)),
            Some(IpAddr::V4(_))
        )
    }

    /// Writes one UPDATE for the routes in `scratch`; false when it could not be built.
    fn write(
        &mut self,
        session: &SendContext,
        out: &mut Vec<u8>,
        family: Family,
        attr: AttrId,
        announce: bool,
        classic: bool,
    ) -> bool {
        let ctx = &session.negotiated;
        let routes = std::mem::take(&mut self.scratch);
        let count = routes.len();
        let written = if classic {
            if announce {
                let attributes = self.attributes.encoded(attr, session);
                write_ipv4_announce(out, attributes, &routes, ctx)
            } else {
                write_ipv4_withdraw(out, &routes, ctx)
            }
        } else if announce {
            let next_hop = self
                .attributes
                .get(attr)
                .and_then(|a| a.next_hop_on(session))
                .map(|address| mp_next_hop(family, address, ctx))
                .map(|next_hop| self.with_link_local(next_hop, family, session))
                // FlowSpec needs none (RFC 8955 §4): an empty next-hop field.
                .or_else(|| is_flow_family(family).then_some(NextHop::None));
            match next_hop {
                Some(next_hop) => {
                    let attributes = self.attributes.encoded(attr, session);
                    write_mp_announce(out, attributes, family, &next_hop, &routes, ctx)
                }
                None => {
                    log::warn!("adj-rib-out: {family} route without next-hop cannot be announced");
                    0
                }
            }
        } else if family.safi == Safi::UNICAST || family.safi == Safi::MULTICAST {
            write_mp_withdraw(out, family, &routes, ctx)
        } else {
            // ExaBGP 5.0.15 withdraws the other families (labeled, VPN, FlowSpec, VPLS, MUP,
            // MVPN ...) with their attributes, and writes MP_UNREACH_NLRI with the one-byte
            // length whenever the value fits in 255 bytes (api/api-mvpn.ci; issue 10.3).
            let attributes = self.attributes.encoded(attr, session);
            write_mp_withdraw_after(out, attributes, family, &routes, ctx)
        };
        self.scratch = routes;
        if written < count {
            log::warn!(
                "adj-rib-out: {} {family} route(s) do not fit in an UPDATE of {} bytes with their attributes",
                count - written,
                size_limit(ctx)
            );
            // Whatever did not fit is dropped (ExaBGP logs and drops too); the rest went.
        }
        written > 0
    }

    /// Orders two items of one run as ExaBGP orders their routes (see [`nlri_order`]).
    fn compare_routes(&self, a: u64, b: u64) -> std::cmp::Ordering {
        let record = |x: u64| {
            (x & TAG_PREFIXES == TAG_PREFIXES)
                .then(|| self.prefixes.get((x & 0xFFFF_FFFF) as u32))
                .flatten()
                .filter(|r| !r.is_vacant())
        };
        if let (Some(ra), Some(rb)) = (record(a), record(b)) {
            return ra.key.order().cmp(&rb.key.order());
        }
        self.with_route(a, |ra| {
            self.with_route(b, |rb| {
                let a = ra.map(|(f, n)| (f, nlri_order(n)));
                let b = rb.map(|(f, n)| (f, nlri_order(n)));
                a.cmp(&b)
            })
        })
    }

    /// Calls `f` with the route behind a slab key (built for the prefix store).
    fn with_route<R>(&self, key: u64, f: impl FnOnce(Option<(Family, &Nlri)>) -> R) -> R {
        let index = (key & 0xFFFF_FFFF) as u32;
        if key & TAG_PREFIXES == TAG_PREFIXES {
            let route = self
                .prefixes
                .get(index)
                .filter(|r| !r.is_vacant())
                .and_then(|r| r.key.route());
            f(route.as_ref().map(|(family, nlri)| (*family, nlri)))
        } else {
            f(self.arena.get(index).map(|s| (s.family, &s.nlri)))
        }
    }
}

fn rank_bits(rank: u64) -> u64 {
    rank.min(RANK_MAX) << RANK_SHIFT
}

/// ExaBGP's NLRI order: path-id, then the wire form (length first, then the bytes); the
/// whole value breaks ties between labeled and VPN routes.
fn nlri_order(nlri: &Nlri) -> (Option<u32>, usize, u8, Prefix, &Nlri) {
    let prefix = nlri.get_prefix();
    (
        nlri.path_id(),
        nlri.encoded_len(false),
        prefix.len(),
        prefix,
        nlri,
    )
}

/// The MP_REACH next-hop field for `family`: RD-prefixed for VPN families; for IPv6
/// routes with an IPv4 next-hop, 4 bytes when RFC 8950 was negotiated for it, else the
/// IPv4-mapped IPv6 address.
pub fn mp_next_hop(family: Family, address: IpAddr, ctx: &Negotiated) -> NextHop {
    let address = match address {
        // ExaBGP sends an IPv6 MVPN route's IPv4 next-hop as its 4 bytes (conf-mvpn.ci).
        IpAddr::V4(v4)
            if family.afi == Afi::IPV6
                && family.safi != Safi::MCAST_VPN
                && !ctx.extended_nexthop(family, Afi::IPV4) =>
        {
            IpAddr::V6(v4.to_ipv6_mapped())
        }
        other => other,
    };
    NextHop::for_family(family, address)
}
