//! Route keys of the tables: the packed `u64` of an IPv4 unicast/multicast prefix, the
//! 21-byte [`PrefixKey`] of IPv6 prefixes and single-label labeled routes, and the hasher.

use std::net::IpAddr;

use crate::bgp::family::{Afi, Family, Safi};
use crate::bgp::nlri::{LabelEntry, Labels, Nlri, Prefix};

/// Compact key bit: IPv4 multicast (the rest: length at bits 32..40, address at 0..32).
pub(super) const BIT_MULTICAST: u64 = 1 << 40;

pub(super) fn compact_key(family: Family, nlri: &Nlri) -> Option<u64> {
    if family.afi != Afi::IPV4 || !(family.safi == Safi::UNICAST || family.safi == Safi::MULTICAST)
    {
        return None;
    }
    let Nlri::Prefix {
        path_id: None,
        prefix,
    } = nlri
    else {
        return None;
    };
    let IpAddr::V4(addr) = prefix.addr() else {
        return None;
    };
    let multicast = if family.safi == Safi::MULTICAST {
        BIT_MULTICAST
    } else {
        0
    };
    Some(multicast | u64::from(prefix.len()) << 32 | u64::from(u32::from(addr)))
}

pub(super) fn compact_route(key: u64) -> Option<(Family, Nlri)> {
    let family = if key & BIT_MULTICAST != 0 {
        Family::IPV4_MULTICAST
    } else {
        Family::IPV4_UNICAST
    };
    let addr = std::net::Ipv4Addr::from((key & 0xFFFF_FFFF) as u32);
    let len = ((key >> 32) & 0xFF) as u8;
    Some((family, Nlri::prefix(Prefix::v4(addr, len)?)))
}

/// Where a route is stored (see the module documentation).
#[derive(Clone, Copy)]
pub(super) enum Place {
    Compact(u64),
    Prefixes(PrefixKey),
    Arena,
}

pub(super) fn place_of(family: Family, nlri: &Nlri) -> Place {
    if let Some(key) = compact_key(family, nlri) {
        return Place::Compact(key);
    }
    match PrefixKey::of(family, nlri) {
        Some(key) => Place::Prefixes(key),
        None => Place::Arena,
    }
}

/// The route kinds of the prefix store.
pub(super) const KIND_V6_UNICAST: u8 = 0;
pub(super) const KIND_V6_MULTICAST: u8 = 1;
pub(super) const KIND_V6_LABELED: u8 = 2;
pub(super) const KIND_V4_LABELED: u8 = 3;
/// A vacant record.
pub(super) const KIND_VACANT: u8 = u8::MAX;

/// A route of the prefix store: kind, prefix length, the raw 3-byte label (labeled kinds),
/// the prefix's wire bytes (zero past them). 21 bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct PrefixKey {
    pub(super) kind: u8,
    len: u8,
    label: [u8; 3],
    addr: [u8; 16],
}

impl PrefixKey {
    pub(super) fn of(family: Family, nlri: &Nlri) -> Option<PrefixKey> {
        let (kind, prefix, label) = match nlri {
            Nlri::Prefix {
                path_id: None,
                prefix,
            } if prefix.is_ipv6() => {
                let kind = match family {
                    Family::IPV6_UNICAST => KIND_V6_UNICAST,
                    Family::IPV6_MULTICAST => KIND_V6_MULTICAST,
                    _ => return None,
                };
                (kind, prefix, [0; 3])
            }
            Nlri::Labeled {
                path_id: None,
                labels,
                prefix,
            } => {
                let kind = match (family, prefix.is_ipv6()) {
                    (Family::IPV6_NLRI_MPLS, true) => KIND_V6_LABELED,
                    (Family::IPV4_NLRI_MPLS, false) => KIND_V4_LABELED,
                    _ => return None,
                };
                let [entry] = labels.entries() else {
                    return None;
                };
                let [_, a, b, c] = entry.raw().to_be_bytes();
                (kind, prefix, [a, b, c])
            }
            _ => return None,
        };
        let mut addr = [0u8; 16];
        let wire = prefix.wire_bytes();
        addr.get_mut(..wire.len())?.copy_from_slice(wire);
        Some(PrefixKey {
            kind,
            len: prefix.len(),
            label,
            addr,
        })
    }

    pub(super) fn family(&self) -> Family {
        match self.kind {
            KIND_V6_UNICAST => Family::IPV6_UNICAST,
            KIND_V6_MULTICAST => Family::IPV6_MULTICAST,
            KIND_V6_LABELED => Family::IPV6_NLRI_MPLS,
            _ => Family::IPV4_NLRI_MPLS,
        }
    }

    pub(super) fn prefix(&self) -> Option<Prefix> {
        if self.kind == KIND_V4_LABELED {
            let [a, b, c, d, ..] = self.addr;
            Prefix::v4(std::net::Ipv4Addr::new(a, b, c, d), self.len)
        } else {
            Prefix::v6(std::net::Ipv6Addr::from(self.addr), self.len)
        }
    }

    pub(super) fn label(&self) -> u32 {
        let [a, b, c] = self.label;
        u32::from_be_bytes([0, a, b, c])
    }

    pub(super) fn route(&self) -> Option<(Family, Nlri)> {
        let prefix = self.prefix()?;
        let nlri = match self.kind {
            KIND_V6_UNICAST | KIND_V6_MULTICAST => Nlri::prefix(prefix),
            KIND_V6_LABELED | KIND_V4_LABELED => {
                let labels = Labels::from_entries(&[LabelEntry(self.label())])?;
                Nlri::labeled(None, labels, prefix)
            }
            _ => return None,
        };
        Some((self.family(), nlri))
    }

    /// [`nlri_order`] of the route within its family, without building it: no path-id,
    /// the wire length, the prefix (bytes then length), then the label breaks ties.
    pub(super) fn order(&self) -> (Family, usize, u8, [u8; 16], u8, u32) {
        let labels = if self.kind >= KIND_V6_LABELED { 3 } else { 0 };
        let encoded = 1 + labels + usize::from(self.len).div_ceil(8);
        (
            self.family(),
            encoded,
            self.len,
            self.addr,
            self.len,
            self.label(),
        )
    }

    pub(super) fn hash(&self, hasher: &KeyHasherBuilder) -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut h = hasher.build_hasher();
        let [a0, a1, a2, a3, a4, a5, a6, a7, b0, b1, b2, b3, b4, b5, b6, b7] = self.addr;
        h.write_u64(u64::from_le_bytes([a0, a1, a2, a3, a4, a5, a6, a7]));
        h.write_u64(u64::from_le_bytes([b0, b1, b2, b3, b4, b5, b6, b7]));
        let [l0, l1, l2] = self.label;
        h.write_u64(u64::from_le_bytes([
            self.kind, self.len, l0, l1, l2, 0, 0, 0,
        ]));
        h.finish()
    }
}

pub(super) fn arena_hash(hasher: &KeyHasherBuilder, family: Family, nlri: &Nlri) -> u64 {
    use std::hash::BuildHasher;
    hasher.hash_one((family, nlri))
}

/// A fast, seeded hash for route keys (SplitMix64's finaliser per 8-byte word): the keys
/// are route data from our own configuration and helpers, and SipHash costs more than the
/// table work.
#[derive(Clone)]
pub(super) struct KeyHasherBuilder(u64);

impl Default for KeyHasherBuilder {
    fn default() -> Self {
        use std::hash::BuildHasher;
        KeyHasherBuilder(std::collections::hash_map::RandomState::new().hash_one(0x5EED_u64))
    }
}

impl std::hash::BuildHasher for KeyHasherBuilder {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(self.0)
    }
}

pub(super) struct KeyHasher(u64);

/// Gives `bytes` to `add` as little-endian 64-bit words, a short tail tagged with its
/// length (so that `[1]` and `[1, 0]` differ): the byte input of the table's hashers.
pub(super) fn for_each_word(bytes: &[u8], mut add: impl FnMut(u64)) {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        add(u64::from_le_bytes(word));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        add(u64::from_le_bytes(word) ^ ((rest.len() as u64) << 59));
    }
}

impl std::hash::Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for_each_word(bytes, |word| self.write_u64(word));
    }
    fn write_u8(&mut self, value: u8) {
        self.write_u64(u64::from(value));
    }
    fn write_u16(&mut self, value: u16) {
        self.write_u64(u64::from(value));
    }
    fn write_u32(&mut self, value: u32) {
        self.write_u64(u64::from(value));
    }
    fn write_usize(&mut self, value: usize) {
        self.write_u64(value as u64);
    }
    fn write_u64(&mut self, value: u64) {
        let mut x = self.0 ^ value;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = x ^ (x >> 31);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
