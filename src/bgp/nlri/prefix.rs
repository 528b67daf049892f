//! An IPv4 or IPv6 prefix as carried in NLRI: the address bytes as received (host bits
//! kept, so re-encoding is byte-identical) and the length in bits.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::bgp::family::Afi;

/// An IPv4 or IPv6 prefix as received: the address bytes (host bits kept) and the length.
/// Copy, 18 bytes, no heap.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix {
    /// Address bytes; for IPv4 only the first 4 are used, the rest are zero.
    bytes: [u8; 16],
    /// Length in bits, at most 32 (IPv4) or 128 (IPv6).
    len: u8,
    ipv6: bool,
}

impl Prefix {
    /// `0.0.0.0/0`.
    pub const DEFAULT_V4: Prefix = Prefix {
        bytes: [0; 16],
        len: 0,
        ipv6: false,
    };

    /// An IPv4 prefix; `None` when `len > 32`. Bytes past `ceil(len / 8)` are dropped
    /// (they are never sent); host bits inside the last byte are kept, as on the wire.
    pub fn v4(addr: Ipv4Addr, len: u8) -> Option<Prefix> {
        if len > 32 {
            return None;
        }
        let octets = addr.octets();
        Prefix::from_wire(octets.get(..usize::from(len).div_ceil(8))?, len, false)
    }

    /// An IPv6 prefix; `None` when `len > 128`. Same byte rules as [`Prefix::v4`].
    pub fn v6(addr: Ipv6Addr, len: u8) -> Option<Prefix> {
        if len > 128 {
            return None;
        }
        let octets = addr.octets();
        Prefix::from_wire(octets.get(..usize::from(len).div_ceil(8))?, len, true)
    }

    /// The same prefix with every host bit cleared (`10.10.10.255/25` → `10.10.10.128/25`).
    pub fn masked(&self) -> Prefix {
        let mut out = *self;
        let full = usize::from(self.len / 8);
        let rest = self.len % 8;
        if let Some(partial) = out.bytes.get_mut(full) {
            if rest != 0 {
                *partial &= 0xFFu8 << (8 - rest);
            } else {
                *partial = 0;
            }
        }
        for byte in out.bytes.iter_mut().skip(full + 1) {
            *byte = 0;
        }
        out
    }

    pub fn new(addr: IpAddr, len: u8) -> Option<Prefix> {
        match addr {
            IpAddr::V4(a) => Prefix::v4(a, len),
            IpAddr::V6(a) => Prefix::v6(a, len),
        }
    }

    /// The address as received (host bits included).
    pub fn addr(&self) -> IpAddr {
        if self.ipv6 {
            IpAddr::V6(Ipv6Addr::from(self.bytes))
        } else {
            IpAddr::V4(Ipv4Addr::new(
                self.bytes[0],
                self.bytes[1],
                self.bytes[2],
                self.bytes[3],
            ))
        }
    }

    /// Length in bits.
    pub fn len(&self) -> u8 {
        self.len
    }

    /// True for a zero-length (default) prefix.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_ipv6(&self) -> bool {
        self.ipv6
    }

    pub fn afi(&self) -> Afi {
        if self.ipv6 {
            Afi::IPV6
        } else {
            Afi::IPV4
        }
    }

    /// The `ceil(len / 8)` address bytes that go on the wire.
    pub fn wire_bytes(&self) -> &[u8] {
        let n = usize::from(self.len).div_ceil(8);
        // len <= 128 by construction, so n <= 16.
        self.bytes.get(..n).unwrap_or(&self.bytes)
    }

    /// Builds a prefix from its on-wire address bytes; `bytes.len()` must be the
    /// `ceil(len / 8)` the length implies, and `len` within the address size.
    pub(super) fn from_wire(bytes: &[u8], len: u8, ipv6: bool) -> Option<Prefix> {
        let max = if ipv6 { 128 } else { 32 };
        if len > max || bytes.len() != usize::from(len).div_ceil(8) {
            return None;
        }
        let mut out = [0u8; 16];
        out.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(Prefix {
            bytes: out,
            len,
            ipv6,
        })
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr(), self.len)
    }
}

impl fmt::Debug for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
