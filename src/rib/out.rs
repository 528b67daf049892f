//! The per-peer adj-rib-out's store: every route's latest change coalesced by route, the
//! announced table kept for re-sends; `pack` sends it (sessions, drain, UPDATE packing).
//!
//! Storage (per route, no heap allocation per route; bytes measured by `tests/table_memory.rs`):
//! * IPv4 unicast/multicast prefixes without path-id — the bulk of any table — live in a
//!   `HashMap<u64, Entry>` keyed by a packed (multicast, length, address) word (≤ 40 B);
//! * IPv6 unicast/multicast prefixes and IPv4/IPv6 labeled routes with one label, all
//!   without path-id, live in a slab of 32-byte records with a `u32` index (≤ 56 B);
//! * every other route lives in an arena slot `(Family, Nlri, Entry)`, in a slab too, so
//!   its NLRI is held once.
//!
//! A route key is a `u64`: either the packed prefix or a tagged slab index. The pending
//! list holds each key at most once (the `PENDING` flag), so it is bounded by the number of
//! distinct routes whatever the number of changes. A drain (`pack`) turns the pending
//! list into sorted items and walks them lazily, a few messages per call.

mod pack;

pub use pack::mp_next_hop;
use pack::Job;

use std::collections::{HashMap, VecDeque};
use std::net::Ipv6Addr;

use super::attributes::{AttrId, AttributeTable, PathAttributes, SendContext};
use super::bodies;
use super::keys::{
    arena_hash, compact_route, place_of, KeyHasherBuilder, Place, PrefixKey, BIT_MULTICAST,
    KIND_VACANT,
};
use super::slab::{Record, Slab};
use crate::bgp::family::Family;
use crate::bgp::nlri::{Nlri, Prefix};

/// How the neighbor is configured to send (config: `group-updates`, `manual-eor`,
/// `adj-rib-out`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RibOptions {
    /// Pack IPv4 unicast routes sharing attributes and next-hop into one UPDATE.
    pub group_updates: bool,
    /// Do not send End-of-RIB after the initial table.
    pub manual_eor: bool,
    /// Keep the announced table (for refresh and re-establishment). When false, routes are
    /// forgotten once sent, as ExaBGP does.
    pub adj_rib_out: bool,
    /// `local-link-local` of a neighbor with `capability { link-local-nexthop enable; }`:
    /// when the peer sent that capability too, a global IPv6 next-hop goes with this
    /// address after it (32 bytes in MP_REACH_NLRI, 48 for VPN), as ExaBGP 6 sends it.
    pub local_link_local: Option<Ipv6Addr>,
}

impl Default for RibOptions {
    fn default() -> Self {
        RibOptions {
            group_updates: true,
            manual_eor: false,
            adj_rib_out: true,
            local_link_local: None,
        }
    }
}

/// What [`AdjRibOut::drain`] left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drained {
    /// The message budget was used up; more is ready to encode.
    More,
    /// Nothing left to send (until the next change).
    Done,
}

/// Counters, for logs and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RibStats {
    /// Routes in the table (announced or with a withdrawal pending).
    pub routes: usize,
    /// Keys waiting for the next drain.
    pub pending: usize,
    /// Distinct attribute sets held.
    pub attribute_sets: usize,
    /// Routes that could not be sent (attributes too large, no next-hop).
    pub unsendable: u64,
    /// UPDATE messages written since the table was created (End-of-RIB included).
    pub updates_sent: u64,
}

const FLAG_ANNOUNCED: u8 = 1;
const FLAG_PENDING: u8 = 2;
/// The announcement comes from the configuration (a reload may withdraw it).
const FLAG_CONFIGURED: u8 = 4;
/// Named by the configuration being (re)loaded (see [`AdjRibOut::announce_configured`]).
const FLAG_SEEN: u8 = 8;
/// The peer of the current session was sent this route's announcement (or may hold it): a
/// withdrawal of a route without it is dropped, so the peer never gets a WITHDRAW for a
/// route it never had (issue 10). Cleared when a session starts or ends.
///
/// ExaBGP 5.0.15, measured (api `.ci` against `/opt/exabgp5`), does worse: for `announce X;
/// withdraw X` in one burst it sends X's announcement and never its withdrawal, and `clear
/// adj-rib out` withdraws a route announced but not sent yet. A withdrawal of a route never
/// announced is sent by both.
const FLAG_SENT: u8 = 16;

/// One route's state: the attribute set of its latest change and what that change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    attr: AttrId,
    flags: u8,
}

impl Entry {
    fn announced(self) -> bool {
        self.flags & FLAG_ANNOUNCED != 0
    }
    fn pending(self) -> bool {
        self.flags & FLAG_PENDING != 0
    }
    fn sent(self) -> bool {
        self.flags & FLAG_SENT != 0
    }
}

// Key layout (low 43 bits of an item):
//   compact:  bit 42 = 0, bit 40 = multicast, bits 32..40 = length, bits 0..32 = address
//   prefixes: bit 42 = 1, bit 40 = 1, bits 0..32 = record index
//   arena:    bit 42 = 1, bit 40 = 0, bits 0..32 = arena index
// Items add bit 41 = announce (withdrawals sort first) and bits 43.. = rank.
const TAG_ARENA: u64 = 1 << 42;
const BIT_ANNOUNCE: u64 = 1 << 41;
const TAG_PREFIXES: u64 = TAG_ARENA | BIT_MULTICAST;
const KEY_MASK: u64 = ((1 << 43) - 1) & !BIT_ANNOUNCE;
const RANK_SHIFT: u32 = 43;
const RANK_MAX: u64 = (1 << (64 - RANK_SHIFT)) - 1;

/// One route of the prefix store. 32 bytes.
struct PrefixRecord {
    entry: Entry,
    key: PrefixKey,
}

impl Record for PrefixRecord {
    fn is_vacant(&self) -> bool {
        self.key.kind == KIND_VACANT
    }
    fn vacate(&mut self) {
        self.key.kind = KIND_VACANT;
    }
}

struct ArenaSlot {
    family: Family,
    nlri: Nlri,
    entry: Option<Entry>,
}

impl Record for ArenaSlot {
    fn is_vacant(&self) -> bool {
        self.entry.is_none()
    }
    fn vacate(&mut self) {
        self.entry = None;
        // Drops what the NLRI owns (FlowSpec and MUP bodies, label stacks).
        self.nlri = Nlri::prefix(Prefix::DEFAULT_V4);
    }
}

/// The entry stored under a slab key (prefix store or arena).
fn slab_entry<'a>(
    prefixes: &'a mut Slab<PrefixRecord>,
    arena: &'a mut Slab<ArenaSlot>,
    key: u64,
) -> Option<&'a mut Entry> {
    let index = (key & 0xFFFF_FFFF) as u32;
    if key & TAG_PREFIXES == TAG_PREFIXES {
        prefixes
            .get_mut(index)
            .filter(|r| !r.is_vacant())
            .map(|r| &mut r.entry)
    } else {
        arena.get_mut(index).and_then(|s| s.entry.as_mut())
    }
}

/// The adj-rib-out of one peer. See the module documentation.
pub struct AdjRibOut {
    options: RibOptions,
    attributes: AttributeTable,
    compact: HashMap<u64, Entry, KeyHasherBuilder>,
    /// Bumped by every change to the table (see [`ItemsJob::epoch`]).
    epoch: u64,
    /// IPv6 prefixes and labeled routes (see [`PrefixKey`]).
    prefixes: Slab<PrefixRecord>,
    /// Set once a prefix-store route went to the arena (prefix store full): lookups of
    /// such routes then try the arena too.
    prefixes_in_arena: bool,
    arena: Slab<ArenaSlot>,
    /// Hashes the keys of both slabs.
    hasher: KeyHasherBuilder,
    pending: Vec<u64>,
    jobs: VecDeque<Job>,
    /// The established session, if any.
    session: Option<SendContext>,
    /// The first drain after establishment sends no withdrawals (the peer has nothing).
    skip_withdrawals: bool,
    /// End-of-RIB for each negotiated family is owed after the initial table.
    eor_due: bool,
    /// End-of-RIB markers asked for by the API.
    queued_eors: VecDeque<Family>,
    /// Routes of one message being gathered (reused; never shrinks below its peak).
    scratch: Vec<Nlri>,
    /// The keys of `scratch`.
    scratch_keys: Vec<u64>,
    unsendable: u64,
    /// UPDATE messages written (End-of-RIB included), for `show neighbor`.
    updates_sent: u64,
    /// Routes grouped under a watchdog name, each with whether it is announced.
    watchdogs: HashMap<String, Vec<WatchdogRoute>>,
}

struct WatchdogRoute {
    family: Family,
    nlri: Nlri,
    /// One reference held for as long as the route is in the group.
    attr: AttrId,
    announced: bool,
}

impl std::fmt::Debug for AdjRibOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdjRibOut")
            .field("options", &self.options)
            .field("stats", &self.stats())
            .field("established", &self.session.is_some())
            .finish()
    }
}

/// The flags of a route entering the table: announced (with `mark`), or a withdrawal the
/// peer may need (counted as sent, so that it goes out); pending when a session is up.
#[inline]
fn new_entry_flags(announce: bool, up: bool, mark: u8) -> u8 {
    let state = if announce {
        FLAG_ANNOUNCED | mark
    } else {
        FLAG_SENT
    };
    state | if up { FLAG_PENDING } else { 0 }
}

impl AdjRibOut {
    pub fn new(options: RibOptions) -> AdjRibOut {
        AdjRibOut {
            options,
            attributes: AttributeTable::default(),
            compact: HashMap::default(),
            epoch: 0,
            prefixes: Slab::default(),
            prefixes_in_arena: false,
            arena: Slab::default(),
            hasher: KeyHasherBuilder::default(),
            pending: Vec::new(),
            jobs: VecDeque::new(),
            session: None,
            skip_withdrawals: false,
            eor_due: false,
            queued_eors: VecDeque::new(),
            scratch: Vec::new(),
            scratch_keys: Vec::new(),
            unsendable: 0,
            updates_sent: 0,
            watchdogs: HashMap::new(),
        }
    }

    pub fn options(&self) -> RibOptions {
        self.options
    }

    pub fn stats(&self) -> RibStats {
        RibStats {
            routes: self.compact.len() + self.prefixes.len() + self.arena.len(),
            pending: self.pending.len(),
            attribute_sets: self.attributes.len(),
            unsendable: self.unsendable,
            updates_sent: self.updates_sent,
        }
    }

    /// Makes room for `additional` more IPv4 unicast/multicast routes (a large table
    /// loaded at once then inserts without rehashing).
    pub fn reserve(&mut self, additional: usize) {
        self.compact.reserve(additional);
    }

    /// Makes room for `additional` more IPv6 unicast/multicast or labeled routes.
    pub fn reserve_prefixes(&mut self, additional: usize) {
        let hasher = &self.hasher;
        self.prefixes
            .reserve(additional, |r: &PrefixRecord| r.key.hash(hasher));
    }

    /// Interns an attribute set and returns its id with one reference taken; hand it to
    /// [`Self::announce_id`] (which consumes the reference) to announce many routes with
    /// the same attributes without re-hashing them.
    pub fn intern(&mut self, attributes: &PathAttributes) -> AttrId {
        self.attributes.intern(attributes)
    }

    /// Takes another reference on an id from [`Self::intern`].
    pub fn retain(&mut self, id: AttrId) {
        self.attributes.retain(id);
    }

    /// Gives back a reference from [`Self::intern`] that was not used.
    pub fn release(&mut self, id: AttrId) {
        self.attributes.release(id);
    }

    /// The attribute set of an id.
    pub fn attributes(&self, id: AttrId) -> Option<&PathAttributes> {
        self.attributes.get(id)
    }

    /// Queues an announcement. A route already announced with the same attributes is not
    /// queued again; one with a pending change has that change replaced.
    pub fn announce(&mut self, family: Family, nlri: Nlri, attributes: &PathAttributes) {
        let id = self.attributes.intern(attributes);
        self.announce_id(family, nlri, id);
    }

    /// [`Self::announce`] with an interned id; consumes one reference on `id`.
    pub fn announce_id(&mut self, family: Family, nlri: Nlri, id: AttrId) {
        self.change(family, nlri, id, true, 0);
    }

    /// Queues a withdrawal carrying `attributes` (ExaBGP sends them along with MP_UNREACH
    /// for labeled and VPN families). Withdrawals are never deduplicated while a session is
    /// up; while it is down the route is simply forgotten.
    pub fn withdraw(&mut self, family: Family, nlri: Nlri, attributes: &PathAttributes) {
        let id = self.attributes.intern(attributes);
        self.change(family, nlri, id, false, 0);
    }

    /// [`Self::withdraw`] with an interned id; consumes one reference on `id`.
    pub fn withdraw_id(&mut self, family: Family, nlri: Nlri, id: AttrId) {
        self.change(family, nlri, id, false, 0);
    }

    /// Announces a route of the configuration being loaded or reloaded (consumes one
    /// reference on `id`), marking it as named by that configuration. Returns whether it
    /// was queued (false: already announced with these attributes). After the last route,
    /// [`Self::withdraw_unconfigured`] withdraws the configured routes not named again:
    /// a reload costs no copy of the configuration beside the table.
    pub fn announce_configured(&mut self, family: Family, nlri: Nlri, id: AttrId) -> bool {
        let unchanged = self
            .entry(family, &nlri)
            .is_some_and(|e| e.announced() && e.attr == id);
        self.change(family, nlri, id, true, FLAG_CONFIGURED | FLAG_SEEN);
        !unchanged
    }

    /// Ends a (re)load started by [`Self::announce_configured`] calls: every route announced
    /// by an earlier configuration and not named by this one is withdrawn (with the
    /// attributes it was announced with). Returns how many were withdrawn.
    pub fn withdraw_unconfigured(&mut self) -> usize {
        let mut stale: Vec<u64> = Vec::new();
        for (key, entry) in self.compact.iter_mut() {
            if entry.flags & (FLAG_CONFIGURED | FLAG_SEEN) == FLAG_CONFIGURED {
                stale.push(*key);
            }
            entry.flags &= !FLAG_SEEN;
        }
        for (index, record) in self.prefixes.places_mut() {
            if !record.is_vacant() {
                let entry = &mut record.entry;
                if entry.flags & (FLAG_CONFIGURED | FLAG_SEEN) == FLAG_CONFIGURED {
                    stale.push(TAG_PREFIXES | u64::from(index));
                }
                entry.flags &= !FLAG_SEEN;
            }
        }
        for (index, slot) in self.arena.places_mut() {
            if let Some(entry) = slot.entry.as_mut() {
                if entry.flags & (FLAG_CONFIGURED | FLAG_SEEN) == FLAG_CONFIGURED {
                    stale.push(TAG_ARENA | u64::from(index));
                }
                entry.flags &= !FLAG_SEEN;
            }
        }
        let mut withdrawn = 0;
        for key in stale {
            if let Some((family, nlri, entry)) = self.lookup(key) {
                if entry.announced() {
                    self.attributes.retain(entry.attr);
                    self.change(family, nlri, entry.attr, false, 0);
                    withdrawn += 1;
                }
            }
        }
        withdrawn
    }

    /// Whether the table holds `nlri` as announced, and with which attributes.
    pub fn announced(&self, family: Family, nlri: &Nlri) -> Option<&PathAttributes> {
        let entry = self.entry(family, nlri)?;
        if entry.announced() {
            self.attributes.get(entry.attr)
        } else {
            None
        }
    }

    /// Every announced route, in no particular order.
    pub fn announced_routes(&self) -> impl Iterator<Item = (Family, Nlri, &PathAttributes)> {
        let compact = self.compact.iter().filter_map(|(key, entry)| {
            let (family, nlri) = compact_route(*key)?;
            Some((family, nlri, self.announced_attributes(*entry)?))
        });
        let prefixes = self.prefixes.places().filter_map(|(_, record)| {
            if record.is_vacant() {
                return None;
            }
            let attributes = self.announced_attributes(record.entry)?;
            let (family, nlri) = record.key.route()?;
            Some((family, nlri, attributes))
        });
        let arena = self.arena.places().filter_map(|(_, slot)| {
            let entry = slot.entry?;
            Some((
                slot.family,
                slot.nlri.clone(),
                self.announced_attributes(entry)?,
            ))
        });
        compact.chain(prefixes).chain(arena)
    }

    fn announced_attributes(&self, entry: Entry) -> Option<&PathAttributes> {
        if entry.announced() {
            self.attributes.get(entry.attr)
        } else {
            None
        }
    }

    fn entry(&self, family: Family, nlri: &Nlri) -> Option<Entry> {
        let place = place_of(family, nlri);
        if let Place::Compact(key) = place {
            return self.compact.get(&key).copied();
        }
        self.entry_at(self.find(place, family, nlri)?)
    }

    /// The key of a route held in a slab (prefix store or arena).
    fn find(&self, place: Place, family: Family, nlri: &Nlri) -> Option<u64> {
        match place {
            Place::Compact(key) => self.compact.contains_key(&key).then_some(key),
            Place::Prefixes(wanted) => {
                let found = self
                    .prefixes
                    .find(wanted.hash(&self.hasher), |r| r.key == wanted)
                    .map(|index| TAG_PREFIXES | u64::from(index));
                if found.is_none() && self.prefixes_in_arena {
                    self.find_in_arena(family, nlri)
                } else {
                    found
                }
            }
            Place::Arena => self.find_in_arena(family, nlri),
        }
    }

    fn find_in_arena(&self, family: Family, nlri: &Nlri) -> Option<u64> {
        let hash = arena_hash(&self.hasher, family, nlri);
        self.arena
            .find(hash, |s| {
                s.entry.is_some() && s.family == family && s.nlri == *nlri
            })
            .map(|index| TAG_ARENA | u64::from(index))
    }

    /// Records the latest change of a route; `mark` (flags) is added to an announcement.
    ///
    /// Only a change of a route already held moves [`Self::epoch`]: a new route is in no
    /// job yet, and a key that left the table moved it when it left ([`Self::remove_key`]).
    fn change(&mut self, family: Family, nlri: Nlri, id: AttrId, announce: bool, mark: u8) {
        let up = self.session.is_some();
        let place = place_of(family, &nlri);
        if let Place::Compact(key) = place {
            // A new IPv4 route (the bulk of a table load): one probe of the map.
            if let std::collections::hash_map::Entry::Vacant(vacant) = self.compact.entry(key) {
                if !announce && !up {
                    self.attributes.release(id);
                    return;
                }
                vacant.insert(Entry {
                    attr: id,
                    flags: new_entry_flags(announce, up, mark),
                });
                if up {
                    self.pending.push(key);
                }
                return;
            }
        }
        let (key, slot) = match place {
            Place::Compact(key) => (key, self.compact.get_mut(&key)),
            _ => match self.find(place, family, &nlri) {
                Some(key) => (key, slab_entry(&mut self.prefixes, &mut self.arena, key)),
                None => (0, None),
            },
        };
        match slot {
            Some(entry) => {
                if announce && entry.announced() && entry.attr == id {
                    // Already in the table (or queued) as it is: nothing to do.
                    entry.flags |= mark;
                    self.attributes.release(id);
                    return;
                }
                self.epoch = self.epoch.wrapping_add(1);
                let previous = entry.attr;
                if !announce && !up {
                    // No peer to tell: forget the route.
                    self.attributes.release(id);
                    self.attributes.release(previous);
                    self.remove_key(key);
                    return;
                }
                entry.attr = id;
                entry.flags = if announce { FLAG_ANNOUNCED | mark } else { 0 }
                    | (entry.flags & (FLAG_PENDING | FLAG_SENT));
                let queue = up && !entry.pending();
                if queue {
                    entry.flags |= FLAG_PENDING;
                }
                self.attributes.release(previous);
                if queue {
                    self.pending.push(key);
                }
            }
            None => {
                if !announce && !up {
                    self.attributes.release(id);
                    return;
                }
                // A withdrawal of a route this table does not hold: the peer may have it
                // (sent before a table without adj-rib-out forgot it), so it is sent.
                let entry = Entry {
                    attr: id,
                    flags: new_entry_flags(announce, up, mark),
                };
                let Some(key) = self.insert(place, family, nlri, entry) else {
                    log::warn!("adj-rib-out: table full, {family} route dropped");
                    self.attributes.release(id);
                    return;
                };
                if up {
                    self.pending.push(key);
                }
            }
        }
    }

    /// Stores a route not held yet; `None` when its slab is full.
    fn insert(&mut self, place: Place, family: Family, nlri: Nlri, entry: Entry) -> Option<u64> {
        match place {
            Place::Compact(key) => {
                self.compact.insert(key, entry);
                Some(key)
            }
            Place::Prefixes(key) => {
                let hasher = &self.hasher;
                let record = PrefixRecord { entry, key };
                let hash_of = |r: &PrefixRecord| r.key.hash(hasher);
                if let Some(index) = self.prefixes.insert(key.hash(hasher), record, hash_of) {
                    return Some(TAG_PREFIXES | u64::from(index));
                }
                self.prefixes_in_arena = true;
                self.arena_insert(family, nlri, entry)
            }
            Place::Arena => self.arena_insert(family, nlri, entry),
        }
    }

    fn arena_insert(&mut self, family: Family, mut nlri: Nlri, entry: Entry) -> Option<u64> {
        // The same FlowSpec (VPN, MUP ...) route to many peers: one body.
        bodies::share(&mut nlri);
        let hasher = &self.hasher;
        let hash = arena_hash(hasher, family, &nlri);
        let slot = ArenaSlot {
            family,
            nlri,
            entry: Some(entry),
        };
        let hash_of = |s: &ArenaSlot| arena_hash(hasher, s.family, &s.nlri);
        let index = self.arena.insert(hash, slot, hash_of)?;
        Some(TAG_ARENA | u64::from(index))
    }

    /// Removes a route's entry (its attribute reference must already be released).
    fn remove_key(&mut self, key: u64) {
        // Jobs listing the key must look it up from now on (see `change`).
        self.epoch = self.epoch.wrapping_add(1);
        if key & TAG_ARENA == 0 {
            self.compact.remove(&key);
            return;
        }
        let index = (key & 0xFFFF_FFFF) as u32;
        let hasher = &self.hasher;
        if key & TAG_PREFIXES == TAG_PREFIXES {
            let hash_of = |r: &PrefixRecord| r.key.hash(hasher);
            if let Some(hash) = self.prefixes.get(index).map(hash_of) {
                self.prefixes.remove(index, hash, hash_of);
            }
        } else {
            let hash_of = |s: &ArenaSlot| arena_hash(hasher, s.family, &s.nlri);
            if let Some(hash) = self.arena.get(index).map(hash_of) {
                self.arena.remove(index, hash, hash_of);
            }
        }
    }

    fn lookup(&self, key: u64) -> Option<(Family, Nlri, Entry)> {
        let index = (key & 0xFFFF_FFFF) as u32;
        if key & TAG_ARENA == 0 {
            let entry = *self.compact.get(&key)?;
            let (family, nlri) = compact_route(key)?;
            Some((family, nlri, entry))
        } else if key & TAG_PREFIXES == TAG_PREFIXES {
            let record = self.prefixes.get(index).filter(|r| !r.is_vacant())?;
            let (family, nlri) = record.key.route()?;
            Some((family, nlri, record.entry))
        } else {
            let slot = self.arena.get(index)?;
            Some((slot.family, slot.nlri.clone(), slot.entry?))
        }
    }

    /// The family and entry of a key (no NLRI built).
    fn family_entry(&self, key: u64) -> Option<(Family, Entry)> {
        let index = (key & 0xFFFF_FFFF) as u32;
        if key & TAG_ARENA == 0 {
            let entry = *self.compact.get(&key)?;
            let family = if key & BIT_MULTICAST != 0 {
                Family::IPV4_MULTICAST
            } else {
                Family::IPV4_UNICAST
            };
            Some((family, entry))
        } else if key & TAG_PREFIXES == TAG_PREFIXES {
            let record = self.prefixes.get(index).filter(|r| !r.is_vacant())?;
            Some((record.key.family(), record.entry))
        } else {
            let slot = self.arena.get(index)?;
            Some((slot.family, slot.entry?))
        }
    }

    fn entry_at(&self, key: u64) -> Option<Entry> {
        self.family_entry(key).map(|(_, entry)| entry)
    }

    /// The entry of a key, to change its flags (one probe).
    fn entry_mut(&mut self, key: u64) -> Option<&mut Entry> {
        if key & TAG_ARENA == 0 {
            self.compact.get_mut(&key)
        } else {
            slab_entry(&mut self.prefixes, &mut self.arena, key)
        }
    }

    fn set_flags(&mut self, key: u64, flags: u8) {
        if let Some(entry) = self.entry_mut(key) {
            entry.flags = flags;
        }
    }

    /// Every key currently in the table.
    fn all_keys(&self) -> impl Iterator<Item = u64> + '_ {
        let prefixes = self
            .prefixes
            .places()
            .filter(|(_, r)| !r.is_vacant())
            .map(|(i, _)| TAG_PREFIXES | u64::from(i));
        let arena = self
            .arena
            .places()
            .filter(|(_, s)| s.entry.is_some())
            .map(|(i, _)| TAG_ARENA | u64::from(i));
        self.compact.keys().copied().chain(prefixes).chain(arena)
    }

    // -----------------------------------------------------------------------------------
    // Watchdogs
    // -----------------------------------------------------------------------------------

    /// Registers a route under watchdog `name` (config `watchdog NAME`), in the announced
    /// or withdrawn state, and returns the state to give it: a route the group already
    /// holds (a reload) keeps the state the API last set. It is not queued here: announce
    /// it too when the answer is true.
    pub fn add_watchdog_route(
        &mut self,
        name: &str,
        family: Family,
        nlri: Nlri,
        attributes: &PathAttributes,
        announced: bool,
    ) -> bool {
        let attr = self.attributes.intern(attributes);
        let group = self.watchdogs.entry(name.to_string()).or_default();
        if let Some(existing) = group
            .iter_mut()
            .find(|r| r.family == family && r.nlri == nlri)
        {
            let previous = std::mem::replace(&mut existing.attr, attr);
            let state = existing.announced;
            self.attributes.release(previous);
            state
        } else {
            let mut nlri = nlri;
            bodies::share(&mut nlri);
            group.push(WatchdogRoute {
                family,
                nlri,
                attr,
                announced,
            });
            announced
        }
    }

    /// API `announce watchdog NAME`: announces the group's withdrawn routes. Returns how
    /// many were announced (0 for an unknown name).
    pub fn announce_watchdog(&mut self, name: &str) -> usize {
        self.toggle_watchdog(name, true)
    }

    /// API `withdraw watchdog NAME`: withdraws the group's announced routes.
    pub fn withdraw_watchdog(&mut self, name: &str) -> usize {
        self.toggle_watchdog(name, false)
    }

    fn toggle_watchdog(&mut self, name: &str, announce: bool) -> usize {
        let Some(mut group) = self.watchdogs.remove(name) else {
            return 0;
        };
        let mut count = 0;
        for route in group.iter_mut().filter(|r| r.announced != announce) {
            route.announced = announce;
            self.attributes.retain(route.attr);
            self.change(route.family, route.nlri.clone(), route.attr, announce, 0);
            count += 1;
        }
        self.watchdogs.insert(name.to_string(), group);
        count
    }

    /// The watchdog names known, with how many routes each holds.
    pub fn watchdogs(&self) -> impl Iterator<Item = (&str, usize)> {
        self.watchdogs.iter().map(|(n, g)| (n.as_str(), g.len()))
    }

    /// Withdraws every announced route (API `clear adj-rib out`).
    pub fn clear(&mut self) {
        let keys: Vec<(Family, Nlri, AttrId)> = self
            .all_keys()
            .filter_map(|k| self.lookup(k))
            .filter(|(_, _, e)| e.announced())
            .map(|(f, n, e)| (f, n, e.attr))
            .collect();
        for (family, nlri, attr) in keys {
            self.attributes.retain(attr);
            self.change(family, nlri, attr, false, 0);
        }
    }
}
