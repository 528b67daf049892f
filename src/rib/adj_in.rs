//! The adj-rib-in: what a peer announced to us, stored by route (family, NLRI with its
//! path-id), attributes interned. No policy, no best path: `show adj-rib in` reads it.

use std::collections::HashMap;

use super::attributes::{AttrId, AttributeTable, PathAttributes};
use crate::bgp::family::Family;
use crate::bgp::nlri::Nlri;

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
        if let Some(previous) = self.routes.remove(&(family, *nlri)) {
            self.attributes.release(previous);
        }
    }

    pub fn get(&self, family: Family, nlri: &Nlri) -> Option<&PathAttributes> {
        let id = *self.routes.get(&(family, *nlri))?;
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

    /// Forgets everything (at each ESTABLISHED, and `clear adj-rib in`).
    pub fn clear(&mut self) {
        self.routes = HashMap::new();
        self.attributes = AttributeTable::default();
    }
}
