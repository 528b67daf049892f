//! The adj-rib-in: what a peer announced to us, stored by route (family, NLRI with its
//! path-id), attributes interned. No policy, no best path: `show adj-rib in` reads it.
//!
//! IPv4 unicast prefixes without a path-id (the bulk of a full table) are kept in a B-tree of
//! 12-byte entries (~25 bytes a route, no rehash spike); every other route by its whole NLRI.

use std::collections::{BTreeMap, HashMap};
use std::net::Ipv4Addr;

use super::attributes::{AttrId, AttributeTable, PathAttributes};
use crate::bgp::family::Family;
use crate::bgp::nlri::{Nlri, Prefix};
use crate::bgp::update::Update;

/// Routes received from one peer.
#[derive(Default)]
pub struct AdjRibIn {
    /// IPv4 unicast routes without a path-id, by [`compact_key`].
    ipv4: BTreeMap<u64, AttrId>,
    /// Every other route.
    routes: HashMap<(Family, Nlri), AttrId>,
    attributes: AttributeTable,
}

/// The compact key of an IPv4 unicast route without a path-id: address << 8 | length.
/// `None` for any other route (or a prefix that would not read back the same).
fn compact_key(family: Family, nlri: &Nlri) -> Option<u64> {
    if family != Family::IPV4_UNICAST {
        return None;
    }
    let Nlri::Prefix {
        path_id: None,
        prefix,
    } = nlri
    else {
        return None;
    };
    let std::net::IpAddr::V4(addr) = prefix.addr() else {
        return None;
    };
    let key = u64::from(u32::from(addr)) << 8 | u64::from(prefix.len());
    (from_compact(key).as_ref() == Some(nlri)).then_some(key)
}

fn from_compact(key: u64) -> Option<Nlri> {
    let addr = Ipv4Addr::from((key >> 8) as u32);
    Prefix::v4(addr, (key & 0xFF) as u8).map(Nlri::prefix)
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

    /// Stores a route with an interned set whose reference it takes over.
    fn put(&mut self, family: Family, nlri: Nlri, id: AttrId) {
        let previous = match compact_key(family, &nlri) {
            Some(key) => self.ipv4.insert(key, id),
            None => self.routes.insert((family, nlri), id),
        };
        if let Some(previous) = previous {
            self.attributes.release(previous);
        }
    }

    /// Removes a withdrawn route (nothing if unknown).
    pub fn withdraw(&mut self, family: Family, nlri: &Nlri) {
        let previous = match compact_key(family, nlri) {
            Some(key) => self.ipv4.remove(&key),
            None => self.routes.remove(&(family, nlri.clone())),
        };
        if let Some(previous) = previous {
            self.attributes.release(previous);
        }
    }

    pub fn get(&self, family: Family, nlri: &Nlri) -> Option<&PathAttributes> {
        let id = match compact_key(family, nlri) {
            Some(key) => *self.ipv4.get(&key)?,
            None => *self.routes.get(&(family, nlri.clone()))?,
        };
        self.attributes.get(id)
    }

    /// Every stored route, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Family, Nlri, &PathAttributes)> {
        let compact = self.ipv4.iter().filter_map(|(key, id)| {
            Some((
                Family::IPV4_UNICAST,
                from_compact(*key)?,
                self.attributes.get(*id)?,
            ))
        });
        let other = self.routes.iter().filter_map(|((family, nlri), id)| {
            Some((*family, nlri.clone(), self.attributes.get(*id)?))
        });
        compact.chain(other)
    }

    pub fn len(&self) -> usize {
        self.ipv4.len() + self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ipv4.is_empty() && self.routes.is_empty()
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
        // Each attribute set is interned once per UPDATE, not once per route.
        let shared = PathAttributes::new(None, update.attributes.clone());
        if !update.announced.is_empty() {
            let id = self.attributes.intern(&shared);
            for nlri in &update.announced {
                self.attributes.retain(id);
                self.put(Family::IPV4_UNICAST, nlri.clone(), id);
            }
            self.attributes.release(id);
        }
        for mp in update.mp_reach() {
            if mp.nlri.routes().is_empty() && mp.nlri.flow_routes().is_empty() {
                continue;
            }
            let attributes = PathAttributes::new(mp.next_hop.address(), update.attributes.clone());
            let id = self.attributes.intern(&attributes);
            for nlri in mp.nlri.routes() {
                self.attributes.retain(id);
                self.put(mp.family, nlri.clone(), id);
            }
            // FlowSpec routes longer than the inline form (rare) are not stored.
            for flow in mp.nlri.flow_routes().iter().filter_map(|f| f.inline()) {
                self.attributes.retain(id);
                self.put(mp.family, Nlri::flow(flow), id);
            }
            self.attributes.release(id);
        }
    }

    /// Forgets everything (at each ESTABLISHED, and `clear adj-rib in`).
    pub fn clear(&mut self) {
        self.ipv4 = BTreeMap::new();
        self.routes = HashMap::new();
        self.attributes = AttributeTable::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bgp::attribute::{Attribute, Origin};
    use crate::bgp::nlri::Prefix;
    use std::net::{IpAddr, Ipv4Addr};

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
        // Announced again (twice), then all withdrawn: no attribute set is left behind.
        rib.apply_update(&update);
        rib.apply_update(&update);
        assert_eq!((rib.len(), rib.attributes.len()), (2, 1));
        rib.apply_update(&Update {
            withdrawn: vec![prefix(1), prefix(2)],
            attributes: Vec::new(),
            announced: Vec::new(),
        });
        assert!(rib.is_empty() && rib.attributes.is_empty());
        rib.clear();
        assert!(rib.is_empty());
    }

    #[test]
    fn compact_and_other_routes_read_back_the_same() {
        let attributes = PathAttributes::new(
            Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))),
            vec![Attribute::Origin(Origin::Igp)],
        );
        let host_bits = Nlri::prefix(Prefix::v4(Ipv4Addr::new(10, 10, 10, 255), 25).expect("ok"));
        let with_path = prefix(3).with_path_id(Some(7));
        let v6 = Nlri::prefix(Prefix::v6("2001:db8::".parse().expect("ip"), 32).expect("ok"));
        let routes = [
            (Family::IPV4_UNICAST, prefix(1)),
            (Family::IPV4_UNICAST, host_bits.clone()),
            (Family::IPV4_UNICAST, with_path),
            (Family::IPV4_MULTICAST, prefix(1)),
            (Family::IPV6_UNICAST, v6),
            (
                Family::IPV4_UNICAST,
                Nlri::prefix(Prefix::v4(Ipv4Addr::UNSPECIFIED, 0).expect("ok")),
            ),
        ];
        let mut rib = AdjRibIn::new();
        for (family, nlri) in routes.clone() {
            rib.announce(family, nlri, &attributes);
        }
        assert_eq!(rib.len(), routes.len());
        assert_eq!(rib.ipv4.len(), 3, "plain IPv4 unicast prefixes are compact");
        for (family, nlri) in routes.clone() {
            assert!(rib.get(family, &nlri).is_some(), "{family} {nlri}");
        }
        let mut listed: Vec<String> = rib.iter().map(|(f, n, _)| format!("{f} {n}")).collect();
        let mut expected: Vec<String> = routes.iter().map(|(f, n)| format!("{f} {n}")).collect();
        listed.sort();
        expected.sort();
        assert_eq!(listed, expected);
        // Replacing keeps one route; withdrawing removes it from the right map.
        rib.announce(Family::IPV4_UNICAST, host_bits, &attributes);
        assert_eq!(rib.len(), routes.len());
        for (family, nlri) in routes {
            rib.withdraw(family, &nlri);
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
