//! The per-peer adj-rib-out: pending changes coalesced by route, the announced table kept
//! for re-sends, and the drain that packs them into UPDATE messages as ExaBGP does.
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
//! distinct routes whatever the number of changes. A drain turns the pending list, in place,
//! into sorted items `rank | action | key` and walks them lazily, a few messages per call.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr};

use super::attributes::{AttrId, AttributeTable, PathAttributes, SendContext};
use super::keys::{
    arena_hash, compact_route, place_of, KeyHasherBuilder, Place, PrefixKey, BIT_MULTICAST,
    KIND_VACANT,
};
use super::slab::{Record, Slab};
use crate::bgp::family::{Afi, Family, Safi};
use crate::bgp::flow::is_flow_family;
use crate::bgp::negotiated::{Negotiated, EXTENDED_MAX_MESSAGE};
use crate::bgp::nlri::{NextHop, Nlri, Prefix};
use crate::bgp::refresh::{RefreshSubtype, RouteRefresh};
use crate::bgp::update::{
    write_end_of_rib, write_ipv4_announce, write_ipv4_withdraw, write_mp_announce,
    write_mp_withdraw, write_mp_withdraw_after, HEADER_LEN,
};

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

/// One unit of drain work.
enum Job {
    /// A ROUTE-REFRESH with this subtype (BoRR / EoRR).
    Refresh(Family, RefreshSubtype),
    Items(ItemsJob),
}

/// Sorted items, walked from `cursor`. `resend` items send the current announcement
/// whatever is pending; change items only what has not changed since the snapshot.
struct ItemsJob {
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
struct Ranker {
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
                let flags = if announce {
                    FLAG_ANNOUNCED | mark
                } else {
                    FLAG_SENT
                } | if up { FLAG_PENDING } else { 0 };
                vacant.insert(Entry { attr: id, flags });
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
                let flags = if announce {
                    FLAG_ANNOUNCED | mark
                } else {
                    FLAG_SENT
                } | if up { FLAG_PENDING } else { 0 };
                let entry = Entry { attr: id, flags };
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

    fn arena_insert(&mut self, family: Family, nlri: Nlri, entry: Entry) -> Option<u64> {
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
                        write_refresh(out, family, subtype);
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
                // MP_REACH_NLRI's own header: flags, code, 2-byte length, AFI, SAFI, next-hop
                // length, a next-hop of up to 32 bytes, reserved.
                let mp_header = if classic { 0 } else { 4 + 3 + 1 + 32 + 1 };
                let room = limit(ctx).saturating_sub(HEADER_LEN + 4 + attr_len + mp_header);
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
                limit(ctx)
            );
            // Whatever did not fit is dropped (ExaBGP logs and drops too); the rest went.
        }
        written > 0
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

/// The message size limit for packing.
fn limit(ctx: &Negotiated) -> usize {
    ctx.max_message_size.min(EXTENDED_MAX_MESSAGE)
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

/// An UPDATE carrying `attributes` and an MP_UNREACH_NLRI (ExaBGP's form for labeled and
/// VPN withdrawals), as many routes as fit; returns how many.
fn write_refresh(out: &mut Vec<u8>, family: Family, subtype: RefreshSubtype) {
    let start = out.len();
    out.extend_from_slice(&[0xFF; 16]);
    out.extend_from_slice(&[0, 0, 5]);
    RouteRefresh::new(family, subtype).encode_body(out);
    let len = (out.len() - start) as u16;
    out[start + 16..start + 18].copy_from_slice(&len.to_be_bytes());
}

fn write_keepalive(out: &mut Vec<u8>) {
    out.extend_from_slice(&[0xFF; 16]);
    out.extend_from_slice(&[0, 19, 4]);
}
