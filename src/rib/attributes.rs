//! Attribute sets of the adj-rib-out: one route's path attributes plus its next-hop,
//! interned so that routes sharing them share one copy, and encoded once per session.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use crate::bgp::attribute::{
    AsPath, Attribute, Origin, CODE_AS_PATH, CODE_LOCAL_PREF, CODE_MP_REACH_NLRI,
    CODE_MP_UNREACH_NLRI, CODE_NEXT_HOP, CODE_ORIGIN,
};
use crate::bgp::family::Afi;
use crate::bgp::negotiated::Negotiated;

/// The path attributes of one route as the adj-rib-out keeps them: the next-hop apart
/// (its wire form depends on the family), every other attribute once, sorted by type code.
/// NEXT_HOP, MP_REACH_NLRI and MP_UNREACH_NLRI are never in the list: the packer writes them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathAttributes {
    next_hop: Option<IpAddr>,
    /// `next-hop self` left for the session to resolve (no local address was known when
    /// the route was loaded), for routes of this AFI; `next_hop` is then `None`.
    self_next_hop: Option<Afi>,
    /// The next-hop goes only in MP_REACH_NLRI, never as a NEXT_HOP attribute (ExaBGP's
    /// VPLS, SR Policy, IPv6 MUP and FlowSpec routes).
    mp_next_hop_only: bool,
    attributes: Vec<Attribute>,
}

impl PathAttributes {
    /// Builds a set: attributes sorted by type code (a later one with the same code
    /// replaces an earlier one), communities of every kind sorted by their wire bytes as
    /// ExaBGP sends them. A NEXT_HOP attribute in the list is used as the next-hop when
    /// `next_hop` is `None`; MP_REACH / MP_UNREACH are dropped.
    pub fn new(next_hop: Option<IpAddr>, attributes: Vec<Attribute>) -> PathAttributes {
        let mut next_hop = next_hop;
        let mut kept: Vec<Attribute> = Vec::with_capacity(attributes.len());
        for attribute in attributes {
            match attribute {
                Attribute::NextHop(address) => {
                    if next_hop.is_none() {
                        next_hop = Some(IpAddr::V4(address));
                    }
                }
                Attribute::MpReach(_) | Attribute::MpUnreach(_) => {}
                mut other => {
                    sort_lists(&mut other);
                    let code = other.code();
                    kept.retain(|a| a.code() != code);
                    kept.push(other);
                }
            }
        }
        kept.sort_by_key(|a| a.code());
        PathAttributes {
            next_hop,
            self_next_hop: None,
            mp_next_hop_only: false,
            attributes: kept,
        }
    }

    /// A set without any attribute (what a bare withdrawal carries).
    pub fn empty() -> PathAttributes {
        PathAttributes::default()
    }

    /// The next-hop as loaded (`None` for a `next-hop self` left to the session).
    pub fn next_hop(&self) -> Option<IpAddr> {
        self.next_hop
    }

    /// The next-hop sent on `session`: the loaded one, or `next-hop self` resolved from the
    /// session's local address (see [`resolve_self`]).
    pub fn next_hop_on(&self, session: &SendContext) -> Option<IpAddr> {
        match self.self_next_hop {
            Some(afi) => resolve_self(afi, session.local_address, Some(session.router_id)),
            None => self.next_hop,
        }
    }

    /// The same attributes with the next-hop sent only in MP_REACH_NLRI (no NEXT_HOP
    /// attribute even when it is IPv4), as ExaBGP sends VPLS, SR Policy and FlowSpec routes.
    pub fn with_mp_next_hop_only(mut self) -> PathAttributes {
        self.mp_next_hop_only = true;
        self
    }

    /// Whether the next-hop is `next-hop self` left to the session.
    pub fn is_self_next_hop(&self) -> bool {
        self.self_next_hop.is_some()
    }

    /// The same attributes with another next-hop.
    pub fn with_next_hop(mut self, next_hop: Option<IpAddr>) -> PathAttributes {
        self.next_hop = next_hop;
        self.self_next_hop = None;
        self
    }

    /// The same attributes with `next-hop self`, resolved per session for routes of `afi`.
    pub fn with_self_next_hop(mut self, afi: Afi) -> PathAttributes {
        self.next_hop = None;
        self.self_next_hop = Some(afi);
        self
    }

    /// The attributes (without next-hop), sorted by type code.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attributes
    }

    pub fn get(&self, code: u8) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.code() == code)
    }

    /// A session-independent byte form used as the interning key: every attribute with
    /// 4-octet AS numbers, then the MP-only mark, then a next-hop tag and address.
    fn canonical_key(&self) -> Box<[u8]> {
        let ctx = Negotiated::default();
        let mut out = Vec::new();
        for attribute in &self.attributes {
            attribute.encode(&mut out, &ctx);
        }
        if self.mp_next_hop_only {
            out.push(b'm');
        }
        if let Some(afi) = self.self_next_hop {
            out.push(b's');
            out.extend_from_slice(&afi.0.to_be_bytes());
        }
        match self.next_hop {
            None => out.push(0),
            Some(IpAddr::V4(a)) => {
                out.push(4);
                out.extend_from_slice(&a.octets());
            }
            Some(IpAddr::V6(a)) => {
                out.push(6);
                out.extend_from_slice(&a.octets());
            }
        }
        out.into_boxed_slice()
    }

    /// Appends the path-attribute field ExaBGP sends for an announcement on this session:
    /// attributes in type-code order with the defaults added — ORIGIN IGP; AS_PATH empty on
    /// iBGP, `[local-as]` on eBGP; LOCAL_PREF 100 on iBGP (LOCAL_PREF is never sent on
    /// eBGP) — and NEXT_HOP when the next-hop is IPv4. MP_REACH_NLRI is the packer's.
    pub fn encode(&self, out: &mut Vec<u8>, session: &SendContext) {
        let ctx = &session.negotiated;
        let ibgp = session.local_as == session.peer_as;
        let mut rest = self.attributes.iter().peekable();
        // The defaulted codes and NEXT_HOP all sort before every other attribute but MED
        // (4), so they are merged in order as the list is walked.
        let mut emit_until = |limit: u8, out: &mut Vec<u8>| {
            while let Some(attribute) = rest.next_if(|a| a.code() < limit) {
                if attribute.code() == CODE_LOCAL_PREF && !ibgp {
                    continue;
                }
                attribute.encode(out, ctx);
            }
        };
        emit_until(CODE_ORIGIN, out);
        if self.get(CODE_ORIGIN).is_none() {
            Attribute::Origin(Origin::Igp).encode(out, ctx);
        }
        emit_until(CODE_AS_PATH, out);
        if self.get(CODE_AS_PATH).is_none() {
            let path = if ibgp {
                AsPath::default()
            } else {
                AsPath::sequence(&[session.local_as])
            };
            Attribute::AsPath(path).encode(out, ctx);
        }
        emit_until(CODE_NEXT_HOP, out);
        if let Some(IpAddr::V4(address)) = self.next_hop_on(session) {
            if !self.mp_next_hop_only {
                Attribute::NextHop(address).encode(out, ctx);
            }
        }
        emit_until(CODE_LOCAL_PREF, out);
        if ibgp && self.get(CODE_LOCAL_PREF).is_none() {
            Attribute::LocalPref(100).encode(out, ctx);
        }
        emit_until(u8::MAX, out);
        if let Some(last) = rest.next() {
            // Type code 255 is the only one left.
            last.encode(out, ctx);
        }
    }
}

/// Sorts community lists by wire bytes, as ExaBGP keeps them.
fn sort_lists(attribute: &mut Attribute) {
    match attribute {
        Attribute::Communities(list) => list.sort_by_key(|c| c.0),
        Attribute::ExtendedCommunities(list) => list.sort_by_key(|c| c.0),
        Attribute::Ipv6ExtendedCommunities(list) => list.sort_by_key(|c| c.0),
        Attribute::LargeCommunities(list) => list.sort_by_key(|c| c.to_bytes()),
        _ => {}
    }
}

/// What the encoder needs to know about the session beyond the codec context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendContext {
    pub negotiated: Negotiated,
    /// Our AS and the peer's, as negotiated (equal means iBGP).
    pub local_as: u32,
    pub peer_as: u32,
    /// Enhanced route refresh (RFC 7313) was negotiated: refreshes are framed by BoRR/EoRR.
    pub enhanced_refresh: bool,
    /// The connection's local address and our router-id: what `next-hop self` becomes.
    pub local_address: Option<IpAddr>,
    pub router_id: Ipv4Addr,
    /// The peer sent the link-local next-hop capability (77) and so did we.
    pub link_local_nexthop: bool,
}

impl SendContext {
    pub fn new(negotiated: Negotiated, local_as: u32, peer_as: u32) -> SendContext {
        SendContext {
            negotiated,
            local_as,
            peer_as,
            enhanced_refresh: false,
            local_address: None,
            router_id: Ipv4Addr::UNSPECIFIED,
            link_local_nexthop: false,
        }
    }
}

/// `next-hop self` for a route of `afi`: the local address when it has that AFI, else the
/// router-id for IPv4 routes (ExaBGP's rule); `None` when neither applies.
pub fn resolve_self(
    afi: Afi,
    local: Option<IpAddr>,
    router_id: Option<Ipv4Addr>,
) -> Option<IpAddr> {
    match (local, afi) {
        (Some(IpAddr::V4(a)), Afi::IPV4) => Some(IpAddr::V4(a)),
        (Some(IpAddr::V6(a)), Afi::IPV6) => Some(IpAddr::V6(a)),
        (_, Afi::IPV4) => router_id.filter(|id| !id.is_unspecified()).map(IpAddr::V4),
        _ => None,
    }
}

/// Index of an interned attribute set.
pub type AttrId = u32;

struct Interned {
    attributes: PathAttributes,
    key: Box<[u8]>,
    /// Routes (and pending changes) holding this id.
    references: u32,
    /// The encoded field for the current session, built on first use.
    encoded: Option<Box<[u8]>>,
}

/// Interned attribute sets with reference counts: identical sets share one id; an id
/// whose count drops to zero is freed and reused.
#[derive(Default)]
pub struct AttributeTable {
    slots: Vec<Option<Interned>>,
    by_key: HashMap<Box<[u8]>, AttrId>,
    free: Vec<AttrId>,
}

impl AttributeTable {
    /// The id of `attributes`, adding the set if new, and takes one reference on it.
    pub fn intern(&mut self, attributes: &PathAttributes) -> AttrId {
        let key = attributes.canonical_key();
        if let Some(&id) = self.by_key.get(&key) {
            self.retain(id);
            return id;
        }
        let interned = Interned {
            attributes: attributes.clone(),
            key: key.clone(),
            references: 1,
            encoded: None,
        };
        let id = match self.free.pop() {
            Some(id) => {
                if let Some(slot) = self.slots.get_mut(id as usize) {
                    *slot = Some(interned);
                }
                id
            }
            None => {
                self.slots.push(Some(interned));
                (self.slots.len() - 1) as AttrId
            }
        };
        self.by_key.insert(key, id);
        id
    }

    /// Takes one more reference on `id`.
    pub fn retain(&mut self, id: AttrId) {
        if let Some(Some(interned)) = self.slots.get_mut(id as usize) {
            interned.references = interned.references.saturating_add(1);
        }
    }

    /// Drops one reference; the set is freed when none is left.
    pub fn release(&mut self, id: AttrId) {
        let Some(slot) = self.slots.get_mut(id as usize) else {
            return;
        };
        let Some(interned) = slot else { return };
        interned.references = interned.references.saturating_sub(1);
        if interned.references == 0 {
            if let Some(interned) = slot.take() {
                self.by_key.remove(&interned.key);
            }
            self.free.push(id);
        }
    }

    pub fn get(&self, id: AttrId) -> Option<&PathAttributes> {
        self.slots
            .get(id as usize)
            .and_then(|s| s.as_ref())
            .map(|i| &i.attributes)
    }

    /// Number of distinct sets held.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// The encoded attribute field of `id` for `session`, cached until [`Self::forget_encodings`].
    pub fn encoded(&mut self, id: AttrId, session: &SendContext) -> &[u8] {
        let Some(Some(interned)) = self.slots.get_mut(id as usize) else {
            return &[];
        };
        if interned.encoded.is_none() {
            let mut out = Vec::new();
            interned.attributes.encode(&mut out, session);
            interned.encoded = Some(out.into_boxed_slice());
        }
        interned.encoded.as_deref().unwrap_or(&[])
    }

    /// Drops every cached encoding (the session changed).
    pub fn forget_encodings(&mut self) {
        for interned in self.slots.iter_mut().flatten() {
            interned.encoded = None;
        }
    }
}

/// True for the attribute codes the packer writes itself.
pub fn is_packer_code(code: u8) -> bool {
    matches!(
        code,
        CODE_NEXT_HOP | CODE_MP_REACH_NLRI | CODE_MP_UNREACH_NLRI
    )
}
