//! COMMUNITIES (RFC 1997 and the well-known values of RFC 3765/7611/7999/8326/8642)
//! and LARGE_COMMUNITY (RFC 8092): values, names and text forms.

use std::fmt;

/// One standard community, `high:low` as a 32-bit number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Community(pub u32);

/// Well-known communities with the names ExaBGP (and the RFCs) use.
pub const WELL_KNOWN_COMMUNITIES: [(u32, &str); 9] = [
    (0xFFFF_0000, "graceful-shutdown"),
    (0xFFFF_0001, "accept-own"),
    (0xFFFF_0006, "llgr-stale"),
    (0xFFFF_0007, "no-llgr"),
    (0xFFFF_029A, "blackhole"),
    (0xFFFF_FF01, "no-export"),
    (0xFFFF_FF02, "no-advertise"),
    (0xFFFF_FF03, "no-export-subconfed"),
    (0xFFFF_FF04, "no-peer"),
];

impl Community {
    pub const NO_EXPORT: Community = Community(0xFFFF_FF01);
    pub const NO_ADVERTISE: Community = Community(0xFFFF_FF02);
    pub const NO_EXPORT_SUBCONFED: Community = Community(0xFFFF_FF03);
    pub const NO_PEER: Community = Community(0xFFFF_FF04);
    pub const BLACKHOLE: Community = Community(0xFFFF_029A);

    pub fn new(high: u16, low: u16) -> Self {
        Community((u32::from(high) << 16) | u32::from(low))
    }

    pub fn high(self) -> u16 {
        (self.0 >> 16) as u16
    }

    pub fn low(self) -> u16 {
        self.0 as u16
    }

    /// The well-known name, if this value has one.
    pub fn well_known_name(self) -> Option<&'static str> {
        WELL_KNOWN_COMMUNITIES
            .iter()
            .find(|(value, _)| *value == self.0)
            .map(|(_, name)| *name)
    }

    /// The name ExaBGP prints and accepts: only these five have one there; the other
    /// well-known values are written numerically (`65535:0` for graceful-shutdown).
    pub fn exabgp_name(self) -> Option<&'static str> {
        match self.0 {
            0xFFFF_FF01 => Some("no-export"),
            0xFFFF_FF02 => Some("no-advertise"),
            0xFFFF_FF03 => Some("no-export-subconfed"),
            0xFFFF_FF04 => Some("no-peer"),
            0xFFFF_029A => Some("blackhole"),
            _ => None,
        }
    }

    /// Parses one of ExaBGP's names (case-insensitive; `no_export`, `no_advertise` and
    /// `nopeer` accepted as 5.0.15 does).
    pub fn from_name(name: &str) -> Option<Community> {
        let lower = name.to_ascii_lowercase().replace('_', "-");
        match lower.as_str() {
            "no-export" => Some(Community::NO_EXPORT),
            "no-advertise" => Some(Community::NO_ADVERTISE),
            "no-export-subconfed" => Some(Community::NO_EXPORT_SUBCONFED),
            "no-peer" | "nopeer" => Some(Community::NO_PEER),
            "blackhole" => Some(Community::BLACKHOLE),
            _ => None,
        }
    }
}

impl From<u32> for Community {
    fn from(value: u32) -> Self {
        Community(value)
    }
}

impl fmt::Display for Community {
    /// ExaBGP's text: its five names (see [`Community::exabgp_name`]), else `high:low`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.exabgp_name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{}:{}", self.high(), self.low()),
        }
    }
}

/// One large community (RFC 8092): global administrator and two local data parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LargeCommunity {
    pub global: u32,
    pub local1: u32,
    pub local2: u32,
}

impl LargeCommunity {
    pub fn new(global: u32, local1: u32, local2: u32) -> Self {
        LargeCommunity {
            global,
            local1,
            local2,
        }
    }

    pub fn to_bytes(self) -> [u8; 12] {
        let mut out = [0u8; 12];
        out[..4].copy_from_slice(&self.global.to_be_bytes());
        out[4..8].copy_from_slice(&self.local1.to_be_bytes());
        out[8..].copy_from_slice(&self.local2.to_be_bytes());
        out
    }

    pub fn from_bytes(bytes: [u8; 12]) -> Self {
        let word = |at: usize| {
            u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        LargeCommunity::new(word(0), word(4), word(8))
    }
}

impl fmt::Display for LargeCommunity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.global, self.local1, self.local2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(Community::NO_EXPORT.to_string(), "no-export");
        assert_eq!(Community::new(65000, 1).to_string(), "65000:1");
        assert_eq!(
            Community::from_name("NO_EXPORT"),
            Some(Community::NO_EXPORT)
        );
        assert_eq!(Community::from_name("nopeer"), Some(Community::NO_PEER));
        assert_eq!(Community::from(0xFFFF_029A).to_string(), "blackhole");
        assert_eq!(
            Community::from(0xFFFF_0000).well_known_name(),
            Some("graceful-shutdown")
        );
        assert_eq!(Community::from(0xFFFF_0000).to_string(), "65535:0");
        assert_eq!(Community::from_name("llgr-stale"), None);
    }

    #[test]
    fn large_bytes() {
        let l = LargeCommunity::new(1, 2, 3);
        assert_eq!(LargeCommunity::from_bytes(l.to_bytes()), l);
        assert_eq!(l.to_string(), "1:2:3");
    }
}
