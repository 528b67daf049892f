//! The adj-rib-in: what a peer announced to us, stored by route (family, NLRI with its
//! path-id), attributes interned. No policy, no best path: `show adj-rib in` reads it.

use std::collections::HashMap;

use super::attributes::{AttrId, AttributeTable, PathAttributes};
use crate::bgp::family::Family;
use crate::bgp::nlri::Nlri;
use crate::bgp::update::Update;

/// Routes received from one peer.
#[derive(Default)]
pub struct AdjRibIn {
    routes: HashMap<(Family, Nlri), AttrId>,
    attributes: AttributeTable,
}

impl AdjRibIn {
    pub fn new() -> AdjRibIn {
        AdjRibIn::default()
    }

    /// Stores (or replaces) an announced route.
    pub fn announce(&mut self, family: Family, nlri: Nlri, attributes: &PathAttributes) {
        let id = self.attributes.intern(attributes);
        if let Some(previous) = self.routes.insert((family, nlri), id) {
            self.attributes.release(previous);
        }
    }

    /// Removes a withdrawn route (nothing if unknown).
    pub fn withdraw(&mut self, family: Family, nlri: &Nlri) {
        if let Some(previous) = self.routes.remove(&(family, nlri.clone())) {
            self.attributes.release(previous);
        }
    }

    pub fn get(&self, family: Family, nlri: &Nlri) -> Option<&PathAttributes> {
        let id = *self.routes.get(&(family, nlri.clone()))?;
        self.attributes.get(id)
    }

    /// Every stored route, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (Family, &Nlri, &PathAttributes)> {
        self.routes
            .iter()
            .filter_map(|((family, nlri), id)| Some((*family, nlri, self.attributes.get(*id)?)))
    }

    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
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
        let shared = PathAttributes::new(None, update.attributes.clone());
        for nlri in &update.announced {
            self.announce(Family::IPV4_UNICAST, nlri.clone(), &shared);
        }
        for mp in update.mp_reach() {
            if mp.nlri.routes().is_empty() && mp.nlri.flow_routes().is_empty() {
                continue;
            }
            let attributes = PathAttributes::new(mp.next_hop.address(), update.attributes.clone());
            for nlri in mp.nlri.routes() {
                self.announce(mp.family, nlri.clone(), &attributes);
            }
            // FlowSpec routes longer than the inline form (rare) are not stored.
            for flow in mp.nlri.flow_routes().iter().filter_map(|f| f.inline()) {
                self.announce(mp.family, Nlri::flow(flow), &attributes);
            }
        }
    }

    /// Forgets everything (at each ESTABLISHED, and `clear adj-rib in`).
    pub fn clear(&mut self) {
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
        rib.clear();
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
