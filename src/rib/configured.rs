//! What the configuration (and the API) gives the adj-rib-out before conversion: a route's
//! wire NLRI, its attributes as `bgp` values, its control flags and its file location.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Arc;

use crate::bgp::attribute::{
    Attribute, ExtendedCommunity, Ipv6ExtendedCommunity, CODE_EXTENDED_COMMUNITIES,
    CODE_IPV6_EXTENDED_COMMUNITIES,
};
use crate::bgp::family::Family;
use crate::bgp::nlri::Nlri;

/// A position in a configuration file (1-based line and character column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
}

impl Location {
    pub fn new(file: Arc<str>, line: u32, col: u32) -> Location {
        Location { file, line, col }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            // Not inside the file (it could not be read).
            return write!(f, "{}", self.file);
        }
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// The next-hop of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextHop {
    Address(IpAddr),
    /// `next-hop self`: the local address (or router-id), resolved per session.
    SelfAddress,
}

impl fmt::Display for NextHop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NextHop::Address(a) => write!(f, "{a}"),
            NextHop::SelfAddress => f.write_str("self"),
        }
    }
}

/// Why a configured route that parsed cannot be sent; reported when it is loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Refusal {
    /// An SR Policy with a segment rexa does not send, or a route `bgp` cannot build.
    Unsupported,
    /// A FlowSpec route longer than the adj-rib-out keeps inline.
    FlowTooLong,
}

/// Never sent on the wire: how rexa handles the route.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct RouteControl {
    /// `name`: a label for logs and the API.
    pub name: Option<String>,
    /// `split /len`: announce as all sub-prefixes of this length.
    pub split: Option<u8>,
    /// `watchdog NAME`: toggled by `announce|withdraw watchdog NAME`.
    pub watchdog: Option<String>,
    /// `withdraw`: starts withdrawn.
    pub withdraw: bool,
    /// Set when the route cannot be sent (see [`Refusal`]).
    pub refused: Option<Refusal>,
}

/// One configured route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfiguredRoute {
    /// The wire NLRI (a placeholder for a refused route: see [`RouteControl::refused`]).
    pub nlri: Nlri,
    pub family: Family,
    /// Shared by the routes that have the same (the configuration interns them).
    pub attributes: Arc<RouteAttributes>,
    pub control: Arc<RouteControl>,
    pub location: Location,
}

impl ConfiguredRoute {
    /// A route of `nlri` (of `family`); `control.refused` says when it cannot be sent.
    pub fn new(
        nlri: Nlri,
        family: Family,
        attributes: RouteAttributes,
        control: RouteControl,
        location: Location,
    ) -> ConfiguredRoute {
        ConfiguredRoute {
            nlri,
            family,
            attributes: Arc::new(attributes),
            control: Arc::new(control),
            location,
        }
    }

    pub fn family(&self) -> Family {
        self.family
    }

    /// A unicast, multicast, labeled or VPN prefix route.
    pub fn is_prefix(&self) -> bool {
        self.control.refused.is_none()
            && matches!(
                self.nlri,
                Nlri::Prefix { .. } | Nlri::Labeled { .. } | Nlri::Vpn { .. }
            )
    }
}

/// Path attributes of a configured route as `bgp` values, the next-hop apart: `next-hop
/// self` is resolved per neighbor when the route is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteAttributes {
    pub next_hop: Option<NextHop>,
    /// One attribute per type code, in the order first written: a repeated keyword replaces
    /// a value and extends a list.
    typed: Vec<Attribute>,
    /// `attribute [ code flags data ]` as `Attribute::Unknown`, in the order written; sent
    /// after the typed ones, so that one replaces a typed attribute of its code.
    raw: Vec<Attribute>,
}

impl RouteAttributes {
    /// The typed attributes, one per code, in the order first written.
    pub fn typed(&self) -> &[Attribute] {
        &self.typed
    }

    /// The raw `attribute [ ]` ones (`Attribute::Unknown`).
    pub fn raw(&self) -> &[Attribute] {
        &self.raw
    }

    /// The typed attribute of `code`.
    pub fn get(&self, code: u8) -> Option<&Attribute> {
        self.typed.iter().find(|a| a.code() == code)
    }

    /// Sets the typed attribute of `attribute`'s code (replacing the one written before).
    pub fn set(&mut self, attribute: Attribute) {
        match self.typed.iter_mut().find(|a| a.code() == attribute.code()) {
            Some(slot) => *slot = attribute,
            None => self.typed.push(attribute),
        }
    }

    pub fn get_mut(&mut self, code: u8) -> Option<&mut Attribute> {
        self.typed.iter_mut().find(|a| a.code() == code)
    }

    /// Appends to the EXTENDED_COMMUNITIES list (a FlowSpec action).
    pub fn add_extended_community(&mut self, community: ExtendedCommunity) {
        match self.get_mut(CODE_EXTENDED_COMMUNITIES) {
            Some(Attribute::ExtendedCommunities(list)) => list.push(community),
            _ => self.set(Attribute::ExtendedCommunities(vec![community])),
        }
    }

    /// Appends to the IPV6_EXTENDED_COMMUNITIES list (a FlowSpec action).
    pub fn add_ipv6_extended_community(&mut self, community: Ipv6ExtendedCommunity) {
        match self.get_mut(CODE_IPV6_EXTENDED_COMMUNITIES) {
            Some(Attribute::Ipv6ExtendedCommunities(list)) => list.push(community),
            _ => self.set(Attribute::Ipv6ExtendedCommunities(vec![community])),
        }
    }

    /// Appends an `Attribute::Unknown` to the raw list (an SR Policy's tunnel).
    pub fn push_raw(&mut self, attribute: Attribute) {
        self.raw.push(attribute);
    }

    /// Sorts the extended communities by their bytes, as ExaBGP sends a flow route's.
    pub fn sort_extended_communities(&mut self) {
        if let Some(Attribute::ExtendedCommunities(list)) = self.get_mut(CODE_EXTENDED_COMMUNITIES)
        {
            list.sort();
        }
    }
}

impl Hash for RouteAttributes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.next_hop.hash(state);
        for attribute in self.typed.iter().chain(&self.raw) {
            hash_attribute(attribute, state);
        }
    }
}

/// Hashes an attribute the configuration can write (equal attributes hash alike; the
/// MP_REACH / MP_UNREACH it never writes hash by their code alone).
fn hash_attribute<H: Hasher>(attribute: &Attribute, state: &mut H) {
    attribute.code().hash(state);
    match attribute {
        Attribute::Origin(origin) => origin.hash(state),
        Attribute::AsPath(path) | Attribute::As4Path(path) => path.hash(state),
        Attribute::NextHop(address) | Attribute::OriginatorId(address) => address.hash(state),
        Attribute::Med(value) | Attribute::LocalPref(value) => value.hash(state),
        Attribute::Aggregator(aggregator) | Attribute::As4Aggregator(aggregator) => {
            aggregator.hash(state)
        }
        Attribute::Communities(list) => list.hash(state),
        Attribute::ClusterList(list) => list.hash(state),
        Attribute::ExtendedCommunities(list) => list.hash(state),
        Attribute::Ipv6ExtendedCommunities(list) => list.hash(state),
        Attribute::LargeCommunities(list) => list.hash(state),
        Attribute::PrefixSid(sid) => sid.hash(state),
        Attribute::Aigp(aigp) => aigp.hash(state),
        Attribute::PmsiTunnel(tunnel) => tunnel.hash(state),
        Attribute::Unknown { flags, value, .. } => (flags, value).hash(state),
        Attribute::AtomicAggregate | Attribute::MpReach(_) | Attribute::MpUnreach(_) => {}
    }
}

/// A multiply-rotate hash (the Fx hash's scheme) for maps keyed by what a configuration
/// file says, looked up once per route: several times cheaper than SipHash. Only for keys
/// that come from the configuration (trusted), not from peers or helpers.
pub type FastHash = std::hash::BuildHasherDefault<FastHasher>;

/// See [`FastHash`].
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher(u64);

impl FastHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        super::keys::for_each_word(bytes, |word| self.add(word));
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_u16(&mut self, value: u16) {
        self.add(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
