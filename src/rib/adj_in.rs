//! The adj-rib-in: what a peer announced to us, stored by route (family, NLRI with its
//! path-id), attributes interned. No policy, no best path: `show adj-rib in` reads it.

use std::collections::BTreeSet;

use super::attributes::{AttrId, AttributeTable, PathAttributes};
use super::keys::{arena_hash, compact_route, place_of, KeyHasherBuilder, Place, PrefixKey};
use super::slab::{Record, Slab};
use crate::bgp::family::Family;
use crate::bgp::nlri::{Nlri, Prefix};
use crate::bgp::update::Update;

/// A route of the prefix store (IPv6 prefixes, single-label labeled routes). 28 bytes.
struct PrefixRoute {
    attr: AttrId,
    key: PrefixKey,
}

impl Record for PrefixRoute {
    fn is_vacant(&self) -> bool {
        self.key.kind == super::keys::KIND_VACANT
    }
    fn vacate(&mut self) {
        self.key.kind = super::keys::KIND_VACANT;
    }
}

/// Any other route, its NLRI held once.
struct OtherRoute {
    family: Family,
    nlri: Nlri,
    attr: Option<AttrId>,
}

impl Record for OtherRoute {
    fn is_vacant(&self) -> bool {
        self.attr.is_none()
    }
    fn vacate(&mut self) {
        self.attr = None;
        self.nlri = Nlri::prefix(Prefix::DEFAULT_V4);
    }
}

/// IPv4 unicast/multicast routes without path-id — the bulk of a full table — one `u64`
/// each in a B-tree: the prefix (multicast bit, length, address: 39 bits) above its
/// attribute id (25 bits). A B-tree grows a node at a time, so a full table never pays the
/// transient double of a hash map's rehash: a receive of 1M routes into a kept adj-rib-in
/// peaks at 27.5 MiB instead of 60.6 (hash map) or 39.2 (B-tree map of key to id).
/// Ids that do not fit in 25 bits (33M attribute sets) are stored with the other routes.
#[derive(Default)]
struct CompactRoutes {
    set: BTreeSet<u64>,
}

const ATTR_BITS: u32 = 25;
const ATTR_LIMIT: u64 = 1 << ATTR_BITS;

impl CompactRoutes {
    /// The 39-bit form of a `keys::compact_key` (bit 40 multicast, 32..40 length, address).
    fn squeeze(key: u64) -> u64 {
        let address = key & 0xFFFF_FFFF;
        let length = (key >> 32) & 0x3F;
        let multicast = (key >> 40) & 1;
        (multicast << 38 | length << 32 | address) << ATTR_BITS
    }

    fn unsqueeze(entry: u64) -> (u64, AttrId) {
        let id = (entry & (ATTR_LIMIT - 1)) as AttrId;
        let packed = entry >> ATTR_BITS;
        let key = ((packed >> 38) & 1) << 40 | ((packed >> 32) & 0x3F) << 32 | packed & 0xFFFF_FFFF;
        (key, id)
    }

    fn entry(&self, key: u64) -> Option<u64> {
        let base = Self::squeeze(key);
        self.set.range(base..base + ATTR_LIMIT).next().copied()
    }

    fn get(&self, key: u64) -> Option<AttrId> {
        self.entry(key).map(|e| Self::unsqueeze(e).1)
    }

    fn remove(&mut self, key: u64) -> Option<AttrId> {
        let entry = self.entry(key)?;
        self.set.remove(&entry);
        Some(Self::unsqueeze(entry).1)
    }

    /// Stores `id` for `key`; `Err(())` when the id does not fit (the caller stores the
    /// route elsewhere). Returns the id replaced.
    fn insert(&mut self, key: u64, id: AttrId) -> Result<Option<AttrId>, ()> {
        if u64::from(id) >= ATTR_LIMIT {
            return Err(());
        }
        let previous = self.remove(key);
        self.set.insert(Self::squeeze(key) | u64::from(id));
        Ok(previous)
    }

    fn iter(&self) -> impl Iterator<Item = (u64, AttrId)> + '_ {
        self.set.iter().map(|e| Self::unsqueeze(*e))
    }

    fn len(&self) -> usize {
        self.set.len()
    }
}

/// Routes received from one peer, stored as the adj-rib-out stores them: IPv4
/// unicast/multicast prefixes under a packed `u64`, IPv6 prefixes and single-label
/// labeled routes as compact records, the others with their NLRI once.
#[derive(Default)]
pub struct AdjRibIn {
    compact: CompactRoutes,
    prefixes: Slab<PrefixRoute>,
    others: Slab<OtherRoute>,
    /// Set once a prefix-store route went to `others` (prefix store full).
    prefixes_in_others: bool,
    /// Set once a compact route went to `others` (attribute id beyond 25 bits).
    compact_in_others: bool,
    hasher: KeyHasherBuilder,
    attributes: AttributeTable,
}

impl AdjRibIn {
    pub fn new() -> AdjRibIn {
        AdjRibIn::default()
    }

    /// Stores (or replaces) an announced route.
    pub fn announce(&mut self, family: Family, nlri: Nlri, attributes: &PathAttributes) {
        let id = self.attributes.intern(attributes);
        self.put(family, nlri, id);
    }

    /// Stores the route under `id`, whose reference it takes over.
    fn put(&mut self, family: Family, nlri: Nlri, id: AttrId) {
        if let Some(previous) = self.set(family, nlri, id) {
            self.attributes.release(previous);
        }
    }

    /// Stores every route of `routes` under one interned copy of `attributes`: one hash of
    /// the attribute set per UPDATE, not per route.
    fn put_all(
        &mut self,
        family: Family,
        routes: impl Iterator<Item = Nlri>,
        attributes: &PathAttributes,
    ) {
        let id = self.attributes.intern(attributes);
        for nlri in routes {
            self.attributes.retain(id);
            self.put(family, nlri, id);
        }
        self.attributes.release(id);
    }

    /// Stores `id` for the route; returns the id it replaces.
    fn set(&mut self, family: Family, nlri: Nlri, id: AttrId) -> Option<AttrId> {
        let place = place_of(family, &nlri);
        let hasher = &self.hasher;
        match place {
            Place::Compact(key) => match self.compact.insert(key, id) {
                Ok(previous) => return previous,
                // An attribute id beyond 25 bits: kept with the other routes.
                Err(()) => self.compact_in_others = true,
            },
            Place::Prefixes(key) => {
                let hash = key.hash(hasher);
                if let Some(index) = self.prefixes.find(hash, |r| r.key == key) {
                    let route = self.prefixes.get_mut(index)?;
                    return Some(std::mem::replace(&mut route.attr, id));
                }
                if !self.prefixes_in_others {
                    let route = PrefixRoute { attr: id, key };
                    let hash_of = |r: &PrefixRoute| r.key.hash(hasher);
                    if self.prefixes.insert(hash, route, hash_of).is_some() {
                        return None;
                    }
                    self.prefixes_in_others = true;
                }
            }
            Place::Arena => {}
        }
        let hash = arena_hash(hasher, family, &nlri);
        let same = |r: &OtherRoute| r.attr.is_some() && r.family == family && r.nlri == nlri;
        if let Some(index) = self.others.find(hash, same) {
            let route = self.others.get_mut(index)?;
            return route.attr.replace(id);
        }
        let route = OtherRoute {
            family,
            nlri,
            attr: Some(id),
        };
        let hash_of = |r: &OtherRoute| arena_hash(hasher, r.family, &r.nlri);
        if self.others.insert(hash, route, hash_of).is_none() {
            log::warn!("adj-rib-in: table full, {family} route not stored");
            return Some(id);
        }
        None
    }

    /// Removes a withdrawn route (nothing if unknown).
    pub fn withdraw(&mut self, family: Family, nlri: &Nlri) {
        let hasher = &self.hasher;
        let previous = match place_of(family, nlri) {
            Place::Compact(key) => match self.compact.remove(key) {
                Some(id) => Some(id),
                None if self.compact_in_others => self.withdraw_other(family, nlri),
                None => None,
            },
            Place::Prefixes(key) => {
                let hash = key.hash(hasher);
                match self.prefixes.find(hash, |r| r.key == key) {
                    Some(index) => {
                        let attr = self.prefixes.get(index).map(|r| r.attr);
                        self.prefixes
                            .remove(index, hash, |r: &PrefixRoute| r.key.hash(hasher));
                        attr
                    }
                    None if self.prefixes_in_others => self.withdraw_other(family, nlri),
                    None => None,
                }
            }
            Place::Arena => self.withdraw_other(family, nlri),
        };
        if let Some(previous) = previous {
            self.attributes.release(previous);
        }
    }

    fn withdraw_other(&mut self, family: Family, nlri: &Nlri) -> Option<AttrId> {
        let hasher = &self.hasher;
        let hash = arena_hash(hasher, family, nlri);
        let same = |r: &OtherRoute| r.attr.is_some() && r.family == family && r.nlri == *nlri;
        let index = self.others.find(hash, same)?;
        let attr = self.others.get(index).and_then(|r| r.attr);
        self.others.remove(index, hash, |r: &OtherRoute| {
            arena_hash(hasher, r.family, &r.nlri)
        });
        attr
    }

    fn attr_of(&self, family: Family, nlri: &Nlri) -> Option<AttrId> {
        let other = || {
            let hash = arena_hash(&self.hasher, family, nlri);
            let same = |r: &OtherRoute| r.attr.is_some() && r.family == family && r.nlri == *nlri;
            self.others
                .find(hash, same)
                .and_then(|i| self.others.get(i)?.attr)
        };
        match place_of(family, nlri) {
            Place::Compact(key) => match self.compact.get(key) {
                Some(id) => Some(id),
                None if self.compact_in_others => other(),
                None => None,
            },
            Place::Prefixes(key) => {
                let found = self.prefixes.find(key.hash(&self.hasher), |r| r.key == key);
                match found {
                    Some(index) => self.prefixes.get(index).map(|r| r.attr),
                    None if self.prefixes_in_others => other(),
                    None => None,
                }
            }
            Place::Arena => other(),
        }
    }

    pub fn get(&self, family: Family, nlri: &Nlri) -> Option<&PathAttributes> {
        self.attributes.get(self.attr_of(family, nlri)?)
    }

    /// Every stored route, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Family, Nlri, &PathAttributes)> {
        let compact = self.compact.iter().filter_map(|(key, id)| {
            let (family, nlri) = compact_route(key)?;
            Some((family, nlri, self.attributes.get(id)?))
        });
        let prefixes = self.prefixes.places().filter_map(|(_, route)| {
            if route.is_vacant() {
                return None;
            }
            let (family, nlri) = route.key.route()?;
            Some((family, nlri, self.attributes.get(route.attr)?))
        });
        let others = self.others.places().filter_map(|(_, route)| {
            let attributes = self.attributes.get(route.attr?)?;
            Some((route.family, route.nlri.clone(), attributes))
        });
        compact.chain(prefixes).chain(others)
    }

    pub fn len(&self) -> usize {
        self.compact.len() + self.prefixes.len() + self.others.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Applies a received UPDATE: its withdrawals (IPv4 field and MP_UNREACH), then its
    /// announcements (IPv4 field with NEXT_HOP, MP_REACH with its next-hop). NLRI of
    /// families not decoded yet (opaque) are not stored; FlowSpec routes are, in their
    /// inline form.
    pub fn apply_update(&mut self, update: &Update) {
        for nlri in &update.withdrawn {
            self.withdraw(Family::IPV4_UNICAST, nlri);
        }
        for mp in update.mp_unreach() {
            for nlri in mp.nlri.routes() {
                self.withdraw(mp.family, nlri);
            }
            for flow in mp.nlri.flow_routes().iter().filter_map(|f| f.inline()) {
                self.withdraw(mp.family, &Nlri::flow(flow));
            }
        }
        let has_routes =
            !update.announced.is_empty() || update.mp_reach().any(|mp| !mp.nlri.is_empty());
        if !has_routes {
            return;
        }
        if !update.announced.is_empty() {
            let shared = PathAttributes::new(None, update.attributes.clone());
            self.put_all(
                Family::IPV4_UNICAST,
                update.announced.iter().cloned(),
                &shared,
            );
        }
        for mp in update.mp_reach() {
            if mp.nlri.routes().is_empty() && mp.nlri.flow_routes().is_empty() {
                continue;
            }
            let attributes = PathAttributes::new(mp.next_hop.address(), update.attributes.clone());
            // FlowSpec routes longer than the inline form (rare) are not stored.
            let flows = mp.nlri.flow_routes().iter().filter_map(|f| f.inline());
            let routes = mp
                .nlri
                .routes()
                .iter()
                .cloned()
                .chain(flows.map(Nlri::flow));
            self.put_all(mp.family, routes, &attributes);
        }
    }

    /// Forgets everything (at each ESTABLISHED, and `clear adj-rib in`).
    pub fn clear(&mut self) {
        *self = AdjRibIn::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::attribute::{Attribute, Origin};
    use crate::bgp::nlri::Prefix;
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn compact_entries_keep_prefix_and_attribute_apart() {
        let mut routes = CompactRoutes::default();
        let keys = [
            super::super::keys::BIT_MULTICAST | 24 << 32 | 0x0A00_0100,
            32 << 32 | 0xFFFF_FFFF,
            0,
        ];
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(routes.insert(*key, i as AttrId * 7 + 1), Ok(None));
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(routes.get(*key), Some(i as AttrId * 7 + 1));
        }
        // Replacing keeps one entry; the largest id that fits is kept exactly.
        let last = (ATTR_LIMIT - 1) as AttrId;
        assert_eq!(routes.insert(keys[1], last), Ok(Some(8)));
        assert_eq!(routes.get(keys[1]), Some(last));
        assert_eq!(routes.len(), 3);
        let listed: Vec<(u64, AttrId)> = routes.iter().collect();
        assert!(listed.contains(&(keys[0], 1)) && listed.contains(&(keys[1], last)));
        // An id beyond 25 bits is refused (the table stores that route elsewhere).
        assert_eq!(routes.insert(keys[2], ATTR_LIMIT as AttrId), Err(()));
        assert_eq!(routes.remove(keys[0]), Some(1));
        assert_eq!(routes.get(keys[0]), None);
    }

    fn prefix(a: u8) -> Nlri {
        Nlri::prefix(Prefix::v4(Ipv4Addr::new(10, 0, a, 0), 24).expect("valid"))
    }

    #[test]
    fn received_updates_are_stored_and_withdrawn() {
        let mut rib = AdjRibIn::new();
        let update = Update {
            withdrawn: Vec::new(),
            attributes: vec![
                Attribute::Origin(Origin::Igp),
                Attribute::NextHop(Ipv4Addr::new(192, 0, 2, 1)),
            ],
            announced: vec![prefix(1), prefix(2)],
        };
        rib.apply_update(&update);
        assert_eq!(rib.len(), 2);
        let stored = rib.get(Family::IPV4_UNICAST, &prefix(1)).expect("stored");
        assert_eq!(
            stored.next_hop(),
            Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))
        );
        let withdraw = Update {
            withdrawn: vec![prefix(1)],
            attributes: Vec::new(),
            announced: Vec::new(),
        };
        rib.apply_update(&withdraw);
        assert_eq!(rib.len(), 1);
        assert!(rib.get(Family::IPV4_UNICAST, &prefix(1)).is_none());
        rib.clear();
        assert!(rib.is_empty());
    }

    #[test]
    fn routes_of_every_store_are_kept_replaced_listed_and_withdrawn() {
        use crate::bgp::nlri::{Labels, RouteDistinguisher};
        let v6 = |text: &str, len| Prefix::v6(text.parse().expect("address"), len).expect("ok");
        let label = |values: &[u32]| Labels::from_values(values).expect("labels");
        let routes = [
            (Family::IPV4_UNICAST, prefix(1)),
            (Family::IPV6_UNICAST, Nlri::prefix(v6("2001:db8::", 32))),
            (
                Family::IPV6_UNICAST,
                Nlri::prefix(v6("2001:db8::", 32)).with_path_id(Some(3)),
            ),
            (
                Family::IPV6_NLRI_MPLS,
                Nlri::labeled(None, label(&[16]), v6("2001:db8:1::", 48)),
            ),
            (
                Family::IPV6_MPLS_VPN,
                Nlri::vpn(
                    None,
                    label(&[17]),
                    RouteDistinguisher::as2(65000, 1),
                    v6("2001:db8:2::", 48),
                ),
            ),
        ];
        let first = PathAttributes::new(None, vec![Attribute::Origin(Origin::Igp)]);
        let second = PathAttributes::new(None, vec![Attribute::Origin(Origin::Egp)]);
        let mut rib = AdjRibIn::new();
        for (family, nlri) in &routes {
            rib.announce(*family, nlri.clone(), &first);
            rib.announce(*family, nlri.clone(), &second);
        }
        assert_eq!(rib.len(), routes.len());
        for (family, nlri) in &routes {
            assert_eq!(rib.get(*family, nlri), Some(&second), "{family} {nlri}");
        }
        let mut listed: Vec<(Family, Nlri)> = rib.iter().map(|(f, n, _)| (f, n)).collect();
        let mut expected = routes.to_vec();
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected);
        for (family, nlri) in &routes {
            rib.withdraw(*family, nlri);
            assert!(rib.get(*family, nlri).is_none());
        }
        assert!(rib.is_empty());
    }

    #[test]
    fn received_flow_routes_are_stored_and_withdrawn() {
        use crate::bgp::flow::FlowNlri;
        use crate::bgp::mp::{MpNlri, MpReach, MpUnreach};
        use crate::bgp::nlri::NextHop;
        let (flow, _) = FlowNlri::decode_one(&[3, 3, 0x81, 6], Family::IPV4_FLOW).expect("flow");
        let mut reach = MpReach::new(Family::IPV4_FLOW, NextHop::None, Vec::new());
        reach.nlri = MpNlri::Flow(vec![flow.clone()]);
        let mut rib = AdjRibIn::new();
        rib.apply_update(&Update {
            withdrawn: Vec::new(),
            attributes: vec![Attribute::Origin(Origin::Igp), Attribute::MpReach(reach)],
            announced: Vec::new(),
        });
        assert_eq!(rib.len(), 1);
        let key = Nlri::flow(flow.inline().expect("short"));
        assert!(rib.get(Family::IPV4_FLOW, &key).is_some());
        let mut unreach = MpUnreach::new(Family::IPV4_FLOW, Vec::new());
        unreach.nlri = MpNlri::Flow(vec![flow]);
        rib.apply_update(&Update {
            withdrawn: Vec::new(),
            attributes: vec![Attribute::MpUnreach(unreach)],
            announced: Vec::new(),
        });
        assert!(rib.is_empty());
    }
}
